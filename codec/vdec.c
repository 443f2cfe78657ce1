#define MCU_LOG_MODULE "vdec"
#include "conf/log.h"
#include "codec/vdec.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <libavcodec/avcodec.h>

/* Largest picture accepted from a sender (bounds decoder allocations). */
#define VDEC_MAX_PIXELS (4096 * 2304)

struct mcu_vdec {
	AVCodecContext *ctx;
	AVPacket *pkt;
	AVFrame *frame;
	enum mcu_vcodec codec;
	bool seen_key; /* a key frame has been decoded since reset */
	bool need_key; /* error since the last key frame, or none yet */
	struct mcu_vdec_stats st;
};

bool mcu_vdec_is_keyframe(enum mcu_vcodec codec, const uint8_t *data,
                          size_t len)
{
	if (!data)
		return false;
	if (codec == MCU_VCODEC_VP8) {
		/* RFC 6386 9.1: P bit 0 and the start code 9d 01 2a. */
		return len >= 10 && !(data[0] & 1) && data[3] == 0x9d &&
		       data[4] == 0x01 && data[5] == 0x2a;
	}
	if (codec != MCU_VCODEC_H264)
		return false;
	for (size_t i = 0; i + 3 < len; i++) {
		if (data[i] == 0 && data[i + 1] == 0 && data[i + 2] == 1) {
			if ((data[i + 3] & 0x1f) == 5)
				return true;
			i += 2;
		}
	}
	return false;
}

int mcu_vdec_alloc(struct mcu_vdec **decp, enum mcu_vcodec codec, int threads)
{
	struct mcu_vdec *dec;
	const AVCodec *c;
	int err = 0, ret;

	if (!decp || threads < 0 || threads > 64)
		return EINVAL;
	switch (codec) {
	case MCU_VCODEC_H264:
		c = avcodec_find_decoder_by_name("h264");
		break;
	case MCU_VCODEC_VP8:
		c = avcodec_find_decoder_by_name("vp8");
		break;
	default:
		return EINVAL;
	}
	if (!c) {
		mcu_log_error("%s decoder missing from libavcodec",
		              mcu_vcodec_name(codec));
		return ENOENT;
	}
	dec = calloc(1, sizeof(*dec));
	if (!dec)
		return ENOMEM;
	dec->codec = codec;
	dec->need_key = true;
	dec->ctx = avcodec_alloc_context3(c);
	dec->pkt = av_packet_alloc();
	dec->frame = av_frame_alloc();
	if (!dec->ctx || !dec->pkt || !dec->frame) {
		err = ENOMEM;
		goto out;
	}
	dec->ctx->thread_type = FF_THREAD_SLICE;
	dec->ctx->thread_count = threads ? threads : 1;
	dec->ctx->flags |= AV_CODEC_FLAG_LOW_DELAY;
	dec->ctx->max_pixels = VDEC_MAX_PIXELS;
	dec->ctx->pkt_timebase = (AVRational){1, MCU_VIDEO_CLOCK};
	ret = avcodec_open2(dec->ctx, c, NULL);
	if (ret < 0) {
		mcu_log_error("open %s decoder: %s", mcu_vcodec_name(codec),
		              av_err2str(ret));
		err = mcu_averror(ret);
		goto out;
	}
out:
	if (err) {
		mcu_vdec_free(dec);
		return err;
	}
	*decp = dec;
	return 0;
}

struct mcu_vdec *mcu_vdec_free(struct mcu_vdec *dec)
{
	if (!dec)
		return NULL;
	avcodec_free_context(&dec->ctx);
	av_packet_free(&dec->pkt);
	av_frame_free(&dec->frame);
	free(dec);
	return NULL;
}

static void note_error(struct mcu_vdec *dec, const char *what, int ret)
{
	dec->st.errors++;
	dec->need_key = true;
	mcu_log_ratelimited(MCU_LOG_DEBUG, 2000, "%s %s: %s",
	                    mcu_vcodec_name(dec->codec), what,
	                    ret ? av_err2str(ret) : "corrupt picture");
}

/* Drain every picture the decoder has ready; 0 or EBADMSG. */
static int receive_all(struct mcu_vdec *dec, bool pkt_key,
                       mcu_vdec_frame_h *frameh, void *arg)
{
	int err = 0, ret;

	for (;;) {
		ret = avcodec_receive_frame(dec->ctx, dec->frame);
		if (ret == AVERROR(EAGAIN) || ret == AVERROR_EOF)
			break;
		if (ret < 0) {
			note_error(dec, "receive", ret);
			err = EBADMSG;
			break;
		}
		AVFrame *f = dec->frame;
		bool bad =
		    f->decode_error_flags || (f->flags & AV_FRAME_FLAG_CORRUPT);
		if (bad) {
			note_error(dec, "picture", 0);
			err = EBADMSG;
		} else if (f->key_frame || pkt_key) {
			dec->st.keyframes++;
			dec->seen_key = true;
			dec->need_key = false;
		}
		if (!dec->seen_key) {
			dec->st.dropped++;
			av_frame_unref(f);
			continue;
		}
		if (f->pts == AV_NOPTS_VALUE)
			f->pts = f->best_effort_timestamp;
		dec->st.frames++;
		dec->st.width = f->width;
		dec->st.height = f->height;
		if (frameh)
			frameh(f, arg);
		av_frame_unref(f);
	}
	return err;
}

int mcu_vdec_decode(struct mcu_vdec *dec, const uint8_t *data, size_t len,
                    int64_t pts, mcu_vdec_frame_h *frameh, void *arg)
{
	bool key;
	int err, ret;

	/* An empty packet would put the decoder into draining mode. */
	if (!dec || !data || len == 0 || len > INT32_MAX / 2)
		return EINVAL;
	dec->st.packets++;
	key = mcu_vdec_is_keyframe(dec->codec, data, len);
	/* Before the first key frame nothing can decode: a source that
	 * becomes visible mid-stream would only feed FFmpeg P-frames that
	 * reference a missing SPS/PPS or picture (an error each). */
	if (!dec->seen_key && !key) {
		dec->st.dropped++;
		return 0;
	}
	ret = av_new_packet(dec->pkt, (int)len);
	if (ret < 0)
		return ENOMEM;
	memcpy(dec->pkt->data, data, len);
	dec->pkt->pts = pts;
	if (key)
		dec->pkt->flags |= AV_PKT_FLAG_KEY;
	ret = avcodec_send_packet(dec->ctx, dec->pkt);
	if (ret == AVERROR(EAGAIN)) {
		/* Should not happen (we always drain), but be correct. */
		err = receive_all(dec, false, frameh, arg);
		ret = avcodec_send_packet(dec->ctx, dec->pkt);
	}
	av_packet_unref(dec->pkt);
	if (ret < 0) {
		if (ret == AVERROR(ENOMEM))
			return ENOMEM;
		note_error(dec, "packet", ret);
		receive_all(dec, false, frameh, arg);
		return EBADMSG;
	}
	err = receive_all(dec, key, frameh, arg);
	/* A key packet that produced no picture leaves need_key as it was. */
	return err;
}

void mcu_vdec_set_skip_loop_filter(struct mcu_vdec *dec, bool skip)
{
	/* Read by the decoders per slice (H.264) or per frame (VP8). */
	if (dec)
		dec->ctx->skip_loop_filter =
		    skip ? AVDISCARD_NONKEY : AVDISCARD_DEFAULT;
}

bool mcu_vdec_need_keyframe(const struct mcu_vdec *dec)
{
	return !dec || dec->need_key;
}

void mcu_vdec_mark_loss(struct mcu_vdec *dec)
{
	if (dec)
		dec->need_key = true;
}

void mcu_vdec_reset(struct mcu_vdec *dec)
{
	if (!dec)
		return;
	avcodec_flush_buffers(dec->ctx);
	dec->seen_key = false;
	dec->need_key = true;
}

void mcu_vdec_stats(const struct mcu_vdec *dec, struct mcu_vdec_stats *st)
{
	if (!st)
		return;
	if (!dec) {
		memset(st, 0, sizeof(*st));
		return;
	}
	*st = dec->st;
}
