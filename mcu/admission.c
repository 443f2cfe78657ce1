/*
 * Admission decisions and the password-file cache.
 *
 * The roster holds ~150 endpoints and a few meetings at a time, so the
 * lookups are linear scans over the snapshot: no index to build or keep
 * in step with reloads, and an INVITE costs a few microseconds.
 *
 * The secrets cache is a small array keyed by path. Each lookup stat()s
 * the file and compares (dev, ino, size, mtime, ctime) with what was
 * read last time; only a change costs an open()/read(). The file is
 * opened O_NONBLOCK and must be a regular file, so a FIFO or a device put
 * there by mistake cannot stall the SIP thread. Secrets leave memory
 * through explicit_bzero().
 */
#define MCU_LOG_MODULE "admission"
#include "mcu/admission.h"
#include "conf/log.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- addresses ---- */

struct addr {
	int family;
	uint8_t b[16];
};

/* Parse a numeric source address: "1.2.3.4", "::1", "[::1]", "fe80::1%eth0",
   "::ffff:1.2.3.4" (becomes IPv4). */
static bool parse_addr(const char *s, struct addr *a)
{
	char buf[64];
	size_t n;

	if (!s)
		return false;
	n = strlen(s);
	if (n >= 2 && s[0] == '[' && s[n - 1] == ']') {
		s++;
		n -= 2;
	}
	if (n == 0 || n >= sizeof(buf))
		return false;
	memcpy(buf, s, n);
	buf[n] = '\0';
	buf[strcspn(buf, "%")] = '\0';
	memset(a, 0, sizeof(*a));
	if (inet_pton(AF_INET, buf, a->b) == 1) {
		a->family = AF_INET;
		return true;
	}
	if (inet_pton(AF_INET6, buf, a->b) != 1)
		return false;
	a->family = AF_INET6;
	static const uint8_t mapped[12] = {0, 0, 0, 0, 0,    0,
	                                   0, 0, 0, 0, 0xff, 0xff};
	if (memcmp(a->b, mapped, sizeof(mapped)) == 0) {
		memmove(a->b, a->b + 12, 4);
		memset(a->b + 4, 0, 12);
		a->family = AF_INET;
	}
	return true;
}

static bool cidr_contains(const struct mcu_conf_cidr *c, const struct addr *a)
{
	unsigned bits = c->prefix, full, rest;

	if (c->family != a->family)
		return false;
	if (bits > (a->family == AF_INET ? 32u : 128u))
		return false;
	full = bits / 8;
	rest = bits % 8;
	if (memcmp(c->addr, a->b, full) != 0)
		return false;
	if (rest) {
		uint8_t mask = (uint8_t)(0xffu << (8 - rest));
		if ((c->addr[full] & mask) != (a->b[full] & mask))
			return false;
	}
	return true;
}

static bool endpoint_allows(const struct mcu_conf_endpoint *ep,
                            const struct addr *a)
{
	for (size_t i = 0; ep->allow && i < ep->n_allow; i++)
		if (cidr_contains(&ep->allow[i], a))
			return true;
	return false;
}

bool mcu_admission_source_known(const struct mcu_conf *conf, const char *addr)
{
	struct addr a;
	if (!conf || !parse_addr(addr, &a))
		return false;
	for (size_t i = 0; i < conf->n_endpoints; i++)
		if (endpoint_allows(&conf->endpoints[i], &a))
			return true;
	return false;
}

/* ---- lookups ---- */

/* 2: user and host match; 1: the endpoint has no user part and the host
   matches; 0: no match. */
static int from_match(const struct mcu_conf_endpoint *ep, const char *user,
                      const char *host)
{
	size_t n;

	if (!ep->sip_host || !host || !*host)
		return 0;
	n = strlen(host);
	if (n >= 2 && host[0] == '[' && host[n - 1] == ']') {
		/* an IPv6 literal: the roster keeps it without brackets */
		host++;
		n -= 2;
	}
	if (strlen(ep->sip_host) != n || strncasecmp(ep->sip_host, host, n))
		return 0;
	if (!ep->sip_user)
		return 1;
	return user && strcmp(ep->sip_user, user) == 0 ? 2 : 0;
}

static enum mcu_admission_role role_in(const struct mcu_conf_meeting *m,
                                       size_t ep)
{
	if (m->host_index == ep)
		return MCU_ADMIT_ROLE_HOST;
	for (size_t i = 0; i < m->n_branches; i++)
		if (m->branches[i] == ep)
			return MCU_ADMIT_ROLE_BRANCH;
	return MCU_ADMIT_ROLE_NONE;
}

static enum mcu_meeting_state state_of(const struct mcu_conf *conf,
                                       const struct mcu_admission_request *r,
                                       size_t i, time_t now)
{
	if (r->states)
		return r->states[i];
	return mcu_timeline_state(&conf->meetings[i], now);
}

static bool running(enum mcu_meeting_state s)
{
	return s == MCU_MEETING_LIVE || s == MCU_MEETING_TEST_RUN;
}

/* "0" .. "99999999" in plain decimal, no sign, no leading zero. */
static bool parse_number(const char *s, unsigned *out)
{
	unsigned long v = 0;
	size_t n = strlen(s);

	if (n == 0 || n > 8 || (s[0] == '0' && n > 1))
		return false;
	for (size_t i = 0; i < n; i++) {
		if (!isdigit((unsigned char)s[i]))
			return false;
		v = v * 10 + (unsigned long)(s[i] - '0');
	}
	*out = (unsigned)v;
	return v > 0;
}

/*
 * Rank of a meeting sharing the dialled number: running first, then the
 * next to start (earliest start), then the last to end.
 */
static bool better_by_number(const struct mcu_conf_meeting *a,
                             enum mcu_meeting_state sa,
                             const struct mcu_conf_meeting *b,
                             enum mcu_meeting_state sb)
{
	int ra = running(sa) ? 2 : sa == MCU_MEETING_SCHEDULED ? 1 : 0;
	int rb = running(sb) ? 2 : sb == MCU_MEETING_SCHEDULED ? 1 : 0;
	if (ra != rb)
		return ra > rb;
	if (ra == 1)
		return a->start < b->start;
	if (ra == 0)
		return a->end > b->end;
	return false;
}

static long find_meeting(const struct mcu_conf *conf,
                         const struct mcu_admission_request *r, time_t now)
{
	const char *u = r->ruri_user;
	unsigned number;
	long best = -1;

	if (!u || !*u)
		return -1;
	for (size_t i = 0; i < conf->n_meetings; i++)
		if (conf->meetings[i].id &&
		    strcasecmp(conf->meetings[i].id, u) == 0)
			return (long)i;
	if (!parse_number(u, &number))
		return -1;
	for (size_t i = 0; i < conf->n_meetings; i++) {
		if (conf->meetings[i].number != number)
			continue;
		if (best < 0 ||
		    better_by_number(&conf->meetings[i],
		                     state_of(conf, r, i, now),
		                     &conf->meetings[best],
		                     state_of(conf, r, (size_t)best, now)))
			best = (long)i;
	}
	return best;
}

/*
 * The endpoint the From names: among matches whose allow list holds the
 * source, the best From match (first in roster order; prefer_member() may
 * still move to an equal match that belongs to the dialled meeting).
 * *from_only is set to the best From match regardless of the source (-1
 * when nothing matches the From at all).
 */
static long find_endpoint(const struct mcu_conf *conf,
                          const struct mcu_admission_request *r,
                          const struct addr *src, bool src_ok, long *from_only)
{
	long best = -1;
	int best_q = 0, best_from_q = 0;

	*from_only = -1;
	for (size_t i = 0; i < conf->n_endpoints; i++) {
		const struct mcu_conf_endpoint *ep = &conf->endpoints[i];
		int q = from_match(ep, r->from_user, r->from_host);
		if (!q)
			continue;
		if (q > best_from_q) {
			best_from_q = q;
			*from_only = (long)i;
		}
		if (src_ok && q > best_q && endpoint_allows(ep, src)) {
			best_q = q;
			best = (long)i;
		}
	}
	return best;
}

/* Another endpoint with the same From quality and source that is in the
   meeting (two roster entries with one SIP identity: rare, but then the
   dialled meeting decides). */
static long prefer_member(const struct mcu_conf *conf,
                          const struct mcu_admission_request *r,
                          const struct addr *src, long ep,
                          const struct mcu_conf_meeting *m)
{
	const struct mcu_conf_endpoint *e = &conf->endpoints[ep];
	int q = from_match(e, r->from_user, r->from_host);

	if (role_in(m, (size_t)ep) != MCU_ADMIT_ROLE_NONE)
		return ep;
	for (size_t i = (size_t)ep + 1; i < conf->n_endpoints; i++) {
		const struct mcu_conf_endpoint *o = &conf->endpoints[i];
		if (from_match(o, r->from_user, r->from_host) == q &&
		    endpoint_allows(o, src) &&
		    role_in(m, i) != MCU_ADMIT_ROLE_NONE)
			return (long)i;
	}
	return ep;
}

static void verdict(struct mcu_admission *out, enum mcu_admission_verdict v)
{
	static const int status[] = {200, 403, 403, 404, 403, 480};
	static const char *const reason[] = {
	    "OK",
	    MCU_ADMISSION_REASON_UNKNOWN,
	    MCU_ADMISSION_REASON_SOURCE,
	    MCU_ADMISSION_REASON_NO_MEETING,
	    MCU_ADMISSION_REASON_NOT_MEMBER,
	    MCU_ADMISSION_REASON_NOT_LIVE,
	};
	out->verdict = v;
	out->status = status[v];
	out->reason = reason[v];
}

int mcu_admission_decide(const struct mcu_conf *conf, time_t now,
                         const struct mcu_admission_request *req,
                         struct mcu_admission *out)
{
	struct addr src;
	bool src_ok;
	long ep, from_only, mt;

	if (!conf || !req || !out)
		return EINVAL;
	memset(out, 0, sizeof(*out));
	out->endpoint = -1;
	out->meeting = -1;
	out->role = MCU_ADMIT_ROLE_NONE;

	src_ok = parse_addr(req->src_addr, &src);
	ep = find_endpoint(conf, req, &src, src_ok, &from_only);
	if (from_only < 0) {
		verdict(out, MCU_ADMIT_UNKNOWN_ENDPOINT);
		return 0;
	}
	if (ep < 0) {
		out->endpoint = from_only;
		verdict(out, MCU_ADMIT_SOURCE_NOT_ALLOWED);
		return 0;
	}

	mt = find_meeting(conf, req, now);
	if (mt >= 0)
		ep = prefer_member(conf, req, &src, ep, &conf->meetings[mt]);
	const struct mcu_conf_endpoint *e = &conf->endpoints[ep];
	out->endpoint = ep;
	out->auth_required = e->has_auth;
	out->auth_user = e->has_auth ? e->auth_user : NULL;
	out->auth_password_file = e->has_auth ? e->auth_password_file : NULL;
	if (mt < 0) {
		verdict(out, MCU_ADMIT_NO_SUCH_MEETING);
		return 0;
	}
	out->meeting = mt;
	out->state = state_of(conf, req, (size_t)mt, now);
	out->role = role_in(&conf->meetings[mt], (size_t)ep);
	if (out->role == MCU_ADMIT_ROLE_NONE) {
		verdict(out, MCU_ADMIT_NOT_PARTICIPANT);
		return 0;
	}
	verdict(out,
	        running(out->state) ? MCU_ADMIT_ACCEPT : MCU_ADMIT_NOT_LIVE);
	return 0;
}

const char *mcu_admission_verdict_name(enum mcu_admission_verdict v)
{
	static const char *const names[] = {
	    "accept",          "unknown-endpoint", "source-not-allowed",
	    "no-such-meeting", "not-participant",  "not-live",
	};
	return (unsigned)v < sizeof(names) / sizeof(names[0]) ? names[v] : "?";
}

const char *mcu_admission_role_name(enum mcu_admission_role role)
{
	static const char *const names[] = {"none", "host", "branch"};
	return (unsigned)role < 3 ? names[role] : "?";
}

/* ---- password files ---- */

#define SECRETS_MAX_ENTRIES 4096
#define SECRET_FILE_READ    4096 /* bytes read: the first line lives here */

struct secret {
	char *path;
	dev_t dev;
	ino_t ino;
	off_t size;
	struct timespec mtime, ctime;
	char value[MCU_ADMISSION_SECRET_MAX + 1];
	int err; /* 0, ENODATA or EMSGSIZE: what the file held */
};

struct mcu_admission_secrets {
	pthread_mutex_t lock;
	struct secret *v;    /* guarded by lock */
	size_t n, cap;       /* guarded by lock */
	size_t evict;        /* next victim when full; guarded by lock */
	unsigned long reads; /* atomic */
};

int mcu_admission_secrets_alloc(struct mcu_admission_secrets **sp)
{
	struct mcu_admission_secrets *s;
	int err;

	if (!sp)
		return EINVAL;
	s = calloc(1, sizeof(*s));
	if (!s)
		return ENOMEM;
	err = pthread_mutex_init(&s->lock, NULL);
	if (err) {
		free(s);
		return err;
	}
	*sp = s;
	return 0;
}

static void secret_clear(struct secret *e)
{
	explicit_bzero(e->value, sizeof(e->value));
	free(e->path);
	memset(e, 0, sizeof(*e));
}

struct mcu_admission_secrets *
mcu_admission_secrets_free(struct mcu_admission_secrets *s)
{
	if (!s)
		return NULL;
	for (size_t i = 0; i < s->n; i++)
		secret_clear(&s->v[i]);
	free(s->v);
	pthread_mutex_destroy(&s->lock);
	free(s);
	return NULL;
}

static bool same_file(const struct secret *e, const struct stat *st)
{
	return e->dev == st->st_dev && e->ino == st->st_ino &&
	       e->size == st->st_size &&
	       e->mtime.tv_sec == st->st_mtim.tv_sec &&
	       e->mtime.tv_nsec == st->st_mtim.tv_nsec &&
	       e->ctime.tv_sec == st->st_ctim.tv_sec &&
	       e->ctime.tv_nsec == st->st_ctim.tv_nsec;
}

/* First line of buf[0..n), trimmed of blanks at both ends. */
static int first_line(const char *buf, size_t n, char *out, size_t size)
{
	size_t b = 0, e;

	for (e = 0; e < n; e++)
		if (buf[e] == '\n' || buf[e] == '\r' || buf[e] == '\0')
			break;
	while (b < e && isspace((unsigned char)buf[b]))
		b++;
	while (e > b && isspace((unsigned char)buf[e - 1]))
		e--;
	if (e == b)
		return ENODATA;
	if (e - b >= size)
		return EMSGSIZE;
	memcpy(out, buf + b, e - b);
	out[e - b] = '\0';
	return 0;
}

/* Read the file into e (e->path set). Returns 0 or an errno. */
static int secret_load(struct mcu_admission_secrets *s, struct secret *e)
{
	char buf[SECRET_FILE_READ];
	struct stat st;
	ssize_t got;
	size_t n = 0;
	int fd, err = 0;

	fd = open(e->path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	if (fd < 0)
		return errno;
	if (fstat(fd, &st) != 0) {
		err = errno;
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		err = EINVAL;
		goto out;
	}
	while (n < sizeof(buf)) {
		got = read(fd, buf + n, sizeof(buf) - n);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			err = errno;
			goto out;
		}
		if (got == 0)
			break;
		n += (size_t)got;
	}
	__atomic_fetch_add(&s->reads, 1, __ATOMIC_RELAXED);
	explicit_bzero(e->value, sizeof(e->value));
	e->err = first_line(buf, n, e->value, sizeof(e->value));
	e->dev = st.st_dev;
	e->ino = st.st_ino;
	e->size = st.st_size;
	e->mtime = st.st_mtim;
	e->ctime = st.st_ctim;
	if (st.st_mode & (S_IRWXG | S_IRWXO))
		mcu_log_warn("password file %s is readable by others (mode %o)",
		             e->path, (unsigned)(st.st_mode & 0777));
	if (e->err == ENODATA)
		mcu_log_warn("password file %s has an empty first line",
		             e->path);
	else if (e->err == EMSGSIZE)
		mcu_log_warn("password file %s: secret longer than %d bytes",
		             e->path, MCU_ADMISSION_SECRET_MAX);
out:
	explicit_bzero(buf, sizeof(buf));
	close(fd);
	return err;
}

static struct secret *secret_slot(struct mcu_admission_secrets *s,
                                  const char *path)
{
	for (size_t i = 0; i < s->n; i++)
		if (strcmp(s->v[i].path, path) == 0)
			return &s->v[i];
	char *dup = strdup(path);
	if (!dup)
		return NULL;
	if (s->n == s->cap && s->cap < SECRETS_MAX_ENTRIES) {
		size_t cap = s->cap ? s->cap * 2 : 16;
		struct secret *v = realloc(s->v, cap * sizeof(*v));
		if (!v) {
			free(dup);
			return NULL;
		}
		s->v = v;
		s->cap = cap;
	}
	struct secret *e;
	if (s->n < s->cap) {
		e = &s->v[s->n++];
	} else {
		e = &s->v[s->evict];
		s->evict = (s->evict + 1) % s->n;
		secret_clear(e);
	}
	memset(e, 0, sizeof(*e));
	e->path = dup;
	e->ino = (ino_t)-1; /* never equal to a real file: load on first use */
	return e;
}

int mcu_admission_secret(struct mcu_admission_secrets *s, const char *path,
                         char *buf, size_t size)
{
	struct stat st;
	struct secret *e;
	int err;

	if (buf && size)
		buf[0] = '\0';
	if (!s || !path || !*path || !buf)
		return EINVAL;
	if (stat(path, &st) != 0)
		return errno;
	if (!S_ISREG(st.st_mode))
		return EINVAL;
	err = pthread_mutex_lock(&s->lock);
	if (err)
		return err;
	e = secret_slot(s, path);
	if (!e) {
		err = ENOMEM;
		goto out;
	}
	if (!same_file(e, &st)) {
		err = secret_load(s, e);
		if (err) {
			e->ino = (ino_t)-1;
			goto out;
		}
	}
	err = e->err;
	if (!err) {
		size_t n = strlen(e->value);
		if (n >= size)
			err = ENOSPC;
		else
			memcpy(buf, e->value, n + 1);
	}
out:
	pthread_mutex_unlock(&s->lock);
	return err;
}

unsigned long mcu_admission_secrets_reads(const struct mcu_admission_secrets *s)
{
	return s ? __atomic_load_n(&s->reads, __ATOMIC_RELAXED) : 0;
}
