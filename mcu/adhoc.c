/*
 * An entry is written as JSON: a JSON object is a YAML flow mapping and a
 * JSON string (escaped with \uXXXX, ASCII only) a YAML double-quoted
 * scalar, so nothing an operator types can break out of its line.
 */
#define MCU_LOG_MODULE "adhoc"
#include "mcu/adhoc.h"
#include "conf/log.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_BRANCHES 1000
#define MAX_FILE (4u << 20)

enum stamp { MINUTE, DAY, ID };

/* Local time as the roster writes it. */
static void local_str(time_t t, enum stamp what, char *buf, size_t len)
{
	struct tm tm;
	localtime_r(&t, &tm);
	if (what == MINUTE)
		strftime(buf, len, "%Y-%m-%dT%H:%M", &tm);
	else if (what == DAY)
		strftime(buf, len, "%Y-%m-%d", &tm);
	else
		strftime(buf, len, "adhoc-%Y%m%d-%H%M", &tm);
}

/* Copy an optional field of the right JSON type; 400 on a wrong one. */
static int copy_opt(json_t *dst, const json_t *body, const char *key,
                    json_type type, char *detail, size_t len)
{
	json_t *v = json_object_get(body, key);
	if (!v)
		return 0;
	if (json_typeof(v) != type &&
	    !(type == JSON_TRUE && json_is_boolean(v))) {
		snprintf(detail, len, "\"%s\" has the wrong type", key);
		return 400;
	}
	json_object_set(dst, key, v);
	return 0;
}

static int check_fields(const json_t *body, char *detail, size_t len)
{
	static const char *const known[] = {
		"id",    "title", "host",   "branches", "minutes",
		"emergency", "floor", "dial", "layout", "number",
	};
	const char *key;
	json_t *v;
	json_object_foreach((json_t *)body, key, v) {
		bool ok = false;
		for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
			ok = ok || !strcmp(key, known[i]);
		if (!ok) {
			snprintf(detail, len, "unknown field \"%.64s\"", key);
			return 400;
		}
	}
	return 0;
}

/* A free id like adhoc-20261129-1640 (-2, -3... when taken). */
static void make_id(const struct mcu_conf *conf, time_t now, char *id,
                    size_t len)
{
	char base[64];
	local_str(now, ID, base, sizeof(base));
	snprintf(id, len, "%s", base);
	for (unsigned k = 2; conf && mcu_conf_meeting_index(conf, id) >= 0 &&
	                     k < 1000;
	     k++)
		snprintf(id, len, "%s-%u", base, k);
}

int mcu_adhoc_entry(const json_t *body, const struct mcu_conf *conf,
                    time_t now, char **entryp, json_t **summary,
                    char *detail, size_t detail_len)
{
	json_t *m, *v;
	char id[96], start[32], end[32], today[16];
	long long minutes = 60;
	int st;

	*entryp = NULL;
	*summary = NULL;
	if (!json_is_object(body)) {
		snprintf(detail, detail_len, "the body must be an object");
		return 400;
	}
	st = check_fields(body, detail, detail_len);
	if (st)
		return st;
	v = json_object_get(body, "host");
	if (!json_is_string(v) || !json_string_length(v)) {
		snprintf(detail, detail_len, "\"host\" (an endpoint id) is "
		         "required");
		return 400;
	}
	v = json_object_get(body, "branches");
	if (!json_is_array(v) || json_array_size(v) == 0 ||
	    json_array_size(v) > MAX_BRANCHES) {
		snprintf(detail, detail_len, "\"branches\" must be a list of "
		         "endpoint ids, groups, tier:X or all");
		return 400;
	}
	for (size_t i = 0; i < json_array_size(v); i++)
		if (!json_is_string(json_array_get(v, i))) {
			snprintf(detail, detail_len, "\"branches\" must hold "
			         "strings");
			return 400;
		}
	v = json_object_get(body, "minutes");
	if (v) {
		if (!json_is_integer(v) || json_integer_value(v) < 1 ||
		    json_integer_value(v) > 1440) {
			snprintf(detail, detail_len, "\"minutes\" must be an "
			         "integer from 1 to 1440");
			return 400;
		}
		minutes = json_integer_value(v);
	}
	v = json_object_get(body, "id");
	if (v && (!json_is_string(v) || !json_string_length(v) ||
	          json_string_length(v) > 64)) {
		snprintf(detail, detail_len, "\"id\" must be a short string");
		return 400;
	}
	if (v)
		snprintf(id, sizeof(id), "%s", json_string_value(v));
	else
		make_id(conf, now, id, sizeof(id));
	/* The roster's times have minutes: it starts in this minute. */
	time_t t0 = now - now % 60;
	local_str(t0, MINUTE, start, sizeof(start));
	local_str(t0 + (time_t)minutes * 60, MINUTE, end, sizeof(end));
	local_str(now, DAY, today, sizeof(today));
	bool emergency = json_is_true(json_object_get(body, "emergency"));
	v = json_object_get(body, "title");
	if (v && !json_is_string(v)) {
		snprintf(detail, detail_len, "\"title\" must be a string");
		return 400;
	}
	m = json_pack("{s:s, s:s, s:O, s:O, s:s, s:s, s:s, s:b, s:b}", "id",
	              id, "title",
	              v ? json_string_value(v)
	                : emergency ? "Họp khẩn (ngoài lịch)"
	                            : "Họp đột xuất (ngoài lịch)",
	              "host", json_object_get(body, "host"), "branches",
	              json_object_get(body, "branches"), "start", start, "end",
	              end, "announced", today, "emergency", emergency,
	              "ad_hoc", 1);
	if (!m) {
		snprintf(detail, detail_len, "out of memory");
		return 500;
	}
	st = copy_opt(m, body, "emergency", JSON_TRUE, detail, detail_len);
	if (!st)
		st = copy_opt(m, body, "floor", JSON_STRING, detail,
		              detail_len);
	if (!st)
		st = copy_opt(m, body, "dial", JSON_STRING, detail, detail_len);
	if (!st)
		st = copy_opt(m, body, "layout", JSON_OBJECT, detail,
		              detail_len);
	if (!st)
		st = copy_opt(m, body, "number", JSON_INTEGER, detail,
		              detail_len);
	char *text = st ? NULL
	                : json_dumps(m, JSON_COMPACT | JSON_ENSURE_ASCII |
	                                        JSON_PRESERVE_ORDER);
	if (!st && !text) {
		snprintf(detail, detail_len, "out of memory");
		st = 500;
	}
	if (!st) {
		size_t n = strlen(text) + 4;
		*entryp = malloc(n);
		if (*entryp)
			snprintf(*entryp, n, "- %s\n", text);
		*summary = json_pack("{s:s, s:O, s:s, s:s, s:b}", "id", id,
		                     "title", json_object_get(m, "title"),
		                     "start", start, "end", end, "ad_hoc", 1);
		if (!*entryp || !*summary) {
			free(*entryp);
			*entryp = NULL;
			json_decref(*summary);
			*summary = NULL;
			st = 500;
		}
	}
	free(text);
	json_decref(m);
	return st;
}

char *mcu_adhoc_prune(const char *text, size_t len, time_t cutoff,
                      size_t *lenp)
{
	char limit[32];
	char *out = malloc(len + 1);
	size_t n = 0;
	if (!out)
		return NULL;
	local_str(cutoff, MINUTE, limit, sizeof(limit));
	for (size_t i = 0; i < len;) {
		const char *nl = memchr(text + i, '\n', len - i);
		size_t l = nl ? (size_t)(nl - (text + i)) + 1 : len - i;
		bool keep = true;
		if (l > 2 && !strncmp(text + i, "- ", 2)) {
			json_error_t e;
			json_t *j = json_loadb(text + i + 2, l - 2,
			                       JSON_DISABLE_EOF_CHECK, &e);
			const char *end = json_string_value(
				json_object_get(j, "end"));
			/* Same format, same zone: strings compare as times. */
			keep = !end || strcmp(end, limit) >= 0;
			json_decref(j);
		}
		if (keep) {
			memcpy(out + n, text + i, l);
			n += l;
		}
		i += l;
	}
	out[n] = '\0';
	*lenp = n;
	return out;
}

int mcu_adhoc_load(const char *path, char **textp, size_t *lenp)
{
	FILE *f = fopen(path, "re");
	char *buf;
	size_t n;
	*textp = NULL;
	*lenp = 0;
	if (!f)
		return errno == ENOENT ? 0 : errno;
	buf = malloc(MAX_FILE + 1);
	if (!buf) {
		fclose(f);
		return ENOMEM;
	}
	n = fread(buf, 1, MAX_FILE + 1, f);
	fclose(f);
	if (n > MAX_FILE) {
		free(buf);
		return EFBIG;
	}
	buf[n] = '\0';
	*textp = buf;
	*lenp = n;
	return 0;
}

int mcu_adhoc_save(const char *path, const char *text, size_t len)
{
	char tmp[4096];
	int fd, err = 0;
	if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp))
		return ENAMETOOLONG;
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
	if (fd < 0)
		return errno;
	for (size_t off = 0; off < len && !err;) {
		ssize_t w = write(fd, text + off, len - off);
		if (w < 0)
			err = errno;
		else
			off += (size_t)w;
	}
	if (!err && fsync(fd) != 0)
		err = errno;
	if (close(fd) != 0 && !err)
		err = errno;
	if (!err && rename(tmp, path) != 0)
		err = errno;
	if (err)
		unlink(tmp);
	return err;
}

int mcu_adhoc_refusal(const struct mcu_conf_report *report, char *detail,
                      size_t detail_len)
{
	int status = 400;
	size_t off = 0;
	unsigned shown = 0;
	detail[0] = '\0';
	for (size_t i = 0; i < report->n_findings && shown < 3; i++) {
		const struct mcu_conf_finding *f = &report->findings[i];
		if (f->severity != MCU_CONF_ERROR)
			continue;
		if (strstr(f->message, "overlap") ||
		    strstr(f->message, "duplicate meeting id") ||
		    strstr(f->message, "conference number"))
			status = 409;
		int w = snprintf(detail + off, detail_len - off, "%s%s",
		                 shown ? "; " : "", f->message);
		if (w < 0 || (size_t)w >= detail_len - off)
			break;
		off += (size_t)w;
		shown++;
	}
	if (!shown)
		snprintf(detail, detail_len, "the roster refuses this meeting");
	return status;
}
