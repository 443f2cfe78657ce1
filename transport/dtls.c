/*
 * Why it works this way:
 *
 * The association runs over two memory BIOs rather than a socket: the ICE
 * agent owns the one UDP socket that carries STUN, DTLS and SRTP, so what
 * arrives is demultiplexed by its first byte (mcu_demux_classify) and the
 * DTLS datagrams are written into the read BIO; whatever OpenSSL writes
 * into the write BIO is drained after every call and handed to the send
 * handler as one datagram. The MTU is pinned at 1200 bytes so a flight
 * fits an IPv6 minimum path; our ECDSA certificate keeps flights small.
 *
 * The peer's certificate is self-signed (WebRTC has no CA): OpenSSL's
 * chain check is told to accept it, and the real check is ours once the
 * handshake ends, the SHA-256 of the certificate against the
 * a=fingerprint of the SDP (RFC 8122). Until that check passed, no key
 * leaves this module.
 */
#define MCU_LOG_MODULE "dtls"
#include "transport/dtls.h"
#include "conf/log.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#define DTLS_MTU 1200

/* ---- demultiplexing ---------------------------------------------------- */

enum mcu_demux mcu_demux_classify(const uint8_t *buf, size_t len)
{
	if (!buf || len == 0)
		return MCU_DEMUX_DROP;
	uint8_t b = buf[0];
	if (b <= 3)
		return len >= 20 ? MCU_DEMUX_STUN : MCU_DEMUX_DROP;
	if (b >= 20 && b <= 63)
		return len >= 13 ? MCU_DEMUX_DTLS : MCU_DEMUX_DROP;
	if (b >= 128 && b <= 191) {
		if (len < 2)
			return MCU_DEMUX_DROP;
		if (buf[1] >= 192 && buf[1] <= 223)
			return len >= 8 ? MCU_DEMUX_RTCP : MCU_DEMUX_DROP;
		return len >= 12 ? MCU_DEMUX_RTP : MCU_DEMUX_DROP;
	}
	return MCU_DEMUX_DROP;
}

/* ---- fingerprints ------------------------------------------------------ */

int mcu_dtls_fingerprint_format(char *buf, size_t size,
                                const uint8_t digest[MCU_DTLS_DIGEST_LEN])
{
	static const char hex[] = "0123456789ABCDEF";
	size_t need = 8 + MCU_DTLS_DIGEST_LEN * 3;
	if (!buf || size < need)
		return ENOSPC;
	memcpy(buf, "sha-256 ", 8);
	char *p = buf + 8;
	for (size_t i = 0; i < MCU_DTLS_DIGEST_LEN; i++) {
		*p++ = hex[digest[i] >> 4];
		*p++ = hex[digest[i] & 15];
		*p++ = i + 1 < MCU_DTLS_DIGEST_LEN ? ':' : '\0';
	}
	return 0;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (char)tolower((unsigned char)c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

int mcu_dtls_fingerprint_parse(const char *value,
                               uint8_t digest[MCU_DTLS_DIGEST_LEN])
{
	static const struct {
		const char *name;
		size_t len;
	} hashes[] = {{"sha-1", 20},   {"sha-224", 28}, {"sha-256", 32},
	              {"sha-384", 48}, {"sha-512", 64}, {"md5", 16},
	              {"md2", 16}};
	uint8_t d[64];
	size_t want = 0, n = 0;
	const char *p;

	if (!value || !digest)
		return EINVAL;
	p = strchr(value, ' ');
	if (!p)
		return EINVAL;
	size_t nl = (size_t)(p - value);
	for (size_t i = 0; i < sizeof(hashes) / sizeof(hashes[0]); i++)
		if (strlen(hashes[i].name) == nl &&
		    strncasecmp(value, hashes[i].name, nl) == 0)
			want = hashes[i].len;
	if (!want)
		return EINVAL;
	while (*p == ' ')
		p++;
	for (;;) {
		int hi = hexval(p[0]), lo = hi < 0 ? -1 : hexval(p[1]);
		if (hi < 0 || lo < 0 || n >= want)
			return EINVAL;
		d[n++] = (uint8_t)(hi << 4 | lo);
		p += 2;
		if (*p == ':') {
			p++;
			continue;
		}
		break;
	}
	while (*p == ' ' || *p == '\r' || *p == '\n')
		p++;
	if (*p || n != want)
		return EINVAL;
	if (want != MCU_DTLS_DIGEST_LEN || strncasecmp(value, "sha-256", 7))
		return ENOTSUP;
	memcpy(digest, d, MCU_DTLS_DIGEST_LEN);
	return 0;
}

/* ---- certificate ------------------------------------------------------- */

struct mcu_dtls_cert {
	EVP_PKEY *key;
	X509 *x509;
	char fingerprint[MCU_DTLS_FINGERPRINT_LEN];
};

static void log_ssl(const char *what)
{
	unsigned long e = ERR_get_error();
	char buf[256];
	ERR_error_string_n(e, buf, sizeof(buf));
	mcu_log_warn("%s: %s", what, e ? buf : "unknown error");
	ERR_clear_error();
}

int mcu_dtls_cert_alloc(struct mcu_dtls_cert **certp)
{
	struct mcu_dtls_cert *c = calloc(1, sizeof(*c));
	uint8_t serial[8], md[EVP_MAX_MD_SIZE];
	unsigned mdlen = 0;
	BIGNUM *bn = NULL;
	X509_NAME *name;
	int err = EIO;

	if (!c)
		return ENOMEM;
	c->key = EVP_EC_gen("P-256");
	c->x509 = X509_new();
	if (!c->key || !c->x509 || RAND_bytes(serial, sizeof(serial)) != 1)
		goto out;
	serial[0] &= 0x7f;
	bn = BN_bin2bn(serial, sizeof(serial), NULL);
	if (!bn || !BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(c->x509)) ||
	    !X509_set_version(c->x509, 2) ||
	    !X509_gmtime_adj(X509_getm_notBefore(c->x509), -86400L) ||
	    !X509_gmtime_adj(X509_getm_notAfter(c->x509), 30L * 86400L) ||
	    !X509_set_pubkey(c->x509, c->key))
		goto out;
	name = X509_get_subject_name(c->x509);
	if (!X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
	                                (const unsigned char *)"mcud", -1, -1,
	                                0) ||
	    !X509_set_issuer_name(c->x509, name) ||
	    !X509_sign(c->x509, c->key, EVP_sha256()) ||
	    !X509_digest(c->x509, EVP_sha256(), md, &mdlen) ||
	    mdlen != MCU_DTLS_DIGEST_LEN)
		goto out;
	mcu_dtls_fingerprint_format(c->fingerprint, sizeof(c->fingerprint), md);
	err = 0;
out:
	BN_free(bn);
	if (err) {
		log_ssl("cannot make the DTLS certificate");
		mcu_dtls_cert_free(c);
		return err;
	}
	*certp = c;
	return 0;
}

struct mcu_dtls_cert *mcu_dtls_cert_free(struct mcu_dtls_cert *cert)
{
	if (!cert)
		return NULL;
	X509_free(cert->x509);
	EVP_PKEY_free(cert->key);
	free(cert);
	return NULL;
}

const char *mcu_dtls_cert_fingerprint(const struct mcu_dtls_cert *cert)
{
	return cert ? cert->fingerprint : "";
}

/* ---- association ------------------------------------------------------- */

struct mcu_dtls {
	SSL_CTX *ctx;
	SSL *ssl;
	BIO *rbio, *wbio; /* owned by ssl */
	bool server;
	uint8_t remote_digest[MCU_DTLS_DIGEST_LEN];
	enum mcu_dtls_state state;
	const char *error;
	mcu_dtls_send_h *send;
	void *arg;
};

static int accept_any(int ok, X509_STORE_CTX *x)
{
	(void)ok;
	(void)x;
	return 1; /* self-signed: checked by fingerprint after the handshake */
}

static void flush_out(struct mcu_dtls *d)
{
	uint8_t buf[4096];
	int n;
	while ((n = BIO_read(d->wbio, buf, sizeof(buf))) > 0)
		d->send(d->arg, buf, (size_t)n);
}

static void fail(struct mcu_dtls *d, const char *why)
{
	if (d->state == MCU_DTLS_FAILED)
		return;
	d->state = MCU_DTLS_FAILED;
	d->error = why;
	ERR_clear_error();
}

static void check_peer(struct mcu_dtls *d)
{
	X509 *peer = SSL_get1_peer_certificate(d->ssl);
	uint8_t md[EVP_MAX_MD_SIZE];
	unsigned mdlen = 0;

	if (!peer) {
		fail(d, "the peer sent no certificate");
		return;
	}
	if (!X509_digest(peer, EVP_sha256(), md, &mdlen) ||
	    mdlen != MCU_DTLS_DIGEST_LEN ||
	    CRYPTO_memcmp(md, d->remote_digest, MCU_DTLS_DIGEST_LEN) != 0) {
		X509_free(peer);
		fail(d, "the peer's certificate does not match its "
		        "a=fingerprint");
		return;
	}
	X509_free(peer);
	if (!SSL_get_selected_srtp_profile(d->ssl)) {
		fail(d, "no SRTP profile was negotiated (use_srtp)");
		return;
	}
	d->state = MCU_DTLS_CONNECTED;
}

static void step(struct mcu_dtls *d)
{
	if (d->state != MCU_DTLS_HANDSHAKE) {
		/* After the handshake: read (and drop) application data,
		   notice close_notify. */
		uint8_t junk[2048];
		int n;
		while ((n = SSL_read(d->ssl, junk, sizeof(junk))) > 0)
			;
		if (SSL_get_error(d->ssl, n) == SSL_ERROR_ZERO_RETURN &&
		    d->state == MCU_DTLS_CONNECTED)
			d->state = MCU_DTLS_CLOSED;
		ERR_clear_error();
		flush_out(d);
		return;
	}
	int r = SSL_do_handshake(d->ssl);
	flush_out(d);
	if (r == 1) {
		check_peer(d);
		return;
	}
	int e = SSL_get_error(d->ssl, r);
	if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE)
		fail(d, "the DTLS handshake failed");
}

int mcu_dtls_alloc(struct mcu_dtls **dp, const struct mcu_dtls_cert *cert,
                   bool server, const char *remote_fingerprint,
                   mcu_dtls_send_h *send, void *arg)
{
	struct mcu_dtls *d;
	int err;

	if (!dp || !cert || !send)
		return EINVAL;
	d = calloc(1, sizeof(*d));
	if (!d)
		return ENOMEM;
	err = mcu_dtls_fingerprint_parse(remote_fingerprint, d->remote_digest);
	if (err) {
		free(d);
		return err;
	}
	d->server = server;
	d->send = send;
	d->arg = arg;
	d->error = "";
	err = EIO;
	d->ctx = SSL_CTX_new(DTLS_method());
	if (!d->ctx)
		goto out;
	SSL_CTX_set_min_proto_version(d->ctx, DTLS1_2_VERSION);
	SSL_CTX_set_verify(d->ctx,
	                   SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT,
	                   accept_any);
	/* use_srtp returns 0 on success. */
	if (SSL_CTX_set_tlsext_use_srtp(d->ctx,
	                                "SRTP_AEAD_AES_128_GCM:"
	                                "SRTP_AES128_CM_SHA1_80") != 0 ||
	    SSL_CTX_use_certificate(d->ctx, cert->x509) != 1 ||
	    SSL_CTX_use_PrivateKey(d->ctx, cert->key) != 1 ||
	    SSL_CTX_set_cipher_list(d->ctx, "ECDHE-ECDSA-AES128-GCM-SHA256:"
	                                    "ECDHE-ECDSA-AES256-GCM-SHA384:"
	                                    "ECDHE-ECDSA-CHACHA20-POLY1305:"
	                                    "ECDHE-RSA-AES128-GCM-SHA256") != 1)
		goto out;
	SSL_CTX_set_read_ahead(d->ctx, 1);
	d->ssl = SSL_new(d->ctx);
	d->rbio = BIO_new(BIO_s_mem());
	d->wbio = BIO_new(BIO_s_mem());
	if (!d->ssl || !d->rbio || !d->wbio) {
		BIO_free(d->rbio);
		BIO_free(d->wbio);
		goto out;
	}
	BIO_set_mem_eof_return(d->rbio, -1);
	SSL_set_bio(d->ssl, d->rbio, d->wbio);
	SSL_set_options(d->ssl, SSL_OP_NO_QUERY_MTU);
	SSL_set_mtu(d->ssl, DTLS_MTU);
	DTLS_set_link_mtu(d->ssl, DTLS_MTU);
	if (server)
		SSL_set_accept_state(d->ssl);
	else
		SSL_set_connect_state(d->ssl);
	err = 0;
out:
	if (err) {
		log_ssl("cannot set up DTLS");
		mcu_dtls_free(d);
		return err;
	}
	if (!server)
		step(d); /* ClientHello */
	*dp = d;
	return 0;
}

struct mcu_dtls *mcu_dtls_free(struct mcu_dtls *d)
{
	if (!d)
		return NULL;
	SSL_free(d->ssl); /* frees the BIOs */
	SSL_CTX_free(d->ctx);
	explicit_bzero(d, sizeof(*d));
	free(d);
	return NULL;
}

enum mcu_dtls_state mcu_dtls_input(struct mcu_dtls *d, const uint8_t *buf,
                                   size_t len)
{
	if (d->state == MCU_DTLS_FAILED || d->state == MCU_DTLS_CLOSED)
		return d->state;
	if (len == 0 || len > 65535 ||
	    BIO_write(d->rbio, buf, (int)len) != (int)len)
		return d->state;
	step(d);
	return d->state;
}

enum mcu_dtls_state mcu_dtls_poll(struct mcu_dtls *d)
{
	if (d->state != MCU_DTLS_HANDSHAKE)
		return d->state;
	if (DTLSv1_handle_timeout(d->ssl) < 0)
		fail(d, "the DTLS handshake timed out");
	flush_out(d);
	return d->state;
}

enum mcu_dtls_state mcu_dtls_state(const struct mcu_dtls *d)
{
	return d->state;
}

const char *mcu_dtls_error(const struct mcu_dtls *d)
{
	return d->error;
}

int mcu_dtls_srtp_keys(struct mcu_dtls *d, enum mcu_srtp_suite *suite,
                       uint8_t tx[MCU_SRTP_KEY_MAX],
                       uint8_t rx[MCU_SRTP_KEY_MAX])
{
	static const char label[] = "EXTRACTOR-dtls_srtp";
	uint8_t km[2 * MCU_SRTP_KEY_MAX];
	size_t klen = 16, slen;
	enum mcu_srtp_suite s;

	if (d->state != MCU_DTLS_CONNECTED)
		return EAGAIN;
	SRTP_PROTECTION_PROFILE *p = SSL_get_selected_srtp_profile(d->ssl);
	if (!p)
		return EIO;
	if (p->id == SRTP_AES128_CM_SHA1_80) {
		s = MCU_SRTP_AES_CM_128_HMAC_SHA1_80;
		slen = 14;
	} else if (p->id == SRTP_AEAD_AES_128_GCM) {
		s = MCU_SRTP_AEAD_AES_128_GCM;
		slen = 12;
	} else {
		return EIO;
	}
	if (SSL_export_keying_material(d->ssl, km, 2 * (klen + slen), label,
	                               sizeof(label) - 1, NULL, 0, 0) != 1) {
		ERR_clear_error();
		return EIO;
	}
	/* client key | server key | client salt | server salt */
	const uint8_t *ck = km, *sk = km + klen, *cs = km + 2 * klen,
	              *ss = km + 2 * klen + slen;
	memset(tx, 0, MCU_SRTP_KEY_MAX);
	memset(rx, 0, MCU_SRTP_KEY_MAX);
	memcpy(tx, d->server ? sk : ck, klen);
	memcpy(tx + klen, d->server ? ss : cs, slen);
	memcpy(rx, d->server ? ck : sk, klen);
	memcpy(rx + klen, d->server ? cs : ss, slen);
	explicit_bzero(km, sizeof(km));
	*suite = s;
	return 0;
}
