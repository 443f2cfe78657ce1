/* test-libs: mcu_conf mcu_transport */
/*
 * history: NACK served from the per-output history (identical bytes,
 * shared payload, unknown/overwritten/expired seqs) and the key-frame
 * request limiter (coalescing, rate limit, FIR dedupe).
 */
#include "tests/unit/testutil.h"
#include "transport/kfreq.h"
#include "transport/rtcp.h"
#include "transport/rtp.h"
#include "transport/rtp_history.h"

#include <errno.h>
#include <string.h>

/* Per-output header for a shared payload, as the fan-out makes it. */
static size_t hdr(uint8_t *b, uint16_t seq, uint32_t ssrc)
{
	struct mcu_rtp_hdr h = {
	    .pt = 96, .seq = seq, .ts = 90 * seq, .ssrc = ssrc};
	size_t n;
	assert_int_equal(mcu_rtp_write(b, 64, &h, &n), 0);
	return n;
}

static void nack_served(void **state)
{
	struct mcu_rtp_history *h = NULL;
	struct mcu_pkt *payload = NULL;
	uint8_t sent[64][1300], out[1500];
	size_t sent_len[64], n;
	assert_int_equal(mcu_rtp_history_alloc(&h, 64, 1000), 0);
	assert_int_equal(mcu_pkt_alloc(&payload, 1000), 0);
	for (unsigned i = 0; i < 1000; i++)
		payload->data[i] = (uint8_t)(i * 13);
	payload->len = 1000;
	int64_t t = 1000000;
	/* 40 packets, seq wrapping, sharing one payload buffer */
	for (unsigned i = 0; i < 40; i++) {
		uint16_t seq = (uint16_t)(65520 + i);
		size_t hl = hdr(sent[i], seq, 0xabc);
		memcpy(sent[i] + hl, payload->data + i, 500);
		sent_len[i] = hl + 500;
		assert_int_equal(mcu_rtp_history_put(h, sent[i], hl, payload, i,
		                                     500, t + i * 1000),
		                 0);
	}
	assert_int_equal(mcu_pkt_refs(payload), 41); /* zero copy */
	/* the receiver lost 65525 and 3: NACK them through real RTCP */
	uint8_t rtcp[64];
	size_t off = 0;
	uint16_t lost[] = {65525, 3};
	assert_int_equal(
	    mcu_rtcp_write_nack(rtcp, sizeof(rtcp), &off, 1, 0xabc, lost, 2),
	    0);
	struct mcu_rtcp_iter it;
	static struct mcu_rtcp_msg m;
	mcu_rtcp_iter_init(&it, rtcp, off);
	assert_int_equal(mcu_rtcp_next(&it, &m), 0);
	uint16_t seqs[8];
	unsigned ns = mcu_rtcp_nack_seqs(m.nack, m.n_nack, seqs, 8);
	assert_int_equal(ns, 2);
	for (unsigned i = 0; i < ns; i++) {
		unsigned idx = (uint16_t)(seqs[i] - 65520);
		assert_int_equal(mcu_rtp_history_get(h, seqs[i], t + 50000, out,
		                                     sizeof(out), &n),
		                 0);
		assert_int_equal(n, sent_len[idx]);
		assert_memory_equal(out, sent[idx], n); /* identical */
	}
	/* never sent */
	assert_int_equal(mcu_rtp_history_get(h, 100, t, out, sizeof(out), &n),
	                 ENOENT);
	/* too small a buffer */
	assert_int_equal(mcu_rtp_history_get(h, 3, t, out, 100, &n), ENOSPC);
	/* overwritten: 64 slots, 65520 + 64 replaces 65520 */
	size_t hl = hdr(sent[0], (uint16_t)(65520 + 64), 0xabc);
	assert_int_equal(mcu_rtp_history_put(h, sent[0], hl, NULL, 0, 0, t), 0);
	assert_int_equal(mcu_rtp_history_get(h, 65520, t, out, sizeof(out), &n),
	                 ENOENT);
	assert_int_equal(mcu_rtp_history_get(h, (uint16_t)(65520 + 64), t, out,
	                                     sizeof(out), &n),
	                 0);
	assert_int_equal(n, hl);
	/* expired: older than 1 s */
	assert_int_equal(
	    mcu_rtp_history_get(h, 65530, t + 2000000, out, sizeof(out), &n),
	    ENOENT);
	h = mcu_rtp_history_free(h);
	assert_int_equal(mcu_pkt_refs(payload), 1);
	payload = mcu_pkt_put(payload);
}

static void whole_packet_and_errors(void **state)
{
	struct mcu_rtp_history *h = NULL;
	struct mcu_pkt *p = NULL;
	uint8_t b[40], out[64];
	size_t n, hl = hdr(b, 7, 1);
	memset(b + hl, 0x5a, 20);
	assert_int_equal(mcu_rtp_history_alloc(&h, 100, 0), EINVAL);
	assert_int_equal(mcu_rtp_history_alloc(&h, 0, 0), 0);
	assert_int_equal(mcu_pkt_dup(&p, b, hl + 20), 0);
	assert_int_equal(mcu_rtp_history_put(h, NULL, 0, p, 0, p->len, 5), 0);
	assert_int_equal(mcu_rtp_history_get(h, 7, 5, out, sizeof(out), &n), 0);
	assert_int_equal(n, hl + 20);
	assert_memory_equal(out, b, n);
	/* bad: short header, body range past the end, not RTP */
	assert_int_equal(mcu_rtp_history_put(h, b, 8, NULL, 0, 0, 5), EINVAL);
	assert_int_equal(mcu_rtp_history_put(h, b, hl, p, 10, p->len, 5),
	                 EINVAL);
	uint8_t junk[12] = {0};
	assert_int_equal(mcu_rtp_history_put(h, junk, 12, NULL, 0, 0, 5),
	                 EINVAL);
	h = mcu_rtp_history_free(h);
	p = mcu_pkt_put(p);
}

static void kf_coalesce(void **state)
{
	struct mcu_kfreq *k = NULL;
	struct mcu_kfreq_stats st;
	assert_int_equal(mcu_kfreq_alloc(&k, 500), 0);
	int64_t t = 1000000;
	assert_false(mcu_kfreq_due(k, t)); /* nothing asked */
	/* 94 receivers ask at once: one key frame */
	for (uint32_t r = 0; r < 94; r++)
		mcu_kfreq_request(k, r, t);
	assert_true(mcu_kfreq_due(k, t + 1000));
	assert_false(mcu_kfreq_due(k, t + 2000));
	/* more requests inside the interval wait for its end ... */
	mcu_kfreq_request(k, 5, t + 100000);
	mcu_kfreq_request(k, 6, t + 200000);
	assert_false(mcu_kfreq_due(k, t + 300000));
	assert_false(mcu_kfreq_due(k, t + 500999));
	/* ... and are served together by one */
	assert_true(mcu_kfreq_due(k, t + 501000));
	assert_false(mcu_kfreq_due(k, t + 2000000));
	/* a GOP key frame satisfies what is pending */
	mcu_kfreq_request(k, 7, t + 3000000);
	mcu_kfreq_sent(k, t + 3000001);
	assert_false(mcu_kfreq_due(k, t + 4000000));
	mcu_kfreq_stats(k, &st);
	assert_int_equal(st.requests, 97);
	assert_int_equal(st.keyframes, 3);
	k = mcu_kfreq_free(k);
}

/* A key frame put off a tick is granted on the next ask, not after the
 * 500 ms interval its grant started. */
static void kf_defer(void **state)
{
	struct mcu_kfreq *k = NULL;
	struct mcu_kfreq_stats st;
	assert_int_equal(mcu_kfreq_alloc(&k, 500), 0);
	int64_t t = 1000000;
	mcu_kfreq_request(k, 1, t);
	assert_true(mcu_kfreq_due(k, t));
	/* the next request, 600 ms on, is put off for one tick */
	mcu_kfreq_request(k, 2, t + 600000);
	assert_true(mcu_kfreq_due(k, t + 600000));
	mcu_kfreq_defer(k);
	assert_true(mcu_kfreq_due(k, t + 633000));
	/* ... and now the interval counts from that one */
	mcu_kfreq_request(k, 3, t + 700000);
	assert_false(mcu_kfreq_due(k, t + 1000000));
	assert_true(mcu_kfreq_due(k, t + 1133000));
	/* the first ever, put off: still due at once */
	struct mcu_kfreq *k2 = NULL;
	assert_int_equal(mcu_kfreq_alloc(&k2, 500), 0);
	mcu_kfreq_request(k2, 1, t);
	assert_true(mcu_kfreq_due(k2, t));
	mcu_kfreq_defer(k2);
	assert_true(mcu_kfreq_due(k2, t + 1000));
	mcu_kfreq_stats(k, &st);
	assert_int_equal(st.keyframes, 3);
	assert_int_equal(st.deferred, 1);
	k = mcu_kfreq_free(k);
	k2 = mcu_kfreq_free(k2);
}

/* Key frames of several encoders on one tick: one 720p picture's worth. */
static void kf_spread(void **state)
{
	const long hd = 1280L * 720, sd = 640L * 360, budget = hd;
	/* a floor grant: two 720p groups and a 360p group want one */
	struct mcu_kfreq_want w[3] = {{hd, false, false, false},
	                              {hd, false, false, false},
	                              {sd, false, false, false}};
	assert_int_equal(mcu_kfreq_spread(w, 3, budget), 2);
	assert_true(w[0].grant);
	assert_false(w[1].grant);
	assert_false(w[2].grant);
	/* next tick: those put off go first, ahead of a new 720p request */
	struct mcu_kfreq_want w2[3] = {{hd, false, false, false},
	                               {hd, false, true, false},
	                               {sd, false, true, false}};
	assert_int_equal(mcu_kfreq_spread(w2, 3, budget), 2);
	assert_false(w2[0].grant);
	assert_true(w2[1].grant);
	assert_false(w2[2].grant);
	/* small ones share a tick: four 360p fit in one 720p */
	struct mcu_kfreq_want w3[5];
	for (int i = 0; i < 5; i++)
		w3[i] = (struct mcu_kfreq_want){sd, false, i == 4, false};
	assert_int_equal(mcu_kfreq_spread(w3, 5, budget), 1);
	assert_true(w3[4].grant); /* it waited */
	assert_false(w3[3].grant);
	/* a first picture cannot wait; one too large still goes alone */
	struct mcu_kfreq_want w4[3] = {{hd, true, false, false},
	                               {hd, true, false, false},
	                               {sd, false, true, false}};
	assert_int_equal(mcu_kfreq_spread(w4, 3, budget), 1);
	assert_true(w4[0].grant && w4[1].grant);
	assert_false(w4[2].grant);
	struct mcu_kfreq_want w5[1] = {{1920L * 1080, false, false, false}};
	assert_int_equal(mcu_kfreq_spread(w5, 1, budget), 0);
	assert_true(w5[0].grant);
}

static void kf_fir_dedupe(void **state)
{
	struct mcu_kfreq *k = NULL;
	struct mcu_kfreq_stats st;
	assert_int_equal(mcu_kfreq_alloc(&k, 0), 0);
	assert_true(mcu_kfreq_fir(k, 1, 10, 0));
	assert_false(mcu_kfreq_fir(k, 1, 10, 1000)); /* retransmitted */
	assert_true(mcu_kfreq_fir(k, 2, 10, 1000));  /* another sender */
	assert_true(mcu_kfreq_due(k, 2000));
	assert_true(mcu_kfreq_fir(k, 1, 11, 3000)); /* a new request */
	assert_false(mcu_kfreq_due(k, 4000));       /* default 500 ms */
	assert_true(mcu_kfreq_due(k, 502000));
	/* many senders: the table recycles without losing requests */
	for (uint32_t s = 100; s < 200; s++)
		assert_true(mcu_kfreq_fir(k, s, 1, 600000));
	mcu_kfreq_stats(k, &st);
	assert_int_equal(st.duplicates, 1);
	assert_int_equal(st.requests, 103);
	k = mcu_kfreq_free(k);
}

/* clang-format off */
const struct CMUnitTest tests[] = {
	cmocka_unit_test(nack_served),
	cmocka_unit_test(whole_packet_and_errors),
	cmocka_unit_test(kf_coalesce),
	cmocka_unit_test(kf_fir_dedupe),
	cmocka_unit_test(kf_defer),
	cmocka_unit_test(kf_spread),
};
/* clang-format on */

MCU_TEST_MAIN(tests, NULL, NULL)
