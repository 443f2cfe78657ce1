/*
 * leg: the media of one participant: its RTP/RTCP sockets, what it sends
 * us (jitter buffers, depacketizers, the video decoder, the audio
 * decoder) and what we send it (per-leg SSRC, sequence numbers and
 * timestamps over packets that an encoder group made once, the NACK
 * history, RTCP reports).
 *
 * Threads: the receive side runs on the network I/O thread that owns the
 * leg's sockets; video decoding runs on the leg's serial queue on the
 * worker pool and only while the source is visible; the room's audio tick
 * pulls audio and its video tick reads the latest picture and sends. The
 * fields each thread touches are marked in leg.c.
 *
 * Owner: mcu/room.c creates one leg per connected participant; it stays
 * alive until mcu_leg_free(), which waits for the I/O thread and the
 * decoder to let go of it.
 */
#ifndef MCU_LEG_H
#define MCU_LEG_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <libavutil/frame.h>

#include "codec/media.h"
#include "mcu/workpool.h"
#include "transport/netio.h"
#include "transport/pkt.h"
#include "transport/srtp.h"

struct mcu_leg;
struct mcu_metric;

/* What the leg tells its room (called on the I/O thread; must not block). */
struct mcu_leg_handlers {
	void (*dtmf)(void *arg, uint32_t id, char key);
	void *arg;
	struct mcu_metric *decode_seconds; /* histogram, may be NULL */
};

struct mcu_leg_params {
	uint32_t id;       /* participant id, non-zero */
	const char *label; /* endpoint id, for logs */

	/* Local RTP addresses (RTCP on port + 1 unless rtcp_mux). A port of
	 * 0 takes a pair from [port_min, port_max]. */
	struct sockaddr_storage local_video, local_audio;
	uint16_t port_min, port_max;
	/* Sockets the caller already bound to local_video's and
	 * local_audio's ports (RTP, RTCP; <= 0: none), as a dial-out
	 * reserves them for its offer: the leg uses duplicates of them
	 * instead of binding those ports again, so that no other process
	 * can take a port in between. The caller still closes its own. */
	int video_fds[2], audio_fds[2];
	/* A fixed local port that another process holds may be replaced by
	 * a fresh pair from [port_min, port_max] (a re-INVITE's answer
	 * names the port mcu_leg_local_ports reports). */
	bool port_may_move;

	/* Where we send RTP (RTCP on port + 1 unless rtcp_mux). */
	struct sockaddr_storage remote_video, remote_audio;
	bool rtcp_mux;
	/* Where the remote's media must come from (RTP Bleed class,
	 * CVE-2017-14099: a source is never learnt from packets). Unset
	 * (family 0): exactly the remote address and port above, symmetric
	 * RTP (RFC 4961) as SIP and WebRTC legs send. Port 0: that host,
	 * any port (static legs without rtp.source). RTCP must come from
	 * port + 1, or from the same port with rtcp_mux. Anything else is
	 * dropped before it is parsed and counted (stats `rejected`). */
	struct sockaddr_storage source_video, source_audio;

	bool has_video;
	enum mcu_vcodec vcodec;
	uint8_t video_pt;
	int h264_mode; /* packetization-mode 0 or 1 */

	bool has_audio;
	enum mcu_acodec acodec;
	uint8_t audio_pt;
	uint8_t dtmf_pt; /* telephone-event payload type, 0: none */

	/* What the leg receives from us. */
	int out_width, out_height;
	int out_bitrate; /* bit/s */
	/* RTCP feedback the remote takes (SDP a=rtcp-fb): MCU_LEG_FB_*
	 * with MCU_LEG_FB_KNOWN; 0 (static legs: unknown) sends all. Key
	 * frames are asked with PLI and/or FIR as negotiated, with PLI when
	 * neither was; NACK only when negotiated. */
	unsigned feedback;
	/* The remote put us on hold (sendonly/inactive offer): we send no
	 * RTP, only RTCP, and still receive what it sends. */
	bool hold;
	/* The call came by WebRTC (WHIP), not SIP: only what the API
	   shows as its signalling depends on it. */
	bool webrtc;
	/* Our SSRCs when the signalling named them (WebRTC answers carry
	   a=ssrc so a browser can demultiplex BUNDLE); 0: random. */
	uint32_t video_ssrc, audio_ssrc;
	/* SDES-SRTP per stream (suite NONE: plain RTP): we protect with our
	 * key and unprotect with the remote's (secret: never logged, wiped
	 * when the leg is freed). A packet that fails authentication or the
	 * replay check is dropped and counted; it never ends the call. */
	struct mcu_leg_srtp {
		enum mcu_srtp_suite suite;
		uint8_t tx_key[MCU_SRTP_KEY_MAX]; /* ours */
		uint8_t rx_key[MCU_SRTP_KEY_MAX]; /* the remote's */
	} video_srtp, audio_srtp;
};

#define MCU_LEG_FB_NACK  0x1u
#define MCU_LEG_FB_PLI   0x2u
#define MCU_LEG_FB_FIR   0x4u
#define MCU_LEG_FB_KNOWN 0x80u

struct mcu_leg_stats {
	struct {
		uint64_t packets, bytes, lost, malformed;
		uint64_t rejected; /* RTP+RTCP from a wrong source, dropped */
		double jitter_ms;
		uint64_t bitrate_bps;
		uint64_t frames_decoded, frames_skipped, decode_errors;
		int width, height;
		double fps;
	} vin;
	struct {
		uint64_t packets, bytes, lost, malformed, rejected, concealed;
		uint64_t trimmed; /* dropped to end a standing backlog (jbuf) */
		uint64_t gaps;    /* ticks that found nothing while playing */
		double jitter_ms;
		double buffer_ms; /* the jitter buffer's current playout delay */
	} ain;
	struct {
		uint64_t packets, bytes, keyframes;
		uint64_t nack_served, nack_missed;
		double fps;
		uint64_t bitrate_bps;
	} vout;
	struct {
		uint64_t packets, bytes;
	} aout;
	uint64_t nacks_sent, plis_sent, firs_sent;
	uint64_t plis_received, firs_received, nacks_received;
	double rtt_ms;         /* from RTCP, -1 when unknown */
	double remote_loss;    /* fraction our peer reports losing, 0..1 */
	int64_t last_media_us; /* arrival of the latest RTP packet, 0: none */
	/* SRTP (both streams, RTP and RTCP): packets dropped because they
	 * failed authentication (or were not SRTP at all), and because the
	 * replay check refused them (a repeat, or older than the window). */
	bool srtp;             /* some stream is SRTP */
	uint64_t srtp_auth_failures, srtp_replays;
	bool decoding;         /* the source is visible and decoded */
};

/*
 * Bind the sockets and start receiving on `netio`; decode jobs go to
 * `pool`. Returns 0, or an errno (EADDRINUSE for a busy fixed port).
 */
int mcu_leg_alloc(struct mcu_leg **legp, const struct mcu_leg_params *p,
                  struct mcu_netio *netio, struct mcu_workpool *pool,
                  const struct mcu_leg_handlers *h);

/* Stop receiving, wait for decode jobs, free. Returns NULL. */
struct mcu_leg *mcu_leg_free(struct mcu_leg *leg);

const struct mcu_leg_params *mcu_leg_params(const struct mcu_leg *leg);

/* Local RTP ports actually bound (video, audio). */
void mcu_leg_local_ports(const struct mcu_leg *leg, uint16_t *video,
                         uint16_t *audio);

/*
 * Decode the source only while some view shows it (design.md "What keeps
 * it fast" 1). Turning it on asks the sender for a key frame first.
 */
void mcu_leg_set_visible(struct mcu_leg *leg, bool visible, int64_t now_us);

/*
 * Every view shows the source at half its size or less: its decoder may
 * skip the loop filter (mcu_vdec_set_skip_loop_filter), from the next
 * access unit on. Called by the video tick; off until then.
 */
void mcu_leg_set_small(struct mcu_leg *leg, bool small);

/*
 * The latest decoded picture (a new reference: av_frame_free() it), or
 * NULL when there is none. `max_age_us` > 0: older pictures count as none.
 */
AVFrame *mcu_leg_latest_frame(struct mcu_leg *leg, int64_t now_us,
                              int64_t max_age_us);

/* The same, and when the last packet of the picture's access unit arrived
   and when its decode finished (mcu_netio_now_us clock; 0 with no
   picture; either pointer may be NULL): the latency probe. */
AVFrame *mcu_leg_latest_frame_at(struct mcu_leg *leg, int64_t now_us,
                                 int64_t max_age_us, int64_t *arrival_us,
                                 int64_t *decoded_us);

/*
 * The video tick: release due frames from the jitter buffer (a source
 * that stopped sending still has its last frame), send NACK/PLI as needed
 * and RTCP reports at their interval.
 */
void mcu_leg_video_poll(struct mcu_leg *leg, int64_t now_us);

/*
 * The audio tick: the next 20 ms of this leg's sound (48 kHz mono S16,
 * MCU_AUDIO_FRAME samples) into pcm; false when it has none (no packet,
 * no audio, or still buffering). now_us: the 20 ms step's own time, the
 * tick's deadline (mcu_jbuf_get_audio).
 */
bool mcu_leg_audio_pull(struct mcu_leg *leg, int64_t now_us, int16_t *pcm);

/*
 * The audio tick: the next 20 ms of this leg's sound is not needed (the
 * leg is not heard, and its level is not measured this tick): take it
 * from the jitter buffer without decoding it. True when there was sound
 * to skip (a packet, or a lost one), false as mcu_leg_audio_pull().
 * The decoder next used starts from an older state, as after a loss.
 */
bool mcu_leg_audio_skip(struct mcu_leg *leg, int64_t now_us);

/* The audio tick: when the packet of the last 20 ms pulled arrived
   (mcu_netio_now_us clock), 0 when it was concealed: the latency probe. */
int64_t mcu_leg_audio_arrival_us(const struct mcu_leg *leg);
/* The audio tick: how long before the step that pulled it (its now_us)
   the packet taken by the last mcu_leg_audio_pull() was due in the jitter
   buffer's plan (negative: taken early in its phase); INT64_MIN when that
   pull took no packet. The meeting's audio clock aligns on it. */
int64_t mcu_leg_audio_slack_us(const struct mcu_leg *leg);

/* A receiver asked for a key frame (PLI/FIR) since the last call. */
bool mcu_leg_take_keyframe_request(struct mcu_leg *leg);

/*
 * Send one encoded video frame made by an encoder group: `payloads` are
 * the RTP payloads of the frame in order (shared by every leg of the
 * group; the leg adds its own header). `pts90k` is the frame's time on
 * the 90 kHz media clock. Returns 0 or the errno of the send.
 */
int mcu_leg_send_video(struct mcu_leg *leg, struct mcu_pkt *const *payloads,
                       unsigned n, uint32_t pts90k, bool keyframe,
                       int64_t now_us);

/* Send one audio packet covering `ts_inc` RTP clock units. */
int mcu_leg_send_audio(struct mcu_leg *leg, struct mcu_pkt *payload,
                       uint32_t ts_inc, int64_t now_us);

void mcu_leg_stats(struct mcu_leg *leg, int64_t now_us,
                   struct mcu_leg_stats *st);

#endif
