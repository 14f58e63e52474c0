/* synack: a user-space TCP/IPv4 stack whose connection management behaves
 * like Linux's.
 *
 * The core is sans-I/O: it never reads a clock, sleeps, does I/O or keeps
 * mutable globals. One `struct sk_stack` is one host. The caller feeds it
 * IPv4 packets and the current time, calls its socket operations, and
 * receives the packets it emits through `sk_config.output`. Socket calls act
 * at the stack's current time: the time given to the last sk_stack_new,
 * sk_input or sk_advance call.
 *
 * Errors follow the kernel's convention: a call that fails returns a
 * negative errno value (-ECONNREFUSED, ...) and changes no state. The errno
 * numbers are Linux's (this header uses the host's <errno.h>, which on Linux
 * holds exactly those numbers).
 */
#ifndef SYNACK_H
#define SYNACK_H

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#ifdef __cplusplus
extern "C" {
#endif

#define SK_NEVER UINT64_MAX /* a deadline that never comes */

#define SK_NS_PER_MS 1000000ull
#define SK_NS_PER_S 1000000000ull

/* An IPv4 address in host byte order from its four parts. */
#define SK_IP(a, b, c, d) \
	(((uint32_t)(a) << 24) | ((uint32_t)(b) << 16) | ((uint32_t)(c) << 8) | (uint32_t)(d))

/* Knobs: Linux's sysctl names, units and defaults (net.ipv4.*, net.core.*). */
struct sk_knobs {
	int tcp_syn_retries;       /* 6 */
	int tcp_syn_linear_timeouts; /* 4: SYN retries at a constant RTO first (Linux 6.x) */
	int tcp_synack_retries;    /* 5 */
	int tcp_retries1;          /* 3 */
	int tcp_retries2;          /* 15 */
	int tcp_orphan_retries;    /* 0, which means 8 */
	int tcp_fin_timeout;       /* seconds: 60 */
	int tcp_keepalive_time;    /* seconds: 7200 */
	int tcp_keepalive_intvl;   /* seconds: 75 */
	int tcp_keepalive_probes;  /* 9 */
	int somaxconn;             /* 4096 */
	int tcp_max_syn_backlog;   /* 1024 */
	int tcp_syncookies;        /* 1 */
	int tcp_abort_on_overflow; /* 0 */
	int tcp_tw_reuse;          /* 2 */
	int tcp_timestamps;        /* 1 */
	int tcp_sack;              /* 1 */
	int tcp_reordering;        /* 3: segments SACKed above a hole before it is lost */
	int tcp_window_scaling;    /* 1 */
	int tcp_rmem[3];           /* bytes: 4096 131072 6291456 */
	int tcp_wmem[3];           /* bytes: 4096 16384 4194304 */
	int ip_local_port_range[2]; /* 32768 60999 */
	int tcp_rto_min_ms;        /* 200 (Linux: TCP_RTO_MIN, a route attribute) */
	int tcp_rto_max_ms;        /* 120000 (Linux: TCP_RTO_MAX; 6.x sysctl tcp_rto_max_ms) */
	int tcp_rto_initial_ms;    /* 1000 (RFC 6298 §2.1) */
	int tcp_delack_min_ms;     /* 40 (TCP_DELACK_MIN) */
	int tcp_delack_max_ms;     /* 200 (TCP_DELACK_MAX) */
	int tcp_challenge_ack_limit; /* INT_MAX per second (Linux 6.x; RFC 5961 suggests 1000) */
	int tcp_invalid_ratelimit; /* ms: 500; at most one ACK per this to out-of-window segments */
	int tcp_min_tso_segs;      /* 2: the fewest segments a burst packet holds */
	int tcp_notsent_lowat;     /* bytes: INT_MAX (Linux: UINT_MAX, no limit); TCP_NOTSENT_LOWAT's default */
	int tcp_ecn;               /* 2: ECN when the peer asks (1: we ask too, 0: never) */
};

/* Fills `k` with Linux's defaults. */
void sk_knobs_default(struct sk_knobs *k);

/* Sets the knob called `name` (a Linux sysctl name such as "tcp_syn_retries"
 * or "tcp_rmem") from its text form ("5", "4096 131072 6291456").
 * Returns 0, -ENOENT for an unknown name, or -EINVAL for a value that is not
 * a number or out of the knob's range; `k` is unchanged on failure. */
int sk_knob_set(struct sk_knobs *k, const char *name, const char *value);

/* The nstat counters (Linux names). X(name) for each. */
#define SK_COUNTERS(X) \
	X(ActiveOpens) X(PassiveOpens) X(AttemptFails) X(EstabResets) \
	X(CurrEstab) X(InSegs) X(OutSegs) X(RetransSegs) X(InErrs) X(OutRsts) \
	X(InCsumErrors) X(TCPTimeouts) X(ListenOverflows) X(ListenDrops) \
	X(SyncookiesSent) X(SyncookiesRecv) X(SyncookiesFailed) X(TCPKeepAlive) \
	X(TCPAbortOnData) X(TCPAbortOnClose) X(TCPAbortOnMemory) \
	X(TCPAbortOnTimeout) X(TCPAbortOnLinger) X(TCPChallengeACK) \
	X(TCPSYNChallenge) X(TW) X(TCPDelayedACKs) X(TCPPureAcks) \
	X(TCPOFOQueue) X(TCPOFODrop) X(TCPRcvQDrop) X(TCPFastRetrans) \
	X(TCPSlowStartRetrans) X(TCPSackRecovery) X(TCPSACKReorder) X(TCPDSACKRecv) X(TCPZeroWindowDrop) \
	X(TCPBacklogDrop) X(TCPReqQFullDrop) X(TCPReqQFullDoCookies) \
	X(IpInReceives) X(IpInHdrErrors) X(IpInAddrErrors) X(IpInUnknownProtos) \
	X(IpInDelivers) X(IpOutRequests) X(IpReasmFails) X(IpExtInOptions) \
	X(IcmpInMsgs) X(IcmpInErrors) X(IcmpInEchos) X(IcmpInDestUnreachs) \
	X(IcmpOutMsgs) X(IcmpOutEchoReps) X(IcmpOutDestUnreachs) \
	X(SynackTcpBadOptions) X(SynackTcpBadSeq) X(SynackNoSocketDrop)

enum sk_counter {
#define SK_COUNTER_ENUM(n) SK_MIB_##n,
	SK_COUNTERS(SK_COUNTER_ENUM)
#undef SK_COUNTER_ENUM
	SK_MIB_COUNT
};

/* TCP states with Linux's numbers (as tcpi_state and `ss` report them). */
enum sk_tcp_state {
	SK_TCP_ESTABLISHED = 1,
	SK_TCP_SYN_SENT,
	SK_TCP_SYN_RECV,
	SK_TCP_FIN_WAIT1,
	SK_TCP_FIN_WAIT2,
	SK_TCP_TIME_WAIT,
	SK_TCP_CLOSE,
	SK_TCP_CLOSE_WAIT,
	SK_TCP_LAST_ACK,
	SK_TCP_LISTEN,
	SK_TCP_CLOSING,
};

/* "ESTAB", "SYN-SENT", ... as `ss` prints them (CLOSE is "UNCONN"). */
const char *sk_state_name(int state);
/* "ActiveOpens", ... */
const char *sk_counter_name(enum sk_counter c);

/* What the stack tells an observer (the lab, a trace). Called from inside
 * sk_input/sk_advance/socket calls; the observer must not call back into
 * the stack. */
enum sk_event_kind {
	SK_EV_STATE, /* a connection changed state: old_state -> new_state */
	SK_EV_DROP,  /* an input packet was dropped: `counter` says why */
	SK_EV_SIGPIPE, /* sk_send failed with EPIPE without MSG_NOSIGNAL: where
			* Linux raises SIGPIPE; a driver may raise it */
};
struct sk_event {
	enum sk_event_kind kind;
	int fd;                 /* the socket, or -1 when it has none (yet) */
	uint32_t laddr, raddr;  /* host byte order */
	uint16_t lport, rport;
	int old_state, new_state;
	enum sk_counter counter;
};

/* Emits one IPv4 packet. `packet` is valid only during the call. */
typedef void (*sk_output_fn)(void *ctx, const uint8_t *packet, size_t len);
typedef void (*sk_observe_fn)(void *ctx, uint64_t now_ns, const struct sk_event *ev);
/* Memory: alloc returns NULL on failure; free gets the size alloc was given. */
typedef void *(*sk_alloc_fn)(void *ctx, size_t size);
typedef void (*sk_free_fn)(void *ctx, void *p, size_t size);

struct sk_config {
	uint32_t addr;       /* this host's IPv4 address, host byte order */
	uint16_t mtu;        /* 1500 */
	uint64_t seed;       /* keys the ISN, hash and port choices */
	struct sk_knobs knobs;
	sk_output_fn output;
	void *output_ctx;
	sk_observe_fn observe; /* optional */
	void *observe_ctx;
	sk_alloc_fn alloc;   /* optional: malloc */
	sk_free_fn free;     /* optional: free */
	void *alloc_ctx;
};

/* Fills `cfg` with defaults: no address, MTU 1500, seed 0, Linux knobs. */
void sk_config_default(struct sk_config *cfg);

struct sk_stack;

/* Creates a host at time `now_ns`. The config is copied. Returns NULL when
 * memory runs out or the config is unusable (no output, MTU < 68). */
struct sk_stack *sk_stack_new(const struct sk_config *cfg, uint64_t now_ns);
/* Frees the host and everything it owns, silently: no packet is sent (a
 * crash looks like this). */
void sk_stack_free(struct sk_stack *st);

/* Hands the stack one IPv4 packet (no link header) received at `now_ns`.
 * Bad packets are dropped and counted; the buffer is never kept. Time never
 * goes backwards: an earlier `now_ns` counts as the current time. */
void sk_input(struct sk_stack *st, uint64_t now_ns, const void *packet, size_t len);
/* Moves the stack's clock to `now_ns` and runs every timer due by then. */
void sk_advance(struct sk_stack *st, uint64_t now_ns);
/* The next time at which sk_advance has something to do, or SK_NEVER.
 * It may be earlier than the next real expiry (the driver then calls
 * sk_advance and asks again); it is never later. */
uint64_t sk_deadline(const struct sk_stack *st);
/* The stack's current time. */
uint64_t sk_now(const struct sk_stack *st);

uint64_t sk_counter(const struct sk_stack *st, enum sk_counter c);
const struct sk_knobs *sk_knobs(const struct sk_stack *st);
/* Changes a knob at run time; same contract as sk_knob_set. */
int sk_stack_knob_set(struct sk_stack *st, const char *name, const char *value);

/* ---- Sockets (BSD shape; returns are -errno on failure) ----
 *
 * Every socket is non-blocking in the core: connect returns -EINPROGRESS,
 * accept/recv/send return -EAGAIN. SOCK_NONBLOCK is remembered for drivers
 * that offer blocking calls on top (they wait for sk_poll readiness).
 * Descriptors are small integers from 3 up, lowest free first, as Linux
 * gives them to a process with stdin, stdout and stderr open. */
int sk_socket(struct sk_stack *st, int domain, int type, int protocol);
int sk_bind(struct sk_stack *st, int fd, const struct sockaddr *addr, socklen_t len);
int sk_listen(struct sk_stack *st, int fd, int backlog);
int sk_accept(struct sk_stack *st, int fd, struct sockaddr *addr, socklen_t *len);
int sk_connect(struct sk_stack *st, int fd, const struct sockaddr *addr, socklen_t len);
/* Flags: MSG_DONTWAIT (no effect: the core never blocks), MSG_NOSIGNAL
 * (the core raises no signal either way), MSG_PEEK for recv. */
long sk_send(struct sk_stack *st, int fd, const void *buf, size_t len, int flags);
long sk_recv(struct sk_stack *st, int fd, void *buf, size_t len, int flags);
int sk_shutdown(struct sk_stack *st, int fd, int how);
int sk_close(struct sk_stack *st, int fd);
int sk_setsockopt(struct sk_stack *st, int fd, int level, int name, const void *val, socklen_t len);
int sk_getsockopt(struct sk_stack *st, int fd, int level, int name, void *val, socklen_t *len);
int sk_getsockname(struct sk_stack *st, int fd, struct sockaddr *addr, socklen_t *len);
int sk_getpeername(struct sk_stack *st, int fd, struct sockaddr *addr, socklen_t *len);
/* File status flags as fcntl(F_GETFL/F_SETFL) sees them (O_NONBLOCK). */
int sk_fcntl_getfl(struct sk_stack *st, int fd);
int sk_fcntl_setfl(struct sk_stack *st, int fd, int flags);

/* Readiness as poll(2) reports it: POLLIN, POLLOUT, POLLERR, POLLHUP and
 * SK_POLLRDHUP. Returns the ready subset of `events` (POLLERR and POLLHUP
 * always count), or -EBADF. */
#define SK_POLLRDHUP 0x2000
int sk_poll(struct sk_stack *st, int fd, int events);

/* Sockets whose readiness may have changed since the last call, each once,
 * oldest first: up to `max` descriptors go into `fds`; returns how many.
 * A driver polls just these instead of every socket (like epoll). */
int sk_ready(struct sk_stack *st, int *fds, int max);

/* One line per socket and connection, in the spirit of `ss -tan`. */
struct sk_sockinfo {
	int fd;            /* -1 for a connection with no descriptor */
	int state;
	uint32_t recv_q, send_q;
	uint32_t laddr, raddr;
	uint16_t lport, rport;
	/* The timer `ss -o` would show: "on" (retransmission), "persist",
	 * "keepalive", "timewait" (also FIN-WAIT-2 of a closed socket), or
	 * NULL; when it fires; and the retransmissions or probes so far. */
	const char *timer;
	uint64_t timer_at_ns;
	int timer_count;
	int orphan;        /* closed by its application, still finishing (ss -s "orphaned") */
};
/* Calls `fn` for each socket and connection of the host. */
void sk_foreach_socket(const struct sk_stack *st,
		       void (*fn)(void *ctx, const struct sk_sockinfo *info), void *ctx);

/* ---- Socket-layer extras (issue 6, src/socket/sockmsg.c): append-only block ---- */
struct msghdr;
/* sendmsg/recvmsg for TCP: the whole gather list is queued before anything
 * is sent (one call, as Linux's tcp_sendmsg); the scatter list is filled
 * from the receive buffer in one read. Zero-length entries are skipped;
 * a NULL entry with a length gives -EFAULT when nothing was copied yet.
 * msg_name is ignored (TCP is connected). recvmsg sets msg_flags and
 * msg_controllen; with TCP_INQ on it adds a TCP_CM_INQ control message
 * (bytes left to read, at least 1 after the peer's FIN), cut off with
 * MSG_CTRUNC when the control buffer is too short. A send's flags
 * MSG_MORE and MSG_EOR act as Linux's (cork this push; end a record). */
long sk_sendmsg(struct sk_stack *st, int fd, const struct msghdr *msg, int flags);
long sk_recvmsg(struct sk_stack *st, int fd, struct msghdr *msg, int flags);
/* Linux's tcp_ioctl: SIOCINQ (FIONREAD), SIOCOUTQ (TIOCOUTQ), SIOCOUTQNSD,
 * SIOCATMARK write *arg; FIONBIO reads it. -EINVAL on a listener,
 * -ENOTTY for any other request. */
int sk_ioctl(struct sk_stack *st, int fd, unsigned long request, int *arg);
/* ---- end of the socket-layer extras block ---- */

#ifdef __cplusplus
}
#endif
#endif
