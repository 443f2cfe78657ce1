/* test-libs: mcu_conf mcu_layout */
/*
 * layout/compose and layout/label: scaled tiles land with the right colours,
 * letterbox bars are black, cards and labels are drawn (Vietnamese glyphs
 * exist in the font), the scaled-tile cache hits within a tick and misses
 * after it, odd sources and sizes are safe. Writes compose_sample.png to the
 * working directory (the build tree) for a human look.
 */
#include "tests/unit/testutil.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <libavcodec/avcodec.h>
#include <libavutil/imgutils.h>
#include <libavutil/pixdesc.h>
#include <libswscale/swscale.h>

#include "layout/catalog.h"
#include "layout/compose.h"
#include "layout/label.h"

struct col {
	int y, u, v;
};
static const struct col RED = {81, 90, 240};
static const struct col GREEN = {145, 54, 34};
static const struct col BLUE = {41, 240, 110};
static const struct col GREY = {126, 128, 128};
static const struct col BLACK = {16, 128, 128};

static AVFrame *solid(int w, int h, enum AVPixelFormat fmt, struct col c)
{
	AVFrame *f = av_frame_alloc();
	const AVPixFmtDescriptor *d = av_pix_fmt_desc_get(fmt);

	assert_non_null(f);
	f->format = fmt;
	f->width = w;
	f->height = h;
	f->pts = 1000;
	assert_int_equal(av_frame_get_buffer(f, 0), 0);
	int cw = AV_CEIL_RSHIFT(w, d->log2_chroma_w);
	int ch = AV_CEIL_RSHIFT(h, d->log2_chroma_h);
	if (fmt == AV_PIX_FMT_YUV420P || fmt == AV_PIX_FMT_YUVJ420P) {
		for (int r = 0; r < h; r++)
			memset(f->data[0] + r * f->linesize[0], c.y, w);
		for (int r = 0; r < ch; r++) {
			memset(f->data[1] + r * f->linesize[1], c.u, cw);
			memset(f->data[2] + r * f->linesize[2], c.v, cw);
		}
	} else if (fmt == AV_PIX_FMT_NV12) {
		for (int r = 0; r < h; r++)
			memset(f->data[0] + r * f->linesize[0], c.y, w);
		for (int r = 0; r < ch; r++)
			for (int x = 0; x < cw; x++) {
				f->data[1][r * f->linesize[1] + 2 * x] = c.u;
				f->data[1][r * f->linesize[1] + 2 * x + 1] =
				    c.v;
			}
	} else {
		fail_msg("unsupported test format");
	}
	return f;
}

static void pixel(const AVFrame *f, int x, int y, struct col *c)
{
	c->y = f->data[0][y * f->linesize[0] + x];
	c->u = f->data[1][(y / 2) * f->linesize[1] + x / 2];
	c->v = f->data[2][(y / 2) * f->linesize[2] + x / 2];
}

static void assert_col(const AVFrame *f, int x, int y, struct col want)
{
	struct col c;

	pixel(f, x, y, &c);
	if (abs(c.y - want.y) > 2 || abs(c.u - want.u) > 2 ||
	    abs(c.v - want.v) > 2)
		fail_msg("pixel (%d,%d) = %d/%d/%d, want %d/%d/%d", x, y, c.y,
		         c.u, c.v, want.y, want.u, want.v);
}

static void tiles_of(const char *name, int w, int h, struct mcu_tile *t,
                     size_t *n)
{
	struct mcu_layout l;

	assert_int_equal(mcu_layout_parse(name, &l), 0);
	assert_int_equal(mcu_layout_tiles(&l, w, h, t, MCU_LAYOUT_MAX_TILES, n),
	                 0);
}

static void grid_colours(void **state)
{
	struct mcu_compose *c;
	struct mcu_tile t[MCU_LAYOUT_MAX_TILES];
	struct mcu_compose_tile in[4] = {{0}};
	const struct col cols[4] = {RED, GREEN, BLUE, GREY};
	AVFrame *src[4], *canvas;
	size_t n;
	(void)state;

	assert_int_equal(mcu_compose_alloc(&c, NULL), 0);
	tiles_of("grid-2x2", 1280, 720, t, &n);
	for (int i = 0; i < 4; i++) {
		src[i] = solid(640, 360, AV_PIX_FMT_YUV420P, cols[i]);
		in[i].frame = src[i];
	}
	assert_int_equal(mcu_compose_canvas(c, 1280, 720, &canvas), 0);
	assert_int_equal(mcu_compose_draw(c, canvas, t, in, n), 0);
	for (int i = 0; i < 4; i++)
		assert_col(canvas, t[i].x + t[i].w / 2, t[i].y + t[i].h / 2,
		           cols[i]);
	/* the gap between tiles is background */
	assert_col(canvas, 640, 10, BLACK);
	assert_col(canvas, 0, 0, BLACK);
	av_frame_free(&canvas);

	/* same at 640x360 with an NV12 and a full-range source */
	AVFrame *nv = solid(320, 180, AV_PIX_FMT_NV12, BLUE);
	in[1].frame = nv;
	assert_int_equal(mcu_compose_canvas(c, 640, 360, &canvas), 0);
	tiles_of("grid-2x2", 640, 360, t, &n);
	assert_int_equal(mcu_compose_draw(c, canvas, t, in, n), 0);
	assert_col(canvas, t[1].x + t[1].w / 2, t[1].y + t[1].h / 2, BLUE);
	assert_col(canvas, t[0].x + t[0].w / 2, t[0].y + t[0].h / 2, RED);
	av_frame_free(&canvas);
	av_frame_free(&nv);
	for (int i = 0; i < 4; i++)
		av_frame_free(&src[i]);
	c = mcu_compose_free(c);
	assert_null(c);
}

static void letterbox_and_crop(void **state)
{
	struct mcu_compose *c;
	struct mcu_compose_params p = {0};
	struct mcu_tile t[MCU_LAYOUT_MAX_TILES];
	struct mcu_compose_tile in = {0};
	AVFrame *canvas;
	size_t n;
	(void)state;

	/* a 4:3-ish source (176x144) in a 16:9 tile: bars left and right */
	AVFrame *qcif = solid(176, 144, AV_PIX_FMT_YUV420P, RED);
	in.frame = qcif;
	tiles_of("host", 1280, 720, t, &n);
	assert_int_equal(mcu_compose_alloc(&c, NULL), 0);
	assert_int_equal(mcu_compose_canvas(c, 1280, 720, &canvas), 0);
	assert_int_equal(mcu_compose_draw(c, canvas, t, &in, 1), 0);
	assert_col(canvas, 640, 360, RED);
	assert_col(canvas, 4, 360, BLACK);
	assert_col(canvas, 1275, 360, BLACK);
	assert_col(canvas, 640, 2, RED); /* full height */
	/* the picture is 880 wide (720 * 176/144): bars of 200 */
	assert_col(canvas, 198, 360, BLACK);
	assert_col(canvas, 204, 360, RED);
	/* a very wide source: bars top and bottom */
	AVFrame *wide = solid(4096, 1024, AV_PIX_FMT_YUV420P, GREEN);
	in.frame = wide;
	assert_int_equal(mcu_compose_draw(c, canvas, t, &in, 1), 0);
	assert_col(canvas, 640, 360, GREEN);
	assert_col(canvas, 640, 4, BLACK);
	assert_col(canvas, 640, 715, BLACK);
	av_frame_free(&canvas);
	mcu_compose_free(c);

	/* crop-to-fill: no bars */
	p.fit = MCU_COMPOSE_CROP;
	assert_int_equal(mcu_compose_alloc(&c, &p), 0);
	assert_int_equal(mcu_compose_canvas(c, 1280, 720, &canvas), 0);
	in.frame = qcif;
	assert_int_equal(mcu_compose_draw(c, canvas, t, &in, 1), 0);
	assert_col(canvas, 4, 360, RED);
	assert_col(canvas, 1275, 4, RED);
	in.frame = wide;
	assert_int_equal(mcu_compose_draw(c, canvas, t, &in, 1), 0);
	assert_col(canvas, 640, 4, GREEN);
	assert_col(canvas, 4, 715, GREEN);
	av_frame_free(&canvas);
	av_frame_free(&qcif);
	av_frame_free(&wide);
	mcu_compose_free(c);

	p.fit = 7;
	assert_int_equal(mcu_compose_alloc(&c, &p), EINVAL);
}

static int count_bright(const AVFrame *f, const struct mcu_tile *t, int thr)
{
	int k = 0;

	for (int y = t->y; y < t->y + t->h; y++)
		for (int x = t->x; x < t->x + t->w; x++)
			k += f->data[0][y * f->linesize[0] + x] > thr;
	return k;
}

static void cards(void **state)
{
	struct mcu_compose *c;
	struct mcu_tile t[MCU_LAYOUT_MAX_TILES];
	struct mcu_compose_tile in[4] = {{0}};
	AVFrame *canvas;
	size_t n;
	(void)state;

	assert_int_equal(mcu_compose_alloc(&c, NULL), 0);
	tiles_of("grid-2x2", 1280, 720, t, &n);
	in[0] = (struct mcu_compose_tile){NULL, "Phường Tân An",
	                                  MCU_CARD_DISCONNECTED, NULL, 0};
	in[1] = (struct mcu_compose_tile){NULL, "UBND xã Mỹ Khánh",
	                                  MCU_CARD_VIDEO_MUTED, NULL, 0};
	in[2] = (struct mcu_compose_tile){NULL, NULL, MCU_CARD_EMPTY, NULL, 0};
	in[3] = (struct mcu_compose_tile){NULL, "Bình Thủy",
	                                  MCU_CARD_CONNECTING, "Connecting", 0};
	assert_int_equal(mcu_compose_canvas(c, 1280, 720, &canvas), 0);
	assert_int_equal(mcu_compose_draw(c, canvas, t, in, n), 0);
	const struct col card = {53, 132, 126};
	for (int i = 0; i < 4; i++) {
		int bright = count_bright(canvas, &t[i], 150);
		if (i == 2) {
			assert_col(canvas, t[i].x + 10, t[i].y + 10, BLACK);
			assert_int_equal(bright, 0);
		} else {
			assert_col(canvas, t[i].x + 10, t[i].y + 10, card);
			assert_true(bright > 200); /* the name and state text */
		}
	}
	assert_string_equal(mcu_compose_card_text(MCU_CARD_VIDEO_MUTED),
	                    "Tắt hình");
	assert_string_equal(mcu_compose_card_text(MCU_CARD_DISCONNECTED),
	                    "Mất kết nối");
	assert_string_equal(mcu_compose_card_text(MCU_CARD_CONNECTING),
	                    "Đang kết nối");
	/* a source that cannot be scaled becomes a card */
	AVFrame hw = {0};
	uint8_t dummy[16];
	hw.format = AV_PIX_FMT_VAAPI;
	hw.width = hw.height = 64;
	hw.data[0] = dummy;
	hw.linesize[0] = 16;
	in[0].frame = &hw;
	assert_int_equal(mcu_compose_draw(c, canvas, t, in, 1), 0);
	assert_col(canvas, t[0].x + 10, t[0].y + 10, card);
	struct mcu_compose_stats st;
	mcu_compose_get_stats(c, &st);
	assert_int_equal(st.scale_errors, 1);
	av_frame_free(&canvas);
	mcu_compose_free(c);
}

static const char vn_text[] = "Ủy ban nhân dân phường Tân An — Đ ư ơ ạ";

static void vietnamese_glyphs(void **state)
{
	struct mcu_label_cache *lc;
	uint32_t cps[64];
	(void)state;

	assert_int_equal(mcu_label_cache_alloc(&lc, NULL, 0), 0);
	size_t n = mcu_label_utf8_decode(vn_text, cps, 64);
	assert_int_equal(n, 39);
	assert_int_equal(cps[0], 0x1EE6);  /* Ủ */
	assert_int_equal(cps[30], 0x2014); /* — */
	for (size_t i = 0; i < n; i++) {
		if (mcu_label_glyph_index(lc, cps[i]) == 0)
			fail_msg("U+%04X has no glyph", (unsigned)cps[i]);
		if (cps[i] == ' ')
			continue;
		/* every letter draws something */
		char one[8] = {0};
		const struct mcu_label *lab;
		size_t k = 0;
		const char *p = vn_text;
		for (size_t j = 0; j < i; j++) { /* find the i-th code point */
			p++;
			while ((*p & 0xC0) == 0x80)
				p++;
		}
		do
			one[k++] = *p++;
		while ((*p & 0xC0) == 0x80 && k < 7);
		assert_int_equal(mcu_label_get(lc, one, 24, &lab), 0);
		long sum = 0;
		for (int j = 0; j < lab->w * lab->h; j++)
			sum += lab->alpha[j];
		assert_true(sum > 0);
	}
	assert_int_equal(mcu_label_glyph_index(lc, 0x10FFFD), 0); /* sanity */

	/* the whole text: wider than tall, cached the second time */
	const struct mcu_label *a, *b;
	struct mcu_label_stats st;
	assert_int_equal(mcu_label_get(lc, vn_text, 20, &a), 0);
	assert_true(a->w > 300 && a->h >= 20 && a->h < 40);
	assert_int_equal((a->w | a->h) & 1, 0);
	mcu_label_get_stats(lc, &st);
	uint64_t rendered = st.rendered;
	assert_int_equal(mcu_label_get(lc, vn_text, 20, &b), 0);
	assert_ptr_equal(a, b);
	mcu_label_get_stats(lc, &st);
	assert_int_equal(st.rendered, rendered);
	assert_true(st.hits >= 1);
	/* bad input */
	assert_int_equal(mcu_label_get(lc, "", 20, &a), EINVAL);
	assert_int_equal(mcu_label_get(lc, "x", 2, &a), EINVAL);
	assert_int_equal(mcu_label_get(lc, "x", 1000, &a), EINVAL);
	mcu_label_cache_free(lc);
	assert_int_equal(mcu_label_cache_alloc(&lc, "/nonexistent.ttf", 0),
	                 ENOENT);
}

static void utf8_decoding(void **state)
{
	uint32_t cps[16];
	(void)state;

	assert_int_equal(mcu_label_utf8_decode("a\xC3\xA2", cps, 16), 2);
	assert_int_equal(cps[1], 0xE2);
	/* overlong, surrogate, stray continuation, truncated, > U+10FFFF */
	assert_int_equal(mcu_label_utf8_decode("\xC0\xAF", cps, 16), 1);
	assert_int_equal(cps[0], 0xFFFD);
	assert_int_equal(mcu_label_utf8_decode("\xED\xA0\x80", cps, 16), 1);
	assert_int_equal(cps[0], 0xFFFD);
	assert_int_equal(mcu_label_utf8_decode("\x80x", cps, 16), 2);
	assert_int_equal(cps[0], 0xFFFD);
	assert_int_equal(cps[1], 'x');
	assert_int_equal(mcu_label_utf8_decode("\xE1\xBA", cps, 16), 1);
	assert_int_equal(cps[0], 0xFFFD);
	assert_int_equal(mcu_label_utf8_decode("\xF4\x90\x80\x80", cps, 16), 1);
	assert_int_equal(cps[0], 0xFFFD);
	assert_int_equal(mcu_label_utf8_decode("\xFFZ", cps, 16), 2);
	assert_int_equal(cps[1], 'Z');
	assert_int_equal(mcu_label_utf8_decode("abcdef", cps, 3), 3);
	assert_int_equal(mcu_label_utf8_decode(NULL, cps, 3), 0);
}

static void labels_in_band(void **state)
{
	struct mcu_compose *c;
	struct mcu_tile t[MCU_LAYOUT_MAX_TILES];
	struct mcu_compose_tile in[4] = {{0}};
	AVFrame *a, *b, *src;
	size_t n;
	(void)state;

	assert_int_equal(mcu_compose_alloc(&c, NULL), 0);
	tiles_of("grid-2x2", 1280, 720, t, &n);
	src = solid(640, 360, AV_PIX_FMT_YUV420P, GREY);
	for (int i = 0; i < 4; i++)
		in[i].frame = src;
	assert_int_equal(mcu_compose_canvas(c, 1280, 720, &a), 0);
	assert_int_equal(mcu_compose_canvas(c, 1280, 720, &b), 0);
	assert_int_equal(mcu_compose_draw(c, a, t, in, n), 0);
	in[0].label = vn_text;
	assert_int_equal(mcu_compose_draw(c, b, t, in, n), 0);

	/* only the bottom-left band of tile 0 changes */
	int in_band = 0, bright = 0, dark = 0;
	for (int y = 0; y < 720; y++) {
		for (int x = 0; x < 1280; x++) {
			int ya = a->data[0][y * a->linesize[0] + x];
			int yb = b->data[0][y * b->linesize[0] + x];
			if (ya == yb)
				continue;
			if (!(x < t[0].x + t[0].w && y < t[0].y + t[0].h &&
			      y > t[0].y + t[0].h * 3 / 4))
				fail_msg(
				    "pixel (%d,%d) changed outside the band", x,
				    y);
			in_band++;
			bright += yb > 200;
			dark += yb < ya;
		}
	}
	assert_true(in_band > 1000);
	assert_true(bright > 100); /* glyphs */
	assert_true(dark > 1000);  /* the darkened band */
	/* the label is clipped to its tile: a very long name */
	char longname[600];
	for (int i = 0; i < 599; i++)
		longname[i] = (char)('a' + i % 26);
	longname[599] = 0;
	in[0].label = longname;
	assert_int_equal(mcu_compose_draw(c, b, t, in, n), 0);
	assert_col(b, t[1].x + 20, t[1].y + t[1].h - 10, GREY);
	av_frame_free(&a);
	av_frame_free(&b);
	av_frame_free(&src);
	mcu_compose_free(c);
}

static void scaled_cache(void **state)
{
	struct mcu_compose *c;
	struct mcu_tile t[MCU_LAYOUT_MAX_TILES];
	struct mcu_compose_tile in[4] = {{0}};
	struct mcu_compose_stats st;
	AVFrame *canvas, *src;
	size_t n;
	(void)state;

	assert_int_equal(mcu_compose_alloc(&c, NULL), 0);
	tiles_of("grid-2x2", 1280, 720, t, &n);
	src = solid(640, 360, AV_PIX_FMT_YUV420P, RED);
	in[0].frame = src;
	assert_int_equal(mcu_compose_canvas(c, 1280, 720, &canvas), 0);
	/* first use: a miss */
	assert_int_equal(mcu_compose_draw(c, canvas, t, in, 1), 0);
	mcu_compose_get_stats(c, &st);
	assert_int_equal(st.cache_misses, 1);
	assert_int_equal(st.cache_hits, 0);
	/* the same frame at the same size in another view: a hit */
	assert_int_equal(mcu_compose_draw(c, canvas, t, in, 1), 0);
	mcu_compose_get_stats(c, &st);
	assert_int_equal(st.cache_misses, 1);
	assert_int_equal(st.cache_hits, 1);
	assert_col(canvas, t[0].x + 100, t[0].y + 100, RED);
	/* another tile of the same size in the same view: a hit too */
	in[3].frame = src;
	assert_int_equal(mcu_compose_draw(c, canvas, t, in, 4), 0);
	mcu_compose_get_stats(c, &st);
	assert_int_equal(st.cache_misses, 1);
	assert_int_equal(st.cache_hits, 3);
	assert_col(canvas, t[3].x + 100, t[3].y + 100, RED);
	/* a different size: a miss */
	struct mcu_tile big[1];
	tiles_of("host", 1280, 720, big, &n);
	assert_int_equal(mcu_compose_draw(c, canvas, big, in, 1), 0);
	mcu_compose_get_stats(c, &st);
	assert_int_equal(st.cache_misses, 2);
	/* next tick: a miss again, even for the same frame */
	mcu_compose_tick(c);
	assert_int_equal(mcu_compose_draw(c, canvas, t, in, 1), 0);
	mcu_compose_get_stats(c, &st);
	assert_int_equal(st.cache_misses, 3);
	assert_int_equal(st.cache_hits, 3);
	/* a new picture in the same buffer (next pts) is not mistaken */
	src->pts++;
	memset(src->data[0], 200, (size_t)src->linesize[0] * 360);
	assert_int_equal(mcu_compose_draw(c, canvas, t, in, 1), 0);
	mcu_compose_get_stats(c, &st);
	assert_int_equal(st.cache_misses, 4);
	struct col got;
	pixel(canvas, t[0].x + 100, t[0].y + 100, &got);
	assert_int_equal(got.y, 200);
	/* the cache holds a reference on the source buffer until the tick */
	AVBufferRef *keep = src->buf[0];
	assert_true(av_buffer_get_ref_count(keep) >= 2);
	mcu_compose_tick(c);
	assert_int_equal(av_buffer_get_ref_count(keep), 1);
	/* a tiny cache still works: entries get evicted */
	mcu_compose_free(c);
	struct mcu_compose_params p = {.cache_entries = 1};
	assert_int_equal(mcu_compose_alloc(&c, &p), 0);
	AVFrame *other = solid(320, 240, AV_PIX_FMT_YUV420P, BLUE);
	in[1].frame = other;
	in[3].frame = NULL;
	assert_int_equal(mcu_compose_draw(c, canvas, t, in, 2), 0);
	assert_col(canvas, t[0].x + 100, t[0].y + 100,
	           (struct col){200, 90, 240});
	assert_col(canvas, t[1].x + t[1].w / 2, t[1].y + 100, BLUE);
	av_frame_free(&other);
	av_frame_free(&canvas);
	av_frame_free(&src);
	mcu_compose_free(c);
}

/* A source with detail (a hash pattern), so that any difference in scaling
 * shows in the pixels. */
static AVFrame *noisy(int w, int h, unsigned seed)
{
	AVFrame *f = solid(w, h, AV_PIX_FMT_YUV420P, GREY);
	uint32_t x = seed * 2654435761u + 1;

	for (int p = 0; p < 3; p++) {
		int pw = p ? w / 2 : w, ph = p ? h / 2 : h;
		for (int r = 0; r < ph; r++)
			for (int i = 0; i < pw; i++) {
				x ^= x << 13;
				x ^= x >> 17;
				x ^= x << 5;
				f->data[p][r * f->linesize[p] + i] =
				    (uint8_t)(16 + x % 220);
			}
	}
	return f;
}

static bool same_picture(const AVFrame *a, const AVFrame *b)
{
	for (int p = 0; p < 3; p++) {
		int w = p ? a->width / 2 : a->width;
		int h = p ? a->height / 2 : a->height;
		for (int r = 0; r < h; r++)
			if (memcmp(a->data[p] + r * a->linesize[p],
			           b->data[p] + r * b->linesize[p], w))
				return false;
	}
	return true;
}

struct scale_half {
	struct mcu_compose *c;
	size_t jobs, first;
};

static void *scale_every_other(void *arg)
{
	struct scale_half *h = arg;
	for (size_t i = h->first; i < h->jobs; i += 2)
		mcu_compose_scale(h->c, i);
	return NULL;
}

/*
 * Planned scaling (mcu_compose_plan/mcu_compose_scale, as a meeting's tick
 * runs it on its worker threads) draws exactly the pictures of an unplanned
 * draw: 16 sources of one size into a 4x4 grid (sixteen jobs of one
 * geometry, each with its own swscale context, run by two threads at once)
 * plus a host view sharing none of them; a tile planned twice is one job;
 * a job nobody ran is run by the draw; with a cache too small for the plan
 * the rest is scaled by the draw.
 */
static void planned_scaling(void **state)
{
	struct mcu_compose *ref, *c;
	struct mcu_tile g[MCU_LAYOUT_MAX_TILES], h[MCU_LAYOUT_MAX_TILES];
	struct mcu_compose_tile in[16] = {{0}};
	struct mcu_compose_stats st;
	AVFrame *src[16], *want_g, *want_h, *got_g, *got_h;
	size_t ng, nh, jobs;
	(void)state;

	for (int i = 0; i < 16; i++) {
		src[i] = noisy(640, 360, (unsigned)i);
		in[i].frame = src[i];
		in[i].label = "Xã Tân Phú";
	}
	tiles_of("grid-4x4", 1280, 720, g, &ng);
	assert_int_equal(ng, 16);
	tiles_of("host", 640, 360, h, &nh);
	assert_int_equal(mcu_compose_alloc(&ref, NULL), 0);
	assert_int_equal(mcu_compose_alloc(&c, NULL), 0);
	assert_int_equal(mcu_compose_canvas(ref, 1280, 720, &want_g), 0);
	assert_int_equal(mcu_compose_canvas(ref, 640, 360, &want_h), 0);
	assert_int_equal(mcu_compose_draw(ref, want_g, g, in, ng), 0);
	assert_int_equal(mcu_compose_draw(ref, want_h, h, &in[5], nh), 0);

	for (int round = 0; round < 3; round++) {
		mcu_compose_tick(c);
		jobs = mcu_compose_plan(c, g, in, ng);
		assert_int_equal(jobs, 16);
		assert_int_equal(mcu_compose_plan(c, g, in, ng), 16);
		jobs = mcu_compose_plan(c, h, &in[5], nh);
		assert_int_equal(jobs, 17);
		/* one swscale context per job: none is shared at once */
		mcu_compose_get_stats(c, &st);
		assert_int_equal(st.sws_contexts, 17);
		if (round < 2) {
			struct scale_half a = {c, jobs, 0}, b = {c, jobs, 1};
			pthread_t ta, tb;
			assert_int_equal(
			    pthread_create(&ta, NULL, scale_every_other, &a), 0);
			assert_int_equal(
			    pthread_create(&tb, NULL, scale_every_other, &b), 0);
			pthread_join(ta, NULL);
			pthread_join(tb, NULL);
		} /* round 2: nobody runs the jobs */
		assert_int_equal(mcu_compose_canvas(c, 1280, 720, &got_g), 0);
		assert_int_equal(mcu_compose_canvas(c, 640, 360, &got_h), 0);
		assert_int_equal(mcu_compose_draw(c, got_g, g, in, ng), 0);
		assert_int_equal(mcu_compose_draw(c, got_h, h, &in[5], nh), 0);
		assert_true(same_picture(got_g, want_g));
		assert_true(same_picture(got_h, want_h));
		av_frame_free(&got_g);
		av_frame_free(&got_h);
	}
	mcu_compose_get_stats(c, &st);
	assert_int_equal(st.cache_misses, 3 * 17);
	assert_int_equal(st.cache_hits, 3 * 17);
	assert_int_equal(st.scale_errors, 0);
	mcu_compose_free(c);

	/* a cache of 4 entries: 4 jobs, the rest scaled by the draw */
	struct mcu_compose_params p = {.cache_entries = 4};
	assert_int_equal(mcu_compose_alloc(&c, &p), 0);
	mcu_compose_tick(c);
	jobs = mcu_compose_plan(c, g, in, ng);
	assert_int_equal(jobs, 4);
	for (size_t i = 0; i < jobs; i++)
		mcu_compose_scale(c, i);
	mcu_compose_scale(c, jobs); /* out of range: ignored */
	assert_int_equal(mcu_compose_canvas(c, 1280, 720, &got_g), 0);
	assert_int_equal(mcu_compose_draw(c, got_g, g, in, ng), 0);
	assert_true(same_picture(got_g, want_g));
	av_frame_free(&got_g);
	mcu_compose_free(c);

	av_frame_free(&want_g);
	av_frame_free(&want_h);
	for (int i = 0; i < 16; i++)
		av_frame_free(&src[i]);
	mcu_compose_free(ref);
}

static void odd_sizes(void **state)
{
	static const int srcs[][2] = {{176, 144}, {1, 1},   {4096, 2160},
	                              {175, 143}, {2, 1},   {1, 720},
	                              {3, 3},     {1920, 1}};
	static const int canv[][2] = {
	    {640, 360}, {1280, 720}, {1920, 1080}, {32, 32}};
	static const char *const names[] = {
	    "host", "host+floor", "grid-2x2", "grid-5x5", "tour-4x4",
	    "1+5",  "1+7",        "1+12",     "content",  "2x1",
	};
	const size_t nsrc = sizeof(srcs) / sizeof(srcs[0]);
	AVFrame *f[8] = {0};
	struct mcu_compose *c, *cc;
	struct mcu_compose_params p = {.fit = MCU_COMPOSE_CROP};
	(void)state;

	assert_int_equal(mcu_compose_alloc(&c, NULL), 0);
	assert_int_equal(mcu_compose_alloc(&cc, &p), 0);
	for (size_t i = 0; i < nsrc; i++)
		f[i] = solid(srcs[i][0], srcs[i][1], AV_PIX_FMT_YUV420P, GREEN);
	for (size_t ci = 0; ci < 4; ci++) {
		for (size_t li = 0; li < sizeof(names) / sizeof(names[0]);
		     li++) {
			struct mcu_tile t[MCU_LAYOUT_MAX_TILES];
			struct mcu_compose_tile in[MCU_LAYOUT_MAX_TILES] = {
			    {0}};
			AVFrame *canvas;
			size_t n;

			tiles_of(names[li], canv[ci][0], canv[ci][1], t, &n);
			for (size_t k = 0; k < n; k++) {
				in[k].frame =
				    k % 5 == 4 ? NULL : f[(k + li) % nsrc];
				in[k].label = k % 2 ? "Điểm cầu Ô Môn" : NULL;
				in[k].card = (enum mcu_card)(k % 5);
				in[k].flags = (unsigned)(k % 4);
			}
			for (int pass = 0; pass < 2; pass++) {
				struct mcu_compose *x = pass ? cc : c;
				assert_int_equal(
				    mcu_compose_canvas(x, canv[ci][0],
				                       canv[ci][1], &canvas),
				    0);
				assert_int_equal(
				    mcu_compose_draw(x, canvas, t, in, n), 0);
				/* zero tiles: a black canvas */
				if (li == 0) {
					assert_int_equal(
					    mcu_compose_draw(x, canvas, t, NULL,
					                     0),
					    0);
					assert_col(canvas, canv[ci][0] / 2,
					           canv[ci][1] / 2, BLACK);
				}
				av_frame_free(&canvas);
				mcu_compose_tick(x);
			}
		}
	}
	/* a 1x1 source fills a whole tile with its colour */
	struct mcu_tile t[1];
	struct mcu_compose_tile one = {f[1], NULL, 0, NULL, 0};
	AVFrame *canvas;
	size_t n;
	tiles_of("host", 640, 360, t, &n);
	assert_int_equal(mcu_compose_canvas(cc, 640, 360, &canvas), 0);
	assert_int_equal(mcu_compose_draw(cc, canvas, t, &one, 1), 0);
	assert_col(canvas, 320, 180, GREEN);
	assert_col(canvas, 2, 2, GREEN);
	/* bad tiles and canvases are refused without drawing */
	struct mcu_tile bad = {1, 0, 10, 10, MCU_TILE_SMALL, 0, 0};
	assert_int_equal(mcu_compose_draw(cc, canvas, &bad, &one, 1), EINVAL);
	bad = (struct mcu_tile){630, 0, 12, 10, MCU_TILE_SMALL, 0, 0};
	assert_int_equal(mcu_compose_draw(cc, canvas, &bad, &one, 1), EINVAL);
	bad = (struct mcu_tile){-2, 0, 12, 10, MCU_TILE_SMALL, 0, 0};
	assert_int_equal(mcu_compose_draw(cc, canvas, &bad, &one, 1), EINVAL);
	assert_int_equal(mcu_compose_draw(cc, canvas, NULL, &one, 1), EINVAL);
	AVFrame *rgb = av_frame_alloc();
	rgb->format = AV_PIX_FMT_RGB24;
	rgb->width = 64;
	rgb->height = 64;
	assert_int_equal(av_frame_get_buffer(rgb, 0), 0);
	assert_int_equal(mcu_compose_draw(cc, rgb, t, &one, 0), EINVAL);
	/* an RGB source is fine */
	memset(rgb->data[0], 0, (size_t)rgb->linesize[0] * 64);
	one.frame = rgb;
	assert_int_equal(mcu_compose_draw(cc, canvas, t, &one, 1), 0);
	assert_col(canvas, 320, 180, BLACK);
	assert_int_equal(mcu_compose_canvas(cc, 641, 360, &canvas), EINVAL);
	assert_int_equal(mcu_compose_canvas(cc, 0, 360, &canvas), EINVAL);
	av_frame_free(&rgb);
	av_frame_free(&canvas);
	for (size_t i = 0; i < nsrc; i++)
		av_frame_free(&f[i]);
	mcu_compose_free(c);
	mcu_compose_free(cc);
}

/* Encode a YUV420P frame as PNG (RGB24) to path. */
static void write_png(const AVFrame *yuv, const char *path)
{
	const AVCodec *codec = avcodec_find_encoder(AV_CODEC_ID_PNG);
	AVCodecContext *ctx;
	AVFrame *rgb = av_frame_alloc();
	AVPacket *pkt = av_packet_alloc();
	struct SwsContext *sws;
	FILE *fp;

	assert_non_null(codec);
	ctx = avcodec_alloc_context3(codec);
	assert_non_null(ctx);
	ctx->width = yuv->width;
	ctx->height = yuv->height;
	ctx->pix_fmt = AV_PIX_FMT_RGB24;
	ctx->time_base = (AVRational){1, 25};
	assert_int_equal(avcodec_open2(ctx, codec, NULL), 0);
	rgb->format = AV_PIX_FMT_RGB24;
	rgb->width = yuv->width;
	rgb->height = yuv->height;
	assert_int_equal(av_frame_get_buffer(rgb, 0), 0);
	sws = sws_getContext(yuv->width, yuv->height, AV_PIX_FMT_YUV420P,
	                     yuv->width, yuv->height, AV_PIX_FMT_RGB24,
	                     SWS_BILINEAR, NULL, NULL, NULL);
	assert_non_null(sws);
	sws_scale(sws, (const uint8_t *const *)yuv->data, yuv->linesize, 0,
	          yuv->height, rgb->data, rgb->linesize);
	assert_int_equal(avcodec_send_frame(ctx, rgb), 0);
	assert_int_equal(avcodec_receive_packet(ctx, pkt), 0);
	fp = fopen(path, "wb");
	assert_non_null(fp);
	assert_int_equal(fwrite(pkt->data, 1, (size_t)pkt->size, fp),
	                 (size_t)pkt->size);
	fclose(fp);
	sws_freeContext(sws);
	av_packet_free(&pkt);
	av_frame_free(&rgb);
	avcodec_free_context(&ctx);
}

/* A gradient picture so scaling is visible in the sample. */
static AVFrame *gradient(int w, int h, int hue)
{
	AVFrame *f = solid(w, h, AV_PIX_FMT_YUV420P, GREY);

	for (int y = 0; y < h; y++)
		for (int x = 0; x < w; x++)
			f->data[0][y * f->linesize[0] + x] =
			    (uint8_t)(40 + (x * 150 / w + y * 40 / h));
	for (int y = 0; y < h / 2; y++)
		for (int x = 0; x < w / 2; x++) {
			f->data[1][y * f->linesize[1] + x] =
			    (uint8_t)(128 + ((hue & 1) ? 40 : -30));
			f->data[2][y * f->linesize[2] + x] =
			    (uint8_t)(128 + ((hue & 2) ? 40 : -30));
		}
	return f;
}

static void sample_png(void **state)
{
	struct mcu_compose *c;
	struct mcu_tile t[MCU_LAYOUT_MAX_TILES];
	struct mcu_compose_tile in[16] = {{0}};
	static const char *const names[] = {
	    "Văn phòng UBND thành phố",
	    "Ủy ban nhân dân phường Tân An",
	    "UBND quận Ninh Kiều",
	    "Xã Mỹ Khánh — Đ ư ơ ạ",
	};
	AVFrame *src[4], *canvas;
	size_t n;
	(void)state;

	assert_int_equal(mcu_compose_alloc(&c, NULL), 0);
	tiles_of("grid-2x2", 1280, 720, t, &n);
	src[0] = gradient(640, 360, 0);
	src[1] = gradient(176, 144, 1);
	src[2] = gradient(1920, 1080, 2);
	for (int i = 0; i < 4; i++) {
		in[i].frame = i < 3 ? src[i] : NULL;
		in[i].label = names[i];
	}
	in[3].card = MCU_CARD_VIDEO_MUTED;
	in[1].flags = MCU_COMPOSE_HIGHLIGHT;
	in[2].flags = MCU_COMPOSE_FLOOR;
	assert_int_equal(mcu_compose_canvas(c, 1280, 720, &canvas), 0);
	assert_int_equal(mcu_compose_draw(c, canvas, t, in, n), 0);
	/* yellow border on the speaker's tile */
	assert_col(canvas, t[1].x + t[1].w / 2, t[1].y,
	           (struct col){210, 16, 146});
	write_png(canvas, "compose_sample.png");
	av_frame_free(&canvas);

	/* a 4x4 at 640x360 with cards, and host+floor */
	tiles_of("grid-4x4", 640, 360, t, &n);
	for (size_t i = 0; i < n; i++) {
		in[i].frame = i % 4 == 3 ? NULL : src[i % 3];
		in[i].label = names[i % 4];
		in[i].card = MCU_CARD_DISCONNECTED;
		in[i].flags = i == 5 ? MCU_COMPOSE_HIGHLIGHT : 0;
	}
	assert_int_equal(mcu_compose_canvas(c, 640, 360, &canvas), 0);
	assert_int_equal(mcu_compose_draw(c, canvas, t, in, n), 0);
	write_png(canvas, "compose_sample_4x4.png");
	av_frame_free(&canvas);
	tiles_of("host+floor", 1280, 720, t, &n);
	in[0] = (struct mcu_compose_tile){src[2], names[0], 0, NULL, 0};
	in[1] = (struct mcu_compose_tile){src[0], names[1], 0, NULL,
	                                  MCU_COMPOSE_HIGHLIGHT};
	assert_int_equal(mcu_compose_canvas(c, 1280, 720, &canvas), 0);
	assert_int_equal(mcu_compose_draw(c, canvas, t, in, n), 0);
	write_png(canvas, "compose_sample_pip.png");
	av_frame_free(&canvas);
	for (int i = 0; i < 3; i++)
		av_frame_free(&src[i]);
	mcu_compose_free(c);
}


/* one case per line: CMake registers them from this list */
/* clang-format off */
const struct CMUnitTest tests[] = {
	cmocka_unit_test(grid_colours),
	cmocka_unit_test(letterbox_and_crop),
	cmocka_unit_test(cards),
	cmocka_unit_test(vietnamese_glyphs),
	cmocka_unit_test(utf8_decoding),
	cmocka_unit_test(labels_in_band),
	cmocka_unit_test(scaled_cache),
	cmocka_unit_test(planned_scaling),
	cmocka_unit_test(odd_sizes),
	cmocka_unit_test(sample_png),
};
/* clang-format on */

MCU_TEST_MAIN(tests, NULL, NULL)
