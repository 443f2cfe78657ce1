/*
 * pi_mutex: mutexes that the real-time audio threads (mcu/engine.c,
 * SCHED_FIFO) share with ordinary threads: the room's state, the media
 * clock, the worker pools' queues, a leg's jitter buffers and send path.
 * They use priority inheritance, so a holder that the kernel preempted for
 * unrelated work is run at the waiter's priority until it unlocks, and a
 * real-time waiter never waits behind video decodes (the soak saw the audio
 * tick wait 53 ms for a room lock whose holder had been preempted).
 * Callable from any layer; no other state.
 */
#ifndef MCU_CONF_PI_MUTEX_H
#define MCU_CONF_PI_MUTEX_H

#include <pthread.h>

/* pthread_mutex_init() with PTHREAD_PRIO_INHERIT (a plain mutex where
   the system has none). 0 or the errno of pthread_mutex_init(). */
int mcu_mutex_init_pi(pthread_mutex_t *m);

#endif
