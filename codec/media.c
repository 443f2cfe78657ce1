#include "codec/media.h"

#include <errno.h>
#include <libavutil/error.h>

const char *mcu_vcodec_name(enum mcu_vcodec codec)
{
	switch (codec) {
	case MCU_VCODEC_H264:
		return "h264";
	case MCU_VCODEC_VP8:
		return "vp8";
	}
	return "?";
}

const char *mcu_acodec_name(enum mcu_acodec codec)
{
	switch (codec) {
	case MCU_ACODEC_OPUS:
		return "opus";
	case MCU_ACODEC_PCMU:
		return "pcmu";
	case MCU_ACODEC_PCMA:
		return "pcma";
	case MCU_ACODEC_G722:
		return "g722";
	}
	return "?";
}

int mcu_acodec_sample_rate(enum mcu_acodec codec)
{
	switch (codec) {
	case MCU_ACODEC_OPUS:
		return 48000;
	case MCU_ACODEC_PCMU:
	case MCU_ACODEC_PCMA:
		return 8000;
	case MCU_ACODEC_G722:
		return 16000;
	}
	return 0;
}

int mcu_acodec_rtp_clock(enum mcu_acodec codec)
{
	/* RFC 3551 4.5.2: G.722's RTP clock is 8000 for historical reasons. */
	if (codec == MCU_ACODEC_G722)
		return 8000;
	return mcu_acodec_sample_rate(codec);
}

int mcu_averror(int averr)
{
	if (averr >= 0)
		return 0;
	switch (averr) {
	case AVERROR_INVALIDDATA:
	case AVERROR_OPTION_NOT_FOUND:
	case AVERROR_BSF_NOT_FOUND:
		return EINVAL;
	case AVERROR_DECODER_NOT_FOUND:
	case AVERROR_ENCODER_NOT_FOUND:
		return ENOENT;
	default:
		break;
	}
	/* FFERRTAG codes are large; AVERROR(errno) is a small negative. */
	if (averr > -4096)
		return AVUNERROR(averr);
	return EIO;
}
