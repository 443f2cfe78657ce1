/*
 * Keypad interpreter. Two small machines share one key stream: the `*`
 * machine (any role: `*` arms it, the next key within the window is the
 * command) and the host's digit buffer (digits until `#`). `*` always
 * wins: it aborts a half-typed host command, so a host who lost track can
 * start over with `*` as well as by waiting. A spoiled (overflowed)
 * buffer stays spoiled until `#`, `*` or the idle timeout, so that the
 * tail of a long mistyped string cannot turn into a valid command.
 */
#include "mcu/dtmf.h"

#include <string.h>

void mcu_dtmf_keys_init(struct mcu_dtmf_keys *k, bool host)
{
	if (!k)
		return;
	memset(k, 0, sizeof(*k));
	k->host = host;
}

static void clear_buf(struct mcu_dtmf_keys *k)
{
	k->len = 0;
	k->spoiled = false;
}

static bool set(struct mcu_dtmf_cmd *cmd, enum mcu_dtmf_action a, unsigned arg)
{
	cmd->action = a;
	cmd->arg = arg;
	return a != MCU_DTMF_ACT_NONE;
}

static enum mcu_dtmf_action star_action(bool host, char key)
{
	switch (key) {
	case '1':
		return host ? MCU_DTMF_ACT_NONE : MCU_DTMF_ACT_FLOOR_REQUEST;
	case '0':
		return host ? MCU_DTMF_ACT_NONE : MCU_DTMF_ACT_FLOOR_WITHDRAW;
	case '9':
		return MCU_DTMF_ACT_INCIDENT_REPORT;
	case '6':
		return MCU_DTMF_ACT_SELF_MUTE_TOGGLE;
	default:
		return MCU_DTMF_ACT_NONE;
	}
}

/* Decimal digits buf[from..len) as a number; false when empty or too
   long to be meant (more than 7 digits cannot happen: the buffer holds 8
   keys with the command digit). */
static bool number(const struct mcu_dtmf_keys *k, size_t from, unsigned *out)
{
	unsigned v = 0;
	if (from >= k->len)
		return false;
	for (size_t i = from; i < k->len; i++)
		v = v * 10 + (unsigned)(k->buf[i] - '0');
	*out = v;
	return true;
}

/* The host pressed `#` after buf. */
static bool host_command(const struct mcu_dtmf_keys *k,
                         struct mcu_dtmf_cmd *cmd)
{
	unsigned n;

	if (k->spoiled || k->len == 0)
		return false;
	switch (k->buf[0]) {
	case '1':
		if (k->len == 1)
			return set(cmd, MCU_DTMF_ACT_GRANT, 0);
		if (number(k, 1, &n) && n >= 1)
			return set(cmd, MCU_DTMF_ACT_GRANT, n - 1);
		return false;
	case '3':
		if (number(k, 1, &n))
			return set(cmd, MCU_DTMF_ACT_LAYOUT_PRESET, n);
		return false;
	case '2':
	case '4':
	case '5':
	case '0':
		if (k->len != 1)
			return false;
		return set(cmd,
		           k->buf[0] == '2'   ? MCU_DTMF_ACT_REVOKE
		           : k->buf[0] == '4' ? MCU_DTMF_ACT_TOUR_NEXT
		           : k->buf[0] == '5' ? MCU_DTMF_ACT_TOUR_PREV
		                              : MCU_DTMF_ACT_QUEUE_CLEAR,
		           0);
	default:
		return false;
	}
}

bool mcu_dtmf_keys_feed(struct mcu_dtmf_keys *k, char key, int64_t now_ms,
                        struct mcu_dtmf_cmd *cmd)
{
	struct mcu_dtmf_cmd dummy;
	bool star_live;

	if (!cmd)
		cmd = &dummy;
	set(cmd, MCU_DTMF_ACT_NONE, 0);
	if (!k)
		return false;

	/* time may only move forward; a clock step back counts as no gap */
	int64_t gap =
	    k->have_last && now_ms > k->last_at ? now_ms - k->last_at : 0;
	if (k->have_last && gap >= MCU_DTMF_KEYS_IDLE_MS)
		clear_buf(k);
	star_live = k->star && now_ms - k->star_at < MCU_DTMF_KEYS_STAR_MS &&
	            now_ms >= k->star_at;
	k->star = false;
	k->have_last = true;
	k->last_at = now_ms;

	if (key == '*') {
		k->star = true;
		k->star_at = now_ms;
		clear_buf(k);
		return false;
	}
	if (star_live)
		return set(cmd, star_action(k->host, key), 0);
	if (!k->host)
		return false;
	if (key >= '0' && key <= '9') {
		if (k->len < MCU_DTMF_KEYS_MAX)
			k->buf[k->len++] = key;
		else
			k->spoiled = true;
		return false;
	}
	if (key == '#') {
		bool done = host_command(k, cmd);
		clear_buf(k);
		return done;
	}
	/* A-D or anything else: the command being typed is void */
	clear_buf(k);
	return false;
}

const char *mcu_dtmf_action_name(enum mcu_dtmf_action action)
{
	static const char *const names[] = {
	    "none",
	    "floor-request",
	    "floor-withdraw",
	    "incident-report",
	    "self-mute-toggle",
	    "grant",
	    "revoke",
	    "layout-preset",
	    "tour-next",
	    "tour-prev",
	    "queue-clear",
	};
	return (unsigned)action < sizeof(names) / sizeof(names[0])
	           ? names[action]
	           : "?";
}
