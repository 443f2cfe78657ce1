/*
 * dtmf: RFC 4733 telephone-event parse, write and press dedupe (see
 * dtmf.h).
 *
 * A press is identified by its RTP timestamp: every packet of one event
 * (start, updates, the end packet sent three times) carries the same
 * timestamp, so "new timestamp" means "new press" -- except a long press,
 * which the sender splits into segments whose timestamps follow each
 * other by the previous segment's duration while the event number stays
 * and no end has been seen.
 */
#include "transport/dtmf.h"

#include <errno.h>
#include <string.h>

int mcu_dtmf_parse(const uint8_t *p, size_t len, struct mcu_dtmf_event *ev)
{
	if (!p || !ev || len < MCU_DTMF_PAYLOAD)
		return EBADMSG;
	ev->event = p[0];
	ev->end = p[1] & 0x80;
	ev->volume = p[1] & 0x3f;
	ev->duration = (uint16_t)(p[2] << 8 | p[3]);
	return 0;
}

int mcu_dtmf_write(uint8_t *buf, size_t size, const struct mcu_dtmf_event *ev)
{
	if (!buf || !ev || ev->volume > 63)
		return EINVAL;
	if (size < MCU_DTMF_PAYLOAD)
		return ENOSPC;
	buf[0] = ev->event;
	buf[1] = (uint8_t)((ev->end ? 0x80 : 0) | ev->volume);
	buf[2] = (uint8_t)(ev->duration >> 8);
	buf[3] = (uint8_t)ev->duration;
	return 0;
}

char mcu_dtmf_key(uint8_t event)
{
	static const char keys[] = "0123456789*#ABCD";
	return event < 16 ? keys[event] : 0;
}

void mcu_dtmf_rx_init(struct mcu_dtmf_rx *rx)
{
	memset(rx, 0, sizeof(*rx));
}

/* A later segment of the press in progress (RFC 4733 2.5.1.3)? */
static bool continues(const struct mcu_dtmf_rx *rx,
                      const struct mcu_dtmf_event *ev, uint32_t ts)
{
	int64_t gap = (int64_t)(uint32_t)(ts - rx->seg_ts);
	return rx->have && !rx->ended && ev->event == rx->event && gap > 0 &&
	       gap <= (int64_t)rx->duration + 1000;
}

int mcu_dtmf_rx_put(struct mcu_dtmf_rx *rx, const uint8_t *p, size_t len,
                    uint32_t ts, char *key)
{
	struct mcu_dtmf_event ev;

	if (!rx || !key)
		return EINVAL;
	if (mcu_dtmf_parse(p, len, &ev))
		return EBADMSG;
	if (rx->have && ts == rx->seg_ts && ev.event == rx->event) {
		if (ev.duration > rx->duration)
			rx->duration = ev.duration;
		rx->ended |= ev.end;
		return EALREADY;
	}
	if (continues(rx, &ev, ts)) {
		rx->seg_ts = ts;
		rx->duration = ev.duration;
		rx->ended = ev.end;
		return EALREADY;
	}
	rx->have = true;
	rx->ended = ev.end;
	rx->event = ev.event;
	rx->ts = rx->seg_ts = ts;
	rx->duration = ev.duration;
	*key = mcu_dtmf_key(ev.event);
	return *key ? 0 : ENOTSUP;
}
