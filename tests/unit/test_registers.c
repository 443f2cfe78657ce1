/* test-libs: mcu_core mcu_conf */
#include "tests/unit/testutil.h"
#include "mcu/registers.h"

#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

/* Three units: one complete, one with gaps, one without any contact. */
static const char roster[] =
    "mcu: {timezone: Asia/Ho_Chi_Minh}\n"
    "endpoints:\n"
    "  - id: ubnd-tp\n"
    "    name: \"Văn phòng UBND thành phố\"\n"
    "    tier: city\n"
    "    sip: \"sip:ubnd-tp@10.0.0.1\"\n"
    "    contacts:\n"
    "      leader: {name: \"Nguyễn Văn An\", title: \"Chánh Văn phòng\","
    " email: an@cantho.gov.vn, phone: \"0292 000 0001\"}\n"
    "      technician: {name: \"Trần Thị Bình\","
    " title: \"Kỹ thuật viên, phòng CNTT\", email: binh@cantho.gov.vn,"
    " phone: \"0292 000 0002\"}\n"
    "      support: {name: \"Lê \\\"Ba\\\" Cường\", phone: \"0292 000 0003\"}\n"
    "  - id: ninh-kieu\n"
    "    name: \"UBND quận Ninh Kiều\"\n"
    "    tier: district\n"
    "    sip: \"sip:ninh-kieu@10.0.1.1\"\n"
    "    contacts:\n"
    "      leader: {name: \"Phạm Dũng\", phone: \"0292 111 0001\"}\n"
    "      technician: {name: \"Võ Em\", title: \"Kỹ thuật viên\"}\n"
    "  - id: an-hoa\n"
    "    name: \"UBND phường An Hòa\"\n"
    "    tier: commune\n"
    "    parent: ninh-kieu\n"
    "    sip: \"sip:an-hoa@10.0.2.1\"\n";

static struct mcu_conf *load(void)
{
	struct mcu_conf_report rep = {0};
	struct mcu_conf *conf = NULL;
	int err = mcu_conf_load_buffer("roster.yaml", roster, strlen(roster),
	                               &conf, &rep);
	if (err)
		mcu_conf_report_print(&rep, stderr);
	assert_int_equal(err, 0);
	assert_true(rep.n_warnings > 0); /* the loader warns too */
	mcu_conf_report_clear(&rep);
	return conf;
}

/* RFC 4180 rows and fields (same reader as test_logbook.c). */
struct table {
	char *cell[64][20];
	size_t ncols[64];
	size_t nrows;
};

static void table_parse(struct table *t, const char *s, size_t len)
{
	char field[512];
	size_t i = 0;
	memset(t, 0, sizeof(*t));
	while (i < len) {
		size_t f = 0;
		assert_true(t->nrows < 64);
		if (s[i] == '"') {
			for (i++;; i++) {
				assert_true(i < len);
				assert_true(f < sizeof(field) - 1);
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
				assert_true(s[i] != '"');
				assert_true(f < sizeof(field) - 1);
				field[f++] = s[i++];
			}
		}
		assert_true(t->ncols[t->nrows] < 20);
		t->cell[t->nrows][t->ncols[t->nrows]++] = strndup(field, f);
		if (i < len && s[i] == ',') {
			i++;
			continue;
		}
		/* RFC 4180: CRLF between records */
		assert_true(i < len && s[i] == '\r');
		assert_true(i + 1 < len && s[i + 1] == '\n');
		i += 2;
		t->nrows++;
	}
}

static void table_free(struct table *t)
{
	for (size_t r = 0; r < 64; r++)
		for (size_t c = 0; c < 20; c++)
			free(t->cell[r][c]);
}

static void contacts_csv_vietnamese(void **state)
{
	struct mcu_conf *conf = load();
	struct mcu_registers_doc doc;
	struct table t;
	(void)state;

	assert_int_equal(mcu_registers_contacts_csv(conf, MCU_LANG_VI,
	                                            MCU_REGISTERS_BOM, &doc),
	                 0);
	assert_string_equal(doc.content_type, "text/csv; charset=utf-8");
	assert_memory_equal(doc.data, "\xef\xbb\xbf", 3);
	assert_int_equal(strlen(doc.data), doc.len);
	table_parse(&t, doc.data + 3, doc.len - 3);
	assert_int_equal(t.nrows, 4);
	for (size_t r = 0; r < 4; r++)
		assert_int_equal(t.ncols[r], 16);
	assert_string_equal(t.cell[0][0], "Mã đơn vị");
	assert_string_equal(t.cell[0][1], "Tên đơn vị");
	assert_string_equal(t.cell[0][3], "Đơn vị cấp trên");
	assert_string_equal(t.cell[0][4], "Lãnh đạo: họ tên");
	assert_string_equal(t.cell[0][11], "Kỹ thuật chính: điện thoại");
	assert_string_equal(t.cell[0][12], "Kỹ thuật hỗ trợ: họ tên");

	assert_string_equal(t.cell[1][0], "ubnd-tp");
	assert_string_equal(t.cell[1][1], "Văn phòng UBND thành phố");
	assert_string_equal(t.cell[1][2], "Thành phố");
	assert_string_equal(t.cell[1][3], "");
	assert_string_equal(t.cell[1][5], "Chánh Văn phòng");
	assert_string_equal(t.cell[1][6], "an@cantho.gov.vn");
	/* a comma and quotes survive the round trip */
	assert_string_equal(t.cell[1][9], "Kỹ thuật viên, phòng CNTT");
	assert_string_equal(t.cell[1][12], "Lê \"Ba\" Cường");
	assert_string_equal(t.cell[1][15], "0292 000 0003");

	assert_string_equal(t.cell[2][2], "Quận/huyện");
	assert_string_equal(t.cell[2][8], "Võ Em");
	assert_string_equal(t.cell[2][11], "");
	assert_string_equal(t.cell[3][2], "Xã/phường/thị trấn");
	assert_string_equal(t.cell[3][3], "ninh-kieu");
	assert_string_equal(t.cell[3][4], "");
	table_free(&t);
	mcu_registers_doc_clear(&doc);

	/* English headings, no BOM */
	assert_int_equal(mcu_registers_contacts_csv(conf, MCU_LANG_EN, 0, &doc),
	                 0);
	table_parse(&t, doc.data, doc.len);
	assert_string_equal(t.cell[0][0], "Unit ID");
	assert_string_equal(t.cell[0][4], "Leader: name");
	assert_string_equal(t.cell[0][15], "Support technician: phone");
	assert_string_equal(t.cell[3][2], "Commune");
	table_free(&t);
	mcu_registers_doc_clear(&doc);
	mcu_conf_free(conf);
}

static void contacts_incomplete_list(void **state)
{
	struct mcu_conf *conf = load();
	struct mcu_registers_gap *gaps = NULL;
	struct mcu_registers_doc doc;
	struct table t;
	size_t n = 99;
	(void)state;

	assert_int_equal(mcu_registers_contacts_gaps(conf, &gaps, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(gaps[0].endpoint, 1);
	assert_int_equal(gaps[0].leader, 0);
	assert_int_equal(gaps[0].technician, MCU_REGISTERS_GAP_NO_PHONE);
	assert_int_equal(gaps[0].support, MCU_REGISTERS_GAP_MISSING);
	assert_int_equal(gaps[1].endpoint, 2);
	assert_int_equal(gaps[1].leader, MCU_REGISTERS_GAP_MISSING);
	free(gaps);

	assert_int_equal(
	    mcu_registers_contacts_gaps_csv(conf, MCU_LANG_VI, 0, &doc), 0);
	table_parse(&t, doc.data, doc.len);
	assert_int_equal(t.nrows, 3);
	assert_string_equal(t.cell[0][2], "Thông tin còn thiếu");
	assert_string_equal(t.cell[1][0], "ninh-kieu");
	assert_string_equal(t.cell[1][2],
	                    "Kỹ thuật chính: thiếu số điện thoại; "
	                    "Kỹ thuật hỗ trợ: chưa có");
	assert_string_equal(t.cell[2][2], "Lãnh đạo: chưa có; "
	                                  "Kỹ thuật chính: chưa có; "
	                                  "Kỹ thuật hỗ trợ: chưa có");
	table_free(&t);
	mcu_registers_doc_clear(&doc);

	/* JSON: units and the incomplete list together */
	struct mcu_registers_query q = {.format = "json", .lang = "en"};
	assert_int_equal(mcu_registers_contacts_export(conf, &q, &doc), 0);
	json_t *root = json_loads(doc.data, 0, NULL), *x;
	assert_non_null(root);
	assert_int_equal(json_array_size(json_object_get(root, "units")), 3);
	x = json_array_get(json_object_get(root, "units"), 0);
	assert_string_equal(json_string_value(json_object_get(
	                        json_object_get(x, "technician"), "title")),
	                    "Kỹ thuật viên, phòng CNTT");
	x = json_array_get(json_object_get(root, "units"), 2);
	assert_true(json_is_null(json_object_get(x, "leader")));
	assert_string_equal(json_string_value(json_object_get(x, "parent")),
	                    "ninh-kieu");
	x = json_array_get(json_object_get(root, "incomplete"), 0);
	assert_string_equal(json_string_value(json_object_get(x, "id")),
	                    "ninh-kieu");
	assert_string_equal(json_string_value(json_array_get(
	                        json_object_get(x, "technician"), 0)),
	                    "phone");
	assert_string_equal(
	    json_string_value(json_object_get(x, "text")),
	    "Technician: no phone; Support technician: missing");
	json_decref(root);
	mcu_registers_doc_clear(&doc);

	/* the API entry: default CSV with BOM; sections; bad values */
	q = (struct mcu_registers_query){.section = "incomplete"};
	assert_int_equal(mcu_registers_contacts_export(conf, &q, &doc), 0);
	assert_memory_equal(doc.data,
	                    "\xef\xbb\xbf"
	                    "Mã đơn vị,",
	                    15);
	mcu_registers_doc_clear(&doc);
	q.section = "everything";
	assert_int_equal(mcu_registers_contacts_export(conf, &q, &doc), EINVAL);
	assert_string_equal(doc.error, "section");
	q = (struct mcu_registers_query){.bom = "maybe"};
	assert_int_equal(mcu_registers_contacts_export(conf, &q, &doc), EINVAL);
	assert_string_equal(doc.error, "bom");
	q = (struct mcu_registers_query){.lang = "fr"};
	assert_int_equal(mcu_registers_contacts_export(conf, &q, &doc), EINVAL);
	assert_string_equal(doc.error, "lang");
	mcu_conf_free(conf);
}

static void complete_roster_has_no_gaps(void **state)
{
	struct mcu_conf_report rep = {0};
	struct mcu_conf *conf = NULL;
	struct mcu_registers_gap *gaps = NULL;
	size_t n = 99;
	(void)state;

	assert_int_equal(
	    mcu_conf_load(mcu_test_src("tests/data/conf/minimal.yaml"), &conf,
	                  &rep),
	    0);
	mcu_conf_report_clear(&rep);
	assert_int_equal(mcu_registers_contacts_gaps(conf, &gaps, &n), 0);
	assert_int_equal(n, 0);
	assert_null(gaps);
	mcu_conf_free(conf);
}

static void date_ranges(void **state)
{
	const char *why = NULL;
	time_t f, t;
	(void)state;

	assert_int_equal(mcu_conf_apply_timezone("Asia/Ho_Chi_Minh"), 0);
	/* 2026-07-01 00:00 +07:00 .. 2027-01-01 00:00 +07:00 */
	assert_int_equal(
	    mcu_registers_parse_range(NULL, NULL, "2026-H2", &f, &t, &why), 0);
	assert_int_equal(f, 1782864000 - 7 * 3600);
	assert_int_equal(t, 1798761600 - 7 * 3600);
	assert_int_equal(
	    mcu_registers_parse_range(NULL, NULL, "2026-h1", &f, &t, &why), 0);
	assert_int_equal(t - f, 181 * 86400);
	/* one day, to inclusive */
	assert_int_equal(
	    mcu_registers_parse_range("2026-12-07", NULL, NULL, &f, &t, &why),
	    0);
	assert_int_equal(t - f, 86400);
	assert_int_equal(mcu_registers_parse_range("2028-02-28", "2028-02-29",
	                                           NULL, &f, &t, &why),
	                 0);
	assert_int_equal(t - f, 2 * 86400);

	static const struct {
		const char *from, *to, *period, *why;
	} bad[] = {
	    {NULL, NULL, NULL, "from"},
	    {"2026-12-7", NULL, NULL, "from"},
	    {"2026-13-01", NULL, NULL, "from"},
	    {"2027-02-29", NULL, NULL, "from"},
	    {"2026-12-07", "2026-12-06", NULL, "to"},
	    {"2026-12-07", "2026-12-0x", NULL, "to"},
	    {"2026-12-07 ", NULL, NULL, "from"},
	    {NULL, NULL, "2026-H3", "period"},
	    {NULL, NULL, "2026-H22", "period"},
	    {NULL, NULL, "26-H1", "period"},
	    {"2026-01-01", NULL, "2026-H1", "period"},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		why = NULL;
		assert_int_equal(
		    mcu_registers_parse_range(bad[i].from, bad[i].to,
		                              bad[i].period, &f, &t, &why),
		    EINVAL);
		assert_string_equal(why, bad[i].why);
	}
}

static void empty_records_make_valid_documents(void **state)
{
	struct mcu_logbook_records none = {0};
	struct mcu_registers_doc doc;
	(void)state;

	assert_int_equal(mcu_registers_meetings(&none, 0, 86400,
	                                        MCU_REGISTERS_CSV, MCU_LANG_VI,
	                                        0, &doc),
	                 0);
	assert_true(doc.len > 0);
	assert_string_equal(doc.data + doc.len - 2, "\r\n");
	mcu_registers_doc_clear(&doc);
	assert_int_equal(mcu_registers_halfyear(&none, 0, 86400,
	                                        MCU_REGISTERS_JSON, MCU_LANG_EN,
	                                        0, MCU_REGISTERS_ALL, &doc),
	                 0);
	json_t *root = json_loads(doc.data, 0, NULL);
	assert_non_null(root);
	assert_int_equal(json_array_size(json_object_get(root, "hosts")), 0);
	assert_int_equal(json_array_size(json_object_get(root, "tiers")),
	                 MCU_TIER_COUNT);
	json_decref(root);
	mcu_registers_doc_clear(&doc);
}

/* clang-format off */
static const struct CMUnitTest tests[] = {
	cmocka_unit_test(contacts_csv_vietnamese),
	cmocka_unit_test(contacts_incomplete_list),
	cmocka_unit_test(complete_roster_has_no_gaps),
	cmocka_unit_test(date_ranges),
	cmocka_unit_test(empty_records_make_valid_documents),
};
/* clang-format on */

MCU_TEST_MAIN(tests, NULL, NULL)
