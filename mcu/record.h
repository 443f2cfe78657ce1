/*
 * record: one recording file of a meeting (issue 6 item 4). It owns the
 * file, a bounded packet queue and a writer thread that muxes with
 * libavformat into Matroska: one video track (H.264 or VP8 as the room
 * encoded it) and one Opus audio track, timestamps in milliseconds from
 * the room's media clock (CLOCK_MONOTONIC nanoseconds, the ticks'
 * deadlines) so that picture and sound stay in step.
 *
 * It encodes nothing: the room hands it packets its encoders already made
 * (mcu/room_record.c taps the branches' encoder group and an Opus encoder
 * of the full mix). The media ticks call mcu_record_video() and
 * mcu_record_audio(), which only take a reference to the packet under a
 * short mutex and never wait for the disk; a full queue drops the packet
 * and counts it. A write error (disk full) is logged, stops the writing
 * (the meeting goes on) and shows in the statistics.
 *
 * Crash safety: clusters of at most one second, each packet flushed to
 * the kernel as written, so a kill -9 leaves a file that plays up to the
 * last second or so (measured: see record.c).
 *
 * mcu_record_alloc() and mcu_record_free() belong to the control side
 * (API or control thread); the others may be called from any thread.
 */
#ifndef MCU_RECORD_H
#define MCU_RECORD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <libavcodec/packet.h>

#include "codec/media.h"

struct mcu_record;

struct mcu_record_params {
	const char *path;    /* file to write (created, truncated) */
	const char *meeting; /* for log lines */
	enum mcu_vcodec vcodec;
	int width, height; /* of the video track */
	int channels;      /* Opus 48 kHz: 1 or 2 */
	size_t queue;      /* packets; 0: MCU_RECORD_QUEUE */
};

#define MCU_RECORD_QUEUE 1024 /* about 10 s of one meeting's packets */

struct mcu_record_stats {
	bool writing;     /* header written, no error */
	int error;        /* 0, or the errno that stopped the writing */
	int64_t ms;       /* media time written (last packet - first) */
	uint64_t bytes;   /* file size written so far */
	uint64_t packets; /* written */
	uint64_t dropped; /* queue full (slow disk) or after an error */
};

/* Start: the writer thread opens `path`. 0, EINVAL, ENOMEM or a pthread
   error; the file's own errors come later through the statistics. */
int mcu_record_alloc(struct mcu_record **recp,
                     const struct mcu_record_params *p);

/* Stop: write what is queued and the trailer, close the file, end the
   writer; the statistics are final after it. Idempotent. */
void mcu_record_stop(struct mcu_record *rec);

/* Stop if still running, and free. Returns NULL. */
struct mcu_record *mcu_record_free(struct mcu_record *rec);

/*
 * Hand one encoded packet (a reference is taken, no copy). ts_ns is the
 * media clock time of its picture / of the start of its 20 ms of sound.
 * Video before the first key frame is skipped (the file starts there);
 * key: an IDR / VP8 key frame (H.264 in Annex B with SPS and PPS in
 * band). Returns false when the packet was dropped.
 */
bool mcu_record_video(struct mcu_record *rec, const AVPacket *pkt, bool key,
                      int64_t ts_ns);
bool mcu_record_audio(struct mcu_record *rec, const AVPacket *pkt,
                      int64_t ts_ns);

void mcu_record_stats(struct mcu_record *rec, struct mcu_record_stats *st);

/*
 * The file name of a recording: "<dir>/<meeting>-YYYYMMDDTHHMM.mkv" in
 * local time (the process time zone is mcu.timezone), with "-<n>" before
 * the extension when n > 1 (a second file in the same minute). 0, EINVAL
 * (meeting id not [A-Za-z0-9._-]+, or empty) or ENAMETOOLONG.
 */
int mcu_record_file_name(char *buf, size_t len, const char *dir,
                         const char *meeting, time_t t, unsigned n);

/*
 * Make `dir` (and its parents) and create a new, empty file there named
 * as above (never an existing one). *pathp is malloc()ed. 0 or an errno.
 */
int mcu_record_new_file(char **pathp, const char *dir, const char *meeting,
                        time_t t);

/*
 * The packet queue between the media threads and the writer, on its own
 * for tests: a ring of `cap` preallocated packets. push takes a
 * reference (ENOSPC when full, ENOMEM); pop moves the oldest packet into
 * `out` (which must be empty) and returns false when there is none.
 * Not locked: the recorder holds its mutex around them.
 */
struct mcu_record_queue;
struct mcu_record_item {
	AVPacket *pkt;
	int stream; /* 0 video, 1 audio */
	bool key;
	int64_t ts_ns;
};
int mcu_record_queue_alloc(struct mcu_record_queue **qp, size_t cap);
struct mcu_record_queue *mcu_record_queue_free(struct mcu_record_queue *q);
int mcu_record_queue_push(struct mcu_record_queue *q, const AVPacket *pkt,
                          int stream, bool key, int64_t ts_ns);
bool mcu_record_queue_pop(struct mcu_record_queue *q,
                          struct mcu_record_item *out);
size_t mcu_record_queue_len(const struct mcu_record_queue *q);

/*
 * The H.264 parameter sets (SPS, PPS NAL units, with 4-byte start codes)
 * of an Annex B access unit: the track's codec private data. *len 0 when
 * there are none. Returns 0 or ENOSPC (buf too small).
 */
int mcu_record_h264_params(const uint8_t *au, size_t au_len, uint8_t *buf,
                           size_t cap, size_t *len);

#endif
