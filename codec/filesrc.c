/*
 * filesrc: demux and decode a local media file (see filesrc.h).
 *
 * One AVFormatContext, at most one video and one audio decoder (the
 * streams av_find_best_stream() picks). next() alternates "receive what a
 * decoder has" and "read and send the next packet", so items come out in
 * the file's interleaving order and no decoder holds more than one packet's
 * worth of output. At the end of the file each decoder is flushed once.
 */
#define MCU_LOG_MODULE "filesrc"
#include "codec/filesrc.h"
#include "conf/log.h"

#include "codec/aresample.h"
#include "codec/framepool.h"
#include "codec/media.h"
#include "codec/vscale.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/dict.h>
#include <libavutil/pixdesc.h>

/* A picture without a timestamp follows the last one after this long. */
#define DEFAULT_FRAME_US 40000

struct dec {
	AVCodecContext *ctx;
	int index;          /* stream index, -1: none */
	AVRational tb;      /* the stream's time base */
	bool flushed, done; /* NULL packet sent / AVERROR_EOF seen */
};

struct mcu_filesrc {
	AVFormatContext *fmt;
	AVPacket *pkt;
	AVFrame *frame;
	struct dec v, a;
	struct dec *cur;  /* the decoder that may have output now */
	bool eof;         /* no more packets */
	int64_t start_us; /* the file's first timestamp */
	int max_w, max_h;
	struct mcu_vscale *sc;
	struct mcu_framepool *pool;
	struct mcu_aresample *rs;
	int64_t last_vpts_us;
	int64_t audio_base_us;           /* pts of the first sound, -1 before */
	int64_t audio_samples;           /* handed out since then */
	unsigned errors;                 /* in a row */
	struct mcu_filesrc_item pending; /* decoded by open(), not yet read */
	struct mcu_filesrc_info info;
};

static void say(char *why, size_t len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void say(char *why, size_t len, const char *fmt, ...)
{
	va_list ap;
	if (!why || !len)
		return;
	va_start(ap, fmt);
	vsnprintf(why, len, fmt, ap);
	va_end(ap);
}

static void copy_name(char *dst, size_t len, const char *src)
{
	snprintf(dst, len, "%s", src ? src : "");
}

/* Open the decoder of the best stream of `type`; a stream nothing here
 * decodes is left out (index -1), not an error. */
static int open_decoder(struct mcu_filesrc *fs, enum AVMediaType type,
                        struct dec *d)
{
	const AVCodec *codec = NULL;
	AVStream *st;
	int idx, ret;

	d->index = -1;
	idx = av_find_best_stream(fs->fmt, type, -1, -1, &codec, 0);
	if (idx < 0 || !codec)
		return 0;
	st = fs->fmt->streams[idx];
	d->ctx = avcodec_alloc_context3(codec);
	if (!d->ctx)
		return ENOMEM;
	ret = avcodec_parameters_to_context(d->ctx, st->codecpar);
	if (ret >= 0) {
		d->ctx->pkt_timebase = st->time_base;
		/* A worker thread decodes, not the media tick: two threads
		 * keep a 720p file well ahead of real time. */
		d->ctx->thread_count = 2;
		ret = avcodec_open2(d->ctx, codec, NULL);
	}
	if (ret < 0) {
		mcu_log_warn("cannot open the %s decoder of stream %d: %s",
		             codec->name, idx, av_err2str(ret));
		avcodec_free_context(&d->ctx);
		return ret == AVERROR(ENOMEM) ? ENOMEM : 0;
	}
	d->index = idx;
	d->tb = st->time_base;
	return 0;
}

static void close_decoder(struct dec *d)
{
	avcodec_free_context(&d->ctx);
	d->index = -1;
}

static int64_t frame_us(const struct mcu_filesrc *fs, const struct dec *d,
                        const AVFrame *f)
{
	int64_t ts = f->best_effort_timestamp;
	if (ts == AV_NOPTS_VALUE)
		ts = f->pts;
	if (ts == AV_NOPTS_VALUE)
		return AV_NOPTS_VALUE;
	ts = av_rescale_q(ts, d->tb, AV_TIME_BASE_Q) - fs->start_us;
	return ts < 0 ? 0 : ts;
}

/* Picture size within the bound, aspect kept, even, at least 2x2. */
static void fit_size(int w, int h, int max_w, int max_h, int *ow, int *oh)
{
	double s = 1.0;
	if (w > max_w)
		s = (double)max_w / w;
	if (h * s > max_h)
		s = (double)max_h / h;
	*ow = (int)(w * s) & ~1;
	*oh = (int)(h * s) & ~1;
	if (*ow < 2)
		*ow = 2;
	if (*oh < 2)
		*oh = 2;
}

/* The decoded picture in fs->frame as an item (a reference, or converted). */
static int video_item(struct mcu_filesrc *fs, struct mcu_filesrc_item *it)
{
	AVFrame *f = fs->frame, *out = NULL;
	int64_t us = frame_us(fs, &fs->v, f);
	int w, h, pw = 0, ph = 0, err;

	if (us == AV_NOPTS_VALUE)
		us = fs->last_vpts_us + DEFAULT_FRAME_US;
	fs->last_vpts_us = us;
	if ((f->format == AV_PIX_FMT_YUV420P ||
	     f->format == AV_PIX_FMT_YUVJ420P) &&
	    f->width <= fs->max_w && f->height <= fs->max_h &&
	    !(f->width & 1) && !(f->height & 1)) {
		out = av_frame_clone(f);
		if (!out)
			return ENOMEM;
	} else {
		fit_size(f->width, f->height, fs->max_w, fs->max_h, &w, &h);
		if (fs->pool)
			mcu_framepool_size(fs->pool, &pw, &ph);
		if (pw != w || ph != h) {
			fs->pool = mcu_framepool_free(fs->pool);
			err = mcu_framepool_alloc(&fs->pool, w, h);
			if (err)
				return err;
		}
		err = mcu_framepool_get(fs->pool, &out);
		if (err)
			return err;
		err = mcu_vscale_draw(fs->sc, out,
		                      &(struct mcu_vscale_rect){0, 0, w, h}, f,
		                      MCU_VSCALE_STRETCH);
		if (err) {
			av_frame_free(&out);
			return err;
		}
	}
	out->pts = us;
	it->kind = MCU_FILESRC_VIDEO;
	it->pts_us = us;
	it->frame = out;
	return 0;
}

/* The sound in fs->frame, resampled; EAGAIN when it made no whole sample. */
static int audio_item(struct mcu_filesrc *fs, struct mcu_filesrc_item *it)
{
	int n, err;

	if (fs->audio_base_us < 0) {
		int64_t us = frame_us(fs, &fs->a, fs->frame);
		fs->audio_base_us = us == AV_NOPTS_VALUE ? 0 : us;
	}
	err = mcu_aresample_push(fs->rs, fs->frame);
	if (err)
		return err;
	n = mcu_aresample_available(fs->rs);
	if (n <= 0)
		return EAGAIN;
	err = mcu_aresample_pull(fs->rs, n, &it->frame);
	if (err)
		return err;
	it->kind = MCU_FILESRC_AUDIO;
	it->pts_us =
	    fs->audio_base_us + fs->audio_samples * 1000000 / MCU_AUDIO_RATE;
	it->frame->pts = it->pts_us;
	fs->audio_samples += n;
	return 0;
}

/* Send fs->pkt (or the flush) to its decoder; counts errors. */
static void send_packet(struct mcu_filesrc *fs, struct dec *d, bool flush)
{
	int ret = avcodec_send_packet(d->ctx, flush ? NULL : fs->pkt);
	if (flush)
		d->flushed = true;
	if (ret < 0 && ret != AVERROR(EAGAIN) && ret != AVERROR_EOF) {
		fs->errors++;
		mcu_log_ratelimited(MCU_LOG_DEBUG, 5000,
		                    "damaged packet in stream %d: %s", d->index,
		                    av_err2str(ret));
	}
	fs->cur = d;
}

/* Next item from fs->cur, if it has one: 0, EAGAIN (none now), or an
 * error. */
static int receive(struct mcu_filesrc *fs, struct mcu_filesrc_item *it)
{
	struct dec *d = fs->cur;
	int ret, err;

	for (;;) {
		ret = avcodec_receive_frame(d->ctx, fs->frame);
		if (ret == AVERROR(EAGAIN)) {
			fs->cur = NULL;
			return EAGAIN;
		}
		if (ret == AVERROR_EOF) {
			d->done = true;
			fs->cur = NULL;
			return EAGAIN;
		}
		if (ret < 0) {
			fs->errors++;
			fs->cur = NULL;
			return EAGAIN;
		}
		err = d == &fs->v ? video_item(fs, it) : audio_item(fs, it);
		av_frame_unref(fs->frame);
		if (!err) {
			fs->errors = 0;
			return 0;
		}
		if (err == ENOMEM)
			return err;
		if (err != EAGAIN) /* a picture swscale cannot read... */
			fs->errors++;
		if (fs->errors >= MCU_FILESRC_MAX_ERRORS)
			return EBADMSG;
	}
}

static int next_item(struct mcu_filesrc *fs, struct mcu_filesrc_item *it)
{
	int ret, err;

	for (;;) {
		if (fs->errors >= MCU_FILESRC_MAX_ERRORS)
			return EBADMSG;
		if (fs->cur) {
			err = receive(fs, it);
			if (err != EAGAIN)
				return err;
			continue;
		}
		if (fs->eof) {
			struct dec *d = NULL;
			if (fs->v.ctx && !fs->v.flushed)
				d = &fs->v;
			else if (fs->a.ctx && !fs->a.flushed)
				d = &fs->a;
			if (!d)
				return ENODATA;
			send_packet(fs, d, true);
			continue;
		}
		ret = av_read_frame(fs->fmt, fs->pkt);
		if (ret < 0) {
			if (ret != AVERROR_EOF)
				mcu_log_warn(
				    "read error, the file ends here: %s",
				    av_err2str(ret));
			fs->eof = true;
			continue;
		}
		if (fs->v.ctx && fs->pkt->stream_index == fs->v.index)
			send_packet(fs, &fs->v, false);
		else if (fs->a.ctx && fs->pkt->stream_index == fs->a.index)
			send_packet(fs, &fs->a, false);
		av_packet_unref(fs->pkt);
	}
}

int mcu_filesrc_next(struct mcu_filesrc *fs, struct mcu_filesrc_item *item)
{
	if (!fs || !item)
		return EINVAL;
	if (fs->pending.frame) {
		*item = fs->pending;
		memset(&fs->pending, 0, sizeof(fs->pending));
		return 0;
	}
	memset(item, 0, sizeof(*item));
	return next_item(fs, item);
}

static int open_input(struct mcu_filesrc *fs, const char *path, char *why,
                      size_t why_len)
{
	AVDictionary *opts = NULL;
	int ret;

	/* Local files only: no URL a playlist or concat list might name. */
	av_dict_set(&opts, "protocol_whitelist", "file", 0);
	/* image2: a '%' in a file name is not a sequence pattern. */
	av_dict_set(&opts, "pattern_type", "none", 0);
	ret = avformat_open_input(&fs->fmt, path, NULL, &opts);
	av_dict_free(&opts);
	if (ret < 0) {
		int err = mcu_averror(ret);
		/* Not media at all reads as "invalid data". */
		say(why, why_len, "cannot open %s: %s", path, av_err2str(ret));
		return err == ENOENT && ret != AVERROR(ENOENT) ? EINVAL : err;
	}
	ret = avformat_find_stream_info(fs->fmt, NULL);
	if (ret < 0) {
		say(why, why_len, "%s: cannot read its streams: %s", path,
		    av_err2str(ret));
		return EINVAL;
	}
	return 0;
}

static void fill_info(struct mcu_filesrc *fs)
{
	struct mcu_filesrc_info *in = &fs->info;
	in->has_video = fs->v.ctx != NULL;
	in->has_audio = fs->a.ctx != NULL;
	if (fs->v.ctx) {
		in->width = fs->v.ctx->width;
		in->height = fs->v.ctx->height;
		copy_name(in->vcodec, sizeof(in->vcodec),
		          fs->v.ctx->codec->name);
	}
	if (fs->a.ctx)
		copy_name(in->acodec, sizeof(in->acodec),
		          fs->a.ctx->codec->name);
	if (fs->fmt->duration > 0)
		in->duration_s = (double)fs->fmt->duration / AV_TIME_BASE;
	copy_name(in->format, sizeof(in->format), fs->fmt->iformat->name);
}

int mcu_filesrc_open(struct mcu_filesrc **fsp, const char *path, int max_width,
                     int max_height, char *why, size_t why_len)
{
	struct mcu_filesrc *fs;
	int err;

	say(why, why_len, "%s", "");
	if (!fsp || !path || !*path || max_width < 0 || max_height < 0 ||
	    (max_width && (max_width < 16 || max_width > 8192)) ||
	    (max_height && (max_height < 16 || max_height > 8192))) {
		say(why, why_len, "bad arguments");
		return EINVAL;
	}
	fs = calloc(1, sizeof(*fs));
	if (!fs)
		return ENOMEM;
	fs->v.index = fs->a.index = -1;
	fs->max_w = (max_width ? max_width : MCU_FILESRC_MAX_WIDTH) & ~1;
	fs->max_h = (max_height ? max_height : MCU_FILESRC_MAX_HEIGHT) & ~1;
	fs->audio_base_us = -1;
	fs->pkt = av_packet_alloc();
	fs->frame = av_frame_alloc();
	if (!fs->pkt || !fs->frame) {
		err = ENOMEM;
		goto out;
	}
	err = open_input(fs, path, why, why_len);
	if (err)
		goto out;
	fs->start_us =
	    fs->fmt->start_time != AV_NOPTS_VALUE && fs->fmt->start_time > 0
	        ? fs->fmt->start_time
	        : 0;
	err = open_decoder(fs, AVMEDIA_TYPE_VIDEO, &fs->v);
	if (!err)
		err = open_decoder(fs, AVMEDIA_TYPE_AUDIO, &fs->a);
	if (!err && fs->v.ctx)
		err = mcu_vscale_alloc(&fs->sc);
	if (!err && fs->a.ctx)
		err = mcu_aresample_alloc(&fs->rs, MCU_AUDIO_RATE,
		                          AV_SAMPLE_FMT_S16, 1);
	if (err)
		goto out;
	if (!fs->v.ctx && !fs->a.ctx) {
		say(why, why_len,
		    "%s: no picture or sound this server can "
		    "decode",
		    path);
		err = EINVAL;
		goto out;
	}
	fill_info(fs);
	/* Decode up to the first item: a damaged file fails here. */
	err = next_item(fs, &fs->pending);
	if (err) {
		say(why, why_len, "%s: nothing in it decodes (%s)", path,
		    err == ENODATA ? "no picture or sound before the end"
		                   : strerror(err));
		err = err == ENOMEM ? ENOMEM : EINVAL;
		goto out;
	}
	if (fs->pending.kind == MCU_FILESRC_VIDEO && !fs->info.width) {
		fs->info.width = fs->pending.frame->width;
		fs->info.height = fs->pending.frame->height;
	}
	mcu_log_info("%s: %s, %s%s%s%s%s, %.1f s", path, fs->info.format,
	             fs->info.has_video ? "video " : "", fs->info.vcodec,
	             fs->info.has_video && fs->info.has_audio ? ", " : "",
	             fs->info.has_audio ? "audio " : "", fs->info.acodec,
	             fs->info.duration_s);
out:
	if (err) {
		mcu_filesrc_free(fs);
		return err;
	}
	*fsp = fs;
	return 0;
}

struct mcu_filesrc *mcu_filesrc_free(struct mcu_filesrc *fs)
{
	if (!fs)
		return NULL;
	av_frame_free(&fs->pending.frame);
	close_decoder(&fs->v);
	close_decoder(&fs->a);
	avformat_close_input(&fs->fmt);
	av_packet_free(&fs->pkt);
	av_frame_free(&fs->frame);
	mcu_vscale_free(fs->sc);
	mcu_framepool_free(fs->pool);
	mcu_aresample_free(fs->rs);
	free(fs);
	return NULL;
}

void mcu_filesrc_info(const struct mcu_filesrc *fs,
                      struct mcu_filesrc_info *out)
{
	if (!out)
		return;
	if (!fs) {
		memset(out, 0, sizeof(*out));
		return;
	}
	*out = fs->info;
}
