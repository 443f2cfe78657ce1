/*
 * Resource limits.
 *
 * Why caps rather than "do the best it can": a meeting is one shared
 * clock. One decoder or encoder too many on a full machine makes every
 * tick late, and every participant's picture and sound stutter together.
 * Refusing the 121st caller (who can try again: Retry-After) or leaving a
 * newly shown tile paused keeps the 120 others whole.
 *
 * The calls are counted by mcu/sipcalls (which owns the table of calls)
 * and checked here; the decoders are a budget shared by the meetings'
 * video ticks: each tick takes what it wants now against what it held,
 * so one meeting's growth cannot starve another's existing decoders and
 * a stopped meeting gives its share back (want = 0).
 */
#define MCU_LOG_MODULE "limits"
#include "mcu/limits.h"
#include "conf/log.h"
#include "mcu/metrics.h"

#include <errno.h>

enum mcu_limit mcu_limits_check_call(const struct mcu_conf_limits *caps,
                                     const struct mcu_limits_use *use)
{
	if (!caps || !use)
		return MCU_LIMIT_NONE;
	if (caps->participants_per_meeting &&
	    use->participants >= caps->participants_per_meeting)
		return MCU_LIMIT_PARTICIPANTS;
	if (caps->calls && use->calls >= caps->calls)
		return MCU_LIMIT_CALLS;
	return MCU_LIMIT_NONE;
}

const char *mcu_limits_name(enum mcu_limit l)
{
	static const char *const names[MCU_LIMIT_COUNT] = {
	    "none", "participants_per_meeting", "calls", "decoders"};
	return (unsigned)l < MCU_LIMIT_COUNT ? names[l] : "none";
}

unsigned mcu_limits_cap(const struct mcu_conf_limits *caps, enum mcu_limit l)
{
	if (!caps)
		return 0;
	switch (l) {
	case MCU_LIMIT_PARTICIPANTS:
		return caps->participants_per_meeting;
	case MCU_LIMIT_CALLS:
		return caps->calls;
	case MCU_LIMIT_DECODERS:
		return caps->decoders;
	default:
		return 0;
	}
}

size_t mcu_limits_budget_take(size_t *used, unsigned cap, size_t *held,
                              size_t want)
{
	size_t cur = __atomic_load_n(used, __ATOMIC_RELAXED), grant, next;

	do {
		/* others' share; never below 0 even if a holder lied */
		size_t others = cur > *held ? cur - *held : 0;
		grant = want;
		if (cap && others + grant > cap)
			grant = others < cap ? cap - others : 0;
		next = others + grant;
	} while (!__atomic_compare_exchange_n(
	    used, &cur, next, false, __ATOMIC_ACQ_REL, __ATOMIC_RELAXED));
	*held = grant;
	return grant;
}

/* ---- process-wide ---- */

static size_t g_decoders;         /* atomic: decoders held by all meetings */
static size_t g_calls, g_busiest; /* atomic */
static unsigned g_caps[MCU_LIMIT_COUNT];              /* atomic */
static unsigned long g_refused[MCU_LIMIT_COUNT];      /* atomic */
static unsigned long g_refused_seen[MCU_LIMIT_COUNT]; /* metrics thread */

size_t mcu_limits_decoders_take(unsigned cap, size_t *held, size_t want)
{
	__atomic_store_n(&g_caps[MCU_LIMIT_DECODERS], cap, __ATOMIC_RELAXED);
	return mcu_limits_budget_take(&g_decoders, cap, held, want);
}

void mcu_limits_configure(const struct mcu_conf_limits *caps)
{
	for (int l = MCU_LIMIT_PARTICIPANTS; caps && l < MCU_LIMIT_COUNT; l++)
		__atomic_store_n(&g_caps[l],
		                 mcu_limits_cap(caps, (enum mcu_limit)l),
		                 __ATOMIC_RELAXED);
}

void mcu_limits_note_calls(size_t calls, size_t busiest_meeting)
{
	__atomic_store_n(&g_calls, calls, __ATOMIC_RELAXED);
	__atomic_store_n(&g_busiest, busiest_meeting, __ATOMIC_RELAXED);
}

void mcu_limits_refused(enum mcu_limit l, unsigned cap, const char *meeting,
                        const char *endpoint, const char *how)
{
	if ((unsigned)l >= MCU_LIMIT_COUNT || l == MCU_LIMIT_NONE)
		return;
	__atomic_fetch_add(&g_refused[l], 1, __ATOMIC_RELAXED);
	mcu_log_warn("%s: %s refused (%s): limit %s = %u reached",
	             meeting ? meeting : "-", endpoint ? endpoint : "-",
	             how ? how : "call", mcu_limits_name(l), cap);
}

static size_t used_of(enum mcu_limit l)
{
	switch (l) {
	case MCU_LIMIT_PARTICIPANTS:
		return __atomic_load_n(&g_busiest, __ATOMIC_RELAXED);
	case MCU_LIMIT_CALLS:
		return __atomic_load_n(&g_calls, __ATOMIC_RELAXED);
	case MCU_LIMIT_DECODERS:
		return __atomic_load_n(&g_decoders, __ATOMIC_RELAXED);
	default:
		return 0;
	}
}

static unsigned cap_of(const struct mcu_conf_limits *caps, enum mcu_limit l)
{
	return caps ? mcu_limits_cap(caps, l)
	            : __atomic_load_n(&g_caps[l], __ATOMIC_RELAXED);
}

json_t *mcu_limits_json(const struct mcu_conf_limits *caps)
{
	json_t *j = json_object(), *refused = json_object();

	if (!j || !refused)
		goto fail;
	mcu_limits_configure(caps);
	for (int i = MCU_LIMIT_PARTICIPANTS; i < MCU_LIMIT_COUNT; i++) {
		enum mcu_limit l = (enum mcu_limit)i;
		json_t *o =
		    json_pack("{s:I,s:I}", "max", (json_int_t)cap_of(caps, l),
		              "used", (json_int_t)used_of(l));
		if (!o || json_object_set_new(j, mcu_limits_name(l), o) ||
		    json_object_set_new(
		        refused, mcu_limits_name(l),
		        json_integer((json_int_t)__atomic_load_n(
		            &g_refused[l], __ATOMIC_RELAXED))))
			goto fail;
	}
	if (json_object_set_new(j, "refused", refused) == 0)
		return j;
	refused = NULL;
fail:
	json_decref(refused);
	json_decref(j);
	return NULL;
}

/* ---- metrics ---- */

static struct mcu_metric_family *f_cap, *f_used, *f_refused;

static void collect(void *arg)
{
	(void)arg;
	for (int i = MCU_LIMIT_PARTICIPANTS; i < MCU_LIMIT_COUNT; i++) {
		enum mcu_limit l = (enum mcu_limit)i;
		const char *v[] = {mcu_limits_name(l)};
		struct mcu_metric *s;
		if ((s = mcu_metric_get(f_cap, v, 1))) {
			mcu_metric_set(s, (double)cap_of(NULL, l));
			mcu_metric_put(s);
		}
		if ((s = mcu_metric_get(f_used, v, 1))) {
			mcu_metric_set(s, (double)used_of(l));
			mcu_metric_put(s);
		}
		unsigned long r =
		    __atomic_load_n(&g_refused[l], __ATOMIC_RELAXED);
		if ((s = mcu_metric_get(f_refused, v, 1))) {
			if (r > g_refused_seen[l])
				mcu_metric_add(s,
				               (double)(r - g_refused_seen[l]));
			g_refused_seen[l] = r;
			mcu_metric_put(s);
		}
	}
}

int mcu_limits_metrics_register(struct mcu_metrics *m)
{
	static const char *const labels[] = {"limit", NULL};
	int err;
	if (!m)
		return EINVAL;
	err = mcu_metrics_register(m, MCU_METRIC_GAUGE, "mcu_limit",
	                           "Cap of a resource limit (mcu.limits; 0: "
	                           "none)",
	                           labels, NULL, 0, &f_cap);
	if (!err)
		err =
		    mcu_metrics_register(m, MCU_METRIC_GAUGE, "mcu_limit_used",
		                         "Current use of a resource limit "
		                         "(participants_per_meeting: the "
		                         "busiest meeting)",
		                         labels, NULL, 0, &f_used);
	if (!err)
		err = mcu_metrics_register(m, MCU_METRIC_COUNTER,
		                           "mcu_limit_refused_total",
		                           "Calls refused or sources left "
		                           "undecoded by a resource limit",
		                           labels, NULL, 0, &f_refused);
	if (!err) {
		for (int l = 0; l < MCU_LIMIT_COUNT; l++)
			g_refused_seen[l] = 0;
		err = mcu_metrics_on_collect(m, collect, NULL);
	}
	return err;
}

void mcu_limits_reset(void)
{
	__atomic_store_n(&g_decoders, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&g_calls, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&g_busiest, 0, __ATOMIC_RELAXED);
	for (int l = 0; l < MCU_LIMIT_COUNT; l++) {
		__atomic_store_n(&g_caps[l], 0, __ATOMIC_RELAXED);
		__atomic_store_n(&g_refused[l], 0, __ATOMIC_RELAXED);
		g_refused_seen[l] = 0;
	}
}
