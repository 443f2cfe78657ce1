/*
 * snapshot: a reference-counted holder of one immutable configuration
 * (struct mcu_conf from conf/config.h). The daemon keeps the current one;
 * a reload builds a new snapshot and swaps it in, and whoever still holds
 * the old one (a meeting that started under it, an API request in flight)
 * keeps reading it until it puts its reference.
 */
#ifndef MCU_SNAPSHOT_H
#define MCU_SNAPSHOT_H

#include "conf/config.h"

struct mcu_snapshot {
	const struct mcu_conf *conf; /* immutable */
	unsigned long generation;    /* 1 for the first load, +1 per reload */
};

/* Wrap `conf` (ownership moves in) with one reference. 0 or ENOMEM. */
int mcu_snapshot_alloc(struct mcu_snapshot **snapp, struct mcu_conf *conf,
                       unsigned long generation);

/* A new reference to `snap`. */
struct mcu_snapshot *mcu_snapshot_get(struct mcu_snapshot *snap);

/* Drop a reference; the last one frees the configuration. Returns NULL. */
struct mcu_snapshot *mcu_snapshot_put(struct mcu_snapshot *snap);

#endif
