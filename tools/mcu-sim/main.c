/*
 * mcu-sim: many simulated endpoints in one process (docs/mcu-sim.md).
 *
 *   mcu-sim roster N [options] > roster.yaml
 *   mcu-sim run --roster FILE --meeting ID --mcu sip:HOST:PORT [options]
 */
#define MCU_LOG_MODULE "sim"
#include "conf/log.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "codec/avlog.h"
#include "conf/config.h"
#include "tools/mcu-sim/roster.h"
#include "tools/mcu-sim/sim.h"

static void usage(FILE *out)
{
	fprintf(
	    out,
	    "usage:\n"
	    "  mcu-sim roster N [--sip-port P] [--api-port P] [--meeting ID]\n"
	    "         [--host-name NAME] [--addr A] [--host-layout L]\n"
	    "         [--branch-layout L] [--floor open|chaired|lecture]\n"
	    "         [--logbook FILE] [--fps N] [--minutes M] [--output "
	    "FILE]\n"
	    "         [--bandwidth KBPS[,KBPS...]] [--host-bandwidth KBPS]\n"
	    "         [--dial in|out] [--endpoint-port P]\n"
	    "  mcu-sim run --roster FILE --meeting ID --mcu sip:HOST:PORT\n"
	    "         [--endpoints ID,...|all] [--count N] [--seconds S]\n"
	    "         [--video 360p|720p] [--fps N]\n"
	    "         [--report FILE|-] [--sample EP|all] [--sample-seconds "
	    "S]\n"
	    "         [--addr A] [--sip-port P] [--rtp-ports MIN-MAX]\n"
	    "         [--dial-interval MS] [--tick MS] [--log LEVEL]\n"
	    "         [--roster-bandwidth] [--tx-loss PCT]\n"
	    "  mcu-sim run --answer --roster FILE --meeting ID --sip-port P\n"
	    "         [the options of run above but --mcu/--dial-interval]\n"
	    "See docs/mcu-sim.md.\n");
}

static int num(const char *s, long min, long max, long *out)
{
	char *end;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < min || v > max) {
		fprintf(stderr, "mcu-sim: bad number '%s' (%ld..%ld)\n", s, min,
		        max);
		return EINVAL;
	}
	*out = v;
	return 0;
}

enum {
	O_SIP_PORT = 256,
	O_API_PORT,
	O_MEETING,
	O_HOST_NAME,
	O_ADDR,
	O_HOST_LAYOUT,
	O_BRANCH_LAYOUT,
	O_FLOOR,
	O_LOGBOOK,
	O_FPS,
	O_MINUTES,
	O_OUTPUT,
	O_ROSTER,
	O_MCU,
	O_COUNT,
	O_SECONDS,
	O_VIDEO,
	O_REPORT,
	O_SAMPLE,
	O_SAMPLE_SECONDS,
	O_RTP_PORTS,
	O_DIAL_INTERVAL,
	O_TICK,
	O_LOG,
	O_TZ,
	O_BANDWIDTH,
	O_HOST_BANDWIDTH,
	O_DIAL,
	O_ENDPOINT_PORT,
	O_ANSWER,
	O_ROSTER_BANDWIDTH,
	O_TX_LOSS,
	O_ENDPOINTS,
	O_HELP,
};

static const struct option opts[] = {
    {"sip-port", required_argument, NULL, O_SIP_PORT},
    {"api-port", required_argument, NULL, O_API_PORT},
    {"meeting", required_argument, NULL, O_MEETING},
    {"host-name", required_argument, NULL, O_HOST_NAME},
    {"addr", required_argument, NULL, O_ADDR},
    {"host-layout", required_argument, NULL, O_HOST_LAYOUT},
    {"branch-layout", required_argument, NULL, O_BRANCH_LAYOUT},
    {"floor", required_argument, NULL, O_FLOOR},
    {"logbook", required_argument, NULL, O_LOGBOOK},
    {"fps", required_argument, NULL, O_FPS},
    {"minutes", required_argument, NULL, O_MINUTES},
    {"timezone", required_argument, NULL, O_TZ},
    {"output", required_argument, NULL, O_OUTPUT},
    {"roster", required_argument, NULL, O_ROSTER},
    {"mcu", required_argument, NULL, O_MCU},
    {"count", required_argument, NULL, O_COUNT},
    {"endpoints", required_argument, NULL, O_ENDPOINTS},
    {"seconds", required_argument, NULL, O_SECONDS},
    {"video", required_argument, NULL, O_VIDEO},
    {"report", required_argument, NULL, O_REPORT},
    {"sample", required_argument, NULL, O_SAMPLE},
    {"sample-seconds", required_argument, NULL, O_SAMPLE_SECONDS},
    {"rtp-ports", required_argument, NULL, O_RTP_PORTS},
    {"dial-interval", required_argument, NULL, O_DIAL_INTERVAL},
    {"tick", required_argument, NULL, O_TICK},
    {"tx-loss", required_argument, NULL, O_TX_LOSS},
    {"log", required_argument, NULL, O_LOG},
    {"bandwidth", required_argument, NULL, O_BANDWIDTH},
    {"host-bandwidth", required_argument, NULL, O_HOST_BANDWIDTH},
    {"dial", required_argument, NULL, O_DIAL},
    {"endpoint-port", required_argument, NULL, O_ENDPOINT_PORT},
    {"answer", no_argument, NULL, O_ANSWER},
    {"roster-bandwidth", no_argument, NULL, O_ROSTER_BANDWIDTH},
    {"help", no_argument, NULL, O_HELP},
    {NULL, 0, NULL, 0},
};

#define MAX_TIERS 8

/* "2048,1000": up to MAX_TIERS kbit/s values, 64..100000 each. */
static int kbps_list(const char *s, unsigned *out, size_t *n)
{
	*n = 0;
	for (const char *p = s;;) {
		const char *comma = strchr(p, ',');
		size_t len = comma ? (size_t)(comma - p) : strlen(p);
		char buf[16];
		long v;
		if (*n == MAX_TIERS || len == 0 || len >= sizeof(buf))
			return EINVAL;
		memcpy(buf, p, len);
		buf[len] = '\0';
		if (num(buf, 64, 100000, &v))
			return EINVAL;
		out[(*n)++] = (unsigned)v;
		if (!comma)
			return 0;
		p = comma + 1;
	}
}

static int cmd_roster(int argc, char **argv)
{
	struct mcu_sim_roster r = {
	    .addr = "127.0.0.1", .sip_port = 5060, .meeting = "sim"};
	const char *output = NULL;
	unsigned tiers[MAX_TIERS];
	long v, minutes = 60;
	int c, err = 0;
	while (!err && (c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case O_SIP_PORT:
			if (!(err = num(optarg, 1, 65535, &v)))
				r.sip_port = (uint16_t)v;
			break;
		case O_API_PORT:
			if (!(err = num(optarg, 1, 65535, &v)))
				r.api_port = (uint16_t)v;
			break;
		case O_MEETING:
			r.meeting = optarg;
			break;
		case O_HOST_NAME:
			r.host_name = optarg;
			break;
		case O_ADDR:
			r.addr = optarg;
			break;
		case O_HOST_LAYOUT:
			r.host_layout = optarg;
			break;
		case O_BRANCH_LAYOUT:
			r.branch_layout = optarg;
			break;
		case O_FLOOR:
			r.floor = optarg;
			break;
		case O_LOGBOOK:
			r.logbook = optarg;
			break;
		case O_TZ:
			r.timezone = optarg;
			break;
		case O_FPS:
			if (!(err = num(optarg, 1, 60, &v)))
				r.fps = (unsigned)v;
			break;
		case O_MINUTES:
			err = num(optarg, 1, 24 * 60, &minutes);
			break;
		case O_OUTPUT:
			output = optarg;
			break;
		case O_BANDWIDTH:
			err = kbps_list(optarg, tiers, &r.n_branch_kbps);
			r.branch_kbps = tiers;
			break;
		case O_HOST_BANDWIDTH:
			if (!(err = num(optarg, 64, 100000, &v)))
				r.host_kbps = (unsigned)v;
			break;
		case O_DIAL:
			if (strcmp(optarg, "in") != 0 &&
			    strcmp(optarg, "out") != 0)
				err = EINVAL;
			r.dial = optarg;
			break;
		case O_ENDPOINT_PORT:
			if (!(err = num(optarg, 1, 65535, &v)))
				r.endpoint_port = (uint16_t)v;
			break;
		case O_HELP:
			usage(stdout);
			return 0;
		default:
			err = EINVAL;
			break;
		}
	}
	if (err || optind + 1 != argc || num(argv[optind], 2, 999, &v)) {
		usage(stderr);
		return 2;
	}
	r.count = (unsigned)v;
	const char *tz = r.timezone ? r.timezone : "Asia/Ho_Chi_Minh";
	if (mcu_conf_apply_timezone(tz) != 0) {
		fprintf(stderr, "mcu-sim: unknown time zone %s\n", tz);
		return 2;
	}
	/* live from 5 minutes ago for `minutes`, announced 14 days ago */
	time_t now = time(NULL);
	time_t t1 = now - 5 * 60, t2 = now + minutes * 60,
	       ta = now - 14 * 86400;
	localtime_r(&t1, &r.start);
	localtime_r(&t2, &r.end);
	localtime_r(&ta, &r.announced);
	FILE *out = output ? fopen(output, "w") : stdout;
	if (!out) {
		fprintf(stderr, "mcu-sim: %s: %s\n", output, strerror(errno));
		return 1;
	}
	err = mcu_sim_roster_write(&r, out);
	if (output && fclose(out) != 0)
		err = EIO;
	if (err) {
		fprintf(stderr, "mcu-sim: roster: %s\n", strerror(err));
		return 1;
	}
	return 0;
}

static int rtp_range(const char *s, uint16_t *lo, uint16_t *hi)
{
	char buf[32];
	snprintf(buf, sizeof(buf), "%s", s);
	char *dash = strchr(buf, '-');
	long a, b;
	if (!dash)
		return EINVAL;
	*dash = '\0';
	if (num(buf, 1024, 65535, &a) || num(dash + 1, 1024, 65535, &b) ||
	    b - a < 7)
		return EINVAL;
	*lo = (uint16_t)a, *hi = (uint16_t)b;
	return 0;
}

static int cmd_run(int argc, char **argv)
{
	struct mcu_sim_config cfg = {
	    .seconds = 30,
	    .width = 640,
	    .height = 360,
	    .fps = 30,
	    .sample_seconds = 4,
	    .rtp_min = 50000,
	    .rtp_max = 59999,
	    .dial_interval_ms = 20,
	    .tick_ms = 5,
	};
	const char *roster = NULL;
	long v;
	int c, err = 0;
	while (!err && (c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case O_ROSTER:
			roster = optarg;
			break;
		case O_MEETING:
			cfg.meeting = optarg;
			break;
		case O_MCU:
			cfg.mcu_uri = optarg;
			break;
		case O_COUNT:
			if (!(err = num(optarg, 1, 999, &v)))
				cfg.count = (unsigned)v;
			break;
		case O_ENDPOINTS:
			cfg.endpoints = optarg;
			break;
		case O_SECONDS:
			if (!(err = num(optarg, 1, 24 * 3600, &v)))
				cfg.seconds = (unsigned)v;
			break;
		case O_VIDEO:
			if (strcmp(optarg, "360p") == 0)
				cfg.width = 640, cfg.height = 360;
			else if (strcmp(optarg, "720p") == 0)
				cfg.width = 1280, cfg.height = 720;
			else
				err = EINVAL;
			break;
		case O_FPS:
			if (!(err = num(optarg, 1, 60, &v)))
				cfg.fps = (unsigned)v;
			break;
		case O_REPORT:
			cfg.report = optarg;
			break;
		case O_SAMPLE:
			cfg.sample = optarg;
			break;
		case O_SAMPLE_SECONDS:
			if (!(err = num(optarg, 1, 3600, &v)))
				cfg.sample_seconds = (unsigned)v;
			break;
		case O_ADDR:
			cfg.bind_addr = optarg;
			break;
		case O_SIP_PORT:
			if (!(err = num(optarg, 1, 65535, &v)))
				cfg.sip_port = (uint16_t)v;
			break;
		case O_RTP_PORTS:
			err = rtp_range(optarg, &cfg.rtp_min, &cfg.rtp_max);
			break;
		case O_DIAL_INTERVAL:
			if (!(err = num(optarg, 0, 10000, &v)))
				cfg.dial_interval_ms = (unsigned)v;
			break;
		case O_TICK:
			if (!(err = num(optarg, 1, 20, &v)))
				cfg.tick_ms = (unsigned)v;
			break;
		case O_TX_LOSS: {
			char *end;
			errno = 0;
			cfg.tx_loss_pct = strtod(optarg, &end);
			if (errno || end == optarg || *end ||
			    !(cfg.tx_loss_pct >= 0 && cfg.tx_loss_pct <= 50)) {
				fprintf(stderr, "mcu-sim: bad --tx-loss '%s' "
				        "(0..50 %%)\n", optarg);
				err = EINVAL;
			}
			break;
		}
		case O_ANSWER:
			cfg.answer = true;
			break;
		case O_ROSTER_BANDWIDTH:
			cfg.roster_bandwidth = true;
			break;
		case O_LOG: {
			enum mcu_log_level lv;
			if (mcu_log_parse_level(optarg, &lv) != 0)
				err = EINVAL;
			else
				mcu_log_set_level(lv);
			break;
		}
		case O_HELP:
			usage(stdout);
			return 0;
		default:
			err = EINVAL;
			break;
		}
	}
	if (err || optind != argc || !roster || !cfg.meeting ||
	    (!cfg.mcu_uri && !cfg.answer) || (cfg.answer && !cfg.sip_port)) {
		usage(stderr);
		return 2;
	}
	struct mcu_conf *conf = NULL;
	struct mcu_conf_report rep = {0};
	err = mcu_conf_load(roster, &conf, &rep);
	if (err) {
		mcu_conf_report_print(&rep, stderr);
		mcu_conf_report_clear(&rep);
		return 1;
	}
	mcu_conf_report_clear(&rep);
	cfg.conf = conf;
	mcu_avlog_install(); /* FFmpeg's lines through our logger */
	err = mcu_sim_run(&cfg);
	mcu_conf_free(conf);
	if (err) {
		fprintf(stderr, "mcu-sim: %s\n", strerror(err));
		return 1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	const char *cmd = argv[1];
	if (strcmp(cmd, "roster") == 0)
		return cmd_roster(argc - 1, argv + 1);
	if (strcmp(cmd, "run") == 0)
		return cmd_run(argc - 1, argv + 1);
	if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "help") == 0) {
		usage(stdout);
		return 0;
	}
	usage(stderr);
	return 2;
}
