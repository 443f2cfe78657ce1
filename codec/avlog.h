/*
 * avlog: routes FFmpeg's av_log into the mcud logger under the module tag
 * "av". FFmpeg levels map as: panic/fatal/error -> error, warning -> warn,
 * info/verbose -> debug (x264 and friends are chatty at info), debug and
 * trace -> trace. Decoders fed damaged streams log a line per broken
 * macroblock, so at most MCU_AVLOG_BURST lines per second get through; the
 * number suppressed is reported with the next line that does.
 *
 * Call mcu_avlog_install() once at start-up, before any codec is opened;
 * the callback itself is thread-safe (FFmpeg calls it from any thread).
 */
#ifndef MCU_CODEC_AVLOG_H
#define MCU_CODEC_AVLOG_H

#include <stdint.h>

#define MCU_AVLOG_BURST 20

void mcu_avlog_install(void);

/* Lines dropped by the rate limit since start (for metrics and tests). */
uint64_t mcu_avlog_suppressed(void);

#endif
