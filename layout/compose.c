/*
 * compose: scaling, cards, labels and borders into a YUV420P canvas.
 *
 * Why it is built this way: a meeting composes a few distinct views per
 * tick (design.md), and the same sources appear in several of them at the
 * same tile size (every branch's host+floor view, the host's grid and a
 * recording). Scaling is the only expensive step, so it goes through a
 * per-tick cache keyed by the source picture and the target size; drawing a
 * view is then a copy of cached pixels plus cheap blends of pre-rasterised
 * label bitmaps. Nothing is allocated per tick once the caches have warmed
 * up: cache entries keep their pixel buffers across ticks and are reused for
 * the same size, and swscale contexts are kept per (source size, format,
 * tile size).
 *
 * All canvas coordinates are even, so a luma rectangle (x, y, w, h) maps to
 * the chroma rectangle (x/2, y/2, w/2, h/2) exactly.
 */
#include "layout/compose.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <libavutil/buffer.h>
#include <libavutil/imgutils.h>
#include <libavutil/mem.h>
#include <libavutil/pixdesc.h>
#include <libswscale/swscale.h>

#include "layout/label.h"

#define MCU_LOG_MODULE "compose"
#include "conf/log.h"

#define MAX_POOLS   8
#define MAX_SWS     64
#define MAX_JOBS    48
#define MAX_SRC_DIM 16384
#define ALIGN32(x)  (((x) + 31) & ~31)

/* BT.601 limited-range colours (Y, Cb, Cr). */
struct yuv {
	uint8_t y, u, v;
};
static const struct yuv black = {16, 128, 128};
static const struct yuv card_bg = {53, 132, 126}; /* rgb(40,44,52) */
static const struct yuv yellow = {210, 16, 146};
static const struct yuv green = {145, 54, 34};
static const struct yuv white = {235, 128, 128};
#define TEXT_Y     235 /* label text */
#define STATE_Y    190 /* card state text */
#define BAND_ALPHA 160 /* band darkening, of 256 */

struct scaled {
	/* key */
	const uint8_t *src_id;
	int64_t pts;
	int sw, sh, sfmt, tw, th, fit;
	/* validity: filled during tick `tick`; `failed`: could not be scaled
	 * this tick (a card is drawn); `planned`: a scale job will fill it */
	uint64_t tick;
	int valid, failed, planned;
	AVBufferRef *src_ref;
	uint64_t last_use;
	/* value: a dw x dh YUV420P picture placed at (dx, dy) in the tile */
	int dw, dh, dx, dy;
	uint8_t *mem;
	size_t cap;
	uint8_t *plane[3];
	int ls[3];
};

struct swsent {
	int sw, sh, sfmt, dw, dh;
	struct SwsContext *ctx;
	int failed;
	uint64_t last_use;
	uint64_t claimed; /* the tick a scale job holds it in (one job each) */
};

/* Placement of a source in a tile: see place(). */
struct placement {
	int dx, dy, dw, dh;
	int cx, cy, cw, ch;
};

/* A scale job of this tick: mcu_compose_plan() / mcu_compose_scale(). */
struct job {
	struct scaled *e;
	const AVFrame *s;
	struct placement pl;
	struct SwsContext *sws;
};

struct pool {
	int w, h;
	AVBufferPool *pool;
	uint64_t last_use;
};

struct mcu_compose {
	enum mcu_compose_fit fit;
	int sws_flags;
	struct mcu_label_cache *labels;
	struct scaled *cache;
	size_t ncache;
	struct swsent sws[MAX_SWS];
	struct pool pools[MAX_POOLS];
	struct job jobs[MAX_JOBS];
	size_t njobs;
	uint64_t tick, clock;
	struct mcu_compose_stats st;
};

const char *mcu_compose_card_text(enum mcu_card card)
{
	switch (card) {
	case MCU_CARD_NO_VIDEO:
		return "Chưa có hình";
	case MCU_CARD_VIDEO_MUTED:
		return "Tắt hình";
	case MCU_CARD_DISCONNECTED:
		return "Mất kết nối";
	case MCU_CARD_CONNECTING:
		return "Đang kết nối";
	case MCU_CARD_EMPTY:
		break;
	}
	return "";
}

int mcu_compose_alloc(struct mcu_compose **cp,
                      const struct mcu_compose_params *params)
{
	struct mcu_compose_params def = {0};
	struct mcu_compose *c;
	int err;

	if (!cp)
		return EINVAL;
	if (!params)
		params = &def;
	if (params->fit != MCU_COMPOSE_LETTERBOX &&
	    params->fit != MCU_COMPOSE_CROP)
		return EINVAL;
	c = calloc(1, sizeof(*c));
	if (!c)
		return ENOMEM;
	c->fit = params->fit;
	c->sws_flags = params->sws_flags ? params->sws_flags : SWS_BILINEAR;
	c->ncache = params->cache_entries ? params->cache_entries : 64;
	c->tick = 1;
	c->cache = calloc(c->ncache, sizeof(*c->cache));
	if (!c->cache) {
		err = ENOMEM;
		goto out;
	}
	err = mcu_label_cache_alloc(&c->labels, params->font_path, 0);
out:
	if (err)
		mcu_compose_free(c);
	else
		*cp = c;
	return err;
}

struct mcu_compose *mcu_compose_free(struct mcu_compose *c)
{
	if (!c)
		return NULL;
	for (size_t i = 0; c->cache && i < c->ncache; i++) {
		av_buffer_unref(&c->cache[i].src_ref);
		av_free(c->cache[i].mem);
	}
	free(c->cache);
	for (int i = 0; i < MAX_SWS; i++)
		sws_freeContext(c->sws[i].ctx);
	/* buffers still out in canvases keep their pool alive */
	for (int i = 0; i < MAX_POOLS; i++)
		av_buffer_pool_uninit(&c->pools[i].pool);
	mcu_label_cache_free(c->labels);
	free(c);
	return NULL;
}

void mcu_compose_tick(struct mcu_compose *c)
{
	if (!c)
		return;
	c->tick++;
	c->njobs = 0;
	for (size_t i = 0; i < c->ncache; i++) {
		c->cache[i].valid = c->cache[i].failed = 0;
		c->cache[i].planned = 0;
		av_buffer_unref(&c->cache[i].src_ref);
	}
}

void mcu_compose_get_stats(const struct mcu_compose *c,
                           struct mcu_compose_stats *st)
{
	struct mcu_label_stats ls;

	if (!c || !st)
		return;
	*st = c->st;
	mcu_label_get_stats(c->labels, &ls);
	st->labels_rendered = ls.rendered;
	st->labels_hits = ls.hits;
	st->sws_contexts = 0;
	for (int i = 0; i < MAX_SWS; i++)
		st->sws_contexts += c->sws[i].ctx != NULL;
}

/* ---- canvases ---- */

static void canvas_layout(int w, int h, int ls[3], size_t *size)
{
	ls[0] = ALIGN32(w);
	ls[1] = ls[2] = ALIGN32(w / 2);
	*size = (size_t)ls[0] * h + (size_t)ls[1] * h;
}

int mcu_compose_canvas(struct mcu_compose *c, int w, int h, AVFrame **out)
{
	struct pool *p = NULL;
	AVFrame *f;
	int ls[3];
	size_t size;

	if (!c || !out || w < 2 || h < 2 || w > MCU_LAYOUT_MAX_DIM ||
	    h > MCU_LAYOUT_MAX_DIM || (w & 1) || (h & 1))
		return EINVAL;
	canvas_layout(w, h, ls, &size);
	for (int i = 0; i < MAX_POOLS; i++) {
		if (c->pools[i].pool && c->pools[i].w == w &&
		    c->pools[i].h == h) {
			p = &c->pools[i];
			break;
		}
	}
	if (!p) {
		p = &c->pools[0];
		for (int i = 1; i < MAX_POOLS && p->pool; i++)
			if (!c->pools[i].pool ||
			    c->pools[i].last_use < p->last_use)
				p = &c->pools[i];
		av_buffer_pool_uninit(&p->pool);
		p->pool = av_buffer_pool_init(size, NULL);
		if (!p->pool)
			return ENOMEM;
		p->w = w;
		p->h = h;
	}
	p->last_use = ++c->clock;
	f = av_frame_alloc();
	if (!f)
		return ENOMEM;
	f->buf[0] = av_buffer_pool_get(p->pool);
	if (!f->buf[0]) {
		av_frame_free(&f);
		return ENOMEM;
	}
	f->format = AV_PIX_FMT_YUV420P;
	f->width = w;
	f->height = h;
	f->color_range = AVCOL_RANGE_MPEG;
	f->data[0] = f->buf[0]->data;
	f->data[1] = f->data[0] + (size_t)ls[0] * h;
	f->data[2] = f->data[1] + (size_t)ls[1] * (h / 2);
	for (int i = 0; i < 3; i++)
		f->linesize[i] = ls[i];
	*out = f;
	return 0;
}

/* ---- pixel helpers (all coordinates even, inside the frame) ---- */

static void fill_rect(uint8_t *const d[3], const int ls[3], int x, int y, int w,
                      int h, struct yuv col)
{
	if (w <= 0 || h <= 0)
		return;
	for (int r = 0; r < h; r++)
		memset(d[0] + (size_t)(y + r) * ls[0] + x, col.y, (size_t)w);
	for (int r = 0; r < h / 2; r++) {
		memset(d[1] + (size_t)(y / 2 + r) * ls[1] + x / 2, col.u,
		       (size_t)w / 2);
		memset(d[2] + (size_t)(y / 2 + r) * ls[2] + x / 2, col.v,
		       (size_t)w / 2);
	}
}

static void frame_fill(AVFrame *f, int x, int y, int w, int h, struct yuv col)
{
	fill_rect(f->data, f->linesize, x, y, w, h, col);
}

/* Outline of thickness t inside the rectangle. */
static void frame_border(AVFrame *f, int x, int y, int w, int h, int t,
                         struct yuv col)
{
	if (2 * t >= w || 2 * t >= h) {
		frame_fill(f, x, y, w, h, col);
		return;
	}
	frame_fill(f, x, y, w, t, col);
	frame_fill(f, x, y + h - t, w, t, col);
	frame_fill(f, x, y + t, t, h - 2 * t, col);
	frame_fill(f, x + w - t, y + t, t, h - 2 * t, col);
}

/* Move the rectangle towards black by a/256 (the label band). */
static void frame_darken(AVFrame *f, int x, int y, int w, int h, int a)
{
	int k = 256 - a;

	for (int r = 0; r < h; r++) {
		uint8_t *p = f->data[0] + (size_t)(y + r) * f->linesize[0] + x;
		for (int i = 0; i < w; i++)
			p[i] = (uint8_t)((p[i] * k + 16 * a) >> 8);
	}
	for (int pl = 1; pl < 3; pl++) {
		for (int r = 0; r < h / 2; r++) {
			uint8_t *p = f->data[pl] +
			             (size_t)(y / 2 + r) * f->linesize[pl] +
			             x / 2;
			for (int i = 0; i < w / 2; i++)
				p[i] = (uint8_t)((p[i] * k + 128 * a) >> 8);
		}
	}
}

/*
 * Blend a label at (x, y), at most maxw x maxh of it, in grey level luma
 * (chroma goes to neutral under the glyphs).
 */
static void frame_blend_label(AVFrame *f, const struct mcu_label *lab, int x,
                              int y, int maxw, int maxh, int luma)
{
	int w = (lab->w < maxw ? lab->w : maxw) & ~1;
	int h = (lab->h < maxh ? lab->h : maxh) & ~1;

	for (int r = 0; r < h; r++) {
		const uint8_t *a = lab->alpha + (size_t)r * lab->w;
		uint8_t *p = f->data[0] + (size_t)(y + r) * f->linesize[0] + x;
		for (int i = 0; i < w; i++)
			if (a[i])
				p[i] =
				    (uint8_t)(p[i] + (((luma - p[i]) *
				                       (a[i] + (a[i] >> 7))) >>
				                      8));
	}
	for (int r = 0; r < h / 2; r++) {
		const uint8_t *a = lab->alpha_c + (size_t)r * (lab->w / 2);
		uint8_t *u =
		    f->data[1] + (size_t)(y / 2 + r) * f->linesize[1] + x / 2;
		uint8_t *v =
		    f->data[2] + (size_t)(y / 2 + r) * f->linesize[2] + x / 2;
		for (int i = 0; i < w / 2; i++) {
			if (!a[i])
				continue;
			int k = a[i] + (a[i] >> 7);
			u[i] = (uint8_t)(u[i] + (((128 - u[i]) * k) >> 8));
			v[i] = (uint8_t)(v[i] + (((128 - v[i]) * k) >> 8));
		}
	}
}

/* ---- scaling ---- */

static int source_ok(const AVFrame *s)
{
	const AVPixFmtDescriptor *d;

	if (!s || s->width < 1 || s->height < 1 || s->width > MAX_SRC_DIM ||
	    s->height > MAX_SRC_DIM || !s->data[0])
		return 0;
	d = av_pix_fmt_desc_get((enum AVPixelFormat)s->format);
	if (!d ||
	    (d->flags & (AV_PIX_FMT_FLAG_HWACCEL | AV_PIX_FMT_FLAG_BITSTREAM |
	                 AV_PIX_FMT_FLAG_PAL)))
		return 0;
	int planes = av_pix_fmt_count_planes((enum AVPixelFormat)s->format);
	if (planes < 1 || planes > 4)
		return 0;
	for (int i = 0; i < planes; i++)
		if (!s->data[i] || !s->linesize[i])
			return 0;
	return sws_isSupportedInput((enum AVPixelFormat)s->format) > 0;
}

/* Display size ratio of the source as num/den (sample aspect applied). */
static void display_ratio(const AVFrame *s, int64_t *num, int64_t *den)
{
	AVRational sar = s->sample_aspect_ratio;

	if (sar.num <= 0 || sar.den <= 0 || sar.num > 1000 || sar.den > 1000)
		sar = (AVRational){1, 1};
	*num = (int64_t)s->width * sar.num;
	*den = (int64_t)s->height * sar.den;
}

static int even_clamp(int64_t v, int max)
{
	int r = (int)(v > max ? max : v) & ~1;
	return r < 2 ? 2 : r;
}

/*
 * Where the picture goes in a tw x th tile and which part of the source is
 * used: letterbox scales the whole source into (dx, dy, dw, dh); crop fills
 * the tile from the centred source rectangle (cx, cy, cw, ch).
 */
static void place(const AVFrame *s, int tw, int th, int fit,
                  struct placement *pl)
{
	const AVPixFmtDescriptor *d =
	    av_pix_fmt_desc_get((enum AVPixelFormat)s->format);
	int64_t num, den;

	display_ratio(s, &num, &den);
	*pl = (struct placement){0, 0, tw, th, 0, 0, s->width, s->height};
	if (fit == MCU_COMPOSE_LETTERBOX) {
		if (num * th > (int64_t)tw * den) /* wider than the tile */
			pl->dh =
			    even_clamp(((int64_t)tw * den + num / 2) / num, th);
		else
			pl->dw =
			    even_clamp(((int64_t)th * num + den / 2) / den, tw);
		pl->dx = ((tw - pl->dw) / 2) & ~1;
		pl->dy = ((th - pl->dh) / 2) & ~1;
		return;
	}
	int ax = 1 << d->log2_chroma_w, ay = 1 << d->log2_chroma_h;
	if (num * th > (int64_t)tw * den) {
		/* keep height, cut the sides: cw / sh == (tw / th) in pixels */
		int64_t cw = (int64_t)s->width * tw * den / ((int64_t)th * num);
		if (cw < 1)
			cw = 1;
		pl->cw = (int)cw;
		pl->cx = ((s->width - pl->cw) / 2) / ax * ax;
	} else {
		int64_t ch =
		    (int64_t)s->height * th * num / ((int64_t)tw * den);
		if (ch < 1)
			ch = 1;
		pl->ch = (int)(ch > s->height ? s->height : ch);
		pl->cy = ((s->height - pl->ch) / 2) / ay * ay;
	}
}

/*
 * The swscale context for a geometry. A scale job (claim) gets one no other
 * job of this tick holds, so jobs can run at once: a context is not
 * thread-safe, and sixteen tiles of one size from sources of one size are
 * common. Contexts claimed this tick are never evicted by a claim. Returns
 * 0, EINVAL when the geometry has no context (logged), or EBUSY when every
 * slot is claimed (the caller scales later, on its own thread).
 */
static int get_sws(struct mcu_compose *c, int sw, int sh, int fmt, int dw,
                   int dh, bool claim, struct SwsContext **out)
{
	struct swsent *e = NULL;

	for (int i = 0; i < MAX_SWS; i++) {
		struct swsent *x = &c->sws[i];
		bool busy = claim && x->claimed == c->tick;
		if ((x->ctx || x->failed) && x->sw == sw && x->sh == sh &&
		    x->sfmt == fmt && x->dw == dw && x->dh == dh &&
		    (!busy || x->failed)) {
			x->last_use = ++c->clock;
			if (x->failed)
				return EINVAL;
			if (claim)
				x->claimed = c->tick;
			*out = x->ctx;
			return 0;
		}
		if (busy)
			continue;
		if (!e || ((e->ctx || e->failed) &&
		           (!(x->ctx || x->failed) ||
		            x->last_use < e->last_use)))
			e = x;
	}
	if (!e)
		return EBUSY;
	sws_freeContext(e->ctx);
	*e = (struct swsent){sw, sh, fmt, dw, dh, NULL, 0, ++c->clock, 0};
	e->ctx =
	    sws_getContext(sw, sh, (enum AVPixelFormat)fmt, dw, dh,
	                   AV_PIX_FMT_YUV420P, c->sws_flags, NULL, NULL, NULL);
	if (!e->ctx) {
		e->failed = 1;
		mcu_log_ratelimited(
		    MCU_LOG_WARN, 5000,
		    "no swscale context for %dx%d %s -> %dx%d", sw, sh,
		    av_get_pix_fmt_name((enum AVPixelFormat)fmt), dw, dh);
		return EINVAL;
	}
	if (claim)
		e->claimed = c->tick;
	*out = e->ctx;
	return 0;
}

/* e is this tick's entry for s in a tw x th tile (scaled, failed or
 * planned). */
static int scaled_matches(const struct scaled *e, const AVFrame *s, int tw,
                          int th, int fit, uint64_t tick)
{
	return (e->valid || e->failed || e->planned) && e->tick == tick &&
	       e->src_id == s->data[0] && e->pts == s->pts &&
	       e->sw == s->width && e->sh == s->height &&
	       e->sfmt == s->format && e->tw == tw && e->th == th &&
	       e->fit == fit;
}

/* This tick's entry for s in a tw x th tile, or NULL. */
static struct scaled *find_entry(struct mcu_compose *c, const AVFrame *s,
                                 int tw, int th)
{
	for (size_t i = 0; i < c->ncache; i++)
		if (scaled_matches(&c->cache[i], s, tw, th, c->fit, c->tick))
			return &c->cache[i];
	return NULL;
}

static bool in_use(const struct mcu_compose *c, const struct scaled *e)
{
	return e->tick == c->tick && (e->valid || e->failed || e->planned);
}

/* A free entry, or (evict) the least recently used one of this tick that
 * no scale job is pending on; NULL if there is none. */
static struct scaled *cache_slot(struct mcu_compose *c, bool evict)
{
	struct scaled *best = NULL;

	for (size_t i = 0; i < c->ncache; i++) {
		struct scaled *e = &c->cache[i];
		if (!in_use(c, e))
			return e; /* free or stale: reuse (keeps its memory) */
		if (evict && !e->planned &&
		    (!best || e->last_use < best->last_use))
			best = e;
	}
	return best;
}

/* Take e for s in a tw x th tile this tick: the key and a reference that
 * keeps s's identity; false if no reference could be taken. */
static bool claim_entry(struct mcu_compose *c, struct scaled *e,
                        const AVFrame *s, int tw, int th)
{
	e->valid = e->failed = e->planned = 0;
	av_buffer_unref(&e->src_ref);
	if (s->buf[0]) {
		e->src_ref = av_buffer_ref(s->buf[0]);
		if (!e->src_ref)
			return false;
	}
	e->src_id = s->data[0];
	e->pts = s->pts;
	e->sw = s->width;
	e->sh = s->height;
	e->sfmt = s->format;
	e->tw = tw;
	e->th = th;
	e->fit = c->fit;
	e->tick = c->tick;
	e->last_use = ++c->clock;
	return true;
}

/* Scale s into e with sws (placement pl). Touches only e: scale jobs run
 * this on several threads at once, each with its own e and sws. */
static int scale_with(const AVFrame *s, const struct placement *pl,
                      struct SwsContext *sws, struct scaled *e)
{
	const uint8_t *src[4] = {0};
	int sls[4] = {0};
	const AVPixFmtDescriptor *d =
	    av_pix_fmt_desc_get((enum AVPixelFormat)s->format);
	int steps[4];

	av_image_fill_max_pixsteps(steps, NULL, d);
	for (int i = 0; i < 4 && s->data[i]; i++) {
		int chroma =
		    (i == 1 || i == 2) && !(d->flags & AV_PIX_FMT_FLAG_RGB);
		int sx = chroma ? d->log2_chroma_w : 0;
		int sy = chroma ? d->log2_chroma_h : 0;
		src[i] = s->data[i] +
		         (ptrdiff_t)(pl->cy >> sy) * s->linesize[i] +
		         (ptrdiff_t)(pl->cx >> sx) * steps[i];
		sls[i] = s->linesize[i];
	}

	int ls0 = ALIGN32(pl->dw), ls1 = ALIGN32(pl->dw / 2);
	size_t need = (size_t)ls0 * pl->dh + (size_t)ls1 * pl->dh;
	if (need > e->cap) {
		av_free(e->mem);
		e->cap = 0;
		e->mem = av_malloc(need);
		if (!e->mem)
			return ENOMEM;
		e->cap = need;
	}
	e->ls[0] = ls0;
	e->ls[1] = e->ls[2] = ls1;
	e->plane[0] = e->mem;
	e->plane[1] = e->mem + (size_t)ls0 * pl->dh;
	e->plane[2] = e->plane[1] + (size_t)ls1 * (pl->dh / 2);
	int r = sws_scale(sws, src, sls, 0, pl->ch, e->plane, e->ls);
	if (r <= 0) {
		mcu_log_ratelimited(MCU_LOG_WARN, 5000, "sws_scale failed: %d",
		                    r);
		return EINVAL;
	}
	e->dw = pl->dw;
	e->dh = pl->dh;
	e->dx = pl->dx;
	e->dy = pl->dy;
	return 0;
}

static void run_job(struct job *j)
{
	if (scale_with(j->s, &j->pl, j->sws, j->e))
		j->e->failed = 1;
	else
		j->e->valid = 1;
	j->e->planned = 0;
}

size_t mcu_compose_plan(struct mcu_compose *c, const struct mcu_tile *tiles,
                        const struct mcu_compose_tile *in, size_t n)
{
	if (!c || (n && (!tiles || !in)))
		return 0;
	for (size_t i = 0; i < n && c->njobs < MAX_JOBS; i++) {
		const AVFrame *s = in[i].frame;
		int tw = tiles[i].w, th = tiles[i].h;
		struct placement pl;
		struct SwsContext *sws;
		struct scaled *e;
		int err;

		if (!s || tw < 2 || th < 2 || !source_ok(s))
			continue; /* drawn as a card, or refused by draw */
		if (find_entry(c, s, tw, th) || !(e = cache_slot(c, false)))
			continue;
		place(s, tw, th, c->fit, &pl);
		err = get_sws(c, pl.cw, pl.ch, s->format, pl.dw, pl.dh, true,
		              &sws);
		if (err == EBUSY || !claim_entry(c, e, s, tw, th))
			continue; /* scaled by draw, on its thread */
		if (err) {
			e->failed = 1;
			continue;
		}
		e->planned = 1;
		c->st.cache_misses++;
		c->jobs[c->njobs++] = (struct job){e, s, pl, sws};
	}
	return c->njobs;
}

void mcu_compose_scale(struct mcu_compose *c, size_t job)
{
	if (c && job < c->njobs && c->jobs[job].e->planned)
		run_job(&c->jobs[job]);
}

/* The jobs planned and not run (the caller skipped them) run now. */
static void finish_jobs(struct mcu_compose *c)
{
	for (size_t i = 0; i < c->njobs; i++)
		if (c->jobs[i].e->planned)
			run_job(&c->jobs[i]);
	c->njobs = 0;
	for (int i = 0; i < MAX_SWS; i++) /* a later plan may use them again */
		c->sws[i].claimed = 0;
}

/* The scaled picture of s for a tw x th tile, from the cache or scaled now. */
static const struct scaled *get_scaled(struct mcu_compose *c, const AVFrame *s,
                                       int tw, int th)
{
	struct placement pl;
	struct SwsContext *sws;
	struct scaled *e;

	if ((e = find_entry(c, s, tw, th))) {
		e->last_use = ++c->clock;
		if (e->failed) {
			c->st.scale_errors++;
			return NULL;
		}
		c->st.cache_hits++;
		return e;
	}
	e = cache_slot(c, true);
	if (!e) /* cannot happen after finish_jobs(): nothing is planned */
		return NULL;
	place(s, tw, th, c->fit, &pl);
	bool cached = claim_entry(c, e, s, tw, th);
	if (get_sws(c, pl.cw, pl.ch, s->format, pl.dw, pl.dh, false, &sws) ||
	    scale_with(s, &pl, sws, e)) {
		c->st.scale_errors++;
		e->failed = cached;
		return NULL;
	}
	c->st.cache_misses++;
	e->valid = cached; /* not cached without a reference: usable now */
	return e;
}

static void blit_scaled(AVFrame *f, const struct mcu_tile *t,
                        const struct scaled *e)
{
	int x = t->x + e->dx, y = t->y + e->dy;

	for (int r = 0; r < e->dh; r++)
		memcpy(f->data[0] + (size_t)(y + r) * f->linesize[0] + x,
		       e->plane[0] + (size_t)r * e->ls[0], (size_t)e->dw);
	for (int p = 1; p < 3; p++)
		for (int r = 0; r < e->dh / 2; r++)
			memcpy(f->data[p] +
			           (size_t)(y / 2 + r) * f->linesize[p] + x / 2,
			       e->plane[p] + (size_t)r * e->ls[p],
			       (size_t)e->dw / 2);
	/* letterbox bars */
	frame_fill(f, t->x, t->y, t->w, e->dy, black);
	frame_fill(f, t->x, y + e->dh, t->w, t->h - e->dy - e->dh, black);
	frame_fill(f, t->x, y, e->dx, e->dh, black);
	frame_fill(f, x + e->dw, y, t->w - e->dx - e->dw, e->dh, black);
}

/* ---- text ---- */

static int clampi(int v, int lo, int hi)
{
	return v < lo ? lo : v > hi ? hi : v;
}

/* A label of text no wider than maxw if a smaller size allows it. */
static const struct mcu_label *fit_label(struct mcu_compose *c,
                                         const char *text, int px, int maxw)
{
	const struct mcu_label *lab;

	if (!text || !*text || mcu_label_get(c->labels, text, px, &lab))
		return NULL;
	if (lab->w > maxw && px > 10) {
		int px2 =
		    clampi((int)((int64_t)px * maxw / lab->w) & ~1, 10, px);
		const struct mcu_label *l2;
		if (px2 < px && !mcu_label_get(c->labels, text, px2, &l2))
			return l2;
	}
	return lab;
}

static void draw_card(struct mcu_compose *c, AVFrame *f,
                      const struct mcu_tile *t,
                      const struct mcu_compose_tile *in)
{
	frame_fill(f, t->x, t->y, t->w, t->h,
	           in->card == MCU_CARD_EMPTY ? black : card_bg);
	if (in->card == MCU_CARD_EMPTY || t->h < 24 || t->w < 24)
		return;

	int px = clampi((t->h / 9) & ~1, 10, 48);
	const char *state =
	    in->card_text ? in->card_text : mcu_compose_card_text(in->card);
	/* blended before the state text is looked up, which may evict it */
	const struct mcu_label *name = fit_label(c, in->label, px, t->w - 8);
	int name_h = name ? name->h : 0, name_w = name ? name->w : 0;
	int spx = clampi((px * 2 / 3) & ~1, 10, 48);
	int total = name_h;
	const struct mcu_label *st = NULL;

	if (name) {
		int y = t->y + ((t->h - name_h - (state[0] ? spx * 2 : 0)) / 2);
		if (y > t->y + t->h - name_h)
			y = t->y + t->h - name_h;
		if (y < t->y)
			y = t->y;
		y &= ~1;
		int x = (t->x + (t->w - name_w) / 2) & ~1;
		if (x < t->x)
			x = t->x;
		frame_blend_label(f, name, x, y, t->x + t->w - x,
		                  t->y + t->h - y, TEXT_Y);
		total = y + name_h + spx / 2 - t->y;
	} else {
		total = (t->h - spx) / 2;
	}
	st = fit_label(c, state, spx, t->w - 8);
	if (st) {
		int y = (t->y + total) & ~1;
		int x = (t->x + (t->w - st->w) / 2) & ~1;
		if (x < t->x)
			x = t->x;
		if (y < t->y + t->h - 2)
			frame_blend_label(f, st, x, y, t->x + t->w - x,
			                  t->y + t->h - y, STATE_Y);
	}
}

static void draw_name(struct mcu_compose *c, AVFrame *f,
                      const struct mcu_tile *t, const char *text, int inset)
{
	if (!text || !*text || t->h < 40 || t->w < 48)
		return;

	int px = clampi((t->h / 14) & ~1, 10, 32);
	const struct mcu_label *lab;

	if (mcu_label_get(c->labels, text, px, &lab))
		return;
	int pad = (px / 2 + 1) & ~1;
	int m = inset + 2;
	int bw = lab->w + 2 * pad, bh = (lab->h + 4 + 1) & ~1;
	int maxw = t->w - 2 * m;

	if (bw > maxw)
		bw = maxw & ~1;
	if (bh > t->h - 2 * m || bw <= 2 * pad)
		return;
	int x = t->x + m, y = t->y + t->h - m - bh;
	frame_darken(f, x, y, bw, bh, BAND_ALPHA);
	frame_blend_label(f, lab, x + pad, y + 2, bw - 2 * pad, bh - 2, TEXT_Y);
}

static int cmp_int(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;
	return (x > y) - (x < y);
}

/*
 * Paint black the parts of the canvas no tile covers (the margins between
 * tiles), instead of the whole canvas: every tile paints all of its own
 * rectangle (picture and letterbox bars, or a card), so clearing under
 * it would be written twice per tick. The canvas is cut into horizontal
 * bands at every tile's top and bottom edge; within a band the covering
 * tiles are the same on every row, and the gaps between them are filled.
 * Tiles may overlap (a PiP over its main tile). All coordinates are even.
 */
static void clear_uncovered(AVFrame *f, const struct mcu_tile *tiles, size_t n)
{
	int ys[2 * MCU_LAYOUT_MAX_TILES + 2];
	int xs[MCU_LAYOUT_MAX_TILES][2];
	size_t ny = 0;

	if (n > MCU_LAYOUT_MAX_TILES) {
		frame_fill(f, 0, 0, f->width, f->height, black);
		return;
	}
	ys[ny++] = 0;
	ys[ny++] = f->height;
	for (size_t i = 0; i < n; i++) {
		ys[ny++] = tiles[i].y;
		ys[ny++] = tiles[i].y + tiles[i].h;
	}
	qsort(ys, ny, sizeof(ys[0]), cmp_int);
	for (size_t b = 0; b + 1 < ny; b++) {
		int y0 = ys[b], y1 = ys[b + 1], x = 0;
		size_t nx = 0;
		if (y0 == y1)
			continue;
		for (size_t i = 0; i < n; i++) {
			if (tiles[i].y <= y0 && y0 < tiles[i].y + tiles[i].h) {
				xs[nx][0] = tiles[i].x;
				xs[nx][1] = tiles[i].x + tiles[i].w;
				nx++;
			}
		}
		qsort(xs, nx, sizeof(xs[0]), cmp_int); /* by left edge */
		for (size_t i = 0; i < nx; i++) {
			if (xs[i][0] > x)
				frame_fill(f, x, y0, xs[i][0] - x, y1 - y0,
				           black);
			if (xs[i][1] > x)
				x = xs[i][1];
		}
		if (x < f->width)
			frame_fill(f, x, y0, f->width - x, y1 - y0, black);
	}
}

static int tile_ok(const AVFrame *f, const struct mcu_tile *t)
{
	return t->x >= 0 && t->y >= 0 && t->w >= 2 && t->h >= 2 &&
	       !((t->x | t->y | t->w | t->h) & 1) &&
	       (long)t->x + t->w <= f->width && (long)t->y + t->h <= f->height;
}

int mcu_compose_draw(struct mcu_compose *c, AVFrame *canvas,
                     const struct mcu_tile *tiles,
                     const struct mcu_compose_tile *in, size_t n)
{
	if (!c || !canvas || (n && (!tiles || !in)) ||
	    canvas->format != AV_PIX_FMT_YUV420P || canvas->width < 2 ||
	    canvas->height < 2 || (canvas->width & 1) || (canvas->height & 1) ||
	    !canvas->data[0] || !canvas->data[1] || !canvas->data[2] ||
	    canvas->linesize[0] < canvas->width ||
	    canvas->linesize[1] < canvas->width / 2 ||
	    canvas->linesize[2] < canvas->width / 2)
		return EINVAL;
	for (size_t i = 0; i < n; i++)
		if (!tile_ok(canvas, &tiles[i]))
			return EINVAL;

	finish_jobs(c);
	clear_uncovered(canvas, tiles, n);
	for (size_t i = 0; i < n; i++) {
		const struct mcu_tile *t = &tiles[i];
		const struct scaled *sc = NULL;
		int bt = clampi(((t->w < t->h ? t->w : t->h) / 60) & ~1, 2, 8);

		if (in[i].frame) {
			if (source_ok(in[i].frame))
				sc = get_scaled(c, in[i].frame, t->w, t->h);
			else
				c->st.scale_errors++;
		}
		if (sc) {
			blit_scaled(canvas, t, sc);
			draw_name(c, canvas, t, in[i].label, bt);
		} else {
			struct mcu_compose_tile card = in[i];
			if (in[i].frame)
				card.card = MCU_CARD_NO_VIDEO;
			draw_card(c, canvas, t, &card);
		}
		if (t->flags & MCU_TILE_OVERLAY)
			frame_border(canvas, t->x, t->y, t->w, t->h, 2, black);
		if (in[i].flags & MCU_COMPOSE_HIGHLIGHT)
			frame_border(canvas, t->x, t->y, t->w, t->h, bt,
			             yellow);
		if ((in[i].flags & MCU_COMPOSE_FLOOR) && t->w >= 24 &&
		    t->h >= 24) {
			int s = clampi((t->h / 10) & ~1, 8, 40);
			int x = t->x + bt + 4, y = t->y + bt + 4;
			if (x + s <= t->x + t->w && y + s <= t->y + t->h) {
				frame_fill(canvas, x, y, s, s, green);
				frame_fill(canvas, x + (s / 4 & ~1),
				           y + (s / 4 & ~1),
				           s - 2 * (s / 4 & ~1),
				           s - 2 * (s / 4 & ~1), white);
				frame_fill(canvas, x + (s / 3 & ~1),
				           y + (s / 3 & ~1),
				           s - 2 * (s / 3 & ~1),
				           s - 2 * (s / 3 & ~1), green);
			}
		}
	}
	return 0;
}
