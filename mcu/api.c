/*
 * How the server is built, and why.
 *
 * libmicrohttpd runs one thread per connection (at most
 * MCU_API_MAX_CONNECTIONS). An operator API has a handful of clients, and
 * a thread per connection lets an event stream simply wait on a condition
 * variable for its next event or its keep-alive deadline, instead of the
 * suspend/resume dance a polling server needs; a normal request is served
 * and closed in milliseconds.
 *
 * A request goes through the same steps in order, each of which can end
 * it with a JSON error: route (404 unknown path, 405 known path with
 * another method), authentication (401/403, decided before any body is
 * read), body (413 over MCU_API_MAX_BODY, 400 not a JSON object), shape of
 * the body per action (400), then the backend (404 unknown id, 409 wrong
 * state, ...). The backend therefore only sees validated arguments.
 *
 * Events: each stream has a bounded queue of shared, reference-counted
 * frames. mcu_api_publish() formats an event once and appends a reference
 * to every queue under one mutex; a client whose queue is full is marked
 * dropped and its stream ends, so a slow or stuck client costs the
 * publisher nothing but the check.
 */
#define MCU_LOG_MODULE "api"
#include "mcu/api.h"
#include "conf/config.h"
#include "layout/catalog.h"
#include "mcu/csv.h"
#include "mcu/dashboard.h"
#include "conf/utf8.h"
#include "conf/log.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define MAX_EVENT_CLIENTS 32
#define MAX_PATH_LEN 1024
#define MAX_TOKEN_LEN 1024
#define MAX_FILE_PATH 4096
#define MAX_CAPTURES 2
#define DETAIL_LEN 256

/* ---- event hub ------------------------------------------------------ */

struct frame {
	atomic_uint refs;
	size_t len;
	char data[];
};

struct sse_client {
	struct mcu_api *api;
	struct sse_client *next;             /* hub.lock */
	struct frame *q[MCU_API_EVENT_QUEUE]; /* hub.lock: ring */
	size_t head, count, bytes;           /* hub.lock */
	bool dropped;                        /* hub.lock */
	/* the stream's own thread only */
	struct frame *cur;
	size_t off;
	bool greeted;
	struct timespec keepalive_at;
};

struct hub {
	pthread_mutex_t lock;
	pthread_cond_t cond; /* CLOCK_MONOTONIC */
	struct sse_client *clients; /* lock */
	size_t n_clients;           /* lock */
	bool stopping;              /* lock */
	unsigned long long next_id; /* lock */
};

struct mcu_api {
	struct MHD_Daemon *mhd;
	struct mcu_api_backend be;
	uint16_t port;
	bool listen_loopback;
	struct timespec started;
	unsigned keepalive_ms;

	pthread_mutex_t token_lock;
	char *token; /* token_lock; NULL: none configured */
	size_t token_len;

	struct hub hub;

	/* Held while a readiness function runs, so detaching waits. */
	pthread_mutex_t ready_lock;
	struct mcu_api_readiness ready; /* ready_lock */
	json_t *incidents; /* ready_lock: open incidents (mcu/watch.h), or NULL */
	pthread_rwlock_t whip_lock;
	struct mcu_api_whip whip; /* whip_lock */

	struct mcu_metrics *metrics;
	bool own_metrics;
	struct mcu_metric_family *m_requests;
	struct mcu_metric *m_clients, *m_published, *m_dropped;
	struct mcu_metric *m_build, *m_start;
};

enum route_kind {
	R_HEALTH,
	R_ENDPOINTS,
	R_CONTACTS,
	R_MEETINGS,
	R_MEETING,
	R_PARTICIPANTS,
	R_ACTION,
	R_VIEW,
	R_EVENTS,
	R_LOGBOOK,
	R_READINESS,
	R_INCIDENTS,
	R_METRICS,
	R_DASHBOARD, /* the operator's page: static files, no auth */
	R_WHIP,      /* browsers (mcu/webrtc.h): their own bearer token */
	R_WHIP_END,
	R_JOIN,
	R_JOIN_INFO,
};

struct route {
	const char *method;
	const char *pattern;
	enum route_kind kind;
	enum mcu_api_verb verb;
};

static const struct route routes[] = {
	{"GET", "/api/v1/health", R_HEALTH, 0},
	{"GET", "/api/v1/endpoints", R_ENDPOINTS, 0},
	{"GET", "/api/v1/contacts", R_CONTACTS, 0},
	{"GET", "/api/v1/meetings", R_MEETINGS, 0},
	{"GET", "/api/v1/meetings/{id}", R_MEETING, 0},
	{"GET", "/api/v1/meetings/{id}/participants", R_PARTICIPANTS, 0},
	{"POST", "/api/v1/meetings/{id}/start", R_ACTION, MCU_API_START},
	{"POST", "/api/v1/meetings/{id}/stop", R_ACTION, MCU_API_STOP},
	{"POST", "/api/v1/meetings/{id}/extend", R_ACTION, MCU_API_EXTEND},
	{"POST", "/api/v1/meetings/{id}/floor", R_ACTION, MCU_API_FLOOR},
	{"POST", "/api/v1/meetings/{id}/layout", R_ACTION, MCU_API_LAYOUT},
	{"POST", "/api/v1/meetings/{id}/record", R_ACTION, MCU_API_RECORD},
	{"POST", "/api/v1/meetings/{id}/content", R_ACTION, MCU_API_CONTENT},
	{"POST", "/api/v1/meetings/{id}/participants/{ep}/mute", R_ACTION,
	 MCU_API_MUTE},
	{"POST", "/api/v1/meetings/{id}/participants/{ep}/dial", R_ACTION,
	 MCU_API_DIAL},
	{"POST", "/api/v1/meetings/{id}/participants/{ep}/hangup", R_ACTION,
	 MCU_API_HANGUP},
	{"POST", "/api/v1/meetings/{id}/participants/{ep}/link", R_ACTION,
	 MCU_API_LINK},
	{"POST", "/api/v1/meetings/{id}/participants/{ep}/pin", R_ACTION,
	 MCU_API_PIN},
	{"GET", "/api/v1/meetings/{id}/views/{role}.jpg", R_VIEW, 0},
	{"GET", "/api/v1/meetings/{id}/readiness", R_READINESS, 0},
	{"GET", "/api/v1/incidents", R_INCIDENTS, 0},
	{"GET", "/api/v1/events", R_EVENTS, 0},
	{"GET", "/api/v1/logbook", R_LOGBOOK, 0},
	{"GET", "/metrics", R_METRICS, 0},
	{"POST", "/api/v1/reload", R_ACTION, MCU_API_RELOAD},
	{"POST", "/api/v1/meetings", R_ACTION, MCU_API_CREATE},
	{"GET", "/", R_DASHBOARD, 0},
	{"GET", "/index.html", R_DASHBOARD, 0},
	{"GET", "/dashboard.js", R_DASHBOARD, 0},
	{"GET", "/dashboard.css", R_DASHBOARD, 0},
	{"GET", "/favicon.svg", R_DASHBOARD, 0},
	{"GET", "/favicon.ico", R_DASHBOARD, 0},
	{"GET", "/join.js", R_DASHBOARD, 0},
	{"GET", "/join.css", R_DASHBOARD, 0},
	{"POST", "/whip/{id}", R_WHIP, 0},
	{"DELETE", "/whip/{id}/{res}", R_WHIP_END, 0},
	{"GET", "/join/{token}", R_JOIN, 0},
	{"GET", "/join/{token}/info", R_JOIN_INFO, 0},
};

/* One request in flight (MHD's *con_cls). */
struct req {
	const struct route *route;
	char cap[MAX_CAPTURES][MCU_API_MAX_ID + 1];
	size_t n_cap;
	bool is_head;
	bool answered;
	char *body;
	size_t len, cap_bytes;
	bool too_large;
};

const char *mcu_api_verb_name(enum mcu_api_verb verb)
{
	static const char *const names[] = {
		"start", "stop",   "extend",  "floor", "mute", "dial",
		"hangup", "layout", "record", "content", "link", "reload",
		"create", "pin",
	};
	if ((size_t)verb < sizeof(names) / sizeof(names[0]))
		return names[verb];
	return "unknown";
}

static void now_mono(struct timespec *ts)
{
	clock_gettime(CLOCK_MONOTONIC, ts);
}

static bool ts_before(const struct timespec *a, const struct timespec *b)
{
	return a->tv_sec < b->tv_sec ||
	       (a->tv_sec == b->tv_sec && a->tv_nsec < b->tv_nsec);
}

static void ts_add_ms(struct timespec *ts, unsigned ms)
{
	ts->tv_sec += ms / 1000;
	ts->tv_nsec += (long)(ms % 1000) * 1000000L;
	if (ts->tv_nsec >= 1000000000L) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000L;
	}
}

/* ---- token ------------------------------------------------------------ */

/*
 * Equal in time that depends only on the length of what the client sent:
 * every byte of `got` is compared with some byte of `want`.
 */
static bool token_equal(const char *want, size_t wn, const char *got,
                        size_t gn)
{
	volatile unsigned char diff = (unsigned char)(wn != gn);
	if (wn == 0)
		return false;
	for (size_t i = 0; i < gn; i++)
		diff |= (unsigned char)(got[i] ^ want[i % wn]);
	return diff == 0;
}

static int read_token_file(const char *path, char **tokp, size_t *lenp)
{
	char buf[MAX_TOKEN_LEN + 2];
	struct stat st;
	ssize_t n;
	size_t b = 0, e;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);

	if (fd < 0) {
		int err = errno;
		mcu_log_error("token file %s: %s", path, strerror(err));
		return err;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		mcu_log_error("token file %s: not a regular file", path);
		return EINVAL;
	}
	if (st.st_mode & 077)
		mcu_log_warn("token file %s is readable by group/others "
		             "(chmod 600)", path);
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n < 0)
		return errno;
	if ((size_t)n > MAX_TOKEN_LEN) {
		mcu_log_error("token file %s: longer than %d bytes", path,
		              MAX_TOKEN_LEN);
		return EINVAL;
	}
	e = (size_t)n;
	while (b < e && isspace((unsigned char)buf[b]))
		b++;
	while (e > b && isspace((unsigned char)buf[e - 1]))
		e--;
	for (size_t i = b; i < e; i++) {
		unsigned char c = (unsigned char)buf[i];
		if (c <= 0x20 || c == 0x7f) {
			mcu_log_error("token file %s: the token must be one "
			              "word of printable characters", path);
			return EINVAL;
		}
	}
	if (e - b < 16) {
		mcu_log_error("token file %s: %s (at least 16 characters)",
		              path, e == b ? "empty" : "token too short");
		return EINVAL;
	}
	*tokp = strndup(buf + b, e - b);
	if (!*tokp)
		return ENOMEM;
	*lenp = e - b;
	return 0;
}

int mcu_api_set_token_file(struct mcu_api *api, const char *path)
{
	char *tok = NULL, *old;
	size_t len = 0;
	int err;

	if (!api)
		return EINVAL;
	if (path) {
		err = read_token_file(path, &tok, &len);
		if (err)
			return err;
	}
	pthread_mutex_lock(&api->token_lock);
	old = api->token;
	api->token = tok;
	api->token_len = len;
	pthread_mutex_unlock(&api->token_lock);
	if (old) {
		explicit_bzero(old, strlen(old));
		free(old);
	}
	return 0;
}

static bool addr_loopback(const struct sockaddr *sa)
{
	if (!sa)
		return false;
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const void *)sa;
		return (ntohl(in->sin_addr.s_addr) >> 24) == 127;
	}
	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const void *)sa;
		if (IN6_IS_ADDR_LOOPBACK(&in6->sin6_addr))
			return true;
		return IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr) &&
		       in6->sin6_addr.s6_addr[12] == 127;
	}
	return false;
}

/* ---- replies ---------------------------------------------------------- */

static const char *error_code(int status)
{
	switch (status) {
	case 400: return "bad_request";
	case 401: return "unauthorized";
	case 403: return "forbidden";
	case 404: return "not_found";
	case 405: return "method_not_allowed";
	case 406: return "not_acceptable";
	case 409: return "conflict";
	case 413: return "payload_too_large";
	case 415: return "unsupported_media_type";
	case 422: return "unprocessable";
	case 500: return "internal";
	case 501: return "not_implemented";
	case 503: return "unavailable";
	default: return "error";
	}
}

static void count_request(struct mcu_api *api, const char *method,
                          int status)
{
	char code[8];
	const char *v[2];
	struct mcu_metric *s;

	snprintf(code, sizeof(code), "%d", status);
	v[0] = method;
	v[1] = code;
	s = mcu_metric_get(api->m_requests, v, 2);
	mcu_metric_inc(s);
	mcu_metric_put(s);
}

static enum MHD_Result queue(struct mcu_api *api, struct MHD_Connection *c,
                             struct req *r, int status,
                             struct MHD_Response *resp)
{
	enum MHD_Result ret;
	const char *method = r->route ? r->route->method : "other";
	if (!resp)
		return MHD_NO;
	MHD_add_response_header(resp, "Cache-Control", "no-store");
	MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
	ret = MHD_queue_response(c, (unsigned)status, resp);
	MHD_destroy_response(resp);
	r->answered = true;
	count_request(api, method, status);
	return ret;
}

/* Send `len` bytes of malloc()ed `data` (ownership moves in). */
static enum MHD_Result send_bytes(struct mcu_api *api,
                                  struct MHD_Connection *c, struct req *r,
                                  int status, char *data, size_t len,
                                  const char *ctype)
{
	struct MHD_Response *resp = MHD_create_response_from_buffer(
		len, data, MHD_RESPMEM_MUST_FREE);
	if (!resp) {
		free(data);
		return MHD_NO;
	}
	MHD_add_response_header(resp, "Content-Type", ctype);
	return queue(api, c, r, status, resp);
}

/* Send `j` (reference stolen) as a JSON document. */
static enum MHD_Result send_json(struct mcu_api *api,
                                 struct MHD_Connection *c, struct req *r,
                                 int status, json_t *j)
{
	char *text = j ? json_dumps(j, JSON_COMPACT)
	               : NULL;
	size_t len;
	json_decref(j);
	if (!text)
		return MHD_NO;
	len = strlen(text);
	/* one more byte for a newline: nicer for curl users */
	char *t2 = realloc(text, len + 2);
	if (!t2) {
		free(text);
		return MHD_NO;
	}
	t2[len++] = '\n';
	t2[len] = '\0';
	return send_bytes(api, c, r, status, t2, len,
	                  "application/json; charset=utf-8");
}

static enum MHD_Result send_error(struct mcu_api *api,
                                  struct MHD_Connection *c, struct req *r,
                                  int status, const char *detail,
                                  const char *allow)
{
	/* A detail may quote the request (jansson's "near '...'" of a
	   malformed body): JSON strings must be valid UTF-8, and a detail
	   that is not would fail json_pack, so the client got no answer at
	   all, just a closed connection. */
	char *fixed = detail && !mcu_utf8_valid(detail)
	                  ? mcu_utf8_repair(detail)
	                  : NULL;
	json_t *j = json_pack("{s:s,s:s}", "error", error_code(status),
	                      "detail",
	                      fixed ? fixed : detail ? detail : "");
	char *text;
	struct MHD_Response *resp;

	free(fixed);
	if (!j)
		return MHD_NO;
	text = json_dumps(j, JSON_COMPACT);
	json_decref(j);
	if (!text)
		return MHD_NO;
	resp = MHD_create_response_from_buffer(strlen(text), text,
	                                       MHD_RESPMEM_MUST_FREE);
	if (!resp) {
		free(text);
		return MHD_NO;
	}
	MHD_add_response_header(resp, "Content-Type",
	                        "application/json; charset=utf-8");
	if (status == 401)
		MHD_add_response_header(resp, "WWW-Authenticate",
		                        "Bearer realm=\"mcud\"");
	if (allow)
		MHD_add_response_header(resp, "Allow", allow);
	if (status == 413)
		MHD_add_response_header(resp, "Connection", "close");
	return queue(api, c, r, status, resp);
}

/* ---- routing ---------------------------------------------------------- */

static bool id_ok(const char *s, size_t n)
{
	if (n == 0 || n > MCU_API_MAX_ID)
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)s[i];
		if (!isalnum(ch) && ch != '-' && ch != '_' && ch != '.' &&
		    ch != '+' && ch != '@' && ch != ':')
			return false;
	}
	return true;
}

/*
 * Match `path` against `pattern`; segments "{x}" capture a whole segment,
 * "{x}.jpg" the part before a literal suffix. Captures are not checked
 * here (bad_capture tells the caller one was malformed).
 */
static bool match(const char *pattern, const char *path, struct req *r,
                  bool *bad_capture)
{
	const char *p = pattern, *u = path;
	size_t n_cap = 0;

	*bad_capture = false;
	while (*p && *u) {
		const char *pe, *ue;
		size_t pn, un;
		if (*p != '/' || *u != '/')
			return false;
		p++;
		u++;
		pe = strchr(p, '/');
		ue = strchr(u, '/');
		pn = pe ? (size_t)(pe - p) : strlen(p);
		un = ue ? (size_t)(ue - u) : strlen(u);
		if (pn && p[0] == '{') {
			const char *close = memchr(p, '}', pn);
			size_t suffix = close ? pn - (size_t)(close + 1 - p) : 0;
			size_t vn;
			if (!close || n_cap >= MAX_CAPTURES || un < suffix ||
			    memcmp(u + un - suffix, close + 1, suffix) != 0)
				return false;
			vn = un - suffix;
			if (!id_ok(u, vn))
				*bad_capture = true;
			else {
				memcpy(r->cap[n_cap], u, vn);
				r->cap[n_cap][vn] = '\0';
			}
			n_cap++;
		} else if (pn != un || memcmp(p, u, pn) != 0) {
			return false;
		}
		p += pn;
		u += un;
	}
	if (*p || *u)
		return false;
	r->n_cap = n_cap;
	return true;
}

/* 0 and r->route set, or 404/405 (allow set for 405). */
static int route(struct req *r, const char *method, const char *url,
                 const char **allow, bool *bad_capture)
{
	bool path_known = false, any_bad = false;
	const char *m = !strcmp(method, "HEAD") ? "GET" : method;

	*allow = NULL;
	if (strlen(url) > MAX_PATH_LEN)
		return 404;
	for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
		bool bad;
		if (!match(routes[i].pattern, url, r, &bad))
			continue;
		path_known = true;
		*allow = routes[i].method;
		if (strcmp(routes[i].method, m) != 0)
			continue;
		if (bad) {
			any_bad = true;
			continue;
		}
		r->route = &routes[i];
		r->is_head = !strcmp(method, "HEAD");
		return 0;
	}
	*bad_capture = any_bad;
	if (any_bad)
		return 404;
	return path_known ? 405 : 404;
}

/* ---- request bodies --------------------------------------------------- */

static bool content_type_json(struct MHD_Connection *c)
{
	const char *ct = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
	                                             "Content-Type");
	size_t n = strlen("application/json");
	if (!ct)
		return true; /* a bare body: judged by its content */
	while (*ct == ' ')
		ct++;
	return !strncasecmp(ct, "application/json", n) &&
	       (ct[n] == '\0' || ct[n] == ';' || ct[n] == ' ');
}

/* Parse the body: NULL when empty (*status 0), or 400 with detail. */
static json_t *parse_body(struct MHD_Connection *c, struct req *r,
                          int *status, char *detail, size_t dlen)
{
	json_error_t jerr;
	json_t *j;

	*status = 0;
	if (r->len == 0)
		return NULL;
	if (!content_type_json(c)) {
		*status = 400;
		snprintf(detail, dlen, "Content-Type must be application/json");
		return NULL;
	}
	j = json_loadb(r->body, r->len, JSON_REJECT_DUPLICATES, &jerr);
	if (!j) {
		*status = 400;
		snprintf(detail, dlen, "malformed JSON at line %d column %d: %s",
		         jerr.line, jerr.column, jerr.text);
		return NULL;
	}
	if (!json_is_object(j)) {
		json_decref(j);
		*status = 400;
		snprintf(detail, dlen, "the body must be a JSON object");
		return NULL;
	}
	return j;
}

static int want_bool(const json_t *body, const char *key, bool required,
                     enum mcu_api_tristate *out, char *detail, size_t dlen)
{
	json_t *v = body ? json_object_get(body, key) : NULL;
	*out = MCU_API_UNCHANGED;
	if (!v) {
		if (required) {
			snprintf(detail, dlen, "\"%s\" (true or false) is "
			         "required", key);
			return 400;
		}
		return 0;
	}
	if (!json_is_boolean(v)) {
		snprintf(detail, dlen, "\"%s\" must be true or false", key);
		return 400;
	}
	*out = json_is_true(v) ? MCU_API_ON : MCU_API_OFF;
	return 0;
}

static int want_string(const json_t *body, const char *key, bool required,
                       const char **out, char *detail, size_t dlen)
{
	json_t *v = body ? json_object_get(body, key) : NULL;
	*out = NULL;
	if (!v) {
		if (required) {
			snprintf(detail, dlen, "\"%s\" is required", key);
			return 400;
		}
		return 0;
	}
	if (!json_is_string(v) || json_string_length(v) == 0) {
		snprintf(detail, dlen, "\"%s\" must be a non-empty string",
		         key);
		return 400;
	}
	*out = json_string_value(v);
	return 0;
}

/* "role": "host" | "branches" into a->role / a->role_given. */
static int want_role(const json_t *body, bool required,
                     struct mcu_api_action *a, char *detail, size_t dlen)
{
	const char *s = NULL;
	int st = want_string(body, "role", required, &s, detail, dlen);
	if (st || !s)
		return st;
	if (!strcmp(s, "host"))
		a->role = MCU_API_ROLE_HOST;
	else if (!strcmp(s, "branches"))
		a->role = MCU_API_ROLE_BRANCHES;
	else {
		snprintf(detail, dlen, "\"role\" must be host or branches");
		return 400;
	}
	a->role_given = true;
	return 0;
}

/* Check the body of `a->verb` and fill `a`. 0 or 400 with detail. */
static int validate_action(struct mcu_api_action *a, const json_t *body,
                           char *detail, size_t dlen)
{
	const char *s = NULL;
	enum mcu_api_tristate t;
	json_t *v;
	int st = 0;

	switch (a->verb) {
	case MCU_API_EXTEND:
		v = body ? json_object_get(body, "minutes") : NULL;
		if (!v || !json_is_integer(v) || json_integer_value(v) < 1 ||
		    json_integer_value(v) > 1440) {
			snprintf(detail, dlen, "\"minutes\" must be an integer "
			         "from 1 to 1440");
			return 400;
		}
		a->minutes = (unsigned)json_integer_value(v);
		return 0;
	case MCU_API_FLOOR:
		st = want_string(body, "action", true, &s, detail, dlen);
		if (st)
			return st;
		if (!strcmp(s, "request"))
			a->floor = MCU_API_FLOOR_REQUEST;
		else if (!strcmp(s, "grant"))
			a->floor = MCU_API_FLOOR_GRANT;
		else if (!strcmp(s, "revoke"))
			a->floor = MCU_API_FLOOR_REVOKE;
		else {
			snprintf(detail, dlen, "\"action\" must be request, "
			         "grant or revoke");
			return 400;
		}
		st = want_string(body, "endpoint",
		                 a->floor == MCU_API_FLOOR_REQUEST,
		                 &a->endpoint, detail, dlen);
		if (st)
			return st;
		if (a->endpoint && !id_ok(a->endpoint, strlen(a->endpoint))) {
			snprintf(detail, dlen, "\"endpoint\" is not an "
			         "endpoint id");
			return 400;
		}
		return 0;
	case MCU_API_MUTE:
		st = want_bool(body, "audio", false, &a->audio, detail, dlen);
		if (!st)
			st = want_bool(body, "video", false, &a->video, detail,
			               dlen);
		if (!st && a->audio == MCU_API_UNCHANGED &&
		    a->video == MCU_API_UNCHANGED) {
			snprintf(detail, dlen, "give \"audio\" and/or "
			         "\"video\" (true mutes, false unmutes)");
			st = 400;
		}
		return st;
	case MCU_API_LAYOUT:
		st = want_role(body, true, a, detail, dlen);
		if (st)
			return st;
		st = want_string(body, "tour", false, &s, detail, dlen);
		if (st)
			return st;
		if (s) {
			a->tour = !strcmp(s, "next") ? 1
			          : !strcmp(s, "prev") ? -1 : 0;
			if (!a->tour || json_object_get(body, "layout")) {
				snprintf(detail, dlen, "give either \"layout\" "
				         "or \"tour\": \"next\" | \"prev\"");
				return 400;
			}
			return 0;
		}
		st = want_string(body, "layout", true, &a->layout, detail,
		                 dlen);
		if (st)
			return st;
		if (!mcu_conf_layout_valid(a->layout)) {
			snprintf(detail, dlen, "unknown layout \"%.64s\"",
			         a->layout);
			return 400;
		}
		return 0;
	case MCU_API_PIN:
		st = want_role(body, false, a, detail, dlen);
		if (st)
			return st;
		v = body ? json_object_get(body, "tile") : NULL;
		if (!v || !json_is_integer(v) || json_integer_value(v) < 0 ||
		    json_integer_value(v) > MCU_LAYOUT_MAX_TILES) {
			snprintf(detail, dlen, "\"tile\" must be an integer "
			         "from 1 to %d (0 unpins)", MCU_LAYOUT_MAX_TILES);
			return 400;
		}
		a->tile = (int)json_integer_value(v);
		if (a->tile && !a->role_given)
			a->role = MCU_API_ROLE_HOST;
		return 0;
	case MCU_API_RECORD:
		st = want_bool(body, "on", true, &t, detail, dlen);
		a->on = t == MCU_API_ON;
		return st;
	case MCU_API_CONTENT:
		st = want_string(body, "file", false, &a->file, detail, dlen);
		if (st)
			return st;
		v = body ? json_object_get(body, "stop") : NULL;
		if (v && !json_is_true(v)) {
			snprintf(detail, dlen, "\"stop\" can only be true");
			return 400;
		}
		a->stop = v != NULL;
		if (a->stop == (a->file != NULL)) {
			snprintf(detail, dlen, "give either {\"file\": PATH} "
			         "or {\"stop\": true}");
			return 400;
		}
		if (a->file && strlen(a->file) > MAX_FILE_PATH) {
			snprintf(detail, dlen, "\"file\" is too long");
			return 400;
		}
		return 0;
	case MCU_API_CREATE:
		if (!json_is_object(body)) {
			snprintf(detail, dlen, "give the meeting as an object: "
			         "{\"host\": ID, \"branches\": [ID...], "
			         "\"minutes\": N}");
			return 400;
		}
		return 0;
	default:
		return 0; /* no body needed; one given is ignored */
	}
}

/* ---- handlers ----------------------------------------------------------- */

static enum MHD_Result send_backend_json(struct mcu_api *api,
                                         struct MHD_Connection *c,
                                         struct req *r, json_t *j,
                                         int status, const char *what)
{
	char detail[DETAIL_LEN];
	if (j)
		return send_json(api, c, r, 200, j);
	if (status < 400 || status > 599)
		status = 500;
	if (status == 404)
		snprintf(detail, sizeof(detail), "no %s \"%s\"", what,
		         r->n_cap ? r->cap[0] : "");
	else
		snprintf(detail, sizeof(detail), "%s not available", what);
	return send_error(api, c, r, status, detail, NULL);
}

static enum MHD_Result h_health(struct mcu_api *api, struct MHD_Connection *c,
                                struct req *r)
{
	struct timespec now;
	json_t *j, *extra;

	now_mono(&now);
	j = json_pack("{s:s,s:s,s:I}", "status", "ok", "version", MCU_VERSION,
	              "uptime_s",
	              (json_int_t)(now.tv_sec - api->started.tv_sec));
	if (!j)
		return MHD_NO;
	if (api->be.health) {
		extra = api->be.health(api->be.arg);
		if (json_is_object(extra))
			json_object_update(j, extra);
		json_decref(extra);
	}
	return send_json(api, c, r, 200, j);
}

static const char *jstr(const json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

/* The contacts register (Phụ lục II) from the endpoints directory. */
static enum MHD_Result h_contacts(struct mcu_api *api,
                                  struct MHD_Connection *c, struct req *r)
{
	static const char *const roles[] = {"leader", "technician", "support"};
	const char *fmt = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND,
	                                              "format");
	int status = 503;
	json_t *eps, *ep, *out;
	size_t i, len = 0;
	char *text = NULL;
	FILE *f;

	if (!fmt)
		fmt = "json";
	if (strcmp(fmt, "json") && strcmp(fmt, "csv"))
		return send_error(api, c, r, 400, "format must be json or csv",
		                  NULL);
	eps = api->be.endpoints ? api->be.endpoints(api->be.arg, &status)
	                        : NULL;
	if (!json_is_array(eps)) {
		json_decref(eps);
		return send_backend_json(api, c, r, NULL, status, "directory");
	}
	if (!strcmp(fmt, "json")) {
		out = json_array();
		json_array_foreach(eps, i, ep) {
			json_t *row = json_pack(
				"{s:O?,s:O?,s:O?}", "endpoint",
				json_object_get(ep, "id"), "name",
				json_object_get(ep, "name"), "tier",
				json_object_get(ep, "tier"));
			json_t *ct = json_object_get(ep, "contacts");
			if (row && json_is_object(ct))
				json_object_update(row, ct);
			json_array_append_new(out, row);
		}
		json_decref(eps);
		return send_json(api, c, r, 200, out);
	}
	f = open_memstream(&text, &len);
	if (!f) {
		json_decref(eps);
		return MHD_NO;
	}
	fputs("endpoint,name,tier,role,contact,title,email,phone\r\n", f);
	json_array_foreach(eps, i, ep) {
		json_t *ct = json_object_get(ep, "contacts");
		for (size_t k = 0; k < 3; k++) {
			json_t *p = json_object_get(ct, roles[k]);
			if (!json_is_object(p))
				continue;
			mcu_csv_field(f, jstr(ep, "id"));
			fputc(',', f);
			mcu_csv_field(f, jstr(ep, "name"));
			fputc(',', f);
			mcu_csv_field(f, jstr(ep, "tier"));
			fprintf(f, ",%s,", roles[k]);
			mcu_csv_field(f, jstr(p, "name"));
			fputc(',', f);
			mcu_csv_field(f, jstr(p, "title"));
			fputc(',', f);
			mcu_csv_field(f, jstr(p, "email"));
			fputc(',', f);
			mcu_csv_field(f, jstr(p, "phone"));
			fputs("\r\n", f);
		}
	}
	json_decref(eps);
	if (fclose(f) != 0) {
		free(text);
		return MHD_NO;
	}
	return send_bytes(api, c, r, 200, text, len, "text/csv; charset=utf-8");
}

static enum MHD_Result h_action(struct mcu_api *api, struct MHD_Connection *c,
                                struct req *r)
{
	struct mcu_api_action a = {0};
	char detail[DETAIL_LEN] = "";
	json_t *body, *result = NULL;
	int status;

	body = parse_body(c, r, &status, detail, sizeof(detail));
	if (status)
		return send_error(api, c, r, status, detail, NULL);
	a.verb = r->route->verb;
	a.audio = a.video = MCU_API_UNCHANGED;
	a.meeting = r->n_cap > 0 ? r->cap[0] : NULL;
	a.endpoint = r->n_cap > 1 ? r->cap[1] : NULL;
	a.body = body;
	status = validate_action(&a, body, detail, sizeof(detail));
	if (status) {
		json_decref(body);
		return send_error(api, c, r, status, detail, NULL);
	}
	if (!api->be.action) {
		json_decref(body);
		return send_error(api, c, r, 503, "actions are not available",
		                  NULL);
	}
	pthread_rwlock_rdlock(&api->whip_lock);
	if (a.verb == MCU_API_LINK && api->whip.link)
		status = api->whip.link(api->whip.arg, a.meeting, a.endpoint,
		                        &result, detail, sizeof(detail));
	else
		status = -1;
	pthread_rwlock_unlock(&api->whip_lock);
	if (status < 0)
		status = api->be.action(api->be.arg, &a, &result, detail,
		                        sizeof(detail));
	detail[sizeof(detail) - 1] = '\0';
	/* a.endpoint, a.layout, a.file point into body: log first */
	if (status >= 200 && status < 300)
		mcu_log_info("%s%s%s%s%s: %d", mcu_api_verb_name(a.verb),
		             a.meeting ? " " : "", a.meeting ? a.meeting : "",
		             a.endpoint ? " " : "", a.endpoint ? a.endpoint : "",
		             status);
	json_decref(body);
	if (status >= 200 && status < 300) {
		if (!json_is_object(result)) {
			json_decref(result);
			result = json_pack("{s:b}", "ok", 1);
		}
		return send_json(api, c, r, status, result);
	}
	json_decref(result);
	if (status < 400 || status > 599)
		status = 500;
	if (!detail[0])
		snprintf(detail, sizeof(detail), "%s refused",
		         mcu_api_verb_name(a.verb));
	return send_error(api, c, r, status, detail, NULL);
}

static enum MHD_Result send_blob(struct mcu_api *api,
                                 struct MHD_Connection *c, struct req *r,
                                 int status, struct mcu_api_blob *b,
                                 const char *detail, const char *what)
{
	if (status >= 200 && status < 300 && b->data && b->content_type)
		return send_bytes(api, c, r, status, (char *)b->data, b->len,
		                  b->content_type);
	free(b->data);
	if (status < 400 || status > 599)
		status = 500;
	if (!detail || !detail[0])
		return send_backend_json(api, c, r, NULL, status, what);
	return send_error(api, c, r, status, detail, NULL);
}

static enum MHD_Result h_view(struct mcu_api *api, struct MHD_Connection *c,
                              struct req *r)
{
	struct mcu_api_blob b = {0};
	char detail[DETAIL_LEN] = "";
	int status;

	if (strcmp(r->cap[1], "host") && strcmp(r->cap[1], "branches"))
		return send_error(api, c, r, 404, "views are host.jpg and "
		                  "branches.jpg", NULL);
	if (!api->be.view_jpeg)
		return send_error(api, c, r, 503, "views are not available",
		                  NULL);
	status = api->be.view_jpeg(api->be.arg, r->cap[0], r->cap[1], &b,
	                           detail, sizeof(detail));
	detail[sizeof(detail) - 1] = '\0';
	return send_blob(api, c, r, status, &b, detail, "meeting");
}

static bool date_ok(const char *s)
{
	static const char shape[] = "dddd-dd-dd";
	if (strlen(s) != sizeof(shape) - 1)
		return false;
	for (size_t i = 0; shape[i]; i++) {
		if (shape[i] == 'd' ? !isdigit((unsigned char)s[i])
		                    : s[i] != '-')
			return false;
	}
	return true;
}

static enum MHD_Result h_logbook(struct mcu_api *api, struct MHD_Connection *c,
                                 struct req *r)
{
	const char *from = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND,
	                                               "from");
	const char *to = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND,
	                                             "to");
	const char *fmt = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND,
	                                              "format");
	struct mcu_api_blob b = {0};
	char detail[DETAIL_LEN] = "";
	int status;

	if ((from && !date_ok(from)) || (to && !date_ok(to)))
		return send_error(api, c, r, 400, "from and to are dates "
		                  "YYYY-MM-DD", NULL);
	if (!fmt)
		fmt = "json";
	if (strcmp(fmt, "json") && strcmp(fmt, "csv"))
		return send_error(api, c, r, 400, "format must be json or csv",
		                  NULL);
	if (!api->be.logbook)
		return send_error(api, c, r, 503, "the logbook is not "
		                  "available", NULL);
	status = api->be.logbook(api->be.arg, from, to, fmt, &b, detail,
	                         sizeof(detail));
	detail[sizeof(detail) - 1] = '\0';
	return send_blob(api, c, r, status, &b, detail, "logbook");
}

/* The test-run readiness report (mcu/readiness.h): JSON or CSV. */
static enum MHD_Result h_readiness(struct mcu_api *api,
                                   struct MHD_Connection *c, struct req *r)
{
	const char *fmt = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND,
	                                              "format");
	const char *lang = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND,
	                                               "lang");
	int status = 503, err = ENOSYS;
	json_t *j = NULL;
	char *text = NULL;
	size_t len = 0;
	bool csv;

	if (!fmt)
		fmt = "json";
	if (strcmp(fmt, "json") && strcmp(fmt, "csv"))
		return send_error(api, c, r, 400, "format must be json or csv",
		                  NULL);
	if (lang && strcmp(lang, "vi") && strcmp(lang, "en"))
		return send_error(api, c, r, 400, "lang must be vi or en", NULL);
	csv = !strcmp(fmt, "csv");
	pthread_mutex_lock(&api->ready_lock);
	if (!csv && api->ready.json)
		j = api->ready.json(api->ready.arg, r->cap[0], &status);
	else if (csv && api->ready.csv)
		err = api->ready.csv(api->ready.arg, r->cap[0],
		                     lang && !strcmp(lang, "en"), &text, &len);
	pthread_mutex_unlock(&api->ready_lock);
	if (!csv)
		return send_backend_json(api, c, r, j, status,
		                         "readiness report");
	if (err == ENOSYS)
		return send_error(api, c, r, 503, "readiness reports are not "
		                  "available", NULL);
	if (err == ENOENT)
		return send_error(api, c, r, 404, "no readiness report for "
		                  "this meeting (no test run yet)", NULL);
	if (err || !text) {
		free(text);
		return send_error(api, c, r, 500, "no memory", NULL);
	}
	return send_bytes(api, c, r, 200, text, len, "text/csv; charset=utf-8");
}

void mcu_api_set_readiness(struct mcu_api *api,
                           const struct mcu_api_readiness *rd)
{
	if (!api)
		return;
	pthread_mutex_lock(&api->ready_lock);
	if (rd)
		api->ready = *rd;
	else
		memset(&api->ready, 0, sizeof(api->ready));
	pthread_mutex_unlock(&api->ready_lock);
}

void mcu_api_set_incidents(struct mcu_api *api, json_t *list)
{
	json_t *old;
	if (!api) {
		json_decref(list);
		return;
	}
	if (list && !json_is_array(list)) {
		json_decref(list);
		list = NULL;
	}
	pthread_mutex_lock(&api->ready_lock);
	old = api->incidents;
	api->incidents = list;
	pthread_mutex_unlock(&api->ready_lock);
	json_decref(old);
}

static enum MHD_Result h_incidents(struct mcu_api *api,
                                   struct MHD_Connection *c, struct req *r)
{
	json_t *j = NULL;
	bool kept;
	pthread_mutex_lock(&api->ready_lock);
	kept = api->incidents != NULL;
	if (kept) /* a copy: the list is not shared across threads */
		j = json_deep_copy(api->incidents);
	pthread_mutex_unlock(&api->ready_lock);
	if (!j)
		return kept ? send_error(api, c, r, 500, "no memory", NULL)
		            : send_error(api, c, r, 503,
		                         "incidents are not available", NULL);
	return send_json(api, c, r, 200, j);
}

static enum MHD_Result h_metrics(struct mcu_api *api, struct MHD_Connection *c,
                                 struct req *r)
{
	char *text = NULL;
	size_t len = 0;
	if (mcu_metrics_render(api->metrics, &text, &len) != 0)
		return send_error(api, c, r, 500, "out of memory", NULL);
	return send_bytes(api, c, r, 200, text, len,
	                  "text/plain; version=0.0.4; charset=utf-8");
}

/* ---- events ------------------------------------------------------------- */

static struct frame *frame_put(struct frame *f)
{
	if (f && atomic_fetch_sub(&f->refs, 1) == 1)
		free(f);
	return NULL;
}

/* hub lock held */
static void client_clear_queue(struct sse_client *cl)
{
	while (cl->count) {
		frame_put(cl->q[cl->head]);
		cl->q[cl->head] = NULL;
		cl->head = (cl->head + 1) % MCU_API_EVENT_QUEUE;
		cl->count--;
	}
	cl->bytes = 0;
}

static ssize_t copy_out(char *buf, size_t max, const char *s, size_t n)
{
	if (n > max)
		n = max;
	memcpy(buf, s, n);
	return (ssize_t)n;
}

static ssize_t sse_read(void *cls, uint64_t pos, char *buf, size_t max)
{
	static const char hello[] = "retry: 3000\n: connected\n\n";
	static const char ka[] = ": keepalive\n\n";
	struct sse_client *cl = cls;
	struct mcu_api *api = cl->api;
	struct hub *h = &api->hub;
	struct timespec now;
	ssize_t n;

	(void)pos;
	if (max == 0)
		return 0;
	if (!cl->greeted) {
		cl->greeted = true;
		now_mono(&cl->keepalive_at);
		ts_add_ms(&cl->keepalive_at, api->keepalive_ms);
		return copy_out(buf, max, hello, sizeof(hello) - 1);
	}
	if (cl->cur) {
		n = copy_out(buf, max, cl->cur->data + cl->off,
		             cl->cur->len - cl->off);
		cl->off += (size_t)n;
		if (cl->off == cl->cur->len)
			cl->cur = frame_put(cl->cur);
		return n;
	}
	pthread_mutex_lock(&h->lock);
	for (;;) {
		if (cl->dropped) {
			pthread_mutex_unlock(&h->lock);
			return MHD_CONTENT_READER_END_WITH_ERROR;
		}
		if (h->stopping) {
			pthread_mutex_unlock(&h->lock);
			return MHD_CONTENT_READER_END_OF_STREAM;
		}
		if (cl->count) {
			cl->cur = cl->q[cl->head];
			cl->q[cl->head] = NULL;
			cl->head = (cl->head + 1) % MCU_API_EVENT_QUEUE;
			cl->count--;
			cl->bytes -= cl->cur->len;
			cl->off = 0;
			pthread_mutex_unlock(&h->lock);
			return sse_read(cls, pos, buf, max);
		}
		now_mono(&now);
		if (!ts_before(&now, &cl->keepalive_at)) {
			pthread_mutex_unlock(&h->lock);
			cl->keepalive_at = now;
			ts_add_ms(&cl->keepalive_at, api->keepalive_ms);
			return copy_out(buf, max, ka, sizeof(ka) - 1);
		}
		pthread_cond_timedwait(&h->cond, &h->lock, &cl->keepalive_at);
	}
}

static void sse_free(void *cls)
{
	struct sse_client *cl = cls, **pp;
	struct mcu_api *api = cl->api;
	struct hub *h = &api->hub;

	pthread_mutex_lock(&h->lock);
	for (pp = &h->clients; *pp; pp = &(*pp)->next) {
		if (*pp == cl) {
			*pp = cl->next;
			h->n_clients--;
			break;
		}
	}
	client_clear_queue(cl);
	mcu_metric_set(api->m_clients, (double)h->n_clients);
	pthread_mutex_unlock(&h->lock);
	frame_put(cl->cur);
	free(cl);
}

static enum MHD_Result h_events(struct mcu_api *api, struct MHD_Connection *c,
                                struct req *r)
{
	struct hub *h = &api->hub;
	struct sse_client *cl = calloc(1, sizeof(*cl));
	struct MHD_Response *resp;

	if (!cl)
		return MHD_NO;
	cl->api = api;
	pthread_mutex_lock(&h->lock);
	if (h->stopping || h->n_clients >= MAX_EVENT_CLIENTS) {
		bool stopping = h->stopping;
		pthread_mutex_unlock(&h->lock);
		free(cl);
		return send_error(api, c, r, 503,
		                  stopping ? "shutting down"
		                           : "too many event streams",
		                  NULL);
	}
	cl->next = h->clients;
	h->clients = cl;
	h->n_clients++;
	mcu_metric_set(api->m_clients, (double)h->n_clients);
	pthread_mutex_unlock(&h->lock);

	/* From here sse_free() owns cl, also when creation fails. */
	resp = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 4096,
	                                         sse_read, cl, sse_free);
	if (!resp) {
		sse_free(cl);
		return MHD_NO;
	}
	MHD_add_response_header(resp, "Content-Type",
	                        "text/event-stream; charset=utf-8");
	MHD_add_response_header(resp, "X-Accel-Buffering", "no");
	return queue(api, c, r, 200, resp);
}

static bool event_type_ok(const char *t)
{
	size_t n = t ? strlen(t) : 0;
	if (n == 0 || n > 32)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (!(t[i] >= 'a' && t[i] <= 'z') && t[i] != '_' &&
		    t[i] != '-')
			return false;
	}
	return true;
}

int mcu_api_publish(struct mcu_api *api, const char *type, json_t *data)
{
	struct hub *h;
	struct frame *f;
	char *text, stamp[32];
	struct tm tm;
	time_t now = time(NULL);
	size_t cap;

	if (!api || !event_type_ok(type) || (data && !json_is_object(data))) {
		json_decref(data);
		return EINVAL;
	}
	if (!data)
		data = json_object();
	if (!data)
		return ENOMEM;
	if (!json_object_get(data, "time")) {
		gmtime_r(&now, &tm);
		strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%SZ", &tm);
		json_object_set_new(data, "time", json_string(stamp));
	}
	/* compact JSON escapes control characters: one line */
	text = json_dumps(data, JSON_COMPACT);
	json_decref(data);
	if (!text)
		return ENOMEM;
	h = &api->hub;
	cap = strlen(text) + strlen(type) + 64;
	f = malloc(sizeof(*f) + cap);
	if (!f) {
		free(text);
		return ENOMEM;
	}
	atomic_init(&f->refs, 1);

	pthread_mutex_lock(&h->lock);
	f->len = (size_t)snprintf(f->data, cap, "id: %llu\nevent: %s\ndata: %s\n\n",
	                          ++h->next_id, type, text);
	for (struct sse_client *cl = h->clients; cl; cl = cl->next) {
		if (cl->dropped)
			continue;
		if (cl->count == MCU_API_EVENT_QUEUE ||
		    cl->bytes + f->len > MCU_API_EVENT_BYTES) {
			cl->dropped = true;
			client_clear_queue(cl);
			mcu_metric_inc(api->m_dropped);
			mcu_log_ratelimited(MCU_LOG_WARN, 10000,
			                    "event stream too slow: dropped");
			continue;
		}
		atomic_fetch_add(&f->refs, 1);
		cl->q[(cl->head + cl->count) % MCU_API_EVENT_QUEUE] = f;
		cl->count++;
		cl->bytes += f->len;
	}
	pthread_cond_broadcast(&h->cond);
	pthread_mutex_unlock(&h->lock);
	mcu_metric_inc(api->m_published);
	frame_put(f);
	free(text);
	return 0;
}

size_t mcu_api_event_clients(struct mcu_api *api)
{
	size_t n;
	if (!api)
		return 0;
	pthread_mutex_lock(&api->hub.lock);
	n = api->hub.n_clients;
	pthread_mutex_unlock(&api->hub.lock);
	return n;
}

/* ---- libmicrohttpd glue ------------------------------------------------ */

/* 0 when the request may proceed, else 401/403 with detail. */
static int check_auth(struct mcu_api *api, struct MHD_Connection *c,
                      bool write, const char **detail)
{
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(
		c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	bool local = ci && addr_loopback(ci->client_addr);
	const char *hdr;
	size_t n;
	bool ok;

	if (!write && local && api->listen_loopback)
		return 0;
	hdr = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Authorization");
	pthread_mutex_lock(&api->token_lock);
	if (!api->token) {
		pthread_mutex_unlock(&api->token_lock);
		*detail = write ? "read-only: no token configured"
		                : "a token is required beyond loopback and "
		                  "none is configured";
		return 403;
	}
	if (!hdr || strncasecmp(hdr, "Bearer ", 7) != 0) {
		pthread_mutex_unlock(&api->token_lock);
		*detail = "Authorization: Bearer <token> required";
		return 401;
	}
	hdr += 7;
	while (*hdr == ' ')
		hdr++;
	n = strnlen(hdr, MAX_TOKEN_LEN + 1);
	ok = n <= MAX_TOKEN_LEN &&
	     token_equal(api->token, api->token_len, hdr, n);
	pthread_mutex_unlock(&api->token_lock);
	if (!ok) {
		*detail = "wrong token";
		return 403;
	}
	return 0;
}

/*
 * The dashboard's files (mcu/dashboard.h). They hold no data (the page
 * asks the API, with the token where needed), so they are served without
 * authentication even beyond loopback: a browser cannot send a bearer
 * token when it opens a page.
 */
static enum MHD_Result h_dashboard(struct mcu_api *api,
                                   struct MHD_Connection *c, struct req *r,
                                   const char *url)
{
	struct MHD_Response *resp;
	const char *ctype = NULL;
	char *data = NULL;
	size_t len = 0;
	int err = mcu_dashboard_file(url, &data, &len, &ctype);

	if (err == ENOENT)
		return send_error(api, c, r, 404, "the dashboard is not "
		                  "installed (set MCU_DASHBOARD_DIR)", NULL);
	if (err)
		return send_error(api, c, r, 500, "cannot read the dashboard",
		                  NULL);
	resp = MHD_create_response_from_buffer(len, data,
	                                       MHD_RESPMEM_MUST_FREE);
	if (!resp) {
		free(data);
		return MHD_NO;
	}
	MHD_add_response_header(resp, "Content-Type", ctype);
	/* everything from this origin; images from fetch() blobs */
	MHD_add_response_header(resp, "Content-Security-Policy",
	                        "default-src 'self'; img-src 'self' blob:; "
	                        "frame-ancestors 'none'");
	MHD_add_response_header(resp, "X-Frame-Options", "DENY");
	return queue(api, c, r, 200, resp);
}

/* ---- browsers: WHIP, join page (mcu/webrtc.h) ------------------------ */

void mcu_api_set_whip(struct mcu_api *api, const struct mcu_api_whip *w)
{
	if (!api)
		return;
	pthread_rwlock_wrlock(&api->whip_lock);
	if (w)
		api->whip = *w;
	else
		memset(&api->whip, 0, sizeof(api->whip));
	pthread_rwlock_unlock(&api->whip_lock);
}

static const char *bearer_of(struct MHD_Connection *c)
{
	const char *h = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
	                                            "Authorization");
	if (!h || strncasecmp(h, "Bearer ", 7) != 0)
		return NULL;
	h += 7;
	while (*h == ' ')
		h++;
	return strnlen(h, MAX_TOKEN_LEN + 1) <= MAX_TOKEN_LEN ? h : NULL;
}

static enum MHD_Result h_whip(struct mcu_api *api, struct MHD_Connection *c,
                              struct req *r)
{
	char detail[DETAIL_LEN] = "", res[64] = "", loc[2 * MCU_API_MAX_ID + 16];
	const char *ct = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
	                                             "Content-Type");
	const char *bearer = bearer_of(c);
	char *answer = NULL;
	int status = 503;

	if (r->route->kind == R_WHIP &&
	    (!ct || strncasecmp(ct, "application/sdp", 15) != 0))
		return send_error(api, c, r, 415, "Content-Type must be "
		                  "application/sdp", NULL);
	pthread_rwlock_rdlock(&api->whip_lock);
	if (r->route->kind == R_WHIP && api->whip.offer)
		status = api->whip.offer(api->whip.arg, r->cap[0], bearer,
		                         r->body ? r->body : "", r->len,
		                         &answer, res, sizeof(res), detail,
		                         sizeof(detail));
	else if (r->route->kind == R_WHIP_END && api->whip.end)
		status = api->whip.end(api->whip.arg, r->cap[0], r->cap[1],
		                       bearer, detail, sizeof(detail));
	pthread_rwlock_unlock(&api->whip_lock);
	detail[sizeof(detail) - 1] = '\0';
	if (status == 201 && answer) {
		struct MHD_Response *resp = MHD_create_response_from_buffer(
			strlen(answer), answer, MHD_RESPMEM_MUST_FREE);
		if (!resp) {
			free(answer);
			return MHD_NO;
		}
		snprintf(loc, sizeof(loc), "/whip/%s/%s", r->cap[0], res);
		MHD_add_response_header(resp, "Content-Type", "application/sdp");
		MHD_add_response_header(resp, "Location", loc);
		return queue(api, c, r, 201, resp);
	}
	free(answer);
	if (status >= 200 && status < 300)
		return send_json(api, c, r, 200, json_pack("{s:b}", "ok", 1));
	if (status < 400 || status > 599)
		status = 500;
	return send_error(api, c, r, status,
	                  detail[0] ? detail : "WebRTC is not available", NULL);
}

static enum MHD_Result h_join(struct mcu_api *api, struct MHD_Connection *c,
                              struct req *r)
{
	int status = 503;
	json_t *j = NULL;
	if (r->route->kind == R_JOIN)
		return h_dashboard(api, c, r, "/join");
	pthread_rwlock_rdlock(&api->whip_lock);
	if (api->whip.join_info)
		j = api->whip.join_info(api->whip.arg, r->cap[0], &status);
	pthread_rwlock_unlock(&api->whip_lock);
	if (j)
		return send_json(api, c, r, 200, j);
	/* The token is not echoed back. */
	return send_error(api, c, r, status == 404 ? 404 : 503,
	                  status == 404 ? "unknown, used or expired join link"
	                                : "WebRTC is not available",
	                  NULL);
}

static enum MHD_Result dispatch(struct mcu_api *api, struct MHD_Connection *c,
                                struct req *r)
{
	int status = 503;
	json_t *j;

	switch (r->route->kind) {
	case R_HEALTH:
		return h_health(api, c, r);
	case R_ENDPOINTS:
		j = api->be.endpoints ? api->be.endpoints(api->be.arg, &status)
		                      : NULL;
		return send_backend_json(api, c, r, j, status, "directory");
	case R_CONTACTS:
		return h_contacts(api, c, r);
	case R_MEETINGS:
		j = api->be.meetings ? api->be.meetings(api->be.arg, &status)
		                     : NULL;
		return send_backend_json(api, c, r, j, status, "meetings");
	case R_MEETING:
		j = api->be.meeting ? api->be.meeting(api->be.arg, r->cap[0],
		                                      &status)
		                    : NULL;
		return send_backend_json(api, c, r, j, status, "meeting");
	case R_PARTICIPANTS:
		j = api->be.participants
		            ? api->be.participants(api->be.arg, r->cap[0],
		                                   &status)
		            : NULL;
		return send_backend_json(api, c, r, j, status, "meeting");
	case R_ACTION:
		return h_action(api, c, r);
	case R_VIEW:
		return h_view(api, c, r);
	case R_EVENTS:
		return h_events(api, c, r);
	case R_LOGBOOK:
		return h_logbook(api, c, r);
	case R_READINESS:
		return h_readiness(api, c, r);
	case R_INCIDENTS:
		return h_incidents(api, c, r);
	case R_METRICS:
		return h_metrics(api, c, r);
	case R_DASHBOARD:
		return h_dashboard(api, c, r, r->route->pattern);
	case R_WHIP:
	case R_WHIP_END:
		return h_whip(api, c, r);
	case R_JOIN:
	case R_JOIN_INFO:
		return h_join(api, c, r);
	}
	return send_error(api, c, r, 500, "unknown route", NULL);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c,
                                  const char *url, const char *method,
                                  const char *version,
                                  const char *upload_data,
                                  size_t *upload_size, void **con_cls)
{
	struct mcu_api *api = cls;
	struct req *r = *con_cls;
	const char *allow = NULL, *detail = NULL;
	bool bad_capture = false;
	int status;

	(void)version;
	if (!r) {
		const char *cl;
		r = calloc(1, sizeof(*r));
		if (!r)
			return MHD_NO;
		*con_cls = r;
		status = route(r, method, url, &allow, &bad_capture);
		if (status == 405)
			return send_error(api, c, r, 405, "method not allowed",
			                  allow);
		if (status)
			return send_error(api, c, r, 404,
			                  bad_capture ? "unknown id"
			                              : "no such path",
			                  NULL);
		status = r->route->kind == R_DASHBOARD ||
		                 r->route->kind >= R_WHIP
		                 ? 0
		                 : check_auth(api, c,
		                              strcmp(r->route->method, "POST") == 0,
		                              &detail);
		if (status)
			return send_error(api, c, r, status, detail, NULL);
		if (strcmp(r->route->method, "POST") != 0)
			return dispatch(api, c, r);
		cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
		                                 "Content-Length");
		if (cl) {
			char *end;
			unsigned long long v;
			errno = 0;
			v = strtoull(cl, &end, 10);
			if (errno || end == cl || v > MCU_API_MAX_BODY)
				return send_error(api, c, r, 413,
				                  "body larger than 64 KiB",
				                  NULL);
		}
		return MHD_YES;
	}
	if (r->answered) {
		*upload_size = 0;
		return MHD_YES;
	}
	if (*upload_size) {
		size_t n = *upload_size;
		*upload_size = 0;
		if (r->too_large || r->len + n > MCU_API_MAX_BODY) {
			r->too_large = true;
			return MHD_YES;
		}
		if (r->len + n + 1 > r->cap_bytes) {
			size_t cap = r->cap_bytes ? r->cap_bytes : 1024;
			char *p;
			while (cap < r->len + n + 1)
				cap *= 2;
			p = realloc(r->body, cap);
			if (!p)
				return MHD_NO;
			r->body = p;
			r->cap_bytes = cap;
		}
		memcpy(r->body + r->len, upload_data, n);
		r->len += n;
		r->body[r->len] = '\0';
		return MHD_YES;
	}
	if (r->too_large)
		return send_error(api, c, r, 413, "body larger than 64 KiB",
		                  NULL);
	return dispatch(api, c, r);
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
	struct req *r = *con_cls;
	(void)cls;
	(void)c;
	(void)toe;
	if (!r)
		return;
	free(r->body);
	free(r);
	*con_cls = NULL;
}

/* libmicrohttpd's own messages, without their trailing newline. */
__attribute__((format(printf, 2, 0))) static void
mhd_log(void *cls, const char *fmt, va_list ap)
{
	char line[512];
	size_t n;
	(void)cls;
	vsnprintf(line, sizeof(line), fmt, ap);
	n = strlen(line);
	while (n && (line[n - 1] == '\n' || line[n - 1] == '\r'))
		line[--n] = '\0';
	mcu_log_info("httpd: %s", line);
}

/* ---- life ------------------------------------------------------------- */

/* Register a family, or reuse it (an API restarted on the same registry). */
static int family(struct mcu_api *api, enum mcu_metric_type type,
                  const char *name, const char *help,
                  const char *const *labels, struct mcu_metric_family **fp)
{
	int err = mcu_metrics_register(api->metrics, type, name, help, labels,
	                               NULL, 0, fp);
	if (err == EEXIST) {
		*fp = mcu_metrics_find(api->metrics, name);
		err = *fp ? 0 : EEXIST;
	}
	return err;
}

static int register_metrics(struct mcu_api *api)
{
	static const char *const req_labels[] = {"method", "code", NULL};
	static const char *const build_labels[] = {"version", NULL};
	static const char *const version[] = {MCU_VERSION};
	struct mcu_metric_family *f;
	struct timespec rt;
	int err;

	err = family(api, MCU_METRIC_COUNTER, MCU_M_API_REQUESTS,
	             "HTTP requests answered by the operator API, by method "
	             "and status code.",
	             req_labels, &api->m_requests);
	if (err)
		return err;
#define SIMPLE(type, name, help, out)                                          \
	do {                                                                   \
		err = family(api, type, name, help, NULL, &f);                 \
		if (err)                                                       \
			return err;                                            \
		out = mcu_metric_get(f, NULL, 0);                              \
		if (!out)                                                      \
			return ENOMEM;                                         \
	} while (0)
	SIMPLE(MCU_METRIC_GAUGE, MCU_M_API_EVENT_CLIENTS,
	       "Clients following /api/v1/events now.", api->m_clients);
	SIMPLE(MCU_METRIC_COUNTER, MCU_M_API_EVENTS_PUBLISHED,
	       "Events published to /api/v1/events.", api->m_published);
	SIMPLE(MCU_METRIC_COUNTER, MCU_M_API_EVENT_CLIENTS_DROPPED,
	       "Event-stream clients disconnected for reading too slowly.",
	       api->m_dropped);
	SIMPLE(MCU_METRIC_GAUGE, MCU_M_START_TIME,
	       "Start time of the process, seconds since the epoch.",
	       api->m_start);
#undef SIMPLE
	err = family(api, MCU_METRIC_GAUGE, MCU_M_BUILD_INFO,
	             "Always 1; the version is a label.", build_labels, &f);
	if (err)
		return err;
	api->m_build = mcu_metric_get(f, version, 1);
	if (!api->m_build)
		return ENOMEM;
	mcu_metric_set(api->m_build, 1);
	clock_gettime(CLOCK_REALTIME, &rt);
	mcu_metric_set(api->m_start, (double)rt.tv_sec);
	return 0;
}

/*
 * MHD's own unescaping turns "%00" into a NUL that ends the path early,
 * so "/api/v1/meetings%00/anything" would reach the create route. This
 * one decodes every other escape and keeps "%00" as it came: no route
 * matches it and no id or query value holds a NUL.
 */
static size_t unescape_keep_nul(void *cls, struct MHD_Connection *c, char *s)
{
	char *o = s;
	(void)cls;
	(void)c;
	for (const char *i = s; *i; i++) {
		char hex[3] = {i[0] ? i[1] : 0, i[1] ? i[2] : 0, 0};
		unsigned long v;
		if (*i == '%' && isxdigit((unsigned char)hex[0]) &&
		    isxdigit((unsigned char)hex[1]) &&
		    (v = strtoul(hex, NULL, 16)) != 0) {
			*o++ = (char)v;
			i += 2;
		} else {
			*o++ = *i;
		}
	}
	*o = '\0';
	return (size_t)(o - s);
}

static int start_mhd(struct mcu_api *api, const struct mcu_api_opts *opts)
{
	unsigned flags = MHD_USE_THREAD_PER_CONNECTION |
	                 MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG;
	const union MHD_DaemonInfo *di;
	/* zeroed: the analyzer cannot see getsockname() fill it */
	struct sockaddr_storage ss = {0};
	socklen_t sl = sizeof(ss);

	if (opts->listen->sa_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	api->mhd = MHD_start_daemon(
		flags, 0, NULL, NULL, on_request, api,
		MHD_OPTION_EXTERNAL_LOGGER, mhd_log, api, MHD_OPTION_SOCK_ADDR,
		opts->listen, MHD_OPTION_CONNECTION_LIMIT,
		(unsigned)MCU_API_MAX_CONNECTIONS, MHD_OPTION_CONNECTION_TIMEOUT,
		(unsigned)60, MHD_OPTION_NOTIFY_COMPLETED, on_completed, api,
		MHD_OPTION_LISTENING_ADDRESS_REUSE, (unsigned)1,
		MHD_OPTION_UNESCAPE_CALLBACK, unescape_keep_nul, NULL,
		MHD_OPTION_END);
	if (!api->mhd) {
		int err = errno ? errno : EADDRINUSE;
		mcu_log_error("cannot listen for the API: %s", strerror(err));
		return err;
	}
	di = MHD_get_daemon_info(api->mhd, MHD_DAEMON_INFO_LISTEN_FD);
	if (!di || getsockname(di->listen_fd, (struct sockaddr *)&ss, &sl) != 0)
		return EIO;
	if (ss.ss_family == AF_INET)
		api->port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
	else
		api->port = ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
	return 0;
}

int mcu_api_alloc(struct mcu_api **apip, const struct mcu_api_opts *opts)
{
	struct mcu_api *api;
	pthread_condattr_t ca;
	int err;

	if (!apip || !opts || !opts->listen ||
	    (opts->listen->sa_family != AF_INET &&
	     opts->listen->sa_family != AF_INET6))
		return EINVAL;
	api = calloc(1, sizeof(*api));
	if (!api)
		return ENOMEM;
	api->be = opts->backend;
	api->keepalive_ms = opts->keepalive_ms ? opts->keepalive_ms : 15000;
	api->listen_loopback = addr_loopback(opts->listen);
	now_mono(&api->started);
	pthread_mutex_init(&api->token_lock, NULL);
	pthread_mutex_init(&api->ready_lock, NULL);
	pthread_rwlock_init(&api->whip_lock, NULL);
	pthread_mutex_init(&api->hub.lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	err = pthread_cond_init(&api->hub.cond, &ca);
	pthread_condattr_destroy(&ca);
	if (err) {
		pthread_mutex_destroy(&api->hub.lock);
		pthread_mutex_destroy(&api->ready_lock);
		pthread_mutex_destroy(&api->token_lock);
		free(api);
		return err;
	}
	if (opts->metrics) {
		api->metrics = opts->metrics;
	} else {
		err = mcu_metrics_alloc(&api->metrics);
		if (err)
			goto out;
		api->own_metrics = true;
	}
	err = register_metrics(api);
	if (err)
		goto out;
	if (opts->token_file) {
		err = mcu_api_set_token_file(api, opts->token_file);
		if (err)
			goto out;
	} else {
		mcu_log_warn("no mcu.api.token_file: the API is read-only%s",
		             api->listen_loopback ? ""
		                                  : " and refuses every request "
		                                    "(it listens beyond loopback)");
	}
	err = start_mhd(api, opts);
	if (err)
		goto out;
	mcu_log_info("operator API on port %u%s", api->port,
	             api->token ? "" : " (read-only)");
	*apip = api;
	return 0;
out:
	mcu_api_free(api);
	return err;
}

struct mcu_api *mcu_api_free(struct mcu_api *api)
{
	if (!api)
		return NULL;
	pthread_mutex_lock(&api->hub.lock);
	api->hub.stopping = true;
	pthread_cond_broadcast(&api->hub.cond);
	pthread_mutex_unlock(&api->hub.lock);
	if (api->mhd)
		MHD_stop_daemon(api->mhd);
	mcu_metric_put(api->m_clients);
	mcu_metric_put(api->m_published);
	mcu_metric_put(api->m_dropped);
	mcu_metric_put(api->m_build);
	mcu_metric_put(api->m_start);
	if (api->own_metrics)
		mcu_metrics_free(api->metrics);
	mcu_api_set_token_file(api, NULL);
	json_decref(api->incidents);
	pthread_cond_destroy(&api->hub.cond);
	pthread_mutex_destroy(&api->hub.lock);
	pthread_mutex_destroy(&api->ready_lock);
	pthread_rwlock_destroy(&api->whip_lock);
	pthread_mutex_destroy(&api->token_lock);
	free(api);
	return NULL;
}

uint16_t mcu_api_port(const struct mcu_api *api)
{
	return api ? api->port : 0;
}

struct mcu_metrics *mcu_api_metrics(struct mcu_api *api)
{
	return api ? api->metrics : NULL;
}
