/* Application lines: `at TIME [repeat N every T] HOST: CALL; CALL ...`,
 * each call optionally followed by `-> RESULT`, the result it must give. */
#include <stdlib.h>
#include <string.h>

#include "lab_parse.h"

static const struct sockopt {
	const char *name;
	int level, opt, nargs;
} sockopts[] = {
	{ "SO_REUSEADDR", SOL_SOCKET, SO_REUSEADDR, 1 },
	{ "SO_KEEPALIVE", SOL_SOCKET, SO_KEEPALIVE, 1 },
	{ "SO_LINGER", SOL_SOCKET, SO_LINGER, 2 },
	{ "SO_RCVBUF", SOL_SOCKET, SO_RCVBUF, 1 },
	{ "SO_SNDBUF", SOL_SOCKET, SO_SNDBUF, 1 },
	{ "SO_ERROR", SOL_SOCKET, SO_ERROR, 0 },
	{ "TCP_NODELAY", IPPROTO_TCP, TCP_NODELAY, 1 },
	{ "TCP_MAXSEG", IPPROTO_TCP, TCP_MAXSEG, 1 },
	{ "TCP_KEEPIDLE", IPPROTO_TCP, TCP_KEEPIDLE, 1 },
	{ "TCP_KEEPINTVL", IPPROTO_TCP, TCP_KEEPINTVL, 1 },
	{ "TCP_KEEPCNT", IPPROTO_TCP, TCP_KEEPCNT, 1 },
	{ "TCP_SYNCNT", IPPROTO_TCP, TCP_SYNCNT, 1 },
	{ "TCP_LINGER2", IPPROTO_TCP, TCP_LINGER2, 1 },
	{ "TCP_USER_TIMEOUT", IPPROTO_TCP, TCP_USER_TIMEOUT, 1 },
};

static const struct pollbit {
	const char *name;
	int bit;
} pollbits[] = {
	{ "POLLIN", POLLIN }, { "POLLOUT", POLLOUT }, { "POLLERR", POLLERR },
	{ "POLLHUP", POLLHUP }, { "POLLRDHUP", SK_POLLRDHUP },
};

static int sockopt_arg(struct p *p, struct lab_call *c, int set)
{
	const char *w = lp_word(p);
	for (size_t i = 0; w && i < sizeof(sockopts) / sizeof(sockopts[0]); i++) {
		const struct sockopt *o = &sockopts[i];
		if (strcmp(w, o->name) || (set && !o->nargs))
			continue;
		c->level = o->level;
		c->opt = o->opt;
		c->opt_name = o->name;
		if (!set)
			return 0;
		if (lp_long_arg(p, "the option's value", -1, 0x7fffffffL, &c->n))
			return -1;
		return o->nargs == 2 ? lp_long_arg(p, "SO_LINGER's seconds", 0, 0x7fffffffL, &c->n2) : 0;
	}
	if (w)
		p->i--;
	return lp_expected(p, set ? "a socket option (SO_REUSEADDR, SO_KEEPALIVE, SO_LINGER, "
				    "SO_RCVBUF, SO_SNDBUF, TCP_NODELAY, TCP_MAXSEG, TCP_KEEPIDLE, "
				    "TCP_KEEPINTVL, TCP_KEEPCNT, TCP_SYNCNT, TCP_LINGER2, TCP_USER_TIMEOUT)"
				  : "a socket option (SO_ERROR or one setsockopt takes)");
}

/* POLLIN|POLLHUP, or 0 */
static int poll_mask(const char *s, long *v)
{
	*v = 0;
	if (!strcmp(s, "0"))
		return 0;
	while (*s) {
		size_t len = strcspn(s, "|");
		size_t i = 0;
		for (; i < sizeof(pollbits) / sizeof(pollbits[0]); i++)
			if (strlen(pollbits[i].name) == len && !strncmp(s, pollbits[i].name, len))
				break;
		if (i == sizeof(pollbits) / sizeof(pollbits[0]))
			return -1;
		*v |= pollbits[i].bit;
		s += len + (s[len] == '|');
	}
	return 0;
}

static int can_block(enum lab_call_kind k)
{
	return k == CALL_ACCEPT || k == CALL_CONNECT || k == CALL_RECV || k == CALL_SEND;
}

/* `-> RESULT`: a number, an errno name, ok, error, blocked, or poll bits. */
static int result_arg(struct p *p, struct lab_call *c)
{
	const char *w = lp_word(p);
	char *end;
	long v = w ? strtol(w, &end, 10) : 0;
	int e = w ? lp_errno_parse(w) : 0;
	c->want = WANT_VALUE;
	if (!w) {
		return lp_expected(p, "a result after '->' (a number, an errno name such as "
				      "ECONNREFUSED, ok, error or blocked)");
	} else if (!strcmp(w, "ok")) {
		c->want = WANT_OK;
	} else if (!strcmp(w, "error")) {
		c->want = WANT_ERROR;
	} else if (!strcmp(w, "blocked") && can_block(c->kind)) {
		c->want = WANT_BLOCKED;
	} else if (c->kind == CALL_POLL && !poll_mask(w, &c->want_value)) {
		return 0;
	} else if (*w && !*end && v >= 0) {
		c->want_value = v;
	} else if (e) {
		/* getsockopt's result is the option's value: SO_ERROR holds a positive errno */
		c->want_value = c->kind == CALL_GETSOCKOPT ? e : -e;
	} else {
		p->i--;
		return lp_expected(p, c->kind == CALL_POLL ? "poll bits such as POLLIN|POLLHUP, or 0"
				   : can_block(c->kind) ? "a number, an errno name such as ECONNREFUSED, ok, error or blocked"
				   : "a number, an errno name such as ECONNREFUSED, ok or error");
	}
	return 0;
}

static int send_arg(struct p *p, struct lab_call *c)
{
	if (!lp_at_end(p) && p->t[p->i].quoted) {
		if (lp_quoted(p, "", &c->data))
			return -1;
		c->n = (long)strlen(c->data);
		return c->n ? 0 : lp_fail(p, "expected some text to send, got \"\"");
	}
	return lp_long_arg(p, "a byte count or \"text\" to send", 1, 1L << 30, &c->n);
}

static int shut_arg(struct p *p, struct lab_call *c)
{
	c->n = lp_accept_word(p, "rd") ? SHUT_RD : lp_accept_word(p, "wr") ? SHUT_WR
	       : lp_accept_word(p, "rdwr") ? SHUT_RDWR : -1;
	return c->n < 0 ? lp_expected(p, "rd, wr or rdwr") : 0;
}

/* The arguments of one call, by its name. */
static int call_args(struct p *p, int host, const char *name, struct lab_call *c)
{
	static const char *const names[] = {
		[CALL_SOCKET] = "socket", [CALL_BIND] = "bind", [CALL_LISTEN] = "listen",
		[CALL_ACCEPT] = "accept", [CALL_CONNECT] = "connect", [CALL_SEND] = "send",
		[CALL_RECV] = "recv", [CALL_SHUTDOWN] = "shutdown", [CALL_CLOSE] = "close",
		[CALL_SETSOCKOPT] = "setsockopt", [CALL_GETSOCKOPT] = "getsockopt",
		[CALL_POLL] = "poll", [CALL_SLEEP] = "sleep",
	};
	int k = 0;
	while (k <= CALL_SLEEP && strcmp(names[k], name))
		k++;
	if (k > CALL_SLEEP) {
		p->i--;
		return lp_expected(p, "a call (socket, bind, listen, accept, connect, send, recv, "
				      "shutdown, close, setsockopt, getsockopt, poll, sleep)");
	}
	c->kind = (enum lab_call_kind)k;
	if (c->kind == CALL_SOCKET) {
		c->nonblock = lp_accept_word(p, "nonblock");
		return 0;
	}
	if (c->kind == CALL_SLEEP)
		return lp_time_arg(p, &c->ns);
	if (lp_var_use(p, host, &c->var))
		return -1;
	switch (c->kind) {
	case CALL_BIND:
	case CALL_CONNECT: return lp_endpoint_arg(p, &c->addr, &c->port);
	case CALL_LISTEN:
		c->n = 128;
		return lp_at_end(p) || lp_is_word(p, "->") ? 0
		       : lp_long_arg(p, "a backlog", 0, 0x7fffffffL, &c->n);
	case CALL_SEND: return send_arg(p, c);
	case CALL_RECV:
		c->n = 65536;
		return lp_at_end(p) || lp_is_word(p, "->") ? 0
		       : lp_long_arg(p, "a byte count", 1, 1L << 30, &c->n);
	case CALL_SHUTDOWN: return shut_arg(p, c);
	case CALL_SETSOCKOPT: return sockopt_arg(p, c, 1);
	case CALL_GETSOCKOPT: return sockopt_arg(p, c, 0);
	default: return 0;
	}
}

static int call(struct p *p, int host, struct lab_call *c)
{
	memset(c, 0, sizeof(*c));
	c->var = c->out_var = -1;
	c->line = p->line;
	const char *w = lp_word(p);
	if (!w)
		return lp_expected(p, "a call (socket, bind, listen, accept, connect, send, recv, "
				      "shutdown, close, setsockopt, getsockopt, poll, sleep)");
	const char *out = NULL;
	if (lp_accept_word(p, "=")) {
		out = w;
		if (!(w = lp_word(p)) || (strcmp(w, "socket") && strcmp(w, "accept"))) {
			if (w)
				p->i--;
			return lp_expected(p, "socket or accept after 'NAME ='");
		}
	} else if (!strcmp(w, "accept")) {
		p->i--;
		return lp_expected(p, "'NAME = accept L': accept gives a new descriptor");
	}
	if (call_args(p, host, w, c))
		return -1;
	if (out && (c->out_var = lp_var_index(p, host, out, 1)) < 0)
		return -1;
	if (lp_accept_word(p, "->") && result_arg(p, c))
		return -1;
	if (c->want && c->kind == CALL_SLEEP)
		return lp_fail(p, "sleep has no result to expect");
	return 0;
}

int lp_thread_stmt(struct p *p, uint64_t at_ns, int host, int repeat, uint64_t every_ns)
{
	int idx = p->sc->nitems;
	if (!lp_item_new(p, IT_THREAD, at_ns))
		return -1;
	struct lab_item *it = &p->sc->items[idx];
	it->host = host;
	it->repeat = repeat;
	it->every_ns = every_ns;
	for (;;) {
		struct lab_call c;
		int rc = call(p, host, &c);
		struct lab_call *calls = realloc(it->calls, (size_t)(it->ncalls + 1) * sizeof(c));
		if (!calls) {
			free(c.data);
			return lp_fail(p, "out of memory");
		}
		it->calls = calls;
		calls[it->ncalls++] = c; /* kept even on error, so its text is freed */
		if (rc)
			return -1;
		if (p->i >= p->n)
			return 0;
		if (p->t[p->i].quoted || strcmp(p->t[p->i].s, ";"))
			return lp_expected(p, "';' between calls, '-> RESULT', or the end of the line");
		p->i++;
		if (p->i >= p->n)
			return lp_expected(p, "a call after ';'");
	}
}

int lp_var_assigned(const struct lab_scenario *sc, int host, int var)
{
	for (int i = 0; i < sc->nitems; i++) {
		const struct lab_item *it = &sc->items[i];
		for (int k = 0; it->kind == IT_THREAD && it->host == host && k < it->ncalls; k++)
			if (it->calls[k].out_var == var)
				return 1;
	}
	return 0;
}
