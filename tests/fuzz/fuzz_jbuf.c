/*
 * fuzz_jbuf: the jitter buffer fed hostile sequence numbers and
 * timestamps. Packets are built here from compact records, so every input
 * reaches the buffer (fuzz_rtp needs whole RTP headers to get there).
 *
 * Input: [conf:1] then records [op:1][operands...]:
 *   conf bit 0: audio (else video); bits 1-3: n, capacity 16 << (n % 6);
 *        bits 4-5: loss wait 20/100/300/2000 ms; bit 6: min delay 0/60 ms.
 *   op bits 0-1: seq +1 / + signed byte / absolute 16 bit / same again;
 *      bits 2-3: ts same / + one frame / + signed 16 bit * 90 / absolute
 *      32 bit; bit 4: marker; bit 5: a time byte follows (ms to advance,
 *      else 10 ms); bit 6: pull (NACKs, frames or audio) after the put;
 *      bit 7: a payload length byte follows (else 8 bytes).
 *   Operands in that order: seq, ts, time, length.
 *
 * Each payload carries its own seq and ts, so what comes out can be
 * matched to what went in. Checked: frames hold one timestamp, contiguous
 * sequence numbers, at most MCU_JBUF_FRAME_MAX packets and payloads that
 * belong to the packet named; released media never goes backwards in
 * extended sequence order; NACK lists are ascending and bounded; depth
 * stays within capacity. ASan checks the packet references.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "transport/jbuf.h"
#include "transport/rtp.h"

/* Not assert(): it must hold in NDEBUG builds too. */
#define CHECK(x)                                                               \
	do {                                                                   \
		if (!(x))                                                      \
			abort();                                               \
	} while (0)

#define PAY_TAG 6 /* seq:2 ts:4 at the start of every payload */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct rd {
	const uint8_t *p;
	size_t left;
};

static unsigned take(struct rd *r, unsigned n)
{
	unsigned v = 0;
	for (unsigned i = 0; i < n; i++) {
		v <<= 8;
		if (r->left) {
			v |= *r->p++;
			r->left--;
		}
	}
	return v;
}

static void check_pkt(const struct mcu_jbuf_pkt *jp)
{
	const uint8_t *pay;

	CHECK(jp->pkt);
	CHECK(jp->off <= jp->pkt->len && jp->len <= jp->pkt->len - jp->off);
	CHECK((uint16_t)jp->ext_seq == jp->seq);
	CHECK(jp->len >= PAY_TAG);
	pay = jp->pkt->data + jp->off;
	CHECK((uint16_t)(pay[0] << 8 | pay[1]) == jp->seq);
	CHECK(((uint32_t)pay[2] << 24 | (uint32_t)pay[3] << 16 |
	       (uint32_t)pay[4] << 8 | pay[5]) == jp->ts);
}

static struct mcu_jbuf_frame frame;

static void pull(struct mcu_jbuf *jb, bool audio, unsigned capacity,
                 int64_t now, int64_t *last_ext)
{
	uint16_t seqs[40];
	unsigned n = mcu_jbuf_nacks(jb, now, seqs, 40);
	CHECK(n <= 40);
	for (unsigned i = 1; i < n; i++)
		CHECK(mcu_rtp_seq_diff(seqs[i], seqs[i - 1]) > 0);

	if (!audio) {
		int guard = 0;
		while (mcu_jbuf_get_frame(jb, now, &frame) == 0) {
			CHECK(++guard <= (int)capacity + 1);
			CHECK(frame.n >= 1 && frame.n <= MCU_JBUF_FRAME_MAX);
			for (unsigned i = 0; i < frame.n; i++) {
				const struct mcu_jbuf_pkt *jp = &frame.pkts[i];
				check_pkt(jp);
				CHECK(jp->ts == frame.ts);
				if (i)
					CHECK(jp->ext_seq ==
					      frame.pkts[i - 1].ext_seq + 1);
			}
			CHECK(frame.pkts[0].ext_seq > *last_ext);
			*last_ext = frame.pkts[frame.n - 1].ext_seq;
			mcu_jbuf_frame_clear(&frame);
		}
		mcu_jbuf_keyframe_needed(jb);
	} else {
		struct mcu_jbuf_pkt ap;
		int r, guard = 0;
		while ((r = mcu_jbuf_get_audio(jb, now, &ap)) != EAGAIN) {
			CHECK(++guard <= 2 * (int)capacity + 2);
			if (r == 0) {
				check_pkt(&ap);
				CHECK(ap.ext_seq > *last_ext);
				*last_ext = ap.ext_seq;
				mcu_pkt_put(ap.pkt);
			} else {
				CHECK(r == ENOENT || r == ENODATA);
			}
		}
	}
	struct mcu_jbuf_stats st;
	mcu_jbuf_stats(jb, &st);
	CHECK(st.depth <= capacity);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const unsigned waits[4] = {20, 100, 300, 2000};
	struct rd r = {data, size};
	struct mcu_jbuf *jb = NULL;
	uint8_t buf[12 + 255];
	int64_t now = 5000000, last_ext = INT64_MIN;
	uint16_t seq = 1000;
	uint32_t ts = 90000;

	if (size < 1)
		return 0;
	unsigned conf = take(&r, 1);
	bool audio = conf & 1;
	unsigned shift = (conf >> 1) & 7;
	struct mcu_jbuf_conf c = {
	    .kind = audio ? MCU_JBUF_AUDIO : MCU_JBUF_VIDEO,
	    .capacity = 16u << (shift % 6), /* 16..512: the ring logic is the
	                                      same for larger ones */
	    .loss_wait_ms = waits[(conf >> 4) & 3],
	    .min_delay_ms = (conf & 0x40) ? 60 : 0,
	};
	if (mcu_jbuf_alloc(&jb, &c))
		return 0;
	uint32_t step = audio ? 960 : 3000;
	while (r.left) {
		unsigned op = take(&r, 1);
		switch (op & 3) {
		case 0:
			seq++;
			break;
		case 1:
			seq = (uint16_t)(seq + (int8_t)take(&r, 1));
			break;
		case 2:
			seq = (uint16_t)take(&r, 2);
			break;
		default:
			break;
		}
		switch ((op >> 2) & 3) {
		case 1:
			ts += step;
			break;
		case 2:
			ts += (uint32_t)((int32_t)(int16_t)take(&r, 2) * 90);
			break;
		case 3:
			ts = take(&r, 4);
			break;
		default:
			break;
		}
		now += (op & 0x20) ? take(&r, 1) * 1000 : 10000;
		size_t plen = (op & 0x80) ? take(&r, 1) : 8;
		if (plen < PAY_TAG)
			plen = PAY_TAG;

		struct mcu_rtp_hdr h = {.marker = op & 0x10,
		                        .pt = 96,
		                        .seq = seq,
		                        .ts = ts,
		                        .ssrc = 0x1234};
		size_t n;
		CHECK(mcu_rtp_write(buf, sizeof(buf), &h, &n) == 0 && n == 12);
		uint8_t *pay = buf + n;
		memset(pay, 0xa5, plen);
		pay[0] = (uint8_t)(seq >> 8);
		pay[1] = (uint8_t)seq;
		pay[2] = (uint8_t)(ts >> 24);
		pay[3] = (uint8_t)(ts >> 16);
		pay[4] = (uint8_t)(ts >> 8);
		pay[5] = (uint8_t)ts;

		struct mcu_pkt *p = NULL;
		struct mcu_rtp_hdr ph;
		if (mcu_pkt_dup(&p, buf, n + plen))
			break;
		CHECK(mcu_rtp_parse(&ph, p->data, p->len) == 0);
		int err = mcu_jbuf_put(jb, p, &ph, now);
		CHECK(err == 0 || err == EALREADY || err == ESTALE);
		CHECK(mcu_pkt_refs(p) <= 2);
		p = mcu_pkt_put(p);
		if (op & 0x40)
			pull(jb, audio, c.capacity, now, &last_ext);
	}
	/* Drain: far in the future everything held is due or given up. */
	pull(jb, audio, c.capacity, now + 10000000, &last_ext);
	mcu_jbuf_flush(jb);
	last_ext = INT64_MIN; /* a flushed buffer starts afresh */
	pull(jb, audio, c.capacity, now + 20000000, &last_ext);
	mcu_jbuf_free(jb);
	return 0;
}
