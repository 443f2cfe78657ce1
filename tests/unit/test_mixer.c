/* test-libs: mcu_core mcu_conf */
#include "tests/unit/testutil.h"
#include "mcu/mixer.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>

static void sine(int16_t *out, double freq, double amp, int frame_no)
{
	for (int i = 0; i < MCU_AUDIO_FRAME; i++) {
		double t = (double)(frame_no * MCU_AUDIO_FRAME + i) /
		           MCU_AUDIO_RATE;
		out[i] = (int16_t)lrint(amp * sin(2 * M_PI * freq * t));
	}
}

/* Goertzel power of `freq` in one frame, normalised to amplitude. */
static double tone(const int16_t *pcm, double freq)
{
	double w = 2 * M_PI * freq / MCU_AUDIO_RATE, c = 2 * cos(w);
	double s1 = 0, s2 = 0;
	for (int i = 0; i < MCU_AUDIO_FRAME; i++) {
		double s0 = pcm[i] + c * s1 - s2;
		s2 = s1;
		s1 = s0;
	}
	double p = s1 * s1 + s2 * s2 - c * s1 * s2;
	return 2 * sqrt(p) / MCU_AUDIO_FRAME;
}

static void n_minus_one(void **state)
{
	struct mcu_mixer *mx = NULL;
	int16_t pcm[3][MCU_AUDIO_FRAME];
	const double f[3] = {400, 1000, 2500};
	bool audible[4] = {true, true, true, false};
	(void)state;
	assert_int_equal(mcu_mixer_alloc(&mx, 4), 0);
	for (int frame = 0; frame < 5; frame++) {
		for (int s = 0; s < 3; s++) {
			sine(pcm[s], f[s], 3000, frame);
			assert_int_equal(mcu_mixer_put(mx, s, pcm[s]), 0);
		}
		assert_int_equal(mcu_mixer_put(mx, 3, NULL), 0);
		assert_int_equal(mcu_mixer_mix(mx, audible), 3);
	}
	const int16_t *common = mcu_mixer_common(mx);
	for (int s = 0; s < 3; s++)
		assert_true(tone(common, f[s]) > 2500);
	for (int me = 0; me < 3; me++) {
		const int16_t *m = mcu_mixer_minus(mx, me);
		for (int s = 0; s < 3; s++) {
			if (s == me)
				assert_true(tone(m, f[s]) < 30);
			else
				assert_true(tone(m, f[s]) > 2500);
		}
	}
	/* A listener that is not audible gets the common mix itself. */
	assert_ptr_equal(mcu_mixer_minus(mx, 3), common);
	mx = mcu_mixer_free(mx);
}

static void inaudible_sources_are_not_mixed(void **state)
{
	struct mcu_mixer *mx = NULL;
	int16_t a[MCU_AUDIO_FRAME], b[MCU_AUDIO_FRAME];
	bool audible[2] = {true, false};
	(void)state;
	assert_int_equal(mcu_mixer_alloc(&mx, 2), 0);
	sine(a, 500, 4000, 0);
	sine(b, 1500, 4000, 0);
	mcu_mixer_put(mx, 0, a);
	mcu_mixer_put(mx, 1, b);
	assert_int_equal(mcu_mixer_mix(mx, audible), 1);
	assert_true(tone(mcu_mixer_common(mx), 500) > 3500);
	assert_true(tone(mcu_mixer_common(mx), 1500) < 30);
	/* The only audible source hears nothing. */
	assert_true(tone(mcu_mixer_minus(mx, 0), 500) < 30);
	mx = mcu_mixer_free(mx);
}

static void limiter_never_clips(void **state)
{
	struct mcu_mixer *mx = NULL;
	int16_t pcm[MCU_AUDIO_FRAME];
	bool audible[6] = {true, true, true, true, true, true};
	(void)state;
	assert_int_equal(mcu_mixer_alloc(&mx, 6), 0);
	for (int frame = 0; frame < 50; frame++) {
		sine(pcm, 440, 30000, frame);
		for (int s = 0; s < 6; s++)
			mcu_mixer_put(mx, s, pcm);
		mcu_mixer_mix(mx, audible);
		const int16_t *c = mcu_mixer_common(mx);
		int clipped = 0;
		for (int i = 0; i < MCU_AUDIO_FRAME; i++)
			clipped += c[i] == 32767 || c[i] == -32768;
		assert_int_equal(clipped, 0);
		/* N-1 of five in-phase sines is also limited, not clipped */
		const int16_t *m = mcu_mixer_minus(mx, 2);
		for (int i = 0; i < MCU_AUDIO_FRAME; i++)
			assert_true(m[i] < 32767 && m[i] > -32768);
	}
	/* Limited, but still loud: the tone survives at high level. */
	assert_true(tone(mcu_mixer_common(mx), 440) > 20000);
	mx = mcu_mixer_free(mx);
}

static void level_and_voice(void **state)
{
	struct mcu_mixer *mx = NULL;
	int16_t pcm[MCU_AUDIO_FRAME] = {0};
	bool audible[1] = {true};
	(void)state;
	assert_int_equal(mcu_mixer_alloc(&mx, 1), 0);
	for (int i = 0; i < 20; i++) {
		for (int k = 0; k < MCU_AUDIO_FRAME; k++)
			pcm[k] = (int16_t)((rand() % 21) - 10); /* ~-73 dBov */
		mcu_mixer_put(mx, 0, pcm);
		mcu_mixer_mix(mx, audible);
	}
	assert_false(mcu_mixer_voice(mx, 0));
	sine(pcm, 1000, 32767 * 0.5, 0); /* RMS of a 0.5 FS sine: -9 dBov */
	mcu_mixer_put(mx, 0, pcm);
	assert_true(fabs(mcu_mixer_level(mx, 0) - (-9.03)) < 0.2);
	assert_true(mcu_mixer_voice(mx, 0));
	/* Hangover: still speaking for a while after the tone stops. */
	for (int i = 0; i < 5; i++)
		mcu_mixer_put(mx, 0, NULL);
	assert_true(mcu_mixer_voice(mx, 0));
	for (int i = 0; i < 20; i++)
		mcu_mixer_put(mx, 0, NULL);
	assert_false(mcu_mixer_voice(mx, 0));
	assert_true(mcu_mixer_level(mx, 0) <= MCU_MIXER_SILENCE_DBOV);
	assert_int_equal(mcu_mixer_put(mx, 7, pcm), EINVAL);
	mx = mcu_mixer_free(mx);
}

/* A slot held (its frame skipped undecoded) keeps its last level, is not
   mixed, and its voice hangover runs out as if measured silent. */
static void held_source_keeps_level(void **state)
{
	struct mcu_mixer *mx = NULL;
	int16_t pcm[MCU_AUDIO_FRAME];
	bool audible[2] = {true, true};
	(void)state;
	assert_int_equal(mcu_mixer_alloc(&mx, 2), 0);
	sine(pcm, 1000, 32767 * 0.5, 0);
	mcu_mixer_put(mx, 0, pcm);
	mcu_mixer_put(mx, 1, pcm);
	mcu_mixer_mix(mx, audible);
	assert_true(mcu_mixer_voice(mx, 1));
	double level = mcu_mixer_level(mx, 1);
	mcu_mixer_put(mx, 0, pcm);
	assert_int_equal(mcu_mixer_hold(mx, 1), 0);
	/* only slot 0 was mixed: slot 0's N-1 mix is silent */
	assert_int_equal(mcu_mixer_mix(mx, audible), 1);
	const int16_t *minus = mcu_mixer_minus(mx, 0);
	for (int k = 0; k < MCU_AUDIO_FRAME; k++)
		assert_int_equal(minus[k], 0);
	assert_true(mcu_mixer_level(mx, 1) == level);
	assert_true(mcu_mixer_voice(mx, 1));
	/* 15 blocks of hangover, one used by the hold above */
	for (int i = 0; i < 13; i++)
		mcu_mixer_hold(mx, 1);
	assert_true(mcu_mixer_voice(mx, 1));
	mcu_mixer_hold(mx, 1);
	assert_false(mcu_mixer_voice(mx, 1));
	assert_true(mcu_mixer_level(mx, 1) == level);
	/* measured again: speaking again */
	mcu_mixer_put(mx, 1, pcm);
	assert_true(mcu_mixer_voice(mx, 1));
	assert_int_equal(mcu_mixer_hold(mx, 2), EINVAL);
	mx = mcu_mixer_free(mx);
}

/* The clock's phase: one speaker waiting 15 ms is met 2 ms after its
 * packets; two speakers 12 ms apart, the clock goes after the later
 * one's (the earlier then waits 10 ms, not 14); gains under 2 ms move nothing;
 * a packet held early (negative slack) is not made to wait a frame. */
static void clock_alignment(void **state)
{
	int64_t worst = -1;
	(void)state;
	int64_t one[] = {15000};
	assert_int_equal(mcu_mixer_align(one, 1, &worst), 13000);
	assert_int_equal(worst, 2000);
	int64_t two[] = {4000, 16000}; /* after 4000's: 16000 waits 14 */
	assert_int_equal(mcu_mixer_align(two, 2, &worst), 14000);
	assert_int_equal(worst, 10000);
	int64_t apart[] = {18000, 6000};
	/* after 18000's: 6000 waits 6-16+20 = 10 ms; after 6000's: 18000
	   waits 14 ms */
	assert_int_equal(mcu_mixer_align(apart, 2, &worst), 16000);
	assert_int_equal(worst, 10000);
	int64_t small[] = {3500};
	assert_int_equal(mcu_mixer_align(small, 1, &worst), 0);
	assert_int_equal(worst, 3500);
	int64_t held[] = {-3000, 2500};
	assert_int_equal(mcu_mixer_align(held, 2, NULL), 0);
	/* later by half a frame or more: never (the tick would take it for
	   a missed deadline) */
	int64_t early[] = {-7000, 19000};
	assert_int_equal(mcu_mixer_align(early, 2, &worst), 17000);
	int64_t late[] = {-8500};
	assert_int_equal(mcu_mixer_align(late, 1, NULL), 0);
	assert_int_equal(mcu_mixer_align(NULL, 0, NULL), 0);
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(n_minus_one),
	cmocka_unit_test(inaudible_sources_are_not_mixed),
	cmocka_unit_test(limiter_never_clips),
	cmocka_unit_test(level_and_voice),
	cmocka_unit_test(held_source_keeps_level),
	cmocka_unit_test(clock_alignment),
};
MCU_TEST_MAIN(tests, NULL, NULL)
