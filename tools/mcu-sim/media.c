/*
 * media: pre-encoded loops of one simulated endpoint (see media.h).
 */
#define MCU_LOG_MODULE "sim"
#include "conf/log.h"

#include "tools/mcu-sim/media.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <libavutil/channel_layout.h>
#include <libavutil/frame.h>

#include "codec/aenc.h"
#include "codec/venc.h"
#include "layout/label.h"

struct collect {
	struct mcu_sim_au *aus;
	size_t n, cap;
	int err;
};

static void collect_add(struct collect *c, const uint8_t *data, size_t len,
                        bool key)
{
	if (c->err)
		return;
	if (c->n == c->cap) {
		size_t cap = c->cap ? 2 * c->cap : 64;
		struct mcu_sim_au *a = realloc(c->aus, cap * sizeof(*a));
		if (!a) {
			c->err = ENOMEM;
			return;
		}
		c->aus = a;
		c->cap = cap;
	}
	uint8_t *d = malloc(len ? len : 1);
	if (!d) {
		c->err = ENOMEM;
		return;
	}
	memcpy(d, data, len);
	struct mcu_sim_au *au = &c->aus[c->n++];
	au->data = d;
	au->len = len;
	au->key = key;
}

static void on_video(const AVPacket *pkt, bool key, void *arg)
{
	collect_add(arg, pkt->data, (size_t)pkt->size, key);
}

static void on_audio(const AVPacket *pkt, uint32_t inc, void *arg)
{
	(void)inc;
	collect_add(arg, pkt->data, (size_t)pkt->size, false);
}

static void aus_free(struct mcu_sim_au *a, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(a[i].data);
	free(a);
}

static void fill(AVFrame *f, struct mcu_sim_yuv c)
{
	for (int y = 0; y < f->height; y++)
		memset(f->data[0] + (size_t)y * (size_t)f->linesize[0], c.y,
		       (size_t)f->width);
	for (int y = 0; y < f->height / 2; y++) {
		memset(f->data[1] + (size_t)y * (size_t)f->linesize[1], c.u,
		       (size_t)f->width / 2);
		memset(f->data[2] + (size_t)y * (size_t)f->linesize[2], c.v,
		       (size_t)f->width / 2);
	}
}

/* Blend a white label centred at (cx, cy). */
static void draw_label(AVFrame *f, const struct mcu_label *l, int cx, int cy)
{
	int x0 = (cx - l->w / 2) & ~1, y0 = (cy - l->h / 2) & ~1;
	for (int y = 0; y < l->h; y++) {
		int py = y0 + y;
		if (py < 0 || py >= f->height)
			continue;
		for (int x = 0; x < l->w; x++) {
			int px = x0 + x;
			if (px < 0 || px >= f->width)
				continue;
			unsigned a =
			    l->alpha[(size_t)y * (size_t)l->w + (size_t)x];
			uint8_t *p = f->data[0] +
			             (size_t)py * (size_t)f->linesize[0] +
			             (size_t)px;
			*p = (uint8_t)(*p + ((235 - (int)*p) * (int)a) / 255);
		}
	}
	for (int y = 0; y < l->h / 2; y++) {
		int py = y0 / 2 + y;
		if (py < 0 || py >= f->height / 2)
			continue;
		for (int x = 0; x < l->w / 2; x++) {
			int px = x0 / 2 + x;
			if (px < 0 || px >= f->width / 2)
				continue;
			unsigned a = l->alpha_c[(size_t)y * (size_t)(l->w / 2) +
			                        (size_t)x];
			for (int k = 1; k <= 2; k++) {
				uint8_t *p =
				    f->data[k] +
				    (size_t)py * (size_t)f->linesize[k] +
				    (size_t)px;
				*p = (uint8_t)(*p + ((128 - (int)*p) * (int)a) /
				                        255);
			}
		}
	}
}

/* A darker block along the bottom, at step i of n. */
static void draw_block(AVFrame *f, struct mcu_sim_yuv c, size_t i, size_t n)
{
	int s = (f->height / 10) & ~1;
	int x0 = (int)((size_t)(f->width - s) * i / (n ? n : 1)) & ~1;
	int y0 = (f->height - s - s / 2) & ~1;
	uint8_t dy = (uint8_t)(c.y > 60 ? c.y - 40 : c.y + 40);
	for (int y = y0; y < y0 + s; y++)
		memset(f->data[0] + (size_t)y * (size_t)f->linesize[0] +
		           (size_t)x0,
		       dy, (size_t)s);
}

static int encode_video(struct mcu_sim_media *m,
                        const struct mcu_sim_media_config *cfg,
                        struct mcu_label_cache *labels)
{
	struct mcu_venc_config vc = {
	    .codec = MCU_VCODEC_H264,
	    .width = cfg->width,
	    .height = cfg->height,
	    .fps = (int)cfg->fps,
	    .bitrate = cfg->bitrate,
	    .keyint = (int)(cfg->fps * cfg->gop_s),
	    .preset = cfg->preset ? cfg->preset : "ultrafast",
	    .threads = 1,
	};
	struct mcu_venc *enc = NULL;
	struct collect col = {0};
	AVFrame *f = av_frame_alloc();
	int err = f ? mcu_venc_alloc(&enc, &vc) : ENOMEM;
	if (err)
		goto out;
	f->format = AV_PIX_FMT_YUV420P;
	f->width = cfg->width;
	f->height = cfg->height;
	if (av_frame_get_buffer(f, 0) < 0) {
		err = ENOMEM;
		goto out;
	}
	const struct mcu_label *label = NULL;
	if (labels && cfg->text) {
		int px = cfg->height / 3;
		if (px > MCU_LABEL_MAX_PX)
			px = MCU_LABEL_MAX_PX;
		if (mcu_label_get(labels, cfg->text, px, &label) != 0)
			label = NULL;
	}
	struct mcu_sim_yuv c = mcu_sim_rgb_to_yuv(cfg->colour);
	size_t n = (size_t)cfg->fps * cfg->loop_s;
	for (size_t i = 0; i < n && !err; i++) {
		if ((err = av_frame_make_writable(f) < 0 ? ENOMEM : 0) != 0)
			break;
		fill(f, c);
		if (label)
			draw_label(f, label, cfg->width / 2,
			           cfg->height * 2 / 5);
		draw_block(f, c, i, n);
		f->pts = (int64_t)i;
		err = mcu_venc_encode(enc, f, on_video, &col);
		if (!err)
			err = col.err;
	}
	if (!err && (col.n != n || !col.aus[0].key))
		err = EIO; /* one AU per picture, the first a key frame */
out:
	if (err)
		aus_free(col.aus, col.n);
	else
		m->video = col.aus, m->n_video = col.n;
	av_frame_free(&f);
	mcu_venc_free(enc);
	return err;
}

static int encode_audio(struct mcu_sim_media *m,
                        const struct mcu_sim_media_config *cfg)
{
	struct mcu_aenc_config ac = {
	    .codec = MCU_ACODEC_OPUS, .bitrate = 24000, .channels = 1};
	struct mcu_aenc *enc = NULL;
	struct collect col = {0};
	AVFrame *f = av_frame_alloc();
	int err = f ? mcu_aenc_alloc(&enc, &ac) : ENOMEM;
	if (err)
		goto out;
	f->format = AV_SAMPLE_FMT_S16;
	f->sample_rate = MCU_AUDIO_RATE;
	f->nb_samples = MCU_AUDIO_FRAME;
	av_channel_layout_default(&f->ch_layout, 1);
	if (av_frame_get_buffer(f, 0) < 0) {
		err = ENOMEM;
		goto out;
	}
	/* Two passes of one second; keep the second. */
	const size_t per_loop = MCU_AUDIO_RATE / MCU_AUDIO_FRAME;
	for (size_t i = 0; i < 2 * per_loop && !err; i++) {
		if (av_frame_make_writable(f) < 0) {
			err = ENOMEM;
			break;
		}
		int16_t *s = (int16_t *)f->data[0];
		for (int k = 0; k < MCU_AUDIO_FRAME; k++) {
			size_t t = (i % per_loop) * MCU_AUDIO_FRAME + (size_t)k;
			double ph = 2 * M_PI * cfg->tone_hz * (double)t /
			            MCU_AUDIO_RATE;
			s[k] = (int16_t)lrint(8000.0 * sin(ph));
		}
		f->pts = (int64_t)(i * MCU_AUDIO_FRAME);
		err = mcu_aenc_encode(enc, f, on_audio, &col);
		if (!err)
			err = col.err;
	}
	if (!err && col.n < 2 * per_loop - 2)
		err = EIO;
out:
	if (err) {
		aus_free(col.aus, col.n);
	} else {
		/* the last per_loop packets */
		size_t skip = col.n - per_loop;
		for (size_t i = 0; i < skip; i++)
			free(col.aus[i].data);
		memmove(col.aus, col.aus + skip, per_loop * sizeof(*col.aus));
		m->audio = col.aus;
		m->n_audio = per_loop;
	}
	av_frame_free(&f);
	mcu_aenc_free(enc);
	return err;
}

int mcu_sim_media_alloc(struct mcu_sim_media **mp,
                        const struct mcu_sim_media_config *cfg,
                        struct mcu_label_cache *labels)
{
	if (!mp || !cfg || cfg->width < 64 || cfg->height < 64 ||
	    cfg->fps < 1 || cfg->fps > 60 || cfg->loop_s < 1 ||
	    cfg->gop_s < 1 || cfg->tone_hz < 100 || cfg->tone_hz > 8000)
		return EINVAL;
	struct mcu_sim_media *m = calloc(1, sizeof(*m));
	if (!m)
		return ENOMEM;
	m->fps = cfg->fps;
	int err = encode_video(m, cfg, labels);
	if (!err)
		err = encode_audio(m, cfg);
	if (err) {
		mcu_log_error("pre-encoding: %s", strerror(err));
		mcu_sim_media_free(m);
		return err;
	}
	*mp = m;
	return 0;
}

struct mcu_sim_media *mcu_sim_media_free(struct mcu_sim_media *m)
{
	if (!m)
		return NULL;
	aus_free(m->video, m->n_video);
	aus_free(m->audio, m->n_audio);
	free(m);
	return NULL;
}

size_t mcu_sim_media_gop_start(const struct mcu_sim_media *m, size_t i)
{
	if (!m->n_video)
		return 0;
	i %= m->n_video;
	while (i > 0 && !m->video[i].key)
		i--;
	return i;
}
