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
	struct ip4_hdr ip = { .ttl = 64, .proto = IP_PROTO_TCP, .frag = IP4_DF,
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

/* Nagle's algorithm (RFC 1122 §4.2.3.4) with Minshall's change, as Linux
 * has it: a small segment waits while an earlier small one is unacked. */
static bool nagle_blocks(const struct sk_sock *s, uint32_t n, uint32_t mss, bool fin)
{
	if (n >= mss || fin || (s->flags & SOCKF_NODELAY))
		return false;
	return seq_gt(s->snd_sml, s->snd_una) && seq_le(s->snd_sml, s->snd_nxt);
}

/* Sends what the windows and Nagle allow: new data, and the FIN after the
 * last byte once shutdown or close has queued it. */
void tcp_output(struct sk_stack *st, struct sk_sock *s)
{
	if (!(TCPF(s->state) & (TCPF(SK_TCP_ESTABLISHED) | TCPF(SK_TCP_CLOSE_WAIT) |
				TCPF(SK_TCP_FIN_WAIT1) | TCPF(SK_TCP_CLOSING) | TCPF(SK_TCP_LAST_ACK))))
		return;
	uint32_t end = s->snd_una + s->snd.len; /* the FIN's sequence number, if queued */
	bool fin_queued = (s->flags & SOCKF_SHUT_WR) != 0;
	uint32_t mss = s->mss_cache;
	for (;;) {
		if (fin_queued && s->snd_nxt == end + 1)
			break; /* everything, FIN included, is out */
		uint32_t unsent = end - s->snd_nxt;
		uint32_t wnd = s->snd_wnd < s->cwnd * mss ? s->snd_wnd : s->cwnd * mss;
		uint32_t wnd_end = s->snd_una + wnd;
		uint32_t room = seq_lt(s->snd_nxt, wnd_end) ? wnd_end - s->snd_nxt : 0;
		uint32_t n = unsent < mss ? unsent : mss;
		if (n > room)
			n = room;
		bool fin = fin_queued && n == unsent;
		if (n == 0 && !fin)
			break;
		if (nagle_blocks(s, n, mss, fin) || (n < unsent && n < mss && n * 2 < s->snd_wnd))
			break; /* wait for more data or a larger window (RFC 9293 §3.8.6.2.1) */
		uint8_t flags = TCP_ACK | (n && n == unsent ? TCP_PSH : 0) | (fin ? TCP_FIN : 0);
		uint32_t seq = s->snd_nxt;
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
	bool blocked = s->snd_una == s->snd_max && s->snd_nxt != end + fin_queued;
	if (blocked && !s->rtx_at_ns) {
		/* nothing in flight, data waiting, no window: the persist timer
		 * (RFC 9293 §3.8.6.1) */
		s->flags |= SOCKF_PERSIST;
		s->rtx_at_ns = st->now_ns + tcp_probe0_ns(st, s);
	}
	sock_rearm(st, s);
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

/* Resends the first unacknowledged segment (fast retransmit, RFC 5681
 * §3.2), leaving snd_nxt where it is. */
void tcp_retransmit_head(struct sk_stack *st, struct sk_sock *s)
{
	tcp_retransmit_at(st, s, s->snd_una, s->mss_cache);
}

/* Resends up to `max_len` bytes (at most a segment) from `seq`, a
 * sequence number below snd_max, leaving snd_nxt where it is. */
void tcp_retransmit_at(struct sk_stack *st, struct sk_sock *s, uint32_t seq, uint32_t max_len)
{
	uint32_t off = seq - s->snd_una;
	/* only what was sent before: data queued since stays for tcp_output */
	bool fin_sent = (s->flags & SOCKF_SHUT_WR) && s->snd_max == s->snd_una + s->snd.len + 1;
	uint32_t sent = fin_sent ? s->snd.len : s->snd_max - s->snd_una;
	if (off > sent)
		return;
	uint32_t n = sent - off;
	if (n > s->mss_cache)
		n = s->mss_cache;
	if (n > max_len)
		n = max_len;
	bool fin = fin_sent && off + n == s->snd.len;
	if (!n && !fin)
		return;
	s->flags &= ~SOCKF_RTT_TIMING; /* Karn: a retransmitted segment is not timed */
	xmit(st, s, seq, TCP_ACK | (n ? TCP_PSH : 0) | (fin ? TCP_FIN : 0), off, n);
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
