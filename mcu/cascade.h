/*
 * cascade: a meeting that includes another MCU's meeting as one
 * participant (a meeting's cascade:, docs/deployment.md "Cascading a
 * district MCU").
 *
 * The roster loader (conf/config_cascade.c) makes each link an endpoint
 * of its own, a branch of its meeting, so the SIP call between the two
 * MCUs is an ordinary call: dial-out (direction out, with the dialer's
 * back-off, without its attempt limit) or dial-in (direction in, the
 * remote MCU identified by its From URI and allow list like any
 * endpoint); its media an ordinary leg, decoded like any source, one
 * tile and one audio source. What each side sends the other is what a
 * branch there sees and hears, less the link itself:
 *
 *   video  the branches' layout (host large, the floor holder beside),
 *          never with the link's own tile even when the meeting sets
 *          self_view, so no picture travels back to where it came from;
 *   audio  the mix without the link's own sound (the room's N-1 mix
 *          while the link is audible; the common mix holds only the
 *          audible, so the link is never in the one it receives).
 *
 * The functions here are the hooks the dialer, the video tick and the
 * API call; all read the snapshot only (any thread).
 */
#ifndef MCU_CASCADE_H
#define MCU_CASCADE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "conf/config.h"
#include "mcu/dialout.h"

/* Whether endpoint `e` of `conf` is a cascade link. */
bool mcu_cascade_is_link(const struct mcu_conf *conf, size_t e);

/* Whether the MCU places calls for meeting `m` when it goes live: a
   dial: out meeting, or one with a link of direction out. */
bool mcu_cascade_dials(const struct mcu_conf *conf,
                       const struct mcu_conf_meeting *m);

/*
 * The meeting `meeting` of `conf` went live with dialout `d` (made by
 * mcu_dialout_alloc_meeting()): links are made persistent
 * (mcu_dialout_set_persistent()); a dial: out meeting calls everyone
 * (mcu_dialout_start()), a dial: in one only its links of direction out.
 */
void mcu_cascade_dialout_start(struct mcu_dialout *d,
                               const struct mcu_conf *conf, size_t meeting,
                               int64_t now_ms);

/*
 * API: add to the JSON object `o` of endpoint `ep` (a participant, a
 * directory entry; NULL: unknown) its "kind" ("endpoint" or "cascade")
 * and, for a link, "cascade": {"direction", "uri"}. 0, EINVAL or ENOMEM.
 */
int mcu_cascade_api_part(json_t *o, const struct mcu_conf_endpoint *ep);

#endif
