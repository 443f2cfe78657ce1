/*
 * sip: the SIP thread around sofia-sip's nua (see sip.h).
 *
 * Why it is shaped this way: sofia objects (su_root, nua, handles) belong to
 * the thread that created them and are not thread-safe, while the
 * conference engine must be able to answer, hang up or dial from any
 * thread. So the SIP thread owns every sofia object and all call fields
 * marked "SIP thread"; other threads only append commands to a bounded
 * queue and poke an eventfd that is registered in the su_root. Commands
 * carry a reference to their call, so a call can be put by the upper layer
 * while a command for it is queued.
 *
 * A call is reference counted: the SIP thread holds one reference for as
 * long as the call has a nua handle (dropped after the final event), the
 * upper layer takes its own with mcu_sip_call_get(). A call holds a
 * reference on its struct mcu_sip, so the memory of the stack outlives
 * every call even after mcu_sip_free() has stopped the thread.
 *
 * Sofia's own SDP handling is off (NUTAG_MEDIA_ENABLE(0)) and INVITEs are
 * not auto-answered: bodies travel unchanged between the wire and the
 * upper layer. OPTIONS outside a dialog are answered by nua itself (200
 * with Allow/Accept/Supported); INFO is ours (NUTAG_APPL_METHOD) for DTMF.
 */
#define SU_ROOT_MAGIC_T struct mcu_sip
#define SU_WAKEUP_ARG_T struct mcu_sip
#define SU_TIMER_ARG_T  struct mcu_sip
#define NUA_MAGIC_T     struct mcu_sip
#define NUA_HMAGIC_T    struct mcu_sip_call

#include "transport/sip.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <stdarg.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/rand.h>

#include <sofia-sip/hostdomain.h>
#include <sofia-sip/msg_addr.h>
#include <sofia-sip/msg_header.h>
#include <sofia-sip/msg_mclass.h>
#include <sofia-sip/nua.h>
#include <sofia-sip/nua_tag.h>
#include <sofia-sip/sip_header.h>
#include <sofia-sip/sip_status.h>
#include <sofia-sip/su.h>
#include <sofia-sip/su_tag_io.h>
#include <sofia-sip/su_wait.h>
#include <sofia-sip/su_log.h>
#include <sofia-sip/su_strlst.h>
#include <sofia-sip/tport_tag.h>
#include <sofia-sip/url.h>

#include "transport/sip_auth.h"

#define MCU_LOG_MODULE "sip"
#include "conf/log.h"

#define SHUTDOWN_MS 5000
/* Certificates between a peer's and the CA of tls_ca_file. */
#define TLS_VERIFY_DEPTH 4

enum cmd_type {
	CMD_RESPOND,
	CMD_CHALLENGE,
	CMD_HANGUP,
	CMD_REINVITE,
	CMD_PING,
	CMD_DIAL,
	CMD_STOP,
};

struct cmd {
	struct cmd *next;
	enum cmd_type type;
	struct mcu_sip_call *call; /* a reference, NULL for CMD_STOP */
	int status;
	bool stale;
	char *reason;
	char *sdp;
	char *to;
	char *from;
	unsigned retry_after; /* CMD_RESPOND: Retry-After seconds, 0: none */
	char *warning;        /* CMD_RESPOND: Warning text or NULL */
};

struct mcu_sip {
	atomic_int refs;
	struct mcu_sip_handlers h;
	char *domain;
	unsigned nonce_ttl, max_queue, session_expires, min_se;
	uint8_t nonce_key[MCU_SIP_NONCE_KEY_LEN];
	char url[256], sips_url[256];
	char certdir[64];
	unsigned tls_policy;       /* TPTLS_VERIFY_* */
	su_strlst_t *tls_subjects; /* accepted client subjects, or NULL */
	atomic_uint next_out;

	pthread_t thread;
	bool thread_started;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool started;         /* lock */
	int start_err;        /* lock */
	struct cmd *q_head;   /* lock */
	struct cmd *q_tail;   /* lock */
	size_t q_len;         /* lock */
	bool q_closed;        /* lock */
	int efd;

	struct mcu_sip_limit *limit; /* borrowed; NULL: no rate limit */

	/* SIP thread only */
	su_root_t *root;
	nua_t *nua;
	su_timer_t *stop_timer;
	struct mcu_sip_call *calls; /* calls that have a nua handle */
	bool shutting_down;
	bool stopped;
	/* Reason phrases handed to nua_respond(). nua keeps the pointer, not
	   a copy, in its server request, and its stack thread reads it after
	   the SIP thread has seen the call end (nua_base_server_report), up
	   to the handle's destruction in that thread. So each distinct phrase
	   is kept until nua itself is gone (sip_destroy). */
	struct phrase *phrases;
	unsigned n_phrases;
	bool phrases_full_logged;
};

struct phrase {
	struct phrase *next;
	char s[];
};

/* Distinct reason phrases kept; mcud's own are a fixed set of about 20. */
#define MAX_PHRASES 64

struct mcu_sip_call {
	atomic_int refs;
	struct mcu_sip *sip; /* a reference */
	_Atomic(void *) user;
	bool outgoing;
	char label[128];
	/* Set before the incoming callback, immutable afterwards. */
	enum mcu_sip_auth auth;
	struct mcu_sip_digest digest;

	/* SIP thread only */
	nua_handle_t *nh;
	struct mcu_sip_call *next, *prev;
	bool answered, confirmed, final, cancelled;
	bool remote_bye, local_bye;
	bool ok_sent;     /* our 2xx to the INVITE is out (answered follows) */
	bool cancel_sent; /* our CANCEL of an unanswered dial-out is out */
	bool ping_out;    /* an OPTIONS ping awaits its final response */
	bool reinvite_in, reinvite_out;
	int fail_status;
	char fail_reason[128];
};

/* ---- references -------------------------------------------------------- */

static struct mcu_sip *sip_get(struct mcu_sip *sip)
{
	atomic_fetch_add(&sip->refs, 1);
	return sip;
}

static void sip_destroy(struct mcu_sip *sip)
{
	struct cmd *c = sip->q_head;
	while (c) {
		struct cmd *n = c->next;
		free(c);
		c = n;
	}
	while (sip->phrases) {
		struct phrase *p = sip->phrases;
		sip->phrases = p->next;
		free(p);
	}
	if (sip->efd >= 0)
		close(sip->efd);
	int err = pthread_cond_destroy(&sip->cond);
	if (err)
		mcu_log_warn("pthread_cond_destroy: %s", strerror(err));
	err = pthread_mutex_destroy(&sip->lock);
	if (err)
		mcu_log_warn("pthread_mutex_destroy: %s", strerror(err));
	if (sip->tls_subjects)
		su_strlst_destroy(sip->tls_subjects);
	free(sip->domain);
	free(sip);
}

static void sip_put(struct mcu_sip *sip)
{
	if (sip && atomic_fetch_sub(&sip->refs, 1) == 1)
		sip_destroy(sip);
}

struct mcu_sip_call *mcu_sip_call_get(struct mcu_sip_call *call)
{
	if (call)
		atomic_fetch_add(&call->refs, 1);
	return call;
}

struct mcu_sip_call *mcu_sip_call_put(struct mcu_sip_call *call)
{
	if (call && atomic_fetch_sub(&call->refs, 1) == 1) {
		sip_put(call->sip);
		free(call);
	}
	return NULL;
}

void mcu_sip_call_set_user(struct mcu_sip_call *call, void *user)
{
	atomic_store(&call->user, user);
}

void *mcu_sip_call_user(const struct mcu_sip_call *call)
{
	return atomic_load(&((struct mcu_sip_call *)call)->user);
}

const char *mcu_sip_call_label(const struct mcu_sip_call *call)
{
	return call->label;
}

bool mcu_sip_call_is_outgoing(const struct mcu_sip_call *call)
{
	return call->outgoing;
}

static struct mcu_sip_call *call_new(struct mcu_sip *sip, bool outgoing)
{
	struct mcu_sip_call *call = calloc(1, sizeof(*call));
	if (!call)
		return NULL;
	atomic_init(&call->refs, 1);
	call->sip = sip_get(sip);
	call->outgoing = outgoing;
	return call;
}

/* ---- command queue ----------------------------------------------------- */

static void cmd_free(struct cmd *c)
{
	if (!c)
		return;
	mcu_sip_call_put(c->call);
	free(c->reason);
	free(c->sdp);
	free(c->to);
	free(c->from);
	free(c->warning);
	free(c);
}

static bool has_crlf(const char *s)
{
	return s && strpbrk(s, "\r\n") != NULL;
}

static int enqueue(struct mcu_sip *sip, struct cmd *c)
{
	int err = pthread_mutex_lock(&sip->lock);
	if (err) {
		cmd_free(c);
		return err;
	}
	if (sip->q_closed)
		err = ESHUTDOWN;
	else if (sip->q_len >= sip->max_queue)
		err = EAGAIN;
	if (!err) {
		if (sip->q_tail)
			sip->q_tail->next = c;
		else
			sip->q_head = c;
		sip->q_tail = c;
		sip->q_len++;
	}
	int e2 = pthread_mutex_unlock(&sip->lock);
	if (e2)
		mcu_log_error("pthread_mutex_unlock: %s", strerror(e2));
	if (err) {
		cmd_free(c);
		return err;
	}
	uint64_t one = 1;
	if (write(sip->efd, &one, sizeof(one)) < 0 && errno != EAGAIN)
		mcu_log_error("eventfd write: %s", strerror(errno));
	return 0;
}

static int call_cmd(struct mcu_sip_call *call, enum cmd_type type, int status,
                    const char *reason, const char *sdp, bool stale)
{
	if (!call || has_crlf(reason))
		return EINVAL;
	struct cmd *c = calloc(1, sizeof(*c));
	if (!c)
		return ENOMEM;
	c->type = type;
	c->status = status;
	c->stale = stale;
	c->call = mcu_sip_call_get(call);
	if ((reason && !(c->reason = strdup(reason))) ||
	    (sdp && !(c->sdp = strdup(sdp)))) {
		cmd_free(c);
		return ENOMEM;
	}
	return enqueue(call->sip, c);
}

int mcu_sip_call_respond(struct mcu_sip_call *call, int status,
                         const char *reason, const char *sdp)
{
	if (status < 101 || status > 699)
		return EINVAL;
	return call_cmd(call, CMD_RESPOND, status, reason, sdp, false);
}

int mcu_sip_call_refuse(struct mcu_sip_call *call, int status,
                        const char *reason, unsigned retry_after_s,
                        const char *warning)
{
	struct cmd *c;
	if (!call || status < 300 || status > 699 || has_crlf(reason) ||
	    has_crlf(warning) || (warning && strchr(warning, '"')) ||
	    (warning && strlen(warning) > 200) || retry_after_s > 86400)
		return EINVAL;
	c = calloc(1, sizeof(*c));
	if (!c)
		return ENOMEM;
	c->type = CMD_RESPOND;
	c->status = status;
	c->retry_after = retry_after_s;
	c->call = mcu_sip_call_get(call);
	if ((reason && !(c->reason = strdup(reason))) ||
	    (warning && !(c->warning = strdup(warning)))) {
		cmd_free(c);
		return ENOMEM;
	}
	return enqueue(call->sip, c);
}

int mcu_sip_call_challenge(struct mcu_sip_call *call, bool stale)
{
	return call_cmd(call, CMD_CHALLENGE, 401, NULL, NULL, stale);
}

int mcu_sip_call_hangup(struct mcu_sip_call *call)
{
	return call_cmd(call, CMD_HANGUP, 0, NULL, NULL, false);
}

int mcu_sip_call_reinvite(struct mcu_sip_call *call, const char *sdp)
{
	if (!sdp)
		return EINVAL;
	return call_cmd(call, CMD_REINVITE, 0, NULL, sdp, false);
}

int mcu_sip_call_ping(struct mcu_sip_call *call)
{
	return call_cmd(call, CMD_PING, 0, NULL, NULL, false);
}

static bool uri_ok(const char *uri)
{
	if (!uri || (strncmp(uri, "sip:", 4) != 0 &&
	             strncmp(uri, "sips:", 5) != 0))
		return false;
	for (const char *p = uri; *p; p++)
		if ((unsigned char)*p <= ' ' || *p == '<' || *p == '>' ||
		    *p == '"')
			return false;
	return strlen(uri) < 1024;
}

static bool token_ok(const char *s, bool allow_space)
{
	for (const char *p = s; p && *p; p++) {
		unsigned char c = (unsigned char)*p;
		if (c < ' ' || c == '"' || c == '\\' || c == '<' || c == '>' ||
		    c == '@' || c == ':' || (c == ' ' && !allow_space))
			return false;
	}
	return true;
}

int mcu_sip_dial(struct mcu_sip *sip, struct mcu_sip_call **callp,
                 const char *to_uri, const char *from_user,
                 const char *from_display, const char *sdp, void *user)
{
	if (!sip || !callp || !uri_ok(to_uri) || !from_user || !*from_user ||
	    !token_ok(from_user, false) || !token_ok(from_display, true) ||
	    strlen(from_user) > 128 ||
	    (from_display && strlen(from_display) > 128))
		return EINVAL;
	struct mcu_sip_call *call = call_new(sip, true);
	if (!call)
		return ENOMEM;
	atomic_store(&call->user, user);
	snprintf(call->label, sizeof(call->label), "out-%u",
	         atomic_fetch_add(&sip->next_out, 1) + 1);
	struct cmd *c = calloc(1, sizeof(*c));
	size_t flen = strlen(from_user) + strlen(sip->domain) + 300;
	char *from = malloc(flen);
	if (!c || !from || !(c->to = strdup(to_uri)) ||
	    (sdp && !(c->sdp = strdup(sdp)))) {
		free(from);
		cmd_free(c);
		mcu_sip_call_put(call);
		return ENOMEM;
	}
	if (from_display && *from_display)
		snprintf(from, flen, "\"%s\" <sip:%s@%s>", from_display,
		         from_user, sip->domain);
	else
		snprintf(from, flen, "<sip:%s@%s>", from_user, sip->domain);
	c->from = from;
	c->type = CMD_DIAL;
	c->call = mcu_sip_call_get(call);
	int err = enqueue(sip, c);
	if (err) {
		mcu_sip_call_put(call);
		return err;
	}
	*callp = call;
	return 0;
}

int mcu_sip_call_auth_check(const struct mcu_sip_call *call,
                            const char *user, const char *password)
{
	if (!call || !user || !password)
		return EINVAL;
	switch (call->auth) {
	case MCU_SIP_AUTH_NONE:
		return ENOENT;
	case MCU_SIP_AUTH_STALE:
		return ESTALE;
	case MCU_SIP_AUTH_INVALID:
		return EACCES;
	default:
		break;
	}
	int err = mcu_sip_digest_verify(&call->digest, "INVITE", user,
	                                call->sip->domain, password);
	return err == 0 ? 0 : EACCES;
}

/* ---- events to the upper layer (SIP thread) ---------------------------- */

/*
 * The message's body as a NUL-terminated copy (malloc'ed, the caller
 * frees it) in *bodyp and its length in *lenp; NULL and 0 when it has
 * none. The upper layer reads the body as a C string (SDP is text,
 * RFC 8866 5), so a body with a NUL byte inside would be seen shorter
 * than the Content-Length sofia framed it with: such a body is refused
 * (EBADMSG, nothing set), never cut. ENOMEM when no copy can be made.
 */
static int take_body(const sip_t *sipm, char **bodyp, size_t *lenp)
{
	*bodyp = NULL;
	*lenp = 0;
	if (!sipm || !sipm->sip_payload || !sipm->sip_payload->pl_len)
		return 0;
	size_t len = sipm->sip_payload->pl_len;
	const char *data = sipm->sip_payload->pl_data;
	if (!data)
		return EBADMSG;
	if (memchr(data, '\0', len))
		return EBADMSG;
	char *body = malloc(len + 1);
	if (!body)
		return ENOMEM;
	memcpy(body, data, len);
	body[len] = '\0';
	*bodyp = body;
	*lenp = len;
	return 0;
}

static void emit(struct mcu_sip_call *call, enum mcu_sip_event_type type,
                 int status, const char *reason, enum mcu_sip_cause cause,
                 const sip_t *sipm)
{
	struct mcu_sip *sip = call->sip;
	char *body = NULL;
	size_t len = 0;
	/* A response or an ACK cannot be refused with a status of ours:
	   its body is handed up as missing, which the call layer treats as
	   no usable SDP (a failed dial-out, a hang-up), and logged. */
	int err = take_body(sipm, &body, &len);
	if (err)
		mcu_log_warn("call %s: event %d: SIP body dropped (%s)",
		             call->label, (int)type,
		             err == EBADMSG ? "a NUL byte inside"
		                            : strerror(err));
	struct mcu_sip_event ev = {
		.type = type,
		.status = status,
		.reason = reason ? reason : "",
		.cause = cause,
		.sdp = body,
		.sdp_len = len,
	};
	if (sip->h.event)
		sip->h.event(call, &ev, sip->h.arg);
	free(body);
}

static void call_unlink(struct mcu_sip *sip, struct mcu_sip_call *call)
{
	if (call->prev)
		call->prev->next = call->next;
	else if (sip->calls == call)
		sip->calls = call->next;
	if (call->next)
		call->next->prev = call->prev;
	call->next = call->prev = NULL;
}

static void call_link(struct mcu_sip *sip, struct mcu_sip_call *call)
{
	call->prev = NULL;
	call->next = sip->calls;
	if (sip->calls)
		sip->calls->prev = call;
	sip->calls = call;
}

/* The one final event; then the handle goes and the SIP thread's
   reference is dropped. */
static void finish(struct mcu_sip_call *call, int status, const char *reason)
{
	struct mcu_sip *sip = call->sip;
	if (call->final)
		return;
	call->final = true;
	if (call->cancelled) {
		emit(call, MCU_SIP_EV_CANCELLED, 487, "Request Terminated",
		     MCU_SIP_CAUSE_NONE, NULL);
	} else if (!call->answered) {
		int st = call->fail_status ? call->fail_status : status;
		const char *r = call->fail_status ? call->fail_reason : reason;
		emit(call, MCU_SIP_EV_FAILED, st, r, MCU_SIP_CAUSE_NONE, NULL);
	} else {
		enum mcu_sip_cause cause = MCU_SIP_CAUSE_TIMEOUT;
		if (call->remote_bye)
			cause = MCU_SIP_CAUSE_REMOTE_BYE;
		else if (sip->shutting_down)
			cause = MCU_SIP_CAUSE_SHUTDOWN;
		else if (call->local_bye)
			cause = MCU_SIP_CAUSE_LOCAL_BYE;
		emit(call, MCU_SIP_EV_TERMINATED, status, reason, cause, NULL);
	}
	mcu_log_info("call %s ended (%d %s)", call->label, status,
	             reason ? reason : "");
	if (call->nh) {
		nua_handle_bind(call->nh, NULL);
		/* After nua_shutdown nua_destroy() frees what is left. */
		if (!sip->stopped)
			nua_handle_destroy(call->nh);
		call->nh = NULL;
	}
	call_unlink(sip, call);
	mcu_sip_call_put(call);
}

/* ---- the Via gate (sofia's stack thread) ------------------------------- */

/*
 * Debian's sofia-sip keeps its assertions, and one is reachable from the
 * network: a server transaction whose final response could not be sent
 * waits in a queue that the handling of its ACK asserts it is never in
 * (nta.c, incoming_ack). An INVITE whose Via names no place a response
 * can go, then an ACK with the INVITE's branch, aborted mcud
 * (fuzz_sipstack found it; test_sip's unroutable_via_then_ack). A
 * response goes to the Via's maddr when it has one (sofia resolves a name
 * there on its thread, and a broadcast address or an empty one fails),
 * else to the address the request came from, at the sent-by port unless
 * rport asks for the source port (port 0 fails).
 *
 * So mcud's parser class runs sofia's own Via parser and then refuses a
 * Via with a maddr (multicast SIP has no place on this network, and it
 * would let a request send our responses to any address) or with a port
 * a response cannot use. A refused Via is a syntax error to sofia: the
 * request is answered 400 through a usable Via below it, or dropped when
 * there is none, as one without Via is. Each element of a comma list
 * comes through here (sofia parses the rest with the header's class).
 *
 * Contact, Record-Route and From pass a gate of their own
 * (url_gate_parse).
 */
static struct msg_hclass_s via_gate_class, contact_gate_class, rr_gate_class,
	from_gate_class;
static msg_mclass_t *gate_mclass;
static pthread_once_t gate_once = PTHREAD_ONCE_INIT;

/* An IPv4 or IPv6 address in standard form (IPv6 in brackets or not):
   what getaddrinfo() reads without asking DNS. */
static bool host_is_literal(const char *host)
{
	unsigned char a[sizeof(struct in6_addr)];
	char in[INET6_ADDRSTRLEN + 8];
	size_t n = strlen(host);
	if (n >= 2 && host[0] == '[' && host[n - 1] == ']' &&
	    n - 2 < sizeof(in)) {
		memcpy(in, host + 1, n - 2);
		in[n - 2] = '\0';
		return inet_pton(AF_INET6, in, a) == 1;
	}
	return inet_pton(AF_INET, host, a) == 1 ||
	       inet_pton(AF_INET6, host, a) == 1;
}

/*
 * RFC 3261 18.2.1: when the top Via of a request names its host by a
 * domain name, the server adds received= with the address the request
 * came from, and answers there. nta does that too, but only for a request
 * that passed its checks: the answers it sends before them (413 too
 * large, 400 with a Via of another transport, 505 bad version) went to
 * the name, which sofia resolves with a blocking getaddrinfo() on its
 * stack thread. One datagram naming a host that no DNS server answers for
 * froze all of mcud's SIP for the resolver's timeout (5 s, and again for
 * the next one; fuzz_sipstack found it). Added here, at parse time,
 * received= serves those answers too; on the normal path nta takes it off
 * and puts its own (the same address) back.
 *
 * The top Via is the first element of the first Via header field (none in
 * the message yet, and no element before it). The home sofia's parser
 * hands a header class is the message being parsed (msg_home() is a cast
 * of the message), which already holds the address it came from.
 */
static void via_add_received(su_home_t *home, sip_via_t *v)
{
	msg_t *msg = (msg_t *)home;
	sip_t const *sip = sip_object(msg);
	if (!sip || !sip->sip_request || sip->sip_via || v->v_common->h_prev ||
	    !v->v_host || host_is_literal(v->v_host))
		return;
	su_addrinfo_t const *ai = msg_addrinfo(msg);
	char addr[NI_MAXHOST], param[sizeof("received=") + sizeof(addr)];
	if (!ai || !ai->ai_addr ||
	    getnameinfo((struct sockaddr *)ai->ai_addr,
	                (socklen_t)ai->ai_addrlen, addr, sizeof(addr), NULL, 0,
	                NI_NUMERICHOST) != 0)
		return;
	addr[strcspn(addr, "%")] = '\0'; /* no IPv6 scope, as nta's own */
	snprintf(param, sizeof(param), "received=%s", addr);
	msg_header_replace_param(home, v->v_common, su_strdup(home, param));
}

static issize_t via_gate_parse(su_home_t *home, msg_header_t *h, char *s,
                               isize_t slen)
{
	if (sip_via_class->hc_parse(home, h, s, slen) < 0)
		return -1;
	sip_via_t *v = (sip_via_t *)h;
	bool bad = v->v_maddr != NULL;
	if (!bad && v->v_port) {
		char *end;
		errno = 0;
		unsigned long port = strtoul(v->v_port, &end, 10);
		bad = *end || errno || port > 65535 ||
		      (port == 0 && !v->v_rport);
	}
	if (bad)
		mcu_log_ratelimited(MCU_LOG_WARN, 5000,
		                    "SIP request from %s:%s refused: its Via "
		                    "%s",
		                    v->v_host ? v->v_host : "?",
		                    v->v_port ? v->v_port : "5060",
		                    v->v_maddr ? "has a maddr"
		                               : "has an unusable port");
	else
		via_add_received(home, v);
	return bad ? -1 : 0;
}

/*
 * Where mcud sends a request in a dialog (BYE, re-INVITE, the OPTIONS
 * ping) comes from the peer: the Contact of its INVITE or answer, or the
 * first Record-Route, each URI's host or its maddr. nta asks its resolver
 * (asynchronous, it does not block) for a name, and hands a host that
 * sofia's own grammar takes for an IP address straight to getaddrinfo()
 * on the stack thread. sofia's grammar takes any four numbers up to 255
 * ("089.0.0.1"); glibc reads a leading 0 as octal, finds no address in
 * "089" and asks DNS, blocking every call's signalling until it answers
 * (fuzz_sipstack found it). Such a URI is refused as a syntax error: its
 * request is answered 400, or dropped. From is gated too: an INVITE
 * without Contact leaves nta the From URI as the dialog's target, so
 * mcud's BYE went to "091.0.0.1" (fuzz_sipstack, session 18).
 */
static bool host_fools_sofia(const char *host)
{
	return host && host_is_ip_address(host) && !host_is_literal(host);
}

/*
 * sofia's url_param() (Debian's 1.12.11) steps past the end of the
 * parameter string when the last parameter's name begins with the name
 * it looks for and goes on without "=" ("lrx" or "lrx=1" for "lr"): it
 * reads on to the next NUL, past the block when the string ends one
 * (fuzz_sipstack found it through nta's routing, which asks a copied
 * Record-Route for "lr"). The names below are those sofia and mcud look
 * up in a peer's URI; a URI whose last parameter extends one is refused.
 */
static bool params_overrun_sofia(const char *params)
{
	static const char *const names[] = {
	    "lr",     "maddr", "transport",  "ttl", "user",
	    "method", "comp",  "sigcomp-id", "gr",  "ob",
	};
	const char *last;
	if (!params)
		return false;
	last = strrchr(params, ';');
	last = last ? last + 1 : params;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		size_t n = strlen(names[i]);
		if (!strncasecmp(last, names[i], n) && last[n] &&
		    last[n] != '=')
			return true;
	}
	return false;
}

/* Why sofia must not see the URI, or NULL. */
static const char *url_fools_sofia(const url_t *url)
{
	char maddr[256];
	if (params_overrun_sofia(url->url_params))
		return "its last parameter would make sofia read past it";
	if (host_fools_sofia(url->url_host) ||
	    (url->url_params &&
	     url_param(url->url_params, "maddr", maddr, sizeof(maddr)) > 0 &&
	     host_fools_sofia(maddr)))
		return "its host is no address a resolver could take";
	return NULL;
}

static issize_t url_gate_parse(su_home_t *home, msg_header_t *h, char *s,
                               isize_t slen)
{
	msg_hclass_t *sofia;
	const url_t *url;
	if (h->sh_class == &contact_gate_class)
		sofia = sip_contact_class;
	else if (h->sh_class == &from_gate_class)
		sofia = sip_from_class;
	else
		sofia = sip_record_route_class;
	if (sofia->hc_parse(home, h, s, slen) < 0)
		return -1;
	if (sofia == sip_contact_class)
		url = ((const sip_contact_t *)h)->m_url;
	else if (sofia == sip_from_class)
		url = ((const sip_from_t *)h)->a_url;
	else
		url = ((const sip_record_route_t *)h)->r_url;
	const char *why = url_fools_sofia(url);
	if (!why)
		return 0;
	mcu_log_ratelimited(
	    MCU_LOG_WARN, 5000, "SIP message refused: its %s URI (host %s): %s",
	    sofia->hc_name, url->url_host ? url->url_host : "?", why);
	return -1;
}

/*
 * sofia's SIP parser with the gate classes for Via, Contact,
 * Record-Route and From. Each goes in first, into an empty table, so that
 * a lookup by name (and by short form: "v", "m", "f") finds it; sofia's own class
 * follows it in the same chain, so that code adding a header made with
 * sofia's class (nta's Via, nua's Contact) still finds its place in the
 * message.
 */
static void gate_mclass_init(void)
{
	static const struct {
		msg_hclass_t *sofia;
		struct msg_hclass_s *gate;
		msg_parse_f *parse;
	} gates[] = {
		{sip_via_class, &via_gate_class, via_gate_parse},
		{sip_contact_class, &contact_gate_class, url_gate_parse},
		{sip_record_route_class, &rr_gate_class, url_gate_parse},
		{sip_from_class, &from_gate_class, url_gate_parse},
	};
	enum { N_GATES = sizeof(gates) / sizeof(gates[0]) };
	msg_mclass_t const *def = sip_default_mclass();
	msg_href_t const *hr[N_GATES] = {NULL};
	for (size_t g = 0; g < N_GATES; g++) {
		for (short i = 0; !hr[g] && i < def->mc_hash_size; i++)
			if (def->mc_hash[i].hr_class == gates[g].sofia)
				hr[g] = &def->mc_hash[i];
		if (!hr[g]) {
			mcu_log_error("sofia's parser has no %s: SIP runs "
			              "ungated",
			              gates[g].sofia->hc_name);
			return;
		}
		*gates[g].gate = *gates[g].sofia;
		gates[g].gate->hc_parse = gates[g].parse;
	}
	msg_mclass_t *mc = msg_mclass_clone(def, 0, msg_mclass_empty);
	if (!mc) {
		mcu_log_error("cannot build the SIP parser: SIP runs ungated");
		return;
	}
	int bad = 0;
	for (size_t g = 0; !bad && g < N_GATES; g++) {
		msg_href_t gate = *hr[g];
		gate.hr_class = gates[g].gate;
		bad = msg_mclass_insert(mc, &gate) < 0;
	}
	for (short i = 0; !bad && i < def->mc_hash_size; i++) {
		if (!def->mc_hash[i].hr_class)
			continue;
		/* sofia's own gated classes have no short form here: the
		   gate's has it */
		msg_href_t const *shorts = mc->mc_short;
		for (size_t g = 0; g < N_GATES; g++)
			if (def->mc_hash[i].hr_class == gates[g].sofia)
				mc->mc_short = NULL;
		bad = msg_mclass_insert(mc, &def->mc_hash[i]) < 0;
		mc->mc_short = shorts;
	}
	if (bad) {
		mcu_log_error("cannot build the SIP parser: SIP runs ungated");
		free(mc);
		return;
	}
	gate_mclass = mc;
}

/* ---- incoming requests (SIP thread) ------------------------------------ */

static int64_t now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec;
}

static const char *str0(const char *s)
{
	return s ? s : "";
}

/* RFC 2617 3.2.2.5: the digest's uri names the Request-URI. Its user
   part is the meeting, so a response seen for one meeting cannot open
   another while its nonce lives. Host and port are not compared: a proxy
   on the way may rewrite them in the Request-URI, never the user. */
static bool digest_uri_matches(const char *uri, const sip_t *sipm)
{
	const url_t *ru = sipm->sip_request ? sipm->sip_request->rq_url : NULL;
	su_home_t home[1] = {SU_HOME_INIT(home)};
	url_t *du = ru ? url_make(home, uri) : NULL;
	bool same = du &&
	            (du->url_type == url_sip || du->url_type == url_sips) &&
	            strcmp(str0(du->url_user), str0(ru->url_user)) == 0;
	su_home_deinit(home);
	return same;
}

static void check_auth(struct mcu_sip *sip, struct mcu_sip_call *call,
                       const sip_t *sipm)
{
	const sip_authorization_t *au = sipm->sip_authorization;
	while (au && (!au->au_scheme || strcasecmp(au->au_scheme, "Digest")))
		au = au->au_next;
	if (!au) {
		call->auth = MCU_SIP_AUTH_NONE;
		return;
	}
	call->auth = MCU_SIP_AUTH_INVALID;
	if (mcu_sip_digest_parse(&call->digest, au->au_scheme,
	                         (const char *const *)au->au_params) != 0)
		return;
	if (strcmp(call->digest.realm, sip->domain) != 0 ||
	    !digest_uri_matches(call->digest.uri, sipm))
		return;
	int err = mcu_sip_nonce_check(sip->nonce_key, call->digest.nonce,
	                              now_s(), sip->nonce_ttl);
	if (err == ESTALE)
		call->auth = MCU_SIP_AUTH_STALE;
	else if (err == 0)
		call->auth = MCU_SIP_AUTH_PRESENT;
}

static void on_invite(struct mcu_sip *sip, nua_t *nua, nua_handle_t *nh,
                      const sip_t *sipm)
{
	struct mcu_sip_call *call = call_new(sip, false);
	if (!call) {
		nua_respond(nh, 500, "Server Internal Error", TAG_END());
		nua_handle_destroy(nh);
		return;
	}
	call->nh = nh;
	nua_handle_bind(nh, call);
	call_link(sip, call);
	snprintf(call->label, sizeof(call->label), "%s",
	         sipm && sipm->sip_call_id ? str0(sipm->sip_call_id->i_id)
	                                   : "?");
	struct mcu_sip_incoming in;
	memset(&in, 0, sizeof(in));
	in.call_id = call->label;
	const url_t *ru = sipm && sipm->sip_request ? sipm->sip_request->rq_url
	                                            : NULL;
	in.ruri_user = str0(ru ? ru->url_user : NULL);
	in.ruri_host = str0(ru ? ru->url_host : NULL);
	const sip_from_t *from = sipm ? sipm->sip_from : NULL;
	in.from_user = str0(from ? from->a_url->url_user : NULL);
	in.from_host = str0(from ? from->a_url->url_host : NULL);
	char display[128] = "";
	if (from && from->a_display) {
		const char *d = from->a_display;
		size_t n = strlen(d);
		if (n >= 2 && d[0] == '"' && d[n - 1] == '"') {
			d++;
			n -= 2;
		}
		if (n >= sizeof(display))
			n = sizeof(display) - 1;
		memcpy(display, d, n);
		display[n] = '\0';
	}
	in.from_display = display;
	msg_t *msg = nua_current_request(nua);
	su_addrinfo_t *ai = msg ? msg_addrinfo(msg) : NULL;
	if (ai && ai->ai_addr) {
		char serv[16];
		if (getnameinfo((struct sockaddr *)ai->ai_addr,
		                (socklen_t)ai->ai_addrlen, in.src_addr,
		                sizeof(in.src_addr), serv, sizeof(serv),
		                NI_NUMERICHOST | NI_NUMERICSERV) == 0)
			in.src_port = (uint16_t)strtoul(serv, NULL, 10);
	}
	in.proto = MCU_SIP_UDP;
	if (sipm && sipm->sip_via && sipm->sip_via->v_protocol) {
		const char *p = sipm->sip_via->v_protocol;
		if (strcasecmp(p, "SIP/2.0/TLS") == 0)
			in.proto = MCU_SIP_TLS;
		else if (strcasecmp(p, "SIP/2.0/TCP") == 0)
			in.proto = MCU_SIP_TCP;
	}
	char *body = NULL;
	int body_err = take_body(sipm, &body, &in.sdp_len);
	in.sdp = body;
	if (sipm)
		check_auth(sip, call, sipm);
	in.auth = call->auth;
	in.auth_user = call->auth == MCU_SIP_AUTH_NONE ? ""
	                                               : call->digest.username;
	mcu_log_info("INVITE %s from %s@%s (%s %s:%u) to %s", call->label,
	             in.from_user, in.from_host,
	             in.proto == MCU_SIP_TLS   ? "tls"
	             : in.proto == MCU_SIP_TCP ? "tcp"
	                                       : "udp",
	             in.src_addr, in.src_port, in.ruri_user);
	if (sip->shutting_down) {
		call->fail_status = 503;
		snprintf(call->fail_reason, sizeof(call->fail_reason),
		         "Service Unavailable");
		nua_respond(nh, 503, "Service Unavailable", TAG_END());
	} else if (body_err) {
		/* RFC 3261 21.4.1: a body that cannot be read is a bad
		   request; the call layer never sees it. */
		/* a literal: nua reads the phrase after the call is freed
		   (see struct mcu_sip's phrases) */
		const char *why = body_err == EBADMSG
		                          ? "Malformed SDP: NUL byte in body"
		                          : "Server Internal Error";
		call->fail_status = body_err == EBADMSG ? 400 : 500;
		snprintf(call->fail_reason, sizeof(call->fail_reason), "%s",
		         why);
		mcu_log_warn("INVITE %s refused: %d %s", call->label,
		             call->fail_status, why);
		nua_respond(nh, call->fail_status, why, TAG_END());
	} else if (sip->h.incoming) {
		sip->h.incoming(call, &in, sip->h.arg);
	} else {
		call->fail_status = 480;
		snprintf(call->fail_reason, sizeof(call->fail_reason),
		         "Temporarily Unavailable");
		nua_respond(nh, 480, "Temporarily Unavailable", TAG_END());
	}
	free(body);
}

static void on_reinvite(struct mcu_sip *sip, struct mcu_sip_call *call,
                        const sip_t *sipm)
{
	call->reinvite_in = true;
	if (!sip->h.reinvite) {
		nua_respond(call->nh, 488, "Not Acceptable Here", TAG_END());
		call->reinvite_in = false;
		return;
	}
	char *body = NULL;
	size_t len = 0;
	int err = take_body(sipm, &body, &len);
	if (err) {
		/* The dialog stays as it was (RFC 3261 14.2). */
		mcu_log_warn("call %s: re-INVITE refused: %s", call->label,
		             err == EBADMSG ? "NUL byte in its body"
		                            : strerror(err));
		if (err == EBADMSG)
			nua_respond(call->nh, 400,
			            "Malformed SDP: NUL byte in body", TAG_END());
		else
			nua_respond(call->nh, 500, "Server Internal Error",
			            TAG_END());
		call->reinvite_in = false;
		return;
	}
	sip->h.reinvite(call, body, len, sip->h.arg);
	free(body);
}

static void on_info(struct mcu_sip *sip, nua_t *nua, nua_handle_t *nh,
                    struct mcu_sip_call *call, const sip_t *sipm)
{
	if (!call) {
		nua_respond(nh, 481, "Call/Transaction Does Not Exist",
		            NUTAG_WITH_THIS(nua), TAG_END());
		nua_handle_destroy(nh);
		return;
	}
	const char *ct = sipm && sipm->sip_content_type
	                         ? str0(sipm->sip_content_type->c_type)
	                         : "";
	const char *body = NULL;
	size_t len = 0;
	if (sipm && sipm->sip_payload) {
		body = sipm->sip_payload->pl_data;
		len = sipm->sip_payload->pl_len;
	}
	char digit = 0;
	unsigned dur = 0;
	int err = mcu_sip_dtmf_parse(ct, body, len, &digit, &dur);
	if (err == ENOTSUP) {
		nua_respond(nh, 415, "Unsupported Media Type",
		            SIPTAG_ACCEPT_STR("application/dtmf-relay, "
		                              "application/dtmf"),
		            NUTAG_WITH_THIS(nua), TAG_END());
		return;
	}
	if (err) {
		nua_respond(nh, 400, "Bad DTMF Body", NUTAG_WITH_THIS(nua),
		            TAG_END());
		return;
	}
	nua_respond(nh, 200, "OK", NUTAG_WITH_THIS(nua), TAG_END());
	mcu_log_debug("call %s: DTMF %c (%u ms)", call->label, digit, dur);
	if (sip->h.dtmf)
		sip->h.dtmf(call, digit, dur, sip->h.arg);
}

static void on_state(struct mcu_sip *sip, struct mcu_sip_call *call,
                     int status, const char *phrase, tagi_t tags[])
{
	int ss = nua_callstate_init;
	tl_gets(tags, NUTAG_CALLSTATE_REF(ss), TAG_END());
	switch (ss) {
	case nua_callstate_completed: /* our 2xx sent */
		if (!call->outgoing && !call->answered) {
			call->answered = true;
			emit(call, MCU_SIP_EV_ANSWERED, 200, "OK",
			     MCU_SIP_CAUSE_NONE, NULL);
		}
		break;
	case nua_callstate_ready:
		if (!call->confirmed && call->answered) {
			call->confirmed = true;
			emit(call, MCU_SIP_EV_CONFIRMED, 200, "OK",
			     MCU_SIP_CAUSE_NONE, NULL);
		}
		break;
	case nua_callstate_terminated:
		finish(call, status, phrase);
		break;
	default:
		break;
	}
	(void)sip;
}

static void on_r_invite(struct mcu_sip_call *call, int status,
                        const char *phrase, const sip_t *sipm)
{
	if (call->reinvite_out) {
		if (status >= 200) {
			call->reinvite_out = false;
			emit(call, MCU_SIP_EV_REINVITE_DONE, status, phrase,
			     MCU_SIP_CAUSE_NONE, sipm);
		}
		return;
	}
	if (status < 200) {
		if (status > 100 && !call->answered)
			emit(call, MCU_SIP_EV_PROGRESS, status, phrase,
			     MCU_SIP_CAUSE_NONE, sipm);
		return;
	}
	if (status < 300) {
		if (!call->answered) {
			call->answered = true;
			emit(call, MCU_SIP_EV_ANSWERED, status, phrase,
			     MCU_SIP_CAUSE_NONE, sipm);
		}
		return;
	}
	if (call->answered)
		return;
	call->fail_status = status;
	snprintf(call->fail_reason, sizeof(call->fail_reason), "%s",
	         str0(phrase));
	/* We hold no client credentials: a challenge ends the call here. */
	if (status == 401 || status == 407)
		finish(call, status, phrase);
}

static bool out_of_dialog_request(nua_event_t event)
{
	switch (event) {
	case nua_i_invite:
	case nua_i_method:
	case nua_i_options:
	case nua_i_message:
	case nua_i_notify:
	case nua_i_subscribe:
	case nua_i_refer:
	case nua_i_publish:
	case nua_i_register:
	case nua_i_info:
		return true;
	default:
		return false;
	}
}

static int64_t mono_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/*
 * The per-source rate limit of out-of-dialog requests (sip_limit.h),
 * before any other work on them (digest, admission, SDP, log lines):
 * true when the request goes on. Over the limit an INVITE (or an unknown
 * method) gets a bare 403 -- 503 with Retry-After when the source is in
 * some allow list -- and the handle is dropped; OPTIONS, REGISTER and the
 * like were answered by nua itself already and are only counted. nua has
 * no hook before it creates the server transaction, so that state (and
 * its 100 Trying) still exists; everything of ours is skipped.
 */
static bool admit_source(struct mcu_sip *sip, nua_t *nua, nua_handle_t *nh,
                         nua_event_t event)
{
	msg_t *msg = nua_current_request(nua);
	su_addrinfo_t *ai = msg ? msg_addrinfo(msg) : NULL;
	char addr[64] = "?";
	bool known = false;

	if (!ai || !ai->ai_addr)
		return true;
	if (getnameinfo((struct sockaddr *)ai->ai_addr,
	                (socklen_t)ai->ai_addrlen, addr, sizeof(addr), NULL, 0,
	                NI_NUMERICHOST) == 0 &&
	    sip->h.source_known)
		known = sip->h.source_known(addr, sip->h.source_arg);
	if (mcu_sip_limit_take(sip->limit, (struct sockaddr *)ai->ai_addr,
	                       known, mono_us()))
		return true;
	mcu_log_ratelimited(MCU_LOG_WARN, 5000,
	                    "SIP requests from %s (%s source) over the rate "
	                    "limit: refused unprocessed",
	                    addr, known ? "allowed" : "unknown");
	if (event == nua_i_invite || event == nua_i_method ||
	    event == nua_i_info) {
		if (known)
			nua_respond(nh, 503, "Service Unavailable",
			            NUTAG_WITH_THIS(nua),
			            SIPTAG_RETRY_AFTER_STR("5"), TAG_END());
		else
			nua_respond(nh, 403, "Forbidden", NUTAG_WITH_THIS(nua),
			            TAG_END());
	}
	nua_handle_destroy(nh);
	return false;
}

static void on_nua(nua_event_t event, int status, char const *phrase,
                   nua_t *nua, struct mcu_sip *sip, nua_handle_t *nh,
                   struct mcu_sip_call *call, sip_t const *sipm,
                   tagi_t tags[])
{
	if (call && call->final)
		return;
	if (!call && nh && sip->limit && out_of_dialog_request(event) &&
	    !admit_source(sip, nua, nh, event))
		return;
	switch (event) {
	case nua_i_invite:
		if (call)
			on_reinvite(sip, call, sipm);
		else if (nh)
			on_invite(sip, nua, nh, sipm);
		break;
	case nua_i_cancel:
		if (call && !call->answered)
			call->cancelled = true;
		break;
	case nua_i_ack:
		if (call && !call->confirmed && call->answered) {
			call->confirmed = true;
			emit(call, MCU_SIP_EV_CONFIRMED, 200, "OK",
			     MCU_SIP_CAUSE_NONE, sipm);
		}
		break;
	case nua_i_bye:
		if (call)
			call->remote_bye = true;
		break;
	case nua_i_info:
		on_info(sip, nua, nh, call, sipm);
		break;
	case nua_i_state:
		if (call)
			on_state(sip, call, status, phrase, tags);
		break;
	case nua_r_invite:
		if (call)
			on_r_invite(call, status, phrase, sipm);
		break;
	case nua_r_options:
		if (call && status >= 200) {
			call->ping_out = false;
			emit(call, MCU_SIP_EV_PING, status, phrase,
			     MCU_SIP_CAUSE_NONE, NULL);
		}
		break;
	case nua_r_shutdown:
		if (status >= 200) {
			mcu_log_debug("nua shutdown: %d %s", status, phrase);
			su_root_break(sip->root);
		}
		break;
	case nua_i_method:
		if (!call && nh) {
			nua_respond(nh, 405, "Method Not Allowed",
			            NUTAG_WITH_THIS(nua), TAG_END());
			nua_handle_destroy(nh);
		}
		break;
	case nua_i_options:
	case nua_i_message:
	case nua_i_notify:
	case nua_i_subscribe:
	case nua_i_refer:
	case nua_i_publish:
	case nua_i_register:
		/* Answered by nua; out-of-dialog handles are ours to free. */
		if (!call && nh)
			nua_handle_destroy(nh);
		break;
	default:
		mcu_log_debug("nua event %s %d %s", nua_event_name(event),
		              status, str0(phrase));
		break;
	}
}

/* ---- commands (SIP thread) --------------------------------------------- */

static void do_dial(struct mcu_sip *sip, struct cmd *c)
{
	struct mcu_sip_call *call = c->call;
	if (sip->shutting_down) {
		call->fail_status = 503;
		snprintf(call->fail_reason, sizeof(call->fail_reason),
		         "Shutting Down");
		call->final = true;
		emit(call, MCU_SIP_EV_FAILED, 503, "Shutting Down",
		     MCU_SIP_CAUSE_NONE, NULL);
		return;
	}
	nua_handle_t *nh = nua_handle(sip->nua, call, SIPTAG_TO_STR(c->to),
	                              SIPTAG_FROM_STR(c->from), TAG_END());
	if (!nh) {
		call->final = true;
		emit(call, MCU_SIP_EV_FAILED, 500, "Cannot Create Handle",
		     MCU_SIP_CAUSE_NONE, NULL);
		return;
	}
	call->nh = nh;
	call_link(sip, mcu_sip_call_get(call));
	mcu_log_info("dial %s: %s", call->label, c->to);
	nua_invite(nh, NUTAG_URL(c->to), NUTAG_MEDIA_ENABLE(0),
	           TAG_IF(c->sdp, SIPTAG_CONTENT_TYPE_STR("application/sdp")),
	           TAG_IF(c->sdp, SIPTAG_PAYLOAD_STR(c->sdp)), TAG_END());
}

/* A copy of a reason phrase that lives as long as nua (see struct mcu_sip),
   or NULL past MAX_PHRASES distinct ones or out of memory: the caller then
   sends the standard phrase of the status. */
static const char *keep_phrase(struct mcu_sip *sip, const char *s)
{
	struct phrase *p;
	for (p = sip->phrases; p; p = p->next)
		if (!strcmp(p->s, s))
			return p->s;
	if (sip->n_phrases >= MAX_PHRASES) {
		if (!sip->phrases_full_logged)
			mcu_log_warn("%d distinct reason phrases kept already; \"%s\" "
			             "sent as the status's standard phrase "
			             "(logged once)", MAX_PHRASES, s);
		sip->phrases_full_logged = true;
		return NULL;
	}
	size_t n = strlen(s);
	p = malloc(sizeof(*p) + n + 1);
	if (!p)
		return NULL;
	memcpy(p->s, s, n + 1);
	p->next = sip->phrases;
	sip->phrases = p;
	sip->n_phrases++;
	return p->s;
}

static void do_respond(struct mcu_sip_call *call, struct cmd *c)
{
	int st = c->status;
	const char *reason = c->reason ? keep_phrase(call->sip, c->reason)
	                               : NULL;
	if (!reason)
		reason = sip_status_phrase(st);
	if (!reason)
		reason = "Unknown";
	if (st >= 300 && !call->answered && !call->reinvite_in) {
		call->fail_status = st;
		snprintf(call->fail_reason, sizeof(call->fail_reason), "%s",
		         reason);
	}
	if (st >= 200 && st < 300 && !call->reinvite_in)
		call->ok_sent = true;
	if (st >= 200)
		call->reinvite_in = false;
	char retry[32], warn[256];
	snprintf(retry, sizeof(retry), "%u", c->retry_after);
	/* RFC 3261 20.43: 399 = miscellaneous, agent "mcud" (a pseudonym) */
	snprintf(warn, sizeof(warn), "399 mcud \"%s\"",
	         c->warning ? c->warning : "");
	nua_respond(call->nh, st, reason,
	            TAG_IF(c->sdp, SIPTAG_CONTENT_TYPE_STR("application/sdp")),
	            TAG_IF(c->sdp, SIPTAG_PAYLOAD_STR(c->sdp)),
	            TAG_IF(c->retry_after, SIPTAG_RETRY_AFTER_STR(retry)),
	            TAG_IF(c->warning, SIPTAG_WARNING_STR(warn)), TAG_END());
}

static void do_challenge(struct mcu_sip *sip, struct mcu_sip_call *call,
                         bool stale)
{
	char nonce[MCU_SIP_NONCE_LEN + 1];
	if (call->answered || mcu_sip_nonce_make(sip->nonce_key, now_s(),
	                                         nonce, sizeof(nonce)) != 0)
		return;
	char hdr[512];
	snprintf(hdr, sizeof(hdr),
	         "Digest realm=\"%s\", nonce=\"%s\", algorithm=MD5, "
	         "qop=\"auth\"%s",
	         sip->domain, nonce, stale ? ", stale=true" : "");
	call->fail_status = 401;
	snprintf(call->fail_reason, sizeof(call->fail_reason), "Unauthorized");
	nua_respond(call->nh, 401, "Unauthorized",
	            SIPTAG_WWW_AUTHENTICATE_STR(hdr), TAG_END());
}

/*
 * Once per call: nua queues each request of a dialog behind the one
 * before it and starts the next from the end of the last, so BYEs sent
 * again and again (the fuzz harness hangs up every live call after each
 * input) recursed through sofia's stack thread until it overflowed, each
 * failing at once on a caller's unusable Contact.
 */
static void do_hangup(struct mcu_sip_call *call)
{
	/* answered is set when sofia reports the 2xx sent; a hang-up queued
	   behind our 2xx comes before that, and is a BYE too */
	if (call->answered || call->ok_sent) {
		if (call->local_bye || call->remote_bye)
			return;
		call->local_bye = true;
		nua_bye(call->nh, TAG_END());
	} else if (call->outgoing) {
		if (call->cancel_sent)
			return;
		call->cancel_sent = true;
		nua_cancel(call->nh, TAG_END());
	} else if (!call->fail_status) {
		call->fail_status = 480;
		snprintf(call->fail_reason, sizeof(call->fail_reason),
		         "Temporarily Unavailable");
		nua_respond(call->nh, 480, "Temporarily Unavailable",
		            TAG_END());
	}
}

static void on_stop_timer(struct mcu_sip *sip, su_timer_t *t,
                          su_timer_arg_t *arg)
{
	mcu_log_warn("shutdown timed out; stopping anyway");
	su_root_break(sip->root);
	(void)t;
	(void)arg;
}

static void begin_shutdown(struct mcu_sip *sip)
{
	if (sip->shutting_down)
		return;
	sip->shutting_down = true;
	for (struct mcu_sip_call *call = sip->calls; call; call = call->next)
		if (!call->final && call->nh)
			do_hangup(call);
	nua_shutdown(sip->nua);
	sip->stop_timer = su_timer_create(su_root_task(sip->root), 0);
	if (!sip->stop_timer ||
	    su_timer_set_interval(sip->stop_timer, on_stop_timer, NULL,
	                          SHUTDOWN_MS) != 0) {
		mcu_log_error("cannot arm the shutdown timer");
		su_root_break(sip->root);
	}
}

static void run_cmd(struct mcu_sip *sip, struct cmd *c)
{
	struct mcu_sip_call *call = c->call;
	if (c->type == CMD_STOP) {
		begin_shutdown(sip);
		return;
	}
	if (c->type == CMD_DIAL) {
		do_dial(sip, c);
		return;
	}
	if (!call->nh || call->final) {
		mcu_log_debug("call %s: command %d after its end ignored",
		              call->label, (int)c->type);
		return;
	}
	switch (c->type) {
	case CMD_RESPOND:
		do_respond(call, c);
		break;
	case CMD_CHALLENGE:
		do_challenge(sip, call, c->stale);
		break;
	case CMD_HANGUP:
		do_hangup(call);
		break;
	case CMD_REINVITE:
		if (!call->answered || call->reinvite_out) {
			emit(call, MCU_SIP_EV_REINVITE_DONE, 491,
			     "Request Pending", MCU_SIP_CAUSE_NONE, NULL);
			break;
		}
		call->reinvite_out = true;
		nua_invite(call->nh, NUTAG_MEDIA_ENABLE(0),
		           SIPTAG_CONTENT_TYPE_STR("application/sdp"),
		           SIPTAG_PAYLOAD_STR(c->sdp), TAG_END());
		break;
	case CMD_PING:
		/* one at a time (its answer serves every ask), none on a
		   call being hung up */
		if (call->ping_out || call->local_bye || call->remote_bye)
			break;
		call->ping_out = true;
		nua_options(call->nh, TAG_END());
		break;
	default:
		break;
	}
}

static int on_wakeup(struct mcu_sip *sip, su_wait_t *w, struct mcu_sip *arg)
{
	uint64_t v;
	if (read(sip->efd, &v, sizeof(v)) < 0 && errno != EAGAIN)
		mcu_log_error("eventfd read: %s", strerror(errno));
	int err = pthread_mutex_lock(&sip->lock);
	if (err) {
		mcu_log_error("pthread_mutex_lock: %s", strerror(err));
		return 0;
	}
	struct cmd *list = sip->q_head;
	sip->q_head = sip->q_tail = NULL;
	sip->q_len = 0;
	err = pthread_mutex_unlock(&sip->lock);
	if (err)
		mcu_log_error("pthread_mutex_unlock: %s", strerror(err));
	while (list) {
		struct cmd *c = list;
		list = c->next;
		run_cmd(sip, c);
		cmd_free(c);
	}
	(void)w;
	(void)arg;
	return 0;
}

/* ---- the thread -------------------------------------------------------- */

static int write_file(const char *path, const char *const *srcs, size_t n)
{
	FILE *out = fopen(path, "w");
	if (!out)
		return errno;
	int err = 0;
	for (size_t i = 0; i < n && !err; i++) {
		FILE *in = fopen(srcs[i], "r");
		if (!in) {
			err = errno;
			break;
		}
		char buf[4096];
		size_t r;
		while ((r = fread(buf, 1, sizeof(buf), in)) > 0)
			if (fwrite(buf, 1, r, out) != r)
				err = EIO;
		if (ferror(in))
			err = EIO;
		fclose(in);
		if (fwrite("\n", 1, 1, out) != 1)
			err = EIO;
	}
	if (fclose(out) != 0 && !err)
		err = EIO;
	return err;
}

/* sofia's TLS reads agent.pem (key + certificate) and cafile.pem from a
   directory: build one from the configured files, removed after bind.
   Without a CA bundle our own certificate fills cafile.pem (sofia needs
   one; nothing is verified then). */
static int make_certdir(struct mcu_sip *sip, const char *cert,
                        const char *key, const char *cafile)
{
	snprintf(sip->certdir, sizeof(sip->certdir), "/tmp/mcud-tls-XXXXXX");
	if (!mkdtemp(sip->certdir)) {
		sip->certdir[0] = '\0';
		return errno;
	}
	char path[128];
	const char *agent[] = {key, cert};
	snprintf(path, sizeof(path), "%s/agent.pem", sip->certdir);
	int err = write_file(path, agent, 2);
	if (!err) {
		const char *ca[] = {cafile ? cafile : cert};
		snprintf(path, sizeof(path), "%s/cafile.pem", sip->certdir);
		err = write_file(path, ca, 1);
	}
	return err;
}

static void remove_certdir(struct mcu_sip *sip)
{
	if (!sip->certdir[0])
		return;
	char path[128];
	snprintf(path, sizeof(path), "%s/agent.pem", sip->certdir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/cafile.pem", sip->certdir);
	unlink(path);
	rmdir(sip->certdir);
	sip->certdir[0] = '\0';
}

static void signal_started(struct mcu_sip *sip, int err)
{
	int e = pthread_mutex_lock(&sip->lock);
	if (e) {
		mcu_log_error("pthread_mutex_lock: %s", strerror(e));
		return;
	}
	sip->started = true;
	sip->start_err = err;
	e = pthread_cond_signal(&sip->cond);
	if (e)
		mcu_log_error("pthread_cond_signal: %s", strerror(e));
	e = pthread_mutex_unlock(&sip->lock);
	if (e)
		mcu_log_error("pthread_mutex_unlock: %s", strerror(e));
}

static void close_queue(struct mcu_sip *sip)
{
	int e = pthread_mutex_lock(&sip->lock);
	if (e) {
		mcu_log_error("pthread_mutex_lock: %s", strerror(e));
		return;
	}
	sip->q_closed = true;
	struct cmd *list = sip->q_head;
	sip->q_head = sip->q_tail = NULL;
	sip->q_len = 0;
	e = pthread_mutex_unlock(&sip->lock);
	if (e)
		mcu_log_error("pthread_mutex_unlock: %s", strerror(e));
	while (list) {
		struct cmd *c = list;
		list = c->next;
		if (c->type == CMD_DIAL && !c->call->final) {
			c->call->final = true;
			emit(c->call, MCU_SIP_EV_FAILED, 503, "Shutting Down",
			     MCU_SIP_CAUSE_NONE, NULL);
		}
		cmd_free(c);
	}
}

/* su_init() is process-wide and sofia's su_deinit() does not undo it so
   that it can be done again: initialise once, never deinitialise. */
static pthread_once_t su_once = PTHREAD_ONCE_INIT;
static int su_init_err;

/* Exported by libsofia-sip-ua but declared in no installed header. */
extern su_log_t tport_log[], nta_log[], nua_log[];

/*
 * Sofia dumps whole messages when its TPORT_LOG / NTA_DEBUG environment
 * asks: SDES keys (a=crypto ... inline:KEY) and Authorization headers must
 * not reach our log (docs/security.md, "Secrets in logs"). Key characters
 * and header values are overwritten in place.
 */
static void redact_secrets(char *line)
{
	static const char *const hdrs[] = {"authorization:",
	                                   "proxy-authorization:"};
	char *p = line;
	while ((p = strstr(p, "inline:")) != NULL) {
		p += 7;
		while (*p && *p != '|' && *p != ' ' && *p != '\r' &&
		       *p != '\n')
			*p++ = '*';
	}
	for (size_t i = 0; i < sizeof(hdrs) / sizeof(hdrs[0]); i++) {
		size_t hl = strlen(hdrs[i]);
		for (p = line; *p; p++) {
			if ((p == line || p[-1] == '\n' || p[-1] == ' ') &&
			    strncasecmp(p, hdrs[i], hl) == 0) {
				p += hl;
				while (*p && *p != '\r' && *p != '\n')
					*p++ = '*';
				if (!*p)
					break;
			}
		}
	}
}

/*
 * sofia's lines are limited per kind, its format string (one per call
 * site): a flood of one kind, a scanner's malformed messages, keeps to one
 * line per 200 ms, and a line of another kind in the same moment, such as
 * a TLS peer refused for its certificate's subject, is still written. One
 * limit for all of sofia's lines had swallowed exactly that line when it
 * came within 200 ms of the handshake's own failure.
 */
#define SOFIA_LOG_KINDS 16
static struct {
	const char *fmt;
	int64_t last_ms;
	unsigned dropped;
} sofia_kinds[SOFIA_LOG_KINDS];                     /* sofia_kinds_lock */
static pthread_mutex_t sofia_kinds_lock = PTHREAD_MUTEX_INITIALIZER;

static bool sofia_log_pass(const char *fmt)
{
	size_t k = 0;
	pthread_mutex_lock(&sofia_kinds_lock);
	for (size_t i = 0; i < SOFIA_LOG_KINDS; i++) {
		if (sofia_kinds[i].fmt == fmt) {
			k = i;
			break;
		}
		/* else the kind written longest ago makes room */
		if (sofia_kinds[i].last_ms < sofia_kinds[k].last_ms)
			k = i;
	}
	if (sofia_kinds[k].fmt != fmt) {
		sofia_kinds[k].fmt = fmt;
		sofia_kinds[k].last_ms = 0;
		sofia_kinds[k].dropped = 0;
	}
	bool pass = mcu_log_ratelimit_pass(&sofia_kinds[k].last_ms,
	                                   &sofia_kinds[k].dropped, 200);
	pthread_mutex_unlock(&sofia_kinds_lock);
	return pass;
}

/* sofia's own log lines (tport, nta, nua) go through our logger. */
__attribute__((format(printf, 2, 0)))
static void sofia_log(void *stream, char const *fmt, va_list ap)
{
	char line[512];
	(void)stream;
	/* nta taking off the received= our Via gate added (via_add_received)
	   is no news: it is not the peer's */
	if (!strncmp(fmt, "nta: Via check: extra received=", 31))
		return;
	if (!mcu_log_enabled(MCU_LOG_INFO) || !sofia_log_pass(fmt))
		return;
	vsnprintf(line, sizeof(line), fmt, ap);
	redact_secrets(line);
	size_t n = strlen(line);
	while (n && (line[n - 1] == '\n' || line[n - 1] == '\r'))
		line[--n] = '\0';
	if (n)
		mcu_log_write(MCU_LOG_INFO, MCU_LOG_MODULE, "sofia: %s", line);
}

static void su_init_once(void)
{
	su_init_err = su_init() != 0;
	su_log_redirect(NULL, sofia_log, NULL);
	su_log_redirect(tport_log, sofia_log, NULL);
	su_log_redirect(nta_log, sofia_log, NULL);
	su_log_redirect(nua_log, sofia_log, NULL);
}

static void *sip_thread(void *arg)
{
	struct mcu_sip *sip = arg;
	int err = 0;
	su_wait_t wait[1];
	int reg = -1;
	int e = pthread_once(&su_once, su_init_once);
	if (e || su_init_err) {
		err = e ? e : EIO;
		goto out;
	}
	sip->root = su_root_create(sip);
	if (!sip->root) {
		err = ENOMEM;
		goto out;
	}
	su_wait_create(wait, sip->efd, SU_WAIT_IN);
	reg = su_root_register(sip->root, wait, on_wakeup, sip, 0);
	if (reg < 0) {
		su_wait_destroy(wait);
		err = EIO;
		goto out;
	}
	char ua[64];
	snprintf(ua, sizeof(ua), "mcud/%s", MCU_VERSION);
	pthread_once(&gate_once, gate_mclass_init);
	sip->nua = nua_create(
		sip->root, on_nua, sip,
		TAG_IF(gate_mclass, NUTAG_SIP_PARSER(gate_mclass)),
		TAG_IF(sip->url[0], NUTAG_URL(sip->url)),
		TAG_IF(sip->sips_url[0], NUTAG_SIPS_URL(sip->sips_url)),
		TAG_IF(sip->certdir[0], NUTAG_CERTIFICATE_DIR(sip->certdir)),
		TAG_IF(sip->certdir[0], TPTAG_TLS_VERIFY_POLICY(sip->tls_policy)),
		TAG_IF(sip->certdir[0], TPTAG_TLS_VERIFY_DEPTH(TLS_VERIFY_DEPTH)),
		TAG_IF(sip->tls_subjects,
		       TPTAG_TLS_VERIFY_SUBJECTS(sip->tls_subjects)),
		/* sofia runs a STUN server on its UDP ports by default
		   (tport's stun_mini): it prints every STUN-looking
		   datagram to stderr and leaks the reason phrase of each
		   error it answers, so a sender of bad STUN requests could
		   grow mcud without bound. An MCU's SIP port has no use
		   for STUN (media's ICE is libnice's): off, sofia answers
		   any STUN request "600 Not Implemented" and keeps nothing. */
		TPTAG_STUN_SERVER(0),
		NUTAG_AUTOANSWER(0), NUTAG_AUTOALERT(0), NUTAG_AUTOACK(1),
		NUTAG_MEDIA_ENABLE(0), NUTAG_ENABLEMESSAGE(0),
		/* SIPTAG_ALLOW replaces nua's default list (NUTAG_ALLOW only
		   adds to it): nua then answers what we do not handle, REFER,
		   SUBSCRIBE, MESSAGE, PRACK..., with 405 instead of 202. */
		SIPTAG_ALLOW_STR("INVITE, ACK, BYE, CANCEL, OPTIONS, INFO, UPDATE"),
		NUTAG_APPL_METHOD("INFO"),
		SIPTAG_ACCEPT_STR("application/sdp, application/dtmf-relay, "
		                  "application/dtmf"),
		SIPTAG_SUPPORTED_STR("timer"),
		NUTAG_SESSION_TIMER(sip->session_expires),
		NUTAG_MIN_SE(sip->min_se),
		NUTAG_SESSION_REFRESHER(nua_any_refresher),
		NUTAG_UPDATE_REFRESH(1), NUTAG_USER_AGENT(ua),
		NUTAG_M_USERNAME("mcu"), TAG_END());
	remove_certdir(sip);
	if (!sip->nua) {
		mcu_log_error("cannot bind SIP transports (%s%s%s)", sip->url,
		              sip->sips_url[0] ? " " : "", sip->sips_url);
		err = EADDRINUSE;
		goto out;
	}
	mcu_log_info("SIP listening on %s%s%s", sip->url,
	             sip->sips_url[0] ? " " : "", sip->sips_url);
	signal_started(sip, 0);
	su_root_run(sip->root);
	sip->stopped = true;
	close_queue(sip);
	while (sip->calls)
		finish(sip->calls, 503, "Shutting Down");
	if (sip->stop_timer)
		su_timer_destroy(sip->stop_timer);
	nua_destroy(sip->nua);
	sip->nua = NULL;
out:
	if (reg >= 0)
		su_root_deregister(sip->root, reg);
	if (sip->root)
		su_root_destroy(sip->root);
	sip->root = NULL;
	if (err) {
		close_queue(sip);
		signal_started(sip, err);
	}
	return NULL;
}

/* ---- setup ------------------------------------------------------------- */

static void url_host(char *buf, size_t size, const char *host)
{
	if (strchr(host, ':'))
		snprintf(buf, size, "[%s]", host);
	else
		snprintf(buf, size, "%s", host);
}

static int build_urls(struct mcu_sip *sip, const struct mcu_sip_config *cfg)
{
	const struct mcu_sip_listen *plain = NULL;
	bool udp = false, tcp = false;
	for (size_t i = 0; i < cfg->n_listen; i++) {
		const struct mcu_sip_listen *l = &cfg->listen[i];
		if (!l->host || !*l->host || strlen(l->host) > 64 ||
		    strpbrk(l->host, " ;<>\"@[]/"))
			return EINVAL;
		char h[80];
		url_host(h, sizeof(h), l->host);
		if (l->proto == MCU_SIP_TLS) {
			if (sip->sips_url[0] || !cfg->tls_certificate ||
			    !cfg->tls_key)
				return EINVAL;
			snprintf(sip->sips_url, sizeof(sip->sips_url),
			         "sips:%s:%u", h, l->port);
			continue;
		}
		/* nua binds one plain address: udp and tcp must share it. */
		if (plain && (strcmp(plain->host, l->host) != 0 ||
		              plain->port != l->port))
			return EINVAL;
		plain = l;
		udp |= l->proto == MCU_SIP_UDP;
		tcp |= l->proto == MCU_SIP_TCP;
	}
	if (plain) {
		char h[80];
		url_host(h, sizeof(h), plain->host);
		/* Without a transport parameter sofia binds udp and tcp
		   (a "transport=udp,tcp" list crashes a second nua of the
		   process in tport_tbind with sofia-sip 1.12.11). */
		if (udp && tcp)
			snprintf(sip->url, sizeof(sip->url), "sip:%s:%u", h,
			         plain->port);
		else
			snprintf(sip->url, sizeof(sip->url),
			         "sip:%s:%u;transport=%s", h, plain->port,
			         udp ? "udp" : "tcp");
	}
	if (!sip->url[0] && !sip->sips_url[0])
		return EINVAL;
	return 0;
}

/* What sofia verifies on TLS connections (TPTAG_TLS_VERIFY_POLICY):
   outgoing, the chain and the URI host; incoming, the chain and, with
   subjects, one of them. Verifying needs a CA bundle. */
static int tls_policy(struct mcu_sip *sip, const struct mcu_sip_config *cfg)
{
	if ((cfg->tls_verify_server || cfg->tls_verify_client) &&
	    !cfg->tls_ca_file)
		return EINVAL;
	if (cfg->n_tls_client_subjects && !cfg->tls_verify_client)
		return EINVAL;
	sip->tls_policy = TPTLS_VERIFY_NONE;
	if (cfg->tls_verify_server)
		sip->tls_policy |= TPTLS_VERIFY_SUBJECTS_OUT;
	if (cfg->tls_verify_client)
		sip->tls_policy |= cfg->n_tls_client_subjects
		                           ? TPTLS_VERIFY_SUBJECTS_IN
		                           : TPTLS_VERIFY_IN;
	if (!cfg->n_tls_client_subjects)
		return 0;
	sip->tls_subjects = su_strlst_create(NULL);
	if (!sip->tls_subjects)
		return ENOMEM;
	for (size_t i = 0; i < cfg->n_tls_client_subjects; i++) {
		const char *s = cfg->tls_client_subjects[i];
		if (!s || !*s || strlen(s) > 255)
			return EINVAL;
		if (!su_strlst_dup_append(sip->tls_subjects, s))
			return ENOMEM;
	}
	return 0;
}

int mcu_sip_alloc(struct mcu_sip **sipp, const struct mcu_sip_config *cfg,
                  const struct mcu_sip_handlers *handlers)
{
	if (!sipp || !cfg || !cfg->domain || !*cfg->domain ||
	    !token_ok(cfg->domain, false) || strlen(cfg->domain) > 200)
		return EINVAL;
	struct mcu_sip *sip = calloc(1, sizeof(*sip));
	if (!sip)
		return ENOMEM;
	int err = 0;
	atomic_init(&sip->refs, 1);
	sip->efd = -1;
	if ((err = pthread_mutex_init(&sip->lock, NULL)) != 0) {
		free(sip);
		return err;
	}
	if ((err = pthread_cond_init(&sip->cond, NULL)) != 0) {
		pthread_mutex_destroy(&sip->lock);
		free(sip);
		return err;
	}
	if (handlers)
		sip->h = *handlers;
	sip->nonce_ttl = cfg->nonce_ttl ? cfg->nonce_ttl : 300;
	sip->max_queue = cfg->max_queue ? cfg->max_queue : 4096;
	sip->session_expires = cfg->session_expires ? cfg->session_expires
	                                            : 1800;
	sip->min_se = cfg->min_se ? cfg->min_se : 90;
	sip->domain = strdup(cfg->domain);
	if (!sip->domain) {
		err = ENOMEM;
		goto out;
	}
	sip->limit = cfg->rate_limit;
	if (RAND_bytes(sip->nonce_key, sizeof(sip->nonce_key)) != 1) {
		err = EIO;
		goto out;
	}
	if ((err = build_urls(sip, cfg)) != 0)
		goto out;
	if ((err = tls_policy(sip, cfg)) != 0)
		goto out;
	sip->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (sip->efd < 0) {
		err = errno;
		goto out;
	}
	if (sip->sips_url[0] &&
	    (err = make_certdir(sip, cfg->tls_certificate, cfg->tls_key,
	                        cfg->tls_ca_file)) != 0) {
		mcu_log_error("TLS certificate/key: %s", strerror(err));
		remove_certdir(sip);
		goto out;
	}
	if ((err = pthread_create(&sip->thread, NULL, sip_thread, sip)) != 0) {
		remove_certdir(sip);
		goto out;
	}
	sip->thread_started = true;
	pthread_setname_np(sip->thread, "mcud-sip");
	if ((err = pthread_mutex_lock(&sip->lock)) != 0)
		goto out;
	while (!sip->started) {
		int e = pthread_cond_wait(&sip->cond, &sip->lock);
		if (e) {
			mcu_log_error("pthread_cond_wait: %s", strerror(e));
			break;
		}
	}
	err = sip->start_err;
	int e = pthread_mutex_unlock(&sip->lock);
	if (e)
		mcu_log_error("pthread_mutex_unlock: %s", strerror(e));
out:
	if (err) {
		if (sip->thread_started) {
			int je = pthread_join(sip->thread, NULL);
			if (je)
				mcu_log_error("pthread_join: %s", strerror(je));
		}
		sip_put(sip);
		return err;
	}
	*sipp = sip;
	return 0;
}

struct mcu_sip *mcu_sip_free(struct mcu_sip *sip)
{
	if (!sip)
		return NULL;
	struct cmd *c = calloc(1, sizeof(*c));
	int err = ENOMEM;
	if (c) {
		c->type = CMD_STOP;
		err = enqueue(sip, c);
	}
	if (err) {
		mcu_log_error("cannot stop the SIP thread: %s", strerror(err));
		return NULL; /* leaking beats joining a thread that won't end */
	}
	err = pthread_join(sip->thread, NULL);
	if (err)
		mcu_log_error("pthread_join: %s", strerror(err));
	sip_put(sip);
	return NULL;
}
