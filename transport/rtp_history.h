/*
 * rtp_history: the per-output packet history that serves NACK
 * retransmissions (design.md "What keeps it fast" 5). Each output stream
 * (one endpoint's RTP session) records what it sent -- its own RTP header
 * bytes plus a reference to the payload shared by every output of the
 * encoder group, so recording costs no payload copy -- in a ring bounded
 * by packet count and age. A NACKed sequence number is looked up and
 * copied out byte for byte as first sent; an unknown or expired one is
 * reported so the owner can fall back to a key frame.
 *
 * Thread-safe: the sender records and the RTCP reader looks up, possibly
 * on different threads; an internal mutex is held only for the copy.
 */
#ifndef MCU_TRANSPORT_RTP_HISTORY_H
#define MCU_TRANSPORT_RTP_HISTORY_H

#include <stddef.h>
#include <stdint.h>

#include "transport/pkt.h"

/* Largest RTP header (fixed + CSRC + extension) a history entry keeps. */
#define MCU_RTP_HISTORY_HDR 96

struct mcu_rtp_history;

/*
 * capacity: packets kept, a power of two 16..4096 (0: 512); max_age_ms:
 * entries older than this are not served (0: 2000). Returns 0, EINVAL,
 * ENOMEM or a pthread error.
 */
int mcu_rtp_history_alloc(struct mcu_rtp_history **hp, unsigned capacity,
                          unsigned max_age_ms);
struct mcu_rtp_history *mcu_rtp_history_free(struct mcu_rtp_history *h);

/*
 * Record a sent packet: `hdr` (hdr_len bytes, copied; 12..
 * MCU_RTP_HISTORY_HDR, an RTP header whose sequence number is the key)
 * followed by len bytes of `body` from offset off (a reference is taken;
 * body may be NULL when len is 0). With hdr_len 0 the whole RTP packet is
 * in body. Replaces the entry that held the same ring slot. Returns 0 or
 * EINVAL.
 */
int mcu_rtp_history_put(struct mcu_rtp_history *h, const uint8_t *hdr,
                        size_t hdr_len, struct mcu_pkt *body, size_t off,
                        size_t len, int64_t now_us);

/*
 * Copy the packet sent with sequence number `seq` into buf. Returns 0
 * (*len set), ENOENT (never sent, overwritten or older than max_age) or
 * ENOSPC.
 */
int mcu_rtp_history_get(struct mcu_rtp_history *h, uint16_t seq, int64_t now_us,
                        uint8_t *buf, size_t size, size_t *len);

#endif
