/*
 * logbook: the MCU operator's record of every meeting (the regulation's
 * meeting register, Phụ lục I), kept in SQLite at mcu.logbook.
 *
 * What it owns: the database file, its schema and migrations, one writer
 * thread with a bounded event queue, and a read-only connection for
 * exports. Who calls it: the conference engine (any thread, including
 * media threads) reports events with the mcu_logbook_<event>() functions,
 * which copy their arguments into one allocation, queue it and return at
 * once: they never wait for the disk. A full queue drops the event and
 * counts it; an SQLite error (disk full, I/O error) is logged and counted
 * and the writer goes on with the next event. A meeting never stops
 * because of its logbook.
 *
 * Each event is written in its own transaction (WAL, synchronous=NORMAL),
 * so a crash (kill -9) loses only events still in the queue. At start-up
 * mcu_logbook_recover() closes meetings left open by a crash.
 *
 * Reads (mcu_logbook_read()) are synchronous and meant for the API thread;
 * mcu/registers.h formats them as CSV and JSON.
 *
 * Times are UTC seconds since the epoch, given by the caller (the clock is
 * the caller's, so tests need no sleeping); 0 means "unknown / not yet".
 */
#ifndef MCU_LOGBOOK_H
#define MCU_LOGBOOK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "conf/config.h"

struct mcu_logbook;

struct mcu_logbook_opts {
	size_t queue_capacity;    /* events; 0: 4096 */
	unsigned busy_timeout_ms; /* 0: 5000 */
	/* Largest database in pages (PRAGMA max_page_count); 0: no limit.
	 * Tests use it to make SQLite fail with SQLITE_FULL. */
	uint32_t max_pages;
};

struct mcu_logbook_stats {
	uint64_t accepted; /* events queued */
	uint64_t written;  /* events committed */
	uint64_t dropped;  /* queue full or out of memory */
	uint64_t errors;   /* SQLite errors while writing (event lost) */
	uint64_t ignored;  /* events naming no known meeting / open row */
	size_t depth;      /* events waiting now */
};

enum mcu_logbook_role {
	MCU_LOGBOOK_HOST = 0,
	MCU_LOGBOOK_BRANCH,
	MCU_LOGBOOK_GUEST, /* joined without being invited (browser, ad hoc) */
};

/* An endpoint as the logbook stores it: a snapshot, since rosters change. */
struct mcu_logbook_unit {
	const char *id;
	const char *name; /* NULL: unknown */
	int tier;         /* enum mcu_tier, -1 unknown */
};

/* What is known of a meeting when it starts. Strings are copied. */
struct mcu_logbook_start {
	const char *meeting_id; /* required */
	const char *title;
	struct mcu_logbook_unit host;            /* host.id required */
	const struct mcu_logbook_unit *branches; /* invited branches */
	size_t n_branches;
	time_t planned_start, planned_end; /* 0 when ad hoc */
	bool emergency;
	bool ad_hoc; /* not in the roster's schedule */
};

/*
 * Open (creating it and its parent directories) the database at `path`,
 * migrate its schema, open the read connection and start the writer.
 * `opts` may be NULL. Returns 0 and sets *lbp, or an errno value
 * (EIO for SQLite failures, with a log line saying why).
 */
int mcu_logbook_open(struct mcu_logbook **lbp, const char *path,
                     const struct mcu_logbook_opts *opts);

/* Write what is queued, stop the writer, close; returns NULL. */
struct mcu_logbook *mcu_logbook_close(struct mcu_logbook *lb);

/* Wait until every event queued before this call has been handled. */
void mcu_logbook_flush(struct mcu_logbook *lb);

void mcu_logbook_stats(struct mcu_logbook *lb, struct mcu_logbook_stats *st);

/*
 * Start-up recovery, before the engine reports events: every meeting that
 * started but has no actual end (the MCU died during it) is ended, its open
 * attendances and incidents closed, and an incident of kind
 * "mcu-restarted" added. The end recorded is the last moment the meeting
 * is known to have run: max(last recorded event, min(now, planned end)).
 * Synchronous. Returns the number of meetings closed, or -errno.
 */
int mcu_logbook_recover(struct mcu_logbook *lb, time_t now);

/*
 * Events. Each returns 0 when queued, EAGAIN when dropped (queue full),
 * ENOMEM, or EINVAL (missing required argument); callers may ignore the
 * result: drops are counted. Events that name a meeting apply to its open
 * row (started, not ended) or, failing that, its latest row.
 */
int mcu_logbook_meeting_started(struct mcu_logbook *lb,
                                const struct mcu_logbook_start *s, time_t at);
/* The same built from roster meeting `index` of `conf`. */
int mcu_logbook_meeting_started_conf(struct mcu_logbook *lb,
                                     const struct mcu_conf *conf, size_t index,
                                     time_t at);
int mcu_logbook_meeting_ended(struct mcu_logbook *lb, const char *meeting_id,
                              time_t at);
int mcu_logbook_joined(struct mcu_logbook *lb, const char *meeting_id,
                       const char *endpoint, enum mcu_logbook_role role,
                       time_t at);
/* `reason`: "hangup", "timeout", "kicked", a SIP reason... may be NULL. */
int mcu_logbook_left(struct mcu_logbook *lb, const char *meeting_id,
                     const char *endpoint, const char *reason, time_t at);
/* `endpoint` may be NULL (an incident of the MCU or the whole meeting);
 * `kind`: short tag ("connection-lost", "poor-audio", "poor-video", ...). */
int mcu_logbook_incident_raised(struct mcu_logbook *lb, const char *meeting_id,
                                const char *endpoint, const char *kind,
                                const char *detail, time_t at);
/* Clears the latest open incident of `kind` for `endpoint`. */
int mcu_logbook_incident_cleared(struct mcu_logbook *lb, const char *meeting_id,
                                 const char *endpoint, const char *kind,
                                 time_t at);
/* A test-run check; creates a "scheduled" row for a meeting not started. */
int mcu_logbook_test_result(struct mcu_logbook *lb, const char *meeting_id,
                            const char *endpoint, bool ready,
                            const char *reason, time_t at);
/*
 * One endpoint's line of a test run's final readiness report (mcu/readiness.h),
 * kept in table `readiness` keyed by (meeting_id, test_date, endpoint): a
 * later report of the same test run replaces it. Strings are copied;
 * `figures` is the endpoint's JSON object of the report. Creates no
 * meeting row.
 */
struct mcu_logbook_readiness {
	const char *meeting_id; /* required */
	const char *test_date;  /* YYYY-MM-DD, required */
	const char *endpoint;   /* required */
	const char *name;
	bool ready;
	const char *reasons; /* "no-video;low-fps", "" when ready */
	const char *figures; /* JSON */
	const char *tech_name, *tech_phone;
};
int mcu_logbook_readiness(struct mcu_logbook *lb,
                          const struct mcu_logbook_readiness *r, time_t at);
int mcu_logbook_recording_linked(struct mcu_logbook *lb, const char *meeting_id,
                                 const char *path, time_t at);

/* ---- reading ---- */

struct mcu_logbook_invitee {
	char *endpoint;
	char *name; /* NULL: unknown */
	int tier;   /* -1: unknown */
	enum mcu_logbook_role role;
};

struct mcu_logbook_presence {
	char *endpoint;
	enum mcu_logbook_role role;
	time_t joined, left; /* left 0: still there */
	char *reason;
};

struct mcu_logbook_incident {
	char *endpoint; /* NULL: the meeting / the MCU */
	char *kind;
	time_t raised, cleared; /* cleared 0: open */
	char *detail;
};

struct mcu_logbook_test {
	char *endpoint;
	bool ready;
	char *reason;
	time_t at;
};

/* One row of the meetings table with everything that hangs off it. */
struct mcu_logbook_record {
	int64_t row;
	char *meeting_id, *title;
	char *host, *host_name;
	int host_tier; /* -1: unknown */
	time_t planned_start, planned_end, actual_start, actual_end;
	bool emergency, ad_hoc;
	char *recording;
	char *state;                          /* "scheduled", "live", "ended" */
	struct mcu_logbook_invitee *invitees; /* host first, then branches */
	size_t n_invitees;
	struct mcu_logbook_presence *presence; /* by join time */
	size_t n_presence;
	struct mcu_logbook_incident *incidents;
	size_t n_incidents;
	struct mcu_logbook_test *tests;
	size_t n_tests;
};

struct mcu_logbook_records {
	struct mcu_logbook_record *v; /* by actual start */
	size_t n;
};

#define MCU_LOGBOOK_MAX_RECORDS 100000

/*
 * Meetings that actually started in [from, to) — or, when `meeting_id` is
 * not NULL, every row of that meeting (started or not) and from/to are
 * ignored. Synchronous, on the read-only connection; callable from any
 * thread. Returns 0, EIO, ENOMEM or EFBIG (over MCU_LOGBOOK_MAX_RECORDS).
 */
int mcu_logbook_read(struct mcu_logbook *lb, time_t from, time_t to,
                     const char *meeting_id, struct mcu_logbook_records *out);
void mcu_logbook_records_clear(struct mcu_logbook_records *r);

const char *mcu_logbook_role_name(enum mcu_logbook_role role);

#endif
