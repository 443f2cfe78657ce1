/*
 * ice: ICE (RFC 8445) for WebRTC legs over libnice: one full agent per
 * session in the controlled role (the browser offers and controls), one
 * stream with one component (BUNDLE and rtcp-mux: audio, video, RTCP and
 * DTLS all on one UDP socket), host candidates on the MCU's configured
 * addresses only (mcu.webrtc.addresses; none: libnice's own choice of
 * non-loopback interfaces), every candidate gathered before the answer
 * is written (no trickle).
 *
 * Why a full agent rather than ICE-lite: libnice's lite mode answers
 * checks but never sends its own, so it cannot learn a peer-reflexive
 * address of its own accord, and Chromium runs fine against a full
 * controlled agent (Janus does the same). Checks of ours also keep the
 * pair alive through NATs on the way, and consent freshness (RFC 7675)
 * fails the agent when the browser stops answering.
 *
 * What the agent hands up: only datagrams from an address that passed a
 * connectivity check. libnice keeps, per component, the list of remote
 * addresses whose checks succeeded and drops every other non-STUN
 * datagram ("DROPPING packet from unknown source"), so media from an
 * address ICE never validated (the CVE-2023-51443 class) never reaches
 * the `recv` handler; STUN is handled inside libnice. We send only on
 * the selected (nominated) pair.
 *
 * Threads: one mcu_ice_ctx runs a GLib main context on its own thread for
 * every agent: checks, keepalives, timers, and every handler of this
 * module (recv, state, watched descriptors, timers), so a session's
 * handlers never run concurrently. mcu_ice_send() may be called from any
 * thread; mcu_ice_free() from any thread, including a handler's (it then
 * defers nothing: call it from a handler only through mcu_ice_defer()).
 */
#ifndef MCU_TRANSPORT_ICE_H
#define MCU_TRANSPORT_ICE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MCU_ICE_MAX_CANDIDATES 16
#define MCU_ICE_LINE           256 /* one "candidate:..." value */
#define MCU_ICE_CRED           256 /* ufrag or pwd */

struct mcu_ice_ctx;

/* Start the main-context thread. 0, ENOMEM or an errno of pthread. */
int mcu_ice_ctx_alloc(struct mcu_ice_ctx **ctxp);
/* Stop it; every agent must be freed first. Returns NULL. */
struct mcu_ice_ctx *mcu_ice_ctx_free(struct mcu_ice_ctx *ctx);

enum mcu_ice_state {
	MCU_ICE_CHECKING = 0,
	MCU_ICE_CONNECTED, /* a pair is selected: send and receive */
	MCU_ICE_FAILED,
};

struct mcu_ice_handlers {
	/* A datagram from the selected pair's remote (not STUN); buf may be
	   changed in place. On the agent's receive thread. */
	void (*recv)(void *arg, uint8_t *buf, size_t len);
	void (*state)(void *arg, enum mcu_ice_state state);
	void *arg;
};

struct mcu_ice_opts {
	const char *const *addresses; /* numeric IPv4/IPv6; n 0: any */
	size_t n_addresses;
	uint16_t port_min, port_max; /* 0, 0: any */
};

struct mcu_ice;

/*
 * A controlled agent with its candidates gathered (waits up to 3 s for
 * libnice to finish). Returns 0, EINVAL (a bad address), EADDRNOTAVAIL
 * (no candidate at all), ETIMEDOUT, ENOMEM or an errno of pthread.
 */
int mcu_ice_alloc(struct mcu_ice **icep, struct mcu_ice_ctx *ctx,
                  const struct mcu_ice_opts *opts,
                  const struct mcu_ice_handlers *h);
/* Stop the agent and its receive thread (no handler runs after). NULL. */
struct mcu_ice *mcu_ice_free(struct mcu_ice *ice);

/* Our ufrag and password (for the answer). 0 or ENOSPC. */
int mcu_ice_local_credentials(struct mcu_ice *ice, char *ufrag, size_t un,
                              char *pwd, size_t pn);

/* Our candidates as a=candidate values ("candidate:1 1 UDP ..."); returns
   how many were written (at most max). `port` gets the first one's port
   and `addr` its address (for m= and c=; may be NULL). */
size_t mcu_ice_local_candidates(struct mcu_ice *ice,
                                char (*lines)[MCU_ICE_LINE], size_t max,
                                char *addr, size_t an, uint16_t *port);

/*
 * The remote's credentials and candidates (a=candidate values, with or
 * without "a="); candidates libnice cannot use (TCP, mDNS names) are
 * skipped: the browser's checks still reach us and teach libnice a
 * peer-reflexive candidate. Starts the checks. 0, EINVAL.
 */
int mcu_ice_set_remote(struct mcu_ice *ice, const char *ufrag, const char *pwd,
                       const char *const *candidates, size_t n);

/* Send one datagram on the selected pair. 0, ENOTCONN (none yet) or
   EIO. */
int mcu_ice_send(struct mcu_ice *ice, const uint8_t *buf, size_t len);

enum mcu_ice_state mcu_ice_state(struct mcu_ice *ice);

/* Watch a descriptor for input on the context's thread: `h` runs while
   `fd` is readable, until the agent is freed. 0 or ENOMEM. */
typedef void(mcu_ice_fd_h)(void *arg, int fd);
int mcu_ice_watch_fd(struct mcu_ice *ice, int fd, mcu_ice_fd_h *h, void *arg);
/* Call `h` every `ms` milliseconds on the context's thread until the
   agent is freed. 0 or ENOMEM. */
int mcu_ice_timer(struct mcu_ice *ice, unsigned ms, void (*h)(void *arg),
                  void *arg);
/* Run `h(arg)` once on the context's thread, outside every handler (to
   free a session from one of its own handlers). 0 or ENOMEM. */
int mcu_ice_defer(struct mcu_ice_ctx *ctx, void (*h)(void *arg), void *arg);

/*
 * Whether a candidate line is one we hand to libnice: "candidate:"
 * (optionally "a=" before it), UDP, a numeric address. Pure; for tests
 * and the fuzz target.
 */
bool mcu_ice_candidate_usable(const char *line);

#endif
