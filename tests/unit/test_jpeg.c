/* test-libs: mcu_conf mcu_codec */
/*
 * jpeg family: a known YUV420P picture (left half red, right half blue, in
 * limited range like the compositor's canvas) encoded to JPEG, decoded back
 * with libavcodec's MJPEG decoder: size limited to max_width with the
 * aspect kept, colours converted to full range, bad arguments refused.
 */
#include "tests/unit/testutil.h"

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libavcodec/avcodec.h>

#include "codec/jpeg.h"

/* BT.601 limited range: red (81,90,240), blue (41,240,110). */
static const uint8_t RED[3] = {81, 90, 240}, BLUE[3] = {41, 240, 110};

static AVFrame *make_frame(int w, int h)
{
	AVFrame *f = av_frame_alloc();
	assert_non_null(f);
	f->format = AV_PIX_FMT_YUV420P;
	f->width = w;
	f->height = h;
	assert_int_equal(av_frame_get_buffer(f, 0), 0);
	for (int p = 0; p < 3; p++) {
		int pw = p ? w / 2 : w, ph = p ? h / 2 : h;
		for (int y = 0; y < ph; y++)
			for (int x = 0; x < pw; x++)
				f->data[p][y * f->linesize[p] + x] =
				    x < pw / 2 ? RED[p] : BLUE[p];
	}
	return f;
}

static AVFrame *decode(const uint8_t *data, size_t len)
{
	const AVCodec *c = avcodec_find_decoder(AV_CODEC_ID_MJPEG);
	AVCodecContext *ctx = avcodec_alloc_context3(c);
	AVPacket *pkt = av_packet_alloc();
	AVFrame *f = av_frame_alloc();
	assert_non_null(ctx);
	assert_non_null(pkt);
	assert_non_null(f);
	assert_int_equal(avcodec_open2(ctx, c, NULL), 0);
	assert_int_equal(av_new_packet(pkt, (int)len), 0);
	memcpy(pkt->data, data, len);
	assert_int_equal(avcodec_send_packet(ctx, pkt), 0);
	assert_int_equal(avcodec_receive_frame(ctx, f), 0);
	av_packet_free(&pkt);
	avcodec_free_context(&ctx);
	return f;
}

/* Mean of plane p over the rectangle [x0,x1) x [y0,y1) in luma units. */
static double mean(const AVFrame *f, int p, int x0, int y0, int x1, int y1)
{
	int s = p ? 1 : 0;
	double sum = 0;
	long n = 0;
	for (int y = y0 >> s; y < y1 >> s; y++)
		for (int x = x0 >> s; x < x1 >> s; x++, n++)
			sum += f->data[p][y * f->linesize[p] + x];
	return n ? sum / (double)n : -1;
}

static double full(double v, int p)
{
	return p ? (v - 128) * 255 / 224 + 128 : (v - 16) * 255 / 219;
}

static void check_colours(const AVFrame *d)
{
	int w = d->width, h = d->height;
	for (int p = 0; p < 3; p++) {
		double r = mean(d, p, w / 16, h / 8, w * 7 / 16, h * 7 / 8);
		double b =
		    mean(d, p, w * 9 / 16, h / 8, w * 15 / 16, h * 7 / 8);
		double er = fmin(full(RED[p], p), 255);
		double eb = fmin(full(BLUE[p], p), 255);
		print_message("plane %d: red %.1f (want %.1f), blue %.1f "
		              "(want %.1f)\n",
		              p, r, er, b, eb);
		assert_true(fabs(r - er) < 4);
		assert_true(fabs(b - eb) < 4);
	}
}

static void jpeg_scaled_roundtrip(void **state)
{
	AVFrame *f = make_frame(1280, 720), *d;
	uint8_t *jpg = NULL;
	size_t len = 0;
	struct timespec t0, t1;
	(void)state;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(mcu_jpeg_encode(f, 640, &jpg, &len), 0);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	print_message("1280x720 -> 640x360 JPEG: %zu bytes in %.2f ms\n", len,
	              (double)(t1.tv_sec - t0.tv_sec) * 1e3 +
	                  (double)(t1.tv_nsec - t0.tv_nsec) / 1e6);
	assert_non_null(jpg);
	assert_true(len > 100 && len < 100000);
	/* SOI ... EOI */
	assert_int_equal(jpg[0], 0xff);
	assert_int_equal(jpg[1], 0xd8);
	assert_int_equal(jpg[len - 2], 0xff);
	assert_int_equal(jpg[len - 1], 0xd9);
	d = decode(jpg, len);
	assert_int_equal(d->width, 640);
	assert_int_equal(d->height, 360);
	check_colours(d);
	av_frame_free(&d);
	av_frame_free(&f);
	free(jpg);
}

static void jpeg_small_kept(void **state)
{
	AVFrame *f = make_frame(320, 180), *d;
	uint8_t *jpg = NULL;
	size_t len = 0;
	(void)state;

	/* never enlarged; odd limits give even sizes */
	assert_int_equal(mcu_jpeg_encode(f, 640, &jpg, &len), 0);
	d = decode(jpg, len);
	assert_int_equal(d->width, 320);
	assert_int_equal(d->height, 180);
	check_colours(d);
	av_frame_free(&d);
	free(jpg);
	assert_int_equal(mcu_jpeg_encode(f, 161, &jpg, &len), 0);
	d = decode(jpg, len);
	assert_int_equal(d->width, 160);
	assert_int_equal(d->height, 90);
	av_frame_free(&d);
	free(jpg);
	av_frame_free(&f);
}

static void jpeg_bad_args(void **state)
{
	AVFrame *f = make_frame(64, 64), *e = av_frame_alloc();
	uint8_t *jpg = NULL;
	size_t len = 0;
	(void)state;

	assert_int_equal(mcu_jpeg_encode(NULL, 640, &jpg, &len), EINVAL);
	assert_int_equal(mcu_jpeg_encode(f, 8, &jpg, &len), EINVAL);
	assert_int_equal(mcu_jpeg_encode(f, 640, NULL, &len), EINVAL);
	assert_int_equal(mcu_jpeg_encode(e, 640, &jpg, &len), EINVAL);
	f->format = AV_PIX_FMT_NONE;
	assert_int_equal(mcu_jpeg_encode(f, 640, &jpg, &len), ENOTSUP);
	assert_null(jpg);
	av_frame_free(&e);
	f->format = AV_PIX_FMT_YUV420P;
	av_frame_free(&f);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(jpeg_scaled_roundtrip),
    cmocka_unit_test(jpeg_small_kept),
    cmocka_unit_test(jpeg_bad_args),
};
MCU_TEST_MAIN(tests, NULL, NULL)
