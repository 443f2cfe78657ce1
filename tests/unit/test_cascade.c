/* test-libs: mcu_conf mcu_core */
/*
 * Cascading (issue 8 item 7): a meeting's cascade: list read into links
 * (endpoints of their own, branches of the meeting), every refusal with
 * its position, links kept out of all/tier:/groups, one id shared by
 * several meetings; the dialer hooks (who is called, without an attempt
 * limit) and the API's kind.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "conf/config.h"
#include "mcu/cascade.h"
#include "mcu/dialout.h"
#include "tests/unit/testutil.h"

#define EPS                                                                    \
	"endpoints:\n"                                                         \
	"  - {id: a, name: A, tier: city, sip: 'sip:a@10.0.0.1'}\n"            \
	"  - {id: b, name: B, tier: extended, sip: 'sip:b@10.0.0.2'}\n"        \
	"  - {id: c, name: C, tier: district, sip: 'sip:c@10.0.0.3'}\n"

#define MEETING(id, extra)                                                     \
	"  - id: " id "\n"                                                     \
	"    host: a\n"                                                        \
	"    branches: [b]\n"                                                  \
	"    start: 2026-12-07T08:00\n"                                        \
	"    end: 2026-12-07T10:00\n"                                          \
	"    announced: 2026-12-01\n"                                          \
	"    emergency: false\n" extra

#define LINK_OUT                                                               \
	"    cascade:\n"                                                       \
	"      - id: mcu-nk\n"                                                 \
	"        name: \"MCU Ninh Kiều\"\n"                                    \
	"        uri: \"sip:giao-ban@10.1.0.5:5070\"\n"                        \
	"        direction: out\n"

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

static const struct mcu_conf_endpoint *ep(const struct mcu_conf *c,
                                          const char *id)
{
	long i = mcu_conf_endpoint_index(c, id);
	return i < 0 ? NULL : &c->endpoints[i];
}

static bool has_branch(const struct mcu_conf_meeting *m, long e)
{
	for (size_t i = 0; i < m->n_branches; i++)
		if (m->branches[i] == (size_t)e)
			return true;
	return false;
}

static void link_out_parsed(void **state)
{
	(void)state;
	struct loaded l;
	load(&l, EPS "meetings:\n" MEETING("m1", LINK_OUT));
	assert_int_equal(l.err, 0);
	const struct mcu_conf_endpoint *e = ep(l.conf, "mcu-nk");
	assert_non_null(e);
	assert_int_equal(e->cascade, MCU_CASCADE_OUT);
	assert_string_equal(e->name, "MCU Ninh Kiều");
	assert_string_equal(e->sip, "sip:giao-ban@10.1.0.5:5070");
	assert_string_equal(e->sip_user, "giao-ban");
	assert_string_equal(e->sip_host, "10.1.0.5");
	assert_int_equal(e->sip_port, 5070);
	assert_int_equal(e->tier, MCU_TIER_EXTENDED);
	assert_int_equal(e->bandwidth_kbps, 2048);
	assert_true(e->n_codecs > 0);
	assert_string_equal(e->codecs[0], "h264");
	/* the uri host is the default allow list */
	assert_int_equal(e->n_allow, 1);
	const struct mcu_conf_meeting *m = &l.conf->meetings[0];
	long idx = mcu_conf_endpoint_index(l.conf, "mcu-nk");
	assert_int_equal(m->n_cascades, 1);
	assert_int_equal(m->cascades[0], (size_t)idx);
	assert_true(has_branch(m, idx));
	assert_int_equal(m->n_branches, 2);
	assert_int_equal(l.conf->n_cascade_links, 1);
	assert_string_equal(mcu_conf_cascade_name(e->cascade), "out");
	assert_null(mcu_conf_cascade_name(MCU_CASCADE_NONE));
	/* a link needs no contacts */
	assert_null(finding(&l, MCU_CONF_WARNING, "mcu-nk"));
	unload(&l);
}

static void link_in_with_allow(void **state)
{
	(void)state;
	struct loaded l;
	load(&l, EPS "meetings:\n" MEETING(
	                 "m1", "    dial: in\n"
	                       "    cascade:\n"
	                       "      - {id: mcu-tp, name: City, uri: "
	                       "'sip:giao-ban@mcu.cantho.gov.vn', direction: in,"
	                       " allow: [10.0.9.0/24, 10.0.8.1], "
	                       "bandwidth_kbps: 1000}\n"));
	assert_int_equal(l.err, 0);
	const struct mcu_conf_endpoint *e = ep(l.conf, "mcu-tp");
	assert_non_null(e);
	assert_int_equal(e->cascade, MCU_CASCADE_IN);
	assert_int_equal(e->n_allow, 2);
	assert_int_equal(e->allow[0].prefix, 24);
	assert_int_equal(e->bandwidth_kbps, 1000);
	assert_string_equal(e->sip_host, "mcu.cantho.gov.vn");
	unload(&l);
}

/* Each refusal: an error naming the problem, at the entry's position. */
static void refusals(void **state)
{
	(void)state;
	static const struct {
		const char *entry, *needle;
	} cases[] = {
		{"      - {id: x, name: X, direction: out}\n",
		 "cascade link 'x': uri is required"},
		{"      - {id: x, name: X, uri: 'sip:m@10.0.0.9'}\n",
		 "direction is required"},
		{"      - {id: x, uri: 'sip:m@10.0.0.9', direction: out}\n",
		 "name is required"},
		{"      - {name: X, uri: 'sip:m@10.0.0.9', direction: out}\n",
		 "cascade link without id"},
		{"      - {id: x, name: X, uri: 'http://m', direction: out}\n",
		 "is not a SIP URI"},
		{"      - {id: x, name: X, uri: 'sip:10.0.0.9', direction: out}\n",
		 "has no user part"},
		{"      - {id: x, name: X, uri: 'sip:m@10.0.0.9', direction: up}\n",
		 "direction"},
		{"      - {id: x, name: X, uri: 'sip:m@mcu.b', direction: in}\n",
		 "direction in needs allow"},
		{"      - {id: x, name: X, uri: 'sip:m@10.0.0.9', direction: out,"
		 " allow: [nonsense]}\n",
		 "not an address"},
		{"      - {id: X!, name: X, uri: 'sip:m@10.0.0.9', direction: out}\n",
		 "not a valid id"},
		{"      - {id: a, name: X, uri: 'sip:m@10.0.0.9', direction: out}\n",
		 "duplicate endpoint id 'a'"},
		{"      - {id: x, name: X, uri: 'sip:m@10.0.0.9', direction: out}\n"
		 "      - {id: x, name: X, uri: 'sip:m@10.0.0.9', direction: out}\n",
		 "listed twice"},
		{"      - not-a-map\n", "cascade item must be a mapping"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char yaml[2048];
		struct loaded l;
		snprintf(yaml, sizeof(yaml), "%smeetings:\n%s    cascade:\n%s",
		         EPS, MEETING("m1", ""), cases[i].entry);
		load(&l, yaml);
		const struct mcu_conf_finding *f =
			finding(&l, MCU_CONF_ERROR, cases[i].needle);
		if (!f)
			fail_msg("case %zu: no error '%s'", i, cases[i].needle);
		assert_int_equal(l.err, EINVAL);
		assert_true(f->pos.line >= 10); /* in the cascade: list */
		unload(&l);
	}
	/* not a list */
	struct loaded l;
	load(&l, EPS "meetings:\n" MEETING("m1", "    cascade: mcu-x\n"));
	assert_non_null(finding(&l, MCU_CONF_ERROR, "cascade: expected a list"));
	unload(&l);
}

/* A link is a branch of its meeting only: never by all, tier: or a
   group, and naming it as host or branch is an error. */
static void links_kept_apart(void **state)
{
	(void)state;
	struct loaded l;
	load(&l, EPS "groups:\n  ext: {tier: extended}\n"
	             "  many: [b, c]\n"
	             "meetings:\n" MEETING("m1", LINK_OUT)
	             "  - id: m2\n    host: c\n    branches: [all, ext, "
	             "'tier:extended']\n"
	             "    start: 2026-12-08T08:00\n    end: 2026-12-08T10:00\n"
	             "    announced: 2026-12-01\n");
	assert_int_equal(l.err, 0);
	long link = mcu_conf_endpoint_index(l.conf, "mcu-nk");
	assert_true(link >= 0);
	assert_false(has_branch(&l.conf->meetings[1], link));
	assert_int_equal(l.conf->meetings[1].n_branches, 2); /* a, b */
	for (size_t g = 0; g < l.conf->n_groups; g++)
		for (size_t k = 0; k < l.conf->groups[g].n_members; k++)
			assert_int_not_equal(l.conf->groups[g].members[k],
			                     (size_t)link);
	unload(&l);

	load(&l, EPS "meetings:\n" MEETING("m1", LINK_OUT)
	             "  - id: m2\n    host: mcu-nk\n    branches: [c, mcu-nk]\n"
	             "    start: 2026-12-08T08:00\n    end: 2026-12-08T10:00\n"
	             "    announced: 2026-12-01\n");
	assert_int_equal(l.err, EINVAL);
	const struct mcu_conf_finding *f =
		finding(&l, MCU_CONF_ERROR, "the host 'mcu-nk' is a cascade link");
	assert_non_null(f);
	assert_int_equal(f->pos.line, 19);
	f = finding(&l, MCU_CONF_ERROR, "branch 'mcu-nk' is a cascade link");
	assert_non_null(f);
	assert_int_equal(f->pos.line, 20);
	unload(&l);
}

/* The same id in two meetings is one link when it says the same;
   different definitions are refused; overlapping meetings sharing it
   clash like any endpoint. */
static void shared_link(void **state)
{
	(void)state;
	struct loaded l;
	load(&l, EPS "meetings:\n" MEETING("m1", LINK_OUT)
	             "  - id: m2\n    host: c\n    branches: [b]\n"
	             "    start: 2026-12-08T08:00\n    end: 2026-12-08T10:00\n"
	             "    announced: 2026-12-01\n" LINK_OUT);
	assert_int_equal(l.err, 0);
	assert_int_equal(l.conf->n_cascade_links, 1);
	assert_int_equal(l.conf->meetings[0].cascades[0],
	                 l.conf->meetings[1].cascades[0]);
	unload(&l);

	load(&l, EPS "meetings:\n" MEETING("m1", LINK_OUT)
	             "  - id: m2\n    host: c\n    branches: [b]\n"
	             "    start: 2026-12-08T08:00\n    end: 2026-12-08T10:00\n"
	             "    announced: 2026-12-01\n"
	             "    cascade: [{id: mcu-nk, name: X, uri: "
	             "'sip:other@10.1.0.5', direction: out}]\n");
	assert_int_equal(l.err, EINVAL);
	assert_non_null(finding(&l, MCU_CONF_ERROR, "one id, one link"));
	unload(&l);

	/* overlapping meetings, the same link (and nothing else shared) */
	load(&l, EPS "meetings:\n" MEETING("m1", LINK_OUT)
	             "  - id: m2\n    host: c\n"
	             "    start: 2026-12-07T09:00\n    end: 2026-12-07T11:00\n"
	             "    announced: 2026-12-01\n" LINK_OUT);
	assert_int_equal(l.err, EINVAL);
	assert_non_null(finding(&l, MCU_CONF_ERROR, "share endpoint 'mcu-nk'"));
	unload(&l);
}

/* Hostile: more links than a meeting may have. */
static void too_many(void **state)
{
	(void)state;
	size_t cap = 64 * 1024;
	char *yaml = malloc(cap);
	assert_non_null(yaml);
	int n = snprintf(yaml, cap, "%smeetings:\n%s    cascade:\n", EPS,
	                 MEETING("m1", ""));
	for (int i = 0; i < 40; i++)
		n += snprintf(yaml + n, cap - (size_t)n,
		              "      - {id: l%d, name: L, uri: 'sip:m@10.0.0.9',"
		              " direction: out}\n", i);
	struct loaded l;
	load(&l, yaml);
	assert_int_equal(l.err, EINVAL);
	assert_non_null(finding(&l, MCU_CONF_ERROR, "more than 32 cascade"));
	unload(&l);
	free(yaml);
}

/* Who the dialer calls: a dial: out meeting everyone but links that call
   us; a dial: in one only its links of direction out. Links are
   persistent: failures never make them give up. */
static void dialout_hooks(void **state)
{
	(void)state;
	struct loaded l;
	load(&l, EPS "meetings:\n" MEETING(
	                 "m1", LINK_OUT
	                 "      - {id: mcu-in, name: In, uri: 'sip:m@10.0.0.7',"
	                 " direction: in}\n")
	             "  - id: m2\n    host: c\n    branches: [b]\n    dial: in\n"
	             "    start: 2026-12-08T08:00\n    end: 2026-12-08T10:00\n"
	             "    announced: 2026-12-01\n" LINK_OUT
	             "  - id: m3\n    host: c\n    branches: [b]\n    dial: in\n"
	             "    start: 2026-12-09T08:00\n    end: 2026-12-09T10:00\n"
	             "    announced: 2026-12-01\n");
	assert_int_equal(l.err, 0);
	const struct mcu_conf *c = l.conf;
	long nk = mcu_conf_endpoint_index(c, "mcu-nk");
	long in = mcu_conf_endpoint_index(c, "mcu-in");
	assert_true(mcu_cascade_is_link(c, (size_t)nk));
	assert_true(mcu_cascade_is_link(c, (size_t)in));
	assert_false(mcu_cascade_is_link(c, 0));
	assert_false(mcu_cascade_is_link(c, 9999));
	assert_true(mcu_cascade_dials(c, &c->meetings[0]));
	assert_true(mcu_cascade_dials(c, &c->meetings[1]));
	assert_false(mcu_cascade_dials(c, &c->meetings[2]));

	/* m1 (dial: out): a, b, mcu-nk; never mcu-in */
	struct mcu_dialout *d = NULL;
	assert_int_equal(mcu_dialout_alloc_meeting(&d, c, 0, NULL), 0);
	assert_int_equal(mcu_dialout_count(d), 3);
	assert_true(mcu_dialout_slot(d, (size_t)nk) >= 0);
	assert_int_equal(mcu_dialout_slot(d, (size_t)in), -1);
	mcu_cascade_dialout_start(d, c, 0, 1000);
	struct mcu_dialout_info info;
	for (size_t s = 0; s < 3; s++) {
		assert_int_equal(mcu_dialout_info(d, s, &info), 0);
		assert_int_equal(info.state, MCU_DIALOUT_QUEUED);
	}
	d = mcu_dialout_free(d);

	/* m2 (dial: in): only the link is called */
	assert_int_equal(mcu_dialout_alloc_meeting(&d, c, 1, NULL), 0);
	long ls = mcu_dialout_slot(d, (size_t)nk);
	assert_true(ls >= 0);
	mcu_cascade_dialout_start(d, c, 1, 1000);
	for (size_t s = 0; s < mcu_dialout_count(d); s++) {
		assert_int_equal(mcu_dialout_info(d, s, &info), 0);
		assert_int_equal(info.state, (long)s == ls
		                                     ? MCU_DIALOUT_QUEUED
		                                     : MCU_DIALOUT_IDLE);
	}
	/* the remote meeting is not live: 480 again and again, never
	   given up (a terminal gives up after 5) */
	int64_t now = 1000;
	for (int k = 0; k < 12; k++) {
		struct mcu_dialout_action act[4];
		size_t n = mcu_dialout_poll(d, now, act, 4);
		assert_int_equal(n, 1);
		assert_int_equal(act[0].slot, (size_t)ls);
		assert_int_equal(mcu_dialout_on_failed(d, act[0].slot,
		                                       act[0].token, 480,
		                                       "Meeting not live", now),
		                 0);
		assert_int_equal(mcu_dialout_info(d, (size_t)ls, &info), 0);
		assert_int_equal(info.state, MCU_DIALOUT_BACKOFF);
		assert_true(info.next_at_ms - now <= 60000);
		now = info.next_at_ms;
	}
	/* a final answer still stops it */
	struct mcu_dialout_action act[4];
	assert_int_equal(mcu_dialout_poll(d, now, act, 4), 1);
	mcu_dialout_on_failed(d, act[0].slot, act[0].token, 404,
	                      "No such meeting", now);
	assert_int_equal(mcu_dialout_info(d, (size_t)ls, &info), 0);
	assert_int_equal(info.state, MCU_DIALOUT_GIVEN_UP);
	d = mcu_dialout_free(d);
	unload(&l);
}

static void api_kind(void **state)
{
	(void)state;
	struct loaded l;
	load(&l, EPS "meetings:\n" MEETING("m1", LINK_OUT));
	assert_int_equal(l.err, 0);
	json_t *o = json_object();
	assert_int_equal(mcu_cascade_api_part(o, ep(l.conf, "mcu-nk")), 0);
	assert_string_equal(json_string_value(json_object_get(o, "kind")),
	                    "cascade");
	json_t *c = json_object_get(o, "cascade");
	assert_string_equal(json_string_value(json_object_get(c, "direction")),
	                    "out");
	assert_string_equal(json_string_value(json_object_get(c, "uri")),
	                    "sip:giao-ban@10.1.0.5:5070");
	json_decref(o);
	o = json_object();
	assert_int_equal(mcu_cascade_api_part(o, ep(l.conf, "a")), 0);
	assert_string_equal(json_string_value(json_object_get(o, "kind")),
	                    "endpoint");
	assert_null(json_object_get(o, "cascade"));
	json_decref(o);
	assert_int_equal(mcu_cascade_api_part(NULL, NULL), EINVAL);
	unload(&l);
}

const struct CMUnitTest tests[] = {
	cmocka_unit_test(link_out_parsed),
	cmocka_unit_test(link_in_with_allow),
	cmocka_unit_test(refusals),
	cmocka_unit_test(links_kept_apart),
	cmocka_unit_test(shared_link),
	cmocka_unit_test(too_many),
	cmocka_unit_test(dialout_hooks),
	cmocka_unit_test(api_kind),
};
MCU_TEST_MAIN(tests, NULL, NULL)
