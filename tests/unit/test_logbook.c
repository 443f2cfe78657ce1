/* test-libs: mcu_core mcu_conf */
#include "tests/unit/testutil.h"
#include "mcu/logbook.h"
#include "mcu/registers.h"

#include <errno.h>
#include <jansson.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* ------------------------------------------------------------ helpers */

static char tmpdir[256];
static char dbpath[512];

static int setup(void **state)
{
	(void)state;
	assert_int_equal(mcu_conf_apply_timezone("Asia/Ho_Chi_Minh"), 0);
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/mcu-logbook-XXXXXX");
	assert_non_null(mkdtemp(tmpdir));
	/* parent directories that do not exist yet */
	snprintf(dbpath, sizeof(dbpath), "%s/var/lib/logbook.db", tmpdir);
	return 0;
}

static int teardown(void **state)
{
	char cmd[600];
	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	assert_int_equal(system(cmd), 0);
	return 0;
}

/* Local time in Asia/Ho_Chi_Minh (UTC+7, no DST) as UTC seconds. */
static time_t vn(int y, int mo, int d, int h, int mi)
{
	struct tm tm = {0};
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	return timegm(&tm) - 7 * 3600;
}

/* A tiny RFC 4180 reader: rows of fields, CRLF or LF line ends. */
struct table {
	char **cell; /* row-major */
	size_t *ncols;
	size_t nrows;
	size_t n, cap;
};

static void table_push_cell(struct table *t, const char *s, size_t len)
{
	if (t->n == t->cap) {
		t->cap = t->cap ? t->cap * 2 : 64;
		t->cell = realloc(t->cell, t->cap * sizeof(*t->cell));
		assert_non_null(t->cell);
	}
	t->cell[t->n] = strndup(s, len);
	assert_non_null(t->cell[t->n]);
	t->n++;
	t->ncols[t->nrows]++;
}

static void table_parse(struct table *t, const char *s, size_t len)
{
	char *field = malloc(len + 1);
	size_t i = 0;
	assert_non_null(field);
	memset(t, 0, sizeof(*t));
	t->ncols = calloc(len + 2, sizeof(*t->ncols));
	assert_non_null(t->ncols);
	while (i < len) {
		size_t f = 0;
		if (s[i] == '"') {
			for (i++;; i++) {
				assert_true(i < len); /* unterminated quote */
				if (s[i] == '"' && i + 1 < len &&
				    s[i + 1] == '"')
					field[f++] = s[i++];
				else if (s[i] == '"')
					break;
				else
					field[f++] = s[i];
			}
			i++;
		} else {
			while (i < len && s[i] != ',' && s[i] != '\r' &&
			       s[i] != '\n') {
				assert_true(s[i] != '"'); /* bare quote */
				field[f++] = s[i++];
			}
		}
		table_push_cell(t, field, f);
		if (i < len && s[i] == ',') {
			i++;
			continue;
		}
		if (i < len && s[i] == '\r')
			i++;
		assert_true(i >= len || s[i] == '\n');
		i++;
		t->nrows++;
	}
	free(field);
}

static size_t row_start(const struct table *t, size_t row)
{
	size_t k = 0;
	for (size_t r = 0; r < row; r++)
		k += t->ncols[r];
	return k;
}

static const char *cell(const struct table *t, size_t row, size_t col)
{
	assert_true(row < t->nrows);
	assert_true(col < t->ncols[row]);
	return t->cell[row_start(t, row) + col];
}

/* Column index of heading `name` in row `row`. */
static size_t col_of(const struct table *t, size_t row, const char *name)
{
	for (size_t c = 0; c < t->ncols[row]; c++) {
		if (!strcmp(cell(t, row, c), name))
			return c;
	}
	fail_msg("no column '%s'", name);
	return 0;
}

/* First row whose first cell is `first`, starting at `from`. */
static size_t row_of(const struct table *t, size_t from, const char *first)
{
	for (size_t r = from; r < t->nrows; r++) {
		if (t->ncols[r] && !strcmp(cell(t, r, 0), first))
			return r;
	}
	fail_msg("no row '%s'", first);
	return 0;
}

static void table_free(struct table *t)
{
	for (size_t i = 0; i < t->n; i++)
		free(t->cell[i]);
	free(t->cell);
	free(t->ncols);
}

static struct mcu_logbook *open_lb(const struct mcu_logbook_opts *o)
{
	struct mcu_logbook *lb = NULL;
	assert_int_equal(mcu_logbook_open(&lb, dbpath, o), 0);
	assert_non_null(lb);
	return lb;
}

static const struct mcu_logbook_unit units[] = {
    {"ubnd-tp", "UBND thành phố", MCU_TIER_CITY},
    {"q-ninh-kieu", "UBND quận Ninh Kiều", MCU_TIER_DISTRICT},
    {"q-cai-rang", "UBND quận Cái Răng", MCU_TIER_DISTRICT},
    {"p-an-hoa", "UBND phường An Hòa", MCU_TIER_COMMUNE},
};

static void start(struct mcu_logbook *lb, const char *id, const char *title,
                  int host, const int *br, size_t n, time_t ps, time_t pe,
                  bool emergency, time_t at)
{
	struct mcu_logbook_unit b[4];
	for (size_t i = 0; i < n; i++)
		b[i] = units[br[i]];
	struct mcu_logbook_start s = {
	    .meeting_id = id,
	    .title = title,
	    .host = units[host],
	    .branches = b,
	    .n_branches = n,
	    .planned_start = ps,
	    .planned_end = pe,
	    .emergency = emergency,
	};
	assert_int_equal(mcu_logbook_meeting_started(lb, &s, at), 0);
}

static const char title49[] = "Giao ban \"tuần 49\", quý IV";

/* The meeting of the round-trip tests: 3 branches planned, 2 join. */
static void record_day(struct mcu_logbook *lb)
{
	const int br[] = {1, 2, 3};
	start(lb, "giao-ban-49", title49, 0, br, 3, vn(2026, 12, 7, 8, 0),
	      vn(2026, 12, 7, 10, 0), false, vn(2026, 12, 7, 8, 2));
	mcu_logbook_joined(lb, "giao-ban-49", "ubnd-tp", MCU_LOGBOOK_HOST,
	                   vn(2026, 12, 7, 8, 2));
	mcu_logbook_joined(lb, "giao-ban-49", "q-ninh-kieu", MCU_LOGBOOK_BRANCH,
	                   vn(2026, 12, 7, 8, 3));
	mcu_logbook_joined(lb, "giao-ban-49", "q-cai-rang", MCU_LOGBOOK_BRANCH,
	                   vn(2026, 12, 7, 8, 5));
	mcu_logbook_incident_raised(lb, "giao-ban-49", "q-cai-rang",
	                            "poor-audio", "tiếng rè, mất gói 8%",
	                            vn(2026, 12, 7, 8, 30));
	mcu_logbook_incident_cleared(lb, "giao-ban-49", "q-cai-rang",
	                             "poor-audio", vn(2026, 12, 7, 8, 40));
	mcu_logbook_left(lb, "giao-ban-49", "q-ninh-kieu", "timeout",
	                 vn(2026, 12, 7, 9, 0));
	mcu_logbook_joined(lb, "giao-ban-49", "q-ninh-kieu", MCU_LOGBOOK_BRANCH,
	                   vn(2026, 12, 7, 9, 2));
	mcu_logbook_recording_linked(lb, "giao-ban-49",
	                             "/var/lib/mcud/recordings/gb49.mkv",
	                             vn(2026, 12, 7, 8, 2));
	mcu_logbook_meeting_ended(lb, "giao-ban-49", vn(2026, 12, 7, 10, 5));
}

/* -------------------------------------------------------------- tests */

static void day_csv_round_trip(void **state)
{
	struct mcu_logbook *lb = open_lb(NULL);
	struct mcu_logbook_stats st;
	struct mcu_registers_doc doc;
	struct mcu_registers_query q = {.from = "2026-12-07", .format = "csv"};
	struct table t;
	(void)state;

	record_day(lb);
	mcu_logbook_flush(lb);
	mcu_logbook_stats(lb, &st);
	assert_int_equal(st.accepted, 10);
	assert_int_equal(st.written, 10);
	assert_int_equal(st.errors, 0);
	assert_int_equal(st.dropped, 0);

	assert_int_equal(mcu_registers_logbook_export(lb, &q, &doc), 0);
	assert_string_equal(doc.content_type, "text/csv; charset=utf-8");
	assert_true(doc.len > 3);
	assert_memory_equal(doc.data, "\xef\xbb\xbf", 3); /* BOM by default */
	table_parse(&t, doc.data + 3, doc.len - 3);
	assert_int_equal(t.nrows, 2);
	assert_int_equal(t.ncols[0], 18);
	assert_int_equal(t.ncols[1], 18);
	assert_string_equal(cell(&t, 1, col_of(&t, 0, "Mã cuộc họp")),
	                    "giao-ban-49");
	assert_string_equal(cell(&t, 1, col_of(&t, 0, "Nội dung cuộc họp")),
	                    title49);
	assert_string_equal(cell(&t, 1, col_of(&t, 0, "Đơn vị chủ trì")),
	                    "UBND thành phố");
	assert_string_equal(cell(&t, 1, col_of(&t, 0, "Bắt đầu theo kế hoạch")),
	                    "2026-12-07 08:00");
	assert_string_equal(
	    cell(&t, 1, col_of(&t, 0, "Kết thúc theo kế hoạch")),
	    "2026-12-07 10:00");
	assert_string_equal(cell(&t, 1, col_of(&t, 0, "Bắt đầu thực tế")),
	                    "2026-12-07 08:02");
	assert_string_equal(cell(&t, 1, col_of(&t, 0, "Kết thúc thực tế")),
	                    "2026-12-07 10:05");
	assert_string_equal(cell(&t, 1, col_of(&t, 0, "Thời lượng (phút)")),
	                    "123");
	assert_string_equal(
	    cell(&t, 1, col_of(&t, 0, "Số điểm cầu nhánh theo kế hoạch")), "3");
	assert_string_equal(
	    cell(&t, 1, col_of(&t, 0, "Số điểm cầu nhánh tham dự")), "2");
	assert_string_equal(
	    cell(&t, 1, col_of(&t, 0, "Điểm cầu nhánh theo kế hoạch")),
	    "q-ninh-kieu; q-cai-rang; p-an-hoa");
	assert_string_equal(
	    cell(&t, 1, col_of(&t, 0, "Điểm cầu nhánh đã tham dự")),
	    "q-ninh-kieu; q-cai-rang");
	assert_string_equal(cell(&t, 1, col_of(&t, 0, "Họp khẩn cấp")),
	                    "Không");
	assert_string_equal(cell(&t, 1, col_of(&t, 0, "Tệp ghi hình")),
	                    "/var/lib/mcud/recordings/gb49.mkv");
	assert_string_equal(cell(&t, 1, col_of(&t, 0, "Số sự cố")), "1");
	assert_string_equal(cell(&t, 1, col_of(&t, 0, "Trạng thái")),
	                    "đã kết thúc");
	table_free(&t);
	mcu_registers_doc_clear(&doc);

	/* English, no BOM */
	q.lang = "en";
	q.bom = "0";
	assert_int_equal(mcu_registers_logbook_export(lb, &q, &doc), 0);
	assert_int_not_equal((unsigned char)doc.data[0], 0xef);
	table_parse(&t, doc.data, doc.len);
	assert_string_equal(cell(&t, 1, col_of(&t, 0, "Emergency")), "no");
	assert_string_equal(cell(&t, 1, col_of(&t, 0, "Duration (minutes)")),
	                    "123");
	table_free(&t);
	mcu_registers_doc_clear(&doc);

	/* another day: headings only */
	q.from = "2026-12-08";
	assert_int_equal(mcu_registers_logbook_export(lb, &q, &doc), 0);
	table_parse(&t, doc.data, doc.len);
	assert_int_equal(t.nrows, 1);
	table_free(&t);
	mcu_registers_doc_clear(&doc);

	/* bad parameters name themselves */
	q.from = "2026-12-32";
	assert_int_equal(mcu_registers_logbook_export(lb, &q, &doc), EINVAL);
	assert_string_equal(doc.error, "from");
	q.from = "2026-12-07";
	q.format = "xml";
	assert_int_equal(mcu_registers_logbook_export(lb, &q, &doc), EINVAL);
	assert_string_equal(doc.error, "format");
	lb = mcu_logbook_close(lb);
	assert_null(lb);
}

static void day_json_participants(void **state)
{
	struct mcu_logbook *lb = open_lb(NULL);
	struct mcu_registers_doc doc;
	struct mcu_registers_query q = {.from = "2026-12-01",
	                                .to = "2026-12-31"};
	json_error_t jerr;
	json_t *root, *m, *p;
	(void)state;

	record_day(lb);
	mcu_logbook_flush(lb);
	assert_int_equal(mcu_registers_logbook_export(lb, &q, &doc), 0);
	assert_string_equal(doc.content_type,
	                    "application/json; charset=utf-8");
	root = json_loads(doc.data, 0, &jerr);
	assert_non_null(root);
	assert_int_equal(json_array_size(json_object_get(root, "meetings")), 1);
	m = json_array_get(json_object_get(root, "meetings"), 0);
	assert_string_equal(json_string_value(json_object_get(m, "title")),
	                    title49);
	assert_int_equal(
	    json_integer_value(json_object_get(m, "duration_minutes")), 123);
	assert_int_equal(json_integer_value(json_object_get(
	                     json_object_get(m, "branches_joined"), "count")),
	                 2);
	assert_true(json_is_false(json_object_get(m, "emergency")));
	p = json_object_get(m, "participants");
	assert_int_equal(json_array_size(p), 4);
	/* ordered by join time: host, ninh-kieu, cai-rang, ninh-kieu again */
	assert_string_equal(json_string_value(json_object_get(
	                        json_array_get(p, 1), "endpoint")),
	                    "q-ninh-kieu");
	assert_string_equal(
	    json_string_value(json_object_get(json_array_get(p, 1), "joined")),
	    "2026-12-07T08:03:00+07:00");
	assert_string_equal(
	    json_string_value(json_object_get(json_array_get(p, 1), "left")),
	    "2026-12-07T09:00:00+07:00");
	assert_string_equal(
	    json_string_value(json_object_get(json_array_get(p, 1), "reason")),
	    "timeout");
	assert_string_equal(
	    json_string_value(json_object_get(json_array_get(p, 3), "joined")),
	    "2026-12-07T09:02:00+07:00");
	/* still there at the end: closed by the end of the meeting */
	assert_string_equal(
	    json_string_value(json_object_get(json_array_get(p, 3), "left")),
	    "2026-12-07T10:05:00+07:00");
	assert_string_equal(
	    json_string_value(json_object_get(json_array_get(p, 3), "reason")),
	    "meeting-ended");
	assert_string_equal(
	    json_string_value(json_object_get(json_array_get(p, 2), "name")),
	    "UBND quận Cái Răng");
	json_decref(root);
	mcu_registers_doc_clear(&doc);

	/* one meeting's detail: incidents with times */
	q = (struct mcu_registers_query){.meeting = "giao-ban-49"};
	assert_int_equal(mcu_registers_meeting_export(lb, &q, &doc), 0);
	root = json_loads(doc.data, 0, &jerr);
	assert_non_null(root);
	m = json_array_get(json_object_get(root, "sessions"), 0);
	p = json_array_get(json_object_get(m, "incident_list"), 0);
	assert_string_equal(json_string_value(json_object_get(p, "kind")),
	                    "poor-audio");
	assert_string_equal(json_string_value(json_object_get(p, "detail")),
	                    "tiếng rè, mất gói 8%");
	assert_string_equal(json_string_value(json_object_get(p, "cleared")),
	                    "2026-12-07T08:40:00+07:00");
	json_decref(root);
	mcu_registers_doc_clear(&doc);
	q.meeting = "no-such-meeting";
	assert_int_equal(mcu_registers_meeting_export(lb, &q, &doc), ENOENT);
	mcu_logbook_close(lb);
}

/*
 * Half-year 2026-H2, endpoints 0 ubnd-tp (city), 1 ninh-kieu, 2 cai-rang
 * (district), 3 an-hoa (commune):
 *   M1 host 0, branches 1 2 3, 2 h; 0 1 2 join; incident on 1
 *   M2 host 0, branches 1 3, 1 h 30, emergency; 0 1 3 join
 *   M3 host 1, branches 2 3, 45 min; only 1 joins
 *   M0 in H1: not counted
 */
static void record_half_year(struct mcu_logbook *lb)
{
	const int b1[] = {1, 2, 3}, b2[] = {1, 3}, b3[] = {2, 3};
	start(lb, "m0", "H1", 0, b1, 3, 0, 0, false, vn(2026, 3, 2, 8, 0));
	mcu_logbook_joined(lb, "m0", "p-an-hoa", MCU_LOGBOOK_BRANCH,
	                   vn(2026, 3, 2, 8, 0));
	mcu_logbook_meeting_ended(lb, "m0", vn(2026, 3, 2, 9, 0));

	start(lb, "m1", "M1", 0, b1, 3, 0, 0, false, vn(2026, 7, 6, 8, 0));
	mcu_logbook_joined(lb, "m1", "ubnd-tp", MCU_LOGBOOK_HOST,
	                   vn(2026, 7, 6, 8, 0));
	mcu_logbook_joined(lb, "m1", "q-ninh-kieu", MCU_LOGBOOK_BRANCH,
	                   vn(2026, 7, 6, 8, 1));
	mcu_logbook_joined(lb, "m1", "q-cai-rang", MCU_LOGBOOK_BRANCH,
	                   vn(2026, 7, 6, 8, 1));
	mcu_logbook_incident_raised(lb, "m1", "q-ninh-kieu", "connection-lost",
	                            NULL, vn(2026, 7, 6, 9, 0));
	mcu_logbook_meeting_ended(lb, "m1", vn(2026, 7, 6, 10, 0));

	start(lb, "m2", "M2", 0, b2, 2, 0, 0, true, vn(2026, 10, 1, 14, 0));
	mcu_logbook_joined(lb, "m2", "ubnd-tp", MCU_LOGBOOK_HOST,
	                   vn(2026, 10, 1, 14, 0));
	mcu_logbook_joined(lb, "m2", "q-ninh-kieu", MCU_LOGBOOK_BRANCH,
	                   vn(2026, 10, 1, 14, 0));
	mcu_logbook_joined(lb, "m2", "p-an-hoa", MCU_LOGBOOK_BRANCH,
	                   vn(2026, 10, 1, 14, 0));
	mcu_logbook_meeting_ended(lb, "m2", vn(2026, 10, 1, 15, 30));

	start(lb, "m3", "M3", 1, b3, 2, 0, 0, false, vn(2026, 12, 31, 16, 0));
	mcu_logbook_joined(lb, "m3", "q-ninh-kieu", MCU_LOGBOOK_HOST,
	                   vn(2026, 12, 31, 16, 0));
	mcu_logbook_meeting_ended(lb, "m3", vn(2026, 12, 31, 16, 45));
	mcu_logbook_flush(lb);
}

static void half_year_register(void **state)
{
	struct mcu_logbook *lb = open_lb(NULL);
	struct mcu_registers_doc doc;
	struct mcu_registers_query q = {.period = "2026-H2"};
	struct table t;
	size_t h, r, c;
	(void)state;

	record_half_year(lb);
	assert_int_equal(mcu_registers_halfyear_export(lb, &q, &doc), 0);
	assert_string_equal(doc.content_type, "text/csv; charset=utf-8");
	assert_memory_equal(doc.data, "\xef\xbb\xbf", 3);
	table_parse(&t, doc.data + 3, doc.len - 3);
	r = row_of(&t, 0, "Từ ngày");
	assert_string_equal(cell(&t, r, 1), "2026-07-01");
	assert_string_equal(cell(&t, r, 3), "2026-12-31");

	/* per host unit */
	h = row_of(&t, 0, "Mã đơn vị chủ trì");
	assert_string_equal(cell(&t, h, 1), "Đơn vị chủ trì");
	r = row_of(&t, h, "ubnd-tp");
	assert_string_equal(cell(&t, r, col_of(&t, h, "Số cuộc họp")), "2");
	assert_string_equal(cell(&t, r, col_of(&t, h, "Tổng số giờ")), "3.50");
	assert_string_equal(cell(&t, r, col_of(&t, h, "Họp khẩn cấp")), "1");
	assert_string_equal(cell(&t, r, col_of(&t, h, "Cấp")), "Thành phố");
	r = row_of(&t, h, "q-ninh-kieu");
	assert_string_equal(cell(&t, r, col_of(&t, h, "Số cuộc họp")), "1");
	assert_string_equal(cell(&t, r, col_of(&t, h, "Tổng số giờ")), "0.75");
	assert_string_equal(cell(&t, r, col_of(&t, h, "Họp khẩn cấp")), "0");

	/* per tier, with the total */
	h = row_of(&t, 0, "Cấp");
	c = col_of(&t, h, "Tỷ lệ tham dự (%)");
	r = row_of(&t, h, "Thành phố");
	assert_string_equal(cell(&t, r, col_of(&t, h, "Số cuộc họp")), "2");
	assert_string_equal(cell(&t, r, col_of(&t, h, "Tổng số giờ")), "3.50");
	assert_string_equal(cell(&t, r, c), "100.0");
	r = row_of(&t, h, "Quận/huyện");
	assert_string_equal(cell(&t, r, col_of(&t, h, "Số cuộc họp")), "1");
	assert_string_equal(cell(&t, r, col_of(&t, h, "Lượt được mời")), "5");
	assert_string_equal(cell(&t, r, col_of(&t, h, "Lượt tham dự")), "4");
	assert_string_equal(cell(&t, r, c), "80.0");
	assert_string_equal(cell(&t, r, col_of(&t, h, "Sự cố")), "1");
	r = row_of(&t, h, "Xã/phường/thị trấn");
	assert_string_equal(cell(&t, r, col_of(&t, h, "Số cuộc họp")), "0");
	assert_string_equal(cell(&t, r, c), "33.3");
	r = row_of(&t, h, "Tổng cộng");
	assert_string_equal(cell(&t, r, col_of(&t, h, "Số cuộc họp")), "3");
	assert_string_equal(cell(&t, r, col_of(&t, h, "Tổng số giờ")), "4.25");
	assert_string_equal(cell(&t, r, col_of(&t, h, "Họp khẩn cấp")), "1");
	assert_string_equal(cell(&t, r, c), "70.0");

	/* per endpoint */
	h = row_of(&t, 0, "Mã điểm cầu");
	c = col_of(&t, h, "Tỷ lệ tham dự (%)");
	r = row_of(&t, h, "q-ninh-kieu");
	assert_string_equal(cell(&t, r, col_of(&t, h, "Số lần được mời")), "3");
	assert_string_equal(cell(&t, r, c), "100.0");
	assert_string_equal(cell(&t, r, col_of(&t, h, "Sự cố")), "1");
	assert_string_equal(cell(&t, r, c), "100.0");
	r = row_of(&t, h, "q-cai-rang");
	assert_string_equal(cell(&t, r, c), "50.0");
	r = row_of(&t, h, "p-an-hoa");
	assert_string_equal(cell(&t, r, col_of(&t, h, "Số lần tham dự")), "1");
	assert_string_equal(cell(&t, r, c), "33.3");
	assert_string_equal(cell(&t, r, col_of(&t, h, "Sự cố")), "0");
	table_free(&t);
	mcu_registers_doc_clear(&doc);

	/* one section alone is a plain table; English headings */
	q.section = "endpoints";
	q.lang = "en";
	assert_int_equal(mcu_registers_halfyear_export(lb, &q, &doc), 0);
	table_parse(&t, doc.data + 3, doc.len - 3);
	assert_int_equal(t.nrows, 5);
	assert_string_equal(cell(&t, 0, 0), "Endpoint ID");
	assert_string_equal(cell(&t, 0, 5), "Attendance rate (%)");
	assert_string_equal(cell(&t, 1, 0), "ubnd-tp");
	assert_string_equal(cell(&t, 1, 2), "City");
	table_free(&t);
	mcu_registers_doc_clear(&doc);

	/* JSON carries the same figures as numbers */
	q = (struct mcu_registers_query){.period = "2026-H2", .format = "json"};
	assert_int_equal(mcu_registers_halfyear_export(lb, &q, &doc), 0);
	json_t *root = json_loads(doc.data, 0, NULL), *x;
	assert_non_null(root);
	x = json_object_get(root, "total");
	assert_int_equal(json_integer_value(json_object_get(x, "meetings")), 3);
	assert_true(json_real_value(json_object_get(x, "hours")) == 4.25);
	assert_true(json_real_value(json_object_get(x, "attendance_percent")) ==
	            70.0);
	x = json_array_get(json_object_get(root, "hosts"), 0);
	assert_string_equal(json_string_value(json_object_get(x, "host")),
	                    "ubnd-tp");
	assert_int_equal(json_integer_value(json_object_get(x, "emergency")),
	                 1);
	json_decref(root);
	mcu_registers_doc_clear(&doc);

	q = (struct mcu_registers_query){.period = "2026-H3"};
	assert_int_equal(mcu_registers_halfyear_export(lb, &q, &doc), EINVAL);
	assert_string_equal(doc.error, "period");
	q = (struct mcu_registers_query){.period = "2026-H1",
	                                 .section = "all-of-it"};
	assert_int_equal(mcu_registers_halfyear_export(lb, &q, &doc), EINVAL);
	assert_string_equal(doc.error, "section");
	mcu_logbook_close(lb);
}

static void recover_closes_open_meetings(void **state)
{
	struct mcu_logbook *lb = open_lb(NULL);
	struct mcu_logbook_records recs;
	const int br[] = {1};
	(void)state;

	/* one planned meeting, one ad hoc (no planned end), never ended */
	start(lb, "a", "A", 0, br, 1, vn(2026, 12, 7, 8, 0),
	      vn(2026, 12, 7, 10, 0), false, vn(2026, 12, 7, 8, 0));
	mcu_logbook_joined(lb, "a", "q-ninh-kieu", MCU_LOGBOOK_BRANCH,
	                   vn(2026, 12, 7, 8, 5));
	mcu_logbook_incident_raised(lb, "a", "q-ninh-kieu", "poor-video", NULL,
	                            vn(2026, 12, 7, 8, 30));
	start(lb, "b", "B", 2, NULL, 0, 0, 0, false, vn(2026, 12, 7, 8, 0));
	mcu_logbook_joined(lb, "b", "q-cai-rang", MCU_LOGBOOK_HOST,
	                   vn(2026, 12, 7, 8, 20));
	lb = mcu_logbook_close(lb); /* as if the daemon died here */

	lb = open_lb(NULL);
	assert_int_equal(mcu_logbook_recover(lb, vn(2026, 12, 7, 9, 0)), 2);
	assert_int_equal(mcu_logbook_recover(lb, vn(2026, 12, 7, 9, 0)), 0);
	assert_int_equal(mcu_logbook_read(lb, 0, 0, "a", &recs), 0);
	assert_int_equal(recs.n, 1);
	/* planned end not reached yet: it ran until the restart */
	assert_int_equal(recs.v[0].actual_end, vn(2026, 12, 7, 9, 0));
	assert_string_equal(recs.v[0].state, "ended");
	assert_int_equal(recs.v[0].n_incidents, 2);
	assert_int_equal(recs.v[0].incidents[0].cleared, vn(2026, 12, 7, 9, 0));
	assert_string_equal(recs.v[0].incidents[1].kind, "mcu-restarted");
	assert_null(recs.v[0].incidents[1].endpoint);
	assert_int_equal(recs.v[0].presence[0].left, vn(2026, 12, 7, 9, 0));
	assert_string_equal(recs.v[0].presence[0].reason, "mcu-restarted");
	mcu_logbook_records_clear(&recs);
	/* no planned end: the last thing recorded */
	assert_int_equal(mcu_logbook_read(lb, 0, 0, "b", &recs), 0);
	assert_int_equal(recs.v[0].actual_end, vn(2026, 12, 7, 8, 20));
	mcu_logbook_records_clear(&recs);

	/* the meeting restarted by the engine gets a second row */
	start(lb, "a", "A", 0, br, 1, vn(2026, 12, 7, 8, 0),
	      vn(2026, 12, 7, 10, 0), false, vn(2026, 12, 7, 9, 1));
	mcu_logbook_meeting_ended(lb, "a", vn(2026, 12, 7, 10, 0));
	mcu_logbook_flush(lb);
	assert_int_equal(mcu_logbook_read(lb, 0, 0, "a", &recs), 0);
	assert_int_equal(recs.n, 2);
	assert_int_equal(recs.v[1].actual_start, vn(2026, 12, 7, 9, 1));
	assert_int_equal(recs.v[1].actual_end, vn(2026, 12, 7, 10, 0));
	mcu_logbook_records_clear(&recs);
	mcu_logbook_close(lb);

	/* much later: the meeting is taken to have run to its planned end */
	teardown(NULL);
	setup(NULL);
	lb = open_lb(NULL);
	start(lb, "c", "C", 0, br, 1, vn(2026, 12, 7, 8, 0),
	      vn(2026, 12, 7, 10, 0), false, vn(2026, 12, 7, 8, 0));
	mcu_logbook_flush(lb);
	assert_int_equal(mcu_logbook_recover(lb, vn(2026, 12, 9, 7, 0)), 1);
	assert_int_equal(mcu_logbook_read(lb, 0, 0, "c", &recs), 0);
	assert_int_equal(recs.v[0].actual_end, vn(2026, 12, 7, 10, 0));
	mcu_logbook_records_clear(&recs);
	mcu_logbook_close(lb);
}

static void kill9_keeps_written_events(void **state)
{
	struct mcu_logbook_records recs;
	struct mcu_logbook *lb;
	int status;
	pid_t pid;
	(void)state;

	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		const int br[] = {1, 2};
		if (mcu_logbook_open(&lb, dbpath, NULL))
			_exit(3);
		start(lb, "k", "K", 0, br, 2, 0, 0, false,
		      vn(2026, 12, 7, 8, 0));
		mcu_logbook_joined(lb, "k", "q-ninh-kieu", MCU_LOGBOOK_BRANCH,
		                   vn(2026, 12, 7, 8, 1));
		mcu_logbook_flush(lb);
		raise(SIGKILL);
		_exit(4);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status));
	assert_int_equal(WTERMSIG(status), SIGKILL);

	lb = open_lb(NULL);
	assert_int_equal(mcu_logbook_read(lb, 0, 0, "k", &recs), 0);
	assert_int_equal(recs.n, 1);
	assert_string_equal(recs.v[0].state, "live");
	assert_int_equal(recs.v[0].n_invitees, 3);
	assert_int_equal(recs.v[0].n_presence, 1);
	mcu_logbook_records_clear(&recs);
	assert_int_equal(mcu_logbook_recover(lb, vn(2026, 12, 7, 8, 30)), 1);
	mcu_logbook_close(lb);
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void full_queue_drops_without_blocking(void **state)
{
	struct mcu_logbook_opts o = {.queue_capacity = 4,
	                             .busy_timeout_ms = 20000};
	struct mcu_logbook *lb = open_lb(&o);
	struct mcu_logbook_stats st;
	sqlite3 *blocker;
	int ok = 0, dropped = 0;
	double t0;
	(void)state;

	/* another connection holds the write lock: the writer waits */
	assert_int_equal(sqlite3_open(dbpath, &blocker), SQLITE_OK);
	assert_int_equal(
	    sqlite3_exec(blocker, "BEGIN IMMEDIATE", NULL, NULL, NULL),
	    SQLITE_OK);
	start(lb, "q", "Q", 0, NULL, 0, 0, 0, false, 1000);
	t0 = now_s();
	do { /* until the writer has taken it and sits in the busy wait */
		mcu_logbook_stats(lb, &st);
		usleep(1000);
	} while (st.depth && now_s() - t0 < 5);
	assert_int_equal(st.depth, 0);

	t0 = now_s();
	for (int i = 0; i < 100; i++) {
		int err = mcu_logbook_incident_raised(
		    lb, "q", "x", "poor-video", NULL, 1001 + i);
		if (err == 0)
			ok++;
		else if (err == EAGAIN)
			dropped++;
	}
	/* the writer is stuck for up to 20 s; the caller was not */
	assert_true(now_s() - t0 < 1.0);
	assert_int_equal(ok, 4);
	assert_int_equal(dropped, 96);
	mcu_logbook_stats(lb, &st);
	assert_int_equal(st.dropped, 96);
	assert_int_equal(st.depth, 4);

	assert_int_equal(sqlite3_exec(blocker, "COMMIT", NULL, NULL, NULL),
	                 SQLITE_OK);
	sqlite3_close(blocker);
	mcu_logbook_flush(lb);
	mcu_logbook_stats(lb, &st);
	assert_int_equal(st.written, 5);
	assert_int_equal(st.errors, 0);
	assert_int_equal(st.accepted, 5);
	mcu_logbook_close(lb);
}

static void disk_full_is_counted_and_survived(void **state)
{
	/* the empty schema takes 14 pages of 4 KiB */
	struct mcu_logbook_opts o = {.max_pages = 18};
	struct mcu_logbook *lb = open_lb(&o);
	struct mcu_logbook_records recs;
	struct mcu_logbook_stats st, st2;
	char big[3000];
	(void)state;

	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	start(lb, "f", "F", 0, NULL, 0, 0, 0, false, 1000);
	mcu_logbook_joined(lb, "f", "q-ninh-kieu", MCU_LOGBOOK_BRANCH, 1001);
	mcu_logbook_flush(lb);
	mcu_logbook_stats(lb, &st);
	assert_int_equal(st.written, 2);
	assert_int_equal(st.errors, 0);

	for (int i = 0; i < 40; i++)
		assert_int_equal(mcu_logbook_incident_raised(
		                     lb, "f", "x", "poor-video", big, 1002 + i),
		                 0);
	mcu_logbook_flush(lb);
	mcu_logbook_stats(lb, &st);
	assert_true(st.errors > 0);   /* SQLITE_FULL */
	assert_true(st.written > 2);  /* some fitted */
	assert_true(st.written < 42); /* not all */

	/* still accepted and, when no new page is needed, still written */
	assert_int_equal(
	    mcu_logbook_left(lb, "f", "q-ninh-kieu", "hangup", 2000), 0);
	mcu_logbook_flush(lb);
	mcu_logbook_stats(lb, &st2);
	assert_int_equal(st2.written, st.written + 1);
	assert_int_equal(st2.errors, st.errors);
	assert_int_equal(mcu_logbook_read(lb, 0, 0, "f", &recs), 0);
	assert_int_equal(recs.v[0].presence[0].left, 2000);
	assert_int_equal(recs.v[0].n_incidents, st.written - 2);
	mcu_logbook_records_clear(&recs);
	mcu_logbook_close(lb);
}

static void test_run_before_start_and_odd_events(void **state)
{
	struct mcu_logbook *lb = open_lb(NULL);
	struct mcu_logbook_records recs;
	struct mcu_logbook_stats st;
	struct mcu_registers_doc doc;
	struct mcu_registers_query q = {.meeting = "t"};
	const int br[] = {1, 3};
	(void)state;

	mcu_logbook_test_result(lb, "t", "q-ninh-kieu", true, NULL,
	                        vn(2026, 12, 4, 14, 0));
	mcu_logbook_test_result(lb, "t", "p-an-hoa", false,
	                        "no video \xff\xfe from camera",
	                        vn(2026, 12, 4, 14, 5));
	/* nothing to apply these to: counted as ignored */
	mcu_logbook_joined(lb, "nobody", "x", MCU_LOGBOOK_GUEST, 5);
	mcu_logbook_left(lb, "t", "q-ninh-kieu", NULL, 6);
	mcu_logbook_meeting_ended(lb, "t", 7);
	assert_int_equal(mcu_logbook_joined(lb, NULL, "x", 0, 5), EINVAL);
	assert_int_equal(mcu_logbook_joined(lb, "t", "x", 7, 5), EINVAL);
	start(lb, "t", "T", 0, br, 2, vn(2026, 12, 7, 8, 0),
	      vn(2026, 12, 7, 9, 0), true, vn(2026, 12, 7, 8, 0));
	start(lb, "t", "T", 0, br, 2, 0, 0, true, vn(2026, 12, 7, 8, 1));
	mcu_logbook_meeting_ended(lb, "t", vn(2026, 12, 7, 9, 0));
	/* reported late: still this meeting's, no new row */
	mcu_logbook_incident_raised(lb, "t", "p-an-hoa", "connection-lost",
	                            NULL, vn(2026, 12, 7, 9, 1));
	mcu_logbook_flush(lb);
	mcu_logbook_stats(lb, &st);
	assert_int_equal(st.ignored, 4);
	assert_int_equal(st.errors, 0);

	assert_int_equal(mcu_logbook_read(lb, 0, 0, "t", &recs), 0);
	assert_int_equal(recs.n, 1); /* the start filled the test-run row */
	assert_int_equal(recs.v[0].n_tests, 2);
	assert_true(recs.v[0].tests[0].ready);
	assert_false(recs.v[0].tests[1].ready);
	/* invalid UTF-8 was repaired on the way in */
	assert_string_equal(recs.v[0].tests[1].reason,
	                    "no video \xef\xbf\xbd\xef\xbf\xbd from camera");
	assert_true(recs.v[0].emergency);
	assert_int_equal(recs.v[0].host_tier, MCU_TIER_CITY);
	assert_int_equal(recs.v[0].n_invitees, 3);
	assert_int_equal(recs.v[0].invitees[0].role, MCU_LOGBOOK_HOST);
	assert_int_equal(recs.v[0].invitees[2].tier, MCU_TIER_COMMUNE);
	assert_int_equal(recs.v[0].n_incidents, 1);
	assert_int_equal(recs.v[0].incidents[0].cleared, 0);
	mcu_logbook_records_clear(&recs);

	assert_int_equal(mcu_registers_meeting_export(lb, &q, &doc), 0);
	json_t *root = json_loads(doc.data, 0, NULL);
	assert_non_null(root);
	json_t *m = json_array_get(json_object_get(root, "sessions"), 0);
	assert_int_equal(json_array_size(json_object_get(m, "test_runs")), 2);
	assert_string_equal(json_string_value(json_object_get(m, "state")),
	                    "ended");
	json_decref(root);
	mcu_registers_doc_clear(&doc);
	mcu_logbook_close(lb);
}

static void reopen_keeps_schema_and_rows(void **state)
{
	struct mcu_logbook *lb = open_lb(NULL);
	struct mcu_logbook_records recs;
	sqlite3 *db;
	sqlite3_stmt *st;
	struct stat sb;
	(void)state;

	record_day(lb);
	mcu_logbook_close(lb);
	lb = open_lb(NULL);
	assert_int_equal(mcu_logbook_read(lb, vn(2026, 12, 7, 0, 0),
	                                  vn(2026, 12, 8, 0, 0), NULL, &recs),
	                 0);
	assert_int_equal(recs.n, 1);
	mcu_logbook_records_clear(&recs);
	mcu_logbook_close(lb);

	assert_int_equal(sqlite3_open(dbpath, &db), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db,
	                                    "SELECT COUNT(*), MAX(version) FROM"
	                                    " schema_version",
	                                    -1, &st, NULL),
	                 SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int(st, 0), 1);
	assert_int_equal(sqlite3_column_int(st, 1), 2); /* + readiness */
	sqlite3_finalize(st);
	assert_int_equal(
	    sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &st, NULL),
	    SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_string_equal((const char *)sqlite3_column_text(st, 0), "wal");
	sqlite3_finalize(st);
	sqlite3_close(db);
	assert_int_equal(stat(dbpath, &sb), 0);

	/* a database from a newer mcud is refused, not damaged */
	assert_int_equal(sqlite3_open(dbpath, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db,
	                              "UPDATE schema_version SET version = 99",
	                              NULL, NULL, NULL),
	                 SQLITE_OK);
	sqlite3_close(db);
	lb = NULL;
	assert_int_equal(mcu_logbook_open(&lb, dbpath, NULL), EIO);
	assert_null(lb);
}

static void conf_meeting_start(void **state)
{
	static const char yaml[] =
	    "mcu: {timezone: Asia/Ho_Chi_Minh}\n"
	    "endpoints:\n"
	    "  - {id: h, name: \"Host H\", tier: city, sip: "
	    "\"sip:h@10.0.0.1\"}\n"
	    "  - {id: b1, name: \"Branch 1\", tier: district,"
	    " sip: \"sip:b1@10.0.0.2\"}\n"
	    "  - {id: b2, name: \"Branch 2\", tier: commune, parent: b1,"
	    " sip: \"sip:b2@10.0.0.3\"}\n"
	    "meetings:\n"
	    "  - {id: m, title: \"Họp M\", host: h, branches: [b1, b2],"
	    " start: 2026-12-07T08:00, end: 2026-12-07T09:00,"
	    " announced: 2026-12-01, emergency: false}\n";
	struct mcu_conf_report rep = {0};
	struct mcu_conf *conf = NULL;
	struct mcu_logbook *lb;
	struct mcu_logbook_records recs;
	(void)state;

	assert_int_equal(
	    mcu_conf_load_buffer("t.yaml", yaml, strlen(yaml), &conf, &rep), 0);
	mcu_conf_report_clear(&rep);
	lb = open_lb(NULL);
	assert_int_equal(mcu_logbook_meeting_started_conf(
	                     lb, conf, 0, vn(2026, 12, 7, 8, 0)),
	                 0);
	assert_int_equal(mcu_logbook_meeting_started_conf(lb, conf, 5, 0),
	                 EINVAL);
	mcu_conf_free(conf); /* the event owns copies */
	mcu_logbook_flush(lb);
	assert_int_equal(mcu_logbook_read(lb, 0, 0, "m", &recs), 0);
	assert_int_equal(recs.n, 1);
	assert_string_equal(recs.v[0].title, "Họp M");
	assert_string_equal(recs.v[0].host_name, "Host H");
	assert_int_equal(recs.v[0].planned_end, vn(2026, 12, 7, 9, 0));
	assert_int_equal(recs.v[0].n_invitees, 3);
	assert_string_equal(recs.v[0].invitees[2].name, "Branch 2");
	assert_int_equal(recs.v[0].invitees[2].tier, MCU_TIER_COMMUNE);
	mcu_logbook_records_clear(&recs);
	mcu_logbook_close(lb);
}

/* one case per line: CMake registers each as logbook.<case> */
/* clang-format off */
static const struct CMUnitTest tests[] = {
	cmocka_unit_test_setup_teardown(day_csv_round_trip, setup, teardown),
	cmocka_unit_test_setup_teardown(day_json_participants, setup, teardown),
	cmocka_unit_test_setup_teardown(half_year_register, setup, teardown),
	cmocka_unit_test_setup_teardown(recover_closes_open_meetings, setup, teardown),
	cmocka_unit_test_setup_teardown(kill9_keeps_written_events, setup, teardown),
	cmocka_unit_test_setup_teardown(full_queue_drops_without_blocking, setup, teardown),
	cmocka_unit_test_setup_teardown(disk_full_is_counted_and_survived, setup, teardown),
	cmocka_unit_test_setup_teardown(test_run_before_start_and_odd_events, setup, teardown),
	cmocka_unit_test_setup_teardown(reopen_keeps_schema_and_rows, setup, teardown),
	cmocka_unit_test_setup_teardown(conf_meeting_start, setup, teardown),
};
/* clang-format on */

MCU_TEST_MAIN(tests, NULL, NULL)
