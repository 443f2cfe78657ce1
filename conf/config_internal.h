/*
 * Internal interface between the parts of the roster loader (conf/ only):
 *   config_tree.c   libyaml events -> a small node tree, with the limits
 *   config_value.c  findings and typed scalar conversions
 *   config_parse.c  the mcu: section        config_roster.c  endpoints,
 *   config_rules.c  references              groups, meetings
 *   config_check.c  the regulation's rules on times, overlaps, contacts
 *   config.c        the public entry points and the snapshot's lifetime
 */
#ifndef MCU_CONF_CONFIG_INTERNAL_H
#define MCU_CONF_CONFIG_INTERNAL_H

#include <stdarg.h>

#include "conf/calendar.h"
#include "conf/config.h"

/* Warnings kept per report, and errors kept per report; the rest are
 * only counted (mcu_conf_report.n_suppressed). */
#define MCU_CONF_MAX_FINDINGS 1000
/* Resolved meeting memberships (host + branches) over all meetings. */
#define MCU_CONF_MAX_MEMBERS (1u << 20)
#define MCU_CONF_MAX_ID 64

enum conf_node_kind {
	CONF_SCALAR = 0,
	CONF_SEQ,
	CONF_MAP,
};

/* One YAML node; a map holds keys and values alternately in `items`. */
struct conf_node {
	enum conf_node_kind kind;
	struct mcu_conf_pos pos;
	char *str; /* scalar, NUL-terminated (NUL inside is refused) */
	size_t len;
	bool plain; /* a plain (unquoted) scalar: may be null/bool/number */
	struct conf_node **items;
	size_t n_items, cap_items;
};

/* Positions of meeting fields the rules point at. */
struct conf_meeting_marks {
	struct mcu_conf_pos host, branches, start, end, announced, test_run,
		requested, emergency, number;
	struct mcu_conf_pos *specs; /* one per branch spec */
	bool times_ok;              /* start and end read, end > start */
};

struct conf_endpoint_marks {
	struct mcu_conf_pos id, parent, contacts;
};

struct conf_group_marks {
	struct mcu_conf_pos *members; /* explicit list: one per member id */
	char **member_ids;
	size_t n_member_ids;
	bool is_filter;
	bool filter_tier_set;
	enum mcu_tier filter_tier;
	char *filter_parent;
	struct mcu_conf_pos parent_pos;
};

struct conf_ctx {
	struct mcu_conf_report *report;
	struct mcu_conf *conf;
	struct mcu_calendar cal;
	bool tz_ok;
	struct conf_endpoint_marks *ep_marks;
	struct conf_group_marks *group_marks;
	struct conf_meeting_marks *mt_marks;
};

#define CONF_NO_POS ((struct mcu_conf_pos){0})

/* config_tree.c */
int conf_tree_build(struct mcu_conf_report *report, const char *buf,
                    size_t len, struct conf_node **rootp);
struct conf_node *conf_tree_free(struct conf_node *node);
/* Add `lines` to the line of every node (findings of a second text). */
void conf_tree_shift_lines(struct conf_node *node, int lines);
/* Move the items of sequence `seq` to the end of map `root`'s sequence
   under `key` (made when absent or empty). 0, EINVAL (root has `key` but
   not as a sequence) or ENOMEM. */
int conf_tree_graft_seq(struct conf_node *root, const char *key,
                        struct conf_node *seq);

/* config_value.c: findings */
void conf_finding(struct mcu_conf_report *report,
                  enum mcu_conf_severity severity, struct mcu_conf_pos pos,
                  const char *fmt, ...) __attribute__((format(printf, 4, 5)));
#define conf_error(ctx, pos, ...)                                              \
	conf_finding((ctx)->report, MCU_CONF_ERROR, (pos), __VA_ARGS__)
#define conf_warn(ctx, pos, ...)                                               \
	conf_finding((ctx)->report, MCU_CONF_WARNING, (pos), __VA_ARGS__)

/* config_value.c: memory helpers (abort-free: NULL on failure) */
char *conf_strdup(const char *s);
int conf_grow(void **arr, size_t *cap, size_t need, size_t size);

/*
 * Fill vals[i] with the value node of keys[i] in `map` (NULL if absent),
 * warn about unknown keys, report duplicates as errors. `where` names the
 * map in messages ("mcu.sip"). Returns false (after an error) when `map`
 * is not a mapping.
 */
bool conf_map_fields(struct conf_ctx *ctx, const struct conf_node *map,
                     const char *const *keys, size_t n_keys,
                     const struct conf_node **vals, const char *where);

bool conf_is_null(const struct conf_node *n);
/* Typed getters: true on success; on failure an error finding is added. */
bool conf_get_str(struct conf_ctx *ctx, const struct conf_node *n,
                  const char *what, char **out);
bool conf_get_uint(struct conf_ctx *ctx, const struct conf_node *n,
                   const char *what, unsigned long min, unsigned long max,
                   unsigned long *out);
bool conf_get_bool(struct conf_ctx *ctx, const struct conf_node *n,
                   const char *what, bool *out);
/* "off", "optional", "required" (enum mcu_srtp_policy order). */
extern const char *const conf_srtp_names[3];
bool conf_get_enum(struct conf_ctx *ctx, const struct conf_node *n,
                   const char *what, const char *const *names, size_t n_names,
                   int *out);
bool conf_get_id(struct conf_ctx *ctx, const struct conf_node *n,
                 const char *what, char **out);
bool conf_id_valid(const char *s);
/* A list of strings; a single scalar is a list of one. */
bool conf_get_str_list(struct conf_ctx *ctx, const struct conf_node *n,
                       const char *what, char ***out, size_t *n_out,
                       struct mcu_conf_pos **posp);
void conf_str_list_free(char **list, size_t n);
/* "YYYY-MM-DD" */
bool conf_get_date(struct conf_ctx *ctx, const struct conf_node *n,
                   const char *what, int32_t *day);
/* A date-time (or, with allow_date, a date: its local midnight). */
bool conf_get_time(struct conf_ctx *ctx, const struct conf_node *n,
                   const char *what, bool allow_date, time_t *out);
/* "host:port" / "[v6]:port" with a numeric host. */
bool conf_get_addr(struct conf_ctx *ctx, const struct conf_node *n,
                   const char *what, struct mcu_conf_addr *out);
int conf_parse_addr(const char *s, struct mcu_conf_addr *out);
int conf_parse_cidr(const char *s, struct mcu_conf_cidr *out);
/* An endpoint's (or cascade link's) `allow` list from node n, each entry
   an address or ADDRESS/PREFIX; errors name `what`. */
void conf_parse_allow(struct conf_ctx *ctx, const struct conf_node *n,
                      const char *what, struct mcu_conf_endpoint *ep);
/* No allow list given: the SIP URI's host when it is an address
   (0, or ENOMEM). */
int conf_default_allow(struct mcu_conf_endpoint *ep);
void conf_addr_clear(struct mcu_conf_addr *a);

/* config_parse.c */
void conf_parse_mcu(struct conf_ctx *ctx, const struct conf_node *mcu);
/* config_roster.c */
void conf_parse_endpoints(struct conf_ctx *ctx, const struct conf_node *n);
void conf_parse_groups(struct conf_ctx *ctx, const struct conf_node *n);
void conf_parse_meetings(struct conf_ctx *ctx, const struct conf_node *n);
bool conf_layout_known(const char *name);
/* "sip:user@host[:port][;params]" into ep's sip_user/sip_host/sip_port:
   0, EINVAL or ENOMEM. */
int conf_sip_uri(const char *s, struct mcu_conf_endpoint *ep);
/* config_cascade.c: a meeting's cascade: list, read into endpoints of
   their own (appended to conf->endpoints and ctx->ep_marks) */
#define MCU_CONF_MAX_CASCADES 256 /* distinct links in a roster */
#define MCU_CONF_MAX_MEETING_CASCADES 32
void conf_parse_cascade(struct conf_ctx *ctx, const struct conf_node *n,
                        struct mcu_conf_meeting *m);
/* Before a group's or meeting's marks become its members: links are
   never marked by all, tier:X or groups; for a meeting (m non-NULL),
   naming a link as host or branch is an error and its own links are
   marked. */
void conf_cascade_marks(struct conf_ctx *ctx, struct mcu_conf_meeting *m,
                        const struct conf_meeting_marks *mk, uint8_t *mark);
/* config_rules.c */
void conf_check_rules(struct conf_ctx *ctx);
/* config_check.c: rules on times, overlaps and contacts */
void conf_rules_time(struct conf_ctx *ctx, size_t mi);
void conf_rules_overlap(struct conf_ctx *ctx);
void conf_rules_contacts(struct conf_ctx *ctx);

/* config.c */
void conf_endpoint_clear(struct mcu_conf_endpoint *ep);
void conf_meeting_clear(struct mcu_conf_meeting *m);

#endif
