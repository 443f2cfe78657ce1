/*
 * Dial-out policy of one meeting.
 *
 * Pacing is a token bucket kept in integer "milli-INVITEs": an INVITE
 * costs 1000, the bucket gains `rate` per millisecond and holds at most
 * burst * 1000. With burst 1 consecutive INVITEs are at least 1000/rate ms
 * apart, whatever the poll rhythm: a late poll does not send a catch-up
 * burst, it only loses the slots it missed. That is what keeps a meeting
 * of 100 branches from hitting the network (and the terminals' shared
 * uplinks) with 100 INVITEs in one go. The engine arms its timer with
 * mcu_dialout_next_wakeup().
 *
 * The list is small (a meeting has at most a few hundred endpoints) so
 * every choice is a linear scan: no heap to keep in step with the states.
 */
#define MCU_LOG_MODULE "dialout"
#include "mcu/dialout.h"
#include "conf/log.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define COST 1000 /* one INVITE, in bucket units */

struct slot {
	size_t endpoint;
	enum mcu_dialout_state state;
	bool wanted;    /* redial when it drops */
	bool op_hungup; /* the operator hung it up */
	unsigned attempts, run_attempts;
	unsigned run_limit; /* 0: unlimited */
	bool persistent;    /* no attempt limit (a cascade link) */
	int last_status;
	char last_reason[64];
	int64_t next_at; /* QUEUED/BACKOFF: due; DIALING: ring deadline */
	int64_t since;
	uint32_t token;
};

struct mcu_dialout {
	struct mcu_dialout_params p;
	struct slot *s;
	size_t n;
	size_t outstanding; /* slots in DIALING */
	bool running;       /* between start() and stop() */
	uint32_t next_token;
	int64_t credit;    /* bucket units */
	int64_t credit_at; /* time of the last refill */
	bool credit_set;
};

static unsigned def(unsigned v, unsigned d)
{
	return v ? v : d;
}

static void resolve(struct mcu_dialout_params *p,
                    const struct mcu_dialout_params *in)
{
	struct mcu_dialout_params z;
	memset(&z, 0, sizeof(z));
	if (!in)
		in = &z;
	p->rate = def(in->rate, 50);
	if (p->rate > 100000)
		p->rate = 100000;
	p->burst = def(in->burst, 1);
	if (p->burst > 100000)
		p->burst = 100000;
	p->max_outstanding = def(in->max_outstanding, 50);
	p->ring_timeout_ms = def(in->ring_timeout_ms, 30000);
	p->backoff_first_ms = def(in->backoff_first_ms, 5000);
	p->backoff_max_ms = def(in->backoff_max_ms, 60000);
	if (p->backoff_max_ms < p->backoff_first_ms)
		p->backoff_max_ms = p->backoff_first_ms;
	p->start_attempts = def(in->start_attempts, 5);
	p->redial_attempts = in->redial_attempts; /* 0 = unlimited */
}

int mcu_dialout_alloc(struct mcu_dialout **dp, const size_t *endpoints,
                      size_t n, const struct mcu_dialout_params *params)
{
	struct mcu_dialout *d;

	if (!dp || (n && !endpoints) || n > SIZE_MAX / sizeof(struct slot))
		return EINVAL;
	d = calloc(1, sizeof(*d));
	if (!d)
		return ENOMEM;
	if (n) {
		d->s = calloc(n, sizeof(*d->s));
		if (!d->s) {
			free(d);
			return ENOMEM;
		}
	}
	resolve(&d->p, params);
	d->n = n;
	d->next_token = 1;
	for (size_t i = 0; i < n; i++) {
		d->s[i].endpoint = endpoints[i];
		d->s[i].state = MCU_DIALOUT_IDLE;
		d->s[i].last_status = -1;
		d->s[i].next_at = -1;
	}
	*dp = d;
	return 0;
}

int mcu_dialout_alloc_meeting(struct mcu_dialout **dp,
                              const struct mcu_conf *conf, size_t meeting,
                              const struct mcu_dialout_params *params)
{
	const struct mcu_conf_meeting *m;
	size_t *list, n = 0;
	int err;

	if (!dp || !conf || meeting >= conf->n_meetings)
		return EINVAL;
	m = &conf->meetings[meeting];
	list = calloc(m->n_branches + 1, sizeof(*list));
	if (!list)
		return ENOMEM;
	for (size_t i = 0; i <= m->n_branches; i++) {
		size_t e = i == 0 ? m->host_index : m->branches[i - 1];
		/* a cascade link that calls us is never called */
		if (e < conf->n_endpoints && conf->endpoints[e].sip &&
		    conf->endpoints[e].cascade != MCU_CASCADE_IN)
			list[n++] = e;
	}
	/* The roster's pacing unless the caller sets its own. */
	struct mcu_dialout_params rp = {.rate = conf->sip_dial_rate,
	                                .max_outstanding =
	                                        conf->sip_dial_max_ringing};
	err = mcu_dialout_alloc(dp, list, n, params ? params : &rp);
	free(list);
	return err;
}

struct mcu_dialout *mcu_dialout_free(struct mcu_dialout *d)
{
	if (d) {
		free(d->s);
		free(d);
	}
	return NULL;
}

static void set_state(struct slot *s, enum mcu_dialout_state st, int64_t now)
{
	s->state = st;
	s->since = now;
	if (st != MCU_DIALOUT_QUEUED && st != MCU_DIALOUT_BACKOFF &&
	    st != MCU_DIALOUT_DIALING)
		s->next_at = -1;
	if (st != MCU_DIALOUT_DIALING && st != MCU_DIALOUT_CONNECTED)
		s->token = 0;
}

/* Begin a run: the first attempt is due now. */
static void queue(struct slot *s, unsigned limit, int64_t now)
{
	s->run_attempts = 0;
	s->run_limit = s->persistent ? 0 : limit;
	set_state(s, MCU_DIALOUT_QUEUED, now);
	s->next_at = now;
}

void mcu_dialout_start(struct mcu_dialout *d, int64_t now)
{
	if (!d)
		return;
	d->running = true;
	for (size_t i = 0; i < d->n; i++) {
		struct slot *s = &d->s[i];
		if (s->state == MCU_DIALOUT_IDLE) {
			s->wanted = true;
			queue(s, d->p.start_attempts, now);
		} else if (s->state == MCU_DIALOUT_CONNECTED && !s->op_hungup) {
			s->wanted = true;
		}
	}
}

void mcu_dialout_stop(struct mcu_dialout *d, int64_t now)
{
	if (!d)
		return;
	d->running = false;
	for (size_t i = 0; i < d->n; i++) {
		struct slot *s = &d->s[i];
		s->wanted = false;
		s->op_hungup = false;
		if (s->state != MCU_DIALOUT_CONNECTED &&
		    s->state != MCU_DIALOUT_IDLE)
			set_state(s, MCU_DIALOUT_IDLE, now);
	}
	d->outstanding = 0;
}

bool mcu_dialout_status_retryable(int status)
{
	switch (status) {
	case 0:   /* transport failure */
	case 408: /* request timeout / no answer */
	case 480: /* temporarily unavailable */
	case 486: /* busy here */
	case 500: /* server internal error */
	case 503: /* service unavailable */
	case 504: /* server time-out */
	case 600: /* busy everywhere */
		return true;
	default:
		return false;
	}
}

static int64_t backoff_ms(const struct mcu_dialout_params *p, unsigned k)
{
	int64_t b = p->backoff_first_ms;
	for (unsigned i = 1; i < k && b < p->backoff_max_ms; i++)
		b *= 2;
	return b < p->backoff_max_ms ? b : p->backoff_max_ms;
}

static void set_reason(struct slot *s, int status, const char *reason)
{
	s->last_status = status;
	snprintf(s->last_reason, sizeof(s->last_reason), "%s",
	         reason ? reason : "");
}

/* The attempt in flight failed (s was DIALING; outstanding already
   decremented). */
static void attempt_failed(struct mcu_dialout *d, struct slot *s, int status,
                           const char *reason, int64_t now)
{
	set_reason(s, status, reason);
	if (!mcu_dialout_status_retryable(status)) {
		mcu_log_info("endpoint #%zu: final status %d %s: given up",
		             s->endpoint, status, s->last_reason);
		s->wanted = false;
		set_state(s, MCU_DIALOUT_GIVEN_UP, now);
		return;
	}
	if (s->run_limit && s->run_attempts >= s->run_limit) {
		mcu_log_info("endpoint #%zu: %u attempts failed (last %d): "
		             "given up",
		             s->endpoint, s->run_attempts, status);
		s->wanted = false;
		set_state(s, MCU_DIALOUT_GIVEN_UP, now);
		return;
	}
	set_state(s, MCU_DIALOUT_BACKOFF, now);
	s->next_at = now + backoff_ms(&d->p, s->run_attempts);
}

static void refill(struct mcu_dialout *d, int64_t now)
{
	int64_t cap = (int64_t)d->p.burst * COST;
	if (!d->credit_set) {
		d->credit = cap;
		d->credit_at = now;
		d->credit_set = true;
		return;
	}
	if (now <= d->credit_at)
		return;
	int64_t gain = now - d->credit_at; /* ms; rate >= 1 unit per ms, so */
	if (gain > cap)                    /* `cap` ms fill it anyway */
		gain = cap;
	d->credit += gain * d->p.rate;
	if (d->credit > cap)
		d->credit = cap;
	d->credit_at = now;
}

static bool waiting(const struct slot *s)
{
	return s->state == MCU_DIALOUT_QUEUED ||
	       s->state == MCU_DIALOUT_BACKOFF;
}

/* The waiting slot due earliest (<= now), or -1. */
static long next_due(const struct mcu_dialout *d, int64_t now)
{
	long best = -1;
	for (size_t i = 0; i < d->n; i++) {
		const struct slot *s = &d->s[i];
		if (!waiting(s) || s->next_at > now)
			continue;
		if (best < 0 || s->next_at < d->s[best].next_at)
			best = (long)i;
	}
	return best;
}

static uint32_t new_token(struct mcu_dialout *d)
{
	uint32_t t = d->next_token++;
	if (d->next_token == 0)
		d->next_token = 1;
	return t;
}

size_t mcu_dialout_poll(struct mcu_dialout *d, int64_t now,
                        struct mcu_dialout_action *out, size_t max)
{
	size_t k = 0;

	if (!d || (!out && max))
		return 0;
	for (size_t i = 0; i < d->n && k < max; i++) {
		struct slot *s = &d->s[i];
		if (s->state != MCU_DIALOUT_DIALING || s->next_at > now)
			continue;
		out[k++] =
		    (struct mcu_dialout_action){.kind = MCU_DIALOUT_CANCEL,
		                                .slot = i,
		                                .endpoint = s->endpoint,
		                                .token = s->token,
		                                .attempt = s->run_attempts};
		d->outstanding--;
		attempt_failed(d, s, 408, "No answer", now);
	}
	while (k < max && d->outstanding < d->p.max_outstanding) {
		refill(d, now);
		if (d->credit < COST)
			break;
		long i = next_due(d, now);
		if (i < 0)
			break;
		struct slot *s = &d->s[i];
		d->credit -= COST;
		d->outstanding++;
		s->attempts++;
		s->run_attempts++;
		set_state(s, MCU_DIALOUT_DIALING, now);
		s->token = new_token(d);
		s->next_at = now + d->p.ring_timeout_ms;
		out[k++] =
		    (struct mcu_dialout_action){.kind = MCU_DIALOUT_DIAL,
		                                .slot = (size_t)i,
		                                .endpoint = s->endpoint,
		                                .token = s->token,
		                                .attempt = s->run_attempts};
	}
	return k;
}

int64_t mcu_dialout_next_wakeup(const struct mcu_dialout *d, int64_t now)
{
	int64_t wake = INT64_MAX, due = INT64_MAX;

	if (!d)
		return INT64_MAX;
	for (size_t i = 0; i < d->n; i++) {
		const struct slot *s = &d->s[i];
		if (s->state == MCU_DIALOUT_DIALING && s->next_at < wake)
			wake = s->next_at;
		else if (waiting(s) && s->next_at < due)
			due = s->next_at;
	}
	if (due == INT64_MAX || d->outstanding >= d->p.max_outstanding)
		return wake;
	/* when the bucket holds one INVITE again */
	int64_t ready = now;
	if (d->credit_set) {
		int64_t credit = d->credit;
		int64_t at = d->credit_at > now ? d->credit_at : now;
		if (now > d->credit_at)
			credit += (now - d->credit_at) * (int64_t)d->p.rate;
		if (credit < COST)
			ready = at + (COST - credit + d->p.rate - 1) /
			                 (int64_t)d->p.rate;
	}
	if (due < ready)
		due = ready;
	return due < wake ? due : wake;
}

static struct slot *get(struct mcu_dialout *d, size_t slot)
{
	return d && slot < d->n ? &d->s[slot] : NULL;
}

int mcu_dialout_on_answered(struct mcu_dialout *d, size_t slot, uint32_t token,
                            int64_t now)
{
	struct slot *s = get(d, slot);
	if (!s)
		return EINVAL;
	if (s->state != MCU_DIALOUT_DIALING || s->token != token || !token)
		return ESTALE;
	d->outstanding--;
	set_state(s, MCU_DIALOUT_CONNECTED, now);
	return 0;
}

int mcu_dialout_on_failed(struct mcu_dialout *d, size_t slot, uint32_t token,
                          int status, const char *reason, int64_t now)
{
	struct slot *s = get(d, slot);
	if (!s)
		return EINVAL;
	if (s->state != MCU_DIALOUT_DIALING || s->token != token || !token)
		return ESTALE;
	d->outstanding--;
	if (status < 0)
		status = 0;
	attempt_failed(d, s, status, reason, now);
	return 0;
}

int mcu_dialout_on_dropped(struct mcu_dialout *d, size_t slot, uint32_t token,
                           int64_t now)
{
	struct slot *s = get(d, slot);
	if (!s)
		return EINVAL;
	if (s->state != MCU_DIALOUT_CONNECTED || s->token != token)
		return ESTALE;
	if (s->wanted) {
		mcu_log_info("endpoint #%zu dropped: redialling", s->endpoint);
		queue(s, d->p.redial_attempts, now);
	} else {
		set_state(s,
		          s->op_hungup ? MCU_DIALOUT_HUNG_UP : MCU_DIALOUT_IDLE,
		          now);
	}
	return 0;
}

int mcu_dialout_on_joined(struct mcu_dialout *d, size_t slot, int64_t now,
                          uint32_t *cancel_token)
{
	struct slot *s = get(d, slot);
	if (cancel_token)
		*cancel_token = 0;
	if (!s)
		return EINVAL;
	if (s->state == MCU_DIALOUT_DIALING)
		d->outstanding--;
	if ((s->state == MCU_DIALOUT_DIALING ||
	     s->state == MCU_DIALOUT_CONNECTED) &&
	    cancel_token)
		*cancel_token = s->token;
	set_state(s, MCU_DIALOUT_CONNECTED, now);
	s->token = 0;
	if (d->running && !s->op_hungup)
		s->wanted = true;
	return 0;
}

int mcu_dialout_set_persistent(struct mcu_dialout *d, size_t slot, bool on)
{
	struct slot *s = get(d, slot);
	if (!s)
		return EINVAL;
	s->persistent = on;
	if (on)
		s->run_limit = 0;
	return 0;
}

int mcu_dialout_operator_dial(struct mcu_dialout *d, size_t slot, int64_t now)
{
	struct slot *s = get(d, slot);
	if (!s)
		return EINVAL;
	if (s->state == MCU_DIALOUT_DIALING ||
	    s->state == MCU_DIALOUT_CONNECTED)
		return EALREADY;
	s->wanted = true;
	s->op_hungup = false;
	queue(s, d->p.start_attempts, now);
	return 0;
}

int mcu_dialout_operator_hangup(struct mcu_dialout *d, size_t slot, int64_t now,
                                uint32_t *hangup_token)
{
	struct slot *s = get(d, slot);
	if (hangup_token)
		*hangup_token = 0;
	if (!s)
		return EINVAL;
	if (s->state == MCU_DIALOUT_DIALING)
		d->outstanding--;
	if ((s->state == MCU_DIALOUT_DIALING ||
	     s->state == MCU_DIALOUT_CONNECTED) &&
	    hangup_token)
		*hangup_token = s->token;
	s->wanted = false;
	s->op_hungup = true;
	set_state(s, MCU_DIALOUT_HUNG_UP, now);
	return 0;
}

size_t mcu_dialout_count(const struct mcu_dialout *d)
{
	return d ? d->n : 0;
}

long mcu_dialout_slot(const struct mcu_dialout *d, size_t endpoint)
{
	for (size_t i = 0; d && i < d->n; i++)
		if (d->s[i].endpoint == endpoint)
			return (long)i;
	return -1;
}

int mcu_dialout_info(const struct mcu_dialout *d, size_t slot,
                     struct mcu_dialout_info *info)
{
	if (!d || slot >= d->n || !info)
		return EINVAL;
	const struct slot *s = &d->s[slot];
	info->endpoint = s->endpoint;
	info->state = s->state;
	info->wanted = s->wanted;
	info->attempts = s->attempts;
	info->run_attempts = s->run_attempts;
	info->last_status = s->last_status;
	info->last_reason = s->last_reason;
	info->next_at_ms = s->next_at;
	info->since_ms = s->since;
	info->token = s->token;
	return 0;
}

const char *mcu_dialout_state_name(enum mcu_dialout_state state)
{
	static const char *const names[] = {
	    "idle",    "queued",   "dialing", "connected",
	    "backoff", "given-up", "hung-up",
	};
	return (unsigned)state < sizeof(names) / sizeof(names[0]) ? names[state]
	                                                          : "?";
}
