/* test-libs: mcu_conf mcu_transport */
/*
 * audiofmt: Opus packet rules R1-R7 of RFC 6716, G.711/G.722 lengths and
 * the G.722 clock-rate quirk.
 */
#include "tests/unit/testutil.h"
#include "transport/audiofmt.h"

#include <errno.h>
#include <string.h>

static struct mcu_audiofmt_info info;

static int opus(const uint8_t *p, size_t len)
{
	return mcu_audiofmt_check(MCU_AUDIOFMT_OPUS, p, len, &info);
}

static void opus_codes(void **state)
{
	static uint8_t b[4000];
	memset(b, 0x55, sizeof(b));
	/* code 0, CELT FB 20 ms (config 31), stereo */
	b[0] = (uint8_t)(31 << 3 | 0x04);
	assert_int_equal(opus(b, 100), 0);
	assert_int_equal(info.frames, 1);
	assert_int_equal(info.samples, 960);
	assert_int_equal(info.ts_advance, 960);
	assert_true(info.stereo);
	assert_int_equal(opus(b, 1), 0);              /* DTX: TOC only */
	assert_int_equal(opus(b, 0), EBADMSG);        /* R1 */
	assert_int_equal(opus(b, 1 + 1276), EBADMSG); /* R2 */
	/* code 1: two equal frames, SILK 60 ms (config 3) */
	b[0] = 3 << 3 | 1;
	assert_int_equal(opus(b, 11), 0);
	assert_int_equal(info.samples, 2 * 2880);
	assert_int_equal(opus(b, 10), EBADMSG); /* R3 odd */
	/* code 2: first frame length 5, second the rest */
	b[0] = 16 << 3 | 2; /* CELT 2.5 ms */
	b[1] = 5;
	assert_int_equal(opus(b, 2 + 5 + 7), 0);
	assert_int_equal(info.samples, 240);
	assert_int_equal(opus(b, 2 + 4), EBADMSG); /* R4 */
	b[1] = 252; /* two-byte length needs a second byte */
	assert_int_equal(opus(b, 2), EBADMSG);
	b[2] = 1; /* 252 + 4 = 256 */
	assert_int_equal(opus(b, 3 + 256 + 10), 0);
	assert_int_equal(opus(b, 3 + 255), EBADMSG);
}

static void opus_code3(void **state)
{
	static uint8_t b[4000];
	memset(b, 0, sizeof(b));
	b[0] = 19 << 3 | 3; /* CELT 20 ms */
	/* CBR, 3 frames of 10 bytes */
	b[1] = 3;
	assert_int_equal(opus(b, 2 + 30), 0);
	assert_int_equal(info.frames, 3);
	assert_int_equal(info.samples, 2880);
	assert_int_equal(opus(b, 2 + 31), EBADMSG); /* not a multiple */
	b[1] = 0;
	assert_int_equal(opus(b, 2), EBADMSG); /* R5: M = 0 */
	b[1] = 7;
	assert_int_equal(opus(b, 2 + 70), EBADMSG); /* R5: 140 ms */
	assert_int_equal(opus(b, 1), EBADMSG);
	/* CBR with padding 254 + 10 = 264 bytes */
	b[1] = 0x40 | 2;
	b[2] = 255;
	b[3] = 10;
	assert_int_equal(opus(b, 4 + 20 + 264), 0);
	assert_int_equal(opus(b, 4 + 264 - 1), EBADMSG); /* R6/R7 */
	b[2] = 255;
	b[3] = 255;
	assert_int_equal(opus(b, 4), EBADMSG); /* pad runs off */
	/* VBR: 3 frames, lengths 4 and 6, last 5 */
	memset(b + 1, 0, 100);
	b[1] = 0x80 | 3;
	b[2] = 4;
	b[3] = 6;
	assert_int_equal(opus(b, 4 + 4 + 6 + 5), 0);
	assert_int_equal(opus(b, 4 + 4 + 5), EBADMSG); /* sum too big */
	b[2] = 253;
	assert_int_equal(opus(b, 3), EBADMSG); /* length cut */
}

static void g711_g722(void **state)
{
	uint8_t b[2000] = {0};
	assert_int_equal(mcu_audiofmt_check(MCU_AUDIOFMT_PCMU, b, 160, &info),
	                 0);
	assert_int_equal(info.samples, 160);
	assert_int_equal(info.ts_advance, 160);
	assert_int_equal(mcu_audiofmt_check(MCU_AUDIOFMT_PCMA, b, 0, &info),
	                 EBADMSG);
	assert_int_equal(mcu_audiofmt_check(MCU_AUDIOFMT_PCMA, b, 1601, &info),
	                 EBADMSG);
	/* G.722: 20 ms = 160 bytes = 320 samples at 16 kHz, but the RTP
	 * timestamp advances by 160 (8 kHz clock) */
	assert_int_equal(mcu_audiofmt_check(MCU_AUDIOFMT_G722, b, 160, &info),
	                 0);
	assert_int_equal(info.samples, 320);
	assert_int_equal(info.ts_advance, 160);
	assert_int_equal(mcu_audiofmt_rtp_clock(MCU_AUDIOFMT_G722), 8000);
	assert_int_equal(mcu_audiofmt_sample_rate(MCU_AUDIOFMT_G722), 16000);
	assert_int_equal(mcu_audiofmt_rtp_clock(MCU_AUDIOFMT_OPUS), 48000);
	assert_int_equal(mcu_audiofmt_bytes_for_ms(MCU_AUDIOFMT_G722, 20), 160);
	assert_int_equal(mcu_audiofmt_check(9, b, 10, &info), EINVAL);
	assert_int_equal(mcu_audiofmt_check(MCU_AUDIOFMT_PCMU, NULL, 10, &info),
	                 EBADMSG);
}

/* clang-format off */
const struct CMUnitTest tests[] = {
	cmocka_unit_test(opus_codes),
	cmocka_unit_test(opus_code3),
	cmocka_unit_test(g711_g722),
};
/* clang-format on */

MCU_TEST_MAIN(tests, NULL, NULL)
