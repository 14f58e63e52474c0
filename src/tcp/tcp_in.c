/* TCP input: RFC 9293 §3.10.7 "SEGMENT ARRIVES", one helper per step,
 * with Linux's choices where the RFC leaves room. */
#include "core.h"

/* ---- helpers shared by the states ---- */

/* Negotiates the SYN options (RFC 9293 §3.7.1, RFC 7323, RFC 2018): an
 * option is used only when both sides offered it and our knob allows it. */
void tcp_syn_negotiate(struct sk_stack *st, struct sk_sock *s, const struct tcp_seg *seg)
{
	const struct sk_knobs *k = &st->cfg.knobs;
	const struct tcp_opts *o = &seg->opts;
	s->flags &= ~(SOCKF_TS | SOCKF_SACK | SOCKF_WSCALE);
	if (k->tcp_timestamps && (o->has & TCP_HAS_TS)) {
		s->flags |= SOCKF_TS;
		s->ts_recent = o->tsval;
	}
	if (k->tcp_sack && (o->has & TCP_HAS_SACK_PERM))
		s->flags |= SOCKF_SACK;
	if (k->tcp_window_scaling && (o->has & TCP_HAS_WSCALE)) {
		s->flags |= SOCKF_WSCALE;
		s->snd_wscale = o->wscale > 14 ? 14 : o->wscale; /* RFC 7323 §2.3 */
	} else {
		s->snd_wscale = 0;
		s->rcv_wscale = 0;
	}
	uint32_t peer_mss = (o->has & TCP_HAS_MSS) ? o->mss : 536; /* RFC 9293 §3.7.1 */
	uint32_t mss = peer_mss < s->adv_mss ? peer_mss : s->adv_mss;
	if (s->user_mss && s->user_mss < mss)
		mss = s->user_mss;
	if (s->flags & SOCKF_TS)
		mss -= 12; /* the timestamp option rides on every segment */
	s->mss_cache = (uint16_t)(mss < 64 ? 64 : mss);
}

static void update_ts_recent(struct sk_sock *s, const struct tcp_seg *seg)
{
	/* RFC 7323 §4.3: remember the peer's clock from a segment that covers
	 * the left edge of what we acknowledged last. */
	if ((s->flags & SOCKF_TS) && (seg->opts.has & TCP_HAS_TS) && seq_le(seg->seq, s->rcv_wup))
		s->ts_recent = seg->opts.tsval;
}

/* RFC 6298 §2: smoothed RTT and variance; Linux floors the variance term
 * at RTO_min, so the RTO is at least SRTT + 200 ms. */
static void rtt_sample(struct sk_stack *st, struct sk_sock *s, uint64_t rtt_ns)
{
	/* Linux's tcp_rtt_estimator: SRTT moves by 1/8 of the error, mdev by
	 * 1/4 (by 1/32 when the RTT falls), and the RTO's variance term
	 * follows the largest mdev of each RTT, decaying once per RTT, never
	 * below RTO_min. */
	int64_t m = (int64_t)(rtt_ns / 1000);
	uint32_t rto_min_us = (uint32_t)st->cfg.knobs.tcp_rto_min_ms * 1000;
	if (m == 0)
		m = 1; /* as Linux: a sample of 0 still counts as a sample */
	if (!s->rtt_min_us || (uint32_t)m < s->rtt_min_us)
		s->rtt_min_us = (uint32_t)m; /* tcp_min_rtt, without its 5-minute window */
	if (s->srtt8_us) {
		m -= s->srtt8_us >> 3;
		s->srtt8_us = (uint32_t)((int64_t)s->srtt8_us + m);
		if (m < 0) {
			m = -m - (s->mdev_us >> 2);
			if (m > 0)
				m >>= 3;
		} else {
			m -= s->mdev_us >> 2;
		}
		s->mdev_us = (uint32_t)((int64_t)s->mdev_us + m);
		if (s->mdev_us > s->mdev_max_us) {
			s->mdev_max_us = s->mdev_us;
			if (s->mdev_max_us > s->rto_var_us)
				s->rto_var_us = s->mdev_max_us;
		}
		if (seq_gt(s->snd_una, s->rtt_var_seq)) {
			if (s->mdev_max_us < s->rto_var_us)
				s->rto_var_us -= (s->rto_var_us - s->mdev_max_us) >> 2;
			s->rtt_var_seq = s->snd_nxt;
			s->mdev_max_us = rto_min_us;
		}
	} else {
		s->srtt8_us = (uint32_t)m << 3;
		s->mdev_us = (uint32_t)m << 1;
		s->rto_var_us = s->mdev_us > rto_min_us ? s->mdev_us : rto_min_us;
		s->mdev_max_us = s->rto_var_us;
		s->rtt_var_seq = s->snd_nxt;
	}
	s->rto_ms = tcp_rto_base_ms(st, s);
}

/* The RTO from the RTT estimate, before any backoff (Linux __tcp_set_rto
 * and tcp_bound_rto). Linux keeps it in jiffies, rounded up: 200 ms plus
 * any RTT is 201 ms at HZ=1000. With no sample yet: the initial RTO. */
uint32_t tcp_rto_base_ms(const struct sk_stack *st, const struct sk_sock *s)
{
	if (!s->srtt8_us)
		return (uint32_t)st->cfg.knobs.tcp_rto_initial_ms;
	uint32_t rto_ms = ((s->srtt8_us >> 3) + s->rto_var_us + 999) / 1000;
	uint32_t max_ms = (uint32_t)st->cfg.knobs.tcp_rto_max_ms;
	return rto_ms > max_ms ? max_ms : rto_ms;
}

/* Linux's tcp_oow_rate_limited: at most one ACK per tcp_invalid_ratelimit
 * (500 ms) in answer to out-of-window segments, so two confused ends
 * cannot ping-pong ACKs forever. Data segments are not part of a loop. */
bool tcp_oow_rate_limited(struct sk_stack *st, struct sk_sock *s, const struct tcp_seg *seg)
{
	if (seg->data_len && !(seg->flags & TCP_SYN))
		return false;
	uint32_t now_ms = (uint32_t)(st->now_ns / SK_NS_PER_MS);
	if (s->last_oow_ack_ms && now_ms - s->last_oow_ack_ms < (uint32_t)st->cfg.knobs.tcp_invalid_ratelimit)
		return true;
	s->last_oow_ack_ms = now_ms ? now_ms : 1;
	return false;
}

/* Sends an ACK for the current state now: out-of-window segments and
 * duplicates (RFC 9293 §3.10.7.4, first check). */
static void send_dupack(struct sk_stack *st, struct sk_sock *s, const struct tcp_seg *seg)
{
	if (!tcp_oow_rate_limited(st, s, seg))
		tcp_send_ack(st, s);
}

/* RFC 5961 §3.2, §4.2: a challenge ACK, rate-limited per connection as
 * above and to tcp_challenge_ack_limit a second for the whole host, as
 * Linux limits it. */
static void challenge_ack(struct sk_stack *st, struct sk_sock *s, const struct tcp_seg *seg)
{
	(void)seg;
	/* Linux 6.x: __tcp_oow_rate_limited, for segments with data too */
	uint32_t now_ms = (uint32_t)(st->now_ns / SK_NS_PER_MS);
	if (s->last_oow_ack_ms &&
	    now_ms - s->last_oow_ack_ms < (uint32_t)st->cfg.knobs.tcp_invalid_ratelimit)
		return;
	s->last_oow_ack_ms = now_ms ? now_ms : 1;
	if (st->now_ns - st->challenge_window_start_ns >= SK_NS_PER_S) {
		st->challenge_window_start_ns = st->now_ns;
		st->challenge_count = 0;
	}
	if (st->challenge_count >= (uint32_t)st->cfg.knobs.tcp_challenge_ack_limit)
		return;
	st->challenge_count++;
	mib_inc(st, SK_MIB_TCPChallengeACK);
	tcp_send_ack(st, s);
}

/* Our SYN or SYN-ACK was acknowledged: an RTT sample if it was sent only
 * once (Karn), and the retransmission state cleared. */
static void handshake_acked(struct sk_stack *st, struct sk_sock *s)
{
	if ((s->flags & SOCKF_RTT_TIMING) && !s->retransmits)
		rtt_sample(st, s, st->now_ns - s->rtt_start_ns);
	s->flags &= ~(SOCKF_RTT_TIMING | SOCKF_RTX_STAMP);
	s->retransmits = s->backoff = 0;
	s->rtx_at_ns = 0;
}

/* ---- SYN-SENT (RFC 9293 §3.10.7.3) ---- */

static void synsent_input(struct sk_stack *st, struct sk_sock *s, const struct ip4_hdr *ip,
			  const struct tcp_seg *seg)
{
	bool ack_ok = false;
	if (seg->flags & TCP_ACK) {
		if (seq_le(seg->ack, s->iss) || seq_gt(seg->ack, s->snd_max)) {
			/* Linux: "Previous FIN/ACK or RST/ACK might be ignored":
			 * resend the SYN after TCP_TIMEOUT_MIN (2 jiffies). */
			if (!s->retransmits) {
				s->rtx_at_ns = st->now_ns + 2 * SK_NS_PER_MS;
				sock_rearm(st, s);
			}
			tcp_reset_reply(st, ip, seg); /* not for our SYN */
			return;
		}
		ack_ok = true;
	}
	if (seg->flags & TCP_RST) {
		if (ack_ok)
			tcp_abort(st, s, ECONNREFUSED); /* R4, H12 */
		return;
	}
	if (!(seg->flags & TCP_SYN))
		return;
	s->irs = seg->seq;
	s->rcv_nxt = seg->seq + 1;
	s->rcv_wup = s->rcv_nxt;
	s->snd_wl1 = seg->seq;
	s->snd_wl2 = seg->ack;
	s->snd_wnd = seg->wnd;
	s->snd_wnd_max = s->snd_wnd; /* Linux max_window starts at the SYN-ACK's */
	tcp_syn_negotiate(st, s, seg);
	if (!(seg->flags & TCP_ECE) || (seg->flags & TCP_CWR))
		s->ecn_flags = 0; /* no ECN unless the SYN-ACK agrees (tcp_ecn_rcv_synack) */
	if (!ack_ok) {
		/* Simultaneous open (RFC 9293 §3.5, figure 8): SYN-ACK with our ISN. */
		sock_set_state(st, s, SK_TCP_SYN_RECV);
		s->flags &= ~SOCKF_RTT_TIMING;
		tcp_send_synack(st, s);
		return;
	}
	s->snd_una = seg->ack;
	handshake_acked(st, s);
	sock_set_state(st, s, SK_TCP_ESTABLISHED);
	tcp_established(st, s);
	tcp_send_ack(st, s);
	tcp_output(st, s);
}

/* ---- synchronized states (RFC 9293 §3.10.7.4) ---- */

/* The first check, as Linux's tcp_sequence: some of the segment lies at or
 * after the last window edge we announced from, and it starts no later
 * than the window's right edge. */
static bool seq_acceptable(const struct sk_sock *s, const struct tcp_seg *seg)
{
	uint32_t end = seg->seq + seg->data_len + !!(seg->flags & TCP_SYN) + !!(seg->flags & TCP_FIN);
	uint32_t right = s->rcv_wup + s->rcv_wnd;
	if (seq_lt(right, s->rcv_nxt))
		right = s->rcv_nxt;
	return seq_ge(end, s->rcv_wup) && seq_le(seg->seq, right);
}

/* RFC 5961 §3.2: a reset is taken only at exactly RCV.NXT; one elsewhere
 * in the window earns a challenge ACK. Returns true when `s` is gone. */
/* Linux's tcp_reset_check: after the peer's FIN, a RST at RCV.NXT - 1. */
static bool rst_after_fin(const struct sk_sock *s, const struct tcp_seg *seg)
{
	return seg->seq == s->rcv_nxt - 1 &&
	       (TCPF(s->state) & (TCPF(SK_TCP_CLOSE_WAIT) | TCPF(SK_TCP_LAST_ACK) | TCPF(SK_TCP_CLOSING)));
}

/* Linux (tcp_validate_incoming): with SACK, a RST at the right edge of the
 * right-most block we report counts as exact. */
static bool rst_at_sack_edge(const struct sk_sock *s, const struct tcp_seg *seg)
{
	if (!(s->flags & SOCKF_SACK) || !s->ofo)
		return false;
	uint32_t max = s->ofo->seq + s->ofo->len;
	for (const struct ofo_seg *o = s->ofo->next; o; o = o->next)
		if (seq_gt(o->seq + o->len, max))
			max = o->seq + o->len;
	return seg->seq == max;
}

static bool rst_input(struct sk_stack *st, struct sk_sock *s, const struct tcp_seg *seg)
{
	if (seg->seq != s->rcv_nxt && !rst_after_fin(s, seg) && !rst_at_sack_edge(s, seg)) {
		challenge_ack(st, s, seg);
		return false;
	}
	if (s->state == SK_TCP_SYN_RECV && s->parent) {
		/* L5: a half-open child dies (AttemptFails); the listener stays.
		 * Linux 6.x challenges an inexact reset here too. */
		tcp_child_unlink(s);
		sock_done(st, s);
		return true;
	}
	tcp_abort(st, s, s->state == SK_TCP_CLOSE_WAIT ? EPIPE : ECONNRESET);
	return true;
}

/* SYN_RECV: the ACK completing the handshake (RFC 9293 §3.10.7.4 fifth
 * check). Returns false when the segment must go no further. */
static bool synrecv_ack(struct sk_stack *st, struct sk_sock *s, const struct ip4_hdr *ip,
			const struct tcp_seg *seg)
{
	if (!seq_gt(seg->ack, s->snd_una) || seq_gt(seg->ack, s->snd_max)) {
		tcp_reset_reply(st, ip, seg);
		return false;
	}
	struct sk_sock *l = s->parent;
	if (l && l->lq->acc_count >= l->lq->backlog + 1) {
		/* L3: accept queue full: drop the final ACK; the SYN-ACK timer
		 * will try again (or reset with tcp_abort_on_overflow). */
		mib_inc(st, SK_MIB_ListenOverflows);
		stack_event_drop(st, SK_MIB_ListenDrops, ip->src, seg->sport, seg->dport);
		if (st->cfg.knobs.tcp_abort_on_overflow) {
			/* Linux drops the request (inet_csk_reqsk_queue_drop):
			 * no AttemptFails, unlike a reset received */
			tcp_reset_reply(st, ip, seg);
			tcp_child_unlink(s);
			s->state = SK_TCP_CLOSE;
			stack_event_state(st, s, SK_TCP_SYN_RECV);
			sock_destroy(st, s);
		}
		return false;
	}
	handshake_acked(st, s);
	s->snd_una = seg->ack;
	s->snd_wnd = (uint32_t)seg->wnd << s->snd_wscale;
	s->snd_wnd_max = s->snd_wnd; /* Linux max_window starts at the final ACK's */
	s->snd_wl1 = seg->seq;
	s->snd_wl2 = seg->ack;
	if (l) {
		tcp_child_unlink(s);
		sock_set_state(st, s, SK_TCP_ESTABLISHED);
		tcp_accept_queue_add(l, s);
		mib_inc(st, SK_MIB_PassiveOpens);
		sock_wake(st, l);
	} else {
		sock_set_state(st, s, SK_TCP_ESTABLISHED);
	}
	tcp_established(st, s);
	return true;
}

/* Our FIN has been acknowledged: move on (RFC 9293 §3.10.7.4, fifth
 * check, per state). Returns true when `s` is gone. */
static bool fin_acked(struct sk_stack *st, struct sk_sock *s)
{
	switch (s->state) {
	case SK_TCP_FIN_WAIT1:
		if ((s->flags & SOCKF_ORPHAN) && s->linger2_s < 0) {
			mib_inc(st, SK_MIB_TCPAbortOnData); /* as Linux counts it */
			sock_done(st, s);
			return true;
		}
		sock_set_state(st, s, SK_TCP_FIN_WAIT2);
		if (s->flags & SOCKF_ORPHAN) {
			s->idle_at_ns = st->now_ns + tcp_fin_timeout_ns(st, s);
			sock_rearm(st, s);
		}
		return false;
	case SK_TCP_CLOSING:
		tcp_time_wait(st, s);
		return true;
	case SK_TCP_LAST_ACK:
		sock_done(st, s);
		return true;
	default:
		return false;
	}
}

/* Linux's tcp_may_update_window: a newer segment, or a newer ACK, or the
 * same with a larger window. */
static bool update_window(struct sk_sock *s, const struct tcp_seg *seg)
{
	uint32_t nwin = (uint32_t)seg->wnd << s->snd_wscale;
	if (seq_gt(seg->ack, s->snd_una) || seq_gt(seg->seq, s->snd_wl1) ||
	    (seg->seq == s->snd_wl1 && (nwin > s->snd_wnd || !nwin))) {
		s->snd_wnd = nwin;
		if (nwin > s->snd_wnd_max)
			s->snd_wnd_max = nwin;
		s->snd_wl1 = seg->seq;
		s->snd_wl2 = seg->ack;
		return true; /* Linux FLAG_WIN_UPDATE: not a duplicate ACK */
	}
	return false;
}

/* Congestion window growth on new ACKs: slow start, then congestion
 * avoidance (RFC 5681 §3.1), counted in segments as Linux does. */
static void cwnd_grow(struct sk_sock *s, uint32_t acked_bytes)
{
	uint32_t segs = (acked_bytes + s->mss_cache - 1) / s->mss_cache;
	if (s->cwnd < s->ssthresh) {
		s->cwnd += segs;
		return;
	}
	s->cwnd_cnt += segs;
	if (s->cwnd_cnt >= s->cwnd) {
		s->cwnd_cnt -= s->cwnd;
		s->cwnd++;
	}
}

enum ack_result { ACK_OK, ACK_DISCARD, ACK_GONE };

/* ---- NewReno, for connections without SACK (RFC 6582) ---- */

/* Fast retransmit (RFC 5681 §3.2) and NewReno recovery (RFC 6582). */
static void reno_enter_recovery(struct sk_stack *st, struct sk_sock *s)
{
	uint32_t flight = (s->snd_max - s->snd_una) / s->mss_cache;
	s->ssthresh = flight / 2 > 2 ? flight / 2 : 2;
	s->cwnd = s->ssthresh + 3;
	s->snd_recover = s->snd_max;
	s->ca_state = CA_RECOVERY;
	mib_inc(st, SK_MIB_TCPFastRetrans);
	tcp_retransmit_head(st, s);
}

/* A duplicate ACK (RFC 5681 §2): the third starts fast retransmit and
 * NewReno fast recovery (RFC 6582 §3.2); later ones inflate the window by
 * a segment each so new data keeps the ACK clock going. */
static void reno_dupack(struct sk_stack *st, struct sk_sock *s)
{
	s->dupacks++;
	if (s->ca_state == CA_RECOVERY)
		s->cwnd++;
	else if (s->dupacks == 3 && seq_gt(s->snd_una, s->snd_recover - 1))
		reno_enter_recovery(st, s);
}

/* New data acknowledged (RFC 6582 §3.2 steps 3-5): in recovery, a full
 * ACK ends it and deflates the window; a partial ACK means the next
 * segment was lost too: resend it at once. Otherwise the window grows. */
static void reno_ack(struct sk_stack *st, struct sk_sock *s, uint32_t acked)
{
	s->dupacks = 0;
	if (s->ca_state != CA_RECOVERY) {
		cwnd_grow(s, acked);
		return;
	}
	if (seq_ge(s->snd_una, s->snd_recover)) {
		uint32_t flight = (s->snd_max - s->snd_una) / s->mss_cache;
		s->cwnd = s->ssthresh < flight + 1 ? s->ssthresh : flight + 1;
		s->ca_state = CA_OPEN;
		return;
	}
	uint32_t segs = acked / s->mss_cache;
	s->cwnd = s->cwnd > segs ? s->cwnd - segs + 1 : 1;
	tcp_retransmit_head(st, s);
}

/* After an RTO's go-back (tcp_timer.c), the loss episode ends once
 * everything sent before it is acknowledged. */
static void loss_ack(struct sk_sock *s, uint32_t acked)
{
	if (seq_ge(s->snd_una, s->snd_recover))
		s->ca_state = CA_OPEN;
	cwnd_grow(s, acked);
}

/* RTT sample from an ACK of new data: the timed segment (Karn), or the
 * echoed timestamp (RFC 7323 §4.1). */
static void ack_rtt(struct sk_stack *st, struct sk_sock *s, const struct tcp_seg *seg)
{
	bool sampled = false;
	if ((s->flags & SOCKF_RTT_TIMING) && seq_ge(seg->ack, s->rtt_seq)) {
		rtt_sample(st, s, st->now_ns - s->rtt_start_ns);
		s->flags &= ~SOCKF_RTT_TIMING;
		sampled = true;
	} else if (!(s->flags & SOCKF_RTT_TIMING) && (s->flags & SOCKF_TS) &&
		   (seg->opts.has & TCP_HAS_TS) && seg->opts.tsecr) {
		/* Linux tcp_ack_update_rtt: no timed segment (Karn), but the
		 * echoed timestamp says which transmission is being ACKed
		 * (RFC 7323 §4.1): a sample in ms, at least 1 */
		uint32_t d = tcp_now_ts(st, s) - seg->opts.tsecr;
		if ((int32_t)d >= 0) {
			rtt_sample(st, s, (uint64_t)(d ? d : 1) * SK_NS_PER_MS);
			sampled = true;
		}
	}
	if (sampled)
		s->backoff = 0; /* Linux: backoff is reset only by a valid RTT sample */
}

/* An ACK below snd_una (RFC 9293 §3.10.7.4 ignores it): Linux still takes
 * its SACK blocks and may retransmit or send (tcp_ack's old_ack). */
static void old_ack(struct sk_stack *st, struct sk_sock *s, const struct tcp_seg *seg)
{
	if (!(s->flags & SOCKF_SACK) || !(seg->opts.has & TCP_HAS_SACK) || !s->rq)
		return;
	struct ack_info ai = { .prior_snd_una = s->snd_una, .reord = s->snd_nxt };
	ai.prior_fack = s->rq->sacked_out ? s->rq->fack : s->snd_una;
	tcp_sacktag(st, s, seg, &ai);
	ai.delivered = 0; /* no window change on an old ACK */
	tcp_sack_recovery(st, s, &ai);
}

/* The ACK field (RFC 9293 §3.10.7.4, fifth check). */
static enum ack_result ack_input(struct sk_stack *st, struct sk_sock *s, const struct tcp_seg *seg)
{
	if (seq_gt(seg->ack, s->snd_max))
		return ACK_DISCARD; /* acks what we never sent: dropped, as Linux does */
	if (seq_lt(seg->ack, s->snd_una)) {
		old_ack(st, s, seg);
		return ACK_OK; /* an old duplicate ACK: its data may still be new */
	}
	bool sack = (s->flags & SOCKF_SACK) != 0;
	struct ack_info ai = { .prior_snd_una = s->snd_una, .reord = s->snd_nxt };
	ai.prior_fack = s->rq && s->rq->sacked_out ? s->rq->fack : s->snd_una;
	if (update_window(s, seg))
		ai.flag |= ACKF_WIN_UPDATE;
	if (seg->data_len)
		ai.flag |= ACKF_DATA;
	s->probes = 0; /* the peer is alive (Linux tcp_ack) */
	s->err_soft = 0;
	if ((s->flags & SOCKF_PERSIST) && s->snd_wnd) {
		/* the window opened: stop probing (Linux tcp_ack_probe) */
		s->flags &= ~SOCKF_PERSIST;
		s->rtx_at_ns = 0;
		s->backoff = 0;
	} else if (s->flags & SOCKF_PERSIST) {
		/* still closed: the next probe counts from this ACK (Linux
		 * tcp_ack_probe re-arms ICSK_TIME_PROBE0 from now) */
		s->rtx_at_ns = st->now_ns + tcp_probe0_ns(st, s);
		sock_rearm(st, s);
	}
	tcp_sacktag(st, s, seg, &ai);
	uint32_t acked = seg->ack - s->snd_una;
	if (acked == 0) {
		if (sack)
			tcp_sack_recovery(st, s, &ai);
		else if (!seg->data_len && !(seg->flags & (TCP_SYN | TCP_FIN)) && !(ai.flag & ACKF_WIN_UPDATE) &&
			 s->snd_una != s->snd_max)
			reno_dupack(st, s);
		tcp_output(st, s); /* the window may have opened */
		return ACK_OK;
	}
	ai.flag |= ACKF_UNA_ADVANCED;
	uint32_t fin_seq = s->snd_una + s->snd.len;
	bool fin = (s->flags & SOCKF_SHUT_WR) && s->snd_max == fin_seq + 1 && seg->ack == fin_seq + 1;
	ring_drop(st, &s->snd, acked - fin);
	tcp_marks_acked(st, s);
	s->snd_una = seg->ack;
	if (seq_lt(s->snd_nxt, s->snd_una))
		s->snd_nxt = s->snd_una;
	tcp_rq_clean(st, s, &ai);
	ack_rtt(st, s, seg);
	s->retransmits = 0;
	s->flags &= ~SOCKF_RTX_STAMP;
	if (s->ca_state == CA_LOSS) {
		loss_ack(s, acked);
	} else if (!sack) {
		reno_ack(st, s, acked);
	} else {
		tcp_sack_recovery(st, s, &ai);
		if (s->ca_state != CA_RECOVERY)
			cwnd_grow(s, acked); /* Linux tcp_cong_control: PRR, or growth */
	}
	if (!(ai.flag & ACKF_REO_ARMED) || s->snd_una == s->snd_max)
		s->rtx_at_ns = s->snd_una == s->snd_max ? 0 : st->now_ns + (uint64_t)s->rto_ms * SK_NS_PER_MS;
	if (s->tlp_high_seq && seq_ge(s->snd_una, s->tlp_high_seq))
		s->tlp_high_seq = 0; /* the probed tail is acknowledged */
	if (!(ai.flag & ACKF_REO_ARMED))
		tcp_schedule_loss_probe(st, s, true); /* tcp_set_xmit_timer */
	sock_rearm(st, s);
	sock_wake(st, s);
	if (fin && fin_acked(st, s))
		return ACK_GONE;
	return ACK_OK;
}

/* ---- ECN (RFC 3168 §6.1, Linux tcp_ecn_*) ---- */

/* A CE mark on data makes us echo ECE until the sender's CWR (and ACK at
 * once, as Linux enters quick-ACK mode); an ECE on an ACK halves the
 * window, once per window of data, and the next new segment says CWR. */
void tcp_ecn_input(struct sk_stack *st, struct sk_sock *s, const struct ip4_hdr *ip,
		   const struct tcp_seg *seg)
{
	if (!(s->ecn_flags & ECN_OK))
		return;
	if (seg->flags & TCP_CWR)
		s->ecn_flags &= ~ECN_DEMAND_CWR;
	if ((ip->tos & 3) == 3 && seg->data_len && !(s->ecn_flags & ECN_DEMAND_CWR)) {
		s->ecn_flags |= ECN_DEMAND_CWR;
		s->flags |= SOCKF_ACK_NOW;
	}
	if ((seg->flags & (TCP_ECE | TCP_SYN)) == TCP_ECE && s->ca_state == CA_OPEN &&
	    seq_ge(s->snd_una, s->snd_recover) && s->snd_una != s->snd_max) {
		s->ssthresh = s->cwnd / 2 > 2 ? s->cwnd / 2 : 2;
		s->cwnd = s->ssthresh;
		s->snd_recover = s->snd_max; /* not again for this window */
		s->ecn_flags |= ECN_QUEUE_CWR;
	}
	(void)st;
}

/* ---- data and FIN (RFC 9293 §3.10.7.4, seventh and eighth checks) ---- */

static void ofo_insert(struct sk_stack *st, struct sk_sock *s, uint32_t seq, const uint8_t *p,
		       uint32_t n, bool fin)
{
	struct ofo_seg **pp = &s->ofo;
	while (*pp && seq_lt((*pp)->seq, seq))
		pp = &(*pp)->next;
	if (*pp && (*pp)->seq == seq && (*pp)->len >= n && (*pp)->fin >= fin) {
		mib_inc(st, SK_MIB_TCPOFOQueue); /* Linux counts before merging */
		return; /* D1: a duplicate */
	}
	if (s->ofo_bytes + n > (uint32_t)tcp_rcvbuf_limit(st, s)) {
		mib_inc(st, SK_MIB_TCPOFODrop);
		return;
	}
	struct ofo_seg *o = sk_alloc(st, sizeof(*o) + n);
	if (!o) {
		mib_inc(st, SK_MIB_TCPOFODrop);
		return;
	}
	o->seq = seq;
	o->len = n;
	o->fin = fin;
	memcpy(o->data, p, n);
	o->next = *pp;
	*pp = o;
	s->ofo_bytes += n;
	/* RFC 2018 §4: the block holding the latest arrival is reported first */
	memmove(&s->sack_recent[1], &s->sack_recent[0], 3 * sizeof(s->sack_recent[0]));
	s->sack_recent[0] = seq;
	mib_inc(st, SK_MIB_TCPOFOQueue);
}

/* Appends in-order bytes; returns how many the buffer took. */
static uint32_t rcv_append(struct sk_stack *st, struct sk_sock *s, const uint8_t *p, uint32_t n)
{
	int took = ring_write(st, &s->rcv, p, n, (uint32_t)tcp_rcvbuf_limit(st, s));
	if (took < (int)n)
		mib_inc(st, SK_MIB_TCPRcvQDrop);
	return took > 0 ? (uint32_t)took : 0;
}

/* Moves out-of-order segments that now fit onto the receive buffer.
 * Returns true when a FIN was reached. */
static bool ofo_drain(struct sk_stack *st, struct sk_sock *s)
{
	bool fin = false;
	while (s->ofo && seq_le(s->ofo->seq, s->rcv_nxt)) {
		struct ofo_seg *o = s->ofo;
		uint32_t skip = s->rcv_nxt - o->seq;
		if (skip < o->len)
			s->rcv_nxt += rcv_append(st, s, o->data + skip, o->len - skip);
		if (o->fin && o->seq + o->len == s->rcv_nxt)
			fin = true;
		s->ofo = o->next;
		s->ofo_bytes -= o->len;
		sk_free(st, o, sizeof(*o) + o->len);
		if (fin)
			break;
	}
	return fin;
}

/* ---- Linux's delayed-ACK engine (tcp_input.c, tcp_output.c) ---- */

static uint64_t delack_min_ns(const struct sk_stack *st)
{
	return (uint64_t)st->cfg.knobs.tcp_delack_min_ms * SK_NS_PER_MS;
}

/* tcp_incr_quickack: min(rcv_wnd / (2 * rcv_mss), 16) quick ACKs, at least 2. */
static void incr_quickack(struct sk_sock *s)
{
	uint32_t q = s->rcv_wnd / (2u * s->rcv_mss);
	if (q == 0)
		q = 2;
	if (q > 16)
		q = 16;
	if (q > s->quickacks)
		s->quickacks = (uint8_t)q;
}

/* tcp_enter_quickack_mode */
static void enter_quickack_mode(struct sk_stack *st, struct sk_sock *s)
{
	incr_quickack(s);
	s->flags &= ~SOCKF_PINGPONG;
	s->ato_ns = delack_min_ns(st);
}

/* tcp_measure_rcv_mss: the peer's segment size, and whether it pushed. */
static void measure_rcv_mss(struct sk_sock *s, const struct tcp_seg *seg)
{
	uint32_t len = seg->data_len, lss = s->last_seg_size;
	s->last_seg_size = 0;
	if (len >= s->rcv_mss) {
		s->rcv_mss = (uint16_t)(len < s->adv_mss ? len : s->adv_mss);
		if (seg->flags & TCP_PSH)
			s->ack_pending |= ACKP_PUSHED;
		return;
	}
	uint32_t l = len + seg->hdr_len;
	if (l >= 536 + 20 ||
	    (l >= 88 + 20 && !(seg->flags & (TCP_FIN | TCP_URG | TCP_SYN | TCP_PSH)))) {
		l -= 20 + ((s->flags & SOCKF_TS) ? 12 : 0);
		s->last_seg_size = (uint16_t)l;
		if (l == lss) {
			s->rcv_mss = (uint16_t)l;
			return;
		}
	}
	if (s->ack_pending & ACKP_PUSHED)
		s->ack_pending |= ACKP_PUSHED2;
	s->ack_pending |= ACKP_PUSHED;
}

/* tcp_event_data_recv: in-order data arrived. The first data starts
 * quick-ACK mode; the delayed-ACK timeout follows the arrival gaps; a gap
 * longer than the RTO restarts quick-ACK mode. */
static void event_data_recv(struct sk_stack *st, struct sk_sock *s, const struct tcp_seg *seg)
{
	s->ack_pending |= ACKP_SCHED;
	measure_rcv_mss(s, seg);
	uint64_t now = st->now_ns, amin = delack_min_ns(st);
	uint64_t rto = (uint64_t)s->rto_ms * SK_NS_PER_MS;
	if (!s->ato_ns) {
		incr_quickack(s);
		s->ato_ns = amin;
	} else {
		uint64_t m = now - s->ack_lrcv_ns;
		if (m <= amin / 2) {
			s->ato_ns = s->ato_ns / 2 + amin / 2;
		} else if (m < s->ato_ns) {
			s->ato_ns = s->ato_ns / 2 + m;
			if (s->ato_ns > rto)
				s->ato_ns = rto;
		} else if (m > rto) {
			incr_quickack(s);
		}
	}
	s->ack_lrcv_ns = now;
}

/* tcp_send_delayed_ack: arm the timer for ato, bounded by max(SRTT, 40 ms)
 * and 200 ms (500 ms for a bulk receiver); an ACK already due within
 * ato/4 goes now. */
static void send_delayed_ack(struct sk_stack *st, struct sk_sock *s)
{
	uint64_t ato = s->ato_ns, amin = delack_min_ns(st);
	uint64_t amax = (uint64_t)st->cfg.knobs.tcp_delack_max_ms * SK_NS_PER_MS;
	if (ato > amin) {
		uint64_t max_ato = (s->flags & SOCKF_PINGPONG) || (s->ack_pending & ACKP_PUSHED)
					   ? amax : SK_NS_PER_S / 2;
		if (s->srtt8_us) {
			uint64_t rtt = (uint64_t)(s->srtt8_us >> 3) * 1000;
			if (rtt < amin)
				rtt = amin;
			if (rtt < max_ato)
				max_ato = rtt;
		}
		if (ato > max_ato)
			ato = max_ato;
	}
	if (ato > amax)
		ato = amax;
	if (ato == 0) /* nothing received yet (a bare FIN): Linux's timer
		       * fires at the next tick, one jiffy (HZ=1000) */
		ato = SK_NS_PER_MS;
	uint64_t timeout = st->now_ns + ato;
	if (s->delack_at_ns) {
		if (s->delack_at_ns <= st->now_ns + ato / 4) {
			s->flags |= SOCKF_ACK_NOW;
			return;
		}
		if (timeout > s->delack_at_ns)
			timeout = s->delack_at_ns;
	}
	s->delack_at_ns = timeout;
	sock_rearm(st, s);
}

/* __tcp_ack_snd_check: ACK at once after more than one full segment, in
 * quick-ACK mode, or with a hole; else delay. (Linux also asks that the
 * window's right edge would advance; not modelled.) */
static void ack_snd_check(struct sk_stack *st, struct sk_sock *s)
{
	if (!(s->ack_pending & ACKP_SCHED) || (s->flags & SOCKF_ACK_NOW))
		return;
	bool quick = s->quickacks && !(s->flags & SOCKF_PINGPONG);
	if (s->rcv_nxt - s->rcv_wup > s->rcv_mss || quick || s->ofo)
		s->flags |= SOCKF_ACK_NOW;
	else
		send_delayed_ack(st, s);
}

/* Linux's tcp_cleanup_rbuf: the application has read `copied` bytes.
 * One ACK goes out if one is still owed for two segments or, once the
 * queue is empty, for data the peer pushed; or if the freed space at
 * least doubles the window, so a sender stalled on it goes on. */
void tcp_cleanup_rbuf(struct sk_stack *st, struct sk_sock *s, uint32_t copied)
{
	bool ack = (s->ack_pending & ACKP_SCHED) &&
		   (s->rcv_nxt - s->rcv_wup > s->rcv_mss ||
		    (copied > 0 &&
		     ((s->ack_pending & ACKP_PUSHED2) ||
		      ((s->ack_pending & ACKP_PUSHED) && !(s->flags & SOCKF_PINGPONG))) &&
		     s->rcv.len == 0 && s->ofo_bytes == 0));
	if (!ack && copied > 0 &&
	    (TCPF(s->state) & (TCPF(SK_TCP_ESTABLISHED) | TCPF(SK_TCP_FIN_WAIT1) | TCPF(SK_TCP_FIN_WAIT2)))) {
		uint32_t now_wnd = seq_gt(s->rcv_wup + s->rcv_wnd, s->rcv_nxt) ? s->rcv_wup + s->rcv_wnd - s->rcv_nxt : 0;
		uint32_t free_space = (uint32_t)(tcp_rcvbuf_limit(st, s) - (int)(s->rcv.len + s->ofo_bytes)) / 2;
		if (free_space > s->rcv_ssthresh)
			free_space = s->rcv_ssthresh;
		ack = free_space >= 2 * now_wnd && free_space >= s->rcv_mss;
	}
	if (ack)
		tcp_send_ack(st, s);
}

/* The peer's FIN was reached in sequence: RFC 9293 §3.10.7.4, eighth
 * check. Returns true when `s` is gone. */
static bool fin_input(struct sk_stack *st, struct sk_sock *s)
{
	s->rcv_nxt++;
	s->flags |= SOCKF_FIN_RCVD;
	s->ack_pending |= ACKP_SCHED; /* Linux tcp_fin: inet_csk_schedule_ack */
	sock_wake(st, s);
	switch (s->state) {
	case SK_TCP_SYN_RECV:
	case SK_TCP_ESTABLISHED:
		sock_set_state(st, s, SK_TCP_CLOSE_WAIT);
		/* Linux tcp_fin: ping-pong mode; the ACK waits for the
		 * delayed-ACK timer or rides on our FIN (C3) */
		s->flags |= SOCKF_PINGPONG;
		return false;
	case SK_TCP_FIN_WAIT1:
		sock_set_state(st, s, SK_TCP_CLOSING);
		s->flags |= SOCKF_ACK_NOW; /* simultaneous close: ACK at once (C4) */
		return false;
	case SK_TCP_FIN_WAIT2:
		tcp_send_ack(st, s);
		tcp_time_wait(st, s);
		return true;
	default:
		s->flags |= SOCKF_ACK_NOW; /* a repeated FIN */
		return false;
	}
}

/* RFC 2883: report data received twice in a D-SACK block on the next
 * ACK, when SACK is in use (Linux tcp_dsack_set). */
static void dsack_set(struct sk_sock *s, uint32_t left, uint32_t right)
{
	if (!(s->flags & SOCKF_SACK) || left == right)
		return;
	s->dsack.left = left;
	s->dsack.right = right;
	s->flags |= SOCKF_DSACK;
}

/* Data and FIN of an acceptable segment. Returns true when `s` is gone. */
static bool data_input(struct sk_stack *st, struct sk_sock *s, const struct ip4_hdr *ip,
		       const struct tcp_seg *seg)
{
	bool fin = (seg->flags & TCP_FIN) != 0;
	if (!seg->data_len && !fin)
		return false;
	if (!(TCPF(s->state) & (TCPF(SK_TCP_ESTABLISHED) | TCPF(SK_TCP_FIN_WAIT1) |
				TCPF(SK_TCP_FIN_WAIT2)))) {
		s->flags |= SOCKF_ACK_NOW; /* after their FIN: a retransmission */
		dsack_set(s, seg->seq, seg->seq + seg->data_len + fin);
		return false;
	}
	uint32_t seq = seg->seq, n = seg->data_len;
	const uint8_t *p = seg->data;
	if ((s->flags & SOCKF_SHUT_RD) && s->state != SK_TCP_ESTABLISHED && n &&
	    seq_gt(seq + n, s->rcv_nxt)) {
		/* RFC 1122 §4.2.2.13 via Linux: new data for a socket that will
		 * never read it again is answered with a reset. */
		/* An orphan in FIN_WAIT_2 is a time-wait socket in Linux when its
		 * fin timeout is at most 60 s; that path does not count it. */
		if (!((s->flags & SOCKF_ORPHAN) && s->state == SK_TCP_FIN_WAIT2 &&
		      tcp_fin_timeout_ns(st, s) <= 60 * SK_NS_PER_S))
			mib_inc(st, SK_MIB_TCPAbortOnData);
		tcp_reset_reply(st, ip, seg); /* Linux: tcp_v4_send_reset answers the segment */
		tcp_abort(st, s, ECONNRESET);
		return true;
	}
	if (seq_lt(seq, s->rcv_nxt)) { /* trim what we already have (D1) */
		uint32_t dup = s->rcv_nxt - seq;
		bool fin_is_new = fin && dup == n;
		if (dup >= n && !fin_is_new) {
			/* all old: our ACK was lost, likely (Linux: quick-ACK mode) */
			enter_quickack_mode(st, s);
			s->flags |= SOCKF_ACK_NOW;
			dsack_set(s, seq, seq + n);
			return false;
		}
		dsack_set(s, seq, s->rcv_nxt); /* the part we had */
		seq += dup;
		p += dup;
		n -= dup;
	}
	uint32_t right = s->rcv_wup + s->rcv_wnd;
	if (seq_gt(seq + n, right)) { /* beyond the window we offered */
		n = seq_gt(right, seq) ? right - seq : 0;
		fin = false;
		s->flags |= SOCKF_ACK_NOW;
	}
	if (seq != s->rcv_nxt) {
		ofo_insert(st, s, seq, p, n, fin);
		s->flags |= SOCKF_ACK_NOW; /* RFC 5681 §4.2: a hole is ACKed at once */
		return false;
	}
	uint32_t took = rcv_append(st, s, p, n);
	s->rcv_nxt += took;
	if (took < n)
		fin = false;
	if (n)
		event_data_recv(st, s, seg);
	if (s->ofo) {
		if (ofo_drain(st, s))
			fin = true;
		if (!s->ofo)
			s->flags |= SOCKF_ACK_NOW; /* RFC 5681 §4.2: the hole is filled */
	}
	if (took)
		sock_wake(st, s);
	if (fin && fin_input(st, s))
		return true;
	ack_snd_check(st, s);
	return false;
}

/* A SYN on a connection. In SYN_RECV a SYN-ACK for our SYN completes a
 * simultaneous open (Linux lets it pass as the ACK) and a repeat of their
 * SYN means our SYN-ACK was lost; anything else gets a challenge ACK (RFC
 * 5961 §4.2). Returns true when the segment goes on as an ACK. */
/* RFC 5961 §4.2 (Linux's syn_challenge): a SYN on a synchronized
 * connection, in the window or not, earns a challenge ACK; Linux counts
 * it as an input error once established. */
static void syn_challenge(struct sk_stack *st, struct sk_sock *s, const struct tcp_seg *seg)
{
	if (s->state == SK_TCP_ESTABLISHED)
		mib_inc(st, SK_MIB_InErrs);
	mib_inc(st, SK_MIB_TCPSYNChallenge);
	challenge_ack(st, s, seg);
}

static bool synrecv_syn_ok(struct sk_stack *st, struct sk_sock *s, const struct ip4_hdr *ip,
			   const struct tcp_seg *seg)
{
	if (s->state == SK_TCP_SYN_RECV && seg->seq == s->irs) {
		if ((seg->flags & TCP_ACK) && seg->ack == s->snd_nxt)
			return true;
		if (!(seg->flags & TCP_ACK)) {
			/* their SYN again (Linux tcp_check_req): the SYN-ACK again,
			 * rate-limited, and its timer starts over */
			if (!tcp_oow_rate_limited(st, s, seg)) {
				tcp_send_synack(st, s);
				s->rtx_at_ns = st->now_ns + (uint64_t)s->rto_ms * SK_NS_PER_MS;
				sock_rearm(st, s);
			}
			return false;
		}
	}
	if (s->state == SK_TCP_SYN_RECV && s->parent) {
		/* another SYN in a request's window: Linux resets and drops it */
		tcp_reset_reply(st, ip, seg);
		tcp_child_unlink(s);
		sock_done(st, s);
		return false;
	}
	syn_challenge(st, s, seg);
	return false;
}

void tcp_conn_input(struct sk_stack *st, struct sk_sock *s, const struct ip4_hdr *ip,
		       const struct tcp_seg *seg)
{
	if (s->state == SK_TCP_SYN_SENT) {
		s->lrcvtime_ns = st->now_ns;
		synsent_input(st, s, ip, seg);
		return;
	}
	if (!seq_acceptable(s, seg)) {
		mib_inc(st, SK_MIB_SynackTcpBadSeq);
		if (seg->flags & TCP_RST) {
			if (rst_after_fin(s, seg)) /* RCV.NXT - 1 is left of the window */
				rst_input(st, s, seg);
			return;
		}
		if (seg->flags & TCP_SYN)
			syn_challenge(st, s, seg);
		else
			send_dupack(st, s, seg);
		return;
	}
	if (seg->flags & TCP_RST) {
		rst_input(st, s, seg);
		return;
	}
	s->lrcvtime_ns = st->now_ns; /* a sign of life: restarts keepalive's idle time */
	if ((seg->flags & TCP_SYN) && !synrecv_syn_ok(st, s, ip, seg))
		return;
	/* H9/H10: a SYN-ACK completing a simultaneous open; once ESTABLISHED
	 * its SYN is an old duplicate that Linux ACKs at once with a D-SACK. */
	bool dup_syn = (seg->flags & TCP_SYN) != 0;
	if (!(seg->flags & TCP_ACK))
		return;
	if (s->state == SK_TCP_SYN_RECV && !synrecv_ack(st, s, ip, seg))
		return;
	update_ts_recent(s, seg);
	tcp_ecn_input(st, s, ip, seg);
	enum ack_result ack = ack_input(st, s, seg);
	if (ack == ACK_GONE || (ack == ACK_OK && data_input(st, s, ip, seg)))
		return;
	if (dup_syn) {
		s->flags |= SOCKF_ACK_NOW;
		if (s->flags & SOCKF_SACK) {
			s->dsack.left = seg->seq;
			s->dsack.right = seg->seq + 1;
			s->flags |= SOCKF_DSACK;
		}
	}
	tcp_output(st, s);
	if (s->flags & SOCKF_ACK_NOW)
		tcp_send_ack(st, s);
}

void tcp_input(struct sk_stack *st, const struct ip4_hdr *ip, const uint8_t *p, size_t len)
{
	struct tcp_seg seg;
	mib_inc(st, SK_MIB_InSegs);
	enum wire_err e = tcp_parse(p, len, ip->src, ip->dst, &seg);
	if (e != WIRE_OK) {
		if (e == WIRE_BAD_CSUM)
			mib_inc(st, SK_MIB_InCsumErrors);
		stack_event_drop(st, SK_MIB_InErrs, ip->src, 0, 0);
		return;
	}
	struct hnode *n = ehash_lookup(st, ip->dst, seg.dport, ip->src, seg.sport);
	if (n && n->state == SK_TCP_TIME_WAIT) {
		tcp_timewait_input(st, (struct tw_sock *)n, ip, &seg);
		return;
	}
	if (n && (((struct sk_sock *)n)->flags & SOCKF_LISTENER_GONE)) {
		tcp_child_drop(st, (struct sk_sock *)n); /* Linux: drop, look up again */
		n = NULL;
	}
	if (n) {
		tcp_conn_input(st, (struct sk_sock *)n, ip, &seg);
		return;
	}
	struct sk_sock *l = lhash_lookup(st, seg.dport);
	if (l) {
		tcp_listen_input(st, l, ip, &seg, 0);
		return;
	}
	if (!(seg.flags & TCP_RST))
		stack_event_drop(st, SK_MIB_SynackNoSocketDrop, ip->src, seg.sport, seg.dport);
	tcp_reset_reply(st, ip, &seg); /* R1, H12 */
}
