/*
 * sip_auth: server-side HTTP digest for SIP (RFC 2617/3261 §22, MD5, qop
 * "auth" or none) and the parsing of SIP INFO DTMF bodies. Used by
 * transport/sip.c; public so the fuzz targets and tests reach them.
 *
 * Nonces are stateless: hex(8-byte timestamp) + hex(first 16 bytes of
 * HMAC-SHA256(key, timestamp)), so a nonce proves it came from this process
 * and carries its own age; ttl checking needs no table. A nonce may be used
 * again within its lifetime (nonce-count is not tracked).
 *
 * Pure functions, any thread.
 */
#ifndef MCU_TRANSPORT_SIP_AUTH_H
#define MCU_TRANSPORT_SIP_AUTH_H

#include <stddef.h>
#include <stdint.h>

#define MCU_SIP_NONCE_KEY_LEN 32
#define MCU_SIP_NONCE_LEN     48 /* hex chars, without the NUL */

/* Parameters of one Authorization: Digest header, unquoted. */
struct mcu_sip_digest {
	char username[128];
	char realm[128];
	char nonce[128];
	char uri[512];
	char response[64];
	char algorithm[32];
	char cnonce[128];
	char nc[16];
	char qop[32];
	char opaque[128];
};

/*
 * Fill *d from an auth scheme and its parameter list ("name=value" strings
 * as sofia's msg_auth_t au_params holds them, NULL-terminated). Returns 0,
 * EINVAL (not Digest, a required parameter missing, malformed or too long)
 * or ENOTSUP (algorithm other than MD5, qop other than auth).
 */
int mcu_sip_digest_parse(struct mcu_sip_digest *d, const char *scheme,
                         const char *const *params);

/*
 * Check the response of *d for `method` against user/realm/password.
 * Returns 0 when it matches, EACCES when it does not (also when username or
 * realm differ), EINVAL on bad input.
 */
int mcu_sip_digest_verify(const struct mcu_sip_digest *d, const char *method,
                          const char *user, const char *realm,
                          const char *password);

/* Make a nonce for time `now` (seconds, any monotonic base) into out
   (size > MCU_SIP_NONCE_LEN). Returns 0 or EINVAL. */
int mcu_sip_nonce_make(const uint8_t key[MCU_SIP_NONCE_KEY_LEN], int64_t now,
                       char *out, size_t size);
/* 0 if the nonce is ours and not older than ttl seconds, ESTALE if ours
   but too old (or from the future), EINVAL otherwise. */
int mcu_sip_nonce_check(const uint8_t key[MCU_SIP_NONCE_KEY_LEN],
                        const char *nonce, int64_t now, unsigned ttl);

/*
 * Parse an INFO body carrying one DTMF key: content type
 * "application/dtmf-relay" ("Signal=5\r\nDuration=160\r\n") or
 * "application/dtmf" ("5"). Keys: 0-9 * # A-D (upper case out); the
 * relay form also accepts Signal=10/11 for * and #. *duration_ms is 0 when
 * absent. Returns 0, ENOTSUP (other content type) or EINVAL.
 */
int mcu_sip_dtmf_parse(const char *content_type, const char *body,
                       size_t len, char *digit, unsigned *duration_ms);

#endif
