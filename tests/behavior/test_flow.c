/* Flow control and the retransmission timer: BEHAVIOR.md D3 (window
 * scaling, zero window, persist probes) and D4 (RFC 6298 RTO as Linux
 * computes it, Karn's rule, exponential backoff, fast retransmit on three
 * duplicate ACKs, SACK, the tail loss probe).
 *
 * The sender under test is a synack client (10.0.0.1). Where every
 * segment of the receiver must be scripted, the receiver is a raw host
 * (10.0.0.2:80, ISN 5000) that answers the SYN with a SYN-ACK of its
 * choosing: MSS 1024 and window scale 7 for D3 (so windows are whole
 * segments and the scaled values matter), MSS 1000 and no options for the
 * fast-retransmit tests (NewReno duplicate ACKs, no SACK, no timestamps).
 *
 * Linux reference, measured on this machine (kernel 6.18, HZ 250) in a
 * private network namespace, Linux as the sender against a scripted peer
 * on a TUN device (python3), or reasoned from the 6.x source where noted:
 *
 * D3:
 * - With a window of 8192 (scale 7) and MSS 1024, a sender with more to
 *   send puts out exactly 8 segments and stops; an ACK that leaves the
 *   right edge in place (ack + 4096, window field 32) sends nothing.
 * - Zero window: probes are pure ACKs with seq = SND.UNA - 1 and no data
 *   (tcp_xmit_probe_skb), counted in TcpExtTCPWinProbe, not as
 *   retransmissions or timeouts. The first probe comes
 *   tcp_probe0_base = max(RTO, 200 ms) after the zero-window ACK. Each
 *   probe increments icsk_backoff; the next probe is armed
 *   min(base << backoff, 120 s) later -- and an ACK answering a probe
 *   re-arms that timer from the ACK's arrival (tcp_ack -> tcp_ack_probe),
 *   so with RTT r the gaps are 2^k * base + r. Measured with a 100 ms RTT
 *   (RTO 304 ms): probes at +0.32, 1.05, 2.40, 5.09, 10.20, 20.19 s, each
 *   2^k * 304 ms (+ timer slack) after the previous answer arrived.
 * - The probe ACKs reset icsk_probes_out, so the sender keeps probing as
 *   long as they come (tcpi_probes 0, tcpi_backoff 6 after 6 answered
 *   probes). Unanswered, tcp_retries2 probes end the connection with
 *   ETIMEDOUT and no RST (tcp_retries2 = 3: probes at +0.21, 0.65, 1.48 s,
 *   closed at 3.15 s; send then returns ETIMEDOUT).
 * - An ACK opening the window stops probing (backoff 0) and the queued
 *   data goes at once.
 * D4:
 * - RTO from Linux's estimator (tcp_rtt_estimator, __tcp_set_rto): first
 *   sample m: SRTT = m, RTO = m + max(2m, 200 ms). Later samples move
 *   SRTT by 1/8 and mdev by 1/4, but the variance term rttvar only decays
 *   once per RTT towards the largest mdev of that RTT, and never below
 *   200 ms. With RTT 300 ms: tcpi_rto 900, 900, 840, 768, 700 ms after
 *   the handshake and four data samples (model: 900, 900, 834, 764, 698;
 *   the difference is HZ 250 jiffy rounding). With RTT 320 ms the model
 *   gives exactly 960, 960, 890, 815 ms (HZ 1000).
 * - Karn without timestamps: an ACK for a retransmitted segment gives no
 *   sample; tcpi_rto stays backed off (448 ms = 2 x 224) and tcpi_backoff
 *   stays 1 until a valid sample; the next lost segment was retransmitted
 *   after 448 ms. With timestamps, the echoed TSval of the retransmission
 *   gives a sample (RFC 7323): tcpi_rto back to 224 ms, backoff 0, next
 *   loss retransmitted after 224 ms.
 * - Fast retransmit (no SACK): the third duplicate ACK retransmits the
 *   first unacked segment at once (TcpExtTCPFastRetrans 1,
 *   TcpRetransSegs 1, no timeout). An ACK whose sequence number is newer
 *   than the last window update (snd_wl1) is a window update, not a
 *   duplicate (tcp_may_update_window sets FLAG_WIN_UPDATE): right after
 *   the handshake the first of the peer's duplicate ACKs does not count
 *   and the retransmission came at the fourth.
 * - With SACK (the default), the first retransmission of a lone lost
 *   segment is a tail loss probe at min(2 SRTT + 200 ms, RTO); the RTO
 *   timer then restarts from the probe unbacked (silent peer, RTT ~0:
 *   retransmissions at 0.20, 0.41, 0.83, 1.66, 3.32 s; TcpRetransSegs 6,
 *   TcpExtTCPTimeouts 5, TcpExtTCPLossProbes 1 after six). Without SACK:
 *   0.21, 0.65, 1.48, 3.17 s.
 * - A receiver lists the SACK block holding the segment that triggered
 *   the ACK first (RFC 2018 §4): after out-of-order segments at +100 and
 *   +300, Linux sent sack [(+300,+400), (+100,+200)].
 * - Linux 6.18 also resends a SYN at linear 1 s intervals first
 *   (tcp_syn_linear_timeouts = 4: SYNs at 0, 1, 2, 3, 4, 5, 7, 11 s ...);
 *   only the first retransmission (1 s, the initial RTO) is checked here.
 */
#include "harness.h"

#include <stdlib.h>
#include <string.h>

#define C_ADDR SK_IP(10, 0, 0, 1)
#define S_ADDR SK_IP(10, 0, 0, 2)
#define PORT 80
#define RISS 5000u

static uint64_t ctr(struct h *h, int host, enum sk_counter c)
{
	return sk_counter(h_st(h, host), c);
}

static struct tcp_info info(struct h *h, int host, int fd)
{
	struct tcp_info ti;
	socklen_t len = sizeof(ti);
	assert_int_equal(sk_getsockopt(h_st(h, host), fd, IPPROTO_TCP, TCP_INFO, &ti, &len), 0);
	return ti;
}

/* ---- a synack client against a raw server ---- */

struct rs {
	struct h *h;
	int c, r;
	int cfd;
	uint64_t d;
	uint32_t c0, r0;       /* next seq of each side after the SYNs */
	struct tcp_opts synopts; /* what the client's SYN offered */
};

#define CST(p) h_st((p)->h, (p)->c)

/* The next packet the client sent; the raw server's own are skipped. */
static const struct h_pkt *next_c(struct rs *p)
{
	for (;;) {
		const struct h_pkt *k = h_next(p->h);
		if (k->from == p->c)
			return k;
	}
}

static void none_c(struct rs *p)
{
	while (h_pending(p->h)) {
		const struct h_pkt *k = &p->h->pkts[p->h->next_pkt];
		if (k->from == p->c)
			h_no_more(p->h);
		p->h->next_pkt++;
	}
}

/* The raw server ACKs `ack`, with SACK blocks given as pairs of offsets
 * from c0 (none when n is 0). */
static void rs_sack(struct rs *p, uint32_t ack, uint16_t wnd, int n, const uint32_t *blocks)
{
	struct sockaddr_in a;
	socklen_t alen = sizeof(a);
	assert_int_equal(sk_getsockname(CST(p), p->cfd, (struct sockaddr *)&a, &alen), 0);
	struct h_seg s = { .src = S_ADDR, .dst = C_ADDR, .sport = PORT, .dport = ntohs(a.sin_port),
			   .seq = p->r0, .ack = ack, .flags = TCP_ACK, .wnd = wnd };
	if (n)
		s.opts.has = TCP_HAS_SACK;
	s.opts.nsack = (uint8_t)n;
	for (int i = 0; i < n; i++) {
		s.opts.sack[i].left = p->c0 + blocks[2 * i];
		s.opts.sack[i].right = p->c0 + blocks[2 * i + 1];
	}
	h_send(p->h, p->r, &s);
}

static void rs_ack(struct rs *p, uint32_t ack, uint16_t wnd) { rs_sack(p, ack, wnd, 0, NULL); }

/* The client connects at 0 (from `lport`, or an ephemeral port when 0);
 * the raw server answers at d with a SYN-ACK (window `wnd`, options
 * `opts`); the client's ACK leaves at 2d. */
static void rs_open(struct rs *p, uint64_t d, const char *const *cknobs, uint16_t wnd,
		    const struct tcp_opts *opts, uint16_t lport)
{
	memset(p, 0, sizeof(*p));
	struct h *h = p->h = h_new();
	p->c = h_host(h, "client", C_ADDR, cknobs);
	p->r = h_raw(h, "server", S_ADDR);
	p->d = d;
	struct sk_path path = { .delay_ns = d };
	assert_int_equal(sk_sim_set_link(h->sim, p->c, p->r, &path), 0);
	struct sk_stack *st = CST(p);
	p->cfd = sk_socket(st, AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	assert_true(p->cfd >= 0);
	if (lport) {
		struct sockaddr_in b = { .sin_family = AF_INET, .sin_port = htons(lport) };
		assert_int_equal(sk_bind(st, p->cfd, (struct sockaddr *)&b, sizeof(b)), 0);
	}
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(PORT),
				 .sin_addr.s_addr = htonl(S_ADDR) };
	assert_int_equal(sk_connect(st, p->cfd, (struct sockaddr *)&a, sizeof(a)), -EINPROGRESS);
	h_run_until(h, d);
	const struct h_pkt *syn = next_c(p);
	h_expect(syn, 0, p->c, "S", syn->tcp.seq, 0, 0);
	p->c0 = syn->tcp.seq + 1;
	p->synopts = syn->tcp.opts;
	uint16_t cport = syn->tcp.sport;
	struct h_pkt got;
	h_take(h, p->r, &got);
	struct h_seg sa = { .src = S_ADDR, .dst = C_ADDR, .sport = PORT, .dport = cport,
			    .seq = RISS, .ack = p->c0, .flags = TCP_SYN | TCP_ACK, .wnd = wnd,
			    .opts = *opts };
	h_send(h, p->r, &sa);
	p->r0 = RISS + 1;
	h_run_until(h, 3 * d);
	h_expect(next_c(p), 2 * d, p->c, ".", p->c0, p->r0, 0);
	none_c(p);
	while (h_has(h, p->r))
		h_take(h, p->r, &got);
	assert_int_equal(h_state(h, p->c, p->cfd), SK_TCP_ESTABLISHED);
}

static const uint8_t zeros[4096];

/* ================================ D3 ================================ */

static const struct tcp_opts d3_synack = { .has = TCP_HAS_MSS | TCP_HAS_WSCALE, .mss = 1024,
					   .wscale = 7 };

/* The client writes nine 1024-byte blocks at 100 ms into a window of 8192
 * bytes: eight segments go, the ninth waits. */
static void d3_fill_window(struct rs *p)
{
	struct h *h = p->h;
	h_run_until(h, MS(100));
	for (int i = 0; i < 9; i++)
		assert_int_equal(sk_send(CST(p), p->cfd, zeros, 1024, 0), 1024);
	h_run_until(h, MS(110));
	for (uint32_t i = 0; i < 8; i++)
		h_expect(next_c(p), MS(100), p->c, "P.", p->c0 + 1024 * i, p->r0, 1024);
	none_c(p);
}

/* D3: the sender stops at exactly the advertised (scaled) window, probes
 * the zero window with seq = SND.UNA - 1 every max(RTO, 200 ms) << k after
 * the last answer, and sends the waiting segment when the window opens. */
static void d3_sender_stops_at_scaled_window_and_probes(void **state)
{
	(void)state;
	struct rs P, *p = &P;
	rs_open(p, MS(10), NULL, 8192, &d3_synack, 0);
	struct h *h = p->h;
	/* our SYN offered window scaling (7 for the default tcp_rmem) */
	assert_true(p->synopts.has & TCP_HAS_WSCALE);
	assert_int_equal(p->synopts.wscale, 7);
	struct tcp_info ti = info(h, p->c, p->cfd);
	assert_int_equal(ti.tcpi_snd_wscale, 7);
	assert_int_equal(ti.tcpi_snd_mss, 1024);
	assert_int_equal(ti.tcpi_rto, 220000); /* RTT 20 ms: 20 + 200 */
	d3_fill_window(p);

	/* at 110 the receiver ACKs half (window 32 << 7: same right edge),
	 * then all of it with a zero window */
	rs_ack(p, p->c0 + 4096, 32);
	rs_ack(p, p->c0 + 8192, 0);
	h_run_until(h, MS(340) - 1);
	none_c(p);
	ti = info(h, p->c, p->cfd);
	assert_int_equal(ti.tcpi_unacked, 0);

	/* probe 1 at 120 + 220; answered at 350, arriving at 360 */
	h_run_until(h, MS(350));
	h_expect(next_c(p), MS(340), p->c, ".", p->c0 + 8191, p->r0, 0);
	none_c(p);
	rs_ack(p, p->c0 + 8192, 0);
	/* probe 2: 440 ms after the answer arrived */
	h_run_until(h, MS(810));
	h_expect(next_c(p), MS(800), p->c, ".", p->c0 + 8191, p->r0, 0);
	none_c(p);
	rs_ack(p, p->c0 + 8192, 0);
	h_run_until(h, MS(830));
	ti = info(h, p->c, p->cfd);
	assert_int_equal(ti.tcpi_backoff, 2);
	assert_int_equal(ti.tcpi_probes, 0);
	/* probe 3: 880 ms after 820 */
	h_run_until(h, MS(1710));
	h_expect(next_c(p), MS(1700), p->c, ".", p->c0 + 8191, p->r0, 0);
	none_c(p);
	rs_ack(p, p->c0 + 8192, 0);

	/* the receiver opens 8 << 7 = 1024 bytes at 1800: the ninth goes */
	h_run_until(h, MS(1800));
	rs_ack(p, p->c0 + 8192, 8);
	h_run_until(h, MS(1820));
	h_expect(next_c(p), MS(1810), p->c, "P.", p->c0 + 8192, p->r0, 1024);
	none_c(p);
	rs_ack(p, p->c0 + 9216, 64);
	h_run_until(h, SEC(10));
	none_c(p);
	ti = info(h, p->c, p->cfd);
	assert_int_equal(ti.tcpi_backoff, 0);
	assert_int_equal(ti.tcpi_unacked, 0);
	assert_int_equal(ctr(h, p->c, SK_MIB_RetransSegs), 0);
	assert_int_equal(ctr(h, p->c, SK_MIB_TCPTimeouts), 0);
	assert_int_equal(h_state(h, p->c, p->cfd), SK_TCP_ESTABLISHED);
	h_free(h);
}

/* Linux's gap after zero-window probe number k (backoff k): base << k,
 * the backoff capped at ilog2(TCP_RTO_MAX / TCP_RTO_MIN) + 1 = 10, at most
 * 120 s. */
static uint64_t probe_gap(uint64_t base, int k)
{
	int b = k < 10 ? k : 10;
	uint64_t g = base << b;
	return g < SEC(120) ? g : SEC(120);
}

/* D3: persist survives as long as the probes are answered (here 20 of
 * them, for 23 minutes: more than tcp_retries2 = 15); when the
 * receiver falls silent, 15 unanswered probes end the connection with
 * ETIMEDOUT and no RST. */
static void d3_persist_survives_while_answered_then_gives_up(void **state)
{
	(void)state;
	struct rs P, *p = &P;
	rs_open(p, MS(10), NULL, 8192, &d3_synack, 0);
	struct h *h = p->h;
	d3_fill_window(p);
	rs_ack(p, p->c0 + 8192, 0); /* at 110, arrives at 120 */
	const uint64_t base = MS(220), rtt = MS(20);
	uint64_t t = MS(120) + base;
	for (int k = 1; k <= 20; k++) {
		h_run_until(h, t + p->d);
		h_expect(next_c(p), t, p->c, ".", p->c0 + 8191, p->r0, 0);
		none_c(p);
		rs_ack(p, p->c0 + 8192, 0);
		t += rtt + probe_gap(base, k);
	}
	h_run_until(h, t - 1);
	none_c(p);
	assert_true(t > SEC(1400)); /* more than 23 minutes of probing */
	struct tcp_info ti = info(h, p->c, p->cfd);
	assert_int_equal(ti.tcpi_probes, 0);
	assert_int_equal(h_state(h, p->c, p->cfd), SK_TCP_ESTABLISHED);
	/* from now on nobody answers */
	for (int k = 21; k <= 35; k++) {
		h_run_until(h, t);
		h_expect(next_c(p), t, p->c, ".", p->c0 + 8191, p->r0, 0);
		none_c(p);
		t += probe_gap(base, k);
	}
	h_run_until(h, t - 1);
	none_c(p);
	assert_int_equal(h_state(h, p->c, p->cfd), SK_TCP_ESTABLISHED);
	h_run_until(h, t);
	none_c(p); /* no RST */
	assert_int_equal(h_state(h, p->c, p->cfd), SK_TCP_CLOSE);
	assert_int_equal(sk_send(CST(p), p->cfd, "x", 1, MSG_NOSIGNAL), -ETIMEDOUT);
	assert_int_equal(ctr(h, p->c, SK_MIB_TCPAbortOnTimeout), 1);
	assert_int_equal(ctr(h, p->c, SK_MIB_RetransSegs), 0);
	h_free(h);
}

/* ---- two synack hosts ---- */

struct pair {
	struct h *h;
	int c, s;
	int cfd, afd;
	uint32_t c0, s0;
	uint16_t synack_wnd;
	uint64_t d;
};

#define PCST(p) h_st((p)->h, (p)->c)
#define PSST(p) h_st((p)->h, (p)->s)

static void open_pair(struct pair *p, uint64_t d, const char *const *cknobs)
{
	memset(p, 0, sizeof(*p));
	struct h *h = p->h = h_new();
	p->c = h_host(h, "client", C_ADDR, cknobs);
	p->s = h_host(h, "server", S_ADDR, NULL);
	p->d = d;
	struct sk_path path = { .delay_ns = d };
	assert_int_equal(sk_sim_set_link(h->sim, p->c, p->s, &path), 0);
	int lfd = h_listen(h, p->s, PORT, 16);
	p->cfd = h_connect(h, p->c, S_ADDR, PORT);
	h_run_until(h, 3 * d);
	const struct h_pkt *syn = h_next(h);
	const struct h_pkt *sa = h_next(h);
	h_expect(sa, d, p->s, "S.", sa->tcp.seq, syn->tcp.seq + 1, 0);
	p->c0 = syn->tcp.seq + 1;
	p->s0 = sa->tcp.seq + 1;
	p->synack_wnd = sa->tcp.wnd;
	h_expect(h_next(h), 2 * d, p->c, ".", p->c0, p->s0, 0);
	h_no_more(h);
	p->afd = sk_accept(PSST(p), lfd, NULL, NULL);
	assert_true(p->afd >= 0);
	assert_int_equal(sk_close(PSST(p), lfd), 0);
}

/* The window's right edge a packet from the receiver announces. */
static uint32_t right_edge(const struct h_pkt *k, int wscale)
{
	return k->tcp.ack + ((uint32_t)k->tcp.wnd << wscale);
}

/* D3 end to end: a receiver that does not read fills its buffer; it
 * announces a shrinking window and finally zero; the sender never sends
 * past the right edge it was given, then only probes (seq SND.UNA - 1, no
 * data), spaced by Linux's rule; when the application reads, the receiver
 * sends a window update at once and the transfer completes intact. */
static void d3_receiver_not_reading_zero_window_then_update(void **state)
{
	(void)state;
	struct pair P, *p = &P;
	open_pair(p, MS(10), NULL);
	struct h *h = p->h;
	enum { TOTAL = 400000 };
	uint8_t *src = malloc(TOTAL), *dst = malloc(TOTAL);
	assert_non_null(src);
	assert_non_null(dst);
	for (uint32_t i = 0; i < TOTAL; i++)
		src[i] = (uint8_t)(i * 7u + (i >> 11));
	int ws = info(h, p->s, p->afd).tcpi_rcv_wscale; /* the receiver's shift */
	assert_int_equal(ws, 7);
	uint32_t edge0 = p->c0 + p->synack_wnd; /* a SYN-ACK's window is not scaled */

	h_run_until(h, SEC(1));
	int first = h->next_pkt;
	uint32_t sent = 0;
	/* the receiver does not read for 30 s */
	while (sk_sim_now(h->sim) < SEC(31)) {
		if (sent < TOTAL) {
			long n = sk_send(PCST(p), p->cfd, src + sent, TOTAL - sent, 0);
			if (n > 0)
				sent += (uint32_t)n;
		}
		h_run_for(h, MS(10));
	}
	/* Walk the trace. The right edge known to the sender when it sends
	 * at t is the largest one announced by the receiver by t - d. */
	int zero_at = -1;
	uint32_t max_end = p->c0;
	for (int i = first; i < h->npkts; i++) {
		const struct h_pkt *k = &h->pkts[i];
		if (k->from == p->s) {
			if (k->tcp.wnd == 0 && zero_at < 0)
				zero_at = i;
			continue;
		}
		if (!k->tcp.data_len)
			continue;
		uint32_t known = edge0;
		for (int j = first; j < i; j++) {
			const struct h_pkt *r = &h->pkts[j];
			uint32_t e = right_edge(r, ws);
			if (r->from == p->s && r->t_ns + p->d <= k->t_ns && (int32_t)(e - known) > 0)
				known = e;
		}
		uint32_t end = k->tcp.seq + k->tcp.data_len;
		if ((int32_t)(end - known) > 0)
			fail_msg("segment [%u, %u) at %llu ns passes the announced edge %u", k->tcp.seq,
				 end, (unsigned long long)k->t_ns, known);
		if ((int32_t)(end - max_end) > 0)
			max_end = end;
	}
	if (zero_at < 0)
		fail_msg("the receiver never announced a zero window");
	const struct h_pkt *z = &h->pkts[zero_at];
	uint32_t zack = z->tcp.ack;
	uint64_t z_arrive = z->t_ns + p->d;
	/* the sender filled the window exactly */
	assert_int_equal(max_end, zack);

	/* After the zero window reached the sender: probes only, the first
	 * max(RTO, 200 ms) after it, then each base << k after the previous
	 * probe, or after the arrival of the answer to it. */
	uint64_t base = (uint64_t)info(h, p->c, p->cfd).tcpi_rto * 1000;
	if (base < MS(200))
		base = MS(200);
	uint64_t last_probe = 0, rearm_from = z_arrive;
	int k = 0;
	for (int i = zero_at + 1; i < h->npkts; i++) {
		const struct h_pkt *q = &h->pkts[i];
		if (q->from == p->s) {
			h_expect(q, q->t_ns, p->s, ".", p->s0, zack, 0);
			assert_int_equal(q->tcp.wnd, 0);
			if (k > 0 && q->t_ns == last_probe + p->d)
				rearm_from = q->t_ns + p->d; /* answered */
			continue;
		}
		if (q->t_ns < z_arrive)
			continue; /* sent before it knew */
		uint64_t want = rearm_from + (k ? probe_gap(base, k) : base);
		h_expect(q, want, p->c, ".", zack - 1, p->s0, 0);
		last_probe = rearm_from = q->t_ns;
		k++;
	}
	assert_true(k >= 5);
	h->next_pkt = h->npkts;

	/* the application reads everything: the window update goes at once */
	uint32_t got = 0;
	for (;;) {
		long r = sk_recv(PSST(p), p->afd, dst + got, TOTAL - got, 0);
		if (r <= 0)
			break;
		got += (uint32_t)r;
	}
	assert_int_equal(got, zack - p->c0);
	uint64_t t_read = sk_sim_now(h->sim);
	const struct h_pkt *u = h_next(h);
	h_expect(u, t_read, p->s, ".", p->s0, zack, 0);
	assert_true(u->tcp.wnd > 0);
	h_run_until(h, t_read + p->d);
	const struct h_pkt *resume = h_next(h);
	h_expect(resume, t_read + p->d, p->c, resume->tcp.flags & TCP_PSH ? "P." : ".", zack, p->s0,
		 resume->tcp.data_len);
	assert_true(resume->tcp.data_len > 0);

	/* now the reader keeps up: everything arrives, in order, intact */
	while (got < TOTAL && sk_sim_now(h->sim) < t_read + SEC(60)) {
		h_run_for(h, MS(5));
		if (sent < TOTAL) {
			long n = sk_send(PCST(p), p->cfd, src + sent, TOTAL - sent, 0);
			if (n > 0)
				sent += (uint32_t)n;
		}
		for (;;) {
			long r = sk_recv(PSST(p), p->afd, dst + got, TOTAL - got, 0);
			if (r <= 0)
				break;
			got += (uint32_t)r;
		}
	}
	assert_int_equal(got, TOTAL);
	assert_memory_equal(src, dst, TOTAL);
	assert_int_equal(ctr(h, p->c, SK_MIB_RetransSegs), 0);
	free(src);
	free(dst);
	h_free(h);
}

/* ================================ D4 ================================ */

/* D4: before any RTT sample the RTO is 1 s (RFC 6298 §2.1): the SYN is
 * retransmitted 1 s after it was sent. */
static void d4_initial_rto_is_one_second(void **state)
{
	(void)state;
	struct h *h = h_new();
	int c = h_host(h, "client", C_ADDR, NULL);
	int fd = h_connect(h, c, SK_IP(10, 0, 0, 99), PORT);
	assert_int_equal(info(h, c, fd).tcpi_rto, 1000000);
	h_run_until(h, SEC(1));
	const struct h_pkt *syn = h_next(h);
	h_expect(syn, 0, c, "S", syn->tcp.seq, 0, 0);
	h_expect(h_next(h), SEC(1), c, "S", syn->tcp.seq, 0, 0);
	h_no_more(h);
	h_free(h);
}

/* The client writes one byte at t; the server's ACK comes back 2d later. */
static void ping(struct pair *p, uint64_t t, uint32_t *cseq)
{
	struct h *h = p->h;
	char b[4];
	h_run_until(h, t);
	assert_int_equal(sk_send(PCST(p), p->cfd, "a", 1, 0), 1);
	h_run_until(h, t + 2 * p->d);
	h_expect(h_next(h), t, p->c, "P.", *cseq, p->s0, 1);
	h_expect(h_next(h), t + p->d, p->s, ".", p->s0, *cseq + 1, 0);
	h_no_more(h);
	assert_int_equal(sk_recv(PSST(p), p->afd, b, sizeof(b), 0), 1);
	*cseq += 1;
}

/* D4: the RTO follows Linux's estimator. RTT 320 ms (160 ms each way):
 * after the handshake RTO = 320 + 2 x 320 = 960 ms on both sides; a
 * second sample of 320 ms leaves it at 960 (the variance term decays only
 * once per RTT, towards the largest mdev seen, 480 -> 360); a third gives
 * 890 ms. A lost segment is then retransmitted after 890 ms, 1.78 s,
 * 3.56 s ..., doubling up to 120 s, and with tcp_retries2 = 15 the socket
 * gives up when 924.6 s have passed since the first retransmission:
 * 13 retransmissions, ETIMEDOUT at +946.95 s. SACK is off so that no
 * tail loss probe comes first. */
static void d4_rto_follows_linux_estimator_and_backs_off(void **state)
{
	(void)state;
	static const char *const knobs[] = { "tcp_sack=0", NULL };
	struct pair P, *p = &P;
	open_pair(p, MS(160), knobs);
	struct h *h = p->h;
	assert_int_equal(info(h, p->c, p->cfd).tcpi_rto, 960000);
	assert_int_equal(info(h, p->c, p->cfd).tcpi_rtt, 320000);
	assert_int_equal(info(h, p->s, p->afd).tcpi_rto, 960000);
	uint32_t cseq = p->c0;
	ping(p, SEC(1), &cseq);
	assert_int_equal(info(h, p->c, p->cfd).tcpi_rtt, 320000);
	assert_int_equal(info(h, p->c, p->cfd).tcpi_rto, 960000);
	ping(p, SEC(2), &cseq);
	assert_int_equal(info(h, p->c, p->cfd).tcpi_rto, 890000);

	h_run_until(h, SEC(3));
	assert_int_equal(sk_sim_partition(h->sim, p->c, p->s, 1), 0);
	assert_int_equal(sk_send(PCST(p), p->cfd, "z", 1, 0), 1);
	uint64_t t = SEC(3), rto = MS(890);
	h_run_until(h, SEC(3) + MS(946950) - 1);
	h_expect(h_next(h), t, p->c, "P.", cseq, p->s0, 1);
	for (int i = 1; i <= 13; i++) {
		t += rto;
		h_expect(h_next(h), t, p->c, "P.", cseq, p->s0, 1);
		rto = rto * 2 < SEC(120) ? rto * 2 : SEC(120);
	}
	h_no_more(h);
	assert_int_equal(t, SEC(3) + MS(826950));
	assert_int_equal(h_state(h, p->c, p->cfd), SK_TCP_ESTABLISHED);
	assert_int_equal(info(h, p->c, p->cfd).tcpi_rto, 120000000);
	h_run_until(h, SEC(3) + MS(946950));
	h_no_more(h);
	assert_int_equal(h_state(h, p->c, p->cfd), SK_TCP_CLOSE);
	assert_int_equal(sk_send(PCST(p), p->cfd, "z", 1, MSG_NOSIGNAL), -ETIMEDOUT);
	assert_int_equal(ctr(h, p->c, SK_MIB_RetransSegs), 13);
	assert_int_equal(ctr(h, p->c, SK_MIB_TCPTimeouts), 14);
	h_free(h);
}

/* D4: with 50 ms each way (RTT 100 ms) the RTO is SRTT + max(2 SRTT,
 * 200 ms) = 300 ms (Linux measured 300 ms with a 100 ms RTT, before and
 * after data samples); a lost segment is retransmitted 300 ms and then
 * 600 ms later. */
static void d4_rto_with_50ms_path_is_300ms(void **state)
{
	(void)state;
	static const char *const knobs[] = { "tcp_sack=0", NULL };
	struct pair P, *p = &P;
	open_pair(p, MS(50), knobs);
	struct h *h = p->h;
	assert_int_equal(info(h, p->c, p->cfd).tcpi_rto, 300000);
	uint32_t cseq = p->c0;
	ping(p, SEC(1), &cseq);
	assert_int_equal(info(h, p->c, p->cfd).tcpi_rto, 300000);
	h_run_until(h, SEC(2));
	assert_int_equal(sk_sim_partition(h->sim, p->c, p->s, 1), 0);
	assert_int_equal(sk_send(PCST(p), p->cfd, "z", 1, 0), 1);
	h_run_until(h, MS(2900));
	h_expect(h_next(h), SEC(2), p->c, "P.", cseq, p->s0, 1);
	h_expect(h_next(h), MS(2300), p->c, "P.", cseq, p->s0, 1);
	h_expect(h_next(h), MS(2900), p->c, "P.", cseq, p->s0, 1);
	h_no_more(h);
	assert_int_equal(info(h, p->c, p->cfd).tcpi_rto, 1200000);
	assert_int_equal(info(h, p->c, p->cfd).tcpi_backoff, 2);
	h_free(h);
}

/* Sends one byte at t through a C -> S path that is down until t_up. */
static void send_lost(struct pair *p, uint64_t t, uint64_t t_up)
{
	struct h *h = p->h;
	struct sk_path down = { .delay_ns = p->d, .down = 1 }, up = { .delay_ns = p->d };
	h_run_until(h, t);
	assert_int_equal(sk_sim_set_path(h->sim, p->c, p->s, &down), 0);
	assert_int_equal(sk_send(PCST(p), p->cfd, "k", 1, 0), 1);
	h_run_until(h, t_up);
	assert_int_equal(sk_sim_set_path(h->sim, p->c, p->s, &up), 0);
}

/* D4, Karn's rule (RFC 6298 §5, no timestamps): the ACK of a retransmitted
 * segment gives no RTT sample, so the backed-off RTO (440 ms) and
 * tcpi_backoff stay until a segment sent once is acknowledged. */
static void d4_karn_no_sample_from_retransmission(void **state)
{
	(void)state;
	static const char *const knobs[] = { "tcp_timestamps=0", "tcp_sack=0", NULL };
	struct pair P, *p = &P;
	open_pair(p, MS(10), knobs);
	struct h *h = p->h;
	assert_int_equal(info(h, p->c, p->cfd).tcpi_rto, 220000);
	uint32_t cseq = p->c0;
	char b[8];

	send_lost(p, SEC(1), MS(1100));
	h_run_until(h, SEC(2));
	h_expect(h_next(h), SEC(1), p->c, "P.", cseq, p->s0, 1);          /* lost */
	h_expect(h_next(h), MS(1220), p->c, "P.", cseq, p->s0, 1);        /* RTO */
	h_expect(h_next(h), MS(1230), p->s, ".", p->s0, cseq + 1, 0);
	h_no_more(h);
	cseq++;
	assert_int_equal(sk_recv(PSST(p), p->afd, b, sizeof(b), 0), 1);
	struct tcp_info ti = info(h, p->c, p->cfd);
	assert_int_equal(ti.tcpi_rto, 440000);
	assert_int_equal(ti.tcpi_rtt, 20000);

	send_lost(p, SEC(2), MS(2300));
	h_run_until(h, SEC(3));
	h_expect(h_next(h), SEC(2), p->c, "P.", cseq, p->s0, 1);          /* lost */
	h_expect(h_next(h), MS(2440), p->c, "P.", cseq, p->s0, 1);        /* after 440 */
	h_expect(h_next(h), MS(2450), p->s, ".", p->s0, cseq + 1, 0);
	h_no_more(h);
	cseq++;
	assert_int_equal(sk_recv(PSST(p), p->afd, b, sizeof(b), 0), 1);
	ti = info(h, p->c, p->cfd);
	assert_int_equal(ti.tcpi_rto, 880000);

	ping(p, SEC(3), &cseq); /* sent once, ACKed: a valid sample */
	ti = info(h, p->c, p->cfd);
	assert_int_equal(ti.tcpi_rto, 220000);
	assert_int_equal(ti.tcpi_backoff, 0);
	assert_int_equal(ctr(h, p->c, SK_MIB_RetransSegs), 2);

	/* Linux keeps icsk_backoff until a valid sample (tcp_ack_update_rtt) */
	send_lost(p, SEC(4), MS(4100));
	h_run_until(h, SEC(5));
	h_expect(h_next(h), SEC(4), p->c, "P.", cseq, p->s0, 1);
	h_expect(h_next(h), MS(4220), p->c, "P.", cseq, p->s0, 1);
	h_expect(h_next(h), MS(4230), p->s, ".", p->s0, cseq + 1, 0);
	h_no_more(h);
	ti = info(h, p->c, p->cfd);
	assert_int_equal(ti.tcpi_rto, 440000);
	assert_int_equal(ti.tcpi_backoff, 1);
	h_free(h);
}

/* D4 with timestamps (the default): the echoed TSval identifies the
 * retransmission, so its ACK does give a sample (RFC 7323 §4; Linux
 * tcp_ack_update_rtt falls back to the TSecr): the RTO collapses back to
 * 220 ms and the next lost segment is retransmitted after 220 ms. */
static void d4_timestamps_sample_the_retransmission(void **state)
{
	(void)state;
	static const char *const knobs[] = { "tcp_sack=0", NULL };
	struct pair P, *p = &P;
	open_pair(p, MS(10), knobs);
	struct h *h = p->h;
	uint32_t cseq = p->c0;
	char b[8];
	send_lost(p, SEC(1), MS(1100));
	h_run_until(h, SEC(2));
	h_expect(h_next(h), SEC(1), p->c, "P.", cseq, p->s0, 1);
	const struct h_pkt *rx = h_next(h);
	h_expect(rx, MS(1220), p->c, "P.", cseq, p->s0, 1);
	uint32_t tsval = rx->tcp.opts.tsval;
	const struct h_pkt *ack = h_next(h);
	h_expect(ack, MS(1230), p->s, ".", p->s0, cseq + 1, 0);
	assert_int_equal(ack->tcp.opts.tsecr, tsval); /* it echoes the retransmission */
	h_no_more(h);
	cseq++;
	assert_int_equal(sk_recv(PSST(p), p->afd, b, sizeof(b), 0), 1);
	struct tcp_info ti = info(h, p->c, p->cfd);
	assert_int_equal(ti.tcpi_rto, 220000);
	assert_int_equal(ti.tcpi_backoff, 0);

	send_lost(p, SEC(2), MS(2100));
	h_run_until(h, SEC(3));
	h_expect(h_next(h), SEC(2), p->c, "P.", cseq, p->s0, 1);
	h_expect(h_next(h), MS(2220), p->c, "P.", cseq, p->s0, 1);
	h_expect(h_next(h), MS(2230), p->s, ".", p->s0, cseq + 1, 0);
	h_no_more(h);
	h_free(h);
}


static const struct tcp_opts reno_synack = { .has = TCP_HAS_MSS, .mss = 1000 };

/* The fast-retransmit scenario from client port `lport`: four segments at
 * 200 ms, the first lost; duplicate ACKs leave the receiver 1 ms apart
 * from 210 ms; `wl_update` first exchanges one byte so that the
 * receiver's later ACKs carry no newer sequence number. Returns the
 * client's ISN. */
static uint32_t fast_retransmit_run(uint16_t lport, int wl_update, int ndup)
{
	struct rs P, *p = &P;
	rs_open(p, MS(10), NULL, 65535, &reno_synack, lport);
	struct h *h = p->h;
	uint32_t c0 = p->c0;
	if (wl_update) {
		h_run_until(h, MS(100));
		assert_int_equal(sk_send(CST(p), p->cfd, "p", 1, 0), 1);
		h_run_until(h, MS(110));
		h_expect(next_c(p), MS(100), p->c, "P.", c0, p->r0, 1);
		rs_ack(p, c0 + 1, 65535);
		c0++;
	}
	h_run_until(h, MS(200));
	for (int i = 0; i < 4; i++)
		assert_int_equal(sk_send(CST(p), p->cfd, zeros, 1000, 0), 1000);
	for (uint32_t i = 0; i < 4; i++)
		h_expect(next_c(p), MS(200), p->c, "P.", c0 + 1000 * i, p->r0, 1000);
	for (int i = 0; i < ndup; i++) {
		h_run_until(h, MS(210) + MS(1) * (uint64_t)i);
		rs_ack(p, c0, 65535); /* segments 2, 3, 4 arrived; 1 did not */
	}
	uint64_t t_rx = MS(220) + MS(1) * (uint64_t)(ndup - 1);
	h_run_until(h, t_rx - 1);
	none_c(p);
	h_run_until(h, t_rx + p->d);
	h_expect(next_c(p), t_rx, p->c, "P.", c0, p->r0, 1000); /* at once */
	none_c(p);
	assert_int_equal(ctr(h, p->c, SK_MIB_TCPFastRetrans), 1);
	assert_int_equal(ctr(h, p->c, SK_MIB_RetransSegs), 1);
	rs_ack(p, c0 + 4000, 65535); /* the retransmission filled the hole */
	h_run_until(h, SEC(5));
	none_c(p);
	assert_int_equal(ctr(h, p->c, SK_MIB_TCPTimeouts), 0);
	assert_int_equal(ctr(h, p->c, SK_MIB_RetransSegs), 1);
	assert_int_equal(info(h, p->c, p->cfd).tcpi_unacked, 0);
	uint32_t iss = p->c0 - 1;
	h_free(h);
	return iss;
}

/* D4: fast retransmit (RFC 5681 §3.2): the third duplicate ACK makes the
 * sender resend the first unacknowledged segment at once, long before its
 * RTO (420 ms). Run from several ports so that the ISNs cover both halves
 * of the sequence space (the comparisons must wrap). */
static void d4_fast_retransmit_on_third_dupack(void **state)
{
	(void)state;
	int low = 0, high = 0;
	for (uint16_t port = 40001; port < 40100 && !(low && high); port++) {
		uint32_t iss = fast_retransmit_run(port, 1, 3);
		if (iss & 0x80000000u)
			high = 1;
		else
			low = 1;
	}
	assert_true(low && high);
}

/* D4: Linux counts a duplicate ACK only if it is not a window update; an
 * ACK with a newer sequence number than the last window update is one
 * (tcp_may_update_window), even with the same window. Right after the
 * handshake the peer's first duplicate ACK is such an ACK, so the
 * retransmission comes with the fourth. */
static void d4_dupack_that_updates_window_does_not_count(void **state)
{
	(void)state;
	fast_retransmit_run(40001, 0, 4);
}

/* D4 / SACK (RFC 2018 §4): the first SACK block is the one holding the
 * segment that triggered the ACK; older blocks follow. */
static void d4_sack_first_block_is_the_latest(void **state)
{
	(void)state;
	struct h *h = h_new();
	int r = h_raw(h, "client", C_ADDR);
	int s = h_host(h, "server", S_ADDR, NULL);
	int lfd = h_listen(h, s, PORT, 16);
	struct h_seg syn = { .src = C_ADDR, .dst = S_ADDR, .sport = 40000, .dport = PORT,
			     .seq = 1000, .flags = TCP_SYN, .wnd = 65535,
			     .opts = { .has = TCP_HAS_MSS | TCP_HAS_SACK_PERM, .mss = 1460 } };
	h_send(h, r, &syn);
	h_run_until(h, 0);
	const struct h_pkt *sa = h_next(h);
	sa = h_next(h);
	h_expect(sa, 0, s, "S.", sa->tcp.seq, 1001, 0);
	uint32_t s0 = sa->tcp.seq + 1;
	struct h_seg seg = { .src = C_ADDR, .dst = S_ADDR, .sport = 40000, .dport = PORT,
			     .seq = 1001, .ack = s0, .flags = TCP_ACK, .wnd = 65535 };
	h_send(h, r, &seg);
	h_run_until(h, MS(1));
	assert_true(sk_accept(h_st(h, s), lfd, NULL, NULL) >= 0);
	seg.data = zeros;
	seg.len = 100;
	seg.seq = 1101;
	h_send(h, r, &seg);
	h_run_until(h, MS(2));
	seg.seq = 1301;
	h_send(h, r, &seg);
	h_run_until(h, MS(3));
	const struct h_pkt *a = NULL;
	for (int n = 0; n < 2; n++) {
		do
			a = h_next(h);
		while (a->from != s);
	}
	h_expect(a, MS(2), s, ".", s0, 1001, 0);
	assert_int_equal(a->tcp.opts.nsack, 2);
	assert_int_equal(a->tcp.opts.sack[0].left, 1301);
	assert_int_equal(a->tcp.opts.sack[0].right, 1401);
	assert_int_equal(a->tcp.opts.sack[1].left, 1101);
	assert_int_equal(a->tcp.opts.sack[1].right, 1201);
	h_free(h);
}

/* ---- SACK recovery: RACK, PRR (RFC 8985, RFC 6937) ---- */

static const struct tcp_opts sack_synack = { .has = TCP_HAS_MSS | TCP_HAS_SACK_PERM, .mss = 1000 };

/* A 10-segment write at 20 ms over a 10 ms RTT path (MSS 1000, SACK):
 * ten segments in TSO packets of two, PSH on each packet's last. */
static void sack_burst(struct rs *p)
{
	rs_open(p, MS(5), NULL, 65535, &sack_synack, 0);
	h_run_until(p->h, MS(20));
	assert_int_equal(sk_send(CST(p), p->cfd, zeros, 4000, 0), 4000);
	assert_int_equal(sk_send(CST(p), p->cfd, zeros, 4000, MSG_MORE), 4000);
	assert_int_equal(sk_send(CST(p), p->cfd, zeros, 2000, 0), 2000);
	for (uint32_t i = 0; i < 10; i++)
		h_expect(next_c(p), MS(20), p->c, i % 2 ? "P." : ".", p->c0 + 1000 * i, p->r0, 1000);
}

/* D4 (Linux 6.18 fast_recovery/prr-ss-ack-below-snd_una-cubic.pkt):
 * segments 1, 4, 5-7 and 8 of 10 lost. Two SACKed segments arm RACK's
 * reordering timer; the third SACK (DupThresh) marks everything sent
 * before the SACKed segment lost and starts recovery: CUBIC's ssthresh 7,
 * PRR lets one retransmission go. A partial ACK that fills a hole the
 * sender never resent shows reordering; PRR then sends three segments
 * (two in one TSO packet). An old ACK (below snd_una) still carries SACK
 * blocks: the retransmissions they cover free the window for the next
 * lost segment and one new one. The segment after the last SACK goes
 * when RACK's reordering timer says it is overdue. */
static void d4_sack_recovery_rack_and_prr(void **state)
{
	(void)state;
	struct rs P, *p = &P;
	sack_burst(p);
	struct h *h = p->h;
	uint32_t c0 = p->c0;
	uint32_t b1[] = { 1000, 2000 }, b2[] = { 1000, 3000 }, b3[] = { 1000, 3000, 8000, 9000 };
	h_run_until(h, MS(25));
	rs_sack(p, c0, 65535, 1, b1);
	rs_sack(p, c0, 65535, 1, b2);
	rs_sack(p, c0, 65535, 2, b3);
	h_run_until(h, MS(37));
	h_expect(next_c(p), MS(30), p->c, ".", c0, p->r0, 1000);
	none_c(p);
	struct tcp_info ti = info(h, p->c, p->cfd);
	assert_int_equal(ti.tcpi_snd_ssthresh, 7);
	assert_int_equal(ti.tcpi_ca_state, 3); /* TCP_CA_Recovery */
	assert_int_equal(ti.tcpi_sacked, 3);
	assert_int_equal(ti.tcpi_lost, 6);
	assert_int_equal(ti.tcpi_retrans, 1);
	assert_int_equal(ti.tcpi_snd_cwnd, 2); /* PRR: in flight 1 + the retransmission */
	assert_int_equal(ctr(h, p->c, SK_MIB_TCPSackRecovery), 1);
	uint32_t b4[] = { 8000, 9000 };
	rs_sack(p, c0 + 4000, 65535, 1, b4);
	h_run_until(h, MS(39));
	uint32_t b5[] = { 5000, 7000 };
	rs_sack(p, c0 + 3000, 65535, 1, b5); /* sent after, arrives at 44 ms */
	h_run_until(h, MS(42));
	h_expect(next_c(p), MS(42), p->c, ".", c0 + 4000, p->r0, 1000);
	h_expect(next_c(p), MS(42), p->c, "P.", c0 + 5000, p->r0, 1000);
	h_expect(next_c(p), MS(42), p->c, ".", c0 + 6000, p->r0, 1000);
	none_c(p);
	assert_int_equal(ctr(h, p->c, SK_MIB_TCPSACKReorder), 1);
	assert_int_equal(info(h, p->c, p->cfd).tcpi_reordering, 6); /* 6 segments below the SACK */
	assert_int_equal(info(h, p->c, p->cfd).tcpi_snd_cwnd, 4);
	assert_int_equal(sk_send(CST(p), p->cfd, zeros, 4000, 0), 4000);
	h_run_until(h, MS(44) - 1);
	none_c(p); /* the window is full */
	h_run_until(h, MS(50));
	h_expect(next_c(p), MS(44), p->c, ".", c0 + 7000, p->r0, 1000);
	h_expect(next_c(p), MS(44), p->c, ".", c0 + 10000, p->r0, 1000);
	/* the last original segment, sent before the resent one delivered
	 * first, is overdue when RACK's timer (min_rtt/4 + 2 ms) expires */
	h_expect(next_c(p), MS(47), p->c, "P.", c0 + 9000, p->r0, 1000);
	none_c(p);
	assert_int_equal(ctr(h, p->c, SK_MIB_TCPTimeouts), 0);
	h_free(h);
}

/* D4: one SACKed segment above a hole is not yet a loss: RACK waits the
 * RTT of the SACKed segment plus a reordering window of min_rtt/4, and
 * its timer (+ 2 ms, whole ms) resends the hole only: 2.5 + 2 -> 5 ms. */
static void d4_rack_reordering_timer(void **state)
{
	(void)state;
	struct rs P, *p = &P;
	sack_burst(p);
	struct h *h = p->h;
	uint32_t b1[] = { 1000, 2000 };
	h_run_until(h, MS(25));
	rs_sack(p, p->c0, 65535, 1, b1);
	h_run_until(h, MS(35) - 1);
	none_c(p);
	h_run_until(h, MS(40));
	h_expect(next_c(p), MS(35), p->c, ".", p->c0, p->r0, 1000);
	none_c(p);
	assert_int_equal(ctr(h, p->c, SK_MIB_TCPSackRecovery), 1);
	assert_int_equal(ctr(h, p->c, SK_MIB_RetransSegs), 1);
	h_free(h);
}

/* D4 / MSG_EOR (Linux 6.18 eor/no-coalesce-retrans.pkt): a retransmission
 * never joins two records, though each is smaller than a segment. */
static void d4_retransmission_keeps_eor_records(void **state)
{
	(void)state;
	struct rs P, *p = &P;
	rs_open(p, MS(5), NULL, 65535, &sack_synack, 0);
	struct h *h = p->h;
	uint32_t c0 = p->c0;
	h_run_until(h, MS(20));
	for (int i = 0; i < 4; i++)
		assert_int_equal(sk_send(CST(p), p->cfd, zeros, 400, MSG_EOR), 400);
	assert_int_equal(sk_send(CST(p), p->cfd, zeros, 4000, 0), 4000);
	for (uint32_t i = 0; i < 4; i++)
		h_expect(next_c(p), MS(20), p->c, "P.", c0 + 400 * i, p->r0, 400);
	for (uint32_t i = 0; i < 4; i++)
		h_expect(next_c(p), MS(20), p->c, i % 2 ? "P." : ".", c0 + 1600 + 1000 * i, p->r0, 1000);
	/* the first two records lost; the next two and the rest SACKed */
	uint32_t b[] = { 800, 5600 };
	h_run_until(h, MS(25));
	rs_sack(p, c0, 65535, 1, b);
	h_run_until(h, MS(40));
	h_expect(next_c(p), MS(30), p->c, "P.", c0, p->r0, 400);
	h_expect(next_c(p), MS(30), p->c, "P.", c0 + 400, p->r0, 400);
	none_c(p);
	h_free(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(d3_sender_stops_at_scaled_window_and_probes),
		cmocka_unit_test(d3_persist_survives_while_answered_then_gives_up),
		cmocka_unit_test(d3_receiver_not_reading_zero_window_then_update),
		cmocka_unit_test(d4_initial_rto_is_one_second),
		cmocka_unit_test(d4_rto_follows_linux_estimator_and_backs_off),
		cmocka_unit_test(d4_rto_with_50ms_path_is_300ms),
		cmocka_unit_test(d4_karn_no_sample_from_retransmission),
		cmocka_unit_test(d4_timestamps_sample_the_retransmission),
		cmocka_unit_test(d4_fast_retransmit_on_third_dupack),
		cmocka_unit_test(d4_dupack_that_updates_window_does_not_count),
		cmocka_unit_test(d4_sack_first_block_is_the_latest),
		cmocka_unit_test(d4_sack_recovery_rack_and_prr),
		cmocka_unit_test(d4_rack_reordering_timer),
		cmocka_unit_test(d4_retransmission_keeps_eor_records),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
