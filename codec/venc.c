/*
 * Why the encoder is configured this way: every picture is encoded on the
 * video tick and must be on the wire before the next one, so anything that
 * holds pictures back (B-frames, rc/sync look-ahead, frame threads, lag) is
 * off, and each send_frame yields its packet immediately. The rate control
 * is "CBR-ish": target = maxrate = configured bitrate with a VBV buffer of
 * half a second, which keeps the burst of an IDR within what a branch
 * office link and its jitter buffer absorb, and still lets an IDR be ~15x
 * the size of a P-frame at 30 fps. Scene-cut IDRs are off: key frames come
 * on schedule (keyint) or when a receiver asks (PLI/FIR, coalesced above us).
 *
 * Encoder pts are our own counter in 1/fps units (what x264/libvpx rate
 * control expects); the caller's pts is kept in a small ring and put back on
 * the packet, which works because output is strictly one packet per
 * picture, in order.
 */
#define MCU_LOG_MODULE "venc"
#include "conf/log.h"
#include "codec/venc.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libavcodec/avcodec.h>
#include <libavutil/dict.h>

#define PTS_RING 64

struct mcu_venc {
	AVCodecContext *ctx;
	AVFrame *tmp;
	AVPacket *pkt;
	struct mcu_venc_config cfg;
	atomic_bool key_request;
	int64_t next_pts;
	int64_t pts_ring[PTS_RING];
	struct mcu_venc_stats st;
};

static int check_config(const struct mcu_venc_config *c)
{
	if (c->codec != MCU_VCODEC_H264 && c->codec != MCU_VCODEC_VP8)
		return EINVAL;
	if (c->width < 16 || c->height < 16 || c->width > 4096 ||
	    c->height > 4096 || (c->width & 1) || (c->height & 1))
		return EINVAL;
	if (c->fps < 1 || c->fps > 120 || c->bitrate < 32000 ||
	    c->bitrate > 20000000 || c->keyint < 0 || c->threads < 0 ||
	    c->threads > 16 ||
	    (c->cpu_used && (c->cpu_used < 4 || c->cpu_used > 16)))
		return EINVAL;
	return 0;
}

static int set_x264(AVCodecContext *ctx, const struct mcu_venc_config *c,
                    AVDictionary **opts)
{
	ctx->max_b_frames = 0;
	ctx->refs = 1;
	av_dict_set(opts, "preset", c->preset ? c->preset : "veryfast", 0);
	av_dict_set(opts, "tune", "zerolatency", 0);
	/* x264's "baseline" is constrained baseline (constraint_set1). */
	av_dict_set(opts, "profile", "baseline", 0);
	av_dict_set(opts, "forced-idr", "1", 0);
	av_dict_set(opts, "intra-refresh", "0", 0);
	/* repeat-headers: SPS/PPS before every IDR; annexb: start codes. */
	av_dict_set(opts, "x264-params",
	            "repeat-headers=1:annexb=1:scenecut=0:nal-hrd=none", 0);
	return 0;
}

static int set_vp8(AVCodecContext *ctx, const struct mcu_venc_config *c,
                   AVDictionary **opts)
{
	char speed[8];

	snprintf(speed, sizeof(speed), "%d", c->cpu_used ? c->cpu_used : 8);
	ctx->rc_min_rate = c->bitrate; /* min == max: libvpx CBR mode */
	ctx->qmin = 4;
	ctx->qmax = 56;
	av_dict_set(opts, "deadline", "realtime", 0);
	av_dict_set(opts, "cpu-used", speed, 0);
	av_dict_set(opts, "error-resilient", "default", 0);
	av_dict_set(opts, "lag-in-frames", "0", 0);
	av_dict_set(opts, "auto-alt-ref", "0", 0);
	return 0;
}

int mcu_venc_alloc(struct mcu_venc **encp, const struct mcu_venc_config *cfg)
{
	struct mcu_venc *enc;
	const AVCodec *c;
	AVDictionary *opts = NULL;
	const char *name;
	int err, ret;

	if (!encp || !cfg)
		return EINVAL;
	err = check_config(cfg);
	if (err) {
		mcu_log_error("bad encoder config %s %dx%d@%d %d bit/s",
		              mcu_vcodec_name(cfg->codec), cfg->width,
		              cfg->height, cfg->fps, cfg->bitrate);
		return err;
	}
	name = cfg->codec == MCU_VCODEC_H264 ? "libx264" : "libvpx";
	c = avcodec_find_encoder_by_name(name);
	if (!c) {
		mcu_log_error("encoder %s missing from libavcodec", name);
		return ENOENT;
	}
	enc = calloc(1, sizeof(*enc));
	if (!enc)
		return ENOMEM;
	enc->cfg = *cfg;
	enc->cfg.preset = NULL; /* not kept: the caller owns the string */
	if (!enc->cfg.keyint)
		enc->cfg.keyint = cfg->fps * 10;
	atomic_init(&enc->key_request, false);
	enc->ctx = avcodec_alloc_context3(c);
	enc->tmp = av_frame_alloc();
	enc->pkt = av_packet_alloc();
	if (!enc->ctx || !enc->tmp || !enc->pkt) {
		err = ENOMEM;
		goto out;
	}
	AVCodecContext *ctx = enc->ctx;
	ctx->width = cfg->width;
	ctx->height = cfg->height;
	ctx->pix_fmt = AV_PIX_FMT_YUV420P;
	ctx->time_base = (AVRational){1, cfg->fps};
	ctx->framerate = (AVRational){cfg->fps, 1};
	ctx->gop_size = enc->cfg.keyint;
	ctx->bit_rate = cfg->bitrate;
	ctx->rc_max_rate = cfg->bitrate;
	ctx->rc_buffer_size = cfg->bitrate / 2;
	ctx->thread_type = FF_THREAD_SLICE;
	ctx->thread_count = cfg->threads ? cfg->threads : 1;
	ctx->flags &= ~AV_CODEC_FLAG_GLOBAL_HEADER;
	if (cfg->codec == MCU_VCODEC_H264)
		set_x264(ctx, cfg, &opts);
	else
		set_vp8(ctx, cfg, &opts);
	ret = avcodec_open2(ctx, c, &opts);
	if (ret < 0) {
		mcu_log_error("open %s %dx%d: %s", name, cfg->width,
		              cfg->height, av_err2str(ret));
		err = mcu_averror(ret);
		goto out;
	}
	if (av_dict_count(opts)) {
		const AVDictionaryEntry *e =
		    av_dict_get(opts, "", NULL, AV_DICT_IGNORE_SUFFIX);
		mcu_log_warn("%s ignored option %s", name, e ? e->key : "?");
	}
	err = 0;
out:
	av_dict_free(&opts);
	if (err) {
		mcu_venc_free(enc);
		return err;
	}
	*encp = enc;
	return 0;
}

struct mcu_venc *mcu_venc_free(struct mcu_venc *enc)
{
	if (!enc)
		return NULL;
	avcodec_free_context(&enc->ctx);
	av_frame_free(&enc->tmp);
	av_packet_free(&enc->pkt);
	free(enc);
	return NULL;
}

void mcu_venc_request_keyframe(struct mcu_venc *enc)
{
	if (enc)
		atomic_store(&enc->key_request, true);
}

static int receive_all(struct mcu_venc *enc, mcu_venc_packet_h *pkth, void *arg)
{
	AVPacket *pkt = enc->pkt;
	int ret;

	for (;;) {
		ret = avcodec_receive_packet(enc->ctx, pkt);
		if (ret == AVERROR(EAGAIN) || ret == AVERROR_EOF)
			return 0;
		if (ret < 0) {
			mcu_log_ratelimited(
			    MCU_LOG_ERROR, 5000, "%s receive_packet: %s",
			    mcu_vcodec_name(enc->cfg.codec), av_err2str(ret));
			return ret == AVERROR(ENOMEM) ? ENOMEM : EIO;
		}
		bool key = pkt->flags & AV_PKT_FLAG_KEY;
		enc->st.frames++;
		enc->st.keyframes += key;
		enc->st.bytes += (uint64_t)pkt->size;
		if (pkt->pts != AV_NOPTS_VALUE && pkt->pts >= 0) {
			pkt->pts = enc->pts_ring[pkt->pts % PTS_RING];
			pkt->dts = pkt->pts;
		}
		if (pkth)
			pkth(pkt, key, arg);
		av_packet_unref(pkt);
	}
}

int mcu_venc_encode(struct mcu_venc *enc, const AVFrame *frame,
                    mcu_venc_packet_h *pkth, void *arg)
{
	int ret;

	if (!enc || !frame || frame->format != AV_PIX_FMT_YUV420P ||
	    frame->width != enc->cfg.width ||
	    frame->height != enc->cfg.height || !frame->data[0])
		return EINVAL;
	ret = av_frame_ref(enc->tmp, frame);
	if (ret < 0)
		return mcu_averror(ret);
	enc->pts_ring[enc->next_pts % PTS_RING] = frame->pts;
	enc->tmp->pts = enc->next_pts++;
	enc->tmp->pict_type = AV_PICTURE_TYPE_NONE;
	enc->tmp->key_frame = 0;
	if (atomic_exchange(&enc->key_request, false)) {
		enc->tmp->pict_type = AV_PICTURE_TYPE_I;
		enc->tmp->key_frame = 1;
	}
	ret = avcodec_send_frame(enc->ctx, enc->tmp);
	av_frame_unref(enc->tmp);
	if (ret < 0) {
		mcu_log_ratelimited(MCU_LOG_ERROR, 5000, "%s send_frame: %s",
		                    mcu_vcodec_name(enc->cfg.codec),
		                    av_err2str(ret));
		return ret == AVERROR(ENOMEM) ? ENOMEM : EIO;
	}
	return receive_all(enc, pkth, arg);
}

void mcu_venc_stats(const struct mcu_venc *enc, struct mcu_venc_stats *st)
{
	if (!st)
		return;
	memset(st, 0, sizeof(*st));
	if (!enc)
		return;
	*st = enc->st;
	if (st->frames)
		st->bitrate = (int64_t)(st->bytes * 8 * (uint64_t)enc->cfg.fps /
		                        st->frames);
}
