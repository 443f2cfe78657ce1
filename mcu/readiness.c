/*
 * Why it works this way.
 *
 * The watcher already samples every running room once a second for
 * incidents; the test-run check needs the same counters, so it rides on
 * that sample instead of running a second sampler. A test run is short
 * and a technician adjusts things while it runs, so the verdict is
 * re-evaluated on every sample over a sliding window (figures of the
 * last 5 s, the audio level's peak over 10 s since people speak with
 * pauses) rather than accumulated over the whole window: what the report
 * shows is the endpoint as it is now. The final report (logbook) takes
 * each endpoint's last verdict given while it was connected, so a
 * technician who checked and hung up before the window closed is ready.
 *
 * Limits live in one table (mcu_readiness_limits[]), which the judge
 * reads, the JSON report carries and docs/api.md quotes.
 */
#define MCU_LOG_MODULE "readiness"
#include "mcu/readiness.h"
#include "conf/log.h"
#include "mcu/csv.h"
#include "mcu/partinfo.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define UNSET            INT64_MIN
#define RING             24
#define RING_MIN_STEP_US 400000
#define WINDOW_SLACK_US  500000
#define BIT(k)           (1u << (k))
#define LEVEL_UNKNOWN    MCU_READINESS_LEVEL_UNKNOWN

const struct mcu_readiness_limit mcu_readiness_limits[MCU_READINESS_CHECKS] = {
    [MCU_READINESS_CHK_VIDEO_PPS] = {MCU_READINESS_NO_VIDEO,
                                     "video packets received per second", true,
                                     1.0, "packets/s"},
    [MCU_READINESS_CHK_FPS] = {MCU_READINESS_LOW_FPS,
                               "video frames decoded per second", true, 10.0,
                               "fps"},
    [MCU_READINESS_CHK_AUDIO_PPS] = {MCU_READINESS_NO_AUDIO,
                                     "audio packets received per second", true,
                                     10.0, "packets/s"},
    [MCU_READINESS_CHK_LEVEL] = {MCU_READINESS_NO_AUDIO,
                                 "loudest audio level over 10 s", true, -50.0,
                                 "dBov"},
    [MCU_READINESS_CHK_LOSS] = {MCU_READINESS_LOSS,
                                "audio or video packets lost over 5 s", false,
                                3.0, "%"},
    [MCU_READINESS_CHK_JITTER] = {MCU_READINESS_JITTER,
                                  "audio or video interarrival jitter", false,
                                  40.0, "ms"},
    [MCU_READINESS_CHK_RTT] = {MCU_READINESS_RTT, "round-trip time (RTCP)",
                               false, 300.0, "ms"},
};

const char *mcu_readiness_reason_name(enum mcu_readiness_reason r)
{
	static const char *const names[MCU_READINESS_REASONS] = {
	    "no-answer", "no-video", "low-fps", "no-audio",
	    "loss",      "jitter",   "rtt",
	};
	return (unsigned)r < MCU_READINESS_REASONS ? names[r] : "";
}

const char *mcu_readiness_verdict_name(enum mcu_readiness_verdict v)
{
	switch (v) {
	case MCU_READINESS_CHECKING:
		return "checking";
	case MCU_READINESS_READY:
		return "ready";
	case MCU_READINESS_NOT_READY:
		return "not-ready";
	}
	return "";
}

/* ---- the judge ---------------------------------------------------------- */

struct sample {
	int64_t t;
	uint64_t vp, vl, ap, al;
	double level;
};

struct mcu_readiness_part {
	int64_t connected_since;  /* UNSET: not connected */
	struct sample ring[RING]; /* oldest first */
	size_t n_ring;
	bool have_last; /* a result given while connected */
	struct mcu_readiness_result last;
};

int mcu_readiness_part_alloc(struct mcu_readiness_part **pp)
{
	struct mcu_readiness_part *p;
	if (!pp)
		return EINVAL;
	p = calloc(1, sizeof(*p));
	if (!p)
		return ENOMEM;
	p->connected_since = UNSET;
	*pp = p;
	return 0;
}

struct mcu_readiness_part *mcu_readiness_part_free(struct mcu_readiness_part *p)
{
	free(p);
	return NULL;
}

static void unknown_figures(struct mcu_readiness_figures *f)
{
	f->connected = false;
	f->video_fps = f->video_pps = f->audio_pps = -1;
	f->video_loss = f->audio_loss = -1;
	f->video_jitter_ms = f->audio_jitter_ms = -1;
	f->level_dbov = LEVEL_UNKNOWN;
	f->rtt_ms = -1;
	f->width = f->height = 0;
}

static void push_sample(struct mcu_readiness_part *p,
                        const struct mcu_readiness_obs *o, int64_t now)
{
	if (p->n_ring && now - p->ring[p->n_ring - 1].t < RING_MIN_STEP_US) {
		/* Too soon for a new entry: keep the loudest level. */
		struct sample *s = &p->ring[p->n_ring - 1];
		if (o->level_dbov > s->level)
			s->level = o->level_dbov;
		return;
	}
	if (p->n_ring == RING) {
		memmove(p->ring, p->ring + 1, (RING - 1) * sizeof(p->ring[0]));
		p->n_ring--;
	}
	p->ring[p->n_ring++] = (struct sample){now,         o->vin_packets,
	                                       o->vin_lost, o->ain_packets,
	                                       o->ain_lost, o->level_dbov};
}

static double loss_of(uint64_t p0, uint64_t l0, uint64_t p1, uint64_t l1)
{
	double dp = p1 > p0 ? (double)(p1 - p0) : 0;
	double dl = l1 > l0 ? (double)(l1 - l0) : 0;
	if (dp + dl < MCU_READINESS_MIN_LOSS_PACKETS)
		return -1;
	return dl / (dp + dl);
}

static bool fails(enum mcu_readiness_check c, double v)
{
	const struct mcu_readiness_limit *l = &mcu_readiness_limits[c];
	if (v < 0 && c != MCU_READINESS_CHK_LEVEL)
		return false; /* unknown */
	return l->at_least ? v < l->value : v > l->value;
}

static void fail(struct mcu_readiness_result *out, enum mcu_readiness_check c)
{
	out->reasons |= BIT(mcu_readiness_limits[c].reason);
}

static double max2(double a, double b)
{
	return a > b ? a : b;
}

/* The figures over the window ending now; false: under a second known. */
static bool measure(const struct mcu_readiness_part *p,
                    const struct mcu_readiness_obs *o, int64_t now,
                    struct mcu_readiness_figures *f, int64_t *span)
{
	const struct sample *ref = NULL, *cur = &p->ring[p->n_ring - 1];
	double level = LEVEL_UNKNOWN;
	for (size_t i = 0; i < p->n_ring; i++) {
		if (!ref && now - p->ring[i].t <=
		                MCU_READINESS_WINDOW_US + WINDOW_SLACK_US)
			ref = &p->ring[i];
		if (now - p->ring[i].t <=
		    MCU_READINESS_LEVEL_WINDOW_US + WINDOW_SLACK_US)
			level = max2(level, p->ring[i].level);
	}
	f->connected = true;
	f->level_dbov = level;
	f->rtt_ms = o->rtt_ms >= 0 ? o->rtt_ms : -1;
	f->video_fps = o->has_video && o->decoding ? o->fps : -1;
	f->width = o->has_video ? o->width : 0;
	f->height = o->has_video ? o->height : 0;
	*span = ref ? cur->t - ref->t : 0;
	if (!ref || *span < 1000000)
		return false;
	double secs = (double)*span / 1e6;
	f->video_pps = o->has_video ? (double)(cur->vp - ref->vp) / secs : 0;
	f->audio_pps = o->has_audio ? (double)(cur->ap - ref->ap) / secs : 0;
	f->video_loss =
	    o->has_video ? loss_of(ref->vp, ref->vl, cur->vp, cur->vl) : -1;
	f->audio_loss =
	    o->has_audio ? loss_of(ref->ap, ref->al, cur->ap, cur->al) : -1;
	f->video_jitter_ms =
	    o->has_video && f->video_pps > 0 ? o->vjitter_ms : -1;
	f->audio_jitter_ms =
	    o->has_audio && f->audio_pps > 0 ? o->ajitter_ms : -1;
	return true;
}

static void judge(const struct mcu_readiness_obs *o,
                  struct mcu_readiness_result *out)
{
	const struct mcu_readiness_figures *f = &out->fig;
	bool video =
	    o->has_video && !fails(MCU_READINESS_CHK_VIDEO_PPS, f->video_pps);
	if (!video)
		fail(out, MCU_READINESS_CHK_VIDEO_PPS);
	else if (fails(MCU_READINESS_CHK_FPS, f->video_fps))
		fail(out, MCU_READINESS_CHK_FPS);
	if (!o->has_audio || fails(MCU_READINESS_CHK_AUDIO_PPS, f->audio_pps))
		fail(out, MCU_READINESS_CHK_AUDIO_PPS);
	else if (fails(MCU_READINESS_CHK_LEVEL, f->level_dbov))
		fail(out, MCU_READINESS_CHK_LEVEL);
	if (fails(MCU_READINESS_CHK_LOSS,
	          100 * max2(f->video_loss, f->audio_loss)))
		fail(out, MCU_READINESS_CHK_LOSS);
	if (fails(MCU_READINESS_CHK_JITTER,
	          max2(f->video_jitter_ms, f->audio_jitter_ms)))
		fail(out, MCU_READINESS_CHK_JITTER);
	if (fails(MCU_READINESS_CHK_RTT, f->rtt_ms))
		fail(out, MCU_READINESS_CHK_RTT);
}

void mcu_readiness_part_step(struct mcu_readiness_part *p,
                             const struct mcu_readiness_obs *o, int64_t now,
                             struct mcu_readiness_result *out)
{
	bool connected = o->state == MCU_PART_CONNECTED;
	int64_t span;

	memset(out, 0, sizeof(*out));
	unknown_figures(&out->fig);
	if (!connected) {
		/* On hold sends nothing on purpose: judged after the resume. */
		p->connected_since = UNSET;
		p->n_ring = 0;
		out->verdict = MCU_READINESS_NOT_READY;
		out->reasons = BIT(MCU_READINESS_NO_ANSWER);
		out->fig.connected = o->state == MCU_PART_ON_HOLD;
		return;
	}
	if (p->connected_since == UNSET)
		p->connected_since = now;
	if (p->n_ring && (o->vin_packets < p->ring[p->n_ring - 1].vp ||
	                  o->ain_packets < p->ring[p->n_ring - 1].ap)) {
		/* A new leg (the endpoint called again): counters restart. */
		p->n_ring = 0;
		p->connected_since = now;
	}
	push_sample(p, o, now);
	bool known = measure(p, o, now, &out->fig, &span);
	if (known)
		judge(o, out);
	if (!known || span < MCU_READINESS_WINDOW_US - WINDOW_SLACK_US ||
	    now - p->connected_since <
	        MCU_READINESS_WINDOW_US - WINDOW_SLACK_US)
		out->verdict = MCU_READINESS_CHECKING;
	else
		out->verdict = out->reasons ? MCU_READINESS_NOT_READY
		                            : MCU_READINESS_READY;
	if (out->verdict != MCU_READINESS_CHECKING || !p->have_last ||
	    p->last.verdict == MCU_READINESS_CHECKING) {
		p->last = *out;
		p->have_last = true;
	}
}

bool mcu_readiness_part_final(const struct mcu_readiness_part *p,
                              struct mcu_readiness_result *out)
{
	memset(out, 0, sizeof(*out));
	unknown_figures(&out->fig);
	out->verdict = MCU_READINESS_NOT_READY;
	if (!p->have_last) {
		out->reasons = BIT(MCU_READINESS_NO_ANSWER);
		return false;
	}
	*out = p->last;
	if (out->verdict == MCU_READINESS_CHECKING) {
		/* Answered too briefly to be judged. */
		out->verdict = MCU_READINESS_NOT_READY;
		if (!out->reasons)
			out->reasons = BIT(MCU_READINESS_NO_ANSWER);
	}
	return true;
}

/* ---- the reports -------------------------------------------------------- */

struct rpart {
	struct mcu_partinfo who; /* first: a mcu_partinfo_get() table */
	struct mcu_readiness_part *m;
	struct mcu_readiness_result res;
	bool judged;  /* res holds a step's result */
	time_t since; /* the verdict's last change */
};

struct report {
	char *meeting;
	char date[16];
	bool final;
	time_t started, ended;
	struct rpart *parts;
	size_t n_parts;
};

struct mcu_readiness {
	struct mcu_readiness_opts o;
	pthread_mutex_t lock;
	struct report **v; /* lock */
	size_t n;          /* lock */
};

static json_t *api_json(void *arg, const char *meeting, int *status)
{
	return mcu_readiness_json(arg, meeting, status);
}

static int api_csv(void *arg, const char *meeting, bool en, char **text,
                   size_t *len)
{
	return mcu_readiness_csv(arg, meeting, en, text, len);
}

int mcu_readiness_alloc(struct mcu_readiness **rp,
                        const struct mcu_readiness_opts *o)
{
	struct mcu_readiness *r;
	int err;
	if (!rp || !o)
		return EINVAL;
	r = calloc(1, sizeof(*r));
	if (!r)
		return ENOMEM;
	r->o = *o;
	err = pthread_mutex_init(&r->lock, NULL);
	if (err) {
		free(r);
		return err;
	}
	if (r->o.api) {
		struct mcu_api_readiness ar = {r, api_json, api_csv};
		mcu_api_set_readiness(r->o.api, &ar);
	}
	*rp = r;
	return 0;
}

static void free_report(struct report *rep)
{
	if (!rep)
		return;
	for (size_t i = 0; i < rep->n_parts; i++) {
		struct rpart *p = &rep->parts[i];
		mcu_partinfo_clear(&p->who);
		mcu_readiness_part_free(p->m);
	}
	free(rep->parts);
	free(rep->meeting);
	free(rep);
}

struct mcu_readiness *mcu_readiness_free(struct mcu_readiness *r)
{
	if (!r)
		return NULL;
	if (r->o.api) /* waits for requests in flight */
		mcu_api_set_readiness(r->o.api, NULL);
	for (size_t i = 0; i < r->n; i++)
		free_report(r->v[i]);
	free(r->v);
	pthread_mutex_destroy(&r->lock);
	free(r);
	return NULL;
}

static struct report *find_report(struct mcu_readiness *r, const char *meeting,
                                  size_t *index)
{
	for (size_t i = 0; i < r->n; i++)
		if (!strcmp(r->v[i]->meeting, meeting)) {
			if (index)
				*index = i;
			return r->v[i];
		}
	return NULL;
}

static int new_part(void *entry)
{
	struct rpart *p = entry;
	return mcu_readiness_part_alloc(&p->m);
}

static struct rpart *find_part(struct report *rep,
                               const struct mcu_readiness_input *in)
{
	long i;
	struct rpart *v = mcu_partinfo_get(
	    rep->parts, &rep->n_parts, sizeof(*v), in->endpoint, new_part, &i);
	if (v)
		rep->parts = v;
	if (i < 0)
		return NULL;
	struct rpart *p = &rep->parts[i];
	if (!mcu_partinfo_update(&p->who, in->host, in->name, in->tech_name,
	                         in->tech_phone))
		mcu_log_ratelimited(MCU_LOG_WARN, 10000,
		                    "no memory for %s's names",
		                    p->who.endpoint);
	return p;
}

static void stamp(time_t t, char *buf, size_t len)
{
	struct tm tm;
	if (!gmtime_r(&t, &tm) ||
	    !strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm))
		snprintf(buf, len, "1970-01-01T00:00:00Z");
}

static json_t *opt_str(const char *s)
{
	return s ? json_string(s) : json_null();
}

/* A figure rounded to 0.1, or null when unknown. */
static json_t *fig(double v)
{
	if (!(v >= 0))
		return json_null();
	return json_real(round(v * 10) / 10);
}

static json_t *pct(double fraction)
{
	return fraction >= 0 ? fig(100 * fraction) : json_null();
}

static json_t *reasons_json(unsigned reasons)
{
	json_t *a = json_array();
	for (int k = 0; a && k < MCU_READINESS_REASONS; k++)
		if (reasons & BIT(k))
			json_array_append_new(
			    a, json_string(mcu_readiness_reason_name(
			           (enum mcu_readiness_reason)k)));
	return a;
}

static json_t *technician_json(const struct rpart *p)
{
	if (!p->who.tech_name && !p->who.tech_phone)
		return json_null();
	return json_pack("{s:o,s:o}", "name", opt_str(p->who.tech_name),
	                 "phone", opt_str(p->who.tech_phone));
}

static json_t *part_json(const struct rpart *p)
{
	const struct mcu_readiness_result *res = &p->res;
	const struct mcu_readiness_figures *f = &res->fig;
	char since[32];
	stamp(p->since, since, sizeof(since));
	json_t *video = json_pack(
	    "{s:o,s:o,s:o,s:o,s:o}", "fps", fig(f->video_fps), "resolution",
	    f->width > 0 ? json_sprintf("%dx%d", f->width, f->height)
	                 : json_null(),
	    "packets_per_s", fig(f->video_pps), "loss_pct", pct(f->video_loss),
	    "jitter_ms", fig(f->video_jitter_ms));
	json_t *audio =
	    json_pack("{s:o,s:o,s:o,s:o}", "packets_per_s", fig(f->audio_pps),
	              "level_dbov",
	              f->level_dbov > LEVEL_UNKNOWN
	                  ? json_real(round(f->level_dbov * 10) / 10)
	                  : json_null(),
	              "loss_pct", pct(f->audio_loss), "jitter_ms",
	              fig(f->audio_jitter_ms));
	return json_pack("{s:s,s:s,s:s,s:s,s:b,s:o,s:b,s:o,s:o,s:o,s:o,s:s}",
	                 "endpoint", p->who.endpoint, "name",
	                 p->who.name ? p->who.name : p->who.endpoint, "role",
	                 p->who.host ? "host" : "branch", "verdict",
	                 mcu_readiness_verdict_name(res->verdict), "ready",
	                 res->verdict == MCU_READINESS_READY, "reasons",
	                 reasons_json(res->reasons), "connected", f->connected,
	                 "video", video ? video : json_null(), "audio",
	                 audio ? audio : json_null(), "rtt_ms", fig(f->rtt_ms),
	                 "technician", technician_json(p), "since", since);
}

static json_t *limits_json(void)
{
	json_t *a = json_array();
	for (int c = 0; a && c < MCU_READINESS_CHECKS; c++) {
		const struct mcu_readiness_limit *l = &mcu_readiness_limits[c];
		json_array_append_new(
		    a, json_pack("{s:s,s:s,s:s,s:f,s:s}", "reason",
		                 mcu_readiness_reason_name(l->reason),
		                 "measure", l->measure, "fails",
		                 l->at_least ? "below" : "above", "value",
		                 l->value, "unit", l->unit));
	}
	return a;
}

static void count(const struct report *rep, size_t n[3])
{
	n[0] = n[1] = n[2] = 0;
	for (size_t i = 0; i < rep->n_parts; i++)
		n[rep->parts[i].res.verdict]++;
}

static json_t *report_json(const struct report *rep)
{
	char started[32], ended[32];
	size_t n[3];
	json_t *eps = json_array();
	for (size_t i = 0; eps && i < rep->n_parts; i++)
		json_array_append_new(eps, part_json(&rep->parts[i]));
	count(rep, n);
	stamp(rep->started, started, sizeof(started));
	stamp(rep->ended, ended, sizeof(ended));
	return json_pack("{s:s,s:s,s:b,s:s,s:o,s:I,s:I,s:I,s:o,s:o}", "meeting",
	                 rep->meeting, "test_date", rep->date, "final",
	                 rep->final, "started", started, "ended",
	                 rep->final ? json_string(ended) : json_null(), "ready",
	                 (json_int_t)n[MCU_READINESS_READY], "not_ready",
	                 (json_int_t)n[MCU_READINESS_NOT_READY], "checking",
	                 (json_int_t)n[MCU_READINESS_CHECKING], "limits",
	                 limits_json(), "endpoints", eps ? eps : json_array());
}

static json_t *event_json(const struct report *rep, const struct rpart *p,
                          time_t now)
{
	char ts[32];
	stamp(now, ts, sizeof(ts));
	return json_pack("{s:s,s:s,s:s,s:s,s:b,s:o,s:o,s:b,s:s}", "meeting",
	                 rep->meeting, "endpoint", p->who.endpoint, "name",
	                 p->who.name ? p->who.name : p->who.endpoint, "verdict",
	                 mcu_readiness_verdict_name(p->res.verdict), "ready",
	                 p->res.verdict == MCU_READINESS_READY, "reasons",
	                 reasons_json(p->res.reasons), "technician",
	                 technician_json(p), "final", rep->final, "time", ts);
}

static void publish_all(struct mcu_readiness *r, json_t *events)
{
	size_t i;
	json_t *e;
	json_array_foreach(events, i, e)
	{
		if (r->o.api)
			mcu_api_publish(r->o.api, "readiness", json_incref(e));
	}
	json_decref(events);
}

static void log_change(const struct report *rep, const struct rpart *p)
{
	char why[128] = "";
	size_t len = 0;
	for (int k = 0; k < MCU_READINESS_REASONS; k++)
		if (p->res.reasons & BIT(k)) {
			int w = snprintf(why + len, sizeof(why) - len, "%s%s",
			                 len ? "," : "",
			                 mcu_readiness_reason_name(
			                     (enum mcu_readiness_reason)k));
			if (w < 0 || (size_t)w >= sizeof(why) - len)
				break;
			len += (size_t)w;
		}
	if (!len)
		mcu_log_info("test run %s %s: %s %s", rep->meeting, rep->date,
		             p->who.endpoint,
		             mcu_readiness_verdict_name(p->res.verdict));
	else
		mcu_log_info("test run %s %s: %s %s (%s): technician %s, %s",
		             rep->meeting, rep->date, p->who.endpoint,
		             mcu_readiness_verdict_name(p->res.verdict), why,
		             p->who.tech_name ? p->who.tech_name : "unknown",
		             p->who.tech_phone ? p->who.tech_phone
		                               : "no phone");
}

static void write_final(struct mcu_readiness *r, const struct report *rep,
                        time_t now)
{
	if (!r->o.logbook)
		return;
	for (size_t i = 0; i < rep->n_parts; i++) {
		const struct rpart *p = &rep->parts[i];
		char reasons[128] = "";
		size_t len = 0;
		for (int k = 0; k < MCU_READINESS_REASONS; k++)
			if (p->res.reasons & BIT(k)) {
				int w = snprintf(
				    reasons + len, sizeof(reasons) - len,
				    "%s%s", len ? ";" : "",
				    mcu_readiness_reason_name(
				        (enum mcu_readiness_reason)k));
				if (w < 0 || (size_t)w >= sizeof(reasons) - len)
					break;
				len += (size_t)w;
			}
		json_t *j = part_json(p);
		char *figures = j ? json_dumps(j, JSON_COMPACT) : NULL;
		json_decref(j);
		struct mcu_logbook_readiness row = {
		    .meeting_id = rep->meeting,
		    .test_date = rep->date,
		    .endpoint = p->who.endpoint,
		    .name = p->who.name,
		    .ready = p->res.verdict == MCU_READINESS_READY,
		    .reasons = reasons,
		    .figures = figures,
		    .tech_name = p->who.tech_name,
		    .tech_phone = p->who.tech_phone,
		};
		mcu_logbook_readiness(r->o.logbook, &row, now);
		mcu_logbook_test_result(r->o.logbook, rep->meeting,
		                        p->who.endpoint, row.ready,
		                        len ? reasons : NULL, now);
		free(figures);
	}
}

static void end_locked(struct mcu_readiness *r, struct report *rep, time_t now,
                       json_t *events)
{
	size_t n[3];
	if (rep->final)
		return;
	rep->final = true;
	rep->ended = now;
	for (size_t i = 0; i < rep->n_parts; i++) {
		struct rpart *p = &rep->parts[i];
		struct mcu_readiness_result fin;
		mcu_readiness_part_final(p->m, &fin);
		bool changed = fin.verdict != p->res.verdict ||
		               fin.reasons != p->res.reasons;
		p->res = fin;
		p->judged = true;
		if (changed)
			p->since = now;
		json_array_append_new(events, event_json(rep, p, now));
	}
	count(rep, n);
	mcu_log_info("test run %s %s ended: %zu ready, %zu not ready",
	             rep->meeting, rep->date, n[MCU_READINESS_READY],
	             n[MCU_READINESS_NOT_READY]);
	write_final(r, rep, now);
}

void mcu_readiness_feed(struct mcu_readiness *r, const char *meeting,
                        const char *test_date,
                        const struct mcu_readiness_input *in, size_t n,
                        int64_t now_mono_us, time_t now_wall)
{
	struct report *rep;
	size_t idx;
	json_t *events;
	if (!r || !meeting || !test_date)
		return;
	events = json_array();
	pthread_mutex_lock(&r->lock);
	rep = find_report(r, meeting, &idx);
	if (rep && (rep->final || strcmp(rep->date, test_date))) {
		/* A new test run replaces the last report (stored already). */
		if (events)
			end_locked(r, rep, now_wall, events);
		free_report(rep);
		memmove(r->v + idx, r->v + idx + 1,
		        (r->n - idx - 1) * sizeof(r->v[0]));
		r->n--;
		rep = NULL;
	}
	if (!rep) {
		struct report **v = realloc(r->v, (r->n + 1) * sizeof(*v));
		if (v)
			r->v = v;
		rep = calloc(1, sizeof(*rep));
		if (!v || !rep || !(rep->meeting = strdup(meeting))) {
			free(rep);
			rep = NULL;
		} else {
			snprintf(rep->date, sizeof(rep->date), "%s", test_date);
			rep->started = now_wall;
			r->v[r->n++] = rep;
			mcu_log_info("test run %s %s: checking %zu endpoints",
			             meeting, rep->date, n);
		}
	}
	for (size_t i = 0; rep && in && i < n; i++) {
		struct rpart *p;
		struct mcu_readiness_result res;
		if (!in[i].endpoint || !(p = find_part(rep, &in[i])))
			continue;
		mcu_readiness_part_step(p->m, &in[i].obs, now_mono_us, &res);
		/* While checking, the reasons are provisional: no news. */
		bool changed = !p->judged || res.verdict != p->res.verdict ||
		               (res.verdict != MCU_READINESS_CHECKING &&
		                res.reasons != p->res.reasons);
		p->res = res;
		p->judged = true;
		if (!changed)
			continue;
		p->since = now_wall;
		log_change(rep, p);
		if (events)
			json_array_append_new(events,
			                      event_json(rep, p, now_wall));
	}
	pthread_mutex_unlock(&r->lock);
	if (!rep)
		mcu_log_ratelimited(MCU_LOG_WARN, 10000,
		                    "no memory for the test run of %s",
		                    meeting);
	publish_all(r, events);
}

void mcu_readiness_end(struct mcu_readiness *r, const char *meeting,
                       time_t now_wall)
{
	struct report *rep;
	json_t *events;
	if (!r || !meeting)
		return;
	pthread_mutex_lock(&r->lock);
	rep = find_report(r, meeting, NULL);
	if (!rep || rep->final) {
		pthread_mutex_unlock(&r->lock);
		return;
	}
	events = json_array();
	if (events)
		end_locked(r, rep, now_wall, events);
	pthread_mutex_unlock(&r->lock);
	publish_all(r, events);
}

/* ---- reading a room ----------------------------------------------------- */

static void obs_of(const struct mcu_room_part *rp, struct mcu_readiness_obs *o)
{
	memset(o, 0, sizeof(*o));
	o->state = rp->state;
	o->rtt_ms = -1;
	o->level_dbov = rp->level_dbov;
	if (!rp->has_leg)
		return;
	o->has_video = rp->vcodec != NULL;
	o->has_audio = rp->acodec != NULL;
	o->decoding = rp->leg.decoding;
	o->vin_packets = rp->leg.vin.packets;
	o->vin_lost = rp->leg.vin.lost;
	o->frames_decoded = rp->leg.vin.frames_decoded;
	o->fps = rp->leg.vin.fps;
	o->width = rp->leg.vin.width;
	o->height = rp->leg.vin.height;
	o->ain_packets = rp->leg.ain.packets;
	o->ain_lost = rp->leg.ain.lost;
	o->vjitter_ms = rp->leg.vin.jitter_ms;
	o->ajitter_ms = rp->leg.ain.jitter_ms;
	o->rtt_ms = rp->leg.rtt_ms;
}

void mcu_readiness_sample(struct mcu_readiness *r, struct mcu_room *room,
                          const struct mcu_conf *conf, size_t meeting,
                          int64_t now_mono_us, time_t now_wall)
{
	size_t n = mcu_room_slots(room);
	struct mcu_readiness_input *in;
	const struct mcu_conf_meeting *m;
	char date[16];
	struct tm tm;
	time_t day;
	size_t k = 0;

	if (!r || !conf || meeting >= conf->n_meetings)
		return;
	m = &conf->meetings[meeting];
	day = m->has_test_run ? m->test_start : now_wall;
	if (!localtime_r(&day, &tm) ||
	    !strftime(date, sizeof(date), "%Y-%m-%d", &tm))
		snprintf(date, sizeof(date), "1970-01-01");
	in = calloc(n ? n : 1, sizeof(*in));
	if (!in) {
		mcu_log_ratelimited(MCU_LOG_WARN, 10000,
		                    "no memory to check meeting %s", m->id);
		return;
	}
	for (size_t s = 0; s < n; s++) {
		struct mcu_room_part rp;
		if (!mcu_room_part(room, (long)s, &rp) || !rp.endpoint)
			continue;
		in[k].endpoint = rp.endpoint;
		in[k].name = rp.name;
		in[k].host = rp.host;
		mcu_partinfo_technician(conf, rp.endpoint, &in[k].tech_name,
		                        &in[k].tech_phone);
		obs_of(&rp, &in[k].obs);
		k++;
	}
	mcu_readiness_feed(r, m->id, date, in, k, now_mono_us, now_wall);
	free(in);
}

/* ---- exports ------------------------------------------------------------ */

json_t *mcu_readiness_json(struct mcu_readiness *r, const char *meeting,
                           int *status)
{
	json_t *j = NULL;
	struct report *rep;
	int st = 404;
	if (r && meeting) {
		pthread_mutex_lock(&r->lock);
		rep = find_report(r, meeting, NULL);
		if (rep) {
			j = report_json(rep);
			st = j ? 200 : 500;
		}
		pthread_mutex_unlock(&r->lock);
	}
	if (status)
		*status = st;
	return j;
}

static void csv_num(FILE *f, double v)
{
	fputc(',', f);
	if (v >= 0)
		fprintf(f, "%.1f", v);
}

static const char *verdict_text(enum mcu_readiness_verdict v, bool en)
{
	switch (v) {
	case MCU_READINESS_READY:
		return en ? "ready" : "Sẵn sàng";
	case MCU_READINESS_NOT_READY:
		return en ? "not ready" : "Chưa sẵn sàng";
	case MCU_READINESS_CHECKING:
		break;
	}
	return en ? "checking" : "Đang kiểm tra";
}

static void csv_row(FILE *f, const struct rpart *p, bool en)
{
	const struct mcu_readiness_figures *fg = &p->res.fig;
	bool first = true;
	mcu_csv_field(f, p->who.endpoint);
	fputc(',', f);
	mcu_csv_field(f, p->who.name ? p->who.name : p->who.endpoint);
	fputc(',', f);
	fputs(p->who.host ? (en ? "host" : "Trung tâm")
	                  : (en ? "branch" : "Nhánh"),
	      f);
	fputc(',', f);
	fputs(verdict_text(p->res.verdict, en), f);
	fputc(',', f);
	for (int k = 0; k < MCU_READINESS_REASONS; k++)
		if (p->res.reasons & BIT(k)) {
			fprintf(f, "%s%s", first ? "" : ";",
			        mcu_readiness_reason_name(
			            (enum mcu_readiness_reason)k));
			first = false;
		}
	csv_num(f, fg->video_fps);
	fputc(',', f);
	if (fg->width > 0)
		fprintf(f, "%dx%d", fg->width, fg->height);
	csv_num(f, fg->video_pps);
	csv_num(f, fg->video_loss >= 0 ? 100 * fg->video_loss : -1);
	csv_num(f, fg->video_jitter_ms);
	csv_num(f, fg->audio_pps);
	fputc(',', f);
	if (fg->level_dbov > LEVEL_UNKNOWN)
		fprintf(f, "%.1f", fg->level_dbov);
	csv_num(f, fg->audio_loss >= 0 ? 100 * fg->audio_loss : -1);
	csv_num(f, fg->audio_jitter_ms);
	csv_num(f, fg->rtt_ms);
	fputc(',', f);
	mcu_csv_field(f, p->who.tech_name);
	fputc(',', f);
	mcu_csv_field(f, p->who.tech_phone);
	fputs("\r\n", f);
}

int mcu_readiness_csv(struct mcu_readiness *r, const char *meeting, bool en,
                      char **text, size_t *len)
{
	static const char vi_head[] =
	    "Mã điểm cầu,Tên điểm cầu,Vai trò,Kết quả,Lý do,"
	    "Khung hình/giây,Độ phân giải,Gói video/giây,"
	    "Mất gói video (%),Jitter video (ms),Gói âm thanh/giây,"
	    "Mức âm thanh (dBov),Mất gói âm thanh (%),Jitter âm thanh (ms),"
	    "RTT (ms),Kỹ thuật viên,Điện thoại\r\n";
	static const char en_head[] =
	    "endpoint,name,role,verdict,reasons,fps,resolution,video_pps,"
	    "video_loss_pct,video_jitter_ms,audio_pps,level_dbov,"
	    "audio_loss_pct,audio_jitter_ms,rtt_ms,technician,phone\r\n";
	struct report *rep;
	FILE *f;
	int err = 0;

	if (!r || !meeting || !text || !len)
		return EINVAL;
	*text = NULL;
	*len = 0;
	f = open_memstream(text, len);
	if (!f)
		return ENOMEM;
	fputs(en ? en_head : vi_head, f);
	pthread_mutex_lock(&r->lock);
	rep = find_report(r, meeting, NULL);
	if (!rep)
		err = ENOENT;
	for (size_t i = 0; rep && i < rep->n_parts; i++)
		csv_row(f, &rep->parts[i], en);
	pthread_mutex_unlock(&r->lock);
	if (fclose(f) != 0 && !err)
		err = ENOMEM;
	if (err) {
		free(*text);
		*text = NULL;
		*len = 0;
	}
	return err;
}
