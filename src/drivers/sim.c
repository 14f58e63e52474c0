/* The simulator (contract in include/synack/sim.h): a deterministic
 * discrete-event loop over packet deliveries and the hosts' stack timers.
 *
 * Time only moves when the loop jumps to the next event: the earlier of the
 * first packet in the event heap and the earliest deadline any live stack
 * reports. Ties between packets go by insertion order, so packets sent at
 * the same instant on a path arrive in the order they were sent. A stack
 * timer due at the same instant as a packet runs first, so a stack never
 * receives a packet while it still has overdue timers.
 *
 * Everything random comes from one xoshiro256** generator seeded from the
 * simulation's seed and drawn in a fixed order per packet (see net_send),
 * and only for faults whose probability is non-zero: a faultless path
 * consumes no randomness, so adding one does not perturb other paths.
 *
 * Memory: packet copies live in pooled buffers (size classes, free lists)
 * and events are slots of one growing heap array, so a simulation stops
 * allocating once it has seen its peak number of packets in flight. */
#include <synack/sim.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wire/wire.h"

#define SIM_PKT_MAX 65535u      /* the largest IPv4 packet */
#define SIM_MAX_HOSTS 256       /* paths are a dense matrix: 256^2 of them */
#define SIM_BUF_MIN_SHIFT 6     /* the smallest buffer holds 64 bytes */
#define SIM_BUF_CLASSES 11      /* 64 << 10 = 65536 >= SIM_PKT_MAX */
#define SIM_STUCK_LIMIT 1000000 /* sk_advance calls at one instant before we call it a bug */
#define SIM_STORM_LIMIT 10000000 /* events at one instant: packets bouncing with no delay */
#define SIM_ROUTER (-1)         /* `from` of the packets the simulated router makes */

/* ---- random numbers: xoshiro256** seeded by splitmix64 ---- */

struct sim_rng {
	uint64_t s[4];
};

static uint64_t splitmix64(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static void rng_seed(struct sim_rng *r, uint64_t seed)
{
	for (int i = 0; i < 4; i++)
		r->s[i] = splitmix64(&seed);
}

static uint64_t rotl64(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

static uint64_t rng_next(struct sim_rng *r)
{
	uint64_t *s = r->s;
	uint64_t out = rotl64(s[1] * 5, 7) * 9;
	uint64_t t = s[1] << 17;
	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl64(s[3], 45);
	return out;
}

/* Uniform in [0, n), n > 0, without modulo bias (rejects the short tail). */
static uint64_t rng_below(struct sim_rng *r, uint64_t n)
{
	uint64_t threshold = -n % n;
	for (;;) {
		uint64_t x = rng_next(r);
		if (x >= threshold)
			return x % n;
	}
}

/* Uniform in [0, n], inclusive as jitter is specified. */
static uint64_t rng_upto(struct sim_rng *r, uint64_t n)
{
	return n == UINT64_MAX ? rng_next(r) : rng_below(r, n + 1);
}

/* True with probability p. Draws nothing when p is 0, so the stream only
 * depends on the faults actually configured. */
static int rng_chance(struct sim_rng *r, double p)
{
	if (!(p > 0.0))
		return 0;
	return (double)(rng_next(r) >> 11) * 0x1.0p-53 < p;
}

/* A non-zero seed derived from `a` and `b` without touching the generator,
 * so host seeds do not depend on how many packets were sent before. */
static uint64_t seed_mix(uint64_t a, uint64_t b)
{
	uint64_t x = a ^ (b * 0xd1342543de82ef95ull);
	uint64_t s = splitmix64(&x);
	return s ? s : 1;
}

static uint64_t sat_add(uint64_t a, uint64_t b) { return a > UINT64_MAX - b ? UINT64_MAX : a + b; }

/* ---- structures ---- */

/* A packet copy. `next` links it in a free list or a raw host's queue. */
struct sim_buf {
	struct sim_buf *next;
	uint64_t at_ns;   /* arrival time, kept for sk_sim_take */
	uint32_t len;
	uint32_t cls;     /* capacity is 64 << cls bytes */
	uint8_t data[];
};

/* One scheduled delivery. The heap orders by (t_ns, seq). */
struct sim_ev {
	uint64_t t_ns;
	uint64_t seq;
	struct sim_buf *buf;
	int from, to;
};

/* The path from one host to another: parameters plus the state that keeps
 * it a FIFO queue. */
struct sim_link {
	struct sk_path p;
	uint64_t busy_until_ns;   /* bandwidth: when the last packet finishes serialising */
	uint64_t last_arrival_ns; /* jitter: no packet arrives before this one */
};

struct sim_host {
	struct sk_sim *sim;
	int id;
	char *name;
	uint32_t addr;
	int raw;
	int crashed;
	uint32_t boots;
	uint64_t base_seed;        /* boot 0's seed; later boots derive from it */
	struct sk_config cfg;      /* as given, output and observe pointing at us */
	sk_observe_fn user_observe;
	void *user_observe_ctx;
	struct sk_stack *st;       /* NULL for raw or crashed hosts */
	struct sim_buf *rx_head, *rx_tail; /* raw: delivered packets, oldest first */
};

struct sk_sim {
	uint64_t now_ns;
	uint64_t seed;
	uint64_t next_seq;
	uint16_t icmp_ip_id;
	int in_callback;           /* > 0 while a tap, observer or stack call runs */
	struct sim_rng rng;

	struct sim_host **hosts;
	int drop_current; /* set by sk_sim_drop during a SENT tap */
	int nhosts, host_cap;
	struct sim_link *links;    /* host_cap x host_cap, [from * host_cap + to] */

	struct sim_ev *heap;
	size_t heap_len, heap_cap;
	struct sim_buf *free_bufs[SIM_BUF_CLASSES];

	sk_sim_tap_fn tap;
	void *tap_ctx;
	sk_sim_observe_fn observe;
	void *observe_ctx;
};

/* Calls that free or move hosts or run the loop would pull memory from
 * under the stack call or loop step in progress. */
static void forbid_in_callback(const struct sk_sim *sim, const char *fn)
{
	if (sim->in_callback) {
		fprintf(stderr, "sk_sim: %s called from inside a tap, observer or stack call\n", fn);
		abort();
	}
}

static struct sim_host *host_at(const struct sk_sim *sim, int host)
{
	return host >= 0 && host < sim->nhosts ? sim->hosts[host] : NULL;
}

static struct sim_link *link_at(const struct sk_sim *sim, int from, int to)
{
	return &sim->links[(size_t)from * (size_t)sim->host_cap + (size_t)to];
}

/* The host owning `addr`, or -1. A scan: simulations have a handful of
 * hosts, and this costs less than a table kept in sync. */
static int route(const struct sk_sim *sim, uint32_t addr)
{
	for (int i = 0; i < sim->nhosts; i++)
		if (sim->hosts[i]->addr == addr)
			return i;
	return -1;
}

/* ---- packet buffers ---- */

static unsigned buf_class(size_t len)
{
	unsigned c = 0;
	while (((size_t)1 << (c + SIM_BUF_MIN_SHIFT)) < len)
		c++;
	return c;
}

/* A pooled copy of `pkt`, or NULL when memory runs out. len <= SIM_PKT_MAX. */
static struct sim_buf *buf_get(struct sk_sim *sim, const uint8_t *pkt, size_t len)
{
	unsigned c = buf_class(len);
	struct sim_buf *b = sim->free_bufs[c];
	if (b) {
		sim->free_bufs[c] = b->next;
	} else {
		b = malloc(sizeof *b + ((size_t)1 << (c + SIM_BUF_MIN_SHIFT)));
		if (!b)
			return NULL;
		b->cls = c;
	}
	b->next = NULL;
	b->at_ns = 0;
	b->len = (uint32_t)len;
	memcpy(b->data, pkt, len);
	return b;
}

static void buf_put(struct sk_sim *sim, struct sim_buf *b)
{
	b->next = sim->free_bufs[b->cls];
	sim->free_bufs[b->cls] = b;
}

static void buf_list_free(struct sim_buf *b)
{
	while (b) {
		struct sim_buf *next = b->next;
		free(b);
		b = next;
	}
}

/* ---- the event heap ---- */

static int ev_before(const struct sim_ev *a, const struct sim_ev *b)
{
	return a->t_ns < b->t_ns || (a->t_ns == b->t_ns && a->seq < b->seq);
}

static int heap_push(struct sk_sim *sim, uint64_t t_ns, int from, int to, struct sim_buf *buf)
{
	if (sim->heap_len == sim->heap_cap) {
		size_t cap = sim->heap_cap ? sim->heap_cap * 2 : 64;
		struct sim_ev *heap = realloc(sim->heap, cap * sizeof *heap);
		if (!heap)
			return -ENOMEM;
		sim->heap = heap;
		sim->heap_cap = cap;
	}
	struct sim_ev ev = { .t_ns = t_ns, .seq = sim->next_seq++, .buf = buf, .from = from, .to = to };
	size_t i = sim->heap_len++;
	while (i > 0 && ev_before(&ev, &sim->heap[(i - 1) / 2])) {
		sim->heap[i] = sim->heap[(i - 1) / 2];
		i = (i - 1) / 2;
	}
	sim->heap[i] = ev;
	return 0;
}

static struct sim_ev heap_pop(struct sk_sim *sim)
{
	struct sim_ev top = sim->heap[0];
	struct sim_ev last = sim->heap[--sim->heap_len];
	size_t n = sim->heap_len, i = 0;
	for (;;) {
		size_t c = 2 * i + 1;
		if (c >= n)
			break;
		if (c + 1 < n && ev_before(&sim->heap[c + 1], &sim->heap[c]))
			c++;
		if (!ev_before(&sim->heap[c], &last))
			break;
		sim->heap[i] = sim->heap[c];
		i = c;
	}
	if (n > 0)
		sim->heap[i] = last;
	return top;
}

/* ---- ICMP destination unreachable from the simulated router ---- */

/* RFC 1071 Internet checksum of [p, p + len), as the 16-bit field value.
 * Local so the simulator builds without the wire layer's objects. */
static uint16_t inet_csum(const uint8_t *p, size_t len)
{
	uint32_t sum = 0;
	for (size_t i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* How much of the lost packet an ICMP error quotes (its IP header and 8
 * bytes, RFC 792), or 0 when no error may be sent about it: RFC 1812
 * §4.3.2.7 forbids errors about ICMP errors, non-initial fragments and
 * packets whose source names no single host. */
static size_t icmp_quote_len(const uint8_t *pkt, size_t len)
{
	size_t ihl = (size_t)(pkt[0] & 0x0f) * 4;
	if ((pkt[0] >> 4) != 4 || ihl < IP4_HDR_LEN || ihl > len)
		return 0;
	if (get_be16(pkt + 6) & 0x1fff)
		return 0;
	uint32_t src = get_be32(pkt + 12);
	if (src == 0 || src >= SK_IP(224, 0, 0, 0))
		return 0;
	if (pkt[9] == IP_PROTO_ICMP) {
		if (len <= ihl)
			return 0;
		/* unreachable, source quench, redirect, time exceeded, parameter problem */
		uint8_t type = pkt[ihl];
		if (type == 3 || type == 4 || type == 5 || type == 11 || type == 12)
			return 0;
	}
	return len < ihl + 8 ? len : ihl + 8;
}

/* Writes the router's error about `pkt` into out (room for 20 + 8 + 68
 * bytes) and returns its length. The IP header is what Linux's icmp_send
 * puts on one: TOS 0xc0 (internetwork control), TTL 64, no DF. */
static size_t icmp_unreach_build(uint8_t *out, const struct sk_path *p, uint16_t ip_id,
				 const uint8_t *pkt, size_t quote_len)
{
	size_t total = IP4_HDR_LEN + 8 + quote_len;
	uint8_t code = (uint8_t)(p->unreach_code_plus1 - 1);
	memset(out, 0, IP4_HDR_LEN + 8);
	out[0] = 0x45;
	out[1] = 0xc0;
	put_be16(out + 2, (uint16_t)total);
	put_be16(out + 4, ip_id);
	out[8] = 64;
	out[9] = IP_PROTO_ICMP;
	put_be32(out + 12, p->router_addr);
	memcpy(out + 16, pkt + 12, 4);
	put_be16(out + 10, inet_csum(out, IP4_HDR_LEN));

	uint8_t *icmp = out + IP4_HDR_LEN;
	icmp[0] = ICMP_DEST_UNREACH;
	icmp[1] = code;
	if (code == ICMP_FRAG_NEEDED)
		put_be16(icmp + 6, p->mtu); /* RFC 1191 next-hop MTU */
	memcpy(icmp + 8, pkt, quote_len);
	put_be16(icmp + 2, inet_csum(icmp, 8 + quote_len));
	return total;
}

/* ---- the network: taps, paths, faults ---- */

static void tap(struct sk_sim *sim, enum sk_sim_what what, int from, int to,
		const uint8_t *pkt, size_t len)
{
	if (!sim->tap)
		return;
	sim->in_callback++;
	sim->tap(sim->tap_ctx, sim->now_ns, from, to, what, pkt, len);
	sim->in_callback--;
}

/* Schedules the delivery of `b` (NULL when copying it failed). On failure
 * the buffer goes back to the pool and the caller reports the loss. */
static int schedule(struct sk_sim *sim, uint64_t at_ns, int from, int to,
		    struct sim_buf *b)
{
	if (b && heap_push(sim, at_ns, from, to, b) == 0)
		return 0;
	if (b)
		buf_put(sim, b);
	return -ENOMEM;
}

static uint64_t serialisation_ns(size_t len, uint64_t bandwidth_bps)
{
	uint64_t bits_ns = (uint64_t)len * 8 * SK_NS_PER_S;
	return bits_ns / bandwidth_bps + (bits_ns % bandwidth_bps != 0);
}

/* When a packet of `len` bytes put on link `l` now arrives.
 * Bandwidth: the link serialises one packet at a time, FIFO; a packet
 * leaves at max(now, busy_until) + len * 8e9 / bw ns (rounded up).
 * Jitter: a uniform extra delay, but a packet never overtakes the one
 * before it on the same path, as on a real link (a queue). Linux netem's
 * jitter does reorder; here reordering is its own explicit knob.
 * Reorder: the packet is held back reorder_ns past its place in the queue,
 * and packets sent after it may pass it. */
static uint64_t link_arrival(struct sk_sim *sim, struct sim_link *l, size_t len)
{
	uint64_t depart_ns = sim->now_ns;
	if (l->p.bandwidth_bps) {
		if (l->busy_until_ns > depart_ns)
			depart_ns = l->busy_until_ns;
		depart_ns = sat_add(depart_ns, serialisation_ns(len, l->p.bandwidth_bps));
		l->busy_until_ns = depart_ns;
	}
	uint64_t at_ns = sat_add(depart_ns, l->p.delay_ns);
	if (l->p.jitter_ns)
		at_ns = sat_add(at_ns, rng_upto(&sim->rng, l->p.jitter_ns));
	if (at_ns < l->last_arrival_ns)
		at_ns = l->last_arrival_ns;
	if (rng_chance(&sim->rng, l->p.reorder))
		return sat_add(at_ns, l->p.reorder_ns);
	l->last_arrival_ns = at_ns;
	return at_ns;
}

/* Flips one random bit of `b` with the path's probability. */
static void maybe_corrupt(struct sk_sim *sim, const struct sim_link *l, int from, int to,
			  struct sim_buf *b)
{
	if (!rng_chance(&sim->rng, l->p.corrupt))
		return;
	uint64_t bit = rng_below(&sim->rng, (uint64_t)b->len * 8);
	b->data[bit / 8] ^= (uint8_t)(1u << (bit % 8));
	tap(sim, SK_SIM_CORRUPTED, from, to, b->data, b->len);
}

/* The router on a downed path answers at once; its error takes the path's
 * delay_ns to reach the sender, free of faults, and goes to the lost
 * packet's source address (which may not be the sending host's). */
static void router_unreach(struct sk_sim *sim, const struct sim_link *l,
			   const uint8_t *pkt, size_t len)
{
	uint8_t msg[IP4_HDR_LEN + 8 + 60 + 8];
	size_t quote_len = icmp_quote_len(pkt, len);
	if (quote_len == 0)
		return;
	size_t msg_len = icmp_unreach_build(msg, &l->p, sim->icmp_ip_id++, pkt, quote_len);
	int to = route(sim, get_be32(msg + 16));
	tap(sim, SK_SIM_SENT, SIM_ROUTER, to, msg, msg_len);
	if (to < 0 || schedule(sim, sat_add(sim->now_ns, l->p.delay_ns), SIM_ROUTER, to,
			       buf_get(sim, msg, msg_len)) != 0)
		tap(sim, SK_SIM_LOST, SIM_ROUTER, to, msg, msg_len);
}

/* Puts a packet that host `from` emits now on the network. Checks in this
 * order: malformed (shorter than an IP header) or no host owns the
 * destination; MTU; partition (with the router's ICMP error); then the
 * random draws, always in this order and only for non-zero knobs: loss,
 * duplication, jitter, reorder, corruption of the packet, corruption of
 * its duplicate. A lost packet takes no bandwidth, like netem's loss. The
 * duplicate arrives right after the original. Returns 0, or -ENOMEM when
 * a copy could not be made (that copy is reported LOST). */
static int net_send(struct sk_sim *sim, int from, const uint8_t *pkt, size_t len)
{
	int ok = len >= IP4_HDR_LEN && len <= SIM_PKT_MAX;
	int to = ok ? route(sim, get_be32(pkt + 16)) : -1;
	sim->drop_current = 0;
	tap(sim, SK_SIM_SENT, from, to, pkt, len);
	if (sim->drop_current) { /* the tap chose to lose it */
		tap(sim, SK_SIM_LOST, from, to, pkt, len);
		return 0;
	}
	struct sim_link *l = to >= 0 ? link_at(sim, from, to) : NULL;
	if (!l || (l->p.mtu && len > l->p.mtu) || l->p.down) {
		tap(sim, SK_SIM_LOST, from, to, pkt, len);
		if (l && l->p.down && l->p.unreach_code_plus1)
			router_unreach(sim, l, pkt, len);
		return 0;
	}
	if (rng_chance(&sim->rng, l->p.loss)) {
		tap(sim, SK_SIM_LOST, from, to, pkt, len);
		return 0;
	}
	int copies = 1 + rng_chance(&sim->rng, l->p.dup);
	uint64_t at_ns = link_arrival(sim, l, len);
	int err = 0;
	for (int i = 0; i < copies; i++) {
		struct sim_buf *b = buf_get(sim, pkt, len);
		if (b && i == 1)
			tap(sim, SK_SIM_DUPLICATED, from, to, b->data, b->len);
		if (b)
			maybe_corrupt(sim, l, from, to, b);
		if (schedule(sim, at_ns, from, to, b) != 0) {
			tap(sim, SK_SIM_LOST, from, to, pkt, len);
			err = -ENOMEM;
		}
	}
	return err;
}

/* ---- hosts ---- */

/* The stacks' output: a crashed host (or one being created or freed) is
 * silent. */
static void host_output(void *ctx, const uint8_t *pkt, size_t len)
{
	struct sim_host *h = ctx;
	if (!h->crashed)
		net_send(h->sim, h->id, pkt, len);
}

static void host_observe(void *ctx, uint64_t now_ns, const struct sk_event *ev)
{
	struct sim_host *h = ctx;
	struct sk_sim *sim = h->sim;
	sim->in_callback++;
	if (h->user_observe)
		h->user_observe(h->user_observe_ctx, now_ns, ev);
	if (sim->observe)
		sim->observe(sim->observe_ctx, now_ns, h->id, ev);
	sim->in_callback--;
}

/* Boots a stack host's stack at the current time with the seed of its
 * boot count. The host stays crashed (silent) until the stack exists, so
 * a stack that spoke while being created would not reach the network. */
static int host_boot(struct sk_sim *sim, struct sim_host *h)
{
	h->cfg.seed = h->boots ? seed_mix(h->base_seed, h->boots) : h->base_seed;
	sim->in_callback++;
	h->st = sk_stack_new(&h->cfg, sim->now_ns);
	sim->in_callback--;
	if (!h->st)
		return -ENOMEM;
	h->crashed = 0;
	return 0;
}

/* Crashes a host: silent from now on, its state gone. */
static void host_down(struct sk_sim *sim, struct sim_host *h)
{
	h->crashed = 1;
	if (h->st) {
		sim->in_callback++;
		sk_stack_free(h->st);
		sim->in_callback--;
		h->st = NULL;
	}
	while (h->rx_head) {
		struct sim_buf *b = h->rx_head;
		h->rx_head = b->next;
		buf_put(sim, b);
	}
	h->rx_tail = NULL;
}

/* Room for one more host: the host array and the path matrix grow
 * together (paths are indexed by host_cap). */
static int hosts_grow(struct sk_sim *sim)
{
	if (sim->nhosts < sim->host_cap)
		return 0;
	if (sim->host_cap >= SIM_MAX_HOSTS)
		return -ENOMEM;
	int cap = sim->host_cap ? sim->host_cap * 2 : 4;
	struct sim_host **hosts = realloc(sim->hosts, (size_t)cap * sizeof *hosts);
	if (!hosts)
		return -ENOMEM;
	sim->hosts = hosts;
	struct sim_link *links = calloc((size_t)cap * (size_t)cap, sizeof *links);
	if (!links)
		return -ENOMEM;
	for (int a = 0; a < sim->nhosts; a++)
		for (int b = 0; b < sim->nhosts; b++)
			links[(size_t)a * (size_t)cap + (size_t)b] = *link_at(sim, a, b);
	free(sim->links);
	sim->links = links;
	sim->host_cap = cap;
	return 0;
}

/* A host record named `name` (or "hostN") owning `addr`, not yet listed. */
static int host_new(struct sk_sim *sim, const char *name, uint32_t addr, struct sim_host **out)
{
	if (addr == 0)
		return -EINVAL;
	if (route(sim, addr) >= 0)
		return -EEXIST;
	if (hosts_grow(sim) != 0)
		return -ENOMEM;
	char fallback[24];
	if (!name) {
		snprintf(fallback, sizeof fallback, "host%d", sim->nhosts);
		name = fallback;
	}
	struct sim_host *h = calloc(1, sizeof *h);
	char *copy = malloc(strlen(name) + 1);
	if (!h || !copy) {
		free(h);
		free(copy);
		return -ENOMEM;
	}
	h->name = strcpy(copy, name);
	h->sim = sim;
	h->id = sim->nhosts;
	h->addr = addr;
	*out = h;
	return 0;
}

static void host_free(struct sim_host *h)
{
	free(h->name);
	free(h);
}

int sk_sim_add_raw(struct sk_sim *sim, const char *name, uint32_t addr)
{
	forbid_in_callback(sim, "sk_sim_add_raw");
	struct sim_host *h;
	int err = host_new(sim, name, addr, &h);
	if (err)
		return err;
	h->raw = 1;
	sim->hosts[sim->nhosts++] = h;
	return h->id;
}

int sk_sim_add_host(struct sk_sim *sim, const char *name, const struct sk_config *cfg)
{
	forbid_in_callback(sim, "sk_sim_add_host");
	if (!cfg || cfg->mtu < 68)
		return -EINVAL;
	struct sim_host *h;
	int err = host_new(sim, name, cfg->addr, &h);
	if (err)
		return err;
	h->cfg = *cfg;
	h->user_observe = cfg->observe;
	h->user_observe_ctx = cfg->observe_ctx;
	h->cfg.output = host_output;
	h->cfg.output_ctx = h;
	h->cfg.observe = host_observe;
	h->cfg.observe_ctx = h;
	h->base_seed = cfg->seed ? cfg->seed : seed_mix(sim->seed, (uint64_t)h->id + 1);
	h->crashed = 1;
	/* Listed before booting so every host number a stack can see is valid. */
	sim->hosts[sim->nhosts++] = h;
	err = host_boot(sim, h);
	if (err) {
		sim->nhosts--;
		host_free(h);
		return err;
	}
	return h->id;
}

const char *sk_sim_name(const struct sk_sim *sim, int host)
{
	const struct sim_host *h = host_at(sim, host);
	return h ? h->name : NULL;
}

uint32_t sk_sim_addr(const struct sk_sim *sim, int host)
{
	const struct sim_host *h = host_at(sim, host);
	return h ? h->addr : 0;
}

struct sk_stack *sk_sim_stack(struct sk_sim *sim, int host)
{
	struct sim_host *h = host_at(sim, host);
	return h ? h->st : NULL;
}

int sk_sim_crash(struct sk_sim *sim, int host)
{
	forbid_in_callback(sim, "sk_sim_crash");
	struct sim_host *h = host_at(sim, host);
	if (!h)
		return -EINVAL;
	host_down(sim, h);
	return 0;
}

int sk_sim_reboot(struct sk_sim *sim, int host)
{
	forbid_in_callback(sim, "sk_sim_reboot");
	struct sim_host *h = host_at(sim, host);
	if (!h)
		return -EINVAL;
	host_down(sim, h);
	h->boots++;
	if (h->raw) {
		h->crashed = 0;
		return 0;
	}
	return host_boot(sim, h);
}

/* ---- the simulation ---- */

struct sk_sim *sk_sim_new(uint64_t seed)
{
	struct sk_sim *sim = calloc(1, sizeof *sim);
	if (!sim)
		return NULL;
	sim->seed = seed;
	rng_seed(&sim->rng, seed);
	return sim;
}

void sk_sim_free(struct sk_sim *sim)
{
	if (!sim)
		return;
	forbid_in_callback(sim, "sk_sim_free");
	for (int i = 0; i < sim->nhosts; i++) {
		host_down(sim, sim->hosts[i]);
		host_free(sim->hosts[i]);
	}
	for (size_t i = 0; i < sim->heap_len; i++)
		free(sim->heap[i].buf);
	for (int c = 0; c < SIM_BUF_CLASSES; c++)
		buf_list_free(sim->free_bufs[c]);
	free(sim->heap);
	free(sim->links);
	free(sim->hosts);
	free(sim);
}

/* ---- paths ---- */

static int prob_ok(double p) { return p >= 0.0 && p <= 1.0; } /* false for NaN */

static int path_ok(const struct sk_path *p)
{
	return p && prob_ok(p->loss) && prob_ok(p->dup) && prob_ok(p->reorder) &&
	       prob_ok(p->corrupt) && (p->mtu == 0 || p->mtu >= IP4_HDR_LEN) &&
	       p->unreach_code_plus1 >= 0 && p->unreach_code_plus1 <= 16;
}

/* Replaces the parameters only: the queue state (busy_until, last arrival)
 * stays, so packets already on the path keep their order. */
int sk_sim_set_path(struct sk_sim *sim, int a, int b, const struct sk_path *p)
{
	if (!host_at(sim, a) || !host_at(sim, b) || !path_ok(p))
		return -EINVAL;
	link_at(sim, a, b)->p = *p;
	link_at(sim, a, b)->p.down = p->down != 0;
	return 0;
}

int sk_sim_set_link(struct sk_sim *sim, int a, int b, const struct sk_path *p)
{
	int err = sk_sim_set_path(sim, a, b, p);
	return err ? err : sk_sim_set_path(sim, b, a, p);
}

int sk_sim_get_path(const struct sk_sim *sim, int a, int b, struct sk_path *p)
{
	if (!host_at(sim, a) || !host_at(sim, b) || !p)
		return -EINVAL;
	*p = link_at(sim, a, b)->p;
	return 0;
}

int sk_sim_partition(struct sk_sim *sim, int a, int b, int down)
{
	if (!host_at(sim, a) || !host_at(sim, b))
		return -EINVAL;
	link_at(sim, a, b)->p.down = down != 0;
	link_at(sim, b, a)->p.down = down != 0;
	return 0;
}

/* ---- packets in and out of raw hosts ---- */

int sk_sim_send(struct sk_sim *sim, int from, const void *pkt, size_t len)
{
	struct sim_host *h = host_at(sim, from);
	if (!h || !pkt || len == 0 || len > SIM_PKT_MAX)
		return -EINVAL;
	if (h->crashed)
		return -EHOSTDOWN;
	return net_send(sim, from, pkt, len);
}

size_t sk_sim_take(struct sk_sim *sim, int host, void *buf, size_t cap, uint64_t *at_ns)
{
	struct sim_host *h = host_at(sim, host);
	if (!h || !h->rx_head)
		return 0;
	struct sim_buf *b = h->rx_head;
	h->rx_head = b->next;
	if (!h->rx_head)
		h->rx_tail = NULL;
	size_t len = b->len;
	if (buf && cap)
		memcpy(buf, b->data, len < cap ? len : cap);
	if (at_ns)
		*at_ns = b->at_ns;
	buf_put(sim, b);
	return len;
}

void sk_sim_drop(struct sk_sim *sim)
{
	sim->drop_current = 1;
}

int sk_sim_pending(const struct sk_sim *sim, int host)
{
	const struct sim_host *h = host >= 0 && host < sim->nhosts ? sim->hosts[host] : NULL;
	int n = 0;
	for (const struct sim_buf *b = h ? h->rx_head : NULL; b; b = b->next)
		n++;
	return n;
}

void sk_sim_set_tap(struct sk_sim *sim, sk_sim_tap_fn fn, void *ctx)
{
	sim->tap = fn;
	sim->tap_ctx = fn ? ctx : NULL;
}

void sk_sim_set_observer(struct sk_sim *sim, sk_sim_observe_fn fn, void *ctx)
{
	sim->observe = fn;
	sim->observe_ctx = fn ? ctx : NULL;
}

/* ---- the event loop ---- */

uint64_t sk_sim_now(const struct sk_sim *sim) { return sim->now_ns; }

/* The live stack host with the earliest deadline (-1 if none) and that
 * deadline. A scan over all hosts at every step: a simulation has a
 * handful (2-10; a flood test has one raw flooder and one stack), and a
 * deadline heap would have to be refreshed after every stack call anyway,
 * since any call may move a stack's deadline. */
static int earliest_host(const struct sk_sim *sim, uint64_t *deadline_ns)
{
	int best = -1;
	*deadline_ns = SK_NEVER;
	for (int i = 0; i < sim->nhosts; i++) {
		const struct sim_host *h = sim->hosts[i];
		if (!h->st)
			continue;
		uint64_t t = sk_deadline(h->st);
		if (t < *deadline_ns) {
			*deadline_ns = t;
			best = i;
		}
	}
	return best;
}

uint64_t sk_sim_next_event(const struct sk_sim *sim)
{
	uint64_t t_ns;
	earliest_host(sim, &t_ns);
	if (sim->heap_len && sim->heap[0].t_ns < t_ns)
		t_ns = sim->heap[0].t_ns;
	/* A deadline reported in the past is due now. */
	return t_ns < sim->now_ns ? sim->now_ns : t_ns;
}

static void deliver(struct sk_sim *sim, const struct sim_ev *ev)
{
	struct sim_host *h = sim->hosts[ev->to];
	struct sim_buf *b = ev->buf;
	if (h->crashed) {
		tap(sim, SK_SIM_LOST, ev->from, ev->to, b->data, b->len);
		buf_put(sim, b);
		return;
	}
	tap(sim, SK_SIM_DELIVERED, ev->from, ev->to, b->data, b->len);
	if (h->raw) {
		b->at_ns = sim->now_ns;
		if (h->rx_tail)
			h->rx_tail->next = b;
		else
			h->rx_head = b;
		h->rx_tail = b;
		return;
	}
	sim->in_callback++;
	sk_input(h->st, sim->now_ns, b->data, b->len);
	sim->in_callback--;
	buf_put(sim, b);
}

static void advance_host(struct sk_sim *sim, struct sim_host *h, uint64_t t_ns)
{
	sim->in_callback++;
	sk_advance(h->st, t_ns);
	sim->in_callback--;
}

/* A stack whose sk_deadline stays <= now after sk_advance(now), or packets
 * bouncing forever on zero-delay paths, would spin at one instant for
 * ever. Say so instead of hanging. */
static void die_stuck(const struct sk_sim *sim, int host, uint64_t deadline_ns)
{
	if (host >= 0)
		fprintf(stderr,
			"sk_sim: host %d (%s) is stuck at %" PRIu64 " ns: after %d sk_advance "
			"calls at that instant its sk_deadline still says %" PRIu64 " ns "
			"(<= now). A stack bug: sk_advance(now) must run every timer due by "
			"now and then report a later deadline.\n",
			host, sim->hosts[host]->name, sim->now_ns, SIM_STUCK_LIMIT, deadline_ns);
	else
		fprintf(stderr,
			"sk_sim: %d events at %" PRIu64 " ns without time moving: packets "
			"bouncing between hosts on zero-delay paths?\n",
			SIM_STORM_LIMIT, sim->now_ns);
	abort();
}

/* Runs events until the next one is after t_ns. Each step takes the
 * earlier of the first packet and the earliest stack deadline; a deadline
 * is only a lower bound, so the stack is advanced and asked again. */
static void run_events(struct sk_sim *sim, uint64_t t_ns)
{
	long advances = 0, events = 0; /* at the current instant */
	for (;;) {
		uint64_t host_ns;
		int host = earliest_host(sim, &host_ns);
		uint64_t pkt_ns = sim->heap_len ? sim->heap[0].t_ns : SK_NEVER;
		uint64_t next_ns = host_ns <= pkt_ns ? host_ns : pkt_ns;
		if (next_ns == SK_NEVER || next_ns > t_ns)
			return;
		if (next_ns > sim->now_ns) {
			sim->now_ns = next_ns;
			advances = events = 0;
		}
		if (++events > SIM_STORM_LIMIT)
			die_stuck(sim, -1, next_ns);
		if (host >= 0 && host_ns <= pkt_ns) {
			if (++advances > SIM_STUCK_LIMIT)
				die_stuck(sim, host, host_ns);
			advance_host(sim, sim->hosts[host], sim->now_ns);
		} else {
			struct sim_ev ev = heap_pop(sim);
			deliver(sim, &ev);
		}
	}
}

void sk_sim_run_until(struct sk_sim *sim, uint64_t t_ns)
{
	forbid_in_callback(sim, "sk_sim_run_until");
	if (t_ns < sim->now_ns)
		t_ns = sim->now_ns;
	/* Leaving every stack at t_ns may make one emit (a stack whose deadline
	 * under-reported nothing due, or sent with no delay): go round again
	 * until nothing is left at or before t_ns. */
	uint64_t next_ns;
	do {
		run_events(sim, t_ns);
		sim->now_ns = t_ns;
		for (int i = 0; i < sim->nhosts; i++)
			if (sim->hosts[i]->st)
				advance_host(sim, sim->hosts[i], t_ns);
		next_ns = sk_sim_next_event(sim);
	} while (next_ns != SK_NEVER && next_ns <= t_ns);
}

void sk_sim_run_for(struct sk_sim *sim, uint64_t d_ns)
{
	sk_sim_run_until(sim, sat_add(sim->now_ns, d_ns));
}
