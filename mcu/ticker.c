/*
 * The clock thread keeps the ticks in a small array and sleeps until the
 * earliest deadline (clock_nanosleep with TIMER_ABSTIME, so sleeping never
 * accumulates drift). At a deadline it submits the tick's run to its own
 * serial queue unless the previous run is still pending or running; then
 * it advances the deadline by whole periods past "now", so a stall of
 * the machine produces skipped ticks, not a burst of catch-up ticks. A
 * tick with late runs on keeps the newest deadline met while it is busy;
 * run_tick runs it right after the busy run, on the same worker.
 *
 * A real-time clock (mcu_ticker_set_realtime) hands the runs of ticks on
 * the ticker's own, ordinary pool to a hand-off thread (real-time at the
 * lowest priority) and submits only to the pools given to
 * mcu_ticker_add_on (the real-time audio worker) itself. Submitting
 * signals the pool's condition variable, and glibc's condition variables
 * have an internal lock without priority inheritance: the media pool's is
 * taken all the time by I/O threads queueing decodes, and a real-time
 * thread waiting behind one of them preempted there waits as long as it
 * stays preempted (the soak's "clock late" 68-95 ms while a probe thread
 * of higher priority ran on time delayed every meeting's audio). The
 * clock posts a semaphore (no lock) and goes back to sleep.
 *
 * Adding or removing a tick wakes the clock through a condition variable
 * (pthread_cond_timedwait on CLOCK_MONOTONIC stands in for the sleep).
 */
#define MCU_LOG_MODULE "ticker"
#include "mcu/ticker.h"
#include "conf/log.h"
#include "conf/pi_mutex.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <semaphore.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct mcu_tick {
	struct mcu_ticker *ticker;
	struct mcu_serial *serial;
	struct mcu_workpool *pool;
	int64_t period_ns;
	int64_t deadline_ns; /* ticker->lock */
	mcu_tick_h *fn;
	void *arg;
	bool busy;           /* a run is queued or running; ticker->lock */
	bool late_run;       /* keep a deadline met while busy; ticker->lock */
	bool pending;        /* such a deadline is kept; ticker->lock */
	int64_t pending_deadline_ns; /* ticker->lock */
	int64_t run_deadline_ns; /* deadline of the queued run; ticker->lock */
	bool handoff_due;    /* a run for it to submit; ticker->lock */
	struct mcu_tick_stats stats; /* ticker->lock */
};

struct mcu_ticker {
	pthread_mutex_t lock;
	pthread_cond_t cond;    /* wakes the clock (CLOCK_MONOTONIC) */
	struct mcu_workpool *pool;
	struct mcu_tick **ticks; /* lock */
	size_t n, cap;           /* lock */
	bool stop;               /* lock */
	pthread_t thread;
	/* hand-off of ordinary ticks' runs (real-time clock only) */
	bool has_handoff, handoff_stop;   /* lock */
	sem_t handoff_sem;                /* posted by the clock */
	struct mcu_tick *in_handoff;      /* lock: being submitted */
	pthread_cond_t handoff_done;      /* in_handoff cleared */
	pthread_t handoff_thread;
};

int64_t mcu_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int64_t mcu_now_ms(void)
{
	return mcu_now_ns() / 1000000;
}

static void run_tick(void *arg)
{
	struct mcu_tick *t = arg;
	struct mcu_ticker *tk = t->ticker;
	int64_t now = mcu_now_ns();
	int64_t deadline;

	pthread_mutex_lock(&tk->lock);
	deadline = t->run_deadline_ns;
	for (;;) {
		t->stats.fired++;
		t->stats.last_late_ns = now - deadline;
		if (now - deadline > t->stats.max_late_ns)
			t->stats.max_late_ns = now - deadline;
		pthread_mutex_unlock(&tk->lock);

		t->fn(deadline, now, t->arg);

		pthread_mutex_lock(&tk->lock);
		if (!t->pending)
			break;
		/* a deadline met while this run was busy: its run now */
		t->pending = false;
		deadline = t->run_deadline_ns = t->pending_deadline_ns;
		t->stats.late_runs++;
		now = mcu_now_ns();
	}
	t->busy = false;
	pthread_mutex_unlock(&tk->lock);
}

int mcu_tick_shift(struct mcu_ticker *tk, struct mcu_tick *t,
                   int64_t delta_ns)
{
	if (!tk || !t || delta_ns <= -t->period_ns || delta_ns >= t->period_ns)
		return EINVAL;
	pthread_mutex_lock(&tk->lock);
	t->deadline_ns += delta_ns;
	pthread_cond_signal(&tk->cond); /* the clock may sleep past it */
	pthread_mutex_unlock(&tk->lock);
	return 0;
}

/* A deadline that finds the tick busy: kept for a late run (replacing
   an older kept one, which is then skipped) or skipped. Lock held. */
static void busy_at_deadline(struct mcu_tick *t)
{
	if (t->late_run) {
		if (t->pending)
			t->stats.skipped++;
		t->pending = true;
		t->pending_deadline_ns = t->deadline_ns;
	} else {
		t->stats.skipped++;
	}
}

/* Fire what is due; returns the next deadline. Lock held. */
static int64_t fire_due(struct mcu_ticker *tk, int64_t now)
{
	int64_t next = INT64_MAX;
	bool handoff = false;
	for (size_t i = 0; i < tk->n; i++) {
		struct mcu_tick *t = tk->ticks[i];
		if (t->deadline_ns <= now) {
			if (t->busy) {
				busy_at_deadline(t);
			} else {
				t->busy = true;
				t->run_deadline_ns = t->deadline_ns;
				t->stats.last_submit_late_ns =
				    now - t->deadline_ns;
				/* ticks on the ticker's own pool go
				   through the hand-off thread, if any */
				if (tk->has_handoff && t->pool == tk->pool) {
					t->handoff_due = true;
					handoff = true;
				} else if (mcu_serial_submit(t->serial,
				                             run_tick, t)) {
					t->busy = false;
					t->stats.skipped++;
				}
			}
			int64_t behind = (now - t->deadline_ns) / t->period_ns;
			t->deadline_ns += (behind + 1) * t->period_ns;
		}
		if (t->deadline_ns < next)
			next = t->deadline_ns;
	}
	if (handoff)
		sem_post(&tk->handoff_sem);
	return next;
}

/* The hand-off thread: submits the runs the real-time clock marked. */
static void *handoff_main(void *arg)
{
	struct mcu_ticker *tk = arg;
	for (;;) {
		while (sem_wait(&tk->handoff_sem) != 0 && errno == EINTR)
			;
		pthread_mutex_lock(&tk->lock);
		if (tk->handoff_stop) {
			pthread_mutex_unlock(&tk->lock);
			return NULL;
		}
		for (size_t i = 0; i < tk->n; i++) {
			struct mcu_tick *t = tk->ticks[i];
			if (!t->handoff_due)
				continue;
			t->handoff_due = false;
			tk->in_handoff = t; /* mcu_ticker_remove waits */
			pthread_mutex_unlock(&tk->lock);
			int err = mcu_serial_submit(t->serial, run_tick, t);
			pthread_mutex_lock(&tk->lock);
			if (err) {
				t->busy = false;
				t->stats.skipped++;
			}
			tk->in_handoff = NULL;
			pthread_cond_broadcast(&tk->handoff_done);
			i = (size_t)-1; /* the array may have changed */
		}
		pthread_mutex_unlock(&tk->lock);
	}
}

static void *clock_main(void *arg)
{
	struct mcu_ticker *tk = arg;
	pthread_mutex_lock(&tk->lock);
	while (!tk->stop) {
		int64_t next = fire_due(tk, mcu_now_ns());
		if (next == INT64_MAX) {
			pthread_cond_wait(&tk->cond, &tk->lock);
			continue;
		}
		struct timespec ts = {
			.tv_sec = next / 1000000000,
			.tv_nsec = next % 1000000000,
		};
		pthread_cond_timedwait(&tk->cond, &tk->lock, &ts);
	}
	pthread_mutex_unlock(&tk->lock);
	return NULL;
}

int mcu_ticker_alloc(struct mcu_ticker **tickerp, struct mcu_workpool *pool)
{
	struct mcu_ticker *tk;
	pthread_condattr_t attr;
	int err;

	if (!tickerp || !pool)
		return EINVAL;
	tk = calloc(1, sizeof(*tk));
	if (!tk)
		return ENOMEM;
	tk->pool = pool;
	mcu_mutex_init_pi(&tk->lock);
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	err = pthread_cond_init(&tk->cond, &attr);
	pthread_condattr_destroy(&attr);
	if (!err)
		err = pthread_cond_init(&tk->handoff_done, NULL);
	if (!err && sem_init(&tk->handoff_sem, 0, 0) != 0)
		err = errno;
	if (!err)
		err = pthread_create(&tk->thread, NULL, clock_main, tk);
	if (!err)
		pthread_setname_np(tk->thread, "mcud-clock");
	if (err) {
		mcu_log_error("cannot start the media clock: errno %d", err);
		pthread_mutex_destroy(&tk->lock);
		free(tk);
		return err;
	}
	*tickerp = tk;
	return 0;
}

struct mcu_ticker *mcu_ticker_free(struct mcu_ticker *tk)
{
	if (!tk)
		return NULL;
	pthread_mutex_lock(&tk->lock);
	tk->stop = true;
	pthread_cond_signal(&tk->cond);
	pthread_mutex_unlock(&tk->lock);
	pthread_join(tk->thread, NULL);
	if (tk->has_handoff) {
		pthread_mutex_lock(&tk->lock);
		tk->handoff_stop = true;
		pthread_mutex_unlock(&tk->lock);
		sem_post(&tk->handoff_sem);
		pthread_join(tk->handoff_thread, NULL);
	}
	if (tk->n)
		mcu_log_error("ticker freed with %zu ticks registered", tk->n);
	sem_destroy(&tk->handoff_sem);
	pthread_cond_destroy(&tk->handoff_done);
	pthread_cond_destroy(&tk->cond);
	pthread_mutex_destroy(&tk->lock);
	free(tk->ticks);
	free(tk);
	return NULL;
}

int mcu_ticker_set_realtime(struct mcu_ticker *tk, int priority)
{
	if (!tk || priority < sched_get_priority_min(SCHED_FIFO) ||
	    priority > sched_get_priority_max(SCHED_FIFO))
		return EINVAL;
	struct sched_param sp = {.sched_priority = priority};
	int err = pthread_setschedparam(tk->thread, SCHED_FIFO, &sp);
	if (err)
		return err;
	pthread_mutex_lock(&tk->lock);
	if (!tk->has_handoff) {
		err = pthread_create(&tk->handoff_thread, NULL, handoff_main,
		                     tk);
		if (!err) {
			/* real-time too, at the lowest priority: it wakes at
			   once, and if it waits on the pool's condition
			   variable only the video is late, never the clock */
			struct sched_param low = {
			    .sched_priority =
			        sched_get_priority_min(SCHED_FIFO)};
			pthread_setschedparam(tk->handoff_thread, SCHED_FIFO,
			                      &low);
			pthread_setname_np(tk->handoff_thread, "mcud-clock-tx");
			tk->has_handoff = true;
		}
	}
	pthread_mutex_unlock(&tk->lock);
	if (err)
		mcu_log_warn("media clock: no hand-off thread (errno %d): "
		             "it submits every tick itself", err);
	return 0;
}

int mcu_ticker_add(struct mcu_ticker *tk, struct mcu_tick **tickp,
                   int64_t period_ns, mcu_tick_h *fn, void *arg)
{
	return mcu_ticker_add_on(tk, tk ? tk->pool : NULL, tickp, period_ns,
	                         fn, arg);
}

int mcu_ticker_add_on(struct mcu_ticker *tk, struct mcu_workpool *pool,
                      struct mcu_tick **tickp, int64_t period_ns,
                      mcu_tick_h *fn, void *arg)
{
	struct mcu_tick *t;
	int err;

	if (!tk || !pool || !tickp || period_ns <= 0 || !fn)
		return EINVAL;
	t = calloc(1, sizeof(*t));
	if (!t)
		return ENOMEM;
	err = mcu_serial_alloc(&t->serial, pool, 2);
	if (err) {
		free(t);
		return err;
	}
	/* A tick runs ahead of the decodes waiting for a worker. */
	mcu_serial_set_high(t->serial);
	t->ticker = tk;
	t->pool = pool;
	t->period_ns = period_ns;
	t->fn = fn;
	t->arg = arg;
	t->deadline_ns = mcu_now_ns() + period_ns;

	/* Set before the tick is published: its function may read *tickp
	   (a meeting's audio tick moves itself), and the clock's lock then
	   orders this write before its first run. */
	*tickp = t;
	pthread_mutex_lock(&tk->lock);
	if (tk->n == tk->cap) {
		size_t cap = tk->cap ? tk->cap * 2 : 16;
		struct mcu_tick **nt = realloc(tk->ticks, cap * sizeof(*nt));
		if (!nt) {
			pthread_mutex_unlock(&tk->lock);
			mcu_serial_free(t->serial);
			free(t);
			*tickp = NULL;
			return ENOMEM;
		}
		tk->ticks = nt;
		tk->cap = cap;
	}
	tk->ticks[tk->n++] = t;
	pthread_cond_signal(&tk->cond);
	pthread_mutex_unlock(&tk->lock);
	return 0;
}

struct mcu_tick *mcu_ticker_remove(struct mcu_ticker *tk, struct mcu_tick *t)
{
	if (!tk || !t)
		return NULL;
	pthread_mutex_lock(&tk->lock);
	for (size_t i = 0; i < tk->n; i++) {
		if (tk->ticks[i] == t) {
			tk->ticks[i] = tk->ticks[--tk->n];
			break;
		}
	}
	t->handoff_due = false;
	while (tk->in_handoff == t) /* being submitted: let it finish */
		pthread_cond_wait(&tk->handoff_done, &tk->lock);
	pthread_mutex_unlock(&tk->lock);
	/* Waits for a running job and drops a queued one. */
	mcu_serial_free(t->serial);
	free(t);
	return NULL;
}

void mcu_tick_set_late_run(struct mcu_ticker *tk, struct mcu_tick *t,
                           bool on)
{
	if (!tk || !t)
		return;
	pthread_mutex_lock(&tk->lock);
	t->late_run = on;
	if (!on)
		t->pending = false;
	pthread_mutex_unlock(&tk->lock);
}

void mcu_tick_stats(struct mcu_ticker *tk, const struct mcu_tick *t,
                    struct mcu_tick_stats *out)
{
	pthread_mutex_lock(&tk->lock);
	*out = t->stats;
	pthread_mutex_unlock(&tk->lock);
}
