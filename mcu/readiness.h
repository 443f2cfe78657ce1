/*
 * readiness: the test-run readiness report (issue 6 item 6). During a
 * meeting's test-run window every planned endpoint is judged: does it
 * answer, does it send video at a usable frame rate and audio above the
 * noise floor, are loss, jitter and RTT acceptable. The result per
 * endpoint is "ready" or "not-ready" with reasons, the measured figures
 * and the endpoint's technician from the roster.
 *
 * Two layers, like mcu/watch.h. The judge is pure: struct
 * mcu_readiness_part takes one observation per sample (the watcher's
 * 1 Hz sample of the leg statistics) and a monotonic time and evaluates
 * the limits of mcu_readiness_limits[] over the last few seconds; unit
 * tests drive it with made-up counters. Above it, struct mcu_readiness
 * keeps one report per meeting: the watcher feeds it the rooms in
 * test-run state (mcu_readiness_sample()), it publishes a "readiness"
 * event when an endpoint's verdict changes, and when the window ends
 * (mcu_readiness_end()) it writes the final report to the logbook. The
 * API threads read the reports (mcu_readiness_json(), _csv()).
 *
 * Threads: sample/end from the control loop only; json/csv from any
 * thread (the reports are kept under a mutex).
 */
#ifndef MCU_READINESS_H
#define MCU_READINESS_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "conf/config.h"
#include "mcu/api.h"
#include "mcu/logbook.h"
#include "mcu/room.h"

/* ---- the limits (one table; docs/api.md quotes it) -------------------- */

enum mcu_readiness_reason {
	MCU_READINESS_NO_ANSWER = 0, /* not connected */
	MCU_READINESS_NO_VIDEO,      /* no video negotiated or received */
	MCU_READINESS_LOW_FPS,       /* decoded frame rate below the limit */
	MCU_READINESS_NO_AUDIO,      /* no audio, too few packets, or silent */
	MCU_READINESS_LOSS,          /* audio or video loss above the limit */
	MCU_READINESS_JITTER,        /* audio or video jitter above */
	MCU_READINESS_RTT,           /* round-trip time above (when known) */
	MCU_READINESS_REASONS
};

/* The checks, each a row of mcu_readiness_limits[]. */
enum mcu_readiness_check {
	MCU_READINESS_CHK_VIDEO_PPS = 0,
	MCU_READINESS_CHK_FPS,
	MCU_READINESS_CHK_AUDIO_PPS,
	MCU_READINESS_CHK_LEVEL,
	MCU_READINESS_CHK_LOSS,
	MCU_READINESS_CHK_JITTER,
	MCU_READINESS_CHK_RTT,
	MCU_READINESS_CHECKS
};

struct mcu_readiness_limit {
	enum mcu_readiness_reason reason; /* given when the check fails */
	const char *measure;              /* what is compared */
	bool at_least; /* true: fails below value; false: fails above */
	double value;
	const char *unit;
};

/* Indexed by enum mcu_readiness_check. An endpoint that is not connected
 * is not ready with no-answer; an unknown figure (RTT without RTCP
 * reports, the frame rate of a source nobody sees) fails no check. */
extern const struct mcu_readiness_limit
    mcu_readiness_limits[MCU_READINESS_CHECKS];

/* Figures are taken over this window; the level (loudest 20 ms block
 * seen at the samples) over the longer one, since people speak with
 * pauses. An endpoint is "checking" until it has been connected for a
 * whole window. */
#define MCU_READINESS_WINDOW_US        5000000
#define MCU_READINESS_LEVEL_WINDOW_US  10000000
#define MCU_READINESS_MIN_LOSS_PACKETS 20 /* fewer in the window: unknown */

/* "no-answer", "no-video", ... ("" if unknown). */
const char *mcu_readiness_reason_name(enum mcu_readiness_reason r);

/* ---- the judge (pure) ------------------------------------------------ */

/* One sample of one participant (counters are cumulative). */
struct mcu_readiness_obs {
	enum mcu_part_state state;
	bool has_video, has_audio; /* negotiated on its leg */
	bool decoding;             /* its video is decoded now (visible) */
	uint64_t vin_packets, vin_lost, frames_decoded;
	uint64_t ain_packets, ain_lost;
	double fps;        /* decoded frames per second, 0: none lately */
	int width, height; /* of the last decoded picture */
	double level_dbov; /* of the last 20 ms block */
	double vjitter_ms, ajitter_ms;
	double rtt_ms; /* < 0: unknown */
};

enum mcu_readiness_verdict {
	MCU_READINESS_CHECKING = 0, /* connected less than a window */
	MCU_READINESS_READY,
	MCU_READINESS_NOT_READY,
};

/* "checking", "ready", "not-ready". */
const char *mcu_readiness_verdict_name(enum mcu_readiness_verdict v);

/* What the judge measured; a figure < 0 is unknown. */
struct mcu_readiness_figures {
	bool connected;
	double video_fps;  /* decoded; < 0 when not decoded (not visible) */
	int width, height; /* 0: none */
	double video_pps, audio_pps;   /* packets per second received */
	double video_loss, audio_loss; /* fraction 0..1 */
	double video_jitter_ms, audio_jitter_ms;
	double level_dbov; /* loudest over the level window, dBov; */
#define MCU_READINESS_LEVEL_UNKNOWN (-1e9) /* ... this when unknown */
	double rtt_ms;
};

struct mcu_readiness_result {
	enum mcu_readiness_verdict verdict;
	unsigned reasons; /* bits 1u << enum mcu_readiness_reason */
	struct mcu_readiness_figures fig;
};

struct mcu_readiness_part;

int mcu_readiness_part_alloc(struct mcu_readiness_part **pp);
struct mcu_readiness_part *
mcu_readiness_part_free(struct mcu_readiness_part *p);

/*
 * Feed one observation at monotonic time now_us and evaluate: `out` is
 * overwritten with the verdict now. Samples may come at any pace.
 */
void mcu_readiness_part_step(struct mcu_readiness_part *p,
                             const struct mcu_readiness_obs *o, int64_t now_us,
                             struct mcu_readiness_result *out);

/*
 * The verdict for the final report: the last one given while the
 * endpoint was connected and judged (a technician who checked and hung
 * up is ready), else not-ready / no-answer. false when it never answered.
 */
bool mcu_readiness_part_final(const struct mcu_readiness_part *p,
                              struct mcu_readiness_result *out);

/* ---- the reports ------------------------------------------------------ */

struct mcu_readiness;

struct mcu_readiness_opts {
	/* "readiness" events, and the API's readiness route is served from
	 * here while this object lives (mcu_api_set_readiness()); may be
	 * NULL. */
	struct mcu_api *api;
	struct mcu_logbook *logbook; /* the final reports; may be NULL */
};

int mcu_readiness_alloc(struct mcu_readiness **rp,
                        const struct mcu_readiness_opts *o);
struct mcu_readiness *mcu_readiness_free(struct mcu_readiness *r);

/* One participant as the caller saw it (strings borrowed). */
struct mcu_readiness_input {
	const char *endpoint; /* roster id, required */
	const char *name;
	bool host;
	const char *tech_name, *tech_phone; /* NULL: unknown */
	struct mcu_readiness_obs obs;
};

/*
 * One sample of a meeting in its test-run window. `test_date` is the
 * day of the test run (YYYY-MM-DD, local), which keys the stored report;
 * a new date (a second test run) starts a new report.
 */
void mcu_readiness_feed(struct mcu_readiness *r, const char *meeting,
                        const char *test_date,
                        const struct mcu_readiness_input *in, size_t n,
                        int64_t now_mono_us, time_t now_wall);

/*
 * The same from a running room (the watcher's tick): reads every slot's
 * statistics and technician (from `conf`, may be NULL) and feeds them.
 */
void mcu_readiness_sample(struct mcu_readiness *r, struct mcu_room *room,
                          const struct mcu_conf *conf, size_t meeting,
                          int64_t now_mono_us, time_t now_wall);

/*
 * The test-run window of `meeting` is over (or its room stopped): the
 * final verdicts are fixed, published and written to the logbook. The
 * report stays readable. Nothing happens for a meeting without a running
 * report, so it may be called on every tick.
 */
void mcu_readiness_end(struct mcu_readiness *r, const char *meeting,
                       time_t now_wall);

/*
 * The report of `meeting` as JSON (docs/api.md), a new reference; NULL
 * when there is none (*status 404) or no memory (*status 500).
 */
json_t *mcu_readiness_json(struct mcu_readiness *r, const char *meeting,
                           int *status);

/*
 * The report as CSV, one row per endpoint, headings in Vietnamese or
 * English (`en`). *text is malloc()ed. 0, ENOENT (no report) or ENOMEM.
 */
int mcu_readiness_csv(struct mcu_readiness *r, const char *meeting, bool en,
                      char **text, size_t *len);

#endif
