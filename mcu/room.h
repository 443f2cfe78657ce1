/*
 * room: the media of one live meeting (design.md "Data flow"): its
 * participants (one slot per roster member: the host and each branch),
 * the video tick that composes each distinct view once and encodes it
 * once per encoder group, the 20 ms audio tick that mixes once and
 * encodes the common mix once per codec, the floor and the views.
 *
 * The control side (the daemon's control loop, the SIP thread through
 * the daemon, the API) changes the room's structure through the functions
 * below; the ticks read it under the room lock and work without it.
 */
#ifndef MCU_ROOM_H
#define MCU_ROOM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "layout/catalog.h"
#include "mcu/floor.h"
#include "mcu/leg.h"
#include "mcu/metrics.h"
#include "mcu/snapshot.h"
#include "mcu/ticker.h"
#include "mcu/workpool.h"
#include "transport/netio.h"

struct mcu_room;

/* What a room needs from the engine that runs it. */
/* Histogram series the ticks observe (NULL: none), seconds. */
struct mcu_room_probes {
	struct mcu_metric *lateness_video;      /* tick start - deadline */
	struct mcu_metric *lateness_audio;
	struct mcu_metric *decode, *compose, *encode, *mix; /* per run */
	struct mcu_metric *latency_video, *latency_audio; /* may be NULL */
	struct mcu_metric *latency_decode; /* video's share: arrival to decoded */
};

struct mcu_room_env {
	struct mcu_workpool *pool;
	/* the audio tick's real-time worker (mcu_engine_params.rt_priority);
	   NULL: the audio tick runs on pool like the rest */
	struct mcu_workpool *audio_pool;
	struct mcu_ticker *ticker;
	struct mcu_netio *(*pick_netio)(void *arg); /* round-robin I/O thread */
	void *pick_arg;
	const char *run_dir; /* leg SDP files go to run_dir/<meeting>/ */
	const struct mcu_room_probes *probes; /* may be NULL */
};

enum mcu_part_state {
	MCU_PART_DISCONNECTED = 0,
	MCU_PART_DIALING,
	MCU_PART_CONNECTED,
	MCU_PART_ON_HOLD,
	MCU_PART_FAILED,
};

struct mcu_room_stats {
	size_t participants;  /* roster members */
	size_t connected;
	size_t encoders;      /* video encoder groups running */
	size_t views;         /* distinct pictures composed per tick */
	size_t decoders;      /* sources being decoded */
	size_t audio_encoders;
	size_t audio_decoded; /* legs whose sound the last audio tick decoded */
	uint64_t encoders_opened; /* video encoders opened since the start */
	uint64_t keyframes_deferred; /* key frames put off a tick (spread) */
	uint64_t video_ticks, video_ticks_skipped;
	uint64_t video_ticks_late; /* run after an overrunning tick, late
	                              but not skipped */
	uint64_t audio_ticks, audio_ticks_skipped;
	uint64_t audio_clock_moves; /* the audio clock aligned with the heard */
	double video_late_ms_max, audio_late_ms_max;
	double compose_ms, encode_ms, mix_ms; /* mean per tick, last period */
};

/*
 * Start the media of meeting `meeting` of `snap` (a reference is kept).
 * Static RTP endpoints of the roster get their legs at once, and an SDP
 * describing what the MCU sends them is written to
 * run_dir/<meeting>/<endpoint>.sdp. Returns 0 or an errno.
 */
int mcu_room_alloc(struct mcu_room **roomp, const struct mcu_room_env *env,
                   struct mcu_snapshot *snap, size_t meeting);

/* Stop the ticks, free every leg. Returns NULL. */
struct mcu_room *mcu_room_free(struct mcu_room *room);

const char *mcu_room_id(const struct mcu_room *room);

/* The snapshot the room runs on (borrowed: valid while the room is). */
struct mcu_snapshot *mcu_room_snapshot(const struct mcu_room *room);

/* Slot of an endpoint id, or -1. */
long mcu_room_slot(const struct mcu_room *room, const char *endpoint);

/*
 * Connect slot `slot` with a leg made from `params` (the engine fills
 * ports and addresses from SDP or the roster). A leg already there is
 * replaced (an endpoint that rebooted and called again). 0 or an errno.
 */
int mcu_room_attach(struct mcu_room *room, long slot,
                    const struct mcu_leg_params *params);

/*
 * Renegotiated media of a connected slot (a re-INVITE: new address,
 * codec or direction): its leg is replaced by one made from `params`,
 * which should name the old leg's local ports, while the participant
 * stays in the meeting with its floor place, mutes and pin; `state` is
 * CONNECTED or ON_HOLD. 0, ENOENT (no leg there) or an errno.
 */
int mcu_room_reattach(struct mcu_room *room, long slot,
                      const struct mcu_leg_params *params,
                      enum mcu_part_state state);

/*
 * A reload changed the roster: meeting `meeting` of `snap` is this room's
 * meeting. Branches that left are taken out (their legs freed, hidden
 * from views and lists); new ones get a slot (static RTP legs connect at
 * once; SIP ones are called or admitted by the caller's side) and every
 * name is taken from the new roster. The host cannot change while the
 * meeting runs (EBUSY); at most 64 branches may be added over the room's
 * life (ENOSPC). `ch` lists the slots added and removed.
 */
#define MCU_ROOM_CHANGE_MAX 64
struct mcu_room_change {
	long added[MCU_ROOM_CHANGE_MAX], removed[MCU_ROOM_CHANGE_MAX];
	size_t n_added, n_removed;
};
int mcu_room_update(struct mcu_room *room, struct mcu_snapshot *snap,
                    size_t meeting, struct mcu_room_change *ch);

/* Disconnect slot `slot` (its leg is freed once no tick uses it). */
void mcu_room_detach(struct mcu_room *room, long slot,
                     enum mcu_part_state state);

void mcu_room_set_state(struct mcu_room *room, long slot,
                        enum mcu_part_state state);

/* A key pressed at slot's endpoint (SIP INFO; RFC 4733 keys come from
 * the leg itself): floor requests and host commands, docs/joining.md. */
void mcu_room_dtmf(struct mcu_room *room, long slot, char key);

/* Floor control from the API or DTMF: 0 or an errno of mcu/floor.h. */
int mcu_room_floor_request(struct mcu_room *room, long slot);
int mcu_room_floor_withdraw(struct mcu_room *room, long slot);
int mcu_room_floor_grant(struct mcu_room *room, long slot);
int mcu_room_floor_revoke(struct mcu_room *room);

int mcu_room_mute(struct mcu_room *room, long slot, int audio, int video);

/* Change what the host (host=true) or the branches see. EINVAL: name. */
int mcu_room_set_layout(struct mcu_room *room, bool host, const char *name);

void mcu_room_stats(struct mcu_room *room, struct mcu_room_stats *st);

/* Test run (mcu/readiness.h): every audio output also carries a 1 kHz
   tone at -20 dBFS, 1 s in every 5 s, so technicians can check their
   speakers. Off by default; any thread but the ticks. */
#define MCU_ROOM_TONE_HZ       1000
#define MCU_ROOM_TONE_DBFS     (-20)
#define MCU_ROOM_TONE_ON_MS    1000
#define MCU_ROOM_TONE_PERIOD_MS 5000
void mcu_room_set_test_tone(struct mcu_room *room, bool on);

/*
 * Pin slot's participant to tile `tile` (0-based, as layout/catalog numbers
 * them) of the host's (host=true) or the branches' view: it stays there
 * whatever the speaker or the tour does (layout/view "Pins"). A participant
 * has at most one pin per role (a new one moves it) and a tile at most one
 * participant (a new pin takes it over). tile < 0 unpins. Returns 0, EINVAL
 * (no such slot), ERANGE (the role's layout has no such tile now) or
 * ENOENT (unpin of a participant that is not pinned). A pin outlives
 * layout changes; a layout with fewer tiles just ignores it.
 */
int mcu_room_pin(struct mcu_room *room, bool host, long slot, int tile);

struct mcu_room_pin_info {
	long slot;
	int tile; /* 0-based */
};
/* The pins of one role, at most max; returns how many were written. */
size_t mcu_room_pins(struct mcu_room *room, bool host,
                     struct mcu_room_pin_info *out, size_t max);

/* Turn the tour pages of every tour view now: steps > 0 forward, < 0
   back (keypad 4# / 5#, the API); the next page then stays its full
   tour_seconds. */
void mcu_room_tour_step(struct mcu_room *room, int steps);

/* Both roles' layouts from preset n of the meeting
   (mcu_conf_layout_preset(): 0 is the roster's layout). 0 or ENOENT. */
int mcu_room_layout_preset(struct mcu_room *room, unsigned n);

#define MCU_ROOM_QUEUE_MAX 128

struct mcu_room_floor {
	enum mcu_floor_mode mode;
	long holder;  /* slot or MCU_FLOOR_NONE */
	long speaker; /* slot or MCU_FLOOR_NONE */
	long queue[MCU_ROOM_QUEUE_MAX];
	size_t queued; /* may exceed MCU_ROOM_QUEUE_MAX */
	char host_layout[MCU_LAYOUT_NAME_MAX];
	char branch_layout[MCU_LAYOUT_NAME_MAX];
};

void mcu_room_floor_info(struct mcu_room *room, struct mcu_room_floor *out);

/* Local RTP ports of the slot's leg (0 when it has none). */
void mcu_room_local_ports(struct mcu_room *room, long slot, uint16_t *video,
                          uint16_t *audio);

/* Roster id of a slot's endpoint (NULL for a bad slot). */
const char *mcu_room_slot_endpoint(const struct mcu_room *room, long slot);

/* One participant's view of itself for the API. */
struct mcu_room_part {
	const char *endpoint; /* roster id */
	const char *name;
	bool host;
	enum mcu_part_state state;
	enum mcu_floor_role floor;
	bool muted_audio, muted_video;
	unsigned incident_reports; /* keypad *9 presses so far */
	double level_dbov;
	bool has_leg;
	bool webrtc; /* the leg came by WebRTC (WHIP), not SIP */
	struct mcu_leg_stats leg;
	int out_width, out_height;
	const char *vcodec, *acodec;
};

/*
 * A live still of what the host (host=true) or a typical branch (the
 * picture most branches share) sees: a JPEG at most MCU_ROOM_VIEW_WIDTH
 * wide of the last composed picture, encoded only when asked and cached
 * for MCU_ROOM_VIEW_CACHE_MS so that many viewers cost one encode. On
 * success *data is a malloc()ed copy the caller free()s. Returns 0, ENOENT
 * (no picture yet: no tick yet, or nobody of that role has video), ENOMEM
 * or EIO. Any thread except the room's ticks.
 */
#define MCU_ROOM_VIEW_WIDTH    640
#define MCU_ROOM_VIEW_CACHE_MS 500
int mcu_room_view_jpeg(struct mcu_room *room, bool host, uint8_t **data,
                       size_t *len);

/*
 * Recording (mcu/room_record.c, mcu/record.h): on=true starts a file of
 * the branches' view and the full mix in `dir` (made if missing), named
 * <meeting>-YYYYMMDDTHHMM.mkv; *pathp (may be NULL) gets a malloc()ed
 * copy of its path. on=false stops it and closes the file. Returns 0,
 * EALREADY (already so) or an errno. Control side or API, not the ticks.
 */
int mcu_room_record(struct mcu_room *room, bool on, const char *dir,
                    char **pathp);

struct mcu_room_recording {
	bool on;
	char file[512];   /* the running or last file, "" when none */
	time_t started;
	double seconds;   /* written so far */
	uint64_t bytes;
	uint64_t dropped; /* packets: slow disk, or after an error */
	int error;        /* errno that stopped the writing, or 0 */
	bool shared_encoder; /* its pictures come from a group that also
	                        serves participants (no encode of its own) */
};
void mcu_room_recording(struct mcu_room *room, struct mcu_room_recording *out);

/* Fill `out` for slot `slot`; false when the slot does not exist. */
bool mcu_room_part(struct mcu_room *room, long slot, struct mcu_room_part *out);
size_t mcu_room_slots(const struct mcu_room *room);

#endif
