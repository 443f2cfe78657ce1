/*
 * Why it works this way:
 *
 * A leg (mcu/leg) owns two UDP sockets and knows RTP, RTCP, SRTP, jitter
 * buffers and codecs; WebRTC adds ICE, DTLS and BUNDLE in front of it.
 * Rather than teach the leg a second transport, a session relays between
 * the ICE socket and the leg over two loopback sockets of its own (one
 * for the video stream, one for audio). The leg does the SRTP with the
 * keys DTLS exported, exactly as for SDES, so the relay never sees clear
 * media and a packet injected on loopback fails the leg's authentication.
 * The cost is one extra loopback datagram per packet, which is nothing
 * next to decoding for the few browser endpoints a meeting has.
 *
 * Lifetime: the table holds one reference to a session; a deferred end
 * (from a handler on the ICE thread) holds another. session_end() takes
 * the session out of the table exactly once and tears it down; the ICE
 * agent is freed first, after which none of the session's handlers can
 * run.
 */
#define MCU_LOG_MODULE "webrtc"
#include "mcu/webrtc.h"
#include "conf/log.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/rand.h>

#include "mcu/leg.h"
#include "mcu/room.h"
#include "mcu/sipcalls_internal.h"
#include "mcu/webrtc_token.h"
#include "transport/be.h"
#include "transport/dtls.h"
#include "transport/ice.h"
#include "transport/sdp.h"

#define MAX_SESSIONS     64
#define RESOURCE_LEN     32
#define HANDSHAKE_US     (30 * 1000000LL) /* ICE + DTLS must finish */
#define TOKEN_FILE_MAX   512
#define MEDIA_TIMEOUT_US (30 * 1000000LL) /* then the browser is gone */

struct session {
	int refs; /* atomic */
	struct mcu_webrtc *w;
	char id[RESOURCE_LEN + 1];
	char meeting[MCU_WEBRTC_ID_MAX + 1];
	char endpoint[MCU_WEBRTC_ID_MAX + 1];
	char bearer[MCU_WEBRTC_TOKEN_SIZE + TOKEN_FILE_MAX];
	int64_t started_us;

	struct mcu_ice *ice;
	struct mcu_dtls *dtls; /* ICE thread */
	struct mcu_leg_params p;
	int vfd, afd; /* relay sockets (loopback) */
	uint8_t video_pt, audio_pt;
	int te_pt;           /* -1: none */
	uint32_t audio_ssrc; /* ICE thread */
	bool audio_ssrc_known;
	bool attached; /* ICE thread, then end */
	uint16_t leg_vport, leg_aport;
	bool ending; /* atomic */
	/* ICE thread: datagrams relayed each way, and sends refused. */
	uint64_t n_in, n_out, n_out_err;
	int64_t last_in_us; /* ICE thread: the latest datagram from ICE */
	int64_t last_check_us;
};

struct mcu_webrtc {
	struct mcu_webrtc_opts o;
	struct mcu_dtls_cert *cert;
	struct mcu_ice_ctx *ice;
	struct mcu_webrtc_links *links;
	pthread_mutex_t lock;
	struct session *sessions[MAX_SESSIONS]; /* lock */
};

static int64_t now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void session_put(struct session *s)
{
	if (!s || __atomic_sub_fetch(&s->refs, 1, __ATOMIC_ACQ_REL) > 0)
		return;
	explicit_bzero(&s->p, sizeof(s->p));
	explicit_bzero(s->bearer, sizeof(s->bearer));
	free(s);
}

/* ---- teardown ---------------------------------------------------------- */

/* Take the leg out of its slot, if the slot still holds our leg (a SIP
   call or a newer session may have replaced it). */
static void detach(struct session *s)
{
	struct mcu_room *room;
	uint16_t v = 0, a = 0;
	if (!s->attached)
		return;
	room = mcu_engine_acquire(s->w->o.engine, s->meeting);
	if (!room)
		return;
	long slot = mcu_room_slot(room, s->endpoint);
	if (slot >= 0) {
		mcu_room_local_ports(room, slot, &v, &a);
		if (v == s->leg_vport && a == s->leg_aport)
			mcu_room_detach(room, slot, MCU_PART_DISCONNECTED);
	}
	mcu_engine_release(s->w->o.engine, room);
}

static void session_end(struct session *s, const char *why)
{
	struct mcu_webrtc *w = s->w;
	bool mine = false;
	pthread_mutex_lock(&w->lock);
	for (size_t i = 0; i < MAX_SESSIONS; i++)
		if (w->sessions[i] == s) {
			w->sessions[i] = NULL;
			mine = true;
		}
	pthread_mutex_unlock(&w->lock);
	if (!mine)
		return;
	__atomic_store_n(&s->ending, true, __ATOMIC_RELEASE);
	s->ice = mcu_ice_free(s->ice); /* no handler runs after this */
	s->dtls = mcu_dtls_free(s->dtls);
	detach(s);
	if (s->vfd >= 0)
		close(s->vfd);
	if (s->afd >= 0)
		close(s->afd);
	s->vfd = s->afd = -1;
	mcu_log_info("%s: %s: WebRTC session %.8s ends: %s (relayed %llu "
	             "in, %llu out, %llu not sent)",
	             s->meeting, s->endpoint, s->id, why,
	             (unsigned long long)s->n_in, (unsigned long long)s->n_out,
	             (unsigned long long)s->n_out_err);
	session_put(s); /* the table's reference */
}

struct deferred_end {
	struct session *s;
	const char *why;
};

static void end_deferred(void *arg)
{
	struct deferred_end *d = arg;
	session_end(d->s, d->why);
	session_put(d->s);
	free(d);
}

/* From a handler on the ICE thread. */
static void end_later(struct session *s, const char *why)
{
	struct deferred_end *d;
	if (__atomic_exchange_n(&s->ending, true, __ATOMIC_ACQ_REL))
		return;
	d = malloc(sizeof(*d));
	if (!d)
		return; /* the handshake timer or DELETE ends it */
	d->s = s;
	d->why = why;
	__atomic_add_fetch(&s->refs, 1, __ATOMIC_ACQ_REL);
	if (mcu_ice_defer(s->w->ice, end_deferred, d)) {
		session_put(s);
		free(d);
	}
}

/* ---- the relay --------------------------------------------------------- */

static void dtls_send(void *arg, const uint8_t *buf, size_t len)
{
	struct session *s = arg;
	if (s->ice)
		mcu_ice_send(s->ice, buf, len);
}

static int bind_loopback(uint16_t *port)
{
	struct sockaddr_in sa = {.sin_family = AF_INET};
	socklen_t sl = sizeof(sa);
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) ||
	    getsockname(fd, (struct sockaddr *)&sa, &sl)) {
		close(fd);
		return -1;
	}
	*port = ntohs(sa.sin_port);
	return fd;
}

static int connect_loopback(int fd, uint16_t port)
{
	struct sockaddr_in sa = {.sin_family = AF_INET,
	                         .sin_port = htons(port)};
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	return connect(fd, (struct sockaddr *)&sa, sizeof(sa)) ? errno : 0;
}

/* What the leg sends: out on the selected ICE pair. */
static void relay_out(void *arg, int fd)
{
	struct session *s = arg;
	uint8_t buf[2048];
	for (int i = 0; i < 64; i++) {
		ssize_t n = recv(fd, buf, sizeof(buf), 0);
		if (n <= 0)
			break;
		if (s->ice && mcu_ice_send(s->ice, buf, (size_t)n) == 0)
			s->n_out++;
		else
			s->n_out_err++;
	}
}

static void media_in(struct session *s, const uint8_t *buf, size_t len,
                     bool rtcp)
{
	int fd = -1;
	if (!s->attached)
		return; /* keys not there yet: nothing could verify it */
	if (rtcp) {
		/* Sender SSRC (clear in SRTCP): the audio sender's reports
		   go to the audio leg, the rest (video reports, PLI, NACK)
		   to the video one. */
		uint32_t ssrc = mcu_be_rd32(buf + 4);
		fd = s->audio_ssrc_known && ssrc == s->audio_ssrc ? s->afd
		                                                  : s->vfd;
		if (!s->p.has_video)
			fd = s->afd;
	} else {
		uint8_t pt = buf[1] & 0x7f;
		if (s->p.has_video && pt == s->video_pt) {
			fd = s->vfd;
		} else if (s->p.has_audio &&
		           (pt == s->audio_pt || (int)pt == s->te_pt)) {
			fd = s->afd;
			if (!s->audio_ssrc_known) {
				s->audio_ssrc = mcu_be_rd32(buf + 8);
				s->audio_ssrc_known = true;
			}
		}
	}
	if (fd >= 0 && send(fd, buf, len, MSG_DONTWAIT) > 0)
		s->n_in++;
}

static void attach(struct session *s)
{
	struct mcu_room *room;
	enum mcu_srtp_suite suite;
	uint8_t tx[MCU_SRTP_KEY_MAX], rx[MCU_SRTP_KEY_MAX];
	int err;

	err = mcu_dtls_srtp_keys(s->dtls, &suite, tx, rx);
	if (err) {
		end_later(s, "no SRTP keys from DTLS");
		return;
	}
	struct mcu_leg_srtp k = {.suite = suite};
	memcpy(k.tx_key, tx, sizeof(tx));
	memcpy(k.rx_key, rx, sizeof(rx));
	explicit_bzero(tx, sizeof(tx));
	explicit_bzero(rx, sizeof(rx));
	if (s->p.has_video)
		s->p.video_srtp = k;
	if (s->p.has_audio)
		s->p.audio_srtp = k;
	explicit_bzero(&k, sizeof(k));
	room = mcu_engine_acquire(s->w->o.engine, s->meeting);
	if (!room) {
		end_later(s, "the meeting is no longer live");
		return;
	}
	long slot = mcu_room_slot(room, s->endpoint);
	err = slot < 0 ? ENOENT : 0;
	if (!err) {
		s->p.id = (uint32_t)slot + 1;
		err = mcu_room_attach(room, slot, &s->p);
	}
	if (!err)
		mcu_room_local_ports(room, slot, &s->leg_vport, &s->leg_aport);
	mcu_engine_release(s->w->o.engine, room);
	explicit_bzero(&s->p.video_srtp, sizeof(s->p.video_srtp));
	explicit_bzero(&s->p.audio_srtp, sizeof(s->p.audio_srtp));
	if (err) {
		mcu_log_warn("%s: %s: cannot attach the WebRTC leg: %s",
		             s->meeting, s->endpoint, strerror(err));
		end_later(s, "no leg");
		return;
	}
	s->attached = true;
	if ((s->p.has_video && connect_loopback(s->vfd, s->leg_vport)) ||
	    (s->p.has_audio && connect_loopback(s->afd, s->leg_aport)) ||
	    (s->p.has_video &&
	     mcu_ice_watch_fd(s->ice, s->vfd, relay_out, s)) ||
	    (s->p.has_audio &&
	     mcu_ice_watch_fd(s->ice, s->afd, relay_out, s))) {
		end_later(s, "cannot relay to the leg");
		return;
	}
	mcu_log_info("%s: %s joins by WebRTC (%s%s%s, %s)", s->meeting,
	             s->endpoint,
	             s->p.has_video ? mcu_vcodec_name(s->p.vcodec) : "",
	             s->p.has_video && s->p.has_audio ? "+" : "",
	             s->p.has_audio ? mcu_acodec_name(s->p.acodec) : "",
	             mcu_srtp_suite_name(suite));
}

/* A datagram from the validated ICE peer (ICE thread). */
static void ice_recv(void *arg, uint8_t *buf, size_t len)
{
	struct session *s = arg;
	if (__atomic_load_n(&s->ending, __ATOMIC_ACQUIRE))
		return;
	s->last_in_us = now_us();
	switch (mcu_demux_classify(buf, len)) {
	case MCU_DEMUX_DTLS: {
		enum mcu_dtls_state before = mcu_dtls_state(s->dtls);
		enum mcu_dtls_state st = mcu_dtls_input(s->dtls, buf, len);
		if (st == MCU_DTLS_CONNECTED && before == MCU_DTLS_HANDSHAKE)
			attach(s);
		else if (st == MCU_DTLS_FAILED) {
			mcu_log_warn("%s: %s: DTLS: %s", s->meeting,
			             s->endpoint, mcu_dtls_error(s->dtls));
			end_later(s, "DTLS failed");
		} else if (st == MCU_DTLS_CLOSED)
			end_later(s, "the browser closed DTLS");
		break;
	}
	case MCU_DEMUX_RTP:
		media_in(s, buf, len, false);
		break;
	case MCU_DEMUX_RTCP:
		media_in(s, buf, len, true);
		break;
	default:
		break;
	}
}

static void ice_state(void *arg, enum mcu_ice_state st)
{
	struct session *s = arg;
	if (st == MCU_ICE_FAILED)
		end_later(s, "ICE failed");
}

/* Every 100 ms on the ICE thread. */
static void tick(void *arg)
{
	struct session *s = arg;
	int64_t now = now_us();
	if (__atomic_load_n(&s->ending, __ATOMIC_ACQUIRE))
		return;
	if (mcu_dtls_state(s->dtls) == MCU_DTLS_HANDSHAKE) {
		if (mcu_dtls_poll(s->dtls) == MCU_DTLS_FAILED)
			end_later(s, "DTLS timed out");
		else if (now - s->started_us > HANDSHAKE_US)
			end_later(s, "ICE/DTLS did not finish in 30 s");
		return;
	}
	if (s->attached && now - s->last_in_us > MEDIA_TIMEOUT_US) {
		end_later(s, "nothing from the browser for 30 s");
		return;
	}
	if (s->attached && now - s->last_check_us > 1000000) {
		s->last_check_us = now;
		struct mcu_room *room =
		    mcu_engine_acquire(s->w->o.engine, s->meeting);
		if (!room) {
			end_later(s, "the meeting ended");
			return;
		}
		mcu_engine_release(s->w->o.engine, room);
	}
}

/* ---- tokens ------------------------------------------------------------ */

/* Read the first line of a token file into buf. 0 or an errno. */
static int read_token_file(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "re");
	if (!f)
		return errno;
	bool ok = fgets(buf, (int)len, f) != NULL;
	fclose(f);
	if (!ok)
		return EINVAL;
	buf[strcspn(buf, "\r\n")] = '\0';
	return buf[0] ? 0 : EINVAL;
}

/* Who a bearer token lets in to `meeting`: 0 with the endpoint, 401
   (none), 403 (unknown, used, expired, or for another meeting). A link
   is used up only when `take`. */
static int authorize(struct mcu_webrtc *w, const struct mcu_conf *conf,
                     const char *meeting, const char *bearer, bool take,
                     char endpoint[MCU_WEBRTC_ID_MAX + 1])
{
	char m[MCU_WEBRTC_ID_MAX + 1];
	if (!bearer || !*bearer)
		return 401;
	if (mcu_webrtc_links_find(w->links, bearer, now_us(), false, m,
	                          endpoint, NULL) == 0) {
		if (strcmp(m, meeting) != 0)
			return 403;
		if (take && mcu_webrtc_links_find(w->links, bearer, now_us(),
		                                  true, m, endpoint, NULL))
			return 403; /* a racing request used it */
		return 0;
	}
	/* Per-endpoint tokens of the meeting's endpoints. */
	long mi = mcu_conf_meeting_index(conf, meeting);
	if (mi < 0)
		return 403;
	const struct mcu_conf_meeting *mt = &conf->meetings[mi];
	for (size_t i = 0; i <= mt->n_branches; i++) {
		size_t ei =
		    i < mt->n_branches ? mt->branches[i] : mt->host_index;
		const struct mcu_conf_endpoint *ep = &conf->endpoints[ei];
		char want[TOKEN_FILE_MAX];
		if (!ep->webrtc_token_file ||
		    read_token_file(ep->webrtc_token_file, want, sizeof(want)))
			continue;
		bool eq = mcu_webrtc_token_equal(want, bearer);
		explicit_bzero(want, sizeof(want));
		if (eq) {
			snprintf(endpoint, MCU_WEBRTC_ID_MAX + 1, "%s", ep->id);
			return 0;
		}
	}
	return 403;
}

/* ---- offer ------------------------------------------------------------- */

/* Our answer with, after each a=setup line, the candidates and our SSRC
   of that m-line (a browser demultiplexes BUNDLE by SSRC: the leg sends
   no MID header extension). */
static char *add_candidates(const char *answer, char (*cands)[MCU_ICE_LINE],
                            size_t n, uint32_t vssrc, uint32_t assrc)
{
	size_t extra = 256, len = strlen(answer), k = 0;
	for (size_t i = 0; i < n; i++)
		extra += strlen(cands[i]) + 16;
	for (const char *p = answer; (p = strstr(p, "a=setup:")); p++)
		k++;
	char *out = malloc(len + k * extra + 1);
	if (!out)
		return NULL;
	char *o = out;
	bool video = false;
	for (const char *p = answer; *p;) {
		const char *eol = strstr(p, "\r\n");
		size_t ln = eol ? (size_t)(eol - p) + 2 : strlen(p);
		if (strncmp(p, "m=", 2) == 0)
			video = strncmp(p, "m=video", 7) == 0;
		memcpy(o, p, ln);
		o += ln;
		if (eol && strncmp(p, "a=setup:", 8) == 0) {
			const char *kind = video ? "video" : "audio";
			uint32_t ssrc = video ? vssrc : assrc;
			for (size_t i = 0; i < n; i++)
				o += sprintf(o, "a=%s\r\n", cands[i]);
			o += sprintf(o,
			             "a=end-of-candidates\r\n"
			             "a=msid:mcud mcud-%s\r\n"
			             "a=ssrc:%u cname:mcud\r\n"
			             "a=ssrc:%u msid:mcud mcud-%s\r\n",
			             kind, ssrc, ssrc, kind);
		}
		p += ln;
	}
	*o = '\0';
	return out;
}

static uint32_t random_ssrc(uint32_t other)
{
	uint32_t v = 0;
	while (v == 0 || v == other)
		if (RAND_bytes((uint8_t *)&v, sizeof(v)) != 1)
			v = (uint32_t)now_us() ^ 0x5a5a5a5au;
	return v;
}

static struct session *session_new(struct mcu_webrtc *w)
{
	struct session *s = calloc(1, sizeof(*s));
	uint8_t raw[RESOURCE_LEN / 2];
	if (!s)
		return NULL;
	s->refs = 1;
	s->w = w;
	s->vfd = s->afd = -1;
	s->te_pt = -1;
	if (RAND_bytes(raw, sizeof(raw)) != 1) {
		free(s);
		return NULL;
	}
	for (size_t i = 0; i < sizeof(raw); i++)
		snprintf(s->id + 2 * i, 3, "%02x", raw[i]);
	return s;
}

/* The first accepted m-line's value, else the session's. */
static const char *pick(const char *media, const char *sess)
{
	return media && *media ? media : sess;
}

/* The endpoint's codecs, in the order the browser listed them (its own
   preference, e.g. after setCodecPreferences), then the rest. */
static void prefer_offer_order(struct mcu_sdp_caps *caps,
                               const struct mcu_sdp_session *o)
{
	enum mcu_sdp_codec out[MCU_SDP_CODEC_COUNT];
	size_t n = 0;
	for (size_t i = 0; i < o->n_media; i++) {
		const struct mcu_sdp_media *m = &o->media[i];
		for (size_t f = 0; f < m->n_fmts; f++) {
			enum mcu_sdp_codec c =
			    mcu_sdp_codec_from_name(m->fmts[f].name);
			bool ours = false, have = false;
			for (size_t k = 0; k < caps->n_codecs; k++)
				ours |= caps->codecs[k] == c;
			for (size_t k = 0; k < n; k++)
				have |= out[k] == c;
			if (ours && !have && n < MCU_SDP_CODEC_COUNT)
				out[n++] = c;
		}
	}
	for (size_t k = 0; k < caps->n_codecs; k++) {
		bool have = false;
		for (size_t j = 0; j < n; j++)
			have |= out[j] == caps->codecs[k];
		if (!have && n < MCU_SDP_CODEC_COUNT)
			out[n++] = caps->codecs[k];
	}
	memcpy(caps->codecs, out, n * sizeof(out[0]));
	caps->n_codecs = n;
}

static int offer(void *arg, const char *meeting, const char *bearer,
                 const char *sdp, size_t len, char **answerp, char *res,
                 size_t reslen, char *detail, size_t dlen)
{
	struct mcu_webrtc *w = arg;
	struct mcu_snapshot *snap = w->o.snapshot(w->o.arg);
	const struct mcu_conf *conf = snap->conf;
	struct mcu_sdp_session *o = NULL;
	struct session *s = NULL;
	char ep_id[MCU_WEBRTC_ID_MAX + 1], *answer = NULL;
	char ufrag[MCU_ICE_CRED], pwd[MCU_ICE_CRED], addr[64];
	char cands[MCU_ICE_MAX_CANDIDATES][MCU_ICE_LINE];
	struct mcu_sdp_neg neg;
	uint16_t port = 0;
	int status, err;

	*answerp = NULL;
	status = authorize(w, conf, meeting, bearer, false, ep_id);
	if (status) {
		snprintf(detail, dlen,
		         status == 401 ? "Authorization: Bearer <join "
		                         "token> required"
		                       : "the token does not open this "
		                         "meeting");
		goto out;
	}
	long ei = mcu_conf_endpoint_index(conf, ep_id);
	struct mcu_room *room = mcu_engine_acquire(w->o.engine, meeting);
	long slot = room ? mcu_room_slot(room, ep_id) : -1;
	if (room)
		mcu_engine_release(w->o.engine, room);
	if (!room || slot < 0 || ei < 0) {
		status = 409;
		snprintf(detail, dlen,
		         !room ? "meeting %s is not under way"
		               : "%s is not in meeting %s",
		         !room ? meeting : ep_id, meeting);
		goto out;
	}
	const struct mcu_conf_endpoint *ep = &conf->endpoints[ei];
	status = 400;
	if (mcu_sdp_parse(&o, sdp, len)) {
		snprintf(detail, dlen, "the offer is not valid SDP");
		goto out;
	}
	/* Which m-lines we take, and their transport parameters. */
	const struct mcu_sdp_media *first = NULL;
	size_t n_rtp = 0;
	for (size_t i = 0; i < o->n_media; i++) {
		const struct mcu_sdp_media *m = &o->media[i];
		if (m->kind == MCU_SDP_OTHER || m->port == 0)
			continue;
		if (strcmp(m->proto, "UDP/TLS/RTP/SAVPF") != 0) {
			snprintf(detail, dlen,
			         "m=%s: %s, not UDP/TLS/RTP/SAVPF", m->media,
			         m->proto);
			goto out;
		}
		if (!first)
			first = m;
		n_rtp++;
	}
	if (!first) {
		snprintf(detail, dlen, "no audio or video in the offer");
		goto out;
	}
	if (n_rtp > 1 && o->n_bundle == 0) {
		snprintf(detail, dlen, "several streams need a=group:BUNDLE");
		goto out;
	}
	const char *rufrag = pick(first->ice_ufrag, o->ice_ufrag);
	const char *rpwd = pick(first->ice_pwd, o->ice_pwd);
	const char *rfp = pick(first->fingerprint, o->fingerprint);
	const char *rsetup = pick(first->setup, o->setup);
	uint8_t dg[MCU_DTLS_DIGEST_LEN];
	if (!*rufrag || !*rpwd || mcu_dtls_fingerprint_parse(rfp, dg)) {
		snprintf(detail, dlen,
		         "the offer needs a=ice-ufrag, a=ice-pwd "
		         "and an a=fingerprint:sha-256");
		goto out;
	}
	bool server = strcmp(rsetup, "passive") != 0;

	s = session_new(w);
	status = 500;
	if (!s) {
		snprintf(detail, dlen, "no memory");
		goto out;
	}
	snprintf(s->meeting, sizeof(s->meeting), "%s", meeting);
	snprintf(s->endpoint, sizeof(s->endpoint), "%s", ep_id);
	snprintf(s->bearer, sizeof(s->bearer), "%s", bearer);
	s->started_us = now_us();
	struct mcu_ice_handlers ih = {
	    .recv = ice_recv, .state = ice_state, .arg = s};
	struct mcu_ice_opts io = {
	    .addresses = (const char *const *)conf->webrtc_addresses,
	    .n_addresses = conf->n_webrtc_addresses,
	    .port_min = conf->rtp_port_min,
	    .port_max = conf->rtp_port_max,
	};
	err = mcu_ice_alloc(&s->ice, w->ice, &io, &ih);
	size_t nc = err ? 0
	                : mcu_ice_local_candidates(s->ice, cands,
	                                           MCU_ICE_MAX_CANDIDATES, addr,
	                                           sizeof(addr), &port);
	if (err || nc == 0 ||
	    mcu_ice_local_credentials(s->ice, ufrag, sizeof(ufrag), pwd,
	                              sizeof(pwd))) {
		status = 503;
		snprintf(detail, dlen,
		         "no ICE candidate (mcu.webrtc.addresses)");
		goto out;
	}

	struct mcu_sdp_caps caps;
	mcu_sipcalls_caps(ep, &caps);
	caps.srtp = MCU_SDP_SRTP_OFF;
	caps.telephone_event = false;
	prefer_offer_order(&caps, o);
	struct mcu_sdp_local loc = {
	    .addr = addr,
	    .audio_port = port,
	    .video_port = port,
	    .sess_id = (uint64_t)time(NULL),
	    .sess_version = 1,
	    .ice_ufrag = ufrag,
	    .ice_pwd = pwd,
	    .fingerprint = mcu_dtls_cert_fingerprint(w->cert),
	    .setup = server ? "passive" : "active",
	};
	err = mcu_sdp_answer(o, &caps, &loc, &neg, &answer);
	if (err) {
		status = err == EPROTONOSUPPORT ? 406 : 400;
		snprintf(detail, dlen, "%s",
		         err == EPROTONOSUPPORT ? "no codec in common (VP8, "
		                                  "H.264, Opus)"
		                                : "cannot answer the offer");
		goto out;
	}
	/* The leg sends to and receives from our relay sockets. */
	uint16_t bv = 0, ba = 0;
	s->vfd = bind_loopback(&bv);
	s->afd = bind_loopback(&ba);
	if (s->vfd < 0 || s->afd < 0) {
		snprintf(detail, dlen, "no relay socket");
		goto out;
	}
	struct mcu_sdp_neg ln = neg;
	snprintf(ln.video.addr, sizeof(ln.video.addr), "127.0.0.1");
	snprintf(ln.audio.addr, sizeof(ln.audio.addr), "127.0.0.1");
	ln.video.port = ln.video.rtcp_port = bv;
	ln.audio.port = ln.audio.rtcp_port = ba;
	ln.video.rtcp_mux = ln.audio.rtcp_mux = true;
	err = mcu_sipcalls_leg_params(conf, ep, &ln, "127.0.0.1", 0, 0, &s->p);
	if (err) {
		status = 406;
		snprintf(detail, dlen, "no usable stream");
		goto out;
	}
	s->p.label = NULL; /* the snapshot's string: not kept */
	s->p.rtcp_mux = true;
	s->p.webrtc = true; /* the API shows "signalling": "webrtc" */
	s->video_pt = s->p.video_pt;
	s->audio_pt = s->p.audio_pt;
	s->te_pt = s->p.dtmf_pt ? s->p.dtmf_pt : -1;
	err = mcu_dtls_alloc(&s->dtls, w->cert, server, rfp, dtls_send, s);
	if (err) {
		snprintf(detail, dlen, "cannot set up DTLS");
		goto out;
	}
	s->p.video_ssrc = random_ssrc(0);
	s->p.audio_ssrc = random_ssrc(s->p.video_ssrc);
	char *full =
	    add_candidates(answer, cands, nc, s->p.video_ssrc, s->p.audio_ssrc);
	if (!full) {
		snprintf(detail, dlen, "no memory");
		goto out;
	}
	free(answer);
	answer = full;

	/* The one-time link is used now; an older session of the endpoint
	   in this meeting gives way (a reloaded page). */
	if (authorize(w, conf, meeting, bearer, true, ep_id) != 0) {
		status = 403;
		snprintf(detail, dlen, "the token was used meanwhile");
		goto out;
	}
	struct session *old = NULL;
	bool placed = false;
	pthread_mutex_lock(&w->lock);
	for (size_t i = 0; i < MAX_SESSIONS; i++) {
		struct session *x = w->sessions[i];
		if (x && !old && !strcmp(x->meeting, meeting) &&
		    !strcmp(x->endpoint, ep_id)) {
			old = x;
			__atomic_add_fetch(&old->refs, 1, __ATOMIC_ACQ_REL);
		}
	}
	for (size_t i = 0; i < MAX_SESSIONS && !placed; i++)
		if (!w->sessions[i]) {
			w->sessions[i] = s;
			placed = true;
		}
	pthread_mutex_unlock(&w->lock);
	if (old) {
		session_end(old, "replaced by a new session");
		session_put(old);
	}
	if (!placed) {
		status = 503;
		snprintf(detail, dlen, "too many WebRTC sessions");
		goto out;
	}
	/* Remote ICE last: checks start, handlers may run from now on. */
	const char *rc[MCU_SDP_MAX_CANDIDATES];
	size_t nrc = 0;
	for (size_t i = 0; i < first->n_candidates; i++)
		rc[nrc++] = first->candidates[i];
	if (mcu_ice_set_remote(s->ice, rufrag, rpwd, rc, nrc) ||
	    mcu_ice_timer(s->ice, 100, tick, s)) {
		session_end(s, "cannot start ICE");
		s = NULL;
		snprintf(detail, dlen, "cannot start ICE");
		status = 500;
		goto out;
	}
	snprintf(res, reslen, "%s", s->id);
	mcu_log_info("%s: %s: WebRTC session %.8s answered (%zu candidates, "
	             "DTLS %s)",
	             meeting, ep_id, s->id, nc, server ? "server" : "client");
	*answerp = answer;
	answer = NULL;
	s = NULL;
	status = 201;
out:
	if (s) {
		s->ice = mcu_ice_free(s->ice);
		s->dtls = mcu_dtls_free(s->dtls);
		if (s->vfd >= 0)
			close(s->vfd);
		if (s->afd >= 0)
			close(s->afd);
		session_put(s);
	}
	explicit_bzero(pwd, sizeof(pwd));
	free(answer);
	mcu_sdp_free(o);
	mcu_snapshot_put(snap);
	return status;
}

/* ---- the other hooks --------------------------------------------------- */

static int end(void *arg, const char *meeting, const char *resource,
               const char *bearer, char *detail, size_t dlen)
{
	struct mcu_webrtc *w = arg;
	struct session *s = NULL;
	bool wrong = false;
	pthread_mutex_lock(&w->lock);
	for (size_t i = 0; i < MAX_SESSIONS && !s; i++) {
		struct session *x = w->sessions[i];
		if (x && !strcmp(x->id, resource) &&
		    !strcmp(x->meeting, meeting)) {
			if (!bearer ||
			    !mcu_webrtc_token_equal(x->bearer, bearer))
				wrong = true;
			else {
				s = x;
				__atomic_add_fetch(&s->refs, 1,
				                   __ATOMIC_ACQ_REL);
			}
		}
	}
	pthread_mutex_unlock(&w->lock);
	if (wrong) {
		snprintf(detail, dlen, "the session's token is required");
		return bearer ? 403 : 401;
	}
	if (!s) {
		snprintf(detail, dlen, "no such WHIP session");
		return 404;
	}
	session_end(s, "DELETE");
	session_put(s);
	return 200;
}

static bool in_meeting(const struct mcu_conf *conf, long mi, long ei)
{
	const struct mcu_conf_meeting *m = &conf->meetings[mi];
	if (m->host_index == (size_t)ei)
		return true;
	for (size_t i = 0; i < m->n_branches; i++)
		if (m->branches[i] == (size_t)ei)
			return true;
	return false;
}

static int make_link(void *arg, const char *meeting, const char *endpoint,
                     json_t **result, char *detail, size_t dlen)
{
	struct mcu_webrtc *w = arg;
	struct mcu_snapshot *snap = w->o.snapshot(w->o.arg);
	const struct mcu_conf *conf = snap->conf;
	char token[MCU_WEBRTC_TOKEN_SIZE], url[64];
	long mi = mcu_conf_meeting_index(conf, meeting);
	long ei = mcu_conf_endpoint_index(conf, endpoint);
	bool member = mi >= 0 && ei >= 0 && in_meeting(conf, mi, ei);
	int64_t ttl = (int64_t)conf->webrtc_link_minutes * 60 * 1000000;
	int status = 201, err;

	if (!member) {
		/* An ad-hoc meeting lives only in its room. */
		struct mcu_room *room =
		    mcu_engine_acquire(w->o.engine, meeting);
		member = room && mcu_room_slot(room, endpoint) >= 0;
		if (room)
			mcu_engine_release(w->o.engine, room);
	}
	if (!member) {
		snprintf(detail, dlen, "%s is not an endpoint of meeting %s",
		         endpoint, meeting);
		status = 404;
		goto out;
	}
	err = mcu_webrtc_links_add(w->links, meeting, endpoint, now_us(), ttl,
	                           token);
	if (err) {
		snprintf(detail, dlen,
		         err == ENOSPC ? "too many open links"
		                       : "cannot make a link");
		status = err == ENOSPC ? 503 : 500;
		goto out;
	}
	snprintf(url, sizeof(url), "/join/%s", token);
	explicit_bzero(token, sizeof(token));
	time_t expires = time(NULL) + (time_t)(ttl / 1000000);
	struct tm tm;
	char iso[32];
	gmtime_r(&expires, &tm);
	strftime(iso, sizeof(iso), "%Y-%m-%dT%H:%M:%SZ", &tm);
	*result = json_pack("{s:s,s:s,s:s,s:s}", "url", url, "expires", iso,
	                    "meeting", meeting, "endpoint", endpoint);
	explicit_bzero(url, sizeof(url));
	mcu_log_info("%s: join link made for %s (expires %s)", meeting,
	             endpoint, iso);
out:
	mcu_snapshot_put(snap);
	return status;
}

static json_t *join_info(void *arg, const char *token, int *status)
{
	struct mcu_webrtc *w = arg;
	char meeting[MCU_WEBRTC_ID_MAX + 1], endpoint[MCU_WEBRTC_ID_MAX + 1];
	int64_t exp_us;
	if (mcu_webrtc_links_find(w->links, token, now_us(), false, meeting,
	                          endpoint, &exp_us)) {
		*status = 404;
		return NULL;
	}
	struct mcu_snapshot *snap = w->o.snapshot(w->o.arg);
	const struct mcu_conf *conf = snap->conf;
	long mi = mcu_conf_meeting_index(conf, meeting);
	long ei = mcu_conf_endpoint_index(conf, endpoint);
	json_t *j = json_pack(
	    "{s:s,s:s,s:s,s:s,s:I}", "meeting", meeting, "title",
	    mi >= 0 && conf->meetings[mi].title ? conf->meetings[mi].title
	                                        : meeting,
	    "endpoint", endpoint, "name",
	    ei >= 0 && conf->endpoints[ei].name ? conf->endpoints[ei].name
	                                        : endpoint,
	    "expires_in_s", (json_int_t)((exp_us - now_us()) / 1000000));
	mcu_snapshot_put(snap);
	*status = j ? 200 : 500;
	return j;
}

/* ---- life -------------------------------------------------------------- */

int mcu_webrtc_alloc(struct mcu_webrtc **wp, const struct mcu_webrtc_opts *o)
{
	struct mcu_webrtc *w;
	int err;
	if (!wp || !o || !o->engine || !o->snapshot)
		return EINVAL;
	w = calloc(1, sizeof(*w));
	if (!w)
		return ENOMEM;
	w->o = *o;
	pthread_mutex_init(&w->lock, NULL);
	err = mcu_srtp_init();
	if (!err)
		err = mcu_dtls_cert_alloc(&w->cert);
	if (!err)
		err = mcu_webrtc_links_alloc(&w->links);
	if (!err)
		err = mcu_ice_ctx_alloc(&w->ice);
	if (err) {
		mcu_webrtc_free(w);
		return err;
	}
	mcu_log_info("WebRTC: WHIP on the API listener, certificate %s",
	             mcu_dtls_cert_fingerprint(w->cert));
	*wp = w;
	return 0;
}

struct mcu_webrtc *mcu_webrtc_free(struct mcu_webrtc *w)
{
	if (!w)
		return NULL;
	for (;;) {
		struct session *s = NULL;
		pthread_mutex_lock(&w->lock);
		for (size_t i = 0; i < MAX_SESSIONS && !s; i++)
			if (w->sessions[i]) {
				s = w->sessions[i];
				__atomic_add_fetch(&s->refs, 1,
				                   __ATOMIC_ACQ_REL);
			}
		pthread_mutex_unlock(&w->lock);
		if (!s)
			break;
		session_end(s, "mcud stops");
		session_put(s);
	}
	/* Deferred ends still queued run (as no-ops) before the thread
	   stops: mcu_ice_ctx_free runs the loop to its quit. */
	w->ice = mcu_ice_ctx_free(w->ice);
	w->links = mcu_webrtc_links_free(w->links);
	w->cert = mcu_dtls_cert_free(w->cert);
	pthread_mutex_destroy(&w->lock);
	free(w);
	return NULL;
}

size_t mcu_webrtc_sessions(struct mcu_webrtc *w)
{
	size_t n = 0;
	pthread_mutex_lock(&w->lock);
	for (size_t i = 0; i < MAX_SESSIONS; i++)
		n += w->sessions[i] != NULL;
	pthread_mutex_unlock(&w->lock);
	return n;
}

struct mcu_api_whip mcu_webrtc_api(struct mcu_webrtc *w)
{
	struct mcu_api_whip a = {
	    .arg = w,
	    .offer = offer,
	    .end = end,
	    .link = make_link,
	    .join_info = join_info,
	};
	return a;
}
