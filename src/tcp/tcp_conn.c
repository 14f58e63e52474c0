/* Connection lifetime: initial values, opening, closing, aborting, and
 * TIME-WAIT. */
#include "core.h"

#define RMEM_MAX 212992 /* net.core.rmem_max: Linux's window-scale choice uses it */
#define TCP_TIMEWAIT_LEN_NS (60 * SK_NS_PER_S)

void tcp_init_sock(struct sk_stack *st, struct sk_sock *s)
{
	const struct sk_knobs *k = &st->cfg.knobs;
	s->rto_ms = (uint32_t)k->tcp_rto_initial_ms; /* RFC 6298 §2.1 */
	s->cwnd = 10;                                /* RFC 6928 */
	s->ssthresh = UINT32_MAX;
	s->adv_mss = (uint16_t)(st->cfg.mtu - 40);
	s->mss_cache = 536;
	s->rcv_mss = 536;
}

/* RFC 6528 §3: ISN = M + F(4-tuple, secret), M a clock ticking every 4 µs. */
uint32_t tcp_isn(struct sk_stack *st, uint32_t laddr, uint16_t lport, uint32_t raddr, uint16_t rport)
{
	uint32_t key[3] = { laddr, raddr, (uint32_t)lport << 16 | rport };
	return (uint32_t)siphash24(st->isn_key, key, sizeof(key)) + (uint32_t)(st->now_ns >> 6);
}

static int ilog2(uint32_t x) { return 31 - __builtin_clz(x); }

/* Linux's tcp_select_initial_window: the first window is half the receive
 * buffer rounded down to whole segments (64240 for MSS 1460); the scale is
 * chosen for the largest buffer the connection may grow to (7 for the
 * default tcp_rmem). A listener's child takes the timestamp option's 12
 * bytes off the segment size first (tcp_openreq_init_rwin: 65160). */
void tcp_init_rwin(struct sk_stack *st, struct sk_sock *s, bool passive)
{
	const struct sk_knobs *k = &st->cfg.knobs;
	uint32_t full = (uint32_t)tcp_rcvbuf_limit(st, s) / 2;
	uint32_t clamp = s->rcvbuf ? full : 65535u << 14;
	/* the timestamp option's 12 bytes come off a listener's child with
	 * timestamps, and off a connect that took over a TIME-WAIT (Linux
	 * tcp_connect_init: ts_recent_stamp is set) */
	bool ts = passive ? (s->flags & SOCKF_TS) != 0 : (s->flags & SOCKF_TW_REUSED) != 0;
	uint32_t mss = s->adv_mss - (ts ? 12 : 0);
	uint32_t space = full < clamp ? full : clamp;
	if (space > mss)
		space = space / mss * mss;
	s->rcv_wnd = space < 65535 ? space : 65535;
	s->rcv_ssthresh = s->rcv_wnd;
	s->rcv_wup = s->rcv_nxt;
	s->rcv_wscale = 0;
	if (passive ? (s->flags & SOCKF_WSCALE) != 0 : k->tcp_window_scaling != 0) {
		uint32_t ws = (uint32_t)k->tcp_rmem[2] > RMEM_MAX ? (uint32_t)k->tcp_rmem[2] : RMEM_MAX;
		if (ws > clamp)
			ws = clamp;
		int w = ilog2(ws) - 15;
		s->rcv_wscale = (uint8_t)(w < 0 ? 0 : w > 14 ? 14 : w);
	}
	s->ts_offset = tcp_ts_offset(st, s->laddr, s->raddr);
}

/* RFC 7323 §5.4: a random offset per pair of hosts (Linux
 * secure_tcp_ts_off), so timestamps leak no uptime. */
uint32_t tcp_ts_offset(const struct sk_stack *st, uint32_t laddr, uint32_t raddr)
{
	uint32_t in[2] = { laddr, raddr };
	uint64_t key[2] = { st->isn_key[1], st->isn_key[0] };
	return (uint32_t)siphash24(key, in, sizeof(in));
}

/* Both sides on reaching ESTABLISHED (Linux tcp_init_transfer). */
void tcp_established(struct sk_stack *st, struct sk_sock *s)
{
	uint32_t hint = s->adv_mss < s->mss_cache ? s->adv_mss : s->mss_cache;
	if (hint > s->rcv_wnd / 2)
		hint = s->rcv_wnd / 2;
	s->rcv_mss = (uint16_t)(hint > 536 ? 536 : hint < 88 ? 88 : hint);
	if (!s->srtt_us) {
		/* RFC 6298 §5.7: no RTT sample from a retransmitted handshake. */
		s->rto_ms = 3000;
	}
	if (s->flags & SOCKF_KEEPALIVE)
		tcp_keepalive_arm(st, s);
	sock_wake(st, s);
}

uint64_t tcp_fin_timeout_ns(const struct sk_stack *st, const struct sk_sock *s)
{
	/* Linux's tcp_fin_time: TCP_LINGER2 or tcp_fin_timeout, but never
	 * less than 3.5 RTO */
	int secs = s->linger2_s > 0 ? s->linger2_s : st->cfg.knobs.tcp_fin_timeout;
	uint64_t t_ns = (uint64_t)secs * SK_NS_PER_S;
	uint64_t rto_ns = (uint64_t)s->rto_ms * SK_NS_PER_MS;
	uint64_t min_ns = (rto_ns << 2) - (rto_ns >> 1);
	return t_ns > min_ns ? t_ns : min_ns;
}

/* C9: may a connect take over the 4-tuple of `n`? Only a TIME-WAIT
 * record whose connection used timestamps (PAWS then tells old segments
 * from new), last heard more than a second ago, and only with
 * tcp_tw_reuse (2: loopback only) — or for a socket bound to its port,
 * which Linux lets reuse it whatever the knob (tcp_twsk_unique). The new
 * connection starts 64 KiB past the old one's sequence numbers. */
bool tcp_tw_take(struct sk_stack *st, struct sk_sock *s, struct hnode *n, bool bound)
{
	if (n->state != SK_TCP_TIME_WAIT)
		return false;
	struct tw_sock *tw = (struct tw_sock *)n;
	int reuse = st->cfg.knobs.tcp_tw_reuse;
	bool loopback = (tw->laddr >> 24) == 127 || (tw->raddr >> 24) == 127;
	if (reuse == 2 && !loopback)
		reuse = 0;
	/* Linux 6.x: reuse when tcp_clock_ms() is after tw_entry_stamp +
	 * tcp_tw_reuse_delay (1000 ms), whole milliseconds */
	uint32_t now_ms = (uint32_t)(st->now_ns / SK_NS_PER_MS);
	if (!(tw->tw_flags & TW_TS) || !(bound || (reuse && (int32_t)(now_ms - (tw->entry_ms + 1000)) > 0)))
		return false;
	s->iss = tw->snd_nxt + 65535 + 2;
	if (!s->iss)
		s->iss = 1;
	s->ts_recent = tw->ts_recent;
	s->flags |= SOCKF_ISS_SET | SOCKF_TW_REUSED;
	tcp_tw_kill(st, tw);
	return true;
}

int tcp_connect(struct sk_stack *st, struct sk_sock *s)
{
	if (!(s->flags & SOCKF_ISS_SET))
		s->iss = tcp_isn(st, s->laddr, s->lport, s->raddr, s->rport);
	s->flags &= ~SOCKF_ISS_SET;
	s->snd_una = s->snd_nxt = s->snd_max = s->iss;
	tcp_init_rwin(st, s, false);
	ehash_insert(st, &s->hn);
	sock_set_state(st, s, SK_TCP_SYN_SENT);
	mib_inc(st, SK_MIB_ActiveOpens);
	tcp_send_synack(st, s);
	return 0;
}

/* The connection dies with `err` for the application (RST received,
 * timeout, ICMP during connect). */
void tcp_abort(struct sk_stack *st, struct sk_sock *s, int err)
{
	if (s->parent && s->state == SK_TCP_SYN_RECV)
		tcp_child_unlink(s);
	if (err)
		s->so_error = (uint8_t)err;
	s->flags |= SOCKF_SHUT_RD | SOCKF_SHUT_WR;
	sock_done(st, s);
}

/* Queues our FIN after the data (RFC 9293 §3.10.4 CLOSE / shutdown):
 * ESTABLISHED and SYN_RECV go to FIN_WAIT_1, CLOSE_WAIT to LAST_ACK. */
void tcp_send_fin(struct sk_stack *st, struct sk_sock *s)
{
	if (s->flags & SOCKF_SHUT_WR)
		return;
	s->flags |= SOCKF_SHUT_WR;
	if (s->state == SK_TCP_ESTABLISHED || s->state == SK_TCP_SYN_RECV)
		sock_set_state(st, s, SK_TCP_FIN_WAIT1);
	else if (s->state == SK_TCP_CLOSE_WAIT)
		sock_set_state(st, s, SK_TCP_LAST_ACK);
	tcp_output(st, s);
}

/* L6: a listener that stops (close, or shutdown(SHUT_RD)) resets the
 * complete connections waiting in its accept queue and drops its half-open
 * ones silently (Linux inet_csk_listen_stop). The socket is left CLOSED. */
void tcp_listen_stop(struct sk_stack *st, struct sk_sock *l)
{
	struct listen_q *q = l->lq;
	while (q->acc_head) {
		struct sk_sock *c = q->acc_head;
		tcp_child_unlink(c);
		if (c->state != SK_TCP_CLOSE)
			tcp_send_reset(st, c); /* tcp_disconnect: no TCPAbortOnClose */
		sock_set_state(st, c, SK_TCP_CLOSE);
		sock_destroy(st, c);
	}
	/* Half-open ones stay (Linux keeps the requests in the connection
	 * table) until their SYN-ACK timer or their next segment drops them,
	 * silently. */
	while (q->syn_head) {
		struct sk_sock *c = q->syn_head;
		tcp_child_unlink(c);
		c->flags |= SOCKF_LISTENER_GONE;
	}
	lhash_remove(st, l);
	sk_free(st, l->lq, sizeof(*l->lq));
	l->lq = NULL;
	sock_set_state(st, l, SK_TCP_CLOSE);
}

/* close() on a socket whose descriptor is already gone (RFC 9293
 * §3.10.4, Linux tcp_close). */
void tcp_close(struct sk_stack *st, struct sk_sock *s)
{
	s->flags |= SOCKF_ORPHAN | SOCKF_SHUT_RD;
	switch (s->state) {
	case SK_TCP_LISTEN:
		tcp_listen_stop(st, s);
		sock_destroy(st, s);
		return;
	case SK_TCP_CLOSE:
	case SK_TCP_SYN_SENT:
		sock_done(st, s);
		return;
	default:
		break;
	}
	bool unread = s->rcv.len > 0;
	bool linger0 = (s->flags & SOCKF_LINGER) && s->linger_s == 0;
	if (unread || linger0) {
		/* C11 (RFC 2525 §2.17) and C12: reset instead of FIN. */
		mib_inc(st, unread ? SK_MIB_TCPAbortOnClose : SK_MIB_TCPAbortOnData);
		if (s->state != SK_TCP_TIME_WAIT)
			tcp_send_reset(st, s);
		sock_done(st, s);
		return;
	}
	if (s->state == SK_TCP_FIN_WAIT2 && s->linger2_s < 0) {
		/* TCP_LINGER2 < 0: no FIN_WAIT_2 for an orphan; reset at once */
		mib_inc(st, SK_MIB_TCPAbortOnLinger);
		tcp_send_reset(st, s);
		sock_done(st, s);
		return;
	}
	tcp_send_fin(st, s);
	if (s->state == SK_TCP_FIN_WAIT2 && !s->idle_at_ns) {
		s->idle_at_ns = st->now_ns + tcp_fin_timeout_ns(st, s);
		sock_rearm(st, s);
	}
}

static void tw_queue_tail(struct sk_stack *st, struct tw_sock *tw);

/* Enters TIME-WAIT (RFC 9293 §3.10.7.4) for 2MSL, Linux's 60 s: the
 * connection gives way to a compact record (struct tw_sock) holding its
 * 4-tuple and port. A socket the application still holds becomes CLOSED
 * for it; an orphan is freed. */
void tcp_time_wait(struct sk_stack *st, struct sk_sock *s)
{
	sock_set_state(st, s, SK_TCP_TIME_WAIT);
	struct tw_sock *tw = sk_alloc(st, sizeof(*tw));
	if (tw) {
		memset(tw, 0, sizeof(*tw));
		tw->laddr = s->laddr;
		tw->raddr = s->raddr;
		tw->lport = s->lport;
		tw->rport = s->rport;
		tw->state = SK_TCP_TIME_WAIT;
		tw->tw_flags = (uint8_t)(((s->flags & SOCKF_TS) ? TW_TS : 0) |
					 ((s->flags & SOCKF_REUSEADDR) ? TW_REUSEADDR : 0) |
					 ((s->flags & SOCKF_USER_BOUND) ? TW_USER_BOUND : 0));
		tw->rcv_wnd_scaled = (uint16_t)(tcp_select_window(st, s));
		tw->snd_nxt = s->snd_nxt;
		tw->rcv_nxt = s->rcv_nxt;
		tw->ts_recent = s->ts_recent;
		tw->entry_ms = (uint32_t)(st->now_ns / SK_NS_PER_MS);
	}
	ehash_remove(st, &s->hn);
	s->state = SK_TCP_CLOSE; /* quietly: the record carries the state on */
	s->rtx_at_ns = s->delack_at_ns = s->idle_at_ns = 0;
	sock_rearm(st, s);
	ring_free(st, &s->snd);
	s->flags |= SOCKF_SHUT_RD | SOCKF_SHUT_WR;
	if (s->fd < 0)
		sock_destroy(st, s);
	else if (!(s->flags & SOCKF_USER_BOUND))
		port_unbind(st, s);
	if (!tw)
		return; /* no memory: the 4-tuple is free at once, as Linux does then */
	ehash_insert(st, (struct hnode *)tw);
	port_tw_hold(st, tw->lport, tw->tw_flags);
	tw->expire_ns = st->now_ns + TCP_TIMEWAIT_LEN_NS;
	tw_queue_tail(st, tw);
}

/* The FIFO of records: appended with the latest expiry, so the head is
 * always the next to expire and one wheel timer serves them all. */
static void tw_unqueue(struct sk_stack *st, struct tw_sock *tw)
{
	if (tw->tw_prev)
		tw->tw_prev->tw_next = tw->tw_next;
	else
		st->tw_head = tw->tw_next;
	if (tw->tw_next)
		tw->tw_next->tw_prev = tw->tw_prev;
	else
		st->tw_tail = tw->tw_prev;
	tw->tw_next = tw->tw_prev = NULL;
	st->tw_count--;
}

static void tw_arm(struct sk_stack *st)
{
	if (st->tw_head)
		wheel_set(&st->wheel, &st->tw_timer, st->tw_head->expire_ns);
	else
		wheel_cancel(&st->wheel, &st->tw_timer);
}

static void tw_queue_tail(struct sk_stack *st, struct tw_sock *tw)
{
	tw->tw_next = NULL;
	tw->tw_prev = st->tw_tail;
	if (st->tw_tail)
		st->tw_tail->tw_next = tw;
	else
		st->tw_head = tw;
	st->tw_tail = tw;
	st->tw_count++;
	tw_arm(st);
}

/* Frees a record silently. */
void tcp_tw_kill(struct sk_stack *st, struct tw_sock *tw)
{
	tw_unqueue(st, tw);
	ehash_remove(st, (struct hnode *)tw);
	port_tw_release(st, tw->lport, tw->tw_flags);
	sk_free(st, tw, sizeof(*tw));
	tw_arm(st);
}

/* A record's end: reported as TIME-WAIT -> CLOSE and counted (TW). */
static void tw_done(struct sk_stack *st, struct tw_sock *tw)
{
	tw->state = SK_TCP_CLOSE;
	stack_event_node(st, (struct hnode *)tw, -1, SK_TCP_TIME_WAIT);
	tcp_tw_kill(st, tw);
}

/* The wheel timer of the oldest record fired: end every record due. */
void tcp_tw_expire(struct sk_stack *st)
{
	while (st->tw_head && st->tw_head->expire_ns <= st->now_ns) {
		mib_inc(st, SK_MIB_TW);
		tw_done(st, st->tw_head);
	}
	tw_arm(st);
}

/* Restarts 2MSL: the record moves to the back of the FIFO. */
static void tw_restart(struct sk_stack *st, struct tw_sock *tw)
{
	tw_unqueue(st, tw);
	tw->expire_ns = st->now_ns + TCP_TIMEWAIT_LEN_NS;
	tw_queue_tail(st, tw);
}

/* A segment for a TIME-WAIT record (Linux tcp_timewait_state_process). */
void tcp_timewait_input(struct sk_stack *st, struct tw_sock *tw, const struct ip4_hdr *ip,
			const struct tcp_seg *seg)
{
	uint32_t end = seg->seq + seg->data_len + !!(seg->flags & TCP_SYN) + !!(seg->flags & TCP_FIN);
	if (seg->seq == tw->rcv_nxt && (seg->seq == end || (seg->flags & TCP_RST))) {
		if (seg->flags & TCP_RST)
			tw_done(st, tw); /* RFC 1337 hazard, but Linux's default */
		else
			tw_restart(st, tw); /* a bare ACK: Linux restarts 2MSL */
		return;
	}
	bool ts_newer = (tw->tw_flags & TW_TS) && (seg->opts.has & TCP_HAS_TS) &&
			(int32_t)(tw->ts_recent - seg->opts.tsval) < 0;
	if ((seg->flags & (TCP_SYN | TCP_RST | TCP_ACK)) == TCP_SYN &&
	    (seq_gt(seg->seq, tw->rcv_nxt) || ts_newer)) {
		/* RFC 1122 §4.2.2.13, RFC 6191: a new SYN with a higher sequence
		 * number (or newer timestamp) reopens the 4-tuple; Linux answers
		 * it with an ISN 64 KiB past the old connection's. */
		uint32_t isn = tw->snd_nxt + 65535 + 2;
		struct sk_sock *l = lhash_lookup(st, seg->dport);
		if (l) {
			tw_done(st, tw);
			tcp_listen_input(st, l, ip, seg, isn ? isn : 1);
			return;
		}
		/* no listener: Linux answers with the TIME-WAIT ACK, no limit */
		tcp_tw_send_ack(st, tw);
		return;
	}
	if (seg->flags & TCP_RST)
		return;
	if (seg->flags & TCP_ACK)
		tw_restart(st, tw); /* C8: a retransmitted FIN restarts 2MSL */
	/* Linux tcp_oow_rate_limited: data and FINs always, others at most
	 * once per tcp_invalid_ratelimit */
	if (!(seg->seq != end && !(seg->flags & TCP_SYN))) {
		uint32_t now_ms = (uint32_t)(st->now_ns / SK_NS_PER_MS);
		if (tw->last_oow_ms && now_ms - tw->last_oow_ms < (uint32_t)st->cfg.knobs.tcp_invalid_ratelimit)
			return;
		tw->last_oow_ms = now_ms ? now_ms : 1;
	}
	tcp_tw_send_ack(st, tw);
}
