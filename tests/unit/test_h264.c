/* test-libs: mcu_conf mcu_transport */
/*
 * h264: packetize/depacketize roundtrips (single NAL, STAP-A, FU-A),
 * hand-made STAP-A input, lost fragments, mode 0, malformed payloads,
 * Annex-B scanning and the SPS/PPS prepend helper.
 */
#include "tests/unit/testutil.h"
#include "transport/h264.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define MAXP 8192
#define POOL (1u << 20)

struct pkts {
	unsigned n;
	size_t used;
	size_t len[MAXP];
	bool last[MAXP];
	uint8_t *data[MAXP];
	uint8_t pool[POOL];
};

static int collect(const uint8_t *p, size_t len, bool last, void *arg)
{
	struct pkts *k = arg;
	if (k->n == 0)
		k->used = 0;
	assert_true(k->n < MAXP);
	assert_true(len <= 1500);
	assert_true(k->used + len <= POOL);
	k->data[k->n] = k->pool + k->used;
	k->used += len;
	memcpy(k->data[k->n], p, len);
	k->len[k->n] = len;
	k->last[k->n] = last;
	k->n++;
	return 0;
}

/* Annex-B AU with 4-byte start codes: NALs of the given types/sizes. */
static size_t make_au(uint8_t *au, const uint8_t *types, const size_t *sizes,
                      unsigned n)
{
	size_t off = 0;
	unsigned seed = 7;
	for (unsigned i = 0; i < n; i++) {
		memcpy(au + off, "\0\0\0\1", 4);
		off += 4;
		au[off] = (uint8_t)(0x60 | types[i]);
		for (size_t j = 1; j < sizes[i]; j++) {
			seed = seed * 1103515245u + 12345u;
			uint8_t b = (uint8_t)(seed >> 16);
			au[off + j] = b < 4 ? 4 : b; /* no start-code bytes */
		}
		off += sizes[i];
	}
	return off;
}

static struct mcu_h264_depack *dep(int mode)
{
	struct mcu_h264_depack *d = NULL;
	assert_int_equal(mcu_h264_depack_alloc(&d, mode, 0), 0);
	return d;
}

/* Feed packets [0,n) except `skip`; returns the last push result. */
static int feed(struct mcu_h264_depack *d, struct pkts *k, uint16_t seq0,
                uint32_t ts, int skip, struct mcu_h264_au *au)
{
	int r = 0;
	for (unsigned i = 0; i < k->n; i++) {
		if ((int)i == skip)
			continue;
		r = mcu_h264_depack_push(d, k->data[i], k->len[i],
		                         (uint16_t)(seq0 + i), ts, k->last[i],
		                         au);
		if (!k->last[i])
			assert_int_equal(au->len, 0);
	}
	return r;
}

static void roundtrip(const uint8_t *au, size_t len, size_t mtu, bool stap,
                      unsigned want_pkts, bool key)
{
	static struct pkts k;
	struct mcu_h264_au out;
	k.n = 0;
	assert_int_equal(mcu_h264_packetize(au, len, mtu, 1, stap, collect, &k),
	                 0);
	if (want_pkts)
		assert_int_equal(k.n, want_pkts);
	for (unsigned i = 0; i < k.n; i++) {
		assert_true(k.len[i] <= mtu);
		assert_int_equal(k.last[i], i + 1 == k.n);
	}
	struct mcu_h264_depack *d = dep(1);
	assert_int_equal(feed(d, &k, 65530, 1234, -1, &out), 0);
	assert_int_equal(out.len, len);
	assert_memory_equal(out.data, au, len);
	assert_int_equal(out.ts, 1234);
	assert_int_equal(out.keyframe, key);
	d = mcu_h264_depack_free(d);
}

static void small_nals(void **state)
{
	uint8_t au[2048];
	uint8_t t[] = {7, 8, 5};
	size_t s[] = {10, 5, 500};
	size_t len = make_au(au, t, s, 3);
	roundtrip(au, len, 1200, true, 1, true);  /* one STAP-A */
	roundtrip(au, len, 1200, false, 3, true); /* three single NALs */
	roundtrip(au, len, 400, true, 3, true);   /* STAP(SPS,PPS)+FU x2 */
	uint8_t t2[] = {1};
	size_t s2[] = {900};
	len = make_au(au, t2, s2, 1);
	roundtrip(au, len, 1200, true, 1, false);
}

static void large_fu(void **state)
{
	static uint8_t au[70000];
	uint8_t t[] = {7, 8, 5, 5};
	size_t s[] = {12, 4, 5000, 60000};
	size_t len = make_au(au, t, s, 4);
	roundtrip(au, len, 1200, true, 0, true);
	roundtrip(au, len, 16, false, 0, true); /* tiny MTU */
	/* FU fragments are even: 5000-1 bytes into 1198-byte rooms */
	static struct pkts k;
	k.n = 0;
	uint8_t t1[] = {5};
	size_t s1[] = {5000};
	len = make_au(au, t1, s1, 1);
	assert_int_equal(
	    mcu_h264_packetize(au, len, 1200, 1, true, collect, &k), 0);
	assert_int_equal(k.n, 5);
	for (unsigned i = 0; i < k.n; i++) {
		assert_true(k.len[i] >= 1000 && k.len[i] <= 1200);
		assert_int_equal(k.data[i][0] & 0x1f, 28);
	}
	assert_int_equal(k.data[0][1] & 0xc0, 0x80);
	assert_int_equal(k.data[4][1] & 0xc0, 0x40);
}

static void stap_input(void **state)
{
	/* hand-made STAP-A: SPS(3) PPS(2) then single IDR */
	uint8_t stap[] = {0x78, 0, 3, 0x67, 0x42, 0x00, 0, 2, 0x68, 0xce};
	uint8_t idr[] = {0x65, 0x88, 0x84};
	uint8_t want[] = {0, 0,    0,    1, 0x67, 0x42, 0x00, 0,    0,    0,
	                  1, 0x68, 0xce, 0, 0,    0,    1,    0x65, 0x88, 0x84};
	struct mcu_h264_au au;
	struct mcu_h264_depack *d = dep(1);
	assert_int_equal(
	    mcu_h264_depack_push(d, stap, sizeof(stap), 1, 9, false, &au), 0);
	assert_int_equal(
	    mcu_h264_depack_push(d, idr, sizeof(idr), 2, 9, true, &au), 0);
	assert_int_equal(au.len, sizeof(want));
	assert_memory_equal(au.data, want, sizeof(want));
	assert_true(au.info.sps && au.info.pps && au.info.idr && au.keyframe);
	/* lying STAP-A size: malformed, AU dropped */
	uint8_t bad[] = {0x78, 0, 9, 0x67, 0x42};
	assert_int_equal(
	    mcu_h264_depack_push(d, bad, sizeof(bad), 3, 10, true, &au),
	    EBADMSG);
	assert_int_equal(au.len, 0);
	uint8_t bad0[] = {0x78, 0, 0};
	assert_int_equal(
	    mcu_h264_depack_push(d, bad0, sizeof(bad0), 4, 11, true, &au),
	    EBADMSG);
	uint8_t empty[] = {0x78};
	assert_int_equal(mcu_h264_depack_push(d, empty, 1, 5, 12, true, &au),
	                 EBADMSG);
	struct mcu_h264_depack_stats st;
	mcu_h264_depack_stats(d, &st);
	assert_int_equal(st.aus, 1);
	assert_int_equal(st.malformed, 3);
	assert_int_equal(st.dropped, 3);
	d = mcu_h264_depack_free(d);
}

static void missing_fragments(void **state)
{
	static uint8_t au[8000];
	static struct pkts k;
	struct mcu_h264_au out;
	uint8_t t[] = {5};
	size_t s[] = {5000};
	size_t len = make_au(au, t, s, 1);
	k.n = 0;
	assert_int_equal(
	    mcu_h264_packetize(au, len, 1200, 1, false, collect, &k), 0);
	struct mcu_h264_depack *d = dep(1);
	/* middle fragment lost: sequence gap */
	assert_int_equal(feed(d, &k, 100, 1, 2, &out), EPIPE);
	assert_int_equal(out.len, 0);
	/* first fragment lost (and seq contiguous from its own start) */
	assert_int_equal(feed(d, &k, 200, 2, 0, &out), EPIPE);
	/* last fragment lost: the next AU (new timestamp) reveals it */
	for (unsigned i = 0; i + 1 < k.n; i++)
		mcu_h264_depack_push(d, k.data[i], k.len[i],
		                     (uint16_t)(300 + i), 3, false, &out);
	uint8_t single[] = {0x41, 0x9a};
	assert_int_equal(mcu_h264_depack_push(d, single, 2, 305, 4, true, &out),
	                 EPIPE);
	assert_int_equal(out.len, 6); /* the new AU itself came through */
	/* an intact AU afterwards is fine */
	assert_int_equal(feed(d, &k, 400, 5, -1, &out), 0);
	assert_int_equal(out.len, len);
	/* FU start while another FU is open, S and E both set */
	uint8_t fu_s[] = {0x7c, 0x85, 1, 2};
	uint8_t fu_se[] = {0x7c, 0xc5, 1};
	mcu_h264_depack_push(d, fu_s, 4, 500, 6, false, &out);
	assert_int_equal(mcu_h264_depack_push(d, fu_s, 4, 501, 6, true, &out),
	                 EPIPE);
	assert_int_equal(mcu_h264_depack_push(d, fu_se, 3, 502, 7, true, &out),
	                 EBADMSG);
	d = mcu_h264_depack_free(d);
}

static void mode0(void **state)
{
	static uint8_t au[4000];
	static struct pkts k;
	uint8_t t[] = {7, 8, 5};
	size_t s[] = {10, 5, 2000};
	size_t len = make_au(au, t, s, 3);
	k.n = 0;
	assert_int_equal(
	    mcu_h264_packetize(au, len, 1200, 0, true, collect, &k), EMSGSIZE);
	assert_int_equal(k.n, 0); /* nothing emitted */
	s[2] = 1000;
	len = make_au(au, t, s, 3);
	assert_int_equal(
	    mcu_h264_packetize(au, len, 1200, 0, true, collect, &k), 0);
	assert_int_equal(k.n, 3); /* single NALs even though stap asked */
	struct mcu_h264_depack *d = dep(0);
	struct mcu_h264_au out;
	assert_int_equal(feed(d, &k, 1, 1, -1, &out), 0);
	assert_int_equal(out.len, len);
	uint8_t stap[] = {0x78, 0, 1, 0x67};
	assert_int_equal(mcu_h264_depack_push(d, stap, 4, 9, 2, true, &out),
	                 EBADMSG);
	uint8_t fu[] = {0x7c, 0x85, 1};
	assert_int_equal(mcu_h264_depack_push(d, fu, 3, 10, 3, true, &out),
	                 EBADMSG);
	d = mcu_h264_depack_free(d);
}

static void malformed_single(void **state)
{
	struct mcu_h264_depack *d = dep(1);
	struct mcu_h264_au out;
	uint8_t f[] = {0x85, 1};  /* forbidden bit */
	uint8_t t0[] = {0x00, 1}; /* type 0 */
	uint8_t stapb[] = {0x79, 0, 1, 0x41};
	uint8_t fub[] = {0x7d, 0x85, 0, 0, 1};
	assert_int_equal(mcu_h264_depack_push(d, f, 2, 1, 1, true, &out),
	                 EBADMSG);
	assert_int_equal(mcu_h264_depack_push(d, t0, 2, 2, 2, true, &out),
	                 EBADMSG);
	assert_int_equal(mcu_h264_depack_push(d, stapb, 4, 3, 3, true, &out),
	                 EBADMSG);
	assert_int_equal(mcu_h264_depack_push(d, fub, 5, 4, 4, true, &out),
	                 EBADMSG);
	assert_int_equal(mcu_h264_depack_push(d, NULL, 0, 5, 5, true, &out),
	                 EBADMSG);
	d = mcu_h264_depack_free(d);
	/* max_au bound */
	assert_int_equal(mcu_h264_depack_alloc(&d, 1, 100), 0);
	uint8_t big[200] = {0x41};
	assert_int_equal(mcu_h264_depack_push(d, big, 200, 1, 1, true, &out),
	                 EPIPE);
	d = mcu_h264_depack_free(d);
	assert_int_equal(mcu_h264_depack_alloc(&d, 2, 0), EINVAL);
}

/*
 * NAL types 0 and 24-31 mean STAP/MTAP/FU on the wire: sent as a single NAL
 * unit (or inside an FU-A) the receiver would read them as payload
 * structures. A received NAL holding 00 00 00 01 splits into such a "NAL"
 * when re-read as Annex-B (fuzz_h264 regress_stap_in_nal): the packetizer
 * refuses the AU before emitting anything.
 */
static void payload_types_refused(void **state)
{
	static struct pkts k;
	struct mcu_h264_au out;
	uint8_t in[] = {0x74, 0, 0, 0, 1, 0x78, 0, 1, 0x4f};
	struct mcu_h264_depack *d = dep(0);
	assert_int_equal(
	    mcu_h264_depack_push(d, in, sizeof(in), 1, 1, true, &out), 0);
	uint8_t au[] = {0, 0, 0, 1, 0x74, 0, 0, 0, 1, 0x78, 0, 1, 0x4f};
	assert_int_equal(out.len, sizeof(au));
	assert_memory_equal(out.data, au, sizeof(au));
	d = mcu_h264_depack_free(d);
	k.n = 0;
	assert_int_equal(
	    mcu_h264_packetize(au, sizeof(au), 592, 1, false, collect, &k),
	    EBADMSG);
	assert_int_equal(k.n, 0); /* nothing emitted */
	/* every such type, small (single NAL) or large (FU-A), either mode */
	static uint8_t big[2000];
	uint8_t types[] = {0, 24, 25, 26, 27, 28, 29, 30, 31};
	for (unsigned i = 0; i < sizeof(types); i++) {
		uint8_t t[] = {1, types[i]};
		size_t s[] = {10, 5};
		size_t len = make_au(big, t, s, 2);
		for (int mode = 0; mode <= 1; mode++)
			assert_int_equal(mcu_h264_packetize(big, len, 1200,
			                                    mode, true, collect,
			                                    &k),
			                 EBADMSG);
		s[1] = 1500;
		len = make_au(big, t, s, 2);
		assert_int_equal(
		    mcu_h264_packetize(big, len, 1200, 1, false, collect, &k),
		    EBADMSG);
		assert_int_equal(k.n, 0);
	}
}

static void annexb(void **state)
{
	/* 3- and 4-byte start codes, trailing zeros, empty NAL, leading junk */
	uint8_t b[] = {9, 0, 0, 1, 0x67, 1, 0, 0,    0, 0, 1, 0x68, 2,
	               0, 0, 0, 1, 0,    0, 1, 0x65, 0, 0, 3, 1};
	size_t off = 0, n;
	const uint8_t *nal;
	assert_int_equal(mcu_h264_nal_next(b, sizeof(b), &off, &nal, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(nal[0], 0x67);
	assert_int_equal(mcu_h264_nal_next(b, sizeof(b), &off, &nal, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(nal[0], 0x68);
	assert_int_equal(mcu_h264_nal_next(b, sizeof(b), &off, &nal, &n), 0);
	assert_int_equal(n, 5); /* emulation prevention 00 00 03 kept */
	assert_int_equal(nal[0], 0x65);
	assert_int_equal(mcu_h264_nal_next(b, sizeof(b), &off, &nal, &n),
	                 ENOENT);
	struct mcu_h264_info info;
	mcu_h264_info(b, sizeof(b), &info);
	assert_true(info.sps && info.pps && info.idr);
	uint8_t none[] = {1, 2, 3, 0, 0};
	static struct pkts k;
	k.n = 0;
	assert_int_equal(
	    mcu_h264_packetize(none, 5, 1200, 1, true, collect, &k), ENOENT);
	assert_int_equal(
	    mcu_h264_packetize(b, sizeof(b), 15, 1, true, collect, &k), EINVAL);
}

static void prepend_params(void **state)
{
	struct mcu_h264_params p = {0};
	uint8_t key[64], out[128];
	size_t olen;
	uint8_t t[] = {7, 8, 5};
	size_t s[] = {9, 4, 20};
	size_t klen = make_au(key, t, s, 3);
	uint8_t idr_only[] = {0, 0, 0, 1, 0x65, 1, 2, 3};
	uint8_t delta[] = {0, 0, 0, 1, 0x41, 1, 2, 3};
	assert_int_equal(
	    mcu_h264_params_prepend(&p, idr_only, 8, out, sizeof(out), &olen),
	    ENOENT);
	mcu_h264_params_update(&p, key, klen);
	assert_int_equal(p.sps_len, 9);
	assert_int_equal(p.pps_len, 4);
	assert_int_equal(
	    mcu_h264_params_prepend(&p, key, klen, out, sizeof(out), &olen),
	    EALREADY);
	assert_int_equal(
	    mcu_h264_params_prepend(&p, delta, 8, out, sizeof(out), &olen),
	    EALREADY);
	assert_int_equal(
	    mcu_h264_params_prepend(&p, idr_only, 8, out, 20, &olen), ENOSPC);
	assert_int_equal(
	    mcu_h264_params_prepend(&p, idr_only, 8, out, sizeof(out), &olen),
	    0);
	assert_int_equal(olen, 8 + 9 + 4 + 8);
	assert_memory_equal(out, key, 4 + 9 + 4 + 4); /* SPS, PPS first */
	assert_memory_equal(out + olen - 8, idr_only, 8);
	struct mcu_h264_info info;
	mcu_h264_info(out, olen, &info);
	assert_true(info.sps && info.pps && info.idr);
}

static void random_roundtrips(void **state)
{
	static uint8_t au[40000];
	unsigned seed = 99;
	for (int iter = 0; iter < 60; iter++) {
		uint8_t t[6] = {0};
		size_t s[6] = {0};
		unsigned n = 1 + iter % 6;
		for (unsigned i = 0; i < n; i++) {
			seed = seed * 1103515245u + 12345u;
			t[i] = (uint8_t)(1 + (seed >> 8) % 23);
			s[i] = 1 + (seed >> 12) % 6000;
		}
		size_t len = make_au(au, t, s, n);
		struct mcu_h264_info info;
		mcu_h264_info(au, len, &info);
		roundtrip(au, len, 100 + (seed >> 4) % 1300, iter % 2, 0,
		          info.idr);
	}
}

/* clang-format off */
const struct CMUnitTest tests[] = {
	cmocka_unit_test(small_nals),
	cmocka_unit_test(large_fu),
	cmocka_unit_test(stap_input),
	cmocka_unit_test(missing_fragments),
	cmocka_unit_test(mode0),
	cmocka_unit_test(malformed_single),
	cmocka_unit_test(payload_types_refused),
	cmocka_unit_test(annexb),
	cmocka_unit_test(prepend_params),
	cmocka_unit_test(random_roundtrips),
};
/* clang-format on */

MCU_TEST_MAIN(tests, NULL, NULL)
