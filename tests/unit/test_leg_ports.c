/*
 * RTP ports that another process holds: a pair from a range skips them,
 * one port is never bound twice (no SO_REUSEADDR/SO_REUSEPORT), a leg
 * takes over the sockets a dial-out reserved for its offer (never closed
 * and bound again, so nobody can take them in between), and a fixed port
 * that is taken moves to a fresh pair only where the caller allows it
 * (a re-INVITE, whose answer names the new port).
 */
#include "tests/unit/testutil.h"
#include "mcu/leg.h"
#include "mcu/workpool.h"
#include "transport/netio.h"

#include <arpa/inet.h>
#include <errno.h>
#include <string.h>
#include <unistd.h>

#define SPAN 12 /* ports of the tiny test range: 6 pairs */

static int bind_udp(uint16_t port)
{
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in a = {.sin_family = AF_INET,
	                        .sin_port = htons(port),
	                        .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	if (fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof(a)) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* The first of SPAN free consecutive loopback ports (even), or 0. */
static uint16_t free_range(uint16_t from)
{
	for (uint32_t base = from; base + SPAN < 65000; base += SPAN) {
		int fds[SPAN];
		size_t n = 0;
		while (n < SPAN && (fds[n] = bind_udp((uint16_t)(base + n))) >= 0)
			n++;
		for (size_t i = 0; i < n; i++)
			close(fds[i]);
		if (n == SPAN)
			return (uint16_t)base;
	}
	return 0;
}

static struct sockaddr_in loopback(uint16_t port)
{
	return (struct sockaddr_in){.sin_family = AF_INET,
	                            .sin_port = htons(port),
	                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
}

/* Video-only leg params: local port `port` (0: from the range). */
static void params(struct mcu_leg_params *p, uint16_t port, uint16_t lo,
                   uint16_t hi)
{
	memset(p, 0, sizeof(*p));
	p->id = 1;
	p->label = "ports";
	struct sockaddr_in l = loopback(port), r = loopback(9);
	memcpy(&p->local_video, &l, sizeof(l));
	memcpy(&p->remote_video, &r, sizeof(r));
	p->port_min = lo;
	p->port_max = hi;
	p->has_video = true;
	p->vcodec = MCU_VCODEC_H264;
	p->video_pt = 96;
	p->h264_mode = 1;
	p->out_width = 320;
	p->out_height = 180;
	p->out_bitrate = 200000;
}

struct rig {
	struct mcu_workpool *pool;
	struct mcu_netio *netio;
};

static void rig_up(struct rig *r)
{
	memset(r, 0, sizeof(*r));
	assert_int_equal(mcu_workpool_alloc(&r->pool, 1, 16), 0);
	assert_int_equal(mcu_netio_alloc(&r->netio), 0);
	assert_int_equal(mcu_netio_start(r->netio), 0);
}

static void rig_down(struct rig *r)
{
	r->netio = mcu_netio_free(r->netio);
	r->pool = mcu_workpool_free(r->pool);
}

/* Most pairs of a tiny range held by "another process": the one free
   pair is found; then the range is full; a held port is never bound a
   second time. */
static void pair_skips_taken_ports(void **state)
{
	uint16_t lo = free_range(40000), port = 0;
	int held[SPAN], a = -1, b = -1, c = -1, d = -1;
	struct sockaddr_in any = loopback(0);
	(void)state;

	assert_int_not_equal(lo, 0);
	lo = (uint16_t)(lo + (lo & 1)); /* even: SPAN - 1 ports left, 5 pairs */
	/* pairs 0, 1, 3, 4 taken (pair 1 on its RTCP port only, pair 3 on
	   its RTP port only); pair 2 free */
	size_t nh = 0;
	for (uint16_t p = lo; p < lo + 10; p++) {
		uint16_t pair = (uint16_t)((p - lo) / 2);
		bool rtcp = (p - lo) % 2;
		if (pair == 2 || (pair == 1 && !rtcp) || (pair == 3 && rtcp))
			continue;
		held[nh] = bind_udp(p);
		assert_true(held[nh] >= 0);
		nh++;
	}
	for (int i = 0; i < 20; i++) { /* whatever the rotor's start */
		assert_int_equal(mcu_netio_bind_pair(&a, &b,
		                                     (struct sockaddr *)&any,
		                                     sizeof(any), lo,
		                                     (uint16_t)(lo + 9), &port),
		                 0);
		assert_int_equal(port, lo + 4);
		/* held: neither mcud nor anyone else binds it again */
		assert_int_equal(mcu_netio_bind_pair(&c, &d,
		                                     (struct sockaddr *)&any,
		                                     sizeof(any), lo,
		                                     (uint16_t)(lo + 9), &port),
		                 EADDRINUSE);
		assert_true(bind_udp((uint16_t)(lo + 4)) < 0);
		assert_true(bind_udp((uint16_t)(lo + 5)) < 0);
		close(a);
		close(b);
	}
	struct sockaddr_in fixed = loopback((uint16_t)(lo + 1));
	assert_int_equal(mcu_netio_bind(&a, (struct sockaddr *)&fixed,
	                                sizeof(fixed)),
	                 EADDRINUSE);
	for (size_t i = 0; i < nh; i++)
		close(held[i]);
}

/* A dial-out's reserved sockets: the leg takes them over while the
   caller still holds them (binding the port again would fail), and the
   ports stay bound until the leg is freed. */
static void leg_takes_over_reserved_sockets(void **state)
{
	uint16_t lo = free_range(41000), port = 0;
	struct sockaddr_in any = loopback(0);
	struct mcu_leg_params p;
	struct mcu_leg *leg = NULL;
	struct rig r;
	int fd[2];
	uint16_t v = 0, au = 0;
	(void)state;

	assert_int_not_equal(lo, 0);
	rig_up(&r);
	assert_int_equal(mcu_netio_bind_pair(&fd[0], &fd[1],
	                                     (struct sockaddr *)&any,
	                                     sizeof(any), lo,
	                                     (uint16_t)(lo + SPAN - 1), &port),
	                 0);
	params(&p, port, lo, (uint16_t)(lo + SPAN - 1));
	/* without the sockets the port is busy: our own reservation */
	assert_int_equal(mcu_leg_alloc(&leg, &p, r.netio, r.pool, NULL),
	                 EADDRINUSE);
	assert_null(leg);
	p.video_fds[0] = fd[0];
	p.video_fds[1] = fd[1];
	assert_int_equal(mcu_leg_alloc(&leg, &p, r.netio, r.pool, NULL), 0);
	mcu_leg_local_ports(leg, &v, &au);
	assert_int_equal(v, port);
	/* the caller closes its copies: the leg still holds both ports */
	close(fd[0]);
	close(fd[1]);
	assert_true(bind_udp(port) < 0);
	assert_true(bind_udp((uint16_t)(port + 1)) < 0);
	leg = mcu_leg_free(leg);
	int x = bind_udp(port), y = bind_udp((uint16_t)(port + 1));
	assert_true(x >= 0 && y >= 0); /* freed with the leg */
	close(x);
	close(y);

	/* rtcp-mux: only the RTP socket is used, the RTCP one is let go */
	assert_int_equal(mcu_netio_bind_pair(&fd[0], &fd[1],
	                                     (struct sockaddr *)&any,
	                                     sizeof(any), lo,
	                                     (uint16_t)(lo + SPAN - 1), &port),
	                 0);
	params(&p, port, lo, (uint16_t)(lo + SPAN - 1));
	p.rtcp_mux = true;
	p.video_fds[0] = fd[0];
	p.video_fds[1] = fd[1];
	assert_int_equal(mcu_leg_alloc(&leg, &p, r.netio, r.pool, NULL), 0);
	close(fd[0]);
	close(fd[1]);
	assert_true(bind_udp(port) < 0);
	y = bind_udp((uint16_t)(port + 1));
	assert_true(y >= 0);
	close(y);
	leg = mcu_leg_free(leg);
	rig_down(&r);
}

/* A fixed port another process took: refused (static legs, an offer
   already sent), or a fresh pair where the caller allows it. */
static void taken_fixed_port_moves_only_when_allowed(void **state)
{
	uint16_t lo = free_range(42000);
	struct mcu_leg_params p;
	struct mcu_leg *leg = NULL;
	struct rig r;
	uint16_t v = 0, au = 0;
	(void)state;

	assert_int_not_equal(lo, 0);
	lo = (uint16_t)(lo + (lo & 1));
	uint16_t hi = (uint16_t)(lo + SPAN - 2);
	int thief = bind_udp(lo); /* took the remembered RTP port */
	assert_true(thief >= 0);
	rig_up(&r);
	params(&p, lo, lo, hi);
	assert_int_equal(mcu_leg_alloc(&leg, &p, r.netio, r.pool, NULL),
	                 EADDRINUSE);
	p.port_may_move = true;
	assert_int_equal(mcu_leg_alloc(&leg, &p, r.netio, r.pool, NULL), 0);
	mcu_leg_local_ports(leg, &v, &au);
	assert_true(v != lo && v >= lo && v < hi && v % 2 == 0);
	leg = mcu_leg_free(leg);

	/* RTCP port taken only: the same */
	close(thief);
	thief = bind_udp((uint16_t)(lo + 1));
	assert_true(thief >= 0);
	assert_int_equal(mcu_leg_alloc(&leg, &p, r.netio, r.pool, NULL), 0);
	mcu_leg_local_ports(leg, &v, &au);
	assert_true(v != lo && v >= lo && v < hi);
	/* the RTP port it gave up is free again (nothing leaked) */
	int x = bind_udp(lo);
	assert_true(x >= 0);
	close(x);
	leg = mcu_leg_free(leg);
	close(thief);
	rig_down(&r);
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(pair_skips_taken_ports),
	cmocka_unit_test(leg_takes_over_reserved_sockets),
	cmocka_unit_test(taken_fixed_port_moves_only_when_allowed),
};
MCU_TEST_MAIN(tests, NULL, NULL)
