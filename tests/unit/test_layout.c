/* test-libs: mcu_conf mcu_layout */
/*
 * layout/catalog and layout/view: names, tile geometry of every layout,
 * who is seen where, tour paging, view keys.
 */
#include "tests/unit/testutil.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "layout/catalog.h"
#include "layout/view.h"

static const char *const all_names[] = {
    "host",     "host+floor", "speaker",  "grid-2x2", "grid-3x3", "grid-4x4",
    "grid-5x5", "tour-2x2",   "tour-3x3", "tour-4x4", "tour-5x5", "1+5",
    "1+7",      "1+12",       "content",  "2x1",
};
#define NNAMES (sizeof(all_names) / sizeof(all_names[0]))

static void parse_names(void **state)
{
	(void)state;
	for (size_t i = 0; i < NNAMES; i++) {
		struct mcu_layout l;
		char buf[MCU_LAYOUT_NAME_MAX];

		assert_int_equal(mcu_layout_parse(all_names[i], &l), 0);
		assert_true(mcu_layout_valid(&l));
		assert_int_equal(mcu_layout_name(&l, buf, sizeof(buf)), 0);
		assert_string_equal(buf, all_names[i]);
	}
	struct mcu_layout l;
	assert_int_equal(mcu_layout_parse("grid-4x4", &l), 0);
	assert_int_equal(l.kind, MCU_LAYOUT_GRID);
	assert_int_equal(l.n, 4);
	assert_int_equal(mcu_layout_tile_count(&l), 16);
	assert_int_equal(mcu_layout_parse("1+12", &l), 0);
	assert_int_equal(l.kind, MCU_LAYOUT_ONE_PLUS);
	assert_int_equal(mcu_layout_tile_count(&l), 13);

	static const char *const bad[] = {
	    "",          "grid",      "grid-1x1", "grid-6x6", "grid-3x4",
	    "grid-4x4 ", "tour-2x2x", "1+6",      "1+",       "1+120",
	    "Host",      "host+",     "2x2",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(mcu_layout_parse(bad[i], &l), EINVAL);
	assert_int_equal(mcu_layout_parse(NULL, &l), EINVAL);

	char small[4];
	assert_int_equal(mcu_layout_parse("host+floor", &l), 0);
	assert_int_equal(mcu_layout_name(&l, small, sizeof(small)), ENOSPC);
	l.n = 3; /* host with a parameter is not a layout */
	assert_false(mcu_layout_valid(&l));
}

static int overlap(const struct mcu_tile *a, const struct mcu_tile *b)
{
	return a->x < b->x + b->w && b->x < a->x + a->w && a->y < b->y + b->h &&
	       b->y < a->y + a->h;
}

static void check_geometry(const char *name, int w, int h)
{
	struct mcu_layout l;
	struct mcu_tile t[MCU_LAYOUT_MAX_TILES];
	size_t n = 0;
	long area = 0;

	assert_int_equal(mcu_layout_parse(name, &l), 0);
	assert_int_equal(
	    mcu_layout_tiles(&l, w, h, t, MCU_LAYOUT_MAX_TILES, &n), 0);
	assert_int_equal((int)n, mcu_layout_tile_count(&l));
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(t[i].index, (int)i);
		assert_true(t[i].x >= 0 && t[i].y >= 0);
		assert_true(t[i].w >= 2 && t[i].h >= 2);
		assert_true(t[i].x + t[i].w <= w && t[i].y + t[i].h <= h);
		assert_int_equal((t[i].x | t[i].y | t[i].w | t[i].h) & 1, 0);
		area += (long)t[i].w * t[i].h;
		for (size_t j = 0; j < i; j++) {
			if (t[i].flags & MCU_TILE_OVERLAY)
				continue;
			assert_false(overlap(&t[i], &t[j]));
		}
	}
	if (l.kind == MCU_LAYOUT_HOST_FLOOR || l.kind == MCU_LAYOUT_CONTENT) {
		/* main covers the canvas; visible part at least 2/3 */
		long visible = (long)t[0].w * t[0].h - (long)t[1].w * t[1].h;
		assert_int_equal(t[0].role, MCU_TILE_MAIN);
		assert_int_equal(t[1].role, MCU_TILE_SMALL);
		assert_true(t[1].flags & MCU_TILE_OVERLAY);
		assert_true(visible * 3 >= 2L * w * h);
		/* the main tile's name label (bottom left) stays visible */
		assert_true(t[1].x >= w / 2);
	} else {
		/* no tile wastes more than a few percent (2x1 keeps aspect) */
		if (l.kind != MCU_LAYOUT_SIDE && w >= 352 && h >= 288)
			assert_true(area * 100 >= 85L * w * h);
	}
	if (l.kind == MCU_LAYOUT_ONE_PLUS) {
		assert_int_equal(t[0].role, MCU_TILE_MAIN);
		for (size_t i = 1; i < n; i++) {
			assert_int_equal(t[i].role, MCU_TILE_SMALL);
			assert_true(t[i].w < t[0].w && t[i].h < t[0].h);
		}
		/* 1+5: main about 2/3 x 2/3; 1+7: 3/4; 1+12: 1/2 */
		int num = l.n == 5 ? 2 : l.n == 7 ? 3 : 2;
		int den = l.n == 5 ? 3 : 4;
		assert_true(t[0].w >= w * num / den - 8 &&
		            t[0].w <= w * num / den);
		assert_true(t[0].h >= h * num / den - 8 &&
		            t[0].h <= h * num / den);
	}
	if (l.kind == MCU_LAYOUT_GRID || l.kind == MCU_LAYOUT_TOUR) {
		for (size_t i = 1; i < n; i++) {
			assert_true(abs(t[i].w - t[0].w) <= 2);
			assert_true(abs(t[i].h - t[0].h) <= 2);
		}
	}
}

static void geometry_all(void **state)
{
	static const int sizes[][2] = {
	    {1280, 720}, {640, 360},   {1920, 1080}, {352, 288},
	    {32, 32},    {3840, 2160}, {7680, 4320}, {34, 1000},
	};
	(void)state;
	for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++)
		for (size_t i = 0; i < NNAMES; i++)
			check_geometry(all_names[i], sizes[s][0], sizes[s][1]);
}

static void geometry_details(void **state)
{
	struct mcu_layout l;
	struct mcu_tile t[MCU_LAYOUT_MAX_TILES];
	size_t n;
	(void)state;

	/* 2x2 at 1280x720: 4 px gaps, 2 px edges */
	assert_int_equal(mcu_layout_parse("grid-2x2", &l), 0);
	assert_int_equal(mcu_layout_tiles(&l, 1280, 720, t, 4, &n), 0);
	assert_int_equal(t[0].x, 2);
	assert_int_equal(t[0].y, 2);
	assert_int_equal(t[0].w, 636);
	assert_int_equal(t[0].h, 356);
	assert_int_equal(t[1].x, 642);
	assert_int_equal(t[3].y, 362);
	/* 1+12: the main tile is in the middle */
	assert_int_equal(mcu_layout_parse("1+12", &l), 0);
	assert_int_equal(mcu_layout_tiles(&l, 1280, 720, t, 25, &n), 0);
	assert_int_equal(t[0].x, 322);
	assert_int_equal(t[0].y, 182);
	/* bad sizes and short arrays */
	assert_int_equal(mcu_layout_tiles(&l, 1281, 720, t, 25, &n), EINVAL);
	assert_int_equal(mcu_layout_tiles(&l, 30, 720, t, 25, &n), EINVAL);
	assert_int_equal(mcu_layout_tiles(&l, 8194, 720, t, 25, &n), EINVAL);
	assert_int_equal(mcu_layout_tiles(&l, 0, 0, t, 25, &n), EINVAL);
	assert_int_equal(mcu_layout_tiles(&l, 1280, 720, t, 12, &n), ENOSPC);
	assert_int_equal(mcu_layout_tiles(&l, 1280, 720, NULL, 25, &n), EINVAL);
	/* host+floor: PiP of one third at the bottom right */
	assert_int_equal(mcu_layout_parse("host+floor", &l), 0);
	assert_int_equal(mcu_layout_tiles(&l, 1280, 720, t, 2, &n), 0);
	assert_int_equal(t[0].w, 1280);
	assert_int_equal(t[1].w, 426);
	assert_int_equal(t[1].h, 240);
	assert_int_equal(t[1].x + t[1].w, 1280 - 30);
	/* geometry classes */
	struct mcu_layout a, b;
	assert_int_equal(mcu_layout_parse("grid-4x4", &a), 0);
	assert_int_equal(mcu_layout_parse("tour-4x4", &b), 0);
	assert_string_equal(mcu_layout_geometry_class(&a),
	                    mcu_layout_geometry_class(&b));
	assert_int_equal(mcu_layout_parse("host", &a), 0);
	assert_int_equal(mcu_layout_parse("speaker", &b), 0);
	assert_string_equal(mcu_layout_geometry_class(&a), "1x1");
	assert_string_equal(mcu_layout_geometry_class(&b), "1x1");
}

/* ---- view ---- */

enum { HOST = 1 };

static struct mcu_view_input input(const char *layout, const uint32_t *src,
                                   size_t n, uint32_t viewer)
{
	struct mcu_view_input in;

	memset(&in, 0, sizeof(in));
	assert_int_equal(mcu_layout_parse(layout, &in.layout), 0);
	in.sources = src;
	in.nsources = n;
	in.viewer = viewer;
	in.host = HOST;
	return in;
}

static uint32_t roster[21]; /* host 1, branches 2..21 */

static int setup_roster(void)
{
	for (int i = 0; i < 21; i++)
		roster[i] = (uint32_t)(i + 1);
	return 0;
}

static void view_never_self(void **state)
{
	(void)state;
	setup_roster();
	for (size_t li = 0; li < NNAMES; li++) {
		for (uint32_t viewer = 1; viewer <= 21; viewer++) {
			for (unsigned page = 0; page < 3; page++) {
				struct mcu_view_input in =
				    input(all_names[li], roster, 21, viewer);
				struct mcu_view v;

				in.floor = 5;
				in.speaker = 7;
				in.tour_page = page;
				assert_int_equal(mcu_view_compute(&in, &v), 0);
				assert_int_equal(
				    v.ntiles, mcu_layout_tile_count(&v.layout));
				assert_int_equal(mcu_view_find(&v, viewer), -1);
				for (int t = 0; t < v.ntiles; t++)
					for (int u = 0; u < t; u++)
						assert_true(!v.tile[t] ||
						            v.tile[t] !=
						                v.tile[u]);
			}
		}
	}
}

static void view_self_view(void **state)
{
	struct mcu_view v;
	(void)state;
	setup_roster();

	struct mcu_view_input in = input("grid-2x2", roster, 3, 2);
	assert_int_equal(mcu_view_compute(&in, &v), 0);
	assert_int_equal(v.tile[0], 1);
	assert_int_equal(v.tile[1], 3);
	assert_int_equal(v.tile[2], 0);
	in.self_view = 1;
	assert_int_equal(mcu_view_compute(&in, &v), 0);
	assert_int_equal(v.tile[0], 1);
	assert_int_equal(v.tile[1], 2);
	assert_int_equal(v.tile[2], 3);
	assert_int_equal(v.tile[3], 0);

	/* host viewing host+floor with self view: both tiles */
	in = input("host+floor", roster, 21, HOST);
	in.floor = 4;
	assert_int_equal(mcu_view_compute(&in, &v), 0);
	assert_int_equal(v.ntiles, 1);
	assert_int_equal(v.tile[0], 4);
	in.self_view = 1;
	assert_int_equal(mcu_view_compute(&in, &v), 0);
	assert_int_equal(v.ntiles, 2);
	assert_int_equal(v.tile[0], HOST);
	assert_int_equal(v.tile[1], 4);
	assert_int_equal(v.floor_mark, 1);
}

static void view_host_floor(void **state)
{
	struct mcu_view v;
	(void)state;
	setup_roster();

	/* no floor holder: host alone */
	struct mcu_view_input in = input("host+floor", roster, 21, 9);
	assert_int_equal(mcu_view_compute(&in, &v), 0);
	assert_int_equal(v.layout.kind, MCU_LAYOUT_HOST);
	assert_int_equal(v.ntiles, 1);
	assert_int_equal(v.tile[0], HOST);
	/* a holder: host + holder */
	in.floor = 4;
	assert_int_equal(mcu_view_compute(&in, &v), 0);
	assert_int_equal(v.layout.kind, MCU_LAYOUT_HOST_FLOOR);
	assert_int_equal(v.tile[0], HOST);
	assert_int_equal(v.tile[1], 4);
	assert_int_equal(v.floor_mark, -1); /* only on the host's view */
	/* the holder itself sees the host alone */
	in.viewer = 4;
	assert_int_equal(mcu_view_compute(&in, &v), 0);
	assert_int_equal(v.ntiles, 1);
	assert_int_equal(v.tile[0], HOST);
	/* a holder who is not in the meeting is ignored */
	in.viewer = 9;
	in.floor = 99;
	assert_int_equal(mcu_view_compute(&in, &v), 0);
	assert_int_equal(v.ntiles, 1);
	/* speaker and content */
	in = input("speaker", roster, 21, 6);
	in.speaker = 6;
	in.floor = 3;
	assert_int_equal(mcu_view_compute(&in, &v), 0);
	assert_int_equal(v.tile[0], 3); /* not itself */
	in.viewer = 2;
	assert_int_equal(mcu_view_compute(&in, &v), 0);
	assert_int_equal(v.tile[0], 6);
	assert_int_equal(v.highlight, -1); /* one tile: no border */
	in = input("content", roster, 21, 2);
	in.content = 1000;
	assert_int_equal(mcu_view_compute(&in, &v), 0);
	assert_int_equal(v.ntiles, 2);
	assert_int_equal(v.tile[0], 1000);
	assert_int_equal(v.tile[1], HOST);
	in.viewer = HOST;
	assert_int_equal(mcu_view_compute(&in, &v), 0);
	assert_int_equal(v.ntiles, 1);
	assert_int_equal(v.tile[0], 1000);
	in.content = 0;
	in.viewer = 2;
	assert_int_equal(mcu_view_compute(&in, &v), 0);
	assert_int_equal(v.ntiles, 1);
	assert_int_equal(v.tile[0], HOST);
}

static void view_one_plus(void **state)
{
	struct mcu_view v;
	(void)state;
	setup_roster();

	struct mcu_view_input in = input("1+5", roster, 21, HOST);
	in.floor = 8;
	in.speaker = 3;
	assert_int_equal(mcu_view_compute(&in, &v), 0);
	assert_int_equal(v.ntiles, 6);
	assert_int_equal(v.tile[0], 8);
	assert_int_equal(v.tile[1], 2);
	assert_int_equal(v.tile[2], 3);
	assert_int_equal(v.tile[3], 4);
	assert_int_equal(v.tile[4], 5);
	assert_int_equal(v.tile[5], 6);
	assert_int_equal(v.highlight, 2);
	assert_int_equal(v.floor_mark, 0);
	/* no holder: the speaker is large */
	in.floor = 0;
	assert_int_equal(mcu_view_compute(&in, &v), 0);
	assert_int_equal(v.tile[0], 3);
	assert_int_equal(v.highlight, 0);
	/* few sources: empty small tiles */
	in = input("1+7", roster, 3, 2);
	assert_int_equal(mcu_view_compute(&in, &v), 0);
	assert_int_equal(v.tile[0], HOST);
	assert_int_equal(v.tile[1], 3);
	for (int t = 2; t < 8; t++)
		assert_int_equal(v.tile[t], 0);
}

static void view_pinned(void **state)
{
	struct mcu_view v;
	(void)state;
	setup_roster();

	struct mcu_view_pin pins[] = {
	    {15, 0}, /* 15 on the first tile */
	    {2, 3},  /* the viewer itself: ignored */
	    {7, 40}, /* out of range: ignored */
	    {9, 0},  /* tile already pinned: ignored */
	    {12, 2},
	};
	struct mcu_view_input in = input("grid-2x2", roster, 21, 2);
	in.pins = pins;
	in.npins = 5;
	assert_int_equal(mcu_view_compute(&in, &v), 0);
	assert_int_equal(v.tile[0], 15);
	assert_int_equal(v.tile[1], HOST);
	assert_int_equal(v.tile[2], 12);
	assert_int_equal(v.tile[3], 3);

	/* 1+5: a pin on the main tile wins over the floor holder */
	in = input("1+5", roster, 21, 2);
	in.floor = 5;
	struct mcu_view_pin p1[] = {{11, 0}};
	in.pins = p1;
	in.npins = 1;
	assert_int_equal(mcu_view_compute(&in, &v), 0);
	assert_int_equal(v.tile[0], 11);
	assert_true(mcu_view_find(&v, 5) > 0); /* a small tile */

	/* tour with a pin: the pinned source stays on every page */
	in = input("tour-2x2", roster, 21, HOST);
	struct mcu_view_pin p2[] = {{10, 1}};
	in.pins = p2;
	in.npins = 1;
	/* 19 branches other than 10, 3 free tiles: 7 pages */
	for (unsigned page = 0; page < 7; page++) {
		in.tour_page = page;
		assert_int_equal(mcu_view_compute(&in, &v), 0);
		assert_int_equal(v.pages, 7);
		assert_int_equal(v.tile[1], 10);
	}
	in.tour_page = 0;
	assert_int_equal(mcu_view_compute(&in, &v), 0);
	assert_int_equal(v.tile[0], 2);
	assert_int_equal(v.tile[2], 3);
	assert_int_equal(v.tile[3], 4);
	in.tour_page = 6; /* 2..21 minus 10: the last page holds 21 only */
	assert_int_equal(mcu_view_compute(&in, &v), 0);
	assert_int_equal(v.tile[0], 21);
	assert_int_equal(v.tile[2], 0);
	assert_int_equal(v.nnext, 3);
	assert_int_equal(v.next[0], 2);
}

static void view_tour(void **state)
{
	struct mcu_view v;
	(void)state;
	setup_roster();

	/* 20 branches, 4x4, seen by the host: 2 pages */
	struct mcu_view_input in = input("tour-4x4", roster, 21, HOST);
	assert_int_equal(mcu_view_compute(&in, &v), 0);
	assert_int_equal(v.pages, 2);
	assert_int_equal(v.page, 0);
	for (int t = 0; t < 16; t++)
		assert_int_equal(v.tile[t], (uint32_t)(t + 2));
	assert_int_equal(v.nnext, 4);
	for (int i = 0; i < 4; i++)
		assert_int_equal(v.next[i], (uint32_t)(18 + i));
	in.tour_page = 1;
	assert_int_equal(mcu_view_compute(&in, &v), 0);
	assert_int_equal(v.page, 1);
	for (int t = 0; t < 4; t++)
		assert_int_equal(v.tile[t], (uint32_t)(18 + t));
	for (int t = 4; t < 16; t++)
		assert_int_equal(v.tile[t], 0);
	assert_int_equal(v.nnext, 16);
	assert_int_equal(v.next[0], 2);
	in.tour_page = 2; /* wraps */
	assert_int_equal(mcu_view_compute(&in, &v), 0);
	assert_int_equal(v.page, 0);

	/* a branch viewing the tour: 19 others, host excluded: 2 pages */
	in = input("tour-4x4", roster, 21, 5);
	in.tour_page = 1;
	assert_int_equal(mcu_view_compute(&in, &v), 0);
	assert_int_equal(v.pages, 2);
	assert_int_equal(v.tile[0], 19);
	assert_int_equal(v.tile[2], 21);
	assert_int_equal(v.tile[3], 0);
	assert_int_equal(mcu_view_find(&v, 5), -1);

	/* 15 branches fit one page: no next page */
	in = input("tour-4x4", roster, 16, HOST);
	assert_int_equal(mcu_view_compute(&in, &v), 0);
	assert_int_equal(v.pages, 1);
	assert_int_equal(v.nnext, 0);
	/* nobody at all */
	in = input("tour-5x5", NULL, 0, HOST);
	assert_int_equal(mcu_view_compute(&in, &v), 0);
	assert_int_equal(v.pages, 1);
	assert_int_equal(v.tile[0], 0);
}

static void view_keys(void **state)
{
	struct mcu_view a, b, c, d;
	char ka[MCU_VIEW_KEY_MAX], kc[MCU_VIEW_KEY_MAX];
	(void)state;
	setup_roster();

	/* branches 3 and 9 see host+floor with holder 4: same picture */
	struct mcu_view_input in = input("host+floor", roster, 21, 3);
	in.floor = 4;
	assert_int_equal(mcu_view_compute(&in, &a), 0);
	in.viewer = 9;
	assert_int_equal(mcu_view_compute(&in, &b), 0);
	assert_true(mcu_view_same(&a, &b));
	assert_true(mcu_view_key(&a) == mcu_view_key(&b));
	assert_true(mcu_view_key(&a) != 0);
	assert_int_equal(mcu_view_key_str(&a, ka, sizeof(ka)), 0);
	assert_string_equal(ka, "pip|1,4|hl=-1|fm=-1");
	/* the holder sees the host alone: different */
	in.viewer = 4;
	assert_int_equal(mcu_view_compute(&in, &c), 0);
	assert_false(mcu_view_same(&a, &c));
	assert_true(mcu_view_key(&a) != mcu_view_key(&c));
	assert_int_equal(mcu_view_key_str(&c, kc, sizeof(kc)), 0);
	assert_string_equal(kc, "1x1|1|hl=-1|fm=-1");
	/* ... which is the picture of layout "host" for anyone */
	in = input("host", roster, 21, 12);
	assert_int_equal(mcu_view_compute(&in, &d), 0);
	assert_true(mcu_view_same(&c, &d));
	assert_true(mcu_view_key(&c) == mcu_view_key(&d));
	/* the active speaker's highlight changes the picture */
	in = input("host+floor", roster, 21, 3);
	in.floor = 4;
	in.speaker = 4;
	assert_int_equal(mcu_view_compute(&in, &d), 0);
	assert_false(mcu_view_same(&a, &d));
	assert_true(mcu_view_key(&a) != mcu_view_key(&d));
	/* grid: viewers that are not on screen share, those on it do not */
	in = input("grid-2x2", roster, 21, 10);
	assert_int_equal(mcu_view_compute(&in, &a), 0);
	in.viewer = 11;
	assert_int_equal(mcu_view_compute(&in, &b), 0);
	assert_true(mcu_view_same(&a, &b));
	in.viewer = 2;
	assert_int_equal(mcu_view_compute(&in, &c), 0);
	assert_false(mcu_view_same(&a, &c));
	/* grid and tour on the same page are the same picture */
	in = input("grid-2x2", roster, 21, HOST);
	assert_int_equal(mcu_view_compute(&in, &a), 0);
	in = input("tour-2x2", roster, 21, HOST);
	assert_int_equal(mcu_view_compute(&in, &b), 0);
	assert_true(mcu_view_same(&a, &b));
	/* the host's floor marker makes its view differ */
	in = input("grid-2x2", roster, 21, HOST);
	in.floor = 3;
	assert_int_equal(mcu_view_compute(&in, &c), 0);
	assert_int_equal(c.floor_mark, 1);
	assert_false(mcu_view_same(&a, &c));
	/* errors */
	char tiny[4];
	assert_int_equal(mcu_view_key_str(&a, tiny, sizeof(tiny)), ENOSPC);
	assert_int_equal(mcu_view_key_str(NULL, ka, sizeof(ka)), EINVAL);
	assert_false(mcu_view_same(&a, NULL));
}

static void view_bad_input(void **state)
{
	struct mcu_view v;
	uint32_t dup[] = {1, 2, 3, 2};
	uint32_t zero[] = {1, 0};
	(void)state;

	struct mcu_view_input in = input("grid-2x2", dup, 4, 0);
	assert_int_equal(mcu_view_compute(&in, &v), EINVAL);
	in.sources = zero;
	in.nsources = 2;
	assert_int_equal(mcu_view_compute(&in, &v), EINVAL);
	in.sources = NULL;
	assert_int_equal(mcu_view_compute(&in, &v), EINVAL);
	in.nsources = 0;
	in.npins = 1;
	assert_int_equal(mcu_view_compute(&in, &v), EINVAL);
	in.npins = 0;
	in.layout.n = 9;
	assert_int_equal(mcu_view_compute(&in, &v), EINVAL);
	assert_int_equal(mcu_view_compute(NULL, &v), EINVAL);
	in.layout.n = 2;
	assert_int_equal(mcu_view_compute(&in, NULL), EINVAL);
	assert_int_equal(mcu_view_compute(&in, &v), 0);
	/* no viewer (recording): everybody eligible */
	in.sources = dup;
	in.nsources = 3;
	assert_int_equal(mcu_view_compute(&in, &v), 0);
	assert_int_equal(v.tile[2], 3);
}


/* one case per line: CMake registers them from this list */
/* clang-format off */
/* A pin changes the picture, so the view key: viewers with and without a
 * pin are in different encoder groups; two viewers with the same pins (and
 * neither pinned nor pinning itself) share one. */
static void view_pin_changes_key(void **state)
{
	(void)state;
	setup_roster();
	struct mcu_view a, b, c;
	struct mcu_view_input in = input("grid-3x3", roster, 21, 20);
	struct mcu_view_pin pin = {15, 0};
	assert_int_equal(mcu_view_compute(&in, &a), 0);
	in.pins = &pin;
	in.npins = 1;
	assert_int_equal(mcu_view_compute(&in, &b), 0);
	assert_int_equal(b.tile[0], 15);
	assert_int_not_equal(mcu_view_key(&a), mcu_view_key(&b));
	assert_false(mcu_view_same(&a, &b));
	in.viewer = 21; /* another branch, same pins: same picture */
	assert_int_equal(mcu_view_compute(&in, &c), 0);
	assert_int_equal(mcu_view_key(&b), mcu_view_key(&c));
	assert_true(mcu_view_same(&b, &c));
	in.viewer = 15; /* the pinned one does not see itself */
	assert_int_equal(mcu_view_compute(&in, &c), 0);
	assert_int_equal(mcu_view_find(&c, 15), -1);
	assert_int_not_equal(mcu_view_key(&b), mcu_view_key(&c));
	/* the same pin in another tile: another key */
	pin.tile = 4;
	in.viewer = 20;
	assert_int_equal(mcu_view_compute(&in, &c), 0);
	assert_int_equal(c.tile[4], 15);
	assert_int_not_equal(mcu_view_key(&b), mcu_view_key(&c));
}

/* tour-2x2 over 8 branches with one pinned: 3 free tiles, 7 paged, 3
 * pages; page -1 is the last, and next[] is the page after. */
static void view_tour_pages_back(void **state)
{
	(void)state;
	setup_roster();
	struct mcu_view v;
	struct mcu_view_input in = input("tour-2x2", roster, 9, HOST);
	struct mcu_view_pin pin = {9, 3};
	in.pins = &pin;
	in.npins = 1;
	in.tour_page = -1;
	assert_int_equal(mcu_view_compute(&in, &v), 0);
	assert_int_equal(v.pages, 3);
	assert_int_equal(v.page, 2);
	assert_int_equal(v.tile[0], 8);
	assert_int_equal(v.tile[1], 0);
	assert_int_equal(v.tile[3], 9);
	assert_int_equal(v.nnext, 3); /* page 0: 2, 3, 4 */
	assert_int_equal(v.next[0], 2);
	in.tour_page = -4; /* = -1 - 3 */
	assert_int_equal(mcu_view_compute(&in, &v), 0);
	assert_int_equal(v.page, 2);
	in.tour_page = -3;
	assert_int_equal(mcu_view_compute(&in, &v), 0);
	assert_int_equal(v.page, 0);
	assert_int_equal(v.tile[0], 2);
	assert_int_equal(v.next[0], 5);
	/* without the pin: 8 branches in 2 full pages of 4 */
	in.npins = 0;
	in.tour_page = 1;
	assert_int_equal(mcu_view_compute(&in, &v), 0);
	assert_int_equal(v.pages, 2);
	assert_int_equal(v.tile[0], 6);
	assert_int_equal(v.tile[3], 9);
	assert_int_equal(v.nnext, 4);
}

/* The tour clock: turns every period, steps at once and restart the
 * period, prefetch in the last prefetch_us before a turn. */
static void view_tour_clock(void **state)
{
	(void)state;
	struct mcu_view_tour t = {0};
	bool pf = true;
	const int64_t s = 1000000;
	assert_false(mcu_view_tour_advance(&t, 10 * s, 2 * s, 0, s / 2, &pf));
	assert_false(pf);
	assert_int_equal(t.page, 0);
	assert_false(mcu_view_tour_advance(&t, 11 * s, 2 * s, 0, s / 2, &pf));
	assert_false(pf);
	assert_false(
	    mcu_view_tour_advance(&t, 11 * s + s / 2, 2 * s, 0, s / 2, &pf));
	assert_true(pf); /* half a second before the turn */
	assert_true(mcu_view_tour_advance(&t, 12 * s, 2 * s, 0, s / 2, &pf));
	assert_int_equal(t.page, 1);
	assert_false(pf);
	/* a late tick: the next page still gets its full period */
	assert_true(mcu_view_tour_advance(&t, 15 * s, 2 * s, 0, s / 2, &pf));
	assert_int_equal(t.page, 2);
	assert_false(mcu_view_tour_advance(&t, 16 * s, 2 * s, 0, s / 2, &pf));
	/* steps: at once, back past 0, and the period restarts */
	assert_true(mcu_view_tour_advance(&t, 16 * s, 2 * s, -3, s / 2, &pf));
	assert_int_equal(t.page, -1);
	assert_false(
	    mcu_view_tour_advance(&t, 17 * s + s / 2, 2 * s, 0, s / 2, &pf));
	assert_true(mcu_view_tour_advance(&t, 18 * s, 2 * s, 0, s / 2, &pf));
	assert_int_equal(t.page, 0);
	assert_true(mcu_view_tour_advance(&t, 18 * s, 2 * s, 2, s / 2, NULL));
	assert_int_equal(t.page, 2);
	/* no period: only steps turn it */
	struct mcu_view_tour u = {0};
	assert_false(mcu_view_tour_advance(&u, 1, 0, 0, s, &pf));
	assert_false(mcu_view_tour_advance(&u, 100 * s, 0, 0, s, &pf));
	assert_false(pf);
	assert_int_equal(u.page, 0);
	assert_false(mcu_view_tour_advance(NULL, 1, 1, 1, 1, &pf));
}

const struct CMUnitTest tests[] = {
	cmocka_unit_test(parse_names),
	cmocka_unit_test(geometry_all),
	cmocka_unit_test(geometry_details),
	cmocka_unit_test(view_never_self),
	cmocka_unit_test(view_self_view),
	cmocka_unit_test(view_host_floor),
	cmocka_unit_test(view_one_plus),
	cmocka_unit_test(view_pinned),
	cmocka_unit_test(view_tour),
	cmocka_unit_test(view_keys),
	cmocka_unit_test(view_bad_input),
	cmocka_unit_test(view_pin_changes_key),
	cmocka_unit_test(view_tour_pages_back),
	cmocka_unit_test(view_tour_clock),
};
/* clang-format on */

MCU_TEST_MAIN(tests, NULL, NULL)
