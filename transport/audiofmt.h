/*
 * audiofmt: the audio RTP payload formats that need no depacketizer:
 * Opus (RFC 7587: one Opus packet per RTP packet, checked against the
 * packet structure rules of RFC 6716 section 3), PCMU/PCMA (G.711) and
 * G.722, whose RTP clock is 8000 Hz although it samples at 16000 Hz
 * (RFC 3551 4.5.2): a caller asks this module for the clock and the
 * timestamp advance instead of deriving them from the sample rate.
 *
 * Pure functions. Callers: the receive path before decoding (reject a
 * malformed payload early), the send path after encoding (timestamps).
 */
#ifndef MCU_TRANSPORT_AUDIOFMT_H
#define MCU_TRANSPORT_AUDIOFMT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum mcu_audiofmt_codec {
	MCU_AUDIOFMT_PCMU,
	MCU_AUDIOFMT_PCMA,
	MCU_AUDIOFMT_G722,
	MCU_AUDIOFMT_OPUS,
};

/* Longest payload duration accepted for the sample formats (ms). */
#define MCU_AUDIOFMT_MAX_PTIME 200

struct mcu_audiofmt_info {
	unsigned samples;    /* per channel, at the codec's sample rate */
	uint32_t ts_advance; /* RTP timestamp units this payload covers */
	/* Opus only */
	unsigned frames;
	unsigned config; /* TOC config 0..31 */
	bool stereo;
};

/* RTP clock rate (Hz): 8000 for PCMU, PCMA and G.722; 48000 for Opus. */
uint32_t mcu_audiofmt_rtp_clock(enum mcu_audiofmt_codec c);
/* Real sample rate (Hz): 8000, 8000, 16000, 48000. */
uint32_t mcu_audiofmt_sample_rate(enum mcu_audiofmt_codec c);

/*
 * Check a payload and say how long it is. Returns 0, EBADMSG (empty,
 * longer than MCU_AUDIOFMT_MAX_PTIME, or an Opus packet breaking RFC 6716
 * rules R1-R7) or EINVAL (unknown codec).
 */
int mcu_audiofmt_check(enum mcu_audiofmt_codec c, const uint8_t *p, size_t len,
                       struct mcu_audiofmt_info *info);

/* Bytes of G.711/G.722 payload for `ms` milliseconds (0 for Opus). */
size_t mcu_audiofmt_bytes_for_ms(enum mcu_audiofmt_codec c, unsigned ms);

#endif
