/*
 * The roster half of the API backend. Everything here is a pure function
 * of one snapshot and one moment, taken at the start of each call, so a
 * reload in the middle of a request cannot mix two rosters in one answer.
 */
#define MCU_LOG_MODULE "api"
#include "mcu/api_roster.h"
#include "conf/log.h"
#include "mcu/cascade.h"
#include "mcu/content.h"
#include "mcu/limits.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct mcu_api_roster {
	struct mcu_api_roster_opts o;
};

int mcu_api_roster_alloc(struct mcu_api_roster **rp,
                         const struct mcu_api_roster_opts *opts)
{
	struct mcu_api_roster *r;
	if (!rp || !opts || !opts->snapshot)
		return EINVAL;
	r = calloc(1, sizeof(*r));
	if (!r)
		return ENOMEM;
	r->o = *opts;
	*rp = r;
	return 0;
}

struct mcu_api_roster *mcu_api_roster_free(struct mcu_api_roster *r)
{
	free(r);
	return NULL;
}

static time_t now_of(struct mcu_api_roster *r)
{
	return r->o.now ? r->o.now(r->o.arg) : time(NULL);
}

static enum mcu_meeting_state state_of(struct mcu_api_roster *r,
                                       const struct mcu_conf *conf, size_t i,
                                       time_t now)
{
	if (r->o.state)
		return r->o.state(r->o.arg, conf, i, now);
	return mcu_timeline_state(&conf->meetings[i], now);
}

/* The operators' changes to meeting `m`; false when none. */
static bool override_of(struct mcu_api_roster *r,
                        const struct mcu_conf_meeting *m,
                        struct mcu_override *o)
{
	return r->o.override && r->o.override(r->o.arg, m->id, o);
}

/* RFC 3339 in the process (roster) time zone: 2026-12-07T08:00:00+07:00 */
static json_t *jtime(time_t t)
{
	char buf[40];
	struct tm tm;
	size_t n;
	if (!localtime_r(&t, &tm))
		return json_null();
	n = strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S%z", &tm);
	if (n < 5)
		return json_null();
	/* +0700 -> +07:00 */
	memmove(buf + n - 1, buf + n - 2, 3);
	buf[n - 2] = ':';
	return json_string(buf);
}

static json_t *jstr_or_null(const char *s)
{
	return s ? json_string(s) : json_null();
}

static json_t *contact_json(bool has, const struct mcu_conf_contact *c)
{
	if (!has)
		return json_null();
	return json_pack("{s:o,s:o,s:o,s:o}", "name", jstr_or_null(c->name),
	                 "title", jstr_or_null(c->title), "email",
	                 jstr_or_null(c->email), "phone",
	                 jstr_or_null(c->phone));
}

static const char *signalling(const struct mcu_conf_endpoint *e)
{
	if (e->rtp.present)
		return "rtp";
	return "sip";
}

static json_t *endpoint_json(const struct mcu_conf_endpoint *e)
{
	json_t *codecs = json_array();
	if (!codecs)
		return NULL;
	for (size_t i = 0; i < e->n_codecs; i++)
		json_array_append_new(codecs, json_string(e->codecs[i]));
	json_t *o = json_pack(
		"{s:s,s:o,s:s,s:o,s:s,s:o,s:I,s:o,s:{s:o,s:o,s:o}}", "id",
		e->id, "name", jstr_or_null(e->name), "tier",
		mcu_conf_tier_name(e->tier), "parent", jstr_or_null(e->parent),
		"signalling", signalling(e), "sip", jstr_or_null(e->sip),
		"bandwidth_kbps", (json_int_t)e->bandwidth_kbps, "codecs",
		codecs, "contacts", "leader",
		contact_json(e->has_leader, &e->leader), "technician",
		contact_json(e->has_technician, &e->technician), "support",
		contact_json(e->has_support, &e->support));
	if (o && mcu_cascade_api_part(o, e)) {
		json_decref(o);
		o = NULL;
	}
	return o;
}

json_t *mcu_api_roster_health(struct mcu_api_roster *r)
{
	struct mcu_snapshot *s = r->o.snapshot(r->o.arg);
	const struct mcu_conf *conf;
	time_t now = now_of(r);
	size_t live = 0;
	json_t *j;

	if (!s)
		return NULL;
	conf = s->conf;
	for (size_t i = 0; i < conf->n_meetings; i++)
		live += state_of(r, conf, i, now) == MCU_MEETING_LIVE;
	j = json_pack("{s:o,s:I,s:I,s:I,s:I}", "name", jstr_or_null(conf->name),
	              "config_generation", (json_int_t)s->generation,
	              "endpoints", (json_int_t)conf->n_endpoints, "meetings",
	              (json_int_t)conf->n_meetings, "live", (json_int_t)live);
	if (j) /* mcu.limits: caps and use (mcu/limits.h) */
		json_object_set_new(j, "limits", mcu_limits_json(&conf->limits));
	mcu_snapshot_put(s);
	return j;
}

json_t *mcu_api_roster_endpoints(struct mcu_api_roster *r, int *status)
{
	struct mcu_snapshot *s = r->o.snapshot(r->o.arg);
	json_t *arr;

	*status = 503;
	if (!s)
		return NULL;
	arr = json_array();
	for (size_t i = 0; arr && i < s->conf->n_endpoints; i++) {
		if (json_array_append_new(arr,
		                          endpoint_json(&s->conf->endpoints[i]))) {
			json_decref(arr);
			arr = NULL;
		}
	}
	mcu_snapshot_put(s);
	if (!arr)
		*status = 500;
	return arr;
}

/* The summary of api.md's meeting list: start/end are the effective
   times, planned_start/planned_end the roster's. */
static json_t *meeting_summary(struct mcu_api_roster *r,
                               const struct mcu_conf *conf, size_t i,
                               time_t now)
{
	const struct mcu_conf_meeting *m = &conf->meetings[i];
	struct mcu_override o;
	struct mcu_override_times t;
	json_t *test = json_null();
	bool has = override_of(r, m, &o);

	mcu_override_times(has ? &o : NULL, m, &t);
	if (m->has_test_run)
		test = json_pack("{s:o,s:o}", "start", jtime(m->test_start),
		                 "end", jtime(m->test_end));
	return json_pack(
		"{s:s,s:o,s:s,s:s,s:o,s:o,s:o,s:o,s:b,s:I,s:b,s:{s:I,s:I},s:o,"
		"s:b,s:I,s:s,s:s}",
		"id", m->id, "title", jstr_or_null(m->title), "state",
		mcu_timeline_state_name(state_of(r, conf, i, now)), "host",
		conf->endpoints[m->host_index].id, "start", jtime(t.start),
		"end", jtime(t.end), "planned_start", jtime(t.planned_start),
		"planned_end", jtime(t.planned_end), "started_early",
		t.started_early, "extend_minutes", (json_int_t)t.extend,
		"stopped_by_operator", t.stopped, "participants", "planned",
		(json_int_t)(1 + m->n_branches), "connected", (json_int_t)0,
		"test_run", test, "emergency", m->emergency, "number",
		(json_int_t)m->number, "floor_mode",
		mcu_conf_floor_name(m->floor), "dial",
		m->dial == MCU_DIAL_IN ? "in" : "out");
}

json_t *mcu_api_roster_meetings(struct mcu_api_roster *r, int *status)
{
	struct mcu_snapshot *s = r->o.snapshot(r->o.arg);
	time_t now = now_of(r);
	json_t *arr;

	*status = 503;
	if (!s)
		return NULL;
	arr = json_array();
	for (size_t i = 0; arr && i < s->conf->n_meetings; i++) {
		if (json_array_append_new(arr,
		                          meeting_summary(r, s->conf, i, now))) {
			json_decref(arr);
			arr = NULL;
		}
	}
	mcu_snapshot_put(s);
	if (!arr)
		*status = 500;
	return arr;
}

static json_t *participant_json(const struct mcu_conf_endpoint *e, bool host)
{
	json_t *o = json_pack("{s:s,s:o,s:s,s:s,s:s,s:s,s:s,s:n,s:n,s:n}",
	                 "endpoint", e->id, "name", jstr_or_null(e->name),
	                 "tier", mcu_conf_tier_name(e->tier), "role",
	                 host ? "host" : "branch", "state", "disconnected",
	                 "signalling", signalling(e), "floor",
	                 host ? "host" : "none", "rtt_ms", "audio", "video");
	if (o && mcu_cascade_api_part(o, e)) {
		json_decref(o);
		o = NULL;
	}
	return o;
}

static json_t *participants_of(const struct mcu_conf *conf,
                               const struct mcu_conf_meeting *m)
{
	json_t *arr = json_array();
	if (!arr)
		return NULL;
	if (json_array_append_new(
		    arr, participant_json(&conf->endpoints[m->host_index],
		                          true)))
		goto fail;
	for (size_t i = 0; i < m->n_branches; i++) {
		if (json_array_append_new(
			    arr, participant_json(
					 &conf->endpoints[m->branches[i]],
					 false)))
			goto fail;
	}
	return arr;
fail:
	json_decref(arr);
	return NULL;
}

/* Index of meeting `id` in a held snapshot, or -1 with *status 404. */
static long find_meeting(const struct mcu_conf *conf, const char *id,
                         int *status)
{
	long i = mcu_conf_meeting_index(conf, id);
	if (i < 0)
		*status = 404;
	return i;
}

json_t *mcu_api_roster_meeting(struct mcu_api_roster *r, const char *id,
                               int *status)
{
	struct mcu_snapshot *s = r->o.snapshot(r->o.arg);
	const struct mcu_conf_meeting *m;
	json_t *j = NULL, *content;
	time_t now = now_of(r);
	long i;

	*status = 503;
	if (!s)
		return NULL;
	i = find_meeting(s->conf, id, status);
	if (i < 0)
		goto out;
	m = &s->conf->meetings[i];
	*status = 500;
	j = meeting_summary(r, s->conf, (size_t)i, now);
	content = json_array();
	for (size_t k = 0; content && k < m->n_content; k++)
		json_array_append_new(content, json_string(m->content[k]));
	if (!j || !content ||
	    json_object_set_new(j, "floor",
	                        json_pack("{s:s,s:n,s:[]}", "mode",
	                                  mcu_conf_floor_name(m->floor),
	                                  "holder", "queue")) ||
	    json_object_set_new(
		    j, "layout",
		    json_pack("{s:s,s:s,s:I,s:b}", "host", m->layout.host,
		              "branches", m->layout.branches, "tour_seconds",
		              (json_int_t)m->layout.tour_seconds, "self_view",
		              m->layout.self_view)) ||
	    json_object_set_new(j, "encoders", json_integer(0)) ||
	    json_object_set_new(j, "decoders", json_integer(0)) ||
	    json_object_set_new(j, "record", json_boolean(m->record)) ||
	    json_object_set_new(j, "recording", json_false()) ||
	    json_object_set_new(j, "content", content) ||
	    json_object_set_new(j, "participants",
	                        participants_of(s->conf, m))) {
		json_decref(j);
		j = NULL;
	}
out:
	mcu_snapshot_put(s);
	return j;
}

json_t *mcu_api_roster_participants(struct mcu_api_roster *r, const char *id,
                                    int *status)
{
	struct mcu_snapshot *s = r->o.snapshot(r->o.arg);
	json_t *j = NULL;
	long i;

	*status = 503;
	if (!s)
		return NULL;
	i = find_meeting(s->conf, id, status);
	if (i >= 0) {
		j = participants_of(s->conf, &s->conf->meetings[i]);
		if (!j)
			*status = 500;
	}
	mcu_snapshot_put(s);
	return j;
}

static bool in_meeting(const struct mcu_conf_meeting *m, long ep)
{
	if (ep < 0)
		return false;
	if ((size_t)ep == m->host_index)
		return true;
	for (size_t i = 0; i < m->n_branches; i++) {
		if (m->branches[i] == (size_t)ep)
			return true;
	}
	return false;
}

static int check_locked(struct mcu_api_roster *r, const struct mcu_conf *conf,
                        const struct mcu_api_action *a, char *detail,
                        size_t dlen)
{
	const struct mcu_conf_meeting *m;
	enum mcu_meeting_state st;
	bool under_way;
	long i, ep;

	if (a->verb == MCU_API_RELOAD)
		return 0;
	i = a->meeting ? mcu_conf_meeting_index(conf, a->meeting) : -1;
	if (i < 0) {
		snprintf(detail, dlen, "no meeting \"%s\"",
		         a->meeting ? a->meeting : "");
		return 404;
	}
	m = &conf->meetings[i];
	if (a->endpoint) {
		ep = mcu_conf_endpoint_index(conf, a->endpoint);
		if (ep < 0) {
			snprintf(detail, dlen, "no endpoint \"%s\"",
			         a->endpoint);
			return 404;
		}
		if (!in_meeting(m, ep)) {
			snprintf(detail, dlen, "%s is not in meeting %s",
			         a->endpoint, m->id);
			return 404;
		}
	}
	st = state_of(r, conf, (size_t)i, now_of(r));
	under_way = st == MCU_MEETING_LIVE || st == MCU_MEETING_TEST_RUN;
	switch (a->verb) {
	case MCU_API_START:
		if (r->o.override) {
			struct mcu_override o;
			bool has = override_of(r, m, &o);
			if (mcu_override_may_start(has ? &o : NULL, m,
			                           now_of(r)))
				return 0;
		}
		if (st == MCU_MEETING_LIVE || st == MCU_MEETING_ENDED) {
			snprintf(detail, dlen, "meeting %s is already %s",
			         m->id, mcu_timeline_state_name(st));
			return 409;
		}
		return 0;
	case MCU_API_EXTEND:
		if (st == MCU_MEETING_ENDED) {
			snprintf(detail, dlen, "meeting %s has ended", m->id);
			return 409;
		}
		return 0;
	case MCU_API_FLOOR:
		if (m->floor == MCU_FLOOR_OPEN) {
			snprintf(detail, dlen, "meeting %s has open floor "
			         "(voice-activated): nothing to request or "
			         "grant", m->id);
			return 409;
		}
		if (a->endpoint && a->floor != MCU_API_FLOOR_REVOKE &&
		    !strcmp(a->endpoint, conf->endpoints[m->host_index].id)) {
			snprintf(detail, dlen, "%s is the host: it always has "
			         "the floor", a->endpoint);
			return 409;
		}
		break;
	default:
		break;
	}
	/* stop, and every call or media control, needs a meeting under way */
	if (!under_way) {
		snprintf(detail, dlen, "meeting %s is %s, not under way", m->id,
		         mcu_timeline_state_name(st));
		return 409;
	}
	/* A content file: the rule of the live path (list or content_dir,
	   else 403; 422 unreadable), after the meeting's state as there. */
	if (a->verb == MCU_API_CONTENT && a->file) {
		char resolved[PATH_MAX];
		int status = mcu_content_allowed(conf, m, a->file, resolved,
		                                 detail, dlen);
		if (status)
			return status;
	}
	return 0;
}

int mcu_api_roster_check(struct mcu_api_roster *r,
                         const struct mcu_api_action *a, char *detail,
                         size_t detail_len)
{
	struct mcu_snapshot *s;
	int status;
	if (!r || !a)
		return 500;
	s = r->o.snapshot(r->o.arg);
	if (!s) {
		snprintf(detail, detail_len, "no configuration loaded");
		return 503;
	}
	status = check_locked(r, s->conf, a, detail, detail_len);
	mcu_snapshot_put(s);
	return status;
}

int mcu_api_roster_action(struct mcu_api_roster *r,
                          const struct mcu_api_action *a, json_t **result,
                          char *detail, size_t detail_len)
{
	int status, err;

	if (a->verb == MCU_API_RELOAD) {
		if (!r->o.reload) {
			snprintf(detail, detail_len, "reload is not available");
			return 503;
		}
		err = r->o.reload(r->o.arg);
		if (err == 0) {
			*result = json_pack("{s:b,s:s}", "ok", 1, "reload",
			                    "done");
			return 200;
		}
		if (err == EINPROGRESS) {
			*result = json_pack("{s:b,s:s}", "ok", 1, "reload",
			                    "queued");
			return 202;
		}
		snprintf(detail, detail_len, "%s",
		         err == EINVAL ? "configuration refused: the running "
		                         "one stays (see the log)"
		                       : strerror(err));
		return err == EINVAL ? 409 : 500;
	}
	status = mcu_api_roster_check(r, a, detail, detail_len);
	if (status)
		return status;
	snprintf(detail, detail_len, "%s needs the conference engine, which "
	         "is not running", mcu_api_verb_name(a->verb));
	return 503;
}

static json_t *b_health(void *arg)
{
	return mcu_api_roster_health(arg);
}

static json_t *b_endpoints(void *arg, int *status)
{
	return mcu_api_roster_endpoints(arg, status);
}

static json_t *b_meetings(void *arg, int *status)
{
	return mcu_api_roster_meetings(arg, status);
}

static json_t *b_meeting(void *arg, const char *id, int *status)
{
	return mcu_api_roster_meeting(arg, id, status);
}

static json_t *b_participants(void *arg, const char *id, int *status)
{
	return mcu_api_roster_participants(arg, id, status);
}

static int b_action(void *arg, const struct mcu_api_action *a,
                    json_t **result, char *detail, size_t detail_len)
{
	return mcu_api_roster_action(arg, a, result, detail, detail_len);
}

struct mcu_api_backend mcu_api_roster_backend(struct mcu_api_roster *r)
{
	struct mcu_api_backend b = {
		.arg = r,
		.health = b_health,
		.endpoints = b_endpoints,
		.meetings = b_meetings,
		.meeting = b_meeting,
		.participants = b_participants,
		.action = b_action,
	};
	return b;
}
