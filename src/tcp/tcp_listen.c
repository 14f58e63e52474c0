/* LISTEN (RFC 9293 §3.10.7.2) with Linux's queues and SYN cookies.
 *
 * Linux keeps two queues per listener (BEHAVIOR.md L2): half-open
 * connections (SYN_RECV) and complete ones waiting for accept(). Both are
 * bounded by the listen backlog, min(backlog, somaxconn); tcp_max_syn_backlog
 * matters only with cookies off, when the last quarter of it is kept back.
 * A SYN that finds the SYN queue full is answered with a cookie (RFC 4987
 * §3.6) when tcp_syncookies allows, so the listener keeps no state for it. */
#include "core.h"

/* ---- queues ---- */

static void syn_queue_add(struct sk_sock *l, struct sk_sock *c)
{
	struct listen_q *q = l->lq;
	c->qnext = q->syn_head;
	if (q->syn_head)
		q->syn_head->qpprev = &c->qnext;
	c->qpprev = &q->syn_head;
	q->syn_head = c;
	q->syn_count++;
	c->parent = l;
}

/* Takes a child off whichever listener queue holds it. */
void tcp_child_unlink(struct sk_sock *c)
{
	struct listen_q *q = c->parent->lq;
	*c->qpprev = c->qnext;
	if (c->qnext)
		c->qnext->qpprev = c->qpprev;
	else if (c->state != SK_TCP_SYN_RECV && q->acc_tail == c)
		q->acc_tail = c->qpprev == &q->acc_head ? NULL :
			      (struct sk_sock *)((char *)c->qpprev - offsetof(struct sk_sock, qnext));
	if (c->state == SK_TCP_SYN_RECV)
		q->syn_count--;
	else
		q->acc_count--;
	c->qnext = NULL;
	c->qpprev = NULL;
	c->parent = NULL;
}

/* A request dropped without a word or a counter (Linux
 * inet_csk_reqsk_queue_drop): CLOSED for the observer, then freed. */
void tcp_child_drop(struct sk_stack *st, struct sk_sock *c)
{
	if (c->parent)
		tcp_child_unlink(c);
	int old = c->state;
	c->state = SK_TCP_CLOSE;
	stack_event_state(st, c, old);
	sock_destroy(st, c);
}

void tcp_accept_queue_add(struct sk_sock *l, struct sk_sock *c)
{
	struct listen_q *q = l->lq;
	c->qnext = NULL;
	c->qpprev = q->acc_tail ? &q->acc_tail->qnext : &q->acc_head;
	*c->qpprev = c;
	q->acc_tail = c;
	q->acc_count++;
	c->parent = l;
}

/* ---- SYN cookies, laid out as Linux's net/ipv4/syncookies.c ---- */

#define COOKIEBITS 24
#define COOKIEMASK ((1u << COOKIEBITS) - 1)
#define MAX_SYNCOOKIE_AGE 2                     /* minutes */
#define SYNCOOKIE_VALID_NS (120 * SK_NS_PER_S) /* cookies accepted this long after an overflow */
#define TSBITS 6
#define TS_OPT_WSCALE_MASK 0xf
#define TS_OPT_SACK (1u << 4)

/* The MSS values a cookie can carry (msstab): 2 bits. */
static const uint16_t cookie_mss[] = { 536, 1300, 1440, 1460 };

static uint32_t cookie_hash(const struct sk_stack *st, const struct ip4_hdr *ip,
			    const struct tcp_seg *seg, uint32_t count, uint32_t c)
{
	uint32_t in[5] = { ip->src, ip->dst, (uint32_t)seg->sport << 16 | seg->dport, count, c };
	uint64_t key[2] = { st->isn_key[0] ^ 0x636f6f6b6965ull, st->isn_key[1] };
	return (uint32_t)siphash24(key, in, sizeof(in));
}

/* A clock ticking once a minute, as Linux's tcp_cookie_time. */
static uint32_t cookie_minute(const struct sk_stack *st)
{
	return (uint32_t)(st->now_ns / (60 * SK_NS_PER_S));
}

/* The ISN of a cookie SYN-ACK: a keyed hash, the client's ISN, the minute
 * and the MSS index (Linux secure_tcp_syn_cookie). */
static uint32_t cookie_make(const struct sk_stack *st, const struct ip4_hdr *ip,
			    const struct tcp_seg *syn, uint32_t mssind)
{
	uint32_t count = cookie_minute(st);
	return cookie_hash(st, ip, syn, 0, 0) + syn->seq + (count << COOKIEBITS) +
	       ((cookie_hash(st, ip, syn, count, 1) + mssind) & COOKIEMASK);
}

/* The MSS index a returning ACK's cookie carries, or -1 when it is not
 * ours or older than two minutes (Linux check_tcp_syn_cookie). */
static int cookie_check(const struct sk_stack *st, const struct ip4_hdr *ip,
			const struct tcp_seg *ack)
{
	uint32_t sseq = ack->seq - 1, cookie = ack->ack - 1;
	uint32_t count = cookie_minute(st);
	cookie -= cookie_hash(st, ip, ack, 0, 0) + sseq;
	uint32_t diff = (count - (cookie >> COOKIEBITS)) & ((uint32_t)-1 >> COOKIEBITS);
	if (diff >= MAX_SYNCOOKIE_AGE)
		return -1;
	uint32_t mssind = (cookie - cookie_hash(st, ip, ack, count - diff, 1)) & COOKIEMASK;
	return mssind < 4 ? (int)mssind : -1;
}

/* ---- children ---- */

/* A connection born of the listener `l`, inheriting its options, with the
 * peer's SYN (or cookie ACK) at `seg`. */
static struct sk_sock *child_new(struct sk_stack *st, struct sk_sock *l, const struct ip4_hdr *ip,
				 const struct tcp_seg *seg, uint32_t iss)
{
	struct sk_sock *c = sock_new(st);
	if (!c)
		return NULL;
	c->laddr = ip->dst;
	c->raddr = ip->src;
	c->rport = seg->sport;
	c->flags |= l->flags & (SOCKF_NODELAY | SOCKF_KEEPALIVE | SOCKF_REUSEADDR | SOCKF_LINGER);
	c->sndbuf = l->sndbuf;
	c->rcvbuf = l->rcvbuf;
	c->user_mss = l->user_mss;
	c->keepidle_s = l->keepidle_s;
	c->keepintvl_s = l->keepintvl_s;
	c->keepcnt = l->keepcnt;
	c->linger_s = l->linger_s;
	c->user_timeout_ms = l->user_timeout_ms;
	port_bind(st, c, l->lport); /* children share the listener's port */
	c->iss = iss;
	c->snd_una = c->snd_nxt = c->snd_max = iss;
	c->snd_recover = iss;
	c->snd_wl2 = iss;
	return c;
}

/* A SYN the listener takes: a half-open child in the SYN queue. */
static void syn_accept(struct sk_stack *st, struct sk_sock *l, const struct ip4_hdr *ip,
		       const struct tcp_seg *seg, uint32_t iss)
{
	struct sk_sock *c = child_new(st, l, ip, seg, iss);
	if (!c) {
		stack_event_drop(st, SK_MIB_ListenDrops, ip->src, seg->sport, seg->dport);
		return;
	}
	c->irs = seg->seq;
	c->rcv_nxt = seg->seq + 1; /* H2: data on a SYN is not taken */
	c->snd_wnd = seg->wnd;     /* never scaled in a SYN (RFC 7323 §2.2) */
	c->snd_wl1 = seg->seq;
	c->state = SK_TCP_SYN_RECV;
	stack_event_state(st, c, SK_TCP_LISTEN);
	tcp_syn_negotiate(st, c, seg);
	/* ECN when the SYN asks (ECE|CWR) and tcp_ecn allows it (1 or 2) */
	if ((seg->flags & (TCP_ECE | TCP_CWR)) == (TCP_ECE | TCP_CWR) && st->cfg.knobs.tcp_ecn)
		c->ecn_flags = ECN_OK;
	tcp_init_rwin(st, c, true);
	ehash_insert(st, &c->hn);
	syn_queue_add(l, c);
	tcp_send_synack(st, c);
}

/* A SYN answered with a cookie: the SYN-ACK goes out from a temporary
 * connection that is never kept. Without timestamps the cookie cannot
 * carry window scaling or SACK, so neither is offered (Linux
 * tcp_conn_request clears the options). */
static void syn_cookie(struct sk_stack *st, struct sk_sock *l, const struct ip4_hdr *ip,
		       const struct tcp_seg *seg)
{
	uint32_t peer_mss = (seg->opts.has & TCP_HAS_MSS) ? seg->opts.mss : 536;
	if (l->user_mss && l->user_mss < peer_mss)
		peer_mss = l->user_mss;
	uint32_t mssind = 3;
	while (mssind && peer_mss < cookie_mss[mssind])
		mssind--;
	struct sk_sock tmp;
	memset(&tmp, 0, sizeof(tmp));
	tcp_init_sock(st, &tmp);
	tmp.fd = -1;
	tmp.laddr = ip->dst;
	tmp.raddr = ip->src;
	tmp.lport = seg->dport;
	tmp.rport = seg->sport;
	tmp.rcvbuf = l->rcvbuf;
	tmp.iss = cookie_make(st, ip, seg, mssind);
	tmp.snd_una = tmp.snd_nxt = tmp.snd_max = tmp.iss;
	tmp.irs = seg->seq;
	tmp.rcv_nxt = seg->seq + 1;
	tmp.state = SK_TCP_SYN_RECV;
	struct tcp_seg syn = *seg;
	if (!(syn.opts.has & TCP_HAS_TS))
		syn.opts.has &= (uint8_t)~(TCP_HAS_WSCALE | TCP_HAS_SACK_PERM);
	tcp_syn_negotiate(st, &tmp, &syn);
	tcp_init_rwin(st, &tmp, true);
	if (tmp.flags & SOCKF_TS) {
		/* RFC 4987 §3.6 / Linux cookie_init_timestamp: the low six bits
		 * of our timestamp carry the peer's window scale and SACK. */
		uint32_t now_ts = tcp_now_ts(st, &tmp) - tmp.ts_offset;
		uint32_t opts = ((tmp.flags & SOCKF_WSCALE) ? tmp.snd_wscale : TS_OPT_WSCALE_MASK) |
				((tmp.flags & SOCKF_SACK) ? TS_OPT_SACK : 0);
		uint32_t ts = (now_ts >> TSBITS << TSBITS) | opts;
		if (ts > now_ts)
			ts -= 1u << TSBITS;
		tmp.ts_offset += ts - now_ts;
	}
	mib_inc(st, SK_MIB_SyncookiesSent);
	l->lq->last_overflow_ns = st->now_ns ? st->now_ns : 1;
	tcp_send_synack_cookie(st, &tmp);
}

/* The third segment of a cookie handshake: rebuild the connection from
 * the ACK alone. Returns the child (ESTABLISHED, in the accept queue) or
 * NULL when the ACK is no valid cookie. */
static struct sk_sock *cookie_child(struct sk_stack *st, struct sk_sock *l,
				    const struct ip4_hdr *ip, const struct tcp_seg *seg)
{
	int mssind = cookie_check(st, ip, seg);
	if (mssind < 0) {
		mib_inc(st, SK_MIB_SyncookiesFailed);
		return NULL;
	}
	struct sk_sock *c = child_new(st, l, ip, seg, seg->ack - 1);
	if (!c)
		return NULL;
	mib_inc(st, SK_MIB_SyncookiesRecv);
	/* What the SYN offered, as far as the cookie remembers it. */
	struct tcp_seg syn = { .opts.has = TCP_HAS_MSS, .opts.mss = cookie_mss[mssind] };
	if (seg->opts.has & TCP_HAS_TS) {
		uint32_t opts = seg->opts.tsecr - tcp_ts_offset(st, ip->dst, ip->src);
		syn.opts.has |= TCP_HAS_TS;
		syn.opts.tsval = seg->opts.tsval;
		if ((opts & TS_OPT_WSCALE_MASK) != TS_OPT_WSCALE_MASK) {
			syn.opts.has |= TCP_HAS_WSCALE;
			syn.opts.wscale = (uint8_t)(opts & TS_OPT_WSCALE_MASK);
		}
		if (opts & TS_OPT_SACK)
			syn.opts.has |= TCP_HAS_SACK_PERM;
	}
	c->irs = seg->seq - 1;
	c->rcv_nxt = seg->seq;
	c->snd_una = c->snd_nxt = c->snd_max = seg->ack;
	c->snd_recover = seg->ack - 1;
	c->snd_wl1 = seg->seq;
	c->snd_wl2 = seg->ack;
	tcp_syn_negotiate(st, c, &syn);
	tcp_init_rwin(st, c, true);
	c->snd_wnd = (uint32_t)seg->wnd << c->snd_wscale;
	c->snd_wnd_max = c->snd_wnd;
	c->state = SK_TCP_SYN_RECV;
	stack_event_state(st, c, SK_TCP_LISTEN);
	ehash_insert(st, &c->hn);
	sock_set_state(st, c, SK_TCP_ESTABLISHED);
	tcp_accept_queue_add(l, c);
	mib_inc(st, SK_MIB_PassiveOpens);
	tcp_established(st, c);
	sock_wake(st, l);
	return c;
}

/* An ACK for the listener: a cookie coming back, or nothing we know. */
static void listen_ack(struct sk_stack *st, struct sk_sock *l, const struct ip4_hdr *ip,
		       const struct tcp_seg *seg)
{
	struct listen_q *q = l->lq;
	bool cookies_live = st->cfg.knobs.tcp_syncookies && q->last_overflow_ns &&
			    st->now_ns - q->last_overflow_ns < SYNCOOKIE_VALID_NS;
	if (cookies_live && !(seg->flags & TCP_SYN)) {
		if (q->acc_count > q->backlog) {
			mib_inc(st, SK_MIB_ListenOverflows);
			stack_event_drop(st, SK_MIB_ListenDrops, ip->src, seg->sport, seg->dport);
			return;
		}
		struct sk_sock *c = cookie_child(st, l, ip, seg);
		if (c) {
			tcp_conn_input(st, c, ip, seg); /* its data, if any */
			return;
		}
	}
	tcp_reset_reply(st, ip, seg); /* no half-open connection matches */
}

void tcp_listen_input(struct sk_stack *st, struct sk_sock *l, const struct ip4_hdr *ip,
		      const struct tcp_seg *seg, uint32_t isn)
{
	if (seg->flags & TCP_RST)
		return;
	if (seg->flags & TCP_ACK) {
		listen_ack(st, l, ip, seg);
		return;
	}
	if (!(seg->flags & TCP_SYN))
		return;
	struct listen_q *q = l->lq;
	int cookies = st->cfg.knobs.tcp_syncookies;
	bool want_cookie = false;
	/* The order of Linux's tcp_conn_request. */
	/* Linux 6.x inet_csk_reqsk_queue_is_full: full when it holds more
	 * than the backlog; tcp_syn_flood_action counts either way. */
	if (cookies == 2 || q->syn_count > q->backlog) {
		if (!cookies) {
			mib_inc(st, SK_MIB_TCPReqQFullDrop);
			stack_event_drop(st, SK_MIB_ListenDrops, ip->src, seg->sport, seg->dport);
			return;
		}
		mib_inc(st, SK_MIB_TCPReqQFullDoCookies);
		want_cookie = true;
	}
	if (q->acc_count > q->backlog) { /* L3: the accept queue is full */
		mib_inc(st, SK_MIB_ListenOverflows);
		stack_event_drop(st, SK_MIB_ListenDrops, ip->src, seg->sport, seg->dport);
		return;
	}
	int max_syn = st->cfg.knobs.tcp_max_syn_backlog;
	if (!want_cookie && !cookies && max_syn - q->syn_count < (max_syn >> 2)) {
		/* without cookies the last quarter is kept for proven peers */
		stack_event_drop(st, SK_MIB_ListenDrops, ip->src, seg->sport, seg->dport);
		return;
	}
	if (want_cookie)
		syn_cookie(st, l, ip, seg);
	else
		syn_accept(st, l, ip, seg, isn ? isn : tcp_isn(st, ip->dst, seg->dport, ip->src, seg->sport));
}
