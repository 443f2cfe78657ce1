/* test-libs: mcu_conf mcu_transport */
/*
 * srtp: round trips for the three suites (RTP and RTCP), a tampered packet
 * and a replayed one rejected without harming the stream, the wrong key
 * rejected, retransmission of a sequence number on the send side, key
 * generation, and a=crypto values good, malformed and unsupported.
 */
#include "tests/unit/testutil.h"
#include "transport/rtp.h"
#include "transport/sdp.h"
#include "transport/srtp.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const enum mcu_srtp_suite suites[] = {
    MCU_SRTP_AES_CM_128_HMAC_SHA1_80,
    MCU_SRTP_AES_CM_128_HMAC_SHA1_32,
    MCU_SRTP_AEAD_AES_128_GCM,
};

struct pair {
	struct mcu_srtp *a, *b; /* a sends with ka, b with kb */
	uint8_t ka[MCU_SRTP_KEY_MAX], kb[MCU_SRTP_KEY_MAX];
};

static void pair_alloc(struct pair *p, enum mcu_srtp_suite s)
{
	size_t kl = mcu_srtp_key_len(s);
	assert_int_equal(mcu_srtp_keygen(p->ka, kl), 0);
	assert_int_equal(mcu_srtp_keygen(p->kb, kl), 0);
	assert_memory_not_equal(p->ka, p->kb, kl);
	assert_int_equal(mcu_srtp_alloc(&p->a, s, p->ka, p->kb), 0);
	assert_int_equal(mcu_srtp_alloc(&p->b, s, p->kb, p->ka), 0);
}

static void pair_free(struct pair *p)
{
	p->a = mcu_srtp_free(p->a);
	p->b = mcu_srtp_free(p->b);
}

/* An RTP packet with `plen` payload bytes of a pattern; returns length. */
static size_t mk_rtp(uint8_t *buf, uint16_t seq, uint32_t ssrc, size_t plen)
{
	struct mcu_rtp_hdr h = {
	    .pt = 96, .seq = seq, .ts = 1000u * seq, .ssrc = ssrc};
	size_t n = 0;
	assert_int_equal(mcu_rtp_write(buf, 64, &h, &n), 0);
	for (size_t i = 0; i < plen; i++)
		buf[n + i] = (uint8_t)(i * 7 + seq);
	return n + plen;
}

static void roundtrip_rtp(void **state)
{
	for (size_t k = 0; k < sizeof(suites) / sizeof(suites[0]); k++) {
		struct pair p;
		pair_alloc(&p, suites[k]);
		for (uint16_t seq = 65530; seq != 10; seq++) {
			uint8_t plain[1500], buf[1500 + MCU_SRTP_TRAILER];
			size_t n = mk_rtp(plain, seq, 0x1234, 200 + seq % 50);
			size_t len = n;
			memcpy(buf, plain, n);
			assert_int_equal(
			    mcu_srtp_protect(p.a, buf, &len, sizeof(buf)), 0);
			assert_true(len > n);
			/* Header in the clear, payload not. */
			assert_memory_equal(buf, plain, 12);
			assert_memory_not_equal(buf + 12, plain + 12, 16);
			assert_int_equal(mcu_srtp_unprotect(p.b, buf, &len), 0);
			assert_int_equal(len, n);
			assert_memory_equal(buf, plain, n);
		}
		/* And the other way. */
		uint8_t buf[256 + MCU_SRTP_TRAILER], plain[256];
		size_t n = mk_rtp(plain, 7, 0x9999, 100), len = n;
		memcpy(buf, plain, n);
		assert_int_equal(mcu_srtp_protect(p.b, buf, &len, sizeof(buf)),
		                 0);
		assert_int_equal(mcu_srtp_unprotect(p.a, buf, &len), 0);
		assert_memory_equal(buf, plain, n);
		pair_free(&p);
	}
}

static void roundtrip_rtcp(void **state)
{
	for (size_t k = 0; k < sizeof(suites) / sizeof(suites[0]); k++) {
		struct pair p;
		/* A receiver report with no blocks + SDES padding bytes. */
		uint8_t plain[] = {0x80, 201, 0,   1,   0,   0, 0x12, 0x34,
		                   0x81, 202, 0,   2,   0,   0, 0x12, 0x34,
		                   1,    3,   'a', 'b', 'c', 0, 0,    0};
		uint8_t buf[sizeof(plain) + MCU_SRTP_TRAILER];
		pair_alloc(&p, suites[k]);
		for (int i = 0; i < 3; i++) {
			size_t len = sizeof(plain);
			memcpy(buf, plain, sizeof(plain));
			assert_int_equal(
			    mcu_srtp_protect_rtcp(p.a, buf, &len, sizeof(buf)),
			    0);
			assert_true(len >= sizeof(plain) + 4 + 10);
			assert_int_equal(
			    mcu_srtp_unprotect_rtcp(p.b, buf, &len), 0);
			assert_int_equal(len, sizeof(plain));
			assert_memory_equal(buf, plain, sizeof(plain));
		}
		/* A replayed SRTCP packet is refused too. */
		size_t len = sizeof(plain);
		memcpy(buf, plain, sizeof(plain));
		assert_int_equal(
		    mcu_srtp_protect_rtcp(p.a, buf, &len, sizeof(buf)), 0);
		uint8_t copy[sizeof(buf)];
		size_t clen = len;
		memcpy(copy, buf, len);
		assert_int_equal(mcu_srtp_unprotect_rtcp(p.b, buf, &len), 0);
		assert_int_equal(mcu_srtp_unprotect_rtcp(p.b, copy, &clen),
		                 EALREADY);
		pair_free(&p);
	}
}

static void tampered_rejected(void **state)
{
	for (size_t k = 0; k < sizeof(suites) / sizeof(suites[0]); k++) {
		struct pair p;
		pair_alloc(&p, suites[k]);
		uint8_t plain[300], buf[300 + MCU_SRTP_TRAILER];
		size_t n = mk_rtp(plain, 100, 0x55, 200);
		/* Flip one bit at several places: header, payload, tag. */
		size_t where[] = {3, 12, 100, n - 1, n + 2};
		for (size_t w = 0; w < sizeof(where) / sizeof(where[0]); w++) {
			size_t len = n;
			memcpy(buf, plain, n);
			plain[2] = (uint8_t)w; /* a fresh sequence number */
			memcpy(buf, plain, n);
			assert_int_equal(
			    mcu_srtp_protect(p.a, buf, &len, sizeof(buf)), 0);
			buf[where[w]] ^= 0x10;
			assert_int_equal(mcu_srtp_unprotect(p.b, buf, &len),
			                 EBADMSG);
		}
		/* Truncated below the tag, and not RTP at all. */
		size_t len = n;
		plain[2] = 99;
		memcpy(buf, plain, n);
		assert_int_equal(mcu_srtp_protect(p.a, buf, &len, sizeof(buf)),
		                 0);
		size_t shortlen = 12;
		assert_int_not_equal(mcu_srtp_unprotect(p.b, buf, &shortlen),
		                     0);
		uint8_t junk[40] = {0};
		size_t jl = sizeof(junk);
		assert_int_equal(mcu_srtp_unprotect(p.b, junk, &jl), EINVAL);
		jl = 5;
		assert_int_equal(mcu_srtp_unprotect(p.b, junk, &jl), EINVAL);
		/* The stream still works after the failures. */
		assert_int_equal(mcu_srtp_unprotect(p.b, buf, &len), 0);
		assert_memory_equal(buf, plain, n);
		pair_free(&p);
	}
}

static void replay_rejected(void **state)
{
	struct pair p;
	pair_alloc(&p, MCU_SRTP_AES_CM_128_HMAC_SHA1_80);
	uint8_t pkts[40][200 + MCU_SRTP_TRAILER];
	size_t lens[40];
	for (int i = 0; i < 40; i++) {
		lens[i] = mk_rtp(pkts[i], (uint16_t)(1000 + i), 0x77, 150);
		assert_int_equal(
		    mcu_srtp_protect(p.a, pkts[i], &lens[i], sizeof(pkts[i])),
		    0);
	}
	/* In order up to 30, with a gap at 10 that arrives late. */
	for (int i = 0; i < 30; i++) {
		if (i == 10)
			continue;
		uint8_t b[sizeof(pkts[0])];
		size_t l = lens[i];
		memcpy(b, pkts[i], l);
		assert_int_equal(mcu_srtp_unprotect(p.b, b, &l), 0);
		/* The same bytes again: a replay. */
		memcpy(b, pkts[i], lens[i]);
		l = lens[i];
		assert_int_equal(mcu_srtp_unprotect(p.b, b, &l), EALREADY);
	}
	uint8_t b[sizeof(pkts[0])];
	size_t l = lens[10];
	memcpy(b, pkts[10], l);
	assert_int_equal(mcu_srtp_unprotect(p.b, b, &l), 0); /* late, fine */
	memcpy(b, pkts[10], lens[10]);
	l = lens[10];
	assert_int_equal(mcu_srtp_unprotect(p.b, b, &l), EALREADY);
	pair_free(&p);
}

static void replay_window_too_old(void **state)
{
	struct pair p;
	pair_alloc(&p, MCU_SRTP_AEAD_AES_128_GCM);
	uint8_t old[200 + MCU_SRTP_TRAILER], b[200 + MCU_SRTP_TRAILER];
	size_t ol = mk_rtp(old, 0, 0x42, 100);
	assert_int_equal(mcu_srtp_protect(p.a, old, &ol, sizeof(old)), 0);
	/* Jump far ahead (with a packet every 1000 so the index follows). */
	for (unsigned s = 1000; s <= MCU_SRTP_REPLAY_WINDOW + 3000u;
	     s += 1000) {
		size_t l = mk_rtp(b, (uint16_t)s, 0x42, 100);
		assert_int_equal(mcu_srtp_protect(p.a, b, &l, sizeof(b)), 0);
		assert_int_equal(mcu_srtp_unprotect(p.b, b, &l), 0);
	}
	assert_int_equal(mcu_srtp_unprotect(p.b, old, &ol), EALREADY);
	pair_free(&p);
}

static void wrong_key_rejected(void **state)
{
	struct pair p, q;
	pair_alloc(&p, MCU_SRTP_AES_CM_128_HMAC_SHA1_32);
	pair_alloc(&q, MCU_SRTP_AES_CM_128_HMAC_SHA1_32);
	uint8_t b[200 + MCU_SRTP_TRAILER];
	size_t l = mk_rtp(b, 5, 0x1, 100);
	assert_int_equal(mcu_srtp_protect(p.a, b, &l, sizeof(b)), 0);
	assert_int_equal(mcu_srtp_unprotect(q.b, b, &l), EBADMSG);
	pair_free(&p);
	pair_free(&q);
}

static void retransmit_and_bounds(void **state)
{
	struct pair p;
	pair_alloc(&p, MCU_SRTP_AES_CM_128_HMAC_SHA1_80);
	uint8_t plain[200], b1[200 + MCU_SRTP_TRAILER], b2[sizeof(b1)];
	size_t n = mk_rtp(plain, 300, 0x3, 100), l1 = n, l2 = n;
	memcpy(b1, plain, n);
	memcpy(b2, plain, n);
	assert_int_equal(mcu_srtp_protect(p.a, b1, &l1, sizeof(b1)), 0);
	/* NACK resend of the same packet: protected again, same bytes. */
	assert_int_equal(mcu_srtp_protect(p.a, b2, &l2, sizeof(b2)), 0);
	assert_int_equal(l1, l2);
	assert_memory_equal(b1, b2, l1);
	/* No room for the trailer, or no packet. */
	size_t l3 = n;
	assert_int_equal(mcu_srtp_protect(p.a, b1, &l3, n + 4), ENOBUFS);
	l3 = 4;
	assert_int_equal(mcu_srtp_protect(p.a, b1, &l3, sizeof(b1)), EINVAL);
	assert_int_equal(mcu_srtp_alloc(&p.a, MCU_SRTP_NONE, p.ka, p.kb),
	                 EINVAL);
	pair_free(&p);
}

static void suites_and_keygen(void **state)
{
	uint8_t a[32] = {0}, z[32] = {0};
	assert_int_equal(mcu_srtp_key_len(MCU_SRTP_AES_CM_128_HMAC_SHA1_80),
	                 30);
	assert_int_equal(mcu_srtp_key_len(MCU_SRTP_AES_CM_128_HMAC_SHA1_32),
	                 30);
	assert_int_equal(mcu_srtp_key_len(MCU_SRTP_AEAD_AES_128_GCM), 28);
	assert_int_equal(mcu_srtp_key_len(MCU_SRTP_NONE), 0);
	for (size_t k = 0; k < sizeof(suites) / sizeof(suites[0]); k++)
		assert_int_equal(
		    mcu_srtp_suite_from_name(mcu_srtp_suite_name(suites[k])),
		    suites[k]);
	assert_int_equal(mcu_srtp_suite_from_name("AES_CM_128_HMAC_SHA1_8"),
	                 MCU_SRTP_NONE);
	assert_int_equal(mcu_srtp_suite_from_name("F8_128_HMAC_SHA1_80"),
	                 MCU_SRTP_NONE);
	assert_int_equal(mcu_srtp_keygen(a, 30), 0);
	assert_memory_not_equal(a, z, 30);
	assert_int_equal(a[30], 0); /* not past the length */
	assert_int_equal(mcu_srtp_keygen(a, 0), EINVAL);
}

static void crypto_format_parse(void **state)
{
	for (size_t k = 0; k < sizeof(suites) / sizeof(suites[0]); k++) {
		uint8_t key[MCU_SRTP_KEY_MAX];
		char line[MCU_SRTP_CRYPTO_LEN];
		struct mcu_srtp_crypto c;
		size_t kl = mcu_srtp_key_len(suites[k]);
		assert_int_equal(mcu_srtp_keygen(key, sizeof(key)), 0);
		assert_int_equal(mcu_srtp_crypto_format(line, sizeof(line),
		                                        (unsigned)k + 1,
		                                        suites[k], key),
		                 0);
		assert_non_null(strstr(line, mcu_srtp_suite_name(suites[k])));
		assert_int_equal(mcu_srtp_crypto_parse(&c, line), 0);
		assert_int_equal(c.tag, k + 1);
		assert_int_equal(c.suite, suites[k]);
		assert_int_equal(c.key_len, kl);
		assert_memory_equal(c.key, key, kl);
		assert_int_equal(
		    mcu_srtp_crypto_format(line, 20, 1, suites[k], key),
		    ENOSPC);
	}
}

/* A well-known inline key (RFC 4568 section 9.1's example). */
#define K30 "PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR"
/* 28 bytes, padded and unpadded. */
#define K28  "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGw=="
#define K28U "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGw"

static void crypto_accepted(void **state)
{
	static const char *const ok[] = {
	    "1 AES_CM_128_HMAC_SHA1_80 inline:" K30,
	    "1 AES_CM_128_HMAC_SHA1_80 inline:" K30 "|2^31",
	    "2 AES_CM_128_HMAC_SHA1_32 inline:" K30 "|2^48",
	    "3 AES_CM_128_HMAC_SHA1_32 inline:" K30 "|2147483648",
	    "4 AEAD_AES_128_GCM inline:" K28,
	    "5 AEAD_AES_128_GCM inline:" K28U,
	    "6 AES_CM_128_HMAC_SHA1_80 inline:" K30 " WSH=128",
	    "7 AES_CM_128_HMAC_SHA1_80 inline:" K30 " KDR=0 -FOO=1",
	    "999999999 AES_CM_128_HMAC_SHA1_80 inline:" K30,
	};
	struct mcu_srtp_crypto c;
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		int err = mcu_srtp_crypto_parse(&c, ok[i]);
		if (err)
			fail_msg("%s: %d", ok[i], err);
	}
	assert_int_equal(mcu_srtp_crypto_parse(&c, ok[4]), 0);
	for (int i = 0; i < 28; i++)
		assert_int_equal(c.key[i], i);
	assert_int_equal(mcu_srtp_crypto_parse_parts(&c, 9,
	                                             "AES_CM_128_HMAC_SHA1_80",
	                                             "inline:" K30 "|2^40"),
	                 0);
	assert_int_equal(c.tag, 9);
}

static void crypto_malformed(void **state)
{
	static const char *const bad[] = {
	    "",
	    "1",
	    "1 AES_CM_128_HMAC_SHA1_80",
	    "1 AES_CM_128_HMAC_SHA1_80 ",
	    "x AES_CM_128_HMAC_SHA1_80 inline:" K30,
	    "0 AES_CM_128_HMAC_SHA1_80 inline:" K30,
	    "1000000000 AES_CM_128_HMAC_SHA1_80 inline:" K30,
	    "-1 AES_CM_128_HMAC_SHA1_80 inline:" K30,
	    "1 AES_CM_128_HMAC_SHA1_80 " K30,
	    "1 AES_CM_128_HMAC_SHA1_80 INLINE:" K30,
	    "1 AES_CM_128_HMAC_SHA1_80 inline:",
	    /* wrong key lengths and alphabet */
	    "1 AES_CM_128_HMAC_SHA1_80 inline:" K28,
	    "1 AEAD_AES_128_GCM inline:" K30,
	    "1 AES_CM_128_HMAC_SHA1_80 "
	    "inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVB",
	    "1 AES_CM_128_HMAC_SHA1_80 "
	    "inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBRA",
	    "1 AES_CM_128_HMAC_SHA1_80 "
	    "inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaV!R",
	    "1 AES_CM_128_HMAC_SHA1_80 "
	    "inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR=",
	    "1 AEAD_AES_128_GCM "
	    "inline:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGx==",
	    /* odd lifetimes */
	    "1 AES_CM_128_HMAC_SHA1_80 inline:" K30 "|",
	    "1 AES_CM_128_HMAC_SHA1_80 inline:" K30 "|2^",
	    "1 AES_CM_128_HMAC_SHA1_80 inline:" K30 "|2^0",
	    "1 AES_CM_128_HMAC_SHA1_80 inline:" K30 "|2^49",
	    "1 AES_CM_128_HMAC_SHA1_80 inline:" K30 "|2^999999999999999999999",
	    "1 AES_CM_128_HMAC_SHA1_80 inline:" K30 "|0",
	    "1 AES_CM_128_HMAC_SHA1_80 inline:" K30 "|-5",
	    "1 AES_CM_128_HMAC_SHA1_80 inline:" K30 "|3^31",
	    "1 AES_CM_128_HMAC_SHA1_80 inline:" K30 "|281474976710657",
	    "1 AES_CM_128_HMAC_SHA1_80 inline:" K30 "|99999999999999999999999",
	    "1 AES_CM_128_HMAC_SHA1_80 inline:" K30 "|2^31|1:4|x",
	    "1 AES_CM_128_HMAC_SHA1_80 inline:" K30 "|2^31|1:",
	    "1 AES_CM_128_HMAC_SHA1_80 inline:" K30 "|2^31|1:0",
	    "1 AES_CM_128_HMAC_SHA1_80 inline:" K30 "|2^31|x",
	    "1 AES_CM_128_HMAC_SHA1_80 inline:" K30 " WSH=",
	    "1 AES_CM_128_HMAC_SHA1_80 inline:" K30 " WSH=10",
	    "1 AES_CM_128_HMAC_SHA1_80 inline:" K30 " KDR=x",
	    "1 AES_CM_128_HMAC_SHA1_80 inline:" K30 " -",
	    "1 AES_CM_128_HMAC_SHA1_80 inline:" K30 "\x01",
	    "1 AES_CM_128_HMAC_SHA1_80\tinline:" K30,
	};
	struct mcu_srtp_crypto c;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int err = mcu_srtp_crypto_parse(&c, bad[i]);
		if (err != EINVAL)
			fail_msg("[%zu] %s: %d, expected EINVAL", i, bad[i],
			         err);
		assert_int_equal(c.suite, MCU_SRTP_NONE);
		assert_int_equal(c.key[0], 0); /* wiped */
	}
	assert_int_equal(mcu_srtp_crypto_parse(&c, NULL), EINVAL);
	assert_int_equal(mcu_srtp_crypto_parse(NULL, "1 x y"), EINVAL);
}

static void crypto_unsupported(void **state)
{
	static const char *const unsup[] = {
	    "1 F8_128_HMAC_SHA1_80 inline:" K30,
	    "1 AES_256_CM_HMAC_SHA1_80 inline:" K30,
	    "1 AES_CM_128_HMAC_SHA1_80 inline:" K30 "|2^20",
	    "1 AES_CM_128_HMAC_SHA1_80 inline:" K30 "|1048576",
	    "1 AES_CM_128_HMAC_SHA1_80 inline:" K30 "|1:4",
	    "1 AES_CM_128_HMAC_SHA1_80 inline:" K30 "|2^31|1:4",
	    "1 AES_CM_128_HMAC_SHA1_80 inline:" K30 "|2^31|1:4;inline:" K30
	    "|2^31|2:4",
	    "1 AES_CM_128_HMAC_SHA1_80 inline:" K30 " UNENCRYPTED_SRTP",
	    "1 AES_CM_128_HMAC_SHA1_80 inline:" K30 " UNENCRYPTED_SRTCP",
	    "1 AES_CM_128_HMAC_SHA1_80 inline:" K30 " UNAUTHENTICATED_SRTP",
	    "1 AES_CM_128_HMAC_SHA1_80 inline:" K30 " KDR=10",
	    "1 AES_CM_128_HMAC_SHA1_80 inline:" K30 " FEC_ORDER=FEC_SRTP",
	    "1 AES_CM_128_HMAC_SHA1_80 inline:" K30 " SOMETHING_NEW",
	};
	struct mcu_srtp_crypto c;
	for (size_t i = 0; i < sizeof(unsup) / sizeof(unsup[0]); i++) {
		int err = mcu_srtp_crypto_parse(&c, unsup[i]);
		if (err != ENOTSUP)
			fail_msg("[%zu] %s: %d, expected ENOTSUP", i, unsup[i],
			         err);
		assert_int_equal(c.key[0], 0);
	}
}

/* ---- SDES in SDP offer/answer (transport/sdp) ------------------------- */

static const char offer_hdr[] = "v=0\r\no=- 1 1 IN IP4 192.0.2.9\r\ns=-\r\n"
                                "c=IN IP4 192.0.2.9\r\nt=0 0\r\n";

static struct mcu_sdp_session *parse_sdp(const char *body)
{
	char buf[4096];
	struct mcu_sdp_session *s = NULL;
	snprintf(buf, sizeof(buf), "%s%s", offer_hdr, body);
	assert_int_equal(mcu_sdp_parse(&s, buf, strlen(buf)), 0);
	return s;
}

static void sdes_answer(void **state)
{
	struct mcu_sdp_session *s = parse_sdp(
	    "m=audio 4000 RTP/SAVP 0\r\n"
	    "a=crypto:1 F8_128_HMAC_SHA1_80 inline:" K30 "\r\n"
	    "a=crypto:2 AES_CM_128_HMAC_SHA1_32 inline:" K30 "|2^20\r\n"
	    "a=crypto:3 AES_CM_128_HMAC_SHA1_32 inline:" K30 "|2^31\r\n"
	    "a=crypto:4 AES_CM_128_HMAC_SHA1_80 inline:" K30 "\r\n"
	    "m=video 4002 RTP/SAVPF 96\r\na=rtpmap:96 VP8/90000\r\n"
	    "a=crypto:7 AEAD_AES_128_GCM inline:" K28 "\r\n");
	uint8_t ka[MCU_SRTP_KEY_MAX], kv[MCU_SRTP_KEY_MAX];
	struct mcu_sdp_caps caps;
	struct mcu_sdp_local l = {.addr = "192.0.2.1",
	                          .audio_port = 20000,
	                          .video_port = 20002,
	                          .sess_id = 1,
	                          .sess_version = 1};
	struct mcu_sdp_neg neg;
	struct mcu_srtp_crypto c;
	char *answer = NULL;
	assert_int_equal(mcu_srtp_keygen(ka, sizeof(ka)), 0);
	assert_int_equal(mcu_srtp_keygen(kv, sizeof(kv)), 0);
	mcu_sdp_caps_default(&caps);

	/* SRTP off, or on without our keys: secure lines refused (488). */
	assert_int_equal(mcu_sdp_answer(s, &caps, &l, &neg, &answer),
	                 EPROTONOSUPPORT);
	caps.srtp = MCU_SDP_SRTP_OPTIONAL;
	assert_int_equal(mcu_sdp_answer(s, &caps, &l, &neg, &answer),
	                 EPROTONOSUPPORT);

	l.audio_key = ka;
	l.video_key = kv;
	assert_int_equal(mcu_sdp_answer(s, &caps, &l, &neg, &answer), 0);
	/* The first line we take: 3 (1 unknown suite, 2 short lifetime). */
	assert_int_equal(neg.audio.srtp_suite,
	                 MCU_SRTP_AES_CM_128_HMAC_SHA1_32);
	assert_int_equal(neg.audio.srtp_tag, 3);
	assert_int_equal(mcu_srtp_crypto_parse(&c, "1 AES_CM_128_HMAC_SHA1_80 "
	                                           "inline:" K30),
	                 0);
	assert_memory_equal(neg.audio.srtp_remote_key, c.key, 30);
	assert_int_equal(neg.video.srtp_suite, MCU_SRTP_AEAD_AES_128_GCM);
	assert_int_equal(neg.video.srtp_tag, 7);
	for (int i = 0; i < 28; i++)
		assert_int_equal(neg.video.srtp_remote_key[i], i);
	assert_non_null(strstr(answer, "m=audio 20000 RTP/SAVP 0\r\n"));
	assert_non_null(strstr(answer, "m=video 20002 RTP/SAVPF 96\r\n"));
	/* Our key under their tag, one line per stream. */
	char line[MCU_SRTP_CRYPTO_LEN + 16], mine[MCU_SRTP_CRYPTO_LEN];
	assert_int_equal(
	    mcu_srtp_crypto_format(mine, sizeof(mine), 3,
	                           MCU_SRTP_AES_CM_128_HMAC_SHA1_32, ka),
	    0);
	snprintf(line, sizeof(line), "a=crypto:%s\r\n", mine);
	assert_non_null(strstr(answer, line));
	assert_int_equal(mcu_srtp_crypto_format(mine, sizeof(mine), 7,
	                                        MCU_SRTP_AEAD_AES_128_GCM, kv),
	                 0);
	snprintf(line, sizeof(line), "a=crypto:%s\r\n", mine);
	assert_non_null(strstr(answer, line));
	const char *first = strstr(answer, "a=crypto:");
	assert_null(strstr(strstr(first + 1, "a=crypto:") + 1, "a=crypto:"));
	free(answer);
	mcu_sdp_free(s);
}

static void sdes_policy(void **state)
{
	static const uint8_t key[MCU_SRTP_KEY_MAX] = {9, 8, 7};
	struct mcu_sdp_session *plain = parse_sdp("m=audio 4000 RTP/AVP 0\r\n");
	struct mcu_sdp_session *best =
	    parse_sdp("m=audio 4000 RTP/AVP 0\r\n"
	              "a=crypto:5 AES_CM_128_HMAC_SHA1_80 inline:" K30 "\r\n");
	struct mcu_sdp_session *bad = parse_sdp(
	    "m=audio 4000 RTP/AVP 0\r\n"
	    "a=crypto:5 AES_CM_128_HMAC_SHA1_80 inline:" K30 "|1:4\r\n");
	struct mcu_sdp_caps caps;
	struct mcu_sdp_local l = {.addr = "192.0.2.1",
	                          .audio_port = 20000,
	                          .video_port = 20002,
	                          .audio_key = key,
	                          .video_key = key};
	struct mcu_sdp_neg neg;
	char *answer = NULL;
	mcu_sdp_caps_default(&caps);

	/* required: a plain offer (and one whose key we cannot take) is
	   refused; a key on RTP/AVP (best effort) is taken. */
	caps.srtp = MCU_SDP_SRTP_REQUIRED;
	assert_int_equal(mcu_sdp_answer(plain, &caps, &l, &neg, &answer),
	                 EPROTONOSUPPORT);
	assert_int_equal(mcu_sdp_sip_status(EPROTONOSUPPORT), 488);
	assert_int_equal(mcu_sdp_answer(bad, &caps, &l, &neg, &answer),
	                 EPROTONOSUPPORT);
	assert_int_equal(mcu_sdp_answer(best, &caps, &l, &neg, &answer), 0);
	assert_int_equal(neg.audio.srtp_suite,
	                 MCU_SRTP_AES_CM_128_HMAC_SHA1_80);
	assert_non_null(strstr(answer, "RTP/AVP 0\r\n"));
	assert_non_null(strstr(answer, "a=crypto:5 AES_CM_128_HMAC_SHA1_80 "));
	free(answer);

	/* optional: plain stays plain, the bad key falls back to plain. */
	caps.srtp = MCU_SDP_SRTP_OPTIONAL;
	assert_int_equal(mcu_sdp_answer(plain, &caps, &l, &neg, &answer), 0);
	assert_int_equal(neg.audio.srtp_suite, MCU_SRTP_NONE);
	assert_null(strstr(answer, "a=crypto"));
	free(answer);
	assert_int_equal(mcu_sdp_answer(bad, &caps, &l, &neg, &answer), 0);
	assert_int_equal(neg.audio.srtp_suite, MCU_SRTP_NONE);
	assert_null(strstr(answer, "a=crypto"));
	free(answer);

	/* off: a key offered on RTP/AVP is ignored. */
	caps.srtp = MCU_SDP_SRTP_OFF;
	assert_int_equal(mcu_sdp_answer(best, &caps, &l, &neg, &answer), 0);
	assert_int_equal(neg.audio.srtp_suite, MCU_SRTP_NONE);
	assert_null(strstr(answer, "a=crypto"));
	free(answer);
	mcu_sdp_free(plain);
	mcu_sdp_free(best);
	mcu_sdp_free(bad);
}

/* Dial-out: our offer, an answer in SDES, and SRTP that works between
   the two sides' keys. */
static void sdes_offer_answer_media(void **state)
{
	uint8_t ka[MCU_SRTP_KEY_MAX], kv[MCU_SRTP_KEY_MAX];
	struct mcu_sdp_caps caps;
	struct mcu_sdp_local l = {.addr = "192.0.2.1",
	                          .audio_port = 20000,
	                          .video_port = 20002,
	                          .audio_key = ka,
	                          .video_key = kv};
	struct mcu_sdp_neg neg;
	char *offer = NULL;
	assert_int_equal(mcu_srtp_keygen(ka, sizeof(ka)), 0);
	assert_int_equal(mcu_srtp_keygen(kv, sizeof(kv)), 0);
	mcu_sdp_caps_default(&caps);

	caps.srtp = MCU_SDP_SRTP_OFF;
	assert_int_equal(mcu_sdp_offer(&caps, &l, &offer), 0);
	assert_null(strstr(offer, "a=crypto"));
	free(offer);
	caps.srtp = MCU_SDP_SRTP_OPTIONAL;
	assert_int_equal(mcu_sdp_offer(&caps, &l, &offer), 0);
	assert_non_null(strstr(offer, "m=audio 20000 RTP/AVP "));
	assert_non_null(strstr(offer, "a=crypto:1 AES_CM_128_HMAC_SHA1_80 "));
	free(offer);
	caps.srtp = MCU_SDP_SRTP_REQUIRED;
	assert_int_equal(mcu_sdp_offer(&caps, &l, &offer), 0);
	assert_non_null(strstr(offer, "m=audio 20000 RTP/SAVP "));
	assert_non_null(strstr(offer, "m=video 20002 RTP/SAVP "));
	/* It parses back, 3 suites per stream, our keys in them. */
	struct mcu_sdp_session *o = NULL;
	assert_int_equal(mcu_sdp_parse(&o, offer, strlen(offer)), 0);
	assert_int_equal(o->media[0].n_crypto, 3);
	assert_int_equal(o->media[1].n_crypto, 3);
	struct mcu_srtp_crypto c;
	assert_int_equal(
	    mcu_srtp_crypto_parse_parts(&c, o->media[1].crypto[1].tag,
	                                o->media[1].crypto[1].suite,
	                                o->media[1].crypto[1].params),
	    0);
	assert_int_equal(c.suite, MCU_SRTP_AEAD_AES_128_GCM);
	assert_memory_equal(c.key, kv, 28);
	free(offer);

	/* The remote answers with its own side of our offer: it answers
	   our offer with mcu_sdp_answer() and its keys. */
	uint8_t ra[MCU_SRTP_KEY_MAX], rv[MCU_SRTP_KEY_MAX];
	struct mcu_sdp_local rl = {.addr = "192.0.2.2",
	                           .audio_port = 30000,
	                           .video_port = 30002,
	                           .audio_key = ra,
	                           .video_key = rv};
	struct mcu_sdp_neg rneg;
	char *ans = NULL;
	assert_int_equal(mcu_srtp_keygen(ra, sizeof(ra)), 0);
	assert_int_equal(mcu_srtp_keygen(rv, sizeof(rv)), 0);
	assert_int_equal(mcu_sdp_answer(o, &caps, &rl, &rneg, &ans), 0);
	struct mcu_sdp_session *a = NULL;
	assert_int_equal(mcu_sdp_parse(&a, ans, strlen(ans)), 0);
	assert_int_equal(mcu_sdp_parse_answer(a, &caps, &neg), 0);
	assert_int_equal(neg.audio.srtp_suite,
	                 MCU_SRTP_AES_CM_128_HMAC_SHA1_80);
	assert_memory_equal(neg.audio.srtp_remote_key, ra, 30);
	assert_memory_equal(rneg.audio.srtp_remote_key, ka, 30);

	/* Media with those keys both ways. */
	struct mcu_srtp *us, *them;
	assert_int_equal(mcu_srtp_alloc(&us, neg.audio.srtp_suite, ka,
	                                neg.audio.srtp_remote_key),
	                 0);
	assert_int_equal(mcu_srtp_alloc(&them, rneg.audio.srtp_suite, ra,
	                                rneg.audio.srtp_remote_key),
	                 0);
	uint8_t b[300 + MCU_SRTP_TRAILER], p[300];
	size_t n = mk_rtp(p, 1, 5, 160), len = n;
	memcpy(b, p, n);
	assert_int_equal(mcu_srtp_protect(us, b, &len, sizeof(b)), 0);
	assert_int_equal(mcu_srtp_unprotect(them, b, &len), 0);
	assert_memory_equal(b, p, n);
	len = n;
	assert_int_equal(mcu_srtp_protect(them, b, &len, sizeof(b)), 0);
	assert_int_equal(mcu_srtp_unprotect(us, b, &len), 0);
	assert_memory_equal(b, p, n);
	us = mcu_srtp_free(us);
	them = mcu_srtp_free(them);
	free(ans);
	mcu_sdp_free(a);

	/* An answer whose tag names another suite than we offered under
	   it, or without a key, is refused when SRTP is required. */
	a = parse_sdp("m=audio 4000 RTP/SAVP 0\r\n"
	              "a=crypto:1 AEAD_AES_128_GCM inline:" K28 "\r\n");
	assert_int_equal(mcu_sdp_parse_answer(a, &caps, &neg), EPROTONOSUPPORT);
	mcu_sdp_free(a);
	a = parse_sdp("m=audio 4000 RTP/AVP 0\r\n");
	assert_int_equal(mcu_sdp_parse_answer(a, &caps, &neg), EPROTONOSUPPORT);
	caps.srtp = MCU_SDP_SRTP_OPTIONAL; /* plain answer to AVP+crypto */
	assert_int_equal(mcu_sdp_parse_answer(a, &caps, &neg), 0);
	assert_int_equal(neg.audio.srtp_suite, MCU_SRTP_NONE);
	mcu_sdp_free(a);
	a = parse_sdp("m=audio 4000 RTP/AVP 0\r\n"
	              "a=crypto:2 AEAD_AES_128_GCM inline:" K28 "\r\n");
	assert_int_equal(mcu_sdp_parse_answer(a, &caps, &neg), 0);
	assert_int_equal(neg.audio.srtp_suite, MCU_SRTP_AEAD_AES_128_GCM);
	mcu_sdp_free(a);
	mcu_sdp_free(o);
}

/* clang-format off */
static const struct CMUnitTest tests[] = {
	cmocka_unit_test(roundtrip_rtp),
	cmocka_unit_test(roundtrip_rtcp),
	cmocka_unit_test(tampered_rejected),
	cmocka_unit_test(replay_rejected),
	cmocka_unit_test(replay_window_too_old),
	cmocka_unit_test(wrong_key_rejected),
	cmocka_unit_test(retransmit_and_bounds),
	cmocka_unit_test(suites_and_keygen),
	cmocka_unit_test(crypto_format_parse),
	cmocka_unit_test(crypto_accepted),
	cmocka_unit_test(crypto_malformed),
	cmocka_unit_test(crypto_unsupported),
	cmocka_unit_test(sdes_answer),
	cmocka_unit_test(sdes_policy),
	cmocka_unit_test(sdes_offer_answer_media),
};
/* clang-format on */

MCU_TEST_MAIN(tests, NULL, NULL)
