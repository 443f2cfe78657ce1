/*
 * jbuf: the adaptive jitter buffer of one received RTP stream (one SSRC),
 * audio or video. It holds references to the received packets (struct
 * mcu_pkt, no copies), puts them back in sequence order, drops duplicates,
 * reports missing sequence numbers for NACK, gives a missing packet up
 * after a bounded wait, and releases media:
 *
 *  - video: whole frames (every packet of one RTP timestamp, contiguous
 *    sequence numbers, up to the marker bit) as soon as they are complete
 *    and in order: no playout delay, the consumer's own clock paces them;
 *  - audio: one packet per playout step, at a playout time that trails the
 *    sender's clock by a target delay adapted to the measured jitter within
 *    [min_delay_ms, max_delay_ms], or word that a packet is missing so the
 *    decoder can conceal it.
 *
 * Loss that cannot be repaired (a packet given up, an overflow, a stream
 * restart) raises the key-frame flag (video) that the owner turns into a
 * PLI/FIR. Size is bounded (capacity packets); on overflow the oldest are
 * dropped.
 *
 * Not thread-safe: a jitter buffer belongs to the network I/O thread that
 * owns its socket (or to whoever serialises access). Time is passed in
 * (CLOCK_MONOTONIC microseconds): the buffer never reads a clock.
 */
#ifndef MCU_TRANSPORT_JBUF_H
#define MCU_TRANSPORT_JBUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "transport/pkt.h"
#include "transport/rtp.h"

struct mcu_jbuf;

enum mcu_jbuf_kind {
	MCU_JBUF_VIDEO,
	MCU_JBUF_AUDIO,
};

/* Zero fields take the defaults named here. */
struct mcu_jbuf_conf {
	enum mcu_jbuf_kind kind;
	uint32_t clock_rate;       /* Hz (default 90000 video, 48000 audio) */
	unsigned capacity;         /* packets, a power of two 16..4096
	                              (default 1024 video, 64 audio) */
	unsigned min_delay_ms;     /* target delay floor (default 0 video,
	                              20 audio) */
	unsigned max_delay_ms;     /* target delay ceiling (default 500) */
	unsigned nack_delay_ms;    /* wait before the first NACK of a gap,
	                              for plain reordering (default 5) */
	unsigned nack_interval_ms; /* re-ask this often (default 50) */
	unsigned loss_wait_ms;     /* give a missing packet up after this
	                              (default 300 video, 100 audio) */
};

/* Most packets a video frame may have; larger frames are dropped. */
#define MCU_JBUF_FRAME_MAX 512

/* One packet handed out: a reference to the datagram and where its
 * payload is. The receiver owns the reference (mcu_pkt_put). */
struct mcu_jbuf_pkt {
	struct mcu_pkt *pkt;
	size_t off; /* payload offset in pkt->data */
	size_t len; /* payload length */
	uint16_t seq;
	int64_t ext_seq; /* unwrapped sequence number */
	uint32_t ts;
	bool marker;
	int64_t arrival_us;
	int64_t due_us; /* audio: its playout time in the plan */
};

/* A complete video frame. Large (~32 KiB): keep one per stream rather
 * than on a small stack. */
struct mcu_jbuf_frame {
	uint32_t ts;
	bool after_loss; /* something before this frame was lost */
	unsigned n;
	struct mcu_jbuf_pkt pkts[MCU_JBUF_FRAME_MAX];
};

struct mcu_jbuf_stats {
	uint64_t packets; /* accepted */
	uint64_t duplicates;
	uint64_t late;      /* arrived after their slot was released */
	uint64_t lost;      /* given up */
	uint64_t dropped;   /* overflow, partial or oversized frames */
	uint64_t recovered; /* arrived after being NACKed */
	uint64_t nacks;     /* sequence numbers handed out for NACK */
	uint64_t frames;    /* video frames / audio packets released */
	uint64_t concealed; /* audio: missing packets reported */
	uint64_t trimmed;   /* audio: dropped to end a standing backlog */
	uint64_t gaps;      /* audio: steps that found nothing due while the
	                       stream played (the playout slipped a step; a
	                       sender's pause counts once) */
	uint64_t keyframe_requests;
	unsigned depth;   /* packets held */
	double jitter_ms; /* smoothed transit jitter */
	double target_ms; /* current target delay */
};

/* Create a buffer; returns 0, EINVAL (bad conf) or ENOMEM. */
int mcu_jbuf_alloc(struct mcu_jbuf **jbp, const struct mcu_jbuf_conf *conf);
/* Release the buffer and every packet it holds. Returns NULL. */
struct mcu_jbuf *mcu_jbuf_free(struct mcu_jbuf *jb);

/*
 * Insert a received packet; `h` is its parsed header (mcu_rtp_parse on
 * pkt->data). The buffer takes its own reference; the caller keeps
 * theirs. Returns 0; EALREADY for a duplicate; ESTALE when the packet's
 * place was already released or given up; EINVAL when h does not fit pkt.
 */
int mcu_jbuf_put(struct mcu_jbuf *jb, struct mcu_pkt *pkt,
                 const struct mcu_rtp_hdr *h, int64_t now_us);

/*
 * Sequence numbers to NACK now (new gaps after nack_delay_ms, older ones
 * every nack_interval_ms until loss_wait_ms). Writes at most `max`,
 * ascending; returns the count.
 */
unsigned mcu_jbuf_nacks(struct mcu_jbuf *jb, int64_t now_us, uint16_t *seqs,
                        unsigned max);

/*
 * Video: pull the next complete frame whose playout time has come. On 0
 * *f holds references (release with mcu_jbuf_frame_clear). EAGAIN: none
 * ready. Gives up packets whose wait is over (raising the key-frame flag).
 */
int mcu_jbuf_get_frame(struct mcu_jbuf *jb, int64_t now_us,
                       struct mcu_jbuf_frame *f);
void mcu_jbuf_frame_clear(struct mcu_jbuf_frame *f);

/*
 * Audio: call once per playout step. 0: *out is the next packet (the
 * caller owns out->pkt). ENOENT: the next packet is missing and overdue:
 * conceal one packet (out->seq says which). ENODATA: the stream plays but
 * nothing came for this step: conceal one frame (stats.gaps; the packet
 * it stood for is dropped if it comes late while the next one is there,
 * stats.late). EAGAIN: nothing due yet, or the buffer ran empty. now_us is the step's own time (a tick's
 * deadline, not when it ran: which packets are due must not depend on
 * how late a tick started, or a packet due just after a deadline is
 * taken on this tick or the next by chance). A packet due a whole 20 ms
 * step before it is a backlog the buffer ends by dropping one packet
 * (stats.trimmed). A playing stream keeps its phase (packet k+1 on the
 * step after packet k's): a packet present at its step is taken even if
 * the moving plan says it is due a few ms later, or the step came a few ms
 * early (the consumer's clock moved), so neither costs a gap (stats.gaps
 * counts the steps that did find nothing).
 */
int mcu_jbuf_get_audio(struct mcu_jbuf *jb, int64_t now_us,
                       struct mcu_jbuf_pkt *out);

/* True once after loss made a key frame necessary (read and clear). */
bool mcu_jbuf_keyframe_needed(struct mcu_jbuf *jb);

/* Drop everything held; the next packet starts afresh. */
void mcu_jbuf_flush(struct mcu_jbuf *jb);

void mcu_jbuf_stats(const struct mcu_jbuf *jb, struct mcu_jbuf_stats *st);

#endif
