#define MCU_LOG_MODULE "aenc"
#include "conf/log.h"
#include "codec/aenc.h"
#include "codec/aresample.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <libavcodec/avcodec.h>
#include <libavutil/channel_layout.h>
#include <libavutil/dict.h>
#include <libavutil/mathematics.h>

struct mcu_aenc {
	AVCodecContext *ctx;
	AVPacket *pkt;
	struct mcu_aresample *rs;
	struct mcu_aenc_config cfg;
	int chunk; /* codec samples per packet */
	int rtp_clock;
	int64_t pts; /* codec samples sent */
	struct mcu_aenc_stats st;
};

static const char *encoder_name(enum mcu_acodec codec)
{
	switch (codec) {
	case MCU_ACODEC_OPUS:
		return "libopus";
	case MCU_ACODEC_PCMU:
		return "pcm_mulaw";
	case MCU_ACODEC_PCMA:
		return "pcm_alaw";
	case MCU_ACODEC_G722:
		return "g722";
	}
	return NULL;
}

/* S16 if the encoder takes it (all ours do), else its first format. */
static enum AVSampleFormat pick_fmt(const AVCodec *c)
{
	const enum AVSampleFormat *f = c->sample_fmts;

	if (!f)
		return AV_SAMPLE_FMT_S16;
	for (int i = 0; f[i] != AV_SAMPLE_FMT_NONE; i++)
		if (f[i] == AV_SAMPLE_FMT_S16)
			return AV_SAMPLE_FMT_S16;
	return f[0];
}

int mcu_aenc_alloc(struct mcu_aenc **encp, const struct mcu_aenc_config *cfg)
{
	struct mcu_aenc *enc;
	const AVCodec *c;
	AVDictionary *opts = NULL;
	const char *name;
	int err = 0, ret, channels;

	if (!encp || !cfg)
		return EINVAL;
	name = encoder_name(cfg->codec);
	channels = cfg->channels ? cfg->channels : 1;
	if (!name || channels < 1 || channels > 2 ||
	    (channels == 2 && cfg->codec != MCU_ACODEC_OPUS) ||
	    (cfg->bitrate && (cfg->bitrate < 6000 || cfg->bitrate > 510000)))
		return EINVAL;
	c = avcodec_find_encoder_by_name(name);
	if (!c) {
		mcu_log_error("encoder %s missing from libavcodec", name);
		return ENOENT;
	}
	enc = calloc(1, sizeof(*enc));
	if (!enc)
		return ENOMEM;
	enc->cfg = *cfg;
	enc->cfg.channels = channels;
	enc->rtp_clock = mcu_acodec_rtp_clock(cfg->codec);
	enc->ctx = avcodec_alloc_context3(c);
	enc->pkt = av_packet_alloc();
	if (!enc->ctx || !enc->pkt) {
		err = ENOMEM;
		goto out;
	}
	AVCodecContext *ctx = enc->ctx;
	ctx->sample_rate = mcu_acodec_sample_rate(cfg->codec);
	ctx->sample_fmt = pick_fmt(c);
	av_channel_layout_default(&ctx->ch_layout, channels);
	ctx->time_base = (AVRational){1, ctx->sample_rate};
	if (cfg->codec == MCU_ACODEC_OPUS) {
		ctx->bit_rate = cfg->bitrate ? cfg->bitrate : 32000;
		av_dict_set(&opts, "application", "voip", 0);
		av_dict_set(&opts, "frame_duration", "20", 0);
		av_dict_set(&opts, "vbr", "on", 0);
		av_dict_set(&opts, "fec", "1", 0);
		av_dict_set(&opts, "packet_loss", "10", 0);
	}
	ret = avcodec_open2(ctx, c, &opts);
	if (ret < 0) {
		mcu_log_error("open %s encoder: %s", name, av_err2str(ret));
		err = mcu_averror(ret);
		goto out;
	}
	if (av_dict_count(opts)) {
		const AVDictionaryEntry *e =
		    av_dict_get(opts, "", NULL, AV_DICT_IGNORE_SUFFIX);
		mcu_log_warn("%s ignored option %s", name, e ? e->key : "?");
	}
	/* PCM encoders take any size (frame_size 0): use 20 ms. */
	enc->chunk =
	    ctx->frame_size > 0 ? ctx->frame_size : ctx->sample_rate / 50;
	err = mcu_aresample_alloc(&enc->rs, ctx->sample_rate, ctx->sample_fmt,
	                          channels);
out:
	av_dict_free(&opts);
	if (err) {
		mcu_aenc_free(enc);
		return err;
	}
	*encp = enc;
	return 0;
}

struct mcu_aenc *mcu_aenc_free(struct mcu_aenc *enc)
{
	if (!enc)
		return NULL;
	/* Drain (libopus holds its look-ahead) so closing is quiet. */
	if (enc->ctx && enc->pkt && avcodec_is_open(enc->ctx) &&
	    avcodec_send_frame(enc->ctx, NULL) >= 0) {
		while (avcodec_receive_packet(enc->ctx, enc->pkt) >= 0)
			av_packet_unref(enc->pkt);
	}
	avcodec_free_context(&enc->ctx);
	av_packet_free(&enc->pkt);
	mcu_aresample_free(enc->rs);
	free(enc);
	return NULL;
}

uint32_t mcu_aenc_rtp_ts_inc(const struct mcu_aenc *enc)
{
	if (!enc)
		return 0;
	return (uint32_t)av_rescale(enc->chunk, enc->rtp_clock,
	                            enc->ctx->sample_rate);
}

static int receive_all(struct mcu_aenc *enc, mcu_aenc_packet_h *pkth, void *arg)
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
			    mcu_acodec_name(enc->cfg.codec), av_err2str(ret));
			return ret == AVERROR(ENOMEM) ? ENOMEM : EIO;
		}
		int64_t dur = pkt->duration > 0 ? pkt->duration : enc->chunk;
		uint32_t inc = (uint32_t)av_rescale(dur, enc->rtp_clock,
		                                    enc->ctx->sample_rate);
		enc->st.packets++;
		enc->st.bytes += (uint64_t)pkt->size;
		if (pkth)
			pkth(pkt, inc, arg);
		av_packet_unref(pkt);
	}
}

int mcu_aenc_encode(struct mcu_aenc *enc, const AVFrame *frame,
                    mcu_aenc_packet_h *pkth, void *arg)
{
	AVFrame *f;
	int err, ret;

	if (!enc || !frame || frame->format != AV_SAMPLE_FMT_S16 ||
	    frame->sample_rate != MCU_AUDIO_RATE ||
	    frame->ch_layout.nb_channels != 1 || frame->nb_samples < 1 ||
	    frame->nb_samples > MCU_AUDIO_RATE / 10 || !frame->data[0])
		return EINVAL;
	enc->st.frames++;
	err = mcu_aresample_push(enc->rs, frame);
	if (err)
		return err;
	while ((err = mcu_aresample_pull(enc->rs, enc->chunk, &f)) == 0) {
		f->pts = enc->pts;
		enc->pts += enc->chunk;
		ret = avcodec_send_frame(enc->ctx, f);
		av_frame_free(&f);
		if (ret < 0) {
			mcu_log_ratelimited(
			    MCU_LOG_ERROR, 5000, "%s send_frame: %s",
			    mcu_acodec_name(enc->cfg.codec), av_err2str(ret));
			return ret == AVERROR(ENOMEM) ? ENOMEM : EIO;
		}
		err = receive_all(enc, pkth, arg);
		if (err)
			return err;
	}
	return err == EAGAIN ? 0 : err;
}

void mcu_aenc_stats(const struct mcu_aenc *enc, struct mcu_aenc_stats *st)
{
	if (!st)
		return;
	memset(st, 0, sizeof(*st));
	if (enc)
		*st = enc->st;
}
