/*
 * calendar: working-day arithmetic of the regulation, on whole days of the
 * local calendar (the process time zone, see mcu_conf_apply_timezone()).
 *
 * A day is an int32_t: days since 1970-01-01 in the civil (proleptic
 * Gregorian) calendar, so day 0 is Thursday 1970-01-01 wherever the zone
 * is. Working days are Monday to Friday minus the holidays of a
 * struct mcu_calendar (a borrowed, sorted array of days, e.g.
 * mcu_conf.holidays). Used by the roster validator and by the scheduler;
 * every function is pure except mcu_calendar_local_day() and
 * mcu_calendar_day_start(), which read the process time zone.
 */
#ifndef MCU_CONF_CALENDAR_H
#define MCU_CONF_CALENDAR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

struct mcu_calendar {
	const int32_t *holidays; /* sorted ascending, borrowed */
	size_t n_holidays;
};

/* Days since 1970-01-01 of a civil date; month 1..12, day 1..31. */
int32_t mcu_calendar_days_from_civil(int year, unsigned month, unsigned day);

/* The civil date of a day. */
void mcu_calendar_civil_from_days(int32_t days, int *year, unsigned *month,
                                  unsigned *day);

/* True when year-month-day names a real date (1..9999). */
bool mcu_calendar_date_valid(int year, unsigned month, unsigned day);

/* 0 = Sunday, 1 = Monday ... 6 = Saturday. */
int mcu_calendar_weekday(int32_t days);

/*
 * The local calendar day of `t` in the process time zone. Returns 0, or
 * EOVERFLOW when `t` is outside what localtime_r() can represent.
 */
int mcu_calendar_local_day(time_t t, int32_t *dayp);

/* Local midnight starting `days` (mktime, tm_isdst = -1); -1 on overflow. */
time_t mcu_calendar_day_start(int32_t days);

bool mcu_calendar_is_holiday(const struct mcu_calendar *cal, int32_t days);

/* Monday to Friday and not a holiday. */
bool mcu_calendar_is_working_day(const struct mcu_calendar *cal,
                                 int32_t days);

/* Working days in [from, to); 0 when to <= from. O(holidays). */
long mcu_calendar_count_working_days(const struct mcu_calendar *cal,
                                     int32_t from, int32_t to);

/*
 * Walk `n` working days from `days`: n > 0 gives the n-th working day after
 * `days`, n < 0 the |n|-th working day before it, n == 0 `days` itself.
 * So the last day a meeting on day S may be announced with 3 working days'
 * notice is mcu_calendar_add_working_days(cal, S, -3).
 */
int32_t mcu_calendar_add_working_days(const struct mcu_calendar *cal,
                                      int32_t days, int n);

#endif
