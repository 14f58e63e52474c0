/* The socket calls of libsynack-packetdrill.so: each one maps packetdrill's
 * descriptor to the stack's, calls the stack, and, for a blocking socket,
 * waits as Linux would (see pd_wait). Descriptors are real host
 * descriptors open on /dev/null, because packetdrill closes the sockets a
 * script leaves open with the host's close(). */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "packetdrill_int.h"

/* ---- descriptors ---- */

static int grow(void **arr, int *n, int want, size_t elem, int fill)
{
	if (want <= *n)
		return 0;
	int cap = *n ? *n : 16;
	while (cap < want)
		cap *= 2;
	void *p = realloc(*arr, (size_t)cap * elem);
	if (!p)
		return -ENOMEM;
	memset((char *)p + (size_t)*n * elem, fill, (size_t)(cap - *n) * elem);
	*arr = p;
	*n = cap;
	return 0;
}

int pd_fd_new(struct pd *pd, enum pd_kind kind, int sk)
{
	int h = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (h < 0)
		return -errno;
	if (grow((void **)&pd->fds, &pd->nfds, h + 1, sizeof(*pd->fds), 0) < 0 ||
	    (kind == PD_SOCK && grow((void **)&pd->by_sk, &pd->nby_sk, sk + 1, sizeof(int), 0xff) < 0)) {
		close(h);
		return -ENOMEM;
	}
	pd->fds[h] = (struct pd_fd){ .kind = kind, .sk = sk };
	if (kind == PD_SOCK)
		pd->by_sk[sk] = h;
	return h;
}

struct pd_fd *pd_fd_get(struct pd *pd, int fd, enum pd_kind kind)
{
	if (fd < 0 || fd >= pd->nfds || pd->fds[fd].kind == PD_NONE)
		return NULL;
	return kind == PD_NONE || pd->fds[fd].kind == kind ? &pd->fds[fd] : NULL;
}

/* The stack's descriptor behind `fd`: -EBADF for none of ours, -ENOTSOCK
 * for an epoll descriptor. */
int pd_sk(struct pd *pd, int fd)
{
	struct pd_fd *f = pd_fd_get(pd, fd, PD_NONE);
	if (!f)
		return -EBADF;
	return f->kind == PD_SOCK ? f->sk : -ENOTSOCK;
}

void pd_fd_release(struct pd *pd, int fd)
{
	struct pd_fd *f = &pd->fds[fd];
	struct pd_epoll *ep = f->kind == PD_EPOLL ? f->ep : NULL;
	if (f->kind == PD_SOCK)
		pd->by_sk[f->sk] = -1;
	f->kind = PD_NONE;
	f->ep = NULL;
	pd_epoll_free(ep);
	pd_epoll_forget(pd, fd);
	close(fd);
}

/* At the end. Sockets a script left open packetdrill has closed already
 * with the host's close(), and the number may have been reused since, so
 * a descriptor is closed only if it still is our /dev/null. */
void pd_fds_free(struct pd *pd)
{
	for (int fd = 0; fd < pd->nfds; fd++) {
		struct pd_fd *f = &pd->fds[fd];
		if (f->kind == PD_NONE)
			continue;
		struct stat sb;
		if (fstat(fd, &sb) == 0 && S_ISCHR(sb.st_mode) && sb.st_rdev == makedev(1, 3))
			close(fd);
		if (f->kind == PD_EPOLL)
			pd_epoll_free(f->ep);
		f->kind = PD_NONE;
		f->ep = NULL;
	}
}

/* ---- helpers ---- */

static bool blocking(struct pd *pd, int sk, int flags)
{
	return !(flags & MSG_DONTWAIT) && !(sk_fcntl_getfl(pd->st, sk) & O_NONBLOCK);
}

static int ret_int(long rc)
{
	return rc < 0 ? pd_fail((int)rc) : (int)rc;
}

/* ---- the calls ---- */

static int pd_socket(void *ud, int domain, int type, int protocol)
{
	struct pd *pd = ud;
	pd_enter(pd);
	int rc = sk_socket(pd->st, domain, type, protocol);
	if (rc >= 0) {
		int sk = rc;
		rc = pd_fd_new(pd, PD_SOCK, sk);
		if (rc < 0)
			sk_close(pd->st, sk);
	}
	pd_leave(pd);
	return ret_int(rc);
}

static int pd_bind(void *ud, int fd, const struct sockaddr *addr, socklen_t len)
{
	struct pd *pd = ud;
	pd_enter(pd);
	int rc = pd_sk(pd, fd);
	if (rc >= 0)
		rc = sk_bind(pd->st, rc, addr, len);
	if (rc == -EADDRNOTAVAIL) /* the usual mistake: packetdrill's random local address */
		fprintf(stderr, "synack-packetdrill: bind: not the stack's address; pass the same "
				"--local_ip to packetdrill and local_ip= in --so_flags\n");
	pd_leave(pd);
	return ret_int(rc);
}

static int pd_listen(void *ud, int fd, int backlog)
{
	struct pd *pd = ud;
	pd_enter(pd);
	int rc = pd_sk(pd, fd);
	if (rc >= 0)
		rc = sk_listen(pd->st, rc, backlog);
	pd_leave(pd);
	return ret_int(rc);
}

static int pd_accept(void *ud, int fd, struct sockaddr *addr, socklen_t *len)
{
	struct pd *pd = ud;
	pd_enter(pd);
	int sk = pd_sk(pd, fd), rc = sk;
	while (sk >= 0) {
		rc = sk_accept(pd->st, sk, addr, len);
		if (rc != -EAGAIN || !blocking(pd, sk, 0) || !pd_wait(pd, SK_NEVER))
			break;
	}
	if (rc >= 0) {
		int child = rc;
		rc = pd_fd_new(pd, PD_SOCK, child);
		if (rc < 0)
			sk_close(pd->st, child);
	}
	pd_leave(pd);
	return ret_int(rc);
}

/* A blocking connect waits for the handshake to end, then asks the stack
 * again for the outcome: 0, or why it failed. */
static int pd_connect(void *ud, int fd, const struct sockaddr *addr, socklen_t len)
{
	struct pd *pd = ud;
	pd_enter(pd);
	int sk = pd_sk(pd, fd), rc = sk;
	if (sk >= 0)
		rc = sk_connect(pd->st, sk, addr, len);
	if (rc == -EINPROGRESS && blocking(pd, sk, 0)) {
		const int done = POLLOUT | POLLERR | POLLHUP;
		while (!(sk_poll(pd->st, sk, POLLOUT) & done) && pd_wait(pd, SK_NEVER))
			;
		if (sk_poll(pd->st, sk, POLLOUT) & done)
			rc = sk_connect(pd->st, sk, addr, len);
	}
	pd_leave(pd);
	return ret_int(rc);
}

/* ---- receiving ---- */

static ssize_t recv_msg(struct pd *pd, int fd, struct msghdr *msg, int flags)
{
	pd_enter(pd);
	long rc = pd_sk(pd, fd);
	int sk = (int)rc;
	while (sk >= 0) {
		rc = sk_recvmsg(pd->st, sk, msg, flags);
		if (rc != -EAGAIN || !blocking(pd, sk, flags) || !pd_wait(pd, SK_NEVER))
			break;
	}
	pd_leave(pd);
	return rc < 0 ? pd_fail((int)rc) : rc;
}

static ssize_t recv_buf(struct pd *pd, int fd, void *buf, size_t len, int flags)
{
	struct iovec v = { buf, len };
	struct msghdr msg = { .msg_iov = &v, .msg_iovlen = 1 };
	return recv_msg(pd, fd, &msg, flags);
}

static ssize_t pd_read(void *ud, int fd, void *buf, size_t count)
{
	return recv_buf(ud, fd, buf, count, 0);
}

static ssize_t pd_readv(void *ud, int fd, const struct iovec *iov, int iovcnt)
{
	if (iovcnt < 0)
		return pd_fail(-EINVAL);
	struct msghdr msg = { .msg_iov = (struct iovec *)iov, .msg_iovlen = (size_t)iovcnt };
	return recv_msg(ud, fd, &msg, 0);
}

static ssize_t pd_recv(void *ud, int fd, void *buf, size_t len, int flags)
{
	return recv_buf(ud, fd, buf, len, flags);
}

/* TCP fills in no source address: Linux reports a length of 0. */
static ssize_t pd_recvfrom(void *ud, int fd, void *buf, size_t len, int flags,
			   struct sockaddr *src, socklen_t *srclen)
{
	(void)src;
	ssize_t rc = recv_buf(ud, fd, buf, len, flags);
	if (rc >= 0 && srclen)
		*srclen = 0;
	return rc;
}

static ssize_t pd_recvmsg(void *ud, int fd, struct msghdr *msg, int flags)
{
	return recv_msg(ud, fd, msg, flags);
}

/* ---- sending ---- */

/* Moves the iovec list past `n` bytes that were sent. */
static void iov_consume(struct msghdr *m, size_t n)
{
	while (n && m->msg_iovlen) {
		size_t k = n < m->msg_iov->iov_len ? n : m->msg_iov->iov_len;
		m->msg_iov->iov_base = (char *)m->msg_iov->iov_base + k;
		m->msg_iov->iov_len -= k;
		n -= k;
		if (m->msg_iov->iov_len == 0) {
			m->msg_iov++;
			m->msg_iovlen--;
		}
	}
}

/* A blocking send, as Linux's tcp_sendmsg, returns only when all of it is
 * queued (or an error stops it: then what was queued counts). */
static long send_blocking(struct pd *pd, int sk, const struct msghdr *msg, int flags)
{
	size_t n = (size_t)msg->msg_iovlen;
	struct iovec *v = malloc((n ? n : 1) * sizeof(*v));
	if (!v)
		return -ENOMEM;
	memcpy(v, msg->msg_iov, n * sizeof(*v));
	struct msghdr m = *msg;
	m.msg_iov = v;
	long done = 0, rc;
	for (;;) {
		rc = sk_sendmsg(pd->st, sk, &m, flags);
		if (rc > 0) {
			done += rc;
			iov_consume(&m, (size_t)rc);
		}
		bool left = false;
		for (size_t i = 0; i < (size_t)m.msg_iovlen; i++)
			left |= m.msg_iov[i].iov_len != 0;
		if (!left || (rc < 0 && rc != -EAGAIN) || !pd_wait(pd, SK_NEVER))
			break;
	}
	free(v);
	return done ? done : rc;
}

static ssize_t send_msg(struct pd *pd, int fd, const struct msghdr *msg, int flags)
{
	pd_enter(pd);
	long rc = pd_sk(pd, fd);
	int sk = (int)rc;
	if (sk >= 0) {
		if (msg && msg->msg_iov && msg->msg_iovlen <= 1024 && blocking(pd, sk, flags))
			rc = send_blocking(pd, sk, msg, flags);
		else
			rc = sk_sendmsg(pd->st, sk, msg, flags);
	}
	pd_leave(pd);
	return rc < 0 ? pd_fail((int)rc) : rc;
}

static ssize_t send_buf(struct pd *pd, int fd, const void *buf, size_t len, int flags)
{
	struct iovec v = { (void *)buf, len };
	struct msghdr msg = { .msg_iov = &v, .msg_iovlen = 1 };
	return send_msg(pd, fd, &msg, flags);
}

static ssize_t pd_write(void *ud, int fd, const void *buf, size_t count)
{
	return send_buf(ud, fd, buf, count, 0);
}

static ssize_t pd_writev(void *ud, int fd, const struct iovec *iov, int iovcnt)
{
	if (iovcnt < 0)
		return pd_fail(-EINVAL);
	struct msghdr msg = { .msg_iov = (struct iovec *)iov, .msg_iovlen = (size_t)iovcnt };
	return send_msg(ud, fd, &msg, 0);
}

static ssize_t pd_send(void *ud, int fd, const void *buf, size_t len, int flags)
{
	return send_buf(ud, fd, buf, len, flags);
}

/* A connected TCP socket ignores the destination, as Linux's does. */
static ssize_t pd_sendto(void *ud, int fd, const void *buf, size_t len, int flags,
			 const struct sockaddr *dest, socklen_t destlen)
{
	(void)dest;
	(void)destlen;
	return send_buf(ud, fd, buf, len, flags);
}

static ssize_t pd_sendmsg(void *ud, int fd, const struct msghdr *msg, int flags)
{
	return send_msg(ud, fd, msg, flags);
}

/* ---- control ---- */

static int pd_fcntl(void *ud, int fd, int cmd, ...)
{
	struct pd *pd = ud;
	va_list ap;
	va_start(ap, cmd);
	int arg = (cmd == F_SETFL || cmd == F_SETFD) ? va_arg(ap, int) : 0;
	va_end(ap);
	pd_enter(pd);
	int rc = pd_sk(pd, fd);
	if (rc == -ENOTSOCK) /* an epoll descriptor */
		rc = cmd == F_GETFL ? O_RDWR : (cmd == F_SETFL || cmd == F_GETFD || cmd == F_SETFD) ? 0 : -EINVAL;
	else if (rc >= 0 && cmd == F_GETFL)
		rc = sk_fcntl_getfl(pd->st, rc);
	else if (rc >= 0 && cmd == F_SETFL)
		rc = sk_fcntl_setfl(pd->st, rc, arg);
	else if (rc >= 0)
		rc = (cmd == F_GETFD || cmd == F_SETFD) ? 0 : -EINVAL;
	pd_leave(pd);
	return ret_int(rc);
}

static int pd_ioctl(void *ud, int fd, unsigned long request, ...)
{
	struct pd *pd = ud;
	va_list ap;
	va_start(ap, request);
	int *arg = va_arg(ap, int *);
	va_end(ap);
	pd_enter(pd);
	int rc = pd_sk(pd, fd);
	if (rc >= 0)
		rc = sk_ioctl(pd->st, rc, request, arg);
	else if (rc == -ENOTSOCK)
		rc = -ENOTTY;
	pd_leave(pd);
	return ret_int(rc);
}

static int pd_close(void *ud, int fd)
{
	struct pd *pd = ud;
	pd_enter(pd);
	struct pd_fd *f = pd_fd_get(pd, fd, PD_NONE);
	int rc = f ? 0 : -EBADF;
	if (f && f->kind == PD_SOCK)
		rc = sk_close(pd->st, f->sk);
	if (f)
		pd_fd_release(pd, fd);
	pd_leave(pd);
	return ret_int(rc);
}

static int pd_shutdown(void *ud, int fd, int how)
{
	struct pd *pd = ud;
	pd_enter(pd);
	int rc = pd_sk(pd, fd);
	if (rc >= 0)
		rc = sk_shutdown(pd->st, rc, how);
	pd_leave(pd);
	return ret_int(rc);
}

static int pd_getsockopt(void *ud, int fd, int level, int name, void *val, socklen_t *len)
{
	struct pd *pd = ud;
	pd_enter(pd);
	int rc = pd_sk(pd, fd);
	if (rc >= 0)
		rc = sk_getsockopt(pd->st, rc, level, name, val, len);
	pd_leave(pd);
	return ret_int(rc);
}

static int pd_setsockopt(void *ud, int fd, int level, int name, const void *val, socklen_t len)
{
	struct pd *pd = ud;
	pd_enter(pd);
	int rc = pd_sk(pd, fd);
	if (rc >= 0)
		rc = sk_setsockopt(pd->st, rc, level, name, val, len);
	pd_leave(pd);
	return ret_int(rc);
}

void pd_sys_hooks(struct packetdrill_interface *ifc)
{
	ifc->socket = pd_socket;
	ifc->bind = pd_bind;
	ifc->listen = pd_listen;
	ifc->accept = pd_accept;
	ifc->connect = pd_connect;
	ifc->read = pd_read;
	ifc->readv = pd_readv;
	ifc->recv = pd_recv;
	ifc->recvfrom = pd_recvfrom;
	ifc->recvmsg = pd_recvmsg;
	ifc->write = pd_write;
	ifc->writev = pd_writev;
	ifc->send = pd_send;
	ifc->sendto = pd_sendto;
	ifc->sendmsg = pd_sendmsg;
	ifc->fcntl = pd_fcntl;
	ifc->ioctl = pd_ioctl;
	ifc->close = pd_close;
	ifc->shutdown = pd_shutdown;
	ifc->getsockopt = pd_getsockopt;
	ifc->setsockopt = pd_setsockopt;
}
