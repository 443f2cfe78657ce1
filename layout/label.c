/*
 * label: FreeType rasterisation with a (text, size) cache.
 *
 * Names change rarely and are drawn on every tick, so the expensive part
 * (glyph loading, hinting, anti-aliasing, kerning) runs once per distinct
 * (text, size) and the result is one coverage bitmap, plus a half-resolution
 * copy for the chroma planes, that the compositor only blends. The cache is
 * a small array with least-recently-used eviction: a meeting has at most a
 * few hundred names and sizes, and a linear scan over hashes is cheaper than
 * anything that allocates.
 */
#include "layout/label.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <ft2build.h>
#include FT_FREETYPE_H

#define MCU_LOG_MODULE "label"
#include "conf/log.h"

#define MAX_LABEL_W 8192

struct entry {
	char *text;
	uint64_t hash;
	int px;
	uint64_t last_use;
	uint8_t *mem;
	struct mcu_label lab;
};

struct mcu_label_cache {
	FT_Library lib;
	FT_Face face;
	int cur_px;
	struct entry *e;
	size_t n, max;
	uint64_t clock;
	struct mcu_label_stats st;
};

size_t mcu_label_utf8_decode(const char *text, uint32_t *cps, size_t max)
{
	const unsigned char *p = (const unsigned char *)text;
	size_t n = 0;

	if (!text || !cps)
		return 0;
	while (*p && n < max) {
		uint32_t c = *p, min;
		int len, i;

		if (c < 0x80) {
			len = 1;
			min = 0;
		} else if ((c & 0xE0) == 0xC0) {
			len = 2;
			c &= 0x1F;
			min = 0x80;
		} else if ((c & 0xF0) == 0xE0) {
			len = 3;
			c &= 0x0F;
			min = 0x800;
		} else if ((c & 0xF8) == 0xF0) {
			len = 4;
			c &= 0x07;
			min = 0x10000;
		} else {
			cps[n++] = 0xFFFD;
			p++;
			continue;
		}
		/* stops at NUL too: NUL is not a continuation byte */
		for (i = 1; i < len; i++) {
			if ((p[i] & 0xC0) != 0x80)
				break;
			c = (c << 6) | (p[i] & 0x3F);
		}
		if (i < len) {
			cps[n++] = 0xFFFD;
			p += i;
			continue;
		}
		if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF))
			c = 0xFFFD;
		cps[n++] = c;
		p += len;
	}
	return n;
}

static uint64_t hash_text(const char *s, int px)
{
	uint64_t h = 14695981039346656037ull ^ (uint64_t)px;

	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 1099511628211ull;
	}
	return h;
}

int mcu_label_cache_alloc(struct mcu_label_cache **cp, const char *font_path,
                          size_t max_entries)
{
	struct mcu_label_cache *c;
	FT_Error fe;
	int err = 0;

	if (!cp)
		return EINVAL;
	if (!font_path)
		font_path = MCU_LABEL_DEFAULT_FONT;
	if (!max_entries)
		max_entries = 256;
	c = calloc(1, sizeof(*c));
	if (!c)
		return ENOMEM;
	c->max = max_entries;
	c->e = calloc(max_entries, sizeof(*c->e));
	if (!c->e) {
		err = ENOMEM;
		goto out;
	}
	fe = FT_Init_FreeType(&c->lib);
	if (fe) {
		mcu_log_error("FreeType init failed: error %d", fe);
		c->lib = NULL;
		err = EIO;
		goto out;
	}
	fe = FT_New_Face(c->lib, font_path, 0, &c->face);
	if (fe) {
		mcu_log_error("cannot load font %s: FreeType error %d",
		              font_path, fe);
		c->face = NULL;
		err = ENOENT;
		goto out;
	}
	if (FT_Select_Charmap(c->face, FT_ENCODING_UNICODE)) {
		mcu_log_error("font %s has no Unicode character map",
		              font_path);
		err = ENOENT;
		goto out;
	}
out:
	if (err)
		mcu_label_cache_free(c);
	else
		*cp = c;
	return err;
}

static void entry_clear(struct entry *e)
{
	free(e->text);
	free(e->mem);
	memset(e, 0, sizeof(*e));
}

struct mcu_label_cache *mcu_label_cache_free(struct mcu_label_cache *c)
{
	if (!c)
		return NULL;
	for (size_t i = 0; i < c->n; i++)
		entry_clear(&c->e[i]);
	free(c->e);
	if (c->face)
		FT_Done_Face(c->face);
	if (c->lib)
		FT_Done_FreeType(c->lib);
	free(c);
	return NULL;
}

unsigned mcu_label_glyph_index(struct mcu_label_cache *c, uint32_t cp)
{
	return c ? FT_Get_Char_Index(c->face, cp) : 0;
}

static FT_Pos kerning(FT_Face face, FT_UInt prev, FT_UInt gi)
{
	FT_Vector d;

	if (!prev || !gi || !FT_HAS_KERNING(face) ||
	    FT_Get_Kerning(face, prev, gi, FT_KERNING_DEFAULT, &d))
		return 0;
	return d.x;
}

/* Horizontal extent in whole pixels, from the outline metrics. */
static void measure(FT_Face face, const uint32_t *cps, size_t n, int *xmin,
                    int *xmax)
{
	FT_Pos pen = 0;
	FT_UInt prev = 0;

	*xmin = 0;
	*xmax = 0;
	for (size_t i = 0; i < n; i++) {
		FT_UInt gi = FT_Get_Char_Index(face, cps[i]);

		pen += kerning(face, prev, gi);
		if (FT_Load_Glyph(face, gi, FT_LOAD_DEFAULT)) {
			prev = 0; /* a broken glyph is skipped */
			continue;
		}
		FT_Glyph_Metrics *m = &face->glyph->metrics;
		long l = (long)((pen + m->horiBearingX) >> 6) - 1;
		long r =
		    (long)((pen + m->horiBearingX + m->width + 63) >> 6) + 1;

		if (l < *xmin)
			*xmin = (int)l;
		if (r > *xmax)
			*xmax = (int)(r > MAX_LABEL_W ? MAX_LABEL_W : r);
		pen += face->glyph->advance.x;
		if ((pen >> 6) > MAX_LABEL_W)
			break;
		prev = gi;
	}
	long adv = (long)((pen + 63) >> 6);
	if (adv > *xmax)
		*xmax = (int)(adv > MAX_LABEL_W ? MAX_LABEL_W : adv);
	if (*xmin < -MAX_LABEL_W / 4)
		*xmin = -MAX_LABEL_W / 4;
}

static void blit(uint8_t *dst, int w, int h, int x0, int y0,
                 const FT_Bitmap *bm)
{
	if (bm->pixel_mode != FT_PIXEL_MODE_GRAY || !bm->buffer)
		return;
	for (int r = 0; r < (int)bm->rows; r++) {
		int y = y0 + r;

		if (y < 0 || y >= h)
			continue;
		const uint8_t *src = bm->buffer + (long)r * bm->pitch;
		for (int col = 0; col < (int)bm->width; col++) {
			int x = x0 + col;

			if (x < 0 || x >= w)
				continue;
			uint8_t *d = &dst[(long)y * w + x];
			if (src[col] > *d)
				*d = src[col];
		}
	}
}

static int render(struct mcu_label_cache *c, const char *text, int px,
                  struct entry *e)
{
	uint32_t cps[MCU_LABEL_MAX_CHARS];
	size_t n = mcu_label_utf8_decode(text, cps, MCU_LABEL_MAX_CHARS);
	FT_Face face = c->face;
	int xmin, xmax;

	if (c->cur_px != px) {
		if (FT_Set_Pixel_Sizes(face, 0, (FT_UInt)px))
			return EIO;
		c->cur_px = px;
	}
	measure(face, cps, n, &xmin, &xmax);

	int asc = (int)((face->size->metrics.ascender + 63) >> 6);
	int desc = (int)((-face->size->metrics.descender + 63) >> 6);
	int w = (xmax - xmin + 1) & ~1, h = (asc + desc + 1) & ~1;

	if (w < 2)
		w = 2;
	if (h < 2)
		h = 2;
	e->mem = calloc((size_t)w * h + (size_t)(w / 2) * (h / 2), 1);
	if (!e->mem)
		return ENOMEM;

	FT_Pos pen = 0;
	FT_UInt prev = 0;
	for (size_t i = 0; i < n; i++) {
		FT_UInt gi = FT_Get_Char_Index(face, cps[i]);

		pen += kerning(face, prev, gi);
		if (FT_Load_Glyph(face, gi, FT_LOAD_RENDER)) {
			prev = 0;
			continue;
		}
		FT_GlyphSlot g = face->glyph;
		blit(e->mem, w, h, (int)(pen >> 6) - xmin + g->bitmap_left,
		     asc - g->bitmap_top, &g->bitmap);
		pen += g->advance.x;
		if ((pen >> 6) - xmin > w)
			break;
		prev = gi;
	}

	uint8_t *ac = e->mem + (size_t)w * h;
	for (int y = 0; y < h / 2; y++) {
		const uint8_t *r0 = e->mem + (size_t)(2 * y) * w;
		const uint8_t *r1 = r0 + w;
		for (int x = 0; x < w / 2; x++)
			ac[(size_t)y * (w / 2) + x] =
			    (uint8_t)((r0[2 * x] + r0[2 * x + 1] + r1[2 * x] +
			               r1[2 * x + 1] + 2) >>
			              2);
	}
	e->lab.w = w;
	e->lab.h = h;
	e->lab.alpha = e->mem;
	e->lab.alpha_c = ac;
	return 0;
}

int mcu_label_get(struct mcu_label_cache *c, const char *text, int px,
                  const struct mcu_label **out)
{
	struct entry fresh = {0}, *slot;
	uint64_t h;
	int err;

	if (!c || !text || !*text || !out || px < MCU_LABEL_MIN_PX ||
	    px > MCU_LABEL_MAX_PX)
		return EINVAL;
	h = hash_text(text, px);
	for (size_t i = 0; i < c->n; i++) {
		struct entry *e = &c->e[i];

		if (e->hash == h && e->px == px && strcmp(e->text, text) == 0) {
			e->last_use = ++c->clock;
			c->st.hits++;
			*out = &e->lab;
			return 0;
		}
	}
	fresh.text = strdup(text);
	if (!fresh.text)
		return ENOMEM;
	err = render(c, text, px, &fresh);
	if (err) {
		mcu_log_ratelimited(MCU_LOG_WARN, 5000,
		                    "cannot rasterise a %d px label: error %d",
		                    px, err);
		entry_clear(&fresh);
		return err;
	}
	fresh.hash = h;
	fresh.px = px;
	fresh.last_use = ++c->clock;
	if (c->n < c->max) {
		slot = &c->e[c->n++];
	} else {
		slot = &c->e[0];
		for (size_t i = 1; i < c->n; i++)
			if (c->e[i].last_use < slot->last_use)
				slot = &c->e[i];
		entry_clear(slot);
		c->st.evicted++;
	}
	*slot = fresh;
	/* the bitmap pointers refer to mem, which moved with the struct */
	slot->lab.alpha = slot->mem;
	slot->lab.alpha_c = slot->mem + (size_t)slot->lab.w * slot->lab.h;
	c->st.rendered++;
	*out = &slot->lab;
	return 0;
}

void mcu_label_get_stats(const struct mcu_label_cache *c,
                         struct mcu_label_stats *st)
{
	if (c && st)
		*st = c->st;
}
