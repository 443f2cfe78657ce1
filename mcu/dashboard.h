/*
 * dashboard: the operator's web page (docs/dashboard/: index.html,
 * dashboard.css, dashboard.js) served by the API at "/". The page is
 * plain HTML/CSS/JS that talks to the JSON API; the server only hands out
 * a fixed list of files, so no URL ever becomes a path.
 *
 * Where the files are: the first directory that holds index.html of
 *   1. $MCU_DASHBOARD_DIR,
 *   2. <dir of /proc/self/exe>/../share/mcud/dashboard (an installed
 *      daemon: bin/mcud next to share/mcud/dashboard),
 *   3. <source tree>/docs/dashboard (a daemon run from its build tree).
 * Files are read on each request (they are a few tens of KB), so an
 * operator may edit the page without restarting mcud.
 *
 * Thread-safe (called from the API's connection threads).
 */
#ifndef MCU_DASHBOARD_H
#define MCU_DASHBOARD_H

#include <stdbool.h>
#include <stddef.h>

#define MCU_DASHBOARD_MAX_FILE (1024u * 1024)

/* Whether `url` is one of the dashboard's files ("/", "/index.html",
 * "/dashboard.js", "/dashboard.css"). */
bool mcu_dashboard_known(const char *url);

/*
 * Read the file behind `url`: *data is malloc()ed (*len bytes), *ctype a
 * static string. 0, ENOENT (not a dashboard file, or no dashboard
 * directory found), EFBIG (over MCU_DASHBOARD_MAX_FILE), ENOMEM or EIO.
 */
int mcu_dashboard_file(const char *url, char **data, size_t *len,
                       const char **ctype);

#endif
