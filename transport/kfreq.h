/*
 * kfreq: the key-frame request limiter of one shared encoder (design.md
 * "What keeps it fast" 2 and 5). Every receiver of an encoder group may
 * send PLI or FIR; one key frame serves them all, and key frames are
 * expensive (a burst of bits for every receiver), so requests are
 * coalesced and rate-limited:
 *
 *  - a request marks the encoder "key frame wanted";
 *  - the encoder asks mcu_kfreq_due() before each frame; it answers yes
 *    when a request is pending and at least min_interval (default 500 ms,
 *    about one round of a typical receiver's PLI retry) has passed since
 *    the last key frame; all requests pending then are served by that
 *    one key frame;
 *  - requests arriving during the interval wait for its end (not lost,
 *    not multiplied); a key frame made for another reason (GOP, start)
 *    is reported with mcu_kfreq_sent() and satisfies pending requests;
 *  - a FIR repeated with the same sequence number by the same sender is
 *    a retransmission (RFC 5104 4.3.1.2) and counts once.
 *
 * Thread-safe (a small mutex): requests come from the I/O threads that
 * read RTCP, the encoder polls from a media worker. Time is passed in.
 */
#ifndef MCU_TRANSPORT_KFREQ_H
#define MCU_TRANSPORT_KFREQ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MCU_KFREQ_DEFAULT_MS 500

struct mcu_kfreq;

struct mcu_kfreq_stats {
	uint64_t requests;   /* PLI/FIR counted */
	uint64_t duplicates; /* FIR retransmissions ignored */
	uint64_t keyframes;  /* key frames made (due + sent) */
	uint64_t deferred;   /* due key frames put off (mcu_kfreq_defer) */
};

/* min_interval_ms 0: MCU_KFREQ_DEFAULT_MS. Returns 0, ENOMEM or a
 * pthread error. */
int mcu_kfreq_alloc(struct mcu_kfreq **kp, unsigned min_interval_ms);
struct mcu_kfreq *mcu_kfreq_free(struct mcu_kfreq *k);

/* A PLI (or any key-frame need) from receiver `ssrc`. */
void mcu_kfreq_request(struct mcu_kfreq *k, uint32_t ssrc, int64_t now_us);

/* A FIR entry; returns false when it repeats that sender's last seq. */
bool mcu_kfreq_fir(struct mcu_kfreq *k, uint32_t ssrc, uint8_t seq,
                   int64_t now_us);

/* The encoder asks: make this frame a key frame? (true clears pending) */
bool mcu_kfreq_due(struct mcu_kfreq *k, int64_t now_us);

/* The key frame mcu_kfreq_due() just granted is not made with this
 * picture (put off, e.g. by mcu_kfreq_spread): the requests stay pending
 * and the next mcu_kfreq_due() grants it, the interval counted from the
 * key frame before. Only right after a due() that returned true. */
void mcu_kfreq_defer(struct mcu_kfreq *k);

/*
 * Key frames spread over pictures, across the encoders of one clock: a
 * key frame costs several predicted pictures to encode (x264 at 720p:
 * ~20 ms against 3-5), and when several encoders want one on the same
 * tick (a floor grant moves viewers between groups) the tick overruns its
 * frame interval. Given the encoders that want a key frame now, grant
 * them in order (those that `must`, then those that `waited` last time,
 * then the rest) while their `area` (pixels) fits in `budget`; at least
 * one is always granted and every `must` is. Sets each `grant`; returns
 * how many were put off.
 */
struct mcu_kfreq_want {
	long area;   /* width x height */
	bool must;   /* cannot be put off (an encoder's first picture) */
	bool waited; /* was put off last time */
	bool grant;  /* out: make it a key frame now */
};
size_t mcu_kfreq_spread(struct mcu_kfreq_want *w, size_t n, long budget);

/* The encoder made a key frame on its own. */
void mcu_kfreq_sent(struct mcu_kfreq *k, int64_t now_us);

void mcu_kfreq_stats(struct mcu_kfreq *k, struct mcu_kfreq_stats *st);

#endif
