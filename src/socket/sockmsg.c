/* sendmsg/recvmsg with gather and scatter lists, and the socket ioctls
 * (SIOCINQ, SIOCOUTQ, SIOCOUTQNSD, FIONBIO), as Linux's tcp_sendmsg,
 * tcp_recvmsg and tcp_ioctl answer them.
 *
 * A gather list is one call for TCP: every piece is queued before the
 * output engine runs, so {40 bytes, 20 bytes} with TCP_NODELAY leaves as
 * one 60-byte segment, exactly as from Linux, not as two. */
#include <fcntl.h>
#include <limits.h>
#include <sys/ioctl.h>
#include <sys/uio.h>

#include "core.h"

/* Linux's ioctl numbers (linux/sockios.h), spelled here so the core needs
 * only libc headers. */
#define SIOCINQ FIONREAD
#define SIOCOUTQ TIOCOUTQ
#define SIOCOUTQNSD 0x894B

#ifndef UIO_MAXIOV
#define UIO_MAXIOV 1024 /* Linux's limit on iovec entries */
#endif

/* The total length of an iovec list; -EINVAL when it overflows ssize_t,
 * as Linux's import_iovec refuses it. */
static long iov_total(const struct msghdr *msg)
{
	size_t total = 0;
	for (size_t i = 0; i < (size_t)msg->msg_iovlen; i++) {
		size_t n = msg->msg_iov[i].iov_len;
		if (n > (size_t)LONG_MAX - total)
			return -EINVAL;
		total += n;
	}
	return (long)total;
}

/* What Linux's ___sys_sendmsg/recvmsg check before the protocol runs. */
static long msg_check(const struct msghdr *msg)
{
	if (!msg || (msg->msg_iovlen && !msg->msg_iov))
		return -EFAULT;
	if (msg->msg_iovlen > UIO_MAXIOV)
		return -EMSGSIZE;
	return iov_total(msg);
}

long sk_sendmsg(struct sk_stack *st, int fd, const struct msghdr *msg, int flags)
{
	struct sk_sock *s = fd_get(st, fd);
	if (!s)
		return -EBADF;
	long total = msg_check(msg);
	if (total < 0)
		return total;
	/* sk_send with no data makes every check a send makes, in Linux's
	 * order, and reports EPIPE to the observer as it should. */
	long rc = sk_send(st, fd, NULL, 0, flags);
	if (rc < 0 || total == 0)
		return rc;
	return tcp_write(st, s, msg->msg_iov, (size_t)msg->msg_iovlen, flags);
}

/* Copies up to the list's length from the receive buffer into the
 * scatter list; returns the bytes copied or -EFAULT when none could be. */
static long scatter(struct sk_sock *s, const struct msghdr *msg)
{
	uint32_t off = 0;
	for (size_t i = 0; i < (size_t)msg->msg_iovlen && off < s->rcv.len; i++) {
		const struct iovec *v = &msg->msg_iov[i];
		uint32_t n = v->iov_len < s->rcv.len - off ? (uint32_t)v->iov_len : s->rcv.len - off;
		if (n == 0)
			continue;
		if (!v->iov_base)
			return off ? (long)off : -EFAULT;
		ring_peek(&s->rcv, off, v->iov_base, n);
		off += n;
	}
	return off;
}

/* TCP_INQ (Linux tcp_inq_hint): what is left to read; after the peer's
 * FIN at least 1, the "fake byte" that tells the reader to go on until it
 * sees the end. Goes out as a TCP_CM_INQ control message, cut off with
 * MSG_CTRUNC when the control buffer is too short (put_cmsg). */
static void put_inq(const struct sk_sock *s, struct msghdr *msg)
{
	int inq = (int)s->rcv.len + ((s->flags & SOCKF_FIN_RCVD) ? 1 : 0);
	size_t room = msg->msg_control ? msg->msg_controllen : 0;
	if (room < CMSG_LEN(sizeof(inq))) {
		msg->msg_flags |= MSG_CTRUNC;
		msg->msg_controllen = 0;
		return;
	}
	struct cmsghdr c = { .cmsg_len = CMSG_LEN(sizeof(inq)), .cmsg_level = SOL_TCP, .cmsg_type = TCP_CM_INQ };
	memcpy(msg->msg_control, &c, sizeof(c));
	memcpy(CMSG_DATA((struct cmsghdr *)msg->msg_control), &inq, sizeof(inq));
	msg->msg_controllen = room < CMSG_SPACE(sizeof(inq)) ? room : CMSG_SPACE(sizeof(inq));
}

static long recv_data(struct sk_stack *st, struct sk_sock *s, int fd, struct msghdr *msg, int flags, long total);

long sk_recvmsg(struct sk_stack *st, int fd, struct msghdr *msg, int flags)
{
	struct sk_sock *s = fd_get(st, fd);
	if (!s)
		return -EBADF;
	long total = msg_check(msg);
	if (total < 0)
		return total;
	size_t control = msg->msg_controllen;
	msg->msg_flags = 0;
	msg->msg_controllen = 0; /* no control messages unless asked for */
	long rc = recv_data(st, s, fd, msg, flags, total);
	if (rc >= 0 && (s->flags & SOCKF_INQ)) {
		msg->msg_controllen = control;
		put_inq(s, msg);
	}
	return rc;
}

static long recv_data(struct sk_stack *st, struct sk_sock *s, int fd, struct msghdr *msg, int flags, long total)
{
	if (s->state == SK_TCP_LISTEN || !s->rcv.len || total == 0 || (flags & MSG_OOB)) {
		/* No data to copy: sk_recv answers (EOF, the pending error,
		 * EAGAIN, ...) without touching the buffer. */
		char dummy;
		return sk_recv(st, fd, &dummy, total ? 1 : 0, flags);
	}
	long n = scatter(s, msg);
	if (n > 0 && !(flags & MSG_PEEK)) {
		ring_drop(st, &s->rcv, (uint32_t)n);
		tcp_cleanup_rbuf(st, s, (uint32_t)n);
	}
	return n;
}

/* Bytes queued but not yet acknowledged, and not yet sent; a queued FIN
 * counts one, as in Linux where it takes a sequence number of write_seq. */
static uint32_t fin_unacked(const struct sk_sock *s)
{
	return (s->flags & SOCKF_SHUT_WR) &&
	       (TCPF(s->state) & (TCPF(SK_TCP_FIN_WAIT1) | TCPF(SK_TCP_CLOSING) | TCPF(SK_TCP_LAST_ACK)));
}

/* Linux's tcp_ioctl (and FIONBIO from sock_ioctl). `arg` points at an int,
 * read for FIONBIO and written for the queries. */
int sk_ioctl(struct sk_stack *st, int fd, unsigned long request, int *arg)
{
	struct sk_sock *s = fd_get(st, fd);
	if (!s)
		return -EBADF;
	if (!arg)
		return -EFAULT;
	bool handshake = TCPF(s->state) & (TCPF(SK_TCP_SYN_SENT) | TCPF(SK_TCP_SYN_RECV));
	switch (request) {
	case FIONBIO:
		return sk_fcntl_setfl(st, fd, *arg ? O_NONBLOCK : 0);
	case SIOCINQ:
		if (s->state == SK_TCP_LISTEN)
			return -EINVAL;
		*arg = handshake ? 0 : (int)s->rcv.len;
		return 0;
	case SIOCOUTQ:
		if (s->state == SK_TCP_LISTEN)
			return -EINVAL;
		*arg = handshake ? 0 : (int)(s->snd.len + fin_unacked(s));
		return 0;
	case SIOCOUTQNSD:
		if (s->state == SK_TCP_LISTEN)
			return -EINVAL;
		*arg = handshake ? 0 : (int)(s->snd_una + s->snd.len + fin_unacked(s) - s->snd_nxt);
		return 0;
	case SIOCATMARK:
		*arg = 0; /* no urgent data is ever kept */
		return 0;
	default:
		return -ENOTTY;
	}
}
