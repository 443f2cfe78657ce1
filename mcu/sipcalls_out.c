/*
 * The dialer thread: it polls each dialling meeting's mcu/dialout for
 * calls to place or cancel, places them (RTP ports reserved for the
 * offer and handed to the answer's leg, so they stay bound throughout),
 * and twice a second looks for dead legs. The SIP thread reports outcomes through
 * the functions below; everything shared sits under sc->lock, and no room
 * is acquired while that lock is held.
 */
#define MCU_LOG_MODULE "dialer"
#include "conf/log.h"
#include "mcu/cascade.h"
#include "mcu/limits.h"
#include "mcu/sipcalls_internal.h"
#include "transport/netio.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#define WATCH_MS 500         /* dead-leg check period */
#define SILENT_MS 2000       /* no media this long: ping */
#define PING_WAIT_MS 2000    /* no answer to the ping this long: dead */
#define MAX_JOBS 32          /* calls placed per round */

struct job {
	enum mcu_dialout_action_kind kind;
	char meeting[128];
	struct mcu_snapshot *snap;
	size_t endpoint, dslot;
	uint32_t token;
	unsigned attempt;
};

struct watch {
	char meeting[128];
	long slot;
	struct mcu_sip_call *call; /* a reference */
};

struct outmeeting *mcu_sipcalls_outmeeting(struct mcu_sipcalls *sc,
                                           const char *meeting)
{
	for (size_t i = 0; i < sc->n_out; i++)
		if (!strcmp(sc->out[i].meeting, meeting))
			return &sc->out[i];
	return NULL;
}

/* A dialout for meeting `index` of snap (lock held); NULL on error. */
static struct outmeeting *add_outmeeting(struct mcu_sipcalls *sc,
                                         struct mcu_snapshot *snap,
                                         size_t index)
{
	struct outmeeting *n = realloc(sc->out, (sc->n_out + 1) * sizeof(*n));
	if (!n)
		return NULL;
	sc->out = n;
	n = &sc->out[sc->n_out];
	memset(n, 0, sizeof(*n));
	if (mcu_dialout_alloc_meeting(&n->d, snap->conf, index, NULL))
		return NULL;
	snprintf(n->meeting, sizeof(n->meeting), "%s",
	         snap->conf->meetings[index].id);
	n->snap = mcu_snapshot_get(snap);
	sc->n_out++;
	return n;
}

static void remove_outmeeting(struct mcu_sipcalls *sc, struct outmeeting *om)
{
	mcu_dialout_free(om->d);
	mcu_snapshot_put(om->snap);
	*om = sc->out[--sc->n_out];
}

/* Slot of an endpoint id in om's dialout, or -1. */
static long dslot_of(const struct outmeeting *om, const char *endpoint)
{
	long epi = mcu_conf_endpoint_index(om->snap->conf, endpoint);
	return epi < 0 ? -1 : mcu_dialout_slot(om->d, (size_t)epi);
}

void mcu_sipcalls_kick(struct mcu_sipcalls *sc)
{
	pthread_cond_signal(&sc->wake);
}

/* The outgoing call with `token` of `meeting` (lock held), or NULL. */
static struct active *find_token(struct mcu_sipcalls *sc, const char *meeting,
                                 uint32_t token)
{
	for (size_t i = 0; i < sc->n; i++) {
		struct active *a = &sc->calls[i];
		if (a->outgoing && a->token == token &&
		    !strcmp(a->meeting, meeting))
			return a;
	}
	return NULL;
}

/* End a call the dialout has already been told about (lock held). */
static void drop_call(struct active *a)
{
	a->reported = true;
	mcu_sip_call_hangup(a->call);
}

void mcu_sipcalls_out_joined(struct mcu_sipcalls *sc, struct active *a)
{
	struct outmeeting *om = mcu_sipcalls_outmeeting(sc, a->meeting);
	uint32_t cancel = 0;
	long ds;
	if (!om || (ds = dslot_of(om, a->endpoint)) < 0)
		return;
	mcu_dialout_on_joined(om->d, (size_t)ds, mcu_sipcalls_now_ms(),
	                      &cancel);
	struct active *old = cancel ? find_token(sc, a->meeting, cancel)
	                            : NULL;
	if (old && old != a) {
		mcu_log_info("%s: %s called in: our call to it is dropped",
		             a->meeting, a->endpoint);
		old->attached = false;
		drop_call(old);
	}
}

void mcu_sipcalls_out_ended(struct mcu_sipcalls *sc, struct active *a,
                            bool answered, int status, const char *reason)
{
	struct outmeeting *om = mcu_sipcalls_outmeeting(sc, a->meeting);
	int64_t now = mcu_sipcalls_now_ms();
	long ds;
	a->reported = true;
	if (!om || (ds = dslot_of(om, a->endpoint)) < 0)
		return;
	if (a->outgoing && !answered) {
		mcu_dialout_on_failed(om->d, (size_t)ds, a->token, status,
		                      reason, now);
		mcu_log_info("%s: call to %s failed: %d %s", a->meeting,
		             a->endpoint, status, reason ? reason : "");
	} else {
		mcu_dialout_on_dropped(om->d, (size_t)ds, a->token, now);
	}
	mcu_sipcalls_kick(sc);
}

enum mcu_part_state mcu_sipcalls_state_after(struct mcu_sipcalls *sc,
                                       const char *meeting,
                                       const char *endpoint)
{
	struct outmeeting *om = mcu_sipcalls_outmeeting(sc, meeting);
	struct mcu_dialout_info info;
	long ds;
	if (!om || (ds = dslot_of(om, endpoint)) < 0 ||
	    mcu_dialout_info(om->d, (size_t)ds, &info))
		return MCU_PART_DISCONNECTED;
	switch (info.state) {
	case MCU_DIALOUT_GIVEN_UP:
		return MCU_PART_FAILED;
	case MCU_DIALOUT_QUEUED:
	case MCU_DIALOUT_DIALING:
		return MCU_PART_DIALING;
	default:
		return MCU_PART_DISCONNECTED;
	}
}

void mcu_sipcalls_set_part_state(struct mcu_sipcalls *sc, const char *meeting,
                                 const char *endpoint, enum mcu_part_state st,
                                 bool detach)
{
	struct mcu_room *room = mcu_engine_acquire(sc->o.engine, meeting);
	if (!room)
		return;
	long slot = mcu_room_slot(room, endpoint);
	if (detach)
		mcu_room_detach(room, slot, st);
	else {
		struct mcu_room_part pi;
		if (mcu_room_part(room, slot, &pi) && !pi.has_leg)
			mcu_room_set_state(room, slot, st);
	}
	mcu_engine_release(sc->o.engine, room);
}

/* ---- placing calls ---------------------------------------------------- */

int mcu_sipcalls_reserve_ports(const struct mcu_conf *conf,
                               const char *local, struct reserved *r)
{
	struct sockaddr_storage ss;
	socklen_t len;
	if (mcu_netio_addr(local, 0, &ss, &len))
		return EINVAL;
	int err = mcu_netio_bind_pair(&r->fd[0], &r->fd[1],
	                              (struct sockaddr *)&ss, len,
	                              conf->rtp_port_min, conf->rtp_port_max,
	                              &r->vport);
	if (!err)
		err = mcu_netio_bind_pair(&r->fd[2], &r->fd[3],
		                          (struct sockaddr *)&ss, len,
		                          conf->rtp_port_min,
		                          conf->rtp_port_max, &r->aport);
	if (err)
		mcu_sipcalls_release_ports(r);
	return err;
}

/* The call could not even be placed: the dialout hears of a transport
   failure (lock taken here). */
static void place_failed(struct mcu_sipcalls *sc, const struct job *j,
                         int status, const char *why)
{
	pthread_mutex_lock(&sc->lock);
	struct outmeeting *om = mcu_sipcalls_outmeeting(sc, j->meeting);
	if (om)
		mcu_dialout_on_failed(om->d, j->dslot, j->token, status, why,
		                      mcu_sipcalls_now_ms());
	pthread_mutex_unlock(&sc->lock);
	mcu_log_warn("%s: cannot call %s: %s", j->meeting,
	             j->snap->conf->endpoints[j->endpoint].id, why);
}

static void place_call(struct mcu_sipcalls *sc, const struct job *j)
{
	const struct mcu_conf *conf = j->snap->conf;
	const struct mcu_conf_endpoint *ep = &conf->endpoints[j->endpoint];
	long mi = mcu_conf_meeting_index(conf, j->meeting);
	struct reserved r = {.fd = {0, 0, 0, 0}};
	struct mcu_sdp_caps caps;
	struct mcu_sip_call *call = NULL;
	struct mcu_sipcalls_keys keys;
	char local[64], *offer = NULL;
	int err;

	if (!ep->sip || mi < 0 || !sc->sip) {
		place_failed(sc, j, 404, "no SIP address");
		return;
	}
	if (mcu_sipcalls_over_limit(sc, NULL, conf, j->meeting, ep->id)) {
		place_failed(sc, j, MCU_LIMITS_STATUS, MCU_LIMITS_REASON);
		return;
	}
	if (!ep->sip_host ||
	    mcu_sipcalls_local_addr(ep->sip_host, local, sizeof(local)))
		snprintf(local, sizeof(local), "%s",
		         conf->n_sip_listen &&
		                 strcmp(conf->sip_listen[0].addr.host,
		                        "0.0.0.0") &&
		                 strcmp(conf->sip_listen[0].addr.host, "::")
		                 ? conf->sip_listen[0].addr.host
		                 : "127.0.0.1");
	if (mcu_sipcalls_reserve_ports(conf, local, &r)) {
		place_failed(sc, j, 503, "no free RTP ports");
		return;
	}
	mcu_sipcalls_caps(ep, &caps);
	/* SDES keys travel in this INVITE: TLS is sips: or ;transport=tls. */
	bool tls = strncasecmp(ep->sip, "sips:", 5) == 0 ||
	           strcasestr(ep->sip, ";transport=tls") != NULL;
	if (!mcu_sipcalls_srtp(conf, ep, tls, &caps, &keys)) {
		mcu_sipcalls_release_ports(&r);
		place_failed(sc, j, 488, "SRTP is required but the call would "
		                         "not be over SIP TLS");
		return;
	}
	uint64_t sess = ((uint64_t)time(NULL) << 16) ^ j->token;
	struct mcu_sdp_local loc = {.addr = local, .video_port = r.vport,
	                            .audio_port = r.aport, .sess_id = sess,
	                            .sess_version = 1};
	if (caps.srtp != MCU_SDP_SRTP_OFF) {
		loc.audio_key = keys.audio;
		loc.video_key = keys.video;
	}
	if (mcu_sdp_offer(&caps, &loc, &offer)) {
		mcu_sipcalls_release_ports(&r);
		place_failed(sc, j, 500, "cannot write an SDP offer");
		return;
	}
	mcu_sipcalls_set_part_state(sc, j->meeting, ep->id, MCU_PART_DIALING, false);
	const struct mcu_conf_meeting *m = &conf->meetings[mi];
	pthread_mutex_lock(&sc->lock);
	struct outmeeting *om = mcu_sipcalls_outmeeting(sc, j->meeting);
	err = om ? mcu_sip_dial(sc->sip, &call, ep->sip, m->id, m->title,
	                        offer, NULL)
	         : ECANCELED;
	if (err == EINVAL) /* a title SIP cannot carry */
		err = mcu_sip_dial(sc->sip, &call, ep->sip, m->id, NULL, offer,
		                   NULL);
	struct active *a = err ? NULL
	                       : mcu_sipcalls_add(sc, call, j->meeting, ep->id,
	                                          -1);
	if (a) {
		a->outgoing = true;
		a->token = j->token;
		a->sdes_ok = tls || conf->sdes_without_tls;
		a->keys = keys;
		a->ports = r;
		a->sess_id = sess;
		snprintf(a->local, sizeof(a->local), "%s", local);
		mcu_log_info("%s: calling %s at %s (attempt %u)", j->meeting,
		             ep->id, ep->sip, j->attempt);
	} else if (call) {
		mcu_sip_call_hangup(call);
	}
	pthread_mutex_unlock(&sc->lock);
	mcu_sip_call_put(call);
	if (offer)
		explicit_bzero(offer, strlen(offer));
	free(offer);
	explicit_bzero(&keys, sizeof(keys));
	if (!a) {
		mcu_sipcalls_release_ports(&r);
		if (err != ECANCELED)
			place_failed(sc, j, 0, strerror(err ? err : ENOMEM));
	}
}

static void cancel_call(struct mcu_sipcalls *sc, const struct job *j)
{
	pthread_mutex_lock(&sc->lock);
	struct active *a = find_token(sc, j->meeting, j->token);
	if (a) {
		mcu_log_info("%s: %s does not answer: cancelled", j->meeting,
		             a->endpoint);
		drop_call(a);
	}
	pthread_mutex_unlock(&sc->lock);
}

void mcu_sipcalls_out_answered(struct mcu_sipcalls *sc,
                               struct mcu_sip_call *call, const char *sdp,
                               size_t len)
{
	struct mcu_sdp_session *answer = NULL;
	struct mcu_snapshot *snap = sc->o.snapshot(sc->o.arg);
	struct mcu_sdp_caps caps;
	struct mcu_sdp_neg neg;
	struct mcu_leg_params p;
	struct active a, *e = NULL;
	struct reserved r = {.fd = {0, 0, 0, 0}};
	const char *why = NULL;
	int err = 0;

	pthread_mutex_lock(&sc->lock);
	e = mcu_sipcalls_find(sc, call);
	if (e) {
		a = *e;
		/* Ours now: the leg takes these sockets over (never closed
		   and bound again, so no other process can take the ports
		   the offer named), and they are closed when it has. */
		r = e->ports;
		memset(e->ports.fd, 0, sizeof(e->ports.fd));
	}
	pthread_mutex_unlock(&sc->lock);
	if (!e || a.reported) {
		mcu_sip_call_hangup(call);
		goto out;
	}
	long epi = mcu_conf_endpoint_index(snap->conf, a.endpoint);
	if (epi < 0) {
		why = "endpoint left the roster";
		goto fail;
	}
	const struct mcu_conf_endpoint *ep = &snap->conf->endpoints[epi];
	mcu_sipcalls_caps(ep, &caps);
	struct mcu_sipcalls_keys unused;
	if (!mcu_sipcalls_srtp(snap->conf, ep, a.sdes_ok, &caps, &unused)) {
		why = "SRTP is required but the call is not over SIP TLS";
		goto fail;
	}
	explicit_bzero(&unused, sizeof(unused));
	if (!sdp || mcu_sdp_parse(&answer, sdp, len) ||
	    mcu_sdp_parse_answer(answer, &caps, &neg) ||
	    mcu_sipcalls_leg_params(snap->conf, ep, &neg, a.local,
	                            a.ports.vport, a.ports.aport, &p)) {
		why = caps.srtp == MCU_SDP_SRTP_REQUIRED
		              ? "no usable SDP answer with SRTP"
		              : "no usable SDP answer";
		goto fail;
	}
	mcu_sipcalls_leg_srtp(&p, &neg, &a.keys);
	long slot;
	/* As before: an answer does not hang up another call of the slot
	   (no replace). */
	err = mcu_sipcalls_attach(sc, a.meeting, a.endpoint, false, &r, &p,
	                          &slot, NULL, NULL);
	mcu_sipcalls_release_ports(&r);
	if (err) {
		why = err == ESRCH ? "meeting not running" : "no media ports";
		goto fail;
	}
	pthread_mutex_lock(&sc->lock);
	e = mcu_sipcalls_attached(sc, call, slot, &p);
	if (e) {
		struct outmeeting *om = mcu_sipcalls_outmeeting(sc, a.meeting);
		long ds = om ? dslot_of(om, a.endpoint) : -1;
		if (ds >= 0)
			mcu_dialout_on_answered(om->d, (size_t)ds, a.token,
			                        mcu_sipcalls_now_ms());
	}
	pthread_mutex_unlock(&sc->lock);
	mcu_log_info("%s: %s answered (%s%s%s)", a.meeting, a.endpoint,
	             p.has_video ? mcu_vcodec_name(p.vcodec) : "",
	             p.has_video && p.has_audio ? "+" : "",
	             p.has_audio ? mcu_acodec_name(p.acodec) : "");
	goto out;
fail:
	mcu_log_warn("%s: %s answered, but %s: hanging up", a.meeting,
	             a.endpoint, why);
	pthread_mutex_lock(&sc->lock);
	e = mcu_sipcalls_find(sc, call);
	if (e)
		mcu_sipcalls_out_ended(sc, e, false, 488, why);
	pthread_mutex_unlock(&sc->lock);
	mcu_sip_call_hangup(call);
out:
	mcu_sipcalls_release_ports(&r);
	mcu_sdp_free(answer);
	mcu_snapshot_put(snap);
	explicit_bzero(&a, sizeof(a));
	explicit_bzero(&p, sizeof(p));
	explicit_bzero(&neg, sizeof(neg));
}

/* ---- dead legs ------------------------------------------------------- */

static void check_leg(struct mcu_sipcalls *sc, const struct watch *w)
{
	struct mcu_room *room = mcu_engine_acquire(sc->o.engine, w->meeting);
	struct mcu_room_part pi;
	bool have = false;
	if (!room)
		return;
	have = mcu_room_part(room, w->slot, &pi) && pi.has_leg;
	mcu_engine_release(sc->o.engine, room);
	if (!have)
		return;
	int64_t now = mcu_sipcalls_now_ms();
	int64_t silent_ms = pi.leg.last_media_us
	                            ? (mcu_netio_now_us() -
	                               pi.leg.last_media_us) / 1000
	                            : 0;
	bool dead = false;
	char endpoint[128] = "";
	enum mcu_part_state st = MCU_PART_DISCONNECTED;

	pthread_mutex_lock(&sc->lock);
	struct active *a = mcu_sipcalls_find(sc, w->call);
	/* Only a leg whose media flowed and stopped is suspect: a
	   participant on hold, or one that never sent, is left to the
	   session timer. */
	if (!a || !a->attached || a->leg.hold || silent_ms < SILENT_MS) {
		if (a)
			a->ping_us = 0;
	} else if (a->ping_us == 0) {
		a->ping_us = now;
		mcu_sip_call_ping(a->call);
		mcu_log_info("%s: %s: no media for %lld ms: OPTIONS ping",
		             a->meeting, a->endpoint, (long long)silent_ms);
	} else if (a->ping_us == 1 || now - a->ping_us >= PING_WAIT_MS) {
		dead = true;
		snprintf(endpoint, sizeof(endpoint), "%s", a->endpoint);
		a->attached = false;
		mcu_sipcalls_out_ended(sc, a, true, 408, "dead leg");
		st = mcu_sipcalls_state_after(sc, a->meeting, a->endpoint);
		mcu_sip_call_hangup(a->call);
	}
	pthread_mutex_unlock(&sc->lock);
	if (!dead)
		return;
	mcu_log_warn("%s: %s: no media for %lld ms and no answer to OPTIONS: "
	             "call ended", w->meeting, endpoint, (long long)silent_ms);
	mcu_sipcalls_set_part_state(sc, w->meeting, endpoint, st, true);
}

/* ---- the thread ------------------------------------------------------ */

static void *dialer(void *arg)
{
	struct mcu_sipcalls *sc = arg;
	struct job jobs[MAX_JOBS];
	struct watch *watch = NULL;
	size_t n_watch = 0, cap_watch = 0;
	int64_t next_watch = 0;

	pthread_mutex_lock(&sc->lock);
	while (!sc->stop) {
		int64_t now = mcu_sipcalls_now_ms(), wake = now + 60000;
		size_t nj = 0;
		for (size_t i = 0; i < sc->n_out && nj < MAX_JOBS; i++) {
			struct outmeeting *om = &sc->out[i];
			struct mcu_dialout_action act[MAX_JOBS];
			size_t n = mcu_dialout_poll(om->d, now, act,
			                            MAX_JOBS - nj);
			for (size_t k = 0; k < n; k++) {
				struct job *j = &jobs[nj++];
				j->kind = act[k].kind;
				snprintf(j->meeting, sizeof(j->meeting), "%s",
				         om->meeting);
				j->snap = mcu_snapshot_get(om->snap);
				j->endpoint = act[k].endpoint;
				j->dslot = act[k].slot;
				j->token = act[k].token;
				j->attempt = act[k].attempt;
			}
			int64_t w = mcu_dialout_next_wakeup(om->d, now);
			if (w < wake)
				wake = w;
		}
		n_watch = 0;
		if (now >= next_watch) {
			next_watch = now + WATCH_MS;
			if (cap_watch < sc->n) {
				struct watch *nw = realloc(watch, sc->n *
				                                          sizeof(*nw));
				if (nw) {
					watch = nw;
					cap_watch = sc->n;
				}
			}
			for (size_t i = 0; i < sc->n && n_watch < cap_watch;
			     i++) {
				struct active *a = &sc->calls[i];
				if (!a->attached)
					continue;
				struct watch *w = &watch[n_watch++];
				snprintf(w->meeting, sizeof(w->meeting), "%s",
				         a->meeting);
				w->slot = a->slot;
				w->call = mcu_sip_call_get(a->call);
			}
		}
		if (next_watch < wake)
			wake = next_watch;
		pthread_mutex_unlock(&sc->lock);

		for (size_t i = 0; i < nj; i++) {
			if (jobs[i].kind == MCU_DIALOUT_DIAL)
				place_call(sc, &jobs[i]);
			else
				cancel_call(sc, &jobs[i]);
			mcu_snapshot_put(jobs[i].snap);
		}
		for (size_t i = 0; i < n_watch; i++) {
			check_leg(sc, &watch[i]);
			mcu_sip_call_put(watch[i].call);
		}

		pthread_mutex_lock(&sc->lock);
		if (nj || sc->stop)
			continue;
		now = mcu_sipcalls_now_ms();
		if (wake > now) {
			struct timespec ts;
			clock_gettime(CLOCK_MONOTONIC, &ts);
			int64_t ns = ts.tv_nsec + (wake - now) * 1000000;
			ts.tv_sec += ns / 1000000000;
			ts.tv_nsec = ns % 1000000000;
			pthread_cond_timedwait(&sc->wake, &sc->lock, &ts);
		}
	}
	pthread_mutex_unlock(&sc->lock);
	free(watch);
	return NULL;
}

int mcu_sipcalls_out_start(struct mcu_sipcalls *sc)
{
	int err;
	if (sc->thread_started)
		return 0;
	sc->stop = false;
	err = pthread_create(&sc->thread, NULL, dialer, sc);
	if (!err)
		pthread_setname_np(sc->thread, "mcud-dialer");
	if (!err)
		sc->thread_started = true;
	return err;
}

void mcu_sipcalls_out_stop(struct mcu_sipcalls *sc)
{
	if (!sc->thread_started)
		return;
	pthread_mutex_lock(&sc->lock);
	sc->stop = true;
	pthread_cond_signal(&sc->wake);
	pthread_mutex_unlock(&sc->lock);
	pthread_join(sc->thread, NULL);
	sc->thread_started = false;
}

/* ---- public ---------------------------------------------------------- */

int mcu_sipcalls_set_sip(struct mcu_sipcalls *sc, struct mcu_sip *sip)
{
	if (!sip) {
		mcu_sipcalls_out_stop(sc);
		pthread_mutex_lock(&sc->lock);
		sc->sip = NULL;
		pthread_mutex_unlock(&sc->lock);
		return 0;
	}
	pthread_mutex_lock(&sc->lock);
	sc->sip = sip;
	pthread_mutex_unlock(&sc->lock);
	return mcu_sipcalls_out_start(sc);
}

void mcu_sipcalls_room_started(struct mcu_sipcalls *sc, const char *meeting)
{
	struct mcu_snapshot *snap = sc->o.snapshot(sc->o.arg);
	long mi = mcu_conf_meeting_index(snap->conf, meeting);
	if (mi >= 0 && mcu_cascade_dials(snap->conf,
	                                  &snap->conf->meetings[mi])) {
		pthread_mutex_lock(&sc->lock);
		struct outmeeting *om = mcu_sipcalls_outmeeting(sc, meeting);
		if (!om)
			om = add_outmeeting(sc, snap, (size_t)mi);
		if (om && mcu_dialout_count(om->d)) {
			/* dial: out calls everyone; cascade links of
			   direction out are called in any meeting */
			const struct mcu_conf *oc = om->snap->conf;
			long omi = mcu_conf_meeting_index(oc, meeting);
			mcu_cascade_dialout_start(om->d, oc,
			                          omi < 0 ? oc->n_meetings
			                                  : (size_t)omi,
			                          mcu_sipcalls_now_ms());
			mcu_log_info("meeting %s: calling %zu endpoints",
			             meeting, mcu_dialout_count(om->d));
			mcu_sipcalls_kick(sc);
		}
		pthread_mutex_unlock(&sc->lock);
	}
	mcu_snapshot_put(snap);
}

void mcu_sipcalls_room_updated(struct mcu_sipcalls *sc, const char *meeting)
{
	struct mcu_snapshot *snap = sc->o.snapshot(sc->o.arg);
	long mi = mcu_conf_meeting_index(snap->conf, meeting);
	const struct mcu_conf_meeting *m = mi >= 0 ? &snap->conf->meetings[mi]
	                                           : NULL;
	int64_t now = mcu_sipcalls_now_ms();
	pthread_mutex_lock(&sc->lock);
	/* Calls of endpoints no longer in the meeting end. */
	for (size_t i = 0; m && i < sc->n; i++) {
		struct active *a = &sc->calls[i];
		long e = mcu_conf_endpoint_index(snap->conf, a->endpoint);
		bool member = e >= 0 && (size_t)e == m->host_index;
		for (size_t b = 0; e >= 0 && !member && b < m->n_branches; b++)
			member = m->branches[b] == (size_t)e;
		if (strcmp(a->meeting, meeting) || member)
			continue;
		mcu_log_info("%s: %s left the roster: call ended", meeting,
		             a->endpoint);
		a->attached = false;
		drop_call(a);
	}
	/* A dial-out meeting calls its endpoints as the new roster has
	   them: a fresh dialout where connected calls count as joined and
	   ringing ones are placed again. */
	struct outmeeting *om = mcu_sipcalls_outmeeting(sc, meeting);
	struct mcu_dialout *d = NULL;
	if (!om && m && mcu_cascade_dials(snap->conf, m)) /* a new link */
		om = add_outmeeting(sc, snap, (size_t)mi);
	if (om && m && mcu_cascade_dials(snap->conf, m) &&
	    mcu_dialout_alloc_meeting(&d, snap->conf, (size_t)mi, NULL) == 0) {
		mcu_cascade_dialout_start(d, snap->conf, (size_t)mi, now);
		for (size_t i = 0; i < sc->n; i++) {
			struct active *a = &sc->calls[i];
			if (strcmp(a->meeting, meeting) || a->reported)
				continue;
			long e = mcu_conf_endpoint_index(snap->conf,
			                                 a->endpoint);
			long ds = e >= 0 ? mcu_dialout_slot(d, (size_t)e) : -1;
			uint32_t cancel = 0;
			if (a->attached && ds >= 0) {
				mcu_dialout_on_joined(d, (size_t)ds, now,
				                      &cancel);
				a->token = 0; /* its end is a drop of token 0 */
			} else if (!a->attached) {
				drop_call(a);
			}
		}
		mcu_dialout_free(om->d);
		mcu_snapshot_put(om->snap);
		om->d = d;
		om->snap = mcu_snapshot_get(snap);
		mcu_sipcalls_kick(sc);
	}
	pthread_mutex_unlock(&sc->lock);
	mcu_snapshot_put(snap);
}

void mcu_sipcalls_room_stopped(struct mcu_sipcalls *sc, const char *meeting)
{
	pthread_mutex_lock(&sc->lock);
	struct outmeeting *om = mcu_sipcalls_outmeeting(sc, meeting);
	if (om) {
		mcu_dialout_stop(om->d, mcu_sipcalls_now_ms());
		remove_outmeeting(sc, om);
	}
	for (size_t i = 0; i < sc->n; i++) {
		struct active *a = &sc->calls[i];
		if (strcmp(a->meeting, meeting))
			continue;
		a->attached = false;
		drop_call(a);
	}
	pthread_mutex_unlock(&sc->lock);
}

int mcu_sipcalls_operator(struct mcu_sipcalls *sc, const char *meeting,
                          const char *endpoint, bool dial, char *detail,
                          size_t len)
{
	struct mcu_snapshot *snap = sc->o.snapshot(sc->o.arg);
	long mi = mcu_conf_meeting_index(snap->conf, meeting);
	long epi = mcu_conf_endpoint_index(snap->conf, endpoint);
	int status = 202;
	long slot = -1;
	bool hung = false, unset = false;

	if (mi < 0 || epi < 0) {
		snprintf(detail, len, "no %s %s", mi < 0 ? "meeting" : "endpoint",
		         mi < 0 ? meeting : endpoint);
		mcu_snapshot_put(snap);
		return 404;
	}
	struct mcu_room *room = mcu_engine_acquire(sc->o.engine, meeting);
	if (room) {
		slot = mcu_room_slot(room, endpoint);
		mcu_engine_release(sc->o.engine, room);
	}
	const struct mcu_conf_endpoint *ep = &snap->conf->endpoints[epi];
	if (!room) {
		snprintf(detail, len, "meeting %s is not under way", meeting);
		status = 409;
	} else if (slot < 0) {
		snprintf(detail, len, "%s is not in meeting %s", endpoint,
		         meeting);
		status = 404;
	} else if (!ep->sip) {
		snprintf(detail, len, "%s has no SIP address (static RTP)",
		         endpoint);
		status = 409;
	}
	if (status != 202) {
		mcu_snapshot_put(snap);
		return status;
	}
	pthread_mutex_lock(&sc->lock);
	struct outmeeting *om = mcu_sipcalls_outmeeting(sc, meeting);
	if (!om && dial)
		om = add_outmeeting(sc, snap, (size_t)mi);
	long ds = om ? dslot_of(om, endpoint) : -1;
	int64_t now = mcu_sipcalls_now_ms();
	if (dial) {
		int err = ds < 0 ? ENOMEM
		                 : mcu_dialout_operator_dial(om->d, (size_t)ds,
		                                             now);
		if (err == EALREADY) {
			snprintf(detail, len, "%s is already connected or "
			         "being called", endpoint);
			status = 409;
		} else if (err) {
			snprintf(detail, len, "cannot call %s: %s", endpoint,
			         strerror(err));
			status = 500;
		} else {
			snprintf(detail, len, "calling %s", endpoint);
			mcu_sipcalls_kick(sc);
		}
	} else {
		uint32_t token = 0;
		struct mcu_dialout_info info;
		bool retrying = false;
		if (ds >= 0 && !mcu_dialout_info(om->d, (size_t)ds, &info))
			retrying = info.state == MCU_DIALOUT_QUEUED ||
			           info.state == MCU_DIALOUT_BACKOFF;
		if (ds >= 0)
			mcu_dialout_operator_hangup(om->d, (size_t)ds, now,
			                            &token);
		for (size_t i = 0; i < sc->n; i++) {
			struct active *a = &sc->calls[i];
			if (strcmp(a->meeting, meeting) ||
			    strcmp(a->endpoint, endpoint))
				continue;
			a->attached = false;
			drop_call(a);
			hung = true;
		}
		if (hung || token)
			snprintf(detail, len, "hung up %s", endpoint);
		else if (retrying) {
			snprintf(detail, len, "%s is no longer called", endpoint);
			unset = true;
		}
		else {
			snprintf(detail, len, "%s has no call to hang up",
			         endpoint);
			status = 409;
		}
	}
	pthread_mutex_unlock(&sc->lock);
	if (hung || unset)
		mcu_sipcalls_set_part_state(sc, meeting, endpoint,
		                            MCU_PART_DISCONNECTED, hung);
	mcu_log_info("operator: %s %s in %s: %d %s", dial ? "dial" : "hangup",
	             endpoint, meeting, status, detail);
	mcu_snapshot_put(snap);
	return status;
}

const char *mcu_sipcalls_dial_state(struct mcu_sipcalls *sc,
                                    const char *meeting, const char *endpoint,
                                    unsigned *attempts, int *last_status)
{
	const char *name = "";
	struct mcu_dialout_info info;
	pthread_mutex_lock(&sc->lock);
	struct outmeeting *om = mcu_sipcalls_outmeeting(sc, meeting);
	long ds = om ? dslot_of(om, endpoint) : -1;
	if (ds >= 0 && !mcu_dialout_info(om->d, (size_t)ds, &info)) {
		name = mcu_dialout_state_name(info.state);
		if (attempts)
			*attempts = info.attempts;
		if (last_status)
			*last_status = info.last_status;
	}
	pthread_mutex_unlock(&sc->lock);
	return name;
}
