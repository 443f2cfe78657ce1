/*
 * config_parse: the `mcu:` section (daemon settings). Defaults are set by
 * config.c before this runs; each key present replaces its default. The
 * time zone is applied here, first, because every time in endpoints and
 * meetings is read in it.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <sys/socket.h>

#include "conf/config_internal.h"

const char *const conf_srtp_names[3] = {"off", "optional", "required"};
#define srtp_names conf_srtp_names
static const char *const proto_names[] = {"udp", "tcp", "tls"};
static const char *const x264_presets[] = {
	"ultrafast", "superfast", "veryfast", "faster", "fast",
	"medium",    "slow",      "slower",   "veryslow", "placebo"};

static int cmp_day(const void *a, const void *b)
{
	int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
	return (x > y) - (x < y);
}

static void parse_holidays(struct conf_ctx *ctx, const struct conf_node *n)
{
	struct mcu_conf *conf = ctx->conf;
	const struct conf_node *const *items =
		(const struct conf_node *const *)n->items;
	if (n->kind != CONF_SEQ) {
		conf_error(ctx, n->pos, "mcu.holidays: expected a list of "
		           "dates (YYYY-MM-DD)");
		return;
	}
	free(conf->holidays);
	conf->n_holidays = 0;
	conf->holidays = calloc(n->n_items ? n->n_items : 1,
	                        sizeof(*conf->holidays));
	if (!conf->holidays)
		return;
	for (size_t i = 0; i < n->n_items; i++) {
		int32_t day;
		if (conf_get_date(ctx, items[i], "mcu.holidays", &day))
			conf->holidays[conf->n_holidays++] = day;
	}
	qsort(conf->holidays, conf->n_holidays, sizeof(int32_t), cmp_day);
	size_t u = 0;
	for (size_t i = 0; i < conf->n_holidays; i++)
		if (u == 0 || conf->holidays[u - 1] != conf->holidays[i])
			conf->holidays[u++] = conf->holidays[i];
	conf->n_holidays = u;
}

static void parse_timezone(struct conf_ctx *ctx, const struct conf_node *n)
{
	if (n && !conf_get_str(ctx, n, "mcu.timezone", &ctx->conf->timezone))
		return;
	int err = mcu_conf_apply_timezone(ctx->conf->timezone);
	if (err) {
		struct mcu_conf_pos pos = n ? n->pos : CONF_NO_POS;
		conf_error(ctx, pos,
		           "mcu.timezone: unknown time zone '%s' (no such file "
		           "under /usr/share/zoneinfo)",
		           ctx->conf->timezone);
		return;
	}
	ctx->tz_ok = true;
}

/* "udp:0.0.0.0:5060" */
static bool parse_listen_one(struct conf_ctx *ctx, const struct conf_node *n,
                             struct mcu_conf_listen *out)
{
	const char *s;
	if (n->kind != CONF_SCALAR || conf_is_null(n)) {
		conf_error(ctx, n->pos, "mcu.sip.listen: expected "
		           "\"PROTO:HOST:PORT\" strings");
		return false;
	}
	s = n->str;
	for (size_t p = 0; p < 3; p++) {
		size_t l = strlen(proto_names[p]);
		if (strncmp(s, proto_names[p], l) != 0 || s[l] != ':')
			continue;
		if (conf_parse_addr(s + l + 1, &out->addr))
			break;
		out->proto = (enum mcu_sip_proto)p;
		return true;
	}
	conf_error(ctx, n->pos,
	           "mcu.sip.listen: '%s' is not udp|tcp|tls:HOST:PORT with a "
	           "numeric host",
	           s);
	return false;
}

static void free_listen(struct mcu_conf *conf)
{
	for (size_t i = 0; i < conf->n_sip_listen; i++)
		conf_addr_clear(&conf->sip_listen[i].addr);
	free(conf->sip_listen);
	conf->sip_listen = NULL;
	conf->n_sip_listen = 0;
}

static void parse_listen(struct conf_ctx *ctx, const struct conf_node *n)
{
	struct mcu_conf *conf = ctx->conf;
	const struct conf_node *one[1] = {n};
	const struct conf_node *const *items = one;
	size_t count = 1;
	if (n->kind == CONF_MAP) {
		conf_error(ctx, n->pos, "mcu.sip.listen: expected a list");
		return;
	}
	if (n->kind == CONF_SEQ) {
		items = (const struct conf_node *const *)n->items;
		count = n->n_items;
	}
	free_listen(conf);
	conf->sip_listen = calloc(count ? count : 1, sizeof(*conf->sip_listen));
	if (!conf->sip_listen)
		return;
	for (size_t i = 0; i < count; i++)
		if (parse_listen_one(ctx, items[i],
		                     &conf->sip_listen[conf->n_sip_listen]))
			conf->n_sip_listen++;
	if (count == 0)
		conf_error(ctx, n->pos, "mcu.sip.listen: the list is empty");
}

static void parse_tls(struct conf_ctx *ctx, const struct conf_node *n)
{
	static const char *const keys[] = {"certificate", "key", "ca_file",
	                                   "verify_server", "verify_client"};
	const struct conf_node *v[5];
	if (!conf_map_fields(ctx, n, keys, 5, v, "mcu.sip.tls"))
		return;
	if (!v[0] || !v[1])
		conf_error(ctx, n->pos, "mcu.sip.tls: needs both certificate "
		           "and key");
	if (v[0])
		conf_get_str(ctx, v[0], "mcu.sip.tls.certificate",
		             &ctx->conf->tls_certificate);
	if (v[1])
		conf_get_str(ctx, v[1], "mcu.sip.tls.key", &ctx->conf->tls_key);
	if (v[2])
		conf_get_str(ctx, v[2], "mcu.sip.tls.ca_file",
		             &ctx->conf->tls_ca_file);
	bool b;
	ctx->conf->tls_verify_server = ctx->conf->tls_ca_file != NULL;
	if (v[3] && conf_get_bool(ctx, v[3], "mcu.sip.tls.verify_server", &b))
		ctx->conf->tls_verify_server = b;
	if (v[4] && conf_get_bool(ctx, v[4], "mcu.sip.tls.verify_client", &b))
		ctx->conf->tls_verify_client = b;
	if ((ctx->conf->tls_verify_server || ctx->conf->tls_verify_client) &&
	    !ctx->conf->tls_ca_file)
		conf_error(ctx, n->pos, "mcu.sip.tls: verify_server and "
		           "verify_client need a ca_file");
}

/* mcu.sip.rate_limit: {rate, burst, allowed_rate, allowed_burst} */
static void parse_rate_limit(struct conf_ctx *ctx, const struct conf_node *n)
{
	static const char *const keys[] = {"rate", "burst", "allowed_rate",
	                                   "allowed_burst"};
	static const char *const what[] = {
		"mcu.sip.rate_limit.rate", "mcu.sip.rate_limit.burst",
		"mcu.sip.rate_limit.allowed_rate",
		"mcu.sip.rate_limit.allowed_burst"};
	struct mcu_conf_sip_rate *r = &ctx->conf->sip_rate_limit;
	unsigned *out[] = {&r->rate, &r->burst, &r->allowed_rate,
	                   &r->allowed_burst};
	const struct conf_node *v[4];
	if (!conf_map_fields(ctx, n, keys, 4, v, "mcu.sip.rate_limit"))
		return;
	for (int i = 0; i < 4; i++) {
		unsigned long x;
		if (v[i] && conf_get_uint(ctx, v[i], what[i], i % 2, 100000,
		                          &x))
			*out[i] = (unsigned)x;
	}
	if (r->burst < r->rate || r->allowed_burst < r->allowed_rate)
		conf_error(ctx, n->pos, "mcu.sip.rate_limit: a burst must be "
		           "at least its rate");
}

static void parse_sip(struct conf_ctx *ctx, const struct conf_node *n)
{
	static const char *const keys[] = {"listen", "domain", "tls",
	                                   "rate_limit", "dial_rate",
	                                   "dial_max_ringing"};
	const struct conf_node *v[6];
	unsigned long x;
	if (!conf_map_fields(ctx, n, keys, 6, v, "mcu.sip"))
		return;
	if (v[4] && conf_get_uint(ctx, v[4], "mcu.sip.dial_rate", 1, 1000, &x))
		ctx->conf->sip_dial_rate = (unsigned)x;
	if (v[5] && conf_get_uint(ctx, v[5], "mcu.sip.dial_max_ringing", 1,
	                          1000, &x))
		ctx->conf->sip_dial_max_ringing = (unsigned)x;
	if (v[3] && !conf_is_null(v[3]))
		parse_rate_limit(ctx, v[3]);
	if (v[0])
		parse_listen(ctx, v[0]);
	if (v[1] && !conf_is_null(v[1]))
		conf_get_str(ctx, v[1], "mcu.sip.domain", &ctx->conf->sip_domain);
	if (v[2] && !conf_is_null(v[2]))
		parse_tls(ctx, v[2]);
	bool tls_listen = false;
	for (size_t i = 0; i < ctx->conf->n_sip_listen; i++)
		tls_listen |= ctx->conf->sip_listen[i].proto == MCU_SIP_TLS;
	if (tls_listen && !ctx->conf->tls_certificate)
		conf_error(ctx, v[0]->pos, "mcu.sip.listen: a tls: listener "
		           "needs mcu.sip.tls.certificate and key");
}

/* "20000-29999" */
static void parse_ports(struct conf_ctx *ctx, const struct conf_node *n)
{
	unsigned long lo, hi;
	char *end;
	if (n->kind != CONF_SCALAR || conf_is_null(n))
		goto bad;
	errno = 0;
	lo = strtoul(n->str, &end, 10);
	if (end == n->str || *end != '-' || errno)
		goto bad;
	const char *h = end + 1;
	hi = strtoul(h, &end, 10);
	if (end == h || *end || errno)
		goto bad;
	if (lo < 1024 || hi > 65535 || lo + 3 > hi) {
		conf_error(ctx, n->pos,
		           "mcu.rtp.ports: '%s' must be MIN-MAX within "
		           "1024..65535 with room for at least 4 ports",
		           n->str);
		return;
	}
	ctx->conf->rtp_port_min = (uint16_t)lo;
	ctx->conf->rtp_port_max = (uint16_t)hi;
	return;
bad:
	conf_error(ctx, n->pos, "mcu.rtp.ports: expected MIN-MAX "
	           "(e.g. 20000-29999)");
}

static void parse_rtp(struct conf_ctx *ctx, const struct conf_node *n)
{
	static const char *const keys[] = {"ports", "srtp", "sdes_without_tls"};
	const struct conf_node *v[3];
	int e;
	bool b;
	if (!conf_map_fields(ctx, n, keys, 3, v, "mcu.rtp"))
		return;
	if (v[0])
		parse_ports(ctx, v[0]);
	if (v[1] && conf_get_enum(ctx, v[1], "mcu.rtp.srtp", srtp_names, 3, &e))
		ctx->conf->srtp = (enum mcu_srtp_policy)e;
	if (v[2] && conf_get_bool(ctx, v[2], "mcu.rtp.sdes_without_tls", &b))
		ctx->conf->sdes_without_tls = b;
}

static void parse_api(struct conf_ctx *ctx, const struct conf_node *n)
{
	static const char *const keys[] = {"listen", "token_file"};
	const struct conf_node *v[2];
	if (!conf_map_fields(ctx, n, keys, 2, v, "mcu.api"))
		return;
	if (v[0])
		conf_get_addr(ctx, v[0], "mcu.api.listen", &ctx->conf->api_listen);
	if (v[1] && !conf_is_null(v[1]))
		conf_get_str(ctx, v[1], "mcu.api.token_file",
		             &ctx->conf->api_token_file);
}

static void parse_media(struct conf_ctx *ctx, const struct conf_node *n)
{
	static const char *const keys[] = {"fps", "x264_preset",
	                                   "keyframe_interval_s"};
	const struct conf_node *v[3];
	unsigned long u;
	int e;
	if (!conf_map_fields(ctx, n, keys, 3, v, "mcu.media"))
		return;
	if (v[0] && conf_get_uint(ctx, v[0], "mcu.media.fps", 1, 60, &u))
		ctx->conf->fps = (unsigned)u;
	if (v[1] && conf_get_enum(ctx, v[1], "mcu.media.x264_preset",
	                          x264_presets, 10, &e)) {
		free(ctx->conf->x264_preset);
		ctx->conf->x264_preset = conf_strdup(x264_presets[e]);
	}
	if (v[2] && conf_get_uint(ctx, v[2], "mcu.media.keyframe_interval_s",
	                          1, 60, &u))
		ctx->conf->keyframe_interval_s = (unsigned)u;
}

/* mcu.limits: {participants_per_meeting, calls, decoders}; 0 = no cap. */
static void parse_limits(struct conf_ctx *ctx, const struct conf_node *n)
{
	static const char *const keys[] = {"participants_per_meeting",
	                                   "calls", "decoders"};
	static const char *const what[] = {
		"mcu.limits.participants_per_meeting", "mcu.limits.calls",
		"mcu.limits.decoders"};
	unsigned *dst[] = {&ctx->conf->limits.participants_per_meeting,
	                   &ctx->conf->limits.calls,
	                   &ctx->conf->limits.decoders};
	const struct conf_node *v[3];
	unsigned long u;
	if (!conf_map_fields(ctx, n, keys, 3, v, "mcu.limits"))
		return;
	for (int i = 0; i < 3; i++)
		if (v[i] && conf_get_uint(ctx, v[i], what[i], 0, 100000, &u))
			*dst[i] = (unsigned)u;
}

/* mcu.content_dir: an absolute directory (a relative one would depend on
   the daemon's working directory); "/" alone would allow every file. */
static void parse_content_dir(struct conf_ctx *ctx, const struct conf_node *n)
{
	char *dir = NULL;

	if (!conf_get_str(ctx, n, "mcu.content_dir", &dir))
		return;
	if (dir[0] != '/' || !dir[strspn(dir, "/")]) {
		conf_error(ctx, n->pos, "mcu.content_dir: expected an absolute "
		           "directory other than /, got \"%s\"", dir);
		free(dir);
		return;
	}
	free(ctx->conf->content_dir);
	ctx->conf->content_dir = dir;
}

/* mcu.webrtc: {addresses: [numeric], link_minutes: N} */
static void parse_webrtc(struct conf_ctx *ctx, const struct conf_node *n)
{
	static const char *const keys[] = {"addresses", "link_minutes"};
	const struct conf_node *v[2];
	struct mcu_conf *conf = ctx->conf;
	unsigned long u;
	if (!conf_map_fields(ctx, n, keys, 2, v, "mcu.webrtc"))
		return;
	if (v[0] && !conf_is_null(v[0]) &&
	    conf_get_str_list(ctx, v[0], "mcu.webrtc.addresses",
	                      &conf->webrtc_addresses,
	                      &conf->n_webrtc_addresses, NULL)) {
		for (size_t i = 0; i < conf->n_webrtc_addresses; i++) {
			unsigned char bin[16];
			const char *a = conf->webrtc_addresses[i];
			if (inet_pton(AF_INET, a, bin) != 1 &&
			    inet_pton(AF_INET6, a, bin) != 1)
				conf_error(ctx, v[0]->pos,
				           "mcu.webrtc.addresses: '%s' is not a "
				           "numeric IPv4 or IPv6 address", a);
		}
	}
	if (v[1] && conf_get_uint(ctx, v[1], "mcu.webrtc.link_minutes", 1,
	                          10080, &u))
		conf->webrtc_link_minutes = (unsigned)u;
}

enum { K_NAME, K_TZ, K_HOLIDAYS, K_SIP, K_RTP, K_API, K_MEDIA, K_LOGBOOK,
       K_RECORDINGS, K_CONTENT_DIR, K_WEBRTC, K_LIMITS, K_USER, K_GROUP,
       K_COUNT };

/* mcu.user / mcu.group: a POSIX portable name (letters, digits, '.',
   '_', '-', not starting with '-'), shorter than 64 bytes. Whether it
   exists is checked when mcud starts (docs/security.md). */
static void parse_account(struct conf_ctx *ctx, const struct conf_node *n,
                          const char *key, char **out)
{
	char *v = NULL;
	if (!n || conf_is_null(n) || !conf_get_str(ctx, n, key, &v))
		return;
	size_t len = strlen(v);
	bool ok = len == n->len && len > 0 && len < 64 && v[0] != '-';
	for (size_t i = 0; ok && i < len; i++)
		ok = (v[i] >= 'a' && v[i] <= 'z') || (v[i] >= 'A' && v[i] <= 'Z') ||
		     (v[i] >= '0' && v[i] <= '9') || v[i] == '.' ||
		     v[i] == '_' || v[i] == '-';
	if (!ok) {
		conf_error(ctx, n->pos, "%s: '%s' is not a user or group name "
		           "(letters, digits, '.', '_', '-'; under 64 bytes)",
		           key, v);
		free(v);
		return;
	}
	free(*out);
	*out = v;
}

void conf_parse_mcu(struct conf_ctx *ctx, const struct conf_node *mcu)
{
	static const char *const keys[K_COUNT] = {
		"name", "timezone", "holidays", "sip", "rtp", "api", "media",
		"logbook", "recordings", "content_dir", "webrtc", "limits",
		"user", "group"};
	const struct conf_node *v[K_COUNT] = {0};
	struct mcu_conf *conf = ctx->conf;

	if (mcu && !conf_map_fields(ctx, mcu, keys, K_COUNT, v, "mcu"))
		memset(v, 0, sizeof(v));
	parse_timezone(ctx, v[K_TZ]);
	if (v[K_NAME])
		conf_get_str(ctx, v[K_NAME], "mcu.name", &conf->name);
	if (v[K_HOLIDAYS] && !conf_is_null(v[K_HOLIDAYS]))
		parse_holidays(ctx, v[K_HOLIDAYS]);
	if (v[K_SIP])
		parse_sip(ctx, v[K_SIP]);
	if (v[K_RTP])
		parse_rtp(ctx, v[K_RTP]);
	if (v[K_API])
		parse_api(ctx, v[K_API]);
	if (v[K_MEDIA])
		parse_media(ctx, v[K_MEDIA]);
	if (v[K_LOGBOOK])
		conf_get_str(ctx, v[K_LOGBOOK], "mcu.logbook", &conf->logbook);
	if (v[K_RECORDINGS])
		conf_get_str(ctx, v[K_RECORDINGS], "mcu.recordings",
		             &conf->recordings);
	if (v[K_CONTENT_DIR] && !conf_is_null(v[K_CONTENT_DIR]))
		parse_content_dir(ctx, v[K_CONTENT_DIR]);
	if (v[K_WEBRTC] && !conf_is_null(v[K_WEBRTC]))
		parse_webrtc(ctx, v[K_WEBRTC]);
	if (v[K_LIMITS] && !conf_is_null(v[K_LIMITS]))
		parse_limits(ctx, v[K_LIMITS]);
	parse_account(ctx, v[K_USER], "mcu.user", &conf->user);
	parse_account(ctx, v[K_GROUP], "mcu.group", &conf->group);
	if (conf->group && !conf->user)
		conf_error(ctx, v[K_GROUP]->pos,
		           "mcu.group needs mcu.user");
	ctx->cal.holidays = conf->holidays;
	ctx->cal.n_holidays = conf->n_holidays;
}
