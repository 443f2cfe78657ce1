/*
 * pkt: reference-counted packet buffers (see pkt.h).
 */
#include "transport/pkt.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int mcu_pkt_alloc(struct mcu_pkt **pktp, size_t cap)
{
	struct mcu_pkt *p;

	if (!pktp || cap == 0 || cap > MCU_PKT_MAX_SIZE)
		return EINVAL;
	p = malloc(sizeof(*p) + cap);
	if (!p)
		return ENOMEM;
	p->data = p->buf;
	p->len = 0;
	p->cap = cap;
	__atomic_store_n(&p->refs_, 1, __ATOMIC_RELAXED);
	*pktp = p;
	return 0;
}

int mcu_pkt_dup(struct mcu_pkt **pktp, const void *data, size_t len)
{
	struct mcu_pkt *p = NULL;
	int err;

	if (!data && len)
		return EINVAL;
	err = mcu_pkt_alloc(&p, len ? len : 1);
	if (err)
		return err;
	if (len)
		memcpy(p->data, data, len);
	p->len = len;
	*pktp = p;
	return 0;
}

struct mcu_pkt *mcu_pkt_ref(struct mcu_pkt *pkt)
{
	if (pkt)
		__atomic_add_fetch(&pkt->refs_, 1, __ATOMIC_RELAXED);
	return pkt;
}

struct mcu_pkt *mcu_pkt_put(struct mcu_pkt *pkt)
{
	if (pkt && __atomic_sub_fetch(&pkt->refs_, 1, __ATOMIC_ACQ_REL) == 0)
		free(pkt);
	return NULL;
}

unsigned mcu_pkt_refs(const struct mcu_pkt *pkt)
{
	return pkt ? __atomic_load_n(&pkt->refs_, __ATOMIC_ACQUIRE) : 0;
}
