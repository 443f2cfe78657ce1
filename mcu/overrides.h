/*
 * overrides: the operators' changes to a meeting's roster times (start
 * early, stop, extend; POST /api/v1/meetings/{id}/start|stop|extend), by
 * meeting id, and the meeting times and state that result from them.
 *
 * The daemon owns one set. Every change is written at once to a JSON file
 * (<run-dir>/overrides.json, temp file + rename) so a restart keeps
 * them; at start the file is read back against the roster in force.
 *
 * Rules (docs/api.md, "Operator changes"):
 * - start: the meeting is live from now until its (extended) end. It also
 *   clears an earlier stop: a meeting an operator stopped may be started
 *   again while its roster window (with extensions) has not ended.
 * - stop: the meeting has ended, whatever its times say, until an operator
 *   starts it again. Its effective end becomes the moment of the stop.
 * - extend: minutes added to the roster end (they add up).
 *
 * Thread-safe: one mutex guards the set; the meeting-time functions take
 * it briefly and never call out while holding it.
 */
#ifndef MCU_OVERRIDES_H
#define MCU_OVERRIDES_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "conf/config.h"
#include "mcu/timeline.h"

/* The most minutes one meeting may be extended by in total (a week). */
#define MCU_OVERRIDES_MAX_EXTEND (7u * 24u * 60u)

/* How long after its end an entry is still kept (and loaded). */
#define MCU_OVERRIDES_KEEP_S (24 * 3600)

struct mcu_overrides;

/* One meeting's changes (a copy; see mcu_overrides_get()). */
struct mcu_override {
	char id[128];
	bool start;        /* started by an operator */
	time_t started_at; /* when (first start), with start */
	bool stop;         /* stopped by an operator */
	time_t stopped_at; /* when, with stop */
	unsigned extend;   /* minutes added to the end */
};

/* A meeting's times once the operators' changes are applied. */
struct mcu_override_times {
	time_t start, end;                 /* effective */
	time_t planned_start, planned_end; /* the roster's */
	bool started_early;                /* start < planned_start */
	bool stopped;                      /* stopped by an operator */
	unsigned extend;                   /* minutes */
};

/* ---- pure functions (no set, no clock) ---- */

/* The times of `m` with `o` (NULL: none) applied. */
void mcu_override_times(const struct mcu_override *o,
                        const struct mcu_conf_meeting *m,
                        struct mcu_override_times *t);

/* The state of `m` at `now` with `o` (NULL: none) applied. */
enum mcu_meeting_state mcu_override_state(const struct mcu_override *o,
                                          const struct mcu_conf_meeting *m,
                                          time_t now);

/*
 * Whether an operator's start is allowed at `now`: a meeting scheduled or
 * in its test run, or one an operator stopped whose roster window (with
 * extensions) has not ended. Not a live one, not one whose time is over.
 */
bool mcu_override_may_start(const struct mcu_override *o,
                            const struct mcu_conf_meeting *m, time_t now);

/* ---- the set ---- */

enum mcu_override_verb {
	MCU_OVERRIDE_START = 0,
	MCU_OVERRIDE_STOP,
	MCU_OVERRIDE_EXTEND,
};

/*
 * A new empty set saved to `path` on every change (NULL: memory only).
 * 0 or ENOMEM.
 */
int mcu_overrides_alloc(struct mcu_overrides **op, const char *path);
struct mcu_overrides *mcu_overrides_free(struct mcu_overrides *o);

/*
 * Read `path` (given at alloc) and keep the entries of meetings of `conf`
 * that have not ended more than MCU_OVERRIDES_KEEP_S before `now`; the
 * others are dropped (and the file rewritten without them). A missing
 * file is no error. Returns 0, EINVAL (the file is not an overrides
 * document: the set stays empty), or the errno of reading it. *keptp
 * (may be NULL) gets the number of entries kept.
 */
int mcu_overrides_load(struct mcu_overrides *o, const struct mcu_conf *conf,
                       time_t now, size_t *keptp);

/* The entry of meeting `id`: true with *out filled, false when none. */
bool mcu_overrides_get(struct mcu_overrides *o, const char *id,
                       struct mcu_override *out);

/*
 * Apply an operator's change to meeting `id` at `now` and save:
 * start (clears a stop), stop, or extend by `minutes` (1..1440; the total
 * is capped at MCU_OVERRIDES_MAX_EXTEND: ERANGE beyond). The caller has
 * judged whether the change is allowed (mcu_override_may_start()...).
 * Returns 0 (the change is in force; a failed save is logged, not
 * returned), EINVAL (bad argument), ERANGE or ENOMEM.
 */
int mcu_overrides_apply(struct mcu_overrides *o, const char *id,
                        enum mcu_override_verb verb, unsigned minutes,
                        time_t now);

/* ---- the file format (exposed for tests) ---- */

/*
 * The JSON document of `n` entries (free() it), or NULL (ENOMEM):
 * {"version":1,"overrides":[{"meeting":ID,"start":B,"started_at":T,
 *  "stop":B,"stopped_at":T,"extend_minutes":N},...]} with T in Unix
 * seconds (0 when unset).
 */
char *mcu_overrides_dump(const struct mcu_override *v, size_t n);

/*
 * Parse such a document: 0 with *vp (free() it) and *np set, or EINVAL.
 * Entries with a bad id or fields are skipped; at most 4096 are read.
 */
int mcu_overrides_parse(const char *text, size_t len, struct mcu_override **vp,
                        size_t *np);

#endif
