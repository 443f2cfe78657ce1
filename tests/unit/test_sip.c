/* test-libs: mcu_conf mcu_transport */
/*
 * The SIP layer against a real peer: sipp (Debian sip-tester) runs the
 * scenarios of tests/data/sip/ against an mcu_sip on 127.0.0.1, or acts as
 * the UAS our dial-outs reach. Also the digest/nonce/DTMF helpers and a
 * TLS OPTIONS with a certificate made by openssl at test time.
 */
#include <arpa/inet.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <openssl/ssl.h>
#include <sofia-sip/nua.h>

#include "tests/lib/sofia_lookup.h"
#include "tests/unit/testutil.h"
#include "transport/sdp.h"
#include "transport/sip.h"
#include "transport/sip_auth.h"

/* The external leaks of tests/lsan.supp, for runs without LSAN_OPTIONS. */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void)
{
	return "leak:tls_init_secondary\n"
	       "leak:su_pthread_port_thread\n"
	       "leak:su_epoll_port_create\n";
}

/* sofia is built without frame pointers: full unwinding lets the
   suppressions above see the sofia frames. */
const char *__asan_default_options(void);
const char *__asan_default_options(void)
{
	return "fast_unwind_on_malloc=0";
}

/*
 * sofia's stack thread reports each event through nua_stack_event(), which
 * copies the event's reason phrase. Its calls go through the PLT, so this
 * definition takes their place: it waits 5 ms before passing on an error
 * whose phrase starts "Refused " (reject_phrases' own) or is the one of an
 * INVITE whose body holds a NUL (nul_body_refused), long enough for the
 * SIP thread to see the call end first. It made the use-after-free CI
 * once caught (a phrase freed with its call) happen every time under ASan,
 * and the one fuzz_sipstack found after it (the same with a phrase kept in
 * the call itself). It also counts the final results of our BYEs
 * (hangup_repeated).
 */
static atomic_int bye_results; /* final results of our BYEs, all calls */

typedef int stack_event_fn(void *nua, void *nh, void *msg, int event,
                           int status, const char *phrase, const void *tags);
int nua_stack_event(void *nua, void *nh, void *msg, int event, int status,
                    const char *phrase, const void *tags);
int nua_stack_event(void *nua, void *nh, void *msg, int event, int status,
                    const char *phrase, const void *tags)
{
	static stack_event_fn *real;
	if (!real)
		*(void **)&real = dlsym(RTLD_NEXT, "nua_stack_event");
	if (event == nua_r_bye && status >= 200)
		atomic_fetch_add(&bye_results, 1);
	if (status >= 300 && phrase &&
	    (!strncmp(phrase, "Refused ", 8) ||
	     !strcmp(phrase, "Malformed SDP: NUL byte in body")))
		usleep(5000);
	return real(nua, nh, msg, event, status, phrase, tags);
}

enum policy {
	P_ANSWER = 0,
	P_ANSWER_PING,
	P_REJECT,
	P_RING,
	P_AUTH,
	P_REJECT_USER, /* 403 with a phrase naming the caller's user part */
};

#define MAX_EV 64

static struct rec {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	enum policy policy;
	struct mcu_sip_call *call;   /* last incoming call, a reference */
	int n_incoming;
	enum mcu_sip_auth auth[4];
	char from_user[64], src_addr[64];
	enum mcu_sip_event_type ev[MAX_EV];
	const struct mcu_sip_call *ev_call[MAX_EV]; /* compared, never used */
	int ev_status[MAX_EV];
	enum mcu_sip_cause ev_cause[MAX_EV];
	bool ev_sdp[MAX_EV];
	int n_ev;
	char answer_sdp[2048];
	enum mcu_sdp_dir reinv_dir[8];
	int n_reinv;
	char digits[16];
	int n_digits;
} R = {.lock = PTHREAD_MUTEX_INITIALIZER, .cond = PTHREAD_COND_INITIALIZER};

static void lock(void)
{
	assert_int_equal(pthread_mutex_lock(&R.lock), 0);
}

static void unlock(void)
{
	assert_int_equal(pthread_cond_broadcast(&R.cond), 0);
	assert_int_equal(pthread_mutex_unlock(&R.lock), 0);
}

/* Our answer to an SDP offer, or 488. */
static void answer_call(struct mcu_sip_call *call, const char *sdp)
{
	struct mcu_sdp_session *s = NULL;
	struct mcu_sdp_caps caps;
	mcu_sdp_caps_default(&caps);
	struct mcu_sdp_local l = {.addr = "127.0.0.1", .audio_port = 40000,
	                          .video_port = 40002, .sess_id = 7,
	                          .sess_version = (uint64_t)R.n_reinv + 1};
	struct mcu_sdp_neg neg;
	char *answer = NULL;
	int err = sdp ? mcu_sdp_parse(&s, sdp, strlen(sdp)) : EINVAL;
	if (!err)
		err = mcu_sdp_answer(s, &caps, &l, &neg, &answer);
	if (err)
		mcu_sip_call_respond(call, mcu_sdp_sip_status(err), NULL, NULL);
	else
		mcu_sip_call_respond(call, 200, NULL, answer);
	free(answer);
	mcu_sdp_free(s);
}

static void on_incoming(struct mcu_sip_call *call,
                        const struct mcu_sip_incoming *in, void *arg)
{
	(void)arg;
	lock();
	if (R.call)
		mcu_sip_call_put(R.call);
	/* a refused call is not kept: its end frees it, as in mcud */
	R.call = R.policy == P_REJECT_USER ? NULL : mcu_sip_call_get(call);
	if (R.n_incoming < 4)
		R.auth[R.n_incoming] = in->auth;
	R.n_incoming++;
	snprintf(R.from_user, sizeof(R.from_user), "%s", in->from_user);
	snprintf(R.src_addr, sizeof(R.src_addr), "%s", in->src_addr);
	enum policy p = R.policy;
	unlock();
	switch (p) {
	case P_ANSWER:
	case P_ANSWER_PING:
		answer_call(call, in->sdp);
		break;
	case P_REJECT:
		mcu_sip_call_respond(call, 403,
		                     "Not a participant of this meeting", NULL);
		break;
	case P_REJECT_USER: {
		char phrase[96];
		snprintf(phrase, sizeof(phrase), "Refused %s", in->from_user);
		mcu_sip_call_respond(call, 403, phrase, NULL);
		break;
	}
	case P_RING:
		mcu_sip_call_respond(call, 180, NULL, NULL);
		break;
	case P_AUTH:
		if (in->auth == MCU_SIP_AUTH_NONE)
			mcu_sip_call_challenge(call, false);
		else if (mcu_sip_call_auth_check(call, "alice", "secret") == 0)
			answer_call(call, in->sdp);
		else
			mcu_sip_call_respond(call, 403, "Bad credentials",
			                     NULL);
		break;
	}
}

static void on_event(struct mcu_sip_call *call, const struct mcu_sip_event *ev,
                     void *arg)
{
	(void)arg;
	lock();
	if (R.n_ev < MAX_EV) {
		R.ev[R.n_ev] = ev->type;
		R.ev_call[R.n_ev] = call;
		R.ev_status[R.n_ev] = ev->status;
		R.ev_cause[R.n_ev] = ev->cause;
		R.ev_sdp[R.n_ev] = ev->sdp != NULL;
		R.n_ev++;
	}
	if (ev->type == MCU_SIP_EV_ANSWERED && ev->sdp)
		snprintf(R.answer_sdp, sizeof(R.answer_sdp), "%s", ev->sdp);
	bool ping = ev->type == MCU_SIP_EV_CONFIRMED &&
	            R.policy == P_ANSWER_PING;
	unlock();
	if (ping)
		assert_int_equal(mcu_sip_call_ping(call), 0);
}

static void on_reinvite(struct mcu_sip_call *call, const char *sdp,
                        size_t len, void *arg)
{
	(void)arg;
	struct mcu_sdp_session *s = NULL;
	enum mcu_sdp_dir d = MCU_SDP_DIR_UNSET;
	if (sdp && mcu_sdp_parse(&s, sdp, len) == 0 && s->n_media)
		d = mcu_sdp_media_dir(s, &s->media[0]);
	mcu_sdp_free(s);
	lock();
	if (R.n_reinv < 8)
		R.reinv_dir[R.n_reinv] = d;
	R.n_reinv++;
	unlock();
	answer_call(call, sdp);
}

static void on_dtmf(struct mcu_sip_call *call, char digit, unsigned dur,
                    void *arg)
{
	(void)call;
	(void)arg;
	(void)dur;
	lock();
	if (R.n_digits < 15)
		R.digits[R.n_digits++] = digit;
	unlock();
}

static const struct mcu_sip_handlers handlers = {
	.incoming = on_incoming,
	.event = on_event,
	.reinvite = on_reinvite,
	.dtmf = on_dtmf,
};

static void reset(enum policy p)
{
	lock();
	if (R.call)
		mcu_sip_call_put(R.call);
	R.call = NULL;
	R.policy = p;
	R.n_incoming = R.n_ev = R.n_reinv = R.n_digits = 0;
	memset(R.digits, 0, sizeof(R.digits));
	R.answer_sdp[0] = '\0';
	unlock();
}

/* Index of the first event of a type (of one call, or of any when call
   is NULL), waiting up to ms; -1 if none.  Both stacks of a test report
   to R: a rejected dial-out ends on both sides, so a test that needs the
   caller's own ending names its call. */
static int wait_call_event(const struct mcu_sip_call *call,
                           enum mcu_sip_event_type type, int ms)
{
	struct timespec dl;
	clock_gettime(CLOCK_REALTIME, &dl);
	dl.tv_sec += ms / 1000;
	dl.tv_nsec += (long)(ms % 1000) * 1000000;
	if (dl.tv_nsec >= 1000000000) {
		dl.tv_sec++;
		dl.tv_nsec -= 1000000000;
	}
	assert_int_equal(pthread_mutex_lock(&R.lock), 0);
	int found = -1;
	for (;;) {
		for (int i = 0; i < R.n_ev && found < 0; i++)
			if (R.ev[i] == type &&
			    (!call || R.ev_call[i] == call))
				found = i;
		if (found >= 0)
			break;
		int e = pthread_cond_timedwait(&R.cond, &R.lock, &dl);
		if (e == ETIMEDOUT)
			break;
		assert_int_equal(e, 0);
	}
	assert_int_equal(pthread_mutex_unlock(&R.lock), 0);
	return found;
}

static int wait_event(enum mcu_sip_event_type type, int ms)
{
	return wait_call_event(NULL, type, ms);
}

/* A port free for both UDP and TCP on 127.0.0.1. */
static uint16_t free_port(void)
{
	for (int tries = 0; tries < 50; tries++) {
		int u = socket(AF_INET, SOCK_DGRAM, 0);
		struct sockaddr_in a = {.sin_family = AF_INET};
		a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		socklen_t al = sizeof(a);
		assert_true(u >= 0);
		assert_int_equal(bind(u, (struct sockaddr *)&a, sizeof(a)), 0);
		assert_int_equal(getsockname(u, (struct sockaddr *)&a, &al), 0);
		int t = socket(AF_INET, SOCK_STREAM, 0);
		int ok = bind(t, (struct sockaddr *)&a, sizeof(a)) == 0;
		close(t);
		close(u);
		if (ok)
			return ntohs(a.sin_port);
	}
	fail_msg("no free port");
	return 0;
}

static bool have_sipp(void)
{
	return system("command -v sipp >/dev/null 2>&1") == 0;
}

/* mcu_sip_alloc() on the ports of l[], picking fresh ones when they are
   taken: free_port() only finds a port free at that moment, and the tests
   running beside this one pick theirs the same way. Entries that shared a
   port share the new one. */
static void alloc_on_free_ports(struct mcu_sip **sip,
                                struct mcu_sip_config *cfg,
                                struct mcu_sip_listen *l)
{
	int rc = -1;
	for (int tries = 0; tries < 10 && rc != 0; tries++) {
		if (tries > 0) {
			for (size_t i = 0; i < cfg->n_listen; i++) {
				uint16_t old = l[i].port, port = free_port();
				for (size_t j = i; j < cfg->n_listen; j++)
					if (l[j].port == old)
						l[j].port = port;
			}
		}
		rc = mcu_sip_alloc(sip, cfg, &handlers);
	}
	assert_int_equal(rc, 0);
}

/* A stack on UDP and TCP at *port (another if that one is taken). */
static struct mcu_sip *start(uint16_t *port)
{
	struct mcu_sip_listen l[2] = {
		{MCU_SIP_UDP, "127.0.0.1", *port},
		{MCU_SIP_TCP, "127.0.0.1", *port},
	};
	struct mcu_sip_config cfg = {.listen = l, .n_listen = 2,
	                             .domain = "mcu.test"};
	struct mcu_sip *sip = NULL;
	alloc_on_free_ports(&sip, &cfg, l);
	*port = l[0].port;
	return sip;
}

static pid_t spawn(const char *const *argv)
{
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int devnull = open("/dev/null", O_RDWR);
		dup2(devnull, 0);
		dup2(devnull, 1);
		if (!getenv("MCU_TEST_VERBOSE"))
			dup2(devnull, 2);
		execvp(argv[0], (char *const *)argv);
		_exit(127);
	}
	return pid;
}

static int reap(pid_t pid)
{
	int st = 0;
	assert_int_equal(waitpid(pid, &st, 0), pid);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* Run a UAC scenario against port; returns sipp's exit code. */
static int run_uac(const char *scenario, uint16_t port, const char *au,
                   const char *ap)
{
	char target[64], sf[512], auri[96];
	snprintf(target, sizeof(target), "127.0.0.1:%u", port);
	snprintf(sf, sizeof(sf), "%s", mcu_test_src(scenario));
	/* The scenarios' Request-URI (sipp puts "sip:" before it): its default
	   digest uri lacks the user part the digest must bind. */
	snprintf(auri, sizeof(auri), "room@127.0.0.1:%u", port);
	const char *argv[] = {"sipp", target, "-sf", sf, "-m", "1",
	                      "-i", "127.0.0.1", "-nostdin", "-timeout",
	                      "20s", "-timeout_error", "-au",
	                      au ? au : "x", "-ap", ap ? ap : "x",
	                      "-auth_uri", auri, NULL};
	return reap(spawn(argv));
}

static void count_event(enum mcu_sip_event_type type, int *n)
{
	lock();
	*n = 0;
	for (int i = 0; i < R.n_ev; i++)
		*n += R.ev[i] == type;
	unlock();
}

#define NEED_SIPP()                                                            \
	do {                                                                   \
		if (!have_sipp())                                              \
			skip();                                                \
	} while (0)

static void answer_ack_ping_bye(void **state)
{
	(void)state;
	NEED_SIPP();
	reset(P_ANSWER_PING);
	uint16_t port = free_port();
	struct mcu_sip *sip = start(&port);
	assert_int_equal(run_uac("tests/data/sip/answer.xml", port, NULL, NULL),
	                 0);
	int t = wait_event(MCU_SIP_EV_TERMINATED, 3000);
	assert_true(t >= 0);
	assert_int_equal(R.ev_cause[t], MCU_SIP_CAUSE_REMOTE_BYE);
	int a = wait_event(MCU_SIP_EV_ANSWERED, 0);
	int c = wait_event(MCU_SIP_EV_CONFIRMED, 0);
	int p = wait_event(MCU_SIP_EV_PING, 0);
	assert_true(a >= 0 && a < c && c < t && p >= 0);
	assert_int_equal(R.ev_status[p], 200);
	assert_string_equal(R.from_user, "ubnd-a");
	assert_string_equal(R.src_addr, "127.0.0.1");
	assert_int_equal(R.auth[0], MCU_SIP_AUTH_NONE);
	int finals = 0;
	count_event(MCU_SIP_EV_TERMINATED, &finals);
	assert_int_equal(finals, 1);
	/* commands on an ended call are accepted and ignored */
	assert_int_equal(mcu_sip_call_hangup(R.call), 0);
	sip = mcu_sip_free(sip);
	reset(P_ANSWER);
}

static void reject_403(void **state)
{
	(void)state;
	NEED_SIPP();
	reset(P_REJECT);
	uint16_t port = free_port();
	struct mcu_sip *sip = start(&port);
	assert_int_equal(run_uac("tests/data/sip/reject.xml", port, NULL, NULL),
	                 0);
	int f = wait_event(MCU_SIP_EV_FAILED, 3000);
	assert_true(f >= 0);
	assert_int_equal(R.ev_status[f], 403);
	assert_true(wait_event(MCU_SIP_EV_ANSWERED, 0) < 0);
	sip = mcu_sip_free(sip);
	reset(P_ANSWER);
}

static void cancel_before_answer(void **state)
{
	(void)state;
	NEED_SIPP();
	reset(P_RING);
	uint16_t port = free_port();
	struct mcu_sip *sip = start(&port);
	assert_int_equal(run_uac("tests/data/sip/cancel.xml", port, NULL, NULL),
	                 0);
	assert_true(wait_event(MCU_SIP_EV_CANCELLED, 3000) >= 0);
	assert_true(wait_event(MCU_SIP_EV_FAILED, 0) < 0);
	sip = mcu_sip_free(sip);
	reset(P_ANSWER);
}

static void digest_auth(void **state)
{
	(void)state;
	NEED_SIPP();
	reset(P_AUTH);
	uint16_t port = free_port();
	struct mcu_sip *sip = start(&port);
	assert_int_equal(run_uac("tests/data/sip/auth_ok.xml", port, "alice",
	                         "secret"),
	                 0);
	assert_true(wait_event(MCU_SIP_EV_TERMINATED, 3000) >= 0);
	assert_int_equal(R.n_incoming, 2);
	assert_int_equal(R.auth[0], MCU_SIP_AUTH_NONE);
	assert_int_equal(R.auth[1], MCU_SIP_AUTH_PRESENT);
	int f = wait_event(MCU_SIP_EV_FAILED, 0);
	assert_int_equal(R.ev_status[f], 401); /* the challenged attempt */
	reset(P_AUTH);
	assert_int_equal(run_uac("tests/data/sip/auth_bad.xml", port, "alice",
	                         "wrong"),
	                 0);
	int n = 0;
	assert_true(wait_event(MCU_SIP_EV_FAILED, 3000) >= 0);
	usleep(200000);
	count_event(MCU_SIP_EV_FAILED, &n);
	assert_int_equal(n, 2);
	assert_int_equal(R.auth[1], MCU_SIP_AUTH_PRESENT);
	assert_true(wait_event(MCU_SIP_EV_ANSWERED, 0) < 0);
	sip = mcu_sip_free(sip);
	reset(P_ANSWER);
}

static void reinvite_hold_resume(void **state)
{
	(void)state;
	NEED_SIPP();
	reset(P_ANSWER);
	uint16_t port = free_port();
	struct mcu_sip *sip = start(&port);
	assert_int_equal(run_uac("tests/data/sip/hold.xml", port, NULL, NULL),
	                 0);
	assert_true(wait_event(MCU_SIP_EV_TERMINATED, 3000) >= 0);
	assert_int_equal(R.n_reinv, 2);
	assert_int_equal(R.reinv_dir[0], MCU_SDP_SENDONLY);
	assert_int_equal(R.reinv_dir[1], MCU_SDP_SENDRECV);
	int n = 0;
	count_event(MCU_SIP_EV_CONFIRMED, &n);
	assert_int_equal(n, 1);
	sip = mcu_sip_free(sip);
}

static void info_dtmf(void **state)
{
	(void)state;
	NEED_SIPP();
	reset(P_ANSWER);
	uint16_t port = free_port();
	struct mcu_sip *sip = start(&port);
	assert_int_equal(run_uac("tests/data/sip/info.xml", port, NULL, NULL),
	                 0);
	assert_true(wait_event(MCU_SIP_EV_TERMINATED, 3000) >= 0);
	assert_string_equal(R.digits, "1#");
	sip = mcu_sip_free(sip);
}

static void options_200(void **state)
{
	(void)state;
	NEED_SIPP();
	reset(P_ANSWER);
	uint16_t port = free_port();
	struct mcu_sip *sip = start(&port);
	assert_int_equal(run_uac("tests/data/sip/options.xml", port, NULL,
	                         NULL),
	                 0);
	assert_int_equal(R.n_incoming, 0);
	sip = mcu_sip_free(sip);
}

static pid_t start_uas(const char *scenario, uint16_t port)
{
	char p[16], sf[512];
	snprintf(p, sizeof(p), "%u", port);
	const char *argv[16] = {"sipp", "-i", "127.0.0.1", "-p", p, "-m", "1",
	                        "-nostdin", "-timeout", "20s",
	                        "-timeout_error"};
	int n = 11;
	if (scenario) {
		snprintf(sf, sizeof(sf), "%s", mcu_test_src(scenario));
		argv[n++] = "-sf";
		argv[n++] = sf;
	} else {
		argv[n++] = "-sn";
		argv[n++] = "uas";
	}
	argv[n] = NULL;
	pid_t pid = spawn(argv);
	usleep(500000); /* let it bind */
	return pid;
}

static void dial_out(void **state)
{
	(void)state;
	NEED_SIPP();
	reset(P_ANSWER);
	uint16_t port = free_port(), uas = free_port();
	struct mcu_sip *sip = start(&port);
	pid_t pid = start_uas(NULL, uas);
	struct mcu_sdp_caps caps;
	mcu_sdp_caps_default(&caps);
	struct mcu_sdp_local l = {.addr = "127.0.0.1", .audio_port = 40000,
	                          .video_port = 40002, .sess_id = 9,
	                          .sess_version = 1};
	char *offer = NULL;
	assert_int_equal(mcu_sdp_offer(&caps, &l, &offer), 0);
	char uri[64];
	snprintf(uri, sizeof(uri), "sip:branch@127.0.0.1:%u", uas);
	struct mcu_sip_call *call = NULL;
	int marker;
	assert_int_equal(mcu_sip_dial(sip, &call, uri, "mcu", "MCU Test", offer,
	                              &marker),
	                 0);
	free(offer);
	assert_ptr_equal(mcu_sip_call_user(call), &marker);
	assert_true(mcu_sip_call_is_outgoing(call));
	int a = wait_event(MCU_SIP_EV_ANSWERED, 5000);
	assert_true(a >= 0);
	assert_true(R.ev_sdp[a]);
	assert_true(wait_event(MCU_SIP_EV_CONFIRMED, 3000) >= 0);
	/* sipp's uas answers PCMU */
	struct mcu_sdp_session *s = NULL;
	assert_int_equal(mcu_sdp_parse(&s, R.answer_sdp, strlen(R.answer_sdp)),
	                 0);
	struct mcu_sdp_neg neg;
	assert_int_equal(mcu_sdp_parse_answer(s, &caps, &neg), 0);
	assert_int_equal(neg.audio.codec, MCU_SDP_PCMU);
	mcu_sdp_free(s);
	assert_int_equal(mcu_sip_call_hangup(call), 0);
	int t = wait_event(MCU_SIP_EV_TERMINATED, 3000);
	assert_true(t >= 0);
	assert_int_equal(R.ev_cause[t], MCU_SIP_CAUSE_LOCAL_BYE);
	assert_int_equal(reap(pid), 0);
	call = mcu_sip_call_put(call);

	/* a UAS that is busy */
	reset(P_ANSWER);
	uas = free_port();
	pid = start_uas("tests/data/sip/uas_486.xml", uas);
	snprintf(uri, sizeof(uri), "sip:branch@127.0.0.1:%u", uas);
	assert_int_equal(mcu_sip_dial(sip, &call, uri, "mcu", NULL, NULL, NULL),
	                 0);
	int f = wait_event(MCU_SIP_EV_FAILED, 5000);
	assert_true(f >= 0);
	assert_int_equal(R.ev_status[f], 486);
	assert_int_equal(reap(pid), 0);
	call = mcu_sip_call_put(call);
	assert_int_equal(mcu_sip_dial(sip, &call, "http://x", "mcu", NULL,
	                              NULL, NULL),
	                 EINVAL);
	assert_int_equal(mcu_sip_dial(sip, &call, uri, "bad\r\nuser", NULL,
	                              NULL, NULL),
	                 EINVAL);
	sip = mcu_sip_free(sip);
}

/* One datagram to the stack; the answer's length (0: none in 1 s). */
/* A UDP socket whose datagrams go to 127.0.0.1:port and whose reads give
   up after `secs` seconds. */
static int udp_to(uint16_t port, int secs)
{
	int s = socket(AF_INET, SOCK_DGRAM, 0);
	assert_true(s >= 0);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	struct timeval tv = {.tv_sec = secs};
	setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	assert_int_equal(connect(s, (struct sockaddr *)&a, sizeof(a)), 0);
	return s;
}

/* The local port a socket from udp_to() sends from. */
static unsigned udp_local_port(int s)
{
	struct sockaddr_in me;
	socklen_t ml = sizeof(me);
	assert_int_equal(getsockname(s, (struct sockaddr *)&me, &ml), 0);
	return ntohs(me.sin_port);
}

static size_t send_udp_bytes(uint16_t port, const void *msg, size_t len,
                             char *reply, size_t size)
{
	int s = udp_to(port, 1);
	assert_true(send(s, msg, len, 0) > 0);
	ssize_t n = recv(s, reply, size - 1, 0);
	reply[n > 0 ? n : 0] = '\0';
	close(s);
	return n > 0 ? (size_t)n : 0;
}

static void send_udp(uint16_t port, const char *msg, char *reply,
                     size_t size)
{
	send_udp_bytes(port, msg, strlen(msg), reply, size);
}

/* A BYE for a dialog that does not exist gets 481 (the stack serves). */
static void bye_gets_481(uint16_t port, const char *branch,
                         const char *call_id)
{
	char msg[512], reply[4096];
	snprintf(msg, sizeof(msg),
	         "BYE sip:room@127.0.0.1 SIP/2.0\r\n"
	         "Via: SIP/2.0/UDP 127.0.0.1:9;branch=z9hG4bK-%s;rport\r\n"
	         "From: <sip:a@127.0.0.1>;tag=1\r\n"
	         "To: <sip:room@127.0.0.1>;tag=2\r\n"
	         "Call-ID: %s\r\nCSeq: 2 BYE\r\nMax-Forwards: 70\r\n"
	         "Content-Length: 0\r\n\r\n",
	         branch, call_id);
	send_udp(port, msg, reply, sizeof(reply));
	assert_int_equal(strncmp(reply, "SIP/2.0 481", 11), 0);
}

/* A request outside a dialog: method, id, From user, To tag, id, method,
   Contact user. */
#define FINAL_FMT                                                            \
	"%s sip:room@127.0.0.1 SIP/2.0\r\n"                                    \
	"Via: SIP/2.0/UDP 127.0.0.1:9;branch=z9hG4bK-f%u;rport\r\n"            \
	"From: <sip:%s@127.0.0.1>;tag=1\r\n"                                   \
	"To: <sip:room@127.0.0.1>%s\r\n"                                       \
	"Call-ID: final-%u@y\r\nCSeq: 1 %s\r\n"                               \
	"Max-Forwards: 70\r\nContact: <sip:%s@127.0.0.1>\r\n"                 \
	"Content-Type: application/sdp\r\nContent-Length: %zu\r\n\r\n"

/* An INVITE from USER with `len` bytes of body (any bytes; 0: none)
   answered with a final response, which is acknowledged; its status line
   is left in LINE. */
static void invite_final(uint16_t port, const char *user, const char *body,
                         size_t len, char *line, size_t size)
{
	int s = udp_to(port, 3);
	static unsigned seq;
	unsigned id = ++seq;
	char msg[1024], reply[4096];
	int n = snprintf(msg, sizeof(msg), FINAL_FMT, "INVITE", id, user, "", id,
	                 "INVITE", user, len);
	assert_true(n > 0 && (size_t)n + len <= sizeof(msg));
	if (len)
		memcpy(msg + n, body, len);
	assert_true(send(s, msg, (size_t)n + len, 0) == (ssize_t)((size_t)n + len));
	for (;;) {
		ssize_t got = recv(s, reply, sizeof(reply) - 1, 0);
		assert_true(got > 12);
		reply[got] = '\0';
		if (strncmp(reply, "SIP/2.0 1", 9))
			break; /* a final response */
	}
	snprintf(line, size, "%.*s", (int)strcspn(reply, "\r"), reply);
	/* ACK, with the To tag of the response (RFC 3261 17.1.1.3) */
	char to_tag[80] = "";
	const char *t = strstr(reply, "\r\nTo:");
	const char *tag = t ? strstr(t, ";tag=") : NULL;
	if (tag)
		snprintf(to_tag, sizeof(to_tag), ";tag=%.*s",
		         (int)strcspn(tag + 5, ";\r"), tag + 5);
	n = snprintf(msg, sizeof(msg), FINAL_FMT, "ACK", id, user, to_tag, id,
	             "ACK", user, (size_t)0);
	assert_true(send(s, msg, (size_t)n, 0) == n);
	close(s);
}

/*
 * A reason phrase given to mcu_sip_call_respond() is read by sofia's
 * stack thread after the call has ended for the SIP thread (CI's ASan
 * stage once caught it reading a phrase freed with the call; the
 * nua_stack_event() above widens that window). Phrases live as long as
 * the stack, one copy each; past 64 distinct ones a response carries the
 * standard phrase of its status.
 */
static void reject_phrases(void **state)
{
	(void)state;
	reset(P_REJECT_USER);
	uint16_t port = free_port();
	struct mcu_sip *sip = start(&port);
	char line[256], user[32], want[96];
	for (int i = 0; i < 64; i++) {
		snprintf(user, sizeof(user), "u%d", i);
		invite_final(port, user, NULL, 0, line, sizeof(line));
		snprintf(want, sizeof(want), "SIP/2.0 403 Refused u%d", i);
		assert_string_equal(line, want);
	}
	/* a phrase already kept is not a new one */
	invite_final(port, "u0", NULL, 0, line, sizeof(line));
	assert_string_equal(line, "SIP/2.0 403 Refused u0");
	/* the 65th distinct phrase: the status's own */
	invite_final(port, "u64", NULL, 0, line, sizeof(line));
	assert_string_equal(line, "SIP/2.0 403 Forbidden");
	lock();
	assert_int_equal(R.n_incoming, 66);
	unlock();
	sip = mcu_sip_free(sip);
	reset(P_ANSWER);
}

/*
 * An INVITE whose SDP holds a NUL byte is refused by the SIP layer itself
 * (400, the call layer never sees it). fuzz_sipstack found the phrase of
 * that 400 read by sofia's stack thread after the call holding it had been
 * freed (corpus/sipstack/regress_nul_body_phrase); the
 * nua_stack_event() above makes that show every time under ASan.
 */
static void nul_body_refused(void **state)
{
	(void)state;
	reset(P_ANSWER);
	uint16_t port = free_port();
	struct mcu_sip *sip = start(&port);
	static const char sdp[] = "v=0\r\no=a 1 1 IN IP4 127.0.0.1\r\ns=\0x\r\n"
	                          "c=IN IP4 127.0.0.1\r\nt=0 0\r\n"
	                          "m=audio 4000 RTP/AVP 0\r\n";
	char line[256];
	for (int i = 0; i < 3; i++) {
		invite_final(port, "nul", sdp, sizeof(sdp) - 1, line,
		             sizeof(line));
		assert_string_equal(line,
		                    "SIP/2.0 400 Malformed SDP: NUL byte in body");
	}
	lock();
	assert_int_equal(R.n_incoming, 0);
	unlock();
	sip = mcu_sip_free(sip);
}

/* A plain audio offer (PCMU), for the dialogs below. */
static const char audio_offer[] = "v=0\r\no=a 1 1 IN IP4 127.0.0.1\r\ns=-\r\n"
                                  "c=IN IP4 127.0.0.1\r\nt=0 0\r\n"
                                  "m=audio 4000 RTP/AVP 0\r\n";

/*
 * Hanging up a call twice or more sends one BYE. nua queues each request
 * of a dialog behind the one before, and starts the next from the end of
 * the last: fuzz_sipstack (whose reset hangs up every call still up after
 * each input) found sofia's stack thread overflowing its stack after
 * thousands of BYEs had queued on a call whose 200 OK was never ACKed,
 * each failing at once on the caller's unusable Contact and starting the
 * next (corpus/sipstack/regress_bye_queue). Here the caller ACKs late
 * after 200 hang-ups and counts the BYEs that reach it; an OPTIONS ping
 * on a call being hung up is not sent either. The hang-ups come right
 * after the 200 OK, most before sofia reports it sent: they are BYEs
 * too (they once became a 480 that nua ignored, and the call stayed up).
 */
#define DIALOG_FMT                                                           \
	"%s sip:room@127.0.0.1 SIP/2.0\r\n"                                    \
	"Via: SIP/2.0/UDP 127.0.0.1:%u;branch=z9hG4bK-h%s;rport\r\n"          \
	"From: <sip:hang@127.0.0.1>;tag=h1\r\n"                                \
	"To: <sip:room@127.0.0.1>%s\r\n"                                      \
	"Call-ID: hangup-twice@y\r\nCSeq: 1 %s\r\n"                          \
	"Max-Forwards: 70\r\nContact: <sip:hang@127.0.0.1:%u>\r\n"          \
	"Content-Type: application/sdp\r\nContent-Length: %zu\r\n\r\n%s"

static void hangup_repeated(void **state)
{
	(void)state;
	reset(P_ANSWER);
	atomic_store(&bye_results, 0);
	uint16_t port = free_port();
	struct mcu_sip *sip = start(&port);
	int s = udp_to(port, 3);
	unsigned mine = udp_local_port(s);
	char msg[2048], reply[4096];
	int n = snprintf(msg, sizeof(msg), DIALOG_FMT, "INVITE", mine, "inv",
	                 "", "INVITE", mine, sizeof(audio_offer) - 1,
	                 audio_offer);
	assert_true(send(s, msg, (size_t)n, 0) == n);
	do {
		ssize_t got = recv(s, reply, sizeof(reply) - 1, 0);
		assert_true(got > 12);
		reply[got] = '\0';
	} while (!strncmp(reply, "SIP/2.0 1", 9));
	assert_int_equal(strncmp(reply, "SIP/2.0 200", 11), 0);
	const char *tag = strstr(strstr(reply, "\r\nTo:"), ";tag=");
	assert_non_null(tag);
	char to_tag[80];
	snprintf(to_tag, sizeof(to_tag), ";tag=%.*s",
	         (int)strcspn(tag + 5, ";\r"), tag + 5);
	/* hung up over and over before the caller's ACK */
	lock();
	struct mcu_sip_call *call = mcu_sip_call_get(R.call);
	unlock();
	for (int i = 0; i < 200; i++)
		assert_int_equal(mcu_sip_call_hangup(call), 0);
	assert_int_equal(mcu_sip_call_ping(call), 0);
	assert_int_equal(mcu_sip_call_ping(call), 0);
	usleep(200000);
	n = snprintf(msg, sizeof(msg), DIALOG_FMT, "ACK", mine, "ack", to_tag,
	             "ACK", mine, (size_t)0, "");
	assert_true(send(s, msg, (size_t)n, 0) == n);
	/* every request that reaches us is answered 200; BYEs counted by
	   CSeq (a retransmission is the same BYE) until 1 s of quiet */
	struct timeval tv = {.tv_sec = 1};
	setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	unsigned long last_bye = 0;
	int byes = 0, options = 0;
	for (int i = 0; i < 1000; i++) {
		ssize_t got = recv(s, reply, sizeof(reply) - 1, 0);
		if (got <= 0)
			break;
		reply[got] = '\0';
		if (!strncmp(reply, "SIP/2.0 ", 8))
			continue;
		const char *cseq = strstr(reply, "\r\nCSeq:");
		assert_non_null(cseq);
		unsigned long num = strtoul(cseq + 8, NULL, 10);
		if (!strncmp(reply, "BYE ", 4) && num != last_bye) {
			byes++;
			last_bye = num;
		} else if (!strncmp(reply, "OPTIONS ", 8)) {
			options++;
		}
		/* 200 OK with the request's own Via, From, To, Call-ID, CSeq */
		char ok[4096];
		size_t o = (size_t)snprintf(ok, sizeof(ok), "SIP/2.0 200 OK\r\n");
		static const char *const hdrs[] = {"\r\nVia:", "\r\nFrom:",
		                                   "\r\nTo:", "\r\nCall-ID:",
		                                   "\r\nCSeq:"};
		for (size_t h = 0; h < 5; h++) {
			const char *v = strstr(reply, hdrs[h]);
			assert_non_null(v);
			v += 2;
			o += (size_t)snprintf(ok + o, sizeof(ok) - o, "%.*s\r\n",
			                      (int)strcspn(v, "\r"), v);
		}
		o += (size_t)snprintf(ok + o, sizeof(ok) - o,
		                      "Content-Length: 0\r\n\r\n");
		assert_true(send(s, ok, o, 0) == (ssize_t)o);
	}
	close(s);
	assert_int_equal(byes, 1);
	assert_int_equal(options, 0);
	/* the queued BYEs failed inside sofia, not on the wire */
	assert_int_equal(atomic_load(&bye_results), 1);
	int t = wait_event(MCU_SIP_EV_TERMINATED, 3000);
	assert_true(t >= 0);
	assert_int_equal(R.ev_cause[t], MCU_SIP_CAUSE_LOCAL_BYE);
	int finals = 0;
	count_event(MCU_SIP_EV_TERMINATED, &finals);
	assert_int_equal(finals, 1);
	mcu_sip_call_put(call);
	sip = mcu_sip_free(sip);
	reset(P_ANSWER);
}

/*
 * Requests whose top Via names its host by a domain name (".invalid": no
 * DNS server has it), each answered by a different part of sofia: a bad
 * SIP version (505, sent before any check of the Via), a bad CSeq with a
 * Via of another transport (400, sent although the Via check failed) and
 * a good OPTIONS (200, after the checks). sofia sent the first two to the
 * name, resolving it on its stack thread (a 5 s freeze per datagram where
 * DNS does not answer). Expected: every answer goes to the address the
 * request came from, with received= in its Via, and no name is resolved.
 */
static void via_name_no_lookup(void **state)
{
	(void)state;
	static const struct {
		const char *line, *transport, *cseq, *want;
	} reqs[] = {
		{"OPTIONS sip:room@127.0.0.1 SIP/3.0", "UDP", "1 OPTIONS",
		 "SIP/2.0 505"},
		{"OPTIONS sip:room@127.0.0.1 SIP/2.0", "TCP", "x OPTIONS", NULL},
		{"OPTIONS sip:room@127.0.0.1 SIP/2.0", "UDP", "1 OPTIONS",
		 "SIP/2.0 200"},
	};
	reset(P_ANSWER);
	uint16_t port = free_port();
	struct mcu_sip *sip = start(&port);
	int before = atomic_load(&sofia_name_lookups);
	for (unsigned r = 0; r < sizeof(reqs) / sizeof(reqs[0]); r++) {
		int s = udp_to(port, 2);
		unsigned mine = udp_local_port(s);
		char msg[1024], reply[4096];
		int n = snprintf(msg, sizeof(msg),
		                 "%s\r\nVia: SIP/2.0/%s peer.invalid:%u;"
		                 "branch=z9hG4bK-vn%u\r\n"
		                 "From: <sip:vn@peer.invalid>;tag=v%u\r\n"
		                 "To: <sip:room@127.0.0.1>\r\n"
		                 "Call-ID: via-name-%u@peer.invalid\r\n"
		                 "CSeq: %s\r\nMax-Forwards: 70\r\n"
		                 "Content-Length: 0\r\n\r\n",
		                 reqs[r].line, reqs[r].transport,
		                 mine, r, r, r, reqs[r].cseq);
		assert_true(send(s, msg, (size_t)n, 0) == n);
		if (reqs[r].want) {
			ssize_t got = recv(s, reply, sizeof(reply) - 1, 0);
			assert_true(got > 0);
			reply[got] = '\0';
			assert_int_equal(strncmp(reply, reqs[r].want, 11), 0);
			assert_non_null(strstr(reply, ";received=127.0.0.1"));
		}
		close(s);
	}
	/* the stack still serves at once: the 400 went nowhere by name */
	bye_gets_481(port, "vn-after", "nosuch-vn@y");
	assert_int_equal(atomic_load(&sofia_name_lookups), before);
	sip = mcu_sip_free(sip);
	reset(P_ANSWER);
}

/*
 * An INVITE whose Contact or Record-Route host is four numbers with a
 * leading zero past octal ("089.0.0.1"): sofia takes it for an address
 * and would send the BYE there through getaddrinfo() on its stack thread,
 * which glibc turns into a DNS query (it reads the 0 as octal). The same
 * with the host in a maddr, and in From: without a Contact, From is the
 * dialog's target (fuzz_sipstack found that one later). Also refused: a
 * URI whose last parameter extends a name sofia's url_param() looks up
 * ("lrx" for "lr"), which makes it read past the string. Expected:
 * refused (400) before any handler, nothing looked up; a well-formed
 * Contact, and a Record-Route with lr, still get in.
 */
static void contact_host_no_lookup(void **state)
{
	(void)state;
	static const struct {
		const char *from, *hdr;
		bool ok; /* let in (200), else refused (400) */
	} cases[] = {
	    {"127.0.0.1", "Contact: <sip:ch@089.0.0.1:5060>", false},
	    {"127.0.0.1", "Contact: <sip:ch@127.0.0.1;maddr=01.02.03.09>",
	     false},
	    {"127.0.0.1",
	     "Record-Route: <sip:089.0.0.1;lr>\r\n"
	     "Contact: <sip:ch@127.0.0.1:9>",
	     false},
	    {"091.0.0.1", "Subject: no Contact", false},
	    {"091.0.0.1", "Contact: <sip:ch@127.0.0.1:9>", false},
	    /* a last parameter that extends a name sofia's url_param()
	       looks up makes it read past the string */
	    {"127.0.0.1",
	     "Record-Route: <sip:127.0.0.1;lrx>\r\n"
	     "Contact: <sip:ch@127.0.0.1:9>",
	     false},
	    {"127.0.0.1",
	     "Record-Route: <sip:127.0.0.1;LR\xe9=1>\r\n"
	     "Contact: <sip:ch@127.0.0.1:9>",
	     false},
	    {"127.0.0.1", "Contact: <sip:ch@127.0.0.1:9;maddrx>", false},
	    {"127.0.0.1;transportx", "Contact: <sip:ch@127.0.0.1:9>", false},
	    {"127.0.0.1;lr",
	     "Record-Route: <sip:127.0.0.1;x;lr>\r\n"
	     "Contact: <sip:ch@127.0.0.1:9;transport=udp>",
	     true},
	};
	int n_ok = 0;
	reset(P_ANSWER);
	uint16_t port = free_port();
	struct mcu_sip *sip = start(&port);
	int before = atomic_load(&sofia_name_lookups);
	for (unsigned h = 0; h < sizeof(cases) / sizeof(cases[0]); h++) {
		int s = udp_to(port, 2);
		unsigned mine = udp_local_port(s);
		char msg[2048], reply[4096];
		int n = snprintf(
			msg, sizeof(msg),
			"INVITE sip:room@127.0.0.1 SIP/2.0\r\n"
			"Via: SIP/2.0/UDP 127.0.0.1:%u;rport;branch=z9hG4bK-ch%u\r\n"
			"From: <sip:ch@%s>;tag=c%u\r\n"
			"To: <sip:room@127.0.0.1>\r\n"
			"Call-ID: contact-host-%u@y\r\nCSeq: 1 INVITE\r\n"
			"Max-Forwards: 70\r\n%s\r\n"
			"Content-Type: application/sdp\r\n"
			"Content-Length: %zu\r\n\r\n%s",
			mine, h, cases[h].from, h, h, cases[h].hdr,
			sizeof(audio_offer) - 1, audio_offer);
		assert_true(send(s, msg, (size_t)n, 0) == n);
		ssize_t got;
		do {
			got = recv(s, reply, sizeof(reply) - 1, 0);
			assert_true(got > 0);
			reply[got] = '\0';
		} while (!strncmp(reply, "SIP/2.0 1", 9));
		assert_int_equal(
		    strncmp(reply, cases[h].ok ? "SIP/2.0 200" : "SIP/2.0 400",
		            11),
		    0);
		n_ok += cases[h].ok;
		close(s);
	}
	lock();
	int reached = R.n_incoming;
	unlock();
	assert_int_equal(reached, n_ok);
	assert_int_equal(atomic_load(&sofia_name_lookups), before);
	char line[128];
	invite_final(port, "chok", audio_offer, sizeof(audio_offer) - 1, line,
	             sizeof(line));
	assert_int_equal(strncmp(line, "SIP/2.0 200", 11), 0);
	sip = mcu_sip_free(sip);
	reset(P_ANSWER);
}

/*
 * An INVITE whose Via names no place a response can go, then an ACK with
 * the INVITE's branch. Debian's sofia-sip keeps its assertions: a server
 * transaction whose final response failed to send waits in a queue that
 * its ACK's handling asserts it is never in, and the whole daemon aborted
 * (fuzz_sipstack found it). Each Via below made the 200 OK fail (an empty
 * maddr, port 0 without rport, a maddr that does not resolve, the
 * broadcast address) or could (a port past 65535, a maddr in the compact
 * form). Expected: mcud's parser refuses the Via, the request reaches no
 * handler, and the stack lives on.
 */
static void unroutable_via_then_ack(void **state)
{
	(void)state;
	static const char *const vias[] = {
		"Via: SIP/2.0/UDP 127.0.0.1:%u;maddr;branch=z9hG4bK-uv%u",
		"Via: SIP/2.0/UDP 127.0.0.1:0;branch=z9hG4bK-uv%.0u%u",
		"Via: SIP/2.0/UDP 127.0.0.1:%u;maddr=nosuch.invalid;"
		"branch=z9hG4bK-uv%u",
		"Via: SIP/2.0/UDP 127.0.0.1:%u;maddr=255.255.255.255;"
		"branch=z9hG4bK-uv%u",
		"Via: SIP/2.0/UDP 127.0.0.1:99999%.0u;branch=z9hG4bK-uv%u",
		"v: SIP/2.0/UDP 127.0.0.1:%u;maddr=;branch=z9hG4bK-uv%u",
	};
	reset(P_ANSWER);
	uint16_t port = free_port();
	struct mcu_sip *sip = start(&port);
	for (unsigned v = 0; v < sizeof(vias) / sizeof(vias[0]); v++) {
		int s = udp_to(port, 1);
		unsigned mine = udp_local_port(s);
		char via[160], msg[2048];
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
		snprintf(via, sizeof(via), vias[v], mine, v);
#pragma GCC diagnostic pop
		for (int m = 0; m < 2; m++) {
			int n = snprintf(
				msg, sizeof(msg),
				"%s sip:room@127.0.0.1 SIP/2.0\r\n%s\r\n"
				"From: <sip:uv@127.0.0.1>;tag=u%u\r\n"
				"To: <sip:room@127.0.0.1>\r\n"
				"Call-ID: unroutable-%u@y\r\nCSeq: 1 %s\r\n"
				"Max-Forwards: 70\r\n"
				"Contact: <sip:uv@127.0.0.1:%u>\r\n"
				"Content-Type: application/sdp\r\n"
				"Content-Length: %zu\r\n\r\n%s",
				m ? "ACK" : "INVITE", via, v, v,
				m ? "ACK" : "INVITE", mine,
				m ? (size_t)0 : sizeof(audio_offer) - 1,
				m ? "" : audio_offer);
			assert_true(send(s, msg, (size_t)n, 0) == n);
			/* ACKs while the answer would be sent, and after */
			for (int k = 0; m && k < 20; k++) {
				usleep(5000);
				assert_true(send(s, msg, (size_t)n, 0) == n);
			}
			if (!m)
				usleep(20000);
		}
		close(s);
	}
	lock();
	int reached = R.n_incoming;
	unlock();
	assert_int_equal(reached, 0);
	/* the stack still serves, and a usable Via still gets in */
	bye_gets_481(port, "uv-after", "nosuch-uv@y");
	char line[128];
	invite_final(port, "uvok", audio_offer, sizeof(audio_offer) - 1,
	             line, sizeof(line));
	assert_int_equal(strncmp(line, "SIP/2.0 200", 11), 0);
	sip = mcu_sip_free(sip);
	reset(P_ANSWER);
}

/*
 * STUN on the SIP port: sofia's built-in STUN server is off (it printed
 * every request to stderr and leaked with each error it answered, found
 * by fuzz_sipstack's exit leak check). Any STUN request, well formed or
 * not, gets sofia's fixed "600 Not Implemented" error; SIP goes on.
 */
static void stun_on_sip_port(void **state)
{
	(void)state;
	reset(P_ANSWER);
	uint16_t port = free_port();
	struct mcu_sip *sip = start(&port);
	/* RFC 5389 Binding request: type, length, magic cookie, id */
	uint8_t req[32] = {0x00, 0x01, 0x00, 0x00, 0x21, 0x12, 0xa4, 0x42,
	                   1,    2,    3,    4,    5,    6,    7,    8,
	                   9,    10,   11,   12};
	/* the same with one attribute whose length runs past the end */
	uint8_t bad[32] = {0x00, 0x01, 0x00, 0x08, 0x21, 0x12, 0xa4, 0x42,
	                   1,    2,    3,    4,    5,    6,    7,    8,
	                   9,    10,   11,   13,   0x00, 0x01, 0x00, 0x40,
	                   0xde, 0xad, 0xbe, 0xef};
	const struct {
		const uint8_t *p;
		size_t n;
	} cases[] = {{req, 20}, {bad, 28}};
	char reply[512];
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t n = send_udp_bytes(port, cases[i].p, cases[i].n, reply,
		                          sizeof(reply));
		assert_true(n >= 28);
		/* Binding error response, the request's id, ERROR-CODE 600 */
		assert_int_equal((uint8_t)reply[0], 0x01);
		assert_int_equal((uint8_t)reply[1], 0x11);
		assert_memory_equal(reply + 4, cases[i].p + 4, 16);
		assert_int_equal(reply[26], 6);
		assert_int_equal(reply[27], 0);
	}
	/* and SIP is still served */
	bye_gets_481(port, "st1", "stun@y");
	assert_int_equal(R.n_incoming, 0);
	sip = mcu_sip_free(sip);
}

static void malformed_requests(void **state)
{
	(void)state;
	NEED_SIPP();
	reset(P_ANSWER);
	uint16_t port = free_port();
	struct mcu_sip *sip = start(&port);
	char reply[4096];
	send_udp(port, "\x01\x02garbage\xff\xfe\r\n\r\n", reply, sizeof(reply));
	assert_true(reply[0] == '\0' || strncmp(reply, "SIP/2.0 400", 11) == 0);
	send_udp(port,
	         "INVITE sip:room@127.0.0.1 SIP/2.0\r\n"
	         "Via: SIP/2.0/UDP 127.0.0.1:9;branch=z9hG4bK-1\r\n"
	         "From: <sip:a@127.0.0.1>;tag=1\r\n"
	         "To: <sip:room@127.0.0.1>\r\n"
	         "CSeq: 1 INVITE\r\nMax-Forwards: 70\r\n"
	         "Content-Length: 0\r\n\r\n",
	         reply, sizeof(reply));
	assert_true(reply[0] == '\0' || strncmp(reply, "SIP/2.0 400", 11) == 0);
	send_udp(port,
	         "INVITE sip:room@127.0.0.1 SIP/2.0\r\n"
	         "Via: SIP/2.0/UDP 127.0.0.1:9;branch=z9hG4bK-2\r\n"
	         "From: <sip:a@127.0.0.1>;tag=1\r\nTo: <sip:room@127.0.0.1>\r\n"
	         "Call-ID: x@y\r\nCSeq: -1 INVITE\r\n"
	         "Content-Length: 99999\r\n\r\nv=0",
	         reply, sizeof(reply));
	assert_int_equal(R.n_incoming, 0);
	bye_gets_481(port, "3", "nosuch@y");
	/* and the stack still works */
	reset(P_ANSWER_PING);
	assert_int_equal(run_uac("tests/data/sip/answer.xml", port, NULL, NULL),
	                 0);
	assert_true(wait_event(MCU_SIP_EV_TERMINATED, 3000) >= 0);
	sip = mcu_sip_free(sip);
}

static int tls_options(uint16_t port, char *reply, size_t size)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
	assert_non_null(ctx);
	int s = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	struct timeval tv = {.tv_sec = 5};
	setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	assert_int_equal(connect(s, (struct sockaddr *)&a, sizeof(a)), 0);
	SSL *ssl = SSL_new(ctx);
	SSL_set_fd(ssl, s);
	assert_int_equal(SSL_connect(ssl), 1);
	char msg[1024];
	int n = snprintf(msg, sizeof(msg),
	                 "OPTIONS sip:room@127.0.0.1:%u SIP/2.0\r\n"
	                 "Via: SIP/2.0/TLS 127.0.0.1:1;branch=z9hG4bK-tls1\r\n"
	                 "From: <sip:probe@127.0.0.1>;tag=9\r\n"
	                 "To: <sip:room@127.0.0.1>\r\n"
	                 "Call-ID: tls-1@127.0.0.1\r\nCSeq: 1 OPTIONS\r\n"
	                 "Max-Forwards: 70\r\nContent-Length: 0\r\n\r\n",
	                 port);
	assert_int_equal(SSL_write(ssl, msg, n), n);
	size_t got = 0;
	while (got < size - 1) {
		int r = SSL_read(ssl, reply + got, (int)(size - 1 - got));
		if (r <= 0)
			break;
		got += (size_t)r;
		reply[got] = '\0';
		if (strstr(reply, "\r\n\r\n"))
			break;
	}
	reply[got] = '\0';
	SSL_shutdown(ssl);
	SSL_free(ssl);
	close(s);
	SSL_CTX_free(ctx);
	return 0;
}

static void tls_listen(void **state)
{
	(void)state;
	char dir[] = "/tmp/mcud-test-tls-XXXXXX";
	assert_non_null(mkdtemp(dir));
	char cert[128], key[128], cmd[512];
	snprintf(cert, sizeof(cert), "%s/cert.pem", dir);
	snprintf(key, sizeof(key), "%s/key.pem", dir);
	snprintf(cmd, sizeof(cmd),
	         "openssl req -x509 -newkey rsa:2048 -nodes -keyout %s -out %s "
	         "-days 1 -subj /CN=127.0.0.1 >/dev/null 2>&1",
	         key, cert);
	assert_int_equal(system(cmd), 0);
	uint16_t port = free_port(), tport = free_port();
	struct mcu_sip_listen l[2] = {
		{MCU_SIP_UDP, "127.0.0.1", port},
		{MCU_SIP_TLS, "127.0.0.1", tport},
	};
	struct mcu_sip_config cfg = {.listen = l, .n_listen = 2,
	                             .domain = "mcu.test",
	                             .tls_certificate = cert,
	                             .tls_key = key};
	struct mcu_sip *sip = NULL;
	alloc_on_free_ports(&sip, &cfg, l);
	tport = l[1].port;
	char reply[4096];
	tls_options(tport, reply, sizeof(reply));
	assert_int_equal(strncmp(reply, "SIP/2.0 200", 11), 0);
	sip = mcu_sip_free(sip);
	unlink(cert);
	unlink(key);
	rmdir(dir);
	/* TLS without key material is a config error */
	cfg.tls_key = NULL;
	assert_int_equal(mcu_sip_alloc(&sip, &cfg, &handlers), EINVAL);
}

/* Dial-out over TLS with verify_server: a second stack with the test CA
   as ca_file reaches a listener whose certificate names 127.0.0.1 (the
   INVITE arrives: 403 from its handler) and never one whose certificate
   names another host (sofia closes the connection; the call fails only
   when the INVITE transaction times out, 408 after 32 s). */
static void tls_verify_server(void **state)
{
	(void)state;
	char dir[] = "/tmp/mcud-test-tlsv-XXXXXX";
	assert_non_null(mkdtemp(dir));
	char cmd[1024];
	snprintf(cmd, sizeof(cmd),
	         "cd %s && openssl req -x509 -newkey rsa:2048 -nodes -days 1 "
	         "-subj /CN=ca -keyout ca.key -out ca.pem && "
	         "for n in good:127.0.0.1 bad:other.example; do "
	         "f=${n%%%%:*}; h=${n#*:}; "
	         "openssl req -newkey rsa:2048 -nodes -subj /CN=$h "
	         "-keyout $f.key -out $f.csr && "
	         "openssl x509 -req -in $f.csr -CA ca.pem -CAkey ca.key "
	         "-CAcreateserial -days 1 -out $f.pem || exit 1; done "
	         ">/dev/null 2>&1",
	         dir);
	assert_int_equal(system(cmd), 0);
	char ca[128], cert[2][128], key[2][128];
	snprintf(ca, sizeof(ca), "%s/ca.pem", dir);
	const char *names[2] = {"good", "bad"};
	for (int i = 0; i < 2; i++) {
		snprintf(cert[i], sizeof(cert[i]), "%s/%s.pem", dir, names[i]);
		snprintf(key[i], sizeof(key[i]), "%s/%s.key", dir, names[i]);
	}
	uint16_t cu = free_port(), ct = free_port();
	struct mcu_sip_listen cl[2] = {{MCU_SIP_UDP, "127.0.0.1", cu},
	                               {MCU_SIP_TLS, "127.0.0.1", ct}};
	struct mcu_sip_config ccfg = {.listen = cl, .n_listen = 2,
	                              .domain = "mcu.test",
	                              .tls_certificate = cert[0],
	                              .tls_key = key[0], .tls_ca_file = ca,
	                              .tls_verify_server = true};
	struct mcu_sip *client = NULL;
	alloc_on_free_ports(&client, &ccfg, cl);
	for (int i = 0; i < 2; i++) {
		reset(P_REJECT);
		uint16_t su = free_port(), st = free_port();
		struct mcu_sip_listen sl[2] = {{MCU_SIP_UDP, "127.0.0.1", su},
		                               {MCU_SIP_TLS, "127.0.0.1", st}};
		struct mcu_sip_config scfg = {.listen = sl, .n_listen = 2,
		                              .domain = "mcu.test",
		                              .tls_certificate = cert[i],
		                              .tls_key = key[i]};
		struct mcu_sip *server = NULL;
		alloc_on_free_ports(&server, &scfg, sl);
		char uri[96];
		st = sl[1].port;
		snprintf(uri, sizeof(uri), "sips:room@127.0.0.1:%u", st);
		struct mcu_sip_call *call = NULL;
		assert_int_equal(mcu_sip_dial(client, &call, uri, "mcu", NULL,
		                              NULL, NULL),
		                 0);
		int f = wait_call_event(call, MCU_SIP_EV_FAILED, 40000);
		assert_true(f >= 0);
		lock();
		int n = R.n_incoming, status = R.ev_status[f];
		unlock();
		if (i == 0) {
			assert_int_equal(n, 1);
			assert_int_equal(status, 403);
		} else {
			assert_int_equal(n, 0);
			assert_int_not_equal(status, 403);
		}
		call = mcu_sip_call_put(call);
		server = mcu_sip_free(server);
	}
	client = mcu_sip_free(client);
	reset(P_ANSWER);
	/* verifying without a CA bundle is a config error */
	ccfg.tls_ca_file = NULL;
	assert_int_equal(mcu_sip_alloc(&client, &ccfg, &handlers), EINVAL);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
}

static void config_errors(void **state)
{
	(void)state;
	struct mcu_sip *sip = NULL;
	struct mcu_sip_listen l[2] = {
		{MCU_SIP_UDP, "127.0.0.1", 5070},
		{MCU_SIP_TCP, "127.0.0.2", 5071},
	};
	struct mcu_sip_config cfg = {.listen = l, .n_listen = 2,
	                             .domain = "mcu.test"};
	assert_int_equal(mcu_sip_alloc(&sip, &cfg, &handlers), EINVAL);
	cfg.n_listen = 0;
	assert_int_equal(mcu_sip_alloc(&sip, &cfg, &handlers), EINVAL);
	cfg.n_listen = 1;
	cfg.domain = "bad domain";
	assert_int_equal(mcu_sip_alloc(&sip, &cfg, &handlers), EINVAL);
	assert_null(sip);
	/* a port already taken */
	uint16_t port = free_port();
	sip = start(&port);
	struct mcu_sip_listen l2 = {MCU_SIP_UDP, "127.0.0.1", port};
	struct mcu_sip_config c2 = {.listen = &l2, .n_listen = 1,
	                            .domain = "mcu.test"};
	struct mcu_sip *other = NULL;
	assert_int_not_equal(mcu_sip_alloc(&other, &c2, &handlers), 0);
	assert_null(other);
	sip = mcu_sip_free(sip);
}

static void digest_helpers(void **state)
{
	(void)state;
	/* RFC 2617 3.5 example */
	const char *params[] = {
		"username=\"Mufasa\"", "realm=\"testrealm@host.com\"",
		"nonce=\"dcd98b7102dd2f0e8b11d0f600bfb0c093\"",
		"uri=\"/dir/index.html\"", "qop=auth", "nc=00000001",
		"cnonce=\"0a4f113b\"",
		"response=\"6629fae49393a05397450978507c4ef1\"",
		"opaque=\"5ccc069c403ebaf9f0171e9517f40e41\"", NULL};
	struct mcu_sip_digest d;
	assert_int_equal(mcu_sip_digest_parse(&d, "Digest", params), 0);
	assert_string_equal(d.username, "Mufasa");
	assert_int_equal(mcu_sip_digest_verify(&d, "GET", "Mufasa",
	                                       "testrealm@host.com",
	                                       "Circle Of Life"),
	                 0);
	assert_int_equal(mcu_sip_digest_verify(&d, "GET", "Mufasa",
	                                       "testrealm@host.com", "x"),
	                 EACCES);
	assert_int_equal(mcu_sip_digest_verify(&d, "GET", "Simba",
	                                       "testrealm@host.com",
	                                       "Circle Of Life"),
	                 EACCES);
	assert_int_equal(mcu_sip_digest_parse(&d, "Basic", params), EINVAL);
	const char *dup[] = {"username=a", "username=b", NULL};
	assert_int_equal(mcu_sip_digest_parse(&d, "Digest", dup), EINVAL);
	const char *sess[] = {"username=a", "realm=r", "nonce=n", "uri=u",
	                      "response=\"6629fae49393a05397450978507c4ef1\"",
	                      "algorithm=MD5-sess", NULL};
	assert_int_equal(mcu_sip_digest_parse(&d, "Digest", sess), ENOTSUP);
	const char *unterminated[] = {"username=\"a", NULL};
	assert_int_equal(mcu_sip_digest_parse(&d, "Digest", unterminated),
	                 EINVAL);

	uint8_t key[MCU_SIP_NONCE_KEY_LEN] = {1, 2, 3};
	char nonce[MCU_SIP_NONCE_LEN + 1];
	assert_int_equal(mcu_sip_nonce_make(key, 1000, nonce, sizeof(nonce)), 0);
	assert_int_equal(strlen(nonce), MCU_SIP_NONCE_LEN);
	assert_int_equal(mcu_sip_nonce_check(key, nonce, 1100, 300), 0);
	assert_int_equal(mcu_sip_nonce_check(key, nonce, 1301, 300), ESTALE);
	assert_int_equal(mcu_sip_nonce_check(key, nonce, 999, 300), ESTALE);
	nonce[20] = nonce[20] == 'a' ? 'b' : 'a';
	assert_int_equal(mcu_sip_nonce_check(key, nonce, 1100, 300), EINVAL);
	uint8_t other[MCU_SIP_NONCE_KEY_LEN] = {9};
	assert_int_equal(mcu_sip_nonce_make(other, 1000, nonce, sizeof(nonce)),
	                 0);
	assert_int_equal(mcu_sip_nonce_check(key, nonce, 1100, 300), EINVAL);
	assert_int_equal(mcu_sip_nonce_check(key, "short", 1100, 300), EINVAL);
}

static void dtmf_bodies(void **state)
{
	(void)state;
	char d = 0;
	unsigned dur = 0;
	const char *relay = "Signal=5\r\nDuration=160\r\n";
	assert_int_equal(mcu_sip_dtmf_parse("application/dtmf-relay", relay,
	                                    strlen(relay), &d, &dur),
	                 0);
	assert_int_equal(d, '5');
	assert_int_equal(dur, 160);
	assert_int_equal(mcu_sip_dtmf_parse("Application/DTMF-Relay; x=y",
	                                    "Signal= 11\n", 11, &d, &dur),
	                 0);
	assert_int_equal(d, '#');
	assert_int_equal(mcu_sip_dtmf_parse("application/dtmf", " * \r\n", 5,
	                                    &d, &dur),
	                 0);
	assert_int_equal(d, '*');
	assert_int_equal(mcu_sip_dtmf_parse("application/dtmf", "b", 1, &d,
	                                    &dur),
	                 0);
	assert_int_equal(d, 'B');
	assert_int_equal(mcu_sip_dtmf_parse("application/dtmf", "12", 2, &d,
	                                    &dur),
	                 EINVAL);
	assert_int_equal(mcu_sip_dtmf_parse("application/dtmf-relay",
	                                    "Duration=100", 12, &d, &dur),
	                 EINVAL);
	assert_int_equal(mcu_sip_dtmf_parse("application/dtmf-relay",
	                                    "Signal=x", 8, &d, &dur),
	                 EINVAL);
	assert_int_equal(mcu_sip_dtmf_parse("text/plain", "1", 1, &d, &dur),
	                 ENOTSUP);
	assert_int_equal(mcu_sip_dtmf_parse("application/dtmf", NULL, 0, &d,
	                                    &dur),
	                 EINVAL);
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(answer_ack_ping_bye),
	cmocka_unit_test(reject_403),
	cmocka_unit_test(reject_phrases),
	cmocka_unit_test(nul_body_refused),
	cmocka_unit_test(hangup_repeated),
	cmocka_unit_test(unroutable_via_then_ack),
	cmocka_unit_test(via_name_no_lookup),
	cmocka_unit_test(contact_host_no_lookup),
	cmocka_unit_test(cancel_before_answer),
	cmocka_unit_test(digest_auth),
	cmocka_unit_test(reinvite_hold_resume),
	cmocka_unit_test(info_dtmf),
	cmocka_unit_test(options_200),
	cmocka_unit_test(dial_out),
	cmocka_unit_test(malformed_requests),
	cmocka_unit_test(stun_on_sip_port),
	cmocka_unit_test(tls_listen),
	cmocka_unit_test(tls_verify_server),
	cmocka_unit_test(config_errors),
	cmocka_unit_test(digest_helpers),
	cmocka_unit_test(dtmf_bodies),
};

MCU_TEST_MAIN(tests, NULL, NULL)
