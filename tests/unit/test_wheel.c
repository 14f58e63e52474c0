/* Timing wheel: hand-written cases for each promise of wheel.h, then a
 * seeded model check against a plain array of deadlines, with the wheel's
 * internal invariants (wheel.c, I1 and I2) verified after every step. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>
#include <time.h>

#include "stack/wheel.h"

#define NS_MAX (UINT64_MAX - 1) /* the latest deadline the tests arm */

/* Deterministic generator (xorshift64*), so failures reproduce. */
static uint64_t rng_state;
static void rng_seed(uint64_t s) { rng_state = s ? s : 1; }
static uint64_t rng64(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545F4914F6CDD1Dull;
}
static uint64_t rng_below(uint64_t n) { return n ? rng64() % n : 0; }

static uint64_t add_sat(uint64_t a, uint64_t b) { return b > NS_MAX - a ? NS_MAX : a + b; }

/* ---- white-box checks of wheel.c's invariants ---- */

static uint64_t tick_of(uint64_t ns) { return ns >> WHEEL_TICK_SHIFT; }

/* Walks one list: links consistent, returns its length. */
static uint64_t check_list(struct wheel_timer *const *head)
{
	uint64_t n = 0;
	struct wheel_timer *const *pp = head;
	for (const struct wheel_timer *t = *head; t; t = t->next, n++) {
		assert_ptr_equal(t->pprev, pp);
		pp = &t->next;
	}
	return n;
}

/* (I1): a slot holds ticks agreeing with c above its level, with its own
 * digit there, ahead of c's digit; bits match emptiness. (I2): due and
 * pending hold ticks <= c, due sorted. And the count adds up. */
static void check_invariants(const struct wheel *w)
{
	uint64_t c = w->tick, n = 0;

	assert_true(c <= tick_of(w->now_ns));
	n += check_list(&w->due) + check_list(&w->pending);
	for (const struct wheel_timer *t = w->due; t; t = t->next) {
		assert_true(tick_of(t->deadline_ns) <= c);
		if (t->next)
			assert_true(t->deadline_ns <= t->next->deadline_ns);
	}
	for (const struct wheel_timer *t = w->pending; t; t = t->next)
		assert_true(tick_of(t->deadline_ns) <= c);
	for (unsigned l = 0; l < WHEEL_LEVELS; l++) {
		unsigned low = l * WHEEL_SLOT_BITS, high = low + WHEEL_SLOT_BITS;
		for (unsigned s = 0; s < WHEEL_SLOTS; s++) {
			int bit = (int)(w->occupied[l][s / 64] >> (s % 64) & 1);
			assert_int_equal(bit, w->slot[l][s] != NULL);
			if (w->slot[l][s])
				assert_true(s > ((c >> low) & (WHEEL_SLOTS - 1)));
			for (const struct wheel_timer *t = w->slot[l][s]; t; t = t->next) {
				uint64_t e = tick_of(t->deadline_ns);
				assert_true(e > c);
				if (high < 64)
					assert_true(e >> high == c >> high);
				assert_int_equal((e >> low) & (WHEEL_SLOTS - 1), s);
			}
			n += check_list(&w->slot[l][s]);
		}
	}
	assert_int_equal(n, w->count);
}

/* wheel_next is exact when the earliest timer is in due/pending or at
 * level 0, i.e. its tick is <= c or agrees with c above digit 0. */
static int next_is_exact(const struct wheel *w, uint64_t earliest)
{
	uint64_t e = tick_of(earliest);
	return e <= w->tick || e >> WHEEL_SLOT_BITS == w->tick >> WHEEL_SLOT_BITS;
}

/* ---- hand-written cases ---- */

static struct wheel W; /* 12 KiB: keep it off the stack */

static void test_empty(void **state)
{
	(void)state;
	wheel_init(&W, 0);
	assert_int_equal(wheel_next(&W), UINT64_MAX);
	assert_null(wheel_expire(&W, 0));
	assert_null(wheel_expire(&W, 1000000));
	assert_null(wheel_expire(&W, NS_MAX));
	assert_int_equal(W.count, 0);
	assert_int_equal(wheel_next(&W), UINT64_MAX);
	check_invariants(&W);
}

static void test_one_timer(void **state)
{
	struct wheel_timer t = { 0 };
	(void)state;
	wheel_init(&W, 0);
	assert_false(wheel_armed(&t));
	wheel_set(&W, &t, 1000);
	assert_true(wheel_armed(&t));
	assert_int_equal(W.count, 1);
	assert_int_equal(wheel_next(&W), 1000);
	assert_null(wheel_expire(&W, 999));
	assert_ptr_equal(wheel_expire(&W, 1000), &t);
	assert_false(wheel_armed(&t));
	assert_int_equal(W.count, 0);
	assert_null(wheel_expire(&W, 1000));
	assert_int_equal(wheel_next(&W), UINT64_MAX);

	/* One tick plus one ns out: never early by a single ns. */
	uint64_t d = 3000 + (1ull << WHEEL_TICK_SHIFT) + 1;
	wheel_set(&W, &t, d);
	assert_int_equal(wheel_next(&W), d);
	assert_null(wheel_expire(&W, d - 1));
	assert_int_equal(wheel_next(&W), d);
	assert_ptr_equal(wheel_expire(&W, d), &t);
	check_invariants(&W);
}

static void test_past_deadline(void **state)
{
	struct wheel_timer a = { 0 }, b = { 0 }, c = { 0 };
	(void)state;
	wheel_init(&W, 5000000000ull);
	wheel_set(&W, &a, 7);                 /* long past */
	wheel_set(&W, &b, 5000000000ull);     /* exactly now */
	wheel_set(&W, &c, 4999999999ull);     /* just past */
	assert_int_equal(wheel_next(&W), 7);
	assert_ptr_equal(wheel_expire(&W, 5000000000ull), &a);
	assert_ptr_equal(wheel_expire(&W, 5000000000ull), &c);
	/* Armed between calls for before now: comes out next, in order. */
	wheel_set(&W, &a, 4000000000ull);
	assert_ptr_equal(wheel_expire(&W, 5000000000ull), &a);
	assert_ptr_equal(wheel_expire(&W, 5000000000ull), &b);
	assert_null(wheel_expire(&W, 5000000000ull));
	check_invariants(&W);
}

static void test_time_never_backwards(void **state)
{
	struct wheel_timer a = { 0 };
	(void)state;
	wheel_init(&W, 0);
	assert_null(wheel_expire(&W, 1000000000));
	wheel_set(&W, &a, 900000000);
	/* An older now is taken as the wheel's own. */
	assert_ptr_equal(wheel_expire(&W, 5), &a);
	assert_int_equal(W.now_ns, 1000000000);
	wheel_set(&W, &a, 1000000001);
	assert_null(wheel_expire(&W, 0));
	assert_ptr_equal(wheel_expire(&W, 1000000001), &a);
}

static void test_cancel(void **state)
{
	struct wheel_timer t[3] = { { 0 } };
	(void)state;
	wheel_init(&W, 0);
	wheel_cancel(&W, &t[0]); /* never armed: harmless */
	wheel_set(&W, &t[0], 100);
	wheel_set(&W, &t[1], 5000000000ull); /* a higher level */
	wheel_set(&W, &t[2], 5000000000ull);
	wheel_cancel(&W, &t[0]);
	wheel_cancel(&W, &t[0]);
	assert_false(wheel_armed(&t[0]));
	wheel_cancel(&W, &t[1]);
	check_invariants(&W);
	assert_int_equal(W.count, 1);
	assert_true(wheel_next(&W) <= 5000000000ull);
	wheel_cancel(&W, &t[2]);
	check_invariants(&W); /* the slot's bit is cleared with its last timer */
	assert_int_equal(wheel_next(&W), UINT64_MAX);
	assert_null(wheel_expire(&W, NS_MAX));
	assert_int_equal(W.count, 0);
}

static void test_rearm(void **state)
{
	struct wheel_timer a = { 0 }, b = { 0 };
	(void)state;
	wheel_init(&W, 0);
	wheel_set(&W, &a, 100);
	wheel_set(&W, &a, 200);                      /* later */
	assert_int_equal(W.count, 1);
	assert_null(wheel_expire(&W, 150));
	wheel_set(&W, &a, 3000000000ull);            /* much later */
	wheel_set(&W, &b, 2000000000ull);
	wheel_set(&W, &a, 1000000000ull);            /* earlier again */
	wheel_set(&W, &b, 2000000000ull);            /* same deadline again */
	check_invariants(&W);
	assert_ptr_equal(wheel_expire(&W, 2000000000ull), &a);
	/* Re-arm the returned timer, once for later and once for now. */
	wheel_set(&W, &a, 2500000000ull);
	assert_ptr_equal(wheel_expire(&W, 2000000000ull), &b);
	wheel_set(&W, &b, 2000000000ull);
	assert_ptr_equal(wheel_expire(&W, 2000000000ull), &b);
	assert_null(wheel_expire(&W, 2000000000ull));
	assert_true(wheel_next(&W) <= 2500000000ull); /* a is a level up */
	assert_null(wheel_expire(&W, 2499999999ull));
	assert_int_equal(wheel_next(&W), 2500000000ull);
	assert_ptr_equal(wheel_expire(&W, 2600000000ull), &a);
	check_invariants(&W);
}

/* Many timers on one deadline, some a ns either side, armed from far
 * enough away that they cascade: all come out, each once, in order. */
static void test_same_deadline_many(void **state)
{
	enum { N = 20000 };
	static struct wheel_timer t[N];
	static char seen[N];
	const uint64_t d = 7777777777ull;
	(void)state;
	memset(t, 0, sizeof t);
	memset(seen, 0, sizeof seen);
	wheel_init(&W, 0);
	for (int i = 0; i < N; i++)
		wheel_set(&W, &t[i], i % 10 == 0 ? d - 1 : i % 10 == 1 ? d + 1 : d);
	check_invariants(&W);
	assert_true(wheel_next(&W) <= d - 1);
	assert_null(wheel_expire(&W, d - 2));
	uint64_t last = 0;
	int n = 0;
	struct wheel_timer *x;
	while ((x = wheel_expire(&W, d)) != NULL) {
		assert_true(x->deadline_ns >= last && x->deadline_ns <= d);
		last = x->deadline_ns;
		assert_false(seen[x - t]);
		seen[x - t] = 1;
		n++;
	}
	assert_int_equal(n, N - N / 10);
	assert_int_equal(wheel_next(&W), d + 1);
	while (wheel_expire(&W, d + 1))
		n++;
	assert_int_equal(n, N);
	assert_int_equal(W.count, 0);
}

/* Drives `t = wheel_next(); wheel_expire(t)` until empty and checks every
 * timer fires exactly at its deadline, in order, with at most
 * WHEEL_LEVELS - 1 empty turns (cascades) before each. Returns turns. */
static uint64_t drive(struct wheel *w, uint64_t expect_timers)
{
	uint64_t turns = 0, fired = 0, last = 0;
	unsigned empty = 0;

	for (uint64_t t; (t = wheel_next(w)) != UINT64_MAX; turns++) {
		struct wheel_timer *x = wheel_expire(w, t);
		if (!x) {
			assert_true(++empty <= WHEEL_LEVELS - 1);
			continue;
		}
		assert_int_equal(x->deadline_ns, t);
		assert_true(t >= last);
		last = t;
		empty = 0;
		fired++;
	}
	assert_int_equal(fired, expect_timers);
	assert_int_equal(w->count, 0);
	return turns;
}

static void test_far_future(void **state)
{
	struct wheel_timer t[6] = { { 0 } }, *x;
	const uint64_t d[6] = { UINT64_MAX / 2, UINT64_MAX / 2 + 1, NS_MAX, NS_MAX - 1,
				UINT64_MAX / 2 - 1, 1ull << 63 };
	(void)state;
	wheel_init(&W, 0);
	for (int i = 0; i < 6; i++)
		wheel_set(&W, &t[i], d[i]);
	check_invariants(&W);
	assert_true(wheel_next(&W) <= UINT64_MAX / 2 - 1);
	assert_null(wheel_expire(&W, UINT64_MAX / 2 - 2));
	assert_ptr_equal(wheel_expire(&W, UINT64_MAX / 2 - 1), &t[4]);
	assert_null(wheel_expire(&W, UINT64_MAX / 2 - 1));
	assert_true(drive(&W, 5) <= 5 * WHEEL_LEVELS);

	/* Straight to the end of time in one call. */
	wheel_init(&W, 0);
	for (int i = 0; i < 6; i++)
		wheel_set(&W, &t[i], d[i]);
	int n = 0;
	for (uint64_t last = 0; (x = wheel_expire(&W, NS_MAX - 2)) != NULL; n++) {
		assert_true(x->deadline_ns >= last && x->deadline_ns <= NS_MAX - 2);
		last = x->deadline_ns;
	}
	assert_int_equal(n, 4);
	assert_int_equal(W.count, 2);
	assert_ptr_equal(wheel_expire(&W, NS_MAX), &t[3]);
	assert_ptr_equal(wheel_expire(&W, NS_MAX), &t[2]);
	assert_null(wheel_expire(&W, UINT64_MAX));
	check_invariants(&W);

	/* A wheel that starts near the end of time. */
	wheel_init(&W, NS_MAX - 1000000000000ull);
	wheel_set(&W, &t[0], NS_MAX);
	wheel_set(&W, &t[1], NS_MAX - 999999999999ull);
	wheel_set(&W, &t[2], 3); /* long past */
	assert_true(drive(&W, 3) <= 3 * WHEEL_LEVELS);
}

static double seconds(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* 10^15 ns is 1.5e10 ticks: stepping tick by tick would not finish. */
static void test_long_idle_jump(void **state)
{
	struct wheel_timer t[4] = { { 0 } };
	(void)state;
	double t0 = seconds();
	wheel_init(&W, 0);
	wheel_set(&W, &t[0], 1000000000000000ull - 1);
	wheel_set(&W, &t[1], 1000000000000000ull);
	wheel_set(&W, &t[2], 1000000000000000ull + 1);
	wheel_set(&W, &t[3], 3000000000000000ull);
	assert_null(wheel_expire(&W, 999999999999998ull));
	check_invariants(&W);
	assert_ptr_equal(wheel_expire(&W, 1000000000000000ull), &t[0]);
	assert_ptr_equal(wheel_expire(&W, 1000000000000000ull), &t[1]);
	assert_null(wheel_expire(&W, 1000000000000000ull));
	assert_int_equal(wheel_next(&W), 1000000000000001ull);
	assert_ptr_equal(wheel_expire(&W, 2000000000000000ull), &t[2]);
	assert_null(wheel_expire(&W, 2000000000000000ull));
	/* An idle wheel jumps too, and can still take a near timer. */
	wheel_cancel(&W, &t[3]);
	assert_null(wheel_expire(&W, 5000000000000000ull));
	wheel_set(&W, &t[0], 5000000000000007ull);
	assert_int_equal(wheel_next(&W), 5000000000000007ull);
	assert_ptr_equal(wheel_expire(&W, NS_MAX), &t[0]);
	check_invariants(&W);
	assert_true(seconds() - t0 < 0.5);
}

/* wheel_next is exact for a level-0 timer, a slot start higher up. */
static void test_next_bound(void **state)
{
	struct wheel_timer a = { 0 }, b = { 0 };
	const uint64_t tick = 1ull << WHEEL_TICK_SHIFT;
	const uint64_t lvl1 = tick << WHEEL_SLOT_BITS; /* level 0's span */
	(void)state;
	wheel_init(&W, 0);
	wheel_set(&W, &a, 5 * lvl1 + 3 * tick + 17); /* level 1 */
	assert_int_equal(wheel_next(&W), 5 * lvl1);
	wheel_set(&W, &b, 7 * tick + 99);             /* level 0 */
	assert_int_equal(wheel_next(&W), 7 * tick + 99);
	assert_ptr_equal(wheel_expire(&W, 7 * tick + 99), &b);
	assert_int_equal(wheel_next(&W), 5 * lvl1);
	assert_null(wheel_expire(&W, 5 * lvl1));      /* cascades a to level 0 */
	assert_int_equal(wheel_next(&W), 5 * lvl1 + 3 * tick + 17);
	check_invariants(&W);
}

/* ---- model check ---- */

enum { MN = 300 };
static struct wheel_timer mt[MN];
static int ref_armed[MN];
static uint64_t ref_dl[MN];
static uint64_t ref_now;

static int ref_min(uint64_t *m)
{
	int found = 0;
	*m = UINT64_MAX;
	for (int i = 0; i < MN; i++)
		if (ref_armed[i] && ref_dl[i] <= *m) {
			*m = ref_dl[i];
			found = 1;
		}
	return found;
}

static void check_against_ref(void)
{
	uint64_t m, n = 0;
	int any = ref_min(&m);
	uint64_t next = wheel_next(&W);

	for (int i = 0; i < MN; i++) {
		assert_int_equal(wheel_armed(&mt[i]), ref_armed[i]);
		n += (uint64_t)ref_armed[i];
	}
	assert_int_equal(W.count, n);
	if (!any) {
		assert_int_equal(next, UINT64_MAX);
		return;
	}
	assert_true(next <= m);
	if (next_is_exact(&W, m))
		assert_int_equal(next, m);
	check_invariants(&W);
}

/* Deadlines of every kind: past, now, same tick, each level, slot edges,
 * copies of other timers' deadlines, the end of time. */
static uint64_t gen_deadline(void)
{
	uint64_t now = ref_now, r = rng_below(100);
	unsigned sh;

	if (r < 8)
		return now - rng_below(now < 1000000000 ? now + 1 : 1000000000);
	if (r < 12)
		return now;
	if (r < 30)
		return add_sat(now, rng_below(1ull << WHEEL_TICK_SHIFT));
	if (r < 50)
		return add_sat(now, rng_below(1ull << 26));
	if (r < 65)
		return add_sat(now, rng_below(1ull << 34));
	if (r < 72)
		return add_sat(now, rng_below(1ull << 50));
	if (r < 76)
		return add_sat(now, rng64());
	if (r < 80)
		return NS_MAX - rng_below(1ull << 24);
	if (r < 90) { /* a slot edge at some level, give or take a ns */
		sh = WHEEL_TICK_SHIFT + WHEEL_SLOT_BITS * (unsigned)rng_below(4);
		uint64_t edge = add_sat(now, rng_below(1ull << (sh + 2))) >> sh << sh;
		return add_sat(edge, rng_below(3)) - (edge ? rng_below(2) : 0);
	}
	int j = (int)rng_below(MN); /* a tie */
	return ref_dl[j] ? ref_dl[j] : now;
}

static void model_set_or_cancel(void)
{
	int i = (int)rng_below(MN);
	if (rng_below(100) < 70) {
		ref_dl[i] = gen_deadline();
		wheel_set(&W, &mt[i], ref_dl[i]);
		ref_armed[i] = 1;
	} else {
		wheel_cancel(&W, &mt[i]);
		ref_armed[i] = 0;
	}
}

static uint64_t gen_now(void)
{
	uint64_t m, r = rng_below(100), now = ref_now;

	if (r < 25)
		return add_sat(now, rng_below(1ull << WHEEL_TICK_SHIFT));
	if (r < 45)
		return add_sat(now, rng_below(1ull << 28));
	if (r < 60) {
		uint64_t n = wheel_next(&W); /* the driver's choice */
		return n == UINT64_MAX ? now : n;
	}
	if (r < 72)
		return ref_min(&m) ? m : now;
	if (r < 78)
		return ref_min(&m) && m ? m - 1 : now;
	if (r < 85)
		return add_sat(now, rng_below(1ull << 40));
	if (r < 90)
		return now;
	if (r < 95)
		return now - rng_below(now + 1); /* backwards: ignored */
	return add_sat(now, rng_below(1ull << 52));
}

/* One wheel_expire, checked: it returns a timer iff one is due, and then
 * one with the earliest armed deadline. */
static int model_expire_once(uint64_t arg)
{
	uint64_t m;
	int any = ref_min(&m);
	struct wheel_timer *x = wheel_expire(&W, arg);

	if (arg > ref_now)
		ref_now = arg;
	assert_int_equal(W.now_ns, ref_now);
	if (!x) {
		assert_true(!any || m > ref_now);
		return 0;
	}
	int i = (int)(x - mt);
	assert_true(i >= 0 && i < MN);
	assert_true(ref_armed[i]);
	assert_false(wheel_armed(x));
	assert_int_equal(x->deadline_ns, ref_dl[i]);
	assert_int_equal(ref_dl[i], m);
	assert_true(m <= ref_now);
	ref_armed[i] = 0;
	return 1;
}

static void model_run(uint64_t seed, int epochs, int ops)
{
	rng_seed(seed);
	for (int ep = 0; ep < epochs; ep++) {
		uint64_t r = rng_below(4);
		uint64_t base = r == 0 ? 0 : r == 1 ? rng_below(1ull << 40)
			      : r == 2 ? rng64() >> 1 : NS_MAX - rng_below(1ull << 44);
		memset(mt, 0, sizeof mt);
		memset(ref_armed, 0, sizeof ref_armed);
		memset(ref_dl, 0, sizeof ref_dl);
		ref_now = base;
		wheel_init(&W, base);
		for (int op = 0; op < ops; op++) {
			if (rng_below(100) < 55) {
				model_set_or_cancel();
			} else {
				uint64_t now = gen_now();
				/* Drain, arming and cancelling between calls. */
				while (model_expire_once(now)) {
					if (rng_below(100) < 25)
						model_set_or_cancel();
					check_against_ref();
				}
			}
			check_against_ref();
		}
	}
}

static void test_model_random(void **state)
{
	(void)state;
	for (uint64_t seed = 1; seed <= 8; seed++)
		model_run(seed * 0x9E3779B97F4A7C15ull, 6, 2500);
}

/* Many timers, mostly near and some far; the driver loop must meet each
 * deadline exactly, re-arming half of what fires as a TCP stack would. */
static void test_driver_bounded(void **state)
{
	enum { N = 5000 };
	static struct wheel_timer t[N];
	(void)state;
	rng_seed(42);
	for (int round = 0; round < 3; round++) {
		uint64_t base = round == 2 ? NS_MAX - (1ull << 45) : rng_below(1ull << 40);
		uint64_t fired = 0, turns = 0, rearms = 0, last = base;
		unsigned empty = 0;
		memset(t, 0, sizeof t);
		wheel_init(&W, base);
		for (int i = 0; i < N; i++) {
			unsigned bits = 10 + (unsigned)rng_below(round == 1 ? 54 : 35);
			wheel_set(&W, &t[i], add_sat(base, rng_below(1ull << bits)));
		}
		check_invariants(&W);
		for (uint64_t now; (now = wheel_next(&W)) != UINT64_MAX; turns++) {
			struct wheel_timer *x = wheel_expire(&W, now);
			if (!x) {
				assert_true(++empty <= WHEEL_LEVELS - 1);
				continue;
			}
			assert_int_equal(x->deadline_ns, now);
			assert_true(now >= last);
			last = now;
			empty = 0;
			fired++;
			if (rearms < N && rng_below(2)) {
				wheel_set(&W, x, add_sat(now, rng_below(1ull << 30)));
				rearms++;
			}
		}
		assert_int_equal(fired, N + rearms);
		assert_true(turns <= fired * WHEEL_LEVELS);
		check_invariants(&W);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_one_timer),
		cmocka_unit_test(test_past_deadline),
		cmocka_unit_test(test_time_never_backwards),
		cmocka_unit_test(test_cancel),
		cmocka_unit_test(test_rearm),
		cmocka_unit_test(test_same_deadline_many),
		cmocka_unit_test(test_far_future),
		cmocka_unit_test(test_long_idle_jump),
		cmocka_unit_test(test_next_bound),
		cmocka_unit_test(test_model_random),
		cmocka_unit_test(test_driver_bounded),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
