/*
 * Operators' and the host's control of what a room shows (issue 5): pins,
 * tour paging, layout presets, and incidents reported from a keypad.
 *
 * Why it works this way: all of it is a few words of state under
 * room->lock that the video tick copies with the rest of its inputs
 * (room_video.c snapshot_in), so nothing here touches media or waits for a
 * tick. A pin is an input of layout/view like the floor holder: it changes
 * the tiles, hence the view key, so encoder groups follow by themselves.
 * Tour steps are counted here and taken by the next tick, which owns the
 * tour clock (layout/view mcu_view_tour_advance). An incident report only
 * counts the presses; mcu/watch reads the count once a second and raises
 * the `reported` incident with the event, log line and logbook row.
 */
#define MCU_LOG_MODULE "room"
#include "mcu/room_internal.h"
#include "conf/log.h"

#include <errno.h>
#include <string.h>

static bool slot_ok(const struct mcu_room *room, long slot)
{
	return slot >= 0 && (size_t)slot < room->n_parts &&
	       !room->parts[slot].removed;
}

/* Drop pin i of role r (lock held). */
static void drop_pin(struct mcu_room *room, int r, size_t i)
{
	memmove(&room->pins[r][i], &room->pins[r][i + 1],
	        (room->n_pins[r] - i - 1) * sizeof(room->pins[r][0]));
	room->n_pins[r]--;
}

int mcu_room_pin(struct mcu_room *room, bool host, long slot, int tile)
{
	int r = host ? 0 : 1, err = 0;
	uint32_t id;
	bool found = false;

	if (!room)
		return EINVAL;
	pthread_mutex_lock(&room->lock);
	if (!slot_ok(room, slot)) {
		err = EINVAL;
		goto out;
	}
	id = room->parts[slot].id;
	if (tile >= 0) {
		const struct mcu_layout *l =
		    host ? &room->host_layout : &room->branch_layout;
		int n = mcu_layout_tile_count(l);
		if (tile >= n || tile >= MCU_LAYOUT_MAX_TILES) {
			err = ERANGE;
			goto out;
		}
	}
	/* One pin per participant and per tile: the new one wins. */
	for (size_t i = room->n_pins[r]; i-- > 0;) {
		if (room->pins[r][i].source == id ||
		    (tile >= 0 && room->pins[r][i].tile == tile)) {
			found |= room->pins[r][i].source == id;
			drop_pin(room, r, i);
		}
	}
	if (tile < 0) {
		err = found ? 0 : ENOENT;
		goto out;
	}
	room->pins[r][room->n_pins[r]++] =
	    (struct mcu_view_pin){.source = id, .tile = tile};
out:
	pthread_mutex_unlock(&room->lock);
	if (!err && tile >= 0)
		mcu_log_info("%s: %s pinned to tile %d of the %s view",
		             room->id, room->parts[slot].eid, tile + 1,
		             host ? "host's" : "branches'");
	else if (!err)
		mcu_log_info("%s: %s unpinned from the %s view", room->id,
		             room->parts[slot].eid, host ? "host's" : "branches'");
	return err;
}

size_t mcu_room_pins(struct mcu_room *room, bool host,
                     struct mcu_room_pin_info *out, size_t max)
{
	int r = host ? 0 : 1;
	size_t n = 0;

	if (!room)
		return 0;
	pthread_mutex_lock(&room->lock);
	for (size_t i = 0; i < room->n_pins[r] && n < max; i++) {
		long slot = (long)room->pins[r][i].source - 1;
		if (!slot_ok(room, slot))
			continue; /* left the roster: kept, shown again later */
		out[n].slot = slot;
		out[n].tile = room->pins[r][i].tile;
		n++;
	}
	pthread_mutex_unlock(&room->lock);
	return n;
}

void mcu_room_tour_step(struct mcu_room *room, int steps)
{
	if (!room)
		return;
	pthread_mutex_lock(&room->lock);
	/* bounded: a stuck key cannot overflow it */
	if ((steps > 0 && room->tour_steps < 1000) ||
	    (steps < 0 && room->tour_steps > -1000))
		room->tour_steps += steps;
	pthread_mutex_unlock(&room->lock);
}

/* Preset n (lock held). */
static int set_preset(struct mcu_room *room, unsigned n)
{
	const char *h = NULL, *b = NULL;
	struct mcu_layout hl = room->host_layout, bl = room->branch_layout;

	if (!mcu_conf_layout_preset(room->m, n, &h, &b))
		return ENOENT;
	if ((h && mcu_layout_parse(h, &hl)) || (b && mcu_layout_parse(b, &bl)))
		return EINVAL; /* the roster checked them: not expected */
	room->host_layout = hl;
	room->branch_layout = bl;
	return 0;
}

int mcu_room_layout_preset(struct mcu_room *room, unsigned n)
{
	int err;
	if (!room)
		return EINVAL;
	pthread_mutex_lock(&room->lock);
	err = set_preset(room, n);
	pthread_mutex_unlock(&room->lock);
	return err;
}

int mcu_room_dtmf_control(struct mcu_room *room, long slot,
                          const struct mcu_dtmf_cmd *cmd)
{
	switch (cmd->action) {
	case MCU_DTMF_ACT_INCIDENT_REPORT:
		room->parts[slot].reports++;
		return 0;
	case MCU_DTMF_ACT_LAYOUT_PRESET:
		return set_preset(room, cmd->arg);
	case MCU_DTMF_ACT_TOUR_NEXT:
	case MCU_DTMF_ACT_TOUR_PREV:
		if (room->tour_steps > -1000 && room->tour_steps < 1000)
			room->tour_steps +=
			    cmd->action == MCU_DTMF_ACT_TOUR_NEXT ? 1 : -1;
		return 0;
	default:
		return ENOTSUP;
	}
}
