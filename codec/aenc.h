/*
 * aenc: one audio encoder for one distinct mix x codec. Takes the mixer's
 * format (48 kHz mono S16, normally 960-sample frames), resamples it to the
 * codec's rate (8 kHz G.711, 16 kHz G.722, 48 kHz Opus) and cuts it into
 * 20 ms codec frames (an AVAudioFifo absorbs any mismatch), and hands out
 * one packet per 20 ms with its RTP timestamp increment (160 for G.711 and
 * G.722 - whose RTP clock is 8000 though it samples at 16000 - and 960
 * for Opus).
 *
 * Opus (libopus): application voip, in-band FEC on with 10 % expected loss,
 * VBR, bitrate configurable, mono or stereo (the mono mix is duplicated).
 *
 * One encoder is used by one thread at a time; no lock.
 */
#ifndef MCU_CODEC_AENC_H
#define MCU_CODEC_AENC_H

#include <stdint.h>

#include <libavcodec/packet.h>
#include <libavutil/frame.h>

#include "codec/media.h"

struct mcu_aenc;

struct mcu_aenc_config {
	enum mcu_acodec codec;
	int bitrate;  /* Opus bit/s, 6000..510000; 0: 32000. Others: fixed */
	int channels; /* Opus 1 or 2; 0: 1. Others: 1 */
};

struct mcu_aenc_stats {
	uint64_t frames;  /* input frames */
	uint64_t packets; /* packets out */
	uint64_t bytes;   /* payload bytes out */
};

/*
 * Called per packet; borrowed for the call (av_packet_ref() to keep it).
 * rtp_ts_inc: RTP timestamp units this packet covers.
 */
typedef void(mcu_aenc_packet_h)(const AVPacket *pkt, uint32_t rtp_ts_inc,
                                void *arg);

/* Returns 0, EINVAL, ENOENT (encoder missing) or ENOMEM. */
int mcu_aenc_alloc(struct mcu_aenc **encp, const struct mcu_aenc_config *cfg);
struct mcu_aenc *mcu_aenc_free(struct mcu_aenc *enc);

/*
 * Encode a 48 kHz mono S16 frame (1..4800 samples; 960 normally).
 * Returns 0, EINVAL (wrong format), EIO or ENOMEM.
 */
int mcu_aenc_encode(struct mcu_aenc *enc, const AVFrame *frame,
                    mcu_aenc_packet_h *pkth, void *arg);

/* RTP timestamp increment of one 20 ms packet for this codec. */
uint32_t mcu_aenc_rtp_ts_inc(const struct mcu_aenc *enc);

void mcu_aenc_stats(const struct mcu_aenc *enc, struct mcu_aenc_stats *st);

#endif
