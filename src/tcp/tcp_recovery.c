/* The retransmission queue and loss recovery with SACK, as Linux 6.x does
 * them (tcp_input.c, tcp_recovery.c, tcp_output.c).
 *
 * Every chunk sent (one TSO packet of Linux's: an skb of its
 * retransmission queue) becomes a record with its send time and tags:
 * SACKed, lost, retransmitted. The records give
 * - the SACK scoreboard (RFC 2018, RFC 6675 §3): what the peer holds;
 * - RACK loss detection (RFC 8985 §6): a record is lost once one sent
 *   after it has been delivered and a reordering window has passed;
 * - Proportional Rate Reduction (RFC 6937) of the congestion window
 *   during recovery, and the retransmission of lost records it allows;
 * - the segments in flight for the congestion window test.
 * Connections without SACK keep NewReno (tcp_in.c) and use the records
 * for the count in flight only. After an RTO, synack goes back to the
 * first unacknowledged byte (tcp_timer.c) and forgets the records. */
#include "core.h"

#define RQ_MIN_CAP 8u
#define RQ_CACHE_MAX 64u
#define TCP_MAX_REORDERING 300 /* Linux tcp_max_reordering */

static size_t rq_bytes(uint32_t cap)
{
	return sizeof(struct rtx_queue) + (size_t)cap * sizeof(struct rq_rec);
}

/* ---- the queue ---- */

static struct rtx_queue *rq_alloc(struct sk_stack *st)
{
	struct rtx_queue *q = st->rq_cache;
	if (q) {
		st->rq_cache = q->next_free;
		st->rq_cached--;
	} else {
		q = sk_alloc(st, rq_bytes(RQ_MIN_CAP));
		if (!q)
			return NULL;
	}
	memset(q, 0, sizeof(*q));
	q->cap = RQ_MIN_CAP;
	return q;
}

static void rq_release(struct sk_stack *st, struct rtx_queue *q)
{
	if (q->cap == RQ_MIN_CAP && st->rq_cached < RQ_CACHE_MAX) {
		q->next_free = st->rq_cache;
		st->rq_cache = q;
		st->rq_cached++;
		return;
	}
	sk_free(st, q, rq_bytes(q->cap));
}

void tcp_rq_cache_free(struct sk_stack *st)
{
	while (st->rq_cache) {
		struct rtx_queue *q = st->rq_cache;
		st->rq_cache = q->next_free;
		sk_free(st, q, rq_bytes(RQ_MIN_CAP));
	}
	st->rq_cached = 0;
}

/* Forgets every record: the connection is closing, or an RTO went back to
 * snd_una (the data will be sent, and recorded, again). */
void tcp_rq_free(struct sk_stack *st, struct sk_sock *s)
{
	if (s->rq)
		rq_release(st, s->rq);
	s->rq = NULL;
}

/* Room for one more record at the end (and one inserted before it):
 * compacts to the front, or doubles. */
static bool rq_room(struct sk_stack *st, struct sk_sock *s)
{
	struct rtx_queue *q = s->rq;
	if (q->first + q->count < q->cap)
		return true;
	if (q->first) {
		memmove(&q->recs[0], &q->recs[q->first], q->count * sizeof(q->recs[0]));
		q->first = 0;
		return true;
	}
	struct rtx_queue *n = sk_alloc(st, rq_bytes(q->cap * 2));
	if (!n)
		return false;
	memcpy(n, q, rq_bytes(q->cap));
	n->cap = q->cap * 2;
	rq_release(st, q);
	s->rq = n;
	return true;
}

static uint16_t pcount_of(const struct sk_sock *s, uint32_t seq, uint32_t end, uint8_t tags)
{
	uint32_t len = end - seq - ((tags & RQ_FIN) ? 1 : 0);
	uint32_t p = (len + s->mss_cache - 1) / s->mss_cache;
	return (uint16_t)(p ? p : 1);
}

/* Adds `d` segments to the counters the record's tags belong to. */
static void count_rec(struct rtx_queue *q, const struct rq_rec *r, int d)
{
	q->packets_out += (uint32_t)d;
	if (r->tags & RQ_SACKED)
		q->sacked_out += (uint32_t)d;
	if (r->tags & RQ_LOST)
		q->lost_out += (uint32_t)d;
	if (r->tags & RQ_RETRANS)
		q->retrans_out += (uint32_t)d;
}

/* When a packet left, for RACK's order of transmissions (RFC 8985 §6.2):
 * the packets of a burst leave one after another, a nanosecond apart, as
 * from a real interface, so that "sent after" never ties. */
static uint64_t xmit_stamp(const struct sk_stack *st, struct rtx_queue *q)
{
	q->last_xmit_ns = st->now_ns > q->last_xmit_ns ? st->now_ns : q->last_xmit_ns + 1;
	return q->last_xmit_ns;
}

/* A chunk just sent for the first time (or again after an RTO). */
void tcp_rq_append(struct sk_stack *st, struct sk_sock *s, uint32_t seq, uint32_t len, bool fin)
{
	if (!s->rq && !(s->rq = rq_alloc(st)))
		return;
	if (!rq_room(st, s))
		return; /* out of memory: only the count in flight suffers */
	struct rtx_queue *q = s->rq;
	struct rq_rec *r = &q->recs[q->first + q->count++];
	r->seq = seq;
	r->end = seq + len + fin;
	r->xmit_ns = xmit_stamp(st, q);
	r->tags = fin ? RQ_FIN : 0;
	r->pcount = pcount_of(s, r->seq, r->end, r->tags);
	count_rec(q, r, r->pcount);
}

/* Splits record i at `at` (Linux tcp_fragment): both halves keep the
 * tags and send time; the FIN goes with the second. */
static bool rq_split(struct sk_stack *st, struct sk_sock *s, uint32_t i, uint32_t at)
{
	if (!rq_room(st, s))
		return false;
	struct rtx_queue *q = s->rq;
	struct rq_rec *r = &q->recs[q->first + i];
	memmove(r + 2, r + 1, (q->count - i - 1) * sizeof(*r));
	q->count++;
	r[1] = r[0];
	r[1].seq = at;
	r[0].end = at;
	r[0].tags &= (uint8_t)~RQ_FIN;
	int old = r[0].pcount;
	r[0].pcount = pcount_of(s, r[0].seq, r[0].end, r[0].tags);
	r[1].pcount = pcount_of(s, r[1].seq, r[1].end, r[1].tags);
	count_rec(q, r, r[0].pcount + r[1].pcount - old);
	return true;
}

static struct rq_rec *rec_at(struct sk_sock *s, uint32_t i)
{
	return &s->rq->recs[s->rq->first + i];
}

/* ---- RACK (RFC 8985 §6, Linux tcp_recovery.c) ---- */

/* t1/seq1 was sent after t2/seq2 (RFC 8985 §6.2 step 2, ties by sequence). */
static bool sent_after(uint64_t t1, uint32_t seq1, uint64_t t2, uint32_t seq2)
{
	return t1 > t2 || (t1 == t2 && seq_gt(seq1, seq2));
}

/* A record was delivered: remember the latest transmission delivered and
 * its RTT (RFC 8985 §6.2 step 2). A retransmission delivered sooner than
 * the minimum RTT may be the original's delivery: ignored. */
static void rack_advance(struct sk_stack *st, struct sk_sock *s, const struct rq_rec *r)
{
	struct rtx_queue *q = s->rq;
	uint64_t rtt_ns = st->now_ns - r->xmit_ns;
	if ((r->tags & RQ_EVER_RETRANS) && rtt_ns < (uint64_t)s->rtt_min_us * 1000)
		return;
	q->rack_advanced = true;
	q->rack_rtt_ns = rtt_ns;
	if (sent_after(r->xmit_ns, r->end, q->rack_xmit_ns, q->rack_end_seq)) {
		q->rack_xmit_ns = r->xmit_ns;
		q->rack_end_seq = r->end;
	}
}

/* The reordering window (RFC 8985 §6.2 step 4): none while no reordering
 * has been seen, in recovery or once DupThresh segments are SACKed;
 * otherwise a quarter of the minimum RTT, at most SRTT. */
static int64_t rack_reo_wnd_ns(const struct sk_sock *s)
{
	if (!s->reord_seen && (s->ca_state >= CA_RECOVERY || s->rq->sacked_out >= s->reordering))
		return 0;
	uint32_t w = s->rtt_min_us / 4, srtt = s->srtt8_us >> 3;
	return (int64_t)(w < srtt ? w : srtt) * 1000;
}

/* Linux tcp_mark_skb_lost. */
static void mark_lost(struct sk_sock *s, struct rq_rec *r, struct ack_info *ai)
{
	struct rtx_queue *q = s->rq;
	if (r->tags & RQ_SACKED)
		return;
	if (r->tags & RQ_LOST) {
		if (!(r->tags & RQ_RETRANS))
			return;
		r->tags &= (uint8_t)~RQ_RETRANS; /* the retransmission is lost too */
		q->retrans_out -= r->pcount;
	} else {
		r->tags |= RQ_LOST;
		q->lost_out += r->pcount;
	}
	if (ai)
		ai->lost += r->pcount;
}

/* RFC 8985 §6.2 step 5: every record sent before the latest delivered
 * one and not delivered within its RTT plus the reordering window is
 * lost. Returns the longest wait, in ns, for those not yet due. */
static uint64_t rack_detect_loss(struct sk_stack *st, struct sk_sock *s, struct ack_info *ai)
{
	struct rtx_queue *q = s->rq;
	int64_t reo_ns = rack_reo_wnd_ns(s), wait_ns = 0;
	for (uint32_t i = 0; i < q->count; i++) {
		struct rq_rec *r = rec_at(s, i);
		if ((r->tags & RQ_SACKED) || (r->tags & (RQ_LOST | RQ_RETRANS)) == RQ_LOST)
			continue;
		if (!sent_after(q->rack_xmit_ns, q->rack_end_seq, r->xmit_ns, r->end))
			continue;
		int64_t left = (int64_t)q->rack_rtt_ns + reo_ns - (int64_t)(st->now_ns - r->xmit_ns);
		if (left <= 0)
			mark_lost(s, r, ai);
		else if (left > wait_ns)
			wait_ns = left;
	}
	return (uint64_t)wait_ns;
}

static void rack_arm(struct sk_stack *st, struct sk_sock *s, uint64_t wait_ns)
{
	/* Linux: usecs_to_jiffies(wait + TCP_TIMEOUT_MIN_US), HZ 1000 */
	uint64_t wait_us = (wait_ns + 999) / 1000;
	uint64_t ms = (wait_us + 2000 + 999) / 1000;
	s->rtx_at_ns = s->alt_at_ns = st->now_ns + ms * SK_NS_PER_MS;
	s->flags |= SOCKF_REO;
	sock_rearm(st, s);
}

/* Linux tcp_rack_mark_lost: runs when a delivery advanced RACK. */
static void rack_mark_lost(struct sk_stack *st, struct sk_sock *s, struct ack_info *ai)
{
	if (!s->rq || !s->rq->rack_advanced)
		return;
	s->rq->rack_advanced = false;
	uint64_t wait_ns = rack_detect_loss(st, s, ai);
	if (wait_ns) {
		rack_arm(st, s, wait_ns);
		ai->flag |= ACKF_REO_ARMED;
	}
}

/* ---- the SACK scoreboard (Linux tcp_sacktag_write_queue) ---- */

/* Reordering: a never-retransmitted hole at low_seq was filled below the
 * highest SACK (Linux tcp_check_sack_reordering). */
static void check_reordering(struct sk_stack *st, struct sk_sock *s, uint32_t low_seq)
{
	struct rtx_queue *q = s->rq;
	uint32_t fack = q && q->sacked_out ? q->fack : s->snd_una, mss = s->mss_cache;
	if (!seq_lt(low_seq, fack))
		return;
	uint32_t metric = fack - low_seq;
	if (metric > (uint32_t)s->reordering * mss) {
		uint32_t r = (metric + mss - 1) / mss;
		s->reordering = (uint16_t)(r < TCP_MAX_REORDERING ? r : TCP_MAX_REORDERING);
	}
	s->reord_seen = true;
	mib_inc(st, SK_MIB_TCPSACKReorder);
}

/* Tags a record the peer SACKed (Linux tcp_sacktag_one). */
static void sack_one(struct sk_stack *st, struct sk_sock *s, struct rq_rec *r, struct ack_info *ai)
{
	struct rtx_queue *q = s->rq;
	if (r->tags & RQ_SACKED)
		return;
	rack_advance(st, s, r);
	if (r->tags & RQ_RETRANS) {
		if (r->tags & RQ_LOST) {
			r->tags &= (uint8_t)~(RQ_LOST | RQ_RETRANS);
			q->lost_out -= r->pcount;
			q->retrans_out -= r->pcount;
		}
	} else {
		if (!(r->tags & RQ_EVER_RETRANS) && q->sacked_out && seq_lt(r->seq, q->fack) &&
		    seq_lt(r->seq, ai->reord))
			ai->reord = r->seq; /* a hole never resent, filled: reordering */
		if (r->tags & RQ_LOST) {
			r->tags &= (uint8_t)~RQ_LOST;
			q->lost_out -= r->pcount;
		}
	}
	if (!q->sacked_out || seq_gt(r->end, q->fack))
		q->fack = r->end;
	r->tags |= RQ_SACKED;
	q->sacked_out += r->pcount;
	ai->delivered += r->pcount;
	ai->flag |= ACKF_DATA_SACKED;
}

/* Record i against SACK block [left, right) (Linux tcp_match_skb_to_sack):
 * a record of several segments partly in the block is split on a segment
 * boundary. True if record i now lies inside the block. */
static bool match_to_sack(struct sk_stack *st, struct sk_sock *s, uint32_t i, uint32_t left, uint32_t right)
{
	struct rq_rec *r = rec_at(s, i);
	bool in = seq_le(left, r->seq) && seq_le(r->end, right);
	if (in || r->pcount <= 1)
		return in;
	uint32_t mss = s->mss_cache, len;
	if (seq_gt(left, r->seq)) { /* the head is outside: cut it off, rounded up */
		len = left - r->seq;
		len = len < mss ? mss : (len + mss - 1) / mss * mss;
		if (len < r->end - r->seq)
			rq_split(st, s, i, r->seq + len);
		return false;
	}
	len = right - r->seq; /* the tail is outside: cut it off, rounded down */
	if (len < mss)
		return false;
	rq_split(st, s, i, r->seq + len / mss * mss);
	return true;
}

/* A SACK block is valid above snd_una and within what was sent (Linux
 * tcp_is_sackblock_valid); D-SACKs (RFC 2883) are recognised and skipped. */
static bool sack_block_valid(const struct sk_sock *s, const struct tcp_seg *seg, int i)
{
	const struct tcp_sack_block *b = &seg->opts.sack[i];
	if (i == 0 && (seq_lt(b->left, seg->ack) ||
		       (seg->opts.nsack > 1 && seq_le(seg->opts.sack[1].left, b->left) &&
			seq_le(b->right, seg->opts.sack[1].right))))
		return false; /* a D-SACK */
	return seq_lt(b->left, b->right) && seq_le(b->right, s->snd_max) && seq_gt(b->left, s->snd_una);
}

void tcp_sacktag(struct sk_stack *st, struct sk_sock *s, const struct tcp_seg *seg, struct ack_info *ai)
{
	if (!s->rq || !(s->flags & SOCKF_SACK) || !(seg->opts.has & TCP_HAS_SACK))
		return;
	/* in ascending order, as Linux walks them: a block below one
	 * SACKed before it in this ACK is then reordering */
	struct tcp_sack_block blk[4];
	int n = 0;
	for (int b = 0; b < seg->opts.nsack && n < 4; b++) {
		if (!sack_block_valid(s, seg, b))
			continue;
		int j = n++;
		for (; j > 0 && seq_gt(blk[j - 1].left, seg->opts.sack[b].left); j--)
			blk[j] = blk[j - 1];
		blk[j] = seg->opts.sack[b];
	}
	for (int b = 0; b < n; b++) {
		uint32_t left = blk[b].left, right = blk[b].right;
		for (uint32_t i = 0; i < s->rq->count; i++) {
			struct rq_rec *r = rec_at(s, i);
			if (seq_le(r->end, left))
				continue;
			if (seq_ge(r->seq, right))
				break;
			if (match_to_sack(st, s, i, left, right))
				sack_one(st, s, rec_at(s, i), ai);
		}
	}
	if (seq_lt(ai->reord, ai->prior_fack))
		check_reordering(st, s, ai->reord);
}

/* ---- cumulative ACKs (Linux tcp_clean_rtx_queue) ---- */

/* Drops what snd_una now covers and trims a record it cuts (Linux
 * tcp_tso_acked); counts the segments delivered. */
void tcp_rq_clean(struct sk_stack *st, struct sk_sock *s, struct ack_info *ai)
{
	uint32_t reord = s->snd_nxt;
	while (s->rq && s->rq->count) {
		struct rtx_queue *q = s->rq;
		struct rq_rec *r = rec_at(s, 0);
		if (!seq_gt(s->snd_una, r->seq))
			break;
		struct rq_rec acked = *r; /* the part this ACK covers */
		bool whole = seq_le(r->end, s->snd_una);
		if (!whole) {
			r->seq = s->snd_una;
			r->pcount = pcount_of(s, r->seq, r->end, r->tags);
			acked.pcount = (uint16_t)(acked.pcount - r->pcount);
		}
		count_rec(q, &acked, -(int)acked.pcount);
		if (acked.pcount) {
			if (!(acked.tags & (RQ_EVER_RETRANS | RQ_SACKED)) && seq_lt(acked.seq, reord))
				reord = acked.seq; /* never resent, never SACKed: maybe reordered */
			if (!(acked.tags & RQ_SACKED)) {
				ai->delivered += acked.pcount;
				if (s->flags & SOCKF_SACK)
					rack_advance(st, s, &acked);
			}
			ai->flag |= ACKF_DATA_ACKED;
		}
		if (!whole)
			break;
		q->first++;
		if (--q->count == 0)
			tcp_rq_free(st, s);
	}
	if ((s->flags & SOCKF_SACK) && (ai->flag & ACKF_DATA_ACKED) && seq_lt(reord, ai->prior_fack))
		check_reordering(st, s, reord);
}

/* ---- PRR and the retransmission of lost records ---- */

/* Linux tcp_init_cwnd_reduction + tcp_enter_recovery: CUBIC's
 * multiplicative decrease (beta 717/1024). */
static void enter_recovery(struct sk_stack *st, struct sk_sock *s)
{
	struct rtx_queue *q = s->rq;
	s->snd_recover = s->snd_nxt;
	s->tlp_high_seq = 0;
	s->cwnd_cnt = 0;
	q->prior_cwnd = s->cwnd;
	q->prr_delivered = q->prr_out = 0;
	uint32_t ss = s->cwnd * 717 / 1024;
	s->ssthresh = ss > 2 ? ss : 2;
	if (s->ecn_flags & ECN_OK)
		s->ecn_flags |= ECN_QUEUE_CWR;
	s->ca_state = CA_RECOVERY;
	mib_inc(st, SK_MIB_TCPSackRecovery);
}

/* RFC 6937 (Linux tcp_cwnd_reduction): send as much as was delivered,
 * scaled by ssthresh/prior_cwnd while in flight exceeds ssthresh; once
 * below, slow start back up to it. */
static void prr_reduce(struct sk_sock *s, uint32_t delivered, uint32_t newly_lost, int flag)
{
	struct rtx_queue *q = s->rq;
	if (!delivered || !q || !q->prior_cwnd)
		return;
	int64_t in_flight = tcp_in_flight(s), delta = (int64_t)s->ssthresh - in_flight, sndcnt;
	q->prr_delivered += delivered;
	if (delta < 0) {
		uint64_t div = (uint64_t)s->ssthresh * q->prr_delivered + q->prior_cwnd - 1;
		sndcnt = (int64_t)(div / q->prior_cwnd) - q->prr_out;
	} else {
		sndcnt = (int64_t)q->prr_delivered - q->prr_out;
		if (sndcnt < (int64_t)delivered)
			sndcnt = delivered;
		if ((flag & ACKF_UNA_ADVANCED) && !newly_lost)
			sndcnt++;
		if (sndcnt > delta)
			sndcnt = delta;
	}
	if (sndcnt < (q->prr_out ? 0 : 1))
		sndcnt = q->prr_out ? 0 : 1; /* the fast retransmit goes at once */
	s->cwnd = (uint32_t)(in_flight + sndcnt);
}

/* Resends record i, up to `segs` segments of it (Linux
 * __tcp_retransmit_skb): within the peer's window, a larger record split
 * first; a short one absorbs the small records after it up to a segment
 * (tcp_retrans_try_collapse), never across a MSG_EOR boundary. */
static bool retransmit_rec(struct sk_stack *st, struct sk_sock *s, uint32_t i, uint32_t segs)
{
	struct rtx_queue *q = s->rq;
	struct rq_rec *r = rec_at(s, i);
	uint32_t mss = s->mss_cache, wnd_end = s->snd_una + s->snd_wnd;
	uint32_t avail = seq_gt(wnd_end, r->seq) ? wnd_end - r->seq : 0;
	if (!avail) {
		if (r->seq != s->snd_una)
			return false;
		avail = mss; /* a shut window: this serves as its probe */
	}
	uint32_t len = mss * segs;
	if (len > avail)
		len = avail >= mss ? avail / mss * mss : avail;
	uint32_t data = r->end - r->seq - ((r->tags & RQ_FIN) ? 1 : 0);
	if (data > len) {
		if (!rq_split(st, s, i, r->seq + len))
			return false;
		q = s->rq; /* the split may have moved the queue */
		r = rec_at(s, i);
	} else {
		uint32_t room = (avail < mss ? avail : mss);
		while (i + 1 < q->count && !(r->tags & RQ_FIN)) {
			struct rq_rec *n = r + 1;
			uint32_t ndata = n->end - n->seq - ((n->tags & RQ_FIN) ? 1 : 0);
			if ((n->tags & RQ_SACKED) || n->pcount > 1 || data + ndata > room ||
			    tcp_eor_at(s, r->end))
				break;
			count_rec(q, n, -(int)n->pcount);
			count_rec(q, r, -(int)r->pcount);
			r->end = n->end;
			r->tags |= n->tags & (RQ_FIN | RQ_EVER_RETRANS);
			r->pcount = pcount_of(s, r->seq, r->end, r->tags);
			count_rec(q, r, r->pcount);
			memmove(n, n + 1, (q->count - i - 2) * sizeof(*n));
			q->count--;
			data += ndata;
		}
	}
	bool fin = (r->tags & RQ_FIN) != 0;
	tcp_xmit_again(st, s, r->seq, r->end - r->seq - fin, fin);
	r->xmit_ns = xmit_stamp(st, q);
	r->tags |= RQ_EVER_RETRANS;
	return true;
}

/* Linux tcp_xmit_retransmit_queue: the lost records, oldest first, as
 * far as the congestion window allows, in TSO packets. */
static void xmit_retransmit_queue(struct sk_stack *st, struct sk_sock *s)
{
	uint32_t max_segs = tcp_tso_segs(st, s);
	for (uint32_t i = 0; s->rq && i < s->rq->count; i++) {
		struct rtx_queue *q = s->rq;
		int64_t segs = (int64_t)s->cwnd - tcp_in_flight(s);
		if (segs <= 0 || q->retrans_out >= q->lost_out)
			break;
		struct rq_rec *r = rec_at(s, i);
		if (!(r->tags & RQ_LOST) || (r->tags & (RQ_SACKED | RQ_RETRANS)))
			continue;
		if (!retransmit_rec(st, s, i, (uint32_t)(segs < max_segs ? segs : max_segs)))
			break;
		r = rec_at(s, i);
		r->tags |= RQ_RETRANS;
		q = s->rq;
		q->retrans_out += r->pcount;
		mib_inc(st, SK_MIB_TCPFastRetrans);
		if (s->ca_state == CA_RECOVERY)
			q->prr_out += r->pcount;
		if (i == 0 && !(s->rtx_at_ns && s->rtx_at_ns == s->alt_at_ns && (s->flags & SOCKF_REO))) {
			s->rtx_at_ns = st->now_ns + (uint64_t)s->rto_ms * SK_NS_PER_MS;
			sock_rearm(st, s);
		}
	}
}

/* ---- the ACK's verdict (Linux tcp_fastretrans_alert, tcp_cong_control) ---- */

static void try_to_open(struct sk_sock *s)
{
	uint8_t state = s->rq && (s->rq->sacked_out || s->rq->lost_out || s->rq->retrans_out) ? CA_DISORDER
											: CA_OPEN;
	if (s->ca_state != state) {
		s->ca_state = state;
		s->snd_recover = s->snd_nxt;
	}
}

/* What an ACK of a SACK connection changes after the scoreboard and
 * snd_una are up to date: the congestion state (recovery begins when
 * RACK finds a loss, ends when snd_recover is acknowledged), the window
 * (PRR in recovery, growth otherwise), and the retransmissions. */
void tcp_sack_recovery(struct sk_stack *st, struct sk_sock *s, struct ack_info *ai)
{
	if (s->ca_state == CA_LOSS)
		return; /* the RTO went back to snd_una: tcp_output resends it all */
	bool dubious = !(ai->flag & (ACKF_DATA | ACKF_WIN_UPDATE | ACKF_DATA_ACKED)) ||
		       (ai->flag & ACKF_DATA_SACKED) || s->ca_state != CA_OPEN;
	if (!dubious)
		return; /* in order, nothing SACKed: nothing to recover */
	if (s->ca_state != CA_OPEN && seq_ge(s->snd_una, s->snd_recover)) {
		if (s->ca_state == CA_RECOVERY)
			s->cwnd = s->ssthresh; /* tcp_end_cwnd_reduction */
		s->ca_state = CA_OPEN;
	}
	rack_mark_lost(st, s, ai);
	if (s->ca_state != CA_RECOVERY) {
		if (!s->rq || !s->rq->lost_out) {
			try_to_open(s);
			return;
		}
		enter_recovery(st, s);
	}
	prr_reduce(s, ai->delivered, ai->lost, ai->flag);
	xmit_retransmit_queue(st, s);
}

/* RACK's reordering timer expired (Linux tcp_rack_reo_timeout): mark what
 * is now overdue, enter recovery, retransmit; then the RTO, counted from
 * the first record's transmission. */
void tcp_rack_reo_timeout(struct sk_stack *st, struct sk_sock *s)
{
	s->flags &= ~SOCKF_REO;
	s->alt_at_ns = 0;
	if (!s->rq)
		return;
	struct ack_info ai = { 0 };
	uint32_t prior = tcp_in_flight(s);
	rack_detect_loss(st, s, &ai);
	if (prior != tcp_in_flight(s)) {
		if (s->ca_state != CA_RECOVERY) {
			enter_recovery(st, s);
			prr_reduce(s, 1, ai.lost, 0);
		}
		xmit_retransmit_queue(st, s);
	}
	if (!s->rtx_at_ns && s->rq) { /* Linux tcp_rearm_rto: the rest of the RTO, whole ms */
		uint64_t due = rec_at(s, 0)->xmit_ns + (uint64_t)s->rto_ms * SK_NS_PER_MS;
		uint64_t left = due > st->now_ns ? due - st->now_ns : 1;
		s->rtx_at_ns = st->now_ns + (left + SK_NS_PER_MS - 1) / SK_NS_PER_MS * SK_NS_PER_MS;
	}
	sock_rearm(st, s);
}

/* The tail loss probe's retransmission (Linux tcp_send_loss_probe): the
 * last segment sent, cut off its record. */
bool tcp_retransmit_tail(struct sk_stack *st, struct sk_sock *s)
{
	struct rtx_queue *q = s->rq;
	if (!q || !q->count)
		return false;
	uint32_t i = q->count - 1;
	struct rq_rec *r = rec_at(s, i);
	uint32_t mss = s->mss_cache;
	if (r->pcount > 1 && r->end - r->seq > (uint32_t)(r->pcount - 1) * mss) {
		if (!rq_split(st, s, i, r->seq + (uint32_t)(r->pcount - 1) * mss))
			return false;
		i++;
	}
	return retransmit_rec(st, s, i, 1);
}
