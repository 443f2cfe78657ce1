/*
 * config_cascade: a meeting's `cascade:` list, its links to meetings on
 * other MCUs (docs/configuration.md, docs/deployment.md).
 *
 * A link becomes an endpoint of its own, appended to the directory after
 * the endpoints: section, so that everything that works on endpoints
 * (room slots, dial-out with its back-off, dial-in admission by sip URI
 * and allow list, the API, the logbook) works on a link unchanged. What
 * makes it a link is ep->cascade: it is never picked up by `all`,
 * `tier:X` or a group, it may not be named as a host or branch (a meeting
 * takes a link through its own cascade: entry), it needs no contacts.
 *
 * The same id in the cascade: lists of several meetings (a district MCU
 * joined to every weekly meeting) is one link, as long as every entry
 * says the same uri and direction; the overlap rule then applies to it
 * like to any endpoint.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf/config_internal.h"

static const char *const dir_names[] = {"out", "in"};
static const char *const link_codecs[] = {"h264", "vp8",  "opus",
                                          "g722", "pcma", "pcmu"};

enum { C_ID, C_NAME, C_URI, C_DIRECTION, C_ALLOW, C_BW, C_COUNT };

const char *mcu_conf_cascade_name(enum mcu_cascade_dir dir)
{
	switch (dir) {
	case MCU_CASCADE_OUT:
		return "out";
	case MCU_CASCADE_IN:
		return "in";
	case MCU_CASCADE_NONE:
		break;
	}
	return NULL;
}

static int link_codec_list(struct mcu_conf_endpoint *ep)
{
	size_t n = sizeof(link_codecs) / sizeof(link_codecs[0]);
	ep->codecs = calloc(n, sizeof(*ep->codecs));
	if (!ep->codecs)
		return ENOMEM;
	for (size_t i = 0; i < n; i++) {
		ep->codecs[i] = conf_strdup(link_codecs[i]);
		if (!ep->codecs[i])
			return ENOMEM;
		ep->n_codecs++;
	}
	return 0;
}

/* Read one entry into `ep` (id set by the caller). Returns false after
   an error that makes the entry unusable. */
static bool parse_fields(struct conf_ctx *ctx, const struct conf_node *n,
                         const struct conf_node **v,
                         const struct mcu_conf_meeting *m,
                         struct mcu_conf_endpoint *ep)
{
	char what[192];
	unsigned long bw;
	int dir;
	bool ok = true;
	const char *req[] = {"name", "uri", "direction"};
	int req_k[] = {C_NAME, C_URI, C_DIRECTION};
	for (size_t i = 0; i < 3; i++) {
		if (v[req_k[i]])
			continue;
		conf_error(ctx, n->pos,
		           "meeting '%s': cascade link '%s': %s is required%s",
		           m->id, ep->id, req[i],
		           req_k[i] == C_URI
		                   ? " (the remote meeting: sip:MEETING@HOST[:PORT])"
		           : req_k[i] == C_DIRECTION ? " (out | in)"
		                                     : "");
		ok = false;
	}
	snprintf(what, sizeof(what), "meeting '%s': cascade link '%s': name",
	         m->id, ep->id);
	if (v[C_NAME] && !conf_get_str(ctx, v[C_NAME], what, &ep->name))
		ok = false;
	snprintf(what, sizeof(what), "meeting '%s': cascade link '%s': uri",
	         m->id, ep->id);
	if (v[C_URI] && conf_get_str(ctx, v[C_URI], what, &ep->sip)) {
		int err = conf_sip_uri(ep->sip, ep);
		if (err == ENOMEM)
			return false;
		if (err) {
			conf_error(ctx, v[C_URI]->pos,
			           "%s: '%s' is not a SIP URI "
			           "sip:MEETING@HOST[:PORT]", what, ep->sip);
			ok = false;
		} else if (!ep->sip_user) {
			conf_error(ctx, v[C_URI]->pos,
			           "%s: '%s' has no user part: it must name "
			           "the remote meeting (its id or number), "
			           "sip:MEETING@HOST[:PORT]", what, ep->sip);
			ok = false;
		}
	} else if (v[C_URI]) {
		ok = false;
	}
	snprintf(what, sizeof(what),
	         "meeting '%s': cascade link '%s': direction", m->id, ep->id);
	if (v[C_DIRECTION] &&
	    conf_get_enum(ctx, v[C_DIRECTION], what, dir_names, 2, &dir))
		ep->cascade = dir == 0 ? MCU_CASCADE_OUT : MCU_CASCADE_IN;
	else
		ok = false;
	snprintf(what, sizeof(what), "meeting '%s': cascade link '%s': allow",
	         m->id, ep->id);
	if (v[C_ALLOW] && !conf_is_null(v[C_ALLOW]))
		conf_parse_allow(ctx, v[C_ALLOW], what, ep);
	if (conf_default_allow(ep) || link_codec_list(ep))
		return false;
	if (ok && ep->cascade == MCU_CASCADE_IN && ep->n_allow == 0) {
		conf_error(ctx, n->pos,
		           "meeting '%s': cascade link '%s': direction in needs "
		           "allow (the source addresses of the remote MCU): "
		           "the uri host '%s' is not an address",
		           m->id, ep->id, ep->sip_host);
		ok = false;
	}
	snprintf(what, sizeof(what),
	         "meeting '%s': cascade link '%s': bandwidth_kbps", m->id,
	         ep->id);
	if (v[C_BW] && conf_get_uint(ctx, v[C_BW], what, 64, 100000, &bw))
		ep->bandwidth_kbps = (unsigned)bw;
	return ok;
}

static bool cidrs_equal(const struct mcu_conf_endpoint *a,
                        const struct mcu_conf_endpoint *b)
{
	if (a->n_allow != b->n_allow)
		return false;
	for (size_t i = 0; i < a->n_allow; i++)
		if (a->allow[i].family != b->allow[i].family ||
		    a->allow[i].prefix != b->allow[i].prefix ||
		    memcmp(a->allow[i].addr, b->allow[i].addr, 16))
			return false;
	return true;
}

static bool same_link(const struct mcu_conf_endpoint *a,
                      const struct mcu_conf_endpoint *b)
{
	return a->cascade == b->cascade && !strcmp(a->sip, b->sip) &&
	       !strcmp(a->name, b->name) && a->bandwidth_kbps ==
	       b->bandwidth_kbps && cidrs_equal(a, b);
}

/* An earlier link with ep's id (index), or -1. */
static long earlier_link(const struct mcu_conf *conf, const char *id)
{
	for (size_t i = 0; i < conf->n_cascade_links; i++) {
		size_t e = conf->cascade_links[i];
		if (!strcmp(conf->endpoints[e].id, id))
			return (long)e;
	}
	return -1;
}

/* Append `ep` (moved) to the directory; its index, or -1 on ENOMEM. */
static long append_link(struct conf_ctx *ctx, struct mcu_conf_endpoint *ep,
                        struct mcu_conf_pos id_pos)
{
	struct mcu_conf *conf = ctx->conf;
	size_t n = conf->n_endpoints;
	struct mcu_conf_endpoint *eps =
		realloc(conf->endpoints, (n + 1) * sizeof(*eps));
	if (!eps)
		return -1;
	conf->endpoints = eps;
	struct conf_endpoint_marks *mks =
		realloc(ctx->ep_marks, (n + 1) * sizeof(*mks));
	if (!mks)
		return -1;
	ctx->ep_marks = mks;
	size_t *links = realloc(conf->cascade_links,
	                        (conf->n_cascade_links + 1) * sizeof(*links));
	if (!links)
		return -1;
	conf->cascade_links = links;
	memset(&mks[n], 0, sizeof(mks[n]));
	mks[n].id = id_pos;
	mks[n].contacts = ep->pos;
	eps[n] = *ep;
	memset(ep, 0, sizeof(*ep));
	links[conf->n_cascade_links++] = n;
	conf->n_endpoints++;
	return (long)n;
}

/* One entry: the endpoint index of its link, or -1 (error reported). */
static long parse_entry(struct conf_ctx *ctx, const struct conf_node *n,
                        const struct mcu_conf_meeting *m)
{
	static const char *const keys[C_COUNT] = {
		"id", "name", "uri", "direction", "allow", "bandwidth_kbps"};
	const struct conf_node *v[C_COUNT];
	struct mcu_conf_endpoint ep;
	char where[160];
	long e = -1;

	snprintf(where, sizeof(where), "meeting '%s': cascade item", m->id);
	if (!conf_map_fields(ctx, n, keys, C_COUNT, v, where))
		return -1;
	if (!v[C_ID]) {
		conf_error(ctx, n->pos, "meeting '%s': cascade link without id",
		           m->id);
		return -1;
	}
	memset(&ep, 0, sizeof(ep));
	snprintf(where, sizeof(where), "meeting '%s': cascade link id", m->id);
	if (!conf_get_id(ctx, v[C_ID], where, &ep.id))
		return -1;
	ep.pos = n->pos;
	ep.tier = MCU_TIER_EXTENDED;
	ep.parent_index = -1;
	ep.bandwidth_kbps = 2048;
	if (!parse_fields(ctx, n, v, m, &ep))
		goto out;
	long prev = earlier_link(ctx->conf, ep.id);
	if (prev >= 0) {
		const struct mcu_conf_endpoint *p = &ctx->conf->endpoints[prev];
		if (same_link(p, &ep))
			e = prev;
		else
			conf_error(ctx, v[C_ID]->pos,
			           "meeting '%s': cascade link '%s' differs "
			           "from the link of that id at line %d: one id, "
			           "one link (the same name, uri, direction, "
			           "allow and bandwidth_kbps everywhere)",
			           m->id, ep.id, p->pos.line);
		goto out;
	}
	if (ctx->conf->n_cascade_links >= MCU_CONF_MAX_CASCADES) {
		conf_error(ctx, n->pos, "more than %d cascade links in the "
		           "roster", MCU_CONF_MAX_CASCADES);
		goto out;
	}
	e = append_link(ctx, &ep, v[C_ID]->pos);
	if (e < 0)
		conf_error(ctx, n->pos, "out of memory");
out:
	conf_endpoint_clear(&ep);
	return e;
}

void conf_parse_cascade(struct conf_ctx *ctx, const struct conf_node *n,
                        struct mcu_conf_meeting *m)
{
	if (n->kind != CONF_SEQ) {
		conf_error(ctx, n->pos, "meeting '%s': cascade: expected a list "
		           "of links ({id, name, uri, direction})", m->id);
		return;
	}
	if (n->n_items > MCU_CONF_MAX_MEETING_CASCADES) {
		conf_error(ctx, n->pos, "meeting '%s': more than %d cascade "
		           "links", m->id, MCU_CONF_MAX_MEETING_CASCADES);
		return;
	}
	m->cascades = calloc(n->n_items ? n->n_items : 1,
	                     sizeof(*m->cascades));
	if (!m->cascades) {
		conf_error(ctx, n->pos, "out of memory");
		return;
	}
	for (size_t i = 0; i < n->n_items; i++) {
		long e = parse_entry(ctx, n->items[i], m);
		if (e < 0)
			continue;
		bool dup = false;
		for (size_t k = 0; k < m->n_cascades; k++)
			dup |= m->cascades[k] == (size_t)e;
		if (dup)
			conf_error(ctx, n->items[i]->pos,
			           "meeting '%s': cascade link '%s' is listed "
			           "twice", m->id, ctx->conf->endpoints[e].id);
		else
			m->cascades[m->n_cascades++] = (size_t)e;
	}
}

static bool is_link(const struct mcu_conf *conf, const char *id)
{
	long e = id ? mcu_conf_endpoint_index(conf, id) : -1;
	return e >= 0 && conf->endpoints[e].cascade != MCU_CASCADE_NONE;
}

void conf_cascade_marks(struct conf_ctx *ctx, struct mcu_conf_meeting *m,
                        const struct conf_meeting_marks *mk, uint8_t *mark)
{
	const struct mcu_conf *conf = ctx->conf;
	for (size_t i = 0; i < conf->n_cascade_links; i++)
		mark[conf->cascade_links[i]] = 0;
	if (!m)
		return;
	if (m->host && is_link(conf, m->host))
		conf_error(ctx, mk->host, "meeting '%s': the host '%s' is a "
		           "cascade link: a link is a branch, listed under "
		           "cascade:", m->id, m->host);
	for (size_t k = 0; k < m->n_branch_specs; k++)
		if (is_link(conf, m->branch_specs[k]))
			conf_error(ctx, mk->specs ? mk->specs[k] : m->pos,
			           "meeting '%s': branch '%s' is a cascade link: "
			           "list it under the meeting's cascade:",
			           m->id, m->branch_specs[k]);
	for (size_t i = 0; i < m->n_cascades; i++)
		mark[m->cascades[i]] = 1;
}
