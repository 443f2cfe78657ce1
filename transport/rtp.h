/*
 * rtp: the RTP wire format (RFC 3550 section 5) and per-source receive
 * statistics (RFC 3550 appendix A.1, A.3, A.8).
 *
 * Owns: header parse/write, RFC 8285 header-extension lookup, sequence
 * number and timestamp unwrapping, and the receive statistics an RTCP
 * receiver report and the operator API need (expected, lost, fraction
 * lost, interarrival jitter, packets, bytes, bitrate). It also classifies
 * a datagram on a shared port (RTP, RTCP, STUN, DTLS: RFC 5761, RFC 7983).
 *
 * Everything here is pure: no allocation, no clock. Times are passed in as
 * microseconds of CLOCK_MONOTONIC. Callers: the network I/O threads (parse,
 * statistics), the fan-out in mcu/ (write), rtcp (report blocks).
 */
#ifndef MCU_TRANSPORT_RTP_H
#define MCU_TRANSPORT_RTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MCU_RTP_VERSION  2
#define MCU_RTP_HDR_MIN  12
#define MCU_RTP_MAX_CSRC 15
/* Largest header mcu_rtp_write() produces: fixed + CSRC + 4-byte ext
 * header + MCU_RTP_MAX_EXT bytes of extension data. */
#define MCU_RTP_MAX_EXT 256
#define MCU_RTP_HDR_MAX                                                        \
	(MCU_RTP_HDR_MIN + 4 * MCU_RTP_MAX_CSRC + 4 + MCU_RTP_MAX_EXT)

/* RFC 8285 extension profiles ("defined by profile" field). */
#define MCU_RTP_EXT_ONE_BYTE 0xBEDE
#define MCU_RTP_EXT_TWO_BYTE 0x1000 /* upper 12 bits; low 4 = appbits */

struct mcu_rtp_hdr {
	bool padding;
	bool ext;
	bool marker;
	uint8_t cc; /* CSRC count */
	uint8_t pt; /* payload type 0..127 */
	uint16_t seq;
	uint32_t ts;
	uint32_t ssrc;
	uint32_t csrc[MCU_RTP_MAX_CSRC];
	/* Header extension (when ext): profile and data (ext_len bytes,
	 * a multiple of 4). Parse points ext_data into the packet. */
	uint16_t ext_profile;
	const uint8_t *ext_data;
	size_t ext_len;
	/* Filled by parse: payload offset and length (padding removed). */
	size_t hdr_len;
	size_t payload_len;
	uint8_t pad_len;
};

/*
 * Parse an RTP packet of `len` bytes. On success fills *h and returns 0;
 * on a malformed packet returns EBADMSG (too short, version not 2, CSRC
 * list or extension past the end, padding count 0 or larger than the
 * payload) and *h is unspecified. Never reads past buf+len.
 */
int mcu_rtp_parse(struct mcu_rtp_hdr *h, const uint8_t *buf, size_t len);

/*
 * Write the header described by *h (padding bit, cc, csrc, pt, marker,
 * seq, ts, ssrc, and the extension when h->ext: ext_len must be a multiple
 * of 4 and at most MCU_RTP_MAX_EXT) into buf. hdr_len/payload_len/pad_len
 * are ignored. Sets *written; returns 0, EINVAL (bad field) or ENOSPC.
 */
int mcu_rtp_write(uint8_t *buf, size_t size, const struct mcu_rtp_hdr *h,
                  size_t *written);

/*
 * Find RFC 8285 header extension element `id` (1..14 one-byte form,
 * 1..255 two-byte form) in a parsed header. Sets *data and *len to the element
 * (pointing into the packet) and returns 0; ENOENT when absent or the
 * header has no RFC 8285 extension; EBADMSG when the element list is
 * malformed before the element is found.
 */
int mcu_rtp_ext_find(const struct mcu_rtp_hdr *h, uint8_t id,
                     const uint8_t **data, size_t *len);

/* Signed distance a-b of two 16-bit sequence numbers (-32768..32767). */
static inline int mcu_rtp_seq_diff(uint16_t a, uint16_t b)
{
	return (int16_t)(uint16_t)(a - b);
}

/* Signed distance a-b of two 32-bit RTP timestamps. */
static inline int32_t mcu_rtp_ts_diff(uint32_t a, uint32_t b)
{
	return (int32_t)(uint32_t)(a - b);
}

/*
 * Unwrapper for 16-bit sequence numbers or 32-bit timestamps: turns each
 * value into a 64-bit extended value that grows monotonically across
 * wraps, placed nearest to the highest value seen so far (so reordered
 * packets keep their place). The first value maps to itself.
 */
struct mcu_rtp_unwrap {
	int64_t highest; /* extended highest value so far */
	bool init;
};

int64_t mcu_rtp_seq_unwrap(struct mcu_rtp_unwrap *u, uint16_t seq);
int64_t mcu_rtp_ts_unwrap(struct mcu_rtp_unwrap *u, uint32_t ts);

/* Convert timestamp units to microseconds and back (clock_rate > 0). */
int64_t mcu_rtp_ts_to_us(int64_t ts, uint32_t clock_rate);
int64_t mcu_rtp_us_to_ts(int64_t us, uint32_t clock_rate);

/* What a datagram on a shared (muxed) port is, by its first two bytes. */
enum mcu_rtp_demux {
	MCU_DEMUX_UNKNOWN = 0,
	MCU_DEMUX_RTP,
	MCU_DEMUX_RTCP, /* RFC 5761: version 2, PT (byte 1 & 0x7f) 64..95 */
	MCU_DEMUX_STUN, /* RFC 7983: first byte 0..3 */
	MCU_DEMUX_DTLS, /* RFC 7983: first byte 20..63 */
};

enum mcu_rtp_demux mcu_rtp_demux(const uint8_t *buf, size_t len);

/*
 * Receive statistics for one SSRC (RFC 3550 A.1/A.3/A.8). Embed it in the
 * per-source object; the fields are private, read them through
 * mcu_rtp_rx_stats() and mcu_rtp_rx_report().
 */
struct mcu_rtp_rx {
	uint32_t clock_rate;
	uint16_t max_seq;
	uint32_t cycles; /* shifted count of seq wraps */
	uint32_t base_seq;
	uint32_t bad_seq;
	uint32_t probation;
	uint64_t received;
	uint64_t bytes;
	uint64_t expected_prior;
	uint64_t received_prior;
	uint32_t transit;   /* last relative transit, timestamp units */
	uint64_t jitter_q4; /* jitter * 16 (RFC 3550 A.8 integer form) */
	bool have_transit;
	bool valid; /* passed probation */
	int64_t last_us;
	int64_t rate_start_us;
	uint64_t rate_bytes;
	uint64_t bitrate_bps;
};

struct mcu_rtp_rx_stats {
	uint64_t packets;     /* received, including duplicates */
	uint64_t bytes;       /* payload bytes */
	uint64_t expected;    /* extended highest - base + 1 */
	int64_t lost;         /* expected - packets (may be < 0) */
	uint32_t ext_max_seq; /* cycles + highest seq */
	uint32_t jitter_ts;   /* interarrival jitter, timestamp units */
	double jitter_ms;
	uint64_t bitrate_bps; /* over the last completed ~1 s window */
};

/* Start statistics for a source with RTP clock `clock_rate` (Hz). */
void mcu_rtp_rx_init(struct mcu_rtp_rx *rx, uint32_t clock_rate);

/*
 * Account one received packet (header, payload bytes, arrival time).
 * Returns 0 when the packet counts; EAGAIN while the source is still on
 * probation (RFC 3550 A.1: 2 sequential packets needed); ERANGE for a
 * packet far outside the sequence window (it is not counted; two
 * sequential such packets restart the statistics, as in A.1).
 */
int mcu_rtp_rx_update(struct mcu_rtp_rx *rx, const struct mcu_rtp_hdr *h,
                      int64_t now_us);

/* Cumulative statistics; a bitrate older than 2 s reads 0. */
void mcu_rtp_rx_stats(const struct mcu_rtp_rx *rx, int64_t now_us,
                      struct mcu_rtp_rx_stats *st);

/*
 * Values for an RTCP report block, and start a new report interval
 * (A.3): fraction lost in the interval (8-bit fixed point), cumulative
 * lost (clamped to 24-bit signed), extended highest seq, jitter.
 */
void mcu_rtp_rx_report(struct mcu_rtp_rx *rx, uint8_t *fraction,
                       int32_t *cum_lost, uint32_t *ext_max, uint32_t *jitter);

#endif
