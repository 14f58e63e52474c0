/* Hierarchical timing wheel with exact nanosecond deadlines.
 *
 * The structure is scheme 7 of G. Varghese and T. Lauck, "Hashed and
 * Hierarchical Timing Wheels: Data Structures for the Efficient
 * Implementation of a Timer Facility", SOSP 1987: a stack of wheels whose
 * slots are ever coarser, timers kept in the coarsest wheel that can tell
 * them apart from the present and moved ("cascaded") to finer wheels as
 * time approaches them. Two things are added to the paper's wheel:
 *
 *  - exact deadlines. The paper fires a whole slot at once; a TCP stack
 *    needs "never early" and the ordering of a deterministic simulator, so
 *    here the slot is only the bucket. When the wheel reaches a level-0
 *    slot, its (few) timers are sorted by their exact deadline into `due`.
 *  - skipping empty time. The paper steps one tick at a time; here each
 *    level keeps an occupancy bitmap and the wheel jumps straight to the
 *    next slot that holds anything, so an idle hour costs a few word tests.
 *
 * Time is cut into ticks of 2^WHEEL_TICK_SHIFT ns. Write a tick in base
 * WHEEL_SLOTS: "digit l" of a tick selects the slot at level l. The wheel
 * has a position c (w->tick). A timer with tick e > c sits at the level of
 * the highest digit in which e and c differ, in the slot named by e's
 * digit there. The invariants, kept by every function:
 *
 *  (I1) a timer in slot[l][s] has a tick e whose digits above l equal c's,
 *       whose digit l is s, and s > digit l of c. A slot is non-empty iff
 *       its bit in occupied[l] is set.
 *  (I2) a timer in `due` or `pending` has e <= c; `due` is sorted.
 *
 * What follows from them:
 *  - timers in due/pending are earlier than all at level 0, which are
 *    earlier than all at level 1, and so on (a level-l timer agrees with c
 *    above l and exceeds it at l, a level-(l+1) one exceeds it above l).
 *    Within a level, slot order is time order;
 *  - every timer in slot[l][s] is at or after that slot's start, the tick
 *    made of c's digits above l, then s, then zeros. That is the lower
 *    bound wheel_next returns; at level 0 the slot is one tick and its list
 *    is scanned for the exact minimum;
 *  - the slot of an armed timer is a function of its deadline and c only,
 *    so wheel_cancel can find it (to clear the bit) without storing it.
 *
 * Advancing: the next tick at which any slot must be emptied is the start
 * of the first occupied slot of the lowest occupied level. The wheel jumps
 * there and empties every slot whose start that is: level-0 timers are
 * sorted into `due`, higher ones are placed again relative to the new c,
 * which lands each at a strictly lower level (its digits down to l now
 * agree with c). A timer therefore moves at most WHEEL_LEVELS times.
 *
 * Timers armed for a tick the wheel has already reached go to `pending` in
 * O(1); the next wheel_expire sorts them and merges them into `due`. */
#include "wheel.h"

#include <stddef.h>
#include <string.h>

#define WORDS (WHEEL_SLOTS / 64)

_Static_assert(WHEEL_SLOTS % 64 == 0, "bitmap words must be full");
_Static_assert(WHEEL_TICK_SHIFT < 64, "a tick must be narrower than time");
_Static_assert(WHEEL_SLOT_BITS * WHEEL_LEVELS >= 64 - WHEEL_TICK_SHIFT,
	       "the levels must reach every uint64_t deadline");
_Static_assert(WHEEL_SLOT_BITS * (WHEEL_LEVELS - 1) < 64 - WHEEL_TICK_SHIFT,
	       "no level may lie wholly above the top tick bit");

static inline uint64_t tick_of(uint64_t ns) { return ns >> WHEEL_TICK_SHIFT; }

static inline unsigned digit(uint64_t tick, unsigned l)
{
	return (unsigned)(tick >> (l * WHEEL_SLOT_BITS)) & (WHEEL_SLOTS - 1);
}

/* Where (I1) puts a timer of tick e > c: the highest differing digit. */
static inline void locate(uint64_t e, uint64_t c, unsigned *l, unsigned *s)
{
	*l = (unsigned)(63 - __builtin_clzll(e ^ c)) / WHEEL_SLOT_BITS;
	*s = digit(e, *l);
}

/* First tick of slot s at level l, relative to position c. */
static uint64_t slot_start(uint64_t c, unsigned l, unsigned s)
{
	unsigned low = l * WHEEL_SLOT_BITS, high = low + WHEEL_SLOT_BITS;
	uint64_t above = high >= 64 ? 0 : c >> high << high;
	return above | (uint64_t)s << low;
}

static inline void mark(struct wheel *w, unsigned l, unsigned s)
{
	w->occupied[l][s / 64] |= 1ull << (s % 64);
}
static inline void unmark(struct wheel *w, unsigned l, unsigned s)
{
	w->occupied[l][s / 64] &= ~(1ull << (s % 64));
}
static inline int marked(const struct wheel *w, unsigned l, unsigned s)
{
	return (int)(w->occupied[l][s / 64] >> (s % 64) & 1);
}

/* The lowest occupied level and its first occupied slot. By (I1) every
 * occupied slot lies ahead of c's digit, so the first set bit is the
 * earliest slot. At most WHEEL_LEVELS * WORDS word tests. */
static int first_occupied(const struct wheel *w, unsigned *l, unsigned *s)
{
	for (unsigned lv = 0; lv < WHEEL_LEVELS; lv++)
		for (unsigned i = 0; i < WORDS; i++)
			if (w->occupied[lv][i]) {
				*l = lv;
				*s = i * 64 + (unsigned)__builtin_ctzll(w->occupied[lv][i]);
				return 1;
			}
	return 0;
}

static inline void push(struct wheel_timer **head, struct wheel_timer *t)
{
	t->next = *head;
	if (t->next)
		t->next->pprev = &t->next;
	t->pprev = head;
	*head = t;
}

static inline void unlink_timer(struct wheel_timer *t)
{
	*t->pprev = t->next;
	if (t->next)
		t->next->pprev = t->pprev;
	t->next = NULL;
	t->pprev = NULL;
}

static inline struct wheel_timer *take(struct wheel_timer **head)
{
	struct wheel_timer *list = *head;
	*head = NULL;
	return list;
}

static uint64_t list_min(const struct wheel_timer *t)
{
	uint64_t m = UINT64_MAX;
	for (; t; t = t->next)
		if (t->deadline_ns < m)
			m = t->deadline_ns;
	return m;
}

/* Puts an unlinked timer where (I1)/(I2) say it belongs. O(1). */
static void place(struct wheel *w, struct wheel_timer *t)
{
	uint64_t e = tick_of(t->deadline_ns);
	unsigned l, s;

	if (e <= w->tick) {
		push(&w->pending, t);
		return;
	}
	locate(e, w->tick, &l, &s);
	push(&w->slot[l][s], t);
	mark(w, l, s);
}

/* Merges two deadline-sorted lists, `a` first on ties (so stable). Each
 * node it links gets its pprev, so if both inputs are well linked the
 * result is too, except for the head's pprev, which the caller sets. Only
 * the common prefix is walked: the rest of the longer list is attached. */
static struct wheel_timer *merge(struct wheel_timer *a, struct wheel_timer *b)
{
	struct wheel_timer *head = NULL, **tail = &head;

	while (a && b) {
		struct wheel_timer **from = b->deadline_ns < a->deadline_ns ? &b : &a;
		struct wheel_timer *x = *from;
		*from = x->next;
		x->pprev = tail;
		*tail = x;
		tail = &x->next;
	}
	*tail = a ? a : b;
	if (*tail)
		(*tail)->pprev = tail;
	return head;
}

/* Bottom-up merge sort of a list (its pprevs are ignored and rebuilt):
 * bin[i] holds a sorted run of 2^i nodes, carried like a binary counter.
 * O(n log n) with no recursion and no allocation; it matters when many
 * timers share one tick (a simulator arming them all at the same time),
 * where scanning for the minimum on each expiry would be quadratic. */
static struct wheel_timer *sort(struct wheel_timer *list)
{
	struct wheel_timer *bin[64] = { NULL }, *out = NULL;
	unsigned top = 0, i;

	while (list) {
		struct wheel_timer *run = list;
		list = list->next;
		run->next = NULL;
		for (i = 0; i < 63 && bin[i]; i++) {
			run = merge(bin[i], run);
			bin[i] = NULL;
		}
		bin[i] = run;
		if (i > top)
			top = i;
	}
	for (i = 0; i <= top; i++)
		if (bin[i])
			out = merge(bin[i], out);
	return out;
}

/* Sorts `list` (ticks <= c) into `due`. */
static void absorb(struct wheel *w, struct wheel_timer *list)
{
	w->due = merge(w->due, sort(list));
	if (w->due)
		w->due->pprev = &w->due;
}

/* Moves c to the first tick at which a slot must be emptied and empties
 * every such slot, if that tick is <= target; returns 1. Otherwise nothing
 * lies in (c, target] and c jumps to target; returns 0. Jumping is safe
 * because a timer's slot only changes when c reaches the slot's start.
 * Requires target >= c. */
static int advance(struct wheel *w, uint64_t target)
{
	unsigned l, s;

	if (!first_occupied(w, &l, &s) || slot_start(w->tick, l, s) > target) {
		w->tick = target;
		return 0;
	}
	w->tick = slot_start(w->tick, l, s);
	/* A slot at c's own digit is occupied only if its start is c (any
	 * earlier start would have been found first), so every such slot is
	 * due now. Placing again never lands on c's digit of any level. */
	for (l = 0; l < WHEEL_LEVELS; l++) {
		s = digit(w->tick, l);
		if (!marked(w, l, s))
			continue;
		unmark(w, l, s);
		struct wheel_timer *list = take(&w->slot[l][s]);
		if (l == 0) {
			absorb(w, list);
			continue;
		}
		while (list) {
			struct wheel_timer *t = list;
			list = t->next;
			place(w, t);
		}
	}
	return 1;
}

void wheel_init(struct wheel *w, uint64_t now_ns)
{
	memset(w, 0, sizeof *w);
	w->now_ns = now_ns;
	w->tick = tick_of(now_ns);
}

/* `deadline_ns` must not be written while the timer is armed: cancel
 * finds the slot from it. */
void wheel_set(struct wheel *w, struct wheel_timer *t, uint64_t deadline_ns)
{
	wheel_cancel(w, t);
	t->deadline_ns = deadline_ns;
	place(w, t);
	w->count++;
}

void wheel_cancel(struct wheel *w, struct wheel_timer *t)
{
	uint64_t e = tick_of(t->deadline_ns);
	unsigned l, s;

	if (!t->pprev)
		return;
	unlink_timer(t);
	w->count--;
	if (e <= w->tick)
		return; /* in due or pending: no bitmap */
	locate(e, w->tick, &l, &s);
	if (!w->slot[l][s])
		unmark(w, l, s);
}

/* Each turn either returns, or empties at least one slot, moving each of
 * its timers down a level or into `due`: O(WHEEL_LEVELS) turns per timer
 * over its life, and none for empty time. */
struct wheel_timer *wheel_expire(struct wheel *w, uint64_t now_ns)
{
	if (now_ns < w->now_ns)
		now_ns = w->now_ns;
	w->now_ns = now_ns;
	for (;;) {
		if (w->pending)
			absorb(w, take(&w->pending));
		struct wheel_timer *t = w->due;
		if (t) {
			/* By (I2) and (I1) nothing else is earlier. If t is not
			 * yet due, its tick is both <= c and >= now's tick, so
			 * the wheel is already at now: nothing more to do. */
			if (t->deadline_ns > now_ns)
				return NULL;
			unlink_timer(t);
			w->count--;
			return t;
		}
		if (!advance(w, tick_of(now_ns)))
			return NULL;
	}
}

/* Lower bound, by the ordering that (I1) and (I2) give: if due or pending
 * holds anything it holds the earliest timers, and both are exact (due's
 * head, pending's short list scanned). Else the earliest timer is in the
 * first occupied slot of the lowest occupied level; at level 0 that slot
 * is a single tick and its list is scanned for the exact minimum, higher
 * up the slot's start is returned, which is <= every deadline in it. */
uint64_t wheel_next(const struct wheel *w)
{
	unsigned l, s;

	if (w->due || w->pending) {
		uint64_t m = list_min(w->pending);
		if (w->due && w->due->deadline_ns < m)
			m = w->due->deadline_ns;
		return m;
	}
	if (!first_occupied(w, &l, &s))
		return UINT64_MAX;
	if (l == 0)
		return list_min(w->slot[0][s]);
	return slot_start(w->tick, l, s) << WHEEL_TICK_SHIFT;
}
