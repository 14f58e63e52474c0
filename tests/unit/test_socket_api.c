/* The E catalog: every misuse of the socket API returns Linux's errno and
 * changes nothing (BEHAVIOR.md "Errors (E) — same numbers as Linux", and
 * synack.h: "a call that fails returns a negative errno value and changes
 * no state").
 *
 * Every expected value below was first measured on the real Linux kernel
 * of this machine (6.18, x86_64) with python3 (ctypes calls to libc's
 * socket, bind, listen, accept, connect, send, recv, shutdown,
 * [gs]etsockopt, getsockname/getpeername, fcntl and poll) on loopback, in
 * a fresh network namespace (unshare -n) where a knob or the MTU had to
 * differ: lo at MTU 1500 for TCP_MAXSEG, ip_local_port_range 40000 40003
 * for the ephemeral port tests. Each case says what Linux returned.
 *
 * Host a (10.0.0.1) holds the sockets under test; host b (10.0.0.2) is the
 * peer where one is needed; 10.0.0.99 belongs to no host, so a SYN sent
 * there is lost and the socket stays in SYN_SENT.
 *
 * A test does not stop at the first mismatch: it prints each one as
 * "line: call = got (ENAME), Linux: want (ENAME)" and fails at the end, so
 * one run lists every deviation. */
#include "harness.h"

#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define A_ADDR SK_IP(10, 0, 0, 1)
#define B_ADDR SK_IP(10, 0, 0, 2)
#define NOBODY SK_IP(10, 0, 0, 99) /* no host owns it: packets to it are lost */

#define EVENTS_ALL (POLLIN | POLLOUT | SK_POLLRDHUP)

/* ---- E: the errno numbers are Linux's (BEHAVIOR.md's table), checked at
 * compile time: a libc or header with other numbers does not build ---- */
_Static_assert(EPIPE == 32, "EPIPE");
_Static_assert(EAGAIN == 11, "EAGAIN");
_Static_assert(EBADF == 9, "EBADF");
_Static_assert(EMFILE == 24, "EMFILE");
_Static_assert(EINVAL == 22, "EINVAL");
_Static_assert(EADDRINUSE == 98, "EADDRINUSE");
_Static_assert(EADDRNOTAVAIL == 99, "EADDRNOTAVAIL");
_Static_assert(ENETUNREACH == 101, "ENETUNREACH");
_Static_assert(ECONNRESET == 104, "ECONNRESET");
_Static_assert(EISCONN == 106, "EISCONN");
_Static_assert(ENOTCONN == 107, "ENOTCONN");
_Static_assert(ETIMEDOUT == 110, "ETIMEDOUT");
_Static_assert(ECONNREFUSED == 111, "ECONNREFUSED");
_Static_assert(EHOSTUNREACH == 113, "EHOSTUNREACH");
_Static_assert(EALREADY == 114, "EALREADY");
_Static_assert(EINPROGRESS == 115, "EINPROGRESS");
/* and the others this file meets, as Linux numbers them */
_Static_assert(ENOPROTOOPT == 92, "ENOPROTOOPT");
_Static_assert(EPROTONOSUPPORT == 93, "EPROTONOSUPPORT");
_Static_assert(ESOCKTNOSUPPORT == 94, "ESOCKTNOSUPPORT");
_Static_assert(EOPNOTSUPP == 95, "EOPNOTSUPP");
_Static_assert(EAFNOSUPPORT == 97, "EAFNOSUPPORT");
_Static_assert(ECONNABORTED == 103, "ECONNABORTED");
/* poll bits and fcntl flags as Linux has them */
_Static_assert(POLLIN == 0x1 && POLLOUT == 0x4 && POLLERR == 0x8 && POLLHUP == 0x10, "poll");
_Static_assert(SK_POLLRDHUP == 0x2000, "POLLRDHUP");
_Static_assert(O_RDWR == 02 && O_NONBLOCK == 04000, "fcntl flags");

/* ---- the environment of one test ---- */
struct env {
	struct h *h;
	int a, b;
	struct sk_stack *sa, *sb;
	int fails;
	char ctx[64]; /* printed with a mismatch inside a loop */
};

static int setup_with(void **state, const char *const *knobs_a)
{
	struct env *e = calloc(1, sizeof(*e));
	assert_non_null(e);
	e->h = h_new();
	e->a = h_host(e->h, "a", A_ADDR, knobs_a);
	e->b = h_host(e->h, "b", B_ADDR, NULL);
	e->sa = h_st(e->h, e->a);
	e->sb = h_st(e->h, e->b);
	*state = e;
	return 0;
}

static int setup(void **state) { return setup_with(state, NULL); }

/* Host a with a tiny ephemeral range, for the bind(0)/listen() tests. */
static int setup_small_range(void **state)
{
	static const char *const knobs[] = { "ip_local_port_range=40000 40003", NULL };
	return setup_with(state, knobs);
}

static int teardown(void **state)
{
	struct env *e = *state;
	h_free(e->h);
	free(e);
	return 0;
}

static const char *ename(long v)
{
	if (v >= 0)
		return "ok";
	const char *n = strerrorname_np((int)-v);
	return n ? n : "?";
}

static void check_eq(struct env *e, int line, const char *what, long got, long want)
{
	if (got == want)
		return;
	print_message("line %d%s%s: %s = %ld (%s), Linux: %ld (%s)\n", line, e->ctx[0] ? ", " : "",
		      e->ctx, what, got, ename(got), want, ename(want));
	e->fails++;
}

/* got == want; on mismatch the line is printed and the test fails at the end */
#define CHECK(e, got, want) check_eq((e), __LINE__, #got, (long)(got), (long)(want))

static void done(struct env *e)
{
	if (e->fails)
		fail_msg("%d deviation(s) from Linux, listed above", e->fails);
}

/* ---- a snapshot of everything a user can see of a host ---- */
#define SNAP_MAX 24

struct fdsnap {
	struct sk_sockinfo info;
	int tcp_state;
	int name_rc, peer_rc;
	struct sockaddr_in name, peer;
	int poll, fl;
	int reuse, keepalive, rcvbuf, sndbuf, nodelay, maxseg, keepidle;
	struct linger linger;
};

struct snap {
	int n;              /* sockets and connections (sk_foreach_socket) */
	int npkts;          /* packets the hosts have sent */
	int nstates;        /* state changes logged */
	int nsigpipe;       /* SIGPIPEs the stack reported */
	struct fdsnap s[SNAP_MAX];
};

static void snap_cb(void *ctx, const struct sk_sockinfo *info)
{
	struct snap *sn = ctx;
	if (sn->n < SNAP_MAX)
		sn->s[sn->n].info = *info;
	sn->n++;
}

static int opt_int(struct sk_stack *st, int fd, int level, int name)
{
	int v = -12345;
	socklen_t len = sizeof(v);
	int rc = sk_getsockopt(st, fd, level, name, &v, &len);
	return rc ? rc : v;
}

static void take_snap(struct env *e, int host, struct snap *sn)
{
	struct sk_stack *st = h_st(e->h, host);
	memset(sn, 0, sizeof(*sn));
	sk_foreach_socket(st, snap_cb, sn);
	assert_true(sn->n <= SNAP_MAX);
	sn->npkts = e->h->npkts;
	for (int i = 0; i < e->h->nevents; i++) {
		const struct h_event *ev = &e->h->events[i];
		if (ev->host != host)
			continue;
		sn->nstates += ev->ev.kind == SK_EV_STATE;
		sn->nsigpipe += ev->ev.kind == SK_EV_SIGPIPE;
	}
	for (int i = 0; i < sn->n; i++) {
		struct fdsnap *f = &sn->s[i];
		int fd = f->info.fd;
		if (fd < 0)
			continue;
		struct tcp_info ti;
		socklen_t len = sizeof(ti);
		assert_int_equal(sk_getsockopt(st, fd, IPPROTO_TCP, TCP_INFO, &ti, &len), 0);
		f->tcp_state = ti.tcpi_state;
		len = sizeof(f->name);
		f->name_rc = sk_getsockname(st, fd, (struct sockaddr *)&f->name, &len);
		len = sizeof(f->peer);
		f->peer_rc = sk_getpeername(st, fd, (struct sockaddr *)&f->peer, &len);
		f->poll = sk_poll(st, fd, POLLIN | POLLOUT | SK_POLLRDHUP);
		f->fl = sk_fcntl_getfl(st, fd);
		f->reuse = opt_int(st, fd, SOL_SOCKET, SO_REUSEADDR);
		f->keepalive = opt_int(st, fd, SOL_SOCKET, SO_KEEPALIVE);
		f->rcvbuf = opt_int(st, fd, SOL_SOCKET, SO_RCVBUF);
		f->sndbuf = opt_int(st, fd, SOL_SOCKET, SO_SNDBUF);
		f->nodelay = opt_int(st, fd, IPPROTO_TCP, TCP_NODELAY);
		f->maxseg = opt_int(st, fd, IPPROTO_TCP, TCP_MAXSEG);
		f->keepidle = opt_int(st, fd, IPPROTO_TCP, TCP_KEEPIDLE);
		len = sizeof(f->linger);
		sk_getsockopt(st, fd, SOL_SOCKET, SO_LINGER, &f->linger, &len);
	}
}

static bool info_eq(const struct sk_sockinfo *p, const struct sk_sockinfo *q)
{
	bool timer_eq = (!p->timer && !q->timer) || (p->timer && q->timer && !strcmp(p->timer, q->timer));
	return p->fd == q->fd && p->state == q->state && p->recv_q == q->recv_q &&
	       p->send_q == q->send_q && p->laddr == q->laddr && p->raddr == q->raddr &&
	       p->lport == q->lport && p->rport == q->rport && timer_eq &&
	       p->timer_at_ns == q->timer_at_ns && p->timer_count == q->timer_count;
}

static bool fdsnap_eq(const struct fdsnap *p, const struct fdsnap *q)
{
	return info_eq(&p->info, &q->info) && p->tcp_state == q->tcp_state &&
	       p->name_rc == q->name_rc && p->peer_rc == q->peer_rc &&
	       !memcmp(&p->name, &q->name, sizeof(p->name)) &&
	       !memcmp(&p->peer, &q->peer, sizeof(p->peer)) && p->poll == q->poll &&
	       p->fl == q->fl && p->reuse == q->reuse && p->keepalive == q->keepalive &&
	       p->rcvbuf == q->rcvbuf && p->sndbuf == q->sndbuf && p->nodelay == q->nodelay &&
	       p->maxseg == q->maxseg && p->keepidle == q->keepidle &&
	       p->linger.l_onoff == q->linger.l_onoff && p->linger.l_linger == q->linger.l_linger;
}

static void snap_same(struct env *e, int line, const char *what, const struct snap *x,
		      const struct snap *y)
{
	if (x->n != y->n || x->npkts != y->npkts || x->nstates != y->nstates ||
	    x->nsigpipe != y->nsigpipe) {
		e->fails++;
		print_message("line %d%s%s: %s changed the host: sockets %d -> %d, packets sent %d -> %d, "
			      "state changes %d -> %d, SIGPIPEs %d -> %d\n",
			      line, e->ctx[0] ? ", " : "", e->ctx, what, x->n, y->n, x->npkts, y->npkts, x->nstates, y->nstates,
			      x->nsigpipe, y->nsigpipe);
		return;
	}
	for (int i = 0; i < x->n && i < SNAP_MAX; i++) {
		const struct fdsnap *p = &x->s[i], *q = &y->s[i];
		if (fdsnap_eq(p, q))
			continue;
		e->fails++;
		print_message("line %d%s%s: %s changed fd %d: state %d -> %d (info %d -> %d), name rc %d "
			      "%#x:%u -> rc %d %#x:%u, peer rc %d -> %d, poll %#x -> %#x, fl %#x -> %#x, "
			      "reuse %d -> %d, rcvbuf %d -> %d, sndbuf %d -> %d, maxseg %d -> %d, "
			      "keepidle %d -> %d, linger %d/%d -> %d/%d, queues %u/%u -> %u/%u, "
			      "timer %s %llu -> %s %llu\n",
			      line, e->ctx[0] ? ", " : "", e->ctx, what, p->info.fd, p->tcp_state, q->tcp_state, p->info.state,
			      q->info.state, p->name_rc, ntohl(p->name.sin_addr.s_addr),
			      ntohs(p->name.sin_port), q->name_rc, ntohl(q->name.sin_addr.s_addr),
			      ntohs(q->name.sin_port), p->peer_rc, q->peer_rc, p->poll, q->poll, p->fl,
			      q->fl, p->reuse, q->reuse, p->rcvbuf, q->rcvbuf, p->sndbuf, q->sndbuf,
			      p->maxseg, q->maxseg, p->keepidle, q->keepidle, p->linger.l_onoff,
			      p->linger.l_linger, q->linger.l_onoff, q->linger.l_linger, p->info.recv_q,
			      p->info.send_q, q->info.recv_q, q->info.send_q,
			      p->info.timer ? p->info.timer : "-", (unsigned long long)p->info.timer_at_ns,
			      q->info.timer ? q->info.timer : "-", (unsigned long long)q->info.timer_at_ns);
	}
}

/* The call returns `want` (Linux's answer) and nothing a user can observe
 * on the host changes: sockets, states, addresses, readiness, flags,
 * options, timers, queues, packets sent -- except that `sig` SIGPIPEs are
 * reported (Linux raises SIGPIPE with EPIPE from send unless MSG_NOSIGNAL;
 * measured with a python SIGPIPE handler: one per such call, none with
 * MSG_NOSIGNAL, none for ECONNREFUSED). */
#define SAME_IMPL(e, host, call, text, want, sig)                                \
	do {                                                                     \
		struct snap s0_, s1_;                                            \
		take_snap((e), (host), &s0_);                                    \
		long r_ = (long)(call);                                          \
		check_eq((e), __LINE__, (text), r_, (long)(want));               \
		take_snap((e), (host), &s1_);                                    \
		check_eq((e), __LINE__, "SIGPIPEs reported", s1_.nsigpipe - s0_.nsigpipe, (sig)); \
		s1_.nsigpipe = s0_.nsigpipe;                                     \
		snap_same((e), __LINE__, (text), &s0_, &s1_);                    \
	} while (0)
#define SAME_SIG(e, host, call, want, sig) SAME_IMPL(e, host, call, #call, want, sig)
#define SAME(e, host, call, want) SAME_IMPL(e, host, call, #call, want, 0)

/* ---- helpers ---- */
/* A sockaddr_in in a buffer longer than sockaddr_storage, for lengths
 * over 16; family settable. */
struct bigaddr {
	union {
		struct sockaddr sa;
		struct sockaddr_in in;
		uint8_t raw[256];
	};
};

static const struct sockaddr *big(struct bigaddr *b, int family, uint32_t addr, uint16_t port)
{
	memset(b, 0, sizeof(*b));
	b->in = h_sin(addr, port);
	b->in.sin_family = (sa_family_t)family;
	return &b->sa;
}

static int do_bind(struct sk_stack *st, int fd, uint32_t addr, uint16_t port)
{
	struct sockaddr_in a = h_sin(addr, port);
	return sk_bind(st, fd, (struct sockaddr *)&a, sizeof(a));
}

static int do_connect(struct sk_stack *st, int fd, uint32_t addr, uint16_t port)
{
	struct sockaddr_in a = h_sin(addr, port);
	return sk_connect(st, fd, (struct sockaddr *)&a, sizeof(a));
}

static int new_sock(struct sk_stack *st)
{
	int fd = sk_socket(st, AF_INET, SOCK_STREAM, 0);
	assert_true(fd >= 3);
	return fd;
}

static int set_int(struct sk_stack *st, int fd, int level, int name, int v)
{
	return sk_setsockopt(st, fd, level, name, &v, sizeof(v));
}

/* getsockname / getpeername: rc, and address and port through pointers */
static int name_of(struct sk_stack *st, int fd, int peer, uint32_t *addr, uint16_t *port)
{
	struct sockaddr_in a;
	memset(&a, 0xee, sizeof(a));
	socklen_t len = sizeof(a);
	int rc = peer ? sk_getpeername(st, fd, (struct sockaddr *)&a, &len)
		      : sk_getsockname(st, fd, (struct sockaddr *)&a, &len);
	if (rc)
		return rc;
	assert_int_equal(len, sizeof(a));
	assert_int_equal(a.sin_family, AF_INET);
	*addr = ntohl(a.sin_addr.s_addr);
	*port = ntohs(a.sin_port);
	return 0;
}

static uint16_t port_of(struct sk_stack *st, int fd)
{
	uint32_t addr;
	uint16_t port = 0;
	assert_int_equal(name_of(st, fd, 0, &addr, &port), 0);
	return port;
}

static uint32_t addr_of(struct sk_stack *st, int fd)
{
	uint32_t addr = 1;
	uint16_t port;
	assert_int_equal(name_of(st, fd, 0, &addr, &port), 0);
	return addr;
}

struct backlog_ctx {
	int fd;
	long backlog;
};

static void backlog_cb(void *ctx, const struct sk_sockinfo *i)
{
	struct backlog_ctx *c = ctx;
	if (i->fd == c->fd && i->state == SK_TCP_LISTEN)
		c->backlog = i->send_q;
}

/* The listener's backlog as `ss -ltn` shows it (Send-Q). */
static long backlog_of(struct sk_stack *st, int fd)
{
	struct backlog_ctx c = { fd, -1 };
	sk_foreach_socket(st, backlog_cb, &c);
	return c.backlog;
}

/* An established pair: a socket on a connected to a listener on b. */
static void est_pair(struct env *e, uint16_t port, int *cfd, int *afd)
{
	int lfd = h_listen(e->h, e->b, port, 16);
	*cfd = h_connect(e->h, e->a, B_ADDR, port);
	h_run_for(e->h, MS(1));
	*afd = sk_accept(e->sb, lfd, NULL, NULL);
	assert_true(*afd >= 0);
	assert_int_equal(h_state(e->h, e->a, *cfd), SK_TCP_ESTABLISHED);
	assert_int_equal(sk_close(e->sb, lfd), 0);
}

/* ================================================================== */

/* E: socket() arguments. Linux checks in this order (__sys_socket,
 * __sock_create, inet_create): flag bits outside SOCK_NONBLOCK|SOCK_CLOEXEC
 * EINVAL, family EAFNOSUPPORT, type >= SOCK_MAX EINVAL, protocol < 0 or
 * >= IPPROTO_MAX EINVAL, a type the family lacks ESOCKTNOSUPPORT, a
 * protocol no entry of the type matches EPROTONOSUPPORT. A failing socket()
 * takes no descriptor. */
static void e_socket_args(void **state)
{
	struct env *e = *state;
	struct sk_stack *st = e->sa;
	/* Linux (measured) */
	SAME(e, e->a, sk_socket(st, 12345, SOCK_STREAM, 0), -EAFNOSUPPORT);
	SAME(e, e->a, sk_socket(st, -1, SOCK_STREAM, 0), -EAFNOSUPPORT);
	SAME(e, e->a, sk_socket(st, AF_INET, SOCK_SEQPACKET, 0), -ESOCKTNOSUPPORT);
	SAME(e, e->a, sk_socket(st, AF_INET, SOCK_SEQPACKET, IPPROTO_TCP), -ESOCKTNOSUPPORT);
	SAME(e, e->a, sk_socket(st, AF_INET, 0, 0), -ESOCKTNOSUPPORT);
	SAME(e, e->a, sk_socket(st, AF_INET, 0, IPPROTO_TCP), -ESOCKTNOSUPPORT);
	SAME(e, e->a, sk_socket(st, AF_INET, 11, 0), -EINVAL);   /* SOCK_MAX */
	SAME(e, e->a, sk_socket(st, AF_INET, 15, 0), -EINVAL);
	SAME(e, e->a, sk_socket(st, AF_INET, -1, 0), -EINVAL);
	SAME(e, e->a, sk_socket(st, AF_INET, SOCK_STREAM | 0x100, 0), -EINVAL);
	SAME(e, e->a, sk_socket(st, 12345, SOCK_STREAM | 0x100, 0), -EINVAL); /* flags first */
	SAME(e, e->a, sk_socket(st, AF_INET, SOCK_DGRAM, IPPROTO_TCP), -EPROTONOSUPPORT);
	SAME(e, e->a, sk_socket(st, AF_INET, SOCK_RAW, 0), -EPROTONOSUPPORT);
	SAME(e, e->a, sk_socket(st, AF_INET, SOCK_STREAM, IPPROTO_UDP), -EPROTONOSUPPORT);
	SAME(e, e->a, sk_socket(st, AF_INET, SOCK_STREAM, 99), -EPROTONOSUPPORT);
	SAME(e, e->a, sk_socket(st, AF_INET, SOCK_STREAM, 256), -EPROTONOSUPPORT);
	SAME(e, e->a, sk_socket(st, AF_INET, SOCK_STREAM, -1), -EINVAL);
	/* synack is TCP only: where Linux would make a UDP socket it answers
	 * as Linux does for a type its family lacks (not a Linux figure) */
	SAME(e, e->a, sk_socket(st, AF_INET, SOCK_DGRAM, 0), -ESOCKTNOSUPPORT);
	/* IPv4 only: AF_INET6 gets what a Linux built without IPv6 answers */
	SAME(e, e->a, sk_socket(st, AF_INET6, SOCK_STREAM, 0), -EAFNOSUPPORT);
	CHECK(e, h_nsockets(e->h, e->a), 0);
	/* what works: Linux gave 3 then 4 */
	CHECK(e, sk_socket(st, AF_INET, SOCK_STREAM, 0), 3);
	CHECK(e, sk_socket(st, AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_TCP), 4);
	CHECK(e, sk_fcntl_getfl(st, 3), O_RDWR);
	CHECK(e, sk_fcntl_getfl(st, 4), O_RDWR | O_NONBLOCK);
	CHECK(e, h_state(e->h, e->a, 3), SK_TCP_CLOSE);
	CHECK(e, opt_int(st, 3, SOL_SOCKET, SO_TYPE), SOCK_STREAM);
	done(e);
}

/* E: descriptors start at 3 and the lowest free one is reused, by socket()
 * and accept() alike (Linux: 3, 4, 5, 6; close 5 -> next is 5). */
static void e_descriptor_numbers(void **state)
{
	struct env *e = *state;
	struct sk_stack *st = e->sa;
	for (int i = 3; i <= 8; i++)
		CHECK(e, sk_socket(st, AF_INET, SOCK_STREAM, 0), i);
	CHECK(e, sk_close(st, 5), 0);
	CHECK(e, sk_socket(st, AF_INET, SOCK_STREAM, 0), 5);
	CHECK(e, sk_close(st, 7), 0);
	CHECK(e, sk_close(st, 3), 0);
	CHECK(e, sk_socket(st, AF_INET, SOCK_STREAM, 0), 3);
	CHECK(e, sk_socket(st, AF_INET, SOCK_STREAM, 0), 7);
	CHECK(e, sk_socket(st, AF_INET, SOCK_STREAM, 0), 9);
	/* accept takes the lowest free number too */
	int lfd = h_listen(e->h, e->a, 80, 16);
	CHECK(e, lfd, 10);
	h_connect(e->h, e->b, A_ADDR, 80);
	h_run_for(e->h, MS(1));
	CHECK(e, sk_close(st, 4), 0);
	CHECK(e, sk_accept(st, lfd, NULL, NULL), 4);
	/* past the first 64 */
	for (int i = 11; i < 70; i++)
		CHECK(e, sk_socket(st, AF_INET, SOCK_STREAM, 0), i);
	CHECK(e, sk_close(st, 6), 0);
	CHECK(e, sk_socket(st, AF_INET, SOCK_STREAM, 0), 6);
	CHECK(e, sk_socket(st, AF_INET, SOCK_STREAM, 0), 70);
	done(e);
}

/* E: every call on a descriptor that is not an open socket of this host
 * gives EBADF, checked before any other argument (Linux: bind(-1, addr,
 * len 1), shutdown(-1, 9), setsockopt(-1, level 9999) are all EBADF), and
 * changes nothing. In Linux 0, 1 and 2 give ENOTSOCK when they are an
 * open file (stdin...); the stack has no such files: for it they are not
 * open, hence EBADF. poll is the stack's own call (documented -EBADF; poll(2)
 * reports POLLNVAL instead). */
static void e_bad_descriptor(void **state)
{
	struct env *e = *state;
	struct sk_stack *st = e->sa;
	/* live sockets that must not be touched */
	int lfd = h_listen(e->h, e->a, 80, 16);
	int fresh = new_sock(st);
	int closed = new_sock(st);
	assert_int_equal(sk_close(st, closed), 0);
	(void)lfd;
	(void)fresh;
	const int bad[] = { -1, 0, 1, 2, closed, 63, 64, 999, INT_MAX, INT_MIN };
	struct sockaddr_in a = h_sin(B_ADDR, 80), out;
	socklen_t len;
	int one = 1;
	char buf[8];
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int fd = bad[i];
		snprintf(e->ctx, sizeof(e->ctx), "fd %d", fd);
		SAME(e, e->a, sk_bind(st, fd, (struct sockaddr *)&a, sizeof(a)), -EBADF);
		SAME(e, e->a, sk_bind(st, fd, (struct sockaddr *)&a, 1), -EBADF);
		SAME(e, e->a, sk_bind(st, fd, (struct sockaddr *)&a, (socklen_t)-1), -EBADF);
		SAME(e, e->a, sk_listen(st, fd, 5), -EBADF);
		SAME(e, e->a, sk_accept(st, fd, NULL, NULL), -EBADF);
		len = sizeof(out);
		SAME(e, e->a, sk_accept(st, fd, (struct sockaddr *)&out, &len), -EBADF);
		SAME(e, e->a, sk_connect(st, fd, (struct sockaddr *)&a, sizeof(a)), -EBADF);
		SAME(e, e->a, sk_connect(st, fd, (struct sockaddr *)&a, 1), -EBADF);
		SAME(e, e->a, sk_send(st, fd, "x", 1, 0), -EBADF);
		SAME(e, e->a, sk_send(st, fd, "", 0, 0), -EBADF);
		SAME(e, e->a, sk_recv(st, fd, buf, sizeof(buf), 0), -EBADF);
		SAME(e, e->a, sk_recv(st, fd, buf, 0, 0), -EBADF);
		SAME(e, e->a, sk_shutdown(st, fd, SHUT_WR), -EBADF);
		SAME(e, e->a, sk_shutdown(st, fd, 9), -EBADF);
		SAME(e, e->a, sk_close(st, fd), -EBADF);
		SAME(e, e->a, sk_setsockopt(st, fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)), -EBADF);
		SAME(e, e->a, sk_setsockopt(st, fd, 9999, 1, &one, sizeof(one)), -EBADF);
		len = sizeof(one);
		SAME(e, e->a, sk_getsockopt(st, fd, SOL_SOCKET, SO_REUSEADDR, &one, &len), -EBADF);
		len = sizeof(out);
		SAME(e, e->a, sk_getsockname(st, fd, (struct sockaddr *)&out, &len), -EBADF);
		len = sizeof(out);
		SAME(e, e->a, sk_getpeername(st, fd, (struct sockaddr *)&out, &len), -EBADF);
		SAME(e, e->a, sk_fcntl_getfl(st, fd), -EBADF);
		SAME(e, e->a, sk_fcntl_setfl(st, fd, O_NONBLOCK), -EBADF);
		SAME(e, e->a, sk_poll(st, fd, POLLIN | POLLOUT), -EBADF);
	}
	e->ctx[0] = 0;
	done(e);
}

/* One bad bind on a brand-new socket (so that a wrong success cannot
 * spoil the next case): Linux's errno, nothing changes, the socket stays
 * unbound (getsockname 0.0.0.0:0) and a good bind still works. */
static void bind_fails(struct env *e, int line, int family, uint32_t addr, socklen_t len, int want)
{
	struct sk_stack *st = e->sa;
	struct bigaddr b;
	char what[96];
	snprintf(what, sizeof(what), "bind(family %d, %#x:7777, len %d)", family, addr, (int)len);
	int fd = new_sock(st);
	struct snap s0, s1;
	take_snap(e, e->a, &s0);
	check_eq(e, line, what, sk_bind(st, fd, big(&b, family, addr, 7777), len), want);
	take_snap(e, e->a, &s1);
	snap_same(e, line, what, &s0, &s1);
	check_eq(e, line, "then bind(10.0.0.1:7778)", do_bind(st, fd, A_ADDR, 7778), 0);
	check_eq(e, line, "then the port", port_of(st, fd), 7778);
	assert_int_equal(sk_close(st, fd), 0);
}

/* E: bind's errors, in Linux's order (move_addr_to_kernel, inet_bind,
 * __inet_bind): length outside 16..128 EINVAL; family not AF_INET
 * EAFNOSUPPORT (AF_UNSPEC allowed with 0.0.0.0); an address not ours
 * EADDRNOTAVAIL; already bound (or not CLOSE) EINVAL. Each failure leaves
 * the socket unbound (getsockname 0.0.0.0:0) and a later good bind works. */
static void e_bind_args(void **state)
{
	struct env *e = *state;
	struct sk_stack *st = e->sa;
	struct bigaddr b;
	/* Linux: len 15, 1, 0, -1, 129, 200 -> EINVAL */
	bind_fails(e, __LINE__, AF_INET, A_ADDR, 15, -EINVAL);
	bind_fails(e, __LINE__, AF_INET, A_ADDR, 1, -EINVAL);
	bind_fails(e, __LINE__, AF_INET, A_ADDR, 0, -EINVAL);
	bind_fails(e, __LINE__, AF_INET, A_ADDR, (socklen_t)-1, -EINVAL);
	bind_fails(e, __LINE__, AF_INET, A_ADDR, 129, -EINVAL);
	bind_fails(e, __LINE__, AF_INET, A_ADDR, 200, -EINVAL);
	/* Linux: AF_INET6 in a 16-byte sockaddr_in -> EAFNOSUPPORT; AF_UNSPEC
	 * with 127.0.0.1 -> EAFNOSUPPORT; AF_INET6 with a foreign address ->
	 * EAFNOSUPPORT (family before address) */
	bind_fails(e, __LINE__, AF_INET6, A_ADDR, 16, -EAFNOSUPPORT);
	bind_fails(e, __LINE__, AF_UNSPEC, A_ADDR, 16, -EAFNOSUPPORT);
	bind_fails(e, __LINE__, AF_INET6, NOBODY, 16, -EAFNOSUPPORT);
	/* Linux: 10.99.99.99 -> EADDRNOTAVAIL; with len 8 -> EINVAL (length first) */
	bind_fails(e, __LINE__, AF_INET, NOBODY, 16, -EADDRNOTAVAIL);
	bind_fails(e, __LINE__, AF_INET, B_ADDR, 16, -EADDRNOTAVAIL);
	bind_fails(e, __LINE__, AF_INET, NOBODY, 8, -EINVAL);

	/* all of them in a row on one socket: still unbound, then binds */
	int fd = new_sock(st);
	SAME(e, e->a, sk_bind(st, fd, big(&b, AF_INET, A_ADDR, 5555), 15), -EINVAL);
	SAME(e, e->a, sk_bind(st, fd, big(&b, AF_INET6, A_ADDR, 5555), 16), -EAFNOSUPPORT);
	SAME(e, e->a, sk_bind(st, fd, big(&b, AF_INET, NOBODY, 5555), 16), -EADDRNOTAVAIL);
	uint32_t addr = 1;
	uint16_t port = 1;
	CHECK(e, name_of(st, fd, 0, &addr, &port), 0);
	CHECK(e, addr, 0);
	CHECK(e, port, 0);
	CHECK(e, do_bind(st, fd, A_ADDR, 5555), 0);
	CHECK(e, addr_of(st, fd), A_ADDR);
	CHECK(e, port_of(st, fd), 5555);
	/* Linux, bound socket: same address, other port, port 0 -> EINVAL;
	 * foreign address EADDRNOTAVAIL, AF_INET6 EAFNOSUPPORT, short EINVAL
	 * (inet_bind checks the address before "already bound") */
	SAME(e, e->a, do_bind(st, fd, A_ADDR, 5555), -EINVAL);
	SAME(e, e->a, do_bind(st, fd, A_ADDR, 5556), -EINVAL);
	SAME(e, e->a, do_bind(st, fd, A_ADDR, 0), -EINVAL);
	SAME(e, e->a, do_bind(st, fd, INADDR_ANY, 5556), -EINVAL);
	SAME(e, e->a, sk_bind(st, fd, big(&b, AF_INET, NOBODY, 5556), 16), -EADDRNOTAVAIL);
	SAME(e, e->a, sk_bind(st, fd, big(&b, AF_INET6, A_ADDR, 5556), 16), -EAFNOSUPPORT);
	SAME(e, e->a, sk_bind(st, fd, big(&b, AF_INET, A_ADDR, 5556), 4), -EINVAL);
	CHECK(e, port_of(st, fd), 5555);

	/* Linux: len 128 is accepted (sizeof(struct sockaddr_storage)) */
	int fd2 = new_sock(st);
	CHECK(e, sk_bind(st, fd2, big(&b, AF_INET, A_ADDR, 5557), 128), 0);
	CHECK(e, port_of(st, fd2), 5557);
	/* Linux: AF_UNSPEC with 0.0.0.0 binds like AF_INET (getsockname
	 * 0.0.0.0:port, family AF_INET) */
	int fd3 = new_sock(st);
	CHECK(e, sk_bind(st, fd3, big(&b, AF_UNSPEC, INADDR_ANY, 5558), 16), 0);
	addr = 1;
	CHECK(e, name_of(st, fd3, 0, &addr, &port), 0);
	CHECK(e, addr, INADDR_ANY);
	CHECK(e, port, 5558);
	/* Linux: sin_zero is not looked at */
	int fd4 = new_sock(st);
	big(&b, AF_INET, A_ADDR, 5559);
	memset(b.in.sin_zero, 0xff, sizeof(b.in.sin_zero));
	CHECK(e, sk_bind(st, fd4, &b.sa, 16), 0);
	/* bind on a listener: Linux EINVAL */
	int lfd = h_listen(e->h, e->a, 80, 5);
	SAME(e, e->a, do_bind(st, lfd, A_ADDR, 5600), -EINVAL);
	done(e);
}

/* E, C9: EADDRINUSE and SO_REUSEADDR. Linux: a port bound without
 * SO_REUSEADDR cannot be bound again (to the address or to 0.0.0.0); with
 * SO_REUSEADDR on both sockets it can, unless the holder listens; if only
 * one side has it, EADDRINUSE either way round. The loser stays unbound. */
static void e_bind_addrinuse(void **state)
{
	struct env *e = *state;
	struct sk_stack *st = e->sa;
	int x = new_sock(st), y = new_sock(st);
	CHECK(e, do_bind(st, x, A_ADDR, 7001), 0);
	SAME(e, e->a, do_bind(st, y, A_ADDR, 7001), -EADDRINUSE);
	SAME(e, e->a, do_bind(st, y, INADDR_ANY, 7001), -EADDRINUSE);
	uint32_t addr = 1;
	uint16_t port = 1;
	CHECK(e, name_of(st, y, 0, &addr, &port), 0);
	CHECK(e, addr, 0);
	CHECK(e, port, 0);
	CHECK(e, do_bind(st, y, A_ADDR, 7003), 0); /* the failure left it unbound */
	CHECK(e, port_of(st, y), 7003);

	/* both SO_REUSEADDR, neither listening: allowed (Linux 0, 0) */
	int r1 = new_sock(st), r2 = new_sock(st), r3 = new_sock(st), r4 = new_sock(st);
	CHECK(e, set_int(st, r1, SOL_SOCKET, SO_REUSEADDR, 1), 0);
	CHECK(e, set_int(st, r2, SOL_SOCKET, SO_REUSEADDR, 1), 0);
	CHECK(e, set_int(st, r3, SOL_SOCKET, SO_REUSEADDR, 1), 0);
	CHECK(e, do_bind(st, r1, INADDR_ANY, 6000), 0);
	CHECK(e, do_bind(st, r2, INADDR_ANY, 6000), 0);
	/* one listens: Linux lets it; the other cannot listen too
	 * (EADDRINUSE, stays CLOSE and keeps its port), and a third
	 * SO_REUSEADDR socket cannot bind while it listens, nor one without */
	CHECK(e, sk_listen(st, r1, 5), 0);
	SAME(e, e->a, sk_listen(st, r2, 5), -EADDRINUSE);
	CHECK(e, h_state(e->h, e->a, r2), SK_TCP_CLOSE);
	CHECK(e, port_of(st, r2), 6000);
	SAME(e, e->a, do_bind(st, r3, INADDR_ANY, 6000), -EADDRINUSE);
	SAME(e, e->a, do_bind(st, r4, INADDR_ANY, 6000), -EADDRINUSE);

	/* only one side has SO_REUSEADDR: EADDRINUSE in both orders */
	int p1 = new_sock(st), p2 = new_sock(st), q1 = new_sock(st), q2 = new_sock(st);
	CHECK(e, set_int(st, p1, SOL_SOCKET, SO_REUSEADDR, 1), 0);
	CHECK(e, do_bind(st, p1, A_ADDR, 6100), 0);
	SAME(e, e->a, do_bind(st, p2, A_ADDR, 6100), -EADDRINUSE);
	CHECK(e, set_int(st, q2, SOL_SOCKET, SO_REUSEADDR, 1), 0);
	CHECK(e, do_bind(st, q1, A_ADDR, 6200), 0);
	SAME(e, e->a, do_bind(st, q2, A_ADDR, 6200), -EADDRINUSE);

	/* a listener without SO_REUSEADDR: nobody else, reuse or not */
	int l = h_listen(e->h, e->a, 6300, 5);
	(void)l;
	int j = new_sock(st);
	SAME(e, e->a, do_bind(st, j, A_ADDR, 6300), -EADDRINUSE);
	CHECK(e, set_int(st, j, SOL_SOCKET, SO_REUSEADDR, 1), 0);
	SAME(e, e->a, do_bind(st, j, A_ADDR, 6300), -EADDRINUSE);
	done(e);
}

/* E: bind to port 0 and listen() on an unbound socket pick an ephemeral
 * port. Linux (ip_local_port_range 40000 40003, in a fresh netns): odd
 * ports first (40001 and 40003, in an order of its choice), then even ones,
 * then EADDRINUSE, which leaves the socket unbound and, for listen, CLOSE.
 * With the default range, 40 bind(0) calls all gave odd ports in
 * 32768..60999. */
static void e_bind_port_zero(void **state)
{
	struct env *e = *state;
	struct sk_stack *st = e->sa;
	int fds[4];
	uint16_t ports[4];
	for (int i = 0; i < 4; i++) {
		fds[i] = new_sock(st);
		CHECK(e, do_bind(st, fds[i], A_ADDR, 0), 0);
		ports[i] = port_of(st, fds[i]);
	}
	CHECK(e, (ports[0] == 40001 && ports[1] == 40003) || (ports[0] == 40003 && ports[1] == 40001), 1);
	CHECK(e, (ports[2] == 40000 && ports[3] == 40002) || (ports[2] == 40002 && ports[3] == 40000), 1);
	int x = new_sock(st);
	SAME(e, e->a, do_bind(st, x, A_ADDR, 0), -EADDRINUSE);
	CHECK(e, port_of(st, x), 0);
	SAME(e, e->a, sk_listen(st, x, 5), -EADDRINUSE);
	CHECK(e, h_state(e->h, e->a, x), SK_TCP_CLOSE);
	/* the failed socket can still bind once a port is free */
	CHECK(e, sk_close(st, fds[1]), 0);
	CHECK(e, do_bind(st, x, A_ADDR, 0), 0);
	CHECK(e, port_of(st, x), ports[1]);
	/* a bound port is a bound port: explicit bind to it is refused */
	int y = new_sock(st);
	SAME(e, e->a, do_bind(st, y, A_ADDR, ports[0]), -EADDRINUSE);
	for (int i = 0; i < 4; i++)
		if (i != 1)
			CHECK(e, sk_close(st, fds[i]), 0);
	CHECK(e, sk_close(st, x), 0);
	/* listen() on an unbound socket: Linux 40003, 40001, 40002, 40000,
	 * then EADDRINUSE with the socket still CLOSE */
	for (int i = 0; i < 4; i++) {
		fds[i] = new_sock(st);
		CHECK(e, sk_listen(st, fds[i], 5), 0);
		CHECK(e, h_state(e->h, e->a, fds[i]), SK_TCP_LISTEN);
		ports[i] = port_of(st, fds[i]);
		CHECK(e, addr_of(st, fds[i]), INADDR_ANY);
	}
	CHECK(e, (ports[0] & 1) && (ports[1] & 1) && ports[0] != ports[1], 1);
	CHECK(e, !(ports[2] & 1) && !(ports[3] & 1) && ports[2] != ports[3], 1);
	x = new_sock(st);
	SAME(e, e->a, sk_listen(st, x, 5), -EADDRINUSE);
	CHECK(e, h_state(e->h, e->a, x), SK_TCP_CLOSE);
	done(e);
}

/* E: with the default range, bind(0) gives odd ports in 32768..60999,
 * all different (Linux: 40 of 40 odd, between 32995 and 59785). */
static void e_bind_port_zero_default_range(void **state)
{
	struct env *e = *state;
	struct sk_stack *st = e->sa;
	uint16_t seen[40];
	for (int i = 0; i < 40; i++) {
		int fd = new_sock(st);
		CHECK(e, do_bind(st, fd, A_ADDR, 0), 0);
		uint16_t p = port_of(st, fd);
		seen[i] = p;
		CHECK(e, p >= 32768 && p <= 60999, 1);
		CHECK(e, p & 1, 1);
		for (int k = 0; k < i; k++)
			CHECK(e, seen[k] != p, 1);
	}
	done(e);
}

/* E: listen(). Linux: a second listen() succeeds and sets the new backlog
 * (ss Send-Q 5 -> 10; -1 and 100000 -> somaxconn 4096; 0 -> 0); listen on
 * a connected or connecting socket is EINVAL; listen on an unbound socket
 * binds it to an ephemeral port on 0.0.0.0. */
static void e_listen(void **state)
{
	struct env *e = *state;
	struct sk_stack *st = e->sa;
	int k = new_sock(st);
	CHECK(e, do_bind(st, k, A_ADDR, 6400), 0);
	CHECK(e, sk_listen(st, k, 5), 0);
	CHECK(e, backlog_of(st, k), 5);
	CHECK(e, sk_listen(st, k, 10), 0);
	CHECK(e, backlog_of(st, k), 10);
	CHECK(e, sk_listen(st, k, -1), 0);
	CHECK(e, backlog_of(st, k), 4096);
	CHECK(e, sk_listen(st, k, 100000), 0);
	CHECK(e, backlog_of(st, k), 4096);
	CHECK(e, sk_listen(st, k, 0), 0);
	CHECK(e, backlog_of(st, k), 0);
	CHECK(e, h_state(e->h, e->a, k), SK_TCP_LISTEN);
	CHECK(e, port_of(st, k), 6400);
	CHECK(e, opt_int(st, k, SOL_SOCKET, SO_ACCEPTCONN), 1);

	/* unbound: auto-bind, odd port in the default range, 0.0.0.0 */
	int m = new_sock(st);
	CHECK(e, opt_int(st, m, SOL_SOCKET, SO_ACCEPTCONN), 0);
	CHECK(e, sk_listen(st, m, 5), 0);
	uint16_t p = port_of(st, m);
	CHECK(e, p >= 32768 && p <= 60999 && (p & 1), 1);
	CHECK(e, addr_of(st, m), INADDR_ANY);

	/* connected: EINVAL (Linux) */
	int c, afd;
	est_pair(e, 80, &c, &afd);
	SAME(e, e->a, sk_listen(st, c, 5), -EINVAL);
	/* connecting (SYN_SENT): EINVAL (Linux) */
	int s2 = h_connect(e->h, e->a, NOBODY, 80);
	h_run_for(e->h, MS(1));
	CHECK(e, h_state(e->h, e->a, s2), SK_TCP_SYN_SENT);
	SAME(e, e->a, sk_listen(st, s2, 5), -EINVAL);
	done(e);
}

/* E: accept(). Linux: on a socket that does not listen (fresh, bound,
 * connected, connecting) EINVAL; nothing queued EAGAIN; the peer's address
 * with length 16, truncated to the caller's length which then says 16; the
 * accepted socket is blocking even when the listener is not (accept, not
 * accept4); poll on a listener: 0, POLLIN with a connection waiting, 0
 * again after accept. */
static void e_accept(void **state)
{
	struct env *e = *state;
	struct sk_stack *st = e->sa;
	struct sockaddr_in out;
	socklen_t len;
	int fresh = new_sock(st);
	SAME(e, e->a, sk_accept(st, fresh, NULL, NULL), -EINVAL);
	int bound = new_sock(st);
	CHECK(e, do_bind(st, bound, A_ADDR, 6500), 0);
	SAME(e, e->a, sk_accept(st, bound, NULL, NULL), -EINVAL);

	int lfd = sk_socket(st, AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	CHECK(e, do_bind(st, lfd, INADDR_ANY, 80), 0);
	CHECK(e, sk_listen(st, lfd, 5), 0);
	len = sizeof(out);
	SAME(e, e->a, sk_accept(st, lfd, (struct sockaddr *)&out, &len), -EAGAIN);
	SAME(e, e->a, sk_accept(st, lfd, NULL, NULL), -EAGAIN);
	CHECK(e, sk_poll(st, lfd, EVENTS_ALL), 0);

	int c1 = h_connect(e->h, e->b, A_ADDR, 80);
	h_run_for(e->h, MS(1));
	CHECK(e, sk_poll(st, lfd, EVENTS_ALL), POLLIN);
	CHECK(e, sk_poll(st, lfd, POLLOUT), 0);
	memset(&out, 0xee, sizeof(out));
	len = sizeof(out);
	int a1 = sk_accept(st, lfd, (struct sockaddr *)&out, &len);
	CHECK(e, a1 >= 0, 1);
	CHECK(e, len, 16);
	CHECK(e, out.sin_family, AF_INET);
	CHECK(e, ntohl(out.sin_addr.s_addr), B_ADDR);
	CHECK(e, ntohs(out.sin_port), port_of(e->sb, c1));
	CHECK(e, sk_poll(st, lfd, EVENTS_ALL), 0);
	CHECK(e, sk_fcntl_getfl(st, a1), O_RDWR);
	CHECK(e, h_state(e->h, e->a, a1), SK_TCP_ESTABLISHED);
	uint32_t addr;
	uint16_t port;
	CHECK(e, name_of(st, a1, 0, &addr, &port), 0);
	CHECK(e, addr, A_ADDR);
	CHECK(e, port, 80);
	CHECK(e, name_of(st, a1, 1, &addr, &port), 0);
	CHECK(e, addr, B_ADDR);
	CHECK(e, port, port_of(e->sb, c1));
	CHECK(e, opt_int(st, a1, IPPROTO_TCP, TCP_MAXSEG), 1448); /* Linux, MTU 1500 */
	/* accept on the accepted (connected) socket: EINVAL */
	SAME(e, e->a, sk_accept(st, a1, NULL, NULL), -EINVAL);

	/* length 4: family and port only; the length says 16 */
	int c2 = h_connect(e->h, e->b, A_ADDR, 80);
	h_run_for(e->h, MS(1));
	uint8_t raw[32];
	memset(raw, 0xee, sizeof(raw));
	len = 4;
	int a2 = sk_accept(st, lfd, (struct sockaddr *)raw, &len);
	CHECK(e, a2 >= 0, 1);
	CHECK(e, len, 16);
	uint16_t fam;
	memcpy(&fam, raw, 2);
	CHECK(e, fam, AF_INET);
	CHECK(e, (raw[2] << 8) | raw[3], port_of(e->sb, c2));
	CHECK(e, raw[4], 0xee);
	/* length 0: nothing written, the length says 16 */
	h_connect(e->h, e->b, A_ADDR, 80);
	h_run_for(e->h, MS(1));
	memset(raw, 0xee, sizeof(raw));
	len = 0;
	CHECK(e, sk_accept(st, lfd, (struct sockaddr *)raw, &len) >= 0, 1);
	CHECK(e, len, 16);
	CHECK(e, raw[0], 0xee);
	/* a negative length: Linux EINVAL (it has already taken the
	 * connection off the queue by then and drops it; only the errno is
	 * checked here) */
	h_connect(e->h, e->b, A_ADDR, 80);
	h_run_for(e->h, MS(1));
	len = (socklen_t)-1;
	CHECK(e, sk_accept(st, lfd, (struct sockaddr *)&out, &len), -EINVAL);

	/* connecting socket: EINVAL */
	int s2 = h_connect(e->h, e->a, NOBODY, 80);
	h_run_for(e->h, MS(1));
	SAME(e, e->a, sk_accept(st, s2, NULL, NULL), -EINVAL);
	done(e);
}

/* One bad connect on a brand-new socket: Linux's answer, nothing changes
 * (no SYN, still CLOSE, no port), and the socket can still connect. */
static void connect_fails(struct env *e, int line, int family, socklen_t len, int want)
{
	struct sk_stack *st = e->sa;
	struct bigaddr b;
	char what[96];
	snprintf(what, sizeof(what), "connect(family %d, 10.0.0.2:80, len %d)", family, (int)len);
	int fd = sk_socket(st, AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	assert_true(fd >= 0);
	struct snap s0, s1;
	take_snap(e, e->a, &s0);
	check_eq(e, line, what, sk_connect(st, fd, big(&b, family, B_ADDR, 80), len), want);
	take_snap(e, e->a, &s1);
	snap_same(e, line, what, &s0, &s1);
	check_eq(e, line, "then connect(10.0.0.2:80)", do_connect(st, fd, B_ADDR, 80), -EINPROGRESS);
	h_run_for(e->h, MS(1));
	check_eq(e, line, "then the state", h_state(e->h, e->a, fd), SK_TCP_ESTABLISHED);
	assert_int_equal(sk_close(st, fd), 0);
	h_run_for(e->h, SEC(70)); /* let the TIME_WAIT go */
}

/* E: connect() arguments on a fresh socket. Linux (__inet_stream_connect,
 * tcp_v4_connect): length < 2 or > 128 EINVAL; AF_UNSPEC means
 * "disconnect" and returns 0 (nothing to undo on a fresh socket); then a
 * length < 16 EINVAL before the family: AF_INET6 len 16 EAFNOSUPPORT,
 * AF_INET6 len 8 EINVAL; len 128 is accepted. */
static void e_connect_args(void **state)
{
	struct env *e = *state;
	struct sk_stack *st = e->sa;
	struct bigaddr b;
	h_listen(e->h, e->b, 80, 16);
	connect_fails(e, __LINE__, AF_INET, 15, -EINVAL);
	connect_fails(e, __LINE__, AF_INET, 1, -EINVAL);
	connect_fails(e, __LINE__, AF_INET, 0, -EINVAL);
	connect_fails(e, __LINE__, AF_INET, 129, -EINVAL);
	connect_fails(e, __LINE__, AF_INET, (socklen_t)-1, -EINVAL);
	connect_fails(e, __LINE__, AF_INET6, 16, -EAFNOSUPPORT);
	connect_fails(e, __LINE__, AF_INET6, 8, -EINVAL);
	connect_fails(e, __LINE__, AF_UNSPEC, 16, 0);
	connect_fails(e, __LINE__, AF_UNSPEC, 2, 0);
	/* several in a row on one socket, then a good one (len 128) */
	int fd = sk_socket(st, AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	SAME(e, e->a, sk_connect(st, fd, big(&b, AF_INET, B_ADDR, 80), 15), -EINVAL);
	SAME(e, e->a, sk_connect(st, fd, big(&b, AF_INET6, B_ADDR, 80), 16), -EAFNOSUPPORT);
	SAME(e, e->a, sk_connect(st, fd, big(&b, AF_INET, B_ADDR, 80), 1), -EINVAL);
	CHECK(e, h_state(e->h, e->a, fd), SK_TCP_CLOSE);
	CHECK(e, port_of(st, fd), 0);
	CHECK(e, sk_connect(st, fd, big(&b, AF_INET, B_ADDR, 80), 128), -EINPROGRESS);
	h_run_for(e->h, MS(1));
	CHECK(e, h_state(e->h, e->a, fd), SK_TCP_ESTABLISHED);
	done(e);
}

/* E: connect() by state. Linux:
 * - on a listener: EISCONN, even with length 8 or AF_INET6 (the state is
 *   checked before tcp_v4_connect looks at the address); length 1 or 0 is
 *   EINVAL (checked first of all);
 * - connecting (SYN_SENT): EALREADY whatever the address, length 1
 *   EINVAL; send and recv EAGAIN (also with length 0); getpeername
 *   ENOTCONN; poll 0; getsockname the local address and an even ephemeral
 *   port (Linux: 49158, 35970 ...);
 * - established: the first connect() after completion returns 0 (it
 *   collects the result), later ones EISCONN, length 1 EINVAL. */
static void e_connect_states(void **state)
{
	struct env *e = *state;
	struct sk_stack *st = e->sa;
	struct bigaddr b;
	char buf[8];
	h_listen(e->h, e->b, 80, 16);

	int l = h_listen(e->h, e->a, 8000, 5);
	SAME(e, e->a, do_connect(st, l, B_ADDR, 80), -EISCONN);
	SAME(e, e->a, sk_connect(st, l, big(&b, AF_INET, B_ADDR, 80), 8), -EISCONN);
	SAME(e, e->a, sk_connect(st, l, big(&b, AF_INET6, B_ADDR, 80), 16), -EISCONN);
	SAME(e, e->a, sk_connect(st, l, big(&b, AF_INET, B_ADDR, 80), 1), -EINVAL);
	SAME(e, e->a, sk_connect(st, l, big(&b, AF_INET, B_ADDR, 80), 0), -EINVAL);
	SAME(e, e->a, sk_connect(st, l, big(&b, AF_INET, B_ADDR, 80), 129), -EINVAL);
	CHECK(e, h_state(e->h, e->a, l), SK_TCP_LISTEN);

	int s = h_connect(e->h, e->a, NOBODY, 80);
	h_run_for(e->h, MS(1));
	CHECK(e, h_state(e->h, e->a, s), SK_TCP_SYN_SENT);
	SAME(e, e->a, do_connect(st, s, NOBODY, 80), -EALREADY);
	SAME(e, e->a, do_connect(st, s, B_ADDR, 80), -EALREADY);
	SAME(e, e->a, sk_connect(st, s, big(&b, AF_INET, NOBODY, 80), 8), -EALREADY);
	SAME(e, e->a, sk_connect(st, s, big(&b, AF_INET6, NOBODY, 80), 16), -EALREADY);
	SAME(e, e->a, sk_connect(st, s, big(&b, AF_INET, NOBODY, 80), 1), -EINVAL);
	SAME(e, e->a, sk_connect(st, s, big(&b, AF_INET, NOBODY, 80), 129), -EINVAL);
	SAME(e, e->a, sk_send(st, s, "x", 1, 0), -EAGAIN);
	SAME(e, e->a, sk_send(st, s, "", 0, 0), -EAGAIN);
	SAME(e, e->a, sk_recv(st, s, buf, sizeof(buf), 0), -EAGAIN);
	SAME(e, e->a, sk_recv(st, s, buf, 0, 0), -EAGAIN);
	SAME(e, e->a, sk_recv(st, s, buf, 1, MSG_PEEK), -EAGAIN);
	SAME(e, e->a, sk_shutdown(st, s, 3), -EINVAL);
	SAME(e, e->a, do_bind(st, s, A_ADDR, 8006), -EINVAL);
	uint32_t addr;
	uint16_t port;
	SAME(e, e->a, name_of(st, s, 1, &addr, &port), -ENOTCONN);
	CHECK(e, name_of(st, s, 0, &addr, &port), 0);
	CHECK(e, addr, A_ADDR);
	CHECK(e, port >= 32768 && port <= 60999 && !(port & 1), 1);
	CHECK(e, sk_poll(st, s, EVENTS_ALL), 0);
	CHECK(e, sk_fcntl_getfl(st, s), O_RDWR | O_NONBLOCK);
	CHECK(e, h_state(e->h, e->a, s), SK_TCP_SYN_SENT);

	int c = h_connect(e->h, e->a, B_ADDR, 80);
	h_run_for(e->h, MS(1));
	CHECK(e, h_state(e->h, e->a, c), SK_TCP_ESTABLISHED);
	SAME(e, e->a, sk_connect(st, c, big(&b, AF_INET, B_ADDR, 80), 1), -EINVAL);
	CHECK(e, do_connect(st, c, B_ADDR, 80), 0);
	SAME(e, e->a, do_connect(st, c, B_ADDR, 80), -EISCONN);
	SAME(e, e->a, do_connect(st, c, B_ADDR, 81), -EISCONN);
	SAME(e, e->a, sk_connect(st, c, big(&b, AF_INET, B_ADDR, 80), 8), -EISCONN);
	SAME(e, e->a, sk_connect(st, c, big(&b, AF_INET6, B_ADDR, 80), 16), -EISCONN);
	SAME(e, e->a, sk_connect(st, c, big(&b, AF_INET, B_ADDR, 80), 1), -EINVAL);
	SAME(e, e->a, do_bind(st, c, A_ADDR, 8005), -EINVAL);
	CHECK(e, name_of(st, c, 1, &addr, &port), 0);
	CHECK(e, addr, B_ADDR);
	CHECK(e, port, 80);
	CHECK(e, name_of(st, c, 0, &addr, &port), 0);
	CHECK(e, addr, A_ADDR);
	CHECK(e, port >= 32768 && port <= 60999 && !(port & 1), 1);
	CHECK(e, opt_int(st, c, IPPROTO_TCP, TCP_MAXSEG), 1448); /* Linux, MTU 1500 */

	/* shutdown() settles a connect in progress: Linux (inet_shutdown)
	 * marks an established socket connected, so the next connect() is
	 * EISCONN at once (measured: after shutdown(SHUT_RD) or
	 * shutdown(SHUT_WR), connect -> EISCONN, not 0) */
	int d = h_connect(e->h, e->a, B_ADDR, 80);
	h_run_for(e->h, MS(1));
	CHECK(e, sk_shutdown(st, d, SHUT_RD), 0);
	SAME(e, e->a, do_connect(st, d, B_ADDR, 80), -EISCONN);
	int d2 = h_connect(e->h, e->a, B_ADDR, 80);
	h_run_for(e->h, MS(1));
	CHECK(e, sk_shutdown(st, d2, SHUT_WR), 0);
	SAME(e, e->a, do_connect(st, d2, B_ADDR, 80), -EISCONN);
	done(e);
}

/* E, H12: a refused connect, as Linux reports it. Linux on loopback,
 * connect to a closed port:
 * - SO_ERROR 111 once, then 0; poll POLLIN|POLLOUT|POLLERR|POLLHUP|POLLRDHUP
 *   (tcp_done sets the whole shutdown mask); the next connect() gives
 *   ECONNABORTED when SO_ERROR was read, ECONNREFUSED when not (then
 *   SO_ERROR is 0); the connect() after that starts a new attempt;
 * - send: ECONNREFUSED, then EPIPE; recv: ECONNREFUSED, then 0 (EOF);
 * - getpeername ENOTCONN. */
static void e_connect_refused(void **state)
{
	struct env *e = *state;
	struct sk_stack *st = e->sa;
	char buf[8];
	int r = h_connect(e->h, e->a, B_ADDR, 9);
	h_run_for(e->h, MS(1));
	CHECK(e, h_state(e->h, e->a, r), SK_TCP_CLOSE);
	CHECK(e, sk_poll(st, r, EVENTS_ALL), POLLIN | POLLOUT | POLLERR | POLLHUP | SK_POLLRDHUP);
	CHECK(e, opt_int(st, r, SOL_SOCKET, SO_ERROR), ECONNREFUSED);
	CHECK(e, opt_int(st, r, SOL_SOCKET, SO_ERROR), 0);
	CHECK(e, sk_poll(st, r, EVENTS_ALL), POLLIN | POLLOUT | POLLHUP | SK_POLLRDHUP);
	CHECK(e, do_connect(st, r, B_ADDR, 9), -ECONNABORTED);
	CHECK(e, do_connect(st, r, B_ADDR, 9), -EINPROGRESS);
	h_run_for(e->h, MS(1));
	CHECK(e, opt_int(st, r, SOL_SOCKET, SO_ERROR), ECONNREFUSED);

	int r2 = h_connect(e->h, e->a, B_ADDR, 9);
	h_run_for(e->h, MS(1));
	CHECK(e, do_connect(st, r2, B_ADDR, 9), -ECONNREFUSED);
	CHECK(e, opt_int(st, r2, SOL_SOCKET, SO_ERROR), 0);

	int r3 = h_connect(e->h, e->a, B_ADDR, 9);
	h_run_for(e->h, MS(1));
	CHECK(e, sk_send(st, r3, "x", 1, 0), -ECONNREFUSED);
	SAME_SIG(e, e->a, sk_send(st, r3, "x", 1, 0), -EPIPE, 1);
	SAME(e, e->a, sk_send(st, r3, "x", 1, MSG_NOSIGNAL), -EPIPE);

	int r4 = h_connect(e->h, e->a, B_ADDR, 9);
	h_run_for(e->h, MS(1));
	CHECK(e, sk_recv(st, r4, buf, sizeof(buf), 0), -ECONNREFUSED);
	CHECK(e, sk_recv(st, r4, buf, sizeof(buf), 0), 0);

	int r5 = h_connect(e->h, e->a, B_ADDR, 9);
	h_run_for(e->h, MS(1));
	uint32_t addr;
	uint16_t port;
	SAME(e, e->a, name_of(st, r5, 1, &addr, &port), -ENOTCONN);
	/* a connect to a listening port collects the old error first */
	h_listen(e->h, e->b, 80, 5);
	CHECK(e, do_connect(st, r5, B_ADDR, 80), -ECONNREFUSED);
	done(e);
}

/* E, C2, R3: send and recv by state. Linux:
 * - fresh or bound socket: send EPIPE (also length 0, MSG_NOSIGNAL), recv
 *   ENOTCONN (also length 0 and MSG_PEEK); poll POLLOUT|POLLHUP;
 * - listener: send EPIPE (also length 0), recv ENOTCONN (also length 0);
 * - established: send length 0 gives 0; recv with nothing queued EAGAIN,
 *   also with length 0; MSG_DONTWAIT|MSG_NOSIGNAL are accepted; MSG_PEEK
 *   leaves the data; recv length 0 with data queued gives 0. */
static void e_send_recv(void **state)
{
	struct env *e = *state;
	struct sk_stack *st = e->sa;
	char buf[16];
	int f = new_sock(st);
	SAME_SIG(e, e->a, sk_send(st, f, "x", 1, 0), -EPIPE, 1);
	SAME_SIG(e, e->a, sk_send(st, f, "", 0, 0), -EPIPE, 1);
	SAME(e, e->a, sk_send(st, f, "x", 1, MSG_NOSIGNAL), -EPIPE);
	SAME_SIG(e, e->a, sk_send(st, f, "x", 1, MSG_DONTWAIT), -EPIPE, 1);
	SAME(e, e->a, sk_recv(st, f, buf, sizeof(buf), 0), -ENOTCONN);
	SAME(e, e->a, sk_recv(st, f, buf, 0, 0), -ENOTCONN);
	SAME(e, e->a, sk_recv(st, f, buf, 1, MSG_PEEK), -ENOTCONN);
	SAME(e, e->a, sk_recv(st, f, buf, 1, MSG_DONTWAIT), -ENOTCONN);
	CHECK(e, sk_poll(st, f, EVENTS_ALL), POLLOUT | POLLHUP);
	CHECK(e, sk_poll(st, f, POLLIN), POLLHUP);
	int bd = new_sock(st);
	CHECK(e, do_bind(st, bd, A_ADDR, 6600), 0);
	SAME_SIG(e, e->a, sk_send(st, bd, "x", 1, 0), -EPIPE, 1);
	SAME(e, e->a, sk_recv(st, bd, buf, sizeof(buf), 0), -ENOTCONN);
	CHECK(e, sk_poll(st, bd, EVENTS_ALL), POLLOUT | POLLHUP);

	int l = h_listen(e->h, e->a, 8100, 5);
	SAME_SIG(e, e->a, sk_send(st, l, "x", 1, 0), -EPIPE, 1);
	SAME_SIG(e, e->a, sk_send(st, l, "", 0, 0), -EPIPE, 1);
	SAME(e, e->a, sk_recv(st, l, buf, sizeof(buf), 0), -ENOTCONN);
	SAME(e, e->a, sk_recv(st, l, buf, 0, 0), -ENOTCONN);

	int c, p; /* c on host a, its peer p on host b */
	est_pair(e, 80, &c, &p);
	CHECK(e, sk_poll(st, c, EVENTS_ALL), POLLOUT);
	SAME(e, e->a, sk_send(st, c, "", 0, 0), 0);
	SAME(e, e->a, sk_recv(st, c, buf, sizeof(buf), 0), -EAGAIN);
	SAME(e, e->a, sk_recv(st, c, buf, 0, 0), -EAGAIN);
	SAME(e, e->a, sk_recv(st, c, buf, 0, MSG_DONTWAIT), -EAGAIN);
	CHECK(e, sk_send(e->sb, p, "hello", 5, MSG_DONTWAIT | MSG_NOSIGNAL), 5);
	h_run_for(e->h, MS(1));
	CHECK(e, sk_poll(st, c, EVENTS_ALL), POLLIN | POLLOUT);
	memset(buf, 0, sizeof(buf));
	SAME(e, e->a, sk_recv(st, c, buf, 3, MSG_PEEK), 3);
	CHECK(e, memcmp(buf, "hel", 3), 0);
	SAME(e, e->a, sk_recv(st, c, buf, sizeof(buf), MSG_PEEK), 5);
	CHECK(e, memcmp(buf, "hello", 5), 0);
	SAME(e, e->a, sk_recv(st, c, buf, 0, 0), 0);
	memset(buf, 0, sizeof(buf));
	CHECK(e, sk_recv(st, c, buf, 2, 0), 2);
	CHECK(e, memcmp(buf, "he", 2), 0);
	CHECK(e, sk_recv(st, c, buf, sizeof(buf), MSG_DONTWAIT), 3);
	CHECK(e, memcmp(buf, "llo", 3), 0);
	CHECK(e, sk_poll(st, c, EVENTS_ALL), POLLOUT);
	SAME(e, e->a, sk_recv(st, c, buf, sizeof(buf), 0), -EAGAIN);
	done(e);
}

/* E, C1, C2: half-close. Linux: after shutdown(SHUT_WR) send gives EPIPE
 * (also length 0), a second SHUT_WR is 0, how 3 EINVAL, poll POLLOUT;
 * the peer sees POLLIN|POLLOUT|POLLRDHUP, recv 0 (again 0) and can still
 * send; after SHUT_RD on an established socket recv gives 0 at once and
 * poll POLLIN|POLLOUT|POLLRDHUP. */
static void e_half_close(void **state)
{
	struct env *e = *state;
	struct sk_stack *st = e->sa;
	char buf[16];
	int c, p;
	est_pair(e, 80, &c, &p);
	CHECK(e, sk_shutdown(st, c, SHUT_WR), 0);
	SAME_SIG(e, e->a, sk_send(st, c, "x", 1, 0), -EPIPE, 1);
	SAME_SIG(e, e->a, sk_send(st, c, "", 0, 0), -EPIPE, 1);
	SAME(e, e->a, sk_send(st, c, "x", 1, MSG_NOSIGNAL), -EPIPE);
	SAME(e, e->a, sk_shutdown(st, c, 3), -EINVAL);
	SAME(e, e->a, sk_shutdown(st, c, -1), -EINVAL);
	CHECK(e, sk_poll(st, c, EVENTS_ALL), POLLOUT);
	h_run_for(e->h, MS(1));
	CHECK(e, sk_shutdown(st, c, SHUT_WR), 0);
	CHECK(e, sk_poll(e->sb, p, EVENTS_ALL), POLLIN | POLLOUT | SK_POLLRDHUP);
	CHECK(e, sk_recv(e->sb, p, buf, sizeof(buf), 0), 0);
	CHECK(e, sk_recv(e->sb, p, buf, sizeof(buf), 0), 0);
	CHECK(e, sk_send(e->sb, p, "back", 4, 0), 4);
	h_run_for(e->h, MS(1));
	CHECK(e, sk_recv(st, c, buf, sizeof(buf), 0), 4);
	CHECK(e, h_state(e->h, e->a, c), SK_TCP_FIN_WAIT2);
	uint32_t addr;
	uint16_t port;
	CHECK(e, name_of(st, c, 1, &addr, &port), 0);
	CHECK(e, port, 80);

	int c2, p2;
	est_pair(e, 81, &c2, &p2);
	CHECK(e, sk_shutdown(st, c2, SHUT_RD), 0);
	CHECK(e, sk_recv(st, c2, buf, sizeof(buf), 0), 0);
	CHECK(e, sk_poll(st, c2, EVENTS_ALL), POLLIN | POLLOUT | SK_POLLRDHUP);
	CHECK(e, h_state(e->h, e->a, c2), SK_TCP_ESTABLISHED);
	done(e);
}

/* E: after both sides closed (the descriptor of a connection now in
 * TIME_WAIT; the connect() was never called again, but shutdown() marked
 * it connected). Linux: TCP_INFO says CLOSE (the TIME_WAIT state lives
 * apart from the socket), recv 0, send EPIPE, getpeername ENOTCONN,
 * shutdown ENOTCONN, listen EINVAL, connect EISCONN (every time), poll
 * POLLIN|POLLOUT|POLLHUP|POLLRDHUP. */
static void e_after_close(void **state)
{
	struct env *e = *state;
	struct sk_stack *st = e->sa;
	char buf[8];
	int c, p;
	est_pair(e, 80, &c, &p);
	CHECK(e, sk_shutdown(st, c, SHUT_WR), 0);
	h_run_for(e->h, MS(1));
	CHECK(e, sk_recv(e->sb, p, buf, sizeof(buf), 0), 0);
	CHECK(e, sk_shutdown(e->sb, p, SHUT_RDWR), 0);
	h_run_for(e->h, MS(1));
	CHECK(e, h_state(e->h, e->b, p), SK_TCP_CLOSE);
	CHECK(e, sk_poll(e->sb, p, EVENTS_ALL), POLLIN | POLLOUT | POLLHUP | SK_POLLRDHUP);
	CHECK(e, sk_send(e->sb, p, "x", 1, 0), -EPIPE);
	CHECK(e, h_state(e->h, e->a, c), SK_TCP_CLOSE);
	CHECK(e, sk_poll(st, c, EVENTS_ALL), POLLIN | POLLOUT | POLLHUP | SK_POLLRDHUP);
	SAME(e, e->a, sk_recv(st, c, buf, sizeof(buf), 0), 0);
	SAME_SIG(e, e->a, sk_send(st, c, "x", 1, 0), -EPIPE, 1);
	uint32_t addr;
	uint16_t port;
	SAME(e, e->a, name_of(st, c, 1, &addr, &port), -ENOTCONN);
	SAME(e, e->a, sk_shutdown(st, c, SHUT_WR), -ENOTCONN);
	SAME(e, e->a, sk_listen(st, c, 5), -EINVAL);
	SAME(e, e->a, do_connect(st, c, B_ADDR, 80), -EISCONN);
	SAME(e, e->a, do_connect(st, c, B_ADDR, 80), -EISCONN);
	done(e);
}

/* E: shutdown(). Linux (inet_shutdown): how outside 0..2 EINVAL (changes
 * nothing); on an unconnected socket ENOTCONN -- but Linux records the
 * shutdown all the same ("hack to wake up other listeners"): after
 * SHUT_RD, poll gains POLLIN|POLLRDHUP and recv gives 0; after SHUT_WR
 * send gives EPIPE, and that survives a later connect (established, send
 * still EPIPE, poll POLLOUT). On a listener SHUT_WR is 0 and changes
 * nothing, SHUT_RD is 0 and closes it (CLOSE, the port still shown by
 * getsockname, poll POLLOUT|POLLHUP). */
static void e_shutdown(void **state)
{
	struct env *e = *state;
	struct sk_stack *st = e->sa;
	char buf[8];
	int f = new_sock(st);
	SAME(e, e->a, sk_shutdown(st, f, 3), -EINVAL);
	SAME(e, e->a, sk_shutdown(st, f, -1), -EINVAL);
	SAME(e, e->a, sk_shutdown(st, f, INT_MAX), -EINVAL);
	CHECK(e, sk_shutdown(st, f, SHUT_RD), -ENOTCONN);
	CHECK(e, sk_poll(st, f, EVENTS_ALL), POLLIN | POLLOUT | POLLHUP | SK_POLLRDHUP);
	CHECK(e, sk_recv(st, f, buf, sizeof(buf), 0), 0);

	h_listen(e->h, e->b, 80, 5);
	int g = sk_socket(st, AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	CHECK(e, sk_shutdown(st, g, SHUT_WR), -ENOTCONN);
	CHECK(e, sk_poll(st, g, EVENTS_ALL), POLLOUT | POLLHUP);
	CHECK(e, sk_send(st, g, "x", 1, 0), -EPIPE);
	CHECK(e, do_connect(st, g, B_ADDR, 80), -EINPROGRESS);
	h_run_for(e->h, MS(1));
	CHECK(e, h_state(e->h, e->a, g), SK_TCP_ESTABLISHED);
	CHECK(e, sk_send(st, g, "x", 1, 0), -EPIPE);
	CHECK(e, sk_poll(st, g, EVENTS_ALL), POLLOUT);

	int b = new_sock(st);
	CHECK(e, do_bind(st, b, A_ADDR, 6700), 0);
	CHECK(e, sk_shutdown(st, b, SHUT_WR), -ENOTCONN);
	CHECK(e, port_of(st, b), 6700);

	int l = h_listen(e->h, e->a, 8200, 5);
	SAME(e, e->a, sk_shutdown(st, l, SHUT_WR), 0);
	CHECK(e, h_state(e->h, e->a, l), SK_TCP_LISTEN);
	CHECK(e, sk_shutdown(st, l, SHUT_RD), 0);
	CHECK(e, h_state(e->h, e->a, l), SK_TCP_CLOSE);
	CHECK(e, port_of(st, l), 8200);
	CHECK(e, sk_poll(st, l, EVENTS_ALL), POLLOUT | POLLHUP);
	done(e);
}

/* E: shutdown() settles a connect() whose result was not collected
 * (inet_shutdown moves SS_CONNECTING to SS_DISCONNECTING when the state is
 * SYN_SENT, SYN_RECV or CLOSE). Linux, measured:
 * - refused, then shutdown(SHUT_WR): ENOTCONN; SO_ERROR still 111; then
 *   connect EINVAL, listen EINVAL, connect EINVAL again (for good);
 * - refused, shutdown(SHUT_RD) with the error unread: connect EINVAL;
 * - SYN_SENT, shutdown(SHUT_WR): 0, the attempt is aborted (CLOSE) and a
 *   new connect() starts again (EINPROGRESS, then ESTABLISHED). */
static void e_shutdown_settles_connect(void **state)
{
	struct env *e = *state;
	struct sk_stack *st = e->sa;
	h_listen(e->h, e->b, 80, 16);
	int r = h_connect(e->h, e->a, B_ADDR, 9);
	h_run_for(e->h, MS(1));
	CHECK(e, sk_shutdown(st, r, SHUT_WR), -ENOTCONN);
	CHECK(e, opt_int(st, r, SOL_SOCKET, SO_ERROR), ECONNREFUSED);
	SAME(e, e->a, do_connect(st, r, B_ADDR, 80), -EINVAL);
	SAME(e, e->a, sk_listen(st, r, 5), -EINVAL);
	SAME(e, e->a, do_connect(st, r, B_ADDR, 80), -EINVAL);

	int r2 = h_connect(e->h, e->a, B_ADDR, 9);
	h_run_for(e->h, MS(1));
	CHECK(e, sk_shutdown(st, r2, SHUT_RD), -ENOTCONN);
	CHECK(e, do_connect(st, r2, B_ADDR, 80), -EINVAL);

	int s = h_connect(e->h, e->a, NOBODY, 80);
	h_run_for(e->h, MS(1));
	CHECK(e, h_state(e->h, e->a, s), SK_TCP_SYN_SENT);
	CHECK(e, sk_shutdown(st, s, SHUT_WR), 0);
	CHECK(e, h_state(e->h, e->a, s), SK_TCP_CLOSE);
	CHECK(e, do_connect(st, s, B_ADDR, 80), -EINPROGRESS);
	h_run_for(e->h, MS(1));
	CHECK(e, h_state(e->h, e->a, s), SK_TCP_ESTABLISHED);
	done(e);
}

/* E, C12: SO_LINGER with a negative l_linger is not "linger 0". Linux
 * stores it as "linger for ever" (sk_lingertime = MAX_SCHEDULE_TIMEOUT),
 * so close() ends the connection with a FIN; only l_linger == 0 resets.
 * Measured: {1,-1} and {1,-5}: the peer reads 0 (FIN); {1,0}: ECONNRESET. */
static void e_linger_negative(void **state)
{
	struct env *e = *state;
	struct sk_stack *st = e->sa;
	int c, p;
	est_pair(e, 80, &c, &p);
	const struct h_pkt *syn = h_next(e->h);
	h_expect(syn, 0, e->a, "S", syn->tcp.seq, 0, 0);
	const struct h_pkt *synack = h_next(e->h);
	h_expect(synack, 0, e->b, "S.", synack->tcp.seq, syn->tcp.seq + 1, 0);
	h_expect(h_next(e->h), 0, e->a, ".", syn->tcp.seq + 1, synack->tcp.seq + 1, 0);
	h_no_more(e->h);
	struct linger lg = { 1, -1 };
	CHECK(e, sk_setsockopt(st, c, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)), 0);
	CHECK(e, sk_close(st, c), 0);
	h_run_for(e->h, MS(1));
	const struct h_pkt *fin = h_next(e->h);
	CHECK(e, fin->from, e->a);
	CHECK(e, fin->t_ns, MS(1));
	CHECK(e, fin->tcp.flags, TCP_FIN | TCP_ACK);
	CHECK(e, fin->tcp.seq, syn->tcp.seq + 1);
	CHECK(e, fin->tcp.ack, synack->tcp.seq + 1);
	char buf[4];
	CHECK(e, sk_recv(e->sb, p, buf, sizeof(buf), 0), 0);

	/* {1,0} on the next connection: RST, the peer reads ECONNRESET */
	int c2, p2;
	est_pair(e, 81, &c2, &p2);
	lg = (struct linger){ 1, 0 };
	CHECK(e, sk_setsockopt(st, c2, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)), 0);
	CHECK(e, sk_close(st, c2), 0);
	h_run_for(e->h, MS(1));
	CHECK(e, sk_recv(e->sb, p2, buf, sizeof(buf), 0), -ECONNRESET);
	done(e);
}

/* ---- options ---- */

/* E, A7: defaults, as Linux's getsockopt gives them on a fresh socket
 * (rmem/wmem defaults 131072/16384, keepalive 7200/75/9, syn retries 6,
 * fin timeout 60, MSS 536 before a route is known). Linger is 8 bytes. */
static void e_sockopt_defaults(void **state)
{
	struct env *e = *state;
	struct sk_stack *st = e->sa;
	int s = new_sock(st);
	CHECK(e, opt_int(st, s, SOL_SOCKET, SO_REUSEADDR), 0);
	CHECK(e, opt_int(st, s, SOL_SOCKET, SO_KEEPALIVE), 0);
	CHECK(e, opt_int(st, s, SOL_SOCKET, SO_ERROR), 0);
	CHECK(e, opt_int(st, s, SOL_SOCKET, SO_RCVBUF), 131072);
	CHECK(e, opt_int(st, s, SOL_SOCKET, SO_SNDBUF), 16384);
	CHECK(e, opt_int(st, s, SOL_SOCKET, SO_TYPE), SOCK_STREAM);
	CHECK(e, opt_int(st, s, SOL_SOCKET, SO_ACCEPTCONN), 0);
	CHECK(e, opt_int(st, s, IPPROTO_TCP, TCP_NODELAY), 0);
	CHECK(e, opt_int(st, s, IPPROTO_TCP, TCP_MAXSEG), 536);
	CHECK(e, opt_int(st, s, IPPROTO_TCP, TCP_KEEPIDLE), 7200);
	CHECK(e, opt_int(st, s, IPPROTO_TCP, TCP_KEEPINTVL), 75);
	CHECK(e, opt_int(st, s, IPPROTO_TCP, TCP_KEEPCNT), 9);
	CHECK(e, opt_int(st, s, IPPROTO_TCP, TCP_SYNCNT), 6);
	CHECK(e, opt_int(st, s, IPPROTO_TCP, TCP_LINGER2), 60);
	CHECK(e, opt_int(st, s, IPPROTO_TCP, TCP_USER_TIMEOUT), 0);
	struct linger lg = { 7, 7 };
	socklen_t len = sizeof(lg);
	CHECK(e, sk_getsockopt(st, s, SOL_SOCKET, SO_LINGER, &lg, &len), 0);
	CHECK(e, len, 8);
	CHECK(e, lg.l_onoff, 0);
	CHECK(e, lg.l_linger, 0);
	/* a listener: Linux SO_ACCEPTCONN 1, TCP_MAXSEG 536, SO_RCVBUF 131072 */
	int l = h_listen(e->h, e->a, 80, 5);
	CHECK(e, opt_int(st, l, SOL_SOCKET, SO_ACCEPTCONN), 1);
	CHECK(e, opt_int(st, l, IPPROTO_TCP, TCP_MAXSEG), 536);
	CHECK(e, opt_int(st, l, SOL_SOCKET, SO_RCVBUF), 131072);
	/* knobs change the defaults, as the sysctls do */
	CHECK(e, sk_stack_knob_set(st, "tcp_keepalive_time", "600"), 0);
	CHECK(e, sk_stack_knob_set(st, "tcp_syn_retries", "3"), 0);
	int t = new_sock(st);
	CHECK(e, opt_int(st, t, IPPROTO_TCP, TCP_KEEPIDLE), 600);
	CHECK(e, opt_int(st, t, IPPROTO_TCP, TCP_SYNCNT), 3);
	done(e);
}

/* E: set then get, one socket, in the order Linux was run; `rc` is what
 * setsockopt returned and `get` what getsockopt read right after. Linux
 * doubles SO_RCVBUF/SO_SNDBUF with floors 2304/4608; TCP_MAXSEG accepts 0
 * or 88..32767 (MAX_TCP_WINDOW, not 65535); keepidle/keepintvl 1..32767,
 * keepcnt/syncnt 1..127; TCP_LINGER2 is clamped to 120 and < 0 reads -1,
 * 0 reads the sysctl (60); TCP_USER_TIMEOUT < 0 EINVAL. */
struct optcase {
	int level, name;
	const char *what;
	int set, rc, get;
};

#define SO(n) SOL_SOCKET, n, #n
#define TO(n) IPPROTO_TCP, n, #n
static const struct optcase optcases[] = {
	{ SO(SO_REUSEADDR), 1, 0, 1 },        { SO(SO_REUSEADDR), 0, 0, 0 },
	{ SO(SO_REUSEADDR), 5, 0, 1 },        { SO(SO_REUSEADDR), -1, 0, 1 },
	{ SO(SO_KEEPALIVE), 1, 0, 1 },        { SO(SO_KEEPALIVE), 0, 0, 0 },
	{ SO(SO_KEEPALIVE), 7, 0, 1 },
	{ SO(SO_RCVBUF), 0, 0, 2304 },        { SO(SO_RCVBUF), 1, 0, 2304 },
	{ SO(SO_RCVBUF), 1000, 0, 2304 },     { SO(SO_RCVBUF), 1152, 0, 2304 },
	{ SO(SO_RCVBUF), 1153, 0, 2306 },     { SO(SO_RCVBUF), 4000, 0, 8000 },
	{ SO(SO_RCVBUF), 10000, 0, 20000 },   { SO(SO_RCVBUF), 65536, 0, 131072 },
	{ SO(SO_RCVBUF), 100000, 0, 200000 },
	{ SO(SO_SNDBUF), 0, 0, 4608 },        { SO(SO_SNDBUF), 1, 0, 4608 },
	{ SO(SO_SNDBUF), 1000, 0, 4608 },     { SO(SO_SNDBUF), 2304, 0, 4608 },
	{ SO(SO_SNDBUF), 2305, 0, 4610 },     { SO(SO_SNDBUF), 10000, 0, 20000 },
	{ SO(SO_SNDBUF), 65536, 0, 131072 },
	{ TO(TCP_NODELAY), 1, 0, 1 },         { TO(TCP_NODELAY), 0, 0, 0 },
	{ TO(TCP_NODELAY), 3, 0, 1 },
	{ TO(TCP_MAXSEG), 87, -EINVAL, 536 }, { TO(TCP_MAXSEG), 88, 0, 88 },
	{ TO(TCP_MAXSEG), 1000, 0, 1000 },    { TO(TCP_MAXSEG), 32767, 0, 32767 },
	{ TO(TCP_MAXSEG), 32768, -EINVAL, 32767 },
	{ TO(TCP_MAXSEG), 65535, -EINVAL, 32767 },
	{ TO(TCP_MAXSEG), 65536, -EINVAL, 32767 },
	{ TO(TCP_MAXSEG), -1, -EINVAL, 32767 },
	{ TO(TCP_MAXSEG), 0, 0, 536 },
	{ TO(TCP_KEEPIDLE), 0, -EINVAL, 7200 }, { TO(TCP_KEEPIDLE), 1, 0, 1 },
	{ TO(TCP_KEEPIDLE), 32767, 0, 32767 },  { TO(TCP_KEEPIDLE), 32768, -EINVAL, 32767 },
	{ TO(TCP_KEEPIDLE), -1, -EINVAL, 32767 }, { TO(TCP_KEEPIDLE), 100, 0, 100 },
	{ TO(TCP_KEEPINTVL), 0, -EINVAL, 75 },  { TO(TCP_KEEPINTVL), 1, 0, 1 },
	{ TO(TCP_KEEPINTVL), 32767, 0, 32767 }, { TO(TCP_KEEPINTVL), 32768, -EINVAL, 32767 },
	{ TO(TCP_KEEPINTVL), -1, -EINVAL, 32767 }, { TO(TCP_KEEPINTVL), 30, 0, 30 },
	{ TO(TCP_KEEPCNT), 0, -EINVAL, 9 },     { TO(TCP_KEEPCNT), 1, 0, 1 },
	{ TO(TCP_KEEPCNT), 127, 0, 127 },       { TO(TCP_KEEPCNT), 128, -EINVAL, 127 },
	{ TO(TCP_KEEPCNT), -1, -EINVAL, 127 },  { TO(TCP_KEEPCNT), 4, 0, 4 },
	{ TO(TCP_SYNCNT), 0, -EINVAL, 6 },      { TO(TCP_SYNCNT), 1, 0, 1 },
	{ TO(TCP_SYNCNT), 127, 0, 127 },        { TO(TCP_SYNCNT), 128, -EINVAL, 127 },
	{ TO(TCP_SYNCNT), 255, -EINVAL, 127 },  { TO(TCP_SYNCNT), 256, -EINVAL, 127 },
	{ TO(TCP_SYNCNT), -1, -EINVAL, 127 },   { TO(TCP_SYNCNT), 3, 0, 3 },
	{ TO(TCP_LINGER2), 0, 0, 60 },          { TO(TCP_LINGER2), 30, 0, 30 },
	{ TO(TCP_LINGER2), 120, 0, 120 },       { TO(TCP_LINGER2), 121, 0, 120 },
	{ TO(TCP_LINGER2), 1000, 0, 120 },      { TO(TCP_LINGER2), -1, 0, -1 },
	{ TO(TCP_LINGER2), -5, 0, -1 },         { TO(TCP_LINGER2), 0, 0, 60 },
	{ TO(TCP_USER_TIMEOUT), -1, -EINVAL, 0 }, { TO(TCP_USER_TIMEOUT), 0, 0, 0 },
	{ TO(TCP_USER_TIMEOUT), 5000, 0, 5000 },
};

static void e_sockopt_roundtrip(void **state)
{
	struct env *e = *state;
	struct sk_stack *st = e->sa;
	int s = new_sock(st);
	for (size_t i = 0; i < sizeof(optcases) / sizeof(optcases[0]); i++) {
		const struct optcase *o = &optcases[i];
		int rc = set_int(st, s, o->level, o->name, o->set);
		int get = opt_int(st, s, o->level, o->name);
		if (rc != o->rc || get != o->get) {
			print_message("setsockopt(%s, %d) = %d (%s), then get %d; Linux: %d (%s), get %d\n",
				      o->what, o->set, rc, ename(rc), get, o->rc, ename(o->rc), o->get);
			e->fails++;
		}
	}
	/* a failed set changes nothing at all */
	SAME(e, e->a, set_int(st, s, IPPROTO_TCP, TCP_KEEPCNT, 0), -EINVAL);
	SAME(e, e->a, set_int(st, s, IPPROTO_TCP, TCP_MAXSEG, 40000), -EINVAL);
	SAME(e, e->a, set_int(st, s, IPPROTO_TCP, TCP_SYNCNT, 200), -EINVAL);
	SAME(e, e->a, set_int(st, s, IPPROTO_TCP, TCP_KEEPIDLE, 0), -EINVAL);
	done(e);
}

/* E: SO_LINGER. Linux: optlen < 8 EINVAL; a longer optlen is fine;
 * l_onoff is read as a boolean; with l_onoff 0 the old l_linger is kept
 * ({1,5} then {0,7} reads {0,5}); on a fresh socket {0,7} reads {0,0}. */
static void e_sockopt_linger(void **state)
{
	struct env *e = *state;
	struct sk_stack *st = e->sa;
	int s = new_sock(st);
	struct linger lg = { 1, 5 }, got;
	int big3[3] = { 5, 7, 9 };
	socklen_t len;
	SAME(e, e->a, sk_setsockopt(st, s, SOL_SOCKET, SO_LINGER, &lg, 4), -EINVAL);
	SAME(e, e->a, sk_setsockopt(st, s, SOL_SOCKET, SO_LINGER, &lg, 0), -EINVAL);
	CHECK(e, sk_setsockopt(st, s, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)), 0);
	len = sizeof(got);
	CHECK(e, sk_getsockopt(st, s, SOL_SOCKET, SO_LINGER, &got, &len), 0);
	CHECK(e, len, 8);
	CHECK(e, got.l_onoff, 1);
	CHECK(e, got.l_linger, 5);
	lg = (struct linger){ 0, 7 };
	CHECK(e, sk_setsockopt(st, s, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)), 0);
	len = sizeof(got);
	CHECK(e, sk_getsockopt(st, s, SOL_SOCKET, SO_LINGER, &got, &len), 0);
	CHECK(e, got.l_onoff, 0);
	CHECK(e, got.l_linger, 5);
	CHECK(e, sk_setsockopt(st, s, SOL_SOCKET, SO_LINGER, big3, sizeof(big3)), 0);
	len = sizeof(got);
	CHECK(e, sk_getsockopt(st, s, SOL_SOCKET, SO_LINGER, &got, &len), 0);
	CHECK(e, got.l_onoff, 1);
	CHECK(e, got.l_linger, 7);
	int t = new_sock(st);
	lg = (struct linger){ 0, 7 };
	CHECK(e, sk_setsockopt(st, t, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)), 0);
	len = sizeof(got);
	CHECK(e, sk_getsockopt(st, t, SOL_SOCKET, SO_LINGER, &got, &len), 0);
	CHECK(e, got.l_onoff, 0);
	CHECK(e, got.l_linger, 0);
	lg = (struct linger){ 1, 0 };
	CHECK(e, sk_setsockopt(st, t, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)), 0);
	len = sizeof(got);
	CHECK(e, sk_getsockopt(st, t, SOL_SOCKET, SO_LINGER, &got, &len), 0);
	CHECK(e, got.l_onoff, 1);
	CHECK(e, got.l_linger, 0);
	done(e);
}

/* E: setsockopt errors. Linux: an int option with optlen < 4 EINVAL
 * (also for an unknown name: the length is checked first); a longer optlen
 * is fine (SO_KEEPALIVE with 8 bytes reads the first int); unknown name
 * ENOPROTOOPT; read-only SO_ERROR, SO_TYPE, SO_ACCEPTCONN, TCP_INFO
 * ENOPROTOOPT; a level that is neither SOL_SOCKET nor IPPROTO_TCP
 * ENOPROTOOPT (9999, IPPROTO_UDP, 255, -1; even with optlen 0). */
static void e_setsockopt_errors(void **state)
{
	struct env *e = *state;
	struct sk_stack *st = e->sa;
	int s = new_sock(st);
	static const int names[][2] = {
		{ SOL_SOCKET, SO_REUSEADDR }, { SOL_SOCKET, SO_KEEPALIVE }, { SOL_SOCKET, SO_RCVBUF },
		{ SOL_SOCKET, SO_SNDBUF },    { SOL_SOCKET, SO_LINGER },    { IPPROTO_TCP, TCP_NODELAY },
		{ IPPROTO_TCP, TCP_MAXSEG },  { IPPROTO_TCP, TCP_KEEPIDLE }, { IPPROTO_TCP, TCP_KEEPINTVL },
		{ IPPROTO_TCP, TCP_KEEPCNT }, { IPPROTO_TCP, TCP_SYNCNT },  { IPPROTO_TCP, TCP_LINGER2 },
		{ IPPROTO_TCP, TCP_USER_TIMEOUT },
	};
	int one[2] = { 1, 0 };
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		snprintf(e->ctx, sizeof(e->ctx), "level %d name %d", names[i][0], names[i][1]);
		SAME(e, e->a, sk_setsockopt(st, s, names[i][0], names[i][1], one, 2), -EINVAL);
		SAME(e, e->a, sk_setsockopt(st, s, names[i][0], names[i][1], one, 0), -EINVAL);
		SAME(e, e->a, sk_setsockopt(st, s, names[i][0], names[i][1], one, 3), -EINVAL);
	}
	e->ctx[0] = 0;
	SAME(e, e->a, sk_setsockopt(st, s, SOL_SOCKET, 9999, one, 4), -ENOPROTOOPT);
	SAME(e, e->a, sk_setsockopt(st, s, SOL_SOCKET, 9999, one, 2), -EINVAL);
	SAME(e, e->a, sk_setsockopt(st, s, IPPROTO_TCP, 9999, one, 4), -ENOPROTOOPT);
	SAME(e, e->a, sk_setsockopt(st, s, IPPROTO_TCP, 9999, one, 2), -EINVAL);
	SAME(e, e->a, sk_setsockopt(st, s, SOL_SOCKET, SO_ERROR, one, 4), -ENOPROTOOPT);
	SAME(e, e->a, sk_setsockopt(st, s, SOL_SOCKET, SO_TYPE, one, 4), -ENOPROTOOPT);
	SAME(e, e->a, sk_setsockopt(st, s, SOL_SOCKET, SO_ACCEPTCONN, one, 4), -ENOPROTOOPT);
	SAME(e, e->a, sk_setsockopt(st, s, IPPROTO_TCP, TCP_INFO, one, 4), -ENOPROTOOPT);
	SAME(e, e->a, sk_setsockopt(st, s, 9999, 1, one, 4), -ENOPROTOOPT);
	SAME(e, e->a, sk_setsockopt(st, s, 9999, 1, one, 0), -ENOPROTOOPT);
	SAME(e, e->a, sk_setsockopt(st, s, IPPROTO_UDP, 1, one, 4), -ENOPROTOOPT);
	SAME(e, e->a, sk_setsockopt(st, s, 255, 1, one, 4), -ENOPROTOOPT);
	SAME(e, e->a, sk_setsockopt(st, s, -1, 1, one, 4), -ENOPROTOOPT);
	int two[2] = { 2, 0 };
	CHECK(e, sk_setsockopt(st, s, SOL_SOCKET, SO_KEEPALIVE, two, 8), 0);
	CHECK(e, opt_int(st, s, SOL_SOCKET, SO_KEEPALIVE), 1);
	done(e);
}

/* E: getsockopt errors and truncation. Linux: a negative length EINVAL
 * (SOL_SOCKET, IPPROTO_TCP, TCP_INFO, SO_LINGER alike); unknown name
 * ENOPROTOOPT; unknown level EOPNOTSUPP (ip_getsockopt answers it, not
 * ENOPROTOOPT as setsockopt does; checked before the length); a short
 * buffer gets the first bytes and the length says how many were written
 * (0..3 for an int, 4 for SO_LINGER's l_onoff, 1 for TCP_INFO's state); a
 * long one gets 4 (8 for SO_LINGER) and the rest is untouched. */
static void e_getsockopt(void **state)
{
	struct env *e = *state;
	struct sk_stack *st = e->sa;
	int s = new_sock(st);
	uint8_t buf[16];
	socklen_t len;
	CHECK(e, set_int(st, s, SOL_SOCKET, SO_RCVBUF, 10000), 0); /* reads 20000 = 0x4e20 */
	CHECK(e, set_int(st, s, IPPROTO_TCP, TCP_KEEPIDLE, 100), 0);
	static const struct { int level, name; socklen_t cap, len; uint8_t b[4]; } tr[] = {
		{ SOL_SOCKET, SO_RCVBUF, 0, 0, { 0xee } },
		{ SOL_SOCKET, SO_RCVBUF, 1, 1, { 0x20, 0xee } },
		{ SOL_SOCKET, SO_RCVBUF, 2, 2, { 0x20, 0x4e, 0xee } },
		{ SOL_SOCKET, SO_RCVBUF, 3, 3, { 0x20, 0x4e, 0x00, 0xee } },
		{ IPPROTO_TCP, TCP_KEEPIDLE, 0, 0, { 0xee } },
		{ IPPROTO_TCP, TCP_KEEPIDLE, 1, 1, { 0x64, 0xee } },
		{ IPPROTO_TCP, TCP_KEEPIDLE, 2, 2, { 0x64, 0x00, 0xee } },
	};
	for (size_t i = 0; i < sizeof(tr) / sizeof(tr[0]); i++) {
		memset(buf, 0xee, sizeof(buf));
		len = tr[i].cap;
		CHECK(e, sk_getsockopt(st, s, tr[i].level, tr[i].name, buf, &len), 0);
		CHECK(e, len, tr[i].len);
		for (socklen_t k = 0; k <= tr[i].len; k++)
			CHECK(e, buf[k], tr[i].b[k]);
	}
	memset(buf, 0xee, sizeof(buf));
	len = 8;
	CHECK(e, sk_getsockopt(st, s, SOL_SOCKET, SO_RCVBUF, buf, &len), 0);
	CHECK(e, len, 4);
	CHECK(e, buf[0] | buf[1] << 8, 20000);
	CHECK(e, buf[4], 0xee);
	len = sizeof(buf);
	CHECK(e, sk_getsockopt(st, s, IPPROTO_TCP, TCP_KEEPIDLE, buf, &len), 0);
	CHECK(e, len, 4);

	/* SO_LINGER: 4 -> l_onoff only; 16 -> 8; 0 -> nothing */
	struct linger lg = { 1, 5 };
	CHECK(e, sk_setsockopt(st, s, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)), 0);
	memset(buf, 0xee, sizeof(buf));
	len = 4;
	CHECK(e, sk_getsockopt(st, s, SOL_SOCKET, SO_LINGER, buf, &len), 0);
	CHECK(e, len, 4);
	CHECK(e, buf[0], 1);
	CHECK(e, buf[4], 0xee);
	len = 16;
	CHECK(e, sk_getsockopt(st, s, SOL_SOCKET, SO_LINGER, buf, &len), 0);
	CHECK(e, len, 8);
	memset(buf, 0xee, sizeof(buf));
	len = 0;
	CHECK(e, sk_getsockopt(st, s, SOL_SOCKET, SO_LINGER, buf, &len), 0);
	CHECK(e, len, 0);
	CHECK(e, buf[0], 0xee);
	/* TCP_INFO: 1 byte is the state (CLOSE = 7); 0 bytes */
	memset(buf, 0xee, sizeof(buf));
	len = 1;
	CHECK(e, sk_getsockopt(st, s, IPPROTO_TCP, TCP_INFO, buf, &len), 0);
	CHECK(e, len, 1);
	CHECK(e, buf[0], SK_TCP_CLOSE);
	CHECK(e, buf[1], 0xee);
	len = 0;
	CHECK(e, sk_getsockopt(st, s, IPPROTO_TCP, TCP_INFO, buf, &len), 0);
	CHECK(e, len, 0);

	/* errors, changing nothing; the length is left as it was */
	len = (socklen_t)-1;
	SAME(e, e->a, sk_getsockopt(st, s, SOL_SOCKET, SO_RCVBUF, buf, &len), -EINVAL);
	SAME(e, e->a, sk_getsockopt(st, s, IPPROTO_TCP, TCP_KEEPIDLE, buf, &len), -EINVAL);
	SAME(e, e->a, sk_getsockopt(st, s, IPPROTO_TCP, TCP_INFO, buf, &len), -EINVAL);
	SAME(e, e->a, sk_getsockopt(st, s, SOL_SOCKET, SO_LINGER, buf, &len), -EINVAL);
	SAME(e, e->a, sk_getsockopt(st, s, SOL_SOCKET, 9999, buf, &len), -EINVAL);
	SAME(e, e->a, sk_getsockopt(st, s, IPPROTO_TCP, 9999, buf, &len), -EINVAL);
	SAME(e, e->a, sk_getsockopt(st, s, 9999, 1, buf, &len), -EOPNOTSUPP);
	CHECK(e, (int)len, -1);
	len = 4;
	SAME(e, e->a, sk_getsockopt(st, s, SOL_SOCKET, 9999, buf, &len), -ENOPROTOOPT);
	SAME(e, e->a, sk_getsockopt(st, s, IPPROTO_TCP, 9999, buf, &len), -ENOPROTOOPT);
	SAME(e, e->a, sk_getsockopt(st, s, 9999, 1, buf, &len), -EOPNOTSUPP);
	SAME(e, e->a, sk_getsockopt(st, s, IPPROTO_UDP, 1, buf, &len), -EOPNOTSUPP);
	/* but SOL_IP is a level TCP sockets have: an unknown name there is
	 * ENOPROTOOPT (Linux, measured) */
	SAME(e, e->a, sk_getsockopt(st, s, IPPROTO_IP, 9999, buf, &len), -ENOPROTOOPT);
	CHECK(e, len, 4);
	done(e);
}

/* E: TCP_MAXSEG through a connection. Linux (lo at MTU 1500 in a netns):
 * 536 before connect, 1448 once connected (1460 less 12 for timestamps);
 * with TCP_MAXSEG 1000 set before connect it reads 1000 until the
 * connection, 988 after; 87 on a connected socket is EINVAL. */
static void e_sockopt_maxseg_connected(void **state)
{
	struct env *e = *state;
	struct sk_stack *st = e->sa;
	h_listen(e->h, e->b, 80, 5);
	int c = sk_socket(st, AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	CHECK(e, opt_int(st, c, IPPROTO_TCP, TCP_MAXSEG), 536);
	CHECK(e, set_int(st, c, IPPROTO_TCP, TCP_MAXSEG, 1000), 0);
	CHECK(e, opt_int(st, c, IPPROTO_TCP, TCP_MAXSEG), 1000);
	CHECK(e, do_connect(st, c, B_ADDR, 80), -EINPROGRESS);
	h_run_for(e->h, MS(1));
	CHECK(e, h_state(e->h, e->a, c), SK_TCP_ESTABLISHED);
	CHECK(e, opt_int(st, c, IPPROTO_TCP, TCP_MAXSEG), 988);
	SAME(e, e->a, set_int(st, c, IPPROTO_TCP, TCP_MAXSEG, 87), -EINVAL);
	int d = h_connect(e->h, e->a, B_ADDR, 80);
	h_run_for(e->h, MS(1));
	CHECK(e, opt_int(st, d, IPPROTO_TCP, TCP_MAXSEG), 1448);
	done(e);
}

/* E: getsockname / getpeername. Linux: a fresh socket is 0.0.0.0:0 with
 * length 16; the address is truncated to the caller's length (4 bytes:
 * family and port; 0: nothing), which then says 16; a longer buffer is
 * written up to 16; a negative length EINVAL; getpeername on an
 * unconnected, bound or listening socket ENOTCONN. */
static void e_getname(void **state)
{
	struct env *e = *state;
	struct sk_stack *st = e->sa;
	int f = new_sock(st);
	uint8_t raw[32];
	socklen_t len;
	memset(raw, 0xee, sizeof(raw));
	len = 16;
	CHECK(e, sk_getsockname(st, f, (struct sockaddr *)raw, &len), 0);
	CHECK(e, len, 16);
	static const uint8_t zero16[16] = { 2, 0 }; /* AF_INET, port 0, 0.0.0.0 */
	CHECK(e, memcmp(raw, zero16, 16), 0);
	CHECK(e, raw[16], 0xee);
	memset(raw, 0xee, sizeof(raw));
	len = 4;
	CHECK(e, sk_getsockname(st, f, (struct sockaddr *)raw, &len), 0);
	CHECK(e, len, 16);
	CHECK(e, memcmp(raw, zero16, 4), 0);
	CHECK(e, raw[4], 0xee);
	memset(raw, 0xee, sizeof(raw));
	len = 0;
	CHECK(e, sk_getsockname(st, f, (struct sockaddr *)raw, &len), 0);
	CHECK(e, len, 16);
	CHECK(e, raw[0], 0xee);
	memset(raw, 0xee, sizeof(raw));
	len = 32;
	CHECK(e, sk_getsockname(st, f, (struct sockaddr *)raw, &len), 0);
	CHECK(e, len, 16);
	CHECK(e, raw[16], 0xee);
	len = (socklen_t)-1;
	SAME(e, e->a, sk_getsockname(st, f, (struct sockaddr *)raw, &len), -EINVAL);
	len = 16;
	SAME(e, e->a, sk_getpeername(st, f, (struct sockaddr *)raw, &len), -ENOTCONN);
	int b = new_sock(st);
	CHECK(e, do_bind(st, b, INADDR_ANY, 6800), 0);
	uint32_t addr = 1;
	uint16_t port = 0;
	CHECK(e, name_of(st, b, 0, &addr, &port), 0);
	CHECK(e, addr, INADDR_ANY);
	CHECK(e, port, 6800);
	SAME(e, e->a, name_of(st, b, 1, &addr, &port), -ENOTCONN);
	int l = h_listen(e->h, e->a, 80, 5);
	SAME(e, e->a, name_of(st, l, 1, &addr, &port), -ENOTCONN);
	done(e);
}

/* E: fcntl. Linux: F_GETFL on a socket is O_RDWR, | O_NONBLOCK once set
 * (by F_SETFL or SOCK_NONBLOCK); F_SETFL 0 clears it. */
static void e_fcntl(void **state)
{
	struct env *e = *state;
	struct sk_stack *st = e->sa;
	int s = new_sock(st);
	CHECK(e, sk_fcntl_getfl(st, s), O_RDWR);
	CHECK(e, sk_fcntl_setfl(st, s, O_NONBLOCK), 0);
	CHECK(e, sk_fcntl_getfl(st, s), O_RDWR | O_NONBLOCK);
	CHECK(e, sk_fcntl_setfl(st, s, O_NONBLOCK), 0);
	CHECK(e, sk_fcntl_getfl(st, s), O_RDWR | O_NONBLOCK);
	CHECK(e, sk_fcntl_setfl(st, s, 0), 0);
	CHECK(e, sk_fcntl_getfl(st, s), O_RDWR);
	int n = sk_socket(st, AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	CHECK(e, sk_fcntl_getfl(st, n), O_RDWR | O_NONBLOCK);
	CHECK(e, sk_fcntl_setfl(st, n, 0), 0);
	CHECK(e, sk_fcntl_getfl(st, n), O_RDWR);
	done(e);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(e_socket_args),
		T(e_descriptor_numbers),
		T(e_bad_descriptor),
		T(e_bind_args),
		T(e_bind_addrinuse),
		cmocka_unit_test_setup_teardown(e_bind_port_zero, setup_small_range, teardown),
		T(e_bind_port_zero_default_range),
		T(e_listen),
		T(e_accept),
		T(e_connect_args),
		T(e_connect_states),
		T(e_connect_refused),
		T(e_send_recv),
		T(e_half_close),
		T(e_after_close),
		T(e_shutdown),
		T(e_shutdown_settles_connect),
		T(e_linger_negative),
		T(e_sockopt_defaults),
		T(e_sockopt_roundtrip),
		T(e_sockopt_linger),
		T(e_setsockopt_errors),
		T(e_getsockopt),
		T(e_sockopt_maxseg_connected),
		T(e_getname),
		T(e_fcntl),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
