/* Socket lifetime: creation, state changes, readiness, the one timer, and
 * freeing. */
#include "core.h"

struct sk_sock *sock_new(struct sk_stack *st)
{
	struct sk_sock *s = sk_alloc(st, sizeof(*s));
	if (!s)
		return NULL;
	memset(s, 0, sizeof(*s));
	s->fd = -1;
	s->state = SK_TCP_CLOSE;
	tcp_init_sock(st, s);
	return s;
}

void sock_set_state(struct sk_stack *st, struct sk_sock *s, int state)
{
	int old = s->state;
	if (old == state)
		return;
	if (old == SK_TCP_ESTABLISHED)
		st->mib[SK_MIB_CurrEstab]--;
	if (state == SK_TCP_CLOSE) { /* as Linux counts in tcp_set_state and tcp_done */
		if (old == SK_TCP_ESTABLISHED || old == SK_TCP_CLOSE_WAIT)
			mib_inc(st, SK_MIB_EstabResets);
		if (old == SK_TCP_SYN_SENT || old == SK_TCP_SYN_RECV)
			mib_inc(st, SK_MIB_AttemptFails);
	}
	if (state == SK_TCP_ESTABLISHED)
		st->mib[SK_MIB_CurrEstab]++;
	s->state = (uint8_t)state;
	stack_event_state(st, s, old);
	sock_wake(st, s);
}

/* Queues the socket on the ready list once, so a driver learns that its
 * readiness may have changed without polling every socket. Doubly linked,
 * so a socket that dies leaves the list in O(1). */
void sock_wake(struct sk_stack *st, struct sk_sock *s)
{
	if (s->fd < 0 || (s->flags & SOCKF_IN_READY))
		return;
	if (!st->ready_tail)
		st->ready_tail = &st->ready_head;
	s->flags |= SOCKF_IN_READY;
	s->rnext = NULL;
	s->rpprev = st->ready_tail;
	*st->ready_tail = s;
	st->ready_tail = &s->rnext;
}

static void ready_remove(struct sk_stack *st, struct sk_sock *s)
{
	if (!(s->flags & SOCKF_IN_READY))
		return;
	*s->rpprev = s->rnext;
	if (s->rnext)
		s->rnext->rpprev = s->rpprev;
	else
		st->ready_tail = s->rpprev;
	s->flags &= ~SOCKF_IN_READY;
}

int sk_ready(struct sk_stack *st, int *fds, int max)
{
	int n = 0;
	while (n < max && st->ready_head) {
		struct sk_sock *s = st->ready_head;
		ready_remove(st, s);
		fds[n++] = s->fd;
	}
	return n;
}

/* One wheel timer per socket, armed for the earliest of its deadlines. */
void sock_rearm(struct sk_stack *st, struct sk_sock *s)
{
	uint64_t t = UINT64_MAX;
	if (s->rtx_at_ns && s->rtx_at_ns < t)
		t = s->rtx_at_ns;
	if (s->delack_at_ns && s->delack_at_ns < t)
		t = s->delack_at_ns;
	if (s->idle_at_ns && s->idle_at_ns < t)
		t = s->idle_at_ns;
	if (t == UINT64_MAX)
		wheel_cancel(&st->wheel, &s->timer);
	else if (!wheel_armed(&s->timer) || s->timer.deadline_ns != t)
		stack_timer_set(st, &s->timer, t);
}

/* Frees a listener's queued children silently. */
static void destroy_children(struct sk_stack *st, struct listen_q *q)
{
	while (q->acc_head || q->syn_head) {
		struct sk_sock *c = q->acc_head ? q->acc_head : q->syn_head;
		tcp_child_unlink(c);
		sock_destroy(st, c);
	}
}

/* Frees a socket and everything it holds, silently; a listener takes its
 * queued children with it. The caller has taken it off any listener
 * queue. */
void sock_destroy(struct sk_stack *st, struct sk_sock *s)
{
	if (s->lq)
		destroy_children(st, s->lq);
	if (s->state == SK_TCP_ESTABLISHED)
		st->mib[SK_MIB_CurrEstab]--;
	wheel_cancel(&st->wheel, &s->timer);
	ehash_remove(st, &s->hn);
	if (s->state == SK_TCP_LISTEN)
		lhash_remove(st, s);
	port_unbind(st, s);
	ready_remove(st, s);
	if (s->fd >= 0)
		fd_release(st, s->fd);
	ring_free(st, &s->snd);
	ring_free(st, &s->rcv);
	tcp_marks_free(st, s);
	tcp_rq_free(st, s);
	while (s->ofo) {
		struct ofo_seg *o = s->ofo;
		s->ofo = o->next;
		sk_free(st, o, sizeof(*o) + o->len);
	}
	sk_free(st, s->lq, sizeof(*s->lq));
	sk_free(st, s, sizeof(*s));
}

/* The connection reached CLOSED. An orphan (closed by the application) or
 * a child never accepted is freed; a socket with a descriptor stays until
 * close(), unhashed, holding its error for the application. */
void sock_done(struct sk_stack *st, struct sk_sock *s)
{
	sock_set_state(st, s, SK_TCP_CLOSE);
	s->flags |= SOCKF_SHUT_RD | SOCKF_SHUT_WR;
	s->rtx_at_ns = s->delack_at_ns = s->idle_at_ns = 0;
	sock_rearm(st, s);
	ehash_remove(st, &s->hn);
	ring_free(st, &s->snd);
	tcp_rq_free(st, s);
	if (s->fd < 0 && !s->parent) { /* a child in the accept queue waits there */
		sock_destroy(st, s);
		return;
	}
	/* Linux keeps an automatically bound port only while connected. */
	if (!(s->flags & SOCKF_USER_BOUND))
		port_unbind(st, s);
}
