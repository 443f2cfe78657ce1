/*
 * One mutex guards the whole pool: the plain job ring, the list of serial
 * queues that have work ready, and every serial queue's own ring. Jobs are
 * short (a decode, a compose, an encode) and queue operations are a few
 * instructions, so one lock costs less than the bookkeeping of several.
 *
 * A serial queue with pending work sits on the ready list at most once.
 * A worker takes the serial queue off the list, runs exactly one of its
 * jobs, and puts it back at the tail if more remain: serial queues are
 * served round-robin with each other and with plain jobs, and a busy stream
 * cannot starve the rest. Ready serial queues are served before plain jobs
 * because they carry the ordered media work.
 */
#define MCU_LOG_MODULE "workpool"
#include "mcu/workpool.h"
#include "conf/log.h"
#include "conf/pi_mutex.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

struct job {
	mcu_job_h *fn;
	void *arg;
};

struct mcu_serial {
	struct mcu_workpool *pool;
	struct job *jobs; /* pool->lock */
	size_t cap, head, count; /* pool->lock */
	bool scheduled; /* on the ready list or running; pool->lock */
	bool running;   /* pool->lock */
	bool closing;   /* pool->lock */
	bool high;      /* on the high ready list; set before the first job */
	struct mcu_serial *next; /* ready list link; pool->lock */
};

#define URGENT_CAP 64 /* helpers of parallel loops waiting to start */
#define LONG_RING  16 /* the last jobs that ran MCU_WORKPOOL_LONG_NS or more */
#define RUN_SLOTS  64 /* jobs running now (one per worker) */

struct mcu_workpool {
	pthread_mutex_t lock;
	struct job urgent[URGENT_CAP]; /* lock: run before anything else */
	size_t urgent_n;               /* lock */
	pthread_cond_t work;  /* signalled when work arrives or on stop */
	pthread_cond_t idle;  /* broadcast when a serial job finishes */
	struct job *jobs;     /* lock */
	size_t cap, head, count; /* lock */
	struct mcu_serial *ready_head, *ready_tail; /* lock */
	struct mcu_serial *high_head, *high_tail;   /* lock: run first */
	atomic_uint high_ready; /* queues on the high list (read unlocked
	                           by parallel loops' helpers) */
	bool stopping; /* lock */
	uint64_t dropped; /* lock */
	/* For a late tick's diagnosis (mcu_workpool_long_jobs): the
	   last long jobs and the ones running now. lock */
	struct mcu_workpool_job long_ring[LONG_RING];
	size_t long_next;
	struct mcu_workpool_job running[RUN_SLOTS];
	pthread_t *threads;
	unsigned n_threads;
};

/* The ready list `s` belongs on: high-priority queues (a meeting's
   ticks) run before every other queue (a stream's decodes). */
static struct mcu_serial **list_head(struct mcu_workpool *pool,
                                     const struct mcu_serial *s)
{
	return s->high ? &pool->high_head : &pool->ready_head;
}

static struct mcu_serial **list_tail(struct mcu_workpool *pool,
                                     const struct mcu_serial *s)
{
	return s->high ? &pool->high_tail : &pool->ready_tail;
}

static void ready_push(struct mcu_workpool *pool, struct mcu_serial *s)
{
	struct mcu_serial **head = list_head(pool, s);
	struct mcu_serial **tail = list_tail(pool, s);
	s->next = NULL;
	if (s->high)
		atomic_fetch_add(&pool->high_ready, 1);
	if (*tail)
		(*tail)->next = s;
	else
		*head = s;
	*tail = s;
	pthread_cond_signal(&pool->work);
}

static struct mcu_serial *pop_list(struct mcu_serial **head,
                                   struct mcu_serial **tail)
{
	struct mcu_serial *s = *head;
	if (!s)
		return NULL;
	*head = s->next;
	if (!*head)
		*tail = NULL;
	s->next = NULL;
	return s;
}

static struct mcu_serial *high_pop(struct mcu_workpool *pool)
{
	struct mcu_serial *s = pop_list(&pool->high_head, &pool->high_tail);
	if (s)
		atomic_fetch_sub(&pool->high_ready, 1);
	return s;
}

static void ready_remove(struct mcu_workpool *pool, struct mcu_serial *s)
{
	struct mcu_serial **head = list_head(pool, s);
	struct mcu_serial **tail = list_tail(pool, s);
	struct mcu_serial *prev = NULL;
	for (struct mcu_serial *it = *head; it; it = it->next) {
		if (it != s) {
			prev = it;
			continue;
		}
		if (prev)
			prev->next = s->next;
		else
			*head = s->next;
		if (*tail == s)
			*tail = prev;
		s->next = NULL;
		if (s->high)
			atomic_fetch_sub(&pool->high_ready, 1);
		return;
	}
}

static int64_t mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/*
 * Run j on this worker: lock held on entry and on return, released while
 * the job runs. Times it (two clock reads per job) so that a late tick
 * can tell which job held the workers (mcu_workpool_long_jobs).
 */
static void run_job(struct mcu_workpool *pool, struct job j)
{
	struct mcu_workpool_job *slot = NULL;
	int64_t t0 = mono_ns();

	for (size_t i = 0; i < RUN_SLOTS; i++) {
		if (!pool->running[i].fn) {
			slot = &pool->running[i];
			*slot = (struct mcu_workpool_job){t0, 0, j.fn, j.arg};
			break;
		}
	}
	pthread_mutex_unlock(&pool->lock);
	j.fn(j.arg);
	int64_t t1 = mono_ns();
	pthread_mutex_lock(&pool->lock);
	if (slot)
		slot->fn = NULL;
	if (t1 - t0 >= MCU_WORKPOOL_LONG_NS) {
		pool->long_ring[pool->long_next % LONG_RING] =
		    (struct mcu_workpool_job){t0, t1, j.fn, j.arg};
		pool->long_next++;
	}
}

size_t mcu_workpool_long_jobs(struct mcu_workpool *pool, int64_t since_ns,
                              struct mcu_workpool_job *out, size_t max)
{
	size_t n = 0;
	if (!pool || !out)
		return 0;
	pthread_mutex_lock(&pool->lock);
	for (size_t i = 0; i < RUN_SLOTS && n < max; i++)
		if (pool->running[i].fn && pool->running[i].start_ns < since_ns)
			out[n++] = pool->running[i];
	for (size_t k = 1; k <= LONG_RING && k <= pool->long_next && n < max;
	     k++) {
		const struct mcu_workpool_job *lj =
		    &pool->long_ring[(pool->long_next - k) % LONG_RING];
		if (lj->end_ns >= since_ns)
			out[n++] = *lj;
	}
	pthread_mutex_unlock(&pool->lock);
	return n;
}

/* Runs one job of serial queue `s`, taken off the ready list; lock held. */
static void run_serial_job(struct mcu_workpool *pool, struct mcu_serial *s)
{
	struct job j = s->jobs[s->head];
	s->head = (s->head + 1) % s->cap;
	s->count--;
	s->running = true;
	run_job(pool, j);
	s->running = false;
	if (s->count > 0 && !s->closing)
		ready_push(pool, s);
	else
		s->scheduled = false;
	pthread_cond_broadcast(&pool->idle);
}

static void *worker_main(void *arg)
{
	struct mcu_workpool *pool = arg;
	pthread_mutex_lock(&pool->lock);
	for (;;) {
		/* A tick first, then the helpers of a running tick's parallel
		 * loop (they yield to a waiting tick: par_helper), then the
		 * streams' serial queues, then plain jobs. */
		struct mcu_serial *s = high_pop(pool);
		if (s) {
			run_serial_job(pool, s);
			continue;
		}
		if (pool->urgent_n > 0) {
			struct job j = pool->urgent[--pool->urgent_n];
			run_job(pool, j);
			continue;
		}
		s = pop_list(&pool->ready_head, &pool->ready_tail);
		if (s) {
			run_serial_job(pool, s);
			continue;
		}
		if (pool->count > 0) {
			struct job j = pool->jobs[pool->head];
			pool->head = (pool->head + 1) % pool->cap;
			pool->count--;
			run_job(pool, j);
			continue;
		}
		if (pool->stopping)
			break;
		pthread_cond_wait(&pool->work, &pool->lock);
	}
	pthread_mutex_unlock(&pool->lock);
	return NULL;
}

int mcu_workpool_alloc(struct mcu_workpool **poolp, unsigned threads,
                       size_t capacity)
{
	struct mcu_workpool *pool;
	int err;

	if (!poolp || capacity == 0)
		return EINVAL;
	if (threads == 0) {
		long n = sysconf(_SC_NPROCESSORS_ONLN);
		threads = n > 0 ? (unsigned)n : 1;
	}
	pool = calloc(1, sizeof(*pool));
	if (!pool)
		return ENOMEM;
	pool->cap = capacity;
	atomic_init(&pool->high_ready, 0);
	pool->jobs = calloc(capacity, sizeof(*pool->jobs));
	pool->threads = calloc(threads, sizeof(*pool->threads));
	if (!pool->jobs || !pool->threads) {
		err = ENOMEM;
		goto out;
	}
	err = mcu_mutex_init_pi(&pool->lock);
	if (err)
		goto out;
	err = pthread_cond_init(&pool->work, NULL);
	if (!err)
		err = pthread_cond_init(&pool->idle, NULL);
	if (err) {
		pthread_mutex_destroy(&pool->lock);
		goto out;
	}
	for (unsigned i = 0; i < threads; i++) {
		err = pthread_create(&pool->threads[i], NULL, worker_main, pool);
		if (err) {
			mcu_log_error("cannot start worker %u: errno %d", i, err);
			pool->n_threads = i;
			mcu_workpool_free(pool);
			return err;
		}
	}
	pool->n_threads = threads;
	*poolp = pool;
	return 0;
out:
	free(pool->jobs);
	free(pool->threads);
	free(pool);
	return err;
}

void mcu_workpool_set_name(struct mcu_workpool *pool, const char *name)
{
	for (unsigned i = 0; pool && i < pool->n_threads; i++) {
		char n[32]; /* the kernel keeps 15 bytes */
		snprintf(n, sizeof(n), "mcud-%s-%u", name, i);
		n[15] = '\0';
		pthread_setname_np(pool->threads[i], n);
	}
}

int mcu_workpool_set_realtime(struct mcu_workpool *pool, int priority)
{
	if (!pool || priority < sched_get_priority_min(SCHED_FIFO) ||
	    priority > sched_get_priority_max(SCHED_FIFO))
		return EINVAL;
	struct sched_param sp = {.sched_priority = priority};
	for (unsigned i = 0; i < pool->n_threads; i++) {
		int err = pthread_setschedparam(pool->threads[i], SCHED_FIFO,
		                                &sp);
		if (err) {
			/* all or none */
			struct sched_param normal = {0};
			for (unsigned j = 0; j < i; j++)
				pthread_setschedparam(pool->threads[j],
				                      SCHED_OTHER, &normal);
			return err;
		}
	}
	return 0;
}

struct mcu_workpool *mcu_workpool_free(struct mcu_workpool *pool)
{
	if (!pool)
		return NULL;
	pthread_mutex_lock(&pool->lock);
	pool->stopping = true;
	pthread_cond_broadcast(&pool->work);
	pthread_mutex_unlock(&pool->lock);
	for (unsigned i = 0; i < pool->n_threads; i++) {
		int err = pthread_join(pool->threads[i], NULL);
		if (err)
			mcu_log_error("cannot join worker %u: errno %d", i, err);
	}
	pthread_cond_destroy(&pool->idle);
	pthread_cond_destroy(&pool->work);
	pthread_mutex_destroy(&pool->lock);
	free(pool->jobs);
	free(pool->threads);
	free(pool);
	return NULL;
}

int mcu_workpool_submit(struct mcu_workpool *pool, mcu_job_h *fn, void *arg)
{
	int err = 0;
	if (!pool || !fn)
		return EINVAL;
	pthread_mutex_lock(&pool->lock);
	if (pool->stopping) {
		err = ESHUTDOWN;
	} else if (pool->count == pool->cap) {
		pool->dropped++;
		err = ENOBUFS;
	} else {
		pool->jobs[(pool->head + pool->count) % pool->cap] =
			(struct job){fn, arg};
		pool->count++;
		pthread_cond_signal(&pool->work);
	}
	pthread_mutex_unlock(&pool->lock);
	return err;
}

/* ---- parallel loops ------------------------------------------------ */

struct par_loop {
	struct mcu_workpool *pool;
	atomic_size_t next; /* next item to take */
	atomic_int refs;    /* caller + helpers not yet finished */
	size_t n;
	size_t done;        /* lock */
	mcu_for_h *fn;
	void *arg;
	pthread_mutex_t lock;
	pthread_cond_t all_done;
};

static void par_unref(struct par_loop *pl)
{
	if (atomic_fetch_sub(&pl->refs, 1) != 1)
		return;
	pthread_cond_destroy(&pl->all_done);
	pthread_mutex_destroy(&pl->lock);
	free(pl);
}

/*
 * Take items until none is left, then count them as done. A helper
 * (yield) stops before its next item when a tick waits on the high list
 * and returns true: the loop's caller always works to the end, so the
 * items left are done either way, and a tick (a meeting's audio frame,
 * due every 20 ms) does not wait for the whole of another tick's loop
 * (four encodes) on a machine with as many workers as cores.
 */
static bool par_work(struct par_loop *pl, bool yield)
{
	size_t i, ran = 0;
	bool yielded = false;
	for (;;) {
		if (yield && atomic_load(&pl->pool->high_ready) > 0) {
			yielded = atomic_load(&pl->next) < pl->n;
			break;
		}
		if ((i = atomic_fetch_add(&pl->next, 1)) >= pl->n)
			break;
		pl->fn(pl->arg, i);
		ran++;
	}
	if (ran) {
		pthread_mutex_lock(&pl->lock);
		pl->done += ran;
		if (pl->done == pl->n)
			pthread_cond_signal(&pl->all_done);
		pthread_mutex_unlock(&pl->lock);
	}
	return yielded;
}

static void par_helper(void *arg);

/* A helper that yielded queues itself again (behind the waiting tick, see
 * worker_main) and keeps its reference; false if it could not. */
static bool par_requeue(struct par_loop *pl)
{
	struct mcu_workpool *pool = pl->pool;
	bool ok;
	pthread_mutex_lock(&pool->lock);
	ok = !pool->stopping && pool->urgent_n < URGENT_CAP;
	if (ok) {
		pool->urgent[pool->urgent_n++] = (struct job){par_helper, pl};
		pthread_cond_signal(&pool->work);
	}
	pthread_mutex_unlock(&pool->lock);
	return ok;
}

static void par_helper(void *arg)
{
	struct par_loop *pl = arg;
	if (par_work(pl, true)) {
		if (par_requeue(pl))
			return;
		par_work(pl, false);
	}
	par_unref(pl);
}

void mcu_workpool_for(struct mcu_workpool *pool, size_t n, mcu_for_h *fn,
                      void *arg)
{
	struct par_loop *pl;
	size_t helpers = 0;

	if (!fn || n == 0)
		return;
	pl = pool && n > 1 && pool->n_threads > 1 ? calloc(1, sizeof(*pl))
	                                         : NULL;
	if (!pl || mcu_mutex_init_pi(&pl->lock)) {
		free(pl);
		for (size_t i = 0; i < n; i++)
			fn(arg, i);
		return;
	}
	pthread_cond_init(&pl->all_done, NULL);
	atomic_init(&pl->next, 0);
	pl->pool = pool;
	pl->n = n;
	pl->fn = fn;
	pl->arg = arg;
	/* The helpers: at most one per other worker and per other item. */
	size_t want = pool->n_threads - 1 < n - 1 ? pool->n_threads - 1 : n - 1;
	atomic_init(&pl->refs, 1 + (int)want);
	pthread_mutex_lock(&pool->lock);
	while (helpers < want && !pool->stopping &&
	       pool->urgent_n < URGENT_CAP) {
		pool->urgent[pool->urgent_n++] = (struct job){par_helper, pl};
		helpers++;
	}
	if (helpers)
		pthread_cond_broadcast(&pool->work);
	pthread_mutex_unlock(&pool->lock);
	if (helpers < want) /* not queued: drop their references */
		atomic_fetch_sub(&pl->refs, (int)(want - helpers));

	par_work(pl, false);
	pthread_mutex_lock(&pl->lock);
	while (pl->done < pl->n)
		pthread_cond_wait(&pl->all_done, &pl->lock);
	pthread_mutex_unlock(&pl->lock);
	par_unref(pl);
}

unsigned mcu_workpool_threads(const struct mcu_workpool *pool)
{
	return pool ? pool->n_threads : 0;
}

uint64_t mcu_workpool_dropped(const struct mcu_workpool *pool)
{
	uint64_t n;
	struct mcu_workpool *p = (struct mcu_workpool *)pool;
	if (!p)
		return 0;
	pthread_mutex_lock(&p->lock);
	n = p->dropped;
	pthread_mutex_unlock(&p->lock);
	return n;
}

int mcu_serial_alloc(struct mcu_serial **serialp, struct mcu_workpool *pool,
                     size_t capacity)
{
	struct mcu_serial *s;
	if (!serialp || !pool || capacity == 0)
		return EINVAL;
	s = calloc(1, sizeof(*s));
	if (!s)
		return ENOMEM;
	s->jobs = calloc(capacity, sizeof(*s->jobs));
	if (!s->jobs) {
		free(s);
		return ENOMEM;
	}
	s->pool = pool;
	s->cap = capacity;
	*serialp = s;
	return 0;
}

struct mcu_serial *mcu_serial_free(struct mcu_serial *s)
{
	struct mcu_workpool *pool;
	if (!s)
		return NULL;
	pool = s->pool;
	pthread_mutex_lock(&pool->lock);
	s->closing = true;
	s->count = 0;
	if (s->scheduled && !s->running) {
		ready_remove(pool, s);
		s->scheduled = false;
	}
	while (s->running)
		pthread_cond_wait(&pool->idle, &pool->lock);
	pthread_mutex_unlock(&pool->lock);
	free(s->jobs);
	free(s);
	return NULL;
}

void mcu_serial_set_high(struct mcu_serial *s)
{
	if (!s)
		return;
	pthread_mutex_lock(&s->pool->lock);
	if (!s->scheduled)
		s->high = true;
	pthread_mutex_unlock(&s->pool->lock);
}

int mcu_serial_submit(struct mcu_serial *s, mcu_job_h *fn, void *arg)
{
	struct mcu_workpool *pool;
	int err = 0;
	if (!s || !fn)
		return EINVAL;
	pool = s->pool;
	pthread_mutex_lock(&pool->lock);
	if (pool->stopping || s->closing) {
		err = ESHUTDOWN;
	} else if (s->count == s->cap) {
		pool->dropped++;
		err = ENOBUFS;
	} else {
		s->jobs[(s->head + s->count) % s->cap] = (struct job){fn, arg};
		s->count++;
		if (!s->scheduled) {
			s->scheduled = true;
			ready_push(pool, s);
		}
	}
	pthread_mutex_unlock(&pool->lock);
	return err;
}

size_t mcu_serial_pending(struct mcu_serial *s)
{
	size_t n;
	pthread_mutex_lock(&s->pool->lock);
	n = s->count;
	pthread_mutex_unlock(&s->pool->lock);
	return n;
}
