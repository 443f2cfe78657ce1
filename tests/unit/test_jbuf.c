/* test-libs: mcu_conf mcu_transport */
/*
 * jbuf: reorder, duplicates, NACK list, give-up and key-frame signal,
 * overflow, stream restart, video frames, audio playout with gaps and the
 * adaptive target delay, all on an injected clock.
 */
#include "tests/unit/testutil.h"
#include "transport/jbuf.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static struct mcu_jbuf_frame frame;

/* Put one packet: 12-byte header + 4-byte payload holding seq. */
static int put(struct mcu_jbuf *jb, uint16_t seq, uint32_t ts, bool m,
               int64_t now)
{
	uint8_t b[16] = {0x80, (uint8_t)((m ? 0x80 : 0) | 96)};
	struct mcu_rtp_hdr h;
	struct mcu_pkt *p = NULL;
	b[2] = (uint8_t)(seq >> 8);
	b[3] = (uint8_t)seq;
	b[4] = (uint8_t)(ts >> 24);
	b[5] = (uint8_t)(ts >> 16);
	b[6] = (uint8_t)(ts >> 8);
	b[7] = (uint8_t)ts;
	b[12] = b[2];
	b[13] = b[3];
	assert_int_equal(mcu_pkt_dup(&p, b, sizeof(b)), 0);
	assert_int_equal(mcu_rtp_parse(&h, p->data, p->len), 0);
	int r = mcu_jbuf_put(jb, p, &h, now);
	p = mcu_pkt_put(p); /* the buffer holds its own reference */
	return r;
}

static struct mcu_jbuf *video(unsigned cap)
{
	struct mcu_jbuf *jb = NULL;
	struct mcu_jbuf_conf c = {.kind = MCU_JBUF_VIDEO, .capacity = cap};
	assert_int_equal(mcu_jbuf_alloc(&jb, &c), 0);
	return jb;
}

static void check_frame(uint32_t ts, uint16_t first, unsigned n)
{
	assert_int_equal(frame.ts, ts);
	assert_int_equal(frame.n, n);
	for (unsigned i = 0; i < n; i++) {
		struct mcu_jbuf_pkt *p = &frame.pkts[i];
		assert_int_equal(p->seq, (uint16_t)(first + i));
		assert_int_equal(p->len, 4);
		const uint8_t *pl = p->pkt->data + p->off;
		assert_int_equal(pl[0] << 8 | pl[1], p->seq);
	}
	mcu_jbuf_frame_clear(&frame);
}

static void conf_checks(void **state)
{
	struct mcu_jbuf *jb = NULL;
	struct mcu_jbuf_conf c = {.kind = MCU_JBUF_VIDEO, .capacity = 100};
	assert_int_equal(mcu_jbuf_alloc(&jb, &c), EINVAL);
	c.capacity = 8;
	assert_int_equal(mcu_jbuf_alloc(&jb, &c), EINVAL);
	c.capacity = 64;
	c.min_delay_ms = 300;
	c.max_delay_ms = 200;
	assert_int_equal(mcu_jbuf_alloc(&jb, &c), EINVAL);
	assert_null(jb);
	c.kind = 7;
	c.min_delay_ms = 0;
	assert_int_equal(mcu_jbuf_alloc(&jb, &c), EINVAL);
}

static void video_reorder(void **state)
{
	struct mcu_jbuf *jb = video(64);
	int64_t t = 1000000;
	/* frame 1000: seq 65534, 65535, 0(m); frame 4000: 1, 2(m) */
	assert_int_equal(put(jb, 65534, 1000, false, t), 0);
	assert_int_equal(put(jb, 0, 1000, true, t + 1000), 0);
	assert_int_equal(put(jb, 2, 4000, true, t + 2000), 0);
	assert_int_equal(mcu_jbuf_get_frame(jb, t + 3000, &frame), EAGAIN);
	assert_int_equal(put(jb, 1, 4000, false, t + 3000), 0);
	assert_int_equal(put(jb, 65535, 1000, false, t + 4000), 0);
	/* duplicate */
	assert_int_equal(put(jb, 1, 4000, false, t + 4500), EALREADY);
	assert_int_equal(mcu_jbuf_get_frame(jb, t + 5000, &frame), 0);
	check_frame(1000, 65534, 3);
	assert_false(frame.after_loss);
	assert_int_equal(mcu_jbuf_get_frame(jb, t + 60000, &frame), 0);
	check_frame(4000, 1, 2);
	assert_int_equal(mcu_jbuf_get_frame(jb, t + 60000, &frame), EAGAIN);
	/* late: its place was released */
	assert_int_equal(put(jb, 65535, 1000, false, t + 70000), ESTALE);
	struct mcu_jbuf_stats st;
	mcu_jbuf_stats(jb, &st);
	assert_int_equal(st.packets, 5);
	assert_int_equal(st.duplicates, 1);
	assert_int_equal(st.late, 1);
	assert_int_equal(st.frames, 2);
	assert_int_equal(st.depth, 0);
	assert_false(mcu_jbuf_keyframe_needed(jb));
	jb = mcu_jbuf_free(jb);
}

static void nack_list(void **state)
{
	struct mcu_jbuf *jb = video(64);
	uint16_t s[16];
	int64_t t = 1000000;
	for (uint16_t i = 0; i < 5; i++)
		put(jb, i, i * 3000, true, t);
	put(jb, 7, 7 * 3000, true, t); /* 5, 6 missing */
	assert_int_equal(mcu_jbuf_nacks(jb, t + 1000, s, 16), 0);
	assert_int_equal(mcu_jbuf_nacks(jb, t + 5000, s, 16), 2);
	assert_int_equal(s[0], 5);
	assert_int_equal(s[1], 6);
	assert_int_equal(mcu_jbuf_nacks(jb, t + 6000, s, 16), 0);
	/* max bounds the output */
	assert_int_equal(mcu_jbuf_nacks(jb, t + 56000, s, 1), 1);
	assert_int_equal(s[0], 5);
	assert_int_equal(mcu_jbuf_nacks(jb, t + 56000, s, 16), 1);
	assert_int_equal(s[0], 6);
	/* 5 comes back (retransmission) */
	assert_int_equal(put(jb, 5, 5 * 3000, true, t + 60000), 0);
	assert_int_equal(mcu_jbuf_nacks(jb, t + 120000, s, 16), 1);
	assert_int_equal(s[0], 6);
	/* after loss_wait (300 ms) nothing more is asked */
	assert_int_equal(mcu_jbuf_nacks(jb, t + 300000, s, 16), 0);
	struct mcu_jbuf_stats st;
	mcu_jbuf_stats(jb, &st);
	assert_int_equal(st.recovered, 1);
	assert_int_equal(st.nacks, 5);
	jb = mcu_jbuf_free(jb);
}

static void give_up_keyframe(void **state)
{
	struct mcu_jbuf *jb = video(64);
	int64_t t = 1000000;
	/* A: 10,11m  B: 12,13m (12 lost)  C: 14,15m */
	put(jb, 10, 100, false, t);
	put(jb, 11, 100, true, t);
	put(jb, 13, 200, true, t + 1000);
	put(jb, 14, 300, false, t + 2000);
	put(jb, 15, 300, true, t + 2000);
	assert_int_equal(mcu_jbuf_get_frame(jb, t + 3000, &frame), 0);
	check_frame(100, 10, 2);
	assert_int_equal(mcu_jbuf_get_frame(jb, t + 200000, &frame), EAGAIN);
	assert_false(mcu_jbuf_keyframe_needed(jb));
	/* 300 ms after the gap was seen: B is given up, C comes out */
	assert_int_equal(mcu_jbuf_get_frame(jb, t + 301000, &frame), 0);
	check_frame(300, 14, 2);
	assert_true(mcu_jbuf_keyframe_needed(jb));
	assert_false(mcu_jbuf_keyframe_needed(jb)); /* read and clear */
	/* the retransmission arriving now is too late */
	assert_int_equal(put(jb, 12, 200, false, t + 302000), ESTALE);
	struct mcu_jbuf_stats st;
	mcu_jbuf_stats(jb, &st);
	assert_int_equal(st.lost, 1);
	assert_int_equal(st.dropped, 1); /* 13, the rest of B */
	jb = mcu_jbuf_free(jb);
}

static void loss_inside_frame(void **state)
{
	struct mcu_jbuf *jb = video(64);
	int64_t t = 1000000;
	/* frame 100: 1,2,(3 lost),4m; frame 200: 5m */
	put(jb, 1, 100, false, t);
	put(jb, 2, 100, false, t);
	put(jb, 4, 100, true, t);
	put(jb, 5, 200, true, t);
	assert_int_equal(mcu_jbuf_get_frame(jb, t + 1000, &frame), EAGAIN);
	assert_int_equal(mcu_jbuf_get_frame(jb, t + 300000, &frame), 0);
	assert_true(frame.after_loss);
	check_frame(200, 5, 1);
	assert_true(mcu_jbuf_keyframe_needed(jb));
	jb = mcu_jbuf_free(jb);
}

static void frame_without_marker(void **state)
{
	struct mcu_jbuf *jb = video(64);
	int64_t t = 1000000;
	put(jb, 1, 100, false, t);
	put(jb, 2, 100, false, t);
	assert_int_equal(mcu_jbuf_get_frame(jb, t, &frame), EAGAIN);
	put(jb, 3, 200, false, t); /* next timestamp ends frame 100 */
	assert_int_equal(mcu_jbuf_get_frame(jb, t, &frame), 0);
	check_frame(100, 1, 2);
	jb = mcu_jbuf_free(jb);
}

static void overflow(void **state)
{
	struct mcu_jbuf *jb = video(16);
	int64_t t = 1000000;
	/* one 40-packet frame never completes: the oldest go */
	for (uint16_t i = 0; i < 40; i++)
		assert_int_equal(put(jb, i, 100, false, t), 0);
	struct mcu_jbuf_stats st;
	mcu_jbuf_stats(jb, &st);
	assert_int_equal(st.depth, 16);
	assert_int_equal(st.dropped, 24);
	assert_true(mcu_jbuf_keyframe_needed(jb));
	/* the remains of the broken frame never come out; a new frame does */
	put(jb, 40, 100, true, t);
	put(jb, 41, 200, true, t);
	assert_int_equal(mcu_jbuf_get_frame(jb, t + 10000, &frame), 0);
	assert_true(frame.after_loss);
	check_frame(200, 41, 1);
	jb = mcu_jbuf_free(jb);
}

static void restart_and_startup_reorder(void **state)
{
	struct mcu_jbuf *jb = video(64);
	int64_t t = 1000000;
	put(jb, 10, 100, true, t);
	assert_int_equal(put(jb, 9, 50, true, t), 0); /* before any release */
	assert_int_equal(mcu_jbuf_get_frame(jb, t, &frame), 0);
	check_frame(50, 9, 1);
	assert_int_equal(mcu_jbuf_get_frame(jb, t, &frame), 0);
	check_frame(100, 10, 1);
	/* the sender restarts far away */
	assert_int_equal(put(jb, 30000, 9000, true, t + 1000), 0);
	assert_true(mcu_jbuf_keyframe_needed(jb));
	assert_int_equal(mcu_jbuf_get_frame(jb, t + 500000, &frame), 0);
	check_frame(9000, 30000, 1);
	/* EINVAL for a header that does not fit its packet */
	struct mcu_pkt *p = NULL;
	struct mcu_rtp_hdr h = {.hdr_len = 12, .payload_len = 10};
	assert_int_equal(mcu_pkt_dup(&p, "0123456789abcdef", 16), 0);
	assert_int_equal(mcu_jbuf_put(jb, p, &h, t), EINVAL);
	p = mcu_pkt_put(p);
	jb = mcu_jbuf_free(jb);
}

static void refs_released(void **state)
{
	struct mcu_jbuf *jb = video(16);
	struct mcu_pkt *p = NULL;
	uint8_t b[20] = {0x80, 0x80 | 96, 0, 1};
	struct mcu_rtp_hdr h;
	assert_int_equal(mcu_pkt_dup(&p, b, sizeof(b)), 0);
	assert_int_equal(mcu_rtp_parse(&h, p->data, p->len), 0);
	assert_int_equal(mcu_jbuf_put(jb, p, &h, 1), 0);
	assert_int_equal(mcu_pkt_refs(p), 2);
	assert_int_equal(mcu_jbuf_get_frame(jb, 1, &frame), 0);
	assert_ptr_equal(frame.pkts[0].pkt, p); /* zero copy */
	assert_int_equal(frame.pkts[0].off, 12);
	assert_int_equal(frame.pkts[0].len, 8);
	mcu_jbuf_frame_clear(&frame);
	assert_int_equal(mcu_pkt_refs(p), 1);
	assert_int_equal(mcu_jbuf_put(jb, p, &h, 2), ESTALE);
	h.seq = 2;
	assert_int_equal(mcu_jbuf_put(jb, p, &h, 2), 0);
	jb = mcu_jbuf_free(jb); /* frees what it holds */
	assert_int_equal(mcu_pkt_refs(p), 1);
	p = mcu_pkt_put(p);
}

static struct mcu_jbuf *audio(unsigned min_ms, unsigned max_ms)
{
	struct mcu_jbuf *jb = NULL;
	struct mcu_jbuf_conf c = {.kind = MCU_JBUF_AUDIO,
	                          .clock_rate = 48000,
	                          .min_delay_ms = min_ms,
	                          .max_delay_ms = max_ms};
	assert_int_equal(mcu_jbuf_alloc(&jb, &c), 0);
	return jb;
}

static void audio_playout_gaps(void **state)
{
	struct mcu_jbuf *jb = audio(40, 200);
	struct mcu_jbuf_pkt out;
	int64_t t0 = 10000000;
	/* 20 ms packets, perfectly paced; seq 2 and 5 never arrive */
	for (uint16_t i = 0; i < 8; i++)
		if (i != 2 && i != 5)
			assert_int_equal(
			    put(jb, i, 960u * i, false, t0 + i * 20000), 0);
	/* packet 0 plays 40 ms after it arrived */
	assert_int_equal(mcu_jbuf_get_audio(jb, t0 + 39000, &out), EAGAIN);
	int seen[8] = {0};
	int64_t t = t0 + 40000;
	for (int step = 0; step < 8; step++, t += 20000) {
		int r = mcu_jbuf_get_audio(jb, t, &out);
		if (r == 0) {
			seen[out.seq] = 1;
			out.pkt = mcu_pkt_put(out.pkt);
		} else {
			assert_int_equal(r, ENOENT);
			assert_null(out.pkt);
			seen[out.seq] = 2;
		}
	}
	int want[8] = {1, 1, 2, 1, 1, 2, 1, 1};
	assert_memory_equal(seen, want, sizeof(want));
	/* empty while playing: a gap, concealed once; then nothing */
	assert_int_equal(mcu_jbuf_get_audio(jb, t, &out), ENODATA);
	assert_int_equal(mcu_jbuf_get_audio(jb, t, &out), EAGAIN);
	assert_int_equal(mcu_jbuf_get_audio(jb, t + 20000, &out), EAGAIN);
	struct mcu_jbuf_stats st;
	mcu_jbuf_stats(jb, &st);
	assert_int_equal(st.concealed, 2);
	assert_int_equal(st.frames, 6);
	assert_false(mcu_jbuf_keyframe_needed(jb)); /* never for audio */
	/* wrong kind */
	assert_int_equal(mcu_jbuf_get_frame(jb, t, &frame), EINVAL);
	jb = mcu_jbuf_free(jb);
}

static void adaptive_delay(void **state)
{
	struct mcu_jbuf *jb = audio(20, 120);
	struct mcu_jbuf_stats st;
	struct mcu_jbuf_pkt out;
	int64_t t0 = 10000000;
	/* arrival jitter of +-15 ms around a 20 ms pace */
	for (uint16_t i = 0; i < 200; i++) {
		int64_t jit = (i % 4 == 1) ? 30000 : 0;
		put(jb, i, 960u * i, false, t0 + i * 20000 + jit);
		while (mcu_jbuf_get_audio(jb, t0 + i * 20000, &out) == 0)
			out.pkt = mcu_pkt_put(out.pkt);
	}
	mcu_jbuf_stats(jb, &st);
	assert_true(st.jitter_ms > 10.0);
	/* every packet in time: the late quarter's 30 ms, not 4x jitter */
	assert_true(st.target_ms >= 30.0);
	assert_true(st.target_ms <= 32.0);
	/* a calm stream lets the target decay back toward the floor */
	for (uint16_t i = 200; i < 2000; i++) {
		put(jb, i, 960u * i, false, t0 + i * 20000);
		while (mcu_jbuf_get_audio(jb, t0 + i * 20000, &out) == 0)
			out.pkt = mcu_pkt_put(out.pkt);
	}
	mcu_jbuf_stats(jb, &st);
	assert_true(st.target_ms < 25.0);
	assert_true(st.target_ms >= 20.0);
	jb = mcu_jbuf_free(jb);
}

/* The allowance is sized by how late the late packets come (99 % in
 * time), not by how much arrivals move on average. */
static void delay_quantile(void **state)
{
	struct mcu_jbuf_stats st;
	struct mcu_jbuf_pkt out;
	int64_t t0 = 10000000;
	/* 1 packet in 400 is 40 ms late: not worth 40 ms for every packet */
	struct mcu_jbuf *jb = audio(5, 500);
	for (uint16_t i = 0; i < 3000; i++) {
		int64_t jit = (i % 400 == 7) ? 40000 : (i % 3) * 500;
		put(jb, i, 960u * i, false, t0 + i * 20000 + jit);
		while (mcu_jbuf_get_audio(jb, t0 + i * 20000 + 20000, &out) ==
		       0)
			out.pkt = mcu_pkt_put(out.pkt);
	}
	mcu_jbuf_stats(jb, &st);
	assert_true(st.target_ms >= 5.0);
	assert_true(st.target_ms <= 6.0);
	jb = mcu_jbuf_free(jb);
	/* 1 in 10 is 12 ms late: all of them are waited for */
	jb = audio(5, 500);
	for (uint16_t i = 0; i < 3000; i++) {
		int64_t jit = (i % 10 == 3) ? 12000 : 0;
		put(jb, i, 960u * i, false, t0 + i * 20000 + jit);
		while (mcu_jbuf_get_audio(jb, t0 + i * 20000, &out) == 0)
			out.pkt = mcu_pkt_put(out.pkt);
	}
	mcu_jbuf_stats(jb, &st);
	assert_true(st.target_ms >= 12.0);
	assert_true(st.target_ms <= 13.0);
	/* a lasting 30 ms step: followed within a few packets */
	int64_t t1 = t0 + 3000 * 20000;
	for (uint16_t i = 0; i < 10; i++)
		put(jb, 3000 + i, 960u * (3000 + i), false,
		    t1 + i * 20000 + 30000);
	mcu_jbuf_stats(jb, &st);
	assert_true(st.target_ms >= 30.0);
	jb = mcu_jbuf_free(jb);
}

static void audio_catch_up(void **state)
{
	/* the consumer stalls for 1 s: on return the oldest are dropped so
	 * the delay stays bounded */
	struct mcu_jbuf *jb = audio(20, 100);
	struct mcu_jbuf_pkt out;
	int64_t t0 = 10000000;
	for (uint16_t i = 0; i < 60; i++)
		put(jb, i, 960u * i, false, t0 + i * 20000);
	int64_t now = t0 + 60 * 20000;
	assert_int_equal(mcu_jbuf_get_audio(jb, now, &out), 0);
	int64_t due = t0 + (int64_t)out.seq * 20000 + 20000;
	assert_true(now - due <= 100000 + 20000);
	out.pkt = mcu_pkt_put(out.pkt);
	struct mcu_jbuf_stats st;
	mcu_jbuf_stats(jb, &st);
	assert_true(st.dropped >= 50);
	jb = mcu_jbuf_free(jb);
}

static void audio_backlog_bounded(void **state)
{
	/* a consumer 200 ms behind (skipped ticks) catches up to at most
	 * 60 ms behind the playout plan, not max_delay (500 ms) */
	struct mcu_jbuf *jb = audio(20, 500);
	struct mcu_jbuf_pkt out;
	int64_t t0 = 10000000;
	(void)state;
	for (uint16_t i = 0; i < 20; i++)
		put(jb, i, 960u * i, false, t0 + i * 20000);
	int64_t now = t0 + 19 * 20000 + 20000;
	assert_int_equal(mcu_jbuf_get_audio(jb, now, &out), 0);
	int64_t due = t0 + (int64_t)out.seq * 20000 + 20000;
	assert_true(now - due <= 60000);
	out.pkt = mcu_pkt_put(out.pkt);
	struct mcu_jbuf_stats st;
	mcu_jbuf_stats(jb, &st);
	assert_true(st.dropped >= 15);
	jb = mcu_jbuf_free(jb);
}

/* Two packets too late for their ticks (the first, whose tick was
 * concealed, is dropped as late) leave the consumer a packet behind:
 * within two runs of STANDING_TAKES takes one packet is dropped and every
 * packet is heard on its own tick again. A consumer on time drops
 * nothing, even with packets due just after its deadlines. */
static void audio_standing_backlog(void **state)
{
	struct mcu_jbuf *jb = audio(5, 500);
	struct mcu_jbuf_pkt out;
	struct mcu_jbuf_stats st;
	int64_t t0 = 10000000, behind_at_60 = -1;
	(void)state;
	for (int64_t k = 0; k < 200; k++) {
		int64_t step = t0 + 20000 * k + 12000; /* a tick's deadline */
		if (k != 50 && k != 51)
			put(jb, (uint16_t)k, 960u * (uint32_t)k, false,
			    t0 + 20000 * k);
		int r = mcu_jbuf_get_audio(jb, step, &out);
		if (k == 50) { /* not there yet: a gap, concealed */
			assert_int_equal(r, ENODATA);
			continue;
		}
		if (k == 51) { /* still nothing; then 50 and 51 at once */
			assert_int_equal(r, EAGAIN);
			put(jb, 50, 960u * 50, false, step + 3000);
			put(jb, 51, 960u * 51, false, step + 3000);
			continue;
		}
		assert_int_equal(r, 0);
		if (k == 60)
			behind_at_60 = k - out.seq; /* a packet behind */
		if (k == 199)                       /* on its own tick again */
			assert_int_equal(k - out.seq, 0);
		out.pkt = mcu_pkt_put(out.pkt);
	}
	assert_int_equal(behind_at_60, 1);
	mcu_jbuf_stats(jb, &st);
	assert_int_equal(st.trimmed, 1);
	assert_int_equal(st.gaps, 1); /* the tick that found nothing */
	assert_int_equal(st.late, 1); /* 50 */
	assert_int_equal(st.dropped, 0);
	jb = mcu_jbuf_free(jb);

	/* on time, arrivals 0-2 ms late: due 1-3 ms before each deadline */
	jb = audio(5, 500);
	for (int64_t k = 0; k < 1000; k++) {
		put(jb, (uint16_t)k, 960u * (uint32_t)k, false,
		    t0 + 20000 * k + (k * 104729) % 2000);
		int64_t step = t0 + 20000 * k + 8000;
		assert_int_equal(mcu_jbuf_get_audio(jb, step, &out), 0);
		assert_int_equal(out.seq, (uint16_t)k);
		out.pkt = mcu_pkt_put(out.pkt);
	}
	mcu_jbuf_stats(jb, &st);
	assert_int_equal(st.trimmed, 0);
	jb = mcu_jbuf_free(jb);

	/* due 0.1 ms after each deadline: always taken on the next tick,
	 * 19.9 ms after it was due, which is the plan, not a backlog */
	jb = audio(5, 500);
	for (int64_t k = 0; k < 1000; k++) {
		put(jb, (uint16_t)k, 960u * (uint32_t)k, false, t0 + 20000 * k);
		int64_t step = t0 + 20000 * k + 4900;
		int r = mcu_jbuf_get_audio(jb, step, &out);
		if (k == 0) {
			assert_int_equal(r, EAGAIN);
			continue;
		}
		assert_int_equal(r, 0);
		assert_int_equal(out.seq, (uint16_t)(k - 1));
		out.pkt = mcu_pkt_put(out.pkt);
	}
	mcu_jbuf_stats(jb, &st);
	assert_int_equal(st.trimmed, 0);
	jb = mcu_jbuf_free(jb);
}

/* The plan moving across a deadline costs nothing while the packets keep
 * arriving in time for the phase the stream plays at: a stretch of
 * packets 19 ms late lifts the target to 20 ms, due 1 ms after each
 * deadline, yet each is taken on its own tick, no gap and no trim. A
 * packet that is really not there is a gap, and the phase moves. */
static void audio_phase_held(void **state)
{
	struct mcu_jbuf *jb = audio(5, 500);
	struct mcu_jbuf_pkt out;
	struct mcu_jbuf_stats st;
	int64_t t0 = 10000000;
	(void)state;
	for (int64_t k = 0; k < 400; k++) {
		/* (every tenth on time: base, the least transit, stays) */
		int64_t late = k >= 100 && k < 300 && k % 10 ? 19000 : 0;
		put(jb, (uint16_t)k, 960u * (uint32_t)k, false,
		    t0 + 20000 * k + late);
		assert_int_equal(
		    mcu_jbuf_get_audio(jb, t0 + 20000 * k + 19000, &out), 0);
		assert_int_equal(out.seq, (uint16_t)k);
		out.pkt = mcu_pkt_put(out.pkt);
		if (k == 299) {
			mcu_jbuf_stats(jb, &st);
			assert_true(st.target_ms >= 20.0); /* due after it */
		}
	}
	mcu_jbuf_stats(jb, &st);
	assert_int_equal(st.gaps, 0);
	assert_int_equal(st.trimmed, 0);
	/* packet 400 comes 3 ms after its tick: a gap, concealed; 401 is
	   there for the next tick and plays, 400 is dropped as late: the
	   phase holds, no backlog */
	int64_t step = t0 + 20000 * 400 + 19000;
	assert_int_equal(mcu_jbuf_get_audio(jb, step, &out), ENODATA);
	put(jb, 400, 960u * 400, false, step + 3000);
	put(jb, 401, 960u * 401, false, t0 + 20000 * 401);
	assert_int_equal(mcu_jbuf_get_audio(jb, step + 20000, &out), 0);
	assert_int_equal(out.seq, 401);
	out.pkt = mcu_pkt_put(out.pkt);
	/* 402 never comes (lost): the gap conceals its tick; 403 plays on
	   its own, the missing 402 is not concealed a second time */
	step += 40000;
	assert_int_equal(mcu_jbuf_get_audio(jb, step, &out), ENODATA);
	put(jb, 403, 960u * 403, false, t0 + 20000 * 403);
	assert_int_equal(mcu_jbuf_get_audio(jb, step + 20000, &out), 0);
	assert_int_equal(out.seq, 403);
	out.pkt = mcu_pkt_put(out.pkt);
	mcu_jbuf_stats(jb, &st);
	assert_int_equal(st.gaps, 2);
	assert_int_equal(st.late, 1);
	assert_int_equal(st.concealed, 0);
	assert_int_equal(st.trimmed, 0);
	jb = mcu_jbuf_free(jb);
}

/* The consumer's clock moves earlier (the audio tick's alignment): a
 * packet that is there is taken at the moved step if that is at most 8 ms
 * ahead of its phase; a larger move makes one step find nothing. */
static void audio_clock_moved(void **state)
{
	struct mcu_jbuf *jb = audio(5, 500);
	struct mcu_jbuf_pkt out;
	struct mcu_jbuf_stats st;
	int64_t t0 = 10000000, shift = 0;
	(void)state;
	for (int64_t k = 0; k < 300; k++) {
		if (k == 100)
			shift = 6000; /* steps 6 ms earlier from here */
		if (k == 200)
			shift = 6000 + 12000; /* 12 ms more */
		put(jb, (uint16_t)k, 960u * (uint32_t)k, false,
		    t0 + 20000 * k);
		int64_t step = t0 + 20000 * k + 19000 - shift;
		int r = mcu_jbuf_get_audio(jb, step, &out);
		if (k == 200) { /* 1 ms after arrival, 7 ms ahead of plan */
			assert_int_equal(r, ENODATA);
			continue;
		}
		assert_int_equal(r, 0);
		assert_int_equal(out.seq, (uint16_t)(k > 200 ? k - 1 : k));
		out.pkt = mcu_pkt_put(out.pkt);
	}
	mcu_jbuf_stats(jb, &st);
	assert_int_equal(st.gaps, 1);
	assert_int_equal(st.trimmed, 0);
	jb = mcu_jbuf_free(jb);
}

/* clang-format off */
const struct CMUnitTest tests[] = {
	cmocka_unit_test(conf_checks),
	cmocka_unit_test(video_reorder),
	cmocka_unit_test(nack_list),
	cmocka_unit_test(give_up_keyframe),
	cmocka_unit_test(loss_inside_frame),
	cmocka_unit_test(frame_without_marker),
	cmocka_unit_test(overflow),
	cmocka_unit_test(restart_and_startup_reorder),
	cmocka_unit_test(refs_released),
	cmocka_unit_test(audio_playout_gaps),
	cmocka_unit_test(adaptive_delay),
	cmocka_unit_test(delay_quantile),
	cmocka_unit_test(audio_standing_backlog),
	cmocka_unit_test(audio_phase_held),
	cmocka_unit_test(audio_clock_moved),
	cmocka_unit_test(audio_catch_up),
	cmocka_unit_test(audio_backlog_bounded),
};
/* clang-format on */

MCU_TEST_MAIN(tests, NULL, NULL)
