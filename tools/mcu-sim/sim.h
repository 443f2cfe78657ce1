/*
 * sim: N simulated endpoints in one process (the `run` of mcu-sim).
 *
 * Why it is cheap: everything an endpoint sends is encoded once at start
 * (tools/mcu-sim/media) and only packetized on send; one thread (the
 * caller's) runs one epoll loop over every endpoint's sockets, a timerfd
 * pacer (a tick every few ms; each stream keeps its own absolute deadline,
 * so audio goes out every 20 ms and video every frame interval, without a
 * timer per stream) and a signalfd for SIGINT/SIGTERM. SIP is one sofia
 * nua (transport/sip, its own thread) with one handle per call; its
 * callbacks only fill in an endpoint's negotiated addresses and flip it
 * to "media on" (release/acquire), nothing else crosses threads.
 *
 * Each endpoint: two RTP/RTCP port pairs (video p/p+1, audio p+2/p+3),
 * symmetric (it sends from the ports it receives on). It sends SR + SDES
 * every second per stream with a report block on what it receives, jumps
 * to the cached key frame on PLI/FIR (at most every 100 ms), and measures
 * what the MCU sends (tools/mcu-sim/rx). On request it decodes the last
 * seconds of the received video (codec/vdec) and looks for the endpoints'
 * colours in it (tools/mcu-sim/palette).
 */
#ifndef MCU_SIM_SIM_H
#define MCU_SIM_SIM_H

#include <stdbool.h>
#include <stdint.h>

struct mcu_conf;

struct mcu_sim_config {
	const struct mcu_conf *conf; /* the roster */
	const char *meeting;         /* meeting id: its host + branches */
	const char *endpoints;       /* NULL, or the endpoints to play:
	                                "ID,ID,...", "all" = every other
	                                one with a SIP URI (the meeting
	                                need not be in the roster) */
	const char *mcu_uri;         /* sip:HOST:PORT (or sip:user@...) */
	unsigned count;              /* first N of host + branches (or of
	                                endpoints); 0: all */
	unsigned seconds;            /* media time after the first dial */
	int width, height;           /* what each endpoint sends */
	unsigned fps;
	const char *sample;        /* endpoint id, "all" or NULL */
	unsigned sample_seconds;   /* decode the last S seconds */
	const char *report;        /* JSON file, "-" for stdout, NULL */
	const char *bind_addr;     /* local address, default 127.0.0.1 */
	uint16_t sip_port;         /* our SIP port; 0: any free */
	uint16_t rtp_min, rtp_max; /* our RTP ports */
	unsigned dial_interval_ms; /* between two dials */
	unsigned tick_ms;          /* pacer tick */
	bool roster_bandwidth;     /* offer/answer b=AS = the endpoint's
	                              roster bandwidth_kbps (bitrate tiers) */
	bool answer;               /* dial nobody: answer the MCU's INVITEs
	                              (dial: out meetings) on sip_port */
	double tx_loss_pct;        /* drop this share of our RTP media
	                              packets at random (0..50; a loss on
	                              the way to the MCU) */
};

/*
 * Run the simulation to the end (its seconds, or SIGINT/SIGTERM), hang
 * up, write the report. Returns 0 when it ran (whatever the calls did),
 * or an errno when it could not start.
 */
int mcu_sim_run(const struct mcu_sim_config *cfg);

#endif
