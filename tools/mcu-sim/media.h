/*
 * media: one simulated endpoint's media, encoded once at start and replayed
 * in a loop: H.264 access units (libx264 through codec/venc: its colour,
 * its number drawn in with layout/label, a small block moving along the
 * bottom so that P frames carry some data) and Opus packets of its own
 * sine tone (codec/aenc). The tone loop is one second with a whole number
 * of periods, encoded twice so that the kept second pass starts with a
 * warmed-up encoder and joins its own end without a click.
 *
 * Owned by the simulator's main thread while it builds them, read-only
 * afterwards (the I/O loop only reads).
 */
#ifndef MCU_SIM_MEDIA_H
#define MCU_SIM_MEDIA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tools/mcu-sim/palette.h"

struct mcu_label_cache;

struct mcu_sim_au {
	uint8_t *data; /* Annex-B access unit or Opus packet */
	size_t len;
	bool key;
};

struct mcu_sim_media {
	struct mcu_sim_au *video;
	size_t n_video;
	unsigned fps;
	struct mcu_sim_au *audio; /* one per 20 ms */
	size_t n_audio;
};

struct mcu_sim_media_config {
	int width, height;
	unsigned fps;
	unsigned loop_s; /* video loop length */
	unsigned gop_s;  /* key frame interval */
	int bitrate;     /* video bit/s */
	const char *preset;
	struct mcu_sim_rgb colour;
	const char *text; /* drawn large in the middle; NULL: none */
	unsigned tone_hz; /* 100..8000 */
};

/*
 * Encode the loops. labels may be NULL (no text). Returns 0, EINVAL,
 * ENOENT (encoder missing), ENOMEM or EIO.
 */
int mcu_sim_media_alloc(struct mcu_sim_media **mp,
                        const struct mcu_sim_media_config *cfg,
                        struct mcu_label_cache *labels);
struct mcu_sim_media *mcu_sim_media_free(struct mcu_sim_media *m);

/* Index of the key frame that starts the GOP holding video frame i. */
size_t mcu_sim_media_gop_start(const struct mcu_sim_media *m, size_t i);

#endif
