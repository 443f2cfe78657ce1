/*
 * rtcp: the RTCP wire format. Parses compound packets (RFC 3550 SR, RR,
 * SDES CNAME, BYE; APP recognised and skipped; RFC 4585 generic NACK and
 * PLI; RFC 5104 FIR; the "goog-remb" REMB application feedback) and builds
 * each of them; NTP time helpers and the round-trip time from a report
 * block's LSR/DLSR (RFC 3550 6.4.1).
 *
 * Every length is checked against the bytes present; count fields are
 * never trusted beyond what the length holds. Parsing is an iterator over
 * the packets of one compound datagram so callers handle each kind as it
 * comes without this module allocating anything. Builders append to a
 * caller's buffer, so a compound packet is built by calling several.
 *
 * Pure: no clock, no allocation. Callers: the network I/O threads (parse
 * received RTCP; build RR/SR/SDES/NACK/PLI/FIR for the peers).
 */
#ifndef MCU_TRANSPORT_RTCP_H
#define MCU_TRANSPORT_RTCP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum mcu_rtcp_pt {
	MCU_RTCP_PT_SR = 200,
	MCU_RTCP_PT_RR = 201,
	MCU_RTCP_PT_SDES = 202,
	MCU_RTCP_PT_BYE = 203,
	MCU_RTCP_PT_APP = 204,
	MCU_RTCP_PT_RTPFB = 205,
	MCU_RTCP_PT_PSFB = 206,
};

enum mcu_rtcp_type {
	MCU_RTCP_SR,
	MCU_RTCP_RR,
	MCU_RTCP_SDES,
	MCU_RTCP_BYE,
	MCU_RTCP_APP,  /* recognised, content ignored */
	MCU_RTCP_NACK, /* RTPFB FMT 1 */
	MCU_RTCP_PLI,  /* PSFB FMT 1 */
	MCU_RTCP_FIR,  /* PSFB FMT 4 */
	MCU_RTCP_REMB, /* PSFB FMT 15 "REMB" */
	MCU_RTCP_OTHER /* any other well-formed packet: skipped */
};

#define MCU_RTCP_MAX_RB    31
#define MCU_RTCP_MAX_SDES  8
#define MCU_RTCP_MAX_CNAME 255
#define MCU_RTCP_MAX_BYE   31
#define MCU_RTCP_MAX_NACK  64 /* FCI items (each up to 17 seqs) */
#define MCU_RTCP_MAX_FIR   16
#define MCU_RTCP_MAX_REMB  16

struct mcu_rtcp_rb {
	uint32_t ssrc;    /* source this block reports on */
	uint8_t fraction; /* fraction lost, 8-bit fixed point */
	int32_t lost;     /* cumulative, 24-bit signed */
	uint32_t ext_max; /* extended highest sequence number */
	uint32_t jitter;  /* timestamp units */
	uint32_t lsr;     /* middle 32 bits of the last SR's NTP time */
	uint32_t dlsr;    /* delay since last SR, 1/65536 s */
};

struct mcu_rtcp_sr_info {
	uint64_t ntp; /* NTP timestamp, 32.32 fixed point */
	uint32_t rtp_ts;
	uint32_t packets;
	uint32_t octets;
};

struct mcu_rtcp_nack_item {
	uint16_t pid; /* lost packet */
	uint16_t blp; /* bit i set: pid + i + 1 lost too */
};

struct mcu_rtcp_fir_entry {
	uint32_t ssrc;
	uint8_t seq;
};

struct mcu_rtcp_sdes_chunk {
	uint32_t ssrc;
	char cname[MCU_RTCP_MAX_CNAME + 1]; /* "" when the chunk has none */
};

/* One packet of a compound datagram; which fields are set depends on type. */
struct mcu_rtcp_msg {
	enum mcu_rtcp_type type;
	uint8_t pt;
	uint8_t count;              /* the header's 5-bit count/FMT field */
	uint32_t ssrc;              /* sender SSRC: SR, RR, feedback */
	uint32_t media_ssrc;        /* feedback: the media source asked */
	bool truncated;             /* more items than the arrays below hold */
	struct mcu_rtcp_sr_info sr; /* SR */
	unsigned n_rb;              /* SR, RR */
	struct mcu_rtcp_rb rb[MCU_RTCP_MAX_RB];
	unsigned n_sdes; /* SDES */
	struct mcu_rtcp_sdes_chunk sdes[MCU_RTCP_MAX_SDES];
	unsigned n_bye; /* BYE */
	uint32_t bye[MCU_RTCP_MAX_BYE];
	unsigned n_nack; /* NACK */
	struct mcu_rtcp_nack_item nack[MCU_RTCP_MAX_NACK];
	unsigned n_fir; /* FIR */
	struct mcu_rtcp_fir_entry fir[MCU_RTCP_MAX_FIR];
	uint64_t remb_bps; /* REMB */
	unsigned n_remb;
	uint32_t remb_ssrc[MCU_RTCP_MAX_REMB];
};

struct mcu_rtcp_iter {
	const uint8_t *buf;
	size_t len;
	size_t off;
};

void mcu_rtcp_iter_init(struct mcu_rtcp_iter *it, const uint8_t *buf,
                        size_t len);

/*
 * Parse the next packet into *m. Returns 0; ENOENT at the end; EBADMSG
 * for a malformed packet. When the packet's own header is sound but its
 * body is not, the iterator moves past it and the caller may go on; when
 * the header itself is bad (version, length past the datagram) the rest
 * of the datagram is abandoned and the next call returns ENOENT.
 */
int mcu_rtcp_next(struct mcu_rtcp_iter *it, struct mcu_rtcp_msg *m);

/*
 * Whole-datagram check as RFC 3550 A.2 asks of a compound packet: every
 * header sound, lengths add up exactly, padding only in the last packet.
 * Returns 0 or EBADMSG. (Reduced-size RTCP, RFC 5506, is accepted: the
 * first packet need not be SR/RR.)
 */
int mcu_rtcp_validate(const uint8_t *buf, size_t len);

/*
 * Expand NACK items into the lost sequence numbers, ascending per item.
 * Writes at most `max`; returns how many seqs the items name in total.
 */
unsigned mcu_rtcp_nack_seqs(const struct mcu_rtcp_nack_item *items, unsigned n,
                            uint16_t *seqs, unsigned max);

/*
 * Builders: append one packet at buf[*off], advance *off. Return 0,
 * EINVAL (too many items, bad argument) or ENOSPC (nothing written).
 */
int mcu_rtcp_write_sr(uint8_t *buf, size_t size, size_t *off, uint32_t ssrc,
                      const struct mcu_rtcp_sr_info *sr,
                      const struct mcu_rtcp_rb *rb, unsigned n_rb);
int mcu_rtcp_write_rr(uint8_t *buf, size_t size, size_t *off, uint32_t ssrc,
                      const struct mcu_rtcp_rb *rb, unsigned n_rb);
/* One chunk with a CNAME item (1..255 bytes). */
int mcu_rtcp_write_sdes(uint8_t *buf, size_t size, size_t *off, uint32_t ssrc,
                        const char *cname);
int mcu_rtcp_write_bye(uint8_t *buf, size_t size, size_t *off,
                       const uint32_t *ssrcs, unsigned n);
/*
 * Generic NACK for `n` lost sequence numbers given in ascending order
 * (with wrap): packed into PID+BLP items (a seq up to 16 after the PID
 * shares its item).
 */
int mcu_rtcp_write_nack(uint8_t *buf, size_t size, size_t *off, uint32_t sender,
                        uint32_t media, const uint16_t *seqs, unsigned n);
int mcu_rtcp_write_pli(uint8_t *buf, size_t size, size_t *off, uint32_t sender,
                       uint32_t media);
int mcu_rtcp_write_fir(uint8_t *buf, size_t size, size_t *off, uint32_t sender,
                       const struct mcu_rtcp_fir_entry *e, unsigned n);
/* REMB: bitrate (bits/s, encoded as 6-bit exponent + 18-bit mantissa,
 * rounded down) for the listed media SSRCs. */
int mcu_rtcp_write_remb(uint8_t *buf, size_t size, size_t *off, uint32_t sender,
                        uint64_t bps, const uint32_t *ssrcs, unsigned n);

/* NTP 32.32 time from microseconds since the Unix epoch. */
uint64_t mcu_ntp_from_unix_us(int64_t unix_us);
/* Microseconds since the Unix epoch from NTP 32.32 time. */
int64_t mcu_ntp_to_unix_us(uint64_t ntp);
/* The middle 32 bits (16.16) used by LSR. */
static inline uint32_t mcu_ntp_mid32(uint64_t ntp)
{
	return (uint32_t)(ntp >> 16);
}

/*
 * Round-trip time from a report block received at `now_mid32` (middle 32
 * bits of our NTP clock, the same clock we put in our SRs): A - LSR - DLSR.
 * Returns 0 and sets *rtt_us; ENOENT when lsr is 0 (no SR received yet);
 * ERANGE when the result is negative (clock or peer error).
 */
int mcu_rtcp_rtt_us(uint32_t now_mid32, uint32_t lsr, uint32_t dlsr,
                    int64_t *rtt_us);

#endif
