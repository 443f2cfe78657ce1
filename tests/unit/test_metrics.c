/* test-libs: mcu_core mcu_conf */
/*
 * The metrics registry: exact exposition text, label escaping, histogram
 * buckets/sum/count, naming rules, series lifetime, concurrent updates.
 */
#include "tests/unit/testutil.h"

#include "mcu/metrics.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

static char *render(struct mcu_metrics *m)
{
	char *text = NULL;
	size_t len = 0;
	assert_int_equal(mcu_metrics_render(m, &text, &len), 0);
	assert_int_equal(strlen(text), len);
	return text;
}

static void exposition_exact(void **state)
{
	struct mcu_metrics *m = NULL;
	struct mcu_metric_family *c, *g;
	static const char *const lab[] = {"meeting", "media", NULL};
	const char *v1[] = {"giao-ban", "audio"};
	const char *v2[] = {"giao-ban", "video"};
	struct mcu_metric *s1, *s2, *sg;
	char *text;
	(void)state;

	assert_int_equal(mcu_metrics_alloc(&m), 0);
	assert_int_equal(mcu_metrics_register(m, MCU_METRIC_COUNTER,
	                                      "mcu_x_packets_total",
	                                      "Packets.\nSecond \\ line.", lab,
	                                      NULL, 0, &c),
	                 0);
	assert_int_equal(mcu_metrics_register(m, MCU_METRIC_GAUGE,
	                                      "mcu_x_seconds", "A gauge.",
	                                      NULL, NULL, 0, &g),
	                 0);
	s1 = mcu_metric_get(c, v1, 2);
	s2 = mcu_metric_get(c, v2, 2);
	assert_non_null(s1);
	assert_non_null(s2);
	mcu_metric_inc(s1);
	mcu_metric_add(s1, 41);
	mcu_metric_add(s1, -5); /* counters never go down */
	mcu_metric_add(s2, 0.25);
	sg = mcu_metric_get(g, NULL, 0);
	mcu_metric_set(sg, -1.5);
	assert_true(mcu_metric_value(s1) == 42.0);

	text = render(m);
	assert_string_equal(
		text,
		"# HELP mcu_x_packets_total Packets.\\nSecond \\\\ line.\n"
		"# TYPE mcu_x_packets_total counter\n"
		"mcu_x_packets_total{meeting=\"giao-ban\",media=\"audio\"} 42\n"
		"mcu_x_packets_total{meeting=\"giao-ban\",media=\"video\"} "
		"0.25\n"
		"# HELP mcu_x_seconds A gauge.\n"
		"# TYPE mcu_x_seconds gauge\n"
		"mcu_x_seconds -1.5\n");
	free(text);

	/* the same values give the same series */
	struct mcu_metric *again = mcu_metric_get(c, v1, 2);
	assert_ptr_equal(again, s1);
	mcu_metric_put(again);
	/* wrong number of values */
	assert_null(mcu_metric_get(c, v1, 1));

	mcu_metric_put(s1);
	mcu_metric_put(s2);
	mcu_metric_put(sg);
	mcu_metrics_free(m);
}

static void label_escaping(void **state)
{
	struct mcu_metrics *m = NULL;
	struct mcu_metric_family *g;
	static const char *const lab[] = {"endpoint", NULL};
	const char *v[] = {"a\"b\\c\nd UBND phường Cái Khế"};
	struct mcu_metric *s;
	char *text;
	(void)state;

	assert_int_equal(mcu_metrics_alloc(&m), 0);
	assert_int_equal(mcu_metrics_register(m, MCU_METRIC_GAUGE,
	                                      "mcu_level_dbov", "Level.", lab,
	                                      NULL, 0, &g),
	                 0);
	s = mcu_metric_get(g, v, 1);
	mcu_metric_set(s, NAN);
	text = render(m);
	assert_non_null(strstr(text, "mcu_level_dbov{endpoint=\"a\\\"b\\\\c\\nd "
	                             "UBND phường Cái Khế\"} NaN\n"));
	free(text);
	mcu_metric_set(s, INFINITY);
	text = render(m);
	assert_non_null(strstr(text, "} +Inf\n"));
	free(text);
	mcu_metric_set(s, 0.1);
	text = render(m);
	assert_non_null(strstr(text, "} 0.1\n"));
	free(text);
	mcu_metric_set(s, 1.0 / 3.0);
	text = render(m);
	assert_non_null(strstr(text, "} 0.33333333333333331\n"));
	free(text);
	mcu_metric_put(s);
	mcu_metrics_free(m);
}

static void histogram_buckets(void **state)
{
	struct mcu_metrics *m = NULL;
	struct mcu_metric_family *h;
	static const char *const lab[] = {"stage", NULL};
	static const double b[] = {0.001, 0.01, 0.1};
	const char *v[] = {"encode"};
	struct mcu_metric *s;
	char *text;
	(void)state;

	assert_int_equal(mcu_metrics_alloc(&m), 0);
	assert_int_equal(mcu_metrics_register(m, MCU_METRIC_HISTOGRAM,
	                                      "mcu_stage_seconds", "Stage.",
	                                      lab, b, 3, &h),
	                 0);
	s = mcu_metric_get(h, v, 1);
	mcu_metric_observe(s, 0.0005);
	mcu_metric_observe(s, 0.001); /* le: on the bound counts in it */
	mcu_metric_observe(s, 0.05);
	mcu_metric_observe(s, 2.0);
	mcu_metric_observe(s, NAN); /* ignored */
	mcu_metric_set(s, 5);       /* wrong type: ignored */
	text = render(m);
	assert_string_equal(
		text,
		"# HELP mcu_stage_seconds Stage.\n"
		"# TYPE mcu_stage_seconds histogram\n"
		"mcu_stage_seconds_bucket{stage=\"encode\",le=\"0.001\"} 2\n"
		"mcu_stage_seconds_bucket{stage=\"encode\",le=\"0.01\"} 2\n"
		"mcu_stage_seconds_bucket{stage=\"encode\",le=\"0.1\"} 3\n"
		"mcu_stage_seconds_bucket{stage=\"encode\",le=\"+Inf\"} 4\n"
		"mcu_stage_seconds_sum{stage=\"encode\"} 2.0515\n"
		"mcu_stage_seconds_count{stage=\"encode\"} 4\n");
	free(text);
	mcu_metric_put(s);
	mcu_metrics_free(m);
}

static void histogram_without_labels(void **state)
{
	struct mcu_metrics *m = NULL;
	struct mcu_metric_family *h;
	static const double b[] = {1};
	char *text;
	(void)state;

	assert_int_equal(mcu_metrics_alloc(&m), 0);
	assert_int_equal(mcu_metrics_register(m, MCU_METRIC_HISTOGRAM,
	                                      "mcu_t_seconds", "T.", NULL, b,
	                                      1, &h),
	                 0);
	text = render(m);
	assert_string_equal(text, "# HELP mcu_t_seconds T.\n"
	                          "# TYPE mcu_t_seconds histogram\n"
	                          "mcu_t_seconds_bucket{le=\"1\"} 0\n"
	                          "mcu_t_seconds_bucket{le=\"+Inf\"} 0\n"
	                          "mcu_t_seconds_sum 0\n"
	                          "mcu_t_seconds_count 0\n");
	free(text);
	mcu_metrics_free(m);
}

static void naming_rules(void **state)
{
	struct mcu_metrics *m = NULL;
	static const char *const le[] = {"le", NULL};
	static const char *const dup[] = {"a", "a", NULL};
	static const char *const bad[] = {"1a", NULL};
	static const char *const res[] = {"__x", NULL};
	static const double b[] = {1, 2}, nb[] = {2, 1};
	(void)state;

	assert_int_equal(mcu_metrics_alloc(&m), 0);
	/* counters end in _total; everything starts with mcu_ */
	assert_int_equal(mcu_metrics_register(m, MCU_METRIC_COUNTER,
	                                      "mcu_packets", "x", NULL, NULL,
	                                      0, NULL),
	                 EINVAL);
	assert_int_equal(mcu_metrics_register(m, MCU_METRIC_GAUGE, "x_seconds",
	                                      "x", NULL, NULL, 0, NULL),
	                 EINVAL);
	assert_int_equal(mcu_metrics_register(m, MCU_METRIC_GAUGE,
	                                      "mcu_a-b", "x", NULL, NULL, 0,
	                                      NULL),
	                 EINVAL);
	assert_int_equal(mcu_metrics_register(m, MCU_METRIC_HISTOGRAM,
	                                      "mcu_h_seconds", "x", le, b, 2,
	                                      NULL),
	                 EINVAL);
	assert_int_equal(mcu_metrics_register(m, MCU_METRIC_GAUGE, "mcu_g",
	                                      "x", dup, NULL, 0, NULL),
	                 EINVAL);
	assert_int_equal(mcu_metrics_register(m, MCU_METRIC_GAUGE, "mcu_g",
	                                      "x", bad, NULL, 0, NULL),
	                 EINVAL);
	assert_int_equal(mcu_metrics_register(m, MCU_METRIC_GAUGE, "mcu_g",
	                                      "x", res, NULL, 0, NULL),
	                 EINVAL);
	assert_int_equal(mcu_metrics_register(m, MCU_METRIC_HISTOGRAM,
	                                      "mcu_h_seconds", "x", NULL, nb,
	                                      2, NULL),
	                 EINVAL);
	assert_int_equal(mcu_metrics_register(m, MCU_METRIC_HISTOGRAM,
	                                      "mcu_h_seconds", "x", NULL, NULL,
	                                      0, NULL),
	                 EINVAL);
	assert_int_equal(mcu_metrics_register(m, MCU_METRIC_GAUGE, "mcu_g",
	                                      "x", NULL, b, 2, NULL),
	                 EINVAL);
	assert_int_equal(mcu_metrics_register(m, MCU_METRIC_GAUGE, "mcu_g",
	                                      "x", NULL, NULL, 0, NULL),
	                 0);
	assert_int_equal(mcu_metrics_register(m, MCU_METRIC_GAUGE, "mcu_g",
	                                      "y", NULL, NULL, 0, NULL),
	                 EEXIST);
	assert_non_null(mcu_metrics_find(m, "mcu_g"));
	assert_null(mcu_metrics_find(m, "mcu_h"));
	mcu_metrics_free(m);
}

static void remove_while_held(void **state)
{
	struct mcu_metrics *m = NULL;
	struct mcu_metric_family *g;
	static const char *const lab[] = {"endpoint", NULL};
	const char *a[] = {"a"}, *b[] = {"b"};
	struct mcu_metric *sa, *sb;
	char *text;
	(void)state;

	assert_int_equal(mcu_metrics_alloc(&m), 0);
	assert_int_equal(mcu_metrics_register(m, MCU_METRIC_GAUGE, "mcu_fps",
	                                      "F.", lab, NULL, 0, &g),
	                 0);
	sa = mcu_metric_get(g, a, 1);
	sb = mcu_metric_get(g, b, 1);
	mcu_metric_set(sa, 30);
	mcu_metric_set(sb, 25);
	mcu_metric_remove(sa);
	mcu_metric_remove(sa); /* twice: harmless */
	mcu_metric_set(sa, 29); /* the holder may still update */
	text = render(m);
	assert_null(strstr(text, "endpoint=\"a\""));
	assert_non_null(strstr(text, "mcu_fps{endpoint=\"b\"} 25\n"));
	free(text);
	mcu_metric_put(sa);
	/* a new series under the old values starts from zero */
	sa = mcu_metric_get(g, a, 1);
	text = render(m);
	assert_non_null(strstr(text, "mcu_fps{endpoint=\"a\"} 0\n"));
	free(text);
	mcu_metric_put(sa);
	mcu_metric_put(sb);
	mcu_metrics_free(m);
}

struct hammer {
	struct mcu_metric *c, *h;
};

static void *hammer_thread(void *arg)
{
	struct hammer *hm = arg;
	for (int i = 0; i < 100000; i++) {
		mcu_metric_inc(hm->c);
		mcu_metric_observe(hm->h, 0.5);
	}
	return NULL;
}

static void concurrent_updates(void **state)
{
	struct mcu_metrics *m = NULL;
	struct mcu_metric_family *c, *h;
	static const double b[] = {1};
	struct hammer hm;
	pthread_t t[4];
	char *text;
	(void)state;

	assert_int_equal(mcu_metrics_alloc(&m), 0);
	assert_int_equal(mcu_metrics_register(m, MCU_METRIC_COUNTER,
	                                      "mcu_n_total", "N.", NULL, NULL,
	                                      0, &c),
	                 0);
	assert_int_equal(mcu_metrics_register(m, MCU_METRIC_HISTOGRAM,
	                                      "mcu_h_seconds", "H.", NULL, b, 1,
	                                      &h),
	                 0);
	hm.c = mcu_metric_get(c, NULL, 0);
	hm.h = mcu_metric_get(h, NULL, 0);
	for (int i = 0; i < 4; i++)
		assert_int_equal(pthread_create(&t[i], NULL, hammer_thread,
		                                &hm),
		                 0);
	for (int i = 0; i < 4; i++) {
		text = render(m); /* renders race with updates */
		free(text);
	}
	for (int i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	text = render(m);
	assert_non_null(strstr(text, "mcu_n_total 400000\n"));
	assert_non_null(strstr(text, "mcu_h_seconds_count 400000\n"));
	assert_non_null(strstr(text, "mcu_h_seconds_sum 200000\n"));
	free(text);
	mcu_metric_put(hm.c);
	mcu_metric_put(hm.h);
	mcu_metrics_free(m);
}

static int collected;

static void collect(void *arg)
{
	struct mcu_metric_family *g = arg;
	struct mcu_metric *s = mcu_metric_get(g, NULL, 0);
	mcu_metric_set(s, ++collected);
	mcu_metric_put(s);
}

static void collect_hook(void **state)
{
	struct mcu_metrics *m = NULL;
	struct mcu_metric_family *g;
	char *text;
	(void)state;

	assert_int_equal(mcu_metrics_alloc(&m), 0);
	assert_int_equal(mcu_metrics_register(m, MCU_METRIC_GAUGE, "mcu_c",
	                                      "C.", NULL, NULL, 0, &g),
	                 0);
	assert_int_equal(mcu_metrics_on_collect(m, collect, g), 0);
	text = render(m);
	assert_non_null(strstr(text, "mcu_c 1\n"));
	free(text);
	text = render(m);
	assert_non_null(strstr(text, "mcu_c 2\n"));
	free(text);
	mcu_metrics_free(m);
}

static void engine_families(void **state)
{
	struct mcu_metrics *m = NULL;
	struct mcu_metrics_engine e;
	const char *v[] = {"m", "e", "audio", "in"};
	struct mcu_metric *s;
	char *text;
	(void)state;

	assert_int_equal(mcu_metrics_alloc(&m), 0);
	assert_int_equal(mcu_metrics_register_engine(m, &e), 0);
	assert_int_equal(mcu_metrics_register_engine(m, &e), EEXIST);
	s = mcu_metric_get(e.bitrate, v, 4);
	assert_non_null(s);
	mcu_metric_set(s, 64000);
	mcu_metric_put(s);
	text = render(m);
	static const char *const names[] = {
		MCU_M_PARTICIPANT_PACKETS_RECEIVED, MCU_M_PARTICIPANT_PACKETS_LOST,
		MCU_M_PARTICIPANT_JITTER, MCU_M_PARTICIPANT_RTT,
		MCU_M_PARTICIPANT_FPS, MCU_M_PARTICIPANT_BITRATE,
		MCU_M_PARTICIPANT_AUDIO_LEVEL, MCU_M_MEETING_PARTICIPANTS,
		MCU_M_MEETING_ENCODERS, MCU_M_MEETING_DECODERS,
		MCU_M_TICK_LATENESS, MCU_M_STAGE,
	};
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		char line[160];
		snprintf(line, sizeof(line), "# TYPE %s ", names[i]);
		assert_non_null(strstr(text, line));
	}
	/* by kind: no series until a meeting's tick observes one */
	assert_non_null(strstr(text, "# TYPE mcu_tick_lateness_seconds "
	                             "histogram\n"));
	assert_non_null(strstr(text, "mcu_participant_bitrate_bytes_per_second{"
	                             "meeting=\"m\",endpoint=\"e\",media=\""
	                             "audio\",direction=\"in\"} 64000\n"));
	free(text);
	mcu_metrics_free(m);
}

const struct CMUnitTest tests[] = {
	cmocka_unit_test(exposition_exact),
	cmocka_unit_test(label_escaping),
	cmocka_unit_test(histogram_buckets),
	cmocka_unit_test(histogram_without_labels),
	cmocka_unit_test(naming_rules),
	cmocka_unit_test(remove_while_held),
	cmocka_unit_test(concurrent_updates),
	cmocka_unit_test(collect_hook),
	cmocka_unit_test(engine_families),
};

MCU_TEST_MAIN(tests, NULL, NULL)
