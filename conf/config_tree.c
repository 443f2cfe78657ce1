/*
 * config_tree: reads the roster with libyaml's event (streaming) API into
 * a small tree of scalars, sequences and mappings with their positions.
 *
 * Why events and our own tree rather than yaml_document_t: the limits
 * against hostile files are checked while the stream is read, before
 * anything grows. An alias is refused the moment it appears, so no
 * "billion laughs" expansion can happen; nesting stops at
 * MCU_CONF_MAX_DEPTH before libyaml's own stacks get deep; the node count
 * and scalar length are bounded. Any violation ends the read with exactly
 * one error finding.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "conf/config_internal.h"

struct tree_builder {
	struct mcu_conf_report *report;
	const char *buf;
	size_t len;
	struct conf_node *root;
	struct conf_node *stack[MCU_CONF_MAX_DEPTH + 1];
	size_t depth;
	size_t n_nodes;
	unsigned n_docs;
};

/* 1-based line and column (in characters) of a byte offset. */
static struct mcu_conf_pos pos_of_offset(const char *buf, size_t len,
                                         size_t off)
{
	struct mcu_conf_pos pos = {1, 1};
	if (off > len)
		off = len;
	for (size_t i = 0; i < off; i++) {
		unsigned char c = (unsigned char)buf[i];
		if (c == '\n') {
			pos.line++;
			pos.column = 1;
		} else if ((c & 0xc0) != 0x80) {
			pos.column++;
		}
	}
	return pos;
}

static struct mcu_conf_pos pos_of_mark(yaml_mark_t m)
{
	struct mcu_conf_pos pos = {(int)m.line + 1, (int)m.column + 1};
	return pos;
}

struct conf_node *conf_tree_free(struct conf_node *node)
{
	if (!node)
		return NULL;
	for (size_t i = 0; i < node->n_items; i++)
		conf_tree_free(node->items[i]);
	free(node->items);
	free(node->str);
	free(node);
	return NULL;
}

static void tree_error(struct tree_builder *tb, struct mcu_conf_pos pos,
                       const char *msg)
{
	conf_finding(tb->report, MCU_CONF_ERROR, pos, "%s", msg);
	tb->report->unreadable = true;
}

/* Put a new node under the open collection (or make it the root). */
static int tree_attach(struct tree_builder *tb, struct conf_node *node)
{
	if (tb->depth == 0) {
		if (tb->root) {
			conf_tree_free(node);
			return EINVAL;
		}
		tb->root = node;
		return 0;
	}
	struct conf_node *parent = tb->stack[tb->depth - 1];
	int err = conf_grow((void **)&parent->items, &parent->cap_items,
	                    parent->n_items + 1, sizeof(*parent->items));
	if (err) {
		conf_tree_free(node);
		return err;
	}
	parent->items[parent->n_items++] = node;
	return 0;
}

static int tree_new_node(struct tree_builder *tb, enum conf_node_kind kind,
                         yaml_mark_t mark, struct conf_node **nodep)
{
	if (++tb->n_nodes > MCU_CONF_MAX_ITEMS) {
		conf_finding(tb->report, MCU_CONF_ERROR, pos_of_mark(mark),
		             "more than %u YAML nodes: file refused",
		             (unsigned)MCU_CONF_MAX_ITEMS);
		tb->report->unreadable = true;
		return EINVAL;
	}
	struct conf_node *node = calloc(1, sizeof(*node));
	if (!node)
		return ENOMEM;
	node->kind = kind;
	node->pos = pos_of_mark(mark);
	*nodep = node;
	return 0;
}

static int tree_scalar(struct tree_builder *tb, const yaml_event_t *ev)
{
	struct conf_node *node;
	size_t len = ev->data.scalar.length;
	if (len > MCU_CONF_MAX_SCALAR) {
		conf_finding(tb->report, MCU_CONF_ERROR,
		             pos_of_mark(ev->start_mark),
		             "scalar of %zu bytes is longer than the limit "
		             "of %u: file refused",
		             len, (unsigned)MCU_CONF_MAX_SCALAR);
		tb->report->unreadable = true;
		return EINVAL;
	}
	if (memchr(ev->data.scalar.value, '\0', len)) {
		tree_error(tb, pos_of_mark(ev->start_mark),
		           "NUL character in a string: file refused");
		return EINVAL;
	}
	int err = tree_new_node(tb, CONF_SCALAR, ev->start_mark, &node);
	if (err)
		return err;
	node->str = malloc(len + 1);
	if (!node->str) {
		conf_tree_free(node);
		return ENOMEM;
	}
	memcpy(node->str, ev->data.scalar.value, len);
	node->str[len] = '\0';
	node->len = len;
	node->plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
	return tree_attach(tb, node);
}

static int tree_open(struct tree_builder *tb, const yaml_event_t *ev,
                     enum conf_node_kind kind)
{
	struct conf_node *node;
	if (tb->depth >= MCU_CONF_MAX_DEPTH) {
		char msg[96];
		snprintf(msg, sizeof(msg),
		         "nesting deeper than %d levels: file refused",
		         MCU_CONF_MAX_DEPTH);
		tree_error(tb, pos_of_mark(ev->start_mark), msg);
		return EINVAL;
	}
	int err = tree_new_node(tb, kind, ev->start_mark, &node);
	if (err)
		return err;
	err = tree_attach(tb, node);
	if (err)
		return err;
	tb->stack[tb->depth++] = node;
	return 0;
}

/* One event; returns 0 to go on, EINVAL/ENOMEM to stop, -1 at the end. */
static int tree_event(struct tree_builder *tb, const yaml_event_t *ev)
{
	switch (ev->type) {
	case YAML_DOCUMENT_START_EVENT:
		if (tb->n_docs++ > 0) {
			tree_error(tb, pos_of_mark(ev->start_mark),
			           "more than one YAML document: a roster is "
			           "one document");
			return EINVAL;
		}
		return 0;
	case YAML_ALIAS_EVENT:
		tree_error(tb, pos_of_mark(ev->start_mark),
		           "aliases are not allowed");
		return EINVAL;
	case YAML_SCALAR_EVENT:
		return tree_scalar(tb, ev);
	case YAML_SEQUENCE_START_EVENT:
		return tree_open(tb, ev, CONF_SEQ);
	case YAML_MAPPING_START_EVENT:
		return tree_open(tb, ev, CONF_MAP);
	case YAML_SEQUENCE_END_EVENT:
	case YAML_MAPPING_END_EVENT:
		if (tb->depth > 0)
			tb->depth--;
		return 0;
	case YAML_STREAM_END_EVENT:
		return -1;
	default:
		return 0;
	}
}

static void tree_syntax_error(struct tree_builder *tb,
                              const yaml_parser_t *parser)
{
	struct mcu_conf_pos pos;
	const char *problem = parser->problem ? parser->problem : "error";
	char msg[256];

	if (parser->error == YAML_READER_ERROR) {
		pos = pos_of_offset(tb->buf, tb->len, parser->problem_offset);
		snprintf(msg, sizeof(msg),
		         "unreadable text (%s): a roster is UTF-8 text",
		         problem);
	} else {
		pos = pos_of_mark(parser->problem_mark);
		if (parser->context)
			snprintf(msg, sizeof(msg), "YAML syntax error: %s %s",
			         problem, parser->context);
		else
			snprintf(msg, sizeof(msg), "YAML syntax error: %s",
			         problem);
	}
	tree_error(tb, pos, msg);
}

static int tree_check_bytes(struct tree_builder *tb)
{
	if (tb->len > MCU_CONF_MAX_BYTES) {
		conf_finding(tb->report, MCU_CONF_ERROR,
		             CONF_NO_POS,
		             "file of %zu bytes is larger than the limit of "
		             "%u bytes: file refused",
		             tb->len, (unsigned)MCU_CONF_MAX_BYTES);
		tb->report->unreadable = true;
		return EFBIG;
	}
	const char *nul = memchr(tb->buf, '\0', tb->len);
	if (nul) {
		tree_error(tb,
		           pos_of_offset(tb->buf, tb->len,
		                         (size_t)(nul - tb->buf)),
		           "NUL byte in the file (binary data?): file refused");
		return EINVAL;
	}
	return 0;
}

/*
 * Build the tree of `buf`. Returns 0 and sets *rootp (NULL for a file with
 * no document), or EINVAL/EFBIG after one error finding (report->unreadable
 * set), or ENOMEM.
 */
int conf_tree_build(struct mcu_conf_report *report, const char *buf,
                    size_t len, struct conf_node **rootp)
{
	struct tree_builder tb = {.report = report, .buf = buf, .len = len};
	yaml_parser_t parser;
	int err = tree_check_bytes(&tb);
	if (err)
		return err;
	if (!yaml_parser_initialize(&parser))
		return ENOMEM;
	yaml_parser_set_encoding(&parser, YAML_UTF8_ENCODING);
	yaml_parser_set_input_string(&parser, (const unsigned char *)buf, len);
	for (;;) {
		yaml_event_t ev;
		if (!yaml_parser_parse(&parser, &ev)) {
			if (parser.error == YAML_MEMORY_ERROR) {
				err = ENOMEM;
			} else {
				tree_syntax_error(&tb, &parser);
				err = EINVAL;
			}
			goto out;
		}
		err = tree_event(&tb, &ev);
		yaml_event_delete(&ev);
		if (err < 0) {
			err = 0;
			break;
		}
		if (err)
			goto out;
	}
out:
	yaml_parser_delete(&parser);
	if (err) {
		conf_tree_free(tb.root);
		return err;
	}
	*rootp = tb.root;
	return 0;
}

static int push_item(struct conf_node *parent, struct conf_node *node)
{
	int err = conf_grow((void **)&parent->items, &parent->cap_items,
	                    parent->n_items + 1, sizeof(*parent->items));
	if (!err)
		parent->items[parent->n_items++] = node;
	return err;
}

void conf_tree_shift_lines(struct conf_node *node, int lines)
{
	if (!node)
		return;
	node->pos.line += lines;
	for (size_t i = 0; i < node->n_items; i++)
		conf_tree_shift_lines(node->items[i], lines);
}

int conf_tree_graft_seq(struct conf_node *root, const char *key,
                        struct conf_node *seq)
{
	struct conf_node *v = NULL;
	if (!root || root->kind != CONF_MAP || !seq || seq->kind != CONF_SEQ)
		return EINVAL;
	for (size_t i = 0; i + 1 < root->n_items; i += 2)
		if (root->items[i]->kind == CONF_SCALAR &&
		    !strcmp(root->items[i]->str, key))
			v = root->items[i + 1];
	if (!v) {
		struct conf_node *k = calloc(1, sizeof(*k));
		v = calloc(1, sizeof(*v));
		if (k)
			k->str = strdup(key);
		if (!k || !v || !k->str || push_item(root, k)) {
			conf_tree_free(k);
			free(v);
			return ENOMEM;
		}
		k->len = strlen(key);
		k->plain = true;
		if (push_item(root, v)) {
			free(v);
			return ENOMEM;
		}
		v->kind = CONF_SEQ;
		v->pos = seq->pos;
	} else if (v->kind == CONF_SCALAR && v->plain &&
	           (v->len == 0 || !strcmp(v->str, "null") ||
	            !strcmp(v->str, "~"))) {
		free(v->str);
		v->str = NULL;
		v->len = 0;
		v->kind = CONF_SEQ; /* "meetings:" with nothing under it */
	}
	if (v->kind != CONF_SEQ)
		return EINVAL;
	for (size_t i = 0; i < seq->n_items; i++) {
		if (push_item(v, seq->items[i]))
			return ENOMEM;
		seq->items[i] = NULL;
	}
	seq->n_items = 0;
	return 0;
}
