/* test-libs: mcu_core mcu_conf */
#include "tests/unit/testutil.h"
#include "mcu/overrides.h"
#include "mcu/registers.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static struct mcu_conf_meeting meeting(char *id, time_t start, time_t end)
{
	struct mcu_conf_meeting m;
	memset(&m, 0, sizeof(m));
	m.id = id;
	m.start = start;
	m.end = end;
	return m;
}

static struct mcu_override ovr(const char *id)
{
	struct mcu_override o;
	memset(&o, 0, sizeof(o));
	snprintf(o.id, sizeof(o.id), "%s", id);
	return o;
}

/* Started early: live from then until the (extended) end, actual start
   shown; planned times kept. */
static void early_start_and_extend(void **state)
{
	struct mcu_conf_meeting m = meeting("m", 10000, 13600);
	struct mcu_override o = ovr("m");
	struct mcu_override_times t;
	(void)state;

	assert_int_equal(mcu_override_state(NULL, &m, 8200),
	                 MCU_MEETING_SCHEDULED);
	assert_true(mcu_override_may_start(NULL, &m, 8200));
	o.start = true;
	o.started_at = 8200;
	assert_int_equal(mcu_override_state(&o, &m, 8200), MCU_MEETING_LIVE);
	assert_false(mcu_override_may_start(&o, &m, 8300));
	mcu_override_times(&o, &m, &t);
	assert_int_equal(t.start, 8200);
	assert_int_equal(t.end, 13600);
	assert_int_equal(t.planned_start, 10000);
	assert_int_equal(t.planned_end, 13600);
	assert_true(t.started_early);
	assert_false(t.stopped);

	o.extend = 15;
	mcu_override_times(&o, &m, &t);
	assert_int_equal(t.end, 13600 + 900);
	assert_int_equal(t.planned_end, 13600);
	assert_int_equal(t.extend, 15);
	assert_int_equal(mcu_override_state(&o, &m, 13600 + 899),
	                 MCU_MEETING_LIVE);
	assert_int_equal(mcu_override_state(&o, &m, 13600 + 900),
	                 MCU_MEETING_ENDED);
	assert_false(mcu_override_may_start(&o, &m, 13600 + 900));

	/* a start after the planned start is no early start */
	o.started_at = 10500;
	mcu_override_times(&o, &m, &t);
	assert_int_equal(t.start, 10000);
	assert_false(t.started_early);
}

/* Stopped: ended at once, end shown as the stop; a start within the
   window undoes it, none after the window. */
static void stop_then_start_again(void **state)
{
	struct mcu_conf_meeting m = meeting("m", 10000, 13600);
	struct mcu_override o = ovr("m");
	struct mcu_override_times t;
	(void)state;

	o.stop = true;
	o.stopped_at = 11000;
	assert_int_equal(mcu_override_state(&o, &m, 11000), MCU_MEETING_ENDED);
	mcu_override_times(&o, &m, &t);
	assert_true(t.stopped);
	assert_int_equal(t.end, 11000);
	assert_int_equal(t.planned_end, 13600);
	assert_true(mcu_override_may_start(&o, &m, 11001));
	assert_true(mcu_override_may_start(&o, &m, 13599));
	assert_false(mcu_override_may_start(&o, &m, 13600));
	/* extended: the window is longer */
	o.extend = 10;
	assert_true(mcu_override_may_start(&o, &m, 13600 + 599));
	assert_false(mcu_override_may_start(&o, &m, 13600 + 600));
	/* an ended meeting nobody stopped stays ended */
	assert_false(mcu_override_may_start(NULL, &m, 13600));
}

/* The set: apply, the file written atomically, read back after a
   "restart", entries of other or long-ended meetings dropped. */
static void set_persists_and_reloads(void **state)
{
	char dir[] = "/tmp/mcu-ovr-XXXXXX", path[256], tmp[300];
	struct mcu_conf_meeting ms[2] = {meeting("a", 10000, 13600),
	                                 meeting("b", 1000, 2000)};
	struct mcu_conf conf;
	struct mcu_overrides *s = NULL;
	struct mcu_override o;
	size_t kept = 99;
	(void)state;

	memset(&conf, 0, sizeof(conf));
	conf.meetings = ms;
	conf.n_meetings = 2;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/overrides.json", dir);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);

	assert_int_equal(mcu_overrides_alloc(&s, path), 0);
	/* no file yet */
	assert_int_equal(mcu_overrides_load(s, &conf, 9000, &kept), 0);
	assert_int_equal(kept, 0);
	assert_false(mcu_overrides_get(s, "a", &o));
	assert_int_equal(mcu_overrides_apply(s, "a", MCU_OVERRIDE_START, 0,
	                                     8200),
	                 0);
	assert_int_equal(mcu_overrides_apply(s, "a", MCU_OVERRIDE_EXTEND, 15,
	                                     8300),
	                 0);
	assert_int_equal(mcu_overrides_apply(s, "b", MCU_OVERRIDE_STOP, 0,
	                                     1500),
	                 0);
	assert_int_equal(mcu_overrides_apply(s, "gone", MCU_OVERRIDE_EXTEND,
	                                     5, 1500),
	                 0);
	assert_int_equal(mcu_overrides_apply(s, "a", MCU_OVERRIDE_EXTEND, 0,
	                                     8300),
	                 EINVAL);
	assert_int_equal(access(tmp, F_OK), -1); /* renamed away */
	s = mcu_overrides_free(s);

	/* a restart: "a" is kept, "gone" left the roster, "b" ended long
	   ago (its end + a day is before now) */
	assert_int_equal(mcu_overrides_alloc(&s, path), 0);
	assert_int_equal(mcu_overrides_load(s, &conf, 9000 + 86400, &kept), 0);
	assert_int_equal(kept, 1);
	assert_true(mcu_overrides_get(s, "a", &o));
	assert_true(o.start);
	assert_int_equal(o.started_at, 8200);
	assert_int_equal(o.extend, 15);
	assert_false(mcu_overrides_get(s, "b", &o));
	assert_false(mcu_overrides_get(s, "gone", &o));
	/* stop and start again: the stop is cleared, the first start kept */
	assert_int_equal(mcu_overrides_apply(s, "a", MCU_OVERRIDE_STOP, 0,
	                                     10100),
	                 0);
	assert_true(mcu_overrides_get(s, "a", &o));
	assert_true(o.stop);
	assert_int_equal(mcu_overrides_apply(s, "a", MCU_OVERRIDE_START, 0,
	                                     10200),
	                 0);
	assert_true(mcu_overrides_get(s, "a", &o));
	assert_false(o.stop);
	assert_int_equal(o.started_at, 8200);
	/* the extension total is bounded */
	for (unsigned i = 0; i < MCU_OVERRIDES_MAX_EXTEND / 1440; i++)
		mcu_overrides_apply(s, "a", MCU_OVERRIDE_EXTEND, 1440, 10300);
	assert_int_equal(mcu_overrides_apply(s, "a", MCU_OVERRIDE_EXTEND,
	                                     1440, 10300),
	                 ERANGE);
	s = mcu_overrides_free(s);

	/* the rewritten file no longer holds the dropped entries */
	assert_int_equal(mcu_overrides_alloc(&s, path), 0);
	assert_int_equal(mcu_overrides_load(s, &conf, 0, &kept), 0);
	assert_int_equal(kept, 1);
	s = mcu_overrides_free(s);

	/* a file that is not ours: refused, the set stays empty */
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs("{\"overrides\": 3}", f);
	fclose(f);
	assert_int_equal(mcu_overrides_alloc(&s, path), 0);
	assert_int_equal(mcu_overrides_load(s, &conf, 9000, &kept), EINVAL);
	assert_false(mcu_overrides_get(s, "a", &o));
	s = mcu_overrides_free(s);
	unlink(path);
	rmdir(dir);
}

/* Hostile files: bad fields skip their entry, duplicates keep the
   first, and the document round-trips. */
static void parse_is_strict(void **state)
{
	static const char doc[] =
		"{\"version\":1,\"overrides\":["
		"{\"meeting\":\"ok\",\"start\":true,\"started_at\":5},"
		"{\"meeting\":\"ok\",\"stop\":true},"
		"{\"meeting\":\"neg\",\"extend_minutes\":-5},"
		"{\"meeting\":\"big\",\"extend_minutes\":99999999},"
		"{\"meeting\":\"str\",\"start\":\"yes\"},"
		"{\"meeting\":\"\",\"stop\":true},"
		"{\"meeting\":\"none\"},"
		"7, null, {\"start\":true},"
		"{\"meeting\":\"ext\",\"extend_minutes\":30}]}";
	struct mcu_override *v = NULL, *w = NULL;
	size_t n = 0, n2 = 0;
	char *text;
	(void)state;

	assert_int_equal(mcu_overrides_parse(doc, strlen(doc), &v, &n), 0);
	assert_int_equal(n, 2);
	assert_string_equal(v[0].id, "ok");
	assert_true(v[0].start);
	assert_false(v[0].stop);
	assert_int_equal(v[0].started_at, 5);
	assert_string_equal(v[1].id, "ext");
	assert_int_equal(v[1].extend, 30);
	text = mcu_overrides_dump(v, n);
	assert_non_null(text);
	assert_int_equal(mcu_overrides_parse(text, strlen(text), &w, &n2), 0);
	assert_int_equal(n2, 2);
	assert_memory_equal(v, w, 2 * sizeof(*v));
	free(text);
	free(v);
	free(w);

	static const char *const bad[] = {
		"", "[]", "{\"version\":2,\"overrides\":[]}",
		"{\"version\":1}", "{\"version\":1,\"overrides\":[]", "\x01",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(mcu_overrides_parse(bad[i], strlen(bad[i]), &v,
		                                     &n),
		                 EINVAL);
}

/* The meeting register without `from`: the half-year so far. */
static void logbook_default_range(void **state)
{
	const char *why = NULL;
	time_t f, t;
	(void)state;

	assert_int_equal(mcu_conf_apply_timezone("Asia/Ho_Chi_Minh"), 0);
	/* 2026-11-29 12:00 +07:00 -> 2026-07-01 .. 2026-11-30 (local) */
	time_t now = 1795910400 - 7 * 3600 + 12 * 3600;
	assert_int_equal(mcu_registers_default_range(NULL, now, &f, &t, &why),
	                 0);
	assert_int_equal(f, 1782864000 - 7 * 3600);
	assert_int_equal(t, 1795910400 - 7 * 3600 + 86400);
	/* 2027-03-05 -> 2027-01-01 .. 2027-03-06 */
	assert_int_equal(
		mcu_registers_default_range("2027-03-05", now, &f, &t, &why),
		0);
	assert_int_equal(f, 1798761600 - 7 * 3600);
	assert_int_equal(t - f, (31 + 28 + 5) * 86400);
	/* 1 January and 30 June are in the first half, 1 July in the
	   second */
	assert_int_equal(
		mcu_registers_default_range("2027-01-01", now, &f, &t, &why),
		0);
	assert_int_equal(t - f, 86400);
	assert_int_equal(
		mcu_registers_default_range("2027-06-30", now, &f, &t, &why),
		0);
	assert_int_equal(t - f, 181 * 86400);
	assert_int_equal(
		mcu_registers_default_range("2027-07-01", now, &f, &t, &why),
		0);
	assert_int_equal(t - f, 86400);
	why = NULL;
	assert_int_equal(
		mcu_registers_default_range("2027-02-30", now, &f, &t, &why),
		EINVAL);
	assert_string_equal(why, "to");
}


static const struct CMUnitTest tests[] = {
	cmocka_unit_test(early_start_and_extend),
	cmocka_unit_test(stop_then_start_again),
	cmocka_unit_test(set_persists_and_reloads),
	cmocka_unit_test(parse_is_strict),
	cmocka_unit_test(logbook_default_range),
};

MCU_TEST_MAIN(tests, NULL, NULL)
