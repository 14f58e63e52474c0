/* D6: Nagle's algorithm (RFC 1122 §4.2.3.4, with Minshall's change as
 * Linux has it), TCP_NODELAY and TCP_CORK, over a 10 ms path. */
#include "harness.h"

#define PORT 80
#define DELAY MS(10)

/* The next packet from the client carrying data. */
static const struct h_pkt *next_data(struct h *h, int c)
{
	for (;;) {
		const struct h_pkt *p = h_next(h);
		if (p->from == c && p->tcp.data_len)
			return p;
	}
}

/* D6: a second small write waits while the first small segment is
 * unacknowledged, and goes out when its ACK comes back (the peer ACKs the
 * first data at once, in quick-ACK mode: at 50 ms). */
static void d6_nagle_holds_second_small_write(void **state)
{
	(void)state;
	struct h_pair P, *p = &P;
	h_pair_open(p, DELAY, PORT, NULL, NULL);
	struct h *h = p->h;
	struct sk_stack *c = h_st(h, p->c);
	h_run_until(h, MS(30));
	assert_int_equal(sk_send(c, p->cfd, "a", 1, 0), 1);
	h_run_until(h, MS(31));
	assert_int_equal(sk_send(c, p->cfd, "b", 1, 0), 1);
	h_run_until(h, MS(100));
	h_expect(next_data(h, p->c), MS(30), p->c, "P.", p->c0, p->s0, 1);
	h_expect(next_data(h, p->c), MS(50), p->c, "P.", p->c0 + 1, p->s0, 1);
	h_free(h);
}

/* D6: with TCP_NODELAY the second write goes out at once. */
static void d6_nodelay_sends_at_once(void **state)
{
	(void)state;
	struct h_pair P, *p = &P;
	h_pair_open(p, DELAY, PORT, NULL, NULL);
	struct h *h = p->h;
	struct sk_stack *c = h_st(h, p->c);
	int one = 1;
	assert_int_equal(sk_setsockopt(c, p->cfd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)), 0);
	h_run_until(h, MS(30));
	assert_int_equal(sk_send(c, p->cfd, "a", 1, 0), 1);
	h_run_until(h, MS(31));
	assert_int_equal(sk_send(c, p->cfd, "b", 1, 0), 1);
	h_run_until(h, MS(100));
	h_expect(next_data(h, p->c), MS(30), p->c, "P.", p->c0, p->s0, 1);
	h_expect(next_data(h, p->c), MS(31), p->c, "P.", p->c0 + 1, p->s0, 1);
	h_free(h);
}

/* D6: TCP_CORK holds partial segments, even with nothing in flight, and
 * clearing it sends what was held as one segment. */
static void d6_cork_batches_writes(void **state)
{
	(void)state;
	struct h_pair P, *p = &P;
	h_pair_open(p, DELAY, PORT, NULL, NULL);
	struct h *h = p->h;
	struct sk_stack *c = h_st(h, p->c);
	int one = 1, zero = 0;
	assert_int_equal(sk_setsockopt(c, p->cfd, IPPROTO_TCP, TCP_CORK, &one, sizeof(one)), 0);
	h_run_until(h, MS(30));
	assert_int_equal(sk_send(c, p->cfd, "ab", 2, 0), 2);
	assert_int_equal(sk_send(c, p->cfd, "cd", 2, 0), 2);
	h_run_until(h, MS(35));
	h_no_more(h);
	assert_int_equal(sk_setsockopt(c, p->cfd, IPPROTO_TCP, TCP_CORK, &zero, sizeof(zero)), 0);
	h_run_until(h, MS(100));
	h_expect(next_data(h, p->c), MS(35), p->c, "P.", p->c0, p->s0, 4);
	h_free(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(d6_nagle_holds_second_small_write),
		cmocka_unit_test(d6_nodelay_sends_at_once),
		cmocka_unit_test(d6_cork_batches_writes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
