/*
 * A leg is two streams (video, audio), each an RTP socket and an RTCP
 * socket (or one socket with rtcp-mux), and three kinds of threads:
 *
 *   I/O thread   parses every datagram, keeps receive statistics, puts
 *                RTP into the jitter buffer and pulls out whole video
 *                frames, depacketizes them, and queues the access units
 *                for decoding -- only while the source is visible. It
 *                answers RTCP: NACKs from the history, PLI/FIR flagged
 *                for the encoder group, SR/RR for RTT and loss.
 *   decoder      the leg's serial queue on the worker pool drains the
 *                queued access units through the decoder and keeps the
 *                latest picture (an AVFrame reference, never a copy).
 *   room ticks   the video tick reads the latest picture, sends the
 *                group's packets with this leg's header, sends NACK/PLI
 *                and RTCP reports; the audio tick pulls 20 ms of sound.
 *
 * Locks: rx->lock guards a stream's receive state (jitter buffer,
 * statistics, depacketizer, the remote SR); tx->lock guards a stream's
 * send state (sequence numbers, counters); dec_lock the access-unit queue;
 * frame_lock the latest picture. None is held across a codec call or a
 * syscall except the short sendmsg of a packet under tx->lock, which
 * keeps the sequence numbers in the order the packets leave.
 *
 * SRTP (SDES): a stream with a negotiated suite has one transport/srtp
 * session (its own send and receive locks). A datagram is unprotected
 * right after the socket's source check and before anything parses it; a
 * failure is counted and the packet dropped. Sending copies the leg's
 * header and the shared payload into the stream's scratch buffer (under
 * tx->lock), protects and sends it: one copy per packet and receiver,
 * which SRTP needs anyway, and no allocation. The NACK history keeps
 * packets in the clear; a resend is protected again.
 */
#define MCU_LOG_MODULE "leg"
#include "mcu/leg.h"
#include "conf/log.h"
#include "conf/pi_mutex.h"
#include "mcu/metrics.h"
#include "codec/adec.h"
#include "codec/vdec.h"
#include "transport/audiofmt.h"
#include "transport/dtmf.h"
#include "transport/h264.h"
#include "transport/jbuf.h"
#include "transport/rtcp.h"
#include "transport/rtp.h"
#include "transport/rtp_history.h"
#include "transport/srtp.h"
#include "transport/vp8.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>
#include <time.h>

#include <libavutil/frame.h>

#define AU_QUEUE        8        /* access units waiting for the decoder */
#define PLI_INTERVAL_US 500000   /* at most two key-frame requests a second */
#define RTCP_INTERVAL_US 1000000
#define AUDIO_MIN_DELAY_MS 5     /* jitter allowance floor, audio */
#define PCM_FRAMES      12       /* decoded 20 ms frames buffered: a 200 ms packet fits */
#define RTCP_BUF        512      /* one compound RTCP packet we send */
#define SRTP_BUF        (MCU_NETIO_MAX_DGRAM + MCU_SRTP_TRAILER)

struct rx_stream {
	pthread_mutex_t lock;
	struct mcu_leg *leg;
	struct mcu_netio_sock *rtp_sock, *rtcp_sock; /* rtcp NULL with mux */
	struct sockaddr_storage remote_rtp, remote_rtcp;
	socklen_t remote_len;
	uint16_t local_port;
	struct mcu_jbuf *jb;        /* lock */
	struct mcu_rtp_rx stats;    /* lock */
	bool have_ssrc;             /* lock */
	uint32_t ssrc;              /* lock: the sender's SSRC */
	uint64_t malformed;         /* lock */
	uint32_t sr_mid;            /* lock: middle 32 bits of its last SR */
	int64_t sr_arrival_us;      /* lock */
	int64_t last_media_us;      /* lock */
};

struct tx_stream {
	pthread_mutex_t lock;
	int fd;             /* the RTP socket (owned by netio) */
	int rtcp_fd;
	uint32_t ssrc;
	uint16_t seq;       /* lock */
	uint32_t ts_base;
	uint32_t last_ts;   /* lock */
	uint32_t audio_ts;  /* lock: audio running timestamp */
	uint64_t packets, bytes, keyframes; /* lock */
	uint64_t sr_ntp_mid; /* lock: mid32 of our last SR */
	int64_t last_send_us;
	double fps_interval_us; /* lock: EWMA of frame spacing */
	int64_t last_frame_us;  /* lock */
	int64_t rate_start_us;  /* lock */
	uint64_t rate_bytes, bitrate_bps; /* lock */
	struct mcu_srtp *srtp;  /* set-up only; NULL: plain RTP */
	uint8_t *sbuf;          /* lock: SRTP_BUF bytes, with srtp */
};

struct au {
	uint8_t *data;
	size_t len;
	int64_t pts;
	int64_t arrival_us; /* its last packet's arrival (latency probe) */
	bool after_loss;
};

struct mcu_leg {
	struct mcu_leg_params p;
	char label[64];
	struct mcu_netio *netio;
	struct mcu_workpool *pool;
	struct mcu_leg_handlers h;

	struct rx_stream vrx, arx;
	struct tx_stream vtx, atx;

	/* video receive, vrx.lock */
	struct mcu_h264_depack *h264;
	struct mcu_vp8_depack *vp8;
	struct mcu_jbuf_frame *frame;

	/* decoding */
	pthread_mutex_t dec_lock;
	struct au queue[AU_QUEUE]; /* dec_lock */
	unsigned q_head, q_len;    /* dec_lock */
	uint64_t skipped;          /* dec_lock: AUs not decoded (invisible) */
	atomic_bool drain_scheduled;
	struct mcu_serial *dec_q;
	struct mcu_vdec *vdec;     /* dec_q only */
	atomic_bool visible;
	atomic_bool reset_decoder;
	atomic_bool small;         /* shown at <= half size: no loop filter */
	bool small_set;            /* dec_q only: what vdec was told */
	int64_t dec_arrival_us;    /* dec_q only: the AU being decoded */

	pthread_mutex_t frame_lock;
	AVFrame *latest;       /* frame_lock */
	int64_t latest_us;     /* frame_lock */
	int64_t latest_arrival_us; /* frame_lock: its AU's arrival */
	uint64_t frames;       /* frame_lock */
	double in_fps_interval_us; /* frame_lock */
	uint64_t decode_errors;    /* frame_lock */

	/* key frames we ask of the sender */
	atomic_bool want_keyframe;
	int64_t last_pli_us; /* video tick */
	uint8_t fir_seq;     /* video tick */
	/* key frames receivers ask of us */
	atomic_bool keyframe_requested;

	/* audio decoding: the audio tick only */
	struct mcu_adec *adec;
	int16_t pcm[PCM_FRAMES][MCU_AUDIO_FRAME];
	unsigned pcm_head, pcm_len;
	int64_t pcm_arrival[PCM_FRAMES]; /* packet arrival; 0: concealed */
	int64_t adec_arrival_us, pulled_arrival_us;
	int64_t pulled_slack_us; /* step - due of the packet last pulled */
	unsigned skip_samples; /* 48 kHz samples of a packet taken undecoded
	                          still to be skipped */
	atomic_uint_fast64_t concealed;
	struct mcu_dtmf_rx dtmf; /* arx.lock */

	struct mcu_rtp_history *vhist;
	int64_t next_rtcp_us; /* video tick */

	atomic_uint_fast64_t nacks_sent, plis_sent, firs_sent;
	atomic_uint_fast64_t plis_received, firs_received, nacks_received;
	atomic_uint_fast64_t nack_served, nack_missed;
	_Atomic double rtt_ms;
	_Atomic double remote_loss;
	atomic_uint_fast64_t srtp_auth_failures, srtp_replays;
};

static uint32_t random_u32(void)
{
	uint32_t v = 0;
	if (getrandom(&v, sizeof(v), 0) != (ssize_t)sizeof(v))
		v = (uint32_t)time(NULL) ^ (uint32_t)(uintptr_t)&v;
	return v ? v : 1;
}

static int64_t wall_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void addr_with_port(struct sockaddr_storage *dst,
                           const struct sockaddr_storage *src, uint16_t port)
{
	*dst = *src;
	mcu_netio_addr_set_port(dst, port);
}

static socklen_t addr_len(const struct sockaddr_storage *a)
{
	return a->ss_family == AF_INET6 ? sizeof(struct sockaddr_in6)
	                                : sizeof(struct sockaddr_in);
}

/* A duplicate of a socket the caller bound (leg.h video_fds), or -1. */
static int dup_given(int fd)
{
	return fd > 0 ? fcntl(fd, F_DUPFD_CLOEXEC, 3) : -1;
}

/*
 * A stream's sockets on the fixed port of `local` (RTCP on port + 1
 * unless rtcp_mux): duplicates of those the caller bound for it, else
 * bound here. Returns 0 or an errno (nothing left open).
 */
static int bind_fixed(const struct mcu_leg *leg, const int given[2],
                      const struct sockaddr_storage *local, int *rtp_fd,
                      int *rtcp_fd)
{
	uint16_t port = mcu_netio_addr_port(local);
	socklen_t llen = addr_len(local);
	struct sockaddr_storage rtcp_addr;
	int err = 0;

	*rtp_fd = dup_given(given[0]);
	if (*rtp_fd < 0)
		err = given[0] > 0 ? errno
		                   : mcu_netio_bind(rtp_fd,
		                                    (const struct sockaddr *)local,
		                                    llen);
	if (!err && !leg->p.rtcp_mux) {
		*rtcp_fd = dup_given(given[1]);
		addr_with_port(&rtcp_addr, local, (uint16_t)(port + 1));
		if (*rtcp_fd < 0)
			err = given[1] > 0
			              ? errno
			              : mcu_netio_bind(rtcp_fd,
			                               (const struct sockaddr *)&rtcp_addr,
			                               llen);
	}
	if (err && *rtp_fd >= 0) {
		close(*rtp_fd);
		*rtp_fd = -1;
	}
	return err;
}

/* ---- receive ------------------------------------------------------ */

static void request_keyframe(struct mcu_leg *leg)
{
	atomic_store(&leg->want_keyframe, true);
}

static void decode_au(struct mcu_leg *leg, struct au *a);

/*
 * One access unit per job: a decoder with a backlog (up to AU_QUEUE
 * frames after a key frame or a stall) re-queues itself behind the other
 * work instead of holding its worker for all of them, so a meeting's tick
 * (high priority) waits for at most one decode (the soak's late audio
 * ticks named this job at 20-25 ms with 20 endpoints).
 */
static void drain_job(void *arg)
{
	struct mcu_leg *leg = arg;
	for (;;) {
		struct au a;
		pthread_mutex_lock(&leg->dec_lock);
		if (leg->q_len == 0) {
			atomic_store(&leg->drain_scheduled, false);
			pthread_mutex_unlock(&leg->dec_lock);
			return;
		}
		a = leg->queue[leg->q_head];
		leg->q_head = (leg->q_head + 1) % AU_QUEUE;
		leg->q_len--;
		pthread_mutex_unlock(&leg->dec_lock);
		decode_au(leg, &a);
		free(a.data);
		/* more waiting: again later (or on now if the queue is full) */
		pthread_mutex_lock(&leg->dec_lock);
		bool more = leg->q_len > 0;
		pthread_mutex_unlock(&leg->dec_lock);
		if (more && mcu_serial_submit(leg->dec_q, drain_job, leg) == 0)
			return;
	}
}

static void on_picture(const AVFrame *frame, void *arg)
{
	struct mcu_leg *leg = arg;
	AVFrame *ref = av_frame_clone(frame);
	int64_t now = mcu_netio_now_us();
	if (!ref)
		return;
	pthread_mutex_lock(&leg->frame_lock);
	AVFrame *old = leg->latest;
	if (leg->latest_us) {
		double dt = (double)(now - leg->latest_us);
		leg->in_fps_interval_us = leg->in_fps_interval_us
		                                  ? 0.9 * leg->in_fps_interval_us +
		                                            0.1 * dt
		                                  : dt;
	}
	leg->latest = ref;
	leg->latest_us = now;
	leg->latest_arrival_us = leg->dec_arrival_us;
	leg->frames++;
	pthread_mutex_unlock(&leg->frame_lock);
	av_frame_free(&old);
}

static void decode_au(struct mcu_leg *leg, struct au *a)
{
	int err;
	bool small = atomic_load(&leg->small);
	if (atomic_exchange(&leg->reset_decoder, false))
		mcu_vdec_reset(leg->vdec);
	if (small != leg->small_set) {
		mcu_vdec_set_skip_loop_filter(leg->vdec, small);
		leg->small_set = small;
	}
	if (a->after_loss)
		mcu_vdec_mark_loss(leg->vdec);
	leg->dec_arrival_us = a->arrival_us;
	int64_t t0 = leg->h.decode_seconds ? mcu_netio_now_us() : 0;
	err = mcu_vdec_decode(leg->vdec, a->data, a->len, a->pts, on_picture,
	                      leg);
	if (t0)
		mcu_metric_observe(leg->h.decode_seconds,
		                   (double)(mcu_netio_now_us() - t0) / 1e6);
	if (err) {
		pthread_mutex_lock(&leg->frame_lock);
		leg->decode_errors++;
		pthread_mutex_unlock(&leg->frame_lock);
	}
	if (mcu_vdec_need_keyframe(leg->vdec))
		request_keyframe(leg);
}

/* Queue an access unit for the decoder (I/O thread). */
static void queue_au(struct mcu_leg *leg, const uint8_t *data, size_t len,
                     uint32_t ts, bool after_loss, int64_t arrival_us)
{
	struct au a = {.len = len,
	               .pts = ts,
	               .arrival_us = arrival_us,
	               .after_loss = after_loss};
	bool schedule;

	if (!atomic_load(&leg->visible)) {
		pthread_mutex_lock(&leg->dec_lock);
		leg->skipped++;
		pthread_mutex_unlock(&leg->dec_lock);
		return;
	}
	a.data = malloc(len);
	if (!a.data)
		return;
	memcpy(a.data, data, len);
	pthread_mutex_lock(&leg->dec_lock);
	if (leg->q_len == AU_QUEUE) {
		/* The decoder fell behind: drop the oldest, start over at the
		 * next key frame (style.md point 9). */
		free(leg->queue[leg->q_head].data);
		leg->q_head = (leg->q_head + 1) % AU_QUEUE;
		leg->q_len--;
		a.after_loss = true;
		leg->skipped++;
		request_keyframe(leg);
	}
	leg->queue[(leg->q_head + leg->q_len) % AU_QUEUE] = a;
	leg->q_len++;
	schedule = !atomic_exchange(&leg->drain_scheduled, true);
	pthread_mutex_unlock(&leg->dec_lock);
	if (schedule && mcu_serial_submit(leg->dec_q, drain_job, leg)) {
		atomic_store(&leg->drain_scheduled, false);
		request_keyframe(leg);
	}
}

/* Depacketize one complete jitter-buffer frame; vrx.lock held. */
static void depack_frame(struct mcu_leg *leg, struct mcu_jbuf_frame *f)
{
	bool loss = f->after_loss;
	int64_t arrival = 0; /* the frame is whole once its last one came */
	for (unsigned i = 0; i < f->n; i++)
		if (f->pkts[i].arrival_us > arrival)
			arrival = f->pkts[i].arrival_us;
	for (unsigned i = 0; i < f->n; i++) {
		struct mcu_jbuf_pkt *jp = &f->pkts[i];
		const uint8_t *pl = jp->pkt->data + jp->off;
		bool end = i + 1 == f->n;
		int err;
		if (leg->p.vcodec == MCU_VCODEC_H264) {
			struct mcu_h264_au au = {0};
			err = mcu_h264_depack_push(leg->h264, pl, jp->len,
			                           jp->seq, jp->ts, end, &au);
			if (!err && au.len)
				queue_au(leg, au.data, au.len, au.ts, loss,
				         arrival);
		} else {
			struct mcu_vp8_frame vf = {0};
			err = mcu_vp8_depack_push(leg->vp8, pl, jp->len, jp->seq,
			                          jp->ts, end, &vf);
			if (!err && vf.len)
				queue_au(leg, vf.data, vf.len, vf.ts, loss,
				         arrival);
		}
		if (err == EPIPE)
			request_keyframe(leg);
		else if (err)
			leg->vrx.malformed++;
	}
}

/* Pull every frame that is due; vrx.lock held. */
static void pull_frames(struct mcu_leg *leg, int64_t now_us)
{
	while (mcu_jbuf_get_frame(leg->vrx.jb, now_us, leg->frame) == 0) {
		depack_frame(leg, leg->frame);
		mcu_jbuf_frame_clear(leg->frame);
	}
	if (mcu_jbuf_keyframe_needed(leg->vrx.jb))
		request_keyframe(leg);
}

static void on_rtp(struct mcu_leg *leg, struct rx_stream *rx,
                   struct mcu_pkt *pkt, int64_t now_us)
{
	struct mcu_rtp_hdr h;
	bool video = rx == &leg->vrx;

	pthread_mutex_lock(&rx->lock);
	if (mcu_rtp_parse(&h, pkt->data, pkt->len) != 0) {
		rx->malformed++;
		goto out;
	}
	if (!video && leg->p.dtmf_pt && h.pt == leg->p.dtmf_pt) {
		char key = 0;
		const uint8_t *pl = pkt->data + h.hdr_len;
		if (mcu_dtmf_rx_put(&leg->dtmf, pl, h.payload_len, h.ts,
		                    &key) == 0 &&
		    key) {
			pthread_mutex_unlock(&rx->lock);
			mcu_log_info("%s: DTMF key %c", leg->label, key);
			if (leg->h.dtmf)
				leg->h.dtmf(leg->h.arg, leg->p.id, key);
			return;
		}
		goto out;
	}
	if (h.pt != (video ? leg->p.video_pt : leg->p.audio_pt) ||
	    h.payload_len == 0) {
		rx->malformed++;
		goto out;
	}
	if (!rx->have_ssrc || h.ssrc != rx->ssrc) {
		/* A new sender (or a restarted one): fresh statistics and
		 * buffer. The address was checked by the socket filter. */
		if (rx->have_ssrc)
			mcu_jbuf_flush(rx->jb);
		mcu_rtp_rx_init(&rx->stats, video ? MCU_VIDEO_CLOCK
		                                  : (uint32_t)mcu_acodec_rtp_clock(
		                                            leg->p.acodec));
		rx->have_ssrc = true;
		rx->ssrc = h.ssrc;
		if (video)
			request_keyframe(leg);
	}
	mcu_rtp_rx_update(&rx->stats, &h, now_us);
	rx->last_media_us = now_us;
	if (mcu_jbuf_put(rx->jb, pkt, &h, now_us) == EINVAL)
		rx->malformed++;
	if (video)
		pull_frames(leg, now_us);
out:
	pthread_mutex_unlock(&rx->lock);
}

/* Send a compound RTCP packet of `len` bytes; buf has RTCP_BUF +
   MCU_SRTP_TRAILER bytes so SRTCP can protect it in place. */
static void send_rtcp(const struct tx_stream *tx,
                      const struct sockaddr_storage *dst, uint8_t *buf,
                      size_t len)
{
	if (tx->srtp && mcu_srtp_protect_rtcp(tx->srtp, buf, &len,
	                                      RTCP_BUF + MCU_SRTP_TRAILER))
		return;
	mcu_netio_sendto(tx->rtcp_fd, buf, len, (const struct sockaddr *)dst,
	                 addr_len(dst));
}

static void serve_nacks(struct mcu_leg *leg, const struct mcu_rtcp_msg *m,
                        int64_t now_us)
{
	uint16_t seqs[256];
	unsigned n = mcu_rtcp_nack_seqs(m->nack, m->n_nack, seqs, 256);
	unsigned missed = 0;
	if (n > 256)
		n = 256;
	atomic_fetch_add(&leg->nacks_received, n);
	for (unsigned i = 0; i < n; i++) {
		uint8_t buf[SRTP_BUF];
		size_t len;
		if (!leg->vhist || mcu_rtp_history_get(leg->vhist, seqs[i],
		                                       now_us, buf,
		                                       MCU_NETIO_MAX_DGRAM,
		                                       &len) != 0) {
			missed++;
			continue;
		}
		if (leg->vtx.srtp &&
		    mcu_srtp_protect(leg->vtx.srtp, buf, &len, sizeof(buf))) {
			missed++;
			continue;
		}
		mcu_netio_sendto(leg->vtx.fd, buf, len,
		                 (const struct sockaddr *)&leg->vrx.remote_rtp,
		                 leg->vrx.remote_len);
		atomic_fetch_add(&leg->nack_served, 1);
	}
	if (missed) {
		/* Too old to resend: only a key frame repairs it now. */
		atomic_fetch_add(&leg->nack_missed, missed);
		atomic_store(&leg->keyframe_requested, true);
	}
}

static void on_report_block(struct mcu_leg *leg, const struct mcu_rtcp_rb *rb)
{
	struct tx_stream *tx = NULL;
	int64_t rtt;
	if (rb->ssrc == leg->vtx.ssrc)
		tx = &leg->vtx;
	else if (rb->ssrc == leg->atx.ssrc)
		tx = &leg->atx;
	if (!tx)
		return;
	atomic_store(&leg->remote_loss, rb->fraction / 256.0);
	uint32_t now_mid = mcu_ntp_mid32(mcu_ntp_from_unix_us(wall_us()));
	if (mcu_rtcp_rtt_us(now_mid, rb->lsr, rb->dlsr, &rtt) == 0)
		atomic_store(&leg->rtt_ms, rtt / 1000.0);
}

static void on_rtcp(struct mcu_leg *leg, struct rx_stream *rx,
                    const uint8_t *buf, size_t len, int64_t now_us)
{
	struct mcu_rtcp_iter it;
	struct mcu_rtcp_msg *m = malloc(sizeof(*m));
	int err;
	if (!m)
		return;
	mcu_rtcp_iter_init(&it, buf, len);
	while ((err = mcu_rtcp_next(&it, m)) != ENOENT) {
		if (err) {
			pthread_mutex_lock(&rx->lock);
			rx->malformed++;
			pthread_mutex_unlock(&rx->lock);
			continue;
		}
		switch (m->type) {
		case MCU_RTCP_SR:
			pthread_mutex_lock(&rx->lock);
			rx->sr_mid = mcu_ntp_mid32(m->sr.ntp);
			rx->sr_arrival_us = now_us;
			pthread_mutex_unlock(&rx->lock);
			/* An SR carries report blocks too. */
			__attribute__((fallthrough));
		case MCU_RTCP_RR:
			for (unsigned i = 0; i < m->n_rb; i++)
				on_report_block(leg, &m->rb[i]);
			break;
		case MCU_RTCP_NACK:
			serve_nacks(leg, m, now_us);
			break;
		case MCU_RTCP_PLI:
			atomic_fetch_add(&leg->plis_received, 1);
			atomic_store(&leg->keyframe_requested, true);
			break;
		case MCU_RTCP_FIR:
			atomic_fetch_add(&leg->firs_received, 1);
			atomic_store(&leg->keyframe_requested, true);
			break;
		default:
			break;
		}
	}
	free(m);
}

/* Verify and decrypt a datagram in place (the source check passed);
   non-zero when it is to be dropped, counted by why. */
static int srtp_unprotect(struct mcu_leg *leg, struct rx_stream *rx,
                          struct mcu_srtp *srtp, struct mcu_pkt *pkt,
                          bool rtcp)
{
	int err;
	if (mcu_pkt_refs(pkt) != 1)
		err = EINVAL; /* shared bytes are read-only (pkt.h) */
	else if (rtcp)
		err = mcu_srtp_unprotect_rtcp(srtp, pkt->data, &pkt->len);
	else
		err = mcu_srtp_unprotect(srtp, pkt->data, &pkt->len);
	if (!err)
		return 0;
	if (err == EALREADY) {
		atomic_fetch_add(&leg->srtp_replays, 1);
		mcu_log_ratelimited(MCU_LOG_INFO, 10000,
		                    "%s: replayed SRTP%s packet dropped",
		                    leg->label, rtcp ? "C" : "");
	} else {
		/* EBADMSG, or not SRTP at all (plain RTP, junk): both fail
		   authentication as far as the stream is concerned. */
		atomic_fetch_add(&leg->srtp_auth_failures, 1);
		mcu_log_ratelimited(MCU_LOG_WARN, 10000,
		                    "%s: SRTP%s packet failed authentication: "
		                    "dropped", leg->label, rtcp ? "C" : "");
	}
	(void)rx;
	return err;
}

/* A datagram on one of a stream's sockets: which stream and which socket
 * come with the registration (the handler's argument), not from comparing
 * the socket with the stream's handles, which the set-up may still be
 * writing while the first datagrams of its sibling socket arrive (found
 * by ThreadSanitizer). */
static void on_datagram(struct rx_stream *rx, struct mcu_pkt *pkt,
                        bool rtcp, int64_t arrival_us)
{
	struct mcu_leg *leg = rx->leg;
	struct mcu_srtp *srtp = rx == &leg->vrx ? leg->vtx.srtp
	                                        : leg->atx.srtp;
	if (!rtcp && leg->p.rtcp_mux &&
	    mcu_rtp_demux(pkt->data, pkt->len) == MCU_DEMUX_RTCP)
		rtcp = true;
	if (srtp && srtp_unprotect(leg, rx, srtp, pkt, rtcp))
		return;
	if (rtcp)
		on_rtcp(leg, rx, pkt->data, pkt->len, arrival_us);
	else
		on_rtp(leg, rx, pkt, arrival_us);
}

static void on_rtp_datagram(void *arg, struct mcu_netio_sock *sock,
                            struct mcu_pkt *pkt, const struct sockaddr *src,
                            socklen_t srclen, int64_t arrival_us)
{
	(void)sock;
	(void)src;
	(void)srclen;
	on_datagram(arg, pkt, false, arrival_us);
}

static void on_rtcp_datagram(void *arg, struct mcu_netio_sock *sock,
                             struct mcu_pkt *pkt, const struct sockaddr *src,
                             socklen_t srclen, int64_t arrival_us)
{
	(void)sock;
	(void)src;
	(void)srclen;
	on_datagram(arg, pkt, true, arrival_us);
}

/* ---- set-up ------------------------------------------------------- */

/*
 * The source filter of a stream's sockets (leg.h, source_video): the
 * remote's media is accepted only from where signalling says it comes
 * from, never from where the first packet came from (RTP Bleed,
 * CVE-2017-14099). netio drops the rest unread and counts them. The
 * filter goes in with the socket (mcu_netio_add_filtered), so there is
 * no moment in which a datagram from elsewhere -- even one queued on a
 * port reserved before the leg existed -- reaches on_datagram.
 */
struct source_filter {
	struct sockaddr_storage rtp, rtcp;
	struct mcu_netio_filter f_rtp, f_rtcp;
};

static void source_filter(const struct mcu_leg *leg, struct source_filter *sf,
                          const struct sockaddr_storage *remote,
                          const struct sockaddr_storage *source)
{
	sf->rtp = source->ss_family ? *source : *remote;
	sf->rtcp = sf->rtp;
	uint16_t port = mcu_netio_addr_port(&sf->rtp);
	bool exact = port != 0;

	if (exact && !leg->p.rtcp_mux)
		mcu_netio_addr_set_port(&sf->rtcp, (uint16_t)(port + 1));
	sf->f_rtp = (struct mcu_netio_filter){
		.addr = (const struct sockaddr *)&sf->rtp,
		.len = addr_len(&sf->rtp),
		.match_port = exact};
	sf->f_rtcp = (struct mcu_netio_filter){
		.addr = (const struct sockaddr *)&sf->rtcp,
		.len = addr_len(&sf->rtcp),
		.match_port = exact};
}

static int bind_stream(struct mcu_leg *leg, struct rx_stream *rx,
                       struct tx_stream *tx,
                       const struct sockaddr_storage *local,
                       const struct sockaddr_storage *remote,
                       const struct sockaddr_storage *source)
{
	int rtp_fd = -1, rtcp_fd = -1, err;
	uint16_t port = mcu_netio_addr_port(local);
	socklen_t llen = addr_len(local);

	if (port) {
		err = bind_fixed(leg,
		                 rx == &leg->vrx ? leg->p.video_fds
		                                 : leg->p.audio_fds,
		                 local, &rtp_fd, &rtcp_fd);
		if (err == EADDRINUSE && leg->p.port_may_move &&
		    leg->p.port_min) {
			mcu_log_warn("%s: RTP port %u is taken: a fresh pair",
			             leg->label, port);
			port = 0;
		}
	}
	if (!port) {
		err = mcu_netio_bind_pair(&rtp_fd, &rtcp_fd,
		                          (const struct sockaddr *)local, llen,
		                          leg->p.port_min, leg->p.port_max,
		                          &port);
		if (!err && leg->p.rtcp_mux) {
			close(rtcp_fd);
			rtcp_fd = -1;
		}
	}
	if (err) {
		if (rtp_fd >= 0)
			close(rtp_fd);
		mcu_log_error("%s: cannot bind RTP port %u: %s", leg->label,
		              port, strerror(err));
		return err;
	}
	rx->local_port = port;
	rx->remote_rtp = *remote;
	rx->remote_len = addr_len(remote);
	if (leg->p.rtcp_mux)
		rx->remote_rtcp = *remote;
	else
		addr_with_port(&rx->remote_rtcp, remote,
		               (uint16_t)(mcu_netio_addr_port(remote) + 1));
	tx->fd = rtp_fd;
	tx->rtcp_fd = rtcp_fd >= 0 ? rtcp_fd : rtp_fd;

	struct source_filter sf;
	source_filter(leg, &sf, remote, source);
	err = mcu_netio_add_filtered(leg->netio, rtp_fd, &sf.f_rtp,
	                             on_rtp_datagram, rx, &rx->rtp_sock);
	if (err) {
		close(rtp_fd);
		if (rtcp_fd >= 0)
			close(rtcp_fd);
		if (err == EINVAL)
			mcu_log_error("%s: bad media source address",
			              leg->label);
		return err;
	}
	if (rtcp_fd >= 0) {
		err = mcu_netio_add_filtered(leg->netio, rtcp_fd, &sf.f_rtcp,
		                             on_rtcp_datagram, rx, &rx->rtcp_sock);
		if (err) {
			close(rtcp_fd);
			return err;
		}
	}
	return 0;
}

static int init_stream_state(struct rx_stream *rx, struct tx_stream *tx,
                             enum mcu_jbuf_kind kind, uint32_t clock)
{
	/* Audio: the allowance starts at 5 ms, not jbuf's 20: on the city's
	 * data network jitter is a few ms and the allowance grows with the
	 * measured jitter anyway; every ms here is heard as delay, on top
	 * of the 0-20 ms until the next audio tick. */
	struct mcu_jbuf_conf jc = {
	    .kind = kind,
	    .clock_rate = clock,
	    .min_delay_ms = kind == MCU_JBUF_AUDIO ? AUDIO_MIN_DELAY_MS : 0};
	mcu_mutex_init_pi(&rx->lock);
	mcu_mutex_init_pi(&tx->lock);
	tx->fd = tx->rtcp_fd = -1;
	tx->ssrc = random_u32();
	tx->seq = (uint16_t)random_u32();
	tx->ts_base = random_u32();
	mcu_rtp_rx_init(&rx->stats, clock);
	return mcu_jbuf_alloc(&rx->jb, &jc);
}

/* The stream's SRTP session, before its sockets receive anything. */
static int setup_srtp(struct tx_stream *tx, const struct mcu_leg_srtp *k)
{
	if (k->suite == MCU_SRTP_NONE)
		return 0;
	tx->sbuf = malloc(SRTP_BUF);
	if (!tx->sbuf)
		return ENOMEM;
	return mcu_srtp_alloc(&tx->srtp, k->suite, k->tx_key, k->rx_key);
}

static int alloc_video(struct mcu_leg *leg)
{
	int err = init_stream_state(&leg->vrx, &leg->vtx, MCU_JBUF_VIDEO,
	                            MCU_VIDEO_CLOCK);
	if (err)
		return err;
	if (leg->p.video_ssrc)
		leg->vtx.ssrc = leg->p.video_ssrc;
	leg->frame = calloc(1, sizeof(*leg->frame));
	if (!leg->frame)
		return ENOMEM;
	if (leg->p.vcodec == MCU_VCODEC_H264)
		err = mcu_h264_depack_alloc(&leg->h264, leg->p.h264_mode,
		                            4u << 20);
	else
		err = mcu_vp8_depack_alloc(&leg->vp8, 4u << 20);
	if (!err)
		err = mcu_vdec_alloc(&leg->vdec, leg->p.vcodec, 1);
	if (!err)
		err = mcu_serial_alloc(&leg->dec_q, leg->pool, 4);
	if (!err)
		err = mcu_rtp_history_alloc(&leg->vhist, 1024, 2000);
	if (!err)
		err = setup_srtp(&leg->vtx, &leg->p.video_srtp);
	if (!err)
		err = bind_stream(leg, &leg->vrx, &leg->vtx, &leg->p.local_video,
		                  &leg->p.remote_video, &leg->p.source_video);
	return err;
}

static int alloc_audio(struct mcu_leg *leg)
{
	int err = init_stream_state(&leg->arx, &leg->atx, MCU_JBUF_AUDIO,
	                            (uint32_t)mcu_acodec_rtp_clock(
	                                    leg->p.acodec));
	if (err)
		return err;
	if (leg->p.audio_ssrc)
		leg->atx.ssrc = leg->p.audio_ssrc;
	mcu_dtmf_rx_init(&leg->dtmf);
	err = mcu_adec_alloc(&leg->adec, leg->p.acodec);
	if (!err)
		err = setup_srtp(&leg->atx, &leg->p.audio_srtp);
	if (!err)
		err = bind_stream(leg, &leg->arx, &leg->atx, &leg->p.local_audio,
		                  &leg->p.remote_audio, &leg->p.source_audio);
	return err;
}

int mcu_leg_alloc(struct mcu_leg **legp, const struct mcu_leg_params *p,
                  struct mcu_netio *netio, struct mcu_workpool *pool,
                  const struct mcu_leg_handlers *h)
{
	struct mcu_leg *leg;
	int err = 0;

	if (!legp || !p || !netio || !pool || !p->id ||
	    (!p->has_video && !p->has_audio))
		return EINVAL;
	leg = calloc(1, sizeof(*leg));
	if (!leg)
		return ENOMEM;
	leg->vrx.leg = leg->arx.leg = leg;
	leg->p = *p;
	snprintf(leg->label, sizeof(leg->label), "%s",
	         p->label ? p->label : "leg");
	leg->p.label = leg->label;
	leg->netio = netio;
	leg->pool = pool;
	if (h)
		leg->h = *h;
	mcu_mutex_init_pi(&leg->dec_lock);
	mcu_mutex_init_pi(&leg->frame_lock);
	leg->vtx.fd = leg->vtx.rtcp_fd = leg->atx.fd = leg->atx.rtcp_fd = -1;
	atomic_store(&leg->rtt_ms, -1.0);
	if (p->has_video)
		err = alloc_video(leg);
	if (!err && p->has_audio)
		err = alloc_audio(leg);
	if (err) {
		mcu_leg_free(leg);
		return err;
	}
	mcu_log_info("%s: media on ports video %u audio %u", leg->label,
	             leg->vrx.local_port, leg->arx.local_port);
	*legp = leg;
	return 0;
}

static void free_stream(struct mcu_leg *leg, struct rx_stream *rx,
                        struct tx_stream *tx)
{
	if (rx->rtp_sock)
		mcu_netio_remove(leg->netio, rx->rtp_sock);
	if (rx->rtcp_sock)
		mcu_netio_remove(leg->netio, rx->rtcp_sock);
	rx->jb = mcu_jbuf_free(rx->jb);
	tx->srtp = mcu_srtp_free(tx->srtp);
	free(tx->sbuf);
	tx->sbuf = NULL;
	pthread_mutex_destroy(&rx->lock);
	pthread_mutex_destroy(&tx->lock);
}

struct mcu_leg *mcu_leg_free(struct mcu_leg *leg)
{
	if (!leg)
		return NULL;
	/* Sockets first: after this no I/O thread touches the leg. */
	if (leg->p.has_video)
		free_stream(leg, &leg->vrx, &leg->vtx);
	if (leg->p.has_audio)
		free_stream(leg, &leg->arx, &leg->atx);
	leg->dec_q = mcu_serial_free(leg->dec_q);
	for (unsigned i = 0; i < leg->q_len; i++)
		free(leg->queue[(leg->q_head + i) % AU_QUEUE].data);
	leg->vdec = mcu_vdec_free(leg->vdec);
	leg->adec = mcu_adec_free(leg->adec);
	leg->h264 = mcu_h264_depack_free(leg->h264);
	leg->vp8 = mcu_vp8_depack_free(leg->vp8);
	leg->vhist = mcu_rtp_history_free(leg->vhist);
	free(leg->frame);
	av_frame_free(&leg->latest);
	pthread_mutex_destroy(&leg->dec_lock);
	pthread_mutex_destroy(&leg->frame_lock);
	explicit_bzero(&leg->p.video_srtp, sizeof(leg->p.video_srtp));
	explicit_bzero(&leg->p.audio_srtp, sizeof(leg->p.audio_srtp));
	free(leg);
	return NULL;
}

const struct mcu_leg_params *mcu_leg_params(const struct mcu_leg *leg)
{
	return &leg->p;
}

void mcu_leg_local_ports(const struct mcu_leg *leg, uint16_t *video,
                         uint16_t *audio)
{
	if (video)
		*video = leg->vrx.local_port;
	if (audio)
		*audio = leg->arx.local_port;
}

/* ---- ticks -------------------------------------------------------- */

void mcu_leg_set_visible(struct mcu_leg *leg, bool visible, int64_t now_us)
{
	(void)now_us;
	if (!leg->p.has_video)
		return;
	bool was = atomic_exchange(&leg->visible, visible);
	if (visible && !was) {
		/* Its decoder has not seen the stream for a while: restart
		 * it at the next key frame, which we ask for now. */
		atomic_store(&leg->reset_decoder, true);
		request_keyframe(leg);
	}
}

void mcu_leg_set_small(struct mcu_leg *leg, bool small)
{
	atomic_store(&leg->small, small);
}

AVFrame *mcu_leg_latest_frame_at(struct mcu_leg *leg, int64_t now_us,
                                 int64_t max_age_us, int64_t *arrival_us,
                                 int64_t *decoded_us)
{
	AVFrame *f = NULL;
	pthread_mutex_lock(&leg->frame_lock);
	if (leg->latest &&
	    (max_age_us <= 0 || now_us - leg->latest_us <= max_age_us))
		f = av_frame_clone(leg->latest);
	if (arrival_us)
		*arrival_us = f ? leg->latest_arrival_us : 0;
	if (decoded_us)
		*decoded_us = f ? leg->latest_us : 0;
	pthread_mutex_unlock(&leg->frame_lock);
	return f;
}

AVFrame *mcu_leg_latest_frame(struct mcu_leg *leg, int64_t now_us,
                              int64_t max_age_us)
{
	return mcu_leg_latest_frame_at(leg, now_us, max_age_us, NULL, NULL);
}

static void send_feedback(struct mcu_leg *leg, int64_t now_us)
{
	uint8_t buf[RTCP_BUF + MCU_SRTP_TRAILER];
	size_t off = 0;
	uint16_t seqs[64];
	unsigned n, fb = leg->p.feedback;
	bool kf;

	if (!(fb & MCU_LEG_FB_KNOWN))
		fb = MCU_LEG_FB_NACK | MCU_LEG_FB_PLI | MCU_LEG_FB_FIR;
	else if (!(fb & (MCU_LEG_FB_PLI | MCU_LEG_FB_FIR)))
		fb |= MCU_LEG_FB_PLI; /* a key frame must be asked somehow */
	pthread_mutex_lock(&leg->vrx.lock);
	pull_frames(leg, now_us);
	n = leg->vrx.have_ssrc
	            ? mcu_jbuf_nacks(leg->vrx.jb, now_us, seqs, 64)
	            : 0;
	uint32_t media = leg->vrx.ssrc;
	bool have = leg->vrx.have_ssrc;
	pthread_mutex_unlock(&leg->vrx.lock);

	if (n && (fb & MCU_LEG_FB_NACK) &&
	    mcu_rtcp_write_nack(buf, RTCP_BUF, &off, leg->vtx.ssrc, media,
	                        seqs, n) == 0)
		atomic_fetch_add(&leg->nacks_sent, n);
	kf = atomic_load(&leg->want_keyframe) && have &&
	     atomic_load(&leg->visible) &&
	     now_us - leg->last_pli_us >= PLI_INTERVAL_US;
	if (kf) {
		if ((fb & MCU_LEG_FB_PLI) &&
		    mcu_rtcp_write_pli(buf, RTCP_BUF, &off, leg->vtx.ssrc,
		                       media) == 0)
			atomic_fetch_add(&leg->plis_sent, 1);
		if (fb & MCU_LEG_FB_FIR) {
			struct mcu_rtcp_fir_entry e = {media, leg->fir_seq++};
			if (mcu_rtcp_write_fir(buf, RTCP_BUF, &off,
			                       leg->vtx.ssrc, &e, 1) == 0)
				atomic_fetch_add(&leg->firs_sent, 1);
		}
		atomic_store(&leg->want_keyframe, false);
		leg->last_pli_us = now_us;
	}
	if (off)
		send_rtcp(&leg->vtx, &leg->vrx.remote_rtcp, buf, off);
}

/* One report block about what we receive on `rx`; rx->lock held. */
static unsigned report_block(struct rx_stream *rx, int64_t now_us,
                             struct mcu_rtcp_rb *rb)
{
	uint8_t fraction;
	int32_t lost;
	uint32_t ext, jitter;
	if (!rx->have_ssrc)
		return 0;
	mcu_rtp_rx_report(&rx->stats, &fraction, &lost, &ext, &jitter);
	rb->ssrc = rx->ssrc;
	rb->fraction = fraction;
	rb->lost = lost;
	rb->ext_max = ext;
	rb->jitter = jitter;
	rb->lsr = rx->sr_arrival_us ? rx->sr_mid : 0;
	rb->dlsr = rx->sr_arrival_us
	                   ? (uint32_t)((now_us - rx->sr_arrival_us) * 65536 /
	                                1000000)
	                   : 0;
	return 1;
}

static void send_report(struct mcu_leg *leg, struct rx_stream *rx,
                        struct tx_stream *tx, uint32_t clock, int64_t now_us)
{
	uint8_t buf[RTCP_BUF + MCU_SRTP_TRAILER];
	size_t off = 0;
	struct mcu_rtcp_rb rb;
	unsigned n_rb;
	char cname[80];

	pthread_mutex_lock(&rx->lock);
	n_rb = report_block(rx, now_us, &rb);
	pthread_mutex_unlock(&rx->lock);

	pthread_mutex_lock(&tx->lock);
	if (tx->packets) {
		int64_t wall = wall_us();
		struct mcu_rtcp_sr_info sr = {
			.ntp = mcu_ntp_from_unix_us(wall),
			.rtp_ts = tx->last_ts +
			          (uint32_t)((now_us - tx->last_send_us) *
			                     (int64_t)clock / 1000000),
			.packets = (uint32_t)tx->packets,
			.octets = (uint32_t)tx->bytes,
		};
		tx->sr_ntp_mid = mcu_ntp_mid32(sr.ntp);
		mcu_rtcp_write_sr(buf, RTCP_BUF, &off, tx->ssrc, &sr, &rb,
		                  n_rb);
	} else {
		mcu_rtcp_write_rr(buf, RTCP_BUF, &off, tx->ssrc, &rb, n_rb);
	}
	pthread_mutex_unlock(&tx->lock);
	snprintf(cname, sizeof(cname), "mcud-%s", leg->label);
	mcu_rtcp_write_sdes(buf, RTCP_BUF, &off, tx->ssrc, cname);
	send_rtcp(tx, &rx->remote_rtcp, buf, off);
}

void mcu_leg_video_poll(struct mcu_leg *leg, int64_t now_us)
{
	if (leg->p.has_video)
		send_feedback(leg, now_us);
	if (now_us < leg->next_rtcp_us)
		return;
	leg->next_rtcp_us = now_us + RTCP_INTERVAL_US;
	if (leg->p.has_video)
		send_report(leg, &leg->vrx, &leg->vtx, MCU_VIDEO_CLOCK, now_us);
	if (leg->p.has_audio)
		send_report(leg, &leg->arx, &leg->atx,
		            (uint32_t)mcu_acodec_rtp_clock(leg->p.acodec),
		            now_us);
}

static void on_pcm(const AVFrame *frame, void *arg)
{
	struct mcu_leg *leg = arg;
	if (frame->nb_samples != MCU_AUDIO_FRAME)
		return;
	if (leg->pcm_len == PCM_FRAMES) {
		/* The sender runs fast: drop the oldest 20 ms. */
		leg->pcm_head = (leg->pcm_head + 1) % PCM_FRAMES;
		leg->pcm_len--;
	}
	memcpy(leg->pcm[(leg->pcm_head + leg->pcm_len) % PCM_FRAMES],
	       frame->data[0], sizeof(leg->pcm[0]));
	leg->pcm_arrival[(leg->pcm_head + leg->pcm_len) % PCM_FRAMES] =
	    leg->adec_arrival_us;
	leg->pcm_len++;
}

static enum mcu_audiofmt_codec audiofmt_of(enum mcu_acodec c)
{
	switch (c) {
	case MCU_ACODEC_PCMU:
		return MCU_AUDIOFMT_PCMU;
	case MCU_ACODEC_PCMA:
		return MCU_AUDIOFMT_PCMA;
	case MCU_ACODEC_G722:
		return MCU_AUDIOFMT_G722;
	default:
		return MCU_AUDIOFMT_OPUS;
	}
}

/* The audio tick's next packet from the jitter buffer (its errors). */
static int next_audio_packet(struct mcu_leg *leg, int64_t now_us,
                             struct mcu_jbuf_pkt *jp)
{
	int err;
	pthread_mutex_lock(&leg->arx.lock);
	err = mcu_jbuf_get_audio(leg->arx.jb, now_us, jp);
	pthread_mutex_unlock(&leg->arx.lock);
	return err;
}

/* The oldest decoded 20 ms out of the ring, into pcm unless NULL. */
static void pcm_pop(struct mcu_leg *leg, int16_t *pcm)
{
	if (pcm)
		memcpy(pcm, leg->pcm[leg->pcm_head], sizeof(leg->pcm[0]));
	leg->pulled_arrival_us = pcm ? leg->pcm_arrival[leg->pcm_head] : 0;
	leg->pcm_head = (leg->pcm_head + 1) % PCM_FRAMES;
	leg->pcm_len--;
}

bool mcu_leg_audio_pull(struct mcu_leg *leg, int64_t now_us, int16_t *pcm)
{
	leg->pulled_arrival_us = 0;
	leg->pulled_slack_us = INT64_MIN;
	if (!leg->p.has_audio)
		return false;
	for (int tries = 0; leg->pcm_len == 0 && tries < 3; tries++) {
		struct mcu_jbuf_pkt jp;
		int err;
		if (leg->skip_samples >= MCU_AUDIO_FRAME) {
			/* the rest of a packet taken by mcu_leg_audio_skip() */
			leg->skip_samples -= MCU_AUDIO_FRAME;
			leg->adec_arrival_us = 0;
			mcu_adec_decode_missing(leg->adec, on_pcm, leg);
			continue;
		}
		leg->skip_samples = 0;
		err = next_audio_packet(leg, now_us, &jp);
		if (err == ENOENT || err == ENODATA) {
			/* lost, or nothing came in time: the decoder conceals */
			leg->adec_arrival_us = 0;
			mcu_adec_decode_missing(leg->adec, on_pcm, leg);
			if (err == ENOENT)
				atomic_fetch_add(&leg->concealed, 1);
		} else if (err == 0) {
			struct mcu_audiofmt_info info;
			const uint8_t *pl = jp.pkt->data + jp.off;
			leg->adec_arrival_us = jp.arrival_us;
			leg->pulled_slack_us = now_us - jp.due_us;
			if (mcu_audiofmt_check(audiofmt_of(leg->p.acodec), pl,
			                       jp.len, &info) == 0)
				mcu_adec_decode(leg->adec, pl, jp.len, on_pcm,
				                leg);
			mcu_pkt_put(jp.pkt);
		} else {
			break;
		}
	}
	if (leg->pcm_len == 0)
		return false;
	pcm_pop(leg, pcm);
	return true;
}

bool mcu_leg_audio_skip(struct mcu_leg *leg, int64_t now_us)
{
	struct mcu_jbuf_pkt jp;
	struct mcu_audiofmt_info info;
	enum mcu_audiofmt_codec c;
	int err;

	leg->pulled_arrival_us = 0;
	leg->pulled_slack_us = INT64_MIN;
	if (!leg->p.has_audio)
		return false;
	if (leg->pcm_len > 0) { /* decoded already (a long packet) */
		pcm_pop(leg, NULL);
		return true;
	}
	if (leg->skip_samples >= MCU_AUDIO_FRAME) {
		leg->skip_samples -= MCU_AUDIO_FRAME;
		return true;
	}
	err = next_audio_packet(leg, now_us, &jp);
	if (err == ENOENT || err == ENODATA) {
		if (err == ENOENT)
			atomic_fetch_add(&leg->concealed, 1);
		return true;
	}
	if (err)
		return false;
	/* How much sound the packet holds, to skip the same on later ticks
	   (a 60 ms packet is three frames); a malformed one counts as 20 ms. */
	c = audiofmt_of(leg->p.acodec);
	if (mcu_audiofmt_check(c, jp.pkt->data + jp.off, jp.len, &info) == 0 &&
	    info.samples > 0)
		leg->skip_samples += (unsigned)((uint64_t)info.samples *
		                                MCU_AUDIO_RATE /
		                                mcu_audiofmt_sample_rate(c));
	else
		leg->skip_samples += MCU_AUDIO_FRAME;
	mcu_pkt_put(jp.pkt);
	/* this tick's 20 ms of it */
	leg->skip_samples = leg->skip_samples > MCU_AUDIO_FRAME
	                        ? leg->skip_samples - MCU_AUDIO_FRAME
	                        : 0;
	return true;
}

int64_t mcu_leg_audio_arrival_us(const struct mcu_leg *leg)
{
	return leg->pulled_arrival_us;
}

int64_t mcu_leg_audio_slack_us(const struct mcu_leg *leg)
{
	return leg->pulled_slack_us;
}

bool mcu_leg_take_keyframe_request(struct mcu_leg *leg)
{
	return atomic_exchange(&leg->keyframe_requested, false);
}

/* ---- send --------------------------------------------------------- */

static void account_send(struct tx_stream *tx, size_t bytes, int64_t now_us)
{
	tx->packets++;
	tx->bytes += bytes;
	tx->rate_bytes += bytes;
	if (!tx->rate_start_us)
		tx->rate_start_us = now_us;
	if (now_us - tx->rate_start_us >= 1000000) {
		tx->bitrate_bps = tx->rate_bytes * 8 * 1000000 /
		                  (uint64_t)(now_us - tx->rate_start_us);
		tx->rate_bytes = 0;
		tx->rate_start_us = now_us;
	}
	tx->last_send_us = now_us;
}

/* SRTP: header and payload into the stream's scratch buffer, protected;
   iov becomes that one buffer. tx->lock held. */
static int srtp_seal(struct tx_stream *tx, struct iovec *iov,
                     unsigned *iovcnt)
{
	size_t len = iov[0].iov_len + iov[1].iov_len;
	if (len > MCU_NETIO_MAX_DGRAM)
		return EMSGSIZE;
	memcpy(tx->sbuf, iov[0].iov_base, iov[0].iov_len);
	memcpy(tx->sbuf + iov[0].iov_len, iov[1].iov_base, iov[1].iov_len);
	int err = mcu_srtp_protect(tx->srtp, tx->sbuf, &len, SRTP_BUF);
	if (err)
		return err;
	iov[0].iov_base = tx->sbuf;
	iov[0].iov_len = len;
	*iovcnt = 1;
	return 0;
}

int mcu_leg_send_video(struct mcu_leg *leg, struct mcu_pkt *const *payloads,
                       unsigned n, uint32_t pts90k, bool keyframe,
                       int64_t now_us)
{
	struct tx_stream *tx = &leg->vtx;
	int err = 0;
	if (!leg->p.has_video || n == 0 || leg->p.hold)
		return 0;
	pthread_mutex_lock(&tx->lock);
	uint32_t ts = tx->ts_base + pts90k;
	for (unsigned i = 0; i < n; i++) {
		uint8_t hdr[MCU_RTP_HDR_MIN];
		size_t hlen;
		struct mcu_rtp_hdr h = {
			.marker = i + 1 == n,
			.pt = leg->p.video_pt,
			.seq = tx->seq,
			.ts = ts,
			.ssrc = tx->ssrc,
		};
		if (mcu_rtp_write(hdr, sizeof(hdr), &h, &hlen))
			continue;
		struct iovec iov[2] = {
			{hdr, hlen},
			{payloads[i]->data, payloads[i]->len},
		};
		struct mcu_netio_out out = {
			.iov = iov,
			.iovcnt = 2,
			.dst = (const struct sockaddr *)&leg->vrx.remote_rtp,
			.dstlen = leg->vrx.remote_len,
		};
		unsigned sent = 0;
		int e = tx->srtp ? srtp_seal(tx, iov, &out.iovcnt) : 0;
		if (!e)
			e = mcu_netio_send_batch(tx->fd, &out, 1, &sent);
		if (e && !err)
			err = e;
		mcu_rtp_history_put(leg->vhist, hdr, hlen, payloads[i], 0,
		                    payloads[i]->len, now_us);
		tx->seq++;
		account_send(tx, hlen + payloads[i]->len, now_us);
	}
	if (tx->last_frame_us) {
		double dt = (double)(now_us - tx->last_frame_us);
		tx->fps_interval_us = tx->fps_interval_us
		                              ? 0.9 * tx->fps_interval_us +
		                                        0.1 * dt
		                              : dt;
	}
	tx->last_frame_us = now_us;
	tx->last_ts = ts;
	if (keyframe)
		tx->keyframes++;
	pthread_mutex_unlock(&tx->lock);
	return err;
}

int mcu_leg_send_audio(struct mcu_leg *leg, struct mcu_pkt *payload,
                       uint32_t ts_inc, int64_t now_us)
{
	struct tx_stream *tx = &leg->atx;
	uint8_t hdr[MCU_RTP_HDR_MIN];
	size_t hlen;
	unsigned sent = 0;
	int err;
	if (!leg->p.has_audio || leg->p.hold)
		return 0;
	pthread_mutex_lock(&tx->lock);
	struct mcu_rtp_hdr h = {
		.marker = tx->packets == 0,
		.pt = leg->p.audio_pt,
		.seq = tx->seq,
		.ts = tx->ts_base + tx->audio_ts,
		.ssrc = tx->ssrc,
	};
	err = mcu_rtp_write(hdr, sizeof(hdr), &h, &hlen);
	if (!err) {
		struct iovec iov[2] = {{hdr, hlen},
		                       {payload->data, payload->len}};
		struct mcu_netio_out out = {
			.iov = iov,
			.iovcnt = 2,
			.dst = (const struct sockaddr *)&leg->arx.remote_rtp,
			.dstlen = leg->arx.remote_len,
		};
		err = tx->srtp ? srtp_seal(tx, iov, &out.iovcnt) : 0;
		if (!err)
			err = mcu_netio_send_batch(tx->fd, &out, 1, &sent);
		tx->seq++;
		tx->last_ts = h.ts;
		account_send(tx, hlen + payload->len, now_us);
	}
	tx->audio_ts += ts_inc;
	pthread_mutex_unlock(&tx->lock);
	return err;
}

void mcu_leg_stats(struct mcu_leg *leg, int64_t now_us,
                   struct mcu_leg_stats *st)
{
	struct mcu_rtp_rx_stats rs;
	struct mcu_jbuf_stats js;

	memset(st, 0, sizeof(*st));
	if (leg->p.has_video) {
		pthread_mutex_lock(&leg->vrx.lock);
		mcu_rtp_rx_stats(&leg->vrx.stats, now_us, &rs);
		mcu_jbuf_stats(leg->vrx.jb, &js);
		st->vin.packets = rs.packets;
		st->vin.bytes = rs.bytes;
		st->vin.lost = rs.lost > 0 ? (uint64_t)rs.lost : 0;
		st->vin.jitter_ms = rs.jitter_ms;
		st->vin.bitrate_bps = rs.bitrate_bps;
		st->vin.malformed = leg->vrx.malformed;
		st->last_media_us = leg->vrx.last_media_us;
		pthread_mutex_unlock(&leg->vrx.lock);
		struct mcu_netio_sock_stats ns;
		mcu_netio_sock_stats(leg->vrx.rtp_sock, &ns);
		st->vin.rejected = ns.rejected;
		if (leg->vrx.rtcp_sock) { /* RTCP from a wrong source too */
			mcu_netio_sock_stats(leg->vrx.rtcp_sock, &ns);
			st->vin.rejected += ns.rejected;
		}

		pthread_mutex_lock(&leg->frame_lock);
		st->vin.frames_decoded = leg->frames;
		st->vin.decode_errors = leg->decode_errors;
		if (leg->latest) {
			st->vin.width = leg->latest->width;
			st->vin.height = leg->latest->height;
		}
		if (leg->in_fps_interval_us > 0 &&
		    now_us - leg->latest_us < 2000000)
			st->vin.fps = 1e6 / leg->in_fps_interval_us;
		pthread_mutex_unlock(&leg->frame_lock);
		pthread_mutex_lock(&leg->dec_lock);
		st->vin.frames_skipped = leg->skipped;
		pthread_mutex_unlock(&leg->dec_lock);

		pthread_mutex_lock(&leg->vtx.lock);
		st->vout.packets = leg->vtx.packets;
		st->vout.bytes = leg->vtx.bytes;
		st->vout.keyframes = leg->vtx.keyframes;
		st->vout.bitrate_bps = leg->vtx.bitrate_bps;
		if (leg->vtx.fps_interval_us > 0 &&
		    now_us - leg->vtx.last_frame_us < 2000000)
			st->vout.fps = 1e6 / leg->vtx.fps_interval_us;
		pthread_mutex_unlock(&leg->vtx.lock);
	}
	if (leg->p.has_audio) {
		pthread_mutex_lock(&leg->arx.lock);
		mcu_rtp_rx_stats(&leg->arx.stats, now_us, &rs);
		st->ain.packets = rs.packets;
		st->ain.bytes = rs.bytes;
		st->ain.lost = rs.lost > 0 ? (uint64_t)rs.lost : 0;
		st->ain.jitter_ms = rs.jitter_ms;
		mcu_jbuf_stats(leg->arx.jb, &js);
		st->ain.buffer_ms = js.target_ms;
		st->ain.trimmed = js.trimmed;
		st->ain.gaps = js.gaps;
		st->ain.malformed = leg->arx.malformed;
		if (leg->arx.last_media_us > st->last_media_us)
			st->last_media_us = leg->arx.last_media_us;
		pthread_mutex_unlock(&leg->arx.lock);
		struct mcu_netio_sock_stats ns;
		mcu_netio_sock_stats(leg->arx.rtp_sock, &ns);
		st->ain.rejected = ns.rejected;
		if (leg->arx.rtcp_sock) { /* RTCP from a wrong source too */
			mcu_netio_sock_stats(leg->arx.rtcp_sock, &ns);
			st->ain.rejected += ns.rejected;
		}
		st->ain.concealed = atomic_load(&leg->concealed);
		pthread_mutex_lock(&leg->atx.lock);
		st->aout.packets = leg->atx.packets;
		st->aout.bytes = leg->atx.bytes;
		pthread_mutex_unlock(&leg->atx.lock);
	}
	st->vout.nack_served = atomic_load(&leg->nack_served);
	st->vout.nack_missed = atomic_load(&leg->nack_missed);
	st->nacks_sent = atomic_load(&leg->nacks_sent);
	st->plis_sent = atomic_load(&leg->plis_sent);
	st->firs_sent = atomic_load(&leg->firs_sent);
	st->plis_received = atomic_load(&leg->plis_received);
	st->firs_received = atomic_load(&leg->firs_received);
	st->nacks_received = atomic_load(&leg->nacks_received);
	st->srtp = leg->vtx.srtp || leg->atx.srtp;
	st->srtp_auth_failures = atomic_load(&leg->srtp_auth_failures);
	st->srtp_replays = atomic_load(&leg->srtp_replays);
	st->rtt_ms = atomic_load(&leg->rtt_ms);
	st->remote_loss = atomic_load(&leg->remote_loss);
	st->decoding = atomic_load(&leg->visible);
}
