/*
 * fuzz_sipstack: SIP datagrams through the whole SIP layer (sofia's nua
 * under transport/sip.c, its auth and INFO handling) and into handlers
 * that act as mcu/sipcalls.c does: an INVITE's offer is answered with
 * transport/sdp (200 + answer, or 488), some calls are challenged or
 * refused, re-INVITEs are answered, INFO keys are checked.
 *
 * One SIP stack per process listens on 127.0.0.1 UDP (a free port found
 * at start). Input: datagrams separated by lines "===" ("\n===\n"); each
 * is sent from one client socket, then an out-of-dialog INFO is sent
 * and its answer awaited: the SIP thread handles datagrams in order, so
 * the answer means the fuzzed one was handled. In a datagram "$PORT"
 * becomes the client's port (so a Via can bring answers back) and "$TAG"
 * the To tag of the last answer received, so a seed can carry a dialog
 * past the INVITE (ACK, INFO, re-INVITE, BYE). Answers sent elsewhere do
 * not matter.
 *
 * Checked: what the handlers get is well formed (strings present, the
 * SDP NUL-terminated at its length, known enums, keys from the DTMF set),
 * the stack keeps answering, and it never looks up a host name with a
 * blocking call (tests/lib/sofia_lookup.h: a name from an input that got
 * there would freeze the stack for as long as DNS takes).
 *
 * Speed (issue 9 wants millions of executions): the stack is started once
 * per process and each input ends with a cheap reset instead of a new
 * stack (sofia's shutdown alone takes up to 5 s). The client acts as a
 * well-behaved peer so that nothing an input started outlives it: every
 * 2xx to an INVITE is ACKed, every BYE from the stack answered 200, every
 * call still up at the end hung up through the API the call layer uses.
 * Without that, calls left unconfirmed piled up over a campaign (32 s of
 * 200 OK retransmissions each, confirmed ones forever), every sync had to
 * wade through their retransmissions and memory grew without bound. An
 * INVITE's final answer is awaited with a second INFO round trip, not
 * a sleep.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* memmem */
#endif
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <strings.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "tests/lib/sofia_lookup.h"
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

/* Calls the handlers hold (as mcu/sipcalls.c does until their final
   event): filled on the SIP thread, hung up by the reset. */
#define MAX_LIVE 256
static pthread_mutex_t live_lock = PTHREAD_MUTEX_INITIALIZER;
static struct mcu_sip_call *live[MAX_LIVE]; /* live_lock */
static size_t n_live;                       /* live_lock */

/* 2xx answers to INVITEs seen in this input: ACKed by the reset. */
#define MAX_ACKS 16
static char acks[MAX_ACKS][4096];
static size_t n_acks;
static unsigned acks_sent; /* ACKs sent in this sync (report_kinds) */

/*
 * The last inputs, oldest first, so that a stop no single input
 * reproduces can be replayed in order: `fuzz_sipstack DIR/in-*` runs
 * files in the order given.
 */
#define HISTORY 256
static struct {
	uint8_t *p;
	size_t n;
} hist[HISTORY];
static unsigned long n_hist;  /* inputs seen */
static unsigned long n_eintr; /* receives interrupted by a signal */

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
	CHECK(pthread_mutex_lock(&live_lock) == 0);
	if (n_live < MAX_LIVE)
		live[n_live++] = mcu_sip_call_get(call);
	CHECK(pthread_mutex_unlock(&live_lock) == 0);

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

static void forget(struct mcu_sip_call *call)
{
	CHECK(pthread_mutex_lock(&live_lock) == 0);
	for (size_t i = 0; i < n_live; i++) {
		if (live[i] == call) {
			mcu_sip_call_put(call);
			live[i] = live[--n_live];
			break;
		}
	}
	CHECK(pthread_mutex_unlock(&live_lock) == 0);
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
		forget(call);
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
	/* The SIP thread is gone: what it did not end is ours to drop. */
	while (n_live)
		mcu_sip_call_put(live[--n_live]);
	if (cli >= 0)
		close(cli);
	cli = -1;
	if (n_eintr)
		fprintf(stderr,
		        "fuzz_sipstack: %lu receives interrupted by a signal "
		        "(EINTR) were resumed\n",
		        n_eintr);
	for (size_t i = 0; i < HISTORY; i++) {
		free(hist[i].p);
		hist[i].p = NULL;
	}
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
	sofia_lookup_fatal = true;
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

/*
 * The value of the first header NAME (full form) of a message from the
 * stack, into out; false when it has none or it does not fit.
 */
static bool header(const char *msg, const char *name, char *out, size_t size)
{
	size_t nl = strlen(name);
	for (const char *p = strstr(msg, "\r\n"); p; p = strstr(p + 2, "\r\n")) {
		const char *h = p + 2;
		if (h[0] == '\r')
			return false; /* end of the head */
		if (strncasecmp(h, name, nl) != 0 || h[nl] != ':')
			continue;
		h += nl + 1;
		while (*h == ' ')
			h++;
		size_t n = strcspn(h, "\r");
		if (n >= size)
			return false;
		memcpy(out, h, n);
		out[n] = '\0';
		return true;
	}
	return false;
}

/* 200 OK to a request from the stack (a BYE of a call hung up). */
static void answer_request(const char *req)
{
	char via[512], from[512], to[512], cid[512], cseq[128], msg[4096];
	if (!header(req, "Via", via, sizeof(via)) ||
	    !header(req, "From", from, sizeof(from)) ||
	    !header(req, "To", to, sizeof(to)) ||
	    !header(req, "Call-ID", cid, sizeof(cid)) ||
	    !header(req, "CSeq", cseq, sizeof(cseq)))
		return;
	int n = snprintf(msg, sizeof(msg),
	                 "SIP/2.0 200 OK\r\nVia: %s\r\nFrom: %s\r\nTo: %s\r\n"
	                 "Call-ID: %s\r\nCSeq: %s\r\nContent-Length: 0\r\n\r\n",
	                 via, from, to, cid, cseq);
	if (n > 0 && (size_t)n < sizeof(msg))
		send_to_stack(msg, (size_t)n);
}

/* ACK of a final answer to an INVITE: for a 2xx its own transaction
   (RFC 3261 13.2.2.4), else hop by hop with the INVITE's Via (17.1.1.3). */
static void send_ack(const char *resp)
{
	char via[512], from[512], to[512], cid[512], cseq[128], msg[4096];
	bool ok2xx = resp[8] == '2';
	if (!header(resp, "From", from, sizeof(from)) ||
	    !header(resp, "To", to, sizeof(to)) ||
	    !header(resp, "Call-ID", cid, sizeof(cid)) ||
	    !header(resp, "CSeq", cseq, sizeof(cseq)))
		return;
	if (ok2xx)
		snprintf(via, sizeof(via),
		         "SIP/2.0/UDP 127.0.0.1:%u;rport;branch=z9hG4bK-ack%u",
		         cli_port, ++serial);
	else if (!header(resp, "Via", via, sizeof(via)))
		return;
	unsigned long num = strtoul(cseq, NULL, 10);
	int n = snprintf(msg, sizeof(msg),
	                 "ACK sip:127.0.0.1:%u SIP/2.0\r\nVia: %s\r\n"
	                 "Max-Forwards: 70\r\nFrom: %s\r\nTo: %s\r\n"
	                 "Call-ID: %s\r\nCSeq: %lu ACK\r\n"
	                 "Content-Length: 0\r\n\r\n",
	                 sip_port, via, from, to, cid, num);
	if (n > 0 && (size_t)n < sizeof(msg)) {
		send_to_stack(msg, (size_t)n);
		acks_sent++;
	}
}

/* Whatever the stack sent us, seen by every receive loop. */
static void from_stack(const char *buf)
{
	if (strncmp(buf, "SIP/2.0 ", 8) != 0) {
		if (!strncmp(buf, "BYE ", 4) || !strncmp(buf, "OPTIONS ", 8))
			answer_request(buf);
		return;
	}
	note_tag(buf);
	if (buf[8] < '2' || !strstr(buf, " INVITE\r\n"))
		return;
	invite_answered = true;
	if (buf[8] != '2') {
		send_ack(buf);
	} else if (n_acks < MAX_ACKS && strlen(buf) < sizeof(acks[0])) {
		memcpy(acks[n_acks++], buf, strlen(buf) + 1);
	}
}

static void remember(const uint8_t *p, size_t n)
{
	unsigned k = (unsigned)(n_hist++ % HISTORY);
	uint8_t *q = realloc(hist[k].p, n ? n : 1);
	CHECK(q);
	memcpy(q, p, n);
	hist[k].p = q;
	hist[k].n = n;
}

static void save_history(void)
{
	const char *dir = getenv("FUZZ_SIPSTACK_HISTORY");
	char path[512];
	unsigned long first = n_hist > HISTORY ? n_hist - HISTORY : 0;

	if (!dir || !dir[0])
		return;
	for (unsigned long i = first; i < n_hist; i++) {
		snprintf(path, sizeof(path), "%s/in-%08lu", dir, i);
		FILE *f = fopen(path, "wb");
		if (!f)
			return;
		fwrite(hist[i % HISTORY].p, 1, hist[i % HISTORY].n, f);
		fclose(f);
	}
	fprintf(stderr, "fuzz_sipstack: the last %lu inputs are in %s/in-*\n",
	        n_hist - first, dir);
}

/* One line of /proc/net/udp per socket of ours: queues and drops. */
static void dump_udp(void)
{
	char line[512], mine[2][8];
	FILE *f = fopen("/proc/net/udp", "r");
	if (!f)
		return;
	snprintf(mine[0], sizeof(mine[0]), ":%04X", sip_port);
	snprintf(mine[1], sizeof(mine[1]), ":%04X", cli_port);
	while (fgets(line, sizeof(line), f)) {
		char *local = strchr(line, ':'); /* "sl:" */
		if (!local)
			continue;
		local = strchr(local + 1, ':'); /* local address's port */
		if (local && (!strncmp(local, mine[0], 5) ||
		              !strncmp(local, mine[1], 5)))
			fprintf(stderr, "  udp %s", line);
	}
	fclose(f);
}

/* Each thread: name, state, where it sleeps in the kernel. */
static void dump_threads(void)
{
	DIR *d = opendir("/proc/self/task");
	struct dirent *e;
	char path[300], comm[64], stat[512], wchan[64];

	if (!d)
		return;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		comm[0] = stat[0] = wchan[0] = '\0';
		FILE *f;
		snprintf(path, sizeof(path), "/proc/self/task/%s/comm",
		         e->d_name);
		if ((f = fopen(path, "r"))) {
			if (!fgets(comm, sizeof(comm), f))
				comm[0] = '\0';
			fclose(f);
		}
		comm[strcspn(comm, "\n")] = '\0';
		snprintf(path, sizeof(path), "/proc/self/task/%s/stat",
		         e->d_name);
		if ((f = fopen(path, "r"))) {
			if (!fgets(stat, sizeof(stat), f))
				stat[0] = '\0';
			fclose(f);
		}
		const char *st = strrchr(stat, ')');
		/* schedstat: ns on a CPU, ns waiting on a run queue */
		unsigned long long on_cpu = 0, run_wait = 0;
		snprintf(path, sizeof(path), "/proc/self/task/%s/schedstat",
		         e->d_name);
		if ((f = fopen(path, "r"))) {
			if (fscanf(f, "%llu %llu", &on_cpu, &run_wait) != 2)
				on_cpu = run_wait = 0;
			fclose(f);
		}
		snprintf(path, sizeof(path), "/proc/self/task/%s/wchan",
		         e->d_name);
		if ((f = fopen(path, "r"))) {
			if (!fgets(wchan, sizeof(wchan), f))
				wchan[0] = '\0';
			fclose(f);
		}
		fprintf(stderr,
		        "  thread %s %s state %c wchan %s, on CPU %.3f s, "
		        "runnable but waiting for a CPU %.3f s\n",
		        e->d_name, comm, st && st[1] ? st[2] : '?', wchan,
		        (double)on_cpu / 1e9, (double)run_wait / 1e9);
	}
	closedir(d);
}

/*
 * The sync has waited long: say what we hold and what every thread is
 * doing (once per sync, and when it gives up). A thread in state R with
 * empty socket queues is starved of CPU, not stuck. When it gives up
 * (final) and FUZZ_SIPSTACK_GDB=1, also every thread's stack through gdb
 * (not at 5 s: attaching to an ASan binary on a loaded machine took
 * longer than libFuzzer's -timeout).
 */
static void dump_state(const char *want, double waited, double cpu,
                       bool final)
{
	char load[128] = "?";
	FILE *lf = fopen("/proc/loadavg", "r");
	if (lf) {
		if (!fgets(load, sizeof(load), lf))
			snprintf(load, sizeof(load), "?\n");
		fclose(lf);
	}
	fprintf(stderr,
	        "fuzz_sipstack: %.1f s without an answer to %s (input %lu); "
	        "2xx to ACK %zu, last To tag %s, receives resumed after "
	        "EINTR %lu; process CPU in the wait %.3f s; load average %s",
	        waited, want, n_hist, n_acks, last_tag, n_eintr, cpu, load);
	if (pthread_mutex_trylock(&live_lock) == 0) {
		fprintf(stderr, "  calls held: %zu\n", n_live);
		for (size_t i = 0; i < n_live; i++)
			fprintf(stderr, "  call %s\n", mcu_sip_call_label(live[i]));
		pthread_mutex_unlock(&live_lock);
	} else {
		fprintf(stderr, "  calls held: ? (the lock is taken)\n");
	}
	dump_udp();
	dump_threads();
	const char *g = getenv("FUZZ_SIPSTACK_GDB");
	if (final && g && g[0] == '1') {
		char cmd[256];
		snprintf(cmd, sizeof(cmd),
		         "gdb -p %d -batch -nx -ex 'thread apply all bt 30' "
		         "</dev/null 2>&1 | grep -v '^\\[New LWP' >&2",
		         (int)getpid());
		if (system(cmd) != 0)
			fprintf(stderr, "  (gdb failed)\n");
	}
}

/*
 * What a sync received instead of its answer, by kind (first line, CSeq,
 * Call-ID), for the report when a sync gives up: a loop between the
 * stack and this client shows as one kind that came thousands of times.
 */
#define KINDS 12
static struct {
	char key[160];
	unsigned n;
} kinds[KINDS];
static unsigned n_kinds, other_kinds;

static void count_kind(const char *buf)
{
	char cseq[40] = "?", cid[1024] = "?", key[160];
	header(buf, "CSeq", cseq, sizeof(cseq));
	header(buf, "Call-ID", cid, sizeof(cid));
	snprintf(key, sizeof(key), "%.*s | CSeq %s | Call-ID %.40s",
	         (int)strcspn(buf, "\r\n"), buf, cseq, cid);
	for (unsigned k = 0; k < n_kinds; k++) {
		if (!strcmp(kinds[k].key, key)) {
			kinds[k].n++;
			return;
		}
	}
	if (n_kinds == KINDS) {
		other_kinds++;
		return;
	}
	memcpy(kinds[n_kinds].key, key, sizeof(key));
	kinds[n_kinds++].n = 1;
}

static void report_kinds(void)
{
	fprintf(stderr, "  received instead, by kind (ACKs sent: %u):\n",
	        acks_sent);
	for (unsigned k = 0; k < n_kinds; k++)
		fprintf(stderr, "  %5u x %s\n", kinds[k].n, kinds[k].key);
	if (other_kinds)
		fprintf(stderr, "  %5u of other kinds\n", other_kinds);
}

/*
 * INFO out of dialog; true once its answer came back. sofia's stack runs
 * in a thread of its own and hands events to the SIP thread of
 * transport/sip.c through a queue: an OPTIONS is answered by the stack
 * alone, an INFO outside a dialog by our SIP thread (481) after every
 * event queued before it, so its answer means the fuzzed datagram was
 * handled up there too.
 */
static bool sync_stack(void)
{
	char msg[512], want[64], buf[8192];
	unsigned id = ++serial;
	int n = snprintf(msg, sizeof(msg),
	                 "INFO sip:127.0.0.1:%u SIP/2.0\r\n"
	                 "Via: SIP/2.0/UDP 127.0.0.1:%u;rport;branch=z9hG4bK-"
	                 "sync%u\r\n"
	                 "Max-Forwards: 70\r\n"
	                 "From: <sip:fuzz@127.0.0.1>;tag=s%u\r\n"
	                 "To: <sip:mcu@127.0.0.1>\r\n"
	                 "Call-ID: fuzz-sync-%u\r\n"
	                 "CSeq: 1 INFO\r\n"
	                 "Content-Length: 0\r\n\r\n",
	                 sip_port, cli_port, id, id, id);
	snprintf(want, sizeof(want), "fuzz-sync-%u\r", id);
	send_to_stack(msg, (size_t)n);
	/* 20 s: a campaign at nice 19 on a loaded machine may not run the
	   stack's threads for seconds; a stack that really hangs is caught
	   sooner by libFuzzer's -timeout. Over UDP a datagram may be lost
	   (a socket buffer full of the stack's retransmissions): the INFO is
	   sent again every 2 s, as a SIP client would (the same
	   transaction: the stack answers it again). What arrives meanwhile
	   is no verdict either: final answers to INVITEs whose ACK cannot
	   match (mutated Vias, Request-URIs) are retransmitted for 32 s each,
	   hundreds of transactions at once; a CPU-starved stack sends them in
	   bursts of thousands (a cap of 1000 datagrams a sync stopped three
	   workers, each at a load spike). A loop between the stack and this
	   client would keep coming for the 20 s and shows in the report. */
	struct timespec t0, t, c0, c;
	bool dumped = false;
	int shown = 0;
	unsigned long got = 0;
	double sent_at = 0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c0);
	n_kinds = other_kinds = acks_sent = 0;
	for (;;) {
		ssize_t r;
		/* libFuzzer's -timeout runs on SIGALRM (every timeout/2 + 1
		   s; no SA_RESTART, and SO_RCVTIMEO sockets fail with EINTR
		   anyway): an interrupted receive is no verdict on the stack.
		   Taken for one, it stopped campaigns with "no answer" after
		   0.2 s while both SIP threads sat idle in epoll_wait. */
		while ((r = recv(cli, buf, sizeof(buf) - 1, 0)) < 0 &&
		       errno == EINTR)
			n_eintr++;
		int err = errno;
		clock_gettime(CLOCK_MONOTONIC, &t);
		double waited = (double)(t.tv_sec - t0.tv_sec) +
		                (double)(t.tv_nsec - t0.tv_nsec) / 1e9;
		double cpu = 0;
		if (waited > 5 && !clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c))
			cpu = (double)(c.tv_sec - c0.tv_sec) +
			      (double)(c.tv_nsec - c0.tv_nsec) / 1e9;
		if (waited > 5 && !dumped) {
			dump_state(want, waited, cpu, false);
			dumped = true;
		}
		if (r >= 0) {
			buf[r] = '\0';
			if (!strncmp(buf, "SIP/2.0 ", 8) && strstr(buf, want))
				return true;
		}
		if ((r < 0 && err != EAGAIN) || waited >= 20) {
			fprintf(stderr,
			        "fuzz_sipstack: no answer to %s in %.1f s (%s); "
			        "%lu other datagrams came meanwhile\n",
			        want, waited, r < 0 ? strerror(err) : "timeout",
			        got);
			dump_state(want, waited, cpu, true);
			report_kinds();
			save_history();
			return false;
		}
		if (waited - sent_at >= 2) {
			send_to_stack(msg, (size_t)n);
			sent_at = waited;
		}
		if (r < 0)
			continue;
		got++;
		/* After the dump, what keeps coming instead (a few). */
		if (dumped && shown < 12) {
			char cid[128] = "?";
			header(buf, "Call-ID", cid, sizeof(cid));
			fprintf(stderr, "  got %zd bytes: %.*s | Call-ID %s\n", r,
			        (int)strcspn(buf, "\r\n"), buf, cid);
			shown++;
		}
		count_kind(buf);
		from_stack(buf);
	}
}

/*
 * End of an input: ACK the 2xx answers, hang up what is still up (the
 * stack sends BYE or 480, answered by from_stack() here or in the next
 * input's loops) and sync, so that the next input starts from a stack
 * with no call of this one left (but for peers a mutated Contact sent
 * elsewhere: sofia ends those on its timers).
 */
static void reset(void)
{
	struct mcu_sip_call *calls[MAX_LIVE];
	size_t n = 0;

	for (size_t i = 0; i < n_acks; i++)
		send_ack(acks[i]);
	n_acks = 0;
	CHECK(pthread_mutex_lock(&live_lock) == 0);
	for (size_t i = 0; i < n_live; i++)
		calls[n++] = mcu_sip_call_get(live[i]);
	CHECK(pthread_mutex_unlock(&live_lock) == 0);
	for (size_t i = 0; i < n; i++) {
		mcu_sip_call_hangup(calls[i]);
		mcu_sip_call_put(calls[i]);
	}
	if (n)
		CHECK(sync_stack());
	snprintf(last_tag, sizeof(last_tag), "none");
}

/*
 * Wait until the stack handled every datagram sent so far: one sync
 * (the SIP thread takes datagrams in order), and when an INVITE went out
 * and its final answer has not come back, one more: a handler's answer is
 * a command the SIP thread queued to itself while handling the INVITE,
 * one more round trip through that thread brings it (for the $TAG of a
 * later datagram, and the ACK of a 2xx). Datagrams with nothing to wait
 * for go out back to back: a round trip per datagram had made every
 * input cost about seven.
 */
static void sync_sent(bool *unsynced, bool *invite_sent)
{
	CHECK(sync_stack());
	if (*invite_sent && !invite_answered)
		CHECK(sync_stack());
	*unsynced = *invite_sent = false;
}

/*
 * libFuzzer's per-input leak check (-detect_leaks=1, its default) runs
 * LeakSanitizer over the whole heap and the input once more whenever an
 * input mallocs more than it frees; here the SIP threads free a call's
 * memory after the input returned, so it ran after nearly every input
 * (6 exec/s instead of 200 on the loaded machine) without ever finding
 * a leak that the exit check (and the ASan replay in ctest) would not.
 * Off unless asked for on the command line.
 */
#include "tests/fuzz/no_leak_scan.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int started = -1;
	static const char sep[] = "\n===\n";

	if (started < 0)
		started = start();
	if (started != 0 || size > 60000)
		return 0;
	remember(data, size);
	bool unsynced = false, invite_sent = false;
	for (size_t off = 0; off < size;) {
		const uint8_t *end = memmem(data + off, size - off, sep, 5);
		size_t n = end ? (size_t)(end - (data + off)) : size - off;
		if (n) {
			/* $TAG needs the answers to what went before. */
			if (unsynced && memmem(data + off, n, "$TAG", 4))
				sync_sent(&unsynced, &invite_sent);
			size_t fn;
			char *msg = fill(data + off, n, &fn);
			if (n > 7 && !memcmp(data + off, "INVITE ", 7)) {
				invite_answered = false;
				invite_sent = true;
			}
			send_to_stack(msg, fn);
			free(msg);
			unsynced = true;
		}
		off += n + (end ? 5 : 0);
	}
	/* The stack must still answer (a hang or a dead thread fails). */
	if (unsynced)
		sync_sent(&unsynced, &invite_sent);
	reset();
	return 0;
}
