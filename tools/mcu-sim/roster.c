/*
 * roster: a roster for N simulated endpoints (see roster.h).
 */
#include "tools/mcu-sim/roster.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "conf/config.h"

const char *mcu_sim_roster_host_layout(unsigned count)
{
	unsigned branches = count > 0 ? count - 1 : 0;
	if (branches <= 4)
		return "grid-2x2";
	if (branches <= 9)
		return "grid-3x3";
	if (branches <= 16)
		return "grid-4x4";
	return "tour-4x4";
}

void mcu_sim_roster_id(unsigned i, char *buf, size_t size)
{
	snprintf(buf, size, "sim%03u", i + 1);
}

/* A YAML double-quoted scalar of s (quotes and backslashes escaped). */
static void quoted(FILE *out, const char *s)
{
	fputc('"', out);
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			fputc('\\', out);
		if ((unsigned char)*s >= 0x20)
			fputc(*s, out);
	}
	fputc('"', out);
}

static void when(FILE *out, const char *key, const struct tm *t)
{
	char buf[32];
	strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M", t);
	fprintf(out, "    %s: %s\n", key, buf);
}

int mcu_sim_roster_write(const struct mcu_sim_roster *r, FILE *out)
{
	if (!r || !out || r->count < 2 || r->count > 999 || !r->addr ||
	    !*r->addr || !r->meeting || !*r->meeting || !r->sip_port ||
	    (r->dial && strcmp(r->dial, "in") != 0 &&
	     strcmp(r->dial, "out") != 0))
		return EINVAL;
	const char *tz = r->timezone ? r->timezone : "Asia/Ho_Chi_Minh";
	fprintf(out, "# mcu-sim roster: %u simulated endpoints, meeting %s\n",
	        r->count, r->meeting);
	fprintf(out,
	        "# (mcu-sim roster %u; run: mcu-sim run --roster FILE "
	        "--meeting %s --mcu sip:%s:%u)\n",
	        r->count, r->meeting, r->addr, r->sip_port);
	fprintf(out, "mcu:\n  name: \"mcu-sim\"\n  timezone: %s\n", tz);
	fprintf(out, "  sip: {listen: [\"udp:%s:%u\"], domain: \"%s\"}\n",
	        r->addr, r->sip_port, r->addr);
	if (r->api_port)
		fprintf(out, "  api: {listen: \"127.0.0.1:%u\"}\n",
		        r->api_port);
	fprintf(out, "  media: {fps: %u, x264_preset: %s}\n",
	        r->fps ? r->fps : 30, r->preset ? r->preset : "ultrafast");
	fprintf(out, "  rtp: {ports: 40000-49999}\n");
	if (r->logbook) {
		fprintf(out, "  logbook: ");
		quoted(out, r->logbook);
		fputc('\n', out);
	}
	fprintf(out, "endpoints:\n");
	for (unsigned i = 0; i < r->count; i++) {
		char id[16];
		mcu_sim_roster_id(i, id, sizeof(id));
		fprintf(out, "  - id: %s\n    name: ", id);
		if (i == 0 && r->host_name) {
			quoted(out, r->host_name);
		} else {
			char name[64];
			snprintf(name, sizeof(name), "Điểm cầu mô phỏng %03u",
			         i + 1);
			quoted(out, name);
		}
		fprintf(out, "\n    tier: %s\n", i == 0 ? "city" : "commune");
		if (r->endpoint_port)
			fprintf(out, "    sip: \"sip:%s@%s:%u\"\n", id, r->addr,
			        r->endpoint_port);
		else
			fprintf(out, "    sip: \"sip:%s@%s\"\n", id, r->addr);
		fprintf(out, "    allow: [%s/32]\n", r->addr);
		fprintf(out, "    codecs: [h264, opus]\n");
		unsigned kbps = r->bandwidth_kbps ? r->bandwidth_kbps : 2048;
		if (i == 0 && r->host_kbps)
			kbps = r->host_kbps;
		else if (i > 0 && r->branch_kbps && r->n_branch_kbps)
			kbps = r->branch_kbps[(i - 1) % r->n_branch_kbps];
		fprintf(out, "    bandwidth_kbps: %u\n", kbps);
		/* placeholder contacts (the validator wants all three) */
		fprintf(out, "    contacts:\n");
		static const char *const role[3] = {"leader", "technician",
		                                    "support"};
		static const char *const title[3] = {
		    "Lãnh đạo", "Kỹ thuật viên", "Kỹ thuật hỗ trợ"};
		for (int k = 0; k < 3; k++)
			fprintf(out,
			        "      %s: {name: \"%s %s\", "
			        "phone: \"0900 %03u %03d\"}\n",
			        role[k], title[k], id, i + 1, k + 1);
	}
	char host[16];
	mcu_sim_roster_id(0, host, sizeof(host));
	fprintf(out, "meetings:\n  - id: %s\n", r->meeting);
	fprintf(out, "    title: \"mcu-sim: %u endpoints\"\n", r->count);
	fprintf(out, "    host: %s\n    branches: [", host);
	for (unsigned i = 1; i < r->count; i++) {
		char id[16];
		mcu_sim_roster_id(i, id, sizeof(id));
		fprintf(out, "%s%s", i > 1 ? ", " : "", id);
	}
	fprintf(out, "]\n");
	when(out, "start", &r->start);
	when(out, "end", &r->end);
	char day[16];
	strftime(day, sizeof(day), "%Y-%m-%d", &r->announced);
	fprintf(out, "    announced: %s\n", day);
	fprintf(out, "    floor: %s\n    dial: %s\n",
	        r->floor ? r->floor : "chaired", r->dial ? r->dial : "in");
	fprintf(out, "    layout: {host: %s, branches: %s, tour_seconds: %u}\n",
	        r->host_layout ? r->host_layout
	                       : mcu_sim_roster_host_layout(r->count),
	        r->branch_layout ? r->branch_layout : "host+floor",
	        r->tour_seconds ? r->tour_seconds : 10);
	return ferror(out) ? EIO : 0;
}

/* ---- which endpoints a run plays -------------------------------------- */

static bool has_sip(const struct mcu_conf_endpoint *e)
{
	return e->sip && e->sip_user && e->sip_host;
}

/* The next element of a comma-separated list at *p into buf; false when
   the list is over. An element too long for buf sets *toolong (and buf
   is ""): no endpoint id is that long. */
static bool next_elem(const char **p, char *buf, size_t size, bool *toolong)
{
	if (!*p)
		return false;
	const char *comma = strchr(*p, ',');
	size_t len = comma ? (size_t)(comma - *p) : strlen(*p);
	*toolong = len >= size;
	if (*toolong)
		len = 0;
	memcpy(buf, *p, len);
	buf[len] = '\0';
	*p = comma ? comma + 1 : NULL;
	return true;
}

/* Marks the ids `list` names in named[]; 0 or EINVAL with why. */
static int pick_mark(const struct mcu_conf *conf, const char *list, bool *named,
                     char *why, size_t why_len)
{
	char id[128];
	bool toolong, all = false;
	for (const char *p = list; next_elem(&p, id, sizeof(id), &toolong);) {
		long i = toolong ? -1 : mcu_conf_endpoint_index(conf, id);
		if (!toolong && id[0] == '\0') {
			snprintf(why, why_len, "--endpoints: an empty element");
			return EINVAL;
		}
		if (!toolong && strcmp(id, "all") == 0) {
			if (all) {
				snprintf(why, why_len,
				         "--endpoints: 'all' twice");
				return EINVAL;
			}
			all = true;
			continue;
		}
		if (i < 0) {
			snprintf(why, why_len,
			         "--endpoints: no endpoint '%.100s' in the "
			         "roster",
			         toolong ? "(too long)" : id);
			return EINVAL;
		}
		if (named[i]) {
			snprintf(why, why_len, "--endpoints: '%s' named twice",
			         id);
			return EINVAL;
		}
		named[i] = true;
	}
	return 0;
}

/* The order of `list` (marks from pick_mark) into idx; returns how many. */
static size_t pick_list(const struct mcu_conf *conf, const char *list,
                        const bool *named, size_t *idx)
{
	char id[128];
	bool toolong;
	size_t n = 0;
	for (const char *p = list; next_elem(&p, id, sizeof(id), &toolong);) {
		if (strcmp(id, "all") != 0) {
			idx[n++] = (size_t)mcu_conf_endpoint_index(conf, id);
			continue;
		}
		for (size_t i = 0; i < conf->n_endpoints; i++)
			if (!named[i] && has_sip(&conf->endpoints[i]))
				idx[n++] = i;
	}
	return n;
}

int mcu_sim_roster_pick(const struct mcu_conf *conf, const char *meeting,
                        const char *list, unsigned count, size_t **idxp,
                        size_t *np, char *why, size_t why_len)
{
	size_t *idx = NULL, n = 0;
	bool *named = NULL;
	int err = 0;
	why[0] = '\0';
	if (!list) {
		long mi = meeting ? mcu_conf_meeting_index(conf, meeting) : -1;
		if (mi < 0) {
			snprintf(why, why_len,
			         "no meeting %.100s in the roster",
			         meeting ? meeting : "(none)");
			return ENOENT;
		}
		const struct mcu_conf_meeting *m = &conf->meetings[mi];
		idx = calloc(1 + m->n_branches, sizeof(*idx));
		if (!idx)
			return ENOMEM;
		idx[n++] = m->host_index;
		for (size_t k = 0; k < m->n_branches; k++)
			idx[n++] = m->branches[k];
	} else {
		/* at most every endpoint once: "all" never repeats a named
		   one, a repeated id is refused */
		named = calloc(conf->n_endpoints + 1, sizeof(*named));
		idx = calloc(conf->n_endpoints + 1, sizeof(*idx));
		if (!named || !idx) {
			err = ENOMEM;
			goto out;
		}
		err = pick_mark(conf, list, named, why, why_len);
		if (err)
			goto out;
		n = pick_list(conf, list, named, idx);
	}
	if (n == 0 || count > n) {
		snprintf(why, why_len, "%s has %zu endpoints, %u asked",
		         list ? "--endpoints" : meeting, n, count);
		err = EINVAL;
		goto out;
	}
	if (count)
		n = count;
	*idxp = idx;
	*np = n;
	idx = NULL;
out:
	free(named);
	free(idx);
	return err;
}
