/*
 * bytebuf: the bounded, growing byte buffer the depacketizers assemble a
 * frame in (transport/h264, transport/vp8). It doubles from 16 KiB up to
 * a hard maximum, so a hostile stream can never make it grow past what
 * the caller allows.
 */
#ifndef MCU_TRANSPORT_BYTEBUF_H
#define MCU_TRANSPORT_BYTEBUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Append n bytes of p to *buf (holding *len of *cap bytes), growing it
 * up to max bytes. Returns false, leaving everything unchanged, when the
 * result would exceed max or memory runs out.
 */
bool mcu_bytebuf_append(uint8_t **buf, size_t *len, size_t *cap, size_t max,
                        const void *p, size_t n);

#endif
