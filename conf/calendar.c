/*
 * calendar: working days. Civil-date conversion uses the days-from-civil
 * arithmetic on 400-year eras (no time zone, no table); counting working
 * days is closed-form over whole weeks, then the holidays inside the range
 * that fall on a weekday are subtracted, so a count over centuries costs
 * the same as one over a week.
 */
#include <errno.h>
#include <string.h>

#include "conf/calendar.h"

/* 1970-01-05 was a Monday. */
#define MONDAY_ANCHOR 4

static int64_t floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;
	if ((a % b != 0) && ((a < 0) != (b < 0)))
		q--;
	return q;
}

int32_t mcu_calendar_days_from_civil(int year, unsigned month, unsigned day)
{
	int64_t y = (int64_t)year - (month <= 2);
	int64_t era = floor_div(y, 400);
	int64_t yoe = y - era * 400;
	int64_t mp = (month + 9) % 12;
	int64_t doy = (153 * mp + 2) / 5 + (int64_t)day - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return (int32_t)(era * 146097 + doe - 719468);
}

void mcu_calendar_civil_from_days(int32_t days, int *year, unsigned *month,
                                  unsigned *day)
{
	int64_t z = (int64_t)days + 719468;
	int64_t era = floor_div(z, 146097);
	int64_t doe = z - era * 146097;
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int64_t mp = (5 * doy + 2) / 153;
	unsigned m = (unsigned)(mp < 10 ? mp + 3 : mp - 9);
	*day = (unsigned)(doy - (153 * mp + 2) / 5 + 1);
	*month = m;
	*year = (int)(yoe + era * 400 + (m <= 2));
}

bool mcu_calendar_date_valid(int year, unsigned month, unsigned day)
{
	static const unsigned mdays[12] = {31, 28, 31, 30, 31, 30,
	                                   31, 31, 30, 31, 30, 31};
	if (year < 1 || year > 9999 || month < 1 || month > 12 || day < 1)
		return false;
	unsigned max = mdays[month - 1];
	bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
	if (month == 2 && leap)
		max = 29;
	return day <= max;
}

int mcu_calendar_weekday(int32_t days)
{
	/* Day 0 was a Thursday (4). */
	int64_t w = ((int64_t)days + 4) % 7;
	return (int)(w < 0 ? w + 7 : w);
}

int mcu_calendar_local_day(time_t t, int32_t *dayp)
{
	struct tm tm;
	if (!localtime_r(&t, &tm))
		return EOVERFLOW;
	if (tm.tm_year < -1899 || tm.tm_year > 8099)
		return EOVERFLOW;
	*dayp = mcu_calendar_days_from_civil(tm.tm_year + 1900,
	                                     (unsigned)tm.tm_mon + 1,
	                                     (unsigned)tm.tm_mday);
	return 0;
}

time_t mcu_calendar_day_start(int32_t days)
{
	struct tm tm;
	int year;
	unsigned month, day;
	mcu_calendar_civil_from_days(days, &year, &month, &day);
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = year - 1900;
	tm.tm_mon = (int)month - 1;
	tm.tm_mday = (int)day;
	tm.tm_isdst = -1;
	return mktime(&tm);
}

/* First index whose holiday is >= days. */
static size_t lower_bound(const struct mcu_calendar *cal, int32_t days)
{
	size_t lo = 0, hi = cal ? cal->n_holidays : 0;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (cal->holidays[mid] < days)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

bool mcu_calendar_is_holiday(const struct mcu_calendar *cal, int32_t days)
{
	size_t i = lower_bound(cal, days);
	return cal && i < cal->n_holidays && cal->holidays[i] == days;
}

bool mcu_calendar_is_working_day(const struct mcu_calendar *cal,
                                 int32_t days)
{
	int w = mcu_calendar_weekday(days);
	return w >= 1 && w <= 5 && !mcu_calendar_is_holiday(cal, days);
}

/* Weekdays (Mon-Fri) in [MONDAY_ANCHOR, days), negative before it. */
static int64_t weekdays_before(int32_t days)
{
	int64_t k = (int64_t)days - MONDAY_ANCHOR;
	int64_t weeks = floor_div(k, 7);
	int64_t rem = k - weeks * 7;
	return weeks * 5 + (rem < 5 ? rem : 5);
}

long mcu_calendar_count_working_days(const struct mcu_calendar *cal,
                                     int32_t from, int32_t to)
{
	if (to <= from)
		return 0;
	int64_t n = weekdays_before(to) - weekdays_before(from);
	if (!cal)
		return (long)n;
	for (size_t i = lower_bound(cal, from);
	     i < cal->n_holidays && cal->holidays[i] < to; i++) {
		if (i > 0 && cal->holidays[i] == cal->holidays[i - 1])
			continue;
		int w = mcu_calendar_weekday(cal->holidays[i]);
		if (w >= 1 && w <= 5)
			n--;
	}
	return (long)n;
}

int32_t mcu_calendar_add_working_days(const struct mcu_calendar *cal,
                                      int32_t days, int n)
{
	int step = n < 0 ? -1 : 1;
	long left = n < 0 ? -(long)n : n;
	while (left > 0) {
		if ((step > 0 && days == INT32_MAX) ||
		    (step < 0 && days == INT32_MIN))
			break;
		days += step;
		if (mcu_calendar_is_working_day(cal, days))
			left--;
	}
	return days;
}
