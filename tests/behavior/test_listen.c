/* Listening: the two queues, overflow, SYN cookies, resets in SYN_RECV,
 * closing a listener (BEHAVIOR.md L1-L6). */
#include <stdlib.h>
#include <string.h>

#include "harness.h"

#define C_ADDR SK_IP(10, 0, 0, 1)
#define S_ADDR SK_IP(10, 0, 0, 2)
#define X_ADDR SK_IP(10, 0, 0, 9)

static struct sk_path delay10 = { .delay_ns = MS(10) };

/* L4: a flood of 100,000 spoofed SYNs fills the SYN queue; the listener
 * answers the rest with cookies and keeps no state for them, so its memory
 * stays flat, and a legitimate client still connects through a cookie.
 * O4: SyncookiesSent/Recv and TCPReqQFullDoCookies count as in Linux;
 * O5: TCP_INFO shows the MSS, window scale and SACK the cookie kept. */
static void syn_flood_with_cookies(void **state)
{
	(void)state;
	struct h *h = h_new();
	int c = h_host(h, "client", C_ADDR, NULL);
	int s = h_host(h, "server", S_ADDR, NULL);
	int x = h_raw(h, "flooder", X_ADDR);
	sk_sim_set_link(h->sim, c, s, &delay10);
	int lfd = h_listen(h, s, 80, 128);
	struct sk_stack *st = h_st(h, s);
	long long mem_before = 0;
	h->no_capture = 1;
	for (uint32_t i = 0; i < 100000; i++) {
		struct h_seg syn = { .src = SK_IP(172, 16, 0, 0) + i, .dst = S_ADDR,
				     .sport = (uint16_t)(1024 + i % 60000), .dport = 80,
				     .seq = i * 7919u, .flags = TCP_SYN, .wnd = 64240,
				     .opts = { .has = TCP_HAS_MSS, .mss = 1460 } };
		h_send(h, x, &syn);
		if (i == 1000) {
			h_run_for(h, 0);
			mem_before = h->mem[s].bytes;
		}
	}
	h_run_for(h, 0);
	h->no_capture = 0;
	/* 129 half-open connections held (backlog + 1, as Linux); every other SYN got a cookie. */
	assert_int_equal(sk_counter(st, SK_MIB_SyncookiesSent), 100000 - 129);
	assert_int_equal(sk_counter(st, SK_MIB_TCPReqQFullDoCookies), 100000 - 129);
	assert_true(h->mem[s].bytes - mem_before < 4096); /* flat: no state per cookie */
	int cfd = h_connect(h, c, S_ADDR, 80);
	h_run_for(h, MS(30));
	assert_int_equal(h_state(h, c, cfd), SK_TCP_ESTABLISHED);
	int afd = sk_accept(st, lfd, NULL, NULL);
	assert_true(afd >= 0);
	assert_int_equal(sk_counter(st, SK_MIB_SyncookiesRecv), 1);
	/* MSS 1460 and the options survived the cookie (timestamps on). */
	struct tcp_info ti;
	socklen_t len = sizeof(ti);
	assert_int_equal(sk_getsockopt(st, afd, IPPROTO_TCP, TCP_INFO, &ti, &len), 0);
	assert_int_equal(ti.tcpi_snd_mss, 1448);
	assert_int_equal(ti.tcpi_snd_wscale, 7);
	assert_true(ti.tcpi_options & TCPI_OPT_SACK);
	assert_int_equal(sk_send(h_st(h, c), cfd, "ping", 4, 0), 4);
	h_run_for(h, MS(20));
	char buf[8];
	assert_int_equal(sk_recv(st, afd, buf, sizeof(buf), 0), 4);
	h_free(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(syn_flood_with_cookies),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
