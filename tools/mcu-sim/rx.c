/*
 * rx: receive statistics of one stream (see rx.h).
 */
#include "tools/mcu-sim/rx.h"

#include <string.h>

void mcu_sim_rx_init(struct mcu_sim_rx *rx, uint32_t clock)
{
	memset(rx, 0, sizeof(*rx));
	rx->clock = clock;
}

static void seg_close(struct mcu_sim_rx *rx)
{
	if (!rx->have)
		return;
	int64_t expected = rx->highest_ext - rx->first_ext + 1;
	int64_t lost = expected - rx->seg_unique;
	rx->expected_closed += expected;
	rx->lost_closed += lost > 0 ? lost : 0;
	rx->ts_span_closed += rx->highest_ts - rx->first_ts;
	rx->have = false;
}

static void seg_open(struct mcu_sim_rx *rx, uint32_t ssrc, uint16_t seq,
                     uint32_t ts)
{
	rx->first_ts = rx->highest_ts = ts;
	rx->have = true;
	rx->segments++;
	rx->ssrc = ssrc;
	rx->last_seq = seq;
	rx->cycles = 0;
	rx->first_ext = rx->highest_ext = seq;
	rx->seg_unique = 1;
	memset(rx->seen, 0, sizeof(rx->seen));
	rx->seen[seq % MCU_SIM_RX_WINDOW / 8] |=
	    (uint8_t)(1u << (seq % MCU_SIM_RX_WINDOW % 8));
}

/* Extended sequence number nearest to the highest seen so far. */
static int64_t extend(const struct mcu_sim_rx *rx, uint16_t seq)
{
	int64_t base = rx->highest_ext & ~(int64_t)0xffff;
	int64_t cand = base | seq;
	if (cand - rx->highest_ext > 32768)
		cand -= 65536;
	else if (rx->highest_ext - cand > 32768)
		cand += 65536;
	return cand;
}

/* Window bit of an extended number (which may be negative: a packet
   reordered before a first packet near 0). */
static unsigned win_bit(int64_t ext)
{
	int64_t b = ext % MCU_SIM_RX_WINDOW;
	return (unsigned)(b < 0 ? b + MCU_SIM_RX_WINDOW : b);
}

static bool seen_test_set(struct mcu_sim_rx *rx, int64_t ext)
{
	unsigned bit = win_bit(ext);
	uint8_t mask = (uint8_t)(1u << (bit % 8));
	bool was = rx->seen[bit / 8] & mask;
	rx->seen[bit / 8] |= mask;
	return was;
}

/* Clear the window bits of ext numbers (from, to] as the highest moves. */
static void seen_advance(struct mcu_sim_rx *rx, int64_t from, int64_t to)
{
	if (to - from >= MCU_SIM_RX_WINDOW) {
		memset(rx->seen, 0, sizeof(rx->seen));
		return;
	}
	for (int64_t e = from + 1; e <= to; e++) {
		unsigned bit = win_bit(e);
		rx->seen[bit / 8] &= (uint8_t) ~(1u << (bit % 8));
	}
}

static void seq_account(struct mcu_sim_rx *rx, uint32_t ssrc, uint16_t seq,
                        uint32_t ts)
{
	if (!rx->have || ssrc != rx->ssrc) {
		seg_close(rx);
		seg_open(rx, ssrc, seq, ts);
		return;
	}
	int64_t ext = extend(rx, seq);
	int64_t d = ext - rx->highest_ext;
	/* timestamps: extended next to the highest one, 32-bit signed
	   distance */
	int64_t tsx = rx->highest_ts + (int32_t)(ts - (uint32_t)rx->highest_ts);
	if (d <= MCU_SIM_RX_JUMP && d >= -MCU_SIM_RX_JUMP) {
		if (tsx > rx->highest_ts)
			rx->highest_ts = tsx;
		if (tsx < rx->first_ts)
			rx->first_ts = tsx;
	}
	if (d > MCU_SIM_RX_JUMP || d < -MCU_SIM_RX_JUMP) {
		seg_close(rx);
		seg_open(rx, ssrc, seq, ts);
		return;
	}
	if (d > 0) {
		seen_advance(rx, rx->highest_ext, ext);
		rx->highest_ext = ext;
		seen_test_set(rx, ext);
		rx->seg_unique++;
		return;
	}
	/* Old or duplicate: only within the window can we tell. */
	if (ext < rx->first_ext) {
		/* reordered before the first packet: the segment grows back */
		if (rx->highest_ext - ext >= MCU_SIM_RX_WINDOW) {
			rx->duplicates++;
			return;
		}
		rx->first_ext = ext;
		seen_test_set(rx, ext);
		rx->seg_unique++;
		return;
	}
	if (rx->highest_ext - ext >= MCU_SIM_RX_WINDOW ||
	    seen_test_set(rx, ext))
		rx->duplicates++;
	else
		rx->seg_unique++;
}

void mcu_sim_rx_packet(struct mcu_sim_rx *rx, uint32_t ssrc, uint16_t seq,
                       uint32_t ts, bool marker, size_t bytes, bool key,
                       int64_t now_us)
{
	if (rx->packets) {
		int64_t gap = now_us - rx->last_us;
		if (gap > rx->max_gap_us) {
			rx->max_gap_us = gap;
			rx->max_gap_at_us = now_us - rx->first_us;
		}
		if (now_us - rx->first_us >= MCU_SIM_RX_SETTLE_US &&
		    gap > rx->max_gap_steady_us)
			rx->max_gap_steady_us = gap;
		if (gap > MCU_SIM_RX_LONG_GAP_US)
			rx->long_gaps++;
	} else {
		rx->first_us = now_us;
	}
	rx->last_us = now_us;
	rx->packets++;
	rx->bytes += bytes;
	seq_account(rx, ssrc, seq, ts);
	if (key && (!rx->have_key_ts || rx->key_ts != ts)) {
		rx->key_frames++;
		rx->have_key_ts = true;
		rx->key_ts = ts;
	}
	if (marker) {
		if (rx->frames == 0)
			rx->first_frame_us = now_us;
		else
			rx->frames_timed++;
		rx->frames++;
		rx->last_frame_us = now_us;
	}
}

void mcu_sim_rx_result(const struct mcu_sim_rx *rx,
                       struct mcu_sim_rx_result *out)
{
	memset(out, 0, sizeof(*out));
	int64_t expected = rx->expected_closed, lost = rx->lost_closed;
	int64_t span = rx->ts_span_closed;
	if (rx->have) {
		int64_t e = rx->highest_ext - rx->first_ext + 1;
		int64_t l = e - rx->seg_unique;
		expected += e;
		lost += l > 0 ? l : 0;
		span += rx->highest_ts - rx->first_ts;
	}
	out->media_s = rx->clock ? (double)span / rx->clock : 0;
	out->packets = rx->packets;
	out->bytes = rx->bytes;
	out->duplicates = rx->duplicates;
	out->expected = (uint64_t)expected;
	out->lost = lost;
	out->loss_pct =
	    expected > 0 ? 100.0 * (double)lost / (double)expected : 0.0;
	out->frames = rx->frames;
	out->key_frames = rx->key_frames;
	int64_t fspan = rx->last_frame_us - rx->first_frame_us;
	out->fps =
	    fspan > 0 ? (double)rx->frames_timed * 1e6 / (double)fspan : 0;
	out->max_gap_ms = (double)rx->max_gap_us / 1000.0;
	out->max_gap_at_s = (double)rx->max_gap_at_us / 1e6;
	out->max_gap_steady_ms = (double)rx->max_gap_steady_us / 1000.0;
	out->long_gaps = rx->long_gaps;
	out->duration_s = (double)(rx->last_us - rx->first_us) / 1e6;
	out->segments = rx->segments;
}

static bool key_nal(uint8_t type)
{
	return type == 5 || type == 7;
}

bool mcu_sim_h264_payload_key(const uint8_t *p, size_t len)
{
	if (len < 1)
		return false;
	uint8_t type = p[0] & 0x1f;
	if (type >= 1 && type <= 23)
		return key_nal(type);
	if (type == 24) { /* STAP-A: 16-bit size + NAL, repeated */
		size_t off = 1;
		while (off + 2 < len) {
			size_t n = (size_t)p[off] << 8 | p[off + 1];
			off += 2;
			if (n == 0 || n > len - off)
				return false;
			if (key_nal(p[off] & 0x1f))
				return true;
			off += n;
		}
		return false;
	}
	if (type == 28) /* FU-A: indicator, header (S bit 0x80) */
		return len >= 2 && (p[1] & 0x80) && key_nal(p[1] & 0x1f);
	return false;
}
