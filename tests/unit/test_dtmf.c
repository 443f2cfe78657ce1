/* test-libs: mcu_conf mcu_transport */
/*
 * dtmf: RFC 4733 parse/write, one key per press with repeated end
 * packets, updates, long-press segments, non-key events, bad payloads.
 */
#include "tests/unit/testutil.h"
#include "transport/dtmf.h"

#include <errno.h>
#include <string.h>

static int put(struct mcu_dtmf_rx *rx, uint8_t event, bool end, uint16_t dur,
               uint32_t ts, char *key)
{
	uint8_t b[4];
	struct mcu_dtmf_event ev = {
	    .event = event, .end = end, .volume = 10, .duration = dur};
	assert_int_equal(mcu_dtmf_write(b, sizeof(b), &ev), 0);
	return mcu_dtmf_rx_put(rx, b, sizeof(b), ts, key);
}

static void parse_write(void **state)
{
	uint8_t b[4] = {11, 0x80 | 0x3f, 0x12, 0x34};
	struct mcu_dtmf_event ev;
	assert_int_equal(mcu_dtmf_parse(b, 4, &ev), 0);
	assert_int_equal(ev.event, 11);
	assert_true(ev.end);
	assert_int_equal(ev.volume, 63);
	assert_int_equal(ev.duration, 0x1234);
	uint8_t w[4];
	assert_int_equal(mcu_dtmf_write(w, 4, &ev), 0);
	assert_memory_equal(w, b, 4);
	b[1] = 0xff; /* the R bit is ignored */
	assert_int_equal(mcu_dtmf_parse(b, 4, &ev), 0);
	assert_int_equal(ev.volume, 63);
	for (size_t i = 0; i < 4; i++)
		assert_int_equal(mcu_dtmf_parse(b, i, &ev), EBADMSG);
	assert_int_equal(mcu_dtmf_write(w, 3, &ev), ENOSPC);
	ev.volume = 64;
	assert_int_equal(mcu_dtmf_write(w, 4, &ev), EINVAL);
	const char *keys = "0123456789*#ABCD";
	for (uint8_t e = 0; e < 16; e++)
		assert_int_equal(mcu_dtmf_key(e), keys[e]);
	assert_int_equal(mcu_dtmf_key(16), 0);
}

static void one_key_per_press(void **state)
{
	struct mcu_dtmf_rx rx;
	char key = 0;
	mcu_dtmf_rx_init(&rx);
	/* press "5": start, 2 updates, end x3 */
	assert_int_equal(put(&rx, 5, false, 160, 1000, &key), 0);
	assert_int_equal(key, '5');
	assert_int_equal(put(&rx, 5, false, 320, 1000, &key), EALREADY);
	assert_int_equal(put(&rx, 5, false, 480, 1000, &key), EALREADY);
	for (int i = 0; i < 3; i++)
		assert_int_equal(put(&rx, 5, true, 800, 1000, &key), EALREADY);
	/* the same digit again is a new press (new timestamp) */
	key = 0;
	assert_int_equal(put(&rx, 5, false, 160, 9000, &key), 0);
	assert_int_equal(key, '5');
	assert_int_equal(put(&rx, 5, true, 640, 9000, &key), EALREADY);
	/* start packets lost: the first end packet still delivers */
	key = 0;
	assert_int_equal(put(&rx, 11, true, 640, 20000, &key), 0);
	assert_int_equal(key, '#');
	assert_int_equal(put(&rx, 11, true, 640, 20000, &key), EALREADY);
	assert_int_equal(put(&rx, 11, true, 640, 20000, &key), EALREADY);
	/* A-D */
	assert_int_equal(put(&rx, 15, false, 160, 30000, &key), 0);
	assert_int_equal(key, 'D');
}

static void long_press_segments(void **state)
{
	struct mcu_dtmf_rx rx;
	char key = 0;
	mcu_dtmf_rx_init(&rx);
	assert_int_equal(put(&rx, 1, false, 0xfff0, 100, &key), 0);
	assert_int_equal(put(&rx, 1, false, 0xffff, 100, &key), EALREADY);
	/* next segment starts 0xffff later, same event, no end seen */
	assert_int_equal(put(&rx, 1, false, 400, 100 + 0xffff, &key), EALREADY);
	assert_int_equal(put(&rx, 1, true, 800, 100 + 0xffff, &key), EALREADY);
	/* after the end, the same digit at a later timestamp is new */
	assert_int_equal(put(&rx, 1, false, 160, 100 + 0xffff + 2000, &key), 0);
}

static void non_keys_and_junk(void **state)
{
	struct mcu_dtmf_rx rx;
	char key = 'x';
	mcu_dtmf_rx_init(&rx);
	assert_int_equal(put(&rx, 16, false, 160, 5, &key),
	                 ENOTSUP); /* flash */
	assert_int_equal(put(&rx, 16, true, 320, 5, &key), EALREADY);
	uint8_t b[3] = {1, 0, 0};
	assert_int_equal(mcu_dtmf_rx_put(&rx, b, 3, 6, &key), EBADMSG);
	assert_int_equal(mcu_dtmf_rx_put(&rx, NULL, 0, 6, &key), EBADMSG);
	/* trailing extra bytes (redundant blocks) are tolerated */
	uint8_t two[8] = {2, 0, 0, 160, 2, 0x80, 1, 64};
	assert_int_equal(mcu_dtmf_rx_put(&rx, two, 8, 7, &key), 0);
	assert_int_equal(key, '2');
}

/* clang-format off */
const struct CMUnitTest tests[] = {
	cmocka_unit_test(parse_write),
	cmocka_unit_test(one_key_per_press),
	cmocka_unit_test(long_press_segments),
	cmocka_unit_test(non_keys_and_junk),
};
/* clang-format on */

MCU_TEST_MAIN(tests, NULL, NULL)
