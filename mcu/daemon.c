/*
 * The control loop is the only place that changes which configuration is
 * in force and which meetings are under way (style.md point 9: the
 * control loop is the single writer of a meeting's structure). It sleeps
 * in poll() on two descriptors: a signalfd, so signals arrive as ordinary
 * reads in this thread and never interrupt the media threads, and a
 * timerfd on CLOCK_MONOTONIC that fires once a second for the scheduler.
 * Both are absolute and level-triggered: a slow reload never makes a tick
 * drift, it only makes one late.
 */
#define MCU_LOG_MODULE "daemon"
#include "mcu/daemon.h"
#include "mcu/adhoc.h"
#include "mcu/admission.h"
#include "mcu/api.h"
#include "mcu/api_live.h"
#include "mcu/api_roster.h"
#include "mcu/engine.h"
#include "mcu/logbook.h"
#include "mcu/metrics.h"
#include "mcu/overrides.h"
#include "mcu/privdrop.h"
#include "mcu/registers.h"
#include "mcu/sipcalls.h"
#include "mcu/ticker.h"
#include "mcu/watch.h"
#include "mcu/webrtc.h"
#include "transport/sip.h"
#include "mcu/timeline.h"
#include "conf/log.h"

#include <errno.h>
#include <malloc.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <unistd.h>

#define WORKPOOL_CAPACITY 4096

/* An API thread's ad-hoc meeting or reload, handed to the control
   loop. */
struct create_req {
	char *entry;  /* the roster line (mcu/adhoc.h); NULL: a reload */
	int status;   /* HTTP */
	char detail[512];
	bool done;
};

struct mcu_daemon {
	char *config_path;
	char *run_dir;
	char *adhoc_path; /* <run-dir>/adhoc.yaml */

	/* The operators' ad-hoc meetings appended to the roster; control
	 * loop only. */
	char *adhoc;
	size_t adhoc_len;
	pthread_mutex_t create_lock;
	pthread_cond_t create_done;
	struct create_req *pending; /* create_lock */

	pthread_mutex_t snap_lock;
	struct mcu_snapshot *snap; /* snap_lock */

	struct mcu_workpool *pool;
	struct mcu_engine *engine;
	struct mcu_metrics *metrics;
	struct mcu_api_roster *roster;
	struct mcu_api_live *live;
	struct mcu_api *api;
	struct mcu_logbook *logbook; /* NULL when it cannot be opened */
	struct mcu_sip *sip;         /* the SIP thread */
	struct mcu_sip_limit *sip_limit; /* outlives sip, api and metrics */
	struct mcu_privdrop priv;        /* --user/--group, resolved */
	struct mcu_sipcalls *calls;  /* dial-in into running meetings */
	struct mcu_room_probes probes; /* references to /metrics series */
	struct mcu_watch *watch;     /* join/leave/floor/incident events */
	struct mcu_webrtc *webrtc;   /* WHIP browsers; NULL if it failed */

	/* Operators' changes to the roster times (start early, stop,
	 * extend), by meeting id, kept in <run-dir>/overrides.json; read
	 * by API threads too (its own lock). */
	struct mcu_overrides *ovr;

	int sig_fd;
	int timer_fd;
	int wake_fd; /* eventfd: mcu_daemon_stop() from any thread */
	atomic_bool stopping;

	/* Meeting states as last seen by the tick; control loop only. */
	enum mcu_meeting_state *states;
	size_t n_states;
	unsigned long generation;
	bool trimmed; /* control loop: trim_heap() ran since the last room */
};

int mcu_daemon_block_signals(void)
{
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGPIPE);
	return pthread_sigmask(SIG_BLOCK, &set, NULL);
}

static void log_report(const struct mcu_conf_report *r)
{
	for (size_t i = 0; i < r->n_findings; i++) {
		const struct mcu_conf_finding *f = &r->findings[i];
		bool err = f->severity == MCU_CONF_ERROR;
		mcu_log(err ? MCU_LOG_ERROR : MCU_LOG_WARN, "%s:%d:%d: %s: %s",
		        r->file, f->pos.line, f->pos.column,
		        err ? "error" : "warning", f->message);
	}
}

/* Load the file into a new snapshot; findings are logged. */
static int load_snapshot(struct mcu_daemon *d, struct mcu_snapshot **snapp)
{
	struct mcu_conf_report report = {0};
	struct mcu_conf *conf = NULL;
	int err = mcu_conf_load_extra(d->config_path, d->adhoc, d->adhoc_len,
	                              &conf, &report);

	log_report(&report);
	if (err) {
		mcu_log_error("%s: %s (%zu errors, %zu warnings)",
		              d->config_path,
		              report.unreadable ? "cannot be read"
		                                : "configuration refused",
		              report.n_errors, report.n_warnings);
		mcu_conf_report_clear(&report);
		return err;
	}
	mcu_conf_report_clear(&report);
	err = mcu_snapshot_alloc(snapp, conf, d->generation + 1);
	if (err) {
		mcu_conf_free(conf);
		return err;
	}
	d->generation++;
	return 0;
}

struct mcu_snapshot *mcu_daemon_snapshot(struct mcu_daemon *d)
{
	struct mcu_snapshot *s;
	pthread_mutex_lock(&d->snap_lock);
	s = mcu_snapshot_get(d->snap);
	pthread_mutex_unlock(&d->snap_lock);
	return s;
}

/* Meeting states follow the roster by id across reloads. */
static int rebuild_states(struct mcu_daemon *d, const struct mcu_conf *old,
                          const struct mcu_conf *neu)
{
	enum mcu_meeting_state *st = calloc(neu->n_meetings + 1, sizeof(*st));
	if (!st)
		return ENOMEM;
	for (size_t i = 0; i < neu->n_meetings; i++) {
		long j = old ? mcu_conf_meeting_index(old, neu->meetings[i].id)
		             : -1;
		st[i] = j >= 0 && (size_t)j < d->n_states
		                ? d->states[j]
		                : MCU_MEETING_SCHEDULED;
	}
	free(d->states);
	d->states = st;
	d->n_states = neu->n_meetings;
	return 0;
}

static void describe_reload(const struct mcu_conf *old,
                            const struct mcu_conf *neu)
{
	size_t added = 0, removed = 0;
	for (size_t i = 0; i < neu->n_meetings; i++)
		added += mcu_conf_meeting_index(old, neu->meetings[i].id) < 0;
	for (size_t i = 0; i < old->n_meetings; i++)
		removed += mcu_conf_meeting_index(neu, old->meetings[i].id) < 0;
	mcu_log_info("reloaded: %zu endpoints (was %zu), %zu meetings "
	             "(%zu added, %zu removed)",
	             neu->n_endpoints, old->n_endpoints, neu->n_meetings,
	             added, removed);
}

static bool same_members(const struct mcu_conf *a,
                         const struct mcu_conf_meeting *ma,
                         const struct mcu_conf *b,
                         const struct mcu_conf_meeting *mb)
{
	if (ma->n_branches != mb->n_branches ||
	    strcmp(a->endpoints[ma->host_index].id,
	           b->endpoints[mb->host_index].id))
		return false;
	for (size_t i = 0; i < ma->n_branches; i++)
		if (strcmp(a->endpoints[ma->branches[i]].id,
		           b->endpoints[mb->branches[i]].id))
			return false;
	return true;
}

/* Names of the slots in `slots` for a log line. */
static void slot_names(struct mcu_room *room, const long *slots, size_t n,
                       char *buf, size_t len)
{
	size_t off = 0;
	buf[0] = '\0';
	for (size_t i = 0; i < n && i < MCU_ROOM_CHANGE_MAX; i++) {
		int w = snprintf(buf + off, len - off, "%s%s", i ? ", " : "",
		                 mcu_room_slot_endpoint(room, slots[i]));
		if (w < 0 || (size_t)w >= len - off)
			break;
		off += (size_t)w;
	}
}

/* Running meetings whose branches changed take the change now: the room
   adds and removes participants, the SIP side calls the new ones. */
static void apply_live_changes(struct mcu_daemon *d, const struct mcu_conf *old,
                               struct mcu_snapshot *neu)
{
	for (size_t i = 0; i < neu->conf->n_meetings; i++) {
		const struct mcu_conf_meeting *m = &neu->conf->meetings[i];
		long j = mcu_conf_meeting_index(old, m->id);
		struct mcu_room_change ch;
		char added[512], removed[512];
		if (j < 0 || same_members(old, &old->meetings[j], neu->conf, m))
			continue;
		struct mcu_room *room = mcu_engine_acquire(d->engine, m->id);
		if (!room)
			continue;
		int err = mcu_room_update(room, neu, i, &ch);
		if (!err) {
			slot_names(room, ch.added, ch.n_added, added,
			           sizeof(added));
			slot_names(room, ch.removed, ch.n_removed, removed,
			           sizeof(removed));
		}
		mcu_engine_release(d->engine, room);
		if (err == EBUSY) {
			mcu_log_warn("meeting %s: its host changed: that applies "
			             "at its next start", m->id);
		} else if (err) {
			mcu_log_error("meeting %s: the new branches cannot be "
			              "applied while it runs: %s", m->id,
			              strerror(err));
		} else {
			mcu_log_info("meeting %s (running): %zu branches added "
			             "[%s], %zu removed [%s]", m->id, ch.n_added,
			             added, ch.n_removed, removed);
			if (d->calls)
				mcu_sipcalls_room_updated(d->calls, m->id);
		}
	}
}

int mcu_daemon_reload(struct mcu_daemon *d)
{
	struct mcu_snapshot *neu = NULL, *old;
	const char *frozen;
	int err;

	mcu_log_info("reloading %s", d->config_path);
	old = mcu_daemon_snapshot(d);
	err = load_snapshot(d, &neu);
	if (err) {
		/* The loader may have switched the process time zone. */
		mcu_conf_apply_timezone(old->conf->timezone);
		mcu_snapshot_put(old);
		mcu_log_error("reload refused: the running configuration stays");
		return EINVAL;
	}
	if (!mcu_conf_reload_allowed(old->conf, neu->conf, &frozen)) {
		mcu_conf_apply_timezone(old->conf->timezone);
		mcu_log_error("reload refused: %s cannot change while running "
		              "(restart mcud); the running configuration stays",
		              frozen);
		mcu_snapshot_put(neu);
		mcu_snapshot_put(old);
		return EINVAL;
	}
	err = rebuild_states(d, old->conf, neu->conf);
	if (err) {
		mcu_snapshot_put(neu);
		mcu_snapshot_put(old);
		return err;
	}
	describe_reload(old->conf, neu->conf);
	if (d->api)
		mcu_api_set_token_file(d->api, neu->conf->api_token_file);
	for (size_t i = 0; i < old->conf->n_meetings; i++) {
		const char *id = old->conf->meetings[i].id;
		if (mcu_conf_meeting_index(neu->conf, id) >= 0)
			continue;
		mcu_watch_room_stopped(d->watch, id, time(NULL));
		if (d->calls)
			mcu_sipcalls_room_stopped(d->calls, id);
		if (mcu_engine_stop(d->engine, id) == 0)
			mcu_log_info("meeting %s left the roster: stopped", id);
	}
	pthread_mutex_lock(&d->snap_lock);
	struct mcu_snapshot *prev = d->snap;
	d->snap = neu;
	pthread_mutex_unlock(&d->snap_lock);
	apply_live_changes(d, old->conf, neu);
	mcu_snapshot_put(prev);
	mcu_snapshot_put(old);
	return 0;
}

/* A meeting's state: its roster times with the operators' changes. */
static enum mcu_meeting_state meeting_state(struct mcu_daemon *d,
                                            const struct mcu_conf_meeting *m,
                                            time_t now)
{
	struct mcu_override o;
	bool has = mcu_overrides_get(d->ovr, m->id, &o);
	return mcu_override_state(has ? &o : NULL, m, now);
}

static bool api_override(void *arg, const char *id, struct mcu_override *out)
{
	struct mcu_daemon *d = arg;
	return mcu_overrides_get(d->ovr, id, out);
}

static enum mcu_meeting_state api_state(void *arg, const struct mcu_conf *conf,
                                        size_t index, time_t now)
{
	return meeting_state(arg, &conf->meetings[index], now);
}

static void wake(struct mcu_daemon *d)
{
	uint64_t one = 1;
	if (write(d->wake_fd, &one, sizeof(one)) < 0)
		mcu_log_debug("wake: %s", strerror(errno));
}

/* API: start early (or again after a stop), stop, extend (any thread);
   mcu_api_roster_check() has judged the state. */
static int api_meeting_ctl(void *arg, const struct mcu_api_action *a,
                           char *detail, size_t len)
{
	struct mcu_daemon *d = arg;
	enum mcu_override_verb v = MCU_OVERRIDE_EXTEND;
	int err;
	if (a->verb == MCU_API_START)
		v = MCU_OVERRIDE_START;
	else if (a->verb == MCU_API_STOP)
		v = MCU_OVERRIDE_STOP;
	err = mcu_overrides_apply(d->ovr, a->meeting, v, a->minutes,
	                          time(NULL));
	if (err == ERANGE) {
		snprintf(detail, len, "a meeting is extended by %u minutes at "
		         "most", MCU_OVERRIDES_MAX_EXTEND);
		return 409;
	}
	if (err) {
		snprintf(detail, len, "%s", strerror(err));
		return err == EINVAL ? 400 : 500;
	}
	if (v == MCU_OVERRIDE_START)
		snprintf(detail, len, "starting");
	else if (v == MCU_OVERRIDE_STOP)
		snprintf(detail, len, "stopping");
	else
		snprintf(detail, len, "extended by %u minutes", a->minutes);
	mcu_log_info("operator: meeting %s: %s", a->meeting,
	             mcu_api_verb_name(a->verb));
	wake(d);
	return 200;
}

static struct mcu_snapshot *api_snapshot(void *arg)
{
	return mcu_daemon_snapshot(arg);
}

/* Reload stays on the control loop: SIGHUP arrives on its signalfd. */
static int api_call_ctl(void *arg, const char *meeting, const char *endpoint,
                       bool dial, char *detail, size_t len)
{
	struct mcu_daemon *d = arg;
	if (!d->calls) {
		snprintf(detail, len, "SIP is not running");
		return 503;
	}
	return mcu_sipcalls_operator(d->calls, meeting, endpoint, dial, detail,
	                             len);
}

static const char *api_dial_state(void *arg, const char *meeting,
                                  const char *endpoint, unsigned *attempts,
                                  int *last_status)
{
	struct mcu_daemon *d = arg;
	return d->calls ? mcu_sipcalls_dial_state(d->calls, meeting, endpoint,
	                                          attempts, last_status)
	                : "";
}

/* Give `req` to the control loop and wait for its answer; EBUSY when
   another request is pending. */
static int hand_over(struct mcu_daemon *d, struct create_req *req)
{
	pthread_mutex_lock(&d->create_lock);
	if (d->pending) {
		pthread_mutex_unlock(&d->create_lock);
		return EBUSY;
	}
	d->pending = req;
	wake(d);
	struct timespec until;
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += 10;
	while (!req->done && d->pending == req &&
	       pthread_cond_timedwait(&d->create_done, &d->create_lock,
	                              &until) == 0)
		;
	if (d->pending == req) { /* the control loop never took it */
		d->pending = NULL;
		req->status = 503;
		snprintf(req->detail, sizeof(req->detail), "mcud is busy");
		req->done = true;
	}
	while (!req->done)
		pthread_cond_wait(&d->create_done, &d->create_lock);
	pthread_mutex_unlock(&d->create_lock);
	return 0;
}

/* API: an ad-hoc meeting; the control loop adds it (any thread). */
static int api_create(void *arg, const json_t *body, json_t **result,
                      char *detail, size_t len)
{
	struct mcu_daemon *d = arg;
	struct create_req req = {0};
	struct mcu_snapshot *snap = mcu_daemon_snapshot(d);
	json_t *summary = NULL;
	int st = mcu_adhoc_entry(body, snap->conf, time(NULL), &req.entry,
	                         &summary, detail, len);
	mcu_snapshot_put(snap);
	if (st)
		return st;
	if (hand_over(d, &req)) {
		free(req.entry);
		json_decref(summary);
		snprintf(detail, len, "another change of the roster is in "
		         "progress");
		return 503;
	}
	free(req.entry);
	snprintf(detail, len, "%s", req.detail);
	if (req.status == 201)
		*result = summary;
	else
		json_decref(summary);
	return req.status;
}

/* Control loop: add a pending ad-hoc meeting to the roster and reload. */
static void process_create(struct mcu_daemon *d)
{
	struct mcu_conf_report report = {0};
	struct mcu_conf *conf = NULL;
	struct create_req *req;
	char *text, *old = d->adhoc;
	size_t len, old_len = d->adhoc_len;
	int status = 201, err;

	pthread_mutex_lock(&d->create_lock);
	req = d->pending;
	d->pending = NULL;
	pthread_mutex_unlock(&d->create_lock);
	if (!req)
		return;
	if (!req->entry) { /* POST /api/v1/reload */
		err = mcu_daemon_reload(d);
		status = err == 0 ? 200 : err == EINVAL ? 409 : 500;
		snprintf(req->detail, sizeof(req->detail), "%s",
		         err == 0 ? "reloaded"
		         : err == EINVAL
		                 ? "configuration refused: the running one "
		                   "stays (see the log)"
		                 : strerror(err));
		goto done;
	}
	/* Entries that ended a week ago are dropped on the way. */
	text = mcu_adhoc_prune(d->adhoc ? d->adhoc : "", d->adhoc_len,
	                       time(NULL) - 7 * 86400, &len);
	char *grown = text ? realloc(text, len + strlen(req->entry) + 1) : NULL;
	if (!grown) {
		free(text);
		status = 500;
		snprintf(req->detail, sizeof(req->detail), "out of memory");
		goto done;
	}
	text = grown;
	memcpy(text + len, req->entry, strlen(req->entry) + 1);
	len += strlen(req->entry);
	err = mcu_conf_load_extra(d->config_path, text, len, &conf, &report);
	if (err) {
		status = report.unreadable && report.n_findings &&
		                 report.findings[0].pos.line <
		                         MCU_CONF_EXTRA_LINE
		                 ? 500
		                 : mcu_adhoc_refusal(&report, req->detail,
		                                     sizeof(req->detail));
		if (status == 500)
			snprintf(req->detail, sizeof(req->detail),
			         "the roster file cannot be read");
		free(text);
		goto done;
	}
	mcu_conf_free(conf);
	d->adhoc = text;
	d->adhoc_len = len;
	if (mcu_daemon_reload(d) != 0) {
		d->adhoc = old;
		d->adhoc_len = old_len;
		free(text);
		status = 500;
		snprintf(req->detail, sizeof(req->detail),
		         "the roster cannot be reloaded (see the log)");
		goto done;
	}
	free(old);
	err = mcu_adhoc_save(d->adhoc_path, d->adhoc, d->adhoc_len);
	if (err)
		mcu_log_warn("%s: %s: the ad-hoc meeting is not kept across "
		             "a restart", d->adhoc_path, strerror(err));
	mcu_log_info("ad-hoc meeting added: %.*s", (int)strcspn(req->entry,
	                                                         "\n"),
	             req->entry);
	snprintf(req->detail, sizeof(req->detail), "created");
done:
	mcu_conf_report_clear(&report);
	pthread_mutex_lock(&d->create_lock);
	req->status = status;
	req->done = true;
	pthread_cond_broadcast(&d->create_done);
	pthread_mutex_unlock(&d->create_lock);
}

/* API: reload now, on the control loop; 0, EINVAL (refused) or EBUSY. */
static int api_reload(void *arg)
{
	struct mcu_daemon *d = arg;
	struct create_req req = {0};
	if (hand_over(d, &req))
		return EBUSY;
	return req.status == 200 ? 0 : req.status == 409 ? EINVAL : EIO;
}

static int api_logbook(void *arg, const char *from, const char *to,
                       const char *format, struct mcu_api_blob *out,
                       char *detail, size_t len)
{
	struct mcu_daemon *d = arg;
	struct mcu_registers_query q = {.from = from, .to = to,
	                                .format = format};
	struct mcu_registers_doc doc = {0};
	int err;
	if (!d->logbook) {
		snprintf(detail, len, "the logbook is not open");
		return 503;
	}
	err = mcu_registers_logbook_export(d->logbook, &q, &doc);
	if (err) {
		snprintf(detail, len, "%s",
		         doc.error ? doc.error : strerror(err));
		mcu_registers_doc_clear(&doc);
		return err == EINVAL ? 400 : 500;
	}
	out->data = (uint8_t *)doc.data;
	out->len = doc.len;
	out->content_type = doc.content_type;
	return 200;
}

static void publish_state(struct mcu_daemon *d, const char *id,
                          enum mcu_meeting_state from,
                          enum mcu_meeting_state to)
{
	if (d->api)
		mcu_api_publish(d->api, "state",
		                json_pack("{s:s,s:s,s:s}", "meeting", id, "from",
		                          mcu_timeline_state_name(from), "to",
		                          mcu_timeline_state_name(to)));
}

/* A recording file started: into the meeting's logbook row. */
static void api_recorded(void *arg, const char *meeting, const char *path)
{
	struct mcu_daemon *d = arg;
	if (d->logbook)
		mcu_logbook_recording_linked(d->logbook, meeting, path,
		                             time(NULL));
}

/* A meeting with record: true records from its start to its end (not
   in its test run); the file closes with the room. */
static void record_live(struct mcu_daemon *d, const struct mcu_conf *conf,
                        const struct mcu_conf_meeting *m)
{
	struct mcu_room *room = mcu_engine_room(d->engine, m->id);
	char *path = NULL;
	if (room && mcu_room_record(room, true, conf->recordings, &path) == 0)
		api_recorded(d, m->id, path);
	free(path);
}

static void log_transition(struct mcu_daemon *d, const struct mcu_conf *conf,
                           size_t i, enum mcu_meeting_state from,
                           enum mcu_meeting_state to, time_t now)
{
	const struct mcu_conf_meeting *m = &conf->meetings[i];
	if (!d->logbook)
		return;
	if (to == MCU_MEETING_LIVE)
		mcu_logbook_meeting_started_conf(d->logbook, conf, i, now);
	else if (from == MCU_MEETING_LIVE)
		mcu_logbook_meeting_ended(d->logbook, m->id, now);
}

/* The scheduler tick: move each meeting to the state its times give. */
static void tick(struct mcu_daemon *d)
{
	struct mcu_snapshot *snap = mcu_daemon_snapshot(d);
	const struct mcu_conf *conf = snap->conf;
	time_t now = time(NULL);

	for (size_t i = 0; i < conf->n_meetings && i < d->n_states; i++) {
		const struct mcu_conf_meeting *m = &conf->meetings[i];
		enum mcu_meeting_state st = meeting_state(d, m, now);
		if (st == d->states[i])
			continue;
		/* Live and test-run meetings have their media running. */
		bool want = st == MCU_MEETING_LIVE ||
		            st == MCU_MEETING_TEST_RUN;
		bool running = mcu_engine_room(d->engine, m->id) != NULL;
		/* the watch's last sample (joins of the last second) and
		   everyone's leave go to the logbook before the meeting's end */
		if (!want && running)
			mcu_watch_room_stopped(d->watch, m->id, now);
		publish_state(d, m->id, d->states[i], st);
		log_transition(d, conf, i, d->states[i], st, now);
		mcu_log_info("meeting %s: %s -> %s (host %s, %zu branches)",
		             m->id, mcu_timeline_state_name(d->states[i]),
		             mcu_timeline_state_name(st),
		             conf->endpoints[m->host_index].id, m->n_branches);
		d->states[i] = st;
		if (want && !running) {
			if (mcu_engine_start(d->engine, snap, i) == 0 &&
			    d->calls)
				mcu_sipcalls_room_started(d->calls, m->id);
		} else if (!want && running) {
			if (d->calls)
				mcu_sipcalls_room_stopped(d->calls, m->id);
			mcu_engine_stop(d->engine, m->id);
		}
		if (st == MCU_MEETING_LIVE && m->record)
			record_live(d, conf, m);
	}
	mcu_watch_sample(d->watch, mcu_netio_now_us(), now);
	mcu_snapshot_put(snap);
}

static int open_fds(struct mcu_daemon *d)
{
	sigset_t set;
	struct itimerspec its = {
		.it_interval = {1, 0},
		.it_value = {1, 0},
	};

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	d->sig_fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	d->timer_fd = timerfd_create(CLOCK_MONOTONIC,
	                             TFD_NONBLOCK | TFD_CLOEXEC);
	d->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (d->sig_fd < 0 || d->timer_fd < 0 || d->wake_fd < 0)
		return errno;
	if (timerfd_settime(d->timer_fd, 0, &its, NULL) != 0)
		return errno;
	return 0;
}

static int make_run_dir(const char *dir)
{
	if (mkdir(dir, 0755) == 0 || errno == EEXIST)
		return 0;
	mcu_log_error("cannot create run directory %s: %s", dir,
	              strerror(errno));
	return errno;
}

/* The ticks' histograms of /metrics (mcu_tick_lateness_seconds and
   mcu_stage_seconds{stage}); the daemon keeps the series. */
static void set_probes(struct mcu_daemon *d)
{
	struct mcu_metric_family *late, *stage;
	struct mcu_room_probes p = {0};
	static const char *const names[] = {"decode", "compose", "encode",
	                                    "mix"};
	struct mcu_metric **slot[] = {&p.decode, &p.compose, &p.encode,
	                              &p.mix};
	if (!d->metrics)
		return;
	late = mcu_metrics_find(d->metrics, MCU_M_TICK_LATENESS);
	stage = mcu_metrics_find(d->metrics, MCU_M_STAGE);
	if (!late || !stage)
		return;
	static const char *const kinds[] = {"video", "audio"};
	p.lateness_video = mcu_metric_get(late, &kinds[0], 1);
	p.lateness_audio = mcu_metric_get(late, &kinds[1], 1);
	for (size_t i = 0; i < 4; i++)
		*slot[i] = mcu_metric_get(stage, &names[i], 1);
	struct mcu_metric_family *lat =
	    mcu_metrics_find(d->metrics, MCU_M_MEDIA_LATENCY);
	if (lat) {
		p.latency_video = mcu_metric_get(lat, &kinds[0], 1);
		p.latency_audio = mcu_metric_get(lat, &kinds[1], 1);
		static const char *const dec = "video_decode";
		p.latency_decode = mcu_metric_get(lat, &dec, 1);
	}
	d->probes = p;
	mcu_engine_set_probes(d->engine, &d->probes);
}

static int start_api(struct mcu_daemon *d)
{
	const struct mcu_conf *c = d->snap->conf;
	struct mcu_api_roster_opts ro = {
		.arg = d,
		.snapshot = api_snapshot,
		.reload = api_reload,
		.state = api_state,
		.override = api_override,
	};
	struct mcu_api_live_opts lo = {
		.engine = d->engine,
		.meeting_ctl = api_meeting_ctl,
		.call_ctl = api_call_ctl,
		.create = api_create,
		.dial_state = api_dial_state,
		.logbook = api_logbook,
		.recorded = api_recorded,
		.arg = d,
	};
	struct mcu_api_backend backend;
	int err = mcu_metrics_alloc(&d->metrics);
	if (!err)
		err = mcu_api_roster_alloc(&d->roster, &ro);
	if (!err) {
		lo.roster = d->roster;
		lo.metrics = d->metrics;
		err = mcu_api_live_alloc(&d->live, &lo);
	}
	if (err)
		return err;
	backend = mcu_api_live_backend(d->live);
	struct mcu_api_opts ao = {
		.listen = (const struct sockaddr *)&c->api_listen.addr,
		.listen_len = c->api_listen.addr_len,
		.token_file = c->api_token_file,
		.backend = backend,
		.metrics = d->metrics,
	};
	err = mcu_api_alloc(&d->api, &ao);
	if (err)
		mcu_log_error("cannot start the operator API on %s:%u: %s",
		              c->api_listen.host, c->api_listen.port,
		              strerror(err));
	else
		mcu_log_info("operator API on http://%s:%u/ (%s)",
		             c->api_listen.host, mcu_api_port(d->api),
		             c->api_token_file ? "token for writes"
		                               : "read-only: no token file");
	return err;
}

/* SIP thread: an endpoint's new call replaced its old one (it rebooted
   and dialled in again). The participant never stopped being connected,
   so the watch sees no change: the logbook gets a join, which ends the
   old attendance with reason `rejoined` (docs/logbook.md), and the event
   stream a join marked "replaced". Both only queue. */
static void call_replaced(void *arg, const char *meeting,
                          const char *endpoint)
{
	struct mcu_daemon *d = arg;
	struct mcu_snapshot *snap = mcu_daemon_snapshot(d);
	long m = mcu_conf_meeting_index(snap->conf, meeting);
	long e = mcu_conf_endpoint_index(snap->conf, endpoint);
	bool host = m >= 0 && e >= 0 &&
	            snap->conf->meetings[m].host_index == (size_t)e;
	if (d->logbook)
		mcu_logbook_joined(d->logbook, meeting, endpoint,
		                   host ? MCU_LOGBOOK_HOST : MCU_LOGBOOK_BRANCH,
		                   time(NULL));
	if (d->api)
		mcu_api_publish(d->api, "join",
		                json_pack("{s:s,s:s,s:s,s:b}", "meeting", meeting,
		                          "endpoint", endpoint, "role",
		                          host ? "host" : "branch", "replaced",
		                          1));
	mcu_snapshot_put(snap);
}

/*
 * The SIP thread of design.md: the stack listens on mcu.sip.listen;
 * calls into running meetings are admitted by mcu/sipcalls.c
 * (docs/joining.md).
 */
/* SIP thread: the rate-limit class of a request's source address. */
static bool sip_source_known(const char *addr, void *arg)
{
	struct mcu_snapshot *snap = mcu_daemon_snapshot(arg);
	bool known = mcu_admission_source_known(snap->conf, addr);
	mcu_snapshot_put(snap);
	return known;
}

/* /metrics render: the SIP rate limit's refusals. */
static void collect_sip_limit(void *arg)
{
	struct mcu_daemon *d = arg;
	struct mcu_metric_family *f =
		mcu_metrics_find(d->metrics, MCU_M_SIP_REQUESTS_LIMITED);
	struct mcu_sip_limit_stats st;
	const char *cls[2][1] = {{"unknown"}, {"allowed"}};

	mcu_sip_limit_stats(d->sip_limit, &st);
	for (int i = 0; f && i < 2; i++) {
		struct mcu_metric *m = mcu_metric_get(f, cls[i], 1);
		double v = (double)(i ? st.limited_allowed : st.limited_unknown);
		if (m && v > mcu_metric_value(m))
			mcu_metric_add(m, v - mcu_metric_value(m));
		mcu_metric_put(m);
	}
}

static void register_sip_limit_metric(struct mcu_daemon *d)
{
	static const char *const cls[] = {"class", NULL};
	if (!d->metrics ||
	    mcu_metrics_register(d->metrics, MCU_METRIC_COUNTER,
	                         MCU_M_SIP_REQUESTS_LIMITED,
	                         "Out-of-dialog SIP requests refused unprocessed "
	                         "by the per-source rate limit (class: the "
	                         "source is in some allow list or unknown).",
	                         cls, NULL, 0, NULL) ||
	    mcu_metrics_on_collect(d->metrics, collect_sip_limit, d))
		mcu_log_warn("no %s in /metrics", MCU_M_SIP_REQUESTS_LIMITED);
}

static int start_sip(struct mcu_daemon *d)
{
	const struct mcu_conf *c = d->snap->conf;
	struct mcu_sipcalls_opts so = {
		.engine = d->engine,
		.arg = d,
		.snapshot = api_snapshot,
		.state = api_state,
		.replaced = call_replaced,
	};
	struct mcu_sip_listen *l;
	struct mcu_sip_handlers h;
	int err = mcu_sipcalls_alloc(&d->calls, &so);
	if (err)
		return err;
	h = mcu_sipcalls_handlers(d->calls);
	l = calloc(c->n_sip_listen + 1, sizeof(*l));
	if (!l)
		return ENOMEM;
	for (size_t i = 0; i < c->n_sip_listen; i++) {
		l[i].proto = c->sip_listen[i].proto;
		l[i].host = c->sip_listen[i].addr.host;
		l[i].port = c->sip_listen[i].addr.port;
	}
	/* Without mcu.sip.domain the MCU is known by its first address. */
	char host[256] = "localhost";
	if (c->sip_domain)
		snprintf(host, sizeof(host), "%s", c->sip_domain);
	else if (c->n_sip_listen && strcmp(l[0].host, "0.0.0.0") &&
	         strcmp(l[0].host, "::"))
		snprintf(host, sizeof(host), "%s", l[0].host);
	else
		gethostname(host, sizeof(host) - 1);
	struct mcu_sip_limit_conf rl = {
		.rate = c->sip_rate_limit.rate,
		.burst = c->sip_rate_limit.burst,
		.allowed_rate = c->sip_rate_limit.allowed_rate,
		.allowed_burst = c->sip_rate_limit.allowed_burst,
	};
	if ((rl.rate || rl.allowed_rate) &&
	    (err = mcu_sip_limit_alloc(&d->sip_limit, &rl)) != 0) {
		free(l);
		return err;
	}
	h.source_known = sip_source_known;
	h.source_arg = d;
	struct mcu_sip_config cfg = {
		.listen = l,
		.n_listen = c->n_sip_listen,
		.domain = host,
		.tls_certificate = c->tls_certificate,
		.tls_key = c->tls_key,
		.tls_ca_file = c->tls_ca_file,
		.tls_verify_server = c->tls_verify_server,
		.tls_verify_client = c->tls_verify_client,
		.rate_limit = d->sip_limit,
	};
	/* The endpoints' tls_subject: the client certificates the TLS
	   handshake accepts (read at start only). */
	const char **subj = calloc(c->n_endpoints + 1, sizeof(*subj));
	if (!subj) {
		free(l);
		return ENOMEM;
	}
	for (size_t i = 0; i < c->n_endpoints; i++)
		if (c->endpoints[i].tls_subject)
			subj[cfg.n_tls_client_subjects++] =
				c->endpoints[i].tls_subject;
	cfg.tls_client_subjects = subj;
	err = mcu_sip_alloc(&d->sip, &cfg, &h);
	free(subj);
	if (!err)
		err = mcu_sipcalls_set_sip(d->calls, d->sip);
	if (err)
		mcu_log_error("cannot start SIP on mcu.sip.listen: %s",
		              strerror(err));
	else
		for (size_t i = 0; i < c->n_sip_listen; i++)
			mcu_log_info("SIP listens on %s %s:%u",
			             l[i].proto == MCU_SIP_UDP   ? "udp"
			             : l[i].proto == MCU_SIP_TCP ? "tcp"
			                                         : "tls",
			             l[i].host, l[i].port);
	free(l);
	return err;
}

static void open_logbook(struct mcu_daemon *d)
{
	const char *path = d->snap->conf->logbook;
	if (!path)
		return;
	if (mcu_logbook_open(&d->logbook, path, NULL)) {
		mcu_log_warn("logbook %s cannot be opened: meetings are not "
		             "recorded", path);
		d->logbook = NULL;
		return;
	}
	int n = mcu_logbook_recover(d->logbook, time(NULL));
	if (n > 0)
		mcu_log_warn("logbook: %d meetings were left open by a "
		             "previous run; closed with an incident", n);
}

/* The operators' changes of the last run, against the roster in force. */
static int load_overrides(struct mcu_daemon *d)
{
	char *path = NULL;
	size_t kept = 0;
	int err;
	if (asprintf(&path, "%s/overrides.json", d->run_dir) < 0)
		return ENOMEM;
	err = mcu_overrides_alloc(&d->ovr, path);
	free(path);
	if (err)
		return err;
	err = mcu_overrides_load(d->ovr, d->snap->conf, time(NULL), &kept);
	if (err)
		mcu_log_warn("%s/overrides.json: %s: the operators' changes of "
		             "the last run are not loaded", d->run_dir,
		             strerror(err));
	else if (kept)
		mcu_log_info("%zu meetings keep the operators' changes (start, "
		             "stop, extend) of the last run", kept);
	return 0;
}

/*
 * glibc keeps the memory freed by legs that left (decoder contexts and
 * their frame pools, jitter buffers) in its arenas for reuse: a day of
 * joins and leaves grows the resident size although the memory in use
 * does not (docs/reliability.md, "Soak": 469 MiB resident, 14 MiB in use
 * after everyone left). malloc_trim hands it back, but it takes each
 * arena's lock in turn and took 15-130 ms on a soak's heap, stalling the
 * audio tick (200 ms gaps), so it runs only while no meeting's media runs.
 */
#define MCU_TRIM_LOG_KIB   (1024)

static long rss_kib(void)
{
	long size = 0, resident = 0;
	FILE *f = fopen("/proc/self/statm", "r");
	if (!f)
		return 0;
	if (fscanf(f, "%ld %ld", &size, &resident) != 2)
		resident = 0;
	fclose(f);
	return resident * (sysconf(_SC_PAGESIZE) / 1024);
}

static void trim_heap(struct mcu_daemon *d)
{
	int64_t t0, took;
	long before, after;

	if (mcu_engine_rooms(d->engine) > 0) {
		d->trimmed = false;
		return;
	}
	if (d->trimmed)
		return;
	d->trimmed = true;
	t0 = mcu_now_ns();
	before = rss_kib();
	malloc_trim(0);
	took = mcu_now_ns() - t0;
	after = rss_kib();
	if (before - after >= MCU_TRIM_LOG_KIB)
		mcu_log_info("memory: no meeting running, %.1f MiB of freed "
		             "heap returned to the system in %.1f ms (resident "
		             "%.1f -> %.1f MiB)",
		             (double)(before - after) / 1024, (double)took / 1e6,
		             (double)before / 1024, (double)after / 1024);
}

int mcu_daemon_alloc(struct mcu_daemon **daemonp,
                     const struct mcu_daemon_opts *opts)
{
	struct mcu_daemon *d;
	int err;

	if (!daemonp || !opts || !opts->config_path)
		return EINVAL;
	d = calloc(1, sizeof(*d));
	if (!d)
		return ENOMEM;
	d->sig_fd = d->timer_fd = d->wake_fd = -1;
	pthread_mutex_init(&d->snap_lock, NULL);
	pthread_mutex_init(&d->create_lock, NULL);
	pthread_cond_init(&d->create_done, NULL);
	d->config_path = strdup(opts->config_path);
	d->run_dir = strdup(opts->run_dir ? opts->run_dir : "run");
	if (!d->config_path || !d->run_dir ||
	    asprintf(&d->adhoc_path, "%s/adhoc.yaml", d->run_dir) < 0) {
		d->adhoc_path = NULL;
		err = ENOMEM;
		goto out;
	}
	err = mcu_adhoc_load(d->adhoc_path, &d->adhoc, &d->adhoc_len);
	if (err)
		mcu_log_warn("%s: %s: ad-hoc meetings of the last run are "
		             "not loaded", d->adhoc_path, strerror(err));
	err = load_snapshot(d, &d->snap);
	if (err && d->adhoc_len) {
		/* The roster changed under them: start without them. */
		mcu_log_error("%s: the ad-hoc meetings of the last run clash "
		              "with the roster; started without them",
		              d->adhoc_path);
		free(d->adhoc);
		d->adhoc = NULL;
		d->adhoc_len = 0;
		err = load_snapshot(d, &d->snap);
	}
	if (err)
		goto out;
	err = mcu_conf_apply_timezone(d->snap->conf->timezone);
	if (err) {
		mcu_log_error("time zone %s is not installed",
		              d->snap->conf->timezone);
		goto out;
	}
	err = load_overrides(d);
	if (!err)
		err = rebuild_states(d, NULL, d->snap->conf);
	if (!err) {
		/* --user/--group win over mcu.user/mcu.group; --group alone
		   only changes the configured user's group. */
		const struct mcu_conf *c = d->snap->conf;
		const char *user = opts->user ? opts->user : c->user;
		const char *group = opts->user || opts->group ? opts->group
		                                              : c->group;
		err = mcu_privdrop_resolve(&d->priv, user, group);
		if (err)
			mcu_log_error("%s %s, group %s: %s",
			              opts->user ? "--user" : "mcu.user",
			              user ? user : "-", group ? group : "-",
			              strerror(err));
		else if (!user && geteuid() == 0)
			mcu_log_info("running as root: start with --user or "
			             "set mcu.user (docs/security.md)");
	}
	if (!err)
		err = make_run_dir(d->run_dir);
	if (!err)
		err = open_fds(d);
	if (!err)
		err = mcu_workpool_alloc(&d->pool, opts->workers,
		                         WORKPOOL_CAPACITY);
	if (!err)
		mcu_workpool_set_name(d->pool, "media");
	if (!err) {
		struct mcu_engine_params ep = {
			.pool = d->pool,
			.io_threads = opts->io_threads,
			.rt_priority = (int)opts->rt_priority,
			.run_dir = d->run_dir,
		};
		err = mcu_engine_alloc(&d->engine, &ep);
	}
	/* SIP first: the API's dial/hang-up reach its calls. */
	if (!err)
		err = start_sip(d);
	if (!err)
		err = start_api(d);
	if (!err) {
		set_probes(d);
		register_sip_limit_metric(d);
		/* Every listener is bound: nothing below needs root. */
		err = mcu_privdrop_chown(&d->priv, d->run_dir);
		if (err)
			mcu_log_error("cannot give %s to %s: %s", d->run_dir,
			              d->priv.user, strerror(err));
		else
			err = mcu_privdrop_apply(&d->priv);
	}
	if (err)
		goto out;
	struct mcu_webrtc_opts wro = {.engine = d->engine, .arg = d,
	                              .snapshot = api_snapshot};
	if (mcu_webrtc_alloc(&d->webrtc, &wro) == 0) {
		struct mcu_api_whip whip = mcu_webrtc_api(d->webrtc);
		mcu_api_set_whip(d->api, &whip);
	} else {
		mcu_log_warn("no WebRTC: WHIP answers 503");
	}
	open_logbook(d);
	struct mcu_watch_opts wo = {.engine = d->engine, .api = d->api,
	                            .logbook = d->logbook, .arg = d,
	                            .snapshot = api_snapshot,
	                            .state = api_state};
	if (mcu_watch_alloc(&d->watch, &wo))
		mcu_log_warn("no room watcher: no join, leave, floor or "
		             "incident events");
	mcu_log_info("%s: %zu endpoints, %zu meetings; %u media workers",
	             d->snap->conf->name ? d->snap->conf->name : "mcud",
	             d->snap->conf->n_endpoints, d->snap->conf->n_meetings,
	             mcu_workpool_threads(d->pool));
	*daemonp = d;
	return 0;
out:
	mcu_daemon_free(d);
	return err;
}

void mcu_daemon_stop(struct mcu_daemon *d)
{
	atomic_store(&d->stopping, true);
	wake(d);
}

static void drain(int fd, size_t size)
{
	char buf[sizeof(struct signalfd_siginfo)];
	while (read(fd, buf, size) > 0)
		;
}

/* Handle queued signals; returns true when the daemon must stop. */
static bool handle_signals(struct mcu_daemon *d)
{
	struct signalfd_siginfo si;
	bool stop = false;
	while (read(d->sig_fd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		switch (si.ssi_signo) {
		case SIGHUP:
			mcu_daemon_reload(d);
			break;
		case SIGTERM:
		case SIGINT:
			mcu_log_info("%s: stopping",
			             si.ssi_signo == SIGTERM ? "SIGTERM"
			                                     : "SIGINT");
			stop = true;
			break;
		default:
			break;
		}
	}
	return stop;
}

/* SIGTERM/SIGINT with meetings under way: the logbook gets their end
   now (everyone leaves "meeting-ended", the row is closed, and an
   `mcu-stopped` incident says why), so that the next start does not take
   a clean stop for a crash (docs/logbook.md). Control loop, after it
   stopped; the rooms themselves stop in mcu_daemon_free(). */
static void log_shutdown(struct mcu_daemon *d)
{
	struct mcu_snapshot *snap = mcu_daemon_snapshot(d);
	const struct mcu_conf *conf = snap->conf;
	time_t now = time(NULL);

	/* mcu_watch_room_stopped() takes a last sample of each room: who
	   connected in the last second is in the logbook. */
	for (size_t i = 0; i < conf->n_meetings && i < d->n_states; i++) {
		const char *id = conf->meetings[i].id;
		if (!mcu_engine_room(d->engine, id))
			continue;
		mcu_watch_room_stopped(d->watch, id, now);
		if (!d->logbook || d->states[i] != MCU_MEETING_LIVE)
			continue;
		mcu_logbook_incident_raised(d->logbook, id, NULL,
		                            "mcu-stopped",
		                            "mcud was stopped (SIGTERM/SIGINT) "
		                            "during the meeting",
		                            now);
		mcu_logbook_incident_cleared(d->logbook, id, NULL,
		                             "mcu-stopped", now);
		mcu_logbook_meeting_ended(d->logbook, id, now);
		mcu_log_info("meeting %s: ended in the logbook: mcud stops",
		             id);
	}
	mcu_snapshot_put(snap);
}

int mcu_daemon_run(struct mcu_daemon *d)
{
	struct pollfd pfd[3] = {
		{.fd = d->sig_fd, .events = POLLIN},
		{.fd = d->timer_fd, .events = POLLIN},
		{.fd = d->wake_fd, .events = POLLIN},
	};

	tick(d);
	while (!atomic_load(&d->stopping)) {
		if (poll(pfd, 3, -1) < 0) {
			if (errno == EINTR)
				continue;
			mcu_log_error("poll: %s", strerror(errno));
			return errno;
		}
		if ((pfd[0].revents & POLLIN) && handle_signals(d))
			break;
		if (pfd[1].revents & POLLIN) {
			drain(d->timer_fd, sizeof(uint64_t));
			tick(d);
			trim_heap(d);
		}
		if (pfd[2].revents & POLLIN) {
			/* An operator changed a meeting: act now. */
			drain(d->wake_fd, sizeof(uint64_t));
			process_create(d);
			tick(d);
		}
	}
	mcu_log_info("control loop stopped");
	log_shutdown(d);
	return 0;
}

struct mcu_daemon *mcu_daemon_free(struct mcu_daemon *d)
{
	if (!d)
		return NULL;
	if (d->calls)
		mcu_sipcalls_set_sip(d->calls, NULL); /* no more dialling */
	d->sip = mcu_sip_free(d->sip);
	d->calls = mcu_sipcalls_free(d->calls);
	d->watch = mcu_watch_free(d->watch);
	mcu_api_set_whip(d->api, NULL);
	d->webrtc = mcu_webrtc_free(d->webrtc);
	d->api = mcu_api_free(d->api);
	d->live = mcu_api_live_free(d->live);
	d->roster = mcu_api_roster_free(d->roster);
	d->engine = mcu_engine_free(d->engine);
	mcu_metric_put(d->probes.lateness_video);
	mcu_metric_put(d->probes.lateness_audio);
	mcu_metric_put(d->probes.decode);
	mcu_metric_put(d->probes.compose);
	mcu_metric_put(d->probes.encode);
	mcu_metric_put(d->probes.mix);
	mcu_metric_put(d->probes.latency_video);
	mcu_metric_put(d->probes.latency_audio);
	mcu_metric_put(d->probes.latency_decode);
	d->pool = mcu_workpool_free(d->pool);
	d->logbook = mcu_logbook_close(d->logbook);
	d->metrics = mcu_metrics_free(d->metrics);
	d->sip_limit = mcu_sip_limit_free(d->sip_limit);
	d->ovr = mcu_overrides_free(d->ovr);
	pthread_mutex_destroy(&d->create_lock);
	pthread_cond_destroy(&d->create_done);
	free(d->adhoc);
	free(d->adhoc_path);
	if (d->sig_fd >= 0)
		close(d->sig_fd);
	if (d->timer_fd >= 0)
		close(d->timer_fd);
	if (d->wake_fd >= 0)
		close(d->wake_fd);
	d->snap = mcu_snapshot_put(d->snap);
	pthread_mutex_destroy(&d->snap_lock);
	free(d->states);
	free(d->config_path);
	free(d->run_dir);
	free(d);
	return NULL;
}
