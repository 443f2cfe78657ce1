/*
 * mcuctl: the operator's command line over mcud's API (docs/api.md).
 * One sub-command per API route; tables in Vietnamese by default
 * (--lang en for English), the API's JSON with --json for scripts.
 *
 * Exit status: 0 done, 1 the API refused (4xx/5xx, message on stderr),
 * 2 usage, 3 the API could not be reached.
 */
#include "conf/config.h"
#include "tools/mcuctl/http.h"
#include "tools/mcuctl/text.h"

#include <errno.h>
#include <jansson.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

enum { EXIT_REFUSED = 1, EXIT_USAGE = 2, EXIT_UNREACHABLE = 3 };

#define MAX_POS 8
#define COL_MAX 40

struct ctl {
	enum mcuctl_lang lang;
	bool json;
	char host[256];
	char port[8];
	char *token;
	const char *pos[MAX_POS];
	size_t n_pos;
	const char *audio, *video, *from, *to, *format, *out;
	const char *title, *minutes, *id, *floor, *role;
	bool stop, emergency;
};

static const char *T(const struct ctl *c, const char *key)
{
	const char *s = mcuctl_text(c->lang, key);
	return s ? s : key;
}

/* A value's translation ("state.live" → "đang họp"), or the value. */
static const char *TV(const struct ctl *c, const char *prefix, const char *v)
{
	char key[96];
	const char *s;
	if (!v)
		return "";
	snprintf(key, sizeof(key), "%s.%s", prefix, v);
	s = mcuctl_text(c->lang, key);
	return s ? s : v;
}

static void usage(FILE *out)
{
	fputs(
		"Usage: mcuctl [options] COMMAND [args]\n"
		"\n"
		"Commands:\n"
		"  health                          daemon status\n"
		"  endpoints                       the endpoint directory\n"
		"  meetings                        every meeting and its state\n"
		"  show ID                         one meeting with its "
		"participants\n"
		"  participants ID                 participants with live "
		"statistics\n"
		"  start ID | stop ID              start early / end a meeting\n"
		"  create HOST BRANCH[,BRANCH...]  an ad-hoc meeting from now:\n"
		"      [--minutes N] [--title T] [--emergency] [--id ID] "
		"[--floor MODE]\n"
		"  extend ID MINUTES               extend a meeting\n"
		"  floor ID request|grant|revoke [EP]\n"
		"  mute ID EP [--audio on|off] [--video on|off]   (default: "
		"--audio on)\n"
		"  unmute ID EP                    audio and video back on\n"
		"  dial ID EP | hangup ID EP       call legs\n"
		"  link ID EP                      one-time browser join link\n"
		"  layout ID host|branches NAME    e.g. grid-3x3, host+floor\n"
		"  pin ID EP [--role host|branches] TILE   keep EP in tile TILE "
		"(from 1)\n"
		"  unpin ID EP [--role host|branches]      (no --role: both)\n"
		"  tour ID next|prev               turn the tour pages now\n"
		"  record ID on|off\n"
		"  content ID FILE | content ID --stop\n"
		"  view ID host|branches -o FILE   save a live still (JPEG)\n"
		"  stats                           statistics of live meetings\n"
		"  readiness ID [--format csv|json]  test-run readiness report\n"
		"  incidents                       the incidents open now\n"
		"  events                          follow events live\n"
		"  logbook [--from D] [--to D] [--format csv|json]\n"
		"  contacts [--format csv|json]    the contacts register\n"
		"  reload                          re-read the configuration\n"
		"\n"
		"Options:\n"
		"  -c FILE            read mcu.api.listen and token_file from "
		"FILE\n"
		"  --api HOST:PORT    API address (default 127.0.0.1:8080)\n"
		"  --token-file FILE  bearer token from FILE\n"
		"  --token TOKEN      bearer token (visible to other users: "
		"prefer a file)\n"
		"  --json             print the API's JSON\n"
		"  --lang vi|en       language of tables and messages (vi)\n"
		"  -h, --help         this text\n",
		out);
}

/* ---- setup ----------------------------------------------------------- */

static char *read_token(const char *path)
{
	char buf[1100];
	size_t n, b = 0;
	FILE *f = fopen(path, "r");
	if (!f) {
		fprintf(stderr, "mcuctl: %s: %s\n", path, strerror(errno));
		return NULL;
	}
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	while (n && strchr(" \t\r\n", buf[n - 1]))
		buf[--n] = '\0';
	while (buf[b] && strchr(" \t\r\n", buf[b]))
		b++;
	return buf[b] ? strdup(buf + b) : NULL;
}

static int load_config(struct ctl *c, const char *path, bool have_api,
                       bool have_token)
{
	struct mcu_conf_report rep = {0};
	struct mcu_conf *conf = NULL;
	int err = mcu_conf_load(path, &conf, &rep);

	if (err) {
		mcu_conf_report_print(&rep, stderr);
		mcu_conf_report_clear(&rep);
		return err;
	}
	mcu_conf_report_clear(&rep);
	if (!have_api) {
		const char *h = conf->api_listen.host;
		if (!h || !strcmp(h, "0.0.0.0") || !*h)
			h = "127.0.0.1";
		else if (!strcmp(h, "::") || !strcmp(h, "[::]"))
			h = "::1";
		snprintf(c->host, sizeof(c->host), "%s", h);
		snprintf(c->port, sizeof(c->port), "%u", conf->api_listen.port);
	}
	if (!have_token && conf->api_token_file)
		c->token = read_token(conf->api_token_file);
	mcu_conf_free(conf);
	return 0;
}

/* Options anywhere on the line; the rest are positional. */
static int parse_args(struct ctl *c, int argc, char **argv)
{
	const char *config = NULL, *api = NULL, *token_file = NULL;
	const char *token = NULL;

	snprintf(c->host, sizeof(c->host), "127.0.0.1");
	snprintf(c->port, sizeof(c->port), "8080");
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char **val = NULL;
#define OPT(name, var)                                                         \
	if (!strcmp(a, name)) {                                                \
		val = &(var);                                                  \
	} else
		OPT("-c", config)
		OPT("--config", config)
		OPT("--api", api)
		OPT("--token-file", token_file)
		OPT("--token", token)
		OPT("--audio", c->audio)
		OPT("--video", c->video)
		OPT("--from", c->from)
		OPT("--to", c->to)
		OPT("--format", c->format)
		OPT("-o", c->out)
		OPT("--title", c->title)
		OPT("--minutes", c->minutes)
		OPT("--id", c->id)
		OPT("--floor", c->floor)
		OPT("--role", c->role)
		OPT("--lang", a) /* handled below */
		if (!strcmp(a, "--json")) {
			c->json = true;
			continue;
		} else if (!strcmp(a, "--stop")) {
			c->stop = true;
			continue;
		} else if (!strcmp(a, "--emergency")) {
			c->emergency = true;
			continue;
		} else if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			usage(stdout);
			exit(0);
		} else if (a[0] == '-' && a[1]) {
			fprintf(stderr, "mcuctl: unknown option %s\n", a);
			return EXIT_USAGE;
		} else {
			if (c->n_pos == MAX_POS) {
				fprintf(stderr, "mcuctl: too many arguments\n");
				return EXIT_USAGE;
			}
			c->pos[c->n_pos++] = a;
			continue;
		}
#undef OPT
		if (i + 1 >= argc) {
			fprintf(stderr, "mcuctl: %s needs a value\n", a);
			return EXIT_USAGE;
		}
		if (!strcmp(argv[i], "--lang")) {
			i++;
			if (!strcasecmp(argv[i], "vi"))
				c->lang = MCUCTL_VI;
			else if (!strcasecmp(argv[i], "en"))
				c->lang = MCUCTL_EN;
			else {
				fprintf(stderr, "mcuctl: --lang vi|en\n");
				return EXIT_USAGE;
			}
			continue;
		}
		*val = argv[++i];
	}
	if (token)
		c->token = strdup(token);
	else if (token_file && !(c->token = read_token(token_file)))
		return EXIT_USAGE;
	if (api && mcuctl_http_split_addr(api, c->host, sizeof(c->host),
	                                  c->port, sizeof(c->port)) != 0) {
		fprintf(stderr, "mcuctl: --api HOST:PORT\n");
		return EXIT_USAGE;
	}
	if (config && load_config(c, config, api != NULL,
	                          token || token_file) != 0)
		return EXIT_USAGE;
	return 0;
}

/* ---- talking to the API ---------------------------------------------- */

/* Print the API's error; returns the exit status. */
static int report_error(const struct ctl *c, const struct mcuctl_http_resp *r)
{
	json_t *j = json_loads(r->body ? r->body : "", 0, NULL);
	const char *detail = json_string_value(json_object_get(j, "detail"));
	if (c->json && j) {
		char *s = json_dumps(j, JSON_INDENT(2));
		fprintf(stderr, "%s\n", s ? s : "");
		free(s);
	} else {
		fprintf(stderr, "%s: %s (HTTP %d)\n", T(c, "msg.error"),
		        detail ? detail : (r->body ? r->body : ""), r->status);
		if (r->status == 401)
			fprintf(stderr, "%s\n", T(c, "msg.need_token"));
	}
	json_decref(j);
	return EXIT_REFUSED;
}

/* One request; *out gets the JSON of a 2xx answer. Exit status. */
static int call(const struct ctl *c, const char *method, const char *path,
                json_t *body, struct mcuctl_http_resp *resp)
{
	char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;
	struct mcuctl_http_req rq = {
		.host = c->host,
		.port = c->port,
		.method = method,
		.path = path,
		.token = c->token,
		.body = text,
		.body_len = text ? strlen(text) : 0,
	};
	int err = mcuctl_http_request(&rq, resp);
	free(text);
	if (err) {
		fprintf(stderr, "%s %s:%s: %s\n", T(c, "msg.connect"), c->host,
		        c->port, strerror(err));
		return EXIT_UNREACHABLE;
	}
	if (resp->status < 200 || resp->status > 299) {
		int rc = report_error(c, resp);
		mcuctl_http_resp_clear(resp);
		return rc;
	}
	return 0;
}

static int get_json(const struct ctl *c, const char *path, json_t **out)
{
	struct mcuctl_http_resp resp;
	json_error_t e;
	int rc = call(c, "GET", path, NULL, &resp);
	if (rc)
		return rc;
	*out = json_loadb(resp.body, resp.len, 0, &e);
	mcuctl_http_resp_clear(&resp);
	if (!*out) {
		fprintf(stderr, "mcuctl: the API answered no JSON: %s\n",
		        e.text);
		return EXIT_REFUSED;
	}
	return 0;
}

static void print_json(const json_t *j)
{
	char *s = json_dumps(j, JSON_INDENT(2));
	if (s)
		printf("%s\n", s);
	free(s);
}

/* Path segments are ids: refuse what would change the path. */
static bool id_arg(const char *s)
{
	if (!s || !*s || strlen(s) > 128)
		return false;
	for (; *s; s++) {
		if (*s == '/' || *s == '?' || *s == '#' || *s == '%' ||
		    (unsigned char)*s <= ' ')
			return false;
	}
	return true;
}

/* ---- tables ---------------------------------------------------------- */

/* Display width of UTF-8 text: code points, combining marks excluded. */
static size_t width(const char *s)
{
	size_t w = 0;
	const unsigned char *p = (const unsigned char *)s;
	while (*p) {
		unsigned cp = *p;
		int n = 1;
		if (cp >= 0xf0) {
			cp &= 0x07;
			n = 4;
		} else if (cp >= 0xe0) {
			cp &= 0x0f;
			n = 3;
		} else if (cp >= 0xc0) {
			cp &= 0x1f;
			n = 2;
		}
		for (int i = 1; i < n && p[i]; i++)
			cp = (cp << 6) | (p[i] & 0x3f);
		if (!(cp >= 0x300 && cp <= 0x36f))
			w++;
		for (int i = 0; i < n && *p; i++)
			p++;
	}
	return w;
}

/* Copy at most `cols` display columns of s (an ellipsis when cut). */
static void clip(char *out, size_t outlen, const char *s, size_t cols)
{
	size_t w = 0, o = 0;
	const unsigned char *p = (const unsigned char *)s;
	if (width(s) <= cols) {
		snprintf(out, outlen, "%s", s);
		return;
	}
	while (*p && o + 8 < outlen) {
		int n = *p >= 0xf0 ? 4 : *p >= 0xe0 ? 3 : *p >= 0xc0 ? 2 : 1;
		bool mark = n == 2 && (p[0] == 0xcc || (p[0] == 0xcd &&
		                                        p[1] < 0xb0));
		if (!mark && w + 1 >= cols)
			break;
		for (int i = 0; i < n && *p; i++)
			out[o++] = (char)*p++;
		w += !mark;
	}
	memcpy(out + o, "\xe2\x80\xa6", 3); /* … */
	out[o + 3] = '\0';
}

struct table {
	size_t ncols, nrows, cap;
	char **cells; /* nrows * ncols, row 0 = headings */
};

static void table_row(struct table *t, const char *const *v)
{
	if (t->nrows == t->cap) {
		t->cap = t->cap ? t->cap * 2 : 16;
		t->cells = realloc(t->cells, t->cap * t->ncols * sizeof(char *));
		if (!t->cells)
			exit(EXIT_FAILURE);
	}
	for (size_t i = 0; i < t->ncols; i++) {
		char buf[4 * COL_MAX + 8];
		clip(buf, sizeof(buf), v[i] ? v[i] : "", COL_MAX);
		t->cells[t->nrows * t->ncols + i] = strdup(buf);
	}
	t->nrows++;
}

static void table_print(struct table *t)
{
	size_t w[16] = {0};
	for (size_t r = 0; r < t->nrows; r++)
		for (size_t i = 0; i < t->ncols && i < 16; i++) {
			size_t x = width(t->cells[r * t->ncols + i]);
			if (x > w[i])
				w[i] = x;
		}
	for (size_t r = 0; r < t->nrows; r++) {
		for (size_t i = 0; i < t->ncols; i++) {
			const char *s = t->cells[r * t->ncols + i];
			bool last = i + 1 == t->ncols;
			fputs(s, stdout);
			if (!last)
				for (size_t k = width(s); k < w[i] + 2; k++)
					putchar(' ');
		}
		putchar('\n');
		if (r == 0) {
			for (size_t i = 0; i < t->ncols; i++) {
				for (size_t k = 0; k < w[i]; k++)
					putchar('-');
				if (i + 1 < t->ncols)
					fputs("  ", stdout);
			}
			putchar('\n');
		}
	}
	for (size_t k = 0; k < t->nrows * t->ncols; k++)
		free(t->cells[k]);
	free(t->cells);
	t->cells = NULL;
	t->nrows = t->cap = 0;
}

static const char *js(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));
	return s ? s : "";
}

/* "2026-12-07T08:00:00+07:00" → "2026-12-07 08:00" */
static const char *short_time(const char *iso, char *buf, size_t n)
{
	if (strlen(iso) >= 16 && iso[10] == 'T') {
		snprintf(buf, n, "%.10s %.5s", iso, iso + 11);
		return buf;
	}
	return iso;
}

static const char *num(const json_t *v, int decimals, char *buf, size_t n)
{
	if (json_is_integer(v))
		snprintf(buf, n, "%lld", (long long)json_integer_value(v));
	else if (json_is_real(v))
		snprintf(buf, n, "%.*f", decimals, json_real_value(v));
	else
		snprintf(buf, n, "-");
	return buf;
}

/* ---- reads ------------------------------------------------------------- */

static int cmd_health(struct ctl *c)
{
	json_t *j;
	int rc = get_json(c, "/api/v1/health", &j);
	const char *key;
	json_t *v;
	if (rc)
		return rc;
	if (c->json) {
		print_json(j);
	} else {
		long long up = json_integer_value(json_object_get(j,
		                                                  "uptime_s"));
		printf("%s: %s\n%s: %s\n%s: %lldh%02lldm%02llds\n",
		       T(c, "k.status"), js(j, "status"), T(c, "k.version"),
		       js(j, "version"), T(c, "k.uptime"), up / 3600,
		       up / 60 % 60, up % 60);
		json_object_foreach(j, key, v) {
			if (!strcmp(key, "status") || !strcmp(key, "version") ||
			    !strcmp(key, "uptime_s"))
				continue;
			if (json_is_string(v))
				printf("%s: %s\n", key, json_string_value(v));
			else if (json_is_integer(v))
				printf("%s: %lld\n", key,
				       (long long)json_integer_value(v));
		}
	}
	json_decref(j);
	return 0;
}

static int cmd_endpoints(struct ctl *c)
{
	struct table t = {.ncols = 5};
	json_t *j, *e;
	size_t i;
	int rc = get_json(c, "/api/v1/endpoints", &j);
	if (rc)
		return rc;
	if (c->json) {
		print_json(j);
		json_decref(j);
		return 0;
	}
	const char *h[] = {T(c, "h.id"), T(c, "h.name"), T(c, "h.tier"),
	                   T(c, "h.parent"), T(c, "h.signalling")};
	table_row(&t, h);
	json_array_foreach(j, i, e) {
		const char *row[] = {js(e, "id"), js(e, "name"),
		                     TV(c, "tier", js(e, "tier")),
		                     js(e, "parent"), js(e, "signalling")};
		table_row(&t, row);
	}
	table_print(&t);
	json_decref(j);
	return 0;
}

static int cmd_meetings(struct ctl *c)
{
	struct table t = {.ncols = 7};
	json_t *j, *m;
	size_t i;
	int rc = get_json(c, "/api/v1/meetings", &j);
	if (rc)
		return rc;
	if (c->json) {
		print_json(j);
		json_decref(j);
		return 0;
	}
	const char *h[] = {T(c, "h.id"),    T(c, "h.title"),
	                   T(c, "h.state"), T(c, "h.host"),
	                   T(c, "h.start"), T(c, "h.end"),
	                   T(c, "h.endpoints")};
	table_row(&t, h);
	json_array_foreach(j, i, m) {
		char s[32], e[32], p[32];
		json_t *pp = json_object_get(m, "participants");
		snprintf(p, sizeof(p), "%lld/%lld",
		         (long long)json_integer_value(
				 json_object_get(pp, "connected")),
		         (long long)json_integer_value(
				 json_object_get(pp, "planned")));
		const char *row[] = {
			js(m, "id"), js(m, "title"),
			TV(c, "state", js(m, "state")), js(m, "host"),
			short_time(js(m, "start"), s, sizeof(s)),
			short_time(js(m, "end"), e, sizeof(e)), p};
		table_row(&t, row);
	}
	table_print(&t);
	json_decref(j);
	return 0;
}

static void participants_table(struct ctl *c, const json_t *arr, bool stats)
{
	struct table t = {.ncols = stats ? 10 : 7};
	const json_t *p;
	size_t i;
	const char *h[] = {T(c, "h.endpoint"), T(c, "h.name"),
	                   T(c, "h.role"),     T(c, "h.state"),
	                   T(c, "h.floor"),    T(c, "h.rtt"),
	                   T(c, "h.loss"),     T(c, "h.jitter"),
	                   T(c, "h.fps"),      T(c, "h.kbps")};
	const char *h2[] = {T(c, "h.endpoint"), T(c, "h.name"),
	                    T(c, "h.role"),     T(c, "h.state"),
	                    T(c, "h.floor"),    T(c, "h.muted"),
	                    T(c, "h.level")};
	table_row(&t, stats ? h : h2);
	json_array_foreach(arr, i, p) {
		char rtt[24], loss[48], jit[24], fps[24], kbps[24], lvl[24];
		json_t *a = json_object_get(p, "audio");
		json_t *v = json_object_get(p, "video");
		json_t *ai = json_object_get(a, "in");
		json_t *vi = json_object_get(v, "in");
		long long lost =
			json_integer_value(json_object_get(ai, "lost")) +
			json_integer_value(json_object_get(vi, "lost"));
		long long pk =
			json_integer_value(json_object_get(ai, "packets")) +
			json_integer_value(json_object_get(vi, "packets"));
		double jv = json_number_value(json_object_get(vi, "jitter_ms"));
		double ja = json_number_value(json_object_get(ai, "jitter_ms"));
		const char *muted = "-";

		num(json_object_get(p, "rtt_ms"), 1, rtt, sizeof(rtt));
		if (pk + lost > 0)
			snprintf(loss, sizeof(loss), "%lld (%.1f%%)", lost,
			         100.0 * (double)lost / (double)(pk + lost));
		else
			snprintf(loss, sizeof(loss), "-");
		if (ai || vi)
			snprintf(jit, sizeof(jit), "%.1f", jv > ja ? jv : ja);
		else
			snprintf(jit, sizeof(jit), "-");
		num(json_object_get(vi, "fps"), 1, fps, sizeof(fps));
		num(json_object_get(vi, "bitrate_kbps"), 0, kbps,
		    sizeof(kbps));
		num(json_object_get(a, "level_dbov"), 1, lvl, sizeof(lvl));
		if (json_is_boolean(json_object_get(a, "muted")))
			muted = T(c, json_is_true(json_object_get(a, "muted"))
			                     ? "yes"
			                     : "no");
		if (stats) {
			const char *row[] = {
				js(p, "endpoint"), js(p, "name"),
				TV(c, "role", js(p, "role")),
				TV(c, "pstate", js(p, "state")),
				TV(c, "floor", js(p, "floor")), rtt, loss, jit,
				fps, kbps};
			table_row(&t, row);
		} else {
			const char *row[] = {
				js(p, "endpoint"), js(p, "name"),
				TV(c, "role", js(p, "role")),
				TV(c, "pstate", js(p, "state")),
				TV(c, "floor", js(p, "floor")), muted, lvl};
			table_row(&t, row);
		}
	}
	table_print(&t);
}

static int meeting_path(char *buf, size_t n, const char *id, const char *rest)
{
	if (!id_arg(id)) {
		fprintf(stderr, "mcuctl: bad meeting id\n");
		return EXIT_USAGE;
	}
	snprintf(buf, n, "/api/v1/meetings/%s%s", id, rest);
	return 0;
}

/* The roster's times and the operators' changes, when they differ from
   the effective start/end shown above. */
static void print_changes(const struct ctl *c, const json_t *m)
{
	bool en = c->lang == MCUCTL_EN;
	char s[32], e[32];
	long long ext = json_integer_value(json_object_get(m,
	                                                   "extend_minutes"));
	const char *ps = js(m, "planned_start"), *pe = js(m, "planned_end");
	if (!*ps || !*pe ||
	    (!strcmp(ps, js(m, "start")) && !strcmp(pe, js(m, "end"))))
		return;
	printf("%s: %s - %s", en ? "Planned" : "Theo lịch",
	       short_time(ps, s, sizeof(s)), short_time(pe, e, sizeof(e)));
	if (json_is_true(json_object_get(m, "started_early")))
		printf("; %s", en ? "started early" : "bắt đầu sớm");
	if (ext > 0)
		printf("; %s %lld %s", en ? "extended by" : "kéo dài thêm", ext,
		       en ? "min" : "phút");
	if (json_is_true(json_object_get(m, "stopped_by_operator")))
		printf("; %s", en ? "stopped by an operator"
		                  : "kết thúc bởi điều hành viên");
	putchar('\n');
}

/* "Pins: host 2=ubnd-a; branches 1=ubnd-b", when there are any. */
static void print_pins(const struct ctl *c, const json_t *pins)
{
	static const char *const roles[] = {"host", "branches"};
	bool any = false;
	for (int r = 0; r < 2; r++) {
		const json_t *arr = json_object_get(pins, roles[r]), *p;
		size_t i;
		if (!json_array_size(arr))
			continue;
		printf("%s %s:", any ? ";" : T(c, "k.pins"), roles[r]);
		json_array_foreach(arr, i, p) {
			printf(" %lld=%s",
			       (long long)json_integer_value(
			           json_object_get(p, "tile")),
			       js(p, "endpoint"));
		}
		any = true;
	}
	if (any)
		putchar('\n');
}

static int cmd_show(struct ctl *c)
{
	char path[256], s[32], e[32];
	json_t *m, *fl, *ly, *q, *x;
	size_t i;
	int rc = meeting_path(path, sizeof(path), c->pos[1], "");
	if (rc || (rc = get_json(c, path, &m)))
		return rc;
	if (c->json) {
		print_json(m);
		json_decref(m);
		return 0;
	}
	fl = json_object_get(m, "floor");
	ly = json_object_get(m, "layout");
	printf("%s: %s\n%s: %s\n%s: %s\n%s: %s\n", T(c, "h.meeting"),
	       js(m, "id"), T(c, "h.title"), js(m, "title"), T(c, "h.state"),
	       TV(c, "state", js(m, "state")), T(c, "h.host"), js(m, "host"));
	printf("%s: %s  %s: %s\n", T(c, "h.start"),
	       short_time(js(m, "start"), s, sizeof(s)), T(c, "h.end"),
	       short_time(js(m, "end"), e, sizeof(e)));
	print_changes(c, m);
	x = json_object_get(m, "test_run");
	if (json_is_object(x))
		printf("%s: %s - %s\n", T(c, "k.test_run"),
		       short_time(js(x, "start"), s, sizeof(s)),
		       short_time(js(x, "end"), e, sizeof(e)));
	printf("%s: %s\n%s: %s\n", T(c, "k.floor_mode"),
	       TV(c, "floor", js(fl, "mode")), T(c, "k.floor_holder"),
	       json_is_string(json_object_get(fl, "holder"))
	               ? js(fl, "holder")
	               : T(c, "none"));
	q = json_object_get(fl, "queue");
	printf("%s:", T(c, "k.floor_queue"));
	if (!json_array_size(q))
		printf(" %s", T(c, "none"));
	json_array_foreach(q, i, x) {
		printf(" %s", json_is_string(x) ? json_string_value(x)
		                                : js(x, "endpoint"));
	}
	printf("\n%s: %s\n%s: %s\n", T(c, "k.layout_host"), js(ly, "host"),
	       T(c, "k.layout_branches"), js(ly, "branches"));
	print_pins(c, json_object_get(m, "pins"));
	printf("%s: %lld  %s: %lld\n", T(c, "k.encoders"),
	       (long long)json_integer_value(json_object_get(m, "encoders")),
	       T(c, "k.decoders"),
	       (long long)json_integer_value(json_object_get(m, "decoders")));
	x = json_object_get(m, "content_playing"); /* null, or the file */
	if (json_is_object(x) && json_is_string(json_object_get(x, "file"))) {
		printf("%s: %s  %.1f", T(c, "k.content"), js(x, "file"),
		       json_number_value(json_object_get(x, "playing_s")));
		if (json_number_value(json_object_get(x, "duration_s")) > 0)
			printf(" / %.1f", json_number_value(json_object_get(
			                      x, "duration_s")));
		printf(" s%s%s\n",
		       json_is_true(json_object_get(x, "ended")) ? "  " : "",
		       json_is_true(json_object_get(x, "ended"))
		           ? T(c, "content.ended")
		           : "");
	} else {
		printf("%s: %s\n", T(c, "k.content"), T(c, "none"));
	}
	x = json_object_get(m, "recording"); /* false, or the room's */
	if (json_is_object(x) && json_is_string(json_object_get(x, "file")))
		printf("%s: %s  %s  %.1f s  %lld B%s%s\n\n",
		       T(c, "k.recording"),
		       T(c, json_is_true(json_object_get(x, "on")) ? "yes"
		                                                  : "no"),
		       js(x, "file"),
		       json_number_value(json_object_get(x, "seconds")),
		       (long long)json_integer_value(json_object_get(x, "bytes")),
		       json_is_string(json_object_get(x, "error")) ? "  " : "",
		       json_is_string(json_object_get(x, "error"))
		               ? js(x, "error")
		               : "");
	else
		printf("%s: %s\n\n", T(c, "k.recording"),
		       T(c, json_is_true(x) ? "yes" : "no"));
	participants_table(c, json_object_get(m, "participants"), false);
	json_decref(m);
	return 0;
}

static int cmd_participants(struct ctl *c)
{
	char path[256];
	json_t *j;
	int rc = meeting_path(path, sizeof(path), c->pos[1], "/participants");
	if (rc || (rc = get_json(c, path, &j)))
		return rc;
	if (c->json)
		print_json(j);
	else
		participants_table(c, j, true);
	json_decref(j);
	return 0;
}

/* "2026-12-07T01:12:03Z" in local time ("2026-12-07 08:12:03"), or as is. */
static const char *local_stamp(const char *iso, char *buf, size_t n)
{
	struct tm tm = {0};
	const char *end = strptime(iso, "%Y-%m-%dT%H:%M:%SZ", &tm);
	time_t t;
	if (!end || *end || (t = timegm(&tm)) == (time_t)-1 ||
	    !localtime_r(&t, &tm) ||
	    !strftime(buf, n, "%Y-%m-%d %H:%M:%S", &tm))
		return iso;
	return buf;
}

/* The open incidents (GET /api/v1/incidents): a table, or --json. */
static int cmd_incidents(struct ctl *c)
{
	struct table t = {.ncols = 7};
	json_t *j, *x;
	size_t i;
	int rc = get_json(c, "/api/v1/incidents", &j);
	if (rc)
		return rc;
	if (c->json || !json_array_size(j)) {
		if (c->json)
			print_json(j);
		else
			puts(T(c, "msg.no_incidents"));
		json_decref(j);
		return 0;
	}
	const char *h[] = {T(c, "h.meeting"),  T(c, "h.endpoint"),
	                   T(c, "h.incident"), T(c, "h.since"),
	                   T(c, "h.detail"),   T(c, "h.technician"),
	                   T(c, "h.phone")};
	table_row(&t, h);
	json_array_foreach(j, i, x)
	{
		char since[32];
		const json_t *tech = json_object_get(x, "technician");
		const char *row[] = {
		    js(x, "meeting"),
		    js(x, "endpoint"),
		    TV(c, "kind", js(x, "kind")),
		    local_stamp(js(x, "since"), since, sizeof(since)),
		    js(x, "detail"),
		    json_is_object(tech) ? js(tech, "name") : "-",
		    json_is_object(tech) ? js(tech, "phone") : "-"};
		table_row(&t, row);
	}
	table_print(&t);
	json_decref(j);
	return 0;
}

/* The test-run readiness report: a table, --json, or --format csv. */
static int cmd_readiness(struct ctl *c)
{
	bool en = c->lang == MCUCTL_EN;
	struct mcuctl_http_resp resp;
	struct table t = {.ncols = 9};
	char path[300];
	const json_t *p;
	json_t *j;
	size_t i;
	int rc = meeting_path(path, sizeof(path), c->pos[1], "/readiness");

	if (rc)
		return rc;
	if (c->format && strcmp(c->format, "csv") && strcmp(c->format, "json")) {
		fprintf(stderr, "mcuctl: readiness ID [--format csv|json]\n");
		return EXIT_USAGE;
	}
	if (c->format && !strcmp(c->format, "csv")) {
		strncat(path, en ? "?format=csv&lang=en" : "?format=csv",
		        sizeof(path) - strlen(path) - 1);
		if ((rc = call(c, "GET", path, NULL, &resp)))
			return rc;
		fwrite(resp.body, 1, resp.len, stdout);
		mcuctl_http_resp_clear(&resp);
		return 0;
	}
	if ((rc = get_json(c, path, &j)))
		return rc;
	if (c->json || (c->format && !strcmp(c->format, "json"))) {
		print_json(j);
		json_decref(j);
		return 0;
	}
	printf("%s %s, %s %s%s: %lld %s, %lld %s\n",
	       en ? "Test run of" : "Chạy thử", js(j, "meeting"),
	       en ? "on" : "ngày", js(j, "test_date"),
	       json_is_true(json_object_get(j, "final"))
	           ? (en ? " (final)" : " (đã kết thúc)")
	           : "",
	       (long long)json_integer_value(json_object_get(j, "ready")),
	       en ? "ready" : "sẵn sàng",
	       (long long)json_integer_value(json_object_get(j, "not_ready")),
	       en ? "not ready" : "chưa sẵn sàng");
	const char *h[] = {en ? "ENDPOINT" : "ĐIỂM CẦU",
	                   en ? "VERDICT" : "KẾT QUẢ",
	                   en ? "REASONS" : "LÝ DO",
	                   "FPS",
	                   en ? "LEVEL dBov" : "ÂM LƯỢNG dBov",
	                   en ? "LOSS %" : "MẤT GÓI %",
	                   "RTT ms",
	                   en ? "TECHNICIAN" : "KỸ THUẬT VIÊN",
	                   en ? "PHONE" : "ĐIỆN THOẠI"};
	table_row(&t, h);
	json_array_foreach(json_object_get(j, "endpoints"), i, p) {
		char why[128] = "", fps[24], lvl[24], loss[24], rtt[24];
		const json_t *r, *v = json_object_get(p, "video"),
		                 *a = json_object_get(p, "audio"),
		                 *tech = json_object_get(p, "technician");
		size_t k, len = 0;
		double vl = json_number_value(json_object_get(v, "loss_pct"));
		double al = json_number_value(json_object_get(a, "loss_pct"));
		json_array_foreach(json_object_get(p, "reasons"), k, r) {
			int w = snprintf(why + len, sizeof(why) - len, "%s%s",
			                 len ? "," : "", json_string_value(r));
			if (w < 0 || (size_t)w >= sizeof(why) - len)
				break;
			len += (size_t)w;
		}
		num(json_object_get(v, "fps"), 1, fps, sizeof(fps));
		num(json_object_get(a, "level_dbov"), 1, lvl, sizeof(lvl));
		num(json_object_get(p, "rtt_ms"), 1, rtt, sizeof(rtt));
		if (json_is_number(json_object_get(v, "loss_pct")) ||
		    json_is_number(json_object_get(a, "loss_pct")))
			snprintf(loss, sizeof(loss), "%.1f", vl > al ? vl : al);
		else
			snprintf(loss, sizeof(loss), "-");
		const char *verdict = js(p, "verdict");
		if (!en)
			verdict = !strcmp(verdict, "ready") ? "sẵn sàng"
			          : !strcmp(verdict, "not-ready")
			              ? "chưa sẵn sàng"
			              : "đang kiểm tra";
		const char *row[] = {js(p, "endpoint"), verdict,
		                     len ? why : "-",   fps,
		                     lvl,               loss,
		                     rtt,               js(tech, "name"),
		                     js(tech, "phone")};
		table_row(&t, row);
	}
	table_print(&t);
	json_decref(j);
	return 0;
}

static int cmd_stats(struct ctl *c)
{
	json_t *ms, *m, *all = json_object();
	size_t i, shown = 0;
	int rc = get_json(c, "/api/v1/meetings", &ms);
	if (rc) {
		json_decref(all);
		return rc;
	}
	json_array_foreach(ms, i, m) {
		char path[256];
		json_t *p;
		const char *st = js(m, "state");
		if (strcmp(st, "live") && strcmp(st, "test-run"))
			continue;
		if (meeting_path(path, sizeof(path), js(m, "id"),
		                 "/participants") ||
		    (rc = get_json(c, path, &p)))
			continue;
		if (c->json) {
			json_object_set_new(all, js(m, "id"), p);
			continue;
		}
		if (shown++)
			putchar('\n');
		printf("%s %s (%s): %s\n", T(c, "h.meeting"), js(m, "id"),
		       TV(c, "state", st), js(m, "title"));
		participants_table(c, p, true);
		json_decref(p);
	}
	if (c->json)
		print_json(all);
	else if (!shown)
		printf("%s\n", T(c, "msg.no_live"));
	json_decref(all);
	json_decref(ms);
	return rc;
}

/* ---- events ------------------------------------------------------------ */

static bool print_event(const char *event, const char *data, const char *id,
                        void *arg)
{
	struct ctl *c = arg;
	json_t *d = json_loads(data, 0, NULL);
	const char *key;
	json_t *v;
	(void)id;

	if (c->json) {
		if (json_is_object(d)) {
			json_object_set_new(d, "event", json_string(event));
			char *s = json_dumps(d, JSON_COMPACT);
			printf("%s\n", s ? s : data);
			free(s);
		} else {
			printf("%s\n", data);
		}
	} else {
		char stamp[16];
		time_t now = time(NULL);
		struct tm tm;
		localtime_r(&now, &tm);
		strftime(stamp, sizeof(stamp), "%H:%M:%S", &tm);
		printf("%s  %-10s", stamp, TV(c, "event", event));
		json_object_foreach(d, key, v) {
			if (!strcmp(key, "time"))
				continue;
			if (json_is_string(v))
				printf("  %s=%s", key, json_string_value(v));
			else {
				char *s = json_dumps(v, JSON_COMPACT |
				                                JSON_ENCODE_ANY);
				printf("  %s=%s", key, s ? s : "?");
				free(s);
			}
		}
		putchar('\n');
	}
	fflush(stdout);
	json_decref(d);
	return true;
}

static int cmd_events(struct ctl *c)
{
	struct mcuctl_http_resp resp;
	struct mcuctl_http_req rq = {
		.host = c->host,
		.port = c->port,
		.method = "GET",
		.path = "/api/v1/events",
		.token = c->token,
		.timeout_ms = 0, /* keep-alives every 15 s; wait forever */
	};
	int err;

	if (!c->json)
		fprintf(stderr, "%s\n", T(c, "msg.following"));
	err = mcuctl_http_events(&rq, &resp, print_event, c);
	if (err) {
		fprintf(stderr, "%s %s:%s: %s\n", T(c, "msg.connect"), c->host,
		        c->port, strerror(err));
		mcuctl_http_resp_clear(&resp);
		return EXIT_UNREACHABLE;
	}
	if (resp.status != 200) {
		int rc = report_error(c, &resp);
		mcuctl_http_resp_clear(&resp);
		return rc;
	}
	mcuctl_http_resp_clear(&resp);
	if (!c->json)
		fprintf(stderr, "%s\n", T(c, "msg.stream_end"));
	return 0;
}

/* ---- raw documents ------------------------------------------------------- */

static bool query_arg(const char *s)
{
	if (!s)
		return true;
	for (; *s; s++) {
		if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'z') ||
		      *s == '-'))
			return false;
	}
	return true;
}

static int cmd_document(struct ctl *c, const char *base, const char *deflt)
{
	struct mcuctl_http_resp resp;
	char path[256];
	const char *fmt = c->format ? c->format : c->json ? "json" : deflt;
	int n, rc;

	if (c->json && strcmp(fmt, "json")) {
		fprintf(stderr, "mcuctl: --json asks for JSON: drop --format "
		                "%s or --json\n", fmt);
		return EXIT_USAGE;
	}
	if (!query_arg(c->from) || !query_arg(c->to) || !query_arg(fmt)) {
		fprintf(stderr, "mcuctl: --from/--to YYYY-MM-DD, "
		                "--format csv|json\n");
		return EXIT_USAGE;
	}
	n = snprintf(path, sizeof(path), "%s?format=%s", base, fmt);
	if (c->from)
		n += snprintf(path + n, sizeof(path) - (size_t)n, "&from=%s",
		              c->from);
	if (c->to)
		snprintf(path + n, sizeof(path) - (size_t)n, "&to=%s", c->to);
	rc = call(c, "GET", path, NULL, &resp);
	if (rc)
		return rc;
	fwrite(resp.body, 1, resp.len, stdout);
	mcuctl_http_resp_clear(&resp);
	return 0;
}

static int cmd_view(struct ctl *c)
{
	struct mcuctl_http_resp resp;
	char path[256], rest[64];
	const char *role = c->pos[2];
	FILE *f;
	int rc;

	if (!role || (strcmp(role, "host") && strcmp(role, "branches")) ||
	    !c->out) {
		fprintf(stderr, "mcuctl: view ID host|branches -o FILE\n");
		return EXIT_USAGE;
	}
	snprintf(rest, sizeof(rest), "/views/%s.jpg", role);
	rc = meeting_path(path, sizeof(path), c->pos[1], rest);
	if (rc || (rc = call(c, "GET", path, NULL, &resp)))
		return rc;
	f = fopen(c->out, "wb");
	if (!f || fwrite(resp.body, 1, resp.len, f) != resp.len) {
		fprintf(stderr, "mcuctl: %s: %s\n", c->out, strerror(errno));
		if (f)
			fclose(f);
		mcuctl_http_resp_clear(&resp);
		return EXIT_REFUSED;
	}
	fclose(f);
	if (!c->json)
		printf("%s: %s (%zu bytes)\n", T(c, "msg.saved"), c->out,
		       resp.len);
	mcuctl_http_resp_clear(&resp);
	return 0;
}

/* ---- actions -------------------------------------------------------------- */

static int parse_onoff(const char *s, bool *out)
{
	if (s && (!strcmp(s, "on") || !strcmp(s, "true") || !strcmp(s, "1"))) {
		*out = true;
		return 0;
	}
	if (s && (!strcmp(s, "off") || !strcmp(s, "false") ||
	          !strcmp(s, "0"))) {
		*out = false;
		return 0;
	}
	return EINVAL;
}

/* POST `path` with `body` (stolen); prints the outcome. */
static int post(struct ctl *c, const char *path, json_t *body,
                const char *what)
{
	struct mcuctl_http_resp resp;
	json_t *j;
	int rc = call(c, "POST", path, body, &resp);
	json_decref(body);
	if (rc)
		return rc;
	j = json_loadb(resp.body, resp.len, 0, NULL);
	if (c->json) {
		if (j)
			print_json(j);
	} else {
		const char *url = js(j, "url");
		printf("%s: %s\n",
		       T(c, resp.status == 202 ? "msg.queued" : "msg.done"),
		       what);
		if (*url)
			printf("%s\n", url);
		if (resp.status == 201)
			printf("%s %s – %s\n", js(j, "id"), js(j, "start"),
			       js(j, "end"));
	}
	json_decref(j);
	mcuctl_http_resp_clear(&resp);
	return 0;
}

static int need(const struct ctl *c, size_t n, const char *synopsis)
{
	if (c->n_pos < n) {
		fprintf(stderr, "mcuctl: %s\n", synopsis);
		return EXIT_USAGE;
	}
	return 0;
}

static int cmd_action(struct ctl *c, const char *cmd)
{
	char path[512], rest[256], what[512], file[PATH_MAX];
	const char *id = c->pos[1], *ep = c->n_pos > 2 ? c->pos[2] : NULL;
	json_t *body = NULL;
	bool on;
	int rc;

	snprintf(what, sizeof(what), "%s %s", cmd, id);
	if (!strcmp(cmd, "start") || !strcmp(cmd, "stop")) {
		snprintf(rest, sizeof(rest), "/%s", cmd);
	} else if (!strcmp(cmd, "extend")) {
		char *end;
		long min;
		if ((rc = need(c, 3, "extend ID MINUTES")))
			return rc;
		errno = 0;
		min = strtol(ep, &end, 10);
		if (errno || *end || min < 1 || min > 1440) {
			fprintf(stderr, "mcuctl: MINUTES is 1..1440\n");
			return EXIT_USAGE;
		}
		snprintf(rest, sizeof(rest), "/extend");
		body = json_pack("{s:I}", "minutes", (json_int_t)min);
		snprintf(what, sizeof(what), "extend %s +%ld min", id, min);
	} else if (!strcmp(cmd, "floor")) {
		const char *act = ep, *who = c->n_pos > 3 ? c->pos[3] : NULL;
		if ((rc = need(c, 3, "floor ID request|grant|revoke [EP]")))
			return rc;
		if (strcmp(act, "request") && strcmp(act, "grant") &&
		    strcmp(act, "revoke")) {
			fprintf(stderr, "mcuctl: floor ID request|grant|revoke "
			                "[EP]\n");
			return EXIT_USAGE;
		}
		snprintf(rest, sizeof(rest), "/floor");
		body = who ? json_pack("{s:s,s:s}", "action", act, "endpoint",
		                       who)
		           : json_pack("{s:s}", "action", act);
		snprintf(what, sizeof(what), "floor %s %s %s", id, act,
		         who ? who : "");
	} else if (!strcmp(cmd, "mute") || !strcmp(cmd, "unmute") ||
	           !strcmp(cmd, "dial") || !strcmp(cmd, "hangup") ||
	           !strcmp(cmd, "link")) {
		if ((rc = need(c, 3, "COMMAND ID ENDPOINT")))
			return rc;
		if (!id_arg(ep)) {
			fprintf(stderr, "mcuctl: bad endpoint id\n");
			return EXIT_USAGE;
		}
		snprintf(rest, sizeof(rest), "/participants/%s/%s", ep,
		         !strcmp(cmd, "unmute") ? "mute" : cmd);
		snprintf(what, sizeof(what), "%s %s %s", cmd, id, ep);
		if (!strcmp(cmd, "unmute")) {
			body = json_pack("{s:b,s:b}", "audio", 0, "video", 0);
		} else if (!strcmp(cmd, "mute")) {
			body = json_object();
			if (!c->audio && !c->video)
				json_object_set_new(body, "audio", json_true());
			if (c->audio) {
				if (parse_onoff(c->audio, &on))
					goto onoff;
				json_object_set_new(body, "audio",
				                    json_boolean(on));
			}
			if (c->video) {
				if (parse_onoff(c->video, &on))
					goto onoff;
				json_object_set_new(body, "video",
				                    json_boolean(on));
			}
		}
	} else if (!strcmp(cmd, "layout")) {
		if ((rc = need(c, 4, "layout ID host|branches NAME")))
			return rc;
		snprintf(rest, sizeof(rest), "/layout");
		body = json_pack("{s:s,s:s}", "role", ep, "layout", c->pos[3]);
		snprintf(what, sizeof(what), "layout %s %s %s", id, ep,
		         c->pos[3]);
	} else if (!strcmp(cmd, "pin") || !strcmp(cmd, "unpin")) {
		bool pin = !strcmp(cmd, "pin");
		long tile = 0;
		if ((rc = need(c, pin ? 4 : 3, pin ? "pin ID EP [--role "
		               "host|branches] TILE" : "unpin ID EP [--role "
		               "host|branches]")))
			return rc;
		if (!id_arg(ep) || (c->role && strcmp(c->role, "host") &&
		                    strcmp(c->role, "branches"))) {
			fprintf(stderr, "mcuctl: bad endpoint id or --role\n");
			return EXIT_USAGE;
		}
		if (pin) {
			char *end;
			errno = 0;
			tile = strtol(c->pos[3], &end, 10);
			if (errno || *end || tile < 1 || tile > 25) {
				fprintf(stderr, "mcuctl: TILE is 1..25\n");
				return EXIT_USAGE;
			}
		}
		snprintf(rest, sizeof(rest), "/participants/%s/pin", ep);
		body = json_pack("{s:I}", "tile", (json_int_t)tile);
		if (c->role)
			json_object_set_new(body, "role", json_string(c->role));
		snprintf(what, sizeof(what), "%s %s %s %s%s", cmd, id, ep,
		         pin ? c->pos[3] : "", c->role ? c->role : "");
	} else if (!strcmp(cmd, "tour")) {
		if ((rc = need(c, 3, "tour ID next|prev")))
			return rc;
		if (strcmp(ep, "next") && strcmp(ep, "prev")) {
			fprintf(stderr, "mcuctl: tour ID next|prev\n");
			return EXIT_USAGE;
		}
		snprintf(rest, sizeof(rest), "/layout");
		body = json_pack("{s:s,s:s}", "role", "host", "tour", ep);
		snprintf(what, sizeof(what), "tour %s %s", id, ep);
	} else if (!strcmp(cmd, "record")) {
		if ((rc = need(c, 3, "record ID on|off")))
			return rc;
		if (parse_onoff(ep, &on))
			goto onoff;
		snprintf(rest, sizeof(rest), "/record");
		body = json_pack("{s:b}", "on", on);
	} else if (!strcmp(cmd, "content")) {
		if (!c->stop && (rc = need(c, 3, "content ID FILE|--stop")))
			return rc;
		snprintf(rest, sizeof(rest), "/content");
		/* A relative FILE is relative to the operator's directory,
		   not to mcud's (the API listens on this host's loopback). */
		if (!c->stop && ep[0] != '/' && getcwd(file, sizeof(file))) {
			size_t n = strlen(file), k = strlen(ep);
			if (n + 1 + k < sizeof(file)) {
				file[n] = '/';
				memcpy(file + n + 1, ep, k + 1);
				ep = file;
			}
		}
		body = c->stop ? json_pack("{s:b}", "stop", 1)
		               : json_pack("{s:s}", "file", ep);
		snprintf(what, sizeof(what), "content %s %s", id,
		         c->stop ? "--stop" : c->pos[2]);
	} else {
		return -1;
	}
	rc = meeting_path(path, sizeof(path), id, rest);
	if (rc) {
		json_decref(body);
		return rc;
	}
	return post(c, path, body, what);
onoff:
	json_decref(body);
	fprintf(stderr, "mcuctl: on|off expected\n");
	return EXIT_USAGE;
}

/* create HOST BRANCH[,BRANCH...]: an ad-hoc meeting from now. */
static int cmd_create(struct ctl *c)
{
	char what[512];
	json_t *body, *branches;
	int rc;
	if ((rc = need(c, 3, "create HOST BRANCH[,BRANCH...] [--minutes N] "
	                     "[--title T] [--emergency] [--id ID] "
	                     "[--floor open|chaired|lecture]")))
		return rc;
	branches = json_array();
	char *list = strdup(c->pos[2]), *save = NULL;
	for (char *t = list ? strtok_r(list, ",", &save) : NULL; t;
	     t = strtok_r(NULL, ",", &save))
		json_array_append_new(branches, json_string(t));
	free(list);
	body = json_pack("{s:s, s:o}", "host", c->pos[1], "branches",
	                 branches);
	if (c->minutes) {
		char *end;
		long min = strtol(c->minutes, &end, 10);
		if (*end || min < 1 || min > 1440) {
			json_decref(body);
			fprintf(stderr, "mcuctl: --minutes is 1..1440\n");
			return EXIT_USAGE;
		}
		json_object_set_new(body, "minutes", json_integer(min));
	}
	if (c->title)
		json_object_set_new(body, "title", json_string(c->title));
	if (c->id)
		json_object_set_new(body, "id", json_string(c->id));
	if (c->floor)
		json_object_set_new(body, "floor", json_string(c->floor));
	if (c->emergency)
		json_object_set_new(body, "emergency", json_true());
	snprintf(what, sizeof(what), "create %s %s", c->pos[1], c->pos[2]);
	return post(c, "/api/v1/meetings", body, what);
}

static int run(struct ctl *c)
{
	const char *cmd = c->pos[0];
	static const char *const with_id[] = {
		"show", "participants", "start", "stop", "extend", "floor",
		"mute", "unmute", "dial", "hangup", "link", "layout", "record",
		"content", "view", "pin", "unpin", "tour", "readiness",
	};
	int rc;

	for (size_t i = 0; i < sizeof(with_id) / sizeof(with_id[0]); i++) {
		if (!strcmp(cmd, with_id[i]) && c->n_pos < 2) {
			fprintf(stderr, "mcuctl: %s ID ...\n", cmd);
			return EXIT_USAGE;
		}
	}
	if (!strcmp(cmd, "health"))
		return cmd_health(c);
	if (!strcmp(cmd, "endpoints"))
		return cmd_endpoints(c);
	if (!strcmp(cmd, "meetings"))
		return cmd_meetings(c);
	if (!strcmp(cmd, "show"))
		return cmd_show(c);
	if (!strcmp(cmd, "participants"))
		return cmd_participants(c);
	if (!strcmp(cmd, "stats"))
		return cmd_stats(c);
	if (!strcmp(cmd, "readiness"))
		return cmd_readiness(c);
	if (!strcmp(cmd, "incidents"))
		return cmd_incidents(c);
	if (!strcmp(cmd, "events"))
		return cmd_events(c);
	if (!strcmp(cmd, "logbook"))
		return cmd_document(c, "/api/v1/logbook", "json");
	if (!strcmp(cmd, "contacts"))
		return cmd_document(c, "/api/v1/contacts", "csv");
	if (!strcmp(cmd, "view"))
		return cmd_view(c);
	if (!strcmp(cmd, "reload"))
		return post(c, "/api/v1/reload", NULL, "reload");
	if (!strcmp(cmd, "create"))
		return cmd_create(c);
	rc = cmd_action(c, cmd);
	if (rc >= 0)
		return rc;
	fprintf(stderr, "mcuctl: unknown command %s\n", cmd);
	usage(stderr);
	return EXIT_USAGE;
}

int main(int argc, char **argv)
{
	struct ctl c = {0};
	int rc;

	signal(SIGPIPE, SIG_IGN);
	rc = parse_args(&c, argc, argv);
	if (!rc && c.n_pos == 0) {
		usage(stderr);
		rc = EXIT_USAGE;
	}
	if (!rc)
		rc = run(&c);
	if (c.token) {
		explicit_bzero(c.token, strlen(c.token));
		free(c.token);
	}
	return rc;
}
