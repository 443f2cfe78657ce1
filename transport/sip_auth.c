/*
 * sip_auth: digest verification, stateless nonces and DTMF INFO bodies
 * (see sip_auth.h). Everything here reads hostile input: each value is
 * copied into a fixed buffer with its length checked first.
 */
#include "transport/sip_auth.h"

#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

/* Copies a possibly quoted value of n bytes; returns 0 or EINVAL. */
static int unquote(char *dst, size_t size, const char *v, size_t n)
{
	size_t o = 0;
	if (n >= 2 && v[0] == '"') {
		if (v[n - 1] != '"')
			return EINVAL;
		v++;
		n -= 2;
		for (size_t i = 0; i < n; i++) {
			char c = v[i];
			if (c == '\\') {
				if (++i >= n)
					return EINVAL;
				c = v[i];
			} else if (c == '"') {
				return EINVAL;
			}
			if (o + 1 >= size)
				return EINVAL;
			dst[o++] = c;
		}
	} else {
		if (n && v[0] == '"')
			return EINVAL;
		for (size_t i = 0; i < n; i++) {
			if (v[i] == '"' || v[i] == ' ' || v[i] == ',')
				return EINVAL;
			if (o + 1 >= size)
				return EINVAL;
			dst[o++] = v[i];
		}
	}
	dst[o] = '\0';
	return 0;
}

int mcu_sip_digest_parse(struct mcu_sip_digest *d, const char *scheme,
                         const char *const *params)
{
	memset(d, 0, sizeof(*d));
	if (!scheme || strcasecmp(scheme, "Digest") != 0 || !params)
		return EINVAL;
	static const struct {
		const char *name;
		size_t off, size;
	} fields[] = {
#define F(x) {#x, offsetof(struct mcu_sip_digest, x), sizeof(((struct mcu_sip_digest *)0)->x)}
		F(username), F(realm),  F(nonce), F(uri), F(response),
		F(algorithm), F(cnonce), F(nc),   F(qop), F(opaque),
#undef F
	};
	for (size_t i = 0; i < 64 && params[i]; i++) {
		const char *p = params[i];
		const char *eq = strchr(p, '=');
		if (!eq)
			continue;
		size_t nl = (size_t)(eq - p);
		while (nl && p[nl - 1] == ' ')
			nl--;
		const char *v = eq + 1;
		while (*v == ' ')
			v++;
		size_t vn = strlen(v);
		while (vn && v[vn - 1] == ' ')
			vn--;
		for (size_t f = 0; f < sizeof(fields) / sizeof(fields[0]); f++) {
			if (strlen(fields[f].name) != nl ||
			    strncasecmp(p, fields[f].name, nl) != 0)
				continue;
			char *dst = (char *)d + fields[f].off;
			if (dst[0] != '\0')
				return EINVAL; /* duplicate parameter */
			if (unquote(dst, fields[f].size, v, vn) != 0)
				return EINVAL;
		}
	}
	if (!d->username[0] || !d->realm[0] || !d->nonce[0] || !d->uri[0] ||
	    strlen(d->response) != 32)
		return EINVAL;
	if (d->algorithm[0] && strcasecmp(d->algorithm, "MD5") != 0)
		return ENOTSUP;
	if (d->qop[0]) {
		if (strcasecmp(d->qop, "auth") != 0)
			return ENOTSUP;
		if (!d->cnonce[0] || strlen(d->nc) != 8)
			return EINVAL;
	}
	return 0;
}

static int md5_hex(char out[33], const char *const *parts, size_t n)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	if (!ctx)
		return ENOMEM;
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned len = 0;
	int ok = EVP_DigestInit_ex(ctx, EVP_md5(), NULL);
	for (size_t i = 0; ok && i < n; i++) {
		if (i)
			ok = EVP_DigestUpdate(ctx, ":", 1);
		if (ok)
			ok = EVP_DigestUpdate(ctx, parts[i], strlen(parts[i]));
	}
	if (ok)
		ok = EVP_DigestFinal_ex(ctx, md, &len);
	EVP_MD_CTX_free(ctx);
	if (!ok || len != 16)
		return EIO;
	for (unsigned i = 0; i < 16; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
	return 0;
}

int mcu_sip_digest_verify(const struct mcu_sip_digest *d, const char *method,
                          const char *user, const char *realm,
                          const char *password)
{
	if (!d || !method || !user || !realm || !password)
		return EINVAL;
	if (strcmp(d->username, user) != 0 || strcmp(d->realm, realm) != 0)
		return EACCES;
	char ha1[33], ha2[33], resp[33];
	const char *a1[] = {user, realm, password};
	const char *a2[] = {method, d->uri};
	int err = md5_hex(ha1, a1, 3);
	if (!err)
		err = md5_hex(ha2, a2, 2);
	if (err)
		return err;
	if (d->qop[0]) {
		const char *r[] = {ha1, d->nonce, d->nc, d->cnonce, "auth", ha2};
		err = md5_hex(resp, r, 6);
	} else {
		const char *r[] = {ha1, d->nonce, ha2};
		err = md5_hex(resp, r, 3);
	}
	if (err)
		return err;
	char given[33];
	for (size_t i = 0; i < 33; i++)
		given[i] = (char)tolower((unsigned char)d->response[i]);
	return CRYPTO_memcmp(given, resp, 32) == 0 ? 0 : EACCES;
}

static int nonce_mac(const uint8_t key[MCU_SIP_NONCE_KEY_LEN], uint64_t ts,
                     char hex[33])
{
	uint8_t msg[8];
	for (int i = 0; i < 8; i++)
		msg[i] = (uint8_t)(ts >> (56 - 8 * i));
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned len = 0;
	if (!HMAC(EVP_sha256(), key, MCU_SIP_NONCE_KEY_LEN, msg, sizeof(msg),
	          md, &len) ||
	    len < 16)
		return EIO;
	for (int i = 0; i < 16; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	return 0;
}

int mcu_sip_nonce_make(const uint8_t key[MCU_SIP_NONCE_KEY_LEN], int64_t now,
                       char *out, size_t size)
{
	if (!key || !out || size <= MCU_SIP_NONCE_LEN || now < 0)
		return EINVAL;
	char mac[33];
	int err = nonce_mac(key, (uint64_t)now, mac);
	if (err)
		return err;
	snprintf(out, size, "%016llx%s", (unsigned long long)now, mac);
	return 0;
}

int mcu_sip_nonce_check(const uint8_t key[MCU_SIP_NONCE_KEY_LEN],
                        const char *nonce, int64_t now, unsigned ttl)
{
	if (!key || !nonce || strlen(nonce) != MCU_SIP_NONCE_LEN)
		return EINVAL;
	uint64_t ts = 0;
	for (int i = 0; i < 16; i++) {
		char c = nonce[i];
		int v;
		if (c >= '0' && c <= '9')
			v = c - '0';
		else if (c >= 'a' && c <= 'f')
			v = c - 'a' + 10;
		else
			return EINVAL;
		ts = ts << 4 | (uint64_t)v;
	}
	char mac[33];
	if (nonce_mac(key, ts, mac) != 0)
		return EINVAL;
	if (CRYPTO_memcmp(mac, nonce + 16, 32) != 0)
		return EINVAL;
	if (ts > (uint64_t)now || (uint64_t)now - ts > ttl)
		return ESTALE;
	return 0;
}

/* "type/subtype[;params]" equal to want (case-insensitive)? */
static bool ctype_is(const char *ct, const char *want)
{
	while (*ct == ' ')
		ct++;
	size_t n = strcspn(ct, "; \t");
	return n == strlen(want) && strncasecmp(ct, want, n) == 0;
}

static int key_of(const char *v, size_t n, bool relay, char *digit)
{
	if (n == 1) {
		char c = (char)toupper((unsigned char)v[0]);
		if ((c >= '0' && c <= '9') || c == '*' || c == '#' ||
		    (c >= 'A' && c <= 'D')) {
			*digit = c;
			return 0;
		}
		return EINVAL;
	}
	if (relay && n == 2 && v[0] == '1' && (v[1] == '0' || v[1] == '1')) {
		*digit = v[1] == '0' ? '*' : '#';
		return 0;
	}
	return EINVAL;
}

int mcu_sip_dtmf_parse(const char *content_type, const char *body,
                       size_t len, char *digit, unsigned *duration_ms)
{
	if (!content_type || !digit || !duration_ms || (!body && len))
		return EINVAL;
	*duration_ms = 0;
	if (len > 1024)
		return EINVAL;
	if (ctype_is(content_type, "application/dtmf")) {
		size_t s = 0, e = len;
		while (s < e && isspace((unsigned char)body[s]))
			s++;
		while (e > s && isspace((unsigned char)body[e - 1]))
			e--;
		return key_of(body + s, e - s, false, digit);
	}
	if (!ctype_is(content_type, "application/dtmf-relay"))
		return ENOTSUP;
	bool have = false;
	size_t pos = 0;
	while (pos < len) {
		const char *l = body + pos;
		const char *nl = memchr(l, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - l) : len - pos;
		pos += n + 1;
		while (n && (l[n - 1] == '\r' || l[n - 1] == ' '))
			n--;
		const char *eq = memchr(l, '=', n);
		if (!eq)
			continue;
		size_t kn = (size_t)(eq - l);
		while (kn && l[kn - 1] == ' ')
			kn--;
		const char *v = eq + 1;
		size_t vn = n - (size_t)(v - l);
		while (vn && *v == ' ') {
			v++;
			vn--;
		}
		if (kn == 6 && strncasecmp(l, "Signal", 6) == 0) {
			if (key_of(v, vn, true, digit) != 0)
				return EINVAL;
			have = true;
		} else if (kn == 8 && strncasecmp(l, "Duration", 8) == 0) {
			unsigned long d = 0;
			if (vn == 0 || vn > 6)
				return EINVAL;
			for (size_t i = 0; i < vn; i++) {
				if (v[i] < '0' || v[i] > '9')
					return EINVAL;
				d = d * 10 + (unsigned long)(v[i] - '0');
			}
			*duration_ms = (unsigned)d;
		}
	}
	return have ? 0 : EINVAL;
}
