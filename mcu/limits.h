/*
 * limits: caps that make the MCU refuse new work instead of overloading
 * (issue 9 item 6). The caps come from `mcu.limits` in the roster
 * (struct mcu_conf_limits, reloadable: each check reads the snapshot in
 * force); 0 means no cap.
 *
 *   participants_per_meeting  calls of one meeting (dial-in and dial-out,
 *                             ringing included); a new call beyond it is
 *                             refused: 503 + Retry-After (dial-in), not
 *                             placed (dial-out: the dialler's back-off
 *                             retries it)
 *   calls                     SIP calls of the whole MCU, same treatment
 *   decoders                  video sources decoded by all meetings; a
 *                             source that becomes visible beyond it is not
 *                             decoded and its tile shows a "Tạm dừng" card;
 *                             sources already decoded keep their decoder
 *
 * A call of an endpoint that is already in the meeting replaces its old
 * call (a rebooted terminal): it is never refused, so the caller does not
 * count itself.
 *
 * The pure part (mcu_limits_check_call, mcu_limits_budget_take) has no
 * state. The process-wide part (the decoder budget, the use the API and
 * /metrics show, the refusal counters) is a handful of atomics: any
 * thread may call it.
 */
#ifndef MCU_LIMITS_H
#define MCU_LIMITS_H

#include <stddef.h>

#include <jansson.h>

#include "conf/config.h"

struct mcu_metrics;

/* What a refused call gets (also in docs/joining.md). */
#define MCU_LIMITS_STATUS        503
#define MCU_LIMITS_REASON        "Capacity reached"
#define MCU_LIMITS_RETRY_AFTER_S 60

enum mcu_limit {
	MCU_LIMIT_NONE = 0,
	MCU_LIMIT_PARTICIPANTS, /* participants_per_meeting */
	MCU_LIMIT_CALLS,
	MCU_LIMIT_DECODERS,
	MCU_LIMIT_COUNT
};

/* What a new call would join. */
struct mcu_limits_use {
	size_t
	    participants; /* calls of the meeting, the caller's not counted */
	size_t calls;     /* calls of the MCU, the caller's not counted */
};

/*
 * Which cap a new call would exceed: MCU_LIMIT_PARTICIPANTS when
 * use->participants + 1 > caps->participants_per_meeting, else
 * MCU_LIMIT_CALLS when use->calls + 1 > caps->calls, else MCU_LIMIT_NONE
 * (also for NULL arguments). Pure.
 */
enum mcu_limit mcu_limits_check_call(const struct mcu_conf_limits *caps,
                                     const struct mcu_limits_use *use);

/* The key name ("participants_per_meeting", "calls", "decoders"; "none"). */
const char *mcu_limits_name(enum mcu_limit l);
/* The cap of `l` in caps (0: none). */
unsigned mcu_limits_cap(const struct mcu_conf_limits *caps, enum mcu_limit l);

/*
 * A shared budget (decoders): *used is the total held by everyone, *held
 * what this holder has. The holder wants `want` now: it gets
 * min(want, cap - (others' share)) (all of `want` when cap is 0), *held and
 * *used move by the difference (atomically on *used). Returns the grant.
 * A holder that gives everything back passes want = 0.
 */
size_t mcu_limits_budget_take(size_t *used, unsigned cap, size_t *held,
                              size_t want);

/* ---- process-wide ---- */

/* The decoder budget of the process (mcu_limits_budget_take on it). */
size_t mcu_limits_decoders_take(unsigned cap, size_t *held, size_t want);

/* The caps in force (the latest snapshot that was checked). */
void mcu_limits_configure(const struct mcu_conf_limits *caps);
/* The calls the MCU holds and the largest number in one meeting. */
void mcu_limits_note_calls(size_t calls, size_t busiest_meeting);
/* Count one refusal and log it (meeting, endpoint, the limit and its cap). */
void mcu_limits_refused(enum mcu_limit l, unsigned cap, const char *meeting,
                        const char *endpoint, const char *how);

/*
 * {"participants_per_meeting": {"max", "used"}, "calls": {...},
 *  "decoders": {...}, "refused": {"<limit>": n, ...}} with the caps of
 * `caps` (NULL: the configured ones); "used" of participants_per_meeting is
 * the busiest meeting's calls. New reference, NULL on ENOMEM.
 */
json_t *mcu_limits_json(const struct mcu_conf_limits *caps);

/*
 * Register on `m`: gauges mcu_limit{limit} (the cap, 0: none) and
 * mcu_limit_used{limit}, counter mcu_limit_refused_total{limit}, updated
 * at each render. 0, EEXIST (already there), ENOMEM, EINVAL.
 */
int mcu_limits_metrics_register(struct mcu_metrics *m);

/* Tests: every process-wide counter back to 0. */
void mcu_limits_reset(void);

#endif
