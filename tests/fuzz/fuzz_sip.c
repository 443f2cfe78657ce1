/*
 * Fuzz SIP message handling: the bytes go through sofia's message parser
 * (msg_make with the SIP class, as the stack does) and then through our own
 * parsers the way transport/sip.c uses them: every Authorization header
 * into the digest parser/verifier and nonce check, the body into the INFO
 * DTMF parser (with the message's Content-Type, and with both DTMF types).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sofia-sip/msg.h>
#include <sofia-sip/sip.h>
#include <sofia-sip/sip_header.h>
#include <sofia-sip/su_alloc.h>

#include "transport/sip_auth.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const uint8_t key[MCU_SIP_NONCE_KEY_LEN] = {7};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char digit;
	unsigned dur;
	/* The raw bytes as a DTMF body too. */
	mcu_sip_dtmf_parse("application/dtmf-relay", (const char *)data, size,
	                   &digit, &dur);
	mcu_sip_dtmf_parse("application/dtmf", (const char *)data, size,
	                   &digit, &dur);
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
			if (mcu_sip_digest_parse(&d, au->au_scheme,
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
			                   sip->sip_payload->pl_len, &digit, &dur);
		}
	}
	msg_destroy(msg);
	return 0;
}
