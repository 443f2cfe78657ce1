/*
 * media: what the codec/ modules share. The codec identifiers the engine
 * uses to ask for a decoder or encoder, the mixer's audio format (48 kHz
 * mono S16 in 20 ms frames of 960 samples) and the one place where an
 * FFmpeg AVERROR becomes an errno. Any thread may call these; they hold no
 * state.
 */
#ifndef MCU_CODEC_MEDIA_H
#define MCU_CODEC_MEDIA_H

/* The mixer's audio format: every decoder outputs it, every encoder takes it */
#define MCU_AUDIO_RATE  48000
#define MCU_AUDIO_FRAME 960 /* samples in 20 ms */

/* RTP clock of every video payload. */
#define MCU_VIDEO_CLOCK 90000

enum mcu_vcodec {
	MCU_VCODEC_H264 = 1,
	MCU_VCODEC_VP8,
};

enum mcu_acodec {
	MCU_ACODEC_OPUS = 1,
	MCU_ACODEC_PCMU, /* G.711 mu-law */
	MCU_ACODEC_PCMA, /* G.711 A-law */
	MCU_ACODEC_G722,
};

/* Short lower-case names ("h264", "pcmu"), "?" for an unknown value. */
const char *mcu_vcodec_name(enum mcu_vcodec codec);
const char *mcu_acodec_name(enum mcu_acodec codec);

/*
 * Sample rate of the codec itself (8000, 16000, 48000) and the clock rate
 * of its RTP timestamps (8000 for G.722, which samples at 16000); 0 for an
 * unknown codec.
 */
int mcu_acodec_sample_rate(enum mcu_acodec codec);
int mcu_acodec_rtp_clock(enum mcu_acodec codec);

/*
 * Turn a negative AVERROR into a positive errno: the errno itself where
 * FFmpeg wrapped one (AVERROR(ENOMEM) -> ENOMEM), EINVAL for invalid data
 * or options, ENOENT for a missing codec, EIO for anything else. 0 for a
 * non-negative value.
 */
int mcu_averror(int averr);

#endif
