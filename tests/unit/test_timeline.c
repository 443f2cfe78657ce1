/* test-libs: mcu_core mcu_conf */
#include "tests/unit/testutil.h"
#include "mcu/timeline.h"

#include <stdlib.h>
#include <string.h>

static struct mcu_conf_meeting meeting(time_t start, time_t end, bool test,
                                       time_t ts, time_t te)
{
	struct mcu_conf_meeting m;
	memset(&m, 0, sizeof(m));
	m.start = start;
	m.end = end;
	m.has_test_run = test;
	m.test_start = ts;
	m.test_end = te;
	return m;
}

static void states_follow_times(void **state)
{
	struct mcu_conf_meeting m = meeting(1000, 2000, true, 100, 200);
	(void)state;
	assert_int_equal(mcu_timeline_state(&m, 50), MCU_MEETING_SCHEDULED);
	assert_int_equal(mcu_timeline_state(&m, 100), MCU_MEETING_TEST_RUN);
	assert_int_equal(mcu_timeline_state(&m, 199), MCU_MEETING_TEST_RUN);
	assert_int_equal(mcu_timeline_state(&m, 200), MCU_MEETING_SCHEDULED);
	assert_int_equal(mcu_timeline_state(&m, 1000), MCU_MEETING_LIVE);
	assert_int_equal(mcu_timeline_state(&m, 1999), MCU_MEETING_LIVE);
	assert_int_equal(mcu_timeline_state(&m, 2000), MCU_MEETING_ENDED);
	assert_string_equal(mcu_timeline_state_name(MCU_MEETING_TEST_RUN),
	                    "test-run");
}

static void events_sorted_from_now(void **state)
{
	struct mcu_conf_meeting ms[2] = {
		meeting(5000, 6000, true, 1000, 2000),
		meeting(3000, 4000, false, 0, 0),
	};
	struct mcu_conf conf;
	struct mcu_timeline_event *ev = NULL;
	size_t n = 0;
	(void)state;
	memset(&conf, 0, sizeof(conf));
	conf.meetings = ms;
	conf.n_meetings = 2;

	assert_int_equal(mcu_timeline_events(&conf, 1500, &ev, &n), 0);
	/* test start (1000) is past; then 2000 te, 3000 s1, 4000 e1, 5000, 6000 */
	assert_int_equal(n, 5);
	assert_int_equal(ev[0].at, 2000);
	assert_int_equal(ev[0].kind, MCU_EVENT_TEST_END);
	assert_int_equal(ev[1].meeting, 1);
	assert_int_equal(ev[1].kind, MCU_EVENT_START);
	assert_int_equal(ev[4].at, 6000);
	assert_int_equal(ev[4].kind, MCU_EVENT_END);
	free(ev);
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(states_follow_times),
	cmocka_unit_test(events_sorted_from_now),
};
MCU_TEST_MAIN(tests, NULL, NULL)
