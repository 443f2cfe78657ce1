/*
 * Live stills of a room (GET /api/v1/meetings/{id}/views/{role}.jpg): what
 * the host sees, and what a typical branch sees (the picture of the group
 * most branches are in; ties go to the earliest branch in roster order).
 *
 * Why it works this way: the video tick already composes every distinct
 * picture once per tick, so a still costs nothing to obtain, only to
 * encode. The tick therefore only keeps a reference to the two canvases
 * (mcu_room_view_keep: a reference count, no copy), and a JPEG is encoded
 * only when somebody asks, from the API thread, never on the tick. The
 * result is cached for MCU_ROOM_VIEW_CACHE_MS so that a dashboard open in
 * ten browsers refreshing every second costs about two encodes a second
 * per role, not ten.
 *
 * Locks: view_canvas is guarded by room->lock (held only to swap or take
 * a reference); the JPEG caches by one process-wide stills lock, held
 * across the encode so that concurrent viewers wait for the one encode in
 * flight instead of starting their own. No tick ever takes it, so a slow
 * encode delays only other viewers (by a few milliseconds), never media.
 * A process-wide lock keeps room.c's set-up and tear-down untouched; the
 * encodes of different rooms are serialised, which at a few per second is
 * nothing.
 */
#define MCU_LOG_MODULE "room"
#include "mcu/room_internal.h"
#include "codec/jpeg.h"
#include "conf/log.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static pthread_mutex_t stills_lock = PTHREAD_MUTEX_INITIALIZER;

static int64_t mono_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* g is one of this tick's groups (a participant whose view could not be
 * worked out keeps its last group pointer, which may since be freed). */
static bool live_group(const struct mcu_room *room, const struct vgroup *g)
{
	for (const struct vgroup *o = room->groups; g && o; o = o->next)
		if (o == g)
			return o->used;
	return false;
}

/* The group most branches are in this tick, or NULL. */
static const struct vgroup *branch_group(const struct mcu_room *room)
{
	const struct vgroup *best = NULL;
	size_t best_n = 0;

	for (size_t i = 0; i < room->n_parts; i++) {
		const struct vgroup *g = room->parts[i].group;
		size_t n = 0;
		if (room->parts[i].host || !g || g == best ||
		    !live_group(room, g))
			continue;
		for (size_t k = i; k < room->n_parts; k++)
			n += !room->parts[k].host && room->parts[k].group == g;
		if (n > best_n) {
			best = g;
			best_n = n;
		}
	}
	return best;
}

void mcu_room_view_keep(struct mcu_room *room)
{
	const struct vgroup *g[2] = {NULL, NULL};
	AVFrame *old[2] = {NULL, NULL}, *fresh[2] = {NULL, NULL};
	bool drop[2] = {false, false};

	if (room->host_slot >= 0 && (size_t)room->host_slot < room->n_parts)
		g[0] = room->parts[room->host_slot].group;
	g[1] = branch_group(room);
	for (int r = 0; r < 2; r++) {
		bool same;
		if (!live_group(room, g[r]))
			g[r] = NULL;
		same = g[r] && g[r] == room->view_group[r] &&
		       g[r]->view_key == room->view_key[r];
		if (!g[r]) {
			drop[r] = true; /* nobody of that role sees anything */
		} else if (g[r]->canvas) {
			fresh[r] = av_frame_clone(g[r]->canvas);
			drop[r] = !fresh[r];
		} else if (!same) {
			drop[r] = true; /* another picture, held: wait for it */
		}
		/* only this thread writes view_canvas: reading it is safe */
		if (drop[r] && !room->view_canvas[r])
			drop[r] = false;
		room->view_group[r] = g[r];
		room->view_key[r] = g[r] ? g[r]->view_key : 0;
	}
	if (!fresh[0] && !fresh[1] && !drop[0] && !drop[1])
		return; /* held still pictures: keep what we have */
	pthread_mutex_lock(&room->lock);
	for (int r = 0; r < 2; r++) {
		if (!fresh[r] && !drop[r])
			continue;
		old[r] = room->view_canvas[r];
		room->view_canvas[r] = fresh[r];
	}
	pthread_mutex_unlock(&room->lock);
	av_frame_free(&old[0]);
	av_frame_free(&old[1]);
}

void mcu_room_view_free(struct mcu_room *room)
{
	pthread_mutex_lock(&stills_lock);
	for (int r = 0; r < 2; r++) {
		free(room->view_still[r].jpeg);
		memset(&room->view_still[r], 0, sizeof(room->view_still[r]));
	}
	pthread_mutex_unlock(&stills_lock);
	pthread_mutex_lock(&room->lock);
	for (int r = 0; r < 2; r++) {
		av_frame_free(&room->view_canvas[r]);
		room->view_group[r] = NULL;
	}
	pthread_mutex_unlock(&room->lock);
}

static int copy_out(const struct room_still *s, uint8_t **data, size_t *len)
{
	*data = malloc(s->len);
	if (!*data)
		return ENOMEM;
	memcpy(*data, s->jpeg, s->len);
	*len = s->len;
	return 0;
}

int mcu_room_view_jpeg(struct mcu_room *room, bool host, uint8_t **data,
                       size_t *len)
{
	struct room_still *s;
	AVFrame *canvas;
	uint8_t *jpg = NULL;
	size_t n = 0;
	int64_t now;
	int err;

	if (!room || !data || !len)
		return EINVAL;
	s = &room->view_still[host ? 0 : 1];
	pthread_mutex_lock(&stills_lock);
	now = mono_us();
	if (s->jpeg &&
	    now - s->at_us < (int64_t)MCU_ROOM_VIEW_CACHE_MS * 1000) {
		err = copy_out(s, data, len);
		goto out;
	}
	pthread_mutex_lock(&room->lock);
	canvas = room->view_canvas[host ? 0 : 1]
	             ? av_frame_clone(room->view_canvas[host ? 0 : 1])
	             : NULL;
	pthread_mutex_unlock(&room->lock);
	if (!canvas) {
		/* no picture (any more): nothing stale is served either */
		free(s->jpeg);
		memset(s, 0, sizeof(*s));
		err = ENOENT;
		goto out;
	}
	err = mcu_jpeg_encode(canvas, MCU_ROOM_VIEW_WIDTH, &jpg, &n);
	av_frame_free(&canvas);
	if (err) {
		mcu_log_ratelimited(
		    MCU_LOG_WARN, 5000, "%s: cannot encode the %s view: %s",
		    room->id, host ? "host" : "branches", strerror(err));
		goto out;
	}
	mcu_log_debug("%s: %s view, %zu bytes in %.1f ms", room->id,
	              host ? "host" : "branches", n,
	              (double)(mono_us() - now) / 1e3);
	free(s->jpeg);
	s->jpeg = jpg;
	s->len = n;
	s->at_us = mono_us();
	err = copy_out(s, data, len);
out:
	pthread_mutex_unlock(&stills_lock);
	return err;
}
