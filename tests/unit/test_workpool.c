/* test-libs: mcu_core mcu_conf */
#include "tests/unit/testutil.h"
#include "mcu/workpool.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static atomic_int counter;

static void count_job(void *arg)
{
	(void)arg;
	atomic_fetch_add(&counter, 1);
}

static void all_jobs_run(void **state)
{
	struct mcu_workpool *pool = NULL;
	(void)state;
	atomic_store(&counter, 0);
	assert_int_equal(mcu_workpool_alloc(&pool, 2, 1000), 0);
	for (int i = 0; i < 500; i++)
		assert_int_equal(mcu_workpool_submit(pool, count_job, NULL), 0);
	pool = mcu_workpool_free(pool); /* runs what is queued */
	assert_null(pool);
	assert_int_equal(atomic_load(&counter), 500);
}

struct order {
	pthread_mutex_t lock;
	int seen[200];
	int n;
	atomic_int running; /* must never exceed 1 */
	atomic_int overlap;
};

struct order_job {
	struct order *o;
	int value;
};

static void order_fn(void *arg)
{
	struct order_job *j = arg;
	if (atomic_fetch_add(&j->o->running, 1) != 0)
		atomic_store(&j->o->overlap, 1);
	usleep(100);
	pthread_mutex_lock(&j->o->lock);
	j->o->seen[j->o->n++] = j->value;
	pthread_mutex_unlock(&j->o->lock);
	atomic_fetch_sub(&j->o->running, 1);
}

static void serial_keeps_order_and_exclusion(void **state)
{
	struct mcu_workpool *pool = NULL;
	struct mcu_serial *a = NULL, *b = NULL;
	struct order oa = {.lock = PTHREAD_MUTEX_INITIALIZER};
	struct order ob = {.lock = PTHREAD_MUTEX_INITIALIZER};
	struct order_job ja[100], jb[100];
	(void)state;

	assert_int_equal(mcu_workpool_alloc(&pool, 4, 64), 0);
	assert_int_equal(mcu_serial_alloc(&a, pool, 100), 0);
	assert_int_equal(mcu_serial_alloc(&b, pool, 100), 0);
	for (int i = 0; i < 100; i++) {
		ja[i] = (struct order_job){&oa, i};
		jb[i] = (struct order_job){&ob, i};
		assert_int_equal(mcu_serial_submit(a, order_fn, &ja[i]), 0);
		assert_int_equal(mcu_serial_submit(b, order_fn, &jb[i]), 0);
	}
	while (mcu_serial_pending(a) || mcu_serial_pending(b))
		usleep(1000);
	a = mcu_serial_free(a);
	b = mcu_serial_free(b);
	pool = mcu_workpool_free(pool);
	assert_int_equal(oa.n, 100);
	assert_int_equal(ob.n, 100);
	for (int i = 0; i < 100; i++) {
		assert_int_equal(oa.seen[i], i);
		assert_int_equal(ob.seen[i], i);
	}
	assert_int_equal(atomic_load(&oa.overlap), 0);
	assert_int_equal(atomic_load(&ob.overlap), 0);
}

static pthread_mutex_t gate = PTHREAD_MUTEX_INITIALIZER;

static void blocked_job(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&gate);
	pthread_mutex_unlock(&gate);
}

static void full_queue_refuses(void **state)
{
	struct mcu_workpool *pool = NULL;
	struct mcu_serial *s = NULL;
	int refused = 0;
	(void)state;

	pthread_mutex_lock(&gate);
	assert_int_equal(mcu_workpool_alloc(&pool, 1, 4), 0);
	for (int i = 0; i < 20; i++)
		refused += mcu_workpool_submit(pool, blocked_job, NULL) ==
		           ENOBUFS;
	/* One job may already run; at most 4 more wait. */
	assert_true(refused >= 15);
	assert_true(mcu_workpool_dropped(pool) >= 15);

	assert_int_equal(mcu_serial_alloc(&s, pool, 2), 0);
	assert_int_equal(mcu_serial_submit(s, blocked_job, NULL), 0);
	assert_int_equal(mcu_serial_submit(s, blocked_job, NULL), 0);
	assert_int_equal(mcu_serial_submit(s, blocked_job, NULL), ENOBUFS);
	pthread_mutex_unlock(&gate);
	s = mcu_serial_free(s);
	pool = mcu_workpool_free(pool);
}

static void bad_arguments(void **state)
{
	struct mcu_workpool *pool = NULL;
	(void)state;
	assert_int_equal(mcu_workpool_alloc(&pool, 1, 0), EINVAL);
	assert_null(pool);
	assert_int_equal(mcu_workpool_submit(NULL, count_job, NULL), EINVAL);
	assert_null(mcu_workpool_free(NULL));
	assert_null(mcu_serial_free(NULL));
}

struct par_hits {
	atomic_int hit[1000];
	atomic_int started; /* blocked jobs running */
};

static void hit_item(void *arg, size_t i)
{
	struct par_hits *h = arg;
	atomic_fetch_add(&h->hit[i], 1);
}

static void parallel_for_runs_each_once(void **state)
{
	static struct par_hits h;
	struct mcu_workpool *pool = NULL;
	(void)state;
	assert_int_equal(mcu_workpool_alloc(&pool, 2, 64), 0);
	for (int round = 0; round < 200; round++) {
		size_t n = 1 + (size_t)round * 5 % 1000;
		for (size_t i = 0; i < 1000; i++)
			atomic_store(&h.hit[i], 0);
		mcu_workpool_for(pool, n, hit_item, &h);
		for (size_t i = 0; i < 1000; i++)
			assert_int_equal(atomic_load(&h.hit[i]), i < n ? 1 : 0);
	}
	pool = mcu_workpool_free(pool);
	/* no pool: the caller runs the loop alone */
	for (size_t i = 0; i < 10; i++)
		atomic_store(&h.hit[i], 0);
	mcu_workpool_for(NULL, 10, hit_item, &h);
	for (size_t i = 0; i < 10; i++)
		assert_int_equal(atomic_load(&h.hit[i]), 1);
}

static void gated_job(void *arg)
{
	struct par_hits *h = arg;
	atomic_fetch_add(&h->started, 1);
	pthread_mutex_lock(&gate);
	pthread_mutex_unlock(&gate);
}

static void parallel_for_with_busy_workers(void **state)
{
	/* every worker is busy: the caller runs the whole loop itself and
	 * the helper that starts later finds nothing left to do */
	static struct par_hits h;
	struct mcu_workpool *pool = NULL;
	(void)state;
	atomic_store(&h.started, 0);
	pthread_mutex_lock(&gate);
	assert_int_equal(mcu_workpool_alloc(&pool, 2, 8), 0);
	assert_int_equal(mcu_workpool_submit(pool, gated_job, &h), 0);
	assert_int_equal(mcu_workpool_submit(pool, gated_job, &h), 0);
	for (int i = 0; i < 2000 && atomic_load(&h.started) < 2; i++)
		usleep(1000);
	assert_int_equal(atomic_load(&h.started), 2);
	for (size_t i = 0; i < 50; i++)
		atomic_store(&h.hit[i], 0);
	mcu_workpool_for(pool, 50, hit_item, &h);
	for (size_t i = 0; i < 50; i++)
		assert_int_equal(atomic_load(&h.hit[i]), 1);
	pthread_mutex_unlock(&gate);
	pool = mcu_workpool_free(pool);
	for (size_t i = 0; i < 50; i++)
		assert_int_equal(atomic_load(&h.hit[i]), 1);
}

static atomic_int prio_seq, prio_done;
static int prio_at[8]; /* published by prio_done */

static void record_job(void *arg)
{
	int *slot = arg;
	*slot = atomic_fetch_add(&prio_seq, 1);
	atomic_fetch_add(&prio_done, 1); /* after the slot is written */
}

static void high_serial_runs_first(void **state)
{
	/* one worker, held: five ordinary queues' jobs wait, then a high
	 * queue's job; once free, the worker runs the high one first */
	static struct par_hits h;
	struct mcu_workpool *pool = NULL;
	struct mcu_serial *low[5] = {NULL}, *high = NULL;
	(void)state;
	atomic_store(&prio_seq, 0);
	atomic_store(&prio_done, 0);
	atomic_store(&h.started, 0);
	pthread_mutex_lock(&gate);
	assert_int_equal(mcu_workpool_alloc(&pool, 1, 8), 0);
	assert_int_equal(mcu_workpool_submit(pool, gated_job, &h), 0);
	for (int i = 0; i < 2000 && atomic_load(&h.started) < 1; i++)
		usleep(1000);
	for (int i = 0; i < 5; i++) {
		assert_int_equal(mcu_serial_alloc(&low[i], pool, 2), 0);
		assert_int_equal(mcu_serial_submit(low[i], record_job,
		                                   &prio_at[i]), 0);
	}
	assert_int_equal(mcu_serial_alloc(&high, pool, 2), 0);
	mcu_serial_set_high(high);
	assert_int_equal(mcu_serial_submit(high, record_job, &prio_at[5]), 0);
	pthread_mutex_unlock(&gate);
	for (int i = 0; i < 2000 && atomic_load(&prio_done) < 6; i++)
		usleep(1000);
	assert_int_equal(atomic_load(&prio_done), 6);
	assert_int_equal(prio_at[5], 0);
	for (int i = 0; i < 5; i++)
		assert_int_equal(prio_at[i], i + 1);
	for (int i = 0; i < 5; i++)
		low[i] = mcu_serial_free(low[i]);
	high = mcu_serial_free(high);
	pool = mcu_workpool_free(pool);
}

/* A parallel loop's helper stops for a waiting tick (a high serial
   queue's job) between its items, instead of making it wait for the
   whole loop: the other worker is held, so only the helper's worker can
   run the tick. */
static atomic_int yield_items_done, yield_tick_saw = -1;

static void slow_item(void *arg, size_t i)
{
	(void)arg;
	(void)i;
	usleep(20000);
	atomic_fetch_add(&yield_items_done, 1);
}

static void tick_job(void *arg)
{
	(void)arg;
	atomic_store(&yield_tick_saw, atomic_load(&yield_items_done));
}

struct loop_arg {
	struct mcu_workpool *pool;
	struct mcu_serial *tick;
};

static void *submit_tick_later(void *arg)
{
	struct loop_arg *a = arg;
	while (atomic_load(&yield_items_done) < 1)
		usleep(1000);
	assert_int_equal(mcu_serial_submit(a->tick, tick_job, NULL), 0);
	return NULL;
}

static void helper_yields_to_tick(void **state)
{
	static struct par_hits h;
	struct mcu_workpool *pool = NULL;
	struct mcu_serial *tick = NULL;
	pthread_t t;
	(void)state;
	atomic_store(&yield_items_done, 0);
	atomic_store(&yield_tick_saw, -1);
	atomic_store(&h.started, 0);
	pthread_mutex_lock(&gate);
	assert_int_equal(mcu_workpool_alloc(&pool, 2, 8), 0);
	assert_int_equal(mcu_workpool_submit(pool, gated_job, &h), 0);
	for (int i = 0; i < 2000 && atomic_load(&h.started) < 1; i++)
		usleep(1000);
	assert_int_equal(atomic_load(&h.started), 1);
	assert_int_equal(mcu_serial_alloc(&tick, pool, 2), 0);
	mcu_serial_set_high(tick);
	struct loop_arg a = {pool, tick};
	assert_int_equal(pthread_create(&t, NULL, submit_tick_later, &a), 0);
	mcu_workpool_for(pool, 12, slow_item, NULL);
	pthread_join(t, NULL);
	assert_int_equal(atomic_load(&yield_items_done), 12);
	for (int i = 0; i < 2000 && atomic_load(&yield_tick_saw) < 0; i++)
		usleep(1000);
	/* the tick ran about one item after it was queued, while half the
	 * loop was still to do (without the yield: after 11 of 12) */
	assert_true(atomic_load(&yield_tick_saw) >= 1);
	assert_true(atomic_load(&yield_tick_saw) <= 6);
	pthread_mutex_unlock(&gate);
	tick = mcu_serial_free(tick);
	pool = mcu_workpool_free(pool);
}

/* A job of 30 ms or more is remembered with its function and argument
   once it ended, and listed as running while it runs; a short job is
   not. */
static atomic_int slow_release;

static void slow_job(void *arg)
{
	(void)arg;
	while (!atomic_load(&slow_release))
		usleep(1000);
}

static void short_job(void *arg)
{
	(void)arg;
}

static int64_t mono(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void long_jobs_named(void **state)
{
	struct mcu_workpool *pool = NULL;
	struct mcu_workpool_job out[8];
	int tag;
	(void)state;
	atomic_store(&slow_release, 0);
	assert_int_equal(mcu_workpool_alloc(&pool, 2, 16), 0);
	int64_t t0 = mono();
	assert_int_equal(mcu_workpool_submit(pool, short_job, NULL), 0);
	assert_int_equal(mcu_workpool_submit(pool, slow_job, &tag), 0);
	/* running, started before now (a loaded machine starts it late) */
	size_t n = 0;
	for (int i = 0; i < 400 && n == 0; i++) {
		usleep(5000);
		n = mcu_workpool_long_jobs(pool, mono(), out, 8);
	}
	assert_int_equal(n, 1);
	assert_ptr_equal(out[0].fn, slow_job);
	assert_ptr_equal(out[0].arg, &tag);
	assert_int_equal(out[0].end_ns, 0);
	atomic_store(&slow_release, 1);
	pool = mcu_workpool_free(pool);
	assert_null(pool);
	/* a new pool remembers nothing; the same again, finished */
	atomic_store(&slow_release, 0);
	assert_int_equal(mcu_workpool_alloc(&pool, 2, 16), 0);
	assert_int_equal(mcu_workpool_long_jobs(pool, 0, out, 8), 0);
	assert_int_equal(mcu_workpool_submit(pool, slow_job, &tag), 0);
	for (int i = 0;
	     i < 400 && !mcu_workpool_long_jobs(pool, mono(), out, 8); i++)
		usleep(5000);
	usleep(30000); /* now it runs longer than MCU_WORKPOOL_LONG_NS */
	atomic_store(&slow_release, 1);
	for (int i = 0; i < 200; i++) {
		usleep(5000);
		n = mcu_workpool_long_jobs(pool, t0, out, 8);
		if (n == 1 && out[0].end_ns)
			break;
	}
	assert_int_equal(n, 1);
	assert_ptr_equal(out[0].fn, slow_job);
	assert_true(out[0].end_ns - out[0].start_ns >= MCU_WORKPOOL_LONG_NS);
	/* ended before `since`: not listed */
	assert_int_equal(mcu_workpool_long_jobs(pool, mono(), out, 8), 0);
	assert_int_equal(mcu_workpool_long_jobs(NULL, 0, out, 8), 0);
	pool = mcu_workpool_free(pool);
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(all_jobs_run),
	cmocka_unit_test(serial_keeps_order_and_exclusion),
	cmocka_unit_test(full_queue_refuses),
	cmocka_unit_test(bad_arguments),
	cmocka_unit_test(parallel_for_runs_each_once),
	cmocka_unit_test(parallel_for_with_busy_workers),
	cmocka_unit_test(high_serial_runs_first),
	cmocka_unit_test(long_jobs_named),
	cmocka_unit_test(helper_yields_to_tick),
};
MCU_TEST_MAIN(tests, NULL, NULL)
