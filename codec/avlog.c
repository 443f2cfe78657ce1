/*
 * FFmpeg may emit one line in several av_log calls (no trailing newline
 * until the last part), from many threads at once. Each thread therefore
 * assembles its line in a thread-local buffer and hands only whole lines to
 * mcu_log. The rate limit is a one-second window shared by all threads:
 * cheap atomics, no lock, and an exact count of what was dropped.
 */
#define MCU_LOG_MODULE "av"
#include "conf/log.h"
#include "codec/avlog.h"

#include <stdatomic.h>
#include <stdbool.h>
#include <string.h>
#include <time.h>

#include <libavutil/log.h>

#define AVLOG_LINE 512

static __thread char tls_line[AVLOG_LINE];
static __thread size_t tls_len;
static __thread int tls_print_prefix = 1;

static atomic_int_fast64_t window_start_ms;
static atomic_uint window_lines;
static atomic_uint window_dropped;
static atomic_uint_fast64_t total_dropped;

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static enum mcu_log_level map_level(int av_level)
{
	if (av_level <= AV_LOG_ERROR)
		return MCU_LOG_ERROR;
	if (av_level <= AV_LOG_WARNING)
		return MCU_LOG_WARN;
	if (av_level <= AV_LOG_VERBOSE)
		return MCU_LOG_DEBUG;
	return MCU_LOG_TRACE;
}

/*
 * True if this line may be written; *dropped_before receives the number of
 * lines suppressed in the previous window (reported once, by the first line
 * of a new window).
 */
static bool rate_pass(unsigned *dropped_before)
{
	int64_t now = now_ms();
	int64_t start = atomic_load(&window_start_ms);

	*dropped_before = 0;
	if (now - start >= 1000 &&
	    atomic_compare_exchange_strong(&window_start_ms, &start, now)) {
		atomic_store(&window_lines, 0);
		*dropped_before = atomic_exchange(&window_dropped, 0);
	}
	if (atomic_fetch_add(&window_lines, 1) < MCU_AVLOG_BURST)
		return true;
	atomic_fetch_add(&window_dropped, 1);
	atomic_fetch_add(&total_dropped, 1);
	return false;
}

static void emit(enum mcu_log_level level)
{
	unsigned dropped;

	while (tls_len > 0 &&
	       (tls_line[tls_len - 1] == '\n' || tls_line[tls_len - 1] == '\r'))
		tls_line[--tls_len] = '\0';
	if (tls_len == 0)
		return;
	if (!rate_pass(&dropped))
		goto out;
	if (dropped)
		mcu_log_write(level, MCU_LOG_MODULE, "%s (%u lines suppressed)",
		              tls_line, dropped);
	else
		mcu_log_write(level, MCU_LOG_MODULE, "%s", tls_line);
out:
	tls_len = 0;
	tls_line[0] = '\0';
}

static void avlog_cb(void *avcl, int av_level, const char *fmt, va_list vl)
{
	enum mcu_log_level level = map_level(av_level);
	int n;

	if (!mcu_log_enabled(level))
		return;
	n = av_log_format_line2(avcl, av_level, fmt, vl, tls_line + tls_len,
	                        sizeof(tls_line) - tls_len, &tls_print_prefix);
	if (n < 0)
		return;
	tls_len += (size_t)n;
	if (tls_len >= sizeof(tls_line) - 1) {
		/* Truncated: emit what fits. */
		tls_len = strnlen(tls_line, sizeof(tls_line) - 1);
		emit(level);
		return;
	}
	if (tls_len > 0 && tls_line[tls_len - 1] == '\n')
		emit(level);
}

void mcu_avlog_install(void)
{
	av_log_set_callback(avlog_cb);
}

uint64_t mcu_avlog_suppressed(void)
{
	return atomic_load(&total_dropped);
}
