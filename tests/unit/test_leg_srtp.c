/*
 * A leg with SDES-SRTP on its audio stream against a test peer on
 * loopback: the peer's SRTP reaches the leg decrypted; the same packet
 * sent twice is dropped and counted as a replay; a tampered packet and a
 * plain RTP packet are dropped and counted as authentication failures;
 * the stream goes on afterwards; what the leg sends (RTP and its RTCP
 * report) is SRTP/SRTCP under the leg's key.
 */
#include "tests/unit/testutil.h"
#include "mcu/leg.h"
#include "mcu/workpool.h"
#include "transport/netio.h"
#include "transport/pkt.h"
#include "transport/rtp.h"
#include "transport/srtp.h"

#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>

struct peer {
	int rtp, rtcp;
	uint16_t port;
	struct sockaddr_in leg; /* the leg's audio RTP address */
	struct mcu_srtp *srtp;
};

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

/* An ephemeral port P with P + 1 free for RTCP. */
static void peer_open(struct peer *p)
{
	for (int i = 0; i < 200; i++) {
		p->rtp = bind_udp(0, &p->port);
		assert_true(p->rtp >= 0);
		if (p->port < 65535) {
			p->rtcp = bind_udp((uint16_t)(p->port + 1), NULL);
			if (p->rtcp >= 0)
				return;
		}
		close(p->rtp);
	}
	fail_msg("no free port pair");
}

static void peer_send(struct peer *p, const uint8_t *buf, size_t len)
{
	assert_int_equal(sendto(p->rtp, buf, len, 0, (struct sockaddr *)&p->leg,
	                        sizeof(p->leg)),
	                 (ssize_t)len);
}

/* An SRTP packet of the peer (PCMU, 160 bytes of payload). */
static size_t peer_packet(struct peer *p, uint8_t *buf, size_t cap,
                          uint16_t seq)
{
	struct mcu_rtp_hdr h = {
	    .pt = 0, .seq = seq, .ts = 160u * seq, .ssrc = 0xabcdef01};
	size_t n = 0;
	assert_int_equal(mcu_rtp_write(buf, cap, &h, &n), 0);
	memset(buf + n, 0xd5, 160);
	n += 160;
	if (p)
		assert_int_equal(mcu_srtp_protect(p->srtp, buf, &n, cap), 0);
	return n;
}

/* Wait until the leg's stats show these counts (2 s at most). */
static void wait_stats(struct mcu_leg *leg, struct mcu_leg_stats *st,
                       uint64_t packets, uint64_t auth, uint64_t replays)
{
	for (int i = 0; i < 400; i++) {
		mcu_leg_stats(leg, mcu_netio_now_us(), st);
		if (st->ain.packets == packets &&
		    st->srtp_auth_failures == auth &&
		    st->srtp_replays == replays)
			return;
		usleep(5000);
	}
	fail_msg("stats: packets %llu (want %llu), auth failures %llu (%llu),"
	         " replays %llu (%llu)",
	         (unsigned long long)st->ain.packets,
	         (unsigned long long)packets,
	         (unsigned long long)st->srtp_auth_failures,
	         (unsigned long long)auth, (unsigned long long)st->srtp_replays,
	         (unsigned long long)replays);
}

static ssize_t recv_wait(int fd, uint8_t *buf, size_t cap)
{
	struct pollfd pfd = {.fd = fd, .events = POLLIN};
	if (poll(&pfd, 1, 3000) != 1)
		return -1;
	return recv(fd, buf, cap, 0);
}

static void replay_counted(void **state)
{
	static struct peer pe;
	struct mcu_workpool *pool = NULL;
	struct mcu_netio *netio = NULL;
	struct mcu_leg *leg = NULL;
	struct mcu_leg_params p;
	struct mcu_leg_stats st;
	uint8_t kleg[MCU_SRTP_KEY_MAX], kpeer[MCU_SRTP_KEY_MAX];
	uint8_t pkt[512], copy[512];
	uint16_t vport, aport;
	(void)state;

	memset(&pe, 0, sizeof(pe));
	peer_open(&pe);
	assert_int_equal(mcu_srtp_keygen(kleg, sizeof(kleg)), 0);
	assert_int_equal(mcu_srtp_keygen(kpeer, sizeof(kpeer)), 0);
	assert_int_equal(mcu_srtp_alloc(&pe.srtp,
	                                MCU_SRTP_AES_CM_128_HMAC_SHA1_80, kpeer,
	                                kleg),
	                 0);
	assert_int_equal(mcu_workpool_alloc(&pool, 1, 64), 0);
	assert_int_equal(mcu_netio_alloc(&netio), 0);
	assert_int_equal(mcu_netio_start(netio), 0);

	memset(&p, 0, sizeof(p));
	p.id = 1;
	p.label = "srtp-test";
	struct sockaddr_in *la = (struct sockaddr_in *)&p.local_audio;
	la->sin_family = AF_INET;
	la->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	struct sockaddr_in *ra = (struct sockaddr_in *)&p.remote_audio;
	ra->sin_family = AF_INET;
	ra->sin_port = htons(pe.port);
	ra->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	p.port_min = 40000;
	p.port_max = 49999;
	p.has_audio = true;
	p.acodec = MCU_ACODEC_PCMU;
	p.audio_pt = 0;
	p.audio_srtp.suite = MCU_SRTP_AES_CM_128_HMAC_SHA1_80;
	memcpy(p.audio_srtp.tx_key, kleg, sizeof(kleg));
	memcpy(p.audio_srtp.rx_key, kpeer, sizeof(kpeer));
	assert_int_equal(mcu_leg_alloc(&leg, &p, netio, pool, NULL), 0);
	mcu_leg_local_ports(leg, &vport, &aport);
	pe.leg =
	    (struct sockaddr_in){.sin_family = AF_INET,
	                         .sin_port = htons(aport),
	                         .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};

	/* Three good packets (the receive statistics count a source from
	   its second sequential packet, RFC 3550 A.1 probation). */
	size_t n = 0;
	for (uint16_t seq = 100; seq <= 102; seq++) {
		n = peer_packet(&pe, pkt, sizeof(pkt), seq);
		peer_send(&pe, pkt, n);
	}
	memcpy(copy, pkt, n);
	wait_stats(leg, &st, 2, 0, 0);
	assert_true(st.srtp);
	/* The same packet again: a replay, dropped before the RTP parser. */
	peer_send(&pe, copy, n);
	wait_stats(leg, &st, 2, 0, 1);
	peer_send(&pe, copy, n);
	wait_stats(leg, &st, 2, 0, 2);
	/* A tampered packet, and plain RTP: authentication failures. */
	n = peer_packet(&pe, pkt, sizeof(pkt), 103);
	pkt[40] ^= 1;
	peer_send(&pe, pkt, n);
	wait_stats(leg, &st, 2, 1, 2);
	n = peer_packet(NULL, pkt, sizeof(pkt), 104);
	peer_send(&pe, pkt, n);
	wait_stats(leg, &st, 2, 2, 2);
	/* The stream goes on: the next good packets arrive. */
	n = peer_packet(&pe, pkt, sizeof(pkt), 105);
	peer_send(&pe, pkt, n);
	n = peer_packet(&pe, pkt, sizeof(pkt), 106);
	peer_send(&pe, pkt, n);
	wait_stats(leg, &st, 4, 2, 2);
	assert_int_equal(st.ain.malformed, 0);

	/* What the leg sends is SRTP under its own key. */
	struct mcu_pkt *pay = NULL;
	uint8_t plain[160];
	memset(plain, 0x55, sizeof(plain));
	assert_int_equal(mcu_pkt_dup(&pay, plain, sizeof(plain)), 0);
	assert_int_equal(mcu_leg_send_audio(leg, pay, 160, mcu_netio_now_us()),
	                 0);
	ssize_t r = recv_wait(pe.rtp, pkt, sizeof(pkt));
	assert_true(r > 12 + 160);
	assert_memory_not_equal(pkt + 12, plain, 16);
	size_t len = (size_t)r;
	assert_int_equal(mcu_srtp_unprotect(pe.srtp, pkt, &len), 0);
	assert_int_equal(len, 12 + 160);
	assert_memory_equal(pkt + 12, plain, 160);
	mcu_pkt_put(pay);
	/* Its RTCP report too. */
	mcu_leg_video_poll(leg, mcu_netio_now_us());
	r = recv_wait(pe.rtcp, pkt, sizeof(pkt));
	assert_true(r > 8);
	len = (size_t)r;
	assert_int_equal(mcu_srtp_unprotect_rtcp(pe.srtp, pkt, &len), 0);
	assert_true(pkt[1] == 200 || pkt[1] == 201); /* SR or RR */

	leg = mcu_leg_free(leg);
	netio = mcu_netio_free(netio);
	pool = mcu_workpool_free(pool);
	pe.srtp = mcu_srtp_free(pe.srtp);
	close(pe.rtp);
	close(pe.rtcp);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(replay_counted),
};
MCU_TEST_MAIN(tests, NULL, NULL)
