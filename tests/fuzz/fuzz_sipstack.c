/*
 * fuzz_sipstack: SIP datagrams through the whole SIP layer (sofia's nua
 * under transport/sip.c, its auth and INFO handling) and into handlers
 * that act as mcu/sipcalls.c does: an INVITE's offer is answered with
 * transport/sdp (200 + answer, or 488), some calls are challenged or
 * refused, re-INVITEs are answered, INFO keys are checked.
 *
 * One SIP stack per process listens on 127.0.0.1 UDP (a free port found
 * at start). Input: datagrams separated by lines "===" ("\n===\n"); each
 * is sent from one client socket, then an out-of-dialog OPTIONS is sent
 * and its answer awaited: the SIP thread handles datagrams in order, so
 * the answer means the fuzzed one was handled. In a datagram "$PORT"
 * becomes the client's port (so a Via can bring answers back) and "$TAG"
 * the To tag of the last answer received, so a seed can carry a dialog
 * past the INVITE (ACK, INFO, re-INVITE, BYE). Answers sent elsewhere do
 * not matter.
 *
 * Checked: what the handlers get is well formed (strings present, the
 * SDP NUL-terminated at its length, known enums, keys from the DTMF set)
 * and the stack keeps answering. State (dialogs) carries over between
 * inputs, as it does in the daemon.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* memmem */
#endif
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "transport/sdp.h"
#include "transport/sip.h"

/* Not assert(): it must hold in NDEBUG builds too. */
#define CHECK(x)                                                               \
	do {                                                                   \
		if (!(x))                                                      \
			abort();                                               \
	} while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct mcu_sip *sip;
static int cli = -1;
static uint16_t sip_port, cli_port;
static unsigned serial;
static char last_tag[64] = "none";
static bool invite_answered; /* a final answer to an INVITE came back */

/* Remember the To tag of an answer from the stack. */
static void note_tag(const char *msg)
{
	const char *to = strstr(msg, "\nTo:");
	const char *eol, *t;
	if (!to)
		to = strstr(msg, "\nt:");
	if (!to)
		return;
	eol = strstr(to + 1, "\r\n");
	t = strstr(to, ";tag=");
	if (!t || (eol && t > eol))
		return;
	t += 5;
	size_t n = strcspn(t, ";\r\n ");
	if (n == 0 || n >= sizeof(last_tag))
		return;
	memcpy(last_tag, t, n);
	last_tag[n] = '\0';
}

/* The datagram with $PORT and $TAG filled in (malloc'ed). */
static char *fill(const uint8_t *p, size_t n, size_t *outn)
{
	char port[8];
	size_t cap = n * 8 + 64, o = 0;
	char *out = malloc(cap);
	CHECK(out);
	snprintf(port, sizeof(port), "%u", cli_port);
	for (size_t i = 0; i < n;) {
		const char *rep = NULL;
		if (n - i >= 5 && !memcmp(p + i, "$PORT", 5))
			rep = port;
		else if (n - i >= 4 && !memcmp(p + i, "$TAG", 4))
			rep = last_tag;
		if (rep) {
			size_t k = strlen(rep);
			memcpy(out + o, rep, k);
			o += k;
			i += rep == port ? 5 : 4;
		} else {
			out[o++] = (char)p[i++];
		}
	}
	*outn = o;
	return out;
}

static char *answer_for(const char *sdp, size_t len)
{
	struct mcu_sdp_session *s = NULL;
	struct mcu_sdp_caps caps;
	struct mcu_sdp_neg neg;
	struct mcu_sdp_local l = {.addr = "127.0.0.1",
	                          .audio_port = 40000,
	                          .video_port = 40002,
	                          .sess_id = 9,
	                          .sess_version = 1};
	char *answer = NULL;

	if (!sdp || mcu_sdp_parse(&s, sdp, len) != 0)
		return NULL;
	mcu_sdp_caps_default(&caps);
	if (mcu_sdp_answer(s, &caps, &l, &neg, &answer) != 0)
		answer = NULL;
	mcu_sdp_free(s);
	return answer;
}

static void check_str(const char *s)
{
	CHECK(s);
	(void)strlen(s);
}

static void on_incoming(struct mcu_sip_call *call,
                        const struct mcu_sip_incoming *in, void *arg)
{
	(void)arg;
	check_str(in->call_id);
	check_str(in->ruri_user);
	check_str(in->ruri_host);
	check_str(in->from_user);
	check_str(in->from_host);
	check_str(in->from_display);
	check_str(in->auth_user);
	CHECK(memchr(in->src_addr, 0, sizeof(in->src_addr)));
	CHECK((unsigned)in->proto <= MCU_SIP_TLS);
	CHECK((unsigned)in->auth <= MCU_SIP_AUTH_INVALID);
	if (in->sdp)
		CHECK(strlen(in->sdp) == in->sdp_len);
	else
		CHECK(in->sdp_len == 0);
	mcu_sip_call_label(call);
	/* Keep the call as the call layer does, until its final event. */
	static int kept;
	mcu_sip_call_set_user(call, &kept);
	mcu_sip_call_get(call);

	/* The admission outcomes of mcu/sipcalls.c, picked by the user. */
	switch (in->ruri_user[0]) {
	case 'a': /* a password-protected endpoint */
		if (in->auth == MCU_SIP_AUTH_PRESENT &&
		    mcu_sip_call_auth_check(call, "alice", "pw") == 0)
			break;
		mcu_sip_call_challenge(call, in->auth == MCU_SIP_AUTH_STALE);
		return;
	case 'x':
		mcu_sip_call_respond(call, 403, "Not a participant", NULL);
		return;
	case 'h': /* rings, then the call layer hangs up */
		mcu_sip_call_respond(call, 180, NULL, NULL);
		mcu_sip_call_hangup(call);
		return;
	default:
		break;
	}
	char *answer = answer_for(in->sdp, in->sdp_len);
	if (answer)
		mcu_sip_call_respond(call, 200, NULL, answer);
	else
		mcu_sip_call_respond(call, 488, NULL, NULL);
	free(answer);
}

static void on_event(struct mcu_sip_call *call, const struct mcu_sip_event *ev,
                     void *arg)
{
	(void)arg;
	CHECK((unsigned)ev->type <= MCU_SIP_EV_TERMINATED);
	CHECK(ev->reason);
	(void)strlen(ev->reason);
	if (ev->sdp)
		CHECK(strlen(ev->sdp) == ev->sdp_len);
	if (ev->type == MCU_SIP_EV_CONFIRMED && ev->sdp)
		free(answer_for(ev->sdp, ev->sdp_len));
	if ((ev->type == MCU_SIP_EV_CANCELLED ||
	     ev->type == MCU_SIP_EV_FAILED ||
	     ev->type == MCU_SIP_EV_TERMINATED) &&
	    mcu_sip_call_user(call)) {
		mcu_sip_call_set_user(call, NULL);
		mcu_sip_call_put(call); /* exactly one final event per call */
	}
}

static void on_reinvite(struct mcu_sip_call *call, const char *sdp,
                        size_t sdp_len, void *arg)
{
	(void)arg;
	if (sdp)
		CHECK(strlen(sdp) == sdp_len);
	char *answer = answer_for(sdp, sdp_len);
	if (answer)
		mcu_sip_call_respond(call, 200, NULL, answer);
	else
		mcu_sip_call_respond(call, 488, NULL, NULL);
	free(answer);
}

static void on_dtmf(struct mcu_sip_call *call, char digit, unsigned ms,
                    void *arg)
{
	(void)call;
	(void)ms;
	(void)arg;
	CHECK(digit && strchr("0123456789*#ABCD", digit));
}

static uint16_t bound_port(int fd)
{
	struct sockaddr_in a;
	socklen_t l = sizeof(a);
	if (getsockname(fd, (struct sockaddr *)&a, &l) != 0)
		return 0;
	return ntohs(a.sin_port);
}

static void stop(void)
{
	sip = mcu_sip_free(sip);
	if (cli >= 0)
		close(cli);
	cli = -1;
}

static int start(void)
{
	static const struct mcu_sip_handlers h = {
	    .incoming = on_incoming,
	    .event = on_event,
	    .reinvite = on_reinvite,
	    .dtmf = on_dtmf,
	};
	struct sockaddr_in a = {.sin_family = AF_INET};
	struct timeval tv = {.tv_sec = 2};

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	for (int tries = 0; tries < 20 && !sip; tries++) {
		/* a free port: bind, read it, release it for the stack */
		int fd = socket(AF_INET, SOCK_DGRAM, 0);
		if (fd < 0)
			return errno;
		a.sin_port = 0;
		if (bind(fd, (struct sockaddr *)&a, sizeof(a)) != 0) {
			close(fd);
			return errno;
		}
		sip_port = bound_port(fd);
		close(fd);
		struct mcu_sip_listen l = {MCU_SIP_UDP, "127.0.0.1", sip_port};
		struct mcu_sip_config cfg = {
		    .listen = &l, .n_listen = 1, .domain = "mcu.test"};
		if (mcu_sip_alloc(&sip, &cfg, &h) != 0)
			sip = NULL;
	}
	if (!sip)
		return EADDRINUSE;
	cli = socket(AF_INET, SOCK_DGRAM, 0);
	a.sin_port = 0;
	if (cli < 0 || bind(cli, (struct sockaddr *)&a, sizeof(a)) != 0)
		return EIO;
	setsockopt(cli, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	cli_port = bound_port(cli);
	atexit(stop);
	return 0;
}

static void send_to_stack(const void *p, size_t n)
{
	struct sockaddr_in a = {.sin_family = AF_INET,
	                        .sin_port = htons(sip_port)};
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sendto(cli, p, n, 0, (struct sockaddr *)&a, sizeof(a));
}

/* OPTIONS out of dialog; true once its answer came back. */
static bool sync_stack(void)
{
	char msg[512], want[64], buf[8192];
	unsigned id = ++serial;
	int n = snprintf(msg, sizeof(msg),
	                 "OPTIONS sip:127.0.0.1:%u SIP/2.0\r\n"
	                 "Via: SIP/2.0/UDP 127.0.0.1:%u;rport;branch=z9hG4bK-"
	                 "sync%u\r\n"
	                 "Max-Forwards: 70\r\n"
	                 "From: <sip:fuzz@127.0.0.1>;tag=s%u\r\n"
	                 "To: <sip:mcu@127.0.0.1>\r\n"
	                 "Call-ID: fuzz-sync-%u\r\n"
	                 "CSeq: 1 OPTIONS\r\n"
	                 "Content-Length: 0\r\n\r\n",
	                 sip_port, cli_port, id, id, id);
	snprintf(want, sizeof(want), "fuzz-sync-%u\r", id);
	send_to_stack(msg, (size_t)n);
	for (int i = 0; i < 200; i++) {
		ssize_t r = recv(cli, buf, sizeof(buf) - 1, 0);
		if (r < 0)
			return false; /* 2 s without any datagram */
		buf[r] = '\0';
		if (strncmp(buf, "SIP/2.0 ", 8) != 0)
			continue; /* a request from the stack (BYE...) */
		if (strstr(buf, want))
			return true;
		note_tag(buf);
		if (buf[8] >= '2' && strstr(buf, " INVITE\r\n"))
			invite_answered = true;
	}
	return false;
}

/*
 * After an INVITE: its final answer is sent when the handler's command has
 * run, possibly after the sync answer; wait for it (at most 30 ms) so
 * the next datagram can use its To tag.
 */
static void await_invite_answer(void)
{
	struct timeval shortwait = {.tv_usec = 30000}, normal = {.tv_sec = 2};
	char buf[8192];
	setsockopt(cli, SOL_SOCKET, SO_RCVTIMEO, &shortwait, sizeof(shortwait));
	for (int i = 0; i < 20; i++) {
		ssize_t r = recv(cli, buf, sizeof(buf) - 1, 0);
		if (r < 0)
			break;
		buf[r] = '\0';
		if (strncmp(buf, "SIP/2.0 ", 8) != 0 || buf[8] < '2')
			continue;
		note_tag(buf);
		if (strstr(buf, " INVITE\r\n"))
			break;
	}
	setsockopt(cli, SOL_SOCKET, SO_RCVTIMEO, &normal, sizeof(normal));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int started = -1;
	static const char sep[] = "\n===\n";

	if (started < 0)
		started = start();
	if (started != 0 || size > 60000)
		return 0;
	for (size_t off = 0; off < size;) {
		const uint8_t *end = memmem(data + off, size - off, sep, 5);
		size_t n = end ? (size_t)(end - (data + off)) : size - off;
		if (n) {
			size_t fn;
			char *msg = fill(data + off, n, &fn);
			send_to_stack(msg, fn);
			free(msg);
			/* The stack must still answer (a hang or a dead
			   thread fails). */
			invite_answered = false;
			CHECK(sync_stack());
			if (n > 7 && !memcmp(data + off, "INVITE ", 7) &&
			    !invite_answered)
				await_invite_answer();
		}
		off += n + (end ? 5 : 0);
	}
	return 0;
}
