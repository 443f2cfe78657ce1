#include "conf/pi_mutex.h"

int mcu_mutex_init_pi(pthread_mutex_t *m)
{
	pthread_mutexattr_t a;
	int err = pthread_mutexattr_init(&a);
	if (err)
		return pthread_mutex_init(m, NULL);
	if (pthread_mutexattr_setprotocol(&a, PTHREAD_PRIO_INHERIT) == 0)
		err = pthread_mutex_init(m, &a);
	else
		err = pthread_mutex_init(m, NULL);
	pthread_mutexattr_destroy(&a);
	return err;
}
