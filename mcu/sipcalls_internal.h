/*
 * Shared between sipcalls.c (the table of calls, dial-in, events,
 * re-INVITEs, DTMF) and sipcalls_out.c (the dialer thread: dial-out by
 * mcu/dialout, operator dial/hang-up, dead-leg watch). Not a public
 * header.
 */
#ifndef MCU_SIPCALLS_INTERNAL_H
#define MCU_SIPCALLS_INTERNAL_H

#include <pthread.h>

#include "mcu/dialout.h"
#include "mcu/leg.h"
#include "mcu/sipcalls.h"
#include "transport/sdp.h"

/* RTP ports held for a dial-out offer until the answer comes. */
struct reserved {
	int fd[4]; /* video RTP, RTCP, audio RTP, RTCP; 0 unused */
	uint16_t vport, aport;
};

/* Our SDES master keys of a call (secret), per kind. */
struct mcu_sipcalls_keys {
	uint8_t audio[MCU_SRTP_KEY_MAX], video[MCU_SRTP_KEY_MAX];
};

/* One SIP call the MCU knows of. */
struct active {
	struct mcu_sip_call *call; /* a reference */
	char meeting[128];
	char endpoint[128];
	long slot;         /* room slot */
	bool attached;     /* its leg is the slot's current leg */
	bool outgoing;     /* we dialled it */
	bool reported;     /* its end went to the dialout already */
	uint32_t token;    /* dial-out token, 0 for dial-in */
	struct reserved ports;
	char local[64];    /* our media address towards it */
	struct mcu_leg_params leg; /* media in force (label: endpoint) */
	uint64_t sess_id, sess_ver;
	int64_t ping_us;   /* OPTIONS out since (monotonic), 0: none */
	bool sdes_ok;      /* SDES keys may travel on its signalling */
	struct mcu_sipcalls_keys keys; /* ours, offered/answered (secret) */
	bool delayed;      /* dial-in without SDP: our offer went in the
	                      200, the answer is awaited in the ACK */
};

/* A meeting the MCU dials out for (dial: out, or an operator's dial). */
struct outmeeting {
	char meeting[128];
	struct mcu_snapshot *snap; /* the roster its dialout indexes */
	struct mcu_dialout *d;
};

struct mcu_sipcalls {
	struct mcu_sipcalls_opts o;
	struct mcu_sip *sip;                   /* set once SIP runs */
	struct mcu_admission_secrets *secrets; /* SIP thread */
	pthread_mutex_t lock;
	struct active *calls; /* lock */
	size_t n, cap;        /* lock */
	struct outmeeting *out; /* lock */
	size_t n_out;           /* lock */
	/* the dialer thread */
	pthread_t thread;
	bool thread_started;
	pthread_cond_t wake; /* lock; CLOCK_MONOTONIC */
	bool stop;           /* lock */
};

/* ---- sipcalls.c ---- */
struct mcu_limits_use;
/* What a new call of `endpoint` into `meeting` would join (lock held). */
void mcu_sipcalls_limits_use(const struct mcu_sipcalls *sc,
                             const char *meeting, const char *endpoint,
                             struct mcu_limits_use *u);
/* Tell mcu/limits the calls held now (lock held). */
void mcu_sipcalls_note_use(const struct mcu_sipcalls *sc);
/* Whether a new call of `endpoint` into `meeting` exceeds mcu.limits
   (lock NOT held): then it is logged and counted, and `call` (a dial-in;
   NULL for a dial-out about to be placed) is refused with 503,
   Retry-After and a Warning. */
bool mcu_sipcalls_over_limit(struct mcu_sipcalls *sc,
                             struct mcu_sip_call *call,
                             const struct mcu_conf *conf, const char *meeting,
                             const char *endpoint);
int64_t mcu_sipcalls_now_ms(void);
/* The local address the kernel uses towards `remote` (numeric). */
int mcu_sipcalls_local_addr(const char *remote, char *out, size_t size);
/* Our capabilities for endpoint `ep`: its codec preferences. */
void mcu_sipcalls_caps(const struct mcu_conf_endpoint *ep,
                       struct mcu_sdp_caps *caps);
/* Leg parameters from a negotiation; local ports from `vport`/`aport`
   (0: any). EPROTONOSUPPORT when no stream is usable. */
int mcu_sipcalls_leg_params(const struct mcu_conf *conf,
                            const struct mcu_conf_endpoint *ep,
                            const struct mcu_sdp_neg *neg, const char *local,
                            uint16_t vport, uint16_t aport,
                            struct mcu_leg_params *p);
/* SDES (issue 7): the SRTP policy for a call with `ep` whose signalling
   is TLS or not into caps->srtp, and fresh keys into *k. Returns false
   when SRTP is required but keys may not travel on that signalling (the
   call cannot be secured: 488). */
bool mcu_sipcalls_srtp(const struct mcu_conf *conf,
                       const struct mcu_conf_endpoint *ep, bool tls,
                       struct mcu_sdp_caps *caps,
                       struct mcu_sipcalls_keys *k);
/* A dial-in's capabilities and SRTP policy (mcu_sipcalls_caps,
   mcu_sipcalls_srtp: fresh keys into *k) and our media address towards
   it into `local` (127.0.0.1 when the kernel names none). False when
   SRTP is required but the call is not over SIP TLS: then logged (after
   `what`, the caller's words: "" or "delayed offer: ") and answered 488. */
bool mcu_sipcalls_dialin_media(struct mcu_sip_call *call,
                               const struct mcu_sip_incoming *in,
                               const struct mcu_conf *conf, const char *meeting,
                               const struct mcu_conf_endpoint *ep,
                               const char *what, struct mcu_sdp_caps *caps,
                               struct mcu_sipcalls_keys *k, char *local,
                               size_t size);
/* Our keys (k) and the negotiated suites and remote keys into the leg. */
void mcu_sipcalls_leg_srtp(struct mcu_leg_params *p,
                           const struct mcu_sdp_neg *neg,
                           const struct mcu_sipcalls_keys *k);
/* The table entry of `call` (lock held), or NULL. */
struct active *mcu_sipcalls_find(struct mcu_sipcalls *sc,
                                 const struct mcu_sip_call *call);
/* Add a call to the table (lock held); NULL on ENOMEM. */
struct active *mcu_sipcalls_add(struct mcu_sipcalls *sc,
                                struct mcu_sip_call *call,
                                const char *meeting, const char *endpoint,
                                long slot);
void mcu_sipcalls_release_ports(struct reserved *r);
/* Bind a video and an audio RTP/RTCP pair on `local` in the roster's RTP
   range (an offer's ports: dial-out, delayed offer); 0 or an errno, with
   nothing held on failure. */
int mcu_sipcalls_reserve_ports(const struct mcu_conf *conf,
                               const char *local, struct reserved *r);
/* Hang up the attached call of `slot` in `meeting`: a new call takes its
   place (lock held). */
void mcu_sipcalls_replace_old(struct mcu_sipcalls *sc, const char *meeting,
                              long slot);
/* Attach a call's leg `p` to the slot of `endpoint` in `meeting` (lock
   NOT held): with `replace`, the slot's attached call is hung up first
   (mcu_sipcalls_replace_old); p->id is set from the slot and the
   participant goes on hold when p->hold. `ports` (NULL: the leg binds
   its own) are the sockets an offer reserved: the leg takes them over
   with references of its own, so they stay the caller's to release.
   *slotp is the slot (-1: none); on success, the leg's local RTP ports
   go to *vport and *aport when these are not NULL. 0, ESRCH when the
   meeting is not running, ENOENT when the endpoint has no slot, or the
   errno of the attach. */
int mcu_sipcalls_attach(struct mcu_sipcalls *sc, const char *meeting,
                        const char *endpoint, bool replace,
                        const struct reserved *ports,
                        struct mcu_leg_params *p, long *slotp,
                        uint16_t *vport, uint16_t *aport);
/* Note that `call`'s leg is attached in `slot` with media `p` (lock
   held); its entry, or NULL when the call ended meanwhile. */
struct active *mcu_sipcalls_attached(struct mcu_sipcalls *sc,
                                     const struct mcu_sip_call *call, long slot,
                                     const struct mcu_leg_params *p);
/* Take the leg of `slot` in `meeting` out again: its call ended while
   it was attached (lock NOT held). */
void mcu_sipcalls_detach(struct mcu_sipcalls *sc, const char *meeting,
                         long slot);

/* ---- sipcalls_out.c ---- */
/* The outmeeting of `meeting` (lock held), or NULL. */
struct outmeeting *mcu_sipcalls_outmeeting(struct mcu_sipcalls *sc,
                                           const char *meeting);
/* The endpoint joined or its call ended: tell the meeting's dialout
   (lock held). */
void mcu_sipcalls_out_joined(struct mcu_sipcalls *sc, struct active *a);
void mcu_sipcalls_out_ended(struct mcu_sipcalls *sc, struct active *a,
                            bool answered, int status, const char *reason);
/* What the participant's tile says once its call ended (lock held). */
enum mcu_part_state mcu_sipcalls_state_after(struct mcu_sipcalls *sc,
                                             const char *meeting,
                                             const char *endpoint);
/* Set a participant's state, or detach its leg with it (lock NOT held). */
void mcu_sipcalls_set_part_state(struct mcu_sipcalls *sc, const char *meeting,
                                 const char *endpoint, enum mcu_part_state st,
                                 bool detach);
/* Wake the dialer (lock held). */
void mcu_sipcalls_kick(struct mcu_sipcalls *sc);
int mcu_sipcalls_out_start(struct mcu_sipcalls *sc);
void mcu_sipcalls_out_stop(struct mcu_sipcalls *sc);
/* A dial-out call's final answer arrived (SIP thread). */
void mcu_sipcalls_out_answered(struct mcu_sipcalls *sc,
                               struct mcu_sip_call *call, const char *sdp,
                               size_t len);

/* ---- sipcalls_delayed.c ---- */
struct mcu_admission;
/* An admitted INVITE without SDP: answer 200 with our offer, ports
   reserved in the call's entry (SIP thread, lock NOT held). */
void mcu_sipcalls_delayed_offer(struct mcu_sipcalls *sc,
                                struct mcu_sip_call *call,
                                const struct mcu_sip_incoming *in,
                                const struct mcu_conf *conf,
                                const struct mcu_admission *adm);
/* A dial-in's ACK (body `sdp` or NULL): for a delayed offer, negotiate
   its answer and attach the leg, or hang up (SIP thread, lock NOT held);
   other calls are left alone. */
void mcu_sipcalls_delayed_ack(struct mcu_sipcalls *sc,
                              struct mcu_sip_call *call, const char *sdp,
                              size_t len);
#endif
