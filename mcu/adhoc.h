/*
 * adhoc: the meetings operators create at run time (POST /api/v1/meetings):
 * an API request becomes one roster meeting entry, and the entries are
 * kept in <run-dir>/adhoc.yaml (a YAML list, one JSON flow mapping per
 * line) so a restarted daemon still knows them. The daemon loads the
 * roster file with these entries appended (mcu_conf_load_extra), so an
 * ad-hoc meeting is checked by every roster rule except the notice ones
 * (`ad_hoc: true`) and then runs like any other meeting.
 */
#ifndef MCU_ADHOC_H
#define MCU_ADHOC_H

#include <stddef.h>
#include <time.h>

#include <jansson.h>

#include "conf/config.h"

/*
 * Build the entry for request `body` (docs/api.md "Ad-hoc meetings"):
 * host and branches required; id (default adhoc-YYYYMMDD-HHMM, made
 * unique against `conf`), title, minutes (1..1440, default 60),
 * emergency, floor, dial, layout, number optional; it starts at `now`
 * (its minute) and is announced today. On success *entryp is a malloc()ed
 * "- {...}\n" line and *summary a new object {id, title, start, end};
 * returns 0. Otherwise 400 with `detail` saying why.
 */
int mcu_adhoc_entry(const json_t *body, const struct mcu_conf *conf,
                    time_t now, char **entryp, json_t **summary,
                    char *detail, size_t detail_len);

/* The entries of `text` whose end is at or after `cutoff` (local time),
   as a new malloc()ed text (*lenp its length). NULL on ENOMEM. */
char *mcu_adhoc_prune(const char *text, size_t len, time_t cutoff,
                      size_t *lenp);

/* Read the file (missing: empty text). 0 or an errno. */
int mcu_adhoc_load(const char *path, char **textp, size_t *lenp);
/* Write it atomically (a temporary file renamed). 0 or an errno. */
int mcu_adhoc_save(const char *path, const char *text, size_t len);

/* The HTTP status and message for a roster refused with the entry:
   409 for clashes (overlap, number in use, id taken), else 400. */
int mcu_adhoc_refusal(const struct mcu_conf_report *report, char *detail,
                      size_t detail_len);

#endif
