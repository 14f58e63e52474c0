/* poll and epoll for libsynack-packetdrill.so, on the stack's sk_poll
 * (Linux's tcp_poll) and sk_ready (which sockets' readiness may have
 * changed: Linux's wakeups).
 *
 * epoll keeps Linux's ready-list semantics: an item is on the list when it
 * was ready as it was added or modified, or when its socket was woken
 * since; epoll_wait polls the items on the list, reports those with events
 * and takes them off; level-triggered items go back on (so they are
 * polled every time), edge-triggered ones wait for the next wakeup. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "packetdrill_int.h"

#define EP_EVENTS (EPOLLIN | EPOLLPRI | EPOLLOUT | EPOLLRDNORM | EPOLLWRNORM | EPOLLRDHUP)

static uint64_t until_ms(const struct pd *pd, int timeout_ms)
{
	return timeout_ms < 0 ? SK_NEVER : pd->now_ns + (uint64_t)timeout_ms * SK_NS_PER_MS;
}

/* ---- poll ---- */

static int poll_once(struct pd *pd, struct pollfd *fds, nfds_t nfds)
{
	int ready = 0;
	for (nfds_t i = 0; i < nfds; i++) {
		fds[i].revents = 0;
		if (fds[i].fd < 0)
			continue;
		int sk = pd_sk(pd, fds[i].fd);
		int m = sk >= 0 ? sk_poll(pd->st, sk, fds[i].events) : sk == -EBADF ? POLLNVAL : 0;
		fds[i].revents = (short)m;
		ready += m != 0;
	}
	return ready;
}

static int pd_poll(void *ud, struct pollfd *fds, nfds_t nfds, int timeout)
{
	struct pd *pd = ud;
	if (nfds && !fds)
		return pd_fail(-EFAULT);
	pd_enter(pd);
	uint64_t until = until_ms(pd, timeout);
	int n;
	while ((n = poll_once(pd, fds, nfds)) == 0 && timeout != 0 && pd_wait(pd, until))
		;
	pd_leave(pd);
	return n;
}

/* ---- epoll ---- */

void pd_epoll_free(struct pd_epoll *ep)
{
	if (ep)
		free(ep->items);
	free(ep);
}

static struct pd_epitem *ep_find(struct pd_epoll *ep, int fd)
{
	for (int i = 0; i < ep->n; i++)
		if (ep->items[i].fd == fd)
			return &ep->items[i];
	return NULL;
}

static void ep_remove(struct pd_epoll *ep, struct pd_epitem *it)
{
	int i = (int)(it - ep->items);
	memmove(&ep->items[i], &ep->items[i + 1], (size_t)(ep->n - i - 1) * sizeof(*it));
	ep->n--;
}

/* A descriptor is closed: it leaves every epoll set, as in Linux when its
 * last reference goes. */
void pd_epoll_forget(struct pd *pd, int fd)
{
	for (int i = 0; i < pd->nfds; i++) {
		struct pd_epitem *it;
		if (pd->fds[i].kind == PD_EPOLL && (it = ep_find(pd->fds[i].ep, fd)))
			ep_remove(pd->fds[i].ep, it);
	}
}

static int ep_poll_item(struct pd *pd, const struct pd_epitem *it)
{
	return sk_poll(pd->st, pd->fds[it->fd].sk, (int)(it->events & EP_EVENTS));
}

static int pd_epoll_create(void *ud, int size)
{
	struct pd *pd = ud;
	if (size <= 0)
		return pd_fail(-EINVAL);
	struct pd_epoll *ep = calloc(1, sizeof(*ep));
	if (!ep)
		return pd_fail(-ENOMEM);
	pd_enter(pd);
	int rc = pd_fd_new(pd, PD_EPOLL, -1);
	if (rc >= 0)
		pd->fds[rc].ep = ep;
	else
		free(ep);
	pd_leave(pd);
	return rc < 0 ? pd_fail(rc) : rc;
}

/* ep_insert / ep_modify: the item goes on the ready list if it is ready
 * now. */
static int ep_ctl(struct pd *pd, struct pd_epoll *ep, int op, int fd, const struct epoll_event *ev)
{
	struct pd_epitem *it = ep_find(ep, fd);
	if (op == EPOLL_CTL_DEL) {
		if (!it)
			return -ENOENT;
		ep_remove(ep, it);
		return 0;
	}
	if (!ev)
		return -EFAULT;
	if (op == EPOLL_CTL_ADD) {
		if (it)
			return -EEXIST;
		if (ep->n == ep->cap) {
			int cap = ep->cap ? 2 * ep->cap : 8;
			struct pd_epitem *p = realloc(ep->items, (size_t)cap * sizeof(*p));
			if (!p)
				return -ENOMEM;
			ep->items = p;
			ep->cap = cap;
		}
		it = &ep->items[ep->n++];
		it->fd = fd;
	} else if (op != EPOLL_CTL_MOD) {
		return -EINVAL;
	} else if (!it) {
		return -ENOENT;
	}
	it->events = ev->events | EPOLLERR | EPOLLHUP;
	it->data = ev->data.u64;
	it->armed = true;
	it->wake_seen = pd->fds[fd].wakes;
	it->pending = ep_poll_item(pd, it) != 0;
	return 0;
}

static int pd_epoll_ctl(void *ud, int epfd, int op, int fd, struct epoll_event *ev)
{
	struct pd *pd = ud;
	pd_enter(pd);
	struct pd_fd *e = pd_fd_get(pd, epfd, PD_NONE);
	int rc = !e ? -EBADF : e->kind != PD_EPOLL || fd == epfd ? -EINVAL : 0;
	if (rc == 0)
		rc = pd_sk(pd, fd) >= 0 ? 0 : pd_sk(pd, fd) == -EBADF ? -EBADF : -EPERM;
	if (rc == 0)
		rc = ep_ctl(pd, e->ep, op, fd, ev);
	pd_leave(pd);
	return rc < 0 ? pd_fail(rc) : rc;
}

/* ep_send_events: one pass over the ready list. */
static int ep_collect(struct pd *pd, struct pd_epoll *ep, struct epoll_event *out, int max)
{
	int n = 0;
	for (int i = 0; i < ep->n && n < max; i++) {
		struct pd_epitem *it = &ep->items[i];
		uint32_t wakes = pd->fds[it->fd].wakes;
		if (wakes != it->wake_seen) {
			it->wake_seen = wakes;
			it->pending = true;
		}
		if (!it->armed || !it->pending)
			continue;
		int m = ep_poll_item(pd, it);
		it->pending = m && !(it->events & EPOLLET); /* level: back on the list */
		if (!m)
			continue;
		out[n].events = (uint32_t)m;
		out[n].data.u64 = it->data;
		n++;
		if (it->events & EPOLLONESHOT)
			it->armed = false;
	}
	return n;
}

static int pd_epoll_wait(void *ud, int epfd, struct epoll_event *events, int maxevents, int timeout)
{
	struct pd *pd = ud;
	if (maxevents <= 0)
		return pd_fail(-EINVAL);
	if (!events)
		return pd_fail(-EFAULT);
	pd_enter(pd);
	struct pd_fd *e = pd_fd_get(pd, epfd, PD_NONE);
	int rc = !e ? -EBADF : e->kind != PD_EPOLL ? -EINVAL : 0;
	if (rc == 0) {
		uint64_t until = until_ms(pd, timeout);
		pd_changed(pd); /* count the wakeups of the last call */
		while ((rc = ep_collect(pd, e->ep, events, maxevents)) == 0 && timeout != 0 &&
		       pd_wait(pd, until))
			;
	}
	pd_leave(pd);
	return rc < 0 ? pd_fail(rc) : rc;
}

void pd_poll_hooks(struct packetdrill_interface *ifc)
{
	ifc->poll = pd_poll;
	ifc->epoll_create = pd_epoll_create;
	ifc->epoll_ctl = pd_epoll_ctl;
	ifc->epoll_wait = pd_epoll_wait;
}
