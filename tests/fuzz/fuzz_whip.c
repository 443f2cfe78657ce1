/*
 * fuzz_whip: the SDP offer of a WHIP request (POST /whip/{meeting}) the
 * way mcu/webrtc.c takes it, before any ICE or DTLS runs: parsed, checked
 * (every live m-line UDP/TLS/RTP/SAVPF, BUNDLE for several, ICE
 * credentials and a sha-256 fingerprint at media or session level), its
 * first live m-line's candidates filtered (mcu_ice_candidate_usable) and
 * answered with our ICE credentials, fingerprint and setup role, no SDES,
 * no telephone-event. fuzz_webrtc covers the demultiplexer, fingerprint
 * and candidate values alone, tokens and DTLS records.
 *
 * Input: the whole buffer is the offer.
 *
 * Checked: a fingerprint accepted is sha-256 and formats back to a value
 * that parses to the same digest; a usable candidate starts with
 * "candidate:" (after an optional "a="); our answer parses, keeps the
 * offer's m-lines and carries our credentials, fingerprint and role on
 * every accepted one.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "transport/dtls.h"
#include "transport/ice.h"
#include "transport/sdp.h"

/* Not assert(): it must hold in NDEBUG builds too. */
#define CHECK(x)                                                               \
	do {                                                                   \
		if (!(x))                                                      \
			abort();                                               \
	} while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define OUR_UFRAG "fzUf"
#define OUR_PWD   "fuzzpasswordfuzzpassword"
#define OUR_FP                                                                 \
	"sha-256 00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:"             \
	"00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF"

static void one_line(const char *line)
{
	uint8_t d[MCU_DTLS_DIGEST_LEN], d2[MCU_DTLS_DIGEST_LEN];
	char fp[MCU_DTLS_FINGERPRINT_LEN];

	if (mcu_dtls_fingerprint_parse(line, d) == 0) {
		CHECK(!strncasecmp(line, "sha-256 ", 8));
		CHECK(mcu_dtls_fingerprint_format(fp, sizeof(fp), d) == 0);
		CHECK(mcu_dtls_fingerprint_parse(fp, d2) == 0);
		CHECK(!memcmp(d, d2, sizeof(d)));
	}
	if (mcu_ice_candidate_usable(line)) {
		const char *v = strncmp(line, "a=", 2) == 0 ? line + 2 : line;
		CHECK(!strncmp(v, "candidate:", 10));
	}
}

static const char *pick(const char *media, const char *sess)
{
	return media && *media ? media : sess;
}

/* The checks of mcu/webrtc.c's offer(); the first live m-line or NULL. */
static const struct mcu_sdp_media *acceptable(const struct mcu_sdp_session *o)
{
	const struct mcu_sdp_media *first = NULL;
	size_t n_rtp = 0;
	uint8_t dg[MCU_DTLS_DIGEST_LEN];

	for (size_t i = 0; i < o->n_media; i++) {
		const struct mcu_sdp_media *m = &o->media[i];
		if (m->kind == MCU_SDP_OTHER || m->port == 0)
			continue;
		if (strcmp(m->proto, "UDP/TLS/RTP/SAVPF") != 0)
			return NULL;
		if (!first)
			first = m;
		n_rtp++;
	}
	if (!first || (n_rtp > 1 && o->n_bundle == 0))
		return NULL;
	if (!*pick(first->ice_ufrag, o->ice_ufrag) ||
	    !*pick(first->ice_pwd, o->ice_pwd) ||
	    mcu_dtls_fingerprint_parse(pick(first->fingerprint, o->fingerprint),
	                               dg))
		return NULL;
	return first;
}

static void answer_offer(const struct mcu_sdp_session *o)
{
	const struct mcu_sdp_media *first = acceptable(o);
	struct mcu_sdp_session *back = NULL;
	struct mcu_sdp_caps caps;
	struct mcu_sdp_neg neg;
	char *answer = NULL;
	bool server;

	if (!first)
		return;
	for (size_t i = 0; i < first->n_candidates; i++)
		one_line(first->candidates[i]);
	server = strcmp(pick(first->setup, o->setup), "passive") != 0;
	mcu_sdp_caps_default(&caps);
	caps.srtp = MCU_SDP_SRTP_OFF;
	caps.telephone_event = false;
	struct mcu_sdp_local loc = {
	    .addr = "192.0.2.7",
	    .audio_port = 40000,
	    .video_port = 40000,
	    .sess_id = 7,
	    .sess_version = 1,
	    .ice_ufrag = OUR_UFRAG,
	    .ice_pwd = OUR_PWD,
	    .fingerprint = OUR_FP,
	    .setup = server ? "passive" : "active",
	};
	int err = mcu_sdp_answer(o, &caps, &loc, &neg, &answer);
	if (err) {
		CHECK(!answer);
		return;
	}
	CHECK(answer);
	CHECK(mcu_sdp_parse(&back, answer, strlen(answer)) == 0);
	CHECK(back->n_media == o->n_media);
	for (size_t i = 0; i < back->n_media; i++) {
		const struct mcu_sdp_media *m = &back->media[i];
		if (m->port == 0)
			continue;
		CHECK(!strcmp(pick(m->ice_ufrag, back->ice_ufrag), OUR_UFRAG));
		CHECK(!strcmp(pick(m->ice_pwd, back->ice_pwd), OUR_PWD));
		CHECK(!strcmp(pick(m->fingerprint, back->fingerprint), OUR_FP));
		CHECK(!strcmp(pick(m->setup, back->setup), loc.setup));
	}
	mcu_sdp_free(back);
	free(answer);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mcu_sdp_session *o = NULL;

	if (size > 16384)
		return 0;
	if (mcu_sdp_parse(&o, (const char *)data, size) == 0) {
		answer_offer(o);
		mcu_sdp_free(o);
	}
	return 0;
}
