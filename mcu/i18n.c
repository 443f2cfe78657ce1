#include "mcu/i18n.h"

#include <errno.h>
#include <string.h>
#include <strings.h>

struct entry {
	const char *key;
	const char *vi;
	const char *en;
};

/* Sorted by key is not required: the table is small and read rarely. */
static const struct entry table[] = {
	{"state.scheduled", "đã lên lịch", "scheduled"},
	{"state.test-run", "đang chạy thử", "test run"},
	{"state.live", "đang họp", "live"},
	{"state.ended", "đã kết thúc", "ended"},
	{"event.test_start", "bắt đầu chạy thử", "test run starts"},
	{"event.test_end", "kết thúc chạy thử", "test run ends"},
	{"event.start", "bắt đầu họp", "meeting starts"},
	{"event.end", "kết thúc họp", "meeting ends"},
	{"schedule.title", "Lịch sắp tới", "Coming timeline"},
	{"schedule.none", "Không có sự kiện nào sắp tới.",
	 "No coming events."},
	{"schedule.now", "Đang diễn ra", "Under way now"},
	{"schedule.host", "chủ trì", "host"},
	{"schedule.branches", "điểm cầu nhánh", "branches"},
	{"schedule.emergency", "KHẨN CẤP", "EMERGENCY"},
};

int mcu_i18n_parse(const char *name, enum mcu_lang *out)
{
	if (!name)
		return EINVAL;
	if (!strcasecmp(name, "vi")) {
		*out = MCU_LANG_VI;
		return 0;
	}
	if (!strcasecmp(name, "en")) {
		*out = MCU_LANG_EN;
		return 0;
	}
	return EINVAL;
}

const char *mcu_i18n(enum mcu_lang lang, const char *key)
{
	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
		if (!strcmp(table[i].key, key))
			return lang == MCU_LANG_EN ? table[i].en : table[i].vi;
	}
	return key;
}
