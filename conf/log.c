/*
 * The logger keeps a fixed ring of formatted lines guarded by one mutex.
 * Producers format into a stack buffer (no lock held while formatting) and
 * copy the finished line into the ring; the writer thread swaps lines out
 * under the lock and writes them to stderr without it. A full ring never
 * blocks a producer: the line is dropped and counted, and the writer reports
 * the count. Before the writer thread starts, and after it stops, lines are
 * written directly so that tools and early start-up errors are not lost.
 */
#define MCU_LOG_MODULE "log"
#include "conf/log.h"
#include "conf/utf8.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#define LOG_LINE_MAX 512
#define LOG_RING     1024

volatile int mcu_log_threshold = MCU_LOG_INFO;

static const char *const level_names[] = {"ERROR", "WARN", "INFO", "DEBUG",
                                          "TRACE"};

static __thread char tls_context[64];

static struct {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	char lines[LOG_RING][LOG_LINE_MAX]; /* lock */
	unsigned head, count;               /* lock */
	bool running;                       /* lock */
	bool stop;                          /* lock */
	pthread_t thread;
	atomic_uint_fast64_t dropped;
} ring = {
	.lock = PTHREAD_MUTEX_INITIALIZER,
	.cond = PTHREAD_COND_INITIALIZER,
};

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int mcu_log_parse_level(const char *name, enum mcu_log_level *out)
{
	static const char *const names[] = {"error", "warn", "info", "debug",
	                                    "trace"};
	for (unsigned i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (!strcasecmp(name, names[i]) ||
		    (i == MCU_LOG_WARN && !strcasecmp(name, "warning"))) {
			*out = (enum mcu_log_level)i;
			return 0;
		}
	}
	return EINVAL;
}

void mcu_log_set_level(enum mcu_log_level level)
{
	mcu_log_threshold = (int)level;
}

void mcu_log_set_context(const char *ctx)
{
	if (!ctx) {
		tls_context[0] = '\0';
		return;
	}
	snprintf(tls_context, sizeof(tls_context), "%s", ctx);
}

uint64_t mcu_log_dropped(void)
{
	return atomic_load(&ring.dropped);
}

int mcu_log_ratelimit_pass(int64_t *last_ms, unsigned *dropped,
                           int interval_ms)
{
	/* Call sites are static per function; races only miscount drops. */
	int64_t now = now_ms();
	if (*last_ms && now - *last_ms < interval_ms) {
		(*dropped)++;
		return 0;
	}
	*last_ms = now;
	if (*dropped) {
		mcu_log_write(MCU_LOG_INFO, "log",
		              "(%u similar lines suppressed)", *dropped);
		*dropped = 0;
	}
	return 1;
}

/*
 * Copy `src` into `dst` (room >= 1 bytes, NUL-terminated), writing each
 * byte of a control character (C0 but tab, DEL, C1) and each byte that is
 * not part of valid UTF-8 as "\xNN". Lines quote text from outside (a
 * SIP Call-ID, a display name, an API path): escaped, such text can neither
 * move the cursor or recolour the operator's terminal nor make the journal
 * store the line as binary. A character that does not fit whole is left
 * out. Returns the length written.
 */
static size_t escape_text(char *dst, size_t room, const char *src)
{
	size_t o = 0, n = strlen(src);
	for (size_t i = 0; i < n;) {
		unsigned char c = (unsigned char)src[i];
		size_t l = c < 0x80 ? 1 : mcu_utf8_seq(src + i, n - i);
		bool ctl = (c < 0x20 && c != '\t') || c == 0x7f ||
		           (l == 2 && c == 0xc2 &&
		            (unsigned char)src[i + 1] < 0xa0);
		if (l && !ctl) {
			if (o + l >= room)
				break;
			memcpy(dst + o, src + i, l);
			o += l;
			i += l;
			continue;
		}
		for (size_t k = 0; k < (l ? l : 1); k++, i++) {
			if (o + 4 >= room)
				goto full;
			static const char hex[] = "0123456789abcdef";
			c = (unsigned char)src[i];
			dst[o++] = '\\';
			dst[o++] = 'x';
			dst[o++] = hex[c >> 4];
			dst[o++] = hex[c & 15];
		}
	}
full:
	dst[o] = '\0';
	return o;
}

static void write_all(const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = write(STDERR_FILENO, buf, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return;
		}
		buf += n;
		len -= (size_t)n;
	}
}

void mcu_log_vwrite(enum mcu_log_level level, const char *module,
                    const char *fmt, va_list ap)
{
	char line[LOG_LINE_MAX];
	struct timespec ts;
	struct tm tm;
	clock_gettime(CLOCK_REALTIME, &ts);
	localtime_r(&ts.tv_sec, &tm);

	/* Local time with its UTC offset: the roster's time zone applies
	   from the moment the roster is loaded (mcu_conf_apply_timezone), so
	   the first lines of a run are in the machine's zone and the offset
	   says which. */
	long off = tm.tm_gmtoff / 60;
	char sign = off < 0 ? '-' : '+';
	if (off < 0)
		off = -off;
	int lvl = level < 0 ? 0 : level > MCU_LOG_TRACE ? MCU_LOG_TRACE : level;
	int n = snprintf(line, sizeof(line),
	                 "%04d-%02d-%02d %02d:%02d:%02d.%03ld%c%02ld:%02ld "
	                 "%-5s %-9s ",
	                 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
	                 tm.tm_hour, tm.tm_min, tm.tm_sec,
	                 ts.tv_nsec / 1000000, sign, off / 60, off % 60,
	                 level_names[lvl], module);
	if (n < 0)
		return;
	/* the context and the message, escaped after the fixed prefix;
	   room is kept for the newline */
	char text[LOG_LINE_MAX];
	int t = 0;
	text[0] = '\0';
	if (tls_context[0])
		t = snprintf(text, sizeof(text), "[%s] ", tls_context);
	if (t >= 0 && (size_t)t < sizeof(text))
		vsnprintf(text + t, sizeof(text) - (size_t)t, fmt, ap);
	if ((size_t)n < sizeof(line) - 1)
		n += (int)escape_text(line + n, sizeof(line) - 1 - (size_t)n,
		                      text);
	else
		n = (int)sizeof(line) - 2;
	line[n++] = '\n';
	line[n] = '\0';

	pthread_mutex_lock(&ring.lock);
	if (!ring.running) {
		pthread_mutex_unlock(&ring.lock);
		write_all(line, (size_t)n);
		return;
	}
	if (ring.count == LOG_RING) {
		pthread_mutex_unlock(&ring.lock);
		atomic_fetch_add(&ring.dropped, 1);
		return;
	}
	memcpy(ring.lines[(ring.head + ring.count) % LOG_RING], line,
	       (size_t)n + 1);
	ring.count++;
	pthread_cond_signal(&ring.cond);
	pthread_mutex_unlock(&ring.lock);
}

void mcu_log_write(enum mcu_log_level level, const char *module,
                   const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	mcu_log_vwrite(level, module, fmt, ap);
	va_end(ap);
}

static void *writer_main(void *arg)
{
	static char batch[64][LOG_LINE_MAX];
	uint64_t reported = 0;
	(void)arg;
	pthread_mutex_lock(&ring.lock);
	for (;;) {
		while (ring.count == 0 && !ring.stop)
			pthread_cond_wait(&ring.cond, &ring.lock);
		if (ring.count == 0 && ring.stop) {
			/* From here on producers write directly. */
			ring.running = false;
			break;
		}
		unsigned n = 0;
		while (ring.count > 0 && n < 64) {
			memcpy(batch[n++], ring.lines[ring.head],
			       LOG_LINE_MAX);
			ring.head = (ring.head + 1) % LOG_RING;
			ring.count--;
		}
		pthread_mutex_unlock(&ring.lock);
		for (unsigned i = 0; i < n; i++)
			write_all(batch[i], strlen(batch[i]));
		uint64_t d = atomic_load(&ring.dropped);
		if (d != reported) {
			char msg[96];
			int len = snprintf(msg, sizeof(msg),
			                   "log: %llu lines dropped (ring full)\n",
			                   (unsigned long long)(d - reported));
			write_all(msg, (size_t)len);
			reported = d;
		}
		pthread_mutex_lock(&ring.lock);
	}
	pthread_mutex_unlock(&ring.lock);
	return NULL;
}

int mcu_log_start(void)
{
	int err;
	pthread_mutex_lock(&ring.lock);
	if (ring.running) {
		pthread_mutex_unlock(&ring.lock);
		return 0;
	}
	ring.stop = false;
	err = pthread_create(&ring.thread, NULL, writer_main, NULL);
	if (!err)
		pthread_setname_np(ring.thread, "mcud-log");
	if (!err)
		ring.running = true;
	pthread_mutex_unlock(&ring.lock);
	return err;
}

void mcu_log_stop(void)
{
	pthread_mutex_lock(&ring.lock);
	if (!ring.running) {
		pthread_mutex_unlock(&ring.lock);
		return;
	}
	ring.stop = true;
	pthread_cond_signal(&ring.cond);
	pthread_mutex_unlock(&ring.lock);
	pthread_join(ring.thread, NULL);
}
