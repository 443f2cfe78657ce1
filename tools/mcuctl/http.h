/*
 * http: the small HTTP/1.1 client mcuctl talks to mcud's operator API
 * with (one request per connection, "Connection: close"). It reads
 * Content-Length, chunked and until-close bodies, and follows a
 * server-sent-event stream event by event. Bounded everywhere: headers
 * 16 KiB, bodies MCUCTL_HTTP_MAX_BODY, one event 1 MiB; every wait has a
 * timeout, so a dead server cannot hang a script.
 *
 * Also compiled into tests/unit/test_api.c as the test's client.
 */
#ifndef MCUCTL_HTTP_H
#define MCUCTL_HTTP_H

#include <stdbool.h>
#include <stddef.h>

#define MCUCTL_HTTP_MAX_BODY (64u << 20)

struct mcuctl_http_resp {
	int status;
	char content_type[128];
	char *body; /* NUL-terminated, free() it */
	size_t len;
};

struct mcuctl_http_req {
	const char *host; /* numeric IPv4/IPv6 or a name */
	const char *port;
	const char *method;
	const char *path; /* with the query string */
	const char *token; /* NULL: no Authorization header */
	const char *body;  /* NULL: none */
	size_t body_len;
	const char *content_type; /* default application/json */
	int timeout_ms;           /* per wait; 0: 10000 */
};

/*
 * One request. Returns 0 and fills `resp` (any status), or an errno:
 * ECONNREFUSED, ETIMEDOUT, EPROTO (not HTTP), EFBIG (body too large).
 */
int mcuctl_http_request(const struct mcuctl_http_req *req,
                        struct mcuctl_http_resp *resp);
void mcuctl_http_resp_clear(struct mcuctl_http_resp *resp);

/*
 * Called per event: `event` ("message" when the stream names none),
 * `data` (lines joined with \n), `id` ("" when none). Return false to stop.
 */
typedef bool(mcuctl_http_event_h)(const char *event, const char *data,
                                  const char *id, void *arg);

/*
 * GET `req->path` as an event stream and call `fn` per event until the
 * server ends the stream (0), `fn` returns false (0), or an error. With
 * a status other than 200 the body is left in `resp` and 0 is returned:
 * check resp->status. `req->timeout_ms` bounds the silence between two
 * reads (keep-alives count); 0: none.
 */
int mcuctl_http_events(const struct mcuctl_http_req *req,
                       struct mcuctl_http_resp *resp,
                       mcuctl_http_event_h *fn, void *arg);

/* Split "host:port", "[v6]:port" or "host" (port 8080). 0 or EINVAL. */
int mcuctl_http_split_addr(const char *addr, char *host, size_t host_len,
                           char *port, size_t port_len);

#endif
