/* test-libs: mcu_conf mcu_codec */
/*
 * codec family: video encode -> decode round trips (H.264, VP8), key frames
 * on demand and in-band parameter sets, rate control, hostile decoder
 * input, audio codecs through the 48 kHz mixer format, concealment, the
 * scaler's geometry and colours, the frame pool and av_log routing.
 */
#include "tests/unit/testutil.h"

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <libavutil/error.h>
#include <libavutil/log.h>

#include "codec/adec.h"
#include "codec/aenc.h"
#include "codec/avlog.h"
#include "codec/framepool.h"
#include "codec/media.h"
#include "codec/vdec.h"
#include "codec/venc.h"
#include "codec/vscale.h"

#define W    640
#define H    360
#define BG_Y 100
#define BG_U 80
#define BG_V 180
#define SQ   64

/* ---- helpers ---------------------------------------------------------- */

static uint32_t lcg(uint32_t *s)
{
	*s = *s * 1664525u + 1013904223u;
	return *s >> 8;
}

static AVFrame *new_yuv(int w, int h)
{
	AVFrame *f = av_frame_alloc();
	assert_non_null(f);
	f->format = AV_PIX_FMT_YUV420P;
	f->width = w;
	f->height = h;
	assert_int_equal(av_frame_get_buffer(f, 0), 0);
	return f;
}

static void fill(AVFrame *f, int y, int u, int v)
{
	struct mcu_vscale_rect r = {0, 0, f->width, f->height};
	assert_int_equal(
	    mcu_vscale_fill(f, &r, (uint8_t)y, (uint8_t)u, (uint8_t)v), 0);
}

static int square_x(int n)
{
	return 32 + 8 * n;
}

/* Background colour, a white square moving right; optional luma noise of
 * the given amplitude so the encoder has to spend bits. */
static void draw_picture(AVFrame *f, int n, int noise)
{
	struct mcu_vscale_rect sq = {square_x(n), 100, SQ, SQ};
	uint32_t seed = (uint32_t)n * 7919u + 1;

	assert_int_equal(av_frame_make_writable(f), 0);
	fill(f, BG_Y, BG_U, BG_V);
	assert_int_equal(mcu_vscale_fill(f, &sq, 235, 128, 128), 0);
	if (noise) {
		for (int y = 0; y < f->height; y++)
			for (int x = 0; x < f->width; x++)
				f->data[0][y * f->linesize[0] + x] +=
				    (uint8_t)(lcg(&seed) % (unsigned)noise);
	}
}

/* Mean of one plane over a block. */
static double block_mean(const AVFrame *f, int plane, int x, int y, int w,
                         int h)
{
	double sum = 0;
	for (int j = 0; j < h; j++)
		for (int i = 0; i < w; i++)
			sum += f->data[plane]
			              [(y + j) * f->linesize[plane] + x + i];
	return sum / (w * h);
}

struct vcollect {
	AVFrame *last;
	int frames;
};

static void on_frame(const AVFrame *frame, void *arg)
{
	struct vcollect *c = arg;
	av_frame_free(&c->last);
	c->last = av_frame_clone(frame);
	assert_non_null(c->last);
	c->frames++;
}

struct pcollect {
	AVPacket *pkts[128];
	bool key[128];
	int n;
};

static void on_packet(const AVPacket *pkt, bool key, void *arg)
{
	struct pcollect *c = arg;
	assert_true(c->n < 128);
	c->pkts[c->n] = av_packet_clone(pkt);
	assert_non_null(c->pkts[c->n]);
	c->key[c->n++] = key;
}

static void pcollect_clear(struct pcollect *c)
{
	for (int i = 0; i < c->n; i++)
		av_packet_free(&c->pkts[i]);
	c->n = 0;
}

static struct mcu_venc *make_venc(enum mcu_vcodec codec, int bitrate,
                                  int keyint)
{
	struct mcu_venc *enc = NULL;
	struct mcu_venc_config cfg = {
	    .codec = codec,
	    .width = W,
	    .height = H,
	    .fps = 30,
	    .bitrate = bitrate,
	    .keyint = keyint,
	    .preset = "ultrafast",
	    .cpu_used = 8,
	};
	assert_int_equal(mcu_venc_alloc(&enc, &cfg), 0);
	assert_non_null(enc);
	return enc;
}

/* ---- video ------------------------------------------------------------ */

static void roundtrip(enum mcu_vcodec codec)
{
	struct mcu_venc *enc = make_venc(codec, 1500000, 0);
	struct mcu_vdec *dec = NULL;
	struct pcollect pc = {0};
	struct vcollect vc = {0};
	struct mcu_vdec_stats ds;
	AVFrame *pic = new_yuv(W, H);
	const int n = 8;

	assert_int_equal(mcu_vdec_alloc(&dec, codec, 0), 0);
	assert_true(mcu_vdec_need_keyframe(dec));
	for (int i = 0; i < n; i++) {
		draw_picture(pic, i, 0);
		pic->pts = 3000 * i;
		assert_int_equal(mcu_venc_encode(enc, pic, on_packet, &pc), 0);
	}
	/* One packet per picture, at once (no look-ahead), pts kept. */
	assert_int_equal(pc.n, n);
	assert_true(pc.key[0]);
	for (int i = 0; i < n; i++) {
		assert_int_equal(pc.pkts[i]->pts, 3000 * i);
		assert_int_equal(mcu_vdec_decode(dec, pc.pkts[i]->data,
		                                 (size_t)pc.pkts[i]->size,
		                                 pc.pkts[i]->pts, on_frame,
		                                 &vc),
		                 0);
		/* Low delay: each access unit gives its picture now. */
		assert_int_equal(vc.frames, i + 1);
		assert_int_equal(vc.last->pts, 3000 * i);
	}
	assert_false(mcu_vdec_need_keyframe(dec));
	mcu_vdec_stats(dec, &ds);
	assert_int_equal(ds.frames, n);
	assert_int_equal(ds.width, W);
	assert_int_equal(ds.height, H);
	assert_int_equal(ds.errors, 0);
	assert_int_equal(ds.keyframes, 1);

	/* Colours of the last picture: background and the square. */
	AVFrame *f = vc.last;
	assert_int_equal(f->width, W);
	assert_int_equal(f->height, H);
	assert_true(fabs(block_mean(f, 0, 400, 250, 32, 32) - BG_Y) < 4);
	assert_true(fabs(block_mean(f, 1, 200, 125, 16, 16) - BG_U) < 4);
	assert_true(fabs(block_mean(f, 2, 200, 125, 16, 16) - BG_V) < 4);
	int sx = square_x(n - 1);
	assert_true(fabs(block_mean(f, 0, sx + 8, 108, 48, 48) - 235) < 6);
	/* Left of the square's current place is background again. */
	assert_true(fabs(block_mean(f, 0, sx - 24, 108, 16, 48) - BG_Y) < 6);

	pcollect_clear(&pc);
	av_frame_free(&vc.last);
	av_frame_free(&pic);
	dec = mcu_vdec_free(dec);
	enc = mcu_venc_free(enc);
	assert_null(dec);
	assert_null(enc);
}

static void h264_roundtrip(void **state)
{
	roundtrip(MCU_VCODEC_H264);
}

static void vp8_roundtrip(void **state)
{
	roundtrip(MCU_VCODEC_VP8);
}

static void keyframe_on_demand(enum mcu_vcodec codec)
{
	struct mcu_venc *enc = make_venc(codec, 800000, 1000);
	struct pcollect pc = {0};
	struct mcu_venc_stats st;
	AVFrame *pic = new_yuv(W, H);

	for (int i = 0; i < 12; i++) {
		if (i == 6)
			mcu_venc_request_keyframe(enc);
		draw_picture(pic, i, 0);
		pic->pts = i;
		assert_int_equal(mcu_venc_encode(enc, pic, on_packet, &pc), 0);
	}
	assert_int_equal(pc.n, 12);
	for (int i = 0; i < 12; i++)
		assert_int_equal(pc.key[i], i == 0 || i == 6);
	/* The packet really is a key frame, by its bitstream. */
	assert_true(mcu_vdec_is_keyframe(codec, pc.pkts[6]->data,
	                                 (size_t)pc.pkts[6]->size));
	assert_false(mcu_vdec_is_keyframe(codec, pc.pkts[7]->data,
	                                  (size_t)pc.pkts[7]->size));
	mcu_venc_stats(enc, &st);
	assert_int_equal(st.frames, 12);
	assert_int_equal(st.keyframes, 2);
	pcollect_clear(&pc);
	av_frame_free(&pic);
	mcu_venc_free(enc);
}

static void h264_keyframe_on_demand(void **state)
{
	keyframe_on_demand(MCU_VCODEC_H264);
}

static void vp8_keyframe_on_demand(void **state)
{
	keyframe_on_demand(MCU_VCODEC_VP8);
}

/* NAL unit types of an Annex-B access unit, in order. */
static int nal_types(const AVPacket *p, int *types, int max)
{
	int n = 0;
	for (int i = 0; i + 3 < p->size; i++) {
		if (p->data[i] == 0 && p->data[i + 1] == 0 &&
		    p->data[i + 2] == 1) {
			if (n < max)
				types[n++] = p->data[i + 3] & 0x1f;
			i += 2;
		}
	}
	return n;
}

/* The bytes after the first SPS NAL header (needs 2 of them). */
static const uint8_t *sps_payload(const AVPacket *p)
{
	for (int i = 0; i + 5 < p->size; i++)
		if (p->data[i] == 0 && p->data[i + 1] == 0 &&
		    p->data[i + 2] == 1 && (p->data[i + 3] & 0x1f) == 7)
			return p->data + i + 4;
	return NULL;
}

static void h264_sps_pps_inband(void **state)
{
	struct mcu_venc *enc = make_venc(MCU_VCODEC_H264, 800000, 10);
	struct pcollect pc = {0};
	AVFrame *pic = new_yuv(W, H);
	int idr = 0;

	for (int i = 0; i < 26; i++) {
		if (i == 15)
			mcu_venc_request_keyframe(enc);
		draw_picture(pic, i, 0);
		assert_int_equal(mcu_venc_encode(enc, pic, on_packet, &pc), 0);
	}
	assert_int_equal(pc.n, 26);
	for (int i = 0; i < pc.n; i++) {
		int t[32], n = nal_types(pc.pkts[i], t, 32);
		bool sps = false, pps = false, has_idr = false;
		/* Annex-B: every packet starts with a start code. */
		assert_true(pc.pkts[i]->size > 4);
		assert_int_equal(pc.pkts[i]->data[0], 0);
		assert_int_equal(pc.pkts[i]->data[1], 0);
		assert_true(n > 0);
		for (int k = 0; k < n; k++) {
			if (t[k] == 7) {
				const uint8_t *p = sps_payload(pc.pkts[i]);
				/* profile_idc 66 with constraint_set1:
				 * constrained baseline. */
				assert_non_null(p);
				assert_int_equal(p[0], 66);
				assert_true(p[1] & 0x40);
				sps = true;
			}
			if (t[k] == 8)
				pps = true;
			if (t[k] == 5) {
				/* Parameter sets come before the IDR slice. */
				assert_true(sps);
				assert_true(pps);
				has_idr = true;
			}
		}
		assert_int_equal(has_idr, pc.key[i]);
		idr += has_idr;
	}
	/* keyint 10: 0, 10, the forced one at 15, then 10 after it. */
	assert_int_equal(idr, 4);
	assert_true(pc.key[0] && pc.key[10] && pc.key[15] && pc.key[25]);
	pcollect_clear(&pc);
	av_frame_free(&pic);
	mcu_venc_free(enc);
}

/* Luma noise amplitude of the rate-control pictures. */
#define NOISE 32

static void bitrate_respected(enum mcu_vcodec codec)
{
	const int target = 600000;
	struct mcu_venc *enc = make_venc(codec, target, 0);
	struct pcollect pc = {0};
	struct mcu_venc_stats st;
	AVFrame *pic = new_yuv(W, H);
	uint64_t bytes = 0;

	/* Fresh noise in every picture: the encoder could use far more than
	 * the target, so only its rate control keeps it near. */
	for (int i = 0; i < 60; i++) {
		draw_picture(pic, i % 40, NOISE);
		assert_int_equal(mcu_venc_encode(enc, pic, on_packet, &pc), 0);
		for (int k = 0; k < pc.n; k++)
			bytes += (uint64_t)pc.pkts[k]->size;
		pcollect_clear(&pc);
	}
	mcu_venc_stats(enc, &st);
	assert_int_equal(st.frames, 60);
	assert_int_equal(st.bytes, bytes);
	double rate = (double)bytes * 8 * 30 / 60;
	print_message("%s: %.0f bit/s for target %d\n", mcu_vcodec_name(codec),
	              rate, target);
	assert_true(rate > target * 0.6 && rate < target * 1.4);
	assert_true(llabs(st.bitrate - (int64_t)rate) < 2);
	av_frame_free(&pic);
	mcu_venc_free(enc);
}

static void h264_bitrate(void **state)
{
	bitrate_respected(MCU_VCODEC_H264);
}

static void vp8_bitrate(void **state)
{
	bitrate_respected(MCU_VCODEC_VP8);
}

static void venc_rejects_bad_input(void **state)
{
	struct mcu_venc *enc = NULL;
	struct mcu_venc_config cfg = {.codec = MCU_VCODEC_H264,
	                              .width = 641,
	                              .height = 360,
	                              .fps = 30,
	                              .bitrate = 500000};
	assert_int_equal(mcu_venc_alloc(&enc, &cfg), EINVAL);
	cfg.width = 640;
	cfg.bitrate = 10;
	assert_int_equal(mcu_venc_alloc(&enc, &cfg), EINVAL);
	cfg.codec = 99;
	cfg.bitrate = 500000;
	assert_int_equal(mcu_venc_alloc(&enc, &cfg), EINVAL);
	assert_null(enc);

	enc = make_venc(MCU_VCODEC_H264, 500000, 0);
	AVFrame *small = new_yuv(320, 180);
	assert_int_equal(mcu_venc_encode(enc, small, NULL, NULL), EINVAL);
	av_frame_free(&small);
	mcu_venc_free(enc);
}

/* Garbage, then garbage with start codes / VP8 key headers, then a real
 * key frame: no crash, a key frame is asked for until the real one. */
static void vdec_garbage(enum mcu_vcodec codec)
{
	struct mcu_vdec *dec = NULL;
	struct mcu_venc *enc = make_venc(codec, 500000, 0);
	struct vcollect vc = {0};
	struct pcollect pc = {0};
	struct mcu_vdec_stats st;
	uint8_t buf[2000];
	uint32_t seed = 12345;
	AVFrame *pic = new_yuv(W, H);

	assert_int_equal(mcu_vdec_alloc(&dec, codec, 2), 0);
	assert_int_equal(mcu_vdec_decode(dec, buf, 0, 0, on_frame, &vc),
	                 EINVAL);
	for (int round = 0; round < 60; round++) {
		size_t len = 1 + lcg(&seed) % sizeof(buf);
		for (size_t i = 0; i < len; i++)
			buf[i] = (uint8_t)lcg(&seed);
		if (round % 3 == 1 && len > 8 && codec == MCU_VCODEC_H264) {
			/* Start code + SPS/PPS/IDR/slice NAL headers. */
			static const uint8_t nal[] = {0x67, 0x68, 0x65, 0x41};
			buf[0] = buf[1] = buf[2] = 0;
			buf[3] = 1;
			buf[4] = nal[round % 4];
		}
		if (round % 3 == 1 && len > 10 && codec == MCU_VCODEC_VP8) {
			buf[0] &= (uint8_t)~1; /* key frame */
			buf[3] = 0x9d;
			buf[4] = 0x01;
			buf[5] = 0x2a;
		}
		int err = mcu_vdec_decode(dec, buf, len, round, on_frame, &vc);
		assert_true(err == 0 || err == EBADMSG);
		assert_true(mcu_vdec_need_keyframe(dec));
	}
	mcu_vdec_stats(dec, &st);
	assert_int_equal(st.packets, 60);
	assert_true(st.errors > 0);
	assert_int_equal(st.frames, 0);
	/* Recovers with a real key frame. */
	mcu_vdec_reset(dec);
	draw_picture(pic, 0, 0);
	assert_int_equal(mcu_venc_encode(enc, pic, on_packet, &pc), 0);
	assert_int_equal(pc.n, 1);
	assert_int_equal(mcu_vdec_decode(dec, pc.pkts[0]->data,
	                                 (size_t)pc.pkts[0]->size, 0, on_frame,
	                                 &vc),
	                 0);
	assert_false(mcu_vdec_need_keyframe(dec));
	assert_int_equal(vc.frames, 1);
	pcollect_clear(&pc);
	av_frame_free(&vc.last);
	av_frame_free(&pic);
	mcu_venc_free(enc);
	mcu_vdec_free(dec);
}

static void h264_vdec_garbage(void **state)
{
	vdec_garbage(MCU_VCODEC_H264);
}

static void vp8_vdec_garbage(void **state)
{
	vdec_garbage(MCU_VCODEC_VP8);
}

/* Joining mid-stream: P-frames are dropped and ask for a key frame; a
 * reported loss afterwards asks again while pictures keep coming. */
static void h264_vdec_waits_for_idr(void **state)
{
	struct mcu_venc *enc = make_venc(MCU_VCODEC_H264, 800000, 0);
	struct mcu_vdec *dec = NULL;
	struct pcollect pc = {0};
	struct vcollect vc = {0};
	struct mcu_vdec_stats st;
	AVFrame *pic = new_yuv(W, H);

	for (int i = 0; i < 14; i++) {
		if (i == 5 || i == 12)
			mcu_venc_request_keyframe(enc);
		draw_picture(pic, i, 0);
		assert_int_equal(mcu_venc_encode(enc, pic, on_packet, &pc), 0);
	}
	assert_int_equal(mcu_vdec_alloc(&dec, MCU_VCODEC_H264, 1), 0);
	for (int i = 2; i < 5; i++) {
		mcu_vdec_decode(dec, pc.pkts[i]->data, (size_t)pc.pkts[i]->size,
		                i, on_frame, &vc);
		assert_true(mcu_vdec_need_keyframe(dec));
	}
	assert_int_equal(vc.frames, 0);
	for (int i = 5; i < 10; i++) {
		assert_int_equal(mcu_vdec_decode(dec, pc.pkts[i]->data,
		                                 (size_t)pc.pkts[i]->size, i,
		                                 on_frame, &vc),
		                 0);
		assert_false(mcu_vdec_need_keyframe(dec));
	}
	assert_int_equal(vc.frames, 5);
	/* Picture 10 lost: 11 still decodes (concealed) but a key frame is
	 * needed until 12, the IDR. */
	mcu_vdec_mark_loss(dec);
	assert_true(mcu_vdec_need_keyframe(dec));
	assert_int_equal(mcu_vdec_decode(dec, pc.pkts[11]->data,
	                                 (size_t)pc.pkts[11]->size, 11,
	                                 on_frame, &vc),
	                 0);
	assert_int_equal(vc.frames, 6);
	assert_true(mcu_vdec_need_keyframe(dec));
	for (int i = 12; i < 14; i++) {
		assert_int_equal(mcu_vdec_decode(dec, pc.pkts[i]->data,
		                                 (size_t)pc.pkts[i]->size, i,
		                                 on_frame, &vc),
		                 0);
		assert_false(mcu_vdec_need_keyframe(dec));
	}
	mcu_vdec_stats(dec, &st);
	assert_int_equal(st.keyframes, 2);
	assert_int_equal(st.frames, 8);
	/* P-frames before the first IDR are dropped unread: no errors. */
	assert_int_equal(st.dropped, 3);
	assert_int_equal(st.errors, 0);
	pcollect_clear(&pc);
	av_frame_free(&vc.last);
	av_frame_free(&pic);
	mcu_venc_free(enc);
	mcu_vdec_free(dec);
}

/* ---- audio ------------------------------------------------------------ */

#define TONE_AMP 8000.0

static AVFrame *sine_frame(int n)
{
	AVFrame *f = av_frame_alloc();
	assert_non_null(f);
	f->format = AV_SAMPLE_FMT_S16;
	f->sample_rate = MCU_AUDIO_RATE;
	f->nb_samples = MCU_AUDIO_FRAME;
	av_channel_layout_default(&f->ch_layout, 1);
	assert_int_equal(av_frame_get_buffer(f, 0), 0);
	int16_t *s = (int16_t *)f->data[0];
	for (int i = 0; i < MCU_AUDIO_FRAME; i++) {
		double t = (double)(n * MCU_AUDIO_FRAME + i) / MCU_AUDIO_RATE;
		s[i] = (int16_t)(TONE_AMP * sin(2 * M_PI * 1000 * t));
	}
	return f;
}

/* Power at freq (Goertzel), normalised like mean square. */
static double goertzel(const int16_t *x, int n, double freq)
{
	double w = 2 * M_PI * freq / MCU_AUDIO_RATE, c = 2 * cos(w);
	double s1 = 0, s2 = 0;
	for (int i = 0; i < n; i++) {
		double s0 = x[i] + c * s1 - s2;
		s2 = s1;
		s1 = s0;
	}
	double p = s1 * s1 + s2 * s2 - c * s1 * s2;
	return 2 * p / ((double)n * n);
}

#define PCM_MAX (MCU_AUDIO_RATE * 2)

struct acollect {
	int16_t pcm[PCM_MAX];
	int n;
	int frames;
	struct mcu_adec *dec;
	uint32_t want_inc;
	int packets;
	bool drop_all;
};

static void on_audio_frame(const AVFrame *f, void *arg)
{
	struct acollect *c = arg;
	assert_int_equal(f->format, AV_SAMPLE_FMT_S16);
	assert_int_equal(f->sample_rate, MCU_AUDIO_RATE);
	assert_int_equal(f->ch_layout.nb_channels, 1);
	assert_int_equal(f->nb_samples, MCU_AUDIO_FRAME);
	c->frames++;
	if (c->n + f->nb_samples <= PCM_MAX) {
		memcpy(c->pcm + c->n, f->data[0], (size_t)f->nb_samples * 2);
		c->n += f->nb_samples;
	}
}

static void on_audio_packet(const AVPacket *pkt, uint32_t inc, void *arg)
{
	struct acollect *c = arg;
	assert_int_equal(inc, c->want_inc);
	assert_true(pkt->size > 0);
	c->packets++;
	assert_int_equal(mcu_adec_decode(c->dec, pkt->data, (size_t)pkt->size,
	                                 on_audio_frame, c),
	                 0);
}

static void audio_roundtrip_ch(enum mcu_acodec codec, uint32_t want_inc,
                               int channels)
{
	/* Stereo Opus needs more than the 32 kbit/s default for a clean tone */
	struct mcu_aenc_config cfg = {.codec = codec,
	                              .channels = channels,
	                              .bitrate = channels == 2 ? 64000 : 0};
	struct mcu_aenc *enc = NULL;
	struct acollect *c = calloc(1, sizeof(*c));
	const int frames = 50;

	assert_non_null(c);
	assert_int_equal(mcu_aenc_alloc(&enc, &cfg), 0);
	assert_int_equal(mcu_adec_alloc(&c->dec, codec), 0);
	assert_int_equal(mcu_aenc_rtp_ts_inc(enc), want_inc);
	c->want_inc = want_inc;
	for (int i = 0; i < frames; i++) {
		AVFrame *f = sine_frame(i);
		assert_int_equal(mcu_aenc_encode(enc, f, on_audio_packet, c),
		                 0);
		av_frame_free(&f);
	}
	/* One packet per 20 ms; the resampler's delay may hold one back. */
	assert_true(c->packets >= frames - 1 && c->packets <= frames);
	assert_true(c->frames >= frames - 3);
	/* Skip the start (codec/resampler warm-up), analyse 0.5 s. */
	int skip = 9600, n = 24000;
	assert_true(c->n >= skip + n);
	double total = 0;
	for (int i = 0; i < n; i++)
		total += (double)c->pcm[skip + i] * c->pcm[skip + i];
	total /= n;
	double p1k = goertzel(c->pcm + skip, n, 1000);
	double p3k = goertzel(c->pcm + skip, n, 3000);
	double want = TONE_AMP * TONE_AMP / 2;
	print_message("%s: rms^2 %.0f, 1 kHz %.0f, 3 kHz %.0f (want %.0f)\n",
	              mcu_acodec_name(codec), total, p1k, p3k, want);
	assert_true(p1k > 0.9 * total);
	assert_true(p1k > want * 0.5 && p1k < want * 1.5);
	assert_true(p3k < 0.01 * p1k);

	struct mcu_aenc_stats es;
	struct mcu_adec_stats ds;
	mcu_aenc_stats(enc, &es);
	mcu_adec_stats(c->dec, &ds);
	assert_int_equal(es.frames, frames);
	assert_int_equal(es.packets, (uint64_t)c->packets);
	assert_int_equal(ds.packets, (uint64_t)c->packets);
	assert_int_equal(ds.frames, (uint64_t)c->frames);
	assert_int_equal(ds.errors, 0);
	c->dec = mcu_adec_free(c->dec);
	enc = mcu_aenc_free(enc);
	assert_null(enc);
	free(c);
}

static void audio_roundtrip(enum mcu_acodec codec, uint32_t want_inc)
{
	audio_roundtrip_ch(codec, want_inc, 1);
}

static void audio_opus_stereo(void **state)
{
	/* The mono mix sent as stereo comes back mono at the same level. */
	audio_roundtrip_ch(MCU_ACODEC_OPUS, 960, 2);
}

static void audio_opus(void **state)
{
	audio_roundtrip(MCU_ACODEC_OPUS, 960);
}

static void audio_pcmu(void **state)
{
	audio_roundtrip(MCU_ACODEC_PCMU, 160);
}

static void audio_pcma(void **state)
{
	audio_roundtrip(MCU_ACODEC_PCMA, 160);
}

static void audio_g722(void **state)
{
	/* 320 samples at 16 kHz, but G.722's RTP clock is 8000. */
	audio_roundtrip(MCU_ACODEC_G722, 160);
}

static double frame_energy(const int16_t *x, int n)
{
	double e = 0;
	for (int i = 0; i < n; i++)
		e += (double)x[i] * x[i];
	return e / n;
}

static void plc(enum mcu_acodec codec)
{
	struct mcu_aenc_config cfg = {.codec = codec};
	struct mcu_aenc *enc = NULL;
	struct acollect *c = calloc(1, sizeof(*c));
	struct mcu_adec_stats st;

	assert_non_null(c);
	assert_int_equal(mcu_aenc_alloc(&enc, &cfg), 0);
	assert_int_equal(mcu_adec_alloc(&c->dec, codec), 0);
	c->want_inc = mcu_aenc_rtp_ts_inc(enc);
	/* Nothing decoded yet: one frame of silence. */
	assert_int_equal(mcu_adec_decode_missing(c->dec, on_audio_frame, c), 0);
	assert_int_equal(c->frames, 1);
	assert_true(frame_energy(c->pcm, MCU_AUDIO_FRAME) == 0);
	for (int i = 0; i < 10; i++) {
		AVFrame *f = sine_frame(i);
		assert_int_equal(mcu_aenc_encode(enc, f, on_audio_packet, c),
		                 0);
		av_frame_free(&f);
	}
	/* Each loss gives exactly one frame; it fades to silence. */
	double prev = 1e18;
	for (int k = 0; k < 7; k++) {
		int before = c->frames, at = c->n;
		assert_int_equal(
		    mcu_adec_decode_missing(c->dec, on_audio_frame, c), 0);
		assert_int_equal(c->frames, before + 1);
		double e = frame_energy(c->pcm + at, MCU_AUDIO_FRAME);
		if (k == 1)
			assert_true(e > 1000); /* still audible */
		assert_true(e <= prev * 1.01);
		prev = e;
	}
	assert_true(prev == 0);
	mcu_adec_stats(c->dec, &st);
	assert_int_equal(st.concealed, 8);
	mcu_adec_free(c->dec);
	mcu_aenc_free(enc);
	free(c);
}

static void plc_opus(void **state)
{
	plc(MCU_ACODEC_OPUS);
}

static void plc_pcmu(void **state)
{
	plc(MCU_ACODEC_PCMU);
}

static void plc_g722(void **state)
{
	plc(MCU_ACODEC_G722);
}

static void adec_garbage(void **state)
{
	static const enum mcu_acodec codecs[] = {
	    MCU_ACODEC_OPUS, MCU_ACODEC_PCMU, MCU_ACODEC_PCMA, MCU_ACODEC_G722};
	uint8_t buf[1500];
	uint32_t seed = 99;

	for (unsigned k = 0; k < 4; k++) {
		struct mcu_adec *dec = NULL;
		struct acollect *c = calloc(1, sizeof(*c));
		assert_non_null(c);
		assert_int_equal(mcu_adec_alloc(&dec, codecs[k]), 0);
		assert_int_equal(mcu_adec_decode(dec, buf, 0, NULL, NULL),
		                 EINVAL);
		for (int r = 0; r < 50; r++) {
			size_t len = 1 + lcg(&seed) % sizeof(buf);
			for (size_t i = 0; i < len; i++)
				buf[i] = (uint8_t)lcg(&seed);
			int err =
			    mcu_adec_decode(dec, buf, len, on_audio_frame, c);
			assert_true(err == 0 || err == EBADMSG);
		}
		mcu_adec_free(dec);
		free(c);
	}
}

static void aenc_rejects_bad_input(void **state)
{
	struct mcu_aenc *enc = NULL;
	struct mcu_aenc_config cfg = {.codec = MCU_ACODEC_PCMU, .channels = 2};
	assert_int_equal(mcu_aenc_alloc(&enc, &cfg), EINVAL);
	cfg = (struct mcu_aenc_config){.codec = 0};
	assert_int_equal(mcu_aenc_alloc(&enc, &cfg), EINVAL);
	cfg = (struct mcu_aenc_config){.codec = MCU_ACODEC_OPUS, .bitrate = 1};
	assert_int_equal(mcu_aenc_alloc(&enc, &cfg), EINVAL);
	assert_null(enc);
	cfg = (struct mcu_aenc_config){
	    .codec = MCU_ACODEC_OPUS, .channels = 2, .bitrate = 64000};
	assert_int_equal(mcu_aenc_alloc(&enc, &cfg), 0);
	AVFrame *f = sine_frame(0);
	f->sample_rate = 44100;
	assert_int_equal(mcu_aenc_encode(enc, f, NULL, NULL), EINVAL);
	f->sample_rate = MCU_AUDIO_RATE;
	assert_int_equal(mcu_aenc_encode(enc, f, NULL, NULL), 0);
	av_frame_free(&f);
	mcu_aenc_free(enc);
}

/* ---- scaler ----------------------------------------------------------- */

static void assert_rect(const struct mcu_vscale_rect *r, int x, int y, int w,
                        int h)
{
	assert_int_equal(r->x, x);
	assert_int_equal(r->y, y);
	assert_int_equal(r->w, w);
	assert_int_equal(r->h, h);
}

static void vscale_geometry(void **state)
{
	struct mcu_vscale_rect s, d;
	struct mcu_vscale_rect wide = {0, 0, 640, 360};
	struct mcu_vscale_rect sq = {100, 20, 320, 320};

	/* 4:3 into 16:9: pillar bars left and right. */
	mcu_vscale_geometry(640, 480, &wide, MCU_VSCALE_LETTERBOX, &s, &d);
	assert_rect(&s, 0, 0, 640, 480);
	assert_rect(&d, 80, 0, 480, 360);
	/* 16:9 into a square: bars top and bottom, offset by the rect. */
	mcu_vscale_geometry(1280, 720, &sq, MCU_VSCALE_LETTERBOX, &s, &d);
	assert_rect(&d, 100, 90, 320, 180);
	/* Crop 16:9 into a square: the middle 720x720. */
	mcu_vscale_geometry(1280, 720, &sq, MCU_VSCALE_CROP, &s, &d);
	assert_rect(&s, 280, 0, 720, 720);
	assert_rect(&d, 100, 20, 320, 320);
	/* Crop 4:3 into 16:9: rows cut top and bottom. */
	mcu_vscale_geometry(320, 240, &wide, MCU_VSCALE_CROP, &s, &d);
	assert_rect(&s, 0, 30, 320, 180);
	/* Stretch uses everything. */
	mcu_vscale_geometry(320, 240, &wide, MCU_VSCALE_STRETCH, &s, &d);
	assert_rect(&s, 0, 0, 320, 240);
	assert_rect(&d, 0, 0, 640, 360);
	/* Same aspect: letterbox and crop are the identity. */
	mcu_vscale_geometry(1280, 720, &wide, MCU_VSCALE_LETTERBOX, &s, &d);
	assert_rect(&d, 0, 0, 640, 360);
	mcu_vscale_geometry(1280, 720, &wide, MCU_VSCALE_CROP, &s, &d);
	assert_rect(&s, 0, 0, 1280, 720);
}

static void expect_pixel(const AVFrame *f, int x, int y, int ey, int eu, int ev,
                         int tol)
{
	int py = f->data[0][y * f->linesize[0] + x];
	int pu = f->data[1][(y / 2) * f->linesize[1] + x / 2];
	int pv = f->data[2][(y / 2) * f->linesize[2] + x / 2];
	if (abs(py - ey) > tol || abs(pu - eu) > tol || abs(pv - ev) > tol)
		fail_msg("pixel %d,%d = %d/%d/%d, want %d/%d/%d", x, y, py, pu,
		         pv, ey, eu, ev);
}

static void vscale_letterbox(void **state)
{
	struct mcu_vscale *sc = NULL;
	AVFrame *src = new_yuv(320, 240), *dst = new_yuv(1280, 360);
	struct mcu_vscale_rect right = {640, 0, 640, 360};

	assert_int_equal(mcu_vscale_alloc(&sc), 0);
	fill(src, 150, 60, 200);
	fill(dst, 50, 50, 50);
	assert_int_equal(
	    mcu_vscale_draw(sc, dst, &right, src, MCU_VSCALE_LETTERBOX), 0);
	/* Left half untouched, bars black, picture 480 wide at 640+80. */
	expect_pixel(dst, 0, 0, 50, 50, 50, 0);
	expect_pixel(dst, 639, 359, 50, 50, 50, 0);
	expect_pixel(dst, 640, 10, 16, 128, 128, 0);
	expect_pixel(dst, 640 + 78, 200, 16, 128, 128, 0);
	expect_pixel(dst, 640 + 80, 0, 150, 60, 200, 2);
	expect_pixel(dst, 640 + 400, 180, 150, 60, 200, 2);
	expect_pixel(dst, 640 + 559, 359, 150, 60, 200, 2);
	expect_pixel(dst, 640 + 560, 100, 16, 128, 128, 0);
	expect_pixel(dst, 1279, 359, 16, 128, 128, 0);
	av_frame_free(&src);
	av_frame_free(&dst);
	mcu_vscale_free(sc);
}

static void vscale_crop(void **state)
{
	struct mcu_vscale *sc = NULL;
	AVFrame *src = new_yuv(320, 240), *dst = new_yuv(640, 360);
	struct mcu_vscale_rect all = {0, 0, 640, 360};
	struct mcu_vscale_rect top = {0, 0, 320, 30},
	                       bottom = {0, 210, 320, 30};

	assert_int_equal(mcu_vscale_alloc(&sc), 0);
	/* The 30 rows that a crop to 16:9 cuts are bright, the rest dark. */
	fill(src, 60, 100, 160);
	assert_int_equal(mcu_vscale_fill(src, &top, 235, 20, 20), 0);
	assert_int_equal(mcu_vscale_fill(src, &bottom, 235, 20, 20), 0);
	fill(dst, 0, 0, 0);
	assert_int_equal(mcu_vscale_draw(sc, dst, &all, src, MCU_VSCALE_CROP),
	                 0);
	for (int y = 0; y < 360; y += 7)
		for (int x = 0; x < 640; x += 13)
			expect_pixel(dst, x, y, 60, 100, 160, 2);
	expect_pixel(dst, 639, 359, 60, 100, 160, 2);
	/* Stretch keeps the bright rows. */
	assert_int_equal(
	    mcu_vscale_draw(sc, dst, &all, src, MCU_VSCALE_STRETCH), 0);
	expect_pixel(dst, 320, 4, 235, 20, 20, 3);
	expect_pixel(dst, 320, 180, 60, 100, 160, 2);
	av_frame_free(&src);
	av_frame_free(&dst);
	mcu_vscale_free(sc);
}

static void vscale_cache(void **state)
{
	struct mcu_vscale *sc = NULL;
	AVFrame *src = new_yuv(320, 240), *dst = new_yuv(640, 360);
	struct mcu_vscale_rect a = {0, 0, 320, 180}, b = {320, 180, 160, 90};

	assert_int_equal(mcu_vscale_alloc(&sc), 0);
	fill(src, 150, 60, 200);
	for (int i = 0; i < 5; i++)
		assert_int_equal(
		    mcu_vscale_draw(sc, dst, &a, src, MCU_VSCALE_STRETCH), 0);
	assert_int_equal(mcu_vscale_contexts_created(sc), 1);
	assert_int_equal(mcu_vscale_draw(sc, dst, &b, src, MCU_VSCALE_STRETCH),
	                 0);
	assert_int_equal(mcu_vscale_contexts_created(sc), 2);
	assert_int_equal(mcu_vscale_draw(sc, dst, &a, src, MCU_VSCALE_STRETCH),
	                 0);
	assert_int_equal(mcu_vscale_contexts_created(sc), 2);
	/* More sizes than the cache holds: still correct, LRU evicts. */
	for (int i = 0; i < MCU_VSCALE_CACHE + 2; i++) {
		struct mcu_vscale_rect r = {0, 0, 64 + 16 * i, 64};
		assert_int_equal(
		    mcu_vscale_draw(sc, dst, &r, src, MCU_VSCALE_STRETCH), 0);
	}
	assert_int_equal(mcu_vscale_contexts_created(sc),
	                 2 + MCU_VSCALE_CACHE + 2);
	/* Full-range decoder output (yuvj420p) is converted to video range */
	src->format = AV_PIX_FMT_YUVJ420P;
	fill(src, 255, 128, 128);
	assert_int_equal(mcu_vscale_draw(sc, dst, &a, src, MCU_VSCALE_STRETCH),
	                 0);
	expect_pixel(dst, 100, 100, 235, 128, 128, 2);
	/* Bad arguments. */
	struct mcu_vscale_rect outside = {700, 0, 100, 100};
	assert_int_equal(
	    mcu_vscale_draw(sc, dst, &outside, src, MCU_VSCALE_STRETCH),
	    EINVAL);
	dst->format = AV_PIX_FMT_RGB24;
	assert_int_equal(mcu_vscale_draw(sc, dst, &a, src, MCU_VSCALE_STRETCH),
	                 EINVAL);
	av_frame_free(&src);
	av_frame_free(&dst);
	mcu_vscale_free(sc);
}

/* ---- frame pool, avlog, errors ---------------------------------------- */

static void framepool_reuse(void **state)
{
	struct mcu_framepool *fp = NULL;
	AVFrame *a = NULL, *b = NULL, *c = NULL;
	int w, h;

	assert_int_equal(mcu_framepool_alloc(&fp, 1, 100), EINVAL);
	assert_int_equal(mcu_framepool_alloc(&fp, 1278, 719), 0);
	mcu_framepool_size(fp, &w, &h);
	assert_int_equal(w, 1278);
	assert_int_equal(h, 719);
	assert_int_equal(mcu_framepool_get(fp, &a), 0);
	assert_int_equal(a->format, AV_PIX_FMT_YUV420P);
	assert_int_equal(a->width, 1278);
	assert_int_equal(a->height, 719);
	for (int i = 0; i < 3; i++) {
		assert_int_equal((uintptr_t)a->data[i] % MCU_FRAMEPOOL_ALIGN,
		                 0);
		assert_int_equal(a->linesize[i] % MCU_FRAMEPOOL_ALIGN, 0);
	}
	/* Whole planes writable (ASan checks the bounds). */
	memset(a->data[0], 1, (size_t)a->linesize[0] * 719);
	memset(a->data[1], 2, (size_t)a->linesize[1] * 360);
	memset(a->data[2], 3, (size_t)a->linesize[2] * 360);
	uint8_t *pa = a->data[0];
	assert_int_equal(mcu_framepool_get(fp, &b), 0);
	assert_ptr_not_equal(b->data[0], pa);
	/* A reference keeps the buffer out of the pool. */
	c = av_frame_clone(a);
	av_frame_free(&a);
	av_frame_free(&b);
	assert_int_equal(mcu_framepool_get(fp, &a), 0);
	assert_ptr_not_equal(a->data[0], pa);
	av_frame_free(&c); /* last reference: pa goes back */
	av_frame_free(&a);
	assert_int_equal(mcu_framepool_get(fp, &a), 0);
	assert_int_equal(mcu_framepool_get(fp, &b), 0);
	assert_true(a->data[0] == pa || b->data[0] == pa);
	/* The pool may go before its frames. */
	fp = mcu_framepool_free(fp);
	assert_null(fp);
	memset(a->data[0], 5, 100);
	av_frame_free(&a);
	av_frame_free(&b);
}

static void avlog_ratelimit(void **state)
{
	uint64_t before;

	mcu_avlog_install();
	before = mcu_avlog_suppressed();
	/* A damaged stream logs a line per macroblock. */
	for (int i = 0; i < 200; i++)
		av_log(NULL, AV_LOG_ERROR, "error while decoding MB %d\n", i);
	/* At most a burst got through (maybe two windows). */
	assert_true(mcu_avlog_suppressed() - before >=
	            200 - 2 * MCU_AVLOG_BURST);
	/* Debug lines below the threshold are not even counted. */
	before = mcu_avlog_suppressed();
	for (int i = 0; i < 50; i++)
		av_log(NULL, AV_LOG_DEBUG, "noise %d\n", i);
	assert_true(mcu_avlog_suppressed() == before);
	av_log_set_callback(av_log_default_callback);
}

static void averror_mapping(void **state)
{
	assert_int_equal(mcu_averror(0), 0);
	assert_int_equal(mcu_averror(5), 0);
	assert_int_equal(mcu_averror(AVERROR(ENOMEM)), ENOMEM);
	assert_int_equal(mcu_averror(AVERROR(EAGAIN)), EAGAIN);
	assert_int_equal(mcu_averror(AVERROR_INVALIDDATA), EINVAL);
	assert_int_equal(mcu_averror(AVERROR_DECODER_NOT_FOUND), ENOENT);
	assert_int_equal(mcu_averror(AVERROR_EOF), EIO);
	assert_int_equal(mcu_averror(AVERROR_BUG), EIO);
	assert_int_equal(mcu_acodec_rtp_clock(MCU_ACODEC_G722), 8000);
	assert_int_equal(mcu_acodec_sample_rate(MCU_ACODEC_G722), 16000);
	assert_string_equal(mcu_vcodec_name(MCU_VCODEC_VP8), "vp8");
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(h264_roundtrip),
    cmocka_unit_test(vp8_roundtrip),
    cmocka_unit_test(h264_keyframe_on_demand),
    cmocka_unit_test(vp8_keyframe_on_demand),
    cmocka_unit_test(h264_sps_pps_inband),
    cmocka_unit_test(h264_bitrate),
    cmocka_unit_test(vp8_bitrate),
    cmocka_unit_test(venc_rejects_bad_input),
    cmocka_unit_test(h264_vdec_garbage),
    cmocka_unit_test(vp8_vdec_garbage),
    cmocka_unit_test(h264_vdec_waits_for_idr),
    cmocka_unit_test(audio_opus),
    cmocka_unit_test(audio_opus_stereo),
    cmocka_unit_test(audio_pcmu),
    cmocka_unit_test(audio_pcma),
    cmocka_unit_test(audio_g722),
    cmocka_unit_test(plc_opus),
    cmocka_unit_test(plc_pcmu),
    cmocka_unit_test(plc_g722),
    cmocka_unit_test(adec_garbage),
    cmocka_unit_test(aenc_rejects_bad_input),
    cmocka_unit_test(vscale_geometry),
    cmocka_unit_test(vscale_letterbox),
    cmocka_unit_test(vscale_crop),
    cmocka_unit_test(vscale_cache),
    cmocka_unit_test(framepool_reuse),
    cmocka_unit_test(avlog_ratelimit),
    cmocka_unit_test(averror_mapping),
};

MCU_TEST_MAIN(tests, NULL, NULL)
