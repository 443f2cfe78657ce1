/*
 * A leg against a feedback-honouring test sender on loopback: a lost
 * packet is asked for by NACK, resent, and every frame is decoded without
 * a key-frame request.
 */
#include "tests/unit/testutil.h"
#include "codec/venc.h"
#include "mcu/leg.h"
#include "mcu/workpool.h"
#include "transport/h264.h"
#include "transport/netio.h"
#include "transport/rtcp.h"
#include "transport/rtp.h"

#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>

#include <libavutil/frame.h>

#define FRAMES 40
#define LOST_FRAME 12

struct sender {
	int rtp, rtcp; /* our sockets: RTP port P, RTCP P + 1 */
	uint16_t port;
	struct sockaddr_in leg; /* the leg's video RTP address */
	uint8_t pkts[4096][1300];
	size_t lens[4096];
	unsigned n;
	uint16_t seq;
	unsigned resent;
};

static int bind_udp(uint16_t port)
{
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in a = {.sin_family = AF_INET,
	                        .sin_port = htons(port),
	                        .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static void sender_open(struct sender *s)
{
	for (uint16_t p = 46000; p < 47000; p += 2) {
		s->rtp = bind_udp(p);
		if (s->rtp < 0)
			continue;
		s->rtcp = bind_udp((uint16_t)(p + 1));
		if (s->rtcp >= 0) {
			s->port = p;
			return;
		}
		close(s->rtp);
	}
	fail_msg("no free port pair");
}

struct pk_ctx {
	struct sender *s;
	uint32_t ts;
	bool drop_one;
};

static int on_payload(const uint8_t *pl, size_t len, bool last, void *arg)
{
	struct pk_ctx *c = arg;
	struct sender *s = c->s;
	struct mcu_rtp_hdr h = {.marker = last, .pt = 96, .seq = s->seq++,
	                        .ts = c->ts, .ssrc = 0x1234};
	size_t hl;
	uint8_t *buf = s->pkts[h.seq % 4096];
	assert_int_equal(mcu_rtp_write(buf, 1300, &h, &hl), 0);
	assert_true(hl + len <= 1300);
	memcpy(buf + hl, pl, len);
	s->lens[h.seq % 4096] = hl + len;
	s->n++;
	if (c->drop_one) {
		c->drop_one = false; /* the network lost this one */
		return 0;
	}
	sendto(s->rtp, buf, hl + len, 0, (struct sockaddr *)&s->leg,
	       sizeof(s->leg));
	return 0;
}

static void on_encoded(const AVPacket *pkt, bool key, void *arg)
{
	(void)key;
	assert_int_equal(mcu_h264_packetize(pkt->data, (size_t)pkt->size,
	                                    1200, 1, false, on_payload, arg),
	                 0);
}

/* Answer NACKs from the leg by resending from what we sent. */
static void serve_rtcp(struct sender *s)
{
	uint8_t buf[1500];
	struct pollfd pfd = {.fd = s->rtcp, .events = POLLIN};
	while (poll(&pfd, 1, 0) > 0) {
		ssize_t n = recv(s->rtcp, buf, sizeof(buf), 0);
		struct mcu_rtcp_iter it;
		struct mcu_rtcp_msg m;
		if (n <= 0)
			return;
		mcu_rtcp_iter_init(&it, buf, (size_t)n);
		while (mcu_rtcp_next(&it, &m) != ENOENT) {
			uint16_t seqs[64];
			if (m.type != MCU_RTCP_NACK)
				continue;
			unsigned k = mcu_rtcp_nack_seqs(m.nack, m.n_nack, seqs,
			                                64);
			for (unsigned i = 0; i < k && i < 64; i++) {
				sendto(s->rtp, s->pkts[seqs[i] % 4096],
				       s->lens[seqs[i] % 4096], 0,
				       (struct sockaddr *)&s->leg,
				       sizeof(s->leg));
				s->resent++;
			}
		}
	}
}

static void nack_repairs_loss(void **state)
{
	static struct sender s;
	struct mcu_workpool *pool = NULL;
	struct mcu_netio *netio = NULL;
	struct mcu_leg *leg = NULL;
	struct mcu_venc *enc = NULL;
	struct mcu_leg_params p;
	struct mcu_leg_stats st;
	uint16_t vport, aport;
	(void)state;

	memset(&s, 0, sizeof(s));
	sender_open(&s);
	assert_int_equal(mcu_workpool_alloc(&pool, 1, 64), 0);
	assert_int_equal(mcu_netio_alloc(&netio), 0);
	assert_int_equal(mcu_netio_start(netio), 0);

	memset(&p, 0, sizeof(p));
	p.id = 1;
	p.label = "test";
	struct sockaddr_in *lv = (struct sockaddr_in *)&p.local_video;
	lv->sin_family = AF_INET;
	lv->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	struct sockaddr_in *rv = (struct sockaddr_in *)&p.remote_video;
	rv->sin_family = AF_INET;
	rv->sin_port = htons(s.port);
	rv->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	p.port_min = 47000;
	p.port_max = 47999;
	p.has_video = true;
	p.vcodec = MCU_VCODEC_H264;
	p.video_pt = 96;
	p.h264_mode = 1;
	p.out_width = 320;
	p.out_height = 180;
	p.out_bitrate = 200000;
	assert_int_equal(mcu_leg_alloc(&leg, &p, netio, pool, NULL), 0);
	mcu_leg_local_ports(leg, &vport, &aport);
	s.leg = (struct sockaddr_in){.sin_family = AF_INET,
	                             .sin_port = htons(vport),
	                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	mcu_leg_set_visible(leg, true, mcu_netio_now_us());

	struct mcu_venc_config cfg = {.codec = MCU_VCODEC_H264,
	                              .width = 320,
	                              .height = 180,
	                              .fps = 25,
	                              .bitrate = 300000,
	                              .keyint = 1000,
	                              .preset = "ultrafast"};
	assert_int_equal(mcu_venc_alloc(&enc, &cfg), 0);
	AVFrame *f = av_frame_alloc();
	f->format = AV_PIX_FMT_YUV420P;
	f->width = 320;
	f->height = 180;
	assert_true(av_frame_get_buffer(f, 32) >= 0);

	for (int i = 0; i < FRAMES; i++) {
		struct pk_ctx c = {&s, (uint32_t)(i * 3600),
		                   i == LOST_FRAME};
		av_frame_make_writable(f);
		for (int y = 0; y < 180; y++)
			memset(f->data[0] + y * f->linesize[0],
			       (uint8_t)(16 + ((y + i * 4) % 200)), 320);
		memset(f->data[1], 128, (size_t)f->linesize[1] * 90);
		memset(f->data[2], 128, (size_t)f->linesize[2] * 90);
		f->pts = i;
		assert_int_equal(mcu_venc_encode(enc, f, on_encoded, &c), 0);
		for (int k = 0; k < 4; k++) {
			usleep(10000);
			mcu_leg_video_poll(leg, mcu_netio_now_us());
			serve_rtcp(&s);
		}
	}
	for (int k = 0; k < 50; k++) {
		usleep(10000);
		mcu_leg_video_poll(leg, mcu_netio_now_us());
		serve_rtcp(&s);
	}
	mcu_leg_stats(leg, mcu_netio_now_us(), &st);
	print_message("nacks sent %llu, resent %u, decoded %llu, lost %llu, "
	              "plis %llu\n",
	              (unsigned long long)st.nacks_sent, s.resent,
	              (unsigned long long)st.vin.frames_decoded,
	              (unsigned long long)st.vin.lost,
	              (unsigned long long)st.plis_sent);
	assert_true(st.nacks_sent >= 1);
	assert_true(s.resent >= 1);
	assert_int_equal(st.vin.lost, 0);
	assert_int_equal(st.vin.frames_decoded, FRAMES);
	/* Repaired by NACK: no key frame was needed after the first. */
	assert_true(st.plis_sent <= 1);

	av_frame_free(&f);
	enc = mcu_venc_free(enc);
	leg = mcu_leg_free(leg);
	netio = mcu_netio_free(netio);
	pool = mcu_workpool_free(pool);
	close(s.rtp);
	close(s.rtcp);
}

/*
 * Sound taken undecoded (mcu_leg_audio_skip: a leg not heard) keeps time
 * with the sender: 60 ms G.711 packets, sent in real time, skipped on
 * four ticks in five and decoded on the fifth, are consumed at 20 ms a
 * tick, so the jitter buffer never runs dry (nothing concealed) nor
 * fills, and each decoded tick has the sender's sound.
 */
#define APKT_MS  60
#define APKTS    40
#define ASAMPLES (8 * APKT_MS)

static void skipped_audio_keeps_time(void **state)
{
	struct mcu_workpool *pool = NULL;
	struct mcu_netio *netio = NULL;
	struct mcu_leg *leg = NULL;
	struct mcu_leg_params p;
	struct mcu_leg_stats st;
	uint16_t vport, aport;
	int16_t pcm[MCU_AUDIO_FRAME];
	uint8_t pkt[12 + ASAMPLES];
	static struct sender s; /* only its sockets */
	unsigned ticks = 0, skipped = 0, decoded = 0, loud = 0, silent = 0;
	(void)state;

	sender_open(&s);
	assert_int_equal(mcu_workpool_alloc(&pool, 1, 64), 0);
	assert_int_equal(mcu_netio_alloc(&netio), 0);
	assert_int_equal(mcu_netio_start(netio), 0);
	memset(&p, 0, sizeof(p));
	p.id = 2;
	p.label = "skip";
	struct sockaddr_in *la = (struct sockaddr_in *)&p.local_audio;
	la->sin_family = AF_INET;
	la->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	struct sockaddr_in *ra = (struct sockaddr_in *)&p.remote_audio;
	ra->sin_family = AF_INET;
	ra->sin_port = htons(s.port);
	ra->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	p.port_min = 47000;
	p.port_max = 47999;
	p.has_audio = true;
	p.acodec = MCU_ACODEC_PCMU;
	p.audio_pt = 0;
	assert_int_equal(mcu_leg_alloc(&leg, &p, netio, pool, NULL), 0);
	mcu_leg_local_ports(leg, &vport, &aport);
	struct sockaddr_in to = {.sin_family = AF_INET,
	                         .sin_port = htons(aport),
	                         .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};

	/* one packet every 60 ms, one tick every 20 ms, both in real time */
	int64_t t0 = mcu_netio_now_us();
	for (unsigned k = 0; k < APKTS * 3; k++) {
		int64_t due = t0 + (int64_t)k * 20000, now;
		while ((now = mcu_netio_now_us()) < due)
			usleep((useconds_t)(due - now));
		if (k % 3 == 0) {
			struct mcu_rtp_hdr h = {.pt = 0,
			                        .seq = (uint16_t)(k / 3),
			                        .ts = (uint32_t)(k / 3 * ASAMPLES),
			                        .ssrc = 0x5678};
			size_t hl;
			assert_int_equal(mcu_rtp_write(pkt, sizeof(pkt), &h, &hl),
			                 0);
			/* a loud square wave: mu-law 0x80 / 0x00 */
			for (size_t i = 0; i < ASAMPLES; i++)
				pkt[hl + i] = (i / 4) % 2 ? 0x80 : 0x00;
			sendto(s.rtp, pkt, hl + ASAMPLES, 0,
			       (struct sockaddr *)&to, sizeof(to));
		}
		if (k < 12)
			continue; /* let the jitter buffer fill and start */
		bool have;
		ticks++;
		if (ticks % 5) {
			have = mcu_leg_audio_skip(leg, mcu_netio_now_us());
			skipped += have;
		} else {
			have = mcu_leg_audio_pull(leg, mcu_netio_now_us(), pcm);
			decoded += have;
			int peak = 0;
			for (size_t i = 0; have && i < MCU_AUDIO_FRAME; i++)
				peak = abs(pcm[i]) > peak ? abs(pcm[i]) : peak;
			loud += have && peak > 16000;
			silent += have && peak <= 16000;
		}
		if (k < APKTS * 3 - 12)
			assert_true(have);
	}
	mcu_leg_stats(leg, mcu_netio_now_us(), &st);
	print_message("ticks %u: skipped %u, decoded %u (loud %u, not %u), "
	              "concealed %llu, lost %llu\n",
	              ticks, skipped, decoded, loud, silent,
	              (unsigned long long)st.ain.concealed,
	              (unsigned long long)st.ain.lost);
	assert_int_equal(st.ain.lost, 0);
	assert_int_equal(st.ain.concealed, 0);
	assert_int_equal(st.ain.trimmed, 0); /* a steady stream: no backlog */
	/* a decode after skipped ones may land in a skipped packet's
	   remainder (concealed, not counted as loss): most are the sender's */
	assert_true(loud >= decoded / 2);

	leg = mcu_leg_free(leg);
	netio = mcu_netio_free(netio);
	pool = mcu_workpool_free(pool);
	close(s.rtp);
	close(s.rtcp);
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(nack_repairs_loss),
	cmocka_unit_test(skipped_audio_keeps_time),
};
MCU_TEST_MAIN(tests, NULL, NULL)
