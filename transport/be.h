/*
 * be: big-endian (network order) 16- and 32-bit fields read from and
 * written to a byte buffer, for the RTP and RTCP code and the other
 * wire formats that include it. Inline: they run per packet. The caller
 * checks the buffer's length first; these read or write exactly 2 or 4
 * bytes at p.
 */
#ifndef MCU_TRANSPORT_BE_H
#define MCU_TRANSPORT_BE_H

#include <stdint.h>

static inline uint16_t mcu_be_rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t mcu_be_rd32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

static inline void mcu_be_wr16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline void mcu_be_wr32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

#endif
