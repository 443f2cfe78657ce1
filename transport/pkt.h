/*
 * pkt: the reference-counted packet buffer of the media path. One
 * allocation holds the counter, the bookkeeping and the bytes, so a packet
 * made once (a received datagram, an encoded payload) can sit in a jitter
 * buffer, a retransmission history and many send queues at the same time
 * without a copy: each holder takes its own reference with mcu_pkt_ref()
 * and drops it with mcu_pkt_put(). The count is atomic, so references may
 * be taken and dropped on different threads.
 *
 * Once a packet is shared (more than one reference) its bytes are
 * read-only; only the single owner of a fresh packet writes into it.
 *
 * Callers: netio (receive), jbuf, rtp_history, payload packetizers' users
 * in mcu/ (fan-out).
 */
#ifndef MCU_TRANSPORT_PKT_H
#define MCU_TRANSPORT_PKT_H

#include <stddef.h>
#include <stdint.h>

/* Largest packet this module allocates (bounds every hostile size). */
#define MCU_PKT_MAX_SIZE 65536u

struct mcu_pkt {
	uint8_t *data; /* first valid byte (inside the allocation) */
	size_t len;    /* valid bytes from data */
	size_t cap;    /* bytes usable from the start of the buffer */
	/* private: reference count, see mcu_pkt_ref()/mcu_pkt_put() */
	unsigned refs_;
	uint8_t buf[];
};

/*
 * Allocate a packet with room for `cap` bytes (1..MCU_PKT_MAX_SIZE), one
 * reference, len 0, data at the start. Returns 0, EINVAL or ENOMEM.
 */
int mcu_pkt_alloc(struct mcu_pkt **pktp, size_t cap);

/* Allocate and copy `len` bytes in. Returns 0, EINVAL or ENOMEM. */
int mcu_pkt_dup(struct mcu_pkt **pktp, const void *data, size_t len);

/* Take a new reference; returns pkt (NULL passes through). */
struct mcu_pkt *mcu_pkt_ref(struct mcu_pkt *pkt);

/* Drop a reference; frees on the last one. Returns NULL. */
struct mcu_pkt *mcu_pkt_put(struct mcu_pkt *pkt);

/* Current reference count (for tests and assertions). */
unsigned mcu_pkt_refs(const struct mcu_pkt *pkt);

#endif
