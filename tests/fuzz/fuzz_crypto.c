/*
 * fuzz_crypto: the a=crypto parser (transport/srtp.h) on any bytes. The
 * input is one SDP attribute value as a peer may send it. Checks: no
 * crash or read past the string; on success the suite is known, the key
 * has the suite's length, formatting it back and parsing that gives the
 * same tag, suite and key; on failure the result is wiped.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "transport/srtp.h"

#define CHECK(x)                                                               \
	do {                                                                   \
		if (!(x))                                                      \
			abort();                                               \
	} while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct mcu_srtp_crypto zero;
	struct mcu_srtp_crypto c, d;
	char line[MCU_SRTP_CRYPTO_LEN];
	char *s;

	if (size > 4096)
		return 0;
	s = malloc(size + 1);
	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	int err = mcu_srtp_crypto_parse(&c, s);
	CHECK(err == 0 || err == EINVAL || err == ENOTSUP);
	if (err) {
		CHECK(memcmp(&c, &zero, sizeof(c)) == 0);
	} else {
		CHECK(c.suite != MCU_SRTP_NONE);
		CHECK(c.key_len == mcu_srtp_key_len(c.suite));
		CHECK(c.tag >= 1 && c.tag <= 999999999u);
		CHECK(mcu_srtp_crypto_format(line, sizeof(line), c.tag, c.suite,
		                             c.key) == 0);
		CHECK(mcu_srtp_crypto_parse(&d, line) == 0);
		CHECK(d.tag == c.tag && d.suite == c.suite &&
		      d.key_len == c.key_len &&
		      memcmp(d.key, c.key, c.key_len) == 0);
	}
	free(s);
	return 0;
}
