#define MCU_LOG_MODULE "timeline"
#include "mcu/timeline.h"

#include <errno.h>
#include <stdlib.h>

enum mcu_meeting_state mcu_timeline_state(const struct mcu_conf_meeting *m,
                                          time_t now)
{
	if (now >= m->end)
		return MCU_MEETING_ENDED;
	if (now >= m->start)
		return MCU_MEETING_LIVE;
	if (m->has_test_run && now >= m->test_start && now < m->test_end)
		return MCU_MEETING_TEST_RUN;
	return MCU_MEETING_SCHEDULED;
}

const char *mcu_timeline_state_name(enum mcu_meeting_state state)
{
	switch (state) {
	case MCU_MEETING_SCHEDULED:
		return "scheduled";
	case MCU_MEETING_TEST_RUN:
		return "test-run";
	case MCU_MEETING_LIVE:
		return "live";
	case MCU_MEETING_ENDED:
		return "ended";
	}
	return "unknown";
}

static int event_cmp(const void *a, const void *b)
{
	const struct mcu_timeline_event *x = a, *y = b;
	if (x->at != y->at)
		return x->at < y->at ? -1 : 1;
	if (x->kind != y->kind)
		return (int)x->kind - (int)y->kind;
	return x->meeting < y->meeting ? -1 : x->meeting > y->meeting;
}

int mcu_timeline_events(const struct mcu_conf *conf, time_t from,
                        struct mcu_timeline_event **eventsp, size_t *countp)
{
	struct mcu_timeline_event *ev;
	size_t n = 0;

	ev = calloc(conf->n_meetings * 4 + 1, sizeof(*ev));
	if (!ev)
		return ENOMEM;
	for (size_t i = 0; i < conf->n_meetings; i++) {
		const struct mcu_conf_meeting *m = &conf->meetings[i];
		struct mcu_timeline_event cand[4] = {
			{m->test_start, MCU_EVENT_TEST_START, i},
			{m->test_end, MCU_EVENT_TEST_END, i},
			{m->start, MCU_EVENT_START, i},
			{m->end, MCU_EVENT_END, i},
		};
		for (int k = m->has_test_run ? 0 : 2; k < 4; k++) {
			if (cand[k].at >= from)
				ev[n++] = cand[k];
		}
	}
	qsort(ev, n, sizeof(*ev), event_cmp);
	*eventsp = ev;
	*countp = n;
	return 0;
}

static const char *event_key(enum mcu_timeline_kind kind)
{
	switch (kind) {
	case MCU_EVENT_TEST_START:
		return "event.test_start";
	case MCU_EVENT_TEST_END:
		return "event.test_end";
	case MCU_EVENT_START:
		return "event.start";
	case MCU_EVENT_END:
		return "event.end";
	}
	return "";
}

/* Left-align UTF-8 text in `width` columns (counting code points). */
static void print_padded(FILE *out, const char *text, int width)
{
	int cols = 0;
	for (const char *p = text; *p; p++)
		cols += ((unsigned char)*p & 0xC0) != 0x80;
	fputs(text, out);
	for (; cols < width; cols++)
		fputc(' ', out);
}

static void print_time(FILE *out, time_t t)
{
	struct tm tm;
	char buf[32];
	localtime_r(&t, &tm);
	strftime(buf, sizeof(buf), "%Y-%m-%d %a %H:%M", &tm);
	fputs(buf, out);
}

static void print_meeting(const struct mcu_conf *conf,
                          const struct mcu_conf_meeting *m,
                          enum mcu_lang lang, FILE *out)
{
	fprintf(out, "%s", m->id);
	if (m->emergency)
		fprintf(out, " [%s]", mcu_i18n(lang, "schedule.emergency"));
	fprintf(out, " — %s (%s %s, %zu %s)\n", m->title ? m->title : "",
	        mcu_i18n(lang, "schedule.host"),
	        conf->endpoints[m->host_index].id, m->n_branches,
	        mcu_i18n(lang, "schedule.branches"));
}

size_t mcu_timeline_print(const struct mcu_conf *conf, time_t now,
                          enum mcu_lang lang, FILE *out)
{
	struct mcu_timeline_event *ev = NULL;
	size_t n = 0;
	bool header = false;

	for (size_t i = 0; i < conf->n_meetings; i++) {
		const struct mcu_conf_meeting *m = &conf->meetings[i];
		enum mcu_meeting_state st = mcu_timeline_state(m, now);
		char key[32];
		if (st != MCU_MEETING_LIVE && st != MCU_MEETING_TEST_RUN)
			continue;
		if (!header) {
			fprintf(out, "%s:\n", mcu_i18n(lang, "schedule.now"));
			header = true;
		}
		snprintf(key, sizeof(key), "state.%s",
		         mcu_timeline_state_name(st));
		fputs("  ", out);
		print_padded(out, mcu_i18n(lang, key), 19);
		print_meeting(conf, m, lang, out);
	}
	if (mcu_timeline_events(conf, now, &ev, &n) != 0)
		return 0;
	fprintf(out, "%s%s (%s):\n", header ? "\n" : "",
	        mcu_i18n(lang, "schedule.title"),
	        conf->timezone ? conf->timezone : "local");
	if (n == 0)
		fprintf(out, "  %s\n", mcu_i18n(lang, "schedule.none"));
	for (size_t i = 0; i < n; i++) {
		fputs("  ", out);
		print_time(out, ev[i].at);
		fputs("  ", out);
		print_padded(out, mcu_i18n(lang, event_key(ev[i].kind)), 19);
		print_meeting(conf, &conf->meetings[ev[i].meeting], lang, out);
	}
	free(ev);
	return n;
}
