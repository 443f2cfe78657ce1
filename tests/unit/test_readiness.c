/* test-libs: mcu_core mcu_conf */
#include "tests/unit/testutil.h"
#include "mcu/readiness.h"
#include "mcu/csv.h"

#include <jansson.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define SEC    1000000LL
#define BIT(k) (1u << (k))

/* An endpoint whose counters the test moves forward second by second:
 * 25 fps H.264 in ~40 packets/s, 50 Opus packets/s at -20 dBov. */
struct sim {
	struct mcu_readiness_part *p;
	struct mcu_readiness_obs o;
	int64_t now;
	unsigned vpps, apps;   /* packets per second */
	unsigned vloss, aloss; /* lost per second */
	struct mcu_readiness_result res;
};

static void sim_init(struct sim *s)
{
	memset(s, 0, sizeof(*s));
	assert_int_equal(mcu_readiness_part_alloc(&s->p), 0);
	s->o.state = MCU_PART_CONNECTED;
	s->o.has_video = s->o.has_audio = true;
	s->o.decoding = true;
	s->o.fps = 25;
	s->o.width = 640;
	s->o.height = 360;
	s->o.level_dbov = -20;
	s->o.vjitter_ms = 5;
	s->o.ajitter_ms = 2;
	s->o.rtt_ms = -1;
	s->vpps = 40;
	s->apps = 50;
	s->now = 1000 * SEC;
}

static void sim_free(struct sim *s)
{
	s->p = mcu_readiness_part_free(s->p);
}

/* n seconds of samples, one a second. */
static void run(struct sim *s, int n)
{
	for (int i = 0; i < n; i++) {
		s->now += SEC;
		if (s->o.state == MCU_PART_CONNECTED) {
			s->o.vin_packets += s->o.has_video ? s->vpps : 0;
			s->o.vin_lost += s->o.has_video ? s->vloss : 0;
			s->o.ain_packets += s->o.has_audio ? s->apps : 0;
			s->o.ain_lost += s->o.has_audio ? s->aloss : 0;
		}
		mcu_readiness_part_step(s->p, &s->o, s->now, &s->res);
	}
}

static void assert_ready(const struct sim *s)
{
	assert_int_equal(s->res.verdict, MCU_READINESS_READY);
	assert_int_equal(s->res.reasons, 0);
}

static void assert_not_ready(const struct sim *s, unsigned reasons)
{
	assert_int_equal(s->res.verdict, MCU_READINESS_NOT_READY);
	assert_int_equal(s->res.reasons, reasons);
}

static void good_endpoint_checking_then_ready(void **state)
{
	struct sim s;
	(void)state;
	sim_init(&s);
	run(&s, 3);
	assert_int_equal(s.res.verdict, MCU_READINESS_CHECKING);
	run(&s, 3);
	assert_ready(&s);
	assert_true(s.res.fig.connected);
	assert_true(s.res.fig.video_pps > 39 && s.res.fig.video_pps < 41);
	assert_true(s.res.fig.audio_pps > 49 && s.res.fig.audio_pps < 51);
	assert_true(s.res.fig.video_fps == 25);
	assert_true(s.res.fig.level_dbov == -20);
	assert_true(s.res.fig.video_loss == 0 && s.res.fig.audio_loss == 0);
	assert_true(s.res.fig.rtt_ms < 0); /* unknown: no check */
	assert_int_equal(s.res.fig.width, 640);
	sim_free(&s);
}

static void audio_only_is_no_video(void **state)
{
	struct sim s;
	(void)state;
	sim_init(&s);
	s.o.has_video = false;
	s.o.decoding = false;
	s.o.fps = 0;
	run(&s, 6);
	assert_not_ready(&s, BIT(MCU_READINESS_NO_VIDEO));
	/* video negotiated but nothing arrives: the same */
	sim_free(&s);
	sim_init(&s);
	s.vpps = 0;
	s.o.fps = 0;
	run(&s, 6);
	assert_not_ready(&s, BIT(MCU_READINESS_NO_VIDEO));
	sim_free(&s);
}

static void low_fps_only_when_decoded(void **state)
{
	struct sim s;
	(void)state;
	sim_init(&s);
	s.o.fps = 5;
	run(&s, 6);
	assert_not_ready(&s, BIT(MCU_READINESS_LOW_FPS));
	s.o.fps = 10; /* at the limit is enough */
	run(&s, 1);
	assert_ready(&s);
	/* a source nobody sees is not decoded: its rate is unknown */
	s.o.decoding = false;
	s.o.fps = 0;
	run(&s, 1);
	assert_ready(&s);
	assert_true(s.res.fig.video_fps < 0);
	sim_free(&s);
}

static void silence_or_no_packets_is_no_audio(void **state)
{
	struct sim s;
	(void)state;
	sim_init(&s);
	s.o.level_dbov = -80;
	run(&s, 12);
	assert_not_ready(&s, BIT(MCU_READINESS_NO_AUDIO));
	/* one loud sample within 10 s is enough (people pause) */
	s.o.level_dbov = -25;
	run(&s, 1);
	assert_ready(&s);
	s.o.level_dbov = -80;
	run(&s, 8);
	assert_ready(&s);
	run(&s, 4);
	assert_not_ready(&s, BIT(MCU_READINESS_NO_AUDIO));
	sim_free(&s);

	sim_init(&s);
	s.apps = 2; /* DTX-like trickle */
	run(&s, 6);
	assert_not_ready(&s, BIT(MCU_READINESS_NO_AUDIO));
	sim_free(&s);

	sim_init(&s);
	s.o.has_audio = false;
	run(&s, 6);
	assert_not_ready(&s, BIT(MCU_READINESS_NO_AUDIO));
	sim_free(&s);
}

static void loss_jitter_rtt_limits(void **state)
{
	struct sim s;
	(void)state;
	sim_init(&s);
	s.aloss = 3; /* 3 of 53: 5.7 % */
	run(&s, 6);
	assert_not_ready(&s, BIT(MCU_READINESS_LOSS));
	assert_true(s.res.fig.audio_loss > 0.05 && s.res.fig.audio_loss < 0.06);
	s.aloss = 1; /* 1 of 51: 2 % */
	run(&s, 6);
	assert_ready(&s);
	s.vloss = 4; /* 4 of 44: 9 % */
	run(&s, 6);
	assert_not_ready(&s, BIT(MCU_READINESS_LOSS));
	s.vloss = 0;
	run(&s, 6);
	assert_ready(&s);

	s.o.vjitter_ms = 60;
	run(&s, 1);
	assert_not_ready(&s, BIT(MCU_READINESS_JITTER));
	s.o.vjitter_ms = 5;
	s.o.rtt_ms = 450;
	run(&s, 1);
	assert_not_ready(&s, BIT(MCU_READINESS_RTT));
	s.o.rtt_ms = 40;
	s.o.ajitter_ms = 41;
	run(&s, 1);
	assert_not_ready(&s, BIT(MCU_READINESS_JITTER));
	s.o.ajitter_ms = 39;
	run(&s, 1);
	assert_ready(&s);
	assert_true(s.res.fig.rtt_ms == 40);
	sim_free(&s);
}

static void too_few_packets_is_unknown_loss(void **state)
{
	struct sim s;
	(void)state;
	sim_init(&s);
	s.o.has_video = false;
	s.apps = 3;
	s.aloss = 1;
	run(&s, 6);
	/* 20 expected over 5 s: loss is known (25 %) */
	assert_true(s.res.fig.audio_loss > 0.2);
	assert_true(s.res.reasons & BIT(MCU_READINESS_LOSS));
	s.apps = 1;
	s.aloss = 1;
	run(&s, 6); /* 10 expected: unknown */
	assert_true(s.res.fig.audio_loss < 0);
	assert_false(s.res.reasons & BIT(MCU_READINESS_LOSS));
	sim_free(&s);
}

static void no_answer_and_final(void **state)
{
	struct sim s;
	struct mcu_readiness_result fin;
	(void)state;
	sim_init(&s);
	s.o.state = MCU_PART_DIALING;
	run(&s, 3);
	assert_not_ready(&s, BIT(MCU_READINESS_NO_ANSWER));
	assert_false(s.res.fig.connected);
	assert_false(mcu_readiness_part_final(s.p, &fin));
	assert_int_equal(fin.verdict, MCU_READINESS_NOT_READY);
	assert_int_equal(fin.reasons, BIT(MCU_READINESS_NO_ANSWER));

	/* answers, is judged ready, hangs up: live says no-answer, the
	 * final report says ready with the figures it had */
	s.o.state = MCU_PART_CONNECTED;
	run(&s, 7);
	assert_ready(&s);
	s.o.state = MCU_PART_DISCONNECTED;
	run(&s, 2);
	assert_not_ready(&s, BIT(MCU_READINESS_NO_ANSWER));
	assert_true(mcu_readiness_part_final(s.p, &fin));
	assert_int_equal(fin.verdict, MCU_READINESS_READY);
	assert_true(fin.fig.video_fps == 25);

	/* back, judged not ready: that is final now */
	s.o.state = MCU_PART_CONNECTED;
	s.o.has_video = false;
	run(&s, 7);
	assert_not_ready(&s, BIT(MCU_READINESS_NO_VIDEO));
	assert_true(mcu_readiness_part_final(s.p, &fin));
	assert_int_equal(fin.verdict, MCU_READINESS_NOT_READY);
	assert_int_equal(fin.reasons, BIT(MCU_READINESS_NO_VIDEO));
	sim_free(&s);
}

static void brief_answer_is_not_ready(void **state)
{
	struct sim s;
	struct mcu_readiness_result fin;
	(void)state;
	sim_init(&s);
	run(&s, 2);
	assert_int_equal(s.res.verdict, MCU_READINESS_CHECKING);
	assert_true(mcu_readiness_part_final(s.p, &fin));
	assert_int_equal(fin.verdict, MCU_READINESS_NOT_READY);
	assert_int_equal(fin.reasons, BIT(MCU_READINESS_NO_ANSWER));
	sim_free(&s);
}

static void new_leg_restarts_the_window(void **state)
{
	struct sim s;
	(void)state;
	sim_init(&s);
	run(&s, 6);
	assert_ready(&s);
	s.o.vin_packets = s.o.ain_packets = 0; /* called again */
	run(&s, 2);
	assert_int_equal(s.res.verdict, MCU_READINESS_CHECKING);
	run(&s, 4);
	assert_ready(&s);
	sim_free(&s);
}

static void limits_table(void **state)
{
	(void)state;
	for (int c = 0; c < MCU_READINESS_CHECKS; c++) {
		const struct mcu_readiness_limit *l = &mcu_readiness_limits[c];
		assert_true(l->measure && l->measure[0]);
		assert_true(l->unit && l->unit[0]);
		assert_true(mcu_readiness_reason_name(l->reason)[0]);
	}
	assert_string_equal(mcu_readiness_reason_name(MCU_READINESS_NO_VIDEO),
	                    "no-video");
	assert_string_equal(mcu_readiness_reason_name(MCU_READINESS_REASONS),
	                    "");
	assert_true(mcu_readiness_limits[MCU_READINESS_CHK_FPS].value == 10);
	assert_true(mcu_readiness_limits[MCU_READINESS_CHK_LOSS].value == 3);
}

/* ---- the reports ---- */

static void inputs(struct mcu_readiness_input in[3], struct sim s[3])
{
	static const char *const ids[] = {"host", "b1", "b2"};
	static const char *const techs[] = {"Nguyễn Văn A", "Trần Thị B",
	                                    "Lê Văn \"C\", kỹ thuật"};
	for (int i = 0; i < 3; i++) {
		memset(&in[i], 0, sizeof(in[i]));
		in[i].endpoint = ids[i];
		in[i].name = ids[i];
		in[i].host = i == 0;
		in[i].tech_name = techs[i];
		in[i].tech_phone = "0900 000 001";
		in[i].obs = s[i].o;
	}
}

static void feed_seconds(struct mcu_readiness *r, struct sim s[3], int n,
                         time_t *wall)
{
	struct mcu_readiness_input in[3];
	for (int k = 0; k < n; k++) {
		for (int i = 0; i < 3; i++) {
			s[i].now += SEC;
			if (s[i].o.state != MCU_PART_CONNECTED)
				continue;
			s[i].o.vin_packets += s[i].o.has_video ? s[i].vpps : 0;
			s[i].o.ain_packets += s[i].apps;
		}
		inputs(in, s);
		(*wall)++;
		mcu_readiness_feed(r, "m1", "2026-12-04", in, 3, s[0].now,
		                   *wall);
	}
}

static const json_t *endpoint_of(const json_t *rep, const char *id)
{
	size_t i;
	json_t *e;
	json_array_foreach(json_object_get(rep, "endpoints"), i, e)
	{
		if (!strcmp(json_string_value(json_object_get(e, "endpoint")),
		            id))
			return e;
	}
	fail_msg("no endpoint %s", id);
	return NULL;
}

static void report_json_csv_and_logbook(void **state)
{
	char dir[] = "/tmp/mcu-readiness-XXXXXX", db[256], cmd[300];
	struct mcu_logbook *lb = NULL;
	struct mcu_readiness *r = NULL;
	struct sim s[3];
	time_t wall = 1796371200;
	json_t *rep, *e;
	char *text;
	size_t len;
	int status = 0;
	(void)state;

	assert_non_null(mkdtemp(dir));
	snprintf(db, sizeof(db), "%s/logbook.db", dir);
	assert_int_equal(mcu_logbook_open(&lb, db, NULL), 0);
	struct mcu_readiness_opts o = {NULL, lb};
	assert_int_equal(mcu_readiness_alloc(&r, &o), 0);

	assert_null(mcu_readiness_json(r, "m1", &status));
	assert_int_equal(status, 404);
	assert_int_equal(mcu_readiness_csv(r, "m1", false, &text, &len),
	                 ENOENT);

	for (int i = 0; i < 3; i++)
		sim_init(&s[i]);
	s[2].o.has_video = false; /* audio only */
	feed_seconds(r, s, 6, &wall);

	rep = mcu_readiness_json(r, "m1", &status);
	assert_non_null(rep);
	assert_int_equal(status, 200);
	assert_string_equal(
	    json_string_value(json_object_get(rep, "test_date")), "2026-12-04");
	assert_false(json_boolean_value(json_object_get(rep, "final")));
	assert_int_equal(json_integer_value(json_object_get(rep, "ready")), 2);
	assert_int_equal(json_integer_value(json_object_get(rep, "not_ready")),
	                 1);
	assert_int_equal(json_array_size(json_object_get(rep, "limits")),
	                 MCU_READINESS_CHECKS);
	e = (json_t *)endpoint_of(rep, "b2");
	assert_string_equal(json_string_value(json_object_get(e, "verdict")),
	                    "not-ready");
	assert_int_equal(json_array_size(json_object_get(e, "reasons")), 1);
	assert_string_equal(
	    json_string_value(json_array_get(json_object_get(e, "reasons"), 0)),
	    "no-video");
	assert_string_equal(json_string_value(json_object_get(
	                        json_object_get(e, "technician"), "phone")),
	                    "0900 000 001");
	e = (json_t *)endpoint_of(rep, "b1");
	assert_true(json_boolean_value(json_object_get(e, "ready")));
	assert_true(json_real_value(json_object_get(json_object_get(e, "video"),
	                                            "fps")) == 25.0);
	json_decref(rep);

	assert_int_equal(mcu_readiness_csv(r, "m1", false, &text, &len), 0);
	assert_non_null(strstr(text, "Mã điểm cầu,Tên điểm cầu"));
	assert_non_null(
	    strstr(text, "\r\nb2,b2,Nhánh,Chưa sẵn sàng,no-video,"));
	assert_non_null(
	    strstr(text, "\r\nb1,b1,Nhánh,Sẵn sàng,,25.0,640x360,"));
	/* a technician's name with a quote and a comma stays one field */
	assert_non_null(
	    strstr(text, ",\"Lê Văn \"\"C\"\", kỹ thuật\",0900 000 001\r\n"));
	free(text);
	assert_int_equal(mcu_readiness_csv(r, "m1", true, &text, &len), 0);
	assert_int_equal(
	    strncmp(text, "endpoint,name,role,verdict,reasons,", 35), 0);
	assert_non_null(strstr(text, "\r\nhost,host,host,ready,,"));
	free(text);

	/* b1 hangs up after its check: it stays ready in the final report */
	s[1].o.state = MCU_PART_DISCONNECTED;
	feed_seconds(r, s, 2, &wall);
	rep = mcu_readiness_json(r, "m1", &status);
	e = (json_t *)endpoint_of(rep, "b1");
	assert_string_equal(
	    json_string_value(json_array_get(json_object_get(e, "reasons"), 0)),
	    "no-answer");
	json_decref(rep);
	mcu_readiness_end(r, "m1", ++wall);
	mcu_readiness_end(r, "m1", ++wall); /* twice: nothing more */
	rep = mcu_readiness_json(r, "m1", &status);
	assert_true(json_boolean_value(json_object_get(rep, "final")));
	assert_int_equal(json_integer_value(json_object_get(rep, "ready")), 2);
	e = (json_t *)endpoint_of(rep, "b1");
	assert_true(json_boolean_value(json_object_get(e, "ready")));
	json_decref(rep);

	/* stored: one row per endpoint, keyed by meeting and date */
	mcu_logbook_flush(lb);
	sqlite3 *sq;
	sqlite3_stmt *st;
	assert_int_equal(sqlite3_open(db, &sq), SQLITE_OK);
	assert_int_equal(
	    sqlite3_prepare_v2(sq,
	                       "SELECT endpoint, ready, reasons, technician,"
	                       " phone, figures FROM readiness WHERE"
	                       " meeting_id = 'm1' AND test_date ="
	                       " '2026-12-04' ORDER BY endpoint",
	                       -1, &st, NULL),
	    SQLITE_OK);
	const char *want[][3] = {
	    {"b1", "1", ""}, {"b2", "0", "no-video"}, {"host", "1", ""}};
	for (int i = 0; i < 3; i++) {
		assert_int_equal(sqlite3_step(st), SQLITE_ROW);
		assert_string_equal((const char *)sqlite3_column_text(st, 0),
		                    want[i][0]);
		assert_int_equal(sqlite3_column_int(st, 1), atoi(want[i][1]));
		assert_string_equal((const char *)sqlite3_column_text(st, 2),
		                    want[i][2]);
		assert_string_equal((const char *)sqlite3_column_text(st, 4),
		                    "0900 000 001");
		json_t *fj = json_loads(
		    (const char *)sqlite3_column_text(st, 5), 0, NULL);
		assert_non_null(fj);
		json_decref(fj);
	}
	assert_int_equal(sqlite3_step(st), SQLITE_DONE);
	sqlite3_finalize(st);
	sqlite3_close(sq);

	/* a second test run on another day starts a new report */
	struct mcu_readiness_input in[3];
	inputs(in, s);
	mcu_readiness_feed(r, "m1", "2026-12-05", in, 3, s[0].now + SEC,
	                   ++wall);
	rep = mcu_readiness_json(r, "m1", &status);
	assert_string_equal(
	    json_string_value(json_object_get(rep, "test_date")), "2026-12-05");
	assert_false(json_boolean_value(json_object_get(rep, "final")));
	json_decref(rep);

	r = mcu_readiness_free(r);
	lb = mcu_logbook_close(lb);
	for (int i = 0; i < 3; i++)
		sim_free(&s[i]);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
}

/* The CSV field writer the report and the API's exports share. */
static void csv_field_quoting(void **state)
{
	(void)state;
	const char *in[] = {NULL,         "",           "plain", "a,b",
	                    "say \"hi\"", "two\nlines", "cr\r"};
	const char *out[] = {"",
	                     "",
	                     "plain",
	                     "\"a,b\"",
	                     "\"say \"\"hi\"\"\"",
	                     "\"two\nlines\"",
	                     "\"cr\r\""};
	for (size_t i = 0; i < sizeof(in) / sizeof(in[0]); i++) {
		char *buf = NULL;
		size_t len = 0;
		FILE *f = open_memstream(&buf, &len);
		assert_non_null(f);
		mcu_csv_field(f, in[i]);
		assert_int_equal(fclose(f), 0);
		assert_string_equal(buf, out[i]);
		free(buf);
	}
}

const struct CMUnitTest tests[] = {
    cmocka_unit_test(good_endpoint_checking_then_ready),
    cmocka_unit_test(audio_only_is_no_video),
    cmocka_unit_test(low_fps_only_when_decoded),
    cmocka_unit_test(silence_or_no_packets_is_no_audio),
    cmocka_unit_test(loss_jitter_rtt_limits),
    cmocka_unit_test(too_few_packets_is_unknown_loss),
    cmocka_unit_test(no_answer_and_final),
    cmocka_unit_test(brief_answer_is_not_ready),
    cmocka_unit_test(new_leg_restarts_the_window),
    cmocka_unit_test(limits_table),
    cmocka_unit_test(report_json_csv_and_logbook),
    cmocka_unit_test(csv_field_quoting),
};

MCU_TEST_MAIN(tests, NULL, NULL)
