/*
 * Delayed offer (RFC 3261 13.2.1, RFC 3264 3): an INVITE without a body
 * asks us to offer. Cisco CUCM trunks and some hardware terminals call
 * this way. We answer 200 OK with the offer we would make when dialling
 * that endpoint (its codec preferences, SDES keys under its SRTP
 * policy), and the endpoint's answer arrives in the ACK.
 *
 * The RTP ports named in the offer are bound at once and held in the
 * call's table entry (as for a dial-out) until the ACK: the leg then
 * takes these very sockets over, so no other process can take a port
 * the offer named. The participant joins only when the ACK's answer is
 * negotiated; an ACK without SDP, or with an answer that accepts
 * nothing we offered, ends the call with BYE (logged). When no ACK ever
 * comes, the SIP stack ends the dialog and the TERMINATED event frees
 * the entry and its ports as for any call.
 */
#define MCU_LOG_MODULE "sipcalls"
#include "conf/log.h"
#include "mcu/admission.h"
#include "mcu/sipcalls_internal.h"
#include "transport/netio.h"
#include "transport/sdp.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

void mcu_sipcalls_delayed_offer(struct mcu_sipcalls *sc,
                                struct mcu_sip_call *call,
                                const struct mcu_sip_incoming *in,
                                const struct mcu_conf *conf,
                                const struct mcu_admission *adm)
{
	const struct mcu_conf_meeting *m = &conf->meetings[adm->meeting];
	const struct mcu_conf_endpoint *ep = &conf->endpoints[adm->endpoint];
	struct reserved r = {.fd = {0, 0, 0, 0}};
	struct mcu_sipcalls_keys keys;
	struct mcu_sdp_caps caps;
	struct active *a;
	char local[64], *offer = NULL;

	memset(&keys, 0, sizeof(keys));
	bool tls = in->proto == MCU_SIP_TLS;
	if (!mcu_sipcalls_dialin_media(call, in, conf, m->id, ep,
	                               "delayed offer: ", &caps, &keys, local,
	                               sizeof(local)))
		goto out;
	if (mcu_sipcalls_reserve_ports(conf, local, &r)) {
		mcu_sip_call_respond(call, 500, "No media ports", NULL);
		goto out;
	}
	pthread_mutex_lock(&sc->lock);
	a = mcu_sipcalls_add(sc, call, m->id, ep->id, -1);
	struct mcu_sdp_local loc = {
	    .addr = local, .video_port = r.vport, .audio_port = r.aport};
	if (a) {
		a->delayed = true;
		a->sdes_ok = tls || conf->sdes_without_tls;
		a->keys = keys;
		a->ports = r;
		memset(r.fd, 0, sizeof(r.fd)); /* the entry's now */
		snprintf(a->local, sizeof(a->local), "%s", local);
		loc.sess_id = a->sess_id;
		loc.sess_version = a->sess_ver;
	}
	pthread_mutex_unlock(&sc->lock);
	if (!a) {
		mcu_sip_call_respond(call, 500, NULL, NULL);
		goto out;
	}
	if (caps.srtp != MCU_SDP_SRTP_OFF) {
		loc.audio_key = keys.audio;
		loc.video_key = keys.video;
	}
	if (mcu_sdp_offer(&caps, &loc, &offer)) {
		/* The FAILED event of this response frees the entry. */
		mcu_sip_call_respond(call, 500, "Cannot write an SDP offer",
		                     NULL);
		goto out;
	}
	mcu_sip_call_respond(call, 200, NULL, offer);
	mcu_log_info("%s: %s calls without SDP (delayed offer): offered, "
	             "waiting for the answer in the ACK",
	             m->id, ep->id);
out:
	mcu_sipcalls_release_ports(&r);
	if (offer)
		explicit_bzero(offer, strlen(offer));
	free(offer);
	explicit_bzero(&keys, sizeof(keys));
}

/* The answer of the ACK into leg parameters; NULL or why not. */
static const char *negotiate(const struct mcu_conf *conf,
                             const struct mcu_conf_endpoint *ep,
                             const struct active *a, const char *sdp,
                             size_t len, struct mcu_sdp_neg *neg,
                             struct mcu_leg_params *p)
{
	struct mcu_sdp_session *answer = NULL;
	struct mcu_sdp_caps caps;
	struct mcu_sipcalls_keys unused;
	const char *why = NULL;

	mcu_sipcalls_caps(ep, &caps);
	if (!mcu_sipcalls_srtp(conf, ep, a->sdes_ok, &caps, &unused))
		why = "SRTP is required but the call is not over SIP TLS";
	else if (!sdp)
		why = "the ACK carries no SDP answer";
	else if (mcu_sdp_parse(&answer, sdp, len))
		why = "the ACK's SDP is malformed";
	else if (mcu_sdp_parse_answer(answer, &caps, neg))
		why = caps.srtp == MCU_SDP_SRTP_REQUIRED
		          ? "the ACK's answer has no usable SRTP stream"
		          : "the ACK's answer accepts none of our codecs";
	else if (mcu_sipcalls_leg_params(conf, ep, neg, a->local,
	                                 a->ports.vport, a->ports.aport, p))
		why = "the ACK's answer has no usable stream";
	explicit_bzero(&unused, sizeof(unused));
	mcu_sdp_free(answer);
	return why;
}

void mcu_sipcalls_delayed_ack(struct mcu_sipcalls *sc,
                              struct mcu_sip_call *call, const char *sdp,
                              size_t len)
{
	struct mcu_snapshot *snap = NULL;
	struct mcu_sdp_neg neg;
	struct mcu_leg_params p;
	struct active a, *e;
	struct reserved r = {.fd = {0, 0, 0, 0}};
	const char *why = NULL;
	int err;

	memset(&neg, 0, sizeof(neg));
	memset(&p, 0, sizeof(p));
	pthread_mutex_lock(&sc->lock);
	e = mcu_sipcalls_find(sc, call);
	bool ours = e && e->delayed && !e->attached;
	if (ours) {
		a = *e;
		e->delayed = false;
		r = e->ports; /* the leg takes the offered sockets over */
		memset(e->ports.fd, 0, sizeof(e->ports.fd));
	}
	pthread_mutex_unlock(&sc->lock);
	if (!ours)
		return; /* an ordinary call's ACK */
	snap = sc->o.snapshot(sc->o.arg);
	long epi = mcu_conf_endpoint_index(snap->conf, a.endpoint);
	if (epi < 0) {
		why = "the endpoint left the roster";
		goto fail;
	}
	const struct mcu_conf_endpoint *ep = &snap->conf->endpoints[epi];
	why = negotiate(snap->conf, ep, &a, sdp, len, &neg, &p);
	if (why)
		goto fail;
	mcu_sipcalls_leg_srtp(&p, &neg, &a.keys);
	long slot;
	err = mcu_sipcalls_attach(sc, a.meeting, a.endpoint, true, &r, &p,
	                          &slot, NULL, NULL);
	if (err) {
		why = err == ESRCH ? "the meeting is not running"
		                   : "no media ports";
		goto fail;
	}
	bool gone = false;
	pthread_mutex_lock(&sc->lock);
	e = mcu_sipcalls_attached(sc, call, slot, &p);
	if (e)
		mcu_sipcalls_out_joined(sc, e);
	else
		gone = true;
	pthread_mutex_unlock(&sc->lock);
	if (gone) {
		/* Ended while we attached: take the leg out again. */
		mcu_sipcalls_detach(sc, a.meeting, slot);
		goto out;
	}
	mcu_log_info("%s: %s joins by SIP, delayed offer (%s%s%s%s)", a.meeting,
	             a.endpoint, p.has_video ? mcu_vcodec_name(p.vcodec) : "",
	             p.has_video && p.has_audio ? "+" : "",
	             p.has_audio ? mcu_acodec_name(p.acodec) : "",
	             p.video_srtp.suite || p.audio_srtp.suite ? ", SRTP" : "");
	goto out;
fail:
	mcu_log_warn("%s: %s: delayed offer: %s: hanging up (BYE)", a.meeting,
	             a.endpoint, why);
	mcu_sip_call_hangup(call);
out:
	/* The leg holds its own references to the sockets by now. */
	mcu_sipcalls_release_ports(&r);
	if (snap)
		mcu_snapshot_put(snap);
	explicit_bzero(&a, sizeof(a));
	explicit_bzero(&p, sizeof(p));
	explicit_bzero(&neg, sizeof(neg));
}
