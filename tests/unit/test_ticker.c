/* test-libs: mcu_core mcu_conf */
#include "tests/unit/testutil.h"
#include "mcu/ticker.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <unistd.h>

static atomic_int fired;
static atomic_llong max_late;

static void count_fn(int64_t deadline, int64_t now, void *arg)
{
	(void)arg;
	atomic_fetch_add(&fired, 1);
	if (now - deadline > atomic_load(&max_late))
		atomic_store(&max_late, now - deadline);
}

static void slow_fn(int64_t deadline, int64_t now, void *arg)
{
	(void)deadline;
	(void)now;
	(void)arg;
	atomic_fetch_add(&fired, 1);
	usleep(50000);
}

/* Ticks come at their period, on time, and stop when removed. */
static void periodic(void **state)
{
	struct mcu_workpool *pool = NULL;
	struct mcu_ticker *tk = NULL;
	struct mcu_tick *t = NULL;
	(void)state;
	atomic_store(&fired, 0);
	assert_int_equal(mcu_workpool_alloc(&pool, 2, 64), 0);
	assert_int_equal(mcu_ticker_alloc(&tk, pool), 0);
	assert_int_equal(mcu_ticker_add(tk, &t, 20000000, count_fn, NULL), 0);
	usleep(500000);
	t = mcu_ticker_remove(tk, t);
	int n = atomic_load(&fired);
	/* 25 expected; allow a loaded CI machine some slack. */
	assert_true(n >= 20 && n <= 26);
	usleep(60000);
	assert_int_equal(atomic_load(&fired), n);
	tk = mcu_ticker_free(tk);
	pool = mcu_workpool_free(pool);
}

/* A tick slower than its period is skipped, never queued up. */
static void slow_tick_skips(void **state)
{
	struct mcu_workpool *pool = NULL;
	struct mcu_ticker *tk = NULL;
	struct mcu_tick *t = NULL;
	struct mcu_tick_stats st;
	(void)state;
	atomic_store(&fired, 0);
	assert_int_equal(mcu_workpool_alloc(&pool, 2, 64), 0);
	assert_int_equal(mcu_ticker_alloc(&tk, pool), 0);
	assert_int_equal(mcu_ticker_add(tk, &t, 20000000, slow_fn, NULL), 0);
	usleep(400000);
	mcu_tick_stats(tk, t, &st);
	t = mcu_ticker_remove(tk, t);
	/* A 50 ms run every 20 ms: at most 400/50 + 1 runs start, and the
	   deadlines met while one runs are skipped, not queued. A loaded
	   machine (the suite runs in parallel) delays sleeps, so only the
	   bounds that hold under load are checked. */
	assert_true(st.fired >= 2 && st.fired <= 9);
	assert_true(st.skipped >= st.fired);
	tk = mcu_ticker_free(tk);
	pool = mcu_workpool_free(pool);
}

static int64_t late_deadlines[64];
static atomic_int late_n;

static void first_slow_fn(int64_t deadline, int64_t now, void *arg)
{
	(void)now;
	(void)arg;
	int i = atomic_fetch_add(&late_n, 1);
	if (i < 64)
		late_deadlines[i] = deadline;
	if (i == 0)
		usleep(25000);
}

/* With late runs on, the deadline met while a run overran is run right
   after it instead of being skipped, with its own deadline: deadlines
   still advance by whole periods, none twice. */
static void late_run_instead_of_skip(void **state)
{
	struct mcu_workpool *pool = NULL;
	struct mcu_ticker *tk = NULL;
	struct mcu_tick *t = NULL;
	struct mcu_tick_stats st;
	const int64_t period = 20000000;
	(void)state;
	atomic_store(&late_n, 0);
	assert_int_equal(mcu_workpool_alloc(&pool, 2, 64), 0);
	assert_int_equal(mcu_ticker_alloc(&tk, pool), 0);
	assert_int_equal(mcu_ticker_add(tk, &t, period, first_slow_fn, NULL),
	                 0);
	mcu_tick_set_late_run(tk, t, true);
	usleep(200000);
	mcu_tick_stats(tk, t, &st);
	t = mcu_ticker_remove(tk, t);
	int n = atomic_load(&late_n);
	if (n > 64)
		n = 64;
	/* the first run (25 ms) was busy at the second deadline */
	assert_true(st.late_runs >= 1);
	assert_true(n >= 3);
	/* a run may start between the statistics and the removal */
	assert_true((uint64_t)n == st.fired || (uint64_t)n == st.fired + 1);
	for (int i = 1; i < n; i++) {
		int64_t step = late_deadlines[i] - late_deadlines[i - 1];
		assert_true(step >= period);
		assert_int_equal(step % period, 0);
	}
	tk = mcu_ticker_free(tk);
	pool = mcu_workpool_free(pool);
}

static atomic_int rt_fired, rt_policy, plain_fired;

static void rt_fn(int64_t deadline, int64_t now, void *arg)
{
	(void)deadline;
	(void)now;
	(void)arg;
	int policy;
	struct sched_param sp;
	pthread_getschedparam(pthread_self(), &policy, &sp);
	atomic_store(&rt_policy, policy);
	atomic_fetch_add(&rt_fired, 1);
}

static void plain_fn(int64_t deadline, int64_t now, void *arg)
{
	(void)deadline;
	(void)now;
	(void)arg;
	atomic_fetch_add(&plain_fired, 1);
}

static void block_job(void *arg)
{
	(void)arg;
	usleep(400000);
}

/* A tick added on a pool of its own (the audio tick on the real-time
   worker) runs there, under SCHED_FIFO, and keeps firing while every
   worker of the ticker's pool is held by a long job; a tick on that
   pool waits. */
static void tick_on_own_pool(void **state)
{
	struct mcu_workpool *pool = NULL, *rt = NULL;
	struct mcu_ticker *tk = NULL;
	struct mcu_tick *a = NULL, *v = NULL;
	(void)state;
	assert_int_equal(mcu_workpool_alloc(&pool, 1, 64), 0);
	assert_int_equal(mcu_workpool_alloc(&rt, 1, 64), 0);
	assert_int_equal(mcu_ticker_alloc(&tk, pool), 0);
	assert_int_equal(mcu_workpool_set_realtime(rt, 0), EINVAL);
	assert_int_equal(mcu_workpool_set_realtime(rt, 100), EINVAL);
	assert_int_equal(mcu_ticker_set_realtime(tk, 100), EINVAL);
	int err = mcu_workpool_set_realtime(rt, 10);
	bool realtime = err == 0;
	if (!realtime)
		assert_int_equal(err, EPERM); /* not root, no CAP_SYS_NICE */
	else
		assert_int_equal(mcu_ticker_set_realtime(tk, 11), 0);
	assert_int_equal(mcu_ticker_add_on(tk, NULL, &a, 20000000, rt_fn,
	                                   NULL),
	                 EINVAL);
	atomic_store(&rt_fired, 0);
	atomic_store(&plain_fired, 0);
	atomic_store(&rt_policy, -1);
	assert_int_equal(mcu_workpool_submit(pool, block_job, NULL), 0);
	usleep(20000); /* the job holds the only worker */
	assert_int_equal(mcu_ticker_add_on(tk, rt, &a, 20000000, rt_fn, NULL),
	                 0);
	assert_int_equal(mcu_ticker_add(tk, &v, 20000000, plain_fn, NULL), 0);
	usleep(300000);
	int na = atomic_load(&rt_fired), nv = atomic_load(&plain_fired);
	a = mcu_ticker_remove(tk, a);
	v = mcu_ticker_remove(tk, v);
	/* 15 due in 300 ms; the plain tick none (its worker is blocked) */
	assert_true(na >= 8);
	assert_int_equal(nv, 0);
	assert_int_equal(atomic_load(&rt_policy),
	                 realtime ? SCHED_FIFO : SCHED_OTHER);
	tk = mcu_ticker_free(tk);
	rt = mcu_workpool_free(rt);
	pool = mcu_workpool_free(pool);
}

/* With a real-time clock, ticks on the ticker's ordinary pool are queued
   by the hand-off thread: they keep their period, and removing them at
   any moment (also while one is being handed off) is safe. */
static void realtime_clock_hands_off(void **state)
{
	struct mcu_workpool *pool = NULL;
	struct mcu_ticker *tk = NULL;
	struct mcu_tick *t = NULL;
	(void)state;
	assert_int_equal(mcu_workpool_alloc(&pool, 2, 64), 0);
	assert_int_equal(mcu_ticker_alloc(&tk, pool), 0);
	int err = mcu_ticker_set_realtime(tk, 11);
	if (err == EPERM) { /* not root, no CAP_SYS_NICE */
		tk = mcu_ticker_free(tk);
		pool = mcu_workpool_free(pool);
		skip();
	}
	assert_int_equal(err, 0);
	atomic_store(&fired, 0);
	assert_int_equal(mcu_ticker_add(tk, &t, 20000000, count_fn, NULL), 0);
	usleep(300000);
	t = mcu_ticker_remove(tk, t);
	int n = atomic_load(&fired);
	assert_true(n >= 8 && n <= 16); /* 15 due */
	usleep(50000);
	assert_int_equal(atomic_load(&fired), n);
	/* add and remove at 1 ms periods: removal meets hand-offs */
	for (int i = 0; i < 40; i++) {
		assert_int_equal(
		    mcu_ticker_add(tk, &t, 1000000, count_fn, NULL), 0);
		usleep((useconds_t)(i % 5) * 1000);
		t = mcu_ticker_remove(tk, t);
	}
	tk = mcu_ticker_free(tk);
	pool = mcu_workpool_free(pool);
}

/* A shift moves the next deadline and every later one: the clock keeps
 * the new phase. Asked from the tick's own function, as the audio clock
 * does. */
static struct mcu_ticker *shift_tk;
static struct mcu_tick *shift_t;
static int64_t shift_deadlines[12];

static void shift_fn(int64_t deadline, int64_t now, void *arg)
{
	int n = atomic_fetch_add(&fired, 1);
	(void)now;
	(void)arg;
	if (n >= 12)
		return;
	shift_deadlines[n] = deadline;
	if (n == 4)
		assert_int_equal(mcu_tick_shift(shift_tk, shift_t, -7000000), 0);
}

static void shift_phase(void **state)
{
	struct mcu_workpool *pool = NULL;
	(void)state;
	atomic_store(&fired, 0);
	assert_int_equal(mcu_workpool_alloc(&pool, 2, 64), 0);
	assert_int_equal(mcu_ticker_alloc(&shift_tk, pool), 0);
	assert_int_equal(
	    mcu_ticker_add(shift_tk, &shift_t, 20000000, shift_fn, NULL), 0);
	assert_int_equal(mcu_tick_shift(shift_tk, shift_t, 20000000), EINVAL);
	assert_int_equal(mcu_tick_shift(shift_tk, shift_t, -20000000), EINVAL);
	for (int i = 0; i < 200 && atomic_load(&fired) < 12; i++)
		usleep(10000);
	shift_t = mcu_ticker_remove(shift_tk, shift_t);
	assert_true(atomic_load(&fired) >= 12);
	for (int k = 0; k < 11; k++) {
		int64_t d = shift_deadlines[k + 1] - shift_deadlines[k];
		/* whole periods (a skipped deadline on a loaded machine is
		   one more), 7 ms less after the shift */
		assert_int_equal((d + (k == 4 ? 7000000 : 0)) % 20000000, 0);
		assert_true(d > 0);
	}
	shift_tk = mcu_ticker_free(shift_tk);
	pool = mcu_workpool_free(pool);
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(periodic),
	cmocka_unit_test(shift_phase),
	cmocka_unit_test(slow_tick_skips),
	cmocka_unit_test(late_run_instead_of_skip),
	cmocka_unit_test(realtime_clock_hands_off),
	cmocka_unit_test(tick_on_own_pool),
};
MCU_TEST_MAIN(tests, NULL, NULL)
