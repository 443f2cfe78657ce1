/*
 * Shared between room.c (structure and control), room_video.c (the video
 * tick) and room_audio.c (the audio tick). Not a public header.
 */
#ifndef MCU_ROOM_INTERNAL_H
#define MCU_ROOM_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>

#include "codec/aenc.h"
#include "codec/venc.h"
#include "layout/catalog.h"
#include "layout/compose.h"
#include "layout/view.h"
#include "mcu/content.h"
#include "mcu/dtmf.h"
#include "mcu/mixer.h"
#include "mcu/room.h"
#include "transport/kfreq.h"

struct vgroup;

/* room_control.c: keypad commands beyond the floor's (lock held);
   ENOTSUP for others. */
int mcu_room_dtmf_control(struct mcu_room *room, long slot,
                          const struct mcu_dtmf_cmd *cmd);

/* room.c: wait until the ticks running now have finished (lock held),
   before freeing what they may have copied (a leg, the content). */
void mcu_room_wait_ticks(struct mcu_room *room);

/* room_video.c: the views' source list from the slots (lock held). */
void mcu_room_rebuild_ids(struct mcu_room *room);

/* What the video tick copies of a slot under the lock. */
struct vt_part {
	struct mcu_leg *leg;
	enum mcu_part_state state;
	bool mute_video;
	bool visible;
	AVFrame *frame; /* latest picture, this tick */
	/* its arrival (latency probe) when new this tick, else 0; the
	   newest arrival taken so far */
	int64_t new_arrival_us, last_arrival_us;
	/* this tick: shown in a tile at most half / more than half its size */
	bool shown_small, shown_large;
	/* video tick: decoded last tick; visible but left undecoded by the
	   decoders cap (mcu/limits.h: a "paused" card) */
	bool decoding, paused, paused_logged;
};

struct part {
	size_t endpoint;          /* index into conf->endpoints */
	uint32_t id;              /* slot + 1: the id views use */
	const char *eid;          /* roster id */
	const char *name;         /* roster name (tile label) */
	bool host;
	/* room->lock */
	bool removed;             /* left the roster by a reload: hidden */
	struct mcu_leg *leg;
	enum mcu_part_state state;
	bool mute_audio, mute_video;
	struct mcu_dtmf_keys keys; /* lock */
	unsigned reports;          /* lock: incidents reported (keypad *9) */
	/* video tick only */
	struct vgroup *group;
	/* audio tick only */
	struct mcu_aenc *own_aenc; /* its N-1 mix while audible */
	bool was_audible;
};

/* One encoder group: a distinct picture at one size, codec, bitrate. */
struct vgroup {
	uint64_t view_key;
	int width, height, bitrate;
	enum mcu_vcodec codec;
	int h264_mode;
	struct mcu_venc *enc;
	struct mcu_view view;  /* this tick's picture */
	AVFrame *canvas;       /* this tick's composed canvas */
	struct mcu_kfreq *kf;
	unsigned idle_ticks;  /* ticks without a member */
	bool used;            /* has members this tick */
	/* A picture without a live source (cards only) is encoded at a low
	 * rate: see room_video.c "Still pictures". */
	bool held;            /* this tick: nothing new, not encoded */
	bool still;           /* the last picture encoded was still */
	uint64_t still_sig;   /* ...and its inputs' signature */
	int64_t last_encode_us; /* when the last picture was encoded */
	int64_t last_key_us;    /* when the last key frame went out */
	/* This tick's inputs, kept from planning to drawing (room_video.c
	 * encode_groups): valid during the tick only. */
	struct mcu_tile tiles[MCU_LAYOUT_MAX_TILES];
	struct mcu_compose_tile in[MCU_LAYOUT_MAX_TILES];
	size_t ntiles;
	bool draw;            /* this tick: a picture is composed and encoded */
	bool key;             /* ...as a key frame */
	bool key_kf;          /* this tick: kfreq granted the key frame */
	bool key_waited;      /* the last key frame wanted was put off */
	unsigned fresh;       /* this tick: tiles whose picture is new */
	struct vgroup *next;
};

struct mcu_room {
	struct mcu_room_env env;
	struct mcu_snapshot *snap;
	const struct mcu_conf *conf;
	const struct mcu_conf_meeting *m;
	char id[128];

	pthread_mutex_t lock;
	pthread_cond_t tick_done;   /* lock: a tick finished */
	uint64_t vgen, agen;        /* lock: ticks finished */
	bool vrunning, arunning;    /* lock */
	struct part *parts;         /* room->cap slots; n_parts used; slots
	                               are never moved; a reload (with no
	                               tick running) appends or removes */
	_Atomic size_t n_parts;
	size_t cap;
	struct mcu_snapshot **old_snaps; /* kept until the room ends: their
	                                    strings may still be in use */
	size_t n_old_snaps;
	long host_slot;
	struct mcu_floor *floor;    /* lock */
	struct mcu_layout host_layout, branch_layout; /* lock */
	unsigned tour_seconds;
	int tour_steps;             /* lock: tour pages stepped, not yet shown */
	/* lock: operators' pins per role ([0] host, [1] branches), at most
	   one per tile and one per participant (room_pin.c) */
	struct mcu_view_pin pins[2][MCU_LAYOUT_MAX_TILES];
	size_t n_pins[2];
	bool self_view;
	int fps;
	const char *preset;
	int keyint;

	/* video tick only */
	struct mcu_compose *compose;
	struct vt_part *vt;      /* per slot, this tick */
	uint32_t *ids;           /* slot + 1, roster order, not removed */
	size_t n_ids;
	bool ids_dirty;          /* lock: a reload changed the slots */
	struct vgroup *groups;
	struct mcu_view_tour tour;
	uint64_t frame_no;

	/* audio tick only */
	struct mcu_mixer *mixer;
	struct mcu_leg **vt_audio; /* per slot, this tick */
	struct mcu_aenc *common_aenc[MCU_ACODEC_G722 + 1];
	AVFrame *pcm_frame;
	double *levels;  /* also read by the API under lock */
	bool *voice, *present, *audible;
	bool a_open;          /* this tick: open floor (every voice heard at once) */
	long a_host, a_holder; /* this tick: slots decoded every frame */
	_Atomic size_t a_decoded; /* this tick: legs decoded */
	bool test_tone;    /* lock: test run, a tone in every output */
	uint64_t tone_pos; /* samples since the tone was turned on */

	/* content (mcu/content.c): the file playing (lock), the ticks'
	   copies of it and the video tick's picture of it */
	struct mcu_content *content;
	struct mcu_content *vt_content, *at_content;
	AVFrame *content_frame;

	struct mcu_tick *vtick, *atick;

	/* recording (room_record.c): the running one (lock), the ticks'
	   copies of it, the last stopped one (lock) */
	struct room_rec *rec, *vrec, *arec, *rec_done;
	int64_t arec_deadline_ns; /* audio tick only: this tick's time */
	int64_t alast_deadline_ns; /* audio tick only: the last frame's */
	/* the audio clock's alignment with the heard (room_audio.c), audio
	   tick only: per slot the least slack of this window's packets and
	   the frames that had one; frames in the window */
	struct align_slot {
		int64_t least_us;
		unsigned n;
	} *a_align;
	unsigned a_align_frames;
	atomic_uint_fast64_t a_shifts; /* clock moves made (statistics) */

	/* live stills (room_view.c) */
	AVFrame *view_canvas[2]; /* lock: last picture of [0] host, [1] branches */
	const struct vgroup *view_group[2]; /* video tick only: its group */
	uint64_t view_key[2];               /* video tick only */
	struct room_still {                 /* room_view.c's stills lock */
		uint8_t *jpeg;
		size_t len;
		int64_t at_us; /* CLOCK_MONOTONIC */
	} view_still[2];

	size_t dec_held; /* video tick: decoders granted by mcu/limits */
	/* statistics, lock */
	size_t stat_encoders, stat_views, stat_decoders, stat_aencs;
	size_t stat_adecoded; /* audio legs decoded in the last tick */
	uint64_t stat_encoders_opened; /* lock */
	uint64_t stat_keys_deferred;   /* lock */
	double compose_ms, encode_ms, mix_ms;
	int64_t next_report_us;
	int64_t next_long_log_us; /* video tick only: rate of its warning */
};

void mcu_room_video_tick(int64_t deadline_ns, int64_t now_ns, void *arg);
void mcu_room_audio_tick(int64_t deadline_ns, int64_t now_ns, void *arg);
void mcu_room_video_free(struct mcu_room *room);
void mcu_room_audio_free(struct mcu_room *room);
/* room_view.c: keep this tick's pictures of the host and of the branches
 * (video tick, after the groups are composed); free them with the room. */
void mcu_room_view_keep(struct mcu_room *room);
void mcu_room_view_free(struct mcu_room *room);

/* room_record.c. Video tick: let the recording's view take a group
   (after the viewers'), and tap its packets; audio tick: tap the common
   mix's Opus packet, then encode the mix if nothing was tapped; free with
   the room once the ticks are gone. */
struct vgroup *mcu_room_find_group(struct mcu_room *room, uint64_t key,
                                   const struct mcu_leg_params *lp);
void mcu_room_rec_assign(struct mcu_room *room,
                         const struct mcu_view_input *vi);
void mcu_room_rec_video(struct mcu_room *room, const struct vgroup *g,
                        const AVPacket *pkt, bool key, int64_t deadline_ns);
void mcu_room_rec_audio_tap(struct mcu_room *room, const AVPacket *pkt);
void mcu_room_rec_audio(struct mcu_room *room, const int16_t *mix);
void mcu_room_rec_free(struct mcu_room *room);

#endif
