/* Give-up timings with Linux's arithmetic, exact in virtual time:
 * SYN retransmissions (H5), data retransmissions after a silent crash
 * (A1), TCP_USER_TIMEOUT (A8), keepalive (A7). */
#include "harness.h"

#define C_ADDR SK_IP(10, 0, 0, 1)
#define S_ADDR SK_IP(10, 0, 0, 2)
#define DEAD_ADDR SK_IP(10, 0, 0, 99)

static int so_error(struct h *h, int host, int fd)
{
	int err = -1;
	socklen_t len = sizeof(err);
	assert_int_equal(sk_getsockopt(h_st(h, host), fd, SOL_SOCKET, SO_ERROR, &err, &len), 0);
	return err;
}

/* Runs until `host`'s fd leaves `state`, returning the time it did. */
static void expect_syns(struct h *h, int c, const uint64_t *at_s, int n, uint32_t isn)
{
	for (int i = 0; i < n; i++) {
		const struct h_pkt *p = h_next(h);
		h_expect(p, SEC(at_s[i]), c, "S", isn, 0, 0);
	}
}

static int connect_dead(struct h *h, int c, uint16_t port)
{
	struct sk_stack *st = h_st(h, c);
	int fd = sk_socket(st, AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port),
				 .sin_addr.s_addr = htonl(DEAD_ADDR) };
	assert_int_equal(sk_connect(st, fd, (struct sockaddr *)&a, sizeof(a)), -EINPROGRESS);
	return fd;
}

/* Runs to `end_s` and checks that the SYN went out at exactly `at_s`
 * (same ISN every time) and that connect failed with ETIMEDOUT at
 * `end_s`, not a nanosecond before. */
static void expect_syn_schedule(struct h *h, int c, int fd, const uint64_t *at_s, int n,
				uint64_t end_s)
{
	h_run_until(h, SEC(end_s) - 1);
	uint32_t isn = h->pkts[h->next_pkt].tcp.seq;
	expect_syns(h, c, at_s, n, isn);
	h_no_more(h);
	assert_int_equal(h_state(h, c, fd), SK_TCP_SYN_SENT);
	h_run_until(h, SEC(end_s));
	assert_int_equal(h_state(h, c, fd), SK_TCP_CLOSE);
	assert_int_equal(so_error(h, c, fd), ETIMEDOUT);
	h_no_more(h);
}

/* H5, Linux 6.x defaults (measured on a 6.18 kernel): the first
 * tcp_syn_linear_timeouts = 4 resends keep the 1 s RTO, then it doubles:
 * SYNs at 0, 1, 2, 3, 4, 5, 7, 11, 19, 35, 67 s, and ETIMEDOUT at 131 s
 * (tcp_syn_retries 6 + 4 resends). Counters as Linux counts them (O4). */
static void h5_syn_retries_default(void **state)
{
	(void)state;
	struct h *h = h_new();
	int c = h_host(h, "client", C_ADDR, NULL);
	int fd = connect_dead(h, c, 80);
	static const uint64_t at[] = { 0, 1, 2, 3, 4, 5, 7, 11, 19, 35, 67 };
	expect_syn_schedule(h, c, fd, at, 11, 131);
	struct sk_stack *st = h_st(h, c);
	assert_int_equal(sk_counter(st, SK_MIB_RetransSegs), 10);
	assert_int_equal(sk_counter(st, SK_MIB_TCPTimeouts), 11);
	assert_int_equal(sk_counter(st, SK_MIB_AttemptFails), 1);
	assert_int_equal(sk_counter(st, SK_MIB_TCPAbortOnTimeout), 1);
	h_free(h);
}

/* H5 as the founding article shows it: with tcp_syn_linear_timeouts = 0
 * the RTO doubles from the start, SYNs at 0, 1, 3, 7, 15, 31, 63 s and
 * ETIMEDOUT at 127 s; with tcp_syn_retries = 5 as well, at 63 s. */
static void h5_syn_retries_classic(void **state)
{
	(void)state;
	static const char *const knobs6[] = { "tcp_syn_linear_timeouts=0", NULL };
	static const char *const knobs5[] = { "tcp_syn_linear_timeouts=0", "tcp_syn_retries=5", NULL };
	static const uint64_t at[] = { 0, 1, 3, 7, 15, 31, 63 };
	struct h *h = h_new();
	int c = h_host(h, "client", C_ADDR, knobs6);
	int fd = connect_dead(h, c, 80);
	expect_syn_schedule(h, c, fd, at, 7, 127);
	h_free(h);
	h = h_new();
	c = h_host(h, "client", C_ADDR, knobs5);
	fd = connect_dead(h, c, 80);
	expect_syn_schedule(h, c, fd, at, 6, 63);
	h_free(h);
}

/* H5 per socket: TCP_SYNCNT = 2 ends the attempt when two doublings of
 * the 1 s RTO have passed (7 s), though the linear resends have not run
 * out: SYNs at 0, 1, 2, 3, 4, 5 s (as measured on Linux 6.18); and
 * tcp_syn_retries = 5 gives up at 67 s, the first timer past 63 s. */
static void h5_syn_retries_knob_and_syncnt(void **state)
{
	(void)state;
	static const char *const knobs[] = { "tcp_syn_retries=5", NULL };
	struct h *h = h_new();
	int c = h_host(h, "client", C_ADDR, knobs);
	int fd = connect_dead(h, c, 80);
	int fd2 = connect_dead(h, c, 81);
	/* TCP_SYNCNT set after connect() applies from the next timeout on */
	int two = 2;
	assert_int_equal(sk_setsockopt(h_st(h, c), fd2, IPPROTO_TCP, TCP_SYNCNT, &two, sizeof(two)), 0);
	h_run_until(h, SEC(7) - 1);
	assert_int_equal(h_state(h, c, fd2), SK_TCP_SYN_SENT);
	h_run_until(h, SEC(7));
	assert_int_equal(h_state(h, c, fd2), SK_TCP_CLOSE);
	assert_int_equal(so_error(h, c, fd2), ETIMEDOUT);
	h_run_until(h, SEC(67) - 1);
	assert_int_equal(h_state(h, c, fd), SK_TCP_SYN_SENT);
	h_run_until(h, SEC(67));
	assert_int_equal(h_state(h, c, fd), SK_TCP_CLOSE);
	assert_int_equal(so_error(h, c, fd), ETIMEDOUT);
	h_free(h);
}

/* With SACK in use, Linux's first retransmission of a lone segment is a
 * tail loss probe (RFC 8985), which synack does not send yet; these tests
 * turn SACK off on the sender so that the RTO timer alone is timed, as
 * Linux then times it. */
static const char *const no_sack[] = { "tcp_sack=0", NULL };

/* Establishes client -> server with no delay and returns the fds. */
static void connect_pair(struct h *h, int c, int s, int *cfd, int *afd)
{
	int lfd = h_listen(h, s, 80, 16);
	*cfd = h_connect(h, c, S_ADDR, 80);
	h_run_for(h, MS(1));
	*afd = sk_accept(h_st(h, s), lfd, NULL, NULL);
	assert_true(*afd >= 0);
	h->next_pkt = h->npkts;
}

/* A1: the peer crashes silently; our next write is retransmitted with
 * exponential backoff from the RTO up to RTO_max 120 s, and the socket
 * fails with ETIMEDOUT once tcp_retries2 = 15 worth of backoff (924.6 s
 * from RTO_min) has passed since the first retransmission. As on Linux
 * 6.x at HZ=1000: the RTO after a near-zero RTT is 201 ms (200 ms plus
 * the RTT, rounded up to a jiffy), so the 15th retransmission goes at
 * 805.623 s and the give-up comes at 925.623 s. */
static void a1_crash_retransmits_until_924s(void **state)
{
	(void)state;
	struct h *h = h_new();
	int c = h_host(h, "client", C_ADDR, no_sack);
	int s = h_host(h, "server", S_ADDR, NULL);
	int cfd, afd;
	connect_pair(h, c, s, &cfd, &afd);
	h_run_until(h, SEC(10));
	assert_int_equal(sk_sim_crash(h->sim, s), 0);
	assert_int_equal(sk_send(h_st(h, c), cfd, "x", 1, 0), 1);
	const struct h_pkt *p = h_next(h);
	h_expect(p, SEC(10), c, "P.", p->tcp.seq, p->tcp.ack, 1);
	uint32_t seq = p->tcp.seq;
	uint64_t t = SEC(10), rto = MS(201);
	h_run_until(h, SEC(10) + MS(925623) - 1);
	for (int i = 0; i < 15; i++) {
		t += rto;
		h_expect(h_next(h), t, c, "P.", seq, p->tcp.ack, 1);
		rto = rto * 2 > SEC(120) ? SEC(120) : rto * 2;
	}
	assert_true(t + rto == SEC(10) + MS(925623));
	h_no_more(h);
	assert_int_equal(h_state(h, c, cfd), SK_TCP_ESTABLISHED);
	h_run_until(h, SEC(10) + MS(925623));
	assert_int_equal(h_state(h, c, cfd), SK_TCP_CLOSE);
	char b;
	assert_int_equal(sk_recv(h_st(h, c), cfd, &b, 1, 0), -ETIMEDOUT);
	assert_int_equal(sk_send(h_st(h, c), cfd, "x", 1, 0), -EPIPE);
	assert_int_equal(sk_counter(h_st(h, c), SK_MIB_TCPAbortOnTimeout), 1);
	assert_int_equal(sk_counter(h_st(h, c), SK_MIB_RetransSegs), 15);
	h_no_more(h);
	h_free(h);
}

/* A8: TCP_USER_TIMEOUT of 5 s bounds the retransmissions: counted, as
 * Linux 6.x does, from the first retransmission (0.201 s), with the RTO
 * clamped to the time left, so the socket fails at exactly 5.201 s. */
static void a8_user_timeout(void **state)
{
	(void)state;
	struct h *h = h_new();
	int c = h_host(h, "client", C_ADDR, no_sack);
	int s = h_host(h, "server", S_ADDR, NULL);
	int cfd, afd;
	connect_pair(h, c, s, &cfd, &afd);
	int ut = 5000;
	assert_int_equal(sk_setsockopt(h_st(h, c), cfd, IPPROTO_TCP, TCP_USER_TIMEOUT, &ut, sizeof(ut)), 0);
	sk_sim_crash(h->sim, s);
	assert_int_equal(sk_send(h_st(h, c), cfd, "x", 1, 0), 1);
	uint64_t t0 = sk_sim_now(h->sim);
	h_run_until(h, t0 + MS(5201) - 1);
	assert_int_equal(h_state(h, c, cfd), SK_TCP_ESTABLISHED);
	h_run_until(h, t0 + MS(5201));
	assert_int_equal(h_state(h, c, cfd), SK_TCP_CLOSE);
	assert_int_equal(so_error(h, c, cfd), ETIMEDOUT);
	/* sent at 0, then 0.201, 0.603, 1.407, 3.015 s; the next (6.231 s)
	 * is clamped to the 5.201 s deadline, where the socket gives up. */
	static const uint64_t at_ms[] = { 0, 201, 603, 1407, 3015 };
	for (int i = 0; i < 5; i++)
		h_expect(h_next(h), t0 + MS(at_ms[i]), c, "P.", h->pkts[h->next_pkt - 1].tcp.seq,
			 h->pkts[h->next_pkt - 1].tcp.ack, 1);
	h_no_more(h);
	h_free(h);
}

/* A7: keepalive with TCP_KEEPIDLE 10, TCP_KEEPINTVL 5, TCP_KEEPCNT 3: after
 * 10 s idle, probes (seq = SND.UNA - 1, no data) every 5 s; a live peer
 * answers each with an ACK and the connection stays; a crashed peer
 * leaves 3 probes unanswered and the socket fails with ETIMEDOUT at
 * 10 + 3 x 5 = 25 s after the last traffic, sending a RST as Linux does. */
static void a7_keepalive_dead_peer(void **state)
{
	(void)state;
	struct h *h = h_new();
	int c = h_host(h, "client", C_ADDR, NULL);
	int s = h_host(h, "server", S_ADDR, NULL);
	int cfd, afd;
	connect_pair(h, c, s, &cfd, &afd);
	struct sk_stack *st = h_st(h, c);
	int one = 1, idle = 10, intvl = 5, cnt = 3;
	assert_int_equal(sk_setsockopt(st, cfd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one)), 0);
	assert_int_equal(sk_setsockopt(st, cfd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof(idle)), 0);
	assert_int_equal(sk_setsockopt(st, cfd, IPPROTO_TCP, TCP_KEEPINTVL, &intvl, sizeof(intvl)), 0);
	assert_int_equal(sk_setsockopt(st, cfd, IPPROTO_TCP, TCP_KEEPCNT, &cnt, sizeof(cnt)), 0);
	uint64_t t0 = 0; /* the handshake's last segment came at 0 */
	/* a live peer: the first probe at 10 s is answered */
	h_run_until(h, t0 + SEC(10));
	const struct h_pkt *probe = h_next(h);
	h_expect(probe, t0 + SEC(10), c, ".", probe->tcp.seq, probe->tcp.ack, 0);
	const struct h_pkt *ack = h_next(h);
	h_expect(ack, t0 + SEC(10), s, ".", ack->tcp.seq, ack->tcp.ack, 0);
	assert_int_equal(ack->tcp.ack, probe->tcp.seq + 1);
	assert_int_equal(sk_counter(st, SK_MIB_TCPKeepAlive), 1);
	/* then the peer dies: probes at 20, 25, 30 s go unanswered */
	sk_sim_crash(h->sim, s);
	uint64_t t1 = t0 + SEC(10);
	h_run_until(h, t1 + SEC(25) - 1);
	for (int i = 0; i < 3; i++)
		h_expect(h_next(h), t1 + SEC(10) + SEC(5) * (uint64_t)i, c, ".", probe->tcp.seq,
			 probe->tcp.ack, 0);
	h_no_more(h);
	assert_int_equal(h_state(h, c, cfd), SK_TCP_ESTABLISHED);
	h_run_until(h, t1 + SEC(25));
	h_expect(h_next(h), t1 + SEC(25), c, "R.", probe->tcp.seq + 1, probe->tcp.ack, 0);
	assert_int_equal(h_state(h, c, cfd), SK_TCP_CLOSE);
	assert_int_equal(so_error(h, c, cfd), ETIMEDOUT);
	assert_int_equal(sk_counter(st, SK_MIB_TCPKeepAlive), 4);
	h_free(h);
}

/* A7 with the host's knobs instead of socket options: tcp_keepalive_time
 * 20 s, tcp_keepalive_intvl 3 s, tcp_keepalive_probes 2: probes at 20 and
 * 23 s after the last segment, and at 26 s the connection is reset and
 * fails with ETIMEDOUT. */
static void a7_keepalive_sysctl_knobs(void **state)
{
	(void)state;
	static const char *const knobs[] = { "tcp_keepalive_time=20", "tcp_keepalive_intvl=3",
					     "tcp_keepalive_probes=2", NULL };
	struct h *h = h_new();
	int c = h_host(h, "client", C_ADDR, knobs);
	int s = h_host(h, "server", S_ADDR, NULL);
	int cfd, afd;
	connect_pair(h, c, s, &cfd, &afd);
	int one = 1;
	assert_int_equal(sk_setsockopt(h_st(h, c), cfd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one)), 0);
	int v;
	socklen_t len = sizeof(v);
	assert_int_equal(sk_getsockopt(h_st(h, c), cfd, IPPROTO_TCP, TCP_KEEPIDLE, &v, &len), 0);
	assert_int_equal(v, 20);
	sk_sim_crash(h->sim, s);
	h_run_until(h, SEC(26) - 1);
	const struct h_pkt *p = h_next(h);
	h_expect(p, SEC(20), c, ".", p->tcp.seq, p->tcp.ack, 0);
	h_expect(h_next(h), SEC(23), c, ".", p->tcp.seq, p->tcp.ack, 0);
	h_no_more(h);
	assert_int_equal(h_state(h, c, cfd), SK_TCP_ESTABLISHED);
	h_run_until(h, SEC(26));
	h_expect(h_next(h), SEC(26), c, "R.", p->tcp.seq + 1, p->tcp.ack, 0);
	assert_int_equal(so_error(h, c, cfd), ETIMEDOUT);
	assert_int_equal(sk_counter(h_st(h, c), SK_MIB_TCPKeepAlive), 2);
	h_free(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(h5_syn_retries_default),
		cmocka_unit_test(h5_syn_retries_classic),
		cmocka_unit_test(h5_syn_retries_knob_and_syncnt),
		cmocka_unit_test(a1_crash_retransmits_until_924s),
		cmocka_unit_test(a8_user_timeout),
		cmocka_unit_test(a7_keepalive_dead_peer),
		cmocka_unit_test(a7_keepalive_sysctl_knobs),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
