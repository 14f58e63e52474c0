/* Connection lifetime: initial values, opening, closing, aborting, and
 * TIME-WAIT. */
#include "core.h"

#define RMEM_MAX 212992 /* net.core.rmem_max: Linux's window-scale choice uses it */

void tcp_init_sock(struct sk_stack *st, struct sk_sock *s)
{
	const struct sk_knobs *k = &st->cfg.knobs;
	s->rto_ms = (uint32_t)k->tcp_rto_initial_ms; /* RFC 6298 §2.1 */
	s->cwnd = 10;                                /* RFC 6928 */
	s->ssthresh = UINT32_MAX;
	s->reordering = (uint16_t)st->cfg.knobs.tcp_reordering;
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
	/* TCP_MAXSEG also caps what we announce (Linux tcp_mss_clamp in
	 * tcp_connect_init and tcp_openreq_init_rwin) */
	if (s->user_mss && s->user_mss < s->adv_mss)
		s->adv_mss = s->user_mss;
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
	if (!s->srtt8_us) {
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

int tcp_connect(struct sk_stack *st, struct sk_sock *s)
{
	if (!(s->flags & SOCKF_ISS_SET))
		s->iss = tcp_isn(st, s->laddr, s->lport, s->raddr, s->rport);
	s->flags &= ~SOCKF_ISS_SET;
	s->snd_una = s->snd_nxt = s->snd_max = s->iss;
	s->snd_recover = s->iss;
	s->ca_state = CA_OPEN; /* a socket may connect again after AF_UNSPEC */
	s->reord_seen = false;
	s->reordering = (uint16_t)st->cfg.knobs.tcp_reordering; /* RFC 6582 §3.2 step 1: recover = ISS */
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
