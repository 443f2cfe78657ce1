/*
 * adec: one audio decoder for one source (Opus, G.711 mu-law/A-law, G.722)
 * that always outputs the mixer's format: 48 kHz mono S16 frames of exactly
 * MCU_AUDIO_FRAME (960) samples. Decoded audio of any rate and layout is
 * resampled (libswresample) into a FIFO and cut into 20 ms frames, so a
 * packet may give zero, one or more frames (a 30 ms packet, resampler
 * delay).
 *
 * Loss concealment: mcu_adec_decode_missing() stands in for one lost 20 ms
 * packet. FFmpeg's API cannot run a decoder's own PLC (an empty packet
 * means "drain"), so for every codec the last 20 ms are repeated with a
 * fade of -6 dB per lost frame, reaching silence after 100 ms.
 *
 * One decoder is used by one thread at a time; no lock.
 */
#ifndef MCU_CODEC_ADEC_H
#define MCU_CODEC_ADEC_H

#include <stddef.h>
#include <stdint.h>

#include <libavutil/frame.h>

#include "codec/media.h"

struct mcu_adec;

struct mcu_adec_stats {
	uint64_t packets;   /* packets given to decode() */
	uint64_t frames;    /* 960-sample frames out (decoded + concealed) */
	uint64_t concealed; /* decode_missing() calls */
	uint64_t errors;    /* packets the decoder rejected */
};

/*
 * Called per output frame: S16, 48000 Hz, mono, 960 samples. Borrowed for
 * the call; av_frame_ref() to keep it.
 */
typedef void(mcu_adec_frame_h)(const AVFrame *frame, void *arg);

/* Returns 0, EINVAL, ENOENT (codec missing) or ENOMEM. */
int mcu_adec_alloc(struct mcu_adec **decp, enum mcu_acodec codec);
struct mcu_adec *mcu_adec_free(struct mcu_adec *dec);

/*
 * Decode one RTP payload (len 1..65536 bytes). Returns 0, EBADMSG if the
 * decoder rejected it (counted, nothing output), EINVAL or ENOMEM.
 */
int mcu_adec_decode(struct mcu_adec *dec, const uint8_t *data, size_t len,
                    mcu_adec_frame_h *frameh, void *arg);

/* Conceal one lost 20 ms packet: outputs one frame. 0 or ENOMEM. */
int mcu_adec_decode_missing(struct mcu_adec *dec, mcu_adec_frame_h *frameh,
                            void *arg);

void mcu_adec_stats(const struct mcu_adec *dec, struct mcu_adec_stats *st);

#endif
