/*
 * Speaker choice with hysteresis: each tick the loudest voice-active slot
 * is the candidate. A candidate replaces the current speaker only after it
 * has been the candidate without a break for the hold time; a tick with
 * another candidate (or none) restarts the count. So a cough does not move
 * the speaker tile, and two people talking over each other do not make it
 * flap faster than once per hold time. The same tracker runs twice: over
 * the branches (the open-mode floor speaker shown next to the host) and
 * over everyone (the `speaker` layout).
 *
 * Levels are compared as a peak envelope (instant rise, falling at most
 * DECAY_DB_PER_S): one 20 ms block that is missing (jitter buffer
 * underrun, reported as silence while the mixer's voice hangover holds)
 * or concealed quieter after a lost packet must not pass the candidacy to
 * an equally loud voice, which would move the speaker 1.5 s later with
 * nothing changed.
 */
#define MCU_LOG_MODULE "floor"
#include "mcu/floor.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct tracker {
	long current;
	long candidate;
	int64_t since_ms;
};

struct mcu_floor {
	enum mcu_floor_mode mode;
	size_t n;
	long host;
	long holder;  /* chaired / lecture */
	long *queue;
	size_t queued;
	int64_t hold_ms;
	struct tracker branch; /* open mode floor speaker (no host) */
	struct tracker all;    /* loudest overall */
	double *env;           /* per slot: peak envelope of the level, dBov */
	int64_t env_ms;        /* time of the last envelope update */
	bool env_started;
};

#define SILENT_DB      (-127.0)
#define DECAY_DB_PER_S 20.0

static void tracker_init(struct tracker *t)
{
	t->current = MCU_FLOOR_NONE;
	t->candidate = MCU_FLOOR_NONE;
	t->since_ms = 0;
}

int mcu_floor_alloc(struct mcu_floor **floorp, enum mcu_floor_mode mode,
                    size_t n_slots, long host)
{
	struct mcu_floor *f;
	if (!floorp || n_slots == 0 ||
	    (host != MCU_FLOOR_NONE && (host < 0 || (size_t)host >= n_slots)))
		return EINVAL;
	f = calloc(1, sizeof(*f));
	if (!f)
		return ENOMEM;
	f->queue = calloc(n_slots, sizeof(*f->queue));
	f->env = calloc(n_slots, sizeof(*f->env));
	if (!f->queue || !f->env) {
		free(f->queue);
		free(f->env);
		free(f);
		return ENOMEM;
	}
	for (size_t i = 0; i < n_slots; i++)
		f->env[i] = SILENT_DB;
	f->mode = mode;
	f->n = n_slots;
	f->host = host;
	f->holder = MCU_FLOOR_NONE;
	f->hold_ms = MCU_FLOOR_HOLD_MS;
	tracker_init(&f->branch);
	tracker_init(&f->all);
	*floorp = f;
	return 0;
}

struct mcu_floor *mcu_floor_free(struct mcu_floor *f)
{
	if (f) {
		free(f->queue);
		free(f->env);
		free(f);
	}
	return NULL;
}

void mcu_floor_set_mode(struct mcu_floor *f, enum mcu_floor_mode mode)
{
	if (f->mode == mode)
		return;
	f->mode = mode;
	if (mode == MCU_FLOOR_OPEN) {
		f->holder = MCU_FLOOR_NONE;
		f->queued = 0;
	}
	tracker_init(&f->branch);
}

enum mcu_floor_mode mcu_floor_mode(const struct mcu_floor *f)
{
	return f->mode;
}

void mcu_floor_set_hold_ms(struct mcu_floor *f, int64_t hold_ms)
{
	f->hold_ms = hold_ms < 0 ? 0 : hold_ms;
}

static bool valid_branch(const struct mcu_floor *f, long slot)
{
	return slot >= 0 && (size_t)slot < f->n && slot != f->host;
}

static long queue_find(const struct mcu_floor *f, long slot)
{
	for (size_t i = 0; i < f->queued; i++)
		if (f->queue[i] == slot)
			return (long)i;
	return -1;
}

static void queue_remove_at(struct mcu_floor *f, size_t at)
{
	memmove(&f->queue[at], &f->queue[at + 1],
	        (f->queued - at - 1) * sizeof(*f->queue));
	f->queued--;
}

int mcu_floor_request(struct mcu_floor *f, long slot)
{
	if (!valid_branch(f, slot))
		return EINVAL;
	if (f->mode == MCU_FLOOR_OPEN)
		return EPERM;
	if (f->holder == slot || queue_find(f, slot) >= 0)
		return EALREADY;
	f->queue[f->queued++] = slot;
	return 0;
}

int mcu_floor_withdraw(struct mcu_floor *f, long slot)
{
	long at = queue_find(f, slot);
	if (at >= 0) {
		queue_remove_at(f, (size_t)at);
		return 0;
	}
	if (f->holder == slot && slot != MCU_FLOOR_NONE) {
		f->holder = MCU_FLOOR_NONE;
		return 0;
	}
	return ENOENT;
}

int mcu_floor_grant(struct mcu_floor *f, long slot)
{
	long at;
	if (f->mode == MCU_FLOOR_OPEN)
		return EPERM;
	if (slot == MCU_FLOOR_NONE) {
		if (f->queued == 0)
			return ENOENT;
		slot = f->queue[0];
	}
	if (!valid_branch(f, slot))
		return EINVAL;
	at = queue_find(f, slot);
	if (at >= 0)
		queue_remove_at(f, (size_t)at);
	f->holder = slot;
	return 0;
}

int mcu_floor_revoke(struct mcu_floor *f)
{
	if (f->holder == MCU_FLOOR_NONE)
		return ENOENT;
	f->holder = MCU_FLOOR_NONE;
	return 0;
}

void mcu_floor_leave(struct mcu_floor *f, long slot)
{
	long at = queue_find(f, slot);
	if (at >= 0)
		queue_remove_at(f, (size_t)at);
	if (f->holder == slot)
		f->holder = MCU_FLOOR_NONE;
	if (f->branch.current == slot)
		tracker_init(&f->branch);
	if (f->all.current == slot)
		tracker_init(&f->all);
}

long mcu_floor_holder(const struct mcu_floor *f)
{
	return f->mode == MCU_FLOOR_OPEN ? f->branch.current : f->holder;
}

/*
 * Chaired: the holder while there is one, else the host. Lecture: the host
 * even when a branch was given the floor, since that branch is not heard
 * (docs/operator-guide: "a branch given the floor is still not heard"); a
 * speaker tile or border must not point at someone nobody can hear.
 */
long mcu_floor_speaker(const struct mcu_floor *f)
{
	switch (f->mode) {
	case MCU_FLOOR_OPEN:
		return f->all.current;
	case MCU_FLOOR_CHAIRED:
		return f->holder != MCU_FLOOR_NONE ? f->holder : f->host;
	case MCU_FLOOR_LECTURE:
		break;
	}
	return f->host;
}

size_t mcu_floor_queue(const struct mcu_floor *f, long *out, size_t max)
{
	for (size_t i = 0; i < f->queued && i < max; i++)
		out[i] = f->queue[i];
	return f->queued;
}

enum mcu_floor_role mcu_floor_role(const struct mcu_floor *f, long slot)
{
	if (slot == f->host)
		return MCU_FLOOR_ROLE_HOST;
	if (slot == mcu_floor_holder(f))
		return MCU_FLOOR_ROLE_HOLDER;
	if (queue_find(f, slot) >= 0)
		return MCU_FLOOR_ROLE_REQUESTED;
	return MCU_FLOOR_ROLE_NONE;
}

const char *mcu_floor_role_name(enum mcu_floor_role role)
{
	switch (role) {
	case MCU_FLOOR_ROLE_REQUESTED:
		return "requested";
	case MCU_FLOOR_ROLE_HOLDER:
		return "holder";
	case MCU_FLOOR_ROLE_HOST:
		return "host";
	case MCU_FLOOR_ROLE_NONE:
		break;
	}
	return "none";
}

/*
 * Loudest voice-active present slot, optionally without the host. The
 * tracker's current candidate keeps its place unless another slot is
 * louder by STICKY_DB, so two voices of about the same level do not
 * restart the hold count every tick.
 */
#define STICKY_DB 3.0

static long loudest(const struct mcu_floor *f, const struct tracker *t,
                    const bool *voice, const bool *present, bool with_host)
{
	const double *level = f->env;
	long best = MCU_FLOOR_NONE;
	for (size_t i = 0; i < f->n; i++) {
		if (!present[i] || !voice[i])
			continue;
		if (!with_host && (long)i == f->host)
			continue;
		if (best == MCU_FLOOR_NONE || level[i] > level[best])
			best = (long)i;
	}
	long keep = t->candidate;
	if (best != MCU_FLOOR_NONE && keep != MCU_FLOOR_NONE && keep != best &&
	    present[keep] && voice[keep] &&
	    (with_host || keep != f->host) &&
	    level[best] - level[keep] < STICKY_DB)
		return keep;
	return best;
}

/* Peak envelopes of the voice-active present slots; others restart. */
static void update_envelopes(struct mcu_floor *f, int64_t now_ms,
                             const bool *voice, const double *level,
                             const bool *present)
{
	int64_t dt = f->env_started ? now_ms - f->env_ms : 0;
	double decay;
	if (dt < 0)
		dt = 0;
	if (dt > 1000)
		dt = 1000;
	decay = DECAY_DB_PER_S * (double)dt / 1000.0;
	f->env_ms = now_ms;
	f->env_started = true;
	for (size_t i = 0; i < f->n; i++) {
		if (!present[i] || !voice[i]) {
			f->env[i] = SILENT_DB;
			continue;
		}
		f->env[i] -= decay;
		if (level[i] > f->env[i])
			f->env[i] = level[i];
	}
}

/* Returns true when the tracker's current speaker changed. */
static bool track(struct tracker *t, long cand, int64_t now_ms,
                  int64_t hold_ms)
{
	if (cand != t->candidate) {
		t->candidate = cand;
		t->since_ms = now_ms;
	}
	if (cand == MCU_FLOOR_NONE || cand == t->current)
		return false;
	if (now_ms - t->since_ms < hold_ms)
		return false;
	t->current = cand;
	return true;
}

bool mcu_floor_update(struct mcu_floor *f, int64_t now_ms,
                      const bool *voice, const double *level,
                      const bool *present, bool *audible)
{
	bool changed = false;

	/* A speaker who left or was muted stops being the speaker. */
	if (f->branch.current != MCU_FLOOR_NONE &&
	    !present[f->branch.current]) {
		tracker_init(&f->branch);
		changed = true;
	}
	if (f->all.current != MCU_FLOOR_NONE && !present[f->all.current]) {
		tracker_init(&f->all);
		changed = true;
	}
	update_envelopes(f, now_ms, voice, level, present);
	changed |= track(&f->all, loudest(f, &f->all, voice, present, true),
	                 now_ms, f->hold_ms);
	if (f->mode == MCU_FLOOR_OPEN)
		changed |= track(&f->branch,
		                 loudest(f, &f->branch, voice, present, false),
		                 now_ms, f->hold_ms);

	for (size_t i = 0; i < f->n; i++) {
		bool host = (long)i == f->host;
		switch (f->mode) {
		case MCU_FLOOR_OPEN:
			audible[i] = present[i] && voice[i];
			break;
		case MCU_FLOOR_CHAIRED:
			audible[i] = present[i] &&
			             (host || (long)i == f->holder);
			break;
		case MCU_FLOOR_LECTURE:
			audible[i] = present[i] && host;
			break;
		}
	}
	return changed;
}
