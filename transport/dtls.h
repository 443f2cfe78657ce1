/*
 * dtls: DTLS-SRTP (RFC 5763, RFC 5764) over OpenSSL for WebRTC legs, and
 * the first-byte demultiplexing of RFC 7983 that lets STUN, DTLS and
 * SRTP/SRTCP share one ICE socket.
 *
 * Owns: the MCU's certificate (a self-signed ECDSA P-256 certificate
 * made when the process starts; browsers pin it by the SHA-256
 * fingerprint we put in the SDP answer, so it needs no CA), the
 * fingerprint text of a=fingerprint ("sha-256 AB:CD:..."), and one DTLS
 * association per WebRTC session over memory BIOs: the caller feeds the
 * datagrams that arrived and sends what the association hands to its
 * send handler. When the handshake ends, the peer's certificate is
 * checked against the fingerprint of its SDP offer (constant-time
 * compare; a mismatch fails the association) and the SRTP master keys
 * are exported (use_srtp: SRTP_AEAD_AES_128_GCM, SRTP_AES128_CM_SHA1_80)
 * for transport/srtp sessions.
 *
 * Threads: the pure functions (demux, fingerprint text) may be called
 * from anywhere. An association is not thread-safe: its owner serialises
 * every call on it. A certificate is immutable once made and may be
 * shared by every association.
 */
#ifndef MCU_TRANSPORT_DTLS_H
#define MCU_TRANSPORT_DTLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "transport/srtp.h"

/* What arrived on an ICE socket, by its first byte (RFC 7983 section 7,
   with RTP and RTCP told apart by the payload type, RFC 5761). */
enum mcu_demux {
	MCU_DEMUX_DROP = 0, /* nothing we take (ZRTP, TURN channel, junk) */
	MCU_DEMUX_STUN,     /* 0..3 */
	MCU_DEMUX_DTLS,     /* 20..63 */
	MCU_DEMUX_RTP,      /* 128..191, payload type outside 64..95 */
	MCU_DEMUX_RTCP,     /* 128..191, packet type 192..223 */
};

/* Classify a datagram; too short for its kind counts as DROP. */
enum mcu_demux mcu_demux_classify(const uint8_t *buf, size_t len);

/* SHA-256: 32 bytes, 95 characters as "AB:CD:...". */
#define MCU_DTLS_DIGEST_LEN 32
/* Longest a=fingerprint value we write ("sha-256 " + 95 + NUL). */
#define MCU_DTLS_FINGERPRINT_LEN 104

/*
 * Write "sha-256 AB:CD:..." for a 32-byte digest. Returns 0 or ENOSPC.
 */
int mcu_dtls_fingerprint_format(char *buf, size_t size,
                                const uint8_t digest[MCU_DTLS_DIGEST_LEN]);

/*
 * Parse an a=fingerprint value: the hash name (case-insensitive) and
 * colon-separated hex pairs of exactly the hash's length. Returns 0 with
 * the digest; ENOTSUP for a well-formed value of another hash (sha-1,
 * sha-384...: browsers use sha-256); EINVAL for anything malformed.
 */
int mcu_dtls_fingerprint_parse(const char *value,
                               uint8_t digest[MCU_DTLS_DIGEST_LEN]);

struct mcu_dtls_cert;

/* Make a fresh key pair and self-signed certificate (CN=mcud, valid
   30 days from yesterday). 0, EIO or ENOMEM. */
int mcu_dtls_cert_alloc(struct mcu_dtls_cert **certp);
struct mcu_dtls_cert *mcu_dtls_cert_free(struct mcu_dtls_cert *cert);
/* Our a=fingerprint value ("sha-256 ..."), valid while cert is. */
const char *mcu_dtls_cert_fingerprint(const struct mcu_dtls_cert *cert);

enum mcu_dtls_state {
	MCU_DTLS_HANDSHAKE = 0,
	MCU_DTLS_CONNECTED, /* peer verified, keys ready */
	MCU_DTLS_FAILED,    /* handshake error, bad fingerprint, no SRTP */
	MCU_DTLS_CLOSED,    /* the peer sent close_notify */
};

/* Sends one datagram on the ICE transport; called from inside the
   association's functions. */
typedef void(mcu_dtls_send_h)(void *arg, const uint8_t *buf, size_t len);

struct mcu_dtls;

/*
 * An association with `cert` as our certificate. `server`: we are the
 * DTLS server (a=setup:passive, our answer to a browser's actpass).
 * `remote_fingerprint` is the peer's a=fingerprint value; it must parse
 * (EINVAL/ENOTSUP otherwise). A client sends its ClientHello at once.
 * Returns 0, EINVAL, ENOTSUP, EIO or ENOMEM.
 */
int mcu_dtls_alloc(struct mcu_dtls **dp, const struct mcu_dtls_cert *cert,
                   bool server, const char *remote_fingerprint,
                   mcu_dtls_send_h *send, void *arg);
struct mcu_dtls *mcu_dtls_free(struct mcu_dtls *d);

/* One DTLS datagram from the peer. Returns the state after it. */
enum mcu_dtls_state mcu_dtls_input(struct mcu_dtls *d, const uint8_t *buf,
                                   size_t len);

/* Retransmit a lost flight when its timer ran out; call it every 50 to
   100 ms during the handshake. Returns the state. */
enum mcu_dtls_state mcu_dtls_poll(struct mcu_dtls *d);

enum mcu_dtls_state mcu_dtls_state(const struct mcu_dtls *d);
/* Why the association failed (static text; "" otherwise). */
const char *mcu_dtls_error(const struct mcu_dtls *d);

/*
 * Once CONNECTED: the negotiated SRTP suite and the master key || salt
 * each side sends with (RFC 5764 section 4.2: client key, server key,
 * client salt, server salt). `tx` is ours, `rx` the peer's, each
 * MCU_SRTP_KEY_MAX bytes (the suite uses mcu_srtp_key_len of them).
 * Secret: wipe after use. Returns 0, EAGAIN (not connected) or EIO.
 */
int mcu_dtls_srtp_keys(struct mcu_dtls *d, enum mcu_srtp_suite *suite,
                       uint8_t tx[MCU_SRTP_KEY_MAX],
                       uint8_t rx[MCU_SRTP_KEY_MAX]);

#endif
