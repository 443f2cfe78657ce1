/*
 * watch: once a second, looks at every live room and turns what changed
 * into events (GET /api/v1/events: join, leave, floor, incident), logbook
 * rows (joined, left, incident raised/cleared) and log lines.
 *
 * Two layers. The decision core is pure: a per-participant state machine
 * (struct mcu_watch_part) fed with one observation per sample and a
 * monotonic time; it says who joined or left and which incidents were
 * raised or cleared, and knows nothing of rooms, JSON or SQLite, so unit
 * tests drive it with made-up counters and no sleeping. Above it, struct
 * mcu_watch keeps one machine per participant of every running room,
 * reads the rooms through the engine (mcu_watch_sample()) or takes
 * observations from the caller (mcu_watch_feed()), and reports.
 *
 * Incidents (the regulation: technicians report a lost connection or poor
 * sound or picture to the host's technician), for the host and branches
 * that have been connected at least once in this room:
 *   connection-lost  was connected, now is not; cleared on reconnection
 *   packet-loss      lost/(received+lost) over the last 5 s above 5 % in
 *                    audio or video received; cleared after 5 s below 2 %
 *   no-video         video negotiated and seen, then no video packet for
 *                    5 s; cleared when video packets come again
 *   rtt              RTT at least twice its baseline (the median of its
 *                    first 5 samples) and at least 50 ms, for 3 s; cleared
 *                    after 5 s under 1.5 x baseline (or under 37.5 ms)
 *   reported         its technician pressed *9 on the keypad (docs/joining.md):
 *                    the host's technician is named to be told; cleared
 *                    MCU_WATCH_REPORT_CLEAR_US after the last press (a
 *                    new press while it is open keeps it open, no new
 *                    event), or when the meeting ends
 * A participant on hold (re-INVITE) is present but its media is not
 * judged. A participant that leaves has its media incidents cleared.
 *
 * Threads: every function of struct mcu_watch is for one thread (the
 * daemon's control loop); the event sink and the logbook never block.
 */
#ifndef MCU_WATCH_H
#define MCU_WATCH_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "mcu/api.h"
#include "mcu/engine.h"
#include "mcu/logbook.h"
#include "mcu/room.h"
#include "mcu/snapshot.h"
#include "mcu/timeline.h"

/* ---- the decision core (pure) ---------------------------------------- */

#define MCU_WATCH_LOSS_RAISE           0.05    /* fraction lost: raise above */
#define MCU_WATCH_LOSS_CLEAR           0.02    /* ... clear below, for: */
#define MCU_WATCH_LOSS_CLEAR_US        5000000 /* 5 s */
#define MCU_WATCH_LOSS_WINDOW_US       5000000 /* counters compared over 5 s */
#define MCU_WATCH_LOSS_MIN_SPAN_US     2000000 /* judged once 2 s are known */
#define MCU_WATCH_LOSS_MIN_PACKETS     50      /* expected in the window */
#define MCU_WATCH_GAP_US               2000000 /* media back after this: fresh window */
#define MCU_WATCH_NO_VIDEO_US          5000000
#define MCU_WATCH_RTT_BASELINE_SAMPLES 5
#define MCU_WATCH_RTT_FLOOR_MS         50.0
#define MCU_WATCH_RTT_RAISE_US         3000000
#define MCU_WATCH_RTT_CLEAR_US         5000000
#define MCU_WATCH_REPORT_CLEAR_US      120000000 /* 2 min after the last *9 */

enum mcu_watch_kind {
	MCU_WATCH_CONNECTION_LOST = 0,
	MCU_WATCH_PACKET_LOSS,
	MCU_WATCH_NO_VIDEO,
	MCU_WATCH_RTT,
	MCU_WATCH_REPORTED,
	MCU_WATCH_KINDS
};

/* "connection-lost", "packet-loss", "no-video", "rtt", "reported" (""
   if unknown). */
const char *mcu_watch_kind_name(enum mcu_watch_kind kind);

/* What one sample saw of one participant (counters are cumulative). */
struct mcu_watch_obs {
	enum mcu_part_state state;
	bool has_video, has_audio; /* negotiated on its leg */
	uint64_t vin_packets, vin_lost;
	uint64_t ain_packets, ain_lost;
	double rtt_ms; /* < 0: unknown */
	unsigned reports; /* incidents reported from its keypad, cumulative */
};

/* What one step decided. */
struct mcu_watch_step {
	bool joined;
	bool left;
	const char *leave_reason; /* static string when left */
	unsigned raised;          /* bits 1u << enum mcu_watch_kind */
	unsigned cleared;
	char detail[MCU_WATCH_KINDS][128]; /* for each raised/cleared kind */
};

struct mcu_watch_part;

int mcu_watch_part_alloc(struct mcu_watch_part **pp);
struct mcu_watch_part *mcu_watch_part_free(struct mcu_watch_part *p);

/*
 * Feed one observation at monotonic time now_us (samples may come at any
 * pace; only durations matter). `out` is overwritten.
 */
void mcu_watch_part_step(struct mcu_watch_part *p,
                         const struct mcu_watch_obs *o, int64_t now_us,
                         struct mcu_watch_step *out);

/* The room stops: a present participant leaves with `reason`, every open
 * incident is cleared, and the machine starts afresh. */
void mcu_watch_part_end(struct mcu_watch_part *p, const char *reason,
                        struct mcu_watch_step *out);

/* Bits of the incidents open now; whether it is in the meeting now. */
unsigned mcu_watch_part_open(const struct mcu_watch_part *p);
bool mcu_watch_part_present(const struct mcu_watch_part *p);

/* ---- the room watcher ------------------------------------------------ */

struct mcu_watch;

struct mcu_watch_opts {
	struct mcu_engine *engine;   /* NULL: only mcu_watch_feed() */
	struct mcu_api *api;         /* events; may be NULL */
	struct mcu_logbook *logbook; /* may be NULL */
	void *arg;
	/* A new reference to the snapshot in force (required with engine). */
	struct mcu_snapshot *(*snapshot)(void *arg);
	/* The daemon's state of meeting `index`; logbook rows are written
	 * only while it is live (not during a test run). NULL: always. */
	enum mcu_meeting_state (*state)(void *arg, const struct mcu_conf *conf,
	                                size_t index, time_t now);
	/* Optional observer of every event (type, data borrowed), called
	 * before it is published: tests, or another sink. */
	void (*event)(void *arg, const char *type, const json_t *data);
};

int mcu_watch_alloc(struct mcu_watch **wp, const struct mcu_watch_opts *o);
/* Forgets every room without reporting. Returns NULL. */
struct mcu_watch *mcu_watch_free(struct mcu_watch *w);

/*
 * Look at every running room of the snapshot's meetings (the daemon's
 * 1 Hz tick). A room watched before and not running any more is treated
 * as mcu_watch_room_stopped().
 */
void mcu_watch_sample(struct mcu_watch *w, int64_t now_mono_us,
                      time_t now_wall);

/* One participant as the caller saw it (strings borrowed for the call). */
struct mcu_watch_input {
	const char *endpoint; /* roster id, required */
	const char *name;     /* may be NULL */
	bool host;
	const char *tech_name, *tech_phone; /* technician; NULL: unknown */
	struct mcu_watch_obs obs;
};

/* The floor as the caller saw it (strings borrowed for the call). */
struct mcu_watch_floor {
	const char *mode;   /* "open", "chaired", "lecture" */
	const char *holder; /* NULL: nobody */
	const char *const *queue;
	size_t n_queue;
};

/*
 * One sample of one room from the caller (what mcu_watch_sample() does
 * for each running room). `logging`: write logbook rows (the meeting is
 * live); turning it on writes a joined row for everyone present and a
 * raised row for every open incident. `floor` may be NULL.
 */
void mcu_watch_feed(struct mcu_watch *w, const char *meeting, bool logging,
                    const struct mcu_watch_input *in, size_t n,
                    const struct mcu_watch_floor *floor, int64_t now_mono_us,
                    time_t now_wall);

/*
 * The incidents open now in every watched room, a new array reference
 * (NULL: no memory): {meeting, endpoint, name, role, kind, since (UTC
 * ISO 8601, when raised), detail (the raise's), technician ({name, phone}
 * or null)}, plus host_technician for `reported` (GET /api/v1/incidents);
 * NULL for a NULL watcher.
 * With an API the watcher hands it this list whenever an incident is
 * raised or cleared (mcu_api_set_incidents()).
 */
json_t *mcu_watch_incidents(const struct mcu_watch *w);

/* The meeting's room stopped (or is about to): a last sample of it (while
 * the engine still has it: joins of its last second are reported, logged
 * as before), then everyone present leaves ("meeting-ended"), open
 * incidents are cleared, its state forgotten. */
void mcu_watch_room_stopped(struct mcu_watch *w, const char *meeting,
                            time_t now_wall);

#endif
