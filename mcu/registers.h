/*
 * registers: the operator's documents of the regulation, as CSV or JSON.
 *
 *   - the meeting register: one row per meeting held in a date range
 *     (planned vs actual times, host, branches planned vs joined, duration,
 *     emergency, recording, incidents), with per-meeting participant detail
 *     in JSON;
 *   - the half-yearly register (Phụ lục I): meetings, hours and emergency
 *     meetings per host unit and per tier, attendance rate and incidents
 *     per endpoint;
 *   - the contacts register (Phụ lục II) from the roster snapshot, and the
 *     list of units whose contacts are incomplete.
 *
 * Pure formatting over mcu_logbook_read() results and a roster snapshot;
 * the *_export() functions take the API's query strings, read the logbook
 * and format in one call, for the API thread. Every document is a malloc'd
 * buffer with its content type. Text is UTF-8; headings are Vietnamese by
 * default, English with lang "en". CSV follows RFC 4180 (CRLF, fields with
 * commas, quotes or line breaks quoted) and starts with a UTF-8 byte-order
 * mark unless asked not to, so that Excel shows Vietnamese correctly.
 * Times are printed in the process time zone (mcu.timezone).
 */
#ifndef MCU_REGISTERS_H
#define MCU_REGISTERS_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "conf/config.h"
#include "mcu/i18n.h"
#include "mcu/logbook.h"

enum mcu_registers_format {
	MCU_REGISTERS_CSV = 0,
	MCU_REGISTERS_JSON,
};

/* flags */
#define MCU_REGISTERS_BOM 0x1u /* CSV: start with a UTF-8 byte-order mark */

/* A finished document. */
struct mcu_registers_doc {
	char *data; /* malloc'd, NUL-terminated (the NUL is not in len) */
	size_t len;
	const char *content_type; /* static: "text/csv; charset=utf-8", ... */
	const char *error; /* static: which argument was bad, on EINVAL */
};

void mcu_registers_doc_clear(struct mcu_registers_doc *doc);

/* Half-yearly register parts (CSV shows one or all of them). */
enum mcu_registers_section {
	MCU_REGISTERS_ALL = 0,
	MCU_REGISTERS_HOSTS,
	MCU_REGISTERS_TIERS,
	MCU_REGISTERS_ENDPOINTS,
};

/* ---- formatting ---- */

/* The meeting register of `recs` (CSV or JSON; JSON with participants). */
int mcu_registers_meetings(const struct mcu_logbook_records *recs, time_t from,
                           time_t to, enum mcu_registers_format format,
                           enum mcu_lang lang, unsigned flags,
                           struct mcu_registers_doc *out);

/* Every row of one meeting in JSON: participants with join/leave times,
 * incidents, test-run results. */
int mcu_registers_meeting_detail(const struct mcu_logbook_records *recs,
                                 struct mcu_registers_doc *out);

/* The half-yearly register (Phụ lục I) of the meetings in `recs`. */
int mcu_registers_halfyear(const struct mcu_logbook_records *recs, time_t from,
                           time_t to, enum mcu_registers_format format,
                           enum mcu_lang lang, unsigned flags,
                           enum mcu_registers_section section,
                           struct mcu_registers_doc *out);

/* What is missing from one unit's contacts. */
#define MCU_REGISTERS_GAP_MISSING  0x1u /* the contact is absent */
#define MCU_REGISTERS_GAP_NO_NAME  0x2u
#define MCU_REGISTERS_GAP_NO_PHONE 0x4u

struct mcu_registers_gap {
	size_t endpoint;                      /* index into conf->endpoints */
	unsigned leader, technician, support; /* MCU_REGISTERS_GAP_* bits */
};

/* Units whose contacts are incomplete, in roster order (*gapsp malloc'd,
 * NULL when none). Returns 0 or ENOMEM. */
int mcu_registers_contacts_gaps(const struct mcu_conf *conf,
                                struct mcu_registers_gap **gapsp, size_t *np);

/* The contacts register (Phụ lục II): one row per unit. */
int mcu_registers_contacts_csv(const struct mcu_conf *conf, enum mcu_lang lang,
                               unsigned flags, struct mcu_registers_doc *out);
/* The incomplete units as CSV: id, name, what is missing (in `lang`). */
int mcu_registers_contacts_gaps_csv(const struct mcu_conf *conf,
                                    enum mcu_lang lang, unsigned flags,
                                    struct mcu_registers_doc *out);
/* Both in one JSON document: {"units": [...], "incomplete": [...]}. */
int mcu_registers_contacts_json(const struct mcu_conf *conf, enum mcu_lang lang,
                                struct mcu_registers_doc *out);

/* ---- for the API layer ---- */

/*
 * Query parameters as received (NULL = absent = default):
 *   from, to  "YYYY-MM-DD" local dates, both inclusive (to defaults to from);
 *             the meeting register without from (and period) runs from
 *             the start of the half-year of `to` (1 January or 1 July)
 *             through `to`, today when absent (the register is
 *             half-yearly)
 *   period    "YYYY-H1" / "YYYY-H2" (half-year; instead of from/to)
 *   format    "csv" | "json" (default: json for the meeting register and
 *             the meeting detail, csv for the half-yearly and contacts
 *             registers, which are documents for operators)
 *   lang      "vi" (default) | "en"
 *   bom       "1" (default) | "0": the byte-order mark of CSV
 *   section   half-yearly CSV: "all" (default) | "hosts" | "tiers" |
 *             "endpoints"; contacts: "units" (default) | "incomplete"
 *   meeting   a meeting id (detail)
 */
struct mcu_registers_query {
	const char *from, *to, *period;
	const char *format, *lang, *bom, *section;
	const char *meeting;
	time_t now; /* "today" of the defaults; 0: time(NULL) */
};

/*
 * Each returns 0 with *out filled, EINVAL (out->error names the bad
 * parameter: answer 400), ENOENT (no such meeting: 404), or EIO / ENOMEM /
 * EFBIG (answer 500).
 */
int mcu_registers_logbook_export(struct mcu_logbook *lb,
                                 const struct mcu_registers_query *q,
                                 struct mcu_registers_doc *out);
int mcu_registers_halfyear_export(struct mcu_logbook *lb,
                                  const struct mcu_registers_query *q,
                                  struct mcu_registers_doc *out);
int mcu_registers_meeting_export(struct mcu_logbook *lb,
                                 const struct mcu_registers_query *q,
                                 struct mcu_registers_doc *out);
int mcu_registers_contacts_export(const struct mcu_conf *conf,
                                  const struct mcu_registers_query *q,
                                  struct mcu_registers_doc *out);

/*
 * Parse a local date range: from/to "YYYY-MM-DD" (to inclusive, defaults
 * to from) or period "YYYY-H1"/"YYYY-H2". Sets [*fromp, *top) in UTC
 * seconds. Returns 0 or EINVAL with *whyp naming the bad parameter.
 */
int mcu_registers_parse_range(const char *from, const char *to,
                              const char *period, time_t *fromp, time_t *top,
                              const char **whyp);

/*
 * The meeting register's range when no `from` is given: from local
 * midnight of 1 January or 1 July starting the half-year that holds `to`
 * ("YYYY-MM-DD"; NULL: the local date of `now`) until the end of `to`.
 * Sets [*fromp, *top); 0 or EINVAL with *whyp = "to".
 */
int mcu_registers_default_range(const char *to, time_t now, time_t *fromp,
                                time_t *top, const char **whyp);

#endif
