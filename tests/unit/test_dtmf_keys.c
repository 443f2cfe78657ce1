/* test-libs: mcu_core */
/*
 * dtmf_keys (mcu/dtmf): the keypad map of a meeting: branch `*` commands,
 * host `#` commands, the 3 s `*` window and the 5 s idle limit at their
 * boundaries, host-only commands ignored for branches, buffer overflow,
 * `*` aborting a host command, unknown keys. (test_dtmf.c is the RFC 4733
 * packet layer of transport/.)
 */
#include "tests/unit/testutil.h"
#include "mcu/dtmf.h"

#include <string.h>

/* Feed `keys` one per `step` ms from `t`; return the last key's command
   and assert that no earlier key produced one. */
static struct mcu_dtmf_cmd type(struct mcu_dtmf_keys *k, const char *keys,
                                int64_t t, int64_t step)
{
	struct mcu_dtmf_cmd c = {0};
	size_t n = strlen(keys);
	for (size_t i = 0; i < n; i++) {
		bool got =
		    mcu_dtmf_keys_feed(k, keys[i], t + (int64_t)i * step, &c);
		assert_int_equal(got, c.action != MCU_DTMF_ACT_NONE);
		if (i + 1 < n)
			assert_int_equal(c.action, MCU_DTMF_ACT_NONE);
	}
	return c;
}

static void expect(struct mcu_dtmf_keys *k, const char *keys, int64_t t,
                   enum mcu_dtmf_action a, unsigned arg)
{
	struct mcu_dtmf_cmd c = type(k, keys, t, 100);
	assert_string_equal(mcu_dtmf_action_name(c.action),
	                    mcu_dtmf_action_name(a));
	assert_int_equal(c.arg, arg);
}

static void branch_star_commands(void **state)
{
	struct mcu_dtmf_keys k;
	(void)state;
	mcu_dtmf_keys_init(&k, false);
	expect(&k, "*1", 0, MCU_DTMF_ACT_FLOOR_REQUEST, 0);
	expect(&k, "*0", 1000, MCU_DTMF_ACT_FLOOR_WITHDRAW, 0);
	expect(&k, "*9", 2000, MCU_DTMF_ACT_INCIDENT_REPORT, 0);
	expect(&k, "*6", 3000, MCU_DTMF_ACT_SELF_MUTE_TOGGLE, 0);
	expect(&k, "*5", 4000, MCU_DTMF_ACT_NONE, 0);
	expect(&k, "*#", 5000, MCU_DTMF_ACT_NONE, 0);
	expect(&k, "1", 6000, MCU_DTMF_ACT_NONE, 0);
	/* the key after a command is not a `*` command again */
	struct mcu_dtmf_cmd c;
	assert_false(mcu_dtmf_keys_feed(&k, '*', 7000, &c));
	assert_true(mcu_dtmf_keys_feed(&k, '1', 7100, &c));
	assert_false(mcu_dtmf_keys_feed(&k, '1', 7200, &c));
	/* `**1`: the second `*` re-arms */
	expect(&k, "**1", 8000, MCU_DTMF_ACT_FLOOR_REQUEST, 0);
}

static void star_window_3s(void **state)
{
	struct mcu_dtmf_keys k;
	struct mcu_dtmf_cmd c;
	(void)state;
	mcu_dtmf_keys_init(&k, false);
	assert_false(mcu_dtmf_keys_feed(&k, '*', 0, &c));
	assert_true(mcu_dtmf_keys_feed(&k, '1', 2999, &c));
	assert_int_equal(c.action, MCU_DTMF_ACT_FLOOR_REQUEST);

	assert_false(mcu_dtmf_keys_feed(&k, '*', 10000, &c));
	assert_false(mcu_dtmf_keys_feed(&k, '1', 13000, &c)); /* too late */
	assert_int_equal(c.action, MCU_DTMF_ACT_NONE);
	assert_false(mcu_dtmf_keys_feed(&k, '1', 13001, &c));

	/* a `*` 2.5 s after the first one counts from itself */
	assert_false(mcu_dtmf_keys_feed(&k, '*', 20000, &c));
	assert_false(mcu_dtmf_keys_feed(&k, '*', 22500, &c));
	assert_true(mcu_dtmf_keys_feed(&k, '0', 25000, &c));
	assert_int_equal(c.action, MCU_DTMF_ACT_FLOOR_WITHDRAW);

	/* a clock that steps back does not validate a stale `*` */
	assert_false(mcu_dtmf_keys_feed(&k, '*', 40000, &c));
	assert_false(mcu_dtmf_keys_feed(&k, '1', 39000, &c));
}

static void host_commands(void **state)
{
	struct mcu_dtmf_keys k;
	(void)state;
	mcu_dtmf_keys_init(&k, true);
	expect(&k, "1#", 0, MCU_DTMF_ACT_GRANT, 0);
	expect(&k, "11#", 1000, MCU_DTMF_ACT_GRANT, 0);
	expect(&k, "12#", 2000, MCU_DTMF_ACT_GRANT, 1);
	expect(&k, "125#", 3000, MCU_DTMF_ACT_GRANT, 24);
	expect(&k, "10#", 4000, MCU_DTMF_ACT_NONE, 0);
	expect(&k, "2#", 5000, MCU_DTMF_ACT_REVOKE, 0);
	expect(&k, "34#", 6000, MCU_DTMF_ACT_LAYOUT_PRESET, 4);
	expect(&k, "30#", 7000, MCU_DTMF_ACT_LAYOUT_PRESET, 0);
	expect(&k, "312#", 8000, MCU_DTMF_ACT_LAYOUT_PRESET, 12);
	expect(&k, "3#", 9000, MCU_DTMF_ACT_NONE, 0);
	expect(&k, "4#", 10000, MCU_DTMF_ACT_TOUR_NEXT, 0);
	expect(&k, "5#", 11000, MCU_DTMF_ACT_TOUR_PREV, 0);
	expect(&k, "0#", 12000, MCU_DTMF_ACT_QUEUE_CLEAR, 0);
	expect(&k, "21#", 13000, MCU_DTMF_ACT_NONE, 0);
	expect(&k, "44#", 14000, MCU_DTMF_ACT_NONE, 0);
	expect(&k, "7#", 15000, MCU_DTMF_ACT_NONE, 0);
	expect(&k, "#", 16000, MCU_DTMF_ACT_NONE, 0);
	expect(&k, "##", 17000, MCU_DTMF_ACT_NONE, 0);
	/* `#` ends a command: the next one starts empty */
	expect(&k, "7#2#", 18000, MCU_DTMF_ACT_REVOKE, 0);
}

static void host_star_commands(void **state)
{
	struct mcu_dtmf_keys k;
	(void)state;
	mcu_dtmf_keys_init(&k, true);
	expect(&k, "*9", 0, MCU_DTMF_ACT_INCIDENT_REPORT, 0);
	expect(&k, "*6", 1000, MCU_DTMF_ACT_SELF_MUTE_TOGGLE, 0);
	/* the floor keys are for branches */
	expect(&k, "*1", 2000, MCU_DTMF_ACT_NONE, 0);
	expect(&k, "*0", 3000, MCU_DTMF_ACT_NONE, 0);
	/* and the consumed key does not start a host command */
	expect(&k, "*2#", 4000, MCU_DTMF_ACT_NONE, 0);
	/* a `*` past its window: the digit is a host digit again */
	struct mcu_dtmf_cmd c;
	assert_false(mcu_dtmf_keys_feed(&k, '*', 10000, &c));
	assert_false(mcu_dtmf_keys_feed(&k, '2', 13500, &c));
	assert_true(mcu_dtmf_keys_feed(&k, '#', 13600, &c));
	assert_int_equal(c.action, MCU_DTMF_ACT_REVOKE);
}

static void host_only_ignored_for_branch(void **state)
{
	struct mcu_dtmf_keys k;
	(void)state;
	mcu_dtmf_keys_init(&k, false);
	expect(&k, "1#", 0, MCU_DTMF_ACT_NONE, 0);
	expect(&k, "12#", 1000, MCU_DTMF_ACT_NONE, 0);
	expect(&k, "2#", 2000, MCU_DTMF_ACT_NONE, 0);
	expect(&k, "34#", 3000, MCU_DTMF_ACT_NONE, 0);
	expect(&k, "4#", 4000, MCU_DTMF_ACT_NONE, 0);
	expect(&k, "0#", 5000, MCU_DTMF_ACT_NONE, 0);
	/* the branch's own commands still work after that */
	expect(&k, "*1", 6000, MCU_DTMF_ACT_FLOOR_REQUEST, 0);
}

static void host_idle_5s(void **state)
{
	struct mcu_dtmf_keys k;
	struct mcu_dtmf_cmd c;
	(void)state;
	mcu_dtmf_keys_init(&k, true);
	/* 4999 ms between keys: one command */
	assert_false(mcu_dtmf_keys_feed(&k, '1', 0, &c));
	assert_false(mcu_dtmf_keys_feed(&k, '2', 4999, &c));
	assert_true(mcu_dtmf_keys_feed(&k, '#', 9998, &c));
	assert_int_equal(c.action, MCU_DTMF_ACT_GRANT);
	assert_int_equal(c.arg, 1);
	/* 5000 ms: the `1` is forgotten, `2#` revokes */
	assert_false(mcu_dtmf_keys_feed(&k, '1', 20000, &c));
	assert_false(mcu_dtmf_keys_feed(&k, '2', 25000, &c));
	assert_true(mcu_dtmf_keys_feed(&k, '#', 25100, &c));
	assert_int_equal(c.action, MCU_DTMF_ACT_REVOKE);
	/* a `#` long after the digits finds an empty buffer */
	assert_false(mcu_dtmf_keys_feed(&k, '4', 30000, &c));
	assert_false(mcu_dtmf_keys_feed(&k, '#', 36000, &c));
}

static void host_buffer_overflow(void **state)
{
	struct mcu_dtmf_keys k;
	(void)state;
	mcu_dtmf_keys_init(&k, true);
	/* 8 digits fit */
	expect(&k, "10000002#", 0, MCU_DTMF_ACT_GRANT, 1);
	expect(&k, "39999999#", 10000, MCU_DTMF_ACT_LAYOUT_PRESET, 9999999);
	/* a ninth spoils the command, even if its tail looks valid */
	expect(&k, "999999912#", 20000, MCU_DTMF_ACT_NONE, 0);
	expect(&k, "2222222222222222222222#", 30000, MCU_DTMF_ACT_NONE, 0);
	/* and `#` starts afresh */
	expect(&k, "2#", 40000, MCU_DTMF_ACT_REVOKE, 0);
	/* so does the idle limit */
	expect(&k, "999999999", 50000, MCU_DTMF_ACT_NONE, 0);
	expect(&k, "4#", 60000, MCU_DTMF_ACT_TOUR_NEXT, 0);
}

static void star_aborts_host_command(void **state)
{
	struct mcu_dtmf_keys k;
	(void)state;
	mcu_dtmf_keys_init(&k, true);
	expect(&k, "3*9", 0, MCU_DTMF_ACT_INCIDENT_REPORT, 0);
	/* not "35#" */
	expect(&k, "5#", 1000, MCU_DTMF_ACT_TOUR_PREV, 0);
	expect(&k, "12*", 2000, MCU_DTMF_ACT_NONE, 0);
	expect(&k, "#", 6000, MCU_DTMF_ACT_NONE, 0);
}

static void unknown_keys(void **state)
{
	struct mcu_dtmf_keys k;
	struct mcu_dtmf_cmd c;
	(void)state;
	mcu_dtmf_keys_init(&k, true);
	expect(&k, "1A#", 0, MCU_DTMF_ACT_NONE, 0);
	expect(&k, "2x#", 1000, MCU_DTMF_ACT_NONE, 0);
	expect(&k, "*D", 2000, MCU_DTMF_ACT_NONE, 0);
	assert_false(mcu_dtmf_keys_feed(&k, '\0', 3000, &c));
	assert_false(mcu_dtmf_keys_feed(&k, (char)0xff, 3100, &c));
	expect(&k, "2#", 4000, MCU_DTMF_ACT_REVOKE, 0);
	mcu_dtmf_keys_init(&k, false);
	expect(&k, "*B", 0, MCU_DTMF_ACT_NONE, 0);
	/* NULL arguments are harmless */
	assert_false(mcu_dtmf_keys_feed(NULL, '1', 0, &c));
	assert_int_equal(c.action, MCU_DTMF_ACT_NONE);
	assert_false(mcu_dtmf_keys_feed(&k, '*', 0, NULL));
	assert_true(mcu_dtmf_keys_feed(&k, '1', 10, NULL));
	assert_string_equal(mcu_dtmf_action_name(MCU_DTMF_ACT_QUEUE_CLEAR),
	                    "queue-clear");
	assert_string_equal(mcu_dtmf_action_name((enum mcu_dtmf_action)99),
	                    "?");
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(branch_star_commands),
    cmocka_unit_test(star_window_3s),
    cmocka_unit_test(host_commands),
    cmocka_unit_test(host_star_commands),
    cmocka_unit_test(host_only_ignored_for_branch),
    cmocka_unit_test(host_idle_5s),
    cmocka_unit_test(host_buffer_overflow),
    cmocka_unit_test(star_aborts_host_command),
    cmocka_unit_test(unknown_keys),
};
MCU_TEST_MAIN(tests, NULL, NULL)
