/*
 * catalog: the layout catalogue of roster-format.md ("Layouts") and the tile
 * geometry of each layout for any canvas size. Pure functions on small value
 * types, no allocation, safe from any thread. layout/view decides who goes
 * into which tile; layout/compose draws the tiles.
 *
 * Names: host, host+floor, speaker, grid-2x2 .. grid-5x5, tour-2x2 ..
 * tour-5x5, 1+5, 1+7, 1+12, content, 2x1 (side by side).
 *
 * Geometry rules: every coordinate and size is even (YUV 4:2:0); a grid is a
 * set of cells on even boundaries, each tile inset by 2 px (4 px between two
 * tiles, 2 px at the canvas edge; twice that when both sides are at least
 * 2160; none when cells are smaller than 12 px); tiles never overlap, except
 * the picture-in-picture tile of host+floor and content, which is flagged
 * MCU_TILE_OVERLAY and is drawn over the main tile. Tiles are listed in drawing
 * order; tile 0 is the main tile of layouts that have one.
 *
 * host+floor (and content) use picture-in-picture: the main source covers the
 * whole canvas and the second one sits in a one-third by one-third tile at the
 * bottom right, inset by a margin, so the host stays visible on 8/9 of the
 * area (more than the two thirds asked for), at full size, with its name
 * label (bottom left) uncovered. With no floor holder the view module
 * switches to the one-tile geometry (the host alone).
 */
#ifndef MCU_LAYOUT_CATALOG_H
#define MCU_LAYOUT_CATALOG_H

#include <stddef.h>

/* The most tiles any layout has (grid-5x5). */
#define MCU_LAYOUT_MAX_TILES 25
/* Canvas sizes accepted by mcu_layout_tiles(). */
#define MCU_LAYOUT_MIN_DIM 32
#define MCU_LAYOUT_MAX_DIM 8192
/* Longest canonical layout name, with the terminating NUL. */
#define MCU_LAYOUT_NAME_MAX 16

enum mcu_layout_kind {
	MCU_LAYOUT_HOST = 0,   /* the host alone */
	MCU_LAYOUT_HOST_FLOOR, /* host large, floor holder in a PiP tile */
	MCU_LAYOUT_SPEAKER,    /* the current speaker alone */
	MCU_LAYOUT_GRID,       /* n x n equal tiles, roster order */
	MCU_LAYOUT_TOUR,       /* n x n equal tiles paging over branches */
	MCU_LAYOUT_ONE_PLUS,   /* one large + n small (n = 5, 7, 12) */
	MCU_LAYOUT_CONTENT,    /* content large, host in a PiP tile */
	MCU_LAYOUT_SIDE,       /* two tiles side by side ("2x1") */
};

/* A layout: a kind and its parameter (grid side or number of small tiles). */
struct mcu_layout {
	enum mcu_layout_kind kind;
	int n; /* GRID/TOUR: 2..5; ONE_PLUS: 5, 7 or 12; otherwise 0 */
};

enum mcu_tile_role {
	MCU_TILE_MAIN = 0, /* the large tile (host, speaker, floor holder) */
	MCU_TILE_SMALL,    /* a grid tile or a small tile around the main */
};

/* Tile flags. */
enum {
	MCU_TILE_OVERLAY = 1u << 0, /* drawn over earlier tiles (PiP) */
};

struct mcu_tile {
	int x, y, w, h; /* even, inside the canvas, w and h >= 2 */
	enum mcu_tile_role role;
	int index;      /* position in the tile list, 0-based */
	unsigned flags; /* MCU_TILE_* */
};

/*
 * Parse a layout name (exact, case-sensitive, as in the roster file).
 * Returns 0 and fills *out, or EINVAL for an unknown name.
 */
int mcu_layout_parse(const char *name, struct mcu_layout *out);

/*
 * Canonical name of a layout into buf (at least MCU_LAYOUT_NAME_MAX bytes
 * are enough). Returns 0, EINVAL for an invalid layout or ENOSPC.
 */
int mcu_layout_name(const struct mcu_layout *l, char *buf, size_t size);

/* Non-zero when the layout is one the catalogue knows. */
int mcu_layout_valid(const struct mcu_layout *l);

/* Number of tiles of the layout's full geometry (0 for an invalid one). */
int mcu_layout_tile_count(const struct mcu_layout *l);

/*
 * Geometry class: layouts that draw the same tiles at the same places share
 * a class ("1x1" for host and speaker, "pip" for host+floor and content,
 * "grid-4" for grid-4x4 and tour-4x4, ...). Returns a static string or NULL
 * for an invalid layout. Used by layout/view to build view keys.
 */
const char *mcu_layout_geometry_class(const struct mcu_layout *l);

/*
 * Tile geometry of layout l on a w x h canvas (both even, between
 * MCU_LAYOUT_MIN_DIM and MCU_LAYOUT_MAX_DIM). Writes up to max tiles to
 * tiles and their number to *n. Returns 0, EINVAL for a bad layout or size,
 * ENOSPC when max is smaller than mcu_layout_tile_count(l).
 */
int mcu_layout_tiles(const struct mcu_layout *l, int w, int h,
                     struct mcu_tile *tiles, size_t max, size_t *n);

#endif
