/* test-libs: mcu_conf */
/*
 * Working-day arithmetic (conf/calendar.h): civil dates, weekdays,
 * working days across weekends and holidays, walking N working days, and
 * local days in the process time zone.
 */
#include <stdlib.h>

#include "conf/calendar.h"
#include "conf/config.h"
#include "tests/unit/testutil.h"

#define D(y, m, d) mcu_calendar_days_from_civil((y), (m), (d))

static void civil_roundtrip(void **state)
{
	assert_int_equal(D(1970, 1, 1), 0);
	assert_int_equal(D(2000, 3, 1), 11017);
	assert_int_equal(D(1969, 12, 31), -1);
	assert_int_equal(D(2026, 12, 7), 20794);
	for (int32_t day = -800000; day < 3000000; day += 997) {
		int y;
		unsigned m, d;
		mcu_calendar_civil_from_days(day, &y, &m, &d);
		assert_true(mcu_calendar_date_valid(y, m, d) || y < 1 || y > 9999);
		assert_int_equal(D(y, m, d), day);
	}
	assert_true(mcu_calendar_date_valid(2024, 2, 29));
	assert_false(mcu_calendar_date_valid(2026, 2, 29));
	assert_false(mcu_calendar_date_valid(2100, 2, 29));
	assert_true(mcu_calendar_date_valid(2000, 2, 29));
	assert_false(mcu_calendar_date_valid(2026, 4, 31));
	assert_false(mcu_calendar_date_valid(2026, 13, 1));
	assert_false(mcu_calendar_date_valid(2026, 0, 1));
}

static void weekdays(void **state)
{
	assert_int_equal(mcu_calendar_weekday(0), 4);           /* Thursday */
	assert_int_equal(mcu_calendar_weekday(D(2026, 12, 7)), 1); /* Monday */
	assert_int_equal(mcu_calendar_weekday(D(2026, 12, 5)), 6);
	assert_int_equal(mcu_calendar_weekday(D(2026, 12, 6)), 0);
	assert_int_equal(mcu_calendar_weekday(-1), 3);
	assert_int_equal(mcu_calendar_weekday(-7), 4);
}

static void working_days_weekend(void **state)
{
	struct mcu_calendar cal = {0};
	int32_t mon = D(2026, 12, 7);
	assert_true(mcu_calendar_is_working_day(&cal, mon));
	assert_false(mcu_calendar_is_working_day(&cal, mon - 1));
	assert_false(mcu_calendar_is_working_day(&cal, mon - 2));
	assert_true(mcu_calendar_is_working_day(&cal, mon - 3));
	/* [Thu 3, Mon 7) = Thu, Fri */
	assert_int_equal(mcu_calendar_count_working_days(&cal, mon - 4, mon), 2);
	/* [Sat 5, Mon 7) = none */
	assert_int_equal(mcu_calendar_count_working_days(&cal, mon - 2, mon), 0);
	assert_int_equal(mcu_calendar_count_working_days(&cal, mon, mon), 0);
	assert_int_equal(mcu_calendar_count_working_days(&cal, mon, mon - 5), 0);
	assert_int_equal(mcu_calendar_count_working_days(&cal, mon, mon + 7), 5);
	assert_int_equal(mcu_calendar_count_working_days(&cal, mon, mon + 70),
	                 50);
	assert_int_equal(mcu_calendar_count_working_days(NULL, mon - 6, mon),
	                 4);
}

/* Brute force over a window against the closed form. */
static void working_days_brute(void **state)
{
	int32_t hol[] = {D(2026, 1, 1), D(2026, 4, 30), D(2026, 5, 1),
	                 D(2026, 5, 2), D(2026, 9, 2)};
	struct mcu_calendar cal = {hol, 5};
	int32_t base = D(2025, 12, 1);
	for (int32_t from = base; from < base + 330; from += 3) {
		long n = 0;
		for (int32_t to = from; to < from + 60; to++) {
			assert_int_equal(
				mcu_calendar_count_working_days(&cal, from, to), n);
			if (mcu_calendar_is_working_day(&cal, to))
				n++;
		}
	}
	for (int32_t d = -1000; d < 1000; d += 13) {
		long n = 0;
		for (int32_t x = d; x < d + 40; x++)
			n += mcu_calendar_is_working_day(NULL, x);
		assert_int_equal(mcu_calendar_count_working_days(NULL, d, d + 40),
		                 n);
	}
}

static void working_days_holidays(void **state)
{
	/* 2026-04-30 Thu and 05-01 Fri are holidays; 05-02 is a Saturday */
	int32_t hol[] = {D(2026, 4, 30), D(2026, 5, 1), D(2026, 5, 1),
	                 D(2026, 5, 2)};
	struct mcu_calendar cal = {hol, 4};
	int32_t mon = D(2026, 5, 4);
	assert_true(mcu_calendar_is_holiday(&cal, D(2026, 5, 1)));
	assert_false(mcu_calendar_is_holiday(&cal, mon));
	assert_false(mcu_calendar_is_working_day(&cal, D(2026, 4, 30)));
	/* [Mon 27 Apr, Mon 4 May): Mon, Tue, Wed = 3 (dup and Sat ignored) */
	assert_int_equal(mcu_calendar_count_working_days(&cal, mon - 7, mon), 3);
	assert_int_equal(mcu_calendar_count_working_days(&cal, mon - 5, mon), 1);
}

static void add_working_days(void **state)
{
	int32_t hol[] = {D(2026, 12, 24)};
	struct mcu_calendar cal = {hol, 1};
	int32_t mon = D(2026, 12, 7);
	assert_int_equal(mcu_calendar_add_working_days(&cal, mon, 0), mon);
	assert_int_equal(mcu_calendar_add_working_days(&cal, mon, -1), mon - 3);
	assert_int_equal(mcu_calendar_add_working_days(&cal, mon, -3),
	                 D(2026, 12, 2));
	assert_int_equal(mcu_calendar_add_working_days(&cal, mon - 2, 1), mon);
	assert_int_equal(mcu_calendar_add_working_days(&cal, mon, 5),
	                 D(2026, 12, 14));
	/* over the holiday on Thursday the 24th */
	assert_int_equal(mcu_calendar_add_working_days(&cal, D(2026, 12, 23), 1),
	                 D(2026, 12, 25));
	assert_int_equal(mcu_calendar_add_working_days(&cal, D(2026, 12, 28), -3),
	                 D(2026, 12, 22));
	/* the inverse of counting */
	for (int n = 1; n < 30; n++) {
		int32_t a = mcu_calendar_add_working_days(&cal, mon, -n);
		assert_int_equal(mcu_calendar_count_working_days(&cal, a, mon), n);
		assert_true(mcu_calendar_is_working_day(&cal, a));
	}
}

static void local_days(void **state)
{
	int32_t day;
	assert_int_equal(mcu_conf_apply_timezone("Asia/Ho_Chi_Minh"), 0);
	/* 2026-12-06T17:00Z is 00:00 on the 7th in UTC+7 */
	assert_int_equal(mcu_calendar_local_day(1796576400, &day), 0);
	assert_int_equal(day, D(2026, 12, 7));
	assert_int_equal(mcu_calendar_local_day(1796576399, &day), 0);
	assert_int_equal(day, D(2026, 12, 6));
	assert_int_equal(mcu_calendar_day_start(D(2026, 12, 7)), 1796576400);
	assert_int_equal(mcu_conf_apply_timezone("UTC"), 0);
	assert_int_equal(mcu_calendar_local_day(1796576400, &day), 0);
	assert_int_equal(day, D(2026, 12, 6));
	assert_int_equal(mcu_calendar_day_start(D(2026, 12, 7)), 1796601600);
	assert_int_equal(mcu_conf_apply_timezone("Asia/Ho_Chi_Minh"), 0);
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(civil_roundtrip),
	cmocka_unit_test(weekdays),
	cmocka_unit_test(working_days_weekend),
	cmocka_unit_test(working_days_brute),
	cmocka_unit_test(working_days_holidays),
	cmocka_unit_test(add_working_days),
	cmocka_unit_test(local_days),
};

MCU_TEST_MAIN(tests, NULL, NULL)
