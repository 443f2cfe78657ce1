#define MCU_LOG_MODULE "vscale"
#include "conf/log.h"
#include "codec/vscale.h"
#include "codec/media.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <libavutil/pixdesc.h>
#include <libswscale/swscale.h>

struct scale_entry {
	struct SwsContext *ctx;
	int sw, sh, sfmt, srange;
	int dw, dh;
	uint64_t last_use;
};

struct mcu_vscale {
	struct scale_entry cache[MCU_VSCALE_CACHE];
	uint64_t clock;
	unsigned created;
	AVFrame *tmp; /* cropped reference of the source */
};

int mcu_vscale_alloc(struct mcu_vscale **scp)
{
	struct mcu_vscale *sc;

	if (!scp)
		return EINVAL;
	sc = calloc(1, sizeof(*sc));
	if (!sc)
		return ENOMEM;
	sc->tmp = av_frame_alloc();
	if (!sc->tmp) {
		free(sc);
		return ENOMEM;
	}
	*scp = sc;
	return 0;
}

struct mcu_vscale *mcu_vscale_free(struct mcu_vscale *sc)
{
	if (!sc)
		return NULL;
	for (int i = 0; i < MCU_VSCALE_CACHE; i++)
		sws_freeContext(sc->cache[i].ctx);
	av_frame_free(&sc->tmp);
	free(sc);
	return NULL;
}

unsigned mcu_vscale_contexts_created(const struct mcu_vscale *sc)
{
	return sc ? sc->created : 0;
}

static int even_down(int v)
{
	return v & ~1;
}

/* Clip to the frame and align to even coordinates; false if empty. */
static bool clip_rect(const AVFrame *f, const struct mcu_vscale_rect *in,
                      struct mcu_vscale_rect *out)
{
	int x0 = in->x < 0 ? 0 : in->x;
	int y0 = in->y < 0 ? 0 : in->y;
	int64_t x1 = (int64_t)in->x + in->w;
	int64_t y1 = (int64_t)in->y + in->h;

	if (x1 > f->width)
		x1 = f->width;
	if (y1 > f->height)
		y1 = f->height;
	x0 = (x0 + 1) & ~1;
	y0 = (y0 + 1) & ~1;
	out->x = x0;
	out->y = y0;
	out->w = even_down((int)(x1 - x0));
	out->h = even_down((int)(y1 - y0));
	return out->w >= 2 && out->h >= 2;
}

static bool is_yuv420p(const AVFrame *f)
{
	return f->format == AV_PIX_FMT_YUV420P ||
	       f->format == AV_PIX_FMT_YUVJ420P;
}

int mcu_vscale_fill(AVFrame *dst, const struct mcu_vscale_rect *rect, uint8_t y,
                    uint8_t u, uint8_t v)
{
	struct mcu_vscale_rect r;

	if (!dst || !rect || !is_yuv420p(dst) || !dst->data[0])
		return EINVAL;
	if (!clip_rect(dst, rect, &r))
		return 0;
	for (int row = 0; row < r.h; row++)
		memset(dst->data[0] + (size_t)(r.y + row) * dst->linesize[0] +
		           r.x,
		       y, (size_t)r.w);
	for (int row = 0; row < r.h / 2; row++) {
		size_t off1 = (size_t)(r.y / 2 + row) * dst->linesize[1];
		size_t off2 = (size_t)(r.y / 2 + row) * dst->linesize[2];
		memset(dst->data[1] + off1 + r.x / 2, u, (size_t)r.w / 2);
		memset(dst->data[2] + off2 + r.x / 2, v, (size_t)r.w / 2);
	}
	return 0;
}

void mcu_vscale_geometry(int src_w, int src_h,
                         const struct mcu_vscale_rect *rect,
                         enum mcu_vscale_fit fit,
                         struct mcu_vscale_rect *src_out,
                         struct mcu_vscale_rect *dst_out)
{
	/* 64-bit products: sizes up to 16k squared fit easily. */
	int64_t sw = src_w, sh = src_h, dw = rect->w, dh = rect->h;
	bool src_wider = sw * dh > dw * sh;

	*src_out = (struct mcu_vscale_rect){0, 0, src_w, src_h};
	*dst_out = *rect;
	if (src_w <= 0 || src_h <= 0 || rect->w <= 0 || rect->h <= 0)
		return;
	if (fit == MCU_VSCALE_LETTERBOX) {
		int iw, ih;
		if (src_wider) {
			iw = (int)dw;
			ih = (int)((sh * dw + sw / 2) / sw);
		} else {
			ih = (int)dh;
			iw = (int)((sw * dh + sh / 2) / sh);
		}
		iw = even_down(iw);
		ih = even_down(ih);
		if (iw < 2)
			iw = 2;
		if (ih < 2)
			ih = 2;
		dst_out->w = iw;
		dst_out->h = ih;
		dst_out->x = rect->x + even_down((rect->w - iw) / 2);
		dst_out->y = rect->y + even_down((rect->h - ih) / 2);
	} else if (fit == MCU_VSCALE_CROP) {
		int cw = src_w, ch = src_h;
		if (src_wider)
			cw = (int)((sh * dw + dh / 2) / dh);
		else
			ch = (int)((sw * dh + dw / 2) / dw);
		cw = even_down(cw);
		ch = even_down(ch);
		if (cw < 2)
			cw = src_w < 2 ? src_w : 2;
		if (ch < 2)
			ch = src_h < 2 ? src_h : 2;
		src_out->w = cw;
		src_out->h = ch;
		src_out->x = even_down((src_w - cw) / 2);
		src_out->y = even_down((src_h - ch) / 2);
	}
}

/* The non-"J" twin of a full-range format; *full set if it was one. */
static enum AVPixelFormat unjpeg(enum AVPixelFormat f, bool *full)
{
	*full = true;
	switch (f) {
	case AV_PIX_FMT_YUVJ420P:
		return AV_PIX_FMT_YUV420P;
	case AV_PIX_FMT_YUVJ422P:
		return AV_PIX_FMT_YUV422P;
	case AV_PIX_FMT_YUVJ444P:
		return AV_PIX_FMT_YUV444P;
	case AV_PIX_FMT_YUVJ440P:
		return AV_PIX_FMT_YUV440P;
	case AV_PIX_FMT_YUVJ411P:
		return AV_PIX_FMT_YUV411P;
	default:
		*full = false;
		return f;
	}
}

static struct SwsContext *get_ctx(struct mcu_vscale *sc, int sw, int sh,
                                  int sfmt, int srange, int dw, int dh)
{
	struct scale_entry *victim = &sc->cache[0];
	const int *coef = sws_getCoefficients(SWS_CS_ITU601);

	sc->clock++;
	for (int i = 0; i < MCU_VSCALE_CACHE; i++) {
		struct scale_entry *e = &sc->cache[i];
		if (e->ctx && e->sw == sw && e->sh == sh && e->sfmt == sfmt &&
		    e->srange == srange && e->dw == dw && e->dh == dh) {
			e->last_use = sc->clock;
			return e->ctx;
		}
		if (!e->ctx || (victim->ctx && e->last_use < victim->last_use))
			victim = e;
	}
	sws_freeContext(victim->ctx);
	memset(victim, 0, sizeof(*victim));
	victim->ctx = sws_getContext(sw, sh, sfmt, dw, dh, AV_PIX_FMT_YUV420P,
	                             SWS_BILINEAR, NULL, NULL, NULL);
	if (!victim->ctx)
		return NULL;
	sws_setColorspaceDetails(victim->ctx, coef, srange, coef, 0, 0, 1 << 16,
	                         1 << 16);
	victim->sw = sw;
	victim->sh = sh;
	victim->sfmt = sfmt;
	victim->srange = srange;
	victim->dw = dw;
	victim->dh = dh;
	victim->last_use = sc->clock;
	sc->created++;
	return victim->ctx;
}

/* Paint the parts of outer not covered by inner (letterbox bars). */
static void fill_bars(AVFrame *dst, const struct mcu_vscale_rect *o,
                      const struct mcu_vscale_rect *i)
{
	struct mcu_vscale_rect bars[4] = {
	    {o->x, o->y, o->w, i->y - o->y},
	    {o->x, i->y + i->h, o->w, o->y + o->h - (i->y + i->h)},
	    {o->x, i->y, i->x - o->x, i->h},
	    {i->x + i->w, i->y, o->x + o->w - (i->x + i->w), i->h},
	};
	for (int k = 0; k < 4; k++)
		if (bars[k].w > 0 && bars[k].h > 0)
			mcu_vscale_fill(dst, &bars[k], 16, 128, 128);
}

int mcu_vscale_draw(struct mcu_vscale *sc, AVFrame *dst,
                    const struct mcu_vscale_rect *rect, const AVFrame *src,
                    enum mcu_vscale_fit fit)
{
	struct mcu_vscale_rect r, s, d;
	struct SwsContext *ctx;
	enum AVPixelFormat sfmt;
	bool full;
	uint8_t *dptr[4] = {NULL};
	int dls[4] = {0};
	int err = 0, ret;

	if (!sc || !dst || !rect || !src || !is_yuv420p(dst) || !dst->data[0] ||
	    !src->data[0] || src->width < 1 || src->height < 1)
		return EINVAL;
	if (!clip_rect(dst, rect, &r))
		return EINVAL;
	mcu_vscale_geometry(src->width, src->height, &r, fit, &s, &d);
	if (fit == MCU_VSCALE_LETTERBOX)
		fill_bars(dst, &r, &d);

	/* A crop is a reference with crop fields applied: no pixel copy. */
	ret = av_frame_ref(sc->tmp, src);
	if (ret < 0)
		return mcu_averror(ret);
	if (s.w != src->width || s.h != src->height) {
		sc->tmp->crop_left = (size_t)s.x;
		sc->tmp->crop_top = (size_t)s.y;
		sc->tmp->crop_right = (size_t)(src->width - s.x - s.w);
		sc->tmp->crop_bottom = (size_t)(src->height - s.y - s.h);
		ret = av_frame_apply_cropping(sc->tmp, AV_FRAME_CROP_UNALIGNED);
		if (ret < 0) {
			mcu_log_ratelimited(
			    MCU_LOG_WARN, 5000, "crop of %s failed: %s",
			    av_get_pix_fmt_name(src->format), av_err2str(ret));
			err = mcu_averror(ret);
			goto out;
		}
	}
	sfmt = unjpeg(src->format, &full);
	if (src->color_range == AVCOL_RANGE_JPEG)
		full = true;
	ctx =
	    get_ctx(sc, sc->tmp->width, sc->tmp->height, sfmt, full, d.w, d.h);
	if (!ctx) {
		mcu_log_ratelimited(MCU_LOG_WARN, 5000,
		                    "no scaler for %s %dx%d -> %dx%d",
		                    av_get_pix_fmt_name(src->format),
		                    sc->tmp->width, sc->tmp->height, d.w, d.h);
		err = ENOTSUP;
		goto out;
	}
	dptr[0] = dst->data[0] + (size_t)d.y * dst->linesize[0] + d.x;
	dptr[1] = dst->data[1] + (size_t)(d.y / 2) * dst->linesize[1] + d.x / 2;
	dptr[2] = dst->data[2] + (size_t)(d.y / 2) * dst->linesize[2] + d.x / 2;
	dls[0] = dst->linesize[0];
	dls[1] = dst->linesize[1];
	dls[2] = dst->linesize[2];
	ret = sws_scale(ctx, (const uint8_t *const *)sc->tmp->data,
	                sc->tmp->linesize, 0, sc->tmp->height, dptr, dls);
	if (ret < 0) {
		mcu_log_ratelimited(MCU_LOG_WARN, 5000, "sws_scale: %s",
		                    av_err2str(ret));
		err = mcu_averror(ret);
	}
out:
	av_frame_unref(sc->tmp);
	return err;
}
