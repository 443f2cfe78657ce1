/*
 * config: the roster file (../shared/roster-format.md, docs/configuration.md)
 * loaded with libyaml into one immutable, typed snapshot, and checked
 * against the regulation's rules (notice, emergency notice, test run,
 * request lead time, references, overlaps, contacts).
 *
 * A snapshot is built whole or not at all: mcu_conf_load() returns the
 * snapshot together with every finding (FILE:LINE:COLUMN: error|warning:
 * message). The daemon swaps snapshots on reload; nobody changes one after
 * it is built, so any thread may read it while it holds a reference.
 *
 * Times: every time in the snapshot is UTC seconds since the epoch;
 * times written without an offset are read in mcu.timezone (which the
 * loader also makes the process time zone, see mcu_conf_apply_timezone()).
 *
 * Limits against hostile files: size (MCU_CONF_MAX_BYTES), nesting depth,
 * aliases (refused outright: a roster has no need for them), scalar length,
 * item counts. A file over a limit ends in one error finding at once.
 */
#ifndef MCU_CONF_CONFIG_H
#define MCU_CONF_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>
#include <netinet/in.h>
#include <sys/socket.h>

#define MCU_CONF_MAX_BYTES   (8u << 20) /* 8 MiB */
#define MCU_CONF_MAX_DEPTH   32
#define MCU_CONF_MAX_SCALAR  4096
#define MCU_CONF_MAX_ITEMS   100000

enum mcu_tier {
	MCU_TIER_CITY = 0,
	MCU_TIER_DISTRICT,
	MCU_TIER_COMMUNE,
	MCU_TIER_EXTENDED,
	MCU_TIER_COUNT
};

enum mcu_floor_mode {
	MCU_FLOOR_OPEN = 0,
	MCU_FLOOR_CHAIRED,
	MCU_FLOOR_LECTURE,
};

enum mcu_dial_mode {
	MCU_DIAL_OUT = 0,
	MCU_DIAL_IN,
};

/* A meeting's link to another MCU (a meeting's cascade:, docs/
   configuration.md): who places the SIP call between the two MCUs. */
enum mcu_cascade_dir {
	MCU_CASCADE_NONE = 0, /* a room terminal, not a link */
	MCU_CASCADE_OUT,      /* we call it when the meeting goes live */
	MCU_CASCADE_IN,       /* it calls us (identified by sip + allow) */
};

enum mcu_srtp_policy {
	MCU_SRTP_OFF = 0,
	MCU_SRTP_OPTIONAL,
	MCU_SRTP_REQUIRED,
};

enum mcu_sip_proto {
	MCU_SIP_UDP = 0,
	MCU_SIP_TCP,
	MCU_SIP_TLS,
};

/* A position in the source file, 1-based; 0 where unknown. */
struct mcu_conf_pos {
	int line;
	int column;
};

/* host:port as written; `addr` resolved numerically (no DNS). */
struct mcu_conf_addr {
	char *host;
	uint16_t port;
	struct sockaddr_storage addr;
	socklen_t addr_len;
};

struct mcu_conf_cidr {
	int family; /* AF_INET or AF_INET6 */
	uint8_t addr[16];
	unsigned prefix;
};

struct mcu_conf_contact {
	char *name;
	char *title;
	char *email;
	char *phone;
};

/* One media line of a static RTP leg. */
struct mcu_conf_rtp_media {
	bool present;
	char *codec;      /* "h264", "vp8", "opus", "g722", "pcma", "pcmu" */
	int payload_type; /* 0..127 */
};

/* A static RTP leg: no SIP, media to/from fixed addresses. */
struct mcu_conf_static_rtp {
	bool present;
	struct mcu_conf_addr remote; /* video port; audio = port + 2 */
	struct mcu_conf_addr local;  /* video port; audio = port + 2 */
	/* rtp.source: where the endpoint sends from (video port; audio +2,
	   RTCP +1); only that is accepted. host NULL: remote's host, any
	   port. */
	struct mcu_conf_addr source;
	struct mcu_conf_rtp_media video;
	struct mcu_conf_rtp_media audio;
};

struct mcu_conf_endpoint {
	char *id;
	char *name;
	enum mcu_tier tier;
	char *parent; /* endpoint id or NULL */
	long parent_index; /* index into mcu_conf.endpoints, -1 if none */
	char *sip;         /* "sip:user@host[:port]" or NULL */
	char *sip_user;    /* parsed from sip, NULL if none */
	char *sip_host;
	uint16_t sip_port; /* 0: default */
	struct mcu_conf_cidr *allow;
	size_t n_allow; /* default: the sip host when it is numeric */
	bool has_auth;
	char *auth_user;
	char *auth_password_file;
	char **codecs; /* lower case, in order of preference */
	size_t n_codecs;
	unsigned bandwidth_kbps; /* default 2048 */
	bool srtp_set;           /* srtp: given; else mcu.rtp.srtp applies */
	enum mcu_srtp_policy srtp;
	bool has_leader, has_technician, has_support;
	struct mcu_conf_contact leader, technician, support;
	struct mcu_conf_static_rtp rtp;
	/* A file whose first line is this endpoint's WHIP bearer token
	   (browsers joining without a one-time link); NULL: none. */
	char *webrtc_token_file;
	/* tls_subject: calls from this endpoint must come over SIP TLS with
	   a verified client certificate whose CN or a subjectAltName is this
	   (needs mcu.sip.tls.verify_client); NULL: no such check. */
	char *tls_subject;
	/* A cascade link (conf/config_cascade.c): made from a meeting's
	   cascade: entry, not from endpoints:; sip is the remote meeting's
	   URI. Never matched by all, tier:X or a group filter. */
	enum mcu_cascade_dir cascade;
	struct mcu_conf_pos pos;
};

/* A named set: an explicit list, or a filter {tier:, parent:}. */
struct mcu_conf_group {
	char *name;
	size_t *members; /* endpoint indices, resolved */
	size_t n_members;
	struct mcu_conf_pos pos;
};

struct mcu_conf_layout_choice {
	char *host;     /* layout name for the host, default "tour-4x4" */
	char *branches; /* layout name for branches, default "host+floor" */
	unsigned tour_seconds; /* default 10 */
	bool self_view;        /* default false */
};

/* One layout preset of a meeting (keypad 3<n>#): a NULL name leaves that
   role's layout as it is. */
struct mcu_conf_layout_preset {
	char *host;
	char *branches;
};

#define MCU_CONF_LAYOUT_PRESETS_MAX 20

struct mcu_conf_meeting {
	char *id;
	char *title;
	char *host; /* endpoint id */
	size_t host_index;
	char **branch_specs; /* as written: ids, group names, tier:X, all */
	size_t n_branch_specs;
	size_t *branches; /* resolved endpoint indices, roster order, unique,
	                     never the host */
	size_t n_branches;
	time_t start, end;
	bool has_announced;
	time_t announced;
	bool has_test_run;
	time_t test_start, test_end;
	bool emergency;
	bool ad_hoc; /* created at run time by an operator (API): the notice,
	                test-run and request rules do not apply */
	bool has_requested;
	time_t requested;
	bool record;
	char **content;
	size_t n_content;
	enum mcu_floor_mode floor;
	struct mcu_conf_layout_choice layout;
	/* layout_presets: as written (n_presets 0: the built-in list of
	   mcu_conf_layout_preset()) */
	struct mcu_conf_layout_preset *presets;
	size_t n_presets;
	enum mcu_dial_mode dial;
	unsigned number; /* short numeric conference number, 0 = none */
	/* cascade: its links to other MCUs (endpoint indices, in the order
	   written; each is also among branches) */
	size_t *cascades;
	size_t n_cascades;
	struct mcu_conf_pos pos;
};

struct mcu_conf_listen {
	enum mcu_sip_proto proto;
	struct mcu_conf_addr addr;
};

/* mcu.limits: caps that refuse new work rather than overload the
   machine (mcu/limits.h); 0 = no cap. Defaults from docs/benchmarks.md. */
struct mcu_conf_limits {
	unsigned participants_per_meeting; /* default 120 */
	unsigned calls;                    /* SIP calls in all, default 250 */
	unsigned decoders; /* video sources decoded in all, default 64 */
};

struct mcu_conf {
	char *path;

	/* mcu: */
	char *name;
	char *timezone;     /* default "Asia/Ho_Chi_Minh" */
	int32_t *holidays;  /* days since 1970-01-01 (local calendar), sorted */
	size_t n_holidays;
	struct mcu_conf_listen *sip_listen; /* default udp+tcp 0.0.0.0:5060 */
	size_t n_sip_listen;
	char *sip_domain;
	/* mcu.sip.rate_limit (transport/sip_limit.h): out-of-dialog requests
	   a second and burst per source address outside every allow list
	   (default 5/20) and inside one (default 100/500); a rate of 0
	   turns that limit off. */
	struct mcu_conf_sip_rate {
		unsigned rate, burst, allowed_rate, allowed_burst;
	} sip_rate_limit;
	/* mcu.sip.dial_rate: dial-out INVITEs a second (0: default 50);
	   mcu.sip.dial_max_ringing: dial-out calls ringing at once (0:
	   default 50). */
	unsigned sip_dial_rate, sip_dial_max_ringing;
	char *tls_certificate;
	char *tls_key;
	/* mcu.sip.tls.ca_file: PEM bundle of the CAs that sign peers'
	   certificates (NULL: none, nothing is verified). verify_server:
	   dial-out over TLS checks the endpoint's certificate against it and
	   the URI host (default true with a ca_file). verify_client: every
	   TLS connection to our listener must present a certificate signed
	   by it, or the handshake fails (default false). */
	char *tls_ca_file;
	bool tls_verify_server;
	bool tls_verify_client;
	uint16_t rtp_port_min, rtp_port_max; /* default 20000-29999 */
	enum mcu_srtp_policy srtp;           /* default optional */
	struct mcu_conf_limits limits;       /* mcu.limits */
	/* mcu.rtp.sdes_without_tls: SDES keys may be exchanged on SIP
	   calls that are not over TLS (readable on the wire); default
	   false: such calls are plain RTP (and refused when srtp is
	   required). */
	bool sdes_without_tls;
	struct mcu_conf_addr api_listen;     /* default 127.0.0.1:8080 */
	char *api_token_file;
	unsigned fps;                 /* default 30 */
	char *x264_preset;            /* default "veryfast" */
	unsigned keyframe_interval_s; /* default 3 */
	/* mcu.user / mcu.group: run as this user (and group; NULL: the
	   user's own) once SIP and the API are bound, as mcud --user/--group
	   do (the command line wins). NULL: stay who started mcud. Read at
	   start only. */
	char *user, *group;
	char *logbook;                /* default /var/lib/mcud/logbook.db */
	char *recordings;             /* default /var/lib/mcud/recordings */
	char *content_dir; /* absolute; files under it may be played into
	                      any meeting (mcu/content); NULL: none */
	/* mcu.webrtc: numeric addresses whose host candidates WebRTC
	   sessions offer (none: every non-loopback interface), and how long
	   a one-time join link lasts (default 120 minutes). */
	char **webrtc_addresses;
	size_t n_webrtc_addresses;
	unsigned webrtc_link_minutes;

	struct mcu_conf_endpoint *endpoints;
	size_t n_endpoints;
	struct mcu_conf_group *groups;
	size_t n_groups;
	struct mcu_conf_meeting *meetings;
	size_t n_meetings;

	/* endpoint indices sorted by id (for mcu_conf_endpoint_index()) */
	size_t *endpoint_by_id;
	/* every cascade link of every meeting (endpoint indices) */
	size_t *cascade_links;
	size_t n_cascade_links;
};

enum mcu_conf_severity {
	MCU_CONF_WARNING = 0,
	MCU_CONF_ERROR,
};

struct mcu_conf_finding {
	enum mcu_conf_severity severity;
	struct mcu_conf_pos pos;
	char *message;
};

/* Every finding of one load, in file order within each pass. */
struct mcu_conf_report {
	char *file; /* as given to the loader */
	struct mcu_conf_finding *findings;
	size_t n_findings;
	size_t n_errors;
	size_t n_warnings;
	bool unreadable; /* the file could not be read or parsed at all */
	size_t n_suppressed; /* findings counted but not kept (over 1000) */
};

/*
 * Load and validate a roster file. On return `report` always holds the
 * findings (release with mcu_conf_report_clear()). Returns 0 and sets
 * *confp when the file has no errors; otherwise returns EINVAL (errors
 * found), or the errno of reading it (report->unreadable is then true, as it
 * is for YAML syntax errors and limit violations), and *confp is untouched.
 */
int mcu_conf_load(const char *path, struct mcu_conf **confp,
                  struct mcu_conf_report *report);

/* The same from memory; `name` is used in findings. */
int mcu_conf_load_buffer(const char *name, const char *buf, size_t len,
                         struct mcu_conf **confp,
                         struct mcu_conf_report *report);

/*
 * The roster file `path` with the meetings of `extra` (a YAML sequence of
 * meeting mappings, the operators' ad-hoc meetings) appended to its
 * meetings:, all validated together. Findings in the extra meetings have
 * their line numbers counted from MCU_CONF_EXTRA_LINE. Returns as
 * mcu_conf_load().
 */
#define MCU_CONF_EXTRA_LINE 1000000
int mcu_conf_load_extra(const char *path, const char *extra, size_t extra_len,
                        struct mcu_conf **confp,
                        struct mcu_conf_report *report);

/* Release a snapshot; returns NULL. */
struct mcu_conf *mcu_conf_free(struct mcu_conf *conf);

void mcu_conf_report_clear(struct mcu_conf_report *report);

/* Print findings as "FILE:LINE:COLUMN: error|warning: message\n". */
void mcu_conf_report_print(const struct mcu_conf_report *report, FILE *out);

/* Lookups: index, or -1 when unknown. */
long mcu_conf_endpoint_index(const struct mcu_conf *conf, const char *id);

/* The SRTP policy of calls with `ep`: its srtp: key, else mcu.rtp.srtp. */
static inline enum mcu_srtp_policy
mcu_conf_endpoint_srtp(const struct mcu_conf *conf,
                       const struct mcu_conf_endpoint *ep)
{
	return ep && ep->srtp_set ? ep->srtp : conf->srtp;
}
long mcu_conf_meeting_index(const struct mcu_conf *conf, const char *id);

const char *mcu_conf_tier_name(enum mcu_tier tier);
/* "out", "in", or NULL for MCU_CASCADE_NONE. */
const char *mcu_conf_cascade_name(enum mcu_cascade_dir dir);
const char *mcu_conf_floor_name(enum mcu_floor_mode mode);

/*
 * Make `tz` ("Asia/Ho_Chi_Minh") the process time zone (TZ + tzset()).
 * Returns 0 or EINVAL when no such zone is installed. Not thread-safe with
 * respect to other threads calling localtime_r(): call at start-up only.
 */
int mcu_conf_apply_timezone(const char *tz);

/* True for a layout name of roster-format.md ("host", "grid-3x3", ...). */
bool mcu_conf_layout_valid(const char *name);

/*
 * Layout preset `n` of meeting `m` (the host's keypad 3<n>#): 0 is the
 * meeting's own layout (layout.host / layout.branches); 1..N the entries of
 * its layout_presets, or, when it has none, of the built-in list
 * (docs/configuration.md). Sets *host and *branches (borrowed, static or
 * from m; NULL: that role keeps its layout) and returns true; false when
 * there is no preset n.
 */
bool mcu_conf_layout_preset(const struct mcu_conf_meeting *m, unsigned n,
                            const char **host, const char **branches);

/*
 * Whether `next` may replace `cur` on reload (SIGHUP): false when a key that
 * needs a restart differs (mcu.timezone, mcu.sip.listen, mcu.api.listen,
 * mcu.rtp.ports, mcu.sip.rate_limit, mcu.user/mcu.group);
 * *keyp then names it. mcu_conf_load() has already made next's time zone
 * the process zone: a daemon that refuses the reload must call
 * mcu_conf_apply_timezone(cur->timezone) again.
 */
bool mcu_conf_reload_allowed(const struct mcu_conf *cur,
                             const struct mcu_conf *next, const char **keyp);

#endif
