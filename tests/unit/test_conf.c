/* test-libs: mcu_conf */
/*
 * Roster loader: the example roster, every rule broken and kept, types with
 * their positions, defaults, group expansion, static RTP legs and hostile
 * input (each refused quickly with one error).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "conf/config.h"
#include "tests/unit/testutil.h"

#define CONTACTS                                                               \
	"contacts: {leader: {name: L, phone: '1'}, technician: {name: T, "     \
	"phone: '2'}, support: {name: S, phone: '3'}}"

/* Five endpoints with contacts; a commune pair under district b. */
#define BASE_EPS                                                               \
	"endpoints:\n"                                                         \
	"  - {id: a, name: A, tier: city, sip: 'sip:a@10.0.0.1', " CONTACTS    \
	"}\n"                                                                  \
	"  - {id: b, name: B, tier: district, " CONTACTS "}\n"                 \
	"  - {id: c, name: C, tier: commune, parent: b, " CONTACTS "}\n"       \
	"  - {id: d, name: D, tier: commune, parent: b, " CONTACTS "}\n"       \
	"  - {id: e, name: E, tier: district, " CONTACTS "}\n"

#define GOOD_MEETING                                                           \
	"  - id: m1\n"                                                         \
	"    host: a\n"                                                        \
	"    branches: [b]\n"                                                  \
	"    start: 2026-12-07T08:00\n"                                        \
	"    end: 2026-12-07T10:00\n"                                          \
	"    announced: 2026-12-01\n"                                          \
	"    test_run: {start: 2026-12-04T14:00, end: 2026-12-04T15:00}\n"

struct loaded {
	struct mcu_conf *conf;
	struct mcu_conf_report report;
	int err;
};

static void load(struct loaded *l, const char *yaml)
{
	memset(l, 0, sizeof(*l));
	l->err = mcu_conf_load_buffer("t.yaml", yaml, strlen(yaml), &l->conf,
	                              &l->report);
	if (getenv("MCU_TEST_VERBOSE"))
		mcu_conf_report_print(&l->report, stderr);
}

static void unload(struct loaded *l)
{
	l->conf = mcu_conf_free(l->conf);
	mcu_conf_report_clear(&l->report);
}

/* The first finding of `sev` whose message contains `needle`. */
static const struct mcu_conf_finding *
finding(const struct loaded *l, enum mcu_conf_severity sev, const char *needle)
{
	for (size_t i = 0; i < l->report.n_findings; i++) {
		const struct mcu_conf_finding *f = &l->report.findings[i];
		if (f->severity == sev && strstr(f->message, needle))
			return f;
	}
	return NULL;
}

static void assert_pos(const struct mcu_conf_finding *f, int line, int col)
{
	assert_non_null(f);
	assert_int_equal(f->pos.line, line);
	assert_int_equal(f->pos.column, col);
}

/* A roster of BASE_EPS with a holidays line and the given meetings. */
static void load_meetings(struct loaded *l, const char *holidays,
                          const char *meetings)
{
	char buf[8192];
	snprintf(buf, sizeof(buf),
	         "mcu: {timezone: Asia/Ho_Chi_Minh, holidays: [%s]}\n" BASE_EPS
	         "groups:\n  communes-b: {parent: b}\n  pair: [e, c]\n"
	         "meetings:\n%s",
	         holidays, meetings);
	load(l, buf);
}

static void assert_clean(const struct loaded *l)
{
	if (l->report.n_findings)
		mcu_conf_report_print(&l->report, stderr);
	assert_int_equal(l->err, 0);
	assert_int_equal(l->report.n_errors, 0);
	assert_int_equal(l->report.n_warnings, 0);
	assert_non_null(l->conf);
}

/* Copies `tmpl` with its first "%s" replaced by a, the second by b. */
static void fill(char *buf, size_t len, const char *tmpl, const char *a,
                 const char *b)
{
	const char *subs[2] = {a, b};
	size_t k = 0, used = 0;
	for (const char *p = tmpl; *p && used + 1 < len; p++) {
		if (p[0] == '%' && p[1] == 's' && k < 2) {
			for (const char *q = subs[k++]; q && *q && used + 1 < len;
			     q++)
				buf[used++] = *q;
			p++;
			continue;
		}
		buf[used++] = *p;
	}
	buf[used] = '\0';
}

/* ---- the example ------------------------------------------------------ */

static void example_cantho(void **state)
{
	struct loaded l = {0};
	size_t tiers[MCU_TIER_COUNT] = {0};
	l.err = mcu_conf_load(mcu_test_src("conf/examples/cantho.yaml"),
	                      &l.conf, &l.report);
	assert_clean(&l);
	const struct mcu_conf *c = l.conf;
	assert_true(c->n_endpoints >= 95);
	for (size_t i = 0; i < c->n_endpoints; i++) {
		const struct mcu_conf_endpoint *ep = &c->endpoints[i];
		tiers[ep->tier]++;
		if (ep->tier == MCU_TIER_COMMUNE) {
			assert_true(ep->parent_index >= 0);
			assert_int_equal(c->endpoints[ep->parent_index].tier,
			                 MCU_TIER_DISTRICT);
		}
	}
	assert_true(tiers[MCU_TIER_CITY] >= 20);
	assert_int_equal(tiers[MCU_TIER_DISTRICT], 9);
	assert_int_equal(tiers[MCU_TIER_COMMUNE], 85);
	assert_string_equal(c->timezone, "Asia/Ho_Chi_Minh");
	assert_int_equal(c->n_meetings, 3);
	long g = mcu_conf_meeting_index(c, "giao-ban-2026-12-07");
	assert_true(g >= 0);
	assert_int_equal(c->meetings[g].n_branches, 9);
	assert_string_equal(c->meetings[g].layout.host, "tour-3x3");
	long f = mcu_conf_meeting_index(c, "phong-chong-lu-2026-12-09");
	assert_true(f >= 0);
	assert_int_equal(c->meetings[f].n_branches, 85);
	assert_true(c->meetings[f].emergency);
	long n = mcu_conf_meeting_index(c, "hop-ninh-kieu-2026-12-10");
	assert_true(n >= 0);
	assert_int_equal(c->meetings[n].n_branches, 13);
	assert_int_equal(c->meetings[n].dial, MCU_DIAL_IN);
	assert_int_equal(c->meetings[n].floor, MCU_FLOOR_OPEN);
	unload(&l);
}

static void example_endpoint_fields(void **state)
{
	struct loaded l = {0};
	l.err = mcu_conf_load(mcu_test_src("conf/examples/cantho.yaml"),
	                      &l.conf, &l.report);
	assert_int_equal(l.err, 0);
	long i = mcu_conf_endpoint_index(l.conf, "ubnd-tp");
	assert_true(i >= 0);
	const struct mcu_conf_endpoint *ep = &l.conf->endpoints[i];
	assert_string_equal(ep->sip_user, "ubnd-tp");
	assert_string_equal(ep->sip_host, "127.0.0.1");
	assert_int_equal(ep->sip_port, 0);
	assert_int_equal(ep->n_allow, 1); /* default: the numeric sip host */
	assert_int_equal(ep->allow[0].family, AF_INET);
	assert_int_equal(ep->allow[0].prefix, 32);
	assert_true(ep->has_leader && ep->has_technician && ep->has_support);
	assert_non_null(strstr(ep->leader.email, "@cantho.gov.vn.example"));
	assert_int_equal(mcu_conf_endpoint_index(l.conf, "nope"), -1);
	assert_int_equal(l.conf->n_sip_listen, 2);
	assert_int_equal(l.conf->sip_listen[1].proto, MCU_SIP_TCP);
	assert_int_equal(l.conf->api_listen.port, 8080);
	assert_null(l.conf->api_token_file);
	assert_true(l.conf->n_holidays >= 5);
	unload(&l);
}

/* ---- files of tests/data/conf ---------------------------------------- */

static void data_minimal_valid(void **state)
{
	struct loaded l = {0};
	l.err = mcu_conf_load(mcu_test_src("tests/data/conf/minimal.yaml"),
	                      &l.conf, &l.report);
	assert_clean(&l);
	const struct mcu_conf_endpoint *a = &l.conf->endpoints[0];
	assert_int_equal(a->sip_port, 5070);
	const struct mcu_conf_endpoint *b = &l.conf->endpoints[1];
	assert_string_equal(b->sip_host, "branch-b.example");
	assert_int_equal(b->n_allow, 0); /* a name: no default allow */
	unload(&l);
}

static void data_broken_files(void **state)
{
	static const struct {
		const char *file, *needle;
		int line, column;
	} cases[] = {
		{"notice-short.yaml", "only 2 working day(s)", 12, 16},
		{"overlap.yaml", "overlap in time and share endpoint 'b'", 8, 46},
		{"unknown-refs.yaml", "unknown host 'ghost'", 6, 20},
		{"unknown-refs.yaml", "unknown parent 'nowhere'", 4, 45},
		{"unknown-refs.yaml", "unknown branch 'phantom'", 7, 37},
		{"unknown-refs.yaml", "host 'a' is also listed", 7, 34},
		{"bad-types.yaml", "expected a whole number, got 'thirty'", 5, 10},
		{"bad-types.yaml", "'2026-13-01' is not a date", 6, 14},
		{"bad-types.yaml", "unknown value 'maybe'", 7, 15},
		{"bad-types.yaml", "unknown value 'town'", 10, 28},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct loaded l = {0};
		char rel[128];
		snprintf(rel, sizeof(rel), "tests/data/conf/%s", cases[i].file);
		l.err = mcu_conf_load(mcu_test_src(rel), &l.conf, &l.report);
		assert_int_equal(l.err, EINVAL);
		assert_null(l.conf);
		assert_false(l.report.unreadable);
		const struct mcu_conf_finding *f =
			finding(&l, MCU_CONF_ERROR, cases[i].needle);
		if (!f)
			mcu_conf_report_print(&l.report, stderr);
		assert_pos(f, cases[i].line, cases[i].column);
		unload(&l);
	}
}

static void data_unknown_key_warning(void **state)
{
	struct loaded l = {0};
	l.err = mcu_conf_load(mcu_test_src("tests/data/conf/bad-types.yaml"),
	                      &l.conf, &l.report);
	assert_pos(finding(&l, MCU_CONF_WARNING, "unknown key 'colour'"), 8, 3);
	unload(&l);
}

static void data_static_rtp(void **state)
{
	struct loaded l = {0};
	l.err = mcu_conf_load(mcu_test_src("tests/data/conf/static-rtp.yaml"),
	                      &l.conf, &l.report);
	assert_clean(&l);
	const struct mcu_conf_static_rtp *r = &l.conf->endpoints[0].rtp;
	assert_true(r->present);
	assert_string_equal(r->remote.host, "127.0.0.1");
	assert_int_equal(r->remote.port, 40000);
	assert_string_equal(r->local.host, "::1");
	assert_int_equal(r->local.port, 30000);
	assert_int_equal(r->local.addr.ss_family, AF_INET6);
	assert_true(r->video.present);
	assert_string_equal(r->video.codec, "h264");
	assert_int_equal(r->video.payload_type, 96);
	assert_string_equal(r->audio.codec, "opus");
	assert_int_equal(r->audio.payload_type, 111);
	const struct mcu_conf_static_rtp *a = &l.conf->endpoints[1].rtp;
	assert_false(a->video.present);
	assert_true(a->audio.present);
	assert_int_equal(a->audio.payload_type, 8);
	assert_null(l.conf->endpoints[1].sip);
	unload(&l);
}

static void static_rtp_bad(void **state)
{
	struct loaded l;
	load(&l, "endpoints:\n"
	         "  - id: x\n"
	         "    name: X\n"
	         "    tier: extended\n"
	         "    rtp: {remote: 'host:1', local: 127.0.0.1:30000,\n"
	         "          video: {codec: h265, payload_type: 96},\n"
	         "          audio: {codec: opus, payload_type: 200}}\n");
	assert_int_equal(l.err, EINVAL);
	assert_pos(finding(&l, MCU_CONF_ERROR, "'host:1' is not a numeric"), 5,
	           19);
	assert_pos(finding(&l, MCU_CONF_ERROR, "unknown value 'h265'"), 6, 26);
	assert_pos(finding(&l, MCU_CONF_ERROR, "200 is out of range"), 7, 46);
	unload(&l);
}

/* ---- rules -------------------------------------------------------------- */

static void rule_all_kept(void **state)
{
	struct loaded l;
	load_meetings(&l, "", GOOD_MEETING);
	assert_clean(&l);
	const struct mcu_conf_meeting *m = &l.conf->meetings[0];
	struct tm tm;
	localtime_r(&m->start, &tm);
	assert_int_equal(tm.tm_hour, 8);
	assert_int_equal(tm.tm_wday, 1);
	assert_int_equal(m->start, 1796605200); /* 2026-12-07 01:00Z */
	assert_int_equal(m->end - m->start, 7200);
	unload(&l);
}

static void rule_notice_weekend(void **state)
{
	struct loaded l;
	/* Thu 3rd for Mon 7th: Thu, Fri = 2 working days. */
	load_meetings(&l, "",
	              "  - {id: m, host: a, branches: [b], start: "
	              "2026-12-07T08:00, end: 2026-12-07T09:00, announced: "
	              "2026-12-03, test_run: {start: 2026-12-04T08:00, end: "
	              "2026-12-04T09:00}}\n");
	assert_int_equal(l.err, EINVAL);
	assert_non_null(finding(&l, MCU_CONF_ERROR, "only 2 working day(s)"));
	unload(&l);
	/* Wed 2nd: exactly 3. */
	load_meetings(&l, "",
	              "  - {id: m, host: a, branches: [b], start: "
	              "2026-12-07T08:00, end: 2026-12-07T09:00, announced: "
	              "2026-12-02, test_run: {start: 2026-12-04T08:00, end: "
	              "2026-12-04T09:00}}\n");
	assert_clean(&l);
	unload(&l);
}

static void rule_notice_holiday(void **state)
{
	struct loaded l;
	const char *m = "  - {id: m, host: a, branches: [b], start: "
	                "2026-12-28T08:00, end: 2026-12-28T09:00, announced: "
	                "2026-12-23, test_run: {start: 2026-12-25T08:00, end: "
	                "2026-12-25T09:00}}\n";
	/* Wed 23, Thu 24, Fri 25: three working days ... */
	load_meetings(&l, "2026-12-31", m);
	assert_clean(&l);
	unload(&l);
	/* ... but only two when the 24th is a holiday. */
	load_meetings(&l, "2026-12-24", m);
	assert_int_equal(l.err, EINVAL);
	assert_non_null(finding(&l, MCU_CONF_ERROR, "only 2 working day(s)"));
	unload(&l);
}

static void rule_emergency_hour(void **state)
{
	struct loaded l;
	const char *fmt = "  - {id: m, host: a, branches: [b], start: "
	                  "2026-12-09T14:30, end: 2026-12-09T15:00, emergency: "
	                  "%s, announced: '%s'}\n";
	char buf[512];
	fill(buf, sizeof(buf), fmt, "true", "2026-12-09T13:30");
	load_meetings(&l, "", buf);
	assert_clean(&l); /* no test run asked of an emergency meeting */
	unload(&l);
	fill(buf, sizeof(buf), fmt, "true", "2026-12-09T13:31");
	load_meetings(&l, "", buf);
	assert_int_equal(l.err, EINVAL);
	assert_non_null(finding(&l, MCU_CONF_ERROR, "announced 59 minutes"));
	unload(&l);
	fill(buf, sizeof(buf), fmt, "false", "2026-12-09T13:30");
	load_meetings(&l, "", buf);
	assert_int_equal(l.err, EINVAL);
	assert_non_null(finding(&l, MCU_CONF_ERROR, "only 0 working day(s)"));
	unload(&l);
	/* offsets: 06:30Z is 13:30 in Ho Chi Minh City */
	fill(buf, sizeof(buf), fmt, "true", "2026-12-09T06:30:00Z");
	load_meetings(&l, "", buf);
	assert_clean(&l);
	unload(&l);
}

static void rule_overlap(void **state)
{
	struct loaded l;
	/* c comes in through the group communes-b and through pair */
	load_meetings(&l, "",
	              "  - {id: m1, host: a, branches: [communes-b], start: "
	              "2026-12-07T08:00, end: 2026-12-07T10:00, announced: "
	              "2026-12-01}\n"
	              "  - {id: m2, host: b, branches: [pair], start: "
	              "2026-12-07T09:59, end: 2026-12-07T11:00, announced: "
	              "2026-12-01}\n");
	assert_int_equal(l.err, EINVAL);
	assert_non_null(finding(&l, MCU_CONF_ERROR,
	                        "meetings 'm1' and 'm2' overlap in time and "
	                        "share endpoint 'c'"));
	unload(&l);
	/* back to back is fine */
	load_meetings(&l, "",
	              "  - {id: m1, host: a, branches: [communes-b], start: "
	              "2026-12-07T08:00, end: 2026-12-07T10:00, announced: "
	              "2026-12-01}\n"
	              "  - {id: m2, host: b, branches: [pair], start: "
	              "2026-12-07T10:00, end: 2026-12-07T11:00, announced: "
	              "2026-12-01}\n");
	assert_int_equal(l.err, 0);
	assert_int_equal(l.report.n_errors, 0);
	unload(&l);
}

/* A roster file in /tmp; its path in `path` (PATH_MAX). */
static void write_roster(char *path, const char *yaml)
{
	strcpy(path, "/tmp/mcu-test-conf-XXXXXX");
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, yaml, strlen(yaml)), (ssize_t)strlen(yaml));
	close(fd);
}

static void load_extra(struct loaded *l, const char *path, const char *extra)
{
	memset(l, 0, sizeof(*l));
	l->err = mcu_conf_load_extra(path, extra, strlen(extra), &l->conf,
	                             &l->report);
	if (getenv("MCU_TEST_VERBOSE"))
		mcu_conf_report_print(&l->report, stderr);
}

/* Operators' ad-hoc meetings (JSON objects are YAML flow mappings) join
   the roster's meetings; the notice rules do not apply to them, the
   others do, and their findings are told apart by line. */
static void adhoc_extra_meetings(void **state)
{
	char path[64];
	struct loaded l;
	write_roster(path, "mcu: {timezone: Asia/Ho_Chi_Minh}\n" BASE_EPS
	                   "meetings:\n" GOOD_MEETING);
	load_extra(&l, path,
	           "- {\"id\": \"x1\", \"title\": \"H\u1ecdp\", \"host\": "
	           "\"c\", \"branches\": [\"d\"], \"start\": "
	           "\"2026-12-07T08:30\", \"end\": \"2026-12-07T09:00\", "
	           "\"announced\": \"2026-12-07\", \"ad_hoc\": true}\n");
	assert_clean(&l);
	assert_int_equal(l.conf->n_meetings, 2);
	assert_string_equal(l.conf->meetings[1].id, "x1");
	assert_string_equal(l.conf->meetings[1].title, "H\xe1\xbb\x8dp");
	assert_true(l.conf->meetings[1].ad_hoc);
	assert_false(l.conf->meetings[0].ad_hoc);
	unload(&l);
	/* the same without ad_hoc: the notice rule refuses it */
	load_extra(&l, path,
	           "- {id: x1, host: c, branches: [d], start: 2026-12-07T08:30, "
	           "end: 2026-12-07T09:00, announced: 2026-12-07}\n");
	assert_int_equal(l.err, EINVAL);
	assert_true(finding(&l, MCU_CONF_ERROR, "announced")->pos.line >
	            MCU_CONF_EXTRA_LINE);
	unload(&l);
	/* sharing b with m1 at the same time: an overlap, still an error */
	load_extra(&l, path,
	           "- {id: x2, host: e, branches: [b], start: 2026-12-07T09:00, "
	           "end: 2026-12-07T09:30, announced: 2026-12-07, ad_hoc: true}\n");
	assert_int_equal(l.err, EINVAL);
	assert_non_null(finding(&l, MCU_CONF_ERROR, "overlap"));
	unload(&l);
	/* not a list, and broken YAML */
	load_extra(&l, path, "{id: x3}\n");
	assert_int_equal(l.err, EINVAL);
	assert_non_null(finding(&l, MCU_CONF_ERROR, "must be a list"));
	unload(&l);
	load_extra(&l, path, "- {id: [\n");
	assert_int_not_equal(l.err, 0);
	assert_true(l.report.n_findings > 0);
	assert_true(l.report.findings[0].pos.line > MCU_CONF_EXTRA_LINE);
	unload(&l);
	unlink(path);
	/* a roster without meetings: gets them */
	write_roster(path, "mcu: {timezone: Asia/Ho_Chi_Minh}\n" BASE_EPS);
	load_extra(&l, path,
	           "- {id: x1, host: c, branches: [d], start: 2026-12-07T08:30, "
	           "end: 2026-12-07T09:00, ad_hoc: true}\n");
	assert_int_equal(l.err, 0);
	assert_int_equal(l.conf->n_meetings, 1);
	unload(&l);
	unlink(path);
	(void)state;
}

static void rule_end_before_start(void **state)
{
	struct loaded l;
	load_meetings(&l, "",
	              "  - id: m\n    host: a\n    start: 2026-12-07T08:00\n"
	              "    end: 2026-12-07T08:00\n");
	assert_int_equal(l.err, EINVAL);
	/* BASE is 10 lines, "meetings:" line 11, the end: value line 15 */
	assert_pos(finding(&l, MCU_CONF_ERROR, "end is not after start"), 15,
	           10);
	unload(&l);
}

static void rule_unknown_refs(void **state)
{
	struct loaded l;
	load_meetings(&l, "",
	              "  - {id: m, host: zz, branches: [b, 'tier:town', "
	              "nogroup], start: 2026-12-07T08:00, end: "
	              "2026-12-07T09:00}\n");
	assert_int_equal(l.err, EINVAL);
	assert_non_null(finding(&l, MCU_CONF_ERROR, "unknown host 'zz'"));
	assert_non_null(finding(&l, MCU_CONF_ERROR, "unknown tier in branch"));
	assert_non_null(finding(&l, MCU_CONF_ERROR, "unknown branch 'nogroup'"));
	unload(&l);
}

static void rule_host_among_branches(void **state)
{
	struct loaded l;
	load_meetings(&l, "",
	              "  - {id: m, host: b, branches: [c, b], start: "
	              "2026-12-07T08:00, end: 2026-12-07T09:00}\n");
	assert_int_equal(l.err, EINVAL);
	/* line 12, column of the second branch */
	assert_pos(finding(&l, MCU_CONF_ERROR, "host 'b' is also listed"), 12,
	           36);
	unload(&l);
	/* through all / tier: it is left out silently */
	load_meetings(&l, "",
	              "  - {id: m, host: b, branches: [all, 'tier:district'], "
	              "start: 2026-12-07T08:00, end: 2026-12-07T09:00, "
	              "announced: 2026-12-01, test_run: {start: "
	              "2026-12-04T08:00, end: 2026-12-04T09:00}}\n");
	assert_clean(&l);
	const struct mcu_conf_meeting *m = &l.conf->meetings[0];
	assert_int_equal(m->n_branches, 4);
	assert_int_equal(m->host_index, 1);
	size_t want[] = {0, 2, 3, 4};
	for (size_t i = 0; i < 4; i++)
		assert_int_equal(m->branches[i], want[i]);
	unload(&l);
}

static void rule_duplicate_ids(void **state)
{
	struct loaded l;
	load(&l, "endpoints:\n"
	     "  - {id: a, name: A, tier: city}\n"
	     "  - {id: a, name: A2, tier: city}\n"
	     "meetings:\n"
	     "  - {id: m, host: a, start: 2026-12-07T08:00, end: "
	     "2026-12-07T09:00}\n"
	     "  - {id: m, host: a, start: 2026-12-08T08:00, end: "
	     "2026-12-08T09:00}\n");
	assert_int_equal(l.err, EINVAL);
	assert_pos(finding(&l, MCU_CONF_ERROR, "duplicate endpoint id 'a' "
	                   "(first at line 2)"), 3, 10);
	assert_pos(finding(&l, MCU_CONF_ERROR, "duplicate meeting id 'm'"), 6,
	           5);
	unload(&l);
}

static void rule_test_run_window(void **state)
{
	struct loaded l;
	const char *fmt = "  - {id: m, host: a, branches: [b], start: "
	                  "2026-12-07T08:00, end: 2026-12-07T09:00, announced: "
	                  "2026-11-25%s}\n";
	char buf[512];
	/* Wed 2nd: Wed, Thu, Fri = 3 working days before: too early */
	fill(buf, sizeof(buf), fmt,
	         ", test_run: {start: 2026-12-02T08:00, end: "
	         "2026-12-02T09:00}", NULL);
	load_meetings(&l, "", buf);
	assert_int_equal(l.err, 0);
	assert_non_null(finding(&l, MCU_CONF_WARNING, "test run on 2026-12-02 "
	                        "is 3 working day(s)"));
	unload(&l);
	/* Thu 3rd: 2 working days: fine */
	fill(buf, sizeof(buf), fmt,
	         ", test_run: {start: 2026-12-03T08:00, end: "
	         "2026-12-03T09:00}", NULL);
	load_meetings(&l, "", buf);
	assert_clean(&l);
	unload(&l);
	/* Sunday the 6th: 0 working days before */
	fill(buf, sizeof(buf), fmt,
	         ", test_run: {start: 2026-12-06T08:00, end: "
	         "2026-12-06T09:00}", NULL);
	load_meetings(&l, "", buf);
	assert_non_null(finding(&l, MCU_CONF_WARNING, "is 0 working day(s)"));
	unload(&l);
	/* none at all */
	fill(buf, sizeof(buf), fmt, "", NULL);
	load_meetings(&l, "", buf);
	assert_int_equal(l.err, 0);
	assert_non_null(finding(&l, MCU_CONF_WARNING, "no test run planned"));
	unload(&l);
}

static void rule_requested(void **state)
{
	struct loaded l;
	const char *fmt = "  - {id: m, host: a, branches: [b], start: "
	                  "2026-12-07T08:00, end: 2026-12-07T09:00, announced: "
	                  "2026-12-01, test_run: {start: 2026-12-04T08:00, end: "
	                  "2026-12-04T09:00}, %s}\n";
	char buf[512];
	fill(buf, sizeof(buf), fmt, "record: true, requested: 2026-12-04", NULL);
	load_meetings(&l, "", buf);
	assert_clean(&l);
	unload(&l);
	fill(buf, sizeof(buf), fmt,
	         "content: [/x.mp4], requested: 2026-12-05T10:00", NULL);
	load_meetings(&l, "", buf);
	assert_int_equal(l.err, 0);
	assert_non_null(finding(&l, MCU_CONF_WARNING, "content requested "
	                        "2026-12-05, less than 1 working day"));
	unload(&l);
	fill(buf, sizeof(buf), fmt, "record: true", NULL);
	load_meetings(&l, "", buf);
	assert_non_null(finding(&l, MCU_CONF_WARNING, "recording asked for "
	                        "without a 'requested' date"));
	unload(&l);
}

static void rule_contacts(void **state)
{
	struct loaded l;
	load(&l, "endpoints:\n"
	     "  - id: a\n"
	     "    name: A\n"
	     "    tier: city\n"
	     "    contacts:\n"
	     "      leader: {name: L, phone: '1'}\n"
	     "      technician: {name: T}\n"
	     "  - {id: b, name: B, tier: city, " CONTACTS "}\n");
	assert_int_equal(l.err, 0);
	assert_int_equal(l.report.n_warnings, 1);
	assert_pos(finding(&l, MCU_CONF_WARNING, "endpoint 'a': contacts "
	                   "incomplete"), 6, 7);
	assert_non_null(finding(&l, MCU_CONF_WARNING, "missing: technician "
	                        "support"));
	unload(&l);
}

static void rule_no_announced(void **state)
{
	struct loaded l;
	load_meetings(&l, "",
	              "  - {id: m, host: a, branches: [b], start: "
	              "2026-12-07T08:00, end: 2026-12-07T09:00, test_run: "
	              "{start: 2026-12-04T08:00, end: 2026-12-04T09:00}}\n");
	assert_int_equal(l.err, 0);
	assert_non_null(finding(&l, MCU_CONF_WARNING, "no 'announced' date"));
	unload(&l);
}

static void rule_number_clash(void **state)
{
	struct loaded l;
	load_meetings(&l, "",
	              "  - {id: m1, host: a, number: 77, start: "
	              "2026-12-07T08:00, end: 2026-12-07T10:00, announced: "
	              "2026-12-01}\n"
	              "  - {id: m2, host: e, number: 77, start: "
	              "2026-12-07T09:00, end: 2026-12-07T11:00, announced: "
	              "2026-12-01}\n");
	assert_int_equal(l.err, EINVAL);
	assert_non_null(finding(&l, MCU_CONF_ERROR, "conference number 77"));
	unload(&l);
}

/* ---- types, syntax, defaults ------------------------------------------- */

static void type_errors_positions(void **state)
{
	struct loaded l;
	load(&l, "mcu:\n"
	     "  media: {fps: 0, keyframe_interval_s: 'x'}\n"
	     "  api: {listen: localhost:80}\n"
	     "  sip: {listen: ['sctp:1.2.3.4:5060']}\n"
	     "endpoints:\n"
	     "  - {id: Bad_Id, name: X, tier: city}\n"
	     "  - {id: ok, name: [1], tier: city, bandwidth_kbps: lots}\n"
	     "meetings:\n"
	     "  - {id: m, host: ok, start: 2026-12-07, end: tomorrow, "
	     "emergency: maybe, layout: {host: grid-6x6}}\n");
	assert_int_equal(l.err, EINVAL);
	assert_pos(finding(&l, MCU_CONF_ERROR, "0 is out of range (1..60)"), 2,
	           16);
	assert_pos(finding(&l, MCU_CONF_ERROR, "got 'x'"), 2, 40);
	assert_pos(finding(&l, MCU_CONF_ERROR, "'localhost:80' is not"), 3, 17);
	assert_pos(finding(&l, MCU_CONF_ERROR, "'sctp:1.2.3.4:5060'"), 4, 18);
	assert_pos(finding(&l, MCU_CONF_ERROR, "'Bad_Id' is not a valid id"), 6,
	           10);
	assert_pos(finding(&l, MCU_CONF_ERROR, "expected a string, got a list"),
	           7, 20);
	assert_pos(finding(&l, MCU_CONF_ERROR, "got 'lots'"), 7, 53);
	assert_pos(finding(&l, MCU_CONF_ERROR, "'2026-12-07' is not a date-time"),
	           9, 30);
	assert_pos(finding(&l, MCU_CONF_ERROR, "'tomorrow'"), 9, 47);
	assert_pos(finding(&l, MCU_CONF_ERROR, "expected true or false"), 9, 68);
	assert_pos(finding(&l, MCU_CONF_ERROR, "unknown layout 'grid-6x6'"), 9,
	           90);
	unload(&l);
}

static void yaml_syntax_error(void **state)
{
	struct loaded l;
	load(&l, "mcu:\n  name: x\n  fps: [1, 2\nendpoints: []\n");
	assert_true(l.err != 0);
	assert_true(l.report.unreadable);
	assert_int_equal(l.report.n_errors, 1);
	assert_non_null(finding(&l, MCU_CONF_ERROR, "YAML syntax error"));
	assert_int_equal(l.report.findings[0].pos.line, 4);
	unload(&l);
	load(&l, "a: b\n c: d\n");
	assert_true(l.report.unreadable);
	assert_pos(finding(&l, MCU_CONF_ERROR, "YAML syntax error"), 2, 3);
	unload(&l);
}

static void duplicate_key(void **state)
{
	struct loaded l;
	load(&l, "mcu:\n  name: a\n  name: b\n");
	assert_int_equal(l.err, EINVAL);
	assert_pos(finding(&l, MCU_CONF_ERROR, "duplicate key 'name' (first at "
	                   "line 2)"), 3, 3);
	unload(&l);
}

static void defaults(void **state)
{
	struct loaded l;
	load(&l, "endpoints:\n"
	     "  - {id: a, name: A, tier: city, " CONTACTS "}\n"
	     "  - {id: b, name: B, tier: city, " CONTACTS "}\n"
	     "meetings:\n"
	     "  - {id: m, host: a, branches: b, start: 2026-12-07T08:00, end: "
	     "2026-12-07T09:00, announced: 2026-12-01, test_run: {start: "
	     "2026-12-04T08:00, end: 2026-12-04T09:00}}\n");
	assert_clean(&l);
	const struct mcu_conf *c = l.conf;
	assert_string_equal(c->timezone, "Asia/Ho_Chi_Minh");
	assert_int_equal(c->n_sip_listen, 2);
	assert_int_equal(c->sip_listen[0].proto, MCU_SIP_UDP);
	assert_string_equal(c->sip_listen[0].addr.host, "0.0.0.0");
	assert_int_equal(c->sip_listen[0].addr.port, 5060);
	assert_int_equal(c->rtp_port_min, 20000);
	assert_int_equal(c->rtp_port_max, 29999);
	assert_int_equal(c->srtp, MCU_SRTP_OPTIONAL);
	assert_string_equal(c->api_listen.host, "127.0.0.1");
	assert_int_equal(c->api_listen.port, 8080);
	assert_int_equal(c->fps, 30);
	assert_string_equal(c->x264_preset, "veryfast");
	assert_int_equal(c->keyframe_interval_s, 3);
	assert_string_equal(c->logbook, "/var/lib/mcud/logbook.db");
	assert_string_equal(c->recordings, "/var/lib/mcud/recordings");
	const struct mcu_conf_endpoint *a = &c->endpoints[0];
	assert_int_equal(a->bandwidth_kbps, 2048);
	assert_int_equal(a->n_codecs, 6);
	assert_string_equal(a->codecs[0], "h264");
	assert_int_equal(a->parent_index, -1);
	assert_false(a->has_auth);
	const struct mcu_conf_meeting *m = &c->meetings[0];
	assert_string_equal(m->title, "m");
	assert_string_equal(m->layout.host, "tour-4x4");
	assert_string_equal(m->layout.branches, "host+floor");
	assert_int_equal(m->layout.tour_seconds, 10);
	assert_false(m->layout.self_view);
	assert_int_equal(m->floor, MCU_FLOOR_CHAIRED);
	assert_int_equal(m->dial, MCU_DIAL_OUT);
	assert_int_equal(m->number, 0);
	assert_false(m->record);
	assert_int_equal(m->n_branches, 1);
	unload(&l);
}

/* SRTP policy (issue 7): mcu.rtp.srtp and sdes_without_tls, and the
   per-endpoint srtp: that overrides the global policy. */
static void srtp_keys(void **state)
{
	struct loaded l;
	(void)state;
	load(&l, "endpoints:\n  - {id: a, name: A, tier: city, " CONTACTS
	         "}\n");
	assert_clean(&l);
	assert_int_equal(l.conf->srtp, MCU_SRTP_OPTIONAL);
	assert_false(l.conf->sdes_without_tls);
	assert_false(l.conf->endpoints[0].srtp_set);
	assert_int_equal(mcu_conf_endpoint_srtp(l.conf, &l.conf->endpoints[0]),
	                 MCU_SRTP_OPTIONAL);
	unload(&l);

	load(&l, "mcu:\n  rtp: {srtp: off, sdes_without_tls: true}\n"
	         "endpoints:\n  - {id: a, name: A, tier: city, srtp: required, "
	         CONTACTS "}\n  - {id: b, name: B, tier: city, " CONTACTS
	         "}\n");
	assert_clean(&l);
	assert_int_equal(l.conf->srtp, MCU_SRTP_OFF);
	assert_true(l.conf->sdes_without_tls);
	assert_true(l.conf->endpoints[0].srtp_set);
	assert_int_equal(mcu_conf_endpoint_srtp(l.conf, &l.conf->endpoints[0]),
	                 MCU_SRTP_REQUIRED);
	assert_int_equal(mcu_conf_endpoint_srtp(l.conf, &l.conf->endpoints[1]),
	                 MCU_SRTP_OFF);
	unload(&l);

	load(&l, "mcu:\n  rtp: {sdes_without_tls: maybe}\nendpoints:\n"
	         "  - {id: a, name: A, tier: city, " CONTACTS "}\n");
	assert_non_null(finding(&l, MCU_CONF_ERROR, "sdes_without_tls"));
	unload(&l);
	load(&l, "endpoints:\n  - {id: a, name: A, tier: city, srtp: yes, "
	         CONTACTS "}\n");
	assert_non_null(finding(&l, MCU_CONF_ERROR, "srtp"));
	unload(&l);
}

/* SIP over TLS verification (issue 7 item 2): mcu.sip.tls.ca_file,
   verify_server (on by default with a ca_file), verify_client, and an
   endpoint's tls_subject, which needs verify_client. */
static void tls_verify_keys(void **state)
{
	struct loaded l;
	(void)state;
	load(&l, "mcu:\n  sip: {tls: {certificate: /c.pem, key: /k.pem}}\n"
	         "endpoints:\n  - {id: a, name: A, tier: city, " CONTACTS "}\n");
	assert_clean(&l);
	assert_null(l.conf->tls_ca_file);
	assert_false(l.conf->tls_verify_server);
	assert_false(l.conf->tls_verify_client);
	assert_null(l.conf->endpoints[0].tls_subject);
	unload(&l);

	load(&l, "mcu:\n  sip: {tls: {certificate: /c.pem, key: /k.pem, "
	         "ca_file: /ca.pem, verify_client: true}}\n"
	         "endpoints:\n  - {id: a, name: A, tier: city, tls_subject: "
	         "a.example, " CONTACTS "}\n");
	assert_clean(&l);
	assert_string_equal(l.conf->tls_ca_file, "/ca.pem");
	assert_true(l.conf->tls_verify_server);
	assert_true(l.conf->tls_verify_client);
	assert_string_equal(l.conf->endpoints[0].tls_subject, "a.example");
	unload(&l);

	load(&l, "mcu:\n  sip: {tls: {certificate: /c.pem, key: /k.pem, "
	         "ca_file: /ca.pem, verify_server: false}}\n"
	         "endpoints:\n  - {id: a, name: A, tier: city, " CONTACTS "}\n");
	assert_clean(&l);
	assert_false(l.conf->tls_verify_server);
	unload(&l);

	/* verifying needs a CA bundle */
	load(&l, "mcu:\n  sip: {tls: {certificate: /c.pem, key: /k.pem, "
	         "verify_client: true}}\n"
	         "endpoints:\n  - {id: a, name: A, tier: city, " CONTACTS "}\n");
	assert_non_null(finding(&l, MCU_CONF_ERROR, "ca_file"));
	unload(&l);
	load(&l, "mcu:\n  sip: {tls: {certificate: /c.pem, key: /k.pem, "
	         "ca_file: /ca.pem, verify_server: maybe}}\n"
	         "endpoints:\n  - {id: a, name: A, tier: city, " CONTACTS "}\n");
	assert_non_null(finding(&l, MCU_CONF_ERROR, "verify_server"));
	unload(&l);
	/* tls_subject without verify_client, or empty */
	load(&l, "endpoints:\n  - {id: a, name: A, tier: city, tls_subject: "
	         "a.example, " CONTACTS "}\n");
	assert_non_null(finding(&l, MCU_CONF_ERROR, "verify_client"));
	unload(&l);
	load(&l, "mcu:\n  sip: {tls: {certificate: /c.pem, key: /k.pem, "
	         "ca_file: /ca.pem, verify_client: true}}\n"
	         "endpoints:\n  - {id: a, name: A, tier: city, tls_subject: "
	         "'', " CONTACTS "}\n");
	assert_non_null(finding(&l, MCU_CONF_ERROR, "tls_subject"));
	unload(&l);
}

/* mcu.content_dir (mcu/content): absent by default, an absolute
   directory when given; relative paths and "/" are refused. */
static void content_dir_key(void **state)
{
	static const char *const bad[] = {"slides", "./slides", "/", "//",
	                                  "[/a, /b]", "''"};
	struct loaded l;
	char buf[512];
	(void)state;

	load(&l, "endpoints:\n  - {id: a, name: A, tier: city, " CONTACTS
	         "}\n");
	assert_clean(&l);
	assert_null(l.conf->content_dir);
	unload(&l);

	load(&l, "mcu: {content_dir: /srv/mcud/slides/}\nendpoints:\n"
	         "  - {id: a, name: A, tier: city, " CONTACTS "}\n");
	assert_clean(&l);
	assert_string_equal(l.conf->content_dir, "/srv/mcud/slides/");
	unload(&l);

	load(&l, "mcu: {content_dir: null}\nendpoints:\n"
	         "  - {id: a, name: A, tier: city, " CONTACTS "}\n");
	assert_clean(&l);
	assert_null(l.conf->content_dir);
	unload(&l);

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(buf, sizeof(buf),
		         "mcu:\n  content_dir: %s\nendpoints:\n"
		         "  - {id: a, name: A, tier: city, " CONTACTS "}\n",
		         bad[i]);
		load(&l, buf);
		assert_int_not_equal(l.report.n_errors, 0);
		assert_pos(finding(&l, MCU_CONF_ERROR, "mcu.content_dir"), 2,
		           16);
		unload(&l);
	}
}

static void limits_keys(void **state)
{
	struct loaded l;
	(void)state;

	load(&l, "endpoints:\n  - {id: a, name: A, tier: city, " CONTACTS
	         "}\n");
	assert_clean(&l);
	assert_int_equal(l.conf->limits.participants_per_meeting, 120);
	assert_int_equal(l.conf->limits.calls, 250);
	assert_int_equal(l.conf->limits.decoders, 64);
	unload(&l);

	load(&l, "mcu:\n  limits: {participants_per_meeting: 2, calls: 0, "
	         "decoders: 9}\nendpoints:\n"
	         "  - {id: a, name: A, tier: city, " CONTACTS "}\n");
	assert_clean(&l);
	assert_int_equal(l.conf->limits.participants_per_meeting, 2);
	assert_int_equal(l.conf->limits.calls, 0);
	assert_int_equal(l.conf->limits.decoders, 9);
	unload(&l);

	load(&l, "mcu:\n  limits: {decoders: -1, encoders: 3}\nendpoints:\n"
	         "  - {id: a, name: A, tier: city, " CONTACTS "}\n");
	assert_int_not_equal(l.report.n_errors, 0);
	assert_non_null(finding(&l, MCU_CONF_ERROR, "mcu.limits.decoders"));
	assert_non_null(finding(&l, MCU_CONF_WARNING, "unknown key 'encoders'"));
	assert_int_equal(l.conf ? l.conf->limits.decoders : 64, 64);
	unload(&l);
}

static void sip_rate_limit_keys(void **state)
{
	struct loaded l;
	(void)state;

	load(&l, "endpoints:\n  - {id: a, name: A, tier: city, " CONTACTS
	         "}\n");
	assert_clean(&l);
	assert_int_equal(l.conf->sip_rate_limit.rate, 5);
	assert_int_equal(l.conf->sip_rate_limit.burst, 20);
	assert_int_equal(l.conf->sip_rate_limit.allowed_rate, 100);
	assert_int_equal(l.conf->sip_rate_limit.allowed_burst, 500);
	struct mcu_conf *first = l.conf;
	l.conf = NULL;
	mcu_conf_report_clear(&l.report);

	load(&l, "mcu:\n  sip:\n    rate_limit: {rate: 0, burst: 7, "
	         "allowed_rate: 50, allowed_burst: 60}\nendpoints:\n"
	         "  - {id: a, name: A, tier: city, " CONTACTS "}\n");
	assert_clean(&l);
	assert_int_equal(l.conf->sip_rate_limit.rate, 0);
	assert_int_equal(l.conf->sip_rate_limit.burst, 7);
	assert_int_equal(l.conf->sip_rate_limit.allowed_rate, 50);
	assert_int_equal(l.conf->sip_rate_limit.allowed_burst, 60);
	/* it is read at start: a reload that changes it is refused */
	const char *key = NULL;
	assert_false(mcu_conf_reload_allowed(first, l.conf, &key));
	assert_string_equal(key, "mcu.sip.rate_limit");
	assert_true(mcu_conf_reload_allowed(first, first, &key));
	mcu_conf_free(first);
	unload(&l);

	load(&l, "mcu:\n  sip:\n    rate_limit: {rate: 30, burst: 10, "
	         "allowed_burst: 0, flood: 1}\nendpoints:\n"
	         "  - {id: a, name: A, tier: city, " CONTACTS "}\n");
	assert_non_null(finding(&l, MCU_CONF_ERROR,
	                        "mcu.sip.rate_limit: a burst must be"));
	assert_non_null(finding(&l, MCU_CONF_ERROR,
	                        "mcu.sip.rate_limit.allowed_burst"));
	assert_non_null(finding(&l, MCU_CONF_WARNING, "unknown key 'flood'"));
	unload(&l);

	load(&l, "mcu:\n  sip:\n    rate_limit: {rate: -1}\nendpoints:\n"
	         "  - {id: a, name: A, tier: city, " CONTACTS "}\n");
	assert_non_null(finding(&l, MCU_CONF_ERROR, "mcu.sip.rate_limit.rate"));
	unload(&l);
}

/* mcu.user / mcu.group (docs/security.md): names only, checked at start;
   mcu.group needs mcu.user; a reload that changes them is refused. */
/* An endpoint's IPv4 address in standard form only: 192.168.001.010
   would call 192.168.1.8 (a leading 0 is octal to the resolver), 089 would
   go to DNS as a name. */
static void sip_uri_ipv4_form(void **state)
{
	(void)state;
	struct loaded l;
	static const char *const bad[] = {"192.168.001.010", "10.0.0.089",
	                                  "1.2.3", "300.1.1.1"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char y[512];
		snprintf(y, sizeof(y),
		         "endpoints:\n  - {id: a, name: A, tier: city, "
		         "sip: 'sip:a@%s:5060', " CONTACTS "}\n",
		         bad[i]);
		load(&l, y);
		assert_non_null(
			finding(&l, MCU_CONF_ERROR, "not in standard form"));
		unload(&l);
	}
	load(&l, "endpoints:\n  - {id: a, name: A, tier: city, "
	         "sip: 'sip:a@10.0.0.89:5060', " CONTACTS "}\n");
	assert_clean(&l);
	unload(&l);
}

static void user_keys(void **state)
{
	struct loaded l;
	(void)state;

	load(&l, "endpoints:\n  - {id: a, name: A, tier: city, " CONTACTS
	         "}\n");
	assert_clean(&l);
	assert_null(l.conf->user);
	assert_null(l.conf->group);
	struct mcu_conf *first = l.conf;
	l.conf = NULL;
	mcu_conf_report_clear(&l.report);

	load(&l, "mcu: {user: mcud, group: mcu-media_1.x}\nendpoints:\n"
	         "  - {id: a, name: A, tier: city, " CONTACTS "}\n");
	assert_clean(&l);
	assert_string_equal(l.conf->user, "mcud");
	assert_string_equal(l.conf->group, "mcu-media_1.x");
	const char *key = NULL;
	assert_false(mcu_conf_reload_allowed(first, l.conf, &key));
	assert_string_equal(key, "mcu.user");
	assert_false(mcu_conf_reload_allowed(l.conf, first, &key));
	assert_true(mcu_conf_reload_allowed(l.conf, l.conf, &key));
	mcu_conf_free(first);
	unload(&l);

	load(&l, "mcu: {user: '-x'}\nendpoints:\n"
	         "  - {id: a, name: A, tier: city, " CONTACTS "}\n");
	assert_non_null(finding(&l, MCU_CONF_ERROR, "mcu.user: '-x'"));
	unload(&l);
	load(&l, "mcu: {user: 'a b'}\nendpoints:\n"
	         "  - {id: a, name: A, tier: city, " CONTACTS "}\n");
	assert_non_null(finding(&l, MCU_CONF_ERROR, "is not a user"));
	unload(&l);
	load(&l, "mcu: {user: \"x\\0y\"}\nendpoints:\n"
	         "  - {id: a, name: A, tier: city, " CONTACTS "}\n");
	assert_non_null(finding(&l, MCU_CONF_ERROR, "NUL character"));
	assert_null(l.conf ? l.conf->user : NULL);
	unload(&l);
	load(&l, "mcu: {user: "
	         "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa}"
	         "\nendpoints:\n  - {id: a, name: A, tier: city, " CONTACTS
	         "}\n");
	assert_non_null(finding(&l, MCU_CONF_ERROR, "under 64 bytes"));
	unload(&l);
	load(&l, "mcu: {group: mcud}\nendpoints:\n"
	         "  - {id: a, name: A, tier: city, " CONTACTS "}\n");
	assert_non_null(finding(&l, MCU_CONF_ERROR, "mcu.group needs mcu.user"));
	unload(&l);
	load(&l, "mcu: {user: [a]}\nendpoints:\n"
	         "  - {id: a, name: A, tier: city, " CONTACTS "}\n");
	assert_non_null(finding(&l, MCU_CONF_ERROR, "mcu.user"));
	unload(&l);
}

static void static_rtp_source_key(void **state)
{
	struct loaded l;
	(void)state;

	load(&l, "endpoints:\n  - {id: a, name: A, tier: city, " CONTACTS
	         ", rtp: {remote: 127.0.0.1:4000, local: 127.0.0.1:5000, "
	         "source: 127.0.0.2:4100, video: {codec: h264, "
	         "payload_type: 96}}}\n"
	         "  - {id: b, name: B, tier: city, " CONTACTS
	         ", rtp: {remote: 127.0.0.1:4010, local: 127.0.0.1:5010, "
	         "video: {codec: h264, payload_type: 96}}}\n");
	assert_clean(&l);
	assert_string_equal(l.conf->endpoints[0].rtp.source.host, "127.0.0.2");
	assert_int_equal(l.conf->endpoints[0].rtp.source.port, 4100);
	assert_null(l.conf->endpoints[1].rtp.source.host);
	unload(&l);

	load(&l, "endpoints:\n  - {id: a, name: A, tier: city, " CONTACTS
	         ", rtp: {remote: 127.0.0.1:4000, local: 127.0.0.1:5000, "
	         "source: nowhere, video: {codec: h264, "
	         "payload_type: 96}}}\n");
	assert_non_null(finding(&l, MCU_CONF_ERROR, "rtp.source"));
	unload(&l);
}

static void full_mcu_section(void **state)
{
	struct loaded l;
	load(&l, "mcu:\n"
	     "  name: X\n"
	     "  timezone: Asia/Bangkok\n"
	     "  holidays: [2026-09-02, 2026-01-01, 2026-09-02]\n"
	     "  sip:\n"
	     "    listen: ['tls:[::]:5061', 'udp:10.0.0.1:5060']\n"
	     "    domain: d.example\n"
	     "    tls: {certificate: /c.pem, key: /k.pem}\n"
	     "  rtp: {ports: 30000-30999, srtp: required}\n"
	     "  api: {listen: '[::1]:9000', token_file: /t}\n"
	     "  media: {fps: 25, x264_preset: ultrafast, "
	     "keyframe_interval_s: 2}\n"
	     "  logbook: /l.db\n  recordings: /r\n"
	     "endpoints:\n"
	     "  - {id: a, name: A, tier: city, sip: 'sip:u@[2001:db8::1]:5080',"
	     " allow: [10.1.2.0/24, '2001:db8::/32', 10.9.9.9], codecs: [H264, "
	     "OPUS], bandwidth_kbps: 512, auth: {user: u, password_file: /p}, "
	     CONTACTS "}\n");
	assert_clean(&l);
	const struct mcu_conf *c = l.conf;
	assert_string_equal(c->timezone, "Asia/Bangkok");
	assert_int_equal(c->n_holidays, 2);
	assert_true(c->holidays[0] < c->holidays[1]);
	assert_int_equal(c->sip_listen[0].proto, MCU_SIP_TLS);
	assert_string_equal(c->sip_listen[0].addr.host, "::");
	assert_int_equal(c->sip_listen[0].addr.port, 5061);
	assert_string_equal(c->sip_domain, "d.example");
	assert_string_equal(c->tls_key, "/k.pem");
	assert_int_equal(c->rtp_port_min, 30000);
	assert_int_equal(c->srtp, MCU_SRTP_REQUIRED);
	assert_int_equal(c->api_listen.port, 9000);
	assert_string_equal(c->api_token_file, "/t");
	assert_int_equal(c->fps, 25);
	assert_string_equal(c->x264_preset, "ultrafast");
	const struct mcu_conf_endpoint *a = &c->endpoints[0];
	assert_string_equal(a->sip_user, "u");
	assert_string_equal(a->sip_host, "2001:db8::1");
	assert_int_equal(a->sip_port, 5080);
	assert_int_equal(a->n_allow, 3);
	assert_int_equal(a->allow[0].prefix, 24);
	assert_int_equal(a->allow[1].family, AF_INET6);
	assert_int_equal(a->allow[2].prefix, 32);
	assert_string_equal(a->codecs[1], "opus");
	assert_true(a->has_auth);
	assert_string_equal(a->auth_password_file, "/p");
	unload(&l);
	mcu_conf_apply_timezone("Asia/Ho_Chi_Minh");
}

static void timezone_apply(void **state)
{
	assert_int_equal(mcu_conf_apply_timezone("Asia/Ho_Chi_Minh"), 0);
	assert_int_equal(mcu_conf_apply_timezone("Mars/Olympus"), EINVAL);
	assert_int_equal(mcu_conf_apply_timezone("../../etc/passwd"), EINVAL);
	assert_int_equal(mcu_conf_apply_timezone(""), EINVAL);
	struct loaded l;
	load(&l, "mcu: {timezone: Mars/Olympus}\n");
	assert_int_equal(l.err, EINVAL);
	assert_pos(finding(&l, MCU_CONF_ERROR, "unknown time zone"), 1, 17);
	unload(&l);
	/* a time without offset is read in the roster's zone */
	load(&l, "mcu: {timezone: UTC}\n"
	     "endpoints: [{id: a, name: A, tier: city, " CONTACTS "}]\n"
	     "meetings: [{id: m, host: a, start: 2026-12-07T08:00, end: "
	     "2026-12-07T09:00:30+01:00}]\n");
	assert_int_equal(l.err, 0);
	assert_int_equal(l.conf->meetings[0].start, 1796630400);
	assert_int_equal(l.conf->meetings[0].end, 1796630400 + 30);
	unload(&l);
	assert_int_equal(mcu_conf_apply_timezone("Asia/Ho_Chi_Minh"), 0);
}

static void reload_allowed(void **state)
{
	struct loaded a, b, c;
	load(&a, "mcu: {api: {listen: 127.0.0.1:8080}}\nendpoints: []\n");
	load(&b, "mcu: {api: {listen: 127.0.0.1:8081}}\nendpoints: []\n");
	load(&c, "mcu: {name: other}\nendpoints: []\n");
	const char *key = NULL;
	assert_non_null(a.conf);
	assert_false(mcu_conf_reload_allowed(a.conf, b.conf, &key));
	assert_string_equal(key, "mcu.api.listen");
	assert_true(mcu_conf_reload_allowed(a.conf, c.conf, &key));
	assert_null(key);
	c.conf->rtp_port_max = 20999;
	assert_false(mcu_conf_reload_allowed(a.conf, c.conf, &key));
	assert_string_equal(key, "mcu.rtp.ports");
	c.conf->rtp_port_max = a.conf->rtp_port_max;
	free(c.conf->timezone);
	c.conf->timezone = strdup("UTC");
	assert_false(mcu_conf_reload_allowed(a.conf, c.conf, &key));
	assert_string_equal(key, "mcu.timezone");
	unload(&a);
	unload(&b);
	unload(&c);
}

/* ---- groups ------------------------------------------------------------ */

static void groups_expand(void **state)
{
	struct loaded l;
	load(&l, "endpoints:\n"
	     "  - {id: a, name: A, tier: city, " CONTACTS "}\n"
	     "  - {id: b, name: B, tier: district, " CONTACTS "}\n"
	     "  - {id: c, name: C, tier: commune, parent: b, " CONTACTS "}\n"
	     "  - {id: d, name: D, tier: district, " CONTACTS "}\n"
	     "  - {id: e, name: E, tier: commune, parent: d, " CONTACTS "}\n"
	     "  - {id: f, name: F, tier: commune, parent: b, " CONTACTS "}\n"
	     "groups:\n"
	     "  districts: {tier: district}\n"
	     "  under-b: {parent: b}\n"
	     "  communes-of-b: {tier: commune, parent: b}\n"
	     "  picked: [f, a, f]\n"
	     "meetings:\n"
	     "  - {id: m1, host: a, branches: [under-b, 'tier:district'], "
	     "start: 2026-12-07T08:00, end: 2026-12-07T09:00, announced: "
	     "2026-12-01, test_run: {start: 2026-12-04T08:00, end: "
	     "2026-12-04T09:00}}\n"
	     "  - {id: m2, host: c, branches: [picked, districts], start: "
	     "2026-12-08T08:00, end: 2026-12-08T09:00, announced: 2026-12-01, "
	     "test_run: {start: 2026-12-07T08:00, end: 2026-12-07T09:00}}\n"
	     "  - {id: m3, host: e, branches: all, start: 2026-12-09T08:00, "
	     "end: 2026-12-09T09:00, announced: 2026-12-01, test_run: {start: "
	     "2026-12-08T08:00, end: 2026-12-08T09:00}}\n");
	assert_clean(&l);
	const struct mcu_conf *c = l.conf;
	assert_int_equal(c->n_groups, 4);
	assert_int_equal(c->groups[0].n_members, 2); /* b, d */
	assert_int_equal(c->groups[1].n_members, 2); /* c, f */
	assert_int_equal(c->groups[2].n_members, 2);
	assert_int_equal(c->groups[3].n_members, 2); /* a, f in roster order */
	assert_int_equal(c->groups[3].members[0], 0);
	assert_int_equal(c->groups[3].members[1], 5);
	size_t m1[] = {1, 2, 3, 5}, m2[] = {0, 1, 3, 5}, m3[] = {0, 1, 2, 3, 5};
	assert_int_equal(c->meetings[0].n_branches, 4);
	for (size_t i = 0; i < 4; i++)
		assert_int_equal(c->meetings[0].branches[i], m1[i]);
	assert_int_equal(c->meetings[1].n_branches, 4);
	for (size_t i = 0; i < 4; i++)
		assert_int_equal(c->meetings[1].branches[i], m2[i]);
	assert_int_equal(c->meetings[2].n_branches, 5);
	for (size_t i = 0; i < 5; i++)
		assert_int_equal(c->meetings[2].branches[i], m3[i]);
	assert_string_equal(c->meetings[2].branch_specs[0], "all");
	unload(&l);
}

static void groups_bad(void **state)
{
	struct loaded l;
	load(&l, "endpoints: [{id: a, name: A, tier: city, " CONTACTS "}]\n"
	     "groups:\n"
	     "  g1: [a, zz]\n"
	     "  g2: {parent: qq}\n"
	     "  all: [a]\n"
	     "  g4: 12\n");
	assert_int_equal(l.err, EINVAL);
	assert_pos(finding(&l, MCU_CONF_ERROR, "group 'g1': unknown endpoint "
	                   "'zz'"), 3, 11);
	assert_pos(finding(&l, MCU_CONF_ERROR, "unknown parent 'qq'"), 4, 16);
	assert_non_null(finding(&l, MCU_CONF_ERROR, "'all' is reserved"));
	assert_non_null(finding(&l, MCU_CONF_ERROR, "group 'g4'"));
	unload(&l);
}

/* ---- hostile input ------------------------------------------------------ */

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Loads `buf` and checks one error, unreadable, in under a second. */
static void expect_refused(const char *buf, size_t len, const char *needle)
{
	struct loaded l;
	struct mcu_conf *conf = NULL;
	memset(&l, 0, sizeof(l));
	double t0 = now_s();
	l.err = mcu_conf_load_buffer("h.yaml", buf, len, &conf, &l.report);
	double dt = now_s() - t0;
	l.conf = conf;
	if (!finding(&l, MCU_CONF_ERROR, needle))
		mcu_conf_report_print(&l.report, stderr);
	/* bounded work, not speed: an unbounded expansion takes minutes or
	   all memory; 30 s leaves room for a sanitizer build (ThreadSanitizer
	   runs this 5-15 times slower) on a loaded machine (CI's ASan stage
	   once took 5.65 s for hostile_many_nodes, 0.5 s here alone) */
	if (dt >= 5.0)
		fprintf(stderr, "note: refused after %.1f s\n", dt);
	assert_true(dt < 30.0);
	assert_true(l.err != 0);
	assert_null(conf);
	assert_true(l.report.unreadable);
	assert_int_equal(l.report.n_errors, 1);
	assert_non_null(finding(&l, MCU_CONF_ERROR, needle));
	unload(&l);
}

static void hostile_alias_bomb(void **state)
{
	const char *bomb = "a: &a [x, x, x, x, x, x, x, x, x]\n"
	                   "b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
	                   "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\n"
	                   "d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
	                   "e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]\n"
	                   "f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e]\n";
	expect_refused(bomb, strlen(bomb), "aliases are not allowed");
	struct loaded l;
	load(&l, "mcu: {name: &n x}\nendpoints: []\nx: *n\n");
	assert_pos(finding(&l, MCU_CONF_ERROR, "aliases are not allowed"), 3, 4);
	unload(&l);
}

static void hostile_depth_bomb(void **state)
{
	size_t n = 10000;
	char *buf = malloc(n + 1);
	assert_non_null(buf);
	memset(buf, '[', n);
	buf[n] = '\0';
	expect_refused(buf, n, "nesting deeper than 32");
	for (size_t i = 0; i < n; i++)
		buf[i] = i % 2 ? ' ' : '-';
	expect_refused(buf, n, "nesting deeper than 32");
	free(buf);
}

static void hostile_big_file(void **state)
{
	size_t n = 9u << 20;
	char *buf = malloc(n);
	assert_non_null(buf);
	memset(buf, '#', n);
	expect_refused(buf, n, "larger than the limit");
	free(buf);
}

static void hostile_long_scalar(void **state)
{
	size_t n = MCU_CONF_MAX_SCALAR + 100;
	char *buf = malloc(n + 16);
	assert_non_null(buf);
	memcpy(buf, "mcu: {name: ", 12);
	memset(buf + 12, 'x', n);
	memcpy(buf + 12 + n, "}\n", 3);
	expect_refused(buf, strlen(buf), "longer than the limit");
	free(buf);
}

static void hostile_many_nodes(void **state)
{
	size_t items = MCU_CONF_MAX_ITEMS + 10, n = items * 3 + 16;
	char *buf = malloc(n);
	assert_non_null(buf);
	size_t k = 0;
	buf[k++] = '[';
	for (size_t i = 0; i < items; i++) {
		buf[k++] = '1';
		buf[k++] = ',';
	}
	buf[k++] = ']';
	expect_refused(buf, k, "more than 100000 YAML nodes");
	free(buf);
}

static void hostile_members(void **state)
{
	size_t cap = 1u << 20, k = 0;
	char *buf = malloc(cap);
	assert_non_null(buf);
	k += (size_t)snprintf(buf + k, cap - k, "endpoints:\n");
	for (int i = 0; i < 1100; i++)
		k += (size_t)snprintf(buf + k, cap - k,
		                      "- {id: e%d, name: x, tier: city}\n", i);
	k += (size_t)snprintf(buf + k, cap - k, "meetings:\n");
	for (int i = 0; i < 1000; i++)
		k += (size_t)snprintf(buf + k, cap - k,
		                      "- {id: m%d, host: e0, branches: all, start: "
		                      "2026-12-07T08:00, end: 2026-12-07T09:00}\n",
		                      i);
	assert_true(k < cap);
	struct loaded l;
	double t0 = now_s();
	load(&l, buf);
	/* Linear work is ~0.1 s; quadratic would be minutes. 5 s leaves room
	   for a loaded machine. */
	assert_true(now_s() - t0 < 5.0);
	assert_int_equal(l.err, EINVAL);
	assert_null(l.conf);
	assert_non_null(finding(&l, MCU_CONF_ERROR, "more than 1048576 members"));
	unload(&l);
	free(buf);
}

static void hostile_binary(void **state)
{
	unsigned char bin[4096];
	unsigned x = 12345;
	for (size_t i = 0; i < sizeof(bin); i++) {
		x = x * 1103515245u + 12345u;
		bin[i] = (unsigned char)((x >> 16) | 0x80); /* never NUL */
	}
	expect_refused((const char *)bin, sizeof(bin), "UTF-8");
	const char nul[] = "mcu:\n  name: a\0b\n";
	struct loaded l;
	memset(&l, 0, sizeof(l));
	expect_refused(nul, sizeof(nul) - 1, "NUL byte");
	l.err = mcu_conf_load_buffer("n", nul, sizeof(nul) - 1, &l.conf,
	                             &l.report);
	assert_pos(finding(&l, MCU_CONF_ERROR, "NUL byte"), 2, 10);
	unload(&l);
	const char esc[] = "mcu: {name: \"a\\0b\"}\n";
	expect_refused(esc, sizeof(esc) - 1, "NUL character");
	const char bad_utf8[] = "mcu: {name: \"caf\xc3\x28\"}\n";
	expect_refused(bad_utf8, sizeof(bad_utf8) - 1, "UTF-8");
}

static void hostile_misc(void **state)
{
	struct loaded l;
	load(&l, "");
	assert_int_equal(l.err, EINVAL);
	assert_non_null(finding(&l, MCU_CONF_ERROR, "no YAML document"));
	unload(&l);
	load(&l, "- just\n- a list\n");
	assert_int_equal(l.err, EINVAL);
	assert_non_null(finding(&l, MCU_CONF_ERROR, "must be a mapping"));
	unload(&l);
	expect_refused("a: 1\n---\nb: 2\n", 14, "more than one YAML document");
	l.err = mcu_conf_load("/nonexistent/roster.yaml", &l.conf, &l.report);
	assert_int_equal(l.err, ENOENT);
	assert_true(l.report.unreadable);
	unload(&l);
}

static void report_print_format(void **state)
{
	struct loaded l;
	char *text = NULL;
	size_t len = 0;
	load(&l, "mcu:\n  fps: 1\n");
	FILE *f = open_memstream(&text, &len);
	assert_non_null(f);
	mcu_conf_report_print(&l.report, f);
	fclose(f);
	assert_non_null(strstr(text, "t.yaml:2:3: warning: mcu: unknown key "
	                             "'fps' (ignored)\n"));
	assert_non_null(strstr(text, "t.yaml:1:1: warning: roster: no endpoints"));
	free(text);
	unload(&l);
}

static void layout_names(void **state)
{
	const char *ok[] = {"host",     "host+floor", "speaker", "grid-2x2",
	                    "grid-5x5", "tour-3x3",   "1+5",     "1+7",
	                    "1+12",     "content"};
	const char *bad[] = {"grid-1x1", "grid-6x6", "grid-2x3", "tour-",
	                     "Host",     "",         "1+6",      "grid-2x22"};
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		assert_true(mcu_conf_layout_valid(ok[i]));
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_false(mcu_conf_layout_valid(bad[i]));
	assert_false(mcu_conf_layout_valid(NULL));
	assert_string_equal(mcu_conf_tier_name(MCU_TIER_COMMUNE), "commune");
	assert_string_equal(mcu_conf_floor_name(MCU_FLOOR_LECTURE), "lecture");
}

/* layout_presets: parsed as written, 0 is the meeting's layout, the
 * built-in list without the key, bad entries reported where they are. */
static void layout_presets(void **state)
{
	struct loaded l;
	const char *h, *b;
	load(&l, BASE_EPS "meetings:\n" GOOD_MEETING
	     "    layout: {host: grid-3x3, branches: host}\n"
	     "    layout_presets:\n"
	     "      - {host: tour-2x2, branches: host+floor}\n"
	     "      - {branches: speaker}\n");
	assert_clean(&l);
	const struct mcu_conf_meeting *m = &l.conf->meetings[0];
	assert_int_equal(m->n_presets, 2);
	assert_true(mcu_conf_layout_preset(m, 0, &h, &b));
	assert_string_equal(h, "grid-3x3");
	assert_string_equal(b, "host");
	assert_true(mcu_conf_layout_preset(m, 1, &h, &b));
	assert_string_equal(h, "tour-2x2");
	assert_string_equal(b, "host+floor");
	assert_true(mcu_conf_layout_preset(m, 2, &h, &b));
	assert_null(h);
	assert_string_equal(b, "speaker");
	assert_false(mcu_conf_layout_preset(m, 3, &h, &b));
	assert_false(mcu_conf_layout_preset(m, 4000000000u, &h, &b));
	assert_false(mcu_conf_layout_preset(NULL, 1, &h, &b));
	unload(&l);

	/* No key: the built-in list, every name a valid layout. */
	load(&l, BASE_EPS "meetings:\n" GOOD_MEETING);
	assert_clean(&l);
	m = &l.conf->meetings[0];
	assert_int_equal(m->n_presets, 0);
	unsigned n = 1;
	while (mcu_conf_layout_preset(m, n, &h, &b)) {
		assert_true(!h || mcu_conf_layout_valid(h));
		assert_true(!b || mcu_conf_layout_valid(b));
		n++;
	}
	assert_int_equal(n - 1, 6);
	assert_true(mcu_conf_layout_preset(m, 3, &h, &b));
	assert_string_equal(h, "tour-2x2");
	assert_true(mcu_conf_layout_preset(m, 0, &h, &b));
	assert_string_equal(h, "tour-4x4");
	unload(&l);

	/* Errors with their positions (lines after the meeting's own). */
	int top = 0;
	for (const char *c = BASE_EPS "meetings:\n" GOOD_MEETING; *c; c++)
		top += *c == '\n';
	load(&l, BASE_EPS "meetings:\n" GOOD_MEETING
	     "    layout_presets:\n"
	     "      - {host: grid-9x9}\n"
	     "      - {}\n"
	     "      - {host: grid-2x2, colour: red}\n");
	assert_int_equal(l.err, EINVAL);
	assert_pos(finding(&l, MCU_CONF_ERROR, "unknown layout 'grid-9x9'"),
	           top + 2, 16);
	assert_pos(finding(&l, MCU_CONF_ERROR, "layout_presets 2: give host"),
	           top + 3, 9);
	assert_non_null(finding(&l, MCU_CONF_WARNING, "colour"));
	unload(&l);
	load(&l, BASE_EPS "meetings:\n" GOOD_MEETING
	     "    layout_presets: tour-2x2\n");
	assert_int_equal(l.err, EINVAL);
	assert_pos(finding(&l, MCU_CONF_ERROR, "expected a list"), top + 1,
	           21);
	unload(&l);
	char big[4096];
	int off = snprintf(big, sizeof(big), "%s",
	                   BASE_EPS "meetings:\n" GOOD_MEETING
	                   "    layout_presets:\n");
	for (int i = 0; i < MCU_CONF_LAYOUT_PRESETS_MAX + 1; i++)
		off += snprintf(big + off, sizeof(big) - (size_t)off,
		                "      - {host: host}\n");
	load(&l, big);
	assert_int_equal(l.err, EINVAL);
	assert_non_null(finding(&l, MCU_CONF_ERROR, "at most 20 presets"));
	unload(&l);
}

static int setup_tz(void **state)
{
	return mcu_conf_apply_timezone("Asia/Ho_Chi_Minh");
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(example_cantho),
	cmocka_unit_test(example_endpoint_fields),
	cmocka_unit_test(data_minimal_valid),
	cmocka_unit_test(data_broken_files),
	cmocka_unit_test(data_unknown_key_warning),
	cmocka_unit_test(data_static_rtp),
	cmocka_unit_test(static_rtp_bad),
	cmocka_unit_test(rule_all_kept),
	cmocka_unit_test(rule_notice_weekend),
	cmocka_unit_test(rule_notice_holiday),
	cmocka_unit_test(rule_emergency_hour),
	cmocka_unit_test(rule_overlap),
	cmocka_unit_test(adhoc_extra_meetings),
	cmocka_unit_test(rule_end_before_start),
	cmocka_unit_test(rule_unknown_refs),
	cmocka_unit_test(rule_host_among_branches),
	cmocka_unit_test(rule_duplicate_ids),
	cmocka_unit_test(rule_test_run_window),
	cmocka_unit_test(rule_requested),
	cmocka_unit_test(rule_contacts),
	cmocka_unit_test(rule_no_announced),
	cmocka_unit_test(rule_number_clash),
	cmocka_unit_test(type_errors_positions),
	cmocka_unit_test(yaml_syntax_error),
	cmocka_unit_test(duplicate_key),
	cmocka_unit_test(defaults),
	cmocka_unit_test(full_mcu_section),
	cmocka_unit_test(timezone_apply),
	cmocka_unit_test(reload_allowed),
	cmocka_unit_test(groups_expand),
	cmocka_unit_test(groups_bad),
	cmocka_unit_test(hostile_alias_bomb),
	cmocka_unit_test(hostile_depth_bomb),
	cmocka_unit_test(hostile_big_file),
	cmocka_unit_test(hostile_long_scalar),
	cmocka_unit_test(hostile_many_nodes),
	cmocka_unit_test(hostile_members),
	cmocka_unit_test(hostile_binary),
	cmocka_unit_test(hostile_misc),
	cmocka_unit_test(report_print_format),
	cmocka_unit_test(layout_names),
	cmocka_unit_test(layout_presets),
	cmocka_unit_test(content_dir_key),
	cmocka_unit_test(limits_keys),
	cmocka_unit_test(srtp_keys),
	cmocka_unit_test(tls_verify_keys),
	cmocka_unit_test(sip_rate_limit_keys),
	cmocka_unit_test(static_rtp_source_key),
	cmocka_unit_test(user_keys),
	cmocka_unit_test(sip_uri_ipv4_form),
};

MCU_TEST_MAIN(tests, setup_tz, NULL)
