/*
 * view: tile assignment per viewer, and the key that groups equal views.
 */
#include "layout/view.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

static int listed(const struct mcu_view_input *in, uint32_t id)
{
	for (size_t i = 0; i < in->nsources; i++)
		if (in->sources[i] == id)
			return 1;
	return 0;
}

static int eligible(const struct mcu_view_input *in, uint32_t id)
{
	if (!id || (id == in->viewer && !in->self_view))
		return 0;
	return listed(in, id);
}

static int placed(const struct mcu_view *v, uint32_t id)
{
	for (int i = 0; i < v->ntiles; i++)
		if (v->tile[i] == id)
			return 1;
	return 0;
}

static int check_input(const struct mcu_view_input *in)
{
	if (!in || !mcu_layout_valid(&in->layout))
		return EINVAL;
	if ((in->nsources && !in->sources) || (in->npins && !in->pins))
		return EINVAL;
	for (size_t i = 0; i < in->nsources; i++) {
		if (!in->sources[i])
			return EINVAL;
		for (size_t j = 0; j < i; j++)
			if (in->sources[j] == in->sources[i])
				return EINVAL;
	}
	return 0;
}

static void set_single(struct mcu_view *v, enum mcu_layout_kind kind,
                       uint32_t id)
{
	v->layout = (struct mcu_layout){kind, 0};
	v->ntiles = 1;
	v->tile[0] = id;
}

/* Place pins; returns the number of tiles pinned. */
static int apply_pins(const struct mcu_view_input *in, struct mcu_view *v,
                      int pinned[MCU_LAYOUT_MAX_TILES])
{
	int n = 0;

	for (size_t i = 0; i < in->npins; i++) {
		const struct mcu_view_pin *p = &in->pins[i];

		if (p->tile < 0 || p->tile >= v->ntiles || pinned[p->tile] ||
		    !eligible(in, p->source) || placed(v, p->source))
			continue;
		v->tile[p->tile] = p->source;
		pinned[p->tile] = 1;
		n++;
	}
	return n;
}

/* Fill the empty tiles from first..end with eligible unplaced sources. */
static void fill_roster(const struct mcu_view_input *in, struct mcu_view *v,
                        int first)
{
	int t = first;

	for (size_t i = 0; i < in->nsources; i++) {
		uint32_t id = in->sources[i];

		while (t < v->ntiles && v->tile[t])
			t++;
		if (t >= v->ntiles)
			return;
		if (eligible(in, id) && !placed(v, id))
			v->tile[t] = id;
	}
}

static uint32_t first_eligible(const struct mcu_view_input *in,
                               const struct mcu_view *v, uint32_t a, uint32_t b,
                               uint32_t c)
{
	uint32_t cand[3] = {a, b, c};

	for (int i = 0; i < 3; i++)
		if (eligible(in, cand[i]) && !placed(v, cand[i]))
			return cand[i];
	return 0;
}

static void tour(const struct mcu_view_input *in, struct mcu_view *v)
{
	int pinned[MCU_LAYOUT_MAX_TILES] = {0};
	int npinned = apply_pins(in, v, pinned);
	size_t free_tiles = (size_t)(v->ntiles - npinned), pool = 0;

	for (size_t i = 0; i < in->nsources; i++) {
		uint32_t id = in->sources[i];

		if (id != in->host && eligible(in, id) && !placed(v, id))
			pool++;
	}
	v->pages = 1;
	if (free_tiles && pool > free_tiles)
		v->pages = (unsigned)((pool + free_tiles - 1) / free_tiles);
	long m = in->tour_page % (long)v->pages;
	v->page = (unsigned)(m < 0 ? m + (long)v->pages : m);

	size_t cur = v->page * free_tiles;
	size_t nxt = ((v->page + 1) % v->pages) * free_tiles;
	size_t k = 0;
	int t = 0;

	for (size_t i = 0; i < in->nsources && free_tiles; i++) {
		uint32_t id = in->sources[i];

		if (id == in->host || !eligible(in, id))
			continue;
		/* pinned sources are not in the pool */
		int is_pinned = 0;
		for (int j = 0; j < v->ntiles; j++)
			if (pinned[j] && v->tile[j] == id)
				is_pinned = 1;
		if (is_pinned)
			continue;
		if (k >= cur && k < cur + free_tiles) {
			while (t < v->ntiles && pinned[t])
				t++;
			if (t < v->ntiles)
				v->tile[t++] = id;
		}
		if (v->pages > 1 && k >= nxt && k < nxt + free_tiles &&
		    v->nnext < MCU_LAYOUT_MAX_TILES)
			v->next[v->nnext++] = id;
		k++;
	}
}

static void two_tiles(const struct mcu_view_input *in, struct mcu_view *v,
                      enum mcu_layout_kind kind, uint32_t main_id,
                      uint32_t small_id)
{
	int m = eligible(in, main_id) ||
	        (kind == MCU_LAYOUT_CONTENT && main_id != 0);
	int s = eligible(in, small_id) && small_id != main_id;

	if (m && s) {
		v->layout = (struct mcu_layout){kind, 0};
		v->ntiles = 2;
		v->tile[0] = main_id;
		v->tile[1] = small_id;
	} else if (m) {
		set_single(v,
		           main_id == in->host ? MCU_LAYOUT_HOST
		                               : MCU_LAYOUT_SPEAKER,
		           main_id);
	} else if (s) {
		set_single(v,
		           small_id == in->host ? MCU_LAYOUT_HOST
		                                : MCU_LAYOUT_SPEAKER,
		           small_id);
	} else {
		set_single(v, MCU_LAYOUT_HOST, 0);
	}
}

static void marks(const struct mcu_view_input *in, struct mcu_view *v)
{
	if (v->ntiles > 1 && in->speaker)
		v->highlight = mcu_view_find(v, in->speaker);
	if (v->ntiles > 1 && in->viewer && in->viewer == in->host && in->floor)
		v->floor_mark = mcu_view_find(v, in->floor);
}

int mcu_view_compute(const struct mcu_view_input *in, struct mcu_view *out)
{
	struct mcu_view v;
	int pinned[MCU_LAYOUT_MAX_TILES] = {0};
	int err = check_input(in);

	if (err || !out)
		return err ? err : EINVAL;
	memset(&v, 0, sizeof(v));
	v.layout = in->layout;
	v.ntiles = mcu_layout_tile_count(&in->layout);
	v.highlight = v.floor_mark = -1;
	v.pages = 1;

	switch (in->layout.kind) {
	case MCU_LAYOUT_HOST:
		v.tile[0] =
		    eligible(in, in->host)
		        ? in->host
		        : first_eligible(in, &v, in->floor, in->speaker, 0);
		break;
	case MCU_LAYOUT_SPEAKER:
		v.tile[0] =
		    first_eligible(in, &v, in->speaker, in->floor, in->host);
		break;
	case MCU_LAYOUT_HOST_FLOOR:
		two_tiles(in, &v, MCU_LAYOUT_HOST_FLOOR, in->host, in->floor);
		break;
	case MCU_LAYOUT_CONTENT:
		two_tiles(in, &v, MCU_LAYOUT_CONTENT, in->content, in->host);
		break;
	case MCU_LAYOUT_SIDE:
		apply_pins(in, &v, pinned);
		if (!v.tile[0])
			v.tile[0] = first_eligible(in, &v, in->host, 0, 0);
		if (!v.tile[1])
			v.tile[1] =
			    first_eligible(in, &v, in->floor, in->speaker, 0);
		fill_roster(in, &v, 0);
		break;
	case MCU_LAYOUT_ONE_PLUS:
		apply_pins(in, &v, pinned);
		if (!v.tile[0])
			v.tile[0] = first_eligible(in, &v, in->floor,
			                           in->speaker, in->host);
		fill_roster(in, &v, 0);
		break;
	case MCU_LAYOUT_GRID:
		apply_pins(in, &v, pinned);
		fill_roster(in, &v, 0);
		break;
	case MCU_LAYOUT_TOUR:
		tour(in, &v);
		break;
	}
	marks(in, &v);
	*out = v;
	return 0;
}

int mcu_view_find(const struct mcu_view *v, uint32_t source)
{
	if (!v || !source)
		return -1;
	for (int i = 0; i < v->ntiles && i < MCU_LAYOUT_MAX_TILES; i++)
		if (v->tile[i] == source)
			return i;
	return -1;
}

int mcu_view_key_str(const struct mcu_view *v, char *buf, size_t size)
{
	const char *geo = v ? mcu_layout_geometry_class(&v->layout) : NULL;
	size_t off = 0;
	int r;

	if (!geo || !buf || v->ntiles < 1 || v->ntiles > MCU_LAYOUT_MAX_TILES)
		return EINVAL;
	r = snprintf(buf, size, "%s|", geo);
	if (r < 0 || (size_t)r >= size)
		return ENOSPC;
	off = (size_t)r;
	for (int i = 0; i < v->ntiles; i++) {
		r = snprintf(buf + off, size - off, i ? ",%u" : "%u",
		             (unsigned)v->tile[i]);
		if (r < 0 || (size_t)r >= size - off)
			return ENOSPC;
		off += (size_t)r;
	}
	r = snprintf(buf + off, size - off, "|hl=%d|fm=%d", v->highlight,
	             v->floor_mark);
	if (r < 0 || (size_t)r >= size - off)
		return ENOSPC;
	return 0;
}

uint64_t mcu_view_key(const struct mcu_view *v)
{
	char buf[MCU_VIEW_KEY_MAX];
	uint64_t h = 14695981039346656037ull;

	if (mcu_view_key_str(v, buf, sizeof(buf)))
		return 0;
	for (const unsigned char *p = (const unsigned char *)buf; *p; p++) {
		h ^= *p;
		h *= 1099511628211ull;
	}
	return h;
}

int mcu_view_same(const struct mcu_view *a, const struct mcu_view *b)
{
	const char *ga, *gb;

	if (!a || !b)
		return 0;
	ga = mcu_layout_geometry_class(&a->layout);
	gb = mcu_layout_geometry_class(&b->layout);
	if (!ga || !gb || strcmp(ga, gb) != 0 || a->ntiles != b->ntiles ||
	    a->ntiles < 1 || a->ntiles > MCU_LAYOUT_MAX_TILES ||
	    a->highlight != b->highlight || a->floor_mark != b->floor_mark)
		return 0;
	return memcmp(a->tile, b->tile,
	              sizeof(a->tile[0]) * (size_t)a->ntiles) == 0;
}

bool mcu_view_tour_advance(struct mcu_view_tour *t, int64_t now_us,
                           int64_t period_us, int steps, int64_t prefetch_us,
                           bool *prefetch)
{
	bool turned = false;

	if (prefetch)
		*prefetch = false;
	if (!t)
		return false;
	if (!t->changed_us)
		t->changed_us = now_us;
	if (steps) {
		t->page += steps;
		t->changed_us = now_us;
		turned = true;
	} else if (period_us > 0 && now_us - t->changed_us >= period_us) {
		t->page++;
		/* A late tick (a stalled machine) does not shorten the next
		   page: the period restarts now. */
		t->changed_us = now_us;
		turned = true;
	}
	if (prefetch && period_us > 0)
		*prefetch = now_us - t->changed_us >= period_us - prefetch_us;
	return turned;
}
