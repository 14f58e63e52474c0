/* TCP output: building segments, the send loop (window, Nagle), ACKs,
 * resets, and the receive window we advertise. */
#include "core.h"

#define MAX_TCP_WINDOW 65535u

/* Linux's tcp_win_from_space with its default scaling ratio: half of a
 * buffer's bytes are offered as window, the rest is overhead allowance. */
static uint32_t win_from_space(int space) { return space > 0 ? (uint32_t)space / 2 : 0; }

int tcp_rcvbuf_limit(const struct sk_stack *st, const struct sk_sock *s)
{
	return s->rcvbuf ? s->rcvbuf : st->cfg.knobs.tcp_rmem[1];
}

int tcp_sndbuf_limit(const struct sk_stack *st, const struct sk_sock *s)
{
	/* Linux grows the send buffer up to tcp_wmem[2] as cwnd grows; an
	 * explicit SO_SNDBUF fixes it. Rings only hold what is queued. */
	return s->sndbuf ? s->sndbuf / 2 : st->cfg.knobs.tcp_wmem[2];
}

uint32_t tcp_now_ts(const struct sk_stack *st, const struct sk_sock *s)
{
	/* RFC 7323 §5.4: a millisecond clock with a per-connection offset, as
	 * Linux does. */
	return (uint32_t)(st->now_ns / SK_NS_PER_MS) + s->ts_offset;
}

/* Linux's __tcp_select_window + tcp_select_window: the window to announce
 * now, in bytes; never shrinks the right edge already offered (RFC 9293
 * §3.8.6.2.2). Records it in rcv_wnd/rcv_wup. */
static uint32_t select_window(struct sk_stack *st, struct sk_sock *s)
{
	int space = tcp_rcvbuf_limit(st, s) - (int)(s->rcv.len + s->ofo_bytes);
	uint32_t full = win_from_space(tcp_rcvbuf_limit(st, s));
	uint32_t free_space = win_from_space(space);
	uint32_t mss = s->rcv_mss ? s->rcv_mss : 536;
	if (free_space < full / 2) {
		free_space &= ~((1u << s->rcv_wscale) - 1);
		if (free_space < full / 8 || free_space < mss)
			free_space = 0;
	}
	if (free_space > s->rcv_ssthresh)
		free_space = s->rcv_ssthresh;
	uint32_t window;
	if (s->rcv_wscale) {
		uint32_t unit = 1u << s->rcv_wscale;
		window = (free_space + unit - 1) & ~(unit - 1);
	} else {
		window = s->rcv_wnd;
		if (window + mss <= free_space || window > free_space)
			window = free_space / mss * mss;
	}
	uint32_t cur = seq_gt(s->rcv_wup + s->rcv_wnd, s->rcv_nxt) ? s->rcv_wup + s->rcv_wnd - s->rcv_nxt : 0;
	if (window < cur) {
		uint32_t unit = 1u << s->rcv_wscale;
		window = (cur + unit - 1) & ~(unit - 1);
	}
	if (window > MAX_TCP_WINDOW << s->rcv_wscale)
		window = MAX_TCP_WINDOW << s->rcv_wscale;
	s->rcv_wnd = window;
	s->rcv_wup = s->rcv_nxt;
	return window;
}

uint32_t tcp_select_window(struct sk_stack *st, struct sk_sock *s)
{
	return select_window(st, s) >> s->rcv_wscale;
}

static void syn_options(struct sk_stack *st, struct sk_sock *s, struct tcp_opts *o, bool synack)
{
	const struct sk_knobs *k = &st->cfg.knobs;
	o->has = TCP_HAS_MSS;
	o->mss = s->adv_mss;
	/* A SYN offers what the knobs allow; a SYN-ACK only what the peer
	 * offered too (RFC 7323 §1.3, RFC 2018 §2). The flags hold exactly
	 * that set once the SYN has been read. */
	if (synack ? (s->flags & SOCKF_SACK) != 0 : k->tcp_sack)
		o->has |= TCP_HAS_SACK_PERM;
	if (synack ? (s->flags & SOCKF_TS) != 0 : k->tcp_timestamps) {
		o->has |= TCP_HAS_TS;
		o->tsval = tcp_now_ts(st, s);
		o->tsecr = (synack || (s->flags & SOCKF_TW_REUSED)) ? s->ts_recent : 0;
	}
	if (synack ? (s->flags & SOCKF_WSCALE) != 0 : k->tcp_window_scaling) {
		o->has |= TCP_HAS_WSCALE;
		o->wscale = s->rcv_wscale;
	}
}

/* SACK blocks for the out-of-order data we hold (RFC 2018 §4): the block
 * holding the latest arrival first, then the blocks of earlier arrivals,
 * newest first, then any others in sequence order; up to three beside
 * timestamps. */
static void sack_blocks(const struct sk_sock *s, struct tcp_opts *o)
{
	struct tcp_sack_block all[64];
	int n = 0;
	for (const struct ofo_seg *q = s->ofo; q && n < 64;) {
		uint32_t left = q->seq, right = q->seq + q->len;
		for (q = q->next; q && q->seq == right; q = q->next)
			right = q->seq + q->len;
		all[n].left = left;
		all[n].right = right;
		n++;
	}
	bool used[64] = { false };
	for (int r = 0; r < 4 && o->nsack < 3; r++)
		for (int i = 0; i < n; i++)
			if (!used[i] && seq_in(s->sack_recent[r], all[i].left, all[i].right)) {
				used[i] = true;
				o->sack[o->nsack++] = all[i];
				break;
			}
	for (int i = 0; i < n && o->nsack < 3; i++)
		if (!used[i])
			o->sack[o->nsack++] = all[i];
	if (o->nsack)
		o->has |= TCP_HAS_SACK;
}

/* Builds and emits one segment of this connection: `n` bytes of data from
 * `off` bytes into the send ring. */
static void xmit(struct sk_stack *st, struct sk_sock *s, uint32_t seq, uint8_t flags,
		 uint32_t off, uint32_t n)
{
	struct tcp_seg seg = {
		.sport = s->lport, .dport = s->rport, .seq = seq,
		.ack = (flags & TCP_ACK) ? s->rcv_nxt : 0, .flags = flags,
	};
	uint8_t tos = 0;
	if ((s->ecn_flags & ECN_OK) && !(flags & (TCP_SYN | TCP_RST))) {
		/* RFC 3168 §6.1 (Linux tcp_ecn_send): new data is ECT(0) and
		 * carries a queued CWR; ECE until the peer's CWR */
		if (n && seq_ge(seq, s->snd_max)) {
			tos = 0x02;
			if (s->ecn_flags & ECN_QUEUE_CWR) {
				s->ecn_flags &= ~ECN_QUEUE_CWR;
				seg.flags |= TCP_CWR;
			}
		}
		if (s->ecn_flags & ECN_DEMAND_CWR)
			seg.flags |= TCP_ECE;
	}
	if (flags & TCP_SYN) {
		syn_options(st, s, &seg.opts, (flags & TCP_ACK) != 0);
		seg.wnd = (uint16_t)(s->rcv_wnd > MAX_TCP_WINDOW ? MAX_TCP_WINDOW : s->rcv_wnd);
	} else {
		if (s->flags & SOCKF_TS) {
			seg.opts.has = TCP_HAS_TS;
			seg.opts.tsval = tcp_now_ts(st, s);
			seg.opts.tsecr = s->ts_recent;
		}
		if ((s->flags & SOCKF_SACK) && (s->flags & SOCKF_DSACK) && !(flags & TCP_RST)) {
			seg.opts.sack[0] = s->dsack; /* RFC 2883 §4: the D-SACK block first */
			seg.opts.nsack = 1;
			seg.opts.has |= TCP_HAS_SACK;
			s->flags &= ~SOCKF_DSACK;
		}
		if ((s->flags & SOCKF_SACK) && s->ofo && !(flags & TCP_RST))
			sack_blocks(s, &seg.opts);
		seg.wnd = (uint16_t)tcp_select_window(st, s);
	}
	uint8_t *tcp = st->pkt + IP4_HDR_LEN;
	size_t hl = tcp_emit(tcp, &seg);
	ring_peek(&s->snd, off, tcp + hl, n);
	tcp_csum_set(tcp, hl + n, s->laddr, s->raddr);
	struct ip4_hdr ip = { .tos = tos, .ttl = 64, .proto = IP_PROTO_TCP, .frag = IP4_DF,
			      .src = s->laddr, .dst = s->raddr };
	ip4_emit(st->pkt, &ip, hl + n);
	mib_inc(st, SK_MIB_OutSegs);
	if (flags & TCP_RST)
		mib_inc(st, SK_MIB_OutRsts);
	if ((n || (flags & (TCP_SYN | TCP_FIN))) && seq_lt(seq, s->snd_max))
		mib_inc(st, SK_MIB_RetransSegs);
	if (flags & TCP_ACK) {
		s->delack_at_ns = 0;
		s->flags &= ~SOCKF_ACK_NOW;
		/* Linux tcp_event_ack_sent: only ACKs of new data use up
		 * quick-ACK mode; any ACK clears what was pending */
		if (s->quickacks && (s->ack_pending & ACKP_SCHED) && --s->quickacks == 0)
			s->ato_ns = (uint64_t)st->cfg.knobs.tcp_delack_min_ms * SK_NS_PER_MS;
		s->ack_pending = 0;
	}
	stack_emit(st, IP4_HDR_LEN + hl + n);
}

static void arm_rtx(struct sk_stack *st, struct sk_sock *s)
{
	if (!s->rtx_at_ns) {
		s->rtx_at_ns = st->now_ns + (uint64_t)s->rto_ms * SK_NS_PER_MS;
		sock_rearm(st, s);
	}
}

/* Sends the SYN or SYN-ACK (again, when retransmitting). */
void tcp_send_synack(struct sk_stack *st, struct sk_sock *s)
{
	uint8_t flags = s->state == SK_TCP_SYN_SENT ? TCP_SYN : TCP_SYN | TCP_ACK;
	/* ECN setup (RFC 3168 §6.1.1): a SYN asks with ECE|CWR when tcp_ecn
	 * is 1, its retransmissions no more (Linux tcp_ecn_clear_syn); a
	 * SYN-ACK agrees with ECE */
	if (s->state == SK_TCP_SYN_SENT && s->snd_max == s->iss) {
		s->ecn_flags = st->cfg.knobs.tcp_ecn == 1 ? ECN_OK : 0;
		if (s->ecn_flags)
			flags |= TCP_ECE | TCP_CWR;
	} else if (s->state != SK_TCP_SYN_SENT && (s->ecn_flags & ECN_OK)) {
		flags |= TCP_ECE;
	}
	if (!(s->flags & SOCKF_RTT_TIMING) && s->snd_max == s->iss) {
		s->flags |= SOCKF_RTT_TIMING;
		s->rtt_start_ns = st->now_ns; /* Karn: only a first transmission is timed */
		s->rtt_seq = s->iss;
	}
	if (!(s->flags & SOCKF_RTX_STAMP)) {
		s->flags |= SOCKF_RTX_STAMP;
		s->retrans_stamp_ns = st->now_ns;
	}
	xmit(st, s, s->iss, flags, 0, 0);
	s->snd_nxt = s->iss + 1;
	s->snd_max = s->iss + 1;
	arm_rtx(st, s);
}

/* A SYN-ACK carrying a SYN cookie, from a connection that is not kept. */
void tcp_send_synack_cookie(struct sk_stack *st, struct sk_sock *tmp)
{
	xmit(st, tmp, tmp->iss, TCP_SYN | TCP_ACK, 0, 0);
}

void tcp_send_ack(struct sk_stack *st, struct sk_sock *s)
{
	xmit(st, s, s->snd_nxt, TCP_ACK, 0, 0);
	sock_rearm(st, s);
}

/* An active reset (RFC 9293 §3.10.4 ABORT, Linux tcp_send_active_reset). */
void tcp_send_reset(struct sk_stack *st, struct sk_sock *s)
{
	xmit(st, s, s->snd_nxt, TCP_RST | TCP_ACK, 0, 0);
}

/* ---- the send queue's skb boundaries (Linux tcp_sendmsg, tcp_push) ---- */

/* Room for one more boundary: the array grows by doubling up to
 * SND_MARKS_MAX; past that (or without memory) the oldest is forgotten,
 * which can only cost a PSH flag or a record split long ago. */
static bool mark_room(struct sk_stack *st, struct sk_sock *s)
{
	if (s->nmarks < s->mark_cap)
		return true;
	if (s->mark_cap < SND_MARKS_MAX) {
		uint8_t cap = s->mark_cap ? (uint8_t)(2 * s->mark_cap) : 4;
		struct snd_mark *m = sk_alloc(st, cap * sizeof(*m));
		if (m) {
			if (s->nmarks)
				memcpy(m, s->marks, s->nmarks * sizeof(*m));
			sk_free(st, s->marks, s->mark_cap * sizeof(*m));
			s->marks = m;
			s->mark_cap = cap;
			return true;
		}
	}
	if (!s->nmarks)
		return false;
	memmove(&s->marks[0], &s->marks[1], (size_t)(s->nmarks - 1) * sizeof(s->marks[0]));
	s->nmarks--;
	return true;
}

static void mark_insert(struct sk_stack *st, struct sk_sock *s, uint32_t seq, uint8_t kind)
{
	int i = s->nmarks;
	while (i > 0 && seq_ge(s->marks[i - 1].seq, seq)) {
		if (s->marks[i - 1].seq == seq) {
			s->marks[i - 1].kind |= kind;
			return;
		}
		i--;
	}
	uint8_t before = s->nmarks;
	if (!mark_room(st, s))
		return;
	if (s->nmarks < before) /* the oldest went */
		i = i > 0 ? i - 1 : 0;
	memmove(&s->marks[i + 1], &s->marks[i], (size_t)(s->nmarks - i) * sizeof(s->marks[0]));
	s->marks[i] = (struct snd_mark){ seq, kind };
	s->nmarks++;
}

void tcp_marks_free(struct sk_stack *st, struct sk_sock *s)
{
	sk_free(st, s->marks, s->mark_cap * sizeof(*s->marks));
	s->marks = NULL;
	s->nmarks = s->mark_cap = 0;
}

/* The send queue as Linux's tcp_sendmsg leaves its skbs: a write
 * appending to an unsent tail that ended a push takes its PSH away (the
 * skb it extends loses PSH; a MSG_EOR record is never extended); the
 * write's end is marked PSH unless MSG_MORE (tcp_push -> tcp_mark_push),
 * and MSG_EOR ends a record. */
static void write_begin(struct sk_sock *s)
{
	uint32_t end = s->snd_una + s->snd.len;
	int last = s->nmarks - 1;
	if (last >= 0 && s->marks[last].seq == end && s->marks[last].kind == MARK_PSH &&
	    seq_lt(s->snd_nxt, end))
		s->nmarks--;
}

static void write_end(struct sk_stack *st, struct sk_sock *s, int flags)
{
	uint8_t kind = (uint8_t)(((flags & MSG_MORE) ? 0 : MARK_PSH) | ((flags & MSG_EOR) ? MARK_EOR : 0));
	if (kind)
		mark_insert(st, s, s->snd_una + s->snd.len, kind);
}

/* Boundaries at or below SND.UNA are history. */
void tcp_marks_acked(struct sk_stack *st, struct sk_sock *s)
{
	int i = 0;
	while (i < s->nmarks && seq_le(s->marks[i].seq, s->snd_una))
		i++;
	if (i == s->nmarks && !s->snd.len) {
		tcp_marks_free(st, s); /* an idle connection keeps no array */
		return;
	}
	if (i == 0)
		return;
	memmove(&s->marks[0], &s->marks[i], (size_t)(s->nmarks - i) * sizeof(s->marks[0]));
	s->nmarks = (uint8_t)(s->nmarks - i);
}

/* The first boundary of one of `kinds` after `seq`, or `end`. */
static uint32_t next_mark(const struct sk_sock *s, uint32_t seq, uint32_t end, int kinds)
{
	for (int i = 0; i < s->nmarks; i++)
		if ((s->marks[i].kind & kinds) && seq_gt(s->marks[i].seq, seq) && seq_lt(s->marks[i].seq, end))
			return s->marks[i].seq;
	return end;
}

static uint8_t mark_at(const struct sk_sock *s, uint32_t seq)
{
	for (int i = 0; i < s->nmarks; i++)
		if (s->marks[i].seq == seq)
			return s->marks[i].kind;
	return 0;
}

static bool psh_at(const struct sk_sock *s, uint32_t seq) { return (mark_at(s, seq) & MARK_PSH) != 0; }

/* A MSG_EOR record ends at seq: no packet, new or resent, spans it. */
bool tcp_eor_at(const struct sk_sock *s, uint32_t seq) { return (mark_at(s, seq) & MARK_EOR) != 0; }

/* Linux's tcp_tso_autosize: how many segments one TSO packet holds, at
 * least tcp_min_tso_segs (2), more on short paths (gso_max_size >> (min
 * RTT >> tcp_tso_rtt_log)). Linux forces PSH on every packet of more than
 * one segment (__tcp_transmit_skb, for the receiver's GRO), so this
 * decides where PSH falls inside a burst, which packetdrill checks. Its
 * pacing-rate term (rate >> 10) is left out: Linux 6.18 traces show
 * 2-segment packets up to cwnd 20 at a 10 ms RTT, where the term as
 * written would give 3 (cubic's own pacing details differ). */
uint32_t tcp_tso_segs(const struct sk_stack *st, const struct sk_sock *s)
{
	uint32_t mss = s->mss_cache;
	uint32_t bytes = 0;
	uint32_t r = s->rtt_min_us >> 9; /* tcp_tso_rtt_log */
	if (s->rtt_min_us && r < 32)
		bytes = 65536u >> r;
	if (!s->rtt_min_us)
		bytes = 65536 - 1 - 320; /* no RTT yet: no pacing, the GSO limit */
	uint32_t segs = bytes / mss;
	uint32_t min_segs = (uint32_t)st->cfg.knobs.tcp_min_tso_segs;
	return segs < min_segs ? min_segs : segs;
}

/* One TSO packet's worth, in bytes: autosized, and at most half the
 * congestion window or what is left of it, counted in segments in flight
 * (Linux tcp_cwnd_test); 0 when the window is full. */
static uint32_t chunk_max(const struct sk_stack *st, const struct sk_sock *s)
{
	uint32_t inflight = tcp_in_flight(s);
	uint32_t quota = s->cwnd > inflight ? s->cwnd - inflight : 0;
	uint32_t half = s->cwnd / 2 ? s->cwnd / 2 : 1;
	uint32_t segs = tcp_tso_segs(st, s);
	if (quota > half)
		quota = half;
	return (segs < quota ? segs : quota) * s->mss_cache;
}

enum { NAGLE_OFF = 1, NAGLE_CORK = 2, NAGLE_PUSH = 4 };

/* Linux's tp->nonagle for this push: TCP_NODELAY, TCP_CORK, MSG_MORE
 * (which corks this push only), or a one-shot push (TCP_NAGLE_PUSH, when
 * TCP_NODELAY is set or TCP_CORK cleared). */
static int nonagle_for(const struct sk_sock *s, int mode)
{
	if (mode == OUT_MORE)
		return NAGLE_CORK;
	int n = ((s->flags & SOCKF_NODELAY) ? NAGLE_OFF : 0) | ((s->flags & SOCKF_CORK) ? NAGLE_CORK : 0);
	return mode == OUT_PUSH ? n | NAGLE_PUSH : n;
}

/* Linux's tcp_nagle_check for a partial last segment: held while corked,
 * or by Nagle (RFC 1122 §4.2.3.4, Minshall's variant) while an earlier
 * small segment is unacknowledged. */
static bool nagle_holds(const struct sk_sock *s, int nonagle)
{
	if (nonagle & NAGLE_PUSH)
		return false;
	if (nonagle & NAGLE_CORK)
		return true;
	return !nonagle && s->snd_nxt != s->snd_una && seq_gt(s->snd_sml, s->snd_una) &&
	       seq_le(s->snd_sml, s->snd_nxt);
}

/* Emits one segment of new (or resent) data at SND.NXT and keeps the
 * books: RTT timing, the retransmission stamp, interactive mode. */
static void send_segment(struct sk_stack *st, struct sk_sock *s, uint32_t n, uint8_t flags)
{
	uint32_t seq = s->snd_nxt, mss = s->mss_cache;
	bool fin = (flags & TCP_FIN) != 0;
	if (!(s->flags & SOCKF_RTT_TIMING) && seq_ge(seq, s->snd_max)) {
		s->flags |= SOCKF_RTT_TIMING;
		s->rtt_start_ns = st->now_ns;
		s->rtt_seq = seq + n + fin;
	}
	if (!(s->flags & SOCKF_RTX_STAMP) && seq_lt(seq, s->snd_max)) {
		s->flags |= SOCKF_RTX_STAMP;
		s->retrans_stamp_ns = st->now_ns;
	}
	if (s->flags & SOCKF_PERSIST) { /* the window opened: probing is over */
		s->flags &= ~SOCKF_PERSIST;
		s->rtx_at_ns = 0;
	}
	if (n && s->ato_ns && st->now_ns - s->ack_lrcv_ns < s->ato_ns)
		s->flags |= SOCKF_PINGPONG; /* an answer (tcp_event_data_sent) */
	xmit(st, s, seq, flags, seq - s->snd_una, n);
	s->snd_nxt = seq + n + fin;
	if (seq_gt(s->snd_nxt, s->snd_max))
		s->snd_max = s->snd_nxt;
	if (n < mss)
		s->snd_sml = s->snd_nxt;
	arm_rtx(st, s);
}

/* One TSO packet of Linux's, as MSS-sized segments: PSH on the last one
 * when the packet holds more than one segment or ends a push. */
static void send_chunk(struct sk_stack *st, struct sk_sock *s, uint32_t len, bool fin)
{
	uint32_t mss = s->mss_cache, segs = (len + mss - 1) / mss;
	bool psh = segs > 1 || (len && psh_at(s, s->snd_nxt + len));
	tcp_rq_append(st, s, s->snd_nxt, len, fin);
	do {
		uint32_t n = len < mss ? len : mss;
		len -= n;
		uint8_t flags = TCP_ACK;
		if (len == 0)
			flags |= (psh ? TCP_PSH : 0) | (fin ? TCP_FIN : 0);
		send_segment(st, s, n, flags);
	} while (len);
}

/* How much of the queue to send next as one TSO packet (Linux's
 * tcp_write_xmit and tcp_mss_split_point): up to the next skb boundary,
 * the packet size, the windows; the partial tail of the last skb waits
 * when Nagle or a cork says so. Sets *fin when the FIN goes with it. */
static uint32_t next_chunk(const struct sk_stack *st, const struct sk_sock *s, int nonagle, uint32_t end,
			   bool *fin)
{
	uint32_t mss = s->mss_cache;
	uint32_t wnd_end = s->snd_una + s->snd_wnd;
	uint32_t room = seq_lt(s->snd_nxt, wnd_end) ? wnd_end - s->snd_nxt : 0;
	uint32_t skb_end = next_mark(s, s->snd_nxt, end, MARK_PSH | MARK_EOR);
	uint32_t avail = skb_end - s->snd_nxt, cmax = chunk_max(st, s);
	*fin = false;
	if (!cmax) {
		/* the congestion window is full; Linux is not strict about
		 * it for the final FIN in a packet of at most one segment
		 * (tcp_cwnd_test) */
		*fin = (s->flags & SOCKF_SHUT_WR) && skb_end == end && avail <= mss && avail <= room;
		return *fin ? avail : 0;
	}
	uint32_t needed = avail < room ? avail : room;
	uint32_t len = needed < cmax ? needed : cmax;
	bool last = skb_end == end;
	*fin = (s->flags & SOCKF_SHUT_WR) && last && len == avail;
	if (last && len == needed && len % mss && nagle_holds(s, nonagle) && !*fin)
		len -= len % mss;
	if (len == room && room < avail && len < mss && len * 2 < s->snd_wnd)
		len = 0; /* sender-side silly window avoidance (RFC 9293 §3.8.6.2.1) */
	if (len != avail)
		*fin = false;
	return len;
}

/* Sends what the windows, Nagle and corks allow: new data, and the FIN
 * after the last byte once shutdown or close has queued it. */
void tcp_output_mode(struct sk_stack *st, struct sk_sock *s, int mode)
{
	if (!(TCPF(s->state) & (TCPF(SK_TCP_ESTABLISHED) | TCPF(SK_TCP_CLOSE_WAIT) |
				TCPF(SK_TCP_FIN_WAIT1) | TCPF(SK_TCP_CLOSING) | TCPF(SK_TCP_LAST_ACK))))
		return;
	uint32_t end = s->snd_una + s->snd.len; /* the FIN's sequence number, if queued */
	bool fin_queued = (s->flags & SOCKF_SHUT_WR) != 0;
	int nonagle = nonagle_for(s, mode);
	uint32_t max0 = s->snd_max;
	while (!(fin_queued && s->snd_nxt == end + 1)) {
		bool fin;
		uint32_t len = next_chunk(st, s, nonagle, end, &fin);
		if (len == 0 && !fin)
			break;
		send_chunk(st, s, len, fin);
	}
	if (seq_gt(s->snd_max, max0))
		tcp_schedule_loss_probe(st, s, false); /* tcp_write_xmit's last step */
	bool blocked = s->snd_una == s->snd_max && s->snd_nxt != end + fin_queued;
	if (blocked && !s->rtx_at_ns) {
		/* nothing in flight, data waiting (no window, or held by a
		 * cork): the probe timer (RFC 9293 §3.8.6.1, Linux
		 * tcp_check_probe_timer) */
		s->flags |= SOCKF_PERSIST;
		s->rtx_at_ns = st->now_ns + tcp_probe0_ns(st, s);
	}
	sock_rearm(st, s);
}

void tcp_output(struct sk_stack *st, struct sk_sock *s)
{
	tcp_output_mode(st, s, OUT_SOCK);
}

uint32_t tcp_notsent_lowat(const struct sk_stack *st, const struct sk_sock *s)
{
	return s->notsent_lowat ? s->notsent_lowat : (uint32_t)st->cfg.knobs.tcp_notsent_lowat;
}

/* Linux's tcp_xmit_size_goal: an skb holds up to half the peer's largest
 * window (tcp_bound_to_half_wnd) or 64 KiB, in whole segments. */
static uint32_t size_goal(const struct sk_sock *s)
{
	uint32_t mss = s->mss_cache, goal = 65536 - 1 - 320;
	uint32_t cutoff = s->snd_wnd_max > 536 ? s->snd_wnd_max / 2 : s->snd_wnd_max;
	if (cutoff && goal > cutoff)
		goal = cutoff;
	return goal >= mss ? goal / mss * mss : mss;
}

/* How many more bytes a write may queue now, as Linux's tcp_sendmsg takes
 * them: the unsent tail skb fills up to its size goal freely; a new skb
 * needs room in the send buffer and fewer unsent bytes than
 * TCP_NOTSENT_LOWAT (sk_stream_memory_free). 0: the write must wait. */
uint32_t tcp_send_room(const struct sk_stack *st, const struct sk_sock *s)
{
	uint32_t goal = size_goal(s);
	uint32_t end = s->snd_una + s->snd.len;
	uint32_t unsent = seq_gt(end, s->snd_nxt) ? end - s->snd_nxt : 0;
	uint32_t tail = unsent ? (unsent - 1) % goal + 1 : 0;
	uint32_t room = ring_room(&s->snd, (uint32_t)tcp_sndbuf_limit(st, s));
	if (tail && tail < goal)
		return goal - tail < room ? goal - tail : room;
	if (unsent >= tcp_notsent_lowat(st, s))
		return 0;
	return goal < room ? goal : room;
}

/* Copies a gather list into the send queue as Linux's tcp_sendmsg does:
 * while tcp_send_room allows, sending each time the tail skb is full (its
 * tcp_push_one); then pushes, corked by MSG_MORE (a write cut short pushes
 * regardless, without MSG_EOR). Zero-length entries are skipped; a NULL
 * one with a length is -EFAULT unless something was queued already.
 * Returns the bytes queued, or -EAGAIN, -EFAULT, -ENOBUFS. */
long tcp_write(struct sk_stack *st, struct sk_sock *s, const struct iovec *iov, size_t iovcnt, int flags)
{
	uint32_t limit = (uint32_t)tcp_sndbuf_limit(st, s);
	long done = 0, err = 0;
	bool partial = false;
	write_begin(s);
	for (size_t i = 0; i < iovcnt && !err && !partial; i++) {
		const uint8_t *p = iov[i].iov_base;
		size_t left = iov[i].iov_len;
		if (left && !p)
			err = -EFAULT;
		while (left && !err) {
			uint32_t room = done < INT32_MAX ? tcp_send_room(st, s) : 0;
			if (!room) {
				partial = true;
				break;
			}
			uint32_t k = left < room ? (uint32_t)left : room;
			int took = ring_write(st, &s->snd, p, k, limit);
			if (took <= 0) {
				err = took < 0 ? took : 0;
				partial = true;
				break;
			}
			p += took, left -= (size_t)took, done += took;
			if ((uint32_t)took == room)
				tcp_output(st, s); /* the tail skb is full: tcp_push_one */
		}
	}
	if (!done)
		return err ? err : -EAGAIN;
	if (partial || err)
		flags &= ~(MSG_MORE | MSG_EOR);
	write_end(st, s, flags);
	tcp_output_mode(st, s, (partial || err) ? OUT_PUSH : (flags & MSG_MORE) ? OUT_MORE : OUT_SOCK);
	return done;
}

/* ---- tail loss probe (RFC 8985 §7, Linux tcp_schedule_loss_probe) ---- */

/* After new data went out, or an ACK: instead of the RTO, a probe in two
 * RTTs (plus the delayed-ACK allowance, RTO_min, for a single packet in
 * flight; 2 ms otherwise), never later than the RTO would fire. Only with
 * SACK, with something in flight, outside recovery and RTO episodes, and
 * one probe per tail. */
void tcp_schedule_loss_probe(struct sk_stack *st, struct sk_sock *s, bool advancing_rto)
{
	if (!(s->flags & SOCKF_SACK) || s->snd_una == s->snd_max || s->ca_state != CA_OPEN ||
	    s->retransmits || s->tlp_high_seq || (s->flags & SOCKF_PERSIST) ||
	    !(TCPF(s->state) & (TCPF(SK_TCP_ESTABLISHED) | TCPF(SK_TCP_CLOSE_WAIT) | TCPF(SK_TCP_FIN_WAIT1) |
				TCPF(SK_TCP_CLOSING) | TCPF(SK_TCP_LAST_ACK))))
		return;
	uint32_t flight = s->snd_max - s->snd_una;
	uint64_t pto = SK_NS_PER_S; /* TCP_TIMEOUT_INIT without an RTT */
	if (s->srtt8_us) {
		uint64_t extra_us = flight <= s->mss_cache ? (uint64_t)st->cfg.knobs.tcp_rto_min_ms * 1000 : 2000;
		pto = ((uint64_t)(s->srtt8_us >> 3) * 2 + extra_us) * 1000;
		pto = (pto + SK_NS_PER_MS - 1) / SK_NS_PER_MS * SK_NS_PER_MS; /* whole jiffies */
	}
	uint64_t rto = (uint64_t)s->rto_ms * SK_NS_PER_MS;
	/* how far the RTO is (tcp_rto_delta_us); a probe already armed stands
	 * for an RTO a whole RTO away */
	uint64_t left = advancing_rto || !s->rtx_at_ns || s->rtx_at_ns == s->alt_at_ns ? rto
			: s->rtx_at_ns > st->now_ns ? s->rtx_at_ns - st->now_ns : 0;
	if (left && left < pto)
		pto = left;
	s->rtx_at_ns = s->alt_at_ns = st->now_ns + pto;
	s->flags &= ~SOCKF_REO;
	sock_rearm(st, s);
}

/* The probe (tcp_send_loss_probe): a new segment if the peer's window has
 * room (past the congestion window), else the last segment sent again;
 * then the RTO, from now. */
void tcp_send_loss_probe(struct sk_stack *st, struct sk_sock *s)
{
	uint32_t end = s->snd_una + s->snd.len, mss = s->mss_cache;
	uint32_t wnd_end = s->snd_una + s->snd_wnd;
	s->alt_at_ns = 0;
	if (seq_lt(s->snd_nxt, end) && seq_lt(s->snd_nxt, wnd_end)) {
		uint32_t n = next_mark(s, s->snd_nxt, end, MARK_EOR) - s->snd_nxt;
		n = n < mss ? n : mss;
		n = n < wnd_end - s->snd_nxt ? n : wnd_end - s->snd_nxt;
		send_chunk(st, s, n, false);
	} else {
		tcp_retransmit_tail(st, s); /* the last segment sent, FIN included */
	}
	s->tlp_high_seq = s->snd_max;
	s->rtx_at_ns = st->now_ns + (uint64_t)s->rto_ms * SK_NS_PER_MS;
	sock_rearm(st, s);
}

/* Linux's tcp_write_wakeup, what the probe timer sends: the next unsent
 * data, up to a segment and the window, with PSH (it was held back by a
 * cork, MSG_MORE or silly-window avoidance); false when the window is
 * shut and only a zero-window probe can go. */
bool tcp_write_wakeup(struct sk_stack *st, struct sk_sock *s)
{
	uint32_t end = s->snd_una + s->snd.len, wnd_end = s->snd_una + s->snd_wnd;
	if (!seq_lt(s->snd_nxt, end) || !seq_lt(s->snd_nxt, wnd_end))
		return false;
	uint32_t n = next_mark(s, s->snd_nxt, end, MARK_EOR) - s->snd_nxt;
	if (n > wnd_end - s->snd_nxt)
		n = wnd_end - s->snd_nxt;
	if (n > s->mss_cache)
		n = s->mss_cache;
	mark_insert(st, s, s->snd_nxt + n, MARK_PSH); /* the skb keeps its PSH */
	s->flags &= ~SOCKF_PERSIST;
	s->rtx_at_ns = 0;
	s->probes = 0;
	s->backoff = 0;
	tcp_rq_append(st, s, s->snd_nxt, n, false);
	send_segment(st, s, n, TCP_ACK | TCP_PSH);
	return true;
}

/* Linux's tcp_probe0_when: max(RTO, RTO_min) doubled per probe, up to
 * RTO_max. */
uint64_t tcp_probe0_ns(const struct sk_stack *st, const struct sk_sock *s)
{
	uint64_t base_ms = s->rto_ms > (uint32_t)st->cfg.knobs.tcp_rto_min_ms ? s->rto_ms
									: (uint32_t)st->cfg.knobs.tcp_rto_min_ms;
	uint64_t when_ms = s->backoff < 32 ? base_ms << s->backoff : UINT64_MAX;
	uint64_t max_ms = (uint64_t)st->cfg.knobs.tcp_rto_max_ms;
	return (when_ms < max_ms ? when_ms : max_ms) * SK_NS_PER_MS;
}

/* Sends [seq, seq + len) of the queue again, and the FIN after it when
 * `fin`, as MSS-sized segments of one TSO packet: PSH on the last when
 * the packet holds more than one segment or ends a push. snd_nxt stays. */
void tcp_xmit_again(struct sk_stack *st, struct sk_sock *s, uint32_t seq, uint32_t len, bool fin)
{
	uint32_t mss = s->mss_cache;
	bool psh = len > mss || (len && psh_at(s, seq + len));
	if (!(s->flags & SOCKF_RTX_STAMP)) {
		s->flags |= SOCKF_RTX_STAMP;
		s->retrans_stamp_ns = st->now_ns;
	}
	s->flags &= ~SOCKF_RTT_TIMING; /* Karn: a retransmitted segment is not timed */
	do {
		uint32_t n = len < mss ? len : mss;
		len -= n;
		uint8_t flags = TCP_ACK | (len ? 0 : (psh ? TCP_PSH : 0) | (fin ? TCP_FIN : 0));
		xmit(st, s, seq, flags, seq - s->snd_una, n);
		seq += n;
	} while (len);
}

/* Resends the first unacknowledged segment (fast retransmit, RFC 5681
 * §3.2, without SACK): at most a segment, never across a MSG_EOR record,
 * only what was sent before (data queued since stays for tcp_output);
 * snd_nxt stays where it is. */
void tcp_retransmit_head(struct sk_stack *st, struct sk_sock *s)
{
	bool fin_sent = (s->flags & SOCKF_SHUT_WR) && s->snd_max == s->snd_una + s->snd.len + 1;
	uint32_t sent = fin_sent ? s->snd.len : s->snd_max - s->snd_una;
	uint32_t n = next_mark(s, s->snd_una, s->snd_una + sent, MARK_EOR) - s->snd_una;
	if (n > s->mss_cache)
		n = s->mss_cache;
	bool fin = fin_sent && n == s->snd.len;
	if (n || fin)
		tcp_xmit_again(st, s, s->snd_una, n, fin);
}

/* Emits a segment with no data that belongs to no full connection. */
static void emit_bare(struct sk_stack *st, uint32_t src, uint32_t dst, const struct tcp_seg *seg)
{
	uint8_t *tcp = st->pkt + IP4_HDR_LEN;
	size_t hl = tcp_emit(tcp, seg);
	tcp_csum_set(tcp, hl, src, dst);
	struct ip4_hdr ip = { .ttl = 64, .proto = IP_PROTO_TCP, .frag = IP4_DF, .src = src, .dst = dst };
	ip4_emit(st->pkt, &ip, hl);
	mib_inc(st, SK_MIB_OutSegs);
	stack_emit(st, IP4_HDR_LEN + hl);
}

/* The ACK of a TIME-WAIT record: its last sequence numbers and window,
 * with timestamps when the connection used them. */
void tcp_tw_send_ack(struct sk_stack *st, const struct tw_sock *tw)
{
	struct tcp_seg seg = { .sport = tw->lport, .dport = tw->rport, .seq = tw->snd_nxt,
			       .ack = tw->rcv_nxt, .flags = TCP_ACK, .wnd = tw->rcv_wnd_scaled };
	if (tw->tw_flags & TW_TS) {
		seg.opts.has = TCP_HAS_TS;
		seg.opts.tsval = (uint32_t)(st->now_ns / SK_NS_PER_MS) + tcp_ts_offset(st, tw->laddr, tw->raddr);
		seg.opts.tsecr = tw->ts_recent;
	}
	emit_bare(st, tw->laddr, tw->raddr, &seg);
}

/* A segment for no connection (RFC 9293 §3.10.7.1): answer with a reset,
 * never a reset to a reset. Linux sends it with window 0 and no options. */
void tcp_reset_reply(struct sk_stack *st, const struct ip4_hdr *ip, const struct tcp_seg *in)
{
	if (in->flags & TCP_RST)
		return;
	struct tcp_seg seg = { .sport = in->dport, .dport = in->sport };
	if (in->flags & TCP_ACK) {
		seg.seq = in->ack;
		seg.flags = TCP_RST;
	} else {
		seg.ack = in->seq + in->data_len + !!(in->flags & TCP_SYN) + !!(in->flags & TCP_FIN);
		seg.flags = TCP_RST | TCP_ACK;
	}
	mib_inc(st, SK_MIB_OutRsts);
	emit_bare(st, ip->dst, ip->src, &seg);
}
