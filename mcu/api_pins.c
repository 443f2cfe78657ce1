/*
 * The operator API's side of pins and tour paging (mcu/room_control.c):
 * POST .../participants/{ep}/pin and the "pins" of GET meeting.
 */
#define MCU_LOG_MODULE "api"
#include "mcu/api_pins.h"
#include "layout/catalog.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

/* POST .../pin: tile 1..N pins (role host by default), 0 unpins (from
 * both roles when no role is given). */
int mcu_api_pin_action(struct mcu_room *room, long slot,
                      const struct mcu_api_action *a, char *detail,
                      size_t len)
{
	bool host = a->role == MCU_API_ROLE_HOST;
	int err;

	if (a->tile == 0 && !a->role_given) {
		int e1 = mcu_room_pin(room, true, slot, -1);
		int e2 = mcu_room_pin(room, false, slot, -1);
		err = e1 && e2 ? (e1 == ENOENT ? e2 : e1) : 0;
	} else {
		err = mcu_room_pin(room, host, slot, a->tile - 1);
	}
	switch (err) {
	case 0:
		return 200;
	case ERANGE: {
		struct mcu_room_floor *f = malloc(sizeof(*f));
		if (f)
			mcu_room_floor_info(room, f);
		snprintf(detail, len, "the %s layout %s has no tile %d",
		         host ? "host's" : "branches'",
		         !f ? "" : host ? f->host_layout : f->branch_layout,
		         a->tile);
		free(f);
		return 409;
	}
	case ENOENT:
		snprintf(detail, len, "%s is not pinned", a->endpoint);
		return 409;
	default:
		snprintf(detail, len, "cannot pin %s", a->endpoint);
		return 409;
	}
}

/* "pins": {"host": [{"endpoint", "tile"}], "branches": [...]} */
json_t *mcu_api_pins_json(struct mcu_room *room)
{
	struct mcu_room_pin_info pins[MCU_LAYOUT_MAX_TILES];
	json_t *j = json_object();
	for (int r = 0; j && r < 2; r++) {
		size_t n = mcu_room_pins(room, r == 0, pins,
		                         MCU_LAYOUT_MAX_TILES);
		json_t *arr = json_array();
		for (size_t i = 0; arr && i < n; i++) {
			const char *e = mcu_room_slot_endpoint(room,
			                                       pins[i].slot);
			if (e)
				json_array_append_new(
				    arr, json_pack("{s:s,s:i}", "endpoint", e,
				                   "tile", pins[i].tile + 1));
		}
		json_object_set_new(j, r == 0 ? "host" : "branches",
		                    arr ? arr : json_array());
	}
	return j;
}

