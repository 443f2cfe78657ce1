/*
 * palette: each simulated endpoint's colour, and recognising those colours
 * in a decoded picture.
 *
 * Colours: the n endpoints of a run share the hue circle evenly (minus
 * the MCU's yellow speaker border, 45-75 degrees); beyond 16 endpoints
 * they alternate between two, beyond 48 three saturation/value rings, so
 * every pair differs; never near black, white or grey.
 * They are kept in limited-range BT.601 YUV, the encoders' format.
 *
 * Recognition: the picture is cut into a grid of cells (about 32 x 18); a
 * cell whose pixels are uniform (small deviation in Y, U and V: no label,
 * number or tile edge inside) is matched to the nearest palette colour,
 * accepted when closer than half the distance from that colour to its
 * nearest neighbour in the palette (and never farther than
 * MCU_SIM_MATCH_MAX). A colour counts as seen in the picture when at least
 * MCU_SIM_MIN_CELLS cells match it, so a few stray cells do not.
 *
 * Pure: callers pass plane pointers; no allocation beyond the palette.
 */
#ifndef MCU_SIM_PALETTE_H
#define MCU_SIM_PALETTE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MCU_SIM_MATCH_MAX 24.0
#define MCU_SIM_MIN_CELLS 3

struct mcu_sim_yuv {
	uint8_t y, u, v;
};

struct mcu_sim_rgb {
	uint8_t r, g, b;
};

/* Colour of endpoint index i (0-based) of n simulated endpoints. */
struct mcu_sim_rgb mcu_sim_colour_rgb(unsigned i, unsigned n);
struct mcu_sim_yuv mcu_sim_rgb_to_yuv(struct mcu_sim_rgb c);
/* Distance in YUV space. */
double mcu_sim_yuv_dist(struct mcu_sim_yuv a, struct mcu_sim_yuv b);

/* A picture's planes (YUV 4:2:0, 8 bit). */
struct mcu_sim_picture {
	const uint8_t *y, *u, *v;
	int y_stride, u_stride, v_stride;
	int width, height;
};

/*
 * Count, for each of the n palette colours, the uniform cells of the
 * picture that match it: counts[i] (n entries, zeroed first). Returns the
 * number of uniform cells examined.
 */
unsigned mcu_sim_picture_colours(const struct mcu_sim_picture *pic,
                                 const struct mcu_sim_yuv *palette, size_t n,
                                 unsigned *counts);

#endif
