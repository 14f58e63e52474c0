/* Chaos: many connections between two hosts over a path that loses,
 * duplicates, reorders and corrupts packets and now and then fails
 * altogether for a while, driven by random application
 * calls (connect, send, recv, shutdown, close, abort with SO_LINGER 0),
 * seeded so every run is the same. Whatever happens, every byte a reader
 * gets is the byte its writer sent at that offset (D1), nothing crashes
 * or reads out of bounds (ASan), every connection ends, and both hosts
 * give back all their memory. */
#include <stdlib.h>
#include <string.h>

#include "harness.h"

#define C_ADDR SK_IP(10, 0, 0, 1)
#define S_ADDR SK_IP(10, 0, 0, 2)
#define NCONN 40
#define STEPS 50000

struct conn {
	int cfd, afd;              /* -1 once closed */
	uint32_t sent, got;        /* client -> server bytes */
};

static uint64_t rng = 0x243f6a8885a308d3ull;
static uint32_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)rng;
}

/* The byte at `off` of connection `i`'s stream. */
static uint8_t pat(int i, uint32_t off) { return (uint8_t)(off * 31u + (uint32_t)i * 7u + (off >> 9)); }

static void client_send(struct sk_stack *st, struct conn *c, int i)
{
	uint8_t buf[3000];
	uint32_t n = 1 + rnd() % sizeof(buf);
	for (uint32_t k = 0; k < n; k++)
		buf[k] = pat(i, c->sent + k);
	long r = sk_send(st, c->cfd, buf, n, MSG_NOSIGNAL);
	if (r > 0)
		c->sent += (uint32_t)r;
}

static void server_recv(struct sk_stack *st, struct conn *c, int i)
{
	uint8_t buf[4096];
	long r = sk_recv(st, c->afd, buf, sizeof(buf), 0);
	for (long k = 0; k < r; k++)
		assert_int_equal(buf[k], pat(i, c->got + (uint32_t)k)); /* D1: in order, intact */
	if (r > 0)
		c->got += (uint32_t)r;
}

static void random_step(struct h *h, int c_host, int s_host, int lfd, struct conn *cs)
{
	struct sk_stack *cst = h_st(h, c_host), *sst = h_st(h, s_host);
	int i = (int)(rnd() % NCONN);
	struct conn *c = &cs[i];
	switch (rnd() % 10) {
	case 0:
		if (c->cfd < 0 && c->afd < 0) {
			c->cfd = h_connect(h, c_host, S_ADDR, 80);
			c->sent = c->got = 0;
		}
		break;
	case 1: case 2: case 3:
		if (c->cfd >= 0)
			client_send(cst, c, i);
		break;
	case 4: case 5:
		if (c->afd >= 0)
			server_recv(sst, c, i);
		break;
	case 6:
		if (c->cfd >= 0)
			sk_shutdown(cst, c->cfd, (int)(rnd() % 3));
		break;
	case 7:
		if (c->cfd >= 0 && rnd() % 4 == 0) {
			struct linger l = { 1, 0 }; /* an abort, now and then */
			sk_setsockopt(cst, c->cfd, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
		}
		if (c->cfd >= 0) {
			assert_int_equal(sk_close(cst, c->cfd), 0);
			c->cfd = -1;
		}
		break;
	case 8:
		if (c->afd >= 0 && rnd() % 3 == 0) {
			assert_int_equal(sk_close(sst, c->afd), 0);
			c->afd = -1;
		}
		break;
	default: {
		/* accept whatever is waiting, pairing it by the client's port */
		struct sockaddr_in a;
		socklen_t len = sizeof(a);
		int fd = sk_accept(sst, lfd, (struct sockaddr *)&a, &len);
		if (fd < 0)
			break;
		for (int k = 0; k < NCONN; k++) {
			struct sockaddr_in ca;
			socklen_t cl = sizeof(ca);
			if (cs[k].cfd >= 0 && cs[k].afd < 0 &&
			    sk_getsockname(cst, cs[k].cfd, (struct sockaddr *)&ca, &cl) == 0 &&
			    ca.sin_port == a.sin_port) {
				cs[k].afd = fd;
				fd = -1;
				break;
			}
		}
		if (fd >= 0)
			sk_close(sst, fd); /* its client already closed */
	}
	}
}

static void chaos(void **state)
{
	(void)state;
	struct h *h = h_new();
	int c = h_host(h, "client", C_ADDR, NULL);
	int s = h_host(h, "server", S_ADDR, NULL);
	h->no_capture = 1;
	struct sk_path bad = { .delay_ns = MS(5), .jitter_ns = MS(2), .loss = 0.03, .dup = 0.02,
			       .reorder = 0.03, .reorder_ns = MS(7), .corrupt = 0.01 };
	sk_sim_set_link(h->sim, c, s, &bad);
	int lfd = h_listen(h, s, 80, 64);
	struct conn cs[NCONN];
	for (int i = 0; i < NCONN; i++)
		cs[i] = (struct conn){ -1, -1, 0, 0 };
	int down = 0;
	for (int step = 0; step < STEPS; step++) {
		if (rnd() % 1000 == 0) /* now and then the path fails or heals */
			sk_sim_partition(h->sim, c, s, down ^= 1);
		random_step(h, c, s, lfd, cs);
		h_run_for(h, MS(1 + rnd() % 20));
	}
	uint64_t bytes = 0;
	for (int i = 0; i < NCONN; i++)
		bytes += cs[i].got;
	print_message("chaos: %llu connections opened, %llu bytes checked, %llu segments retransmitted\n",
		      (unsigned long long)sk_counter(h_st(h, c), SK_MIB_ActiveOpens), (unsigned long long)bytes,
		      (unsigned long long)sk_counter(h_st(h, c), SK_MIB_RetransSegs));
	sk_sim_partition(h->sim, c, s, 0);
	/* the end: everyone closes, and every connection must go away */
	for (int i = 0; i < NCONN; i++) {
		if (cs[i].cfd >= 0)
			sk_close(h_st(h, c), cs[i].cfd);
		if (cs[i].afd >= 0)
			sk_close(h_st(h, s), cs[i].afd);
	}
	for (int fd; (fd = sk_accept(h_st(h, s), lfd, NULL, NULL)) >= 0;)
		sk_close(h_st(h, s), fd);
	assert_int_equal(sk_close(h_st(h, s), lfd), 0);
	h_run_for(h, SEC(1200)); /* orphan retries, FIN_WAIT_2, TIME_WAIT all done */
	assert_int_equal(h_nsockets(h, c), 0);
	assert_int_equal(h_nsockets(h, s), 0);
	assert_true(sk_counter(h_st(h, s), SK_MIB_InCsumErrors) > 0); /* the faults did happen */
	h_free(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = { cmocka_unit_test(chaos) };
	return cmocka_run_group_tests(tests, NULL, NULL);
}
