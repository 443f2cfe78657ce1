/*
 * palette: endpoint colours and recognising them (see palette.h).
 */
#include "tools/mcu-sim/palette.h"

#include <math.h>
#include <string.h>

static struct mcu_sim_rgb hsv(double h, double s, double v)
{
	h = fmod(h, 360.0);
	double c = v * s, x = c * (1 - fabs(fmod(h / 60.0, 2) - 1)), m = v - c;
	double r = 0, g = 0, b = 0;
	switch ((int)(h / 60.0)) {
	case 0:
		r = c, g = x;
		break;
	case 1:
		r = x, g = c;
		break;
	case 2:
		g = c, b = x;
		break;
	case 3:
		g = x, b = c;
		break;
	case 4:
		r = x, b = c;
		break;
	default:
		r = c, b = x;
		break;
	}
	struct mcu_sim_rgb out = {
	    (uint8_t)lround((r + m) * 255),
	    (uint8_t)lround((g + m) * 255),
	    (uint8_t)lround((b + m) * 255),
	};
	return out;
}

struct mcu_sim_rgb mcu_sim_colour_rgb(unsigned i, unsigned n)
{
	static const double ring[3][2] = {
	    {0.85, 0.85}, {0.95, 0.6}, {0.5, 0.95}};
	if (n < 1)
		n = 1;
	i %= n;
	unsigned rings = n <= 16 ? 1 : n <= 48 ? 2 : 3;
	unsigned per_ring = (n + rings - 1) / rings;
	/* 330 degrees from 75 round to 45: the yellow of the speaker
	   border (45-75) left out */
	double h = 75.0 + (double)(i / rings) * 330.0 / per_ring;
	const double *sv = ring[i % rings];
	return hsv(h, sv[0], sv[1]);
}

struct mcu_sim_yuv mcu_sim_rgb_to_yuv(struct mcu_sim_rgb c)
{
	double r = c.r, g = c.g, b = c.b;
	double y = 16 + (65.481 * r + 128.553 * g + 24.966 * b) / 255;
	double u = 128 + (-37.797 * r - 74.203 * g + 112.0 * b) / 255;
	double v = 128 + (112.0 * r - 93.786 * g - 18.214 * b) / 255;
	struct mcu_sim_yuv out = {(uint8_t)lround(y), (uint8_t)lround(u),
	                          (uint8_t)lround(v)};
	return out;
}

double mcu_sim_yuv_dist(struct mcu_sim_yuv a, struct mcu_sim_yuv b)
{
	double dy = (double)a.y - b.y, du = (double)a.u - b.u,
	       dv = (double)a.v - b.v;
	return sqrt(dy * dy + du * du + dv * dv);
}

/* Mean and mean absolute deviation of a w x h block of one plane. */
static void block_stats(const uint8_t *p, int stride, int x0, int y0, int w,
                        int h, double *mean, double *dev)
{
	uint64_t sum = 0;
	for (int y = y0; y < y0 + h; y++)
		for (int x = x0; x < x0 + w; x++)
			sum += p[(size_t)y * (size_t)stride + (size_t)x];
	double m = (double)sum / (w * h);
	double d = 0;
	for (int y = y0; y < y0 + h; y++)
		for (int x = x0; x < x0 + w; x++)
			d +=
			    fabs(p[(size_t)y * (size_t)stride + (size_t)x] - m);
	*mean = m;
	*dev = d / (w * h);
}

unsigned mcu_sim_picture_colours(const struct mcu_sim_picture *pic,
                                 const struct mcu_sim_yuv *palette, size_t n,
                                 unsigned *counts)
{
	memset(counts, 0, n * sizeof(*counts));
	if (!pic || pic->width < 32 || pic->height < 18 || !n)
		return 0;
	/* cells of about width/32 (even, so chroma aligns) */
	int cw = (pic->width / 32) & ~1, ch = (pic->height / 18) & ~1;
	if (cw < 4)
		cw = 4;
	if (ch < 4)
		ch = 4;
	unsigned uniform = 0;
	for (int cy = 0; cy + ch <= pic->height; cy += ch) {
		for (int cx = 0; cx + cw <= pic->width; cx += cw) {
			double my, dy, mu, du, mv, dv;
			block_stats(pic->y, pic->y_stride, cx, cy, cw, ch, &my,
			            &dy);
			if (dy > 3.0)
				continue;
			block_stats(pic->u, pic->u_stride, cx / 2, cy / 2,
			            cw / 2, ch / 2, &mu, &du);
			block_stats(pic->v, pic->v_stride, cx / 2, cy / 2,
			            cw / 2, ch / 2, &mv, &dv);
			if (du > 3.0 || dv > 3.0)
				continue;
			uniform++;
			struct mcu_sim_yuv c = {(uint8_t)lround(my),
			                        (uint8_t)lround(mu),
			                        (uint8_t)lround(mv)};
			size_t best = 0;
			double bd = 1e9;
			for (size_t i = 0; i < n; i++) {
				double d = mcu_sim_yuv_dist(c, palette[i]);
				if (d < bd)
					bd = d, best = i;
			}
			/* half the distance to best's nearest neighbour */
			double nn = 1e9;
			for (size_t i = 0; i < n; i++) {
				if (i == best)
					continue;
				double d =
				    mcu_sim_yuv_dist(palette[best], palette[i]);
				if (d < nn)
					nn = d;
			}
			double lim = nn / 2 < MCU_SIM_MATCH_MAX
			                 ? nn / 2
			                 : MCU_SIM_MATCH_MAX;
			if (bd < lim)
				counts[best]++;
		}
	}
	return uniform;
}
