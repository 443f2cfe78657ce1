/*
 * privdrop: run mcud as an unprivileged user after it has bound its
 * listeners (docs/security.md, "Running unprivileged"). The daemon is
 * started as root only when it must bind a port below 1024 (SIP 5060 is
 * above, so normally it is not); with `mcud --user NAME [--group NAME]`
 * (or mcu.user / mcu.group in the configuration; the command line wins)
 * it resolves the user at start (an unknown name fails before anything
 * is bound), binds SIP and the API, hands its run directory to the user,
 * then drops: supplementary groups to the one group, gid, uid, and checks
 * that root cannot be regained. Every thread follows (glibc applies
 * set*id process-wide), so threads started earlier hold no privilege
 * either; everything opened later (logbook, recordings, RTP ports,
 * password files at each INVITE) is opened as that user.
 *
 * Caller: mcu/daemon.c (resolve in mcu_daemon_alloc, apply after the
 * listeners are bound), mcu/main.c (options).
 */
#ifndef MCU_PRIVDROP_H
#define MCU_PRIVDROP_H

#include <stdbool.h>
#include <sys/types.h>

struct mcu_privdrop {
	bool wanted;
	uid_t uid;
	gid_t gid;
	char user[64];
};

/*
 * Look user (and group, NULL: the user's primary group) up. Returns 0,
 * ENOENT (no such user or group), EINVAL (name too long), EPERM (not
 * root and not already that user: cannot switch).
 */
int mcu_privdrop_resolve(struct mcu_privdrop *p, const char *user,
                         const char *group);

/* Give `path` (a directory mcud writes) and what it holds to the user
 * (symbolic links are not followed, other file systems not entered);
 * no-op when not wanted or not root. 0 or an errno. Not thread-safe. */
int mcu_privdrop_chown(const struct mcu_privdrop *p, const char *path);

/* Drop to the resolved user: setgroups, setgid, setuid, then check that
 * setuid(0) fails. 0, or the errno of what failed (the caller must stop:
 * running as root by accident is not an option). No-op when not wanted. */
int mcu_privdrop_apply(const struct mcu_privdrop *p);

#endif
