#define MCU_LOG_MODULE "snapshot"
#include "mcu/snapshot.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>

struct holder {
	struct mcu_snapshot pub; /* first: the public part */
	atomic_uint refs;
	struct mcu_conf *conf;
};

int mcu_snapshot_alloc(struct mcu_snapshot **snapp, struct mcu_conf *conf,
                       unsigned long generation)
{
	struct holder *h;
	if (!snapp || !conf)
		return EINVAL;
	h = calloc(1, sizeof(*h));
	if (!h)
		return ENOMEM;
	h->conf = conf;
	h->pub.conf = conf;
	h->pub.generation = generation;
	atomic_init(&h->refs, 1);
	*snapp = &h->pub;
	return 0;
}

struct mcu_snapshot *mcu_snapshot_get(struct mcu_snapshot *snap)
{
	struct holder *h = (struct holder *)snap;
	if (h)
		atomic_fetch_add(&h->refs, 1);
	return snap;
}

struct mcu_snapshot *mcu_snapshot_put(struct mcu_snapshot *snap)
{
	struct holder *h = (struct holder *)snap;
	if (h && atomic_fetch_sub(&h->refs, 1) == 1) {
		mcu_conf_free(h->conf);
		free(h);
	}
	return NULL;
}
