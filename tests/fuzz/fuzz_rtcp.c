/*
 * fuzz_rtcp: compound RTCP parse; every parsed SR/RR/SDES/NACK/FIR/REMB/
 * BYE/PLI is rebuilt and parsed again and must come back the same (NACK:
 * the same set of lost sequence numbers). The feedback is then served as
 * mcu/leg.c does: NACKed numbers are looked up in a packet history that
 * holds the last 64 of 100 sent packets (found exactly when sent and not
 * overwritten, byte for byte what was sent), PLI and FIR go to the
 * key-frame request throttle (every request counted once, FIR
 * retransmissions as duplicates).
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "transport/kfreq.h"
#include "transport/rtcp.h"
#include "transport/rtp.h"
#include "transport/rtp_history.h"

/* Not assert(): it must hold in NDEBUG builds too. */
#define CHECK(x)                                                               \
	do {                                                                   \
		if (!(x))                                                      \
			abort();                                               \
	} while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct mcu_rtcp_msg m, m2;

#define HIST_CAP  64
#define HIST_SENT 100
#define HIST_NOW  10000000

static int cmp_u16(const void *a, const void *b)
{
	return (int)*(const uint16_t *)a - (int)*(const uint16_t *)b;
}

/* Sort and drop repeats; returns the new count. */
static unsigned sort_unique(uint16_t *s, unsigned n)
{
	unsigned k = 0;
	qsort(s, n, sizeof(*s), cmp_u16);
	for (unsigned i = 0; i < n; i++)
		if (k == 0 || s[k - 1] != s[i])
			s[k++] = s[i];
	return k;
}

static void sent_packet(uint16_t seq, uint8_t *buf, size_t *len)
{
	struct mcu_rtp_hdr h = {.pt = 96,
	                        .seq = seq,
	                        .ts = 3000u * seq,
	                        .ssrc = 0xabcd,
	                        .marker = seq & 1};
	CHECK(mcu_rtp_write(buf, 64, &h, len) == 0);
	buf[(*len)++] = (uint8_t)(seq >> 8);
	buf[(*len)++] = (uint8_t)seq;
	buf[(*len)++] = 0x5a;
}

/* What a sender recorded: packets 0..HIST_SENT-1, the last HIST_CAP kept. */
static struct mcu_rtp_history *history(void)
{
	static struct mcu_rtp_history *h;
	if (h)
		return h;
	CHECK(mcu_rtp_history_alloc(&h, HIST_CAP, 2000) == 0);
	for (uint16_t s = 0; s < HIST_SENT; s++) {
		uint8_t b[64];
		size_t n;
		struct mcu_pkt *p = NULL;
		sent_packet(s, b, &n);
		CHECK(mcu_pkt_dup(&p, b, n) == 0);
		CHECK(mcu_rtp_history_put(h, NULL, 0, p, 0, n, HIST_NOW) == 0);
		mcu_pkt_put(p);
	}
	return h;
}

static void serve_nack(const struct mcu_rtcp_msg *a)
{
	uint16_t seqs[256];
	unsigned n = mcu_rtcp_nack_seqs(a->nack, a->n_nack, seqs, 256);
	if (n > 256)
		n = 256;
	for (unsigned i = 0; i < n; i++) {
		uint8_t got[256], want[64];
		size_t glen, wlen;
		int err = mcu_rtp_history_get(history(), seqs[i], HIST_NOW, got,
		                              sizeof(got), &glen);
		bool kept =
		    seqs[i] >= HIST_SENT - HIST_CAP && seqs[i] < HIST_SENT;
		CHECK((err == 0) == kept);
		if (err)
			continue;
		sent_packet(seqs[i], want, &wlen);
		CHECK(glen == wlen && memcmp(got, want, wlen) == 0);
	}
}

static void nack_roundtrip(const struct mcu_rtcp_msg *a)
{
	static uint16_t s1[MCU_RTCP_MAX_NACK * 17], s2[MCU_RTCP_MAX_NACK * 17];
	uint8_t buf[1024];
	size_t off = 0;
	unsigned n1 =
	    mcu_rtcp_nack_seqs(a->nack, a->n_nack, s1, MCU_RTCP_MAX_NACK * 17);
	CHECK(n1 <= MCU_RTCP_MAX_NACK * 17);
	n1 = sort_unique(s1, n1);
	if (a->truncated || n1 == 0)
		return;
	CHECK(mcu_rtcp_write_nack(buf, sizeof(buf), &off, a->ssrc,
	                          a->media_ssrc, s1, n1) == 0);
	struct mcu_rtcp_iter it;
	mcu_rtcp_iter_init(&it, buf, off);
	CHECK(mcu_rtcp_validate(buf, off) == 0);
	CHECK(mcu_rtcp_next(&it, &m2) == 0 && m2.type == MCU_RTCP_NACK);
	CHECK(m2.ssrc == a->ssrc && m2.media_ssrc == a->media_ssrc);
	if (m2.truncated) /* wrap can cost one more item than the peer used */
		return;
	unsigned n2 =
	    mcu_rtcp_nack_seqs(m2.nack, m2.n_nack, s2, MCU_RTCP_MAX_NACK * 17);
	n2 = sort_unique(s2, n2);
	CHECK(n2 == n1 && memcmp(s1, s2, n1 * sizeof(*s1)) == 0);
}

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
	case MCU_RTCP_NACK:
		nack_roundtrip(a);
		return;
	case MCU_RTCP_REMB:
		if (a->remb_bps == UINT64_MAX || a->truncated)
			return; /* saturated: not representable again */
		err = mcu_rtcp_write_remb(buf, sizeof(buf), &off, a->ssrc,
		                          a->remb_bps, a->remb_ssrc, a->n_remb);
		break;
	case MCU_RTCP_SDES:
		if (a->n_sdes == 0 || !a->sdes[0].cname[0])
			return;
		err = mcu_rtcp_write_sdes(buf, sizeof(buf), &off,
		                          a->sdes[0].ssrc, a->sdes[0].cname);
		if (err == 0) {
			struct mcu_rtcp_iter si;
			mcu_rtcp_iter_init(&si, buf, off);
			CHECK(mcu_rtcp_validate(buf, off) == 0);
			CHECK(mcu_rtcp_next(&si, &m2) == 0);
			CHECK(m2.type == MCU_RTCP_SDES && m2.n_sdes == 1);
			CHECK(m2.sdes[0].ssrc == a->sdes[0].ssrc);
			CHECK(strcmp(m2.sdes[0].cname, a->sdes[0].cname) == 0);
		}
		return;
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
	if (a->type == MCU_RTCP_PLI)
		CHECK(m2.media_ssrc == a->media_ssrc);
	for (unsigned i = 0; i < a->n_fir; i++)
		CHECK(m2.fir[i].ssrc == a->fir[i].ssrc &&
		      m2.fir[i].seq == a->fir[i].seq);
	for (unsigned i = 0; i < a->n_bye; i++)
		CHECK(m2.bye[i] == a->bye[i]);
	if (a->type == MCU_RTCP_REMB) {
		CHECK(m2.remb_bps == a->remb_bps && m2.n_remb == a->n_remb);
		for (unsigned i = 0; i < a->n_remb; i++)
			CHECK(m2.remb_ssrc[i] == a->remb_ssrc[i]);
	}
	if (a->type == MCU_RTCP_SR)
		CHECK(memcmp(&m2.sr, &a->sr, sizeof(a->sr)) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mcu_rtcp_iter it;
	struct mcu_kfreq *kf = NULL;
	uint64_t asks = 0;
	int r, guard = 0;

	mcu_rtcp_validate(data, size);
	if (mcu_kfreq_alloc(&kf, 0))
		return 0;
	mcu_rtcp_iter_init(&it, data, size);
	while ((r = mcu_rtcp_next(&it, &m)) != ENOENT) {
		CHECK(++guard <= (int)size / 4 + 1);
		if (r != 0)
			continue;
		rebuild(&m);
		if (m.type == MCU_RTCP_NACK)
			serve_nack(&m);
		if (m.type == MCU_RTCP_PLI) {
			mcu_kfreq_request(kf, m.ssrc, HIST_NOW);
			asks++;
		}
		for (unsigned i = 0; m.type == MCU_RTCP_FIR && i < m.n_fir;
		     i++) {
			mcu_kfreq_fir(kf, m.ssrc, m.fir[i].seq, HIST_NOW);
			asks++;
		}
	}
	struct mcu_kfreq_stats ks;
	mcu_kfreq_stats(kf, &ks);
	CHECK(ks.requests + ks.duplicates == asks);
	CHECK(mcu_kfreq_due(kf, HIST_NOW) == (ks.requests > 0));
	mcu_kfreq_free(kf);
	int64_t rtt;
	if (size >= 12) {
		uint32_t a = (uint32_t)data[0] << 24 | data[1] << 16;
		mcu_rtcp_rtt_us(a, a ^ data[2], data[3], &rtt);
	}
	return 0;
}
