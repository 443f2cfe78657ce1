/*
 * Why it works this way:
 *
 * One libsrtp context can hold only one wildcard ("any SSRC") template, so
 * a session here is two contexts: one for what we send (ssrc_any_outbound)
 * and one for what we receive (ssrc_any_inbound). Each has its own mutex:
 * the video tick, the audio tick and the I/O thread (NACK answers, RTCP)
 * may send on one stream, and RTP and RTCP of one stream may arrive on two
 * sockets owned by different I/O threads. The locks are held only for the
 * cipher work on one packet.
 *
 * The send side allows repeated sequence numbers (allow_repeat_tx): the
 * NACK history keeps packets in the clear and protects them again when
 * resent. The receive side keeps libsrtp's replay database with a window
 * of MCU_SRTP_REPLAY_WINDOW packets, wide enough for video that arrives
 * reordered or repaired by NACK.
 *
 * SDES lifetimes: libsrtp stops a key after 2^48 SRTP packets (2^31 SRTCP)
 * on its own, but does not re-key earlier; we never re-key within a call,
 * so we take only keys whose lifetime is at least 2^31 packets (days of
 * video at 300 packets a second) and refuse shorter ones rather than use a
 * key longer than the offerer allows.
 */
#define MCU_LOG_MODULE "srtp"
#include "transport/srtp.h"
#include "conf/log.h"
#include "conf/pi_mutex.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/rand.h>
#include <srtp2/srtp.h>

_Static_assert(MCU_SRTP_TRAILER >= SRTP_MAX_TRAILER_LEN + 4,
               "trailer room for SRTCP");
_Static_assert(MCU_SRTP_KEY_MAX == SRTP_AES_ICM_128_KEY_LEN_WSALT,
               "AES-CM key||salt");

#define MIN_LIFETIME_LOG2 31
#define MAX_LIFETIME_LOG2 48

struct mcu_srtp {
	enum mcu_srtp_suite suite;
	pthread_mutex_t tx_lock, rx_lock;
	srtp_t tx; /* tx_lock */
	srtp_t rx; /* rx_lock */
};

/* ---- suites ---------------------------------------------------------- */

static const char *const suite_names[MCU_SRTP_SUITE_COUNT] = {
    [MCU_SRTP_AES_CM_128_HMAC_SHA1_80] = "AES_CM_128_HMAC_SHA1_80",
    [MCU_SRTP_AES_CM_128_HMAC_SHA1_32] = "AES_CM_128_HMAC_SHA1_32",
    [MCU_SRTP_AEAD_AES_128_GCM] = "AEAD_AES_128_GCM",
};

const char *mcu_srtp_suite_name(enum mcu_srtp_suite suite)
{
	if (suite <= MCU_SRTP_NONE || suite >= MCU_SRTP_SUITE_COUNT)
		return "none";
	return suite_names[suite];
}

enum mcu_srtp_suite mcu_srtp_suite_from_name(const char *name)
{
	if (!name)
		return MCU_SRTP_NONE;
	for (int i = MCU_SRTP_NONE + 1; i < MCU_SRTP_SUITE_COUNT; i++)
		if (strcmp(name, suite_names[i]) == 0)
			return (enum mcu_srtp_suite)i;
	return MCU_SRTP_NONE;
}

size_t mcu_srtp_key_len(enum mcu_srtp_suite suite)
{
	switch (suite) {
	case MCU_SRTP_AES_CM_128_HMAC_SHA1_80:
	case MCU_SRTP_AES_CM_128_HMAC_SHA1_32:
		return SRTP_AES_ICM_128_KEY_LEN_WSALT;
	case MCU_SRTP_AEAD_AES_128_GCM:
		return SRTP_AES_GCM_128_KEY_LEN_WSALT;
	default:
		return 0;
	}
}

static pthread_once_t init_once = PTHREAD_ONCE_INIT;
static int init_err;

static void do_init(void)
{
	srtp_err_status_t st = srtp_init();
	if (st != srtp_err_status_ok) {
		mcu_log_error("libsrtp initialisation failed (%d)", (int)st);
		init_err = EIO;
	}
}

int mcu_srtp_init(void)
{
	if (pthread_once(&init_once, do_init) != 0)
		return EIO;
	return init_err;
}

int mcu_srtp_keygen(uint8_t *key, size_t len)
{
	if (!key || len == 0 || len > INT_MAX)
		return EINVAL;
	return RAND_bytes(key, (int)len) == 1 ? 0 : EIO;
}

/* ---- base64 (RFC 4648, the alphabet RFC 4568 uses) ------------------- */

static const char b64_chars[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static int b64_value(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

/* Decode exactly `want` bytes from s[0..n) (padding optional but, when
   present, correct). 0 or EINVAL. */
static int b64_decode(const char *s, size_t n, uint8_t *out, size_t want)
{
	size_t pad = 0, o = 0;
	uint32_t acc = 0;
	unsigned bits = 0;
	while (pad < 2 && n > 0 && s[n - 1] == '=') {
		n--;
		pad++;
	}
	if (pad && (n + pad) % 4 != 0)
		return EINVAL;
	for (size_t i = 0; i < n; i++) {
		int v = b64_value(s[i]);
		if (v < 0)
			return EINVAL;
		acc = (acc << 6) | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (o == want)
				return EINVAL;
			out[o++] = (uint8_t)(acc >> bits);
		}
		acc &= (1u << bits) - 1;
	}
	/* Leftover bits must be zero and fewer than a byte's worth. */
	if (o != want || bits >= 6 || acc != 0)
		return EINVAL;
	return 0;
}

static size_t b64_encode(const uint8_t *in, size_t n, char *out)
{
	size_t o = 0, i = 0;
	for (; i + 2 < n; i += 3) {
		uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 |
		             in[i + 2];
		out[o++] = b64_chars[v >> 18];
		out[o++] = b64_chars[(v >> 12) & 63];
		out[o++] = b64_chars[(v >> 6) & 63];
		out[o++] = b64_chars[v & 63];
	}
	if (i < n) {
		uint32_t v = (uint32_t)in[i] << 16;
		if (i + 1 < n)
			v |= (uint32_t)in[i + 1] << 8;
		out[o++] = b64_chars[v >> 18];
		out[o++] = b64_chars[(v >> 12) & 63];
		out[o++] = i + 1 < n ? b64_chars[(v >> 6) & 63] : '=';
		out[o++] = '=';
	}
	out[o] = '\0';
	return o;
}

/* ---- a=crypto --------------------------------------------------------- */

static bool all_digits(const char *s, size_t n)
{
	if (n == 0)
		return false;
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

/* Decimal s[0..n) into *v; EINVAL if not digits or above `max`. */
static int dec_value(const char *s, size_t n, uint64_t max, uint64_t *v)
{
	uint64_t x = 0;
	if (!all_digits(s, n) || n > 20)
		return EINVAL;
	for (size_t i = 0; i < n; i++) {
		unsigned d = (unsigned)(s[i] - '0');
		if (x > (max - d) / 10)
			return EINVAL;
		x = x * 10 + d;
	}
	*v = x;
	return 0;
}

/* Lifetime "2^n" or decimal: 0 (long enough), ENOTSUP (too short) or
   EINVAL (malformed or above 2^48). */
static int check_lifetime(const char *s, size_t n)
{
	uint64_t v;
	if (n > 2 && s[0] == '2' && s[1] == '^') {
		if (dec_value(s + 2, n - 2, 64, &v) != 0 || v == 0 ||
		    v > MAX_LIFETIME_LOG2)
			return EINVAL;
		return v >= MIN_LIFETIME_LOG2 ? 0 : ENOTSUP;
	}
	if (dec_value(s, n, UINT64_MAX, &v) != 0 || v == 0 ||
	    v > (1ull << MAX_LIFETIME_LOG2))
		return EINVAL;
	return v >= (1ull << MIN_LIFETIME_LOG2) ? 0 : ENOTSUP;
}

/* "MKI:length": well-formed (ENOTSUP: we take no MKI) or EINVAL. */
static int check_mki(const char *s, size_t n)
{
	const char *colon = memchr(s, ':', n);
	uint64_t v, len;
	if (!colon)
		return EINVAL;
	size_t a = (size_t)(colon - s);
	if (dec_value(s, a, UINT64_MAX, &v) != 0 ||
	    dec_value(colon + 1, n - a - 1, 128, &len) != 0 || len == 0)
		return EINVAL;
	return ENOTSUP;
}

/* One key-param "inline:KEY[|LIFETIME][|MKI:LEN]" of s[0..n). */
static int parse_key_param(struct mcu_srtp_crypto *c, const char *s, size_t n)
{
	static const char method[] = "inline:";
	const char *fields[4];
	size_t lens[4], nf = 0;
	int err;

	if (n < sizeof(method) - 1 || memcmp(s, method, sizeof(method) - 1))
		return EINVAL; /* the only key method of RFC 4568 */
	s += sizeof(method) - 1;
	n -= sizeof(method) - 1;
	while (nf < 4) {
		const char *bar = memchr(s, '|', n);
		size_t l = bar ? (size_t)(bar - s) : n;
		fields[nf] = s;
		lens[nf++] = l;
		if (!bar)
			break;
		s = bar + 1;
		n -= l + 1;
	}
	if (nf == 4 || (nf >= 2 && lens[nf - 1] == 0))
		return EINVAL;
	err = b64_decode(fields[0], lens[0], c->key, c->key_len);
	if (err)
		return err;
	if (nf == 2) {
		/* One extra field: a lifetime, or an MKI without one. */
		if (memchr(fields[1], ':', lens[1]))
			return check_mki(fields[1], lens[1]);
		return check_lifetime(fields[1], lens[1]);
	}
	if (nf == 3) {
		err = check_lifetime(fields[1], lens[1]);
		int e2 = check_mki(fields[2], lens[2]);
		return err == EINVAL || e2 == EINVAL ? EINVAL : ENOTSUP;
	}
	return 0;
}

/* One session parameter s[0..n): 0 (fine), ENOTSUP or EINVAL. */
static int check_session_param(const char *s, size_t n)
{
	uint64_t v;
	if (n >= 4 && memcmp(s, "WSH=", 4) == 0)
		return dec_value(s + 4, n - 4, UINT32_MAX, &v) == 0 && v >= 64
		           ? 0
		           : EINVAL;
	if (n >= 4 && memcmp(s, "KDR=", 4) == 0) {
		if (dec_value(s + 4, n - 4, 24, &v) != 0)
			return EINVAL;
		return v == 0 ? 0 : ENOTSUP; /* libsrtp derives keys once */
	}
	if (s[0] == '-')
		return n > 1 ? 0 : EINVAL; /* an extension we may ignore */
	/* UNENCRYPTED_SRTCP, UNENCRYPTED_SRTP, UNAUTHENTICATED_SRTP,
	   FEC_ORDER, FEC_KEY and anything unknown and mandatory. */
	return ENOTSUP;
}

int mcu_srtp_crypto_parse_parts(struct mcu_srtp_crypto *c, unsigned tag,
                                const char *suite, const char *params)
{
	int err = EINVAL;
	if (!c)
		return EINVAL;
	memset(c, 0, sizeof(*c));
	if (!suite || !params || tag == 0 || tag > 999999999u)
		goto out;
	for (const char *p = params; *p; p++)
		if ((unsigned char)*p < 0x20 || (unsigned char)*p > 0x7e)
			goto out;
	for (const char *p = suite; *p; p++)
		if ((unsigned char)*p <= 0x20 || (unsigned char)*p > 0x7e)
			goto out;
	if (!*suite)
		goto out;
	c->tag = tag;
	c->suite = mcu_srtp_suite_from_name(suite);
	c->key_len = mcu_srtp_key_len(c->suite);
	/* key-params: up to the first space; ';' separates several keys. */
	size_t kn = strcspn(params, " ");
	if (kn == 0)
		goto out;
	if (memchr(params, ';', kn)) {
		err = ENOTSUP; /* several keys: they need an MKI each */
		goto out;
	}
	if (c->suite == MCU_SRTP_NONE) {
		err = ENOTSUP;
		goto out;
	}
	err = parse_key_param(c, params, kn);
	for (const char *p = params + kn; !err && *p;) {
		while (*p == ' ')
			p++;
		size_t n = strcspn(p, " ");
		if (n)
			err = check_session_param(p, n);
		p += n;
	}
out:
	if (err)
		explicit_bzero(c, sizeof(*c));
	return err;
}

int mcu_srtp_crypto_parse(struct mcu_srtp_crypto *c, const char *value)
{
	char suite[64];
	uint64_t tag;
	if (!c)
		return EINVAL;
	memset(c, 0, sizeof(*c));
	if (!value)
		return EINVAL;
	size_t n = strcspn(value, " ");
	if (dec_value(value, n, 999999999u, &tag) != 0 || value[n] != ' ')
		return EINVAL;
	value += n + 1;
	n = strcspn(value, " ");
	if (n == 0 || n >= sizeof(suite) || value[n] != ' ')
		return EINVAL;
	memcpy(suite, value, n);
	suite[n] = '\0';
	return mcu_srtp_crypto_parse_parts(c, (unsigned)tag, suite,
	                                   value + n + 1);
}

int mcu_srtp_crypto_format(char *buf, size_t size, unsigned tag,
                           enum mcu_srtp_suite suite, const uint8_t *key)
{
	char b64[(MCU_SRTP_KEY_MAX + 2) / 3 * 4 + 1];
	size_t kl = mcu_srtp_key_len(suite);
	if (!buf || !key || kl == 0 || tag == 0 || tag > 999999999u)
		return EINVAL;
	b64_encode(key, kl, b64);
	int n = snprintf(buf, size, "%u %s inline:%s", tag,
	                 mcu_srtp_suite_name(suite), b64);
	explicit_bzero(b64, sizeof(b64));
	if (n < 0 || (size_t)n >= size) {
		if (size)
			explicit_bzero(buf, size);
		return ENOSPC;
	}
	return 0;
}

/* ---- sessions --------------------------------------------------------- */

static void set_policy(srtp_policy_t *pol, enum mcu_srtp_suite suite)
{
	switch (suite) {
	case MCU_SRTP_AES_CM_128_HMAC_SHA1_32:
		/* RFC 4568 6.2.2: SRTCP keeps the 80-bit tag. */
		srtp_crypto_policy_set_aes_cm_128_hmac_sha1_32(&pol->rtp);
		srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&pol->rtcp);
		break;
	case MCU_SRTP_AEAD_AES_128_GCM:
		srtp_crypto_policy_set_aes_gcm_128_16_auth(&pol->rtp);
		srtp_crypto_policy_set_aes_gcm_128_16_auth(&pol->rtcp);
		break;
	default:
		srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&pol->rtp);
		srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&pol->rtcp);
		break;
	}
}

static int create_ctx(srtp_t *ctx, enum mcu_srtp_suite suite,
                      const uint8_t *key, bool outbound)
{
	uint8_t k[MCU_SRTP_KEY_MAX];
	srtp_policy_t pol;
	memset(&pol, 0, sizeof(pol));
	set_policy(&pol, suite);
	memcpy(k, key, mcu_srtp_key_len(suite));
	pol.key = k;
	pol.ssrc.type = outbound ? ssrc_any_outbound : ssrc_any_inbound;
	pol.window_size = MCU_SRTP_REPLAY_WINDOW;
	pol.allow_repeat_tx = outbound;
	srtp_err_status_t st = srtp_create(ctx, &pol);
	explicit_bzero(k, sizeof(k));
	if (st == srtp_err_status_alloc_fail)
		return ENOMEM;
	if (st != srtp_err_status_ok) {
		mcu_log_error("libsrtp refused a %s session (%d)",
		              mcu_srtp_suite_name(suite), (int)st);
		*ctx = NULL;
		return EIO;
	}
	return 0;
}

int mcu_srtp_alloc(struct mcu_srtp **sp, enum mcu_srtp_suite suite,
                   const uint8_t *tx_key, const uint8_t *rx_key)
{
	struct mcu_srtp *s;
	int err;
	if (!sp || !tx_key || !rx_key || mcu_srtp_key_len(suite) == 0)
		return EINVAL;
	err = mcu_srtp_init();
	if (err)
		return err;
	s = calloc(1, sizeof(*s));
	if (!s)
		return ENOMEM;
	s->suite = suite;
	mcu_mutex_init_pi(&s->tx_lock);
	mcu_mutex_init_pi(&s->rx_lock);
	err = create_ctx(&s->tx, suite, tx_key, true);
	if (!err)
		err = create_ctx(&s->rx, suite, rx_key, false);
	if (err) {
		mcu_srtp_free(s);
		return err;
	}
	*sp = s;
	return 0;
}

struct mcu_srtp *mcu_srtp_free(struct mcu_srtp *s)
{
	if (!s)
		return NULL;
	/* srtp_dealloc wipes the session keys it holds. */
	if (s->tx)
		srtp_dealloc(s->tx);
	if (s->rx)
		srtp_dealloc(s->rx);
	pthread_mutex_destroy(&s->tx_lock);
	pthread_mutex_destroy(&s->rx_lock);
	free(s);
	return NULL;
}

static int protect(struct mcu_srtp *s, uint8_t *buf, size_t *len, size_t cap,
                   bool rtcp)
{
	if (!s || !buf || !len)
		return EINVAL;
	if (*len < (rtcp ? 8u : 12u) || *len > INT_MAX - MCU_SRTP_TRAILER)
		return EINVAL;
	if (cap < *len + MCU_SRTP_TRAILER)
		return ENOBUFS;
	int n = (int)*len;
	pthread_mutex_lock(&s->tx_lock);
	srtp_err_status_t st = rtcp ? srtp_protect_rtcp(s->tx, buf, &n)
	                            : srtp_protect(s->tx, buf, &n);
	pthread_mutex_unlock(&s->tx_lock);
	if (st != srtp_err_status_ok || n < 0 || (size_t)n > cap)
		return EINVAL;
	*len = (size_t)n;
	return 0;
}

int mcu_srtp_protect(struct mcu_srtp *s, uint8_t *buf, size_t *len, size_t cap)
{
	return protect(s, buf, len, cap, false);
}

int mcu_srtp_protect_rtcp(struct mcu_srtp *s, uint8_t *buf, size_t *len,
                          size_t cap)
{
	return protect(s, buf, len, cap, true);
}

static int unprotect(struct mcu_srtp *s, uint8_t *buf, size_t *len, bool rtcp)
{
	if (!s || !buf || !len)
		return EINVAL;
	/* Version 2 and a header; libsrtp checks the rest. */
	if (*len < (rtcp ? 8u : 12u) || *len > INT_MAX || (buf[0] >> 6) != 2)
		return EINVAL;
	int n = (int)*len;
	pthread_mutex_lock(&s->rx_lock);
	srtp_err_status_t st = rtcp ? srtp_unprotect_rtcp(s->rx, buf, &n)
	                            : srtp_unprotect(s->rx, buf, &n);
	pthread_mutex_unlock(&s->rx_lock);
	switch (st) {
	case srtp_err_status_ok:
		if (n < 0 || (size_t)n > *len)
			return EINVAL;
		*len = (size_t)n;
		return 0;
	case srtp_err_status_auth_fail:
		return EBADMSG;
	case srtp_err_status_replay_fail:
	case srtp_err_status_replay_old:
		return EALREADY;
	default:
		return EINVAL;
	}
}

int mcu_srtp_unprotect(struct mcu_srtp *s, uint8_t *buf, size_t *len)
{
	return unprotect(s, buf, len, false);
}

int mcu_srtp_unprotect_rtcp(struct mcu_srtp *s, uint8_t *buf, size_t *len)
{
	return unprotect(s, buf, len, true);
}
