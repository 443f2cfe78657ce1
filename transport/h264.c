/*
 * h264: RFC 6184 depacketizer, packetizer and parameter-set cache (see
 * h264.h).
 *
 * The depacketizer writes straight into one growing Annex-B buffer per
 * stream (bounded by max_au) so an access unit is copied once, from the
 * packets into the decoder's input. Anything doubtful about an access
 * unit marks it broken; a broken unit is thrown away at its end: a
 * decoder fed half a picture shows garbage until the next key frame,
 * while a dropped picture only freezes (and the caller asks for a key
 * frame at once).
 */
#include "transport/bytebuf.h"
#include "transport/h264.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static const uint8_t start_code[4] = {0, 0, 0, 1};

/* ---- Annex-B ---------------------------------------------------------- */

/* Offset of the next 00 00 01 at or after `from`, or len. */
static size_t find_sc(const uint8_t *b, size_t len, size_t from)
{
	for (size_t i = from; i + 2 < len; i++) {
		if (b[i + 2] > 1) {
			i += 2; /* cannot be part of a start code */
			continue;
		}
		if (b[i] == 0 && b[i + 1] == 0 && b[i + 2] == 1)
			return i;
	}
	return len;
}

int mcu_h264_nal_next(const uint8_t *buf, size_t len, size_t *off,
                      const uint8_t **nal, size_t *nal_len)
{
	if (!buf || !off)
		return ENOENT;
	while (*off < len) {
		size_t sc = find_sc(buf, len, *off);
		if (sc == len) {
			*off = len;
			return ENOENT;
		}
		size_t start = sc + 3;
		size_t end = find_sc(buf, len, start);
		*off = end;
		while (end > start && buf[end - 1] == 0)
			end--; /* trailing zeros / 4-byte start code */
		if (end > start) {
			*nal = buf + start;
			*nal_len = end - start;
			return 0;
		}
	}
	return ENOENT;
}

static void note_type(struct mcu_h264_info *info, uint8_t hdr)
{
	switch (hdr & 0x1f) {
	case MCU_H264_NAL_IDR:
		info->idr = true;
		break;
	case MCU_H264_NAL_SPS:
		info->sps = true;
		break;
	case MCU_H264_NAL_PPS:
		info->pps = true;
		break;
	default:
		break;
	}
}

void mcu_h264_info(const uint8_t *au, size_t len, struct mcu_h264_info *info)
{
	size_t off = 0, nl;
	const uint8_t *nal;

	memset(info, 0, sizeof(*info));
	while (mcu_h264_nal_next(au, len, &off, &nal, &nl) == 0)
		note_type(info, nal[0]);
}

/* ---- depacketizer ----------------------------------------------------- */

struct mcu_h264_depack {
	int mode;
	size_t max_au;
	uint8_t *buf;
	size_t len;
	size_t cap;
	bool active; /* an AU is being collected */
	bool broken;
	bool in_fu; /* inside a fragmented NAL */
	uint32_t ts;
	uint16_t last_seq;
	struct mcu_h264_info info;
	struct mcu_h264_depack_stats st;
};

int mcu_h264_depack_alloc(struct mcu_h264_depack **dp, int mode, size_t max_au)
{
	struct mcu_h264_depack *d;

	if (!dp || (mode != 0 && mode != 1) || max_au > (64u << 20))
		return EINVAL;
	d = calloc(1, sizeof(*d));
	if (!d)
		return ENOMEM;
	d->mode = mode;
	d->max_au = max_au ? max_au : MCU_H264_MAX_AU;
	*dp = d;
	return 0;
}

struct mcu_h264_depack *mcu_h264_depack_free(struct mcu_h264_depack *d)
{
	if (d) {
		free(d->buf);
		free(d);
	}
	return NULL;
}

void mcu_h264_depack_stats(const struct mcu_h264_depack *d,
                           struct mcu_h264_depack_stats *st)
{
	*st = d->st;
}

/* Append bytes to the AU; false when the AU would exceed max_au. */
static bool append(struct mcu_h264_depack *d, const void *p, size_t n)
{
	return mcu_bytebuf_append(&d->buf, &d->len, &d->cap, d->max_au, p, n);
}

static int append_nal(struct mcu_h264_depack *d, const uint8_t *nal, size_t n)
{
	note_type(&d->info, nal[0]);
	if (!append(d, start_code, 4) || !append(d, nal, n))
		return EPIPE;
	return 0;
}

static bool single_type(uint8_t hdr)
{
	uint8_t t = hdr & 0x1f;
	return t >= 1 && t <= 23 && !(hdr & 0x80);
}

static int parse_stap(struct mcu_h264_depack *d, const uint8_t *p, size_t len)
{
	size_t off = 1;
	unsigned n = 0;

	if (d->in_fu)
		return EPIPE;
	/* check the whole packet first: a bad one must add nothing */
	while (off < len) {
		if (len - off < 2)
			return EBADMSG;
		size_t sz = (size_t)p[off] << 8 | p[off + 1];
		if (sz == 0 || sz > len - off - 2 || !single_type(p[off + 2]))
			return EBADMSG;
		off += 2 + sz;
		n++;
	}
	if (n == 0)
		return EBADMSG;
	for (off = 1; off < len;) {
		size_t sz = (size_t)p[off] << 8 | p[off + 1];
		int err = append_nal(d, p + off + 2, sz);
		if (err)
			return err;
		off += 2 + sz;
	}
	return 0;
}

static int parse_fu(struct mcu_h264_depack *d, const uint8_t *p, size_t len)
{
	if (len < 3)
		return EBADMSG;
	bool s = p[1] & 0x80, e = p[1] & 0x40;
	uint8_t type = p[1] & 0x1f;
	uint8_t hdr = (uint8_t)((p[0] & 0x60) | type);
	if ((s && e) || (p[1] & 0x20) || type == 0 || type > 23)
		return EBADMSG;
	if (s) {
		if (d->in_fu)
			return EPIPE; /* the previous one never ended */
		note_type(&d->info, hdr);
		if (!append(d, start_code, 4) || !append(d, &hdr, 1))
			return EPIPE;
		d->in_fu = true;
	} else if (!d->in_fu) {
		return EPIPE; /* its start was lost */
	}
	if (!append(d, p + 2, len - 2))
		return EPIPE;
	if (e)
		d->in_fu = false;
	return 0;
}

static int parse_payload(struct mcu_h264_depack *d, const uint8_t *p,
                         size_t len)
{
	if (len < 1 || (p[0] & 0x80))
		return EBADMSG;
	uint8_t type = p[0] & 0x1f;
	if (type >= 1 && type <= 23)
		return d->in_fu ? EPIPE : append_nal(d, p, len);
	if (d->mode == 0)
		return EBADMSG;
	if (type == MCU_H264_NAL_STAP_A)
		return parse_stap(d, p, len);
	if (type == MCU_H264_NAL_FU_A)
		return parse_fu(d, p, len);
	return EBADMSG; /* STAP-B, MTAP, FU-B: interleaved mode only */
}

static void start_au(struct mcu_h264_depack *d, uint32_t ts)
{
	d->active = true;
	d->broken = false;
	d->in_fu = false;
	d->len = 0;
	d->ts = ts;
	memset(&d->info, 0, sizeof(d->info));
}

int mcu_h264_depack_push(struct mcu_h264_depack *d, const uint8_t *payload,
                         size_t len, uint16_t seq, uint32_t ts, bool end,
                         struct mcu_h264_au *au)
{
	int ret = 0;

	if (!d || !au || (!payload && len))
		return EINVAL;
	au->data = NULL;
	au->len = 0;
	if (d->active && ts != d->ts) {
		d->st.dropped++;
		d->active = false;
		ret = EPIPE;
	}
	if (!d->active)
		start_au(d, ts);
	else if (seq != (uint16_t)(d->last_seq + 1))
		d->broken = true;
	d->last_seq = seq;
	if (!d->broken) {
		int err = parse_payload(d, payload, len);
		if (err)
			d->broken = true;
		if (err == EBADMSG) {
			d->st.malformed++;
			ret = EBADMSG;
		}
	}
	if (!end)
		return ret;
	d->active = false;
	if (d->broken || d->in_fu || d->len == 0) {
		d->st.dropped++;
		return ret ? ret : EPIPE;
	}
	au->data = d->buf;
	au->len = d->len;
	au->ts = d->ts;
	au->info = d->info;
	au->keyframe = d->info.idr;
	d->st.aus++;
	return ret;
}

/* ---- packetizer ------------------------------------------------------- */

struct nal_iter {
	const uint8_t *au;
	size_t len;
	size_t off;
};

static int peek(const struct nal_iter *it, const uint8_t **nal, size_t *n,
                size_t *after)
{
	size_t off = it->off;
	int err = mcu_h264_nal_next(it->au, it->len, &off, nal, n);
	*after = off;
	return err;
}

static bool more(const struct nal_iter *it)
{
	const uint8_t *nal;
	size_t n, after;
	return peek(it, &nal, &n, &after) == 0;
}

static int emit_fu(const uint8_t *nal, size_t n, size_t max, bool last_nal,
                   uint8_t *scratch, mcu_h264_payload_h *h, void *arg)
{
	size_t data = n - 1, room = max - 2;
	size_t frags = (data + room - 1) / room;
	size_t chunk = (data + frags - 1) / frags; /* even fragments */
	const uint8_t *p = nal + 1;

	for (size_t i = 0; i < frags; i++) {
		size_t c = data < chunk ? data : chunk;
		bool first = i == 0, final = i + 1 == frags;
		scratch[0] = (uint8_t)((nal[0] & 0xe0) | MCU_H264_NAL_FU_A);
		scratch[1] = (uint8_t)((first ? 0x80 : 0) | (final ? 0x40 : 0) |
		                       (nal[0] & 0x1f));
		memcpy(scratch + 2, p, c);
		int err = h(scratch, c + 2, final && last_nal, arg);
		if (err)
			return err;
		p += c;
		data -= c;
	}
	return 0;
}

/* Aggregate NALs from the iterator into one STAP-A while they fit;
 * returns how many were taken (at least one: the first always fits). */
static unsigned build_stap(struct nal_iter *it, size_t max, uint8_t *s,
                           size_t *plen)
{
	const uint8_t *nal;
	size_t n, after, len = 1;
	unsigned count = 0;
	uint8_t nri = 0;

	while (peek(it, &nal, &n, &after) == 0 && len + 2 + n <= max) {
		s[len] = (uint8_t)(n >> 8);
		s[len + 1] = (uint8_t)n;
		memcpy(s + len + 2, nal, n);
		len += 2 + n;
		if ((nal[0] & 0x60) > nri)
			nri = nal[0] & 0x60;
		it->off = after;
		count++;
	}
	s[0] = (uint8_t)(nri | MCU_H264_NAL_STAP_A);
	*plen = len;
	return count;
}

/*
 * The whole AU is checked before anything is emitted. RFC 6184 gives NAL
 * types 0 and 24-31 to its own payload structures: such a NAL sent alone
 * would be read as a STAP-A or FU-A by the receiver (a different AU, not
 * an error), and inside an FU-A it is refused. Encoders never make them;
 * a received NAL holding a start-code pattern splits into one when the AU
 * is re-read as Annex-B.
 */
static int check_au(const uint8_t *au, size_t len, size_t max, int mode)
{
	struct nal_iter it = {au, len, 0};
	const uint8_t *nal;
	size_t n, after;
	unsigned count = 0;

	while (peek(&it, &nal, &n, &after) == 0) {
		uint8_t t = nal[0] & 0x1f;
		if (t == 0 || t > 23)
			return EBADMSG;
		if (mode == 0 && n > max)
			return EMSGSIZE;
		it.off = after;
		count++;
	}
	return count ? 0 : ENOENT;
}

static int emit_one(struct nal_iter *it, size_t max, bool stap,
                    uint8_t *scratch, mcu_h264_payload_h *h, void *arg)
{
	const uint8_t *nal, *nal2;
	size_t n, n2, after, after2;

	peek(it, &nal, &n, &after);
	if (n > max) {
		it->off = after;
		return emit_fu(nal, n, max, !more(it), scratch, h, arg);
	}
	struct nal_iter two = {it->au, it->len, after};
	if (stap && peek(&two, &nal2, &n2, &after2) == 0 &&
	    3 + n + 2 + n2 <= max) {
		size_t plen;
		build_stap(it, max, scratch, &plen);
		return h(scratch, plen, !more(it), arg);
	}
	it->off = after;
	return h(nal, n, !more(it), arg);
}

int mcu_h264_packetize(const uint8_t *au, size_t len, size_t max_payload,
                       int mode, bool stap, mcu_h264_payload_h *h, void *arg)
{
	uint8_t scratch[MCU_H264_MAX_PAYLOAD];
	struct nal_iter it = {au, len, 0};

	if (!au || !h || (mode != 0 && mode != 1) || max_payload < 16 ||
	    max_payload > MCU_H264_MAX_PAYLOAD)
		return EINVAL;
	int err = check_au(au, len, max_payload, mode);
	if (err)
		return err;
	while (more(&it)) {
		err = emit_one(&it, max_payload, stap && mode == 1, scratch, h,
		               arg);
		if (err)
			return err;
	}
	return 0;
}

/* ---- parameter sets --------------------------------------------------- */

void mcu_h264_params_update(struct mcu_h264_params *p, const uint8_t *au,
                            size_t len)
{
	size_t off = 0, n;
	const uint8_t *nal;

	while (mcu_h264_nal_next(au, len, &off, &nal, &n) == 0) {
		uint8_t t = nal[0] & 0x1f;
		if (n > MCU_H264_MAX_PARAM)
			continue;
		if (t == MCU_H264_NAL_SPS) {
			memcpy(p->sps, nal, n);
			p->sps_len = n;
		} else if (t == MCU_H264_NAL_PPS) {
			memcpy(p->pps, nal, n);
			p->pps_len = n;
		}
	}
}

int mcu_h264_params_prepend(const struct mcu_h264_params *p, const uint8_t *au,
                            size_t len, uint8_t *out, size_t out_size,
                            size_t *out_len)
{
	struct mcu_h264_info info;

	mcu_h264_info(au, len, &info);
	if (!info.idr || (info.sps && info.pps))
		return EALREADY;
	if (!p->sps_len || !p->pps_len)
		return ENOENT;
	size_t need = 8 + p->sps_len + p->pps_len + len;
	if (!out || out_size < need)
		return ENOSPC;
	uint8_t *o = out;
	memcpy(o, start_code, 4);
	memcpy(o + 4, p->sps, p->sps_len);
	o += 4 + p->sps_len;
	memcpy(o, start_code, 4);
	memcpy(o + 4, p->pps, p->pps_len);
	o += 4 + p->pps_len;
	memcpy(o, au, len);
	*out_len = need;
	return 0;
}
