/*
 * venc: one video encoder for one encoder group (a view x codec x size x
 * bitrate tier), hiding the AVCodecContext. Tuned for real time: no
 * B-frames, no look-ahead, one picture in gives its packet out at once,
 * slice threads, CBR-like rate control with a VBV of half a second, key
 * frames every `keyint` pictures and on demand.
 *
 * H.264 (libx264): constrained baseline (every endpoint decodes it),
 * tune zerolatency, SPS and PPS repeated in band before each IDR, Annex-B
 * output: a packet is one access unit with start codes, ready for the RFC
 * 6184 packetizer. VP8 (libvpx): deadline realtime, error resilient, no
 * alt-ref, lag 0: a packet is one VP8 frame for RFC 7741.
 *
 * Input: YUV420P frames of the configured size; the frame is only read
 * (canvases are shared), a reference is taken for the encoder. One encoder
 * is used by one thread at a time; mcu_venc_request_keyframe() may be
 * called from any thread.
 */
#ifndef MCU_CODEC_VENC_H
#define MCU_CODEC_VENC_H

#include <stdbool.h>
#include <stdint.h>

#include <libavcodec/packet.h>
#include <libavutil/frame.h>

#include "codec/media.h"

struct mcu_venc;

struct mcu_venc_config {
	enum mcu_vcodec codec;
	int width, height;  /* even, 16..4096 */
	int fps;            /* nominal frame rate, 1..120 */
	int bitrate;        /* target bit/s, 32000..20000000 */
	int keyint;         /* pictures between key frames; 0: 10 s worth */
	const char *preset; /* x264 preset; NULL: "veryfast" */
	int cpu_used;       /* VP8 speed 4..16; 0: 8 */
	int threads;        /* slice threads; 0: 1 */
};

struct mcu_venc_stats {
	uint64_t frames;    /* pictures encoded (packets out) */
	uint64_t keyframes; /* of which key frames */
	uint64_t bytes;     /* payload bytes out */
	int64_t bitrate;    /* bytes * 8 * fps / frames: mean bit/s */
};

/*
 * Called for each encoded packet, before encode() returns. The packet is
 * borrowed: av_packet_ref() it to keep it (no copy). pkt->pts is the
 * pts of the input frame (in the caller's unit); key is true for an IDR /
 * VP8 key frame.
 */
typedef void(mcu_venc_packet_h)(const AVPacket *pkt, bool key, void *arg);

/* Returns 0, EINVAL (bad config), ENOENT (encoder missing) or ENOMEM. */
int mcu_venc_alloc(struct mcu_venc **encp, const struct mcu_venc_config *cfg);
struct mcu_venc *mcu_venc_free(struct mcu_venc *enc);

/*
 * Encode one picture (YUV420P, configured size). frame->pts is passed
 * through to the packet as is. Returns 0, EINVAL (wrong format or size),
 * EIO (encoder failure) or ENOMEM.
 */
int mcu_venc_encode(struct mcu_venc *enc, const AVFrame *frame,
                    mcu_venc_packet_h *pkth, void *arg);

/* The next encoded picture will be a key frame (IDR). Thread-safe. */
void mcu_venc_request_keyframe(struct mcu_venc *enc);

void mcu_venc_stats(const struct mcu_venc *enc, struct mcu_venc_stats *st);

#endif
