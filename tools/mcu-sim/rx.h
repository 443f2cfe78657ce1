/*
 * rx: what one simulated endpoint measures of one received RTP stream (the
 * MCU's composite video or its audio mix): packets, loss from sequence
 * gaps, frames (marker bits) and their rate, key frames, and the largest
 * silence between two packets.
 *
 * Loss is counted per SSRC segment: when the sender's SSRC changes, or its
 * sequence numbers jump by more than MCU_SIM_RX_JUMP (a restarted stream),
 * the segment so far is closed and a new one starts, so a switch of
 * encoder never reads as thousands of lost packets. Within a segment, lost
 * = expected (highest - first + 1) - unique packets received; duplicates
 * are counted apart and never hide a loss.
 *
 * Pure: no clock (arrival times are passed in, microseconds of
 * CLOCK_MONOTONIC), no allocation, no thread state. One struct per stream,
 * owned by the simulator's I/O loop. Callers: tools/mcu-sim, tests.
 */
#ifndef MCU_SIM_RX_H
#define MCU_SIM_RX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MCU_SIM_RX_JUMP        3000   /* seq jump that starts a new segment */
#define MCU_SIM_RX_WINDOW      1024   /* duplicate detection window (packets) */
#define MCU_SIM_RX_LONG_GAP_US 100000 /* a gap counted in long_gaps */
/* Gaps ending this long after the first packet are "steady" (a join's
   warm-up excluded). */
#define MCU_SIM_RX_SETTLE_US 2000000

struct mcu_sim_rx {
	uint32_t clock; /* RTP clock rate */
	/* current segment */
	bool have;
	uint32_t ssrc;
	int64_t first_ext, highest_ext; /* extended sequence numbers */
	int64_t seg_unique;
	uint8_t seen[MCU_SIM_RX_WINDOW / 8]; /* bit per ext seq mod window */
	uint16_t last_seq;
	uint32_t cycles;
	int64_t first_ts, highest_ts; /* extended timestamps (segment) */
	/* closed segments */
	int64_t lost_closed, expected_closed, ts_span_closed;
	uint32_t segments;
	/* totals */
	uint64_t packets, bytes, duplicates, frames, key_frames;
	bool have_key_ts;
	uint32_t key_ts;
	int64_t first_us, last_us, max_gap_us, max_gap_at_us, max_gap_steady_us;
	uint64_t long_gaps; /* gaps over MCU_SIM_RX_LONG_GAP_US */
	int64_t first_frame_us, last_frame_us;
	uint64_t frames_timed; /* frames ended after the first one */
};

struct mcu_sim_rx_result {
	uint64_t packets, bytes, duplicates;
	uint64_t expected;
	int64_t lost;    /* expected - unique received (>= 0) */
	double loss_pct; /* lost / expected * 100 */
	uint64_t frames; /* marker bits seen */
	uint64_t key_frames;
	double fps;        /* frames per second between first and last frame */
	double max_gap_ms; /* largest time between two packets */
	double max_gap_at_s; /* when it ended, seconds after the first packet */
	double max_gap_steady_ms; /* largest gap ending after the first 2 s */
	uint64_t long_gaps;       /* gaps longer than MCU_SIM_RX_LONG_GAP_US */
	double duration_s;        /* first to last packet */
	double media_s;    /* time the timestamps cover (per segment, summed):
	                      below duration_s, the sender skipped packets
	                      without using their sequence numbers */
	uint32_t segments; /* SSRC segments (1 normally) */
};

void mcu_sim_rx_init(struct mcu_sim_rx *rx, uint32_t clock);

/*
 * Account one packet: its SSRC, sequence number, timestamp, marker bit,
 * payload size, whether it carries (part of) a key frame, its arrival
 * time.
 */
void mcu_sim_rx_packet(struct mcu_sim_rx *rx, uint32_t ssrc, uint16_t seq,
                       uint32_t ts, bool marker, size_t bytes, bool key,
                       int64_t now_us);

void mcu_sim_rx_result(const struct mcu_sim_rx *rx,
                       struct mcu_sim_rx_result *out);

/*
 * Whether an H.264 RTP payload (RFC 6184) carries a key-frame NAL unit:
 * an IDR slice or an SPS, alone, inside a STAP-A, or as the start of a
 * FU-A. Reads only within len.
 */
bool mcu_sim_h264_payload_key(const uint8_t *payload, size_t len);

#endif
