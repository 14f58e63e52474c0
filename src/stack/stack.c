/* The host: creation, time, IPv4 input demultiplexing and output. */
#include <stdlib.h>

#include "core.h"

static void *default_alloc(void *ctx, size_t size)
{
	(void)ctx;
	return malloc(size);
}

static void default_free(void *ctx, void *p, size_t size)
{
	(void)ctx;
	(void)size;
	free(p);
}

void *sk_alloc(struct sk_stack *st, size_t size)
{
	return st->cfg.alloc(st->cfg.alloc_ctx, size);
}

void sk_free(struct sk_stack *st, void *p, size_t size)
{
	if (p)
		st->cfg.free(st->cfg.alloc_ctx, p, size);
}

/* SplitMix64: expands the seed into the stack's secret keys. */
static uint64_t splitmix64(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

struct sk_stack *sk_stack_new(const struct sk_config *cfg, uint64_t now_ns)
{
	if (!cfg || !cfg->output || cfg->mtu < 68)
		return NULL;
	sk_alloc_fn alloc = cfg->alloc ? cfg->alloc : default_alloc;
	struct sk_stack *st = alloc(cfg->alloc_ctx, sizeof(*st));
	if (!st)
		return NULL;
	memset(st, 0, offsetof(struct sk_stack, pkt));
	st->cfg = *cfg;
	st->cfg.alloc = alloc;
	if (!st->cfg.free)
		st->cfg.free = default_free;
	st->now_ns = now_ns;
	st->tw_head = st->tw_tail = st->tw_free = TW_NONE;
	wheel_init(&st->wheel, now_ns);
	uint64_t x = cfg->seed;
	st->hash_key[0] = splitmix64(&x);
	st->hash_key[1] = splitmix64(&x);
	st->isn_key[0] = splitmix64(&x);
	st->isn_key[1] = splitmix64(&x);
	for (int i = 0; i < 256; i++)
		st->port_perturb[i] = (uint32_t)splitmix64(&x);
	if (table_init(st) < 0) {
		table_free(st);
		st->cfg.free(st->cfg.alloc_ctx, st, sizeof(*st));
		return NULL;
	}
	return st;
}

void sk_stack_free(struct sk_stack *st)
{
	if (!st)
		return;
	/* Every socket is in the descriptor table, a listener's queue or the
	 * connection table; free them silently, as a crash would. */
	for (int fd = 0; fd < st->fd_cap; fd++)
		if (st->fds[fd])
			sock_destroy(st, st->fds[fd]);
	while (st->tw_head != TW_NONE)
		tcp_tw_kill(st, tw_at(st, st->tw_head));
	tcp_tw_storage_free(st);
	for (uint32_t i = 0; st->ehash && i <= st->ehash_mask; i++)
		while (st->ehash[i])
			sock_destroy(st, (struct sk_sock *)st->ehash[i]);
	ring_cache_free(st);
	tcp_rq_cache_free(st);
	table_free(st);
	st->cfg.free(st->cfg.alloc_ctx, st, sizeof(*st));
}

uint64_t sk_now(const struct sk_stack *st) { return st->now_ns; }

uint64_t sk_counter(const struct sk_stack *st, enum sk_counter c)
{
	return (unsigned)c < SK_MIB_COUNT ? st->mib[c] : 0;
}

const struct sk_knobs *sk_knobs(const struct sk_stack *st) { return &st->cfg.knobs; }

int sk_stack_knob_set(struct sk_stack *st, const char *name, const char *value)
{
	return sk_knob_set(&st->cfg.knobs, name, value);
}

static void set_time(struct sk_stack *st, uint64_t now_ns)
{
	if (now_ns > st->now_ns)
		st->now_ns = now_ns;
}

void sk_advance(struct sk_stack *st, uint64_t now_ns)
{
	set_time(st, now_ns);
	struct wheel_timer *t;
	st->deadline_ok = false;
	while ((t = wheel_expire(&st->wheel, st->now_ns)) != NULL) {
		if (t == &st->tw_timer) {
			tcp_tw_expire(st);
			continue;
		}
		struct sk_sock *s = (struct sk_sock *)((char *)t - offsetof(struct sk_sock, timer));
		tcp_timer(st, s);
	}
}

uint64_t sk_deadline(const struct sk_stack *st)
{
	/* drivers ask after every event; the cache is the stack's own
	 * bookkeeping, not state a caller can see, hence the cast */
	struct sk_stack *mst = (struct sk_stack *)st;
	if (!st->deadline_ok) {
		mst->deadline_ns = wheel_next(&st->wheel);
		mst->deadline_ok = true;
	}
	return st->deadline_ns == UINT64_MAX ? SK_NEVER : st->deadline_ns;
}

void stack_timer_set(struct sk_stack *st, struct wheel_timer *t, uint64_t deadline_ns)
{
	wheel_set(&st->wheel, t, deadline_ns);
	if (st->deadline_ok && deadline_ns < st->deadline_ns)
		st->deadline_ns = deadline_ns;
}

void stack_emit(struct sk_stack *st, size_t len)
{
	mib_inc(st, SK_MIB_IpOutRequests);
	st->cfg.output(st->cfg.output_ctx, st->pkt, len);
}

void stack_event_state(struct sk_stack *st, struct sk_sock *s, int old_state)
{
	stack_event_node(st, &s->hn, s->fd, old_state);
}

void stack_event_node(struct sk_stack *st, const struct hnode *n, int fd, int old_state)
{
	if (!st->cfg.observe)
		return;
	struct sk_event ev = {
		.kind = SK_EV_STATE, .fd = fd,
		.laddr = n->laddr, .raddr = n->raddr, .lport = n->lport, .rport = n->rport,
		.old_state = old_state, .new_state = n->state,
	};
	st->cfg.observe(st->cfg.observe_ctx, st->now_ns, &ev);
}

void stack_event_drop(struct sk_stack *st, enum sk_counter c,
		      uint32_t saddr, uint16_t sport, uint16_t dport)
{
	mib_inc(st, c);
	if (!st->cfg.observe)
		return;
	struct sk_event ev = {
		.kind = SK_EV_DROP, .fd = -1, .laddr = st->cfg.addr, .raddr = saddr,
		.lport = dport, .rport = sport, .counter = c,
	};
	st->cfg.observe(st->cfg.observe_ctx, st->now_ns, &ev);
}

/* RFC 1122 §3.2.2.6: answer an echo request with the same id, seq and data. */
static void icmp_echo(struct sk_stack *st, const struct ip4_hdr *ip, const struct icmp_msg *m)
{
	if (m->body_len > sizeof(st->pkt) - IP4_HDR_LEN - 8)
		return;
	size_t n = icmp_emit_echo_reply(st->pkt + IP4_HDR_LEN, m);
	struct ip4_hdr h = { .ttl = 64, .proto = IP_PROTO_ICMP, .src = st->cfg.addr, .dst = ip->src };
	ip4_emit(st->pkt, &h, n);
	mib_inc(st, SK_MIB_IcmpOutMsgs);
	mib_inc(st, SK_MIB_IcmpOutEchoReps);
	stack_emit(st, IP4_HDR_LEN + n);
}

static void icmp_input(struct sk_stack *st, const struct ip4_hdr *ip, const uint8_t *p, size_t len)
{
	struct icmp_msg m;
	mib_inc(st, SK_MIB_IcmpInMsgs);
	if (icmp_parse(p, len, &m) != WIRE_OK) {
		mib_inc(st, SK_MIB_IcmpInErrors);
		return;
	}
	if (m.type == ICMP_ECHO) {
		mib_inc(st, SK_MIB_IcmpInEchos);
		icmp_echo(st, ip, &m);
	} else if (m.type == ICMP_DEST_UNREACH) {
		mib_inc(st, SK_MIB_IcmpInDestUnreachs);
		if (m.has_quote && m.q_proto == IP_PROTO_TCP && m.q_src == st->cfg.addr)
			tcp_icmp_error(st, &m);
	}
}

void sk_input(struct sk_stack *st, uint64_t now_ns, const void *packet, size_t len)
{
	set_time(st, now_ns);
	sk_advance(st, st->now_ns); /* timers due by now run first */
	mib_inc(st, SK_MIB_IpInReceives);
	struct ip4_hdr ip;
	enum wire_err e = ip4_parse(packet, len, &ip);
	if (e != WIRE_OK) {
		stack_event_drop(st, e == WIRE_FRAGMENT ? SK_MIB_IpReasmFails : SK_MIB_IpInHdrErrors,
				 0, 0, 0);
		return;
	}
	if (ip.dst != st->cfg.addr) {
		stack_event_drop(st, SK_MIB_IpInAddrErrors, ip.src, 0, 0);
		return;
	}
	if (ip.has_options)
		mib_inc(st, SK_MIB_IpExtInOptions); /* RFC 1122 §3.2.1.8: options ignored */
	const uint8_t *payload = (const uint8_t *)packet + ip.hdr_len;
	size_t plen = ip.total_len - ip.hdr_len;
	mib_inc(st, SK_MIB_IpInDelivers);
	if (ip.proto == IP_PROTO_TCP)
		tcp_input(st, &ip, payload, plen);
	else if (ip.proto == IP_PROTO_ICMP)
		icmp_input(st, &ip, payload, plen);
	else
		stack_event_drop(st, SK_MIB_IpInUnknownProtos, ip.src, 0, 0);
}
