/*
 * Every read starts from the roster's JSON (so the shapes stay the ones
 * api.md names, with the same fields whether a meeting runs or not) and
 * overwrites what the running room knows better. A meeting without a
 * room shows its roster view: everyone "disconnected".
 */
#define MCU_LOG_MODULE "api"
#include "mcu/api_live.h"
#include "mcu/content.h"
#include "mcu/api_pins.h"
#include "mcu/cascade.h"
#include "mcu/limits.h"
#include "conf/log.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct mcu_api_live {
	struct mcu_api_live_opts o;
	struct mcu_metrics_engine m;
};

static const char *part_state_name(enum mcu_part_state s)
{
	switch (s) {
	case MCU_PART_DIALING:
		return "dialing";
	case MCU_PART_CONNECTED:
		return "connected";
	case MCU_PART_ON_HOLD:
		return "on-hold";
	case MCU_PART_FAILED:
		return "failed";
	case MCU_PART_DISCONNECTED:
		break;
	}
	return "disconnected";
}

static double round1(double v)
{
	return (double)(long long)(v * 10 + (v < 0 ? -0.5 : 0.5)) / 10;
}

json_t *mcu_api_live_participant(const struct mcu_room_part *p,
                                 bool static_leg)
{
	const struct mcu_leg_stats *s = &p->leg;
	json_t *j = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s}", "endpoint",
	                      p->endpoint, "name", p->name ? p->name : "",
	                      "role", p->host ? "host" : "branch", "state",
	                      part_state_name(p->state), "signalling",
	                      static_leg ? "rtp"
	                      : p->webrtc ? "webrtc"
	                                  : "sip",
	                      "floor",
	                      mcu_floor_role_name(p->floor));
	if (!j)
		return NULL;
	if (!p->has_leg) {
		json_object_set_new(j, "rtt_ms", json_null());
		json_object_set_new(j, "srtp", json_null());
		json_object_set_new(j, "audio", json_null());
		json_object_set_new(j, "video", json_null());
		return j;
	}
	json_object_set_new(j, "rtt_ms", s->rtt_ms >= 0
	                                         ? json_real(round1(s->rtt_ms))
	                                         : json_null());
	/* SDES-SRTP: packets dropped for failed authentication / replay. */
	json_object_set_new(j, "srtp",
	                    json_pack("{s:b,s:I,s:I}", "on", s->srtp,
	                              "auth_failures",
	                              (json_int_t)s->srtp_auth_failures,
	                              "replays", (json_int_t)s->srtp_replays));
	json_object_set_new(
		j, "audio",
		p->acodec
			? json_pack("{s:s,s:b,s:f,s:{s:I,s:I,s:f,s:f,s:I,s:I,s:I,"
		                    "s:I,s:I},s:{s:I}}",
		                    "codec", p->acodec, "muted", p->muted_audio,
		                    "level_dbov", round1(p->level_dbov), "in",
		                    "packets", (json_int_t)s->ain.packets,
		                    "lost", (json_int_t)s->ain.lost,
		                    "jitter_ms", round1(s->ain.jitter_ms),
		                    "buffer_ms", round1(s->ain.buffer_ms),
		                    "concealed", (json_int_t)s->ain.concealed,
		                    "trimmed", (json_int_t)s->ain.trimmed,
		                    "gaps", (json_int_t)s->ain.gaps,
		                    "malformed", (json_int_t)s->ain.malformed,
		                    "rejected", (json_int_t)s->ain.rejected,
		                    "out", "packets",
		                    (json_int_t)s->aout.packets)
			: json_null());
	json_object_set_new(
		j, "video",
		p->vcodec
			? json_pack(
				  "{s:s,s:b,s:b,s:{s:i,s:i,s:f,s:I,s:I,s:I,s:f,"
				  "s:I,s:I,s:I,s:I},s:{s:i,s:i,s:f,s:I,s:I,"
				  "s:I,s:I,s:I},s:{s:I,s:I,s:I,s:I}}",
				  "codec", p->vcodec, "muted", p->muted_video,
				  "decoding", s->decoding, "in", "width",
				  s->vin.width, "height", s->vin.height, "fps",
				  round1(s->vin.fps), "frames_decoded",
				  (json_int_t)s->vin.frames_decoded, "packets",
				  (json_int_t)s->vin.packets, "lost",
				  (json_int_t)s->vin.lost, "jitter_ms",
				  round1(s->vin.jitter_ms), "bitrate_kbps",
				  (json_int_t)(s->vin.bitrate_bps / 1000),
				  "malformed", (json_int_t)s->vin.malformed,
				  "rejected", (json_int_t)s->vin.rejected,
				  "decode_errors",
				  (json_int_t)s->vin.decode_errors, "out",
				  "width", p->out_width, "height",
				  p->out_height, "fps", round1(s->vout.fps),
				  "bitrate_kbps",
				  (json_int_t)(s->vout.bitrate_bps / 1000),
				  "keyframes", (json_int_t)s->vout.keyframes,
				  "packets", (json_int_t)s->vout.packets,
				  "nack_served",
				  (json_int_t)s->vout.nack_served,
				  "nack_missed",
				  (json_int_t)s->vout.nack_missed, "feedback",
				  "nack_sent", (json_int_t)s->nacks_sent,
				  "pli_sent", (json_int_t)s->plis_sent,
				  "pli_received", (json_int_t)s->plis_received,
				  "fir_received",
				  (json_int_t)s->firs_received)
			: json_null());
	return j;
}

static bool is_static(struct mcu_snapshot *snap, const char *endpoint)
{
	long i = mcu_conf_endpoint_index(snap->conf, endpoint);
	return i >= 0 && snap->conf->endpoints[i].rtp.present;
}

/* The live participants of a room as an array (new reference). */
static json_t *room_participants(struct mcu_api_live *l, struct mcu_room *room,
                                 size_t *connected)
{
	struct mcu_snapshot *snap = mcu_room_snapshot(room);
	json_t *arr = json_array();
	struct mcu_room_part *p = malloc(sizeof(*p));
	*connected = 0;
	for (size_t i = 0; arr && p && i < mcu_room_slots(room); i++) {
		if (!mcu_room_part(room, (long)i, p))
			continue;
		*connected += p->state == MCU_PART_CONNECTED;
		json_t *o = mcu_api_live_participant(
			p, is_static(snap, p->endpoint));
		long e = mcu_conf_endpoint_index(snap->conf, p->endpoint);
		if (o)
			mcu_cascade_api_part(o, e >= 0 ? &snap->conf->endpoints[e]
			                               : NULL);
		unsigned attempts = 0;
		int last = -1;
		const char *dial = l->o.dial_state
		                           ? l->o.dial_state(l->o.arg,
		                                             mcu_room_id(room),
		                                             p->endpoint,
		                                             &attempts, &last)
		                           : "";
		if (o && dial && *dial)
			json_object_set_new(
				o, "dial",
				json_pack("{s:s, s:i, s:i}", "state", dial,
				          "attempts", (int)attempts,
				          "last_status", last));
		json_array_append_new(arr, o);
	}
	free(p);
	return arr;
}

static json_t *floor_json(struct mcu_room *room,
                          const struct mcu_room_floor *f)
{
	json_t *q = json_array();
	size_t n = f->queued < MCU_ROOM_QUEUE_MAX ? f->queued
	                                          : MCU_ROOM_QUEUE_MAX;
	const char *holder = mcu_room_slot_endpoint(room, f->holder);
	const char *speaker = mcu_room_slot_endpoint(room, f->speaker);
	for (size_t i = 0; q && i < n; i++)
		json_array_append_new(q, json_string(mcu_room_slot_endpoint(
						   room, f->queue[i])));
	return json_pack("{s:s,s:o,s:o,s:o}", "mode",
	                 mcu_conf_floor_name(f->mode), "holder",
	                 holder ? json_string(holder) : json_null(), "speaker",
	                 speaker ? json_string(speaker) : json_null(), "queue",
	                 q ? q : json_array());
}

/* GET meeting's "recording": {on, file, seconds, bytes, ...}. */
static json_t *recording_json(struct mcu_room *room)
{
	struct mcu_room_recording r;
	mcu_room_recording(room, &r);
	json_t *j = json_pack("{s:b,s:o,s:f,s:I,s:I}", "on", r.on, "file",
	                      r.file[0] ? json_string(r.file) : json_null(),
	                      "seconds", round1(r.seconds), "bytes",
	                      (json_int_t)r.bytes, "dropped",
	                      (json_int_t)r.dropped);
	if (j)
		json_object_set_new(j, "shared_encoder",
		                    json_boolean(r.shared_encoder));
	if (j && r.error)
		json_object_set_new(j, "error", json_string(strerror(r.error)));
	return j;
}

/* POST record {"on":bool}: start or stop the room's file (409 when it
   already is so); the new file goes to the logbook. */
static int record_action(struct mcu_api_live *l, struct mcu_room *room,
                         const struct mcu_api_action *a, json_t **result,
                         char *detail, size_t len)
{
	const char *dir = mcu_room_snapshot(room)->conf->recordings;
	char *path = NULL;
	int err = mcu_room_record(room, a->on, dir, &path);
	if (err == EALREADY) {
		snprintf(detail, len, a->on ? "already recording"
		                            : "not recording");
		return 409;
	}
	if (err) {
		snprintf(detail, len, "cannot record into %s: %s",
		         dir ? dir : "(no mcu.recordings)", strerror(err));
		return err == EINVAL ? 400 : 500;
	}
	if (path && l->o.recorded)
		l->o.recorded(l->o.arg, a->meeting, path);
	free(path);
	*result = json_pack("{s:b,s:o}", "ok", 1, "recording",
	                    recording_json(room));
	return 200;
}

static json_t *live_meetings(void *arg, int *status)
{
	struct mcu_api_live *l = arg;
	json_t *arr = mcu_api_roster_meetings(l->o.roster, status);
	size_t i;
	json_t *m;
	json_array_foreach(arr, i, m)
	{
		const char *id = json_string_value(json_object_get(m, "id"));
		struct mcu_room *room = id ? mcu_engine_acquire(l->o.engine, id)
		                           : NULL;
		if (!room)
			continue;
		struct mcu_room_stats st;
		mcu_room_stats(room, &st);
		mcu_engine_release(l->o.engine, room);
		json_object_set_new(json_object_get(m, "participants"),
		                    "connected",
		                    json_integer((json_int_t)st.connected));
	}
	return arr;
}

static json_t *live_meeting(void *arg, const char *id, int *status)
{
	struct mcu_api_live *l = arg;
	json_t *j = mcu_api_roster_meeting(l->o.roster, id, status);
	struct mcu_room *room;
	if (!j)
		return NULL;
	room = mcu_engine_acquire(l->o.engine, id);
	if (!room)
		return j;
	struct mcu_room_stats st;
	struct mcu_room_floor *f = malloc(sizeof(*f));
	size_t connected = 0;
	mcu_room_stats(room, &st);
	json_object_set_new(j, "participants",
	                    room_participants(l, room, &connected));
	if (f) {
		mcu_room_floor_info(room, f);
		json_object_set_new(j, "floor", floor_json(room, f));
		json_object_set_new(json_object_get(j, "layout"), "host",
		                    json_string(f->host_layout));
		json_object_set_new(json_object_get(j, "layout"), "branches",
		                    json_string(f->branch_layout));
		free(f);
	}
	json_t *playing = mcu_content_json(room);
	if (!json_is_null(playing)) /* every view shows it (mcu/content.h) */
		for (int r = 0; r < 2; r++)
			json_object_set_new(json_object_get(j, "layout"),
			                    r ? "branches" : "host",
			                    json_string("content"));
	json_object_set_new(j, "content_playing", playing);
	json_object_set_new(j, "pins", mcu_api_pins_json(room));
	json_object_set_new(j, "recording", recording_json(room));
	mcu_engine_release(l->o.engine, room);
	json_object_set_new(j, "encoders", json_integer((json_int_t)st.encoders));
	json_object_set_new(j, "encoders_opened",
	                    json_integer((json_int_t)st.encoders_opened));
	json_object_set_new(j, "decoders", json_integer((json_int_t)st.decoders));
	json_object_set_new(
		j, "media",
		json_pack("{s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:f,s:f,s:f,s:f,s:f}",
		          "views", (json_int_t)st.views, "audio_encoders",
		          (json_int_t)st.audio_encoders, "audio_decoded",
		          (json_int_t)st.audio_decoded, "video_ticks",
		          (json_int_t)st.video_ticks, "video_ticks_skipped",
		          (json_int_t)st.video_ticks_skipped, "video_ticks_late",
		          (json_int_t)st.video_ticks_late, "keyframes_deferred",
		          (json_int_t)st.keyframes_deferred, "audio_ticks",
		          (json_int_t)st.audio_ticks, "audio_ticks_skipped",
		          (json_int_t)st.audio_ticks_skipped,
		          "audio_clock_moves", (json_int_t)st.audio_clock_moves,
		          "connected",
		          (json_int_t)st.connected, "compose_ms",
		          round1(st.compose_ms), "encode_ms",
		          round1(st.encode_ms), "mix_ms", round1(st.mix_ms),
		          "video_late_ms_max", round1(st.video_late_ms_max),
		          "audio_late_ms_max", round1(st.audio_late_ms_max)));
	return j;
}

static json_t *live_participants(void *arg, const char *id, int *status)
{
	struct mcu_api_live *l = arg;
	json_t *j = mcu_api_roster_participants(l->o.roster, id, status);
	struct mcu_room *room;
	size_t connected;
	if (!j)
		return NULL;
	room = mcu_engine_acquire(l->o.engine, id);
	if (!room)
		return j;
	json_decref(j);
	j = room_participants(l, room, &connected);
	mcu_engine_release(l->o.engine, room);
	return j;
}

static int floor_status(int err, char *detail, size_t len)
{
	switch (err) {
	case 0:
		return 200;
	case EALREADY:
		snprintf(detail, len, "already asked or holding the floor");
		return 409;
	case EPERM:
		snprintf(detail, len, "the meeting has an open floor");
		return 409;
	case ENOENT:
		snprintf(detail, len, "nobody to grant or revoke");
		return 409;
	default:
		snprintf(detail, len, "not allowed for this participant");
		return 409;
	}
}

static int room_action(struct mcu_room *room, const struct mcu_api_action *a,
                       char *detail, size_t len)
{
	long slot = a->endpoint ? mcu_room_slot(room, a->endpoint) : -1;
	switch (a->verb) {
	case MCU_API_FLOOR:
		switch (a->floor) {
		case MCU_API_FLOOR_REQUEST:
			return floor_status(mcu_room_floor_request(room, slot),
			                    detail, len);
		case MCU_API_FLOOR_GRANT:
			return floor_status(mcu_room_floor_grant(room, slot),
			                    detail, len);
		case MCU_API_FLOOR_REVOKE:
			return floor_status(mcu_room_floor_revoke(room), detail,
			                    len);
		}
		break;
	case MCU_API_MUTE:
		mcu_room_mute(room, slot,
		              a->audio == MCU_API_UNCHANGED ? -1
		                                            : a->audio == MCU_API_ON,
		              a->video == MCU_API_UNCHANGED ? -1
		                                            : a->video == MCU_API_ON);
		return 200;
	case MCU_API_PIN:
		return mcu_api_pin_action(room, slot, a, detail, len);
	case MCU_API_LAYOUT:
		if (a->tour) {
			mcu_room_tour_step(room, a->tour);
			return 200;
		}
		if (mcu_room_set_layout(room, a->role == MCU_API_ROLE_HOST,
		                        a->layout)) {
			snprintf(detail, len, "unknown layout");
			return 400;
		}
		return 200;
	default:
		break;
	}
	snprintf(detail, len, "%s is not available yet",
	         mcu_api_verb_name(a->verb));
	return 501;
}

static int live_action(void *arg, const struct mcu_api_action *a,
                       json_t **result, char *detail, size_t len)
{
	struct mcu_api_live *l = arg;
	struct mcu_room *room;
	int status;

	if (a->verb == MCU_API_RELOAD)
		return mcu_api_roster_action(l->o.roster, a, result, detail,
		                             len);
	if (a->verb == MCU_API_CREATE) {
		if (!l->o.create) {
			snprintf(detail, len, "meetings cannot be created here");
			return 501;
		}
		return l->o.create(l->o.arg, a->body, result, detail, len);
	}
	if (a->verb == MCU_API_CONTENT) {
		/* The file is judged by mcu/content (list or content_dir,
		   403), the meeting here. */
		struct mcu_api_action chk = *a;
		chk.file = NULL;
		status = mcu_api_roster_check(l->o.roster, &chk, detail, len);
	} else {
		status = mcu_api_roster_check(l->o.roster, a, detail, len);
	}
	if (status)
		return status;
	if (a->verb == MCU_API_START || a->verb == MCU_API_STOP ||
	    a->verb == MCU_API_EXTEND)
		return l->o.meeting_ctl ? l->o.meeting_ctl(l->o.arg, a, detail,
		                                           len)
		                        : 501;
	if (a->verb == MCU_API_DIAL || a->verb == MCU_API_HANGUP) {
		if (!l->o.call_ctl) {
			snprintf(detail, len, "SIP is not running");
			return 501;
		}
		return l->o.call_ctl(l->o.arg, a->meeting, a->endpoint,
		                     a->verb == MCU_API_DIAL, detail, len);
	}
	room = mcu_engine_acquire(l->o.engine, a->meeting);
	if (!room) {
		snprintf(detail, len, "meeting %s is not under way", a->meeting);
		return 409;
	}
	if (a->verb == MCU_API_RECORD) {
		status = record_action(l, room, a, result, detail, len);
		mcu_engine_release(l->o.engine, room);
		return status;
	}
	status = a->verb == MCU_API_CONTENT
	             ? mcu_content_api(room, a, result, detail, len)
	             : room_action(room, a, detail, len);
	mcu_engine_release(l->o.engine, room);
	if (status == 200 && !*result)
		*result = json_pack("{s:b}", "ok", 1);
	return status;
}

static int live_logbook(void *arg, const char *from, const char *to,
                        const char *format, struct mcu_api_blob *out,
                        char *detail, size_t len)
{
	struct mcu_api_live *l = arg;
	if (!l->o.logbook) {
		snprintf(detail, len, "no logbook");
		return 503;
	}
	return l->o.logbook(l->o.arg, from, to, format, out, detail, len);
}

/* A live still (mcu_room_view_jpeg): 404 for a meeting that is not under
 * way, 503 while it has no picture of that role yet (api.md). */
static int live_view_jpeg(void *arg, const char *meeting, const char *role,
                          struct mcu_api_blob *out, char *detail, size_t len)
{
	struct mcu_api_live *l = arg;
	bool host = strcmp(role, "host") == 0;
	struct mcu_room *room = mcu_engine_acquire(l->o.engine, meeting);
	int err;

	if (!room) {
		int status = 404;
		json_t *m = mcu_api_roster_meeting(l->o.roster, meeting,
		                                   &status);
		if (m)
			status = 503; /* known, not live */
		json_decref(m);
		snprintf(detail, len, status == 404 ? "no meeting %s"
		                                     : "meeting %s is not "
		                                       "under way",
		         meeting);
		return status;
	}
	err = mcu_room_view_jpeg(room, host, &out->data, &out->len);
	mcu_engine_release(l->o.engine, room);
	if (err == ENOENT) {
		snprintf(detail, len, "no picture of the %s view yet", role);
		return 503;
	}
	if (err) {
		snprintf(detail, len, "cannot encode the %s view: %s", role,
		         strerror(err));
		return err == ENOMEM ? 503 : 500;
	}
	out->content_type = "image/jpeg";
	return 200;
}

/* ---- metrics ------------------------------------------------------ */

static void set_gauge(struct mcu_metric_family *f, const char *const *v,
                      size_t n, double value)
{
	struct mcu_metric *s = mcu_metric_get(f, v, n);
	if (s) {
		mcu_metric_set(s, value);
		mcu_metric_put(s);
	}
}

/* Counters are kept equal to the engine's totals by adding the rise. */
static void set_counter(struct mcu_metric_family *f, const char *const *v,
                        size_t n, double total)
{
	struct mcu_metric *s = mcu_metric_get(f, v, n);
	if (s) {
		double rise = total - mcu_metric_value(s);
		if (rise > 0)
			mcu_metric_add(s, rise);
		mcu_metric_put(s);
	}
}

static void collect_part(struct mcu_api_live *l, const char *mid,
                         const struct mcu_room_part *p)
{
	const struct mcu_leg_stats *s = &p->leg;
	const char *vin[] = {mid, p->endpoint, "video"};
	const char *ain[] = {mid, p->endpoint, "audio"};
	const char *ep[] = {mid, p->endpoint};
	const char *din[] = {mid, p->endpoint, "in"};
	const char *dout[] = {mid, p->endpoint, "out"};
	const char *vbin[] = {mid, p->endpoint, "video", "in"};
	const char *vbout[] = {mid, p->endpoint, "video", "out"};
	struct mcu_metrics_engine *m = &l->m;

	set_counter(m->packets_received, vin, 3, (double)s->vin.packets);
	set_counter(m->packets_received, ain, 3, (double)s->ain.packets);
	set_counter(m->packets_sent, vin, 3, (double)s->vout.packets);
	set_counter(m->packets_sent, ain, 3, (double)s->aout.packets);
	set_counter(m->packets_lost, vin, 3, (double)s->vin.lost);
	set_counter(m->packets_lost, ain, 3, (double)s->ain.lost);
	if (s->srtp || s->srtp_auth_failures || s->srtp_replays) {
		const char *auth[] = {mid, p->endpoint, "auth"};
		const char *replay[] = {mid, p->endpoint, "replay"};
		set_counter(m->srtp_rejected, auth, 3,
		            (double)s->srtp_auth_failures);
		set_counter(m->srtp_rejected, replay, 3,
		            (double)s->srtp_replays);
	}
	if (s->vin.rejected || s->ain.rejected) {
		const char *vr[] = {mid, p->endpoint, "video", "source"};
		const char *ar[] = {mid, p->endpoint, "audio", "source"};
		set_counter(m->rejected, vr, 4, (double)s->vin.rejected);
		set_counter(m->rejected, ar, 4, (double)s->ain.rejected);
	}
	set_gauge(m->jitter, vin, 3, s->vin.jitter_ms / 1000);
	set_gauge(m->jitter, ain, 3, s->ain.jitter_ms / 1000);
	if (s->rtt_ms >= 0)
		set_gauge(m->rtt, ep, 2, s->rtt_ms / 1000);
	set_gauge(m->audio_level, ep, 2, p->level_dbov);
	set_gauge(m->fps, din, 3, s->vin.fps);
	set_gauge(m->fps, dout, 3, s->vout.fps);
	set_gauge(m->bitrate, vbin, 4, (double)s->vin.bitrate_bps / 8);
	set_gauge(m->bitrate, vbout, 4, (double)s->vout.bitrate_bps / 8);
}

static void collect(void *arg)
{
	struct mcu_api_live *l = arg;
	struct mcu_room_part *p = malloc(sizeof(*p));
	int status;
	json_t *meetings = mcu_api_roster_meetings(l->o.roster, &status);
	size_t i;
	json_t *mj;

	json_array_foreach(meetings, i, mj)
	{
		const char *id = json_string_value(json_object_get(mj, "id"));
		struct mcu_room *room = id ? mcu_engine_acquire(l->o.engine, id)
		                           : NULL;
		if (!room)
			continue;
		struct mcu_room_stats st;
		const char *mid[] = {id};
		const char *conn[] = {id, "connected"};
		mcu_room_stats(room, &st);
		set_gauge(l->m.meeting_participants, conn, 2,
		          (double)st.connected);
		set_gauge(l->m.meeting_encoders, mid, 1,
		          (double)(st.encoders + st.audio_encoders));
		set_gauge(l->m.meeting_decoders, mid, 1, (double)st.decoders);
		for (size_t k = 0; p && k < mcu_room_slots(room); k++)
			if (mcu_room_part(room, (long)k, p) && p->has_leg)
				collect_part(l, id, p);
		mcu_engine_release(l->o.engine, room);
	}
	json_decref(meetings);
	free(p);
}

int mcu_api_live_alloc(struct mcu_api_live **lp,
                       const struct mcu_api_live_opts *opts)
{
	struct mcu_api_live *l;
	if (!lp || !opts || !opts->roster || !opts->engine)
		return EINVAL;
	l = calloc(1, sizeof(*l));
	if (!l)
		return ENOMEM;
	l->o = *opts;
	if (opts->metrics &&
	    mcu_metrics_register_engine(opts->metrics, &l->m) == 0) {
		mcu_metrics_on_collect(opts->metrics, collect, l);
		mcu_limits_metrics_register(opts->metrics);
	}
	*lp = l;
	return 0;
}

struct mcu_api_live *mcu_api_live_free(struct mcu_api_live *l)
{
	free(l);
	return NULL;
}

static json_t *live_health(void *arg)
{
	struct mcu_api_live *l = arg;
	return mcu_api_roster_health(l->o.roster);
}

static json_t *live_endpoints(void *arg, int *status)
{
	struct mcu_api_live *l = arg;
	return mcu_api_roster_endpoints(l->o.roster, status);
}

struct mcu_api_backend mcu_api_live_backend(struct mcu_api_live *l)
{
	struct mcu_api_backend b = mcu_api_roster_backend(l->o.roster);
	b.arg = l;
	b.meetings = live_meetings;
	b.meeting = live_meeting;
	b.participants = live_participants;
	b.action = live_action;
	b.logbook = live_logbook;
	b.health = live_health;
	b.endpoints = live_endpoints;
	b.view_jpeg = live_view_jpeg;
	return b;
}
