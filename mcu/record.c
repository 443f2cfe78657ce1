/*
 * Why the recorder works this way.
 *
 * The room already encodes what a recording needs: the branches' picture
 * (one encoder group) and the full mix (the common mix, which holds every
 * audible participant). Encoding it again for the file would double the
 * most expensive work of the tick, so the recorder only muxes packets the
 * room hands it (mcu/room_record.c decides which).
 *
 * Muxing and disk writes must never hold up a media tick: a tick only
 * takes a reference to the packet and puts it on a bounded ring of
 * preallocated AVPackets under a mutex held for a few instructions. When
 * the ring is full (the disk is slower than the meeting) the packet is
 * dropped and counted: a gap in the file is better than a late tick. A
 * writer thread takes packets off in batches and writes them.
 *
 * The file starts at the first video key frame (the room asks its encoder
 * for one when the recording starts): H.264 needs its SPS and PPS as the
 * track's codec private data, which that key frame carries in band.
 * Sound before it is skipped. Timestamps are the media clock times the
 * ticks give (their deadlines, CLOCK_MONOTONIC) minus the key frame's, in
 * milliseconds (Matroska's unit): both tracks come from one clock, so
 * they stay in step whatever the encoders' own counters do.
 *
 * Crash safety, measured (ffmpeg 5.1 matroska muxer; 6 s of 640x360 H.264
 * plus Opus, then kill -9; then ffmpeg -v error -i FILE -f null -):
 *   default options            empty file (the 32 KiB write buffer and
 *                              5 s clusters never reached the disk)
 *   cluster_time_limit 1000    empty file (nothing flushed)
 *   flush_packets 1            decodes, 3.0 of 5 s (one 5 s cluster lost)
 *   both                       decodes, 4.97 of 5 s
 *   both + live 1              the same, but no duration or cues at a
 *                              clean end
 *   fragmented MP4 (1 s frags) decodes, 4.97 s
 * So: Matroska, clusters of at most 1 s (or 2 MiB), flush_packets, and a
 * seekable file so that a clean end writes duration and cues. The muxer's
 * interleaving holds packets at most 0.5 s (max_interleave_delta) when one
 * track stalls (a still picture is re-sent only once a second).
 *
 * A write error (ENOSPC, EIO) is logged once, the writing stops (later
 * packets are dropped and counted) and the statistics carry the errno;
 * the meeting goes on.
 */
#define MCU_LOG_MODULE "record"
#include "mcu/record.h"
#include "conf/log.h"
#include "conf/pi_mutex.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libavformat/avformat.h>
#include <libavutil/channel_layout.h>
#include <libavutil/intreadwrite.h>

#define BATCH          32
#define CLUSTER_MS     "1000"
#define CLUSTER_BYTES  "2097152"
#define INTERLEAVE_US  500000
#define PARAMS_MAX     1024
#define AUDIO_FRAME_MS 20
#define HOLD           50 /* sound kept while waiting for the key frame */

/* ---- the queue ------------------------------------------------------ */

struct mcu_record_queue {
	struct mcu_record_item *ring;
	size_t cap, head, len;
};

int mcu_record_queue_alloc(struct mcu_record_queue **qp, size_t cap)
{
	struct mcu_record_queue *q;
	if (!qp || cap == 0 || cap > 1u << 20)
		return EINVAL;
	q = calloc(1, sizeof(*q));
	if (!q)
		return ENOMEM;
	q->cap = cap;
	q->ring = calloc(cap, sizeof(*q->ring));
	if (!q->ring)
		goto fail;
	for (size_t i = 0; i < cap; i++)
		if (!(q->ring[i].pkt = av_packet_alloc()))
			goto fail;
	*qp = q;
	return 0;
fail:
	mcu_record_queue_free(q);
	return ENOMEM;
}

struct mcu_record_queue *mcu_record_queue_free(struct mcu_record_queue *q)
{
	if (!q)
		return NULL;
	for (size_t i = 0; q->ring && i < q->cap; i++)
		av_packet_free(&q->ring[i].pkt);
	free(q->ring);
	free(q);
	return NULL;
}

int mcu_record_queue_push(struct mcu_record_queue *q, const AVPacket *pkt,
                          int stream, bool key, int64_t ts_ns)
{
	struct mcu_record_item *it;
	if (!q || !pkt)
		return EINVAL;
	if (q->len == q->cap)
		return ENOSPC;
	it = &q->ring[(q->head + q->len) % q->cap];
	if (av_packet_ref(it->pkt, pkt) < 0)
		return ENOMEM;
	it->stream = stream;
	it->key = key;
	it->ts_ns = ts_ns;
	q->len++;
	return 0;
}

bool mcu_record_queue_pop(struct mcu_record_queue *q,
                          struct mcu_record_item *out)
{
	struct mcu_record_item *it;
	if (!q || !q->len || !out || !out->pkt)
		return false;
	it = &q->ring[q->head];
	av_packet_unref(out->pkt);
	av_packet_move_ref(out->pkt, it->pkt);
	out->stream = it->stream;
	out->key = it->key;
	out->ts_ns = it->ts_ns;
	q->head = (q->head + 1) % q->cap;
	q->len--;
	return true;
}

size_t mcu_record_queue_len(const struct mcu_record_queue *q)
{
	return q ? q->len : 0;
}

/* ---- names ---------------------------------------------------------- */

static bool safe_id(const char *s)
{
	if (!s || !*s || !strcmp(s, ".") || !strcmp(s, ".."))
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || *s == '-' || *s == '_' ||
		      *s == '.'))
			return false;
	return true;
}

int mcu_record_file_name(char *buf, size_t len, const char *dir,
                         const char *meeting, time_t t, unsigned n)
{
	struct tm tm;
	char stamp[32], suffix[16] = "";
	int w;
	if (!buf || !len || !dir || !*dir || !safe_id(meeting))
		return EINVAL;
	if (!localtime_r(&t, &tm) ||
	    !strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M", &tm))
		return EINVAL;
	if (n > 1)
		snprintf(suffix, sizeof(suffix), "-%u", n);
	w = snprintf(buf, len, "%s%s%s-%s%s.mkv", dir,
	             dir[strlen(dir) - 1] == '/' ? "" : "/", meeting, stamp,
	             suffix);
	if (w < 0 || (size_t)w >= len)
		return ENAMETOOLONG;
	return 0;
}

static int make_dirs(const char *dir)
{
	char p[4096];
	size_t n = strlen(dir);
	if (n == 0 || n >= sizeof(p))
		return n ? ENAMETOOLONG : EINVAL;
	memcpy(p, dir, n + 1);
	for (size_t i = 1; i <= n; i++) {
		if (p[i] != '/' && p[i] != '\0')
			continue;
		char c = p[i];
		p[i] = '\0';
		if (mkdir(p, 0750) && errno != EEXIST)
			return errno;
		p[i] = c;
	}
	return 0;
}

int mcu_record_new_file(char **pathp, const char *dir, const char *meeting,
                        time_t t)
{
	char path[4096];
	int err, fd;
	if (!pathp || !dir)
		return EINVAL;
	err = make_dirs(dir);
	if (err)
		return err;
	for (unsigned n = 1; n < 1000; n++) {
		err = mcu_record_file_name(path, sizeof(path), dir, meeting, t,
		                           n);
		if (err)
			return err;
		fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
		if (fd < 0 && errno == EEXIST)
			continue;
		if (fd < 0)
			return errno;
		close(fd);
		*pathp = strdup(path);
		if (!*pathp) {
			unlink(path);
			return ENOMEM;
		}
		return 0;
	}
	return EEXIST;
}

/* ---- H.264 parameter sets ------------------------------------------ */

/* Next start code at or after i: its position, *sc its length. */
static size_t next_start(const uint8_t *b, size_t n, size_t i, size_t *sc)
{
	for (; i + 3 <= n; i++) {
		if (b[i] || b[i + 1])
			continue;
		if (b[i + 2] == 1) {
			*sc = 3;
			return i;
		}
		if (i + 4 <= n && !b[i + 2] && b[i + 3] == 1) {
			*sc = 4;
			return i;
		}
	}
	*sc = 0;
	return n;
}

int mcu_record_h264_params(const uint8_t *au, size_t au_len, uint8_t *buf,
                           size_t cap, size_t *len)
{
	size_t sc, i, out = 0;
	if (!au || !buf || !len)
		return EINVAL;
	*len = 0;
	i = next_start(au, au_len, 0, &sc);
	while (i < au_len) {
		size_t s = i + sc, sc2;
		size_t e = next_start(au, au_len, s, &sc2);
		if (s < e) {
			int type = au[s] & 0x1f;
			if (type == 7 || type == 8) {
				if (out + 4 + (e - s) > cap)
					return ENOSPC;
				memcpy(buf + out, "\0\0\0\1", 4);
				memcpy(buf + out + 4, au + s, e - s);
				out += 4 + (e - s);
			}
		}
		i = e;
		sc = sc2;
	}
	*len = out;
	return 0;
}

/* ---- the recorder --------------------------------------------------- */

struct mcu_record {
	char *path, *meeting;
	enum mcu_vcodec vcodec;
	int width, height, channels;

	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct mcu_record_queue *q; /* lock */
	bool stop;                  /* lock */
	bool failed;                /* lock: mirrors error, drops at once */
	struct mcu_record_stats st; /* lock: published by the writer */

	/* writer thread only */
	AVFormatContext *oc;
	struct mcu_record_item batch[BATCH];
	AVPacket *held[HOLD]; /* sound before the header, oldest first */
	int64_t held_ts[HOLD];
	size_t n_held;
	bool header;
	int error;
	int64_t t0_ns;
	int64_t last_ms[2];
	uint64_t written;
};

static int av_errno(int ret)
{
	if (ret == AVERROR(ENOMEM))
		return ENOMEM;
	if (ret < 0 && ret > -4096)
		return -ret;
	return EIO;
}

static void fail(struct mcu_record *r, const char *what, int ret)
{
	if (r->error)
		return;
	r->error = av_errno(ret);
	mcu_log_error("%s: recording %s stopped: cannot %s: %s (the meeting "
	              "goes on)",
	              r->meeting, r->path, what, av_err2str(ret));
	pthread_mutex_lock(&r->lock);
	r->failed = true;
	pthread_mutex_unlock(&r->lock);
}

static int open_output(struct mcu_record *r)
{
	AVStream *v, *a;
	int ret =
	    avformat_alloc_output_context2(&r->oc, NULL, "matroska", r->path);
	if (ret < 0 || !r->oc)
		return ret < 0 ? ret : AVERROR(ENOMEM);
	v = avformat_new_stream(r->oc, NULL);
	a = avformat_new_stream(r->oc, NULL);
	if (!v || !a)
		return AVERROR(ENOMEM);
	v->time_base = (AVRational){1, 1000};
	v->codecpar->codec_type = AVMEDIA_TYPE_VIDEO;
	v->codecpar->codec_id =
	    r->vcodec == MCU_VCODEC_VP8 ? AV_CODEC_ID_VP8 : AV_CODEC_ID_H264;
	v->codecpar->width = r->width;
	v->codecpar->height = r->height;
	a->time_base = (AVRational){1, 1000};
	a->codecpar->codec_type = AVMEDIA_TYPE_AUDIO;
	a->codecpar->codec_id = AV_CODEC_ID_OPUS;
	a->codecpar->sample_rate = MCU_AUDIO_RATE;
	av_channel_layout_default(&a->codecpar->ch_layout, r->channels);
	/* OpusHead (RFC 7845 5.1): version 1, channels, no pre-skip, 48 kHz,
	   no gain, mapping family 0. */
	a->codecpar->extradata = av_mallocz(19 + AV_INPUT_BUFFER_PADDING_SIZE);
	if (!a->codecpar->extradata)
		return AVERROR(ENOMEM);
	memcpy(a->codecpar->extradata, "OpusHead", 8);
	a->codecpar->extradata[8] = 1;
	a->codecpar->extradata[9] = (uint8_t)r->channels;
	AV_WL32(a->codecpar->extradata + 12, MCU_AUDIO_RATE);
	a->codecpar->extradata_size = 19;
	r->oc->max_interleave_delta = INTERLEAVE_US;
	return avio_open(&r->oc->pb, r->path, AVIO_FLAG_WRITE);
}

/* The first key frame: codec private data, then the header. */
static int write_header(struct mcu_record *r, const struct mcu_record_item *it)
{
	AVDictionary *opt = NULL;
	int ret;
	if (r->vcodec == MCU_VCODEC_H264) {
		uint8_t ps[PARAMS_MAX];
		size_t n = 0;
		AVCodecParameters *par = r->oc->streams[0]->codecpar;
		if (mcu_record_h264_params(it->pkt->data, (size_t)it->pkt->size,
		                           ps, sizeof(ps), &n) ||
		    n == 0)
			return AVERROR(EAGAIN); /* wait for one that has them */
		par->extradata = av_mallocz(n + AV_INPUT_BUFFER_PADDING_SIZE);
		if (!par->extradata)
			return AVERROR(ENOMEM);
		memcpy(par->extradata, ps, n);
		par->extradata_size = (int)n;
	}
	av_dict_set(&opt, "cluster_time_limit", CLUSTER_MS, 0);
	av_dict_set(&opt, "cluster_size_limit", CLUSTER_BYTES, 0);
	av_dict_set(&opt, "flush_packets", "1", 0);
	av_dict_set(&opt, "title", r->meeting, 0);
	ret = avformat_write_header(r->oc, &opt);
	av_dict_free(&opt);
	if (ret < 0)
		return ret;
	r->header = true;
	r->t0_ns = it->ts_ns;
	r->last_ms[0] = r->last_ms[1] = -1;
	mcu_log_info("%s: recording to %s", r->meeting, r->path);
	return 0;
}

static void count_drop(struct mcu_record *r)
{
	pthread_mutex_lock(&r->lock);
	r->st.dropped++;
	pthread_mutex_unlock(&r->lock);
}

/* One packet to the muxer once the header is out; takes its packet. */
static void put_packet(struct mcu_record *r, struct mcu_record_item *it)
{
	AVStream *st;
	int64_t ms;
	int ret;

	if (r->error) {
		count_drop(r);
		av_packet_unref(it->pkt);
		return;
	}
	if (it->ts_ns < r->t0_ns) {
		av_packet_unref(it->pkt);
		return;
	}
	ms = (it->ts_ns - r->t0_ns) / 1000000;
	if (ms <= r->last_ms[it->stream]) /* never two at one time */
		ms = r->last_ms[it->stream] + 1;
	r->last_ms[it->stream] = ms;
	st = r->oc->streams[it->stream];
	it->pkt->stream_index = it->stream;
	it->pkt->pts = it->pkt->dts = ms;
	it->pkt->duration = it->stream == 1 ? AUDIO_FRAME_MS : 0;
	it->pkt->pos = -1;
	if (it->key || it->stream == 1)
		it->pkt->flags |= AV_PKT_FLAG_KEY;
	else
		it->pkt->flags &= ~AV_PKT_FLAG_KEY;
	av_packet_rescale_ts(it->pkt, (AVRational){1, 1000}, st->time_base);
	ret = av_interleaved_write_frame(r->oc, it->pkt);
	if (ret < 0) {
		fail(r, "write", ret);
		count_drop(r);
		av_packet_unref(it->pkt);
		return;
	}
	r->written++;
}

/* Sound that came before the first key frame: the key frame's own
   instant may be in it (the audio tick ran first). */
static void hold(struct mcu_record *r, struct mcu_record_item *it)
{
	if (r->n_held == HOLD) {
		av_packet_free(&r->held[0]);
		memmove(r->held, r->held + 1, (HOLD - 1) * sizeof(r->held[0]));
		memmove(r->held_ts, r->held_ts + 1,
		        (HOLD - 1) * sizeof(r->held_ts[0]));
		r->n_held--;
	}
	r->held[r->n_held] = av_packet_alloc();
	if (!r->held[r->n_held]) {
		av_packet_unref(it->pkt);
		return;
	}
	av_packet_move_ref(r->held[r->n_held], it->pkt);
	r->held_ts[r->n_held++] = it->ts_ns;
}

static void write_held(struct mcu_record *r)
{
	for (size_t i = 0; i < r->n_held; i++) {
		struct mcu_record_item it = {.pkt = r->held[i],
		                             .stream = 1,
		                             .key = true,
		                             .ts_ns = r->held_ts[i]};
		put_packet(r, &it);
		av_packet_free(&r->held[i]);
	}
	r->n_held = 0;
}

/* One packet off the queue; takes its packet. The file starts at the
   first video key frame. */
static void write_item(struct mcu_record *r, struct mcu_record_item *it)
{
	int ret;
	if (r->header || r->error) {
		put_packet(r, it);
		return;
	}
	if (it->stream == 1) {
		hold(r, it);
		return;
	}
	if (!it->key) {
		av_packet_unref(it->pkt);
		return;
	}
	ret = write_header(r, it);
	if (ret == AVERROR(EAGAIN)) {
		av_packet_unref(it->pkt);
		return;
	}
	if (ret < 0)
		fail(r, "write the header", ret);
	put_packet(r, it); /* counted as dropped after an error */
	write_held(r);
}

static void publish(struct mcu_record *r)
{
	int64_t ms =
	    r->last_ms[0] > r->last_ms[1] ? r->last_ms[0] : r->last_ms[1];
	int64_t bytes = r->oc && r->oc->pb ? avio_tell(r->oc->pb) : 0;
	pthread_mutex_lock(&r->lock);
	r->st.writing = r->header && !r->error;
	r->st.error = r->error;
	r->st.ms = r->header && ms > 0 ? ms : 0;
	r->st.bytes = bytes > 0 ? (uint64_t)bytes : 0;
	r->st.packets = r->written;
	pthread_mutex_unlock(&r->lock);
}

static void finish(struct mcu_record *r)
{
	int ret;
	if (r->header && !r->error) {
		ret = av_write_trailer(r->oc);
		if (ret < 0)
			fail(r, "finish the file", ret);
	}
	publish(r);
	if (r->oc && r->oc->pb)
		avio_closep(&r->oc->pb);
	if (!r->header) {
		mcu_log_warn("%s: nothing was recorded in %s (no picture came)",
		             r->meeting, r->path);
	} else {
		mcu_log_info("%s: recording %s closed: %.1f s, %llu bytes, "
		             "%llu packets dropped",
		             r->meeting, r->path, (double)r->st.ms / 1e3,
		             (unsigned long long)r->st.bytes,
		             (unsigned long long)r->st.dropped);
	}
}

static void *writer(void *arg)
{
	struct mcu_record *r = arg;
	struct mcu_record_item *batch = r->batch;
	int ret = open_output(r);
	size_t n = 0;

	if (ret < 0)
		fail(r, "open the file", ret);
	for (;;) {
		bool stop;
		pthread_mutex_lock(&r->lock);
		while (!r->stop && !mcu_record_queue_len(r->q))
			pthread_cond_wait(&r->cond, &r->lock);
		for (n = 0; n < BATCH && mcu_record_queue_pop(r->q, &batch[n]);
		     n++)
			;
		stop = r->stop && !mcu_record_queue_len(r->q);
		pthread_mutex_unlock(&r->lock);
		for (size_t i = 0; i < n; i++)
			write_item(r, &batch[i]);
		if (n)
			publish(r);
		if (stop || (!n && r->stop))
			break;
	}
	finish(r);
	return NULL;
}

/* Everything but the thread and its lock. */
static void release(struct mcu_record *r)
{
	if (r->oc)
		avformat_free_context(r->oc);
	mcu_record_queue_free(r->q);
	for (size_t i = 0; i < BATCH; i++)
		av_packet_free(&r->batch[i].pkt);
	for (size_t i = 0; i < r->n_held; i++)
		av_packet_free(&r->held[i]);
	free(r->path);
	free(r->meeting);
	free(r);
}

int mcu_record_alloc(struct mcu_record **recp,
                     const struct mcu_record_params *p)
{
	struct mcu_record *r;
	int err;
	if (!recp || !p || !p->path || !*p->path || p->width < 16 ||
	    p->height < 16 ||
	    (p->vcodec != MCU_VCODEC_H264 && p->vcodec != MCU_VCODEC_VP8) ||
	    (p->channels != 1 && p->channels != 2))
		return EINVAL;
	r = calloc(1, sizeof(*r));
	if (!r)
		return ENOMEM;
	r->vcodec = p->vcodec;
	r->width = p->width;
	r->height = p->height;
	r->channels = p->channels;
	r->path = strdup(p->path);
	r->meeting = strdup(p->meeting ? p->meeting : "-");
	err = !r->path || !r->meeting ? ENOMEM : 0;
	for (size_t i = 0; !err && i < BATCH; i++)
		if (!(r->batch[i].pkt = av_packet_alloc()))
			err = ENOMEM;
	if (!err)
		err = mcu_record_queue_alloc(
		    &r->q, p->queue ? p->queue : MCU_RECORD_QUEUE);
	if (err) {
		release(r);
		return err;
	}
	mcu_mutex_init_pi(&r->lock);
	pthread_cond_init(&r->cond, NULL);
	err = pthread_create(&r->thread, NULL, writer, r);
	if (!err)
		pthread_setname_np(r->thread, "mcud-record");
	if (err) {
		pthread_cond_destroy(&r->cond);
		pthread_mutex_destroy(&r->lock);
		release(r);
		return err;
	}
	*recp = r;
	return 0;
}

void mcu_record_stop(struct mcu_record *r)
{
	bool join;
	if (!r)
		return;
	pthread_mutex_lock(&r->lock);
	join = !r->stop;
	r->stop = true;
	pthread_cond_signal(&r->cond);
	pthread_mutex_unlock(&r->lock);
	if (join) /* only the control side calls stop and free */
		pthread_join(r->thread, NULL);
}

struct mcu_record *mcu_record_free(struct mcu_record *r)
{
	if (!r)
		return NULL;
	mcu_record_stop(r);
	pthread_cond_destroy(&r->cond);
	pthread_mutex_destroy(&r->lock);
	release(r);
	return NULL;
}

static bool put(struct mcu_record *r, const AVPacket *pkt, int stream, bool key,
                int64_t ts_ns)
{
	int err;
	if (!r || !pkt)
		return false;
	pthread_mutex_lock(&r->lock);
	err = r->failed || r->stop
	          ? EPIPE
	          : mcu_record_queue_push(r->q, pkt, stream, key, ts_ns);
	if (err)
		r->st.dropped++;
	else
		pthread_cond_signal(&r->cond);
	pthread_mutex_unlock(&r->lock);
	if (err == ENOSPC)
		mcu_log_ratelimited(MCU_LOG_WARN, 5000,
		                    "%s: recording queue full (slow disk): "
		                    "packets dropped",
		                    r->meeting);
	return !err;
}

bool mcu_record_video(struct mcu_record *rec, const AVPacket *pkt, bool key,
                      int64_t ts_ns)
{
	return put(rec, pkt, 0, key, ts_ns);
}

bool mcu_record_audio(struct mcu_record *rec, const AVPacket *pkt,
                      int64_t ts_ns)
{
	return put(rec, pkt, 1, true, ts_ns);
}

void mcu_record_stats(struct mcu_record *rec, struct mcu_record_stats *st)
{
	if (!st)
		return;
	memset(st, 0, sizeof(*st));
	if (!rec)
		return;
	pthread_mutex_lock(&rec->lock);
	*st = rec->st;
	pthread_mutex_unlock(&rec->lock);
}
