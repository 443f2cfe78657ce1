/*
 * content: playing a file into a room (see content.h).
 *
 * Why a worker thread per file: demuxing and decoding a file takes
 * milliseconds per picture and may block on the disk; the room's ticks
 * must never wait for either. The worker reads the file in its own order
 * (codec/filesrc) and paces it by the media clock: each picture becomes
 * "the picture" when CLOCK_MONOTONIC reaches start + its pts (a condition
 * variable with an absolute deadline, woken early by stop), and the sound
 * goes into a ring of RING_S seconds that the audio tick drains 20 ms at a
 * time. So the video tick only takes a reference to the current picture
 * and the audio tick copies 960 samples, each under a lock held for that
 * copy alone.
 *
 * At the end of the file the last picture stays (slides end on their last
 * page; a video ends on its last frame, not on black or on a restart) and
 * the sound stops, until the operator stops the content or plays another
 * file. Sound is read as the file interleaves it: a file whose sound lies
 * more than the ring ahead of its pictures plays that sound late.
 *
 * The room holds the player in room->content (room->lock). A tick copies
 * the pointer under the lock and uses it after; whoever takes it out of
 * the room waits for the running ticks to finish (mcu_room_wait_ticks)
 * before freeing it, as room.c does with legs.
 */
#define MCU_LOG_MODULE "content"
#include "mcu/content.h"
#include "mcu/api.h"
#include "mcu/room_internal.h"
#include "codec/filesrc.h"
#include "conf/log.h"
#include "conf/pi_mutex.h"

#include <errno.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#define RING_S        4 /* seconds of sound kept ahead at most */
#define RING_SAMPLES  (RING_S * MCU_AUDIO_RATE)
#define WAIT_SLICE_US 20000 /* a full ring is looked at again this often */

struct mcu_content {
	char path[PATH_MAX];
	char label[256];
	struct mcu_filesrc *fs;
	struct mcu_filesrc_info info;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cond; /* CLOCK_MONOTONIC: stop, ring space */
	int64_t start_us;    /* CLOCK_MONOTONIC when playing started */
	/* lock */
	bool stop, ended;
	AVFrame *picture;
	int16_t ring[RING_SAMPLES];
	size_t ring_r, ring_n;
	bool sound_started;
	uint64_t underruns;
};

static int64_t mono_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* ---- which files ---------------------------------------------------- */

/* realpath() of a file that may not exist: its directory resolved and its
 * name appended. 0 or an errno (of the directory). */
static int resolve(const char *file, char *out)
{
	char dir[PATH_MAX], base[PATH_MAX], rdir[PATH_MAX];
	const char *slash;
	int n;

	if (realpath(file, out))
		return 0;
	if (errno != ENOENT)
		return errno;
	slash = strrchr(file, '/');
	if (!slash) {
		snprintf(dir, sizeof(dir), ".");
		snprintf(base, sizeof(base), "%s", file);
	} else {
		n = snprintf(dir, sizeof(dir), "%.*s", (int)(slash - file),
		             file);
		if (n < 0 || (size_t)n >= sizeof(dir))
			return ENAMETOOLONG;
		if (!dir[0])
			snprintf(dir, sizeof(dir), "/");
		snprintf(base, sizeof(base), "%s", slash + 1);
	}
	if (!base[0] || !strcmp(base, ".") || !strcmp(base, ".."))
		return ENOENT;
	if (!realpath(dir, rdir))
		return errno;
	n = snprintf(out, PATH_MAX, "%s/%s", strcmp(rdir, "/") ? rdir : "",
	             base);
	return n < 0 || n >= PATH_MAX ? ENAMETOOLONG : ENOENT;
}

/* Is resolved path p inside directory dir (resolved too)? */
static bool under(const char *p, const char *dir)
{
	size_t n = strlen(dir);
	return n > 1 && !strncmp(p, dir, n) && p[n] == '/' && p[n + 1];
}

int mcu_content_allowed(const struct mcu_conf *conf,
                        const struct mcu_conf_meeting *m, const char *file,
                        char *resolved, char *detail, size_t detail_len)
{
	char entry[PATH_MAX], dir[PATH_MAX];
	bool listed = false, in_dir = false;
	struct stat st;
	int err;

	if (!file || !*file) {
		snprintf(detail, detail_len, "no file given");
		return 403;
	}
	err = resolve(file, resolved);
	if (err && err != ENOENT) {
		snprintf(detail, detail_len, "%s is not allowed: %s", file,
		         strerror(err));
		return 403;
	}
	for (size_t k = 0; m && k < m->n_content && !listed; k++) {
		int r = resolve(m->content[k], entry);
		listed =
		    (r == 0 || r == ENOENT) &&
		    (!strcmp(entry, resolved) || !strcmp(m->content[k], file));
	}
	if (!listed && conf && conf->content_dir &&
	    realpath(conf->content_dir, dir))
		in_dir = under(resolved, dir);
	if (!listed && !in_dir) {
		snprintf(detail, detail_len,
		         "%s is not allowed: it is not among the content files "
		         "of meeting %s%s%s",
		         file, m ? m->id : "?",
		         conf && conf->content_dir ? " nor under " : "",
		         conf && conf->content_dir ? conf->content_dir : "");
		return 403;
	}
	if (err || stat(resolved, &st)) {
		snprintf(detail, detail_len, "cannot read %s: %s", file,
		         strerror(err ? err : errno));
		return 422;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(detail, detail_len, "%s is not a regular file", file);
		return 422;
	}
	return 0;
}

/* ---- the player --------------------------------------------------- */

static void deadline_ts(int64_t us, struct timespec *ts)
{
	ts->tv_sec = (time_t)(us / 1000000);
	ts->tv_nsec = (long)(us % 1000000) * 1000;
}

/* Wait until CLOCK_MONOTONIC reaches at_us; false when told to stop. */
static bool wait_until(struct mcu_content *c, int64_t at_us)
{
	struct timespec ts;
	bool stop;

	deadline_ts(at_us, &ts);
	pthread_mutex_lock(&c->lock);
	while (!c->stop && mono_us() < at_us)
		if (pthread_cond_timedwait(&c->cond, &c->lock, &ts) ==
		    ETIMEDOUT)
			break;
	stop = c->stop;
	pthread_mutex_unlock(&c->lock);
	return !stop;
}

static void show(struct mcu_content *c, AVFrame *f)
{
	AVFrame *old;
	pthread_mutex_lock(&c->lock);
	old = c->picture;
	c->picture = f;
	pthread_mutex_unlock(&c->lock);
	av_frame_free(&old);
}

/* Queue the sound of f, waiting for room in the ring; false on stop. */
static bool queue_sound(struct mcu_content *c, const AVFrame *f)
{
	const int16_t *s = (const int16_t *)f->data[0];
	size_t left = f->nb_samples > 0 ? (size_t)f->nb_samples : 0;
	bool stop = false;

	pthread_mutex_lock(&c->lock);
	while (left && !(stop = c->stop)) {
		size_t room = RING_SAMPLES - c->ring_n;
		if (!room) {
			struct timespec ts;
			deadline_ts(mono_us() + WAIT_SLICE_US, &ts);
			pthread_cond_timedwait(&c->cond, &c->lock, &ts);
			continue;
		}
		size_t w = (c->ring_r + c->ring_n) % RING_SAMPLES;
		size_t n = left < room ? left : room;
		if (n > RING_SAMPLES - w)
			n = RING_SAMPLES - w;
		memcpy(&c->ring[w], s, n * sizeof(*s));
		c->ring_n += n;
		s += n;
		left -= n;
	}
	pthread_mutex_unlock(&c->lock);
	return !stop;
}

static void *worker(void *arg)
{
	struct mcu_content *c = arg;
	struct mcu_filesrc_item it;
	bool go = true;
	int err = 0;

	while (go) {
		err = mcu_filesrc_next(c->fs, &it);
		if (err)
			break;
		if (it.kind == MCU_FILESRC_VIDEO) {
			go = wait_until(c, c->start_us + it.pts_us);
			if (go) {
				show(c, it.frame);
				it.frame = NULL;
			}
		} else {
			go = queue_sound(c, it.frame);
		}
		av_frame_free(&it.frame);
	}
	if (err == ENODATA)
		mcu_log_info("%s: end of file, holding the last picture",
		             c->path);
	else if (err)
		mcu_log_warn("%s: playback ends early: %s", c->path,
		             strerror(err));
	pthread_mutex_lock(&c->lock);
	c->ended = true;
	pthread_mutex_unlock(&c->lock);
	/* The file is no longer needed: close it here, off the API. */
	c->fs = mcu_filesrc_free(c->fs);
	return NULL;
}

static struct mcu_content *player_free(struct mcu_content *c)
{
	if (!c)
		return NULL;
	pthread_mutex_lock(&c->lock);
	c->stop = true;
	pthread_cond_broadcast(&c->cond);
	pthread_mutex_unlock(&c->lock);
	int e = pthread_join(c->thread, NULL);
	if (e)
		mcu_log_error("%s: cannot join the player: %s", c->path,
		              strerror(e));
	mcu_filesrc_free(c->fs);
	av_frame_free(&c->picture);
	pthread_cond_destroy(&c->cond);
	pthread_mutex_destroy(&c->lock);
	free(c);
	return NULL;
}

/* Start playing an opened file (taken over, also on error). */
static int player_start(struct mcu_content **cp, struct mcu_filesrc *fs,
                        const char *path)
{
	struct mcu_content *c = calloc(1, sizeof(*c));
	pthread_condattr_t ca;
	const char *base;
	size_t len;
	int err;

	if (!c) {
		mcu_filesrc_free(fs);
		return ENOMEM;
	}
	c->fs = fs;
	mcu_filesrc_info(fs, &c->info);
	snprintf(c->path, sizeof(c->path), "%s", path);
	base = strrchr(path, '/');
	base = base ? base + 1 : path;
	/* the file name, cut on a UTF-8 character boundary */
	len = strlen(base);
	if (len >= sizeof(c->label)) {
		len = sizeof(c->label) - 1;
		while (len && ((unsigned char)base[len] & 0xc0) == 0x80)
			len--;
	}
	memcpy(c->label, base, len);
	c->label[len] = '\0';
	err = mcu_mutex_init_pi(&c->lock);
	if (err) {
		mcu_filesrc_free(fs);
		free(c);
		return err;
	}
	err = pthread_condattr_init(&ca);
	if (!err) {
		err = pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
		if (!err)
			err = pthread_cond_init(&c->cond, &ca);
		pthread_condattr_destroy(&ca);
	}
	if (err) {
		pthread_mutex_destroy(&c->lock);
		mcu_filesrc_free(fs);
		free(c);
		return err;
	}
	c->start_us = mono_us();
	err = pthread_create(&c->thread, NULL, worker, c);
	if (!err)
		pthread_setname_np(c->thread, "mcud-content");
	if (err) {
		pthread_cond_destroy(&c->cond);
		pthread_mutex_destroy(&c->lock);
		mcu_filesrc_free(fs);
		free(c);
		return err;
	}
	*cp = c;
	return 0;
}

AVFrame *mcu_content_picture(struct mcu_content *c)
{
	AVFrame *f = NULL;
	if (!c)
		return NULL;
	pthread_mutex_lock(&c->lock);
	if (c->picture)
		f = av_frame_clone(c->picture);
	pthread_mutex_unlock(&c->lock);
	return f;
}

const char *mcu_content_label(const struct mcu_content *c)
{
	return c ? c->label : NULL;
}

bool mcu_content_audio_pull(struct mcu_content *c, int16_t *pcm)
{
	size_t n, first;
	if (!c || !c->info.has_audio)
		return false;
	pthread_mutex_lock(&c->lock);
	n = c->ring_n < MCU_AUDIO_FRAME ? c->ring_n : MCU_AUDIO_FRAME;
	if (n < MCU_AUDIO_FRAME && !c->ended) {
		/* the worker is behind: a gap, not a short block */
		c->underruns += c->sound_started;
		pthread_mutex_unlock(&c->lock);
		return false;
	}
	if (!n) {
		pthread_mutex_unlock(&c->lock);
		return false;
	}
	first = RING_SAMPLES - c->ring_r;
	if (first > n)
		first = n;
	memcpy(pcm, &c->ring[c->ring_r], first * sizeof(*pcm));
	memcpy(pcm + first, c->ring, (n - first) * sizeof(*pcm));
	memset(pcm + n, 0, (MCU_AUDIO_FRAME - n) * sizeof(*pcm));
	c->ring_r = (c->ring_r + n) % RING_SAMPLES;
	c->ring_n -= n;
	c->sound_started = true;
	pthread_cond_signal(&c->cond);
	pthread_mutex_unlock(&c->lock);
	return true;
}

/* ---- the room ------------------------------------------------------ */

/* Take the player out of the room; the caller frees it. */
static struct mcu_content *take(struct mcu_room *room,
                                struct mcu_content *replacement)
{
	struct mcu_content *old;
	pthread_mutex_lock(&room->lock);
	old = room->content;
	room->content = replacement;
	if (old)
		mcu_room_wait_ticks(room);
	pthread_mutex_unlock(&room->lock);
	return old;
}

int mcu_content_play(struct mcu_room *room, const char *file, char *detail,
                     size_t detail_len)
{
	char resolved[PATH_MAX], why[PATH_MAX + 128];
	struct mcu_filesrc *fs = NULL;
	struct mcu_content *c = NULL, *old;
	int status, err;

	/* The roster of the room now (a reload swaps it under the lock;
	   the old one lives as long as the room). */
	pthread_mutex_lock(&room->lock);
	const struct mcu_conf *conf = room->conf;
	const struct mcu_conf_meeting *m = room->m;
	pthread_mutex_unlock(&room->lock);
	status =
	    mcu_content_allowed(conf, m, file, resolved, detail, detail_len);
	if (status) {
		mcu_log_warn("%s: content refused (%d): %s", room->id, status,
		             detail);
		return status;
	}
	err = mcu_filesrc_open(&fs, resolved, 0, 0, why, sizeof(why));
	if (err) {
		snprintf(detail, detail_len, "%s",
		         why[0] ? why : strerror(err));
		mcu_log_warn("%s: content refused: %s", room->id, detail);
		return err == ENOMEM ? 503 : 422;
	}
	err = player_start(&c, fs, resolved);
	if (err) {
		snprintf(detail, detail_len, "cannot start playing %s: %s",
		         file, strerror(err));
		return 503;
	}
	old = take(room, c);
	player_free(old);
	mcu_log_info("%s: content %s plays%s%s", room->id, resolved,
	             c->info.has_video ? " (picture)" : "",
	             c->info.has_audio ? " (sound)" : "");
	return 200;
}

int mcu_content_stop(struct mcu_room *room, char *detail, size_t detail_len)
{
	struct mcu_content *old = take(room, NULL);
	if (!old) {
		snprintf(detail, detail_len, "no content is playing in %s",
		         room->id);
		return 409;
	}
	mcu_log_info("%s: content %s stopped", room->id, old->path);
	player_free(old);
	return 200;
}

bool mcu_content_status(struct mcu_room *room, struct mcu_content_status *out)
{
	struct mcu_content *c;
	bool on;
	memset(out, 0, sizeof(*out));
	pthread_mutex_lock(&room->lock);
	c = room->content;
	on = c != NULL;
	if (c) {
		snprintf(out->file, sizeof(out->file), "%s", c->path);
		out->playing_s = (double)(mono_us() - c->start_us) / 1e6;
		out->duration_s = c->info.duration_s;
		out->has_video = c->info.has_video;
		out->has_audio = c->info.has_audio;
		pthread_mutex_lock(&c->lock);
		out->ended = c->ended;
		out->audio_underruns = c->underruns;
		pthread_mutex_unlock(&c->lock);
	}
	pthread_mutex_unlock(&room->lock);
	return on;
}

void mcu_content_room_free(struct mcu_room *room)
{
	room->content = player_free(room->content);
}

/* ---- the API ------------------------------------------------------- */

int mcu_content_api(struct mcu_room *room, const struct mcu_api_action *a,
                    json_t **result, char *detail, size_t detail_len)
{
	struct mcu_content_status st;
	int status;

	if (a->stop)
		return mcu_content_stop(room, detail, detail_len);
	status = mcu_content_play(room, a->file, detail, detail_len);
	if (status != 200 || !mcu_content_status(room, &st))
		return status;
	*result = json_pack("{s:b,s:s,s:b,s:b,s:f}", "ok", 1, "file", st.file,
	                    "video", st.has_video, "audio", st.has_audio,
	                    "duration_s", st.duration_s);
	return 200;
}

json_t *mcu_content_json(struct mcu_room *room)
{
	struct mcu_content_status st;

	if (!mcu_content_status(room, &st))
		return json_null();
	return json_pack("{s:s,s:f,s:f,s:b,s:b,s:b,s:I}", "file", st.file,
	                 "playing_s", (double)(int64_t)(st.playing_s * 10) / 10,
	                 "duration_s",
	                 (double)(int64_t)(st.duration_s * 10) / 10, "ended",
	                 st.ended, "video", st.has_video, "audio", st.has_audio,
	                 "audio_underruns", (json_int_t)st.audio_underruns);
}
