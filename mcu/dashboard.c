/*
 * The dashboard's files: a fixed table from URL to file name and type,
 * and the lookup of the directory that holds them (mcu/dashboard.h).
 */
#define MCU_LOG_MODULE "api"
#include "mcu/dashboard.h"
#include "conf/log.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef MCU_SOURCE_DIR
#define MCU_SOURCE_DIR "."
#endif

static const struct {
	const char *url, *file, *ctype;
} files[] = {
    {"/", "index.html", "text/html; charset=utf-8"},
    {"/index.html", "index.html", "text/html; charset=utf-8"},
    {"/dashboard.js", "dashboard.js", "text/javascript; charset=utf-8"},
    {"/dashboard.css", "dashboard.css", "text/css; charset=utf-8"},
    /* The icon, also where browsers look for one on their own. */
    {"/favicon.svg", "favicon.svg", "image/svg+xml"},
    {"/favicon.ico", "favicon.svg", "image/svg+xml"},
    /* The browser join page (docs/join/, next to the dashboard). */
    {"/join", "../join/index.html", "text/html; charset=utf-8"},
    {"/join.js", "../join/join.js", "text/javascript; charset=utf-8"},
    {"/join.css", "../join/join.css", "text/css; charset=utf-8"},
};

bool mcu_dashboard_known(const char *url)
{
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++)
		if (!strcmp(url, files[i].url))
			return true;
	return false;
}

static bool has_index(const char *dir)
{
	char path[PATH_MAX];
	struct stat st;
	int n = snprintf(path, sizeof(path), "%s/index.html", dir);
	return n > 0 && (size_t)n < sizeof(path) && stat(path, &st) == 0 &&
	       S_ISREG(st.st_mode);
}

/* The dashboard directory into dir (see the header), or false. */
static bool find_dir(char *dir, size_t len)
{
	const char *env = getenv("MCU_DASHBOARD_DIR");
	char exe[PATH_MAX];
	ssize_t n;
	int k;

	if (env && *env && strlen(env) < len && has_index(env)) {
		snprintf(dir, len, "%s", env);
		return true;
	}
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n > 0) {
		char *slash;
		exe[n] = '\0';
		slash = strrchr(exe, '/');
		if (slash) {
			*slash = '\0';
			k = snprintf(dir, len, "%s/../share/mcud/dashboard",
			             exe);
			if (k > 0 && (size_t)k < len && has_index(dir))
				return true;
		}
	}
	k = snprintf(dir, len, "%s/docs/dashboard", MCU_SOURCE_DIR);
	return k > 0 && (size_t)k < len && has_index(dir);
}

static int read_all(const char *path, char **data, size_t *len)
{
	struct stat st;
	char *buf;
	size_t got = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return errno == ENOENT ? ENOENT : EIO;
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		close(fd);
		return EIO;
	}
	if (st.st_size > (off_t)MCU_DASHBOARD_MAX_FILE) {
		close(fd);
		return EFBIG;
	}
	buf = malloc((size_t)st.st_size + 1);
	if (!buf) {
		close(fd);
		return ENOMEM;
	}
	while (got < (size_t)st.st_size) {
		ssize_t r = read(fd, buf + got, (size_t)st.st_size - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break; /* shrank meanwhile: serve what is there */
		got += (size_t)r;
	}
	close(fd);
	*data = buf;
	*len = got;
	return 0;
}

int mcu_dashboard_file(const char *url, char **data, size_t *len,
                       const char **ctype)
{
	char dir[PATH_MAX], path[PATH_MAX + 32];

	if (!url || !data || !len || !ctype)
		return EINVAL;
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		if (strcmp(url, files[i].url))
			continue;
		if (!find_dir(dir, sizeof(dir))) {
			mcu_log_ratelimited(
			    MCU_LOG_WARN, 60000,
			    "dashboard: no directory with "
			    "index.html (set MCU_DASHBOARD_DIR)");
			return ENOENT;
		}
		snprintf(path, sizeof(path), "%s/%s", dir, files[i].file);
		*ctype = files[i].ctype;
		return read_all(path, data, len);
	}
	return ENOENT;
}
