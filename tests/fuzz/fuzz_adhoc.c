/*
 * fuzz_adhoc: the body of POST /api/v1/meetings (an operator's ad-hoc
 * meeting) the way mcu/daemon.c takes it: parsed as api.c parses bodies
 * (jansson, duplicates rejected), turned into a roster entry by
 * mcu_adhoc_entry(), appended to a valid roster with mcu_conf_load_extra()
 * and the refusal, if any, mapped by mcu_adhoc_refusal(). The kept entries
 * are pruned with mcu_adhoc_prune() as at the next create.
 *
 * Input: the whole buffer is the request body.
 *
 * Checked: an entry is one line "- {...}\n" of printable ASCII (nothing a
 * body holds can break out of its line or start a YAML construct of its
 * own); the roster with it is never unreadable because of the base file,
 * and loads either with exactly one meeting more (the summary's id, the
 * body's host, ad_hoc) or not at all with a 400/409 refusal; pruning keeps
 * an entry that has not ended and drops it when it has.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "conf/config.h"
#include "mcu/adhoc.h"

/* Not assert(): it must hold in NDEBUG builds too. */
#define CHECK(x)                                                               \
	do {                                                                   \
		if (!(x))                                                      \
			abort();                                               \
	} while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Four endpoints, a group and one meeting (host-a, branch-b) whose
   window holds NOW: an ad-hoc meeting with either of them clashes. */
static const char roster[] =
    "mcu:\n"
    "  timezone: Asia/Ho_Chi_Minh\n"
    "endpoints:\n"
    "  - id: host-a\n"
    "    name: \"Host A\"\n"
    "    tier: city\n"
    "    sip: \"sip:host-a@10.0.0.1:5070\"\n"
    "  - id: branch-b\n"
    "    name: \"Branch B\"\n"
    "    tier: district\n"
    "    sip: \"sip:branch-b@branch-b.example\"\n"
    "  - id: branch-c\n"
    "    name: \"Branch C\"\n"
    "    tier: commune\n"
    "    sip: \"sip:branch-c@10.0.0.3\"\n"
    "  - id: branch-d\n"
    "    name: \"Branch D\"\n"
    "    tier: commune\n"
    "    sip: \"sip:branch-d@10.0.0.4\"\n"
    "groups:\n"
    "  g1: [host-a, branch-b]\n"
    "meetings:\n"
    "  - id: m1\n"
    "    number: 101\n"
    "    host: host-a\n"
    "    branches: [branch-b]\n"
    "    start: 2026-12-07T08:00\n"
    "    end: 2026-12-07T10:00\n"
    "    announced: 2026-12-01\n"
    "    test_run: {start: 2026-12-04T14:00, end: 2026-12-04T15:00}\n";

/* 2026-12-07 09:30 in Asia/Ho_Chi_Minh (UTC+7), inside m1. */
#define NOW ((time_t)1796610600)

static char path[64];
static struct mcu_conf *base;

static int setup(void)
{
	struct mcu_conf_report report = {0};
	int fd;

	/* The entry's times are written in the process's zone. */
	setenv("TZ", "Asia/Ho_Chi_Minh", 1);
	tzset();
	snprintf(path, sizeof(path), "/tmp/fuzz_adhoc.XXXXXX");
	fd = mkstemp(path);
	if (fd < 0)
		return -1;
	if (write(fd, roster, sizeof(roster) - 1) !=
	    (ssize_t)(sizeof(roster) - 1)) {
		close(fd);
		return -1;
	}
	close(fd);
	CHECK(mcu_conf_load(path, &base, &report) == 0);
	mcu_conf_report_clear(&report);
	return 0;
}

static void cleanup(void)
{
	if (path[0])
		unlink(path);
	base = mcu_conf_free(base);
}

static void check_entry(const char *entry)
{
	size_t n = strlen(entry);

	CHECK(n > 4 && !strncmp(entry, "- {", 3));
	CHECK(entry[n - 1] == '\n' && entry[n - 2] == '}');
	for (size_t i = 0; i + 1 < n; i++)
		CHECK(entry[i] >= 0x20 && entry[i] <= 0x7f);
}

static void check_load(const char *entry, const json_t *body,
                       const json_t *summary)
{
	struct mcu_conf_report report = {0};
	struct mcu_conf *conf = NULL;
	char detail[256];
	int err;

	err = mcu_conf_load_extra(path, entry, strlen(entry), &conf, &report);
	/* The base file is valid: whatever is wrong is in the entry. */
	for (size_t i = 0; i < report.n_findings; i++)
		if (report.findings[i].severity == MCU_CONF_ERROR)
			CHECK(report.findings[i].pos.line >=
			      MCU_CONF_EXTRA_LINE);
	if (err == 0) {
		const struct mcu_conf_meeting *m;
		CHECK(conf && conf->n_meetings == base->n_meetings + 1);
		m = &conf->meetings[conf->n_meetings - 1];
		CHECK(m->ad_hoc);
		CHECK(!strcmp(
		    m->id, json_string_value(json_object_get(summary, "id"))));
		CHECK(!strcmp(
		    m->host, json_string_value(json_object_get(body, "host"))));
		CHECK(m->host_index < conf->n_endpoints);
		mcu_conf_free(conf);
	} else {
		int st = mcu_adhoc_refusal(&report, detail, sizeof(detail));
		CHECK(st == 400 || st == 409);
		CHECK(memchr(detail, '\0', sizeof(detail)));
	}
	mcu_conf_report_clear(&report);
}

static void check_prune(const char *entry)
{
	char *out;
	size_t len, n = strlen(entry);

	/* Before its start it is kept, a day after its end it is gone. */
	out = mcu_adhoc_prune(entry, n, NOW - 3600, &len);
	CHECK(out && len == n && !memcmp(out, entry, n));
	free(out);
	out = mcu_adhoc_prune(entry, n, NOW + 2 * 86400, &len);
	CHECK(out && len == 0);
	free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int ready;
	json_error_t jerr;
	json_t *body, *summary = NULL;
	char *entry = NULL, detail[256];
	size_t len;
	char *out;
	int st;

	if (!ready) {
		CHECK(setup() == 0);
		atexit(cleanup);
		ready = 1;
	}
	if (size > 65536)
		return 0;
	/* The kept file is read back the same way, any bytes. */
	out = mcu_adhoc_prune((const char *)data, size, NOW, &len);
	CHECK(out && len <= size);
	free(out);

	body =
	    json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, &jerr);
	if (!body)
		return 0;
	detail[0] = '\0';
	st = mcu_adhoc_entry(body, base, NOW, &entry, &summary, detail,
	                     sizeof(detail));
	if (st == 0) {
		CHECK(entry && summary);
		check_entry(entry);
		check_load(entry, body, summary);
		check_prune(entry);
	} else {
		CHECK(st == 400 || st == 500);
		CHECK(!entry && !summary && detail[0]);
	}
	free(entry);
	json_decref(summary);
	json_decref(body);
	return 0;
}
