/*
 * rtp: RTP header parse/write, unwrapping, receive statistics (see rtp.h).
 *
 * The statistics follow RFC 3550 appendix A closely (A.1 sequence
 * validation with probation, A.3 loss, A.8 jitter in Q4 fixed point) so
 * that our receiver reports mean what every peer expects them to mean.
 */
#include "transport/rtp.h"
#include "transport/be.h"

#include <errno.h>
#include <string.h>

#define RTP_SEQ_MOD    (1u << 16)
#define MAX_DROPOUT    3000
#define MAX_MISORDER   100
#define MIN_SEQUENTIAL 2

static int parse_ext(struct mcu_rtp_hdr *h, const uint8_t *buf, size_t len,
                     size_t *off)
{
	size_t words, bytes;

	if (len - *off < 4)
		return EBADMSG;
	h->ext_profile = mcu_be_rd16(buf + *off);
	words = mcu_be_rd16(buf + *off + 2);
	*off += 4;
	bytes = words * 4;
	if (len - *off < bytes)
		return EBADMSG;
	h->ext_data = buf + *off;
	h->ext_len = bytes;
	*off += bytes;
	return 0;
}

int mcu_rtp_parse(struct mcu_rtp_hdr *h, const uint8_t *buf, size_t len)
{
	size_t off = MCU_RTP_HDR_MIN;

	if (!h || !buf || len < MCU_RTP_HDR_MIN)
		return EBADMSG;
	if ((buf[0] >> 6) != MCU_RTP_VERSION)
		return EBADMSG;
	h->padding = buf[0] & 0x20;
	h->ext = buf[0] & 0x10;
	h->cc = buf[0] & 0x0f;
	h->marker = buf[1] & 0x80;
	h->pt = buf[1] & 0x7f;
	h->seq = mcu_be_rd16(buf + 2);
	h->ts = mcu_be_rd32(buf + 4);
	h->ssrc = mcu_be_rd32(buf + 8);
	if (len - off < 4u * h->cc)
		return EBADMSG;
	for (unsigned i = 0; i < h->cc; i++, off += 4)
		h->csrc[i] = mcu_be_rd32(buf + off);
	h->ext_profile = 0;
	h->ext_data = NULL;
	h->ext_len = 0;
	if (h->ext && parse_ext(h, buf, len, &off))
		return EBADMSG;
	h->hdr_len = off;
	h->pad_len = 0;
	if (h->padding) {
		uint8_t pad = buf[len - 1];
		if (pad == 0 || pad > len - off)
			return EBADMSG;
		h->pad_len = pad;
	}
	h->payload_len = len - off - h->pad_len;
	return 0;
}

int mcu_rtp_write(uint8_t *buf, size_t size, const struct mcu_rtp_hdr *h,
                  size_t *written)
{
	size_t need;

	if (!buf || !h || !written || h->cc > MCU_RTP_MAX_CSRC || h->pt > 127)
		return EINVAL;
	need = MCU_RTP_HDR_MIN + 4u * h->cc;
	if (h->ext) {
		if (h->ext_len % 4 || h->ext_len > MCU_RTP_MAX_EXT ||
		    (h->ext_len && !h->ext_data))
			return EINVAL;
		need += 4 + h->ext_len;
	}
	if (size < need)
		return ENOSPC;
	buf[0] = (uint8_t)(MCU_RTP_VERSION << 6 | (h->padding ? 0x20 : 0) |
	                   (h->ext ? 0x10 : 0) | h->cc);
	buf[1] = (uint8_t)((h->marker ? 0x80 : 0) | h->pt);
	mcu_be_wr16(buf + 2, h->seq);
	mcu_be_wr32(buf + 4, h->ts);
	mcu_be_wr32(buf + 8, h->ssrc);
	for (unsigned i = 0; i < h->cc; i++)
		mcu_be_wr32(buf + MCU_RTP_HDR_MIN + 4 * i, h->csrc[i]);
	if (h->ext) {
		uint8_t *e = buf + MCU_RTP_HDR_MIN + 4u * h->cc;
		mcu_be_wr16(e, h->ext_profile);
		mcu_be_wr16(e + 2, (uint16_t)(h->ext_len / 4));
		if (h->ext_len)
			memcpy(e + 4, h->ext_data, h->ext_len);
	}
	*written = need;
	return 0;
}

/* Walk RFC 8285 elements; `two` selects the two-byte form. */
static int ext_walk(const uint8_t *p, size_t len, bool two, uint8_t id,
                    const uint8_t **data, size_t *dlen)
{
	size_t off = 0;

	while (off < len) {
		uint8_t eid, elen;
		if (p[off] == 0) { /* padding */
			off++;
			continue;
		}
		if (two) {
			if (len - off < 2)
				return EBADMSG;
			eid = p[off];
			elen = p[off + 1];
			off += 2;
		} else {
			eid = p[off] >> 4;
			elen = (uint8_t)((p[off] & 0x0f) + 1);
			if (eid == 15) /* reserved: stop parsing */
				return ENOENT;
			off++;
		}
		if (len - off < elen)
			return EBADMSG;
		if (eid == id) {
			*data = p + off;
			*dlen = elen;
			return 0;
		}
		off += elen;
	}
	return ENOENT;
}

int mcu_rtp_ext_find(const struct mcu_rtp_hdr *h, uint8_t id,
                     const uint8_t **data, size_t *len)
{
	if (!h || !data || !len || !h->ext || !h->ext_data || id == 0)
		return ENOENT;
	if (h->ext_profile == MCU_RTP_EXT_ONE_BYTE) {
		if (id > 14)
			return ENOENT;
		return ext_walk(h->ext_data, h->ext_len, false, id, data, len);
	}
	if ((h->ext_profile & 0xfff0) == MCU_RTP_EXT_TWO_BYTE)
		return ext_walk(h->ext_data, h->ext_len, true, id, data, len);
	return ENOENT;
}

static int64_t unwrap(struct mcu_rtp_unwrap *u, int64_t delta_of_highest,
                      uint64_t value)
{
	if (!u->init) {
		u->init = true;
		u->highest = (int64_t)value;
		return u->highest;
	}
	int64_t ext = u->highest + delta_of_highest;
	if (ext > u->highest)
		u->highest = ext;
	return ext;
}

int64_t mcu_rtp_seq_unwrap(struct mcu_rtp_unwrap *u, uint16_t seq)
{
	int d = u->init ? mcu_rtp_seq_diff(seq, (uint16_t)u->highest) : 0;
	return unwrap(u, d, seq);
}

int64_t mcu_rtp_ts_unwrap(struct mcu_rtp_unwrap *u, uint32_t ts)
{
	int32_t d = u->init ? mcu_rtp_ts_diff(ts, (uint32_t)u->highest) : 0;
	return unwrap(u, d, ts);
}

int64_t mcu_rtp_ts_to_us(int64_t ts, uint32_t clock_rate)
{
	if (clock_rate == 0)
		return 0;
	/* split to keep the product in range for any 64-bit ts */
	return ts / clock_rate * 1000000 +
	       ts % clock_rate * 1000000 / clock_rate;
}

int64_t mcu_rtp_us_to_ts(int64_t us, uint32_t clock_rate)
{
	return us / 1000000 * clock_rate + us % 1000000 * clock_rate / 1000000;
}

enum mcu_rtp_demux mcu_rtp_demux(const uint8_t *buf, size_t len)
{
	if (!buf || len == 0)
		return MCU_DEMUX_UNKNOWN;
	if (buf[0] <= 3)
		return MCU_DEMUX_STUN;
	if (buf[0] >= 20 && buf[0] <= 63)
		return MCU_DEMUX_DTLS;
	if (buf[0] < 128 || buf[0] > 191 || len < 2)
		return MCU_DEMUX_UNKNOWN;
	uint8_t pt = buf[1] & 0x7f;
	if (pt >= 64 && pt <= 95)
		return len >= 8 ? MCU_DEMUX_RTCP : MCU_DEMUX_UNKNOWN;
	return len >= MCU_RTP_HDR_MIN ? MCU_DEMUX_RTP : MCU_DEMUX_UNKNOWN;
}

void mcu_rtp_rx_init(struct mcu_rtp_rx *rx, uint32_t clock_rate)
{
	memset(rx, 0, sizeof(*rx));
	rx->clock_rate = clock_rate ? clock_rate : 90000;
	rx->probation = MIN_SEQUENTIAL + 1; /* + 1: "never seen" marker */
}

static void init_seq(struct mcu_rtp_rx *rx, uint16_t seq)
{
	rx->base_seq = seq;
	rx->max_seq = seq;
	rx->bad_seq = RTP_SEQ_MOD + 1;
	rx->cycles = 0;
	rx->received = 0;
	rx->bytes = 0;
	rx->received_prior = 0;
	rx->expected_prior = 0;
}

/* RFC 3550 A.1 update_seq(); returns true when the packet counts. */
static bool update_seq(struct mcu_rtp_rx *rx, uint16_t seq)
{
	uint16_t udelta = (uint16_t)(seq - rx->max_seq);

	if (rx->probation > MIN_SEQUENTIAL) { /* first packet ever */
		init_seq(rx, seq);
		rx->max_seq = (uint16_t)(seq - 1);
		rx->probation = MIN_SEQUENTIAL;
	}
	if (rx->probation) {
		if (seq == (uint16_t)(rx->max_seq + 1)) {
			rx->probation--;
			rx->max_seq = seq;
			if (rx->probation == 0) {
				init_seq(rx, seq);
				rx->valid = true;
				rx->received++;
				return true;
			}
		} else {
			rx->probation = MIN_SEQUENTIAL - 1;
			rx->max_seq = seq;
		}
		return false;
	}
	if (udelta < MAX_DROPOUT) {
		if (seq < rx->max_seq)
			rx->cycles += RTP_SEQ_MOD;
		rx->max_seq = seq;
	} else if (udelta <= RTP_SEQ_MOD - MAX_MISORDER) {
		if (seq != rx->bad_seq) {
			rx->bad_seq = (seq + 1u) & (RTP_SEQ_MOD - 1);
			return false;
		}
		init_seq(rx, seq); /* two sequential: the source restarted */
		rx->have_transit = false;
		rx->jitter_q4 = 0;
	}
	rx->received++;
	return true;
}

static void update_jitter(struct mcu_rtp_rx *rx, uint32_t ts, int64_t now_us)
{
	uint32_t arrival = (uint32_t)mcu_rtp_us_to_ts(now_us, rx->clock_rate);
	uint32_t transit = arrival - ts;

	if (rx->have_transit) {
		int32_t d = (int32_t)(transit - (uint32_t)rx->transit);
		uint64_t ad = d < 0 ? (uint64_t) - (int64_t)d : (uint64_t)d;
		/* J += (|D| - J) / 16, kept as J * 16 (A.8) */
		rx->jitter_q4 = rx->jitter_q4 + ad - ((rx->jitter_q4 + 8) >> 4);
	}
	rx->transit = transit;
	rx->have_transit = true;
}

static void update_rate(struct mcu_rtp_rx *rx, size_t bytes, int64_t now_us)
{
	if (rx->rate_start_us == 0 || now_us < rx->rate_start_us)
		rx->rate_start_us = now_us;
	rx->rate_bytes += bytes;
	int64_t span = now_us - rx->rate_start_us;
	if (span >= 1000000) {
		rx->bitrate_bps = rx->rate_bytes * 8 * 1000000 / (uint64_t)span;
		rx->rate_start_us = now_us;
		rx->rate_bytes = 0;
	}
}

int mcu_rtp_rx_update(struct mcu_rtp_rx *rx, const struct mcu_rtp_hdr *h,
                      int64_t now_us)
{
	bool was_probation = rx->probation != 0;

	if (!update_seq(rx, h->seq))
		return was_probation && rx->probation ? EAGAIN : ERANGE;
	rx->bytes += h->payload_len;
	rx->last_us = now_us;
	update_jitter(rx, h->ts, now_us);
	update_rate(rx, h->payload_len, now_us);
	return 0;
}

static uint64_t expected(const struct mcu_rtp_rx *rx)
{
	if (!rx->valid)
		return 0;
	return (uint64_t)rx->cycles + rx->max_seq - rx->base_seq + 1;
}

void mcu_rtp_rx_stats(const struct mcu_rtp_rx *rx, int64_t now_us,
                      struct mcu_rtp_rx_stats *st)
{
	memset(st, 0, sizeof(*st));
	st->packets = rx->received;
	st->bytes = rx->bytes;
	st->expected = expected(rx);
	st->lost = (int64_t)st->expected - (int64_t)rx->received;
	st->ext_max_seq = rx->cycles + rx->max_seq;
	st->jitter_ts = (uint32_t)(rx->jitter_q4 >> 4);
	st->jitter_ms =
	    (double)rx->jitter_q4 / 16.0 * 1000.0 / (double)rx->clock_rate;
	if (rx->last_us && now_us - rx->last_us <= 2000000)
		st->bitrate_bps = rx->bitrate_bps;
}

void mcu_rtp_rx_report(struct mcu_rtp_rx *rx, uint8_t *fraction,
                       int32_t *cum_lost, uint32_t *ext_max, uint32_t *jitter)
{
	uint64_t exp = expected(rx);
	int64_t lost = (int64_t)exp - (int64_t)rx->received;
	uint64_t exp_int = exp - rx->expected_prior;
	int64_t rec_int = (int64_t)(rx->received - rx->received_prior);
	int64_t lost_int = (int64_t)exp_int - rec_int;

	rx->expected_prior = exp;
	rx->received_prior = rx->received;
	if (lost > 0x7fffff)
		lost = 0x7fffff;
	if (lost < -0x800000)
		lost = -0x800000;
	*cum_lost = (int32_t)lost;
	*fraction = (exp_int == 0 || lost_int <= 0)
	                ? 0
	                : (uint8_t)(((uint64_t)lost_int << 8) / exp_int);
	*ext_max = rx->cycles + rx->max_seq;
	*jitter = (uint32_t)(rx->jitter_q4 >> 4);
}
