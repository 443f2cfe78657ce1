/* test-libs: mcu_core mcu_conf */
#include "tests/unit/testutil.h"
#include "mcu/watch.h"
#include "mcu/partinfo.h"

#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define SEC    1000000LL
#define BIT(k) (1u << (k))

/* A participant whose counters the test moves forward second by second. */
struct sim {
	struct mcu_watch_part *p;
	struct mcu_watch_obs o;
	int64_t now;
	unsigned raised[MCU_WATCH_KINDS], cleared[MCU_WATCH_KINDS];
	unsigned joins, leaves;
	struct mcu_watch_step last;
	char raised_detail[MCU_WATCH_KINDS][128]; /* at the latest raise */
};

static void sim_init(struct sim *s)
{
	memset(s, 0, sizeof(*s));
	assert_int_equal(mcu_watch_part_alloc(&s->p), 0);
	s->o.state = MCU_PART_DISCONNECTED;
	s->o.has_video = s->o.has_audio = true;
	s->o.rtt_ms = -1;
	s->now = 1000 * SEC;
}

static void sim_free(struct sim *s)
{
	s->p = mcu_watch_part_free(s->p);
}

static void count(struct sim *s, const struct mcu_watch_step *st)
{
	for (int k = 0; k < MCU_WATCH_KINDS; k++) {
		s->raised[k] += !!(st->raised & BIT(k));
		if (st->raised & BIT(k))
			memcpy(s->raised_detail[k], st->detail[k],
			       sizeof(s->raised_detail[k]));
		s->cleared[k] += !!(st->cleared & BIT(k));
	}
	s->joins += st->joined;
	s->leaves += st->left;
	s->last = *st;
}

/* One second: vp video packets of which vl lost, ap/al audio. */
static struct mcu_watch_step *sim_sec(struct sim *s, unsigned vp, unsigned vl,
                                      unsigned ap, unsigned al)
{
	s->now += SEC;
	s->o.vin_packets += vp - vl;
	s->o.vin_lost += vl;
	s->o.ain_packets += ap - al;
	s->o.ain_lost += al;
	struct mcu_watch_step st;
	mcu_watch_part_step(s->p, &s->o, s->now, &st);
	count(s, &st);
	return &s->last;
}

/* n seconds of steady media with `vloss` video packets lost per 100. */
static void sim_run(struct sim *s, int n, unsigned vloss)
{
	for (int i = 0; i < n; i++)
		sim_sec(s, 100, vloss, 50, 0);
}

static void sim_connect(struct sim *s)
{
	s->o.state = MCU_PART_CONNECTED;
	sim_sec(s, 100, 0, 50, 0);
	assert_true(s->last.joined);
}

static void join_leave_diffing(void **state)
{
	struct sim s;
	(void)state;
	sim_init(&s);
	sim_sec(&s, 0, 0, 0, 0); /* disconnected: nothing */
	assert_int_equal(s.joins + s.leaves, 0);
	sim_connect(&s);
	sim_run(&s, 3, 0);
	assert_int_equal(s.joins, 1); /* once, not each second */
	assert_true(mcu_watch_part_present(s.p));

	s.o.state = MCU_PART_FAILED;
	sim_sec(&s, 0, 0, 0, 0);
	assert_true(s.last.left);
	assert_string_equal(s.last.leave_reason, "failed");
	assert_true(s.last.raised & BIT(MCU_WATCH_CONNECTION_LOST));
	assert_string_equal(s.last.detail[MCU_WATCH_CONNECTION_LOST], "failed");
	s.o.state = MCU_PART_DIALING; /* redialled: still away, no news */
	sim_sec(&s, 0, 0, 0, 0);
	assert_int_equal(s.leaves, 1);
	assert_int_equal(s.raised[MCU_WATCH_CONNECTION_LOST], 1);

	/* A new call: its counters start from zero. */
	s.o = (struct mcu_watch_obs){.state = MCU_PART_CONNECTED,
	                             .has_video = true,
	                             .has_audio = true,
	                             .rtt_ms = -1};
	sim_sec(&s, 100, 0, 50, 0);
	assert_true(s.last.joined);
	assert_true(s.last.cleared & BIT(MCU_WATCH_CONNECTION_LOST));
	assert_int_equal(mcu_watch_part_open(s.p), 0);
	sim_run(&s, 10, 0);
	assert_int_equal(
	    s.raised[MCU_WATCH_PACKET_LOSS] + s.raised[MCU_WATCH_NO_VIDEO], 0);

	s.o.state = MCU_PART_DISCONNECTED;
	sim_sec(&s, 0, 0, 0, 0);
	assert_string_equal(s.last.leave_reason, "disconnected");
	assert_int_equal(s.joins, 2);
	assert_int_equal(s.leaves, 2);
	sim_free(&s);
}

/* An endpoint that never joined is a dial-out matter, not an incident. */
static void never_connected_raises_nothing(void **state)
{
	struct sim s;
	enum mcu_part_state seq[] = {MCU_PART_DISCONNECTED, MCU_PART_DIALING,
	                             MCU_PART_FAILED, MCU_PART_DIALING,
	                             MCU_PART_DISCONNECTED};
	(void)state;
	sim_init(&s);
	for (int r = 0; r < 4; r++)
		for (size_t i = 0; i < sizeof(seq) / sizeof(seq[0]); i++) {
			s.o.state = seq[i];
			sim_sec(&s, 0, 0, 0, 0);
		}
	for (int k = 0; k < MCU_WATCH_KINDS; k++)
		assert_int_equal(s.raised[k], 0);
	assert_int_equal(s.joins + s.leaves, 0);
	sim_free(&s);
}

static void loss_thresholds(void **state)
{
	struct sim s;
	(void)state;
	sim_init(&s);
	sim_connect(&s);
	sim_run(&s, 30, 4); /* 4 %: under the 5 % line */
	assert_int_equal(s.raised[MCU_WATCH_PACKET_LOSS], 0);

	sim_run(&s, 2, 10);
	for (int i = 0; i < 5 && !s.raised[MCU_WATCH_PACKET_LOSS]; i++)
		sim_run(&s, 1, 10);
	assert_int_equal(s.raised[MCU_WATCH_PACKET_LOSS], 1);
	assert_non_null(
	    strstr(s.raised_detail[MCU_WATCH_PACKET_LOSS], "video"));
	assert_true(mcu_watch_part_open(s.p) & BIT(MCU_WATCH_PACKET_LOSS));

	/* Audio counts too. */
	struct sim a;
	sim_init(&a);
	sim_connect(&a);
	for (int i = 0; i < 10; i++)
		sim_sec(&a, 100, 0, 50, 5);
	assert_int_equal(a.raised[MCU_WATCH_PACKET_LOSS], 1);
	assert_non_null(
	    strstr(a.raised_detail[MCU_WATCH_PACKET_LOSS], "audio"));
	sim_free(&a);

	/* Too few packets to judge: 3 of 6 lost is no evidence. */
	struct sim f;
	sim_init(&f);
	sim_connect(&f);
	for (int i = 0; i < 3; i++)
		sim_sec(&f, 6, 3, 5, 0);
	assert_int_equal(f.raised[MCU_WATCH_PACKET_LOSS], 0);
	sim_free(&f);
	sim_free(&s);
}

static void loss_hysteresis_no_flapping(void **state)
{
	struct sim s;
	(void)state;
	sim_init(&s);
	sim_connect(&s);
	sim_run(&s, 5, 0);
	/* Hovering around the line: 4 and 7 % in turn for a minute. */
	for (int i = 0; i < 60; i++)
		sim_run(&s, 1, i % 2 ? 7 : 4);
	assert_int_equal(s.raised[MCU_WATCH_PACKET_LOSS], 1);
	/* 3 %: better, but not under the clear line. */
	sim_run(&s, 30, 3);
	assert_int_equal(s.cleared[MCU_WATCH_PACKET_LOSS], 0);
	/* Clean: cleared, but only after the window is clean for 5 s. */
	int64_t t0 = s.now;
	while (!s.cleared[MCU_WATCH_PACKET_LOSS] && s.now - t0 < 30 * SEC)
		sim_run(&s, 1, 0);
	assert_int_equal(s.cleared[MCU_WATCH_PACKET_LOSS], 1);
	assert_true(s.now - t0 >= 5 * SEC);
	assert_true(s.now - t0 <= 12 * SEC);
	/* A short blip: clean, 1 s of 30 % loss, clean again; one window
	   goes over 5 %, so one incident, cleared once. */
	sim_run(&s, 10, 0);
	sim_run(&s, 1, 30);
	sim_run(&s, 20, 0);
	assert_int_equal(s.raised[MCU_WATCH_PACKET_LOSS], 2);
	assert_int_equal(s.cleared[MCU_WATCH_PACKET_LOSS], 2);
	sim_free(&s);
}

static void no_video_after_five_seconds(void **state)
{
	struct sim s;
	(void)state;
	sim_init(&s);
	sim_connect(&s);
	sim_run(&s, 5, 0);
	/* Video stops, audio goes on. */
	for (int i = 0; i < 4; i++)
		sim_sec(&s, 0, 0, 50, 0);
	assert_int_equal(s.raised[MCU_WATCH_NO_VIDEO], 0);
	sim_sec(&s, 0, 0, 50, 0);
	assert_int_equal(s.raised[MCU_WATCH_NO_VIDEO], 1);
	assert_string_equal(s.last.detail[MCU_WATCH_NO_VIDEO],
	                    "no video for 5 s");
	for (int i = 0; i < 10; i++)
		sim_sec(&s, 0, 0, 50, 0);
	assert_int_equal(s.raised[MCU_WATCH_NO_VIDEO], 1); /* once */
	/* Back, and the sender's sequence numbers counted the gap as lost:
	   that loss is the outage's, not a packet-loss incident. */
	s.o.vin_lost += 1500;
	sim_run(&s, 1, 0);
	assert_int_equal(s.cleared[MCU_WATCH_NO_VIDEO], 1);
	assert_non_null(strstr(s.last.detail[MCU_WATCH_NO_VIDEO], "back"));
	sim_run(&s, 15, 0);
	assert_int_equal(s.raised[MCU_WATCH_PACKET_LOSS], 0);
	assert_int_equal(mcu_watch_part_open(s.p), 0);
	sim_free(&s);
}

static void no_video_needs_video_seen(void **state)
{
	struct sim s;
	(void)state;
	sim_init(&s);
	/* Negotiated video, never sent any: audio-only terminal. */
	s.o.state = MCU_PART_CONNECTED;
	for (int i = 0; i < 20; i++)
		sim_sec(&s, 0, 0, 50, 0);
	assert_int_equal(s.raised[MCU_WATCH_NO_VIDEO], 0);
	sim_free(&s);

	/* No video negotiated at all. */
	sim_init(&s);
	s.o.state = MCU_PART_CONNECTED;
	s.o.has_video = false;
	for (int i = 0; i < 20; i++)
		sim_sec(&s, 0, 0, 50, 0);
	assert_int_equal(s.raised[MCU_WATCH_NO_VIDEO], 0);
	sim_free(&s);
}

static void on_hold_is_not_judged(void **state)
{
	struct sim s;
	(void)state;
	sim_init(&s);
	sim_connect(&s);
	sim_run(&s, 5, 0);
	s.o.state = MCU_PART_ON_HOLD;
	for (int i = 0; i < 20; i++)
		sim_sec(&s, 0, 0, 0, 0);
	assert_int_equal(s.raised[MCU_WATCH_NO_VIDEO], 0);
	assert_int_equal(s.leaves, 0);
	s.o.state = MCU_PART_CONNECTED;
	sim_run(&s, 10, 0);
	assert_int_equal(mcu_watch_part_open(s.p), 0);
	assert_int_equal(s.joins, 1);
	sim_free(&s);
}

static void rtt_sec(struct sim *s, double rtt)
{
	s->o.rtt_ms = rtt;
	sim_run(s, 1, 0);
}

static void rtt_baseline(void **state)
{
	struct sim s;
	double first[] = {10, 12, 11, 90, 10}; /* median 11: one spike */
	(void)state;
	sim_init(&s);
	sim_connect(&s);
	rtt_sec(&s, -1); /* unknown until RTCP says */
	for (size_t i = 0; i < 5; i++)
		rtt_sec(&s, first[i]);
	assert_int_equal(s.raised[MCU_WATCH_RTT], 0);
	/* Twice the baseline but under the 50 ms floor: noise. */
	for (int i = 0; i < 10; i++)
		rtt_sec(&s, 30);
	assert_int_equal(s.raised[MCU_WATCH_RTT], 0);
	/* 60 ms for 2 s, then back: too short. */
	rtt_sec(&s, 60);
	rtt_sec(&s, 60);
	rtt_sec(&s, 12);
	assert_int_equal(s.raised[MCU_WATCH_RTT], 0);
	/* 60 ms held: raised after 3 s. */
	for (int i = 0; i < 4; i++)
		rtt_sec(&s, 60);
	assert_int_equal(s.raised[MCU_WATCH_RTT], 1);
	assert_non_null(strstr(s.raised_detail[MCU_WATCH_RTT], "baseline 11"));
	/* 40 ms: under the raise line, not under the clear line. */
	for (int i = 0; i < 20; i++)
		rtt_sec(&s, i % 2 ? 40 : 55);
	assert_int_equal(s.cleared[MCU_WATCH_RTT], 0);
	assert_int_equal(s.raised[MCU_WATCH_RTT], 1);
	for (int i = 0; i < 4; i++)
		rtt_sec(&s, 12);
	assert_int_equal(s.cleared[MCU_WATCH_RTT], 0);
	for (int i = 0; i < 3; i++)
		rtt_sec(&s, 12);
	assert_int_equal(s.cleared[MCU_WATCH_RTT], 1);
	sim_free(&s);

	/* A high baseline: 100 ms; 180 is not twice, 210 is. */
	sim_init(&s);
	sim_connect(&s);
	for (int i = 0; i < 5; i++)
		rtt_sec(&s, 100);
	for (int i = 0; i < 10; i++)
		rtt_sec(&s, 180);
	assert_int_equal(s.raised[MCU_WATCH_RTT], 0);
	for (int i = 0; i < 5; i++)
		rtt_sec(&s, 210);
	assert_int_equal(s.raised[MCU_WATCH_RTT], 1);
	/* 160 ms is under 2x but not under 1.5x: stays raised. */
	for (int i = 0; i < 10; i++)
		rtt_sec(&s, 160);
	assert_int_equal(s.cleared[MCU_WATCH_RTT], 0);
	for (int i = 0; i < 8; i++)
		rtt_sec(&s, 120);
	assert_int_equal(s.cleared[MCU_WATCH_RTT], 1);
	sim_free(&s);
}

static void samples_at_any_pace(void **state)
{
	struct sim s;
	struct mcu_watch_step st;
	(void)state;
	sim_init(&s);
	sim_connect(&s);
	/* Ten samples a second (the tick also runs on operator wake-ups):
	   the loss window still spans seconds and decides the same. */
	for (int i = 0; i < 100; i++) {
		s.now += SEC / 10;
		s.o.vin_packets += 9;
		s.o.vin_lost += 1;
		s.o.ain_packets += 5;
		mcu_watch_part_step(s.p, &s.o, s.now, &st);
		count(&s, &st);
	}
	assert_int_equal(s.raised[MCU_WATCH_PACKET_LOSS], 1);
	assert_int_equal(s.raised[MCU_WATCH_NO_VIDEO], 0);
	sim_free(&s);
}

static void end_clears_everything(void **state)
{
	struct sim s;
	struct mcu_watch_step st;
	(void)state;
	sim_init(&s);
	sim_connect(&s);
	sim_run(&s, 8, 20);
	assert_true(mcu_watch_part_open(s.p) & BIT(MCU_WATCH_PACKET_LOSS));
	mcu_watch_part_end(s.p, "meeting-ended", &st);
	assert_true(st.left);
	assert_string_equal(st.leave_reason, "meeting-ended");
	assert_true(st.cleared & BIT(MCU_WATCH_PACKET_LOSS));
	assert_int_equal(mcu_watch_part_open(s.p), 0);
	assert_false(mcu_watch_part_present(s.p));
	sim_free(&s);
}

/* ---- the watcher: events and logbook rows ---------------------------- */

struct seen {
	json_t *events; /* [[type, data], ...] */
};

static void on_event(void *arg, const char *type, const json_t *data)
{
	struct seen *s = arg;
	json_array_append_new(s->events,
	                      json_pack("[s,O]", type, (json_t *)data));
}

static json_t *find_event(struct seen *s, const char *type, const char *key,
                          const char *value, size_t nth)
{
	size_t i;
	json_t *e;
	json_array_foreach(s->events, i, e)
	{
		json_t *d = json_array_get(e, 1);
		if (strcmp(json_string_value(json_array_get(e, 0)), type))
			continue;
		const char *v =
		    key ? json_string_value(json_object_get(d, key)) : NULL;
		if (key && (!v || strcmp(v, value)))
			continue;
		if (nth-- == 0)
			return d;
	}
	return NULL;
}

static size_t n_events(struct seen *s, const char *type)
{
	size_t n = 0, i;
	json_t *e;
	json_array_foreach(s->events, i, e)
	{
		n += !strcmp(json_string_value(json_array_get(e, 0)), type);
	}
	return n;
}

static void watcher_events_and_logbook(void **state)
{
	char dir[] = "/tmp/mcu-watch-XXXXXX", path[128], cmd[160];
	struct mcu_logbook *lb = NULL;
	struct mcu_watch *w = NULL;
	struct seen seen = {json_array()};
	struct mcu_watch_input in[2];
	const char *queue[1] = {"b1"};
	struct mcu_watch_floor fl = {"chaired", NULL, queue, 0};
	int64_t now = 50 * SEC;
	time_t wall = 1796000000;
	(void)state;

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/lb.db", dir);
	assert_int_equal(mcu_logbook_open(&lb, path, NULL), 0);
	struct mcu_watch_opts o = {
	    .logbook = lb, .arg = &seen, .event = on_event};
	assert_int_equal(mcu_watch_alloc(&w, &o), 0);
	struct mcu_logbook_start ms = {.meeting_id = "m",
	                               .host = {.id = "h", .tier = -1}};

	memset(in, 0, sizeof(in));
	in[0] = (struct mcu_watch_input){.endpoint = "h",
	                                 .name = "Host",
	                                 .host = true,
	                                 .obs = {.state = MCU_PART_CONNECTED,
	                                         .has_video = true,
	                                         .has_audio = true,
	                                         .rtt_ms = -1}};
	in[1] = (struct mcu_watch_input){.endpoint = "b1",
	                                 .name = "Branch 1",
	                                 .tech_name = "Nguyen Van A",
	                                 .tech_phone = "0912 345 678",
	                                 .obs = {.state = MCU_PART_CONNECTED,
	                                         .has_video = true,
	                                         .has_audio = true,
	                                         .rtt_ms = -1}};

	/* Test run first: events, no logbook rows. */
	mcu_watch_feed(w, "m", false, in, 2, &fl, now, wall);
	assert_int_equal(n_events(&seen, "join"), 2);
	assert_int_equal(n_events(&seen, "floor"), 0); /* initial: no change */
	json_t *j = find_event(&seen, "join", "endpoint", "b1", 0);
	assert_non_null(j);
	assert_string_equal(json_string_value(json_object_get(j, "meeting")),
	                    "m");
	assert_string_equal(json_string_value(json_object_get(j, "name")),
	                    "Branch 1");
	assert_string_equal(json_string_value(json_object_get(j, "role")),
	                    "branch");
	assert_string_equal(json_string_value(json_object_get(j, "time")),
	                    "2026-11-30T00:53:20Z");

	/* Live: the two already there get their joined rows. */
	assert_int_equal(mcu_logbook_meeting_started(lb, &ms, wall + 1), 0);
	for (int t = 1; t <= 12; t++) {
		in[0].obs.vin_packets += 100;
		in[0].obs.ain_packets += 50;
		in[1].obs.vin_packets += 90;
		in[1].obs.vin_lost += 10;
		in[1].obs.ain_packets += 50;
		fl.n_queue = t >= 3; /* b1 asks for the floor at t = 3 */
		fl.holder = t >= 6 ? "b1" : NULL;
		if (t >= 6)
			fl.n_queue = 0;
		mcu_watch_feed(w, "m", true, in, 2, &fl, now + t * SEC,
		               wall + t);
	}
	assert_int_equal(n_events(&seen, "join"), 2);
	assert_int_equal(n_events(&seen, "floor"), 2);
	j = find_event(&seen, "floor", NULL, NULL, 0);
	assert_string_equal(json_string_value(json_object_get(j, "mode")),
	                    "chaired");
	assert_true(json_is_null(json_object_get(j, "holder")));
	assert_string_equal(
	    json_string_value(json_array_get(json_object_get(j, "queue"), 0)),
	    "b1");
	j = find_event(&seen, "floor", NULL, NULL, 1);
	assert_string_equal(json_string_value(json_object_get(j, "holder")),
	                    "b1");
	assert_int_equal(json_array_size(json_object_get(j, "queue")), 0);

	assert_int_equal(n_events(&seen, "incident"), 1);
	j = find_event(&seen, "incident", "endpoint", "b1", 0);
	assert_non_null(j);
	assert_string_equal(json_string_value(json_object_get(j, "kind")),
	                    "packet-loss");
	assert_string_equal(json_string_value(json_object_get(j, "state")),
	                    "raised");
	json_t *tech = json_object_get(j, "technician");
	assert_string_equal(json_string_value(json_object_get(tech, "name")),
	                    "Nguyen Van A");
	assert_string_equal(json_string_value(json_object_get(tech, "phone")),
	                    "0912 345 678");
	assert_non_null(strstr(json_string_value(json_object_get(j, "detail")),
	                       "10.0 % of video"));

	/* The host hangs up: leave, and connection-lost with no technician. */
	in[0].obs.state = MCU_PART_DISCONNECTED;
	mcu_watch_feed(w, "m", true, in, 2, &fl, now + 13 * SEC, wall + 13);
	j = find_event(&seen, "leave", "endpoint", "h", 0);
	assert_non_null(j);
	assert_string_equal(json_string_value(json_object_get(j, "reason")),
	                    "disconnected");
	assert_string_equal(json_string_value(json_object_get(j, "role")),
	                    "host");
	j = find_event(&seen, "incident", "kind", "connection-lost", 0);
	assert_non_null(j);
	assert_true(json_is_null(json_object_get(j, "technician")));

	mcu_watch_room_stopped(w, "m", wall + 20);
	assert_int_equal(mcu_logbook_meeting_ended(lb, "m", wall + 20), 0);
	/* b1 leaves with the meeting; both incidents are cleared. */
	j = find_event(&seen, "leave", "endpoint", "b1", 0);
	assert_string_equal(json_string_value(json_object_get(j, "reason")),
	                    "meeting-ended");
	size_t cleared = 0, i;
	json_t *e;
	json_array_foreach(seen.events, i, e)
	{
		json_t *d = json_array_get(e, 1);
		const char *st = json_string_value(json_object_get(d, "state"));
		cleared += st && !strcmp(st, "cleared");
	}
	assert_int_equal(cleared, 2);
	/* Stopped twice, or a meeting never watched: nothing more. */
	size_t before = json_array_size(seen.events);
	mcu_watch_room_stopped(w, "m", wall + 21);
	mcu_watch_room_stopped(w, "nope", wall + 21);
	assert_int_equal(json_array_size(seen.events), before);

	mcu_logbook_flush(lb);
	struct mcu_logbook_records rec = {0};
	assert_int_equal(mcu_logbook_read(lb, 0, 0, "m", &rec), 0);
	assert_int_equal(rec.n, 1);
	struct mcu_logbook_record *r = &rec.v[0];
	assert_int_equal(r->n_presence, 2);
	for (size_t k = 0; k < r->n_presence; k++) {
		assert_int_equal(r->presence[k].joined, wall + 1);
		assert_true(r->presence[k].left > 0);
	}
	assert_int_equal(r->n_incidents, 2);
	for (size_t k = 0; k < r->n_incidents; k++) {
		struct mcu_logbook_incident *inc = &r->incidents[k];
		if (!strcmp(inc->kind, "packet-loss")) {
			assert_string_equal(inc->endpoint, "b1");
		} else {
			assert_string_equal(inc->kind, "connection-lost");
			assert_string_equal(inc->endpoint, "h");
		}
		assert_int_equal(inc->cleared, wall + 20);
	}
	mcu_logbook_records_clear(&rec);

	w = mcu_watch_free(w);
	lb = mcu_logbook_close(lb);
	json_decref(seen.events);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
}

static void watcher_bad_arguments(void **state)
{
	struct mcu_watch *w = NULL;
	struct mcu_watch_opts o = {0};
	struct mcu_engine *fake = (struct mcu_engine *)&o;
	(void)state;
	assert_int_equal(mcu_watch_alloc(NULL, &o), EINVAL);
	assert_int_equal(mcu_watch_alloc(&w, NULL), EINVAL);
	o.engine = fake; /* an engine needs a snapshot getter */
	assert_int_equal(mcu_watch_alloc(&w, &o), EINVAL);
	assert_null(w);
	o.engine = NULL;
	assert_int_equal(mcu_watch_alloc(&w, &o), 0);
	/* No engine: sampling does nothing; feeding junk is safe. */
	mcu_watch_sample(w, 0, 0);
	struct mcu_watch_input in = {0};
	mcu_watch_feed(w, "m", true, &in, 1, NULL, 0, 0);
	mcu_watch_feed(w, NULL, true, &in, 1, NULL, 0, 0);
	mcu_watch_room_stopped(w, NULL, 0);
	assert_null(mcu_watch_free(w));
	assert_string_equal(mcu_watch_kind_name(MCU_WATCH_NO_VIDEO),
	                    "no-video");
	assert_string_equal(mcu_watch_kind_name(MCU_WATCH_KINDS), "");
}

/* Keypad *9: each new press raises `reported` once while it is open; it
 * clears two minutes after the last press, even when the participant has
 * left; the meeting's end clears it too. */
static void keypad_report(void **state)
{
	struct sim s;
	(void)state;
	sim_init(&s);
	sim_connect(&s);
	sim_run(&s, 3, 0);
	assert_int_equal(s.raised[MCU_WATCH_REPORTED], 0);
	s.o.reports = 1;
	sim_run(&s, 1, 0);
	assert_int_equal(s.raised[MCU_WATCH_REPORTED], 1);
	assert_non_null(strstr(s.raised_detail[MCU_WATCH_REPORTED], "*9"));
	sim_run(&s, 60, 0);
	s.o.reports = 3; /* two more presses: still one incident */
	sim_run(&s, 1, 0);
	assert_int_equal(s.raised[MCU_WATCH_REPORTED], 1);
	sim_run(&s, 119, 0); /* 119 s after the last press */
	assert_int_equal(s.cleared[MCU_WATCH_REPORTED], 0);
	sim_run(&s, 1, 0); /* 120 s after the last press */
	assert_int_equal(s.cleared[MCU_WATCH_REPORTED], 1);
	assert_true(s.last.cleared & BIT(MCU_WATCH_REPORTED));
	/* another press later: a new incident */
	s.o.reports = 4;
	sim_run(&s, 1, 0);
	assert_int_equal(s.raised[MCU_WATCH_REPORTED], 2);
	/* it leaves: connection-lost, the report stays until its time */
	s.o.state = MCU_PART_DISCONNECTED;
	sim_sec(&s, 0, 0, 0, 0);
	assert_false(s.last.cleared & BIT(MCU_WATCH_REPORTED));
	assert_true(mcu_watch_part_open(s.p) & BIT(MCU_WATCH_REPORTED));
	struct mcu_watch_step st;
	mcu_watch_part_end(s.p, "meeting-ended", &st);
	assert_true(st.cleared & BIT(MCU_WATCH_REPORTED));
	assert_string_equal(mcu_watch_kind_name(MCU_WATCH_REPORTED),
	                    "reported");
	sim_free(&s);
}

/* The `reported` event names the endpoint, its technician and the host's
 * technician, who is the one to tell. */
static void watcher_report_names_host_technician(void **state)
{
	struct mcu_watch *w = NULL;
	struct seen seen = {json_array()};
	struct mcu_watch_input in[2];
	(void)state;
	struct mcu_watch_opts o = {.arg = &seen, .event = on_event};
	assert_int_equal(mcu_watch_alloc(&w, &o), 0);
	memset(in, 0, sizeof(in));
	in[0] = (struct mcu_watch_input){
	    .endpoint = "h", .name = "Host", .host = true,
	    .tech_name = "Tran Thi B", .tech_phone = "0987 654 321",
	    .obs = {.state = MCU_PART_CONNECTED, .rtt_ms = -1}};
	in[1] = (struct mcu_watch_input){
	    .endpoint = "b1", .name = "Branch 1",
	    .tech_name = "Nguyen Van A", .tech_phone = "0912 345 678",
	    .obs = {.state = MCU_PART_CONNECTED, .rtt_ms = -1}};
	mcu_watch_feed(w, "m", true, in, 2, NULL, 10 * SEC, 1796000000);
	in[1].obs.reports = 1;
	mcu_watch_feed(w, "m", true, in, 2, NULL, 11 * SEC, 1796000001);
	assert_int_equal(n_events(&seen, "incident"), 1);
	json_t *j = find_event(&seen, "incident", "kind", "reported", 0);
	assert_non_null(j);
	assert_string_equal(json_string_value(json_object_get(j, "endpoint")),
	                    "b1");
	assert_string_equal(json_string_value(json_object_get(j, "state")),
	                    "raised");
	json_t *ht = json_object_get(j, "host_technician");
	assert_string_equal(json_string_value(json_object_get(ht, "name")),
	                    "Tran Thi B");
	assert_string_equal(json_string_value(json_object_get(ht, "phone")),
	                    "0987 654 321");
	assert_string_equal(json_string_value(json_object_get(
	                        json_object_get(j, "technician"), "name")),
	                    "Nguyen Van A");
	mcu_watch_feed(w, "m", true, in, 2, NULL, 200 * SEC, 1796000190);
	j = find_event(&seen, "incident", "state", "cleared", 0);
	assert_non_null(j);
	assert_string_equal(json_string_value(json_object_get(j, "kind")),
	                    "reported");
	w = mcu_watch_free(w);
	json_decref(seen.events);
}

/* The open incidents as a list (GET /api/v1/incidents): raised ones with
 * their time, detail and technicians; cleared ones leave it; a stopped
 * room takes its own away. */
static void watcher_open_incidents(void **state)
{
	struct mcu_watch *w = NULL;
	struct mcu_watch_input in[2];
	struct mcu_watch_opts o = {0};
	time_t wall = 1796000000;
	json_t *l, *x;
	(void)state;
	assert_null(mcu_watch_incidents(NULL));
	assert_int_equal(mcu_watch_alloc(&w, &o), 0);
	l = mcu_watch_incidents(w);
	assert_true(json_is_array(l));
	assert_int_equal(json_array_size(l), 0);
	json_decref(l);
	memset(in, 0, sizeof(in));
	in[0] = (struct mcu_watch_input){.endpoint = "h",
	                                 .name = "Host",
	                                 .host = true,
	                                 .tech_name = "Tran Thi B",
	                                 .tech_phone = "0987 654 321",
	                                 .obs = {.state = MCU_PART_CONNECTED,
	                                         .has_video = true,
	                                         .rtt_ms = -1}};
	in[1] = (struct mcu_watch_input){.endpoint = "b1",
	                                 .name = "Branch 1",
	                                 .tech_name = "Nguyen Van A",
	                                 .tech_phone = "0912 345 678",
	                                 .obs = {.state = MCU_PART_CONNECTED,
	                                         .has_video = true,
	                                         .rtt_ms = -1}};
	/* both send video for 3 s, then b1 stops: no-video 5 s later */
	for (int t = 0; t < 10; t++) {
		in[0].obs.vin_packets += 100;
		if (t < 3)
			in[1].obs.vin_packets += 100;
		mcu_watch_feed(w, "m", true, in, 2, NULL, (10 + t) * SEC,
		               wall + t);
	}
	l = mcu_watch_incidents(w);
	assert_int_equal(json_array_size(l), 1);
	x = json_array_get(l, 0);
	assert_string_equal(json_string_value(json_object_get(x, "meeting")),
	                    "m");
	assert_string_equal(json_string_value(json_object_get(x, "endpoint")),
	                    "b1");
	assert_string_equal(json_string_value(json_object_get(x, "name")),
	                    "Branch 1");
	assert_string_equal(json_string_value(json_object_get(x, "role")),
	                    "branch");
	assert_string_equal(json_string_value(json_object_get(x, "kind")),
	                    "no-video");
	/* last packet at t = 2 (wall + 2), raised 5 s later */
	assert_string_equal(json_string_value(json_object_get(x, "since")),
	                    "2026-11-30T00:53:27Z");
	assert_non_null(strstr(json_string_value(json_object_get(x, "detail")),
	                       "no video"));
	assert_string_equal(json_string_value(json_object_get(
	                        json_object_get(x, "technician"), "phone")),
	                    "0912 345 678");
	assert_null(json_object_get(x, "host_technician"));
	json_decref(l);
	/* b1 presses *9: a second open incident naming the host's technician */
	in[1].obs.reports = 1;
	mcu_watch_feed(w, "m", true, in, 2, NULL, 20 * SEC, wall + 10);
	l = mcu_watch_incidents(w);
	assert_int_equal(json_array_size(l), 2);
	x = NULL;
	for (size_t i = 0; i < json_array_size(l); i++)
		if (!strcmp(json_string_value(
		                json_object_get(json_array_get(l, i), "kind")),
		            "reported"))
			x = json_array_get(l, i);
	assert_non_null(x);
	assert_string_equal(json_string_value(json_object_get(
	                        json_object_get(x, "host_technician"), "name")),
	                    "Tran Thi B");
	json_decref(l);
	/* video back: no-video leaves the list, the report stays */
	in[1].obs.vin_packets += 100;
	mcu_watch_feed(w, "m", true, in, 2, NULL, 21 * SEC, wall + 11);
	l = mcu_watch_incidents(w);
	assert_int_equal(json_array_size(l), 1);
	assert_string_equal(
	    json_string_value(json_object_get(json_array_get(l, 0), "kind")),
	    "reported");
	json_decref(l);
	/* the meeting ends: nothing open */
	mcu_watch_room_stopped(w, "m", wall + 12);
	l = mcu_watch_incidents(w);
	assert_int_equal(json_array_size(l), 0);
	json_decref(l);
	w = mcu_watch_free(w);
}

/* The per-endpoint table watch and readiness share (mcu/partinfo). */
struct tentry {
	struct mcu_partinfo who;
	int *state;
};

static int fail_init;

static int tentry_init(void *e)
{
	struct tentry *t = e;
	if (fail_init)
		return ENOMEM;
	t->state = malloc(sizeof(*t->state));
	return t->state ? 0 : ENOMEM;
}

static void partinfo_table(void **state)
{
	(void)state;
	struct tentry *tab = NULL, *v;
	size_t n = 0;
	long i;

	v = mcu_partinfo_get(tab, &n, sizeof(*tab), "a", tentry_init, &i);
	assert_non_null(v);
	tab = v;
	assert_int_equal(i, 0);
	assert_int_equal(n, 1);
	assert_string_equal(tab[0].who.endpoint, "a");
	assert_null(tab[0].who.name);
	assert_non_null(tab[0].state);
	v = mcu_partinfo_get(tab, &n, sizeof(*tab), "b", tentry_init, &i);
	assert_non_null(v);
	tab = v;
	assert_int_equal(i, 1);
	/* found again, not added */
	v = mcu_partinfo_get(tab, &n, sizeof(*tab), "a", tentry_init, &i);
	assert_ptr_equal(v, tab);
	assert_int_equal(i, 0);
	assert_int_equal(n, 2);
	/* an entry whose init fails is dropped again */
	fail_init = 1;
	v = mcu_partinfo_get(tab, &n, sizeof(*tab), "c", tentry_init, &i);
	fail_init = 0;
	if (v)
		tab = v;
	assert_int_equal(i, -1);
	assert_int_equal(n, 2);
	/* names are copied, replaced and cleared */
	assert_true(mcu_partinfo_update(&tab[1].who, true, "B", "Tech", NULL));
	assert_true(tab[1].who.host);
	assert_string_equal(tab[1].who.name, "B");
	assert_string_equal(tab[1].who.tech_name, "Tech");
	assert_null(tab[1].who.tech_phone);
	assert_true(mcu_partinfo_update(&tab[1].who, false, NULL, "Tech",
	                                "0123"));
	assert_false(tab[1].who.host);
	assert_null(tab[1].who.name);
	assert_string_equal(tab[1].who.tech_phone, "0123");
	for (size_t k = 0; k < n; k++) {
		mcu_partinfo_clear(&tab[k].who);
		assert_null(tab[k].who.endpoint);
		free(tab[k].state);
	}
	free(tab);
}

const struct CMUnitTest tests[] = {
    cmocka_unit_test(partinfo_table),
    cmocka_unit_test(join_leave_diffing),
    cmocka_unit_test(never_connected_raises_nothing),
    cmocka_unit_test(loss_thresholds),
    cmocka_unit_test(loss_hysteresis_no_flapping),
    cmocka_unit_test(no_video_after_five_seconds),
    cmocka_unit_test(no_video_needs_video_seen),
    cmocka_unit_test(on_hold_is_not_judged),
    cmocka_unit_test(rtt_baseline),
    cmocka_unit_test(samples_at_any_pace),
    cmocka_unit_test(end_clears_everything),
    cmocka_unit_test(watcher_events_and_logbook),
    cmocka_unit_test(watcher_bad_arguments),
    cmocka_unit_test(keypad_report),
    cmocka_unit_test(watcher_report_names_host_technician),
    cmocka_unit_test(watcher_open_incidents),
};

MCU_TEST_MAIN(tests, NULL, NULL)
