/*
 * config_check: the regulation's rules on a resolved roster (see the table
 * in config_rules.c): notice, emergency notice, test run, request lead
 * time, overlaps of meetings that share an endpoint, clashing conference
 * numbers, and the contacts of every endpoint. Working days come from
 * conf/calendar.h in the roster's time zone.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf/config_internal.h"

#define NOTICE_WORKING_DAYS 3
#define EMERGENCY_NOTICE_S 3600
#define TEST_RUN_MIN_DAYS 1
#define TEST_RUN_MAX_DAYS 2
#define REQUEST_WORKING_DAYS 1

static int32_t day_of(time_t t)
{
	int32_t d = 0;
	mcu_calendar_local_day(t, &d);
	return d;
}

static const char *day_str(int32_t day, char *buf, size_t len)
{
	int y;
	unsigned m, d;
	mcu_calendar_civil_from_days(day, &y, &m, &d);
	snprintf(buf, len, "%04d-%02u-%02u", y, m, d);
	return buf;
}

static void rule_notice(struct conf_ctx *ctx, const struct mcu_conf_meeting *m,
                        const struct conf_meeting_marks *mk, int32_t start)
{
	char a[16], s[16];
	if (!m->has_announced) {
		conf_warn(ctx, mk->start,
		          "meeting '%s': no 'announced' date, so the notice "
		          "rule cannot be checked", m->id);
		return;
	}
	int32_t ann = day_of(m->announced);
	if (m->emergency) {
		long long lead = (long long)m->start - (long long)m->announced;
		if (lead < EMERGENCY_NOTICE_S)
			conf_error(ctx, mk->announced,
			           "emergency meeting '%s': announced %lld "
			           "minutes before start; at least 60 are "
			           "required", m->id, lead / 60);
		return;
	}
	long wd = mcu_calendar_count_working_days(&ctx->cal, ann, start);
	if (wd < NOTICE_WORKING_DAYS)
		conf_error(ctx, mk->announced,
		           "meeting '%s': announced %s, only %ld working "
		           "day(s) before the start on %s; at least %d are "
		           "required (or set emergency: true)",
		           m->id, day_str(ann, a, sizeof(a)), wd,
		           day_str(start, s, sizeof(s)), NOTICE_WORKING_DAYS);
}

static void rule_test_run(struct conf_ctx *ctx,
                          const struct mcu_conf_meeting *m,
                          const struct conf_meeting_marks *mk, int32_t start)
{
	char t[16];
	if (m->emergency)
		return; /* no time for one: not asked of emergency meetings */
	if (!m->has_test_run) {
		if (!mk->test_run.line)
			conf_warn(ctx, mk->start,
			          "meeting '%s': no test run planned (one is due "
			          "1 to 2 working days before start)", m->id);
		return;
	}
	int32_t td = day_of(m->test_start);
	long wd = mcu_calendar_count_working_days(&ctx->cal, td, start);
	if (m->test_start >= m->start || wd < TEST_RUN_MIN_DAYS ||
	    wd > TEST_RUN_MAX_DAYS)
		conf_warn(ctx, mk->test_run,
		          "meeting '%s': test run on %s is %ld working day(s) "
		          "before start; it should be %d to %d", m->id,
		          day_str(td, t, sizeof(t)),
		          m->test_start >= m->start ? 0L : wd,
		          TEST_RUN_MIN_DAYS, TEST_RUN_MAX_DAYS);
}

static void rule_requested(struct conf_ctx *ctx,
                           const struct mcu_conf_meeting *m,
                           const struct conf_meeting_marks *mk, int32_t start)
{
	char r[16];
	if (!m->record && m->n_content == 0)
		return;
	const char *what = m->record ? (m->n_content ? "recording and content"
	                                             : "recording")
	                             : "content";
	if (!m->has_requested) {
		conf_warn(ctx, mk->start,
		          "meeting '%s': %s asked for without a 'requested' "
		          "date (due at least %d working day before start)",
		          m->id, what, REQUEST_WORKING_DAYS);
		return;
	}
	int32_t rd = day_of(m->requested);
	long wd = mcu_calendar_count_working_days(&ctx->cal, rd, start);
	if (wd < REQUEST_WORKING_DAYS || m->requested >= m->start)
		conf_warn(ctx, mk->requested,
		          "meeting '%s': %s requested %s, less than %d working "
		          "day before start", m->id, what,
		          day_str(rd, r, sizeof(r)), REQUEST_WORKING_DAYS);
}

void conf_rules_time(struct conf_ctx *ctx, size_t mi)
{
	const struct mcu_conf_meeting *m = &ctx->conf->meetings[mi];
	const struct conf_meeting_marks *mk = &ctx->mt_marks[mi];
	if (!mk->times_ok)
		return;
	if (m->ad_hoc)
		return; /* called at run time: operators decide */
	int32_t start = day_of(m->start);
	rule_notice(ctx, m, mk, start);
	rule_test_run(ctx, m, mk, start);
	rule_requested(ctx, m, mk, start);
}

/* ---- overlaps ----------------------------------------------------- */

struct use {
	size_t key; /* endpoint index, or conference number */
	size_t meeting;
	time_t start, end;
};

struct clash {
	size_t a, b, key;
};

static int cmp_use(const void *x, const void *y)
{
	const struct use *a = x, *b = y;
	if (a->key != b->key)
		return a->key < b->key ? -1 : 1;
	if (a->start != b->start)
		return a->start < b->start ? -1 : 1;
	return (a->meeting > b->meeting) - (a->meeting < b->meeting);
}

static int cmp_clash(const void *x, const void *y)
{
	const struct clash *a = x, *b = y;
	if (a->a != b->a)
		return a->a < b->a ? -1 : 1;
	if (a->b != b->b)
		return a->b < b->b ? -1 : 1;
	return (a->key > b->key) - (a->key < b->key);
}

/*
 * Sorts uses by (key, start) and sweeps each key's run, remembering the
 * use that ends last: a use starting before that end overlaps it. Every
 * meeting in an overlap is found at least once (not every pair).
 */
static int find_clashes(struct use *uses, size_t n, struct clash **outp,
                        size_t *n_out)
{
	struct clash *out = calloc(n ? n : 1, sizeof(*out));
	size_t k = 0, last = 0;
	if (!out)
		return ENOMEM;
	qsort(uses, n, sizeof(*uses), cmp_use);
	for (size_t i = 0; i < n; i++) {
		if (i == 0 || uses[i].key != uses[last].key) {
			last = i;
			continue;
		}
		if (uses[i].start < uses[last].end) {
			size_t a = uses[last].meeting, b = uses[i].meeting;
			out[k++] = (struct clash){a < b ? a : b, a < b ? b : a,
			                          uses[i].key};
		}
		if (uses[i].end > uses[last].end)
			last = i;
	}
	qsort(out, k, sizeof(*out), cmp_clash);
	*outp = out;
	*n_out = k;
	return 0;
}

static size_t collect_endpoint_uses(struct conf_ctx *ctx, struct use *uses)
{
	const struct mcu_conf *conf = ctx->conf;
	size_t n = 0;
	for (size_t i = 0; i < conf->n_meetings; i++) {
		const struct mcu_conf_meeting *m = &conf->meetings[i];
		if (!ctx->mt_marks[i].times_ok || !m->host)
			continue;
		uses[n++] = (struct use){m->host_index, i, m->start, m->end};
		for (size_t b = 0; b < m->n_branches; b++)
			uses[n++] = (struct use){m->branches[b], i, m->start,
			                         m->end};
	}
	return n;
}

static void report_overlaps(struct conf_ctx *ctx, const struct clash *c,
                            size_t n)
{
	const struct mcu_conf *conf = ctx->conf;
	for (size_t i = 0; i < n; i++) {
		if (i > 0 && c[i].a == c[i - 1].a && c[i].b == c[i - 1].b)
			continue;
		const struct mcu_conf_meeting *b = &conf->meetings[c[i].b];
		conf_error(ctx, ctx->mt_marks[c[i].b].start,
		           "meetings '%s' and '%s' overlap in time and share "
		           "endpoint '%s'",
		           conf->meetings[c[i].a].id, b->id,
		           conf->endpoints[c[i].key].id);
	}
}

static void report_numbers(struct conf_ctx *ctx, const struct clash *c,
                           size_t n)
{
	const struct mcu_conf *conf = ctx->conf;
	for (size_t i = 0; i < n; i++)
		conf_error(ctx, ctx->mt_marks[c[i].b].number,
		           "meetings '%s' and '%s' overlap in time and share "
		           "conference number %zu",
		           conf->meetings[c[i].a].id, conf->meetings[c[i].b].id,
		           c[i].key);
}

static int check_numbers(struct conf_ctx *ctx)
{
	const struct mcu_conf *conf = ctx->conf;
	struct use *uses = calloc(conf->n_meetings ? conf->n_meetings : 1,
	                          sizeof(*uses));
	struct clash *c = NULL;
	size_t n = 0, n_c = 0;
	if (!uses)
		return ENOMEM;
	for (size_t i = 0; i < conf->n_meetings; i++) {
		const struct mcu_conf_meeting *m = &conf->meetings[i];
		if (m->number && ctx->mt_marks[i].times_ok)
			uses[n++] = (struct use){m->number, i, m->start, m->end};
	}
	int err = find_clashes(uses, n, &c, &n_c);
	if (!err)
		report_numbers(ctx, c, n_c);
	free(c);
	free(uses);
	return err;
}

void conf_rules_overlap(struct conf_ctx *ctx)
{
	const struct mcu_conf *conf = ctx->conf;
	size_t total = 0, n_c = 0;
	struct clash *c = NULL;
	struct use *uses = NULL;
	int err = 0;

	for (size_t i = 0; i < conf->n_meetings; i++)
		total += conf->meetings[i].n_branches + 1;
	uses = calloc(total ? total : 1, sizeof(*uses));
	if (!uses) {
		err = ENOMEM;
		goto out;
	}
	size_t n = collect_endpoint_uses(ctx, uses);
	err = find_clashes(uses, n, &c, &n_c);
	if (err)
		goto out;
	report_overlaps(ctx, c, n_c);
	err = check_numbers(ctx);
out:
	if (err)
		conf_error(ctx, CONF_NO_POS,
		           "out of memory while checking overlaps");
	free(c);
	free(uses);
}

/* ---- contacts ----------------------------------------------------- */

static bool contact_ok(bool has, const struct mcu_conf_contact *c)
{
	return has && c->name && c->phone;
}

void conf_rules_contacts(struct conf_ctx *ctx)
{
	const struct mcu_conf *conf = ctx->conf;
	for (size_t i = 0; i < conf->n_endpoints; i++) {
		const struct mcu_conf_endpoint *ep = &conf->endpoints[i];
		bool l = contact_ok(ep->has_leader, &ep->leader);
		bool t = contact_ok(ep->has_technician, &ep->technician);
		bool s = contact_ok(ep->has_support, &ep->support);
		char missing[64];
		if (ep->rtp.present || ep->cascade)
			continue; /* a static RTP leg or an MCU: no room terminal */
		snprintf(missing, sizeof(missing), "%s%s%s", l ? "" : " leader",
		         t ? "" : " technician", s ? "" : " support");
		if (missing[0])
			conf_warn(ctx, ctx->ep_marks[i].contacts,
			          "endpoint '%s': contacts incomplete (each of "
			          "leader, technician, support needs a name and a "
			          "phone); missing:%s",
			          ep->id, missing);
	}
}
