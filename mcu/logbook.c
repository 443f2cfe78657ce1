/*
 * Why the logbook works this way.
 *
 * The engine reports events from its control thread and from media
 * threads, which must never wait for a disk. So an event is copied into one
 * heap block (the struct and its strings together: one malloc, one free)
 * and put on a bounded ring under a mutex held for a few instructions; a
 * writer thread takes events off in batches and writes them. When the ring
 * is full the new event is dropped and counted: a lost log line is better
 * than a stalled media tick.
 *
 * Each event is one SQLite transaction on a WAL database with
 * synchronous=NORMAL: a commit is a write into the WAL without fsync, so it
 * costs little, and it survives the process being killed (the OS has the
 * pages); only a power cut may lose the last commits. Rows are never
 * rewritten wholesale: an event inserts a row or sets a few columns, so a
 * half-written meeting still reads sensibly.
 *
 * An SQLite error (SQLITE_FULL, SQLITE_IOERR, SQLITE_BUSY after the busy
 * timeout) rolls that event back, is logged at a limited rate and counted;
 * the writer goes on. Later events that need no new pages (a leave, an end)
 * may still succeed on a full disk.
 *
 * Exports read through a second, read-only connection under its own mutex,
 * so a long report never holds up the writer (WAL readers see a snapshot).
 *
 * Rows of a meeting: a meeting id from the roster may have several rows
 * (a meeting restarted after a crash). An event applies to the meeting's
 * open row (not ended), else its latest row. A test run or an incident
 * before the start creates a "scheduled" row that the start then fills.
 */
#define MCU_LOG_MODULE "logbook"
#include "mcu/logbook.h"
#include "conf/utf8.h"
#include "conf/log.h"

#include <errno.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define DEFAULT_QUEUE   4096
#define DEFAULT_BUSY_MS 5000
#define BATCH           64
#define MAX_TEXT        2048 /* bytes kept of any one string of an event */

enum ev_kind {
	EV_STARTED = 0,
	EV_ENDED,
	EV_JOINED,
	EV_LEFT,
	EV_INCIDENT_RAISED,
	EV_INCIDENT_CLEARED,
	EV_TEST,
	EV_RECORDING,
	EV_READINESS,
};

struct ev_unit {
	char *id, *name;
	int tier;
};

/* One allocation: the struct, then `branches`, then the strings. */
struct ev {
	enum ev_kind kind;
	time_t at;
	char *meeting;
	char *endpoint;
	char *text;   /* title, reason, kind, path */
	char *detail; /* incident detail */
	int role;
	bool flag; /* test: ready; started: emergency */
	bool ad_hoc;
	time_t planned_start, planned_end;
	struct ev_unit host;
	struct ev_unit *branches;
	size_t n_branches;
	/* readiness: text = reasons, detail = figures, flag = ready */
	char *date, *tech_name, *tech_phone;
};

struct mcu_logbook {
	sqlite3 *wdb; /* writer thread; db_lock */
	sqlite3 *rdb; /* exports; read_lock */
	pthread_mutex_t db_lock;
	pthread_mutex_t read_lock;

	pthread_mutex_t lock;
	pthread_cond_t work;              /* events queued or stopping; lock */
	pthread_cond_t done;              /* handled advanced; lock */
	struct ev **ring;                 /* lock */
	size_t cap, head, count;          /* lock */
	uint64_t queued_seq, handled_seq; /* lock */
	bool stopping;                    /* lock */
	struct mcu_logbook_stats st;      /* lock (depth computed on read) */
	pthread_t writer;
	bool writer_running;
};

/* Returned by an apply_*() for an event with nothing to apply to. */
#define RC_IGNORED (-1)

enum apply_result {
	APPLY_OK = 0,
	APPLY_IGNORED,
	APPLY_ERROR,
};

/* ------------------------------------------------------------- events */

static size_t slen(const char *s)
{
	if (!s)
		return 0;
	size_t n = strnlen(s, MAX_TEXT);
	return n + 1;
}

static char *pack(char **cur, const char *s)
{
	char *r;
	size_t n;
	if (!s)
		return NULL;
	n = strnlen(s, MAX_TEXT);
	r = *cur;
	memcpy(r, s, n);
	r[n] = '\0';
	*cur += n + 1;
	return r;
}

static struct ev *ev_alloc(enum ev_kind kind, time_t at, const char *meeting,
                           const char *endpoint, const char *text,
                           const char *detail, size_t n_branches, size_t extra)
{
	size_t size = sizeof(struct ev) + n_branches * sizeof(struct ev_unit) +
	              slen(meeting) + slen(endpoint) + slen(text) +
	              slen(detail) + extra;
	struct ev *ev = malloc(size);
	char *cur;
	if (!ev)
		return NULL;
	memset(ev, 0, sizeof(*ev));
	ev->kind = kind;
	ev->at = at;
	ev->branches = (struct ev_unit *)(ev + 1);
	ev->n_branches = n_branches;
	cur = (char *)(ev->branches + n_branches);
	ev->meeting = pack(&cur, meeting);
	ev->endpoint = pack(&cur, endpoint);
	ev->text = pack(&cur, text);
	ev->detail = pack(&cur, detail);
	/* `extra` bytes follow at `cur` for the caller (started only) */
	if (extra)
		ev->host.id = cur;
	return ev;
}

static int ev_push(struct mcu_logbook *lb, struct ev *ev)
{
	int err = 0;
	pthread_mutex_lock(&lb->lock);
	if (lb->stopping || lb->count == lb->cap) {
		lb->st.dropped++;
		err = EAGAIN;
	} else {
		lb->ring[(lb->head + lb->count) % lb->cap] = ev;
		lb->count++;
		lb->queued_seq++;
		lb->st.accepted++;
		pthread_cond_signal(&lb->work);
	}
	pthread_mutex_unlock(&lb->lock);
	if (err) {
		free(ev);
		mcu_log_ratelimited(MCU_LOG_WARN, 10000,
		                    "logbook queue full: event dropped");
	}
	return err;
}

static int ev_nomem(struct mcu_logbook *lb)
{
	pthread_mutex_lock(&lb->lock);
	lb->st.dropped++;
	pthread_mutex_unlock(&lb->lock);
	return ENOMEM;
}

static int push_simple(struct mcu_logbook *lb, enum ev_kind kind, time_t at,
                       const char *meeting, const char *endpoint,
                       const char *text, const char *detail, int role,
                       bool flag)
{
	struct ev *ev;
	if (!lb || !meeting)
		return EINVAL;
	ev = ev_alloc(kind, at, meeting, endpoint, text, detail, 0, 0);
	if (!ev)
		return ev_nomem(lb);
	ev->role = role;
	ev->flag = flag;
	return ev_push(lb, ev);
}

int mcu_logbook_meeting_started(struct mcu_logbook *lb,
                                const struct mcu_logbook_start *s, time_t at)
{
	size_t extra =
	    slen(s ? s->host.id : NULL) + slen(s ? s->host.name : NULL);
	struct ev *ev;
	char *cur;

	if (!lb || !s || !s->meeting_id || !s->host.id ||
	    (s->n_branches && !s->branches))
		return EINVAL;
	for (size_t i = 0; i < s->n_branches; i++) {
		if (!s->branches[i].id)
			return EINVAL;
		extra += slen(s->branches[i].id) + slen(s->branches[i].name);
	}
	ev = ev_alloc(EV_STARTED, at, s->meeting_id, NULL, s->title, NULL,
	              s->n_branches, extra);
	if (!ev)
		return ev_nomem(lb);
	cur = ev->host.id;
	ev->host.id = pack(&cur, s->host.id);
	ev->host.name = pack(&cur, s->host.name);
	ev->host.tier = s->host.tier;
	for (size_t i = 0; i < s->n_branches; i++) {
		ev->branches[i].id = pack(&cur, s->branches[i].id);
		ev->branches[i].name = pack(&cur, s->branches[i].name);
		ev->branches[i].tier = s->branches[i].tier;
	}
	ev->planned_start = s->planned_start;
	ev->planned_end = s->planned_end;
	ev->flag = s->emergency;
	ev->ad_hoc = s->ad_hoc;
	return ev_push(lb, ev);
}

int mcu_logbook_meeting_started_conf(struct mcu_logbook *lb,
                                     const struct mcu_conf *conf, size_t index,
                                     time_t at)
{
	const struct mcu_conf_meeting *m;
	const struct mcu_conf_endpoint *h;
	struct mcu_logbook_unit *units = NULL;
	struct mcu_logbook_start s;
	int err;

	if (!lb || !conf || index >= conf->n_meetings)
		return EINVAL;
	m = &conf->meetings[index];
	if (m->host_index >= conf->n_endpoints)
		return EINVAL;
	h = &conf->endpoints[m->host_index];
	if (m->n_branches) {
		units = calloc(m->n_branches, sizeof(*units));
		if (!units)
			return ev_nomem(lb);
	}
	for (size_t i = 0; i < m->n_branches; i++) {
		const struct mcu_conf_endpoint *b;
		if (m->branches[i] >= conf->n_endpoints) {
			free(units);
			return EINVAL;
		}
		b = &conf->endpoints[m->branches[i]];
		units[i] =
		    (struct mcu_logbook_unit){b->id, b->name, (int)b->tier};
	}
	s = (struct mcu_logbook_start){
	    .meeting_id = m->id,
	    .title = m->title,
	    .host = {h->id, h->name, (int)h->tier},
	    .branches = units,
	    .n_branches = m->n_branches,
	    .planned_start = m->start,
	    .planned_end = m->end,
	    .emergency = m->emergency,
	    .ad_hoc = m->ad_hoc,
	};
	err = mcu_logbook_meeting_started(lb, &s, at);
	free(units);
	return err;
}

int mcu_logbook_meeting_ended(struct mcu_logbook *lb, const char *meeting_id,
                              time_t at)
{
	return push_simple(lb, EV_ENDED, at, meeting_id, NULL, NULL, NULL, 0,
	                   false);
}

int mcu_logbook_joined(struct mcu_logbook *lb, const char *meeting_id,
                       const char *endpoint, enum mcu_logbook_role role,
                       time_t at)
{
	if (!endpoint || (unsigned)role > MCU_LOGBOOK_GUEST)
		return EINVAL;
	return push_simple(lb, EV_JOINED, at, meeting_id, endpoint, NULL, NULL,
	                   (int)role, false);
}

int mcu_logbook_left(struct mcu_logbook *lb, const char *meeting_id,
                     const char *endpoint, const char *reason, time_t at)
{
	if (!endpoint)
		return EINVAL;
	return push_simple(lb, EV_LEFT, at, meeting_id, endpoint, reason, NULL,
	                   0, false);
}

int mcu_logbook_incident_raised(struct mcu_logbook *lb, const char *meeting_id,
                                const char *endpoint, const char *kind,
                                const char *detail, time_t at)
{
	if (!kind)
		return EINVAL;
	return push_simple(lb, EV_INCIDENT_RAISED, at, meeting_id, endpoint,
	                   kind, detail, 0, false);
}

int mcu_logbook_incident_cleared(struct mcu_logbook *lb, const char *meeting_id,
                                 const char *endpoint, const char *kind,
                                 time_t at)
{
	if (!kind)
		return EINVAL;
	return push_simple(lb, EV_INCIDENT_CLEARED, at, meeting_id, endpoint,
	                   kind, NULL, 0, false);
}

int mcu_logbook_test_result(struct mcu_logbook *lb, const char *meeting_id,
                            const char *endpoint, bool ready,
                            const char *reason, time_t at)
{
	if (!endpoint)
		return EINVAL;
	return push_simple(lb, EV_TEST, at, meeting_id, endpoint, reason, NULL,
	                   0, ready);
}

int mcu_logbook_readiness(struct mcu_logbook *lb,
                          const struct mcu_logbook_readiness *r, time_t at)
{
	struct ev *ev;
	char *cur;
	if (!lb || !r || !r->meeting_id || !r->test_date || !r->endpoint)
		return EINVAL;
	ev = ev_alloc(EV_READINESS, at, r->meeting_id, r->endpoint,
	              r->reasons ? r->reasons : "", r->figures, 0,
	              slen(r->test_date) + slen(r->name) + slen(r->tech_name) +
	                  slen(r->tech_phone));
	if (!ev)
		return ev_nomem(lb);
	cur = ev->host.id;
	ev->host.id = NULL;
	ev->date = pack(&cur, r->test_date);
	ev->host.name = pack(&cur, r->name);
	ev->tech_name = pack(&cur, r->tech_name);
	ev->tech_phone = pack(&cur, r->tech_phone);
	ev->flag = r->ready;
	return ev_push(lb, ev);
}

int mcu_logbook_recording_linked(struct mcu_logbook *lb, const char *meeting_id,
                                 const char *path, time_t at)
{
	if (!path)
		return EINVAL;
	return push_simple(lb, EV_RECORDING, at, meeting_id, NULL, path, NULL,
	                   0, false);
}

const char *mcu_logbook_role_name(enum mcu_logbook_role role)
{
	switch (role) {
	case MCU_LOGBOOK_HOST:
		return "host";
	case MCU_LOGBOOK_BRANCH:
		return "branch";
	case MCU_LOGBOOK_GUEST:
		return "guest";
	}
	return "guest";
}

static enum mcu_logbook_role role_parse(const char *s)
{
	if (s && !strcmp(s, "host"))
		return MCU_LOGBOOK_HOST;
	if (s && !strcmp(s, "branch"))
		return MCU_LOGBOOK_BRANCH;
	return MCU_LOGBOOK_GUEST;
}

static const char *tier_text(int tier)
{
	if (tier < 0 || tier >= MCU_TIER_COUNT)
		return NULL;
	return mcu_conf_tier_name((enum mcu_tier)tier);
}

static int tier_parse(const char *s)
{
	for (int t = 0; s && t < MCU_TIER_COUNT; t++) {
		if (!strcmp(s, mcu_conf_tier_name((enum mcu_tier)t)))
			return t;
	}
	return -1;
}

/* --------------------------------------------------------- SQL helpers */

/*
 * Prepare `sql` and bind arguments by `types`: 's' text (NULL binds NULL;
 * invalid UTF-8 is repaired), 'i' int64_t, 't' time_t (0 binds NULL),
 * 'T' time_t (always a number), 'b' int as 0/1.
 */
static int vprep(sqlite3 *db, sqlite3_stmt **stp, const char *sql,
                 const char *types, va_list ap)
{
	sqlite3_stmt *st;
	int rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);
	if (rc != SQLITE_OK)
		return rc;
	for (int i = 0; types[i] && rc == SQLITE_OK; i++) {
		int col = i + 1;
		switch (types[i]) {
		case 's': {
			const char *s = va_arg(ap, const char *);
			if (!s) {
				rc = sqlite3_bind_null(st, col);
			} else if (mcu_utf8_valid(s)) {
				rc = sqlite3_bind_text(st, col, s, -1,
				                       SQLITE_STATIC);
			} else {
				char *r = mcu_utf8_repair(s);
				rc = r ? sqlite3_bind_text(st, col, r, -1, free)
				       : SQLITE_NOMEM;
			}
			break;
		}
		case 'i':
			rc = sqlite3_bind_int64(st, col, va_arg(ap, int64_t));
			break;
		case 't': {
			time_t t = va_arg(ap, time_t);
			rc = t ? sqlite3_bind_int64(st, col, (int64_t)t)
			       : sqlite3_bind_null(st, col);
			break;
		}
		case 'T':
			rc = sqlite3_bind_int64(st, col,
			                        (int64_t)va_arg(ap, time_t));
			break;
		case 'b':
			rc = sqlite3_bind_int(st, col, va_arg(ap, int) ? 1 : 0);
			break;
		default:
			rc = SQLITE_MISUSE;
		}
	}
	if (rc != SQLITE_OK) {
		sqlite3_finalize(st);
		return rc;
	}
	*stp = st;
	return SQLITE_OK;
}

/* Run a statement that returns no rows; SQLITE_OK or the error. */
static int exec(sqlite3 *db, const char *sql, const char *types, ...)
{
	sqlite3_stmt *st;
	va_list ap;
	int rc;
	va_start(ap, types);
	rc = vprep(db, &st, sql, types, ap);
	va_end(ap);
	if (rc != SQLITE_OK)
		return rc;
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE || rc == SQLITE_ROW ? SQLITE_OK : rc;
}

/* First column of the first row as int64; *found false when no row or
 * NULL. */
static int query_int(sqlite3 *db, int64_t *out, bool *found, const char *sql,
                     const char *types, ...)
{
	sqlite3_stmt *st;
	va_list ap;
	int rc;
	va_start(ap, types);
	rc = vprep(db, &st, sql, types, ap);
	va_end(ap);
	if (rc != SQLITE_OK)
		return rc;
	*found = false;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		if (sqlite3_column_type(st, 0) != SQLITE_NULL) {
			*out = sqlite3_column_int64(st, 0);
			*found = true;
		}
		rc = SQLITE_OK;
	} else if (rc == SQLITE_DONE) {
		rc = SQLITE_OK;
	}
	sqlite3_finalize(st);
	return rc;
}

struct row_ref {
	bool exists;
	int64_t id;
	bool started, ended;
};

/* The meeting's open row, else its latest. */
static int find_row(sqlite3 *db, const char *meeting, struct row_ref *r)
{
	sqlite3_stmt *st;
	int rc = sqlite3_prepare_v2(
	    db,
	    "SELECT id, actual_start IS NOT NULL, actual_end IS NOT NULL "
	    "FROM meetings WHERE meeting_id = ?1 "
	    "ORDER BY actual_end IS NULL DESC, id DESC LIMIT 1",
	    -1, &st, NULL);
	memset(r, 0, sizeof(*r));
	if (rc != SQLITE_OK)
		return rc;
	rc = sqlite3_bind_text(st, 1, meeting, -1, SQLITE_STATIC);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		r->exists = true;
		r->id = sqlite3_column_int64(st, 0);
		r->started = sqlite3_column_int(st, 1);
		r->ended = sqlite3_column_int(st, 2);
		rc = SQLITE_OK;
	} else if (rc == SQLITE_DONE) {
		rc = SQLITE_OK;
	}
	sqlite3_finalize(st);
	return rc;
}

/* The open row, or a new "scheduled" one (test run before the start). */
static int ensure_row(sqlite3 *db, const char *meeting, struct row_ref *r)
{
	int rc = find_row(db, meeting, r);
	if (rc != SQLITE_OK || (r->exists && !r->ended))
		return rc;
	rc = exec(db,
	          "INSERT INTO meetings (meeting_id, state) "
	          "VALUES (?1, 'scheduled')",
	          "s", meeting);
	if (rc != SQLITE_OK)
		return rc;
	r->exists = true;
	r->id = sqlite3_last_insert_rowid(db);
	r->started = r->ended = false;
	return SQLITE_OK;
}

/* ------------------------------------------------------------- schema */

/* Migration i brings the schema from version i to i + 1. Never edit a
 * shipped one: append. */
static const char *const migrations[] = {
    /* 0 -> 1 */
    "CREATE TABLE meetings ("
    " id INTEGER PRIMARY KEY,"
    " meeting_id TEXT NOT NULL,"
    " title TEXT,"
    " host TEXT,"
    " host_name TEXT,"
    " host_tier TEXT,"
    " planned_start INTEGER, planned_end INTEGER,"
    " actual_start INTEGER, actual_end INTEGER,"
    " emergency INTEGER NOT NULL DEFAULT 0,"
    " ad_hoc INTEGER NOT NULL DEFAULT 0,"
    " recording TEXT,"
    " state TEXT NOT NULL DEFAULT 'scheduled');"
    "CREATE INDEX meetings_by_id ON meetings (meeting_id);"
    "CREATE INDEX meetings_by_start ON meetings (actual_start);"
    "CREATE TABLE invitees ("
    " meeting INTEGER NOT NULL REFERENCES meetings (id),"
    " endpoint TEXT NOT NULL,"
    " name TEXT, tier TEXT,"
    " role TEXT NOT NULL,"
    " PRIMARY KEY (meeting, endpoint));"
    "CREATE TABLE participation ("
    " id INTEGER PRIMARY KEY,"
    " meeting INTEGER NOT NULL REFERENCES meetings (id),"
    " endpoint TEXT NOT NULL,"
    " role TEXT NOT NULL,"
    " joined_at INTEGER NOT NULL,"
    " left_at INTEGER,"
    " reason TEXT);"
    "CREATE INDEX participation_by_meeting"
    " ON participation (meeting, endpoint);"
    "CREATE TABLE incidents ("
    " id INTEGER PRIMARY KEY,"
    " meeting INTEGER NOT NULL REFERENCES meetings (id),"
    " endpoint TEXT,"
    " kind TEXT NOT NULL,"
    " raised_at INTEGER NOT NULL,"
    " cleared_at INTEGER,"
    " detail TEXT);"
    "CREATE INDEX incidents_by_meeting ON incidents (meeting);"
    "CREATE TABLE test_runs ("
    " id INTEGER PRIMARY KEY,"
    " meeting INTEGER NOT NULL REFERENCES meetings (id),"
    " endpoint TEXT NOT NULL,"
    " ready INTEGER NOT NULL,"
    " reason TEXT,"
    " checked_at INTEGER NOT NULL);"
    "CREATE INDEX test_runs_by_meeting ON test_runs (meeting);",
    /* 1 -> 2: test-run readiness reports (mcu/readiness.h) */
    "CREATE TABLE readiness ("
    " meeting_id TEXT NOT NULL,"
    " test_date TEXT NOT NULL,"
    " endpoint TEXT NOT NULL,"
    " name TEXT,"
    " ready INTEGER NOT NULL,"
    " reasons TEXT NOT NULL DEFAULT '',"
    " figures TEXT,"
    " technician TEXT, phone TEXT,"
    " checked_at INTEGER NOT NULL,"
    " PRIMARY KEY (meeting_id, test_date, endpoint));",
};

#define SCHEMA_VERSION ((int64_t)(sizeof(migrations) / sizeof(migrations[0])))

static int migrate(sqlite3 *db, const char *path)
{
	int64_t version = 0;
	bool found;
	char *msg = NULL;
	int rc;

	rc = sqlite3_exec(db,
	                  "CREATE TABLE IF NOT EXISTS schema_version"
	                  " (version INTEGER NOT NULL)",
	                  NULL, NULL, &msg);
	if (rc != SQLITE_OK)
		goto out;
	rc = query_int(db, &version, &found,
	               "SELECT MAX(version) FROM schema_version", "");
	if (rc != SQLITE_OK)
		goto out;
	if (version > SCHEMA_VERSION) {
		mcu_log_error("%s: schema version %lld is newer than this "
		              "mcud (%lld)",
		              path, (long long)version,
		              (long long)SCHEMA_VERSION);
		return SQLITE_ERROR;
	}
	for (int64_t v = version; v < SCHEMA_VERSION; v++) {
		rc = sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, &msg);
		if (rc == SQLITE_OK)
			rc = sqlite3_exec(db, migrations[v], NULL, NULL, &msg);
		if (rc == SQLITE_OK)
			rc = exec(db, "DELETE FROM schema_version", "");
		if (rc == SQLITE_OK)
			rc = exec(db,
			          "INSERT INTO schema_version (version) "
			          "VALUES (?1)",
			          "i", v + 1);
		if (rc == SQLITE_OK)
			rc = sqlite3_exec(db, "COMMIT", NULL, NULL, &msg);
		if (rc != SQLITE_OK) {
			sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
			goto out;
		}
		mcu_log_info("%s: schema migrated to version %lld", path,
		             (long long)(v + 1));
	}
out:
	if (rc != SQLITE_OK)
		mcu_log_error("%s: schema: %s", path,
		              msg ? msg : sqlite3_errmsg(db));
	sqlite3_free(msg);
	return rc;
}

/* mkdir -p of the directory part of `path`. */
static int make_parents(const char *path)
{
	char *dir = strdup(path);
	int err = 0;
	if (!dir)
		return ENOMEM;
	char *slash = strrchr(dir, '/');
	if (!slash || slash == dir)
		goto out;
	*slash = '\0';
	for (char *p = dir + 1;; p++) {
		bool end = *p == '\0';
		if (*p != '/' && !end)
			continue;
		*p = '\0';
		if (mkdir(dir, 0750) != 0 && errno != EEXIST) {
			err = errno;
			mcu_log_error("cannot create %s: %s", dir,
			              strerror(err));
			goto out;
		}
		if (end)
			break;
		*p = '/';
	}
out:
	free(dir);
	return err;
}

static int open_db(const char *path, int flags, unsigned busy_ms, sqlite3 **dbp)
{
	sqlite3 *db = NULL;
	int rc = sqlite3_open_v2(path, &db, flags, NULL);
	if (rc != SQLITE_OK) {
		mcu_log_error("%s: cannot open: %s", path,
		              db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
		sqlite3_close(db);
		return rc;
	}
	sqlite3_extended_result_codes(db, 1);
	sqlite3_busy_timeout(db, (int)busy_ms);
	*dbp = db;
	return SQLITE_OK;
}

/* ------------------------------------------------------------- writer */

static int apply_started(sqlite3 *db, const struct ev *ev)
{
	struct row_ref r;
	int rc = find_row(db, ev->meeting, &r);
	if (rc != SQLITE_OK)
		return rc;
	if (r.exists && r.started && !r.ended) {
		mcu_log_warn("meeting %s: start reported twice", ev->meeting);
		return RC_IGNORED;
	}
	if (r.exists && !r.started) {
		rc = exec(db,
		          "UPDATE meetings SET title = ?1, host = ?2,"
		          " host_name = ?3, host_tier = ?4, planned_start = ?5,"
		          " planned_end = ?6, actual_start = ?7,"
		          " emergency = ?8, ad_hoc = ?9, state = 'live'"
		          " WHERE id = ?10",
		          "ssssttTbbi", ev->text, ev->host.id, ev->host.name,
		          tier_text(ev->host.tier), ev->planned_start,
		          ev->planned_end, ev->at, (int)ev->flag,
		          (int)ev->ad_hoc, r.id);
	} else {
		rc = exec(db,
		          "INSERT INTO meetings (meeting_id, title, host,"
		          " host_name, host_tier, planned_start, planned_end,"
		          " actual_start, emergency, ad_hoc, state)"
		          " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10,"
		          " 'live')",
		          "sssssttTbb", ev->meeting, ev->text, ev->host.id,
		          ev->host.name, tier_text(ev->host.tier),
		          ev->planned_start, ev->planned_end, ev->at,
		          (int)ev->flag, (int)ev->ad_hoc);
		r.id = sqlite3_last_insert_rowid(db);
	}
	if (rc != SQLITE_OK)
		return rc;
	static const char ins[] =
	    "INSERT OR REPLACE INTO invitees (meeting, endpoint, name,"
	    " tier, role) VALUES (?1, ?2, ?3, ?4, ?5)";
	rc = exec(db, ins, "issss", r.id, ev->host.id, ev->host.name,
	          tier_text(ev->host.tier), "host");
	for (size_t i = 0; i < ev->n_branches && rc == SQLITE_OK; i++) {
		const struct ev_unit *u = &ev->branches[i];
		if (!strcmp(u->id, ev->host.id))
			continue;
		rc = exec(db, ins, "issss", r.id, u->id, u->name,
		          tier_text(u->tier), "branch");
	}
	return rc;
}

static int apply_ended(sqlite3 *db, const struct ev *ev)
{
	struct row_ref r;
	int rc = find_row(db, ev->meeting, &r);
	if (rc != SQLITE_OK)
		return rc;
	if (!r.exists || !r.started || r.ended)
		return RC_IGNORED;
	rc = exec(db,
	          "UPDATE participation SET left_at = ?1,"
	          " reason = COALESCE(reason, 'meeting-ended')"
	          " WHERE meeting = ?2 AND left_at IS NULL",
	          "Ti", ev->at, r.id);
	if (rc == SQLITE_OK)
		rc = exec(db,
		          "UPDATE incidents SET cleared_at = ?1"
		          " WHERE meeting = ?2 AND cleared_at IS NULL",
		          "Ti", ev->at, r.id);
	if (rc == SQLITE_OK)
		rc = exec(db,
		          "UPDATE meetings SET actual_end = ?1, state = 'ended'"
		          " WHERE id = ?2",
		          "Ti", ev->at, r.id);
	return rc;
}

static int apply_joined(sqlite3 *db, const struct ev *ev)
{
	struct row_ref r;
	int rc = find_row(db, ev->meeting, &r);
	if (rc != SQLITE_OK)
		return rc;
	if (!r.exists || !r.started)
		return RC_IGNORED;
	/* a second join without a leave: the first attendance ends here */
	rc = exec(db,
	          "UPDATE participation SET left_at = ?1, reason = 'rejoined'"
	          " WHERE meeting = ?2 AND endpoint = ?3 AND left_at IS NULL",
	          "Tis", ev->at, r.id, ev->endpoint);
	if (rc == SQLITE_OK)
		rc =
		    exec(db,
		         "INSERT INTO participation (meeting, endpoint, role,"
		         " joined_at) VALUES (?1, ?2, ?3, ?4)",
		         "issT", r.id, ev->endpoint,
		         mcu_logbook_role_name((enum mcu_logbook_role)ev->role),
		         ev->at);
	return rc;
}

static int apply_left(sqlite3 *db, const struct ev *ev)
{
	struct row_ref r;
	int rc = find_row(db, ev->meeting, &r);
	if (rc != SQLITE_OK)
		return rc;
	if (!r.exists)
		return RC_IGNORED;
	rc = exec(db,
	          "UPDATE participation SET left_at = ?1, reason = ?2"
	          " WHERE id = (SELECT id FROM participation"
	          "  WHERE meeting = ?3 AND endpoint = ?4 AND left_at IS NULL"
	          "  ORDER BY id DESC LIMIT 1)",
	          "Tsis", ev->at, ev->text, r.id, ev->endpoint);
	if (rc == SQLITE_OK && sqlite3_changes(db) == 0)
		return RC_IGNORED;
	return rc;
}

static int apply_incident_raised(sqlite3 *db, const struct ev *ev)
{
	struct row_ref r;
	/* a late report after the end still belongs to that meeting */
	int rc = find_row(db, ev->meeting, &r);
	if (rc == SQLITE_OK && !r.exists)
		rc = ensure_row(db, ev->meeting, &r);
	if (rc != SQLITE_OK)
		return rc;
	return exec(db,
	            "INSERT INTO incidents (meeting, endpoint, kind,"
	            " raised_at, detail) VALUES (?1, ?2, ?3, ?4, ?5)",
	            "issTs", r.id, ev->endpoint, ev->text, ev->at, ev->detail);
}

static int apply_incident_cleared(sqlite3 *db, const struct ev *ev)
{
	struct row_ref r;
	int rc = find_row(db, ev->meeting, &r);
	if (rc != SQLITE_OK)
		return rc;
	if (!r.exists)
		return RC_IGNORED;
	rc = exec(db,
	          "UPDATE incidents SET cleared_at = ?1"
	          " WHERE id = (SELECT id FROM incidents"
	          "  WHERE meeting = ?2 AND endpoint IS ?3 AND kind = ?4"
	          "  AND cleared_at IS NULL ORDER BY id DESC LIMIT 1)",
	          "Tiss", ev->at, r.id, ev->endpoint, ev->text);
	if (rc == SQLITE_OK && sqlite3_changes(db) == 0)
		return RC_IGNORED;
	return rc;
}

static int apply_test(sqlite3 *db, const struct ev *ev)
{
	struct row_ref r;
	int rc = ensure_row(db, ev->meeting, &r);
	if (rc != SQLITE_OK)
		return rc;
	return exec(db,
	            "INSERT INTO test_runs (meeting, endpoint, ready, reason,"
	            " checked_at) VALUES (?1, ?2, ?3, ?4, ?5)",
	            "isbsT", r.id, ev->endpoint, (int)ev->flag, ev->text,
	            ev->at);
}

static int apply_readiness(sqlite3 *db, const struct ev *ev)
{
	return exec(db,
	            "INSERT OR REPLACE INTO readiness (meeting_id, test_date,"
	            " endpoint, name, ready, reasons, figures, technician,"
	            " phone, checked_at)"
	            " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
	            "ssssbssssT", ev->meeting, ev->date, ev->endpoint,
	            ev->host.name, (int)ev->flag, ev->text, ev->detail,
	            ev->tech_name, ev->tech_phone, ev->at);
}

static int apply_recording(sqlite3 *db, const struct ev *ev)
{
	struct row_ref r;
	int rc = find_row(db, ev->meeting, &r);
	if (rc != SQLITE_OK)
		return rc;
	if (!r.exists)
		return RC_IGNORED;
	/* a meeting recorded in several pieces keeps every file */
	return exec(db,
	            "UPDATE meetings SET recording = CASE"
	            " WHEN recording IS NULL OR recording = '' THEN ?1"
	            " ELSE recording || '; ' || ?1 END WHERE id = ?2",
	            "si", ev->text, r.id);
}

static int apply_kind(sqlite3 *db, const struct ev *ev)
{
	switch (ev->kind) {
	case EV_STARTED:
		return apply_started(db, ev);
	case EV_ENDED:
		return apply_ended(db, ev);
	case EV_JOINED:
		return apply_joined(db, ev);
	case EV_LEFT:
		return apply_left(db, ev);
	case EV_INCIDENT_RAISED:
		return apply_incident_raised(db, ev);
	case EV_INCIDENT_CLEARED:
		return apply_incident_cleared(db, ev);
	case EV_TEST:
		return apply_test(db, ev);
	case EV_RECORDING:
		return apply_recording(db, ev);
	case EV_READINESS:
		return apply_readiness(db, ev);
	}
	return SQLITE_MISUSE;
}

static const char *const kind_names[] = {
    "meeting_started", "meeting_ended",    "joined",      "left",
    "incident_raised", "incident_cleared", "test_result", "recording_linked",
    "readiness",
};

/* One event, one transaction. Called with db_lock held. */
static enum apply_result apply(struct mcu_logbook *lb, const struct ev *ev)
{
	sqlite3 *db = lb->wdb;
	int rc = sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
	if (rc == SQLITE_OK)
		rc = apply_kind(db, ev);
	if (rc == SQLITE_OK || rc == RC_IGNORED) {
		int crc = sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
		if (crc == SQLITE_OK) {
			if (rc == RC_IGNORED)
				mcu_log_debug("%s for %s: no meeting row to "
				              "apply it to",
				              kind_names[ev->kind],
				              ev->meeting);
			return rc == RC_IGNORED ? APPLY_IGNORED : APPLY_OK;
		}
		rc = crc;
	}
	mcu_log_ratelimited(
	    MCU_LOG_ERROR, 5000, "cannot write %s of %s: %s (%d)",
	    kind_names[ev->kind], ev->meeting, sqlite3_errmsg(db), rc);
	if (!sqlite3_get_autocommit(db))
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	return APPLY_ERROR;
}

static void *writer_main(void *arg)
{
	struct mcu_logbook *lb = arg;
	struct ev *batch[BATCH];

	pthread_mutex_lock(&lb->lock);
	for (;;) {
		size_t n = 0;
		uint64_t ok = 0, ignored = 0, failed = 0;
		while (lb->count == 0 && !lb->stopping)
			pthread_cond_wait(&lb->work, &lb->lock);
		if (lb->count == 0)
			break; /* stopping, all written */
		while (n < BATCH && lb->count > 0) {
			batch[n++] = lb->ring[lb->head];
			lb->head = (lb->head + 1) % lb->cap;
			lb->count--;
		}
		pthread_mutex_unlock(&lb->lock);

		pthread_mutex_lock(&lb->db_lock);
		for (size_t i = 0; i < n; i++) {
			switch (apply(lb, batch[i])) {
			case APPLY_OK:
				ok++;
				break;
			case APPLY_IGNORED:
				ignored++;
				break;
			case APPLY_ERROR:
				failed++;
				break;
			}
			free(batch[i]);
		}
		pthread_mutex_unlock(&lb->db_lock);

		pthread_mutex_lock(&lb->lock);
		lb->st.written += ok;
		lb->st.ignored += ignored;
		lb->st.errors += failed;
		lb->handled_seq += n;
		pthread_cond_broadcast(&lb->done);
	}
	pthread_mutex_unlock(&lb->lock);
	return NULL;
}

/* ----------------------------------------------------------- lifetime */

int mcu_logbook_open(struct mcu_logbook **lbp, const char *path,
                     const struct mcu_logbook_opts *opts)
{
	struct mcu_logbook_opts o = {0};
	struct mcu_logbook *lb;
	bool locks = false;
	int err, rc;

	if (!lbp || !path || !*path)
		return EINVAL;
	if (opts)
		o = *opts;
	if (!o.queue_capacity)
		o.queue_capacity = DEFAULT_QUEUE;
	if (!o.busy_timeout_ms)
		o.busy_timeout_ms = DEFAULT_BUSY_MS;
	if (o.queue_capacity > SIZE_MAX / sizeof(struct ev *))
		return EINVAL;

	err = make_parents(path);
	if (err)
		return err;
	lb = calloc(1, sizeof(*lb));
	if (!lb)
		return ENOMEM;
	lb->cap = o.queue_capacity;
	lb->ring = calloc(lb->cap, sizeof(*lb->ring));
	if (!lb->ring) {
		err = ENOMEM;
		goto out;
	}
	if ((err = pthread_mutex_init(&lb->lock, NULL)) != 0)
		goto out;
	if ((err = pthread_mutex_init(&lb->db_lock, NULL)) != 0) {
		pthread_mutex_destroy(&lb->lock);
		goto out;
	}
	if ((err = pthread_mutex_init(&lb->read_lock, NULL)) != 0) {
		pthread_mutex_destroy(&lb->lock);
		pthread_mutex_destroy(&lb->db_lock);
		goto out;
	}
	if ((err = pthread_cond_init(&lb->work, NULL)) != 0) {
		pthread_mutex_destroy(&lb->lock);
		pthread_mutex_destroy(&lb->db_lock);
		pthread_mutex_destroy(&lb->read_lock);
		goto out;
	}
	if ((err = pthread_cond_init(&lb->done, NULL)) != 0) {
		pthread_cond_destroy(&lb->work);
		pthread_mutex_destroy(&lb->lock);
		pthread_mutex_destroy(&lb->db_lock);
		pthread_mutex_destroy(&lb->read_lock);
		goto out;
	}
	locks = true;

	err = EIO;
	rc = open_db(path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE,
	             o.busy_timeout_ms, &lb->wdb);
	if (rc != SQLITE_OK)
		goto out;
	rc = sqlite3_exec(lb->wdb,
	                  "PRAGMA journal_mode = WAL;"
	                  "PRAGMA synchronous = NORMAL;"
	                  "PRAGMA foreign_keys = ON;",
	                  NULL, NULL, NULL);
	if (rc != SQLITE_OK) {
		mcu_log_error("%s: %s", path, sqlite3_errmsg(lb->wdb));
		goto out;
	}
	if (migrate(lb->wdb, path) != SQLITE_OK)
		goto out;
	if (o.max_pages) {
		char sql[64];
		snprintf(sql, sizeof(sql), "PRAGMA max_page_count = %u",
		         (unsigned)o.max_pages);
		sqlite3_exec(lb->wdb, sql, NULL, NULL, NULL);
	}
	rc = open_db(path, SQLITE_OPEN_READONLY, o.busy_timeout_ms, &lb->rdb);
	if (rc != SQLITE_OK)
		goto out;

	err = pthread_create(&lb->writer, NULL, writer_main, lb);
	if (!err)
		pthread_setname_np(lb->writer, "mcud-logbook");
	if (err) {
		mcu_log_error("cannot start the logbook writer: %s",
		              strerror(err));
		goto out;
	}
	lb->writer_running = true;
	mcu_log_info("logbook %s open (schema %lld)", path,
	             (long long)SCHEMA_VERSION);
	*lbp = lb;
	return 0;
out:
	sqlite3_close(lb->rdb);
	sqlite3_close(lb->wdb);
	if (locks) {
		pthread_cond_destroy(&lb->done);
		pthread_cond_destroy(&lb->work);
		pthread_mutex_destroy(&lb->read_lock);
		pthread_mutex_destroy(&lb->db_lock);
		pthread_mutex_destroy(&lb->lock);
	}
	free(lb->ring);
	free(lb);
	return err;
}

struct mcu_logbook *mcu_logbook_close(struct mcu_logbook *lb)
{
	if (!lb)
		return NULL;
	pthread_mutex_lock(&lb->lock);
	lb->stopping = true;
	pthread_cond_broadcast(&lb->work);
	pthread_mutex_unlock(&lb->lock);
	if (lb->writer_running) {
		int err = pthread_join(lb->writer, NULL);
		if (err)
			mcu_log_error("joining the logbook writer: %s",
			              strerror(err));
	}
	/* nothing is left in the ring: the writer drains it before leaving */
	if (sqlite3_close(lb->rdb) != SQLITE_OK)
		mcu_log_error("closing the read connection: %s",
		              sqlite3_errmsg(lb->rdb));
	if (sqlite3_close(lb->wdb) != SQLITE_OK)
		mcu_log_error("closing the logbook: %s",
		              sqlite3_errmsg(lb->wdb));
	pthread_cond_destroy(&lb->done);
	pthread_cond_destroy(&lb->work);
	pthread_mutex_destroy(&lb->read_lock);
	pthread_mutex_destroy(&lb->db_lock);
	pthread_mutex_destroy(&lb->lock);
	free(lb->ring);
	free(lb);
	return NULL;
}

void mcu_logbook_flush(struct mcu_logbook *lb)
{
	if (!lb)
		return;
	pthread_mutex_lock(&lb->lock);
	uint64_t target = lb->queued_seq;
	while (lb->handled_seq < target)
		pthread_cond_wait(&lb->done, &lb->lock);
	pthread_mutex_unlock(&lb->lock);
}

void mcu_logbook_stats(struct mcu_logbook *lb, struct mcu_logbook_stats *st)
{
	if (!lb) {
		memset(st, 0, sizeof(*st));
		return;
	}
	pthread_mutex_lock(&lb->lock);
	*st = lb->st;
	st->depth = lb->count;
	pthread_mutex_unlock(&lb->lock);
}

/* ----------------------------------------------------------- recovery */

static int recover_one(sqlite3 *db, int64_t id, time_t now, time_t *endp)
{
	int64_t last = 0, planned_end = 0;
	bool found, has_planned;
	time_t end;
	int rc;

	rc = query_int(db, &last, &found,
	               "SELECT MAX(x) FROM ("
	               " SELECT actual_start AS x FROM meetings WHERE id = ?1"
	               " UNION ALL SELECT MAX(joined_at) FROM participation"
	               "  WHERE meeting = ?1"
	               " UNION ALL SELECT MAX(left_at) FROM participation"
	               "  WHERE meeting = ?1"
	               " UNION ALL SELECT MAX(raised_at) FROM incidents"
	               "  WHERE meeting = ?1"
	               " UNION ALL SELECT MAX(cleared_at) FROM incidents"
	               "  WHERE meeting = ?1)",
	               "i", id);
	if (rc != SQLITE_OK)
		return rc;
	rc = query_int(db, &planned_end, &has_planned,
	               "SELECT planned_end FROM meetings WHERE id = ?1", "i",
	               id);
	if (rc != SQLITE_OK)
		return rc;
	end = (time_t)last;
	if (has_planned) {
		time_t cap =
		    (time_t)planned_end < now ? (time_t)planned_end : now;
		if (cap > end)
			end = cap;
	}
	rc = exec(db,
	          "UPDATE participation SET left_at = ?1,"
	          " reason = 'mcu-restarted'"
	          " WHERE meeting = ?2 AND left_at IS NULL",
	          "Ti", end, id);
	if (rc == SQLITE_OK)
		rc = exec(db,
		          "UPDATE incidents SET cleared_at = ?1"
		          " WHERE meeting = ?2 AND cleared_at IS NULL",
		          "Ti", end, id);
	if (rc == SQLITE_OK)
		rc = exec(db,
		          "INSERT INTO incidents (meeting, endpoint, kind,"
		          " raised_at, cleared_at, detail)"
		          " VALUES (?1, NULL, 'mcu-restarted', ?2, ?3, ?4)",
		          "iTTs", id, end, now,
		          "mcu restarted: meeting closed at start-up; "
		          "the end is the last moment it is known to have run");
	if (rc == SQLITE_OK)
		rc = exec(db,
		          "UPDATE meetings SET actual_end = ?1, state = 'ended'"
		          " WHERE id = ?2",
		          "Ti", end, id);
	*endp = end;
	return rc;
}

int mcu_logbook_recover(struct mcu_logbook *lb, time_t now)
{
	sqlite3_stmt *st = NULL;
	int64_t *ids = NULL;
	size_t n = 0, cap = 0;
	int closed = 0, rc;

	if (!lb)
		return -EINVAL;
	mcu_logbook_flush(lb);
	pthread_mutex_lock(&lb->db_lock);
	rc = sqlite3_prepare_v2(lb->wdb,
	                        "SELECT id FROM meetings WHERE actual_start IS"
	                        " NOT NULL AND actual_end IS NULL ORDER BY id",
	                        -1, &st, NULL);
	while (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (n == cap) {
			size_t ncap = cap ? cap * 2 : 8;
			int64_t *v = realloc(ids, ncap * sizeof(*v));
			if (!v) {
				rc = SQLITE_NOMEM;
				break;
			}
			ids = v;
			cap = ncap;
		}
		ids[n++] = sqlite3_column_int64(st, 0);
		rc = SQLITE_OK;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE && rc != SQLITE_OK) {
		mcu_log_error("recover: %s", sqlite3_errmsg(lb->wdb));
		pthread_mutex_unlock(&lb->db_lock);
		free(ids);
		return -EIO;
	}
	for (size_t i = 0; i < n; i++) {
		time_t end = 0;
		rc = sqlite3_exec(lb->wdb, "BEGIN IMMEDIATE", NULL, NULL, NULL);
		if (rc == SQLITE_OK)
			rc = recover_one(lb->wdb, ids[i], now, &end);
		if (rc == SQLITE_OK)
			rc = sqlite3_exec(lb->wdb, "COMMIT", NULL, NULL, NULL);
		if (rc != SQLITE_OK) {
			mcu_log_error("recover: meeting row %lld: %s",
			              (long long)ids[i],
			              sqlite3_errmsg(lb->wdb));
			if (!sqlite3_get_autocommit(lb->wdb))
				sqlite3_exec(lb->wdb, "ROLLBACK", NULL, NULL,
				             NULL);
			continue;
		}
		mcu_log_warn("meeting row %lld was left open by a previous "
		             "run: closed at %lld",
		             (long long)ids[i], (long long)end);
		closed++;
	}
	pthread_mutex_unlock(&lb->db_lock);
	free(ids);
	return closed;
}

/* ------------------------------------------------------------ reading */

#define READ_FILTER                                                            \
	"(?3 IS NULL AND actual_start >= ?1 AND actual_start < ?2)"            \
	" OR meeting_id = ?3"
#define CHILD_FILTER                                                           \
	" WHERE meeting IN (SELECT id FROM meetings WHERE " READ_FILTER ")"

struct row_index {
	int64_t row;
	size_t idx;
};

struct reader {
	sqlite3 *db;
	time_t from, to;
	const char *meeting_id;
	struct mcu_logbook_records *out;
	struct row_index *index; /* sorted by row */
	bool oom;
};

/* Room for element n of an array grown in powers of two (4, 8, 16...). */
static void *grow(void *v, size_t n, size_t size)
{
	size_t cap;
	void *nv;
	if (n != 0 && (n < 4 || (n & (n - 1)) != 0))
		return v;
	cap = n ? n * 2 : 4;
	if (cap > SIZE_MAX / size)
		return NULL;
	nv = realloc(v, cap * size);
	return nv;
}

static char *col_str(struct reader *rd, sqlite3_stmt *st, int i)
{
	const unsigned char *s = sqlite3_column_text(st, i);
	char *r;
	if (!s)
		return NULL;
	r = strdup((const char *)s);
	if (!r)
		rd->oom = true;
	return r;
}

/* Like col_str() but never NULL (NOT NULL columns). */
static char *col_str_nn(struct reader *rd, sqlite3_stmt *st, int i)
{
	char *r = col_str(rd, st, i);
	if (!r && !rd->oom) {
		r = strdup("");
		if (!r)
			rd->oom = true;
	}
	return r;
}

static time_t col_time(sqlite3_stmt *st, int i)
{
	if (sqlite3_column_type(st, i) == SQLITE_NULL)
		return 0;
	return (time_t)sqlite3_column_int64(st, i);
}

static int prep_read(struct reader *rd, const char *sql, sqlite3_stmt **stp)
{
	sqlite3_stmt *st;
	int rc = sqlite3_prepare_v2(rd->db, sql, -1, &st, NULL);
	if (rc != SQLITE_OK)
		return rc;
	rc = sqlite3_bind_int64(st, 1, (int64_t)rd->from);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, 2, (int64_t)rd->to);
	if (rc == SQLITE_OK)
		rc = rd->meeting_id ? sqlite3_bind_text(st, 3, rd->meeting_id,
		                                        -1, SQLITE_STATIC)
		                    : sqlite3_bind_null(st, 3);
	if (rc != SQLITE_OK) {
		sqlite3_finalize(st);
		return rc;
	}
	*stp = st;
	return SQLITE_OK;
}

static int index_cmp(const void *a, const void *b)
{
	const struct row_index *x = a, *y = b;
	return x->row < y->row ? -1 : x->row > y->row;
}

static struct mcu_logbook_record *record_of(struct reader *rd, int64_t row)
{
	struct row_index key = {row, 0}, *hit;
	hit = bsearch(&key, rd->index, rd->out->n, sizeof(key), index_cmp);
	return hit ? &rd->out->v[hit->idx] : NULL;
}

static int read_meetings(struct reader *rd)
{
	struct mcu_logbook_records *out = rd->out;
	sqlite3_stmt *st;
	int rc = prep_read(
	    rd,
	    "SELECT id, meeting_id, title, host, host_name, host_tier,"
	    " planned_start, planned_end, actual_start, actual_end,"
	    " emergency, ad_hoc, recording, state FROM meetings "
	    "WHERE " READ_FILTER
	    " ORDER BY COALESCE(actual_start, planned_start, 0), id",
	    &st);
	if (rc != SQLITE_OK)
		return rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW && !rd->oom) {
		struct mcu_logbook_record *r, *v;
		char *tier;
		if (out->n >= MCU_LOGBOOK_MAX_RECORDS) {
			rc = SQLITE_TOOBIG;
			break;
		}
		v = grow(out->v, out->n, sizeof(*v));
		if (!v) {
			rd->oom = true;
			break;
		}
		out->v = v;
		r = &v[out->n++];
		memset(r, 0, sizeof(*r));
		r->row = sqlite3_column_int64(st, 0);
		r->meeting_id = col_str_nn(rd, st, 1);
		r->title = col_str(rd, st, 2);
		r->host = col_str(rd, st, 3);
		r->host_name = col_str(rd, st, 4);
		tier = col_str(rd, st, 5);
		r->host_tier = tier_parse(tier);
		free(tier);
		r->planned_start = col_time(st, 6);
		r->planned_end = col_time(st, 7);
		r->actual_start = col_time(st, 8);
		r->actual_end = col_time(st, 9);
		r->emergency = sqlite3_column_int(st, 10) != 0;
		r->ad_hoc = sqlite3_column_int(st, 11) != 0;
		r->recording = col_str(rd, st, 12);
		r->state = col_str_nn(rd, st, 13);
	}
	sqlite3_finalize(st);
	if (rc == SQLITE_ROW || rc == SQLITE_DONE)
		rc = SQLITE_OK;
	if (rc != SQLITE_OK || rd->oom || out->n == 0)
		return rc;
	rd->index = calloc(out->n, sizeof(*rd->index));
	if (!rd->index) {
		rd->oom = true;
		return SQLITE_OK;
	}
	for (size_t i = 0; i < out->n; i++)
		rd->index[i] = (struct row_index){out->v[i].row, i};
	qsort(rd->index, out->n, sizeof(*rd->index), index_cmp);
	return SQLITE_OK;
}

static void read_invitee(struct reader *rd, sqlite3_stmt *st,
                         struct mcu_logbook_record *r)
{
	struct mcu_logbook_invitee *v, *x;
	char *tier, *role;
	v = grow(r->invitees, r->n_invitees, sizeof(*v));
	if (!v) {
		rd->oom = true;
		return;
	}
	r->invitees = v;
	x = &v[r->n_invitees++];
	memset(x, 0, sizeof(*x));
	x->endpoint = col_str_nn(rd, st, 1);
	x->name = col_str(rd, st, 2);
	tier = col_str(rd, st, 3);
	x->tier = tier_parse(tier);
	free(tier);
	role = col_str(rd, st, 4);
	x->role = role_parse(role);
	free(role);
}

static void read_presence(struct reader *rd, sqlite3_stmt *st,
                          struct mcu_logbook_record *r)
{
	struct mcu_logbook_presence *v, *x;
	char *role;
	v = grow(r->presence, r->n_presence, sizeof(*v));
	if (!v) {
		rd->oom = true;
		return;
	}
	r->presence = v;
	x = &v[r->n_presence++];
	memset(x, 0, sizeof(*x));
	x->endpoint = col_str_nn(rd, st, 1);
	role = col_str(rd, st, 2);
	x->role = role_parse(role);
	free(role);
	x->joined = col_time(st, 3);
	x->left = col_time(st, 4);
	x->reason = col_str(rd, st, 5);
}

static void read_incident(struct reader *rd, sqlite3_stmt *st,
                          struct mcu_logbook_record *r)
{
	struct mcu_logbook_incident *v, *x;
	v = grow(r->incidents, r->n_incidents, sizeof(*v));
	if (!v) {
		rd->oom = true;
		return;
	}
	r->incidents = v;
	x = &v[r->n_incidents++];
	memset(x, 0, sizeof(*x));
	x->endpoint = col_str(rd, st, 1);
	x->kind = col_str_nn(rd, st, 2);
	x->raised = col_time(st, 3);
	x->cleared = col_time(st, 4);
	x->detail = col_str(rd, st, 5);
}

static void read_test(struct reader *rd, sqlite3_stmt *st,
                      struct mcu_logbook_record *r)
{
	struct mcu_logbook_test *v, *x;
	v = grow(r->tests, r->n_tests, sizeof(*v));
	if (!v) {
		rd->oom = true;
		return;
	}
	r->tests = v;
	x = &v[r->n_tests++];
	memset(x, 0, sizeof(*x));
	x->endpoint = col_str_nn(rd, st, 1);
	x->ready = sqlite3_column_int(st, 2) != 0;
	x->reason = col_str(rd, st, 3);
	x->at = col_time(st, 4);
}

typedef void child_reader(struct reader *rd, sqlite3_stmt *st,
                          struct mcu_logbook_record *r);

static int read_children(struct reader *rd, const char *sql, child_reader *fn)
{
	sqlite3_stmt *st;
	int rc = prep_read(rd, sql, &st);
	if (rc != SQLITE_OK)
		return rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW && !rd->oom) {
		struct mcu_logbook_record *r =
		    record_of(rd, sqlite3_column_int64(st, 0));
		if (r)
			fn(rd, st, r);
	}
	sqlite3_finalize(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? SQLITE_OK : rc;
}

int mcu_logbook_read(struct mcu_logbook *lb, time_t from, time_t to,
                     const char *meeting_id, struct mcu_logbook_records *out)
{
	struct reader rd = {0};
	int rc, err = 0;

	if (!lb || !out)
		return EINVAL;
	memset(out, 0, sizeof(*out));
	rd.db = lb->rdb;
	rd.from = from;
	rd.to = to;
	rd.meeting_id = meeting_id;
	rd.out = out;

	pthread_mutex_lock(&lb->read_lock);
	/* one read transaction: every table seen at the same moment */
	rc = sqlite3_exec(rd.db, "BEGIN", NULL, NULL, NULL);
	if (rc == SQLITE_OK)
		rc = read_meetings(&rd);
	if (rc == SQLITE_OK && !rd.oom && out->n)
		rc = read_children(&rd,
		                   "SELECT meeting, endpoint, name, tier, role"
		                   " FROM invitees" CHILD_FILTER
		                   " ORDER BY meeting, rowid",
		                   read_invitee);
	if (rc == SQLITE_OK && !rd.oom && out->n)
		rc = read_children(
		    &rd,
		    "SELECT meeting, endpoint, role, joined_at,"
		    " left_at, reason FROM participation" CHILD_FILTER
		    " ORDER BY meeting, joined_at, id",
		    read_presence);
	if (rc == SQLITE_OK && !rd.oom && out->n)
		rc = read_children(
		    &rd,
		    "SELECT meeting, endpoint, kind, raised_at,"
		    " cleared_at, detail FROM incidents" CHILD_FILTER
		    " ORDER BY meeting, raised_at, id",
		    read_incident);
	if (rc == SQLITE_OK && !rd.oom && out->n)
		rc = read_children(&rd,
		                   "SELECT meeting, endpoint, ready, reason,"
		                   " checked_at FROM test_runs" CHILD_FILTER
		                   " ORDER BY meeting, checked_at, id",
		                   read_test);
	if (rc == SQLITE_TOOBIG)
		err = EFBIG;
	else if (rc != SQLITE_OK)
		err = EIO;
	else if (rd.oom)
		err = ENOMEM;
	if (err == EIO)
		mcu_log_error("reading the logbook: %s", sqlite3_errmsg(rd.db));
	if (!sqlite3_get_autocommit(rd.db))
		sqlite3_exec(rd.db, "COMMIT", NULL, NULL, NULL);
	pthread_mutex_unlock(&lb->read_lock);
	free(rd.index);
	if (err)
		mcu_logbook_records_clear(out);
	return err;
}

void mcu_logbook_records_clear(struct mcu_logbook_records *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->n; i++) {
		struct mcu_logbook_record *m = &r->v[i];
		free(m->meeting_id);
		free(m->title);
		free(m->host);
		free(m->host_name);
		free(m->recording);
		free(m->state);
		for (size_t j = 0; j < m->n_invitees; j++) {
			free(m->invitees[j].endpoint);
			free(m->invitees[j].name);
		}
		free(m->invitees);
		for (size_t j = 0; j < m->n_presence; j++) {
			free(m->presence[j].endpoint);
			free(m->presence[j].reason);
		}
		free(m->presence);
		for (size_t j = 0; j < m->n_incidents; j++) {
			free(m->incidents[j].endpoint);
			free(m->incidents[j].kind);
			free(m->incidents[j].detail);
		}
		free(m->incidents);
		for (size_t j = 0; j < m->n_tests; j++) {
			free(m->tests[j].endpoint);
			free(m->tests[j].reason);
		}
		free(m->tests);
	}
	free(r->v);
	r->v = NULL;
	r->n = 0;
}
