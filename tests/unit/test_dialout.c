/* test-libs: mcu_core mcu_conf */
/*
 * dialout: pacing of 100 endpoints (rate, roster keys, host first, outstanding limit,
 * no catch-up burst), retry/back-off timelines for 486 and no answer
 * (exact times), final statuses, redial after a drop, operator hang-up
 * and dial, dial-in while ringing, stale outcomes, stop/start.
 */
#include "tests/unit/testutil.h"
#include "mcu/dialout.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* A roster of 100 SIP endpoints and one static RTP leg; the host is the
   last SIP endpoint of the directory so "host first" means something. */
static struct mcu_conf *roster100_with(const char *mcu_extra, int expect)
{
	size_t cap = 64 * 1024, n = 0;
	char *y = malloc(cap);
	struct mcu_conf *conf = NULL;
	struct mcu_conf_report rep;

	assert_non_null(y);
	n += (size_t)snprintf(y + n, cap - n,
	                      "mcu: {timezone: Asia/Ho_Chi_Minh%s}\n"
	                      "endpoints:\n", mcu_extra);
	for (int i = 0; i < 100; i++)
		n += (size_t)snprintf(
		    y + n, cap - n,
		    "  - {id: e%03d, name: E%d, tier: commune, "
		    "sip: \"sip:e%03d@10.1.%d.%d\"}\n",
		    i, i, i, i / 200, i % 200 + 1);
	n += (size_t)snprintf(
	    y + n, cap - n,
	    "  - id: rtp-x\n    name: X\n    tier: extended\n"
	    "    rtp: {remote: 127.0.0.1:40000, local: 127.0.0.1:30000,\n"
	    "          video: {codec: h264, payload_type: 96}}\n"
	    "meetings:\n"
	    "  - id: big\n    host: e099\n    branches: [all]\n"
	    "    start: 2026-12-07T08:00\n    end: 2026-12-07T10:00\n"
	    "    announced: 2026-12-01\n");
	assert_true(n < cap);
	memset(&rep, 0, sizeof(rep));
	int err = mcu_conf_load_buffer("big.yaml", y, n, &conf, &rep);
	if (err)
		mcu_conf_report_print(&rep, stderr);
	mcu_conf_report_clear(&rep);
	free(y);
	assert_int_equal(err, expect);
	return conf;
}

static struct mcu_conf *roster100(void)
{
	return roster100_with("", 0);
}

static struct mcu_dialout *one(const struct mcu_dialout_params *p)
{
	struct mcu_dialout *d = NULL;
	size_t ep = 7;
	assert_int_equal(mcu_dialout_alloc(&d, &ep, 1, p), 0);
	return d;
}

static struct mcu_dialout_info info(const struct mcu_dialout *d, size_t slot)
{
	struct mcu_dialout_info i;
	assert_int_equal(mcu_dialout_info(d, slot, &i), 0);
	return i;
}

/* Poll at `now` and expect exactly one DIAL of slot 0; returns its token. */
static uint32_t expect_dial(struct mcu_dialout *d, int64_t now,
                            unsigned attempt)
{
	struct mcu_dialout_action a[4];
	assert_int_equal(mcu_dialout_poll(d, now, a, 4), 1);
	assert_int_equal(a[0].kind, MCU_DIALOUT_DIAL);
	assert_int_equal(a[0].slot, 0);
	assert_int_equal(a[0].attempt, attempt);
	assert_int_not_equal(a[0].token, 0);
	assert_int_equal(info(d, 0).state, MCU_DIALOUT_DIALING);
	return a[0].token;
}

static void expect_nothing(struct mcu_dialout *d, int64_t now)
{
	struct mcu_dialout_action a[4];
	assert_int_equal(mcu_dialout_poll(d, now, a, 4), 0);
}

static void pacing_100_host_first(void **state)
{
	struct mcu_conf *conf = roster100();
	struct mcu_dialout *d = NULL;
	int64_t at[100];
	size_t got = 0;
	(void)state;

	assert_int_equal(mcu_dialout_alloc_meeting(&d, conf, 0, NULL), 0);
	/* the static RTP leg has nothing to dial */
	assert_int_equal(mcu_dialout_count(d), 100);
	assert_int_equal(info(d, 0).endpoint,
	                 mcu_conf_endpoint_index(conf, "e099"));
	assert_int_equal(info(d, 1).endpoint,
	                 mcu_conf_endpoint_index(conf, "e000"));
	assert_int_equal(mcu_dialout_slot(d, 99), 0);
	assert_int_equal(mcu_dialout_slot(d, 100), -1);
	assert_int_equal(info(d, 0).state, MCU_DIALOUT_IDLE);
	expect_nothing(d, 0);

	mcu_dialout_start(d, 1000);
	for (int64_t t = 1000; t < 20000 && got < 100; t++) {
		struct mcu_dialout_action a[8];
		size_t n = mcu_dialout_poll(d, t, a, 8);
		for (size_t i = 0; i < n; i++) {
			assert_int_equal(a[i].kind, MCU_DIALOUT_DIAL);
			assert_int_equal(a[i].slot, got); /* list order */
			at[got++] = t;
			/* answered at once: only the pacing limits */
			assert_int_equal(mcu_dialout_on_answered(d, a[i].slot,
			                                         a[i].token, t),
			                 0);
		}
	}
	assert_int_equal(got, 100);
	/* default 50/s: one INVITE every 20 ms, the host at once, all 100
	   called within 2 s */
	for (size_t i = 0; i < 100; i++)
		assert_int_equal(at[i], 1000 + 20 * (int64_t)i);
	/* so no 1000 ms window holds more than 50 */
	for (size_t i = 0; i + 50 < 100; i++)
		assert_true(at[i + 50] - at[i] >= 1000);
	for (size_t i = 0; i < 100; i++)
		assert_int_equal(info(d, i).state, MCU_DIALOUT_CONNECTED);
	assert_int_equal(mcu_dialout_next_wakeup(d, 20000), INT64_MAX);
	mcu_dialout_free(d);
	mcu_conf_free(conf);
}

/* mcu.sip.dial_rate and dial_max_ringing of the roster pace its meetings;
   out-of-range values are refused. */
static void pacing_roster_keys(void **state)
{
	struct mcu_conf *conf =
	        roster100_with(", sip: {dial_rate: 10, dial_max_ringing: 4}", 0);
	struct mcu_dialout *d = NULL;
	struct mcu_dialout_action a[8];
	int64_t at[8];
	size_t got = 0;
	(void)state;

	assert_int_equal(conf->sip_dial_rate, 10);
	assert_int_equal(conf->sip_dial_max_ringing, 4);
	assert_int_equal(mcu_dialout_alloc_meeting(&d, conf, 0, NULL), 0);
	mcu_dialout_start(d, 0);
	for (int64_t t = 0; t < 5000; t++) {
		size_t n = mcu_dialout_poll(d, t, a, 8);
		for (size_t i = 0; i < n && got < 8; i++)
			at[got++] = t; /* nobody answers */
	}
	/* 10/s: one every 100 ms, and only 4 ring at once */
	assert_int_equal(got, 4);
	for (size_t i = 0; i < got; i++)
		assert_int_equal(at[i], 100 * (int64_t)i);
	mcu_dialout_free(d);
	mcu_conf_free(conf);

	/* unset: the defaults (50/s) */
	conf = roster100();
	assert_int_equal(conf->sip_dial_rate, 0);
	assert_int_equal(conf->sip_dial_max_ringing, 0);
	mcu_conf_free(conf);

	static const char *const bad[] = {
	        ", sip: {dial_rate: 0}", ", sip: {dial_rate: 1001}",
	        ", sip: {dial_max_ringing: 0}", ", sip: {dial_rate: fast}"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		conf = roster100_with(bad[i], EINVAL);
		assert_null(conf);
	}
}

static void pacing_outstanding_limit(void **state)
{
	struct mcu_dialout *d = NULL;
	size_t eps[100];
	struct mcu_dialout_action a[8];
	struct mcu_dialout_params p = {.rate = 100, .max_outstanding = 10};
	uint32_t tok[100];
	size_t got = 0;
	(void)state;

	for (size_t i = 0; i < 100; i++)
		eps[i] = i;
	assert_int_equal(mcu_dialout_alloc(&d, eps, 100, &p), 0);
	mcu_dialout_start(d, 0);
	for (int64_t t = 0; t < 5000; t++) {
		size_t n = mcu_dialout_poll(d, t, a, 8);
		for (size_t i = 0; i < n; i++) {
			assert_int_equal(a[i].kind, MCU_DIALOUT_DIAL);
			tok[got++] = a[i].token;
		}
	}
	/* 100/s would allow far more: 10 ring, none answers yet */
	assert_int_equal(got, 10);
	/* nothing to wake for but the first ring deadline */
	assert_int_equal(mcu_dialout_next_wakeup(d, 5000), 30000);
	assert_int_equal(mcu_dialout_on_answered(d, 3, tok[3], 5000), 0);
	assert_int_equal(mcu_dialout_next_wakeup(d, 5000), 5000);
	assert_int_equal(mcu_dialout_poll(d, 5000, a, 8), 1);
	assert_int_equal(a[0].slot, 10);
	expect_nothing(d, 5001);
	mcu_dialout_free(d);
}

static void pacing_no_catch_up_burst(void **state)
{
	struct mcu_dialout *d = NULL;
	size_t eps[40];
	struct mcu_dialout_action a[64];
	(void)state;

	for (size_t i = 0; i < 40; i++)
		eps[i] = i;
	/* a slow poller gets one INVITE per poll, never a burst */
	assert_int_equal(mcu_dialout_alloc(&d, eps, 40, NULL), 0);
	mcu_dialout_start(d, 0);
	assert_int_equal(mcu_dialout_poll(d, 0, a, 64), 1);
	assert_int_equal(mcu_dialout_next_wakeup(d, 0), 20);
	assert_int_equal(mcu_dialout_next_wakeup(d, 10), 20);
	expect_nothing(d, 19);
	assert_int_equal(mcu_dialout_poll(d, 1000, a, 64), 1);
	assert_int_equal(mcu_dialout_poll(d, 5000, a, 64), 1);
	assert_int_equal(mcu_dialout_next_wakeup(d, 5000), 5020);
	mcu_dialout_free(d);

	/* with burst 5 it may send 5 back to back, then 50/s again */
	struct mcu_dialout_params p = {.burst = 5};
	assert_int_equal(mcu_dialout_alloc(&d, eps, 40, &p), 0);
	mcu_dialout_start(d, 0);
	assert_int_equal(mcu_dialout_poll(d, 0, a, 64), 5);
	expect_nothing(d, 19);
	assert_int_equal(mcu_dialout_poll(d, 20, a, 64), 1);
	assert_int_equal(mcu_dialout_poll(d, 10000, a, 64), 5);
	/* max bounds the actions written; the rest waits */
	assert_int_equal(mcu_dialout_poll(d, 20000, a, 2), 2);
	assert_int_equal(mcu_dialout_poll(d, 20000, a, 64), 3);
	mcu_dialout_free(d);
}

static void retry_486_timeline(void **state)
{
	struct mcu_dialout *d = one(NULL);
	uint32_t t;
	(void)state;

	mcu_dialout_start(d, 0);
	assert_int_equal(info(d, 0).state, MCU_DIALOUT_QUEUED);
	assert_int_equal(mcu_dialout_next_wakeup(d, 0), 0);
	t = expect_dial(d, 0, 1);
	assert_int_equal(mcu_dialout_on_failed(d, 0, t, 486, "Busy Here", 1000),
	                 0);
	/* back-off 5 s, 10 s, 20 s, 40 s from each failure */
	static const int64_t dial_at[] = {6000, 16000, 36000, 76000};
	for (unsigned k = 0; k < 4; k++) {
		struct mcu_dialout_info i = info(d, 0);
		assert_int_equal(i.state, MCU_DIALOUT_BACKOFF);
		assert_int_equal(i.next_at_ms, dial_at[k]);
		assert_int_equal(i.last_status, 486);
		assert_string_equal(i.last_reason, "Busy Here");
		assert_int_equal(mcu_dialout_next_wakeup(d, dial_at[k] - 500),
		                 dial_at[k]);
		expect_nothing(d, dial_at[k] - 1);
		t = expect_dial(d, dial_at[k], k + 2);
		assert_int_equal(mcu_dialout_on_failed(d, 0, t, 486,
		                                       "Busy Here", dial_at[k]),
		                 0);
	}
	/* the 5th attempt failed: given up */
	struct mcu_dialout_info i = info(d, 0);
	assert_int_equal(i.state, MCU_DIALOUT_GIVEN_UP);
	assert_int_equal(i.attempts, 5);
	assert_int_equal(i.last_status, 486);
	assert_int_equal(i.since_ms, 76000);
	assert_false(i.wanted);
	expect_nothing(d, 1000000);
	assert_int_equal(mcu_dialout_next_wakeup(d, 1000000), INT64_MAX);
	mcu_dialout_free(d);
}

static void retry_no_answer_408_timeline(void **state)
{
	struct mcu_dialout *d = one(NULL);
	struct mcu_dialout_action a[4];
	uint32_t t1, t2, t3;
	(void)state;

	mcu_dialout_start(d, 0);
	t1 = expect_dial(d, 0, 1);
	assert_int_equal(info(d, 0).next_at_ms, 30000); /* ring deadline */
	assert_int_equal(mcu_dialout_next_wakeup(d, 100), 30000);
	expect_nothing(d, 29999);
	/* 30 s of ringing: cancel it, count a 408 */
	assert_int_equal(mcu_dialout_poll(d, 30000, a, 4), 1);
	assert_int_equal(a[0].kind, MCU_DIALOUT_CANCEL);
	assert_int_equal(a[0].token, t1);
	assert_int_equal(a[0].endpoint, 7);
	assert_int_equal(info(d, 0).state, MCU_DIALOUT_BACKOFF);
	assert_int_equal(info(d, 0).last_status, 408);
	assert_int_equal(info(d, 0).next_at_ms, 35000);
	/* the 487 of the cancelled INVITE comes back: stale */
	assert_int_equal(mcu_dialout_on_failed(d, 0, t1, 487, NULL, 30010),
	                 ESTALE);
	assert_int_equal(info(d, 0).next_at_ms, 35000);

	t2 = expect_dial(d, 35000, 2);
	assert_int_not_equal(t2, t1);
	/* this time the SIP stack gives up first (Timer B: 408) */
	assert_int_equal(
	    mcu_dialout_on_failed(d, 0, t2, 408, "Request Timeout", 67000), 0);
	assert_int_equal(info(d, 0).next_at_ms, 77000);
	t3 = expect_dial(d, 77000, 3);
	assert_int_equal(mcu_dialout_poll(d, 107000, a, 4), 1);
	assert_int_equal(a[0].kind, MCU_DIALOUT_CANCEL);
	assert_int_equal(a[0].token, t3);
	assert_int_equal(info(d, 0).next_at_ms, 127000); /* + 20 s */
	/* a transport failure (status 0) is retried too */
	uint32_t t4 = expect_dial(d, 127000, 4);
	assert_int_equal(mcu_dialout_on_failed(d, 0, t4, 0, NULL, 127001), 0);
	assert_int_equal(info(d, 0).next_at_ms, 167001); /* + 40 s */
	uint32_t t5 = expect_dial(d, 167001, 5);
	assert_int_equal(mcu_dialout_on_answered(d, 0, t5, 170000), 0);
	assert_int_equal(info(d, 0).state, MCU_DIALOUT_CONNECTED);
	assert_int_equal(info(d, 0).attempts, 5);
	assert_int_equal(info(d, 0).next_at_ms, -1);
	mcu_dialout_free(d);
}

static void final_status_gives_up(void **state)
{
	static const int finals[] = {403, 404, 488, 603, 301, 401, 415};
	(void)state;
	for (size_t k = 0; k < sizeof(finals) / sizeof(finals[0]); k++) {
		struct mcu_dialout *d = one(NULL);
		mcu_dialout_start(d, 0);
		uint32_t t = expect_dial(d, 0, 1);
		assert_int_equal(
		    mcu_dialout_on_failed(d, 0, t, finals[k], "Forbidden", 200),
		    0);
		struct mcu_dialout_info i = info(d, 0);
		assert_int_equal(i.state, MCU_DIALOUT_GIVEN_UP);
		assert_int_equal(i.last_status, finals[k]);
		assert_string_equal(i.last_reason, "Forbidden");
		assert_int_equal(i.attempts, 1);
		expect_nothing(d, 100000);
		assert_int_equal(mcu_dialout_next_wakeup(d, 0), INT64_MAX);
		mcu_dialout_free(d);
	}
	assert_true(mcu_dialout_status_retryable(0));
	assert_true(mcu_dialout_status_retryable(408));
	assert_true(mcu_dialout_status_retryable(480));
	assert_true(mcu_dialout_status_retryable(486));
	assert_true(mcu_dialout_status_retryable(503));
	assert_false(mcu_dialout_status_retryable(403));
	assert_false(mcu_dialout_status_retryable(404));
	assert_false(mcu_dialout_status_retryable(488));
	assert_false(mcu_dialout_status_retryable(603));
	assert_string_equal(mcu_dialout_state_name(MCU_DIALOUT_GIVEN_UP),
	                    "given-up");
}

static void redial_after_drop(void **state)
{
	struct mcu_dialout *d = one(NULL);
	uint32_t t;
	(void)state;

	mcu_dialout_start(d, 0);
	t = expect_dial(d, 0, 1);
	assert_int_equal(mcu_dialout_on_answered(d, 0, t, 500), 0);
	assert_true(info(d, 0).wanted);
	/* a drop with another token is not this call */
	assert_int_equal(mcu_dialout_on_dropped(d, 0, t + 1, 9000), ESTALE);
	assert_int_equal(mcu_dialout_on_dropped(d, 0, t, 10000), 0);
	assert_int_equal(info(d, 0).state, MCU_DIALOUT_QUEUED);
	/* redialled at once, then with the capped back-off, without limit */
	int64_t now = 10000;
	static const int64_t wait[] = {5000,  10000, 20000, 40000, 60000,
	                               60000, 60000, 60000, 60000, 60000};
	t = expect_dial(d, now, 1);
	for (unsigned k = 0; k < 10; k++) {
		assert_int_equal(mcu_dialout_on_failed(d, 0, t, 503, NULL, now),
		                 0);
		assert_int_equal(info(d, 0).state, MCU_DIALOUT_BACKOFF);
		assert_int_equal(info(d, 0).next_at_ms, now + wait[k]);
		now += wait[k];
		t = expect_dial(d, now, k + 2);
	}
	assert_int_equal(mcu_dialout_on_answered(d, 0, t, now), 0);
	assert_int_equal(info(d, 0).attempts, 12);
	mcu_dialout_free(d);

	/* a limited redial run gives up like the start run */
	struct mcu_dialout_params p = {.redial_attempts = 2};
	d = one(&p);
	mcu_dialout_start(d, 0);
	t = expect_dial(d, 0, 1);
	assert_int_equal(mcu_dialout_on_answered(d, 0, t, 1), 0);
	assert_int_equal(mcu_dialout_on_dropped(d, 0, t, 100), 0);
	t = expect_dial(d, 100, 1);
	assert_int_equal(mcu_dialout_on_failed(d, 0, t, 480, NULL, 200), 0);
	t = expect_dial(d, 5200, 2);
	assert_int_equal(mcu_dialout_on_failed(d, 0, t, 480, NULL, 5300), 0);
	assert_int_equal(info(d, 0).state, MCU_DIALOUT_GIVEN_UP);
	mcu_dialout_free(d);
}

static void operator_hangup_stops_redial(void **state)
{
	struct mcu_dialout *d = one(NULL);
	uint32_t t, h;
	(void)state;

	mcu_dialout_start(d, 0);
	t = expect_dial(d, 0, 1);
	assert_int_equal(mcu_dialout_on_answered(d, 0, t, 100), 0);
	assert_int_equal(mcu_dialout_operator_hangup(d, 0, 5000, &h), 0);
	assert_int_equal(h, t); /* the engine ends this call */
	assert_int_equal(info(d, 0).state, MCU_DIALOUT_HUNG_UP);
	assert_false(info(d, 0).wanted);
	/* its BYE completes: stale, still hung up, never redialled */
	assert_int_equal(mcu_dialout_on_dropped(d, 0, t, 5010), ESTALE);
	assert_int_equal(info(d, 0).state, MCU_DIALOUT_HUNG_UP);
	expect_nothing(d, 10000000);
	assert_int_equal(mcu_dialout_next_wakeup(d, 0), INT64_MAX);
	/* start() again (idempotent) does not undo the operator */
	mcu_dialout_start(d, 20000);
	expect_nothing(d, 20000);

	/* hang up while ringing frees the outstanding slot */
	assert_int_equal(mcu_dialout_operator_dial(d, 0, 30000), 0);
	t = expect_dial(d, 30000, 1);
	assert_int_equal(mcu_dialout_operator_hangup(d, 0, 30100, &h), 0);
	assert_int_equal(h, t);
	assert_int_equal(mcu_dialout_on_failed(d, 0, t, 487, NULL, 30110),
	                 ESTALE);
	assert_int_equal(mcu_dialout_operator_hangup(d, 0, 30200, &h), 0);
	assert_int_equal(h, 0);
	mcu_dialout_free(d);
}

static void operator_dial_restarts(void **state)
{
	struct mcu_dialout *d = one(NULL);
	uint32_t t;
	(void)state;

	/* a dial-in meeting: never started, the operator calls one */
	expect_nothing(d, 0);
	assert_int_equal(mcu_dialout_operator_dial(d, 0, 1000), 0);
	assert_int_equal(info(d, 0).state, MCU_DIALOUT_QUEUED);
	t = expect_dial(d, 1000, 1);
	assert_int_equal(mcu_dialout_operator_dial(d, 0, 1001), EALREADY);
	assert_int_equal(mcu_dialout_on_failed(d, 0, t, 603, "Decline", 2000),
	                 0);
	assert_int_equal(info(d, 0).state, MCU_DIALOUT_GIVEN_UP);
	/* given up: the operator tries again, a fresh run of 5 */
	assert_int_equal(mcu_dialout_operator_dial(d, 0, 3000), 0);
	t = expect_dial(d, 3000, 1);
	assert_int_equal(info(d, 0).attempts, 2);
	assert_int_equal(mcu_dialout_on_answered(d, 0, t, 3500), 0);
	assert_int_equal(mcu_dialout_operator_dial(d, 0, 3600), EALREADY);
	/* operator-dialled endpoints are redialled when they drop */
	assert_int_equal(mcu_dialout_on_dropped(d, 0, t, 4000), 0);
	t = expect_dial(d, 4000, 1);
	assert_int_equal(mcu_dialout_operator_dial(d, 5, 0), EINVAL);
	mcu_dialout_free(d);
}

static void dial_in_while_ringing(void **state)
{
	struct mcu_dialout *d = one(NULL);
	uint32_t t, c;
	(void)state;

	mcu_dialout_start(d, 0);
	t = expect_dial(d, 0, 1);
	/* the endpoint calls in itself while our INVITE rings */
	assert_int_equal(mcu_dialout_on_joined(d, 0, 500, &c), 0);
	assert_int_equal(c, t);
	assert_int_equal(info(d, 0).state, MCU_DIALOUT_CONNECTED);
	assert_int_equal(info(d, 0).token, 0);
	/* our INVITE's 200 crosses the CANCEL: stale, the engine hangs up */
	assert_int_equal(mcu_dialout_on_answered(d, 0, t, 510), ESTALE);
	assert_int_equal(mcu_dialout_on_dropped(d, 0, t, 520), ESTALE);
	/* the dial-in call drops: redialled, the meeting runs */
	assert_int_equal(mcu_dialout_on_dropped(d, 0, 0, 9000), 0);
	t = expect_dial(d, 9000, 1);
	assert_int_equal(mcu_dialout_on_answered(d, 0, t, 9100), 0);
	/* a second call of a connected endpoint replaces ours */
	assert_int_equal(mcu_dialout_on_joined(d, 0, 9500, &c), 0);
	assert_int_equal(c, t);
	mcu_dialout_free(d);

	/* in a meeting that does not dial out, a drop is just a drop */
	d = one(NULL);
	assert_int_equal(mcu_dialout_on_joined(d, 0, 0, &c), 0);
	assert_int_equal(c, 0);
	assert_false(info(d, 0).wanted);
	assert_int_equal(mcu_dialout_on_dropped(d, 0, 0, 100), 0);
	assert_int_equal(info(d, 0).state, MCU_DIALOUT_IDLE);
	expect_nothing(d, 100000);
	mcu_dialout_free(d);
}

static void stop_then_start_again(void **state)
{
	struct mcu_dialout *d = NULL;
	size_t eps[3] = {10, 11, 12};
	struct mcu_dialout_action a[8];
	uint32_t t0, t1, t2;
	(void)state;

	assert_int_equal(mcu_dialout_alloc(&d, eps, 3, NULL), 0);
	/* the test run */
	mcu_dialout_start(d, 0);
	assert_int_equal(mcu_dialout_poll(d, 0, a, 8), 1);
	t0 = a[0].token;
	assert_int_equal(mcu_dialout_poll(d, 50, a, 8), 1);
	t1 = a[0].token;
	assert_int_equal(mcu_dialout_poll(d, 100, a, 8), 1);
	t2 = a[0].token;
	assert_int_equal(mcu_dialout_on_answered(d, 0, t0, 200), 0);
	assert_int_equal(mcu_dialout_on_failed(d, 1, t1, 404, NULL, 200), 0);
	mcu_dialout_stop(d, 1000);
	assert_int_equal(info(d, 0).state, MCU_DIALOUT_CONNECTED);
	assert_int_equal(info(d, 1).state, MCU_DIALOUT_IDLE);
	assert_int_equal(info(d, 2).state, MCU_DIALOUT_IDLE);
	assert_int_equal(mcu_dialout_on_answered(d, 2, t2, 1100), ESTALE);
	assert_int_equal(mcu_dialout_on_dropped(d, 0, t0, 1200), 0);
	assert_int_equal(info(d, 0).state, MCU_DIALOUT_IDLE);
	expect_nothing(d, 100000);
	/* the meeting proper: everybody again, the 404 one too */
	mcu_dialout_start(d, 200000);
	size_t n = 0;
	for (int64_t t = 200000; t < 201000; t++)
		n += mcu_dialout_poll(d, t, a, 8);
	assert_int_equal(n, 3);
	assert_int_equal(info(d, 1).run_attempts, 1);
	assert_int_equal(info(d, 1).attempts, 2);
	mcu_dialout_free(d);
}

static void bad_arguments(void **state)
{
	struct mcu_dialout *d = NULL;
	struct mcu_conf conf;
	struct mcu_dialout_info i;
	(void)state;

	memset(&conf, 0, sizeof(conf));
	assert_int_equal(mcu_dialout_alloc(NULL, NULL, 0, NULL), EINVAL);
	assert_int_equal(mcu_dialout_alloc(&d, NULL, 3, NULL), EINVAL);
	assert_null(d);
	assert_int_equal(mcu_dialout_alloc_meeting(&d, &conf, 0, NULL), EINVAL);
	assert_int_equal(mcu_dialout_alloc(&d, NULL, 0, NULL), 0);
	mcu_dialout_start(d, 0);
	expect_nothing(d, 0);
	assert_int_equal(mcu_dialout_info(d, 0, &i), EINVAL);
	assert_int_equal(mcu_dialout_on_answered(d, 0, 1, 0), EINVAL);
	assert_int_equal(mcu_dialout_on_failed(d, 0, 1, 486, NULL, 0), EINVAL);
	assert_int_equal(mcu_dialout_on_dropped(d, 0, 1, 0), EINVAL);
	assert_null(mcu_dialout_free(d));
	d = one(NULL);
	/* outcomes for a call that was never placed */
	assert_int_equal(mcu_dialout_on_answered(d, 0, 0, 0), ESTALE);
	assert_int_equal(mcu_dialout_on_failed(d, 0, 0, 486, NULL, 0), ESTALE);
	assert_int_equal(mcu_dialout_on_dropped(d, 0, 0, 0), ESTALE);
	/* a long reason phrase is cut, not overrun */
	char longr[300];
	memset(longr, 'r', sizeof(longr) - 1);
	longr[sizeof(longr) - 1] = '\0';
	mcu_dialout_start(d, 0);
	uint32_t t = expect_dial(d, 0, 1);
	assert_int_equal(mcu_dialout_on_failed(d, 0, t, 486, longr, 10), 0);
	assert_true(strlen(info(d, 0).last_reason) < 100);
	mcu_dialout_free(d);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(pacing_100_host_first),
    cmocka_unit_test(pacing_outstanding_limit),
    cmocka_unit_test(pacing_roster_keys),
    cmocka_unit_test(pacing_no_catch_up_burst),
    cmocka_unit_test(retry_486_timeline),
    cmocka_unit_test(retry_no_answer_408_timeline),
    cmocka_unit_test(final_status_gives_up),
    cmocka_unit_test(redial_after_drop),
    cmocka_unit_test(operator_hangup_stops_redial),
    cmocka_unit_test(operator_dial_restarts),
    cmocka_unit_test(dial_in_while_ringing),
    cmocka_unit_test(stop_then_start_again),
    cmocka_unit_test(bad_arguments),
};
MCU_TEST_MAIN(tests, NULL, NULL)
