/*
 * rtcp: compound RTCP parse and build (see rtcp.h).
 *
 * Each packet's length field decides where it ends; body parsers only ever
 * see that slice, so a lying count field can at worst fail its own packet.
 */
#include "transport/rtcp.h"
#include "transport/be.h"

#include <errno.h>
#include <string.h>

#define HDR_LEN         4
#define RB_LEN          24
#define NTP_UNIX_OFFSET 2208988800ull

/* ---- parsing ---------------------------------------------------------- */

static void parse_rb(struct mcu_rtcp_rb *rb, const uint8_t *p)
{
	uint32_t lost = (uint32_t)p[5] << 16 | (uint32_t)p[6] << 8 | p[7];

	rb->ssrc = mcu_be_rd32(p);
	rb->fraction = p[4];
	rb->lost =
	    (lost & 0x800000) ? (int32_t)lost - 0x1000000 : (int32_t)lost;
	rb->ext_max = mcu_be_rd32(p + 8);
	rb->jitter = mcu_be_rd32(p + 12);
	rb->lsr = mcu_be_rd32(p + 16);
	rb->dlsr = mcu_be_rd32(p + 20);
}

static int parse_blocks(struct mcu_rtcp_msg *m, const uint8_t *p, size_t len)
{
	if (len < (size_t)m->count * RB_LEN)
		return EBADMSG;
	m->n_rb = m->count;
	for (unsigned i = 0; i < m->n_rb; i++)
		parse_rb(&m->rb[i], p + i * RB_LEN);
	return 0;
}

static int parse_sr(struct mcu_rtcp_msg *m, const uint8_t *p, size_t len)
{
	if (len < 24)
		return EBADMSG;
	m->ssrc = mcu_be_rd32(p);
	m->sr.ntp = (uint64_t)mcu_be_rd32(p + 4) << 32 | mcu_be_rd32(p + 8);
	m->sr.rtp_ts = mcu_be_rd32(p + 12);
	m->sr.packets = mcu_be_rd32(p + 16);
	m->sr.octets = mcu_be_rd32(p + 20);
	return parse_blocks(m, p + 24, len - 24);
}

static int parse_rr(struct mcu_rtcp_msg *m, const uint8_t *p, size_t len)
{
	if (len < 4)
		return EBADMSG;
	m->ssrc = mcu_be_rd32(p);
	return parse_blocks(m, p + 4, len - 4);
}

/* One SDES chunk at p[*off]; items until a zero type, then 32-bit pad. */
static int parse_chunk(struct mcu_rtcp_sdes_chunk *c, const uint8_t *p,
                       size_t len, size_t *off)
{
	size_t o = *off;

	if (len - o < 4)
		return EBADMSG;
	c->ssrc = mcu_be_rd32(p + o);
	c->cname[0] = '\0';
	o += 4;
	for (;;) {
		if (o >= len)
			return EBADMSG;
		uint8_t type = p[o];
		if (type == 0)
			break;
		if (len - o < 2 || len - o - 2 < p[o + 1])
			return EBADMSG;
		uint8_t ilen = p[o + 1];
		if (type == 1) {
			memcpy(c->cname, p + o + 2, ilen);
			c->cname[ilen] = '\0';
		}
		o += 2u + ilen;
	}
	o = (o + 4) & ~(size_t)3; /* the null item, then pad to 4 */
	if (o > len)
		return EBADMSG;
	*off = o;
	return 0;
}

static int parse_sdes(struct mcu_rtcp_msg *m, const uint8_t *p, size_t len)
{
	size_t off = 0;

	for (unsigned i = 0; i < m->count; i++) {
		struct mcu_rtcp_sdes_chunk tmp, *c = &tmp;
		if (m->n_sdes < MCU_RTCP_MAX_SDES)
			c = &m->sdes[m->n_sdes];
		if (parse_chunk(c, p, len, &off))
			return EBADMSG;
		if (c == &tmp)
			m->truncated = true;
		else
			m->n_sdes++;
	}
	return 0;
}

static int parse_bye(struct mcu_rtcp_msg *m, const uint8_t *p, size_t len)
{
	size_t need = (size_t)m->count * 4;

	if (len < need)
		return EBADMSG;
	m->n_bye = m->count;
	for (unsigned i = 0; i < m->n_bye; i++)
		m->bye[i] = mcu_be_rd32(p + 4 * i);
	if (len > need && len - need - 1 < p[need]) /* reason text */
		return EBADMSG;
	return 0;
}

static int parse_nack(struct mcu_rtcp_msg *m, const uint8_t *fci, size_t len)
{
	if (len < 4 || len % 4)
		return EBADMSG;
	for (size_t o = 0; o < len; o += 4) {
		if (m->n_nack == MCU_RTCP_MAX_NACK) {
			m->truncated = true;
			break;
		}
		m->nack[m->n_nack].pid = mcu_be_rd16(fci + o);
		m->nack[m->n_nack].blp = mcu_be_rd16(fci + o + 2);
		m->n_nack++;
	}
	m->type = MCU_RTCP_NACK;
	return 0;
}

static int parse_fir(struct mcu_rtcp_msg *m, const uint8_t *fci, size_t len)
{
	if (len < 8 || len % 8)
		return EBADMSG;
	for (size_t o = 0; o < len; o += 8) {
		if (m->n_fir == MCU_RTCP_MAX_FIR) {
			m->truncated = true;
			break;
		}
		m->fir[m->n_fir].ssrc = mcu_be_rd32(fci + o);
		m->fir[m->n_fir].seq = fci[o + 4];
		m->n_fir++;
	}
	m->type = MCU_RTCP_FIR;
	return 0;
}

/* REMB FCI: "REMB", num SSRC, exp(6) mantissa(18), SSRC list. */
static int parse_remb(struct mcu_rtcp_msg *m, const uint8_t *fci, size_t len)
{
	if (len < 8 || memcmp(fci, "REMB", 4) != 0)
		return ENOENT; /* another AFB: not ours, not an error */
	unsigned num = fci[4];
	unsigned exp = fci[5] >> 2;
	uint32_t mant = (uint32_t)(fci[5] & 3) << 16 | mcu_be_rd16(fci + 6);
	if (len - 8 < (size_t)num * 4)
		return EBADMSG;
	/* 18-bit mantissa << up to 63 overflows: saturate */
	m->remb_bps = (exp > 46 && mant) ? UINT64_MAX : (uint64_t)mant << exp;
	for (unsigned i = 0; i < num; i++) {
		if (m->n_remb == MCU_RTCP_MAX_REMB) {
			m->truncated = true;
			break;
		}
		m->remb_ssrc[m->n_remb++] = mcu_be_rd32(fci + 8 + 4 * i);
	}
	m->type = MCU_RTCP_REMB;
	return 0;
}

static int parse_fb(struct mcu_rtcp_msg *m, const uint8_t *p, size_t len)
{
	if (len < 8)
		return EBADMSG;
	m->ssrc = mcu_be_rd32(p);
	m->media_ssrc = mcu_be_rd32(p + 4);
	p += 8;
	len -= 8;
	m->type = MCU_RTCP_OTHER;
	if (m->pt == MCU_RTCP_PT_RTPFB)
		return m->count == 1 ? parse_nack(m, p, len) : 0;
	switch (m->count) {
	case 1:
		m->type = MCU_RTCP_PLI;
		return 0;
	case 4:
		return parse_fir(m, p, len);
	case 15: {
		int err = parse_remb(m, p, len);
		return err == ENOENT ? 0 : err;
	}
	default:
		return 0;
	}
}

static int parse_body(struct mcu_rtcp_msg *m, const uint8_t *p, size_t len)
{
	switch (m->pt) {
	case MCU_RTCP_PT_SR:
		m->type = MCU_RTCP_SR;
		return parse_sr(m, p, len);
	case MCU_RTCP_PT_RR:
		m->type = MCU_RTCP_RR;
		return parse_rr(m, p, len);
	case MCU_RTCP_PT_SDES:
		m->type = MCU_RTCP_SDES;
		return parse_sdes(m, p, len);
	case MCU_RTCP_PT_BYE:
		m->type = MCU_RTCP_BYE;
		return parse_bye(m, p, len);
	case MCU_RTCP_PT_APP:
		m->type = MCU_RTCP_APP;
		return len >= 8 ? 0 : EBADMSG;
	case MCU_RTCP_PT_RTPFB:
	case MCU_RTCP_PT_PSFB:
		return parse_fb(m, p, len);
	default:
		m->type = MCU_RTCP_OTHER;
		return 0;
	}
}

void mcu_rtcp_iter_init(struct mcu_rtcp_iter *it, const uint8_t *buf,
                        size_t len)
{
	it->buf = buf;
	it->len = buf ? len : 0;
	it->off = 0;
}

/* Check the header at it->off; sets *plen (whole packet) and *body_len
 * (without header and padding). */
static int check_header(const struct mcu_rtcp_iter *it, size_t *plen,
                        size_t *body_len)
{
	const uint8_t *p = it->buf + it->off;
	size_t left = it->len - it->off;

	if (left < HDR_LEN || (p[0] >> 6) != 2)
		return EBADMSG;
	*plen = ((size_t)mcu_be_rd16(p + 2) + 1) * 4;
	if (*plen > left)
		return EBADMSG;
	*body_len = *plen - HDR_LEN;
	if (p[0] & 0x20) { /* padding: only valid in the last packet */
		uint8_t pad = p[*plen - 1];
		if (*plen != left || pad == 0 || pad > *body_len)
			return EBADMSG;
		*body_len -= pad;
	}
	return 0;
}

int mcu_rtcp_next(struct mcu_rtcp_iter *it, struct mcu_rtcp_msg *m)
{
	size_t plen, blen;

	if (!it || !m || !it->buf || it->off >= it->len)
		return ENOENT;
	if (check_header(it, &plen, &blen)) {
		it->off = it->len;
		return EBADMSG;
	}
	const uint8_t *p = it->buf + it->off;
	m->type = MCU_RTCP_OTHER;
	m->pt = p[1];
	m->count = p[0] & 0x1f;
	m->ssrc = m->media_ssrc = 0;
	m->truncated = false;
	m->n_rb = m->n_sdes = m->n_bye = m->n_nack = m->n_fir = m->n_remb = 0;
	m->remb_bps = 0;
	it->off += plen;
	return parse_body(m, p + HDR_LEN, blen);
}

int mcu_rtcp_validate(const uint8_t *buf, size_t len)
{
	struct mcu_rtcp_iter it;
	size_t plen, blen;

	if (!buf || len < HDR_LEN)
		return EBADMSG;
	mcu_rtcp_iter_init(&it, buf, len);
	while (it.off < it.len) {
		if (check_header(&it, &plen, &blen))
			return EBADMSG;
		it.off += plen;
	}
	return 0;
}

unsigned mcu_rtcp_nack_seqs(const struct mcu_rtcp_nack_item *items, unsigned n,
                            uint16_t *seqs, unsigned max)
{
	unsigned total = 0;

	for (unsigned i = 0; i < n; i++) {
		if (total < max)
			seqs[total] = items[i].pid;
		total++;
		for (unsigned b = 0; b < 16; b++) {
			if (!(items[i].blp & (1u << b)))
				continue;
			if (total < max)
				seqs[total] = (uint16_t)(items[i].pid + b + 1);
			total++;
		}
	}
	return total;
}

/* ---- building --------------------------------------------------------- */

/* Reserve `len` bytes (a multiple of 4) and write the common header. */
static uint8_t *begin(uint8_t *buf, size_t size, size_t *off, size_t len,
                      uint8_t count, uint8_t pt)
{
	if (!buf || !off || *off > size || size - *off < len || len % 4 ||
	    len / 4 - 1 > 0xffff)
		return NULL;
	uint8_t *p = buf + *off;
	p[0] = (uint8_t)(0x80 | count);
	p[1] = pt;
	mcu_be_wr16(p + 2, (uint16_t)(len / 4 - 1));
	*off += len;
	return p;
}

static void write_rb(uint8_t *p, const struct mcu_rtcp_rb *rb)
{
	int32_t lost = rb->lost > 0x7fffff    ? 0x7fffff
	               : rb->lost < -0x800000 ? -0x800000
	                                      : rb->lost;
	uint32_t l24 = (uint32_t)lost & 0xffffff;

	mcu_be_wr32(p, rb->ssrc);
	p[4] = rb->fraction;
	p[5] = (uint8_t)(l24 >> 16);
	p[6] = (uint8_t)(l24 >> 8);
	p[7] = (uint8_t)l24;
	mcu_be_wr32(p + 8, rb->ext_max);
	mcu_be_wr32(p + 12, rb->jitter);
	mcu_be_wr32(p + 16, rb->lsr);
	mcu_be_wr32(p + 20, rb->dlsr);
}

int mcu_rtcp_write_sr(uint8_t *buf, size_t size, size_t *off, uint32_t ssrc,
                      const struct mcu_rtcp_sr_info *sr,
                      const struct mcu_rtcp_rb *rb, unsigned n_rb)
{
	if (!sr || n_rb > MCU_RTCP_MAX_RB || (n_rb && !rb))
		return EINVAL;
	uint8_t *p = begin(buf, size, off, 28 + (size_t)n_rb * RB_LEN,
	                   (uint8_t)n_rb, MCU_RTCP_PT_SR);
	if (!p)
		return ENOSPC;
	mcu_be_wr32(p + 4, ssrc);
	mcu_be_wr32(p + 8, (uint32_t)(sr->ntp >> 32));
	mcu_be_wr32(p + 12, (uint32_t)sr->ntp);
	mcu_be_wr32(p + 16, sr->rtp_ts);
	mcu_be_wr32(p + 20, sr->packets);
	mcu_be_wr32(p + 24, sr->octets);
	for (unsigned i = 0; i < n_rb; i++)
		write_rb(p + 28 + i * RB_LEN, &rb[i]);
	return 0;
}

int mcu_rtcp_write_rr(uint8_t *buf, size_t size, size_t *off, uint32_t ssrc,
                      const struct mcu_rtcp_rb *rb, unsigned n_rb)
{
	if (n_rb > MCU_RTCP_MAX_RB || (n_rb && !rb))
		return EINVAL;
	uint8_t *p = begin(buf, size, off, 8 + (size_t)n_rb * RB_LEN,
	                   (uint8_t)n_rb, MCU_RTCP_PT_RR);
	if (!p)
		return ENOSPC;
	mcu_be_wr32(p + 4, ssrc);
	for (unsigned i = 0; i < n_rb; i++)
		write_rb(p + 8 + i * RB_LEN, &rb[i]);
	return 0;
}

int mcu_rtcp_write_sdes(uint8_t *buf, size_t size, size_t *off, uint32_t ssrc,
                        const char *cname)
{
	size_t clen = cname ? strnlen(cname, MCU_RTCP_MAX_CNAME + 1) : 0;

	if (clen == 0 || clen > MCU_RTCP_MAX_CNAME)
		return EINVAL;
	/* ssrc, type, len, text, at least one null, pad to 4 */
	size_t body = (4 + 2 + clen + 1 + 3) & ~(size_t)3;
	uint8_t *p = begin(buf, size, off, HDR_LEN + body, 1, MCU_RTCP_PT_SDES);
	if (!p)
		return ENOSPC;
	memset(p + HDR_LEN, 0, body);
	mcu_be_wr32(p + 4, ssrc);
	p[8] = 1;
	p[9] = (uint8_t)clen;
	memcpy(p + 10, cname, clen);
	return 0;
}

int mcu_rtcp_write_bye(uint8_t *buf, size_t size, size_t *off,
                       const uint32_t *ssrcs, unsigned n)
{
	if (n > MCU_RTCP_MAX_BYE || (n && !ssrcs))
		return EINVAL;
	uint8_t *p = begin(buf, size, off, HDR_LEN + (size_t)n * 4, (uint8_t)n,
	                   MCU_RTCP_PT_BYE);
	if (!p)
		return ENOSPC;
	for (unsigned i = 0; i < n; i++)
		mcu_be_wr32(p + 4 + 4 * i, ssrcs[i]);
	return 0;
}

/* Pack seqs into PID/BLP items; returns the item count (items may be
 * NULL to count only). */
static unsigned pack_nack(const uint16_t *seqs, unsigned n, uint8_t *items)
{
	unsigned count = 0;

	for (unsigned i = 0; i < n;) {
		uint16_t pid = seqs[i], blp = 0;
		unsigned j = i + 1;
		for (; j < n; j++) {
			int d = (int16_t)(uint16_t)(seqs[j] - pid);
			if (d < 0 || d > 16)
				break;
			if (d > 0)
				blp |= (uint16_t)(1u << (d - 1));
		}
		if (items) {
			mcu_be_wr16(items + 4 * count, pid);
			mcu_be_wr16(items + 4 * count + 2, blp);
		}
		count++;
		i = j;
	}
	return count;
}

int mcu_rtcp_write_nack(uint8_t *buf, size_t size, size_t *off, uint32_t sender,
                        uint32_t media, const uint16_t *seqs, unsigned n)
{
	if (n == 0 || !seqs || n > 0x10000)
		return EINVAL;
	unsigned items = pack_nack(seqs, n, NULL);
	uint8_t *p =
	    begin(buf, size, off, 12 + (size_t)items * 4, 1, MCU_RTCP_PT_RTPFB);
	if (!p)
		return ENOSPC;
	mcu_be_wr32(p + 4, sender);
	mcu_be_wr32(p + 8, media);
	pack_nack(seqs, n, p + 12);
	return 0;
}

int mcu_rtcp_write_pli(uint8_t *buf, size_t size, size_t *off, uint32_t sender,
                       uint32_t media)
{
	uint8_t *p = begin(buf, size, off, 12, 1, MCU_RTCP_PT_PSFB);
	if (!p)
		return ENOSPC;
	mcu_be_wr32(p + 4, sender);
	mcu_be_wr32(p + 8, media);
	return 0;
}

int mcu_rtcp_write_fir(uint8_t *buf, size_t size, size_t *off, uint32_t sender,
                       const struct mcu_rtcp_fir_entry *e, unsigned n)
{
	if (n == 0 || n > MCU_RTCP_MAX_FIR || !e)
		return EINVAL;
	uint8_t *p =
	    begin(buf, size, off, 12 + (size_t)n * 8, 4, MCU_RTCP_PT_PSFB);
	if (!p)
		return ENOSPC;
	mcu_be_wr32(p + 4, sender);
	mcu_be_wr32(p + 8, 0); /* RFC 5104 4.3.1.2: media source SSRC is 0 */
	for (unsigned i = 0; i < n; i++) {
		uint8_t *f = p + 12 + 8 * i;
		mcu_be_wr32(f, e[i].ssrc);
		f[4] = e[i].seq;
		f[5] = f[6] = f[7] = 0;
	}
	return 0;
}

int mcu_rtcp_write_remb(uint8_t *buf, size_t size, size_t *off, uint32_t sender,
                        uint64_t bps, const uint32_t *ssrcs, unsigned n)
{
	unsigned exp = 0;

	if (n > MCU_RTCP_MAX_REMB || (n && !ssrcs))
		return EINVAL;
	while (bps >> exp > 0x3ffff)
		exp++;
	uint32_t mant = (uint32_t)(bps >> exp);
	uint8_t *p =
	    begin(buf, size, off, 20 + (size_t)n * 4, 15, MCU_RTCP_PT_PSFB);
	if (!p)
		return ENOSPC;
	mcu_be_wr32(p + 4, sender);
	mcu_be_wr32(p + 8, 0);
	memcpy(p + 12, "REMB", 4);
	p[16] = (uint8_t)n;
	p[17] = (uint8_t)(exp << 2 | mant >> 16);
	mcu_be_wr16(p + 18, (uint16_t)mant);
	for (unsigned i = 0; i < n; i++)
		mcu_be_wr32(p + 20 + 4 * i, ssrcs[i]);
	return 0;
}

/* ---- time ------------------------------------------------------------- */

uint64_t mcu_ntp_from_unix_us(int64_t unix_us)
{
	uint64_t sec = (uint64_t)(unix_us / 1000000) + NTP_UNIX_OFFSET;
	uint64_t us = (uint64_t)(unix_us % 1000000);

	if (unix_us < 0) { /* keep the fraction positive */
		sec -= 1;
		us += 1000000;
		if (us == 1000000) {
			us = 0;
			sec += 1;
		}
	}
	return sec << 32 | ((us << 32) / 1000000);
}

int64_t mcu_ntp_to_unix_us(uint64_t ntp)
{
	int64_t sec = (int64_t)(ntp >> 32) - (int64_t)NTP_UNIX_OFFSET;
	uint64_t frac = ntp & 0xffffffffu;

	return sec * 1000000 + (int64_t)((frac * 1000000 + (1u << 31)) >> 32);
}

int mcu_rtcp_rtt_us(uint32_t now_mid32, uint32_t lsr, uint32_t dlsr,
                    int64_t *rtt_us)
{
	if (lsr == 0)
		return ENOENT;
	int32_t rtt = (int32_t)(now_mid32 - lsr - dlsr);
	if (rtt < 0)
		return ERANGE;
	*rtt_us = (int64_t)(((uint64_t)rtt * 1000000) >> 16);
	return 0;
}
