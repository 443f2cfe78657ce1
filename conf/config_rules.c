/*
 * config_rules: resolves references (parents, group members, meeting hosts
 * and branches) and applies the regulation's rules (roster-format.md):
 *
 *   notice    announced >= 3 working days before start   error unless
 *                                                          emergency
 *   emergency announced >= 1 hour before start            error
 *   test run  starts 1..2 working days before start       warning
 *   requests  record/content requested >= 1 working day   warning
 *   refs      host and branches known, host not a branch  error
 *   overlap   meetings sharing an endpoint overlap        error
 *   contacts  leader, technician and support with phone   warning
 *
 * Lookups go through sorted indices and the overlap check sweeps each
 * endpoint's meetings in start order, so a hostile roster with many
 * endpoints and meetings is still checked in O(n log n).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf/config_internal.h"

struct name_ref {
	const char *name;
	size_t index;
};

static int cmp_name_ref(const void *a, const void *b)
{
	const struct name_ref *x = a, *y = b;
	int c = strcmp(x->name, y->name);
	if (c)
		return c;
	return (x->index > y->index) - (x->index < y->index);
}

static long find_name(const struct name_ref *refs, size_t n, const char *name)
{
	size_t lo = 0, hi = n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (strcmp(refs[mid].name, name) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < n && strcmp(refs[lo].name, name) == 0 ? (long)refs[lo].index
	                                                  : -1;
}

struct rules {
	struct conf_ctx *ctx;
	struct name_ref *groups; /* sorted by name */
	size_t n_groups;
	uint8_t *mark; /* scratch: one flag per endpoint */
	size_t n_members; /* resolved group and meeting members so far */
};

static long ep_find(const struct mcu_conf *conf, const char *id)
{
	return mcu_conf_endpoint_index(conf, id);
}

static int index_endpoints(struct conf_ctx *ctx)
{
	struct mcu_conf *conf = ctx->conf;
	size_t n = conf->n_endpoints;
	struct name_ref *refs = calloc(n ? n : 1, sizeof(*refs));
	conf->endpoint_by_id = calloc(n ? n : 1, sizeof(size_t));
	if (!refs || !conf->endpoint_by_id) {
		free(refs);
		return ENOMEM;
	}
	for (size_t i = 0; i < n; i++)
		refs[i] = (struct name_ref){conf->endpoints[i].id, i};
	qsort(refs, n, sizeof(*refs), cmp_name_ref);
	for (size_t i = 0; i < n; i++) {
		conf->endpoint_by_id[i] = refs[i].index;
		if (i > 0 && strcmp(refs[i].name, refs[i - 1].name) == 0)
			conf_error(ctx, ctx->ep_marks[refs[i].index].id,
			           "duplicate endpoint id '%s' (first at line %d)",
			           refs[i].name,
			           ctx->ep_marks[refs[i - 1].index].id.line);
	}
	free(refs);
	return 0;
}

static void resolve_parents(struct conf_ctx *ctx)
{
	struct mcu_conf *conf = ctx->conf;
	for (size_t i = 0; i < conf->n_endpoints; i++) {
		struct mcu_conf_endpoint *ep = &conf->endpoints[i];
		if (!ep->parent)
			continue;
		ep->parent_index = ep_find(conf, ep->parent);
		if (ep->parent_index < 0)
			conf_error(ctx, ctx->ep_marks[i].parent,
			           "endpoint '%s': unknown parent '%s'", ep->id,
			           ep->parent);
		else if ((size_t)ep->parent_index == i)
			conf_error(ctx, ctx->ep_marks[i].parent,
			           "endpoint '%s' is its own parent", ep->id);
	}
}

/* Turn the marked endpoints into an index list in roster order. */
static int take_marked(struct rules *r, size_t **outp, size_t *n_out)
{
	size_t n = 0, n_ep = r->ctx->conf->n_endpoints;
	for (size_t i = 0; i < n_ep; i++)
		n += r->mark[i] != 0;
	r->n_members += n;
	if (r->n_members > MCU_CONF_MAX_MEMBERS) {
		conf_error(r->ctx, CONF_NO_POS,
		           "groups and meetings name more than %u members in "
		           "total: roster refused",
		           (unsigned)MCU_CONF_MAX_MEMBERS);
		return E2BIG;
	}
	size_t *out = calloc(n ? n : 1, sizeof(*out));
	if (!out)
		return ENOMEM;
	n = 0;
	for (size_t i = 0; i < n_ep; i++) {
		if (r->mark[i])
			out[n++] = i;
		r->mark[i] = 0;
	}
	*outp = out;
	*n_out = n;
	return 0;
}

static void mark_filter(struct rules *r, const struct conf_group_marks *gm,
                        const char *gname)
{
	const struct mcu_conf *conf = r->ctx->conf;
	long parent = -1;
	if (gm->filter_parent) {
		parent = ep_find(conf, gm->filter_parent);
		if (parent < 0) {
			conf_error(r->ctx, gm->parent_pos,
			           "group '%s': unknown parent '%s'", gname,
			           gm->filter_parent);
			return;
		}
	}
	for (size_t i = 0; i < conf->n_endpoints; i++) {
		const struct mcu_conf_endpoint *ep = &conf->endpoints[i];
		if (gm->filter_tier_set && ep->tier != gm->filter_tier)
			continue;
		if (parent >= 0 && ep->parent_index != parent)
			continue;
		r->mark[i] = 1;
	}
}

static int resolve_group(struct rules *r, size_t gi)
{
	struct conf_ctx *ctx = r->ctx;
	struct mcu_conf_group *g = &ctx->conf->groups[gi];
	const struct conf_group_marks *gm = &ctx->group_marks[gi];

	if (ep_find(ctx->conf, g->name) >= 0)
		conf_warn(ctx, g->pos, "group '%s' has the id of an endpoint: "
		          "in branches the name means the endpoint", g->name);
	if (gm->is_filter) {
		if (gm->filter_tier_set || gm->filter_parent)
			mark_filter(r, gm, g->name);
	} else {
		for (size_t k = 0; k < gm->n_member_ids; k++) {
			long e = ep_find(ctx->conf, gm->member_ids[k]);
			if (e < 0)
				conf_error(ctx, gm->members[k],
				           "group '%s': unknown endpoint '%s'",
				           g->name, gm->member_ids[k]);
			else
				r->mark[e] = 1;
		}
	}
	conf_cascade_marks(ctx, NULL, NULL, r->mark);
	int err = take_marked(r, &g->members, &g->n_members);
	if (!err && g->n_members == 0)
		conf_warn(ctx, g->pos, "group '%s' has no members", g->name);
	return err;
}

static int resolve_groups(struct rules *r)
{
	struct mcu_conf *conf = r->ctx->conf;
	r->n_groups = conf->n_groups;
	r->groups = calloc(conf->n_groups ? conf->n_groups : 1,
	                   sizeof(*r->groups));
	if (!r->groups)
		return ENOMEM;
	for (size_t i = 0; i < conf->n_groups; i++)
		r->groups[i] = (struct name_ref){conf->groups[i].name, i};
	qsort(r->groups, r->n_groups, sizeof(*r->groups), cmp_name_ref);
	for (size_t i = 1; i < r->n_groups; i++)
		if (strcmp(r->groups[i].name, r->groups[i - 1].name) == 0)
			conf_error(r->ctx, conf->groups[r->groups[i].index].pos,
			           "duplicate group '%s'", r->groups[i].name);
	for (size_t i = 0; i < conf->n_groups; i++) {
		int err = resolve_group(r, i);
		if (err)
			return err;
	}
	return 0;
}

static bool parse_tier(const char *s, enum mcu_tier *out)
{
	for (int t = 0; t < MCU_TIER_COUNT; t++) {
		if (strcmp(s, mcu_conf_tier_name((enum mcu_tier)t)) == 0) {
			*out = (enum mcu_tier)t;
			return true;
		}
	}
	return false;
}

/* Marks the endpoints one branch spec names. */
static void mark_spec(struct rules *r, struct mcu_conf_meeting *m,
                      const char *spec, struct mcu_conf_pos pos)
{
	const struct mcu_conf *conf = r->ctx->conf;
	enum mcu_tier tier;
	long e;
	if (strcmp(spec, "all") == 0) {
		memset(r->mark, 1, conf->n_endpoints);
	} else if (strncmp(spec, "tier:", 5) == 0) {
		if (!parse_tier(spec + 5, &tier)) {
			conf_error(r->ctx, pos, "meeting '%s': unknown tier in "
			           "branch '%s' (city | district | commune | "
			           "extended)", m->id, spec);
			return;
		}
		for (size_t i = 0; i < conf->n_endpoints; i++)
			if (conf->endpoints[i].tier == tier)
				r->mark[i] = 1;
	} else if ((e = ep_find(conf, spec)) >= 0) {
		if ((size_t)e == m->host_index && m->host)
			conf_error(r->ctx, pos, "meeting '%s': the host '%s' is "
			           "also listed as a branch", m->id, spec);
		r->mark[e] = 1;
	} else if ((e = find_name(r->groups, r->n_groups, spec)) >= 0) {
		const struct mcu_conf_group *g = &conf->groups[e];
		for (size_t k = 0; k < g->n_members; k++)
			r->mark[g->members[k]] = 1;
	} else {
		conf_error(r->ctx, pos, "meeting '%s': unknown branch '%s' (not "
		           "an endpoint id, a group, tier:X or all)", m->id, spec);
	}
}

static int resolve_meeting(struct rules *r, size_t mi)
{
	struct conf_ctx *ctx = r->ctx;
	struct mcu_conf_meeting *m = &ctx->conf->meetings[mi];
	const struct conf_meeting_marks *mk = &ctx->mt_marks[mi];
	long host = m->host ? ep_find(ctx->conf, m->host) : -1;

	if (m->host && host < 0)
		conf_error(ctx, mk->host, "meeting '%s': unknown host '%s'",
		           m->id, m->host);
	m->host_index = host < 0 ? 0 : (size_t)host;
	if (host < 0 && m->host) {
		free(m->host); /* keeps mark_spec's host test off */
		m->host = NULL;
	}
	for (size_t k = 0; k < m->n_branch_specs; k++)
		mark_spec(r, m, m->branch_specs[k], mk->specs[k]);
	if (m->host)
		r->mark[m->host_index] = 0;
	conf_cascade_marks(ctx, m, mk, r->mark);
	int err = take_marked(r, &m->branches, &m->n_branches);
	if (err)
		return err;
	if (m->n_branches == 0 && m->host)
		conf_warn(ctx, mk->branches.line ? mk->branches : m->pos,
		          "meeting '%s' has no branches", m->id);
	return 0;
}

/* A tls_subject is checked on the client certificate, which the TLS
   listener only asks for with mcu.sip.tls.verify_client. */
static void check_tls_subjects(struct conf_ctx *ctx)
{
	const struct mcu_conf *conf = ctx->conf;
	for (size_t i = 0; i < conf->n_endpoints; i++) {
		const struct mcu_conf_endpoint *ep = &conf->endpoints[i];
		if (ep->tls_subject && !conf->tls_verify_client)
			conf_error(ctx, ep->pos, "endpoint '%s': tls_subject "
			           "needs mcu.sip.tls.verify_client: true",
			           ep->id);
	}
}

static void check_meeting_ids(struct conf_ctx *ctx)
{
	struct mcu_conf *conf = ctx->conf;
	size_t n = conf->n_meetings;
	struct name_ref *refs = calloc(n ? n : 1, sizeof(*refs));
	if (!refs)
		return;
	for (size_t i = 0; i < n; i++)
		refs[i] = (struct name_ref){conf->meetings[i].id, i};
	qsort(refs, n, sizeof(*refs), cmp_name_ref);
	for (size_t i = 1; i < n; i++)
		if (strcmp(refs[i].name, refs[i - 1].name) == 0)
			conf_error(ctx, conf->meetings[refs[i].index].pos,
			           "duplicate meeting id '%s' (first at line %d)",
			           refs[i].name,
			           conf->meetings[refs[i - 1].index].pos.line);
	free(refs);
}

void conf_check_rules(struct conf_ctx *ctx)
{
	struct mcu_conf *conf = ctx->conf;
	struct rules r = {.ctx = ctx};
	int err = index_endpoints(ctx);
	if (err)
		goto out;
	resolve_parents(ctx);
	check_tls_subjects(ctx);
	r.mark = calloc(conf->n_endpoints ? conf->n_endpoints : 1, 1);
	if (!r.mark || (err = resolve_groups(&r)) != 0)
		goto out;
	check_meeting_ids(ctx);
	for (size_t i = 0; i < conf->n_meetings; i++) {
		if ((err = resolve_meeting(&r, i)) != 0)
			goto out;
		conf_rules_time(ctx, i);
	}
	conf_rules_overlap(ctx);
	conf_rules_contacts(ctx);
out:
	if (err == ENOMEM || (!r.mark && !err))
		conf_error(ctx, CONF_NO_POS,
		           "out of memory while checking the roster");
	free(r.groups);
	free(r.mark);
}
