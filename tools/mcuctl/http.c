/*
 * A deliberately small HTTP/1.1 client: one connection per request, the
 * response body decoded through one reader (Content-Length, chunked, or
 * until close) so that a whole document and an endless event stream share
 * the same careful code. Nothing the server sends is trusted: every line
 * and size is bounded and every number parsed with checks.
 */
#include "tools/mcuctl/http.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#define HDR_MAX (16u * 1024)
#define LINE_MAX_LEN 8192
#define EVENT_MAX (1u << 20)

struct conn {
	int fd;
	int timeout_ms; /* -1: wait forever */
	char buf[16384];
	size_t start, end;
	bool eof;
};

enum body_mode { BODY_LENGTH, BODY_CHUNKED, BODY_CLOSE, BODY_NONE };

struct body {
	enum body_mode mode;
	uint64_t remaining; /* LENGTH: bytes left; CHUNKED: of this chunk */
	bool in_chunk;      /* CHUNKED: a chunk's CRLF is still due */
	bool done;
};

static int wait_fd(int fd, short events, int timeout_ms)
{
	struct pollfd p = {.fd = fd, .events = events};
	int n;
	do {
		n = poll(&p, 1, timeout_ms);
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		return errno;
	if (n == 0)
		return ETIMEDOUT;
	return 0;
}

static int fill(struct conn *c)
{
	ssize_t n;
	int err;
	if (c->start == c->end)
		c->start = c->end = 0;
	if (c->start > 0 && c->end == sizeof(c->buf)) {
		memmove(c->buf, c->buf + c->start, c->end - c->start);
		c->end -= c->start;
		c->start = 0;
	}
	if (c->end == sizeof(c->buf))
		return EPROTO; /* a line longer than the buffer */
	for (;;) {
		n = recv(c->fd, c->buf + c->end, sizeof(c->buf) - c->end, 0);
		if (n > 0) {
			c->end += (size_t)n;
			return 0;
		}
		if (n == 0) {
			c->eof = true;
			return 0;
		}
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			return errno;
		err = wait_fd(c->fd, POLLIN, c->timeout_ms);
		if (err)
			return err;
	}
}

/* A line without its CR LF, at most `max - 1` bytes. EPROTO at EOF. */
static int read_line(struct conn *c, char *out, size_t max)
{
	for (;;) {
		char *nl = memchr(c->buf + c->start, '\n', c->end - c->start);
		if (nl) {
			size_t n = (size_t)(nl - (c->buf + c->start));
			size_t keep = n;
			if (keep && c->buf[c->start + keep - 1] == '\r')
				keep--;
			if (keep >= max)
				return EPROTO;
			memcpy(out, c->buf + c->start, keep);
			out[keep] = '\0';
			c->start += n + 1;
			return 0;
		}
		if (c->end - c->start >= max + 1 || c->eof)
			return EPROTO;
		int err = fill(c);
		if (err)
			return err;
	}
}

/* Up to `max` bytes of raw input; 0 bytes only at EOF. */
static int take(struct conn *c, char *dst, size_t max, size_t *got)
{
	size_t n;
	if (c->start == c->end && !c->eof) {
		int err = fill(c);
		if (err)
			return err;
	}
	n = c->end - c->start;
	if (n > max)
		n = max;
	memcpy(dst, c->buf + c->start, n);
	c->start += n;
	*got = n;
	return 0;
}

/* Decoded body bytes: *got 0 means the body has ended. */
static int body_read(struct conn *c, struct body *b, char *dst, size_t max,
                     size_t *got)
{
	char line[128];
	int err;

	*got = 0;
	if (b->done || b->mode == BODY_NONE)
		return 0;
	if (b->mode == BODY_CHUNKED && b->remaining == 0) {
		char *end;
		unsigned long long size;
		if (b->in_chunk) {
			err = read_line(c, line, sizeof(line));
			if (err)
				return err;
			if (line[0])
				return EPROTO;
			b->in_chunk = false;
		}
		err = read_line(c, line, sizeof(line));
		if (err)
			return err;
		errno = 0;
		size = strtoull(line, &end, 16);
		if (end == line || errno || (*end && *end != ';' && *end != ' '))
			return EPROTO;
		if (size == 0) {
			do { /* trailers */
				err = read_line(c, line, sizeof(line));
				if (err)
					return err;
			} while (line[0]);
			b->done = true;
			return 0;
		}
		b->remaining = size;
		b->in_chunk = true;
	}
	if (b->mode == BODY_LENGTH && b->remaining == 0) {
		b->done = true;
		return 0;
	}
	if (b->mode != BODY_CLOSE && max > b->remaining)
		max = (size_t)b->remaining;
	err = take(c, dst, max, got);
	if (err)
		return err;
	if (*got == 0) {
		if (b->mode != BODY_CLOSE)
			return EPROTO; /* truncated */
		b->done = true;
		return 0;
	}
	if (b->mode != BODY_CLOSE)
		b->remaining -= *got;
	return 0;
}

static bool has_crlf(const char *s)
{
	return s && strpbrk(s, "\r\n") != NULL;
}

static int connect_to(const struct mcuctl_http_req *req, int timeout_ms,
                      int *fdp)
{
	struct addrinfo hints = {0}, *res = NULL, *ai;
	int err = ECONNREFUSED, fd = -1;

	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICSERV;
	if (getaddrinfo(req->host, req->port, &hints, &res) != 0)
		return EHOSTUNREACH;
	for (ai = res; ai; ai = ai->ai_next) {
		fd = socket(ai->ai_family,
		            ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
		            ai->ai_protocol);
		if (fd < 0) {
			err = errno;
			continue;
		}
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
			break;
		if (errno == EINPROGRESS) {
			socklen_t sl = sizeof(err);
			err = wait_fd(fd, POLLOUT, timeout_ms);
			if (!err && getsockopt(fd, SOL_SOCKET, SO_ERROR, &err,
			                       &sl) != 0)
				err = errno;
			if (!err)
				break;
		} else {
			err = errno;
		}
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd < 0)
		return err;
	*fdp = fd;
	return 0;
}

static int send_all(int fd, const char *p, size_t n, int timeout_ms)
{
	while (n) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
		if (w > 0) {
			p += w;
			n -= (size_t)w;
			continue;
		}
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			int err = wait_fd(fd, POLLOUT, timeout_ms);
			if (err)
				return err;
			continue;
		}
		return errno ? errno : EIO;
	}
	return 0;
}

static int send_request(int fd, const struct mcuctl_http_req *req,
                        bool events, int timeout_ms)
{
	char head[4096];
	int n;
	bool v6 = strchr(req->host, ':') != NULL;

	if (has_crlf(req->path) || has_crlf(req->token) ||
	    has_crlf(req->method) || has_crlf(req->content_type) ||
	    (req->token && strlen(req->token) > 1024) ||
	    strlen(req->path) > 2048)
		return EINVAL;
	n = snprintf(head, sizeof(head),
	             "%s %s HTTP/1.1\r\nHost: %s%s%s:%s\r\n"
	             "User-Agent: mcuctl\r\nAccept: %s\r\n"
	             "Connection: close\r\n",
	             req->method, req->path, v6 ? "[" : "", req->host,
	             v6 ? "]" : "", req->port,
	             events ? "text/event-stream" : "*/*");
	if (req->token)
		n += snprintf(head + n, sizeof(head) - (size_t)n,
		              "Authorization: Bearer %s\r\n", req->token);
	if (req->body)
		n += snprintf(head + n, sizeof(head) - (size_t)n,
		              "Content-Type: %s\r\nContent-Length: %zu\r\n",
		              req->content_type ? req->content_type
		                                : "application/json",
		              req->body_len);
	n += snprintf(head + n, sizeof(head) - (size_t)n, "\r\n");
	if (n <= 0 || (size_t)n >= sizeof(head))
		return EINVAL;
	int err = send_all(fd, head, (size_t)n, timeout_ms);
	if (!err && req->body && req->body_len)
		err = send_all(fd, req->body, req->body_len, timeout_ms);
	return err;
}

static int read_head(struct conn *c, struct mcuctl_http_resp *resp,
                     struct body *b, bool head_only)
{
	char line[LINE_MAX_LEN];
	size_t total = 0;
	bool have_len = false, chunked = false;
	unsigned long long clen = 0;
	int major, minor, status, err;

	err = read_line(c, line, sizeof(line));
	if (err)
		return err;
	if (sscanf(line, "HTTP/%d.%d %3d", &major, &minor, &status) != 3 ||
	    major != 1 || status < 100 || status > 599)
		return EPROTO;
	resp->status = status;
	for (;;) {
		char *colon, *v;
		err = read_line(c, line, sizeof(line));
		if (err)
			return err;
		total += strlen(line) + 2;
		if (total > HDR_MAX)
			return EPROTO;
		if (!line[0])
			break;
		colon = strchr(line, ':');
		if (!colon)
			return EPROTO;
		*colon = '\0';
		v = colon + 1;
		while (*v == ' ' || *v == '\t')
			v++;
		if (!strcasecmp(line, "Content-Length")) {
			char *end;
			errno = 0;
			clen = strtoull(v, &end, 10);
			if (errno || end == v || *end)
				return EPROTO;
			have_len = true;
		} else if (!strcasecmp(line, "Transfer-Encoding")) {
			chunked = strcasestr(v, "chunked") != NULL;
		} else if (!strcasecmp(line, "Content-Type")) {
			snprintf(resp->content_type,
			         sizeof(resp->content_type), "%s", v);
		}
	}
	memset(b, 0, sizeof(*b));
	if (head_only || status == 204 || status == 304 || status < 200)
		b->mode = BODY_NONE;
	else if (chunked)
		b->mode = BODY_CHUNKED;
	else if (have_len) {
		b->mode = BODY_LENGTH;
		b->remaining = clen;
	} else
		b->mode = BODY_CLOSE;
	return 0;
}

static int read_body(struct conn *c, struct body *b,
                     struct mcuctl_http_resp *resp)
{
	size_t cap = 4096, got;
	int err;

	resp->body = malloc(cap);
	if (!resp->body)
		return ENOMEM;
	resp->len = 0;
	for (;;) {
		if (cap - resp->len < 2048) {
			char *p;
			if (cap >= MCUCTL_HTTP_MAX_BODY)
				return EFBIG;
			p = realloc(resp->body, cap * 2);
			if (!p)
				return ENOMEM;
			resp->body = p;
			cap *= 2;
		}
		err = body_read(c, b, resp->body + resp->len,
		                cap - resp->len - 1, &got);
		if (err)
			return err;
		if (!got)
			break;
		resp->len += got;
	}
	resp->body[resp->len] = '\0';
	return 0;
}

static int open_conn(const struct mcuctl_http_req *req, struct conn *c,
                     bool events)
{
	int tmo = req->timeout_ms > 0 ? req->timeout_ms : 10000;
	int err = connect_to(req, tmo, &c->fd);
	if (err)
		return err;
	err = send_request(c->fd, req, events, tmo);
	if (err) {
		close(c->fd);
		c->fd = -1;
	}
	return err;
}

int mcuctl_http_request(const struct mcuctl_http_req *req,
                        struct mcuctl_http_resp *resp)
{
	struct conn *c;
	struct body b;
	int err;

	if (!req || !resp || !req->host || !req->port || !req->method ||
	    !req->path)
		return EINVAL;
	memset(resp, 0, sizeof(*resp));
	c = calloc(1, sizeof(*c));
	if (!c)
		return ENOMEM;
	c->fd = -1;
	c->timeout_ms = req->timeout_ms > 0 ? req->timeout_ms : 10000;
	err = open_conn(req, c, false);
	if (!err)
		err = read_head(c, resp, &b, !strcmp(req->method, "HEAD"));
	if (!err)
		err = read_body(c, &b, resp);
	if (c->fd >= 0)
		close(c->fd);
	free(c);
	if (err)
		mcuctl_http_resp_clear(resp);
	return err;
}

void mcuctl_http_resp_clear(struct mcuctl_http_resp *resp)
{
	if (!resp)
		return;
	free(resp->body);
	memset(resp, 0, sizeof(*resp));
}

/* ---- server-sent events ---------------------------------------------- */

struct sse {
	char *line;
	size_t line_len;
	char *data;
	size_t data_len;
	bool have_data;
	char event[64];
	char id[64];
};

/* One complete line of the stream; returns false to stop. */
static bool sse_line(struct sse *s, mcuctl_http_event_h *fn, void *arg,
                     int *err)
{
	char *v, *line = s->line;
	size_t vlen;

	if (s->line_len && line[s->line_len - 1] == '\r')
		line[--s->line_len] = '\0';
	if (!s->line_len) { /* dispatch */
		bool go = true;
		if (s->have_data) {
			s->data[s->data_len] = '\0';
			go = fn(s->event[0] ? s->event : "message", s->data,
			        s->id, arg);
		}
		s->data_len = 0;
		s->have_data = false;
		s->event[0] = '\0';
		return go;
	}
	if (line[0] == ':')
		return true;
	v = strchr(line, ':');
	if (v) {
		*v++ = '\0';
		if (*v == ' ')
			v++;
	} else {
		v = line + s->line_len;
	}
	vlen = strlen(v);
	if (!strcmp(line, "data")) {
		if (s->data_len + vlen + 2 > EVENT_MAX) {
			*err = EFBIG;
			return false;
		}
		if (s->have_data)
			s->data[s->data_len++] = '\n';
		memcpy(s->data + s->data_len, v, vlen);
		s->data_len += vlen;
		s->have_data = true;
	} else if (!strcmp(line, "event")) {
		snprintf(s->event, sizeof(s->event), "%s", v);
	} else if (!strcmp(line, "id")) {
		snprintf(s->id, sizeof(s->id), "%s", v);
	}
	return true;
}

int mcuctl_http_events(const struct mcuctl_http_req *req,
                       struct mcuctl_http_resp *resp,
                       mcuctl_http_event_h *fn, void *arg)
{
	struct conn *c;
	struct body b;
	struct sse s = {0};
	char chunk[4096];
	int err;

	if (!req || !resp || !fn || !req->host || !req->port || !req->path)
		return EINVAL;
	memset(resp, 0, sizeof(*resp));
	c = calloc(1, sizeof(*c));
	s.line = malloc(EVENT_MAX + 1);
	s.data = malloc(EVENT_MAX + 1);
	if (!c || !s.line || !s.data) {
		err = ENOMEM;
		goto out;
	}
	c->fd = -1;
	c->timeout_ms = req->timeout_ms > 0 ? req->timeout_ms : 10000;
	err = open_conn(req, c, true);
	if (!err)
		err = read_head(c, resp, &b, false);
	if (err)
		goto out;
	if (resp->status != 200) {
		err = read_body(c, &b, resp);
		goto out;
	}
	c->timeout_ms = req->timeout_ms > 0 ? req->timeout_ms : -1;
	for (;;) {
		size_t got;
		err = body_read(c, &b, chunk, sizeof(chunk), &got);
		if (err || !got)
			break;
		for (size_t i = 0; i < got; i++) {
			if (chunk[i] != '\n') {
				if (s.line_len >= EVENT_MAX) {
					err = EFBIG;
					goto out;
				}
				s.line[s.line_len++] = chunk[i];
				continue;
			}
			s.line[s.line_len] = '\0';
			if (!sse_line(&s, fn, arg, &err))
				goto out;
			s.line_len = 0;
		}
	}
out:
	if (c && c->fd >= 0)
		close(c->fd);
	free(c);
	free(s.line);
	free(s.data);
	return err;
}

int mcuctl_http_split_addr(const char *addr, char *host, size_t host_len,
                           char *port, size_t port_len)
{
	const char *colon, *h = addr;
	size_t hn;

	if (!addr || !*addr)
		return EINVAL;
	if (addr[0] == '[') {
		const char *close = strchr(addr, ']');
		if (!close)
			return EINVAL;
		h = addr + 1;
		hn = (size_t)(close - h);
		colon = close[1] == ':' ? close + 1 : NULL;
		if (close[1] && !colon)
			return EINVAL;
	} else {
		colon = strrchr(addr, ':');
		if (colon && strchr(addr, ':') != colon)
			colon = NULL; /* a bare IPv6 address */
		hn = colon ? (size_t)(colon - addr) : strlen(addr);
	}
	if (hn == 0 || hn >= host_len)
		return EINVAL;
	memcpy(host, h, hn);
	host[hn] = '\0';
	if (colon) {
		char *end;
		long p;
		errno = 0;
		p = strtol(colon + 1, &end, 10);
		if (errno || end == colon + 1 || *end || p < 1 || p > 65535)
			return EINVAL;
		snprintf(port, port_len, "%ld", p);
	} else {
		snprintf(port, port_len, "8080");
	}
	return 0;
}
