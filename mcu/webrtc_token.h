/*
 * webrtc_token: the bearer tokens a browser presents to WHIP
 * (POST /whip/{meeting}, Authorization: Bearer <token>).
 *
 * Two kinds: one-time join links the operator makes
 * (POST .../participants/{ep}/link), each good for one WHIP session of
 * one endpoint in one meeting until it expires; and a per-endpoint token
 * kept in a file the roster names (endpoints[].webrtc_token_file), good
 * for any number of sessions, one at a time. Only the SHA-256 of a link
 * token is stored; lookups compare digests in constant time. Tokens are
 * never logged.
 *
 * Threads: a table has its own mutex; the clock is passed in (monotonic
 * microseconds) so expiry is tested without sleeping.
 */
#ifndef MCU_WEBRTC_TOKEN_H
#define MCU_WEBRTC_TOKEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* base64url of 24 random bytes: 32 characters (+ NUL). */
#define MCU_WEBRTC_TOKEN_LEN  32
#define MCU_WEBRTC_TOKEN_SIZE (MCU_WEBRTC_TOKEN_LEN + 1)
#define MCU_WEBRTC_LINKS_MAX  256
#define MCU_WEBRTC_ID_MAX     128

/* Whether `s` has the shape of a token we could have made (length and
   alphabet); says nothing about validity. */
bool mcu_webrtc_token_shape_ok(const char *s);

/* A fresh random token (OpenSSL CSPRNG). 0 or EIO. */
int mcu_webrtc_token_new(char token[MCU_WEBRTC_TOKEN_SIZE]);

/* Whether `got` equals the secret `want` (constant time in the length
   of got; trailing whitespace of want, a file's newline, ignored). */
bool mcu_webrtc_token_equal(const char *want, const char *got);

struct mcu_webrtc_links;

int mcu_webrtc_links_alloc(struct mcu_webrtc_links **lp);
struct mcu_webrtc_links *mcu_webrtc_links_free(struct mcu_webrtc_links *l);

/*
 * A new link for `endpoint` in `meeting`, valid `ttl_us` from `now_us`:
 * the token goes to `token`. Expired links are dropped first. Returns 0,
 * EINVAL (an id too long), ENOSPC (MCU_WEBRTC_LINKS_MAX live links) or
 * EIO.
 */
int mcu_webrtc_links_add(struct mcu_webrtc_links *l, const char *meeting,
                         const char *endpoint, int64_t now_us, int64_t ttl_us,
                         char token[MCU_WEBRTC_TOKEN_SIZE]);

/*
 * Look a token up: 0 with its meeting and endpoint copied out (buffers
 * of MCU_WEBRTC_ID_MAX + 1), ENOENT (unknown, used or expired). `take`
 * uses it up (a WHIP session was made with it); the join page only
 * looks (take false).
 */
int mcu_webrtc_links_find(struct mcu_webrtc_links *l, const char *token,
                          int64_t now_us, bool take, char *meeting,
                          char *endpoint, int64_t *expires_us);

/* Live (unused, unexpired) links at now_us. */
size_t mcu_webrtc_links_count(struct mcu_webrtc_links *l, int64_t now_us);

#endif
