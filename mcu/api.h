/*
 * api: the operator API of /work/shared/api.md and docs/api.md: HTTP/JSON
 * on libmicrohttpd, bearer-token auth on writes, server-sent events and
 * the Prometheus /metrics page.
 *
 * The server owns the protocol: routing, authentication, request-shape
 * validation (a body that is not the documented JSON never reaches the
 * backend), error bodies ({"error": "...", "detail": "..."}), events and
 * metrics. The data comes from a backend, a table of functions the daemon
 * supplies (struct mcu_api_backend): mcu/api_roster.h implements the part
 * that needs only the roster; the engine wraps it with live data.
 *
 * Threads: the server runs its own (one per connection, at most
 * MCU_API_MAX_CONNECTIONS); backend functions are called from them
 * concurrently and must be thread-safe. mcu_api_publish() may be called
 * from any thread and never blocks on a client.
 */
#ifndef MCU_API_H
#define MCU_API_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "mcu/metrics.h"

#define MCU_API_MAX_BODY        (64u * 1024)
#define MCU_API_MAX_CONNECTIONS 64
#define MCU_API_MAX_ID          128 /* longest meeting/endpoint id accepted */
#define MCU_API_EVENT_QUEUE     256 /* events queued per SSE client */
#define MCU_API_EVENT_BYTES     (256u * 1024)

struct mcu_api;

/* The POST actions, after validation. */
enum mcu_api_verb {
	MCU_API_START = 0, /* meeting */
	MCU_API_STOP,      /* meeting */
	MCU_API_EXTEND,    /* meeting, minutes */
	MCU_API_FLOOR,     /* meeting, floor, endpoint (NULL: grant next) */
	MCU_API_MUTE,      /* meeting, endpoint, audio, video */
	MCU_API_DIAL,      /* meeting, endpoint */
	MCU_API_HANGUP,    /* meeting, endpoint */
	MCU_API_LAYOUT,    /* meeting, role, layout */
	MCU_API_RECORD,    /* meeting, on */
	MCU_API_CONTENT,   /* meeting, file or stop */
	MCU_API_LINK,      /* meeting, endpoint: a browser join link */
	MCU_API_RELOAD,    /* nothing */
	MCU_API_CREATE,    /* body: an ad-hoc meeting (docs/api.md) */
	MCU_API_PIN,       /* meeting, endpoint, role (role_given), tile */
};

enum mcu_api_floor_action {
	MCU_API_FLOOR_REQUEST = 0,
	MCU_API_FLOOR_GRANT,
	MCU_API_FLOOR_REVOKE,
};

enum mcu_api_role {
	MCU_API_ROLE_HOST = 0,
	MCU_API_ROLE_BRANCHES,
};

/* Mute fields: unchanged, or the new state (true = muted). */
enum mcu_api_tristate {
	MCU_API_UNCHANGED = -1,
	MCU_API_OFF = 0,
	MCU_API_ON = 1,
};

/*
 * One validated action. Strings are borrowed for the duration of the
 * call. `body` is the parsed request body (NULL when empty), for fields
 * added after this version.
 */
struct mcu_api_action {
	enum mcu_api_verb verb;
	const char *meeting;  /* NULL for RELOAD */
	const char *endpoint; /* MUTE, DIAL, HANGUP, LINK; FLOOR (may be NULL) */
	unsigned minutes;     /* EXTEND: 1..1440 */
	enum mcu_api_floor_action floor;
	enum mcu_api_tristate audio, video; /* MUTE: at least one set */
	enum mcu_api_role role;             /* LAYOUT, PIN */
	bool role_given;                    /* PIN: role was in the body */
	const char *layout;                 /* LAYOUT: mcu_conf_layout_valid(),
	                                       or NULL with tour set */
	int tour;                           /* LAYOUT: +1 next page, -1 back */
	int tile;                           /* PIN: 1..25 as on screen, 0 unpins */
	bool on;                            /* RECORD */
	const char *file;                   /* CONTENT: the file to play, or */
	bool stop;                          /* CONTENT: stop playing */
	const json_t *body;
};

/* Bytes with a type (a JPEG still, a CSV export); data is malloc()ed. */
struct mcu_api_blob {
	uint8_t *data;
	size_t len;
	const char *content_type; /* static string */
};

/*
 * The data behind the routes. Every function is optional (NULL: the route
 * answers 503 "not available"). Read functions return a new JSON
 * reference, or NULL with *status set to the HTTP status (404 unknown id,
 * 503...). Functions returning int return an HTTP status (200, 201, 202,
 * 404, 409, 503...) and may write a human-readable reason into `detail`.
 */
struct mcu_api_backend {
	void *arg;
	/* Extra fields merged into GET /api/v1/health (may be NULL). */
	json_t *(*health)(void *arg);
	json_t *(*endpoints)(void *arg, int *status);
	json_t *(*meetings)(void *arg, int *status);
	json_t *(*meeting)(void *arg, const char *id, int *status);
	json_t *(*participants)(void *arg, const char *id, int *status);
	/* *result: optional object returned to the client. */
	int (*action)(void *arg, const struct mcu_api_action *act,
	              json_t **result, char *detail, size_t detail_len);
	/* role is "host" or "branches"; out->data is a JPEG image. */
	int (*view_jpeg)(void *arg, const char *meeting, const char *role,
	                 struct mcu_api_blob *out, char *detail,
	                 size_t detail_len);
	/* from/to are YYYY-MM-DD or NULL; format is "json" or "csv". */
	int (*logbook)(void *arg, const char *from, const char *to,
	               const char *format, struct mcu_api_blob *out,
	               char *detail, size_t detail_len);
};

struct mcu_api_opts {
	/* Where to listen (IPv4 or IPv6, port 0: any free port). */
	const struct sockaddr *listen;
	socklen_t listen_len;
	/* mcu.api.token_file; NULL: no token, the API is read-only. */
	const char *token_file;
	struct mcu_api_backend backend;
	/* Rendered at /metrics; the API registers its own families there.
	 * NULL: the server keeps a registry of its own. */
	struct mcu_metrics *metrics;
	/* SSE keep-alive comment interval; 0: 15000. */
	unsigned keepalive_ms;
};

/* "start", "floor", ... */
const char *mcu_api_verb_name(enum mcu_api_verb verb);

/*
 * Read the token file and start listening. Returns 0, EINVAL (bad
 * options; a token file that exists but is empty or unreadable, since
 * silently running read-only would surprise the operator), EADDRINUSE
 * or another errno. With no token file the API is read-only; when it
 * listens beyond loopback every request needs the token, so without one
 * it refuses everything (403).
 */
int mcu_api_alloc(struct mcu_api **apip, const struct mcu_api_opts *opts);

/* Close every connection (event streams end) and stop. Returns NULL. */
struct mcu_api *mcu_api_free(struct mcu_api *api);

/* The port listened on (useful with port 0). */
uint16_t mcu_api_port(const struct mcu_api *api);

/*
 * Re-read the token file (on reload). 0, or an errno: the old token then
 * stays in force. NULL path: no token from now on (read-only).
 */
int mcu_api_set_token_file(struct mcu_api *api, const char *path);

/*
 * Send an event to every /api/v1/events client: `type` is "join",
 * "leave", "floor", "incident", "state" (or any [a-z_-]{1,32}); `data` is
 * an object, reference stolen (NULL: {}). Any thread; never blocks on a
 * client: a client whose queue is full is disconnected. 0, EINVAL, ENOMEM.
 */
int mcu_api_publish(struct mcu_api *api, const char *type, json_t *data);

/*
 * The test-run readiness reports (mcu/readiness.h) behind
 * GET /api/v1/meetings/{id}/readiness[?format=csv&lang=en]: `json`
 * returns a new reference or NULL with *status (404: no report); `csv`
 * returns 0, ENOENT or ENOMEM with *text malloc()ed. Set once by their
 * owner; NULL detaches, waiting for requests using them to finish.
 */
struct mcu_api_readiness {
	void *arg;
	json_t *(*json)(void *arg, const char *meeting, int *status);
	int (*csv)(void *arg, const char *meeting, bool en, char **text,
	           size_t *len);
};
void mcu_api_set_readiness(struct mcu_api *api,
                           const struct mcu_api_readiness *r);

/*
 * The open incidents behind GET /api/v1/incidents: an array of objects
 * (docs/api.md), reference stolen; the owner (mcu/watch.h) replaces the
 * whole list whenever an incident is raised or cleared. NULL: none kept
 * (the route answers 503). Any thread.
 */
void mcu_api_set_incidents(struct mcu_api *api, json_t *list);

/*
 * Browser endpoints (mcu/webrtc.h): WHIP (RFC 9725), join links and the
 * join page. These routes carry their own bearer token (a join token,
 * not the operator's), so the API's token check does not apply to them.
 * Each function returns an HTTP status and may fill `detail`:
 *  - offer: POST /whip/{meeting} with an SDP offer: 201 with *answer
 *    (malloc()ed SDP) and `resource` (the Location's last segment);
 *  - end: DELETE /whip/{meeting}/{resource} with the same bearer token;
 *  - link: POST .../participants/{ep}/link (operator token): *result;
 *  - join_info: GET /join/{token}/info: what the page shows, or NULL
 *    with *status.
 * Set once by the owner; NULL detaches (waits for calls in flight).
 */
struct mcu_api_whip {
	void *arg;
	int (*offer)(void *arg, const char *meeting, const char *bearer,
	             const char *sdp, size_t len, char **answer,
	             char *resource, size_t resource_len, char *detail,
	             size_t detail_len);
	int (*end)(void *arg, const char *meeting, const char *resource,
	           const char *bearer, char *detail, size_t detail_len);
	int (*link)(void *arg, const char *meeting, const char *endpoint,
	            json_t **result, char *detail, size_t detail_len);
	json_t *(*join_info)(void *arg, const char *token, int *status);
};
void mcu_api_set_whip(struct mcu_api *api, const struct mcu_api_whip *w);

/* Event-stream clients connected now. */
size_t mcu_api_event_clients(struct mcu_api *api);

/* The registry rendered at /metrics. */
struct mcu_metrics *mcu_api_metrics(struct mcu_api *api);

#endif
