/*
 * floor: who may be heard and who is shown as the speaker in one meeting
 * (design.md, "Roles, floor and views"). Participants are slots 0..n-1;
 * one slot is the host.
 *
 *   open     voice-activated: everyone whose voice is active (the mixer's
 *            noise gate) is audible; the loudest branch becomes the floor
 *            speaker once it has been the loudest for the hold time
 *            (1.5 s by default), so the speaker tile does not flap.
 *   chaired  the host and the floor holder are audible. Branches ask for
 *            the floor (DTMF, SIP INFO, API) and wait in a queue in order
 *            of request; the host or an operator grants (a named slot or
 *            the next in the queue), revokes.
 *   lecture  the host only; branches may still ask (the queue is kept).
 *
 * Pure logic with the time passed in (milliseconds, monotonic): the
 * meeting's audio tick calls mcu_floor_update() every 20 ms; the control
 * side calls request/grant/revoke. The caller serialises the calls.
 */
#ifndef MCU_FLOOR_H
#define MCU_FLOOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "conf/config.h"

struct mcu_floor;

#define MCU_FLOOR_NONE (-1L)
#define MCU_FLOOR_HOLD_MS 1500

enum mcu_floor_role {
	MCU_FLOOR_ROLE_NONE = 0,  /* "none" */
	MCU_FLOOR_ROLE_REQUESTED, /* "requested": in the queue */
	MCU_FLOOR_ROLE_HOLDER,    /* "holder": has the floor / is the speaker */
	MCU_FLOOR_ROLE_HOST,      /* "host" */
};

/* `host` is the host's slot or MCU_FLOOR_NONE. 0, EINVAL or ENOMEM. */
int mcu_floor_alloc(struct mcu_floor **floorp, enum mcu_floor_mode mode,
                    size_t n_slots, long host);
struct mcu_floor *mcu_floor_free(struct mcu_floor *floor);

void mcu_floor_set_mode(struct mcu_floor *floor, enum mcu_floor_mode mode);
enum mcu_floor_mode mcu_floor_mode(const struct mcu_floor *floor);
void mcu_floor_set_hold_ms(struct mcu_floor *floor, int64_t hold_ms);

/*
 * A branch asks for the floor: queued at the end. EALREADY when it is
 * queued or holds the floor, EINVAL for the host or a bad slot, EPERM in
 * open mode (there is nothing to ask for).
 */
int mcu_floor_request(struct mcu_floor *floor, long slot);

/* A branch withdraws its request (or gives the floor back). 0 / ENOENT. */
int mcu_floor_withdraw(struct mcu_floor *floor, long slot);

/*
 * Give the floor to `slot` (MCU_FLOOR_NONE: the first in the queue). The
 * previous holder, if any, loses it. ENOENT when the queue is empty,
 * EINVAL for the host or a bad slot, EPERM in open mode.
 */
int mcu_floor_grant(struct mcu_floor *floor, long slot);

/* Take the floor back from its holder. 0, or ENOENT when nobody has it. */
int mcu_floor_revoke(struct mcu_floor *floor);

/* A participant left: drop it from the queue and the floor. */
void mcu_floor_leave(struct mcu_floor *floor, long slot);

/* The floor holder (chaired/lecture) or the open-mode branch speaker. */
long mcu_floor_holder(const struct mcu_floor *floor);

/* Open: the loudest participant including the host, with the same hold
 * time. Chaired: the holder, else the host. Lecture: the host. */
long mcu_floor_speaker(const struct mcu_floor *floor);

/* Copy up to `max` queued slots in order; returns the queue length. */
size_t mcu_floor_queue(const struct mcu_floor *floor, long *out, size_t max);

enum mcu_floor_role mcu_floor_role(const struct mcu_floor *floor, long slot);
const char *mcu_floor_role_name(enum mcu_floor_role role);

/*
 * The audio tick: `voice[i]` and `level[i]` (dBov) from the mixer,
 * `present[i]` whether slot i is in the meeting and not muted. Updates the
 * open-mode speaker and fills `audible[i]`. Returns true when the holder or
 * the speaker changed (the views must follow).
 */
bool mcu_floor_update(struct mcu_floor *floor, int64_t now_ms,
                      const bool *voice, const double *level,
                      const bool *present, bool *audible);

#endif
