/*
 * dtmf (mcu): what a participant's keypad presses mean in a meeting. Keys
 * arrive one at a time, from RFC 4733 telephone-events (transport/dtmf.h
 * turns the packets into one key per press) or from SIP INFO
 * (transport/sip.h); this interpreter turns them into conference actions.
 * Pure, with the time passed in (milliseconds, monotonic); one
 * struct mcu_dtmf_keys per participant, used by whoever serialises that
 * participant's events (the engine's control loop).
 *
 * Key map (also in docs/joining.md):
 *
 *   keys     who      action
 *   *1       branch   ask for the floor             FLOOR_REQUEST
 *   *0       branch   withdraw / give the floor back FLOOR_WITHDRAW
 *   *9       anyone   report an incident (poor sound or picture) to the
 *                     host's technician             INCIDENT_REPORT
 *   *6       anyone   mute / unmute myself          SELF_MUTE_TOGGLE
 *   1#       host     grant the floor to the head of the queue  GRANT(0)
 *   1<n>#    host     grant it to the n-th in the queue, n >= 1 as
 *                     numbered on screen (11# = 1#)  GRANT(n - 1)
 *   2#       host     revoke the floor              REVOKE
 *   3<n>#    host     layout preset n (n >= 0)      LAYOUT_PRESET(n)
 *   4#       host     tour: next page               TOUR_NEXT
 *   5#       host     tour: previous page           TOUR_PREV
 *   0#       host     clear the floor queue         QUEUE_CLEAR
 *
 * Timing: a `*` command is `*` and one more key less than 3000 ms later;
 * after that the `*` is forgotten. The host's digits collect in a buffer
 * of at most 8 keys until `#`; it is emptied when 5000 ms or more pass
 * between two keys, by a `*` (which starts a `*` command), and by `#`.
 * A ninth digit spoils the buffer: the next `#` does nothing. Unknown
 * sequences, commands of the other role, and A-D do nothing.
 */
#ifndef MCU_DTMF_H
#define MCU_DTMF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MCU_DTMF_KEYS_STAR_MS 3000 /* `*` and its key: less than this */
#define MCU_DTMF_KEYS_IDLE_MS 5000 /* the host's buffer empties */
#define MCU_DTMF_KEYS_MAX     8    /* digits the host's buffer holds */

enum mcu_dtmf_action {
	MCU_DTMF_ACT_NONE = 0,
	MCU_DTMF_ACT_FLOOR_REQUEST,
	MCU_DTMF_ACT_FLOOR_WITHDRAW,
	MCU_DTMF_ACT_INCIDENT_REPORT,
	MCU_DTMF_ACT_SELF_MUTE_TOGGLE,
	MCU_DTMF_ACT_GRANT, /* arg: queue position, 0 = head */
	MCU_DTMF_ACT_REVOKE,
	MCU_DTMF_ACT_LAYOUT_PRESET, /* arg: preset number as typed */
	MCU_DTMF_ACT_TOUR_NEXT,
	MCU_DTMF_ACT_TOUR_PREV,
	MCU_DTMF_ACT_QUEUE_CLEAR,
};

struct mcu_dtmf_cmd {
	enum mcu_dtmf_action action;
	unsigned arg;
};

/* One participant's keypad state. Fields are private; embed it and set it
   up with mcu_dtmf_keys_init(). */
struct mcu_dtmf_keys {
	bool host;
	bool star; /* a `*` waits for its key */
	int64_t star_at;
	char buf[MCU_DTMF_KEYS_MAX];
	size_t len;
	bool spoiled; /* more than MCU_DTMF_KEYS_MAX digits */
	bool have_last;
	int64_t last_at; /* previous key */
};

/* `host`: the meeting's host endpoint (host commands), else a branch. */
void mcu_dtmf_keys_init(struct mcu_dtmf_keys *k, bool host);

/*
 * Feed one key ('0'-'9', '*', '#', 'A'-'D'; anything else counts as an
 * unknown key) pressed at `now_ms`. Returns true and fills *cmd when the
 * key completes a command; false otherwise (cmd->action = NONE).
 */
bool mcu_dtmf_keys_feed(struct mcu_dtmf_keys *k, char key, int64_t now_ms,
                        struct mcu_dtmf_cmd *cmd);

/* "floor-request", "floor-withdraw", "incident-report",
   "self-mute-toggle", "grant", "revoke", "layout-preset", "tour-next",
   "tour-prev", "queue-clear", "none". */
const char *mcu_dtmf_action_name(enum mcu_dtmf_action action);

#endif
