/*
 * kfreq: key-frame request coalescing and rate limit (see kfreq.h).
 */
#include "transport/kfreq.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define FIR_SENDERS 32

struct fir_seen {
	uint32_t ssrc;
	uint8_t seq;
	bool used;
};

struct mcu_kfreq {
	pthread_mutex_t lock;
	int64_t interval_us;
	/* guarded by lock */
	bool pending;
	bool have_last;
	int64_t last_kf_us;
	bool prev_have_last; /* before the last due(): for defer() */
	int64_t prev_kf_us;
	unsigned fir_next;
	struct fir_seen fir[FIR_SENDERS];
	struct mcu_kfreq_stats st;
};

int mcu_kfreq_alloc(struct mcu_kfreq **kp, unsigned min_interval_ms)
{
	struct mcu_kfreq *k;
	int err;

	if (!kp)
		return EINVAL;
	k = calloc(1, sizeof(*k));
	if (!k)
		return ENOMEM;
	err = pthread_mutex_init(&k->lock, NULL);
	if (err) {
		free(k);
		return err;
	}
	k->interval_us = (int64_t)(min_interval_ms ? min_interval_ms
	                                           : MCU_KFREQ_DEFAULT_MS) *
	                 1000;
	*kp = k;
	return 0;
}

struct mcu_kfreq *mcu_kfreq_free(struct mcu_kfreq *k)
{
	if (k) {
		pthread_mutex_destroy(&k->lock);
		free(k);
	}
	return NULL;
}

void mcu_kfreq_request(struct mcu_kfreq *k, uint32_t ssrc, int64_t now_us)
{
	pthread_mutex_lock(&k->lock);
	k->pending = true;
	k->st.requests++;
	pthread_mutex_unlock(&k->lock);
}

/* The sender's FIR record (oldest replaced when full). */
static struct fir_seen *fir_slot(struct mcu_kfreq *k, uint32_t ssrc)
{
	for (unsigned i = 0; i < FIR_SENDERS; i++)
		if (k->fir[i].used && k->fir[i].ssrc == ssrc)
			return &k->fir[i];
	struct fir_seen *f = &k->fir[k->fir_next];
	k->fir_next = (k->fir_next + 1) % FIR_SENDERS;
	memset(f, 0, sizeof(*f));
	return f;
}

bool mcu_kfreq_fir(struct mcu_kfreq *k, uint32_t ssrc, uint8_t seq,
                   int64_t now_us)
{
	bool counted = true;

	pthread_mutex_lock(&k->lock);
	struct fir_seen *f = fir_slot(k, ssrc);
	if (f->used && f->seq == seq) {
		k->st.duplicates++;
		counted = false;
	} else {
		f->used = true;
		f->ssrc = ssrc;
		f->seq = seq;
		k->pending = true;
		k->st.requests++;
	}
	pthread_mutex_unlock(&k->lock);
	return counted;
}

bool mcu_kfreq_due(struct mcu_kfreq *k, int64_t now_us)
{
	bool due;

	pthread_mutex_lock(&k->lock);
	due = k->pending &&
	      (!k->have_last || now_us - k->last_kf_us >= k->interval_us);
	if (due) {
		k->pending = false;
		k->prev_have_last = k->have_last;
		k->prev_kf_us = k->last_kf_us;
		k->have_last = true;
		k->last_kf_us = now_us;
		k->st.keyframes++;
	}
	pthread_mutex_unlock(&k->lock);
	return due;
}

void mcu_kfreq_sent(struct mcu_kfreq *k, int64_t now_us)
{
	pthread_mutex_lock(&k->lock);
	k->pending = false;
	k->have_last = true;
	k->last_kf_us = now_us;
	k->st.keyframes++;
	pthread_mutex_unlock(&k->lock);
}

void mcu_kfreq_defer(struct mcu_kfreq *k)
{
	pthread_mutex_lock(&k->lock);
	k->pending = true;
	k->have_last = k->prev_have_last;
	k->last_kf_us = k->prev_kf_us;
	if (k->st.keyframes)
		k->st.keyframes--;
	k->st.deferred++;
	pthread_mutex_unlock(&k->lock);
}

size_t mcu_kfreq_spread(struct mcu_kfreq_want *w, size_t n, long budget)
{
	long used = 0;
	size_t granted = 0;

	for (size_t i = 0; i < n; i++) {
		w[i].grant = w[i].must;
		if (w[i].must) {
			used += w[i].area;
			granted++;
		}
	}
	/* pass 0: those put off last time (no one waits twice for another's
	 * newer request); pass 1: the rest, in the caller's order */
	for (int pass = 0; pass < 2; pass++)
		for (size_t i = 0; i < n; i++) {
			if (w[i].must || w[i].waited != (pass == 0))
				continue;
			if (granted && used + w[i].area > budget)
				continue;
			w[i].grant = true;
			used += w[i].area;
			granted++;
		}
	return n - granted;
}

void mcu_kfreq_stats(struct mcu_kfreq *k, struct mcu_kfreq_stats *st)
{
	pthread_mutex_lock(&k->lock);
	*st = k->st;
	pthread_mutex_unlock(&k->lock);
}
