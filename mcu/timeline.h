/*
 * timeline: where each meeting of a roster stands at a given moment, and
 * the coming events (test runs, starts, ends) in order. Pure functions of
 * the snapshot and a time, so the scheduler and `mcud --schedule` agree and
 * both are testable without a clock.
 */
#ifndef MCU_TIMELINE_H
#define MCU_TIMELINE_H

#include <stdio.h>
#include <time.h>

#include "conf/config.h"
#include "mcu/i18n.h"

enum mcu_meeting_state {
	MCU_MEETING_SCHEDULED = 0,
	MCU_MEETING_TEST_RUN,
	MCU_MEETING_LIVE,
	MCU_MEETING_ENDED,
};

enum mcu_timeline_kind {
	MCU_EVENT_TEST_START = 0,
	MCU_EVENT_TEST_END,
	MCU_EVENT_START,
	MCU_EVENT_END,
};

struct mcu_timeline_event {
	time_t at;
	enum mcu_timeline_kind kind;
	size_t meeting; /* index into conf->meetings */
};

/* The state of `m` at `now` from its roster times alone. */
enum mcu_meeting_state mcu_timeline_state(const struct mcu_conf_meeting *m,
                                          time_t now);

/* "scheduled", "test-run", "live", "ended" (the API's names). */
const char *mcu_timeline_state_name(enum mcu_meeting_state state);

/*
 * Every event of `conf` at or after `from`, sorted by time (then by kind,
 * then by roster order). Sets *eventsp (free() it) and *countp.
 * Returns 0 or ENOMEM.
 */
int mcu_timeline_events(const struct mcu_conf *conf, time_t from,
                        struct mcu_timeline_event **eventsp, size_t *countp);

/*
 * Print the coming timeline in local time, one line per event:
 * "2026-12-04 14:00  test run starts  giao-ban-... (host ubnd-tp, 9 branches)"
 * followed by a line per meeting already under way. Returns the number
 * of events printed.
 */
size_t mcu_timeline_print(const struct mcu_conf *conf, time_t now,
                          enum mcu_lang lang, FILE *out);

#endif
