/*
 * catalog: layout names and tile geometry.
 *
 * Every multi-tile layout is described as cells of a cols x rows grid, each
 * tile spanning a rectangle of cells. Cell boundaries are rounded down to
 * even pixels (the last one is the canvas edge, which is even), and each tile
 * is inset by a fixed even margin, so tiles are even-aligned, inside the
 * canvas and disjoint by construction. Only the one-tile, picture-in-picture
 * and side-by-side layouts are computed directly.
 */
#include "layout/catalog.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

struct span {
	unsigned char c, r, cw, rh;
};

/* 1+5: a 2x2 main in a 3x3 grid, small tiles right and below. */
static const struct span one_plus_5[] = {
    {0, 0, 2, 2}, {2, 0, 1, 1}, {2, 1, 1, 1},
    {0, 2, 1, 1}, {1, 2, 1, 1}, {2, 2, 1, 1},
};
/* 1+7: a 3x3 main in a 4x4 grid, small tiles right and below. */
static const struct span one_plus_7[] = {
    {0, 0, 3, 3}, {3, 0, 1, 1}, {3, 1, 1, 1}, {3, 2, 1, 1},
    {0, 3, 1, 1}, {1, 3, 1, 1}, {2, 3, 1, 1}, {3, 3, 1, 1},
};
/* 1+12: a 2x2 main in the middle of a 4x4 grid, twelve small around it. */
static const struct span one_plus_12[] = {
    {1, 1, 2, 2}, {0, 0, 1, 1}, {1, 0, 1, 1}, {2, 0, 1, 1}, {3, 0, 1, 1},
    {0, 1, 1, 1}, {3, 1, 1, 1}, {0, 2, 1, 1}, {3, 2, 1, 1}, {0, 3, 1, 1},
    {1, 3, 1, 1}, {2, 3, 1, 1}, {3, 3, 1, 1},
};

int mcu_layout_valid(const struct mcu_layout *l)
{
	if (!l)
		return 0;
	switch (l->kind) {
	case MCU_LAYOUT_HOST:
	case MCU_LAYOUT_HOST_FLOOR:
	case MCU_LAYOUT_SPEAKER:
	case MCU_LAYOUT_CONTENT:
	case MCU_LAYOUT_SIDE:
		return l->n == 0;
	case MCU_LAYOUT_GRID:
	case MCU_LAYOUT_TOUR:
		return l->n >= 2 && l->n <= 5;
	case MCU_LAYOUT_ONE_PLUS:
		return l->n == 5 || l->n == 7 || l->n == 12;
	}
	return 0;
}

int mcu_layout_parse(const char *name, struct mcu_layout *out)
{
	static const struct {
		const char *name;
		enum mcu_layout_kind kind;
	} fixed[] = {
	    {"host", MCU_LAYOUT_HOST},
	    {"host+floor", MCU_LAYOUT_HOST_FLOOR},
	    {"speaker", MCU_LAYOUT_SPEAKER},
	    {"content", MCU_LAYOUT_CONTENT},
	    {"2x1", MCU_LAYOUT_SIDE},
	};
	struct mcu_layout l = {0};

	if (!name || !out)
		return EINVAL;
	for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++) {
		if (strcmp(name, fixed[i].name) == 0) {
			l.kind = fixed[i].kind;
			*out = l;
			return 0;
		}
	}
	if ((strncmp(name, "grid-", 5) == 0 ||
	     strncmp(name, "tour-", 5) == 0) &&
	    strlen(name) == 8 && name[5] >= '2' && name[5] <= '5' &&
	    name[6] == 'x' && name[7] == name[5]) {
		l.kind = name[0] == 'g' ? MCU_LAYOUT_GRID : MCU_LAYOUT_TOUR;
		l.n = name[5] - '0';
		*out = l;
		return 0;
	}
	if (strcmp(name, "1+5") == 0 || strcmp(name, "1+7") == 0 ||
	    strcmp(name, "1+12") == 0) {
		l.kind = MCU_LAYOUT_ONE_PLUS;
		l.n = name[2] == '5' ? 5 : name[2] == '7' ? 7 : 12;
		*out = l;
		return 0;
	}
	return EINVAL;
}

int mcu_layout_name(const struct mcu_layout *l, char *buf, size_t size)
{
	int r;

	if (!mcu_layout_valid(l) || !buf)
		return EINVAL;
	switch (l->kind) {
	case MCU_LAYOUT_HOST:
		r = snprintf(buf, size, "host");
		break;
	case MCU_LAYOUT_HOST_FLOOR:
		r = snprintf(buf, size, "host+floor");
		break;
	case MCU_LAYOUT_SPEAKER:
		r = snprintf(buf, size, "speaker");
		break;
	case MCU_LAYOUT_CONTENT:
		r = snprintf(buf, size, "content");
		break;
	case MCU_LAYOUT_SIDE:
		r = snprintf(buf, size, "2x1");
		break;
	case MCU_LAYOUT_GRID:
	case MCU_LAYOUT_TOUR:
		r = snprintf(buf, size, "%s-%dx%d",
		             l->kind == MCU_LAYOUT_GRID ? "grid" : "tour", l->n,
		             l->n);
		break;
	case MCU_LAYOUT_ONE_PLUS:
		r = snprintf(buf, size, "1+%d", l->n);
		break;
	default:
		return EINVAL;
	}
	return r < 0 || (size_t)r >= size ? ENOSPC : 0;
}

int mcu_layout_tile_count(const struct mcu_layout *l)
{
	if (!mcu_layout_valid(l))
		return 0;
	switch (l->kind) {
	case MCU_LAYOUT_HOST:
	case MCU_LAYOUT_SPEAKER:
		return 1;
	case MCU_LAYOUT_HOST_FLOOR:
	case MCU_LAYOUT_CONTENT:
	case MCU_LAYOUT_SIDE:
		return 2;
	case MCU_LAYOUT_GRID:
	case MCU_LAYOUT_TOUR:
		return l->n * l->n;
	case MCU_LAYOUT_ONE_PLUS:
		return 1 + l->n;
	}
	return 0;
}

const char *mcu_layout_geometry_class(const struct mcu_layout *l)
{
	static const char *const grid[] = {"grid-2", "grid-3", "grid-4",
	                                   "grid-5"};

	if (!mcu_layout_valid(l))
		return NULL;
	switch (l->kind) {
	case MCU_LAYOUT_HOST:
	case MCU_LAYOUT_SPEAKER:
		return "1x1";
	case MCU_LAYOUT_HOST_FLOOR:
	case MCU_LAYOUT_CONTENT:
		return "pip";
	case MCU_LAYOUT_SIDE:
		return "2x1";
	case MCU_LAYOUT_GRID:
	case MCU_LAYOUT_TOUR:
		return grid[l->n - 2];
	case MCU_LAYOUT_ONE_PLUS:
		return l->n == 5 ? "1+5" : l->n == 7 ? "1+7" : "1+12";
	}
	return NULL;
}

static int even_floor(int v)
{
	return v & ~1;
}

/* Even boundary i of n cells over len pixels (len is even). */
static int boundary(int len, int n, int i)
{
	return i >= n ? len : even_floor((int)((long)len * i / n));
}

static void cells(int w, int h, int cols, int rows, const struct span *sp,
                  size_t count, struct mcu_tile *tiles)
{
	int base = (w < h ? w : h) >= 2160 ? 4 : 2;
	/* Smallest cell decides whether there is room for an inset; a cell
	 * is at least minc - 2 pixels after even rounding. */
	int minc = w / cols < h / rows ? w / cols : h / rows;
	int inset = minc >= 4 * base + 4 ? base : minc >= 12 ? 2 : 0;

	for (size_t i = 0; i < count; i++) {
		int x0 = boundary(w, cols, sp[i].c);
		int x1 = boundary(w, cols, sp[i].c + sp[i].cw);
		int y0 = boundary(h, rows, sp[i].r);
		int y1 = boundary(h, rows, sp[i].r + sp[i].rh);

		tiles[i].x = x0 + inset;
		tiles[i].y = y0 + inset;
		tiles[i].w = x1 - x0 - 2 * inset;
		tiles[i].h = y1 - y0 - 2 * inset;
		tiles[i].role = sp[i].cw > 1 ? MCU_TILE_MAIN : MCU_TILE_SMALL;
		tiles[i].index = (int)i;
		tiles[i].flags = 0;
	}
}

static void grid(int w, int h, int n, struct mcu_tile *tiles)
{
	struct span sp[MCU_LAYOUT_MAX_TILES];
	size_t k = 0;

	for (int r = 0; r < n; r++)
		for (int c = 0; c < n; c++)
			sp[k++] = (struct span){(unsigned char)c,
			                        (unsigned char)r, 1, 1};
	cells(w, h, n, n, sp, k, tiles);
}

static void pip(int w, int h, struct mcu_tile *tiles)
{
	int pw = even_floor(w / 3), ph = even_floor(h / 3);
	int m = even_floor((w < h ? w : h) / 24);

	if (m < 2)
		m = 2;
	tiles[0] = (struct mcu_tile){0, 0, w, h, MCU_TILE_MAIN, 0, 0};
	tiles[1] = (struct mcu_tile){
	    w - m - pw, h - m - ph,      pw, ph, MCU_TILE_SMALL,
	    1,          MCU_TILE_OVERLAY};
}

static void side(int w, int h, struct mcu_tile *tiles)
{
	int inset = 2, half = even_floor(w / 2);
	int tw = half - 2 * inset;
	int th = even_floor((int)((long)tw * h / w));

	if (tw < 2)
		tw = 2;
	if (th > h - 2 * inset)
		th = even_floor(h - 2 * inset);
	if (th < 2)
		th = 2;
	int y = even_floor((h - th) / 2);

	tiles[0] = (struct mcu_tile){inset, y, tw, th, MCU_TILE_SMALL, 0, 0};
	tiles[1] =
	    (struct mcu_tile){half + inset, y, tw, th, MCU_TILE_SMALL, 1, 0};
}

int mcu_layout_tiles(const struct mcu_layout *l, int w, int h,
                     struct mcu_tile *tiles, size_t max, size_t *n)
{
	int count = mcu_layout_tile_count(l);

	if (!count || !tiles || !n || w < MCU_LAYOUT_MIN_DIM ||
	    h < MCU_LAYOUT_MIN_DIM || w > MCU_LAYOUT_MAX_DIM ||
	    h > MCU_LAYOUT_MAX_DIM || (w & 1) || (h & 1))
		return EINVAL;
	if ((size_t)count > max)
		return ENOSPC;
	switch (l->kind) {
	case MCU_LAYOUT_HOST:
	case MCU_LAYOUT_SPEAKER:
		tiles[0] = (struct mcu_tile){0, 0, w, h, MCU_TILE_MAIN, 0, 0};
		break;
	case MCU_LAYOUT_HOST_FLOOR:
	case MCU_LAYOUT_CONTENT:
		pip(w, h, tiles);
		break;
	case MCU_LAYOUT_SIDE:
		side(w, h, tiles);
		break;
	case MCU_LAYOUT_GRID:
	case MCU_LAYOUT_TOUR:
		grid(w, h, l->n, tiles);
		break;
	case MCU_LAYOUT_ONE_PLUS:
		if (l->n == 5)
			cells(w, h, 3, 3, one_plus_5, 6, tiles);
		else if (l->n == 7)
			cells(w, h, 4, 4, one_plus_7, 8, tiles);
		else
			cells(w, h, 4, 4, one_plus_12, 13, tiles);
		break;
	}
	*n = (size_t)count;
	return 0;
}
