/*
 * jpeg: one still picture as a JPEG (the operator's live views, GET
 * /api/v1/meetings/{id}/views/{role}.jpg). A YUV frame is scaled down to at
 * most max_width pixels wide (aspect kept, even sizes, never enlarged),
 * converted to full-range YUV (what JPEG means by YUVJ420P) with
 * libswscale and encoded with libavcodec's MJPEG encoder at a fixed
 * quantiser good enough to read the name labels of a 4x4 grid.
 *
 * Stateless and thread-safe: each call opens its own scaler and encoder,
 * so callers that want to encode rarely simply call it rarely (and cache
 * the result). Not for the media path.
 */
#ifndef MCU_CODEC_JPEG_H
#define MCU_CODEC_JPEG_H

#include <stddef.h>
#include <stdint.h>

#include <libavutil/frame.h>

/* Smallest max_width accepted. */
#define MCU_JPEG_MIN_WIDTH 16

/*
 * Encode `yuv` (any format libswscale reads, usually the YUV420P canvas of
 * a view; its color_range is honoured, unspecified means limited range)
 * into a JPEG at most `max_width` wide. On success *out is a malloc()ed
 * buffer of *len bytes the caller free()s. Returns 0, EINVAL (no frame,
 * odd sizes below 2x2, max_width < MCU_JPEG_MIN_WIDTH), ENOTSUP (a format
 * swscale cannot read), ENOMEM or EIO (the encoder failed).
 */
int mcu_jpeg_encode(const AVFrame *yuv, int max_width, uint8_t **out,
                    size_t *len);

#endif
