/*
 * Fuzz SIP message handling: the bytes go through sofia's message parser
 * (msg_make with the SIP class, as the stack does) and then through our own
 * parsers the way transport/sip.c uses them: every Authorization header
 * into the digest parser/verifier and nonce check, the body into the INFO
 * DTMF parser (with the message's Content-Type, and with both DTMF types);
 * an application/sdp body of a request is answered as an offer (default
 * capabilities, as mcu/sipcalls.c answers an INVITE or re-INVITE) and the
 * body of a response is read as the answer to our dial-out offer.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <sofia-sip/msg.h>
#include <sofia-sip/sip.h>
#include <sofia-sip/sip_header.h>
#include <sofia-sip/su_alloc.h>

#include "transport/sdp.h"
#include "transport/sip_auth.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const uint8_t key[MCU_SIP_NONCE_KEY_LEN] = {7};

/* The SDP body the way the call layer takes it. */
static void sdp_body(const sip_t *sip)
{
	const sip_content_type_t *ct = sip->sip_content_type;
	if (!ct || !ct->c_type || strcasecmp(ct->c_type, "application/sdp"))
		return;
	struct mcu_sdp_session *s = NULL;
	if (mcu_sdp_parse(&s, sip->sip_payload->pl_data,
	                  sip->sip_payload->pl_len) != 0)
		return;
	struct mcu_sdp_caps caps;
	struct mcu_sdp_neg neg;
	mcu_sdp_caps_default(&caps);
	if (sip->sip_request) {
		struct mcu_sdp_local l = {.addr = "192.0.2.1",
		                          .audio_port = 20000,
		                          .video_port = 20002,
		                          .sess_id = 1,
		                          .sess_version = 1};
		char *answer = NULL;
		if (mcu_sdp_answer(s, &caps, &l, &neg, &answer) == 0) {
			if (!answer || !strstr(answer, "\r\nm="))
				abort(); /* an answer has m-lines */
			free(answer);
		}
	} else {
		mcu_sdp_parse_answer(s, &caps, &neg);
	}
	mcu_sdp_free(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char digit;
	unsigned dur;
	/* The raw bytes as a DTMF body too. */
	mcu_sip_dtmf_parse("application/dtmf-relay", (const char *)data, size,
	                   &digit, &dur);
	mcu_sip_dtmf_parse("application/dtmf", (const char *)data, size, &digit,
	                   &dur);
	if (size > 65536)
		return 0;
	msg_t *msg = msg_make(sip_default_mclass(), 0, data, (ssize_t)size);
	if (!msg)
		return 0;
	sip_t *sip = sip_object(msg);
	if (sip) {
		for (sip_authorization_t *au = sip->sip_authorization; au;
		     au = au->au_next) {
			struct mcu_sip_digest d;
			if (mcu_sip_digest_parse(
			        &d, au->au_scheme,
			        (const char *const *)au->au_params) == 0) {
				mcu_sip_digest_verify(&d, "INVITE", d.username,
				                      d.realm, "pw");
				mcu_sip_nonce_check(key, d.nonce, 1000, 300);
			}
		}
		if (sip->sip_payload) {
			const char *ct = sip->sip_content_type &&
			                         sip->sip_content_type->c_type
			                     ? sip->sip_content_type->c_type
			                     : "";
			mcu_sip_dtmf_parse(ct, sip->sip_payload->pl_data,
			                   sip->sip_payload->pl_len, &digit,
			                   &dur);
			sdp_body(sip);
		}
	}
	msg_destroy(msg);
	return 0;
}
