/* Resets and the troubleshooting article's anomalies: BEHAVIOR.md R2, R3,
 * A2, A3, A4, A5, A6, A9, and more of A7 (A1, A7 and A8 proper are in
 * test_timeouts.c).
 *
 * Most tests run a client (10.0.0.1) and a server (10.0.0.2, port 80) over a
 * path with a one-way delay, so each segment's virtual time says what caused
 * it. The RFC 5961 tests (R2) forge segments from a raw host playing the
 * client (10.0.0.1:40000, ISN 1000, MSS 1460 and nothing else, so the
 * server's window is an unscaled 64240).
 *
 * Linux reference: every point below was checked on this machine's kernel
 * (6.18, HZ 250) in a private network namespace, against a scripted peer on
 * a TUN device (python3, raw IPv4 on /dev/net/tun) or with python3 sockets
 * on loopback, reading nstat counters from /proc/net/{netstat,snmp}:
 *
 * R2 (tcp_validate_incoming, tcp_send_challenge_ack):
 * - RST with seq = RCV.NXT: connection reset, nothing sent, TcpEstabResets
 *   +1; recv gives ECONNRESET, then 0; send gives EPIPE.
 * - RST elsewhere in the window (up to and including RCV.NXT + window):
 *   challenge ACK [.] seq SND.NXT ack RCV.NXT, TcpExtTCPChallengeACK +1, the
 *   connection stays. One past the right edge, or below RCV.NXT: dropped
 *   silently.
 * - In CLOSE_WAIT a RST at RCV.NXT - 1 (the peer's FIN) resets too
 *   (tcp_reset_check); recv then gives 0 (the FIN came first), send EPIPE.
 * - With SACK, a RST at the end of the right-most SACK block we report
 *   resets; at the end of another block it gets a challenge ACK.
 * - A SYN on an ESTABLISHED connection, in window or not: challenge ACK,
 *   TcpExtTCPSYNChallenge +1, TcpExtTCPChallengeACK +1 and TcpInErrs +1
 *   (tcp_rcv_established passes syn_inerr).
 * - Per connection, challenge ACKs obey the 500 ms tcp_invalid_ratelimit
 *   shared with the ACKs to out-of-window segments: Linux 6.x calls
 *   __tcp_oow_rate_limited first, with no exemption for segments carrying
 *   data (a RST with 10 bytes 100 ms after a challenge ACK got none;
 *   TcpExtTCPACKSkippedChallenge +1).
 * - Host-wide, tcp_challenge_ack_limit (per second). Its default in 6.x is
 *   2147483647, i.e. no limit (`sysctl net.ipv4.tcp_challenge_ack_limit`);
 *   with the limit set to 1 (which Linux's randomisation leaves exact: the
 *   budget is drawn from [half, limit + half - 1] = [1, 1]) a second
 *   connection's in-window RST in the same second got no ACK.
 * - A client that comes back from the same port with a new ISN: the SYN
 *   gets a challenge ACK, the client's RST (seq = that ACK's ack) resets
 *   the old connection, its retransmitted SYN then gets a SYN-ACK (A9).
 * R3 / A5 / A6:
 * - Peer closed (FIN) with nothing unread: recv 0; the first send succeeds;
 *   the peer answers with [R] seq = our ACK field (no ACK flag, window 0);
 *   then send gives EPIPE (SIGPIPE unless MSG_NOSIGNAL: a child process
 *   died of signal 13), recv 0, SO_ERROR 0. The closed socket was an
 *   orphan in FIN_WAIT_2, which Linux keeps as a time-wait socket (ss:
 *   FIN-WAIT-2 timer:(timewait,59sec,0)); its reset counts TcpOutRsts but
 *   not TcpExtTCPAbortOnData.
 * - After a RST in ESTABLISHED: recv gives ECONNRESET then 0, send EPIPE;
 *   or, if send comes first, ECONNRESET then EPIPE.
 * - A FIN received by a socket that has received no data is ACKed by the
 *   delayed-ACK timer armed with ato = 0, i.e. at the next jiffy (3.4 ms at
 *   HZ 250); these tests allow up to 4 ms for it.
 * - A segment to a port with no socket, or an ACK to a listener with no
 *   recent SYN-queue overflow, is answered [R] seq = its ACK field.
 * A3 (tcp_v4_err, tcp_ld_RTO_revert, tcp_write_timeout):
 * - ICMP host unreachable for a SYN: connect fails at once, SO_ERROR 113
 *   (EHOSTUNREACH), no more SYNs.
 * - Once established, ICMP host unreachable is kept as a soft error; each
 *   one about a retransmission undoes one backoff step (RFC 6069), so with
 *   an ICMP for every segment the retransmissions come every base RTO;
 *   the socket gives up when retransmits_timed_out says so and reports
 *   EHOSTUNREACH. With tcp_retries2 = 3 and TCP_RTO_MIN-based budget 3.0 s:
 *   15 retransmissions, TcpRetransSegs 15, TcpExtTCPTimeouts 16,
 *   IcmpInDestUnreachs 16, TcpExtTCPAbortOnTimeout 1.
 * - The budget runs from the first RETRANSMISSION, not from the original
 *   transmission: tcp_retransmit_skb stores retrans_stamp after
 *   __tcp_retransmit_skb has stamped the skb with the retransmission's
 *   time. A silent peer with tcp_retries2 = 3 (RTO 204 ms, tcp_sack = 0):
 *   retransmissions at 0.21, 0.63, 1.46, 3.12 s (four, not three) and
 *   ETIMEDOUT at the fifth timer.
 * - With SACK negotiated, Linux's first retransmission of a lone lost
 *   segment is a tail loss probe (RFC 8985) and the backoff starts one
 *   step later; the A3/A4 tests that time retransmissions turn SACK off
 *   on the sender (tcp_sack = 0) to time the RFC 6298 timer alone (see
 *   test_flow.c for the probe).
 * A7:
 * - A keepalive probe to a rebooted peer is answered [R] seq = RCV.NXT:
 *   ECONNRESET.
 * - The idle time restarts with every acceptable segment (rcv_tstamp in
 *   tcp_ack, lrcvtime on data); an out-of-window segment (answered with a
 *   duplicate ACK) does not restart it: probe at 2.01 s with TCP_KEEPIDLE
 *   2 whether or not an old segment came at 1 s; a valid ACK at 1 s moved
 *   it to 3.0 s.
 */
#include "harness.h"

#include <limits.h>
#include <string.h>

#define C_ADDR SK_IP(10, 0, 0, 1)
#define S_ADDR SK_IP(10, 0, 0, 2)
#define X_ADDR SK_IP(10, 0, 0, 9)
#define RT_ADDR SK_IP(10, 0, 0, 254)
#define PORT 80
#define RISS 1000u /* the raw client's ISN */

static uint64_t ctr(struct h *h, int host, enum sk_counter c)
{
	return sk_counter(h_st(h, host), c);
}

static int so_error(struct h *h, int host, int fd)
{
	int err = -1;
	socklen_t len = sizeof(err);
	assert_int_equal(sk_getsockopt(h_st(h, host), fd, SOL_SOCKET, SO_ERROR, &err, &len), 0);
	return err;
}

static int sigpipes(const struct h *h, int host)
{
	int n = 0;
	for (int i = 0; i < h->nevents; i++)
		if (h->events[i].host == host && h->events[i].ev.kind == SK_EV_SIGPIPE)
			n++;
	return n;
}

/* The time of the logged state change old -> new on (host, lport, rport). */
static uint64_t when(const struct h *h, int host, uint16_t lport, uint16_t rport, int old_state,
		     int new_state)
{
	for (int i = 0; i < h->nevents; i++) {
		const struct h_event *e = &h->events[i];
		if (e->host == host && e->ev.kind == SK_EV_STATE && e->ev.lport == lport &&
		    e->ev.rport == rport && e->ev.old_state == old_state && e->ev.new_state == new_state)
			return e->t_ns;
	}
	fail_msg("host %d %u->%u never went %s -> %s", host, lport, rport, sk_state_name(old_state),
		 sk_state_name(new_state));
	return 0;
}

/* A packet sent between t_lo and t_hi (Linux's "next jiffy" timers). */
static void expect_between(const struct h_pkt *p, uint64_t t_lo, uint64_t t_hi, int from,
			   const char *flags, uint32_t seq, uint32_t ack, uint32_t len)
{
	if (p->t_ns < t_lo || p->t_ns > t_hi)
		fail_msg("packet [%s] seq %u at %llu ns, want between %llu and %llu ns",
			 h_flags(p->tcp.flags), p->tcp.seq, (unsigned long long)p->t_ns,
			 (unsigned long long)t_lo, (unsigned long long)t_hi);
	h_expect(p, p->t_ns, from, flags, seq, ack, len);
}

/* An ICMP destination unreachable with `code` made by the router at t. */
static void expect_icmp(struct h *h, uint64_t t, int code)
{
	const struct h_pkt *p = h_next(h);
	if (p->is_tcp || p->from != -1 || p->ip.proto != 1 || p->t_ns != t ||
	    p->raw[p->ip.hdr_len] != ICMP_DEST_UNREACH || p->raw[p->ip.hdr_len + 1] != code)
		fail_msg("want ICMP unreachable code %d from the router at %llu ns; got proto %d from %d "
			 "at %llu ns",
			 code, (unsigned long long)t, p->ip.proto, p->from, (unsigned long long)p->t_ns);
}

/* ---- a client and a server over a path with a one-way delay ---- */

struct pair {
	struct h *h;
	int c, s;         /* host numbers */
	int cfd, afd, lfd;
	uint16_t cport;
	uint32_t c0, s0;  /* first sequence number after each SYN */
	uint64_t d;       /* one-way delay */
};

#define CST(p) h_st((p)->h, (p)->c)
#define SST(p) h_st((p)->h, (p)->s)

/* SYN at 0, SYN-ACK at d, ACK at 2d; accepted at 3d. */
static void open_pair(struct pair *p, uint64_t d, const char *const *cknobs,
		      const char *const *sknobs)
{
	memset(p, 0, sizeof(*p));
	struct h *h = p->h = h_new();
	p->c = h_host(h, "client", C_ADDR, cknobs);
	p->s = h_host(h, "server", S_ADDR, sknobs);
	p->d = d;
	struct sk_path path = { .delay_ns = d };
	assert_int_equal(sk_sim_set_link(h->sim, p->c, p->s, &path), 0);
	p->lfd = h_listen(h, p->s, PORT, 16);
	p->cfd = h_connect(h, p->c, S_ADDR, PORT);
	h_run_until(h, 3 * d);
	const struct h_pkt *syn = h_next(h);
	h_expect(syn, 0, p->c, "S", syn->tcp.seq, 0, 0);
	const struct h_pkt *sa = h_next(h);
	h_expect(sa, d, p->s, "S.", sa->tcp.seq, syn->tcp.seq + 1, 0);
	p->c0 = syn->tcp.seq + 1;
	p->s0 = sa->tcp.seq + 1;
	h_expect(h_next(h), 2 * d, p->c, ".", p->c0, p->s0, 0);
	h_no_more(h);
	p->afd = sk_accept(SST(p), p->lfd, NULL, NULL);
	assert_true(p->afd >= 0);
	struct sockaddr_in a;
	socklen_t alen = sizeof(a);
	assert_int_equal(sk_getsockname(CST(p), p->cfd, (struct sockaddr *)&a, &alen), 0);
	p->cport = ntohs(a.sin_port);
}

static void set_keepalive(struct sk_stack *st, int fd, int idle, int intvl, int cnt)
{
	int one = 1;
	assert_int_equal(sk_setsockopt(st, fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one)), 0);
	assert_int_equal(sk_setsockopt(st, fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof(idle)), 0);
	assert_int_equal(sk_setsockopt(st, fd, IPPROTO_TCP, TCP_KEEPINTVL, &intvl, sizeof(intvl)), 0);
	assert_int_equal(sk_setsockopt(st, fd, IPPROTO_TCP, TCP_KEEPCNT, &cnt, sizeof(cnt)), 0);
}

static void linger0(struct sk_stack *st, int fd)
{
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };
	assert_int_equal(sk_setsockopt(st, fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)), 0);
}

/* The client sends `msg` at t; the server ACKs it at once on arrival (the
 * first data of a connection is quick-ACKed) and reads it. */
static void client_says(struct pair *p, uint64_t t, const char *msg, uint32_t *cseq)
{
	struct h *h = p->h;
	uint32_t n = (uint32_t)strlen(msg);
	char buf[64];
	h_run_until(h, t);
	assert_int_equal(sk_send(CST(p), p->cfd, msg, n, 0), n);
	h_run_until(h, t + 2 * p->d);
	h_expect(h_next(h), t, p->c, "P.", *cseq, p->s0, n);
	h_expect(h_next(h), t + p->d, p->s, ".", p->s0, *cseq + n, 0);
	assert_int_equal(sk_recv(SST(p), p->afd, buf, sizeof(buf), 0), n);
	assert_memory_equal(buf, msg, n);
	*cseq += n;
}

/* ---- a raw client forging segments against a synack server (R2) ---- */

struct rc {
	struct h *h;
	int r, s;
	int lfd;
	uint64_t d;
};

struct rconn {
	uint16_t port;
	uint32_t c0, s0; /* the raw client's next seq; the server's */
	uint16_t wnd;    /* the server's window in its SYN-ACK */
	int afd;
};

static void rc_new(struct rc *p, uint64_t d, const char *const *sknobs, int backlog)
{
	memset(p, 0, sizeof(*p));
	struct h *h = p->h = h_new();
	p->r = h_raw(h, "client", C_ADDR);
	p->s = h_host(h, "server", S_ADDR, sknobs);
	p->d = d;
	struct sk_path path = { .delay_ns = d };
	assert_int_equal(sk_sim_set_link(h->sim, p->r, p->s, &path), 0);
	p->lfd = h_listen(h, p->s, PORT, backlog);
}

/* The next packet the server sent; the raw client's own are skipped. */
static const struct h_pkt *next_s(struct rc *p)
{
	for (;;) {
		const struct h_pkt *k = h_next(p->h);
		if (k->from == p->s)
			return k;
	}
}

/* Asserts the server has sent nothing since the last packet checked. */
static void none_s(struct rc *p)
{
	while (h_pending(p->h)) {
		const struct h_pkt *k = &p->h->pkts[p->h->next_pkt];
		if (k->from == p->s)
			h_no_more(p->h); /* fails, describing the packet */
		p->h->next_pkt++;
	}
}

static void rc_send(struct rc *p, const struct rconn *k, uint32_t seq, uint32_t ack,
		    uint8_t flags, const void *data, uint32_t len)
{
	struct h_seg s = { .src = C_ADDR, .dst = S_ADDR, .sport = k->port, .dport = PORT,
			   .seq = seq, .ack = ack, .flags = flags, .wnd = 65535,
			   .data = data, .len = len };
	h_send(p->h, p->r, &s);
}

/* From now t: SYN at t, SYN-ACK at t + d, ACK at t + 2d, accepted at t + 3d. */
static void rc_open(struct rc *p, struct rconn *k, uint16_t port, int sack, int accept)
{
	struct h *h = p->h;
	uint64_t t = sk_sim_now(h->sim);
	memset(k, 0, sizeof(*k));
	k->port = port;
	struct h_seg syn = { .src = C_ADDR, .dst = S_ADDR, .sport = port, .dport = PORT,
			     .seq = RISS, .flags = TCP_SYN, .wnd = 65535,
			     .opts = { .has = TCP_HAS_MSS | (sack ? TCP_HAS_SACK_PERM : 0), .mss = 1460 } };
	h_send(h, p->r, &syn);
	h_run_until(h, t + 2 * p->d);
	const struct h_pkt *sa = next_s(p);
	h_expect(sa, t + p->d, p->s, "S.", sa->tcp.seq, RISS + 1, 0);
	k->c0 = RISS + 1;
	k->s0 = sa->tcp.seq + 1;
	k->wnd = sa->tcp.wnd;
	struct h_pkt got;
	while (h_has(h, p->r))
		h_take(h, p->r, &got);
	rc_send(p, k, k->c0, k->s0, TCP_ACK, NULL, 0);
	h_run_until(h, t + 3 * p->d);
	none_s(p);
	k->afd = -1;
	if (accept) {
		k->afd = sk_accept(h_st(h, p->s), p->lfd, NULL, NULL);
		assert_true(k->afd >= 0);
		assert_int_equal(h_state(h, p->s, k->afd), SK_TCP_ESTABLISHED);
	}
}

/* ================================ R2 ================================ */

/* R2: a RST whose seq is exactly RCV.NXT resets the connection: nothing is
 * sent back, the application reads ECONNRESET once, then 0; writes fail
 * with EPIPE. */
static void r2_rst_exact_seq_resets(void **state)
{
	(void)state;
	struct rc P, *p = &P;
	struct rconn k;
	rc_new(p, MS(10), NULL, 16);
	rc_open(p, &k, 40000, 0, 1);
	struct h *h = p->h;
	struct sk_stack *st = h_st(h, p->s);
	h_run_until(h, SEC(1));
	rc_send(p, &k, k.c0, k.s0, TCP_RST | TCP_ACK, NULL, 0);
	h_run_until(h, SEC(2));
	none_s(p);
	assert_int_equal(when(h, p->s, PORT, k.port, SK_TCP_ESTABLISHED, SK_TCP_CLOSE), SEC(1) + MS(10));
	assert_int_equal(h_state(h, p->s, k.afd), SK_TCP_CLOSE);
	char b[8];
	assert_int_equal(sk_recv(st, k.afd, b, sizeof(b), 0), -ECONNRESET);
	assert_int_equal(sk_recv(st, k.afd, b, sizeof(b), 0), 0);
	assert_int_equal(sk_send(st, k.afd, "x", 1, MSG_NOSIGNAL), -EPIPE);
	assert_int_equal(ctr(h, p->s, SK_MIB_EstabResets), 1);
	assert_int_equal(ctr(h, p->s, SK_MIB_TCPChallengeACK), 0);
	assert_int_equal(ctr(h, p->s, SK_MIB_OutRsts), 0);
	h_run_until(h, SEC(10));
	none_s(p);
	h_free(h);
}

/* R2: a RST inside the window but not at RCV.NXT gets a challenge ACK
 * (seq SND.NXT, ack RCV.NXT) and the connection stays: data still flows,
 * and a RST at the (new) exact RCV.NXT then resets it. */
static void r2_rst_in_window_gets_challenge_ack(void **state)
{
	(void)state;
	struct rc P, *p = &P;
	struct rconn k;
	rc_new(p, MS(10), NULL, 16);
	rc_open(p, &k, 40000, 0, 1);
	struct h *h = p->h;
	struct sk_stack *st = h_st(h, p->s);
	h_run_until(h, SEC(1));
	rc_send(p, &k, k.c0 + 100, 0, TCP_RST, NULL, 0);
	h_run_until(h, SEC(2));
	h_expect(next_s(p), SEC(1) + MS(10), p->s, ".", k.s0, k.c0, 0);
	none_s(p);
	assert_int_equal(ctr(h, p->s, SK_MIB_TCPChallengeACK), 1);
	assert_int_equal(h_state(h, p->s, k.afd), SK_TCP_ESTABLISHED);
	char b[8];
	assert_int_equal(sk_recv(st, k.afd, b, sizeof(b), 0), -EAGAIN);

	rc_send(p, &k, k.c0, k.s0, TCP_PSH | TCP_ACK, "hi", 2);
	h_run_until(h, SEC(3));
	h_expect(next_s(p), SEC(2) + MS(10), p->s, ".", k.s0, k.c0 + 2, 0);
	none_s(p);
	assert_int_equal(sk_recv(st, k.afd, b, sizeof(b), 0), 2);

	rc_send(p, &k, k.c0 + 2, 0, TCP_RST, NULL, 0);
	h_run_until(h, SEC(4));
	none_s(p);
	assert_int_equal(when(h, p->s, PORT, k.port, SK_TCP_ESTABLISHED, SK_TCP_CLOSE), SEC(3) + MS(10));
	assert_int_equal(sk_recv(st, k.afd, b, sizeof(b), 0), -ECONNRESET);
	assert_int_equal(ctr(h, p->s, SK_MIB_TCPChallengeACK), 1);
	assert_int_equal(ctr(h, p->s, SK_MIB_EstabResets), 1);
	h_free(h);
}

/* R2: resets outside the window are dropped without an answer: far
 * beyond it, one past its right edge, and just below RCV.NXT. A RST at
 * the right edge itself (RCV.NXT + window) is in the window (Linux's
 * tcp_sequence) and gets a challenge ACK. */
static void r2_rst_out_of_window_dropped(void **state)
{
	(void)state;
	struct rc P, *p = &P;
	struct rconn k;
	rc_new(p, MS(10), NULL, 16);
	rc_open(p, &k, 40000, 0, 1);
	struct h *h = p->h;
	assert_int_equal(k.wnd, 64240); /* unscaled: the raw client offered no scaling */
	h_run_until(h, SEC(1));
	rc_send(p, &k, k.c0 + 1000000, 0, TCP_RST, NULL, 0);
	h_run_until(h, SEC(1) + MS(100));
	rc_send(p, &k, k.c0 + 64240 + 1, 0, TCP_RST, NULL, 0);
	h_run_until(h, SEC(1) + MS(200));
	rc_send(p, &k, k.c0 - 1, 0, TCP_RST, NULL, 0);
	h_run_until(h, SEC(1) + MS(300));
	rc_send(p, &k, k.c0 - 1000000, k.s0, TCP_RST | TCP_ACK, NULL, 0);
	h_run_until(h, SEC(2));
	none_s(p);
	assert_int_equal(h_state(h, p->s, k.afd), SK_TCP_ESTABLISHED);
	assert_int_equal(ctr(h, p->s, SK_MIB_TCPChallengeACK), 0);
	assert_int_equal(ctr(h, p->s, SK_MIB_EstabResets), 0);

	rc_send(p, &k, k.c0 + 64240, 0, TCP_RST, NULL, 0);
	h_run_until(h, SEC(3));
	h_expect(next_s(p), SEC(2) + MS(10), p->s, ".", k.s0, k.c0, 0);
	none_s(p);
	assert_int_equal(ctr(h, p->s, SK_MIB_TCPChallengeACK), 1);
	assert_int_equal(h_state(h, p->s, k.afd), SK_TCP_ESTABLISHED);
	h_free(h);
}

/* R2: after the peer's FIN (CLOSE_WAIT), a RST at RCV.NXT - 1, the FIN's
 * own sequence number, is taken as exact (Linux's tcp_reset_check): the
 * connection is reset; the application reads 0 (the FIN came first) and
 * its writes fail with EPIPE. */
static void r2_rst_after_fin_at_rcv_nxt_minus_1_resets(void **state)
{
	(void)state;
	struct rc P, *p = &P;
	struct rconn k;
	rc_new(p, MS(10), NULL, 16);
	rc_open(p, &k, 40000, 0, 1);
	struct h *h = p->h;
	struct sk_stack *st = h_st(h, p->s);
	h_run_until(h, SEC(1));
	rc_send(p, &k, k.c0, k.s0, TCP_FIN | TCP_ACK, NULL, 0);
	h_run_until(h, SEC(1) + MS(500));
	/* no data received yet: the delayed ACK (ato 0) goes at the next jiffy */
	expect_between(next_s(p), SEC(1) + MS(10), SEC(1) + MS(14), p->s, ".", k.s0, k.c0 + 1, 0);
	none_s(p);
	assert_int_equal(h_state(h, p->s, k.afd), SK_TCP_CLOSE_WAIT);

	rc_send(p, &k, k.c0, 0, TCP_RST, NULL, 0);
	h_run_until(h, SEC(2));
	none_s(p);
	assert_int_equal(when(h, p->s, PORT, k.port, SK_TCP_CLOSE_WAIT, SK_TCP_CLOSE),
			 SEC(1) + MS(510));
	char b[8];
	assert_int_equal(sk_recv(st, k.afd, b, sizeof(b), 0), 0);
	assert_int_equal(sk_send(st, k.afd, "x", 1, MSG_NOSIGNAL), -EPIPE);
	assert_int_equal(ctr(h, p->s, SK_MIB_EstabResets), 1);
	assert_int_equal(ctr(h, p->s, SK_MIB_TCPChallengeACK), 0);
	h_free(h);
}

static int has_sack(const struct h_pkt *k, uint32_t left, uint32_t right)
{
	if (!(k->tcp.opts.has & TCP_HAS_SACK))
		return 0;
	for (int i = 0; i < k->tcp.opts.nsack; i++)
		if (k->tcp.opts.sack[i].left == left && k->tcp.opts.sack[i].right == right)
			return 1;
	return 0;
}

/* R2 with SACK: while out-of-order data is held, a RST at the end of the
 * right-most SACK block counts as exact (Linux); a RST at the end of
 * another block gets a challenge ACK. */
static void r2_rst_at_rightmost_sack_block_resets(void **state)
{
	(void)state;
	struct rc P, *p = &P;
	struct rconn k;
	rc_new(p, MS(10), NULL, 16);
	rc_open(p, &k, 40000, 1, 1);
	struct h *h = p->h;
	uint8_t data[100] = { 0 };
	h_run_until(h, SEC(1));
	rc_send(p, &k, k.c0 + 100, k.s0, TCP_ACK, data, 100);
	h_run_until(h, SEC(1) + MS(100));
	rc_send(p, &k, k.c0 + 300, k.s0, TCP_ACK, data, 100);
	h_run_until(h, SEC(1) + MS(500));
	const struct h_pkt *a1 = next_s(p);
	h_expect(a1, SEC(1) + MS(10), p->s, ".", k.s0, k.c0, 0);
	assert_int_equal(a1->tcp.opts.nsack, 1);
	assert_true(has_sack(a1, k.c0 + 100, k.c0 + 200));
	const struct h_pkt *a2 = next_s(p);
	h_expect(a2, SEC(1) + MS(110), p->s, ".", k.s0, k.c0, 0);
	assert_int_equal(a2->tcp.opts.nsack, 2);
	assert_true(has_sack(a2, k.c0 + 100, k.c0 + 200));
	assert_true(has_sack(a2, k.c0 + 300, k.c0 + 400));
	none_s(p);

	rc_send(p, &k, k.c0 + 200, 0, TCP_RST, NULL, 0);
	h_run_until(h, SEC(2) + MS(100));
	h_expect(next_s(p), SEC(1) + MS(510), p->s, ".", k.s0, k.c0, 0);
	none_s(p);
	assert_int_equal(h_state(h, p->s, k.afd), SK_TCP_ESTABLISHED);
	assert_int_equal(ctr(h, p->s, SK_MIB_TCPChallengeACK), 1);

	rc_send(p, &k, k.c0 + 400, 0, TCP_RST, NULL, 0);
	h_run_until(h, SEC(3));
	none_s(p);
	assert_int_equal(when(h, p->s, PORT, k.port, SK_TCP_ESTABLISHED, SK_TCP_CLOSE),
			 SEC(2) + MS(110));
	assert_int_equal(ctr(h, p->s, SK_MIB_EstabResets), 1);
	h_free(h);
}

/* R2 (RFC 5961 §4.2): a SYN on an ESTABLISHED connection, whether its seq
 * is in the window or not, gets a challenge ACK and changes nothing;
 * Linux counts TCPSYNChallenge, TCPChallengeACK and InErrs. */
static void r2_syn_on_established_gets_challenge_ack(void **state)
{
	(void)state;
	struct rc P, *p = &P;
	struct rconn k;
	rc_new(p, MS(10), NULL, 16);
	rc_open(p, &k, 40000, 0, 1);
	struct h *h = p->h;
	struct h_seg syn = { .src = C_ADDR, .dst = S_ADDR, .sport = k.port, .dport = PORT,
			     .seq = k.c0 + 5, .flags = TCP_SYN, .wnd = 65535,
			     .opts = { .has = TCP_HAS_MSS, .mss = 1460 } };
	h_run_until(h, SEC(1));
	h_send(h, p->r, &syn);
	h_run_until(h, SEC(2));
	h_expect(next_s(p), SEC(1) + MS(10), p->s, ".", k.s0, k.c0, 0);
	none_s(p);
	assert_int_equal(h_state(h, p->s, k.afd), SK_TCP_ESTABLISHED);
	assert_int_equal(ctr(h, p->s, SK_MIB_TCPSYNChallenge), 1);
	assert_int_equal(ctr(h, p->s, SK_MIB_TCPChallengeACK), 1);
	assert_int_equal(ctr(h, p->s, SK_MIB_InErrs), 1);

	syn.seq = k.c0 - 100000; /* out of the window: the same answer */
	h_send(h, p->r, &syn);
	h_run_until(h, SEC(3));
	h_expect(next_s(p), SEC(2) + MS(10), p->s, ".", k.s0, k.c0, 0);
	none_s(p);
	assert_int_equal(h_state(h, p->s, k.afd), SK_TCP_ESTABLISHED);
	assert_int_equal(ctr(h, p->s, SK_MIB_TCPSYNChallenge), 2);
	assert_int_equal(ctr(h, p->s, SK_MIB_TCPChallengeACK), 2);
	assert_int_equal(ctr(h, p->s, SK_MIB_InErrs), 2);
	assert_int_equal(ctr(h, p->s, SK_MIB_EstabResets), 0);
	h_free(h);
}

/* R2: per connection, at most one challenge ACK per 500 ms
 * (tcp_invalid_ratelimit), shared with the ACKs to out-of-window segments
 * and applied to segments carrying data too (Linux 6.x's
 * tcp_send_challenge_ack calls __tcp_oow_rate_limited). */
static void r2_challenge_ack_per_socket_500ms(void **state)
{
	(void)state;
	struct rc P, *p = &P;
	struct rconn k;
	rc_new(p, MS(10), NULL, 16);
	rc_open(p, &k, 40000, 0, 1);
	struct h *h = p->h;
	struct h_seg syn = { .src = C_ADDR, .dst = S_ADDR, .sport = k.port, .dport = PORT,
			     .seq = k.c0 + 5, .flags = TCP_SYN, .wnd = 65535 };
	h_run_until(h, SEC(1));
	rc_send(p, &k, k.c0 + 10, 0, TCP_RST, NULL, 0); /* answered at 1.01 */
	h_run_until(h, MS(1100));
	rc_send(p, &k, k.c0 + 20, 0, TCP_RST, NULL, 0); /* 100 ms later: none */
	h_run_until(h, MS(1300));
	h_send(h, p->r, &syn); /* none */
	h_run_until(h, MS(1400));
	rc_send(p, &k, k.c0 + 30, 0, TCP_RST, "0123456789", 10); /* data too: none */
	h_run_until(h, MS(1600));
	rc_send(p, &k, k.c0 + 40, 0, TCP_RST, NULL, 0); /* 600 ms after: answered */
	h_run_until(h, MS(1700));
	rc_send(p, &k, k.c0 - 100000, k.s0, TCP_ACK, NULL, 0); /* out of window: none */
	h_run_until(h, MS(2200));
	rc_send(p, &k, k.c0 - 100000, k.s0, TCP_ACK, NULL, 0); /* 600 ms after: dup ACK */
	h_run_until(h, SEC(3));
	h_expect(next_s(p), MS(1010), p->s, ".", k.s0, k.c0, 0);
	h_expect(next_s(p), MS(1610), p->s, ".", k.s0, k.c0, 0);
	h_expect(next_s(p), MS(2210), p->s, ".", k.s0, k.c0, 0);
	none_s(p);
	assert_int_equal(h_state(h, p->s, k.afd), SK_TCP_ESTABLISHED);
	assert_int_equal(ctr(h, p->s, SK_MIB_TCPChallengeACK), 2);
	assert_int_equal(ctr(h, p->s, SK_MIB_TCPSYNChallenge), 1);
	assert_int_equal(ctr(h, p->s, SK_MIB_EstabResets), 0);
	h_free(h);
}

/* R2: tcp_challenge_ack_limit bounds challenge ACKs per second for the
 * whole host: with the limit at 1, a second connection's in-window RST in
 * the same second gets none; the next second it gets one. */
static void r2_challenge_ack_host_limit(void **state)
{
	(void)state;
	static const char *const knobs[] = { "tcp_challenge_ack_limit=1", NULL };
	struct rc P, *p = &P;
	struct rconn k1, k2;
	rc_new(p, MS(10), knobs, 16);
	rc_open(p, &k1, 40001, 0, 1);
	rc_open(p, &k2, 40002, 0, 1);
	struct h *h = p->h;
	h_run_until(h, SEC(5));
	rc_send(p, &k1, k1.c0 + 10, 0, TCP_RST, NULL, 0);
	h_run_until(h, MS(5050));
	rc_send(p, &k2, k2.c0 + 10, 0, TCP_RST, NULL, 0);
	h_run_until(h, MS(6500));
	const struct h_pkt *a = next_s(p);
	h_expect(a, MS(5010), p->s, ".", k1.s0, k1.c0, 0);
	assert_int_equal(a->tcp.dport, 40001);
	none_s(p);
	assert_int_equal(ctr(h, p->s, SK_MIB_TCPChallengeACK), 1);
	rc_send(p, &k2, k2.c0 + 10, 0, TCP_RST, NULL, 0);
	h_run_until(h, SEC(7));
	a = next_s(p);
	h_expect(a, MS(6510), p->s, ".", k2.s0, k2.c0, 0);
	assert_int_equal(a->tcp.dport, 40002);
	none_s(p);
	assert_int_equal(ctr(h, p->s, SK_MIB_TCPChallengeACK), 2);
	assert_int_equal(h_state(h, p->s, k1.afd), SK_TCP_ESTABLISHED);
	assert_int_equal(h_state(h, p->s, k2.afd), SK_TCP_ESTABLISHED);
	h_free(h);
}

/* R2: Linux 6.x ships tcp_challenge_ack_limit = INT_MAX (no host-wide
 * limit): 1500 connections each hit by an in-window RST within one second
 * all get their challenge ACK. */
static void r2_challenge_ack_default_unlimited(void **state)
{
	(void)state;
	enum { N = 1500 };
	struct rc P, *p = &P;
	static struct rconn k[N];
	rc_new(p, 0, NULL, 2000);
	struct h *h = p->h;
	for (int i = 0; i < N; i++)
		rc_open(p, &k[i], (uint16_t)(40000 + i), 0, 0);
	h_run_until(h, SEC(10));
	for (int i = 0; i < N; i++)
		rc_send(p, &k[i], k[i].c0 + 10, 0, TCP_RST, NULL, 0);
	h_run_until(h, SEC(11));
	for (int i = 0; i < N; i++) {
		const struct h_pkt *a = next_s(p);
		h_expect(a, SEC(10), p->s, ".", k[i].s0, k[i].c0, 0);
		assert_int_equal(a->tcp.dport, 40000 + i);
	}
	none_s(p);
	assert_int_equal(ctr(h, p->s, SK_MIB_TCPChallengeACK), N);
	assert_int_equal(sk_knobs(h_st(h, p->s))->tcp_challenge_ack_limit, INT_MAX);
	h_free(h);
}

/* ================================ R3 ================================ */

/* R3: after a RST, recv reports ECONNRESET once, then 0 (EOF); send gives
 * EPIPE, with SIGPIPE unless MSG_NOSIGNAL. */
static void r3_rst_then_recv_econnreset_once(void **state)
{
	(void)state;
	struct pair P, *p = &P;
	open_pair(p, MS(10), NULL, NULL);
	struct h *h = p->h;
	h_run_until(h, SEC(1));
	linger0(SST(p), p->afd);
	assert_int_equal(sk_close(SST(p), p->afd), 0);
	h_run_until(h, SEC(2));
	h_expect(h_next(h), SEC(1), p->s, "R.", p->s0, p->c0, 0);
	h_no_more(h);
	assert_int_equal(when(h, p->c, p->cport, PORT, SK_TCP_ESTABLISHED, SK_TCP_CLOSE),
			 SEC(1) + MS(10));
	char b[8];
	assert_int_equal(sk_recv(CST(p), p->cfd, b, sizeof(b), 0), -ECONNRESET);
	assert_int_equal(sk_recv(CST(p), p->cfd, b, sizeof(b), 0), 0);
	assert_int_equal(sk_recv(CST(p), p->cfd, b, sizeof(b), 0), 0);
	assert_int_equal(sigpipes(h, p->c), 0);
	assert_int_equal(sk_send(CST(p), p->cfd, "x", 1, 0), -EPIPE);
	assert_int_equal(sigpipes(h, p->c), 1);
	assert_int_equal(sk_send(CST(p), p->cfd, "x", 1, MSG_NOSIGNAL), -EPIPE);
	assert_int_equal(sigpipes(h, p->c), 1);
	assert_int_equal(so_error(h, p->c, p->cfd), 0);
	assert_int_equal(ctr(h, p->c, SK_MIB_EstabResets), 1);
	h_run_until(h, SEC(5));
	h_no_more(h);
	h_free(h);
}

/* R3: a write that comes first after the RST takes the error instead
 * (ECONNRESET, no SIGPIPE); the next write gives EPIPE and recv 0. */
static void r3_rst_then_send_first(void **state)
{
	(void)state;
	struct pair P, *p = &P;
	open_pair(p, MS(10), NULL, NULL);
	struct h *h = p->h;
	h_run_until(h, SEC(1));
	linger0(SST(p), p->afd);
	assert_int_equal(sk_close(SST(p), p->afd), 0);
	h_run_until(h, SEC(2));
	h_expect(h_next(h), SEC(1), p->s, "R.", p->s0, p->c0, 0);
	h_no_more(h);
	assert_int_equal(sk_send(CST(p), p->cfd, "x", 1, 0), -ECONNRESET);
	assert_int_equal(sigpipes(h, p->c), 0);
	assert_int_equal(sk_send(CST(p), p->cfd, "x", 1, 0), -EPIPE);
	assert_int_equal(sigpipes(h, p->c), 1);
	char b[8];
	assert_int_equal(sk_recv(CST(p), p->cfd, b, sizeof(b), 0), 0);
	h_run_until(h, SEC(5));
	h_no_more(h);
	h_free(h);
}

/* The server closes its end after reading the client's request; the
 * client, which has received no data, ACKs the FIN at the next jiffy and
 * reads EOF. Returns the client's next sequence number. */
static uint32_t server_closes_after_request(struct pair *p, uint64_t t_close)
{
	struct h *h = p->h;
	uint32_t cseq = p->c0;
	client_says(p, MS(500), "GET", &cseq);
	h_run_until(h, t_close);
	assert_int_equal(sk_close(SST(p), p->afd), 0);
	h_run_until(h, t_close + MS(50));
	h_expect(h_next(h), t_close, p->s, "F.", p->s0, cseq, 0);
	expect_between(h_next(h), t_close + p->d, t_close + p->d + MS(4), p->c, ".", cseq,
		       p->s0 + 1, 0);
	h_no_more(h);
	assert_int_equal(h_state(h, p->c, p->cfd), SK_TCP_CLOSE_WAIT);
	char b[8];
	assert_int_equal(sk_recv(CST(p), p->cfd, b, sizeof(b), 0), 0);
	return cseq;
}

/* R3: the first write to a peer that has closed succeeds and the peer
 * (an orphan in FIN_WAIT_2) answers [R] with seq = our ACK field; the next
 * write fails with EPIPE (a RST in CLOSE_WAIT reports EPIPE), with SIGPIPE
 * unless MSG_NOSIGNAL; recv keeps returning 0. */
static void r3_write_to_closed_peer_rst_then_epipe(void **state)
{
	(void)state;
	struct pair P, *p = &P;
	open_pair(p, MS(10), NULL, NULL);
	struct h *h = p->h;
	uint32_t cseq = server_closes_after_request(p, SEC(1));
	assert_int_equal(h_nsockets(h, p->s), 2); /* the listener and the orphan */

	h_run_until(h, MS(1100));
	assert_int_equal(sk_send(CST(p), p->cfd, "x", 1, 0), 1);
	h_run_until(h, MS(1200));
	h_expect(h_next(h), MS(1100), p->c, "P.", cseq, p->s0 + 1, 1);
	const struct h_pkt *r = h_next(h);
	h_expect(r, MS(1110), p->s, "R", p->s0 + 1, 0, 0);
	assert_int_equal(r->tcp.wnd, 0);
	h_no_more(h);
	assert_int_equal(when(h, p->c, p->cport, PORT, SK_TCP_CLOSE_WAIT, SK_TCP_CLOSE), MS(1120));
	assert_int_equal(sigpipes(h, p->c), 0);
	assert_int_equal(sk_send(CST(p), p->cfd, "y", 1, 0), -EPIPE);
	assert_int_equal(sigpipes(h, p->c), 1);
	assert_int_equal(sk_send(CST(p), p->cfd, "y", 1, MSG_NOSIGNAL), -EPIPE);
	assert_int_equal(sigpipes(h, p->c), 1);
	char b[8];
	assert_int_equal(sk_recv(CST(p), p->cfd, b, sizeof(b), 0), 0);
	assert_int_equal(so_error(h, p->c, p->cfd), 0);
	assert_int_equal(ctr(h, p->c, SK_MIB_EstabResets), 1);
	assert_int_equal(ctr(h, p->s, SK_MIB_OutRsts), 1);
	assert_int_equal(ctr(h, p->s, SK_MIB_TCPAbortOnData), 0);
	assert_int_equal(h_nsockets(h, p->s), 1); /* the listener */
	h_run_until(h, SEC(5));
	h_no_more(h);
	h_free(h);
}

/* ================================ A2 ================================ */

/* A2: the server crashes and reboots (empty tables, nothing listening);
 * the client's next segment is answered with [R] seq = its ACK field,
 * which is exactly the client's RCV.NXT: ECONNRESET; no retransmission
 * follows. */
static void a2_rebooted_peer_answers_rst(void **state)
{
	(void)state;
	struct pair P, *p = &P;
	open_pair(p, MS(10), NULL, NULL);
	struct h *h = p->h;
	h_run_until(h, SEC(1));
	assert_int_equal(sk_sim_crash(h->sim, p->s), 0);
	h_run_until(h, SEC(2));
	assert_int_equal(sk_sim_reboot(h->sim, p->s), 0);
	h_run_until(h, SEC(3));
	assert_int_equal(sk_send(CST(p), p->cfd, "x", 1, 0), 1);
	h_run_until(h, SEC(10));
	h_expect(h_next(h), SEC(3), p->c, "P.", p->c0, p->s0, 1);
	h_expect(h_next(h), SEC(3) + MS(10), p->s, "R", p->s0, 0, 0);
	h_no_more(h);
	assert_int_equal(when(h, p->c, p->cport, PORT, SK_TCP_ESTABLISHED, SK_TCP_CLOSE),
			 SEC(3) + MS(20));
	char b[8];
	assert_int_equal(sk_recv(CST(p), p->cfd, b, sizeof(b), 0), -ECONNRESET);
	assert_int_equal(sk_recv(CST(p), p->cfd, b, sizeof(b), 0), 0);
	assert_int_equal(sk_send(CST(p), p->cfd, "x", 1, MSG_NOSIGNAL), -EPIPE);
	assert_int_equal(ctr(h, p->c, SK_MIB_EstabResets), 1);
	assert_int_equal(ctr(h, p->c, SK_MIB_RetransSegs), 0);
	assert_int_equal(ctr(h, p->s, SK_MIB_OutRsts), 1);
	h_free(h);
}

/* A2: the same when the rebooted server's application listens on the
 * port again: an ACK for no connection reaching a listener gets a RST. */
static void a2_rebooted_peer_listening_again_answers_rst(void **state)
{
	(void)state;
	struct pair P, *p = &P;
	open_pair(p, MS(10), NULL, NULL);
	struct h *h = p->h;
	h_run_until(h, SEC(1));
	assert_int_equal(sk_sim_reboot(h->sim, p->s), 0); /* crash and come back */
	h_listen(h, p->s, PORT, 16);
	h_run_until(h, SEC(3));
	assert_int_equal(sk_send(CST(p), p->cfd, "hello", 5, 0), 5);
	h_run_until(h, SEC(10));
	h_expect(h_next(h), SEC(3), p->c, "P.", p->c0, p->s0, 5);
	h_expect(h_next(h), SEC(3) + MS(10), p->s, "R", p->s0, 0, 0);
	h_no_more(h);
	assert_int_equal(h_state(h, p->c, p->cfd), SK_TCP_CLOSE);
	assert_int_equal(so_error(h, p->c, p->cfd), ECONNRESET);
	assert_int_equal(h_nsockets(h, p->s), 1); /* only the listener */
	h_free(h);
}

/* ================================ A7 ================================ */

/* A7: a keepalive probe (seq SND.UNA - 1) to a peer that rebooted is
 * answered with [R] seq = the probe's ACK field = our RCV.NXT: ECONNRESET. */
static void a7_keepalive_rebooted_peer_resets(void **state)
{
	(void)state;
	struct pair P, *p = &P;
	open_pair(p, MS(10), NULL, NULL);
	struct h *h = p->h;
	set_keepalive(CST(p), p->cfd, 10, 5, 3);
	h_run_until(h, SEC(2));
	assert_int_equal(sk_sim_reboot(h->sim, p->s), 0);
	/* idle since the SYN-ACK arrived at 20 ms */
	h_run_until(h, SEC(20));
	h_expect(h_next(h), SEC(10) + MS(20), p->c, ".", p->c0 - 1, p->s0, 0);
	h_expect(h_next(h), SEC(10) + MS(30), p->s, "R", p->s0, 0, 0);
	h_no_more(h);
	assert_int_equal(when(h, p->c, p->cport, PORT, SK_TCP_ESTABLISHED, SK_TCP_CLOSE),
			 SEC(10) + MS(40));
	assert_int_equal(so_error(h, p->c, p->cfd), ECONNRESET);
	assert_int_equal(ctr(h, p->c, SK_MIB_TCPKeepAlive), 1);
	assert_int_equal(ctr(h, p->c, SK_MIB_EstabResets), 1);
	h_free(h);
}

/* A7: any acceptable segment restarts the idle time: data at 4 s moves the
 * first probe to 14 s; the ACK answering that probe moves the next one to
 * 10 s after it arrived. */
static void a7_received_segment_restarts_idle_timer(void **state)
{
	(void)state;
	struct pair P, *p = &P;
	open_pair(p, MS(10), NULL, NULL);
	struct h *h = p->h;
	set_keepalive(CST(p), p->cfd, 10, 5, 3);
	h_run_until(h, SEC(4));
	assert_int_equal(sk_send(SST(p), p->afd, "hello", 5, 0), 5);
	h_run_until(h, SEC(30));
	h_expect(h_next(h), SEC(4), p->s, "P.", p->s0, p->c0, 5);
	h_expect(h_next(h), SEC(4) + MS(10), p->c, ".", p->c0, p->s0 + 5, 0);
	h_expect(h_next(h), SEC(14) + MS(10), p->c, ".", p->c0 - 1, p->s0 + 5, 0);
	h_expect(h_next(h), SEC(14) + MS(20), p->s, ".", p->s0 + 5, p->c0, 0);
	h_expect(h_next(h), SEC(24) + MS(30), p->c, ".", p->c0 - 1, p->s0 + 5, 0);
	h_expect(h_next(h), SEC(24) + MS(40), p->s, ".", p->s0 + 5, p->c0, 0);
	h_no_more(h);
	assert_int_equal(ctr(h, p->c, SK_MIB_TCPKeepAlive), 2);
	assert_int_equal(h_state(h, p->c, p->cfd), SK_TCP_ESTABLISHED);
	h_free(h);
}

/* A7: a segment that fails the sequence check (an old duplicate, answered
 * with a duplicate ACK) is not a sign of life: the idle time does not
 * restart. */
static void a7_out_of_window_segment_does_not_restart_idle_timer(void **state)
{
	(void)state;
	struct pair P, *p = &P;
	open_pair(p, MS(10), NULL, NULL);
	struct h *h = p->h;
	int x = h_raw(h, "forger", X_ADDR);
	set_keepalive(CST(p), p->cfd, 10, 5, 3);
	h_run_until(h, SEC(5));
	struct h_seg old = { .src = S_ADDR, .dst = C_ADDR, .sport = PORT, .dport = p->cport,
			     .seq = p->s0 - 1000, .ack = p->c0, .flags = TCP_ACK, .wnd = 65535 };
	h_send(h, x, &old);
	h_run_until(h, SEC(11));
	h_expect(h_next(h), SEC(5), x, ".", p->s0 - 1000, p->c0, 0);
	h_expect(h_next(h), SEC(5), p->c, ".", p->c0, p->s0, 0);
	h_expect(h_next(h), SEC(10) + MS(20), p->c, ".", p->c0 - 1, p->s0, 0);
	h_expect(h_next(h), SEC(10) + MS(30), p->s, ".", p->s0, p->c0, 0);
	h_no_more(h);
	h_free(h);
}

/* ================================ A3 ================================ */

/* The client's 1-byte write at t0 and its retransmissions every
 * rto << k; returns after checking `n` retransmissions. */
static void expect_backoff(struct h *h, int c, uint64_t t0, uint64_t rto, int n, uint32_t seq,
			   uint32_t ack)
{
	h_expect(h_next(h), t0, c, "P.", seq, ack, 1);
	uint64_t t = t0;
	for (int i = 0; i < n; i++) {
		t += rto << i;
		h_expect(h_next(h), t, c, "P.", seq, ack, 1);
	}
}

/* A3 (as A1): the network between the hosts fails silently. The write is
 * retransmitted with exponential backoff and the socket fails with
 * ETIMEDOUT, sending no RST. With a 5 ms path the RTO is 210 ms; with
 * tcp_retries2 = 3 the budget is 3.0 s counted from the first
 * retransmission (Linux's retrans_stamp): retransmissions at +0.21, 0.63,
 * 1.47 and 3.15 s (the last is 2.94 s after the first), ETIMEDOUT at the
 * next timer, +6.51 s. SACK is off so no tail loss probe is involved. */
static void a3_partition_retransmits_until_etimedout(void **state)
{
	(void)state;
	static const char *const cknobs[] = { "tcp_retries2=3", "tcp_sack=0", NULL };
	struct pair P, *p = &P;
	open_pair(p, MS(5), cknobs, NULL);
	struct h *h = p->h;
	struct tcp_info ti;
	socklen_t len = sizeof(ti);
	assert_int_equal(sk_getsockopt(CST(p), p->cfd, IPPROTO_TCP, TCP_INFO, &ti, &len), 0);
	assert_int_equal(ti.tcpi_rto, 210000);
	h_run_until(h, SEC(1));
	assert_int_equal(sk_sim_partition(h->sim, p->c, p->s, 1), 0);
	h_run_until(h, SEC(2));
	assert_int_equal(sk_send(CST(p), p->cfd, "x", 1, 0), 1);
	h_run_until(h, SEC(2) + MS(6510) - 1);
	expect_backoff(h, p->c, SEC(2), MS(210), 4, p->c0, p->s0);
	h_no_more(h);
	assert_int_equal(h_state(h, p->c, p->cfd), SK_TCP_ESTABLISHED);
	h_run_until(h, SEC(2) + MS(6510));
	h_no_more(h); /* no RST */
	assert_int_equal(h_state(h, p->c, p->cfd), SK_TCP_CLOSE);
	char b[4];
	assert_int_equal(sk_recv(CST(p), p->cfd, b, sizeof(b), 0), -ETIMEDOUT);
	assert_int_equal(ctr(h, p->c, SK_MIB_RetransSegs), 4);
	assert_int_equal(ctr(h, p->c, SK_MIB_TCPTimeouts), 5);
	assert_int_equal(ctr(h, p->c, SK_MIB_TCPAbortOnTimeout), 1);
	assert_int_equal(ctr(h, p->c, SK_MIB_EstabResets), 1);
	/* the server never knew */
	assert_int_equal(h_state(h, p->s, p->afd), SK_TCP_ESTABLISHED);
	h_free(h);
}

static void router_path(struct h *h, int a, int b, int code)
{
	struct sk_path path = { .delay_ns = MS(5), .down = 1, .unreach_code_plus1 = code + 1,
				.router_addr = RT_ADDR };
	assert_int_equal(sk_sim_set_link(h->sim, a, b, &path), 0);
}

/* A3: a router answers every segment with ICMP host unreachable (5 ms
 * later). Established, that is a soft error: the connection stays, and
 * SO_ERROR shows nothing. Each ICMP about a retransmission undoes one
 * backoff step (RFC 6069, Linux tcp_ld_RTO_revert), so the segment is
 * retransmitted every 210 ms instead of backing off. The budget of
 * tcp_retries2 = 3 (3.0 s from the first retransmission) runs out at the
 * 16th timer, +3.36 s: 15 retransmissions, and the error reported is
 * EHOSTUNREACH, not ETIMEDOUT. */
static void a3_icmp_host_unreachable_is_soft_error(void **state)
{
	(void)state;
	static const char *const cknobs[] = { "tcp_retries2=3", "tcp_sack=0", NULL };
	struct pair P, *p = &P;
	open_pair(p, MS(5), cknobs, NULL);
	struct h *h = p->h;
	h_run_until(h, SEC(1));
	router_path(h, p->c, p->s, ICMP_HOST_UNREACH);
	h_run_until(h, SEC(2));
	assert_int_equal(sk_send(CST(p), p->cfd, "x", 1, 0), 1);
	h_run_until(h, SEC(2) + MS(100));
	h_expect(h_next(h), SEC(2), p->c, "P.", p->c0, p->s0, 1);
	expect_icmp(h, SEC(2), ICMP_HOST_UNREACH);
	h_no_more(h);
	assert_int_equal(h_state(h, p->c, p->cfd), SK_TCP_ESTABLISHED);
	assert_int_equal(so_error(h, p->c, p->cfd), 0);
	char b[4];
	assert_int_equal(sk_recv(CST(p), p->cfd, b, sizeof(b), 0), -EAGAIN);

	h_run_until(h, SEC(2) + MS(3360) - 1);
	for (int k = 1; k <= 15; k++) {
		h_expect(h_next(h), SEC(2) + MS(210) * (uint64_t)k, p->c, "P.", p->c0, p->s0, 1);
		expect_icmp(h, SEC(2) + MS(210) * (uint64_t)k, ICMP_HOST_UNREACH);
	}
	h_no_more(h);
	assert_int_equal(h_state(h, p->c, p->cfd), SK_TCP_ESTABLISHED);
	h_run_until(h, SEC(2) + MS(3360));
	h_no_more(h);
	assert_int_equal(h_state(h, p->c, p->cfd), SK_TCP_CLOSE);
	assert_int_equal(sk_recv(CST(p), p->cfd, b, sizeof(b), 0), -EHOSTUNREACH);
	assert_int_equal(sk_recv(CST(p), p->cfd, b, sizeof(b), 0), 0);
	assert_int_equal(ctr(h, p->c, SK_MIB_RetransSegs), 15);
	assert_int_equal(ctr(h, p->c, SK_MIB_TCPTimeouts), 16);
	assert_int_equal(ctr(h, p->c, SK_MIB_IcmpInDestUnreachs), 16);
	assert_int_equal(ctr(h, p->c, SK_MIB_TCPAbortOnTimeout), 1);
	h_free(h);
}

/* A3: a connect() during the outage fails at once when the router says
 * host (or net) unreachable: an ICMP error in SYN_SENT is fatal. No SYN is
 * retransmitted. */
static void a3_connect_during_outage_fails_at_once(void **state)
{
	(void)state;
	struct h *h = h_new();
	int c = h_host(h, "client", C_ADDR, NULL);
	int s = h_host(h, "server", S_ADDR, NULL);
	h_listen(h, s, PORT, 16);
	router_path(h, c, s, ICMP_HOST_UNREACH);
	h_run_until(h, SEC(1));
	int fd = h_connect(h, c, S_ADDR, PORT);
	h_run_until(h, SEC(1) + MS(5) - 1);
	assert_int_equal(h_state(h, c, fd), SK_TCP_SYN_SENT);
	h_run_until(h, SEC(1) + MS(5));
	assert_int_equal(h_state(h, c, fd), SK_TCP_CLOSE);
	assert_int_equal(so_error(h, c, fd), EHOSTUNREACH);
	const struct h_pkt *syn = h_next(h);
	h_expect(syn, SEC(1), c, "S", syn->tcp.seq, 0, 0);
	expect_icmp(h, SEC(1), ICMP_HOST_UNREACH);
	assert_int_equal(ctr(h, c, SK_MIB_AttemptFails), 1);

	router_path(h, c, s, ICMP_NET_UNREACH);
	h_run_until(h, SEC(2));
	int fd2 = h_connect(h, c, S_ADDR, PORT);
	h_run_until(h, SEC(10));
	syn = h_next(h);
	h_expect(syn, SEC(2), c, "S", syn->tcp.seq, 0, 0);
	expect_icmp(h, SEC(2), ICMP_NET_UNREACH);
	h_no_more(h);
	assert_int_equal(h_state(h, c, fd2), SK_TCP_CLOSE);
	assert_int_equal(so_error(h, c, fd2), ENETUNREACH);
	assert_int_equal(ctr(h, c, SK_MIB_AttemptFails), 2);
	assert_int_equal(ctr(h, c, SK_MIB_RetransSegs), 0);
	h_free(h);
}

/* ================================ A4 ================================ */

/* A4: the network fails for an hour while neither side has anything to
 * say; nothing is sent meanwhile, and after the repair the connection
 * works as before. */
static void a4_idle_partition_of_an_hour_survives(void **state)
{
	(void)state;
	struct pair P, *p = &P;
	open_pair(p, MS(10), NULL, NULL);
	struct h *h = p->h;
	uint32_t cseq = p->c0;
	client_says(p, SEC(1), "hello", &cseq);
	h_no_more(h);
	assert_int_equal(sk_sim_partition(h->sim, p->c, p->s, 1), 0);
	h_run_until(h, SEC(3602));
	h_no_more(h);
	assert_int_equal(sk_sim_partition(h->sim, p->c, p->s, 0), 0);
	assert_int_equal(h_state(h, p->c, p->cfd), SK_TCP_ESTABLISHED);
	assert_int_equal(h_state(h, p->s, p->afd), SK_TCP_ESTABLISHED);
	h_run_until(h, SEC(3610));
	assert_int_equal(sk_send(SST(p), p->afd, "back", 4, 0), 4);
	h_run_until(h, SEC(3611));
	h_expect(h_next(h), SEC(3610), p->s, "P.", p->s0, cseq, 4);
	h_expect(h_next(h), SEC(3610) + MS(10), p->c, ".", cseq, p->s0 + 4, 0);
	h_no_more(h);
	char b[8];
	assert_int_equal(sk_recv(CST(p), p->cfd, b, sizeof(b), 0), 4);
	assert_memory_equal(b, "back", 4);
	assert_int_equal(ctr(h, p->c, SK_MIB_RetransSegs) + ctr(h, p->s, SK_MIB_RetransSegs), 0);
	h_free(h);
}

/* A4: during the failure the client wrote and gave up (ETIMEDOUT, no RST,
 * as A3). After the repair the server, which never noticed, writes: the
 * client has no connection any more and answers [R] with seq = the
 * server's ACK field, exactly its RCV.NXT: the server gets ECONNRESET. */
static void a4_side_that_timed_out_resets_the_other(void **state)
{
	(void)state;
	static const char *const cknobs[] = { "tcp_retries2=3", "tcp_sack=0", NULL };
	struct pair P, *p = &P;
	open_pair(p, MS(5), cknobs, NULL);
	struct h *h = p->h;
	h_run_until(h, SEC(1));
	assert_int_equal(sk_sim_partition(h->sim, p->c, p->s, 1), 0);
	h_run_until(h, SEC(2));
	assert_int_equal(sk_send(CST(p), p->cfd, "x", 1, 0), 1);
	h_run_until(h, SEC(100));
	expect_backoff(h, p->c, SEC(2), MS(210), 4, p->c0, p->s0);
	h_no_more(h);
	assert_int_equal(when(h, p->c, p->cport, PORT, SK_TCP_ESTABLISHED, SK_TCP_CLOSE),
			 SEC(2) + MS(6510));
	assert_int_equal(so_error(h, p->c, p->cfd), ETIMEDOUT);
	assert_int_equal(sk_sim_partition(h->sim, p->c, p->s, 0), 0);
	h_run_until(h, SEC(200));
	assert_int_equal(sk_send(SST(p), p->afd, "late", 4, 0), 4);
	h_run_until(h, SEC(201));
	h_expect(h_next(h), SEC(200), p->s, "P.", p->s0, p->c0, 4);
	h_expect(h_next(h), SEC(200) + MS(5), p->c, "R", p->c0, 0, 0);
	h_no_more(h);
	assert_int_equal(when(h, p->s, PORT, p->cport, SK_TCP_ESTABLISHED, SK_TCP_CLOSE),
			 SEC(200) + MS(10));
	char b[8];
	assert_int_equal(sk_recv(SST(p), p->afd, b, sizeof(b), 0), -ECONNRESET);
	assert_int_equal(ctr(h, p->s, SK_MIB_EstabResets), 1);
	h_free(h);
}

/* ================================ A5 ================================ */

/* A5: the server process is killed while handling a request (its
 * descriptors, the listener's and the connection's, are closed): its stack
 * sends FIN; the client reads EOF; its next write draws a RST and the one
 * after fails with EPIPE (R3); a new connection is refused. */
static void a5_peer_killed_fin_eof_then_rst_epipe(void **state)
{
	(void)state;
	struct pair P, *p = &P;
	open_pair(p, MS(10), NULL, NULL);
	struct h *h = p->h;
	uint32_t cseq = p->c0;
	client_says(p, MS(500), "GET", &cseq);
	h_run_until(h, SEC(1));
	assert_int_equal(sk_close(SST(p), p->afd), 0); /* killed: every fd closed */
	assert_int_equal(sk_close(SST(p), p->lfd), 0);
	h_run_until(h, SEC(2));
	h_expect(h_next(h), SEC(1), p->s, "F.", p->s0, cseq, 0);
	expect_between(h_next(h), SEC(1) + MS(10), SEC(1) + MS(14), p->c, ".", cseq, p->s0 + 1, 0);
	h_no_more(h);
	char b[8];
	assert_int_equal(sk_recv(CST(p), p->cfd, b, sizeof(b), 0), 0);
	assert_int_equal(sk_send(CST(p), p->cfd, "more", 4, 0), 4);
	h_run_until(h, SEC(3));
	h_expect(h_next(h), SEC(2), p->c, "P.", cseq, p->s0 + 1, 4);
	h_expect(h_next(h), SEC(2) + MS(10), p->s, "R", p->s0 + 1, 0, 0);
	h_no_more(h);
	assert_int_equal(sk_send(CST(p), p->cfd, "more", 4, MSG_NOSIGNAL), -EPIPE);
	assert_int_equal(sk_recv(CST(p), p->cfd, b, sizeof(b), 0), 0);
	assert_int_equal(h_nsockets(h, p->s), 0);

	int fd2 = h_connect(h, p->c, S_ADDR, PORT);
	h_run_until(h, SEC(4));
	const struct h_pkt *syn = h_next(h);
	h_expect(syn, SEC(3), p->c, "S", syn->tcp.seq, 0, 0);
	h_expect(h_next(h), SEC(3) + MS(10), p->s, "R.", 0, syn->tcp.seq + 1, 0);
	h_no_more(h);
	assert_int_equal(so_error(h, p->c, fd2), ECONNREFUSED);
	h_free(h);
}

/* A5: killed with a request it had not read yet: the stack resets the
 * connection instead of closing it ([R.] seq SND.NXT ack RCV.NXT,
 * TCPAbortOnClose); the client reads ECONNRESET, then 0; writes fail. */
static void a5_peer_killed_with_unread_data_resets(void **state)
{
	(void)state;
	struct pair P, *p = &P;
	open_pair(p, MS(10), NULL, NULL);
	struct h *h = p->h;
	h_run_until(h, MS(500));
	assert_int_equal(sk_send(CST(p), p->cfd, "GET", 3, 0), 3);
	h_run_until(h, SEC(1));
	h_expect(h_next(h), MS(500), p->c, "P.", p->c0, p->s0, 3);
	h_expect(h_next(h), MS(510), p->s, ".", p->s0, p->c0 + 3, 0);
	assert_int_equal(sk_close(SST(p), p->afd), 0);
	assert_int_equal(sk_close(SST(p), p->lfd), 0);
	h_run_until(h, SEC(2));
	h_expect(h_next(h), SEC(1), p->s, "R.", p->s0, p->c0 + 3, 0);
	h_no_more(h);
	assert_int_equal(ctr(h, p->s, SK_MIB_TCPAbortOnClose), 1);
	char b[8];
	assert_int_equal(sk_recv(CST(p), p->cfd, b, sizeof(b), 0), -ECONNRESET);
	assert_int_equal(sk_recv(CST(p), p->cfd, b, sizeof(b), 0), 0);
	assert_int_equal(sk_send(CST(p), p->cfd, "x", 1, MSG_NOSIGNAL), -EPIPE);
	assert_int_equal(ctr(h, p->c, SK_MIB_EstabResets), 1);
	assert_int_equal(h_nsockets(h, p->s), 0);
	h_free(h);
}

/* ================================ A6 ================================ */

/* A6: the server's port is closed while the host stays up: its
 * application reset the connection (SO_LINGER 0) and closed the
 * listener, but that RST was lost. The client's next segment finds no
 * socket and is answered [R] seq = its ACK field: ECONNRESET. */
static void a6_closed_port_host_up_resets(void **state)
{
	(void)state;
	struct pair P, *p = &P;
	open_pair(p, MS(10), NULL, NULL);
	struct h *h = p->h;
	h_run_until(h, SEC(1));
	struct sk_path down = { .delay_ns = MS(10), .down = 1 };
	assert_int_equal(sk_sim_set_path(h->sim, p->s, p->c, &down), 0);
	linger0(SST(p), p->afd);
	assert_int_equal(sk_close(SST(p), p->afd), 0);
	assert_int_equal(sk_close(SST(p), p->lfd), 0);
	h_run_until(h, SEC(2));
	h_expect(h_next(h), SEC(1), p->s, "R.", p->s0, p->c0, 0); /* lost */
	h_no_more(h);
	struct sk_path up = { .delay_ns = MS(10) };
	assert_int_equal(sk_sim_set_path(h->sim, p->s, p->c, &up), 0);
	assert_int_equal(h_state(h, p->c, p->cfd), SK_TCP_ESTABLISHED);
	assert_int_equal(sk_send(CST(p), p->cfd, "x", 1, 0), 1);
	h_run_until(h, SEC(3));
	h_expect(h_next(h), SEC(2), p->c, "P.", p->c0, p->s0, 1);
	h_expect(h_next(h), SEC(2) + MS(10), p->s, "R", p->s0, 0, 0);
	h_no_more(h);
	assert_int_equal(when(h, p->c, p->cport, PORT, SK_TCP_ESTABLISHED, SK_TCP_CLOSE),
			 SEC(2) + MS(20));
	char b[4];
	assert_int_equal(sk_recv(CST(p), p->cfd, b, sizeof(b), 0), -ECONNRESET);
	assert_int_equal(ctr(h, p->s, SK_MIB_OutRsts), 2);
	assert_int_equal(ctr(h, p->c, SK_MIB_EstabResets), 1);
	h_free(h);
}

/* A6: the connection is gone but a listener still holds the port: an ACK
 * segment for no connection gets the same RST from the listener. */
static void a6_closed_connection_listener_open_resets(void **state)
{
	(void)state;
	struct pair P, *p = &P;
	open_pair(p, MS(10), NULL, NULL);
	struct h *h = p->h;
	h_run_until(h, SEC(1));
	struct sk_path down = { .delay_ns = MS(10), .down = 1 };
	assert_int_equal(sk_sim_set_path(h->sim, p->s, p->c, &down), 0);
	linger0(SST(p), p->afd);
	assert_int_equal(sk_close(SST(p), p->afd), 0);
	h_run_until(h, SEC(2));
	h_expect(h_next(h), SEC(1), p->s, "R.", p->s0, p->c0, 0); /* lost */
	struct sk_path up = { .delay_ns = MS(10) };
	assert_int_equal(sk_sim_set_path(h->sim, p->s, p->c, &up), 0);
	assert_int_equal(sk_send(CST(p), p->cfd, "abc", 3, 0), 3);
	h_run_until(h, SEC(3));
	h_expect(h_next(h), SEC(2), p->c, "P.", p->c0, p->s0, 3);
	h_expect(h_next(h), SEC(2) + MS(10), p->s, "R", p->s0, 0, 0);
	h_no_more(h);
	assert_int_equal(so_error(h, p->c, p->cfd), ECONNRESET);
	assert_int_equal(h_state(h, p->s, p->lfd), SK_TCP_LISTEN);
	h_free(h);
}

/* ================================ A9 ================================ */

struct listing {
	int n;
	struct sk_sockinfo e[16];
};

static void collect(void *ctx, const struct sk_sockinfo *i)
{
	struct listing *l = ctx;
	if (l->n < 16)
		l->e[l->n++] = *i;
}

/* How many of the host's listed sockets are in `state` with peer port rport. */
static int listed(struct h *h, int host, int state, uint16_t rport)
{
	struct listing l = { 0 };
	sk_foreach_socket(h_st(h, host), collect, &l);
	int n = 0;
	for (int i = 0; i < l.n; i++)
		if (l.e[i].state == state && l.e[i].rport == rport)
			n++;
	return n;
}

static uint16_t local_port(struct sk_stack *st, int fd)
{
	struct sockaddr_in a;
	socklen_t alen = sizeof(a);
	assert_int_equal(sk_getsockname(st, fd, (struct sockaddr *)&a, &alen), 0);
	return ntohs(a.sin_port);
}

/* The client crashes and reboots at 1-2 s; its application connects again
 * at 3 s from a new port. The server still holds the old connection,
 * ESTABLISHED, next to the new one. Returns the new client fd. */
static int crash_and_reconnect(struct pair *p, int *afd2, uint16_t *port2)
{
	struct h *h = p->h;
	h_run_until(h, SEC(1));
	assert_int_equal(sk_sim_crash(h->sim, p->c), 0);
	h_run_until(h, SEC(2));
	assert_int_equal(sk_sim_reboot(h->sim, p->c), 0);
	h_run_until(h, SEC(3));
	int cfd2 = h_connect(h, p->c, S_ADDR, PORT);
	*port2 = local_port(CST(p), cfd2);
	assert_int_not_equal(*port2, p->cport);
	h_run_until(h, SEC(3) + MS(30));
	const struct h_pkt *syn = h_next(h);
	h_expect(syn, SEC(3), p->c, "S", syn->tcp.seq, 0, 0);
	const struct h_pkt *sa = h_next(h);
	h_expect(sa, SEC(3) + MS(10), p->s, "S.", sa->tcp.seq, syn->tcp.seq + 1, 0);
	h_expect(h_next(h), SEC(3) + MS(20), p->c, ".", syn->tcp.seq + 1, sa->tcp.seq + 1, 0);
	h_no_more(h);
	*afd2 = sk_accept(SST(p), p->lfd, NULL, NULL);
	assert_true(*afd2 >= 0);
	/* the pile-up: both connections ESTABLISHED on the server */
	assert_int_equal(listed(h, p->s, SK_TCP_ESTABLISHED, p->cport), 1);
	assert_int_equal(listed(h, p->s, SK_TCP_ESTABLISHED, *port2), 1);
	assert_int_equal(listed(h, p->s, SK_TCP_LISTEN, 0), 1);
	return cfd2;
}

/* A9: the stale entry stays until the server writes on it: the rebooted
 * client answers [R] seq = the server's RCV.NXT, the write's caller sees
 * ECONNRESET and the entry is gone; the new connection is untouched. */
static void a9_half_open_pileup_cleared_by_write(void **state)
{
	(void)state;
	struct pair P, *p = &P;
	open_pair(p, MS(10), NULL, NULL);
	struct h *h = p->h;
	int afd2;
	uint16_t port2;
	crash_and_reconnect(p, &afd2, &port2);
	h_run_until(h, SEC(600));
	h_no_more(h);
	assert_int_equal(listed(h, p->s, SK_TCP_ESTABLISHED, p->cport), 1);
	assert_int_equal(sk_send(SST(p), p->afd, "news", 4, 0), 4);
	h_run_until(h, SEC(601));
	h_expect(h_next(h), SEC(600), p->s, "P.", p->s0, p->c0, 4);
	h_expect(h_next(h), SEC(600) + MS(10), p->c, "R", p->c0, 0, 0);
	h_no_more(h);
	assert_int_equal(when(h, p->s, PORT, p->cport, SK_TCP_ESTABLISHED, SK_TCP_CLOSE),
			 SEC(600) + MS(20));
	char b[8];
	assert_int_equal(sk_recv(SST(p), p->afd, b, sizeof(b), 0), -ECONNRESET);
	assert_int_equal(listed(h, p->s, SK_TCP_ESTABLISHED, p->cport), 0);
	assert_int_equal(listed(h, p->s, SK_TCP_ESTABLISHED, port2), 1);
	assert_int_equal(h_state(h, p->s, afd2), SK_TCP_ESTABLISHED);
	h_free(h);
}

/* A9: or until the server's keepalive probes it: TCP_KEEPIDLE 60 after the
 * last segment it received (the handshake's ACK, at 30 ms), the probe
 * draws the RST. */
static void a9_half_open_cleared_by_keepalive(void **state)
{
	(void)state;
	struct pair P, *p = &P;
	open_pair(p, MS(10), NULL, NULL);
	struct h *h = p->h;
	set_keepalive(SST(p), p->afd, 60, 10, 3);
	int afd2;
	uint16_t port2;
	crash_and_reconnect(p, &afd2, &port2);
	h_run_until(h, SEC(61));
	h_expect(h_next(h), SEC(60) + MS(30), p->s, ".", p->s0 - 1, p->c0, 0);
	h_expect(h_next(h), SEC(60) + MS(40), p->c, "R", p->c0, 0, 0);
	h_no_more(h);
	assert_int_equal(when(h, p->s, PORT, p->cport, SK_TCP_ESTABLISHED, SK_TCP_CLOSE),
			 SEC(60) + MS(50));
	assert_int_equal(so_error(h, p->s, p->afd), ECONNRESET);
	assert_int_equal(listed(h, p->s, SK_TCP_ESTABLISHED, p->cport), 0);
	assert_int_equal(listed(h, p->s, SK_TCP_ESTABLISHED, port2), 1);
	assert_int_equal(ctr(h, p->s, SK_MIB_TCPKeepAlive), 1);
	h_free(h);
}

static int bound_connect(struct h *h, int host, uint16_t lport)
{
	struct sk_stack *st = h_st(h, host);
	int fd = sk_socket(st, AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	assert_true(fd >= 0);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(lport) };
	assert_int_equal(sk_bind(st, fd, (struct sockaddr *)&a, sizeof(a)), 0);
	struct sockaddr_in d = { .sin_family = AF_INET, .sin_port = htons(PORT),
				 .sin_addr.s_addr = htonl(S_ADDR) };
	assert_int_equal(sk_connect(st, fd, (struct sockaddr *)&d, sizeof(d)), -EINPROGRESS);
	return fd;
}

/* A9 with R2 (RFC 5961 §4): the rebooted client comes back from the same
 * port. Its SYN hits the stale ESTABLISHED connection and gets a challenge
 * ACK; the client, in SYN_SENT, answers that unacceptable ACK with [R]
 * seq = its ACK field, which is exactly the stale connection's RCV.NXT, so
 * the server drops it. Linux then resends the SYN after TCP_TIMEOUT_MIN
 * (2 jiffies: 9 ms measured at HZ 250; 2 ms at HZ 1000) instead of waiting
 * for the 1 s RTO ("Previous FIN/ACK or RST/ACK might be ignored"), and
 * that SYN opens a new connection. */
static void a9_reconnect_same_port_challenge_ack_clears_stale(void **state)
{
	(void)state;
	struct h *h = h_new();
	int c = h_host(h, "client", C_ADDR, NULL);
	int s = h_host(h, "server", S_ADDR, NULL);
	struct sk_path path = { .delay_ns = MS(10) };
	assert_int_equal(sk_sim_set_link(h->sim, c, s, &path), 0);
	int lfd = h_listen(h, s, PORT, 16);
	bound_connect(h, c, 40000);
	h_run_until(h, MS(30));
	const struct h_pkt *syn = h_next(h);
	const struct h_pkt *sa = h_next(h);
	uint32_t c0 = syn->tcp.seq + 1, s0 = sa->tcp.seq + 1;
	h_expect(h_next(h), MS(20), c, ".", c0, s0, 0);
	h_no_more(h);
	int afd = sk_accept(h_st(h, s), lfd, NULL, NULL);
	assert_true(afd >= 0);

	h_run_until(h, SEC(1));
	assert_int_equal(sk_sim_reboot(h->sim, c), 0);
	h_run_until(h, SEC(2));
	int cfd = bound_connect(h, c, 40000);
	h_run_until(h, SEC(2) + MS(100));
	const struct h_pkt *syn2 = h_next(h);
	h_expect(syn2, SEC(2), c, "S", syn2->tcp.seq, 0, 0);
	uint32_t iss2 = syn2->tcp.seq;
	assert_int_not_equal(iss2 + 1, c0);
	h_expect(h_next(h), SEC(2) + MS(10), s, ".", s0, c0, 0);     /* challenge ACK */
	h_expect(h_next(h), SEC(2) + MS(20), c, "R", c0, 0, 0);      /* from SYN_SENT */
	const struct h_pkt *syn3 = h_next(h);                         /* 2 jiffies later */
	expect_between(syn3, SEC(2) + MS(22), SEC(2) + MS(28), c, "S", iss2, 0, 0);
	uint64_t t3 = syn3->t_ns;
	const struct h_pkt *sa2 = h_next(h);
	h_expect(sa2, t3 + MS(10), s, "S.", sa2->tcp.seq, iss2 + 1, 0);
	h_expect(h_next(h), t3 + MS(20), c, ".", iss2 + 1, sa2->tcp.seq + 1, 0);
	h_no_more(h);
	assert_int_equal(when(h, s, PORT, 40000, SK_TCP_ESTABLISHED, SK_TCP_CLOSE),
			 SEC(2) + MS(30));
	assert_int_equal(so_error(h, s, afd), ECONNRESET);
	assert_int_equal(ctr(h, s, SK_MIB_TCPSYNChallenge), 1);
	assert_int_equal(ctr(h, s, SK_MIB_TCPChallengeACK), 1);
	assert_int_equal(ctr(h, s, SK_MIB_InErrs), 1);
	assert_int_equal(ctr(h, s, SK_MIB_EstabResets), 1);
	assert_int_equal(h_state(h, c, cfd), SK_TCP_ESTABLISHED);
	int afd2 = sk_accept(h_st(h, s), lfd, NULL, NULL);
	assert_true(afd2 >= 0);
	assert_int_equal(h_state(h, s, afd2), SK_TCP_ESTABLISHED);
	h_run_until(h, SEC(10));
	h_no_more(h);
	h_free(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(r2_rst_exact_seq_resets),
		cmocka_unit_test(r2_rst_in_window_gets_challenge_ack),
		cmocka_unit_test(r2_rst_out_of_window_dropped),
		cmocka_unit_test(r2_rst_after_fin_at_rcv_nxt_minus_1_resets),
		cmocka_unit_test(r2_rst_at_rightmost_sack_block_resets),
		cmocka_unit_test(r2_syn_on_established_gets_challenge_ack),
		cmocka_unit_test(r2_challenge_ack_per_socket_500ms),
		cmocka_unit_test(r2_challenge_ack_host_limit),
		cmocka_unit_test(r2_challenge_ack_default_unlimited),
		cmocka_unit_test(r3_rst_then_recv_econnreset_once),
		cmocka_unit_test(r3_rst_then_send_first),
		cmocka_unit_test(r3_write_to_closed_peer_rst_then_epipe),
		cmocka_unit_test(a2_rebooted_peer_answers_rst),
		cmocka_unit_test(a2_rebooted_peer_listening_again_answers_rst),
		cmocka_unit_test(a7_keepalive_rebooted_peer_resets),
		cmocka_unit_test(a7_received_segment_restarts_idle_timer),
		cmocka_unit_test(a7_out_of_window_segment_does_not_restart_idle_timer),
		cmocka_unit_test(a3_partition_retransmits_until_etimedout),
		cmocka_unit_test(a3_icmp_host_unreachable_is_soft_error),
		cmocka_unit_test(a3_connect_during_outage_fails_at_once),
		cmocka_unit_test(a4_idle_partition_of_an_hour_survives),
		cmocka_unit_test(a4_side_that_timed_out_resets_the_other),
		cmocka_unit_test(a5_peer_killed_fin_eof_then_rst_epipe),
		cmocka_unit_test(a5_peer_killed_with_unread_data_resets),
		cmocka_unit_test(a6_closed_port_host_up_resets),
		cmocka_unit_test(a6_closed_connection_listener_open_resets),
		cmocka_unit_test(a9_half_open_pileup_cleared_by_write),
		cmocka_unit_test(a9_half_open_cleared_by_keepalive),
		cmocka_unit_test(a9_reconnect_same_port_challenge_ack_clears_stale),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
