/*
 * srtp: Secure RTP (RFC 3711) sessions over libsrtp2 and the SDES key
 * exchange of SDP (RFC 4568, a=crypto).
 *
 * Owns: the three crypto suites the MCU speaks (AES_CM_128_HMAC_SHA1_80,
 * AES_CM_128_HMAC_SHA1_32, AEAD_AES_128_GCM of RFC 7714), master key
 * generation (OpenSSL RAND_bytes), parsing and writing of a=crypto values,
 * and one session object per media stream: it protects what we send and
 * unprotects what we receive, with libsrtp's replay database (a window of
 * MCU_SRTP_REPLAY_WINDOW packets per SSRC) on the receive side.
 *
 * A packet that fails authentication or the replay check is reported
 * (EBADMSG, EALREADY) for the caller to count and drop; nothing here ends a
 * call. Key material is secret: it is never logged, and sessions wipe
 * their copies when freed.
 *
 * Threads: the parsing/formatting functions are pure. A session may be
 * used from several threads: its send side and its receive side each have
 * their own lock (libsrtp's contexts are not thread-safe), so a send and a
 * receive never wait for each other. No call on the packet path allocates,
 * except libsrtp's one stream per new SSRC (after that packet
 * authenticated, for the receive side).
 */
#ifndef MCU_TRANSPORT_SRTP_H
#define MCU_TRANSPORT_SRTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum mcu_srtp_suite {
	MCU_SRTP_NONE = 0,
	MCU_SRTP_AES_CM_128_HMAC_SHA1_80,
	MCU_SRTP_AES_CM_128_HMAC_SHA1_32,
	MCU_SRTP_AEAD_AES_128_GCM,
	MCU_SRTP_SUITE_COUNT
};

/* Longest master key || master salt of our suites (AES-CM: 16 + 14). */
#define MCU_SRTP_KEY_MAX 30
/* Bytes a buffer must have free after a packet for protect (tag, SRTCP
   index, libsrtp's worst case). */
#define MCU_SRTP_TRAILER 160
/* Packets a receiver may arrive late (reordered, NACK-repaired) and still
   pass the replay check. */
#define MCU_SRTP_REPLAY_WINDOW 1024
/* Longest a=crypto value we write ("tag suite inline:base64"). */
#define MCU_SRTP_CRYPTO_LEN 96

/* libsrtp's global set-up, once per process (thread-safe). 0 or EIO. */
int mcu_srtp_init(void);

/* "AES_CM_128_HMAC_SHA1_80" and back; NONE for a name we do not speak. */
const char *mcu_srtp_suite_name(enum mcu_srtp_suite suite);
enum mcu_srtp_suite mcu_srtp_suite_from_name(const char *name);
/* Bytes of master key || salt of a suite (30 or 28), 0 for NONE. */
size_t mcu_srtp_key_len(enum mcu_srtp_suite suite);

/* Fill `len` bytes with key material from OpenSSL's CSPRNG. 0 or EIO. */
int mcu_srtp_keygen(uint8_t *key, size_t len);

/* One parsed a=crypto value. */
struct mcu_srtp_crypto {
	unsigned tag; /* 1..999999999 */
	enum mcu_srtp_suite suite;
	uint8_t key[MCU_SRTP_KEY_MAX]; /* master key || salt, key_len bytes */
	size_t key_len;
};

/*
 * Parse an a=crypto value ("1 AES_CM_128_HMAC_SHA1_80 inline:KEY[|LIFE]
 * [session-params]"): one inline key whose base64 decodes to exactly the
 * suite's length, an optional lifetime of 2^31..2^48 packets ("2^n" or
 * decimal), session parameters only WSH=n and optional ("-"-prefixed)
 * extensions. Returns 0; EINVAL for a malformed value; ENOTSUP for a
 * well-formed one we do not take: an unknown suite, an MKI, several keys,
 * a lifetime shorter than we can keep (we never re-key mid-call), KDR,
 * FEC_*, UNENCRYPTED_/UNAUTHENTICATED_ parameters or another mandatory
 * parameter. `c` is wiped on failure.
 */
int mcu_srtp_crypto_parse(struct mcu_srtp_crypto *c, const char *value);
/* The same with the value already split (tag, suite name, the rest). */
int mcu_srtp_crypto_parse_parts(struct mcu_srtp_crypto *c, unsigned tag,
                                const char *suite, const char *params);

/*
 * Write "TAG SUITE inline:BASE64(key)" (the suite's key length of `key`)
 * into buf. Returns 0, EINVAL or ENOSPC.
 */
int mcu_srtp_crypto_format(char *buf, size_t size, unsigned tag,
                           enum mcu_srtp_suite suite, const uint8_t *key);

struct mcu_srtp;

/*
 * A session for one media stream: we protect with `tx_key` (ours, as we
 * wrote it in our a=crypto) and unprotect with `rx_key` (the remote's),
 * both the suite's length. Any SSRC in either direction. Returns 0,
 * EINVAL, EIO (libsrtp refused) or ENOMEM.
 */
int mcu_srtp_alloc(struct mcu_srtp **sp, enum mcu_srtp_suite suite,
                   const uint8_t *tx_key, const uint8_t *rx_key);
/* Wipe and free; returns NULL. */
struct mcu_srtp *mcu_srtp_free(struct mcu_srtp *s);

/*
 * Protect an RTP (or RTCP) packet of *len bytes in place; buf holds `cap`
 * bytes, at least *len + MCU_SRTP_TRAILER. *len becomes the SRTP length.
 * The same sequence number may be protected again (NACK retransmission).
 * Returns 0, EINVAL (not a packet) or ENOBUFS.
 */
int mcu_srtp_protect(struct mcu_srtp *s, uint8_t *buf, size_t *len, size_t cap);
int mcu_srtp_protect_rtcp(struct mcu_srtp *s, uint8_t *buf, size_t *len,
                          size_t cap);

/*
 * Verify and decrypt an SRTP (SRTCP) packet in place; *len becomes the
 * plain length. Returns 0, EBADMSG (authentication failed), EALREADY
 * (replayed or too old for the replay window) or EINVAL (too short or
 * otherwise unusable). On error the bytes are unspecified: drop them.
 */
int mcu_srtp_unprotect(struct mcu_srtp *s, uint8_t *buf, size_t *len);
int mcu_srtp_unprotect_rtcp(struct mcu_srtp *s, uint8_t *buf, size_t *len);

#endif
