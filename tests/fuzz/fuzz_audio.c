/*
 * fuzz_audio: the audio payload checks (transport/audiofmt) on any bytes,
 * judged against two references: a plain transcription of RFC 6716
 * section 3.4 (rules R1-R7) written here, and libopus's own
 * opus_packet_parse() when libopus.so.0 can be loaded (it is FFmpeg's
 * Opus dependency; no header needed, so no build change). Both must agree
 * with mcu_audiofmt_check() on accept/reject and on the frame count.
 * G.711 and G.722: accepted exactly when 1..1600 bytes (200 ms), one
 * timestamp unit per byte, G.722 two samples per byte.
 *
 * Input: the whole buffer is one payload.
 */
#include <dlfcn.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "transport/audiofmt.h"

/* Not assert(): it must hold in NDEBUG builds too. */
#define CHECK(x)                                                               \
	do {                                                                   \
		if (!(x))                                                      \
			abort();                                               \
	} while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Frame duration in units of 2.5 ms (RFC 6716 table 2). */
static unsigned ref_frame_units(unsigned config)
{
	static const unsigned silk[4] = {4, 8, 16, 24}; /* 10/20/40/60 ms */
	if (config < 12)
		return silk[config & 3];
	if (config < 16)
		return (config & 1) ? 8 : 4; /* Hybrid 10/20 ms */
	return 1u << (config & 3);           /* CELT 2.5/5/10/20 ms */
}

/* Frame count per RFC 6716 3.4, or -1 when a rule is broken. */
static int ref_opus(const uint8_t *p, size_t n)
{
	if (n < 1)
		return -1; /* R1 */
	unsigned code = p[0] & 3, units = ref_frame_units(p[0] >> 3);
	if (code == 0)
		return n - 1 <= 1275 ? 1 : -1; /* R2 */
	if (code == 1)
		return ((n - 1) % 2 == 0 && (n - 1) / 2 <= 1275) ? 2 : -1;
	if (code == 2) { /* R4 */
		size_t l1, hdr;
		if (n < 2)
			return -1;
		if (p[1] < 252) {
			l1 = p[1];
			hdr = 2;
		} else {
			if (n < 3)
				return -1;
			l1 = p[1] + 4u * p[2];
			hdr = 3;
		}
		if (l1 > n - hdr || n - hdr - l1 > 1275)
			return -1;
		return 2;
	}
	/* code 3 */
	if (n < 2)
		return -1;
	unsigned m = p[1] & 0x3f;
	if (m == 0 || m * units > 48) /* R5: 120 ms = 48 units */
		return -1;
	size_t i = 2, pad = 0; /* pad: padding bytes incl. length bytes */
	if (p[1] & 0x40) {
		for (;;) {
			if (i >= n)
				return -1;
			uint8_t b = p[i++];
			pad += 1 + (b == 255 ? 254 : b);
			if (b != 255)
				break;
		}
	}
	/* bytes for frames and their length fields: N - 2 - P, where the
	   padding-length bytes already counted in pad come after byte 1 */
	if (pad > n - 2)
		return -1;
	size_t body = n - 2 - pad;
	if (!(p[1] & 0x80)) { /* R6: CBR */
		if (body % m || body / m > 1275)
			return -1;
		return (int)m;
	}
	/* R7: VBR */
	size_t used = 0, pos = i;
	for (unsigned k = 0; k + 1 < m; k++) {
		size_t len;
		if (used + 1 > body)
			return -1;
		if (p[pos] < 252) {
			len = p[pos];
			pos++;
			used++;
		} else {
			if (used + 2 > body)
				return -1;
			len = p[pos] + 4u * p[pos + 1];
			pos += 2;
			used += 2;
		}
		if (len > 1275)
			return -1;
		used += len;
		if (used > body)
			return -1;
	}
	if (body - used > 1275)
		return -1;
	return (int)m;
}

typedef int (*opus_parse_fn)(const unsigned char *data, int32_t len,
                             unsigned char *toc,
                             const unsigned char *frames[48], int16_t size[48],
                             int *payload_offset);

static opus_parse_fn libopus(void)
{
	static int tried;
	static opus_parse_fn fn;
	if (!tried) {
		tried = 1;
		void *h = dlopen("libopus.so.0", RTLD_NOW | RTLD_LOCAL);
		if (h)
			*(void **)&fn = dlsym(h, "opus_packet_parse");
	}
	return fn;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mcu_audiofmt_info info;
	int r;

	for (int c = MCU_AUDIOFMT_PCMU; c <= MCU_AUDIOFMT_G722; c++) {
		r = mcu_audiofmt_check(c, data, size, &info);
		CHECK((r == 0) == (size >= 1 && size <= 1600));
		if (r == 0) {
			CHECK(info.ts_advance == size);
			CHECK(info.samples ==
			      (c == MCU_AUDIOFMT_G722 ? 2 * size : size));
			CHECK(mcu_audiofmt_rtp_clock(c) == 8000);
		}
	}

	r = mcu_audiofmt_check(MCU_AUDIOFMT_OPUS, data, size, &info);
	int ref = ref_opus(data, size);
	CHECK((r == 0) == (ref >= 0));
	if (r == 0) {
		CHECK((int)info.frames == ref);
		CHECK(info.config == (unsigned)(data[0] >> 3));
		CHECK(info.samples ==
		      info.frames * ref_frame_units(info.config) * 120);
		CHECK(info.samples <= 5760 && info.ts_advance == info.samples);
	}
	opus_parse_fn fn = libopus();
	if (fn && size >= 1 && size <= 0x7fffffff) {
		unsigned char toc;
		const unsigned char *frames[48];
		int16_t sizes[48];
		int off;
		int lr = fn(data, (int32_t)size, &toc, frames, sizes, &off);
		CHECK((r == 0) == (lr > 0));
		if (r == 0)
			CHECK((int)info.frames == lr);
	}
	return 0;
}
