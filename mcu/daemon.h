/*
 * daemon: the life of one mcud process. It owns the current configuration
 * snapshot, the threads of design.md ("Threads") and the control loop that
 * runs on the calling thread: signals (SIGTERM/SIGINT stop, SIGHUP reload)
 * through a signalfd, and a 1 Hz scheduler tick on an absolute monotonic
 * timer that moves meetings between scheduled, test-run, live and ended.
 *
 * Called by main.c only; the other modules of mcu/ receive what they need
 * from it (the snapshot, the worker pool).
 */
#ifndef MCU_DAEMON_H
#define MCU_DAEMON_H

#include <stdbool.h>
#include <time.h>

#include "mcu/snapshot.h"
#include "mcu/workpool.h"

struct mcu_daemon;

#define MCU_DAEMON_RT_PRIORITY 10

struct mcu_daemon_opts {
	const char *config_path; /* required */
	const char *run_dir;     /* SDP files, pid; NULL: "run" */
	unsigned workers;        /* media worker threads; 0: one per core */
	unsigned io_threads;     /* network I/O threads; 0: one per core */
	/* SCHED_FIFO priority of the audio worker (mcu_engine_params);
	   0: none. mcud's own default is MCU_DAEMON_RT_PRIORITY. */
	unsigned rt_priority;
	/* Drop to this user (and group; NULL: the user's) once SIP and the
	   API are bound (mcu/privdrop.h); NULL: stay who we are. */
	const char *user, *group;
};

/*
 * Load the configuration (errors are logged with their positions) and
 * start the threads. Returns 0, EINVAL when the roster has errors, or the
 * errno of what failed.
 */
int mcu_daemon_alloc(struct mcu_daemon **daemonp,
                     const struct mcu_daemon_opts *opts);

/*
 * Run the control loop until SIGTERM or SIGINT (or mcu_daemon_stop()).
 * The caller must have blocked SIGTERM, SIGINT, SIGHUP and SIGPIPE in every
 * thread (mcu_daemon_block_signals() before any thread starts).
 * Returns 0 on a clean stop.
 */
int mcu_daemon_run(struct mcu_daemon *d);

/* Ask the control loop to stop (any thread). */
void mcu_daemon_stop(struct mcu_daemon *d);

/*
 * Re-read the configuration file. A file with errors, or one that changes
 * what cannot change while running (time zone, listen addresses), is
 * refused: its findings are logged and the running snapshot stays.
 * Returns 0 when the new snapshot is in force, EINVAL when refused.
 */
int mcu_daemon_reload(struct mcu_daemon *d);

/* A new reference to the current snapshot (mcu_snapshot_put() it). */
struct mcu_snapshot *mcu_daemon_snapshot(struct mcu_daemon *d);

/* Stop every thread and free; returns NULL. */
struct mcu_daemon *mcu_daemon_free(struct mcu_daemon *d);

/* Block the signals the control loop takes through its signalfd. */
int mcu_daemon_block_signals(void);

#endif
