/* test-libs: mcu_core mcu_conf */
#include "tests/unit/testutil.h"
#include "mcu/api_roster.h"
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
	assert_int_equal(
	    mcu_overrides_apply(s, "a", MCU_OVERRIDE_START, 0, 8200), 0);
	assert_int_equal(
	    mcu_overrides_apply(s, "a", MCU_OVERRIDE_EXTEND, 15, 8300), 0);
	assert_int_equal(
	    mcu_overrides_apply(s, "b", MCU_OVERRIDE_STOP, 0, 1500), 0);
	assert_int_equal(
	    mcu_overrides_apply(s, "gone", MCU_OVERRIDE_EXTEND, 5, 1500), 0);
	assert_int_equal(
	    mcu_overrides_apply(s, "a", MCU_OVERRIDE_EXTEND, 0, 8300), EINVAL);
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
	assert_int_equal(
	    mcu_overrides_apply(s, "a", MCU_OVERRIDE_STOP, 0, 10100), 0);
	assert_true(mcu_overrides_get(s, "a", &o));
	assert_true(o.stop);
	assert_int_equal(
	    mcu_overrides_apply(s, "a", MCU_OVERRIDE_START, 0, 10200), 0);
	assert_true(mcu_overrides_get(s, "a", &o));
	assert_false(o.stop);
	assert_int_equal(o.started_at, 8200);
	/* the extension total is bounded */
	for (unsigned i = 0; i < MCU_OVERRIDES_MAX_EXTEND / 1440; i++)
		mcu_overrides_apply(s, "a", MCU_OVERRIDE_EXTEND, 1440, 10300);
	assert_int_equal(
	    mcu_overrides_apply(s, "a", MCU_OVERRIDE_EXTEND, 1440, 10300),
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
	    "",
	    "[]",
	    "{\"version\":2,\"overrides\":[]}",
	    "{\"version\":1}",
	    "{\"version\":1,\"overrides\":[]",
	    "\x01",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(
		    mcu_overrides_parse(bad[i], strlen(bad[i]), &v, &n),
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
	    mcu_registers_default_range("2027-03-05", now, &f, &t, &why), 0);
	assert_int_equal(f, 1798761600 - 7 * 3600);
	assert_int_equal(t - f, (31 + 28 + 5) * 86400);
	/* 1 January and 30 June are in the first half, 1 July in the
	   second */
	assert_int_equal(
	    mcu_registers_default_range("2027-01-01", now, &f, &t, &why), 0);
	assert_int_equal(t - f, 86400);
	assert_int_equal(
	    mcu_registers_default_range("2027-06-30", now, &f, &t, &why), 0);
	assert_int_equal(t - f, 181 * 86400);
	assert_int_equal(
	    mcu_registers_default_range("2027-07-01", now, &f, &t, &why), 0);
	assert_int_equal(t - f, 86400);
	why = NULL;
	assert_int_equal(
	    mcu_registers_default_range("2027-02-30", now, &f, &t, &why),
	    EINVAL);
	assert_string_equal(why, "to");
}

/* ---- the API's view (mcu/api_roster) with a set of changes ---- */

struct rfx {
	struct mcu_snapshot *snap;
	struct mcu_overrides *set;
	time_t now;
};

static struct mcu_snapshot *rfx_snapshot(void *arg)
{
	return mcu_snapshot_get(((struct rfx *)arg)->snap);
}

static time_t rfx_now(void *arg)
{
	return ((struct rfx *)arg)->now;
}

static bool rfx_override(void *arg, const char *id, struct mcu_override *out)
{
	return mcu_overrides_get(((struct rfx *)arg)->set, id, out);
}

static enum mcu_meeting_state rfx_state(void *arg, const struct mcu_conf *c,
                                        size_t i, time_t now)
{
	struct mcu_override o;
	bool has = rfx_override(arg, c->meetings[i].id, &o);
	return mcu_override_state(has ? &o : NULL, &c->meetings[i], now);
}

static time_t local_time(int h, int mi)
{
	struct tm tm = {.tm_year = 2026 - 1900,
	                .tm_mon = 11,
	                .tm_mday = 7,
	                .tm_hour = h,
	                .tm_min = mi,
	                .tm_isdst = -1};
	return mktime(&tm);
}

/* field `key` of meeting giao-ban in GET /api/v1/meetings */
static const char *field(struct mcu_api_roster *r, const char *key)
{
	static char buf[64];
	int status = 0;
	json_t *j = mcu_api_roster_meetings(r, &status);
	json_t *m = json_array_get(j, 0), *v;
	assert_non_null(j);
	assert_string_equal(json_string_value(json_object_get(m, "id")),
	                    "giao-ban-2026-12-07");
	v = json_object_get(m, key);
	if (json_is_string(v))
		snprintf(buf, sizeof(buf), "%s", json_string_value(v));
	else if (json_is_integer(v))
		snprintf(buf, sizeof(buf), "%lld",
		         (long long)json_integer_value(v));
	else
		snprintf(buf, sizeof(buf), "%s",
		         json_is_true(v) ? "true" : "false");
	json_decref(j);
	return buf;
}

static int check(struct mcu_api_roster *r, enum mcu_api_verb verb)
{
	char detail[256];
	struct mcu_api_action a = {
	    .verb = verb, .meeting = "giao-ban-2026-12-07", .minutes = 5};
	return mcu_api_roster_check(r, &a, detail, sizeof(detail));
}

static void api_shows_effective_times(void **state)
{
	struct mcu_conf_report rep = {0};
	struct mcu_conf *conf = NULL;
	struct rfx f = {0};
	struct mcu_api_roster *r = NULL;
	struct mcu_api_roster_opts ro = {.arg = &f,
	                                 .snapshot = rfx_snapshot,
	                                 .now = rfx_now,
	                                 .state = rfx_state,
	                                 .override = rfx_override};
	const char *id = "giao-ban-2026-12-07";
	(void)state;

	assert_int_equal(mcu_conf_load(mcu_test_src("conf/examples/"
	                                            "cantho.yaml"),
	                               &conf, &rep),
	                 0);
	mcu_conf_report_clear(&rep);
	assert_int_equal(mcu_conf_apply_timezone("Asia/Ho_Chi_Minh"), 0);
	assert_int_equal(mcu_snapshot_alloc(&f.snap, conf, 1), 0);
	assert_int_equal(mcu_overrides_alloc(&f.set, NULL), 0);
	assert_int_equal(mcu_api_roster_alloc(&r, &ro), 0);

	f.now = local_time(7, 50);
	assert_string_equal(field(r, "state"), "scheduled");
	assert_string_equal(field(r, "start"), "2026-12-07T08:00:00+07:00");
	assert_string_equal(field(r, "planned_start"),
	                    "2026-12-07T08:00:00+07:00");
	assert_int_equal(check(r, MCU_API_START), 0);
	assert_int_equal(mcu_overrides_apply(f.set, id, MCU_OVERRIDE_START, 0,
	                                     local_time(7, 50) + 14),
	                 0);
	assert_string_equal(field(r, "state"), "live");
	assert_string_equal(field(r, "start"), "2026-12-07T07:50:14+07:00");
	assert_string_equal(field(r, "planned_start"),
	                    "2026-12-07T08:00:00+07:00");
	assert_string_equal(field(r, "started_early"), "true");
	assert_int_equal(check(r, MCU_API_START), 409);

	assert_int_equal(
	    mcu_overrides_apply(f.set, id, MCU_OVERRIDE_EXTEND, 15, f.now), 0);
	assert_string_equal(field(r, "end"), "2026-12-07T11:15:00+07:00");
	assert_string_equal(field(r, "planned_end"),
	                    "2026-12-07T11:00:00+07:00");
	assert_string_equal(field(r, "extend_minutes"), "15");

	/* the single meeting view has the same fields */
	int status = 0;
	json_t *m = mcu_api_roster_meeting(r, id, &status);
	assert_non_null(m);
	assert_string_equal(json_string_value(json_object_get(m, "end")),
	                    "2026-12-07T11:15:00+07:00");
	assert_string_equal(
	    json_string_value(json_object_get(m, "planned_end")),
	    "2026-12-07T11:00:00+07:00");
	json_decref(m);

	f.now = local_time(9, 0);
	assert_int_equal(check(r, MCU_API_STOP), 0);
	assert_int_equal(
	    mcu_overrides_apply(f.set, id, MCU_OVERRIDE_STOP, 0, f.now), 0);
	assert_string_equal(field(r, "state"), "ended");
	assert_string_equal(field(r, "end"), "2026-12-07T09:00:00+07:00");
	assert_string_equal(field(r, "stopped_by_operator"), "true");
	assert_int_equal(check(r, MCU_API_EXTEND), 409);
	assert_int_equal(check(r, MCU_API_STOP), 409);
	/* started again within its window */
	f.now = local_time(9, 5);
	assert_int_equal(check(r, MCU_API_START), 0);
	/* not once the extended end has passed */
	f.now = local_time(11, 15);
	assert_int_equal(check(r, MCU_API_START), 409);
	f.now = local_time(11, 14);
	assert_int_equal(check(r, MCU_API_START), 0);
	assert_int_equal(
	    mcu_overrides_apply(f.set, id, MCU_OVERRIDE_START, 0, f.now), 0);
	assert_string_equal(field(r, "state"), "live");
	assert_string_equal(field(r, "end"), "2026-12-07T11:15:00+07:00");
	assert_string_equal(field(r, "stopped_by_operator"), "false");

	r = mcu_api_roster_free(r);
	f.set = mcu_overrides_free(f.set);
	f.snap = mcu_snapshot_put(f.snap);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(early_start_and_extend),
    cmocka_unit_test(stop_then_start_again),
    cmocka_unit_test(set_persists_and_reloads),
    cmocka_unit_test(parse_is_strict),
    cmocka_unit_test(logbook_default_range),
    cmocka_unit_test(api_shows_effective_times),
};

MCU_TEST_MAIN(tests, NULL, NULL)
