/*
 * Why it is built this way: the engine updates hundreds of series per
 * tick from several threads, and Prometheus reads them every few seconds.
 * So an update is one relaxed atomic (a fetch-add on a bucket, or a
 * compare-and-swap loop on the bits of a double) and never takes a lock;
 * only the rare structural changes (a series appears or goes) and the
 * render take the registry mutex. A series is reference-counted: the
 * family's list holds one reference while it is exposed, each holder one
 * more, so mcu_metric_remove() while a media thread still counts on it is
 * safe.
 *
 * Histograms keep non-cumulative bucket counts; the render sums them, and
 * takes _count from the same sum so that the +Inf bucket and _count always
 * agree even while observations race with the render.
 */
#include "mcu/metrics.h"
#include "conf/pi_mutex.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_COLLECTORS 8

struct mcu_metric {
	struct mcu_metric_family *fam;
	atomic_uint refs;
	bool linked;             /* registry lock */
	struct mcu_metric *next; /* registry lock */
	char **values;
	_Atomic uint64_t value;    /* bits of a double: counter, gauge, sum */
	_Atomic uint64_t *buckets; /* histogram: n_bounds + 1 */
};

struct mcu_metric_family {
	struct mcu_metrics *reg;
	enum mcu_metric_type type;
	char *name;
	char *help;
	char *labels[MCU_METRICS_MAX_LABELS];
	size_t n_labels;
	double bounds[MCU_METRICS_MAX_BUCKETS];
	size_t n_bounds;
	struct mcu_metric *head, *tail; /* registry lock */
	struct mcu_metric_family *next;
};

struct mcu_metrics {
	pthread_mutex_t lock;
	struct mcu_metric_family *head, *tail; /* lock */
	struct {
		mcu_metrics_collect_h *fn;
		void *arg;
	} collect[MAX_COLLECTORS]; /* lock */
	size_t n_collect;
};

/* ---- doubles in atomics -------------------------------------------- */

static uint64_t dbits(double d)
{
	uint64_t u;
	memcpy(&u, &d, sizeof(u));
	return u;
}

static double bitsd(uint64_t u)
{
	double d;
	memcpy(&d, &u, sizeof(d));
	return d;
}

static void atomic_add_double(_Atomic uint64_t *p, double v)
{
	uint64_t old = atomic_load_explicit(p, memory_order_relaxed);
	while (!atomic_compare_exchange_weak_explicit(
		p, &old, dbits(bitsd(old) + v), memory_order_relaxed,
		memory_order_relaxed))
		;
}

/* ---- registry ------------------------------------------------------- */

int mcu_metrics_alloc(struct mcu_metrics **mp)
{
	struct mcu_metrics *m = calloc(1, sizeof(*m));
	if (!m)
		return ENOMEM;
	if (mcu_mutex_init_pi(&m->lock) != 0) {
		free(m);
		return ENOMEM;
	}
	*mp = m;
	return 0;
}

static void series_free(struct mcu_metric *s)
{
	if (s->values) {
		for (size_t i = 0; i < s->fam->n_labels; i++)
			free(s->values[i]);
		free(s->values);
	}
	free(s->buckets);
	free(s);
}

static void family_free(struct mcu_metric_family *f)
{
	struct mcu_metric *s = f->head, *next;
	for (; s; s = next) {
		next = s->next;
		series_free(s);
	}
	for (size_t i = 0; i < f->n_labels; i++)
		free(f->labels[i]);
	free(f->name);
	free(f->help);
	free(f);
}

struct mcu_metrics *mcu_metrics_free(struct mcu_metrics *m)
{
	struct mcu_metric_family *f, *next;
	if (!m)
		return NULL;
	for (f = m->head; f; f = next) {
		next = f->next;
		family_free(f);
	}
	pthread_mutex_destroy(&m->lock);
	free(m);
	return NULL;
}

static bool name_char(char c, bool first)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_')
		return true;
	return !first && c >= '0' && c <= '9';
}

static bool metric_name_ok(const char *name, enum mcu_metric_type type)
{
	size_t n;
	if (!name || strncmp(name, "mcu_", 4) != 0)
		return false;
	n = strlen(name);
	if (n > 200)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (!name_char(name[i], i == 0) && name[i] != ':')
			return false;
	}
	if (type == MCU_METRIC_COUNTER)
		return n > 6 && !strcmp(name + n - 6, "_total");
	/* the suffixes a histogram's own series use */
	if (n > 7 && !strcmp(name + n - 7, "_bucket"))
		return false;
	return true;
}

static bool label_name_ok(const char *l, enum mcu_metric_type type)
{
	size_t n = strlen(l);
	if (n == 0 || n > 100 || !strncmp(l, "__", 2))
		return false;
	if (type == MCU_METRIC_HISTOGRAM && !strcmp(l, "le"))
		return false;
	for (size_t i = 0; i < n; i++) {
		if (!name_char(l[i], i == 0))
			return false;
	}
	return true;
}

static int check_labels(const char *const *labels, enum mcu_metric_type type,
                        size_t *np)
{
	size_t n = 0;
	if (!labels) {
		*np = 0;
		return 0;
	}
	for (; labels[n]; n++) {
		if (n >= MCU_METRICS_MAX_LABELS ||
		    !label_name_ok(labels[n], type))
			return EINVAL;
		for (size_t j = 0; j < n; j++) {
			if (!strcmp(labels[j], labels[n]))
				return EINVAL;
		}
	}
	*np = n;
	return 0;
}

static int check_bounds(enum mcu_metric_type type, const double *bounds,
                        size_t n)
{
	if (type != MCU_METRIC_HISTOGRAM)
		return bounds || n ? EINVAL : 0;
	if (!bounds || n == 0 || n > MCU_METRICS_MAX_BUCKETS)
		return EINVAL;
	for (size_t i = 0; i < n; i++) {
		if (!isfinite(bounds[i]) || (i && bounds[i] <= bounds[i - 1]))
			return EINVAL;
	}
	return 0;
}

static struct mcu_metric_family *find_locked(struct mcu_metrics *m,
                                             const char *name)
{
	for (struct mcu_metric_family *f = m->head; f; f = f->next) {
		if (!strcmp(f->name, name))
			return f;
	}
	return NULL;
}

struct mcu_metric_family *mcu_metrics_find(struct mcu_metrics *m,
                                           const char *name)
{
	struct mcu_metric_family *f;
	if (!m || !name)
		return NULL;
	pthread_mutex_lock(&m->lock);
	f = find_locked(m, name);
	pthread_mutex_unlock(&m->lock);
	return f;
}

static struct mcu_metric *series_new(struct mcu_metric_family *f,
                                     const char *const *values)
{
	struct mcu_metric *s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	s->fam = f;
	atomic_init(&s->refs, 1);
	atomic_init(&s->value, dbits(0.0));
	if (f->n_labels) {
		s->values = calloc(f->n_labels, sizeof(*s->values));
		if (!s->values)
			goto fail;
		for (size_t i = 0; i < f->n_labels; i++) {
			s->values[i] = strdup(values[i]);
			if (!s->values[i])
				goto fail;
		}
	}
	if (f->type == MCU_METRIC_HISTOGRAM) {
		s->buckets = calloc(f->n_bounds + 1, sizeof(*s->buckets));
		if (!s->buckets)
			goto fail;
		for (size_t i = 0; i <= f->n_bounds; i++)
			atomic_init(&s->buckets[i], 0);
	}
	return s;
fail:
	series_free(s);
	return NULL;
}

static void link_locked(struct mcu_metric_family *f, struct mcu_metric *s)
{
	s->linked = true;
	s->next = NULL;
	if (f->tail)
		f->tail->next = s;
	else
		f->head = s;
	f->tail = s;
}

int mcu_metrics_register(struct mcu_metrics *m, enum mcu_metric_type type,
                         const char *name, const char *help,
                         const char *const *labels, const double *bounds,
                         size_t n_bounds, struct mcu_metric_family **fp)
{
	struct mcu_metric_family *f;
	size_t n_labels;
	int err;

	if (!m || !help || type > MCU_METRIC_HISTOGRAM ||
	    !metric_name_ok(name, type))
		return EINVAL;
	err = check_labels(labels, type, &n_labels);
	if (!err)
		err = check_bounds(type, bounds, n_bounds);
	if (err)
		return err;
	f = calloc(1, sizeof(*f));
	if (!f)
		return ENOMEM;
	f->reg = m;
	f->type = type;
	f->name = strdup(name);
	f->help = strdup(help);
	if (!f->name || !f->help)
		goto nomem;
	for (size_t i = 0; i < n_labels; i++) {
		f->labels[i] = strdup(labels[i]);
		if (!f->labels[i])
			goto nomem;
		f->n_labels = i + 1;
	}
	if (n_bounds)
		memcpy(f->bounds, bounds, n_bounds * sizeof(*bounds));
	f->n_bounds = n_bounds;
	if (!n_labels) {
		struct mcu_metric *s = series_new(f, NULL);
		if (!s)
			goto nomem;
		link_locked(f, s); /* f is not shared yet */
	}

	pthread_mutex_lock(&m->lock);
	if (find_locked(m, name)) {
		pthread_mutex_unlock(&m->lock);
		family_free(f);
		return EEXIST;
	}
	if (m->tail)
		m->tail->next = f;
	else
		m->head = f;
	m->tail = f;
	pthread_mutex_unlock(&m->lock);
	if (fp)
		*fp = f;
	return 0;
nomem:
	family_free(f);
	return ENOMEM;
}

/* ---- series ---------------------------------------------------------- */

static bool values_equal(const struct mcu_metric *s, const char *const *v,
                         size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (strcmp(s->values[i], v[i]) != 0)
			return false;
	}
	return true;
}

struct mcu_metric *mcu_metric_get(struct mcu_metric_family *f,
                                  const char *const *values, size_t n_values)
{
	struct mcu_metric *s;
	if (!f || n_values != f->n_labels || (n_values && !values))
		return NULL;
	for (size_t i = 0; i < n_values; i++) {
		if (!values[i])
			return NULL;
	}
	pthread_mutex_lock(&f->reg->lock);
	for (s = f->head; s; s = s->next) {
		if (values_equal(s, values, n_values)) {
			atomic_fetch_add(&s->refs, 1);
			goto out;
		}
	}
	s = series_new(f, values);
	if (s) {
		atomic_store(&s->refs, 2); /* the list's and the caller's */
		link_locked(f, s);
	}
out:
	pthread_mutex_unlock(&f->reg->lock);
	return s;
}

struct mcu_metric *mcu_metric_put(struct mcu_metric *s)
{
	if (s && atomic_fetch_sub(&s->refs, 1) == 1)
		series_free(s);
	return NULL;
}

void mcu_metric_remove(struct mcu_metric *s)
{
	struct mcu_metric_family *f;
	struct mcu_metric *prev = NULL, *p;
	bool was_linked = false;

	if (!s)
		return;
	f = s->fam;
	pthread_mutex_lock(&f->reg->lock);
	for (p = f->head; p; prev = p, p = p->next) {
		if (p != s)
			continue;
		if (prev)
			prev->next = s->next;
		else
			f->head = s->next;
		if (f->tail == s)
			f->tail = prev;
		s->linked = false;
		s->next = NULL;
		was_linked = true;
		break;
	}
	pthread_mutex_unlock(&f->reg->lock);
	if (was_linked)
		mcu_metric_put(s);
}

void mcu_metric_inc(struct mcu_metric *s)
{
	mcu_metric_add(s, 1.0);
}

void mcu_metric_add(struct mcu_metric *s, double v)
{
	if (!s || s->fam->type == MCU_METRIC_HISTOGRAM || isnan(v))
		return;
	if (s->fam->type == MCU_METRIC_COUNTER && v < 0)
		return;
	atomic_add_double(&s->value, v);
}

void mcu_metric_set(struct mcu_metric *s, double v)
{
	if (!s || s->fam->type != MCU_METRIC_GAUGE)
		return;
	atomic_store_explicit(&s->value, dbits(v), memory_order_relaxed);
}

void mcu_metric_observe(struct mcu_metric *s, double v)
{
	size_t i;
	if (!s || s->fam->type != MCU_METRIC_HISTOGRAM || isnan(v))
		return;
	for (i = 0; i < s->fam->n_bounds; i++) {
		if (v <= s->fam->bounds[i])
			break;
	}
	atomic_fetch_add_explicit(&s->buckets[i], 1, memory_order_relaxed);
	atomic_add_double(&s->value, v);
}

double mcu_metric_value(const struct mcu_metric *s)
{
	if (!s)
		return 0.0;
	return bitsd(atomic_load_explicit(
		&((struct mcu_metric *)s)->value, memory_order_relaxed));
}

int mcu_metrics_on_collect(struct mcu_metrics *m, mcu_metrics_collect_h *fn,
                           void *arg)
{
	int err = 0;
	if (!m || !fn)
		return EINVAL;
	pthread_mutex_lock(&m->lock);
	if (m->n_collect >= MAX_COLLECTORS) {
		err = ENOSPC;
	} else {
		m->collect[m->n_collect].fn = fn;
		m->collect[m->n_collect].arg = arg;
		m->n_collect++;
	}
	pthread_mutex_unlock(&m->lock);
	return err;
}

/* ---- rendering ------------------------------------------------------- */

struct sbuf {
	char *p;
	size_t len, cap;
	bool oom;
};

static void sb_reserve(struct sbuf *b, size_t more)
{
	size_t cap;
	char *p;
	if (b->oom || b->len + more + 1 <= b->cap)
		return;
	cap = b->cap ? b->cap : 4096;
	while (cap < b->len + more + 1)
		cap *= 2;
	p = realloc(b->p, cap);
	if (!p) {
		b->oom = true;
		return;
	}
	b->p = p;
	b->cap = cap;
}

static void sb_putn(struct sbuf *b, const char *s, size_t n)
{
	sb_reserve(b, n);
	if (b->oom)
		return;
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void sb_puts(struct sbuf *b, const char *s)
{
	sb_putn(b, s, strlen(s));
}

/* Escape \ and newline (HELP), and " too (label values). */
static void sb_escaped(struct sbuf *b, const char *s, bool quote)
{
	for (; *s; s++) {
		if (*s == '\\')
			sb_puts(b, "\\\\");
		else if (*s == '\n')
			sb_puts(b, "\\n");
		else if (quote && *s == '"')
			sb_puts(b, "\\\"");
		else
			sb_putn(b, s, 1);
	}
}

/* The shortest of %.15g/%.17g that reads back as v; NaN, +Inf, -Inf. */
static void fmt_double(char *buf, size_t n, double v)
{
	if (isnan(v)) {
		snprintf(buf, n, "NaN");
	} else if (isinf(v)) {
		snprintf(buf, n, v > 0 ? "+Inf" : "-Inf");
	} else if (fabs(v) < 1e15 && v == (double)(long long)v) {
		snprintf(buf, n, "%lld", (long long)v);
	} else {
		snprintf(buf, n, "%.15g", v);
		if (strtod(buf, NULL) != v)
			snprintf(buf, n, "%.17g", v);
	}
}

static void sb_double(struct sbuf *b, double v)
{
	char num[40];
	fmt_double(num, sizeof(num), v);
	sb_puts(b, num);
}

/* {a="x",b="y"[,le="..."]} or nothing when there are no labels at all. */
static void sb_labels(struct sbuf *b, const struct mcu_metric *s,
                      const char *le)
{
	const struct mcu_metric_family *f = s->fam;
	if (!f->n_labels && !le)
		return;
	sb_puts(b, "{");
	for (size_t i = 0; i < f->n_labels; i++) {
		if (i)
			sb_puts(b, ",");
		sb_puts(b, f->labels[i]);
		sb_puts(b, "=\"");
		sb_escaped(b, s->values[i], true);
		sb_puts(b, "\"");
	}
	if (le) {
		if (f->n_labels)
			sb_puts(b, ",");
		sb_puts(b, "le=\"");
		sb_puts(b, le);
		sb_puts(b, "\"");
	}
	sb_puts(b, "}");
}

static void render_histogram(struct sbuf *b, const struct mcu_metric *s)
{
	const struct mcu_metric_family *f = s->fam;
	uint64_t cum = 0;
	char le[40], num[32];

	for (size_t i = 0; i <= f->n_bounds; i++) {
		cum += atomic_load_explicit(&s->buckets[i],
		                            memory_order_relaxed);
		if (i < f->n_bounds)
			fmt_double(le, sizeof(le), f->bounds[i]);
		else
			snprintf(le, sizeof(le), "+Inf");
		sb_puts(b, f->name);
		sb_puts(b, "_bucket");
		sb_labels(b, s, le);
		snprintf(num, sizeof(num), " %llu\n", (unsigned long long)cum);
		sb_puts(b, num);
	}
	sb_puts(b, f->name);
	sb_puts(b, "_sum");
	sb_labels(b, s, NULL);
	sb_puts(b, " ");
	sb_double(b, mcu_metric_value(s));
	sb_puts(b, "\n");
	sb_puts(b, f->name);
	sb_puts(b, "_count");
	sb_labels(b, s, NULL);
	snprintf(num, sizeof(num), " %llu\n", (unsigned long long)cum);
	sb_puts(b, num);
}

static const char *type_name(enum mcu_metric_type t)
{
	switch (t) {
	case MCU_METRIC_COUNTER:
		return "counter";
	case MCU_METRIC_GAUGE:
		return "gauge";
	default:
		return "histogram";
	}
}

int mcu_metrics_render(struct mcu_metrics *m, char **textp, size_t *lenp)
{
	struct sbuf b = {0};
	size_t n_collect;

	if (!m || !textp)
		return EINVAL;
	/* Collectors may create series: call them without the lock. */
	pthread_mutex_lock(&m->lock);
	n_collect = m->n_collect;
	pthread_mutex_unlock(&m->lock);
	for (size_t i = 0; i < n_collect; i++)
		m->collect[i].fn(m->collect[i].arg);

	sb_reserve(&b, 4096);
	pthread_mutex_lock(&m->lock);
	for (const struct mcu_metric_family *f = m->head; f; f = f->next) {
		sb_puts(&b, "# HELP ");
		sb_puts(&b, f->name);
		sb_puts(&b, " ");
		sb_escaped(&b, f->help, false);
		sb_puts(&b, "\n# TYPE ");
		sb_puts(&b, f->name);
		sb_puts(&b, " ");
		sb_puts(&b, type_name(f->type));
		sb_puts(&b, "\n");
		for (const struct mcu_metric *s = f->head; s; s = s->next) {
			if (f->type == MCU_METRIC_HISTOGRAM) {
				render_histogram(&b, s);
				continue;
			}
			sb_puts(&b, f->name);
			sb_labels(&b, s, NULL);
			sb_puts(&b, " ");
			sb_double(&b, mcu_metric_value(s));
			sb_puts(&b, "\n");
		}
	}
	pthread_mutex_unlock(&m->lock);
	if (b.oom) {
		free(b.p);
		return ENOMEM;
	}
	*textp = b.p;
	if (lenp)
		*lenp = b.len;
	return 0;
}

/* ---- the engine's families ------------------------------------------- */

int mcu_metrics_register_engine(struct mcu_metrics *m,
                                struct mcu_metrics_engine *e)
{
	static const char *const pmedia[] = {"meeting", "endpoint", "media",
	                                     NULL};
	static const char *const pep[] = {"meeting", "endpoint", NULL};
	static const char *const pmreason[] = {"meeting", "endpoint", "media",
	                                       "reason", NULL};
	static const char *const preason[] = {"meeting", "endpoint", "reason",
	                                      NULL};
	static const char *const pdir[] = {"meeting", "endpoint", "direction",
	                                   NULL};
	static const char *const pbr[] = {"meeting", "endpoint", "media",
	                                  "direction", NULL};
	static const char *const mstate[] = {"meeting", "state", NULL};
	static const char *const mtg[] = {"meeting", NULL};
	static const char *const stage[] = {"stage", NULL};
	static const double tb[] = MCU_METRICS_TICK_BUCKETS;
	static const double lb[] = MCU_METRICS_LATENCY_BUCKETS;
	static const char *const kind[] = {"kind", NULL};
	const struct {
		enum mcu_metric_type type;
		const char *name, *help;
		const char *const *labels;
		struct mcu_metric_family **out;
	} def[] = {
		{MCU_METRIC_COUNTER, MCU_M_PARTICIPANT_PACKETS_RECEIVED,
		 "RTP packets received from the participant.", pmedia,
		 &e->packets_received},
		{MCU_METRIC_COUNTER, MCU_M_PARTICIPANT_PACKETS_SENT,
		 "RTP packets sent to the participant.", pmedia,
		 &e->packets_sent},
		{MCU_METRIC_COUNTER, MCU_M_PARTICIPANT_PACKETS_LOST,
		 "RTP packets from the participant that never arrived.",
		 pmedia, &e->packets_lost},
		{MCU_METRIC_COUNTER, MCU_M_PARTICIPANT_SRTP_REJECTED,
		 "SRTP/SRTCP packets from the participant dropped: failed "
		 "authentication (auth) or replayed/too old (replay).",
		 preason, &e->srtp_rejected},
		{MCU_METRIC_COUNTER, MCU_M_PARTICIPANT_REJECTED,
		 "RTP/RTCP packets to the participant's ports dropped unread: "
		 "they came from another source than signalling gave "
		 "(reason source).",
		 pmreason, &e->rejected},
		{MCU_METRIC_GAUGE, MCU_M_PARTICIPANT_JITTER,
		 "Interarrival jitter of the participant's stream "
		 "(RFC 3550).",
		 pmedia, &e->jitter},
		{MCU_METRIC_GAUGE, MCU_M_PARTICIPANT_RTT,
		 "Round-trip time to the participant from RTCP.", pep,
		 &e->rtt},
		{MCU_METRIC_GAUGE, MCU_M_PARTICIPANT_AUDIO_LEVEL,
		 "Audio level of the participant's voice (dBov, 0 loudest).",
		 pep, &e->audio_level},
		{MCU_METRIC_GAUGE, MCU_M_PARTICIPANT_FPS,
		 "Video frames per second decoded from (in) or sent to (out) "
		 "the participant.",
		 pdir, &e->fps},
		{MCU_METRIC_GAUGE, MCU_M_PARTICIPANT_BITRATE,
		 "Media bitrate from (in) or to (out) the participant.", pbr,
		 &e->bitrate},
		{MCU_METRIC_GAUGE, MCU_M_MEETING_PARTICIPANTS,
		 "Participants of the meeting by call state.", mstate,
		 &e->meeting_participants},
		{MCU_METRIC_GAUGE, MCU_M_MEETING_ENCODERS,
		 "Video and audio encoders the meeting runs.", mtg,
		 &e->meeting_encoders},
		{MCU_METRIC_GAUGE, MCU_M_MEETING_DECODERS,
		 "Video and audio decoders the meeting runs.", mtg,
		 &e->meeting_decoders},
	};
	int err;

	if (!m || !e)
		return EINVAL;
	for (size_t i = 0; i < sizeof(def) / sizeof(def[0]); i++) {
		err = mcu_metrics_register(m, def[i].type, def[i].name,
		                           def[i].help, def[i].labels, NULL, 0,
		                           def[i].out);
		if (err)
			return err;
	}
	err = mcu_metrics_register(m, MCU_METRIC_HISTOGRAM, MCU_M_TICK_LATENESS,
	                           "How late each media tick (kind video or "
	                           "audio) started after its deadline.",
	                           kind, tb, MCU_METRICS_TICK_NBUCKETS,
	                           &e->tick_lateness);
	if (!err)
		err = mcu_metrics_register(m, MCU_METRIC_HISTOGRAM, MCU_M_STAGE,
		                           "Time one tick spent in a stage "
		                           "(decode, compose, encode, mix).",
		                           stage, tb, MCU_METRICS_TICK_NBUCKETS,
		                           &e->stage);
	if (!err)
		err = mcu_metrics_register(
		    m, MCU_METRIC_HISTOGRAM, MCU_M_MEDIA_LATENCY,
		    "Time from the arrival of the newest input in an output "
		    "frame (video picture, audio packet) to that frame sent.",
		    kind, lb, MCU_METRICS_LATENCY_NBUCKETS, &e->media_latency);
	return err;
}
