#define MCU_LOG_MODULE "aresample"
#include "conf/log.h"
#include "codec/aresample.h"
#include "codec/media.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <libavutil/audio_fifo.h>
#include <libavutil/channel_layout.h>
#include <libswresample/swresample.h>

/* FIFO bound: one second at the output rate; more means a stuck reader. */
#define MAX_QUEUE_S 1

struct mcu_aresample {
	SwrContext *swr;
	AVAudioFifo *fifo;
	AVFrame *conv;
	int rate, channels;
	enum AVSampleFormat fmt;
	AVChannelLayout layout;
	/* Input parameters the SwrContext was built for. */
	int in_rate, in_fmt;
	AVChannelLayout in_layout;
};

int mcu_aresample_alloc(struct mcu_aresample **rsp, int rate,
                        enum AVSampleFormat fmt, int channels)
{
	struct mcu_aresample *rs;

	if (!rsp || rate < 8000 || rate > 192000 || channels < 1 ||
	    channels > 2 || fmt <= AV_SAMPLE_FMT_NONE ||
	    fmt >= AV_SAMPLE_FMT_NB)
		return EINVAL;
	rs = calloc(1, sizeof(*rs));
	if (!rs)
		return ENOMEM;
	rs->rate = rate;
	rs->fmt = fmt;
	rs->channels = channels;
	av_channel_layout_default(&rs->layout, channels);
	rs->in_fmt = AV_SAMPLE_FMT_NONE;
	rs->fifo = av_audio_fifo_alloc(fmt, channels, rate / 10);
	rs->conv = av_frame_alloc();
	if (!rs->fifo || !rs->conv) {
		mcu_aresample_free(rs);
		return ENOMEM;
	}
	*rsp = rs;
	return 0;
}

struct mcu_aresample *mcu_aresample_free(struct mcu_aresample *rs)
{
	if (!rs)
		return NULL;
	swr_free(&rs->swr);
	if (rs->fifo)
		av_audio_fifo_free(rs->fifo);
	av_frame_free(&rs->conv);
	av_channel_layout_uninit(&rs->layout);
	av_channel_layout_uninit(&rs->in_layout);
	free(rs);
	return NULL;
}

static int setup_swr(struct mcu_aresample *rs, const AVFrame *in)
{
	int ret;

	if (rs->swr && in->sample_rate == rs->in_rate &&
	    in->format == rs->in_fmt &&
	    !av_channel_layout_compare(&in->ch_layout, &rs->in_layout))
		return 0;
	swr_free(&rs->swr);
	av_channel_layout_uninit(&rs->in_layout);
	rs->in_fmt = AV_SAMPLE_FMT_NONE;
	/* FFmpeg 5.1 declares the input layout non-const; it is not written */
	AVChannelLayout in_layout = in->ch_layout;
	ret = swr_alloc_set_opts2(&rs->swr, &rs->layout, rs->fmt, rs->rate,
	                          &in_layout, in->format, in->sample_rate, 0,
	                          NULL);
	if (ret >= 0 && in->ch_layout.nb_channels == 1 && rs->channels == 2) {
		/* A mono mix sent as stereo: both sides at full level (swr's
		 * default matrix would take 3 dB off each). */
		static const double dup[2] = {1.0, 1.0};
		ret = swr_set_matrix(rs->swr, dup, 1);
	}
	if (ret >= 0)
		ret = swr_init(rs->swr);
	if (ret < 0) {
		mcu_log_ratelimited(MCU_LOG_WARN, 5000,
		                    "resampler %d Hz %d ch fmt %d -> %d Hz: %s",
		                    in->sample_rate, in->ch_layout.nb_channels,
		                    in->format, rs->rate, av_err2str(ret));
		swr_free(&rs->swr);
		return ret == AVERROR(ENOMEM) ? ENOMEM : EINVAL;
	}
	ret = av_channel_layout_copy(&rs->in_layout, &in->ch_layout);
	if (ret < 0) {
		swr_free(&rs->swr);
		return ENOMEM;
	}
	rs->in_rate = in->sample_rate;
	rs->in_fmt = in->format;
	return 0;
}

int mcu_aresample_push_raw(struct mcu_aresample *rs, void *const *data,
                           int nb_samples)
{
	int room = rs->rate * MAX_QUEUE_S - av_audio_fifo_size(rs->fifo);

	if (nb_samples <= 0)
		return 0;
	if (nb_samples > room) {
		/* Nobody pulls: drop the oldest rather than grow forever. */
		mcu_log_ratelimited(MCU_LOG_WARN, 5000,
		                    "audio FIFO full, dropping %d samples",
		                    nb_samples - (room > 0 ? room : 0));
		av_audio_fifo_drain(rs->fifo,
		                    nb_samples - (room > 0 ? room : 0));
	}
	if (av_audio_fifo_write(rs->fifo, (void **)data, nb_samples) <
	    nb_samples)
		return ENOMEM;
	return 0;
}

int mcu_aresample_push(struct mcu_aresample *rs, const AVFrame *in)
{
	int err, ret, out_max;

	if (!rs || !in || in->nb_samples <= 0 || in->sample_rate < 1000 ||
	    in->ch_layout.nb_channels < 1)
		return EINVAL;
	err = setup_swr(rs, in);
	if (err)
		return err;
	out_max = swr_get_out_samples(rs->swr, in->nb_samples);
	if (out_max < 0)
		return EINVAL;
	if (out_max == 0)
		out_max = 1;
	if (rs->conv->nb_samples < out_max) {
		av_frame_unref(rs->conv);
		rs->conv->format = rs->fmt;
		rs->conv->sample_rate = rs->rate;
		rs->conv->nb_samples = out_max;
		if (av_channel_layout_copy(&rs->conv->ch_layout, &rs->layout) <
		        0 ||
		    av_frame_get_buffer(rs->conv, 0) < 0) {
			av_frame_unref(rs->conv);
			return ENOMEM;
		}
	}
	ret = swr_convert(rs->swr, rs->conv->data, rs->conv->nb_samples,
	                  (const uint8_t **)in->extended_data, in->nb_samples);
	if (ret < 0) {
		mcu_log_ratelimited(MCU_LOG_WARN, 5000, "swr_convert: %s",
		                    av_err2str(ret));
		return mcu_averror(ret);
	}
	return mcu_aresample_push_raw(rs, (void *const *)rs->conv->data, ret);
}

int mcu_aresample_available(const struct mcu_aresample *rs)
{
	return rs ? av_audio_fifo_size(rs->fifo) : 0;
}

int mcu_aresample_pull(struct mcu_aresample *rs, int nb_samples, AVFrame **outp)
{
	AVFrame *f;

	if (!rs || !outp || nb_samples <= 0)
		return EINVAL;
	if (av_audio_fifo_size(rs->fifo) < nb_samples)
		return EAGAIN;
	f = av_frame_alloc();
	if (!f)
		return ENOMEM;
	f->format = rs->fmt;
	f->sample_rate = rs->rate;
	f->nb_samples = nb_samples;
	if (av_channel_layout_copy(&f->ch_layout, &rs->layout) < 0 ||
	    av_frame_get_buffer(f, 0) < 0 ||
	    av_audio_fifo_read(rs->fifo, (void **)f->data, nb_samples) !=
	        nb_samples) {
		av_frame_free(&f);
		return ENOMEM;
	}
	*outp = f;
	return 0;
}
