/* Internals of libsynack-packetdrill.so, shared by packetdrill.c (the
 * object, its clock, the network device and the threads),
 * packetdrill_sys.c (the socket calls) and packetdrill_poll.c (poll and
 * epoll). */
#ifndef SYNACK_PACKETDRILL_INT_H
#define SYNACK_PACKETDRILL_INT_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "synack/packetdrill.h"
#include "synack/synack.h"

/* Where virtual time starts: any value works (packetdrill only takes
 * differences); a round one makes traces easy to read. */
#define PD_EPOCH_NS (1000 * SK_NS_PER_S)
/* gettimeofday moves the clock by this much, so packetdrill's spin-waits
 * (which read the clock in a loop) always end. */
#define PD_TICK_NS 1000ull
/* How far netdev_receive runs the stack's timers looking for a packet
 * before it reports that none came. */
#define PD_HORIZON_NS (3600 * SK_NS_PER_S)
/* A blocked call that sees packetdrill's main thread make no call for this
 * long (real time) runs the stack's next timer itself: the script has
 * nothing more to inject and only timers can finish the call. */
#define PD_IDLE_MS 100
/* The longest the main thread waits (real time) for a woken call to
 * return and read the clock before it lets time move on regardless. */
#define PD_SETTLE_MS 2000

struct pd_pkt {
	struct pd_pkt *next;
	uint64_t t_ns;
	size_t len;
	uint8_t data[];
};

enum pd_kind { PD_NONE, PD_SOCK, PD_EPOLL };

struct pd_epitem {
	int fd;              /* host descriptor of the socket */
	uint32_t events;     /* EPOLLIN, EPOLLOUT, ..., EPOLLET, EPOLLONESHOT */
	uint64_t data;
	uint32_t wake_seen;  /* the socket's wake count when last looked at */
	bool armed;          /* EPOLLONESHOT: false once reported */
	bool pending;        /* on the ready list: added ready, or woken since */
};

struct pd_epoll {
	struct pd_epitem *items;
	int n, cap;
};

/* One descriptor handed to packetdrill. Its number is a real host
 * descriptor (open on /dev/null) because packetdrill closes the sockets a
 * script leaves open with the host's close(). */
struct pd_fd {
	enum pd_kind kind;
	int sk;              /* the stack's descriptor (PD_SOCK) */
	uint32_t wakes;      /* readiness changes the stack reported (epoll) */
	struct pd_epoll *ep; /* PD_EPOLL */
};

struct pd {
	pthread_mutex_t mu;
	pthread_cond_t wake;   /* blocked calls wait here for the stack to change */
	pthread_cond_t settle; /* the main thread waits here for them to catch up */
	pthread_t main_thread; /* the one that called init: packetdrill's main thread */
	struct sk_stack *st;
	uint64_t now_ns;       /* the virtual clock, the stack's time */
	uint64_t gen;          /* bumped whenever the stack may have changed */

	/* The call blocked on packetdrill's syscall thread, if any. */
	bool blocked;
	uint64_t blocked_gen;  /* the generation it last looked at */
	uint64_t blocked_until; /* its own deadline (poll timeout), or SK_NEVER */
	bool clock_read_pending; /* it returned; its end time is not read yet */
	uint64_t main_calls;   /* calls made by the main thread, for idleness */
	bool main_inside;      /* the main thread is inside a hook */

	struct pd_pkt *q_head, **q_tail; /* packets the stack sent, oldest first */

	struct pd_fd *fds;     /* indexed by host descriptor */
	int nfds;
	int *by_sk;            /* stack descriptor -> host descriptor */
	int nby_sk;
};

/* packetdrill.c */
void pd_enter(struct pd *pd);
void pd_leave(struct pd *pd);
bool pd_on_main(const struct pd *pd);
void pd_changed(struct pd *pd);
bool pd_wait(struct pd *pd, uint64_t until_ns);
int pd_fail(int rc);

/* packetdrill_sys.c */
void pd_sys_hooks(struct packetdrill_interface *ifc);
int pd_fd_new(struct pd *pd, enum pd_kind kind, int sk);
struct pd_fd *pd_fd_get(struct pd *pd, int fd, enum pd_kind kind);
void pd_fd_release(struct pd *pd, int fd);
void pd_fds_free(struct pd *pd);
int pd_sk(struct pd *pd, int fd);

/* packetdrill_poll.c */
void pd_poll_hooks(struct packetdrill_interface *ifc);
void pd_epoll_forget(struct pd *pd, int fd);
void pd_epoll_free(struct pd_epoll *ep);

#endif
