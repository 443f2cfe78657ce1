/*
 * roster: write a roster (docs roster-format) for N simulated endpoints
 * that a newcomer can start mcud on: endpoints sim001..simNNN, SIP URIs
 * sip:simNNN@HOST (one address, distinct users: the MCU tells callers by
 * the From user and host), allow lists of that address, and one meeting,
 * live from a few minutes ago, with sim001 as host and the rest as
 * branches, dial-in, chaired floor.
 *
 * Pure apart from the FILE it writes to; the times are given by the caller
 * (already in the roster's time zone). Also: which endpoints of a loaded
 * roster a run plays (mcu_sim_roster_pick). Callers: tools/mcu-sim main
 * and sim, tests.
 */
#ifndef MCU_SIM_ROSTER_H
#define MCU_SIM_ROSTER_H

#include <stdint.h>
#include <stdio.h>
#include <time.h>

struct mcu_sim_roster {
	unsigned count;            /* endpoints, 2..999 */
	const char *addr;          /* endpoints' and MCU's address */
	uint16_t sip_port;         /* MCU's SIP port */
	uint16_t api_port;         /* MCU's API port */
	const char *meeting;       /* meeting id */
	const char *host_name;     /* the host's display name; NULL: default */
	const char *host_layout;   /* NULL: by count (grid-2x2..tour-4x4) */
	const char *branch_layout; /* NULL: host+floor */
	const char *floor;         /* NULL: chaired */
	const char *timezone;      /* NULL: Asia/Ho_Chi_Minh */
	const char *logbook;       /* NULL: mcud's default */
	const char *preset;        /* x264 preset; NULL: ultrafast */
	unsigned fps;              /* MCU output; 0: 30 */
	unsigned bandwidth_kbps;   /* 0: 2048 */
	/* branch i (1-based) gets branch_kbps[(i - 1) % n_branch_kbps]
	   when n_branch_kbps > 0 (bitrate tiers), the host host_kbps
	   (0: bandwidth_kbps) */
	const unsigned *branch_kbps;
	size_t n_branch_kbps;
	unsigned host_kbps;
	const char *dial;       /* "in" (NULL) or "out" */
	uint16_t endpoint_port; /* endpoints' SIP port in their URIs; 0:
	                           none (5060) */
	unsigned tour_seconds;  /* 0: 10 */
	struct tm start, end;   /* meeting window, local time of timezone */
	struct tm announced;    /* date of the notice */
};

/* Host layout for `count` endpoints when none is given. */
const char *mcu_sim_roster_host_layout(unsigned count);

/* Id of endpoint i (0-based): "sim001"... into buf. */
void mcu_sim_roster_id(unsigned i, char *buf, size_t size);

/* Write the roster; returns 0, EINVAL (bad count or missing field) or EIO. */
int mcu_sim_roster_write(const struct mcu_sim_roster *r, FILE *out);

struct mcu_conf;

/*
 * The endpoints a run plays, as indices into conf->endpoints (roster
 * order kept):
 * - `list` NULL: the host, then the branches of meeting `meeting`;
 * - else `list` is comma-separated endpoint ids, taken in that order;
 *   the element "all" stands, at its place, for every endpoint with a
 *   SIP URI (user@host) that the list does not name elsewhere. The
 *   meeting need not be in the roster (an ad-hoc meeting of the API).
 * `count` > 0 keeps the first `count`. On success *idxp is a malloc()ed
 * array of *np indices and 0 is returned; else ENOENT (no such meeting),
 * EINVAL (unknown or repeated id, "all" twice, an empty element, more
 * asked than there are) or ENOMEM, with a message in `why`.
 */
int mcu_sim_roster_pick(const struct mcu_conf *conf, const char *meeting,
                        const char *list, unsigned count, size_t **idxp,
                        size_t *np, char *why, size_t why_len);

#endif
