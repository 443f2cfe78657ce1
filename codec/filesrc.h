/*
 * filesrc: a media file read as a source (issue 6, content playback): the
 * demuxer (libavformat) and decoders (libavcodec) of a local file — a
 * video, slides exported as video, or a still image such as PNG or JPEG —
 * handing out decoded pictures and sound in the engine's formats:
 *
 *   - pictures in YUV420P (or YUVJ420P) at most max_width x max_height,
 *     aspect kept: anything else (RGB of a PNG, 4:4:4, a 4K video) is
 *     converted once here with codec/vscale into frames of a
 *     codec/framepool, so the video tick only scales a small YUV picture;
 *   - sound as 48 kHz mono S16 (MCU_AUDIO_RATE) through codec/aresample,
 *     in frames of any length.
 *
 * Each item carries its presentation time in microseconds from the start
 * of the file; pacing by those times is the caller's business (mcu/content
 * decodes on a worker thread and shows each picture when its time comes).
 *
 * Only the local "file" protocol is allowed, so a playlist or concat file
 * cannot make the daemon open URLs, and a '%' in a name is never an image
 * sequence pattern. mcu_filesrc_open() decodes up to the first picture or
 * sound, so a file that is not media, is truncated or holds nothing this
 * FFmpeg can decode is refused there, with a reason for the operator.
 *
 * One thread at a time (open on one, read on another is fine); no lock.
 */
#ifndef MCU_CODEC_FILESRC_H
#define MCU_CODEC_FILESRC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <libavutil/frame.h>

struct mcu_filesrc;

/* Picture bound when the caller gives 0. */
#define MCU_FILESRC_MAX_WIDTH  1280
#define MCU_FILESRC_MAX_HEIGHT 720

struct mcu_filesrc_info {
	bool has_video, has_audio; /* a decodable stream of that kind */
	int width, height;         /* of the file's pictures (0: no video) */
	double duration_s;         /* 0 when the file does not say */
	char format[32];           /* demuxer, e.g. "mov,mp4,m4a,3gp,3g2,mj2" */
	char vcodec[32], acodec[32]; /* decoder names, "" when absent */
};

enum mcu_filesrc_kind {
	MCU_FILESRC_VIDEO = 1,
	MCU_FILESRC_AUDIO,
};

struct mcu_filesrc_item {
	enum mcu_filesrc_kind kind;
	int64_t pts_us; /* from the start of the file, never negative */
	AVFrame *frame; /* owned by the caller (av_frame_free) */
};

/*
 * Open `path` (a local file). max_width/max_height bound the pictures
 * handed out (0: MCU_FILESRC_MAX_*; even, 16..8192). Returns 0; the errno of
 * opening (ENOENT, EACCES, EISDIR...) for a file that cannot be read;
 * EINVAL when it is not a media file or nothing in it decodes; ENOMEM. On
 * error `why` (may be NULL) tells the operator what went wrong.
 */
int mcu_filesrc_open(struct mcu_filesrc **fsp, const char *path, int max_width,
                     int max_height, char *why, size_t why_len);
struct mcu_filesrc *mcu_filesrc_free(struct mcu_filesrc *fs);

void mcu_filesrc_info(const struct mcu_filesrc *fs,
                      struct mcu_filesrc_info *out);

/*
 * The next picture or piece of sound, in file order. Returns 0 and fills
 * *item; ENODATA at the end of the file (every decoder drained); EBADMSG
 * when the file keeps failing to decode (MCU_FILESRC_MAX_ERRORS errors in a
 * row); ENOMEM. Damaged packets are skipped; a read error ends the file.
 */
#define MCU_FILESRC_MAX_ERRORS 64
int mcu_filesrc_next(struct mcu_filesrc *fs, struct mcu_filesrc_item *item);

#endif
