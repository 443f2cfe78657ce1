/*
 * config_roster: the `endpoints:`, `groups:` and `meetings:` sections,
 * read into the snapshot as written. References between them (parents,
 * group members, hosts, branches) are resolved afterwards by
 * config_rules.c, which also applies the regulation's rules.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "conf/config_internal.h"

static const char *const tier_names[] = {"city", "district", "commune",
                                         "extended"};
static const char *const floor_names[] = {"open", "chaired", "lecture"};
static const char *const dial_names[] = {"out", "in"};
static const char *const video_codecs[] = {"h264", "vp8"};
static const char *const audio_codecs[] = {"opus", "g722", "pcma", "pcmu"};
static const char *const default_codecs[] = {"h264", "vp8",  "opus",
                                             "g722", "pcma", "pcmu"};

#define WHAT(buf, kind, id, field)                                             \
	snprintf((buf), sizeof(buf), "%s '%s': %s", (kind),                    \
	         (id) ? (id) : "?", (field))

static bool codec_known(const char *c)
{
	for (size_t i = 0; i < 6; i++)
		if (strcmp(c, default_codecs[i]) == 0)
			return true;
	return false;
}

/* ---- endpoints ---------------------------------------------------- */

static bool host_valid(const char *h)
{
	if (!*h)
		return false;
	for (; *h; h++)
		if (!isalnum((unsigned char)*h) && *h != '.' && *h != '-' &&
		    *h != '_')
			return false;
	return true;
}

/* "sip:user@host[:port][;params]" into the endpoint's sip_* fields. */
static int parse_sip_uri(const char *s, struct mcu_conf_endpoint *ep)
{
	char buf[MCU_CONF_MAX_SCALAR + 1];
	char *host, *at, *port = NULL;
	size_t skip = strncasecmp(s, "sip:", 4) == 0    ? 4
	              : strncasecmp(s, "sips:", 5) == 0 ? 5
	                                                : 0;
	if (!skip || strlen(s) > MCU_CONF_MAX_SCALAR)
		return EINVAL;
	snprintf(buf, sizeof(buf), "%s", s + skip);
	buf[strcspn(buf, ";?")] = '\0';
	host = buf;
	at = strrchr(buf, '@');
	if (at) {
		*at = '\0';
		host = at + 1;
		if (!*buf || strchr(buf, ':'))
			return EINVAL;
	}
	if (host[0] == '[') {
		char *rb = strchr(host, ']');
		if (!rb || (rb[1] && rb[1] != ':'))
			return EINVAL;
		port = rb[1] ? rb + 2 : NULL;
		*rb = '\0';
		host++;
		struct in6_addr a6;
		if (inet_pton(AF_INET6, host, &a6) != 1)
			return EINVAL;
	} else {
		port = strchr(host, ':');
		if (port)
			*port++ = '\0';
		if (!host_valid(host))
			return EINVAL;
		/* Digits and dots: an IPv4 address, in standard form only.
		   The resolver reads "010" as octal (8) and "089" as a name
		   to ask DNS for: sip:r@192.168.001.010 would call
		   192.168.1.8. */
		struct in_addr a4;
		if (host[strspn(host, "0123456789.")] == '\0' &&
		    inet_pton(AF_INET, host, &a4) != 1)
			return EDOM;
	}
	if (port) {
		char *end;
		unsigned long p = strtoul(port, &end, 10);
		if (!isdigit((unsigned char)*port) || *end || p < 1 || p > 65535)
			return EINVAL;
		ep->sip_port = (uint16_t)p;
	}
	ep->sip_user = at ? conf_strdup(buf) : NULL;
	ep->sip_host = conf_strdup(host);
	return ep->sip_host ? 0 : ENOMEM;
}

int conf_sip_uri(const char *s, struct mcu_conf_endpoint *ep)
{
	return parse_sip_uri(s, ep);
}

static void parse_ep_sip(struct conf_ctx *ctx, const struct conf_node *n,
                         struct mcu_conf_endpoint *ep)
{
	char what[128];
	WHAT(what, "endpoint", ep->id, "sip");
	if (!conf_get_str(ctx, n, what, &ep->sip))
		return;
	int err = parse_sip_uri(ep->sip, ep);
	if (err == EDOM)
		conf_error(ctx, n->pos,
		           "%s: '%s' has an IPv4 address that is not in standard "
		           "form (four numbers 0-255, no leading zeros: a "
		           "leading 0 is read as octal)",
		           what, ep->sip);
	else if (err)
		conf_error(ctx, n->pos,
		           "%s: '%s' is not a SIP URI sip:USER@HOST[:PORT]", what,
		           ep->sip);
}

void conf_parse_allow(struct conf_ctx *ctx, const struct conf_node *n,
                      const char *what, struct mcu_conf_endpoint *ep)
{
	char **list = NULL;
	size_t count = 0;
	struct mcu_conf_pos *pos = NULL;
	conf_get_str_list(ctx, n, what, &list, &count, &pos);
	ep->allow = calloc(count ? count : 1, sizeof(*ep->allow));
	for (size_t i = 0; ep->allow && i < count; i++) {
		if (conf_parse_cidr(list[i], &ep->allow[ep->n_allow]) == 0)
			ep->n_allow++;
		else
			conf_error(ctx, pos[i],
			           "%s: '%s' is not an address or ADDRESS/PREFIX",
			           what, list[i]);
	}
	conf_str_list_free(list, count);
	free(pos);
}

static void parse_ep_allow(struct conf_ctx *ctx, const struct conf_node *n,
                           struct mcu_conf_endpoint *ep)
{
	char what[128];
	WHAT(what, "endpoint", ep->id, "allow");
	conf_parse_allow(ctx, n, what, ep);
}

int conf_default_allow(struct mcu_conf_endpoint *ep)
{
	struct mcu_conf_cidr c;
	if (ep->allow || !ep->sip_host || conf_parse_cidr(ep->sip_host, &c))
		return 0;
	ep->allow = malloc(sizeof(*ep->allow));
	if (!ep->allow)
		return ENOMEM;
	ep->allow[0] = c;
	ep->n_allow = 1;
	return 0;
}

static void parse_ep_auth(struct conf_ctx *ctx, const struct conf_node *n,
                          struct mcu_conf_endpoint *ep)
{
	static const char *const keys[] = {"user", "password_file"};
	const struct conf_node *v[2];
	char what[128];
	WHAT(what, "endpoint", ep->id, "auth");
	if (!conf_map_fields(ctx, n, keys, 2, v, what))
		return;
	if (!v[0] || !v[1]) {
		conf_error(ctx, n->pos, "%s: needs user and password_file",
		           what);
		return;
	}
	ep->has_auth = conf_get_str(ctx, v[0], what, &ep->auth_user) &&
	               conf_get_str(ctx, v[1], what, &ep->auth_password_file);
}

static void parse_ep_codecs(struct conf_ctx *ctx, const struct conf_node *n,
                            struct mcu_conf_endpoint *ep)
{
	char what[128];
	struct mcu_conf_pos *pos = NULL;
	WHAT(what, "endpoint", ep->id, "codecs");
	conf_get_str_list(ctx, n, what, &ep->codecs, &ep->n_codecs, &pos);
	for (size_t i = 0; i < ep->n_codecs; i++) {
		for (char *c = ep->codecs[i]; *c; c++)
			*c = (char)tolower((unsigned char)*c);
		if (!codec_known(ep->codecs[i]))
			conf_error(ctx, pos[i],
			           "%s: unknown codec '%s' (expected h264 | vp8 "
			           "| opus | g722 | pcma | pcmu)",
			           what, ep->codecs[i]);
	}
	if (ep->n_codecs == 0)
		conf_error(ctx, n->pos, "%s: the list is empty", what);
	free(pos);
}

static int default_codec_list(struct mcu_conf_endpoint *ep)
{
	ep->codecs = calloc(6, sizeof(*ep->codecs));
	if (!ep->codecs)
		return ENOMEM;
	for (size_t i = 0; i < 6; i++) {
		ep->codecs[i] = conf_strdup(default_codecs[i]);
		if (!ep->codecs[i])
			return ENOMEM;
		ep->n_codecs++;
	}
	return 0;
}

static void parse_contact(struct conf_ctx *ctx, const struct conf_node *n,
                          const char *what, struct mcu_conf_contact *c,
                          bool *has)
{
	static const char *const keys[] = {"name", "title", "email", "phone"};
	const struct conf_node *v[4];
	char **dst[4] = {&c->name, &c->title, &c->email, &c->phone};
	if (conf_is_null(n) || !conf_map_fields(ctx, n, keys, 4, v, what))
		return;
	*has = true;
	for (size_t i = 0; i < 4; i++)
		if (v[i] && !conf_is_null(v[i]))
			conf_get_str(ctx, v[i], what, dst[i]);
}

static void parse_ep_contacts(struct conf_ctx *ctx, const struct conf_node *n,
                              struct mcu_conf_endpoint *ep)
{
	static const char *const keys[] = {"leader", "technician", "support"};
	const struct conf_node *v[3];
	char what[128];
	WHAT(what, "endpoint", ep->id, "contacts");
	if (!conf_map_fields(ctx, n, keys, 3, v, what))
		return;
	if (v[0]) {
		WHAT(what, "endpoint", ep->id, "contacts.leader");
		parse_contact(ctx, v[0], what, &ep->leader, &ep->has_leader);
	}
	if (v[1]) {
		WHAT(what, "endpoint", ep->id, "contacts.technician");
		parse_contact(ctx, v[1], what, &ep->technician,
		              &ep->has_technician);
	}
	if (v[2]) {
		WHAT(what, "endpoint", ep->id, "contacts.support");
		parse_contact(ctx, v[2], what, &ep->support, &ep->has_support);
	}
}

static void parse_rtp_media(struct conf_ctx *ctx, const struct conf_node *n,
                            const char *what, const char *const *codecs,
                            size_t n_codecs, struct mcu_conf_rtp_media *m)
{
	static const char *const keys[] = {"codec", "payload_type"};
	const struct conf_node *v[2];
	unsigned long pt;
	int e;
	if (!conf_map_fields(ctx, n, keys, 2, v, what))
		return;
	if (!v[0] || !v[1]) {
		conf_error(ctx, n->pos, "%s: needs codec and payload_type", what);
		return;
	}
	if (!conf_get_enum(ctx, v[0], what, codecs, n_codecs, &e) ||
	    !conf_get_uint(ctx, v[1], what, 0, 127, &pt))
		return;
	m->codec = conf_strdup(codecs[e]);
	m->payload_type = (int)pt;
	m->present = m->codec != NULL;
}

static void parse_rtp_addr(struct conf_ctx *ctx, const struct conf_node *n,
                           const char *what, struct mcu_conf_addr *a)
{
	if (!conf_get_addr(ctx, n, what, a))
		return;
	if (a->port > 65532)
		conf_error(ctx, n->pos, "%s: port %u leaves no room for audio "
		           "(port + 2) and RTCP (+ 1)",
		           what, a->port);
}

static void parse_ep_rtp(struct conf_ctx *ctx, const struct conf_node *n,
                         struct mcu_conf_endpoint *ep)
{
	static const char *const keys[] = {"remote", "local", "video", "audio",
	                                   "source"};
	const struct conf_node *v[5];
	char what[128];
	struct mcu_conf_static_rtp *r = &ep->rtp;
	WHAT(what, "endpoint", ep->id, "rtp");
	if (!conf_map_fields(ctx, n, keys, 5, v, what))
		return;
	r->present = true;
	if (!v[0] || !v[1])
		conf_error(ctx, n->pos, "%s: needs remote and local", what);
	if (!v[2] && !v[3])
		conf_error(ctx, n->pos, "%s: needs video or audio (or both)",
		           what);
	WHAT(what, "endpoint", ep->id, "rtp.remote");
	if (v[0])
		parse_rtp_addr(ctx, v[0], what, &r->remote);
	WHAT(what, "endpoint", ep->id, "rtp.local");
	if (v[1])
		parse_rtp_addr(ctx, v[1], what, &r->local);
	WHAT(what, "endpoint", ep->id, "rtp.source");
	if (v[4] && !conf_is_null(v[4]))
		parse_rtp_addr(ctx, v[4], what, &r->source);
	WHAT(what, "endpoint", ep->id, "rtp.video");
	if (v[2])
		parse_rtp_media(ctx, v[2], what, video_codecs, 2, &r->video);
	WHAT(what, "endpoint", ep->id, "rtp.audio");
	if (v[3])
		parse_rtp_media(ctx, v[3], what, audio_codecs, 4, &r->audio);
}

enum { E_ID, E_NAME, E_TIER, E_PARENT, E_SIP, E_ALLOW, E_AUTH, E_CODECS,
       E_BW, E_CONTACTS, E_RTP, E_SRTP, E_WEBRTC_TOKEN,
	E_TLS_SUBJECT, E_COUNT };

static void parse_ep_fields(struct conf_ctx *ctx, const struct conf_node **v,
                            struct mcu_conf_endpoint *ep,
                            struct conf_endpoint_marks *mk)
{
	char what[128];
	unsigned long bw;
	int tier;
	WHAT(what, "endpoint", ep->id, "name");
	if (v[E_NAME])
		conf_get_str(ctx, v[E_NAME], what, &ep->name);
	WHAT(what, "endpoint", ep->id, "tier");
	if (v[E_TIER] && conf_get_enum(ctx, v[E_TIER], what, tier_names, 4, &tier))
		ep->tier = (enum mcu_tier)tier;
	WHAT(what, "endpoint", ep->id, "parent");
	if (v[E_PARENT] && !conf_is_null(v[E_PARENT])) {
		conf_get_id(ctx, v[E_PARENT], what, &ep->parent);
		mk->parent = v[E_PARENT]->pos;
	}
	if (v[E_SIP] && !conf_is_null(v[E_SIP]))
		parse_ep_sip(ctx, v[E_SIP], ep);
	if (v[E_ALLOW] && !conf_is_null(v[E_ALLOW]))
		parse_ep_allow(ctx, v[E_ALLOW], ep);
	(void)conf_default_allow(ep); /* ENOMEM: no default, as before */
	if (v[E_AUTH] && !conf_is_null(v[E_AUTH]))
		parse_ep_auth(ctx, v[E_AUTH], ep);
	if (v[E_CODECS])
		parse_ep_codecs(ctx, v[E_CODECS], ep);
	else
		default_codec_list(ep);
	WHAT(what, "endpoint", ep->id, "bandwidth_kbps");
	if (v[E_BW] && conf_get_uint(ctx, v[E_BW], what, 64, 100000, &bw))
		ep->bandwidth_kbps = (unsigned)bw;
	if (v[E_CONTACTS] && !conf_is_null(v[E_CONTACTS])) {
		mk->contacts = v[E_CONTACTS]->pos;
		parse_ep_contacts(ctx, v[E_CONTACTS], ep);
	}
	if (v[E_RTP] && !conf_is_null(v[E_RTP]))
		parse_ep_rtp(ctx, v[E_RTP], ep);
	WHAT(what, "endpoint", ep->id, "srtp");
	int srtp;
	if (v[E_SRTP] && !conf_is_null(v[E_SRTP]) &&
	    conf_get_enum(ctx, v[E_SRTP], what, conf_srtp_names, 3,
	                  &srtp)) {
		ep->srtp_set = true;
		ep->srtp = (enum mcu_srtp_policy)srtp;
	}
	WHAT(what, "endpoint", ep->id, "webrtc_token_file");
	if (v[E_WEBRTC_TOKEN] && !conf_is_null(v[E_WEBRTC_TOKEN]))
		conf_get_str(ctx, v[E_WEBRTC_TOKEN], what,
		             &ep->webrtc_token_file);
	WHAT(what, "endpoint", ep->id, "tls_subject");
	if (v[E_TLS_SUBJECT] && !conf_is_null(v[E_TLS_SUBJECT]) &&
	    conf_get_str(ctx, v[E_TLS_SUBJECT], what, &ep->tls_subject) &&
	    (!*ep->tls_subject || strlen(ep->tls_subject) > 255))
		conf_error(ctx, v[E_TLS_SUBJECT]->pos,
		           "%s: expected a host name or CN of 1..255 bytes", what);
}

/* Returns true when the endpoint has an id and is kept. */
static bool parse_endpoint(struct conf_ctx *ctx, const struct conf_node *n,
                           struct mcu_conf_endpoint *ep,
                           struct conf_endpoint_marks *mk)
{
	static const char *const keys[E_COUNT] = {
		"id",     "name",   "tier",           "parent",   "sip", "allow",
		"auth",   "codecs", "bandwidth_kbps", "contacts", "rtp",
		"srtp",   "webrtc_token_file", "tls_subject"};
	const struct conf_node *v[E_COUNT];

	if (!conf_map_fields(ctx, n, keys, E_COUNT, v, "endpoints item"))
		return false;
	if (!v[E_ID]) {
		conf_error(ctx, n->pos, "endpoint without id");
		return false;
	}
	if (!conf_get_id(ctx, v[E_ID], "endpoint id", &ep->id))
		return false;
	ep->pos = n->pos;
	ep->parent_index = -1;
	ep->bandwidth_kbps = 2048;
	mk->id = v[E_ID]->pos;
	mk->contacts = n->pos;
	if (!v[E_NAME])
		conf_error(ctx, n->pos, "endpoint '%s': name is required", ep->id);
	if (!v[E_TIER])
		conf_error(ctx, n->pos, "endpoint '%s': tier is required", ep->id);
	parse_ep_fields(ctx, v, ep, mk);
	if (ep->sip && ep->rtp.present)
		conf_error(ctx, v[E_RTP]->pos, "endpoint '%s': has both sip and "
		           "rtp; a static RTP leg has no SIP", ep->id);
	return true;
}

void conf_parse_endpoints(struct conf_ctx *ctx, const struct conf_node *n)
{
	struct mcu_conf *conf = ctx->conf;
	if (n->kind != CONF_SEQ) {
		conf_error(ctx, n->pos, "endpoints: expected a list");
		return;
	}
	size_t cap = n->n_items ? n->n_items : 1;
	conf->endpoints = calloc(cap, sizeof(*conf->endpoints));
	ctx->ep_marks = calloc(cap, sizeof(*ctx->ep_marks));
	if (!conf->endpoints || !ctx->ep_marks)
		return;
	for (size_t i = 0; i < n->n_items; i++) {
		size_t k = conf->n_endpoints;
		if (parse_endpoint(ctx, n->items[i], &conf->endpoints[k],
		                   &ctx->ep_marks[k]))
			conf->n_endpoints++;
		else
			conf_endpoint_clear(&conf->endpoints[k]);
	}
}

/* ---- groups ------------------------------------------------------- */

static void parse_group_filter(struct conf_ctx *ctx, const struct conf_node *n,
                               struct mcu_conf_group *g,
                               struct conf_group_marks *gm)
{
	static const char *const keys[] = {"tier", "parent"};
	const struct conf_node *v[2];
	char what[128];
	int tier;
	WHAT(what, "group", g->name, "filter");
	gm->is_filter = true;
	if (!conf_map_fields(ctx, n, keys, 2, v, what))
		return;
	if (!v[0] && !v[1])
		conf_error(ctx, n->pos, "%s: needs tier: or parent:", what);
	WHAT(what, "group", g->name, "tier");
	if (v[0] && conf_get_enum(ctx, v[0], what, tier_names, 4, &tier)) {
		gm->filter_tier_set = true;
		gm->filter_tier = (enum mcu_tier)tier;
	}
	WHAT(what, "group", g->name, "parent");
	if (v[1] && conf_get_id(ctx, v[1], what, &gm->filter_parent))
		gm->parent_pos = v[1]->pos;
}

static void parse_group(struct conf_ctx *ctx, const struct conf_node *key,
                        const struct conf_node *val)
{
	struct mcu_conf *conf = ctx->conf;
	struct mcu_conf_group *g = &conf->groups[conf->n_groups];
	struct conf_group_marks *gm = &ctx->group_marks[conf->n_groups];
	char what[128];

	if (!conf_get_id(ctx, key, "group name", &g->name))
		return;
	g->pos = key->pos;
	conf->n_groups++;
	if (strcmp(g->name, "all") == 0)
		conf_error(ctx, key->pos, "group name 'all' is reserved");
	WHAT(what, "group", g->name, "members");
	if (val->kind == CONF_MAP)
		parse_group_filter(ctx, val, g, gm);
	else if (val->kind == CONF_SEQ)
		conf_get_str_list(ctx, val, what, &gm->member_ids,
		                  &gm->n_member_ids, &gm->members);
	else
		conf_error(ctx, val->pos, "%s: expected a list of endpoint ids "
		           "or a filter {tier: X} / {parent: ID}", what);
}

void conf_parse_groups(struct conf_ctx *ctx, const struct conf_node *n)
{
	struct mcu_conf *conf = ctx->conf;
	if (n->kind != CONF_MAP) {
		conf_error(ctx, n->pos, "groups: expected a mapping of names");
		return;
	}
	size_t cap = n->n_items / 2 ? n->n_items / 2 : 1;
	conf->groups = calloc(cap, sizeof(*conf->groups));
	ctx->group_marks = calloc(cap, sizeof(*ctx->group_marks));
	if (!conf->groups || !ctx->group_marks)
		return;
	for (size_t i = 0; i + 1 < n->n_items; i += 2)
		parse_group(ctx, n->items[i], n->items[i + 1]);
}

/* ---- meetings ----------------------------------------------------- */

bool conf_layout_known(const char *name)
{
	static const char *const fixed[] = {"host", "host+floor", "speaker",
	                                    "1+5",  "1+7",        "1+12",
	                                    "content"};
	for (size_t i = 0; i < 7; i++)
		if (strcmp(name, fixed[i]) == 0)
			return true;
	const char *rest = NULL;
	if (strncmp(name, "grid-", 5) == 0 || strncmp(name, "tour-", 5) == 0)
		rest = name + 5;
	return rest && rest[0] >= '2' && rest[0] <= '5' && rest[1] == 'x' &&
	       rest[2] == rest[0] && rest[3] == '\0';
}

static void parse_layout_name(struct conf_ctx *ctx, const struct conf_node *n,
                              const char *what, char **out)
{
	char *s = NULL;
	if (!conf_get_str(ctx, n, what, &s))
		return;
	if (!conf_layout_known(s)) {
		conf_error(ctx, n->pos,
		           "%s: unknown layout '%s' (expected host | host+floor "
		           "| speaker | grid-NxN | tour-NxN (N = 2..5) | 1+5 | "
		           "1+7 | 1+12 | content)",
		           what, s);
		free(s);
		return;
	}
	free(*out);
	*out = s;
}

static void parse_layout(struct conf_ctx *ctx, const struct conf_node *n,
                         struct mcu_conf_meeting *m)
{
	static const char *const keys[] = {"host", "branches", "tour_seconds",
	                                   "self_view"};
	const struct conf_node *v[4];
	char what[128];
	unsigned long u;
	WHAT(what, "meeting", m->id, "layout");
	if (!conf_map_fields(ctx, n, keys, 4, v, what))
		return;
	WHAT(what, "meeting", m->id, "layout.host");
	if (v[0])
		parse_layout_name(ctx, v[0], what, &m->layout.host);
	WHAT(what, "meeting", m->id, "layout.branches");
	if (v[1])
		parse_layout_name(ctx, v[1], what, &m->layout.branches);
	WHAT(what, "meeting", m->id, "layout.tour_seconds");
	if (v[2] && conf_get_uint(ctx, v[2], what, 1, 3600, &u))
		m->layout.tour_seconds = (unsigned)u;
	WHAT(what, "meeting", m->id, "layout.self_view");
	if (v[3])
		conf_get_bool(ctx, v[3], what, &m->layout.self_view);
}

/* layout_presets: [{host: NAME, branches: NAME}, ...] (keypad 3<n>#). */
static void parse_presets(struct conf_ctx *ctx, const struct conf_node *n,
                          struct mcu_conf_meeting *m)
{
	static const char *const keys[] = {"host", "branches"};
	char what[128];
	WHAT(what, "meeting", m->id, "layout_presets");
	if (n->kind != CONF_SEQ) {
		conf_error(ctx, n->pos, "%s: expected a list of {host: LAYOUT, "
		           "branches: LAYOUT}", what);
		return;
	}
	if (n->n_items > MCU_CONF_LAYOUT_PRESETS_MAX) {
		conf_error(ctx, n->pos, "%s: at most %d presets", what,
		           MCU_CONF_LAYOUT_PRESETS_MAX);
		return;
	}
	if (!n->n_items)
		return; /* an empty list: the built-in presets */
	m->presets = calloc(n->n_items, sizeof(*m->presets));
	if (!m->presets)
		return;
	for (size_t i = 0; i < n->n_items; i++) {
		struct mcu_conf_layout_preset *p = &m->presets[m->n_presets++];
		const struct conf_node *v[2];
		char item[160];
		snprintf(item, sizeof(item), "%s %zu", what, i + 1);
		if (!conf_map_fields(ctx, n->items[i], keys, 2, v, item))
			continue;
		if (!v[0] && !v[1]) {
			conf_error(ctx, n->items[i]->pos,
			           "%s: give host and/or branches", item);
			continue;
		}
		snprintf(item, sizeof(item), "%s %zu host", what, i + 1);
		if (v[0])
			parse_layout_name(ctx, v[0], item, &p->host);
		snprintf(item, sizeof(item), "%s %zu branches", what, i + 1);
		if (v[1])
			parse_layout_name(ctx, v[1], item, &p->branches);
	}
}

/* Presets when a meeting has no layout_presets: docs/configuration.md. */
static const struct {
	const char *host, *branches;
} builtin_presets[] = {
	{"tour-4x4", "host+floor"}, {"tour-3x3", "host+floor"},
	{"tour-2x2", "host+floor"}, {"1+7", "host+floor"},
	{"speaker", "host"},        {"grid-5x5", "host+floor"},
};

bool mcu_conf_layout_preset(const struct mcu_conf_meeting *m, unsigned n,
                            const char **host, const char **branches)
{
	size_t nb = sizeof(builtin_presets) / sizeof(builtin_presets[0]);
	if (!m || !host || !branches)
		return false;
	if (n == 0) {
		*host = m->layout.host;
		*branches = m->layout.branches;
		return true;
	}
	if (m->n_presets) {
		if (n > m->n_presets)
			return false;
		*host = m->presets[n - 1].host;
		*branches = m->presets[n - 1].branches;
		return true;
	}
	if (n > nb)
		return false;
	*host = builtin_presets[n - 1].host;
	*branches = builtin_presets[n - 1].branches;
	return true;
}

static void parse_test_run(struct conf_ctx *ctx, const struct conf_node *n,
                           struct mcu_conf_meeting *m)
{
	static const char *const keys[] = {"start", "end"};
	const struct conf_node *v[2];
	char what[128];
	WHAT(what, "meeting", m->id, "test_run");
	if (!conf_map_fields(ctx, n, keys, 2, v, what))
		return;
	if (!v[0] || !v[1]) {
		conf_error(ctx, n->pos, "%s: needs start and end", what);
		return;
	}
	WHAT(what, "meeting", m->id, "test_run.start");
	bool ok = conf_get_time(ctx, v[0], what, false, &m->test_start);
	WHAT(what, "meeting", m->id, "test_run.end");
	ok &= conf_get_time(ctx, v[1], what, false, &m->test_end);
	if (ok && m->test_end <= m->test_start) {
		conf_error(ctx, v[1]->pos, "meeting '%s': test_run ends before "
		           "it starts", m->id);
		ok = false;
	}
	m->has_test_run = ok;
}

enum { M_ID, M_TITLE, M_HOST, M_BRANCHES, M_START, M_END, M_ANNOUNCED,
       M_TEST_RUN, M_EMERGENCY, M_REQUESTED, M_RECORD, M_CONTENT, M_FLOOR,
       M_LAYOUT, M_DIAL, M_NUMBER, M_AD_HOC, M_PRESETS, M_CASCADE,
       M_COUNT };

static void parse_mt_times(struct conf_ctx *ctx, const struct conf_node **v,
                           struct mcu_conf_meeting *m,
                           struct conf_meeting_marks *mk)
{
	char what[128];
	WHAT(what, "meeting", m->id, "start");
	bool ok = v[M_START] && conf_get_time(ctx, v[M_START], what, false,
	                                      &m->start);
	WHAT(what, "meeting", m->id, "end");
	ok &= v[M_END] && conf_get_time(ctx, v[M_END], what, false, &m->end);
	if (ok && m->end <= m->start) {
		conf_error(ctx, mk->end, "meeting '%s': end is not after start",
		           m->id);
		ok = false;
	}
	mk->times_ok = ok;
	WHAT(what, "meeting", m->id, "announced");
	if (v[M_ANNOUNCED] && !conf_is_null(v[M_ANNOUNCED]))
		m->has_announced = conf_get_time(ctx, v[M_ANNOUNCED], what, true,
		                                 &m->announced);
	WHAT(what, "meeting", m->id, "requested");
	if (v[M_REQUESTED] && !conf_is_null(v[M_REQUESTED]))
		m->has_requested = conf_get_time(ctx, v[M_REQUESTED], what, true,
		                                 &m->requested);
	if (v[M_TEST_RUN] && !conf_is_null(v[M_TEST_RUN]))
		parse_test_run(ctx, v[M_TEST_RUN], m);
}

static void parse_mt_flags(struct conf_ctx *ctx, const struct conf_node **v,
                           struct mcu_conf_meeting *m)
{
	char what[128];
	unsigned long u;
	int e;
	WHAT(what, "meeting", m->id, "emergency");
	if (v[M_EMERGENCY])
		conf_get_bool(ctx, v[M_EMERGENCY], what, &m->emergency);
	WHAT(what, "meeting", m->id, "ad_hoc");
	if (v[M_AD_HOC])
		conf_get_bool(ctx, v[M_AD_HOC], what, &m->ad_hoc);
	WHAT(what, "meeting", m->id, "record");
	if (v[M_RECORD])
		conf_get_bool(ctx, v[M_RECORD], what, &m->record);
	WHAT(what, "meeting", m->id, "content");
	if (v[M_CONTENT] && !conf_is_null(v[M_CONTENT]))
		conf_get_str_list(ctx, v[M_CONTENT], what, &m->content,
		                  &m->n_content, NULL);
	WHAT(what, "meeting", m->id, "floor");
	if (v[M_FLOOR] && conf_get_enum(ctx, v[M_FLOOR], what, floor_names, 3, &e))
		m->floor = (enum mcu_floor_mode)e;
	WHAT(what, "meeting", m->id, "dial");
	if (v[M_DIAL] && conf_get_enum(ctx, v[M_DIAL], what, dial_names, 2, &e))
		m->dial = (enum mcu_dial_mode)e;
	WHAT(what, "meeting", m->id, "number");
	if (v[M_NUMBER] && !conf_is_null(v[M_NUMBER]) &&
	    conf_get_uint(ctx, v[M_NUMBER], what, 1, 99999999, &u))
		m->number = (unsigned)u;
	if (v[M_LAYOUT] && !conf_is_null(v[M_LAYOUT]))
		parse_layout(ctx, v[M_LAYOUT], m);
	if (v[M_PRESETS] && !conf_is_null(v[M_PRESETS]))
		parse_presets(ctx, v[M_PRESETS], m);
}

static void meeting_marks(const struct conf_node **v,
                          struct conf_meeting_marks *mk)
{
	struct mcu_conf_pos *dst[] = {&mk->host,     &mk->branches,
	                              &mk->start,    &mk->end,
	                              &mk->announced, &mk->test_run,
	                              &mk->requested, &mk->emergency,
	                              &mk->number};
	int src[] = {M_HOST,     M_BRANCHES,  M_START,     M_END,   M_ANNOUNCED,
	             M_TEST_RUN, M_REQUESTED, M_EMERGENCY, M_NUMBER};
	for (size_t i = 0; i < sizeof(src) / sizeof(src[0]); i++)
		if (v[src[i]])
			*dst[i] = v[src[i]]->pos;
}

static int meeting_defaults(struct mcu_conf_meeting *m)
{
	m->floor = MCU_FLOOR_CHAIRED;
	m->dial = MCU_DIAL_OUT;
	m->layout.tour_seconds = 10;
	m->layout.host = conf_strdup("tour-4x4");
	m->layout.branches = conf_strdup("host+floor");
	return m->layout.host && m->layout.branches ? 0 : ENOMEM;
}

static bool parse_meeting(struct conf_ctx *ctx, const struct conf_node *n,
                          struct mcu_conf_meeting *m,
                          struct conf_meeting_marks *mk)
{
	static const char *const keys[M_COUNT] = {
		"id",        "title",     "host",   "branches", "start",
		"end",       "announced", "test_run", "emergency", "requested",
		"record",    "content",   "floor",  "layout",   "dial",
		"number",    "ad_hoc",    "layout_presets", "cascade"};
	const struct conf_node *v[M_COUNT];
	char what[128];

	if (!conf_map_fields(ctx, n, keys, M_COUNT, v, "meetings item"))
		return false;
	if (!v[M_ID]) {
		conf_error(ctx, n->pos, "meeting without id");
		return false;
	}
	if (!conf_get_id(ctx, v[M_ID], "meeting id", &m->id))
		return false;
	m->pos = n->pos;
	meeting_marks(v, mk);
	if (meeting_defaults(m))
		return true;
	const char *req[] = {"host", "start", "end"};
	int req_k[] = {M_HOST, M_START, M_END};
	for (size_t i = 0; i < 3; i++)
		if (!v[req_k[i]])
			conf_error(ctx, n->pos, "meeting '%s': %s is required",
			           m->id, req[i]);
	WHAT(what, "meeting", m->id, "title");
	if (v[M_TITLE])
		conf_get_str(ctx, v[M_TITLE], what, &m->title);
	else
		m->title = conf_strdup(m->id);
	WHAT(what, "meeting", m->id, "host");
	if (v[M_HOST])
		conf_get_id(ctx, v[M_HOST], what, &m->host);
	WHAT(what, "meeting", m->id, "branches");
	if (v[M_BRANCHES] && !conf_is_null(v[M_BRANCHES]))
		conf_get_str_list(ctx, v[M_BRANCHES], what, &m->branch_specs,
		                  &m->n_branch_specs, &mk->specs);
	parse_mt_times(ctx, v, m, mk);
	parse_mt_flags(ctx, v, m);
	if (v[M_CASCADE] && !conf_is_null(v[M_CASCADE]))
		conf_parse_cascade(ctx, v[M_CASCADE], m);
	return true;
}

void conf_parse_meetings(struct conf_ctx *ctx, const struct conf_node *n)
{
	struct mcu_conf *conf = ctx->conf;
	if (n->kind != CONF_SEQ) {
		conf_error(ctx, n->pos, "meetings: expected a list");
		return;
	}
	size_t cap = n->n_items ? n->n_items : 1;
	conf->meetings = calloc(cap, sizeof(*conf->meetings));
	ctx->mt_marks = calloc(cap, sizeof(*ctx->mt_marks));
	if (!conf->meetings || !ctx->mt_marks)
		return;
	for (size_t i = 0; i < n->n_items; i++) {
		size_t k = conf->n_meetings;
		if (parse_meeting(ctx, n->items[i], &conf->meetings[k],
		                  &ctx->mt_marks[k])) {
			conf->n_meetings++;
		} else {
			conf_meeting_clear(&conf->meetings[k]);
			free(ctx->mt_marks[k].specs);
			memset(&ctx->mt_marks[k], 0, sizeof(ctx->mt_marks[k]));
		}
	}
}
