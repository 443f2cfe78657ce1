/*
 * partinfo: who an endpoint of a watched meeting is (roster id, display
 * name, host or branch, the technician to call), kept per endpoint of a
 * meeting by mcu/watch (incidents) and mcu/readiness (the test-run
 * report). One table code for both: each keeps an array of its own
 * entries, each beginning with a struct mcu_partinfo. No locking: the
 * callers hold their own lock.
 */
#ifndef MCU_PARTINFO_H
#define MCU_PARTINFO_H

#include <stdbool.h>
#include <stddef.h>

struct mcu_conf;

struct mcu_partinfo {
	char *endpoint;               /* roster id (owned) */
	char *name;                   /* owned; NULL: none */
	char *tech_name, *tech_phone; /* technician (owned); NULL: unknown */
	bool host;
};

/*
 * The entry of `endpoint` in table `tab` of `*n` entries of `size`
 * bytes, each beginning with its struct mcu_partinfo. A missing entry is
 * added at the end, zeroed but for a copy of `endpoint`, and handed to
 * `init` (the caller's part of it: 0 or an errno; on failure the entry
 * is dropped again). Returns the table, moved when it grew (store it:
 * `tab` is then invalid), or NULL when it could not grow (`tab` is
 * unchanged); *index is the entry's index, or -1 on any failure.
 */
void *mcu_partinfo_get(void *tab, size_t *n, size_t size, const char *endpoint,
                       int (*init)(void *entry), long *index);

/* Take `host` and copies of the names (each replaced only when it
   differs). False when a name could not be copied (no memory): that
   name and the ones after it keep their old values. */
bool mcu_partinfo_update(struct mcu_partinfo *pi, bool host, const char *name,
                         const char *tech_name, const char *tech_phone);

/* Free the strings of an entry (not the entry). */
void mcu_partinfo_clear(struct mcu_partinfo *pi);

/* The contact to call about `endpoint` of `conf` (may be NULL): its
   technician, else its support contact. *name and *phone are left as
   they are when it has neither or is not in the roster. */
void mcu_partinfo_technician(const struct mcu_conf *conf, const char *endpoint,
                             const char **name, const char **phone);

#endif
