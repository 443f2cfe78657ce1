/*
 * rtp_history: NACK retransmission ring (see rtp_history.h).
 *
 * Indexed by seq modulo capacity: the slot either holds that exact seq
 * or something else (then the seq is unknown). Header bytes are copied
 * (small, per output); payload bytes are shared by reference.
 */
#include "transport/rtp_history.h"
#include "conf/pi_mutex.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

struct entry {
	bool used;
	uint16_t seq;
	uint8_t hdr_len;
	uint8_t hdr[MCU_RTP_HISTORY_HDR];
	struct mcu_pkt *body;
	size_t off;
	size_t len;
	int64_t sent_us;
};

struct mcu_rtp_history {
	pthread_mutex_t lock;
	unsigned mask;
	int64_t max_age_us;
	struct entry *ring; /* guarded by lock */
};

int mcu_rtp_history_alloc(struct mcu_rtp_history **hp, unsigned capacity,
                          unsigned max_age_ms)
{
	struct mcu_rtp_history *h;
	int err;

	if (!capacity)
		capacity = 512;
	if (!hp || capacity < 16 || capacity > 4096 ||
	    (capacity & (capacity - 1)))
		return EINVAL;
	h = calloc(1, sizeof(*h));
	if (!h)
		return ENOMEM;
	h->ring = calloc(capacity, sizeof(*h->ring));
	if (!h->ring) {
		err = ENOMEM;
		goto out;
	}
	err = mcu_mutex_init_pi(&h->lock);
	if (err)
		goto out;
	h->mask = capacity - 1;
	h->max_age_us = (int64_t)(max_age_ms ? max_age_ms : 2000) * 1000;
	*hp = h;
	return 0;
out:
	free(h->ring);
	free(h);
	return err;
}

struct mcu_rtp_history *mcu_rtp_history_free(struct mcu_rtp_history *h)
{
	if (!h)
		return NULL;
	for (unsigned i = 0; i <= h->mask; i++)
		h->ring[i].body = mcu_pkt_put(h->ring[i].body);
	pthread_mutex_destroy(&h->lock);
	free(h->ring);
	free(h);
	return NULL;
}

int mcu_rtp_history_put(struct mcu_rtp_history *h, const uint8_t *hdr,
                        size_t hdr_len, struct mcu_pkt *body, size_t off,
                        size_t len, int64_t now_us)
{
	const uint8_t *rtp = hdr_len ? hdr : (body ? body->data + off : NULL);
	size_t rtp_len = hdr_len ? hdr_len : len;

	if (!h || (hdr_len &&
	           (hdr_len < 12 || hdr_len > MCU_RTP_HISTORY_HDR || !hdr)))
		return EINVAL;
	if ((len && !body) ||
	    (body && (off > body->len || len > body->len - off)))
		return EINVAL;
	if (!rtp || rtp_len < 12 || (rtp[0] >> 6) != 2)
		return EINVAL;
	uint16_t seq = (uint16_t)(rtp[2] << 8 | rtp[3]);
	struct mcu_pkt *old;

	pthread_mutex_lock(&h->lock);
	struct entry *e = &h->ring[seq & h->mask];
	old = e->body;
	e->used = true;
	e->seq = seq;
	e->hdr_len = (uint8_t)hdr_len;
	if (hdr_len)
		memcpy(e->hdr, hdr, hdr_len);
	e->body = len ? mcu_pkt_ref(body) : NULL;
	e->off = off;
	e->len = len;
	e->sent_us = now_us;
	pthread_mutex_unlock(&h->lock);
	mcu_pkt_put(old); /* outside the lock: may free */
	return 0;
}

int mcu_rtp_history_get(struct mcu_rtp_history *h, uint16_t seq, int64_t now_us,
                        uint8_t *buf, size_t size, size_t *len)
{
	int err = 0;

	if (!h || !buf || !len)
		return EINVAL;
	pthread_mutex_lock(&h->lock);
	struct entry *e = &h->ring[seq & h->mask];
	if (!e->used || e->seq != seq || now_us - e->sent_us > h->max_age_us) {
		err = ENOENT;
	} else if (size < e->hdr_len + e->len) {
		err = ENOSPC;
	} else {
		memcpy(buf, e->hdr, e->hdr_len);
		if (e->len)
			memcpy(buf + e->hdr_len, e->body->data + e->off,
			       e->len);
		*len = e->hdr_len + e->len;
	}
	pthread_mutex_unlock(&h->lock);
	return err;
}
