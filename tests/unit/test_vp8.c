/* test-libs: mcu_conf mcu_transport */
/*
 * vp8: descriptor variants and truncations, key-frame detection,
 * packetize/depacketize roundtrips, lost first packet and gaps.
 */
#include "tests/unit/testutil.h"
#include "transport/vp8.h"

#include <errno.h>
#include <string.h>

#define MAXP 512

static struct {
	unsigned n;
	size_t len[MAXP];
	bool last[MAXP];
	uint8_t data[MAXP][1300];
} k;

static int collect(const uint8_t *p, size_t len, bool last, void *arg)
{
	assert_true(k.n < MAXP);
	assert_true(len <= 1300);
	memcpy(k.data[k.n], p, len);
	k.len[k.n] = len;
	k.last[k.n] = last;
	k.n++;
	return 0;
}

static size_t make_frame(uint8_t *f, size_t len, bool key)
{
	for (size_t i = 0; i < len; i++)
		f[i] = (uint8_t)(i * 7 + 3);
	f[0] = key ? 0x10 : 0x11; /* P bit */
	if (key) {
		f[3] = 0x9d;
		f[4] = 0x01;
		f[5] = 0x2a;
		f[6] = 640 & 0xff;
		f[7] = 640 >> 8;
		f[8] = 360 & 0xff;
		f[9] = 360 >> 8 | 0x40; /* scale bits ignored */
	}
	return len;
}

static void desc_variants(void **state)
{
	struct mcu_vp8_desc cases[] = {
	    {.s = true},
	    {.n = true, .pid = 7},
	    {.has_picid = true, .picid = 100},
	    {.has_picid = true, .picid = 100, .picid16 = true},
	    {.has_picid = true, .picid = 0x7fff},
	    {.has_tl0 = true, .tl0picidx = 200},
	    {.has_tid = true, .tid = 2, .y = true},
	    {.has_keyidx = true, .keyidx = 31},
	    {.has_picid = true,
	     .picid = 300,
	     .has_tl0 = true,
	     .tl0picidx = 9,
	     .has_tid = true,
	     .tid = 3,
	     .has_keyidx = true,
	     .keyidx = 5,
	     .s = true,
	     .pid = 1},
	};
	size_t want_len[] = {1, 1, 3, 4, 4, 3, 3, 3, 6};
	for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint8_t b[16];
		size_t n;
		struct mcu_vp8_desc p;
		assert_int_equal(
		    mcu_vp8_desc_write(b, sizeof(b), &cases[i], &n), 0);
		assert_int_equal(n, want_len[i]);
		b[n] = 0xaa; /* one payload byte */
		assert_int_equal(mcu_vp8_desc_parse(&p, b, n + 1), 0);
		assert_int_equal(p.len, n);
		assert_int_equal(p.s, cases[i].s);
		assert_int_equal(p.n, cases[i].n);
		assert_int_equal(p.pid, cases[i].pid);
		assert_int_equal(p.has_picid, cases[i].has_picid);
		assert_int_equal(p.picid, cases[i].picid);
		assert_int_equal(p.tl0picidx, cases[i].tl0picidx);
		assert_int_equal(p.tid, cases[i].tid);
		assert_int_equal(p.y, cases[i].y);
		assert_int_equal(p.keyidx, cases[i].keyidx);
		/* every truncation is refused (nothing after the descriptor) */
		for (size_t cut = 0; cut <= n; cut++)
			assert_int_equal(mcu_vp8_desc_parse(&p, b, cut),
			                 EBADMSG);
	}
	struct mcu_vp8_desc bad = {.pid = 8};
	uint8_t b[8];
	size_t n;
	assert_int_equal(mcu_vp8_desc_write(b, sizeof(b), &bad, &n), EINVAL);
	struct mcu_vp8_desc big = {.has_picid = true, .picid = 0x8000};
	assert_int_equal(mcu_vp8_desc_write(b, sizeof(b), &big, &n), EINVAL);
	/* no descriptor: refused, not read (cppcheck found it read first) */
	assert_int_equal(mcu_vp8_desc_write(b, sizeof(b), NULL, &n), EINVAL);
	struct mcu_vp8_desc all = {
	    .has_picid = true, .picid = 300, .has_tl0 = true, .has_tid = true};
	assert_int_equal(mcu_vp8_desc_write(b, 3, &all, &n), ENOSPC);
}

static void frame_info(void **state)
{
	uint8_t f[32];
	struct mcu_vp8_info info;
	make_frame(f, sizeof(f), true);
	assert_int_equal(mcu_vp8_frame_info(f, sizeof(f), &info), 0);
	assert_true(info.keyframe);
	assert_int_equal(info.width, 640);
	assert_int_equal(info.height, 360);
	make_frame(f, sizeof(f), false);
	assert_int_equal(mcu_vp8_frame_info(f, sizeof(f), &info), 0);
	assert_false(info.keyframe);
	make_frame(f, sizeof(f), true);
	f[4] = 0;
	assert_int_equal(mcu_vp8_frame_info(f, sizeof(f), &info), EBADMSG);
	assert_int_equal(mcu_vp8_frame_info(f, 2, &info), EBADMSG);
	make_frame(f, sizeof(f), true);
	assert_int_equal(mcu_vp8_frame_info(f, 9, &info), EBADMSG);
}

static struct mcu_vp8_depack *dep(void)
{
	struct mcu_vp8_depack *d = NULL;
	assert_int_equal(mcu_vp8_depack_alloc(&d, 0), 0);
	return d;
}

static int feed(struct mcu_vp8_depack *d, uint16_t seq0, uint32_t ts, int skip,
                struct mcu_vp8_frame *fr)
{
	int r = 0;
	for (unsigned i = 0; i < k.n; i++) {
		if ((int)i == skip)
			continue;
		r = mcu_vp8_depack_push(d, k.data[i], k.len[i],
		                        (uint16_t)(seq0 + i), ts, k.last[i],
		                        fr);
	}
	return r;
}

static void roundtrip(void **state)
{
	static uint8_t f[60000];
	struct mcu_vp8_frame fr;
	struct mcu_vp8_desc t = {
	    .has_picid = true, .picid = 1234, .has_tl0 = true, .tl0picidx = 7};
	size_t sizes[] = {10, 1000, 1188, 1189, 5000, 60000};
	struct mcu_vp8_depack *d = dep();
	for (unsigned i = 0; i < 6; i++) {
		size_t len = make_frame(f, sizes[i], i % 2 == 0);
		k.n = 0;
		assert_int_equal(
		    mcu_vp8_packetize(f, len, 1200, &t, collect, NULL), 0);
		for (unsigned j = 0; j < k.n; j++) {
			struct mcu_vp8_desc p;
			assert_true(k.len[j] <= 1200);
			assert_int_equal(
			    mcu_vp8_desc_parse(&p, k.data[j], k.len[j]), 0);
			assert_int_equal(p.s, j == 0);
			assert_int_equal(p.picid, 1234);
			assert_int_equal(k.last[j], j + 1 == k.n);
		}
		assert_int_equal(
		    feed(d, (uint16_t)(65500 + i * 100), i * 3000, -1, &fr), 0);
		assert_int_equal(fr.len, len);
		assert_memory_equal(fr.data, f, len);
		assert_int_equal(fr.info.keyframe, i % 2 == 0);
		assert_true(fr.has_picid);
		assert_int_equal(fr.picid, 1234);
	}
	d = mcu_vp8_depack_free(d);
	assert_int_equal(mcu_vp8_packetize(f, 10, 3, &t, collect, NULL),
	                 EINVAL);
}

static void losses(void **state)
{
	static uint8_t f[5000];
	struct mcu_vp8_frame fr;
	size_t len = make_frame(f, sizeof(f), true);
	struct mcu_vp8_depack *d = dep();
	k.n = 0;
	assert_int_equal(mcu_vp8_packetize(f, len, 1200, NULL, collect, NULL),
	                 0);
	assert_true(k.n >= 3);
	assert_int_equal(feed(d, 10, 1, 0, &fr), EPIPE); /* first lost */
	assert_int_equal(fr.len, 0);
	assert_int_equal(feed(d, 20, 2, 1, &fr), EPIPE); /* gap */
	/* last lost: the next timestamp drops it, the next frame is fine */
	for (unsigned i = 0; i + 1 < k.n; i++)
		mcu_vp8_depack_push(d, k.data[i], k.len[i], (uint16_t)(30 + i),
		                    3, false, &fr);
	assert_int_equal(
	    mcu_vp8_depack_push(d, k.data[0], k.len[0], 40, 4, false, &fr),
	    EPIPE);
	for (unsigned i = 1; i < k.n; i++)
		assert_int_equal(mcu_vp8_depack_push(d, k.data[i], k.len[i],
		                                     (uint16_t)(40 + i), 4,
		                                     k.last[i], &fr),
		                 0);
	assert_int_equal(fr.len, len);
	/* malformed: descriptor only */
	uint8_t only[] = {0x90, 0x80};
	assert_int_equal(mcu_vp8_depack_push(d, only, 2, 50, 5, true, &fr),
	                 EBADMSG);
	/* a key frame with a broken start code is refused */
	f[3] = 0;
	k.n = 0;
	mcu_vp8_packetize(f, 100, 1200, NULL, collect, NULL);
	assert_int_equal(feed(d, 60, 6, -1, &fr), EBADMSG);
	d = mcu_vp8_depack_free(d);
}

/* clang-format off */
const struct CMUnitTest tests[] = {
	cmocka_unit_test(desc_variants),
	cmocka_unit_test(frame_info),
	cmocka_unit_test(roundtrip),
	cmocka_unit_test(losses),
};
/* clang-format on */

MCU_TEST_MAIN(tests, NULL, NULL)
