/*
 * view: who is seen where. Given a layout, the meeting's candidate sources
 * and one viewer's situation (its id, the host, the floor holder, the active
 * speaker, pins, the tour page), mcu_view_compute() fills a struct mcu_view:
 * the effective layout, the source of each tile (or none), the tiles to
 * highlight and, for tours, the page count and the sources of the next page
 * (so the engine can ask them for a key frame before they become visible).
 *
 * mcu_view_key() / mcu_view_key_str() / mcu_view_same() let the engine group
 * viewers that see exactly the same picture and compose it once (design.md,
 * "compose once per distinct view"): the key covers the tile geometry class
 * (not the layout name: "host" and "speaker" showing the same source are the
 * same picture), every tile's source and the highlight/marker tiles, and
 * nothing about the viewer itself. Canvas size, source states (muted,
 * disconnected) and labels are not in the key: they are the same for every
 * view of a meeting at a given tick, and the engine keys encoders by size.
 *
 * Pure functions on caller-owned memory; safe from any thread. The cost is
 * quadratic in nsources (duplicate and membership checks): meant for
 * meeting-sized lists of a few hundred, computed when something changes.
 *
 * Rules (an id is "eligible" when it is non-zero, listed in sources, and is
 * not the viewer unless self_view is set; content need not be listed):
 *   host        the host; when it is not eligible (the host looking at this
 *               layout) the floor holder, else the speaker, else nothing.
 *   speaker     the first eligible of speaker, floor holder, host.
 *   host+floor  host full canvas, floor holder in the PiP tile; with only
 *               one of them eligible (no holder, holder == host, or the
 *               viewer is one of them) that one alone on the whole canvas.
 *   content     the content source full canvas, the host in the PiP tile;
 *               the content alone when the host is not eligible, the host
 *               alone when there is no content.
 *   2x1         host and floor holder (or speaker) side by side, then
 *               roster order for what is left.
 *   grid-NxN    eligible sources in roster order.
 *   1+K         main tile: first eligible of floor holder, speaker, host;
 *               small tiles: the others in roster order.
 *   tour-NxN    pages of eligible sources other than the host (the
 *               branches), roster order; pinned sources stay on every page
 *               and the remaining tiles page; page = tour_page mod pages
 *               (a negative tour_page counts back from the last page).
 * Pins (source -> tile index) apply first in every multi-tile layout; a pin
 * of a non-eligible source, to a tile out of range, or to a tile already
 * pinned is ignored. The active speaker's tile is highlighted when the view
 * has more than one tile; when the viewer is the host, the floor holder's
 * tile carries the floor marker.
 */
#ifndef MCU_LAYOUT_VIEW_H
#define MCU_LAYOUT_VIEW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "layout/catalog.h"

/* Enough for mcu_view_key_str() of any view, with its NUL. */
#define MCU_VIEW_KEY_MAX 384

struct mcu_view_pin {
	uint32_t source; /* participant id */
	int tile;        /* tile index of the requested layout */
};

struct mcu_view_input {
	struct mcu_layout layout; /* the layout asked for */
	const uint32_t *sources;  /* candidate participant ids, roster order,
	                             non-zero, unique */
	size_t nsources;
	uint32_t viewer;  /* 0: no viewer (recording, preview) */
	uint32_t host;    /* 0: none */
	uint32_t floor;   /* floor holder (open mode: latest other
	                     speaker); 0: none */
	uint32_t speaker; /* active speaker now; 0: none */
	uint32_t content; /* content source id; 0: none */
	int self_view;    /* the viewer may see itself */
	const struct mcu_view_pin *pins;
	size_t npins;
	long tour_page; /* any value; taken modulo the page count */
};

struct mcu_view {
	/* effective layout to draw (host+floor without a holder: host) */
	struct mcu_layout layout;
	/* mcu_layout_tile_count(&layout) */
	int ntiles;
	/* source per tile, 0 = empty */
	uint32_t tile[MCU_LAYOUT_MAX_TILES];
	/* active speaker's tile, floor holder's tile (host's view), or -1 */
	int highlight, floor_mark;
	/* tour page shown and page count (0 and 1 when not a tour) */
	unsigned page, pages;
	/* tour: sources of the next page (nnext is 0 with one page) */
	uint32_t next[MCU_LAYOUT_MAX_TILES];
	int nnext;
};

/*
 * Compute the view of one viewer. Returns 0, or EINVAL for an invalid
 * layout, NULL pointers with a non-zero count, a zero or duplicated source
 * id; *out is only written on success.
 */
int mcu_view_compute(const struct mcu_view_input *in, struct mcu_view *out);

/*
 * Canonical text of what the view shows, e.g. "pip|3,9|hl=1|fm=-1".
 * Returns 0, EINVAL or ENOSPC (MCU_VIEW_KEY_MAX bytes always suffice).
 */
int mcu_view_key_str(const struct mcu_view *v, char *buf, size_t size);

/* 64-bit FNV-1a hash of mcu_view_key_str(); 0 for an invalid view. */
uint64_t mcu_view_key(const struct mcu_view *v);

/* 1 when a and b show exactly the same picture (confirms a hash match). */
int mcu_view_same(const struct mcu_view *a, const struct mcu_view *b);

/* Tile index showing source id, or -1. */
int mcu_view_find(const struct mcu_view *v, uint32_t source);

/*
 * The tour clock of a meeting: which page its tour views show. The page
 * turns by itself every period, and at once when an operator or the host
 * steps it (keypad 4# / 5#, the API); a step restarts the period so the
 * page chosen stays its full time. The page is a plain counter that
 * mcu_view_compute() takes modulo each view's page count, so one clock
 * serves views with different page counts (the host's tour-4x4 and a
 * branches' tour-2x2).
 */
struct mcu_view_tour {
	long page;
	int64_t changed_us; /* when the page last turned; 0: not started */
};

/*
 * Advance the clock to now_us (monotonic, > 0): `steps` turns at once
 * (positive: next pages, negative: previous ones) and restarts the period;
 * otherwise the page turns when period_us has passed since the last turn
 * (period_us <= 0: never by itself). *prefetch (may be NULL) is set when
 * the next page is due within prefetch_us, so its sources should be
 * decoded from now on. Returns true when the page changed.
 */
bool mcu_view_tour_advance(struct mcu_view_tour *t, int64_t now_us,
                           int64_t period_us, int steps, int64_t prefetch_us,
                           bool *prefetch);

#endif
