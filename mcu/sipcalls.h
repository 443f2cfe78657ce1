/*
 * sipcalls: SIP dial-in into running meetings. The SIP thread's
 * callbacks (transport/sip.h) land here: admission by the roster
 * (mcu/admission.h: who may call, from where, into which meeting, with
 * digest authentication when the endpoint has `auth`), SDP offer/answer
 * (transport/sdp.h) against the endpoint's codec preferences, and a media
 * leg in the meeting's room (mcu/room.h) made from the negotiated streams.
 * A second call from an endpoint that is already in replaces the first.
 * BYE, CANCEL and failures take the leg out again.
 *
 * Runs on the SIP thread; mcu_sipcalls_room_stopped() may be called from
 * the control loop.
 */
#ifndef MCU_SIPCALLS_H
#define MCU_SIPCALLS_H

#include "mcu/engine.h"
#include "mcu/snapshot.h"
#include "mcu/timeline.h"
#include "transport/sip.h"

struct mcu_sipcalls;

struct mcu_sipcalls_opts {
	struct mcu_engine *engine;
	void *arg;
	/* A new reference to the snapshot in force. */
	struct mcu_snapshot *(*snapshot)(void *arg);
	/* The daemon's state of meeting `index` (started early, stopped). */
	enum mcu_meeting_state (*state)(void *arg, const struct mcu_conf *conf,
	                                size_t index, time_t now);
};

int mcu_sipcalls_alloc(struct mcu_sipcalls **scp,
                       const struct mcu_sipcalls_opts *opts);
struct mcu_sipcalls *mcu_sipcalls_free(struct mcu_sipcalls *sc);

/* The handlers to give mcu_sip_alloc() (arg: sc). */
struct mcu_sip_handlers mcu_sipcalls_handlers(struct mcu_sipcalls *sc);

/* A meeting's room stopped: hang up its calls (any thread). */
void mcu_sipcalls_room_stopped(struct mcu_sipcalls *sc, const char *meeting);

#endif
