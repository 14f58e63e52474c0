/* A hierarchical timing wheel with exact deadlines.
 *
 * Each timer is an intrusive node that the owner embeds (one per
 * connection). Adding, moving and cancelling a timer are O(1); expiring is
 * O(1) amortised per timer (a timer cascades down at most once per level).
 * Nothing allocates. Timers fire exactly at their deadline in nanoseconds,
 * never early, in deadline order. */
#ifndef SYNACK_WHEEL_H
#define SYNACK_WHEEL_H

#include <stdint.h>

/* Geometry (see wheel.c). A tick is 2^WHEEL_TICK_SHIFT ns (65.536 us);
 * level l has WHEEL_SLOTS slots of 2^(WHEEL_SLOT_BITS * l) ticks each, so
 * level 0 spans 16.8 ms, level 1 4.3 s, level 2 18 min, and the six levels
 * together cover the whole 48-bit tick range: any uint64_t deadline. */
#define WHEEL_TICK_SHIFT 16
#define WHEEL_SLOT_BITS 8
#define WHEEL_SLOTS (1u << WHEEL_SLOT_BITS)
#define WHEEL_LEVELS 6

struct wheel_timer {
	struct wheel_timer *next, **pprev; /* pprev == NULL: not armed */
	uint64_t deadline_ns;
};

/* Private to wheel.c; the tests read it. */
struct wheel {
	uint64_t now_ns;     /* time of the last wheel_expire */
	uint64_t count;      /* armed timers */
	uint64_t tick;       /* the wheel's position, <= now_ns >> WHEEL_TICK_SHIFT */
	struct wheel_timer *due;     /* tick <= .tick, sorted by deadline */
	struct wheel_timer *pending; /* tick <= .tick, unsorted; armed since the
	                              * last wheel_expire, merged into due by it */
	struct wheel_timer *slot[WHEEL_LEVELS][WHEEL_SLOTS];
	uint64_t occupied[WHEEL_LEVELS][WHEEL_SLOTS / 64]; /* bitmap of non-empty slots */
};

void wheel_init(struct wheel *w, uint64_t now_ns);
static inline int wheel_armed(const struct wheel_timer *t) { return t->pprev != 0; }
/* Arms `t` for `deadline_ns` (moving it if already armed). A deadline at or
 * before the wheel's time fires at the next wheel_expire. A timer starts
 * zeroed (not armed); its deadline_ns is read-only while it is armed. */
void wheel_set(struct wheel *w, struct wheel_timer *t, uint64_t deadline_ns);
/* Disarms `t`; harmless if it is not armed. */
void wheel_cancel(struct wheel *w, struct wheel_timer *t);
/* Advances the wheel to `now_ns` (never backwards) and returns one timer
 * whose deadline is <= now_ns, disarmed, earliest first; NULL when none is
 * due. Call it in a loop; the caller may arm timers between calls. Timers
 * with equal deadlines come out in an unspecified (but deterministic) order. */
struct wheel_timer *wheel_expire(struct wheel *w, uint64_t now_ns);
/* A time <= the earliest armed deadline (exact when that timer sits at the
 * lowest level), or UINT64_MAX when nothing is armed. Cost is bounded by
 * the number of levels and slot words, not by the number of timers, except
 * that the lowest-level slot's short list is scanned for its minimum (as
 * are timers armed for the current tick since the last wheel_expire). A
 * timer armed for UINT64_MAX itself cannot be told from none: use count. */
uint64_t wheel_next(const struct wheel *w);

#endif
