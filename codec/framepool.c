#define MCU_LOG_MODULE "framepool"
#include "conf/log.h"
#include "codec/framepool.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

#include <libavutil/buffer.h>
#include <libavutil/mem.h>

/* Extra bytes after each plane: SIMD code may read a little past a row. */
#define PLANE_PAD 64

struct mcu_framepool {
	AVBufferPool *pool;
	int width, height;
	int linesize[3];
	size_t offset[3];
	size_t size;
};

static int align_up(int v, int a)
{
	return (v + a - 1) / a * a;
}

int mcu_framepool_alloc(struct mcu_framepool **poolp, int width, int height)
{
	struct mcu_framepool *fp;
	int cw, ch;
	size_t y_size, c_size;

	if (!poolp || width < 2 || height < 2 || width > 16384 ||
	    height > 16384)
		return EINVAL;
	fp = calloc(1, sizeof(*fp));
	if (!fp)
		return ENOMEM;
	cw = (width + 1) / 2;
	ch = (height + 1) / 2;
	fp->width = width;
	fp->height = height;
	fp->linesize[0] = align_up(width, MCU_FRAMEPOOL_ALIGN);
	fp->linesize[1] = fp->linesize[2] = align_up(cw, MCU_FRAMEPOOL_ALIGN);
	y_size = (size_t)align_up(fp->linesize[0] * height + PLANE_PAD,
	                          MCU_FRAMEPOOL_ALIGN);
	c_size = (size_t)align_up(fp->linesize[1] * ch + PLANE_PAD,
	                          MCU_FRAMEPOOL_ALIGN);
	fp->offset[0] = 0;
	fp->offset[1] = y_size;
	fp->offset[2] = y_size + c_size;
	/* av_malloc aligns to 32 or 64 bytes depending on the build; the
	 * spare bytes let get() align the first plane itself. */
	fp->size = y_size + 2 * c_size + MCU_FRAMEPOOL_ALIGN;
	fp->pool = av_buffer_pool_init(fp->size, av_buffer_alloc);
	if (!fp->pool) {
		free(fp);
		return ENOMEM;
	}
	*poolp = fp;
	return 0;
}

struct mcu_framepool *mcu_framepool_free(struct mcu_framepool *fp)
{
	if (!fp)
		return NULL;
	/* Frees the pool once every outstanding buffer has come back. */
	av_buffer_pool_uninit(&fp->pool);
	free(fp);
	return NULL;
}

int mcu_framepool_get(struct mcu_framepool *fp, AVFrame **framep)
{
	AVFrame *f;
	uint8_t *base;

	if (!fp || !framep)
		return EINVAL;
	f = av_frame_alloc();
	if (!f)
		return ENOMEM;
	f->buf[0] = av_buffer_pool_get(fp->pool);
	if (!f->buf[0]) {
		av_frame_free(&f);
		return ENOMEM;
	}
	f->format = AV_PIX_FMT_YUV420P;
	f->width = fp->width;
	f->height = fp->height;
	base = f->buf[0]->data;
	base += (MCU_FRAMEPOOL_ALIGN - (uintptr_t)base % MCU_FRAMEPOOL_ALIGN) %
	        MCU_FRAMEPOOL_ALIGN;
	for (int i = 0; i < 3; i++) {
		f->data[i] = base + fp->offset[i];
		f->linesize[i] = fp->linesize[i];
	}
	*framep = f;
	return 0;
}

void mcu_framepool_size(const struct mcu_framepool *fp, int *width, int *height)
{
	if (width)
		*width = fp ? fp->width : 0;
	if (height)
		*height = fp ? fp->height : 0;
}
