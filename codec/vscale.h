/*
 * vscale: draws a decoded picture (any format libswscale reads, usually
 * YUV420P or YUVJ420P from a decoder) into a rectangle of a YUV420P canvas,
 * stretched, letterboxed (whole picture, black bars) or cropped (rectangle
 * filled, picture centred and cut). It keeps one SwsContext per
 * (source size, format, range -> destination size) in a small LRU cache,
 * so a tile of a steady layout never rebuilds its scaler.
 *
 * Thread-safety: a struct mcu_vscale is NOT thread-safe; give each media
 * worker thread its own. Source frames are only read and may be shared;
 * the destination canvas must not be written by anyone else meanwhile.
 *
 * Rectangles are in luma pixels and are aligned to even values (YUV420P
 * chroma), clipped to the canvas.
 */
#ifndef MCU_CODEC_VSCALE_H
#define MCU_CODEC_VSCALE_H

#include <libavutil/frame.h>

struct mcu_vscale;

struct mcu_vscale_rect {
	int x, y, w, h;
};

enum mcu_vscale_fit {
	MCU_VSCALE_STRETCH = 0, /* fill the rectangle, aspect ignored */
	MCU_VSCALE_LETTERBOX,   /* whole picture, aspect kept, black bars */
	MCU_VSCALE_CROP,        /* fill the rectangle, aspect kept, cut */
};

/* Number of SwsContexts kept per scaler. */
#define MCU_VSCALE_CACHE 8

int mcu_vscale_alloc(struct mcu_vscale **scp);
struct mcu_vscale *mcu_vscale_free(struct mcu_vscale *sc);

/*
 * Scale src into rect of dst (YUV420P) with the given fit. Letterbox bars
 * are painted black. Returns 0, EINVAL (bad frame or formats, empty
 * rectangle), ENOTSUP (source format swscale cannot read) or ENOMEM.
 */
int mcu_vscale_draw(struct mcu_vscale *sc, AVFrame *dst,
                    const struct mcu_vscale_rect *rect, const AVFrame *src,
                    enum mcu_vscale_fit fit);

/*
 * Pure geometry of a draw: for a src_w x src_h picture and an (already
 * aligned) destination rectangle, the part of the source that is used
 * (*src_out) and where it lands (*dst_out). Even-aligned.
 */
void mcu_vscale_geometry(int src_w, int src_h,
                         const struct mcu_vscale_rect *rect,
                         enum mcu_vscale_fit fit,
                         struct mcu_vscale_rect *src_out,
                         struct mcu_vscale_rect *dst_out);

/* Paint rect of a YUV420P frame with one colour. 0 or EINVAL. */
int mcu_vscale_fill(AVFrame *dst, const struct mcu_vscale_rect *rect, uint8_t y,
                    uint8_t u, uint8_t v);

/* SwsContexts created so far (cache misses), for tests and metrics. */
unsigned mcu_vscale_contexts_created(const struct mcu_vscale *sc);

#endif
