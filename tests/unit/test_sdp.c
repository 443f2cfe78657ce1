/* test-libs: mcu_conf mcu_transport */
/*
 * SDP parser, writer and offer/answer against offers shaped like those of
 * the real peers (baresip, Chromium, sipp) and broken ones.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "tests/unit/testutil.h"
#include "transport/sdp.h"

static const char baresip_offer[] =
	"v=0\r\n"
	"o=- 1234 5678 IN IP4 127.0.0.1\r\n"
	"s=-\r\n"
	"c=IN IP4 127.0.0.1\r\n"
	"t=0 0\r\n"
	"m=audio 10000 RTP/AVP 111 9 0 8 101\r\n"
	"b=AS:128\r\n"
	"a=rtpmap:111 opus/48000/2\r\n"
	"a=fmtp:111 stereo=1;sprop-stereo=1;useinbandfec=1\r\n"
	"a=rtpmap:9 G722/8000\r\n"
	"a=rtpmap:0 PCMU/8000\r\n"
	"a=rtpmap:8 PCMA/8000\r\n"
	"a=rtpmap:101 telephone-event/8000\r\n"
	"a=fmtp:101 0-15\r\n"
	"a=sendrecv\r\n"
	"a=rtcp-mux\r\n"
	"m=video 10002 RTP/AVP 96 97 98\r\n"
	"b=AS:1500\r\n"
	"a=rtpmap:96 H264/90000\r\n"
	"a=fmtp:96 packetization-mode=0;profile-level-id=42c01f\r\n"
	"a=rtpmap:97 H264/90000\r\n"
	"a=fmtp:97 packetization-mode=1;profile-level-id=42c01f\r\n"
	"a=rtpmap:98 VP8/90000\r\n"
	"a=fmtp:98 max-fs=3600\r\n"
	"a=rtcp-fb:* nack\r\n"
	"a=rtcp-fb:* nack pli\r\n"
	"a=sendrecv\r\n"
	"a=rtcp-mux\r\n";

static const char chromium_offer[] =
	"v=0\r\n"
	"o=- 4611731400430051336 2 IN IP4 127.0.0.1\r\n"
	"s=-\r\n"
	"t=0 0\r\n"
	"a=group:BUNDLE 0 1\r\n"
	"a=msid-semantic: WMS\r\n"
	"m=audio 9 UDP/TLS/RTP/SAVPF 111 63 9 0 8 13 110 126\r\n"
	"c=IN IP4 0.0.0.0\r\n"
	"a=rtcp:9 IN IP4 0.0.0.0\r\n"
	"a=candidate:1 1 udp 2122260223 10.213.0.2 54321 typ host\r\n"
	"a=ice-ufrag:abcd\r\n"
	"a=ice-pwd:0123456789abcdefghijklmn\r\n"
	"a=ice-options:trickle\r\n"
	"a=fingerprint:sha-256 AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89\r\n"
	"a=setup:actpass\r\n"
	"a=mid:0\r\n"
	"a=extmap:1 urn:ietf:params:rtp-hdrext:ssrc-audio-level\r\n"
	"a=sendrecv\r\n"
	"a=rtcp-mux\r\n"
	"a=rtpmap:111 opus/48000/2\r\n"
	"a=rtcp-fb:111 transport-cc\r\n"
	"a=fmtp:111 minptime=10;useinbandfec=1\r\n"
	"a=rtpmap:63 red/48000/2\r\n"
	"a=rtpmap:9 G722/8000\r\n"
	"a=rtpmap:0 PCMU/8000\r\n"
	"a=rtpmap:8 PCMA/8000\r\n"
	"a=rtpmap:13 CN/8000\r\n"
	"a=rtpmap:110 telephone-event/48000\r\n"
	"a=rtpmap:126 telephone-event/8000\r\n"
	"m=video 9 UDP/TLS/RTP/SAVPF 96 97 102 103 127 108\r\n"
	"c=IN IP4 0.0.0.0\r\n"
	"a=rtcp:9 IN IP4 0.0.0.0\r\n"
	"a=ice-ufrag:abcd\r\n"
	"a=ice-pwd:0123456789abcdefghijklmn\r\n"
	"a=fingerprint:sha-256 AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89\r\n"
	"a=setup:actpass\r\n"
	"a=mid:1\r\n"
	"a=sendrecv\r\n"
	"a=rtcp-mux\r\n"
	"a=rtcp-rsize\r\n"
	"a=rtpmap:96 VP8/90000\r\n"
	"a=rtcp-fb:96 goog-remb\r\n"
	"a=rtcp-fb:96 transport-cc\r\n"
	"a=rtcp-fb:96 ccm fir\r\n"
	"a=rtcp-fb:96 nack\r\n"
	"a=rtcp-fb:96 nack pli\r\n"
	"a=rtpmap:97 rtx/90000\r\n"
	"a=fmtp:97 apt=96\r\n"
	"a=rtpmap:102 H264/90000\r\n"
	"a=rtcp-fb:102 goog-remb\r\n"
	"a=rtcp-fb:102 ccm fir\r\n"
	"a=rtcp-fb:102 nack\r\n"
	"a=rtcp-fb:102 nack pli\r\n"
	"a=fmtp:102 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42001f\r\n"
	"a=rtpmap:103 rtx/90000\r\n"
	"a=fmtp:103 apt=102\r\n"
	"a=rtpmap:127 H264/90000\r\n"
	"a=fmtp:127 level-asymmetry-allowed=1;packetization-mode=0;profile-level-id=42001f\r\n"
	"a=rtpmap:108 H264/90000\r\n"
	"a=fmtp:108 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=4d001f\r\n"
	"a=ssrc:1 cname:x\r\n";

static const char sipp_offer[] =
	"v=0\n"
	"o=user1 53655765 2353687637 IN IP4 127.0.0.1\n"
	"s=-\n"
	"c=IN IP4 127.0.0.1\n"
	"t=0 0\n"
	"m=audio 6000 RTP/AVP 0\n"
	"a=rtpmap:0 PCMU/8000\n";

static struct mcu_sdp_local local_default(void)
{
	struct mcu_sdp_local l = {
		.addr = "127.0.0.1",
		.audio_port = 20000,
		.video_port = 20002,
		.sess_id = 42,
		.sess_version = 1,
	};
	return l;
}

static struct mcu_sdp_session *parse_ok(const char *text)
{
	struct mcu_sdp_session *s = NULL;
	assert_int_equal(mcu_sdp_parse(&s, text, strlen(text)), 0);
	assert_non_null(s);
	return s;
}

static int parse_err(const char *text)
{
	struct mcu_sdp_session *s = NULL;
	int err = mcu_sdp_parse(&s, text, strlen(text));
	assert_null(s);
	return err;
}

static void answer_of(const char *offer, struct mcu_sdp_neg *neg,
                      char **answer)
{
	struct mcu_sdp_caps caps;
	mcu_sdp_caps_default(&caps);
	struct mcu_sdp_local l = local_default();
	struct mcu_sdp_session *s = parse_ok(offer);
	assert_int_equal(mcu_sdp_answer(s, &caps, &l, neg, answer), 0);
	mcu_sdp_free(s);
}

static void baresip_offer_parsed(void **state)
{
	(void)state;
	struct mcu_sdp_session *s = parse_ok(baresip_offer);
	assert_int_equal(s->n_media, 2);
	assert_int_equal(s->media[0].kind, MCU_SDP_AUDIO);
	assert_int_equal(s->media[0].n_fmts, 5);
	assert_string_equal(s->media[0].fmts[0].name, "opus");
	assert_int_equal(s->media[0].fmts[0].clock, 48000);
	assert_int_equal(s->media[0].fmts[0].channels, 2);
	assert_int_equal(s->media[0].bw_as_kbps, 128);
	assert_true(s->media[0].rtcp_mux);
	assert_int_equal(s->media[1].fmts[0].fb,
	                 MCU_SDP_FB_NACK | MCU_SDP_FB_PLI);
	assert_int_equal(s->conn.family, AF_INET);
	assert_int_equal(s->sess_id, 1234);
	mcu_sdp_free(s);
}

static void baresip_answer(void **state)
{
	(void)state;
	struct mcu_sdp_neg neg;
	char *answer = NULL;
	answer_of(baresip_offer, &neg, &answer);
	/* H.264 first in our order; mode 1 (PT 97) preferred over mode 0. */
	assert_true(neg.video.active);
	assert_int_equal(neg.video.codec, MCU_SDP_H264);
	assert_int_equal(neg.video.pt, 97);
	assert_int_equal(neg.video.h264.packetization_mode, 1);
	assert_int_equal(neg.video.h264.profile_idc, 0x42);
	assert_int_equal(neg.video.h264.level_idc, 31);
	assert_int_equal(neg.video.tier, MCU_SDP_TIER_720P);
	assert_int_equal(neg.video.bitrate_kbps, 1500);
	assert_int_equal(neg.video.fb, MCU_SDP_FB_NACK | MCU_SDP_FB_PLI);
	assert_int_equal(neg.video.port, 10002);
	assert_int_equal(neg.video.rtcp_port, 10002); /* rtcp-mux */
	assert_true(neg.video.rtcp_mux);
	/* Opus first of our audio codecs; its events come at 8 kHz only. */
	assert_true(neg.audio.active);
	assert_int_equal(neg.audio.codec, MCU_SDP_OPUS);
	assert_int_equal(neg.audio.pt, 111);
	assert_int_equal(neg.audio.clock, 48000);
	assert_int_equal(neg.audio.channels, 2);
	assert_true(neg.audio.opus_fec);
	assert_int_equal(neg.audio.te_pt, 101);
	assert_int_equal(neg.audio.te_clock, 8000);
	assert_string_equal(neg.audio.addr, "127.0.0.1");
	assert_int_equal(neg.audio.dir, MCU_SDP_SENDRECV);
	assert_false(neg.audio.hold);
	assert_non_null(strstr(answer, "m=audio 20000 RTP/AVP 111 101\r\n"));
	assert_non_null(strstr(answer, "a=rtpmap:101 telephone-event/8000"));
	assert_non_null(strstr(answer, "m=video 20002 RTP/AVP 97\r\n"));
	assert_non_null(strstr(answer, "a=fmtp:97 profile-level-id=42c01f;"
	                               "packetization-mode=1"));
	assert_non_null(strstr(answer, "a=rtcp-fb:97 nack pli\r\n"));
	assert_null(strstr(answer, "ccm fir"));
	free(answer);
}

/*
 * The offer baresip 1.0 sends as it is installed here (captured with
 * `baresip -s`): opus/48000 with telephone-event/8000 only (no 48 kHz
 * events), H.264 mode 0 first, no rtcp-mux, a wildcard rtcp-fb. Its
 * RFC 4733 keys (*1 to ask for the floor) must be negotiated, else they
 * arrive with a payload type the leg drops.
 */
static const char baresip10_offer[] =
	"v=0\r\n"
	"o=- 116425755 929027723 IN IP4 127.0.0.1\r\n"
	"s=-\r\n"
	"c=IN IP4 127.0.0.1\r\n"
	"t=0 0\r\n"
	"a=tool:baresip 1.0.0\r\n"
	"m=audio 15292 RTP/AVP 96 0 8 101\r\n"
	"a=rtpmap:96 opus/48000/2\r\n"
	"a=fmtp:96 stereo=1;sprop-stereo=1\r\n"
	"a=rtpmap:0 PCMU/8000\r\n"
	"a=rtpmap:8 PCMA/8000\r\n"
	"a=rtpmap:101 telephone-event/8000\r\n"
	"a=fmtp:101 0-15\r\n"
	"a=sendrecv\r\n"
	"a=label:1\r\n"
	"a=rtcp-rsize\r\n"
	"a=ssrc:243982496 cname:sip:sip1@127.0.0.1:57463\r\n"
	"a=minptime:20\r\n"
	"a=ptime:20\r\n"
	"m=video 36076 RTP/AVP 96 97 34 98 99 100\r\n"
	"a=rtpmap:96 H264/90000\r\n"
	"a=fmtp:96 packetization-mode=0;profile-level-id=42e01f\r\n"
	"a=rtpmap:97 H264/90000\r\n"
	"a=fmtp:97 packetization-mode=1;profile-level-id=42e01f\r\n"
	"a=rtpmap:34 H263/90000\r\n"
	"a=fmtp:34 CIF=1;CIF4=1\r\n"
	"a=rtpmap:98 MP4V-ES/90000\r\n"
	"a=fmtp:98 profile-level-id=3\r\n"
	"a=rtpmap:99 H265/90000\r\n"
	"a=fmtp:99 profile-id=1\r\n"
	"a=rtpmap:100 VP8/90000\r\n"
	"a=fmtp:100 max-fs=3600\r\n"
	"a=sendrecv\r\n"
	"a=label:2\r\n"
	"a=rtcp-rsize\r\n"
	"a=ssrc:1713570811 cname:sip:sip1@127.0.0.1:57463\r\n"
	"a=framerate:25.00\r\n"
	"a=rtcp-fb:* nack pli\r\n"
	"a=content:main\r\n";

static void baresip10_events_at_8k_with_opus(void **state)
{
	(void)state;
	struct mcu_sdp_neg neg;
	char *answer = NULL;
	answer_of(baresip10_offer, &neg, &answer);
	assert_int_equal(neg.audio.codec, MCU_SDP_OPUS);
	assert_int_equal(neg.audio.pt, 96);
	assert_int_equal(neg.audio.port, 15292);
	assert_int_equal(neg.audio.rtcp_port, 15293);
	assert_false(neg.audio.rtcp_mux);
	assert_int_equal(neg.audio.te_pt, 101);
	assert_int_equal(neg.audio.te_clock, 8000);
	assert_int_equal(neg.video.codec, MCU_SDP_H264);
	assert_int_equal(neg.video.pt, 97);
	assert_int_equal(neg.video.h264.packetization_mode, 1);
	/* "nack pli" is PLI alone: no generic NACK, no FIR were offered. */
	assert_int_equal(neg.video.fb, MCU_SDP_FB_PLI);
	assert_non_null(strstr(answer, "m=audio 20000 RTP/AVP 96 101\r\n"));
	assert_non_null(strstr(answer, "a=rtpmap:101 telephone-event/8000\r\n"
	                               "a=fmtp:101 0-15\r\n"));
	assert_non_null(strstr(answer, "m=video 20002 RTP/AVP 97\r\n"));
	assert_non_null(strstr(answer, "a=rtcp-fb:97 nack pli\r\n"));
	assert_null(strstr(answer, "a=rtcp-fb:97 nack\r\n"));
	assert_null(strstr(answer, "ccm fir"));
	free(answer);

	/* Events at the codec's clock still win over the first offered. */
	static const char both[] =
		"v=0\r\n"
		"o=- 1 1 IN IP4 127.0.0.1\r\n"
		"s=-\r\n"
		"c=IN IP4 127.0.0.1\r\n"
		"t=0 0\r\n"
		"m=audio 15292 RTP/AVP 96 101 102\r\n"
		"a=rtpmap:96 opus/48000/2\r\n"
		"a=rtpmap:101 telephone-event/8000\r\n"
		"a=rtpmap:102 telephone-event/48000\r\n";
	answer_of(both, &neg, &answer);
	assert_int_equal(neg.audio.te_pt, 102);
	assert_int_equal(neg.audio.te_clock, 48000);
	assert_non_null(strstr(answer, "m=audio 20000 RTP/AVP 96 102\r\n"));
	assert_null(strstr(answer, "telephone-event/8000"));
	free(answer);

	/* No events offered: none answered. */
	static const char none[] =
		"v=0\r\n"
		"o=- 1 1 IN IP4 127.0.0.1\r\n"
		"s=-\r\n"
		"c=IN IP4 127.0.0.1\r\n"
		"t=0 0\r\n"
		"m=audio 15292 RTP/AVP 96\r\n"
		"a=rtpmap:96 opus/48000/2\r\n";
	answer_of(none, &neg, &answer);
	assert_int_equal(neg.audio.te_pt, -1);
	assert_null(strstr(answer, "telephone-event"));
	free(answer);
}

static void baresip_g711_only_prefs(void **state)
{
	(void)state;
	struct mcu_sdp_caps caps;
	mcu_sdp_caps_default(&caps);
	const char *names[] = {"pcma", "bogus", "vp8", "pcmu"};
	assert_int_equal(mcu_sdp_caps_set_codecs(&caps, names, 4), 0);
	assert_int_equal(caps.n_codecs, 3);
	struct mcu_sdp_local l = local_default();
	struct mcu_sdp_session *s = parse_ok(baresip_offer);
	struct mcu_sdp_neg neg;
	char *answer;
	assert_int_equal(mcu_sdp_answer(s, &caps, &l, &neg, &answer), 0);
	assert_int_equal(neg.audio.codec, MCU_SDP_PCMA);
	assert_int_equal(neg.audio.pt, 8);
	assert_int_equal(neg.audio.te_pt, 101);
	assert_int_equal(neg.audio.te_clock, 8000);
	assert_int_equal(neg.video.codec, MCU_SDP_VP8);
	assert_int_equal(neg.video.pt, 98);
	assert_int_equal(neg.video.vp8_max_fs, 3600);
	assert_int_equal(neg.video.tier, MCU_SDP_TIER_720P);
	assert_non_null(strstr(answer, "m=audio 20000 RTP/AVP 8 101\r\n"));
	assert_non_null(strstr(answer, "a=rtpmap:101 telephone-event/8000"));
	free(answer);
	mcu_sdp_free(s);
	const char *none[] = {"x", "y"};
	assert_int_equal(mcu_sdp_caps_set_codecs(&caps, none, 2), EINVAL);
}

static void chromium_offer_webrtc(void **state)
{
	(void)state;
	struct mcu_sdp_session *s = parse_ok(chromium_offer);
	assert_int_equal(s->n_bundle, 2);
	assert_string_equal(s->bundle[1], "1");
	assert_string_equal(s->media[0].ice_ufrag, "abcd");
	assert_string_equal(s->media[0].setup, "actpass");
	assert_int_equal(strncmp(s->media[0].fingerprint, "sha-256 AB:CD", 13),
	                 0);
	assert_int_equal(s->media[0].n_candidates, 1);
	assert_int_equal(s->media[0].rtcp_port, 9);
	assert_string_equal(s->media[1].mid, "1");
	/* 4611731400430051336 fits in 64 bits */
	assert_true(s->sess_id == 4611731400430051336ULL);

	struct mcu_sdp_caps caps;
	mcu_sdp_caps_default(&caps);
	struct mcu_sdp_local l = local_default();
	struct mcu_sdp_neg neg;
	char *answer = NULL;
	/* No DTLS material from the caller: secure profiles refused. */
	assert_int_equal(mcu_sdp_answer(s, &caps, &l, &neg, &answer),
	                 EPROTONOSUPPORT);
	assert_int_equal(mcu_sdp_sip_status(EPROTONOSUPPORT), 488);
	l.ice_ufrag = "uf";
	l.ice_pwd = "pwpwpwpwpwpwpwpwpwpwpwpw";
	l.fingerprint = "sha-256 00:11";
	l.video_port = l.audio_port; /* bundled */
	assert_int_equal(mcu_sdp_answer(s, &caps, &l, &neg, &answer), 0);
	assert_int_equal(neg.video.codec, MCU_SDP_H264);
	assert_int_equal(neg.video.pt, 102); /* mode 1, first such */
	assert_true(neg.video.h264.level_asymmetry);
	assert_int_equal(neg.video.fb, MCU_SDP_FB_NACK | MCU_SDP_FB_PLI |
	                                       MCU_SDP_FB_FIR | MCU_SDP_FB_REMB);
	assert_true(neg.video.secure);
	assert_int_equal(neg.audio.codec, MCU_SDP_OPUS);
	assert_int_equal(neg.audio.te_pt, 110); /* 48 kHz events for opus */
	/* c=0.0.0.0 is the ICE placeholder here and reads as held. */
	assert_true(neg.audio.hold);
	assert_non_null(strstr(answer, "a=group:BUNDLE 0 1\r\n"));
	assert_non_null(strstr(answer, "a=setup:active\r\n"));
	assert_non_null(strstr(answer, "a=mid:1\r\n"));
	free(answer);
	mcu_sdp_free(s);
}

static void sipp_default_offer(void **state)
{
	(void)state;
	struct mcu_sdp_neg neg;
	char *answer = NULL;
	answer_of(sipp_offer, &neg, &answer);
	assert_true(neg.audio.active);
	assert_false(neg.video.active);
	assert_int_equal(neg.audio.codec, MCU_SDP_PCMU);
	assert_int_equal(neg.audio.pt, 0);
	assert_int_equal(neg.audio.port, 6000);
	assert_int_equal(neg.audio.rtcp_port, 6001);
	assert_false(neg.audio.rtcp_mux);
	assert_null(strstr(answer, "m=video"));
	assert_null(strstr(answer, "rtcp-mux"));
	free(answer);
}

static void no_common_codec(void **state)
{
	(void)state;
	const char *offer = "v=0\r\no=- 1 1 IN IP4 10.0.0.1\r\ns=-\r\n"
	                    "c=IN IP4 10.0.0.1\r\nt=0 0\r\n"
	                    "m=audio 4000 RTP/AVP 18 3\r\n"
	                    "m=video 4002 RTP/AVP 31\r\n";
	struct mcu_sdp_session *s = parse_ok(offer);
	struct mcu_sdp_caps caps;
	mcu_sdp_caps_default(&caps);
	struct mcu_sdp_local l = local_default();
	struct mcu_sdp_neg neg;
	char *answer = NULL;
	int err = mcu_sdp_answer(s, &caps, &l, &neg, &answer);
	assert_int_equal(err, EPROTONOSUPPORT);
	assert_int_equal(mcu_sdp_sip_status(err), 488);
	assert_null(answer);
	mcu_sdp_free(s);
}

static void missing_rtpmap_dynamic(void **state)
{
	(void)state;
	/* 96 has no rtpmap: ignored; static 8 is known without one. */
	const char *offer = "v=0\r\no=- 1 1 IN IP4 10.0.0.1\r\ns=-\r\n"
	                    "c=IN IP4 10.0.0.1\r\nt=0 0\r\n"
	                    "m=audio 4000 RTP/AVP 96 8\r\n"
	                    "a=fmtp:96 useinbandfec=1\r\n";
	struct mcu_sdp_neg neg;
	char *answer = NULL;
	answer_of(offer, &neg, &answer);
	assert_int_equal(neg.audio.codec, MCU_SDP_PCMA);
	assert_int_equal(neg.audio.pt, 8);
	assert_non_null(strstr(answer, "a=rtpmap:8 PCMA/8000"));
	free(answer);
	const char *only = "v=0\r\no=- 1 1 IN IP4 10.0.0.1\r\ns=-\r\n"
	                   "c=IN IP4 10.0.0.1\r\nt=0 0\r\n"
	                   "m=video 4000 RTP/AVP 96\r\n";
	struct mcu_sdp_session *s = parse_ok(only);
	struct mcu_sdp_caps caps;
	mcu_sdp_caps_default(&caps);
	struct mcu_sdp_local l = local_default();
	assert_int_equal(mcu_sdp_answer(s, &caps, &l, &neg, &answer),
	                 EPROTONOSUPPORT);
	mcu_sdp_free(s);
}

static void bad_connection_lines(void **state)
{
	(void)state;
	assert_int_equal(parse_err("v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\n"
	                           "c=IN IP4 999.1.1.1\r\nt=0 0\r\n"
	                           "m=audio 4000 RTP/AVP 0\r\n"),
	                 EINVAL);
	assert_int_equal(parse_err("v=0\r\ns=-\r\nc=IN IP4 \r\n"), EINVAL);
	assert_int_equal(parse_err("v=0\r\ns=-\r\nc=IN IP5 1.2.3.4\r\n"),
	                 EINVAL);
	assert_int_equal(parse_err("v=0\r\ns=-\r\nc=IN IP6 1.2.3.4\r\n"),
	                 EINVAL);
	assert_int_equal(parse_err("v=0\r\ns=-\r\nc=ATM NSAP x\r\n"), EINVAL);
	/* no c= anywhere for an active stream */
	assert_int_equal(parse_err("v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\n"
	                           "t=0 0\r\nm=audio 4000 RTP/AVP 0\r\n"),
	                 EINVAL);
	assert_int_equal(mcu_sdp_sip_status(EINVAL), 400);
	/* per-media c= is enough; IPv6 and multicast TTL forms parse */
	struct mcu_sdp_session *s =
		parse_ok("v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\nt=0 0\r\n"
		         "m=audio 4000 RTP/AVP 0\r\nc=IN IP6 2001:db8::1\r\n"
		         "m=video 4002 RTP/AVP 96\r\nc=IN IP4 224.2.1.1/127\r\n");
	assert_int_equal(s->media[0].conn.family, AF_INET6);
	assert_string_equal(s->media[0].conn.addr, "2001:db8::1");
	assert_string_equal(s->media[1].conn.addr, "224.2.1.1");
	mcu_sdp_free(s);
}

static void structural_errors(void **state)
{
	(void)state;
	assert_int_equal(parse_err("o=- 1 1 IN IP4 1.2.3.4\r\nv=0\r\n"), EINVAL);
	assert_int_equal(parse_err("v=1\r\n"), EINVAL);
	assert_int_equal(parse_err("v=0\r\nthis is not sdp\r\n"), EINVAL);
	assert_int_equal(parse_err("v=0\r\nm=audio 70000 RTP/AVP 0\r\n"), EINVAL);
	assert_int_equal(parse_err("v=0\r\nm=audio 4000 RTP/AVP 128\r\n"), EINVAL);
	assert_int_equal(parse_err("v=0\r\nm=audio 4000 RTP/AVP\r\n"), EINVAL);
	assert_int_equal(parse_err("v=0\r\nc=IN IP4 1.1.1.1\r\n"
	                           "m=audio 4000 RTP/AVP 0\r\n"
	                           "a=rtpmap:0 PCMU/0\r\n"), EINVAL);
	assert_int_equal(parse_err(""), EINVAL);
	char nul[] = "v=0\r\ns=\0x\r\n";
	struct mcu_sdp_session *s = NULL;
	assert_int_equal(mcu_sdp_parse(&s, nul, sizeof(nul) - 1), EINVAL);
	/* too many m-lines */
	char big[2048] = "v=0\r\nc=IN IP4 1.1.1.1\r\n";
	for (int i = 0; i < MCU_SDP_MAX_MEDIA + 1; i++)
		strcat(big, "m=audio 4000 RTP/AVP 0\r\n");
	assert_int_equal(parse_err(big), E2BIG);
	char *huge = malloc(MCU_SDP_MAX_LEN + 2);
	assert_non_null(huge);
	memset(huge, 'a', MCU_SDP_MAX_LEN + 1);
	huge[MCU_SDP_MAX_LEN + 1] = '\0';
	assert_int_equal(mcu_sdp_parse(&s, huge, MCU_SDP_MAX_LEN + 1), E2BIG);
	free(huge);
}

static void port_zero_rejected(void **state)
{
	(void)state;
	const char *offer = "v=0\r\no=- 1 1 IN IP4 10.0.0.1\r\ns=-\r\n"
	                    "c=IN IP4 10.0.0.1\r\nt=0 0\r\n"
	                    "m=audio 4000 RTP/AVP 0\r\n"
	                    "m=video 0 RTP/AVP 96\r\na=rtpmap:96 H264/90000\r\n"
	                    "m=application 5000 UDP/BFCP *\r\n";
	struct mcu_sdp_neg neg;
	char *answer = NULL;
	answer_of(offer, &neg, &answer);
	assert_true(neg.audio.active);
	assert_false(neg.video.active);
	assert_non_null(strstr(answer, "m=video 0 RTP/AVP 96\r\n"));
	assert_non_null(strstr(answer, "m=application 0 UDP/BFCP *\r\n"));
	/* the answer keeps the offer's m-line count and order */
	struct mcu_sdp_session *a = parse_ok(answer);
	assert_int_equal(a->n_media, 3);
	assert_int_equal(a->media[0].port, 20000);
	assert_int_equal(a->media[1].port, 0);
	assert_int_equal(a->media[2].kind, MCU_SDP_OTHER);
	mcu_sdp_free(a);
	free(answer);
}

static void hold_detection(void **state)
{
	(void)state;
	static const struct {
		const char *attr, *conn;
		enum mcu_sdp_dir ours;
		bool hold;
	} cases[] = {
		{"a=sendonly\r\n", "10.0.0.1", MCU_SDP_RECVONLY, true},
		{"a=inactive\r\n", "10.0.0.1", MCU_SDP_INACTIVE, true},
		{"a=recvonly\r\n", "10.0.0.1", MCU_SDP_SENDONLY, false},
		{"", "10.0.0.1", MCU_SDP_SENDRECV, false},
		{"", "0.0.0.0", MCU_SDP_RECVONLY, true}, /* RFC 2543 hold */
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char offer[512];
		snprintf(offer, sizeof(offer),
		         "v=0\r\no=- 1 2 IN IP4 10.0.0.1\r\ns=-\r\n"
		         "c=IN IP4 %s\r\nt=0 0\r\n"
		         "m=audio 4000 RTP/AVP 0\r\n%s",
		         cases[i].conn, cases[i].attr);
		struct mcu_sdp_neg neg;
		char *answer = NULL;
		answer_of(offer, &neg, &answer);
		assert_int_equal(neg.audio.dir, cases[i].ours);
		assert_int_equal(neg.audio.hold, cases[i].hold);
		char want[32];
		snprintf(want, sizeof(want), "a=%s\r\n",
		         mcu_sdp_dir_name(cases[i].ours));
		assert_non_null(strstr(answer, want));
		free(answer);
	}
	/* session-level direction applies to media without their own */
	struct mcu_sdp_session *s =
		parse_ok("v=0\r\nc=IN IP4 1.1.1.1\r\na=sendonly\r\n"
		         "m=audio 4000 RTP/AVP 0\r\nm=video 4002 RTP/AVP 96\r\n"
		         "a=inactive\r\n");
	assert_int_equal(mcu_sdp_media_dir(s, &s->media[0]), MCU_SDP_SENDONLY);
	assert_int_equal(mcu_sdp_media_dir(s, &s->media[1]), MCU_SDP_INACTIVE);
	mcu_sdp_free(s);
}

static void rtcp_port_and_mux(void **state)
{
	(void)state;
	struct mcu_sdp_neg neg;
	char *answer = NULL;
	answer_of("v=0\r\nc=IN IP4 10.0.0.1\r\nm=audio 4000 RTP/AVP 0\r\n"
	          "a=rtcp:4100 IN IP4 10.0.0.9\r\n",
	          &neg, &answer);
	assert_int_equal(neg.audio.rtcp_port, 4100);
	assert_string_equal(neg.audio.rtcp_addr, "10.0.0.9");
	assert_false(neg.audio.rtcp_mux);
	free(answer);
	answer_of("v=0\r\nc=IN IP4 10.0.0.1\r\nm=audio 4000 RTP/AVP 0\r\n"
	          "a=rtcp:4100\r\na=rtcp-mux\r\n",
	          &neg, &answer);
	assert_true(neg.audio.rtcp_mux);
	assert_int_equal(neg.audio.rtcp_port, 4000);
	assert_non_null(strstr(answer, "a=rtcp-mux\r\n"));
	free(answer);
}

static void bandwidth_as_tias(void **state)
{
	(void)state;
	struct mcu_sdp_neg neg;
	char *answer = NULL;
	answer_of("v=0\r\nc=IN IP4 10.0.0.1\r\nb=AS:3000\r\n"
	          "m=video 4000 RTP/AVP 96\r\nb=TIAS:768000\r\nb=AS:900\r\n"
	          "a=rtpmap:96 VP8/90000\r\n",
	          &neg, &answer);
	assert_int_equal(neg.video.bitrate_kbps, 768); /* TIAS wins */
	free(answer);
	answer_of("v=0\r\nc=IN IP4 10.0.0.1\r\nb=AS:3000\r\n"
	          "m=video 4000 RTP/AVP 96\r\na=rtpmap:96 VP8/90000\r\n",
	          &neg, &answer);
	assert_int_equal(neg.video.bitrate_kbps, 2048); /* capped by caps */
	free(answer);
	answer_of("v=0\r\nc=IN IP4 10.0.0.1\r\nb=AS:64\r\n"
	          "m=audio 4000 RTP/AVP 9\r\n",
	          &neg, &answer);
	assert_int_equal(neg.audio.bitrate_kbps, 64); /* session level */
	assert_int_equal(neg.audio.codec, MCU_SDP_G722);
	assert_int_equal(neg.audio.clock, 8000);
	free(answer);
	assert_int_equal(parse_err("v=0\r\nb=AS:x\r\n"), EINVAL);
}

static void h264_profile_level(void **state)
{
	(void)state;
	struct mcu_sdp_h264 h;
	assert_int_equal(mcu_sdp_h264_parse(&h, "profile-level-id=42e01f;"
	                                        "packetization-mode=1;"
	                                        "max-fs=8160;max-mbps=245760"),
	                 0);
	assert_int_equal(h.profile_idc, 0x42);
	assert_int_equal(h.profile_iop, 0xe0);
	assert_int_equal(h.level_idc, 31);
	assert_int_equal(h.packetization_mode, 1);
	assert_int_equal(h.max_fs, 8160);
	assert_int_equal(h.max_mbps, 245760);
	assert_true(mcu_sdp_h264_profile_ok(&h));
	assert_int_equal(mcu_sdp_h264_parse(&h, ""), 0);
	assert_int_equal(h.level_idc, 10); /* RFC 6184 default 42000a */
	assert_int_equal(h.packetization_mode, 0);
	assert_int_equal(mcu_sdp_h264_parse(&h, "profile-level-id=4d0028"), 0);
	assert_true(mcu_sdp_h264_profile_ok(&h)); /* main */
	assert_int_equal(mcu_sdp_h264_parse(&h, "profile-level-id=640c1f"), 0);
	assert_false(mcu_sdp_h264_profile_ok(&h)); /* high, no flags */
	assert_int_equal(mcu_sdp_h264_parse(&h, "profile-level-id=64401f"), 0);
	assert_true(mcu_sdp_h264_profile_ok(&h)); /* high, main-compatible */
	assert_int_equal(mcu_sdp_h264_parse(&h, "profile-level-id=42e0"), EINVAL);
	assert_int_equal(mcu_sdp_h264_parse(&h, "profile-level-id=zz001f"),
	                 EINVAL);
	assert_int_equal(mcu_sdp_h264_parse(&h, "packetization-mode=3"), EINVAL);
	assert_int_equal(mcu_sdp_tier_for_fs(mcu_sdp_h264_level_max_fs(30)),
	                 MCU_SDP_TIER_360P);
	assert_int_equal(mcu_sdp_tier_for_fs(mcu_sdp_h264_level_max_fs(40)),
	                 MCU_SDP_TIER_1080P);
	assert_int_equal(mcu_sdp_tier_for_fs(99), MCU_SDP_TIER_180P);

	/* Only high profile offered: no H.264; level above ours is lowered
	   and a max-fs raises the tier. */
	struct mcu_sdp_neg neg;
	char *answer = NULL;
	answer_of("v=0\r\nc=IN IP4 10.0.0.1\r\nm=video 4000 RTP/AVP 96 97\r\n"
	          "a=rtpmap:96 H264/90000\r\n"
	          "a=fmtp:96 profile-level-id=640c33;packetization-mode=1\r\n"
	          "a=rtpmap:97 H264/90000\r\n"
	          "a=fmtp:97 profile-level-id=42e01e;max-fs=3600\r\n",
	          &neg, &answer);
	assert_int_equal(neg.video.pt, 97);
	assert_int_equal(neg.video.h264.level_idc, 30);
	assert_int_equal(neg.video.tier, MCU_SDP_TIER_720P);
	assert_non_null(strstr(answer, "profile-level-id=42e01e;"
	                               "packetization-mode=0"));
	free(answer);
	answer_of("v=0\r\nc=IN IP4 10.0.0.1\r\nm=video 4000 RTP/AVP 96\r\n"
	          "a=rtpmap:96 H264/90000\r\n"
	          "a=fmtp:96 profile-level-id=42e034;packetization-mode=1\r\n",
	          &neg, &answer);
	assert_int_equal(neg.video.h264.level_idc, 31);
	assert_non_null(strstr(answer, "profile-level-id=42e01f"));
	free(answer);
}

static void crypto_parsed(void **state)
{
	(void)state;
	const char *offer =
		"v=0\r\nc=IN IP4 10.0.0.1\r\n"
		"m=audio 4000 RTP/SAVP 0\r\n"
		"a=crypto:1 AES_CM_128_HMAC_SHA1_80 "
		"inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz|2^20|1:32\r\n"
		"a=crypto:2 AES_CM_128_HMAC_SHA1_32 inline:abc\r\n";
	struct mcu_sdp_session *s = parse_ok(offer);
	assert_int_equal(s->media[0].n_crypto, 2);
	assert_int_equal(s->media[0].crypto[0].tag, 1);
	assert_string_equal(s->media[0].crypto[0].suite,
	                    "AES_CM_128_HMAC_SHA1_80");
	assert_int_equal(strncmp(s->media[0].crypto[0].params, "inline:", 7),
	                 0);
	struct mcu_sdp_caps caps;
	mcu_sdp_caps_default(&caps);
	struct mcu_sdp_local l = local_default();
	struct mcu_sdp_neg neg;
	char *answer = NULL;
	assert_int_equal(mcu_sdp_answer(s, &caps, &l, &neg, &answer),
	                 EPROTONOSUPPORT);
	/* With our key: still none, an MKI and a short key are refused
	   (test_srtp.c has the SDES negotiation itself). */
	static const uint8_t key[MCU_SRTP_KEY_MAX] = {1};
	caps.srtp = MCU_SDP_SRTP_OPTIONAL;
	l.audio_key = key;
	assert_int_equal(mcu_sdp_answer(s, &caps, &l, &neg, &answer),
	                 EPROTONOSUPPORT);
	mcu_sdp_free(s);
	assert_int_equal(parse_err("v=0\r\nc=IN IP4 1.1.1.1\r\n"
	                           "m=audio 1 RTP/SAVP 0\r\na=crypto:x y z\r\n"),
	                 EINVAL);
}

static void answer_round_trip(void **state)
{
	(void)state;
	struct mcu_sdp_neg neg;
	char *answer = NULL;
	answer_of(baresip_offer, &neg, &answer);
	/* Our answer read back as if it were a remote answer to an offer
	   of ours gives the same choice. */
	struct mcu_sdp_session *a = parse_ok(answer);
	assert_int_equal(a->sess_id, 42);
	assert_string_equal(a->conn.addr, "127.0.0.1");
	struct mcu_sdp_caps caps;
	mcu_sdp_caps_default(&caps);
	struct mcu_sdp_neg back;
	assert_int_equal(mcu_sdp_parse_answer(a, &caps, &back), 0);
	assert_int_equal(back.video.codec, MCU_SDP_H264);
	assert_int_equal(back.video.pt, neg.video.pt);
	assert_int_equal(back.video.h264.packetization_mode, 1);
	assert_int_equal(back.video.port, 20002);
	assert_int_equal(back.audio.codec, MCU_SDP_OPUS);
	assert_int_equal(back.audio.port, 20000);
	assert_true(back.audio.rtcp_mux);
	mcu_sdp_free(a);
	free(answer);
}

static void offer_then_answer(void **state)
{
	(void)state;
	struct mcu_sdp_caps caps;
	mcu_sdp_caps_default(&caps);
	struct mcu_sdp_local l = local_default();
	char *offer = NULL;
	assert_int_equal(mcu_sdp_offer(&caps, &l, &offer), 0);
	struct mcu_sdp_session *o = parse_ok(offer);
	assert_int_equal(o->n_media, 2);
	assert_int_equal(o->media[0].kind, MCU_SDP_AUDIO);
	assert_int_equal(o->media[0].fmts[0].pt, MCU_SDP_PT_OPUS);
	assert_int_equal(o->media[1].fmts[0].pt, MCU_SDP_PT_H264_1);
	assert_int_equal(o->media[1].fmts[2].pt, MCU_SDP_PT_VP8);
	assert_int_equal(o->media[1].fmts[0].fb, MCU_SDP_FB_NACK |
	                 MCU_SDP_FB_PLI | MCU_SDP_FB_FIR | MCU_SDP_FB_REMB);
	assert_int_equal(o->media[1].bw_as_kbps, 2048);
	/* A peer answering our own offer with itself accepts everything;
	   answering it as a remote with G.711/VP8 only picks those. */
	struct mcu_sdp_caps peer;
	mcu_sdp_caps_default(&peer);
	const char *names[] = {"vp8", "pcmu"};
	assert_int_equal(mcu_sdp_caps_set_codecs(&peer, names, 2), 0);
	struct mcu_sdp_local pl = local_default();
	pl.addr = "::1";
	pl.audio_port = 30000;
	pl.video_port = 30002;
	struct mcu_sdp_neg pneg, neg;
	char *answer = NULL;
	assert_int_equal(mcu_sdp_answer(o, &peer, &pl, &pneg, &answer), 0);
	struct mcu_sdp_session *a = parse_ok(answer);
	assert_int_equal(mcu_sdp_parse_answer(a, &caps, &neg), 0);
	assert_int_equal(neg.audio.codec, MCU_SDP_PCMU);
	assert_int_equal(neg.audio.te_pt, MCU_SDP_PT_TE8K);
	assert_int_equal(neg.video.codec, MCU_SDP_VP8);
	assert_int_equal(neg.video.pt, MCU_SDP_PT_VP8);
	assert_int_equal(neg.video.family, AF_INET6);
	assert_string_equal(neg.video.addr, "::1");
	assert_int_equal(neg.video.port, 30002);
	assert_true(neg.video.rtcp_mux);
	mcu_sdp_free(a);
	free(answer);
	/* An answer with nothing of ours is refused. */
	a = parse_ok("v=0\r\nc=IN IP4 1.1.1.1\r\nm=audio 4000 RTP/AVP 18\r\n"
	             "m=video 0 RTP/AVP 96\r\n");
	assert_int_equal(mcu_sdp_parse_answer(a, &caps, &neg), EPROTONOSUPPORT);
	mcu_sdp_free(a);
	mcu_sdp_free(o);
	free(offer);
	/* audio only caps: no m=video */
	const char *g711[] = {"pcma"};
	assert_int_equal(mcu_sdp_caps_set_codecs(&caps, g711, 1), 0);
	assert_int_equal(mcu_sdp_offer(&caps, &l, &offer), 0);
	assert_null(strstr(offer, "m=video"));
	assert_non_null(strstr(offer, "m=audio 20000 RTP/AVP 8 101\r\n"));
	free(offer);
	l.addr = "not-an-ip";
	assert_int_equal(mcu_sdp_offer(&caps, &l, &offer), EINVAL);
}

static void fmtp_values(void **state)
{
	(void)state;
	unsigned v = 0;
	assert_int_equal(mcu_sdp_fmtp_uint("a=1; max-fs=3600 ;b=2", "max-fs", &v),
	                 0);
	assert_int_equal(v, 3600);
	assert_int_equal(mcu_sdp_fmtp_uint("max-fs=", "max-fs", &v), EINVAL);
	assert_int_equal(mcu_sdp_fmtp_uint("max-fs=12x", "max-fs", &v), EINVAL);
	assert_int_equal(mcu_sdp_fmtp_uint("max-fs=99999999999", "max-fs", &v),
	                 EINVAL);
	assert_int_equal(mcu_sdp_fmtp_uint("x=1", "max-fs", &v), ENOENT);
	assert_int_equal(mcu_sdp_codec_from_name("H264"), MCU_SDP_H264);
	assert_string_equal(mcu_sdp_codec_name(MCU_SDP_G722), "g722");
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(baresip_offer_parsed),
	cmocka_unit_test(baresip_answer),
	cmocka_unit_test(baresip_g711_only_prefs),
	cmocka_unit_test(baresip10_events_at_8k_with_opus),
	cmocka_unit_test(chromium_offer_webrtc),
	cmocka_unit_test(sipp_default_offer),
	cmocka_unit_test(no_common_codec),
	cmocka_unit_test(missing_rtpmap_dynamic),
	cmocka_unit_test(bad_connection_lines),
	cmocka_unit_test(structural_errors),
	cmocka_unit_test(port_zero_rejected),
	cmocka_unit_test(hold_detection),
	cmocka_unit_test(rtcp_port_and_mux),
	cmocka_unit_test(bandwidth_as_tias),
	cmocka_unit_test(h264_profile_level),
	cmocka_unit_test(crypto_parsed),
	cmocka_unit_test(answer_round_trip),
	cmocka_unit_test(offer_then_answer),
	cmocka_unit_test(fmtp_values),
};

MCU_TEST_MAIN(tests, NULL, NULL)
