/* test-libs: mcu_conf mcu_transport mcu_codec mcu_layout */
/*
 * mcu-sim's pure parts: receive statistics (loss, duplicates, wraps, SSRC
 * changes, frame rate, gaps, key frames), the H.264 key-payload test, the
 * palette and colour recognition, the roster generator (validated by the
 * real loader), and a pre-encoded loop decoded back and recognised.
 */
#include "tests/unit/testutil.h"

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <libavutil/frame.h>

#include "codec/vdec.h"
#include "conf/config.h"
#include "layout/label.h"

#include "tools/mcu-sim/media.c"
#include "tools/mcu-sim/palette.c"
#include "tools/mcu-sim/roster.c"
#include "tools/mcu-sim/rx.c"

/* ---- receive statistics ---------------------------------------------- */

static void feed(struct mcu_sim_rx *rx, uint32_t ssrc, uint16_t seq, int64_t t)
{
	mcu_sim_rx_packet(rx, ssrc, seq, seq * 960u, true, 100, false, t);
}

static void rx_no_loss(void **state)
{
	(void)state;
	struct mcu_sim_rx rx;
	mcu_sim_rx_init(&rx, 48000);
	for (int i = 0; i < 100; i++)
		feed(&rx, 1, (uint16_t)(1000 + i), i * 20000);
	struct mcu_sim_rx_result r;
	mcu_sim_rx_result(&rx, &r);
	assert_int_equal(r.packets, 100);
	assert_int_equal(r.expected, 100);
	assert_int_equal(r.lost, 0);
	assert_int_equal(r.duplicates, 0);
	assert_true(fabs(r.max_gap_ms - 20.0) < 1e-9);
	assert_int_equal(r.long_gaps, 0);
	assert_int_equal(r.segments, 1);
	/* 99 x 960 timestamp units at 48 kHz */
	assert_true(fabs(r.media_s - 1.98) < 1e-9);
	assert_true(fabs(r.duration_s - 1.98) < 1e-9);
}

/* A sender that skips packets without using sequence numbers: no loss,
   but the timestamps cover more than the packets. */
static void rx_media_time(void **state)
{
	(void)state;
	struct mcu_sim_rx rx;
	mcu_sim_rx_init(&rx, 48000);
	uint32_t ts = 0xfffff000u; /* wraps on the way */
	for (int i = 0; i < 50; i++) {
		mcu_sim_rx_packet(&rx, 1, (uint16_t)i, ts, true, 50, false,
		                  i * 40000);
		ts += i % 2 ? 1920 : 960;
	}
	struct mcu_sim_rx_result r;
	mcu_sim_rx_result(&rx, &r);
	assert_int_equal(r.lost, 0);
	/* 25 x 960 + 24 x 1920 units */
	assert_true(fabs(r.media_s - (25 * 960 + 24 * 1920) / 48000.0) < 1e-9);
	/* a second SSRC adds its own span */
	for (int i = 0; i < 11; i++)
		mcu_sim_rx_packet(&rx, 2, (uint16_t)(9000 + i),
		                  (uint32_t)i * 960, true, 50, false,
		                  2000000 + i * 20000);
	mcu_sim_rx_result(&rx, &r);
	assert_true(fabs(r.media_s - (25 * 960 + 24 * 1920 + 9600) / 48000.0) <
	            1e-9);
}

static void rx_gap_counts_loss(void **state)
{
	(void)state;
	struct mcu_sim_rx rx;
	mcu_sim_rx_init(&rx, 48000);
	for (int i = 0; i < 100; i++)
		if (i < 40 || i > 42)
			feed(&rx, 1, (uint16_t)i, i * 20000);
	struct mcu_sim_rx_result r;
	mcu_sim_rx_result(&rx, &r);
	assert_int_equal(r.packets, 97);
	assert_int_equal(r.expected, 100);
	assert_int_equal(r.lost, 3);
	assert_true(fabs(r.loss_pct - 3.0) < 1e-9);
	/* the hole is also the largest gap: 4 x 20 ms, ending at 43 */
	assert_true(fabs(r.max_gap_ms - 80.0) < 1e-9);
	assert_true(fabs(r.max_gap_at_s - 43 * 0.02) < 1e-9);
}

static void rx_reorder_and_duplicates(void **state)
{
	(void)state;
	struct mcu_sim_rx rx;
	mcu_sim_rx_init(&rx, 90000);
	/* 0..9 with 5 and 6 swapped, 3 twice, 8 missing */
	const uint16_t seqs[] = {0, 1, 2, 3, 4, 6, 5, 3, 7, 9};
	for (size_t i = 0; i < sizeof(seqs) / sizeof(*seqs); i++)
		feed(&rx, 7, seqs[i], (int64_t)i * 1000);
	struct mcu_sim_rx_result r;
	mcu_sim_rx_result(&rx, &r);
	assert_int_equal(r.packets, 10);
	assert_int_equal(r.duplicates, 1);
	assert_int_equal(r.expected, 10);
	assert_int_equal(r.lost, 1); /* the duplicate does not hide 8 */
	/* a packet from before the first one extends the segment back */
	feed(&rx, 7, 65535, 20000);
	mcu_sim_rx_result(&rx, &r);
	assert_int_equal(r.expected, 11);
	assert_int_equal(r.lost, 1);
}

static void rx_seq_wrap(void **state)
{
	(void)state;
	struct mcu_sim_rx rx;
	mcu_sim_rx_init(&rx, 48000);
	for (int i = 0; i < 5000; i++)
		feed(&rx, 3, (uint16_t)(65000 + i), i * 20000);
	struct mcu_sim_rx_result r;
	mcu_sim_rx_result(&rx, &r);
	assert_int_equal(r.expected, 5000);
	assert_int_equal(r.lost, 0);
	assert_int_equal(r.duplicates, 0);
	assert_int_equal(r.segments, 1);
}

static void rx_new_ssrc_or_jump_is_new_segment(void **state)
{
	(void)state;
	struct mcu_sim_rx rx;
	mcu_sim_rx_init(&rx, 48000);
	for (int i = 0; i < 50; i++)
		feed(&rx, 1, (uint16_t)(100 + i), i * 20000);
	/* another SSRC far away in sequence space: no loss */
	for (int i = 0; i < 50; i++)
		feed(&rx, 2, (uint16_t)(40000 + i), (50 + i) * 20000);
	/* same SSRC, a jump past MCU_SIM_RX_JUMP: restarted stream */
	for (int i = 0; i < 50; i++)
		feed(&rx, 2, (uint16_t)(50000 + i), (100 + i) * 20000);
	/* and one real loss in the last segment */
	feed(&rx, 2, 50051, 150 * 20000);
	struct mcu_sim_rx_result r;
	mcu_sim_rx_result(&rx, &r);
	assert_int_equal(r.segments, 3);
	assert_int_equal(r.packets, 151);
	assert_int_equal(r.expected, 152);
	assert_int_equal(r.lost, 1);
}

static void rx_frame_rate_and_key_frames(void **state)
{
	(void)state;
	struct mcu_sim_rx rx;
	mcu_sim_rx_init(&rx, 90000);
	uint16_t seq = 0;
	/* 61 frames at 30 fps, 3 packets each; frames 0 and 30 are key
	   frames (all their packets flagged, one ts each) */
	for (int f = 0; f <= 60; f++) {
		int64_t t = (int64_t)f * 1000000 / 30;
		for (int k = 0; k < 3; k++)
			mcu_sim_rx_packet(&rx, 9, seq++, (uint32_t)f * 3000,
			                  k == 2, 1000, f % 30 == 0,
			                  t + k * 100);
	}
	struct mcu_sim_rx_result r;
	mcu_sim_rx_result(&rx, &r);
	assert_int_equal(r.frames, 61);
	assert_int_equal(r.key_frames, 3); /* 0, 30, 60 */
	assert_true(fabs(r.fps - 30.0) < 0.01);
	assert_int_equal(r.lost, 0);
	assert_true(r.duration_s > 1.99 && r.duration_s < 2.01);
}

static void rx_long_gaps(void **state)
{
	(void)state;
	struct mcu_sim_rx rx;
	mcu_sim_rx_init(&rx, 48000);
	int64_t t = 0;
	for (int i = 0; i < 20; i++) {
		t += i == 10 ? 250000 : i == 15 ? 120000 : 20000;
		feed(&rx, 1, (uint16_t)i, t);
	}
	struct mcu_sim_rx_result r;
	mcu_sim_rx_result(&rx, &r);
	assert_true(fabs(r.max_gap_ms - 250.0) < 1e-9);
	assert_int_equal(r.long_gaps, 2);
	/* both ended within the first 2 s: no steady-state gap yet */
	assert_true(r.max_gap_steady_ms == 0);
	for (int i = 20; i < 150; i++) {
		t += i == 140 ? 70000 : 20000;
		feed(&rx, 1, (uint16_t)i, t);
	}
	mcu_sim_rx_result(&rx, &r);
	assert_true(fabs(r.max_gap_steady_ms - 70.0) < 1e-9);
	assert_true(fabs(r.max_gap_ms - 250.0) < 1e-9);
	assert_int_equal(r.lost, 0);
}

static void h264_payload_key(void **state)
{
	(void)state;
	const uint8_t idr[] = {0x65, 0x88}, sps[] = {0x67, 0x42},
	              slice[] = {0x41, 0x9a};
	assert_true(mcu_sim_h264_payload_key(idr, sizeof(idr)));
	assert_true(mcu_sim_h264_payload_key(sps, sizeof(sps)));
	assert_false(mcu_sim_h264_payload_key(slice, sizeof(slice)));
	assert_false(mcu_sim_h264_payload_key(idr, 0));
	/* STAP-A: SEI (6) then SPS (7) */
	const uint8_t stap[] = {0x18, 0, 2, 0x06, 0x05, 0, 2, 0x67, 0x42};
	assert_true(mcu_sim_h264_payload_key(stap, sizeof(stap)));
	/* a size past the end stops the walk */
	const uint8_t bad[] = {0x18, 0, 2, 0x06, 0x05, 0, 9, 0x67, 0x42};
	assert_false(mcu_sim_h264_payload_key(bad, sizeof(bad)));
	const uint8_t zero[] = {0x18, 0, 0, 0x67};
	assert_false(mcu_sim_h264_payload_key(zero, sizeof(zero)));
	/* FU-A: start of an IDR yes, its middle no, a P slice no */
	const uint8_t fu_s[] = {0x7c, 0x85, 0}, fu_m[] = {0x7c, 0x05, 0},
	              fu_p[] = {0x5c, 0x81, 0};
	assert_true(mcu_sim_h264_payload_key(fu_s, sizeof(fu_s)));
	assert_false(mcu_sim_h264_payload_key(fu_m, sizeof(fu_m)));
	assert_false(mcu_sim_h264_payload_key(fu_p, sizeof(fu_p)));
	assert_false(mcu_sim_h264_payload_key(fu_s, 1));
}

/* ---- palette ---------------------------------------------------------- */

static void palette_distinct(void **state)
{
	(void)state;
	struct mcu_sim_yuv p[120], q[10];
	for (unsigned i = 0; i < 10; i++)
		q[i] = mcu_sim_rgb_to_yuv(mcu_sim_colour_rgb(i, 10));
	for (unsigned i = 0; i < 120; i++) {
		p[i] = mcu_sim_rgb_to_yuv(mcu_sim_colour_rgb(i, 120));
		/* never near black or white (backgrounds, labels) */
		const struct mcu_sim_yuv black = {16, 128, 128},
		                         white = {235, 128, 128};
		assert_true(mcu_sim_yuv_dist(p[i], black) > 30);
		assert_true(mcu_sim_yuv_dist(p[i], white) > 30);
	}
	double min10 = 1e9, min120 = 1e9;
	for (unsigned i = 0; i < 120; i++)
		for (unsigned j = i + 1; j < 120; j++) {
			double d = mcu_sim_yuv_dist(p[i], p[j]);
			if (j < 10 && mcu_sim_yuv_dist(q[i], q[j]) < min10)
				min10 = mcu_sim_yuv_dist(q[i], q[j]);
			if (d < min120)
				min120 = d;
		}
	print_message("palette: min distance %.1f (10 colours), %.1f (120)\n",
	              min10, min120);
	/* ten endpoints: far beyond coding error (a few units) */
	assert_true(min10 >= 30);
	assert_true(min120 >= 5);
}

/* A picture of g x g tiles, tile k in palette colour first + k, with a
   white "label" bar in each tile. */
static void grid_picture(uint8_t *y, uint8_t *u, uint8_t *v, int w, int h,
                         int g, const struct mcu_sim_yuv *pal, int first)
{
	for (int py = 0; py < h; py++)
		for (int px = 0; px < w; px++) {
			int k = (py * g / h) * g + px * g / w;
			struct mcu_sim_yuv c = pal[first + k];
			int ty = py % (h / g);
			bool bar = ty > h / g - 12 && ty < h / g - 4;
			y[py * w + px] = bar ? 235 : c.y;
			if (py % 2 == 0 && px % 2 == 0) {
				u[(py / 2) * (w / 2) + px / 2] =
				    bar ? 128 : c.u;
				v[(py / 2) * (w / 2) + px / 2] =
				    bar ? 128 : c.v;
			}
		}
}

static void picture_colours_grid(void **state)
{
	(void)state;
	enum { W = 640, H = 360, N = 10 };
	static uint8_t y[W * H], u[W * H / 4], v[W * H / 4];
	struct mcu_sim_yuv pal[N];
	for (unsigned i = 0; i < N; i++)
		pal[i] = mcu_sim_rgb_to_yuv(mcu_sim_colour_rgb(i, N));
	grid_picture(y, u, v, W, H, 3, pal, 1); /* colours 1..9 */
	/* coding noise: +-2 on luma */
	for (int i = 0; i < W * H; i++)
		y[i] = (uint8_t)(y[i] + (i % 5) - 2);
	struct mcu_sim_picture pic = {y, u, v, W, W / 2, W / 2, W, H};
	unsigned counts[N];
	unsigned uniform = mcu_sim_picture_colours(&pic, pal, N, counts);
	assert_true(uniform > 300);
	assert_int_equal(counts[0], 0);
	for (int i = 1; i < N; i++)
		assert_true(counts[i] >= MCU_SIM_MIN_CELLS);
	/* a colour outside the palette (grey) matches nothing */
	memset(y, 128, sizeof(y));
	memset(u, 128, sizeof(u));
	memset(v, 128, sizeof(v));
	mcu_sim_picture_colours(&pic, pal, N, counts);
	for (int i = 0; i < N; i++)
		assert_int_equal(counts[i], 0);
	/* too small a picture: nothing, no read past it */
	pic.width = 16;
	assert_int_equal(mcu_sim_picture_colours(&pic, pal, N, counts), 0);
}

/* ---- roster ----------------------------------------------------------- */

static void roster_loads(void **state)
{
	(void)state;
	struct mcu_sim_roster r = {
	    .count = 12,
	    .addr = "127.0.0.1",
	    .sip_port = 5070,
	    .api_port = 8090,
	    .meeting = "city",
	    .host_name = "UBND \"TP\"",
	};
	time_t now = time(NULL), t1 = now - 300, t2 = now + 3600,
	       ta = now - 14 * 86400;
	assert_int_equal(mcu_conf_apply_timezone("Asia/Ho_Chi_Minh"), 0);
	localtime_r(&t1, &r.start);
	localtime_r(&t2, &r.end);
	localtime_r(&ta, &r.announced);
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	assert_non_null(f);
	assert_int_equal(mcu_sim_roster_write(&r, f), 0);
	fclose(f);
	struct mcu_conf *conf = NULL;
	struct mcu_conf_report rep = {0};
	int err = mcu_conf_load_buffer("sim.yaml", buf, len, &conf, &rep);
	if (err)
		mcu_conf_report_print(&rep, stderr);
	assert_int_equal(err, 0);
	assert_int_equal(rep.n_errors, 0);
	assert_int_equal(conf->n_endpoints, 12);
	assert_string_equal(conf->endpoints[0].id, "sim001");
	assert_string_equal(conf->endpoints[0].name, "UBND \"TP\"");
	assert_string_equal(conf->endpoints[11].sip_user, "sim012");
	assert_string_equal(conf->endpoints[11].sip_host, "127.0.0.1");
	long mi = mcu_conf_meeting_index(conf, "city");
	assert_true(mi >= 0);
	const struct mcu_conf_meeting *m = &conf->meetings[mi];
	assert_string_equal(m->host, "sim001");
	assert_int_equal(m->n_branches, 11);
	assert_int_equal(m->floor, MCU_FLOOR_CHAIRED);
	assert_int_equal(m->dial, MCU_DIAL_IN);
	assert_string_equal(m->layout.host, "grid-4x4");
	assert_true(m->start <= now && m->end > now);
	mcu_conf_report_clear(&rep);
	mcu_conf_free(conf);
	free(buf);
	/* bad arguments */
	r.count = 1;
	assert_int_equal(mcu_sim_roster_write(&r, stderr), EINVAL);
	assert_string_equal(mcu_sim_roster_host_layout(10), "grid-3x3");
	assert_string_equal(mcu_sim_roster_host_layout(5), "grid-2x2");
	assert_string_equal(mcu_sim_roster_host_layout(120), "tour-4x4");
}

/* Which endpoints a run plays: a meeting's, or a --endpoints list (the
   bundled example: 118 endpoints, 117 with SIP, test-rtp-1 without). */
static void roster_pick(void **state)
{
	(void)state;
	struct mcu_conf *conf = NULL;
	struct mcu_conf_report rep = {0};
	int err = mcu_conf_load(mcu_test_src("conf/examples/cantho.yaml"),
	                        &conf, &rep);
	mcu_conf_report_clear(&rep);
	assert_int_equal(err, 0);
	assert_int_equal(conf->n_endpoints, 118);
	size_t *idx = NULL, n = 0;
	char why[256];
	long host = mcu_conf_endpoint_index(conf, "ubnd-tp");
	long rtp = mcu_conf_endpoint_index(conf, "test-rtp-1");
	assert_true(host >= 0 && rtp >= 0);

	/* a meeting: host then branches (the 9 districts) */
	assert_int_equal(mcu_sim_roster_pick(conf, "giao-ban-2026-12-07", NULL,
	                                     0, &idx, &n, why, sizeof(why)),
	                 0);
	assert_int_equal(n, 10);
	assert_int_equal(idx[0], host);
	for (size_t i = 1; i < n; i++)
		assert_int_equal(conf->endpoints[idx[i]].tier,
		                 MCU_TIER_DISTRICT);
	free(idx);
	assert_int_equal(mcu_sim_roster_pick(conf, "nope", NULL, 0, &idx, &n,
	                                     why, sizeof(why)),
	                 ENOENT);
	assert_non_null(strstr(why, "nope"));
	assert_int_equal(mcu_sim_roster_pick(conf, "giao-ban-2026-12-07", NULL,
	                                     11, &idx, &n, why, sizeof(why)),
	                 EINVAL);

	/* "all": every endpoint with SIP, roster order, no static leg */
	assert_int_equal(mcu_sim_roster_pick(conf, "adhoc", "all", 0, &idx, &n,
	                                     why, sizeof(why)),
	                 0);
	assert_int_equal(n, 117);
	for (size_t i = 0; i < n; i++) {
		assert_true(idx[i] != (size_t)rtp);
		assert_true(i == 0 || idx[i] > idx[i - 1]);
	}
	free(idx);
	/* the host first, then the rest; --count keeps the first N */
	assert_int_equal(mcu_sim_roster_pick(conf, "x", "ubnd-tp,all", 8, &idx,
	                                     &n, why, sizeof(why)),
	                 0);
	assert_int_equal(n, 8);
	assert_int_equal(idx[0], host);
	for (size_t i = 1; i < n; i++)
		assert_true(idx[i] != (size_t)host);
	free(idx);
	assert_int_equal(mcu_sim_roster_pick(conf, "x", "ubnd-tp,all", 0, &idx,
	                                     &n, why, sizeof(why)),
	                 0);
	assert_int_equal(n, 117);
	free(idx);
	/* an explicit list keeps its order; a static leg may be named */
	assert_int_equal(mcu_sim_roster_pick(conf, "x",
	                                     "ubnd-o-mon,test-rtp-1,ubnd-tp", 0,
	                                     &idx, &n, why, sizeof(why)),
	                 0);
	assert_int_equal(n, 3);
	assert_string_equal(conf->endpoints[idx[0]].id, "ubnd-o-mon");
	assert_int_equal(idx[1], rtp);
	assert_int_equal(idx[2], host);
	free(idx);

	/* refused, with a reason, nothing returned */
	static const char *const bad[] = {
	    "ubnd-tp,nope",
	    "ubnd-tp,ubnd-tp",
	    "all,all",
	    "ubnd-tp,,all",
	    "",
	    ",",
	    "all,",
	    "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
	    "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
	    "xxxxxxxxxxxxxxxxxxxxxxxxxxx"};
	for (size_t k = 0; k < sizeof(bad) / sizeof(bad[0]); k++) {
		idx = NULL;
		why[0] = '\0';
		assert_int_equal(mcu_sim_roster_pick(conf, "x", bad[k], 0, &idx,
		                                     &n, why, sizeof(why)),
		                 EINVAL);
		assert_null(idx);
		assert_true(why[0] != '\0');
	}
	assert_int_equal(mcu_sim_roster_pick(conf, "x", "ubnd-tp,ubnd-o-mon", 3,
	                                     &idx, &n, why, sizeof(why)),
	                 EINVAL);
	assert_null(idx);
	mcu_conf_free(conf);
}

/* ---- pre-encoded media ------------------------------------------------ */

struct dec_check {
	const struct mcu_sim_yuv *pal;
	size_t n;
	unsigned frames;
	unsigned hits; /* pictures where colour 4 was recognised */
	unsigned others;
};

static void on_frame(const AVFrame *f, void *arg)
{
	struct dec_check *d = arg;
	struct mcu_sim_picture pic = {
	    f->data[0],     f->data[1],     f->data[2], f->linesize[0],
	    f->linesize[1], f->linesize[2], f->width,   f->height};
	unsigned counts[8];
	mcu_sim_picture_colours(&pic, d->pal, d->n, counts);
	d->frames++;
	for (size_t i = 0; i < d->n; i++) {
		if (i == 4)
			d->hits += counts[i] >= MCU_SIM_MIN_CELLS;
		else
			d->others += counts[i];
	}
}

static void media_loop_decodes_to_its_colour(void **state)
{
	(void)state;
	struct mcu_label_cache *labels = NULL;
	/* the font may be missing on a build host: draw no number then */
	(void)mcu_label_cache_alloc(&labels, NULL, 4);
	struct mcu_sim_media_config mc = {
	    .width = 320,
	    .height = 180,
	    .fps = 10,
	    .loop_s = 2,
	    .gop_s = 1,
	    .bitrate = 200000,
	    .preset = "ultrafast",
	    .colour = mcu_sim_colour_rgb(4, 8),
	    .text = "5",
	    .tone_hz = 440,
	};
	struct mcu_sim_media *m = NULL;
	assert_int_equal(mcu_sim_media_alloc(&m, &mc, labels), 0);
	assert_int_equal(m->n_video, 20);
	assert_int_equal(m->n_audio, 50);
	assert_true(m->video[0].key);
	assert_true(m->video[10].key);
	assert_false(m->video[5].key);
	assert_int_equal(mcu_sim_media_gop_start(m, 15), 10);
	assert_int_equal(mcu_sim_media_gop_start(m, 9), 0);
	assert_int_equal(mcu_sim_media_gop_start(m, 25), 0); /* wraps: 5 */
	for (size_t i = 0; i < m->n_audio; i++)
		assert_true(m->audio[i].len > 0 && m->audio[i].len < 400);

	struct mcu_sim_yuv pal[8];
	for (unsigned i = 0; i < 8; i++)
		pal[i] = mcu_sim_rgb_to_yuv(mcu_sim_colour_rgb(i, 8));
	struct dec_check d = {pal, 8, 0, 0, 0};
	struct mcu_vdec *dec = NULL;
	assert_int_equal(mcu_vdec_alloc(&dec, MCU_VCODEC_H264, 1), 0);
	for (size_t i = 0; i < m->n_video; i++)
		assert_int_equal(mcu_vdec_decode(dec, m->video[i].data,
		                                 m->video[i].len, (int64_t)i,
		                                 on_frame, &d),
		                 0);
	assert_int_equal(d.frames, 20);
	assert_int_equal(d.hits, 20);
	assert_int_equal(d.others, 0);
	mcu_vdec_free(dec);
	mcu_sim_media_free(m);
	mcu_label_cache_free(labels);
	/* bad config */
	mc.tone_hz = 20;
	assert_int_equal(mcu_sim_media_alloc(&m, &mc, NULL), EINVAL);
}

const struct CMUnitTest tests[] = {
    cmocka_unit_test(rx_no_loss),
    cmocka_unit_test(rx_media_time),
    cmocka_unit_test(rx_gap_counts_loss),
    cmocka_unit_test(rx_reorder_and_duplicates),
    cmocka_unit_test(rx_seq_wrap),
    cmocka_unit_test(rx_new_ssrc_or_jump_is_new_segment),
    cmocka_unit_test(rx_frame_rate_and_key_frames),
    cmocka_unit_test(rx_long_gaps),
    cmocka_unit_test(h264_payload_key),
    cmocka_unit_test(palette_distinct),
    cmocka_unit_test(picture_colours_grid),
    cmocka_unit_test(roster_loads),
    cmocka_unit_test(roster_pick),
    cmocka_unit_test(media_loop_decodes_to_its_colour),
};

MCU_TEST_MAIN(tests, NULL, NULL)
