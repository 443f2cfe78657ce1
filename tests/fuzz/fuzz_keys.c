/*
 * fuzz_keys: the keypad interpreter (mcu/dtmf.h) against the key map as
 * its header documents it. Keys arrive from the network (RFC 4733 events,
 * SIP INFO bodies), so any key at any time is possible.
 *
 * Input: [role:1] (bit 0: host) then records [key:1][dt:1]: key byte % 20
 * picks one of "0123456789*#ABCD", or the raw byte itself; dt bits 0-6
 * times 50 ms is the time to the key, backwards when bit 7 is set (a
 * clock step back).
 *
 * The reference below reads the whole key history, not a state machine:
 * a key right after a live `*` (less than 3000 ms, time not gone back)
 * is a `*` command; a host's `#` acts on the run of digits before it,
 * cut at any non-digit, at a digit that answered a live `*`, and at an
 * idle gap of 5000 ms or more; more than 8 digits spoil the run.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mcu/dtmf.h"

/* Not assert(): it must hold in NDEBUG builds too. */
#define CHECK(x)                                                               \
	do {                                                                   \
		if (!(x))                                                      \
			abort();                                               \
	} while (0)

#define MAX_KEYS 4096

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char keys[MAX_KEYS];
static int64_t at[MAX_KEYS];

static bool star_live(size_t i)
{
	if (i == 0)
		return false;
	return keys[i - 1] == '*' && at[i] >= at[i - 1] &&
	       at[i] - at[i - 1] < MCU_DTMF_KEYS_STAR_MS;
}

static bool idle_before(size_t j)
{
	if (j == 0)
		return false;
	return at[j] > at[j - 1] && at[j] - at[j - 1] >= MCU_DTMF_KEYS_IDLE_MS;
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static struct mcu_dtmf_cmd expect(bool host, size_t i)
{
	struct mcu_dtmf_cmd c = {MCU_DTMF_ACT_NONE, 0};
	char key = keys[i];

	if (key == '*')
		return c;
	if (star_live(i)) {
		if (key == '1' && !host)
			c.action = MCU_DTMF_ACT_FLOOR_REQUEST;
		else if (key == '0' && !host)
			c.action = MCU_DTMF_ACT_FLOOR_WITHDRAW;
		else if (key == '9')
			c.action = MCU_DTMF_ACT_INCIDENT_REPORT;
		else if (key == '6')
			c.action = MCU_DTMF_ACT_SELF_MUTE_TOGGLE;
		return c;
	}
	if (!host || key != '#' || idle_before(i))
		return c;
	/* The digit run before the `#`. */
	size_t from = i;
	while (from > 0 && is_digit(keys[from - 1])) {
		size_t j = from - 1;
		if (star_live(j))
			break; /* that digit answered a `*` */
		from = j;
		if (idle_before(j))
			break; /* the buffer was emptied before this digit */
	}
	size_t n = i - from;
	const char *d = keys + from;
	if (n == 0 || n > MCU_DTMF_KEYS_MAX)
		return c;
	unsigned v = 0;
	for (size_t k = 1; k < n; k++)
		v = v * 10 + (unsigned)(d[k] - '0');
	switch (d[0]) {
	case '1':
		if (n == 1)
			c.action = MCU_DTMF_ACT_GRANT;
		else if (v >= 1) {
			c.action = MCU_DTMF_ACT_GRANT;
			c.arg = v - 1;
		}
		break;
	case '3':
		if (n > 1) {
			c.action = MCU_DTMF_ACT_LAYOUT_PRESET;
			c.arg = v;
		}
		break;
	case '2':
	case '4':
	case '5':
	case '0':
		if (n == 1)
			c.action = d[0] == '2'   ? MCU_DTMF_ACT_REVOKE
			           : d[0] == '4' ? MCU_DTMF_ACT_TOUR_NEXT
			           : d[0] == '5' ? MCU_DTMF_ACT_TOUR_PREV
			                         : MCU_DTMF_ACT_QUEUE_CLEAR;
		break;
	default:
		break;
	}
	return c;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char map[] = "0123456789*#ABCD";
	struct mcu_dtmf_keys k;
	int64_t now = 1000000;

	if (size < 1)
		return 0;
	bool host = data[0] & 1;
	mcu_dtmf_keys_init(&k, host);
	size_t n = 0;
	for (size_t off = 1; size - off >= 2 && n < MAX_KEYS; off += 2, n++) {
		uint8_t kb = data[off], dt = data[off + 1];
		keys[n] = kb % 20 < 16 ? map[kb % 20] : (char)kb;
		int64_t step = (int64_t)(dt & 0x7f) * 50;
		now += (dt & 0x80) ? -step : step;
		at[n] = now;

		struct mcu_dtmf_cmd cmd;
		bool got = mcu_dtmf_keys_feed(&k, keys[n], now, &cmd);
		struct mcu_dtmf_cmd want = expect(host, n);
		CHECK(got == (cmd.action != MCU_DTMF_ACT_NONE));
		CHECK(cmd.action == want.action && cmd.arg == want.arg);
		const char *name = mcu_dtmf_action_name(cmd.action);
		CHECK(name && strcmp(name, "?") != 0);
	}
	return 0;
}
