/*
 * The operators' changes are few (a handful a day) and read often (every
 * tick and every API read asks for each meeting's state), so the set is a
 * small array behind a mutex, looked up by id. Saving happens on every
 * change: the whole file is rewritten, under a second lock taken before
 * the set is copied, so two changes racing from two API threads are
 * written in the order they were made and the file always holds a set
 * that was in force. Readers never wait for the disk.
 */
#define MCU_LOG_MODULE "overrides"
#include "mcu/overrides.h"
#include "mcu/adhoc.h"
#include "conf/log.h"

#include <errno.h>
#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_ENTRIES 4096
#define MAX_FILE    (4u << 20)

struct mcu_overrides {
	char *path;                /* NULL: memory only */
	pthread_mutex_t save_lock; /* taken before lock */
	pthread_mutex_t lock;
	struct mcu_override *v; /* lock */
	size_t n;               /* lock */
};

/* ---- pure functions ---- */

static time_t extended_end(const struct mcu_override *o,
                           const struct mcu_conf_meeting *m)
{
	return m->end + (o ? (time_t)o->extend * 60 : 0);
}

void mcu_override_times(const struct mcu_override *o,
                        const struct mcu_conf_meeting *m,
                        struct mcu_override_times *t)
{
	memset(t, 0, sizeof(*t));
	t->planned_start = t->start = m->start;
	t->planned_end = m->end;
	t->end = extended_end(o, m);
	if (!o)
		return;
	t->extend = o->extend;
	if (o->start && o->started_at < m->start) {
		t->start = o->started_at;
		t->started_early = true;
	}
	if (o->stop) {
		t->stopped = true;
		/* stopped under way: it ended then */
		if (o->stopped_at >= t->start && o->stopped_at < t->end)
			t->end = o->stopped_at;
	}
}

enum mcu_meeting_state mcu_override_state(const struct mcu_override *o,
                                          const struct mcu_conf_meeting *m,
                                          time_t now)
{
	struct mcu_conf_meeting t = *m;
	if (!o)
		return mcu_timeline_state(m, now);
	if (o->stop)
		return MCU_MEETING_ENDED;
	t.end = extended_end(o, m);
	if (o->start && now < t.end)
		return MCU_MEETING_LIVE;
	return mcu_timeline_state(&t, now);
}

bool mcu_override_may_start(const struct mcu_override *o,
                            const struct mcu_conf_meeting *m, time_t now)
{
	enum mcu_meeting_state st = mcu_override_state(o, m, now);
	if (st == MCU_MEETING_LIVE)
		return false;
	if (o && o->stop)
		return now < extended_end(o, m);
	return st != MCU_MEETING_ENDED;
}

/* ---- the file ---- */

char *mcu_overrides_dump(const struct mcu_override *v, size_t n)
{
	json_t *arr = json_array(), *doc;
	char *text;
	for (size_t i = 0; arr && i < n; i++) {
		if (json_array_append_new(
		        arr, json_pack(
		                 "{s:s,s:b,s:I,s:b,s:I,s:I}", "meeting",
		                 v[i].id, "start", v[i].start, "started_at",
		                 (json_int_t)v[i].started_at, "stop", v[i].stop,
		                 "stopped_at", (json_int_t)v[i].stopped_at,
		                 "extend_minutes", (json_int_t)v[i].extend))) {
			json_decref(arr);
			arr = NULL;
		}
	}
	if (!arr)
		return NULL;
	doc = json_pack("{s:i,s:o}", "version", 1, "overrides", arr);
	if (!doc)
		return NULL;
	text = json_dumps(doc, JSON_INDENT(1) | JSON_SORT_KEYS);
	json_decref(doc);
	return text;
}

/* One entry of the file; false when it is to be skipped. */
static bool parse_entry(const json_t *e, struct mcu_override *o)
{
	const char *id = json_string_value(json_object_get(e, "meeting"));
	json_t *start = json_object_get(e, "start");
	json_t *stop = json_object_get(e, "stop");
	json_t *sa = json_object_get(e, "started_at");
	json_t *so = json_object_get(e, "stopped_at");
	json_t *ext = json_object_get(e, "extend_minutes");

	memset(o, 0, sizeof(*o));
	if (!json_is_object(e) || !id || !*id || strlen(id) >= sizeof(o->id))
		return false;
	if ((start && !json_is_boolean(start)) ||
	    (stop && !json_is_boolean(stop)) || (sa && !json_is_integer(sa)) ||
	    (so && !json_is_integer(so)) || (ext && !json_is_integer(ext)))
		return false;
	if (json_integer_value(sa) < 0 || json_integer_value(so) < 0 ||
	    json_integer_value(ext) < 0 ||
	    json_integer_value(ext) > (json_int_t)MCU_OVERRIDES_MAX_EXTEND)
		return false;
	snprintf(o->id, sizeof(o->id), "%s", id);
	o->start = json_is_true(start);
	o->stop = json_is_true(stop);
	o->started_at = (time_t)json_integer_value(sa);
	o->stopped_at = (time_t)json_integer_value(so);
	o->extend = (unsigned)json_integer_value(ext);
	return o->start || o->stop || o->extend;
}

int mcu_overrides_parse(const char *text, size_t len, struct mcu_override **vp,
                        size_t *np)
{
	json_t *doc = json_loadb(text, len, JSON_REJECT_DUPLICATES, NULL);
	json_t *arr = json_object_get(doc, "overrides");
	json_t *ver = json_object_get(doc, "version");
	struct mcu_override *v;
	size_t n = 0, i;
	json_t *e;

	if (!json_is_array(arr) || !json_is_integer(ver) ||
	    json_integer_value(ver) != 1) {
		json_decref(doc);
		return EINVAL;
	}
	v = calloc(json_array_size(arr) + 1, sizeof(*v));
	if (!v) {
		json_decref(doc);
		return ENOMEM;
	}
	json_array_foreach(arr, i, e)
	{
		if (n == MAX_ENTRIES)
			break;
		if (!parse_entry(e, &v[n]))
			continue;
		bool dup = false;
		for (size_t k = 0; k < n && !dup; k++)
			dup = !strcmp(v[k].id, v[n].id);
		n += !dup;
	}
	json_decref(doc);
	*vp = v;
	*np = n;
	return 0;
}

/* Read the whole file: 0, ENOENT, EFBIG or the errno. */
static int read_file(const char *path, char **textp, size_t *lenp)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t len = 0, cap = 0;
	int err = 0;
	if (!f)
		return errno;
	for (;;) {
		if (len == cap) {
			char *n;
			if (cap >= MAX_FILE) {
				err = EFBIG;
				break;
			}
			cap = cap ? cap * 2 : 4096;
			n = realloc(buf, cap);
			if (!n) {
				err = ENOMEM;
				break;
			}
			buf = n;
		}
		size_t r = fread(buf + len, 1, cap - len, f);
		len += r;
		if (r == 0) {
			if (ferror(f))
				err = EIO;
			break;
		}
	}
	fclose(f);
	if (err) {
		free(buf);
		return err;
	}
	*textp = buf;
	*lenp = len;
	return 0;
}

/* Write the set as it is now; save_lock held, lock not held. */
static void save(struct mcu_overrides *o)
{
	char *text;
	int err;
	if (!o->path)
		return;
	pthread_mutex_lock(&o->lock);
	text = mcu_overrides_dump(o->v, o->n);
	pthread_mutex_unlock(&o->lock);
	err = text ? mcu_adhoc_save(o->path, text, strlen(text)) : ENOMEM;
	if (err)
		mcu_log_warn("%s: %s: the operators' changes are not kept "
		             "across a restart",
		             o->path, strerror(err));
	free(text);
}

/* ---- the set ---- */

int mcu_overrides_alloc(struct mcu_overrides **op, const char *path)
{
	struct mcu_overrides *o;
	if (!op)
		return EINVAL;
	o = calloc(1, sizeof(*o));
	if (!o)
		return ENOMEM;
	if (path && !(o->path = strdup(path))) {
		free(o);
		return ENOMEM;
	}
	pthread_mutex_init(&o->lock, NULL);
	pthread_mutex_init(&o->save_lock, NULL);
	*op = o;
	return 0;
}

struct mcu_overrides *mcu_overrides_free(struct mcu_overrides *o)
{
	if (!o)
		return NULL;
	pthread_mutex_destroy(&o->lock);
	pthread_mutex_destroy(&o->save_lock);
	free(o->v);
	free(o->path);
	free(o);
	return NULL;
}

int mcu_overrides_load(struct mcu_overrides *o, const struct mcu_conf *conf,
                       time_t now, size_t *keptp)
{
	struct mcu_override *v = NULL;
	size_t n = 0, kept = 0;
	char *text = NULL;
	size_t len = 0;
	int err;

	if (keptp)
		*keptp = 0;
	if (!o || !conf)
		return EINVAL;
	if (!o->path)
		return 0;
	err = read_file(o->path, &text, &len);
	if (err == ENOENT)
		return 0;
	if (err)
		return err;
	err = mcu_overrides_parse(text, len, &v, &n);
	free(text);
	if (err)
		return err;
	for (size_t i = 0; i < n; i++) {
		long mi = mcu_conf_meeting_index(conf, v[i].id);
		if (mi < 0) {
			mcu_log_info("%s: meeting %s is no longer in the "
			             "roster: its changes are dropped",
			             o->path, v[i].id);
			continue;
		}
		if (extended_end(&v[i], &conf->meetings[mi]) +
		        MCU_OVERRIDES_KEEP_S <=
		    now) {
			mcu_log_debug("%s: meeting %s ended long ago: dropped",
			              o->path, v[i].id);
			continue;
		}
		v[kept++] = v[i];
	}
	pthread_mutex_lock(&o->save_lock);
	pthread_mutex_lock(&o->lock);
	free(o->v);
	o->v = v;
	o->n = kept;
	pthread_mutex_unlock(&o->lock);
	if (kept != n)
		save(o);
	pthread_mutex_unlock(&o->save_lock);
	if (keptp)
		*keptp = kept;
	return 0;
}

/* lock held */
static struct mcu_override *find(struct mcu_overrides *o, const char *id)
{
	for (size_t i = 0; i < o->n; i++)
		if (!strcmp(o->v[i].id, id))
			return &o->v[i];
	return NULL;
}

bool mcu_overrides_get(struct mcu_overrides *o, const char *id,
                       struct mcu_override *out)
{
	struct mcu_override *f;
	if (!o || !id)
		return false;
	pthread_mutex_lock(&o->lock);
	f = find(o, id);
	if (f)
		*out = *f;
	pthread_mutex_unlock(&o->lock);
	return f != NULL;
}

/* lock held: the entry of `id`, created when missing. */
static struct mcu_override *find_or_add(struct mcu_overrides *o, const char *id)
{
	struct mcu_override *f = find(o, id), *n;
	if (f)
		return f;
	if (o->n >= MAX_ENTRIES)
		return NULL;
	n = realloc(o->v, (o->n + 1) * sizeof(*n));
	if (!n)
		return NULL;
	o->v = n;
	f = &o->v[o->n++];
	memset(f, 0, sizeof(*f));
	snprintf(f->id, sizeof(f->id), "%s", id);
	return f;
}

int mcu_overrides_apply(struct mcu_overrides *o, const char *id,
                        enum mcu_override_verb verb, unsigned minutes,
                        time_t now)
{
	struct mcu_override *f;
	int err = 0;

	if (!o || !id || !*id || strlen(id) >= sizeof(f->id) ||
	    (verb == MCU_OVERRIDE_EXTEND && (minutes < 1 || minutes > 1440)))
		return EINVAL;
	pthread_mutex_lock(&o->save_lock);
	pthread_mutex_lock(&o->lock);
	f = find_or_add(o, id);
	if (!f) {
		err = ENOMEM;
	} else if (verb == MCU_OVERRIDE_START) {
		if (!f->start)
			f->started_at = now;
		f->start = true;
		f->stop = false;
		f->stopped_at = 0;
	} else if (verb == MCU_OVERRIDE_STOP) {
		f->stop = true;
		f->stopped_at = now;
	} else if (f->extend + minutes > MCU_OVERRIDES_MAX_EXTEND) {
		err = ERANGE;
	} else {
		f->extend += minutes;
	}
	pthread_mutex_unlock(&o->lock);
	if (!err)
		save(o);
	pthread_mutex_unlock(&o->save_lock);
	return err;
}
