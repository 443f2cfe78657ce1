/*
 * audiofmt: Opus packet checks and G.711/G.722 sizes (see audiofmt.h).
 */
#include "transport/audiofmt.h"

#include <errno.h>
#include <string.h>

#define OPUS_MAX_FRAME   1275
#define OPUS_MAX_SAMPLES 5760 /* 120 ms at 48 kHz */

uint32_t mcu_audiofmt_rtp_clock(enum mcu_audiofmt_codec c)
{
	return c == MCU_AUDIOFMT_OPUS ? 48000 : 8000;
}

uint32_t mcu_audiofmt_sample_rate(enum mcu_audiofmt_codec c)
{
	switch (c) {
	case MCU_AUDIOFMT_G722:
		return 16000;
	case MCU_AUDIOFMT_OPUS:
		return 48000;
	default:
		return 8000;
	}
}

size_t mcu_audiofmt_bytes_for_ms(enum mcu_audiofmt_codec c, unsigned ms)
{
	/* G.711: 8 bits per 8 kHz sample; G.722: 64 kbit/s, 4 bits per
	 * 16 kHz sample: both 8 bytes per ms */
	return c == MCU_AUDIOFMT_OPUS ? 0 : (size_t)ms * 8;
}

/* Samples at 48 kHz of one frame of TOC config `cfg` (RFC 6716 3.1). */
static unsigned opus_frame_samples(unsigned cfg)
{
	static const unsigned silk[4] = {480, 960, 1920, 2880};
	static const unsigned hybrid[2] = {480, 960};
	static const unsigned celt[4] = {120, 240, 480, 960};

	if (cfg < 12)
		return silk[cfg % 4];
	if (cfg < 16)
		return hybrid[cfg % 2];
	return celt[cfg % 4];
}

/* Frame length coded in 1 or 2 bytes (RFC 6716 3.2.1). */
static int opus_len(const uint8_t *p, size_t left, size_t *val, size_t *used)
{
	if (left < 1)
		return EBADMSG;
	if (p[0] < 252) {
		*val = p[0];
		*used = 1;
		return 0;
	}
	if (left < 2)
		return EBADMSG;
	*val = p[0] + 4u * p[1];
	*used = 2;
	return 0;
}

/* Code 3 (RFC 6716 3.2.5): frame count byte, padding, CBR or VBR. */
static int opus_code3(const uint8_t *p, size_t len, unsigned *frames)
{
	if (len < 2)
		return EBADMSG;
	bool vbr = p[1] & 0x80, pad = p[1] & 0x40;
	unsigned m = p[1] & 0x3f;
	size_t off = 2, padding = 0;
	if (m == 0 || m * opus_frame_samples(p[0] >> 3) > OPUS_MAX_SAMPLES)
		return EBADMSG;
	while (pad) {
		if (off >= len)
			return EBADMSG;
		uint8_t b = p[off++];
		padding += b == 255 ? 254 : b;
		pad = b == 255;
	}
	if (padding > len - off)
		return EBADMSG;
	size_t left = len - off - padding, sum = 0;
	if (!vbr) {
		if (left % m || left / m > OPUS_MAX_FRAME)
			return EBADMSG;
	} else {
		for (unsigned i = 0; i + 1 < m; i++) {
			size_t v, used;
			if (opus_len(p + off, left, &v, &used) ||
			    v > OPUS_MAX_FRAME)
				return EBADMSG;
			off += used;
			left -= used;
			sum += v;
			if (sum > left)
				return EBADMSG;
		}
		if (left - sum > OPUS_MAX_FRAME)
			return EBADMSG;
	}
	*frames = m;
	return 0;
}

static int check_opus(const uint8_t *p, size_t len,
                      struct mcu_audiofmt_info *info)
{
	size_t v, used;

	if (len < 1)
		return EBADMSG; /* R1 */
	info->config = p[0] >> 3;
	info->stereo = p[0] & 0x04;
	switch (p[0] & 0x03) {
	case 0:
		if (len - 1 > OPUS_MAX_FRAME)
			return EBADMSG; /* R2 */
		info->frames = 1;
		break;
	case 1:
		if ((len - 1) % 2 || (len - 1) / 2 > OPUS_MAX_FRAME)
			return EBADMSG; /* R3 */
		info->frames = 2;
		break;
	case 2:
		if (opus_len(p + 1, len - 1, &v, &used) || v > OPUS_MAX_FRAME ||
		    v > len - 1 - used || len - 1 - used - v > OPUS_MAX_FRAME)
			return EBADMSG; /* R4 */
		info->frames = 2;
		break;
	default:
		if (opus_code3(p, len, &info->frames))
			return EBADMSG; /* R5-R7 */
		break;
	}
	info->samples = info->frames * opus_frame_samples(info->config);
	info->ts_advance = info->samples;
	return 0;
}

int mcu_audiofmt_check(enum mcu_audiofmt_codec c, const uint8_t *p, size_t len,
                       struct mcu_audiofmt_info *info)
{
	if (!info)
		return EINVAL;
	memset(info, 0, sizeof(*info));
	if (!p)
		return EBADMSG;
	switch (c) {
	case MCU_AUDIOFMT_OPUS:
		return check_opus(p, len, info);
	case MCU_AUDIOFMT_PCMU:
	case MCU_AUDIOFMT_PCMA:
	case MCU_AUDIOFMT_G722:
		if (len == 0 ||
		    len > mcu_audiofmt_bytes_for_ms(c, MCU_AUDIOFMT_MAX_PTIME))
			return EBADMSG;
		info->ts_advance = (uint32_t)len; /* 8 kHz clock: 1 per byte */
		info->samples =
		    (unsigned)(c == MCU_AUDIOFMT_G722 ? 2 * len : len);
		return 0;
	default:
		return EINVAL;
	}
}
