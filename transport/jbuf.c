/*
 * jbuf: adaptive jitter buffer (see jbuf.h for the contract).
 *
 * Why it works this way
 * ---------------------
 * Packets live in a ring of `capacity` slots indexed by the unwrapped
 * sequence number, so insertion, duplicate detection and loss detection
 * are O(1) and memory is fixed when the stream starts. Every slot between
 * `head` (the next sequence number to release) and `highest` (the highest
 * received) is either present or missing; a missing slot remembers when
 * the gap was seen and when it was last NACKed, so NACK pacing and the
 * give-up deadline need no other structure.
 *
 * Playout follows the sender's clock: a packet with timestamp T plays at
 *     T (in us) + base + target
 * where base is the smallest transit time (arrival - T) seen over the last
 * window (~2 s) and target the jitter allowance, clamped to [min_delay,
 * max_delay]. Tracking the windowed minimum keeps base honest when the
 * sender's clock drifts.
 *
 * Audio's allowance is a quantile: each packet's delay past base goes
 * into a histogram of 1 ms buckets that forgets with a time constant of
 * DELAY_FORGET packets (10 s at 50 a second), and the target is where
 * DELAY_QUANTILE of the mass lies below, so about 1 % of packets may come
 * too late to be heard. The delay is the cost every packet pays, so it is
 * sized by how late the late ones come, not by how much arrivals move on
 * average: "4x the smoothed jitter" (RFC 3550's estimate) put senders that
 * are on time but for a rare burst (a busy machine's pacer) 15-20 ms
 * behind for nothing, and one whose bursts are frequent but small short
 * of them. It rises within a few packets of a lasting change (1 % of the
 * mass) and falls over seconds, so playout does not oscillate. Video
 * keeps 4x the smoothed jitter: it has no playout delay, the figure is
 * only reported.
 *
 * Video releases whole frames only. The packet after a released (or
 * dropped) frame starts a new frame when the packet before it had the
 * marker bit or another timestamp; after a give-up the packet before is
 * unknown, so packets are discarded until a provable frame start. That
 * keeps partial frames from reaching the decoder; the key-frame flag asks
 * the sender to repair what the loss broke.
 */
#include "transport/jbuf.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define BASE_WINDOW_US 2000000
#define DELAY_BUCKETS  256   /* 1 ms each; the last: 255 ms and more */
#define DELAY_FORGET   500.0 /* packets: the histogram's time constant */
#define DELAY_QUANTILE 0.99
/* An audio consumer this far behind the playout plan while more is due
 * drops the oldest: after a stall (a skipped tick, a busy machine) the
 * sound catches up with its sender within a few frames instead of
 * running up to max_delay late for the rest of the call. */
#define AUDIO_BEHIND_US 60000
/* A standing backlog: the consumer takes one 20 ms frame a tick, so a
 * packet that came too late for its tick (or a tick that found nothing)
 * leaves the buffer one packet ahead of its consumer for good, every
 * packet then heard a frame later than planned (bench/latency: one heard
 * participant at 35 ms, the other at 15). When for STANDING_TAKES takes
 * in a row every packet was due a whole consumer frame before the step
 * that took it (mcu_jbuf_get_audio's time is the step's deadline, so a
 * tick a little late is no backlog), and the next is due too, the oldest is
 * dropped: 20 ms of sound once, instead of 20 ms more delay for the rest
 * of the call. */
#define AUDIO_FRAME_US 20000
#define STANDING_TAKES 3
/* Holding the playout phase. Once a stream plays, packet k+1 belongs to
 * the step after packet k's (the phase: step time - timestamp). The due
 * time (base + target) wanders by a few ms as the windowed base and the
 * delay quantile move; when a packet's due time crossed a step because of
 * it, the step found nothing (20 ms of silence) and the next packet then
 * sat a whole frame late until the backlog trim dropped one: two glitches
 * for a 2 ms wobble, and bench/latency saw 2-5 trims a run on the heard
 * legs. So a packet that is present at its step in the phase is taken up
 * to AUDIO_HOLD_US before its due time: the phase moves later only when a
 * packet is really not there in time (or the plan moved by more than
 * that), and earlier only by the trim. Likewise a step up to AUDIO_HOLD_US
 * before the phase's (the consumer's clock moved earlier: mcu_tick_shift
 * in the audio tick) takes a packet that is there. A later step that
 * finds nothing while the next packet belonged to it is a gap in the
 * sound (stats.gaps; a sender's pause, DTX or hold, counts once): that
 * step is concealed (ENODATA), and the packet it stood for, should it come
 * late, is dropped when the next one is there for the next step, so the
 * phase holds: one concealed frame for a late packet, instead of 20 ms of
 * silence, then a frame of backlog until the trim dropped a packet. */
#define AUDIO_HOLD_US 8000
#define MAX_PACKET_US 120000 /* longest audio packet (Opus: 120 ms) */

struct slot {
	struct mcu_pkt *pkt; /* NULL: missing (when inside head..highest) */
	int64_t ext;         /* sequence number this slot holds */
	int64_t ext_ts;      /* unwrapped timestamp (present slots) */
	uint32_t off;
	uint32_t len;
	bool marker;
	int64_t arrival_us;
	int64_t miss_us; /* missing: when the gap was seen */
	int64_t nack_us; /* missing: last NACK, 0 = never */
};

struct mcu_jbuf {
	struct mcu_jbuf_conf conf;
	struct slot *slots;
	unsigned mask;
	struct mcu_rtp_unwrap seq_uw;
	struct mcu_rtp_unwrap ts_uw;
	bool started;
	int64_t head;    /* next ext seq to release */
	int64_t highest; /* highest ext seq received */
	/* what came just before head (frame boundary detection) */
	bool released_any;
	bool last_known;
	bool last_marker;
	int64_t last_ts;
	/* the last present packet released (audio gap interpolation) */
	bool ref_valid;
	int64_t ref_ext;
	int64_t ref_ts;
	bool after_loss;
	bool kf_needed;
	/* timing, microseconds */
	bool have_timing;
	int64_t base_us;
	int64_t win_min_us;
	int64_t win_start_us;
	int64_t prev_transit_us;
	int64_t jitter_us; /* smoothed |transit delta| */
	int64_t target_us;
	double *delay_hist; /* audio: forgetting histogram of transit - base */
	double delay_mass;
	int64_t behind_min_us; /* audio: least (step - due) of this run ... */
	unsigned behind_n;     /* ... of takes */
	bool play_valid;       /* audio: the phase held (AUDIO_HOLD_US): */
	int64_t play_step_us;  /* the step that played the last packet, */
	int64_t play_off_us;   /* that step - its timestamp (us), */
	int64_t play_dur_us;   /* and how much sound it held (estimated) */
	int64_t play_ext;      /* its sequence number */
	bool gap_open;         /* a step concealed a gap (ENODATA) ... */
	int64_t gap_step_us;   /* ... this one, since the last take */
	struct mcu_jbuf_stats st;
};

static bool is_pow2(unsigned v)
{
	return v && !(v & (v - 1));
}

static void set_defaults(struct mcu_jbuf_conf *c)
{
	bool video = c->kind == MCU_JBUF_VIDEO;

	if (!c->clock_rate)
		c->clock_rate = video ? 90000 : 48000;
	if (!c->capacity)
		c->capacity = video ? 1024 : 64;
	if (!c->min_delay_ms && !video)
		c->min_delay_ms = 20;
	if (!c->max_delay_ms)
		c->max_delay_ms = 500;
	if (!c->nack_delay_ms)
		c->nack_delay_ms = 5;
	if (!c->nack_interval_ms)
		c->nack_interval_ms = 50;
	if (!c->loss_wait_ms)
		c->loss_wait_ms = video ? 300 : 100;
}

int mcu_jbuf_alloc(struct mcu_jbuf **jbp, const struct mcu_jbuf_conf *conf)
{
	struct mcu_jbuf *jb = NULL;
	int err = EINVAL;

	if (!jbp || !conf)
		return EINVAL;
	jb = calloc(1, sizeof(*jb));
	if (!jb)
		return ENOMEM;
	jb->conf = *conf;
	set_defaults(&jb->conf);
	if (jb->conf.kind != MCU_JBUF_VIDEO && jb->conf.kind != MCU_JBUF_AUDIO)
		goto out;
	if (!is_pow2(jb->conf.capacity) || jb->conf.capacity < 16 ||
	    jb->conf.capacity > 4096 ||
	    jb->conf.min_delay_ms > jb->conf.max_delay_ms ||
	    jb->conf.max_delay_ms > 10000)
		goto out;
	jb->slots = calloc(jb->conf.capacity, sizeof(*jb->slots));
	if (!jb->slots) {
		err = ENOMEM;
		goto out;
	}
	jb->mask = jb->conf.capacity - 1;
	jb->target_us = (int64_t)jb->conf.min_delay_ms * 1000;
	if (jb->conf.kind == MCU_JBUF_AUDIO) {
		jb->delay_hist = calloc(DELAY_BUCKETS, sizeof(double));
		if (!jb->delay_hist) {
			err = ENOMEM;
			goto out;
		}
	}
	*jbp = jb;
	jb = NULL;
	err = 0;
out:
	if (jb) {
		free(jb->delay_hist);
		free(jb->slots);
		free(jb);
	}
	return err;
}

static struct slot *slot_of(const struct mcu_jbuf *jb, int64_t ext)
{
	return &jb->slots[(uint64_t)ext & jb->mask];
}

static bool present(const struct mcu_jbuf *jb, int64_t ext)
{
	struct slot *s = slot_of(jb, ext);
	return s->pkt && s->ext == ext;
}

static void clear_slot(struct slot *s)
{
	s->pkt = mcu_pkt_put(s->pkt);
}

void mcu_jbuf_flush(struct mcu_jbuf *jb)
{
	if (!jb)
		return;
	for (unsigned i = 0; i < jb->conf.capacity; i++)
		clear_slot(&jb->slots[i]);
	jb->started = false;
	jb->released_any = false;
	jb->ref_valid = false;
	jb->last_known = false;
	jb->seq_uw.init = false;
	jb->ts_uw.init = false;
	jb->have_timing = false;
	jb->target_us = (int64_t)jb->conf.min_delay_ms * 1000;
	jb->jitter_us = 0;
	if (jb->delay_hist)
		memset(jb->delay_hist, 0, DELAY_BUCKETS * sizeof(double));
	jb->delay_mass = 0;
	jb->behind_n = 0;
	jb->play_valid = false;
}

struct mcu_jbuf *mcu_jbuf_free(struct mcu_jbuf *jb)
{
	if (!jb)
		return NULL;
	mcu_jbuf_flush(jb);
	free(jb->delay_hist);
	free(jb->slots);
	free(jb);
	return NULL;
}

static void want_keyframe(struct mcu_jbuf *jb)
{
	jb->after_loss = true;
	if (jb->conf.kind == MCU_JBUF_VIDEO && !jb->kf_needed) {
		jb->kf_needed = true;
		jb->st.keyframe_requests++;
	}
}

bool mcu_jbuf_keyframe_needed(struct mcu_jbuf *jb)
{
	bool kf = jb->kf_needed;
	jb->kf_needed = false;
	return kf;
}

/* Release slot `head` without delivering it; advance head. */
static void discard_head(struct mcu_jbuf *jb, bool count_drop)
{
	struct slot *s = slot_of(jb, jb->head);

	if (s->pkt && s->ext == jb->head) {
		jb->last_known = true;
		jb->last_marker = s->marker;
		jb->last_ts = s->ext_ts;
		jb->ref_valid = true;
		jb->ref_ext = s->ext;
		jb->ref_ts = s->ext_ts;
		if (count_drop)
			jb->st.dropped++;
		clear_slot(s);
	} else {
		jb->last_known = false;
		jb->st.lost++;
	}
	jb->released_any = true;
	jb->head++;
}

static void mark_missing(struct mcu_jbuf *jb, int64_t from, int64_t to,
                         int64_t now_us)
{
	for (int64_t e = from; e <= to; e++) {
		struct slot *s = slot_of(jb, e);
		clear_slot(s);
		s->ext = e;
		s->miss_us = now_us;
		s->nack_us = 0;
	}
}

/* Make room so that `ext` fits in the ring; returns false on a jump so
 * large that the stream is restarted at ext instead. */
static bool make_room(struct mcu_jbuf *jb, int64_t ext)
{
	if (ext - jb->head < (int64_t)jb->conf.capacity)
		return true;
	want_keyframe(jb);
	if (ext - jb->highest >= (int64_t)jb->conf.capacity) {
		while (jb->head <= jb->highest)
			discard_head(jb, true);
		jb->head = ext;
		jb->highest = ext - 1;
		jb->released_any = false; /* a new stream: its first packet */
		jb->last_known = false;   /* starts a frame */
		jb->ref_valid = false;
		jb->play_valid = false;
		return false;
	}
	while (ext - jb->head >= (int64_t)jb->conf.capacity)
		discard_head(jb, true);
	return true;
}

/* A packet older than head: before anything was released it may still
 * extend the buffer backwards (startup reordering). */
static int put_old(struct mcu_jbuf *jb, int64_t ext, int64_t now_us)
{
	if (jb->released_any ||
	    jb->highest - ext >= (int64_t)jb->conf.capacity) {
		jb->st.late++;
		return ESTALE;
	}
	mark_missing(jb, ext, jb->head - 1, now_us);
	jb->head = ext;
	return 0;
}

/* Audio: this packet's delay past base into the histogram; returns the
 * delay DELAY_QUANTILE of the mass is under (us, the bucket's top). */
static int64_t delay_quantile(struct mcu_jbuf *jb, int64_t late_us)
{
	const double keep = 1.0 - 1.0 / DELAY_FORGET;
	int64_t b = late_us / 1000;
	double need, sum = 0;
	int i;

	if (b < 0) /* base is the least transit seen: not expected */
		b = 0;
	if (b >= DELAY_BUCKETS)
		b = DELAY_BUCKETS - 1;
	for (i = 0; i < DELAY_BUCKETS; i++)
		jb->delay_hist[i] *= keep;
	jb->delay_hist[b] += 1.0;
	jb->delay_mass = jb->delay_mass * keep + 1.0;
	need = DELAY_QUANTILE * jb->delay_mass;
	for (i = 0; i < DELAY_BUCKETS - 1; i++) {
		sum += jb->delay_hist[i];
		if (sum >= need)
			break;
	}
	return i == DELAY_BUCKETS - 1 ? INT64_MAX : (int64_t)(i + 1) * 1000;
}

static void update_timing(struct mcu_jbuf *jb, int64_t ext_ts, int64_t now_us)
{
	int64_t transit =
	    now_us - mcu_rtp_ts_to_us(ext_ts, jb->conf.clock_rate);
	int64_t lo = (int64_t)jb->conf.min_delay_ms * 1000;
	int64_t hi = (int64_t)jb->conf.max_delay_ms * 1000;

	if (!jb->have_timing) {
		jb->have_timing = true;
		jb->base_us = jb->win_min_us = transit;
		jb->win_start_us = now_us;
		jb->prev_transit_us = transit;
		return;
	}
	int64_t d = transit - jb->prev_transit_us;
	jb->prev_transit_us = transit;
	if (d < 0)
		d = -d;
	if (d > hi * 4)
		d = hi * 4; /* one wild packet must not saturate the estimate */
	jb->jitter_us += (d - jb->jitter_us) / 16;
	if (transit < jb->base_us)
		jb->base_us = transit;
	if (transit < jb->win_min_us)
		jb->win_min_us = transit;
	if (now_us - jb->win_start_us >= BASE_WINDOW_US) {
		jb->base_us = jb->win_min_us;
		jb->win_min_us = transit;
		jb->win_start_us = now_us;
	}
	if (jb->delay_hist) {
		int64_t want = delay_quantile(jb, transit - jb->base_us);
		jb->target_us = want < lo ? lo : want > hi ? hi : want;
		return;
	}
	int64_t want = 4 * jb->jitter_us;
	want = want < lo ? lo : want > hi ? hi : want;
	if (want > jb->target_us)
		jb->target_us = want;
	else
		jb->target_us -= (jb->target_us - want) / 32;
}

static int store(struct mcu_jbuf *jb, struct mcu_pkt *pkt,
                 const struct mcu_rtp_hdr *h, int64_t ext, int64_t now_us,
                 bool in_order)
{
	struct slot *s = slot_of(jb, ext);
	bool was_nacked = !s->pkt && s->ext == ext && s->nack_us;

	if (s->pkt && s->ext == ext) {
		jb->st.duplicates++;
		return EALREADY;
	}
	clear_slot(s);
	s->pkt = mcu_pkt_ref(pkt);
	s->ext = ext;
	s->ext_ts = mcu_rtp_ts_unwrap(&jb->ts_uw, h->ts);
	s->off = (uint32_t)h->hdr_len;
	s->len = (uint32_t)h->payload_len;
	s->marker = h->marker;
	s->arrival_us = now_us;
	jb->st.packets++;
	if (was_nacked)
		jb->st.recovered++;
	if (in_order)
		update_timing(jb, s->ext_ts, now_us);
	return 0;
}

int mcu_jbuf_put(struct mcu_jbuf *jb, struct mcu_pkt *pkt,
                 const struct mcu_rtp_hdr *h, int64_t now_us)
{
	if (!jb || !pkt || !h || h->hdr_len > pkt->len ||
	    h->payload_len > pkt->len - h->hdr_len)
		return EINVAL;
	int64_t ext = mcu_rtp_seq_unwrap(&jb->seq_uw, h->seq);
	if (!jb->started) {
		jb->started = true;
		jb->head = ext;
		jb->highest = ext - 1;
	}
	if (ext < jb->head) {
		int err = put_old(jb, ext, now_us);
		if (err)
			return err;
	}
	bool in_order = ext > jb->highest;
	if (in_order) {
		if (make_room(jb, ext))
			mark_missing(jb, jb->highest + 1, ext - 1, now_us);
		jb->highest = ext;
	}
	return store(jb, pkt, h, ext, now_us, in_order);
}

unsigned mcu_jbuf_nacks(struct mcu_jbuf *jb, int64_t now_us, uint16_t *seqs,
                        unsigned max)
{
	unsigned n = 0;
	int64_t first = (int64_t)jb->conf.nack_delay_ms * 1000;
	int64_t again = (int64_t)jb->conf.nack_interval_ms * 1000;
	int64_t wait = (int64_t)jb->conf.loss_wait_ms * 1000;

	if (!jb->started)
		return 0;
	for (int64_t e = jb->head; e <= jb->highest && n < max; e++) {
		struct slot *s = slot_of(jb, e);
		if (s->pkt || s->ext != e || now_us - s->miss_us >= wait)
			continue;
		if (s->nack_us ? now_us - s->nack_us < again
		               : now_us - s->miss_us < first)
			continue;
		s->nack_us = now_us;
		seqs[n++] = (uint16_t)e;
		jb->st.nacks++;
	}
	return n;
}

static int64_t due_us(const struct mcu_jbuf *jb, const struct slot *s)
{
	return mcu_rtp_ts_to_us(s->ext_ts, jb->conf.clock_rate) + jb->base_us +
	       jb->target_us;
}

static bool expired(const struct mcu_jbuf *jb, const struct slot *s,
                    int64_t now_us)
{
	return now_us - s->miss_us >= (int64_t)jb->conf.loss_wait_ms * 1000;
}

static bool frame_start(const struct mcu_jbuf *jb, const struct slot *s)
{
	if (!jb->released_any)
		return true;
	return jb->last_known && (jb->last_marker || jb->last_ts != s->ext_ts);
}

enum walk { WALK_DONE, WALK_WAIT, WALK_BROKEN };

/* Find the last packet of the frame starting at head. */
static enum walk frame_end(struct mcu_jbuf *jb, int64_t now_us, int64_t *end)
{
	int64_t ts = slot_of(jb, jb->head)->ext_ts;

	for (int64_t e = jb->head; e <= jb->highest; e++) {
		struct slot *s = slot_of(jb, e);
		if (!present(jb, e))
			return expired(jb, s, now_us) ? WALK_BROKEN : WALK_WAIT;
		if (s->ext_ts != ts) {
			*end = e - 1;
			return WALK_DONE;
		}
		if (s->marker) {
			*end = e;
			return WALK_DONE;
		}
	}
	return WALK_WAIT;
}

static void take(struct mcu_jbuf *jb, struct mcu_jbuf_pkt *out)
{
	struct slot *s = slot_of(jb, jb->head);

	out->pkt = s->pkt;
	out->off = s->off;
	out->len = s->len;
	out->seq = (uint16_t)s->ext;
	out->ext_seq = s->ext;
	out->ts = (uint32_t)s->ext_ts;
	out->marker = s->marker;
	out->arrival_us = s->arrival_us;
	out->due_us = 0;
	s->pkt = NULL;
	jb->released_any = true;
	jb->last_known = true;
	jb->last_marker = s->marker;
	jb->last_ts = s->ext_ts;
	jb->ref_valid = true;
	jb->ref_ext = s->ext;
	jb->ref_ts = s->ext_ts;
	jb->head++;
}

static void drop_frame(struct mcu_jbuf *jb, int64_t end)
{
	while (jb->head <= end)
		discard_head(jb, true);
	want_keyframe(jb);
}

void mcu_jbuf_frame_clear(struct mcu_jbuf_frame *f)
{
	for (unsigned i = 0; i < f->n; i++)
		f->pkts[i].pkt = mcu_pkt_put(f->pkts[i].pkt);
	f->n = 0;
}

/* One step of the video release loop: 0 frame, EAGAIN wait, EINPROGRESS
 * something was discarded (loop again). */
static int video_step(struct mcu_jbuf *jb, int64_t now_us,
                      struct mcu_jbuf_frame *f)
{
	struct slot *s = slot_of(jb, jb->head);
	int64_t end = 0;

	if (!present(jb, jb->head)) {
		if (!expired(jb, s, now_us))
			return EAGAIN;
		discard_head(jb, false);
		want_keyframe(jb);
		return EINPROGRESS;
	}
	if (!frame_start(jb, s)) {
		discard_head(jb, true);
		jb->after_loss = true;
		return EINPROGRESS;
	}
	switch (frame_end(jb, now_us, &end)) {
	case WALK_WAIT:
		return EAGAIN;
	case WALK_BROKEN:
		while (present(jb, jb->head) ||
		       !expired(jb, slot_of(jb, jb->head), now_us))
			discard_head(jb, true);
		discard_head(jb, false); /* the expired gap itself */
		want_keyframe(jb);
		return EINPROGRESS;
	case WALK_DONE:
		break;
	}
	if (end - jb->head + 1 > MCU_JBUF_FRAME_MAX) {
		drop_frame(jb, end);
		return EINPROGRESS;
	}
	/* A complete frame goes out at once: no playout delay for video.
	 * The consumer (an MCU's tick) shows the newest decoded picture when
	 * its own clock says so; holding the frame for the jitter allowance
	 * would only add latency, and since nothing wakes the buffer at the
	 * due time the frame would wait for the next packet or poll too
	 * (a frame interval or a tick more). */
	f->ts = (uint32_t)s->ext_ts;
	f->after_loss = jb->after_loss;
	jb->after_loss = false;
	while (jb->head <= end)
		take(jb, &f->pkts[f->n++]);
	jb->st.frames++;
	return 0;
}

int mcu_jbuf_get_frame(struct mcu_jbuf *jb, int64_t now_us,
                       struct mcu_jbuf_frame *f)
{
	if (!jb || !f || jb->conf.kind != MCU_JBUF_VIDEO)
		return EINVAL;
	f->n = 0;
	while (jb->started && jb->head <= jb->highest) {
		int r = video_step(jb, now_us, f);
		if (r != EINPROGRESS)
			return r;
	}
	return EAGAIN;
}

/*
 * Timestamp (us) of the missing packet at head: interpolated between the
 * last packet released and the next one present (packet durations are
 * assumed equal across the gap); the next packet's when there is no
 * earlier reference.
 */
static int64_t missing_ts_us(const struct mcu_jbuf *jb, const struct slot *nx)
{
	if (!jb->ref_valid || jb->ref_ext >= jb->head || nx->ext <= jb->ref_ext)
		return mcu_rtp_ts_to_us(nx->ext_ts, jb->conf.clock_rate);
	int64_t span = nx->ext - jb->ref_ext;
	int64_t est = jb->ref_ts + (nx->ext_ts - jb->ref_ts) / span *
	                               (jb->head - jb->ref_ext);
	return mcu_rtp_ts_to_us(est, jb->conf.clock_rate);
}

/* The phase after playing (or concealing) packet ext, of timestamp ts_us,
 * at step now_us. */
static void play_at(struct mcu_jbuf *jb, int64_t ext, int64_t ts_us,
                    int64_t now_us)
{
	int64_t d = ts_us - (jb->play_step_us - jb->play_off_us);
	if (jb->play_valid && ext > jb->play_ext) /* a packet's share */
		d /= ext - jb->play_ext;
	if (!jb->play_valid || d <= 0 || d > MAX_PACKET_US)
		d = AUDIO_FRAME_US;
	jb->play_ext = ext;
	jb->play_dur_us = d;
	jb->play_valid = true;
	jb->play_step_us = now_us;
	jb->play_off_us = now_us - ts_us;
	jb->gap_open = false;
}

/* Nothing for the step now_us: a gap (ENODATA, conceal) when a later
 * step than the last played found nothing that its sound should have
 * continued with; once per gap. */
static int nothing_due(struct mcu_jbuf *jb, int64_t now_us)
{
	if (jb->play_valid && !jb->gap_open && now_us > jb->play_step_us &&
	    now_us - jb->play_step_us > jb->play_dur_us - AUDIO_FRAME_US) {
		jb->st.gaps++;
		jb->gap_open = true;
		jb->gap_step_us = now_us;
		return ENODATA;
	}
	return EAGAIN;
}

/* The packet of timestamp ts_us is the one a concealed gap stood for. */
static bool gap_covers(const struct mcu_jbuf *jb, int64_t ts_us)
{
	int64_t d = ts_us + jb->play_off_us - jb->gap_step_us;
	return jb->play_valid && jb->gap_open && d > -AUDIO_FRAME_US / 2 &&
	       d < AUDIO_FRAME_US / 2;
}

/* A present packet not yet due that the held phase plays now. */
static bool in_phase(const struct mcu_jbuf *jb, int64_t ts_us, int64_t due,
                     int64_t now_us)
{
	return jb->play_valid &&
	       ts_us + jb->play_off_us <= now_us + AUDIO_HOLD_US &&
	       due - now_us <= AUDIO_HOLD_US;
}

/* The next packet is there for this step (due, or in the phase). */
static bool ready_now(const struct mcu_jbuf *jb, const struct slot *s,
                      int64_t now_us)
{
	int64_t due = due_us(jb, s);
	return due <= now_us ||
	       in_phase(jb, mcu_rtp_ts_to_us(s->ext_ts, jb->conf.clock_rate),
	                due, now_us);
}

/* First present packet after head, or NULL. */
static struct slot *next_present(struct mcu_jbuf *jb)
{
	for (int64_t e = jb->head + 1; e <= jb->highest; e++)
		if (present(jb, e))
			return slot_of(jb, e);
	return NULL;
}

int mcu_jbuf_get_audio(struct mcu_jbuf *jb, int64_t now_us,
                       struct mcu_jbuf_pkt *out)
{
	int64_t late;

	if (!jb || !out || jb->conf.kind != MCU_JBUF_AUDIO)
		return EINVAL;
	late = (int64_t)jb->conf.max_delay_ms * 1000;
	if (late > AUDIO_BEHIND_US)
		late = AUDIO_BEHIND_US;
	while (jb->started && jb->head <= jb->highest) {
		struct slot *s = slot_of(jb, jb->head);
		struct slot *nx = next_present(jb);
		if (!present(jb, jb->head)) {
			int64_t ts_us = nx ? missing_ts_us(jb, nx) : 0;
			if (nx && gap_covers(jb, ts_us)) {
				discard_head(jb, false); /* concealed already */
				continue;
			}
			if (!nx || ts_us + jb->base_us + jb->target_us > now_us)
				return nothing_due(jb, now_us);
			out->seq = (uint16_t)jb->head;
			out->ext_seq = jb->head;
			out->pkt = NULL;
			discard_head(jb, false);
			jb->st.concealed++;
			play_at(jb, out->ext_seq, ts_us, now_us);
			return ENOENT;
		}
		int64_t due = due_us(jb, s);
		int64_t ts_us = mcu_rtp_ts_to_us(s->ext_ts, jb->conf.clock_rate);
		/* came after its step was concealed: the next one plays */
		if (gap_covers(jb, ts_us) && nx && ready_now(jb, nx, now_us)) {
			discard_head(jb, false);
			jb->st.late++;
			continue;
		}
		if (due > now_us && !in_phase(jb, ts_us, due, now_us))
			return nothing_due(jb, now_us);
		/* consumer far behind and more is due: catch up by dropping */
		if (now_us - due > late && nx && due_us(jb, nx) <= now_us) {
			discard_head(jb, true);
			continue;
		}
		if (!jb->behind_n || now_us - due < jb->behind_min_us)
			jb->behind_min_us = now_us - due;
		if (++jb->behind_n >= STANDING_TAKES) {
			bool standing = jb->behind_min_us >= AUDIO_FRAME_US;
			jb->behind_n = 0;
			if (standing && nx && due_us(jb, nx) <= now_us) {
				discard_head(jb, false);
				jb->st.trimmed++;
				continue;
			}
		}
		take(jb, out);
		out->due_us = due;
		jb->st.frames++;
		play_at(jb, out->ext_seq, ts_us, now_us);
		return 0;
	}
	return nothing_due(jb, now_us);
}

void mcu_jbuf_stats(const struct mcu_jbuf *jb, struct mcu_jbuf_stats *st)
{
	*st = jb->st;
	st->depth = 0;
	if (jb->started)
		for (int64_t e = jb->head; e <= jb->highest; e++)
			st->depth += present(jb, e);
	st->jitter_ms = (double)jb->jitter_us / 1000.0;
	st->target_ms = (double)jb->target_us / 1000.0;
}
