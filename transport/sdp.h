/*
 * sdp: the session description model, its parser and writer, and the
 * offer/answer rules (RFC 4566, RFC 3264) the MCU applies to every call.
 *
 * The parser is strict about structure (v= first, "x=value" lines, numeric
 * connection addresses, bounded counts and lengths) and keeps what the media
 * path and the later SRTP/WebRTC work need: formats with rtpmap/fmtp/rtcp-fb,
 * bandwidth, direction, rtcp/rtcp-mux, crypto, ICE, fingerprint, setup, mid
 * and BUNDLE groups. Anything else is skipped. A parsed session is one
 * allocation with fixed-size arrays: no pointer inside it leads out of it.
 *
 * Negotiation turns a remote offer plus our capabilities into an answer text
 * and a struct mcu_sdp_neg (per kind: address, codec, payload type, clock,
 * feedback, direction, bitrate) that the media engine uses; for dial-out it
 * makes our offer and reads the remote answer into the same struct.
 *
 * Pure functions: any thread may call them. Keys of a=crypto lines are kept
 * in the model but never logged.
 */
#ifndef MCU_TRANSPORT_SDP_H
#define MCU_TRANSPORT_SDP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "transport/srtp.h"

#define MCU_SDP_MAX_LEN        65536 /* bytes of one SDP body */
#define MCU_SDP_MAX_MEDIA      8
#define MCU_SDP_MAX_FMTS       32
#define MCU_SDP_MAX_CRYPTO     4
#define MCU_SDP_MAX_CANDIDATES 16
#define MCU_SDP_MAX_BUNDLE     8
#define MCU_SDP_TOKEN          64  /* names, mids, ufrags, setup, proto */
#define MCU_SDP_ADDR           64  /* textual address incl. IPv6 */
#define MCU_SDP_VALUE          256 /* fmtp, crypto, fingerprint, candidate */

enum mcu_sdp_kind {
	MCU_SDP_AUDIO = 0,
	MCU_SDP_VIDEO,
	MCU_SDP_OTHER, /* application, text, message, ... */
};

/* Direction attribute; UNSET where the description has none. */
enum mcu_sdp_dir {
	MCU_SDP_DIR_UNSET = 0,
	MCU_SDP_SENDRECV,
	MCU_SDP_SENDONLY,
	MCU_SDP_RECVONLY,
	MCU_SDP_INACTIVE,
};

/* Codecs the MCU can decode/encode (roster names in comments). */
enum mcu_sdp_codec {
	MCU_SDP_CODEC_NONE = 0,
	MCU_SDP_H264,  /* "h264" */
	MCU_SDP_VP8,   /* "vp8" */
	MCU_SDP_OPUS,  /* "opus" */
	MCU_SDP_G722,  /* "g722" */
	MCU_SDP_PCMA,  /* "pcma" */
	MCU_SDP_PCMU,  /* "pcmu" */
	MCU_SDP_TELEPHONE_EVENT,
	MCU_SDP_CODEC_COUNT
};

/* RTCP feedback flags (a=rtcp-fb). */
#define MCU_SDP_FB_NACK 0x1u /* nack */
#define MCU_SDP_FB_PLI  0x2u /* nack pli */
#define MCU_SDP_FB_FIR  0x4u /* ccm fir */
#define MCU_SDP_FB_REMB 0x8u /* goog-remb */

/* Output resolution a receiver can take, from level/max-fs. */
enum mcu_sdp_tier {
	MCU_SDP_TIER_NONE = 0,
	MCU_SDP_TIER_180P,
	MCU_SDP_TIER_360P,
	MCU_SDP_TIER_720P,
	MCU_SDP_TIER_1080P,
};

struct mcu_sdp_fmt {
	int pt;                     /* 0..127 */
	char name[MCU_SDP_TOKEN];   /* encoding name as written; "" = none */
	uint32_t clock;             /* 0 = no rtpmap */
	unsigned channels;          /* 1 when absent */
	char fmtp[MCU_SDP_VALUE];   /* raw fmtp parameters, "" = none */
	unsigned fb;                /* MCU_SDP_FB_* for this pt (incl. "*") */
};

struct mcu_sdp_crypto {
	unsigned tag;
	char suite[MCU_SDP_TOKEN];
	char params[MCU_SDP_VALUE]; /* key params and session params: secret */
};

/* Connection data of a c= line. */
struct mcu_sdp_conn {
	bool present;
	int family;                /* AF_INET or AF_INET6 */
	char addr[MCU_SDP_ADDR];   /* numeric, without /ttl */
	bool null_addr;            /* 0.0.0.0 or :: (RFC 2543 hold) */
};

struct mcu_sdp_media {
	enum mcu_sdp_kind kind;
	char media[MCU_SDP_TOKEN]; /* "audio", "video", "application"... */
	uint16_t port;             /* 0 = rejected / disabled */
	char proto[MCU_SDP_TOKEN]; /* "RTP/AVP", "UDP/TLS/RTP/SAVPF"... */
	struct mcu_sdp_fmt fmts[MCU_SDP_MAX_FMTS];
	size_t n_fmts;
	char fmt_tokens[MCU_SDP_VALUE]; /* m= formats of non-RTP media */
	struct mcu_sdp_conn conn;       /* media-level c= */
	unsigned bw_as_kbps;            /* b=AS, 0 = none */
	unsigned bw_tias_bps;           /* b=TIAS, 0 = none */
	enum mcu_sdp_dir dir;
	bool rtcp_mux;
	uint16_t rtcp_port;             /* a=rtcp, 0 = none */
	struct mcu_sdp_conn rtcp_conn;  /* a=rtcp address, if given */
	struct mcu_sdp_crypto crypto[MCU_SDP_MAX_CRYPTO];
	size_t n_crypto;
	char ice_ufrag[MCU_SDP_TOKEN];
	char ice_pwd[MCU_SDP_VALUE];
	char candidates[MCU_SDP_MAX_CANDIDATES][MCU_SDP_VALUE];
	size_t n_candidates;
	char fingerprint[MCU_SDP_VALUE]; /* "sha-256 AB:CD:..." */
	char setup[MCU_SDP_TOKEN];       /* actpass/active/passive */
	char mid[MCU_SDP_TOKEN];
};

struct mcu_sdp_session {
	char origin_user[MCU_SDP_TOKEN];
	uint64_t sess_id, sess_version;
	char origin_addr[MCU_SDP_ADDR];
	char name[MCU_SDP_TOKEN];
	struct mcu_sdp_conn conn;  /* session-level c= */
	unsigned bw_as_kbps;
	unsigned bw_tias_bps;
	enum mcu_sdp_dir dir;
	char ice_ufrag[MCU_SDP_TOKEN];
	char ice_pwd[MCU_SDP_VALUE];
	char fingerprint[MCU_SDP_VALUE];
	char setup[MCU_SDP_TOKEN];
	char bundle[MCU_SDP_MAX_BUNDLE][MCU_SDP_TOKEN]; /* a=group:BUNDLE */
	size_t n_bundle;
	struct mcu_sdp_media media[MCU_SDP_MAX_MEDIA];
	size_t n_media;
};

/*
 * Parse `len` bytes of SDP. On success *sessp is a new session the caller
 * frees with mcu_sdp_free(). Returns 0, EINVAL (malformed), E2BIG (over a
 * limit) or ENOMEM.
 */
int mcu_sdp_parse(struct mcu_sdp_session **sessp, const char *buf, size_t len);
struct mcu_sdp_session *mcu_sdp_free(struct mcu_sdp_session *sess);

/* Direction of a media line with the session default applied. */
enum mcu_sdp_dir mcu_sdp_media_dir(const struct mcu_sdp_session *sess,
                                   const struct mcu_sdp_media *m);
/* Connection of a media line (media c=, else session c=); NULL if none. */
const struct mcu_sdp_conn *
mcu_sdp_media_conn(const struct mcu_sdp_session *sess,
                   const struct mcu_sdp_media *m);

/* "h264" -> MCU_SDP_H264 (case-insensitive); NONE if unknown. */
enum mcu_sdp_codec mcu_sdp_codec_from_name(const char *name);
const char *mcu_sdp_codec_name(enum mcu_sdp_codec codec);
const char *mcu_sdp_dir_name(enum mcu_sdp_dir dir);

/* H.264 profile-level-id: "42e01f" -> profile_idc 0x42, iop 0xe0, level 31. */
struct mcu_sdp_h264 {
	uint8_t profile_idc, profile_iop, level_idc;
	int packetization_mode;        /* 0 or 1 (2 is never chosen) */
	bool level_asymmetry;
	unsigned max_fs, max_mbps, max_br; /* 0 = not given */
};
/* Parse H.264 fmtp parameters; absent profile-level-id gives 42000a
   (RFC 6184 default). Returns 0 or EINVAL. */
int mcu_sdp_h264_parse(struct mcu_sdp_h264 *h, const char *fmtp);
/* Whether we take this profile: baseline, constrained baseline, main, or
   any profile whose constraint flags say a baseline/main decoder can play
   it. */
bool mcu_sdp_h264_profile_ok(const struct mcu_sdp_h264 *h);
/* Largest frame size in macroblocks of an H.264 level_idc (0 if unknown). */
unsigned mcu_sdp_h264_level_max_fs(uint8_t level_idc);
/* Tier for a frame-size limit in macroblocks. */
enum mcu_sdp_tier mcu_sdp_tier_for_fs(unsigned max_fs);

/* One integer parameter "name=value" of an fmtp string; returns 0, ENOENT
   (absent) or EINVAL. */
int mcu_sdp_fmtp_uint(const char *fmtp, const char *name, unsigned *out);

/* SDES-SRTP (RFC 4568) policy of one negotiation. */
enum mcu_sdp_srtp {
	MCU_SDP_SRTP_OFF = 0,  /* plain RTP only; RTP/SAVP lines refused */
	MCU_SDP_SRTP_OPTIONAL, /* SRTP when the peer offers/answers a key */
	MCU_SDP_SRTP_REQUIRED, /* every accepted stream is SRTP */
};

/* Our side of negotiation. */
struct mcu_sdp_caps {
	enum mcu_sdp_codec codecs[MCU_SDP_CODEC_COUNT]; /* preference order */
	size_t n_codecs;
	bool telephone_event;     /* offer/accept RFC 4733 events */
	bool rtcp_mux;            /* offer rtcp-mux (always accepted) */
	uint8_t h264_level_idc;   /* our max level, e.g. 31 (720p30) */
	enum mcu_sdp_tier max_tier;
	unsigned bitrate_kbps;    /* our b=AS for video, 0 = none */
	/* SDES: OFF unless the caller sets it and gives keys in
	   mcu_sdp_local (without keys it counts as OFF). Answering: an
	   RTP/SAVP(F) line, or an RTP/AVP(F) line carrying a=crypto
	   (best-effort SRTP, as baresip's "srtp" offers), takes the first
	   a=crypto we support and is answered with our key under its tag;
	   REQUIRED refuses every line without a usable a=crypto. Offering:
	   REQUIRED offers RTP/SAVP, OPTIONAL RTP/AVP, both with the a=crypto
	   lines 1 AES_CM_128_HMAC_SHA1_80, 2 AEAD_AES_128_GCM,
	   3 AES_CM_128_HMAC_SHA1_32 (one key, the suite's length of it). */
	enum mcu_sdp_srtp srtp;
};

/* Defaults: all six codecs in the order h264 vp8 opus g722 pcma pcmu,
   telephone-event, rtcp-mux, level 3.1, 720p, 2048 kbps. */
void mcu_sdp_caps_default(struct mcu_sdp_caps *caps);
/* Codec list from roster names ("h264", "opus"...); unknown names are
   skipped. Returns 0 or EINVAL if no name is known. */
int mcu_sdp_caps_set_codecs(struct mcu_sdp_caps *caps,
                            const char *const *names, size_t n);

/* Our transport addresses for an offer or answer. */
struct mcu_sdp_local {
	const char *addr;         /* numeric IPv4 or IPv6 address */
	uint16_t audio_port;      /* 0: no audio */
	uint16_t video_port;      /* 0: no video */
	uint64_t sess_id, sess_version;
	/* Our SDES master key || salt per kind (MCU_SRTP_KEY_MAX bytes,
	   from mcu_srtp_keygen; a suite uses its length of it), for
	   caps->srtp != OFF; NULL: no SRTP on that kind. Secret. */
	const uint8_t *audio_key, *video_key;
	/* Optional, for WebRTC legs. */
	const char *ice_ufrag, *ice_pwd;
	const char *fingerprint;  /* for UDP/TLS/RTP/SAVPF */
	const char *setup;        /* "active"/"passive"; default "active" */
};

/* Result of negotiation for one kind of media. */
struct mcu_sdp_neg_media {
	bool active;              /* a stream of this kind was accepted */
	size_t mline;             /* index into the remote session's media */
	char addr[MCU_SDP_ADDR];  /* remote RTP address */
	int family;
	uint16_t port;
	char rtcp_addr[MCU_SDP_ADDR];
	uint16_t rtcp_port;       /* == port when rtcp_mux */
	enum mcu_sdp_codec codec;
	char name[MCU_SDP_TOKEN]; /* as the remote wrote it */
	int pt;
	uint32_t clock;
	unsigned channels;
	char fmtp[MCU_SDP_VALUE]; /* the remote's fmtp of that pt */
	int te_pt;                /* telephone-event pt, -1 = none */
	uint32_t te_clock;
	bool rtcp_mux;
	unsigned fb;              /* MCU_SDP_FB_* both sides use */
	enum mcu_sdp_dir dir;     /* OUR direction for this stream */
	bool hold;                /* remote takes no media from us (put us on
	                             hold): it offered sendonly/inactive, or
	                             c=0.0.0.0 (RFC 2543 style) */
	unsigned bitrate_kbps;    /* max we may send: remote b=, capped by
	                             caps; 0 = unknown */
	bool secure;              /* SAVP/SAVPF profile */
	/* SDES-SRTP in force on this stream (NONE: plain RTP): the suite,
	   the a=crypto tag, and the remote's master key || salt (secret; we
	   send with our own key, the one in mcu_sdp_local). */
	enum mcu_srtp_suite srtp_suite;
	unsigned srtp_tag;
	uint8_t srtp_remote_key[MCU_SRTP_KEY_MAX];
	/* Codec parameters of the chosen format. */
	struct mcu_sdp_h264 h264; /* codec == H264 */
	unsigned vp8_max_fs, vp8_max_fr; /* codec == VP8, 0 = not given */
	bool opus_fec, opus_stereo;
	enum mcu_sdp_tier tier;   /* video: largest picture to send */
};

struct mcu_sdp_neg {
	struct mcu_sdp_neg_media audio;
	struct mcu_sdp_neg_media video;
};

/*
 * Answer a remote offer. On success *answerp is a NUL-terminated answer the
 * caller frees with free(), and *neg describes the accepted streams.
 * Returns 0, EPROTONOSUPPORT (no common codec on any m-line: SIP 488),
 * EINVAL (offer unusable) or ENOMEM.
 */
int mcu_sdp_answer(const struct mcu_sdp_session *offer,
                   const struct mcu_sdp_caps *caps,
                   const struct mcu_sdp_local *local,
                   struct mcu_sdp_neg *neg, char **answerp);

/* Our offer for dial-out, every codec of caps in order; free() it. */
int mcu_sdp_offer(const struct mcu_sdp_caps *caps,
                  const struct mcu_sdp_local *local, char **offerp);

/* Read a remote answer to mcu_sdp_offer(caps, ...). Returns 0,
   EPROTONOSUPPORT (nothing we offered was accepted) or EINVAL. */
int mcu_sdp_parse_answer(const struct mcu_sdp_session *answer,
                         const struct mcu_sdp_caps *caps,
                         struct mcu_sdp_neg *neg);

/* SIP status for a negotiation error: 488 or 400 (0 for 0). */
int mcu_sdp_sip_status(int err);

/* Our payload type numbers in offers. */
#define MCU_SDP_PT_H264_1  96 /* packetization-mode=1 */
#define MCU_SDP_PT_H264_0  97 /* packetization-mode=0 */
#define MCU_SDP_PT_VP8     100
#define MCU_SDP_PT_OPUS    111
#define MCU_SDP_PT_G722    9
#define MCU_SDP_PT_PCMA    8
#define MCU_SDP_PT_PCMU    0
#define MCU_SDP_PT_TE8K    101
#define MCU_SDP_PT_TE48K   110

#endif
