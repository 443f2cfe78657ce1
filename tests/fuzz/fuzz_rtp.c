/*
 * fuzz_rtp: RTP header parse (with RFC 8285 extensions), write-back
 * roundtrip, demux, and a stream of length-prefixed packets through the
 * receive statistics and a video and an audio jitter buffer.
 * Input: the whole buffer is one packet; it is also read as records
 * [len:1][time step ms:1][packet:len].
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

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void one_packet(const uint8_t *data, size_t size)
{
	struct mcu_rtp_hdr h;
	uint8_t out[MCU_RTP_HDR_MAX + 64];
	size_t n;

	mcu_rtp_demux(data, size);
	if (mcu_rtp_parse(&h, data, size))
		return;
	CHECK(h.hdr_len + h.payload_len + h.pad_len == size);
	for (unsigned id = 1; id < 256; id++) {
		const uint8_t *d;
		size_t dl;
		if (mcu_rtp_ext_find(&h, (uint8_t)id, &d, &dl) == 0)
			CHECK(d >= data && d + dl <= data + size);
	}
	if (h.ext_len <= MCU_RTP_MAX_EXT &&
	    mcu_rtp_write(out, sizeof(out), &h, &n) == 0) {
		CHECK(n == h.hdr_len);
		CHECK(memcmp(out, data, n) == 0);
	}
}

static void stream(const uint8_t *data, size_t size)
{
	static struct mcu_jbuf_frame frame;
	struct mcu_jbuf *v = NULL, *a = NULL;
	struct mcu_jbuf_conf vc = {.kind = MCU_JBUF_VIDEO, .capacity = 64};
	struct mcu_jbuf_conf ac = {.kind = MCU_JBUF_AUDIO, .capacity = 16};
	struct mcu_rtp_rx rx;
	int64_t now = 1000000;
	uint16_t seqs[64];

	if (mcu_jbuf_alloc(&v, &vc) || mcu_jbuf_alloc(&a, &ac))
		goto out;
	mcu_rtp_rx_init(&rx, 90000);
	for (size_t off = 0; size - off >= 2;) {
		size_t len = data[off];
		now += data[off + 1] * 1000;
		off += 2;
		if (len > size - off)
			len = size - off;
		struct mcu_rtp_hdr h;
		struct mcu_pkt *p = NULL;
		if (mcu_rtp_parse(&h, data + off, len) == 0 &&
		    mcu_pkt_dup(&p, data + off, len) == 0) {
			mcu_rtp_rx_update(&rx, &h, now);
			mcu_jbuf_put(v, p, &h, now);
			mcu_jbuf_put(a, p, &h, now);
			p = mcu_pkt_put(p);
		}
		off += len;
		mcu_jbuf_nacks(v, now, seqs, 64);
		while (mcu_jbuf_get_frame(v, now, &frame) == 0)
			mcu_jbuf_frame_clear(&frame);
		struct mcu_jbuf_pkt ap;
		int r;
		while ((r = mcu_jbuf_get_audio(a, now, &ap)) != EAGAIN)
			if (r == 0)
				mcu_pkt_put(ap.pkt);
		mcu_jbuf_keyframe_needed(v);
	}
	struct mcu_rtp_rx_stats st;
	uint8_t frac;
	int32_t cum;
	uint32_t ext, jit;
	mcu_rtp_rx_stats(&rx, now, &st);
	mcu_rtp_rx_report(&rx, &frac, &cum, &ext, &jit);
out:
	mcu_jbuf_free(v);
	mcu_jbuf_free(a);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	one_packet(data, size);
	stream(data, size);
	return 0;
}
