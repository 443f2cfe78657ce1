/*
 * api_roster: the part of the operator API's backend (mcu/api.h) that
 * needs only the roster snapshot and the timeline: health details, the
 * endpoint directory with contacts, meetings with their state from the
 * roster times, and each meeting's planned participants (all
 * "disconnected" until the engine adds live data).
 *
 * Composable: the engine's backend calls these functions (or the table
 * from mcu_api_roster_backend()) and patches the JSON they return with
 * live state, and calls mcu_api_roster_check() before acting, so ids,
 * membership and meeting states are judged in one place.
 *
 * Meeting times are the effective ones (opts->override): what operators
 * see is when the meeting really starts and ends; the roster's times stay
 * under planned_start/planned_end.
 *
 * Thread-safe: every call takes its own snapshot reference.
 */
#ifndef MCU_API_ROSTER_H
#define MCU_API_ROSTER_H

#include <jansson.h>
#include <time.h>

#include "mcu/api.h"
#include "mcu/overrides.h"
#include "mcu/snapshot.h"
#include "mcu/timeline.h"

struct mcu_api_roster;

struct mcu_api_roster_opts {
	void *arg;
	/* A new reference to the snapshot in force (required). */
	struct mcu_snapshot *(*snapshot)(void *arg);
	/*
	 * Reload the configuration (POST /api/v1/reload): 0 done,
	 * EINPROGRESS queued (202), EINVAL refused (409). NULL: 503.
	 */
	int (*reload)(void *arg);
	/*
	 * The state of meeting `index` of `conf` (the daemon's view: started
	 * early, extended). NULL: mcu_timeline_state() of the roster times.
	 */
	enum mcu_meeting_state (*state)(void *arg, const struct mcu_conf *conf,
	                                size_t index, time_t now);
	/*
	 * The operators' changes to meeting `id` (start early, stop,
	 * extend): true with *out filled, false when there are none. The
	 * meeting's "start"/"end" are then the effective times (actual
	 * start, end with extensions or the moment of a stop), with the
	 * roster's in "planned_start"/"planned_end"; a stopped meeting may
	 * be started again (mcu_override_may_start()). NULL: no changes.
	 */
	bool (*override)(void *arg, const char *id, struct mcu_override *out);
	/* The clock; NULL: time(). */
	time_t (*now)(void *arg);
};

/* 0, EINVAL (no snapshot function) or ENOMEM. */
int mcu_api_roster_alloc(struct mcu_api_roster **rp,
                         const struct mcu_api_roster_opts *opts);
struct mcu_api_roster *mcu_api_roster_free(struct mcu_api_roster *r);

/* The backend table: every read, and actions answered from the roster. */
struct mcu_api_backend mcu_api_roster_backend(struct mcu_api_roster *r);

/* The JSON of the routes (new references; NULL with *status set). */
json_t *mcu_api_roster_health(struct mcu_api_roster *r);
json_t *mcu_api_roster_endpoints(struct mcu_api_roster *r, int *status);
json_t *mcu_api_roster_meetings(struct mcu_api_roster *r, int *status);
json_t *mcu_api_roster_meeting(struct mcu_api_roster *r, const char *id,
                               int *status);
json_t *mcu_api_roster_participants(struct mcu_api_roster *r, const char *id,
                                    int *status);

/*
 * Judge an action against the roster: 0 when it may go ahead, else the
 * HTTP status with `detail`: 404 unknown meeting or endpoint (or an
 * endpoint not in the meeting), 409 wrong state (start of a live or ended
 * meeting, except one an operator stopped within its window; stop of one
 * not under way, extend of an ended one, floor
 * control in an open meeting, call control of a meeting not under way),
 * 400 content not listed for the meeting.
 */
int mcu_api_roster_check(struct mcu_api_roster *r,
                         const struct mcu_api_action *a, char *detail,
                         size_t detail_len);

/*
 * The action entry of the backend table: RELOAD through opts->reload;
 * anything else is checked (mcu_api_roster_check()) and then answered
 * 503, since acting needs the conference engine.
 */
int mcu_api_roster_action(struct mcu_api_roster *r,
                          const struct mcu_api_action *a, json_t **result,
                          char *detail, size_t detail_len);

#endif
