/*
 * The registers are plain tables: each has one column table below that
 * gives a column its JSON key and its Vietnamese and English heading, so
 * the CSV and JSON of a register cannot drift apart. CSV is built in a
 * growing buffer (an out-of-memory flag is checked once at the end), JSON
 * with jansson.
 *
 * Numbers in CSV use a decimal point ("66.7"), whatever the language: a
 * spreadsheet set to Vietnamese number format may need "Text to columns";
 * JSON carries the same numbers as numbers.
 */
#define MCU_LOG_MODULE "registers"
#include "mcu/registers.h"
#include "conf/log.h"

#include <errno.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define CT_CSV  "text/csv; charset=utf-8"
#define CT_JSON "application/json; charset=utf-8"
#define BOM     "\xef\xbb\xbf"

struct col {
	const char *key; /* JSON */
	const char *vi, *en;
};

static const char *heading(const struct col *c, enum mcu_lang lang)
{
	return lang == MCU_LANG_EN ? c->en : c->vi;
}

static const char *tr(enum mcu_lang lang, const char *vi, const char *en)
{
	return lang == MCU_LANG_EN ? en : vi;
}

static const char *tier_label(int tier, enum mcu_lang lang)
{
	static const char *const vi[] = {"Thành phố", "Quận/huyện",
	                                 "Xã/phường/thị trấn", "Mở rộng"};
	static const char *const en[] = {"City", "District", "Commune",
	                                 "Extended"};
	if (tier < 0 || tier >= MCU_TIER_COUNT)
		return tr(lang, "Không rõ", "Unknown");
	return lang == MCU_LANG_EN ? en[tier] : vi[tier];
}

static const char *tier_key(int tier)
{
	if (tier < 0 || tier >= MCU_TIER_COUNT)
		return NULL;
	return mcu_conf_tier_name((enum mcu_tier)tier);
}

void mcu_registers_doc_clear(struct mcu_registers_doc *doc)
{
	if (!doc)
		return;
	free(doc->data);
	memset(doc, 0, sizeof(*doc));
}

/* ---------------------------------------------------------------- CSV */

struct csv {
	char *p;
	size_t len, cap;
	bool oom;
	bool in_row;
};

static void csv_add(struct csv *c, const char *s, size_t n)
{
	if (c->oom)
		return;
	if (c->len + n + 1 > c->cap) {
		size_t cap = c->cap ? c->cap : 4096;
		while (cap < c->len + n + 1)
			cap *= 2;
		char *p = realloc(c->p, cap);
		if (!p) {
			c->oom = true;
			return;
		}
		c->p = p;
		c->cap = cap;
	}
	memcpy(c->p + c->len, s, n);
	c->len += n;
	c->p[c->len] = '\0';
}

/* One field; quoted when it holds a comma, a quote or a line break. */
static void csv_cell(struct csv *c, const char *s)
{
	if (c->in_row)
		csv_add(c, ",", 1);
	c->in_row = true;
	if (!s)
		return;
	if (!strpbrk(s, ",\"\r\n")) {
		csv_add(c, s, strlen(s));
		return;
	}
	csv_add(c, "\"", 1);
	for (const char *q; (q = strchr(s, '"')) != NULL; s = q + 1) {
		csv_add(c, s, (size_t)(q - s));
		csv_add(c, "\"\"", 2);
	}
	csv_add(c, s, strlen(s));
	csv_add(c, "\"", 1);
}

static void csv_cellf(struct csv *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void csv_cellf(struct csv *c, const char *fmt, ...)
{
	char buf[64];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	csv_cell(c, buf);
}

static void csv_end_row(struct csv *c)
{
	csv_add(c, "\r\n", 2);
	c->in_row = false;
}

static void csv_headings(struct csv *c, const struct col *cols, size_t n,
                         enum mcu_lang lang)
{
	for (size_t i = 0; i < n; i++)
		csv_cell(c, heading(&cols[i], lang));
	csv_end_row(c);
}

static void csv_begin(struct csv *c, unsigned flags)
{
	memset(c, 0, sizeof(*c));
	csv_add(c, "", 0); /* an empty document is "" rather than NULL */
	if (flags & MCU_REGISTERS_BOM)
		csv_add(c, BOM, 3);
}

static int csv_finish(struct csv *c, struct mcu_registers_doc *out)
{
	if (c->oom) {
		free(c->p);
		return ENOMEM;
	}
	out->data = c->p;
	out->len = c->len;
	out->content_type = CT_CSV;
	return 0;
}

/* --------------------------------------------------------------- JSON */

static json_t *jstr(const char *s)
{
	json_t *j;
	if (!s)
		return json_null();
	j = json_string(s);
	/* not UTF-8 (a tampered database): say so rather than fail */
	return j ? j : json_string("\xef\xbf\xbd");
}

static int json_finish(json_t *root, struct mcu_registers_doc *out)
{
	char *s;
	if (!root)
		return ENOMEM;
	s = json_dumps(root, JSON_INDENT(2));
	json_decref(root);
	if (!s)
		return ENOMEM;
	out->data = s;
	out->len = strlen(s);
	out->content_type = CT_JSON;
	return 0;
}

/* ---------------------------------------------------------- times */

/* "2026-12-07 08:00" in local time; "" for 0. */
static void fmt_local(time_t t, char *buf, size_t len)
{
	struct tm tm;
	buf[0] = '\0';
	if (t && localtime_r(&t, &tm))
		strftime(buf, len, "%Y-%m-%d %H:%M", &tm);
}

/* ISO 8601 with the local offset, "2026-12-07T08:00:00+07:00". */
static json_t *jtime(time_t t)
{
	struct tm tm;
	char buf[40];
	size_t n;
	if (!t || !localtime_r(&t, &tm))
		return json_null();
	n = strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S%z", &tm);
	if (n < 5)
		return json_null();
	/* +0700 -> +07:00 */
	memmove(buf + n - 1, buf + n - 2, 3);
	buf[n - 2] = ':';
	return json_string(buf);
}

static void fmt_date(time_t t, char *buf, size_t len)
{
	struct tm tm;
	buf[0] = '\0';
	if (localtime_r(&t, &tm))
		strftime(buf, len, "%Y-%m-%d", &tm);
}

/* ------------------------------------------------ per-meeting figures */

static bool is_host(const struct mcu_logbook_record *r, const char *ep)
{
	return r->host && !strcmp(r->host, ep);
}

static bool joined(const struct mcu_logbook_record *r, const char *ep)
{
	for (size_t i = 0; i < r->n_presence; i++) {
		if (!strcmp(r->presence[i].endpoint, ep))
			return true;
	}
	return false;
}

/* Presence index i is the first attendance of its endpoint. */
static bool first_presence(const struct mcu_logbook_record *r, size_t i)
{
	for (size_t j = 0; j < i; j++) {
		if (!strcmp(r->presence[j].endpoint, r->presence[i].endpoint))
			return false;
	}
	return true;
}

static size_t n_planned(const struct mcu_logbook_record *r)
{
	size_t n = 0;
	for (size_t i = 0; i < r->n_invitees; i++)
		n += r->invitees[i].role != MCU_LOGBOOK_HOST;
	return n;
}

/* Distinct endpoints other than the host that joined (invited or not). */
static size_t n_joined(const struct mcu_logbook_record *r)
{
	size_t n = 0;
	for (size_t i = 0; i < r->n_presence; i++)
		n += !is_host(r, r->presence[i].endpoint) &&
		     first_presence(r, i);
	return n;
}

static long duration_s(const struct mcu_logbook_record *r)
{
	if (!r->actual_start || !r->actual_end ||
	    r->actual_end < r->actual_start)
		return -1;
	return (long)(r->actual_end - r->actual_start);
}

static const char *state_label(const char *state, enum mcu_lang lang)
{
	if (!strcmp(state, "live"))
		return mcu_i18n(lang, "state.live");
	if (!strcmp(state, "ended"))
		return mcu_i18n(lang, "state.ended");
	if (!strcmp(state, "scheduled"))
		return mcu_i18n(lang, "state.scheduled");
	return state;
}

/* ------------------------------------------------ meeting register */

enum {
	M_ID,
	M_TITLE,
	M_HOST,
	M_HOST_NAME,
	M_PLANNED_START,
	M_PLANNED_END,
	M_ACTUAL_START,
	M_ACTUAL_END,
	M_DURATION,
	M_N_PLANNED,
	M_N_JOINED,
	M_PLANNED,
	M_JOINED,
	M_EMERGENCY,
	M_AD_HOC,
	M_RECORDING,
	M_INCIDENTS,
	M_STATE,
	M_COUNT
};

static const struct col meeting_cols[M_COUNT] = {
    {"meeting_id", "Mã cuộc họp", "Meeting ID"},
    {"title", "Nội dung cuộc họp", "Title"},
    {"host", "Mã điểm cầu chủ trì", "Host ID"},
    {"host_name", "Đơn vị chủ trì", "Host unit"},
    {"planned_start", "Bắt đầu theo kế hoạch", "Planned start"},
    {"planned_end", "Kết thúc theo kế hoạch", "Planned end"},
    {"actual_start", "Bắt đầu thực tế", "Actual start"},
    {"actual_end", "Kết thúc thực tế", "Actual end"},
    {"duration_minutes", "Thời lượng (phút)", "Duration (minutes)"},
    {"branches_planned", "Số điểm cầu nhánh theo kế hoạch", "Branches planned"},
    {"branches_joined", "Số điểm cầu nhánh tham dự", "Branches joined"},
    {"branches_planned_list", "Điểm cầu nhánh theo kế hoạch",
     "Planned branches"},
    {"branches_joined_list", "Điểm cầu nhánh đã tham dự", "Joined branches"},
    {"emergency", "Họp khẩn cấp", "Emergency"},
    {"ad_hoc", "Ngoài lịch", "Ad hoc"},
    {"recording", "Tệp ghi hình", "Recording file"},
    {"incidents", "Số sự cố", "Incidents"},
    {"state", "Trạng thái", "State"},
};

/* "a; b; c" of the planned (or joined) branches; malloc'd or NULL. */
static char *branch_list(const struct mcu_logbook_record *r, bool planned)
{
	struct csv c;
	bool any = false;
	memset(&c, 0, sizeof(c));
	csv_add(&c, "", 0);
	if (planned) {
		for (size_t i = 0; i < r->n_invitees; i++) {
			if (r->invitees[i].role == MCU_LOGBOOK_HOST)
				continue;
			if (any)
				csv_add(&c, "; ", 2);
			csv_add(&c, r->invitees[i].endpoint,
			        strlen(r->invitees[i].endpoint));
			any = true;
		}
	} else {
		for (size_t i = 0; i < r->n_presence; i++) {
			const char *ep = r->presence[i].endpoint;
			if (is_host(r, ep) || !first_presence(r, i))
				continue;
			if (any)
				csv_add(&c, "; ", 2);
			csv_add(&c, ep, strlen(ep));
			any = true;
		}
	}
	if (c.oom) {
		free(c.p);
		return NULL;
	}
	return c.p;
}

static void meeting_csv_row(struct csv *c, const struct mcu_logbook_record *r,
                            enum mcu_lang lang)
{
	char t[4][32];
	long d = duration_s(r);
	char *planned = branch_list(r, true), *joined_l = branch_list(r, false);
	if (!planned || !joined_l)
		c->oom = true;
	fmt_local(r->planned_start, t[0], sizeof(t[0]));
	fmt_local(r->planned_end, t[1], sizeof(t[1]));
	fmt_local(r->actual_start, t[2], sizeof(t[2]));
	fmt_local(r->actual_end, t[3], sizeof(t[3]));
	csv_cell(c, r->meeting_id);
	csv_cell(c, r->title);
	csv_cell(c, r->host);
	csv_cell(c, r->host_name);
	for (int i = 0; i < 4; i++)
		csv_cell(c, t[i]);
	if (d >= 0)
		csv_cellf(c, "%ld", (d + 30) / 60);
	else
		csv_cell(c, NULL);
	csv_cellf(c, "%zu", n_planned(r));
	csv_cellf(c, "%zu", n_joined(r));
	csv_cell(c, planned);
	csv_cell(c, joined_l);
	csv_cell(c, r->emergency ? tr(lang, "Có", "yes")
	                         : tr(lang, "Không", "no"));
	csv_cell(c,
	         r->ad_hoc ? tr(lang, "Có", "yes") : tr(lang, "Không", "no"));
	csv_cell(c, r->recording);
	csv_cellf(c, "%zu", r->n_incidents);
	csv_cell(c, state_label(r->state, lang));
	csv_end_row(c);
	free(planned);
	free(joined_l);
}

static json_t *presence_json(const struct mcu_logbook_record *r)
{
	json_t *a = json_array();
	for (size_t i = 0; a && i < r->n_presence; i++) {
		const struct mcu_logbook_presence *p = &r->presence[i];
		const char *name = NULL;
		for (size_t j = 0; j < r->n_invitees; j++) {
			if (!strcmp(r->invitees[j].endpoint, p->endpoint))
				name = r->invitees[j].name;
		}
		json_array_append_new(
		    a, json_pack("{s:o, s:o, s:s, s:o, s:o, s:o}", "endpoint",
		                 jstr(p->endpoint), "name", jstr(name), "role",
		                 mcu_logbook_role_name(p->role), "joined",
		                 jtime(p->joined), "left", jtime(p->left),
		                 "reason", jstr(p->reason)));
	}
	return a;
}

static json_t *incidents_json(const struct mcu_logbook_record *r)
{
	json_t *a = json_array();
	for (size_t i = 0; a && i < r->n_incidents; i++) {
		const struct mcu_logbook_incident *x = &r->incidents[i];
		json_array_append_new(
		    a, json_pack("{s:o, s:o, s:o, s:o, s:o}", "endpoint",
		                 jstr(x->endpoint), "kind", jstr(x->kind),
		                 "raised", jtime(x->raised), "cleared",
		                 jtime(x->cleared), "detail", jstr(x->detail)));
	}
	return a;
}

static json_t *tests_json(const struct mcu_logbook_record *r)
{
	json_t *a = json_array();
	for (size_t i = 0; a && i < r->n_tests; i++) {
		const struct mcu_logbook_test *x = &r->tests[i];
		json_array_append_new(
		    a, json_pack("{s:o, s:b, s:o, s:o}", "endpoint",
		                 jstr(x->endpoint), "ready", x->ready, "reason",
		                 jstr(x->reason), "checked", jtime(x->at)));
	}
	return a;
}

static json_t *list_json(const struct mcu_logbook_record *r, bool planned)
{
	json_t *a = json_array();
	if (planned) {
		for (size_t i = 0; a && i < r->n_invitees; i++) {
			if (r->invitees[i].role != MCU_LOGBOOK_HOST)
				json_array_append_new(
				    a, jstr(r->invitees[i].endpoint));
		}
	} else {
		for (size_t i = 0; a && i < r->n_presence; i++) {
			const char *ep = r->presence[i].endpoint;
			if (!is_host(r, ep) && first_presence(r, i))
				json_array_append_new(a, jstr(ep));
		}
	}
	return a;
}

static json_t *meeting_json(const struct mcu_logbook_record *r, bool detail)
{
	long d = duration_s(r);
	json_t *o = json_object();
	if (!o)
		return NULL;
	json_object_set_new(o, "meeting_id", jstr(r->meeting_id));
	json_object_set_new(o, "title", jstr(r->title));
	json_object_set_new(o, "host", jstr(r->host));
	json_object_set_new(o, "host_name", jstr(r->host_name));
	json_object_set_new(o, "host_tier", jstr(tier_key(r->host_tier)));
	json_object_set_new(o, "planned_start", jtime(r->planned_start));
	json_object_set_new(o, "planned_end", jtime(r->planned_end));
	json_object_set_new(o, "actual_start", jtime(r->actual_start));
	json_object_set_new(o, "actual_end", jtime(r->actual_end));
	json_object_set_new(o, "duration_minutes",
	                    d >= 0 ? json_integer((d + 30) / 60) : json_null());
	json_object_set_new(o, "branches_planned",
	                    json_pack("{s:I, s:o}", "count",
	                              (json_int_t)n_planned(r), "list",
	                              list_json(r, true)));
	json_object_set_new(o, "branches_joined",
	                    json_pack("{s:I, s:o}", "count",
	                              (json_int_t)n_joined(r), "list",
	                              list_json(r, false)));
	json_object_set_new(o, "emergency", json_boolean(r->emergency));
	json_object_set_new(o, "ad_hoc", json_boolean(r->ad_hoc));
	json_object_set_new(o, "recording", jstr(r->recording));
	json_object_set_new(o, "incidents",
	                    json_integer((json_int_t)r->n_incidents));
	json_object_set_new(o, "state", jstr(r->state));
	json_object_set_new(o, "participants", presence_json(r));
	if (detail) {
		json_object_set_new(o, "incident_list", incidents_json(r));
		json_object_set_new(o, "test_runs", tests_json(r));
	}
	return o;
}

int mcu_registers_meetings(const struct mcu_logbook_records *recs, time_t from,
                           time_t to, enum mcu_registers_format format,
                           enum mcu_lang lang, unsigned flags,
                           struct mcu_registers_doc *out)
{
	if (!recs || !out)
		return EINVAL;
	memset(out, 0, sizeof(*out));
	if (format == MCU_REGISTERS_CSV) {
		struct csv c;
		csv_begin(&c, flags);
		csv_headings(&c, meeting_cols, M_COUNT, lang);
		for (size_t i = 0; i < recs->n; i++)
			meeting_csv_row(&c, &recs->v[i], lang);
		return csv_finish(&c, out);
	}
	json_t *a = json_array();
	for (size_t i = 0; a && i < recs->n; i++)
		json_array_append_new(a, meeting_json(&recs->v[i], false));
	return json_finish(json_pack("{s:o, s:o, s:o}", "from", jtime(from),
	                             "to", jtime(to), "meetings", a),
	                   out);
}

int mcu_registers_meeting_detail(const struct mcu_logbook_records *recs,
                                 struct mcu_registers_doc *out)
{
	if (!recs || !out)
		return EINVAL;
	memset(out, 0, sizeof(*out));
	json_t *a = json_array();
	for (size_t i = 0; a && i < recs->n; i++)
		json_array_append_new(a, meeting_json(&recs->v[i], true));
	return json_finish(
	    json_pack("{s:o, s:o}", "meeting_id",
	              jstr(recs->n ? recs->v[0].meeting_id : NULL), "sessions",
	              a),
	    out);
}

/* ------------------------------------------- half-yearly register */

struct agg {
	const char *id; /* borrowed from the records */
	const char *name;
	int tier;
	size_t meetings, emergency; /* hosted */
	long long seconds;          /* hosted */
	size_t invited, attended, incidents;
};

/* Aggregates keyed by id: open addressing over indices into v. */
struct aggset {
	struct agg *v;
	size_t n, cap;
	size_t *slots; /* index + 1; 0 empty */
	size_t nslots; /* power of two */
	bool oom;
};

static uint32_t hash_str(const char *s)
{
	uint32_t h = 2166136261u;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h;
}

static bool aggset_rehash(struct aggset *s)
{
	size_t n = s->nslots ? s->nslots * 2 : 64;
	size_t *slots = calloc(n, sizeof(*slots));
	if (!slots)
		return false;
	for (size_t i = 0; i < s->n; i++) {
		size_t h = hash_str(s->v[i].id) & (n - 1);
		while (slots[h])
			h = (h + 1) & (n - 1);
		slots[h] = i + 1;
	}
	free(s->slots);
	s->slots = slots;
	s->nslots = n;
	return true;
}

static struct agg *agg_get(struct aggset *s, const char *id)
{
	size_t h;
	if (s->oom)
		return NULL;
	if ((s->n + 1) * 2 > s->nslots && !aggset_rehash(s)) {
		s->oom = true;
		return NULL;
	}
	for (h = hash_str(id) & (s->nslots - 1); s->slots[h];
	     h = (h + 1) & (s->nslots - 1)) {
		struct agg *a = &s->v[s->slots[h] - 1];
		if (!strcmp(a->id, id))
			return a;
	}
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 32;
		struct agg *v = realloc(s->v, cap * sizeof(*v));
		if (!v) {
			s->oom = true;
			return NULL;
		}
		s->v = v;
		s->cap = cap;
	}
	struct agg *a = &s->v[s->n];
	memset(a, 0, sizeof(*a));
	a->id = id;
	a->tier = -1;
	s->slots[h] = ++s->n;
	return a;
}

static void aggset_free(struct aggset *s)
{
	free(s->v);
	free(s->slots);
}

static int agg_cmp(const void *x, const void *y)
{
	const struct agg *a = x, *b = y;
	unsigned ta = (unsigned)a->tier, tb = (unsigned)b->tier; /* -1 last */
	if (ta != tb)
		return ta < tb ? -1 : 1;
	return strcmp(a->id, b->id);
}

struct halfyear {
	struct aggset hosts, eps;
	struct agg tiers[MCU_TIER_COUNT + 1]; /* last: unknown */
	struct agg total;
};

static struct agg *tier_agg(struct halfyear *hy, int tier)
{
	return &hy->tiers[tier >= 0 && tier < MCU_TIER_COUNT ? tier
	                                                     : MCU_TIER_COUNT];
}

static void name_tier(struct agg *a, const char *name, int tier)
{
	if (name)
		a->name = name;
	if (tier >= 0)
		a->tier = tier;
}

static int halfyear_build(const struct mcu_logbook_records *recs,
                          struct halfyear *hy)
{
	memset(hy, 0, sizeof(*hy));
	for (int t = 0; t <= MCU_TIER_COUNT; t++)
		hy->tiers[t].tier = t < MCU_TIER_COUNT ? t : -1;
	hy->total.tier = -1;
	for (size_t i = 0; i < recs->n; i++) {
		const struct mcu_logbook_record *r = &recs->v[i];
		long d = duration_s(r);
		struct agg *h, *t;
		if (!r->actual_start)
			continue; /* never held */
		h = agg_get(&hy->hosts, r->host ? r->host : "");
		if (!h)
			break;
		name_tier(h, r->host_name, r->host_tier);
		t = tier_agg(hy, r->host_tier);
		struct agg *sums[] = {h, t, &hy->total};
		for (size_t k = 0; k < 3; k++) {
			sums[k]->meetings++;
			sums[k]->seconds += d > 0 ? d : 0;
			sums[k]->emergency += r->emergency;
		}
		for (size_t j = 0; j < r->n_invitees; j++) {
			const struct mcu_logbook_invitee *v = &r->invitees[j];
			struct agg *e = agg_get(&hy->eps, v->endpoint);
			if (!e)
				break;
			name_tier(e, v->name, v->tier);
			e->invited++;
			e->attended += joined(r, v->endpoint);
		}
		for (size_t j = 0; j < r->n_incidents; j++) {
			const struct mcu_logbook_incident *x = &r->incidents[j];
			hy->total.incidents++;
			if (!x->endpoint)
				continue;
			struct agg *e = agg_get(&hy->eps, x->endpoint);
			if (e)
				e->incidents++;
		}
	}
	if (hy->hosts.oom || hy->eps.oom)
		return ENOMEM;
	/* attendance and incidents by the endpoint's (latest) tier */
	for (size_t i = 0; i < hy->eps.n; i++) {
		const struct agg *e = &hy->eps.v[i];
		struct agg *t = tier_agg(hy, e->tier);
		t->invited += e->invited;
		t->attended += e->attended;
		t->incidents += e->incidents;
		hy->total.invited += e->invited;
		hy->total.attended += e->attended;
	}
	if (hy->hosts.n)
		qsort(hy->hosts.v, hy->hosts.n, sizeof(struct agg), agg_cmp);
	if (hy->eps.n)
		qsort(hy->eps.v, hy->eps.n, sizeof(struct agg), agg_cmp);
	return 0;
}

/* hours with two decimals, from seconds, rounded */
static long long centi_hours(long long s)
{
	return (s * 100 + 1800) / 3600;
}

/* attendance in tenths of a percent, rounded; -1 when never invited */
static long long permille(size_t attended, size_t invited)
{
	if (!invited)
		return -1;
	return ((long long)attended * 1000 + (long long)invited / 2) /
	       (long long)invited;
}

static void csv_hours(struct csv *c, long long seconds)
{
	long long ch = centi_hours(seconds);
	csv_cellf(c, "%lld.%02lld", ch / 100, ch % 100);
}

static void csv_rate(struct csv *c, size_t attended, size_t invited)
{
	long long p = permille(attended, invited);
	if (p < 0)
		csv_cell(c, NULL);
	else
		csv_cellf(c, "%lld.%lld", p / 10, p % 10);
}

static const struct col host_cols[] = {
    {"host", "Mã đơn vị chủ trì", "Host ID"},
    {"host_name", "Đơn vị chủ trì", "Host unit"},
    {"tier", "Cấp", "Tier"},
    {"meetings", "Số cuộc họp", "Meetings"},
    {"hours", "Tổng số giờ", "Total hours"},
    {"emergency", "Họp khẩn cấp", "Emergency meetings"},
};

static const struct col tier_cols[] = {
    {"tier", "Cấp", "Tier"},
    {"meetings", "Số cuộc họp", "Meetings"},
    {"hours", "Tổng số giờ", "Total hours"},
    {"emergency", "Họp khẩn cấp", "Emergency meetings"},
    {"invited", "Lượt được mời", "Invitations"},
    {"attended", "Lượt tham dự", "Attendances"},
    {"attendance_percent", "Tỷ lệ tham dự (%)", "Attendance rate (%)"},
    {"incidents", "Sự cố", "Incidents"},
};

static const struct col endpoint_cols[] = {
    {"endpoint", "Mã điểm cầu", "Endpoint ID"},
    {"name", "Điểm cầu", "Endpoint"},
    {"tier", "Cấp", "Tier"},
    {"invited", "Số lần được mời", "Invited"},
    {"attended", "Số lần tham dự", "Attended"},
    {"attendance_percent", "Tỷ lệ tham dự (%)", "Attendance rate (%)"},
    {"incidents", "Sự cố", "Incidents"},
};

#define NCOLS(a) (sizeof(a) / sizeof((a)[0]))

static void hy_csv_hosts(struct csv *c, const struct halfyear *hy,
                         enum mcu_lang lang)
{
	csv_headings(c, host_cols, NCOLS(host_cols), lang);
	for (size_t i = 0; i < hy->hosts.n; i++) {
		const struct agg *a = &hy->hosts.v[i];
		csv_cell(c, a->id);
		csv_cell(c, a->name);
		csv_cell(c, tier_label(a->tier, lang));
		csv_cellf(c, "%zu", a->meetings);
		csv_hours(c, a->seconds);
		csv_cellf(c, "%zu", a->emergency);
		csv_end_row(c);
	}
}

static void hy_csv_tier_row(struct csv *c, const struct agg *a,
                            const char *label)
{
	csv_cell(c, label);
	csv_cellf(c, "%zu", a->meetings);
	csv_hours(c, a->seconds);
	csv_cellf(c, "%zu", a->emergency);
	csv_cellf(c, "%zu", a->invited);
	csv_cellf(c, "%zu", a->attended);
	csv_rate(c, a->attended, a->invited);
	csv_cellf(c, "%zu", a->incidents);
	csv_end_row(c);
}

static void hy_csv_tiers(struct csv *c, const struct halfyear *hy,
                         enum mcu_lang lang)
{
	csv_headings(c, tier_cols, NCOLS(tier_cols), lang);
	for (int t = 0; t <= MCU_TIER_COUNT; t++) {
		const struct agg *a = &hy->tiers[t];
		/* the "unknown" row only when something fell into it */
		if (t == MCU_TIER_COUNT && !a->meetings && !a->invited &&
		    !a->incidents)
			continue;
		hy_csv_tier_row(c, a, tier_label(a->tier, lang));
	}
	hy_csv_tier_row(c, &hy->total, tr(lang, "Tổng cộng", "Total"));
}

static void hy_csv_endpoints(struct csv *c, const struct halfyear *hy,
                             enum mcu_lang lang)
{
	csv_headings(c, endpoint_cols, NCOLS(endpoint_cols), lang);
	for (size_t i = 0; i < hy->eps.n; i++) {
		const struct agg *a = &hy->eps.v[i];
		csv_cell(c, a->id);
		csv_cell(c, a->name);
		csv_cell(c, tier_label(a->tier, lang));
		csv_cellf(c, "%zu", a->invited);
		csv_cellf(c, "%zu", a->attended);
		csv_rate(c, a->attended, a->invited);
		csv_cellf(c, "%zu", a->incidents);
		csv_end_row(c);
	}
}

static json_t *jhours(long long seconds)
{
	return json_real((double)centi_hours(seconds) / 100.0);
}

static json_t *jrate(size_t attended, size_t invited)
{
	long long p = permille(attended, invited);
	return p < 0 ? json_null() : json_real((double)p / 10.0);
}

static json_t *hy_json_agg(const struct agg *a, bool host, bool ep)
{
	json_t *o = json_object();
	if (!o)
		return NULL;
	if (host) {
		json_object_set_new(o, "host", jstr(a->id));
		json_object_set_new(o, "host_name", jstr(a->name));
	}
	if (ep) {
		json_object_set_new(o, "endpoint", jstr(a->id));
		json_object_set_new(o, "name", jstr(a->name));
	}
	json_object_set_new(o, "tier", jstr(tier_key(a->tier)));
	if (!ep) {
		json_object_set_new(o, "meetings",
		                    json_integer((json_int_t)a->meetings));
		json_object_set_new(o, "hours", jhours(a->seconds));
		json_object_set_new(o, "emergency",
		                    json_integer((json_int_t)a->emergency));
	}
	if (!host) {
		json_object_set_new(o, "invited",
		                    json_integer((json_int_t)a->invited));
		json_object_set_new(o, "attended",
		                    json_integer((json_int_t)a->attended));
		json_object_set_new(o, "attendance_percent",
		                    jrate(a->attended, a->invited));
		json_object_set_new(o, "incidents",
		                    json_integer((json_int_t)a->incidents));
	}
	return o;
}

static json_t *hy_json(const struct halfyear *hy, time_t from, time_t to)
{
	json_t *hosts = json_array(), *tiers = json_array(),
	       *eps = json_array();
	for (size_t i = 0; hosts && i < hy->hosts.n; i++)
		json_array_append_new(
		    hosts, hy_json_agg(&hy->hosts.v[i], true, false));
	for (int t = 0; tiers && t < MCU_TIER_COUNT; t++)
		json_array_append_new(tiers,
		                      hy_json_agg(&hy->tiers[t], false, false));
	const struct agg *unk = &hy->tiers[MCU_TIER_COUNT];
	if (tiers && (unk->meetings || unk->invited || unk->incidents))
		json_array_append_new(tiers, hy_json_agg(unk, false, false));
	for (size_t i = 0; eps && i < hy->eps.n; i++)
		json_array_append_new(eps,
		                      hy_json_agg(&hy->eps.v[i], false, true));
	json_t *total = hy_json_agg(&hy->total, false, false);
	if (total)
		json_object_del(total, "tier");
	return json_pack("{s:o, s:o, s:o, s:o, s:o, s:o}", "from", jtime(from),
	                 "to", jtime(to), "hosts", hosts, "tiers", tiers,
	                 "endpoints", eps, "total", total);
}

int mcu_registers_halfyear(const struct mcu_logbook_records *recs, time_t from,
                           time_t to, enum mcu_registers_format format,
                           enum mcu_lang lang, unsigned flags,
                           enum mcu_registers_section section,
                           struct mcu_registers_doc *out)
{
	struct halfyear hy;
	int err;

	if (!recs || !out)
		return EINVAL;
	memset(out, 0, sizeof(*out));
	err = halfyear_build(recs, &hy);
	if (err)
		goto out;
	if (format == MCU_REGISTERS_JSON) {
		err = json_finish(hy_json(&hy, from, to), out);
		goto out;
	}

	struct csv c;
	csv_begin(&c, flags);
	switch (section) {
	case MCU_REGISTERS_HOSTS:
		hy_csv_hosts(&c, &hy, lang);
		break;
	case MCU_REGISTERS_TIERS:
		hy_csv_tiers(&c, &hy, lang);
		break;
	case MCU_REGISTERS_ENDPOINTS:
		hy_csv_endpoints(&c, &hy, lang);
		break;
	case MCU_REGISTERS_ALL: {
		char d0[16], d1[16];
		fmt_date(from, d0, sizeof(d0));
		fmt_date(to - 1, d1, sizeof(d1)); /* `to` is exclusive */
		csv_cell(&c, tr(lang,
		                "Phụ lục I: Tổng hợp tình hình họp trực tuyến",
		                "Annex I: video-conference meetings, summary"));
		csv_end_row(&c);
		csv_cell(&c, tr(lang, "Từ ngày", "From"));
		csv_cell(&c, d0);
		csv_cell(&c, tr(lang, "Đến ngày", "To"));
		csv_cell(&c, d1);
		csv_end_row(&c);
		csv_end_row(&c);
		csv_cell(&c, tr(lang, "Theo đơn vị chủ trì", "By host unit"));
		csv_end_row(&c);
		hy_csv_hosts(&c, &hy, lang);
		csv_end_row(&c);
		csv_cell(&c, tr(lang, "Theo cấp", "By tier"));
		csv_end_row(&c);
		hy_csv_tiers(&c, &hy, lang);
		csv_end_row(&c);
		csv_cell(&c, tr(lang, "Theo điểm cầu", "By endpoint"));
		csv_end_row(&c);
		hy_csv_endpoints(&c, &hy, lang);
		break;
	}
	}
	err = csv_finish(&c, out);
out:
	aggset_free(&hy.hosts);
	aggset_free(&hy.eps);
	return err;
}

/* ------------------------------------------------ contacts register */

enum { ROLE_LEADER, ROLE_TECHNICIAN, ROLE_SUPPORT, ROLE_COUNT };

static const struct col contact_cols[] = {
    {"id", "Mã đơn vị", "Unit ID"},
    {"name", "Tên đơn vị", "Unit"},
    {"tier", "Cấp", "Tier"},
    {"parent", "Đơn vị cấp trên", "Parent unit"},
    {"leader_name", "Lãnh đạo: họ tên", "Leader: name"},
    {"leader_title", "Lãnh đạo: chức vụ", "Leader: title"},
    {"leader_email", "Lãnh đạo: thư điện tử", "Leader: e-mail"},
    {"leader_phone", "Lãnh đạo: điện thoại", "Leader: phone"},
    {"technician_name", "Kỹ thuật chính: họ tên", "Technician: name"},
    {"technician_title", "Kỹ thuật chính: chức vụ", "Technician: title"},
    {"technician_email", "Kỹ thuật chính: thư điện tử", "Technician: e-mail"},
    {"technician_phone", "Kỹ thuật chính: điện thoại", "Technician: phone"},
    {"support_name", "Kỹ thuật hỗ trợ: họ tên", "Support technician: name"},
    {"support_title", "Kỹ thuật hỗ trợ: chức vụ", "Support technician: title"},
    {"support_email", "Kỹ thuật hỗ trợ: thư điện tử",
     "Support technician: e-mail"},
    {"support_phone", "Kỹ thuật hỗ trợ: điện thoại",
     "Support technician: phone"},
};

static const struct col gap_cols[] = {
    {"id", "Mã đơn vị", "Unit ID"},
    {"name", "Tên đơn vị", "Unit"},
    {"missing", "Thông tin còn thiếu", "Missing"},
};

static const char *const role_keys[ROLE_COUNT] = {"leader", "technician",
                                                  "support"};

static const char *role_label(int role, enum mcu_lang lang)
{
	static const char *const vi[] = {"Lãnh đạo", "Kỹ thuật chính",
	                                 "Kỹ thuật hỗ trợ"};
	static const char *const en[] = {"Leader", "Technician",
	                                 "Support technician"};
	return lang == MCU_LANG_EN ? en[role] : vi[role];
}

/* The contact of `role`, NULL when the roster has none. */
static const struct mcu_conf_contact *contact(const struct mcu_conf_endpoint *e,
                                              int role)
{
	switch (role) {
	case ROLE_LEADER:
		return e->has_leader ? &e->leader : NULL;
	case ROLE_TECHNICIAN:
		return e->has_technician ? &e->technician : NULL;
	default:
		return e->has_support ? &e->support : NULL;
	}
}

static bool blank(const char *s)
{
	if (!s)
		return true;
	for (; *s; s++) {
		if (*s != ' ' && *s != '\t')
			return false;
	}
	return true;
}

static unsigned contact_gap(const struct mcu_conf_contact *c)
{
	unsigned g = 0;
	if (!c)
		return MCU_REGISTERS_GAP_MISSING;
	if (blank(c->name))
		g |= MCU_REGISTERS_GAP_NO_NAME;
	if (blank(c->phone))
		g |= MCU_REGISTERS_GAP_NO_PHONE;
	return g;
}

int mcu_registers_contacts_gaps(const struct mcu_conf *conf,
                                struct mcu_registers_gap **gapsp, size_t *np)
{
	struct mcu_registers_gap *v = NULL;
	size_t n = 0;

	if (!conf || !gapsp || !np)
		return EINVAL;
	for (size_t i = 0; i < conf->n_endpoints; i++) {
		const struct mcu_conf_endpoint *e = &conf->endpoints[i];
		struct mcu_registers_gap g = {
		    i, contact_gap(contact(e, ROLE_LEADER)),
		    contact_gap(contact(e, ROLE_TECHNICIAN)),
		    contact_gap(contact(e, ROLE_SUPPORT))};
		if (!g.leader && !g.technician && !g.support)
			continue;
		if (!v) {
			v = calloc(conf->n_endpoints, sizeof(*v));
			if (!v)
				return ENOMEM;
		}
		v[n++] = g;
	}
	*gapsp = v;
	*np = n;
	return 0;
}

/* "Lãnh đạo: chưa có; Kỹ thuật chính: thiếu số điện thoại" (malloc'd). */
static char *gap_text(const struct mcu_registers_gap *g, enum mcu_lang lang)
{
	const unsigned bits[ROLE_COUNT] = {g->leader, g->technician,
	                                   g->support};
	struct csv c;
	bool any = false;
	memset(&c, 0, sizeof(c));
	csv_add(&c, "", 0);
	for (int r = 0; r < ROLE_COUNT; r++) {
		const char *what[3];
		size_t n = 0;
		if (!bits[r])
			continue;
		if (bits[r] & MCU_REGISTERS_GAP_MISSING)
			what[n++] = tr(lang, "chưa có", "missing");
		if (bits[r] & MCU_REGISTERS_GAP_NO_NAME)
			what[n++] = tr(lang, "thiếu họ tên", "no name");
		if (bits[r] & MCU_REGISTERS_GAP_NO_PHONE)
			what[n++] = tr(lang, "thiếu số điện thoại", "no phone");
		if (any)
			csv_add(&c, "; ", 2);
		any = true;
		csv_add(&c, role_label(r, lang), strlen(role_label(r, lang)));
		csv_add(&c, ": ", 2);
		for (size_t k = 0; k < n; k++) {
			if (k)
				csv_add(&c, ", ", 2);
			csv_add(&c, what[k], strlen(what[k]));
		}
	}
	if (c.oom) {
		free(c.p);
		return NULL;
	}
	return c.p;
}

int mcu_registers_contacts_csv(const struct mcu_conf *conf, enum mcu_lang lang,
                               unsigned flags, struct mcu_registers_doc *out)
{
	struct csv c;
	if (!conf || !out)
		return EINVAL;
	memset(out, 0, sizeof(*out));
	csv_begin(&c, flags);
	csv_headings(&c, contact_cols, NCOLS(contact_cols), lang);
	for (size_t i = 0; i < conf->n_endpoints; i++) {
		const struct mcu_conf_endpoint *e = &conf->endpoints[i];
		csv_cell(&c, e->id);
		csv_cell(&c, e->name);
		csv_cell(&c, tier_label((int)e->tier, lang));
		csv_cell(&c, e->parent);
		for (int r = 0; r < ROLE_COUNT; r++) {
			const struct mcu_conf_contact *k = contact(e, r);
			csv_cell(&c, k ? k->name : NULL);
			csv_cell(&c, k ? k->title : NULL);
			csv_cell(&c, k ? k->email : NULL);
			csv_cell(&c, k ? k->phone : NULL);
		}
		csv_end_row(&c);
	}
	return csv_finish(&c, out);
}

int mcu_registers_contacts_gaps_csv(const struct mcu_conf *conf,
                                    enum mcu_lang lang, unsigned flags,
                                    struct mcu_registers_doc *out)
{
	struct mcu_registers_gap *gaps = NULL;
	size_t n = 0;
	struct csv c;
	int err;

	if (!conf || !out)
		return EINVAL;
	memset(out, 0, sizeof(*out));
	err = mcu_registers_contacts_gaps(conf, &gaps, &n);
	if (err)
		return err;
	csv_begin(&c, flags);
	csv_headings(&c, gap_cols, NCOLS(gap_cols), lang);
	for (size_t i = 0; i < n; i++) {
		const struct mcu_conf_endpoint *e =
		    &conf->endpoints[gaps[i].endpoint];
		char *text = gap_text(&gaps[i], lang);
		if (!text)
			c.oom = true;
		csv_cell(&c, e->id);
		csv_cell(&c, e->name);
		csv_cell(&c, text);
		csv_end_row(&c);
		free(text);
	}
	free(gaps);
	return csv_finish(&c, out);
}

static json_t *contact_json(const struct mcu_conf_contact *k)
{
	if (!k)
		return json_null();
	return json_pack("{s:o, s:o, s:o, s:o}", "name", jstr(k->name), "title",
	                 jstr(k->title), "email", jstr(k->email), "phone",
	                 jstr(k->phone));
}

int mcu_registers_contacts_json(const struct mcu_conf *conf, enum mcu_lang lang,
                                struct mcu_registers_doc *out)
{
	struct mcu_registers_gap *gaps = NULL;
	size_t n = 0;
	json_t *units, *inc;
	int err;

	if (!conf || !out)
		return EINVAL;
	memset(out, 0, sizeof(*out));
	err = mcu_registers_contacts_gaps(conf, &gaps, &n);
	if (err)
		return err;
	units = json_array();
	for (size_t i = 0; units && i < conf->n_endpoints; i++) {
		const struct mcu_conf_endpoint *e = &conf->endpoints[i];
		json_t *o = json_pack("{s:o, s:o, s:o, s:o}", "id", jstr(e->id),
		                      "name", jstr(e->name), "tier",
		                      jstr(tier_key((int)e->tier)), "parent",
		                      jstr(e->parent));
		for (int r = 0; o && r < ROLE_COUNT; r++)
			json_object_set_new(o, role_keys[r],
			                    contact_json(contact(e, r)));
		json_array_append_new(units, o);
	}
	inc = json_array();
	for (size_t i = 0; inc && i < n; i++) {
		const struct mcu_conf_endpoint *e =
		    &conf->endpoints[gaps[i].endpoint];
		const unsigned bits[ROLE_COUNT] = {
		    gaps[i].leader, gaps[i].technician, gaps[i].support};
		char *text = gap_text(&gaps[i], lang);
		json_t *o = json_pack("{s:o, s:o, s:o}", "id", jstr(e->id),
		                      "name", jstr(e->name), "text",
		                      text ? jstr(text) : json_null());
		free(text);
		for (int r = 0; o && r < ROLE_COUNT; r++) {
			json_t *w = json_array();
			if (bits[r] & MCU_REGISTERS_GAP_MISSING)
				json_array_append_new(w,
				                      json_string("missing"));
			if (bits[r] & MCU_REGISTERS_GAP_NO_NAME)
				json_array_append_new(w, json_string("name"));
			if (bits[r] & MCU_REGISTERS_GAP_NO_PHONE)
				json_array_append_new(w, json_string("phone"));
			json_object_set_new(o, role_keys[r], w);
		}
		json_array_append_new(inc, o);
	}
	free(gaps);
	return json_finish(
	    json_pack("{s:o, s:o}", "units", units, "incomplete", inc), out);
}

/* ------------------------------------------------------ API layer */

/* "YYYY-MM-DD" exactly, a real date. */
static bool parse_date(const char *s, int *y, int *m, int *d)
{
	static const int mdays[] = {31, 29, 31, 30, 31, 30,
	                            31, 31, 30, 31, 30, 31};
	if (!s || strlen(s) != 10 || s[4] != '-' || s[7] != '-')
		return false;
	for (int i = 0; i < 10; i++) {
		if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9'))
			return false;
	}
	*y = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 +
	     (s[3] - '0');
	*m = (s[5] - '0') * 10 + (s[6] - '0');
	*d = (s[8] - '0') * 10 + (s[9] - '0');
	if (*y < 1970 || *m < 1 || *m > 12 || *d < 1 || *d > mdays[*m - 1])
		return false;
	if (*m == 2 && *d == 29 &&
	    !((*y % 4 == 0 && *y % 100 != 0) || *y % 400 == 0))
		return false;
	return true;
}

/* Local midnight starting day d of month m of year y (d may overflow). */
static time_t local_midnight(int y, int m, int d)
{
	struct tm tm;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = m - 1;
	tm.tm_mday = d;
	tm.tm_isdst = -1;
	return mktime(&tm);
}

int mcu_registers_parse_range(const char *from, const char *to,
                              const char *period, time_t *fromp, time_t *top,
                              const char **whyp)
{
	int y, m, d;
	const char *why = NULL;
	time_t f = 0, t = 0;

	if (period) {
		if (from || to) {
			why = "period";
		} else if (strlen(period) == 7 && period[4] == '-' &&
		           (period[5] == 'H' || period[5] == 'h') &&
		           (period[6] == '1' || period[6] == '2')) {
			char buf[11];
			memcpy(buf, period, 4);
			memcpy(buf + 4, "-01-01", 7);
			if (!parse_date(buf, &y, &m, &d)) {
				why = "period";
			} else if (period[6] == '1') {
				f = local_midnight(y, 1, 1);
				t = local_midnight(y, 7, 1);
			} else {
				f = local_midnight(y, 7, 1);
				t = local_midnight(y + 1, 1, 1);
			}
		} else {
			why = "period";
		}
	} else if (!parse_date(from, &y, &m, &d)) {
		why = "from";
	} else {
		f = local_midnight(y, m, d);
		if (!to)
			to = from;
		if (!parse_date(to, &y, &m, &d))
			why = "to";
		else
			t = local_midnight(y, m, d + 1);
	}
	if (!why && (f == (time_t)-1 || t == (time_t)-1 || t <= f))
		why = to ? "to" : "period";
	if (why) {
		if (whyp)
			*whyp = why;
		return EINVAL;
	}
	*fromp = f;
	*top = t;
	return 0;
}

int mcu_registers_default_range(const char *to, time_t now, time_t *fromp,
                                time_t *top, const char **whyp)
{
	int y, m, d;
	time_t f, t;
	if (to) {
		if (!parse_date(to, &y, &m, &d))
			goto bad;
	} else {
		struct tm tm;
		if (!localtime_r(&now, &tm))
			goto bad;
		y = tm.tm_year + 1900;
		m = tm.tm_mon + 1;
		d = tm.tm_mday;
	}
	f = local_midnight(y, m <= 6 ? 1 : 7, 1);
	t = local_midnight(y, m, d + 1);
	if (f == (time_t)-1 || t == (time_t)-1 || t <= f)
		goto bad;
	*fromp = f;
	*top = t;
	return 0;
bad:
	if (whyp)
		*whyp = "to";
	return EINVAL;
}

struct parsed {
	enum mcu_registers_format format;
	enum mcu_lang lang;
	unsigned flags;
};

static int parse_common(const struct mcu_registers_query *q,
                        enum mcu_registers_format def, struct parsed *p,
                        const char **whyp)
{
	p->format = def;
	p->lang = MCU_LANG_VI;
	p->flags = MCU_REGISTERS_BOM;
	if (q->format) {
		if (!strcasecmp(q->format, "csv"))
			p->format = MCU_REGISTERS_CSV;
		else if (!strcasecmp(q->format, "json"))
			p->format = MCU_REGISTERS_JSON;
		else
			return *whyp = "format", EINVAL;
	}
	if (q->lang && mcu_i18n_parse(q->lang, &p->lang))
		return *whyp = "lang", EINVAL;
	if (q->bom) {
		if (!strcmp(q->bom, "0") || !strcasecmp(q->bom, "false") ||
		    !strcasecmp(q->bom, "no"))
			p->flags &= ~MCU_REGISTERS_BOM;
		else if (strcmp(q->bom, "1") && strcasecmp(q->bom, "true") &&
		         strcasecmp(q->bom, "yes"))
			return *whyp = "bom", EINVAL;
	}
	return 0;
}

int mcu_registers_logbook_export(struct mcu_logbook *lb,
                                 const struct mcu_registers_query *q,
                                 struct mcu_registers_doc *out)
{
	struct mcu_logbook_records recs;
	struct parsed p;
	time_t from, to;
	int err;

	if (!lb || !q || !out)
		return EINVAL;
	memset(out, 0, sizeof(*out));
	err = parse_common(q, MCU_REGISTERS_JSON, &p, &out->error);
	if (!err && !q->from && !q->period)
		err = mcu_registers_default_range(q->to,
		                                  q->now ? q->now : time(NULL),
		                                  &from, &to, &out->error);
	else if (!err)
		err = mcu_registers_parse_range(q->from, q->to, q->period,
		                                &from, &to, &out->error);
	if (err)
		return err;
	err = mcu_logbook_read(lb, from, to, NULL, &recs);
	if (err)
		return err;
	err = mcu_registers_meetings(&recs, from, to, p.format, p.lang, p.flags,
	                             out);
	mcu_logbook_records_clear(&recs);
	return err;
}

int mcu_registers_halfyear_export(struct mcu_logbook *lb,
                                  const struct mcu_registers_query *q,
                                  struct mcu_registers_doc *out)
{
	static const char *const names[] = {"all", "hosts", "tiers",
	                                    "endpoints"};
	enum mcu_registers_section section = MCU_REGISTERS_ALL;
	struct mcu_logbook_records recs;
	struct parsed p;
	time_t from, to;
	int err;

	if (!lb || !q || !out)
		return EINVAL;
	memset(out, 0, sizeof(*out));
	err = parse_common(q, MCU_REGISTERS_CSV, &p, &out->error);
	if (!err)
		err = mcu_registers_parse_range(q->from, q->to, q->period,
		                                &from, &to, &out->error);
	if (err)
		return err;
	if (q->section) {
		size_t i;
		for (i = 0; i < NCOLS(names); i++) {
			if (!strcmp(q->section, names[i]))
				break;
		}
		if (i == NCOLS(names)) {
			out->error = "section";
			return EINVAL;
		}
		section = (enum mcu_registers_section)i;
	}
	err = mcu_logbook_read(lb, from, to, NULL, &recs);
	if (err)
		return err;
	err = mcu_registers_halfyear(&recs, from, to, p.format, p.lang, p.flags,
	                             section, out);
	mcu_logbook_records_clear(&recs);
	return err;
}

int mcu_registers_meeting_export(struct mcu_logbook *lb,
                                 const struct mcu_registers_query *q,
                                 struct mcu_registers_doc *out)
{
	struct mcu_logbook_records recs;
	struct parsed p;
	int err;

	if (!lb || !q || !out)
		return EINVAL;
	memset(out, 0, sizeof(*out));
	err = parse_common(q, MCU_REGISTERS_JSON, &p, &out->error);
	if (err)
		return err;
	if (p.format != MCU_REGISTERS_JSON) {
		out->error = "format";
		return EINVAL;
	}
	if (!q->meeting || !*q->meeting) {
		out->error = "meeting";
		return EINVAL;
	}
	err = mcu_logbook_read(lb, 0, 0, q->meeting, &recs);
	if (err)
		return err;
	if (recs.n == 0)
		err = ENOENT;
	else
		err = mcu_registers_meeting_detail(&recs, out);
	mcu_logbook_records_clear(&recs);
	return err;
}

int mcu_registers_contacts_export(const struct mcu_conf *conf,
                                  const struct mcu_registers_query *q,
                                  struct mcu_registers_doc *out)
{
	struct parsed p;
	bool gaps = false;
	int err;

	if (!conf || !q || !out)
		return EINVAL;
	memset(out, 0, sizeof(*out));
	err = parse_common(q, MCU_REGISTERS_CSV, &p, &out->error);
	if (err)
		return err;
	if (q->section) {
		if (!strcmp(q->section, "incomplete")) {
			gaps = true;
		} else if (strcmp(q->section, "units")) {
			out->error = "section";
			return EINVAL;
		}
	}
	if (p.format == MCU_REGISTERS_JSON)
		return mcu_registers_contacts_json(conf, p.lang, out);
	if (gaps)
		return mcu_registers_contacts_gaps_csv(conf, p.lang, p.flags,
		                                       out);
	return mcu_registers_contacts_csv(conf, p.lang, p.flags, out);
}
