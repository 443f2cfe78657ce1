/*
 * privdrop: see privdrop.h. Order matters: supplementary groups and the
 * gid go first, while we still have the privilege to change them; the uid
 * last. Afterwards setuid(0) must fail, else the drop did not happen.
 */
#include <errno.h>
#include <ftw.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mcu/privdrop.h"

#define MCU_LOG_MODULE "privdrop"
#include "conf/log.h"

int mcu_privdrop_resolve(struct mcu_privdrop *p, const char *user,
                         const char *group)
{
	struct passwd pw, *pwp = NULL;
	struct group gr, *grp = NULL;
	char buf[4096];
	int err;

	memset(p, 0, sizeof(*p));
	if (!user)
		return 0;
	if (strlen(user) >= sizeof(p->user))
		return EINVAL;
	err = getpwnam_r(user, &pw, buf, sizeof(buf), &pwp);
	if (!pwp)
		return err ? err : ENOENT;
	p->uid = pw.pw_uid;
	p->gid = pw.pw_gid;
	if (group) {
		err = getgrnam_r(group, &gr, buf, sizeof(buf), &grp);
		if (!grp)
			return err ? err : ENOENT;
		p->gid = gr.gr_gid;
	}
	if (geteuid() != 0 && (geteuid() != p->uid || getegid() != p->gid))
		return EPERM;
	snprintf(p->user, sizeof(p->user), "%s", user);
	p->wanted = true;
	return 0;
}

static uid_t chown_uid;
static gid_t chown_gid;

static int chown_one(const char *path, const struct stat *st, int flag,
                     struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	/* FTW_PHYS: symbolic links are changed themselves, never followed */
	return lchown(path, chown_uid, chown_gid) ? errno : 0;
}

int mcu_privdrop_chown(const struct mcu_privdrop *p, const char *path)
{
	if (!p->wanted || geteuid() != 0)
		return 0;
	chown_uid = p->uid; /* before threads use it: single caller */
	chown_gid = p->gid;
	int err = nftw(path, chown_one, 16, FTW_PHYS | FTW_MOUNT);
	return err < 0 ? errno : err;
}

int mcu_privdrop_apply(const struct mcu_privdrop *p)
{
	if (!p->wanted)
		return 0;
	if (geteuid() == 0) {
		if (setgroups(1, &p->gid) || setgid(p->gid) || setuid(p->uid)) {
			int err = errno;
			mcu_log_error("cannot become %s (uid %u): %s", p->user,
			              (unsigned)p->uid, strerror(err));
			return err;
		}
	}
	if (getuid() != p->uid || geteuid() != p->uid || getgid() != p->gid ||
	    getegid() != p->gid || (p->uid != 0 && setuid(0) == 0)) {
		mcu_log_error("privileges still held after the drop to %s",
		              p->user);
		return EPERM;
	}
	mcu_log_info("running as %s (uid %u, gid %u)", p->user,
	             (unsigned)p->uid, (unsigned)p->gid);
	return 0;
}
