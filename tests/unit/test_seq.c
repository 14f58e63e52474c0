/* Sequence-number arithmetic (src/core.h): RFC 9293 §3.4 compares 32-bit
 * sequence numbers modulo 2^32, as the signed difference a - b (Linux's
 * before()/after() in include/net/tcp.h). These helpers sit under every
 * window check of the catalog (H, D, R2, C9): a wrong sign at the wrap
 * would accept old segments or drop new ones. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core.h"

/* Pairs (a, b) with a strictly before b, many of them across the wrap. */
static const uint32_t before_pairs[][2] = {
	{ 0, 1 },
	{ 1, 2 },
	{ 100, 1000 },
	{ 0x7ffffffe, 0x7fffffff },
	{ 0x7fffffff, 0x80000000 },
	{ 0x80000000, 0x80000001 },
	{ 0xfffffffe, 0xffffffff },
	{ 0xffffffff, 0 },          /* the wrap itself */
	{ 0xffffffff, 1 },
	{ 0xfffffff0, 0x10 },
	{ 0xf0000000, 0x0fffffff },
	{ 0x80000001, 0 },          /* 2^31 - 1 apart across the wrap */
	{ 0, 0x7fffffff },          /* 2^31 - 1 apart: the farthest "after" */
	{ 0x12345678, 0x12345678 + 0x7fffffffu },
	{ 0xdeadbeef, 0xdeadbeef + 1 },
};

static void before_and_after(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(before_pairs) / sizeof(before_pairs[0]); i++) {
		uint32_t a = before_pairs[i][0], b = before_pairs[i][1];
		if (!seq_lt(a, b) || !seq_le(a, b) || seq_gt(a, b) || seq_ge(a, b))
			fail_msg("pair %zu: %#x should be before %#x", i, a, b);
		/* and the mirror image */
		if (seq_lt(b, a) || seq_le(b, a) || !seq_gt(b, a) || !seq_ge(b, a))
			fail_msg("pair %zu: %#x should be after %#x", i, b, a);
	}
}

static void equal_values(void **state)
{
	(void)state;
	static const uint32_t v[] = { 0, 1, 0x7fffffff, 0x80000000, 0xffffffff, 0xdeadbeef };
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		assert_false(seq_lt(v[i], v[i]));
		assert_true(seq_le(v[i], v[i]));
		assert_false(seq_gt(v[i], v[i]));
		assert_true(seq_ge(v[i], v[i]));
	}
}

/* Exactly 2^31 apart the signed difference is INT32_MIN: each number is
 * "before" the other (Linux's before() behaves the same way), so neither
 * is after. The comparisons must at least be consistent: lt <=> !ge,
 * gt <=> !le. */
static void half_space_apart(void **state)
{
	(void)state;
	static const uint32_t a[] = { 0, 1, 0x40000000, 0x7fffffff, 0xffffffff };
	for (size_t i = 0; i < sizeof(a) / sizeof(a[0]); i++) {
		uint32_t x = a[i], y = a[i] + 0x80000000u;
		assert_true(seq_lt(x, y));
		assert_true(seq_lt(y, x));
		assert_false(seq_gt(x, y));
		assert_false(seq_gt(y, x));
		assert_true(seq_lt(x, y) == !seq_ge(x, y));
		assert_true(seq_gt(x, y) == !seq_le(x, y));
	}
}

/* Consistency over a sweep of differences around 0, +-2^31 and the wrap. */
static void relations_agree(void **state)
{
	(void)state;
	static const uint32_t bases[] = { 0, 1, 0x7fffffff, 0x80000000, 0xfffffff0, 0xffffffff,
					  0x9e3779b9 };
	static const int64_t deltas[] = { 0, 1, 2, 1000, 65535, 65536, 0x3fffffff, 0x7ffffffe,
					  0x7fffffff, -1, -2, -1000, -65536, -0x7fffffff };
	for (size_t i = 0; i < sizeof(bases) / sizeof(bases[0]); i++)
		for (size_t j = 0; j < sizeof(deltas) / sizeof(deltas[0]); j++) {
			uint32_t a = bases[i], b = a + (uint32_t)deltas[j];
			int64_t d = deltas[j]; /* b - a as a true integer */
			if (seq_lt(a, b) != (d > 0) || seq_le(a, b) != (d >= 0) ||
			    seq_gt(a, b) != (d < 0) || seq_ge(a, b) != (d <= 0))
				fail_msg("a=%#x b=%#x (b-a=%lld): lt %d le %d gt %d ge %d", a, b,
					 (long long)d, seq_lt(a, b), seq_le(a, b), seq_gt(a, b),
					 seq_ge(a, b));
		}
}

/* seq_in(x, a, b): a <= x < b modulo 2^32 (a half-open window such as
 * [RCV.NXT, RCV.NXT + RCV.WND) of RFC 9293 §3.10.7.4). */
static void window_membership(void **state)
{
	(void)state;
	/* a window that does not wrap */
	assert_true(seq_in(100, 100, 200));   /* left edge is in */
	assert_true(seq_in(150, 100, 200));
	assert_true(seq_in(199, 100, 200));
	assert_false(seq_in(200, 100, 200));  /* right edge is out */
	assert_false(seq_in(99, 100, 200));
	assert_false(seq_in(0, 100, 200));
	assert_false(seq_in(0xffffffff, 100, 200));

	/* a window across the wrap: [0xfffffff0, 0x10) */
	assert_true(seq_in(0xfffffff0, 0xfffffff0, 0x10));
	assert_true(seq_in(0xffffffff, 0xfffffff0, 0x10));
	assert_true(seq_in(0, 0xfffffff0, 0x10));
	assert_true(seq_in(0xf, 0xfffffff0, 0x10));
	assert_false(seq_in(0x10, 0xfffffff0, 0x10));
	assert_false(seq_in(0xffffffef, 0xfffffff0, 0x10));
	assert_false(seq_in(0x80000000, 0xfffffff0, 0x10));

	/* an empty window holds nothing, not even its edge */
	assert_false(seq_in(5, 5, 5));
	assert_false(seq_in(0, 0xffffffff, 0xffffffff));
	assert_false(seq_in(6, 5, 5));

	/* a one-byte window holds exactly its left edge */
	assert_true(seq_in(0xffffffff, 0xffffffff, 0));
	assert_false(seq_in(0, 0xffffffff, 0));
	assert_false(seq_in(0xfffffffe, 0xffffffff, 0));

	/* the largest window, 2^32 - 1 numbers: everything but b itself */
	assert_true(seq_in(0x80000000, 0, 0xffffffff));
	assert_true(seq_in(0xfffffffe, 0, 0xffffffff));
	assert_false(seq_in(0xffffffff, 0, 0xffffffff));
	assert_false(seq_in(0, 1, 0));
	assert_true(seq_in(0xffffffff, 1, 0));
	assert_true(seq_in(1, 1, 0));
	assert_false(seq_in(0, 0x12345678, 0));
	assert_true(seq_in(0xffffffff, 0x12345678, 0));
}

/* seq_in agrees with the comparisons for windows shorter than 2^31:
 * x in [a, b) <=> a <= x && x < b. */
static void window_agrees_with_comparisons(void **state)
{
	(void)state;
	static const uint32_t starts[] = { 0, 1, 0x7fffff00, 0xfffff000, 0xffffffff, 0x9e3779b9 };
	static const uint32_t widths[] = { 0, 1, 2, 1460, 65535, 0x10000, 0x40000000, 0x7fffffff };
	static const int64_t offs[] = { -0x40000000, -65536, -2, -1, 0, 1, 2, 1459, 1460, 1461,
					65534, 65535, 65536, 0x3fffffff, 0x40000000, 0x7ffffffe,
					0x7fffffff };
	for (size_t i = 0; i < sizeof(starts) / sizeof(starts[0]); i++)
		for (size_t j = 0; j < sizeof(widths) / sizeof(widths[0]); j++)
			for (size_t k = 0; k < sizeof(offs) / sizeof(offs[0]); k++) {
				uint32_t a = starts[i], b = a + widths[j];
				uint32_t x = a + (uint32_t)offs[k];
				bool want = offs[k] >= 0 && offs[k] < (int64_t)widths[j];
				bool cmp = seq_le(a, x) && seq_lt(x, b);
				if (seq_in(x, a, b) != want || (widths[j] && cmp != want))
					fail_msg("x=%#x a=%#x b=%#x: seq_in %d, want %d, compare %d", x,
						 a, b, seq_in(x, a, b), want, cmp);
			}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(before_and_after),
		cmocka_unit_test(equal_values),
		cmocka_unit_test(half_space_apart),
		cmocka_unit_test(relations_agree),
		cmocka_unit_test(window_membership),
		cmocka_unit_test(window_agrees_with_comparisons),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
