/*
 * Fuzz the SDP parser and offer/answer: parse any bytes, answer them with
 * the default capabilities and with an endpoint's codec list (as
 * mcu/sipcalls.c does: a subset picked from a hash of the input), read
 * them as an answer to our offer, and parse our own answer back: it must
 * parse, keep the offer's m-lines (RFC 3264), and read as an answer to us
 * it must negotiate the same codecs and payload types we chose.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "transport/sdp.h"

/* Not assert(): it must hold in NDEBUG builds too. */
#define CHECK(x)                                                               \
	do {                                                                   \
		if (!(x))                                                      \
			abort();                                               \
	} while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void same_choice(const struct mcu_sdp_neg_media *a,
                        const struct mcu_sdp_neg_media *b)
{
	CHECK(a->active == b->active);
	if (!a->active)
		return;
	CHECK(a->codec == b->codec && a->pt == b->pt);
	CHECK(a->clock == b->clock);
}

static void negotiate(const struct mcu_sdp_session *s,
                      const struct mcu_sdp_caps *caps, bool secure)
{
	struct mcu_sdp_local l = {.addr = "192.0.2.1",
	                          .audio_port = 20000,
	                          .video_port = 20002,
	                          .sess_id = 1,
	                          .sess_version = 1};
	static const uint8_t key[MCU_SRTP_KEY_MAX] = {1, 2, 3};
	struct mcu_sdp_caps sc = *caps;
	if (secure) {
		sc.srtp = MCU_SDP_SRTP_OPTIONAL;
		caps = &sc;
		l.audio_key = l.video_key = key;
		l.ice_ufrag = "u";
		l.ice_pwd = "p";
		l.fingerprint = "sha-256 00";
	}
	struct mcu_sdp_neg neg, neg2;
	char *answer = NULL;
	if (mcu_sdp_answer(s, caps, &l, &neg, &answer) == 0) {
		struct mcu_sdp_session *back = NULL;
		CHECK(answer);
		/* our own answer must parse and keep the m-lines */
		CHECK(mcu_sdp_parse(&back, answer, strlen(answer)) == 0);
		CHECK(back->n_media == s->n_media);
		/* SDES answers carry the offerer's tags, not ours: reading
		   our own answer back is no dial-out answer then. */
		bool sdes = neg.audio.srtp_suite || neg.video.srtp_suite;
		if (sdes) {
			CHECK(strstr(answer, "a=crypto:"));
		} else if (mcu_sdp_parse_answer(back, caps, &neg2) == 0) {
			same_choice(&neg.audio, &neg2.audio);
			same_choice(&neg.video, &neg2.video);
		} else {
			CHECK(!neg.audio.active && !neg.video.active);
		}
		mcu_sdp_free(back);
		free(answer);
	}
	mcu_sdp_parse_answer(s, caps, &neg);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const names[] = {"h264", "vp8",  "opus",
	                                    "g722", "pcma", "pcmu"};
	struct mcu_sdp_session *s = NULL;
	if (mcu_sdp_parse(&s, (const char *)data, size) != 0)
		return 0;
	struct mcu_sdp_caps caps;
	mcu_sdp_caps_default(&caps);
	negotiate(s, &caps, true);

	/* An endpoint's codec list: subset and order from the input. */
	uint32_t h = 2166136261u;
	for (size_t i = 0; i < size; i++)
		h = (h ^ data[i]) * 16777619u;
	const char *pick[6];
	size_t n = 0;
	for (unsigned i = 0; i < 6; i++)
		if (h >> i & 1)
			pick[n++] = names[(i + (h >> 8)) % 6];
	mcu_sdp_caps_default(&caps);
	caps.telephone_event = h >> 16 & 1;
	caps.rtcp_mux = h >> 17 & 1;
	if (n && mcu_sdp_caps_set_codecs(&caps, pick, n) == 0)
		negotiate(s, &caps, h >> 18 & 1);

	for (size_t i = 0; i < s->n_media; i++) {
		for (size_t k = 0; k < s->media[i].n_fmts; k++) {
			struct mcu_sdp_h264 hp;
			mcu_sdp_h264_parse(&hp, s->media[i].fmts[k].fmtp);
		}
	}
	mcu_sdp_free(s);
	return 0;
}
