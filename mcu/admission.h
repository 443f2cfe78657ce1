/*
 * admission: who may join which meeting by dialling in (docs/joining.md).
 * Pure policy over the roster snapshot: the SIP callback hands over what
 * the INVITE says (request-URI user, From user/host, source address), the
 * engine adds which meetings are running; the answer is "admit endpoint E
 * into meeting M as host/branch" or a SIP status with a reason phrase.
 *
 * Order of the checks, so that a stranger learns nothing about meetings:
 *   1. the caller: an endpoint whose sip URI matches the From user and
 *      host (host case-insensitive; an endpoint whose sip URI has no user
 *      part matches on the host alone; an exact user match wins over a
 *      host-only one).  None: 403 "Unknown endpoint" -- whatever the
 *      request-URI and the source address say.
 *   2. its source address must lie in that endpoint's `allow` list, else
 *      403 "Source address not allowed".
 *   3. the meeting: the request-URI user is a meeting id (case-insensitive,
 *      ids are lower case) or a conference `number` in plain decimal.
 *      None: 404 "No such meeting". Meetings that do not overlap may
 *      share a number: the running one is meant, else the next to start,
 *      else the one that ended last.
 *   4. the endpoint must be the meeting's host or one of its branches,
 *      else 403 "Not a participant of this meeting".
 *   5. the meeting must be live or in its test-run window, else 480
 *      "Meeting not live".
 * From step 2 on the caller is identified: when the endpoint has `auth`,
 * the decision says so (auth_required, user, password file) even for a
 * rejection, and the engine checks the digest first (401 challenge) and
 * only then sends the 403/404/480, so only an authenticated endpoint
 * learns about meetings.
 *
 * A second call of an endpoint that is already in a meeting is admitted
 * like the first; replacing the old call is the engine's job.
 *
 * Passwords: struct mcu_admission_secrets caches the secret of each
 * password file (its first line, trimmed) keyed by path and validated by
 * stat() (device, inode, size, mtime, ctime): the SIP thread pays one
 * stat() per authenticated INVITE and reads the file only when it changed.
 * Secrets are never logged and are wiped from memory when dropped.
 *
 * Thread use: mcu_admission_decide() and mcu_admission_source_known() only
 * read the snapshot (any thread); the secrets cache has its own mutex.
 */
#ifndef MCU_ADMISSION_H
#define MCU_ADMISSION_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "conf/config.h"
#include "mcu/timeline.h"

/* Reason phrases sent with the rejections (also in docs/joining.md). */
#define MCU_ADMISSION_REASON_UNKNOWN    "Unknown endpoint"
#define MCU_ADMISSION_REASON_SOURCE     "Source address not allowed"
#define MCU_ADMISSION_REASON_NO_MEETING "No such meeting"
#define MCU_ADMISSION_REASON_NOT_MEMBER "Not a participant of this meeting"
#define MCU_ADMISSION_REASON_NOT_LIVE   "Meeting not live"

/* Longest secret a password file may hold (bytes, without the NUL). */
#define MCU_ADMISSION_SECRET_MAX 255

enum mcu_admission_verdict {
	MCU_ADMIT_ACCEPT = 0,         /* 200 */
	MCU_ADMIT_UNKNOWN_ENDPOINT,   /* 403 */
	MCU_ADMIT_SOURCE_NOT_ALLOWED, /* 403 */
	MCU_ADMIT_NO_SUCH_MEETING,    /* 404 */
	MCU_ADMIT_NOT_PARTICIPANT,    /* 403 */
	MCU_ADMIT_NOT_LIVE,           /* 480 */
};

enum mcu_admission_role {
	MCU_ADMIT_ROLE_NONE = 0,
	MCU_ADMIT_ROLE_HOST,
	MCU_ADMIT_ROLE_BRANCH,
};

struct mcu_admission_request {
	const char *ruri_user; /* meeting id or conference number */
	const char *from_user; /* "" or NULL when the From URI has none */
	const char *from_host;
	const char *src_addr; /* numeric IPv4 or IPv6 ("[...]", "%zone" and
	                         IPv4-mapped IPv6 are understood) */
	/*
	 * The state of every meeting right now, conf->n_meetings entries (the
	 * engine's view: a meeting the operator started early is LIVE, one it
	 * ended is ENDED). NULL: mcu_timeline_state() of each meeting at `now`.
	 */
	const enum mcu_meeting_state *states;
};

struct mcu_admission {
	enum mcu_admission_verdict verdict;
	int status;         /* 200, 403, 404 or 480 */
	const char *reason; /* static phrase ("OK" on accept) */
	long endpoint;      /* conf->endpoints index the From names (also
	                       for "Source address not allowed", for the
	                       log); -1 for "Unknown endpoint" */
	long meeting;       /* conf->meetings index; -1 if none */
	enum mcu_admission_role role;
	enum mcu_meeting_state state; /* of the meeting, when found */
	/* Digest authentication, whenever the caller is identified (From and
	   source address match; even when the verdict is a rejection, see
	   above). Borrowed from the snapshot. */
	bool auth_required;
	const char *auth_user;
	const char *auth_password_file;
};

/*
 * Decide on one dial-in. Fills *out completely and returns 0; EINVAL when
 * conf, req or out is NULL (out then untouched). Cost: O(endpoints +
 * meetings + the meeting's branches); no allocation, no I/O.
 */
int mcu_admission_decide(const struct mcu_conf *conf, time_t now,
                         const struct mcu_admission_request *req,
                         struct mcu_admission *out);

/*
 * Whether `addr` lies in any endpoint's allow list: a cheap first filter
 * for INVITE floods (an address outside every list is nobody's). False for
 * an address that does not parse. O(endpoints x allow entries).
 */
bool mcu_admission_source_known(const struct mcu_conf *conf, const char *addr);

const char *mcu_admission_verdict_name(enum mcu_admission_verdict v);
const char *mcu_admission_role_name(enum mcu_admission_role role);

/* The cache of password-file secrets (see the comment at the top). */
struct mcu_admission_secrets;

/* 0 or ENOMEM. */
int mcu_admission_secrets_alloc(struct mcu_admission_secrets **sp);
/* Wipe and free every cached secret; returns NULL. */
struct mcu_admission_secrets *
mcu_admission_secrets_free(struct mcu_admission_secrets *s);

/*
 * Copy the secret of password file `path` into buf (NUL-terminated).
 * Returns 0; the errno of stat()/open()/read() (ENOENT, EACCES...);
 * EINVAL for a file that is not a regular file or a NULL argument;
 * ENODATA when its first line is empty; EMSGSIZE when the secret is longer
 * than MCU_ADMISSION_SECRET_MAX; ENOSPC when buf is too small. On error
 * buf holds "" (when size > 0). A file that changed is read again.
 */
int mcu_admission_secret(struct mcu_admission_secrets *s, const char *path,
                         char *buf, size_t size);

/* How many times a file was actually read (for metrics and tests). */
unsigned long
mcu_admission_secrets_reads(const struct mcu_admission_secrets *s);

#endif
