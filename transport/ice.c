/*
 * Why it works this way:
 *
 * libnice is a GLib library: an agent does its checks, keepalives and
 * socket reads as sources of a GMainContext. One context, run by one
 * thread of ours, serves every WebRTC session: a handful of browsers is
 * the expected load (room terminals speak SIP), and running each
 * session's receive path, DTLS and timers on that one thread means a
 * session's handlers never race each other and need no lock.
 *
 * Teardown happens on that thread too: mcu_ice_free() from another thread
 * hands the work over and waits, so when it returns no source of the
 * agent is attached and no handler can run any more.
 *
 * The answer carries every candidate (we gather before answering): WHIP's
 * PATCH trickle is then not needed, and our candidates are just the host
 * candidates of the configured addresses.
 */
#define MCU_LOG_MODULE "ice"
#include "transport/ice.h"
#include "conf/log.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <arpa/inet.h>

#include <glib-unix.h>
#include <glib.h>
#include <nice/agent.h>

#define MAX_SOURCES 8

struct mcu_ice_ctx {
	GMainContext *mc;
	GMainLoop *loop;
	pthread_t thread;
};

struct mcu_ice {
	struct mcu_ice_ctx *ctx;
	NiceAgent *agent;
	guint stream;
	struct mcu_ice_handlers h;

	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool gathered; /* lock */
	int state;     /* enum mcu_ice_state, atomic */

	GSource *sources[MAX_SOURCES]; /* context thread, and alloc */
	size_t n_sources;
};

/* ---- context ----------------------------------------------------------- */

static void *ctx_main(void *arg)
{
	struct mcu_ice_ctx *c = arg;
	g_main_context_push_thread_default(c->mc);
	g_main_loop_run(c->loop);
	g_main_context_pop_thread_default(c->mc);
	return NULL;
}

int mcu_ice_ctx_alloc(struct mcu_ice_ctx **ctxp)
{
	struct mcu_ice_ctx *c = calloc(1, sizeof(*c));
	int err;
	if (!c)
		return ENOMEM;
	c->mc = g_main_context_new();
	c->loop = g_main_loop_new(c->mc, FALSE);
	err = pthread_create(&c->thread, NULL, ctx_main, c);
	if (!err)
		pthread_setname_np(c->thread, "mcud-ice");
	if (err) {
		g_main_loop_unref(c->loop);
		g_main_context_unref(c->mc);
		free(c);
		return err;
	}
	*ctxp = c;
	return 0;
}

struct mcu_ice_ctx *mcu_ice_ctx_free(struct mcu_ice_ctx *ctx)
{
	if (!ctx)
		return NULL;
	g_main_loop_quit(ctx->loop);
	g_main_context_wakeup(ctx->mc);
	pthread_join(ctx->thread, NULL);
	/* Deferred calls still queued run now (they may hold references). */
	while (g_main_context_iteration(ctx->mc, FALSE))
		;
	g_main_loop_unref(ctx->loop);
	g_main_context_unref(ctx->mc);
	free(ctx);
	return NULL;
}

struct deferred {
	void (*h)(void *arg);
	void *arg;
};

static gboolean run_deferred(gpointer data)
{
	struct deferred *d = data;
	d->h(d->arg);
	return G_SOURCE_REMOVE;
}

int mcu_ice_defer(struct mcu_ice_ctx *ctx, void (*h)(void *arg), void *arg)
{
	struct deferred *d = malloc(sizeof(*d));
	if (!d)
		return ENOMEM;
	d->h = h;
	d->arg = arg;
	GSource *s = g_idle_source_new();
	g_source_set_callback(s, run_deferred, d, free);
	g_source_attach(s, ctx->mc);
	g_source_unref(s);
	return 0;
}

/* ---- agent signals ----------------------------------------------------- */

static void on_gathered(NiceAgent *agent, guint stream, gpointer data)
{
	struct mcu_ice *ice = data;
	(void)agent;
	(void)stream;
	pthread_mutex_lock(&ice->lock);
	ice->gathered = true;
	pthread_cond_broadcast(&ice->cond);
	pthread_mutex_unlock(&ice->lock);
}

static void set_state(struct mcu_ice *ice, enum mcu_ice_state st)
{
	int old = __atomic_exchange_n(&ice->state, (int)st, __ATOMIC_ACQ_REL);
	if (old == (int)st || old == MCU_ICE_FAILED)
		return;
	if (ice->h.state)
		ice->h.state(ice->h.arg, st);
}

static void on_state(NiceAgent *agent, guint stream, guint component,
                     guint state, gpointer data)
{
	struct mcu_ice *ice = data;
	(void)agent;
	(void)stream;
	(void)component;
	if (state == NICE_COMPONENT_STATE_FAILED)
		set_state(ice, MCU_ICE_FAILED);
	else if (state == NICE_COMPONENT_STATE_READY ||
	         state == NICE_COMPONENT_STATE_CONNECTED)
		set_state(ice, MCU_ICE_CONNECTED);
}

static void on_recv(NiceAgent *agent, guint stream, guint component, guint len,
                    gchar *buf, gpointer data)
{
	struct mcu_ice *ice = data;
	(void)agent;
	(void)stream;
	(void)component;
	if (ice->h.recv && len)
		ice->h.recv(ice->h.arg, (uint8_t *)buf, len);
}

/* ---- life -------------------------------------------------------------- */

static int add_addresses(struct mcu_ice *ice, const struct mcu_ice_opts *o)
{
	for (size_t i = 0; i < o->n_addresses; i++) {
		NiceAddress a;
		nice_address_init(&a);
		if (!o->addresses[i] ||
		    !nice_address_set_from_string(&a, o->addresses[i])) {
			mcu_log_warn("not an address: %s",
			             o->addresses[i] ? o->addresses[i] : "");
			return EINVAL;
		}
		if (!nice_agent_add_local_address(ice->agent, &a))
			return EINVAL;
	}
	return 0;
}

int mcu_ice_alloc(struct mcu_ice **icep, struct mcu_ice_ctx *ctx,
                  const struct mcu_ice_opts *opts,
                  const struct mcu_ice_handlers *h)
{
	struct mcu_ice *ice;
	struct timespec until;
	int err;

	if (!icep || !ctx || !opts || !h)
		return EINVAL;
	ice = calloc(1, sizeof(*ice));
	if (!ice)
		return ENOMEM;
	ice->ctx = ctx;
	ice->h = *h;
	pthread_mutex_init(&ice->lock, NULL);
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&ice->cond, &ca);
	pthread_condattr_destroy(&ca);
	/* Consent freshness (RFC 7675): a browser that went away without
	   a DELETE fails the component after ~30 s. */
	ice->agent = nice_agent_new_full(ctx->mc, NICE_COMPATIBILITY_RFC5245,
	                                 NICE_AGENT_OPTION_CONSENT_FRESHNESS);
	if (!ice->agent) {
		err = ENOMEM;
		goto fail;
	}
	g_object_set(ice->agent, "controlling-mode", FALSE, "ice-tcp", FALSE,
	             "ice-udp", TRUE, NULL);
	err = add_addresses(ice, opts);
	if (err)
		goto fail;
	ice->stream = nice_agent_add_stream(ice->agent, 1);
	if (!ice->stream) {
		err = ENOMEM;
		goto fail;
	}
	if (opts->port_min && opts->port_max >= opts->port_min)
		nice_agent_set_port_range(ice->agent, ice->stream, 1,
		                          opts->port_min, opts->port_max);
	g_signal_connect(ice->agent, "candidate-gathering-done",
	                 G_CALLBACK(on_gathered), ice);
	g_signal_connect(ice->agent, "component-state-changed",
	                 G_CALLBACK(on_state), ice);
	nice_agent_attach_recv(ice->agent, ice->stream, 1, ctx->mc, on_recv,
	                       ice);
	if (!nice_agent_gather_candidates(ice->agent, ice->stream)) {
		err = EADDRNOTAVAIL;
		goto fail;
	}
	clock_gettime(CLOCK_MONOTONIC, &until);
	until.tv_sec += 3;
	err = 0;
	pthread_mutex_lock(&ice->lock);
	while (!ice->gathered && err == 0)
		err = pthread_cond_timedwait(&ice->cond, &ice->lock, &until);
	pthread_mutex_unlock(&ice->lock);
	if (err)
		goto fail;
	*icep = ice;
	return 0;
fail:
	mcu_ice_free(ice);
	return err;
}

/* On the context thread: nothing of the agent runs after this. */
static void teardown(struct mcu_ice *ice)
{
	for (size_t i = 0; i < ice->n_sources; i++) {
		g_source_destroy(ice->sources[i]);
		g_source_unref(ice->sources[i]);
	}
	ice->n_sources = 0;
	if (ice->agent) {
		g_signal_handlers_disconnect_by_data(ice->agent, ice);
		if (ice->stream) {
			nice_agent_attach_recv(ice->agent, ice->stream, 1,
			                       ice->ctx->mc, NULL, NULL);
			nice_agent_remove_stream(ice->agent, ice->stream);
		}
		g_object_unref(ice->agent);
		ice->agent = NULL;
	}
}

struct sync_free {
	struct mcu_ice *ice;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool done;
};

static gboolean free_on_ctx(gpointer data)
{
	struct sync_free *sf = data;
	teardown(sf->ice);
	pthread_mutex_lock(&sf->lock);
	sf->done = true;
	pthread_cond_signal(&sf->cond);
	pthread_mutex_unlock(&sf->lock);
	return G_SOURCE_REMOVE;
}

struct mcu_ice *mcu_ice_free(struct mcu_ice *ice)
{
	if (!ice)
		return NULL;
	if (g_main_context_is_owner(ice->ctx->mc)) {
		teardown(ice);
	} else {
		struct sync_free sf = {.ice = ice, .done = false};
		pthread_mutex_init(&sf.lock, NULL);
		pthread_cond_init(&sf.cond, NULL);
		g_main_context_invoke(ice->ctx->mc, free_on_ctx, &sf);
		pthread_mutex_lock(&sf.lock);
		while (!sf.done)
			pthread_cond_wait(&sf.cond, &sf.lock);
		pthread_mutex_unlock(&sf.lock);
		pthread_mutex_destroy(&sf.lock);
		pthread_cond_destroy(&sf.cond);
	}
	pthread_mutex_destroy(&ice->lock);
	pthread_cond_destroy(&ice->cond);
	free(ice);
	return NULL;
}

/* ---- SDP side ---------------------------------------------------------- */

int mcu_ice_local_credentials(struct mcu_ice *ice, char *ufrag, size_t un,
                              char *pwd, size_t pn)
{
	gchar *u = NULL, *p = NULL;
	int err = EINVAL;
	if (nice_agent_get_local_credentials(ice->agent, ice->stream, &u, &p)) {
		err = (size_t)snprintf(ufrag, un, "%s", u) < un &&
		              (size_t)snprintf(pwd, pn, "%s", p) < pn
		          ? 0
		          : ENOSPC;
	}
	g_free(u);
	if (p)
		explicit_bzero(p, strlen(p));
	g_free(p);
	return err;
}

size_t mcu_ice_local_candidates(struct mcu_ice *ice,
                                char (*lines)[MCU_ICE_LINE], size_t max,
                                char *addr, size_t an, uint16_t *port)
{
	GSList *list =
	    nice_agent_get_local_candidates(ice->agent, ice->stream, 1);
	size_t n = 0;
	for (GSList *l = list; l && n < max; l = l->next) {
		NiceCandidate *c = l->data;
		if (c->transport != NICE_CANDIDATE_TRANSPORT_UDP)
			continue;
		gchar *sdp =
		    nice_agent_generate_local_candidate_sdp(ice->agent, c);
		if (!sdp)
			continue;
		const char *v = strncmp(sdp, "a=", 2) == 0 ? sdp + 2 : sdp;
		if ((size_t)snprintf(lines[n], MCU_ICE_LINE, "%s", v) <
		    MCU_ICE_LINE) {
			if (n == 0) {
				char s[NICE_ADDRESS_STRING_LEN];
				nice_address_to_string(&c->addr, s);
				if (addr)
					snprintf(addr, an, "%s", s);
				if (port)
					*port = (uint16_t)nice_address_get_port(
					    &c->addr);
			}
			n++;
		}
		g_free(sdp);
	}
	g_slist_free_full(list, (GDestroyNotify)nice_candidate_free);
	return n;
}

bool mcu_ice_candidate_usable(const char *line)
{
	/* candidate:FOUNDATION COMPONENT TRANSPORT PRIORITY ADDR PORT typ T */
	char found[33], transport[8], address[64];
	unsigned comp, port;
	unsigned long prio;
	unsigned char bin[16];

	if (!line)
		return false;
	if (strncmp(line, "a=", 2) == 0)
		line += 2;
	if (strncmp(line, "candidate:", 10) != 0)
		return false;
	if (sscanf(line + 10, "%32s %u %7s %lu %63s %u", found, &comp,
	           transport, &prio, address, &port) != 6)
		return false;
	if (comp != 1 || port == 0 || port > 65535 ||
	    strcasecmp(transport, "udp") != 0)
		return false;
	return inet_pton(AF_INET, address, bin) == 1 ||
	       inet_pton(AF_INET6, address, bin) == 1;
}

int mcu_ice_set_remote(struct mcu_ice *ice, const char *ufrag, const char *pwd,
                       const char *const *candidates, size_t n)
{
	GSList *list = NULL;
	char line[MCU_ICE_LINE + 4];

	if (!ufrag || !pwd || !*ufrag || !*pwd ||
	    !nice_agent_set_remote_credentials(ice->agent, ice->stream, ufrag,
	                                       pwd))
		return EINVAL;
	for (size_t i = 0; i < n; i++) {
		const char *v = candidates[i];
		if (!mcu_ice_candidate_usable(v))
			continue;
		if (strncmp(v, "a=", 2) == 0)
			v += 2;
		if ((size_t)snprintf(line, sizeof(line), "a=%s", v) >=
		    sizeof(line))
			continue;
		NiceCandidate *c = nice_agent_parse_remote_candidate_sdp(
		    ice->agent, ice->stream, line);
		if (!c)
			continue;
		if (c->transport != NICE_CANDIDATE_TRANSPORT_UDP) {
			nice_candidate_free(c);
			continue;
		}
		list = g_slist_append(list, c);
	}
	if (list)
		nice_agent_set_remote_candidates(ice->agent, ice->stream, 1,
		                                 list);
	g_slist_free_full(list, (GDestroyNotify)nice_candidate_free);
	return 0;
}

int mcu_ice_send(struct mcu_ice *ice, const uint8_t *buf, size_t len)
{
	if (len > 65535)
		return EINVAL;
	gint n = nice_agent_send(ice->agent, ice->stream, 1, (guint)len,
	                         (const gchar *)buf);
	if (n < 0)
		return __atomic_load_n(&ice->state, __ATOMIC_ACQUIRE) ==
		               MCU_ICE_CONNECTED
		           ? EIO
		           : ENOTCONN;
	return 0;
}

enum mcu_ice_state mcu_ice_state(struct mcu_ice *ice)
{
	return (enum mcu_ice_state)__atomic_load_n(&ice->state,
	                                           __ATOMIC_ACQUIRE);
}

/* ---- sources on the context -------------------------------------------- */

struct fd_watch {
	mcu_ice_fd_h *h;
	void *arg;
};

static gboolean fd_ready(gint fd, GIOCondition cond, gpointer data)
{
	struct fd_watch *w = data;
	(void)cond;
	w->h(w->arg, fd);
	return G_SOURCE_CONTINUE;
}

struct timer {
	void (*h)(void *arg);
	void *arg;
};

static gboolean timer_fired(gpointer data)
{
	struct timer *t = data;
	t->h(t->arg);
	return G_SOURCE_CONTINUE;
}

static int add_source(struct mcu_ice *ice, GSource *s)
{
	bool ok;
	pthread_mutex_lock(&ice->lock);
	ok = ice->n_sources < MAX_SOURCES;
	if (ok)
		ice->sources[ice->n_sources++] = s;
	pthread_mutex_unlock(&ice->lock);
	if (!ok) {
		g_source_unref(s);
		return ENOMEM;
	}
	g_source_attach(s, ice->ctx->mc);
	return 0;
}

int mcu_ice_watch_fd(struct mcu_ice *ice, int fd, mcu_ice_fd_h *h, void *arg)
{
	struct fd_watch *w = malloc(sizeof(*w));
	if (!w)
		return ENOMEM;
	w->h = h;
	w->arg = arg;
	GSource *s = g_unix_fd_source_new(fd, G_IO_IN);
	g_source_set_callback(s, (GSourceFunc)(void (*)(void))fd_ready, w,
	                      free);
	return add_source(ice, s);
}

int mcu_ice_timer(struct mcu_ice *ice, unsigned ms, void (*h)(void *arg),
                  void *arg)
{
	struct timer *t = malloc(sizeof(*t));
	if (!t)
		return ENOMEM;
	t->h = h;
	t->arg = arg;
	GSource *s = g_timeout_source_new(ms);
	g_source_set_callback(s, timer_fired, t, free);
	return add_source(ice, s);
}
