/*
 * aresample: audio format conversion into a FIFO, the shared part of adec
 * and aenc. Frames of any sample format, rate and layout go in (the
 * SwrContext is rebuilt when the input parameters change); samples come out
 * in one fixed format in frames of any chosen size. One owner thread.
 */
#ifndef MCU_CODEC_ARESAMPLE_H
#define MCU_CODEC_ARESAMPLE_H

#include <libavutil/frame.h>
#include <libavutil/samplefmt.h>

struct mcu_aresample;

/* Output: rate 8000..192000, fmt any (packed or planar), channels 1..2. */
int mcu_aresample_alloc(struct mcu_aresample **rsp, int rate,
                        enum AVSampleFormat fmt, int channels);
struct mcu_aresample *mcu_aresample_free(struct mcu_aresample *rs);

/* Convert and queue a frame. 0, EINVAL (unusable format) or ENOMEM. */
int mcu_aresample_push(struct mcu_aresample *rs, const AVFrame *in);

/* Queue samples already in the output format (e.g. concealment). */
int mcu_aresample_push_raw(struct mcu_aresample *rs, void *const *data,
                           int nb_samples);

/* Samples queued. */
int mcu_aresample_available(const struct mcu_aresample *rs);

/*
 * A new frame of exactly nb_samples in the output format (rate, layout,
 * format set; pts not), or EAGAIN if fewer are queued; ENOMEM.
 */
int mcu_aresample_pull(struct mcu_aresample *rs, int nb_samples,
                       AVFrame **outp);

#endif
