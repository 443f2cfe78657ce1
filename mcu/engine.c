/*
 * Rooms are started and stopped by the control loop only, under the write
 * side of `rooms_lock`; API threads look rooms up under the read side and
 * use them (every room function is thread-safe) before they let go. I/O
 * threads and ticks never look at the list.
 */
#define MCU_LOG_MODULE "engine"
#include "mcu/engine.h"
#include "conf/log.h"
#include "mcu/ticker.h"
#include "transport/netio.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct room_entry {
	struct mcu_room *room;
	struct room_entry *next;
};

struct mcu_engine {
	struct mcu_workpool *pool;
	struct mcu_workpool *audio_pool; /* real-time audio worker or NULL */
	struct mcu_ticker *ticker;
	struct mcu_netio **netio;
	unsigned n_netio;
	atomic_uint next_netio;
	char *run_dir;
	struct mcu_room_probes probes; /* set before rooms start */
	bool have_probes;
	pthread_rwlock_t rooms_lock;
	struct room_entry *rooms; /* rooms_lock */
	size_t n_rooms;
};

static struct mcu_netio *pick_netio(void *arg)
{
	struct mcu_engine *e = arg;
	unsigned i = atomic_fetch_add(&e->next_netio, 1);
	return e->netio[i % e->n_netio];
}

/* The audio worker under SCHED_FIFO at prio, the clock at prio + 1; on
   any refusal the audio ticks stay on the media workers. */
static void start_realtime_audio(struct mcu_engine *e, int prio)
{
	int max = sched_get_priority_max(SCHED_FIFO);
	if (prio >= max)
		prio = max - 1;
	/* One worker: it runs every meeting's audio tick in turn, each a few
	   milliseconds of bounded work per 20 ms, so it can never take a
	   whole CPU from the video. */
	int err = mcu_workpool_alloc(&e->audio_pool, 1, 64);
	mcu_workpool_set_name(e->audio_pool, "audio");
	if (!err)
		err = mcu_workpool_set_realtime(e->audio_pool, prio);
	if (!err)
		err = mcu_ticker_set_realtime(e->ticker, prio + 1);
	if (err) {
		e->audio_pool = mcu_workpool_free(e->audio_pool);
		mcu_log_info("audio ticks share the media workers at ordinary "
		             "priority: real-time scheduling refused (%s; "
		             "CAP_SYS_NICE or LimitRTPRIO, docs/architecture.md)",
		             strerror(err));
		return;
	}
	mcu_log_info("audio ticks on a real-time worker (SCHED_FIFO %d), "
	             "media clock %d", prio, prio + 1);
}

int mcu_engine_alloc(struct mcu_engine **enginep,
                     const struct mcu_engine_params *params)
{
	struct mcu_engine *e;
	unsigned n = params->io_threads;
	int err;

	if (!enginep || !params->pool)
		return EINVAL;
	if (n == 0) {
		long c = sysconf(_SC_NPROCESSORS_ONLN);
		n = c > 0 ? (unsigned)c : 1;
	}
	e = calloc(1, sizeof(*e));
	if (!e)
		return ENOMEM;
	e->pool = params->pool;
	pthread_rwlock_init(&e->rooms_lock, NULL);
	e->run_dir = strdup(params->run_dir ? params->run_dir : "run");
	e->netio = calloc(n, sizeof(*e->netio));
	if (!e->run_dir || !e->netio) {
		err = ENOMEM;
		goto fail;
	}
	for (unsigned i = 0; i < n; i++) {
		err = mcu_netio_alloc(&e->netio[i]);
		if (err)
			goto fail;
		e->n_netio = i + 1; /* freed by mcu_engine_free, started or not */
		err = mcu_netio_start(e->netio[i]);
		if (err)
			goto fail;
	}
	err = mcu_ticker_alloc(&e->ticker, e->pool);
	if (err)
		goto fail;
	if (params->rt_priority > 0)
		start_realtime_audio(e, params->rt_priority);
	mcu_log_info("media engine: %u I/O threads", n);
	*enginep = e;
	return 0;
fail:
	mcu_log_error("cannot start the media engine: %s", strerror(err));
	mcu_engine_free(e);
	return err;
}

struct mcu_engine *mcu_engine_free(struct mcu_engine *e)
{
	if (!e)
		return NULL;
	while (e->rooms)
		mcu_engine_stop(e, mcu_room_id(e->rooms->room));
	e->ticker = mcu_ticker_free(e->ticker);
	e->audio_pool = mcu_workpool_free(e->audio_pool);
	for (unsigned i = 0; i < e->n_netio; i++)
		e->netio[i] = mcu_netio_free(e->netio[i]);
	free(e->netio);
	free(e->run_dir);
	pthread_rwlock_destroy(&e->rooms_lock);
	free(e);
	return NULL;
}

struct mcu_room *mcu_engine_room(struct mcu_engine *e, const char *id)
{
	for (struct room_entry *r = e->rooms; r; r = r->next)
		if (!strcmp(mcu_room_id(r->room), id))
			return r->room;
	return NULL;
}

void mcu_engine_set_probes(struct mcu_engine *e,
                           const struct mcu_room_probes *probes)
{
	e->probes = *probes;
	e->have_probes = true;
}

size_t mcu_engine_rooms(const struct mcu_engine *e)
{
	return e->n_rooms;
}

int mcu_engine_start(struct mcu_engine *e, struct mcu_snapshot *snap,
                     size_t meeting)
{
	struct mcu_room_env env = {
		.pool = e->pool,
		.audio_pool = e->audio_pool,
		.ticker = e->ticker,
		.pick_netio = pick_netio,
		.pick_arg = e,
		.run_dir = e->run_dir,
		.probes = e->have_probes ? &e->probes : NULL,
	};
	struct room_entry *r;
	int err;

	if (meeting >= snap->conf->n_meetings)
		return EINVAL;
	if (mcu_engine_room(e, snap->conf->meetings[meeting].id))
		return EALREADY;
	r = calloc(1, sizeof(*r));
	if (!r)
		return ENOMEM;
	err = mcu_room_alloc(&r->room, &env, snap, meeting);
	if (err) {
		free(r);
		return err;
	}
	pthread_rwlock_wrlock(&e->rooms_lock);
	r->next = e->rooms;
	e->rooms = r;
	e->n_rooms++;
	pthread_rwlock_unlock(&e->rooms_lock);
	return 0;
}

int mcu_engine_stop(struct mcu_engine *e, const char *id)
{
	struct room_entry *found = NULL;
	pthread_rwlock_wrlock(&e->rooms_lock);
	for (struct room_entry **pp = &e->rooms; *pp; pp = &(*pp)->next) {
		if (strcmp(mcu_room_id((*pp)->room), id))
			continue;
		found = *pp;
		*pp = found->next;
		e->n_rooms--;
		break;
	}
	pthread_rwlock_unlock(&e->rooms_lock);
	if (!found)
		return ENOENT;
	mcu_room_free(found->room);
	free(found);
	return 0;
}

struct mcu_room *mcu_engine_acquire(struct mcu_engine *e, const char *id)
{
	struct mcu_room *room;
	pthread_rwlock_rdlock(&e->rooms_lock);
	room = mcu_engine_room(e, id);
	if (!room)
		pthread_rwlock_unlock(&e->rooms_lock);
	return room;
}

void mcu_engine_release(struct mcu_engine *e, struct mcu_room *room)
{
	if (room)
		pthread_rwlock_unlock(&e->rooms_lock);
}
