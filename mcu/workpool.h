/*
 * workpool: the media worker pool of design.md ("Threads"). A fixed set of
 * worker threads runs jobs from one bounded queue. Work that must keep its
 * order (one stream's decode jobs, one meeting's ticks) goes through a
 * serial queue: its jobs run one at a time, in order, on whichever worker is
 * free, so there is no thread per stream and no stream waits behind another
 * stream's work.
 *
 * Every queue is bounded. mcu_workpool_submit() never blocks: when the
 * queue is full it returns ENOBUFS and the caller drops (and, for video,
 * asks for a key frame), as style.md point 9 asks.
 *
 * Owner: the daemon (mcu/daemon.c) creates one pool; the media engine
 * submits to it from any thread.
 */
#ifndef MCU_WORKPOOL_H
#define MCU_WORKPOOL_H

#include <stddef.h>
#include <stdint.h>

struct mcu_workpool;
struct mcu_serial;

/* A job: runs on a worker thread, must not block on I/O. */
typedef void(mcu_job_h)(void *arg);

/*
 * Create a pool with `threads` workers (0: one per core) and room for
 * `capacity` queued jobs. Sets *poolp on success; returns 0 or an errno.
 */
int mcu_workpool_alloc(struct mcu_workpool **poolp, unsigned threads,
                       size_t capacity);

/* Run every queued job, join the workers and free the pool; returns NULL. */
struct mcu_workpool *mcu_workpool_free(struct mcu_workpool *pool);

/* Queue fn(arg). Returns 0, ENOBUFS when full, ESHUTDOWN when stopping. */
int mcu_workpool_submit(struct mcu_workpool *pool, mcu_job_h *fn, void *arg);

unsigned mcu_workpool_threads(const struct mcu_workpool *pool);
/* Name the workers "mcud-<name>-<i>" (ps, top, perf; at most 15 bytes). */
void mcu_workpool_set_name(struct mcu_workpool *pool, const char *name);
/*
 * Run the pool's workers under SCHED_FIFO at `priority` (1..99): they
 * then preempt every ordinary thread of the machine the moment a job
 * arrives. For a pool of short, bounded jobs only (the audio ticks); the
 * kernel's real-time throttling still leaves others 5 % of each CPU.
 * 0, EINVAL, or EPERM without CAP_SYS_NICE / RLIMIT_RTPRIO (the workers
 * then stay as they were).
 */
int mcu_workpool_set_realtime(struct mcu_workpool *pool, int priority);

/* One item of a parallel loop: runs on the caller or a worker. */
typedef void(mcu_for_h)(void *arg, size_t i);

/*
 * Run fn(arg, i) for every i in [0, n), spread over the calling thread and
 * up to (threads - 1) workers, and return when all n have run. The caller
 * takes items too, so the loop finishes even when every worker is busy
 * (it may be called from a job, e.g. a meeting's tick). Helpers are
 * started ahead of the queued jobs and of the ordinary serial queues, but
 * after a high-priority queue's waiting job (a tick), and a helper stops
 * taking items when such a job waits, then queues itself again; a helper
 * that starts after the loop is over does nothing. fn must be safe to run
 * for different i at once.
 */
void mcu_workpool_for(struct mcu_workpool *pool, size_t n, mcu_for_h *fn,
                      void *arg);

/*
 * Diagnosis of a late tick: which jobs held the workers. A job that ran
 * MCU_WORKPOOL_LONG_NS or more is remembered (the last 16).
 */
#define MCU_WORKPOOL_LONG_NS 20000000

struct mcu_workpool_job {
	int64_t start_ns, end_ns; /* CLOCK_MONOTONIC; end 0: still running */
	mcu_job_h *fn;            /* the job (a serial queue's job: its fn) */
	void *arg;
};

/*
 * Into out[] (at most max): the jobs running now that started before
 * since_ns, then the remembered long jobs that ended at or after since_ns,
 * newest first. Returns how many. Takes the pool's lock briefly.
 */
size_t mcu_workpool_long_jobs(struct mcu_workpool *pool, int64_t since_ns,
                              struct mcu_workpool_job *out, size_t max);

/* Jobs refused because the queue was full, since start. */
uint64_t mcu_workpool_dropped(const struct mcu_workpool *pool);

/*
 * A serial queue on `pool` holding at most `capacity` pending jobs. Its jobs
 * run in submission order, never two at once. Returns 0 or an errno.
 */
int mcu_serial_alloc(struct mcu_serial **serialp, struct mcu_workpool *pool,
                     size_t capacity);

/*
 * Wait until the serial queue's running job (if any) is done, drop what is
 * still pending, and free it. Must not be called from one of its own jobs.
 * Returns NULL.
 */
struct mcu_serial *mcu_serial_free(struct mcu_serial *serial);

/*
 * Give the serial queue priority: its jobs start before those of every
 * ordinary serial queue and of the plain queue (a meeting's ticks ahead
 * of the streams' decodes, whose work the tick shows a frame later
 * anyway). Call it before the first submit.
 */
void mcu_serial_set_high(struct mcu_serial *serial);

/* Queue fn(arg) on the serial queue; 0, ENOBUFS or ESHUTDOWN. */
int mcu_serial_submit(struct mcu_serial *serial, mcu_job_h *fn, void *arg);

/* Pending (not yet started) jobs of the serial queue. */
size_t mcu_serial_pending(struct mcu_serial *serial);

#endif
