/* test-libs: mcu_conf */
#include "tests/unit/testutil.h"
#include "conf/pi_mutex.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <time.h>
#include <unistd.h>

/*
 * Priority inheritance, shown the way it matters to mcud: on one CPU an
 * ordinary thread holds the lock, a real-time "video" thread (SCHED_FIFO 5)
 * spins for 200 ms, and the real-time "audio" thread (SCHED_FIFO 10) wants
 * the lock. With inheritance the holder runs at 10 the moment the audio
 * thread waits, ahead of the spinner, and unlocks: the audio thread has
 * the lock within milliseconds. With a plain mutex the holder never runs
 * until the spinner stops: the audio thread waits the whole 200 ms
 * (checked by the same case on a plain mutex).
 */
static pthread_mutex_t lock;
static atomic_bool held, spin_started, stop_spin;
static atomic_llong got_after_ns;

static int64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void *holder(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&lock);
	atomic_store(&held, true);
	/* work while holding, then let go (yields the CPU meanwhile) */
	while (!atomic_load(&spin_started))
		usleep(1000);
	volatile unsigned long x = 0;
	for (unsigned long i = 0; i < 2000000; i++)
		x += i;
	pthread_mutex_unlock(&lock);
	return NULL;
}

static void *spinner(void *arg)
{
	(void)arg;
	atomic_store(&spin_started, true);
	int64_t end = now_ns() + 200000000;
	while (now_ns() < end && !atomic_load(&stop_spin))
		;
	return NULL;
}

static void *waiter(void *arg)
{
	(void)arg;
	int64_t t0 = now_ns();
	pthread_mutex_lock(&lock);
	atomic_store(&got_after_ns, now_ns() - t0);
	pthread_mutex_unlock(&lock);
	return NULL;
}

static int start(pthread_t *t, void *(*fn)(void *), int prio)
{
	pthread_attr_t a;
	pthread_attr_init(&a);
	cpu_set_t one;
	CPU_ZERO(&one);
	CPU_SET(0, &one);
	pthread_attr_setaffinity_np(&a, sizeof(one), &one);
	if (prio) {
		struct sched_param sp = {.sched_priority = prio};
		pthread_attr_setinheritsched(&a, PTHREAD_EXPLICIT_SCHED);
		pthread_attr_setschedpolicy(&a, SCHED_FIFO);
		pthread_attr_setschedparam(&a, &sp);
	}
	int err = pthread_create(t, &a, fn, NULL);
	pthread_attr_destroy(&a);
	return err;
}

/* ms the waiter took to get the lock; -1 when real-time is not allowed */
static long run_case(bool pi)
{
	if (pi)
		assert_int_equal(mcu_mutex_init_pi(&lock), 0);
	else
		assert_int_equal(pthread_mutex_init(&lock, NULL), 0);
	atomic_store(&held, false);
	atomic_store(&spin_started, false);
	atomic_store(&stop_spin, false);
	atomic_store(&got_after_ns, -1);
	pthread_t h, s, w;
	assert_int_equal(start(&h, holder, 0), 0);
	while (!atomic_load(&held))
		usleep(1000);
	int err = start(&w, waiter, 10);
	if (err == EPERM) {
		atomic_store(&spin_started, true);
		pthread_join(h, NULL);
		pthread_mutex_destroy(&lock);
		return -1;
	}
	assert_int_equal(err, 0);
	usleep(20000); /* the waiter is blocked on the lock */
	assert_int_equal(start(&s, spinner, 5), 0);
	pthread_join(w, NULL);
	atomic_store(&stop_spin, true);
	pthread_join(s, NULL);
	pthread_join(h, NULL);
	pthread_mutex_destroy(&lock);
	return (long)(atomic_load(&got_after_ns) / 1000000);
}

static void inheritance_unblocks_realtime_waiter(void **state)
{
	(void)state;
	long pi = run_case(true);
	if (pi < 0)
		skip(); /* no root, CAP_SYS_NICE or RLIMIT_RTPRIO */
	long plain = run_case(false);
	print_message("waiter got the lock after %ld ms (inheritance), "
	              "%ld ms (plain mutex)\n", pi, plain);
	assert_true(pi < 100);
	assert_true(plain >= 150); /* the case shows the inversion */
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(inheritance_unblocks_realtime_waiter),
};
MCU_TEST_MAIN(tests, NULL, NULL)
