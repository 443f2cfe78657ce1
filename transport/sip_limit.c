/*
 * sip_limit: token buckets per source address (sip_limit.h says what and
 * why). Tokens are counted in millionths of a request so that refilling
 * is integer arithmetic on elapsed microseconds: elapsed_us * rate.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>

#include "transport/sip_limit.h"

#define TOKEN     1000000LL /* one request */
#define PROBES    8
#define AGGREGATE 10 /* unknown sources together: 10 x rate and burst */

struct bucket {
	int64_t tokens; /* millionths of a request */
	int64_t last_us;
};

struct slot {
	bool used;
	uint8_t family;
	uint8_t addr[16];
	struct bucket b;
};

struct mcu_sip_limit {
	struct mcu_sip_limit_conf c;
	struct slot *slots; /* SIP thread only */
	size_t mask;
	struct bucket unknown_all;                         /* SIP thread only */
	uint64_t passed, limited_unknown, limited_allowed; /* atomics */
};

int mcu_sip_limit_alloc(struct mcu_sip_limit **lp,
                        const struct mcu_sip_limit_conf *conf)
{
	struct mcu_sip_limit *l;
	size_t n = 16;

	if (!lp || !conf)
		return EINVAL;
	l = calloc(1, sizeof(*l));
	if (!l)
		return ENOMEM;
	l->c = *conf;
	if (!l->c.burst)
		l->c.burst = l->c.rate;
	if (!l->c.allowed_burst)
		l->c.allowed_burst = l->c.allowed_rate;
	if (!l->c.max_sources)
		l->c.max_sources = 4096;
	if (l->c.max_sources > (1u << 20))
		l->c.max_sources = 1u << 20;
	while (n < l->c.max_sources)
		n <<= 1;
	l->slots = calloc(n, sizeof(*l->slots));
	if (!l->slots) {
		free(l);
		return ENOMEM;
	}
	l->mask = n - 1;
	l->unknown_all.tokens = (int64_t)l->c.burst * AGGREGATE * TOKEN;
	*lp = l;
	return 0;
}

struct mcu_sip_limit *mcu_sip_limit_free(struct mcu_sip_limit *l)
{
	if (l) {
		free(l->slots);
		free(l);
	}
	return NULL;
}

/* Refill b at `rate` up to `burst` requests, then take one if it can. */
static bool bucket_take(struct bucket *b, unsigned rate, unsigned burst,
                        int64_t now_us)
{
	int64_t cap = (int64_t)burst * TOKEN;
	int64_t dt = now_us - b->last_us;

	if (dt > 0) {
		/* Saturate: a long idle time refills the whole bucket. */
		if (dt > cap / ((int64_t)rate ? (int64_t)rate : 1))
			b->tokens = cap;
		else
			b->tokens += dt * (int64_t)rate;
		if (b->tokens > cap)
			b->tokens = cap;
	}
	b->last_us = now_us;
	if (b->tokens < TOKEN)
		return false;
	b->tokens -= TOKEN;
	return true;
}

static uint64_t hash_addr(const uint8_t *a, size_t n, uint8_t family)
{
	uint64_t h = 1469598103934665603ULL ^ family; /* FNV-1a */
	for (size_t i = 0; i < n; i++) {
		h ^= a[i];
		h *= 1099511628211ULL;
	}
	return h ^ (h >> 29);
}

/* The slot of this address, found or (re)claimed. */
static struct slot *lookup(struct mcu_sip_limit *l, uint8_t family,
                           const uint8_t *addr, size_t alen, unsigned burst,
                           int64_t now_us)
{
	size_t i = (size_t)hash_addr(addr, alen, family) & l->mask;
	struct slot *victim = NULL;

	for (int p = 0; p < PROBES; p++, i = (i + 1) & l->mask) {
		struct slot *s = &l->slots[i];
		if (s->used && s->family == family &&
		    !memcmp(s->addr, addr, alen))
			return s;
		if (!s->used) {
			if (!victim || victim->used)
				victim = s;
		} else if (!victim ||
		           (victim->used && s->b.last_us < victim->b.last_us)) {
			victim = s;
		}
	}
	memset(victim, 0, sizeof(*victim));
	victim->used = true;
	victim->family = family;
	memcpy(victim->addr, addr, alen);
	victim->b.tokens = (int64_t)burst * TOKEN;
	victim->b.last_us = now_us;
	return victim;
}

bool mcu_sip_limit_take(struct mcu_sip_limit *l, const struct sockaddr *src,
                        bool allowed, int64_t now_us)
{
	unsigned rate = 0, burst = 0;
	const uint8_t *addr;
	size_t alen;
	uint8_t family;

	if (l) {
		rate = allowed ? l->c.allowed_rate : l->c.rate;
		burst = allowed ? l->c.allowed_burst : l->c.burst;
	}
	if (!l || !src || rate == 0)
		goto pass;
	if (src->sa_family == AF_INET) {
		addr = (const uint8_t *)&((const struct sockaddr_in *)src)
		           ->sin_addr;
		alen = 4;
		family = 4;
	} else if (src->sa_family == AF_INET6) {
		addr = (const uint8_t *)&((const struct sockaddr_in6 *)src)
		           ->sin6_addr;
		alen = 16;
		family = 6;
	} else {
		goto pass;
	}
	struct slot *s = lookup(l, family, addr, alen, burst, now_us);
	bool ok = bucket_take(&s->b, rate, burst, now_us);
	/* The aggregate bucket is only spent by requests that pass their
	   own, so one loud source does not starve quieter unknown ones. */
	if (ok && !allowed)
		ok = bucket_take(&l->unknown_all, rate * AGGREGATE,
		                 burst * AGGREGATE, now_us);
	if (!ok) {
		__atomic_add_fetch(allowed ? &l->limited_allowed
		                           : &l->limited_unknown,
		                   1, __ATOMIC_RELAXED);
		return false;
	}
pass:
	if (l)
		__atomic_add_fetch(&l->passed, 1, __ATOMIC_RELAXED);
	return true;
}

void mcu_sip_limit_stats(const struct mcu_sip_limit *l,
                         struct mcu_sip_limit_stats *st)
{
	memset(st, 0, sizeof(*st));
	if (!l)
		return;
	st->passed = __atomic_load_n(&l->passed, __ATOMIC_RELAXED);
	st->limited_unknown =
	    __atomic_load_n(&l->limited_unknown, __ATOMIC_RELAXED);
	st->limited_allowed =
	    __atomic_load_n(&l->limited_allowed, __ATOMIC_RELAXED);
}
