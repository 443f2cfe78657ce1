/*
 * config: the public entry points of the roster loader and the snapshot's
 * lifetime. A load runs in passes over one parsed tree:
 *   1. config_tree.c reads the YAML with every limit applied;
 *   2. the mcu: section first (it sets the time zone every later time is
 *      read in), then endpoints, groups and meetings, each key typed and
 *      defaulted (config_parse.c, config_roster.c);
 *   3. references and the regulation's rules (config_rules.c,
 *      config_check.c).
 * The snapshot is handed out only when no pass found an error; the caller
 * then owns it and nobody changes it again.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf/config_internal.h"

#define MCU_ZONEINFO_DIR "/usr/share/zoneinfo"

static const struct mcu_conf_pos no_pos = {0, 0};

/* ---- freeing ------------------------------------------------------ */

static void contact_clear(struct mcu_conf_contact *c)
{
	free(c->name);
	free(c->title);
	free(c->email);
	free(c->phone);
}

void conf_endpoint_clear(struct mcu_conf_endpoint *ep)
{
	free(ep->id);
	free(ep->name);
	free(ep->parent);
	free(ep->sip);
	free(ep->sip_user);
	free(ep->sip_host);
	free(ep->allow);
	free(ep->auth_user);
	free(ep->auth_password_file);
	free(ep->webrtc_token_file);
	free(ep->tls_subject);
	conf_str_list_free(ep->codecs, ep->n_codecs);
	contact_clear(&ep->leader);
	contact_clear(&ep->technician);
	contact_clear(&ep->support);
	conf_addr_clear(&ep->rtp.remote);
	conf_addr_clear(&ep->rtp.local);
	conf_addr_clear(&ep->rtp.source);
	free(ep->rtp.video.codec);
	free(ep->rtp.audio.codec);
	memset(ep, 0, sizeof(*ep));
}

void conf_meeting_clear(struct mcu_conf_meeting *m)
{
	free(m->id);
	free(m->title);
	free(m->host);
	conf_str_list_free(m->branch_specs, m->n_branch_specs);
	free(m->branches);
	conf_str_list_free(m->content, m->n_content);
	free(m->layout.host);
	free(m->layout.branches);
	for (size_t i = 0; i < m->n_presets; i++) {
		free(m->presets[i].host);
		free(m->presets[i].branches);
	}
	free(m->presets);
	free(m->cascades);
	memset(m, 0, sizeof(*m));
}

struct mcu_conf *mcu_conf_free(struct mcu_conf *conf)
{
	if (!conf)
		return NULL;
	for (size_t i = 0; i < conf->n_endpoints; i++)
		conf_endpoint_clear(&conf->endpoints[i]);
	for (size_t i = 0; i < conf->n_groups; i++) {
		free(conf->groups[i].name);
		free(conf->groups[i].members);
	}
	for (size_t i = 0; i < conf->n_meetings; i++)
		conf_meeting_clear(&conf->meetings[i]);
	for (size_t i = 0; i < conf->n_sip_listen; i++)
		conf_addr_clear(&conf->sip_listen[i].addr);
	conf_addr_clear(&conf->api_listen);
	free(conf->endpoints);
	free(conf->groups);
	free(conf->meetings);
	free(conf->endpoint_by_id);
	free(conf->cascade_links);
	free(conf->sip_listen);
	free(conf->holidays);
	free(conf->path);
	free(conf->name);
	free(conf->timezone);
	free(conf->sip_domain);
	free(conf->tls_certificate);
	free(conf->tls_key);
	free(conf->tls_ca_file);
	free(conf->api_token_file);
	free(conf->x264_preset);
	free(conf->user);
	free(conf->group);
	free(conf->logbook);
	free(conf->recordings);
	free(conf->content_dir);
	conf_str_list_free(conf->webrtc_addresses, conf->n_webrtc_addresses);
	free(conf);
	return NULL;
}

static void ctx_clear(struct conf_ctx *ctx)
{
	size_t n_groups = ctx->conf ? ctx->conf->n_groups : 0;
	size_t n_meetings = ctx->conf ? ctx->conf->n_meetings : 0;
	for (size_t i = 0; ctx->group_marks && i < n_groups; i++) {
		struct conf_group_marks *gm = &ctx->group_marks[i];
		conf_str_list_free(gm->member_ids, gm->n_member_ids);
		free(gm->members);
		free(gm->filter_parent);
	}
	for (size_t i = 0; ctx->mt_marks && i < n_meetings; i++)
		free(ctx->mt_marks[i].specs);
	free(ctx->ep_marks);
	free(ctx->group_marks);
	free(ctx->mt_marks);
}

void mcu_conf_report_clear(struct mcu_conf_report *report)
{
	if (!report)
		return;
	for (size_t i = 0; i < report->n_findings; i++)
		free(report->findings[i].message);
	free(report->findings);
	free(report->file);
	memset(report, 0, sizeof(*report));
}

/* ---- defaults ----------------------------------------------------- */

static int default_listen(struct mcu_conf *conf)
{
	conf->sip_listen = calloc(2, sizeof(*conf->sip_listen));
	if (!conf->sip_listen)
		return ENOMEM;
	for (int i = 0; i < 2; i++) {
		int err = conf_parse_addr("0.0.0.0:5060",
		                          &conf->sip_listen[i].addr);
		if (err)
			return err;
		conf->sip_listen[i].proto = i ? MCU_SIP_TCP : MCU_SIP_UDP;
		conf->n_sip_listen++;
	}
	return 0;
}

static int conf_defaults(struct mcu_conf *conf, const char *path)
{
	conf->path = conf_strdup(path);
	conf->name = conf_strdup("mcud");
	conf->timezone = conf_strdup("Asia/Ho_Chi_Minh");
	conf->rtp_port_min = 20000;
	conf->rtp_port_max = 29999;
	conf->srtp = MCU_SRTP_OPTIONAL;
	conf->sip_rate_limit = (struct mcu_conf_sip_rate){
		.rate = 5, .burst = 20, .allowed_rate = 100,
		.allowed_burst = 500};
	conf->fps = 30;
	conf->limits.participants_per_meeting = 120;
	conf->limits.calls = 250;
	conf->limits.decoders = 64;
	conf->webrtc_link_minutes = 120;
	conf->x264_preset = conf_strdup("veryfast");
	conf->keyframe_interval_s = 3;
	conf->logbook = conf_strdup("/var/lib/mcud/logbook.db");
	conf->recordings = conf_strdup("/var/lib/mcud/recordings");
	if (!conf->path || !conf->name || !conf->timezone ||
	    !conf->x264_preset || !conf->logbook || !conf->recordings)
		return ENOMEM;
	int err = conf_parse_addr("127.0.0.1:8080", &conf->api_listen);
	return err ? err : default_listen(conf);
}

/* ---- loading ------------------------------------------------------ */

static void parse_top(struct conf_ctx *ctx, const struct conf_node *root)
{
	static const char *const keys[] = {"mcu", "endpoints", "groups",
	                                   "meetings"};
	const struct conf_node *v[4];
	if (!conf_map_fields(ctx, root, keys, 4, v, "roster"))
		return;
	conf_parse_mcu(ctx, v[0] && !conf_is_null(v[0]) ? v[0] : NULL);
	if (v[1] && !conf_is_null(v[1]))
		conf_parse_endpoints(ctx, v[1]);
	else
		conf_warn(ctx, root->pos, "roster: no endpoints");
	if (v[2] && !conf_is_null(v[2]))
		conf_parse_groups(ctx, v[2]);
	if (v[3] && !conf_is_null(v[3]))
		conf_parse_meetings(ctx, v[3]);
	conf_check_rules(ctx);
}

static int load_tree(struct mcu_conf_report *report, const char *name,
                     const struct conf_node *root, struct mcu_conf **confp)
{
	struct conf_ctx ctx = {.report = report};
	int err;

	ctx.conf = calloc(1, sizeof(*ctx.conf));
	if (!ctx.conf)
		return ENOMEM;
	err = conf_defaults(ctx.conf, name);
	if (err)
		goto out;
	if (root->kind != CONF_MAP) {
		conf_error(&ctx, root->pos, "the roster must be a mapping with "
		           "mcu:, endpoints:, groups: and meetings:");
		err = EINVAL;
		goto out;
	}
	parse_top(&ctx, root);
	if (report->n_errors)
		err = EINVAL;
out:
	ctx_clear(&ctx);
	if (err) {
		mcu_conf_free(ctx.conf);
		return err;
	}
	*confp = ctx.conf;
	return 0;
}

static void report_nomem(struct mcu_conf_report *report)
{
	conf_finding(report, MCU_CONF_ERROR, no_pos, "out of memory");
	report->unreadable = true;
}

/* The roster text plus, when `extra` is given, its meetings. */
static int load_buffers(const char *name, const char *buf, size_t len,
                        const char *extra, size_t extra_len,
                        struct mcu_conf **confp,
                        struct mcu_conf_report *report)
{
	struct conf_node *root = NULL, *more = NULL;
	memset(report, 0, sizeof(*report));
	report->file = conf_strdup(name ? name : "(buffer)");
	if (!report->file) {
		report_nomem(report);
		return ENOMEM;
	}
	int err = conf_tree_build(report, buf ? buf : "", buf ? len : 0, &root);
	if (err) {
		if (err == ENOMEM)
			report_nomem(report);
		return err;
	}
	if (!root) {
		conf_finding(report, MCU_CONF_ERROR, no_pos,
		             "the file holds no YAML document (empty roster)");
		return EINVAL;
	}
	if (extra && extra_len) {
		size_t before = report->n_findings;
		err = conf_tree_build(report, extra, extra_len, &more);
		for (size_t i = before; i < report->n_findings; i++)
			report->findings[i].pos.line += MCU_CONF_EXTRA_LINE;
		if (!err && more) {
			conf_tree_shift_lines(more, MCU_CONF_EXTRA_LINE);
			err = conf_tree_graft_seq(root, "meetings", more);
			if (err == EINVAL) {
				struct mcu_conf_pos at = {MCU_CONF_EXTRA_LINE + 1,
				                          1};
				conf_finding(report, MCU_CONF_ERROR, at,
				             "ad-hoc meetings must be a list, "
				             "and the roster's meetings: too");
			}
		}
		conf_tree_free(more);
		if (err) {
			if (err == ENOMEM)
				report_nomem(report);
			conf_tree_free(root);
			return err;
		}
	}
	err = load_tree(report, report->file, root, confp);
	if (err == ENOMEM)
		report_nomem(report);
	conf_tree_free(root);
	return err;
}

int mcu_conf_load_buffer(const char *name, const char *buf, size_t len,
                         struct mcu_conf **confp,
                         struct mcu_conf_report *report)
{
	return load_buffers(name, buf, len, NULL, 0, confp, report);
}

/* Reads at most MCU_CONF_MAX_BYTES + 1 bytes. */
static int read_file(int fd, char **bufp, size_t *lenp)
{
	size_t cap = 65536, len = 0;
	char *buf = malloc(cap);
	if (!buf)
		return ENOMEM;
	for (;;) {
		if (len == cap) {
			if (cap > MCU_CONF_MAX_BYTES)
				break;
			char *nb = realloc(buf, cap * 2);
			if (!nb) {
				free(buf);
				return ENOMEM;
			}
			buf = nb;
			cap *= 2;
		}
		ssize_t n = read(fd, buf + len, cap - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int err = errno;
			free(buf);
			return err;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	*bufp = buf;
	*lenp = len;
	return 0;
}

static int load_fail(struct mcu_conf_report *report, const char *path,
                     int err)
{
	memset(report, 0, sizeof(*report));
	report->file = conf_strdup(path);
	conf_finding(report, MCU_CONF_ERROR, no_pos, "cannot read: %s",
	             strerror(err));
	report->unreadable = true;
	return err;
}

int mcu_conf_load_extra(const char *path, const char *extra, size_t extra_len,
                        struct mcu_conf **confp,
                        struct mcu_conf_report *report)
{
	char *buf = NULL;
	size_t len = 0;
	struct stat st;
	int err = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return load_fail(report, path, errno);
	if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode))
		err = EISDIR;
	if (!err)
		err = read_file(fd, &buf, &len);
	close(fd);
	if (err)
		return load_fail(report, path, err);
	err = load_buffers(path, buf, len, extra, extra_len, confp, report);
	free(buf);
	return err;
}

int mcu_conf_load(const char *path, struct mcu_conf **confp,
                  struct mcu_conf_report *report)
{
	return mcu_conf_load_extra(path, NULL, 0, confp, report);
}

/* ---- output and lookups ------------------------------------------- */

void mcu_conf_report_print(const struct mcu_conf_report *report, FILE *out)
{
	const char *file = report->file ? report->file : "(roster)";
	for (size_t i = 0; i < report->n_findings; i++) {
		const struct mcu_conf_finding *f = &report->findings[i];
		const char *sev =
			f->severity == MCU_CONF_ERROR ? "error" : "warning";
		/* A finding about the whole file (size, encoding) points at
		 * its start, so every line keeps the FILE:LINE:COLUMN form
		 * that editors and scripts parse. */
		fprintf(out, "%s:%d:%d: %s: %s\n", file,
		        f->pos.line > 0 ? f->pos.line : 1,
		        f->pos.line > 0 && f->pos.column > 0 ? f->pos.column
		                                             : 1,
		        sev, f->message);
	}
	if (report->n_suppressed)
		fprintf(out, "%s: note: %zu more findings not shown\n", file,
		        report->n_suppressed);
}

long mcu_conf_endpoint_index(const struct mcu_conf *conf, const char *id)
{
	if (!conf || !id)
		return -1;
	if (!conf->endpoint_by_id) {
		for (size_t i = 0; i < conf->n_endpoints; i++)
			if (strcmp(conf->endpoints[i].id, id) == 0)
				return (long)i;
		return -1;
	}
	size_t lo = 0, hi = conf->n_endpoints;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		size_t e = conf->endpoint_by_id[mid];
		int c = strcmp(conf->endpoints[e].id, id);
		if (c == 0) {
			/* the first of equal ids, in roster order */
			while (mid > 0 &&
			       strcmp(conf->endpoints[conf->endpoint_by_id[mid - 1]]
			                      .id, id) == 0)
				mid--;
			return (long)conf->endpoint_by_id[mid];
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}

long mcu_conf_meeting_index(const struct mcu_conf *conf, const char *id)
{
	for (size_t i = 0; conf && id && i < conf->n_meetings; i++)
		if (strcmp(conf->meetings[i].id, id) == 0)
			return (long)i;
	return -1;
}

const char *mcu_conf_tier_name(enum mcu_tier tier)
{
	static const char *const names[] = {"city", "district", "commune",
	                                    "extended"};
	return (unsigned)tier < MCU_TIER_COUNT ? names[tier] : "?";
}

const char *mcu_conf_floor_name(enum mcu_floor_mode mode)
{
	static const char *const names[] = {"open", "chaired", "lecture"};
	return (unsigned)mode <= MCU_FLOOR_LECTURE ? names[mode] : "?";
}

bool mcu_conf_layout_valid(const char *name)
{
	return name && conf_layout_known(name);
}

/* ---- time zone and reload ----------------------------------------- */

static bool tz_name_safe(const char *tz)
{
	size_t n = strlen(tz);
	if (n == 0 || n > 200 || tz[0] == '/' || strstr(tz, ".."))
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = tz[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '/' || c == '_' ||
		      c == '-' || c == '+'))
			return false;
	}
	return true;
}

int mcu_conf_apply_timezone(const char *tz)
{
	char path[256], env[256];
	struct stat st;
	if (!tz || !tz_name_safe(tz))
		return EINVAL;
	snprintf(path, sizeof(path), "%s/%s", MCU_ZONEINFO_DIR, tz);
	if (stat(path, &st) != 0 || !S_ISREG(st.st_mode))
		return EINVAL;
	snprintf(env, sizeof(env), ":%s", tz);
	if (setenv("TZ", env, 1) != 0)
		return errno;
	tzset();
	return 0;
}

static bool addr_equal(const struct mcu_conf_addr *a,
                       const struct mcu_conf_addr *b)
{
	return a->addr_len == b->addr_len &&
	       memcmp(&a->addr, &b->addr, a->addr_len) == 0;
}

static bool listen_equal(const struct mcu_conf *a, const struct mcu_conf *b)
{
	if (a->n_sip_listen != b->n_sip_listen)
		return false;
	for (size_t i = 0; i < a->n_sip_listen; i++)
		if (a->sip_listen[i].proto != b->sip_listen[i].proto ||
		    !addr_equal(&a->sip_listen[i].addr, &b->sip_listen[i].addr))
			return false;
	return true;
}

/* Two optional strings (NULL: unset) are the same. */
static bool str_same(const char *a, const char *b)
{
	return a == b || (a && b && strcmp(a, b) == 0);
}

bool mcu_conf_reload_allowed(const struct mcu_conf *cur,
                             const struct mcu_conf *next, const char **keyp)
{
	const char *key = NULL;
	if (strcmp(cur->timezone, next->timezone) != 0)
		key = "mcu.timezone";
	else if (!listen_equal(cur, next))
		key = "mcu.sip.listen";
	else if (!addr_equal(&cur->api_listen, &next->api_listen))
		key = "mcu.api.listen";
	else if (cur->rtp_port_min != next->rtp_port_min ||
	         cur->rtp_port_max != next->rtp_port_max)
		key = "mcu.rtp.ports";
	else if (memcmp(&cur->sip_rate_limit, &next->sip_rate_limit,
	                sizeof(cur->sip_rate_limit)) != 0)
		key = "mcu.sip.rate_limit";
	else if (!str_same(cur->user, next->user) ||
	         !str_same(cur->group, next->group))
		key = "mcu.user";
	if (keyp)
		*keyp = key;
	return key == NULL;
}
