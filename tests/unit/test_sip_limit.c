/* test-libs: mcu_conf mcu_transport */
/*
 * The per-source SIP rate limit (transport/sip_limit) on an injected
 * clock: bursts, refill, the two classes, the aggregate bucket of unknown
 * sources, ports ignored, eviction when the table is full.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/un.h>

#include "tests/unit/testutil.h"
#include "transport/sip_limit.h"

static struct sockaddr_storage v4(const char *ip, uint16_t port)
{
	struct sockaddr_storage ss;
	struct sockaddr_in *in = (struct sockaddr_in *)&ss;
	memset(&ss, 0, sizeof(ss));
	in->sin_family = AF_INET;
	in->sin_port = htons(port);
	assert_int_equal(inet_pton(AF_INET, ip, &in->sin_addr), 1);
	return ss;
}

static unsigned take_n(struct mcu_sip_limit *l,
                       const struct sockaddr_storage *a, bool allowed,
                       unsigned n, int64_t now)
{
	unsigned ok = 0;
	for (unsigned i = 0; i < n; i++)
		ok += mcu_sip_limit_take(l, (const struct sockaddr *)a, allowed,
		                         now);
	return ok;
}

static void burst_then_rate(void **state)
{
	(void)state;
	struct mcu_sip_limit_conf c = {
	    .rate = 10, .burst = 20, .allowed_rate = 100, .allowed_burst = 500};
	struct mcu_sip_limit *l = NULL;
	struct mcu_sip_limit_stats st;
	struct sockaddr_storage a = v4("127.0.0.5", 5060);
	int64_t t = 1000000;

	assert_int_equal(mcu_sip_limit_alloc(&l, &c), 0);
	assert_int_equal(take_n(l, &a, false, 100, t), 20);
	/* 0.5 s later: 5 more, not 6 */
	assert_int_equal(take_n(l, &a, false, 100, t + 500000), 5);
	/* one request per 100 ms at 10/s */
	for (int i = 1; i <= 10; i++)
		assert_int_equal(
		    take_n(l, &a, false, 3, t + 500000 + i * 100000), 1);
	/* after a long pause: a full burst again, no more */
	assert_int_equal(take_n(l, &a, false, 100, t + 3600000000LL), 20);
	mcu_sip_limit_stats(l, &st);
	assert_int_equal(st.passed, 20 + 5 + 10 + 20);
	assert_int_equal(st.limited_unknown, 80 + 95 + 20 + 80);
	assert_int_equal(st.limited_allowed, 0);
	l = mcu_sip_limit_free(l);
	assert_null(l);
}

static void port_ignored_classes_apart(void **state)
{
	(void)state;
	struct mcu_sip_limit_conf c = {
	    .rate = 2, .burst = 4, .allowed_rate = 100, .allowed_burst = 300};
	struct mcu_sip_limit *l = NULL;
	struct mcu_sip_limit_stats st;
	int64_t t = 5000000;

	assert_int_equal(mcu_sip_limit_alloc(&l, &c), 0);
	unsigned ok = 0;
	for (uint16_t p = 1000; p < 1100; p++) {
		struct sockaddr_storage a = v4("10.0.0.9", p);
		ok += take_n(l, &a, false, 1, t);
	}
	assert_int_equal(ok, 4); /* a new port is not a new source */
	/* an allowed endpoint keeps its own, generous bucket */
	struct sockaddr_storage e = v4("127.0.0.1", 5062);
	assert_int_equal(take_n(l, &e, true, 400, t), 300);
	mcu_sip_limit_stats(l, &st);
	assert_int_equal(st.limited_allowed, 100);
	assert_int_equal(st.limited_unknown, 96);
	mcu_sip_limit_free(l);
}

static void aggregate_and_off(void **state)
{
	(void)state;
	/* Unknown sources together get 10 x burst: 1000 addresses that each
	   send 2 pass 10 x 4 = 40 requests in one instant. */
	struct mcu_sip_limit_conf c = {
	    .rate = 2, .burst = 4, .max_sources = 64};
	struct mcu_sip_limit *l = NULL;
	int64_t t = 7000000;
	char ip[32];
	unsigned ok = 0;

	assert_int_equal(mcu_sip_limit_alloc(&l, &c), 0);
	for (int i = 0; i < 1000; i++) {
		snprintf(ip, sizeof(ip), "10.1.%d.%d", i / 250, i % 250 + 1);
		struct sockaddr_storage a = v4(ip, 5060);
		ok += take_n(l, &a, false, 2, t);
	}
	assert_int_equal(ok, 40);
	/* allowed_rate 0: no limit for sources in an allow list */
	struct sockaddr_storage e = v4("127.0.0.1", 5060);
	assert_int_equal(take_n(l, &e, true, 5000, t), 5000);
	/* a non-IP source passes */
	struct sockaddr un = {.sa_family = AF_UNIX};
	assert_true(mcu_sip_limit_take(l, &un, false, t));
	assert_true(mcu_sip_limit_take(NULL, &un, false, t));
	mcu_sip_limit_free(l);
	assert_int_equal(mcu_sip_limit_alloc(&l, NULL), EINVAL);
}

static void ipv6_and_eviction(void **state)
{
	(void)state;
	struct mcu_sip_limit_conf c = {
	    .rate = 1, .burst = 1, .max_sources = 16};
	struct mcu_sip_limit *l = NULL;
	struct sockaddr_storage ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
	int64_t t = 9000000;

	assert_int_equal(mcu_sip_limit_alloc(&l, &c), 0);
	memset(&ss, 0, sizeof(ss));
	in6->sin6_family = AF_INET6;
	inet_pton(AF_INET6, "2001:db8::1", &in6->sin6_addr);
	assert_true(mcu_sip_limit_take(l, (struct sockaddr *)&ss, false, t));
	assert_false(mcu_sip_limit_take(l, (struct sockaddr *)&ss, false, t));
	/* 16 slots, 200 other sources spaced 2 s apart (the aggregate
	   refills): the table never grows and lookups still work */
	for (int i = 0; i < 200; i++) {
		char ip[32];
		snprintf(ip, sizeof(ip), "192.0.2.%d", i);
		struct sockaddr_storage a = v4(ip, 5060);
		t += 2000000;
		assert_true(
		    mcu_sip_limit_take(l, (struct sockaddr *)&a, false, t));
	}
	mcu_sip_limit_free(l);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(burst_then_rate),
    cmocka_unit_test(port_ignored_classes_apart),
    cmocka_unit_test(aggregate_and_off),
    cmocka_unit_test(ipv6_and_eviction),
};

MCU_TEST_MAIN(tests, NULL, NULL)
