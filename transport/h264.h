/*
 * h264: the H.264 RTP payload format (RFC 6184), both directions.
 *
 *  - depacketizer: RTP payloads of one stream (single NAL unit, STAP-A,
 *    FU-A) in sequence order -> Annex-B access units (4-byte start codes)
 *    with IDR/SPS/PPS flags so callers know a key frame. An access unit
 *    with a missing or malformed piece (FU-A without start or end, a
 *    sequence gap, a bad STAP-A length) is dropped whole, never passed on
 *    half-made. packetization-mode 0 accepts single NAL units only.
 *  - packetizer: an Annex-B access unit -> RTP payloads no larger than the
 *    given size: single NAL units, FU-A for large NALs and optionally
 *    STAP-A for runs of small ones (mode 1); mode 0 refuses a NAL that
 *    does not fit (EMSGSIZE) before emitting anything.
 *  - parameter-set cache: remembers the last SPS/PPS of a stream and puts
 *    them in front of an IDR access unit that lacks them (peers that join
 *    late need them in band).
 *
 * Pure, no clock, no thread state: one depacketizer per received stream,
 * owned by its I/O thread or decode job; the packetizer is stateless.
 * Callers: mcu/ (receive path after the jitter buffer, encoder fan-out).
 */
#ifndef MCU_TRANSPORT_H264_H
#define MCU_TRANSPORT_H264_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum mcu_h264_nal {
	MCU_H264_NAL_SLICE = 1,
	MCU_H264_NAL_IDR = 5,
	MCU_H264_NAL_SEI = 6,
	MCU_H264_NAL_SPS = 7,
	MCU_H264_NAL_PPS = 8,
	MCU_H264_NAL_AUD = 9,
	MCU_H264_NAL_STAP_A = 24,
	MCU_H264_NAL_FU_A = 28,
};

/* Default bound of one access unit (depacketizer buffer). */
#define MCU_H264_MAX_AU (4u << 20)
/* Largest payload size the packetizer accepts. */
#define MCU_H264_MAX_PAYLOAD 9000

/* ---- Annex-B helpers -------------------------------------------------- */

/*
 * Next NAL unit of an Annex-B buffer from *off: sets *nal and *len (start
 * code and trailing zero bytes excluded), advances *off. Returns 0 or
 * ENOENT when there is none left.
 */
int mcu_h264_nal_next(const uint8_t *buf, size_t len, size_t *off,
                      const uint8_t **nal, size_t *nal_len);

/* Flags of an access unit, from its NAL types. */
struct mcu_h264_info {
	bool idr;
	bool sps;
	bool pps;
};

void mcu_h264_info(const uint8_t *au, size_t len, struct mcu_h264_info *info);

/* ---- depacketizer ----------------------------------------------------- */

struct mcu_h264_depack;

struct mcu_h264_au {
	const uint8_t *data; /* Annex-B; valid until the next push */
	size_t len;
	uint32_t ts;
	struct mcu_h264_info info;
	bool keyframe; /* idr (SPS/PPS may come from earlier AUs) */
};

struct mcu_h264_depack_stats {
	uint64_t aus;
	uint64_t dropped;   /* incomplete or malformed AUs */
	uint64_t malformed; /* malformed packets */
};

/*
 * mode: packetization-mode 0 or 1. max_au: largest access unit accepted
 * (0: MCU_H264_MAX_AU). Returns 0, EINVAL or ENOMEM.
 */
int mcu_h264_depack_alloc(struct mcu_h264_depack **dp, int mode, size_t max_au);
struct mcu_h264_depack *mcu_h264_depack_free(struct mcu_h264_depack *d);

/*
 * Feed one RTP payload. `end` marks the last packet of the access unit
 * (the marker bit, or the last packet of a jitter-buffer frame). A new
 * timestamp also starts a new AU (the unfinished one is dropped).
 * Returns:
 *   0        packet taken; when it completed an AU, au->len > 0;
 *   EBADMSG  the packet is malformed (its AU will be dropped);
 *   EPIPE    this packet ended an AU that had to be dropped (missing
 *            fragment, sequence gap, too large): ask for a key frame.
 */
int mcu_h264_depack_push(struct mcu_h264_depack *d, const uint8_t *payload,
                         size_t len, uint16_t seq, uint32_t ts, bool end,
                         struct mcu_h264_au *au);

void mcu_h264_depack_stats(const struct mcu_h264_depack *d,
                           struct mcu_h264_depack_stats *st);

/* ---- packetizer ------------------------------------------------------- */

/* Receives each payload in order; `last` on the final one (set the RTP
 * marker). A non-zero return stops packetizing and is passed back. */
typedef int(mcu_h264_payload_h)(const uint8_t *payload, size_t len, bool last,
                                void *arg);

/*
 * Packetize an Annex-B access unit into payloads of at most max_payload
 * bytes (16..MCU_H264_MAX_PAYLOAD). mode 0: single NAL units only
 * (EMSGSIZE if one is too large, nothing emitted); mode 1: FU-A as needed,
 * STAP-A for small NALs when `stap`. Returns 0, EINVAL, ENOENT (no NAL
 * unit in the AU), EMSGSIZE, EBADMSG (a NAL of type 0 or 24-31, which the
 * payload format reserves; nothing emitted), or the handler's error.
 */
int mcu_h264_packetize(const uint8_t *au, size_t len, size_t max_payload,
                       int mode, bool stap, mcu_h264_payload_h *h, void *arg);

/* ---- parameter-set cache ---------------------------------------------- */

#define MCU_H264_MAX_PARAM 512

struct mcu_h264_params {
	uint8_t sps[MCU_H264_MAX_PARAM];
	size_t sps_len;
	uint8_t pps[MCU_H264_MAX_PARAM];
	size_t pps_len;
};

/* Remember the last SPS and PPS found in the AU (oversized ones are
 * ignored). */
void mcu_h264_params_update(struct mcu_h264_params *p, const uint8_t *au,
                            size_t len);

/*
 * If the AU holds an IDR but no SPS or no PPS, write SPS + PPS + the AU
 * (Annex-B) into out. Returns 0 (out written, *out_len set), EALREADY (no
 * change needed: use the AU as it is), ENOENT (nothing cached yet) or
 * ENOSPC.
 */
int mcu_h264_params_prepend(const struct mcu_h264_params *p, const uint8_t *au,
                            size_t len, uint8_t *out, size_t out_size,
                            size_t *out_len);

#endif
