/* test-libs: mcu_core mcu_codec mcu_conf */
/*
 * content family: codec/filesrc (a JPEG still, converted or passed through;
 * a WAV resampled to 48 kHz mono with continuous timestamps; files that are
 * not media, empty, missing or directories refused with a reason) and
 * mcu/content's rule of which files may be played (listed or under
 * content_dir after realpath: links, `..` and look-alike prefixes refused
 * with 403, allowed but missing or not regular files 422).
 */
#include "tests/unit/testutil.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "codec/filesrc.h"
#include "codec/jpeg.h"
#include "codec/media.h"
#include "mcu/content.h"

static char dir[64];

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/mcu-content-XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[128];
	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static const char *path_of(const char *name)
{
	static char buf[4][PATH_MAX];
	static int n;
	char *b = buf[n++ % 4];
	snprintf(b, PATH_MAX, "%s/%s", dir, name);
	return b;
}

static void write_file(const char *name, const void *data, size_t len)
{
	FILE *f = fopen(path_of(name), "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

/* A w x h YUV420P picture: left half red, right half blue (limited). */
static void write_jpeg(const char *name, int w, int h)
{
	static const uint8_t RED[3] = {81, 90, 240}, BLUE[3] = {41, 240, 110};
	AVFrame *f = av_frame_alloc();
	uint8_t *jpg = NULL;
	size_t len = 0;

	assert_non_null(f);
	f->format = AV_PIX_FMT_YUV420P;
	f->width = w;
	f->height = h;
	assert_int_equal(av_frame_get_buffer(f, 0), 0);
	for (int p = 0; p < 3; p++) {
		int pw = p ? w / 2 : w, ph = p ? h / 2 : h;
		for (int y = 0; y < ph; y++)
			for (int x = 0; x < pw; x++)
				f->data[p][y * f->linesize[p] + x] =
				    x < pw / 2 ? RED[p] : BLUE[p];
	}
	assert_int_equal(mcu_jpeg_encode(f, w, &jpg, &len), 0);
	write_file(name, jpg, len);
	free(jpg);
	av_frame_free(&f);
}

static double luma_mean(const AVFrame *f, int x0, int x1)
{
	double sum = 0;
	long n = 0;
	for (int y = f->height / 4; y < f->height * 3 / 4; y++)
		for (int x = x0; x < x1; x++, n++)
			sum += f->data[0][y * f->linesize[0] + x];
	return sum / (double)n;
}

static void still_converted(void **state)
{
	struct mcu_filesrc *fs = NULL;
	struct mcu_filesrc_info info;
	struct mcu_filesrc_item it;
	char why[256];
	(void)state;

	/* 1920x1080 full-range JPEG: scaled into 1280x720 limited YUV420P */
	write_jpeg("big.jpg", 1920, 1080);
	assert_int_equal(
	    mcu_filesrc_open(&fs, path_of("big.jpg"), 0, 0, why, sizeof(why)),
	    0);
	mcu_filesrc_info(fs, &info);
	assert_true(info.has_video);
	assert_false(info.has_audio);
	assert_int_equal(info.width, 1920);
	assert_int_equal(mcu_filesrc_next(fs, &it), 0);
	assert_int_equal(it.kind, MCU_FILESRC_VIDEO);
	assert_int_equal(it.pts_us, 0);
	assert_int_equal(it.frame->format, AV_PIX_FMT_YUV420P);
	assert_int_equal(it.frame->width, 1280);
	assert_int_equal(it.frame->height, 720);
	/* red luma 81, blue 41 in limited range, within JPEG's error */
	assert_true(fabs(luma_mean(it.frame, 40, 600) - 81) < 6);
	assert_true(fabs(luma_mean(it.frame, 680, 1240) - 41) < 6);
	av_frame_free(&it.frame);
	assert_int_equal(mcu_filesrc_next(fs, &it), ENODATA);
	assert_null(it.frame);
	assert_int_equal(mcu_filesrc_next(fs, &it), ENODATA);
	fs = mcu_filesrc_free(fs);

	/* a bound of 320x320 keeps the aspect: 320x180 */
	assert_int_equal(mcu_filesrc_open(&fs, path_of("big.jpg"), 320, 320,
	                                  why, sizeof(why)),
	                 0);
	assert_int_equal(mcu_filesrc_next(fs, &it), 0);
	assert_int_equal(it.frame->width, 320);
	assert_int_equal(it.frame->height, 180);
	av_frame_free(&it.frame);
	mcu_filesrc_free(fs);
}

static void still_passed_through(void **state)
{
	struct mcu_filesrc *fs = NULL;
	struct mcu_filesrc_item it;
	(void)state;

	/* small and 4:2:0 already: a reference to the decoder's picture */
	write_jpeg("small.jpg", 320, 180);
	assert_int_equal(
	    mcu_filesrc_open(&fs, path_of("small.jpg"), 0, 0, NULL, 0), 0);
	assert_int_equal(mcu_filesrc_next(fs, &it), 0);
	assert_int_equal(it.frame->width, 320);
	assert_int_equal(it.frame->height, 180);
	assert_true(it.frame->format == AV_PIX_FMT_YUVJ420P ||
	            it.frame->format == AV_PIX_FMT_YUV420P);
	assert_non_null(it.frame->buf[0]);
	/* the frame outlives the source */
	mcu_filesrc_free(fs);
	assert_true(luma_mean(it.frame, 10, 150) > 60);
	av_frame_free(&it.frame);
}

static void put_le(uint8_t *p, uint32_t v, int n)
{
	for (int i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/* 0.5 s of a 1 kHz tone, 16 kHz stereo 16-bit PCM. */
static void write_wav(const char *name)
{
	enum { RATE = 16000, N = RATE / 2 };
	static uint8_t buf[44 + N * 4];
	memcpy(buf, "RIFF", 4);
	put_le(buf + 4, 36 + N * 4, 4);
	memcpy(buf + 8, "WAVEfmt ", 8);
	put_le(buf + 16, 16, 4);
	put_le(buf + 20, 1, 2); /* PCM */
	put_le(buf + 22, 2, 2); /* stereo */
	put_le(buf + 24, RATE, 4);
	put_le(buf + 28, RATE * 4, 4);
	put_le(buf + 32, 4, 2);
	put_le(buf + 34, 16, 2);
	memcpy(buf + 36, "data", 4);
	put_le(buf + 40, N * 4, 4);
	for (int i = 0; i < N; i++) {
		int16_t s = (int16_t)(8000 * sin(2 * M_PI * 1000 * i / RATE));
		put_le(buf + 44 + 4 * i, (uint16_t)s, 2);
		put_le(buf + 46 + 4 * i, (uint16_t)s, 2);
	}
	write_file(name, buf, sizeof(buf));
}

static void sound_resampled(void **state)
{
	struct mcu_filesrc *fs = NULL;
	struct mcu_filesrc_info info;
	struct mcu_filesrc_item it;
	int64_t samples = 0, peak = 0;
	int err;
	(void)state;

	write_wav("tone.wav");
	assert_int_equal(
	    mcu_filesrc_open(&fs, path_of("tone.wav"), 0, 0, NULL, 0), 0);
	mcu_filesrc_info(fs, &info);
	assert_false(info.has_video);
	assert_true(info.has_audio);
	assert_true(fabs(info.duration_s - 0.5) < 0.05);
	while ((err = mcu_filesrc_next(fs, &it)) == 0) {
		assert_int_equal(it.kind, MCU_FILESRC_AUDIO);
		assert_int_equal(it.frame->format, AV_SAMPLE_FMT_S16);
		assert_int_equal(it.frame->sample_rate, MCU_AUDIO_RATE);
		assert_int_equal(it.frame->ch_layout.nb_channels, 1);
		/* continuous: each piece starts where the last ended */
		assert_int_equal(it.pts_us, samples * 1000000 / MCU_AUDIO_RATE);
		const int16_t *s = (const int16_t *)it.frame->data[0];
		for (int i = 0; i < it.frame->nb_samples; i++)
			if (abs(s[i]) > peak)
				peak = abs(s[i]);
		samples += it.frame->nb_samples;
		av_frame_free(&it.frame);
	}
	assert_int_equal(err, ENODATA);
	/* 0.5 s at 48 kHz, give or take the resampler's delay */
	assert_true(samples > 24000 - 960 && samples <= 24000);
	assert_true(peak > 6000 && peak < 10000);
	mcu_filesrc_free(fs);
}

static void not_media(void **state)
{
	static const char *const names[] = {"random.mp4", "text.png",
	                                    "empty.mkv"};
	uint8_t junk[8192];
	struct mcu_filesrc *fs = NULL;
	char why[512];
	(void)state;

	srand(7);
	for (size_t i = 0; i < sizeof(junk); i++)
		junk[i] = (uint8_t)rand();
	write_file("random.mp4", junk, sizeof(junk));
	write_file("text.png", "hello, this is not a picture\n", 29);
	write_file("empty.mkv", "", 0);
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		why[0] = '\0';
		assert_int_equal(mcu_filesrc_open(&fs, path_of(names[i]), 0, 0,
		                                  why, sizeof(why)),
		                 EINVAL);
		assert_null(fs);
		assert_non_null(strstr(why, names[i]));
	}
	assert_int_equal(mcu_filesrc_open(&fs, path_of("missing.mp4"), 0, 0,
	                                  why, sizeof(why)),
	                 ENOENT);
	assert_non_null(strstr(why, "missing.mp4"));
	assert_int_not_equal(mcu_filesrc_open(&fs, dir, 0, 0, why, sizeof(why)),
	                     0);
	assert_null(fs);
	assert_int_equal(mcu_filesrc_open(&fs, path_of("random.mp4"), 8, 0, why,
	                                  sizeof(why)),
	                 EINVAL);
	assert_int_equal(mcu_filesrc_open(NULL, path_of("random.mp4"), 0, 0,
	                                  why, sizeof(why)),
	                 EINVAL);
}

static void allowed_files(void **state)
{
	char resolved[PATH_MAX], detail[PATH_MAX + 256], want[PATH_MAX];
	char *list[2];
	struct mcu_conf conf;
	struct mcu_conf_meeting m;
	(void)state;

	assert_int_equal(mkdir(path_of("slides"), 0755), 0);
	assert_int_equal(mkdir(path_of("slides/sub"), 0755), 0);
	assert_int_equal(mkdir(path_of("slides2"), 0755), 0);
	assert_int_equal(mkdir(path_of("other"), 0755), 0);
	write_file("slides/a.png", "x", 1);
	write_file("slides2/b.png", "x", 1);
	write_file("other/clip.mp4", "x", 1);
	write_file("other/secret.mp4", "x", 1);
	assert_int_equal(
	    symlink(path_of("other/secret.mp4"), path_of("slides/link.mp4")),
	    0);
	memset(&conf, 0, sizeof(conf));
	memset(&m, 0, sizeof(m));
	m.id = "t";
	list[0] = strdup(path_of("other/clip.mp4"));
	list[1] = strdup(path_of("other/gone.mp4"));
	m.content = list;
	m.n_content = 2;

#define ALLOWED(file, status)                                                  \
	assert_int_equal(mcu_content_allowed(&conf, &m, (file), resolved,      \
	                                     detail, sizeof(detail)),          \
	                 (status))

	/* listed, by its name and by another spelling of it */
	ALLOWED(path_of("other/clip.mp4"), 0);
	assert_non_null(realpath(path_of("other/clip.mp4"), want));
	assert_string_equal(resolved, want);
	ALLOWED(path_of("slides/../other/./clip.mp4"), 0);
	assert_string_equal(resolved, want);
	/* not listed, no content_dir */
	ALLOWED(path_of("other/secret.mp4"), 403);
	assert_non_null(strstr(detail, "not allowed"));
	ALLOWED(path_of("slides/a.png"), 403);
	ALLOWED("", 403);
	ALLOWED(NULL, 403);
	/* listed but gone: 422 with the reason */
	ALLOWED(path_of("other/gone.mp4"), 422);
	assert_non_null(strstr(detail, "No such file"));

	conf.content_dir = strdup(path_of("slides"));
	ALLOWED(path_of("slides/a.png"), 0);
	ALLOWED(path_of("slides/sub/../a.png"), 0);
	ALLOWED(path_of("slides/link.mp4"), 403); /* a link out */
	ALLOWED(path_of("slides/../other/secret.mp4"), 403);
	ALLOWED(path_of("slides2/b.png"), 403);   /* a look-alike prefix */
	ALLOWED(path_of("slides"), 403);          /* the folder itself */
	ALLOWED(path_of("slides/sub"), 422);      /* not a regular file */
	ALLOWED(path_of("slides/none.png"), 422); /* allowed, missing */
	ALLOWED(path_of("other/none.png"), 403);  /* missing, outside */
	ALLOWED(path_of("nodir/x.png"), 403);
	/* a content_dir that does not exist allows nothing */
	free(conf.content_dir);
	conf.content_dir = strdup(path_of("nowhere"));
	ALLOWED(path_of("slides/a.png"), 403);
	ALLOWED(path_of("other/clip.mp4"), 0);
#undef ALLOWED
	free(conf.content_dir);
	free(list[0]);
	free(list[1]);
}

/* one case a line: CMake registers each with ctest from this list */
/* clang-format off */
static const struct CMUnitTest tests[] = {
	cmocka_unit_test(still_converted),
	cmocka_unit_test(still_passed_through),
	cmocka_unit_test(sound_resampled),
	cmocka_unit_test(not_media),
	cmocka_unit_test(allowed_files),
};
/* clang-format on */

MCU_TEST_MAIN(tests, setup, teardown)
