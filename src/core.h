/* Internal structures of the stack: the host, sockets and connections.
 * Only src/ includes this; the public API is include/synack/synack.h. */
#ifndef SYNACK_CORE_H
#define SYNACK_CORE_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "stack/wheel.h"
#include "synack/synack.h"
#include "wire/wire.h"

/* ---- sequence arithmetic (RFC 9293 §3.4): compare as a signed difference ---- */
static inline bool seq_lt(uint32_t a, uint32_t b) { return (int32_t)(a - b) < 0; }
static inline bool seq_le(uint32_t a, uint32_t b) { return (int32_t)(a - b) <= 0; }
static inline bool seq_gt(uint32_t a, uint32_t b) { return (int32_t)(a - b) > 0; }
static inline bool seq_ge(uint32_t a, uint32_t b) { return (int32_t)(a - b) >= 0; }
/* a <= x < b, modulo 2^32 */
static inline bool seq_in(uint32_t x, uint32_t a, uint32_t b) { return x - a < b - a; }

#define TCPF(s) (1u << (s))


/* ---- byte rings: send and receive buffers, allocated only while they hold data ---- */
struct ring {
	uint8_t *buf;     /* NULL while empty */
	uint32_t cap;     /* bytes allocated: a power of two, or 0 */
	uint32_t head;    /* index of the first byte */
	uint32_t len;     /* bytes held */
};

#define RING_MIN 2048u
#define RING_CLASSES 8     /* cached sizes: 2 KiB .. 256 KiB */
#define RING_CACHE_MAX 32  /* buffers kept per size */
struct ring_free {
	struct ring_free *next;
};

/* Out-of-order data waiting for a gap to fill: a short list of segments,
 * allocated as they arrive, freed as they are delivered or dropped. */
struct ofo_seg {
	struct ofo_seg *next;
	uint32_t seq, len;
	bool fin;
	uint8_t data[];
};

/* ---- a socket: unbound, bound, listening, or a connection ---- */

enum {
	SOCKF_NONBLOCK = 1 << 0,
	SOCKF_REUSEADDR = 1 << 1,
	SOCKF_KEEPALIVE = 1 << 2,
	SOCKF_NODELAY = 1 << 3,
	SOCKF_LINGER = 1 << 4,
	SOCKF_BOUND = 1 << 5,     /* bind() or an automatic bind holds a port */
	SOCKF_USER_BOUND = 1 << 6, /* the port came from bind() (not ephemeral) */
	SOCKF_ORPHAN = 1 << 7,    /* close() called: no descriptor, no reader */
	SOCKF_SHUT_RD = 1 << 8,
	SOCKF_LISTENER_GONE = 1 << 10, /* half-open child of a closed listener */
	SOCKF_TW_REUSED = 1 << 13, /* connect took over a TIME-WAIT: ts_recent is the old one */
	SOCKF_SHUT_WR = 1 << 9,   /* FIN queued (shutdown or close) */
	SOCKF_FIN_RCVD = 1 << 11,
	SOCKF_IN_READY = 1 << 12, /* on the ready list */
	SOCKF_TS = 1 << 14,       /* timestamps negotiated */
	SOCKF_SACK = 1 << 15,     /* SACK negotiated */
	SOCKF_WSCALE = 1 << 16,   /* window scaling negotiated */
	SOCKF_PINGPONG = 1 << 17, /* interactive: delay ACKs to piggyback them */
	SOCKF_ACK_NOW = 1 << 18,  /* an ACK must go out at the end of input */
	SOCKF_PERSIST = 1 << 22,  /* the retransmission timer is probing a zero window */
	SOCKF_REO = 1 << 19,      /* alt_at_ns is RACK's reordering timer, not a loss probe */
	SOCKF_ISS_SET = 1 << 24,  /* connect takes iss from a reused TIME-WAIT */
	SOCKF_RTT_TIMING = 1 << 25, /* rtt_start_ns/rtt_seq time a segment (Karn) */
	SOCKF_RTX_STAMP = 1 << 26,  /* retrans_stamp_ns holds when retransmitting began */
	SOCKF_DSACK = 1 << 27,    /* a D-SACK block (RFC 2883) waits for the next ACK */
	SOCKF_CORK = 1 << 21,     /* TCP_CORK: a partial last segment waits */
	SOCKF_ZEROCOPY = 1 << 28, /* SO_ZEROCOPY (sends copy all the same) */
	SOCKF_INQ = 1 << 29,      /* TCP_INQ: recvmsg reports the bytes left (TCP_CM_INQ) */
};

/* The send queue's boundaries that Linux's skbs make visible on the wire
 * (tcp_sendmsg): the end of a write that pushed (the segment ending there
 * carries PSH) and the end of a MSG_EOR record (no segment spans it). */
#define SND_MARKS_MAX 64 /* more pending boundaries: the oldest are forgotten */
enum { MARK_PSH = 1, MARK_EOR = 2 };
struct snd_mark {
	uint32_t seq;
	uint8_t kind;           /* MARK_* */
};

/* The retransmission queue: a record per chunk sent (an skb of Linux's
 * rtx queue, one TSO packet), allocated while data is in flight
 * (tcp_recovery.c). */
enum {
	RQ_SACKED = 1,       /* the peer holds it (RFC 2018) */
	RQ_LOST = 2,         /* deemed lost (RACK, NewReno, RTO) */
	RQ_RETRANS = 4,      /* a retransmission of it is in flight */
	RQ_EVER_RETRANS = 8, /* retransmitted at least once */
	RQ_FIN = 16,         /* ends with the FIN */
};
struct rq_rec {
	uint32_t seq, end;   /* end counts the FIN */
	uint64_t xmit_ns;    /* last (re)transmission */
	uint16_t pcount;     /* segments (Linux tcp_skb_pcount) */
	uint8_t tags;        /* RQ_* */
};
struct rtx_queue {
	struct rtx_queue *next_free; /* in the stack's cache */
	uint32_t first, count, cap;  /* records recs[first, first + count) */
	/* segments (Linux packets_out, sacked_out, lost_out, retrans_out) */
	uint32_t packets_out, sacked_out, lost_out, retrans_out;
	uint32_t fack;               /* the highest SACKed sequence, with sacked_out */
	/* Proportional Rate Reduction (RFC 6937) during recovery */
	uint32_t prr_delivered, prr_out, prior_cwnd;
	/* RACK (RFC 8985 §6.1): the latest delivered transmission */
	uint64_t rack_xmit_ns, rack_rtt_ns;
	uint32_t rack_end_seq;
	bool rack_advanced;
	uint64_t last_xmit_ns;       /* the latest transmission's stamp */
	struct rq_rec recs[];
};

/* Linux's congestion states (icsk_ca_state, with its numbers; no CWR state:
 * ECN's window cut is tcp_ecn_input's) */
enum { CA_OPEN = 0, CA_DISORDER = 1, CA_RECOVERY = 3, CA_LOSS = 4 };

/* How tcp_output treats a partial last segment (Linux's nonagle modes). */
enum { OUT_SOCK, OUT_MORE, OUT_PUSH };

struct listen_q;

/* What connect() remembers, as Linux's struct socket state does. */
enum { SS_UNCONNECTED, SS_CONNECTING, SS_CONNECTED, SS_DISCONNECTING };

/* What the connection table chains: the head of a full connection and of
 * a TIME-WAIT record alike. `state` tells which one it is. */
#define HNODE_FIELDS                                                     \
	struct hnode *hnext;                                             \
	uint32_t laddr, raddr;                                           \
	uint16_t lport, rport;                                           \
	uint8_t state;  /* enum sk_tcp_state; SK_TCP_TIME_WAIT: a tw_sock */ \
	uint8_t hashed; /* in the connection table */

struct hnode {
	HNODE_FIELDS
};

/* TIME-WAIT as a compact record of 64 bytes (a full connection is ~450):
 * what it takes to ACK a retransmitted FIN, to recognise a new SYN, and
 * to let tcp_tw_reuse check timestamps. All records live 2MSL, so they
 * expire in the order they were made: a FIFO with one wheel timer for the
 * stack, not one per record. */
struct tw_sock {
	HNODE_FIELDS
	uint8_t tw_flags;        /* TW_* */
	uint16_t rcv_wnd_scaled; /* the window to announce, already shifted */
	uint32_t snd_nxt;
	uint32_t tw_next, tw_prev; /* the FIFO by index, oldest first; TW_NONE ends it */
	uint64_t expire_ns;
	uint32_t rcv_nxt, ts_recent; /* the timestamp offset is recomputed */
	uint32_t entry_ms;       /* when TIME-WAIT began (Linux tw_entry_stamp) */
	uint32_t last_oow_ms;    /* last ACK to an out-of-window segment, or 0 */
};
_Static_assert(sizeof(struct tw_sock) <= 64, "a TIME-WAIT record fits in 64 bytes");
#define TW_NONE UINT32_MAX
#define TW_CHUNK 1024 /* records allocated together */

enum {
	TW_TS = 1 << 0,         /* timestamps in use */
	TW_REUSEADDR = 1 << 1,  /* the socket had SO_REUSEADDR */
	TW_USER_BOUND = 1 << 2, /* the port came from bind() */
};

struct sk_sock {
	union {                 /* the connection table's view */
		struct hnode hn;
		struct { HNODE_FIELDS };
	};

	int fd;                 /* -1 when no descriptor refers to it */
	uint8_t so_error;       /* pending error (positive errno), reported once */
	uint8_t err_soft;       /* ICMP error kept for a later timeout (RFC 1122 §4.2.3.9) */
	uint8_t probes;         /* keepalive or zero-window probes unanswered */
	uint8_t ss;             /* the descriptor's view: SS_UNCONNECTED, ... */
	uint8_t snd_wscale, rcv_wscale;
	uint8_t retransmits, backoff;
	uint8_t quickacks;
	uint8_t ack_pending;    /* ACKP_*: Linux icsk_ack.pending */
	uint8_t syn_retries;    /* TCP_SYNCNT, or 0 */
	uint8_t dupacks;
	uint16_t last_seg_size; /* icsk_ack.last_seg_size */
	uint32_t flags;         /* SOCKF_* */

	struct wheel_timer timer;  /* the one timer of this socket */
	uint64_t rtx_at_ns;        /* retransmission / persist, or 0 */
	uint64_t delack_at_ns;     /* delayed ACK, or 0 */
	uint64_t idle_at_ns;       /* keepalive, FIN_WAIT_2, TIME_WAIT, or 0 */

	struct sk_sock *port_next, **port_pprev; /* owners of a bound port */
	union {
		/* in a listener's queue: a child with no descriptor yet */
		struct { struct sk_sock *qnext, **qpprev; };
		/* on the ready list: only sockets with a descriptor go there */
		struct { struct sk_sock *rnext, **rpprev; };
	};
	struct sk_sock *parent; /* the listener, until accepted */
	struct listen_q *lq;    /* listeners only */

	/* RFC 9293 §3.3.1 send and receive sequence variables */
	uint32_t iss, snd_una, snd_nxt, snd_max, snd_wnd, snd_wl1, snd_wl2;
	uint32_t snd_sml;       /* end of the last small segment sent (Nagle, Minshall) */
	uint32_t irs, rcv_nxt, rcv_wnd, rcv_wup; /* window rcv_wnd advertised at rcv_wup */
	uint32_t rcv_ssthresh;
	uint16_t mss_cache;     /* bytes of data per segment we send */
	uint16_t rcv_mss;       /* the peer's segment size as seen */
	uint16_t adv_mss;       /* what we announced */
	uint16_t user_mss;      /* TCP_MAXSEG, or 0 */

	/* RFC 6298 round-trip estimate as Linux's tcp_rtt_estimator keeps it,
	 * in microseconds: SRTT << 3 (0 until the first sample), the mean
	 * deviation, its maximum over the current RTT, and the variance term
	 * of the RTO (>= RTO_min), which decays once per RTT (at
	 * rtt_var_seq). */
	uint32_t rto_ms;
	uint32_t srtt8_us, mdev_us, mdev_max_us, rto_var_us, rtt_var_seq;
	uint32_t rtt_seq;       /* timing this sequence number, with SOCKF_RTT_TIMING */
	uint64_t rtt_start_ns;
	uint64_t retrans_stamp_ns; /* first (re)transmission of the head, for give-up */
	uint64_t ato_ns;         /* delayed-ACK timeout (icsk_ack.ato); 0: no data yet */
	uint64_t ack_lrcv_ns;    /* last data arrival (icsk_ack.lrcvtime) */
	uint32_t cwnd, ssthresh; /* segments */
	uint32_t cwnd_cnt;
	uint32_t snd_recover;   /* Linux high_seq (RFC 6582 "recover"): snd_max when recovery began */
	struct rtx_queue *rq;   /* sent and not yet acknowledged; NULL when none */

	/* RFC 7323 timestamps */
	uint32_t ts_recent, ts_offset;
	struct tcp_sack_block dsack; /* valid with SOCKF_DSACK */
	uint32_t sack_recent[4]; /* seqs of the latest out-of-order arrivals, newest first */

	struct ring snd, rcv;
	struct ofo_seg *ofo;
	uint32_t ofo_bytes;
	int sndbuf, rcvbuf;     /* SO_SNDBUF/SO_RCVBUF as getsockopt reports them */
	int16_t keepidle_s, keepintvl_s; /* TCP_KEEPIDLE/INTVL (<= 32767), or 0 */
	int16_t linger2_s;      /* TCP_LINGER2: -1, 0 (the knob) or up to 120 */
	int8_t keepcnt;         /* TCP_KEEPCNT (<= 127), or 0 */
	int linger_s;
	int user_timeout_ms;
	uint64_t lrcvtime_ns;   /* last segment received */
	uint32_t last_oow_ack_ms; /* last ACK to an out-of-window segment */

	struct snd_mark *marks; /* send-queue boundaries, oldest first; allocated when needed */
	uint8_t nmarks, mark_cap;
	uint32_t rtt_min_us;    /* lowest RTT sample (Linux tcp_min_rtt), for TSO sizing */
	uint32_t notsent_lowat; /* TCP_NOTSENT_LOWAT, or 0 for the knob */
	uint32_t snd_wnd_max;   /* the largest window the peer offered (Linux max_window) */
	uint32_t tlp_high_seq;  /* snd_max when a loss probe went out, or 0 */
	uint64_t alt_at_ns;     /* rtx_at_ns is a tail loss probe (RFC 8985 §7) or, with
				 * SOCKF_REO, RACK's reordering timer when equal */
	uint8_t ecn_flags;      /* ECN_*: RFC 3168, Linux's tp->ecn_flags */
	uint8_t ca_state;       /* CA_* */
	bool reord_seen;        /* the peer has shown reordering (RACK widens its window) */
	uint16_t reordering;    /* Linux tp->reordering: segments, from tcp_reordering */
};

/* sk_sock.ecn_flags */
enum { ECN_OK = 1, ECN_QUEUE_CWR = 2, ECN_DEMAND_CWR = 4 };

/* A listener's queues (RFC 9293 leaves them to the implementation; these
 * are Linux's, BEHAVIOR.md L2): half-open connections and complete ones. */
struct listen_q {
	int backlog;            /* min(listen backlog, somaxconn) */
	int syn_count, acc_count;
	struct sk_sock *acc_head, *acc_tail; /* complete, waiting for accept() */
	struct sk_sock *syn_head;            /* half-open (SYN_RECV), any order */
	uint64_t last_overflow_ns;           /* last SYN answered with a cookie, or 0 */
};

/* sk_sock.ack_pending: an ACK is owed; the peer pushed (once, twice) */
enum { ACKP_SCHED = 1, ACKP_PUSHED = 2, ACKP_PUSHED2 = 4 };

/* ---- the host ---- */

struct port_bucket {
	struct port_bucket *next;
	uint16_t port;
	struct sk_sock *owners;
	/* TIME-WAIT records holding the port: they are not owners (no links
	 * to spare in 64 bytes), only counted for the bind rules */
	uint32_t tw_count, tw_noreuse, tw_user_bound;
};

struct sk_stack {
	struct sk_config cfg;
	uint64_t now_ns;
	uint64_t mib[SK_MIB_COUNT];
	struct wheel wheel;
	/* sk_deadline's answer, kept while it stays a lower bound: arming a
	 * timer can only lower it, cancelling leaves it a lower bound, and
	 * expiring (sk_advance) makes it stale */
	uint64_t deadline_ns;
	bool deadline_ok;

	/* connections by 4-tuple: chained hash, grows by doubling */
	struct hnode **ehash;
	uint32_t ehash_mask, ehash_count;
	/* TIME-WAIT records, oldest first, and the timer for the oldest */
	struct tw_sock **tw_chunks;   /* record storage (tcp_tw.c) */
	uint32_t tw_nchunks, tw_free; /* free records by index */
	uint32_t tw_head, tw_tail, tw_count;
	struct wheel_timer tw_timer;
	/* listeners by local port */
	struct hnode **lhash;
	uint32_t lhash_mask, lhash_count;
	/* bound ports */
	struct port_bucket **bhash;
	uint32_t bhash_mask, bhash_count;

	/* descriptors: table and a bitmap of those in use */
	struct sk_sock **fds;
	uint64_t *fd_used;
	int fd_cap, fd_low_word;

	/* readiness changes, oldest first */
	struct sk_sock *ready_head, **ready_tail; /* tail: the last rnext, or &ready_head */

	uint64_t hash_key[2];   /* keys the tables (per stack, from the seed) */
	uint64_t isn_key[2];    /* RFC 6528 secret */
	uint32_t port_perturb[256]; /* RFC 6056 algorithm 4 table */
	struct ring_free *ring_cache[RING_CLASSES]; /* emptied ring buffers */
	struct rtx_queue *rq_cache;  /* emptied retransmission queues of the smallest size */
	uint32_t rq_cached;
	uint32_t ring_cached[RING_CLASSES];
	uint64_t challenge_window_start_ns;
	uint32_t challenge_count;

	uint8_t pkt[65536];     /* scratch for building one outgoing packet */
};

/* ---- stack.c ---- */
void *sk_alloc(struct sk_stack *st, size_t size);
void sk_free(struct sk_stack *st, void *p, size_t size);
void stack_emit(struct sk_stack *st, size_t len); /* st->pkt holds an IPv4 packet */
void stack_timer_set(struct sk_stack *st, struct wheel_timer *t, uint64_t deadline_ns);
void stack_event_state(struct sk_stack *st, struct sk_sock *s, int old_state);
void stack_event_node(struct sk_stack *st, const struct hnode *n, int fd, int old_state);
void stack_event_drop(struct sk_stack *st, enum sk_counter c,
		      uint32_t saddr, uint16_t sport, uint16_t dport);
uint64_t siphash24(const uint64_t key[2], const void *data, size_t len);
static inline void mib_inc(struct sk_stack *st, enum sk_counter c) { st->mib[c]++; }

/* tables (table.c) */
int table_init(struct sk_stack *st);
void table_free(struct sk_stack *st);
struct hnode *ehash_lookup(struct sk_stack *st, uint32_t laddr, uint16_t lport,
			   uint32_t raddr, uint16_t rport);
/* The full connection for a 4-tuple (not a TIME-WAIT record), or NULL. */
struct sk_sock *ehash_lookup_sock(struct sk_stack *st, uint32_t laddr, uint16_t lport,
				  uint32_t raddr, uint16_t rport);
int ehash_insert(struct sk_stack *st, struct hnode *n);
void ehash_remove(struct sk_stack *st, struct hnode *n);
void port_tw_hold(struct sk_stack *st, uint16_t port, uint8_t tw_flags);
void port_tw_release(struct sk_stack *st, uint16_t port, uint8_t tw_flags);
struct sk_sock *lhash_lookup(struct sk_stack *st, uint16_t port);
int lhash_insert(struct sk_stack *st, struct sk_sock *s);
void lhash_remove(struct sk_stack *st, struct sk_sock *s);
int port_bind(struct sk_stack *st, struct sk_sock *s, uint16_t port);
void port_unbind(struct sk_stack *st, struct sk_sock *s);
int port_check_bind(struct sk_stack *st, const struct sk_sock *s, uint16_t port);
int port_connect(struct sk_stack *st, struct sk_sock *s); /* ephemeral port, RFC 6056 */
int fd_alloc(struct sk_stack *st, struct sk_sock *s);
void fd_release(struct sk_stack *st, int fd);
struct sk_sock *fd_get(struct sk_stack *st, int fd);

/* ---- sockets (sock.c) ---- */
struct sk_sock *sock_new(struct sk_stack *st);
void sock_set_state(struct sk_stack *st, struct sk_sock *s, int state);
void sock_done(struct sk_stack *st, struct sk_sock *s); /* CLOSE: unhash, free if orphan */
void sock_destroy(struct sk_stack *st, struct sk_sock *s);
void sock_wake(struct sk_stack *st, struct sk_sock *s);
void sock_rearm(struct sk_stack *st, struct sk_sock *s);

/* rings (ring.c) */
int ring_write(struct sk_stack *st, struct ring *r, const void *p, uint32_t n, uint32_t limit);
void ring_peek(const struct ring *r, uint32_t off, void *p, uint32_t n);
void ring_drop(struct sk_stack *st, struct ring *r, uint32_t n);
void ring_free(struct sk_stack *st, struct ring *r);
void ring_cache_free(struct sk_stack *st);
static inline uint32_t ring_room(const struct ring *r, uint32_t limit)
{
	return r->len >= limit ? 0 : limit - r->len;
}

/* ---- TCP (tcp_*.c) ---- */
void tcp_input(struct sk_stack *st, const struct ip4_hdr *ip, const uint8_t *seg, size_t len);
void tcp_icmp_error(struct sk_stack *st, const struct icmp_msg *m);
void tcp_timer(struct sk_stack *st, struct sk_sock *s);
int tcp_connect(struct sk_stack *st, struct sk_sock *s);
void tcp_output(struct sk_stack *st, struct sk_sock *s);
void tcp_output_mode(struct sk_stack *st, struct sk_sock *s, int mode); /* OUT_* */
void tcp_retransmit_head(struct sk_stack *st, struct sk_sock *s);
/* the retransmission queue and SACK recovery (tcp_recovery.c) */
struct ack_info {
	uint32_t prior_snd_una, prior_fack, reord;
	uint32_t delivered, lost; /* segments newly (s)acked, newly marked lost */
	int flag;                 /* ACKF_* */
};
enum { ACKF_UNA_ADVANCED = 1, ACKF_DATA_SACKED = 2, ACKF_DATA_ACKED = 4, ACKF_WIN_UPDATE = 8,
       ACKF_DATA = 16, ACKF_REO_ARMED = 32 };
static inline uint32_t tcp_in_flight(const struct sk_sock *s)
{
	const struct rtx_queue *q = s->rq;
	return q ? q->packets_out - q->sacked_out - q->lost_out + q->retrans_out : 0;
}
void tcp_rq_append(struct sk_stack *st, struct sk_sock *s, uint32_t seq, uint32_t len, bool fin);
void tcp_rq_free(struct sk_stack *st, struct sk_sock *s);
void tcp_rq_cache_free(struct sk_stack *st);
void tcp_sacktag(struct sk_stack *st, struct sk_sock *s, const struct tcp_seg *seg, struct ack_info *ai);
void tcp_rq_clean(struct sk_stack *st, struct sk_sock *s, struct ack_info *ai);
void tcp_sack_recovery(struct sk_stack *st, struct sk_sock *s, struct ack_info *ai);
void tcp_rack_reo_timeout(struct sk_stack *st, struct sk_sock *s);
bool tcp_retransmit_tail(struct sk_stack *st, struct sk_sock *s);
uint32_t tcp_tso_segs(const struct sk_stack *st, const struct sk_sock *s);
void tcp_xmit_again(struct sk_stack *st, struct sk_sock *s, uint32_t seq, uint32_t len, bool fin);
bool tcp_eor_at(const struct sk_sock *s, uint32_t seq);
struct iovec;
long tcp_write(struct sk_stack *st, struct sk_sock *s, const struct iovec *iov, size_t iovcnt, int flags);
void tcp_marks_acked(struct sk_stack *st, struct sk_sock *s);
void tcp_marks_free(struct sk_stack *st, struct sk_sock *s);
bool tcp_write_wakeup(struct sk_stack *st, struct sk_sock *s);
uint32_t tcp_notsent_lowat(const struct sk_stack *st, const struct sk_sock *s);
uint32_t tcp_send_room(const struct sk_stack *st, const struct sk_sock *s);
void tcp_schedule_loss_probe(struct sk_stack *st, struct sk_sock *s, bool advancing_rto);
void tcp_send_loss_probe(struct sk_stack *st, struct sk_sock *s);
void tcp_ecn_input(struct sk_stack *st, struct sk_sock *s, const struct ip4_hdr *ip, const struct tcp_seg *seg);
uint64_t tcp_probe0_ns(const struct sk_stack *st, const struct sk_sock *s);
void tcp_send_ack(struct sk_stack *st, struct sk_sock *s);
void tcp_send_fin(struct sk_stack *st, struct sk_sock *s);
void tcp_send_reset(struct sk_stack *st, struct sk_sock *s);
void tcp_send_synack(struct sk_stack *st, struct sk_sock *s);
void tcp_reset_reply(struct sk_stack *st, const struct ip4_hdr *ip, const struct tcp_seg *seg);
void tcp_close(struct sk_stack *st, struct sk_sock *s);
void tcp_listen_stop(struct sk_stack *st, struct sk_sock *l);
void tcp_abort(struct sk_stack *st, struct sk_sock *s, int err);
void tcp_init_sock(struct sk_stack *st, struct sk_sock *s);
void tcp_cleanup_rbuf(struct sk_stack *st, struct sk_sock *s, uint32_t copied);
uint32_t tcp_isn(struct sk_stack *st, uint32_t laddr, uint16_t lport, uint32_t raddr, uint16_t rport);
uint32_t tcp_now_ts(const struct sk_stack *st, const struct sk_sock *s);
uint32_t tcp_ts_offset(const struct sk_stack *st, uint32_t laddr, uint32_t raddr);
uint32_t tcp_select_window(struct sk_stack *st, struct sk_sock *s);
uint32_t tcp_rto_base_ms(const struct sk_stack *st, const struct sk_sock *s);
int tcp_rcvbuf_limit(const struct sk_stack *st, const struct sk_sock *s);
int tcp_sndbuf_limit(const struct sk_stack *st, const struct sk_sock *s);
void tcp_time_wait(struct sk_stack *st, struct sk_sock *s);
void tcp_timewait_input(struct sk_stack *st, struct tw_sock *tw, const struct ip4_hdr *ip,
			const struct tcp_seg *seg);
void tcp_tw_expire(struct sk_stack *st);
void tcp_tw_kill(struct sk_stack *st, struct tw_sock *tw);
struct tw_sock *tw_at(const struct sk_stack *st, uint32_t idx);
void tcp_tw_storage_free(struct sk_stack *st);
void tcp_tw_send_ack(struct sk_stack *st, const struct tw_sock *tw);
bool tcp_tw_take(struct sk_stack *st, struct sk_sock *s, struct hnode *n, bool bound);
void tcp_init_rwin(struct sk_stack *st, struct sk_sock *s, bool passive);
void tcp_established(struct sk_stack *st, struct sk_sock *s);
void tcp_child_unlink(struct sk_sock *c);
void tcp_child_drop(struct sk_stack *st, struct sk_sock *c);
void tcp_accept_queue_add(struct sk_sock *l, struct sk_sock *c);
void tcp_syn_negotiate(struct sk_stack *st, struct sk_sock *s, const struct tcp_seg *seg);
void tcp_send_synack_cookie(struct sk_stack *st, struct sk_sock *tmp);
void tcp_conn_input(struct sk_stack *st, struct sk_sock *s, const struct ip4_hdr *ip,
		    const struct tcp_seg *seg);
/* `isn`: the ISN to answer a SYN with, or 0 to choose one (RFC 6528). */
void tcp_listen_input(struct sk_stack *st, struct sk_sock *l, const struct ip4_hdr *ip,
		      const struct tcp_seg *seg, uint32_t isn);
void tcp_keepalive_arm(struct sk_stack *st, struct sk_sock *s);
bool tcp_oow_rate_limited(struct sk_stack *st, struct sk_sock *s, const struct tcp_seg *seg);
uint64_t tcp_fin_timeout_ns(const struct sk_stack *st, const struct sk_sock *s);

#endif
