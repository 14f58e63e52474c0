/* `synack host` services: listeners and their connections (echo, discard,
 * hold), and the stream clients (send, recv). Every handler runs until the
 * socket would block, because the stack reports readiness changes once
 * (sk_ready), as an edge-triggered epoll does. */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "host.h"

#define CHUNK 65536

int conn_buf_reserve(struct conn *c, size_t room)
{
	if (c->cap - c->len >= room)
		return 0;
	size_t cap = c->cap ? c->cap : 4096;
	while (cap - c->len < room)
		cap *= 2;
	uint8_t *b = realloc(c->buf, cap);
	if (!b)
		return -ENOMEM;
	c->buf = b;
	c->cap = cap;
	return 0;
}

struct conn *conn_new(struct host *h, int fd, struct service *s)
{
	if (fd >= h->conns_cap) {
		int cap = h->conns_cap ? h->conns_cap : 64;
		while (cap <= fd)
			cap *= 2;
		struct conn **t = realloc(h->conns, sizeof(*t) * (size_t)cap);
		if (!t)
			return NULL;
		memset(t + h->conns_cap, 0, sizeof(*t) * (size_t)(cap - h->conns_cap));
		h->conns = t;
		h->conns_cap = cap;
	}
	struct conn *c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->fd = fd;
	c->svc = s;
	c->file_fd = -1;
	sha256_init(&c->sha);
	h->conns[fd] = c;
	return c;
}

void conn_free(struct host *h, struct conn *c)
{
	h->conns[c->fd] = NULL;
	if (c->file_fd >= 0)
		close(c->file_fd);
	free(c->buf);
	free(c);
}

static bool is_client(const struct service *s) { return s->kind >= SVC_GET; }

/* The end of a connection: one line that says how it went, then close().
 * A client's end is the end of its service. */
void conn_finish(struct host *h, struct conn *c, int err)
{
	const char *peer = c->peer;
	char hex[2 * SHA256_LEN + 1];
	uint8_t d[SHA256_LEN];
	sha256_final(&c->sha, d);
	sha256_hex(d, hex);
	struct service *s = c->svc;
	bool sent = s->kind == SVC_SEND;
	if (err)
		host_log("%s %s %s: error %s (%s) after %llu bytes in, %llu out", svc_name(s->kind),
			 is_client(s) ? "to" : "from", peer, strerrorname_np(err), strerror(err),
			 (unsigned long long)c->rx_bytes, (unsigned long long)c->tx_bytes);
	else if (s->kind != SVC_HTTP && s->kind != SVC_GET)
		host_log("%s %s %s: done, %llu bytes in, %llu out, sha256 %s (%s)", svc_name(s->kind),
			 is_client(s) ? "to" : "from", peer, (unsigned long long)c->rx_bytes,
			 (unsigned long long)c->tx_bytes, hex, sent ? "sent" : "received");
	if (is_client(s)) {
		s->done = true;
		s->failed = err != 0;
		h->clients_left--;
		h->failures += err != 0;
		s->fd = -1;
	}
	sk_close(h->st, c->fd);
	conn_free(h, c);
}

static void set_keepalive(struct host *h, int fd)
{
	int one = 1;
	if (h->keepalive)
		sk_setsockopt(h->st, fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one));
}

int svc_start(struct host *h, struct service *s)
{
	int fd = sk_socket(h->st, AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return fd;
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(s->port),
				 .sin_addr.s_addr = htonl(s->addr) };
	int rc;
	if (is_client(s)) {
		set_keepalive(h, fd);
		rc = sk_connect(h->st, fd, (struct sockaddr *)&a, sizeof(a));
		if (rc == -EINPROGRESS)
			rc = 0;
	} else {
		int one = 1;
		sk_setsockopt(h->st, fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		rc = sk_bind(h->st, fd, (struct sockaddr *)&a, sizeof(a));
		if (rc == 0)
			rc = sk_listen(h->st, fd, 4096);
	}
	struct conn *c = rc == 0 ? conn_new(h, fd, s) : NULL;
	if (!c) {
		sk_close(h->st, fd);
		return rc ? rc : -ENOMEM;
	}
	c->listener = !is_client(s);
	host_addr(c->peer, s->addr, s->port);
	s->fd = fd;
	return 0;
}

static void accept_all(struct host *h, struct conn *l)
{
	for (;;) {
		struct sockaddr_in a;
		socklen_t len = sizeof(a);
		int fd = sk_accept(h->st, l->fd, (struct sockaddr *)&a, &len);
		if (fd < 0) {
			if (fd != -EAGAIN)
				host_log("%s: accept: %s", l->svc->text, strerror(-fd));
			return;
		}
		struct conn *c = conn_new(h, fd, l->svc);
		if (!c) {
			sk_close(h->st, fd);
			continue;
		}
		set_keepalive(h, fd);
		c->connected = true;
		host_addr(c->peer, ntohl(a.sin_addr.s_addr), ntohs(a.sin_port));
		if (l->svc->kind != SVC_HTTP) /* HTTP keep-alive runs are quiet */
			host_log("%s: accepted %s", l->svc->text, c->peer);
		conn_event(h, c);
	}
}

/* Reads what is there; returns bytes read, 0 at EOF, -EAGAIN, or -errno. */
static long read_some(struct host *h, struct conn *c, uint8_t *buf, size_t cap)
{
	long n = sk_recv(h->st, c->fd, buf, cap, 0);
	if (n > 0) {
		c->rx_bytes += (uint64_t)n;
		sha256_update(&c->sha, buf, (size_t)n);
	} else if (n == 0) {
		c->eof = true;
	}
	return n;
}

/* Echo: what comes in goes back out; at most one buffer is held, so a
 * peer that does not read stops us reading (no unbounded memory). After
 * the peer's FIN and the last byte echoed, close (FIN). */
static void echo_step(struct host *h, struct conn *c)
{
	if (conn_buf_reserve(c, CHUNK) < 0) {
		conn_finish(h, c, ENOMEM);
		return;
	}
	for (;;) {
		while (c->off < c->len) {
			long n = sk_send(h->st, c->fd, c->buf + c->off, c->len - c->off, MSG_NOSIGNAL);
			if (n == -EAGAIN)
				return;
			if (n < 0) {
				conn_finish(h, c, (int)-n);
				return;
			}
			c->off += (size_t)n;
			c->tx_bytes += (uint64_t)n;
		}
		c->off = c->len = 0;
		if (c->eof) {
			conn_finish(h, c, 0);
			return;
		}
		long n = read_some(h, c, c->buf, c->cap);
		if (n == -EAGAIN)
			return;
		if (n < 0) {
			conn_finish(h, c, (int)-n);
			return;
		}
		c->len = (size_t)n;
	}
}

/* Discard, and recv (a client): read to EOF, counting and hashing. */
static void sink_step(struct host *h, struct conn *c)
{
	static uint8_t scratch[CHUNK];
	for (;;) {
		long n = read_some(h, c, scratch, sizeof(scratch));
		if (n == -EAGAIN)
			return;
		if (n <= 0) {
			conn_finish(h, c, (int)-n);
			return;
		}
	}
}

/* Hold: never read, never close: the application that hangs (C13). The
 * socket is closed at shutdown, with RST if data is unread (C11). Only
 * an error (a reset) ends it earlier. */
static void hold_step(struct host *h, struct conn *c)
{
	int ev = sk_poll(h->st, c->fd, POLLIN);
	if (ev & POLLERR) {
		int err = 0;
		socklen_t len = sizeof(err);
		sk_getsockopt(h->st, c->fd, SOL_SOCKET, SO_ERROR, &err, &len);
		conn_finish(h, c, err ? err : ECONNRESET);
	}
}

/* Send (a client): the file, then our FIN, then whatever the peer says
 * back until its FIN (the half-close, C2); the reply is printed. */
static void send_step(struct host *h, struct conn *c)
{
	if (conn_buf_reserve(c, CHUNK) < 0) {
		conn_finish(h, c, ENOMEM);
		return;
	}
	while (!c->shut_wr) {
		if (c->off == c->len) {
			ssize_t n = read(c->file_fd, c->buf, CHUNK);
			if (n < 0) {
				conn_finish(h, c, errno);
				return;
			}
			c->off = 0;
			c->len = (size_t)n;
			if (n == 0) {
				sk_shutdown(h->st, c->fd, SHUT_WR);
				c->shut_wr = true;
				break;
			}
			sha256_update(&c->sha, c->buf, (size_t)n);
		}
		long n = sk_send(h->st, c->fd, c->buf + c->off, c->len - c->off, MSG_NOSIGNAL);
		if (n == -EAGAIN)
			return;
		if (n < 0) {
			conn_finish(h, c, (int)-n);
			return;
		}
		c->off += (size_t)n;
		c->tx_bytes += (uint64_t)n;
	}
	char reply[512];
	for (;;) {
		long n = sk_recv(h->st, c->fd, reply, sizeof(reply) - 1, 0);
		if (n == -EAGAIN)
			return;
		if (n <= 0) {
			conn_finish(h, c, (int)-n);
			return;
		}
		c->rx_bytes += (uint64_t)n;
		reply[n] = '\0';
		reply[strcspn(reply, "\r\n")] = '\0';
		host_log("%s: peer says: %s", c->svc->text, reply);
	}
}

/* A client's connect: done when POLLOUT comes, failed on POLLERR (the
 * error from SO_ERROR, as a Linux program learns it). */
static bool client_connected(struct host *h, struct conn *c)
{
	if (c->connected)
		return true;
	int ev = sk_poll(h->st, c->fd, POLLOUT);
	if (ev & (POLLERR | POLLHUP)) {
		int err = 0;
		socklen_t len = sizeof(err);
		sk_getsockopt(h->st, c->fd, SOL_SOCKET, SO_ERROR, &err, &len);
		host_log("%s: connect: %s (%s)", c->svc->text, strerrorname_np(err ? err : ECONNRESET),
			 strerror(err ? err : ECONNRESET));
		conn_finish(h, c, err ? err : ECONNRESET);
		return false;
	}
	if (!(ev & POLLOUT))
		return false;
	c->connected = true;
	host_log("%s: connected", c->svc->text);
	if (c->svc->kind == SVC_SEND) {
		c->file_fd = open(c->svc->arg, O_RDONLY | O_CLOEXEC);
		if (c->file_fd < 0) {
			host_log("%s: %s: %s", c->svc->text, c->svc->arg, strerror(errno));
			conn_finish(h, c, errno);
			return false;
		}
	} else if (c->svc->kind == SVC_GET) {
		http_client_start(h, c);
	}
	return true;
}

void conn_event(struct host *h, struct conn *c)
{
	if (c->listener) {
		accept_all(h, c);
		return;
	}
	if (is_client(c->svc) && !client_connected(h, c))
		return;
	switch (c->svc->kind) {
	case SVC_ECHO: echo_step(h, c); break;
	case SVC_DISCARD:
	case SVC_RECV: sink_step(h, c); break;
	case SVC_HOLD: hold_step(h, c); break;
	case SVC_HTTP: http_server_step(h, c); break;
	case SVC_SEND: send_step(h, c); break;
	case SVC_GET: http_client_step(h, c); break;
	}
}
