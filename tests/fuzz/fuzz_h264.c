/*
 * fuzz_h264: the depacketizer fed a sequence of packets parsed from the
 * input: [mode:1] then records [len:2][flags:1][payload:len], flags bit 0
 * = end of AU, bit 1 = sequence gap, bit 2 = new timestamp. Each AU that
 * comes out is packetized again (mode 1, FU-A/STAP-A) and must
 * depacketize to the same bytes; parameter sets are cached and
 * prepended.
 */
#include <stdlib.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "transport/h264.h"

/* Not assert(): it must hold in NDEBUG builds too. */
#define CHECK(x)                                                               \
	do {                                                                   \
		if (!(x))                                                      \
			abort();                                               \
	} while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct redo {
	struct mcu_h264_depack *d;
	uint16_t seq;
	struct mcu_h264_au au;
	int last;
};

static int repush(const uint8_t *p, size_t len, bool last, void *arg)
{
	struct redo *r = arg;
	r->last = mcu_h264_depack_push(r->d, p, len, r->seq++, 7, last, &r->au);
	return 0;
}

/*
 * True when re-reading the AU as Annex-B gives back the same NAL units
 * (no NAL holds a start-code pattern or ends in a zero byte, as real
 * encoders guarantee with emulation prevention): only then must the
 * roundtrip be exact.
 */
static bool canonical(const uint8_t *au, size_t len)
{
	size_t off = 0, n, pos = 0;
	const uint8_t *nal;

	while (mcu_h264_nal_next(au, len, &off, &nal, &n) == 0) {
		if (len - pos < 4 + n || memcmp(au + pos, "\0\0\0\1", 4) ||
		    nal != au + pos + 4)
			return false;
		pos += 4 + n;
	}
	return pos == len;
}

static void check_au(const struct mcu_h264_au *au, size_t mtu,
                     struct mcu_h264_params *params)
{
	struct redo r = {0};
	uint8_t *copy = malloc(au->len);
	if (!copy || mcu_h264_depack_alloc(&r.d, 1, 0)) {
		free(copy);
		return;
	}
	memcpy(copy, au->data, au->len);
	if (mcu_h264_packetize(copy, au->len, mtu, 1, mtu & 1, repush, &r) ==
	        0 &&
	    r.last == 0 && canonical(copy, au->len)) {
		CHECK(r.au.len == au->len);
		CHECK(memcmp(r.au.data, copy, au->len) == 0);
	}
	mcu_h264_params_update(params, copy, au->len);
	size_t need = au->len + 2 * MCU_H264_MAX_PARAM + 8, olen;
	uint8_t *out = malloc(need);
	if (out)
		mcu_h264_params_prepend(params, copy, au->len, out, need,
		                        &olen);
	free(out);
	free(copy);
	mcu_h264_depack_free(r.d);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mcu_h264_depack *d = NULL;
	struct mcu_h264_params params = {0};
	struct mcu_h264_au au;
	uint16_t seq = 0;
	uint32_t ts = 0;

	if (size < 1 || mcu_h264_depack_alloc(&d, data[0] & 1, 1 << 20))
		return 0;
	size_t mtu = 16 + data[0] % 200 * 8;
	for (size_t off = 1; size - off >= 3;) {
		size_t len = (size_t)data[off] << 8 | data[off + 1];
		uint8_t flags = data[off + 2];
		off += 3;
		if (len > size - off)
			len = size - off;
		seq = (uint16_t)(seq + 1 + ((flags & 2) ? 1 : 0));
		ts += (flags & 4) ? 3000 : 0;
		mcu_h264_depack_push(d, data + off, len, seq, ts, flags & 1,
		                     &au);
		if (au.len)
			check_au(&au, mtu, &params);
		off += len;
	}
	mcu_h264_depack_free(d);
	return 0;
}
