/*
 * fuzz_webrtc: what a WebRTC peer controls before anything is verified:
 * the first byte of every datagram on the ICE socket (RFC 7983 demux),
 * the a=fingerprint and a=candidate values of its offer, the bearer token
 * it presents, and the DTLS records a server association is fed during
 * the handshake. Input: byte 0 selects the part, the rest is its input.
 * Checks: no crash or read past the input; a fingerprint that parses
 * formats back to the same digest; a demux class never claims more bytes
 * than there are.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mcu/webrtc_token.h"
#include "transport/dtls.h"
#include "transport/ice.h"

#define CHECK(x)                                                               \
	do {                                                                   \
		if (!(x))                                                      \
			abort();                                               \
	} while (0)

static void sink(void *arg, const uint8_t *buf, size_t len)
{
	(void)arg;
	(void)buf;
	CHECK(len > 0 && len <= 65536);
}

static struct mcu_dtls_cert *cert(void)
{
	static struct mcu_dtls_cert *c;
	if (!c && mcu_dtls_cert_alloc(&c))
		abort();
	return c;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1 || size > 8192)
		return 0;
	uint8_t what = data[0] % 4;
	data++;
	size--;
	if (what == 0) {
		/* A copy of exactly `size` bytes: ASan sees any over-read. */
		uint8_t *b = malloc(size ? size : 1);
		if (!b)
			return 0;
		memcpy(b, data, size);
		enum mcu_demux d = mcu_demux_classify(b, size);
		if (d == MCU_DEMUX_RTP)
			CHECK(size >= 12);
		if (d == MCU_DEMUX_RTCP)
			CHECK(size >= 8);
		if (d == MCU_DEMUX_DTLS)
			CHECK(size >= 13);
		free(b);
		return 0;
	}
	char *s = malloc(size + 1);
	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	if (what == 1) {
		uint8_t d[MCU_DTLS_DIGEST_LEN], back[MCU_DTLS_DIGEST_LEN];
		char text[MCU_DTLS_FINGERPRINT_LEN];
		if (mcu_dtls_fingerprint_parse(s, d) == 0) {
			CHECK(mcu_dtls_fingerprint_format(text, sizeof(text),
			                                  d) == 0);
			CHECK(mcu_dtls_fingerprint_parse(text, back) == 0);
			CHECK(memcmp(d, back, sizeof(d)) == 0);
		}
	} else if (what == 2) {
		(void)mcu_ice_candidate_usable(s);
		if (mcu_webrtc_token_shape_ok(s))
			CHECK(strlen(s) == MCU_WEBRTC_TOKEN_LEN);
		(void)mcu_webrtc_token_equal("secret\n", s);
	} else {
		/* DTLS records to a fresh server association, split at the
		   0xff bytes into datagrams. */
		struct mcu_dtls *d = NULL;
		if (mcu_dtls_alloc(&d, cert(), true,
		                   mcu_dtls_cert_fingerprint(cert()), sink,
		                   NULL) == 0) {
			size_t start = 0;
			for (size_t i = 0; i <= size; i++) {
				if (i < size && data[i] != 0xff)
					continue;
				if (i > start)
					mcu_dtls_input(d, data + start,
					               i - start);
				start = i + 1;
			}
			mcu_dtls_poll(d);
			mcu_dtls_free(d);
		}
	}
	free(s);
	return 0;
}
