/* test-libs: mcu_conf mcu_transport */
/*
 * netio: port-pair binding, two sockets on 127.0.0.1 exchanging packets
 * through the I/O thread (recvmmsg/sendmmsg, zero-copy keep), the source
 * filter, and removal from another thread and from a handler.
 */
#include "tests/unit/testutil.h"
#include "transport/netio.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <string.h>
#include <unistd.h>

struct peer {
	unsigned got; /* atomic */
	unsigned bad;
	int reply_fd; /* echo back when >= 0 */
	struct mcu_pkt *kept;
	bool remove_self;
	struct mcu_netio *n;
};

static void on_recv(void *arg, struct mcu_netio_sock *s, struct mcu_pkt *pkt,
                    const struct sockaddr *src, socklen_t srclen,
                    int64_t arrival)
{
	struct peer *p = arg;
	if (pkt->len != 100 || pkt->data[0] != pkt->data[99] || arrival <= 0)
		__atomic_add_fetch(&p->bad, 1, __ATOMIC_RELAXED);
	if (p->reply_fd >= 0)
		mcu_netio_sendto(p->reply_fd, pkt->data, pkt->len, src, srclen);
	if (!p->kept)
		p->kept = mcu_pkt_ref(pkt); /* keep the first, zero copy */
	__atomic_add_fetch(&p->got, 1, __ATOMIC_RELEASE);
	if (p->remove_self)
		mcu_netio_remove(p->n, s);
}

static struct sockaddr_in lo_addr(uint16_t port)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	return a;
}

static int bound(uint16_t *port)
{
	struct sockaddr_in a = lo_addr(0);
	socklen_t l = sizeof(a);
	int fd = -1;
	assert_int_equal(mcu_netio_bind(&fd, (struct sockaddr *)&a, sizeof(a)),
	                 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &l), 0);
	*port = ntohs(a.sin_port);
	return fd;
}

static bool wait_for(unsigned *counter, unsigned want)
{
	for (int i = 0; i < 2000; i++) {
		if (__atomic_load_n(counter, __ATOMIC_ACQUIRE) >= want)
			return true;
		usleep(1000);
	}
	return false;
}

/* Numeric IPv4/IPv6 addresses with a port, and nothing else. */
static void numeric_addresses(void **state)
{
	struct sockaddr_storage ss;
	socklen_t len = 0;
	(void)state;
	assert_int_equal(mcu_netio_addr("127.0.0.1", 5060, &ss, &len), 0);
	assert_int_equal(ss.ss_family, AF_INET);
	assert_int_equal(len, sizeof(struct sockaddr_in));
	assert_int_equal(mcu_netio_addr_port(&ss), 5060);
	mcu_netio_addr_set_port(&ss, 9);
	assert_int_equal(mcu_netio_addr_port(&ss), 9);
	assert_int_equal(mcu_netio_addr("::1", 40000, &ss, NULL), 0);
	assert_int_equal(ss.ss_family, AF_INET6);
	assert_int_equal(mcu_netio_addr_port(&ss), 40000);
	assert_int_equal(mcu_netio_addr("mcu.example", 1, &ss, &len), EINVAL);
	assert_int_equal(mcu_netio_addr("127.0.0.1:5060", 1, &ss, &len),
	                 EINVAL);
	assert_int_equal(mcu_netio_addr(NULL, 1, &ss, &len), EINVAL);
	assert_int_equal(mcu_netio_addr_port(&ss), 0);
}

static void bind_pair(void **state)
{
	struct sockaddr_in a = lo_addr(0);
	int r1, c1, r2, c2, r3, c3;
	uint16_t p1, p2, p3;
	assert_int_equal(mcu_netio_bind_pair(&r1, &c1, (struct sockaddr *)&a,
	                                     sizeof(a), 41001, 41004, &p1),
	                 0);
	assert_int_equal(p1 % 2, 0);
	assert_int_equal(p1, 41002); /* the only pair in range */
	struct sockaddr_in got;
	socklen_t l = sizeof(got);
	getsockname(c1, (struct sockaddr *)&got, &l);
	assert_int_equal(ntohs(got.sin_port), p1 + 1);
	assert_true(fcntl(r1, F_GETFL) & O_NONBLOCK);
	/* 41001..41005 holds 41002 and 41004 */
	assert_int_equal(mcu_netio_bind_pair(&r2, &c2, (struct sockaddr *)&a,
	                                     sizeof(a), 41001, 41005, &p2),
	                 0);
	assert_int_not_equal(p1, p2);
	assert_int_equal(mcu_netio_bind_pair(&r3, &c3, (struct sockaddr *)&a,
	                                     sizeof(a), 41001, 41005, &p3),
	                 EADDRINUSE);
	assert_int_equal(mcu_netio_bind_pair(&r3, &c3, (struct sockaddr *)&a,
	                                     sizeof(a), 41004, 41004, &p3),
	                 EINVAL); /* no room for RTCP */
	close(r1);
	close(c1);
	close(r2);
	close(c2);
	/* freed ports come back */
	assert_int_equal(mcu_netio_bind_pair(&r3, &c3, (struct sockaddr *)&a,
	                                     sizeof(a), 41002, 41003, &p3),
	                 0);
	assert_int_equal(p3, 41002);
	close(r3);
	close(c3);
}

static void exchange(void **state)
{
	struct mcu_netio *n = NULL;
	struct mcu_netio_sock *sa, *sb;
	struct peer pa = {.reply_fd = -1}, pb = {0};
	uint16_t port_a, port_b;
	int fa = bound(&port_a), fb = bound(&port_b);
	pb.reply_fd = fb; /* B echoes everything to its source */
	assert_int_equal(mcu_netio_alloc(&n), 0);
	assert_int_equal(mcu_netio_add(n, fa, on_recv, &pa, &sa), 0);
	assert_int_equal(mcu_netio_add(n, fb, on_recv, &pb, &sb), 0);
	assert_int_equal(mcu_netio_start(n), 0);

	/* 100 datagrams A -> B with sendmmsg, header + shared payload */
	struct sockaddr_in to_b = lo_addr(port_b);
	static uint8_t hdr[100][10], payload[90];
	struct iovec iov[100][2];
	struct mcu_netio_out out[100];
	for (int i = 0; i < 100; i++) {
		memset(hdr[i], i, 10);
		iov[i][0] = (struct iovec){hdr[i], 10};
		iov[i][1] = (struct iovec){payload, 90};
		out[i] = (struct mcu_netio_out){
		    iov[i], 2, (struct sockaddr *)&to_b, sizeof(to_b)};
	}
	for (int i = 0; i < 90; i++)
		payload[i] = (uint8_t)(i == 89 ? 0 : 0x77);
	/* last byte must equal the first: make the payload end with hdr[0]
	 * for each message by sending them one pattern at a time */
	unsigned sent = 0;
	for (int i = 0; i < 100; i++) {
		payload[89] = (uint8_t)i;
		assert_int_equal(mcu_netio_send_batch(fa, &out[i], 1, &sent),
		                 0);
		assert_int_equal(sent, 1);
	}
	assert_true(wait_for(&pb.got, 100));
	assert_true(wait_for(&pa.got, 100)); /* the echoes */
	assert_int_equal(pa.bad + pb.bad, 0);
	/* a batch of many at once */
	payload[89] = 0x42;
	for (int i = 0; i < 100; i++)
		memset(hdr[i], 0x42, 10);
	assert_int_equal(mcu_netio_send_batch(fa, out, 100, &sent), 0);
	assert_int_equal(sent, 100);
	assert_true(wait_for(&pb.got, 200));
	struct mcu_netio_sock_stats st;
	mcu_netio_sock_stats(sb, &st);
	assert_int_equal(st.packets, 200);
	assert_int_equal(st.bytes, 200 * 100);
	/* the first packet kept by reference is intact after 199 more */
	assert_non_null(pb.kept);
	assert_int_equal(pb.kept->len, 100);
	assert_int_equal(pb.kept->data[0], 0);
	assert_int_equal(mcu_pkt_refs(pb.kept), 1);

	mcu_netio_remove(n, sb); /* from this (non-I/O) thread */
	mcu_netio_stop(n);
	n = mcu_netio_free(n); /* closes fa */
	pa.kept = mcu_pkt_put(pa.kept);
	pb.kept = mcu_pkt_put(pb.kept);
}

static void source_filter(void **state)
{
	struct mcu_netio *n = NULL;
	struct mcu_netio_sock *sb;
	struct peer pb = {.reply_fd = -1};
	uint16_t pa_port, pb_port, pc_port;
	int fa = bound(&pa_port), fb = bound(&pb_port), fc = bound(&pc_port);
	uint8_t msg[100];
	memset(msg, 5, sizeof(msg));
	assert_int_equal(mcu_netio_alloc(&n), 0);
	assert_int_equal(mcu_netio_add(n, fb, on_recv, &pb, &sb), 0);
	struct sockaddr_in a = lo_addr(pa_port), to_b = lo_addr(pb_port);
	assert_int_equal(
	    mcu_netio_set_remote(sb, (struct sockaddr *)&a, sizeof(a), true),
	    0);
	assert_int_equal(mcu_netio_start(n), 0);
	/* C (another port) is rejected, A is accepted */
	assert_int_equal(mcu_netio_sendto(fc, msg, 100,
	                                  (struct sockaddr *)&to_b,
	                                  sizeof(to_b)),
	                 0);
	assert_int_equal(mcu_netio_sendto(fa, msg, 100,
	                                  (struct sockaddr *)&to_b,
	                                  sizeof(to_b)),
	                 0);
	assert_true(wait_for(&pb.got, 1));
	struct mcu_netio_sock_stats st;
	for (int i = 0; i < 2000; i++) {
		mcu_netio_sock_stats(sb, &st);
		if (st.rejected)
			break;
		usleep(1000);
	}
	assert_int_equal(st.rejected, 1);
	assert_int_equal(st.packets, 1);
	/* host-only filter: C passes now */
	assert_int_equal(
	    mcu_netio_set_remote(sb, (struct sockaddr *)&a, sizeof(a), false),
	    0);
	mcu_netio_sendto(fc, msg, 100, (struct sockaddr *)&to_b, sizeof(to_b));
	assert_true(wait_for(&pb.got, 2));
	/* another host: 127.0.0.2 is loopback too but not the remote */
	struct sockaddr_in other = lo_addr(0);
	other.sin_addr.s_addr = htonl(0x7f000002);
	int fd2 = -1;
	if (mcu_netio_bind(&fd2, (struct sockaddr *)&other, sizeof(other)) ==
	    0) {
		mcu_netio_sendto(fd2, msg, 100, (struct sockaddr *)&to_b,
		                 sizeof(to_b));
		for (int i = 0; i < 2000; i++) {
			mcu_netio_sock_stats(sb, &st);
			if (st.rejected == 2)
				break;
			usleep(1000);
		}
		assert_int_equal(st.rejected, 2);
		close(fd2);
	}
	/* oversized datagram: truncated and dropped */
	static uint8_t big[4000];
	mcu_netio_sendto(fa, big, sizeof(big), (struct sockaddr *)&to_b,
	                 sizeof(to_b));
	for (int i = 0; i < 2000; i++) {
		mcu_netio_sock_stats(sb, &st);
		if (st.truncated)
			break;
		usleep(1000);
	}
	assert_int_equal(st.truncated, 1);
	assert_int_equal(pb.bad, 0);
	n = mcu_netio_free(n);
	pb.kept = mcu_pkt_put(pb.kept);
	close(fa);
	close(fc);
}

/*
 * The filter is in place from the moment the socket is added: datagrams
 * the kernel queued before (a port reserved for a call before its leg
 * exists) and datagrams arriving while the running thread picks the
 * socket up are rejected unless they come from the remote's address and
 * port; nothing from elsewhere ever reaches the handler.
 */
static void filter_from_the_start(void **state)
{
	struct mcu_netio *n = NULL;
	struct mcu_netio_sock *sb = NULL;
	struct peer pb = {.reply_fd = -1};
	uint16_t pa_port, pb_port, pc_port;
	int fa = bound(&pa_port), fb = bound(&pb_port), fc = bound(&pc_port);
	uint8_t good[100], evil[100];
	(void)state;
	memset(good, 5, sizeof(good));
	memset(evil, 7, sizeof(evil));
	struct sockaddr_in a = lo_addr(pa_port), to_b = lo_addr(pb_port);
	/* queued before the socket is added: 20 from C, then one from A */
	for (int i = 0; i < 20; i++)
		assert_int_equal(mcu_netio_sendto(fc, evil, 100,
		                                  (struct sockaddr *)&to_b,
		                                  sizeof(to_b)),
		                 0);
	assert_int_equal(mcu_netio_sendto(fa, good, 100,
	                                  (struct sockaddr *)&to_b,
	                                  sizeof(to_b)),
	                 0);
	assert_int_equal(mcu_netio_alloc(&n), 0);
	assert_int_equal(mcu_netio_start(n), 0); /* running already */
	/* a bad filter address: refused, the fd not taken */
	struct sockaddr un = {.sa_family = AF_UNIX};
	struct mcu_netio_filter bad = {.addr = &un, .len = sizeof(un)};
	assert_int_equal(mcu_netio_add_filtered(n, fb, &bad, on_recv, &pb, &sb),
	                 EINVAL);
	assert_null(sb);
	struct mcu_netio_filter f = {.addr = (struct sockaddr *)&a,
	                             .len = sizeof(a), .match_port = true};
	assert_int_equal(mcu_netio_add_filtered(n, fb, &f, on_recv, &pb, &sb),
	                 0);
	/* and more from C while the thread takes the socket up */
	for (int i = 0; i < 20; i++)
		mcu_netio_sendto(fc, evil, 100, (struct sockaddr *)&to_b,
		                 sizeof(to_b));
	mcu_netio_sendto(fa, good, 100, (struct sockaddr *)&to_b, sizeof(to_b));
	assert_true(wait_for(&pb.got, 2));
	struct mcu_netio_sock_stats st;
	for (int i = 0; i < 2000; i++) {
		mcu_netio_sock_stats(sb, &st);
		if (st.rejected >= 40)
			break;
		usleep(1000);
	}
	assert_int_equal(st.rejected, 40);
	assert_int_equal(st.packets, 2);
	assert_int_equal(__atomic_load_n(&pb.got, __ATOMIC_ACQUIRE), 2);
	assert_int_equal(pb.bad, 0);
	/* the first datagram delivered was A's, not a queued one of C */
	assert_non_null(pb.kept);
	assert_int_equal(pb.kept->data[0], 5);
	n = mcu_netio_free(n);
	pb.kept = mcu_pkt_put(pb.kept);
	close(fa);
	close(fc);
}

static void remove_in_handler(void **state)
{
	struct mcu_netio *n = NULL;
	struct mcu_netio_sock *sb;
	struct peer pb = {.reply_fd = -1, .remove_self = true};
	uint16_t pa_port, pb_port;
	int fa = bound(&pa_port), fb = bound(&pb_port);
	uint8_t msg[100] = {0};
	assert_int_equal(mcu_netio_alloc(&n), 0);
	pb.n = n;
	assert_int_equal(mcu_netio_add(n, fb, on_recv, &pb, &sb), 0);
	assert_int_equal(mcu_netio_start(n), 0);
	struct sockaddr_in to_b = lo_addr(pb_port);
	for (int i = 0; i < 5; i++)
		mcu_netio_sendto(fa, msg, 100, (struct sockaddr *)&to_b,
		                 sizeof(to_b));
	assert_true(wait_for(&pb.got, 1));
	usleep(20000);
	/* removed at the first packet: nothing more was delivered */
	assert_int_equal(__atomic_load_n(&pb.got, __ATOMIC_ACQUIRE), 1);
	mcu_netio_stop(n);
	mcu_netio_stop(n); /* twice is fine */
	n = mcu_netio_free(n);
	pb.kept = mcu_pkt_put(pb.kept);
	close(fa);
}

/* clang-format off */
const struct CMUnitTest tests[] = {
	cmocka_unit_test(bind_pair),
	cmocka_unit_test(numeric_addresses),
	cmocka_unit_test(exchange),
	cmocka_unit_test(source_filter),
	cmocka_unit_test(filter_from_the_start),
	cmocka_unit_test(remove_in_handler),
};
/* clang-format on */

MCU_TEST_MAIN(tests, NULL, NULL)
