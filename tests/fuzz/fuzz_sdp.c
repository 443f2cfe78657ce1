/*
 * Fuzz the SDP parser and offer/answer: parse any bytes, answer them with
 * the default capabilities, read them as an answer to our offer, and parse
 * our own answer back (it must always parse).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "transport/sdp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mcu_sdp_session *s = NULL;
	if (mcu_sdp_parse(&s, (const char *)data, size) != 0)
		return 0;
	struct mcu_sdp_caps caps;
	mcu_sdp_caps_default(&caps);
	struct mcu_sdp_local l = {.addr = "192.0.2.1", .audio_port = 20000,
	                          .video_port = 20002, .sess_id = 1,
	                          .sess_version = 1,
	                          .audio_crypto = "1 AES_CM_128_HMAC_SHA1_80 "
	                                          "inline:x",
	                          .ice_ufrag = "u", .ice_pwd = "p",
	                          .fingerprint = "sha-256 00"};
	struct mcu_sdp_neg neg;
	char *answer = NULL;
	if (mcu_sdp_answer(s, &caps, &l, &neg, &answer) == 0) {
		struct mcu_sdp_session *back = NULL;
		if (mcu_sdp_parse(&back, answer, strlen(answer)) != 0)
			abort(); /* our own answer must parse */
		if (back->n_media != s->n_media)
			abort(); /* RFC 3264: same m-lines */
		mcu_sdp_free(back);
		free(answer);
	}
	mcu_sdp_parse_answer(s, &caps, &neg);
	for (size_t i = 0; i < s->n_media; i++) {
		for (size_t k = 0; k < s->media[i].n_fmts; k++) {
			struct mcu_sdp_h264 h;
			mcu_sdp_h264_parse(&h, s->media[i].fmts[k].fmtp);
		}
	}
	mcu_sdp_free(s);
	return 0;
}
