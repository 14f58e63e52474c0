/* A first end-to-end run: handshake, data both ways, close. */
#include "harness.h"

#define C_ADDR SK_IP(10, 0, 0, 1)
#define S_ADDR SK_IP(10, 0, 0, 2)

static void dump(struct h *h)
{
	for (int i = 0; i < h->npkts; i++) {
		const struct h_pkt *p = &h->pkts[i];
		print_message("%10.6f %d [%s] seq %u ack %u win %u len %u\n", p->t_ns / 1e9, p->from,
			      h_flags(p->tcp.flags), p->tcp.seq, p->tcp.ack, p->tcp.wnd, p->tcp.data_len);
	}
}

static void smoke(void **state)
{
	(void)state;
	struct h *h = h_new();
	int c = h_host(h, "client", C_ADDR, NULL);
	int s = h_host(h, "server", S_ADDR, NULL);
	int lfd = h_listen(h, s, 80, 128);
	int cfd = h_connect(h, c, S_ADDR, 80);
	h_run_for(h, MS(1));
	int afd = sk_accept(h_st(h, s), lfd, NULL, NULL);
	assert_true(afd >= 0);
	assert_int_equal(sk_send(h_st(h, c), cfd, "hello", 5, 0), 5);
	h_run_for(h, MS(1));
	char buf[16];
	assert_int_equal(sk_recv(h_st(h, s), afd, buf, sizeof(buf), 0), 5);
	assert_int_equal(sk_send(h_st(h, s), afd, "world", 5, 0), 5);
	h_run_for(h, MS(100));
	assert_int_equal(sk_recv(h_st(h, c), cfd, buf, sizeof(buf), 0), 5);
	assert_int_equal(sk_close(h_st(h, c), cfd), 0);
	h_run_for(h, MS(1));
	assert_int_equal(sk_recv(h_st(h, s), afd, buf, sizeof(buf), 0), 0);
	assert_int_equal(sk_close(h_st(h, s), afd), 0);
	h_run_for(h, SEC(61));
	dump(h);
	assert_int_equal(h_nsockets(h, c), 0);
	assert_int_equal(h_nsockets(h, s), 1);
	h_free(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = { cmocka_unit_test(smoke) };
	return cmocka_run_group_tests(tests, NULL, NULL);
}
