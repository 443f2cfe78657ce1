/*
 * api_live: the operator API's backend for a running daemon. It takes the
 * roster backend (mcu/api_roster.h) for everything the roster knows and
 * adds what only the engine knows: the live state of each participant
 * (call state, floor, codecs, packets, loss, jitter, RTT, frame rates,
 * bitrates, audio level), each meeting's floor, layouts, encoders and
 * decoders; it carries out the actions on the running rooms (floor,
 * mute, layout) and hands meeting control (start, stop, extend) to the
 * daemon. It also fills the engine's Prometheus metrics before each
 * scrape.
 *
 * Called on the API's threads; rooms are held through
 * mcu_engine_acquire() only for the length of one call.
 */
#ifndef MCU_API_LIVE_H
#define MCU_API_LIVE_H

#include "mcu/api.h"
#include "mcu/api_roster.h"
#include "mcu/engine.h"
#include "mcu/metrics.h"

struct mcu_api_live;

struct mcu_api_live_opts {
	struct mcu_api_roster *roster;
	struct mcu_engine *engine;
	struct mcu_metrics *metrics; /* NULL: no engine metrics */
	/* START, STOP, EXTEND: carried out by the control loop. Returns an
	 * HTTP status and fills detail. */
	int (*meeting_ctl)(void *arg, const struct mcu_api_action *a,
	                   char *detail, size_t detail_len);
	/* DIAL (dial true) and HANGUP of one endpoint, carried out by the
	 * SIP side; returns an HTTP status and fills detail. NULL: 501. */
	int (*call_ctl)(void *arg, const char *meeting, const char *endpoint,
	                bool dial, char *detail, size_t detail_len);
	/* CREATE: an ad-hoc meeting from the request body; returns an HTTP
	 * status (201) and sets *result. NULL: 501. */
	int (*create)(void *arg, const json_t *body, json_t **result,
	              char *detail, size_t detail_len);
	/* Dial-out state of a participant ("" when it is not dialled out),
	 * shown as its "dial" object; NULL: none. */
	const char *(*dial_state)(void *arg, const char *meeting,
	                          const char *endpoint, unsigned *attempts,
	                          int *last_status);
	/* A recording file was started (POST record): link it in the
	   logbook; NULL: not linked. */
	void (*recorded)(void *arg, const char *meeting, const char *path);
	/* The logbook export (GET /api/v1/logbook), or NULL. */
	int (*logbook)(void *arg, const char *from, const char *to,
	               const char *format, struct mcu_api_blob *out,
	               char *detail, size_t detail_len);
	void *arg;
};

int mcu_api_live_alloc(struct mcu_api_live **lp,
                       const struct mcu_api_live_opts *opts);
struct mcu_api_live *mcu_api_live_free(struct mcu_api_live *l);

struct mcu_api_backend mcu_api_live_backend(struct mcu_api_live *l);

/* The JSON of one participant as api.md shows it (new reference). */
json_t *mcu_api_live_participant(const struct mcu_room_part *p,
                                 bool static_leg);

#endif
