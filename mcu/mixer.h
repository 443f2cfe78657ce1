/*
 * mixer: the audio mix of one meeting, once per 20 ms tick (design.md,
 * "What keeps it fast", point 4). Sources are slots 0..n-1 (one per
 * participant). Each tick the engine hands in each source's decoded frame
 * (48 kHz mono S16, MCU_AUDIO_FRAME samples) or nothing, and the floor
 * policy says who is audible. The mixer then makes:
 *
 *   - one common mix: the sum of every audible source, which everybody who
 *     is not audible hears (the same buffer, encoded once per codec);
 *   - one N-1 mix per audible source: the common sum minus that source, so
 *     nobody hears themselves.
 *
 * Sums are kept in 32 bits and brought back to 16 bits by a limiter per
 * output (a gain that drops at once to the level that avoids clipping and
 * recovers over ~0.5 s), never by clipping.
 *
 * It also measures each source: RMS level in dBov, and voice activity from
 * the level against a tracked noise floor with a hangover, which the
 * open-floor policy uses as its noise gate.
 *
 * One mixer belongs to one meeting's audio tick (one thread at a time).
 */
#ifndef MCU_MIXER_H
#define MCU_MIXER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "codec/media.h"

struct mcu_mixer;

/* Level reported for a silent or absent source. */
#define MCU_MIXER_SILENCE_DBOV (-127.0)

/* Create a mixer for up to `max_sources` slots. 0, EINVAL or ENOMEM. */
int mcu_mixer_alloc(struct mcu_mixer **mixp, size_t max_sources);
struct mcu_mixer *mcu_mixer_free(struct mcu_mixer *mix);

size_t mcu_mixer_capacity(const struct mcu_mixer *mix);

/*
 * Give slot `src` its frame for this tick (copied), or NULL when it has
 * none. Measures level and voice activity. EINVAL for a bad slot.
 */
int mcu_mixer_put(struct mcu_mixer *mix, size_t src, const int16_t *pcm);

/*
 * Slot `src` had sound this tick that was not decoded (it is not heard
 * and its level is measured only every few ticks): it is not mixed, its
 * level stays the last measured, and its voice activity's hangover and
 * noise floor run on as if measured. EINVAL for a bad slot.
 */
int mcu_mixer_hold(struct mcu_mixer *mix, size_t src);
/* Last measured level of `src`, dBov (MCU_MIXER_SILENCE_DBOV for none). */
double mcu_mixer_level(const struct mcu_mixer *mix, size_t src);

/* Whether `src` is speaking (level above its noise floor, with hangover). */
bool mcu_mixer_voice(const struct mcu_mixer *mix, size_t src);

/*
 * Mix this tick. `audible[i]` says whether slot i is heard. After it:
 * mcu_mixer_common() is the mix for everyone not audible, and
 * mcu_mixer_minus(i) the mix for each audible slot i. Clears the inputs
 * for the next tick. Returns the number of audible slots that had a frame.
 */
size_t mcu_mixer_mix(struct mcu_mixer *mix, const bool *audible);

/* MCU_AUDIO_FRAME samples, valid until the next mcu_mixer_mix(). */
const int16_t *mcu_mixer_common(const struct mcu_mixer *mix);

/* The N-1 mix of audible slot `src`, or the common mix if it is not
 * audible this tick. */
const int16_t *mcu_mixer_minus(const struct mcu_mixer *mix, size_t src);

/* Forget slot `src`'s history (a new participant takes the slot). */
void mcu_mixer_reset(struct mcu_mixer *mix, size_t src);

/*
 * The meeting clock's phase against its heard sources. slack_us[i] is the
 * least time one heard source's packets were due (jitter buffer plan)
 * before the tick that took them, over a window; moving the clock earlier
 * by d makes a packet of slack s wait s - d, or a whole frame more when
 * s < d (it misses the moved tick). Returns the move (us, positive:
 * earlier) that makes the worst wait shortest: a couple of ms after one
 * source's packets; 0 when no move gains at least 2 ms. *worst_us (unless
 * NULL): the worst wait with the move made.
 */
int64_t mcu_mixer_align(const int64_t *slack_us, size_t n, int64_t *worst_us);

#endif
