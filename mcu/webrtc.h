/*
 * webrtc: browsers as meeting endpoints, through WHIP (RFC 9725) on the
 * API listener.
 *
 * A browser POSTs its SDP offer to /whip/{meeting} with a bearer token
 * (a one-time join link, or its endpoint's webrtc_token_file); the
 * endpoint must be in the meeting's roster and the meeting live. We
 * gather ICE candidates (transport/ice), answer with every candidate,
 * our certificate's fingerprint and a=setup:passive, and return 201 with
 * Location /whip/{meeting}/{resource}. ICE and DTLS (transport/dtls) then
 * run on the ICE context's thread; when DTLS is up and the browser's
 * certificate matched its fingerprint, the exported SRTP keys go into an
 * ordinary leg (mcu/leg) attached to the endpoint's slot, so the browser
 * is composed, mixed and counted like any other endpoint.
 *
 * Between the one ICE socket (BUNDLE, rtcp-mux) and the leg's two RTP
 * sockets sits a relay over loopback: SRTP from the browser goes to the
 * leg's video or audio socket by payload type (RTCP by sender SSRC), and
 * what the leg sends (already SRTP, with the DTLS keys) goes out on the
 * selected ICE pair. The leg does the SRTP work, so a packet injected on
 * loopback fails authentication there and is counted. DELETE on the
 * Location, an ICE failure, a DTLS close or the end of the meeting ends
 * the session and frees the slot.
 *
 * Threads: the API's connection threads call offer/end/link/info; the
 * rest runs on the ICE context's thread. A table lock guards the
 * sessions.
 */
#ifndef MCU_WEBRTC_H
#define MCU_WEBRTC_H

#include <stddef.h>

#include "mcu/api.h"
#include "mcu/engine.h"
#include "mcu/snapshot.h"

struct mcu_webrtc;

struct mcu_webrtc_opts {
	struct mcu_engine *engine;
	void *arg;
	/* A new reference to the snapshot in force. */
	struct mcu_snapshot *(*snapshot)(void *arg);
};

/* Make the certificate and start the ICE context. 0 or an errno. */
int mcu_webrtc_alloc(struct mcu_webrtc **wp, const struct mcu_webrtc_opts *o);
/* End every session and stop. Returns NULL. */
struct mcu_webrtc *mcu_webrtc_free(struct mcu_webrtc *w);

/* The API hooks of WHIP, join links and the join page (arg: w). */
struct mcu_api_whip mcu_webrtc_api(struct mcu_webrtc *w);

/* Sessions now (any state). */
size_t mcu_webrtc_sessions(struct mcu_webrtc *w);

#endif
