/*
 * log: the process-wide logger. The lowest layer of mcud: every folder may
 * call it. A line carries time, level, module tag and the calling thread's
 * context (meeting/participant); the level is checked before the arguments
 * are evaluated. Once mcu_log_start() has run, lines go through a bounded
 * ring to a writer thread so that no media thread ever blocks on stderr;
 * before that (tools, tests) they are written directly. A full ring drops
 * lines and counts them.
 *
 * Each .c file defines MCU_LOG_MODULE before including this header:
 *     #define MCU_LOG_MODULE "jbuf"
 *     #include "conf/log.h"
 */
#ifndef MCU_CONF_LOG_H
#define MCU_CONF_LOG_H

#include <stdarg.h>
#include <stdint.h>

enum mcu_log_level {
	MCU_LOG_ERROR = 0,
	MCU_LOG_WARN,
	MCU_LOG_INFO,
	MCU_LOG_DEBUG,
	MCU_LOG_TRACE,
};

#ifndef MCU_LOG_MODULE
#define MCU_LOG_MODULE "mcu"
#endif

/* Current threshold; written by mcu_log_set_level() only. */
extern volatile int mcu_log_threshold;

#define mcu_log_enabled(level) ((int)(level) <= mcu_log_threshold)

#define mcu_log(level, ...)                                                    \
	do {                                                                   \
		if (mcu_log_enabled(level))                                    \
			mcu_log_write((level), MCU_LOG_MODULE, __VA_ARGS__);   \
	} while (0)

#define mcu_log_error(...) mcu_log(MCU_LOG_ERROR, __VA_ARGS__)
#define mcu_log_warn(...)  mcu_log(MCU_LOG_WARN, __VA_ARGS__)
#define mcu_log_info(...)  mcu_log(MCU_LOG_INFO, __VA_ARGS__)
#define mcu_log_debug(...) mcu_log(MCU_LOG_DEBUG, __VA_ARGS__)

/*
 * Rate-limited logging for hot paths: at most one line per `interval_ms`
 * per call site; the suppressed count is added to the next line.
 */
#define mcu_log_ratelimited(level, interval_ms, ...)                           \
	do {                                                                   \
		static int64_t mcu_rl_last_;                                   \
		static unsigned mcu_rl_dropped_;                               \
		if (mcu_log_enabled(level)) {                                  \
			if (mcu_log_ratelimit_pass(&mcu_rl_last_,              \
			                           &mcu_rl_dropped_,           \
			                           (interval_ms)))             \
				mcu_log_write((level), MCU_LOG_MODULE,         \
				              __VA_ARGS__);                    \
		}                                                              \
	} while (0)

void mcu_log_write(enum mcu_log_level level, const char *module,
                   const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void mcu_log_vwrite(enum mcu_log_level level, const char *module,
                    const char *fmt, va_list ap)
	__attribute__((format(printf, 3, 0)));

/* Parse "error|warn|info|debug|trace"; returns 0 or EINVAL. */
int mcu_log_parse_level(const char *name, enum mcu_log_level *out);
void mcu_log_set_level(enum mcu_log_level level);

/*
 * Thread-local context shown in brackets on every line of this thread
 * ("giao-ban/ubnd-tp"); NULL clears it. The string is copied.
 */
void mcu_log_set_context(const char *ctx);

/* Start / stop the writer thread; stop flushes what is queued. */
int mcu_log_start(void);
void mcu_log_stop(void);

/* Lines dropped because the ring was full (for metrics). */
uint64_t mcu_log_dropped(void);

/* Internal helper of mcu_log_ratelimited(). */
int mcu_log_ratelimit_pass(int64_t *last_ms, unsigned *dropped,
                           int interval_ms);

#endif
