/*
 * vdec: one video decoder for one source stream (H.264 Annex-B access units
 * or VP8 frames, as the RTP depacketizer delivers them), hiding the
 * AVCodecContext. Slice threads only (frame threads add a frame of delay per
 * thread) and low-delay output: one access unit in, its picture out.
 *
 * The decoder tracks whether the caller must ask the sender for a key frame
 * (PLI/FIR): until the first key frame has been decoded, and after any
 * decoding error or reported loss until the next key frame. A whole lost
 * picture is invisible to FFmpeg's decoders (neither H.264 nor VP8 flags
 * the next one), so the caller, who sees the RTP sequence gap, reports it
 * with mcu_vdec_mark_loss(). Access units before the first key
 * frame are dropped unread (not errors); after a later error, concealed pictures still come out
 * (a damaged picture beats a frozen one) while the key frame is on its way.
 *
 * One decoder is used by one thread at a time (the stream's serial job
 * queue); the struct has no lock.
 */
#ifndef MCU_CODEC_VDEC_H
#define MCU_CODEC_VDEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <libavutil/frame.h>

#include "codec/media.h"

struct mcu_vdec;

struct mcu_vdec_stats {
	uint64_t packets;   /* access units given to decode() */
	uint64_t frames;    /* pictures handed to the caller */
	uint64_t keyframes; /* key frames decoded */
	uint64_t errors;    /* decoding errors (packet or picture) */
	uint64_t dropped;   /* units dropped before the first key frame */
	int width, height;  /* of the last picture, 0 before any */
};

/*
 * Called for each decoded picture. The frame is borrowed for the call:
 * take a reference (av_frame_ref / av_frame_clone) to keep it; no pixels
 * are copied. frame->pts is the pts given to decode().
 */
typedef void(mcu_vdec_frame_h)(const AVFrame *frame, void *arg);

/*
 * threads: slice threads, 0 means 1 (the engine runs many decoders).
 * Returns 0, EINVAL, ENOENT (codec not in this FFmpeg) or ENOMEM.
 */
int mcu_vdec_alloc(struct mcu_vdec **decp, enum mcu_vcodec codec, int threads);
struct mcu_vdec *mcu_vdec_free(struct mcu_vdec *dec);

/*
 * Decode one complete access unit (data, len bytes; not modified, copied
 * into a padded packet). frameh is called for each picture, before return.
 * Returns 0 if the data was consumed, EBADMSG if the decoder reported an
 * error (the caller should check mcu_vdec_need_keyframe()), EINVAL, ENOMEM.
 */
int mcu_vdec_decode(struct mcu_vdec *dec, const uint8_t *data, size_t len,
                    int64_t pts, mcu_vdec_frame_h *frameh, void *arg);

/*
 * The picture is only ever shown at half its size or less (a grid tile):
 * skip the in-loop deblocking filter of pictures other than key frames
 * (AVDISCARD_NONKEY). Deblocking is about a quarter of an H.264 decode at
 * these sizes; the downscale hides most of what it smooths, but the
 * references then differ slightly from the sender's, an error that grows
 * until the next key frame (measured in docs/benchmarks.md, compose16:
 * ~46 dB PSNR of the downscaled picture against a full decode). Off by
 * default; may change between access units, from the decoding thread.
 */
void mcu_vdec_set_skip_loop_filter(struct mcu_vdec *dec, bool skip);

/* True while a key frame is needed (see above). */
bool mcu_vdec_need_keyframe(const struct mcu_vdec *dec);

/*
 * The caller lost data of this stream (RTP sequence gap the jitter buffer
 * could not repair): a key frame is needed; decoding goes on concealed.
 */
void mcu_vdec_mark_loss(struct mcu_vdec *dec);

/*
 * Forget references and state, e.g. when a source becomes visible again
 * after it was not decoded for a while; a key frame is needed afterwards.
 */
void mcu_vdec_reset(struct mcu_vdec *dec);

void mcu_vdec_stats(const struct mcu_vdec *dec, struct mcu_vdec_stats *st);

/* True if an access unit starts a key frame (H.264 IDR, VP8 key frame);
 * reads only within len. */
bool mcu_vdec_is_keyframe(enum mcu_vcodec codec, const uint8_t *data,
                          size_t len);

#endif
