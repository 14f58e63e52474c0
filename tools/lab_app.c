/* The hosts' applications: each application line is a thread of its
 * host's process, making its calls in order. A call on a blocking socket
 * that would block (connect in progress, accept or recv with nothing
 * there, send into a full buffer) waits, as the real call would, and is
 * printed again when it returns, with the time it took. A host's process
 * holds every descriptor its lines created; `kill` closes them all. */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>

#include "lab_run.h"

static const char *const call_names[] = {
	[CALL_SOCKET] = "socket", [CALL_BIND] = "bind", [CALL_LISTEN] = "listen",
	[CALL_ACCEPT] = "accept", [CALL_CONNECT] = "connect", [CALL_SEND] = "send",
	[CALL_RECV] = "recv", [CALL_SHUTDOWN] = "shutdown", [CALL_CLOSE] = "close",
	[CALL_SETSOCKOPT] = "setsockopt", [CALL_GETSOCKOPT] = "getsockopt",
	[CALL_POLL] = "poll", [CALL_SLEEP] = "sleep",
};

static int host_of(const struct thread *t) { return t->it->host; }

static int fd_of(struct run *r, int host, int var) { return var >= 0 ? r->h[host].vars[var].fd : -1; }

static void fds_add(struct host_rt *h, int fd)
{
	if (h->nfds == h->capfds) {
		int cap = h->capfds ? 2 * h->capfds : 16;
		int *v = realloc(h->fds, (size_t)cap * sizeof(*v));
		if (!v)
			return; /* kill would miss it: the run goes on */
		h->fds = v;
		h->capfds = cap;
	}
	h->fds[h->nfds++] = fd;
}

static void fds_del(struct host_rt *h, int fd)
{
	for (int i = 0; i < h->nfds; i++)
		if (h->fds[i] == fd) {
			h->fds[i] = h->fds[--h->nfds];
			return;
		}
}

static int fds_has(const struct host_rt *h, int fd)
{
	for (int i = 0; i < h->nfds; i++)
		if (h->fds[i] == fd)
			return 1;
	return 0;
}

static void poll_text(char *out, size_t cap, long m)
{
	static const struct { int bit; const char *name; } b[] = {
		{ POLLIN, "POLLIN" }, { POLLOUT, "POLLOUT" }, { POLLERR, "POLLERR" },
		{ POLLHUP, "POLLHUP" }, { SK_POLLRDHUP, "POLLRDHUP" },
	};
	size_t k = 0;
	out[0] = 0;
	for (size_t i = 0; i < sizeof(b) / sizeof(b[0]); i++)
		if ((m & b[i].bit) && k < cap)
			k += (size_t)snprintf(out + k, cap - k, "%s%s", k ? "|" : "", b[i].name);
	if (!k)
		snprintf(out, cap, "0");
}

/* "connect(3, 10.0.0.2:80)" */
static void describe(const struct lab_call *c, int fd, char *out, size_t cap)
{
	char a[32];
	static const char *const how[] = { "SHUT_RD", "SHUT_WR", "SHUT_RDWR" };
	lab_fmt_addr(a, sizeof(a), c->addr, c->port, 0);
	const char *n = call_names[c->kind];
	switch (c->kind) {
	case CALL_SOCKET:
		snprintf(out, cap, "socket(AF_INET, SOCK_STREAM%s)", c->nonblock ? "|SOCK_NONBLOCK" : "");
		break;
	case CALL_BIND:
	case CALL_CONNECT: snprintf(out, cap, "%s(%d, %s)", n, fd, a); break;
	case CALL_LISTEN: snprintf(out, cap, "listen(%d, %ld)", fd, c->n); break;
	case CALL_SEND: snprintf(out, cap, "send(%d, %ld bytes)", fd, c->n); break;
	case CALL_RECV: snprintf(out, cap, "recv(%d, %ld)", fd, c->n); break;
	case CALL_SHUTDOWN: snprintf(out, cap, "shutdown(%d, %s)", fd, how[c->n]); break;
	case CALL_SETSOCKOPT:
		if (c->opt == SO_LINGER && c->level == SOL_SOCKET)
			snprintf(out, cap, "setsockopt(%d, SO_LINGER, {onoff %ld, linger %ld})", fd, c->n, c->n2);
		else
			snprintf(out, cap, "setsockopt(%d, %s, %ld)", fd, c->opt_name, c->n);
		break;
	case CALL_GETSOCKOPT: snprintf(out, cap, "getsockopt(%d, %s)", fd, c->opt_name); break;
	default: snprintf(out, cap, "%s(%d)", n, fd); break;
	}
}

static long do_setsockopt(struct sk_stack *st, int fd, const struct lab_call *c)
{
	if (c->level == SOL_SOCKET && c->opt == SO_LINGER) {
		struct linger l = { (int)c->n, (int)c->n2 };
		return sk_setsockopt(st, fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
	}
	int v = (int)c->n;
	return sk_setsockopt(st, fd, c->level, c->opt, &v, sizeof(v));
}

/* Makes the call once. `extra` gets what the result line adds (a peer, the
 * bytes read, an option's value). For getsockopt and poll the result is
 * the value (or -errno). */
static long call_once(struct thread *t, const struct lab_call *c, struct sk_stack *st,
		      int fd, char *extra, size_t cap)
{
	static char buf[65536], pattern[65536];
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(c->port),
				  .sin_addr.s_addr = htonl(c->addr) };
	socklen_t len = sizeof(sa);
	long rc;
	extra[0] = 0;
	switch (c->kind) {
	case CALL_SOCKET:
		return sk_socket(st, AF_INET, SOCK_STREAM | (c->nonblock ? SOCK_NONBLOCK : 0), 0);
	case CALL_BIND: return sk_bind(st, fd, (struct sockaddr *)&sa, sizeof(sa));
	case CALL_LISTEN: return sk_listen(st, fd, (int)c->n);
	case CALL_CONNECT: return sk_connect(st, fd, (struct sockaddr *)&sa, sizeof(sa));
	case CALL_ACCEPT:
		rc = sk_accept(st, fd, (struct sockaddr *)&sa, &len);
		if (rc >= 0) {
			char a[32];
			lab_fmt_addr(a, sizeof(a), ntohl(sa.sin_addr.s_addr), ntohs(sa.sin_port), 0);
			snprintf(extra, cap, " (peer %s)", a);
		}
		return rc;
	case CALL_SEND: {
		long left = c->n - t->progress;
		const char *src = c->data ? c->data + t->progress : pattern;
		if (!c->data && !pattern[0])
			memset(pattern, 'x', sizeof(pattern));
		return sk_send(st, fd, src, (size_t)(left < 65536 || c->data ? left : 65536), MSG_NOSIGNAL);
	}
	case CALL_RECV:
		rc = sk_recv(st, fd, buf, (size_t)(c->n < 65536 ? c->n : 65536), 0);
		if (rc > 0) {
			size_t k = 0;
			k += (size_t)snprintf(extra, cap, " \"");
			for (long i = 0; i < rc && i < 24 && k + 8 < cap; i++)
				k += (size_t)snprintf(extra + k, cap - k, buf[i] >= 32 && buf[i] < 127 &&
						      buf[i] != '"' && buf[i] != '\\' ? "%c" : "\\x%02x",
						      (unsigned char)buf[i]);
			snprintf(extra + k, cap - k, "%s\"", rc > 24 ? "..." : "");
		}
		return rc;
	case CALL_SHUTDOWN: return sk_shutdown(st, fd, (int)c->n);
	case CALL_CLOSE: return sk_close(st, fd);
	case CALL_SETSOCKOPT: return do_setsockopt(st, fd, c);
	case CALL_GETSOCKOPT: {
		int v = 0;
		len = sizeof(v);
		rc = sk_getsockopt(st, fd, c->level, c->opt, &v, &len);
		if (rc == 0 && c->opt == SO_ERROR && c->level == SOL_SOCKET && v)
			snprintf(extra, cap, " (%s)", lab_errno_name(v));
		return rc < 0 ? rc : v;
	}
	case CALL_POLL: return sk_poll(st, fd, POLLIN | POLLOUT | SK_POLLRDHUP);
	default: return 0;
	}
}

static int want_held(const struct lab_call *c, long rc)
{
	switch (c->want) {
	case WANT_VALUE: return rc == c->want_value;
	case WANT_OK: return rc >= 0;
	case WANT_ERROR: return rc < 0;
	default: return 0; /* WANT_BLOCKED: it returned */
	}
}

static void want_text(const struct lab_call *c, char *out, size_t cap)
{
	if (c->want == WANT_OK || c->want == WANT_ERROR || c->want == WANT_BLOCKED)
		snprintf(out, cap, "%s", c->want == WANT_OK ? "ok" : c->want == WANT_ERROR ? "error" : "blocked");
	else if (c->kind == CALL_POLL)
		poll_text(out, cap, c->want_value);
	else if (c->want_value < 0 || (c->kind == CALL_GETSOCKOPT && c->want_value > 0))
		snprintf(out, cap, "%s", lab_errno_name((int)labs(c->want_value)));
	else
		snprintf(out, cap, "%ld", c->want_value);
}

static void result_text(const struct lab_call *c, long rc, char *out, size_t cap)
{
	if (rc < 0)
		snprintf(out, cap, "-1 %s (%s)", lab_errno_name((int)-rc), strerror((int)-rc));
	else if (c->kind == CALL_POLL)
		poll_text(out, cap, rc);
	else
		snprintf(out, cap, "%ld", rc);
}

/* What the lab remembers of a descriptor: its 4-tuple, so that an
 * expectation can follow the connection after close() (into TIME-WAIT). */
static void var_note(struct run *r, int host, const struct lab_call *c, struct sk_stack *st)
{
	int vi = c->out_var >= 0 ? c->out_var : c->var;
	if (vi < 0)
		return;
	struct var *v = &r->h[host].vars[vi];
	struct sockaddr_in sa;
	socklen_t len = sizeof(sa);
	if (c->kind == CALL_CONNECT) {
		v->raddr = c->addr ? c->addr : r->sc->hosts[host].addr;
		v->rport = c->port;
	}
	if (v->fd < 0 || !fds_has(&r->h[host], v->fd))
		return;
	if (sk_getsockname(st, v->fd, (struct sockaddr *)&sa, &len) == 0 && sa.sin_port) {
		v->laddr = ntohl(sa.sin_addr.s_addr) ? ntohl(sa.sin_addr.s_addr) : r->sc->hosts[host].addr;
		v->lport = ntohs(sa.sin_port);
	}
	len = sizeof(sa);
	if (sk_getpeername(st, v->fd, (struct sockaddr *)&sa, &len) == 0) {
		v->raddr = ntohl(sa.sin_addr.s_addr);
		v->rport = ntohs(sa.sin_port);
	}
}

static void story_of(struct run *r, const struct lab_call *c, long rc, uint64_t waited_ns)
{
	char t[24];
	lab_fmt_short(t, sizeof(t), sk_sim_now(r->sim));
	if (rc < 0 && rc != -EINPROGRESS && rc != -EAGAIN)
		lab_story(r, "%s %s@%s", call_names[c->kind], lab_errno_name((int)-rc), t);
	else if (rc == 0 && c->kind == CALL_RECV)
		lab_story(r, "recv EOF@%s", t);
	else if (c->kind == CALL_GETSOCKOPT && rc > 0 && c->opt == SO_ERROR)
		lab_story(r, "SO_ERROR %s@%s", lab_errno_name((int)rc), t);
	else if (waited_ns >= SK_NS_PER_S)
		lab_story(r, "%s ok@%s", call_names[c->kind], t);
}

/* The call returned `rc`: print it, check what it had to give, and keep
 * the host's descriptors up to date. */
static void call_done(struct run *r, struct thread *t, const struct lab_call *c, struct sk_stack *st,
		      int fd, long rc, const char *extra)
{
	int host = host_of(t);
	char d[160], res[96], want[64], waited[40] = "", verdict[128] = "";
	describe(c, fd, d, sizeof(d));
	result_text(c, rc, res, sizeof(res));
	uint64_t w = t->blocked ? sk_sim_now(r->sim) - t->started_ns : 0;
	if (t->blocked) {
		char tt[32];
		lab_fmt_time(tt, sizeof(tt), w);
		snprintf(waited, sizeof(waited), " <%s>", tt);
	}
	if (c->want) {
		int ok = want_held(c, rc);
		want_text(c, want, sizeof(want));
		snprintf(verdict, sizeof(verdict), "  [expected %s: %s]", want, ok ? "held" : "FAILED");
		lab_verdict(r, ok, c->line, NULL, NULL);
	}
	lab_emit(r, sk_sim_name(r->sim, host), "app %s = %s%s%s%s", d, res, extra, waited, verdict);
	if ((c->kind == CALL_SOCKET || c->kind == CALL_ACCEPT) && rc >= 0) {
		r->h[host].vars[c->out_var] = (struct var){ .fd = (int)rc };
		fds_add(&r->h[host], (int)rc);
	}
	if (c->kind == CALL_CLOSE && rc == 0)
		fds_del(&r->h[host], fd);
	else
		var_note(r, host, c, st);
	story_of(r, c, rc, w);
	t->blocked = 0;
	t->progress = 0;
}

/* Makes (or retries) the call at t->pc; returns 1 while it waits. A
 * blocking connect is retried with connect itself: -EALREADY while the
 * handshake runs, then 0 or the error, which is what Linux's blocking
 * connect returns. */
static int call_step(struct run *r, struct thread *t, const struct lab_call *c, struct sk_stack *st)
{
	int fd = fd_of(r, host_of(t), c->var);
	char extra[128];
	long rc = call_once(t, c, st, fd, extra, sizeof(extra));
	int fl = fd >= 0 ? sk_fcntl_getfl(st, fd) : -EBADF;
	int blocking = fl >= 0 && !(fl & O_NONBLOCK);
	int wait = blocking && ((c->kind == CALL_CONNECT && (rc == -EINPROGRESS || rc == -EALREADY)) ||
				((c->kind == CALL_ACCEPT || c->kind == CALL_RECV) && rc == -EAGAIN));
	if (c->kind == CALL_SEND) {
		if (rc > 0)
			t->progress += rc;
		wait = blocking && t->progress < c->n && (rc > 0 || rc == -EAGAIN);
		if (!wait && t->progress > 0)
			rc = t->progress;
	}
	if (wait) {
		if (!t->blocked) {
			char d[160];
			describe(c, fd, d, sizeof(d));
			lab_emit(r, sk_sim_name(r->sim, host_of(t)), "app %s ... (blocks)", d);
			t->blocked = 1;
			t->started_ns = sk_sim_now(r->sim);
		}
		return 1;
	}
	call_done(r, t, c, st, fd, rc, extra);
	return 0;
}

static void thread_run(struct run *r, struct thread *t, uint64_t now)
{
	while (!t->done && t->pc < t->it->ncalls) {
		const struct lab_call *c = &t->it->calls[t->pc];
		if (c->kind == CALL_SLEEP) {
			if (!t->sleeping) {
				t->sleeping = 1;
				t->wake_ns = now + c->ns;
			}
			if (now < t->wake_ns)
				return;
			t->sleeping = 0;
			t->pc++;
			continue;
		}
		struct sk_stack *st = lab_stack(r, host_of(t));
		if (!st) {
			t->killed = "its host is down";
			t->done = 1;
			lab_emit(r, sk_sim_name(r->sim, host_of(t)), "app line %d stops: the host is down", c->line);
			return;
		}
		if (call_step(r, t, c, st))
			return;
		t->pc++;
	}
	t->done = 1;
}

int lab_thread_start(struct run *r, const struct lab_item *it)
{
	if (r->nth == r->capth) {
		int cap = r->capth ? 2 * r->capth : 16;
		struct thread *v = realloc(r->th, (size_t)cap * sizeof(*v));
		if (!v)
			return -ENOMEM;
		r->th = v;
		r->capth = cap;
	}
	struct thread *t = &r->th[r->nth++];
	memset(t, 0, sizeof(*t));
	t->it = it;
	thread_run(r, t, sk_sim_now(r->sim));
	return 0;
}

void lab_threads_step(struct run *r, uint64_t now_ns)
{
	for (int i = 0; i < r->nth; i++) {
		struct thread *t = &r->th[i];
		if (!t->done && (!t->sleeping || t->wake_ns <= now_ns))
			thread_run(r, t, now_ns);
	}
}

uint64_t lab_threads_next(const struct run *r)
{
	uint64_t t = UINT64_MAX;
	for (int i = 0; i < r->nth; i++)
		if (!r->th[i].done && r->th[i].sleeping && r->th[i].wake_ns < t)
			t = r->th[i].wake_ns;
	return t;
}

void lab_threads_kill(struct run *r, int host, const char *why)
{
	for (int i = 0; i < r->nth; i++) {
		struct thread *t = &r->th[i];
		if (t->done || host_of(t) != host)
			continue;
		if (t->blocked) {
			char d[160];
			const struct lab_call *c = &t->it->calls[t->pc];
			describe(c, fd_of(r, host, c->var), d, sizeof(d));
			lab_emit(r, sk_sim_name(r->sim, host), "app %s never returns: %s", d, why);
		}
		t->done = 1;
		t->killed = why;
	}
}

/* `kill HOST`: the process dies and its stack closes every descriptor it
 * held, as exit() does: FIN, or RST where unread data waits (A5). */
void lab_app_kill(struct run *r, int host)
{
	struct host_rt *h = &r->h[host];
	struct sk_stack *st = lab_stack(r, host);
	lab_threads_kill(r, host, "the process was killed");
	while (st && h->nfds) {
		int fd = h->fds[0];
		long rc = sk_close(st, fd);
		lab_emit(r, sk_sim_name(r->sim, host), "app close(%d) = %ld (by the kernel: the process died)", fd, rc);
		fds_del(h, fd);
	}
	h->nfds = 0;
}

/* The end of the run: calls still waiting, and calls that never ran. */
void lab_threads_end(struct run *r)
{
	for (int i = 0; i < r->nth; i++) {
		struct thread *t = &r->th[i];
		if (t->done && !t->killed)
			continue;
		int host = host_of(t);
		for (int k = t->pc; k < t->it->ncalls; k++) {
			const struct lab_call *c = &t->it->calls[k];
			char d[160], want[64];
			describe(c, fd_of(r, host, c->var), d, sizeof(d));
			want_text(c, want, sizeof(want));
			if (k == t->pc && t->blocked && !t->killed) {
				int ok = c->want == WANT_BLOCKED;
				lab_emit(r, sk_sim_name(r->sim, host), "app %s still blocked at the end%s%s%s", d,
					 c->want ? "  [expected " : "", c->want ? want : "",
					 c->want ? (ok ? ": held]" : ": FAILED]") : "");
				if (c->want)
					lab_verdict(r, ok, c->line, NULL, NULL);
			} else if (c->want) {
				char why[400];
				snprintf(why, sizeof(why), "%s never returned (%s)", d,
					 t->killed ? t->killed : "the run ended first");
				lab_verdict(r, 0, c->line, want, why);
			}
		}
	}
}

struct find {
	int fd;
	const struct var *v;
	int state;
};

static void find_fn(void *ctx, const struct sk_sockinfo *i)
{
	struct find *f = ctx;
	if (f->fd >= 0 && i->fd == f->fd)
		f->state = i->state;
	else if (f->fd < 0 && i->fd < 0 && f->v->rport && i->lport == f->v->lport &&
		 i->rport == f->v->rport && i->raddr == f->v->raddr && f->state == LAB_STATE_GONE)
		f->state = i->state;
}

/* The state of the socket a variable names: by its descriptor while the
 * process holds it, else by the 4-tuple it had (a TIME-WAIT record, an
 * orphan in FIN-WAIT-2), else gone. */
int lab_var_state(struct run *r, int host, int var)
{
	struct sk_stack *st = lab_stack(r, host);
	const struct var *v = &r->h[host].vars[var];
	struct find f = { v->fd >= 0 && fds_has(&r->h[host], v->fd) ? v->fd : -1, v, LAB_STATE_GONE };
	if (st)
		sk_foreach_socket(st, find_fn, &f);
	return f.state;
}
