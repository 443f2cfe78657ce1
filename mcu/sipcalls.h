/*
 * sipcalls: the SIP calls of running meetings. The SIP thread's
 * callbacks (transport/sip.h) land here: admission by the roster
 * (mcu/admission.h: who may call, from where, into which meeting, with
 * digest authentication when the endpoint has `auth`), SDP offer/answer
 * (transport/sdp.h) against the endpoint's codec preferences, and a media
 * leg in the meeting's room (mcu/room.h) made from the negotiated streams.
 * A second call from an endpoint that is already in replaces the first.
 * BYE, CANCEL and failures take the leg out again. A re-INVITE changes
 * address, codec or direction (hold/resume) of a participant without
 * taking it out of the meeting.
 *
 * Dial-out: a meeting with `dial: out` calls its SIP endpoints when its
 * room starts (test run or meeting), paced and retried by mcu/dialout,
 * from a dialer thread of this module; operators dial or hang up one
 * endpoint. Dead legs: a participant whose media stopped for 2 s gets an
 * OPTIONS ping inside its dialog; no answer within 2 s (or an error) and
 * still no media ends the call: its tile shows "disconnected" and a
 * wanted endpoint is redialled (docs/joining.md).
 *
 * The callbacks run on the SIP thread; the other functions may be called
 * from any thread.
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
	/* May be NULL. A new call of an endpoint replaced its old one (a
	   rebooted terminal dialled in again without a BYE): the participant
	   stays connected, so only this tells the logbook that an attendance
	   ended and another began. SIP thread, sipcalls lock held: queue,
	   never block. */
	void (*replaced)(void *arg, const char *meeting, const char *endpoint);
};

int mcu_sipcalls_alloc(struct mcu_sipcalls **scp,
                       const struct mcu_sipcalls_opts *opts);
struct mcu_sipcalls *mcu_sipcalls_free(struct mcu_sipcalls *sc);

/* The handlers to give mcu_sip_alloc() (arg: sc). */
struct mcu_sip_handlers mcu_sipcalls_handlers(struct mcu_sipcalls *sc);

/* SIP runs: dial-out may begin (starts the dialer thread). 0 or an
   errno. */
int mcu_sipcalls_set_sip(struct mcu_sipcalls *sc, struct mcu_sip *sip);

/* A meeting's room started (its test run or the meeting): a `dial: out`
   meeting calls its endpoints. */
void mcu_sipcalls_room_started(struct mcu_sipcalls *sc, const char *meeting);

/* A reload changed a running meeting's branches (the room has them
   already): calls of endpoints that left end; a dial-out meeting calls
   the new ones. */
void mcu_sipcalls_room_updated(struct mcu_sipcalls *sc, const char *meeting);

/* A meeting's room stopped: stop dialling, hang up its calls. */
void mcu_sipcalls_room_stopped(struct mcu_sipcalls *sc, const char *meeting);

/*
 * Operator: call endpoint `endpoint` of running meeting `meeting` now
 * (dial), or hang it up and do not call it again until dialled (hangup).
 * Returns an HTTP status: 202 accepted, 404 unknown meeting or endpoint,
 * 409 (not running, already connected, no SIP address); `detail` says
 * why in English.
 */
int mcu_sipcalls_operator(struct mcu_sipcalls *sc, const char *meeting,
                          const char *endpoint, bool dial, char *detail,
                          size_t len);

/* Dial-out state of an endpoint for the API ("" when it is not dialled
   out); *attempts and *last_status (-1: none) set when known. */
const char *mcu_sipcalls_dial_state(struct mcu_sipcalls *sc,
                                    const char *meeting, const char *endpoint,
                                    unsigned *attempts, int *last_status);

#endif
