/* TCP timers: retransmission with Linux's give-up arithmetic, zero-window
 * probes, delayed ACK, keepalive, FIN_WAIT_2 and TIME-WAIT. Each socket has
 * one wheel timer; these are the deadlines behind it. */
#include "core.h"

static uint64_t ms_ns(uint64_t ms) { return ms * SK_NS_PER_MS; }

static void backoff_rto(struct sk_stack *st, struct sk_sock *s)
{
	uint32_t max_ms = (uint32_t)st->cfg.knobs.tcp_rto_max_ms;
	s->rto_ms = s->rto_ms * 2 > max_ms ? max_ms : s->rto_ms * 2;
	s->backoff++;
}

/* Linux's tcp_model_timeout: how long `boundary` retransmissions take
 * when the RTO starts at rto_base and doubles up to RTO_max. With the
 * defaults: 924.6 s for tcp_retries2 = 15. */
static uint64_t model_timeout_ms(const struct sk_stack *st, int boundary, uint64_t rto_base_ms)
{
	uint64_t rto_max = (uint64_t)st->cfg.knobs.tcp_rto_max_ms;
	int thresh = 0;
	while ((rto_base_ms << (thresh + 1)) <= rto_max)
		thresh++;
	if (boundary <= thresh)
		return ((2ull << boundary) - 1) * rto_base_ms;
	return ((2ull << thresh) - 1) * rto_base_ms + (uint64_t)(boundary - thresh) * rto_max;
}

/* Whether the connection has retransmitted for as long as `boundary`
 * retries take from RTO_min (from the initial RTO during the handshake),
 * or for TCP_USER_TIMEOUT when that is set (RFC 5482; Linux's
 * retransmits_timed_out). */
static bool retransmits_timed_out(const struct sk_stack *st, const struct sk_sock *s, int boundary)
{
	if (!s->retransmits)
		return false;
	bool handshake = TCPF(s->state) & (TCPF(SK_TCP_SYN_SENT) | TCPF(SK_TCP_SYN_RECV));
	uint64_t base_ms = (uint64_t)(handshake ? st->cfg.knobs.tcp_rto_initial_ms
						: st->cfg.knobs.tcp_rto_min_ms);
	uint64_t limit_ms = s->user_timeout_ms ? (uint64_t)s->user_timeout_ms
					       : model_timeout_ms(st, boundary, base_ms);
	return st->now_ns - s->retrans_stamp_ns >= ms_ns(limit_ms);
}

/* The next retransmission comes no later than TCP_USER_TIMEOUT's end
 * (Linux tcp_clamp_rto_to_user_timeout). */
static uint64_t rto_clamped_ns(const struct sk_stack *st, const struct sk_sock *s)
{
	uint64_t rto_ns = ms_ns(s->rto_ms);
	if (!s->user_timeout_ms)
		return rto_ns;
	uint64_t end_ns = s->retrans_stamp_ns + ms_ns((uint64_t)s->user_timeout_ms);
	if (end_ns <= st->now_ns)
		return SK_NS_PER_MS; /* past due: fire at once (one jiffy) */
	return end_ns - st->now_ns < rto_ns ? end_ns - st->now_ns : rto_ns;
}

/* The retry budget of an established connection: tcp_retries2, or for an
 * orphan tcp_orphan_retries where 0 means 8 (Linux tcp_orphan_retries). */
static int retry_limit(const struct sk_stack *st, const struct sk_sock *s)
{
	if (!(s->flags & SOCKF_ORPHAN))
		return st->cfg.knobs.tcp_retries2;
	int r = st->cfg.knobs.tcp_orphan_retries;
	bool alive = s->rto_ms < (uint32_t)st->cfg.knobs.tcp_rto_max_ms;
	if (s->err_soft && !alive)
		r = 0;
	return r == 0 && alive ? 8 : r;
}

static void give_up(struct sk_stack *st, struct sk_sock *s)
{
	mib_inc(st, SK_MIB_TCPAbortOnTimeout);
	tcp_abort(st, s, s->err_soft ? s->err_soft : ETIMEDOUT);
}

/* SYN or SYN-ACK lost: resend with the same ISN until the retries are
 * spent (Linux 6.x tcp_write_timeout): tcp_synack_retries for a SYN-ACK;
 * for a SYN, tcp_syn_retries (TCP_SYNCNT) plus tcp_syn_linear_timeouts
 * resends, or as long as tcp_syn_retries doublings of the initial RTO
 * take, whichever comes first. The first tcp_syn_linear_timeouts resends
 * of a SYN keep the initial RTO; then it doubles. */
static bool handshake_timeout(struct sk_stack *st, struct sk_sock *s)
{
	if (s->flags & SOCKF_LISTENER_GONE) {
		tcp_child_drop(st, s); /* Linux reqsk_timer_handler: listener gone */
		return true;
	}
	const struct sk_knobs *k = &st->cfg.knobs;
	bool syn = s->state == SK_TCP_SYN_SENT;
	int retries = syn ? (s->syn_retries ? s->syn_retries : k->tcp_syn_retries) : k->tcp_synack_retries;
	int limit = retries + (syn ? k->tcp_syn_linear_timeouts : 0);
	if (s->retransmits >= limit || ((syn || s->user_timeout_ms) && retransmits_timed_out(st, s, retries))) {
		if (s->parent) {
			/* a request that expires just goes, counted nowhere but in
			 * TCPTimeouts (Linux's reqsk_timer_handler) */
			tcp_child_unlink(s);
			int old = s->state;
			s->state = SK_TCP_CLOSE;
			stack_event_state(st, s, old);
			sock_destroy(st, s);
			return true;
		}
		give_up(st, s);
		return true;
	}
	s->retransmits++;
	if (!syn || s->retransmits > k->tcp_syn_linear_timeouts)
		backoff_rto(st, s);
	s->flags &= ~SOCKF_RTT_TIMING; /* Karn */
	s->rtx_at_ns = 0;
	tcp_send_synack(st, s);
	return false;
}

/* Zero-window probe (RFC 9293 §3.8.6.1, Linux tcp_probe_timer): an ACK
 * one byte below SND.UNA that the peer must answer with its window; after
 * tcp_retries2 unanswered probes (an orphan's budget when closed), or
 * TCP_USER_TIMEOUT, the connection is given up. */
static bool persist_timeout(struct sk_stack *st, struct sk_sock *s)
{
	if (tcp_write_wakeup(st, s))
		return false; /* the window has room: the held data goes (RTO armed) */
	bool expired = s->user_timeout_ms
			       ? s->probes && st->now_ns - s->retrans_stamp_ns >= ms_ns((uint64_t)s->user_timeout_ms)
			       : s->probes >= retry_limit(st, s);
	if (expired) {
		give_up(st, s);
		return true;
	}
	if (!s->probes) {
		s->flags |= SOCKF_RTX_STAMP;
		s->retrans_stamp_ns = st->now_ns;
	}
	uint32_t nxt = s->snd_nxt;
	s->snd_nxt = s->snd_una - 1;
	tcp_send_ack(st, s);
	s->snd_nxt = nxt;
	if (s->backoff < st->cfg.knobs.tcp_retries2)
		s->backoff++;
	s->probes++;
	s->rtx_at_ns = st->now_ns + tcp_probe0_ns(st, s);
	return false;
}

/* RFC 6298 §5.4-5.6: retransmit the earliest unacknowledged segment, back
 * off, and fall back to one segment of congestion window (RFC 5681 §3.1). */
static bool retransmit_timeout(struct sk_stack *st, struct sk_sock *s)
{
	if (TCPF(s->state) & (TCPF(SK_TCP_SYN_SENT) | TCPF(SK_TCP_SYN_RECV))) {
		mib_inc(st, SK_MIB_TCPTimeouts);
		return handshake_timeout(st, s);
	}
	if (s->flags & SOCKF_PERSIST)
		return persist_timeout(st, s);
	s->tlp_high_seq = 0; /* an RTO ends the tail episode (tcp_enter_loss) */
	mib_inc(st, SK_MIB_TCPTimeouts); /* every expiry, the last one too */
	if (!(s->flags & SOCKF_RTX_STAMP)) {
		s->flags |= SOCKF_RTX_STAMP;
		s->retrans_stamp_ns = st->now_ns; /* Linux 6.x: the first retransmission */
	}
	if (retransmits_timed_out(st, s, retry_limit(st, s))) {
		give_up(st, s);
		return true;
	}
	uint32_t flight = (s->snd_max - s->snd_una) / s->mss_cache;
	s->ssthresh = flight / 2 > 2 ? flight / 2 : 2;
	s->cwnd = 1;
	s->cwnd_cnt = 0;
	s->ca_state = CA_LOSS; /* RFC 6582 §3.2 step 6: recovery ends */
	s->snd_recover = s->snd_max;
	s->dupacks = 0;
	s->snd_nxt = s->snd_una; /* go back: resend from the first hole */
	tcp_rq_free(st, s);      /* ... and record what goes out again */
	s->flags &= ~SOCKF_RTT_TIMING;     /* Karn */
	s->retransmits++;
	backoff_rto(st, s);
	s->rtx_at_ns = 0;
	tcp_output(st, s);
	s->rtx_at_ns = st->now_ns + rto_clamped_ns(st, s);
	return false;
}

void tcp_keepalive_arm(struct sk_stack *st, struct sk_sock *s)
{
	int idle = s->keepidle_s ? s->keepidle_s : st->cfg.knobs.tcp_keepalive_time;
	s->idle_at_ns = s->lrcvtime_ns + (uint64_t)idle * SK_NS_PER_S;
	if (s->idle_at_ns <= st->now_ns)
		s->idle_at_ns = st->now_ns + (uint64_t)idle * SK_NS_PER_S;
	sock_rearm(st, s);
}

/* Keepalive (RFC 1122 §4.2.3.6, Linux tcp_keepalive_timer): after idle
 * time with nothing outstanding, probe every interval; give up after the
 * count of unanswered probes. */
static bool keepalive_timeout(struct sk_stack *st, struct sk_sock *s)
{
	const struct sk_knobs *k = &st->cfg.knobs;
	uint64_t idle_ns = (uint64_t)(s->keepidle_s ? s->keepidle_s : k->tcp_keepalive_time) * SK_NS_PER_S;
	uint64_t intvl_ns = (uint64_t)(s->keepintvl_s ? s->keepintvl_s : k->tcp_keepalive_intvl) * SK_NS_PER_S;
	int cnt = s->keepcnt ? s->keepcnt : k->tcp_keepalive_probes;
	if (s->snd_una != s->snd_max || s->snd.len) {
		s->idle_at_ns = st->now_ns + idle_ns; /* the retransmission timer watches */
		return false;
	}
	uint64_t elapsed = st->now_ns - s->lrcvtime_ns;
	if (elapsed < idle_ns) {
		s->idle_at_ns = s->lrcvtime_ns + idle_ns;
		return false;
	}
	bool dead = s->user_timeout_ms ? s->probes > 0 && elapsed >= ms_ns((uint64_t)s->user_timeout_ms)
				       : s->probes >= cnt;
	if (dead) {
		/* Linux resets a connection whose keepalives went unanswered. */
		tcp_send_reset(st, s);
		give_up(st, s);
		return true;
	}
	s->probes++;
	mib_inc(st, SK_MIB_TCPKeepAlive);
	uint32_t nxt = s->snd_nxt;
	s->snd_nxt = s->snd_una - 1;
	tcp_send_ack(st, s);
	s->snd_nxt = nxt;
	s->idle_at_ns = st->now_ns + intvl_ns;
	return false;
}

static bool idle_timeout(struct sk_stack *st, struct sk_sock *s)
{
	if (s->state == SK_TCP_FIN_WAIT2 && (s->flags & SOCKF_ORPHAN)) {
		sock_done(st, s); /* tcp_fin_timeout for an orphan: gone quietly */
		return true;
	}
	return (s->flags & SOCKF_KEEPALIVE) && keepalive_timeout(st, s);
}

void tcp_timer(struct sk_stack *st, struct sk_sock *s)
{
	uint64_t now = st->now_ns;
	if (s->delack_at_ns && s->delack_at_ns <= now) {
		s->delack_at_ns = 0;
		if (s->ack_pending & ACKP_SCHED) { /* Linux tcp_delack_timer_handler */
			uint64_t rto = (uint64_t)s->rto_ms * SK_NS_PER_MS;
			if (!(s->flags & SOCKF_PINGPONG)) {
				s->ato_ns = s->ato_ns * 2 < rto ? s->ato_ns * 2 : rto;
			} else {
				s->flags &= ~SOCKF_PINGPONG; /* the ACK waited in vain */
				s->ato_ns = (uint64_t)st->cfg.knobs.tcp_delack_min_ms * SK_NS_PER_MS;
			}
			tcp_send_ack(st, s);
			mib_inc(st, SK_MIB_TCPDelayedACKs);
		}
	}
	/* A handler that returns true may have freed the socket. */
	if (s->rtx_at_ns && s->rtx_at_ns <= now && s->rtx_at_ns == s->alt_at_ns) {
		s->rtx_at_ns = 0;
		if (s->flags & SOCKF_REO)
			tcp_rack_reo_timeout(st, s); /* RACK's reordering window passed */
		else
			tcp_send_loss_probe(st, s); /* a tail loss probe, not the RTO */
	} else if (s->rtx_at_ns && s->rtx_at_ns <= now) {
		s->rtx_at_ns = 0;
		if (retransmit_timeout(st, s))
			return;
	}
	if (s->idle_at_ns && s->idle_at_ns <= now) {
		s->idle_at_ns = 0;
		if (idle_timeout(st, s))
			return;
	}
	sock_rearm(st, s);
}

/* RFC 6069 (Linux tcp_ld_RTO_revert): an ICMP unreachable about the
 * segment being retransmitted shows the path is down, not congested, so
 * one step of backoff is undone and the timer re-armed from the last
 * retransmission; if that time has passed, retransmit now. */
static void rto_revert(struct sk_stack *st, struct sk_sock *s, uint32_t seq)
{
	if (seq != s->snd_una || !s->retransmits || !s->backoff || !s->rtx_at_ns ||
	    (s->flags & SOCKF_PERSIST))
		return;
	uint64_t last_tx_ns = s->rtx_at_ns - ms_ns(s->rto_ms);
	s->backoff--;
	uint32_t base_ms = tcp_rto_base_ms(st, s);
	uint64_t max_ms = (uint64_t)st->cfg.knobs.tcp_rto_max_ms;
	uint64_t rto_ms = (uint64_t)base_ms << s->backoff;
	s->rto_ms = (uint32_t)(rto_ms < max_ms ? rto_ms : max_ms);
	uint64_t due_ns = last_tx_ns + ms_ns(s->rto_ms);
	if (due_ns > st->now_ns) {
		s->rtx_at_ns = due_ns;
		sock_rearm(st, s);
		return;
	}
	s->rtx_at_ns = 0;
	if (!retransmit_timeout(st, s))
		sock_rearm(st, s);
}

/* ICMP destination unreachable for one of our connections (RFC 1122
 * §4.2.3.9, Linux tcp_v4_err): fatal while connecting, a soft error kept
 * for a later timeout once established (A3). */
void tcp_icmp_error(struct sk_stack *st, const struct icmp_msg *m)
{
	struct sk_sock *s = ehash_lookup_sock(st, m->q_src, m->q_sport, m->q_dst, m->q_dport);
	if (!s)
		return;
	if (!seq_in(m->q_seq, s->snd_una, s->snd_max + 1))
		return; /* not about anything in flight (RFC 5927 §4.1) */
	static const uint8_t errs[] = {
		[ICMP_NET_UNREACH] = ENETUNREACH, [ICMP_HOST_UNREACH] = EHOSTUNREACH,
		[ICMP_PROT_UNREACH] = ENOPROTOOPT, [ICMP_PORT_UNREACH] = ECONNREFUSED,
		[ICMP_FRAG_NEEDED] = 0,
	};
	int err = m->code < sizeof(errs) ? errs[m->code] : EHOSTUNREACH;
	if (!err)
		return; /* path MTU discovery is not implemented yet */
	if (s->state == SK_TCP_SYN_SENT) {
		tcp_abort(st, s, err);
		return;
	}
	s->err_soft = (uint8_t)err;
	if (m->code == ICMP_NET_UNREACH || m->code == ICMP_HOST_UNREACH)
		rto_revert(st, s, m->q_seq);
}
