/*
 * Why it works this way.
 *
 * The rooms already count everything (leg statistics, floor); what the
 * operator and the logbook want are the *changes*: who came, who went,
 * which branch is in trouble and when it got better. Sampling once a
 * second on the control loop and diffing is enough for that and costs
 * the media threads nothing: mcu_room_part() copies a few counters under
 * the room lock, and the events and logbook rows are queued, never
 * written here.
 *
 * Every judgement is made on counter deltas over a time window rather
 * than on one sample, with separate raise and clear thresholds and a hold
 * time before clearing (hysteresis), so that a branch hovering at the
 * threshold raises one incident, not one a second. Durations come from the
 * caller's monotonic clock, so samples may come late or early. A
 * participant's counters restart when its leg is replaced (a new call);
 * a counter that goes backwards starts a fresh window. When media comes
 * back after a gap (an outage), the packets lost in the gap belong to the
 * outage (no-video), so the loss window starts afresh as well.
 */
#define MCU_LOG_MODULE "watch"
#include "mcu/watch.h"
#include "conf/log.h"
#include "mcu/partinfo.h"
#include "mcu/readiness.h"
#include "transport/netio.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define UNSET            INT64_MIN
#define RING             16
#define RING_MIN_STEP_US 500000 /* one window entry per half second */
#define BIT(k)           (1u << (k))
#define MEDIA_KINDS                                                            \
	(BIT(MCU_WATCH_PACKET_LOSS) | BIT(MCU_WATCH_NO_VIDEO) |                \
	 BIT(MCU_WATCH_RTT))

/* ---- the decision core ------------------------------------------------ */

struct counters {
	int64_t t;
	uint64_t vp, vl, ap, al;
};

struct mcu_watch_part {
	bool present; /* connected or on hold */
	unsigned open;

	struct counters ring[RING]; /* oldest first */
	size_t n_ring;
	bool have_last;
	uint64_t last_vp, last_ap;
	int64_t v_grew_us, a_grew_us; /* last sample its counter grew */
	bool seen_video;
	int64_t loss_low_since;

	double rtt_first[MCU_WATCH_RTT_BASELINE_SAMPLES];
	size_t n_rtt;
	double rtt_base;
	int64_t rtt_high_since, rtt_low_since;

	unsigned reports;      /* keypad reports counted so far */
	int64_t last_report_us;
};

const char *mcu_watch_kind_name(enum mcu_watch_kind kind)
{
	switch (kind) {
	case MCU_WATCH_CONNECTION_LOST:
		return "connection-lost";
	case MCU_WATCH_PACKET_LOSS:
		return "packet-loss";
	case MCU_WATCH_NO_VIDEO:
		return "no-video";
	case MCU_WATCH_RTT:
		return "rtt";
	case MCU_WATCH_REPORTED:
		return "reported";
	case MCU_WATCH_KINDS:
		break;
	}
	return "";
}

static void reset_windows(struct mcu_watch_part *p, int64_t now)
{
	p->n_ring = 0;
	p->have_last = false;
	p->v_grew_us = p->a_grew_us = now;
	p->loss_low_since = UNSET;
	p->rtt_high_since = p->rtt_low_since = UNSET;
}

static void reset_media(struct mcu_watch_part *p, int64_t now)
{
	reset_windows(p, now);
	p->seen_video = false;
	p->n_rtt = 0;
	p->rtt_base = 0;
}

int mcu_watch_part_alloc(struct mcu_watch_part **pp)
{
	struct mcu_watch_part *p;
	if (!pp)
		return EINVAL;
	p = calloc(1, sizeof(*p));
	if (!p)
		return ENOMEM;
	reset_media(p, 0);
	*pp = p;
	return 0;
}

struct mcu_watch_part *mcu_watch_part_free(struct mcu_watch_part *p)
{
	free(p);
	return NULL;
}

unsigned mcu_watch_part_open(const struct mcu_watch_part *p)
{
	return p->open;
}

bool mcu_watch_part_present(const struct mcu_watch_part *p)
{
	return p->present;
}

static void raise_kind(struct mcu_watch_part *p, struct mcu_watch_step *out,
                       enum mcu_watch_kind k, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void clear_kind(struct mcu_watch_part *p, struct mcu_watch_step *out,
                       enum mcu_watch_kind k, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void raise_kind(struct mcu_watch_part *p, struct mcu_watch_step *out,
                       enum mcu_watch_kind k, const char *fmt, ...)
{
	va_list ap;
	if (p->open & BIT(k))
		return;
	p->open |= BIT(k);
	out->raised |= BIT(k);
	va_start(ap, fmt);
	vsnprintf(out->detail[k], sizeof(out->detail[k]), fmt, ap);
	va_end(ap);
}

static void clear_kind(struct mcu_watch_part *p, struct mcu_watch_step *out,
                       enum mcu_watch_kind k, const char *fmt, ...)
{
	va_list ap;
	if (!(p->open & BIT(k)))
		return;
	p->open &= ~BIT(k);
	out->cleared |= BIT(k);
	va_start(ap, fmt);
	vsnprintf(out->detail[k], sizeof(out->detail[k]), fmt, ap);
	va_end(ap);
}

static const char *leave_reason(enum mcu_part_state s)
{
	switch (s) {
	case MCU_PART_FAILED:
		return "failed";
	case MCU_PART_DIALING:
		return "redialling";
	case MCU_PART_CONNECTED:
	case MCU_PART_ON_HOLD:
	case MCU_PART_DISCONNECTED:
		break;
	}
	return "disconnected";
}

static void push_counters(struct mcu_watch_part *p,
                          const struct mcu_watch_obs *o, int64_t now)
{
	if (p->n_ring && now - p->ring[p->n_ring - 1].t < RING_MIN_STEP_US)
		return;
	if (p->n_ring == RING) {
		memmove(p->ring, p->ring + 1, (RING - 1) * sizeof(p->ring[0]));
		p->n_ring--;
	}
	p->ring[p->n_ring++] = (struct counters){
	    now, o->vin_packets, o->vin_lost, o->ain_packets, o->ain_lost};
}

/* Loss fraction of one medium between `ref` and now; -1: too few. */
static double fraction(uint64_t p0, uint64_t l0, uint64_t p1, uint64_t l1)
{
	double dp = p1 > p0 ? (double)(p1 - p0) : 0;
	double dl = l1 > l0 ? (double)(l1 - l0) : 0;
	if (dp + dl < MCU_WATCH_LOSS_MIN_PACKETS)
		return -1;
	return dl / (dp + dl);
}

static void judge_loss(struct mcu_watch_part *p, const struct mcu_watch_obs *o,
                       int64_t now, struct mcu_watch_step *out)
{
	const struct counters *ref = NULL;
	for (size_t i = 0; i < p->n_ring; i++)
		if (now - p->ring[i].t <=
		    MCU_WATCH_LOSS_WINDOW_US + RING_MIN_STEP_US) {
			ref = &p->ring[i];
			break;
		}
	if (!ref || now - ref->t < MCU_WATCH_LOSS_MIN_SPAN_US)
		return;
	double v = o->has_video
	               ? fraction(ref->vp, ref->vl, o->vin_packets, o->vin_lost)
	               : -1;
	double a = o->has_audio
	               ? fraction(ref->ap, ref->al, o->ain_packets, o->ain_lost)
	               : -1;
	double worst = v > a ? v : a;
	const char *medium = v > a ? "video" : "audio";
	double secs = (double)(now - ref->t) / 1e6;

	if (worst < 0)
		return; /* nothing to judge: no-video's business */
	if (!(p->open & BIT(MCU_WATCH_PACKET_LOSS))) {
		if (worst > MCU_WATCH_LOSS_RAISE)
			raise_kind(p, out, MCU_WATCH_PACKET_LOSS,
			           "%.1f %% of %s packets lost over %.0f s",
			           worst * 100, medium, secs);
		p->loss_low_since = UNSET;
		return;
	}
	if (worst >= MCU_WATCH_LOSS_CLEAR) {
		p->loss_low_since = UNSET;
		return;
	}
	if (p->loss_low_since == UNSET)
		p->loss_low_since = now;
	if (now - p->loss_low_since >= MCU_WATCH_LOSS_CLEAR_US)
		clear_kind(p, out, MCU_WATCH_PACKET_LOSS,
		           "%.1f %% lost over the last %.0f s", worst * 100,
		           secs);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static void judge_rtt(struct mcu_watch_part *p, double rtt, int64_t now,
                      struct mcu_watch_step *out)
{
	if (!(rtt >= 0)) /* unknown (or NaN) */
		return;
	if (p->n_rtt < MCU_WATCH_RTT_BASELINE_SAMPLES) {
		p->rtt_first[p->n_rtt++] = rtt;
		if (p->n_rtt == MCU_WATCH_RTT_BASELINE_SAMPLES) {
			double s[MCU_WATCH_RTT_BASELINE_SAMPLES];
			memcpy(s, p->rtt_first, sizeof(s));
			qsort(s, p->n_rtt, sizeof(s[0]), cmp_double);
			p->rtt_base = s[p->n_rtt / 2];
		}
		return;
	}
	double hi = 2 * p->rtt_base, lo = 1.5 * p->rtt_base;
	if (hi < MCU_WATCH_RTT_FLOOR_MS)
		hi = MCU_WATCH_RTT_FLOOR_MS;
	if (lo < 0.75 * MCU_WATCH_RTT_FLOOR_MS)
		lo = 0.75 * MCU_WATCH_RTT_FLOOR_MS;
	if (!(p->open & BIT(MCU_WATCH_RTT))) {
		p->rtt_low_since = UNSET;
		if (rtt < hi) {
			p->rtt_high_since = UNSET;
			return;
		}
		if (p->rtt_high_since == UNSET)
			p->rtt_high_since = now;
		if (now - p->rtt_high_since >= MCU_WATCH_RTT_RAISE_US)
			raise_kind(p, out, MCU_WATCH_RTT,
			           "RTT %.0f ms, baseline %.1f ms", rtt,
			           p->rtt_base);
		return;
	}
	p->rtt_high_since = UNSET;
	if (rtt >= lo) {
		p->rtt_low_since = UNSET;
		return;
	}
	if (p->rtt_low_since == UNSET)
		p->rtt_low_since = now;
	if (now - p->rtt_low_since >= MCU_WATCH_RTT_CLEAR_US)
		clear_kind(p, out, MCU_WATCH_RTT,
		           "RTT %.0f ms, baseline %.1f ms", rtt, p->rtt_base);
}

static void judge_media(struct mcu_watch_part *p, const struct mcu_watch_obs *o,
                        int64_t now, struct mcu_watch_step *out)
{
	if (p->have_last &&
	    (o->vin_packets < p->last_vp || o->ain_packets < p->last_ap)) {
		/* A new leg: its counters start again. */
		reset_media(p, now);
	}
	bool v_grew = p->have_last && o->vin_packets > p->last_vp;
	bool a_grew = p->have_last && o->ain_packets > p->last_ap;
	bool gap = (v_grew && now - p->v_grew_us >= MCU_WATCH_GAP_US) ||
	           (a_grew && now - p->a_grew_us >= MCU_WATCH_GAP_US);
	if (v_grew) {
		clear_kind(p, out, MCU_WATCH_NO_VIDEO,
		           "video back after %.0f s",
		           (double)(now - p->v_grew_us) / 1e6);
		p->v_grew_us = now;
		p->seen_video = true;
	}
	if (a_grew)
		p->a_grew_us = now;
	if (gap) {
		p->n_ring = 0;
		p->loss_low_since = UNSET;
	}
	p->last_vp = o->vin_packets;
	p->last_ap = o->ain_packets;
	p->have_last = true;

	if (o->has_video && p->seen_video &&
	    now - p->v_grew_us >= MCU_WATCH_NO_VIDEO_US)
		raise_kind(p, out, MCU_WATCH_NO_VIDEO, "no video for %.0f s",
		           (double)(now - p->v_grew_us) / 1e6);
	judge_loss(p, o, now, out);
	push_counters(p, o, now);
	judge_rtt(p, o->rtt_ms, now, out);
}

/* Keypad *9: a count that grows raises, two quiet minutes clear. */
static void judge_reports(struct mcu_watch_part *p,
                          const struct mcu_watch_obs *o, int64_t now,
                          struct mcu_watch_step *out)
{
	if (o->reports > p->reports) {
		unsigned n = o->reports - p->reports;
		p->reports = o->reports;
		p->last_report_us = now;
		raise_kind(p, out, MCU_WATCH_REPORTED,
		           "reported from the keypad (*9)%s",
		           n > 1 ? ", several times" : "");
		return;
	}
	p->reports = o->reports; /* a smaller count: a new room's */
	if ((p->open & BIT(MCU_WATCH_REPORTED)) &&
	    now - p->last_report_us >= MCU_WATCH_REPORT_CLEAR_US)
		clear_kind(p, out, MCU_WATCH_REPORTED,
		           "no new report for %.0f s",
		           (double)(now - p->last_report_us) / 1e6);
}

void mcu_watch_part_step(struct mcu_watch_part *p,
                         const struct mcu_watch_obs *o, int64_t now,
                         struct mcu_watch_step *out)
{
	bool present =
	    o->state == MCU_PART_CONNECTED || o->state == MCU_PART_ON_HOLD;
	memset(out, 0, sizeof(*out));
	judge_reports(p, o, now, out);
	if (present && !p->present) {
		p->present = true;
		out->joined = true;
		clear_kind(p, out, MCU_WATCH_CONNECTION_LOST, "reconnected");
		reset_media(p, now);
	} else if (!present && p->present) {
		p->present = false;
		out->left = true;
		out->leave_reason = leave_reason(o->state);
		for (int k = 0; k < MCU_WATCH_KINDS; k++)
			if (BIT(k) & MEDIA_KINDS)
				clear_kind(p, out, (enum mcu_watch_kind)k,
				           "left the meeting");
		raise_kind(p, out, MCU_WATCH_CONNECTION_LOST, "%s",
		           out->leave_reason);
		reset_media(p, now);
	}
	if (!present)
		return;
	if (o->state == MCU_PART_ON_HOLD) {
		/* Sends nothing on purpose: judge again after the resume. */
		reset_windows(p, now);
		return;
	}
	judge_media(p, o, now, out);
}

void mcu_watch_part_end(struct mcu_watch_part *p, const char *reason,
                        struct mcu_watch_step *out)
{
	memset(out, 0, sizeof(*out));
	if (p->present) {
		out->left = true;
		out->leave_reason = reason;
	}
	for (int k = 0; k < MCU_WATCH_KINDS; k++)
		clear_kind(p, out, (enum mcu_watch_kind)k, "meeting ended");
	p->present = false;
	reset_media(p, 0);
}

/* ---- the room watcher ------------------------------------------------- */

struct wpart {
	struct mcu_partinfo who; /* first: a mcu_partinfo_get() table */
	struct mcu_watch_part *m;
	/* Of each open incident: when it was raised and why. */
	time_t since[MCU_WATCH_KINDS];
	char detail[MCU_WATCH_KINDS][128];
};

struct wroom {
	char *meeting;
	struct wpart *parts;
	size_t n_parts;
	bool logging;
	bool seen; /* in the current mcu_watch_sample() */
	bool floor_known;
	char *holder;
	char **queue;
	size_t n_queue;
};

struct mcu_watch {
	struct mcu_watch_opts o;
	struct mcu_readiness *ready; /* test-run reports (with an engine) */
	struct wroom **rooms;
	size_t n_rooms;
};

int mcu_watch_alloc(struct mcu_watch **wp, const struct mcu_watch_opts *o)
{
	struct mcu_watch *w;
	if (!wp || !o || (o->engine && !o->snapshot))
		return EINVAL;
	w = calloc(1, sizeof(*w));
	if (!w)
		return ENOMEM;
	w->o = *o;
	if (o->api) /* nothing open yet */
		mcu_api_set_incidents(o->api, json_array());
	if (o->engine) {
		struct mcu_readiness_opts ro = {o->api, o->logbook};
		if (mcu_readiness_alloc(&w->ready, &ro))
			mcu_log_warn("no memory for test-run readiness reports");
	}
	*wp = w;
	return 0;
}

static void free_queue(struct wroom *r)
{
	for (size_t i = 0; i < r->n_queue; i++)
		free(r->queue[i]);
	free(r->queue);
	r->queue = NULL;
	r->n_queue = 0;
}

static void free_room(struct wroom *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->n_parts; i++) {
		struct wpart *p = &r->parts[i];
		mcu_partinfo_clear(&p->who);
		mcu_watch_part_free(p->m);
	}
	free(r->parts);
	free(r->meeting);
	free(r->holder);
	free_queue(r);
	free(r);
}

struct mcu_watch *mcu_watch_free(struct mcu_watch *w)
{
	if (!w)
		return NULL;
	for (size_t i = 0; i < w->n_rooms; i++) {
		/* A test run cut short by a shutdown: store what is known. */
		mcu_readiness_end(w->ready, w->rooms[i]->meeting, time(NULL));
		free_room(w->rooms[i]);
	}
	free(w->rooms);
	w->ready = mcu_readiness_free(w->ready);
	if (w->o.api)
		mcu_api_set_incidents(w->o.api, NULL);
	free(w);
	return NULL;
}

static void stamp(time_t t, char *buf, size_t len)
{
	struct tm tm;
	if (!gmtime_r(&t, &tm) ||
	    !strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm))
		snprintf(buf, len, "1970-01-01T00:00:00Z");
}

static void emit(struct mcu_watch *w, const char *type, json_t *data,
                 time_t now)
{
	char ts[32];
	if (!data) {
		mcu_log_ratelimited(MCU_LOG_WARN, 10000,
		                    "no memory for a %s event", type);
		return;
	}
	stamp(now, ts, sizeof(ts));
	json_object_set_new(data, "time", json_string(ts));
	if (w->o.event)
		w->o.event(w->o.arg, type, data);
	if (w->o.api)
		mcu_api_publish(w->o.api, type, data); /* steals data */
	else
		json_decref(data);
}

static const char *role_name(const struct wpart *p)
{
	return p->who.host ? "host" : "branch";
}

static json_t *opt_str(const char *s)
{
	return s ? json_string(s) : json_null();
}

static json_t *tech_json(const struct wpart *p)
{
	json_t *t =
	    p && (p->who.tech_name || p->who.tech_phone)
	        ? json_pack("{s:o,s:o}", "name", opt_str(p->who.tech_name),
	                    "phone", opt_str(p->who.tech_phone))
	        : NULL;
	return t ? t : json_null();
}

static const struct wpart *host_of(const struct wroom *r)
{
	for (size_t i = 0; i < r->n_parts; i++)
		if (r->parts[i].who.host)
			return &r->parts[i];
	return NULL;
}

/* A keypad report goes to the host's technician (the regulation). */
static void log_reported(const struct wroom *r, const struct wpart *p,
                         const char *name)
{
	const struct wpart *h = host_of(r);
	if (h && (h->who.tech_name || h->who.tech_phone))
		mcu_log_warn(
		    "incident: meeting %s: endpoint %s (%s) reports "
		    "an incident from its keypad: notify the host's "
		    "technician %s, %s (%s's technician: %s, %s)",
		    r->meeting, p->who.endpoint, name,
		    h->who.tech_name ? h->who.tech_name : "?",
		    h->who.tech_phone ? h->who.tech_phone : "no phone",
		    p->who.endpoint, p->who.tech_name ? p->who.tech_name : "?",
		    p->who.tech_phone ? p->who.tech_phone : "no phone");
	else
		mcu_log_warn("incident: meeting %s: endpoint %s (%s) reports "
		             "an incident from its keypad: the host has no "
		             "technician in the roster",
		             r->meeting, p->who.endpoint, name);
}

static json_t *incident_json(const struct wroom *r, const struct wpart *p,
                             enum mcu_watch_kind k)
{
	char ts[32];
	json_t *j;
	stamp(p->since[k], ts, sizeof(ts));
	j = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:o}", "meeting",
	              r->meeting, "endpoint", p->who.endpoint, "name",
	              p->who.name ? p->who.name : p->who.endpoint, "role",
	              role_name(p), "kind", mcu_watch_kind_name(k), "since", ts,
	              "detail", p->detail[k], "technician", tech_json(p));
	if (j && k == MCU_WATCH_REPORTED)
		json_object_set_new(j, "host_technician",
		                    tech_json(host_of(r)));
	return j;
}

json_t *mcu_watch_incidents(const struct mcu_watch *w)
{
	json_t *list = w ? json_array() : NULL;
	for (size_t i = 0; list && i < w->n_rooms; i++) {
		const struct wroom *r = w->rooms[i];
		for (size_t j = 0; j < r->n_parts; j++) {
			unsigned open = mcu_watch_part_open(r->parts[j].m);
			for (int k = 0; k < MCU_WATCH_KINDS; k++) {
				if (!(open & BIT(k)))
					continue;
				json_t *x = incident_json(
				    r, &r->parts[j], (enum mcu_watch_kind)k);
				if (!x || json_array_append_new(list, x)) {
					json_decref(list);
					return NULL;
				}
			}
		}
	}
	return list;
}

static void report_incident(struct mcu_watch *w, struct wroom *r,
                            struct wpart *p, enum mcu_watch_kind k, bool raised,
                            const char *detail, time_t now)
{
	const char *kind = mcu_watch_kind_name(k);
	const char *name = p->who.name ? p->who.name : p->who.endpoint;
	json_t *ev;

	if (raised) {
		p->since[k] = now;
		snprintf(p->detail[k], sizeof(p->detail[k]), "%s", detail);
	}
	/* The list first: a client that reads it on this event sees it. */
	if (w->o.api)
		mcu_api_set_incidents(w->o.api, mcu_watch_incidents(w));
	ev = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:o}", "meeting",
	               r->meeting, "endpoint", p->who.endpoint, "name", name,
	               "role", role_name(p), "kind", kind, "state",
	               raised ? "raised" : "cleared", "detail", detail,
	               "technician", tech_json(p));
	if (ev && k == MCU_WATCH_REPORTED)
		json_object_set_new(ev, "host_technician",
		                    tech_json(host_of(r)));
	emit(w, "incident", ev, now);
	if (raised && k == MCU_WATCH_REPORTED) {
		log_reported(r, p, name);
	} else if (raised) {
		if (p->who.tech_name || p->who.tech_phone)
			mcu_log_warn(
			    "incident: meeting %s: endpoint %s (%s) "
			    "%s: %s: notify technician %s, %s",
			    r->meeting, p->who.endpoint, name, kind, detail,
			    p->who.tech_name ? p->who.tech_name : "?",
			    p->who.tech_phone ? p->who.tech_phone : "no phone");
		else
			mcu_log_warn("incident: meeting %s: endpoint %s (%s) "
			             "%s: %s: no technician in the roster",
			             r->meeting, p->who.endpoint, name, kind,
			             detail);
	} else {
		mcu_log_info("incident cleared: meeting %s: endpoint %s (%s) "
		             "%s: %s",
		             r->meeting, p->who.endpoint, name, kind, detail);
	}
	if (!r->logging || !w->o.logbook)
		return;
	if (raised)
		mcu_logbook_incident_raised(w->o.logbook, r->meeting,
		                            p->who.endpoint, kind, detail, now);
	else
		mcu_logbook_incident_cleared(w->o.logbook, r->meeting,
		                             p->who.endpoint, kind, now);
}

static enum mcu_logbook_role lb_role(const struct wpart *p)
{
	return p->who.host ? MCU_LOGBOOK_HOST : MCU_LOGBOOK_BRANCH;
}

static void report_presence(struct mcu_watch *w, struct wroom *r,
                            struct wpart *p, bool joined, const char *reason,
                            time_t now)
{
	const char *name = p->who.name ? p->who.name : p->who.endpoint;
	json_t *j =
	    json_pack("{s:s,s:s,s:s,s:s}", "meeting", r->meeting, "endpoint",
	              p->who.endpoint, "name", name, "role", role_name(p));
	if (j && !joined)
		json_object_set_new(j, "reason", json_string(reason));
	emit(w, joined ? "join" : "leave", j, now);
	if (joined)
		mcu_log_info("meeting %s: %s (%s) joined", r->meeting,
		             p->who.endpoint, name);
	else
		mcu_log_info("meeting %s: %s (%s) left: %s", r->meeting,
		             p->who.endpoint, name, reason);
	if (!r->logging || !w->o.logbook)
		return;
	if (joined)
		mcu_logbook_joined(w->o.logbook, r->meeting, p->who.endpoint,
		                   lb_role(p), now);
	else
		mcu_logbook_left(w->o.logbook, r->meeting, p->who.endpoint,
		                 reason, now);
}

/* Clears first (a reconnection ends connection-lost before the join),
 * then presence, then what was raised. */
static void report_step(struct mcu_watch *w, struct wroom *r, struct wpart *p,
                        const struct mcu_watch_step *s, time_t now)
{
	for (int k = 0; k < MCU_WATCH_KINDS; k++)
		if (s->cleared & BIT(k))
			report_incident(w, r, p, (enum mcu_watch_kind)k, false,
			                s->detail[k], now);
	if (s->joined)
		report_presence(w, r, p, true, NULL, now);
	if (s->left)
		report_presence(w, r, p, false,
		                s->leave_reason ? s->leave_reason : "", now);
	for (int k = 0; k < MCU_WATCH_KINDS; k++)
		if (s->raised & BIT(k))
			report_incident(w, r, p, (enum mcu_watch_kind)k, true,
			                s->detail[k], now);
}

static struct wroom *find_room(struct mcu_watch *w, const char *meeting,
                               size_t *index)
{
	for (size_t i = 0; i < w->n_rooms; i++)
		if (!strcmp(w->rooms[i]->meeting, meeting)) {
			if (index)
				*index = i;
			return w->rooms[i];
		}
	return NULL;
}

static struct wroom *add_room(struct mcu_watch *w, const char *meeting)
{
	struct wroom *r = calloc(1, sizeof(*r));
	struct wroom **v = realloc(w->rooms, (w->n_rooms + 1) * sizeof(*v));
	if (v)
		w->rooms = v;
	if (!r || !v || !(r->meeting = strdup(meeting))) {
		free(r);
		return NULL;
	}
	w->rooms[w->n_rooms++] = r;
	return r;
}

static int new_part(void *entry)
{
	struct wpart *p = entry;
	return mcu_watch_part_alloc(&p->m);
}

static struct wpart *find_part(struct wroom *r,
                               const struct mcu_watch_input *in)
{
	long i;
	struct wpart *v = mcu_partinfo_get(r->parts, &r->n_parts, sizeof(*v),
	                                   in->endpoint, new_part, &i);
	if (v)
		r->parts = v;
	if (i < 0)
		return NULL;
	struct wpart *p = &r->parts[i];
	if (!mcu_partinfo_update(&p->who, in->host, in->name, in->tech_name,
	                         in->tech_phone))
		mcu_log_ratelimited(MCU_LOG_WARN, 10000,
		                    "no memory for %s's names",
		                    p->who.endpoint);
	return p;
}

static bool floor_changed(const struct wroom *r,
                          const struct mcu_watch_floor *f)
{
	if ((r->holder == NULL) != (f->holder == NULL) ||
	    (r->holder && strcmp(r->holder, f->holder)) ||
	    r->n_queue != f->n_queue)
		return true;
	for (size_t i = 0; i < f->n_queue; i++)
		if (strcmp(r->queue[i], f->queue[i] ? f->queue[i] : ""))
			return true;
	return false;
}

static void watch_floor(struct mcu_watch *w, struct wroom *r,
                        const struct mcu_watch_floor *f, time_t now)
{
	bool first = !r->floor_known;
	if (!first && !floor_changed(r, f))
		return;
	free_queue(r);
	free(r->holder);
	r->holder = f->holder ? strdup(f->holder) : NULL;
	r->queue = f->n_queue ? calloc(f->n_queue, sizeof(char *)) : NULL;
	r->floor_known = (!f->holder || r->holder) && (!f->n_queue || r->queue);
	for (size_t i = 0; r->queue && i < f->n_queue; i++) {
		r->queue[i] = strdup(f->queue[i] ? f->queue[i] : "");
		if (!r->queue[i])
			r->floor_known = false;
		r->n_queue = i + 1;
	}
	if (first) /* the room's initial floor is no change */
		return;
	json_t *q = json_array();
	for (size_t i = 0; q && i < f->n_queue; i++)
		json_array_append_new(
		    q, json_string(f->queue[i] ? f->queue[i] : ""));
	emit(w, "floor",
	     json_pack("{s:s,s:s,s:o,s:o}", "meeting", r->meeting, "mode",
	               f->mode ? f->mode : "", "holder", opt_str(f->holder),
	               "queue", q ? q : json_array()),
	     now);
	mcu_log_info("meeting %s: floor holder %s, %zu waiting", r->meeting,
	             f->holder ? f->holder : "nobody", f->n_queue);
}

void mcu_watch_feed(struct mcu_watch *w, const char *meeting, bool logging,
                    const struct mcu_watch_input *in, size_t n,
                    const struct mcu_watch_floor *floor, int64_t now_mono_us,
                    time_t now_wall)
{
	struct wroom *r;
	struct mcu_watch_step st;
	if (!w || !meeting)
		return;
	r = find_room(w, meeting, NULL);
	if (!r && !(r = add_room(w, meeting))) {
		mcu_log_ratelimited(MCU_LOG_WARN, 10000,
		                    "no memory to watch meeting %s", meeting);
		return;
	}
	r->seen = true;
	if (logging && !r->logging && w->o.logbook) {
		/* Live now (after its test run): who is already there. */
		for (size_t i = 0; i < r->n_parts; i++) {
			struct wpart *p = &r->parts[i];
			unsigned open = mcu_watch_part_open(p->m);
			if (mcu_watch_part_present(p->m))
				mcu_logbook_joined(w->o.logbook, meeting,
				                   p->who.endpoint, lb_role(p),
				                   now_wall);
			for (int k = 0; k < MCU_WATCH_KINDS; k++)
				if (open & BIT(k))
					mcu_logbook_incident_raised(
					    w->o.logbook, meeting,
					    p->who.endpoint,
					    mcu_watch_kind_name(
					        (enum mcu_watch_kind)k),
					    "open when the meeting started",
					    now_wall);
		}
	}
	r->logging = logging;
	for (size_t i = 0; in && i < n; i++) {
		struct wpart *p;
		if (!in[i].endpoint)
			continue;
		p = find_part(r, &in[i]);
		if (!p) {
			mcu_log_ratelimited(MCU_LOG_WARN, 10000,
			                    "no memory to watch %s",
			                    in[i].endpoint);
			continue;
		}
		mcu_watch_part_step(p->m, &in[i].obs, now_mono_us, &st);
		report_step(w, r, p, &st, now_wall);
	}
	if (floor)
		watch_floor(w, r, floor, now_wall);
}

static void stop_room(struct mcu_watch *w, size_t index, time_t now)
{
	struct wroom *r = w->rooms[index];
	struct mcu_watch_step st;
	mcu_readiness_end(w->ready, r->meeting, now);
	for (size_t i = 0; i < r->n_parts; i++) {
		mcu_watch_part_end(r->parts[i].m, "meeting-ended", &st);
		report_step(w, r, &r->parts[i], &st, now);
	}
	free_room(r);
	memmove(w->rooms + index, w->rooms + index + 1,
	        (w->n_rooms - index - 1) * sizeof(w->rooms[0]));
	w->n_rooms--;
}

static void sample_room(struct mcu_watch *w, struct mcu_room *room,
                        const char *meeting, bool logging, int64_t now,
                        time_t wall);

void mcu_watch_room_stopped(struct mcu_watch *w, const char *meeting,
                            time_t now_wall)
{
	size_t i;
	if (!w || !meeting || !find_room(w, meeting, &i))
		return;
	/* A last look first: who connected since the last 1 Hz sample is
	   in the logbook only after one (a meeting ending on time, a stop
	   by the API or SIGTERM), logged as the meeting was till now. */
	struct mcu_room *room =
	    w->o.engine ? mcu_engine_acquire(w->o.engine, meeting) : NULL;
	if (room) {
		sample_room(w, room, meeting, w->rooms[i]->logging,
		            mcu_netio_now_us(), now_wall);
		mcu_engine_release(w->o.engine, room);
		if (!find_room(w, meeting, &i))
			return;
	}
	stop_room(w, i, now_wall);
}

/* ---- reading the rooms ------------------------------------------------ */

static void obs_of(const struct mcu_room_part *rp, struct mcu_watch_obs *o)
{
	memset(o, 0, sizeof(*o));
	o->state = rp->state;
	o->rtt_ms = -1;
	o->reports = rp->incident_reports;
	if (!rp->has_leg)
		return;
	o->has_video = rp->vcodec != NULL;
	o->has_audio = rp->acodec != NULL;
	o->vin_packets = rp->leg.vin.packets;
	o->vin_lost = rp->leg.vin.lost;
	o->ain_packets = rp->leg.ain.packets;
	o->ain_lost = rp->leg.ain.lost;
	o->rtt_ms = rp->leg.rtt_ms;
}

static void sample_room(struct mcu_watch *w, struct mcu_room *room,
                        const char *meeting, bool logging, int64_t now,
                        time_t wall)
{
	size_t n = mcu_room_slots(room);
	struct mcu_snapshot *rs = mcu_room_snapshot(room);
	const struct mcu_conf *rconf = rs ? rs->conf : NULL;
	struct mcu_watch_input *in = calloc(n ? n : 1, sizeof(*in));
	struct mcu_room_floor *f = malloc(sizeof(*f));
	const char *queue[MCU_ROOM_QUEUE_MAX];
	struct mcu_watch_floor wf = {0};
	size_t k = 0;

	if (!in || !f) {
		mcu_log_ratelimited(MCU_LOG_WARN, 10000,
		                    "no memory to sample meeting %s", meeting);
		goto out;
	}
	for (size_t s = 0; s < n; s++) {
		struct mcu_room_part rp;
		if (!mcu_room_part(room, (long)s, &rp) || !rp.endpoint)
			continue;
		in[k].endpoint = rp.endpoint;
		in[k].name = rp.name;
		in[k].host = rp.host;
		mcu_partinfo_technician(rconf, rp.endpoint, &in[k].tech_name,
		                        &in[k].tech_phone);
		obs_of(&rp, &in[k].obs);
		k++;
	}
	mcu_room_floor_info(room, f);
	wf.mode = mcu_conf_floor_name(f->mode);
	wf.holder = mcu_room_slot_endpoint(room, f->holder);
	for (size_t i = 0; i < f->queued && i < MCU_ROOM_QUEUE_MAX; i++) {
		const char *e = mcu_room_slot_endpoint(room, f->queue[i]);
		if (e)
			queue[wf.n_queue++] = e;
	}
	wf.queue = queue;
	mcu_watch_feed(w, meeting, logging, in, k, &wf, now, wall);
out:
	free(in);
	free(f);
}

void mcu_watch_sample(struct mcu_watch *w, int64_t now_mono_us, time_t now_wall)
{
	struct mcu_snapshot *snap;
	if (!w || !w->o.engine)
		return;
	snap = w->o.snapshot(w->o.arg);
	for (size_t i = 0; i < w->n_rooms; i++)
		w->rooms[i]->seen = false;
	for (size_t i = 0; snap && i < snap->conf->n_meetings; i++) {
		const char *id = snap->conf->meetings[i].id;
		struct mcu_room *room = mcu_engine_acquire(w->o.engine, id);
		if (!room)
			continue;
		enum mcu_meeting_state st =
		    w->o.state ? w->o.state(w->o.arg, snap->conf, i, now_wall)
		               : MCU_MEETING_LIVE;
		bool logging = st == MCU_MEETING_LIVE;
		sample_room(w, room, id, logging, now_mono_us, now_wall);
		/* Test run: the tone and the readiness report. */
		mcu_room_set_test_tone(room, st == MCU_MEETING_TEST_RUN);
		if (st == MCU_MEETING_TEST_RUN)
			mcu_readiness_sample(w->ready, room, snap->conf, i,
			                     now_mono_us, now_wall);
		else
			mcu_readiness_end(w->ready, id, now_wall);
		mcu_engine_release(w->o.engine, room);
	}
	mcu_snapshot_put(snap);
	for (size_t i = w->n_rooms; i-- > 0;)
		if (!w->rooms[i]->seen)
			stop_room(w, i, now_wall);
}
