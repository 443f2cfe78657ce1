/*
 * The source filter of a leg (RTP Bleed class, docs/security.md): with
 * the remote's address and port from signalling, datagrams from another
 * port of the same host are dropped and counted as rejected, RTP and
 * RTCP; the remote's own RTP (from its port) and RTCP (from port + 1) are
 * taken. With a host-only source (a static leg without rtp.source) any
 * port of that host is taken. The leg never sends to the attacker.
 */
#include "tests/unit/testutil.h"
#include "mcu/leg.h"
#include "mcu/workpool.h"
#include "transport/netio.h"
#include "transport/pkt.h"
#include "transport/rtp.h"

#include <arpa/inet.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>

static int bind_udp(uint16_t port, uint16_t *bound)
{
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in a = {.sin_family = AF_INET,
	                        .sin_port = htons(port),
	                        .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(a);
	if (fd < 0)
		return -1;
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) != 0 ||
	    getsockname(fd, (struct sockaddr *)&a, &len) != 0) {
		close(fd);
		return -1;
	}
	if (bound)
		*bound = ntohs(a.sin_port);
	return fd;
}

/* RTP/RTCP on P, P + 1. */
static void pair_open(int *rtp, int *rtcp, uint16_t *port)
{
	for (int i = 0; i < 200; i++) {
		*rtp = bind_udp(0, port);
		assert_true(*rtp >= 0);
		if (*port < 65535) {
			*rtcp = bind_udp((uint16_t)(*port + 1), NULL);
			if (*rtcp >= 0)
				return;
		}
		close(*rtp);
	}
	fail_msg("no free port pair");
}

static void send_to(int fd, uint16_t port, const uint8_t *buf, size_t len)
{
	struct sockaddr_in to = {.sin_family = AF_INET,
	                         .sin_port = htons(port),
	                         .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	assert_int_equal(
	    sendto(fd, buf, len, 0, (struct sockaddr *)&to, sizeof(to)),
	    (ssize_t)len);
}

static size_t rtp_packet(uint8_t *buf, size_t cap, uint16_t seq, uint32_t ssrc)
{
	struct mcu_rtp_hdr h = {
	    .pt = 0, .seq = seq, .ts = 160u * seq, .ssrc = ssrc};
	size_t n = 0;
	assert_int_equal(mcu_rtp_write(buf, cap, &h, &n), 0);
	memset(buf + n, 0xd5, 160);
	return n + 160;
}

/* An RTCP receiver report without blocks. */
static size_t rtcp_rr(uint8_t *buf)
{
	static const uint8_t rr[8] = {0x80, 201, 0, 1, 0x12, 0x34, 0x56, 0x78};
	memcpy(buf, rr, sizeof(rr));
	return sizeof(rr);
}

static void wait_counts(struct mcu_leg *leg, uint64_t packets,
                        uint64_t rejected)
{
	struct mcu_leg_stats st;
	for (int i = 0; i < 400; i++) {
		mcu_leg_stats(leg, mcu_netio_now_us(), &st);
		if (st.ain.packets >= packets && st.ain.rejected == rejected)
			return;
		usleep(5000);
	}
	fail_msg(
	    "packets %llu (want >= %llu), rejected %llu (want %llu)",
	    (unsigned long long)st.ain.packets, (unsigned long long)packets,
	    (unsigned long long)st.ain.rejected, (unsigned long long)rejected);
}

static void run(bool host_only)
{
	struct mcu_workpool *pool = NULL;
	struct mcu_netio *netio = NULL;
	struct mcu_leg *leg = NULL;
	struct mcu_leg_params p;
	int prtp, prtcp, artp, artcp;
	uint16_t pport, aport_att, vport, aport;
	uint8_t buf[512];

	pair_open(&prtp, &prtcp, &pport);
	pair_open(&artp, &artcp, &aport_att);
	assert_int_equal(mcu_workpool_alloc(&pool, 1, 64), 0);
	assert_int_equal(mcu_netio_alloc(&netio), 0);
	assert_int_equal(mcu_netio_start(netio), 0);
	memset(&p, 0, sizeof(p));
	p.id = 1;
	p.label = "source-test";
	struct sockaddr_in *la = (struct sockaddr_in *)&p.local_audio;
	la->sin_family = AF_INET;
	la->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	struct sockaddr_in *ra = (struct sockaddr_in *)&p.remote_audio;
	ra->sin_family = AF_INET;
	ra->sin_port = htons(pport);
	ra->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (host_only) { /* a static leg without rtp.source */
		p.source_audio = p.remote_audio;
		mcu_netio_addr_set_port(&p.source_audio, 0);
	}
	p.port_min = 40000;
	p.port_max = 49999;
	p.has_audio = true;
	p.acodec = MCU_ACODEC_PCMU;
	p.audio_pt = 0;
	assert_int_equal(mcu_leg_alloc(&leg, &p, netio, pool, NULL), 0);
	mcu_leg_local_ports(leg, &vport, &aport);
	assert_int_not_equal(aport, 0);

	for (uint16_t s = 1; s <= 5; s++)
		send_to(prtp, aport, buf, rtp_packet(buf, sizeof(buf), s, 1));
	/* RFC 3550 A.1 probation: the first packet is not counted */
	wait_counts(leg, 4, 0);
	/* the attacker: RTP of its own and RTCP, from other ports */
	for (uint16_t s = 100; s < 107; s++)
		send_to(artp, aport, buf, rtp_packet(buf, sizeof(buf), s, 2));
	send_to(artcp, (uint16_t)(aport + 1), buf, rtcp_rr(buf));
	/* the remote's RTCP from its port + 1 is taken */
	send_to(prtcp, (uint16_t)(aport + 1), buf, rtcp_rr(buf));
	for (uint16_t s = 6; s <= 8; s++)
		send_to(prtp, aport, buf, rtp_packet(buf, sizeof(buf), s, 1));
	if (host_only) {
		/* any port of the host passes: nothing rejected (the
		   attacker's SSRC even restarts the stream's statistics) */
		usleep(200000);
		wait_counts(leg, 1, 0);
	} else {
		wait_counts(leg, 7, 8); /* 7 RTP + 1 RTCP of the attacker */
		struct mcu_leg_stats st;
		mcu_leg_stats(leg, mcu_netio_now_us(), &st);
		assert_int_equal(st.ain.packets,
		                 7); /* none of the attacker's */
	}

	/* what the leg sends goes to the remote, never to the attacker */
	uint8_t pay[160];
	memset(pay, 0xd5, sizeof(pay));
	struct mcu_pkt *pk = NULL;
	assert_int_equal(mcu_pkt_dup(&pk, pay, sizeof(pay)), 0);
	assert_int_equal(mcu_leg_send_audio(leg, pk, 160, mcu_netio_now_us()),
	                 0);
	mcu_pkt_put(pk);
	struct pollfd pf[2] = {{.fd = prtp, .events = POLLIN},
	                       {.fd = artp, .events = POLLIN}};
	assert_int_equal(poll(&pf[0], 1, 3000), 1);
	assert_int_equal(poll(&pf[1], 1, 200), 0);

	leg = mcu_leg_free(leg);
	netio = mcu_netio_free(netio);
	pool = mcu_workpool_free(pool);
	close(prtp);
	close(prtcp);
	close(artp);
	close(artcp);
}

static void exact_source(void **state)
{
	(void)state;
	run(false);
}

static void host_only_source(void **state)
{
	(void)state;
	run(true);
}

/*
 * Ports reserved before the leg exists (a dial-out's offer, p.audio_fds):
 * what an attacker sent to them in between waits in the socket. The
 * filter is in place when the leg's sockets join the I/O thread, so none
 * of it is taken: all rejected, only the remote's media counted.
 */
static void queued_before_leg(void **state)
{
	struct mcu_workpool *pool = NULL;
	struct mcu_netio *netio = NULL;
	struct mcu_leg *leg = NULL;
	struct mcu_leg_params p;
	int prtp, prtcp, artp, artcp, lrtp, lrtcp;
	uint16_t pport, aport_att, lport, vport, aport;
	uint8_t buf[512];
	(void)state;

	pair_open(&prtp, &prtcp, &pport);
	pair_open(&artp, &artcp, &aport_att);
	pair_open(&lrtp, &lrtcp, &lport); /* the reservation */
	for (uint16_t s = 100; s < 110; s++)
		send_to(artp, lport, buf, rtp_packet(buf, sizeof(buf), s, 2));
	send_to(artcp, (uint16_t)(lport + 1), buf, rtcp_rr(buf));
	usleep(20000);
	assert_int_equal(mcu_workpool_alloc(&pool, 1, 64), 0);
	assert_int_equal(mcu_netio_alloc(&netio), 0);
	assert_int_equal(mcu_netio_start(netio), 0);
	memset(&p, 0, sizeof(p));
	p.id = 1;
	p.label = "queued-test";
	p.video_fds[0] = p.video_fds[1] = -1;
	p.audio_fds[0] = lrtp;
	p.audio_fds[1] = lrtcp;
	struct sockaddr_in *la = (struct sockaddr_in *)&p.local_audio;
	la->sin_family = AF_INET;
	la->sin_port = htons(lport);
	la->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	struct sockaddr_in *ra = (struct sockaddr_in *)&p.remote_audio;
	ra->sin_family = AF_INET;
	ra->sin_port = htons(pport);
	ra->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	p.port_min = 40000;
	p.port_max = 49999;
	p.has_audio = true;
	p.acodec = MCU_ACODEC_PCMU;
	p.audio_pt = 0;
	assert_int_equal(mcu_leg_alloc(&leg, &p, netio, pool, NULL), 0);
	mcu_leg_local_ports(leg, &vport, &aport);
	assert_int_equal(aport, lport);
	for (uint16_t s = 1; s <= 5; s++)
		send_to(prtp, aport, buf, rtp_packet(buf, sizeof(buf), s, 1));
	wait_counts(leg, 4, 11); /* 10 RTP + 1 RTCP queued by the attacker */
	struct mcu_leg_stats st;
	mcu_leg_stats(leg, mcu_netio_now_us(), &st);
	assert_int_equal(st.ain.packets, 4); /* probation: 5 - 1 */

	leg = mcu_leg_free(leg);
	netio = mcu_netio_free(netio);
	pool = mcu_workpool_free(pool);
	close(prtp);
	close(prtcp);
	close(artp);
	close(artcp);
	close(lrtp);
	close(lrtcp);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(exact_source),
    cmocka_unit_test(host_only_source),
    cmocka_unit_test(queued_before_leg),
};

MCU_TEST_MAIN(tests, NULL, NULL)
