/*
 * The common sum is computed once in 32 bits; an audible slot's N-1 mix is
 * that sum minus its own samples, so the cost is one pass over the
 * audible sources plus one pass per audible output, whatever the number
 * of listeners. Everybody else shares the common output buffer.
 *
 * Limiter: for each output a gain g (1.0 at rest). The gain needed for the
 * block is min(1, ceiling / peak). When it is below g the gain moves there
 * within this block (ramped over the block, so there is no click); when it
 * is above, g recovers by a fixed factor per block (about 0.5 s from -6 dB
 * back to 0 dB). Samples are then scaled and saturated as a last guard
 * that the ramp makes practically unreachable.
 *
 * Voice activity: the noise floor follows the level down at once and up
 * slowly (about 1 dB per second), speech is a level 12 dB above the floor
 * and above an absolute minimum (-55 dBov); activity holds 300 ms after
 * the last speech block so words are not clipped.
 */
#define MCU_LOG_MODULE "mixer"
#include "mcu/mixer.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define FRAME          MCU_AUDIO_FRAME
#define CEILING        32000.0
#define RELEASE        1.06 /* gain recovery per 20 ms block */
#define VAD_MARGIN_DB  12.0
#define VAD_MIN_DBOV   (-55.0)
#define VAD_HANGOVER   15 /* blocks: 300 ms */
#define FLOOR_RISE_DB  0.02 /* per block: 1 dB/s */

struct limiter {
	double gain;
};

struct source {
	int16_t pcm[FRAME];
	bool present;
	double level;
	double floor;
	int hangover;
	bool voice;
	bool audible;
	struct limiter lim;
	int16_t minus[FRAME];
};

struct mcu_mixer {
	size_t n;
	struct source *src;
	int32_t sum[FRAME];
	int16_t common[FRAME];
	struct limiter common_lim;
};

int mcu_mixer_alloc(struct mcu_mixer **mixp, size_t max_sources)
{
	struct mcu_mixer *mix;
	if (!mixp || max_sources == 0)
		return EINVAL;
	mix = calloc(1, sizeof(*mix));
	if (!mix)
		return ENOMEM;
	mix->src = calloc(max_sources, sizeof(*mix->src));
	if (!mix->src) {
		free(mix);
		return ENOMEM;
	}
	mix->n = max_sources;
	mix->common_lim.gain = 1.0;
	for (size_t i = 0; i < max_sources; i++)
		mcu_mixer_reset(mix, i);
	*mixp = mix;
	return 0;
}

struct mcu_mixer *mcu_mixer_free(struct mcu_mixer *mix)
{
	if (mix) {
		free(mix->src);
		free(mix);
	}
	return NULL;
}

size_t mcu_mixer_capacity(const struct mcu_mixer *mix)
{
	return mix ? mix->n : 0;
}

void mcu_mixer_reset(struct mcu_mixer *mix, size_t src)
{
	struct source *s;
	if (!mix || src >= mix->n)
		return;
	s = &mix->src[src];
	memset(s, 0, sizeof(*s));
	s->level = MCU_MIXER_SILENCE_DBOV;
	s->floor = -70.0;
	s->lim.gain = 1.0;
}

static double rms_dbov(const int16_t *pcm)
{
	double acc = 0;
	for (int i = 0; i < FRAME; i++)
		acc += (double)pcm[i] * pcm[i];
	double rms = sqrt(acc / FRAME);
	if (rms < 1.0)
		return MCU_MIXER_SILENCE_DBOV;
	return 20.0 * log10(rms / 32768.0);
}

static void update_voice(struct source *s)
{
	if (s->level < s->floor)
		s->floor = s->level < -90.0 ? -90.0 : s->level;
	else
		s->floor += FLOOR_RISE_DB;
	bool speech = s->level > VAD_MIN_DBOV &&
	              s->level > s->floor + VAD_MARGIN_DB;
	if (speech)
		s->hangover = VAD_HANGOVER;
	else if (s->hangover > 0)
		s->hangover--;
	s->voice = speech || s->hangover > 0;
}

int mcu_mixer_put(struct mcu_mixer *mix, size_t src, const int16_t *pcm)
{
	struct source *s;
	if (!mix || src >= mix->n)
		return EINVAL;
	s = &mix->src[src];
	if (!pcm) {
		s->present = false;
		s->level = MCU_MIXER_SILENCE_DBOV;
		if (s->hangover > 0)
			s->hangover--;
		s->voice = s->hangover > 0;
		return 0;
	}
	memcpy(s->pcm, pcm, sizeof(s->pcm));
	s->present = true;
	s->level = rms_dbov(pcm);
	update_voice(s);
	return 0;
}

int mcu_mixer_hold(struct mcu_mixer *mix, size_t src)
{
	struct source *s;
	if (!mix || src >= mix->n)
		return EINVAL;
	s = &mix->src[src];
	s->present = false;
	s->floor += FLOOR_RISE_DB;
	if (s->hangover > 0)
		s->hangover--;
	s->voice = s->hangover > 0;
	return 0;
}

double mcu_mixer_level(const struct mcu_mixer *mix, size_t src)
{
	if (!mix || src >= mix->n)
		return MCU_MIXER_SILENCE_DBOV;
	return mix->src[src].level;
}

bool mcu_mixer_voice(const struct mcu_mixer *mix, size_t src)
{
	return mix && src < mix->n && mix->src[src].voice;
}

/* Bring 32-bit samples (sum - minus) to 16 bits through `lim`. */
static void limit(struct limiter *lim, const int32_t *sum,
                  const int16_t *minus, int16_t *out)
{
	int32_t peak = 0;
	for (int i = 0; i < FRAME; i++) {
		int32_t v = sum[i] - (minus ? minus[i] : 0);
		int32_t a = v < 0 ? -v : v;
		if (a > peak)
			peak = a;
	}
	double need = peak > CEILING ? CEILING / peak : 1.0;
	double start = lim->gain;
	double end = need < start ? need : fmin(1.0, start * RELEASE);
	if (end > need)
		end = need;
	/* Ramp from start to end over the block; while attacking, never let
	 * a sample above the ceiling through. */
	for (int i = 0; i < FRAME; i++) {
		double g = start + (end - start) * (i + 1) / FRAME;
		if (g > need)
			g = need;
		double v = (sum[i] - (minus ? minus[i] : 0)) * g;
		out[i] = v > 32767 ? 32767 : v < -32768 ? -32768 : (int16_t)lrint(v);
	}
	lim->gain = end;
}

size_t mcu_mixer_mix(struct mcu_mixer *mix, const bool *audible)
{
	size_t heard = 0;
	memset(mix->sum, 0, sizeof(mix->sum));
	for (size_t i = 0; i < mix->n; i++) {
		struct source *s = &mix->src[i];
		s->audible = audible && audible[i] && s->present;
		if (!s->audible)
			continue;
		heard++;
		for (int k = 0; k < FRAME; k++)
			mix->sum[k] += s->pcm[k];
	}
	limit(&mix->common_lim, mix->sum, NULL, mix->common);
	for (size_t i = 0; i < mix->n; i++) {
		struct source *s = &mix->src[i];
		if (s->audible)
			limit(&s->lim, mix->sum, s->pcm, s->minus);
		s->present = false;
	}
	return heard;
}

const int16_t *mcu_mixer_common(const struct mcu_mixer *mix)
{
	return mix->common;
}

const int16_t *mcu_mixer_minus(const struct mcu_mixer *mix, size_t src)
{
	if (src < mix->n && mix->src[src].audible)
		return mix->src[src].minus;
	return mix->common;
}

/* ---- the clock's phase (mcu_mixer_align) ------------------------- */

#define ALIGN_MARGIN_US 2000
/* A move costs a frame to a source whose packets it passes; between two
   speakers 9-11 ms apart the two places are within 2 ms of each other,
   and the clock stays where it is rather than go to and fro. */
#define ALIGN_GAIN_US   2000
#define FRAME_US        ((int64_t)MCU_AUDIO_FRAME * 1000000 / MCU_AUDIO_RATE)

/* What a packet of slack s waits after the clock moved earlier by shift. */
static int64_t wait_after(int64_t slack, int64_t shift)
{
	int64_t w = slack - shift;
	return w >= 0 || shift == 0 ? w : w + FRAME_US;
}

static int64_t worst_wait(const int64_t *slack, size_t n, int64_t shift)
{
	int64_t worst = INT64_MIN;
	for (size_t i = 0; i < n; i++) {
		int64_t w = wait_after(slack[i], shift);
		worst = w > worst ? w : worst;
	}
	return worst;
}

int64_t mcu_mixer_align(const int64_t *slack, size_t n, int64_t *worst_us)
{
	int64_t now = worst_wait(slack, n, 0), best = now, shift = 0;
	for (size_t j = 0; j < n; j++) {
		int64_t s = slack[j] - ALIGN_MARGIN_US;
		/* later by half a frame or more would read, to the tick, as a
		   deadline missed (a catch-up frame) */
		if (s <= -FRAME_US / 2 || s >= FRAME_US)
			continue;
		int64_t w = worst_wait(slack, n, s);
		if (w < best) {
			best = w;
			shift = s;
		}
	}
	if (now - best < ALIGN_GAIN_US)
		shift = 0;
	if (worst_us)
		*worst_us = shift ? best : now;
	return shift;
}
