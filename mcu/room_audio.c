/*
 * The audio tick, every 20 ms (design.md "What keeps it fast" 4): pull
 * and decode 20 ms from every leg, measure levels, let the floor decide
 * who is audible, mix once, and encode:
 *
 *   - the common mix once per codec in use, for everyone not audible
 *     (one encoder per codec, its packets sent by every such leg);
 *   - an N-1 mix only for each audible participant, with an encoder of
 *     its own kept while it stays audible.
 *
 * With 115 participants and one speaker that is at most five encodes per
 * tick (four codecs for the common mix, one N-1), not 115.
 */
#define MCU_LOG_MODULE "audio"
#include "mcu/room_internal.h"
#include "conf/log.h"

#include <dlfcn.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <libavutil/channel_layout.h>
#include <libavutil/samplefmt.h>

/*
 * Where one audio tick's time went (all its catch-up frames), for the
 * warning of a late tick: waiting for the room lock, pulling (decoding)
 * the legs, opening encoders, encoding and sending, the recording.
 */
struct audio_timing {
	int64_t lock_ns, pull_ns, open_ns, encode_ns, rec_ns;
};

struct audio_out {
	struct mcu_room *room;
	int64_t now_us;
	enum mcu_acodec codec; /* common: legs of this codec, not audible */
	long only;             /* >= 0: just this slot */
};

static int alloc_pcm_frame(struct mcu_room *room)
{
	AVFrame *f = av_frame_alloc();
	if (!f)
		return ENOMEM;
	f->format = AV_SAMPLE_FMT_S16;
	f->sample_rate = MCU_AUDIO_RATE;
	f->nb_samples = MCU_AUDIO_FRAME;
	av_channel_layout_default(&f->ch_layout, 1);
	if (av_frame_get_buffer(f, 0) < 0) {
		av_frame_free(&f);
		return ENOMEM;
	}
	room->pcm_frame = f;
	return 0;
}

void mcu_room_audio_free(struct mcu_room *room)
{
	for (size_t i = 0; i <= MCU_ACODEC_G722; i++)
		room->common_aenc[i] = mcu_aenc_free(room->common_aenc[i]);
	for (size_t i = 0; room->parts && i < room->n_parts; i++)
		room->parts[i].own_aenc = mcu_aenc_free(room->parts[i].own_aenc);
	av_frame_free(&room->pcm_frame);
	free(room->a_align);
	room->a_align = NULL;
}

static void send_packet(const AVPacket *pkt, uint32_t ts_inc, void *arg)
{
	struct audio_out *o = arg;
	struct mcu_room *room = o->room;
	struct mcu_pkt *p = NULL;

	if (o->only < 0 && o->codec == MCU_ACODEC_OPUS)
		mcu_room_rec_audio_tap(room, pkt); /* the full mix */
	if (mcu_pkt_dup(&p, pkt->data, (size_t)pkt->size))
		return;
	for (size_t i = 0; i < room->n_parts; i++) {
		struct mcu_leg *leg = room->vt_audio[i];
		const struct mcu_leg_params *lp;
		if (!leg)
			continue;
		if (o->only >= 0) {
			if ((long)i != o->only)
				continue;
		} else {
			lp = mcu_leg_params(leg);
			if (room->audible[i] || lp->acodec != o->codec)
				continue;
		}
		mcu_leg_send_audio(leg, p, ts_inc, o->now_us);
	}
	mcu_pkt_put(p);
}

static struct mcu_aenc *new_encoder(struct mcu_room *room,
                                    enum mcu_acodec codec,
                                    struct audio_timing *tm)
{
	struct mcu_aenc *enc = NULL;
	struct mcu_aenc_config cfg = {.codec = codec};
	int64_t t0 = mcu_now_ns();
	int err = mcu_aenc_alloc(&enc, &cfg);
	tm->open_ns += mcu_now_ns() - t0;
	if (err) {
		mcu_log_ratelimited(MCU_LOG_ERROR, 5000,
		                    "%s: cannot start a %s encoder", room->id,
		                    mcu_acodec_name(codec));
		return NULL;
	}
	return enc;
}

void mcu_room_set_test_tone(struct mcu_room *room, bool on)
{
	pthread_mutex_lock(&room->lock);
	room->test_tone = on;
	pthread_mutex_unlock(&room->lock);
}

/*
 * The test run's tone for this tick into tone[] (true), or false while
 * it is off or silent: 1 s of 1 kHz in every 5 s, with 5 ms ramps so it
 * does not click.
 */
static bool tone_block(struct mcu_room *room, bool on, int16_t *tone)
{
	const uint64_t period =
	    (uint64_t)MCU_AUDIO_RATE * MCU_ROOM_TONE_PERIOD_MS / 1000;
	const uint64_t len = (uint64_t)MCU_AUDIO_RATE * MCU_ROOM_TONE_ON_MS / 1000;
	const uint64_t ramp = MCU_AUDIO_RATE / 200;
	const double amp = 32767.0 * pow(10.0, MCU_ROOM_TONE_DBFS / 20.0);
	uint64_t pos = room->tone_pos;
	bool any = false;

	if (!on) {
		room->tone_pos = 0;
		return false;
	}
	room->tone_pos += MCU_AUDIO_FRAME;
	for (size_t i = 0; i < MCU_AUDIO_FRAME; i++, pos++) {
		uint64_t in = pos % period;
		double g = 0;
		if (in < len) {
			g = 1;
			if (in < ramp)
				g = (double)in / (double)ramp;
			else if (len - in < ramp)
				g = (double)(len - in) / (double)ramp;
		}
		tone[i] = (int16_t)lrint(
		    g * amp *
		    sin(2 * M_PI * MCU_ROOM_TONE_HZ * (double)(in % period) /
		        MCU_AUDIO_RATE));
		any = any || g > 0;
	}
	return any;
}

static void encode_mix(struct mcu_room *room, struct mcu_aenc *enc,
                       const int16_t *pcm, const int16_t *tone,
                       struct audio_out *o)
{
	if (av_frame_make_writable(room->pcm_frame) < 0)
		return;
	memcpy(room->pcm_frame->data[0], pcm,
	       MCU_AUDIO_FRAME * sizeof(int16_t));
	if (tone) {
		int16_t *s = (int16_t *)room->pcm_frame->data[0];
		for (size_t i = 0; i < MCU_AUDIO_FRAME; i++) {
			int v = s[i] + tone[i];
			s[i] = (int16_t)(v > INT16_MAX   ? INT16_MAX
			                 : v < INT16_MIN ? INT16_MIN
			                                 : v);
		}
	}
	mcu_aenc_encode(enc, room->pcm_frame, send_packet, o);
}

/* Encode and send every distinct mix; returns encoders used. */
static size_t encode_outputs(struct mcu_room *room, int64_t now_us,
                             const int16_t *tone, struct audio_timing *tm)
{
	bool used[MCU_ACODEC_G722 + 1] = {false};
	size_t encoders = 0;

	for (size_t i = 0; i < room->n_parts; i++) {
		struct mcu_leg *leg = room->vt_audio[i];
		struct part *p = &room->parts[i];
		if (!leg)
			continue;
		enum mcu_acodec c = mcu_leg_params(leg)->acodec;
		if (!room->audible[i]) {
			used[c] = true;
			if (p->was_audible)
				p->own_aenc = mcu_aenc_free(p->own_aenc);
			p->was_audible = false;
			continue;
		}
		/* An audible participant hears everyone but itself. */
		if (!p->own_aenc)
			p->own_aenc = new_encoder(room, c, tm);
		p->was_audible = true;
		if (!p->own_aenc)
			continue;
		struct audio_out o = {room, now_us, c, (long)i};
		encode_mix(room, p->own_aenc, mcu_mixer_minus(room->mixer, i),
		           tone, &o);
		encoders++;
	}
	for (int c = MCU_ACODEC_OPUS; c <= MCU_ACODEC_G722; c++) {
		if (!used[c]) {
			room->common_aenc[c] = mcu_aenc_free(room->common_aenc[c]);
			continue;
		}
		if (!room->common_aenc[c])
			room->common_aenc[c] = new_encoder(room, c, tm);
		if (!room->common_aenc[c])
			continue;
		struct audio_out o = {room, now_us, (enum mcu_acodec)c, -1};
		encode_mix(room, room->common_aenc[c],
		           mcu_mixer_common(room->mixer), tone, &o);
		encoders++;
	}
	return encoders;
}

/* Latency probe: every audible source's packet of this tick is in the
   mixes just sent: observe now - its arrival (concealed 20 ms: none). */
static void observe_latency(const struct mcu_room *room)
{
	struct mcu_metric *m =
	    room->env.probes ? room->env.probes->latency_audio : NULL;
	int64_t now_us, a;

	if (!m)
		return;
	now_us = mcu_netio_now_us();
	for (size_t i = 0; i < room->n_parts; i++)
		if (room->vt_audio[i] && room->audible[i] && room->present[i] &&
		    (a = mcu_leg_audio_arrival_us(room->vt_audio[i])) > 0)
			mcu_metric_observe(m, (double)(now_us - a) / 1e6);
}

/*
 * Pulling 20 ms from every leg decodes it (Opus: tens of microseconds per
 * leg), the bulk of a large meeting's audio tick: the legs are pulled in
 * chunks in parallel (mcu_workpool_for). Each item touches only its own
 * legs and mixer slots.
 *
 * Only what is heard must be decoded every frame. In a chaired or lecture
 * meeting the host, the floor holder and whoever was audible last tick
 * are; every other leg is decoded for two consecutive frames in every
 * MCU_ROOM_LEVEL_EVERY (the first brings its decoder's state up to date
 * after the frames skipped, the second is measured), and its level and
 * voice activity are held in between: meters, readiness and the active
 * speaker see it every 120 ms, at a third of the decoding (120 legs: 40
 * decodes a tick instead of 120). An open floor hears any voice at once,
 * so there every leg is decoded every frame.
 */
#define PULL_CHUNK 24
#define MCU_ROOM_LEVEL_EVERY 6

struct pull_batch {
	struct mcu_room *room;
	int64_t now_us;
};

enum pull_kind { PULL_SKIP, PULL_WARM, PULL_DECODE };

static enum pull_kind pull_kind(const struct mcu_room *room, size_t i)
{
	unsigned phase = (unsigned)((room->agen + i) % MCU_ROOM_LEVEL_EVERY);

	if (room->a_open || room->audible[i] || (long)i == room->a_host ||
	    (long)i == room->a_holder)
		return PULL_DECODE;
	if (!room->present[i])
		return PULL_SKIP; /* muted: neither heard nor measured */
	return phase == 0 ? PULL_WARM : phase == 1 ? PULL_DECODE : PULL_SKIP;
}

static void pull_chunk(void *arg, size_t c)
{
	struct pull_batch *pb = arg;
	struct mcu_room *room = pb->room;
	int16_t pcm[MCU_AUDIO_FRAME];
	size_t end = (c + 1) * PULL_CHUNK, decoded = 0;

	if (end > room->n_parts)
		end = room->n_parts;
	for (size_t i = c * PULL_CHUNK; i < end; i++) {
		struct mcu_leg *leg = room->vt_audio[i];
		enum pull_kind k = leg ? pull_kind(room, i) : PULL_DECODE;
		bool have;
		if (k == PULL_SKIP) {
			have = mcu_leg_audio_skip(leg, pb->now_us);
		} else {
			have = leg && mcu_leg_audio_pull(leg, pb->now_us, pcm);
			decoded += leg != NULL;
		}
		if (have && room->present[i] && k != PULL_DECODE)
			mcu_mixer_hold(room->mixer, i);
		else
			mcu_mixer_put(room->mixer, i,
			              have && room->present[i] ? pcm : NULL);
		room->voice[i] = mcu_mixer_voice(room->mixer, i);
	}
	atomic_fetch_add(&room->a_decoded, decoded);
}

/*
 * The audio clock's phase. A packet of a heard participant, once due in
 * its jitter buffer's plan, waits for the meeting's next 20 ms deadline:
 * 0-20 ms fixed for the call by the phase of the sender's clock against
 * the meeting's, the largest share of the audio latency and a lottery
 * (bench/latency: p99 18-45 ms from one run to the next). So every
 * ALIGN_FRAMES the tick looks at the least slack (deadline - due) of each
 * heard participant's packets and, when moving the meeting's clock makes
 * the worst heard wait a few ms shorter (mcu_mixer_align), moves it
 * (mcu_tick_shift): to just after one heard participant's packets, the one
 * that leaves the longest wait of the others shortest (two speakers: at
 * most half a frame apart). A participant whose packets are due after the
 * moved deadline is taken there anyway when its packet has come (a jitter
 * buffer takes a present packet up to 8 ms ahead of its plan), otherwise
 * a frame later from then on, losing one frame to the move
 * (audio.in.gaps); so the clock moves only for a real gain, at most once a
 * window, and never for the unheard. The jitter buffers keep a playing
 * stream's phase through the plan's small wanderings
 * (mcu_jbuf_get_audio), so a small margin holds.
 */
#define ALIGN_FRAMES 100 /* 2 s */
/* The move is made from inside the tick, on the next deadline: earlier by
   almost a frame would bring that deadline while this run is still busy
   (skipped, then a catch-up frame). Larger moves go in two windows. */
#define ALIGN_STEP_US 12000
#define ALIGN_MAX    8   /* heard participants considered */

static void align_clock(struct mcu_room *room)
{
	int64_t slack[ALIGN_MAX];
	size_t n = 0;

	if (!room->a_align) {
		room->a_align = calloc(room->cap, sizeof(*room->a_align));
		if (!room->a_align)
			return;
	}
	for (size_t i = 0; i < room->n_parts; i++) {
		struct align_slot *a = &room->a_align[i];
		int64_t s;
		if (!room->vt_audio[i] || !room->audible[i] ||
		    !room->present[i] ||
		    (s = mcu_leg_audio_slack_us(room->vt_audio[i])) == INT64_MIN)
			continue;
		if (!a->n || s < a->least_us)
			a->least_us = s;
		a->n++;
	}
	if (++room->a_align_frames < ALIGN_FRAMES)
		return;
	for (size_t i = 0; i < room->n_parts; i++) {
		struct align_slot *a = &room->a_align[i];
		/* heard for most of the window: a speaker, not a cough */
		if (a->n >= ALIGN_FRAMES / 2 && n < ALIGN_MAX)
			slack[n++] = a->least_us;
		a->n = 0;
	}
	room->a_align_frames = 0;
	int64_t worst = 0, shift = n ? mcu_mixer_align(slack, n, &worst) : 0;
	if (shift > ALIGN_STEP_US)
		shift = ALIGN_STEP_US;
	if (!shift || !room->atick ||
	    mcu_tick_shift(room->env.ticker, room->atick, -shift * 1000))
		return;
	atomic_fetch_add(&room->a_shifts, 1);
	char list[ALIGN_MAX * 12] = "";
	for (size_t k = 0, o = 0; k < n && o < sizeof(list); k++)
		o += (size_t)snprintf(list + o, sizeof(list) - o, "%s%.1f",
		                      k ? " " : "", (double)slack[k] / 1e3);
	mcu_log_info("%s: audio clock moved %.1f ms %s for its %zu heard "
	             "(their least slack %s ms; worst wait after the whole "
	             "move %.1f ms)",
	             room->id, (double)(shift < 0 ? -shift : shift) / 1e3,
	             shift > 0 ? "earlier" : "later", n, list,
	             (double)worst / 1e3);
}

/* Lock the room, adding the wait to *lock_ns. */
static void lock_timed(struct mcu_room *room, int64_t *lock_ns)
{
	int64_t t0 = mcu_now_ns();
	pthread_mutex_lock(&room->lock);
	*lock_ns += mcu_now_ns() - t0;
}

/* One 20 ms frame of the meeting's sound: pull, mix, encode, send. */
static void audio_frame(struct mcu_room *room, int64_t deadline_ns,
                        int64_t now_ns, struct audio_timing *tm)
{
	int64_t now_us = now_ns / 1000;
	int16_t pcm[MCU_AUDIO_FRAME], tone[MCU_AUDIO_FRAME];
	struct timespec t0, t1;
	size_t encoders;
	bool tone_on;

	if (!room->pcm_frame && alloc_pcm_frame(room))
		return;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	lock_timed(room, &tm->lock_ns);
	room->arunning = true;
	tone_on = room->test_tone;
	for (size_t i = 0; i < room->n_parts; i++) {
		struct part *p = &room->parts[i];
		bool on = p->leg && mcu_leg_params(p->leg)->has_audio;
		room->vt_audio[i] = on ? p->leg : NULL;
		room->present[i] = on && !p->mute_audio;
	}
	room->a_open = mcu_floor_mode(room->floor) == MCU_FLOOR_OPEN;
	room->a_holder = mcu_floor_holder(room->floor);
	room->a_host = room->host_slot;
	room->a_decoded = 0;
	room->at_content = room->content;
	room->arec = room->rec;
	room->arec_deadline_ns = deadline_ns;
	pthread_mutex_unlock(&room->lock);

	int64_t tp = mcu_now_ns();
	/* the jitter buffers are asked what is due at this frame's deadline,
	   not at the moment the tick runs (mcu_jbuf_get_audio) */
	struct pull_batch pb = {room, deadline_ns / 1000};
	size_t chunks = (room->n_parts + PULL_CHUNK - 1) / PULL_CHUNK;
	/* On the real-time audio worker the chunks run there, one after
	   the other: a helper on an ordinary media worker could be
	   preempted by video work while the tick waits for its chunk. */
	bool alone = room->env.audio_pool != NULL;
	mcu_workpool_for(chunks > 1 && !alone ? room->env.pool : NULL, chunks,
	                 pull_chunk, &pb);
	/* The content's sound: one more source, slot cap of the mixer,
	   always heard (taken from its worker's ring, never decoded here). */
	bool content = mcu_content_audio_pull(room->at_content, pcm);
	mcu_mixer_put(room->mixer, room->cap, content ? pcm : NULL);
	tm->pull_ns += mcu_now_ns() - tp;

	lock_timed(room, &tm->lock_ns);
	for (size_t i = 0; i < room->n_parts; i++)
		room->levels[i] = mcu_mixer_level(room->mixer, i);
	mcu_floor_update(room->floor, now_us / 1000, room->voice,
	                 room->levels, room->present, room->audible);
	room->audible[room->cap] = content;
	pthread_mutex_unlock(&room->lock);

	int64_t te = mcu_now_ns(), open0 = tm->open_ns;
	mcu_mixer_mix(room->mixer, room->audible);
	encoders = encode_outputs(
	    room, now_us, tone_block(room, tone_on, tone) ? tone : NULL, tm);
	int64_t tr = mcu_now_ns();
	tm->encode_ns += tr - te - (tm->open_ns - open0);
	mcu_room_rec_audio(room, mcu_mixer_common(room->mixer));
	tm->rec_ns += mcu_now_ns() - tr;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	observe_latency(room);
	align_clock(room);

	double mix_ms = (double)(t1.tv_sec - t0.tv_sec) * 1e3 +
	                (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
	if (room->env.probes) {
		mcu_metric_observe(room->env.probes->lateness_audio,
		                   (double)(now_ns - deadline_ns) / 1e9);
		mcu_metric_observe(room->env.probes->mix, mix_ms / 1e3);
	}
	lock_timed(room, &tm->lock_ns);
	room->stat_aencs = encoders;
	room->stat_adecoded = room->a_decoded;
	room->mix_ms = 0.9 * room->mix_ms + 0.1 * mix_ms;
	for (size_t i = 0; i < room->n_parts; i++)
		room->vt_audio[i] = NULL;
	room->at_content = NULL;
	room->arec = NULL;
	room->arunning = false;
	room->agen++;
	pthread_cond_broadcast(&room->tick_done);
	pthread_mutex_unlock(&room->lock);
}

/*
 * The ticker skips a deadline whose last run is still queued (a worker
 * pool busy with decodes). Sound cannot skip: each missed 20 ms is made
 * now, from the legs' jitter buffers, so that the RTP clock of every
 * output keeps pace with the wall clock (receivers' buffers would drift
 * and run dry) and the inputs do not pile up. A longer stall than
 * MCU_ROOM_AUDIO_CATCHUP frames is lost as such.
 */
#define MCU_ROOM_AUDIO_CATCHUP 5

/*
 * A late audio tick: the frame due after the last one sent went out more
 * than MCU_ROOM_AUDIO_LATE_NS after its deadline (every participant hears
 * a gap of about that much). Logged (rate-limited) with its wall-clock
 * time and where the time went, so that a soak can match the gap its
 * endpoints measured with a cause; the worst lateness of the process is
 * logged each time it grows (a few lines per run).
 */
#define MCU_ROOM_AUDIO_LATE_NS 40000000

static _Atomic int64_t worst_late_ns;

/* A job of the pool, named for the log: this meeting's ticks by name,
   anything else as symbol (or binary) + offset for addr2line. */
static void job_name(const struct mcu_room *room,
                     const struct mcu_workpool_job *j, char *buf, size_t size)
{
	Dl_info di;
	if (j->arg && j->arg == (void *)room->vtick) {
		snprintf(buf, size, "this meeting's video tick");
		return;
	}
	if (j->arg && j->arg == (void *)room->atick) {
		snprintf(buf, size, "this meeting's audio tick");
		return;
	}
	if (dladdr((void *)(uintptr_t)j->fn, &di) && di.dli_fname) {
		const char *base = strrchr(di.dli_fname, '/');
		if (di.dli_sname)
			snprintf(buf, size, "%s", di.dli_sname);
		else
			snprintf(buf, size, "%s+0x%" PRIxPTR,
			         base ? base + 1 : di.dli_fname,
			         (uintptr_t)j->fn - (uintptr_t)di.dli_fbase);
		return;
	}
	snprintf(buf, size, "job %p", (void *)(uintptr_t)j->fn);
}

static void report_late(struct mcu_room *room, int64_t due_ns,
                        int64_t deadline_ns, int64_t start_ns, int64_t end_ns,
                        int64_t frames, const struct audio_timing *tm)
{
	int64_t late = end_ns - due_ns;
	int64_t worst = atomic_load(&worst_late_ns);
	struct mcu_tick_stats st = {0};
	struct mcu_workpool_job jobs[4];
	char jl[320] = "", name[96];
	size_t n, off = 0;
	struct timespec rt;

	while (late > worst &&
	       !atomic_compare_exchange_weak(&worst_late_ns, &worst, late))
		;
	if (late <= worst && late <= MCU_ROOM_AUDIO_LATE_NS)
		return;
	clock_gettime(CLOCK_REALTIME, &rt); /* for the log only */
	if (late > worst)
		mcu_log_info("%s: worst audio tick lateness so far %.1f ms at "
		             "unix %lld.%03ld",
		             room->id, (double)late / 1e6, (long long)rt.tv_sec,
		             rt.tv_nsec / 1000000);
	if (late <= MCU_ROOM_AUDIO_LATE_NS)
		return;
	if (room->atick)
		mcu_tick_stats(room->env.ticker, room->atick, &st);
	n = mcu_workpool_long_jobs(room->env.audio_pool ? room->env.audio_pool
	                                                : room->env.pool,
	                           due_ns, jobs, 4);
	for (size_t i = 0; i < n && off < sizeof(jl); i++) {
		job_name(room, &jobs[i], name, sizeof(name));
		int w = snprintf(
		    jl + off, sizeof(jl) - off, "%s%s %.1f ms%s",
		    i ? ", " : "; long jobs on the pool: ", name,
		    (double)((jobs[i].end_ns ? jobs[i].end_ns : end_ns) -
		             jobs[i].start_ns) /
		        1e6,
		    jobs[i].end_ns ? "" : " (still running)");
		if (w < 0)
			break;
		off += (size_t)w;
	}
	mcu_log_ratelimited(
	    MCU_LOG_WARN, 1000,
	    "%s: audio tick late: frame sent %.1f ms after its deadline at "
	    "unix %lld.%03ld (%" PRId64 " frames caught up); the run started "
	    "%.1f ms after it (deadlines skipped while the last run was "
	    "queued or running %.1f ms, clock late %.1f ms, waiting for a "
	    "worker %.1f ms) and ran %.1f ms "
	    "(room lock %.1f, pull/decode %.1f, encoder open %.1f, "
	    "encode/send %.1f, recording %.1f ms)%s",
	    room->id, (double)late / 1e6, (long long)rt.tv_sec,
	    rt.tv_nsec / 1000000, frames, (double)(start_ns - due_ns) / 1e6,
	    (double)(deadline_ns - due_ns) / 1e6,
	    (double)st.last_submit_late_ns / 1e6,
	    (double)(start_ns - deadline_ns - st.last_submit_late_ns) / 1e6,
	    (double)(end_ns - start_ns) / 1e6, (double)tm->lock_ns / 1e6,
	    (double)tm->pull_ns / 1e6, (double)tm->open_ns / 1e6,
	    (double)tm->encode_ns / 1e6, (double)tm->rec_ns / 1e6, jl);
}

void mcu_room_audio_tick(int64_t deadline_ns, int64_t now_ns, void *arg)
{
	struct mcu_room *room = arg;
	const int64_t period = (int64_t)MCU_AUDIO_FRAME * 1000000000 /
	                       MCU_AUDIO_RATE;
	int64_t n = 1, due = 0;
	struct audio_timing tm = {0};

	if (room->alast_deadline_ns) {
		n = (deadline_ns - room->alast_deadline_ns + period / 2) / period;
		due = room->alast_deadline_ns + period;
	}
	n = n < 1 ? 1 : n > MCU_ROOM_AUDIO_CATCHUP ? MCU_ROOM_AUDIO_CATCHUP : n;
	room->alast_deadline_ns = deadline_ns;
	for (int64_t k = n - 1; k >= 0; k--)
		audio_frame(room, deadline_ns - k * period, now_ns, &tm);
	if (due) {
		int64_t end = mcu_now_ns();
		/* the start lateness measured from the frame due, not from
		   this run's deadline (skipped deadlines count) */
		report_late(room, due, deadline_ns, now_ns, end, n, &tm);
	}
}
