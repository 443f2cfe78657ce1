/*
 * sdp: parser, writer and offer/answer (see sdp.h).
 *
 * Why our own parser rather than sofia's sdp_parse(): the model the media
 * engine needs is small and flat (fixed arrays, no pointers), which makes
 * the negotiation code simple to read and the whole thing easy to fuzz; the
 * format is a plain line format. Every line is copied into a bounded buffer
 * before it is looked at, every count is capped, and every number goes
 * through a checked conversion.
 *
 * Negotiation follows RFC 3264: the answer has exactly the offer's m-lines
 * in order; we accept the first audio and the first video stream whose
 * profile we can serve and that has a codec in common, and answer the rest
 * with port 0. Per accepted stream the codec is the first of OUR preference
 * list that the offer has, with the offer's payload type number.
 */
#include "transport/sdp.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define MCU_LOG_MODULE "sdp"
#include "conf/log.h"

#define LINE_MAX_LEN 4096

/* ---- small string helpers ---------------------------------------------- */

static void copy_str(char *dst, size_t size, const char *src, size_t n)
{
	if (n >= size)
		n = size - 1;
	memcpy(dst, src, n);
	dst[n] = '\0';
}

/* Next space-separated token of *s; returns its length, 0 at the end. */
static size_t next_token(const char **s, const char **tok)
{
	const char *p = *s;
	while (*p == ' ' || *p == '\t')
		p++;
	const char *start = p;
	while (*p && *p != ' ' && *p != '\t')
		p++;
	*tok = start;
	*s = p;
	return (size_t)(p - start);
}

/* Strict unsigned decimal of exactly n chars; returns 0 or EINVAL. */
static int parse_uint_n(const char *s, size_t n, unsigned long max,
                        unsigned long *out)
{
	if (n == 0 || n > 20)
		return EINVAL;
	unsigned long v = 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return EINVAL;
		unsigned d = (unsigned)(s[i] - '0');
		if (v > (max - d) / 10)
			return EINVAL;
		v = v * 10 + d;
	}
	*out = v;
	return 0;
}

static int token_uint(const char **s, unsigned long max, unsigned long *out)
{
	const char *tok;
	size_t n = next_token(s, &tok);
	return parse_uint_n(tok, n, max, out);
}

/* ---- parser ------------------------------------------------------------ */

static int parse_conn(struct mcu_sdp_conn *c, const char *v)
{
	const char *tok;
	size_t n = next_token(&v, &tok);
	if (n != 2 || strncmp(tok, "IN", 2) != 0)
		return EINVAL;
	n = next_token(&v, &tok);
	int family;
	if (n == 3 && strncmp(tok, "IP4", 3) == 0)
		family = AF_INET;
	else if (n == 3 && strncmp(tok, "IP6", 3) == 0)
		family = AF_INET6;
	else
		return EINVAL;
	n = next_token(&v, &tok);
	const char *slash = memchr(tok, '/', n);
	if (slash)
		n = (size_t)(slash - tok);
	if (n == 0 || n >= MCU_SDP_ADDR)
		return EINVAL;
	char addr[MCU_SDP_ADDR];
	copy_str(addr, sizeof(addr), tok, n);
	unsigned char bin[16];
	if (inet_pton(family, addr, bin) != 1)
		return EINVAL;
	static const unsigned char zero[16];
	c->present = true;
	c->family = family;
	memcpy(c->addr, addr, n + 1);
	c->null_addr = memcmp(bin, zero, family == AF_INET ? 4 : 16) == 0;
	return 0;
}

static void set_static_fmt(struct mcu_sdp_fmt *f)
{
	static const struct {
		int pt;
		const char *name;
		uint32_t clock;
	} known[] = {
		{0, "PCMU", 8000}, {3, "GSM", 8000},  {4, "G723", 8000},
		{8, "PCMA", 8000}, {9, "G722", 8000}, {18, "G729", 8000},
	};
	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++) {
		if (known[i].pt == f->pt) {
			snprintf(f->name, sizeof(f->name), "%s", known[i].name);
			f->clock = known[i].clock;
			f->channels = 1;
		}
	}
}

static bool is_rtp_proto(const char *proto)
{
	return strstr(proto, "RTP/") != NULL;
}

static int parse_media_line(struct mcu_sdp_session *s, const char *v)
{
	if (s->n_media >= MCU_SDP_MAX_MEDIA)
		return E2BIG;
	struct mcu_sdp_media *m = &s->media[s->n_media];
	memset(m, 0, sizeof(*m));
	const char *tok;
	size_t n = next_token(&v, &tok);
	if (n == 0 || n >= MCU_SDP_TOKEN)
		return EINVAL;
	copy_str(m->media, sizeof(m->media), tok, n);
	if (strcmp(m->media, "audio") == 0)
		m->kind = MCU_SDP_AUDIO;
	else if (strcmp(m->media, "video") == 0)
		m->kind = MCU_SDP_VIDEO;
	else
		m->kind = MCU_SDP_OTHER;
	n = next_token(&v, &tok);
	const char *slash = memchr(tok, '/', n);
	size_t pn = slash ? (size_t)(slash - tok) : n;
	unsigned long port;
	if (parse_uint_n(tok, pn, 65535, &port) != 0)
		return EINVAL;
	m->port = (uint16_t)port;
	n = next_token(&v, &tok);
	if (n == 0 || n >= MCU_SDP_TOKEN)
		return EINVAL;
	copy_str(m->proto, sizeof(m->proto), tok, n);
	if (!is_rtp_proto(m->proto)) {
		while (*v == ' ')
			v++;
		if (*v == '\0')
			return EINVAL;
		snprintf(m->fmt_tokens, sizeof(m->fmt_tokens), "%s", v);
		s->n_media++;
		return 0;
	}
	for (;;) {
		n = next_token(&v, &tok);
		if (n == 0)
			break;
		unsigned long pt;
		if (parse_uint_n(tok, n, 127, &pt) != 0)
			return EINVAL;
		if (m->n_fmts >= MCU_SDP_MAX_FMTS)
			continue; /* more formats than we look at: skip */
		struct mcu_sdp_fmt *f = &m->fmts[m->n_fmts++];
		memset(f, 0, sizeof(*f));
		f->pt = (int)pt;
		f->channels = 1;
		set_static_fmt(f);
	}
	if (m->n_fmts == 0)
		return EINVAL;
	s->n_media++;
	return 0;
}

static struct mcu_sdp_fmt *find_fmt(struct mcu_sdp_media *m, int pt)
{
	for (size_t i = 0; i < m->n_fmts; i++)
		if (m->fmts[i].pt == pt)
			return &m->fmts[i];
	return NULL;
}

/* "<pt> rest": returns the format (NULL if not in m=) and sets *rest. */
static int attr_pt(struct mcu_sdp_media *m, const char *v, const char **rest,
                   struct mcu_sdp_fmt **fp)
{
	const char *tok;
	size_t n = next_token(&v, &tok);
	unsigned long pt;
	if (parse_uint_n(tok, n, 127, &pt) != 0)
		return EINVAL;
	while (*v == ' ')
		v++;
	*rest = v;
	*fp = m ? find_fmt(m, (int)pt) : NULL;
	return 0;
}

static int parse_rtpmap(struct mcu_sdp_media *m, const char *v)
{
	const char *rest;
	struct mcu_sdp_fmt *f;
	if (attr_pt(m, v, &rest, &f) != 0)
		return EINVAL;
	const char *s1 = strchr(rest, '/');
	if (!s1 || s1 == rest || (size_t)(s1 - rest) >= MCU_SDP_TOKEN)
		return EINVAL;
	const char *s2 = strchr(s1 + 1, '/');
	size_t cn = s2 ? (size_t)(s2 - s1 - 1) : strlen(s1 + 1);
	unsigned long clock, ch = 1;
	if (parse_uint_n(s1 + 1, cn, 10000000, &clock) != 0 || clock == 0)
		return EINVAL;
	if (s2 && parse_uint_n(s2 + 1, strlen(s2 + 1), 255, &ch) != 0)
		return EINVAL;
	if (!f)
		return 0; /* rtpmap for a pt not in m=: ignored */
	copy_str(f->name, sizeof(f->name), rest, (size_t)(s1 - rest));
	f->clock = (uint32_t)clock;
	f->channels = ch ? (unsigned)ch : 1;
	return 0;
}

static int parse_fmtp(struct mcu_sdp_media *m, const char *v)
{
	const char *rest;
	struct mcu_sdp_fmt *f;
	if (attr_pt(m, v, &rest, &f) != 0)
		return 0; /* fmtp of a non-RTP format */
	if (f)
		snprintf(f->fmtp, sizeof(f->fmtp), "%s", rest);
	return 0;
}

static void parse_rtcp_fb(struct mcu_sdp_media *m, const char *v)
{
	const char *tok;
	size_t n = next_token(&v, &tok);
	bool all = n == 1 && tok[0] == '*';
	unsigned long pt = 0;
	if (!all && parse_uint_n(tok, n, 127, &pt) != 0)
		return;
	while (*v == ' ')
		v++;
	unsigned flag = 0;
	if (strcmp(v, "nack") == 0)
		flag = MCU_SDP_FB_NACK;
	else if (strcmp(v, "nack pli") == 0)
		flag = MCU_SDP_FB_PLI;
	else if (strcmp(v, "ccm fir") == 0)
		flag = MCU_SDP_FB_FIR;
	else if (strcmp(v, "goog-remb") == 0)
		flag = MCU_SDP_FB_REMB;
	for (size_t i = 0; i < m->n_fmts; i++)
		if (all || m->fmts[i].pt == (int)pt)
			m->fmts[i].fb |= flag;
}

static int parse_rtcp(struct mcu_sdp_media *m, const char *v)
{
	unsigned long port;
	if (token_uint(&v, 65535, &port) != 0)
		return EINVAL;
	m->rtcp_port = (uint16_t)port;
	while (*v == ' ')
		v++;
	if (*v && parse_conn(&m->rtcp_conn, v) != 0)
		return EINVAL;
	return 0;
}

static int parse_crypto(struct mcu_sdp_media *m, const char *v)
{
	unsigned long tag;
	if (token_uint(&v, 999999999, &tag) != 0)
		return EINVAL;
	const char *tok;
	size_t n = next_token(&v, &tok);
	if (n == 0 || n >= MCU_SDP_TOKEN)
		return EINVAL;
	while (*v == ' ')
		v++;
	if (*v == '\0')
		return EINVAL;
	if (m->n_crypto >= MCU_SDP_MAX_CRYPTO)
		return 0;
	struct mcu_sdp_crypto *c = &m->crypto[m->n_crypto++];
	c->tag = (unsigned)tag;
	copy_str(c->suite, sizeof(c->suite), tok, n);
	snprintf(c->params, sizeof(c->params), "%s", v);
	return 0;
}

static void parse_bundle(struct mcu_sdp_session *s, const char *v)
{
	const char *tok;
	size_t n = next_token(&v, &tok);
	if (n != 6 || strncmp(tok, "BUNDLE", 6) != 0)
		return;
	s->n_bundle = 0;
	while ((n = next_token(&v, &tok)) > 0) {
		if (s->n_bundle >= MCU_SDP_MAX_BUNDLE || n >= MCU_SDP_TOKEN)
			break;
		copy_str(s->bundle[s->n_bundle++], MCU_SDP_TOKEN, tok, n);
	}
}

static enum mcu_sdp_dir dir_from_name(const char *name)
{
	if (strcmp(name, "sendrecv") == 0)
		return MCU_SDP_SENDRECV;
	if (strcmp(name, "sendonly") == 0)
		return MCU_SDP_SENDONLY;
	if (strcmp(name, "recvonly") == 0)
		return MCU_SDP_RECVONLY;
	if (strcmp(name, "inactive") == 0)
		return MCU_SDP_INACTIVE;
	return MCU_SDP_DIR_UNSET;
}

/* An a= line; m is NULL at session level. */
static int parse_attr(struct mcu_sdp_session *s, struct mcu_sdp_media *m,
                      const char *v)
{
	const char *colon = strchr(v, ':');
	size_t nn = colon ? (size_t)(colon - v) : strlen(v);
	char name[32];
	if (nn == 0 || nn >= sizeof(name))
		return 0; /* unknown attribute with a long name: skip */
	copy_str(name, sizeof(name), v, nn);
	const char *val = colon ? colon + 1 : "";
	char *ufrag = m ? m->ice_ufrag : s->ice_ufrag;
	char *pwd = m ? m->ice_pwd : s->ice_pwd;
	char *fp = m ? m->fingerprint : s->fingerprint;
	char *setup = m ? m->setup : s->setup;

	enum mcu_sdp_dir d = dir_from_name(name);
	if (d != MCU_SDP_DIR_UNSET && !colon) {
		if (m)
			m->dir = d;
		else
			s->dir = d;
		return 0;
	}
	if (strcmp(name, "ice-ufrag") == 0)
		snprintf(ufrag, MCU_SDP_TOKEN, "%s", val);
	else if (strcmp(name, "ice-pwd") == 0)
		snprintf(pwd, MCU_SDP_VALUE, "%s", val);
	else if (strcmp(name, "fingerprint") == 0)
		snprintf(fp, MCU_SDP_VALUE, "%s", val);
	else if (strcmp(name, "setup") == 0)
		snprintf(setup, MCU_SDP_TOKEN, "%s", val);
	else if (strcmp(name, "group") == 0 && !m)
		parse_bundle(s, val);
	if (!m)
		return 0;
	if (strcmp(name, "rtpmap") == 0)
		return parse_rtpmap(m, val);
	if (strcmp(name, "fmtp") == 0)
		return parse_fmtp(m, val);
	if (strcmp(name, "rtcp-fb") == 0)
		parse_rtcp_fb(m, val);
	else if (strcmp(name, "rtcp-mux") == 0)
		m->rtcp_mux = true;
	else if (strcmp(name, "rtcp") == 0)
		return parse_rtcp(m, val);
	else if (strcmp(name, "crypto") == 0)
		return parse_crypto(m, val);
	else if (strcmp(name, "mid") == 0)
		snprintf(m->mid, sizeof(m->mid), "%s", val);
	else if (strcmp(name, "candidate") == 0 &&
	         m->n_candidates < MCU_SDP_MAX_CANDIDATES)
		snprintf(m->candidates[m->n_candidates++], MCU_SDP_VALUE,
		         "%s", val);
	return 0;
}

static int parse_bw(unsigned *as, unsigned *tias, const char *v)
{
	const char *colon = strchr(v, ':');
	if (!colon)
		return EINVAL;
	unsigned long x;
	if (parse_uint_n(colon + 1, strlen(colon + 1), 0xffffffffUL, &x) != 0)
		return EINVAL;
	size_t n = (size_t)(colon - v);
	if (n == 2 && strncmp(v, "AS", 2) == 0)
		*as = (unsigned)x;
	else if (n == 4 && strncmp(v, "TIAS", 4) == 0)
		*tias = (unsigned)x;
	return 0;
}

static int parse_origin(struct mcu_sdp_session *s, const char *v)
{
	const char *tok;
	size_t n = next_token(&v, &tok);
	if (n == 0)
		return EINVAL;
	copy_str(s->origin_user, sizeof(s->origin_user), tok, n);
	unsigned long long id = 0, ver = 0;
	char num[32];
	/* Numbers beyond 64 bits occur in the wild: keep 0 then. */
	n = next_token(&v, &tok);
	if (n == 0)
		return EINVAL;
	copy_str(num, sizeof(num), tok, n);
	id = strtoull(num, NULL, 10);
	n = next_token(&v, &tok);
	if (n == 0)
		return EINVAL;
	copy_str(num, sizeof(num), tok, n);
	ver = strtoull(num, NULL, 10);
	s->sess_id = id;
	s->sess_version = ver;
	next_token(&v, &tok); /* IN */
	next_token(&v, &tok); /* IP4 */
	n = next_token(&v, &tok);
	copy_str(s->origin_addr, sizeof(s->origin_addr), tok, n);
	return 0;
}

static int parse_line(struct mcu_sdp_session *s, char type, const char *v)
{
	struct mcu_sdp_media *m = s->n_media ? &s->media[s->n_media - 1] : NULL;
	switch (type) {
	case 'o':
		return m ? EINVAL : parse_origin(s, v);
	case 's':
		copy_str(s->name, sizeof(s->name), v, strlen(v));
		return 0;
	case 'c':
		return parse_conn(m ? &m->conn : &s->conn, v);
	case 'b':
		return m ? parse_bw(&m->bw_as_kbps, &m->bw_tias_bps, v)
		         : parse_bw(&s->bw_as_kbps, &s->bw_tias_bps, v);
	case 'm':
		return parse_media_line(s, v);
	case 'a':
		return parse_attr(s, m, v);
	default:
		return 0; /* i, u, e, p, t, r, z, k and unknown: not needed */
	}
}

int mcu_sdp_parse(struct mcu_sdp_session **sessp, const char *buf, size_t len)
{
	if (!sessp || (!buf && len))
		return EINVAL;
	if (len > MCU_SDP_MAX_LEN)
		return E2BIG;
	if (len == 0 || memchr(buf, '\0', len))
		return EINVAL;
	struct mcu_sdp_session *s = calloc(1, sizeof(*s));
	if (!s)
		return ENOMEM;
	int err = 0;
	bool first = true;
	char line[LINE_MAX_LEN + 1];
	size_t pos = 0;
	while (pos < len) {
		const char *nl = memchr(buf + pos, '\n', len - pos);
		size_t end = nl ? (size_t)(nl - buf) : len;
		size_t n = end - pos;
		const char *l = buf + pos;
		pos = end + 1;
		if (n && l[n - 1] == '\r')
			n--;
		if (n == 0)
			continue;
		if (n > LINE_MAX_LEN) {
			err = E2BIG;
			goto out;
		}
		if (n < 2 || l[1] != '=' || l[0] < 'a' || l[0] > 'z') {
			err = EINVAL;
			goto out;
		}
		memcpy(line, l + 2, n - 2);
		line[n - 2] = '\0';
		for (size_t i = 0; i < n - 2; i++) {
			if ((unsigned char)line[i] < 0x20 && line[i] != '\t') {
				err = EINVAL;
				goto out;
			}
		}
		if (first) {
			if (l[0] != 'v' || strcmp(line, "0") != 0) {
				err = EINVAL;
				goto out;
			}
			first = false;
			continue;
		}
		err = parse_line(s, l[0], line);
		if (err)
			goto out;
	}
	if (first) {
		err = EINVAL;
		goto out;
	}
	for (size_t i = 0; i < s->n_media; i++) {
		struct mcu_sdp_media *m = &s->media[i];
		if (m->port != 0 && !m->conn.present && !s->conn.present) {
			err = EINVAL; /* RFC 4566: c= at session or media level */
			goto out;
		}
	}
out:
	if (err) {
		free(s);
		return err;
	}
	*sessp = s;
	return 0;
}

struct mcu_sdp_session *mcu_sdp_free(struct mcu_sdp_session *sess)
{
	free(sess);
	return NULL;
}

enum mcu_sdp_dir mcu_sdp_media_dir(const struct mcu_sdp_session *sess,
                                   const struct mcu_sdp_media *m)
{
	if (m->dir != MCU_SDP_DIR_UNSET)
		return m->dir;
	if (sess->dir != MCU_SDP_DIR_UNSET)
		return sess->dir;
	return MCU_SDP_SENDRECV;
}

const struct mcu_sdp_conn *
mcu_sdp_media_conn(const struct mcu_sdp_session *sess,
                   const struct mcu_sdp_media *m)
{
	if (m->conn.present)
		return &m->conn;
	if (sess->conn.present)
		return &sess->conn;
	return NULL;
}

/* ---- names and codec parameters ---------------------------------------- */

static const char *const codec_names[MCU_SDP_CODEC_COUNT] = {
	[MCU_SDP_CODEC_NONE] = "none", [MCU_SDP_H264] = "h264",
	[MCU_SDP_VP8] = "vp8",         [MCU_SDP_OPUS] = "opus",
	[MCU_SDP_G722] = "g722",       [MCU_SDP_PCMA] = "pcma",
	[MCU_SDP_PCMU] = "pcmu",
	[MCU_SDP_TELEPHONE_EVENT] = "telephone-event",
};

enum mcu_sdp_codec mcu_sdp_codec_from_name(const char *name)
{
	if (!name)
		return MCU_SDP_CODEC_NONE;
	for (int i = 1; i < MCU_SDP_CODEC_COUNT; i++)
		if (strcasecmp(name, codec_names[i]) == 0)
			return (enum mcu_sdp_codec)i;
	return MCU_SDP_CODEC_NONE;
}

const char *mcu_sdp_codec_name(enum mcu_sdp_codec codec)
{
	if ((int)codec < 0 || codec >= MCU_SDP_CODEC_COUNT)
		return "none";
	return codec_names[codec];
}

const char *mcu_sdp_dir_name(enum mcu_sdp_dir dir)
{
	switch (dir) {
	case MCU_SDP_SENDRECV: return "sendrecv";
	case MCU_SDP_SENDONLY: return "sendonly";
	case MCU_SDP_RECVONLY: return "recvonly";
	case MCU_SDP_INACTIVE: return "inactive";
	default: return "unset";
	}
}

/* Finds "name=" in a ';'-separated fmtp; sets *val and *n to its value. */
static bool fmtp_find(const char *fmtp, const char *name, const char **val,
                      size_t *n)
{
	size_t nl = strlen(name);
	const char *p = fmtp;
	while (p && *p) {
		while (*p == ' ' || *p == ';')
			p++;
		const char *end = strchr(p, ';');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		if (len > nl && strncasecmp(p, name, nl) == 0 && p[nl] == '=') {
			*val = p + nl + 1;
			*n = len - nl - 1;
			while (*n && (*val)[*n - 1] == ' ')
				(*n)--;
			return true;
		}
		p = end;
	}
	return false;
}

int mcu_sdp_fmtp_uint(const char *fmtp, const char *name, unsigned *out)
{
	const char *v;
	size_t n;
	if (!fmtp || !fmtp_find(fmtp, name, &v, &n))
		return ENOENT;
	unsigned long x;
	if (parse_uint_n(v, n, 0xffffffffUL, &x) != 0)
		return EINVAL;
	*out = (unsigned)x;
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

int mcu_sdp_h264_parse(struct mcu_sdp_h264 *h, const char *fmtp)
{
	memset(h, 0, sizeof(*h));
	h->profile_idc = 0x42;
	h->level_idc = 10;
	const char *v;
	size_t n;
	if (fmtp && fmtp_find(fmtp, "profile-level-id", &v, &n)) {
		if (n != 6)
			return EINVAL;
		uint8_t b[3];
		for (int i = 0; i < 3; i++) {
			int hi = hexval(v[2 * i]), lo = hexval(v[2 * i + 1]);
			if (hi < 0 || lo < 0)
				return EINVAL;
			b[i] = (uint8_t)(hi << 4 | lo);
		}
		h->profile_idc = b[0];
		h->profile_iop = b[1];
		h->level_idc = b[2];
	}
	unsigned x;
	int err = mcu_sdp_fmtp_uint(fmtp, "packetization-mode", &x);
	if (err == EINVAL || (err == 0 && x > 2))
		return EINVAL;
	h->packetization_mode = err ? 0 : (int)x;
	if (mcu_sdp_fmtp_uint(fmtp, "level-asymmetry-allowed", &x) == 0)
		h->level_asymmetry = x == 1;
	if (mcu_sdp_fmtp_uint(fmtp, "max-fs", &x) == 0)
		h->max_fs = x;
	if (mcu_sdp_fmtp_uint(fmtp, "max-mbps", &x) == 0)
		h->max_mbps = x;
	if (mcu_sdp_fmtp_uint(fmtp, "max-br", &x) == 0)
		h->max_br = x;
	return 0;
}

bool mcu_sdp_h264_profile_ok(const struct mcu_sdp_h264 *h)
{
	if (h->profile_idc == 66 || h->profile_idc == 77)
		return true; /* baseline, constrained baseline, main */
	/* constraint_set0 (baseline) or set1 (main) compatible streams */
	return (h->profile_iop & 0xc0) != 0;
}

unsigned mcu_sdp_h264_level_max_fs(uint8_t level_idc)
{
	static const struct {
		uint8_t level;
		unsigned fs;
	} t[] = {
		{9, 99},     {10, 99},    {11, 396},   {12, 396},
		{13, 396},   {20, 396},   {21, 792},   {22, 1620},
		{30, 1620},  {31, 3600},  {32, 5120},  {40, 8192},
		{41, 8192},  {42, 8704},  {50, 22080}, {51, 36864},
		{52, 36864},
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (t[i].level == level_idc)
			return t[i].fs;
	return 0;
}

enum mcu_sdp_tier mcu_sdp_tier_for_fs(unsigned max_fs)
{
	if (max_fs >= 8160) /* 1920x1088 */
		return MCU_SDP_TIER_1080P;
	if (max_fs >= 3600) /* 1280x720 */
		return MCU_SDP_TIER_720P;
	if (max_fs >= 920)  /* 640x368 */
		return MCU_SDP_TIER_360P;
	if (max_fs > 0)
		return MCU_SDP_TIER_180P;
	return MCU_SDP_TIER_NONE;
}

/* ---- capabilities ------------------------------------------------------ */

void mcu_sdp_caps_default(struct mcu_sdp_caps *caps)
{
	memset(caps, 0, sizeof(*caps));
	static const enum mcu_sdp_codec order[] = {
		MCU_SDP_H264, MCU_SDP_VP8,  MCU_SDP_OPUS,
		MCU_SDP_G722, MCU_SDP_PCMA, MCU_SDP_PCMU,
	};
	for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++)
		caps->codecs[caps->n_codecs++] = order[i];
	caps->telephone_event = true;
	caps->rtcp_mux = true;
	caps->h264_level_idc = 31;
	caps->max_tier = MCU_SDP_TIER_720P;
	caps->bitrate_kbps = 2048;
}

int mcu_sdp_caps_set_codecs(struct mcu_sdp_caps *caps,
                            const char *const *names, size_t n)
{
	size_t k = 0;
	enum mcu_sdp_codec list[MCU_SDP_CODEC_COUNT];
	for (size_t i = 0; i < n; i++) {
		enum mcu_sdp_codec c = mcu_sdp_codec_from_name(names[i]);
		if (c == MCU_SDP_CODEC_NONE || c == MCU_SDP_TELEPHONE_EVENT)
			continue;
		bool dup = false;
		for (size_t j = 0; j < k; j++)
			dup |= list[j] == c;
		if (!dup && k < MCU_SDP_CODEC_COUNT)
			list[k++] = c;
	}
	if (k == 0)
		return EINVAL;
	memcpy(caps->codecs, list, k * sizeof(list[0]));
	caps->n_codecs = k;
	return 0;
}

static bool caps_has(const struct mcu_sdp_caps *caps, enum mcu_sdp_codec c)
{
	for (size_t i = 0; i < caps->n_codecs; i++)
		if (caps->codecs[i] == c)
			return true;
	return false;
}

static enum mcu_sdp_kind codec_kind(enum mcu_sdp_codec c)
{
	return c == MCU_SDP_H264 || c == MCU_SDP_VP8 ? MCU_SDP_VIDEO
	                                             : MCU_SDP_AUDIO;
}

/* Which of our codecs a format is (NONE if none, or unusable params). */
static enum mcu_sdp_codec fmt_codec(const struct mcu_sdp_fmt *f)
{
	if (f->name[0] == '\0' || f->clock == 0)
		return MCU_SDP_CODEC_NONE; /* dynamic pt without rtpmap */
	if (strcasecmp(f->name, "H264") == 0 && f->clock == 90000) {
		struct mcu_sdp_h264 h;
		if (mcu_sdp_h264_parse(&h, f->fmtp) != 0 ||
		    !mcu_sdp_h264_profile_ok(&h) || h.packetization_mode > 1)
			return MCU_SDP_CODEC_NONE;
		return MCU_SDP_H264;
	}
	if (strcasecmp(f->name, "VP8") == 0 && f->clock == 90000)
		return MCU_SDP_VP8;
	if (strcasecmp(f->name, "opus") == 0 && f->clock == 48000 &&
	    f->channels == 2)
		return MCU_SDP_OPUS;
	if (strcasecmp(f->name, "G722") == 0 && f->clock == 8000)
		return MCU_SDP_G722;
	if (strcasecmp(f->name, "PCMA") == 0 && f->clock == 8000)
		return MCU_SDP_PCMA;
	if (strcasecmp(f->name, "PCMU") == 0 && f->clock == 8000)
		return MCU_SDP_PCMU;
	if (strcasecmp(f->name, "telephone-event") == 0)
		return MCU_SDP_TELEPHONE_EVENT;
	return MCU_SDP_CODEC_NONE;
}

/* The format of m to use: first codec of caps the media has; for H.264
   packetization-mode 1 before 0. NULL if none. */
static const struct mcu_sdp_fmt *choose_fmt(const struct mcu_sdp_media *m,
                                            const struct mcu_sdp_caps *caps)
{
	for (size_t c = 0; c < caps->n_codecs; c++) {
		if (codec_kind(caps->codecs[c]) != m->kind)
			continue;
		const struct mcu_sdp_fmt *best = NULL;
		int best_mode = -1;
		for (size_t i = 0; i < m->n_fmts; i++) {
			const struct mcu_sdp_fmt *f = &m->fmts[i];
			if (fmt_codec(f) != caps->codecs[c])
				continue;
			if (caps->codecs[c] != MCU_SDP_H264)
				return f;
			struct mcu_sdp_h264 h;
			mcu_sdp_h264_parse(&h, f->fmtp);
			if (h.packetization_mode > best_mode) {
				best = f;
				best_mode = h.packetization_mode;
			}
		}
		if (best)
			return best;
	}
	return NULL;
}

/*
 * The telephone-event format to use with an audio codec of this clock:
 * the one at the same clock (RFC 4733 2.1 recommends it), else the first
 * one offered. Peers such as baresip 1.0 offer only telephone-event/8000
 * next to opus/48000; refusing it would lose their keys (*1 for the
 * floor), and the receiver only compares timestamps within one press.
 */
static const struct mcu_sdp_fmt *choose_te(const struct mcu_sdp_media *m,
                                           uint32_t clock)
{
	const struct mcu_sdp_fmt *any = NULL;
	for (size_t i = 0; i < m->n_fmts; i++) {
		if (fmt_codec(&m->fmts[i]) != MCU_SDP_TELEPHONE_EVENT)
			continue;
		if (m->fmts[i].clock == clock)
			return &m->fmts[i];
		if (!any)
			any = &m->fmts[i];
	}
	return any;
}

static enum mcu_sdp_dir mirror(enum mcu_sdp_dir d)
{
	switch (d) {
	case MCU_SDP_SENDONLY: return MCU_SDP_RECVONLY;
	case MCU_SDP_RECVONLY: return MCU_SDP_SENDONLY;
	case MCU_SDP_INACTIVE: return MCU_SDP_INACTIVE;
	default: return MCU_SDP_SENDRECV;
	}
}

/* Fill the negotiated stream from the remote description. */
static void fill_neg(struct mcu_sdp_neg_media *nm,
                     const struct mcu_sdp_session *s, size_t idx,
                     const struct mcu_sdp_fmt *f,
                     const struct mcu_sdp_fmt *te,
                     const struct mcu_sdp_caps *caps, bool we_answer)
{
	const struct mcu_sdp_media *m = &s->media[idx];
	const struct mcu_sdp_conn *c = mcu_sdp_media_conn(s, m);
	memset(nm, 0, sizeof(*nm));
	nm->active = true;
	nm->mline = idx;
	snprintf(nm->addr, sizeof(nm->addr), "%s", c->addr);
	nm->family = c->family;
	nm->port = m->port;
	nm->rtcp_mux = m->rtcp_mux;
	if (m->rtcp_mux) {
		nm->rtcp_port = m->port;
		snprintf(nm->rtcp_addr, sizeof(nm->rtcp_addr), "%s", c->addr);
	} else {
		nm->rtcp_port = m->rtcp_port ? m->rtcp_port
		                             : (uint16_t)(m->port + 1u);
		snprintf(nm->rtcp_addr, sizeof(nm->rtcp_addr), "%s",
		         m->rtcp_conn.present ? m->rtcp_conn.addr : c->addr);
	}
	nm->codec = fmt_codec(f);
	snprintf(nm->name, sizeof(nm->name), "%s", f->name);
	nm->pt = f->pt;
	nm->clock = f->clock;
	nm->channels = f->channels;
	snprintf(nm->fmtp, sizeof(nm->fmtp), "%s", f->fmtp);
	nm->te_pt = te ? te->pt : -1;
	nm->te_clock = te ? te->clock : 0;
	nm->fb = f->fb & (MCU_SDP_FB_NACK | MCU_SDP_FB_PLI | MCU_SDP_FB_FIR |
	                  MCU_SDP_FB_REMB);
	if (m->kind != MCU_SDP_VIDEO)
		nm->fb = 0;
	enum mcu_sdp_dir rd = mcu_sdp_media_dir(s, m);
	/* c=0.0.0.0: the remote wants nothing sent to it (RFC 2543 hold). */
	if (c->null_addr && (rd == MCU_SDP_SENDRECV || rd == MCU_SDP_RECVONLY))
		rd = rd == MCU_SDP_SENDRECV ? MCU_SDP_SENDONLY
		                            : MCU_SDP_INACTIVE;
	nm->dir = mirror(rd);
	nm->hold = rd == MCU_SDP_SENDONLY || rd == MCU_SDP_INACTIVE;
	unsigned bw = 0;
	if (m->bw_tias_bps)
		bw = m->bw_tias_bps / 1000;
	else if (m->bw_as_kbps)
		bw = m->bw_as_kbps;
	else if (s->bw_tias_bps)
		bw = s->bw_tias_bps / 1000;
	else if (s->bw_as_kbps)
		bw = s->bw_as_kbps;
	if (m->kind == MCU_SDP_VIDEO && caps->bitrate_kbps &&
	    (bw == 0 || bw > caps->bitrate_kbps))
		bw = caps->bitrate_kbps;
	nm->bitrate_kbps = bw;
	nm->secure = strstr(m->proto, "SAVP") != NULL;
	unsigned x;
	if (nm->codec == MCU_SDP_H264) {
		mcu_sdp_h264_parse(&nm->h264, f->fmtp);
		/* An answer never raises the offerer's level; when we answer,
		   the negotiated level is the lower of both. */
		if (we_answer && nm->h264.level_idc > caps->h264_level_idc)
			nm->h264.level_idc = caps->h264_level_idc;
		unsigned fs = mcu_sdp_h264_level_max_fs(nm->h264.level_idc);
		if (nm->h264.max_fs > fs)
			fs = nm->h264.max_fs;
		nm->tier = mcu_sdp_tier_for_fs(fs);
	} else if (nm->codec == MCU_SDP_VP8) {
		if (mcu_sdp_fmtp_uint(f->fmtp, "max-fs", &x) == 0)
			nm->vp8_max_fs = x;
		if (mcu_sdp_fmtp_uint(f->fmtp, "max-fr", &x) == 0)
			nm->vp8_max_fr = x;
		nm->tier = nm->vp8_max_fs ? mcu_sdp_tier_for_fs(nm->vp8_max_fs)
		                          : caps->max_tier;
	} else if (nm->codec == MCU_SDP_OPUS) {
		nm->opus_fec = mcu_sdp_fmtp_uint(f->fmtp, "useinbandfec",
		                                 &x) == 0 && x == 1;
		nm->opus_stereo = mcu_sdp_fmtp_uint(f->fmtp, "stereo", &x) ==
		                          0 && x == 1;
	}
	if (m->kind == MCU_SDP_VIDEO && caps->max_tier &&
	    (nm->tier == MCU_SDP_TIER_NONE || nm->tier > caps->max_tier))
		nm->tier = caps->max_tier;
}

/* ---- writer ------------------------------------------------------------ */

struct sbuf {
	char *p;
	size_t len, cap;
	int err;
};

__attribute__((format(printf, 2, 3)))
static void sb_printf(struct sbuf *b, const char *fmt, ...)
{
	if (b->err)
		return;
	for (;;) {
		va_list ap;
		va_start(ap, fmt);
		int n = vsnprintf(b->p ? b->p + b->len : NULL,
		                  b->p ? b->cap - b->len : 0, fmt, ap);
		va_end(ap);
		if (n < 0) {
			b->err = EINVAL;
			return;
		}
		if (b->p && b->len + (size_t)n < b->cap) {
			b->len += (size_t)n;
			return;
		}
		size_t cap = b->cap ? b->cap * 2 : 1024;
		while (cap <= b->len + (size_t)n)
			cap *= 2;
		if (cap > MCU_SDP_MAX_LEN) {
			b->err = E2BIG;
			return;
		}
		char *np = realloc(b->p, cap);
		if (!np) {
			b->err = ENOMEM;
			return;
		}
		b->p = np;
		b->cap = cap;
	}
}

static const char *ip_type(const char *addr)
{
	return strchr(addr, ':') ? "IP6" : "IP4";
}

static void write_header(struct sbuf *b, const struct mcu_sdp_local *local)
{
	sb_printf(b, "v=0\r\no=mcud %llu %llu IN %s %s\r\ns=mcud\r\n"
	             "c=IN %s %s\r\nt=0 0\r\n",
	          (unsigned long long)local->sess_id,
	          (unsigned long long)local->sess_version, ip_type(local->addr),
	          local->addr, ip_type(local->addr), local->addr);
}

static const char *canon_name(enum mcu_sdp_codec c)
{
	switch (c) {
	case MCU_SDP_H264: return "H264";
	case MCU_SDP_VP8: return "VP8";
	case MCU_SDP_OPUS: return "opus";
	case MCU_SDP_G722: return "G722";
	case MCU_SDP_PCMA: return "PCMA";
	case MCU_SDP_PCMU: return "PCMU";
	default: return "telephone-event";
	}
}

static void write_fb(struct sbuf *b, int pt, unsigned fb)
{
	if (fb & MCU_SDP_FB_NACK)
		sb_printf(b, "a=rtcp-fb:%d nack\r\n", pt);
	if (fb & MCU_SDP_FB_PLI)
		sb_printf(b, "a=rtcp-fb:%d nack pli\r\n", pt);
	if (fb & MCU_SDP_FB_FIR)
		sb_printf(b, "a=rtcp-fb:%d ccm fir\r\n", pt);
	if (fb & MCU_SDP_FB_REMB)
		sb_printf(b, "a=rtcp-fb:%d goog-remb\r\n", pt);
}

static void write_rejected(struct sbuf *b, const struct mcu_sdp_media *m)
{
	if (m->n_fmts)
		sb_printf(b, "m=%s 0 %s %d\r\n", m->media, m->proto,
		          m->fmts[0].pt);
	else
		sb_printf(b, "m=%s 0 %s %s\r\n", m->media, m->proto,
		          m->fmt_tokens);
	if (m->mid[0])
		sb_printf(b, "a=mid:%s\r\n", m->mid);
}

static void write_answer_media(struct sbuf *b, const struct mcu_sdp_media *m,
                               const struct mcu_sdp_neg_media *nm,
                               const struct mcu_sdp_caps *caps,
                               const struct mcu_sdp_local *local,
                               uint16_t port)
{
	sb_printf(b, "m=%s %u %s %d", m->media, port, m->proto, nm->pt);
	if (nm->te_pt >= 0)
		sb_printf(b, " %d", nm->te_pt);
	sb_printf(b, "\r\n");
	if (m->kind == MCU_SDP_VIDEO && caps->bitrate_kbps)
		sb_printf(b, "b=AS:%u\r\n", caps->bitrate_kbps);
	const char *name = nm->name[0] ? nm->name : canon_name(nm->codec);
	if (nm->channels > 1)
		sb_printf(b, "a=rtpmap:%d %s/%u/%u\r\n", nm->pt, name,
		          nm->clock, nm->channels);
	else
		sb_printf(b, "a=rtpmap:%d %s/%u\r\n", nm->pt, name, nm->clock);
	if (nm->codec == MCU_SDP_H264) {
		sb_printf(b, "a=fmtp:%d profile-level-id=%02x%02x%02x;"
		             "packetization-mode=%d%s\r\n",
		          nm->pt, nm->h264.profile_idc, nm->h264.profile_iop,
		          nm->h264.level_idc, nm->h264.packetization_mode,
		          nm->h264.level_asymmetry ? ";level-asymmetry-allowed=1"
		                                   : "");
	} else if (nm->codec == MCU_SDP_OPUS) {
		sb_printf(b, "a=fmtp:%d useinbandfec=1\r\n", nm->pt);
	}
	write_fb(b, nm->pt, nm->fb);
	if (nm->te_pt >= 0) {
		sb_printf(b, "a=rtpmap:%d telephone-event/%u\r\n", nm->te_pt,
		          nm->te_clock);
		sb_printf(b, "a=fmtp:%d 0-15\r\n", nm->te_pt);
	}
	sb_printf(b, "a=%s\r\n", mcu_sdp_dir_name(nm->dir));
	if (nm->rtcp_mux)
		sb_printf(b, "a=rtcp-mux\r\n");
	if (m->mid[0])
		sb_printf(b, "a=mid:%s\r\n", m->mid);
	if (nm->srtp_suite != MCU_SRTP_NONE) {
		char line[MCU_SRTP_CRYPTO_LEN];
		const uint8_t *key = m->kind == MCU_SDP_VIDEO ? local->video_key
		                                              : local->audio_key;
		if (mcu_srtp_crypto_format(line, sizeof(line), nm->srtp_tag,
		                           nm->srtp_suite, key) == 0)
			sb_printf(b, "a=crypto:%s\r\n", line);
		else
			b->err = EINVAL;
		explicit_bzero(line, sizeof(line));
	}
	if (strncmp(m->proto, "UDP/TLS/", 8) == 0) {
		sb_printf(b, "a=ice-ufrag:%s\r\na=ice-pwd:%s\r\n"
		             "a=fingerprint:%s\r\na=setup:%s\r\n",
		          local->ice_ufrag, local->ice_pwd, local->fingerprint,
		          local->setup ? local->setup : "active");
	}
}

static int finish(struct sbuf *b, char **out)
{
	if (b->err) {
		free(b->p);
		return b->err;
	}
	*out = b->p;
	return 0;
}

/* ---- offer/answer ------------------------------------------------------ */

/* The first a=crypto of a media line we support, or false. */
static bool choose_crypto(const struct mcu_sdp_media *m,
                          struct mcu_srtp_crypto *c)
{
	for (size_t i = 0; i < m->n_crypto; i++)
		if (mcu_srtp_crypto_parse_parts(c, m->crypto[i].tag,
		                                m->crypto[i].suite,
		                                m->crypto[i].params) == 0)
			return true;
	return false;
}

/* The SRTP policy in force for a kind: OFF without our key. */
static enum mcu_sdp_srtp srtp_policy(const struct mcu_sdp_caps *caps,
                                     const struct mcu_sdp_local *local,
                                     enum mcu_sdp_kind kind)
{
	const uint8_t *key = kind == MCU_SDP_VIDEO ? local->video_key
	                                           : local->audio_key;
	return key ? caps->srtp : MCU_SDP_SRTP_OFF;
}

/* Can we serve this media line's transport profile? c->suite is set
   when the line is to be SRTP with the remote key in c. */
static bool proto_ok(const struct mcu_sdp_media *m,
                     const struct mcu_sdp_caps *caps,
                     const struct mcu_sdp_local *local,
                     struct mcu_srtp_crypto *c)
{
	const char *p = m->proto;
	enum mcu_sdp_srtp pol = srtp_policy(caps, local, m->kind);
	memset(c, 0, sizeof(*c));
	if (strcmp(p, "RTP/AVP") == 0 || strcmp(p, "RTP/AVPF") == 0) {
		if (pol != MCU_SDP_SRTP_OFF && choose_crypto(m, c))
			return true; /* best-effort SRTP */
		return pol != MCU_SDP_SRTP_REQUIRED;
	}
	if (strcmp(p, "RTP/SAVP") == 0 || strcmp(p, "RTP/SAVPF") == 0)
		return pol != MCU_SDP_SRTP_OFF && choose_crypto(m, c);
	if (pol == MCU_SDP_SRTP_REQUIRED)
		return false; /* DTLS-SRTP is not SDES: not ours to judge here */
	if (strcmp(p, "UDP/TLS/RTP/SAVP") == 0 ||
	    strcmp(p, "UDP/TLS/RTP/SAVPF") == 0)
		return local->fingerprint && local->ice_ufrag && local->ice_pwd;
	return false;
}

static bool addr_ok(const char *addr)
{
	unsigned char bin[16];
	return addr && (inet_pton(AF_INET, addr, bin) == 1 ||
	                inet_pton(AF_INET6, addr, bin) == 1);
}

static void set_srtp(struct mcu_sdp_neg_media *nm,
                     struct mcu_srtp_crypto *c)
{
	if (c->suite != MCU_SRTP_NONE) {
		nm->srtp_suite = c->suite;
		nm->srtp_tag = c->tag;
		memcpy(nm->srtp_remote_key, c->key, c->key_len);
	}
	explicit_bzero(c, sizeof(*c));
}

int mcu_sdp_answer(const struct mcu_sdp_session *offer,
                   const struct mcu_sdp_caps *caps,
                   const struct mcu_sdp_local *local,
                   struct mcu_sdp_neg *neg, char **answerp)
{
	if (!offer || !caps || !local || !neg || !answerp ||
	    !addr_ok(local->addr))
		return EINVAL;
	struct mcu_sdp_neg out;
	memset(&out, 0, sizeof(out));
	out.audio.te_pt = out.video.te_pt = -1;
	bool accepted[MCU_SDP_MAX_MEDIA] = {false};
	size_t n_acc = 0;
	for (size_t i = 0; i < offer->n_media; i++) {
		const struct mcu_sdp_media *m = &offer->media[i];
		if (m->kind == MCU_SDP_OTHER || m->port == 0)
			continue;
		struct mcu_sdp_neg_media *nm =
			m->kind == MCU_SDP_VIDEO ? &out.video : &out.audio;
		uint16_t port = m->kind == MCU_SDP_VIDEO ? local->video_port
		                                         : local->audio_port;
		struct mcu_srtp_crypto c;
		if (nm->active || port == 0 || !proto_ok(m, caps, local, &c))
			continue;
		const struct mcu_sdp_fmt *f = choose_fmt(m, caps);
		if (!f)
			continue;
		const struct mcu_sdp_fmt *te = NULL;
		if (m->kind == MCU_SDP_AUDIO && caps->telephone_event)
			te = choose_te(m, f->clock);
		fill_neg(nm, offer, i, f, te, caps, true);
		set_srtp(nm, &c);
		accepted[i] = true;
		n_acc++;
	}
	if (n_acc == 0)
		return EPROTONOSUPPORT;

	struct sbuf b = {0};
	write_header(&b, local);
	/* BUNDLE only when the caller muxes everything on one port. */
	if (offer->n_bundle && local->audio_port &&
	    local->audio_port == local->video_port) {
		sb_printf(&b, "a=group:BUNDLE");
		for (size_t i = 0; i < offer->n_media; i++)
			if (accepted[i] && offer->media[i].mid[0])
				sb_printf(&b, " %s", offer->media[i].mid);
		sb_printf(&b, "\r\n");
	}
	for (size_t i = 0; i < offer->n_media; i++) {
		const struct mcu_sdp_media *m = &offer->media[i];
		if (!accepted[i]) {
			write_rejected(&b, m);
			continue;
		}
		bool video = m->kind == MCU_SDP_VIDEO;
		write_answer_media(&b, m, video ? &out.video : &out.audio, caps,
		                   local,
		                   video ? local->video_port : local->audio_port);
	}
	int err = finish(&b, answerp);
	if (err == 0)
		*neg = out;
	explicit_bzero(&out, sizeof(out));
	return err;
}

/* The suites we offer, by a=crypto tag - 1 (answers must keep them). */
static const enum mcu_srtp_suite offer_suites[] = {
	MCU_SRTP_AES_CM_128_HMAC_SHA1_80,
	MCU_SRTP_AEAD_AES_128_GCM,
	MCU_SRTP_AES_CM_128_HMAC_SHA1_32,
};
#define N_OFFER_SUITES (sizeof(offer_suites) / sizeof(offer_suites[0]))

static const char *offer_proto(const struct mcu_sdp_caps *caps,
                               const struct mcu_sdp_local *local,
                               enum mcu_sdp_kind kind)
{
	return srtp_policy(caps, local, kind) == MCU_SDP_SRTP_REQUIRED
	               ? "RTP/SAVP"
	               : "RTP/AVP";
}

static void write_offer_crypto(struct sbuf *b, const struct mcu_sdp_caps *caps,
                               const struct mcu_sdp_local *local,
                               enum mcu_sdp_kind kind)
{
	const uint8_t *key = kind == MCU_SDP_VIDEO ? local->video_key
	                                           : local->audio_key;
	char line[MCU_SRTP_CRYPTO_LEN];
	if (srtp_policy(caps, local, kind) == MCU_SDP_SRTP_OFF)
		return;
	for (size_t i = 0; i < N_OFFER_SUITES; i++) {
		if (mcu_srtp_crypto_format(line, sizeof(line), (unsigned)i + 1,
		                           offer_suites[i], key) == 0)
			sb_printf(b, "a=crypto:%s\r\n", line);
		else
			b->err = EINVAL;
	}
	explicit_bzero(line, sizeof(line));
}

/* The remote's key in an answer to our offer: the tag and suite must be
   one of the lines we offered. */
static bool answer_crypto(const struct mcu_sdp_media *m,
                          struct mcu_srtp_crypto *c)
{
	for (size_t i = 0; i < m->n_crypto; i++) {
		unsigned tag = m->crypto[i].tag;
		if (mcu_srtp_crypto_parse_parts(c, tag, m->crypto[i].suite,
		                                m->crypto[i].params) == 0 &&
		    tag >= 1 && tag <= N_OFFER_SUITES &&
		    offer_suites[tag - 1] == c->suite)
			return true;
	}
	explicit_bzero(c, sizeof(*c));
	return false;
}

int mcu_sdp_offer(const struct mcu_sdp_caps *caps,
                  const struct mcu_sdp_local *local, char **offerp)
{
	if (!caps || !local || !offerp || !addr_ok(local->addr))
		return EINVAL;
	bool audio = false, video = false, opus = false, g8k = false;
	for (size_t i = 0; i < caps->n_codecs; i++) {
		enum mcu_sdp_codec c = caps->codecs[i];
		if (codec_kind(c) == MCU_SDP_VIDEO)
			video = true;
		else if (c != MCU_SDP_TELEPHONE_EVENT && c != MCU_SDP_CODEC_NONE)
			audio = true;
		opus |= c == MCU_SDP_OPUS;
		g8k |= c == MCU_SDP_G722 || c == MCU_SDP_PCMA ||
		       c == MCU_SDP_PCMU;
	}
	audio &= local->audio_port != 0;
	video &= local->video_port != 0;
	if (!audio && !video)
		return EINVAL;
	struct sbuf b = {0};
	write_header(&b, local);
	if (audio) {
		sb_printf(&b, "m=audio %u %s", local->audio_port,
		          offer_proto(caps, local, MCU_SDP_AUDIO));
		for (size_t i = 0; i < caps->n_codecs; i++) {
			switch (caps->codecs[i]) {
			case MCU_SDP_OPUS: sb_printf(&b, " %d", MCU_SDP_PT_OPUS); break;
			case MCU_SDP_G722: sb_printf(&b, " %d", MCU_SDP_PT_G722); break;
			case MCU_SDP_PCMA: sb_printf(&b, " %d", MCU_SDP_PT_PCMA); break;
			case MCU_SDP_PCMU: sb_printf(&b, " %d", MCU_SDP_PT_PCMU); break;
			default: break;
			}
		}
		if (caps->telephone_event && opus)
			sb_printf(&b, " %d", MCU_SDP_PT_TE48K);
		if (caps->telephone_event && g8k)
			sb_printf(&b, " %d", MCU_SDP_PT_TE8K);
		sb_printf(&b, "\r\n");
		for (size_t i = 0; i < caps->n_codecs; i++) {
			switch (caps->codecs[i]) {
			case MCU_SDP_OPUS:
				sb_printf(&b, "a=rtpmap:%d opus/48000/2\r\n"
				              "a=fmtp:%d useinbandfec=1\r\n",
				          MCU_SDP_PT_OPUS, MCU_SDP_PT_OPUS);
				break;
			case MCU_SDP_G722:
				sb_printf(&b, "a=rtpmap:9 G722/8000\r\n");
				break;
			case MCU_SDP_PCMA:
				sb_printf(&b, "a=rtpmap:8 PCMA/8000\r\n");
				break;
			case MCU_SDP_PCMU:
				sb_printf(&b, "a=rtpmap:0 PCMU/8000\r\n");
				break;
			default: break;
			}
		}
		if (caps->telephone_event && opus)
			sb_printf(&b, "a=rtpmap:%d telephone-event/48000\r\n"
			              "a=fmtp:%d 0-15\r\n",
			          MCU_SDP_PT_TE48K, MCU_SDP_PT_TE48K);
		if (caps->telephone_event && g8k)
			sb_printf(&b, "a=rtpmap:%d telephone-event/8000\r\n"
			              "a=fmtp:%d 0-15\r\n",
			          MCU_SDP_PT_TE8K, MCU_SDP_PT_TE8K);
		sb_printf(&b, "a=sendrecv\r\n%s",
		          caps->rtcp_mux ? "a=rtcp-mux\r\n" : "");
		write_offer_crypto(&b, caps, local, MCU_SDP_AUDIO);
	}
	if (video) {
		sb_printf(&b, "m=video %u %s", local->video_port,
		          offer_proto(caps, local, MCU_SDP_VIDEO));
		for (size_t i = 0; i < caps->n_codecs; i++) {
			if (caps->codecs[i] == MCU_SDP_H264)
				sb_printf(&b, " %d %d", MCU_SDP_PT_H264_1,
				          MCU_SDP_PT_H264_0);
			else if (caps->codecs[i] == MCU_SDP_VP8)
				sb_printf(&b, " %d", MCU_SDP_PT_VP8);
		}
		sb_printf(&b, "\r\n");
		if (caps->bitrate_kbps)
			sb_printf(&b, "b=AS:%u\r\n", caps->bitrate_kbps);
		unsigned fb = MCU_SDP_FB_NACK | MCU_SDP_FB_PLI | MCU_SDP_FB_FIR |
		              MCU_SDP_FB_REMB;
		for (size_t i = 0; i < caps->n_codecs; i++) {
			if (caps->codecs[i] == MCU_SDP_H264) {
				for (int mode = 1; mode >= 0; mode--) {
					int pt = mode ? MCU_SDP_PT_H264_1
					              : MCU_SDP_PT_H264_0;
					sb_printf(&b, "a=rtpmap:%d H264/90000\r\n"
					              "a=fmtp:%d profile-level-id="
					              "42e0%02x;packetization-mode=%d"
					              "\r\n",
					          pt, pt, caps->h264_level_idc, mode);
					write_fb(&b, pt, fb);
				}
			} else if (caps->codecs[i] == MCU_SDP_VP8) {
				sb_printf(&b, "a=rtpmap:%d VP8/90000\r\n",
				          MCU_SDP_PT_VP8);
				write_fb(&b, MCU_SDP_PT_VP8, fb);
			}
		}
		sb_printf(&b, "a=sendrecv\r\n%s",
		          caps->rtcp_mux ? "a=rtcp-mux\r\n" : "");
		write_offer_crypto(&b, caps, local, MCU_SDP_VIDEO);
	}
	return finish(&b, offerp);
}

int mcu_sdp_parse_answer(const struct mcu_sdp_session *answer,
                         const struct mcu_sdp_caps *caps,
                         struct mcu_sdp_neg *neg)
{
	if (!answer || !caps || !neg)
		return EINVAL;
	struct mcu_sdp_neg out;
	memset(&out, 0, sizeof(out));
	out.audio.te_pt = out.video.te_pt = -1;
	size_t n_acc = 0;
	for (size_t i = 0; i < answer->n_media; i++) {
		const struct mcu_sdp_media *m = &answer->media[i];
		if (m->kind == MCU_SDP_OTHER || m->port == 0)
			continue;
		struct mcu_sdp_neg_media *nm =
			m->kind == MCU_SDP_VIDEO ? &out.video : &out.audio;
		if (nm->active)
			continue;
		/* The answerer's order decides among what we offered. */
		const struct mcu_sdp_fmt *f = NULL;
		for (size_t k = 0; k < m->n_fmts && !f; k++) {
			enum mcu_sdp_codec c = fmt_codec(&m->fmts[k]);
			if (c != MCU_SDP_CODEC_NONE &&
			    c != MCU_SDP_TELEPHONE_EVENT && caps_has(caps, c) &&
			    codec_kind(c) == m->kind)
				f = &m->fmts[k];
		}
		if (!f)
			continue;
		/* SRTP as we offered it: a key under one of our tags. A
		   profile we did not offer (SAVP to our AVP) is still fine
		   when it carries one. */
		struct mcu_srtp_crypto c;
		bool keyed = caps->srtp != MCU_SDP_SRTP_OFF &&
		             answer_crypto(m, &c);
		if (!keyed && (caps->srtp == MCU_SDP_SRTP_REQUIRED ||
		               strncmp(m->proto, "RTP/SAVP", 8) == 0))
			continue;
		if (!keyed)
			memset(&c, 0, sizeof(c));
		const struct mcu_sdp_fmt *te = NULL;
		if (m->kind == MCU_SDP_AUDIO && caps->telephone_event)
			te = choose_te(m, f->clock);
		fill_neg(nm, answer, i, f, te, caps, false);
		set_srtp(nm, &c);
		/* The answer's direction is the remote's; ours mirrors it. */
		n_acc++;
	}
	if (n_acc == 0)
		return EPROTONOSUPPORT;
	*neg = out;
	explicit_bzero(&out, sizeof(out));
	return 0;
}

int mcu_sdp_sip_status(int err)
{
	if (err == 0)
		return 0;
	if (err == EINVAL || err == E2BIG)
		return 400;
	return 488;
}
