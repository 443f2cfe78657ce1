/*
 * The control loop is the only place that changes which configuration is
 * in force and which meetings are under way (style.md point 9: the
 * control loop is the single writer of a meeting's structure). It sleeps
 * in poll() on two descriptors: a signalfd, so signals arrive as ordinary
 * reads in this thread and never interrupt the media threads, and a
 * timerfd on CLOCK_MONOTONIC that fires once a second for the scheduler.
 * Both are absolute and level-triggered: a slow reload never makes a tick
 * drift, it only makes one late.
 */
#define MCU_LOG_MODULE "daemon"
#include "mcu/daemon.h"
#include "mcu/engine.h"
#include "mcu/timeline.h"
#include "conf/log.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <unistd.h>

#define WORKPOOL_CAPACITY 4096

struct mcu_daemon {
	char *config_path;
	char *run_dir;

	pthread_mutex_t snap_lock;
	struct mcu_snapshot *snap; /* snap_lock */

	struct mcu_workpool *pool;
	struct mcu_engine *engine;

	int sig_fd;
	int timer_fd;
	int wake_fd; /* eventfd: mcu_daemon_stop() from any thread */
	atomic_bool stopping;

	/* Meeting states as last seen by the tick; control loop only. */
	enum mcu_meeting_state *states;
	size_t n_states;
	unsigned long generation;
};

int mcu_daemon_block_signals(void)
{
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGPIPE);
	return pthread_sigmask(SIG_BLOCK, &set, NULL);
}

static void log_report(const struct mcu_conf_report *r)
{
	for (size_t i = 0; i < r->n_findings; i++) {
		const struct mcu_conf_finding *f = &r->findings[i];
		bool err = f->severity == MCU_CONF_ERROR;
		mcu_log(err ? MCU_LOG_ERROR : MCU_LOG_WARN, "%s:%d:%d: %s: %s",
		        r->file, f->pos.line, f->pos.column,
		        err ? "error" : "warning", f->message);
	}
}

/* Load the file into a new snapshot; findings are logged. */
static int load_snapshot(struct mcu_daemon *d, struct mcu_snapshot **snapp)
{
	struct mcu_conf_report report = {0};
	struct mcu_conf *conf = NULL;
	int err = mcu_conf_load(d->config_path, &conf, &report);

	log_report(&report);
	if (err) {
		mcu_log_error("%s: %s (%zu errors, %zu warnings)",
		              d->config_path,
		              report.unreadable ? "cannot be read"
		                                : "configuration refused",
		              report.n_errors, report.n_warnings);
		mcu_conf_report_clear(&report);
		return err;
	}
	mcu_conf_report_clear(&report);
	err = mcu_snapshot_alloc(snapp, conf, d->generation + 1);
	if (err) {
		mcu_conf_free(conf);
		return err;
	}
	d->generation++;
	return 0;
}

struct mcu_snapshot *mcu_daemon_snapshot(struct mcu_daemon *d)
{
	struct mcu_snapshot *s;
	pthread_mutex_lock(&d->snap_lock);
	s = mcu_snapshot_get(d->snap);
	pthread_mutex_unlock(&d->snap_lock);
	return s;
}

/* Meeting states follow the roster by id across reloads. */
static int rebuild_states(struct mcu_daemon *d, const struct mcu_conf *old,
                          const struct mcu_conf *neu)
{
	enum mcu_meeting_state *st = calloc(neu->n_meetings + 1, sizeof(*st));
	if (!st)
		return ENOMEM;
	for (size_t i = 0; i < neu->n_meetings; i++) {
		long j = old ? mcu_conf_meeting_index(old, neu->meetings[i].id)
		             : -1;
		st[i] = j >= 0 && (size_t)j < d->n_states
		                ? d->states[j]
		                : MCU_MEETING_SCHEDULED;
	}
	free(d->states);
	d->states = st;
	d->n_states = neu->n_meetings;
	return 0;
}

static void describe_reload(const struct mcu_conf *old,
                            const struct mcu_conf *neu)
{
	size_t added = 0, removed = 0;
	for (size_t i = 0; i < neu->n_meetings; i++)
		added += mcu_conf_meeting_index(old, neu->meetings[i].id) < 0;
	for (size_t i = 0; i < old->n_meetings; i++)
		removed += mcu_conf_meeting_index(neu, old->meetings[i].id) < 0;
	mcu_log_info("reloaded: %zu endpoints (was %zu), %zu meetings "
	             "(%zu added, %zu removed)",
	             neu->n_endpoints, old->n_endpoints, neu->n_meetings,
	             added, removed);
}

int mcu_daemon_reload(struct mcu_daemon *d)
{
	struct mcu_snapshot *neu = NULL, *old;
	const char *frozen;
	int err;

	mcu_log_info("reloading %s", d->config_path);
	old = mcu_daemon_snapshot(d);
	err = load_snapshot(d, &neu);
	if (err) {
		/* The loader may have switched the process time zone. */
		mcu_conf_apply_timezone(old->conf->timezone);
		mcu_snapshot_put(old);
		mcu_log_error("reload refused: the running configuration stays");
		return EINVAL;
	}
	if (!mcu_conf_reload_allowed(old->conf, neu->conf, &frozen)) {
		mcu_conf_apply_timezone(old->conf->timezone);
		mcu_log_error("reload refused: %s cannot change while running "
		              "(restart mcud); the running configuration stays",
		              frozen);
		mcu_snapshot_put(neu);
		mcu_snapshot_put(old);
		return EINVAL;
	}
	err = rebuild_states(d, old->conf, neu->conf);
	if (err) {
		mcu_snapshot_put(neu);
		mcu_snapshot_put(old);
		return err;
	}
	describe_reload(old->conf, neu->conf);
	for (size_t i = 0; i < old->conf->n_meetings; i++) {
		const char *id = old->conf->meetings[i].id;
		if (mcu_conf_meeting_index(neu->conf, id) < 0 &&
		    mcu_engine_stop(d->engine, id) == 0)
			mcu_log_info("meeting %s left the roster: stopped", id);
	}
	pthread_mutex_lock(&d->snap_lock);
	struct mcu_snapshot *prev = d->snap;
	d->snap = neu;
	pthread_mutex_unlock(&d->snap_lock);
	mcu_snapshot_put(prev);
	mcu_snapshot_put(old);
	return 0;
}

/* The scheduler tick: move each meeting to the state its times give. */
static void tick(struct mcu_daemon *d)
{
	struct mcu_snapshot *snap = mcu_daemon_snapshot(d);
	const struct mcu_conf *conf = snap->conf;
	time_t now = time(NULL);

	for (size_t i = 0; i < conf->n_meetings && i < d->n_states; i++) {
		const struct mcu_conf_meeting *m = &conf->meetings[i];
		enum mcu_meeting_state st = mcu_timeline_state(m, now);
		if (st == d->states[i])
			continue;
		mcu_log_info("meeting %s: %s -> %s (host %s, %zu branches)",
		             m->id, mcu_timeline_state_name(d->states[i]),
		             mcu_timeline_state_name(st),
		             conf->endpoints[m->host_index].id, m->n_branches);
		d->states[i] = st;
		/* Live and test-run meetings have their media running. */
		bool want = st == MCU_MEETING_LIVE ||
		            st == MCU_MEETING_TEST_RUN;
		bool running = mcu_engine_room(d->engine, m->id) != NULL;
		if (want && !running)
			mcu_engine_start(d->engine, snap, i);
		else if (!want && running)
			mcu_engine_stop(d->engine, m->id);
	}
	mcu_snapshot_put(snap);
}

static int open_fds(struct mcu_daemon *d)
{
	sigset_t set;
	struct itimerspec its = {
		.it_interval = {1, 0},
		.it_value = {1, 0},
	};

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	d->sig_fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	d->timer_fd = timerfd_create(CLOCK_MONOTONIC,
	                             TFD_NONBLOCK | TFD_CLOEXEC);
	d->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (d->sig_fd < 0 || d->timer_fd < 0 || d->wake_fd < 0)
		return errno;
	if (timerfd_settime(d->timer_fd, 0, &its, NULL) != 0)
		return errno;
	return 0;
}

static int make_run_dir(const char *dir)
{
	if (mkdir(dir, 0755) == 0 || errno == EEXIST)
		return 0;
	mcu_log_error("cannot create run directory %s: %s", dir,
	              strerror(errno));
	return errno;
}

int mcu_daemon_alloc(struct mcu_daemon **daemonp,
                     const struct mcu_daemon_opts *opts)
{
	struct mcu_daemon *d;
	int err;

	if (!daemonp || !opts || !opts->config_path)
		return EINVAL;
	d = calloc(1, sizeof(*d));
	if (!d)
		return ENOMEM;
	d->sig_fd = d->timer_fd = d->wake_fd = -1;
	pthread_mutex_init(&d->snap_lock, NULL);
	d->config_path = strdup(opts->config_path);
	d->run_dir = strdup(opts->run_dir ? opts->run_dir : "run");
	if (!d->config_path || !d->run_dir) {
		err = ENOMEM;
		goto out;
	}
	err = load_snapshot(d, &d->snap);
	if (err)
		goto out;
	err = mcu_conf_apply_timezone(d->snap->conf->timezone);
	if (err) {
		mcu_log_error("time zone %s is not installed",
		              d->snap->conf->timezone);
		goto out;
	}
	err = rebuild_states(d, NULL, d->snap->conf);
	if (!err)
		err = make_run_dir(d->run_dir);
	if (!err)
		err = open_fds(d);
	if (!err)
		err = mcu_workpool_alloc(&d->pool, opts->workers,
		                         WORKPOOL_CAPACITY);
	if (!err) {
		struct mcu_engine_params ep = {
			.pool = d->pool,
			.io_threads = opts->io_threads,
			.run_dir = d->run_dir,
		};
		err = mcu_engine_alloc(&d->engine, &ep);
	}
	if (err)
		goto out;
	mcu_log_info("%s: %zu endpoints, %zu meetings; %u media workers",
	             d->snap->conf->name ? d->snap->conf->name : "mcud",
	             d->snap->conf->n_endpoints, d->snap->conf->n_meetings,
	             mcu_workpool_threads(d->pool));
	*daemonp = d;
	return 0;
out:
	mcu_daemon_free(d);
	return err;
}

void mcu_daemon_stop(struct mcu_daemon *d)
{
	uint64_t one = 1;
	atomic_store(&d->stopping, true);
	if (write(d->wake_fd, &one, sizeof(one)) < 0)
		mcu_log_debug("wake: %s", strerror(errno));
}

static void drain(int fd, size_t size)
{
	char buf[sizeof(struct signalfd_siginfo)];
	while (read(fd, buf, size) > 0)
		;
}

/* Handle queued signals; returns true when the daemon must stop. */
static bool handle_signals(struct mcu_daemon *d)
{
	struct signalfd_siginfo si;
	bool stop = false;
	while (read(d->sig_fd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		switch (si.ssi_signo) {
		case SIGHUP:
			mcu_daemon_reload(d);
			break;
		case SIGTERM:
		case SIGINT:
			mcu_log_info("%s: stopping",
			             si.ssi_signo == SIGTERM ? "SIGTERM"
			                                     : "SIGINT");
			stop = true;
			break;
		default:
			break;
		}
	}
	return stop;
}

int mcu_daemon_run(struct mcu_daemon *d)
{
	struct pollfd pfd[3] = {
		{.fd = d->sig_fd, .events = POLLIN},
		{.fd = d->timer_fd, .events = POLLIN},
		{.fd = d->wake_fd, .events = POLLIN},
	};

	tick(d);
	while (!atomic_load(&d->stopping)) {
		if (poll(pfd, 3, -1) < 0) {
			if (errno == EINTR)
				continue;
			mcu_log_error("poll: %s", strerror(errno));
			return errno;
		}
		if ((pfd[0].revents & POLLIN) && handle_signals(d))
			break;
		if (pfd[1].revents & POLLIN) {
			drain(d->timer_fd, sizeof(uint64_t));
			tick(d);
		}
		if (pfd[2].revents & POLLIN)
			drain(d->wake_fd, sizeof(uint64_t));
	}
	mcu_log_info("control loop stopped");
	return 0;
}

struct mcu_daemon *mcu_daemon_free(struct mcu_daemon *d)
{
	if (!d)
		return NULL;
	d->engine = mcu_engine_free(d->engine);
	d->pool = mcu_workpool_free(d->pool);
	if (d->sig_fd >= 0)
		close(d->sig_fd);
	if (d->timer_fd >= 0)
		close(d->timer_fd);
	if (d->wake_fd >= 0)
		close(d->wake_fd);
	d->snap = mcu_snapshot_put(d->snap);
	pthread_mutex_destroy(&d->snap_lock);
	free(d->states);
	free(d->config_path);
	free(d->run_dir);
	free(d);
	return NULL;
}
