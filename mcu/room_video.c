/*
 * The video tick (design.md "What keeps it fast" 1-3, 5). Once per frame
 * interval:
 *
 *  1. Every connected viewer's picture is worked out (layout/view). Its
 *     view key, output size, codec, bitrate and packetization mode name
 *     its encoder group; viewers with the same key share one group. A
 *     branch never sees itself, so the floor holder is in a group of its
 *     own; the other 90 branches share one.
 *  2. The union of what the groups show (plus the next tour page shortly
 *     before it turns) is the set of visible sources; only those are
 *     decoded. A source becoming visible asks its sender for a key frame.
 *  3. Each distinct picture is composed once (groups with the same view
 *     and size share the canvas; the compositor scales each source once
 *     per tile size per tick).
 *  4. Each group encodes once; its packets are made once and every member
 *     leg sends them with its own header.
 *
 * Key frames: receivers' PLI/FIR and members joining a group are
 * coalesced per group (transport/kfreq) so one IDR serves them all.
 * A group nobody has used for a minute is freed.
 *
 * Key frames are the tick's own decision, not the encoder's GOP: every
 * keyframe interval, on a member's PLI/FIR, for a new member; and at most
 * one 720p picture's worth of them per tick (spread_keys): several on one
 * tick made it overrun its frame interval.
 *
 * Still pictures: a group whose picture shows no live source (only cards:
 * "no video", "video off", "connecting", empty tiles) would encode the
 * same picture 30 times a second. Such a group is composed and encoded
 * only when its inputs change (a card's state, a name, a highlight: a
 * signature of the tile inputs), when a key frame is due (a member's
 * PLI/FIR or a new member, answered on the next tick as before), once per
 * keyframe interval as a key frame (as a live picture) and otherwise once
 * per STILL_REFRESH_US. Receivers see a low-rate stream of an unchanged
 * picture; the RTP timestamps keep real time. In the usual meeting this
 * is every branch while the host shows no picture, i.e. the one extra
 * encoder besides the host's.
 *
 * Small tiles: a source that every view shows at half its size or less
 * (a 640x360 camera in a 4x4 grid) is decoded without the loop filter on
 * non-key pictures (codec/vdec.h mcu_vdec_set_skip_loop_filter): the
 * downscale hides what deblocking smooths, and it is about a quarter of the
 * decode.
 */
#define MCU_LOG_MODULE "video"
#include "mcu/room_internal.h"
#include "mcu/cascade.h"
#include "mcu/limits.h"
#include "conf/log.h"
#include "transport/h264.h"
#include "transport/vp8.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_PAYLOADS    1024
#define MTU_PAYLOAD     1200
/* An encoder group nobody uses is kept this long for the next viewer of
 * its size (find_group): opening a 720p encoder stalls the tick 25-80 ms,
 * and a chaired floor moves its holder between size tiers at every grant
 * (bench/capacity at N=120: one open per grant with 5 s, each a dropped
 * picture). An idle encoder costs memory only. */
#define GROUP_IDLE_S    60
#define PREFETCH_US     1500000 /* decode the next tour page this early */
#define REPORT_US       10000000
#define STILL_REFRESH_US 1000000 /* a still picture is re-sent this often */
#define LONG_LOG_US     1000000 /* at most one "video tick long" a second */

static double ms_since(const struct timespec *t0)
{
	struct timespec t1;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (double)(t1.tv_sec - t0->tv_sec) * 1e3 +
	       (double)(t1.tv_nsec - t0->tv_nsec) / 1e6;
}

static bool same_encoder(const struct vgroup *g,
                         const struct mcu_leg_params *lp)
{
	return g->width == lp->out_width && g->height == lp->out_height &&
	       g->bitrate == lp->out_bitrate && g->codec == lp->vcodec &&
	       (g->codec != MCU_VCODEC_H264 || g->h264_mode == lp->h264_mode);
}

/*
 * The group of a view key and encoder, made if needed. A new key takes
 * over the encoder of a group with the same encoder settings that nobody
 * has joined this tick (the most recently used one) instead of opening a
 * new encoder: a floor grant changes the view key of every branch and of
 * the old and new holders, and opening two or more x264 encoders inside
 * the tick took a worker for 2-50 ms each (265 ms cold) on a busy machine
 * (docs/reliability.md, soak). The branches that move together keep their
 * stream without a key frame; a leg that comes from another group gets
 * one (assign_groups). If a group taken over is still wanted under its
 * old key later in the tick, that viewer gets a new group, as it would
 * have without the reuse.
 */
static struct vgroup *find_group(struct mcu_room *room, uint64_t key,
                                 const struct mcu_leg_params *lp)
{
	struct vgroup *g, *spare = NULL;
	for (g = room->groups; g; g = g->next) {
		if (!same_encoder(g, lp))
			continue;
		if (g->view_key == key)
			return g;
		if (!g->used && (!spare || g->idle_ticks < spare->idle_ticks))
			spare = g;
	}
	if (spare) {
		mcu_log_debug("%s: encoder group %dx%d takes a new view",
		              room->id, spare->width, spare->height);
		spare->view_key = key;
		spare->still = false;
		return spare;
	}
	g = calloc(1, sizeof(*g));
	if (!g)
		return NULL;
	struct mcu_venc_config cfg = {
		.codec = lp->vcodec,
		.width = lp->out_width,
		.height = lp->out_height,
		.fps = room->fps,
		.bitrate = lp->out_bitrate,
		/* a backstop: the tick asks for the periodic key frame itself
		 * (hold_still), which restarts the encoder's count */
		.keyint = 2 * room->keyint,
		.preset = room->preset,
		.threads = lp->out_height >= 540 ? 2 : 1,
	};
	if (mcu_venc_alloc(&g->enc, &cfg) || mcu_kfreq_alloc(&g->kf, 0)) {
		mcu_venc_free(g->enc);
		free(g);
		mcu_log_ratelimited(MCU_LOG_ERROR, 5000,
		                    "%s: cannot start a %dx%d encoder", room->id,
		                    lp->out_width, lp->out_height);
		return NULL;
	}
	g->view_key = key;
	g->width = lp->out_width;
	g->height = lp->out_height;
	g->bitrate = lp->out_bitrate;
	g->codec = lp->vcodec;
	g->h264_mode = lp->h264_mode;
	g->next = room->groups;
	room->groups = g;
	pthread_mutex_lock(&room->lock);
	room->stat_encoders_opened++;
	pthread_mutex_unlock(&room->lock);
	mcu_log_debug("%s: new encoder group %dx%d %s %d kbit/s", room->id,
	              g->width, g->height, mcu_vcodec_name(g->codec),
	              g->bitrate / 1000);
	return g;
}

struct vgroup *mcu_room_find_group(struct mcu_room *room, uint64_t key,
                                   const struct mcu_leg_params *lp)
{
	return find_group(room, key, lp);
}

static struct vgroup *group_free(struct vgroup *g)
{
	struct vgroup *next = g->next;
	mcu_venc_free(g->enc);
	mcu_kfreq_free(g->kf);
	av_frame_free(&g->canvas);
	free(g);
	return next;
}

void mcu_room_video_free(struct mcu_room *room)
{
	struct vgroup *g = room->groups;
	while (g)
		g = group_free(g);
	room->groups = NULL;
	mcu_room_view_free(room);
	av_frame_free(&room->content_frame);
	if (room->vt) {
		for (size_t i = 0; i < room->n_parts; i++)
			av_frame_free(&room->vt[i].frame);
	}
	mcu_limits_decoders_take(0, &room->dec_held, 0); /* give back */
	free(room->vt);
	free(room->ids);
	room->vt = NULL;
	room->ids = NULL;
}

/* The sources views choose from: every slot not removed (lock held or
   no reload running). */
void mcu_room_rebuild_ids(struct mcu_room *room)
{
	size_t n = 0;
	if (!room->ids)
		return;
	for (size_t i = 0; i < room->n_parts; i++)
		if (!room->parts[i].removed)
			room->ids[n++] = room->parts[i].id;
	room->n_ids = n;
	room->ids_dirty = false;
}

static int ensure_arrays(struct mcu_room *room)
{
	if (room->vt)
		return 0;
	/* Room for the slots a reload may add: never reallocated. */
	room->vt = calloc(room->cap, sizeof(*room->vt));
	room->ids = calloc(room->cap, sizeof(*room->ids));
	if (!room->vt || !room->ids)
		return ENOMEM;
	pthread_mutex_lock(&room->lock);
	mcu_room_rebuild_ids(room);
	pthread_mutex_unlock(&room->lock);
	return 0;
}

struct tick_in {
	struct mcu_layout host_layout, branch_layout;
	uint32_t floor, speaker;
	uint32_t content; /* MCU_CONTENT_ID while a file plays, else 0 */
	bool prefetch;
	unsigned max_decoders; /* mcu.limits.decoders (0: no cap) */
	struct mcu_view_pin pins[2][MCU_LAYOUT_MAX_TILES]; /* [0] host */
	size_t n_pins[2];
};

/* Step 1: each viewer's view and group. */
static void assign_groups(struct mcu_room *room, const struct tick_in *in)
{
	for (struct vgroup *g = room->groups; g; g = g->next)
		g->used = false;
	for (size_t i = 0; i < room->n_parts; i++) {
		struct part *p = &room->parts[i];
		struct vt_part *vp = &room->vt[i];
		struct mcu_view_input vi = {
			.layout = p->host ? in->host_layout : in->branch_layout,
			.sources = room->ids,
			.nsources = room->n_ids,
			.viewer = p->id,
			.host = room->parts[room->host_slot].id,
			.floor = in->floor,
			.speaker = in->speaker,
			.content = in->content,
			/* a cascade link never gets its own tile back */
			.self_view = room->self_view &&
			             !mcu_cascade_is_link(room->conf, p->endpoint),
			.pins = in->pins[p->host ? 0 : 1],
			.npins = in->n_pins[p->host ? 0 : 1],
			.tour_page = room->tour.page,
		};
		struct mcu_view view;
		const struct mcu_leg_params *lp;
		struct vgroup *g;

		if (!vp->leg || !mcu_leg_params(vp->leg)->has_video) {
			p->group = NULL;
			continue;
		}
		lp = mcu_leg_params(vp->leg);
		/* No view or no group this tick: no group either, so that
		   nothing keeps a pointer to a group that may be dropped. */
		g = mcu_view_compute(&vi, &view)
		            ? NULL
		            : find_group(room, mcu_view_key(&view), lp);
		if (!g) {
			p->group = NULL;
			continue;
		}
		if (p->group != g)
			/* A new stream for this leg: it needs an IDR. */
			mcu_kfreq_request(g->kf, p->id, 0);
		p->group = g;
		if (!g->used) {
			g->used = true;
			g->view = view;
		}
	}
	if (room->vrec) { /* the recording sees what branches see */
		struct mcu_view_input vi = {
			.layout = in->branch_layout,
			.sources = room->ids,
			.nsources = room->n_ids,
			.host = room->parts[room->host_slot].id,
			.floor = in->floor,
			.speaker = in->speaker,
			.content = in->content,
			.pins = in->pins[1],
			.npins = in->n_pins[1],
			.tour_page = room->tour.page,
		};
		mcu_room_rec_assign(room, &vi);
	}
}

/* Whether slot i would be decoded if visible (video tick). */
static bool wants_decoder(const struct vt_part *vp)
{
	return vp->visible && !vp->mute_video && vp->leg &&
	       mcu_leg_params(vp->leg)->has_video;
}

/* The decoders cap (mcu/limits.h): take this tick's decoders from the
   process-wide budget; short of it, sources decoded last tick keep
   theirs and the newly visible ones, in slot order, are paused. */
static void cap_decoders(struct mcu_room *room, unsigned cap)
{
	size_t want = 0, grant, kept = 0;
	for (size_t i = 0; i < room->n_parts; i++) {
		room->vt[i].paused = false;
		want += wants_decoder(&room->vt[i]);
	}
	grant = mcu_limits_decoders_take(cap, &room->dec_held, want);
	for (int pass = 0; grant < want && pass < 2; pass++)
		for (size_t i = 0; i < room->n_parts; i++) {
			struct vt_part *vp = &room->vt[i];
			if (!wants_decoder(vp) || vp->decoding != (pass == 0))
				continue;
			if (kept < grant) {
				kept++;
			} else {
				if (!vp->decoding && !vp->paused_logged)
					mcu_limits_refused(
					    MCU_LIMIT_DECODERS, cap, room->id,
					    room->parts[i].eid, "decoding");
				vp->paused = vp->paused_logged = true;
			}
		}
	for (size_t i = 0; i < room->n_parts; i++)
		if (!room->vt[i].paused)
			room->vt[i].paused_logged = false;
}

/* Step 2: decode exactly what some group shows. */
static size_t mark_visible(struct mcu_room *room, const struct tick_in *in,
                           int64_t now_us)
{
	const struct mcu_room_probes *pr = room->env.probes;
	size_t decoders = 0;
	for (size_t i = 0; i < room->n_parts; i++)
		room->vt[i].visible = false;
	for (struct vgroup *g = room->groups; g; g = g->next) {
		if (!g->used)
			continue;
		for (int t = 0; t < g->view.ntiles; t++)
			if (g->view.tile[t] && g->view.tile[t] <= room->n_parts)
				room->vt[g->view.tile[t] - 1].visible = true;
		for (int t = 0; in->prefetch && t < g->view.nnext; t++)
			if (g->view.next[t] && g->view.next[t] <= room->n_parts)
				room->vt[g->view.next[t] - 1].visible = true;
	}
	cap_decoders(room, in->max_decoders);
	for (size_t i = 0; i < room->n_parts; i++) {
		struct vt_part *vp = &room->vt[i];
		bool on = vp->visible && !vp->mute_video && !vp->paused;
		if (!vp->leg)
			continue;
		mcu_leg_set_visible(vp->leg, on, now_us);
		vp->decoding = on && mcu_leg_params(vp->leg)->has_video;
		if (vp->decoding)
			decoders++;
		av_frame_free(&vp->frame);
		vp->new_arrival_us = 0;
		if (on) {
			int64_t a = 0, dec = 0;
			vp->frame = mcu_leg_latest_frame_at(vp->leg, now_us, 0,
			                                    &a, &dec);
			if (a > vp->last_arrival_us) {
				vp->new_arrival_us = vp->last_arrival_us = a;
				if (pr && pr->latency_decode)
					mcu_metric_observe(pr->latency_decode,
					                   (double)(dec - a) / 1e6);
			}
		}
	}
	/* The content's picture: decoded by its own worker, only taken. */
	av_frame_free(&room->content_frame);
	room->content_frame = mcu_content_picture(room->vt_content);
	return decoders;
}

static void tile_input(const struct mcu_room *room, uint32_t id,
                       struct mcu_compose_tile *t)
{
	const struct vt_part *vp;
	memset(t, 0, sizeof(*t));
	if (id == MCU_CONTENT_ID && room->vt_content) {
		t->label = mcu_content_label(room->vt_content);
		t->frame = room->content_frame;
		t->card = MCU_CARD_NO_VIDEO; /* sound only, or not yet */
		return;
	}
	if (id == 0 || id > room->n_parts) {
		t->card = MCU_CARD_EMPTY;
		return;
	}
	vp = &room->vt[id - 1];
	t->label = room->parts[id - 1].name;
	if (!vp->leg)
		t->card = vp->state == MCU_PART_DIALING ? MCU_CARD_CONNECTING
		                                        : MCU_CARD_DISCONNECTED;
	else if (vp->mute_video)
		t->card = MCU_CARD_VIDEO_MUTED;
	else if (vp->paused) {
		t->card = MCU_CARD_NO_VIDEO; /* the decoders cap: mcu/limits.h */
		t->card_text = "Tạm dừng";
	}
	else if (!vp->frame)
		t->card = MCU_CARD_NO_VIDEO;
	else
		t->frame = vp->frame;
}

static uint64_t fnv(uint64_t h, const void *p, size_t n)
{
	const uint8_t *b = p;
	for (size_t i = 0; i < n; i++)
		h = (h ^ b[i]) * 0x100000001b3ull;
	return h;
}

/* Step 3a: the tile geometry and inputs of g's picture; *live tells
 * whether any tile shows a picture, *sig sums up the inputs otherwise. */
static int group_inputs(const struct mcu_room *room, const struct vgroup *g,
                        struct mcu_tile *tiles, struct mcu_compose_tile *in,
                        size_t *n, bool *live, uint64_t *sig)
{
	uint64_t h = 0xcbf29ce484222325ull;
	if (mcu_layout_tiles(&g->view.layout, g->width, g->height, tiles,
	                     MCU_LAYOUT_MAX_TILES, n))
		return EINVAL;
	*live = false;
	h = fnv(h, n, sizeof(*n));
	for (size_t t = 0; t < *n; t++) {
		int geo[5] = {tiles[t].x, tiles[t].y, tiles[t].w, tiles[t].h,
		              (int)tiles[t].flags};
		int card;
		tile_input(room, g->view.tile[t], &in[t]);
		if ((int)t == g->view.highlight)
			in[t].flags |= MCU_COMPOSE_HIGHLIGHT;
		if ((int)t == g->view.floor_mark)
			in[t].flags |= MCU_COMPOSE_FLOOR;
		*live |= in[t].frame != NULL;
		card = (int)in[t].card;
		h = fnv(h, geo, sizeof(geo));
		h = fnv(h, &card, sizeof(card));
		h = fnv(h, &in[t].flags, sizeof(in[t].flags));
		if (in[t].label)
			h = fnv(h, in[t].label, strlen(in[t].label) + 1);
		if (in[t].card_text) /* "Tạm dừng" (decoders cap) */
			h = fnv(h, in[t].card_text,
			        strlen(in[t].card_text) + 1);
	}
	*sig = h;
	return 0;
}

/* How large each shown source appears in g's picture (see "Small tiles"). */
static void note_sizes(struct mcu_room *room, const struct vgroup *g,
                       const struct mcu_tile *tiles,
                       const struct mcu_compose_tile *in, size_t n)
{
	for (size_t t = 0; t < n; t++) {
		const AVFrame *f = in[t].frame;
		uint32_t id = g->view.tile[t];
		if (!f || id == 0 || id > room->n_parts)
			continue;
		if (f->width >= 2 * tiles[t].w && f->height >= 2 * tiles[t].h)
			room->vt[id - 1].shown_small = true;
		else
			room->vt[id - 1].shown_large = true;
	}
}

/* Whether groups a and b show the same picture (view and size). */
static bool same_picture(const struct vgroup *a, const struct vgroup *b)
{
	return a->view_key == b->view_key && a->width == b->width &&
	       a->height == b->height;
}

/* Step 3b: compose g's picture, or share an equal one of this tick
 * (drawn by whichever group came first: the draws of a tick hold the
 * compositor's lock, encode_groups). */
static AVFrame *compose_group(struct mcu_room *room, struct vgroup *g,
                              const struct mcu_tile *tiles,
                              const struct mcu_compose_tile *in, size_t n)
{
	for (struct vgroup *o = room->groups; o; o = o->next)
		if (o != g && o->used && o->canvas && same_picture(o, g))
			return av_frame_clone(o->canvas);
	AVFrame *canvas = NULL;
	if (mcu_compose_canvas(room->compose, g->width, g->height, &canvas))
		return NULL;
	if (mcu_compose_draw(room->compose, canvas, tiles, in, n)) {
		av_frame_free(&canvas);
		return NULL;
	}
	return canvas;
}

/*
 * Whether g's picture this tick may be skipped (see "Still pictures"); *key
 * says the picture, if encoded, must be a key frame.
 */
static bool hold_still(const struct mcu_room *room, struct vgroup *g,
                       bool live, uint64_t sig, int64_t now_us, bool *key)
{
	int64_t keyint_us;
	bool same;

	*key = g->key_kf = mcu_kfreq_due(g->kf, now_us);
	/* the periodic key frame is ours, not the encoder's GOP (find_group):
	 * so it can be spread over ticks with the others (spread_keys) */
	keyint_us = (int64_t)room->keyint * 1000000 / (room->fps ? room->fps : 1);
	if (keyint_us > 0 && now_us - g->last_key_us >= keyint_us)
		*key = true;
	if (live) {
		g->still = false;
		return false;
	}
	same = g->still && g->still_sig == sig;
	g->still = true;
	g->still_sig = sig;
	return same && !*key && now_us - g->last_encode_us < STILL_REFRESH_US;
}

/*
 * Latency probe: a picture that arrived since the last tick and is in g's
 * view reaches its receivers in this frame: observe now - its arrival
 * (the arrival of its access unit's last packet). Pictures shown again
 * from an earlier tick are not counted twice.
 */
/* Whether tile source id shows a picture that arrived since the last tick. */
static bool shows_new(const struct mcu_room *room, uint32_t id)
{
	return id && id <= room->n_parts && room->vt[id - 1].new_arrival_us;
}

static void observe_latency(const struct mcu_room *room,
                            const struct vgroup *g)
{
	struct mcu_metric *m =
	    room->env.probes ? room->env.probes->latency_video : NULL;
	int64_t now_us;

	if (!m)
		return;
	now_us = mcu_netio_now_us();
	for (int t = 0; t < g->view.ntiles; t++) {
		uint32_t id = g->view.tile[t];
		if (shows_new(room, id))
			mcu_metric_observe(
			    m, (double)(now_us - room->vt[id - 1].new_arrival_us) /
			           1e6);
	}
}

struct fanout {
	struct mcu_room *room;
	struct vgroup *g;
	struct mcu_pkt *pl[MAX_PAYLOADS];
	unsigned n;
	uint32_t pts90k;
	int64_t now_us;
	int64_t deadline_ns;
};

static int collect_payload(const uint8_t *payload, size_t len, bool last,
                           void *arg)
{
	struct fanout *f = arg;
	(void)last;
	if (f->n == MAX_PAYLOADS)
		return ENOSPC;
	return mcu_pkt_dup(&f->pl[f->n++], payload, len);
}

/* Step 4: one encoded frame, packetized once, sent by every member. */
static void on_encoded(const AVPacket *pkt, bool key, void *arg)
{
	struct fanout *f = arg;
	struct mcu_room *room = f->room;
	struct vgroup *g = f->g;
	int err;

	f->n = 0;
	if (g->codec == MCU_VCODEC_H264) {
		err = mcu_h264_packetize(pkt->data, (size_t)pkt->size,
		                         MTU_PAYLOAD, g->h264_mode, false,
		                         collect_payload, f);
	} else {
		struct mcu_vp8_desc tmpl = {.has_picid = true,
		                            .picid16 = true,
		                            .picid = (uint16_t)(room->frame_no &
		                                                0x7fff)};
		err = mcu_vp8_packetize(pkt->data, (size_t)pkt->size,
		                        MTU_PAYLOAD, &tmpl, collect_payload, f);
	}
	mcu_room_rec_video(room, g, pkt, key, f->deadline_ns);
	if (!err) {
		if (key) {
			mcu_kfreq_sent(g->kf, f->now_us);
			g->last_key_us = f->now_us;
		}
		for (size_t i = 0; i < room->n_parts; i++) {
			struct vt_part *vp = &room->vt[i];
			if (room->parts[i].group == g && vp->leg)
				mcu_leg_send_video(vp->leg, f->pl, f->n,
				                   f->pts90k, key, f->now_us);
		}
	} else {
		mcu_log_ratelimited(MCU_LOG_WARN, 5000,
		                    "%s: cannot packetize a frame: %s",
		                    room->id, strerror(err));
	}
	for (unsigned i = 0; i < f->n; i++)
		mcu_pkt_put(f->pl[i]);
	f->n = 0;
	if (!err)
		observe_latency(room, g);
}

static void take_keyframe_requests(struct mcu_room *room, int64_t now_us)
{
	for (size_t i = 0; i < room->n_parts; i++) {
		struct vt_part *vp = &room->vt[i];
		struct part *p = &room->parts[i];
		if (vp->leg && p->group &&
		    mcu_leg_take_keyframe_request(vp->leg))
			mcu_kfreq_request(p->group->kf, p->id, now_us);
	}
}

/*
 * Step 3b: composition and encoding run in parallel (mcu_workpool_for: the
 * tick's thread and the other workers), since doing them one after another
 * made a meeting's video tick longer than a frame with a core idle
 * (bench/capacity). First every picture's tiles are planned; the scaling
 * they need (each distinct source and tile size once, most of the
 * composition's cost) runs as parallel jobs of the compositor; then one
 * parallel loop draws each group's picture (copies of scaled tiles,
 * labels) and encodes it at once: a group's encode starts as soon as its
 * own picture is drawn, not after every picture of the tick (the draws,
 * serialised by the compositor's lock, overlap the other groups'
 * encodes). Groups share nothing while encoding: each has its own
 * encoder, canvas and key-frame state, a leg belongs to one group and
 * locks its own send path, only one group feeds the recording, metrics
 * are atomic.
 */
#define PAR_GROUPS 32

struct enc_batch {
	struct mcu_room *room;
	struct vgroup *g[PAR_GROUPS];
	size_t n;
	int64_t now_us, deadline_ns;
	pthread_mutex_t draw_lock; /* the compositor, compose_ms */
	double compose_ms;         /* drawing, summed over the groups */
};

static void encode_one(void *arg, size_t i)
{
	static __thread struct fanout f;
	struct enc_batch *b = arg;
	struct vgroup *g = b->g[i];

	f.room = b->room;
	f.g = g;
	f.now_us = b->now_us;
	f.pts90k = (uint32_t)(b->deadline_ns / 100000 * 9);
	f.deadline_ns = b->deadline_ns;
	mcu_venc_encode(g->enc, g->canvas, on_encoded, &f);
	g->last_encode_us = b->now_us;
}

/* One group's picture drawn, then encoded. */
static void draw_encode_one(void *arg, size_t i)
{
	struct enc_batch *b = arg;
	struct mcu_room *room = b->room;
	struct vgroup *g = b->g[i];
	struct timespec t0;

	pthread_mutex_lock(&b->draw_lock);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	g->canvas = compose_group(room, g, g->tiles, g->in, g->ntiles);
	b->compose_ms += ms_since(&t0);
	pthread_mutex_unlock(&b->draw_lock);
	if (!g->canvas) {
		g->draw = false;
		if (g->key) /* not served: ask again next tick */
			mcu_kfreq_request(g->kf, 0, b->now_us);
		return;
	}
	if (g->key)
		mcu_venc_request_keyframe(g->enc);
	g->canvas->pts = (int64_t)room->frame_no;
	encode_one(b, i);
}

/* Whether a goes before b in a tick's encodes (encode_batch). */
static bool encode_before(const struct vgroup *a, const struct vgroup *b)
{
	bool ka = a->key || a->last_encode_us == 0;
	bool kb = b->key || b->last_encode_us == 0;
	if (ka != kb)
		return ka;
	return a->fresh > b->fresh;
}

/* The loop hands out items in order. A key frame (or an encoder's first
 * picture) takes several times a predicted one: those start first, so the
 * tick's workers do not end with one of them alone. Then the groups with
 * the most new pictures: each new picture waits for its group's frame to
 * be sent, and the host's many-tile view carries most of them (in list
 * order, newest group first, it was often last: video latency p99 +5 ms,
 * bench/latency). Stable: equal groups keep the list's order. */
static void encode_batch(struct enc_batch *b)
{
	for (size_t i = 1; i < b->n; i++) {
		struct vgroup *g = b->g[i];
		size_t k = i;
		while (k > 0 && encode_before(g, b->g[k - 1])) {
			b->g[k] = b->g[k - 1];
			k--;
		}
		b->g[k] = g;
	}
	mcu_workpool_for(b->room->env.pool, b->n, draw_encode_one, b);
	b->n = 0;
}

static void scale_one(void *arg, size_t i)
{
	mcu_compose_scale(arg, i);
}

/* Whether an earlier group of this tick draws the same picture as g. */
static bool drawn_before(const struct mcu_room *room, const struct vgroup *g)
{
	for (const struct vgroup *o = room->groups; o != g; o = o->next)
		if (o->used && o->draw && same_picture(o, g))
			return true;
	return false;
}

/*
 * Key frames spread over ticks (mcu_kfreq_spread): at most
 * KEY_AREA_PER_TICK pixels of key frames per tick, at least one. A floor
 * grant moves viewers between groups and every group a viewer joins wants
 * a key frame: at 720p two of them on one tick took ~40 ms of encoding
 * and the tick overran its frame interval (bench/capacity). A group put
 * off sends a predicted picture (its other members need nothing more) and
 * goes first next tick; its newcomer waits a frame interval. A group's
 * first picture is a key frame whatever is asked: it always counts.
 */
#define KEY_AREA_PER_TICK (1280L * 720)
#define KEY_SPREAD_MAX 64 /* groups wanting a key frame at once; more: all */

static void spread_keys(struct mcu_room *room)
{
	struct mcu_kfreq_want w[KEY_SPREAD_MAX];
	struct vgroup *gs[KEY_SPREAD_MAX];
	size_t n = 0, off;

	for (struct vgroup *g = room->groups; g && n < KEY_SPREAD_MAX;
	     g = g->next) {
		bool first = g->last_encode_us == 0;
		if (!g->draw || !(g->key || first))
			continue;
		gs[n] = g;
		w[n++] = (struct mcu_kfreq_want){
		    .area = (long)g->width * g->height,
		    .must = first,
		    .waited = g->key_waited};
	}
	off = mcu_kfreq_spread(w, n, KEY_AREA_PER_TICK);
	for (size_t i = 0; i < n; i++) {
		gs[i]->key_waited = !w[i].grant;
		if (w[i].grant)
			continue;
		gs[i]->key = false;
		if (gs[i]->key_kf)
			mcu_kfreq_defer(gs[i]->kf);
	}
	if (off) {
		pthread_mutex_lock(&room->lock);
		room->stat_keys_deferred += off;
		pthread_mutex_unlock(&room->lock);
	}
}

/* Step 3a for every group: inputs, still pictures, the scaling plan;
 * returns the compositor's scale jobs. */
static size_t plan_groups(struct mcu_room *room, int64_t now_us,
                          size_t *encoders)
{
	size_t jobs = 0;

	for (size_t i = 0; i < room->n_parts; i++)
		room->vt[i].shown_small = room->vt[i].shown_large = false;
	for (struct vgroup *g = room->groups; g; g = g->next) {
		uint64_t sig;
		bool live;

		g->held = g->draw = false;
		if (!g->used)
			continue;
		++*encoders;
		av_frame_free(&g->canvas);
		if (group_inputs(room, g, g->tiles, g->in, &g->ntiles, &live,
		                 &sig))
			continue;
		note_sizes(room, g, g->tiles, g->in, g->ntiles);
		g->fresh = 0;
		for (int t = 0; t < g->view.ntiles; t++)
			g->fresh += shows_new(room, g->view.tile[t]);
		if (hold_still(room, g, live, sig, now_us, &g->key)) {
			g->held = true;
			continue;
		}
		if (!drawn_before(room, g))
			jobs = mcu_compose_plan(room->compose, g->tiles, g->in,
			                        g->ntiles);
		g->draw = true;
	}
	spread_keys(room);
	return jobs;
}

static size_t encode_groups(struct mcu_room *room, int64_t deadline_ns,
                            int64_t now_us, double *compose_ms,
                            double *encode_ms, size_t *views)
{
	struct enc_batch b = {
		.room = room, .now_us = now_us, .deadline_ns = deadline_ns};
	struct timespec t0;
	size_t encoders = 0, jobs;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	mcu_compose_tick(room->compose);
	jobs = plan_groups(room, now_us, &encoders);
	mcu_workpool_for(room->env.pool, jobs, scale_one,
	                 room->compose);
	*compose_ms += ms_since(&t0);
	/* encode_ms: the draw-and-encode loops' time, less the drawing */
	pthread_mutex_init(&b.draw_lock, NULL);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (struct vgroup *g = room->groups; g; g = g->next) {
		if (!g->draw)
			continue;
		if (b.n == PAR_GROUPS)
			encode_batch(&b);
		b.g[b.n++] = g;
	}
	encode_batch(&b);
	*encode_ms += ms_since(&t0) - b.compose_ms;
	*compose_ms += b.compose_ms;
	pthread_mutex_destroy(&b.draw_lock);
	for (size_t i = 0; i < room->n_parts; i++) {
		struct vt_part *vp = &room->vt[i];
		if (vp->leg)
			mcu_leg_set_small(vp->leg,
			                  vp->shown_small && !vp->shown_large);
	}
	/* Distinct pictures: canvases not shared with an earlier group (a
	 * held still picture counts as the picture it keeps showing). */
	for (struct vgroup *g = room->groups; g; g = g->next) {
		bool first = g->used && (g->canvas || g->held);
		for (struct vgroup *o = room->groups; first && o != g;
		     o = o->next)
			if (o->used && (o->canvas || o->held) &&
			    same_picture(o, g))
				first = false;
		*views += first;
	}
	return encoders;
}

static void drop_idle_groups(struct mcu_room *room)
{
	struct vgroup **pp = &room->groups;
	while (*pp) {
		struct vgroup *g = *pp;
		av_frame_free(&g->canvas);
		if (g->used) {
			g->idle_ticks = 0;
		} else if (++g->idle_ticks > (unsigned)(GROUP_IDLE_S *
		                                        room->fps)) {
			*pp = group_free(g);
			continue;
		}
		pp = &g->next;
	}
}

static void report(struct mcu_room *room, size_t decoders, int64_t now_us)
{
	if (now_us < room->next_report_us)
		return;
	room->next_report_us = now_us + REPORT_US;
	size_t connected = 0;
	for (size_t i = 0; i < room->n_parts; i++)
		connected += room->vt[i].leg != NULL;
	mcu_log_info("%s: %zu/%zu connected, %zu views, %zu video encoders, "
	             "%zu decoders, %zu audio encoders; per tick compose %.2f "
	             "ms, encode %.2f ms, mix %.2f ms",
	             room->id, connected, room->n_parts, room->stat_views,
	             room->stat_encoders, decoders, room->stat_aencs,
	             room->compose_ms, room->encode_ms, room->mix_ms);
}

static void snapshot_in(struct mcu_room *room, struct tick_in *in,
                        int64_t now_us)
{
	long holder, speaker;
	int steps;
	pthread_mutex_lock(&room->lock);
	room->vrunning = true;
	if (room->ids_dirty)
		mcu_room_rebuild_ids(room);
	for (size_t i = 0; i < room->n_parts; i++) {
		room->vt[i].leg = room->parts[i].leg;
		room->vt[i].state = room->parts[i].state;
		room->vt[i].mute_video = room->parts[i].mute_video;
	}
	in->host_layout = room->host_layout;
	in->branch_layout = room->branch_layout;
	in->max_decoders = room->conf->limits.decoders;
	room->vt_content = room->content;
	room->vrec = room->rec;
	in->content = room->content ? MCU_CONTENT_ID : 0;
	if (room->content) /* everyone sees the content (content.h) */
		in->host_layout = in->branch_layout =
		    (struct mcu_layout){MCU_LAYOUT_CONTENT, 0};
	for (int r = 0; r < 2; r++) {
		in->n_pins[r] = room->n_pins[r];
		memcpy(in->pins[r], room->pins[r],
		       room->n_pins[r] * sizeof(room->pins[r][0]));
	}
	steps = room->tour_steps;
	room->tour_steps = 0;
	holder = mcu_floor_holder(room->floor);
	speaker = mcu_floor_speaker(room->floor);
	pthread_mutex_unlock(&room->lock);
	in->floor = holder >= 0 ? (uint32_t)holder + 1 : 0;
	in->speaker = speaker >= 0 ? (uint32_t)speaker + 1 : 0;

	mcu_view_tour_advance(&room->tour, now_us,
	                      (int64_t)room->tour_seconds * 1000000, steps,
	                      PREFETCH_US, &in->prefetch);
}

/*
 * A picture sent more than two frame intervals after its deadline made
 * the ticker skip one (ticker.h): say where the time went, at most once a
 * second, as the audio tick does for its late frames.
 */
static void explain_long(struct mcu_room *room, int64_t deadline_ns,
                         int64_t now_ns, double prep_ms, double compose_ms,
                         double encode_ms, double post_ms)
{
	int64_t end_ns = mcu_now_ns(), period_ns = 1000000000 / room->fps;
	size_t keys = 0, drawn = 0;

	if (end_ns - deadline_ns <= 2 * period_ns ||
	    now_ns / 1000 < room->next_long_log_us)
		return;
	room->next_long_log_us = now_ns / 1000 + LONG_LOG_US;
	for (const struct vgroup *g = room->groups; g; g = g->next) {
		drawn += g->draw;
		keys += g->draw && g->key;
	}
	mcu_log_warn("%s: video tick long: picture sent %.1f ms after its "
	             "deadline (a frame interval is %.1f ms), started %.1f "
	             "ms late; ran %.1f ms: prepare %.1f, compose %.1f, "
	             "encode %.1f (%zu pictures, %zu key frames), after %.1f",
	             room->id, (double)(end_ns - deadline_ns) / 1e6,
	             (double)period_ns / 1e6,
	             (double)(now_ns - deadline_ns) / 1e6,
	             (double)(end_ns - now_ns) / 1e6, prep_ms, compose_ms,
	             encode_ms, drawn, keys, post_ms);
}

void mcu_room_video_tick(int64_t deadline_ns, int64_t now_ns, void *arg)
{
	struct mcu_room *room = arg;
	int64_t now_us = now_ns / 1000;
	struct tick_in in;
	double compose_ms = 0, encode_ms = 0, prep_ms, post_ms;
	size_t views = 0, decoders, encoders;
	struct timespec t0;

	if (ensure_arrays(room))
		return;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	snapshot_in(room, &in, now_us);
	assign_groups(room, &in);
	decoders = mark_visible(room, &in, now_us);
	take_keyframe_requests(room, now_us);
	prep_ms = ms_since(&t0);
	encoders = encode_groups(room, deadline_ns, now_us, &compose_ms,
	                         &encode_ms, &views);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	mcu_room_view_keep(room);
	drop_idle_groups(room);
	for (size_t i = 0; i < room->n_parts; i++)
		if (room->vt[i].leg)
			mcu_leg_video_poll(room->vt[i].leg, now_us);
	room->frame_no++;
	post_ms = ms_since(&t0);
	explain_long(room, deadline_ns, now_ns, prep_ms, compose_ms,
	             encode_ms, post_ms);

	const struct mcu_room_probes *pr = room->env.probes;
	if (pr) {
		mcu_metric_observe(pr->lateness_video,
		                   (double)(now_ns - deadline_ns) / 1e9);
		mcu_metric_observe(pr->compose, compose_ms / 1e3);
		mcu_metric_observe(pr->encode, encode_ms / 1e3);
	}
	pthread_mutex_lock(&room->lock);
	room->stat_encoders = encoders;
	room->stat_views = views;
	room->stat_decoders = decoders;
	room->compose_ms = 0.9 * room->compose_ms + 0.1 * compose_ms;
	room->encode_ms = 0.9 * room->encode_ms + 0.1 * encode_ms;
	report(room, decoders, now_us);
	for (size_t i = 0; i < room->n_parts; i++)
		room->vt[i].leg = NULL;
	room->vt_content = NULL;
	room->vrec = NULL;
	room->vrunning = false;
	room->vgen++;
	pthread_cond_broadcast(&room->tick_done);
	pthread_mutex_unlock(&room->lock);
}
