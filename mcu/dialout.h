/*
 * dialout: when the MCU calls the endpoints of one meeting, as a state
 * machine with the time passed in (milliseconds, monotonic). It places
 * no call itself: mcu_dialout_poll() says which endpoints to INVITE (and
 * which ringing calls to cancel) now, the engine does it and reports the
 * outcome back. Owned by one meeting; the caller serialises the calls
 * (the SIP/control loop).
 *
 * Order and pacing: endpoints are called host first, then the branches in
 * roster order; among endpoints that are due, the one due earliest goes
 * first (ties: list order). INVITEs are spaced by at least 1000/rate ms
 * (default 50/s, roster mcu.sip.dial_rate: one every 20 ms, so 100
 * endpoints take 2 s and never arrive at once; with burst 1, any 1000 ms
 * window holds at most `rate`), and at most `max_outstanding` (default
 * 50, roster mcu.sip.dial_max_ringing) ring at once.
 *
 * Outcome of one attempt:
 *   answered                       connected
 *   408 480 486 500 503 504 600,   back-off, then another attempt, until
 *   0 (transport failure), no      the run's attempt limit (5 at start,
 *   answer within ring_timeout     unlimited after a drop): given up
 *   (30 s: poll() cancels it)
 *   anything else >= 300 (403,    given up at once ("final"); the reason
 *   404, 488, 603, 3xx, 401...)    is kept for the API
 * Back-off after the k-th failed attempt of a run: backoff_first_ms *
 * 2^(k-1), capped at backoff_max_ms (5 s, 10 s, 20 s, 40 s, 60 s, 60 s...).
 *
 * A connected endpoint that drops while it is wanted is redialled at once
 * (pacing permitting) with a fresh run (limit redial_attempts, 0 =
 * unlimited, the same capped back-off). Operators: operator_dial() makes
 * one endpoint wanted and starts a run (also for a given-up one, or in a
 * dial-in meeting that never called start()); operator_hangup() makes it
 * unwanted, nothing redials it until operator_dial(). stop() (meeting end)
 * makes everyone unwanted.
 *
 * Calls are matched by a token: every DIAL action carries a fresh one,
 * and the engine passes it back with the outcome. An outcome with another
 * token (a call we already cancelled or hung up, a 200 OK that crossed
 * our CANCEL) is stale: the function returns ESTALE and changes nothing,
 * and the engine hangs that call up if it is still up.
 */
#ifndef MCU_DIALOUT_H
#define MCU_DIALOUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "conf/config.h"

struct mcu_dialout;

enum mcu_dialout_state {
	MCU_DIALOUT_IDLE = 0,  /* "idle": not wanted (before start, after
	                          stop, or dropped while unwanted) */
	MCU_DIALOUT_QUEUED,    /* "queued": first attempt of a run, waiting
	                          for a pacing slot */
	MCU_DIALOUT_DIALING,   /* "dialing": INVITE out, not answered */
	MCU_DIALOUT_CONNECTED, /* "connected" */
	MCU_DIALOUT_BACKOFF,   /* "backoff": waiting for next_at to retry */
	MCU_DIALOUT_GIVEN_UP,  /* "given-up": final status or limit */
	MCU_DIALOUT_HUNG_UP,   /* "hung-up": by the operator */
};

struct mcu_dialout_params {
	unsigned rate;             /* INVITEs per second; 0 = 50 */
	unsigned burst;            /* INVITEs that may go back to back after a
	                              pause; 0 = 1 */
	unsigned max_outstanding;  /* ringing at once; 0 = 50 */
	unsigned ring_timeout_ms;  /* no answer: cancel; 0 = 30000 */
	unsigned backoff_first_ms; /* 0 = 5000 */
	unsigned backoff_max_ms;   /* 0 = 60000 */
	unsigned start_attempts;   /* per run from start/operator; 0 = 5 */
	unsigned redial_attempts;  /* per run after a drop; 0 = unlimited */
};

enum mcu_dialout_action_kind {
	MCU_DIALOUT_DIAL = 0, /* INVITE the endpoint (mcu_sip_dial) */
	MCU_DIALOUT_CANCEL,   /* no answer in time: hang the call up */
};

struct mcu_dialout_action {
	enum mcu_dialout_action_kind kind;
	size_t slot;      /* position in the dial list */
	size_t endpoint;  /* conf->endpoints index */
	uint32_t token;   /* of the call to place / to cancel */
	unsigned attempt; /* 1-based attempt of the current run */
};

/* What the API shows of one endpoint. */
struct mcu_dialout_info {
	size_t endpoint;
	enum mcu_dialout_state state;
	bool wanted;             /* redialled when it drops */
	unsigned attempts;       /* INVITEs sent in total */
	unsigned run_attempts;   /* INVITEs of the current run */
	int last_status;         /* last failure: SIP status, 0 = transport,
	                            408 for no answer; -1 = none yet */
	const char *last_reason; /* its phrase, "" if none; valid until the
	                            next call on this dialout */
	int64_t next_at_ms;      /* QUEUED/BACKOFF: when due; DIALING: ring
	                            deadline; else -1 */
	int64_t since_ms;        /* when the current state began */
	uint32_t token;          /* current call (DIALING/CONNECTED), 0 none */
};

/*
 * A dialout over `n` endpoints (conf->endpoints indices) in dial order.
 * params may be NULL (defaults). All start IDLE. Returns 0, EINVAL or
 * ENOMEM; *dp set only on success.
 */
int mcu_dialout_alloc(struct mcu_dialout **dp, const size_t *endpoints,
                      size_t n, const struct mcu_dialout_params *params);

/*
 * The same for meeting `meeting` of `conf`: the host, then its branches
 * in roster order, leaving out endpoints without a sip URI (static RTP
 * legs) and cascade links that call us (direction in). EINVAL for a bad
 * index.
 */
int mcu_dialout_alloc_meeting(struct mcu_dialout **dp,
                              const struct mcu_conf *conf, size_t meeting,
                              const struct mcu_dialout_params *params);

/* Returns NULL. */
struct mcu_dialout *mcu_dialout_free(struct mcu_dialout *d);

/* The meeting (or its test run) starts: every IDLE endpoint is queued at
   `now` and wanted; connected ones become wanted. Given-up and hung-up
   ones stay as they are (calling start() again changes nothing). */
void mcu_dialout_start(struct mcu_dialout *d, int64_t now);

/*
 * The meeting (or its test run) ends: nobody is wanted, nothing is
 * dialled any more, every endpoint not CONNECTED becomes IDLE, given-up
 * and hung-up ones too, so that a later start() (the meeting after its
 * test run) calls everyone again. The engine hangs up the meeting's
 * calls; their outcomes come back stale, or as drops (-> IDLE).
 */
void mcu_dialout_stop(struct mcu_dialout *d, int64_t now);

/*
 * What to do at `now`: first CANCEL for every call that rang past its
 * timeout (its endpoint goes to back-off, as for a 408), then DIAL for
 * due endpoints as pacing and max_outstanding allow. Writes at most `max`
 * actions to `out` (the rest waits for the next poll) and returns how
 * many it wrote. A DIAL puts the endpoint in DIALING at once.
 */
size_t mcu_dialout_poll(struct mcu_dialout *d, int64_t now,
                        struct mcu_dialout_action *out, size_t max);

/* When poll() has something to do next (<= now: at once), or INT64_MAX. */
int64_t mcu_dialout_next_wakeup(const struct mcu_dialout *d, int64_t now);

/* The call with `token` was answered (2xx). 0, ESTALE, EINVAL. */
int mcu_dialout_on_answered(struct mcu_dialout *d, size_t slot, uint32_t token,
                            int64_t now);

/*
 * The call with `token` failed before it was answered: `status` is the
 * final SIP status (0 = transport failure), `reason` its phrase (may be
 * NULL; copied, truncated). 0, ESTALE, EINVAL.
 */
int mcu_dialout_on_failed(struct mcu_dialout *d, size_t slot, uint32_t token,
                          int status, const char *reason, int64_t now);

/* The established call with `token` ended (BYE, timeout). Wanted:
   redialled; else IDLE (HUNG_UP after an operator hang-up). */
int mcu_dialout_on_dropped(struct mcu_dialout *d, size_t slot, uint32_t token,
                           int64_t now);

/*
 * The endpoint joined by calling in (admission accepted it): CONNECTED
 * with token 0 (pass 0 to on_dropped() when that call ends). If one of
 * our calls to it was ringing or up, *cancel_token gets its token (the
 * engine hangs it up: the new call replaces it), else 0. While the
 * meeting runs (start() without stop()) the endpoint becomes wanted
 * unless the operator hung it up. 0 or EINVAL.
 */
int mcu_dialout_on_joined(struct mcu_dialout *d, size_t slot, int64_t now,
                          uint32_t *cancel_token);

/*
 * Persistent (a cascade link, mcu/cascade.h): its runs have no attempt
 * limit, so a remote MCU that is down or whose meeting is not live yet
 * is called again with the capped back-off until it answers; a final
 * status (404, 403...) still gives up. 0 or EINVAL.
 */
int mcu_dialout_set_persistent(struct mcu_dialout *d, size_t slot, bool on);

/*
 * Operator: call this endpoint now (a new run with start_attempts).
 * EALREADY when it is DIALING or CONNECTED; 0 or EINVAL.
 */
int mcu_dialout_operator_dial(struct mcu_dialout *d, size_t slot, int64_t now);

/*
 * Operator: hang this endpoint up and do not call it again. *hangup_token
 * gets the token of its ringing or established call (0: none), which the
 * engine ends. 0 or EINVAL.
 */
int mcu_dialout_operator_hangup(struct mcu_dialout *d, size_t slot, int64_t now,
                                uint32_t *hangup_token);

size_t mcu_dialout_count(const struct mcu_dialout *d);
/* Slot of endpoint `endpoint` (conf index), or -1. */
long mcu_dialout_slot(const struct mcu_dialout *d, size_t endpoint);
/* 0 or EINVAL. */
int mcu_dialout_info(const struct mcu_dialout *d, size_t slot,
                     struct mcu_dialout_info *info);

/* Whether a failure with `status` is worth another attempt (see top). */
bool mcu_dialout_status_retryable(int status);

/* "idle", "queued", "dialing", "connected", "backoff", "given-up",
   "hung-up". */
const char *mcu_dialout_state_name(enum mcu_dialout_state state);

#endif
