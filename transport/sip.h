/*
 * sip: SIP signalling of mcud on top of sofia-sip's nua (RFC 3261 dialogs,
 * transactions, CANCEL, 481 for unknown dialogs, 400 for malformed
 * requests, RFC 4028 session timers). It owns the SIP thread of
 * design.md: one thread runs sofia's event loop; nothing else touches
 * sofia objects.
 *
 * It is a library and knows nothing of meetings: the upper layer (mcu/)
 * gets callbacks for incoming calls, call state, re-INVITEs and DTMF and
 * decides admission and media; SDP bodies pass through untouched (sofia's
 * own offer/answer is off; transport/sdp does that).
 *
 * Upward: the callbacks of struct mcu_sip_handlers run on the SIP thread,
 * one at a time, with no lock of ours held; they must not block. The call
 * they get is borrowed: take mcu_sip_call_get() to keep it.
 *
 * Downward: every mcu_sip_* function below is thread-safe: it queues a
 * command (bounded queue) that the SIP thread carries out, so it also may be
 * called from inside a callback. Results come back as events.
 *
 * Each call gets exactly one final event: CANCELLED, FAILED or
 * TERMINATED. After it, commands on the call are ignored.
 */
#ifndef MCU_TRANSPORT_SIP_H
#define MCU_TRANSPORT_SIP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "conf/config.h" /* enum mcu_sip_proto */
#include "transport/sip_limit.h"

struct mcu_sip;
struct mcu_sip_call;

struct mcu_sip_listen {
	enum mcu_sip_proto proto; /* UDP, TCP or TLS */
	const char *host;         /* numeric address */
	uint16_t port;
};

struct mcu_sip_config {
	const struct mcu_sip_listen *listen;
	size_t n_listen;
	const char *domain;          /* realm of digest auth, From host */
	const char *tls_certificate; /* PEM files; needed for a TLS listen */
	const char *tls_key;
	/* PEM bundle of the CAs that sign peers' certificates; NULL: our
	   own certificate stands in (nothing is verified then). */
	const char *tls_ca_file;
	/* Dial-out over TLS: the endpoint's certificate must chain to
	   tls_ca_file and name the Request-URI host (CN or subjectAltName),
	   or the connection is closed and the call fails. */
	bool tls_verify_server;
	/* Dial-in over TLS: the client must present a certificate that
	   chains to tls_ca_file, or the TLS handshake fails. With
	   n_tls_client_subjects > 0 it must also name one of these. */
	bool tls_verify_client;
	const char *const *tls_client_subjects;
	size_t n_tls_client_subjects;
	unsigned session_expires;    /* RFC 4028 seconds; 0 = 1800 */
	unsigned min_se;             /* 0 = 90 */
	unsigned nonce_ttl;          /* seconds a nonce is good; 0 = 300 */
	unsigned max_queue;          /* queued commands; 0 = 4096 */
	/* Per-source limits of out-of-dialog requests (docs/security.md,
	   "SIP flood limits"): borrowed, it must outlive the mcu_sip (the
	   caller reads its counters); only the SIP thread takes from it.
	   NULL: no limit. */
	struct mcu_sip_limit *rate_limit;
};

/* What the credentials of an incoming INVITE look like. */
enum mcu_sip_auth {
	MCU_SIP_AUTH_NONE = 0, /* no Authorization header */
	MCU_SIP_AUTH_PRESENT,  /* Digest with our valid nonce: check it with
	                          mcu_sip_call_auth_check() */
	MCU_SIP_AUTH_STALE,    /* our nonce, expired: challenge with stale */
	MCU_SIP_AUTH_INVALID,  /* malformed, foreign nonce, other realm */
};

/* An incoming INVITE; valid only during the callback. */
struct mcu_sip_incoming {
	const char *call_id;
	const char *ruri_user, *ruri_host;  /* "" when absent */
	const char *from_user, *from_host;
	const char *from_display;           /* unquoted, "" when absent */
	char src_addr[64];                  /* transport source address */
	uint16_t src_port;
	enum mcu_sip_proto proto;
	const char *sdp;                    /* NUL-terminated offer or NULL */
	size_t sdp_len;
	enum mcu_sip_auth auth;
	const char *auth_user;              /* username given, or "" */
};

enum mcu_sip_event_type {
	MCU_SIP_EV_PROGRESS = 0,   /* dial-out: 18x received (status) */
	MCU_SIP_EV_ANSWERED,       /* dial-out: 2xx received (sdp: answer);
	                              dial-in: our 2xx sent */
	MCU_SIP_EV_CONFIRMED,      /* ACK received or sent: call is up
	                              (sdp: ACK body of a delayed offer) */
	MCU_SIP_EV_REINVITE_DONE,  /* our re-INVITE's final status (+ sdp) */
	MCU_SIP_EV_PING,           /* OPTIONS ping's final status (408 when
	                              the peer is gone) */
	MCU_SIP_EV_CANCELLED,      /* final: caller cancelled before answer */
	MCU_SIP_EV_FAILED,         /* final: never established (status is
	                              ours or the remote's) */
	MCU_SIP_EV_TERMINATED,     /* final: established call ended (cause) */
};

enum mcu_sip_cause {
	MCU_SIP_CAUSE_NONE = 0,
	MCU_SIP_CAUSE_REMOTE_BYE,
	MCU_SIP_CAUSE_LOCAL_BYE,
	MCU_SIP_CAUSE_TIMEOUT,   /* session timer expired, no ACK, dialog
	                            or transport failure */
	MCU_SIP_CAUSE_SHUTDOWN,  /* mcu_sip_free() */
};

struct mcu_sip_event {
	enum mcu_sip_event_type type;
	int status;              /* SIP status where one applies */
	const char *reason;      /* phrase, never NULL */
	enum mcu_sip_cause cause;
	const char *sdp;         /* NUL-terminated body or NULL */
	size_t sdp_len;
};

typedef void(mcu_sip_incoming_h)(struct mcu_sip_call *call,
                                 const struct mcu_sip_incoming *in,
                                 void *arg);
typedef void(mcu_sip_event_h)(struct mcu_sip_call *call,
                              const struct mcu_sip_event *ev, void *arg);
/* A re-INVITE (sdp NULL if it has none): answer it with
   mcu_sip_call_respond() (200 + answer, or 488/491/...). */
typedef void(mcu_sip_reinvite_h)(struct mcu_sip_call *call, const char *sdp,
                                 size_t sdp_len, void *arg);
/* One key from SIP INFO: '0'-'9', '*', '#', 'A'-'D'. */
typedef void(mcu_sip_dtmf_h)(struct mcu_sip_call *call, char digit,
                             unsigned duration_ms, void *arg);

struct mcu_sip_handlers {
	mcu_sip_incoming_h *incoming; /* NULL: every INVITE gets 480 */
	mcu_sip_event_h *event;
	mcu_sip_reinvite_h *reinvite; /* NULL: re-INVITEs get 488 */
	mcu_sip_dtmf_h *dtmf;
	/* Whether a request's numeric source address lies in some
	   endpoint's allow list (the generous rate limit applies); called on
	   the SIP thread for each out-of-dialog request, before anything
	   else is done with it. NULL: every source is unknown. */
	bool (*source_known)(const char *addr, void *arg);
	void *source_arg; /* source_known's arg */
	void *arg;        /* the others' */
};

/*
 * Bind the listen addresses and start the SIP thread. Returns 0, EINVAL
 * (bad config), EADDRINUSE/EIO (bind failed), ENOMEM, or a pthread error.
 */
int mcu_sip_alloc(struct mcu_sip **sipp, const struct mcu_sip_config *cfg,
                  const struct mcu_sip_handlers *handlers);
/* Stop: BYE established calls, cancel or 503 the others, wait for sofia to
   shut down (at most a few seconds), join the thread. Final events of the
   remaining calls are delivered before it returns. Returns NULL. */
struct mcu_sip *mcu_sip_free(struct mcu_sip *sip);

/* Answer an incoming INVITE or re-INVITE: 1xx (180/183), 2xx with an SDP
   answer (sdp may be NULL for 1xx), or >= 300 with an optional reason
   phrase (e.g. 403 "Not a participant of this meeting"). Reason phrases
   are meant to be a fixed set: each distinct one is kept until
   mcu_sip_free() (sofia reads it after the call has ended); past 64 of
   them a response carries its status's standard phrase. */
int mcu_sip_call_respond(struct mcu_sip_call *call, int status,
                         const char *reason, const char *sdp);
/* Refuse an incoming INVITE with status 300..699, an optional reason
   phrase, a Retry-After header of retry_after_s seconds (0: none, at most
   86400) and an optional Warning header `399 mcud "warning"` (no quote or
   line break, at most 200 bytes). 0, EINVAL or ENOMEM. */
int mcu_sip_call_refuse(struct mcu_sip_call *call, int status,
                        const char *reason, unsigned retry_after_s,
                        const char *warning);
/* Reject an incoming INVITE with 401 and a fresh nonce for our domain. */
int mcu_sip_call_challenge(struct mcu_sip_call *call, bool stale);
/* Check the INVITE's credentials (synchronous, no queue): 0 when they
   are good for user/password, EACCES when not, ENOENT when none,
   ESTALE when the nonce expired. */
int mcu_sip_call_auth_check(const struct mcu_sip_call *call,
                            const char *user, const char *password);
/* End a call in any state: BYE if established, CANCEL if our dial-out is
   ringing, 480 if an incoming INVITE is unanswered. Idempotent: a call
   already being ended is left to end (a CANCEL that crosses the 200 OK
   still allows a BYE after). */
int mcu_sip_call_hangup(struct mcu_sip_call *call);
/* Send a re-INVITE with a new offer; result: MCU_SIP_EV_REINVITE_DONE. */
int mcu_sip_call_reinvite(struct mcu_sip_call *call, const char *sdp);
/* OPTIONS inside the dialog; result: MCU_SIP_EV_PING. One at a time: a
   ping asked while one is out shares its result; none once the call is
   being ended. */
int mcu_sip_call_ping(struct mcu_sip_call *call);

/*
 * Dial out: INVITE `to_uri` ("sip:user@host:port[;transport=tcp]") with an
 * SDP offer, From "sip:<from_user>@<domain>". On success *callp is a new
 * reference (the caller puts it); `user` is stored on the call. Outcome by
 * events: PROGRESS, ANSWERED (sdp) + CONFIRMED, or FAILED (status: 486,
 * 480, 408, 503 for transport failure...).
 */
int mcu_sip_dial(struct mcu_sip *sip, struct mcu_sip_call **callp,
                 const char *to_uri, const char *from_user,
                 const char *from_display, const char *sdp, void *user);

struct mcu_sip_call *mcu_sip_call_get(struct mcu_sip_call *call);
/* Drop a reference; returns NULL. */
struct mcu_sip_call *mcu_sip_call_put(struct mcu_sip_call *call);
/* The upper layer's pointer; set it in the incoming callback or at dial. */
void mcu_sip_call_set_user(struct mcu_sip_call *call, void *user);
void *mcu_sip_call_user(const struct mcu_sip_call *call);
/* Label for logs: the Call-ID of incoming calls, "out-N" for dial-outs. */
const char *mcu_sip_call_label(const struct mcu_sip_call *call);
bool mcu_sip_call_is_outgoing(const struct mcu_sip_call *call);

#endif
