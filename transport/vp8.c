/*
 * vp8: RFC 7741 descriptor, depacketizer and packetizer (see vp8.h).
 */
#include "transport/bytebuf.h"
#include "transport/vp8.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int mcu_vp8_desc_parse(struct mcu_vp8_desc *d, const uint8_t *p, size_t len)
{
	size_t o = 1;

	if (!d || !p || len < 1)
		return EBADMSG;
	memset(d, 0, sizeof(*d));
	d->n = p[0] & 0x20;
	d->s = p[0] & 0x10;
	d->pid = p[0] & 0x07;
	if (p[0] & 0x80) {
		if (len < 2)
			return EBADMSG;
		uint8_t x = p[1];
		o = 2;
		d->has_picid = x & 0x80;
		d->has_tl0 = x & 0x40;
		d->has_tid = x & 0x20;
		d->has_keyidx = x & 0x10;
		if (d->has_picid) {
			if (o >= len)
				return EBADMSG;
			d->picid16 = p[o] & 0x80;
			if (d->picid16) {
				if (len - o < 2)
					return EBADMSG;
				d->picid =
				    (uint16_t)((p[o] & 0x7f) << 8 | p[o + 1]);
				o += 2;
			} else {
				d->picid = p[o++] & 0x7f;
			}
		}
		if (d->has_tl0) {
			if (o >= len)
				return EBADMSG;
			d->tl0picidx = p[o++];
		}
		if (d->has_tid || d->has_keyidx) {
			if (o >= len)
				return EBADMSG;
			d->tid = p[o] >> 6;
			d->y = p[o] & 0x20;
			d->keyidx = p[o] & 0x1f;
			o++;
		}
	}
	if (o >= len) /* a descriptor with no payload after it */
		return EBADMSG;
	d->len = o;
	return 0;
}

int mcu_vp8_desc_write(uint8_t *buf, size_t size, const struct mcu_vp8_desc *d,
                       size_t *len)
{
	uint8_t tmp[MCU_VP8_DESC_MAX];
	size_t o = 1;

	if (!buf || !d || !len || d->pid > 7 || d->tid > 3 || d->keyidx > 31 ||
	    d->picid > 0x7fff)
		return EINVAL;
	bool x = d->has_picid || d->has_tl0 || d->has_tid || d->has_keyidx;
	tmp[0] = (uint8_t)((x ? 0x80 : 0) | (d->n ? 0x20 : 0) |
	                   (d->s ? 0x10 : 0) | d->pid);
	if (x) {
		tmp[o++] = (uint8_t)((d->has_picid ? 0x80 : 0) |
		                     (d->has_tl0 ? 0x40 : 0) |
		                     (d->has_tid ? 0x20 : 0) |
		                     (d->has_keyidx ? 0x10 : 0));
		if (d->has_picid && (d->picid16 || d->picid > 127)) {
			tmp[o++] = (uint8_t)(0x80 | d->picid >> 8);
			tmp[o++] = (uint8_t)d->picid;
		} else if (d->has_picid) {
			tmp[o++] = (uint8_t)d->picid;
		}
		if (d->has_tl0)
			tmp[o++] = d->tl0picidx;
		if (d->has_tid || d->has_keyidx)
			tmp[o++] = (uint8_t)((d->has_tid ? d->tid << 6 : 0) |
			                     (d->has_tid && d->y ? 0x20 : 0) |
			                     (d->has_keyidx ? d->keyidx : 0));
	}
	if (size < o)
		return ENOSPC;
	memcpy(buf, tmp, o);
	*len = o;
	return 0;
}

int mcu_vp8_frame_info(const uint8_t *f, size_t len, struct mcu_vp8_info *info)
{
	memset(info, 0, sizeof(*info));
	if (!f || len < 3)
		return EBADMSG;
	info->keyframe = !(f[0] & 0x01); /* P bit: 0 = key frame */
	if (!info->keyframe)
		return 0;
	if (len < 10 || f[3] != 0x9d || f[4] != 0x01 || f[5] != 0x2a) {
		info->keyframe = false;
		return EBADMSG;
	}
	info->width = (uint16_t)((f[6] | f[7] << 8) & 0x3fff);
	info->height = (uint16_t)((f[8] | f[9] << 8) & 0x3fff);
	return 0;
}

/* ---- depacketizer ----------------------------------------------------- */

struct mcu_vp8_depack {
	size_t max_frame;
	uint8_t *buf;
	size_t len;
	size_t cap;
	bool active;
	bool broken;
	uint32_t ts;
	uint16_t last_seq;
	bool has_picid;
	uint16_t picid;
};

int mcu_vp8_depack_alloc(struct mcu_vp8_depack **dp, size_t max_frame)
{
	struct mcu_vp8_depack *d;

	if (!dp || max_frame > (64u << 20))
		return EINVAL;
	d = calloc(1, sizeof(*d));
	if (!d)
		return ENOMEM;
	d->max_frame = max_frame ? max_frame : MCU_VP8_MAX_FRAME;
	*dp = d;
	return 0;
}

struct mcu_vp8_depack *mcu_vp8_depack_free(struct mcu_vp8_depack *d)
{
	if (d) {
		free(d->buf);
		free(d);
	}
	return NULL;
}

static bool append(struct mcu_vp8_depack *d, const uint8_t *p, size_t n)
{
	return mcu_bytebuf_append(&d->buf, &d->len, &d->cap, d->max_frame, p, n);
}

/* Take one packet into the frame; false marks the frame broken. */
static int take(struct mcu_vp8_depack *d, const uint8_t *p, size_t len,
                bool first)
{
	struct mcu_vp8_desc desc;

	if (mcu_vp8_desc_parse(&desc, p, len))
		return EBADMSG;
	if (first) {
		if (!desc.s || desc.pid != 0)
			return EPIPE; /* the frame's first packet was lost */
		d->has_picid = desc.has_picid;
		d->picid = desc.picid;
	}
	if (!append(d, p + desc.len, len - desc.len))
		return EPIPE;
	return 0;
}

int mcu_vp8_depack_push(struct mcu_vp8_depack *d, const uint8_t *payload,
                        size_t len, uint16_t seq, uint32_t ts, bool end,
                        struct mcu_vp8_frame *fr)
{
	int ret = 0;
	bool first = false;

	if (!d || !fr || (!payload && len))
		return EINVAL;
	fr->data = NULL;
	fr->len = 0;
	if (d->active && ts != d->ts) {
		d->active = false;
		ret = EPIPE;
	}
	if (!d->active) {
		d->active = true;
		d->broken = false;
		d->len = 0;
		d->ts = ts;
		first = true;
	} else if (seq != (uint16_t)(d->last_seq + 1)) {
		d->broken = true;
	}
	d->last_seq = seq;
	if (!d->broken) {
		int err = take(d, payload, len, first);
		if (err)
			d->broken = true;
		if (err == EBADMSG)
			ret = EBADMSG;
	}
	if (!end)
		return ret;
	d->active = false;
	if (d->broken || d->len == 0)
		return ret ? ret : EPIPE;
	if (mcu_vp8_frame_info(d->buf, d->len, &fr->info))
		return EBADMSG;
	fr->data = d->buf;
	fr->len = d->len;
	fr->ts = d->ts;
	fr->has_picid = d->has_picid;
	fr->picid = d->picid;
	return ret;
}

/* ---- packetizer ------------------------------------------------------- */

int mcu_vp8_packetize(const uint8_t *frame, size_t len, size_t max_payload,
                      const struct mcu_vp8_desc *tmpl, mcu_vp8_payload_h *h,
                      void *arg)
{
	uint8_t scratch[MCU_VP8_MAX_PAYLOAD];
	struct mcu_vp8_desc d = tmpl ? *tmpl : (struct mcu_vp8_desc){0};
	size_t dlen;

	if (!frame || !len || !h || max_payload > MCU_VP8_MAX_PAYLOAD)
		return EINVAL;
	d.s = true;
	d.pid = 0;
	int err = mcu_vp8_desc_write(scratch, sizeof(scratch), &d, &dlen);
	if (err)
		return err;
	if (max_payload <= dlen)
		return EINVAL;
	size_t room = max_payload - dlen;
	size_t n = (len + room - 1) / room;
	size_t chunk = (len + n - 1) / n;
	for (size_t i = 0, off = 0; i < n; i++) {
		size_t c = len - off < chunk ? len - off : chunk;
		d.s = i == 0;
		mcu_vp8_desc_write(scratch, sizeof(scratch), &d, &dlen);
		memcpy(scratch + dlen, frame + off, c);
		err = h(scratch, dlen + c, i + 1 == n, arg);
		if (err)
			return err;
		off += c;
	}
	return 0;
}
