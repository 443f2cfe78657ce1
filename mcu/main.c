/*
 * mcud: command line. Runs in the foreground, systemd style, logging to
 * stderr; `--check` and `--schedule` read a roster and exit.
 */
#define MCU_LOG_MODULE "main"
#include "conf/config.h"
#include "conf/log.h"
#include "codec/avlog.h"
#include "mcu/daemon.h"
#include "mcu/i18n.h"
#include "mcu/timeline.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef MCU_JEMALLOC
/*
 * jemalloc reads this before main: a background thread hands pages freed
 * by legs that left back to the system (after dirty_decay_ms unused), so
 * the resident size follows the memory in use through a day of joins and
 * leaves (docs/reliability.md, "Soak"). MALLOC_CONF in the environment
 * still overrides it.
 */
const char *malloc_conf = "background_thread:true,max_background_threads:1";
#define MCU_MALLOC_NAME "jemalloc"
#else
#define MCU_MALLOC_NAME "glibc malloc"
#endif

enum exit_code {
	EXIT_OK = 0,
	EXIT_ERRORS = 1,   /* the roster has errors */
	EXIT_UNREADABLE = 2, /* the roster cannot be read or parsed; usage */
};

static void usage(FILE *out)
{
	fputs("Usage: mcud -c FILE [options]     run the MCU on roster FILE\n"
	      "       mcud --check FILE          validate FILE and exit\n"
	      "       mcud --schedule FILE       print the coming timeline\n"
	      "\n"
	      "Options:\n"
	      "  -c, --config FILE     roster and settings (YAML)\n"
	      "      --run-dir DIR     runtime files (leg SDPs); default ./run\n"
	      "      --workers N       media worker threads (default: cores)\n"
	      "      --io-threads N    network I/O threads (default: cores)\n"
	      "      --rt-priority N   real-time (SCHED_FIFO) priority of the\n"
	      "                        audio worker and media clock, 1..98;\n"
	      "                        0: none (default 10; needs root,\n"
	      "                        CAP_SYS_NICE or LimitRTPRIO, else none)\n"
	      "      --log-level L     error|warn|info|debug|trace (info)\n"
	      "      --lang vi|en      language of operator messages (vi)\n"
	      "      --user NAME       run as NAME once SIP and the API are\n"
	      "                        bound (started as root); wins over\n"
	      "                        mcu.user in FILE\n"
	      "      --group NAME      this group, not the user's own\n"
	      "  -V, --version         print the version\n"
	      "  -h, --help            this text\n"
	      "\n"
	      "Signals: SIGHUP reloads FILE (a file with errors is refused),\n"
	      "SIGTERM/SIGINT stop cleanly.\n",
	      out);
}

/* --check: findings on stdout; exit 0 / 1 / 2 as roster-format.md says. */
static int run_check(const char *path)
{
	struct mcu_conf_report report = {0};
	struct mcu_conf *conf = NULL;
	int err = mcu_conf_load(path, &conf, &report);
	int rc;

	mcu_conf_report_print(&report, stdout);
	if (report.unreadable)
		rc = EXIT_UNREADABLE;
	else if (err || report.n_errors)
		rc = EXIT_ERRORS;
	else
		rc = EXIT_OK;
	if (conf)
		fprintf(stderr, "%s: %zu endpoints, %zu groups, %zu meetings; "
		        "%zu errors, %zu warnings\n", path, conf->n_endpoints,
		        conf->n_groups, conf->n_meetings, report.n_errors,
		        report.n_warnings);
	else
		fprintf(stderr, "%s: %zu errors, %zu warnings\n", path,
		        report.n_errors, report.n_warnings);
	mcu_conf_free(conf);
	mcu_conf_report_clear(&report);
	return rc;
}

static int run_schedule(const char *path, enum mcu_lang lang)
{
	struct mcu_conf_report report = {0};
	struct mcu_conf *conf = NULL;
	int err = mcu_conf_load(path, &conf, &report);

	if (err) {
		mcu_conf_report_print(&report, stderr);
		mcu_conf_report_clear(&report);
		return report.unreadable ? EXIT_UNREADABLE : EXIT_ERRORS;
	}
	mcu_conf_report_clear(&report);
	mcu_timeline_print(conf, time(NULL), lang, stdout);
	mcu_conf_free(conf);
	return EXIT_OK;
}

static int parse_uint(const char *s, unsigned max, unsigned *out)
{
	char *end;
	long v;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < 0 || (unsigned long)v > max)
		return EINVAL;
	*out = (unsigned)v;
	return 0;
}

int main(int argc, char **argv)
{
	enum { OPT_CHECK = 256, OPT_SCHEDULE, OPT_RUN_DIR, OPT_WORKERS, OPT_IO_THREADS,
	       OPT_RT_PRIORITY, OPT_LOG_LEVEL, OPT_LANG, OPT_USER, OPT_GROUP };
	static const struct option longopts[] = {
		{"config", required_argument, NULL, 'c'},
		{"check", required_argument, NULL, OPT_CHECK},
		{"schedule", required_argument, NULL, OPT_SCHEDULE},
		{"run-dir", required_argument, NULL, OPT_RUN_DIR},
		{"workers", required_argument, NULL, OPT_WORKERS},
		{"io-threads", required_argument, NULL, OPT_IO_THREADS},
		{"rt-priority", required_argument, NULL, OPT_RT_PRIORITY},
		{"log-level", required_argument, NULL, OPT_LOG_LEVEL},
		{"lang", required_argument, NULL, OPT_LANG},
		{"user", required_argument, NULL, OPT_USER},
		{"group", required_argument, NULL, OPT_GROUP},
		{"version", no_argument, NULL, 'V'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct mcu_daemon_opts opts = {.rt_priority = MCU_DAEMON_RT_PRIORITY};
	const char *check = NULL, *schedule = NULL;
	enum mcu_lang lang = MCU_LANG_VI;
	enum mcu_log_level level;
	struct mcu_daemon *d = NULL;
	int c, err;

	while ((c = getopt_long(argc, argv, "c:Vh", longopts, NULL)) != -1) {
		switch (c) {
		case 'c':
			opts.config_path = optarg;
			break;
		case OPT_CHECK:
			check = optarg;
			break;
		case OPT_SCHEDULE:
			schedule = optarg;
			break;
		case OPT_RUN_DIR:
			opts.run_dir = optarg;
			break;
		case OPT_WORKERS:
			if (parse_uint(optarg, 256, &opts.workers)) {
				fprintf(stderr, "mcud: --workers: 0..256\n");
				return EXIT_UNREADABLE;
			}
			break;
		case OPT_IO_THREADS:
			if (parse_uint(optarg, 64, &opts.io_threads)) {
				fprintf(stderr, "mcud: --io-threads: 0..64\n");
				return EXIT_UNREADABLE;
			}
			break;
		case OPT_RT_PRIORITY:
			if (parse_uint(optarg, 98, &opts.rt_priority)) {
				fprintf(stderr, "mcud: --rt-priority: 0..98\n");
				return EXIT_UNREADABLE;
			}
			break;
		case OPT_LOG_LEVEL:
			if (mcu_log_parse_level(optarg, &level)) {
				fprintf(stderr, "mcud: unknown log level "
				        "'%s'\n", optarg);
				return EXIT_UNREADABLE;
			}
			mcu_log_set_level(level);
			break;
		case OPT_LANG:
			if (mcu_i18n_parse(optarg, &lang)) {
				fprintf(stderr, "mcud: --lang vi|en\n");
				return EXIT_UNREADABLE;
			}
			break;
		case OPT_USER:
			opts.user = optarg;
			break;
		case OPT_GROUP:
			opts.group = optarg;
			break;
		case 'V':
			printf("mcud %s\n", MCU_VERSION);
			return EXIT_OK;
		case 'h':
			usage(stdout);
			return EXIT_OK;
		default:
			usage(stderr);
			return EXIT_UNREADABLE;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "mcud: unexpected argument '%s'\n",
		        argv[optind]);
		usage(stderr);
		return EXIT_UNREADABLE;
	}
	if (check)
		return run_check(check);
	if (schedule)
		return run_schedule(schedule, lang);
	if (!opts.config_path) {
		usage(stderr);
		return EXIT_UNREADABLE;
	}

	err = mcu_daemon_block_signals();
	if (!err)
		err = mcu_log_start();
	if (err) {
		fprintf(stderr, "mcud: cannot start: %s\n", strerror(err));
		return EXIT_ERRORS;
	}
	mcu_avlog_install();
	mcu_log_info("mcud %s starting on %s (%s)", MCU_VERSION,
	             opts.config_path, MCU_MALLOC_NAME);
	err = mcu_daemon_alloc(&d, &opts);
	if (!err)
		err = mcu_daemon_run(d);
	d = mcu_daemon_free(d);
	if (err)
		mcu_log_error("mcud exits: %s", strerror(err));
	else
		mcu_log_info("mcud stopped");
	mcu_log_stop();
	return err ? EXIT_ERRORS : EXIT_OK;
}
