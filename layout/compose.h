/*
 * compose: the compositor. Draws one view into a YUV420P canvas: each tile
 * gets its source picture scaled with libswscale (aspect kept: letterbox or
 * crop-to-fill, per compositor), or a placeholder card (dark background,
 * endpoint name centred, a state text such as "Tắt hình") when there is no
 * picture; then the endpoint's name on a semi-transparent band at the
 * bottom left, the active-speaker border and the floor-holder marker.
 *
 * One compositor serves one conference's video tick and is used by one
 * thread at a time (not thread-safe), except for the scale jobs of
 * mcu_compose_plan(), which may run on several threads at once. It owns:
 *   - the canvas pools (AVBufferPool per canvas size), see
 *     mcu_compose_canvas();
 *   - the scaled-tile cache: a source frame scaled to a tile size is kept
 *     for the current tick, so every view that shows the same source at the
 *     same size copies it instead of scaling again. Entries are keyed by the
 *     source picture's identity (its buffer and pts), size and format, the
 *     tile size and the fit mode, and hold a reference on the source buffer
 *     so the identity cannot be recycled while valid (a frame that is not
 *     reference-counted is matched by data pointer and pts only: the caller
 *     keeps it unchanged for the tick). mcu_compose_tick()
 *     starts a new tick: every entry becomes stale and its reference is
 *     dropped (pixel buffers are kept for reuse);
 *   - the label cache (layout/label): each (name, size) is rasterised once;
 *   - the swscale contexts, one per (source size, format, tile size).
 * Per tick the cost is scaling each distinct (source, tile size) once,
 * copying and blending.
 */
#ifndef MCU_LAYOUT_COMPOSE_H
#define MCU_LAYOUT_COMPOSE_H

#include <stddef.h>
#include <stdint.h>

#include <libavutil/frame.h>

#include "layout/catalog.h"

struct mcu_compose;

enum mcu_compose_fit {
	MCU_COMPOSE_LETTERBOX = 0, /* whole picture, black bars */
	MCU_COMPOSE_CROP,          /* fill the tile, cut the overflow */
};

/* What a tile without a picture shows. */
enum mcu_card {
	MCU_CARD_EMPTY = 0,   /* nobody: black tile, no text */
	MCU_CARD_NO_VIDEO,    /* "Chưa có hình": connected, no picture yet */
	MCU_CARD_VIDEO_MUTED, /* "Tắt hình" */
	MCU_CARD_DISCONNECTED, /* "Mất kết nối" */
	MCU_CARD_CONNECTING,   /* "Đang kết nối" */
};

/* Tile decorations. */
enum {
	MCU_COMPOSE_HIGHLIGHT = 1u << 0, /* active speaker: yellow border */
	MCU_COMPOSE_FLOOR = 1u << 1,     /* floor holder: green marker */
};

struct mcu_compose_params {
	enum mcu_compose_fit fit;
	int sws_flags;         /* 0: SWS_BILINEAR */
	const char *font_path; /* NULL: MCU_LABEL_DEFAULT_FONT */
	size_t cache_entries;  /* scaled-tile cache size, 0: 64 */
};

/* The input of one tile. */
struct mcu_compose_tile {
	const AVFrame *frame;  /* any size and software format; NULL: card */
	const char *label;     /* endpoint name (UTF-8) or NULL */
	enum mcu_card card;    /* used when frame is NULL */
	const char *card_text; /* replaces the card's default state text */
	unsigned flags;        /* MCU_COMPOSE_HIGHLIGHT | MCU_COMPOSE_FLOOR */
};

struct mcu_compose_stats {
	uint64_t cache_hits;      /* tiles copied from the scaled-tile cache */
	uint64_t cache_misses;    /* tiles scaled */
	uint64_t scale_errors;    /* sources that could not be scaled (card
	                             drawn instead) */
	uint64_t labels_rendered; /* texts rasterised (label cache misses) */
	uint64_t labels_hits;     /* texts taken from the label cache */
	uint64_t sws_contexts;    /* swscale contexts held now (one per
	                             geometry, more while scale jobs of one
	                             geometry run at once) */
};

/*
 * Create a compositor; params may be NULL for the defaults. Returns 0,
 * EINVAL, ENOMEM, or ENOENT when the font cannot be loaded.
 */
int mcu_compose_alloc(struct mcu_compose **cp,
                      const struct mcu_compose_params *params);
/* Frees the compositor; canvases it handed out stay valid. Returns NULL. */
struct mcu_compose *mcu_compose_free(struct mcu_compose *c);

/* Start a new tick: the scaled-tile cache entries become stale. */
void mcu_compose_tick(struct mcu_compose *c);

/*
 * A new w x h YUV420P canvas (w, h even, 2..8192) from the compositor's
 * pool for that size; the caller owns *out (av_frame_free). Contents are
 * undefined until mcu_compose_draw(). Returns 0, EINVAL or ENOMEM.
 */
int mcu_compose_canvas(struct mcu_compose *c, int w, int h, AVFrame **out);

/*
 * Draw n tiles (geometry from mcu_layout_tiles(), inputs in[i] for
 * tiles[i]) into canvas, which must be a writable YUV420P frame with even
 * width and height. What no tile covers is painted black; n may be 0.
 * Tiles are drawn in order (a PiP tile after the main one). Returns 0, or
 * EINVAL for a bad canvas or a tile that is not even-aligned inside it
 * (then nothing is drawn). A source that cannot be scaled is drawn as a
 * card and counted in scale_errors.
 */
int mcu_compose_draw(struct mcu_compose *c, AVFrame *canvas,
                     const struct mcu_tile *tiles,
                     const struct mcu_compose_tile *in, size_t n);

/*
 * Scaling ahead, in parallel: scaling is most of a tick's composition, and
 * the tiles of a tick are independent. After mcu_compose_tick(), call
 * mcu_compose_plan() with the tiles and inputs of each picture the tick
 * will draw (on the compositor's thread): every (source, tile size) not
 * yet in this tick's cache becomes a scale job, with its own cache entry
 * and its own swscale context. It returns the number of jobs planned this
 * tick so far. Then run mcu_compose_scale(c, i) once for each i below that
 * number, on any threads, at the same time if wanted; nothing else may use
 * c until all have returned. mcu_compose_draw() then copies the scaled
 * tiles from the cache (a job not run is run by the draw; a tile that
 * could not be planned, e.g. when the cache is full, is scaled by the draw
 * as without a plan). The pictures drawn are the same with or without a
 * plan.
 */
size_t mcu_compose_plan(struct mcu_compose *c, const struct mcu_tile *tiles,
                        const struct mcu_compose_tile *in, size_t n);
void mcu_compose_scale(struct mcu_compose *c, size_t job);

void mcu_compose_get_stats(const struct mcu_compose *c,
                           struct mcu_compose_stats *st);

/* Default Vietnamese state text of a card kind ("" for MCU_CARD_EMPTY). */
const char *mcu_compose_card_text(enum mcu_card card);

#endif
