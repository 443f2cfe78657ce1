/*
 * Why a JPEG is made this way: the picture is scaled into plain YUV420P
 * with swscale told (at init, through its options) that the destination is
 * full range, rather than asking for the deprecated YUVJ420P format, which
 * makes swscale warn on every context; the frame is then labelled YUVJ420P for
 * the MJPEG encoder, whose layout it is. A fixed quantiser (qscale 3, about
 * JPEG quality 90) keeps 12-pixel name labels legible at 640x360 for ~40-80 KB.
 */
#define MCU_LOG_MODULE "jpeg"
#include "conf/log.h"
#include "codec/jpeg.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <libavcodec/avcodec.h>
#include <libavutil/opt.h>
#include <libavutil/pixdesc.h>
#include <libswscale/swscale.h>

#define JPEG_QSCALE 3

/* Output size: at most max_width wide, aspect kept, even, never larger. */
static void out_size(int w, int h, int max_width, int *ow, int *oh)
{
	if (w > max_width) {
		*ow = max_width;
		*oh = (int)(((int64_t)h * max_width + w / 2) / w);
	} else {
		*ow = w;
		*oh = h;
	}
	*ow &= ~1;
	*oh &= ~1;
	if (*oh < 2)
		*oh = 2;
}

static int scale(const AVFrame *src, AVFrame *dst)
{
	int src_range = src->color_range == AVCOL_RANGE_JPEG ||
	                src->format == AV_PIX_FMT_YUVJ420P ||
	                src->format == AV_PIX_FMT_YUVJ422P ||
	                src->format == AV_PIX_FMT_YUVJ444P;
	struct SwsContext *sws = sws_alloc_context();
	int ret;

	if (!sws)
		return ENOMEM;
	/* The ranges must be known at init: with equal sizes and formats
	 * swscale would otherwise pick a plain copy and skip the range
	 * conversion. */
	if (av_opt_set_int(sws, "srcw", src->width, 0) < 0 ||
	    av_opt_set_int(sws, "srch", src->height, 0) < 0 ||
	    av_opt_set_int(sws, "src_format", src->format, 0) < 0 ||
	    av_opt_set_int(sws, "src_range", src_range, 0) < 0 ||
	    av_opt_set_int(sws, "dstw", dst->width, 0) < 0 ||
	    av_opt_set_int(sws, "dsth", dst->height, 0) < 0 ||
	    av_opt_set_int(sws, "dst_format", AV_PIX_FMT_YUV420P, 0) < 0 ||
	    av_opt_set_int(sws, "dst_range", 1, 0) < 0 ||
	    av_opt_set_int(sws, "sws_flags", SWS_AREA, 0) < 0 ||
	    sws_init_context(sws, NULL, NULL) < 0) {
		sws_freeContext(sws);
		return ENOTSUP;
	}
	ret = sws_scale(sws, (const uint8_t *const *)src->data, src->linesize,
	                0, src->height, dst->data, dst->linesize);
	sws_freeContext(sws);
	return ret == dst->height ? 0 : EIO;
}

static int encode(AVFrame *pic, uint8_t **out, size_t *len)
{
	const AVCodec *codec = avcodec_find_encoder(AV_CODEC_ID_MJPEG);
	AVCodecContext *ctx = NULL;
	AVPacket *pkt = NULL;
	int ret, err = EIO;

	if (!codec)
		return ENOTSUP;
	ctx = avcodec_alloc_context3(codec);
	pkt = av_packet_alloc();
	if (!ctx || !pkt) {
		err = ENOMEM;
		goto out;
	}
	ctx->width = pic->width;
	ctx->height = pic->height;
	ctx->pix_fmt = AV_PIX_FMT_YUVJ420P;
	ctx->color_range = AVCOL_RANGE_JPEG;
	ctx->time_base = (AVRational){1, 25};
	ctx->flags |= AV_CODEC_FLAG_QSCALE;
	ctx->global_quality = FF_QP2LAMBDA * JPEG_QSCALE;
	ctx->thread_count = 1;
	ret = avcodec_open2(ctx, codec, NULL);
	if (ret < 0) {
		mcu_log_error("cannot open the MJPEG encoder: %s",
		              av_err2str(ret));
		goto out;
	}
	pic->quality = ctx->global_quality;
	pic->pts = 0;
	ret = avcodec_send_frame(ctx, pic);
	if (ret >= 0)
		ret = avcodec_send_frame(ctx, NULL); /* drain: one packet */
	if (ret >= 0)
		ret = avcodec_receive_packet(ctx, pkt);
	if (ret < 0 || pkt->size <= 0) {
		mcu_log_error("MJPEG encode failed: %s",
		              ret < 0 ? av_err2str(ret) : "empty packet");
		err = ret == AVERROR(ENOMEM) ? ENOMEM : EIO;
		goto out;
	}
	*out = malloc((size_t)pkt->size);
	if (!*out) {
		err = ENOMEM;
		goto out;
	}
	memcpy(*out, pkt->data, (size_t)pkt->size);
	*len = (size_t)pkt->size;
	err = 0;
out:
	av_packet_free(&pkt);
	avcodec_free_context(&ctx);
	return err;
}

int mcu_jpeg_encode(const AVFrame *yuv, int max_width, uint8_t **out,
                    size_t *len)
{
	AVFrame *pic = NULL;
	int err, ow, oh;

	if (!yuv || !out || !len || max_width < MCU_JPEG_MIN_WIDTH ||
	    yuv->width < 2 || yuv->height < 2 || yuv->width > 16384 ||
	    yuv->height > 16384 || !yuv->data[0])
		return EINVAL;
	if (yuv->format < 0 || !sws_isSupportedInput(yuv->format))
		return ENOTSUP;
	out_size(yuv->width, yuv->height, max_width, &ow, &oh);
	pic = av_frame_alloc();
	if (!pic)
		return ENOMEM;
	pic->format = AV_PIX_FMT_YUV420P;
	pic->width = ow;
	pic->height = oh;
	if (av_frame_get_buffer(pic, 0) < 0) {
		err = ENOMEM;
		goto out;
	}
	err = scale(yuv, pic);
	if (err)
		goto out;
	pic->format = AV_PIX_FMT_YUVJ420P; /* same planes, full range */
	pic->color_range = AVCOL_RANGE_JPEG;
	err = encode(pic, out, len);
out:
	av_frame_free(&pic);
	return err;
}
