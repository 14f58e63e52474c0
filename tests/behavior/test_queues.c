/* A listener's two queues: connections complete without accept() (L1),
 * the SYN queue and the accept queue and their bounds (L2), a full accept
 * queue (L3), SYN cookies beside the test in test_listen.c (L4), a reset
 * in SYN_RECV (L5) and closing a listener (L6).
 *
 * A client host (10.0.0.1), a server host (10.0.0.2) and a raw host
 * (10.0.0.9) that plays scripted peers, every path 10 ms each way, so a
 * segment's virtual time tells what caused it.
 *
 * Linux reference: this machine's kernel, 6.18, checked with python3
 * sockets in two network namespaces joined by TUN devices (a python bridge
 * that can hold or drop any packet, and inject scripted ones), with ss and
 * nstat:
 *
 * - L2: listen(fd, 3) keeps 4 half-open connections: in 6.x the SYN queue
 *   is full when its length is *greater* than the backlog
 *   (inet_csk_reqsk_queue_is_full uses >). With tcp_syncookies=0 the
 *   next SYNs are dropped (TcpExtTCPReqQFullDrop and TcpExtListenDrops
 *   count each) and a legitimate client's connect times out; with
 *   tcp_syncookies=1 they get cookies (TcpExtSyncookiesSent,
 *   TcpExtTCPReqQFullDoCookies). The accept queue holds backlog + 1 too
 *   (sk_acceptq_is_full: ack_backlog > max_ack_backlog): listen(fd, 1)
 *   showed Recv-Q 2 in ss. A SYN that finds the accept queue full is
 *   dropped: TcpExtListenOverflows and TcpExtListenDrops, no SYN-ACK.
 *   With somaxconn = 3, listen(fd, 5) shows Send-Q 3 in ss; listen() again
 *   on the listening socket changes it: listen(fd, 1) -> 1, listen(fd,
 *   100) -> 3.
 * - L3: the final ACK that finds the accept queue full is dropped
 *   (ListenOverflows and ListenDrops +1 each, and again for every later
 *   ACK); the server stays SYN-RECV and retransmits its SYN-ACK 1 and 3 s
 *   after the first; the client, ESTABLISHED, answers each with an ACK
 *   (TcpExtTCPSYNChallenge and TcpExtTCPChallengeACK count it); once
 *   accept() made room, the next ACK completes the connection. With
 *   tcp_abort_on_overflow=1 the ACK is answered by [R] seq = its ack
 *   field, no ACK flag (TcpOutRsts, TcpExtEmbryonicRsts; no
 *   TcpAttemptFails); the client's recv gives ECONNRESET, then 0, and
 *   send EPIPE.
 * - L4 with tcp_syncookies=2: every SYN gets a cookie, counted in both
 *   TcpExtSyncookiesSent and TcpExtTCPReqQFullDoCookies; a SYN without
 *   timestamps gets a SYN-ACK with only MSS (window 64240) and the
 *   connection has no window scaling and no SACK; with timestamps the
 *   SYN-ACK carries SACK-permitted, TS and WS (window 65160) and TCP_INFO
 *   of the connection shows TS|SACK|WSCALE, snd_wscale 7, snd_mss 1448. A
 *   forged ACK with a bad cookie: [R] seq = its ack field, no ACK flag,
 *   TcpExtSyncookiesFailed +1; the same ACK before any cookie was sent
 *   gets the reset but counts no SyncookiesFailed.
 * - L5: a RST at exactly RCV.NXT removes the half-open connection
 *   (TcpAttemptFails +1) and nothing is sent; a RST elsewhere in the
 *   window gets a challenge ACK ([.] seq ISN+1, ack RCV.NXT, window 64240
 *   for a SYN without options; TcpExtTCPChallengeACK +1) and the
 *   connection stays in SYN-RECV.
 * - L6: close() of the listener sends [R.] seq SND.NXT ack RCV.NXT to
 *   each connection in the accept queue, in queue order (TcpOutRsts and
 *   TcpEstabResets per connection; TcpExtTCPAbortOnClose stays 0: Linux
 *   uses tcp_disconnect here, not tcp_close); on their clients the first
 *   call reports ECONNRESET, recv or send alike, then recv gives 0 and
 *   send EPIPE. Nothing is sent to a
 *   half-open peer; ss keeps listing it as SYN-RECV until its SYN-ACK timer
 *   (1 s after the SYN-ACK) drops it silently; an ACK from that peer gets
 *   [R] seq = its ack field. An accepted connection carries data both
 *   ways afterwards.
 */
#include <string.h>

#include "harness.h"

#define C_ADDR SK_IP(10, 0, 0, 1)
#define S_ADDR SK_IP(10, 0, 0, 2)
#define X_ADDR SK_IP(10, 0, 0, 9)
#define PORT 80
#define DELAY MS(10)

/* ---- the network ---- */

struct net {
	struct h *h;
	int c, s, x; /* client, server, raw peer */
};

#define CST(n) h_st((n)->h, (n)->c)
#define SST(n) h_st((n)->h, (n)->s)

static void net_up(struct net *n, const char *const *server_knobs)
{
	struct h *h = n->h = h_new();
	n->c = h_host(h, "client", C_ADDR, NULL);
	n->s = h_host(h, "server", S_ADDR, server_knobs);
	n->x = h_raw(h, "peer", X_ADDR);
	struct sk_path path = { .delay_ns = DELAY };
	assert_int_equal(sk_sim_set_link(h->sim, n->c, n->s, &path), 0);
	assert_int_equal(sk_sim_set_link(h->sim, n->x, n->s, &path), 0);
}

static uint64_t ctr(struct net *n, int host, enum sk_counter c)
{
	return sk_counter(h_st(n->h, host), c);
}

/* A client socket bound to `lport` connecting to the server now. */
static int connect_from(struct net *n, uint16_t lport)
{
	struct sk_stack *st = CST(n);
	int fd = sk_socket(st, AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	assert_true(fd >= 0);
	struct sockaddr_in b = { .sin_family = AF_INET, .sin_port = htons(lport) };
	assert_int_equal(sk_bind(st, fd, (struct sockaddr *)&b, sizeof(b)), 0);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(PORT),
				 .sin_addr.s_addr = htonl(S_ADDR) };
	assert_int_equal(sk_connect(st, fd, (struct sockaddr *)&a, sizeof(a)), -EINPROGRESS);
	return fd;
}

/* accept() that must succeed, returning the peer's port. */
static int accept_from(struct net *n, int lfd, uint16_t *rport)
{
	struct sockaddr_in a;
	socklen_t alen = sizeof(a);
	int fd = sk_accept(SST(n), lfd, (struct sockaddr *)&a, &alen);
	assert_true(fd >= 0);
	*rport = ntohs(a.sin_port);
	return fd;
}

/* A segment from the raw peer X_ADDR:sport to the server's port. */
static void xsend(struct net *n, uint16_t sport, uint32_t seq, uint32_t ack, uint8_t flags,
		  const struct tcp_opts *o)
{
	struct h_seg sg = { .src = X_ADDR, .dst = S_ADDR, .sport = sport, .dport = PORT,
			    .seq = seq, .ack = ack, .flags = flags, .wnd = 64240 };
	if (o)
		sg.opts = *o;
	h_send(n->h, n->x, &sg);
}

static const struct tcp_opts mss_only = { .has = TCP_HAS_MSS, .mss = 1460 };

/* ---- what `ss -tan` would list ---- */


static void list_host(struct net *n, int host, struct h_listing *l)
{
	h_list(n->h, host, l);
}

/* The connection to peer port `rport`, or NULL. */
static const struct sk_sockinfo *entry(const struct h_listing *l, uint16_t rport)
{
	for (int i = 0; i < l->n; i++)
		if (l->e[i].rport == rport && l->e[i].state != SK_TCP_LISTEN)
			return &l->e[i];
	return NULL;
}

static const struct sk_sockinfo *listener(const struct h_listing *l)
{
	for (int i = 0; i < l->n; i++)
		if (l->e[i].state == SK_TCP_LISTEN)
			return &l->e[i];
	fail_msg("no listener listed");
	return NULL;
}

/* The time of the logged change old -> new of the server's connection
 * with peer port `rport`; fails when there was none. */
static uint64_t when(struct net *n, int host, uint16_t lport, uint16_t rport, int old_state,
		     int new_state)
{
	return h_when(n->h, host, lport, rport, old_state, new_state);
}

/* The next packet, checked for everything but its sequence number (an
 * ISN the test has not seen yet). */
static const struct h_pkt *next_isn(struct h *h, uint64_t t, int from, const char *flags,
				    uint32_t ack)
{
	const struct h_pkt *p = h_next(h);
	h_expect(p, t, from, flags, p->tcp.seq, ack, 0);
	return p;
}

/* Checks the three handshake segments of client port `lport` that
 * connected at `t`, returning the client's and the server's ISN. */
static void expect_handshake(struct net *n, uint64_t t, uint32_t *cisn, uint32_t *sisn)
{
	struct h *h = n->h;
	const struct h_pkt *syn = h_next(h);
	h_expect(syn, t, n->c, "S", syn->tcp.seq, 0, 0);
	const struct h_pkt *sa = h_next(h);
	h_expect(sa, t + DELAY, n->s, "S.", sa->tcp.seq, syn->tcp.seq + 1, 0);
	h_expect(h_next(h), t + 2 * DELAY, n->c, ".", syn->tcp.seq + 1, sa->tcp.seq + 1, 0);
	*cisn = syn->tcp.seq;
	*sisn = sa->tcp.seq;
}

/* ---- L1 ---- */

/* L1: accept() is not part of the handshake. Three clients connect 1 ms
 * apart; each handshake completes on the wire and on both hosts with no
 * accept() call: the server lists three ESTABLISHED connections (no
 * descriptor yet) under its listener, whose Recv-Q says 3; data the
 * clients send is ACKed and queued on them. accept() a second later
 * returns them in the order they completed, with their data. */
static void l1_connections_complete_without_accept(void **state)
{
	(void)state;
	struct net N, *n = &N;
	net_up(n, NULL);
	struct h *h = n->h;
	int lfd = h_listen(h, n->s, PORT, 8);
	int cfd[3];
	uint32_t cisn[3], sisn[3];
	for (int i = 0; i < 3; i++) {
		h_run_until(h, MS(i));
		cfd[i] = connect_from(n, (uint16_t)(40001 + i));
	}
	h_run_until(h, MS(100));
	/* in time order: three SYNs, three SYN-ACKs, three ACKs */
	const struct h_pkt *syn[3], *sa[3];
	for (int i = 0; i < 3; i++) {
		syn[i] = h_next(h);
		h_expect(syn[i], MS(i), n->c, "S", syn[i]->tcp.seq, 0, 0);
		assert_int_equal(syn[i]->tcp.sport, 40001 + i);
		cisn[i] = syn[i]->tcp.seq;
	}
	for (int i = 0; i < 3; i++) {
		sa[i] = h_next(h);
		h_expect(sa[i], MS(10 + i), n->s, "S.", sa[i]->tcp.seq, cisn[i] + 1, 0);
		sisn[i] = sa[i]->tcp.seq;
	}
	for (int i = 0; i < 3; i++)
		h_expect(h_next(h), MS(20 + i), n->c, ".", cisn[i] + 1, sisn[i] + 1, 0);
	h_no_more(h);

	for (int i = 0; i < 3; i++) {
		assert_int_equal(h_state(h, n->c, cfd[i]), SK_TCP_ESTABLISHED);
		assert_int_equal(when(n, n->s, PORT, (uint16_t)(40001 + i), SK_TCP_SYN_RECV,
				      SK_TCP_ESTABLISHED),
				 MS(30 + i));
	}
	struct h_listing l;
	list_host(n, n->s, &l);
	assert_int_equal(l.n, 4);
	assert_int_equal(listener(&l)->fd, lfd);
	assert_int_equal(listener(&l)->recv_q, 3); /* complete, waiting for accept */
	assert_int_equal(listener(&l)->send_q, 8); /* the backlog */
	for (int i = 0; i < 3; i++) {
		const struct sk_sockinfo *e = entry(&l, (uint16_t)(40001 + i));
		assert_non_null(e);
		assert_int_equal(e->state, SK_TCP_ESTABLISHED);
		assert_int_equal(e->fd, -1);
		assert_int_equal(e->raddr, C_ADDR);
		assert_int_equal(e->lport, PORT);
	}
	assert_int_equal(h_nsockets(h, n->s), 4);
	assert_int_equal(ctr(n, n->s, SK_MIB_PassiveOpens), 3);
	assert_int_equal(ctr(n, n->s, SK_MIB_CurrEstab), 3);
	assert_int_equal(sk_poll(SST(n), lfd, POLLIN), POLLIN);

	/* data to connections nobody accepted yet: ACKed (quick-ACK) and queued */
	static const char *const msg[3] = { "a", "bb", "ccc" };
	h_run_until(h, MS(200));
	for (int i = 0; i < 3; i++)
		assert_int_equal(sk_send(CST(n), cfd[i], msg[i], strlen(msg[i]), 0),
				 (long)strlen(msg[i]));
	h_run_until(h, MS(300));
	for (int i = 0; i < 3; i++)
		h_expect(h_next(h), MS(200), n->c, "P.", cisn[i] + 1, sisn[i] + 1,
			 (uint32_t)strlen(msg[i]));
	for (int i = 0; i < 3; i++)
		h_expect(h_next(h), MS(210), n->s, ".", sisn[i] + 1,
			 cisn[i] + 1 + (uint32_t)strlen(msg[i]), 0);
	h_no_more(h);
	list_host(n, n->s, &l);
	for (int i = 0; i < 3; i++)
		assert_int_equal(entry(&l, (uint16_t)(40001 + i))->recv_q, strlen(msg[i]));

	/* accept() a second later: in order of completion, data waiting */
	h_run_until(h, SEC(1));
	for (int i = 0; i < 3; i++) {
		uint16_t rport;
		int afd = accept_from(n, lfd, &rport);
		assert_int_equal(rport, 40001 + i);
		assert_int_equal(h_state(h, n->s, afd), SK_TCP_ESTABLISHED);
		char buf[8];
		assert_int_equal(sk_recv(SST(n), afd, buf, sizeof(buf), 0), (long)strlen(msg[i]));
		assert_memory_equal(buf, msg[i], strlen(msg[i]));
	}
	assert_int_equal(sk_accept(SST(n), lfd, NULL, NULL), -EAGAIN);
	assert_int_equal(sk_poll(SST(n), lfd, POLLIN), 0);
	h_run_for(h, SEC(1));
	h_no_more(h);
	h_free(h);
}

/* ---- L2 ---- */

/* L2: the accept queue is bounded by min(backlog, somaxconn), as Linux 6.x
 * counts it: full when it holds *more* than that. somaxconn = 3 and
 * listen(fd, 5): the backlog is 3 and four complete connections fit; the
 * fifth client's SYN is dropped (ListenOverflows, ListenDrops, no
 * SYN-ACK). listen() again on the listening socket changes the backlog:
 * down to 1 (two fit), then up to 100, clamped to somaxconn again. */
static void l2_accept_queue_bound(void **state)
{
	(void)state;
	static const char *const knobs[] = { "somaxconn=3", NULL };
	struct net N, *n = &N;
	net_up(n, knobs);
	struct h *h = n->h;
	int lfd = h_listen(h, n->s, PORT, 5);
	struct h_listing l;
	list_host(n, n->s, &l);
	assert_int_equal(listener(&l)->send_q, 3);

	uint32_t cisn, sisn;
	for (int i = 0; i < 4; i++) {
		h_run_until(h, MS(100 * i));
		connect_from(n, (uint16_t)(40001 + i));
		h_run_until(h, MS(100 * i + 50));
		expect_handshake(n, MS(100 * i), &cisn, &sisn);
		h_no_more(h);
	}
	list_host(n, n->s, &l);
	assert_int_equal(listener(&l)->recv_q, 4);
	assert_int_equal(h_count_state(&l, SK_TCP_ESTABLISHED), 4);

	/* the fifth: its SYN is dropped, the client keeps trying */
	h_run_until(h, MS(400));
	int c5 = connect_from(n, 40005);
	h_run_until(h, MS(500));
	const struct h_pkt *syn5 = h_next(h);
	h_expect(syn5, MS(400), n->c, "S", syn5->tcp.seq, 0, 0);
	h_no_more(h);
	assert_int_equal(h_state(h, n->c, c5), SK_TCP_SYN_SENT);
	assert_int_equal(ctr(n, n->s, SK_MIB_ListenOverflows), 1);
	assert_int_equal(ctr(n, n->s, SK_MIB_ListenDrops), 1);
	assert_int_equal(ctr(n, n->s, SK_MIB_PassiveOpens), 4);
	list_host(n, n->s, &l);
	assert_int_equal(l.n, 5); /* nothing for the fifth */
	assert_int_equal(sk_close(CST(n), c5), 0);

	/* listen(fd, 1): two fit; after accepting two, the queue (2) is
	 * still full */
	assert_int_equal(sk_listen(SST(n), lfd, 1), 0);
	list_host(n, n->s, &l);
	assert_int_equal(listener(&l)->send_q, 1);
	uint16_t rport;
	accept_from(n, lfd, &rport);
	assert_int_equal(rport, 40001);
	accept_from(n, lfd, &rport);
	assert_int_equal(rport, 40002);
	h_run_until(h, MS(600));
	int c6 = connect_from(n, 40006);
	h_run_until(h, MS(700));
	next_isn(h, MS(600), n->c, "S", 0);
	h_no_more(h);
	assert_int_equal(ctr(n, n->s, SK_MIB_ListenOverflows), 2);
	assert_int_equal(sk_close(CST(n), c6), 0);

	/* one accepted more: one in the queue, room for a second */
	accept_from(n, lfd, &rport);
	assert_int_equal(rport, 40003);
	h_run_until(h, MS(800));
	connect_from(n, 40007);
	h_run_until(h, MS(850));
	expect_handshake(n, MS(800), &cisn, &sisn);
	h_no_more(h);
	list_host(n, n->s, &l);
	assert_int_equal(listener(&l)->recv_q, 2);
	h_run_until(h, MS(900));
	int c8 = connect_from(n, 40008);
	h_run_until(h, MS(950));
	next_isn(h, MS(900), n->c, "S", 0);
	h_no_more(h);
	assert_int_equal(ctr(n, n->s, SK_MIB_ListenOverflows), 3);
	assert_int_equal(ctr(n, n->s, SK_MIB_ListenDrops), 3);
	assert_int_equal(sk_close(CST(n), c8), 0);

	/* listen(fd, 100) is clamped to somaxconn: 3 again, room for two more */
	assert_int_equal(sk_listen(SST(n), lfd, 100), 0);
	list_host(n, n->s, &l);
	assert_int_equal(listener(&l)->send_q, 3);
	h_run_until(h, MS(1000));
	connect_from(n, 40009);
	h_run_until(h, MS(1050));
	expect_handshake(n, MS(1000), &cisn, &sisn);
	h_no_more(h);
	list_host(n, n->s, &l);
	assert_int_equal(listener(&l)->recv_q, 3);
	assert_int_equal(ctr(n, n->s, SK_MIB_ListenOverflows), 3);
	assert_int_equal(ctr(n, n->s, SK_MIB_PassiveOpens), 6);
	h_free(h);
}

/* Six SYNs from the raw peer (ports 1001..1006, no options) at time 0. */
static void six_syns(struct net *n)
{
	for (uint16_t i = 0; i < 6; i++)
		xsend(n, (uint16_t)(1001 + i), 1000u * (i + 1), 0, TCP_SYN, &mss_only);
}

/* L2, L4: the SYN queue with tcp_syncookies = 0. listen(fd, 3) keeps four
 * half-open connections (Linux 6.x: full when more than the backlog);
 * the fifth and sixth SYN are dropped (TCPReqQFullDrop, ListenDrops) and
 * so is a legitimate client's SYN while the queue stays full. A reset
 * frees a place (L5); the client's retransmitted SYN, at 1 s, then gets
 * in. */
static void l2_l4_syn_queue_full_without_cookies(void **state)
{
	(void)state;
	static const char *const knobs[] = { "tcp_syncookies=0", NULL };
	struct net N, *n = &N;
	net_up(n, knobs);
	struct h *h = n->h;
	int lfd = h_listen(h, n->s, PORT, 3);
	six_syns(n);
	h_run_until(h, MS(50));
	for (int i = 0; i < 6; i++)
		h_expect(h_next(h), 0, n->x, "S", 1000u * (uint32_t)(i + 1), 0, 0);
	/* four SYN-ACKs: the queue took four */
	assert_int_equal(h_pending(h), 4);
	uint32_t sisn[4];
	for (int i = 0; i < 4; i++) {
		const struct h_pkt *sa = h_next(h);
		h_expect(sa, DELAY, n->s, "S.", sa->tcp.seq, 1000u * (uint32_t)(i + 1) + 1, 0);
		assert_int_equal(sa->tcp.dport, 1001 + i);
		sisn[i] = sa->tcp.seq;
	}
	h_no_more(h);
	assert_int_equal(ctr(n, n->s, SK_MIB_TCPReqQFullDrop), 2);
	assert_int_equal(ctr(n, n->s, SK_MIB_ListenDrops), 2);
	assert_int_equal(ctr(n, n->s, SK_MIB_SyncookiesSent), 0);
	assert_int_equal(ctr(n, n->s, SK_MIB_ListenOverflows), 0);
	struct h_listing l;
	list_host(n, n->s, &l);
	assert_int_equal(l.n, 5);
	assert_int_equal(h_count_state(&l, SK_TCP_SYN_RECV), 4);
	for (int i = 0; i < 4; i++) {
		const struct sk_sockinfo *e = entry(&l, (uint16_t)(1001 + i));
		assert_non_null(e);
		assert_int_equal(e->state, SK_TCP_SYN_RECV);
		assert_int_equal(e->fd, -1);
		assert_string_equal(e->timer, "on");
		assert_int_equal(e->timer_at_ns, DELAY + SEC(1));
	}
	assert_int_equal(listener(&l)->recv_q, 0);

	/* the legitimate client cannot get in */
	h_run_until(h, MS(100));
	int cfd = connect_from(n, 40001);
	h_run_until(h, MS(999));
	const struct h_pkt *syn = h_next(h);
	h_expect(syn, MS(100), n->c, "S", syn->tcp.seq, 0, 0);
	h_no_more(h);
	assert_int_equal(h_state(h, n->c, cfd), SK_TCP_SYN_SENT);
	assert_int_equal(ctr(n, n->s, SK_MIB_TCPReqQFullDrop), 3);
	assert_int_equal(ctr(n, n->s, SK_MIB_ListenDrops), 3);

	/* L5: the peer resets its first half-open connection at 999 ms */
	xsend(n, 1001, 1001, 0, TCP_RST, NULL);
	h_run_until(h, SEC(1) + MS(150));
	h_expect(h_next(h), MS(999), n->x, "R", 1001, 0, 0);
	/* the three others' SYN-ACKs go again at 1.01 s */
	int seen = 0;
	for (int k = 0; k < 3; k++) { /* same deadline: any order */
		const struct h_pkt *p = h_next(h);
		int i = p->tcp.dport - 1001;
		assert_true(i >= 1 && i < 4 && !(seen & (1 << i)));
		seen |= 1 << i;
		h_expect(p, SEC(1) + DELAY, n->s, "S.", sisn[i], 1000u * (uint32_t)(i + 1) + 1, 0);
	}
	/* the client's SYN again at 1.1 s, now with room */
	h_expect(h_next(h), SEC(1) + MS(100), n->c, "S", syn->tcp.seq, 0, 0);
	const struct h_pkt *sa = h_next(h);
	h_expect(sa, SEC(1) + MS(110), n->s, "S.", sa->tcp.seq, syn->tcp.seq + 1, 0);
	h_expect(h_next(h), SEC(1) + MS(120), n->c, ".", syn->tcp.seq + 1, sa->tcp.seq + 1, 0);
	h_no_more(h);
	assert_int_equal(h_state(h, n->c, cfd), SK_TCP_ESTABLISHED);
	assert_int_equal(ctr(n, n->s, SK_MIB_AttemptFails), 1);
	assert_int_equal(ctr(n, n->s, SK_MIB_TCPReqQFullDrop), 3);
	uint16_t rport;
	accept_from(n, lfd, &rport);
	assert_int_equal(rport, 40001);
	h_free(h);
}

/* L2, L4: the same six SYNs with tcp_syncookies = 1 (the default): four
 * half-open connections are kept and the other two answered with cookies
 * (a SYN-ACK with only MSS, as the SYN had no timestamps) that leave no
 * state; the fifth peer's ACK of its cookie makes a connection straight
 * into the accept queue. */
static void l2_l4_syn_queue_overflow_uses_cookies(void **state)
{
	(void)state;
	struct net N, *n = &N;
	net_up(n, NULL);
	struct h *h = n->h;
	int lfd = h_listen(h, n->s, PORT, 3);
	six_syns(n);
	h_run_until(h, MS(50));
	for (int i = 0; i < 6; i++)
		h_expect(h_next(h), 0, n->x, "S", 1000u * (uint32_t)(i + 1), 0, 0);
	uint32_t sisn[6];
	for (int i = 0; i < 6; i++) {
		const struct h_pkt *sa = h_next(h);
		h_expect(sa, DELAY, n->s, "S.", sa->tcp.seq, 1000u * (uint32_t)(i + 1) + 1, 0);
		assert_int_equal(sa->tcp.opts.has, TCP_HAS_MSS);
		assert_int_equal(sa->tcp.opts.mss, 1460);
		assert_int_equal(sa->tcp.wnd, 64240);
		sisn[i] = sa->tcp.seq;
	}
	h_no_more(h);
	assert_int_equal(ctr(n, n->s, SK_MIB_SyncookiesSent), 2);
	assert_int_equal(ctr(n, n->s, SK_MIB_TCPReqQFullDoCookies), 2);
	assert_int_equal(ctr(n, n->s, SK_MIB_ListenDrops), 0);
	struct h_listing l;
	list_host(n, n->s, &l);
	assert_int_equal(l.n, 5);
	assert_int_equal(h_count_state(&l, SK_TCP_SYN_RECV), 4);
	assert_null(entry(&l, 1005));
	assert_null(entry(&l, 1006));

	/* the fifth completes through its cookie */
	h_run_until(h, MS(100));
	xsend(n, 1005, 5001, sisn[4] + 1, TCP_ACK, NULL);
	h_run_until(h, MS(200));
	h_expect(h_next(h), MS(100), n->x, ".", 5001, sisn[4] + 1, 0);
	h_no_more(h);
	assert_int_equal(ctr(n, n->s, SK_MIB_SyncookiesRecv), 1);
	assert_int_equal(ctr(n, n->s, SK_MIB_PassiveOpens), 1);
	list_host(n, n->s, &l);
	assert_int_equal(entry(&l, 1005)->state, SK_TCP_ESTABLISHED);
	assert_int_equal(listener(&l)->recv_q, 1);
	uint16_t rport;
	int afd = accept_from(n, lfd, &rport);
	assert_int_equal(rport, 1005);
	struct tcp_info ti;
	socklen_t len = sizeof(ti);
	assert_int_equal(sk_getsockopt(SST(n), afd, IPPROTO_TCP, TCP_INFO, &ti, &len), 0);
	assert_int_equal(ti.tcpi_snd_mss, 1460);
	h_free(h);
}

/* ---- L4 ---- */

/* The raw peer's SYN with every option: MSS 1460, SACK-permitted,
 * timestamps (tsval 5000), window scale 7. */
static const struct tcp_opts all_opts = {
	.has = TCP_HAS_MSS | TCP_HAS_SACK_PERM | TCP_HAS_TS | TCP_HAS_WSCALE,
	.mss = 1460, .tsval = 5000, .wscale = 7,
};
/* The same without timestamps. */
static const struct tcp_opts no_ts_opts = {
	.has = TCP_HAS_MSS | TCP_HAS_SACK_PERM | TCP_HAS_WSCALE, .mss = 1460, .wscale = 7,
};

/* L4: tcp_syncookies = 2 answers every SYN with a cookie, queue or not:
 * no state is kept. With timestamps the cookie carries window scaling and
 * SACK (in the low bits of our timestamp, echoed back); without them the
 * SYN-ACK offers neither and the connection has neither. Linux counts
 * TCPReqQFullDoCookies for these too (checked last). */
static void l4_syncookies_always(void **state)
{
	(void)state;
	static const char *const knobs[] = { "tcp_syncookies=2", NULL };
	struct net N, *n = &N;
	net_up(n, knobs);
	struct h *h = n->h;
	int lfd = h_listen(h, n->s, PORT, 128);
	xsend(n, 2001, 7000, 0, TCP_SYN, &all_opts);
	xsend(n, 2002, 8000, 0, TCP_SYN, &no_ts_opts);
	h_run_until(h, MS(50));
	h_expect(h_next(h), 0, n->x, "S", 7000, 0, 0);
	h_expect(h_next(h), 0, n->x, "S", 8000, 0, 0);
	const struct h_pkt *sa1 = h_next(h);
	h_expect(sa1, DELAY, n->s, "S.", sa1->tcp.seq, 7001, 0);
	assert_int_equal(sa1->tcp.opts.has,
			 TCP_HAS_MSS | TCP_HAS_SACK_PERM | TCP_HAS_TS | TCP_HAS_WSCALE);
	assert_int_equal(sa1->tcp.opts.mss, 1460);
	assert_int_equal(sa1->tcp.opts.tsecr, 5000);
	assert_int_equal(sa1->tcp.opts.wscale, 7);
	assert_int_equal(sa1->tcp.wnd, 65160);
	const struct h_pkt *sa2 = h_next(h);
	h_expect(sa2, DELAY, n->s, "S.", sa2->tcp.seq, 8001, 0);
	assert_int_equal(sa2->tcp.opts.has, TCP_HAS_MSS); /* no TS: no WS, no SACK */
	assert_int_equal(sa2->tcp.opts.mss, 1460);
	assert_int_equal(sa2->tcp.wnd, 64240);
	h_no_more(h);
	assert_int_equal(h_nsockets(h, n->s), 1); /* only the listener: no state */
	assert_int_equal(ctr(n, n->s, SK_MIB_SyncookiesSent), 2);

	/* both peers ACK their cookie; the first echoes our timestamp */
	h_run_until(h, MS(100));
	struct tcp_opts ts = { .has = TCP_HAS_TS, .tsval = 5100, .tsecr = sa1->tcp.opts.tsval };
	xsend(n, 2001, 7001, sa1->tcp.seq + 1, TCP_ACK, &ts);
	xsend(n, 2002, 8001, sa2->tcp.seq + 1, TCP_ACK, NULL);
	h_run_until(h, MS(200));
	h->next_pkt += 2; /* the two ACKs */
	h_no_more(h);
	assert_int_equal(ctr(n, n->s, SK_MIB_SyncookiesRecv), 2);
	for (int i = 0; i < 2; i++) {
		uint16_t rport;
		int afd = accept_from(n, lfd, &rport);
		assert_int_equal(rport, 2001 + i);
		struct tcp_info ti;
		socklen_t len = sizeof(ti);
		assert_int_equal(sk_getsockopt(SST(n), afd, IPPROTO_TCP, TCP_INFO, &ti, &len), 0);
		assert_int_equal(ti.tcpi_state, SK_TCP_ESTABLISHED);
		if (i == 0) {
			assert_int_equal(ti.tcpi_options & (TCPI_OPT_TIMESTAMPS | TCPI_OPT_SACK | TCPI_OPT_WSCALE),
					 TCPI_OPT_TIMESTAMPS | TCPI_OPT_SACK | TCPI_OPT_WSCALE);
			assert_int_equal(ti.tcpi_snd_wscale, 7);
			assert_int_equal(ti.tcpi_snd_mss, 1448);
		} else {
			assert_int_equal(ti.tcpi_options & (TCPI_OPT_TIMESTAMPS | TCPI_OPT_SACK | TCPI_OPT_WSCALE), 0);
			assert_int_equal(ti.tcpi_snd_wscale, 0);
			assert_int_equal(ti.tcpi_rcv_wscale, 0);
			assert_int_equal(ti.tcpi_snd_mss, 1460);
		}
	}
	assert_int_equal(ctr(n, n->s, SK_MIB_TCPReqQFullDoCookies), 2);
	h_free(h);
}

/* L4: a forged ACK with a bad cookie, once cookies have been sent, is
 * answered by a reset made from it ([R] seq = its ack field) and counted
 * in SyncookiesFailed; it makes no connection. Before any cookie was sent
 * the same kind of ACK gets the same reset but is no failed cookie.
 * (tcp_syncookies = 2, so that one SYN is enough to send a cookie.) */
static void l4_bad_cookie_gets_rst(void **state)
{
	(void)state;
	static const char *const knobs[] = { "tcp_syncookies=2", NULL };
	struct net N, *n = &N;
	net_up(n, knobs);
	struct h *h = n->h;
	h_listen(h, n->s, PORT, 8);
	xsend(n, 3000, 1, 123456, TCP_ACK, NULL);
	h_run_until(h, MS(50));
	h_expect(h_next(h), 0, n->x, ".", 1, 123456, 0);
	h_expect(h_next(h), DELAY, n->s, "R", 123456, 0, 0);
	h_no_more(h);
	assert_int_equal(ctr(n, n->s, SK_MIB_SyncookiesFailed), 0);
	assert_int_equal(ctr(n, n->s, SK_MIB_OutRsts), 1);

	h_run_until(h, MS(100));
	xsend(n, 3001, 100, 0, TCP_SYN, &mss_only);
	h_run_until(h, MS(150));
	h_expect(h_next(h), MS(100), n->x, "S", 100, 0, 0);
	next_isn(h, MS(110), n->s, "S.", 101);
	h_no_more(h);
	assert_int_equal(ctr(n, n->s, SK_MIB_SyncookiesSent), 1);

	h_run_until(h, MS(200));
	xsend(n, 3004, 101, 777777, TCP_ACK, NULL);
	h_run_until(h, MS(250));
	h_expect(h_next(h), MS(200), n->x, ".", 101, 777777, 0);
	h_expect(h_next(h), MS(210), n->s, "R", 777777, 0, 0);
	h_no_more(h);
	assert_int_equal(ctr(n, n->s, SK_MIB_SyncookiesFailed), 1);
	assert_int_equal(ctr(n, n->s, SK_MIB_SyncookiesRecv), 0);
	assert_int_equal(ctr(n, n->s, SK_MIB_OutRsts), 2);
	assert_int_equal(h_nsockets(h, n->s), 1);
	h_free(h);
}

/* ---- L3 ---- */

/* The L3 scene: listen(fd, 2) keeps three complete connections.
 * Clients 1 and 2 connect at 0 and 50 ms; clients 3 and 4 at 100 and
 * 101 ms, so both SYN-ACKs go out while there is room (two half-open fit
 * either way); client 3's ACK (130 ms) fills the accept queue and client
 * 4's (131 ms) finds it full. */
struct l3 {
	struct net n;
	int lfd, cfd[4];
	uint32_t cisn[4], sisn[4];
};

static void l3_scene(struct l3 *t, const char *const *knobs)
{
	struct net *n = &t->n;
	net_up(n, knobs);
	struct h *h = n->h;
	t->lfd = h_listen(h, n->s, PORT, 2);
	t->cfd[0] = connect_from(n, 40001);
	h_run_until(h, MS(50));
	t->cfd[1] = connect_from(n, 40002);
	h_run_until(h, MS(100));
	t->cfd[2] = connect_from(n, 40003);
	h_run_until(h, MS(101));
	t->cfd[3] = connect_from(n, 40004);
	h_run_until(h, MS(130));
	expect_handshake(n, 0, &t->cisn[0], &t->sisn[0]);
	expect_handshake(n, MS(50), &t->cisn[1], &t->sisn[1]);
	const struct h_pkt *syn3 = h_next(h), *syn4 = h_next(h);
	h_expect(syn3, MS(100), n->c, "S", syn3->tcp.seq, 0, 0);
	h_expect(syn4, MS(101), n->c, "S", syn4->tcp.seq, 0, 0);
	const struct h_pkt *sa3 = h_next(h), *sa4 = h_next(h);
	h_expect(sa3, MS(110), n->s, "S.", sa3->tcp.seq, syn3->tcp.seq + 1, 0);
	h_expect(sa4, MS(111), n->s, "S.", sa4->tcp.seq, syn4->tcp.seq + 1, 0);
	h_expect(h_next(h), MS(120), n->c, ".", syn3->tcp.seq + 1, sa3->tcp.seq + 1, 0);
	h_expect(h_next(h), MS(121), n->c, ".", syn4->tcp.seq + 1, sa4->tcp.seq + 1, 0);
	h_no_more(h);
	t->cisn[2] = syn3->tcp.seq;
	t->cisn[3] = syn4->tcp.seq;
	t->sisn[2] = sa3->tcp.seq;
	t->sisn[3] = sa4->tcp.seq;
	assert_int_equal(h_state(h, n->c, t->cfd[3]), SK_TCP_ESTABLISHED);
	assert_int_equal(ctr(n, n->s, SK_MIB_ListenOverflows), 0);
	assert_int_equal(ctr(n, n->s, SK_MIB_SyncookiesSent), 0);
}

/* L3: the accept queue is full when client 4's final ACK arrives: the ACK
 * is dropped (ListenOverflows, ListenDrops) and the server's end stays
 * SYN_RECV while the client's is ESTABLISHED. A new client's SYN at
 * 500 ms is dropped too. The server retransmits its SYN-ACK 1 s after the
 * first; the client answers with an ACK (Linux: a challenge ACK to a SYN
 * on a synchronized connection), dropped again. accept() at 2 s makes
 * room; the next SYN-ACK (3 s after the first) and the client's ACK
 * complete the connection. */
static void l3_full_accept_queue_drops_final_ack(void **state)
{
	(void)state;
	struct l3 T, *t = &T;
	l3_scene(t, NULL);
	struct net *n = &t->n;
	struct h *h = n->h;
	h_run_until(h, MS(131));
	h_no_more(h);
	assert_int_equal(ctr(n, n->s, SK_MIB_ListenOverflows), 1);
	assert_int_equal(ctr(n, n->s, SK_MIB_ListenDrops), 1);
	assert_int_equal(ctr(n, n->s, SK_MIB_PassiveOpens), 3);
	struct h_listing l;
	list_host(n, n->s, &l);
	assert_int_equal(listener(&l)->recv_q, 3);
	assert_non_null(entry(&l, 40004));
	assert_int_equal(entry(&l, 40004)->state, SK_TCP_SYN_RECV);
	assert_int_equal(entry(&l, 40004)->timer_at_ns, MS(111) + SEC(1));

	/* a new SYN while the accept queue is full: dropped */
	h_run_until(h, MS(500));
	int c5 = connect_from(n, 40005);
	h_run_until(h, MS(600));
	next_isn(h, MS(500), n->c, "S", 0);
	h_no_more(h);
	assert_int_equal(ctr(n, n->s, SK_MIB_ListenOverflows), 2);
	assert_int_equal(ctr(n, n->s, SK_MIB_ListenDrops), 2);
	assert_int_equal(sk_close(CST(n), c5), 0); /* SYN_SENT: silently */

	/* the SYN-ACK again at 1.111 s; the client's ACK is dropped again */
	uint32_t c4 = t->cisn[3] + 1, s4 = t->sisn[3] + 1;
	h_run_until(h, MS(1500));
	h_expect(h_next(h), MS(1111), n->s, "S.", t->sisn[3], c4, 0);
	h_expect(h_next(h), MS(1121), n->c, ".", c4, s4, 0);
	h_no_more(h);
	assert_int_equal(ctr(n, n->s, SK_MIB_ListenOverflows), 3);
	assert_int_equal(ctr(n, n->s, SK_MIB_ListenDrops), 3);
	assert_int_equal(ctr(n, n->c, SK_MIB_TCPSYNChallenge), 1);
	assert_int_equal(ctr(n, n->c, SK_MIB_TCPChallengeACK), 1);
	list_host(n, n->s, &l);
	assert_int_equal(entry(&l, 40004)->state, SK_TCP_SYN_RECV);
	assert_int_equal(entry(&l, 40004)->timer_count, 1);
	assert_int_equal(entry(&l, 40004)->timer_at_ns, MS(111) + SEC(3));
	assert_int_equal(h_state(h, n->c, t->cfd[3]), SK_TCP_ESTABLISHED);

	/* room: accept() at 2 s; the next exchange completes it */
	h_run_until(h, SEC(2));
	uint16_t rport;
	accept_from(n, t->lfd, &rport);
	assert_int_equal(rport, 40001);
	h_run_until(h, SEC(5));
	h_expect(h_next(h), MS(3111), n->s, "S.", t->sisn[3], c4, 0);
	h_expect(h_next(h), MS(3121), n->c, ".", c4, s4, 0);
	h_no_more(h);
	assert_int_equal(when(n, n->s, PORT, 40004, SK_TCP_SYN_RECV, SK_TCP_ESTABLISHED), MS(3131));
	assert_int_equal(ctr(n, n->s, SK_MIB_ListenOverflows), 3);
	assert_int_equal(ctr(n, n->s, SK_MIB_PassiveOpens), 4);
	for (uint16_t p = 40002; p <= 40004; p++) {
		accept_from(n, t->lfd, &rport);
		assert_int_equal(rport, p);
	}
	assert_int_equal(sk_send(CST(n), t->cfd[3], "hi", 2, 0), 2);
	h_run_for(h, MS(100));
	h_expect(h_next(h), SEC(5), n->c, "P.", c4, s4, 2);
	h_expect(h_next(h), SEC(5) + DELAY, n->s, ".", s4, c4 + 2, 0);
	h_no_more(h);
	h_free(h);
}

/* L3 with tcp_abort_on_overflow = 1: client 4's final ACK is answered
 * with a reset made from it ([R] seq = its ack field) and the half-open
 * connection is dropped; the client, ESTABLISHED a moment, reads
 * ECONNRESET, then 0, and its send fails with EPIPE. A SYN that finds the
 * queue full is still dropped silently. Linux counts ListenOverflows,
 * ListenDrops and OutRsts, not AttemptFails (checked last). */
static void l3_abort_on_overflow_resets(void **state)
{
	(void)state;
	static const char *const knobs[] = { "tcp_abort_on_overflow=1", NULL };
	struct l3 T, *t = &T;
	l3_scene(t, knobs);
	struct net *n = &t->n;
	struct h *h = n->h;
	h_run_until(h, MS(200));
	h_expect(h_next(h), MS(131), n->s, "R", t->sisn[3] + 1, 0, 0);
	h_no_more(h);
	assert_int_equal(when(n, n->c, 40004, PORT, SK_TCP_ESTABLISHED, SK_TCP_CLOSE), MS(141));
	char b[4];
	assert_int_equal(sk_recv(CST(n), t->cfd[3], b, sizeof(b), 0), -ECONNRESET);
	assert_int_equal(sk_recv(CST(n), t->cfd[3], b, sizeof(b), 0), 0);
	assert_int_equal(sk_send(CST(n), t->cfd[3], "x", 1, MSG_NOSIGNAL), -EPIPE);
	assert_int_equal(ctr(n, n->c, SK_MIB_EstabResets), 1);
	struct h_listing l;
	list_host(n, n->s, &l);
	assert_int_equal(l.n, 4); /* the listener and the three queued */
	assert_null(entry(&l, 40004));

	h_run_until(h, MS(500));
	int c5 = connect_from(n, 40005);
	h_run_until(h, MS(600));
	next_isn(h, MS(500), n->c, "S", 0);
	h_no_more(h);
	assert_int_equal(sk_close(CST(n), c5), 0);
	assert_int_equal(ctr(n, n->s, SK_MIB_ListenOverflows), 2);
	assert_int_equal(ctr(n, n->s, SK_MIB_ListenDrops), 2);
	assert_int_equal(ctr(n, n->s, SK_MIB_OutRsts), 1);
	h_run_until(h, SEC(10));
	h_no_more(h);
	assert_int_equal(ctr(n, n->s, SK_MIB_AttemptFails), 0);
	h_free(h);
}

/* ---- L5 ---- */

/* L5: a reset at exactly RCV.NXT in SYN_RECV removes the half-open
 * connection silently (AttemptFails), no SYN-ACK follows, the listener
 * stays in LISTEN and takes the next connection. */
static void l5_rst_in_syn_recv(void **state)
{
	(void)state;
	struct net N, *n = &N;
	net_up(n, NULL);
	struct h *h = n->h;
	int lfd = h_listen(h, n->s, PORT, 8);
	xsend(n, 1001, 1000, 0, TCP_SYN, &mss_only);
	h_run_until(h, MS(100));
	h_expect(h_next(h), 0, n->x, "S", 1000, 0, 0);
	const struct h_pkt *sa = h_next(h);
	h_expect(sa, DELAY, n->s, "S.", sa->tcp.seq, 1001, 0);
	assert_int_equal(h_nsockets(h, n->s), 2);
	xsend(n, 1001, 1001, 0, TCP_RST, NULL);
	h_run_until(h, SEC(5));
	h_expect(h_next(h), MS(100), n->x, "R", 1001, 0, 0);
	h_no_more(h);
	assert_int_equal(when(n, n->s, PORT, 1001, SK_TCP_SYN_RECV, SK_TCP_CLOSE), MS(110));
	assert_int_equal(ctr(n, n->s, SK_MIB_AttemptFails), 1);
	assert_int_equal(h_nsockets(h, n->s), 1);
	assert_int_equal(h_state(h, n->s, lfd), SK_TCP_LISTEN);

	connect_from(n, 40001);
	h_run_for(h, MS(50));
	uint32_t cisn, sisn;
	expect_handshake(n, SEC(5), &cisn, &sisn);
	h_no_more(h);
	uint16_t rport;
	accept_from(n, lfd, &rport);
	assert_int_equal(rport, 40001);
	h_free(h);
}

/* L5 (with RFC 5961 as Linux 6.x applies it to half-open connections): a
 * reset inside the window but not at RCV.NXT is answered with a challenge
 * ACK and the connection stays; the exact one then removes it. */
static void l5_in_window_rst_gets_challenge_ack(void **state)
{
	(void)state;
	struct net N, *n = &N;
	net_up(n, NULL);
	struct h *h = n->h;
	h_listen(h, n->s, PORT, 8);
	xsend(n, 1001, 1000, 0, TCP_SYN, &mss_only);
	h_run_until(h, MS(100));
	h->next_pkt++;
	const struct h_pkt *sa = h_next(h);
	h_expect(sa, DELAY, n->s, "S.", sa->tcp.seq, 1001, 0);
	uint32_t sisn = sa->tcp.seq;
	xsend(n, 1001, 1101, 0, TCP_RST, NULL);
	h_run_until(h, MS(200));
	h_expect(h_next(h), MS(100), n->x, "R", 1101, 0, 0);
	const struct h_pkt *ca = h_next(h);
	h_expect(ca, MS(110), n->s, ".", sisn + 1, 1001, 0);
	assert_int_equal(ca->tcp.wnd, 64240);
	h_no_more(h);
	assert_int_equal(ctr(n, n->s, SK_MIB_TCPChallengeACK), 1);
	assert_int_equal(ctr(n, n->s, SK_MIB_AttemptFails), 0);
	struct h_listing l;
	list_host(n, n->s, &l);
	assert_non_null(entry(&l, 1001));
	assert_int_equal(entry(&l, 1001)->state, SK_TCP_SYN_RECV);

	xsend(n, 1001, 1001, 0, TCP_RST, NULL);
	h_run_until(h, MS(300));
	h_expect(h_next(h), MS(200), n->x, "R", 1001, 0, 0);
	h_no_more(h);
	assert_int_equal(ctr(n, n->s, SK_MIB_AttemptFails), 1);
	assert_int_equal(h_nsockets(h, n->s), 1);
	h_free(h);
}

/* ---- L6 ---- */

/* L6: clients 1-3 connect at 0, 1 and 2 ms; the server accepts client 1;
 * client 2 sends 6 bytes into its queued connection; the raw peer leaves
 * a half-open connection. Closing the listener at 500 ms resets clients 2
 * and 3 (in queue order, [R.] seq SND.NXT ack RCV.NXT) and sends nothing
 * to the half-open peer, whose later ACK finds no connection and gets a
 * reset. Client 1's connection carries data both ways afterwards. */
static void l6_close_listener(void **state)
{
	(void)state;
	struct net N, *n = &N;
	net_up(n, NULL);
	struct h *h = n->h;
	int lfd = h_listen(h, n->s, PORT, 8);
	int cfd[3];
	uint32_t cisn[3], sisn[3];
	for (int i = 0; i < 3; i++) {
		h_run_until(h, MS(i));
		cfd[i] = connect_from(n, (uint16_t)(40001 + i));
	}
	h_run_until(h, MS(100));
	for (int i = 0; i < 3; i++)
		cisn[i] = h_next(h)->tcp.seq;
	for (int i = 0; i < 3; i++)
		sisn[i] = h_next(h)->tcp.seq;
	h->next_pkt += 3;
	h_no_more(h);
	uint16_t rport;
	int a1 = accept_from(n, lfd, &rport);
	assert_int_equal(rport, 40001);
	xsend(n, 1005, 5000, 0, TCP_SYN, &mss_only);
	h_run_until(h, MS(150));
	assert_int_equal(sk_send(CST(n), cfd[1], "queued", 6, 0), 6);
	h_run_until(h, MS(500));
	h_expect(h_next(h), MS(100), n->x, "S", 5000, 0, 0);
	const struct h_pkt *xsa = h_next(h);
	h_expect(xsa, MS(110), n->s, "S.", xsa->tcp.seq, 5001, 0);
	uint32_t xisn = xsa->tcp.seq;
	h_expect(h_next(h), MS(150), n->c, "P.", cisn[1] + 1, sisn[1] + 1, 6);
	h_expect(h_next(h), MS(160), n->s, ".", sisn[1] + 1, cisn[1] + 7, 0);
	h_no_more(h);
	uint64_t rsts0 = ctr(n, n->s, SK_MIB_OutRsts);

	assert_int_equal(sk_close(SST(n), lfd), 0);
	h_run_until(h, MS(600));
	h_expect(h_next(h), MS(500), n->s, "R.", sisn[1] + 1, cisn[1] + 7, 0);
	h_expect(h_next(h), MS(500), n->s, "R.", sisn[2] + 1, cisn[2] + 1, 0);
	h_no_more(h);
	assert_int_equal(ctr(n, n->s, SK_MIB_OutRsts) - rsts0, 2);
	assert_int_equal(ctr(n, n->s, SK_MIB_EstabResets), 2);
	assert_int_equal(ctr(n, n->c, SK_MIB_EstabResets), 2);
	for (int i = 1; i < 3; i++) {
		uint16_t cport = (uint16_t)(40001 + i);
		assert_int_equal(when(n, n->s, PORT, cport, SK_TCP_ESTABLISHED, SK_TCP_CLOSE), MS(500));
		assert_int_equal(when(n, n->c, cport, PORT, SK_TCP_ESTABLISHED, SK_TCP_CLOSE), MS(510));
		/* the first call after the reset reports it, recv or send */
		char b[8];
		if (i == 1)
			assert_int_equal(sk_recv(CST(n), cfd[i], b, sizeof(b), 0), -ECONNRESET);
		else
			assert_int_equal(sk_send(CST(n), cfd[i], "x", 1, MSG_NOSIGNAL), -ECONNRESET);
		assert_int_equal(sk_recv(CST(n), cfd[i], b, sizeof(b), 0), 0);
		assert_int_equal(sk_send(CST(n), cfd[i], "x", 1, MSG_NOSIGNAL), -EPIPE);
	}

	/* the accepted connection is untouched */
	assert_int_equal(h_state(h, n->s, a1), SK_TCP_ESTABLISHED);
	assert_int_equal(sk_send(CST(n), cfd[0], "ping", 4, 0), 4);
	assert_int_equal(sk_send(SST(n), a1, "pong!", 5, 0), 5);
	h_run_until(h, MS(700));
	h_expect(h_next(h), MS(600), n->c, "P.", cisn[0] + 1, sisn[0] + 1, 4);
	h_expect(h_next(h), MS(600), n->s, "P.", sisn[0] + 1, cisn[0] + 1, 5);
	h->next_pkt = h->npkts; /* their ACKs */
	char b[8];
	assert_int_equal(sk_recv(SST(n), a1, b, sizeof(b), 0), 4);
	assert_memory_equal(b, "ping", 4);
	assert_int_equal(sk_recv(CST(n), cfd[0], b, sizeof(b), 0), 5);
	assert_memory_equal(b, "pong!", 5);

	/* the half-open peer's ACK now finds nothing */
	xsend(n, 1005, 5001, xisn + 1, TCP_ACK, NULL);
	h_run_until(h, MS(800));
	h_expect(h_next(h), MS(700), n->x, ".", 5001, xisn + 1, 0);
	h_expect(h_next(h), MS(710), n->s, "R", xisn + 1, 0, 0);
	h_no_more(h);
	struct h_listing l;
	list_host(n, n->s, &l);
	assert_int_equal(l.n, 1); /* a1 only */
	assert_int_equal(l.e[0].fd, a1);
	/* Linux resets queued children through tcp_disconnect, which counts
	 * no TCPAbortOnClose */
	assert_int_equal(ctr(n, n->s, SK_MIB_TCPAbortOnClose), 0);
	h_free(h);
}

/* L6: a half-open connection of a closed listener is dropped silently, as
 * Linux does it: it stays listed (SYN_RECV) until its SYN-ACK timer, 1 s
 * after its SYN-ACK, which sends nothing and removes it. */
static void l6_half_open_dropped_at_its_timer(void **state)
{
	(void)state;
	struct net N, *n = &N;
	net_up(n, NULL);
	struct h *h = n->h;
	int lfd = h_listen(h, n->s, PORT, 8);
	xsend(n, 1005, 5000, 0, TCP_SYN, &mss_only);
	h_run_until(h, MS(500));
	h_expect(h_next(h), 0, n->x, "S", 5000, 0, 0);
	next_isn(h, DELAY, n->s, "S.", 5001);
	assert_int_equal(sk_close(SST(n), lfd), 0);
	h_run_until(h, DELAY + SEC(1) - 1);
	h_no_more(h);
	struct h_listing l;
	list_host(n, n->s, &l);
	assert_int_equal(l.n, 1);
	assert_int_equal(l.e[0].state, SK_TCP_SYN_RECV);
	assert_int_equal(l.e[0].rport, 1005);
	h_run_until(h, DELAY + SEC(1));
	assert_int_equal(h_nsockets(h, n->s), 0);
	h_run_until(h, SEC(100));
	h_no_more(h);
	h_free(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(l1_connections_complete_without_accept),
		cmocka_unit_test(l2_accept_queue_bound),
		cmocka_unit_test(l2_l4_syn_queue_full_without_cookies),
		cmocka_unit_test(l2_l4_syn_queue_overflow_uses_cookies),
		cmocka_unit_test(l3_full_accept_queue_drops_final_ack),
		cmocka_unit_test(l3_abort_on_overflow_resets),
		cmocka_unit_test(l4_syncookies_always),
		cmocka_unit_test(l4_bad_cookie_gets_rst),
		cmocka_unit_test(l5_rst_in_syn_recv),
		cmocka_unit_test(l5_in_window_rst_gets_challenge_ack),
		cmocka_unit_test(l6_close_listener),
		cmocka_unit_test(l6_half_open_dropped_at_its_timer),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
