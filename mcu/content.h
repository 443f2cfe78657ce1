/*
 * content: a media file played into a live meeting (issue 6 item 5,
 * POST /api/v1/meetings/{id}/content). The file is a source without a
 * leg: its pictures are one more tile source (id MCU_CONTENT_ID) and,
 * while it plays, every view — the host's and the branches' — uses the
 * `content` layout (the content large, the host small; the host itself
 * sees the content alone); its sound is one more source of the mix, always
 * audible. Stopping returns every view to the layouts in force before (a
 * layout an operator chose meanwhile takes effect then).
 *
 * Which files: those listed in the meeting's `content` and those under
 * mcu.content_dir, both judged after realpath() (symlinks and `..`
 * resolved), so a link or a `../` cannot reach outside.
 *
 * Called by the API (play, stop, status) on its threads, and by the room's
 * ticks (picture, audio_pull), which never wait on the file: a worker
 * thread per playing file demuxes and decodes it (codec/filesrc), shows
 * each picture when its time comes and keeps a few seconds of sound ahead.
 */
#ifndef MCU_CONTENT_H
#define MCU_CONTENT_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>
#include <libavutil/frame.h>

#include "conf/config.h"

struct mcu_room;
struct mcu_content;

/* The tile source id of the content (slot ids are slot + 1, far below). */
#define MCU_CONTENT_ID 0xfffffff0u

/*
 * May `file` be played in meeting m of conf? 0 (and the resolved path in
 * resolved, PATH_MAX bytes) when it is listed in m->content or lies under
 * conf->content_dir; 403 when it is neither; 422 when it is allowed but
 * does not exist or is not a regular file. detail says why.
 */
int mcu_content_allowed(const struct mcu_conf *conf,
                        const struct mcu_conf_meeting *m, const char *file,
                        char *resolved, char *detail, size_t detail_len);

/*
 * Play `file` in the room (replacing what plays now). Returns an HTTP
 * status: 200, 403 (not allowed), 422 (not a playable media file: missing,
 * unreadable, not media, nothing decodes), 500/503 (no memory, no thread);
 * detail says why.
 */
int mcu_content_play(struct mcu_room *room, const char *file, char *detail,
                     size_t detail_len);

/* Stop playing: 200, or 409 when nothing plays. */
int mcu_content_stop(struct mcu_room *room, char *detail, size_t detail_len);

struct mcu_content_status {
	char file[PATH_MAX]; /* resolved path */
	double playing_s;    /* since it started */
	double duration_s;   /* of the file, 0: unknown */
	bool ended;          /* end of file: the last picture is held */
	bool has_video, has_audio;
	uint64_t audio_underruns; /* 20 ms blocks the sound was late */
};

/* What plays in the room: false when nothing does. */
bool mcu_content_status(struct mcu_room *room, struct mcu_content_status *out);

/*
 * The operator API (mcu/api_live): POST …/content with {"file": PATH} or
 * {"stop": true} on a running room; returns the HTTP status, sets *result
 * on success ({"ok", "file", "video", "audio", "duration_s"}).
 */
struct mcu_api_action;
int mcu_content_api(struct mcu_room *room, const struct mcu_api_action *a,
                    json_t **result, char *detail, size_t detail_len);

/* GET meeting's "content_playing": {file, playing_s, duration_s, ended,
   video, audio} or JSON null when nothing plays (new reference). */
json_t *mcu_content_json(struct mcu_room *room);

/* Room tear-down (no tick runs any more): stop and free what plays. */
void mcu_content_room_free(struct mcu_room *room);

/* ---- for the room's ticks (the player taken under room->lock) ---- */

/* The picture due now (a new reference) or NULL before the first one. */
AVFrame *mcu_content_picture(struct mcu_content *c);

/* The tile label: the file's name. */
const char *mcu_content_label(const struct mcu_content *c);

/* 20 ms of sound (MCU_AUDIO_FRAME samples) into pcm: false when there is
 * none (no sound in the file, its end, or the worker is late). */
bool mcu_content_audio_pull(struct mcu_content *c, int16_t *pcm);

#endif
