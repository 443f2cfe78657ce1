/*
 * A room's recording (issue 6 item 4): what goes into the file and where
 * it comes from. The muxing is mcu/record.c's.
 *
 * Picture: the branches' view, as a viewer that is nobody sees it (viewer
 * 0: the host large with the floor holder, or whatever the branches'
 * layout shows, with no branch left out). The video tick treats the
 * recording as one more member of the encoder groups: the view key, size,
 * codec and bitrate of the recording name a group like any viewer's, so
 * when the branches' encoder matches (the usual host+floor meeting) its
 * packets are tapped and nothing is encoded twice; when none matches (no
 * branch connected, a grid where every branch misses itself) a group of
 * its own runs for the recording only. The track's size and codec are
 * fixed when the recording starts: those most connected branches receive,
 * else RECORD_W x RECORD_H H.264 at RECORD_BITRATE.
 *
 * Sound: the common mix, which holds every audible participant (what the
 * non-audible hear). If the room already encodes it to Opus for its legs
 * (mono, default bitrate: the same stream) that encoder's packet of the
 * tick is tapped; otherwise the recording encodes the common mix to Opus
 * itself, once per tick.
 *
 * Time: both taps carry the tick's deadline on the room's media clock.
 *
 * Locks: room->rec is set and cleared under room->lock; each tick copies
 * it (vrec, arec) under the lock at its start, so stopping clears it and
 * waits for the ticks running then; after that no tick touches it. The
 * recorder itself has its own short lock; its writer thread does the I/O.
 */
#define MCU_LOG_MODULE "record"
#include "mcu/room_internal.h"
#include "conf/log.h"
#include "mcu/record.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define RECORD_W       1280
#define RECORD_H       720
#define RECORD_BITRATE 1500000

struct room_rec {
	struct mcu_record *rec;
	char *path;
	time_t started;
	bool on;
	struct mcu_record_stats last; /* after it stopped */
	/* the video track: the group parameters it asks for */
	struct mcu_leg_params vp;
	/* video tick only */
	struct vgroup *group;      /* this tick's */
	const struct vgroup *prev; /* last tick's (compared only) */
	bool need_key;
	_Atomic bool shared; /* written by the video tick: g has members */
	/* audio tick only */
	struct mcu_aenc *aenc;
	bool tapped;
};

/* The parameters most connected branches receive (lock held). */
static void pick_params(struct mcu_room *room, struct mcu_leg_params *out)
{
	size_t best = 0;
	memset(out, 0, sizeof(*out));
	out->vcodec = MCU_VCODEC_H264;
	out->out_width = RECORD_W;
	out->out_height = RECORD_H;
	out->out_bitrate = RECORD_BITRATE;
	out->h264_mode = 1;
	for (size_t i = 0; i < room->n_parts; i++) {
		const struct mcu_leg_params *a, *b;
		size_t n = 0;
		if (room->parts[i].host || room->parts[i].removed ||
		    !room->parts[i].leg)
			continue;
		a = mcu_leg_params(room->parts[i].leg);
		if (!a->has_video)
			continue;
		for (size_t k = i; k < room->n_parts; k++) {
			if (room->parts[k].host || room->parts[k].removed ||
			    !room->parts[k].leg)
				continue;
			b = mcu_leg_params(room->parts[k].leg);
			n += b->has_video && b->vcodec == a->vcodec &&
			     b->out_width == a->out_width &&
			     b->out_height == a->out_height &&
			     b->out_bitrate == a->out_bitrate &&
			     (a->vcodec != MCU_VCODEC_H264 ||
			      b->h264_mode == a->h264_mode);
		}
		if (n > best) {
			best = n;
			out->vcodec = a->vcodec;
			out->out_width = a->out_width;
			out->out_height = a->out_height;
			out->out_bitrate = a->out_bitrate;
			out->h264_mode = a->h264_mode;
		}
	}
}

/* Close the file (trailer, join), keep its last figures; a file that
   never got a picture is removed. */
static void close_file(struct room_rec *r)
{
	if (!r->rec)
		return;
	mcu_record_stop(r->rec);
	mcu_record_stats(r->rec, &r->last);
	r->rec = mcu_record_free(r->rec);
	if (!r->last.packets && !r->last.error && r->path &&
	    unlink(r->path) == 0)
		mcu_log_warn("%s removed: nothing was recorded", r->path);
}

static struct room_rec *rec_free(struct room_rec *r)
{
	if (!r)
		return NULL;
	close_file(r);
	r->aenc = mcu_aenc_free(r->aenc);
	free(r->path);
	free(r);
	return NULL;
}

/* Stop the running recording, keep its last figures; lock held (let go
   while the file is closed: r is nobody else's then). */
static void stop(struct mcu_room *room)
{
	struct room_rec *r = room->rec;
	room->rec = NULL;
	mcu_room_wait_ticks(room);
	pthread_mutex_unlock(&room->lock);
	close_file(r);
	r->aenc = mcu_aenc_free(r->aenc);
	pthread_mutex_lock(&room->lock);
	r->on = false;
	mcu_log_info("%s: recording stopped: %s (%.1f s, %llu bytes, %llu "
	             "packets dropped)",
	             room->id, r->path, (double)r->last.ms / 1e3,
	             (unsigned long long)r->last.bytes,
	             (unsigned long long)r->last.dropped);
	rec_free(room->rec_done);
	room->rec_done = r;
}

int mcu_room_record(struct mcu_room *room, bool on, const char *dir,
                    char **pathp)
{
	struct room_rec *r;
	int err;

	if (!room || (on && (!dir || !*dir)))
		return EINVAL;
	pthread_mutex_lock(&room->lock);
	if (!on) {
		err = room->rec ? 0 : EALREADY;
		if (room->rec)
			stop(room);
		pthread_mutex_unlock(&room->lock);
		return err;
	}
	if (room->rec) {
		pthread_mutex_unlock(&room->lock);
		return EALREADY;
	}
	r = calloc(1, sizeof(*r));
	err = r ? 0 : ENOMEM;
	if (!err) {
		r->started = time(NULL);
		pick_params(room, &r->vp);
		r->need_key = true;
		err = mcu_record_new_file(&r->path, dir, room->id, r->started);
	}
	if (!err) {
		struct mcu_record_params p = {
		    .path = r->path,
		    .meeting = room->id,
		    .vcodec = r->vp.vcodec,
		    .width = r->vp.out_width,
		    .height = r->vp.out_height,
		    .channels = 1,
		};
		err = mcu_record_alloc(&r->rec, &p);
	}
	if (!err && pathp && !(*pathp = strdup(r->path)))
		err = ENOMEM;
	if (err) {
		if (r && r->path)
			unlink(r->path);
		rec_free(r);
		pthread_mutex_unlock(&room->lock);
		mcu_log_error("%s: cannot start recording into %s: %s",
		              room->id, dir, strerror(err));
		return err;
	}
	r->on = true;
	room->rec = r;
	pthread_mutex_unlock(&room->lock);
	mcu_log_info("%s: recording starts: %s (%dx%d %s)", room->id, r->path,
	             r->vp.out_width, r->vp.out_height,
	             mcu_vcodec_name(r->vp.vcodec));
	return 0;
}

void mcu_room_recording(struct mcu_room *room, struct mcu_room_recording *out)
{
	struct room_rec *r;
	struct mcu_record_stats st;
	memset(out, 0, sizeof(*out));
	pthread_mutex_lock(&room->lock);
	r = room->rec ? room->rec : room->rec_done;
	if (r) {
		out->on = r->on;
		snprintf(out->file, sizeof(out->file), "%s", r->path);
		out->started = r->started;
		out->shared_encoder = r->shared;
		if (r->rec)
			mcu_record_stats(r->rec, &st);
		else
			st = r->last;
		out->seconds = (double)st.ms / 1e3;
		out->bytes = st.bytes;
		out->dropped = st.dropped;
		out->error = st.error;
	}
	pthread_mutex_unlock(&room->lock);
}

void mcu_room_rec_free(struct mcu_room *room)
{
	/* Ticks are gone: no lock needed, no wait. */
	room->rec = rec_free(room->rec);
	room->rec_done = rec_free(room->rec_done);
}

/* ---- video tick ----------------------------------------------------- */

void mcu_room_rec_assign(struct mcu_room *room, const struct mcu_view_input *vi)
{
	struct room_rec *r = room->vrec;
	struct mcu_view view;
	struct vgroup *g;

	r->group = NULL;
	if (mcu_view_compute(vi, &view))
		return;
	g = mcu_room_find_group(room, mcu_view_key(&view), &r->vp);
	if (!g)
		return;
	if (g != r->prev) {
		/* A new source of pictures: start it with a key frame. */
		mcu_kfreq_request(g->kf, 0, 0);
		r->need_key = true;
	}
	r->group = g;
	r->prev = g;
	bool shared = false;
	for (size_t i = 0; i < room->n_parts && !shared; i++)
		shared = room->parts[i].group == g;
	r->shared = shared;
	if (!g->used) {
		g->used = true;
		g->view = view;
	}
}

void mcu_room_rec_video(struct mcu_room *room, const struct vgroup *g,
                        const AVPacket *pkt, bool key, int64_t deadline_ns)
{
	struct room_rec *r = room->vrec;
	if (!r || g != r->group)
		return;
	if (r->need_key && !key)
		return;
	r->need_key = false;
	if (!mcu_record_video(r->rec, pkt, key, deadline_ns) && key)
		r->need_key = true; /* a dropped key frame: wait for the next */
}

/* ---- audio tick ----------------------------------------------------- */

void mcu_room_rec_audio_tap(struct mcu_room *room, const AVPacket *pkt)
{
	struct room_rec *r = room->arec;
	if (!r || r->tapped)
		return;
	r->tapped = true;
	mcu_record_audio(r->rec, pkt, room->arec_deadline_ns);
}

static void own_packet(const AVPacket *pkt, uint32_t ts_inc, void *arg)
{
	struct mcu_room *room = arg;
	(void)ts_inc;
	mcu_record_audio(room->arec->rec, pkt, room->arec_deadline_ns);
}

void mcu_room_rec_audio(struct mcu_room *room, const int16_t *mix)
{
	struct room_rec *r = room->arec;
	if (!r)
		return;
	if (r->tapped) {
		/* The room's encoder serves: ours would restart cold. */
		r->aenc = mcu_aenc_free(r->aenc);
	} else {
		if (!r->aenc) {
			struct mcu_aenc_config cfg = {.codec = MCU_ACODEC_OPUS};
			if (mcu_aenc_alloc(&r->aenc, &cfg)) {
				mcu_log_ratelimited(MCU_LOG_ERROR, 5000,
				                    "%s: cannot start the "
				                    "recording's Opus encoder",
				                    room->id);
				return;
			}
		}
		if (av_frame_make_writable(room->pcm_frame) >= 0) {
			memcpy(room->pcm_frame->data[0], mix,
			       MCU_AUDIO_FRAME * sizeof(int16_t));
			mcu_aenc_encode(r->aenc, room->pcm_frame, own_packet,
			                room);
		}
	}
	r->tapped = false;
}
