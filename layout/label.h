/*
 * label: text rasterised with FreeType into 8-bit alpha bitmaps, cached by
 * (text, pixel size), so a name drawn every tick is rasterised once and only
 * blended afterwards. Owned by one compositor (layout/compose) and used by
 * one thread at a time; not thread-safe.
 *
 * Text is UTF-8; invalid sequences (overlong forms, surrogates, stray
 * continuation bytes, code points above U+10FFFF) become U+FFFD. Vietnamese
 * needs precomposed (NFC) letters, which DejaVu Sans covers; combining marks
 * are drawn with the font's own zero-advance metrics, without shaping.
 */
#ifndef MCU_LAYOUT_LABEL_H
#define MCU_LAYOUT_LABEL_H

#include <stddef.h>
#include <stdint.h>

/* The font used when none is given (package fonts-dejavu-core). */
#define MCU_LABEL_DEFAULT_FONT "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
/* Pixel sizes accepted by mcu_label_get(). */
#define MCU_LABEL_MIN_PX 6
#define MCU_LABEL_MAX_PX 128
/* Longest text rasterised, in code points; the rest is cut. */
#define MCU_LABEL_MAX_CHARS 160

struct mcu_label_cache;

/* A rasterised text; owned by the cache. */
struct mcu_label {
	int w, h;               /* even; w includes a 1 px margin each side */
	const uint8_t *alpha;   /* w x h coverage, row stride w */
	const uint8_t *alpha_c; /* (w/2) x (h/2): 2x2 averages, for chroma */
};

struct mcu_label_stats {
	uint64_t hits;     /* lookups answered from the cache */
	uint64_t rendered; /* texts rasterised */
	uint64_t evicted;  /* entries dropped to make room */
};

/*
 * Open font_path (NULL: MCU_LABEL_DEFAULT_FONT) and create a cache of at
 * most max_entries texts (0: 256). Returns 0, ENOENT when the font cannot be
 * loaded, ENOMEM or EINVAL.
 */
int mcu_label_cache_alloc(struct mcu_label_cache **cp, const char *font_path,
                          size_t max_entries);
/* Frees the cache and every label it returned; returns NULL. */
struct mcu_label_cache *mcu_label_cache_free(struct mcu_label_cache *c);

/*
 * The bitmap of text at px pixels (em size, MCU_LABEL_MIN_PX..MAX_PX).
 * *out stays valid until the next mcu_label_get() on this cache (which may
 * evict it) or mcu_label_cache_free(). Returns 0, EINVAL (bad size, NULL or
 * empty text), ENOMEM, or EIO when FreeType fails.
 */
int mcu_label_get(struct mcu_label_cache *c, const char *text, int px,
                  const struct mcu_label **out);

/* Glyph index of a code point in the font (0 = missing, .notdef). */
unsigned mcu_label_glyph_index(struct mcu_label_cache *c, uint32_t cp);

/*
 * Decode UTF-8 text (NUL-terminated) into at most max code points;
 * returns how many were written.
 */
size_t mcu_label_utf8_decode(const char *text, uint32_t *cps, size_t max);

void mcu_label_get_stats(const struct mcu_label_cache *c,
                         struct mcu_label_stats *st);

#endif
