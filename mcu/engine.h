/*
 * engine: the media engine of the process: the network I/O threads (one
 * per core by default), the media clock, and the rooms of the meetings
 * that are live. The daemon's control loop starts and stops rooms as the
 * schedule says; everything media-related below it belongs to the rooms.
 */
#ifndef MCU_ENGINE_H
#define MCU_ENGINE_H

#include <stddef.h>

#include "mcu/room.h"
#include "mcu/snapshot.h"
#include "mcu/workpool.h"

struct mcu_engine;

struct mcu_engine_params {
	struct mcu_workpool *pool; /* media workers (owned by the caller) */
	unsigned io_threads;       /* 0: one per core */
	const char *run_dir;       /* leg SDP files */
	/* > 0: the meetings' audio ticks get a worker of their own under
	   SCHED_FIFO at this priority, and the media clock one above it, so
	   that no video work delays the sound; where the process may not
	   (no CAP_SYS_NICE or RLIMIT_RTPRIO) they share the media workers,
	   as with 0. */
	int rt_priority;
};

int mcu_engine_alloc(struct mcu_engine **enginep,
                     const struct mcu_engine_params *params);
/* Stops every room and thread. Returns NULL. */
struct mcu_engine *mcu_engine_free(struct mcu_engine *engine);

/* Start the room of meeting `meeting` of `snap`; EALREADY if it runs. */
/* Histograms the rooms' ticks feed (the series stay the caller's and
   must outlive the engine); call before the first room starts. */
void mcu_engine_set_probes(struct mcu_engine *engine,
                           const struct mcu_room_probes *probes);

int mcu_engine_start(struct mcu_engine *engine, struct mcu_snapshot *snap,
                     size_t meeting);
/* Stop the room of meeting id; ENOENT if none. */
int mcu_engine_stop(struct mcu_engine *engine, const char *meeting_id);

/* The running room of a meeting, or NULL (valid on the control thread
 * until it stops the room). */
struct mcu_room *mcu_engine_room(struct mcu_engine *engine,
                                 const char *meeting_id);
size_t mcu_engine_rooms(const struct mcu_engine *engine);

/*
 * From any other thread (the API): the running room of a meeting, held
 * so that it cannot be stopped until mcu_engine_release(); NULL when the
 * meeting has no room (nothing to release then). Do not hold it long:
 * starting and stopping rooms waits for it.
 */
struct mcu_room *mcu_engine_acquire(struct mcu_engine *engine,
                                    const char *meeting_id);
void mcu_engine_release(struct mcu_engine *engine, struct mcu_room *room);

#endif
