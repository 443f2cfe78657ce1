/*
 * The SDP answer needs the leg's local ports and the leg needs what the
 * offer negotiates, so an INVITE is negotiated twice: once to learn the
 * streams (with placeholder ports), then, after the leg is bound, once
 * more to write the answer with the ports it got. Both runs are pure and
 * cheap.
 *
 * The address written in the answer is the one the kernel would use to
 * reach the caller (a connected UDP socket's own address), so a
 * multi-homed MCU answers on the right network.
 */
#define MCU_LOG_MODULE "sipcalls"
#include "mcu/sipcalls.h"
#include "conf/log.h"
#include "mcu/admission.h"
#include "mcu/limits.h"
#include "mcu/sipcalls_internal.h"
#include "transport/netio.h"
#include "transport/sdp.h"
#include "transport/srtp.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

int64_t mcu_sipcalls_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int mcu_sipcalls_alloc(struct mcu_sipcalls **scp,
                       const struct mcu_sipcalls_opts *opts)
{
	struct mcu_sipcalls *sc;
	pthread_condattr_t ca;
	if (!scp || !opts || !opts->engine || !opts->snapshot)
		return EINVAL;
	sc = calloc(1, sizeof(*sc));
	if (!sc)
		return ENOMEM;
	sc->o = *opts;
	pthread_mutex_init(&sc->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&sc->wake, &ca);
	pthread_condattr_destroy(&ca);
	if (mcu_admission_secrets_alloc(&sc->secrets)) {
		pthread_cond_destroy(&sc->wake);
		pthread_mutex_destroy(&sc->lock);
		free(sc);
		return ENOMEM;
	}
	*scp = sc;
	return 0;
}

struct mcu_sipcalls *mcu_sipcalls_free(struct mcu_sipcalls *sc)
{
	if (!sc)
		return NULL;
	mcu_sipcalls_out_stop(sc);
	for (size_t i = 0; i < sc->n; i++) {
		mcu_sipcalls_release_ports(&sc->calls[i].ports);
		mcu_sip_call_put(sc->calls[i].call);
	}
	free(sc->calls);
	for (size_t i = 0; i < sc->n_out; i++) {
		mcu_dialout_free(sc->out[i].d);
		mcu_snapshot_put(sc->out[i].snap);
	}
	free(sc->out);
	mcu_admission_secrets_free(sc->secrets);
	pthread_cond_destroy(&sc->wake);
	pthread_mutex_destroy(&sc->lock);
	free(sc);
	return NULL;
}

void mcu_sipcalls_release_ports(struct reserved *r)
{
	for (int i = 0; i < 4; i++) {
		if (r->fd[i] > 0)
			close(r->fd[i]);
		r->fd[i] = 0;
	}
}

int mcu_sipcalls_local_addr(const char *remote, char *out, size_t size)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int err = mcu_netio_addr(remote, 9, &ss, &len);
	int fd = err ? -1 : socket(ss.ss_family, SOCK_DGRAM, 0);
	if (err)
		return err;
	if (fd < 0)
		return errno;
	if (connect(fd, (struct sockaddr *)&ss, len) != 0)
		err = errno;
	len = sizeof(ss);
	if (!err && getsockname(fd, (struct sockaddr *)&ss, &len) != 0)
		err = errno;
	if (!err && !inet_ntop(ss.ss_family,
	                       ss.ss_family == AF_INET
	                               ? (void *)&((struct sockaddr_in *)&ss)->sin_addr
	                               : (void *)&((struct sockaddr_in6 *)&ss)->sin6_addr,
	                       out, (socklen_t)size))
		err = errno;
	close(fd);
	return err;
}

void mcu_sipcalls_caps(const struct mcu_conf_endpoint *ep,
                       struct mcu_sdp_caps *caps)
{
	mcu_sdp_caps_default(caps);
	mcu_sdp_caps_set_codecs(caps, (const char *const *)ep->codecs,
	                        ep->n_codecs);
	/* b=AS: what the roster allows this endpoint. */
	if (ep->bandwidth_kbps)
		caps->bitrate_kbps = ep->bandwidth_kbps;
}

bool mcu_sipcalls_srtp(const struct mcu_conf *conf,
                       const struct mcu_conf_endpoint *ep, bool tls,
                       struct mcu_sdp_caps *caps,
                       struct mcu_sipcalls_keys *k)
{
	enum mcu_srtp_policy pol = mcu_conf_endpoint_srtp(conf, ep);
	bool keys_ok = tls || conf->sdes_without_tls;
	caps->srtp = MCU_SDP_SRTP_OFF;
	if (pol == MCU_SRTP_OFF)
		return true;
	if (!keys_ok)
		return pol != MCU_SRTP_REQUIRED; /* plain RTP, or refused */
	if (mcu_srtp_keygen(k->audio, sizeof(k->audio)) ||
	    mcu_srtp_keygen(k->video, sizeof(k->video))) {
		mcu_log_error("no random bytes for SRTP keys");
		return pol != MCU_SRTP_REQUIRED;
	}
	caps->srtp = pol == MCU_SRTP_REQUIRED ? MCU_SDP_SRTP_REQUIRED
	                                      : MCU_SDP_SRTP_OPTIONAL;
	return true;
}

bool mcu_sipcalls_dialin_media(struct mcu_sip_call *call,
                               const struct mcu_sip_incoming *in,
                               const struct mcu_conf *conf, const char *meeting,
                               const struct mcu_conf_endpoint *ep,
                               const char *what, struct mcu_sdp_caps *caps,
                               struct mcu_sipcalls_keys *k, char *local,
                               size_t size)
{
	mcu_sipcalls_caps(ep, caps);
	if (!mcu_sipcalls_srtp(conf, ep, in->proto == MCU_SIP_TLS, caps, k)) {
		mcu_log_warn("%s: %s: %sSRTP is required but the call is not "
		             "over SIP TLS (mcu.rtp.sdes_without_tls is false)",
		             meeting, ep->id, what);
		mcu_sip_call_respond(call, 488, "SRTP over SIP TLS required",
		                     NULL);
		return false;
	}
	if (mcu_sipcalls_local_addr(in->src_addr, local, size))
		snprintf(local, size, "127.0.0.1");
	return true;
}

void mcu_sipcalls_leg_srtp(struct mcu_leg_params *p,
                           const struct mcu_sdp_neg *neg,
                           const struct mcu_sipcalls_keys *k)
{
	memset(&p->video_srtp, 0, sizeof(p->video_srtp));
	memset(&p->audio_srtp, 0, sizeof(p->audio_srtp));
	if (p->has_video && neg->video.srtp_suite != MCU_SRTP_NONE) {
		p->video_srtp.suite = neg->video.srtp_suite;
		memcpy(p->video_srtp.tx_key, k->video, MCU_SRTP_KEY_MAX);
		memcpy(p->video_srtp.rx_key, neg->video.srtp_remote_key,
		       MCU_SRTP_KEY_MAX);
	}
	if (p->has_audio && neg->audio.srtp_suite != MCU_SRTP_NONE) {
		p->audio_srtp.suite = neg->audio.srtp_suite;
		memcpy(p->audio_srtp.tx_key, k->audio, MCU_SRTP_KEY_MAX);
		memcpy(p->audio_srtp.rx_key, neg->audio.srtp_remote_key,
		       MCU_SRTP_KEY_MAX);
	}
}

static bool acodec_of(enum mcu_sdp_codec c, enum mcu_acodec *out)
{
	switch (c) {
	case MCU_SDP_OPUS:
		*out = MCU_ACODEC_OPUS;
		return true;
	case MCU_SDP_G722:
		*out = MCU_ACODEC_G722;
		return true;
	case MCU_SDP_PCMA:
		*out = MCU_ACODEC_PCMA;
		return true;
	case MCU_SDP_PCMU:
		*out = MCU_ACODEC_PCMU;
		return true;
	default:
		return false;
	}
}

/* Output picture: the smaller of what the SDP and the roster allow. */
static void out_tier(const struct mcu_sdp_neg_media *v, unsigned bw_kbps,
                     struct mcu_leg_params *p)
{
	enum mcu_sdp_tier t = v->tier ? v->tier : MCU_SDP_TIER_720P;
	if (bw_kbps < 2000 && t > MCU_SDP_TIER_360P)
		t = MCU_SDP_TIER_360P;
	if (bw_kbps < 700)
		t = MCU_SDP_TIER_180P;
	switch (t) {
	case MCU_SDP_TIER_180P:
		p->out_width = 320, p->out_height = 180, p->out_bitrate = 200000;
		break;
	case MCU_SDP_TIER_360P:
		p->out_width = 640, p->out_height = 360, p->out_bitrate = 600000;
		break;
	default:
		p->out_width = 1280, p->out_height = 720;
		p->out_bitrate = 1800000;
		break;
	}
	if (v->bitrate_kbps && (int)v->bitrate_kbps * 1000 < p->out_bitrate)
		p->out_bitrate = (int)v->bitrate_kbps * 1000;
}

int mcu_sipcalls_leg_params(const struct mcu_conf *conf,
                            const struct mcu_conf_endpoint *ep,
                            const struct mcu_sdp_neg *neg, const char *local,
                            uint16_t vport, uint16_t aport,
                            struct mcu_leg_params *p)
{
	bool vhold = false, ahold = false;
	memset(p, 0, sizeof(*p));
	p->label = ep->id;
	p->port_min = conf->rtp_port_min;
	p->port_max = conf->rtp_port_max;
	if (neg->video.active && neg->video.port &&
	    (neg->video.codec == MCU_SDP_H264 ||
	     neg->video.codec == MCU_SDP_VP8) &&
	    mcu_netio_addr(neg->video.addr, neg->video.port, &p->remote_video, NULL) ==
	            0 &&
	    mcu_netio_addr(local, vport, &p->local_video, NULL) == 0) {
		p->has_video = true;
		p->vcodec = neg->video.codec == MCU_SDP_VP8 ? MCU_VCODEC_VP8
		                                            : MCU_VCODEC_H264;
		p->video_pt = (uint8_t)neg->video.pt;
		p->h264_mode = neg->video.h264.packetization_mode == 1;
		p->rtcp_mux = neg->video.rtcp_mux;
		out_tier(&neg->video, ep->bandwidth_kbps, p);
		vhold = neg->video.hold;
		p->feedback = MCU_LEG_FB_KNOWN |
		              (neg->video.fb & MCU_SDP_FB_NACK ? MCU_LEG_FB_NACK
		                                               : 0) |
		              (neg->video.fb & MCU_SDP_FB_PLI ? MCU_LEG_FB_PLI
		                                              : 0) |
		              (neg->video.fb & MCU_SDP_FB_FIR ? MCU_LEG_FB_FIR
		                                              : 0);
	}
	if (neg->audio.active && neg->audio.port &&
	    acodec_of(neg->audio.codec, &p->acodec) &&
	    mcu_netio_addr(neg->audio.addr, neg->audio.port, &p->remote_audio, NULL) ==
	            0 &&
	    mcu_netio_addr(local, aport, &p->local_audio, NULL) == 0) {
		p->has_audio = true;
		p->audio_pt = (uint8_t)neg->audio.pt;
		p->dtmf_pt = neg->audio.te_pt >= 0 ? (uint8_t)neg->audio.te_pt
		                                   : 0;
		p->rtcp_mux = p->rtcp_mux || neg->audio.rtcp_mux;
		ahold = neg->audio.hold;
	}
	/* On hold when every stream we would send is held. */
	p->hold = (!p->has_video || vhold) && (!p->has_audio || ahold);
	return p->has_video || p->has_audio ? 0 : EPROTONOSUPPORT;
}

/* Whether two sets of leg parameters give the same media. */
static bool same_media(const struct mcu_leg_params *a,
                       const struct mcu_leg_params *b)
{
	return a->has_video == b->has_video && a->has_audio == b->has_audio &&
	       a->vcodec == b->vcodec && a->video_pt == b->video_pt &&
	       a->h264_mode == b->h264_mode && a->acodec == b->acodec &&
	       a->audio_pt == b->audio_pt && a->dtmf_pt == b->dtmf_pt &&
	       a->rtcp_mux == b->rtcp_mux && a->hold == b->hold &&
	       a->out_width == b->out_width && a->out_bitrate == b->out_bitrate &&
	       a->feedback == b->feedback &&
	       !memcmp(&a->video_srtp, &b->video_srtp, sizeof(a->video_srtp)) &&
	       !memcmp(&a->audio_srtp, &b->audio_srtp, sizeof(a->audio_srtp)) &&
	       !memcmp(&a->remote_video, &b->remote_video,
	               sizeof(a->remote_video)) &&
	       !memcmp(&a->remote_audio, &b->remote_audio,
	               sizeof(a->remote_audio));
}

/* Forget the slot's previous call (a rebooted terminal calls again);
   lock held. */
void mcu_sipcalls_replace_old(struct mcu_sipcalls *sc, const char *meeting,
                              long slot)
{
	for (size_t i = 0; i < sc->n; i++) {
		struct active *a = &sc->calls[i];
		if (a->attached && a->slot == slot &&
		    !strcmp(a->meeting, meeting)) {
			a->attached = false;
			a->reported = true; /* the new call takes its place */
			mcu_sip_call_hangup(a->call);
			mcu_log_info("%s: %s called again: the old call is "
			             "replaced", meeting, a->endpoint);
			if (sc->o.replaced)
				sc->o.replaced(sc->o.arg, meeting,
				               a->endpoint);
		}
	}
}

int mcu_sipcalls_attach(struct mcu_sipcalls *sc, const char *meeting,
                        const char *endpoint, bool replace,
                        const struct reserved *ports,
                        struct mcu_leg_params *p, long *slotp,
                        uint16_t *vport, uint16_t *aport)
{
	long slot = -1;
	int err;

	if (ports) {
		p->video_fds[0] = ports->fd[0], p->video_fds[1] = ports->fd[1];
		p->audio_fds[0] = ports->fd[2], p->audio_fds[1] = ports->fd[3];
	}
	struct mcu_room *room = mcu_engine_acquire(sc->o.engine, meeting);
	if (!room) {
		err = ESRCH;
		goto out;
	}
	slot = mcu_room_slot(room, endpoint);
	p->id = (uint32_t)slot + 1;
	if (replace && slot >= 0) {
		pthread_mutex_lock(&sc->lock);
		mcu_sipcalls_replace_old(sc, meeting, slot);
		pthread_mutex_unlock(&sc->lock);
	}
	err = slot < 0 ? ENOENT : mcu_room_attach(room, slot, p);
	if (!err) {
		if (vport && aport)
			mcu_room_local_ports(room, slot, vport, aport);
		if (p->hold)
			mcu_room_set_state(room, slot, MCU_PART_ON_HOLD);
	}
	mcu_engine_release(sc->o.engine, room);
out:
	/* The leg holds its own references to the sockets. */
	memset(p->video_fds, 0, sizeof(p->video_fds));
	memset(p->audio_fds, 0, sizeof(p->audio_fds));
	*slotp = slot;
	return err;
}

struct active *mcu_sipcalls_attached(struct mcu_sipcalls *sc,
                                     const struct mcu_sip_call *call, long slot,
                                     const struct mcu_leg_params *p)
{
	struct active *e = mcu_sipcalls_find(sc, call);
	if (e) {
		e->attached = true;
		e->slot = slot;
		e->leg = *p;
		e->leg.label = NULL;
	}
	return e;
}

void mcu_sipcalls_detach(struct mcu_sipcalls *sc, const char *meeting,
                         long slot)
{
	struct mcu_room *room = mcu_engine_acquire(sc->o.engine, meeting);
	if (room) {
		mcu_room_detach(room, slot, MCU_PART_DISCONNECTED);
		mcu_engine_release(sc->o.engine, room);
	}
}

struct active *mcu_sipcalls_add(struct mcu_sipcalls *sc,
                                struct mcu_sip_call *call,
                                const char *meeting, const char *endpoint,
                                long slot)
{
	if (sc->n == sc->cap) {
		size_t cap = sc->cap ? sc->cap * 2 : 32;
		struct active *n = realloc(sc->calls, cap * sizeof(*n));
		if (!n)
			return NULL;
		sc->calls = n;
		sc->cap = cap;
	}
	struct active *a = &sc->calls[sc->n++];
	memset(a, 0, sizeof(*a));
	a->call = mcu_sip_call_get(call);
	snprintf(a->meeting, sizeof(a->meeting), "%s", meeting);
	snprintf(a->endpoint, sizeof(a->endpoint), "%s", endpoint);
	a->slot = slot;
	a->sess_id = ((uint64_t)time(NULL) << 16) ^ (uint64_t)sc->n;
	a->sess_ver = 1;
	mcu_sipcalls_note_use(sc);
	return a;
}

/* ---- limits (mcu/limits.h) ---- */

void mcu_sipcalls_limits_use(const struct mcu_sipcalls *sc,
                             const char *meeting, const char *endpoint,
                             struct mcu_limits_use *u)
{
	memset(u, 0, sizeof(*u));
	for (size_t i = 0; i < sc->n; i++) {
		const struct active *a = &sc->calls[i];
		bool same = !strcmp(a->meeting, meeting);
		if (a->reported || (same && !strcmp(a->endpoint, endpoint)))
			continue; /* ended, or the call this one replaces */
		u->calls++;
		u->participants += same;
	}
}

void mcu_sipcalls_note_use(const struct mcu_sipcalls *sc)
{
	size_t calls = 0, busiest = 0;
	for (size_t i = 0; i < sc->n; i++) {
		size_t in_meeting = 0;
		if (sc->calls[i].reported)
			continue;
		calls++;
		for (size_t k = 0; k < sc->n; k++)
			in_meeting += !sc->calls[k].reported &&
			              !strcmp(sc->calls[k].meeting,
			                      sc->calls[i].meeting);
		if (in_meeting > busiest)
			busiest = in_meeting;
	}
	mcu_limits_note_calls(calls, busiest);
}

bool mcu_sipcalls_over_limit(struct mcu_sipcalls *sc,
                             struct mcu_sip_call *call,
                             const struct mcu_conf *conf, const char *meeting,
                             const char *endpoint)
{
	struct mcu_limits_use u;
	char warn[160];

	mcu_limits_configure(&conf->limits);
	pthread_mutex_lock(&sc->lock);
	mcu_sipcalls_limits_use(sc, meeting, endpoint, &u);
	pthread_mutex_unlock(&sc->lock);
	enum mcu_limit l = mcu_limits_check_call(&conf->limits, &u);
	if (l == MCU_LIMIT_NONE)
		return false;
	unsigned cap = mcu_limits_cap(&conf->limits, l);
	mcu_limits_refused(l, cap, meeting, endpoint,
	                   call ? "dial-in" : "dial-out");
	snprintf(warn, sizeof(warn), "limit %s = %u reached",
	         mcu_limits_name(l), cap);
	if (call)
		mcu_sip_call_refuse(call, MCU_LIMITS_STATUS, MCU_LIMITS_REASON,
		                    MCU_LIMITS_RETRY_AFTER_S, warn);
	return true;
}

struct active *mcu_sipcalls_find(struct mcu_sipcalls *sc,
                                 const struct mcu_sip_call *call)
{
	for (size_t i = 0; i < sc->n; i++)
		if (sc->calls[i].call == call)
			return &sc->calls[i];
	return NULL;
}

/* Authentication; returns true when the call may go on. */
static bool authenticate(struct mcu_sipcalls *sc, struct mcu_sip_call *call,
                         const struct mcu_sip_incoming *in,
                         const struct mcu_admission *adm)
{
	char pw[256];
	int err;
	if (!adm->auth_required)
		return true;
	if (in->auth == MCU_SIP_AUTH_NONE || in->auth == MCU_SIP_AUTH_INVALID) {
		mcu_sip_call_challenge(call, false);
		return false;
	}
	if (in->auth == MCU_SIP_AUTH_STALE) {
		mcu_sip_call_challenge(call, true);
		return false;
	}
	if (mcu_admission_secret(sc->secrets, adm->auth_password_file, pw,
	                         sizeof(pw))) {
		mcu_sip_call_respond(call, 500, "Credentials unavailable",
		                     NULL);
		return false;
	}
	err = mcu_sip_call_auth_check(call, adm->auth_user, pw);
	explicit_bzero(pw, sizeof(pw));
	if (err == ESTALE || err == ENOENT) {
		mcu_sip_call_challenge(call, err == ESTALE);
		return false;
	}
	if (err) {
		mcu_sip_call_respond(call, 403, "Wrong credentials", NULL);
		return false;
	}
	return true;
}

/* The caller is admitted to `meeting`: negotiate, attach, answer. */
static void join(struct mcu_sipcalls *sc, struct mcu_sip_call *call,
                 const struct mcu_sip_incoming *in,
                 const struct mcu_conf *conf, const struct mcu_admission *adm)
{
	const struct mcu_conf_meeting *m = &conf->meetings[adm->meeting];
	const struct mcu_conf_endpoint *ep = &conf->endpoints[adm->endpoint];
	struct mcu_sdp_session *offer = NULL;
	struct mcu_sdp_caps caps;
	struct mcu_sdp_neg neg;
	struct mcu_leg_params p;
	struct active *a;
	struct mcu_sipcalls_keys keys;
	char local[64], *answer = NULL;
	uint16_t vport = 0, aport = 0;
	int err;

	memset(&p, 0, sizeof(p));
	memset(&neg, 0, sizeof(neg));
	if (!in->sdp) { /* delayed offer: we offer in the 200 */
		mcu_sipcalls_delayed_offer(sc, call, in, conf, adm);
		return;
	}
	if (mcu_sdp_parse(&offer, in->sdp, in->sdp_len)) {
		mcu_sip_call_respond(call, 400, "Malformed SDP", NULL);
		return;
	}
	bool tls = in->proto == MCU_SIP_TLS;
	if (!mcu_sipcalls_dialin_media(call, in, conf, m->id, ep, "", &caps,
	                               &keys, local, sizeof(local)))
		goto out;
	struct mcu_sdp_local loc = {.addr = local, .audio_port = 9,
	                            .video_port = 9};
	if (caps.srtp != MCU_SDP_SRTP_OFF) {
		loc.audio_key = keys.audio;
		loc.video_key = keys.video;
	}
	err = mcu_sdp_answer(offer, &caps, &loc, &neg, &answer);
	free(answer);
	answer = NULL;
	if (!err)
		err = mcu_sipcalls_leg_params(conf, ep, &neg, local, 0, 0, &p);
	if (err) {
		if (caps.srtp == MCU_SDP_SRTP_REQUIRED &&
		    err == EPROTONOSUPPORT)
			mcu_log_info("%s: %s offered no usable SRTP key "
			             "(srtp: required): 488", m->id, ep->id);
		mcu_sip_call_respond(call, mcu_sdp_sip_status(err),
		                     caps.srtp == MCU_SDP_SRTP_REQUIRED
		                             ? "SRTP required"
		                             : "No common codec",
		                     NULL);
		goto out;
	}
	mcu_sipcalls_leg_srtp(&p, &neg, &keys);
	long slot;
	err = mcu_sipcalls_attach(sc, m->id, ep->id, true, NULL, &p, &slot,
	                          &vport, &aport);
	if (err == ESRCH) {
		mcu_sip_call_respond(call, 480, MCU_ADMISSION_REASON_NOT_LIVE,
		                     NULL);
		goto out;
	}
	if (err) {
		mcu_sip_call_respond(call, 500, "No media ports", NULL);
		goto out;
	}
	pthread_mutex_lock(&sc->lock);
	a = mcu_sipcalls_add(sc, call, m->id, ep->id, slot);
	if (a) {
		a->attached = true;
		a->sdes_ok = tls || conf->sdes_without_tls;
		a->keys = keys;
		snprintf(a->local, sizeof(a->local), "%s", local);
		a->leg = p;
		a->leg.label = NULL;
		mcu_netio_addr_set_port(&a->leg.local_video, vport);
		mcu_netio_addr_set_port(&a->leg.local_audio, aport);
		loc.sess_id = a->sess_id;
		loc.sess_version = a->sess_ver;
		mcu_sipcalls_out_joined(sc, a);
	}
	pthread_mutex_unlock(&sc->lock);
	loc.video_port = p.has_video ? vport : 0;
	loc.audio_port = p.has_audio ? aport : 0;
	err = a ? mcu_sdp_answer(offer, &caps, &loc, &neg, &answer) : ENOMEM;
	if (err) {
		/* The event of this answer takes the leg out again. */
		mcu_sip_call_respond(call, err == ENOMEM ? 500
		                                         : mcu_sdp_sip_status(err),
		                     NULL, NULL);
		if (!a)
			mcu_sipcalls_detach(sc, m->id, slot);
		goto out;
	}
	mcu_sip_call_respond(call, 200, NULL, answer);
	mcu_log_info("%s: %s joins by SIP (%s%s%s%s)", m->id, ep->id,
	             p.has_video ? mcu_vcodec_name(p.vcodec) : "",
	             p.has_video && p.has_audio ? "+" : "",
	             p.has_audio ? mcu_acodec_name(p.acodec) : "",
	             p.video_srtp.suite || p.audio_srtp.suite ? ", SRTP" : "");
out:
	if (answer)
		explicit_bzero(answer, strlen(answer));
	free(answer);
	mcu_sdp_free(offer);
	explicit_bzero(&keys, sizeof(keys));
	explicit_bzero(&p, sizeof(p));
	explicit_bzero(&neg, sizeof(neg));
}

static void on_incoming(struct mcu_sip_call *call,
                        const struct mcu_sip_incoming *in, void *arg)
{
	struct mcu_sipcalls *sc = arg;
	struct mcu_snapshot *snap = sc->o.snapshot(sc->o.arg);
	const struct mcu_conf *conf = snap->conf;
	time_t now = time(NULL);
	enum mcu_meeting_state *states =
		calloc(conf->n_meetings + 1, sizeof(*states));
	struct mcu_admission adm;

	if (!states) {
		mcu_sip_call_respond(call, 503, NULL, NULL);
		goto out;
	}
	for (size_t i = 0; i < conf->n_meetings; i++)
		states[i] = sc->o.state ? sc->o.state(sc->o.arg, conf, i, now)
		                        : mcu_timeline_state(&conf->meetings[i],
		                                             now);
	struct mcu_admission_request req = {
		.ruri_user = in->ruri_user,
		.from_user = in->from_user,
		.from_host = in->from_host,
		.src_addr = in->src_addr,
		.states = states,
	};
	mcu_admission_decide(conf, now, &req, &adm);
	if (!authenticate(sc, call, in, &adm))
		goto out;
	if (adm.verdict == MCU_ADMIT_ACCEPT && adm.endpoint >= 0 &&
	    conf->endpoints[adm.endpoint].tls_subject &&
	    in->proto != MCU_SIP_TLS) {
		/* Its certificate is checked in the TLS handshake: over UDP
		   or TCP there is none. */
		mcu_log_warn("INVITE to %s from %s@%s (%s): endpoint %s needs "
		             "SIP over TLS with a client certificate: 403",
		             in->ruri_user, in->from_user, in->from_host,
		             in->src_addr, conf->endpoints[adm.endpoint].id);
		mcu_sip_call_respond(call, 403, "Client certificate required",
		                     NULL);
		goto out;
	}
	if (adm.verdict != MCU_ADMIT_ACCEPT) {
		mcu_log_info("INVITE to %s from %s@%s (%s): %d %s",
		             in->ruri_user, in->from_user, in->from_host,
		             in->src_addr, adm.status, adm.reason);
		mcu_sip_call_respond(call, adm.status, adm.reason, NULL);
		goto out;
	}
	if (mcu_sipcalls_over_limit(sc, call, conf,
	                            conf->meetings[adm.meeting].id,
	                            conf->endpoints[adm.endpoint].id))
		goto out;
	join(sc, call, in, conf, &adm);
out:
	free(states);
	mcu_snapshot_put(snap);
}

static void on_event(struct mcu_sip_call *call, const struct mcu_sip_event *ev,
                     void *arg)
{
	struct mcu_sipcalls *sc = arg;
	struct active a = {0};
	struct active *e;

	if (ev->type == MCU_SIP_EV_ANSWERED && mcu_sip_call_is_outgoing(call)) {
		mcu_sipcalls_out_answered(sc, call, ev->sdp, ev->sdp_len);
		return;
	}
	if (ev->type == MCU_SIP_EV_CONFIRMED && !mcu_sip_call_is_outgoing(call)) {
		mcu_sipcalls_delayed_ack(sc, call, ev->sdp, ev->sdp_len);
		return;
	}
	if (ev->type == MCU_SIP_EV_PING) {
		pthread_mutex_lock(&sc->lock);
		e = mcu_sipcalls_find(sc, call);
		if (e && ev->status >= 200 && ev->status < 300)
			e->ping_us = 0; /* alive, if silent */
		else if (e)
			e->ping_us = 1; /* dead: the dialer ends it now */
		if (e)
			mcu_sipcalls_kick(sc);
		pthread_mutex_unlock(&sc->lock);
		return;
	}
	if (ev->type != MCU_SIP_EV_CANCELLED && ev->type != MCU_SIP_EV_FAILED &&
	    ev->type != MCU_SIP_EV_TERMINATED)
		return;
	enum mcu_part_state st = MCU_PART_DISCONNECTED;
	bool reported = false;
	pthread_mutex_lock(&sc->lock);
	e = mcu_sipcalls_find(sc, call);
	if (e) {
		a = *e;
		reported = a.reported;
		if (!reported) {
			mcu_sipcalls_out_ended(sc, e, ev->type ==
			                       MCU_SIP_EV_TERMINATED,
			                       ev->status, ev->reason);
			st = mcu_sipcalls_state_after(sc, a.meeting,
			                              a.endpoint);
		}
		*e = sc->calls[--sc->n];
		/* The freed slot held the call's SRTP keys. */
		explicit_bzero(&sc->calls[sc->n], sizeof(sc->calls[sc->n]));
		mcu_sipcalls_note_use(sc);
	}
	pthread_mutex_unlock(&sc->lock);
	if (!e)
		return;
	mcu_sipcalls_release_ports(&a.ports);
	if (a.attached) {
		mcu_sipcalls_set_part_state(sc, a.meeting, a.endpoint, st,
		                            true);
		mcu_log_info("%s: %s hung up (%s)", a.meeting, a.endpoint,
		             ev->reason);
	} else if (a.outgoing && !reported) {
		mcu_sipcalls_set_part_state(sc, a.meeting, a.endpoint, st,
		                            false);
	}
	mcu_sip_call_put(a.call);
}

/* A re-INVITE: answer it from the same ports; a change of address, codec
   or direction gives the participant a new leg, keeping its place. */
static void on_reinvite(struct mcu_sip_call *call, const char *sdp,
                        size_t sdp_len, void *arg)
{
	struct mcu_sipcalls *sc = arg;
	struct mcu_sdp_session *offer = NULL;
	struct mcu_snapshot *snap = NULL;
	struct mcu_sdp_caps caps;
	struct mcu_sdp_neg neg;
	struct mcu_leg_params p;
	struct active a, *e;
	char *answer = NULL;
	int err;

	pthread_mutex_lock(&sc->lock);
	e = mcu_sipcalls_find(sc, call);
	bool up = e && e->attached;
	if (up)
		a = *e;
	pthread_mutex_unlock(&sc->lock);
	if (!up) {
		mcu_sip_call_respond(call, 488, "No media in this call", NULL);
		return;
	}
	if (!sdp) {
		mcu_sip_call_respond(call, 488, "An SDP offer is required", NULL);
		return;
	}
	if (mcu_sdp_parse(&offer, sdp, sdp_len)) {
		mcu_sip_call_respond(call, 400, "Malformed SDP", NULL);
		return;
	}
	snap = sc->o.snapshot(sc->o.arg);
	long epi = mcu_conf_endpoint_index(snap->conf, a.endpoint);
	if (epi < 0) {
		mcu_sip_call_respond(call, 488, "Endpoint left the roster",
		                     NULL);
		goto out;
	}
	const struct mcu_conf_endpoint *ep = &snap->conf->endpoints[epi];
	uint16_t vport = a.leg.has_video ? mcu_netio_addr_port(&a.leg.local_video)
	                                 : 0;
	uint16_t aport = a.leg.has_audio ? mcu_netio_addr_port(&a.leg.local_audio)
	                                 : 0;
	mcu_sipcalls_caps(ep, &caps);
	/* Our keys stay those of the call (RFC 4568 allows keeping them). */
	struct mcu_sipcalls_keys fresh;
	if (!mcu_sipcalls_srtp(snap->conf, ep, a.sdes_ok, &caps, &fresh)) {
		mcu_sip_call_respond(call, 488, "SRTP over SIP TLS required",
		                     NULL);
		goto out;
	}
	explicit_bzero(&fresh, sizeof(fresh));
	/* Probe first: streams the old leg had keep their ports. */
	struct mcu_sdp_local loc = {.addr = a.local, .audio_port = 9,
	                            .video_port = 9};
	if (caps.srtp != MCU_SDP_SRTP_OFF) {
		loc.audio_key = a.keys.audio;
		loc.video_key = a.keys.video;
	}
	err = mcu_sdp_answer(offer, &caps, &loc, &neg, &answer);
	free(answer);
	answer = NULL;
	if (!err)
		err = mcu_sipcalls_leg_params(snap->conf, ep, &neg, a.local,
		                              vport, aport, &p);
	if (err) {
		mcu_sip_call_respond(call, mcu_sdp_sip_status(err),
		                     "No common codec", NULL);
		goto out;
	}
	mcu_sipcalls_leg_srtp(&p, &neg, &a.keys);
	p.id = (uint32_t)a.slot + 1;
	/* The old leg's ports are free for a moment while the new leg
	   binds them: should another process take one, the answer names
	   a fresh pair (mcu_room_local_ports below). */
	p.port_may_move = true;
	if (!same_media(&p, &a.leg)) {
		struct mcu_room *room = mcu_engine_acquire(sc->o.engine,
		                                           a.meeting);
		err = room ? mcu_room_reattach(room, a.slot, &p,
		                               p.hold ? MCU_PART_ON_HOLD
		                                      : MCU_PART_CONNECTED)
		           : ENOENT;
		if (!err)
			mcu_room_local_ports(room, a.slot, &vport, &aport);
		if (room)
			mcu_engine_release(sc->o.engine, room);
		if (err) {
			mcu_sip_call_respond(call, 500, "Media change failed",
			                     NULL);
			goto out;
		}
		mcu_netio_addr_set_port(&p.local_video, vport);
		mcu_netio_addr_set_port(&p.local_audio, aport);
		mcu_log_info("%s: %s re-INVITE: %s", a.meeting, a.endpoint,
		             p.hold ? "on hold" : "media updated");
	}
	pthread_mutex_lock(&sc->lock);
	e = mcu_sipcalls_find(sc, call);
	if (e) {
		e->leg = p;
		e->leg.label = NULL;
		e->ping_us = 0;
		loc.sess_id = e->sess_id;
		loc.sess_version = ++e->sess_ver;
	}
	pthread_mutex_unlock(&sc->lock);
	loc.video_port = p.has_video ? vport : 0;
	loc.audio_port = p.has_audio ? aport : 0;
	err = mcu_sdp_answer(offer, &caps, &loc, &neg, &answer);
	if (err)
		mcu_sip_call_respond(call, mcu_sdp_sip_status(err), NULL, NULL);
	else
		mcu_sip_call_respond(call, 200, NULL, answer);
out:
	if (answer)
		explicit_bzero(answer, strlen(answer));
	free(answer);
	mcu_sdp_free(offer);
	mcu_snapshot_put(snap);
	explicit_bzero(&a, sizeof(a));
	explicit_bzero(&p, sizeof(p));
	explicit_bzero(&neg, sizeof(neg));
}

static void on_dtmf(struct mcu_sip_call *call, char digit,
                    unsigned duration_ms, void *arg)
{
	struct mcu_sipcalls *sc = arg;
	struct active a = {0};
	struct active *e;
	(void)duration_ms;
	pthread_mutex_lock(&sc->lock);
	e = mcu_sipcalls_find(sc, call);
	if (e && e->attached)
		a = *e;
	pthread_mutex_unlock(&sc->lock);
	if (!a.attached)
		return;
	struct mcu_room *room = mcu_engine_acquire(sc->o.engine, a.meeting);
	if (room) {
		mcu_room_dtmf(room, a.slot, digit);
		mcu_engine_release(sc->o.engine, room);
	}
}

struct mcu_sip_handlers mcu_sipcalls_handlers(struct mcu_sipcalls *sc)
{
	struct mcu_sip_handlers h = {
		.incoming = on_incoming,
		.event = on_event,
		.reinvite = on_reinvite,
		.dtmf = on_dtmf,
		.arg = sc,
	};
	return h;
}
