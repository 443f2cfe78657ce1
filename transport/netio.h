/*
 * netio: UDP sockets for media and the network I/O thread (design.md
 * "Threads"). Owns:
 *  - binding: one non-blocking UDP socket at a fixed address, or an RTP/
 *    RTCP pair (even port, odd port + 1) from a configured port range;
 *  - the I/O thread object: epoll over many sockets, recvmmsg batches
 *    straight into reference-counted packets (struct mcu_pkt) that a
 *    handler may keep without a copy, arrival time from CLOCK_MONOTONIC
 *    once per batch, a per-socket source-address filter (only the
 *    expected remote host, optionally port; rejects counted), clean
 *    start/stop through an eventfd;
 *  - sending: sendto and sendmmsg wrappers (a socket send is thread-safe,
 *    so any thread may send on any socket; iovecs let the fan-out send a
 *    per-endpoint header and a shared payload without joining them).
 *
 * One reader per socket: a socket is registered with one netio. Handlers
 * run on that netio's thread and must not block. mcu_netio_remove() is
 * synchronous: once it returns the handler is never called again for
 * that socket, so the caller may free what `arg` points to.
 *
 * Callers: mcu/ (one netio per core; call legs register their sockets).
 */
#ifndef MCU_TRANSPORT_NETIO_H
#define MCU_TRANSPORT_NETIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include "transport/pkt.h"

/* Datagrams per recvmmsg call, and the largest one received whole. */
#define MCU_NETIO_BATCH     32
#define MCU_NETIO_MAX_DGRAM 2048

struct mcu_netio;
struct mcu_netio_sock;

/*
 * A received datagram: pkt->data/len hold it. The handler may keep it by
 * taking a reference (mcu_pkt_ref); otherwise the buffer is reused.
 */
typedef void(mcu_netio_recv_h)(void *arg, struct mcu_netio_sock *sock,
                               struct mcu_pkt *pkt, const struct sockaddr *src,
                               socklen_t srclen, int64_t arrival_us);

struct mcu_netio_sock_stats {
	uint64_t packets; /* delivered to the handler */
	uint64_t bytes;
	uint64_t rejected;  /* failed the source filter */
	uint64_t truncated; /* larger than MCU_NETIO_MAX_DGRAM, dropped */
};

/* CLOCK_MONOTONIC in microseconds. */
int64_t mcu_netio_now_us(void);

/* A non-blocking UDP socket bound to addr (port 0: any). Returns 0 or an
 * errno; *fdp set on success. Never SO_REUSEADDR/SO_REUSEPORT: a port
 * another socket or process holds is EADDRINUSE, two never share one. */
int mcu_netio_bind(int *fdp, const struct sockaddr *addr, socklen_t len);

/*
 * An RTP/RTCP pair on addr's host: RTP on an even port P in
 * [port_min, port_max], RTCP on P + 1. Successive calls start at
 * different ports so recently freed ones are not reused at once.
 * Returns 0 (fds and *port set), EINVAL or EADDRINUSE (range full).
 */
int mcu_netio_bind_pair(int *rtp_fd, int *rtcp_fd, const struct sockaddr *addr,
                        socklen_t len, uint16_t port_min, uint16_t port_max,
                        uint16_t *port);

/* Create an I/O thread object (not started). Returns 0 or an errno. */
int mcu_netio_alloc(struct mcu_netio **np);
/* Stop, remove and close every socket, free. Returns NULL. */
struct mcu_netio *mcu_netio_free(struct mcu_netio *n);

int mcu_netio_start(struct mcu_netio *n);
/* Wake the thread and join it. Safe to call when not running. */
void mcu_netio_stop(struct mcu_netio *n);

/*
 * Register fd (which the netio then owns and closes) with a handler.
 * Any thread, running or not. Returns 0 (*sp set) or an errno (fd not
 * taken, *sp NULL). *sp is written before the socket is in the epoll
 * set, so the handler may compare its socket argument with it from the
 * first datagram on. The socket accepts datagrams from any source; media
 * sockets use mcu_netio_add_filtered().
 */
int mcu_netio_add(struct mcu_netio *n, int fd, mcu_netio_recv_h *h, void *arg,
                  struct mcu_netio_sock **sp);

/* Where a socket's datagrams must come from (see mcu_netio_set_remote). */
struct mcu_netio_filter {
	const struct sockaddr *addr; /* NULL: any source */
	socklen_t len;
	bool match_port; /* the port too, not only the host */
};

/*
 * mcu_netio_add() with the source filter in place before the socket is
 * in the epoll set, so that no datagram -- not even one the kernel
 * queued before the call -- reaches the handler from another source
 * (RTP Bleed class: there is no window in which anything is accepted).
 * Returns 0, EINVAL (bad filter address: fd not taken) or an errno.
 */
int mcu_netio_add_filtered(struct mcu_netio *n, int fd,
                           const struct mcu_netio_filter *f,
                           mcu_netio_recv_h *h, void *arg,
                           struct mcu_netio_sock **sp);

/* Unregister, close and free; synchronous (see above). Any thread,
 * including the handler of that socket. */
void mcu_netio_remove(struct mcu_netio *n, struct mcu_netio_sock *s);

int mcu_netio_sock_fd(const struct mcu_netio_sock *s);

/*
 * Accept datagrams only from addr's host (and port when match_port); NULL
 * accepts all. Any thread. Returns 0 or EINVAL.
 */
int mcu_netio_set_remote(struct mcu_netio_sock *s, const struct sockaddr *addr,
                         socklen_t len, bool match_port);

void mcu_netio_sock_stats(const struct mcu_netio_sock *s,
                          struct mcu_netio_sock_stats *st);

/* A numeric IPv4 or IPv6 address and a port as a socket address (*len
 * its length, may be NULL). 0 or EINVAL. */
int mcu_netio_addr(const char *host, uint16_t port,
                   struct sockaddr_storage *ss, socklen_t *len);
/* The port of an IPv4/IPv6 address (0 for others), and setting it. */
uint16_t mcu_netio_addr_port(const struct sockaddr_storage *ss);
void mcu_netio_addr_set_port(struct sockaddr_storage *ss, uint16_t port);

/* Send one datagram; returns 0 or an errno (EAGAIN: socket buffer full,
 * the packet is dropped). */
int mcu_netio_sendto(int fd, const void *buf, size_t len,
                     const struct sockaddr *dst, socklen_t dstlen);

struct mcu_netio_out {
	const struct iovec *iov; /* gathered into one datagram */
	unsigned iovcnt;
	const struct sockaddr *dst;
	socklen_t dstlen;
};

/*
 * Send up to n datagrams with sendmmsg (batches of MCU_NETIO_BATCH).
 * *sent says how many left; returns 0 when all did, else the errno that
 * stopped it.
 */
int mcu_netio_send_batch(int fd, const struct mcu_netio_out *msgs, unsigned n,
                         unsigned *sent);

#endif
