/*
 * bench_compose_layout: how long one video tick of the compositor takes.
 *
 * Scenario (the host's tour-4x4 view of a city meeting): 16 decoded
 * 640x360 YUV420P sources composed into a 4x4 grid on a 1280x720 canvas,
 * every tile labelled with a Vietnamese endpoint name. Each tick starts a
 * new cache tick, so every source is scaled again (the worst case: all
 * sources sent a new picture); a second view of the same sources in the same
 * tick shows the cached cost. Also: SWS_BILINEAR vs SWS_FAST_BILINEAR,
 * letterbox vs crop, 1920x1080 canvases and 5x5 grids.
 *
 * Usage: bench_compose_layout [ticks]   (default 300)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libavutil/frame.h>
#include <libswscale/swscale.h>

#include "layout/catalog.h"
#include "layout/compose.h"

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static AVFrame *source(int w, int h, int seed)
{
	AVFrame *f = av_frame_alloc();

	if (!f)
		return NULL;
	f->format = AV_PIX_FMT_YUV420P;
	f->width = w;
	f->height = h;
	if (av_frame_get_buffer(f, 0)) {
		av_frame_free(&f);
		return NULL;
	}
	for (int y = 0; y < h; y++)
		for (int x = 0; x < w; x++)
			f->data[0][y * f->linesize[0] + x] =
			    (uint8_t)(16 + ((x * 7 + y * 3 + seed * 31) % 220));
	for (int p = 1; p < 3; p++)
		for (int y = 0; y < h / 2; y++)
			memset(f->data[p] + y * f->linesize[p],
			       64 + (seed * 13 + p * 50) % 128, (size_t)w / 2);
	return f;
}

struct result {
	double first_ms;  /* first view of a tick: scale everything */
	double cached_ms; /* a second view of the same sources, same tick */
};

static int run(const char *layout, int cw, int ch, int sw, int sh, int flags,
               enum mcu_compose_fit fit, int labels, int ticks,
               struct result *res)
{
	static const char *const names[] = {
	    "Văn phòng UBND thành phố",      "UBND quận Ninh Kiều",
	    "Ủy ban nhân dân phường Tân An", "UBND xã Mỹ Khánh",
	    "UBND huyện Phong Điền",         "Phường Hưng Lợi",
	};
	struct mcu_compose_params p = {.fit = fit, .sws_flags = flags};
	struct mcu_compose *c;
	struct mcu_layout l;
	struct mcu_tile t[MCU_LAYOUT_MAX_TILES];
	struct mcu_compose_tile in[MCU_LAYOUT_MAX_TILES];
	AVFrame *src[MCU_LAYOUT_MAX_TILES] = {0};
	size_t n;
	int err;

	if (mcu_layout_parse(layout, &l) ||
	    mcu_layout_tiles(&l, cw, ch, t, MCU_LAYOUT_MAX_TILES, &n))
		return 1;
	err = mcu_compose_alloc(&c, &p);
	if (err)
		return err;
	memset(in, 0, sizeof(in));
	for (size_t i = 0; i < n; i++) {
		src[i] = source(sw, sh, (int)i);
		if (!src[i])
			return 1;
		in[i].frame = src[i];
		in[i].label = labels ? names[i % 6] : NULL;
	}
	in[5].flags = MCU_COMPOSE_HIGHLIGHT;

	double first = 0, cached = 0;
	for (int k = 0; k < ticks + 10; k++) {
		AVFrame *a, *b;

		mcu_compose_tick(c);
		for (size_t i = 0; i < n; i++)
			src[i]->pts = k; /* a new picture from every source */
		if (mcu_compose_canvas(c, cw, ch, &a) ||
		    mcu_compose_canvas(c, cw, ch, &b))
			return 1;
		double t0 = now_ms();
		if (mcu_compose_draw(c, a, t, in, n))
			return 1;
		double t1 = now_ms();
		if (mcu_compose_draw(c, b, t, in, n))
			return 1;
		double t2 = now_ms();
		if (k >= 10) { /* warm-up ticks excluded */
			first += t1 - t0;
			cached += t2 - t1;
		}
		av_frame_free(&a);
		av_frame_free(&b);
	}
	res->first_ms = first / ticks;
	res->cached_ms = cached / ticks;
	for (size_t i = 0; i < n; i++)
		av_frame_free(&src[i]);
	mcu_compose_free(c);
	return 0;
}

int main(int argc, char **argv)
{
	int ticks = argc > 1 ? (int)strtol(argv[1], NULL, 10) : 300;
	static const struct {
		const char *layout;
		int cw, ch, sw, sh, flags, fit, labels;
		const char *what;
	} cases[] = {
	    {"grid-4x4", 1280, 720, 640, 360, SWS_BILINEAR,
	     MCU_COMPOSE_LETTERBOX, 1,
	     "4x4 1280x720, 16x 640x360, bilinear, letterbox, labels"},
	    {"grid-4x4", 1280, 720, 640, 360, SWS_FAST_BILINEAR,
	     MCU_COMPOSE_LETTERBOX, 1,
	     "4x4 1280x720, 16x 640x360, fast_bilinear, letterbox, labels"},
	    {"grid-4x4", 1280, 720, 640, 360, SWS_BILINEAR,
	     MCU_COMPOSE_LETTERBOX, 0,
	     "4x4 1280x720, 16x 640x360, bilinear, no labels"},
	    {"grid-4x4", 1280, 720, 640, 360, SWS_BILINEAR, MCU_COMPOSE_CROP, 1,
	     "4x4 1280x720, 16x 640x360, bilinear, crop, labels"},
	    {"grid-4x4", 1920, 1080, 1280, 720, SWS_BILINEAR,
	     MCU_COMPOSE_LETTERBOX, 1,
	     "4x4 1920x1080, 16x 1280x720, bilinear, labels"},
	    {"grid-5x5", 1280, 720, 640, 360, SWS_BILINEAR,
	     MCU_COMPOSE_LETTERBOX, 1,
	     "5x5 1280x720, 25x 640x360, bilinear, labels"},
	    {"host+floor", 1280, 720, 1280, 720, SWS_BILINEAR,
	     MCU_COMPOSE_LETTERBOX, 1,
	     "host+floor 1280x720, 2x 1280x720, bilinear, labels"},
	};

	if (ticks < 1)
		ticks = 1;
	printf("%-62s %12s %12s\n", "case (ms per tick, mean)", "scale all",
	       "cached view");
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct result r;

		if (run(cases[i].layout, cases[i].cw, cases[i].ch, cases[i].sw,
		        cases[i].sh, cases[i].flags,
		        (enum mcu_compose_fit)cases[i].fit, cases[i].labels,
		        ticks, &r)) {
			fprintf(stderr, "case %zu failed\n", i);
			return 1;
		}
		printf("%-62s %12.3f %12.3f\n", cases[i].what, r.first_ms,
		       r.cached_ms);
	}
	return 0;
}
