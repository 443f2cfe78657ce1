/*
 * fuzz_dtmf: RFC 4733 telephone-event records [ts delta:1][payload len:1]
 * [payload] through the press deduper, and every record's payload through
 * the Opus, G.711 and G.722 checks. A delivered key is always one of
 * 0-9*#A-D.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "transport/audiofmt.h"
#include "transport/dtmf.h"

/* Not assert(): it must hold in NDEBUG builds too. */
#define CHECK(x)                                                               \
	do {                                                                   \
		if (!(x))                                                      \
			abort();                                               \
	} while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mcu_dtmf_rx rx;
	struct mcu_audiofmt_info info;
	uint32_t ts = 0;

	mcu_dtmf_rx_init(&rx);
	for (int c = MCU_AUDIOFMT_PCMU; c <= MCU_AUDIOFMT_OPUS; c++)
		mcu_audiofmt_check(c, data, size, &info);
	for (size_t off = 0; size - off >= 2;) {
		ts += data[off] * 80u;
		size_t len = data[off + 1];
		off += 2;
		if (len > size - off)
			len = size - off;
		char key = 0;
		if (mcu_dtmf_rx_put(&rx, data + off, len, ts, &key) == 0)
			CHECK(key && strchr("0123456789*#ABCD", key));
		for (int c = MCU_AUDIOFMT_PCMU; c <= MCU_AUDIOFMT_OPUS; c++)
			if (mcu_audiofmt_check(c, data + off, len, &info) == 0)
				CHECK(c != MCU_AUDIOFMT_OPUS ||
				      info.samples <= 5760);
		off += len;
	}
	return 0;
}
