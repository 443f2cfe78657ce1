/*
 * framepool: YUV420P frames of one size whose buffers come from an
 * AVBufferPool, for canvases that are drawn every tick. A frame taken from
 * the pool is an ordinary reference-counted AVFrame; when its last
 * reference goes (av_frame_unref/av_frame_free anywhere, on any thread) the
 * buffer returns to the pool and the next mcu_framepool_get() reuses it.
 * Rows are aligned to MCU_FRAMEPOOL_ALIGN bytes (enough for AVX-512 and
 * swscale), and each plane is padded for SIMD over-reads.
 *
 * get() may be called from any thread (AVBufferPool is thread-safe); the
 * pool may be freed while frames from it are still alive: the memory goes
 * when the last of them is released.
 */
#ifndef MCU_CODEC_FRAMEPOOL_H
#define MCU_CODEC_FRAMEPOOL_H

#include <libavutil/frame.h>

#define MCU_FRAMEPOOL_ALIGN 64

struct mcu_framepool;

/* width, height: 2..16384. Returns 0, EINVAL or ENOMEM. */
int mcu_framepool_alloc(struct mcu_framepool **poolp, int width, int height);
struct mcu_framepool *mcu_framepool_free(struct mcu_framepool *pool);

/*
 * A new frame (format, width, height set; pixels undefined: a reused buffer
 * holds the previous picture). The caller owns it: av_frame_free() when
 * done. Returns 0 or ENOMEM.
 */
int mcu_framepool_get(struct mcu_framepool *pool, AVFrame **framep);

void mcu_framepool_size(const struct mcu_framepool *pool, int *width,
                        int *height);

#endif
