/* libsynack-packetdrill.so: synack as a shared object that packetdrill
 * (github.com/google/packetdrill, "so mode") drives. This file holds the
 * object itself: --so_flags, the virtual clock, the network device and
 * the threads; the socket calls are in packetdrill_sys.c, poll and epoll
 * in packetdrill_poll.c. docs/conformance.md says how to run it.
 *
 * Time is virtual, so a script runs in milliseconds, and it moves by
 * itself as packetdrill requires: gettimeofday adds a microsecond per
 * call (packetdrill spin-waits on it), usleep jumps, and netdev_receive,
 * when the stack has sent nothing, runs the stack to its next timer. The
 * clock stops at every timer deadline on the way, so each packet carries
 * the exact time the stack sent it.
 *
 * packetdrill runs a call written with a time range ("+0...0.2 accept")
 * on a second thread and waits until that thread sleeps in the kernel.
 * Such a call really sleeps here, on a condition variable, until the
 * stack changes; one mutex serialises the stack. Before letting time
 * move, the main thread waits for a woken call to return and read the
 * clock, or its end time would be read after the jump. */
#include <arpa/inet.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "packetdrill_int.h"

_Static_assert(sizeof(struct packetdrill_interface) == 33 * sizeof(void *),
	       "packetdrill's interface has 33 pointer-sized members");

bool pd_on_main(const struct pd *pd) { return pthread_equal(pthread_self(), pd->main_thread); }

/* The POSIX way packetdrill expects: -1 with errno. */
int pd_fail(int rc)
{
	errno = -rc;
	return -1;
}

static void deadline_in(struct timespec *ts, long ms)
{
	clock_gettime(CLOCK_MONOTONIC, ts);
	ts->tv_sec += ms / 1000;
	ts->tv_nsec += (ms % 1000) * 1000000L;
	if (ts->tv_nsec >= 1000000000L) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000L;
	}
}

/* Counts a readiness change for every socket the stack reports (epoll's
 * edge-triggered mode needs them), then lets blocked calls look again. */
void pd_changed(struct pd *pd)
{
	int fds[64], n;
	while ((n = sk_ready(pd->st, fds, 64)) > 0)
		for (int i = 0; i < n; i++)
			if (fds[i] >= 0 && fds[i] < pd->nby_sk && pd->by_sk[fds[i]] >= 0)
				pd->fds[pd->by_sk[fds[i]]].wakes++;
	pd->gen++;
	pthread_cond_broadcast(&pd->wake);
}

/* On the main thread, before time moves: wait until a blocked call has
 * looked at the latest state and, if that let it return, until it has
 * read its end time. Bounded, so a lost thread cannot hang the run. */
static void settle(struct pd *pd)
{
	if (!pd_on_main(pd))
		return;
	struct timespec end;
	deadline_in(&end, PD_SETTLE_MS);
	while ((pd->blocked && pd->blocked_gen != pd->gen) || pd->clock_read_pending)
		if (pthread_cond_timedwait(&pd->settle, &pd->mu, &end) == ETIMEDOUT) {
			pd->clock_read_pending = false;
			break;
		}
}

/* Moves the virtual clock to `t_ns`, stopping at every stack timer and at
 * a blocked call's own deadline, so that each fires at its exact time. */
static void clock_to(struct pd *pd, uint64_t t_ns)
{
	for (long guard = 0; pd->now_ns < t_ns && guard < 10000000; guard++) {
		uint64_t timer = sk_deadline(pd->st), next = timer;
		if (pd->blocked && pd->blocked_until > pd->now_ns && pd->blocked_until < next)
			next = pd->blocked_until;
		if (next <= pd->now_ns)
			next = pd->now_ns + 1;
		if (next > t_ns)
			next = t_ns;
		pd->now_ns = next;
		if (next < timer && next != pd->blocked_until)
			continue; /* nothing happens at this instant */
		sk_advance(pd->st, next);
		pd_changed(pd);
		settle(pd);
	}
}

/* Runs the stack to its next timer (or `until_ns`, if sooner) within the
 * horizon; false when there is nothing left to run. */
static bool run_next_timer(struct pd *pd, uint64_t until_ns)
{
	uint64_t next = sk_deadline(pd->st);
	if (until_ns < next)
		next = until_ns;
	if (next == SK_NEVER || next > pd->now_ns + PD_HORIZON_NS)
		return false;
	clock_to(pd, next > pd->now_ns ? next : pd->now_ns + 1);
	return true;
}

/* Waits for the stack to change, for a blocking call; false once
 * `until_ns` has passed or nothing can change any more. On packetdrill's
 * syscall thread it sleeps; packets come from the main thread. A call on
 * the main thread itself cannot wait for packets (the main thread is the
 * one injecting them), so only the stack's timers can help it. */
bool pd_wait(struct pd *pd, uint64_t until_ns)
{
	if (pd->now_ns >= until_ns)
		return false;
	if (pd_on_main(pd))
		return run_next_timer(pd, until_ns);
	uint64_t gen = pd->gen;
	pd->blocked = true;
	pd->blocked_gen = gen;
	pd->blocked_until = until_ns;
	pthread_cond_broadcast(&pd->settle);
	while (pd->gen == gen) {
		uint64_t calls = pd->main_calls;
		struct timespec end;
		deadline_in(&end, PD_IDLE_MS);
		int rc = pthread_cond_timedwait(&pd->wake, &pd->mu, &end);
		/* The script has nothing more for us (it may be waiting for
		 * this very call to end): only timers can finish it. */
		if (rc == ETIMEDOUT && pd->gen == gen && calls == pd->main_calls && !pd->main_inside)
			run_next_timer(pd, until_ns);
	}
	pd->blocked_gen = pd->gen; /* looked at now, under the mutex */
	return true;
}

/* Every socket call: the mutex, and the stack at the current time. */
void pd_enter(struct pd *pd)
{
	pthread_mutex_lock(&pd->mu);
	if (pd_on_main(pd)) {
		pd->main_calls++;
		pd->main_inside = true;
	}
	sk_advance(pd->st, pd->now_ns);
}

void pd_leave(struct pd *pd)
{
	if (pd_on_main(pd)) {
		pd->main_inside = false;
	} else {
		/* packetdrill reads the clock right after a threaded call
		 * returns; time waits for that (see settle). */
		pd->blocked = false;
		pd->clock_read_pending = true;
		pthread_cond_broadcast(&pd->settle);
	}
	pd_changed(pd);
	pthread_mutex_unlock(&pd->mu);
}

/* ---- time ---- */

static int pd_usleep(void *ud, useconds_t usec)
{
	struct pd *pd = ud;
	pthread_mutex_lock(&pd->mu);
	bool main = pd_on_main(pd);
	if (main) {
		pd->main_calls++;
		pd->main_inside = true;
	}
	settle(pd);
	clock_to(pd, pd->now_ns + (uint64_t)usec * 1000);
	if (main)
		pd->main_inside = false;
	pthread_mutex_unlock(&pd->mu);
	return 0;
}

static int pd_gettimeofday(void *ud, struct timeval *tv, struct timezone *tz)
{
	struct pd *pd = ud;
	(void)tz;
	pthread_mutex_lock(&pd->mu);
	if (pd_on_main(pd)) {
		pd->main_calls++;
	} else if (pd->clock_read_pending) {
		pd->clock_read_pending = false;
		pthread_cond_broadcast(&pd->settle);
	}
	clock_to(pd, pd->now_ns + PD_TICK_NS);
	if (tv) {
		uint64_t us = pd->now_ns / 1000;
		tv->tv_sec = (time_t)(us / 1000000);
		tv->tv_usec = (suseconds_t)(us % 1000000);
	}
	pthread_mutex_unlock(&pd->mu);
	return 0;
}

/* ---- the network device ---- */

static void on_output(void *ctx, const uint8_t *packet, size_t len)
{
	struct pd *pd = ctx;
	struct pd_pkt *p = malloc(sizeof(*p) + len);
	if (!p)
		return; /* a packet lost on the wire */
	p->next = NULL;
	p->t_ns = pd->now_ns;
	p->len = len;
	memcpy(p->data, packet, len);
	*pd->q_tail = p;
	pd->q_tail = &p->next;
}

static int pd_netdev_send(void *ud, const void *buf, size_t count)
{
	struct pd *pd = ud;
	if (!buf || count == 0)
		return pd_fail(-EINVAL);
	pd_enter(pd);
	sk_input(pd->st, pd->now_ns, buf, count);
	pd_leave(pd);
	return 0;
}

/* The next packet the stack sent. With none queued, the stack's timers
 * run until one comes; past the horizon a zero-length packet makes
 * packetdrill fail at once ("IP header overflows packet") instead of
 * waiting for ever. */
static int pd_netdev_receive(void *ud, void *buf, size_t *count, long long *time_usecs)
{
	struct pd *pd = ud;
	pd_enter(pd);
	settle(pd);
	while (!pd->q_head && run_next_timer(pd, SK_NEVER))
		;
	struct pd_pkt *p = pd->q_head;
	if (!p) {
		*count = 0;
		*time_usecs = (long long)(pd->now_ns / 1000);
		pd_leave(pd);
		return 0;
	}
	pd->q_head = p->next;
	if (!pd->q_head)
		pd->q_tail = &pd->q_head;
	size_t n = p->len < *count ? p->len : *count;
	memcpy(buf, p->data, n);
	*count = n;
	*time_usecs = (long long)(p->t_ns / 1000);
	free(p);
	pd_leave(pd);
	return 0;
}

/* ---- SIGPIPE: where Linux would raise it, so do we (packetdrill
 * ignores it, as a program writing to sockets usually does) ---- */

static void on_event(void *ctx, uint64_t now_ns, const struct sk_event *ev)
{
	(void)ctx;
	(void)now_ns;
	if (ev->kind == SK_EV_SIGPIPE)
		pthread_kill(pthread_self(), SIGPIPE);
}

/* ---- --so_flags ---- */

/* What packetdrill's defaults.sh sets on Linux and the scripts assume:
 * buffers that give window scale 8, five SYN retries; the rest of it
 * (timestamps, SACK, cookies) is synack's default already. */
static void script_defaults(struct sk_knobs *k)
{
	sk_knob_set(k, "tcp_rmem", "4096 540000 15728640");
	sk_knob_set(k, "tcp_wmem", "4096 262144 4194304");
	sk_knob_set(k, "tcp_syn_retries", "5");
	sk_knob_set(k, "tcp_synack_retries", "5");
	sk_knob_set(k, "tcp_timestamps", "1");
	sk_knob_set(k, "tcp_sack", "1");
	sk_knob_set(k, "tcp_syncookies", "1");
}

static int bad_flag(const char *key, const char *why)
{
	fprintf(stderr, "synack-packetdrill: --so_flags: %s '%s'\n", why, key);
	return -1;
}

static int apply_flag(struct sk_config *cfg, char *key, char *val)
{
	char *end;
	if (strcmp(key, "local_ip") == 0) {
		struct in_addr a;
		if (inet_pton(AF_INET, val, &a) != 1)
			return bad_flag(val, "local_ip is not an IPv4 address:");
		cfg->addr = ntohl(a.s_addr);
		return 0;
	}
	if (strcmp(key, "seed") == 0) {
		cfg->seed = strtoull(val, &end, 0);
		return *val && !*end ? 0 : bad_flag(val, "seed is not a number:");
	}
	if (strcmp(key, "mtu") == 0) {
		unsigned long m = strtoul(val, &end, 10);
		if (!*val || *end || m < 68 || m > 65535)
			return bad_flag(val, "mtu must be 68..65535, not");
		cfg->mtu = (uint16_t)m;
		return 0;
	}
	for (char *c = val; *c; c++)
		if (*c == ':')
			*c = ' '; /* tcp_rmem=4096:131072:6291456 */
	int rc = sk_knob_set(&cfg->knobs, key, val);
	if (rc == -ENOENT)
		return bad_flag(key, "unknown key (not local_ip, seed, mtu or a knob synack has)");
	if (rc < 0)
		return bad_flag(key, "bad value for");
	return 0;
}

/* Parses "key=value,key=value"; prints what is wrong and returns -1. */
static int parse_flags(struct sk_config *cfg, const char *flags)
{
	if (!flags || !*flags)
		return 0;
	char *copy = strdup(flags);
	if (!copy)
		return -1;
	int rc = 0;
	char *save = NULL;
	for (char *item = strtok_r(copy, ",", &save); item && rc == 0; item = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(item, '=');
		if (!eq || eq == item) {
			rc = bad_flag(item, "expected key=value, got");
			break;
		}
		*eq = '\0';
		rc = apply_flag(cfg, item, eq + 1);
	}
	free(copy);
	return rc;
}

/* ---- the object ---- */

static void pd_free(void *ud)
{
	struct pd *pd = ud;
	if (!pd)
		return;
	pd_fds_free(pd);
	sk_stack_free(pd->st);
	while (pd->q_head) {
		struct pd_pkt *p = pd->q_head;
		pd->q_head = p->next;
		free(p);
	}
	free(pd->fds);
	free(pd->by_sk);
	pthread_cond_destroy(&pd->wake);
	pthread_cond_destroy(&pd->settle);
	pthread_mutex_destroy(&pd->mu);
	free(pd);
}

static struct pd *pd_new(const struct sk_config *cfg_in)
{
	struct pd *pd = calloc(1, sizeof(*pd));
	if (!pd)
		return NULL;
	struct sk_config cfg = *cfg_in;
	cfg.output = on_output;
	cfg.output_ctx = pd;
	cfg.observe = on_event;
	cfg.observe_ctx = pd;
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_mutex_init(&pd->mu, NULL);
	pthread_cond_init(&pd->wake, &ca);
	pthread_cond_init(&pd->settle, &ca);
	pthread_condattr_destroy(&ca);
	pd->main_thread = pthread_self();
	pd->now_ns = PD_EPOCH_NS;
	pd->q_tail = &pd->q_head;
	pd->st = sk_stack_new(&cfg, pd->now_ns);
	if (!pd->st) {
		pd_free(pd);
		return NULL;
	}
	return pd;
}

static int pd_pipe(void *ud, int pipefd[2])
{
	(void)ud;
	(void)pipefd;
	return pd_fail(-ENOSYS); /* synack has sockets only */
}

static int pd_splice(void *ud, int fd_in, loff_t *off_in, int fd_out, loff_t *off_out, size_t len,
		     unsigned int flags)
{
	(void)ud, (void)fd_in, (void)off_in, (void)fd_out, (void)off_out, (void)len, (void)flags;
	return pd_fail(-ENOSYS);
}

__attribute__((visibility("default"))) void packetdrill_interface_init(const char *flags,
								      struct packetdrill_interface *ifc)
{
	struct sk_config cfg;
	sk_config_default(&cfg);
	cfg.addr = SK_IP(192, 168, 0, 2);
	cfg.seed = 1;
	script_defaults(&cfg.knobs);
	if (parse_flags(&cfg, flags) < 0)
		exit(EXIT_FAILURE); /* packetdrill reports a failed run */
	struct pd *pd = pd_new(&cfg);
	if (!pd) {
		fprintf(stderr, "synack-packetdrill: cannot create the stack\n");
		exit(EXIT_FAILURE);
	}
	memset(ifc, 0, sizeof(*ifc));
	ifc->userdata = pd;
	ifc->free = pd_free;
	ifc->netdev_send = pd_netdev_send;
	ifc->netdev_receive = pd_netdev_receive;
	ifc->usleep = pd_usleep;
	ifc->gettimeofday = pd_gettimeofday;
	ifc->pipe = pd_pipe;
	ifc->splice = pd_splice;
	pd_sys_hooks(ifc);
	pd_poll_hooks(ifc);
}
