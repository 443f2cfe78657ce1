/*
 * config_value: the findings list and the typed reading of single YAML
 * nodes (strings, numbers, booleans, enums, dates, times, addresses). Each
 * getter either stores a value or adds one error finding at the node.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "conf/config_internal.h"

void conf_finding(struct mcu_conf_report *report,
                  enum mcu_conf_severity severity, struct mcu_conf_pos pos,
                  const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	if (severity == MCU_CONF_ERROR)
		report->n_errors++;
	else
		report->n_warnings++;
	/* warnings stop at the cap; errors have a cap of their own, so an
	 * error is never hidden by a flood of warnings */
	if ((severity == MCU_CONF_WARNING &&
	     report->n_findings >= MCU_CONF_MAX_FINDINGS) ||
	    (severity == MCU_CONF_ERROR &&
	     report->n_errors > MCU_CONF_MAX_FINDINGS)) {
		report->n_suppressed++;
		return;
	}
	size_t cap = report->n_findings; /* grown one by one, bounded */
	struct mcu_conf_finding *f =
		realloc(report->findings, (cap + 1) * sizeof(*f));
	if (!f) {
		report->n_suppressed++;
		return;
	}
	report->findings = f;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	f[cap].severity = severity;
	f[cap].pos = pos;
	f[cap].message = conf_strdup(msg);
	if (!f[cap].message) {
		report->n_suppressed++;
		return;
	}
	report->n_findings++;
}

char *conf_strdup(const char *s)
{
	if (!s)
		return NULL;
	size_t n = strlen(s) + 1;
	char *d = malloc(n);
	if (d)
		memcpy(d, s, n);
	return d;
}

int conf_grow(void **arr, size_t *cap, size_t need, size_t size)
{
	if (need <= *cap)
		return 0;
	size_t ncap = *cap ? *cap * 2 : 4;
	while (ncap < need)
		ncap *= 2;
	if (ncap > SIZE_MAX / size)
		return ENOMEM;
	void *p = realloc(*arr, ncap * size);
	if (!p)
		return ENOMEM;
	*arr = p;
	*cap = ncap;
	return 0;
}

static const char *kind_name(const struct conf_node *n)
{
	switch (n->kind) {
	case CONF_SEQ:
		return "a list";
	case CONF_MAP:
		return "a mapping";
	default:
		return "a scalar";
	}
}

static void map_field(struct conf_ctx *ctx, const struct conf_node *key,
                      const struct conf_node *val, const char *const *keys,
                      size_t n_keys, const struct conf_node **vals,
                      const struct conf_node **key_nodes, const char *where)
{
	if (key->kind != CONF_SCALAR) {
		conf_error(ctx, key->pos, "%s: a key must be a plain word, "
		           "not %s", where, kind_name(key));
		return;
	}
	for (size_t k = 0; k < n_keys; k++) {
		if (strcmp(key->str, keys[k]) != 0)
			continue;
		if (vals[k]) {
			conf_error(ctx, key->pos,
			           "%s: duplicate key '%s' (first at line %d)",
			           where, key->str, key_nodes[k]->pos.line);
			return;
		}
		vals[k] = val;
		key_nodes[k] = key;
		return;
	}
	conf_warn(ctx, key->pos, "%s: unknown key '%s' (ignored)", where,
	          key->str);
}

bool conf_map_fields(struct conf_ctx *ctx, const struct conf_node *map,
                     const char *const *keys, size_t n_keys,
                     const struct conf_node **vals, const char *where)
{
	const struct conf_node *key_nodes[32];

	for (size_t k = 0; k < n_keys; k++)
		vals[k] = NULL;
	if (!map || map->kind != CONF_MAP) {
		if (map)
			conf_error(ctx, map->pos, "%s must be a mapping, not %s",
			           where, kind_name(map));
		return false;
	}
	if (n_keys > 32)
		return false;
	for (size_t i = 0; i + 1 < map->n_items; i += 2)
		map_field(ctx, map->items[i], map->items[i + 1], keys, n_keys,
		          vals, key_nodes, where);
	return true;
}

bool conf_is_null(const struct conf_node *n)
{
	if (!n)
		return true;
	if (n->kind != CONF_SCALAR || !n->plain)
		return false;
	return n->len == 0 || strcmp(n->str, "~") == 0 ||
	       strcmp(n->str, "null") == 0 || strcmp(n->str, "Null") == 0 ||
	       strcmp(n->str, "NULL") == 0;
}

static bool want_scalar(struct conf_ctx *ctx, const struct conf_node *n,
                        const char *what, const char *type)
{
	if (n->kind == CONF_SCALAR && !conf_is_null(n))
		return true;
	conf_error(ctx, n->pos, "%s: expected %s, got %s", what, type,
	           n->kind == CONF_SCALAR ? "nothing" : kind_name(n));
	return false;
}

bool conf_get_str(struct conf_ctx *ctx, const struct conf_node *n,
                  const char *what, char **out)
{
	if (!want_scalar(ctx, n, what, "a string"))
		return false;
	if (n->len == 0) {
		conf_error(ctx, n->pos, "%s: must not be empty", what);
		return false;
	}
	char *s = conf_strdup(n->str);
	if (!s)
		return false;
	free(*out);
	*out = s;
	return true;
}

bool conf_get_uint(struct conf_ctx *ctx, const struct conf_node *n,
                   const char *what, unsigned long min, unsigned long max,
                   unsigned long *out)
{
	char *end;
	if (!want_scalar(ctx, n, what, "a number"))
		return false;
	const char *s = n->str;
	if (!isdigit((unsigned char)s[0]) || n->len > 20) {
		conf_error(ctx, n->pos, "%s: expected a whole number, got '%s'",
		           what, s);
		return false;
	}
	errno = 0;
	unsigned long v = strtoul(s, &end, 10);
	if (*end != '\0') {
		conf_error(ctx, n->pos, "%s: expected a whole number, got '%s'",
		           what, s);
		return false;
	}
	if (errno || v < min || v > max) {
		conf_error(ctx, n->pos, "%s: %s is out of range (%lu..%lu)",
		           what, s, min, max);
		return false;
	}
	*out = v;
	return true;
}

bool conf_get_bool(struct conf_ctx *ctx, const struct conf_node *n,
                   const char *what, bool *out)
{
	static const char *const yes[] = {"true", "yes", "on"};
	static const char *const no[] = {"false", "no", "off"};
	if (!want_scalar(ctx, n, what, "true or false"))
		return false;
	for (size_t i = 0; i < 3; i++) {
		if (strcasecmp(n->str, yes[i]) == 0) {
			*out = true;
			return true;
		}
		if (strcasecmp(n->str, no[i]) == 0) {
			*out = false;
			return true;
		}
	}
	conf_error(ctx, n->pos, "%s: expected true or false, got '%s'", what,
	           n->str);
	return false;
}

bool conf_get_enum(struct conf_ctx *ctx, const struct conf_node *n,
                   const char *what, const char *const *names, size_t n_names,
                   int *out)
{
	char expected[256] = "";
	size_t used = 0;
	if (!want_scalar(ctx, n, what, "a word"))
		return false;
	for (size_t i = 0; i < n_names; i++) {
		if (strcmp(n->str, names[i]) == 0) {
			*out = (int)i;
			return true;
		}
		int w = snprintf(expected + used, sizeof(expected) - used,
		                 "%s%s", i ? " | " : "", names[i]);
		if (w > 0 && (size_t)w < sizeof(expected) - used)
			used += (size_t)w;
	}
	conf_error(ctx, n->pos, "%s: unknown value '%s' (expected %s)", what,
	           n->str, expected);
	return false;
}

bool conf_id_valid(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n > MCU_CONF_MAX_ID)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		      c == '-'))
			return false;
	}
	return true;
}

bool conf_get_id(struct conf_ctx *ctx, const struct conf_node *n,
                 const char *what, char **out)
{
	if (!want_scalar(ctx, n, what, "an id"))
		return false;
	if (!conf_id_valid(n->str)) {
		conf_error(ctx, n->pos,
		           "%s: '%s' is not a valid id (1..%d characters of "
		           "a-z, 0-9 and '-')",
		           what, n->str, MCU_CONF_MAX_ID);
		return false;
	}
	return conf_get_str(ctx, n, what, out);
}

void conf_str_list_free(char **list, size_t n)
{
	for (size_t i = 0; list && i < n; i++)
		free(list[i]);
	free(list);
}

bool conf_get_str_list(struct conf_ctx *ctx, const struct conf_node *n,
                       const char *what, char ***out, size_t *n_out,
                       struct mcu_conf_pos **posp)
{
	const struct conf_node *const *items = (const struct conf_node *const *)&n;
	size_t count = 1, got = 0;
	bool ok = true;

	if (n->kind == CONF_MAP) {
		conf_error(ctx, n->pos, "%s: expected a list, got a mapping",
		           what);
		return false;
	}
	if (n->kind == CONF_SEQ) {
		items = (const struct conf_node *const *)n->items;
		count = n->n_items;
	}
	char **list = calloc(count ? count : 1, sizeof(*list));
	struct mcu_conf_pos *pos =
		posp ? calloc(count ? count : 1, sizeof(*pos)) : NULL;
	if (!list || (posp && !pos)) {
		free(list);
		free(pos);
		return false;
	}
	for (size_t i = 0; i < count; i++) {
		if (!conf_get_str(ctx, items[i], what, &list[got])) {
			ok = false;
			continue;
		}
		if (pos)
			pos[got] = items[i]->pos;
		got++;
	}
	*out = list;
	*n_out = got;
	if (posp)
		*posp = pos;
	return ok;
}

/* Reads exactly `n` digits. */
static bool read_digits(const char **sp, int n, int *out)
{
	int v = 0;
	for (int i = 0; i < n; i++) {
		char c = (*sp)[i];
		if (c < '0' || c > '9')
			return false;
		v = v * 10 + (c - '0');
	}
	*sp += n;
	*out = v;
	return true;
}

static bool parse_ymd(const char **sp, int *y, int *m, int *d)
{
	const char *s = *sp;
	if (!read_digits(&s, 4, y) || *s++ != '-' || !read_digits(&s, 2, m) ||
	    *s++ != '-' || !read_digits(&s, 2, d))
		return false;
	if (*y < 1970 || *y > 2999 ||
	    !mcu_calendar_date_valid(*y, (unsigned)*m, (unsigned)*d))
		return false;
	*sp = s;
	return true;
}

bool conf_get_date(struct conf_ctx *ctx, const struct conf_node *n,
                   const char *what, int32_t *day)
{
	int y, m, d;
	if (!want_scalar(ctx, n, what, "a date"))
		return false;
	const char *s = n->str;
	if (!parse_ymd(&s, &y, &m, &d) || *s != '\0') {
		conf_error(ctx, n->pos,
		           "%s: '%s' is not a date (YYYY-MM-DD, 1970..2999)",
		           what, n->str);
		return false;
	}
	*day = mcu_calendar_days_from_civil(y, (unsigned)m, (unsigned)d);
	return true;
}

/* "Z", "+07:00", "+0700", "+07"; seconds east of UTC. */
static bool parse_offset(const char *s, long *off)
{
	int h, m = 0;
	if ((s[0] == 'Z' || s[0] == 'z') && s[1] == '\0') {
		*off = 0;
		return true;
	}
	if (s[0] != '+' && s[0] != '-')
		return false;
	int sign = s[0] == '-' ? -1 : 1;
	s++;
	if (!read_digits(&s, 2, &h))
		return false;
	if (*s == ':')
		s++;
	if (*s && !read_digits(&s, 2, &m))
		return false;
	if (*s || h > 23 || m > 59)
		return false;
	*off = sign * (h * 3600L + m * 60L);
	return true;
}

/* Parses a date-time; *has_off tells whether an offset was written. */
static bool parse_datetime(const char *s, struct tm *tm, bool *has_off,
                           long *off)
{
	int y, mo, d, h, mi, sec = 0;
	if (!parse_ymd(&s, &y, &mo, &d))
		return false;
	if (*s != 'T' && *s != 't' && *s != ' ')
		return false;
	s++;
	if (!read_digits(&s, 2, &h) || *s++ != ':' || !read_digits(&s, 2, &mi))
		return false;
	if (*s == ':') {
		s++;
		if (!read_digits(&s, 2, &sec))
			return false;
	}
	if (h > 23 || mi > 59 || sec > 59)
		return false;
	if (*s == ' ')
		s++;
	*has_off = *s != '\0';
	if (*has_off && !parse_offset(s, off))
		return false;
	memset(tm, 0, sizeof(*tm));
	tm->tm_year = y - 1900;
	tm->tm_mon = mo - 1;
	tm->tm_mday = d;
	tm->tm_hour = h;
	tm->tm_min = mi;
	tm->tm_sec = sec;
	tm->tm_isdst = -1;
	return true;
}

static time_t utc_from_tm(const struct tm *tm, long off)
{
	int64_t days = mcu_calendar_days_from_civil(
		tm->tm_year + 1900, (unsigned)tm->tm_mon + 1,
		(unsigned)tm->tm_mday);
	return (time_t)(days * 86400 + tm->tm_hour * 3600 + tm->tm_min * 60 +
	                tm->tm_sec - off);
}

bool conf_get_time(struct conf_ctx *ctx, const struct conf_node *n,
                   const char *what, bool allow_date, time_t *out)
{
	struct tm tm;
	bool has_off = false;
	long off = 0;
	int32_t day;

	if (!want_scalar(ctx, n, what, "a date-time"))
		return false;
	if (allow_date && strlen(n->str) == 10) {
		if (!conf_get_date(ctx, n, what, &day))
			return false;
		*out = mcu_calendar_day_start(day);
		return true;
	}
	if (!parse_datetime(n->str, &tm, &has_off, &off)) {
		conf_error(ctx, n->pos,
		           "%s: '%s' is not a %sdate-time (YYYY-MM-DDTHH:MM"
		           "[:SS][Z|+HH:MM])",
		           what, n->str, allow_date ? "date or " : "");
		return false;
	}
	if (has_off) {
		*out = utc_from_tm(&tm, off);
		return true;
	}
	time_t t = mktime(&tm);
	if (t == (time_t)-1) {
		conf_error(ctx, n->pos, "%s: '%s' is not a valid local time",
		           what, n->str);
		return false;
	}
	*out = t;
	return true;
}

void conf_addr_clear(struct mcu_conf_addr *a)
{
	free(a->host);
	memset(a, 0, sizeof(*a));
}

static int fill_sockaddr(const char *host, uint16_t port,
                         struct mcu_conf_addr *out)
{
	struct sockaddr_in *in4 = (struct sockaddr_in *)&out->addr;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&out->addr;
	memset(&out->addr, 0, sizeof(out->addr));
	if (inet_pton(AF_INET, host, &in4->sin_addr) == 1) {
		in4->sin_family = AF_INET;
		in4->sin_port = htons(port);
		out->addr_len = sizeof(*in4);
		return 0;
	}
	if (inet_pton(AF_INET6, host, &in6->sin6_addr) == 1) {
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons(port);
		out->addr_len = sizeof(*in6);
		return 0;
	}
	return EINVAL;
}

int conf_parse_addr(const char *s, struct mcu_conf_addr *out)
{
	char host[64];
	const char *colon, *hs = s;
	size_t hlen;
	char *end;

	if (s[0] == '[') {
		const char *rb = strchr(s, ']');
		if (!rb || rb[1] != ':')
			return EINVAL;
		hs = s + 1;
		hlen = (size_t)(rb - hs);
		colon = rb + 1;
	} else {
		colon = strrchr(s, ':');
		if (!colon)
			return EINVAL;
		hlen = (size_t)(colon - s);
	}
	if (hlen == 0 || hlen >= sizeof(host) || !isdigit((unsigned char)colon[1]))
		return EINVAL;
	memcpy(host, hs, hlen);
	host[hlen] = '\0';
	errno = 0;
	unsigned long port = strtoul(colon + 1, &end, 10);
	if (errno || *end || port < 1 || port > 65535)
		return EINVAL;
	struct mcu_conf_addr a = {0};
	if (fill_sockaddr(host, (uint16_t)port, &a))
		return EINVAL;
	a.host = conf_strdup(host);
	if (!a.host)
		return ENOMEM;
	a.port = (uint16_t)port;
	*out = a;
	return 0;
}

bool conf_get_addr(struct conf_ctx *ctx, const struct conf_node *n,
                   const char *what, struct mcu_conf_addr *out)
{
	if (!want_scalar(ctx, n, what, "an address"))
		return false;
	struct mcu_conf_addr a;
	if (conf_parse_addr(n->str, &a)) {
		conf_error(ctx, n->pos,
		           "%s: '%s' is not a numeric HOST:PORT "
		           "(e.g. 127.0.0.1:8080 or [::1]:8080)",
		           what, n->str);
		return false;
	}
	conf_addr_clear(out);
	*out = a;
	return true;
}

static void mask_cidr(struct mcu_conf_cidr *c)
{
	unsigned bytes = c->family == AF_INET ? 4 : 16;
	for (unsigned i = 0; i < bytes; i++) {
		unsigned keep = c->prefix > i * 8 ? c->prefix - i * 8 : 0;
		if (keep >= 8)
			continue;
		c->addr[i] &= (uint8_t)(0xff00u >> keep);
	}
}

int conf_parse_cidr(const char *s, struct mcu_conf_cidr *out)
{
	char host[64];
	const char *slash = strchr(s, '/');
	size_t hlen = slash ? (size_t)(slash - s) : strlen(s);
	struct mcu_conf_cidr c;

	if (hlen == 0 || hlen >= sizeof(host))
		return EINVAL;
	memcpy(host, s, hlen);
	host[hlen] = '\0';
	memset(&c, 0, sizeof(c));
	if (inet_pton(AF_INET, host, c.addr) == 1)
		c.family = AF_INET;
	else if (inet_pton(AF_INET6, host, c.addr) == 1)
		c.family = AF_INET6;
	else
		return EINVAL;
	unsigned max = c.family == AF_INET ? 32 : 128;
	c.prefix = max;
	if (slash) {
		char *end;
		if (!isdigit((unsigned char)slash[1]) || strlen(slash) > 4)
			return EINVAL;
		unsigned long p = strtoul(slash + 1, &end, 10);
		if (*end || p > max)
			return EINVAL;
		c.prefix = (unsigned)p;
	}
	mask_cidr(&c);
	*out = c;
	return 0;
}
