/*
 * fuzz_api: operator API request bodies and paths. The body parsing and
 * validation of mcu/api.c (parse_body, validate_action, route) are static
 * and the only public way in is the HTTP server, so this target starts
 * one server on 127.0.0.1 (any free port, a bearer token) once per
 * process and sends every input to it as one HTTP/1.1 request on a fresh
 * connection.
 *
 * Input: [mode:1] then the body (or, in raw-path mode, the path up to the
 * first newline, percent-encoded on the wire so any byte reaches the
 * router, then the body).
 *   mode bits 0-3: which POST action route (mod 14: the actions
 *        table), meeting "m1", endpoint "e1"; bit 4: no Content-Type;
 *        bit 5: Content-Type text/plain; bit 6: raw path; bit 7 (raw
 *        path): GET, else POST.
 *
 * Checked: every request gets a well-formed response with a known status;
 * every error response is a JSON object with "error"; an action reaches
 * the backend only validated (the invariants of struct mcu_api_action in
 * mcu/api.h) and then the client gets 200.
 *
 * Speed: requests go over one kept-alive connection, as an operator's
 * client sends them, and the harness reads each response by its framing
 * (Content-Length, chunks); a new connection is opened only when the
 * server closes one (after an error it cannot recover from). A fresh
 * connection per input cost a server thread each (MHD's thread per
 * connection) and, past MCU_API_MAX_CONNECTIONS, sleeps until earlier
 * threads ended. An event stream (GET /api/v1/events) never ends: its
 * head is checked and the connection closed.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <jansson.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "conf/config.h"
#include "layout/catalog.h"
#include "mcu/api.h"

/* Not assert(): it must hold in NDEBUG builds too. */
#define CHECK(x)                                                               \
	do {                                                                   \
		if (!(x))                                                      \
			abort();                                               \
	} while (0)

#define TOKEN "fuzz-token-0123456789"
#define N_ACTIONS 14

/* The harness's own code (building requests, reading responses) is kept
   out of the coverage feedback: its branches are not the server's, and
   their tracing cost a third of the target's time. */
#if defined(__clang__)
#define HARNESS __attribute__((no_sanitize("coverage")))
#else
#define HARNESS
#endif

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const struct {
	const char *path; /* after /api/v1/ */
	enum mcu_api_verb verb;
} actions[N_ACTIONS] = {
    {"meetings/m1/start", MCU_API_START},
    {"meetings/m1/stop", MCU_API_STOP},
    {"meetings/m1/extend", MCU_API_EXTEND},
    {"meetings/m1/floor", MCU_API_FLOOR},
    {"meetings/m1/layout", MCU_API_LAYOUT},
    {"meetings/m1/record", MCU_API_RECORD},
    {"meetings/m1/content", MCU_API_CONTENT},
    {"meetings/m1/participants/e1/mute", MCU_API_MUTE},
    {"meetings/m1/participants/e1/dial", MCU_API_DIAL},
    {"meetings/m1/participants/e1/hangup", MCU_API_HANGUP},
    {"meetings/m1/participants/e1/link", MCU_API_LINK},
    {"reload", MCU_API_RELOAD},
    {"meetings", MCU_API_CREATE},
    {"meetings/m1/participants/e1/pin", MCU_API_PIN},
};

static struct mcu_api *api;
static uint16_t port;
static int backend_calls; /* written by the server's thread */

static bool str_ok(const char *s)
{
	return s && s[0];
}

static int f_action(void *arg, const struct mcu_api_action *a, json_t **result,
                    char *detail, size_t detail_len)
{
	(void)arg;
	(void)detail;
	(void)detail_len;
	__atomic_add_fetch(&backend_calls, 1, __ATOMIC_SEQ_CST);
	CHECK((unsigned)a->verb <= MCU_API_PIN);
	CHECK(a->verb == MCU_API_RELOAD || a->verb == MCU_API_CREATE
	          ? !a->meeting
	          : a->meeting && !strcmp(a->meeting, "m1"));
	CHECK(!a->body || json_is_object(a->body));
	switch (a->verb) {
	case MCU_API_EXTEND:
		CHECK(a->minutes >= 1 && a->minutes <= 1440);
		break;
	case MCU_API_FLOOR:
		CHECK((unsigned)a->floor <= MCU_API_FLOOR_REVOKE);
		CHECK(a->floor != MCU_API_FLOOR_REQUEST || str_ok(a->endpoint));
		CHECK(!a->endpoint || str_ok(a->endpoint));
		break;
	case MCU_API_MUTE:
		CHECK(a->audio != MCU_API_UNCHANGED ||
		      a->video != MCU_API_UNCHANGED);
		CHECK(a->audio >= MCU_API_UNCHANGED && a->audio <= MCU_API_ON);
		CHECK(a->video >= MCU_API_UNCHANGED && a->video <= MCU_API_ON);
		CHECK(!strcmp(a->endpoint, "e1"));
		break;
	case MCU_API_LAYOUT:
		CHECK(a->role == MCU_API_ROLE_HOST ||
		      a->role == MCU_API_ROLE_BRANCHES);
		CHECK(str_ok(a->layout) && mcu_conf_layout_valid(a->layout));
		break;
	case MCU_API_CONTENT:
		CHECK(a->stop != str_ok(a->file));
		CHECK(!a->file || strlen(a->file) <= 4096);
		break;
	case MCU_API_PIN:
		CHECK(a->role == MCU_API_ROLE_HOST ||
		      a->role == MCU_API_ROLE_BRANCHES);
		CHECK(a->tile >= 0 && a->tile <= MCU_LAYOUT_MAX_TILES);
		CHECK(!strcmp(a->endpoint, "e1"));
		break;
	case MCU_API_CREATE:
		CHECK(json_is_object(a->body));
		break;
	case MCU_API_DIAL:
	case MCU_API_HANGUP:
	case MCU_API_LINK:
		CHECK(!strcmp(a->endpoint, "e1"));
		break;
	default:
		break;
	}
	*result = json_pack("{s:s}", "verb", mcu_api_verb_name(a->verb));
	return 200;
}

static json_t *f_meeting(void *arg, const char *id, int *status)
{
	(void)arg;
	CHECK(id && id[0] && strlen(id) <= MCU_API_MAX_ID);
	if (strcmp(id, "m1") != 0) {
		*status = 404;
		return NULL;
	}
	return json_pack("{s:s}", "id", id);
}

static void close_conn(void);

static unsigned long n_eintr;

static void stop_api(void)
{
	if (n_eintr)
		fprintf(stderr,
		        "fuzz_api: %lu receives/sends interrupted by a signal "
		        "(EINTR) were resumed\n",
		        n_eintr);
	close_conn();
	api = mcu_api_free(api);
}

static int start_api(void)
{
	char path[] = "/tmp/mcu-fuzz-api-token.XXXXXX";
	struct sockaddr_in sin = {.sin_family = AF_INET};
	struct mcu_api_opts o = {0};
	int fd = mkstemp(path);

	if (fd < 0)
		return errno;
	if (write(fd, TOKEN "\n", strlen(TOKEN) + 1) < 0) {
		close(fd);
		unlink(path);
		return EIO;
	}
	close(fd);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	o.listen = (struct sockaddr *)&sin;
	o.listen_len = sizeof(sin);
	o.token_file = path;
	o.backend = (struct mcu_api_backend){
	    .action = f_action,
	    .meeting = f_meeting,
	    .participants = f_meeting,
	};
	int err = mcu_api_alloc(&api, &o);
	unlink(path);
	if (err)
		return err;
	port = mcu_api_port(api);
	atexit(stop_api);
	return 0;
}

/* Append s (n bytes) to a growing buffer. */
struct buf {
	char *p;
	size_t len, cap;
};

/* Room for n more bytes and the NUL. */
HARNESS static void reserve(struct buf *b, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		size_t cap = (b->len + n + 1) * 2;
		char *p = realloc(b->p, cap);
		CHECK(p);
		b->p = p;
		b->cap = cap;
	}
}

HARNESS static void put(struct buf *b, const void *s, size_t n)
{
	reserve(b, n);
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

HARNESS static void puts_(struct buf *b, const char *s)
{
	put(b, s, strlen(s));
}

/* The path percent-encoded, so any byte reaches the router; "/" for
   none. One pass into room made once: a put() per byte was a fifth of
   the target's time on long inputs. */
HARNESS static void put_path(struct buf *b, const uint8_t *s, size_t n)
{
	static const char hex[] = "0123456789ABCDEF";
	if (n == 0) {
		puts_(b, "/");
		return;
	}
	reserve(b, 3 * n);
	char *o = b->p + b->len;
	for (size_t i = 0; i < n; i++) {
		uint8_t c = s[i];
		if (c > 0x20 && c < 0x7f && c != '%' && c != '?' && c != '#') {
			*o++ = (char)c;
		} else {
			*o++ = '%';
			*o++ = hex[c >> 4];
			*o++ = hex[c & 15];
		}
	}
	b->len = (size_t)(o - b->p);
	b->p[b->len] = '\0';
}

static int conn = -1; /* the kept-alive connection, or -1 */

static int open_conn(void)
{
	struct sockaddr_in sin = {.sin_family = AF_INET,
	                          .sin_port = htons(port)};
	struct timeval tv = {.tv_sec = 30};
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	if (fd < 0)
		return -1;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	/* (interrupted by the alarm, EINTR: the caller tries again) */
	if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static void close_conn(void)
{
	if (conn >= 0)
		close(conn);
	conn = -1;
}

/*
 * libFuzzer's -timeout runs on SIGALRM (every timeout/2 + 1 s, handler
 * without SA_RESTART, and a socket with SO_RCVTIMEO fails with EINTR
 * anyway): a receive or send blocked when it fires returns EINTR. That
 * is not the server closing: taken for one, the harness sent the request
 * again on a new connection and the action ran twice ("backend calls
 * during the exchange: 2", the unexplained abort of fuzz.brief).
 * n_eintr counts them (printed at exit).
 */

/* Read more of the response; false at EOF or on an error. */
HARNESS static bool fill_resp(struct buf *resp)
{
	char tmp[16384];
	ssize_t n;
	while ((n = recv(conn, tmp, sizeof(tmp), 0)) < 0 && errno == EINTR)
		n_eintr++;
	if (n <= 0)
		return false;
	put(resp, tmp, (size_t)n);
	return true;
}

/* The value of a response header (case-insensitive), or NULL. */
HARNESS static const char *resp_header(const char *r, size_t head,
                                       const char *name)
{
	size_t nl = strlen(name);
	for (const char *p = strstr(r, "\r\n"); p && (size_t)(p - r) < head;
	     p = strstr(p + 2, "\r\n")) {
		if (!strncasecmp(p + 2, name, nl) && p[2 + nl] == ':') {
			const char *v = p + 3 + nl;
			while (*v == ' ')
				v++;
			return v;
		}
	}
	return NULL;
}

/* Read a chunked body from off on; true once its last chunk came. */
HARNESS static bool read_chunked(struct buf *resp, size_t off)
{
	for (;;) {
		char *eol;
		while (!(eol = strstr(resp->p + off, "\r\n")))
			if (!fill_resp(resp))
				return false;
		unsigned long n = strtoul(resp->p + off, NULL, 16);
		size_t data = (size_t)(eol - resp->p) + 2;
		while (resp->len < data + n + 2)
			if (!fill_resp(resp))
				return false;
		off = data + n + 2;
		if (n == 0)
			return true; /* no trailers from MHD */
	}
}

/*
 * One request on the kept-alive connection; returns the response
 * (NUL-terminated) or NULL when the server closed the connection before
 * answering. *keep says whether the connection can take the next one.
 */
HARNESS static char *exchange_once(const struct buf *req, size_t *rlen,
                                   bool *keep)
{
	struct buf resp = {0};
	char *end;

	*keep = false;
	for (size_t off = 0; off < req->len;) {
		ssize_t n =
		    send(conn, req->p + off, req->len - off, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR) {
			n_eintr++;
			continue;
		}
		if (n <= 0)
			break; /* the server may answer early (413) */
		off += (size_t)n;
	}
	put(&resp, "", 0);
	while (!(end = strstr(resp.p, "\r\n\r\n")))
		if (!fill_resp(&resp))
			goto out;
	size_t head = (size_t)(end - resp.p) + 4;
	const char *v;
	*keep = true;
	if ((v = resp_header(resp.p, head, "Connection")) &&
	    !strncasecmp(v, "close", 5))
		*keep = false;
	if ((v = resp_header(resp.p, head, "Content-Type")) &&
	    !strncasecmp(v, "text/event-stream", 17)) {
		*keep = false; /* endless: the head is all we check */
	} else if ((v = resp_header(resp.p, head, "Content-Length"))) {
		size_t want = head + strtoul(v, NULL, 10);
		while (resp.len < want)
			if (!fill_resp(&resp)) {
				*keep = false;
				break;
			}
	} else if ((v = resp_header(resp.p, head, "Transfer-Encoding")) &&
	           !strncasecmp(v, "chunked", 7)) {
		if (!read_chunked(&resp, head))
			*keep = false;
	} else {
		while (fill_resp(&resp))
			; /* delimited by the end of the connection */
		*keep = false;
	}
out:
	*rlen = resp.len;
	if (resp.len == 0) {
		free(resp.p);
		return NULL;
	}
	return resp.p;
}

/* Send the request; returns the response (NUL-terminated) or NULL when
   no connection could be made or none answered. */
HARNESS static char *exchange(const struct buf *req, size_t *rlen)
{
	char *resp = NULL;
	bool keep = false;

	*rlen = 0;
	/* A kept connection the server closed meanwhile fails at once:
	   one more try on a fresh one. */
	for (int tries = 0; tries < 2 && *rlen == 0; tries++) {
		bool fresh = conn < 0;
		if (conn < 0 && (conn = open_conn()) < 0)
			return NULL;
		free(resp);
		resp = exchange_once(req, rlen, &keep);
		if (!keep)
			close_conn();
		if (fresh)
			break;
	}
	return resp;
}

/* The exchange being checked, printed when a check fails. */
static const struct buf *cur_req;
static const char *cur_resp;
static size_t cur_rlen;
static int cur_calls;

/* Like CHECK, but says what the server was sent and what it answered. */
#define RCHECK(x)                                                              \
	do {                                                                   \
		if (!(x)) {                                                    \
			dump_exchange(#x, __LINE__);                           \
			abort();                                               \
		}                                                              \
	} while (0)

static void dump_exchange(const char *what, int line)
{
	fprintf(stderr,
	        "fuzz_api: check failed at line %d: %s\n"
	        "backend calls during the exchange: %d\n"
	        "request (%zu bytes, head and start of body):\n%.*s\n"
	        "response (%zu bytes):\n%.*s\n",
	        line, what, cur_calls, cur_req ? cur_req->len : 0,
	        cur_req ? (int)(cur_req->len < 700 ? cur_req->len : 700) : 0,
	        cur_req ? cur_req->p : "", cur_rlen,
	        cur_resp ? (int)(cur_rlen < 1200 ? cur_rlen : 1200) : 0,
	        cur_resp ? cur_resp : "");
}

HARNESS static void check_response(const char *r, size_t len, bool called,
                                   bool get)
{
	int status = 0;
	RCHECK(r && len >= 12 && !strncmp(r, "HTTP/1.", 7));
	RCHECK(sscanf(r + 9, "%3d", &status) == 1);
	const char *body = strstr(r, "\r\n\r\n");
	RCHECK(body);
	body += 4;
	if (called) {
		RCHECK(status == 200);
		return;
	}
	/* The dashboard's files (GET /, /index.html, /dashboard.js|css). */
	if (status == 200 && (strstr(r, "text/html; charset=utf-8") ||
	                      strstr(r, "text/css; charset=utf-8") ||
	                      strstr(r, "text/javascript; charset=utf-8")))
		return;
	/* A GET served something else than JSON (an event stream, the
	   metrics text, a view picture). */
	if (get && status == 200 && !strstr(r, "application/json"))
		return;
	/* MHD itself answers (HTML) a request line or header it cannot
	   read or hold: bad syntax, URI or header too large, bad version */
	if (!strstr(r, "application/json")) {
		RCHECK(status == 400 || status == 413 || status == 414 ||
		       status == 431 || status == 505);
		return;
	}
	/* 415: a WHIP route (POST /whip/{meeting}, any path the router
	   decodes to it) given a body that is not application/sdp, which
	   the harness never sends. */
	RCHECK(status == 200 || status == 400 || status == 404 ||
	       status == 405 || status == 413 || status == 415 ||
	       status == 503);
	if (status >= 400 && status != 413) {
		json_t *j = json_loads(body, 0, NULL);
		RCHECK(json_is_object(j) &&
		       json_is_string(json_object_get(j, "error")));
		RCHECK(status != 415 ||
		       !strcmp(json_string_value(json_object_get(j, "error")),
		               "unsupported_media_type"));
		json_decref(j);
	}
}

/*
 * libFuzzer's per-input leak check (-detect_leaks=1, its default) runs
 * LeakSanitizer over the whole heap, and the input once more, whenever an
 * input mallocs more than it frees; the server's connection threads free
 * a request's memory after the response reached us, so it ran after most
 * inputs (64 exec/s instead of 116 on the loaded machine) without finding
 * anything the exit check and the ASan replay in ctest would not. Off
 * unless asked for on the command line.
 */
#include "tests/fuzz/no_leak_scan.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int started = -1;
	struct buf req = {0};
	char line[64];

	if (started < 0)
		started = start_api();
	if (started != 0 || size < 1 || size > MCU_API_MAX_BODY + 1024)
		return 0;
	uint8_t mode = data[0];
	const uint8_t *body = data + 1;
	size_t blen = size - 1;

	if (mode & 0x40) {
		const uint8_t *nl = memchr(body, '\n', blen);
		size_t plen = nl ? (size_t)(nl - body) : blen;
		puts_(&req, (mode & 0x80) ? "GET " : "POST ");
		put_path(&req, body, plen);
		body += nl ? plen + 1 : plen;
		blen -= nl ? plen + 1 : plen;
	} else {
		puts_(&req, "POST /api/v1/");
		puts_(&req, actions[(mode & 15) % N_ACTIONS].path);
	}
	puts_(&req, " HTTP/1.1\r\nHost: 127.0.0.1\r\n"
	            "Authorization: Bearer " TOKEN "\r\n");
	if (mode & 0x20)
		puts_(&req, "Content-Type: text/plain\r\n");
	else if (!(mode & 0x10))
		puts_(&req, "Content-Type: application/json\r\n");
	snprintf(line, sizeof(line), "Content-Length: %zu\r\n\r\n", blen);
	puts_(&req, line);
	size_t head = req.len;
	put(&req, body, blen);

	int before = __atomic_load_n(&backend_calls, __ATOMIC_SEQ_CST);
	size_t rlen = 0;
	char *resp = exchange(&req, &rlen);
	/* Beyond MCU_API_MAX_CONNECTIONS (threads of earlier requests still
	   ending) the server closes a new connection unanswered: wait. */
	for (int i = 0; i < 200 && rlen == 0 && head <= 16384; i++) {
		free(resp);
		usleep(10000);
		resp = exchange(&req, &rlen);
	}
	bool get = (mode & 0xc0) == 0xc0;
	int after = __atomic_load_n(&backend_calls, __ATOMIC_SEQ_CST);
	cur_req = &req;
	cur_resp = resp;
	cur_rlen = rlen;
	cur_calls = after - before;
	RCHECK(after - before <= 1);
	/* A request head beyond MHD's memory pool (32 KiB) may be dropped
	   without an answer when even its error response does not fit. */
	if (rlen == 0 && head > 16384 && after == before) {
		free(resp);
		free(req.p);
		return 0;
	}
	check_response(resp, rlen, after != before, get);
	free(resp);
	free(req.p);
	return 0;
}
