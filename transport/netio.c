/*
 * netio: UDP binding, the epoll/recvmmsg I/O thread and send helpers (see
 * netio.h).
 *
 * Removal without use-after-free: the thread counts finished epoll batches
 * (`epoch`, under `lock`). A remover on another thread deletes the socket
 * from epoll, marks it dead (the thread skips dead sockets), wakes the
 * thread and waits until the batch in progress -- the only one that can
 * still name the socket -- has finished. A handler removing its own socket
 * (or another) on the I/O thread marks it dead and parks it on a list the
 * thread frees when the batch ends. No lock is held while handlers run.
 */
#define MCU_LOG_MODULE "netio"
#include "conf/log.h"
#include "conf/pi_mutex.h"
#include "transport/netio.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#define MAX_EVENTS       64
#define ROUNDS_PER_EVENT 4 /* recvmmsg calls per ready socket per batch */

struct mcu_netio_sock {
	int fd;
	mcu_netio_recv_h *h;
	void *arg;
	int dead; /* atomic */
	struct mcu_netio_sock *next_dead;
	pthread_mutex_t flock; /* guards the filter */
	bool filter;
	bool match_port;
	struct sockaddr_storage remote;
	/* written by the I/O thread, read anywhere (atomics) */
	uint64_t packets, bytes, rejected, truncated;
};

struct mcu_netio {
	int ep;
	int wake_fd;
	pthread_t thread;
	bool running; /* only changed by start/stop */
	int stop;     /* atomic */
	pthread_mutex_t lock;
	pthread_cond_t cond;
	uint64_t epoch;                /* guarded by lock */
	struct mcu_netio_sock **socks; /* registered, guarded by lock */
	unsigned n_socks, cap_socks;
	struct mcu_netio_sock *graveyard; /* I/O thread only */
	/* I/O thread only: receive batch */
	struct mcu_pkt *pkts[MCU_NETIO_BATCH];
	struct mmsghdr msgs[MCU_NETIO_BATCH];
	struct iovec iov[MCU_NETIO_BATCH];
	struct sockaddr_storage src[MCU_NETIO_BATCH];
};

int64_t mcu_netio_now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* ---- binding ---------------------------------------------------------- */

int mcu_netio_bind(int *fdp, const struct sockaddr *addr, socklen_t len)
{
	if (!fdp || !addr ||
	    (addr->sa_family != AF_INET && addr->sa_family != AF_INET6))
		return EINVAL;
	int fd = socket(addr->sa_family,
	                SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return errno;
	if (bind(fd, addr, len) != 0) {
		int err = errno;
		close(fd);
		return err;
	}
	*fdp = fd;
	return 0;
}

static void set_port(struct sockaddr_storage *ss, uint16_t port)
{
	if (ss->ss_family == AF_INET)
		((struct sockaddr_in *)ss)->sin_port = htons(port);
	else
		((struct sockaddr_in6 *)ss)->sin6_port = htons(port);
}

static int try_pair(int *a, int *b, struct sockaddr_storage *ss, socklen_t len,
                    uint16_t port)
{
	set_port(ss, port);
	if (mcu_netio_bind(a, (struct sockaddr *)ss, len))
		return EADDRINUSE;
	set_port(ss, (uint16_t)(port + 1));
	if (mcu_netio_bind(b, (struct sockaddr *)ss, len)) {
		close(*a);
		return EADDRINUSE;
	}
	return 0;
}

int mcu_netio_bind_pair(int *rtp_fd, int *rtcp_fd, const struct sockaddr *addr,
                        socklen_t len, uint16_t port_min, uint16_t port_max,
                        uint16_t *port)
{
	static unsigned rotor;
	struct sockaddr_storage ss;

	if (!rtp_fd || !rtcp_fd || !addr || len > sizeof(ss) || !port ||
	    (addr->sa_family != AF_INET && addr->sa_family != AF_INET6))
		return EINVAL;
	uint32_t lo = (port_min + 1u) & ~1u; /* first even port */
	if (port_min == 0 || lo + 1 > port_max)
		return EINVAL; /* RTCP (P + 1) must be in the range too */
	uint32_t pairs = (port_max - lo - 1) / 2 + 1;
	memcpy(&ss, addr, len);
	unsigned start = __atomic_fetch_add(&rotor, 1, __ATOMIC_RELAXED);
	for (uint32_t i = 0; i < pairs; i++) {
		uint16_t p = (uint16_t)(lo + 2 * ((start + i) % pairs));
		if (try_pair(rtp_fd, rtcp_fd, &ss, len, p) == 0) {
			*port = p;
			return 0;
		}
	}
	return EADDRINUSE;
}

/* ---- thread object ---------------------------------------------------- */

static struct mcu_netio_sock *sock_free(struct mcu_netio_sock *s)
{
	if (s) {
		close(s->fd);
		pthread_mutex_destroy(&s->flock);
		free(s);
	}
	return NULL;
}

int mcu_netio_alloc(struct mcu_netio **np)
{
	struct mcu_netio *n;
	int err = 0;

	if (!np)
		return EINVAL;
	n = calloc(1, sizeof(*n));
	if (!n)
		return ENOMEM;
	n->ep = n->wake_fd = -1;
	err = mcu_mutex_init_pi(&n->lock);
	if (err) {
		free(n);
		return err;
	}
	err = pthread_cond_init(&n->cond, NULL);
	if (err)
		goto out;
	n->ep = epoll_create1(EPOLL_CLOEXEC);
	n->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (n->ep < 0 || n->wake_fd < 0) {
		err = errno;
		goto out;
	}
	struct epoll_event ev = {.events = EPOLLIN, .data.ptr = NULL};
	if (epoll_ctl(n->ep, EPOLL_CTL_ADD, n->wake_fd, &ev) != 0) {
		err = errno;
		goto out;
	}
	*np = n;
	return 0;
out:
	mcu_netio_free(n);
	return err;
}

struct mcu_netio *mcu_netio_free(struct mcu_netio *n)
{
	if (!n)
		return NULL;
	mcu_netio_stop(n);
	for (unsigned i = 0; i < n->n_socks; i++)
		sock_free(n->socks[i]);
	free(n->socks);
	for (unsigned i = 0; i < MCU_NETIO_BATCH; i++)
		mcu_pkt_put(n->pkts[i]);
	if (n->ep >= 0)
		close(n->ep);
	if (n->wake_fd >= 0)
		close(n->wake_fd);
	pthread_cond_destroy(&n->cond);
	pthread_mutex_destroy(&n->lock);
	free(n);
	return NULL;
}

static void wake(struct mcu_netio *n)
{
	uint64_t one = 1;
	if (write(n->wake_fd, &one, sizeof(one)) < 0 && errno != EAGAIN)
		mcu_log_warn("eventfd write: %s", strerror(errno));
}

/* ---- receive ---------------------------------------------------------- */

static bool addr_match(const struct sockaddr_storage *want, bool port,
                       const struct sockaddr_storage *got)
{
	if (want->ss_family != got->ss_family)
		return false;
	if (want->ss_family == AF_INET) {
		const struct sockaddr_in *a = (const void *)want;
		const struct sockaddr_in *b = (const void *)got;
		return a->sin_addr.s_addr == b->sin_addr.s_addr &&
		       (!port || a->sin_port == b->sin_port);
	}
	const struct sockaddr_in6 *a = (const void *)want;
	const struct sockaddr_in6 *b = (const void *)got;
	return !memcmp(&a->sin6_addr, &b->sin6_addr, sizeof(a->sin6_addr)) &&
	       (!port || a->sin6_port == b->sin6_port);
}

/* Make sure every batch slot has a fresh packet; returns how many
 * consecutive slots from 0 are ready. */
static unsigned refill(struct mcu_netio *n)
{
	for (unsigned i = 0; i < MCU_NETIO_BATCH; i++) {
		if (!n->pkts[i] &&
		    mcu_pkt_alloc(&n->pkts[i], MCU_NETIO_MAX_DGRAM))
			return i;
		n->iov[i].iov_base = n->pkts[i]->buf;
		n->iov[i].iov_len = MCU_NETIO_MAX_DGRAM;
		memset(&n->msgs[i].msg_hdr, 0, sizeof(n->msgs[i].msg_hdr));
		n->msgs[i].msg_hdr.msg_name = &n->src[i];
		n->msgs[i].msg_hdr.msg_namelen = sizeof(n->src[i]);
		n->msgs[i].msg_hdr.msg_iov = &n->iov[i];
		n->msgs[i].msg_hdr.msg_iovlen = 1;
	}
	return MCU_NETIO_BATCH;
}

static void deliver(struct mcu_netio *n, struct mcu_netio_sock *s, unsigned i,
                    int64_t now)
{
	struct mcu_pkt *p = n->pkts[i];

	p->data = p->buf;
	p->len = n->msgs[i].msg_len;
	__atomic_add_fetch(&s->packets, 1, __ATOMIC_RELAXED);
	__atomic_add_fetch(&s->bytes, p->len, __ATOMIC_RELAXED);
	s->h(s->arg, s, p, (struct sockaddr *)&n->src[i],
	     n->msgs[i].msg_hdr.msg_namelen, now);
	if (mcu_pkt_refs(p) > 1) /* the handler kept it: use a new one */
		n->pkts[i] = mcu_pkt_put(p);
}

/* One recvmmsg round; returns how many datagrams came (0: drained). */
static int receive_round(struct mcu_netio *n, struct mcu_netio_sock *s)
{
	struct sockaddr_storage remote;
	bool filter, match_port;
	unsigned ready = refill(n);

	if (ready == 0)
		return 0;
	int got = recvmmsg(s->fd, n->msgs, ready, MSG_DONTWAIT, NULL);
	if (got <= 0) {
		if (got < 0 && errno != EAGAIN && errno != EINTR)
			mcu_log_ratelimited(MCU_LOG_WARN, 5000, "recvmmsg: %s",
			                    strerror(errno));
		return 0;
	}
	int64_t now = mcu_netio_now_us();
	pthread_mutex_lock(&s->flock);
	filter = s->filter;
	match_port = s->match_port;
	remote = s->remote;
	pthread_mutex_unlock(&s->flock);
	for (int i = 0; i < got; i++) {
		if (__atomic_load_n(&s->dead, __ATOMIC_ACQUIRE))
			break;
		if (n->msgs[i].msg_hdr.msg_flags & MSG_TRUNC)
			__atomic_add_fetch(&s->truncated, 1, __ATOMIC_RELAXED);
		else if (filter && !addr_match(&remote, match_port, &n->src[i]))
			__atomic_add_fetch(&s->rejected, 1, __ATOMIC_RELAXED);
		else
			deliver(n, s, (unsigned)i, now);
	}
	return got;
}

static void drain(struct mcu_netio *n, struct mcu_netio_sock *s)
{
	for (int r = 0; r < ROUNDS_PER_EVENT; r++) {
		if (__atomic_load_n(&s->dead, __ATOMIC_ACQUIRE))
			return;
		if (receive_round(n, s) < MCU_NETIO_BATCH)
			return;
	}
}

static void end_batch(struct mcu_netio *n)
{
	pthread_mutex_lock(&n->lock);
	n->epoch++;
	pthread_cond_broadcast(&n->cond);
	pthread_mutex_unlock(&n->lock);
	while (n->graveyard) {
		struct mcu_netio_sock *s = n->graveyard;
		n->graveyard = s->next_dead;
		sock_free(s);
	}
}

static void *thread_main(void *arg)
{
	struct mcu_netio *n = arg;
	struct epoll_event evs[MAX_EVENTS];

	while (!__atomic_load_n(&n->stop, __ATOMIC_ACQUIRE)) {
		int k = epoll_wait(n->ep, evs, MAX_EVENTS, -1);
		if (k < 0 && errno != EINTR) {
			mcu_log_error("epoll_wait: %s", strerror(errno));
			break;
		}
		for (int i = 0; i < k; i++) {
			struct mcu_netio_sock *s = evs[i].data.ptr;
			if (!s) {
				uint64_t v;
				if (read(n->wake_fd, &v, sizeof(v)) < 0 &&
				    errno != EAGAIN)
					mcu_log_warn("eventfd: %s",
					             strerror(errno));
				continue;
			}
			if (!__atomic_load_n(&s->dead, __ATOMIC_ACQUIRE))
				drain(n, s);
		}
		end_batch(n);
	}
	end_batch(n);
	return NULL;
}

int mcu_netio_start(struct mcu_netio *n)
{
	if (!n || n->running)
		return EINVAL;
	__atomic_store_n(&n->stop, 0, __ATOMIC_RELEASE);
	int err = pthread_create(&n->thread, NULL, thread_main, n);
	if (!err)
		pthread_setname_np(n->thread, "mcud-netio");
	if (err)
		return err;
	n->running = true;
	return 0;
}

void mcu_netio_stop(struct mcu_netio *n)
{
	if (!n || !n->running)
		return;
	__atomic_store_n(&n->stop, 1, __ATOMIC_RELEASE);
	wake(n);
	int err = pthread_join(n->thread, NULL);
	if (err)
		mcu_log_error("pthread_join: %s", strerror(err));
	n->running = false;
}

/* ---- sockets ---------------------------------------------------------- */

static int track(struct mcu_netio *n, struct mcu_netio_sock *s)
{
	if (n->n_socks == n->cap_socks) {
		unsigned cap = n->cap_socks ? n->cap_socks * 2 : 16;
		void *ns = realloc(n->socks, cap * sizeof(*n->socks));
		if (!ns)
			return ENOMEM;
		n->socks = ns;
		n->cap_socks = cap;
	}
	n->socks[n->n_socks++] = s;
	return 0;
}

static void untrack(struct mcu_netio *n, struct mcu_netio_sock *s)
{
	for (unsigned i = 0; i < n->n_socks; i++) {
		if (n->socks[i] == s) {
			n->socks[i] = n->socks[--n->n_socks];
			return;
		}
	}
}

static bool filter_valid(const struct mcu_netio_filter *f)
{
	if (!f || !f->addr)
		return true;
	if (f->len > sizeof(struct sockaddr_storage))
		return false;
	if (f->addr->sa_family == AF_INET)
		return f->len >= sizeof(struct sockaddr_in);
	if (f->addr->sa_family == AF_INET6)
		return f->len >= sizeof(struct sockaddr_in6);
	return false;
}

int mcu_netio_add(struct mcu_netio *n, int fd, mcu_netio_recv_h *h, void *arg,
                  struct mcu_netio_sock **sp)
{
	return mcu_netio_add_filtered(n, fd, NULL, h, arg, sp);
}

int mcu_netio_add_filtered(struct mcu_netio *n, int fd,
                           const struct mcu_netio_filter *f,
                           mcu_netio_recv_h *h, void *arg,
                           struct mcu_netio_sock **sp)
{
	struct mcu_netio_sock *s;
	int err;

	if (!n || fd < 0 || !h || !sp || !filter_valid(f))
		return EINVAL;
	s = calloc(1, sizeof(*s));
	if (!s)
		return ENOMEM;
	err = mcu_mutex_init_pi(&s->flock);
	if (err) {
		free(s);
		return err;
	}
	s->fd = fd;
	s->h = h;
	s->arg = arg;
	/* The filter first: the I/O thread may read the socket as soon as
	   it is in the epoll set below. */
	if (f && f->addr) {
		pthread_mutex_lock(&s->flock);
		s->filter = true;
		s->match_port = f->match_port;
		memcpy(&s->remote, f->addr, f->len);
		pthread_mutex_unlock(&s->flock);
	}
	struct epoll_event ev = {.events = EPOLLIN, .data.ptr = s};
	/* The caller's handle before the socket joins the epoll set: a
	   datagram already queued is delivered at once, and a handler
	   tells its sockets apart by these handles (mcu/leg.c). Found by
	   ThreadSanitizer: set afterwards, the first datagrams could be
	   taken for another stream's. */
	*sp = s;
	pthread_mutex_lock(&n->lock);
	err = track(n, s);
	if (!err && epoll_ctl(n->ep, EPOLL_CTL_ADD, fd, &ev) != 0) {
		err = errno;
		untrack(n, s);
	}
	pthread_mutex_unlock(&n->lock);
	if (err) {
		*sp = NULL;
		pthread_mutex_destroy(&s->flock);
		free(s);
		return err;
	}
	return 0;
}

void mcu_netio_remove(struct mcu_netio *n, struct mcu_netio_sock *s)
{
	if (!n || !s)
		return;
	bool on_thread = n->running && pthread_equal(pthread_self(), n->thread);
	pthread_mutex_lock(&n->lock);
	epoll_ctl(n->ep, EPOLL_CTL_DEL, s->fd, NULL);
	__atomic_store_n(&s->dead, 1, __ATOMIC_RELEASE);
	untrack(n, s);
	if (on_thread) {
		pthread_mutex_unlock(&n->lock);
		s->next_dead = n->graveyard;
		n->graveyard = s;
		return;
	}
	if (n->running) {
		uint64_t e = n->epoch;
		wake(n);
		while (n->epoch == e && n->running)
			pthread_cond_wait(&n->cond, &n->lock);
	}
	pthread_mutex_unlock(&n->lock);
	sock_free(s);
}

int mcu_netio_sock_fd(const struct mcu_netio_sock *s)
{
	return s ? s->fd : -1;
}

int mcu_netio_set_remote(struct mcu_netio_sock *s, const struct sockaddr *addr,
                         socklen_t len, bool match_port)
{
	if (!s || (addr &&
	           (len > sizeof(s->remote) || (addr->sa_family != AF_INET &&
	                                        addr->sa_family != AF_INET6))))
		return EINVAL;
	pthread_mutex_lock(&s->flock);
	s->filter = addr != NULL;
	s->match_port = match_port;
	memset(&s->remote, 0, sizeof(s->remote));
	if (addr)
		memcpy(&s->remote, addr, len);
	pthread_mutex_unlock(&s->flock);
	return 0;
}

void mcu_netio_sock_stats(const struct mcu_netio_sock *s,
                          struct mcu_netio_sock_stats *st)
{
	st->packets = __atomic_load_n(&s->packets, __ATOMIC_RELAXED);
	st->bytes = __atomic_load_n(&s->bytes, __ATOMIC_RELAXED);
	st->rejected = __atomic_load_n(&s->rejected, __ATOMIC_RELAXED);
	st->truncated = __atomic_load_n(&s->truncated, __ATOMIC_RELAXED);
}

/* ---- send ------------------------------------------------------------- */

int mcu_netio_sendto(int fd, const void *buf, size_t len,
                     const struct sockaddr *dst, socklen_t dstlen)
{
	ssize_t r = sendto(fd, buf, len, MSG_DONTWAIT, dst, dstlen);
	if (r < 0)
		return errno;
	return (size_t)r == len ? 0 : EMSGSIZE;
}

int mcu_netio_send_batch(int fd, const struct mcu_netio_out *msgs, unsigned n,
                         unsigned *sent)
{
	struct mmsghdr mm[MCU_NETIO_BATCH];
	unsigned done = 0;
	int err = 0;

	while (done < n) {
		unsigned k =
		    n - done < MCU_NETIO_BATCH ? n - done : MCU_NETIO_BATCH;
		memset(mm, 0, sizeof(mm[0]) * k);
		for (unsigned i = 0; i < k; i++) {
			const struct mcu_netio_out *o = &msgs[done + i];
			mm[i].msg_hdr.msg_name = (void *)o->dst;
			mm[i].msg_hdr.msg_namelen = o->dstlen;
			mm[i].msg_hdr.msg_iov = (struct iovec *)o->iov;
			mm[i].msg_hdr.msg_iovlen = o->iovcnt;
		}
		int r = sendmmsg(fd, mm, k, MSG_DONTWAIT);
		if (r <= 0) {
			err = r < 0 ? errno : EAGAIN;
			break;
		}
		done += (unsigned)r;
	}
	if (sent)
		*sent = done;
	return err;
}

int mcu_netio_addr(const char *host, uint16_t port,
                   struct sockaddr_storage *ss, socklen_t *len)
{
	struct sockaddr_in *a4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)ss;
	memset(ss, 0, sizeof(*ss));
	if (host && inet_pton(AF_INET, host, &a4->sin_addr) == 1) {
		a4->sin_family = AF_INET;
		a4->sin_port = htons(port);
		if (len)
			*len = sizeof(*a4);
		return 0;
	}
	if (host && inet_pton(AF_INET6, host, &a6->sin6_addr) == 1) {
		a6->sin6_family = AF_INET6;
		a6->sin6_port = htons(port);
		if (len)
			*len = sizeof(*a6);
		return 0;
	}
	return EINVAL;
}

uint16_t mcu_netio_addr_port(const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET)
		return ntohs(((const struct sockaddr_in *)ss)->sin_port);
	if (ss->ss_family == AF_INET6)
		return ntohs(((const struct sockaddr_in6 *)ss)->sin6_port);
	return 0;
}

void mcu_netio_addr_set_port(struct sockaddr_storage *ss, uint16_t port)
{
	if (ss->ss_family == AF_INET)
		((struct sockaddr_in *)ss)->sin_port = htons(port);
	else if (ss->ss_family == AF_INET6)
		((struct sockaddr_in6 *)ss)->sin6_port = htons(port);
}
