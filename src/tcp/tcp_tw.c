/* TIME-WAIT: the compact records that hold a closed connection's 4-tuple
 * for 2MSL (RFC 9293 §3.10.7.4 TIME-WAIT; Linux's timewait sockets).
 *
 * Records live in chunks of TW_CHUNK and link into one FIFO by 32-bit
 * index, which keeps a record at 64 bytes. All records live 60 s from
 * their last restart and restarts go to the back, so the FIFO is in
 * expiry order and one wheel timer, for its head, serves them all. A
 * record's own index is never stored: it is its predecessor's `tw_next`
 * (or the head). */
#include "core.h"

#define TCP_TIMEWAIT_LEN_NS (60 * SK_NS_PER_S)

struct tw_sock *tw_at(const struct sk_stack *st, uint32_t idx)
{
	return &st->tw_chunks[idx / TW_CHUNK][idx % TW_CHUNK];
}

static uint32_t tw_index(const struct sk_stack *st, const struct tw_sock *tw)
{
	return tw->tw_prev == TW_NONE ? st->tw_head : tw_at(st, tw->tw_prev)->tw_next;
}

/* A free record's index, growing the storage by a chunk when none is
 * free; TW_NONE when memory runs out. */
static uint32_t tw_alloc(struct sk_stack *st)
{
	if (st->tw_free == TW_NONE) {
		uint32_t n = st->tw_nchunks;
		struct tw_sock **chunks = sk_alloc(st, (n + 1) * sizeof(*chunks));
		struct tw_sock *chunk = sk_alloc(st, TW_CHUNK * sizeof(*chunk));
		if (!chunks || !chunk) {
			sk_free(st, chunks, (n + 1) * sizeof(*chunks));
			sk_free(st, chunk, TW_CHUNK * sizeof(*chunk));
			return TW_NONE;
		}
		if (n)
			memcpy(chunks, st->tw_chunks, n * sizeof(*chunks));
		sk_free(st, st->tw_chunks, n * sizeof(*chunks));
		chunks[n] = chunk;
		st->tw_chunks = chunks;
		st->tw_nchunks = n + 1;
		for (uint32_t i = TW_CHUNK; i-- > 0;) { /* lowest index first */
			chunk[i].tw_next = st->tw_free;
			st->tw_free = n * TW_CHUNK + i;
		}
	}
	uint32_t idx = st->tw_free;
	st->tw_free = tw_at(st, idx)->tw_next;
	return idx;
}

void tcp_tw_storage_free(struct sk_stack *st)
{
	for (uint32_t i = 0; i < st->tw_nchunks; i++)
		sk_free(st, st->tw_chunks[i], TW_CHUNK * sizeof(struct tw_sock));
	sk_free(st, st->tw_chunks, st->tw_nchunks * sizeof(*st->tw_chunks));
	st->tw_chunks = NULL;
	st->tw_nchunks = 0;
}

static void tw_arm(struct sk_stack *st)
{
	if (st->tw_head != TW_NONE)
		stack_timer_set(st, &st->tw_timer, tw_at(st, st->tw_head)->expire_ns);
	else
		wheel_cancel(&st->wheel, &st->tw_timer);
}

static void tw_append(struct sk_stack *st, uint32_t idx)
{
	struct tw_sock *tw = tw_at(st, idx);
	tw->tw_next = TW_NONE;
	tw->tw_prev = st->tw_tail;
	if (st->tw_tail != TW_NONE)
		tw_at(st, st->tw_tail)->tw_next = idx;
	else
		st->tw_head = idx;
	st->tw_tail = idx;
	st->tw_count++;
	tw_arm(st);
}

/* Takes a record out of the FIFO; returns its index. */
static uint32_t tw_unlink(struct sk_stack *st, struct tw_sock *tw)
{
	uint32_t idx = tw_index(st, tw);
	if (tw->tw_prev != TW_NONE)
		tw_at(st, tw->tw_prev)->tw_next = tw->tw_next;
	else
		st->tw_head = tw->tw_next;
	if (tw->tw_next != TW_NONE)
		tw_at(st, tw->tw_next)->tw_prev = tw->tw_prev;
	else
		st->tw_tail = tw->tw_prev;
	st->tw_count--;
	return idx;
}

/* Enters TIME-WAIT (RFC 9293 §3.10.7.4) for 2MSL, Linux's 60 s: the
 * connection gives way to a compact record (struct tw_sock) holding its
 * 4-tuple and port. A socket the application still holds becomes CLOSED
 * for it; an orphan is freed. */
void tcp_time_wait(struct sk_stack *st, struct sk_sock *s)
{
	sock_set_state(st, s, SK_TCP_TIME_WAIT);
	uint32_t idx = tw_alloc(st);
	struct tw_sock *tw = idx == TW_NONE ? NULL : tw_at(st, idx);
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
	tcp_rq_free(st, s);
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
	tw_append(st, idx);
}

/* Frees a record silently. */
void tcp_tw_kill(struct sk_stack *st, struct tw_sock *tw)
{
	uint32_t idx = tw_unlink(st, tw);
	ehash_remove(st, (struct hnode *)tw);
	port_tw_release(st, tw->lport, tw->tw_flags);
	tw->tw_next = st->tw_free;
	st->tw_free = idx;
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
	while (st->tw_head != TW_NONE && tw_at(st, st->tw_head)->expire_ns <= st->now_ns) {
		mib_inc(st, SK_MIB_TW);
		tw_done(st, tw_at(st, st->tw_head));
	}
	tw_arm(st);
}

/* Restarts 2MSL: the record moves to the back of the FIFO. */
static void tw_restart(struct sk_stack *st, struct tw_sock *tw)
{
	uint32_t idx = tw_unlink(st, tw);
	tw->expire_ns = st->now_ns + TCP_TIMEWAIT_LEN_NS;
	tw_append(st, idx);
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
