/*
 * api_pins: JSON and status codes of the pin action (docs/api.md
 * "Pins"), for mcu/api_live.c. Called from the API's threads with a room
 * reference held.
 */
#ifndef MCU_API_PINS_H
#define MCU_API_PINS_H

#include <jansson.h>
#include <stddef.h>

#include "mcu/api.h"
#include "mcu/room.h"

/* Pin or unpin a->endpoint (slot `slot`) as a asks: an HTTP status, with
   a reason in detail when it is not 200. */
int mcu_api_pin_action(struct mcu_room *room, long slot,
                       const struct mcu_api_action *a, char *detail,
                       size_t len);

/* {"host": [{"endpoint": ID, "tile": N}], "branches": [...]}, tiles
   numbered from 1; a new reference. */
json_t *mcu_api_pins_json(struct mcu_room *room);

#endif
