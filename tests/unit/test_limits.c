/* test-libs: mcu_core mcu_conf */
#include "tests/unit/testutil.h"

#include "mcu/limits.h"
#include "mcu/metrics.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

static void check_call_caps(void **state)
{
	struct mcu_conf_limits caps = {
	    .participants_per_meeting = 2, .calls = 5, .decoders = 0};
	struct mcu_limits_use u = {0, 0};
	(void)state;

	assert_int_equal(mcu_limits_check_call(&caps, &u), MCU_LIMIT_NONE);
	u.participants = 1;
	u.calls = 4;
	assert_int_equal(mcu_limits_check_call(&caps, &u), MCU_LIMIT_NONE);
	u.participants = 2; /* a third one */
	assert_int_equal(mcu_limits_check_call(&caps, &u),
	                 MCU_LIMIT_PARTICIPANTS);
	u.participants = 1;
	u.calls = 5;
	assert_int_equal(mcu_limits_check_call(&caps, &u), MCU_LIMIT_CALLS);
	u.participants = 9; /* both: the meeting's cap is named */
	assert_int_equal(mcu_limits_check_call(&caps, &u),
	                 MCU_LIMIT_PARTICIPANTS);
	/* 0: no cap */
	caps.participants_per_meeting = 0;
	caps.calls = 0;
	u.participants = 100000;
	u.calls = 100000;
	assert_int_equal(mcu_limits_check_call(&caps, &u), MCU_LIMIT_NONE);
	assert_int_equal(mcu_limits_check_call(NULL, &u), MCU_LIMIT_NONE);
	assert_int_equal(mcu_limits_check_call(&caps, NULL), MCU_LIMIT_NONE);
}

static void names_and_caps(void **state)
{
	struct mcu_conf_limits caps = {7, 8, 9};
	(void)state;
	assert_string_equal(mcu_limits_name(MCU_LIMIT_PARTICIPANTS),
	                    "participants_per_meeting");
	assert_string_equal(mcu_limits_name(MCU_LIMIT_CALLS), "calls");
	assert_string_equal(mcu_limits_name(MCU_LIMIT_DECODERS), "decoders");
	assert_string_equal(mcu_limits_name((enum mcu_limit)42), "none");
	assert_int_equal(mcu_limits_cap(&caps, MCU_LIMIT_PARTICIPANTS), 7);
	assert_int_equal(mcu_limits_cap(&caps, MCU_LIMIT_CALLS), 8);
	assert_int_equal(mcu_limits_cap(&caps, MCU_LIMIT_DECODERS), 9);
	assert_int_equal(mcu_limits_cap(&caps, MCU_LIMIT_NONE), 0);
	assert_int_equal(mcu_limits_cap(NULL, MCU_LIMIT_CALLS), 0);
}

static void budget_shared(void **state)
{
	size_t used = 0, a = 0, b = 0;
	(void)state;

	/* a takes 6 of 10, b wants 6: gets 4 */
	assert_int_equal(mcu_limits_budget_take(&used, 10, &a, 6), 6);
	assert_int_equal(mcu_limits_budget_take(&used, 10, &b, 6), 4);
	assert_int_equal(used, 10);
	assert_int_equal(b, 4);
	/* a keeps its 6 when it asks again (b cannot starve it) */
	assert_int_equal(mcu_limits_budget_take(&used, 10, &a, 6), 6);
	/* a shrinks to 2: b can grow to 6 */
	assert_int_equal(mcu_limits_budget_take(&used, 10, &a, 2), 2);
	assert_int_equal(mcu_limits_budget_take(&used, 10, &b, 9), 8);
	assert_int_equal(used, 10);
	/* a gives back; the cap lowered by a reload to 5: b is cut to 5 */
	assert_int_equal(mcu_limits_budget_take(&used, 10, &a, 0), 0);
	assert_int_equal(mcu_limits_budget_take(&used, 5, &b, 9), 5);
	assert_int_equal(used, 5);
	/* no cap */
	assert_int_equal(mcu_limits_budget_take(&used, 0, &a, 1000), 1000);
	assert_int_equal(used, 1005);
	/* over the cap already (lowered): a new holder gets nothing */
	size_t c = 0;
	assert_int_equal(mcu_limits_budget_take(&used, 8, &c, 3), 0);
	assert_int_equal(c, 0);
	assert_int_equal(used, 1005);
	/* a holder whose count exceeds the total (cannot happen) is clamped */
	size_t used2 = 1, d = 5;
	assert_int_equal(mcu_limits_budget_take(&used2, 3, &d, 2), 2);
	assert_int_equal(used2, 2);
}

struct racer {
	size_t held;
	size_t max_seen;
};

static size_t g_race_used;

static void *race(void *arg)
{
	struct racer *r = arg;
	for (int i = 0; i < 20000; i++) {
		size_t g = mcu_limits_budget_take(&g_race_used, 16, &r->held,
		                                  (size_t)(i % 12));
		if (g > r->max_seen)
			r->max_seen = g;
	}
	mcu_limits_budget_take(&g_race_used, 16, &r->held, 0);
	return NULL;
}

/* Four holders racing never exceed the cap together and give all back. */
static void budget_threads(void **state)
{
	pthread_t t[4];
	struct racer r[4];
	(void)state;
	memset(r, 0, sizeof(r));
	g_race_used = 0;
	for (int i = 0; i < 4; i++)
		assert_int_equal(pthread_create(&t[i], NULL, race, &r[i]), 0);
	for (int i = 0; i < 4; i++)
		assert_int_equal(pthread_join(t[i], NULL), 0);
	assert_int_equal(__atomic_load_n(&g_race_used, __ATOMIC_SEQ_CST), 0);
	for (int i = 0; i < 4; i++)
		assert_true(r[i].max_seen <= 11);
}

static void decoders_budget_and_json(void **state)
{
	struct mcu_conf_limits caps = {120, 250, 3};
	size_t room1 = 0, room2 = 0;
	(void)state;

	mcu_limits_reset();
	assert_int_equal(mcu_limits_decoders_take(3, &room1, 2), 2);
	assert_int_equal(mcu_limits_decoders_take(3, &room2, 2), 1);
	mcu_limits_note_calls(7, 4);
	mcu_limits_refused(MCU_LIMIT_PARTICIPANTS, 120, "m", "e", "dial-in");
	mcu_limits_refused(MCU_LIMIT_PARTICIPANTS, 120, "m", "e", "dial-in");
	mcu_limits_refused(MCU_LIMIT_NONE, 0, "m", "e", "dial-in");

	json_t *j = mcu_limits_json(&caps);
	assert_non_null(j);
	json_t *p = json_object_get(j, "participants_per_meeting");
	assert_int_equal(json_integer_value(json_object_get(p, "max")), 120);
	assert_int_equal(json_integer_value(json_object_get(p, "used")), 4);
	json_t *c = json_object_get(j, "calls");
	assert_int_equal(json_integer_value(json_object_get(c, "max")), 250);
	assert_int_equal(json_integer_value(json_object_get(c, "used")), 7);
	json_t *d = json_object_get(j, "decoders");
	assert_int_equal(json_integer_value(json_object_get(d, "max")), 3);
	assert_int_equal(json_integer_value(json_object_get(d, "used")), 3);
	json_t *r = json_object_get(j, "refused");
	assert_int_equal(
	    json_integer_value(json_object_get(r, "participants_per_meeting")),
	    2);
	assert_int_equal(json_integer_value(json_object_get(r, "calls")), 0);
	json_decref(j);

	/* NULL caps: the configured ones (json configured them above) */
	j = mcu_limits_json(NULL);
	c = json_object_get(j, "calls");
	assert_int_equal(json_integer_value(json_object_get(c, "max")), 250);
	json_decref(j);

	/* rooms give their share back */
	mcu_limits_decoders_take(3, &room1, 0);
	mcu_limits_decoders_take(3, &room2, 0);
	j = mcu_limits_json(&caps);
	d = json_object_get(j, "decoders");
	assert_int_equal(json_integer_value(json_object_get(d, "used")), 0);
	json_decref(j);
	mcu_limits_reset();
}

static void metrics_exposed(void **state)
{
	struct mcu_metrics *m = NULL;
	struct mcu_conf_limits caps = {2, 250, 64};
	size_t held = 0;
	char *text = NULL;
	size_t len = 0;
	(void)state;

	mcu_limits_reset();
	assert_int_equal(mcu_metrics_alloc(&m), 0);
	assert_int_equal(mcu_limits_metrics_register(m), 0);
	assert_int_equal(mcu_limits_metrics_register(m), EEXIST);
	assert_int_equal(mcu_limits_metrics_register(NULL), EINVAL);
	mcu_limits_configure(&caps);
	mcu_limits_decoders_take(64, &held, 5);
	mcu_limits_note_calls(2, 2);
	mcu_limits_refused(MCU_LIMIT_PARTICIPANTS, 2, "m", "e", "dial-in");
	assert_int_equal(mcu_metrics_render(m, &text, &len), 0);
	assert_non_null(strstr(text, "mcu_limit{limit=\"participants_per_"
	                             "meeting\"} 2\n"));
	assert_non_null(strstr(text, "mcu_limit{limit=\"decoders\"} 64\n"));
	assert_non_null(strstr(text, "mcu_limit_used{limit=\"decoders\"} 5\n"));
	assert_non_null(strstr(text, "mcu_limit_used{limit=\"calls\"} 2\n"));
	assert_non_null(strstr(text,
	                       "mcu_limit_refused_total{limit=\"participants_"
	                       "per_meeting\"} 1\n"));
	free(text);
	/* a second render does not count the refusal twice */
	mcu_limits_refused(MCU_LIMIT_PARTICIPANTS, 2, "m", "e", "dial-in");
	assert_int_equal(mcu_metrics_render(m, &text, &len), 0);
	assert_non_null(strstr(text,
	                       "mcu_limit_refused_total{limit=\"participants_"
	                       "per_meeting\"} 2\n"));
	free(text);
	mcu_limits_decoders_take(64, &held, 0);
	m = mcu_metrics_free(m);
	mcu_limits_reset();
}

const struct CMUnitTest tests[] = {
    cmocka_unit_test(check_call_caps),
    cmocka_unit_test(names_and_caps),
    cmocka_unit_test(budget_shared),
    cmocka_unit_test(budget_threads),
    cmocka_unit_test(decoders_budget_and_json),
    cmocka_unit_test(metrics_exposed),
};

MCU_TEST_MAIN(tests, NULL, NULL)
