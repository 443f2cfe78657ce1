/*
 * dtmf: RFC 4733 telephone-events: parse the event payload and turn the
 * stream of packets of each key press (start, updates, three repeated
 * end packets) into exactly one key event per press, for digits 0-9, *,
 * #, A-D (events 0..15). Other events (flash, tones) are parsed and
 * ignored. Long presses split into several segments (RFC 4733 2.5.1.3)
 * stay one press.
 *
 * Also writes event payloads (for the MCU to send a key to a peer).
 * Pure; one receiver state per stream, owned by its I/O thread. Callers:
 * mcu/ (floor requests by DTMF).
 */
#ifndef MCU_TRANSPORT_DTMF_H
#define MCU_TRANSPORT_DTMF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MCU_DTMF_PAYLOAD 4

struct mcu_dtmf_event {
	uint8_t event; /* 0..255; 0-15 are keys */
	bool end;
	uint8_t volume;    /* -dBm0, 0..63 */
	uint16_t duration; /* timestamp units */
};

/* Parse the first event block; returns 0 or EBADMSG (shorter than 4). */
int mcu_dtmf_parse(const uint8_t *p, size_t len, struct mcu_dtmf_event *ev);

/* Write one event block (4 bytes); returns 0, EINVAL or ENOSPC. */
int mcu_dtmf_write(uint8_t *buf, size_t size, const struct mcu_dtmf_event *ev);

/* The key for event 0..15 ('0'-'9', '*', '#', 'A'-'D'), or 0. */
char mcu_dtmf_key(uint8_t event);

/* Receiver state; zero-initialise (or mcu_dtmf_rx_init). */
struct mcu_dtmf_rx {
	bool have; /* a press is known */
	bool ended;
	uint8_t event;
	uint32_t ts;     /* RTP timestamp of the press (its start) */
	uint32_t seg_ts; /* timestamp of its latest segment */
	uint16_t duration;
};

void mcu_dtmf_rx_init(struct mcu_dtmf_rx *rx);

/*
 * Feed one telephone-event payload with its RTP timestamp. Returns 0 and
 * sets *key for the first packet of a new key press; EALREADY for a
 * packet of a press already delivered (updates, repeated ends, later
 * segments); ENOTSUP for a well-formed non-key event; EBADMSG for a
 * malformed payload.
 */
int mcu_dtmf_rx_put(struct mcu_dtmf_rx *rx, const uint8_t *p, size_t len,
                    uint32_t ts, char *key);

#endif
