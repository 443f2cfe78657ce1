/* test-libs: mcu_conf mcu_transport mcu_codec mcu_layout mcu_core */
/*
 * WebRTC pure parts: the RFC 7983 first-byte demultiplexer, fingerprint
 * text, a DTLS-SRTP handshake between two associations in memory (keys,
 * fingerprint mismatch), ICE candidate lines we hand to libnice, join
 * tokens and links (expiry with an injected clock), and the mcu.webrtc /
 * webrtc_token_file roster keys.
 */
#include "tests/unit/testutil.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf/config.h"
#include "mcu/webrtc_token.h"
#include "transport/dtls.h"
#include "transport/ice.h"

/* ---- demux ------------------------------------------------------------- */

static void demux_first_byte(void **state)
{
	uint8_t b[64] = {0};
	(void)state;
	for (int v = 0; v < 256; v++) {
		b[0] = (uint8_t)v;
		b[1] = 96;
		enum mcu_demux d = mcu_demux_classify(b, sizeof(b));
		if (v <= 3)
			assert_int_equal(d, MCU_DEMUX_STUN);
		else if (v >= 20 && v <= 63)
			assert_int_equal(d, MCU_DEMUX_DTLS);
		else if (v >= 128 && v <= 191)
			assert_int_equal(d, MCU_DEMUX_RTP);
		else
			assert_int_equal(d,
			                 MCU_DEMUX_DROP); /* ZRTP, TURN, junk */
	}
}

static void demux_rtcp_and_lengths(void **state)
{
	uint8_t b[64] = {0x80, 200};
	(void)state;
	assert_int_equal(mcu_demux_classify(b, 8), MCU_DEMUX_RTCP);
	b[1] = 223;
	assert_int_equal(mcu_demux_classify(b, 8), MCU_DEMUX_RTCP);
	b[1] = 224; /* PT 96 with the marker bit */
	assert_int_equal(mcu_demux_classify(b, 12), MCU_DEMUX_RTP);
	b[1] = 191; /* PT 63 + marker: RTP */
	assert_int_equal(mcu_demux_classify(b, 12), MCU_DEMUX_RTP);
	/* Too short for the kind: dropped, not read past. */
	b[1] = 96;
	assert_int_equal(mcu_demux_classify(b, 11), MCU_DEMUX_DROP);
	b[1] = 200;
	assert_int_equal(mcu_demux_classify(b, 7), MCU_DEMUX_DROP);
	b[0] = 22;
	assert_int_equal(mcu_demux_classify(b, 12), MCU_DEMUX_DROP);
	assert_int_equal(mcu_demux_classify(b, 13), MCU_DEMUX_DTLS);
	b[0] = 0;
	assert_int_equal(mcu_demux_classify(b, 19), MCU_DEMUX_DROP);
	assert_int_equal(mcu_demux_classify(b, 20), MCU_DEMUX_STUN);
	assert_int_equal(mcu_demux_classify(b, 0), MCU_DEMUX_DROP);
	assert_int_equal(mcu_demux_classify(NULL, 10), MCU_DEMUX_DROP);
	b[0] = 0x80;
	assert_int_equal(mcu_demux_classify(b, 1), MCU_DEMUX_DROP);
}

/* ---- fingerprints ------------------------------------------------------ */

static void fingerprint_round_trip(void **state)
{
	uint8_t d[MCU_DTLS_DIGEST_LEN], back[MCU_DTLS_DIGEST_LEN];
	char text[MCU_DTLS_FINGERPRINT_LEN];
	(void)state;
	for (size_t i = 0; i < sizeof(d); i++)
		d[i] = (uint8_t)(i * 37 + 5);
	assert_int_equal(mcu_dtls_fingerprint_format(text, sizeof(text), d), 0);
	assert_int_equal(strlen(text), 8 + 95);
	assert_int_equal(strncmp(text, "sha-256 05:2A:", 14), 0);
	assert_int_equal(mcu_dtls_fingerprint_parse(text, back), 0);
	assert_memory_equal(d, back, sizeof(d));
	/* Lower case hex and an upper case hash name (RFC 8122 allows). */
	for (char *p = text; *p; p++)
		*p = (char)(*p >= 'A' && *p <= 'F' ? *p + 32 : *p);
	memcpy(text, "SHA-256", 7);
	memset(back, 0, sizeof(back));
	assert_int_equal(mcu_dtls_fingerprint_parse(text, back), 0);
	assert_memory_equal(d, back, sizeof(d));
	assert_int_equal(mcu_dtls_fingerprint_format(text, 103, d), ENOSPC);
}

static void fingerprint_refused(void **state)
{
	uint8_t d[MCU_DTLS_DIGEST_LEN];
	char text[MCU_DTLS_FINGERPRINT_LEN];
	(void)state;
	memset(d, 0xab, sizeof(d));
	mcu_dtls_fingerprint_format(text, sizeof(text), d);
	char shorter[MCU_DTLS_FINGERPRINT_LEN];
	snprintf(shorter, sizeof(shorter), "%.*s", 8 + 92, text);
	assert_int_equal(mcu_dtls_fingerprint_parse(shorter, d), EINVAL);
	char longer[MCU_DTLS_FINGERPRINT_LEN + 8];
	snprintf(longer, sizeof(longer), "%s:AB", text);
	assert_int_equal(mcu_dtls_fingerprint_parse(longer, d), EINVAL);
	assert_int_equal(mcu_dtls_fingerprint_parse(
	                     "sha-1 4A:AD:B9:B1:3F:82:18:3B:54:02:12:DF:3E:"
	                     "5D:49:6B:19:E5:7C:AB",
	                     d),
	                 ENOTSUP);
	assert_int_equal(mcu_dtls_fingerprint_parse("sha-256", d), EINVAL);
	assert_int_equal(mcu_dtls_fingerprint_parse("sha-256 ", d), EINVAL);
	assert_int_equal(mcu_dtls_fingerprint_parse("sha-256 GG:00", d),
	                 EINVAL);
	assert_int_equal(mcu_dtls_fingerprint_parse("sha-256 A:B", d), EINVAL);
	assert_int_equal(mcu_dtls_fingerprint_parse("whirlpool AB", d), EINVAL);
	assert_int_equal(mcu_dtls_fingerprint_parse("", d), EINVAL);
	assert_int_equal(mcu_dtls_fingerprint_parse(NULL, d), EINVAL);
	text[20] = ';';
	assert_int_equal(mcu_dtls_fingerprint_parse(text, d), EINVAL);
}

/* ---- DTLS in memory ---------------------------------------------------- */

/* Datagrams in flight from one side to the other. */
struct wire {
	uint8_t buf[16][4096];
	size_t len[16];
	size_t n;
};

static void to_wire(void *arg, const uint8_t *b, size_t len)
{
	struct wire *w = arg;
	assert_true(w->n < 16 && len <= sizeof(w->buf[0]));
	memcpy(w->buf[w->n], b, len);
	w->len[w->n++] = len;
}

static void deliver(struct wire *w, struct mcu_dtls *to)
{
	struct wire copy = *w;
	w->n = 0;
	for (size_t i = 0; i < copy.n; i++) {
		assert_int_equal(mcu_demux_classify(copy.buf[i], copy.len[i]),
		                 MCU_DEMUX_DTLS);
		mcu_dtls_input(to, copy.buf[i], copy.len[i]);
	}
}

struct pair {
	struct mcu_dtls_cert *cc, *sc;
	struct mcu_dtls *client, *server;
	struct wire c2s, s2c;
};

static void handshake(struct pair *p, const char *client_expects,
                      const char *server_expects)
{
	assert_int_equal(mcu_dtls_alloc(&p->server, p->sc, true, server_expects,
	                                to_wire, &p->s2c),
	                 0);
	assert_int_equal(mcu_dtls_alloc(&p->client, p->cc, false,
	                                client_expects, to_wire, &p->c2s),
	                 0);
	assert_true(p->c2s.n > 0); /* the ClientHello went out at once */
	for (int round = 0; round < 10; round++) {
		deliver(&p->c2s, p->server);
		deliver(&p->s2c, p->client);
	}
}

static void pair_free(struct pair *p)
{
	p->client = mcu_dtls_free(p->client);
	p->server = mcu_dtls_free(p->server);
	p->cc = mcu_dtls_cert_free(p->cc);
	p->sc = mcu_dtls_cert_free(p->sc);
}

static void dtls_handshake_keys(void **state)
{
	struct pair p;
	enum mcu_srtp_suite cs, ss;
	uint8_t ctx[MCU_SRTP_KEY_MAX], crx[MCU_SRTP_KEY_MAX];
	uint8_t stx[MCU_SRTP_KEY_MAX], srx[MCU_SRTP_KEY_MAX];
	(void)state;
	memset(&p, 0, sizeof(p));
	assert_int_equal(mcu_dtls_cert_alloc(&p.cc), 0);
	assert_int_equal(mcu_dtls_cert_alloc(&p.sc), 0);
	assert_string_not_equal(mcu_dtls_cert_fingerprint(p.cc),
	                        mcu_dtls_cert_fingerprint(p.sc));
	handshake(&p, mcu_dtls_cert_fingerprint(p.sc),
	          mcu_dtls_cert_fingerprint(p.cc));
	assert_int_equal(mcu_dtls_state(p.server), MCU_DTLS_CONNECTED);
	assert_int_equal(mcu_dtls_state(p.client), MCU_DTLS_CONNECTED);
	assert_int_equal(mcu_dtls_srtp_keys(p.client, &cs, ctx, crx), 0);
	assert_int_equal(mcu_dtls_srtp_keys(p.server, &ss, stx, srx), 0);
	assert_int_equal(cs, ss);
	assert_int_equal(cs, MCU_SRTP_AEAD_AES_128_GCM); /* our first choice */
	/* What one side sends with is what the other receives with. */
	assert_memory_equal(ctx, srx, mcu_srtp_key_len(cs));
	assert_memory_equal(stx, crx, mcu_srtp_key_len(cs));
	assert_memory_not_equal(ctx, stx, mcu_srtp_key_len(cs));
	/* The keys work: the client protects, the server unprotects. */
	struct mcu_srtp *a = NULL, *b = NULL;
	assert_int_equal(mcu_srtp_alloc(&a, cs, ctx, crx), 0);
	assert_int_equal(mcu_srtp_alloc(&b, ss, stx, srx), 0);
	uint8_t pkt[64 + MCU_SRTP_TRAILER] = {0x80, 96, 0, 1, 0, 0,
	                                      0,    9,  1, 2, 3, 4};
	size_t len = 64;
	assert_int_equal(mcu_srtp_protect(a, pkt, &len, sizeof(pkt)), 0);
	assert_int_equal(mcu_demux_classify(pkt, len), MCU_DEMUX_RTP);
	assert_int_equal(mcu_srtp_unprotect(b, pkt, &len), 0);
	assert_int_equal(len, 64);
	a = mcu_srtp_free(a);
	b = mcu_srtp_free(b);
	/* Junk after the handshake changes nothing. */
	uint8_t junk[40];
	memset(junk, 23, sizeof(junk));
	assert_int_equal(mcu_dtls_input(p.server, junk, sizeof(junk)),
	                 MCU_DTLS_CONNECTED);
	pair_free(&p);
}

static void dtls_wrong_fingerprint(void **state)
{
	struct pair p;
	struct mcu_dtls_cert *other = NULL;
	enum mcu_srtp_suite s;
	uint8_t tx[MCU_SRTP_KEY_MAX], rx[MCU_SRTP_KEY_MAX];
	(void)state;
	memset(&p, 0, sizeof(p));
	assert_int_equal(mcu_dtls_cert_alloc(&p.cc), 0);
	assert_int_equal(mcu_dtls_cert_alloc(&p.sc), 0);
	assert_int_equal(mcu_dtls_cert_alloc(&other), 0);
	/* The server expects another certificate than the client shows. */
	handshake(&p, mcu_dtls_cert_fingerprint(p.sc),
	          mcu_dtls_cert_fingerprint(other));
	assert_int_equal(mcu_dtls_state(p.server), MCU_DTLS_FAILED);
	assert_non_null(strstr(mcu_dtls_error(p.server), "fingerprint"));
	assert_int_equal(mcu_dtls_srtp_keys(p.server, &s, tx, rx), EAGAIN);
	pair_free(&p);
	other = mcu_dtls_cert_free(other);
}

static void dtls_bad_args(void **state)
{
	struct mcu_dtls_cert *c = NULL;
	struct mcu_dtls *d = NULL;
	struct wire w = {.n = 0};
	(void)state;
	assert_int_equal(mcu_dtls_cert_alloc(&c), 0);
	assert_int_equal(mcu_dtls_alloc(&d, c, true, "sha-256 zz", to_wire, &w),
	                 EINVAL);
	assert_int_equal(
	    mcu_dtls_alloc(&d, c, true,
	                   "sha-1 4A:AD:B9:B1:3F:82:18:3B:54:02:12:"
	                   "DF:3E:5D:49:6B:19:E5:7C:AB",
	                   to_wire, &w),
	    ENOTSUP);
	assert_null(d);
	/* A server fed garbage records fails or waits, never crashes. */
	assert_int_equal(mcu_dtls_alloc(&d, c, true,
	                                mcu_dtls_cert_fingerprint(c), to_wire,
	                                &w),
	                 0);
	uint8_t junk[300];
	for (size_t i = 0; i < sizeof(junk); i++)
		junk[i] = (uint8_t)(i * 7);
	junk[0] = 22;
	junk[1] = 0xfe;
	junk[2] = 0xfd;
	enum mcu_dtls_state st = mcu_dtls_input(d, junk, sizeof(junk));
	assert_true(st == MCU_DTLS_HANDSHAKE || st == MCU_DTLS_FAILED);
	d = mcu_dtls_free(d);
	c = mcu_dtls_cert_free(c);
}

/* ---- ICE candidate lines ---------------------------------------------- */

static void candidate_lines(void **state)
{
	(void)state;
	assert_true(mcu_ice_candidate_usable(
	    "candidate:842163049 1 udp 1677729535 10.213.0.2 46154 typ "
	    "srflx raddr 0.0.0.0 rport 0 generation 0"));
	assert_true(mcu_ice_candidate_usable(
	    "a=candidate:1 1 UDP 2130706431 fd00::2 5000 typ host"));
	/* TCP, RTCP component, mDNS names, junk: not handed to libnice. */
	assert_false(mcu_ice_candidate_usable(
	    "candidate:1 1 tcp 1518280447 10.0.0.2 9 typ host tcptype active"));
	assert_false(mcu_ice_candidate_usable(
	    "candidate:1 2 udp 2130706431 10.0.0.2 5001 typ host"));
	assert_false(mcu_ice_candidate_usable(
	    "candidate:1 1 udp 2130706431 4b1c-uuid.local 5000 typ host"));
	assert_false(mcu_ice_candidate_usable(
	    "candidate:1 1 udp 2130706431 10.0.0.2 0 typ host"));
	assert_false(mcu_ice_candidate_usable(
	    "candidate:1 1 udp 2130706431 10.0.0.2 70000 typ host"));
	assert_false(mcu_ice_candidate_usable("candidate:"));
	assert_false(mcu_ice_candidate_usable("ice-ufrag:x"));
	assert_false(mcu_ice_candidate_usable(""));
	assert_false(mcu_ice_candidate_usable(NULL));
}

/* ---- tokens ------------------------------------------------------------ */

static void token_shape_and_equal(void **state)
{
	char a[MCU_WEBRTC_TOKEN_SIZE], b[MCU_WEBRTC_TOKEN_SIZE];
	(void)state;
	assert_int_equal(mcu_webrtc_token_new(a), 0);
	assert_int_equal(mcu_webrtc_token_new(b), 0);
	assert_true(mcu_webrtc_token_shape_ok(a));
	assert_string_not_equal(a, b);
	assert_false(mcu_webrtc_token_shape_ok("short"));
	assert_false(mcu_webrtc_token_shape_ok(
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa/")); /* not base64url */
	assert_false(mcu_webrtc_token_shape_ok(
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")); /* 33 */
	assert_false(mcu_webrtc_token_shape_ok(NULL));
	assert_true(mcu_webrtc_token_equal("s3cret\n", "s3cret"));
	assert_true(mcu_webrtc_token_equal("s3cret \r\n", "s3cret"));
	assert_false(mcu_webrtc_token_equal("s3cret", "s3cre"));
	assert_false(mcu_webrtc_token_equal("s3cret", "s3cret "));
	assert_false(mcu_webrtc_token_equal("\n", ""));
	assert_false(mcu_webrtc_token_equal(NULL, "x"));
}

static void links_one_time_and_expiry(void **state)
{
	struct mcu_webrtc_links *l = NULL;
	char t1[MCU_WEBRTC_TOKEN_SIZE], t2[MCU_WEBRTC_TOKEN_SIZE];
	char m[MCU_WEBRTC_ID_MAX + 1], e[MCU_WEBRTC_ID_MAX + 1];
	int64_t exp = 0, now = 1000000;
	(void)state;
	assert_int_equal(mcu_webrtc_links_alloc(&l), 0);
	assert_int_equal(
	    mcu_webrtc_links_add(l, "m1", "web1", now, 60000000, t1), 0);
	assert_int_equal(
	    mcu_webrtc_links_add(l, "m1", "web2", now, 1000000, t2), 0);
	assert_int_equal(mcu_webrtc_links_count(l, now), 2);
	/* Looking does not use it up; taking does, once. */
	assert_int_equal(mcu_webrtc_links_find(l, t1, now, false, m, e, &exp),
	                 0);
	assert_string_equal(m, "m1");
	assert_string_equal(e, "web1");
	assert_int_equal(exp, now + 60000000);
	assert_int_equal(mcu_webrtc_links_find(l, t1, now, true, m, e, NULL),
	                 0);
	assert_int_equal(mcu_webrtc_links_find(l, t1, now, true, m, e, NULL),
	                 ENOENT);
	/* t2 expires after one second. */
	assert_int_equal(
	    mcu_webrtc_links_find(l, t2, now + 999999, false, m, e, NULL), 0);
	assert_int_equal(
	    mcu_webrtc_links_find(l, t2, now + 1000000, false, m, e, NULL),
	    ENOENT);
	assert_int_equal(mcu_webrtc_links_count(l, now + 1000000), 0);
	/* Unknown and malformed tokens. */
	t2[0] = t2[0] == 'A' ? 'B' : 'A';
	assert_int_equal(mcu_webrtc_links_find(l, t2, now, false, m, e, NULL),
	                 ENOENT);
	assert_int_equal(mcu_webrtc_links_find(l, "x", now, false, m, e, NULL),
	                 ENOENT);
	assert_int_equal(mcu_webrtc_links_find(l, NULL, now, false, m, e, NULL),
	                 ENOENT);
	/* Bounds: long ids, a full table. */
	char big[MCU_WEBRTC_ID_MAX + 2];
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(mcu_webrtc_links_add(l, big, "e", now, 1, t1), EINVAL);
	assert_int_equal(mcu_webrtc_links_add(l, "m", "e", now, 0, t1), EINVAL);
	for (int i = 0; i < MCU_WEBRTC_LINKS_MAX; i++)
		assert_int_equal(mcu_webrtc_links_add(l, "m", "e", now, 10, t1),
		                 0);
	assert_int_equal(mcu_webrtc_links_add(l, "m", "e", now, 10, t1),
	                 ENOSPC);
	/* Expired ones make room. */
	assert_int_equal(mcu_webrtc_links_add(l, "m", "e", now + 10, 10, t1),
	                 0);
	l = mcu_webrtc_links_free(l);
}

/* ---- roster keys ------------------------------------------------------- */

#define ROSTER(MCU, EP)                                                        \
	"mcu:\n  timezone: Asia/Ho_Chi_Minh\n" MCU "endpoints:\n"              \
	"  - id: a\n    name: A\n    tier: city\n"                             \
	"    sip: \"sip:a@10.0.0.1\"\n"                                        \
	"  - id: b\n    name: B\n    tier: district\n" EP "meetings:\n"        \
	"  - id: m1\n    host: a\n    branches: [b]\n"                         \
	"    start: 2026-12-07T08:00\n    end: 2026-12-07T10:00\n"             \
	"    announced: 2026-12-01\n"                                          \
	"    test_run: {start: 2026-12-04T14:00, end: 2026-12-04T15:00}\n"

static int load(const char *yaml, struct mcu_conf **c,
                struct mcu_conf_report *r)
{
	memset(r, 0, sizeof(*r));
	*c = NULL;
	int err = mcu_conf_load_buffer("t.yaml", yaml, strlen(yaml), c, r);
	if (getenv("MCU_TEST_VERBOSE"))
		mcu_conf_report_print(r, stderr);
	return err;
}

static bool has_finding(const struct mcu_conf_report *r, const char *needle)
{
	for (size_t i = 0; i < r->n_findings; i++)
		if (strstr(r->findings[i].message, needle))
			return true;
	return false;
}

static void conf_webrtc_keys(void **state)
{
	struct mcu_conf *c;
	struct mcu_conf_report r;
	(void)state;
	assert_int_equal(load(ROSTER("", ""), &c, &r), 0);
	assert_int_equal(c->n_webrtc_addresses, 0);
	assert_int_equal(c->webrtc_link_minutes, 120);
	assert_null(c->endpoints[1].webrtc_token_file);
	c = mcu_conf_free(c);
	mcu_conf_report_clear(&r);

	assert_int_equal(
	    load(ROSTER("  webrtc: {addresses: [10.213.0.1, \"fd00::1\"], "
	                "link_minutes: 30}\n",
	                "    webrtc_token_file: /etc/mcud/secrets/b.webrtc\n"),
	         &c, &r),
	    0);
	assert_int_equal(c->n_webrtc_addresses, 2);
	assert_string_equal(c->webrtc_addresses[0], "10.213.0.1");
	assert_string_equal(c->webrtc_addresses[1], "fd00::1");
	assert_int_equal(c->webrtc_link_minutes, 30);
	assert_string_equal(c->endpoints[1].webrtc_token_file,
	                    "/etc/mcud/secrets/b.webrtc");
	c = mcu_conf_free(c);
	mcu_conf_report_clear(&r);

	/* A host name is not an address; minutes out of range; a typo. */
	assert_int_equal(
	    load(ROSTER("  webrtc: {addresses: [mcu.example]}\n", ""), &c, &r),
	    EINVAL);
	assert_true(has_finding(&r, "mcu.webrtc.addresses"));
	mcu_conf_report_clear(&r);
	assert_int_equal(
	    load(ROSTER("  webrtc: {link_minutes: 0}\n", ""), &c, &r), EINVAL);
	assert_true(has_finding(&r, "link_minutes"));
	mcu_conf_report_clear(&r);
	/* An unknown key is reported (with where it is). */
	load(ROSTER("  webrtc: {adresses: [10.0.0.1]}\n", ""), &c, &r);
	assert_true(has_finding(&r, "adresses"));
	c = mcu_conf_free(c);
	mcu_conf_report_clear(&r);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(demux_first_byte),
    cmocka_unit_test(demux_rtcp_and_lengths),
    cmocka_unit_test(fingerprint_round_trip),
    cmocka_unit_test(fingerprint_refused),
    cmocka_unit_test(dtls_handshake_keys),
    cmocka_unit_test(dtls_wrong_fingerprint),
    cmocka_unit_test(dtls_bad_args),
    cmocka_unit_test(candidate_lines),
    cmocka_unit_test(token_shape_and_equal),
    cmocka_unit_test(links_one_time_and_expiry),
    cmocka_unit_test(conf_webrtc_keys),
};

MCU_TEST_MAIN(tests, NULL, NULL)
