/* Lost segments during set-up and tear-down: BEHAVIOR.md H6, H7, H8, C5,
 * C6, C7, C8.
 *
 * Each test loses exactly the segments it names, either by taking one
 * direction of a path down for an interval, by crashing the peer, or by
 * playing the peer from a raw host that simply does not send (or sends a
 * forged segment). Paths between two stacks have 10 ms of delay each way,
 * so after the handshake both ends measured an RTT of 20 ms and their RTO
 * is exactly 20 + max(2 x 20, 200) = 220 ms (Linux: srtt + max(4 x mdev,
 * rto_min), no jiffy rounding at that value). Times, flags, sequence and
 * acknowledgment numbers are exact.
 *
 * Linux reference: this machine's kernel, 6.18 (HZ=250), checked with
 * python3 sockets in throwaway network namespaces against a peer scripted
 * on a TUN device (the peer sends exactly the segments of the test and
 * records what the kernel sends), plus `ss` and `nstat`:
 *
 * H6  listener, the client never answers: SYN-ACKs at 0, 1, 3, 7, 15, 31 s,
 *     the request gone at 63 s (ss), no RST; with tcp_synack_retries=2 at
 *     0, 1, 3 s and gone at 7 s. Counters for synack_retries=2: RetransSegs
 *     2, TCPTimeouts 3 (every expiry, the last too), AttemptFails 0,
 *     TCPAbortOnTimeout 0 (a request socket is not a socket: no state
 *     change is counted).
 *     A retransmitted SYN for a request in SYN_RECV is answered at once
 *     with the SYN-ACK (tcp_check_req -> inet_rtx_syn_ack), at most one per
 *     500 ms (tcp_oow_rate_limited on the request's last_oow_ack_time;
 *     TCPACKSkippedSynRecv counts the silenced one), and each such resend
 *     re-arms the request timer to now + 1 s << num_timeout
 *     (mod_timer_pending): SYN at 0, timer SYN-ACK at 1 s, dup SYN at 1.5
 *     -> SYN-ACK 1.5; dup SYN at 1.7 -> nothing; dup SYN at 2.6 -> SYN-ACK
 *     2.6; next timer SYN-ACK at 4.6 s (not 3 s). RetransSegs counts all
 *     four.
 *     A client in ESTABLISHED answers a retransmitted SYN-ACK with an ACK
 *     (RFC 5961 challenge ACK: TCPSYNChallenge, TCPChallengeACK), at most
 *     one per 500 ms (TCPACKSkippedChallenge).
 * H7  a request in SYN_RECV is completed by a data segment carrying the
 *     ACK: accept() returns it, the data is there, and the first data is
 *     ACKed at once. After the request expired, the client's data is
 *     answered by the listener with [R] seq = its ACK field, window 0; the
 *     client's recv gives ECONNRESET, then 0, send gives EPIPE;
 *     EstabResets 1.
 * H8  RST with seq = RCV.NXT in SYN_RECV drops the request silently
 *     (AttemptFails 1, EmbryonicRsts 1); a fresh SYN then completes. A
 *     different SYN arriving while the request lives: inside its window it
 *     is answered [R.] seq 0 ack SEG.SEQ+1 and the request is dropped
 *     (AttemptFails 1, OutRsts 1); outside, it gets a bare ACK (seq ISS+1,
 *     ack RCV.NXT) and the request stays.
 *     A client in SYN_SENT answers a SYN-ACK whose ACK is not ISS+1 with [R]
 *     seq = SEG.ACK, window 0, and stays SYN_SENT; since it has not
 *     retransmitted yet it re-arms its timer to TCP_TIMEOUT_MIN ("Previous
 *     FIN/ACK or RST/ACK might be ignored", tcp_rcv_synsent_state_process),
 *     so the SYN goes again 2 jiffies later (measured 9.5 ms at HZ=250; the
 *     model's jiffy is 1 ms, so 2 ms here). The right SYN-ACK then
 *     completes the handshake.
 * C5  an orphan's unacknowledged FIN is retransmitted with backoff and the
 *     connection dropped silently (no RST; TCPAbortOnTimeout 1) when
 *     tcp_orphan_retries' time is up: Linux's retransmits_timed_out with
 *     tcp_model_timeout(retries, 200 ms), counted from retrans_stamp, which
 *     6.x takes at the FIRST RETRANSMISSION (tcp_retransmit_skb saves the
 *     skb's timestamp after __tcp_retransmit_skb restamped it). Measured:
 *     tcp_orphan_retries=1 -> 2 retransmissions, =2 -> 3, =3 -> 4; data with
 *     tcp_retries2=3 -> 4 retransmissions then ETIMEDOUT. With RTT 20 ms and
 *     the default (0, meaning 8): 8 retransmissions, gone at the 9th expiry.
 * C6  in CLOSE_WAIT a retransmitted FIN is ACKed at once, every time (a FIN
 *     counts as data for tcp_oow_rate_limited: two 200 ms apart both ACKed;
 *     DelayedACKLost), and when SACK was negotiated the ACK carries a D-SACK
 *     block [FIN, FIN+1) (RFC 2883; TCPDSACKOldSent). The first FIN's ACK,
 *     with no data received before, goes out after a delayed-ACK timeout
 *     of ato = 0, i.e. at the next timer tick (measured 3.3 ms at HZ=250):
 *     one jiffy, 1 ms, in this model (HZ=1000).
 * C7  an orphan in FIN_WAIT_2 lasts tcp_fin_timeout (10 s set: gone at
 *     10.02 s, silently; TcpExtTW 0) or TCP_LINGER2 (5: gone at 5.07 s); a
 *     FIN arriving later gets [R] seq = its ACK. After shutdown(SHUT_WR)
 *     FIN_WAIT_2 has no timer.
 * C8  TIME_WAIT ACKs every retransmitted FIN (FINs are not rate-limited)
 *     and restarts its 60 s: FINs at 0, 0.2, 0.6, 1.4, 3.0 s, TIME_WAIT
 *     gone at 63.47 s (ss).
 */
#include "harness.h"

#include <stdlib.h>
#include <string.h>

#define C_ADDR SK_IP(10, 0, 0, 1)
#define S_ADDR SK_IP(10, 0, 0, 2)
#define X_ADDR SK_IP(10, 0, 0, 9)
#define PORT 80
#define RAW_PORT 40000 /* the port a raw client plays from */
#define DELAY MS(10)
#define RTO MS(220)    /* both ends after a 20 ms handshake */

/* ---- helpers ---- */

struct find {
	uint16_t lport, rport;
	int state; /* 0: not found */
};

static void find_cb(void *ctx, const struct sk_sockinfo *i)
{
	struct find *f = ctx;
	if (i->lport == f->lport && i->rport == f->rport)
		f->state = i->state;
}

/* The state of the host's connection lport <-> rport as `ss` would list
 * it (a TIME-WAIT record, an orphan, a half-open child, a socket), or 0
 * when the host has none. */
static int conn_state(struct h *h, int host, uint16_t lport, uint16_t rport)
{
	struct find f = { lport, rport, 0 };
	sk_foreach_socket(h_st(h, host), find_cb, &f);
	return f.state;
}

/* When the log shows host's lport/rport connection going old -> new. */
static uint64_t when(const struct h *h, int host, uint16_t lport, uint16_t rport, int old_state,
		     int new_state)
{
	for (int i = 0; i < h->nevents; i++) {
		const struct h_event *e = &h->events[i];
		if (e->host == host && e->ev.kind == SK_EV_STATE && e->ev.lport == lport &&
		    e->ev.rport == rport && e->ev.old_state == old_state &&
		    e->ev.new_state == new_state)
			return e->t_ns;
	}
	fail_msg("host %d %u->%u never went %s -> %s", host, lport, rport, sk_state_name(old_state),
		 sk_state_name(new_state));
	return 0;
}

static void assert_when(const struct h *h, int host, uint16_t lport, uint16_t rport, int old_state,
			int new_state, uint64_t t_ns)
{
	uint64_t t = when(h, host, lport, rport, old_state, new_state);
	if (t != t_ns)
		fail_msg("host %d %s -> %s at %llu ns, want %llu ns", host, sk_state_name(old_state),
			 sk_state_name(new_state), (unsigned long long)t, (unsigned long long)t_ns);
}

/* One direction of a path: down or up, keeping its delay. */
static void path_down(struct h *h, int a, int b, int down)
{
	struct sk_path p;
	assert_int_equal(sk_sim_get_path(h->sim, a, b, &p), 0);
	p.down = down;
	assert_int_equal(sk_sim_set_path(h->sim, a, b, &p), 0);
}

static void path_delay(struct h *h, int a, int b, uint64_t delay_ns)
{
	struct sk_path p;
	assert_int_equal(sk_sim_get_path(h->sim, a, b, &p), 0);
	p.delay_ns = delay_ns;
	assert_int_equal(sk_sim_set_path(h->sim, a, b, &p), 0);
}

/* A segment from a raw host playing the client 10.0.0.1:40000 to the
 * server's port. SYNs offer MSS 1460 and nothing else. */
static void raw(struct h *h, int x, uint32_t seq, uint32_t ack, uint8_t flags, const char *data)
{
	struct h_seg s = {
		.src = C_ADDR, .dst = S_ADDR, .sport = RAW_PORT, .dport = PORT,
		.seq = seq, .ack = ack, .flags = flags, .wnd = 65535,
		.data = data, .len = data ? (uint32_t)strlen(data) : 0,
	};
	if (flags & TCP_SYN)
		s.opts = (struct tcp_opts){ .has = TCP_HAS_MSS, .mss = 1460 };
	h_send(h, x, &s);
}

/* The same, from a raw server to the client's port. */
static void raw_to(struct h *h, int x, uint16_t cport, uint32_t seq, uint32_t ack, uint8_t flags)
{
	struct h_seg s = { .src = S_ADDR, .dst = C_ADDR, .sport = PORT, .dport = cport,
			   .seq = seq, .ack = ack, .flags = flags, .wnd = 65535 };
	if (flags & TCP_SYN)
		s.opts = (struct tcp_opts){ .has = TCP_HAS_MSS, .mss = 1460 };
	h_send(h, x, &s);
}

static uint64_t ctr(struct h *h, int host, enum sk_counter c)
{
	return sk_counter(h_st(h, host), c);
}

static uint16_t local_port(struct h *h, int host, int fd)
{
	struct sockaddr_in a;
	socklen_t len = sizeof(a);
	assert_int_equal(sk_getsockname(h_st(h, host), fd, (struct sockaddr *)&a, &len), 0);
	return ntohs(a.sin_port);
}

/* Two stacks over 10 ms paths, connected and accepted; the listener is
 * closed (accepted connections do not mind, L6). SYN at 0, SYN-ACK at
 * 10 ms, ACK at 20 ms; every captured packet is taken. */

static void open_pair(struct h_pair *p, const char *const *cknobs, const char *const *sknobs)
{
	h_pair_open(p, DELAY, PORT, cknobs, sknobs);
}

/* The lost-FIN tests run without SACK: with SACK, Linux's first resend of
 * a lone FIN is a tail loss probe (RFC 8985), which re-arms the RTO from
 * the probe without backoff; the schedules below are Linux's without it,
 * as measured (user_timeout in docs/conformance.md shows the probe). */
static const char *const NO_SACK[] = { "tcp_sack=0", NULL };

/* Each end's entry for the pair's connection: its state, or 0 once gone. */
#define CSTATE(p) conn_state((p)->h, (p)->c, (p)->cport, PORT)
#define SSTATE(p) conn_state((p)->h, (p)->s, PORT, (p)->cport)

/* ================= H6: SYN-ACK lost ================= */

/* H6, the server alone: a client (raw) that never answers gets the
 * SYN-ACK again at 1, 3, 7, 15 and 31 s (tcp_synack_retries 5, the same
 * ISN); the half-open connection is dropped silently at 63 s. Counters as
 * Linux: the request's timer counts every expiry in TCPTimeouts, the
 * retransmissions in RetransSegs, and nothing else. */
static void h6_synack_retries_default(void **state)
{
	struct h *h = h_new();
	*state = h;
	int s = h_host(h, "server", S_ADDR, NULL);
	int x = h_raw(h, "client", C_ADDR);
	int lfd = h_listen(h, s, PORT, 16);
	raw(h, x, 1000, 0, TCP_SYN, NULL);
	h_run_until(h, SEC(63) - 1);
	h_expect(h_next(h), 0, x, "S", 1000, 0, 0);
	const struct h_pkt *sa = h_next(h);
	h_expect(sa, 0, s, "S.", sa->tcp.seq, 1001, 0);
	uint32_t y = sa->tcp.seq;
	static const unsigned at[] = { 1, 3, 7, 15, 31 };
	for (int i = 0; i < 5; i++)
		h_expect(h_next(h), SEC(at[i]), s, "S.", y, 1001, 0);
	h_no_more(h);
	assert_int_equal(conn_state(h, s, PORT, RAW_PORT), SK_TCP_SYN_RECV);
	h_run_until(h, SEC(63));
	assert_int_equal(conn_state(h, s, PORT, RAW_PORT), 0);
	assert_int_equal(h_nsockets(h, s), 1); /* the listener */
	assert_when(h, s, PORT, RAW_PORT, SK_TCP_SYN_RECV, SK_TCP_CLOSE, SEC(63));
	assert_int_equal(sk_accept(h_st(h, s), lfd, NULL, NULL), -EAGAIN);
	h_run_until(h, SEC(100));
	h_no_more(h); /* dropped silently */
	assert_int_equal(ctr(h, s, SK_MIB_RetransSegs), 5);
	assert_int_equal(ctr(h, s, SK_MIB_TCPTimeouts), 6);
	assert_int_equal(ctr(h, s, SK_MIB_AttemptFails), 0);
	assert_int_equal(ctr(h, s, SK_MIB_TCPAbortOnTimeout), 0);
	assert_int_equal(ctr(h, s, SK_MIB_PassiveOpens), 0);
	*state = NULL;
	h_free(h);
}

/* H6 with tcp_synack_retries = 2: SYN-ACKs at 0, 1, 3 s, dropped at 7 s. */
static void h6_synack_retries_2(void **state)
{
	static const char *const knobs[] = { "tcp_synack_retries=2", NULL };
	struct h *h = h_new();
	*state = h;
	int s = h_host(h, "server", S_ADDR, knobs);
	int x = h_raw(h, "client", C_ADDR);
	h_listen(h, s, PORT, 16);
	raw(h, x, 1000, 0, TCP_SYN, NULL);
	h_run_until(h, SEC(7) - 1);
	h_expect(h_next(h), 0, x, "S", 1000, 0, 0);
	const struct h_pkt *sa = h_next(h);
	h_expect(sa, 0, s, "S.", sa->tcp.seq, 1001, 0);
	h_expect(h_next(h), SEC(1), s, "S.", sa->tcp.seq, 1001, 0);
	h_expect(h_next(h), SEC(3), s, "S.", sa->tcp.seq, 1001, 0);
	h_no_more(h);
	assert_int_equal(conn_state(h, s, PORT, RAW_PORT), SK_TCP_SYN_RECV);
	h_run_until(h, SEC(7));
	assert_int_equal(conn_state(h, s, PORT, RAW_PORT), 0);
	h_run_until(h, SEC(20));
	h_no_more(h);
	assert_int_equal(ctr(h, s, SK_MIB_RetransSegs), 2);
	assert_int_equal(ctr(h, s, SK_MIB_TCPTimeouts), 3);
	assert_int_equal(ctr(h, s, SK_MIB_AttemptFails), 0);
	assert_int_equal(ctr(h, s, SK_MIB_TCPAbortOnTimeout), 0);
	*state = NULL;
	h_free(h);
}

/* H6, the server and a retransmitted SYN: it is answered at once with the
 * SYN-ACK, at most once per 500 ms, and each such answer restarts the
 * SYN-ACK timer from now (1 s << expiries so far), exactly as measured on
 * Linux: timer 1 s; dup SYN 1.5 s -> SYN-ACK; dup SYN 1.7 s -> none; dup
 * SYN 2.6 s -> SYN-ACK; timer 4.6 s (not 3 s), then 8.6 s. The client's
 * ACK then completes the connection. */
static void h6_dup_syn_answered_rate_limited_rearms(void **state)
{
	struct h *h = h_new();
	*state = h;
	int s = h_host(h, "server", S_ADDR, NULL);
	int x = h_raw(h, "client", C_ADDR);
	int lfd = h_listen(h, s, PORT, 16);
	raw(h, x, 1000, 0, TCP_SYN, NULL);
	h_run_until(h, MS(1500));
	h_expect(h_next(h), 0, x, "S", 1000, 0, 0);
	const struct h_pkt *sa = h_next(h);
	h_expect(sa, 0, s, "S.", sa->tcp.seq, 1001, 0);
	uint32_t y = sa->tcp.seq;
	h_expect(h_next(h), SEC(1), s, "S.", y, 1001, 0);
	h_no_more(h);

	raw(h, x, 1000, 0, TCP_SYN, NULL);
	h_run_until(h, MS(1700));
	h_expect(h_next(h), MS(1500), x, "S", 1000, 0, 0);
	h_expect(h_next(h), MS(1500), s, "S.", y, 1001, 0);
	h_no_more(h);

	raw(h, x, 1000, 0, TCP_SYN, NULL); /* 200 ms later: not answered */
	h_run_until(h, MS(2600));
	h_expect(h_next(h), MS(1700), x, "S", 1000, 0, 0);
	h_no_more(h);

	raw(h, x, 1000, 0, TCP_SYN, NULL);
	h_run_until(h, SEC(9));
	h_expect(h_next(h), MS(2600), x, "S", 1000, 0, 0);
	h_expect(h_next(h), MS(2600), s, "S.", y, 1001, 0);
	h_expect(h_next(h), MS(4600), s, "S.", y, 1001, 0);
	h_expect(h_next(h), MS(8600), s, "S.", y, 1001, 0);
	h_no_more(h);
	assert_int_equal(ctr(h, s, SK_MIB_RetransSegs), 5);

	raw(h, x, 1001, y + 1, TCP_ACK, NULL);
	h_run_until(h, SEC(20));
	h_expect(h_next(h), SEC(9), x, ".", 1001, y + 1, 0);
	h_no_more(h);
	assert_int_equal(conn_state(h, s, PORT, RAW_PORT), SK_TCP_ESTABLISHED);
	assert_when(h, s, PORT, RAW_PORT, SK_TCP_SYN_RECV, SK_TCP_ESTABLISHED, SEC(9));
	assert_true(sk_accept(h_st(h, s), lfd, NULL, NULL) >= 0);
	*state = NULL;
	h_free(h);
}

/* H6, the client alone: its SYN went unanswered (the server's SYN-ACK was
 * lost), so it sends the SYN again at 1 s with the same ISN; the server
 * (raw) answers that one and the handshake completes at 1 s. */
static void h6_client_resends_syn(void **state)
{
	struct h *h = h_new();
	*state = h;
	int c = h_host(h, "client", C_ADDR, NULL);
	int x = h_raw(h, "server", S_ADDR);
	int fd = h_connect(h, c, S_ADDR, PORT);
	uint16_t cport = local_port(h, c, fd);
	h_run_until(h, SEC(1) - 1);
	const struct h_pkt *syn = h_next(h);
	h_expect(syn, 0, c, "S", syn->tcp.seq, 0, 0);
	uint32_t isn = syn->tcp.seq;
	h_no_more(h);
	assert_int_equal(h_state(h, c, fd), SK_TCP_SYN_SENT);
	h_run_until(h, SEC(1));
	h_expect(h_next(h), SEC(1), c, "S", isn, 0, 0);
	h_no_more(h);
	raw_to(h, x, cport, 5000, isn + 1, TCP_SYN | TCP_ACK);
	h_run_until(h, SEC(2));
	h_expect(h_next(h), SEC(1), x, "S.", 5000, isn + 1, 0);
	h_expect(h_next(h), SEC(1), c, ".", isn + 1, 5001, 0);
	h_no_more(h);
	assert_int_equal(h_state(h, c, fd), SK_TCP_ESTABLISHED);
	assert_int_equal(ctr(h, c, SK_MIB_RetransSegs), 1);
	*state = NULL;
	h_free(h);
}

/* H6 end to end, the server's timer wins: the first SYN-ACK is lost; the
 * server resends it at 1.010 s (1 s after the SYN came) and the client,
 * which resent its SYN at 1 s (arriving late, at 1.030: the path's delay
 * grew to 30 ms), completes with it at 1.020. The late SYN still finds the
 * server in SYN_RECV and gets a SYN-ACK at once; the client, established,
 * answers that with an ACK (RFC 5961 challenge ACK). */
static void h6_synack_lost_timer_wins(void **state)
{
	struct h *h = h_new();
	*state = h;
	int c = h_host(h, "client", C_ADDR, NULL);
	int s = h_host(h, "server", S_ADDR, NULL);
	struct sk_path path = { .delay_ns = DELAY };
	assert_int_equal(sk_sim_set_link(h->sim, c, s, &path), 0);
	int lfd = h_listen(h, s, PORT, 16);
	path_down(h, s, c, 1);
	int fd = h_connect(h, c, S_ADDR, PORT);
	uint16_t cport = local_port(h, c, fd);
	h_run_until(h, MS(15));
	path_down(h, s, c, 0);
	h_run_until(h, MS(500));
	path_delay(h, c, s, MS(30));
	h_run_until(h, SEC(5));
	const struct h_pkt *syn = h_next(h);
	h_expect(syn, 0, c, "S", syn->tcp.seq, 0, 0);
	uint32_t c0 = syn->tcp.seq + 1;
	const struct h_pkt *sa = h_next(h);
	h_expect(sa, MS(10), s, "S.", sa->tcp.seq, c0, 0); /* lost */
	uint32_t s0 = sa->tcp.seq + 1;
	h_expect(h_next(h), MS(1000), c, "S", c0 - 1, 0, 0);
	h_expect(h_next(h), MS(1010), s, "S.", s0 - 1, c0, 0);
	h_expect(h_next(h), MS(1020), c, ".", c0, s0, 0);
	h_expect(h_next(h), MS(1030), s, "S.", s0 - 1, c0, 0); /* for the late SYN */
	h_expect(h_next(h), MS(1040), c, ".", c0, s0, 0);      /* challenge ACK */
	h_no_more(h);
	assert_when(h, c, cport, PORT, SK_TCP_SYN_SENT, SK_TCP_ESTABLISHED, MS(1020));
	assert_when(h, s, PORT, cport, SK_TCP_SYN_RECV, SK_TCP_ESTABLISHED, MS(1050));
	assert_true(sk_accept(h_st(h, s), lfd, NULL, NULL) >= 0);
	assert_int_equal(ctr(h, c, SK_MIB_TCPSYNChallenge), 1);
	assert_int_equal(ctr(h, c, SK_MIB_TCPChallengeACK), 1);
	assert_int_equal(ctr(h, s, SK_MIB_RetransSegs), 2);
	*state = NULL;
	h_free(h);
}

/* H6 end to end, the client's SYN wins: the SYN-ACKs at 10 ms and 1.010 s
 * are both lost; the client's SYN resent at 1 s arrives at 1.030 and is
 * answered at once; the handshake completes from it. */
static void h6_synack_lost_client_syn_wins(void **state)
{
	struct h *h = h_new();
	*state = h;
	int c = h_host(h, "client", C_ADDR, NULL);
	int s = h_host(h, "server", S_ADDR, NULL);
	struct sk_path path = { .delay_ns = DELAY };
	assert_int_equal(sk_sim_set_link(h->sim, c, s, &path), 0);
	int lfd = h_listen(h, s, PORT, 16);
	path_down(h, s, c, 1);
	int fd = h_connect(h, c, S_ADDR, PORT);
	uint16_t cport = local_port(h, c, fd);
	h_run_until(h, MS(500));
	path_delay(h, c, s, MS(30));
	h_run_until(h, MS(1015));
	path_down(h, s, c, 0);
	h_run_until(h, SEC(5));
	const struct h_pkt *syn = h_next(h);
	h_expect(syn, 0, c, "S", syn->tcp.seq, 0, 0);
	uint32_t c0 = syn->tcp.seq + 1;
	const struct h_pkt *sa = h_next(h);
	h_expect(sa, MS(10), s, "S.", sa->tcp.seq, c0, 0); /* lost */
	uint32_t s0 = sa->tcp.seq + 1;
	h_expect(h_next(h), MS(1000), c, "S", c0 - 1, 0, 0);
	h_expect(h_next(h), MS(1010), s, "S.", s0 - 1, c0, 0); /* lost */
	h_expect(h_next(h), MS(1030), s, "S.", s0 - 1, c0, 0); /* for the SYN */
	h_expect(h_next(h), MS(1040), c, ".", c0, s0, 0);
	h_no_more(h);
	assert_when(h, c, cport, PORT, SK_TCP_SYN_SENT, SK_TCP_ESTABLISHED, MS(1040));
	assert_when(h, s, PORT, cport, SK_TCP_SYN_RECV, SK_TCP_ESTABLISHED, MS(1070));
	assert_true(sk_accept(h_st(h, s), lfd, NULL, NULL) >= 0);
	*state = NULL;
	h_free(h);
}

/* ================= H7: third ACK lost ================= */

/* Client and server over 10 ms paths with the client's ACK at 20 ms lost:
 * the client is ESTABLISHED, the server still SYN_RECV. */
static void third_ack_lost(struct h **hp, int *c, int *s, int *lfd, int *cfd, uint16_t *cport,
			   uint32_t *c0, uint32_t *s0, const char *const *sknobs)
{
	struct h *h = *hp = h_new();
	*c = h_host(h, "client", C_ADDR, NULL);
	*s = h_host(h, "server", S_ADDR, sknobs);
	struct sk_path path = { .delay_ns = DELAY };
	assert_int_equal(sk_sim_set_link(h->sim, *c, *s, &path), 0);
	*lfd = h_listen(h, *s, PORT, 16);
	*cfd = h_connect(h, *c, S_ADDR, PORT);
	*cport = local_port(h, *c, *cfd);
	h_run_until(h, MS(15));
	path_down(h, *c, *s, 1);
	h_run_until(h, MS(25));
	path_down(h, *c, *s, 0);
	h_run_until(h, MS(50));
	const struct h_pkt *syn = h_next(h);
	h_expect(syn, 0, *c, "S", syn->tcp.seq, 0, 0);
	*c0 = syn->tcp.seq + 1;
	const struct h_pkt *sa = h_next(h);
	h_expect(sa, MS(10), *s, "S.", sa->tcp.seq, *c0, 0);
	*s0 = sa->tcp.seq + 1;
	h_expect(h_next(h), MS(20), *c, ".", *c0, *s0, 0); /* lost */
	h_no_more(h);
	assert_int_equal(h_state(h, *c, *cfd), SK_TCP_ESTABLISHED);
	assert_int_equal(conn_state(h, *s, PORT, *cport), SK_TCP_SYN_RECV);
	assert_int_equal(sk_accept(h_st(h, *s), *lfd, NULL, NULL), -EAGAIN);
}

/* H7: the client's first data segment carries the ACK; it completes the
 * server's side (accept() returns it, the data is there), is ACKed at once,
 * and the SYN-ACK timer never fires. */
static void h7_first_data_completes_server(void **state)
{
	struct h *h;
	int c, s, lfd, cfd;
	uint16_t cport;
	uint32_t c0, s0;
	third_ack_lost(&h, &c, &s, &lfd, &cfd, &cport, &c0, &s0, NULL);
	*state = h;
	h_run_until(h, MS(100));
	assert_int_equal(sk_send(h_st(h, c), cfd, "hello", 5, 0), 5);
	h_run_until(h, SEC(4));
	h_expect(h_next(h), MS(100), c, "P.", c0, s0, 5);
	h_expect(h_next(h), MS(110), s, ".", s0, c0 + 5, 0);
	h_no_more(h); /* no SYN-ACK at 1.010 s */
	assert_when(h, s, PORT, cport, SK_TCP_SYN_RECV, SK_TCP_ESTABLISHED, MS(110));
	int afd = sk_accept(h_st(h, s), lfd, NULL, NULL);
	assert_true(afd >= 0);
	char buf[8];
	assert_int_equal(sk_recv(h_st(h, s), afd, buf, sizeof(buf), 0), 5);
	assert_memory_equal(buf, "hello", 5);
	assert_int_equal(ctr(h, s, SK_MIB_PassiveOpens), 1);
	assert_int_equal(ctr(h, s, SK_MIB_RetransSegs), 0);
	*state = NULL;
	h_free(h);
}

/* H7 with nothing to send: the server resends its SYN-ACK at 1.010 s; the
 * established client answers it with an ACK (challenge ACK), which
 * completes the server at 1.030 s. */
static void h7_synack_resent_client_reacks(void **state)
{
	struct h *h;
	int c, s, lfd, cfd;
	uint16_t cport;
	uint32_t c0, s0;
	third_ack_lost(&h, &c, &s, &lfd, &cfd, &cport, &c0, &s0, NULL);
	*state = h;
	h_run_until(h, SEC(4));
	h_expect(h_next(h), MS(1010), s, "S.", s0 - 1, c0, 0);
	h_expect(h_next(h), MS(1020), c, ".", c0, s0, 0);
	h_no_more(h);
	assert_when(h, s, PORT, cport, SK_TCP_SYN_RECV, SK_TCP_ESTABLISHED, MS(1030));
	assert_true(sk_accept(h_st(h, s), lfd, NULL, NULL) >= 0);
	assert_int_equal(ctr(h, c, SK_MIB_TCPSYNChallenge), 1);
	assert_int_equal(ctr(h, c, SK_MIB_TCPChallengeACK), 1);
	*state = NULL;
	h_free(h);
}

/* H7, the server gives up first (tcp_synack_retries = 2, the network down
 * from 15 ms to 8 s): its half-open connection goes at 7.010 s, silently;
 * the client's data at 10 s reaches only the listener, which answers [R]
 * seq = the segment's ACK; the client's recv gives ECONNRESET, then 0, and
 * send EPIPE. */
static void h7_server_gave_up_data_gets_rst(void **state)
{
	static const char *const knobs[] = { "tcp_synack_retries=2", NULL };
	struct h *h = h_new();
	*state = h;
	int c = h_host(h, "client", C_ADDR, NULL);
	int s = h_host(h, "server", S_ADDR, knobs);
	struct sk_path path = { .delay_ns = DELAY };
	assert_int_equal(sk_sim_set_link(h->sim, c, s, &path), 0);
	int lfd = h_listen(h, s, PORT, 16);
	int cfd = h_connect(h, c, S_ADDR, PORT);
	uint16_t cport = local_port(h, c, cfd);
	h_run_until(h, MS(15));
	assert_int_equal(sk_sim_partition(h->sim, c, s, 1), 0); /* the SYN-ACK in flight arrives */
	h_run_until(h, MS(7010) - 1);
	const struct h_pkt *syn = h_next(h);
	uint32_t c0 = syn->tcp.seq + 1;
	const struct h_pkt *sa = h_next(h);
	h_expect(sa, MS(10), s, "S.", sa->tcp.seq, c0, 0);
	uint32_t s0 = sa->tcp.seq + 1;
	h_expect(h_next(h), MS(20), c, ".", c0, s0, 0);          /* lost */
	h_expect(h_next(h), MS(1010), s, "S.", s0 - 1, c0, 0);   /* lost */
	h_expect(h_next(h), MS(3010), s, "S.", s0 - 1, c0, 0);   /* lost */
	h_no_more(h);
	assert_int_equal(h_state(h, c, cfd), SK_TCP_ESTABLISHED);
	assert_int_equal(conn_state(h, s, PORT, cport), SK_TCP_SYN_RECV);
	h_run_until(h, MS(7010));
	assert_int_equal(conn_state(h, s, PORT, cport), 0);
	assert_int_equal(sk_sim_partition(h->sim, c, s, 0), 0);
	h_run_until(h, SEC(10));
	h_no_more(h);
	assert_int_equal(sk_send(h_st(h, c), cfd, "hello", 5, 0), 5);
	h_run_until(h, SEC(11));
	h_expect(h_next(h), SEC(10), c, "P.", c0, s0, 5);
	const struct h_pkt *rst = h_next(h);
	h_expect(rst, SEC(10) + MS(10), s, "R", s0, 0, 0);
	assert_int_equal(rst->tcp.wnd, 0);
	h_no_more(h);
	assert_int_equal(h_state(h, c, cfd), SK_TCP_CLOSE);
	char b[8];
	assert_int_equal(sk_recv(h_st(h, c), cfd, b, sizeof(b), 0), -ECONNRESET);
	assert_int_equal(sk_recv(h_st(h, c), cfd, b, sizeof(b), 0), 0);
	assert_int_equal(sk_send(h_st(h, c), cfd, "x", 1, MSG_NOSIGNAL), -EPIPE);
	assert_int_equal(ctr(h, c, SK_MIB_EstabResets), 1);
	assert_int_equal(ctr(h, s, SK_MIB_OutRsts), 1);
	assert_int_equal(sk_accept(h_st(h, s), lfd, NULL, NULL), -EAGAIN);
	assert_int_equal(h_nsockets(h, s), 1);
	*state = NULL;
	h_free(h);
}

/* ================= H8: old duplicate SYN ================= */

/* H8 at the server (RFC 9293 figure 9, lines 3-8, the client raw): an old
 * SYN (seq 1000) gets a SYN-ACK; the client answers it with RST seq 1001;
 * the server drops that half-open connection without a word (and never
 * resends its SYN-ACK); the client's real SYN (seq 5000) then completes a
 * new one, the only connection accept() sees. */
static void h8_server_drops_old_request_on_rst(void **state)
{
	struct h *h = h_new();
	*state = h;
	int s = h_host(h, "server", S_ADDR, NULL);
	int x = h_raw(h, "client", C_ADDR);
	int lfd = h_listen(h, s, PORT, 16);
	raw(h, x, 1000, 0, TCP_SYN, NULL);
	h_run_until(h, MS(10));
	h_expect(h_next(h), 0, x, "S", 1000, 0, 0);
	const struct h_pkt *sa = h_next(h);
	h_expect(sa, 0, s, "S.", sa->tcp.seq, 1001, 0);
	raw(h, x, 1001, 0, TCP_RST, NULL);
	h_run_until(h, MS(20));
	h_expect(h_next(h), MS(10), x, "R", 1001, 0, 0);
	h_no_more(h);
	assert_int_equal(conn_state(h, s, PORT, RAW_PORT), 0);
	assert_int_equal(h_nsockets(h, s), 1);
	assert_int_equal(ctr(h, s, SK_MIB_AttemptFails), 1);

	raw(h, x, 5000, 0, TCP_SYN, NULL);
	h_run_until(h, MS(30));
	h_expect(h_next(h), MS(20), x, "S", 5000, 0, 0);
	const struct h_pkt *sa2 = h_next(h);
	h_expect(sa2, MS(20), s, "S.", sa2->tcp.seq, 5001, 0);
	raw(h, x, 5001, sa2->tcp.seq + 1, TCP_ACK, NULL);
	h_run_until(h, SEC(3));
	h_expect(h_next(h), MS(30), x, ".", 5001, sa2->tcp.seq + 1, 0);
	h_no_more(h);
	struct sockaddr_in a;
	socklen_t alen = sizeof(a);
	int afd = sk_accept(h_st(h, s), lfd, (struct sockaddr *)&a, &alen);
	assert_true(afd >= 0);
	assert_int_equal(ntohl(a.sin_addr.s_addr), C_ADDR);
	assert_int_equal(ntohs(a.sin_port), RAW_PORT);
	assert_int_equal(h_state(h, s, afd), SK_TCP_ESTABLISHED);
	assert_int_equal(sk_accept(h_st(h, s), lfd, NULL, NULL), -EAGAIN);
	assert_int_equal(ctr(h, s, SK_MIB_PassiveOpens), 1);
	*state = NULL;
	h_free(h);
}

/* H8, the race: the new SYN (seq 1500) reaches the server while the old
 * half-open connection (SYN seq 1000) still lives. 1500 lies in its
 * window, so Linux answers it [R.] seq 0 ack 1501 and drops the half-open
 * connection (tcp_check_req, embryonic_reset; AttemptFails, OutRsts). */
static void h8_new_syn_in_window_resets_request(void **state)
{
	struct h *h = h_new();
	*state = h;
	int s = h_host(h, "server", S_ADDR, NULL);
	int x = h_raw(h, "client", C_ADDR);
	h_listen(h, s, PORT, 16);
	raw(h, x, 1000, 0, TCP_SYN, NULL);
	h_run_until(h, MS(10));
	h_expect(h_next(h), 0, x, "S", 1000, 0, 0);
	const struct h_pkt *sa = h_next(h);
	h_expect(sa, 0, s, "S.", sa->tcp.seq, 1001, 0);
	raw(h, x, 1500, 0, TCP_SYN, NULL);
	h_run_until(h, SEC(3));
	h_expect(h_next(h), MS(10), x, "S", 1500, 0, 0);
	const struct h_pkt *rst = h_next(h);
	h_expect(rst, MS(10), s, "R.", 0, 1501, 0);
	assert_int_equal(rst->tcp.wnd, 0);
	h_no_more(h); /* and no SYN-ACK at 1 s: the request is gone */
	assert_int_equal(conn_state(h, s, PORT, RAW_PORT), 0);
	assert_int_equal(ctr(h, s, SK_MIB_AttemptFails), 1);
	assert_int_equal(ctr(h, s, SK_MIB_OutRsts), 1);
	*state = NULL;
	h_free(h);
}

/* H8, the race with the new SYN outside the old request's window (the
 * usual case with random ISNs): the server answers with a bare ACK of the
 * old request (seq ISS+1, ack 1001) and keeps it; the client, in SYN_SENT,
 * answers that ACK with RST seq 1001, which drops the old request; the
 * client's SYN sent again at 1.010 s then completes normally. */
static void h8_new_syn_out_of_window_acked(void **state)
{
	const uint32_t Z = 100001000u;
	struct h *h = h_new();
	*state = h;
	int s = h_host(h, "server", S_ADDR, NULL);
	int x = h_raw(h, "client", C_ADDR);
	int lfd = h_listen(h, s, PORT, 16);
	raw(h, x, 1000, 0, TCP_SYN, NULL);
	h_run_until(h, MS(10));
	h_expect(h_next(h), 0, x, "S", 1000, 0, 0);
	const struct h_pkt *sa = h_next(h);
	h_expect(sa, 0, s, "S.", sa->tcp.seq, 1001, 0);
	uint32_t y = sa->tcp.seq;
	raw(h, x, Z, 0, TCP_SYN, NULL);
	h_run_until(h, MS(20));
	h_expect(h_next(h), MS(10), x, "S", Z, 0, 0);
	h_expect(h_next(h), MS(10), s, ".", y + 1, 1001, 0);
	h_no_more(h);
	assert_int_equal(conn_state(h, s, PORT, RAW_PORT), SK_TCP_SYN_RECV);
	raw(h, x, 1001, 0, TCP_RST, NULL);
	h_run_until(h, MS(1010));
	h_expect(h_next(h), MS(20), x, "R", 1001, 0, 0);
	h_no_more(h); /* no SYN-ACK at 1 s for the dropped request */
	assert_int_equal(conn_state(h, s, PORT, RAW_PORT), 0);
	raw(h, x, Z, 0, TCP_SYN, NULL);
	h_run_until(h, MS(1020));
	h_expect(h_next(h), MS(1010), x, "S", Z, 0, 0);
	const struct h_pkt *sa2 = h_next(h);
	h_expect(sa2, MS(1010), s, "S.", sa2->tcp.seq, Z + 1, 0);
	raw(h, x, Z + 1, sa2->tcp.seq + 1, TCP_ACK, NULL);
	h_run_until(h, SEC(4));
	h_expect(h_next(h), MS(1020), x, ".", Z + 1, sa2->tcp.seq + 1, 0);
	h_no_more(h);
	assert_true(sk_accept(h_st(h, s), lfd, NULL, NULL) >= 0);
	assert_int_equal(sk_accept(h_st(h, s), lfd, NULL, NULL), -EAGAIN);
	*state = NULL;
	h_free(h);
}

/* H8 at the client (the server raw): a SYN-ACK acknowledging a wrong ISN
 * (an old SYN's) is answered [R] seq = SEG.ACK, window 0; the client stays
 * SYN_SENT and, not having retransmitted yet, resends its SYN 2 ms later
 * (Linux: the timer re-armed to TCP_TIMEOUT_MIN, 2 jiffies). The right
 * SYN-ACK then completes the handshake. */
static void h8_client_resets_wrong_synack(void **state)
{
	struct h *h = h_new();
	*state = h;
	int c = h_host(h, "client", C_ADDR, NULL);
	int x = h_raw(h, "server", S_ADDR);
	int fd = h_connect(h, c, S_ADDR, PORT);
	uint16_t cport = local_port(h, c, fd);
	h_run_until(h, MS(100));
	const struct h_pkt *syn = h_next(h);
	h_expect(syn, 0, c, "S", syn->tcp.seq, 0, 0);
	uint32_t isn = syn->tcp.seq;
	raw_to(h, x, cport, 300, isn - 9, TCP_SYN | TCP_ACK); /* acks an old ISN */
	h_run_until(h, MS(150));
	h_expect(h_next(h), MS(100), x, "S.", 300, isn - 9, 0);
	const struct h_pkt *rst = h_next(h);
	h_expect(rst, MS(100), c, "R", isn - 9, 0, 0);
	assert_int_equal(rst->tcp.wnd, 0);
	h_expect(h_next(h), MS(102), c, "S", isn, 0, 0);
	h_no_more(h);
	assert_int_equal(h_state(h, c, fd), SK_TCP_SYN_SENT);
	raw_to(h, x, cport, 400, isn + 1, TCP_SYN | TCP_ACK);
	h_run_until(h, MS(500));
	h_expect(h_next(h), MS(150), x, "S.", 400, isn + 1, 0);
	h_expect(h_next(h), MS(150), c, ".", isn + 1, 401, 0);
	h_no_more(h);
	assert_int_equal(h_state(h, c, fd), SK_TCP_ESTABLISHED);
	assert_int_equal(ctr(h, c, SK_MIB_OutRsts), 1);
	assert_int_equal(ctr(h, c, SK_MIB_AttemptFails), 0);
	*state = NULL;
	h_free(h);
}

/* H8 end to end, RFC 9293 figure 9 with both stacks: the client's SYN is
 * lost, an old duplicate SYN of the same 4-tuple (forged by a third host)
 * reaches the server, whose SYN-ACK the client resets; the client's SYN,
 * resent 2 ms after its RST, arrives after it and opens the real
 * connection:
 *     0  client S (lost)          0  old S 9999 (injected)
 *    10  server S. ack 10000     20  client R seq 10000
 *    22  client S (again)        30  server drops the old request
 *    32  server S. ack ISN+1     42  client .     52 server ESTABLISHED */
static void h8_figure9_both_ends(void **state)
{
	struct h *h = h_new();
	*state = h;
	int c = h_host(h, "client", C_ADDR, NULL);
	int s = h_host(h, "server", S_ADDR, NULL);
	int x = h_raw(h, "old-duplicate", X_ADDR);
	struct sk_path path = { .delay_ns = DELAY };
	assert_int_equal(sk_sim_set_link(h->sim, c, s, &path), 0);
	assert_int_equal(sk_sim_set_path(h->sim, x, s, &path), 0);
	int lfd = h_listen(h, s, PORT, 16);
	struct sk_stack *cst = h_st(h, c);
	int fd = sk_socket(cst, AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(RAW_PORT) };
	assert_int_equal(sk_bind(cst, fd, (struct sockaddr *)&a, sizeof(a)), 0);
	a.sin_port = htons(PORT);
	a.sin_addr.s_addr = htonl(S_ADDR);
	path_down(h, c, s, 1);
	assert_int_equal(sk_connect(cst, fd, (struct sockaddr *)&a, sizeof(a)), -EINPROGRESS);
	path_down(h, c, s, 0);
	const struct h_pkt *syn = h_next(h);
	h_expect(syn, 0, c, "S", syn->tcp.seq, 0, 0);
	uint32_t isn = syn->tcp.seq;
	raw(h, x, 9999, 0, TCP_SYN, NULL); /* from 10.0.0.1:40000 */
	h_run_until(h, MS(100));
	h_expect(h_next(h), 0, x, "S", 9999, 0, 0);
	const struct h_pkt *old = h_next(h);
	h_expect(old, MS(10), s, "S.", old->tcp.seq, 10000, 0);
	h_expect(h_next(h), MS(20), c, "R", 10000, 0, 0);
	h_expect(h_next(h), MS(22), c, "S", isn, 0, 0);
	const struct h_pkt *sa = h_next(h);
	h_expect(sa, MS(32), s, "S.", sa->tcp.seq, isn + 1, 0);
	h_expect(h_next(h), MS(42), c, ".", isn + 1, sa->tcp.seq + 1, 0);
	h_no_more(h);
	assert_when(h, s, PORT, RAW_PORT, SK_TCP_SYN_RECV, SK_TCP_CLOSE, MS(30));
	assert_when(h, c, RAW_PORT, PORT, SK_TCP_SYN_SENT, SK_TCP_ESTABLISHED, MS(42));
	assert_when(h, s, PORT, RAW_PORT, SK_TCP_SYN_RECV, SK_TCP_ESTABLISHED, MS(52));
	assert_true(sk_accept(h_st(h, s), lfd, NULL, NULL) >= 0);
	h_run_until(h, SEC(5));
	h_no_more(h);
	*state = NULL;
	h_free(h);
}

/* ================= C5: first FIN lost ================= */

/* C5: the client's FIN at 100 ms is lost; it goes again one RTO later
 * (320 ms); the server ACKs it one tick after it arrives (a FIN with no
 * data before it: ato 0) and the close goes on. */
static void c5_fin_lost_then_resent(void **state)
{
	struct h_pair P, *p = &P;
	open_pair(p, NO_SACK, NO_SACK);
	struct h *h = p->h;
	*state = h;
	h_run_until(h, MS(100));
	path_down(h, p->c, p->s, 1);
	assert_int_equal(sk_close(h_st(h, p->c), p->cfd), 0);
	h_run_until(h, MS(101));
	path_down(h, p->c, p->s, 0);
	h_run_until(h, SEC(2));
	h_expect(h_next(h), MS(100), p->c, "F.", p->c0, p->s0, 0); /* lost */
	h_expect(h_next(h), MS(100) + RTO, p->c, "F.", p->c0, p->s0, 0);
	h_expect(h_next(h), MS(331), p->s, ".", p->s0, p->c0 + 1, 0);
	h_no_more(h);
	assert_when(h, p->s, PORT, p->cport, SK_TCP_ESTABLISHED, SK_TCP_CLOSE_WAIT, MS(330));
	assert_when(h, p->c, p->cport, PORT, SK_TCP_FIN_WAIT1, SK_TCP_FIN_WAIT2, MS(341));
	char b[4];
	assert_int_equal(sk_recv(h_st(h, p->s), p->afd, b, sizeof(b), 0), 0);
	assert_int_equal(ctr(h, p->c, SK_MIB_RetransSegs), 1);
	assert_int_equal(ctr(h, p->c, SK_MIB_TCPTimeouts), 1);
	*state = NULL;
	h_free(h);
}

/* C5 with a peer that never answers (it crashed): the closed socket's FIN
 * is resent with backoff from 220 ms; with tcp_orphan_retries 0 (= 8 while
 * the RTO is under RTO_max) that is 8 retransmissions, at 100 ms + 0.22 x
 * (2^k - 1) s, and the 9th expiry, 112.42 s after close(), drops the
 * connection: silently, nothing left. */
static void c5_orphan_fin_given_up_default(void **state)
{
	struct h_pair P, *p = &P;
	open_pair(p, NO_SACK, NO_SACK);
	struct h *h = p->h;
	*state = h;
	h_run_until(h, MS(50));
	assert_int_equal(sk_sim_crash(h->sim, p->s), 0);
	h_run_until(h, MS(100));
	assert_int_equal(sk_close(h_st(h, p->c), p->cfd), 0);
	uint64_t gone = MS(100) + MS(112420);
	h_run_until(h, gone - 1);
	h_expect(h_next(h), MS(100), p->c, "F.", p->c0, p->s0, 0);
	for (int k = 1; k <= 8; k++)
		h_expect(h_next(h), MS(100) + RTO * ((1u << k) - 1), p->c, "F.", p->c0, p->s0, 0);
	h_no_more(h);
	assert_int_equal(CSTATE(p), SK_TCP_FIN_WAIT1);
	h_run_until(h, gone);
	assert_int_equal(CSTATE(p), 0);
	assert_int_equal(h_nsockets(h, p->c), 0);
	assert_when(h, p->c, p->cport, PORT, SK_TCP_FIN_WAIT1, SK_TCP_CLOSE, gone);
	h_run_until(h, gone + SEC(300));
	h_no_more(h); /* no RST */
	assert_int_equal(ctr(h, p->c, SK_MIB_RetransSegs), 8);
	assert_int_equal(ctr(h, p->c, SK_MIB_TCPTimeouts), 9);
	assert_int_equal(ctr(h, p->c, SK_MIB_TCPAbortOnTimeout), 1);
	assert_int_equal(ctr(h, p->c, SK_MIB_EstabResets), 0);
	assert_int_equal(ctr(h, p->c, SK_MIB_OutRsts), 0);
	*state = NULL;
	h_free(h);
}

/* C5 with tcp_orphan_retries = 2: fewer. Linux counts the give-up time
 * (tcp_model_timeout(2, 200 ms) = 1.4 s) from the first retransmission
 * (0.32 s), so the expiry at 1.64 s (1.32 s later) still retransmits and
 * the one at 3.40 s drops the connection: 3 retransmissions. */
static void c5_orphan_retries_2(void **state)
{
	static const char *const knobs[] = { "tcp_orphan_retries=2", "tcp_sack=0", NULL };
	struct h_pair P, *p = &P;
	open_pair(p, knobs, NO_SACK);
	struct h *h = p->h;
	*state = h;
	h_run_until(h, MS(50));
	assert_int_equal(sk_sim_crash(h->sim, p->s), 0);
	h_run_until(h, MS(100));
	assert_int_equal(sk_close(h_st(h, p->c), p->cfd), 0);
	h_run_until(h, MS(3400) - 1);
	h_expect(h_next(h), MS(100), p->c, "F.", p->c0, p->s0, 0);
	h_expect(h_next(h), MS(320), p->c, "F.", p->c0, p->s0, 0);
	h_expect(h_next(h), MS(760), p->c, "F.", p->c0, p->s0, 0);
	h_expect(h_next(h), MS(1640), p->c, "F.", p->c0, p->s0, 0);
	h_no_more(h);
	assert_int_equal(CSTATE(p), SK_TCP_FIN_WAIT1);
	h_run_until(h, MS(3400));
	assert_int_equal(CSTATE(p), 0);
	assert_int_equal(h_nsockets(h, p->c), 0);
	h_run_until(h, SEC(30));
	h_no_more(h);
	assert_int_equal(ctr(h, p->c, SK_MIB_RetransSegs), 3);
	assert_int_equal(ctr(h, p->c, SK_MIB_TCPTimeouts), 4);
	assert_int_equal(ctr(h, p->c, SK_MIB_TCPAbortOnTimeout), 1);
	*state = NULL;
	h_free(h);
}

/* ================= C6: ACK of the first FIN lost ================= */

/* C6: the server's ACKs of the client's FIN are lost (server -> client
 * down from 105 to 765 ms): the client resends its FIN at 320 and 760 ms;
 * the server, in CLOSE_WAIT, ACKs each at once (440 ms apart: no 500 ms
 * limit for a FIN), and the last ACK moves the client to FIN_WAIT_2. */
static void c6_fin_resent_and_reacked(void **state)
{
	struct h_pair P, *p = &P;
	open_pair(p, NO_SACK, NO_SACK);
	struct h *h = p->h;
	*state = h;
	h_run_until(h, MS(100));
	assert_int_equal(sk_close(h_st(h, p->c), p->cfd), 0);
	h_run_until(h, MS(105));
	path_down(h, p->s, p->c, 1);
	h_run_until(h, MS(765));
	path_down(h, p->s, p->c, 0);
	h_run_until(h, SEC(3));
	h_expect(h_next(h), MS(100), p->c, "F.", p->c0, p->s0, 0);
	h_expect(h_next(h), MS(111), p->s, ".", p->s0, p->c0 + 1, 0); /* lost */
	h_expect(h_next(h), MS(320), p->c, "F.", p->c0, p->s0, 0);
	h_expect(h_next(h), MS(330), p->s, ".", p->s0, p->c0 + 1, 0); /* lost */
	h_expect(h_next(h), MS(760), p->c, "F.", p->c0, p->s0, 0);
	h_expect(h_next(h), MS(770), p->s, ".", p->s0, p->c0 + 1, 0);
	h_no_more(h);
	assert_when(h, p->s, PORT, p->cport, SK_TCP_ESTABLISHED, SK_TCP_CLOSE_WAIT, MS(110));
	assert_int_equal(h_state(h, p->s, p->afd), SK_TCP_CLOSE_WAIT);
	assert_when(h, p->c, p->cport, PORT, SK_TCP_FIN_WAIT1, SK_TCP_FIN_WAIT2, MS(780));
	char b[4];
	assert_int_equal(sk_recv(h_st(h, p->s), p->afd, b, sizeof(b), 0), 0);
	assert_int_equal(ctr(h, p->c, SK_MIB_RetransSegs), 2);
	*state = NULL;
	h_free(h);
}

/* C6, the re-ACK's options: SACK was negotiated, so the ACK of the
 * duplicate FIN reports it as a D-SACK block [FIN, FIN+1) (RFC 2883), as
 * Linux does; the first ACK of the FIN carries no SACK block. */
static void c6_reack_reports_dsack(void **state)
{
	struct h_pair P, *p = &P;
	open_pair(p, NULL, NULL);
	struct h *h = p->h;
	*state = h;
	h_run_until(h, MS(100));
	assert_int_equal(sk_close(h_st(h, p->c), p->cfd), 0);
	h_run_until(h, MS(105));
	path_down(h, p->s, p->c, 1);
	h_run_until(h, MS(115));
	path_down(h, p->s, p->c, 0);
	h_run_until(h, SEC(2));
	h_expect(h_next(h), MS(100), p->c, "F.", p->c0, p->s0, 0);
	const struct h_pkt *ack = h_next(h);
	h_expect(ack, MS(111), p->s, ".", p->s0, p->c0 + 1, 0); /* lost */
	assert_false(ack->tcp.opts.has & TCP_HAS_SACK);
	h_expect(h_next(h), MS(320), p->c, "F.", p->c0, p->s0, 0);
	const struct h_pkt *re = h_next(h);
	h_expect(re, MS(330), p->s, ".", p->s0, p->c0 + 1, 0);
	h_no_more(h);
	assert_true(re->tcp.opts.has & TCP_HAS_SACK);
	assert_int_equal(re->tcp.opts.nsack, 1);
	assert_int_equal(re->tcp.opts.sack[0].left, p->c0);
	assert_int_equal(re->tcp.opts.sack[0].right, p->c0 + 1);
	*state = NULL;
	h_free(h);
}

/* ================= C7: the passive side's FIN lost ================= */

/* C7: the client close()s; its FIN is ACKed at 110 ms, so it waits in
 * FIN_WAIT_2 from 121 ms (the ACK of a bare FIN waits one tick) for at
 * most tcp_fin_timeout (10 s here), then disappears silently at 10.121 s. The server's FIN (close() at 1 s)
 * is lost and resent from LAST_ACK at 1.22, 1.66, 2.54, 4.30, 7.82 s
 * (lost) and 14.86 s; by then the client has nothing for it and answers
 * [R] seq = its ACK, which ends the server's LAST_ACK. */
static void c7_orphan_fin_wait2_times_out(void **state)
{
	static const char *const knobs[] = { "tcp_fin_timeout=10", "tcp_sack=0", NULL };
	struct h_pair P, *p = &P;
	open_pair(p, knobs, knobs);
	struct h *h = p->h;
	*state = h;
	h_run_until(h, MS(100));
	assert_int_equal(sk_close(h_st(h, p->c), p->cfd), 0);
	h_run_until(h, MS(500));
	path_down(h, p->s, p->c, 1);
	h_run_until(h, SEC(1));
	char b[4];
	assert_int_equal(sk_recv(h_st(h, p->s), p->afd, b, sizeof(b), 0), 0);
	assert_int_equal(sk_close(h_st(h, p->s), p->afd), 0);
	h_run_until(h, MS(10121) - 1);
	h_expect(h_next(h), MS(100), p->c, "F.", p->c0, p->s0, 0);
	h_expect(h_next(h), MS(111), p->s, ".", p->s0, p->c0 + 1, 0);
	h_expect(h_next(h), SEC(1), p->s, "F.", p->s0, p->c0 + 1, 0);
	static const unsigned rtx_ms[] = { 1220, 1660, 2540, 4300, 7820 };
	for (int i = 0; i < 5; i++)
		h_expect(h_next(h), MS(rtx_ms[i]), p->s, "F.", p->s0, p->c0 + 1, 0);
	h_no_more(h);
	assert_int_equal(CSTATE(p), SK_TCP_FIN_WAIT2);
	assert_int_equal(SSTATE(p), SK_TCP_LAST_ACK);
	h_run_until(h, MS(10121));
	assert_int_equal(CSTATE(p), 0);
	assert_int_equal(h_nsockets(h, p->c), 0);
	assert_when(h, p->c, p->cport, PORT, SK_TCP_FIN_WAIT2, SK_TCP_CLOSE, MS(10121));
	assert_int_equal(ctr(h, p->c, SK_MIB_TW), 0); /* not a TIME-WAIT */
	h_run_until(h, SEC(12));
	h_no_more(h); /* silently */
	path_down(h, p->s, p->c, 0);
	h_run_until(h, SEC(20));
	h_expect(h_next(h), MS(14860), p->s, "F.", p->s0, p->c0 + 1, 0);
	h_expect(h_next(h), MS(14870), p->c, "R", p->c0 + 1, 0, 0);
	h_no_more(h);
	assert_when(h, p->s, PORT, p->cport, SK_TCP_LAST_ACK, SK_TCP_CLOSE, MS(14880));
	assert_int_equal(h_nsockets(h, p->s), 0);
	*state = NULL;
	h_free(h);
}

/* C7 with TCP_LINGER2 = 5 on the closing socket: FIN_WAIT_2 lasts 5 s. */
static void c7_linger2_limits_fin_wait2(void **state)
{
	struct h_pair P, *p = &P;
	open_pair(p, NULL, NULL);
	struct h *h = p->h;
	*state = h;
	int five = 5;
	assert_int_equal(sk_setsockopt(h_st(h, p->c), p->cfd, IPPROTO_TCP, TCP_LINGER2, &five,
				       sizeof(five)), 0);
	h_run_until(h, MS(100));
	assert_int_equal(sk_close(h_st(h, p->c), p->cfd), 0);
	h_run_until(h, MS(5121) - 1);
	h_expect(h_next(h), MS(100), p->c, "F.", p->c0, p->s0, 0);
	h_expect(h_next(h), MS(111), p->s, ".", p->s0, p->c0 + 1, 0);
	h_no_more(h);
	assert_int_equal(CSTATE(p), SK_TCP_FIN_WAIT2);
	h_run_until(h, MS(5121));
	assert_int_equal(CSTATE(p), 0);
	assert_int_equal(h_nsockets(h, p->c), 0);
	h_run_until(h, SEC(10));
	h_no_more(h);
	assert_int_equal(h_state(h, p->s, p->afd), SK_TCP_CLOSE_WAIT);
	*state = NULL;
	h_free(h);
}

/* C7 after shutdown(SHUT_WR) (the descriptor stays open): FIN_WAIT_2 has
 * no timer. The server's FIN never arrives (its direction stays down); the
 * server retransmits it from LAST_ACK 8 times and gives up silently at
 * 1 s + 112.42 s (C5's arithmetic), while the client still sits in
 * FIN_WAIT_2 at 1000 s. */
static void c7_shutdown_fin_wait2_forever(void **state)
{
	struct h_pair P, *p = &P;
	open_pair(p, NO_SACK, NO_SACK);
	struct h *h = p->h;
	*state = h;
	h_run_until(h, MS(100));
	assert_int_equal(sk_shutdown(h_st(h, p->c), p->cfd, SHUT_WR), 0);
	h_run_until(h, MS(500));
	path_down(h, p->s, p->c, 1);
	h_run_until(h, SEC(1));
	assert_int_equal(sk_close(h_st(h, p->s), p->afd), 0);
	h_run_until(h, SEC(1000));
	h_expect(h_next(h), MS(100), p->c, "F.", p->c0, p->s0, 0);
	h_expect(h_next(h), MS(111), p->s, ".", p->s0, p->c0 + 1, 0);
	h_expect(h_next(h), SEC(1), p->s, "F.", p->s0, p->c0 + 1, 0);
	for (int k = 1; k <= 8; k++)
		h_expect(h_next(h), SEC(1) + RTO * ((1u << k) - 1), p->s, "F.", p->s0, p->c0 + 1, 0);
	h_no_more(h);
	assert_when(h, p->s, PORT, p->cport, SK_TCP_LAST_ACK, SK_TCP_CLOSE, SEC(1) + MS(112420));
	assert_int_equal(h_nsockets(h, p->s), 0);
	assert_int_equal(ctr(h, p->s, SK_MIB_TCPAbortOnTimeout), 1);
	assert_int_equal(h_state(h, p->c, p->cfd), SK_TCP_FIN_WAIT2);
	char b[4];
	assert_int_equal(sk_recv(h_st(h, p->c), p->cfd, b, sizeof(b), 0), -EAGAIN);
	*state = NULL;
	h_free(h);
}

/* ================= C8: the last ACK lost ================= */

/* C8: the client's ACKs of the server's FIN are lost (client -> server
 * down from 205 ms to 1.8 s). The server resends its FIN from LAST_ACK at
 * 0.42, 0.86, 1.74 and 3.50 s; the client in TIME_WAIT ACKs each one and
 * restarts its 60 s; the ACK at 3.51 s gets through and closes the server.
 * TIME_WAIT therefore ends at 63.51 s, 60 s after the last FIN, not at
 * 60.21 s. */
static void c8_time_wait_reacks_and_restarts(void **state)
{
	struct h_pair P, *p = &P;
	open_pair(p, NO_SACK, NO_SACK);
	struct h *h = p->h;
	*state = h;
	h_run_until(h, MS(100));
	assert_int_equal(sk_close(h_st(h, p->c), p->cfd), 0);
	h_run_until(h, MS(200));
	char b[4];
	assert_int_equal(sk_recv(h_st(h, p->s), p->afd, b, sizeof(b), 0), 0);
	assert_int_equal(sk_close(h_st(h, p->s), p->afd), 0);
	h_run_until(h, MS(205));
	path_down(h, p->c, p->s, 1);
	h_run_until(h, MS(1800));
	path_down(h, p->c, p->s, 0);
	h_run_until(h, SEC(5));
	uint32_t cf = p->c0 + 1, sf = p->s0 + 1; /* after each FIN */
	h_expect(h_next(h), MS(100), p->c, "F.", p->c0, p->s0, 0);
	h_expect(h_next(h), MS(111), p->s, ".", p->s0, cf, 0);
	h_expect(h_next(h), MS(200), p->s, "F.", p->s0, cf, 0);
	h_expect(h_next(h), MS(210), p->c, ".", cf, sf, 0); /* lost */
	static const unsigned fin_ms[] = { 420, 860, 1740, 3500 };
	for (int i = 0; i < 4; i++) {
		h_expect(h_next(h), MS(fin_ms[i]), p->s, "F.", p->s0, cf, 0);
		h_expect(h_next(h), MS(fin_ms[i] + 10), p->c, ".", cf, sf, 0);
	}
	h_no_more(h);
	assert_when(h, p->c, p->cport, PORT, SK_TCP_FIN_WAIT2, SK_TCP_TIME_WAIT, MS(210));
	assert_when(h, p->s, PORT, p->cport, SK_TCP_LAST_ACK, SK_TCP_CLOSE, MS(3520));
	assert_int_equal(h_nsockets(h, p->s), 0);
	h_run_until(h, MS(60210));
	assert_int_equal(CSTATE(p), SK_TCP_TIME_WAIT);
	h_run_until(h, MS(63510) - 1);
	assert_int_equal(CSTATE(p), SK_TCP_TIME_WAIT);
	assert_int_equal(ctr(h, p->c, SK_MIB_TW), 0);
	h_run_until(h, MS(63510));
	assert_int_equal(CSTATE(p), 0);
	assert_int_equal(h_nsockets(h, p->c), 0);
	assert_when(h, p->c, p->cport, PORT, SK_TCP_TIME_WAIT, SK_TCP_CLOSE, MS(63510));
	assert_int_equal(ctr(h, p->c, SK_MIB_TW), 1);
	h_run_until(h, SEC(100));
	h_no_more(h);
	*state = NULL;
	h_free(h);
}

/* A failed assertion leaves the test early: free its simulation here, so
 * a failure is not also reported as a leak. */
static int free_on_failure(void **state)
{
	struct h *h = *state;
	if (h) {
		sk_sim_free(h->sim);
		free(h->pkts);
		free(h);
		*state = NULL;
	}
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(h6_synack_retries_default, free_on_failure),
		cmocka_unit_test_teardown(h6_synack_retries_2, free_on_failure),
		cmocka_unit_test_teardown(h6_dup_syn_answered_rate_limited_rearms, free_on_failure),
		cmocka_unit_test_teardown(h6_client_resends_syn, free_on_failure),
		cmocka_unit_test_teardown(h6_synack_lost_timer_wins, free_on_failure),
		cmocka_unit_test_teardown(h6_synack_lost_client_syn_wins, free_on_failure),
		cmocka_unit_test_teardown(h7_first_data_completes_server, free_on_failure),
		cmocka_unit_test_teardown(h7_synack_resent_client_reacks, free_on_failure),
		cmocka_unit_test_teardown(h7_server_gave_up_data_gets_rst, free_on_failure),
		cmocka_unit_test_teardown(h8_server_drops_old_request_on_rst, free_on_failure),
		cmocka_unit_test_teardown(h8_new_syn_in_window_resets_request, free_on_failure),
		cmocka_unit_test_teardown(h8_new_syn_out_of_window_acked, free_on_failure),
		cmocka_unit_test_teardown(h8_client_resets_wrong_synack, free_on_failure),
		cmocka_unit_test_teardown(h8_figure9_both_ends, free_on_failure),
		cmocka_unit_test_teardown(c5_fin_lost_then_resent, free_on_failure),
		cmocka_unit_test_teardown(c5_orphan_fin_given_up_default, free_on_failure),
		cmocka_unit_test_teardown(c5_orphan_retries_2, free_on_failure),
		cmocka_unit_test_teardown(c6_fin_resent_and_reacked, free_on_failure),
		cmocka_unit_test_teardown(c6_reack_reports_dsack, free_on_failure),
		cmocka_unit_test_teardown(c7_orphan_fin_wait2_times_out, free_on_failure),
		cmocka_unit_test_teardown(c7_linger2_limits_fin_wait2, free_on_failure),
		cmocka_unit_test_teardown(c7_shutdown_fin_wait2_forever, free_on_failure),
		cmocka_unit_test_teardown(c8_time_wait_reacks_and_restarts, free_on_failure),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
