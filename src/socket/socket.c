/* The BSD-shaped socket API. Every misuse returns Linux's errno and
 * changes nothing; the checks follow the kernel's order (inet_bind,
 * __inet_stream_connect, tcp_sendmsg, tcp_recvmsg, inet_shutdown) so the
 * same mistake gives the same number. */
#include <fcntl.h>
#include <sys/uio.h>

#include "core.h"

/* Linux's move_addr_to_kernel: a length past sockaddr_storage (or
 * negative) is refused before anything else looks at the address. */
static bool addr_len_ok(socklen_t len)
{
	return len <= (socklen_t)sizeof(struct sockaddr_storage);
}

static int sockaddr_in_get(const struct sockaddr *addr, socklen_t len, struct sockaddr_in *out)
{
	if (!addr || len < (socklen_t)sizeof(struct sockaddr_in) || !addr_len_ok(len))
		return -EINVAL;
	memcpy(out, addr, sizeof(*out));
	return 0;
}

/* Copies an address out the way the kernel does (move_addr_to_user):
 * truncated to the caller's length, which then says the full size. */
static int sockaddr_in_put(uint32_t ip, uint16_t port, struct sockaddr *addr, socklen_t *len)
{
	if (!addr || !len)
		return addr || len ? -EFAULT : 0;
	if ((int)*len < 0)
		return -EINVAL;
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(port),
				   .sin_addr.s_addr = htonl(ip) };
	size_t n = *len < sizeof(sin) ? *len : sizeof(sin);
	memcpy(addr, &sin, n);
	*len = sizeof(sin);
	return 0;
}

#define KERNEL_IPPROTO_MAX 263 /* the kernel's, not glibc's 256 */
#define SOCK_MAX 10

/* The checks of Linux's __sock_create and inet_create, in their order:
 * flags, family, type range, protocol range, then what AF_INET offers
 * (only TCP here: UDP, ICMP and raw sockets are not supported). */
int sk_socket(struct sk_stack *st, int domain, int type, int protocol)
{
	int base = type & 0xf;
	if (type & ~(0xf | SOCK_NONBLOCK | SOCK_CLOEXEC))
		return -EINVAL;
	if (domain != AF_INET)
		return -EAFNOSUPPORT;
	if (base > SOCK_MAX || protocol < 0 || protocol >= KERNEL_IPPROTO_MAX)
		return -EINVAL;
	if (base == SOCK_DGRAM && protocol != 0 && protocol != IPPROTO_UDP && protocol != IPPROTO_ICMP)
		return -EPROTONOSUPPORT;
	if (base == SOCK_RAW && protocol == 0)
		return -EPROTONOSUPPORT;
	if (base != SOCK_STREAM)
		return -ESOCKTNOSUPPORT;
	if (protocol != 0 && protocol != IPPROTO_TCP)
		return -EPROTONOSUPPORT;
	struct sk_sock *s = sock_new(st);
	if (!s)
		return -ENOBUFS;
	int fd = fd_alloc(st, s);
	if (fd < 0) {
		sock_destroy(st, s);
		return fd;
	}
	if (type & SOCK_NONBLOCK)
		s->flags |= SOCKF_NONBLOCK;
	return fd;
}

/* An ephemeral port for bind(0) or listen() without bind: Linux's
 * inet_csk_find_open_port prefers odd ports, leaving even ones to
 * connect(). */
static int autobind(struct sk_stack *st, struct sk_sock *s)
{
	int low = st->cfg.knobs.ip_local_port_range[0];
	int n = st->cfg.knobs.ip_local_port_range[1] - low + 1;
	uint32_t start = st->port_perturb[st->now_ns & 255] + (uint32_t)s->fd;
	for (int parity = 1; parity >= 0; parity--)
		for (int i = 0; i < n; i++) {
			int port = low + (int)((start + (uint32_t)i) % (uint32_t)n);
			if ((port & 1) == parity && port_check_bind(st, s, (uint16_t)port) == 0 &&
			    !lhash_lookup(st, (uint16_t)port))
				return port_bind(st, s, (uint16_t)port);
		}
	return -EADDRINUSE;
}

int sk_bind(struct sk_stack *st, int fd, const struct sockaddr *addr, socklen_t len)
{
	struct sk_sock *s = fd_get(st, fd);
	struct sockaddr_in sin;
	if (!s)
		return -EBADF;
	int err = sockaddr_in_get(addr, len, &sin);
	if (err)
		return err;
	uint32_t ip = ntohl(sin.sin_addr.s_addr);
	if (sin.sin_family != AF_INET && !(sin.sin_family == AF_UNSPEC && ip == INADDR_ANY))
		return -EAFNOSUPPORT;
	if (ip != INADDR_ANY && ip != st->cfg.addr)
		return -EADDRNOTAVAIL;
	if (s->state != SK_TCP_CLOSE || (s->flags & SOCKF_BOUND))
		return -EINVAL;
	uint16_t port = ntohs(sin.sin_port);
	if (port == 0) {
		err = autobind(st, s);
	} else {
		err = port_check_bind(st, s, port);
		if (!err && lhash_lookup(st, port))
			err = -EADDRINUSE;
		if (!err)
			err = port_bind(st, s, port);
	}
	if (err)
		return err;
	s->flags |= SOCKF_USER_BOUND;
	s->laddr = ip;
	return 0;
}

int sk_listen(struct sk_stack *st, int fd, int backlog)
{
	struct sk_sock *s = fd_get(st, fd);
	if (!s)
		return -EBADF;
	int somax = st->cfg.knobs.somaxconn;
	if ((unsigned)backlog > (unsigned)somax)
		backlog = somax;
	if (s->state == SK_TCP_LISTEN) {
		s->lq->backlog = backlog; /* Linux lets listen() resize the queue */
		return 0;
	}
	if (s->state != SK_TCP_CLOSE || s->ss != SS_UNCONNECTED)
		return -EINVAL;
	if (s->flags & SOCKF_BOUND) {
		if (lhash_lookup(st, s->lport))
			return -EADDRINUSE;
	} else {
		int err = autobind(st, s);
		if (err)
			return err;
	}
	s->lq = sk_alloc(st, sizeof(*s->lq));
	if (!s->lq)
		return -ENOBUFS;
	memset(s->lq, 0, sizeof(*s->lq));
	s->lq->backlog = backlog;
	sock_set_state(st, s, SK_TCP_LISTEN);
	lhash_insert(st, s);
	return 0;
}

int sk_accept(struct sk_stack *st, int fd, struct sockaddr *addr, socklen_t *len)
{
	struct sk_sock *l = fd_get(st, fd);
	if (!l)
		return -EBADF;
	if (l->state != SK_TCP_LISTEN)
		return -EINVAL;
	if (addr && len && (int)*len < 0)
		return -EINVAL;
	struct sk_sock *c = l->lq->acc_head;
	if (!c)
		return -EAGAIN;
	int nfd = fd_alloc(st, c);
	if (nfd < 0)
		return nfd;
	tcp_child_unlink(c);
	c->ss = SS_CONNECTED;
	sockaddr_in_put(c->raddr, c->rport, addr, len);
	return nfd;
}

/* Linux's tcp_disconnect: abort whatever the socket is doing (RST where
 * a connection needs one), and leave it unconnected and reusable. */
static void sock_disconnect(struct sk_stack *st, struct sk_sock *s)
{
	int old = s->state;
	if (old == SK_TCP_LISTEN) {
		tcp_listen_stop(st, s);
	} else if (old != SK_TCP_CLOSE) {
		if (TCPF(old) & (TCPF(SK_TCP_ESTABLISHED) | TCPF(SK_TCP_CLOSE_WAIT) |
				 TCPF(SK_TCP_FIN_WAIT1) | TCPF(SK_TCP_FIN_WAIT2) | TCPF(SK_TCP_SYN_RECV)))
			tcp_send_reset(st, s);
		sock_done(st, s);
		s->so_error = ECONNRESET;
	}
	ring_free(st, &s->rcv);
	s->flags &= ~(SOCKF_SHUT_RD | SOCKF_SHUT_WR | SOCKF_FIN_RCVD);
	s->raddr = 0;
	s->rport = 0;
	s->ss = SS_UNCONNECTED;
}

int sk_connect(struct sk_stack *st, int fd, const struct sockaddr *addr, socklen_t len)
{
	struct sk_sock *s = fd_get(st, fd);
	struct sockaddr_in sin;
	if (!s)
		return -EBADF;
	/* __inet_stream_connect's order: the family field, AF_UNSPEC
	 * (disconnect), the socket's state, then the address itself */
	if (!addr || len < (socklen_t)sizeof(sa_family_t) || !addr_len_ok(len))
		return -EINVAL;
	if (addr->sa_family == AF_UNSPEC) {
		sock_disconnect(st, s);
		return 0;
	}
	if (s->ss == SS_DISCONNECTING)
		return -EINVAL;
	if (s->ss == SS_CONNECTED)
		return -EISCONN;
	if (s->ss == SS_CONNECTING) {
		if (TCPF(s->state) & (TCPF(SK_TCP_SYN_SENT) | TCPF(SK_TCP_SYN_RECV)))
			return -EALREADY;
		if (s->state == SK_TCP_CLOSE) { /* it failed: report why, once */
			int err = s->so_error ? -s->so_error : -ECONNABORTED;
			s->so_error = 0;
			sock_disconnect(st, s);
			s->so_error = 0;
			return err;
		}
		s->ss = SS_CONNECTED; /* it completed meanwhile */
		return 0;
	}
	if (s->state != SK_TCP_CLOSE)
		return -EISCONN;
	int err = sockaddr_in_get(addr, len, &sin);
	if (err)
		return err;
	if (sin.sin_family != AF_INET)
		return -EAFNOSUPPORT;
	uint32_t ip = ntohl(sin.sin_addr.s_addr);
	s->raddr = ip == INADDR_ANY ? st->cfg.addr : ip; /* 0.0.0.0 means this host */
	s->rport = ntohs(sin.sin_port);
	s->laddr = st->cfg.addr;
	s->flags &= ~SOCKF_TW_REUSED; /* set again if this connect takes over a TIME-WAIT */
	if (!(s->flags & SOCKF_BOUND))
		err = port_connect(st, s);
	else {
		struct hnode *n = ehash_lookup(st, s->laddr, s->lport, s->raddr, s->rport);
		if (n && !tcp_tw_take(st, s, n, true))
			err = -EADDRNOTAVAIL;
	}
	if (err) {
		s->raddr = 0;
		s->rport = 0;
		return err;
	}
	s->so_error = 0;
	tcp_connect(st, s);
	s->ss = SS_CONNECTING;
	return -EINPROGRESS;
}

/* The pending error, cleared as it is reported (Linux sock_error). */
static int take_error(struct sk_sock *s)
{
	int err = s->so_error;
	s->so_error = 0;
	return -err;
}

/* Linux's sk_stream_error: an EPIPE comes with SIGPIPE unless
 * MSG_NOSIGNAL; the core cannot raise it, so it tells the observer. */
static long send_error(struct sk_stack *st, struct sk_sock *s, long err, int flags)
{
	if (err == -EPIPE && !(flags & MSG_NOSIGNAL) && st->cfg.observe) {
		struct sk_event ev = { .kind = SK_EV_SIGPIPE, .fd = s->fd, .laddr = s->laddr,
				       .raddr = s->raddr, .lport = s->lport, .rport = s->rport,
				       .old_state = s->state, .new_state = s->state };
		st->cfg.observe(st->cfg.observe_ctx, st->now_ns, &ev);
	}
	return err;
}

long sk_send(struct sk_stack *st, int fd, const void *buf, size_t len, int flags)
{
	struct sk_sock *s = fd_get(st, fd);
	if (!s)
		return -EBADF;
	if (flags & MSG_OOB)
		return -EOPNOTSUPP;
	if (s->so_error)
		return send_error(st, s, take_error(s), flags);
	if (s->flags & SOCKF_SHUT_WR)
		return send_error(st, s, -EPIPE, flags);
	if (!(TCPF(s->state) & (TCPF(SK_TCP_ESTABLISHED) | TCPF(SK_TCP_CLOSE_WAIT))))
		return TCPF(s->state) & (TCPF(SK_TCP_SYN_SENT) | TCPF(SK_TCP_SYN_RECV))
			       ? -EAGAIN
			       : send_error(st, s, -EPIPE, flags);
	if (len == 0)
		return 0;
	if (!buf)
		return -EFAULT;
	struct iovec v = { (void *)buf, len };
	return tcp_write(st, s, &v, 1, flags);
}

long sk_recv(struct sk_stack *st, int fd, void *buf, size_t len, int flags)
{
	struct sk_sock *s = fd_get(st, fd);
	if (!s)
		return -EBADF;
	if (flags & MSG_OOB)
		return -EOPNOTSUPP;
	if (s->state == SK_TCP_LISTEN)
		return -ENOTCONN;
	if (s->rcv.len) {
		if (!len)
			return 0;
		if (!buf)
			return -EFAULT;
		uint32_t n = len < s->rcv.len ? (uint32_t)len : s->rcv.len;
		ring_peek(&s->rcv, 0, buf, n);
		if (!(flags & MSG_PEEK)) {
			ring_drop(st, &s->rcv, n);
			tcp_cleanup_rbuf(st, s, n);
		}
		return n;
	}
	if (s->flags & SOCKF_FIN_RCVD)
		return 0;
	if (s->so_error)
		return take_error(s);
	if (s->flags & SOCKF_SHUT_RD)
		return 0;
	if (s->state == SK_TCP_CLOSE)
		return -ENOTCONN;
	return -EAGAIN; /* even for a length of 0, as Linux */
}

int sk_shutdown(struct sk_stack *st, int fd, int how)
{
	struct sk_sock *s = fd_get(st, fd);
	if (!s)
		return -EBADF;
	if (how < SHUT_RD || how > SHUT_RDWR)
		return -EINVAL;
	bool rd = how != SHUT_WR, wr = how != SHUT_RD;
	if (s->ss == SS_CONNECTING) /* inet_shutdown settles a pending connect */
		s->ss = TCPF(s->state) & (TCPF(SK_TCP_SYN_SENT) | TCPF(SK_TCP_SYN_RECV) | TCPF(SK_TCP_CLOSE))
				? SS_DISCONNECTING : SS_CONNECTED;
	switch (s->state) {
	case SK_TCP_CLOSE:
		s->flags |= (rd ? SOCKF_SHUT_RD : 0) | (wr ? SOCKF_SHUT_WR : 0);
		return -ENOTCONN;
	case SK_TCP_LISTEN:
		if (rd)
			tcp_listen_stop(st, s);
		return 0;
	case SK_TCP_SYN_SENT:
		sock_disconnect(st, s); /* Linux disconnects a connect in progress */
		return 0;
	default:
		break;
	}
	if (rd)
		s->flags |= SOCKF_SHUT_RD;
	if (wr)
		tcp_send_fin(st, s);
	sock_wake(st, s);
	return 0;
}

int sk_close(struct sk_stack *st, int fd)
{
	struct sk_sock *s = fd_get(st, fd);
	if (!s)
		return -EBADF;
	fd_release(st, fd);
	s->fd = -1;
	tcp_close(st, s);
	return 0;
}

int sk_fcntl_getfl(struct sk_stack *st, int fd)
{
	struct sk_sock *s = fd_get(st, fd);
	if (!s)
		return -EBADF;
	return O_RDWR | ((s->flags & SOCKF_NONBLOCK) ? O_NONBLOCK : 0);
}

int sk_fcntl_setfl(struct sk_stack *st, int fd, int flags)
{
	struct sk_sock *s = fd_get(st, fd);
	if (!s)
		return -EBADF;
	if (flags & O_NONBLOCK)
		s->flags |= SOCKF_NONBLOCK;
	else
		s->flags &= ~SOCKF_NONBLOCK;
	return 0;
}

int sk_getsockname(struct sk_stack *st, int fd, struct sockaddr *addr, socklen_t *len)
{
	struct sk_sock *s = fd_get(st, fd);
	if (!s)
		return -EBADF;
	if (!addr || !len)
		return -EFAULT;
	return sockaddr_in_put(s->laddr, (s->flags & SOCKF_BOUND) ? s->lport : 0, addr, len);
}

int sk_getpeername(struct sk_stack *st, int fd, struct sockaddr *addr, socklen_t *len)
{
	struct sk_sock *s = fd_get(st, fd);
	if (!s)
		return -EBADF;
	if (!addr || !len)
		return -EFAULT;
	if (!s->rport || (TCPF(s->state) & (TCPF(SK_TCP_CLOSE) | TCPF(SK_TCP_SYN_SENT) | TCPF(SK_TCP_LISTEN))))
		return -ENOTCONN;
	return sockaddr_in_put(s->raddr, s->rport, addr, len);
}

/* Linux's tcp_poll. */
int sk_poll(struct sk_stack *st, int fd, int events)
{
	struct sk_sock *s = fd_get(st, fd);
	if (!s)
		return -EBADF;
	int mask = 0;
	if (s->state == SK_TCP_LISTEN) {
		mask = s->lq->acc_head ? POLLIN : 0;
		return mask & events;
	}
	bool rcv_shut = (s->flags & (SOCKF_SHUT_RD | SOCKF_FIN_RCVD)) != 0;
	bool snd_shut = (s->flags & SOCKF_SHUT_WR) != 0;
	if ((rcv_shut && snd_shut) || s->state == SK_TCP_CLOSE)
		mask |= POLLHUP;
	if (rcv_shut)
		mask |= POLLIN | SK_POLLRDHUP;
	if (s->state != SK_TCP_SYN_SENT && s->state != SK_TCP_SYN_RECV) {
		if (s->rcv.len)
			mask |= POLLIN;
		/* sk_stream_is_writeable: free space of at least half what is
		 * queued, and unsent bytes under half TCP_NOTSENT_LOWAT
		 * (tcp_stream_memory_free with wake = 1) */
		uint32_t limit = (uint32_t)tcp_sndbuf_limit(st, s);
		uint32_t end = s->snd_una + s->snd.len;
		uint64_t notsent = seq_gt(end, s->snd_nxt) ? end - s->snd_nxt : 0;
		if (snd_shut || (ring_room(&s->snd, limit) >= s->snd.len / 2 &&
				 (notsent << 1) < tcp_notsent_lowat(st, s)))
			mask |= POLLOUT;
	}
	if (s->so_error)
		mask |= POLLERR;
	return mask & (events | POLLERR | POLLHUP);
}

/* What `ss` shows for one socket (Linux's tcp_get_info_timer order). */
static struct sk_sockinfo sockinfo(const struct sk_sock *s)
{
	struct sk_sockinfo i = { s->fd, s->state, s->rcv.len, s->snd.len, s->laddr, s->raddr,
				 s->lport, s->rport, NULL, 0, 0, 0 };
	if (s->state == SK_TCP_LISTEN) {
		i.recv_q = (uint32_t)s->lq->acc_count; /* as ss shows a listener */
		i.send_q = (uint32_t)s->lq->backlog;
	} else if (s->rtx_at_ns) {
		bool persist = s->snd_una == s->snd_max && s->state != SK_TCP_SYN_SENT &&
			       s->state != SK_TCP_SYN_RECV;
		i.timer = persist ? "persist" : "on";
		i.timer_at_ns = s->rtx_at_ns;
		i.timer_count = persist ? s->probes : s->retransmits;
	} else if (s->idle_at_ns) {
		bool tw = s->state == SK_TCP_TIME_WAIT || s->state == SK_TCP_FIN_WAIT2;
		i.timer = tw ? "timewait" : "keepalive";
		i.timer_at_ns = s->idle_at_ns;
		i.timer_count = tw ? 0 : s->probes;
	}
	i.orphan = (s->flags & SOCKF_ORPHAN) != 0;
	return i;
}

void sk_foreach_socket(const struct sk_stack *st,
		       void (*fn)(void *ctx, const struct sk_sockinfo *info), void *ctx)
{
	for (int fd = 0; fd < st->fd_cap; fd++) {
		if (!st->fds[fd])
			continue;
		struct sk_sockinfo i = sockinfo(st->fds[fd]);
		fn(ctx, &i);
	}
	for (uint32_t h = 0; h <= st->ehash_mask; h++)
		for (const struct hnode *n = st->ehash[h]; n; n = n->hnext) {
			struct sk_sockinfo i;
			if (n->state == SK_TCP_TIME_WAIT) {
				const struct tw_sock *tw = (const struct tw_sock *)n;
				i = (struct sk_sockinfo){ -1, SK_TCP_TIME_WAIT, 0, 0, tw->laddr, tw->raddr,
							  tw->lport, tw->rport, "timewait", tw->expire_ns, 0, 0 };
			} else if (((const struct sk_sock *)n)->fd < 0) {
				i = sockinfo((const struct sk_sock *)n);
			} else {
				continue; /* listed above by its descriptor */
			}
			fn(ctx, &i);
		}
}
