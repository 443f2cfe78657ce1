/*
 * metrics: the process's Prometheus registry. Counters, gauges and
 * histograms with fixed buckets, each a family (name, help, label names)
 * with one series per distinct set of label values; /metrics renders the
 * whole registry in the text exposition format 0.0.4.
 *
 * Updates are lock-free (atomics on each series) so any thread, including
 * a media tick, may count and observe; creating or removing a series and
 * rendering take the registry's mutex, so a hot path looks its series up
 * once (when a participant joins) and keeps the reference.
 *
 * Naming rules, checked at registration: names start with "mcu_", carry
 * their unit (_seconds, _bytes, _bits_per_second, _dbov), counters end in
 * "_total". The engine's metric names are below as constants, and
 * mcu_metrics_register_engine() registers them all with the right type,
 * help text and labels, so docs/api.md, the engine and dashboards agree.
 *
 * Who calls it: the daemon allocates one registry and hands it to the API
 * (which renders it and counts its own requests) and to the engine.
 */
#ifndef MCU_METRICS_H
#define MCU_METRICS_H

#include <stdbool.h>
#include <stddef.h>

/* ---- engine metric names (docs/api.md, "Metrics") ------------------- */

/* per participant; labels meeting, endpoint, media (audio|video) */
#define MCU_M_PARTICIPANT_PACKETS_RECEIVED "mcu_participant_packets_received_total"
#define MCU_M_PARTICIPANT_PACKETS_SENT     "mcu_participant_packets_sent_total"
#define MCU_M_PARTICIPANT_PACKETS_LOST     "mcu_participant_packets_lost_total"
#define MCU_M_PARTICIPANT_JITTER           "mcu_participant_jitter_seconds"
/* labels meeting, endpoint, reason (auth|replay): SRTP/SRTCP packets
   dropped because they failed authentication or the replay check */
#define MCU_M_PARTICIPANT_SRTP_REJECTED    "mcu_participant_srtp_rejected_packets_total"
/* labels meeting, endpoint, media, reason (source): RTP/RTCP packets
   dropped unread because they came from an address and port that
   signalling did not give (RTP Bleed class, docs/security.md) */
#define MCU_M_PARTICIPANT_REJECTED         "mcu_participant_rejected_packets_total"
/* labels meeting, endpoint */
#define MCU_M_PARTICIPANT_RTT              "mcu_participant_rtt_seconds"
#define MCU_M_PARTICIPANT_AUDIO_LEVEL      "mcu_participant_audio_level_dbov"
/* labels meeting, endpoint, direction (in|out) */
#define MCU_M_PARTICIPANT_FPS              "mcu_participant_frames_per_second"
/* labels meeting, endpoint, media, direction */
#define MCU_M_PARTICIPANT_BITRATE          "mcu_participant_bitrate_bytes_per_second"
/* per meeting; participants has labels meeting, state */
#define MCU_M_MEETING_PARTICIPANTS         "mcu_meeting_participants"
#define MCU_M_MEETING_ENCODERS             "mcu_meeting_encoders"
#define MCU_M_MEETING_DECODERS             "mcu_meeting_decoders"
/* per process, histograms; stage has label stage (decode|compose|encode|mix) */
#define MCU_M_TICK_LATENESS                "mcu_tick_lateness_seconds"
#define MCU_M_STAGE                        "mcu_stage_seconds"
/* histogram, label kind (video|audio): from the arrival of the newest input
   (a picture's last packet, an audio packet) in an output frame to that
   frame sent to every receiver (bench/latency) */
#define MCU_M_MEDIA_LATENCY                "mcu_media_latency_seconds"

/* Registered by the API itself. */
#define MCU_M_API_REQUESTS                 "mcu_api_requests_total"
#define MCU_M_API_EVENT_CLIENTS            "mcu_api_event_clients"
#define MCU_M_API_EVENTS_PUBLISHED         "mcu_api_events_published_total"
#define MCU_M_API_EVENT_CLIENTS_DROPPED    "mcu_api_event_clients_dropped_total"
/* Registered by the daemon: out-of-dialog SIP requests refused by the
   per-source rate limit; label class (allowed|unknown): whether the
   source lies in some endpoint's allow list */
#define MCU_M_SIP_REQUESTS_LIMITED         "mcu_sip_requests_limited_total"
#define MCU_M_BUILD_INFO                   "mcu_build_info"
#define MCU_M_START_TIME                   "mcu_process_start_time_seconds"

/* Bucket upper bounds (seconds) of the tick and stage histograms. */
#define MCU_METRICS_TICK_BUCKETS                                               \
	{0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.033, 0.05, 0.1, 0.25}
#define MCU_METRICS_TICK_NBUCKETS 10
#define MCU_METRICS_LATENCY_BUCKETS                                            \
	{0.002, 0.005, 0.01, 0.015, 0.02, 0.025, 0.03, 0.035, 0.04, 0.045,    \
	 0.05, 0.06, 0.075, 0.1, 0.15, 0.2, 0.3, 0.5, 1.0}
#define MCU_METRICS_LATENCY_NBUCKETS 19

#define MCU_METRICS_MAX_LABELS  8
#define MCU_METRICS_MAX_BUCKETS 32

enum mcu_metric_type {
	MCU_METRIC_COUNTER = 0,
	MCU_METRIC_GAUGE,
	MCU_METRIC_HISTOGRAM,
};

struct mcu_metrics;        /* the registry */
struct mcu_metric_family;  /* one name, type, help, label names */
struct mcu_metric;         /* one series: a family with label values */

/* 0 or ENOMEM. */
int mcu_metrics_alloc(struct mcu_metrics **mp);

/*
 * Free the registry with its families and series. Call it last: every
 * reference from mcu_metric_get() must have been put. Returns NULL.
 */
struct mcu_metrics *mcu_metrics_free(struct mcu_metrics *m);

/*
 * Register a family. `labels` is a NULL-terminated list of label names
 * (NULL: none; at most MCU_METRICS_MAX_LABELS). For a histogram `bounds`
 * holds n_bounds strictly increasing finite upper bounds (the +Inf bucket
 * is implicit); NULL/0 for the other types. A family without labels gets
 * its single series at once (exposed as 0).
 * The family belongs to the registry. Returns 0, EINVAL (bad name, label
 * or bounds, a counter not ending in _total, "le" as a histogram label),
 * EEXIST (name taken) or ENOMEM.
 */
int mcu_metrics_register(struct mcu_metrics *m, enum mcu_metric_type type,
                         const char *name, const char *help,
                         const char *const *labels, const double *bounds,
                         size_t n_bounds, struct mcu_metric_family **fp);

/* The family registered under `name`, or NULL. */
struct mcu_metric_family *mcu_metrics_find(struct mcu_metrics *m,
                                           const char *name);

/*
 * The series of `f` with these label values (one per label name, any
 * UTF-8; escaped on output), created if needed. Returns a new reference
 * (mcu_metric_put() it) or NULL on ENOMEM / a wrong number of values
 * (pass `n_values`, which must equal the number of label names).
 */
struct mcu_metric *mcu_metric_get(struct mcu_metric_family *f,
                                  const char *const *values, size_t n_values);

/* Drop a reference; returns NULL. */
struct mcu_metric *mcu_metric_put(struct mcu_metric *s);

/*
 * Take the series out of the exposition (a participant left). Holders may
 * keep updating it until they put their references; nothing shows.
 */
void mcu_metric_remove(struct mcu_metric *s);

/* Updates: any thread, lock-free. Wrong type or NULL: ignored. */
void mcu_metric_inc(struct mcu_metric *s);           /* counter/gauge +1 */
void mcu_metric_add(struct mcu_metric *s, double v); /* counter: v >= 0 */
void mcu_metric_set(struct mcu_metric *s, double v); /* gauge */
void mcu_metric_observe(struct mcu_metric *s, double v); /* histogram */

/* The current value of a counter or gauge (tests, the dashboard). */
double mcu_metric_value(const struct mcu_metric *s);

/*
 * A function run at the start of each render (any thread), e.g. to set
 * gauges from state that is cheaper to read than to track. Up to 8.
 * 0, ENOSPC.
 */
typedef void(mcu_metrics_collect_h)(void *arg);
int mcu_metrics_on_collect(struct mcu_metrics *m, mcu_metrics_collect_h *fn,
                           void *arg);

/*
 * Render everything in the Prometheus text format 0.0.4: families in
 * registration order, each with # HELP and # TYPE lines, series in
 * creation order. Sets *textp (NUL-terminated, free() it) and *lenp.
 * 0 or ENOMEM.
 */
int mcu_metrics_render(struct mcu_metrics *m, char **textp, size_t *lenp);

/* The engine's families, registered together (see the names above). */
struct mcu_metrics_engine {
	struct mcu_metric_family *packets_received, *packets_sent,
		*packets_lost, *jitter, *rtt, *audio_level, *fps, *bitrate,
		*srtp_rejected, *rejected;
	struct mcu_metric_family *meeting_participants, *meeting_encoders,
		*meeting_decoders;
	struct mcu_metric_family *tick_lateness, *stage, *media_latency;
};

/* 0, EEXIST (already registered), ENOMEM. */
int mcu_metrics_register_engine(struct mcu_metrics *m,
                                struct mcu_metrics_engine *e);

#endif
