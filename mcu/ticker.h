/*
 * ticker: the media clock of design.md ("Threads"): one thread that fires
 * every registered tick (a meeting's 20 ms audio tick, its 1/fps video
 * tick) at absolute CLOCK_MONOTONIC deadlines with clock_nanosleep, and
 * hands the work to the tick's serial queue on the worker pool. The clock
 * never runs a tick itself and never waits for one: a tick whose previous
 * run has not finished is skipped and counted as late, so a slow meeting
 * loses frames instead of delaying every other meeting. A tick may instead
 * keep one such deadline and run it as soon as its previous run returns
 * (mcu_tick_set_late_run: a video frame that comes a few milliseconds late
 * is better than a frame not sent); a second deadline missed meanwhile is
 * skipped, so a run is never more than a period late.
 *
 * Lateness (how long after its deadline a tick started running) is
 * recorded per tick for the statistics.
 */
#ifndef MCU_TICKER_H
#define MCU_TICKER_H

#include <stdbool.h>
#include <stdint.h>

#include "mcu/workpool.h"

struct mcu_ticker;
struct mcu_tick;

/*
 * The tick's work: runs on a worker, in order with the tick's earlier
 * runs. `deadline_ns` is the monotonic time it was due, `now_ns` when it
 * started.
 */
typedef void(mcu_tick_h)(int64_t deadline_ns, int64_t now_ns, void *arg);

struct mcu_tick_stats {
	uint64_t fired;    /* runs started */
	uint64_t skipped;  /* deadlines missed because the last run was busy */
	uint64_t late_runs; /* deadlines run after the last run returned
	                       (mcu_tick_set_late_run), not skipped */
	int64_t last_late_ns;
	int64_t max_late_ns;
	/* how late the clock thread handed the last run to the pool (the
	   rest of last_late_ns is the wait for a worker) */
	int64_t last_submit_late_ns;
};

int mcu_ticker_alloc(struct mcu_ticker **tickerp, struct mcu_workpool *pool);
/*
 * Run the clock thread under SCHED_FIFO at `priority` (1..99), so it hands
 * out every deadline on time whatever else runs; it only sleeps and
 * queues. The runs of ticks on the ticker's own (ordinary) pool are then
 * queued by a hand-off thread (`mcud-clock-tx`, SCHED_FIFO 1), so
 * the real-time clock never waits on a lock of that busy pool without
 * priority inheritance (ticker.c). 0, EINVAL or EPERM (as
 * mcu_workpool_set_realtime()).
 */
int mcu_ticker_set_realtime(struct mcu_ticker *ticker, int priority);
/* Stops the clock thread; every tick must have been removed. */
struct mcu_ticker *mcu_ticker_free(struct mcu_ticker *ticker);

/*
 * Register fn(arg) every `period_ns`, first at now + period. Sets *tickp
 * before the tick can first run (fn may read it).
 * 0, EINVAL, ENOMEM.
 */
int mcu_ticker_add(struct mcu_ticker *ticker, struct mcu_tick **tickp,
                   int64_t period_ns, mcu_tick_h *fn, void *arg);
/* The same, the runs going to `pool` instead of the ticker's (a pool of
   its own for the ticks that must never wait: a meeting's audio). */
int mcu_ticker_add_on(struct mcu_ticker *ticker, struct mcu_workpool *pool,
                      struct mcu_tick **tickp, int64_t period_ns,
                      mcu_tick_h *fn, void *arg);

/*
 * Whether a deadline that finds the tick's last run busy is kept and run
 * when that run returns (at most one kept; its lateness is recorded like
 * any run's) instead of being skipped. Off by default: a meeting's audio
 * tick counts the deadlines it missed and catches up itself.
 */
void mcu_tick_set_late_run(struct mcu_ticker *ticker, struct mcu_tick *tick,
                           bool on);

/*
 * Move the tick's next deadline by delta_ns (negative: earlier), and every
 * later one with it: a change of the tick's phase, e.g. a meeting's audio
 * clock aligning with its speakers' packets. |delta_ns| must be less than
 * the period (EINVAL); 0 otherwise. From any thread, the tick's own
 * function included.
 */
int mcu_tick_shift(struct mcu_ticker *ticker, struct mcu_tick *tick,
                   int64_t delta_ns);

/*
 * Unregister and wait until a running call has returned; after it fn is
 * never called again. Not from the tick's own function. Returns NULL.
 */
struct mcu_tick *mcu_ticker_remove(struct mcu_ticker *ticker,
                                   struct mcu_tick *tick);

void mcu_tick_stats(struct mcu_ticker *ticker, const struct mcu_tick *tick,
                    struct mcu_tick_stats *out);

/* Monotonic clock in nanoseconds / milliseconds. */
int64_t mcu_now_ns(void);
int64_t mcu_now_ms(void);

#endif
