#define MCU_LOG_MODULE "adec"
#include "conf/log.h"
#include "codec/adec.h"
#include "codec/aresample.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <libavcodec/avcodec.h>
#include <libavutil/channel_layout.h>

#define ADEC_MAX_PACKET 65536
/* Concealment: gain per lost frame (-6 dB) and frames until silence. */
#define PLC_STEP      0.5f
#define PLC_MAX_LOSES 5

struct mcu_adec {
	AVCodecContext *ctx;
	AVPacket *pkt;
	AVFrame *frame;
	struct mcu_aresample *rs;
	enum mcu_acodec codec;
	int16_t last[MCU_AUDIO_FRAME]; /* last frame handed out */
	bool have_last;
	int losses; /* consecutive concealed frames */
	struct mcu_adec_stats st;
};

static const char *decoder_name(enum mcu_acodec codec)
{
	switch (codec) {
	case MCU_ACODEC_OPUS:
		return "opus";
	case MCU_ACODEC_PCMU:
		return "pcm_mulaw";
	case MCU_ACODEC_PCMA:
		return "pcm_alaw";
	case MCU_ACODEC_G722:
		return "g722";
	}
	return NULL;
}

int mcu_adec_alloc(struct mcu_adec **decp, enum mcu_acodec codec)
{
	struct mcu_adec *dec;
	const char *name = decoder_name(codec);
	const AVCodec *c;
	int err = 0, ret;

	if (!decp || !name)
		return EINVAL;
	c = avcodec_find_decoder_by_name(name);
	if (!c) {
		mcu_log_error("%s decoder missing from libavcodec", name);
		return ENOENT;
	}
	dec = calloc(1, sizeof(*dec));
	if (!dec)
		return ENOMEM;
	dec->codec = codec;
	dec->ctx = avcodec_alloc_context3(c);
	dec->pkt = av_packet_alloc();
	dec->frame = av_frame_alloc();
	if (!dec->ctx || !dec->pkt || !dec->frame) {
		err = ENOMEM;
		goto out;
	}
	err =
	    mcu_aresample_alloc(&dec->rs, MCU_AUDIO_RATE, AV_SAMPLE_FMT_S16, 1);
	if (err)
		goto out;
	dec->ctx->sample_rate = mcu_acodec_sample_rate(codec);
	/* Opus in RTP is always signalled as 2 channels; decoding to stereo
	 * handles both kinds of stream, the resampler downmixes. */
	av_channel_layout_default(&dec->ctx->ch_layout,
	                          codec == MCU_ACODEC_OPUS ? 2 : 1);
	dec->ctx->pkt_timebase = (AVRational){1, dec->ctx->sample_rate};
	ret = avcodec_open2(dec->ctx, c, NULL);
	if (ret < 0) {
		mcu_log_error("open %s decoder: %s", name, av_err2str(ret));
		err = mcu_averror(ret);
		goto out;
	}
out:
	if (err) {
		mcu_adec_free(dec);
		return err;
	}
	*decp = dec;
	return 0;
}

struct mcu_adec *mcu_adec_free(struct mcu_adec *dec)
{
	if (!dec)
		return NULL;
	avcodec_free_context(&dec->ctx);
	av_packet_free(&dec->pkt);
	av_frame_free(&dec->frame);
	mcu_aresample_free(dec->rs);
	free(dec);
	return NULL;
}

/* Hand out every whole 960-sample frame queued. */
static int output_frames(struct mcu_adec *dec, mcu_adec_frame_h *frameh,
                         void *arg)
{
	AVFrame *f;
	int err;

	while ((err = mcu_aresample_pull(dec->rs, MCU_AUDIO_FRAME, &f)) == 0) {
		memcpy(dec->last, f->data[0], sizeof(dec->last));
		dec->have_last = true;
		dec->st.frames++;
		if (frameh)
			frameh(f, arg);
		av_frame_free(&f);
	}
	return err == EAGAIN ? 0 : err;
}

int mcu_adec_decode(struct mcu_adec *dec, const uint8_t *data, size_t len,
                    mcu_adec_frame_h *frameh, void *arg)
{
	int err = 0, ret;

	/* An empty packet would put the decoder into draining mode. */
	if (!dec || !data || len == 0 || len > ADEC_MAX_PACKET)
		return EINVAL;
	dec->st.packets++;
	if (av_new_packet(dec->pkt, (int)len) < 0)
		return ENOMEM;
	memcpy(dec->pkt->data, data, len);
	ret = avcodec_send_packet(dec->ctx, dec->pkt);
	av_packet_unref(dec->pkt);
	if (ret < 0) {
		dec->st.errors++;
		mcu_log_ratelimited(MCU_LOG_DEBUG, 2000, "%s packet: %s",
		                    mcu_acodec_name(dec->codec),
		                    av_err2str(ret));
		return ret == AVERROR(ENOMEM) ? ENOMEM : EBADMSG;
	}
	for (;;) {
		ret = avcodec_receive_frame(dec->ctx, dec->frame);
		if (ret == AVERROR(EAGAIN) || ret == AVERROR_EOF)
			break;
		if (ret < 0) {
			dec->st.errors++;
			mcu_log_ratelimited(
			    MCU_LOG_DEBUG, 2000, "%s decode: %s",
			    mcu_acodec_name(dec->codec), av_err2str(ret));
			err = EBADMSG;
			break;
		}
		dec->losses = 0;
		ret = mcu_aresample_push(dec->rs, dec->frame);
		av_frame_unref(dec->frame);
		if (ret) {
			err = ret;
			break;
		}
	}
	ret = output_frames(dec, frameh, arg);
	return err ? err : ret;
}

int mcu_adec_decode_missing(struct mcu_adec *dec, mcu_adec_frame_h *frameh,
                            void *arg)
{
	int16_t buf[MCU_AUDIO_FRAME];
	void *planes[1] = {buf};
	float g0, g1;
	int err;

	if (!dec)
		return EINVAL;
	dec->st.concealed++;
	memset(buf, 0, sizeof(buf));
	if (dec->have_last && dec->losses < PLC_MAX_LOSES) {
		/* Fade linearly across the frame from this loss's gain to the
		 * next one's, so consecutive losses join without a step. */
		g0 = 1.0f;
		for (int i = 0; i < dec->losses; i++)
			g0 *= PLC_STEP;
		g1 = dec->losses + 1 < PLC_MAX_LOSES ? g0 * PLC_STEP : 0.0f;
		for (int i = 0; i < MCU_AUDIO_FRAME; i++) {
			float g = g0 + (g1 - g0) * (float)i / MCU_AUDIO_FRAME;
			buf[i] = (int16_t)((float)dec->last[i] * g);
		}
	}
	dec->losses++;
	err = mcu_aresample_push_raw(dec->rs, planes, MCU_AUDIO_FRAME);
	if (err)
		return err;
	/* output_frames() would overwrite `last` with the concealment and
	 * compound the fade; keep the real last frame. */
	int16_t keep[MCU_AUDIO_FRAME];
	bool had = dec->have_last;
	memcpy(keep, dec->last, sizeof(keep));
	err = output_frames(dec, frameh, arg);
	memcpy(dec->last, keep, sizeof(keep));
	dec->have_last = had;
	return err;
}

void mcu_adec_stats(const struct mcu_adec *dec, struct mcu_adec_stats *st)
{
	if (!st)
		return;
	if (!dec) {
		memset(st, 0, sizeof(*st));
		return;
	}
	*st = dec->st;
}
