/* test-libs: mcu_conf mcu_transport */
/*
 * rtcp: compound build/parse roundtrip for every type, truncated and lying
 * inputs, NACK packing, NTP helpers and RTT.
 */
#include "tests/unit/testutil.h"
#include "transport/rtcp.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static struct mcu_rtcp_msg msg;

static size_t build_all(uint8_t *b, size_t size)
{
	size_t off = 0;
	struct mcu_rtcp_sr_info sr = {.ntp = 0x0123456789abcdefull,
	                              .rtp_ts = 4242,
	                              .packets = 10,
	                              .octets = 12345};
	struct mcu_rtcp_rb rb[2] = {
	    {.ssrc = 11,
	     .fraction = 25,
	     .lost = -5,
	     .ext_max = 70000,
	     .jitter = 33,
	     .lsr = 0xaabbccdd,
	     .dlsr = 65536},
	    {.ssrc = 12, .lost = 0x7fffff},
	};
	uint16_t lost[] = {100, 101, 105, 116, 117, 200};
	struct mcu_rtcp_fir_entry fir[2] = {{.ssrc = 77, .seq = 3},
	                                    {.ssrc = 78, .seq = 255}};
	uint32_t remb_ssrc[2] = {5, 6};
	uint32_t bye[2] = {1, 2};

	assert_int_equal(mcu_rtcp_write_sr(b, size, &off, 1, &sr, rb, 2), 0);
	assert_int_equal(mcu_rtcp_write_rr(b, size, &off, 2, rb, 1), 0);
	assert_int_equal(mcu_rtcp_write_sdes(b, size, &off, 1, "mcu@city"), 0);
	assert_int_equal(mcu_rtcp_write_nack(b, size, &off, 1, 9, lost, 6), 0);
	assert_int_equal(mcu_rtcp_write_pli(b, size, &off, 1, 9), 0);
	assert_int_equal(mcu_rtcp_write_fir(b, size, &off, 1, fir, 2), 0);
	assert_int_equal(
	    mcu_rtcp_write_remb(b, size, &off, 1, 1500000, remb_ssrc, 2), 0);
	assert_int_equal(mcu_rtcp_write_bye(b, size, &off, bye, 2), 0);
	return off;
}

static void roundtrip_all(void **state)
{
	uint8_t b[1024];
	size_t len = build_all(b, sizeof(b));
	struct mcu_rtcp_iter it;

	assert_int_equal(mcu_rtcp_validate(b, len), 0);
	mcu_rtcp_iter_init(&it, b, len);

	assert_int_equal(mcu_rtcp_next(&it, &msg), 0);
	assert_int_equal(msg.type, MCU_RTCP_SR);
	assert_int_equal(msg.ssrc, 1);
	assert_true(msg.sr.ntp == 0x0123456789abcdefull);
	assert_int_equal(msg.sr.rtp_ts, 4242);
	assert_int_equal(msg.sr.packets, 10);
	assert_int_equal(msg.sr.octets, 12345);
	assert_int_equal(msg.n_rb, 2);
	assert_int_equal(msg.rb[0].ssrc, 11);
	assert_int_equal(msg.rb[0].fraction, 25);
	assert_int_equal(msg.rb[0].lost, -5);
	assert_int_equal(msg.rb[0].ext_max, 70000);
	assert_int_equal(msg.rb[0].jitter, 33);
	assert_int_equal(msg.rb[0].lsr, 0xaabbccdd);
	assert_int_equal(msg.rb[0].dlsr, 65536);
	assert_int_equal(msg.rb[1].lost, 0x7fffff);

	assert_int_equal(mcu_rtcp_next(&it, &msg), 0);
	assert_int_equal(msg.type, MCU_RTCP_RR);
	assert_int_equal(msg.ssrc, 2);
	assert_int_equal(msg.n_rb, 1);

	assert_int_equal(mcu_rtcp_next(&it, &msg), 0);
	assert_int_equal(msg.type, MCU_RTCP_SDES);
	assert_int_equal(msg.n_sdes, 1);
	assert_int_equal(msg.sdes[0].ssrc, 1);
	assert_string_equal(msg.sdes[0].cname, "mcu@city");

	assert_int_equal(mcu_rtcp_next(&it, &msg), 0);
	assert_int_equal(msg.type, MCU_RTCP_NACK);
	assert_int_equal(msg.media_ssrc, 9);
	assert_int_equal(msg.n_nack, 3);
	assert_int_equal(msg.nack[0].pid, 100);
	assert_int_equal(msg.nack[0].blp, 0x1 | 0x10 | 0x8000);
	assert_int_equal(msg.nack[1].pid, 117);
	assert_int_equal(msg.nack[2].pid, 200);
	uint16_t seqs[16];
	assert_int_equal(mcu_rtcp_nack_seqs(msg.nack, msg.n_nack, seqs, 16), 6);
	uint16_t want[] = {100, 101, 105, 116, 117, 200};
	assert_memory_equal(seqs, want, sizeof(want));

	assert_int_equal(mcu_rtcp_next(&it, &msg), 0);
	assert_int_equal(msg.type, MCU_RTCP_PLI);
	assert_int_equal(msg.ssrc, 1);
	assert_int_equal(msg.media_ssrc, 9);

	assert_int_equal(mcu_rtcp_next(&it, &msg), 0);
	assert_int_equal(msg.type, MCU_RTCP_FIR);
	assert_int_equal(msg.n_fir, 2);
	assert_int_equal(msg.fir[1].ssrc, 78);
	assert_int_equal(msg.fir[1].seq, 255);

	assert_int_equal(mcu_rtcp_next(&it, &msg), 0);
	assert_int_equal(msg.type, MCU_RTCP_REMB);
	assert_int_equal(msg.n_remb, 2);
	assert_int_equal(msg.remb_ssrc[1], 6);
	assert_true(msg.remb_bps <= 1500000 && msg.remb_bps > 1499000);

	assert_int_equal(mcu_rtcp_next(&it, &msg), 0);
	assert_int_equal(msg.type, MCU_RTCP_BYE);
	assert_int_equal(msg.n_bye, 2);
	assert_int_equal(msg.bye[1], 2);

	assert_int_equal(mcu_rtcp_next(&it, &msg), ENOENT);
}

static void truncated_everywhere(void **state)
{
	uint8_t b[1024];
	size_t len = build_all(b, sizeof(b));
	struct mcu_rtcp_iter it;

	/* every prefix that does not end on a packet boundary is invalid,
	 * and iterating it never reads past the end (ASan watches). */
	for (size_t cut = 0; cut < len; cut++) {
		uint8_t *c = malloc(cut ? cut : 1);
		memcpy(c, b, cut);
		int bad = 0, good = 0, r;
		mcu_rtcp_iter_init(&it, c, cut);
		while ((r = mcu_rtcp_next(&it, &msg)) != ENOENT) {
			if (r)
				bad++;
			else
				good++;
			assert_true(good + bad < 20);
		}
		if (mcu_rtcp_validate(c, cut) != 0)
			assert_true(bad > 0 || cut < 4);
		free(c);
	}
}

static void lying_counts(void **state)
{
	uint8_t b[64] = {0};
	struct mcu_rtcp_iter it;

	/* RR claiming 3 report blocks in 8 bytes */
	b[0] = 0x83;
	b[1] = 201;
	b[3] = 1;
	mcu_rtcp_iter_init(&it, b, 8);
	assert_int_equal(mcu_rtcp_next(&it, &msg), EBADMSG);
	assert_int_equal(mcu_rtcp_next(&it, &msg), ENOENT);
	/* SDES claiming 2 chunks, one present */
	memset(b, 0, sizeof(b));
	b[0] = 0x82;
	b[1] = 202;
	b[3] = 2;
	mcu_rtcp_iter_init(&it, b, 12);
	assert_int_equal(mcu_rtcp_next(&it, &msg), EBADMSG);
	/* SDES item length past the end */
	b[0] = 0x81;
	b[8] = 1;
	b[9] = 200;
	mcu_rtcp_iter_init(&it, b, 12);
	assert_int_equal(mcu_rtcp_next(&it, &msg), EBADMSG);
	/* BYE with 5 ssrcs in 4 bytes, then a good PLI after it: the
	 * iterator moves on */
	memset(b, 0, sizeof(b));
	b[0] = 0x85;
	b[1] = 203;
	b[3] = 1;
	size_t off = 8;
	assert_int_equal(mcu_rtcp_write_pli(b, sizeof(b), &off, 3, 4), 0);
	mcu_rtcp_iter_init(&it, b, off);
	assert_int_equal(mcu_rtcp_next(&it, &msg), EBADMSG);
	assert_int_equal(mcu_rtcp_next(&it, &msg), 0);
	assert_int_equal(msg.type, MCU_RTCP_PLI);
	/* length field past the datagram */
	memset(b, 0, sizeof(b));
	b[0] = 0x80;
	b[1] = 201;
	b[3] = 10;
	assert_int_equal(mcu_rtcp_validate(b, 8), EBADMSG);
	/* bad version */
	b[0] = 0x40;
	b[3] = 1;
	assert_int_equal(mcu_rtcp_validate(b, 8), EBADMSG);
	/* padding in a non-final packet, and zero padding */
	b[0] = 0xa0;
	b[7] = 4;
	assert_int_equal(mcu_rtcp_validate(b, 8), 0);
	assert_int_equal(mcu_rtcp_validate(b, 16), EBADMSG);
	b[7] = 0;
	assert_int_equal(mcu_rtcp_validate(b, 8), EBADMSG);
	/* NACK without FCI, FIR with a half entry, REMB ssrc count lies */
	memset(b, 0, sizeof(b));
	b[0] = 0x81;
	b[1] = 205;
	b[3] = 2;
	mcu_rtcp_iter_init(&it, b, 12);
	assert_int_equal(mcu_rtcp_next(&it, &msg), EBADMSG);
	b[0] = 0x84;
	b[1] = 206;
	b[3] = 3;
	mcu_rtcp_iter_init(&it, b, 16);
	assert_int_equal(mcu_rtcp_next(&it, &msg), EBADMSG);
	b[0] = 0x8f;
	b[3] = 4;
	memcpy(b + 12, "REMB", 4);
	b[16] = 9;
	mcu_rtcp_iter_init(&it, b, 20);
	assert_int_equal(mcu_rtcp_next(&it, &msg), EBADMSG);
	/* another AFB (not REMB) is skipped quietly */
	memcpy(b + 12, "XXXX", 4);
	mcu_rtcp_iter_init(&it, b, 20);
	assert_int_equal(mcu_rtcp_next(&it, &msg), 0);
	assert_int_equal(msg.type, MCU_RTCP_OTHER);
	/* APP is recognised and ignored */
	memset(b, 0, sizeof(b));
	b[0] = 0x80;
	b[1] = 204;
	b[3] = 2;
	mcu_rtcp_iter_init(&it, b, 12);
	assert_int_equal(mcu_rtcp_next(&it, &msg), 0);
	assert_int_equal(msg.type, MCU_RTCP_APP);
}

static void builder_limits(void **state)
{
	uint8_t b[64];
	size_t off = 0;
	struct mcu_rtcp_rb rb[32] = {{0}};
	assert_int_equal(mcu_rtcp_write_rr(b, sizeof(b), &off, 1, rb, 32),
	                 EINVAL);
	assert_int_equal(mcu_rtcp_write_rr(b, sizeof(b), &off, 1, rb, 3),
	                 ENOSPC);
	assert_int_equal(off, 0);
	assert_int_equal(mcu_rtcp_write_sdes(b, sizeof(b), &off, 1, ""),
	                 EINVAL);
	char big[300];
	memset(big, 'x', sizeof(big) - 1);
	big[299] = 0;
	assert_int_equal(mcu_rtcp_write_sdes(b, sizeof(b), &off, 1, big),
	                 EINVAL);
	off = 60;
	assert_int_equal(mcu_rtcp_write_pli(b, sizeof(b), &off, 1, 2), ENOSPC);
	assert_int_equal(off, 60);
	off = 0;
	/* a huge REMB value round-trips to within the 18-bit mantissa */
	uint32_t s = 1;
	assert_int_equal(
	    mcu_rtcp_write_remb(b, sizeof(b), &off, 1, 123456789012ull, &s, 1),
	    0);
	struct mcu_rtcp_iter it;
	mcu_rtcp_iter_init(&it, b, off);
	assert_int_equal(mcu_rtcp_next(&it, &msg), 0);
	assert_true(msg.remb_bps <= 123456789012ull);
	assert_true(msg.remb_bps > 123456789012ull / 262144 * 262143);
	/* sdes with a 255-byte cname, exactly */
	uint8_t sb[300];
	char c255[256];
	memset(c255, 'c', 255);
	c255[255] = 0;
	off = 0;
	assert_int_equal(mcu_rtcp_write_sdes(sb, sizeof(sb), &off, 5, c255), 0);
	mcu_rtcp_iter_init(&it, sb, off);
	assert_int_equal(mcu_rtcp_next(&it, &msg), 0);
	assert_int_equal(strlen(msg.sdes[0].cname), 255);
}

static void nack_wrap_pack(void **state)
{
	uint8_t b[64];
	size_t off = 0;
	uint16_t lost[] = {65534, 65535, 0, 3};
	assert_int_equal(mcu_rtcp_write_nack(b, sizeof(b), &off, 1, 2, lost, 4),
	                 0);
	assert_int_equal(off, 16); /* one item */
	struct mcu_rtcp_iter it;
	mcu_rtcp_iter_init(&it, b, off);
	assert_int_equal(mcu_rtcp_next(&it, &msg), 0);
	uint16_t seqs[8];
	assert_int_equal(mcu_rtcp_nack_seqs(msg.nack, msg.n_nack, seqs, 8), 4);
	assert_memory_equal(seqs, lost, sizeof(lost));
	/* `max` bounds the output, the return counts all */
	assert_int_equal(mcu_rtcp_nack_seqs(msg.nack, msg.n_nack, seqs, 2), 4);
}

static void ntp_and_rtt(void **state)
{
	int64_t t = 1700000000123456ll;
	uint64_t ntp = mcu_ntp_from_unix_us(t);
	assert_int_equal(ntp >> 32, 1700000000ull + 2208988800ull);
	assert_int_equal(mcu_ntp_to_unix_us(ntp), t);
	assert_int_equal(mcu_ntp_to_unix_us(mcu_ntp_from_unix_us(0)), 0);

	/* we sent an SR at t; the peer held it 100 ms; the RR arrives at
	 * t + 130 ms: RTT 30 ms */
	uint32_t lsr = mcu_ntp_mid32(ntp);
	uint32_t dlsr = 100 * 65536 / 1000;
	uint32_t now = mcu_ntp_mid32(mcu_ntp_from_unix_us(t + 130000));
	int64_t rtt = 0;
	assert_int_equal(mcu_rtcp_rtt_us(now, lsr, dlsr, &rtt), 0);
	assert_true(rtt > 29900 && rtt < 30100);
	assert_int_equal(mcu_rtcp_rtt_us(now, 0, dlsr, &rtt), ENOENT);
	assert_int_equal(mcu_rtcp_rtt_us(now, lsr, dlsr * 2, &rtt), ERANGE);
	/* across the 16.16 wrap */
	assert_int_equal(mcu_rtcp_rtt_us(5, 0xfffffff0u, 0, &rtt), 0);
	assert_int_equal(rtt, (21 * 1000000) >> 16);
}

/* clang-format off */
const struct CMUnitTest tests[] = {
	cmocka_unit_test(roundtrip_all),
	cmocka_unit_test(truncated_everywhere),
	cmocka_unit_test(lying_counts),
	cmocka_unit_test(builder_limits),
	cmocka_unit_test(nack_wrap_pack),
	cmocka_unit_test(ntp_and_rtt),
};
/* clang-format on */

MCU_TEST_MAIN(tests, NULL, NULL)
