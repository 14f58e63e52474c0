/* `synack host`: synack as a host on a real network, through a TAP
 * device. Options and services are parsed here; the event loop sleeps in
 * the driver (sk_tap_step) until a frame, a timer or a signal comes, then
 * hands every socket whose readiness changed to its service. SIGUSR1
 * prints an `ss`-style listing with counters; SIGINT/SIGTERM close every
 * connection (FIN, or RST where data is unread, as Linux does) and wait
 * up to 5 s for them to finish; a second signal exits at once. */
#include <arpa/inet.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "host.h"

#define GRACE_NS (5 * SK_NS_PER_S)

static volatile sig_atomic_t sig_stop, sig_list;

static void on_signal(int sig)
{
	if (sig == SIGUSR1)
		sig_list = 1;
	else
		sig_stop++;
}

void host_log(const char *fmt, ...)
{
	uint64_t t = sk_tap_now();
	printf("%llu.%06llu ", (unsigned long long)(t / SK_NS_PER_S),
	       (unsigned long long)(t % SK_NS_PER_S / 1000));
	va_list ap;
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

const char *host_addr(char *buf, uint32_t addr, uint16_t port)
{
	sprintf(buf, "%u.%u.%u.%u:%u", addr >> 24, (addr >> 16) & 255, (addr >> 8) & 255,
		addr & 255, port);
	return buf;
}

const char *svc_name(enum svc_kind k)
{
	static const char *const names[] = { "echo", "discard", "http", "hold", "get", "send", "recv" };
	return names[k];
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: synack host --tap NAME --addr A.B.C.D/LEN [--gw A.B.C.D] [--mac XX:..]\n"
		"                   [--seed N] [--mtu N] [--set KNOB=VALUE]... [--keepalive]\n"
		"                   [--loss P] [--pcap FILE] SERVICE...\n"
		"servers:  echo:PORT  discard:PORT  http:PORT  hold:PORT (accepts, never reads)\n"
		"clients:  get http://A.B.C.D[:PORT]/PATH   send A.B.C.D:PORT FILE   recv A.B.C.D:PORT\n"
		"With clients, the host exits when they are done (status 1 if one failed).\n"
		"SIGUSR1 prints the sockets and counters; SIGINT/SIGTERM close gracefully.\n"
		"See docs/tap.md.\n");
}

/* ---- the listing (SIGUSR1): `ss -tan -o`, nstat, `ip neigh` ---- */

/* A duration as `ss -o` prints it (iproute2 misc/ss.c print_ms_timer). */
static void ss_time(char *buf, size_t cap, uint64_t ms)
{
	unsigned secs = (unsigned)(ms / 1000), mins = secs / 60, msecs = (unsigned)(ms % 1000);
	size_t n = 0;
	secs %= 60;
	buf[0] = '\0';
	if (mins) {
		msecs = 0;
		n += (size_t)snprintf(buf, cap, "%umin", mins);
		if (mins > 9)
			secs = 0;
	}
	if (secs) {
		if (secs > 9)
			msecs = 0;
		n += (size_t)snprintf(buf + n, cap - n, "%u%s", secs, msecs ? "." : "sec");
	}
	if (msecs)
		snprintf(buf + n, cap - n, "%03ums", msecs);
}

struct list_ctx {
	struct host *h;
	bool listen_only;
	int count;
};

static void list_one(void *ctx, const struct sk_sockinfo *i)
{
	struct list_ctx *lc = ctx;
	if (lc->listen_only != (i->state == SK_TCP_LISTEN))
		return;
	char l[32], r[32], timer[64] = "";
	host_addr(l, i->laddr, i->lport);
	if (i->state == SK_TCP_LISTEN)
		snprintf(r, sizeof(r), "0.0.0.0:*");
	else
		host_addr(r, i->raddr, i->rport);
	if (i->timer) {
		uint64_t now = sk_now(lc->h->st);
		char t[32];
		ss_time(t, sizeof(t), i->timer_at_ns > now ? (i->timer_at_ns - now) / SK_NS_PER_MS : 0);
		snprintf(timer, sizeof(timer), " timer:(%s,%s,%d)", i->timer, t, i->timer_count);
	}
	printf("%-10s %-6u %-6u %-21s %-21s%s\n", sk_state_name(i->state), i->recv_q, i->send_q, l, r,
	       timer);
	lc->count++;
}

static void list_neigh(void *ctx, const struct sk_neigh_info *n)
{
	(void)ctx;
	printf("%u.%u.%u.%u lladdr %02x:%02x:%02x:%02x:%02x:%02x %s (queued %d, probes %d)\n",
	       n->addr >> 24, (n->addr >> 16) & 255, (n->addr >> 8) & 255, n->addr & 255,
	       n->mac[0], n->mac[1], n->mac[2], n->mac[3], n->mac[4], n->mac[5],
	       sk_nud_name(n->state), n->queued, n->probes);
}

static void print_sockets(struct host *h, bool listen_only)
{
	struct list_ctx lc = { h, true, 0 };
	printf("%-10s %-6s %-6s %-21s %-21s\n", "State", "Recv-Q", "Send-Q", "Local Address:Port",
	       "Peer Address:Port");
	sk_foreach_socket(h->st, list_one, &lc);
	if (!listen_only) {
		lc.listen_only = false;
		sk_foreach_socket(h->st, list_one, &lc);
	}
}

static void print_listing(struct host *h)
{
	host_log("listing");
	printf("--- sockets ---\n");
	print_sockets(h, false);
	printf("--- counters ---\n");
	for (int c = 0; c < SK_MIB_COUNT; c++)
		if (sk_counter(h->st, (enum sk_counter)c))
			printf("%s %llu\n", sk_counter_name((enum sk_counter)c),
			       (unsigned long long)sk_counter(h->st, (enum sk_counter)c));
	printf("--- link ---\n");
	struct sk_link *l = sk_tap_link(h->tap);
	for (int c = 0; c < SK_LINK_COUNT; c++)
		if (sk_link_counter(l, (enum sk_link_counter)c))
			printf("%s %llu\n", sk_link_counter_name((enum sk_link_counter)c),
			       (unsigned long long)sk_link_counter(l, (enum sk_link_counter)c));
	printf("--- neighbours ---\n");
	sk_link_foreach_neigh(l, list_neigh, NULL);
	printf("--- end ---\n");
	fflush(stdout);
}

/* ---- the loop ---- */

static void dispatch_ready(struct host *h)
{
	int fds[256];
	/* Handling a socket can change others' readiness; a few rounds
	 * settle it, and anything left waits for the next step. */
	for (int round = 0; round < 8; round++) {
		int n = sk_ready(h->st, fds, 256);
		if (n == 0)
			return;
		for (int i = 0; i < n; i++)
			if (fds[i] < h->conns_cap && h->conns[fds[i]])
				conn_event(h, h->conns[fds[i]]);
	}
}

/* SIGINT/SIGTERM, or every client done: close every socket. Connections
 * end with FIN, or RST where received data is unread (C11). */
static void start_closing(struct host *h)
{
	int n = 0;
	for (int fd = 0; fd < h->conns_cap; fd++) {
		struct conn *c = h->conns[fd];
		if (!c)
			continue;
		if (!c->listener && c->svc->kind >= SVC_GET && !c->svc->done) {
			c->svc->done = c->svc->failed = true;
			h->failures++;
		}
		n += !c->listener;
		sk_close(h->st, fd);
		conn_free(h, c);
	}
	host_log("closing %d connection%s", n, n == 1 ? "" : "s");
}

static void count_live(void *ctx, const struct sk_sockinfo *i)
{
	int *n = ctx;
	*n += i->state != SK_TCP_TIME_WAIT && i->state != SK_TCP_CLOSE && i->state != SK_TCP_LISTEN;
}

static int live_connections(struct host *h)
{
	int n = 0;
	sk_foreach_socket(h->st, count_live, &n);
	return n;
}

static int host_loop(struct host *h, const sigset_t *orig)
{
	uint64_t grace_until = SK_NEVER;
	for (;;) {
		int rc = sk_tap_step(h->tap, grace_until, orig);
		if (rc < 0 && rc != -EINTR) {
			host_log("TAP device failed: %s", strerror(-rc));
			return 1;
		}
		if (sig_list) {
			sig_list = 0;
			print_listing(h);
		}
		if (sig_stop >= 2) {
			host_log("second signal: exiting now");
			return 1;
		}
		dispatch_ready(h);
		bool clients_done = h->nclients && h->clients_left == 0;
		if (grace_until == SK_NEVER && (sig_stop || clients_done)) {
			start_closing(h);
			grace_until = sk_tap_now() + GRACE_NS;
		}
		if (grace_until != SK_NEVER &&
		    (live_connections(h) == 0 || sk_tap_now() >= grace_until)) {
			int left = live_connections(h);
			host_log("done%s", left ? " (connections still closing: gave up)" : "");
			return h->failures ? 1 : 0;
		}
	}
}

static int run(struct host *h)
{
	sigset_t block, orig;
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGUSR1);
	/* Signals wait while blocked and are taken only inside ppoll, so
	 * none is lost between a check and the sleep. */
	sigprocmask(SIG_BLOCK, &block, &orig);
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGUSR1, &sa, NULL);
	sigdelset(&orig, SIGINT);
	sigdelset(&orig, SIGTERM);
	sigdelset(&orig, SIGUSR1);
	for (int i = 0; i < h->nsvc; i++) {
		int rc = svc_start(h, &h->svc[i]);
		if (rc < 0) {
			fprintf(stderr, "synack host: %s: %s\n", h->svc[i].text, strerror(-rc));
			return 1;
		}
	}
	print_sockets(h, true);
	fflush(stdout);
	return host_loop(h, &orig);
}

/* ---- options ---- */

static int parse_ip(const char *s, uint32_t *out)
{
	struct in_addr a;
	if (inet_pton(AF_INET, s, &a) != 1)
		return -1;
	*out = ntohl(a.s_addr);
	return 0;
}

static int parse_port(const char *s, uint16_t *out)
{
	char *end;
	unsigned long v = strtoul(s, &end, 10);
	if (*s == '\0' || *end || v == 0 || v > 65535)
		return -1;
	*out = (uint16_t)v;
	return 0;
}

static int parse_hostport(const char *s, uint32_t *addr, uint16_t *port)
{
	char buf[64];
	snprintf(buf, sizeof(buf), "%s", s);
	char *colon = strrchr(buf, ':');
	if (!colon)
		return -1;
	*colon = '\0';
	return parse_ip(buf, addr) < 0 || parse_port(colon + 1, port) < 0 ? -1 : 0;
}

/* http://A.B.C.D[:PORT][/PATH] */
static int parse_url(const char *url, struct service *s)
{
	if (strncmp(url, "http://", 7))
		return -1;
	char hp[64];
	const char *slash = strchr(url + 7, '/');
	size_t n = slash ? (size_t)(slash - url - 7) : strlen(url + 7);
	if (n >= sizeof(hp))
		return -1;
	memcpy(hp, url + 7, n);
	hp[n] = '\0';
	s->arg = slash ? slash : "/";
	s->port = 80;
	if (strchr(hp, ':'))
		return parse_hostport(hp, &s->addr, &s->port);
	return parse_ip(hp, &s->addr);
}

/* One SERVICE at argv[*i]; clients take their arguments too. */
static int parse_service(struct host *h, int argc, char **argv, int *i)
{
	struct service *s = &h->svc[h->nsvc];
	memset(s, 0, sizeof(*s));
	s->fd = -1;
	s->text = argv[*i];
	const char *a = argv[*i];
	static const char *const servers[] = { "echo:", "discard:", "http:", "hold:" };
	static const enum svc_kind kinds[] = { SVC_ECHO, SVC_DISCARD, SVC_HTTP, SVC_HOLD };
	for (int k = 0; k < 4; k++) {
		size_t n = strlen(servers[k]);
		if (!strncmp(a, servers[k], n)) {
			s->kind = kinds[k];
			h->nsvc++;
			return parse_port(a + n, &s->port);
		}
	}
	int need = !strcmp(a, "send") ? 2 : (!strcmp(a, "get") || !strcmp(a, "recv")) ? 1 : -1;
	if (need < 0 || *i + need >= argc)
		return -1;
	s->text = argv[*i + 1];
	s->kind = a[0] == 'g' ? SVC_GET : a[0] == 's' ? SVC_SEND : SVC_RECV;
	int rc = s->kind == SVC_GET ? parse_url(argv[*i + 1], s)
				    : parse_hostport(argv[*i + 1], &s->addr, &s->port);
	if (s->kind == SVC_SEND)
		s->arg = argv[*i + 2];
	*i += need;
	h->nsvc++;
	h->nclients++;
	return rc;
}

static int parse_mac(const char *s, uint8_t mac[SK_ETH_ALEN])
{
	unsigned m[6];
	if (sscanf(s, "%x:%x:%x:%x:%x:%x", &m[0], &m[1], &m[2], &m[3], &m[4], &m[5]) != 6)
		return -1;
	for (int i = 0; i < 6; i++) {
		if (m[i] > 255)
			return -1;
		mac[i] = (uint8_t)m[i];
	}
	return (mac[0] & 1) ? -1 : 0; /* a multicast address cannot be a host's */
}

static int parse_addr_len(const char *s, struct sk_tap_config *tc)
{
	char buf[32];
	snprintf(buf, sizeof(buf), "%s", s);
	char *slash = strchr(buf, '/');
	if (!slash)
		return -1;
	*slash = '\0';
	char *end;
	long len = strtol(slash + 1, &end, 10);
	if (*end || len < 1 || len > 32 || parse_ip(buf, &tc->stack.addr) < 0)
		return -1;
	tc->prefix_len = (int)len;
	return 0;
}

/* One --option at argv[*i] (with its value). Returns 0, or -1 after
 * printing what is wrong. */
static int parse_option(struct host *h, struct sk_tap_config *tc, bool *have_seed, int argc,
			char **argv, int *i)
{
	const char *o = argv[*i];
	if (!strcmp(o, "--keepalive")) {
		h->keepalive = true;
		return 0;
	}
	if (*i + 1 >= argc) {
		fprintf(stderr, "synack host: %s needs a value\n", o);
		return -1;
	}
	const char *v = argv[++*i];
	char *end = NULL;
	int bad = 0;
	if (!strcmp(o, "--tap"))
		tc->ifname = v;
	else if (!strcmp(o, "--addr"))
		bad = parse_addr_len(v, tc);
	else if (!strcmp(o, "--gw"))
		bad = parse_ip(v, &tc->gw);
	else if (!strcmp(o, "--mac"))
		bad = parse_mac(v, tc->mac), tc->have_mac = 1;
	else if (!strcmp(o, "--seed"))
		tc->stack.seed = strtoull(v, &end, 0), bad = *end != '\0', *have_seed = true;
	else if (!strcmp(o, "--mtu"))
		tc->stack.mtu = (uint16_t)strtoul(v, &end, 10), bad = *end || tc->stack.mtu < 576;
	else if (!strcmp(o, "--loss"))
		tc->loss = strtod(v, &end), bad = (*end && strcmp(end, "%")) || tc->loss < 0,
		tc->loss /= *end == '%' ? 100.0 : 1.0;
	else if (!strcmp(o, "--pcap"))
		h->pcap = v;
	else if (!strcmp(o, "--set")) {
		char name[64];
		const char *eq = strchr(v, '=');
		snprintf(name, sizeof(name), "%.*s", eq ? (int)(eq - v) : 0, v);
		int rc = eq ? sk_knob_set(&tc->stack.knobs, name, eq + 1) : -EINVAL;
		if (rc < 0) {
			fprintf(stderr, "synack host: --set %s: %s\n", v,
				rc == -ENOENT ? "no such knob" : "bad value (KNOB=VALUE)");
			return -1;
		}
	} else {
		fprintf(stderr, "synack host: unknown option %s\n", o);
		return -1;
	}
	if (bad)
		fprintf(stderr, "synack host: bad value for %s: %s\n", o, v);
	return bad ? -1 : 0;
}

static int parse_args(struct host *h, struct sk_tap_config *tc, int argc, char **argv)
{
	bool have_seed = false;
	sk_config_default(&tc->stack);
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			usage(stdout);
			exit(0);
		}
		if (!strncmp(argv[i], "--", 2)) {
			if (parse_option(h, tc, &have_seed, argc, argv, &i) < 0)
				return -1;
		} else if (parse_service(h, argc, argv, &i) < 0) {
			fprintf(stderr, "synack host: bad service '%s'\n", argv[i]);
			return -1;
		}
	}
	if (!tc->ifname || !tc->stack.addr || h->nsvc == 0) {
		fprintf(stderr, "synack host: --tap, --addr and at least one service are needed\n");
		return -1;
	}
	/* The default seed comes from the address: the MAC (derived from
	 * it) stays the same across restarts, so neighbours' ARP caches stay
	 * right. ISNs still differ: they follow the clock (RFC 6528). */
	if (!have_seed)
		tc->stack.seed = 0x73796e61636bull ^ tc->stack.addr;
	return 0;
}

int cmd_host(int argc, char **argv)
{
	struct host h = { 0 };
	struct sk_tap_config tc = { 0 };
	h.svc = calloc((size_t)argc, sizeof(*h.svc));
	if (!h.svc || parse_args(&h, &tc, argc, argv) < 0) {
		free(h.svc);
		if (argc < 2)
			usage(stderr);
		return 2;
	}
	h.clients_left = h.nclients;
	char err[512];
	h.tap = sk_tap_open(&tc, err, sizeof(err));
	if (!h.tap) {
		fprintf(stderr, "synack host: %s\n", err);
		free(h.svc);
		return 1;
	}
	h.st = sk_tap_stack(h.tap);
	if (h.pcap && sk_tap_pcap(h.tap, h.pcap) < 0)
		fprintf(stderr, "synack host: cannot write %s: %s\n", h.pcap, strerror(errno));
	setvbuf(stdout, NULL, _IOLBF, 0);
	const uint8_t *m = sk_tap_mac(h.tap);
	char a[32];
	host_addr(a, tc.stack.addr, 0);
	*strrchr(a, ':') = '\0';
	host_log("synack host on %s: mac %02x:%02x:%02x:%02x:%02x:%02x, address %s/%d",
		 sk_tap_ifname(h.tap), m[0], m[1], m[2], m[3], m[4], m[5], a, tc.prefix_len);
	int rc = run(&h);
	for (int fd = 0; fd < h.conns_cap; fd++)
		if (h.conns[fd])
			conn_free(&h, h.conns[fd]);
	free(h.conns);
	sk_tap_close(h.tap);
	free(h.svc);
	return rc;
}
