/*
 * A room's structure (which participant has which leg, mutes, the floor,
 * the layouts) changes only through the functions here, under room->lock.
 * The ticks copy what they need under the lock and then work without it.
 * A leg taken out of a slot may still be in use by a tick that copied it
 * before: detach waits until every tick that was running has finished
 * (the tick generation counters) before freeing the leg, so no tick ever
 * holds a freed leg and no reference count is needed on the media path.
 */
#define MCU_LOG_MODULE "room"
#include "mcu/room_internal.h"
#include "conf/log.h"
#include "conf/pi_mutex.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static enum mcu_vcodec vcodec_of(const char *name)
{
	return name && !strcmp(name, "vp8") ? MCU_VCODEC_VP8 : MCU_VCODEC_H264;
}

static int acodec_of(const char *name, enum mcu_acodec *out)
{
	static const struct {
		const char *name;
		enum mcu_acodec codec;
	} map[] = {
		{"opus", MCU_ACODEC_OPUS},
		{"pcmu", MCU_ACODEC_PCMU},
		{"pcma", MCU_ACODEC_PCMA},
		{"g722", MCU_ACODEC_G722},
	};
	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
		if (name && !strcmp(name, map[i].name)) {
			*out = map[i].codec;
			return 0;
		}
	}
	return EINVAL;
}

/* Output picture by the endpoint's bandwidth (its bitrate tier). */
static void output_tier(unsigned bandwidth_kbps, int *w, int *h, int *bps)
{
	if (bandwidth_kbps >= 2000) {
		*w = 1280, *h = 720, *bps = 1800000;
	} else if (bandwidth_kbps >= 700) {
		*w = 640, *h = 360, *bps = 600000;
	} else {
		*w = 320, *h = 180, *bps = 200000;
	}
}

const char *mcu_room_id(const struct mcu_room *room)
{
	return room->id;
}

struct mcu_snapshot *mcu_room_snapshot(const struct mcu_room *room)
{
	return room->snap;
}

size_t mcu_room_slots(const struct mcu_room *room)
{
	return room->n_parts;
}

long mcu_room_slot(const struct mcu_room *room, const char *endpoint)
{
	/* A reload may change the slots: the lock is logically mutable. */
	pthread_mutex_t *lock = (pthread_mutex_t *)&room->lock;
	long slot = -1;
	pthread_mutex_lock(lock);
	for (size_t i = 0; i < room->n_parts && slot < 0; i++)
		if (!room->parts[i].removed &&
		    !strcmp(room->parts[i].eid, endpoint))
			slot = (long)i;
	pthread_mutex_unlock(lock);
	return slot;
}

static bool valid_slot(const struct mcu_room *room, long slot)
{
	return slot >= 0 && (size_t)slot < room->n_parts;
}

/* Wait until every tick running now has finished; lock held. */
static void wait_ticks(struct mcu_room *room)
{
	uint64_t v = room->vgen, a = room->agen;
	bool vr = room->vrunning, ar = room->arunning;
	while ((vr && room->vgen == v) || (ar && room->agen == a))
		pthread_cond_wait(&room->tick_done, &room->lock);
}

void mcu_room_wait_ticks(struct mcu_room *room)
{
	wait_ticks(room);
}

/* A key command of docs/joining.md; room->lock held. */
static int dtmf_command(struct mcu_room *room, long slot,
                        const struct mcu_dtmf_cmd *cmd)
{
	struct part *p = &room->parts[slot];
	long q[MCU_ROOM_QUEUE_MAX];
	size_t n;
	switch (cmd->action) {
	case MCU_DTMF_ACT_FLOOR_REQUEST:
		return mcu_floor_request(room->floor, slot);
	case MCU_DTMF_ACT_FLOOR_WITHDRAW:
		return mcu_floor_withdraw(room->floor, slot);
	case MCU_DTMF_ACT_SELF_MUTE_TOGGLE:
		p->mute_audio = !p->mute_audio;
		return 0;
	case MCU_DTMF_ACT_GRANT:
		if (cmd->arg == 0)
			return mcu_floor_grant(room->floor, MCU_FLOOR_NONE);
		n = mcu_floor_queue(room->floor, q, MCU_ROOM_QUEUE_MAX);
		return cmd->arg <= n && cmd->arg <= MCU_ROOM_QUEUE_MAX
		               ? mcu_floor_grant(room->floor, q[cmd->arg - 1])
		               : ENOENT;
	case MCU_DTMF_ACT_REVOKE:
		return mcu_floor_revoke(room->floor);
	case MCU_DTMF_ACT_QUEUE_CLEAR:
		n = mcu_floor_queue(room->floor, q, MCU_ROOM_QUEUE_MAX);
		for (size_t i = 0; i < n && i < MCU_ROOM_QUEUE_MAX; i++)
			mcu_floor_withdraw(room->floor, q[i]);
		return 0;
	default:
		/* incident reports, layout presets, tour paging */
		return mcu_room_dtmf_control(room, slot, cmd);
	}
}

/* Keys from RFC 4733 (I/O thread) or SIP INFO: floor requests etc. */
static void on_dtmf(void *arg, uint32_t id, char key)
{
	struct mcu_room *room = arg;
	struct mcu_dtmf_cmd cmd;
	int err = 0;
	bool done;
	if (id == 0 || id > room->n_parts)
		return;
	long slot = (long)id - 1;
	pthread_mutex_lock(&room->lock);
	done = mcu_dtmf_keys_feed(&room->parts[slot].keys, key,
	                          mcu_netio_now_us() / 1000, &cmd);
	if (done)
		err = dtmf_command(room, slot, &cmd);
	pthread_mutex_unlock(&room->lock);
	if (done)
		mcu_log_info("%s: %s: %s%s", room->id, room->parts[slot].eid,
		             mcu_dtmf_action_name(cmd.action),
		             err ? " (refused)" : "");
}

void mcu_room_dtmf(struct mcu_room *room, long slot, char key)
{
	if (valid_slot(room, slot))
		on_dtmf(room, (uint32_t)slot + 1, key);
}

int mcu_room_attach(struct mcu_room *room, long slot,
                    const struct mcu_leg_params *params)
{
	struct mcu_leg *leg = NULL, *old;
	struct mcu_leg_handlers h = {
		.dtmf = on_dtmf,
		.arg = room,
		.decode_seconds = room->env.probes ? room->env.probes->decode
		                                   : NULL,
	};
	int err;

	if (!valid_slot(room, slot) || room->parts[slot].removed)
		return EINVAL;
	/* Replace first: a rebooted terminal calls again from the same
	 * ports, which the old leg still holds. */
	mcu_room_detach(room, slot, MCU_PART_DISCONNECTED);
	err = mcu_leg_alloc(&leg, params,
	                    room->env.pick_netio(room->env.pick_arg),
	                    room->env.pool, &h);
	if (err)
		return err;
	pthread_mutex_lock(&room->lock);
	old = room->parts[slot].leg;
	room->parts[slot].leg = leg;
	room->parts[slot].state = MCU_PART_CONNECTED;
	pthread_mutex_unlock(&room->lock);
	if (old)
		mcu_leg_free(old); /* a racing attach: nobody else saw it */
	mcu_log_info("%s: %s connected", room->id, room->parts[slot].eid);
	return 0;
}

static void init_part(struct mcu_room *room, size_t i, size_t endpoint);
static void attach_static_leg(struct mcu_room *room, size_t i);

/* Slot of `eid` among all slots, removed ones too (lock held). */
static long find_slot(const struct mcu_room *room, const char *eid)
{
	for (size_t i = 0; i < room->n_parts; i++)
		if (!strcmp(room->parts[i].eid, eid))
			return (long)i;
	return -1;
}

static bool in_meeting(const struct mcu_conf *conf,
                       const struct mcu_conf_meeting *m, const char *eid)
{
	for (size_t b = 0; b < m->n_branches; b++)
		if (!strcmp(conf->endpoints[m->branches[b]].id, eid))
			return true;
	return false;
}

int mcu_room_update(struct mcu_room *room, struct mcu_snapshot *snap,
                    size_t meeting, struct mcu_room_change *ch)
{
	const struct mcu_conf *conf = snap->conf;
	const struct mcu_conf_meeting *m = &conf->meetings[meeting];
	struct mcu_leg **drop = NULL;
	size_t n_drop = 0, first_new, need = 0;
	struct mcu_snapshot **olds;

	memset(ch, 0, sizeof(*ch));
	if (meeting >= conf->n_meetings)
		return EINVAL;
	/* The grown array is the room's at once: realloc may have moved
	   it, so the old pointer must not outlive a failure below. */
	olds = realloc(room->old_snaps,
	               (room->n_old_snaps + 1) * sizeof(*olds));
	if (!olds)
		return ENOMEM;
	room->old_snaps = olds;
	drop = calloc(room->cap, sizeof(*drop));
	if (!drop)
		return ENOMEM;
	pthread_mutex_lock(&room->lock);
	if (strcmp(conf->endpoints[m->host_index].id,
	           room->parts[room->host_slot].eid)) {
		pthread_mutex_unlock(&room->lock);
		free(drop);
		return EBUSY; /* another host: at the next start */
	}
	for (size_t b = 0; b < m->n_branches; b++)
		need += find_slot(room, conf->endpoints[m->branches[b]].id) < 0;
	if (room->n_parts + need > room->cap) {
		pthread_mutex_unlock(&room->lock);
		free(drop);
		return ENOSPC;
	}
	/* No tick runs from here until the unlock. */
	wait_ticks(room);
	for (size_t i = 1; i < room->n_parts; i++) {
		struct part *p = &room->parts[i];
		if (p->removed || in_meeting(conf, m, p->eid))
			continue;
		p->removed = true;
		if (p->leg)
			drop[n_drop++] = p->leg;
		p->leg = NULL;
		p->state = MCU_PART_DISCONNECTED;
		mcu_floor_leave(room->floor, (long)i);
		room->levels[i] = MCU_MIXER_SILENCE_DBOV;
		if (ch->n_removed < MCU_ROOM_CHANGE_MAX)
			ch->removed[ch->n_removed] = (long)i;
		ch->n_removed++;
	}
	first_new = room->n_parts;
	for (size_t b = 0; b < m->n_branches; b++) {
		const char *eid = conf->endpoints[m->branches[b]].id;
		long s = find_slot(room, eid);
		if (s >= 0 && !room->parts[s].removed)
			continue;
		if (s >= 0) {
			room->parts[s].removed = false;
			room->parts[s].state = MCU_PART_DISCONNECTED;
		} else {
			s = (long)room->n_parts;
			room->conf = conf; /* init_part reads names from it */
			init_part(room, (size_t)s, m->branches[b]);
			room->n_parts = room->n_parts + 1;
		}
		if (ch->n_added < MCU_ROOM_CHANGE_MAX)
			ch->added[ch->n_added] = s;
		ch->n_added++;
	}
	/* Every slot's names now come from the new roster; the old one
	   stays alive with the room for anyone still reading it. */
	for (size_t i = 0; i < room->n_parts; i++) {
		struct part *p = &room->parts[i];
		long e = mcu_conf_endpoint_index(conf, p->eid);
		if (e < 0)
			continue;
		p->endpoint = (size_t)e;
		p->eid = conf->endpoints[e].id;
		p->name = conf->endpoints[e].name;
	}
	room->old_snaps[room->n_old_snaps++] = room->snap;
	room->snap = mcu_snapshot_get(snap);
	room->conf = conf;
	room->m = m;
	room->ids_dirty = true;
	pthread_mutex_unlock(&room->lock);
	for (size_t i = 0; i < n_drop; i++)
		mcu_leg_free(drop[i]);
	free(drop);
	for (size_t i = first_new; i < room->n_parts; i++)
		attach_static_leg(room, i);
	for (size_t i = 0; i < ch->n_added && i < MCU_ROOM_CHANGE_MAX; i++)
		if ((size_t)ch->added[i] < first_new &&
		    conf->endpoints[room->parts[ch->added[i]].endpoint]
		            .rtp.present)
			attach_static_leg(room, (size_t)ch->added[i]);
	return 0;
}

int mcu_room_reattach(struct mcu_room *room, long slot,
                      const struct mcu_leg_params *params,
                      enum mcu_part_state state)
{
	struct mcu_leg_handlers h = {
		.dtmf = on_dtmf,
		.arg = room,
		.decode_seconds = room->env.probes ? room->env.probes->decode
		                                   : NULL,
	};
	struct mcu_leg *leg = NULL, *old;
	int err;

	if (!valid_slot(room, slot))
		return EINVAL;
	pthread_mutex_lock(&room->lock);
	old = room->parts[slot].leg;
	room->parts[slot].leg = NULL;
	if (old)
		wait_ticks(room);
	pthread_mutex_unlock(&room->lock);
	if (!old)
		return ENOENT;
	/* The old leg holds the ports the new one binds. */
	mcu_leg_free(old);
	err = mcu_leg_alloc(&leg, params,
	                    room->env.pick_netio(room->env.pick_arg),
	                    room->env.pool, &h);
	pthread_mutex_lock(&room->lock);
	old = room->parts[slot].leg;
	room->parts[slot].leg = leg;
	room->parts[slot].state = err ? MCU_PART_FAILED : state;
	if (err)
		mcu_floor_leave(room->floor, slot);
	pthread_mutex_unlock(&room->lock);
	if (old)
		mcu_leg_free(old); /* a racing attach: nobody else saw it */
	if (err)
		mcu_log_error("%s: %s: new media failed: %s", room->id,
		              room->parts[slot].eid, strerror(err));
	else
		mcu_log_info("%s: %s media renegotiated (%s)", room->id,
		             room->parts[slot].eid,
		             state == MCU_PART_ON_HOLD ? "on hold" : "active");
	return err;
}

void mcu_room_detach(struct mcu_room *room, long slot,
                     enum mcu_part_state state)
{
	struct mcu_leg *leg;
	if (!valid_slot(room, slot))
		return;
	pthread_mutex_lock(&room->lock);
	leg = room->parts[slot].leg;
	room->parts[slot].leg = NULL;
	room->parts[slot].state = state;
	mcu_floor_leave(room->floor, slot);
	if (leg)
		wait_ticks(room);
	pthread_mutex_unlock(&room->lock);
	if (leg) {
		mcu_leg_free(leg);
		mcu_log_info("%s: %s left", room->id, room->parts[slot].eid);
	}
}

void mcu_room_set_state(struct mcu_room *room, long slot,
                        enum mcu_part_state state)
{
	if (!valid_slot(room, slot))
		return;
	pthread_mutex_lock(&room->lock);
	room->parts[slot].state = state;
	pthread_mutex_unlock(&room->lock);
}

#define FLOOR_OP(expr)                                                         \
	do {                                                                   \
		int err_;                                                      \
		pthread_mutex_lock(&room->lock);                               \
		err_ = (expr);                                                 \
		pthread_mutex_unlock(&room->lock);                             \
		return err_;                                                   \
	} while (0)

int mcu_room_floor_request(struct mcu_room *room, long slot)
{
	FLOOR_OP(mcu_floor_request(room->floor, slot));
}

int mcu_room_floor_withdraw(struct mcu_room *room, long slot)
{
	FLOOR_OP(mcu_floor_withdraw(room->floor, slot));
}

int mcu_room_floor_grant(struct mcu_room *room, long slot)
{
	FLOOR_OP(mcu_floor_grant(room->floor, slot));
}

int mcu_room_floor_revoke(struct mcu_room *room)
{
	FLOOR_OP(mcu_floor_revoke(room->floor));
}

int mcu_room_mute(struct mcu_room *room, long slot, int audio, int video)
{
	if (!valid_slot(room, slot))
		return EINVAL;
	pthread_mutex_lock(&room->lock);
	if (audio >= 0)
		room->parts[slot].mute_audio = audio;
	if (video >= 0)
		room->parts[slot].mute_video = video;
	pthread_mutex_unlock(&room->lock);
	return 0;
}

int mcu_room_set_layout(struct mcu_room *room, bool host, const char *name)
{
	struct mcu_layout l;
	if (!name || mcu_layout_parse(name, &l))
		return EINVAL;
	pthread_mutex_lock(&room->lock);
	if (host)
		room->host_layout = l;
	else
		room->branch_layout = l;
	pthread_mutex_unlock(&room->lock);
	return 0;
}

void mcu_room_stats(struct mcu_room *room, struct mcu_room_stats *st)
{
	struct mcu_tick_stats vt = {0}, at = {0};
	memset(st, 0, sizeof(*st));
	if (room->vtick)
		mcu_tick_stats(room->env.ticker, room->vtick, &vt);
	if (room->atick)
		mcu_tick_stats(room->env.ticker, room->atick, &at);
	pthread_mutex_lock(&room->lock);
	for (size_t i = 0; i < room->n_parts; i++) {
		st->participants += !room->parts[i].removed;
		st->connected += room->parts[i].leg != NULL;
	}
	st->encoders = room->stat_encoders;
	st->encoders_opened = room->stat_encoders_opened;
	st->keyframes_deferred = room->stat_keys_deferred;
	st->views = room->stat_views;
	st->decoders = room->stat_decoders;
	st->audio_encoders = room->stat_aencs;
	st->audio_decoded = room->stat_adecoded;
	st->compose_ms = room->compose_ms;
	st->encode_ms = room->encode_ms;
	st->mix_ms = room->mix_ms;
	pthread_mutex_unlock(&room->lock);
	st->video_ticks = vt.fired;
	st->video_ticks_skipped = vt.skipped;
	st->video_ticks_late = vt.late_runs;
	st->video_late_ms_max = vt.max_late_ns / 1e6;
	st->audio_ticks = at.fired;
	st->audio_ticks_skipped = at.skipped;
	st->audio_clock_moves = atomic_load(&room->a_shifts);
	st->audio_late_ms_max = at.max_late_ns / 1e6;
}

void mcu_room_floor_info(struct mcu_room *room, struct mcu_room_floor *out)
{
	memset(out, 0, sizeof(*out));
	pthread_mutex_lock(&room->lock);
	out->mode = mcu_floor_mode(room->floor);
	out->holder = mcu_floor_holder(room->floor);
	out->speaker = mcu_floor_speaker(room->floor);
	out->queued = mcu_floor_queue(room->floor, out->queue,
	                              MCU_ROOM_QUEUE_MAX);
	mcu_layout_name(&room->host_layout, out->host_layout,
	                sizeof(out->host_layout));
	mcu_layout_name(&room->branch_layout, out->branch_layout,
	                sizeof(out->branch_layout));
	pthread_mutex_unlock(&room->lock);
}

void mcu_room_local_ports(struct mcu_room *room, long slot, uint16_t *video,
                          uint16_t *audio)
{
	*video = *audio = 0;
	if (!valid_slot(room, slot))
		return;
	pthread_mutex_lock(&room->lock);
	if (room->parts[slot].leg)
		mcu_leg_local_ports(room->parts[slot].leg, video, audio);
	pthread_mutex_unlock(&room->lock);
}

const char *mcu_room_slot_endpoint(const struct mcu_room *room, long slot)
{
	return valid_slot(room, slot) ? room->parts[slot].eid : NULL;
}

bool mcu_room_part(struct mcu_room *room, long slot, struct mcu_room_part *out)
{
	struct part *p;
	if (!valid_slot(room, slot))
		return false;
	p = &room->parts[slot];
	memset(out, 0, sizeof(*out));
	pthread_mutex_lock(&room->lock);
	if (p->removed) {
		pthread_mutex_unlock(&room->lock);
		return false;
	}
	out->endpoint = p->eid;
	out->name = p->name;
	out->host = p->host;
	out->state = p->state;
	out->floor = mcu_floor_role(room->floor, slot);
	out->muted_audio = p->mute_audio;
	out->muted_video = p->mute_video;
	out->incident_reports = p->reports;
	out->level_dbov = room->levels[slot];
	if (p->leg) {
		const struct mcu_leg_params *lp = mcu_leg_params(p->leg);
		out->has_leg = true;
		out->webrtc = lp->webrtc;
		mcu_leg_stats(p->leg, mcu_netio_now_us(), &out->leg);
		out->out_width = lp->out_width;
		out->out_height = lp->out_height;
		out->vcodec = lp->has_video ? mcu_vcodec_name(lp->vcodec) : NULL;
		out->acodec = lp->has_audio ? mcu_acodec_name(lp->acodec) : NULL;
	}
	pthread_mutex_unlock(&room->lock);
	return true;
}

/* ---- static RTP legs ---------------------------------------------- */

static int static_params(const struct mcu_conf_endpoint *ep, uint32_t id,
                         struct mcu_leg_params *p)
{
	const struct mcu_conf_static_rtp *r = &ep->rtp;
	memset(p, 0, sizeof(*p));
	p->id = id;
	p->label = ep->id;
	p->local_video = r->local.addr;
	p->remote_video = r->remote.addr;
	p->local_audio = r->local.addr;
	p->remote_audio = r->remote.addr;
	if (p->local_audio.ss_family == AF_INET) {
		struct sockaddr_in *la = (struct sockaddr_in *)&p->local_audio;
		struct sockaddr_in *ra = (struct sockaddr_in *)&p->remote_audio;
		la->sin_port = htons((uint16_t)(r->local.port + 2));
		ra->sin_port = htons((uint16_t)(r->remote.port + 2));
	} else {
		struct sockaddr_in6 *la = (struct sockaddr_in6 *)&p->local_audio;
		struct sockaddr_in6 *ra =
			(struct sockaddr_in6 *)&p->remote_audio;
		la->sin6_port = htons((uint16_t)(r->local.port + 2));
		ra->sin6_port = htons((uint16_t)(r->remote.port + 2));
	}
	/* Media only from rtp.source (exact), else from the remote's host on
	   any port: never from wherever the first packet came from. */
	p->source_video = r->source.host ? r->source.addr : r->remote.addr;
	if (!r->source.host)
		mcu_netio_addr_set_port(&p->source_video, 0);
	p->source_audio = p->source_video;
	if (r->source.host && r->source.port)
		mcu_netio_addr_set_port(&p->source_audio,
		                        (uint16_t)(r->source.port + 2));
	p->has_video = r->video.present;
	p->vcodec = vcodec_of(r->video.codec);
	p->video_pt = (uint8_t)r->video.payload_type;
	p->h264_mode = 1;
	p->has_audio = r->audio.present &&
	               acodec_of(r->audio.codec, &p->acodec) == 0;
	p->audio_pt = (uint8_t)r->audio.payload_type;
	p->dtmf_pt = 101;
	output_tier(ep->bandwidth_kbps, &p->out_width, &p->out_height,
	            &p->out_bitrate);
	return p->has_video || p->has_audio ? 0 : EINVAL;
}

static const char *rtpmap_of(const struct mcu_leg_params *p, bool video)
{
	if (video)
		return p->vcodec == MCU_VCODEC_VP8 ? "VP8/90000" : "H264/90000";
	switch (p->acodec) {
	case MCU_ACODEC_PCMU:
		return "PCMU/8000";
	case MCU_ACODEC_PCMA:
		return "PCMA/8000";
	case MCU_ACODEC_G722:
		return "G722/8000";
	default:
		return "opus/48000/2";
	}
}

/* What the MCU sends this leg, for `ffmpeg -i FILE` / ffplay. */
static void write_leg_sdp(const struct mcu_room *room,
                          const struct mcu_conf_endpoint *ep,
                          const struct mcu_leg_params *p)
{
	char dir[512], path[768];
	const struct mcu_conf_static_rtp *r = &ep->rtp;
	const char *ipv = r->remote.addr.ss_family == AF_INET6 ? "IP6" : "IP4";
	FILE *f;

	snprintf(dir, sizeof(dir), "%s/%s", room->env.run_dir, room->id);
	mkdir(room->env.run_dir, 0755);
	mkdir(dir, 0755);
	snprintf(path, sizeof(path), "%s/%s.sdp", dir, ep->id);
	f = fopen(path, "w");
	if (!f) {
		mcu_log_warn("%s: cannot write %s", room->id, path);
		return;
	}
	fprintf(f, "v=0\no=mcud 0 0 IN %s %s\ns=mcud %s to %s\n"
	        "c=IN %s %s\nt=0 0\n",
	        ipv, r->remote.host, room->id, ep->id, ipv, r->remote.host);
	if (p->has_video) {
		fprintf(f, "m=video %u RTP/AVP %u\na=rtpmap:%u %s\n",
		        r->remote.port, p->video_pt, p->video_pt,
		        rtpmap_of(p, true));
		if (p->vcodec == MCU_VCODEC_H264)
			fprintf(f, "a=fmtp:%u packetization-mode=1\n",
			        p->video_pt);
	}
	if (p->has_audio)
		fprintf(f, "m=audio %u RTP/AVP %u\na=rtpmap:%u %s\n",
		        (unsigned)r->remote.port + 2, p->audio_pt, p->audio_pt,
		        rtpmap_of(p, false));
	fclose(f);
}

static void attach_static_leg(struct mcu_room *room, size_t i)
{
	const struct mcu_conf_endpoint *ep =
		&room->conf->endpoints[room->parts[i].endpoint];
	struct mcu_leg_params p;
	if (!ep->rtp.present)
		return;
	if (static_params(ep, room->parts[i].id, &p)) {
		mcu_log_warn("%s: %s: static leg has no usable media", room->id,
		             ep->id);
		return;
	}
	write_leg_sdp(room, ep, &p);
	int err = mcu_room_attach(room, (long)i, &p);
	if (err)
		mcu_log_error("%s: %s: static leg failed: %s", room->id, ep->id,
		              strerror(err));
}

static void attach_static_legs(struct mcu_room *room)
{
	for (size_t i = 0; i < room->n_parts; i++)
		attach_static_leg(room, i);
}

/* ---- life --------------------------------------------------------- */

/* Slots beyond the roster's for branches a reload adds while the meeting
   runs; the per-slot arrays are never reallocated. */
#define SPARE_SLOTS 64

static void init_part(struct mcu_room *room, size_t i, size_t endpoint)
{
	struct part *p = &room->parts[i];
	memset(p, 0, sizeof(*p));
	p->endpoint = endpoint;
	p->id = (uint32_t)i + 1; /* views name participants by slot */
	p->eid = room->conf->endpoints[endpoint].id;
	p->name = room->conf->endpoints[endpoint].name;
	p->host = i == 0;
	mcu_dtmf_keys_init(&p->keys, p->host);
	room->levels[i] = MCU_MIXER_SILENCE_DBOV;
}

static int alloc_parts(struct mcu_room *room)
{
	const struct mcu_conf_meeting *m = room->m;
	room->n_parts = 1 + m->n_branches;
	room->cap = room->n_parts + SPARE_SLOTS;
	room->parts = calloc(room->cap, sizeof(*room->parts));
	room->levels = calloc(room->cap, sizeof(*room->levels));
	room->voice = calloc(room->cap, sizeof(bool));
	room->present = calloc(room->cap, sizeof(bool));
	/* audible[cap]: the content's sound (mcu/content.c) */
	room->audible = calloc(room->cap + 1, sizeof(bool));
	room->vt_audio = calloc(room->cap, sizeof(*room->vt_audio));
	if (!room->parts || !room->levels || !room->voice || !room->present ||
	    !room->audible || !room->vt_audio)
		return ENOMEM;
	for (size_t i = 0; i < room->n_parts; i++)
		init_part(room, i, i == 0 ? m->host_index : m->branches[i - 1]);
	room->host_slot = 0;
	return 0;
}

static int parse_layouts(struct mcu_room *room)
{
	const struct mcu_conf_layout_choice *l = &room->m->layout;
	if (mcu_layout_parse(l->host ? l->host : "tour-4x4",
	                     &room->host_layout) ||
	    mcu_layout_parse(l->branches ? l->branches : "host+floor",
	                     &room->branch_layout))
		return EINVAL;
	room->tour_seconds = l->tour_seconds ? l->tour_seconds : 10;
	room->self_view = l->self_view;
	return 0;
}

int mcu_room_alloc(struct mcu_room **roomp, const struct mcu_room_env *env,
                   struct mcu_snapshot *snap, size_t meeting)
{
	struct mcu_room *room;
	int err;

	if (!roomp || !env || !snap || meeting >= snap->conf->n_meetings)
		return EINVAL;
	room = calloc(1, sizeof(*room));
	if (!room)
		return ENOMEM;
	room->env = *env;
	room->snap = mcu_snapshot_get(snap);
	room->conf = snap->conf;
	room->m = &snap->conf->meetings[meeting];
	snprintf(room->id, sizeof(room->id), "%s", room->m->id);
	mcu_mutex_init_pi(&room->lock);
	pthread_cond_init(&room->tick_done, NULL);
	room->fps = room->conf->fps ? (int)room->conf->fps : 30;
	room->preset = room->conf->x264_preset;
	room->keyint = room->fps * (int)(room->conf->keyframe_interval_s
	                                         ? room->conf->keyframe_interval_s
	                                         : 3);

	err = alloc_parts(room);
	if (!err)
		err = parse_layouts(room);
	if (!err)
		err = mcu_floor_alloc(&room->floor, room->m->floor, room->cap,
		                      room->host_slot);
	if (!err)
		err = mcu_mixer_alloc(&room->mixer, room->cap + 1);
	if (!err)
		err = mcu_compose_alloc(&room->compose, NULL);
	if (err)
		goto fail;
	attach_static_legs(room);
	err = mcu_ticker_add_on(env->ticker,
	                        env->audio_pool ? env->audio_pool : env->pool,
	                        &room->atick, 20000000, mcu_room_audio_tick,
	                        room);
	if (!err)
		err = mcu_ticker_add(env->ticker, &room->vtick,
		                     1000000000 / room->fps,
		                     mcu_room_video_tick, room);
	if (err)
		goto fail;
	/* A picture whose tick overran its frame interval by a little is
	   sent late rather than dropped (ticker.h). */
	mcu_tick_set_late_run(env->ticker, room->vtick, true);
	mcu_log_info("%s: media started: %zu participants, %s floor, host "
	             "sees %s, branches see %s", room->id, room->n_parts,
	             mcu_conf_floor_name(room->m->floor),
	             room->m->layout.host ? room->m->layout.host : "tour-4x4",
	             room->m->layout.branches ? room->m->layout.branches
	                                      : "host+floor");
	*roomp = room;
	return 0;
fail:
	mcu_log_error("%s: cannot start media: %s", room->id, strerror(err));
	mcu_room_free(room);
	return err;
}

struct mcu_room *mcu_room_free(struct mcu_room *room)
{
	if (!room)
		return NULL;
	room->vtick = mcu_ticker_remove(room->env.ticker, room->vtick);
	room->atick = mcu_ticker_remove(room->env.ticker, room->atick);
	mcu_room_rec_free(room); /* closes the file */
	mcu_content_room_free(room);
	for (size_t i = 0; room->parts && i < room->n_parts; i++)
		room->parts[i].leg = mcu_leg_free(room->parts[i].leg);
	mcu_room_video_free(room);
	mcu_room_audio_free(room);
	room->compose = mcu_compose_free(room->compose);
	room->mixer = mcu_mixer_free(room->mixer);
	room->floor = mcu_floor_free(room->floor);
	free(room->parts);
	free(room->levels);
	free(room->voice);
	free(room->present);
	free(room->audible);
	free(room->vt_audio);
	pthread_cond_destroy(&room->tick_done);
	pthread_mutex_destroy(&room->lock);
	mcu_log_info("%s: media stopped", room->id);
	room->snap = mcu_snapshot_put(room->snap);
	for (size_t i = 0; i < room->n_old_snaps; i++)
		mcu_snapshot_put(room->old_snaps[i]);
	free(room->old_snaps);
	free(room);
	return NULL;
}
