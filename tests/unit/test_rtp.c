/* test-libs: mcu_conf mcu_transport */
/*
 * rtp: header parse/write, malformed inputs, RFC 8285 extensions,
 * unwrapping, demux and receive statistics (loss, jitter, bitrate).
 */
#include "tests/unit/testutil.h"
#include "transport/rtp.h"
#include "transport/pkt.h"

#include <errno.h>
#include <math.h>
#include <string.h>

static size_t mk(uint8_t *buf, size_t size, struct mcu_rtp_hdr *h,
                 const uint8_t *payload, size_t plen)
{
	size_t n = 0;
	assert_int_equal(mcu_rtp_write(buf, size, h, &n), 0);
	memcpy(buf + n, payload, plen);
	return n + plen;
}

static void roundtrip(void **state)
{
	uint8_t buf[512], pay[] = {1, 2, 3, 4, 5};
	uint8_t ext[8] = {0x10, 0xaa, 0x21, 0xbb, 0xcc, 0, 0, 0};
	struct mcu_rtp_hdr h = {0}, p;
	h.marker = true;
	h.pt = 96;
	h.seq = 65535;
	h.ts = 0xdeadbeef;
	h.ssrc = 0x01020304;
	h.cc = 2;
	h.csrc[0] = 7;
	h.csrc[1] = 0xffffffff;
	h.ext = true;
	h.ext_profile = MCU_RTP_EXT_ONE_BYTE;
	h.ext_data = ext;
	h.ext_len = sizeof(ext);
	size_t len = mk(buf, sizeof(buf), &h, pay, sizeof(pay));
	assert_int_equal(len, 12 + 8 + 4 + 8 + 5);
	assert_int_equal(mcu_rtp_parse(&p, buf, len), 0);
	assert_true(p.marker);
	assert_false(p.padding);
	assert_int_equal(p.pt, 96);
	assert_int_equal(p.seq, 65535);
	assert_int_equal(p.ts, 0xdeadbeef);
	assert_int_equal(p.ssrc, 0x01020304);
	assert_int_equal(p.cc, 2);
	assert_int_equal(p.csrc[1], 0xffffffff);
	assert_int_equal(p.hdr_len, 32);
	assert_int_equal(p.payload_len, 5);
	assert_memory_equal(buf + p.hdr_len, pay, 5);
	assert_int_equal(p.ext_len, 8);

	const uint8_t *d;
	size_t dl;
	assert_int_equal(mcu_rtp_ext_find(&p, 1, &d, &dl), 0);
	assert_int_equal(dl, 1);
	assert_int_equal(d[0], 0xaa);
	assert_int_equal(mcu_rtp_ext_find(&p, 2, &d, &dl), 0);
	assert_int_equal(dl, 2);
	assert_int_equal(d[1], 0xcc);
	assert_int_equal(mcu_rtp_ext_find(&p, 3, &d, &dl), ENOENT);

	/* re-writing the parsed header gives the same bytes */
	uint8_t again[512];
	size_t n2;
	assert_int_equal(mcu_rtp_write(again, sizeof(again), &p, &n2), 0);
	assert_int_equal(n2, p.hdr_len);
	assert_memory_equal(again, buf, n2);
}

static void write_errors(void **state)
{
	uint8_t buf[64];
	size_t n;
	struct mcu_rtp_hdr h = {0};
	assert_int_equal(mcu_rtp_write(buf, 11, &h, &n), ENOSPC);
	h.pt = 128;
	assert_int_equal(mcu_rtp_write(buf, sizeof(buf), &h, &n), EINVAL);
	h.pt = 0;
	h.cc = 16;
	assert_int_equal(mcu_rtp_write(buf, sizeof(buf), &h, &n), EINVAL);
	h.cc = 0;
	h.ext = true;
	h.ext_len = 3;
	assert_int_equal(mcu_rtp_write(buf, sizeof(buf), &h, &n), EINVAL);
	h.ext_len = 0;
	assert_int_equal(mcu_rtp_write(buf, sizeof(buf), &h, &n), 0);
	assert_int_equal(n, 16);
}

static void malformed(void **state)
{
	struct mcu_rtp_hdr p;
	uint8_t b[64] = {0x80, 96};

	/* too short */
	for (size_t i = 0; i < 12; i++)
		assert_int_equal(mcu_rtp_parse(&p, b, i), EBADMSG);
	assert_int_equal(mcu_rtp_parse(&p, b, 12), 0);
	assert_int_equal(p.payload_len, 0);
	/* bad version */
	b[0] = 0x40;
	assert_int_equal(mcu_rtp_parse(&p, b, 20), EBADMSG);
	b[0] = 0xc0;
	assert_int_equal(mcu_rtp_parse(&p, b, 20), EBADMSG);
	/* CSRC count overflow: 15 CSRCs need 72 bytes */
	b[0] = 0x8f;
	assert_int_equal(mcu_rtp_parse(&p, b, 64), EBADMSG);
	b[0] = 0x81;
	assert_int_equal(mcu_rtp_parse(&p, b, 15), EBADMSG);
	assert_int_equal(mcu_rtp_parse(&p, b, 16), 0);
	/* extension header missing / length past the end */
	b[0] = 0x90;
	assert_int_equal(mcu_rtp_parse(&p, b, 14), EBADMSG);
	b[14] = 0;
	b[15] = 2; /* 8 bytes of extension */
	assert_int_equal(mcu_rtp_parse(&p, b, 23), EBADMSG);
	assert_int_equal(mcu_rtp_parse(&p, b, 24), 0);
	b[14] = 0xff;
	b[15] = 0xff;
	assert_int_equal(mcu_rtp_parse(&p, b, 64), EBADMSG);
	/* padding: zero count, longer than payload, exactly the payload */
	memset(b, 0, sizeof(b));
	b[0] = 0xa0;
	b[19] = 0;
	assert_int_equal(mcu_rtp_parse(&p, b, 20), EBADMSG);
	b[19] = 9;
	assert_int_equal(mcu_rtp_parse(&p, b, 20), EBADMSG);
	b[19] = 8;
	assert_int_equal(mcu_rtp_parse(&p, b, 20), 0);
	assert_int_equal(p.payload_len, 0);
	b[19] = 3;
	assert_int_equal(mcu_rtp_parse(&p, b, 20), 0);
	assert_int_equal(p.payload_len, 5);
	assert_int_equal(p.pad_len, 3);
	/* padding byte when the packet is only a header: count 1 eats
	 * into the header */
	assert_int_equal(mcu_rtp_parse(&p, b, 12), EBADMSG);
}

static void ext_two_byte_and_bad(void **state)
{
	uint8_t e2[8] = {5, 3, 1, 2, 3, 0, 9, 0};
	struct mcu_rtp_hdr h = {
	    .ext = true, .ext_profile = 0x1000, .ext_data = e2, .ext_len = 8};
	const uint8_t *d;
	size_t dl;
	assert_int_equal(mcu_rtp_ext_find(&h, 5, &d, &dl), 0);
	assert_int_equal(dl, 3);
	assert_int_equal(d[2], 3);
	assert_int_equal(mcu_rtp_ext_find(&h, 9, &d, &dl), 0);
	assert_int_equal(dl, 0);
	/* element length past the end */
	uint8_t bad[4] = {0x1f, 1, 2, 3}; /* id 1, 16 bytes */
	struct mcu_rtp_hdr hb = {.ext = true,
	                         .ext_profile = MCU_RTP_EXT_ONE_BYTE,
	                         .ext_data = bad,
	                         .ext_len = 4};
	assert_int_equal(mcu_rtp_ext_find(&hb, 1, &d, &dl), EBADMSG);
	uint8_t bad2[4] = {7, 200, 0, 0};
	struct mcu_rtp_hdr hc = {
	    .ext = true, .ext_profile = 0x1001, .ext_data = bad2, .ext_len = 4};
	assert_int_equal(mcu_rtp_ext_find(&hc, 7, &d, &dl), EBADMSG);
	hc.ext_profile = 0x1234; /* not RFC 8285 */
	assert_int_equal(mcu_rtp_ext_find(&hc, 7, &d, &dl), ENOENT);
}

static void seq_wrap(void **state)
{
	struct mcu_rtp_unwrap u = {0};
	assert_int_equal(mcu_rtp_seq_unwrap(&u, 65534), 65534);
	assert_int_equal(mcu_rtp_seq_unwrap(&u, 65535), 65535);
	assert_int_equal(mcu_rtp_seq_unwrap(&u, 1), 65537);
	assert_int_equal(mcu_rtp_seq_unwrap(&u, 0), 65536); /* reordered */
	assert_int_equal(mcu_rtp_seq_unwrap(&u, 65533), 65533);
	assert_int_equal(u.highest, 65537);
	for (int i = 0; i < 3 * 65536; i += 1000)
		mcu_rtp_seq_unwrap(&u, (uint16_t)(1 + i));
	assert_true(u.highest > 3 * 65536);
	assert_int_equal(mcu_rtp_seq_diff(2, 65534), 4);
	assert_int_equal(mcu_rtp_seq_diff(65534, 2), -4);

	struct mcu_rtp_unwrap t = {0};
	assert_int_equal(mcu_rtp_ts_unwrap(&t, 0xfffffff0u), 0xfffffff0ll);
	assert_int_equal(mcu_rtp_ts_unwrap(&t, 0x10), 0x100000010ll);
	assert_int_equal(mcu_rtp_ts_diff(0x10, 0xfffffff0u), 0x20);
	assert_int_equal(mcu_rtp_ts_to_us(90000, 90000), 1000000);
	assert_int_equal(mcu_rtp_ts_to_us(45, 90000), 500);
	assert_int_equal(mcu_rtp_us_to_ts(20000, 48000), 960);
	assert_int_equal(mcu_rtp_ts_to_us(0x100000010ll, 8000),
	                 (0x100000010ll * 1000) / 8);
}

static void demux(void **state)
{
	uint8_t rtp[12] = {0x80, 96}, rtcp[8] = {0x80, 200};
	uint8_t stun[20] = {0x00, 0x01}, dtls[13] = {22, 0xfe};
	assert_int_equal(mcu_rtp_demux(rtp, 12), MCU_DEMUX_RTP);
	assert_int_equal(mcu_rtp_demux(rtp, 11), MCU_DEMUX_UNKNOWN);
	assert_int_equal(mcu_rtp_demux(rtcp, 8), MCU_DEMUX_RTCP);
	rtcp[1] = 0x80 | 64; /* PT 64 with marker: the RTCP range */
	assert_int_equal(mcu_rtp_demux(rtcp, 8), MCU_DEMUX_RTCP);
	rtcp[1] = 96 + 0x80; /* marker + PT 96: RTP */
	assert_int_equal(mcu_rtp_demux(rtcp, 8), MCU_DEMUX_UNKNOWN);
	rtp[1] = 0x80 | 96;
	assert_int_equal(mcu_rtp_demux(rtp, 12), MCU_DEMUX_RTP);
	rtp[1] = 95;
	assert_int_equal(mcu_rtp_demux(rtp, 12), MCU_DEMUX_RTCP);
	rtp[1] = 63;
	assert_int_equal(mcu_rtp_demux(rtp, 12), MCU_DEMUX_RTP);
	assert_int_equal(mcu_rtp_demux(stun, 20), MCU_DEMUX_STUN);
	assert_int_equal(mcu_rtp_demux(dtls, 13), MCU_DEMUX_DTLS);
	uint8_t junk[2] = {100, 0};
	assert_int_equal(mcu_rtp_demux(junk, 2), MCU_DEMUX_UNKNOWN);
	assert_int_equal(mcu_rtp_demux(junk, 0), MCU_DEMUX_UNKNOWN);
}

static void feed(struct mcu_rtp_rx *rx, uint16_t seq, uint32_t ts, size_t plen,
                 int64_t now_us, int expect)
{
	struct mcu_rtp_hdr h = {.seq = seq, .ts = ts, .payload_len = plen};
	assert_int_equal(mcu_rtp_rx_update(rx, &h, now_us), expect);
}

static void rx_loss_and_wrap(void **state)
{
	struct mcu_rtp_rx rx;
	struct mcu_rtp_rx_stats st;
	mcu_rtp_rx_init(&rx, 8000);
	int64_t t = 1000000;
	feed(&rx, 65530, 0, 160, t, EAGAIN); /* probation */
	uint16_t seq = 65531;
	for (int i = 1; i < 20; i++, seq++) {
		if (i == 8 || i == 9 || i == 15)
			continue; /* lost */
		feed(&rx, seq, (uint32_t)i * 160, 160, t + i * 20000, 0);
	}
	mcu_rtp_rx_stats(&rx, t + 400000, &st);
	/* base is 65531 (after probation); highest 65531+18 wraps */
	assert_int_equal(st.expected, 19);
	assert_int_equal(st.packets, 16);
	assert_int_equal(st.lost, 3);
	assert_int_equal(st.ext_max_seq, 65536u + (uint16_t)(65531 + 18));
	assert_int_equal(st.bytes, 16 * 160);

	uint8_t frac;
	int32_t cum;
	uint32_t ext, jit;
	mcu_rtp_rx_report(&rx, &frac, &cum, &ext, &jit);
	assert_int_equal(cum, 3);
	assert_int_equal(frac, (3 << 8) / 19);
	assert_int_equal(jit, 0); /* perfectly paced */
	/* next interval: no loss; a duplicate counts as received */
	feed(&rx, seq, 20 * 160, 160, t + 20 * 20000, 0);
	feed(&rx, seq, 20 * 160, 160, t + 20 * 20000, 0);
	mcu_rtp_rx_report(&rx, &frac, &cum, &ext, &jit);
	assert_int_equal(frac, 0);
	assert_int_equal(cum, 2);
}

static void rx_jitter_known(void **state)
{
	/* 8 kHz, 20 ms packets, arrival alternately on time and 10 ms late:
	 * |D| is 80 units for every packet after the first, so
	 * J_n = 80 * (1 - (15/16)^n). */
	struct mcu_rtp_rx rx;
	mcu_rtp_rx_init(&rx, 8000);
	int n = 0;
	for (int i = 0; i < 40; i++) {
		int64_t arr = 5000000 + i * 20000 + (i % 2 ? 10000 : 0);
		struct mcu_rtp_hdr h = {.seq = (uint16_t)(100 + i),
		                        .ts = 1000u + (uint32_t)i * 160,
		                        .payload_len = 10};
		int r = mcu_rtp_rx_update(&rx, &h, arr);
		if (i == 0)
			assert_int_equal(r, EAGAIN);
		else
			assert_int_equal(r, 0);
		if (i >= 2)
			n++;
	}
	/* transits counted from packet 1 on: n differences */
	double want = 80.0 * (1.0 - pow(15.0 / 16.0, n));
	struct mcu_rtp_rx_stats st;
	mcu_rtp_rx_stats(&rx, 5000000 + 40 * 20000, &st);
	assert_true(fabs((double)st.jitter_ts - want) <= 1.0);
	assert_true(fabs(st.jitter_ms - want / 8.0) < 0.2);
}

static void rx_restart_and_rate(void **state)
{
	struct mcu_rtp_rx rx;
	struct mcu_rtp_rx_stats st;
	mcu_rtp_rx_init(&rx, 90000);
	int64_t t = 1;
	for (int i = 0; i < 60; i++) /* 1000 bytes per 20 ms = 400 kbit/s */
		feed(&rx, (uint16_t)i, (uint32_t)i * 1800, 1000, t + i * 20000,
		     i == 0 ? EAGAIN : 0);
	mcu_rtp_rx_stats(&rx, t + 59 * 20000, &st);
	assert_true(st.bitrate_bps > 380000 && st.bitrate_bps < 420000);
	mcu_rtp_rx_stats(&rx, t + 10000000, &st);
	assert_int_equal(st.bitrate_bps, 0); /* stale */
	/* a jump far away is not counted; a second sequential one restarts */
	feed(&rx, 30000, 0, 10, t + 2000000, ERANGE);
	feed(&rx, 30001, 0, 10, t + 2020000, 0);
	mcu_rtp_rx_stats(&rx, t + 2020000, &st);
	assert_int_equal(st.packets, 1);
	assert_int_equal(st.expected, 1);
}

static void pkt_refcount(void **state)
{
	struct mcu_pkt *p = NULL, *q;
	assert_int_equal(mcu_pkt_alloc(&p, 0), EINVAL);
	assert_int_equal(mcu_pkt_alloc(&p, MCU_PKT_MAX_SIZE + 1), EINVAL);
	assert_int_equal(mcu_pkt_dup(&p, "abc", 3), 0);
	assert_int_equal(p->len, 3);
	q = mcu_pkt_ref(p);
	assert_ptr_equal(p, q);
	assert_int_equal(mcu_pkt_refs(p), 2);
	q = mcu_pkt_put(q);
	assert_null(q);
	assert_int_equal(mcu_pkt_refs(p), 1);
	p = mcu_pkt_put(p);
	assert_null(mcu_pkt_put(NULL));
}

/* clang-format off */
const struct CMUnitTest tests[] = {
	cmocka_unit_test(roundtrip),
	cmocka_unit_test(write_errors),
	cmocka_unit_test(malformed),
	cmocka_unit_test(ext_two_byte_and_bad),
	cmocka_unit_test(seq_wrap),
	cmocka_unit_test(demux),
	cmocka_unit_test(rx_loss_and_wrap),
	cmocka_unit_test(rx_jitter_known),
	cmocka_unit_test(rx_restart_and_rate),
	cmocka_unit_test(pkt_refcount),
};
/* clang-format on */

MCU_TEST_MAIN(tests, NULL, NULL)
