/*
 * sim: N simulated endpoints in one process (see sim.h for the design).
 */
#define MCU_LOG_MODULE "sim"
#include "conf/log.h"

#include "tools/mcu-sim/sim.h"

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <libavutil/frame.h>
#include <libavutil/pixfmt.h>

#include "codec/vdec.h"
#include "conf/config.h"
#include "layout/label.h"
#include "tools/mcu-sim/media.h"
#include "tools/mcu-sim/palette.h"
#include "tools/mcu-sim/roster.h"
#include "tools/mcu-sim/rx.h"
#include "transport/h264.h"
#include "transport/rtcp.h"
#include "transport/rtp.h"
#include "transport/sdp.h"
#include "transport/sip.h"

#define MAX_PAYLOAD    1200
#define PKT_MAX        2048
#define RECV_BATCH     32
#define KEY_MIN_US     100000 /* PLI/FIR honoured at most this often */
#define PLI_EVERY_US   500000 /* our own PLI while the sample decoder waits */
#define RTCP_EVERY_US  1000000
#define HANGUP_WAIT_US 4000000
/* Stall diagnosis for the soak (report "receiver", endpoints'
   "audio_gap_events"): loop wakeups this far apart, packets this long in
   the socket before we read them, audio gaps this long are listed. */
#define STALL_US       40000
#define GAP_EVENT_US   100000
#define MAX_STALLS     64
#define MAX_GAP_EVENTS 16

enum kind { K_VRTP, K_VRTCP, K_ARTP, K_ARTCP, K_TIMER, K_SIGNAL };

enum ep_state {
	ST_IDLE = 0,
	ST_CALLING,
	ST_CONNECTED,
	ST_FAILED,
	ST_DROPPED, /* the MCU ended the call */
	ST_ENDED,   /* we hung up */
};

static const char *state_name(enum ep_state s)
{
	switch (s) {
	case ST_IDLE:
		return "idle";
	case ST_CALLING:
		return "calling";
	case ST_CONNECTED:
		return "connected";
	case ST_FAILED:
		return "failed";
	case ST_DROPPED:
		return "dropped";
	case ST_ENDED:
		return "ended";
	}
	return "?";
}

struct ep;

struct sref {
	struct ep *ep;
	enum kind kind;
};

struct stream {
	bool video;
	int fd[2]; /* RTP, RTCP */
	struct sref ref[2];
	uint16_t port;
	/* negotiated (written by the SIP thread before media_on) */
	struct sockaddr_in rtp_to, rtcp_to;
	int pt, te_pt;
	int h264_mode;
	bool mux; /* rtcp-mux: RTCP goes out of the RTP socket */
	/* send (I/O loop) */
	uint32_t ssrc, ts0, last_ts;
	uint16_t seq;
	uint64_t units; /* frames or audio packets sent */
	uint64_t tx_packets, tx_octets, tx_errors;
	uint64_t tx_dropped; /* --tx-loss: sent "into the void" */
	int64_t next_us;
	size_t cursor;
	int64_t next_rtcp_us;
	/* receive */
	struct mcu_sim_rx rx;
	struct mcu_rtp_rx rtprx;
	bool have_remote;
	uint32_t remote_ssrc;
	uint32_t lsr;
	int64_t lsr_us;
	uint64_t rtcp_in, rtcp_bad, pli, fir, nack, key_jumps, rx_other;
	int64_t last_key_us;
	/* audio gaps over GAP_EVENT_US: when (unix), as we read the packets
	   and as the kernel received them (SO_TIMESTAMPNS): a gap only in
	   the first is ours (the receive loop stalled), in both the sender's */
	int64_t k_last_us; /* kernel arrival (unix) of the last packet */
	double max_kgap_ms;
	unsigned n_gap_events;
	struct gap_event {
		double at_unix, gap_ms, kernel_gap_ms;
	} gap_events[MAX_GAP_EVENTS];
};

struct sim;

struct ep {
	struct sim *sim;
	unsigned index; /* position in host + branches: its colour */
	const struct mcu_conf_endpoint *conf;
	struct mcu_sim_media *media;
	struct stream v, a;
	struct mcu_sip_call *call;
	atomic_bool media_on;
	bool answer_ok; /* SIP thread only */
	/* guarded by sim->lock */
	enum ep_state state, state_at_end;
	int status;
	char reason[96];
	bool final;
	int64_t invite_us, connected_us; /* answer mode / connect time */
	/* sampling (I/O loop) */
	bool sample;
	struct mcu_h264_depack *depack;
	struct mcu_vdec *dec;
	unsigned *seen; /* per palette colour: analysed pictures showing it */
	unsigned analysed, decoded;
	int dec_w, dec_h;
	int64_t last_pli_us;
};

struct sim {
	const struct mcu_sim_config *cfg;
	struct ep *eps;
	size_t n;
	struct mcu_sim_yuv *palette;
	int epfd, tfd, sfd;
	struct sref tref, sigref;
	struct mcu_sip *sip;
	pthread_mutex_t lock;
	unsigned finals;         /* guarded by lock */
	unsigned answered;       /* --answer: calls taken; guarded by lock */
	int64_t first_invite_us; /* --answer; guarded by lock */
	char domain[128];
	char ruri[512];
	char addr[64];
	int64_t start_us, end_us, sample_from_us;
	int64_t start_unix_us; /* wall clock at start_us (report only) */
	size_t next_dial;
	/* the I/O loop's own stalls (serve, on_readable) */
	int64_t loop_last_us;
	double loop_max_gap_ms, loop_max_gap_at, loop_max_busy_ms;
	double rx_delay_max_ms, rx_delay_max_at;
	uint64_t rx_delays_over; /* packets read > STALL_US after arrival */
	unsigned n_stalls;
	struct stall {
		double at_unix, gap_ms, busy_ms; /* busy: handling events */
		double rx_delay_ms; /* max packet wait in the socket (wakeup
		                       after it); 0 for a loop stall */
	} stalls[MAX_STALLS];
	bool ending;
	const char *stop_reason;
};

static int64_t mono_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static int64_t unix_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static double cpu_seconds(void)
{
	struct rusage ru;
	if (getrusage(RUSAGE_SELF, &ru) != 0)
		return 0;
	return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
	       (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

static void lock(struct sim *s)
{
	int e = pthread_mutex_lock(&s->lock);
	if (e)
		mcu_log_error("pthread_mutex_lock: %s", strerror(e));
}

static void unlock(struct sim *s)
{
	int e = pthread_mutex_unlock(&s->lock);
	if (e)
		mcu_log_error("pthread_mutex_unlock: %s", strerror(e));
}

static uint32_t rand32(void)
{
	uint32_t r;
	FILE *f = fopen("/dev/urandom", "rb");
	if (!f || fread(&r, sizeof(r), 1, f) != 1)
		r = (uint32_t)mono_us() * 2654435761u;
	if (f)
		fclose(f);
	return r;
}

/* ---- sockets ---------------------------------------------------------- */

static int udp_bind(const char *addr, uint16_t port)
{
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	struct sockaddr_in sa = {.sin_family = AF_INET,
	                         .sin_port = htons(port)};
	if (inet_pton(AF_INET, addr, &sa.sin_addr) != 1 ||
	    bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		close(fd);
		return -1;
	}
	int sz = 1 << 20, on = 1;
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
	/* kernel arrival times: tells our stalls from the sender's */
	setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &on, sizeof(on));
	return fd;
}

static void close_fds(int *fds, int n)
{
	for (int i = 0; i < n; i++)
		if (fds[i] >= 0)
			close(fds[i]), fds[i] = -1;
}

/* Four consecutive ports p..p+3 (p even) from *next within [min, max]. */
static int open_ports(struct sim *s, struct ep *e, uint32_t *next)
{
	const struct mcu_sim_config *c = s->cfg;
	uint32_t span = (uint32_t)(c->rtp_max - c->rtp_min + 1) & ~3u;
	for (uint32_t tries = 0; tries < span / 4; tries++) {
		uint32_t p = c->rtp_min + (*next % span);
		*next += 4;
		if (p + 3 > c->rtp_max)
			continue;
		int fds[4];
		int k;
		for (k = 0; k < 4; k++)
			if ((fds[k] = udp_bind(s->addr, (uint16_t)(p + k))) < 0)
				break;
		if (k < 4) {
			close_fds(fds, k);
			continue;
		}
		e->v.fd[0] = fds[0], e->v.fd[1] = fds[1];
		e->a.fd[0] = fds[2], e->a.fd[1] = fds[3];
		e->v.port = (uint16_t)p;
		e->a.port = (uint16_t)(p + 2);
		return 0;
	}
	return EADDRINUSE;
}

static int watch(struct sim *s, int fd, struct sref *ref)
{
	struct epoll_event ev = {.events = EPOLLIN, .data.ptr = ref};
	return epoll_ctl(s->epfd, EPOLL_CTL_ADD, fd, &ev) == 0 ? 0 : errno;
}

/* ---- sending ---------------------------------------------------------- */

/* --tx-loss: drop this many per million RTP media packets (I/O loop
   only; xorshift32, a fixed seed so runs are alike). */
static uint32_t tx_loss_ppm;
static uint32_t tx_loss_rnd = 2463534242u;

static bool tx_lose(void)
{
	if (!tx_loss_ppm)
		return false;
	tx_loss_rnd ^= tx_loss_rnd << 13;
	tx_loss_rnd ^= tx_loss_rnd >> 17;
	tx_loss_rnd ^= tx_loss_rnd << 5;
	return tx_loss_rnd % 1000000u < tx_loss_ppm;
}

static void send_to(struct stream *st, int fd, const struct sockaddr_in *to,
                    const uint8_t *buf, size_t len)
{
	if (sendto(fd, buf, len, 0, (const struct sockaddr *)to, sizeof(*to)) <
	    0)
		st->tx_errors++;
}

struct pk {
	struct stream *st;
	uint32_t ts;
};

static int send_payload(struct stream *st, const uint8_t *p, size_t len,
                        bool marker, uint32_t ts)
{
	uint8_t buf[PKT_MAX];
	struct mcu_rtp_hdr h = {.marker = marker,
	                        .pt = (uint8_t)st->pt,
	                        .seq = st->seq,
	                        .ts = ts,
	                        .ssrc = st->ssrc};
	size_t hl;
	if (len > sizeof(buf) - MCU_RTP_HDR_MIN ||
	    mcu_rtp_write(buf, sizeof(buf), &h, &hl) != 0)
		return EMSGSIZE;
	memcpy(buf + hl, p, len);
	st->seq++;
	st->tx_packets++;
	st->tx_octets += len;
	st->last_ts = ts;
	if (tx_lose())
		st->tx_dropped++;
	else
		send_to(st, st->fd[0], &st->rtp_to, buf, hl + len);
	return 0;
}

static int on_payload(const uint8_t *p, size_t len, bool last, void *arg)
{
	struct pk *k = arg;
	return send_payload(k->st, p, len, last, k->ts);
}

static void send_video_frame(struct ep *e)
{
	struct stream *st = &e->v;
	const struct mcu_sim_media *m = e->media;
	const struct mcu_sim_au *au = &m->video[st->cursor];
	struct pk k = {st, st->ts0 + (uint32_t)(st->units * 90000 / m->fps)};
	int err = mcu_h264_packetize(au->data, au->len, MAX_PAYLOAD,
	                             st->h264_mode, true, on_payload, &k);
	if (err)
		mcu_log_ratelimited(MCU_LOG_WARN, 5000, "%s: packetize: %s",
		                    e->conf->id, strerror(err));
	st->units++;
	st->cursor = (st->cursor + 1) % m->n_video;
}

static void send_audio_packet(struct ep *e)
{
	struct stream *st = &e->a;
	const struct mcu_sim_au *au = &e->media->audio[st->cursor];
	send_payload(st, au->data, au->len, st->units == 0,
	             st->ts0 + (uint32_t)(st->units * 960));
	st->units++;
	st->cursor = (st->cursor + 1) % e->media->n_audio;
}

static void send_rtcp(struct ep *e, struct stream *st, int64_t now)
{
	uint8_t buf[512];
	size_t off = 0;
	struct mcu_rtcp_rb rb;
	unsigned n_rb = 0;
	if (st->have_remote) {
		memset(&rb, 0, sizeof(rb));
		rb.ssrc = st->remote_ssrc;
		mcu_rtp_rx_report(&st->rtprx, &rb.fraction, &rb.lost,
		                  &rb.ext_max, &rb.jitter);
		if (st->lsr) {
			rb.lsr = st->lsr;
			rb.dlsr =
			    (uint32_t)((now - st->lsr_us) * 65536 / 1000000);
		}
		n_rb = 1;
	}
	int err;
	if (st->tx_packets) {
		struct mcu_rtcp_sr_info sr = {
		    .ntp = mcu_ntp_from_unix_us(unix_us()),
		    .rtp_ts = st->last_ts,
		    .packets = (uint32_t)st->tx_packets,
		    .octets = (uint32_t)st->tx_octets,
		};
		err = mcu_rtcp_write_sr(buf, sizeof(buf), &off, st->ssrc, &sr,
		                        n_rb ? &rb : NULL, n_rb);
	} else {
		err = mcu_rtcp_write_rr(buf, sizeof(buf), &off, st->ssrc,
		                        n_rb ? &rb : NULL, n_rb);
	}
	char cname[96];
	snprintf(cname, sizeof(cname), "%s@mcu-sim", e->conf->id);
	if (!err)
		err = mcu_rtcp_write_sdes(buf, sizeof(buf), &off, st->ssrc,
		                          cname);
	if (!err)
		send_to(st, st->fd[st->mux ? 0 : 1], &st->rtcp_to, buf, off);
}

static void send_pli(struct ep *e)
{
	uint8_t buf[64];
	size_t off = 0;
	if (!e->v.have_remote)
		return;
	if (mcu_rtcp_write_rr(buf, sizeof(buf), &off, e->v.ssrc, NULL, 0) ||
	    mcu_rtcp_write_pli(buf, sizeof(buf), &off, e->v.ssrc,
	                       e->v.remote_ssrc))
		return;
	send_to(&e->v, e->v.fd[e->v.mux ? 0 : 1], &e->v.rtcp_to, buf, off);
}

/* One pacer tick: every stream whose deadline passed sends. */
static void tick(struct sim *s, int64_t now)
{
	for (size_t i = 0; i < s->n; i++) {
		struct ep *e = &s->eps[i];
		if (!atomic_load_explicit(&e->media_on, memory_order_acquire))
			continue;
		int64_t vint = 1000000 / e->media->fps;
		/* Far behind (a stall): skip ahead instead of a burst. */
		if (now - e->a.next_us > 200000)
			e->a.next_us = now;
		if (now - e->v.next_us > 200000)
			e->v.next_us = now;
		while (now >= e->a.next_us) {
			send_audio_packet(e);
			e->a.next_us += 20000;
		}
		while (now >= e->v.next_us) {
			send_video_frame(e);
			e->v.next_us += vint;
		}
		if (now >= e->v.next_rtcp_us) {
			send_rtcp(e, &e->v, now);
			send_rtcp(e, &e->a, now);
			e->v.next_rtcp_us = now + RTCP_EVERY_US;
		}
		if (e->sample && now >= s->sample_from_us && e->dec &&
		    mcu_vdec_need_keyframe(e->dec) &&
		    now - e->last_pli_us >= PLI_EVERY_US) {
			send_pli(e);
			e->last_pli_us = now;
		}
	}
}

/* ---- receiving -------------------------------------------------------- */

static void analyse(const AVFrame *f, void *arg)
{
	struct ep *e = arg;
	struct sim *s = e->sim;
	e->decoded++;
	e->dec_w = f->width, e->dec_h = f->height;
	if ((e->decoded - 1) % 3 != 0)
		return;
	if (f->format != AV_PIX_FMT_YUV420P && f->format != AV_PIX_FMT_YUVJ420P)
		return;
	struct mcu_sim_picture pic = {
	    f->data[0],     f->data[1],     f->data[2], f->linesize[0],
	    f->linesize[1], f->linesize[2], f->width,   f->height,
	};
	unsigned counts[1024];
	size_t n = s->n < 1024 ? s->n : 1024;
	mcu_sim_picture_colours(&pic, s->palette, n, counts);
	for (size_t i = 0; i < n; i++)
		if (counts[i] >= MCU_SIM_MIN_CELLS)
			e->seen[i]++;
	e->analysed++;
}

static void sample_video(struct ep *e, const struct mcu_rtp_hdr *h,
                         const uint8_t *payload, int64_t now)
{
	struct mcu_h264_au au;
	int err = mcu_h264_depack_push(e->depack, payload, h->payload_len,
	                               h->seq, h->ts, h->marker, &au);
	if (err == EPIPE || err == EBADMSG)
		mcu_vdec_mark_loss(e->dec);
	if (err || au.len == 0)
		return;
	mcu_vdec_decode(e->dec, au.data, au.len, now, analyse, e);
}

static void key_request(struct ep *e, int64_t now)
{
	if (now - e->v.last_key_us < KEY_MIN_US)
		return;
	e->v.last_key_us = now;
	e->v.key_jumps++;
	e->v.cursor = mcu_sim_media_gop_start(e->media, e->v.cursor);
}

static void on_rtcp(struct ep *e, struct stream *st, const uint8_t *buf,
                    size_t len, int64_t now)
{
	struct mcu_rtcp_iter it;
	struct mcu_rtcp_msg m;
	mcu_rtcp_iter_init(&it, buf, len);
	st->rtcp_in++;
	int err;
	while ((err = mcu_rtcp_next(&it, &m)) != ENOENT) {
		if (err) {
			st->rtcp_bad++;
			continue;
		}
		switch (m.type) {
		case MCU_RTCP_SR:
			st->lsr = mcu_ntp_mid32(m.sr.ntp);
			st->lsr_us = now;
			break;
		case MCU_RTCP_PLI:
			if (st->video) {
				st->pli++;
				key_request(e, now);
			}
			break;
		case MCU_RTCP_FIR:
			if (st->video) {
				st->fir++;
				key_request(e, now);
			}
			break;
		case MCU_RTCP_NACK:
			st->nack++;
			break;
		default:
			break;
		}
	}
}

/* Audio gap bookkeeping of one packet: `now` monotonic, `k_us` the
   kernel's arrival time (unix, 0: unknown), `unix_now` ours. */
static void audio_gap(struct stream *st, int64_t now, int64_t k_us,
                      int64_t unix_now)
{
	double gap = st->rx.packets ? (double)(now - st->rx.last_us) / 1e3 : 0;
	double kgap =
	    k_us && st->k_last_us ? (double)(k_us - st->k_last_us) / 1e3 : 0;
	if (kgap > st->max_kgap_ms)
		st->max_kgap_ms = kgap;
	if (k_us)
		st->k_last_us = k_us;
	if ((gap * 1e3 > GAP_EVENT_US || kgap * 1e3 > GAP_EVENT_US) &&
	    st->n_gap_events < MAX_GAP_EVENTS)
		st->gap_events[st->n_gap_events++] =
		    (struct gap_event){(double)unix_now / 1e6, gap, kgap};
}

static void on_rtp(struct ep *e, struct stream *st, const uint8_t *buf,
                   size_t len, int64_t now, int64_t k_us, int64_t unix_now)
{
	struct mcu_rtp_hdr h;
	if (mcu_rtp_parse(&h, buf, len) != 0 || h.pt != st->pt) {
		st->rx_other++;
		return;
	}
	if (!st->video)
		audio_gap(st, now, k_us, unix_now);
	const uint8_t *payload = buf + h.hdr_len;
	bool key =
	    st->video && mcu_sim_h264_payload_key(payload, h.payload_len);
	mcu_sim_rx_packet(&st->rx, h.ssrc, h.seq, h.ts,
	                  st->video ? h.marker : true, h.payload_len, key, now);
	if (!st->have_remote || h.ssrc != st->remote_ssrc) {
		mcu_rtp_rx_init(&st->rtprx, st->video ? 90000 : 48000);
		st->remote_ssrc = h.ssrc;
		st->have_remote = true;
	}
	mcu_rtp_rx_update(&st->rtprx, &h, now);
	if (st->video && e->sample && now >= e->sim->sample_from_us)
		sample_video(e, &h, payload, now);
}

/*
 * A received message's kernel arrival time (unix microseconds, 0: none)
 * and how long it waited in the socket: the longest waits and when they
 * happened go to the report (a stall of this loop, not of the sender).
 */
static int64_t rx_delay(struct sim *s, struct msghdr *mh, int64_t unix_now)
{
	for (struct cmsghdr *c = CMSG_FIRSTHDR(mh); c; c = CMSG_NXTHDR(mh, c)) {
		if (c->cmsg_level != SOL_SOCKET ||
		    c->cmsg_type != SO_TIMESTAMPNS ||
		    c->cmsg_len < CMSG_LEN(sizeof(struct timespec)))
			continue;
		struct timespec ts;
		memcpy(&ts, CMSG_DATA(c), sizeof(ts));
		int64_t k = (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
		double d = (double)(unix_now - k) / 1e3;
		if (d > s->rx_delay_max_ms) {
			s->rx_delay_max_ms = d;
			s->rx_delay_max_at = (double)unix_now / 1e6;
		}
		if (d * 1e3 > STALL_US) {
			s->rx_delays_over++;
			/* one event per stall: a new one 200 ms after the last
			 */
			struct stall *l =
			    s->n_stalls ? &s->stalls[s->n_stalls - 1] : NULL;
			if (l && l->rx_delay_ms > 0 &&
			    (double)unix_now / 1e6 - l->at_unix < 0.2) {
				if (d > l->rx_delay_ms)
					l->rx_delay_ms = d;
			} else if (s->n_stalls < MAX_STALLS) {
				s->stalls[s->n_stalls++] = (struct stall){
				    (double)unix_now / 1e6, 0, 0, d};
			}
		}
		return k;
	}
	return 0;
}

static void on_readable(struct sim *s, struct sref *ref)
{
	struct ep *e = ref->ep;
	struct stream *st = ref->kind <= K_VRTCP ? &e->v : &e->a;
	int fd = st->fd[ref->kind == K_VRTCP || ref->kind == K_ARTCP];
	static uint8_t bufs[RECV_BATCH][PKT_MAX];
	static union {
		char buf[CMSG_SPACE(sizeof(struct timespec))];
		struct cmsghdr align;
	} ctl[RECV_BATCH];
	struct mmsghdr msgs[RECV_BATCH];
	struct iovec iov[RECV_BATCH];
	int64_t k_us[RECV_BATCH];
	for (;;) {
		for (int i = 0; i < RECV_BATCH; i++) {
			iov[i] = (struct iovec){bufs[i], PKT_MAX};
			msgs[i] = (struct mmsghdr){
			    .msg_hdr = {.msg_iov = &iov[i],
			                .msg_iovlen = 1,
			                .msg_control = ctl[i].buf,
			                .msg_controllen = sizeof(ctl[i].buf)}};
		}
		int n = recvmmsg(fd, msgs, RECV_BATCH, MSG_DONTWAIT, NULL);
		if (n <= 0)
			return;
		int64_t now = mono_us(), unix_now = unix_us();
		for (int i = 0; i < n; i++)
			k_us[i] = rx_delay(s, &msgs[i].msg_hdr, unix_now);
		bool on =
		    atomic_load_explicit(&e->media_on, memory_order_acquire) &&
		    !s->ending;
		for (int i = 0; on && i < n; i++) {
			size_t len = msgs[i].msg_len;
			if (mcu_rtp_demux(bufs[i], len) == MCU_DEMUX_RTCP)
				on_rtcp(e, st, bufs[i], len, now);
			else if (ref->kind == K_VRTP || ref->kind == K_ARTP)
				on_rtp(e, st, bufs[i], len, now, k_us[i],
				       unix_now);
		}
		if (n < RECV_BATCH)
			return;
	}
}

/* ---- SIP -------------------------------------------------------------- */

/* What an endpoint takes in (b=AS): with --roster-bandwidth its roster
   bandwidth_kbps, else by what it sends; level 3.1 (720p) from 2000
   kbit/s, as mcud's tiers. */
static unsigned rx_kbps(const struct sim *s, const struct ep *e)
{
	if (s->cfg->roster_bandwidth && e->conf->bandwidth_kbps)
		return e->conf->bandwidth_kbps;
	return s->cfg->height > 360 ? 2000 : 1000;
}

static char *make_offer(const struct sim *s, const struct ep *e)
{
	char *o = NULL;
	unsigned kbps = rx_kbps(s, e);
	const char *lvl = s->cfg->height > 360 || kbps >= 2000 ? "1f" : "1e";
	if (asprintf(
	        &o,
	        "v=0\r\n"
	        "o=mcu-sim %u 1 IN IP4 %s\r\n"
	        "s=mcu-sim\r\n"
	        "c=IN IP4 %s\r\n"
	        "t=0 0\r\n"
	        "m=audio %u RTP/AVP 111 110\r\n"
	        "a=rtpmap:111 opus/48000/2\r\n"
	        "a=fmtp:111 useinbandfec=1\r\n"
	        "a=rtpmap:110 telephone-event/48000\r\n"
	        "a=fmtp:110 0-15\r\n"
	        "a=sendrecv\r\n"
	        "m=video %u RTP/AVP 96\r\n"
	        "b=AS:%u\r\n"
	        "a=rtpmap:96 H264/90000\r\n"
	        "a=fmtp:96 profile-level-id=42e0%s;packetization-mode=1\r\n"
	        "a=rtcp-fb:96 nack\r\n"
	        "a=rtcp-fb:96 nack pli\r\n"
	        "a=rtcp-fb:96 ccm fir\r\n"
	        "a=sendrecv\r\n",
	        e->index + 1, s->addr, s->addr, e->a.port, e->v.port, kbps,
	        lvl) < 0)
		return NULL;
	return o;
}

static bool set_addr(struct sockaddr_in *sa, const char *addr, uint16_t port)
{
	memset(sa, 0, sizeof(*sa));
	sa->sin_family = AF_INET;
	sa->sin_port = htons(port);
	return port && inet_pton(AF_INET, addr, &sa->sin_addr) == 1;
}

static bool neg_stream(struct stream *st, const struct mcu_sdp_neg_media *nm)
{
	if (!nm->active || nm->family != AF_INET)
		return false;
	uint16_t rport =
	    nm->rtcp_port ? nm->rtcp_port : (uint16_t)(nm->port + 1);
	const char *raddr = nm->rtcp_addr[0] ? nm->rtcp_addr : nm->addr;
	if (!set_addr(&st->rtp_to, nm->addr, nm->port) ||
	    !set_addr(&st->rtcp_to, raddr, rport))
		return false;
	st->pt = nm->pt;
	st->te_pt = nm->te_pt;
	st->h264_mode = nm->h264.packetization_mode;
	st->mux = nm->rtcp_mux;
	return true;
}

/* SIP thread: the MCU's answer. Returns 0 or why it is unusable. */
static const char *take_answer(struct ep *e, const char *sdp, size_t len)
{
	struct mcu_sdp_session *sess = NULL;
	if (!sdp || mcu_sdp_parse(&sess, sdp, len) != 0)
		return "answer without usable SDP";
	struct mcu_sdp_caps caps;
	mcu_sdp_caps_default(&caps);
	caps.codecs[0] = MCU_SDP_H264;
	caps.codecs[1] = MCU_SDP_OPUS;
	caps.n_codecs = 2;
	caps.rtcp_mux = false;
	struct mcu_sdp_neg neg;
	const char *why = NULL;
	if (mcu_sdp_parse_answer(sess, &caps, &neg) != 0)
		why = "answer has no common codec";
	else if (neg.video.codec != MCU_SDP_H264 ||
	         !neg_stream(&e->v, &neg.video))
		why = "answer without H.264 video";
	else if (neg.audio.codec != MCU_SDP_OPUS ||
	         !neg_stream(&e->a, &neg.audio))
		why = "answer without Opus audio";
	mcu_sdp_free(sess);
	return why;
}

/* SIP thread, --answer: the endpoint the MCU calls (request-URI user). */
static struct ep *callee(struct sim *s, const char *user)
{
	for (size_t i = 0; i < s->n; i++)
		if (strcmp(s->eps[i].conf->sip_user, user) == 0)
			return &s->eps[i];
	return NULL;
}

/* SIP thread, --answer: our answer to the MCU's offer, or why not. */
static const char *make_answer(struct sim *s, struct ep *e,
                               const struct mcu_sip_incoming *in, char **answer)
{
	struct mcu_sdp_session *sess = NULL;
	if (!in->sdp || mcu_sdp_parse(&sess, in->sdp, in->sdp_len) != 0)
		return "offer without usable SDP";
	struct mcu_sdp_caps caps;
	mcu_sdp_caps_default(&caps);
	caps.codecs[0] = MCU_SDP_H264;
	caps.codecs[1] = MCU_SDP_OPUS;
	caps.n_codecs = 2;
	caps.rtcp_mux = false;
	caps.bitrate_kbps = rx_kbps(s, e);
	caps.h264_level_idc = rx_kbps(s, e) >= 2000 ? 31 : 30;
	struct mcu_sdp_local local = {
	    .addr = s->addr,
	    .audio_port = e->a.port,
	    .video_port = e->v.port,
	    .sess_id = e->index + 1,
	    .sess_version = 1,
	};
	struct mcu_sdp_neg neg;
	const char *why = NULL;
	if (mcu_sdp_answer(sess, &caps, &local, &neg, answer) != 0)
		why = "offer has no common codec";
	else if (neg.video.codec != MCU_SDP_H264 ||
	         !neg_stream(&e->v, &neg.video))
		why = "offer without H.264 video";
	else if (neg.audio.codec != MCU_SDP_OPUS ||
	         !neg_stream(&e->a, &neg.audio))
		why = "offer without Opus audio";
	mcu_sdp_free(sess);
	if (why) {
		free(*answer);
		*answer = NULL;
	}
	return why;
}

/* SIP thread, --answer: an INVITE from the MCU (dial: out meetings). */
static void on_incoming(struct mcu_sip_call *call,
                        const struct mcu_sip_incoming *in, void *arg)
{
	struct sim *s = arg;
	struct ep *e = callee(s, in->ruri_user);
	int64_t now = mono_us();
	lock(s);
	if (!s->first_invite_us)
		s->first_invite_us = now;
	bool busy = e && (e->call || s->ending);
	if (e && !busy) {
		e->call = mcu_sip_call_get(call);
		e->invite_us = now;
		e->state = ST_CALLING;
		s->answered++;
	}
	unlock(s);
	if (!e || busy) {
		mcu_log_warn("INVITE for %s: %s", in->ruri_user,
		             e ? "busy" : "no such endpoint");
		mcu_sip_call_respond(call, e ? 486 : 404, NULL, NULL);
		return;
	}
	mcu_sip_call_set_user(call, e);
	char *answer = NULL;
	const char *why = make_answer(s, e, in, &answer);
	e->answer_ok = !why;
	if (why) {
		mcu_log_warn("%s: %s: 488", e->conf->id, why);
		lock(s);
		snprintf(e->reason, sizeof(e->reason), "%s", why);
		unlock(s);
		mcu_sip_call_respond(call, 488, why, NULL);
		return;
	}
	mcu_sip_call_respond(call, 200, NULL, answer);
	free(answer);
}

static void on_sip_event(struct mcu_sip_call *call,
                         const struct mcu_sip_event *ev, void *arg)
{
	struct sim *s = arg;
	struct ep *e = mcu_sip_call_user(call);
	if (!e)
		return;
	const char *why = NULL;
	bool outgoing = mcu_sip_call_is_outgoing(call);
	if (ev->type == MCU_SIP_EV_ANSWERED && outgoing) {
		why = take_answer(e, ev->sdp, ev->sdp_len);
		e->answer_ok = !why;
		if (why) {
			mcu_log_warn("%s: %s: hanging up", e->conf->id, why);
			mcu_sip_call_hangup(call);
		}
	} else if (ev->type == MCU_SIP_EV_CONFIRMED && e->answer_ok) {
		/* Media once our ACK is out, video 200 ms later: an MCU
		   sets its leg up on the ACK, and a key frame sent before
		   is lost to it (it would ask again with PLI). */
		int64_t now = mono_us();
		e->a.next_us = now;
		e->v.next_us = now + 200000 + (int64_t)(e->index % 10) * 3000;
		e->v.next_rtcp_us =
		    now + 500000 + (int64_t)(e->index % 50) * 10000;
		atomic_store_explicit(&e->media_on, true, memory_order_release);
	}
	lock(s);
	switch (ev->type) {
	case MCU_SIP_EV_ANSWERED:
		if (why) {
			e->state = ST_FAILED;
			snprintf(e->reason, sizeof(e->reason), "%s", why);
		} else {
			e->state = ST_CONNECTED;
			e->connected_us = mono_us();
		}
		e->status = ev->status;
		break;
	case MCU_SIP_EV_CANCELLED:
	case MCU_SIP_EV_FAILED:
		e->state = ST_FAILED;
		e->status = ev->status;
		snprintf(e->reason, sizeof(e->reason), "%s", ev->reason);
		break;
	case MCU_SIP_EV_TERMINATED:
		if (e->state != ST_FAILED)
			e->state = ev->cause == MCU_SIP_CAUSE_LOCAL_BYE ||
			                   ev->cause == MCU_SIP_CAUSE_SHUTDOWN
			               ? ST_ENDED
			               : ST_DROPPED;
		if (e->state == ST_DROPPED)
			snprintf(e->reason, sizeof(e->reason), "%s",
			         ev->cause == MCU_SIP_CAUSE_REMOTE_BYE
			             ? "BYE from the MCU"
			             : "session timeout");
		break;
	default:
		break;
	}
	bool final = ev->type == MCU_SIP_EV_CANCELLED ||
	             ev->type == MCU_SIP_EV_FAILED ||
	             ev->type == MCU_SIP_EV_TERMINATED;
	if (final) {
		atomic_store_explicit(&e->media_on, false,
		                      memory_order_release);
		if (!e->final)
			s->finals++;
		e->final = true;
	}
	unlock(s);
	if (ev->type == MCU_SIP_EV_FAILED || ev->type == MCU_SIP_EV_TERMINATED)
		mcu_log_info("%s: call %s (%d %s)", e->conf->id,
		             ev->type == MCU_SIP_EV_FAILED ? "failed" : "ended",
		             ev->status, ev->reason);
}

static void dial(struct sim *s, struct ep *e)
{
	char *sdp = make_offer(s, e);
	lock(s);
	e->state = ST_CALLING;
	unlock(s);
	int err = sdp ? mcu_sip_dial(s->sip, &e->call, s->ruri, e->conf->id,
	                             e->conf->name, sdp, e)
	              : ENOMEM;
	free(sdp);
	if (err) {
		mcu_log_error("%s: dial %s: %s", e->conf->id, s->ruri,
		              strerror(err));
		lock(s);
		e->state = ST_FAILED;
		snprintf(e->reason, sizeof(e->reason), "dial: %s",
		         strerror(err));
		if (!e->final)
			s->finals++;
		e->final = true;
		unlock(s);
	}
}

/* ---- set-up ----------------------------------------------------------- */

static int pick_endpoints(struct sim *s)
{
	const struct mcu_conf *conf = s->cfg->conf;
	size_t *order = NULL, n = 0;
	char why[256];
	int err =
	    mcu_sim_roster_pick(conf, s->cfg->meeting, s->cfg->endpoints,
	                        s->cfg->count, &order, &n, why, sizeof(why));
	if (err) {
		if (why[0])
			mcu_log_error("%s", why);
		return err;
	}
	s->eps = calloc(n, sizeof(*s->eps));
	s->palette = calloc(n, sizeof(*s->palette));
	if (!s->eps || !s->palette) {
		free(order);
		return ENOMEM;
	}
	s->n = n;
	for (size_t i = 0; i < n; i++) /* sim_free() closes fds >= 0 */
		s->eps[i].v.fd[0] = s->eps[i].v.fd[1] = s->eps[i].a.fd[0] =
		    s->eps[i].a.fd[1] = -1;
	for (size_t i = 0; i < n; i++) {
		struct ep *e = &s->eps[i];
		e->conf = &conf->endpoints[order[i]];
		e->sim = s;
		e->index = (unsigned)i;
		e->v.video = true;
		s->palette[i] = mcu_sim_rgb_to_yuv(
		    mcu_sim_colour_rgb((unsigned)i, (unsigned)n));
		if (!e->conf->sip || !e->conf->sip_user || !e->conf->sip_host) {
			mcu_log_error("%s has no sip: user@host", e->conf->id);
			err = EINVAL;
			break;
		}
		if (i == 0)
			snprintf(s->domain, sizeof(s->domain), "%s",
			         e->conf->sip_host);
		else if (strcasecmp(s->domain, e->conf->sip_host) != 0) {
			mcu_log_error(
			    "%s: sip host %s differs from %s (one SIP "
			    "domain per run)",
			    e->conf->id, e->conf->sip_host, s->domain);
			err = EINVAL;
			break;
		}
		const char *smp = s->cfg->sample;
		e->sample = smp && (strcmp(smp, "all") == 0 ||
		                    strcmp(smp, e->conf->id) == 0);
	}
	free(order);
	return err;
}

static int prepare_media(struct sim *s)
{
	struct mcu_label_cache *labels = NULL;
	if (mcu_label_cache_alloc(&labels, NULL, 4) != 0)
		mcu_log_warn("no font (%s): endpoints' numbers not drawn",
		             MCU_LABEL_DEFAULT_FONT);
	int err = 0;
	for (size_t i = 0; i < s->n && !err; i++) {
		struct ep *e = &s->eps[i];
		char text[24];
		snprintf(text, sizeof(text), "%zu", i + 1);
		struct mcu_sim_media_config mc = {
		    .width = s->cfg->width,
		    .height = s->cfg->height,
		    .fps = s->cfg->fps,
		    .loop_s = 2,
		    .gop_s = 1,
		    .bitrate = s->cfg->height > 360 ? 1200000 : 500000,
		    .preset = "ultrafast",
		    .colour = mcu_sim_colour_rgb((unsigned)i, (unsigned)s->n),
		    .text = text,
		    .tone_hz = 300 + 20 * (unsigned)(i % 300),
		};
		err = mcu_sim_media_alloc(&e->media, &mc, labels);
		if (!err && e->sample) {
			err = mcu_h264_depack_alloc(&e->depack, 1, 0);
			if (!err)
				err =
				    mcu_vdec_alloc(&e->dec, MCU_VCODEC_H264, 1);
			e->seen = calloc(s->n, sizeof(*e->seen));
			if (!err && !e->seen)
				err = ENOMEM;
		}
		e->v.ssrc = rand32();
		e->a.ssrc = rand32();
		e->v.ts0 = rand32();
		e->a.ts0 = rand32();
		e->v.seq = (uint16_t)rand32();
		e->a.seq = (uint16_t)rand32();
		mcu_sim_rx_init(&e->v.rx, 90000);
		mcu_sim_rx_init(&e->a.rx, 48000);
	}
	mcu_label_cache_free(labels);
	return err;
}

static int prepare_io(struct sim *s)
{
	s->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (s->epfd < 0)
		return errno;
	uint32_t next = rand32() % 4096 * 4;
	for (size_t i = 0; i < s->n; i++) {
		struct ep *e = &s->eps[i];
		int err = open_ports(s, e, &next);
		if (err) {
			mcu_log_error("no free RTP ports in %u-%u",
			              s->cfg->rtp_min, s->cfg->rtp_max);
			return err;
		}
		struct stream *sts[2] = {&e->v, &e->a};
		for (int k = 0; k < 2; k++) {
			for (int j = 0; j < 2; j++) {
				sts[k]->ref[j] =
				    (struct sref){e, (enum kind)(2 * k + j)};
				if ((err = watch(s, sts[k]->fd[j],
				                 &sts[k]->ref[j])))
					return err;
			}
		}
	}
	s->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (s->tfd < 0)
		return errno;
	long ns = (long)s->cfg->tick_ms * 1000000L;
	struct itimerspec its = {{0, ns}, {0, ns}};
	if (timerfd_settime(s->tfd, 0, &its, NULL) != 0)
		return errno;
	s->tref.kind = K_TIMER;
	int err = watch(s, s->tfd, &s->tref);
	if (err)
		return err;
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	s->sfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	if (s->sfd < 0)
		return errno;
	s->sigref.kind = K_SIGNAL;
	return watch(s, s->sfd, &s->sigref);
}

static uint16_t free_udp_port(const char *addr)
{
	int fd = udp_bind(addr, 0);
	if (fd < 0)
		return 0;
	struct sockaddr_in sa;
	socklen_t sl = sizeof(sa);
	uint16_t port = 0;
	if (getsockname(fd, (struct sockaddr *)&sa, &sl) == 0)
		port = ntohs(sa.sin_port);
	close(fd);
	return port;
}

static int start_sip(struct sim *s)
{
	uint16_t port =
	    s->cfg->sip_port ? s->cfg->sip_port : free_udp_port(s->addr);
	if (!port)
		return EADDRINUSE;
	struct mcu_sip_listen l = {MCU_SIP_UDP, s->addr, port};
	struct mcu_sip_config sc = {
	    .listen = &l, .n_listen = 1, .domain = s->domain};
	struct mcu_sip_handlers h = {.incoming =
	                                 s->cfg->answer ? on_incoming : NULL,
	                             .event = on_sip_event,
	                             .arg = s};
	int err = mcu_sip_alloc(&s->sip, &sc, &h);
	if (err)
		mcu_log_error("SIP on %s:%u: %s", s->addr, port, strerror(err));
	else
		mcu_log_info("SIP on %s:%u, %s %s", s->addr, port,
		             s->cfg->answer ? "answering" : "calling",
		             s->cfg->answer ? "the MCU" : s->ruri);
	return err;
}

/* sip:MEETING@host:port from sip:host:port (kept when it has a user). */
static int make_ruri(struct sim *s)
{
	const char *u = s->cfg->mcu_uri;
	if (!u && s->cfg->answer)
		return 0; /* we only answer */
	if (!u || strncmp(u, "sip:", 4) != 0 || strlen(u) > 400)
		return EINVAL;
	if (strchr(u, '@'))
		snprintf(s->ruri, sizeof(s->ruri), "%s", u);
	else
		snprintf(s->ruri, sizeof(s->ruri), "sip:%s@%s", s->cfg->meeting,
		         u + 4);
	return 0;
}

/* ---- report ----------------------------------------------------------- */

/* Seconds from the run's start (the first dial, or --answer's start). */
static double since(const struct sim *s, int64_t t_us)
{
	return (double)(t_us - s->start_us) / 1e6;
}

static json_t *ep_json(struct sim *s, struct ep *e, enum ep_state st,
                       int status, const char *reason)
{
	struct mcu_sim_rx_result v, a;
	mcu_sim_rx_result(&e->v.rx, &v);
	mcu_sim_rx_result(&e->a.rx, &a);
	json_t *o = json_object();
	json_object_set_new(o, "id", json_string(e->conf->id));
	json_object_set_new(o, "state", json_string(state_name(st)));
	if (status)
		json_object_set_new(o, "status", json_integer(status));
	if (reason[0])
		json_object_set_new(o, "reason", json_string(reason));
	json_object_set_new(
	    o, "tx_packets",
	    json_integer((json_int_t)(e->v.tx_packets + e->a.tx_packets)));
	json_object_set_new(o, "tx_video_packets",
	                    json_integer((json_int_t)e->v.tx_packets));
	json_object_set_new(o, "tx_audio_packets",
	                    json_integer((json_int_t)e->a.tx_packets));
	if (tx_loss_ppm)
		json_object_set_new(
		    o, "tx_dropped",
		    json_integer((json_int_t)(e->v.tx_dropped +
		                              e->a.tx_dropped)));
	json_object_set_new(o, "rx_video_packets",
	                    json_integer((json_int_t)v.packets));
	json_object_set_new(o, "rx_audio_packets",
	                    json_integer((json_int_t)a.packets));
	json_object_set_new(o, "lost",
	                    json_integer((json_int_t)(v.lost + a.lost)));
	json_object_set_new(o, "video_lost", json_integer((json_int_t)v.lost));
	json_object_set_new(o, "audio_lost", json_integer((json_int_t)a.lost));
	json_object_set_new(o, "video_loss_pct", json_real(v.loss_pct));
	json_object_set_new(o, "audio_loss_pct", json_real(a.loss_pct));
	json_object_set_new(
	    o, "duplicates",
	    json_integer((json_int_t)(v.duplicates + a.duplicates)));
	json_object_set_new(o, "rx_video_frames",
	                    json_integer((json_int_t)v.frames));
	json_object_set_new(o, "fps", json_real(v.fps));
	json_object_set_new(o, "key_frames",
	                    json_integer((json_int_t)v.key_frames));
	json_object_set_new(o, "max_video_gap_ms", json_real(v.max_gap_ms));
	json_object_set_new(o, "max_audio_gap_ms", json_real(a.max_gap_ms));
	json_object_set_new(o, "max_audio_gap_at_s", json_real(a.max_gap_at_s));
	json_object_set_new(o, "max_audio_gap_steady_ms",
	                    json_real(a.max_gap_steady_ms));
	json_object_set_new(o, "audio_gaps_over_100ms",
	                    json_integer((json_int_t)a.long_gaps));
	json_object_set_new(o, "max_audio_gap_kernel_ms",
	                    json_real(e->a.max_kgap_ms));
	json_t *ge = json_array();
	for (unsigned i = 0; i < e->a.n_gap_events; i++)
		json_array_append_new(
		    ge, json_pack("{s:f,s:f,s:f}", "at_unix",
		                  e->a.gap_events[i].at_unix, "gap_ms",
		                  e->a.gap_events[i].gap_ms, "kernel_gap_ms",
		                  e->a.gap_events[i].kernel_gap_ms));
	json_object_set_new(o, "audio_gap_events", ge);
	json_object_set_new(o, "max_video_gap_at_s", json_real(v.max_gap_at_s));
	json_object_set_new(o, "rx_seconds", json_real(v.duration_s));
	json_object_set_new(o, "rx_audio_seconds", json_real(a.duration_s));
	json_object_set_new(o, "rx_audio_media_seconds", json_real(a.media_s));
	json_object_set_new(o, "ssrc_segments",
	                    json_integer(v.segments + a.segments));
	json_object_set_new(o, "pli_received",
	                    json_integer((json_int_t)e->v.pli));
	json_object_set_new(o, "fir_received",
	                    json_integer((json_int_t)e->v.fir));
	json_object_set_new(o, "nack_received",
	                    json_integer((json_int_t)e->v.nack));
	json_object_set_new(o, "key_frame_jumps",
	                    json_integer((json_int_t)e->v.key_jumps));
	lock(s);
	int64_t inv = e->invite_us, con = e->connected_us;
	unlock(s);
	if (inv)
		json_object_set_new(o, "invite_s", json_real(since(s, inv)));
	if (con)
		json_object_set_new(o, "connected_s", json_real(since(s, con)));
	if (e->v.rx.packets)
		json_object_set_new(o, "first_video_s",
		                    json_real(since(s, e->v.rx.first_us)));
	if (e->a.rx.packets)
		json_object_set_new(o, "first_audio_s",
		                    json_real(since(s, e->a.rx.first_us)));
	json_object_set_new(
	    o, "rtcp_received",
	    json_integer((json_int_t)(e->v.rtcp_in + e->a.rtcp_in)));
	if (e->sample) {
		json_t *cs = json_array();
		unsigned need = e->analysed >= 2 ? 2 : 1;
		for (size_t i = 0; i < s->n; i++)
			if (e->seen[i] >= need)
				json_array_append_new(
				    cs, json_string(s->eps[i].conf->id));
		json_object_set_new(o, "colours_seen", cs);
		json_t *sm = json_object();
		json_object_set_new(sm, "frames_decoded",
		                    json_integer(e->decoded));
		json_object_set_new(sm, "frames_analysed",
		                    json_integer(e->analysed));
		json_object_set_new(sm, "width", json_integer(e->dec_w));
		json_object_set_new(sm, "height", json_integer(e->dec_h));
		json_t *per = json_object();
		for (size_t i = 0; i < s->n; i++)
			if (e->seen[i])
				json_object_set_new(per, s->eps[i].conf->id,
				                    json_integer(e->seen[i]));
		json_object_set_new(sm, "pictures_per_colour", per);
		json_object_set_new(o, "sample", sm);
	}
	return o;
}

static int write_report(struct sim *s, double cpu_run, double cpu_encode,
                        double wall_run)
{
	json_t *root = json_object();
	json_t *arr = json_array();
	uint64_t tx = 0, rxv = 0, rxa = 0, connected = 0;
	int64_t lost = 0;
	for (size_t i = 0; i < s->n; i++) {
		struct ep *e = &s->eps[i];
		lock(s);
		enum ep_state st = e->state_at_end;
		int status = e->status;
		char reason[96];
		snprintf(reason, sizeof(reason), "%s", e->reason);
		unlock(s);
		json_t *o = ep_json(s, e, st, status, reason);
		tx += (uint64_t)json_integer_value(
		    json_object_get(o, "tx_packets"));
		rxv += (uint64_t)json_integer_value(
		    json_object_get(o, "rx_video_packets"));
		rxa += (uint64_t)json_integer_value(
		    json_object_get(o, "rx_audio_packets"));
		lost += json_integer_value(json_object_get(o, "lost"));
		connected += st == ST_CONNECTED;
		json_array_append_new(arr, o);
	}
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	json_t *t = json_object();
	json_object_set_new(t, "endpoints", json_integer((json_int_t)s->n));
	json_object_set_new(t, "connected",
	                    json_integer((json_int_t)connected));
	json_object_set_new(t, "tx_packets", json_integer((json_int_t)tx));
	json_object_set_new(t, "rx_video_packets",
	                    json_integer((json_int_t)rxv));
	json_object_set_new(t, "rx_audio_packets",
	                    json_integer((json_int_t)rxa));
	json_object_set_new(t, "lost", json_integer((json_int_t)lost));
	json_object_set_new(t, "cpu_seconds", json_real(cpu_run));
	json_object_set_new(t, "cpu_encode_seconds", json_real(cpu_encode));
	json_object_set_new(t, "wall_seconds", json_real(wall_run));
	double pct = wall_run > 0 && s->n
	                 ? 100.0 * cpu_run / wall_run / (double)s->n
	                 : 0;
	json_object_set_new(t, "cpu_pct_per_endpoint", json_real(pct));
	json_object_set_new(t, "max_rss_kib", json_integer(ru.ru_maxrss));
	json_object_set_new(root, "meeting", json_string(s->cfg->meeting));
	json_object_set_new(root, "mcu", json_string(s->ruri));
	json_object_set_new(root, "mode",
	                    json_string(s->cfg->answer ? "answer" : "dial"));
	json_object_set_new(root, "start_unix",
	                    json_real((double)s->start_unix_us / 1e6));
	lock(s);
	int64_t fi = s->first_invite_us;
	unlock(s);
	if (fi)
		json_object_set_new(root, "first_invite_s",
		                    json_real(since(s, fi)));
	json_object_set_new(root, "ended_by", json_string(s->stop_reason));
	json_object_set_new(root, "video",
	                    json_sprintf("%dx%d@%u", s->cfg->width,
	                                 s->cfg->height, s->cfg->fps));
	json_object_set_new(root, "endpoints", arr);
	json_object_set_new(root, "totals", t);
	json_t *rv = json_object(), *sl = json_array();
	json_object_set_new(rv, "max_loop_gap_ms",
	                    json_real(s->loop_max_gap_ms));
	json_object_set_new(rv, "max_loop_gap_at_unix",
	                    json_real(s->loop_max_gap_at));
	json_object_set_new(rv, "max_loop_busy_ms",
	                    json_real(s->loop_max_busy_ms));
	json_object_set_new(rv, "max_rx_delay_ms",
	                    json_real(s->rx_delay_max_ms));
	json_object_set_new(rv, "max_rx_delay_at_unix",
	                    json_real(s->rx_delay_max_at));
	json_object_set_new(rv, "rx_delays_over_40ms",
	                    json_integer((json_int_t)s->rx_delays_over));
	for (unsigned i = 0; i < s->n_stalls; i++)
		json_array_append_new(
		    sl, json_pack("{s:f,s:f,s:f,s:f}", "at_unix",
		                  s->stalls[i].at_unix, "loop_gap_ms",
		                  s->stalls[i].gap_ms, "busy_ms",
		                  s->stalls[i].busy_ms, "rx_delay_ms",
		                  s->stalls[i].rx_delay_ms));
	json_object_set_new(rv, "stalls", sl);
	json_object_set_new(root, "receiver", rv);
	int err = 0;
	if (s->cfg->report) {
		size_t flags = JSON_INDENT(2) | JSON_ENSURE_ASCII;
		if (strcmp(s->cfg->report, "-") == 0) {
			if (json_dumpf(root, stdout, flags) != 0)
				err = EIO;
			fputc('\n', stdout);
		} else if (json_dump_file(root, s->cfg->report, flags) != 0) {
			mcu_log_error("cannot write %s", s->cfg->report);
			err = EIO;
		}
	}
	fprintf(stderr,
	        "mcu-sim: %zu endpoints, %" PRIu64
	        " connected at the end; sent %" PRIu64
	        " packets, received %" PRIu64 " video + %" PRIu64
	        " audio, %" PRId64 " lost; CPU %.2f s over %.1f s "
	        "(%.3f %% of a core per endpoint), pre-encoding %.2f s\n",
	        s->n, connected, tx, rxv, rxa, lost, cpu_run, wall_run, pct,
	        cpu_encode);
	json_decref(root);
	return err;
}

/* ---- the loop --------------------------------------------------------- */

/*
 * The loop woke (epoll_wait returned); `tw`: when it went to wait. The
 * time since the last wakeup is our handling of the last batch (busy)
 * plus the wait; a long busy part is a stall of ours, listed.
 */
static void loop_wake(struct sim *s, int64_t tw)
{
	int64_t tr = mono_us();
	if (s->loop_last_us) {
		double gap = (double)(tr - s->loop_last_us) / 1e3;
		double busy = (double)(tw - s->loop_last_us) / 1e3;
		if (gap > s->loop_max_gap_ms) {
			s->loop_max_gap_ms = gap;
			s->loop_max_gap_at = (double)unix_us() / 1e6;
		}
		if (busy > s->loop_max_busy_ms)
			s->loop_max_busy_ms = busy;
		if (busy * 1e3 > STALL_US && s->n_stalls < MAX_STALLS)
			s->stalls[s->n_stalls++] = (struct stall){
			    (double)unix_us() / 1e6, gap, busy, 0};
	}
	s->loop_last_us = tr;
}

static void serve(struct sim *s, int64_t until, bool wait_finals)
{
	struct epoll_event evs[64];
	while (!s->stop_reason || wait_finals) {
		int64_t now = mono_us();
		if (now >= until)
			break;
		if (wait_finals) {
			lock(s);
			bool done =
			    s->finals >=
			    (s->cfg->answer ? s->answered : s->next_dial);
			unlock(s);
			if (done)
				break;
		}
		if (!s->ending && !s->cfg->answer && s->next_dial < s->n &&
		    now >= s->start_us + (int64_t)s->next_dial *
		                             s->cfg->dial_interval_ms * 1000)
			dial(s, &s->eps[s->next_dial++]);
		int64_t tw = mono_us();
		int n = epoll_wait(s->epfd, evs, 64, 50);
		loop_wake(s, tw);
		if (n < 0 && errno != EINTR) {
			mcu_log_error("epoll_wait: %s", strerror(errno));
			s->stop_reason = "error";
			return;
		}
		for (int i = 0; i < n; i++) {
			struct sref *r = evs[i].data.ptr;
			if (r->kind == K_TIMER) {
				uint64_t x;
				if (read(s->tfd, &x, sizeof(x)) < 0 &&
				    errno != EAGAIN)
					mcu_log_warn("timerfd: %s",
					             strerror(errno));
				if (!s->ending)
					tick(s, mono_us());
			} else if (r->kind == K_SIGNAL) {
				struct signalfd_siginfo si;
				if (read(s->sfd, &si, sizeof(si)) ==
				        sizeof(si) &&
				    !s->stop_reason)
					s->stop_reason = si.ssi_signo == SIGINT
					                     ? "SIGINT"
					                     : "SIGTERM";
			} else {
				on_readable(s, r);
			}
		}
	}
}

static void sim_free(struct sim *s)
{
	for (size_t i = 0; s->eps && i < s->n; i++) {
		struct ep *e = &s->eps[i];
		e->call = mcu_sip_call_put(e->call);
		close_fds(e->v.fd, 2);
		close_fds(e->a.fd, 2);
		mcu_sim_media_free(e->media);
		mcu_h264_depack_free(e->depack);
		mcu_vdec_free(e->dec);
		free(e->seen);
	}
	free(s->eps);
	free(s->palette);
	if (s->epfd >= 0)
		close(s->epfd);
	if (s->tfd >= 0)
		close(s->tfd);
	if (s->sfd >= 0)
		close(s->sfd);
}

int mcu_sim_run(const struct mcu_sim_config *cfg)
{
	struct sim sim = {.cfg = cfg, .epfd = -1, .tfd = -1, .sfd = -1};
	struct sim *s = &sim;
	snprintf(s->addr, sizeof(s->addr), "%s",
	         cfg->bind_addr ? cfg->bind_addr : "127.0.0.1");
	int err = pthread_mutex_init(&s->lock, NULL);
	if (err)
		return err;
	/* SIGINT/SIGTERM come through the signalfd; the SIP thread
	   inherits the mask. */
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	if ((err = pthread_sigmask(SIG_BLOCK, &set, NULL)) != 0)
		goto out;
	tx_loss_ppm = cfg->tx_loss_pct > 0 && cfg->tx_loss_pct <= 50
	                  ? (uint32_t)(cfg->tx_loss_pct * 10000 + 0.5)
	                  : 0;
	if ((err = make_ruri(s)) != 0 || (err = pick_endpoints(s)) != 0)
		goto out;
	double c0 = cpu_seconds();
	int64_t t0 = mono_us();
	if ((err = prepare_media(s)) != 0)
		goto out;
	double cpu_encode = cpu_seconds() - c0;
	fprintf(stderr,
	        "mcu-sim: %zu endpoints' media encoded in %.2f s "
	        "(%dx%d@%u, 2 s loop)\n",
	        s->n, (double)(mono_us() - t0) / 1e6, cfg->width, cfg->height,
	        cfg->fps);
	if ((err = prepare_io(s)) != 0 || (err = start_sip(s)) != 0)
		goto out;
	double c1 = cpu_seconds();
	s->start_us = mono_us();
	s->start_unix_us = unix_us();
	s->end_us = s->start_us + (int64_t)cfg->seconds * 1000000;
	unsigned ss = cfg->sample_seconds < cfg->seconds ? cfg->sample_seconds
	                                                 : cfg->seconds;
	s->sample_from_us = s->end_us - (int64_t)ss * 1000000;
	serve(s, s->end_us, false);
	if (!s->stop_reason)
		s->stop_reason = "time";
	double wall = (double)(mono_us() - s->start_us) / 1e6;
	double cpu_run = cpu_seconds() - c1;
	/* Freeze what the report shows, then hang up. */
	s->ending = true;
	lock(s);
	for (size_t i = 0; i < s->n; i++)
		s->eps[i].state_at_end = s->eps[i].state;
	unlock(s);
	for (size_t i = 0; i < s->n; i++) {
		atomic_store(&s->eps[i].media_on, false);
		if (s->eps[i].call)
			mcu_sip_call_hangup(s->eps[i].call);
	}
	serve(s, mono_us() + HANGUP_WAIT_US, true);
	s->sip = mcu_sip_free(s->sip);
	err = write_report(s, cpu_run, cpu_encode, wall);
out:
	s->sip = mcu_sip_free(s->sip);
	sim_free(s);
	pthread_mutex_destroy(&s->lock);
	return err;
}
