/*
 * vp8: the VP8 RTP payload format (RFC 7741), both directions.
 *
 * Owns the payload descriptor (X, N, S, partition index; extended I/L/T/K
 * fields: 7- or 15-bit picture ID, TL0PICIDX, TID/Y, KEYIDX), key-frame
 * detection and picture size from the VP8 payload header, a depacketizer
 * that assembles a frame from its packets (dropping a frame with a gap or
 * without its first packet) and a packetizer that splits a frame into
 * even payloads under a size limit.
 *
 * Pure, no clock. One depacketizer per received stream, owned by whoever
 * serialises that stream (I/O thread or decode job). Callers: mcu/.
 */
#ifndef MCU_TRANSPORT_VP8_H
#define MCU_TRANSPORT_VP8_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MCU_VP8_MAX_FRAME   (4u << 20)
#define MCU_VP8_MAX_PAYLOAD 9000
#define MCU_VP8_DESC_MAX    6

struct mcu_vp8_desc {
	bool n;      /* non-reference frame */
	bool s;      /* start of a partition */
	uint8_t pid; /* partition index 0..7 */
	bool has_picid;
	bool picid16; /* 15-bit form (M bit) */
	uint16_t picid;
	bool has_tl0;
	uint8_t tl0picidx;
	bool has_tid;
	uint8_t tid; /* 0..3 */
	bool y;      /* layer sync */
	bool has_keyidx;
	uint8_t keyidx; /* 0..31 */
	size_t len;     /* parse: descriptor bytes */
};

/* Parse a descriptor; returns 0 or EBADMSG (truncated, nothing after). */
int mcu_vp8_desc_parse(struct mcu_vp8_desc *d, const uint8_t *p, size_t len);

/* Write a descriptor (picid is written in the 15-bit form when picid16
 * or picid > 127). Sets *len; returns 0, EINVAL or ENOSPC. */
int mcu_vp8_desc_write(uint8_t *buf, size_t size, const struct mcu_vp8_desc *d,
                       size_t *len);

/* Key-frame facts from the start of a VP8 frame (payload header). */
struct mcu_vp8_info {
	bool keyframe;
	uint16_t width; /* key frames only */
	uint16_t height;
};

/* Returns 0 or EBADMSG (too short, bad key-frame start code). */
int mcu_vp8_frame_info(const uint8_t *frame, size_t len,
                       struct mcu_vp8_info *info);

struct mcu_vp8_depack;

struct mcu_vp8_frame {
	const uint8_t *data; /* valid until the next push */
	size_t len;
	uint32_t ts;
	struct mcu_vp8_info info;
	bool has_picid;
	uint16_t picid;
};

int mcu_vp8_depack_alloc(struct mcu_vp8_depack **dp, size_t max_frame);
struct mcu_vp8_depack *mcu_vp8_depack_free(struct mcu_vp8_depack *d);

/*
 * Feed one RTP payload; `end` marks the frame's last packet (marker bit
 * or end of a jitter-buffer frame). Same contract as the H.264 one:
 * 0 (frame->len > 0 when a frame completed), EBADMSG (malformed packet),
 * EPIPE (a frame was dropped: ask for a key frame).
 */
int mcu_vp8_depack_push(struct mcu_vp8_depack *d, const uint8_t *payload,
                        size_t len, uint16_t seq, uint32_t ts, bool end,
                        struct mcu_vp8_frame *frame);

typedef int(mcu_vp8_payload_h)(const uint8_t *payload, size_t len, bool last,
                               void *arg);

/*
 * Split a frame into payloads of at most max_payload bytes, each with a
 * descriptor built from `tmpl` (picture ID, TL0PICIDX, TID, KEYIDX, N;
 * S and PID are set here: S on the first, PID 0). Returns 0, EINVAL or
 * the handler's error.
 */
int mcu_vp8_packetize(const uint8_t *frame, size_t len, size_t max_payload,
                      const struct mcu_vp8_desc *tmpl, mcu_vp8_payload_h *h,
                      void *arg);

#endif
