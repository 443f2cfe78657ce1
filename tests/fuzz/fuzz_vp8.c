/*
 * fuzz_vp8: descriptor parse/write roundtrip on every packet and the
 * depacketizer fed records [len:2][flags:1][payload:len] (flags bit 0 end
 * of frame, bit 1 sequence gap, bit 2 new timestamp); frames that come
 * out are packetized again and must come back the same.
 */
#include <stdlib.h>
#include <stdint.h>
#include <string.h>

#include "transport/vp8.h"

/* Not assert(): it must hold in NDEBUG builds too. */
#define CHECK(x)                                                               \
	do {                                                                   \
		if (!(x))                                                      \
			abort();                                               \
	} while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct redo {
	struct mcu_vp8_depack *d;
	uint16_t seq;
	struct mcu_vp8_frame fr;
	int last;
};

static int repush(const uint8_t *p, size_t len, bool last, void *arg)
{
	struct redo *r = arg;
	r->last = mcu_vp8_depack_push(r->d, p, len, r->seq++, 9, last, &r->fr);
	return 0;
}

static void check_desc(const uint8_t *p, size_t len)
{
	struct mcu_vp8_desc d, d2;
	uint8_t b[MCU_VP8_DESC_MAX + 1];
	size_t n;

	if (mcu_vp8_desc_parse(&d, p, len))
		return;
	CHECK(d.len < len);
	if (mcu_vp8_desc_write(b, sizeof(b) - 1, &d, &n) == 0) {
		b[n] = 0;
		CHECK(mcu_vp8_desc_parse(&d2, b, n + 1) == 0);
		CHECK(d2.picid == d.picid && d2.pid == d.pid && d2.s == d.s);
	}
}

static void check_frame(const struct mcu_vp8_frame *fr, size_t mtu)
{
	struct redo r = {0};
	struct mcu_vp8_desc t = {.has_picid = fr->has_picid,
	                         .picid = fr->picid};
	uint8_t *copy = malloc(fr->len);
	if (!copy || mcu_vp8_depack_alloc(&r.d, 0)) {
		free(copy);
		return;
	}
	memcpy(copy, fr->data, fr->len);
	if (mcu_vp8_packetize(copy, fr->len, mtu, &t, repush, &r) == 0 &&
	    r.last == 0) {
		CHECK(r.fr.len == fr->len);
		CHECK(memcmp(r.fr.data, copy, fr->len) == 0);
	}
	free(copy);
	mcu_vp8_depack_free(r.d);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mcu_vp8_depack *d = NULL;
	struct mcu_vp8_frame fr;
	struct mcu_vp8_info info;
	uint16_t seq = 0;
	uint32_t ts = 0;

	mcu_vp8_frame_info(data, size, &info);
	if (size < 1 || mcu_vp8_depack_alloc(&d, 1 << 20))
		return 0;
	size_t mtu = 16 + data[0] % 200 * 8;
	for (size_t off = 1; size - off >= 3;) {
		size_t len = (size_t)data[off] << 8 | data[off + 1];
		uint8_t flags = data[off + 2];
		off += 3;
		if (len > size - off)
			len = size - off;
		check_desc(data + off, len);
		seq = (uint16_t)(seq + 1 + ((flags & 2) ? 1 : 0));
		ts += (flags & 4) ? 3000 : 0;
		mcu_vp8_depack_push(d, data + off, len, seq, ts, flags & 1,
		                    &fr);
		if (fr.len)
			check_frame(&fr, mtu);
		off += len;
	}
	mcu_vp8_depack_free(d);
	return 0;
}
