/*
 * sip_limit: per-source-address rate limits for out-of-dialog SIP requests
 * (INVITE, REGISTER, OPTIONS, ...), so that a flood from one address costs
 * mcud a hash lookup and a cheap answer instead of digest checks,
 * admission, SDP work and log lines (docs/security.md, "SIP flood limits").
 *
 * One token bucket per source address (the port is ignored: a flooder
 * changes it for free): `rate` requests a second with bursts of `burst`.
 * The caller says which class the source is in: a source inside some
 * endpoint's `allow` list gets the generous allowed_rate/allowed_burst,
 * any other source the strict rate/burst. Sources outside every allow list
 * also share one aggregate bucket (10 x rate, 10 x burst) so that a flood
 * spread over many (spoofed) addresses is bounded too. A rate of 0 turns
 * that class's limit off.
 *
 * The table is fixed-size (max_sources, rounded up to a power of two):
 * when the probed slots are all taken, the one idle longest is reused; an
 * evicted source starts again with a full bucket, which is what it would
 * have had after that idle time anyway for any source idle burst/rate
 * seconds.
 *
 * Threads: mcu_sip_limit_take() from one thread at a time (the SIP
 * thread); mcu_sip_limit_stats() from any thread. The clock is the
 * caller's (monotonic microseconds), so tests need no sleeping.
 */
#ifndef MCU_TRANSPORT_SIP_LIMIT_H
#define MCU_TRANSPORT_SIP_LIMIT_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

struct mcu_sip_limit;

struct mcu_sip_limit_conf {
	unsigned rate;          /* per unknown source, requests/s; 0: off */
	unsigned burst;         /* 0: rate */
	unsigned allowed_rate;  /* per source in an allow list; 0: off */
	unsigned allowed_burst; /* 0: allowed_rate */
	unsigned max_sources;   /* sources tracked; 0: 4096 */
};

struct mcu_sip_limit_stats {
	uint64_t passed;
	uint64_t limited_unknown; /* refused, source in no allow list */
	uint64_t limited_allowed; /* refused, source in some allow list */
};

/* 0, EINVAL (conf NULL) or ENOMEM; *lp set on success only. */
int mcu_sip_limit_alloc(struct mcu_sip_limit **lp,
                        const struct mcu_sip_limit_conf *conf);
/* Returns NULL. */
struct mcu_sip_limit *mcu_sip_limit_free(struct mcu_sip_limit *l);

/*
 * One request from src (AF_INET or AF_INET6; others pass) at now_us:
 * true when it may be processed, false when it is over the limit (then
 * counted). `allowed`: the source lies in some endpoint's allow list.
 */
bool mcu_sip_limit_take(struct mcu_sip_limit *l, const struct sockaddr *src,
                        bool allowed, int64_t now_us);

void mcu_sip_limit_stats(const struct mcu_sip_limit *l,
                         struct mcu_sip_limit_stats *st);

#endif
