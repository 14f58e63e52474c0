/* The TAP driver: Ethernet and ARP in front of a stack (struct sk_link),
 * and a Linux TAP device with its event loop (struct sk_tap). See tap.h
 * for the contract. The link does no I/O and reads no clock; the device
 * part is the only code here that talks to the kernel. */
#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "synack/pcap.h"
#include "synack/tap.h"
#include "wire/wire.h"

#define ETH_P_IPV4 0x0800
#define ETH_P_ARP 0x0806
#define ARP_LEN 28
#define ARP_REQUEST 1
#define ARP_REPLY 2
#define PENDING_MAX 64  /* ICMP errors and looped-back packets awaiting delivery */

static const uint8_t bcast_mac[SK_ETH_ALEN] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

struct neigh {
	uint32_t addr;
	uint8_t mac[SK_ETH_ALEN];
	uint8_t state;          /* enum sk_nud */
	uint8_t probes;         /* requests sent in this state */
	uint64_t confirmed_ns;  /* last proof that the neighbour answers */
	uint64_t entered_ns;    /* when this state began */
	uint64_t used_ns;       /* last packet sent through it (eviction order) */
	uint64_t timer_ns;      /* next action, or 0 */
	int nq;                 /* packets queued while INCOMPLETE, oldest first */
	uint8_t *q[SK_ARP_QUEUE];
	uint16_t qlen[SK_ARP_QUEUE];
};

/* A packet for the stack that cannot be delivered where it was made:
 * sk_link_output runs inside the stack, which must not be re-entered. */
struct pending {
	struct pending *next;
	size_t len;
	uint8_t pkt[];
};

struct sk_link {
	struct sk_link_config cfg;
	uint32_t mask;
	uint64_t rng;
	uint64_t mib[SK_LINK_COUNT];
	struct neigh neigh[SK_ARP_ENTRIES];
	struct pending *pend_head, **pend_tail;
	int pend_count;
	uint8_t frame[SK_ETH_HLEN + 65536];
};

static const char *const link_counter_names[] = {
#define SK_LINK_COUNTER_NAME(n) #n,
	SK_LINK_COUNTERS(SK_LINK_COUNTER_NAME)
#undef SK_LINK_COUNTER_NAME
};

const char *sk_link_counter_name(enum sk_link_counter c)
{
	return (unsigned)c < SK_LINK_COUNT ? link_counter_names[c] : "?";
}

const char *sk_nud_name(enum sk_nud s)
{
	static const char *const names[] = { "NONE", "INCOMPLETE", "REACHABLE", "STALE",
					     "DELAY", "PROBE", "FAILED" };
	return (unsigned)s < sizeof(names) / sizeof(names[0]) ? names[s] : "?";
}

uint64_t sk_link_counter(const struct sk_link *l, enum sk_link_counter c)
{
	return (unsigned)c < SK_LINK_COUNT ? l->mib[c] : 0;
}

static uint64_t splitmix64(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

void sk_link_mac_from_seed(uint64_t seed, uint8_t mac[SK_ETH_ALEN])
{
	uint64_t x = seed ^ 0x7461702d6d6163ull; /* not the stack's own key stream */
	uint64_t r = splitmix64(&x);
	for (int i = 0; i < SK_ETH_ALEN; i++)
		mac[i] = (uint8_t)(r >> (8 * i));
	mac[0] = (uint8_t)((mac[0] & 0xfe) | 0x02); /* unicast, locally administered */
}

static double rng_unit(struct sk_link *l)
{
	return (double)(splitmix64(&l->rng) >> 11) / (double)(1ull << 53);
}

static bool inject_loss(struct sk_link *l)
{
	return l->cfg.loss > 0 && rng_unit(l) < l->cfg.loss;
}

struct sk_link *sk_link_new(const struct sk_link_config *cfg)
{
	if (!cfg || !cfg->send_frame || !cfg->deliver || cfg->prefix_len < 0 ||
	    cfg->prefix_len > 32 || cfg->mtu < 68)
		return NULL;
	struct sk_link *l = calloc(1, sizeof(*l));
	if (!l)
		return NULL;
	l->cfg = *cfg;
	l->mask = cfg->prefix_len ? ~0u << (32 - cfg->prefix_len) : 0;
	l->rng = cfg->seed ^ 0x6c696e6bull;
	l->pend_tail = &l->pend_head;
	return l;
}

static void neigh_clear_queue(struct neigh *n)
{
	for (int i = 0; i < n->nq; i++)
		free(n->q[i]);
	n->nq = 0;
}

void sk_link_free(struct sk_link *l)
{
	if (!l)
		return;
	for (int i = 0; i < SK_ARP_ENTRIES; i++)
		neigh_clear_queue(&l->neigh[i]);
	while (l->pend_head) {
		struct pending *p = l->pend_head;
		l->pend_head = p->next;
		free(p);
	}
	free(l);
}

/* ---- sending frames ---- */

static void send_frame(struct sk_link *l, const uint8_t dst[SK_ETH_ALEN], uint16_t type,
		       const uint8_t *payload, size_t len)
{
	if (len > (size_t)l->cfg.mtu) {
		l->mib[SK_LINK_tx_errors]++; /* the stack never builds these */
		return;
	}
	uint8_t *f = l->frame;
	memcpy(f, dst, SK_ETH_ALEN);
	memcpy(f + 6, l->cfg.mac, SK_ETH_ALEN);
	put_be16(f + 12, type);
	memcpy(f + SK_ETH_HLEN, payload, len);
	if (inject_loss(l)) {
		l->mib[SK_LINK_tx_loss_injected]++;
		return;
	}
	l->mib[SK_LINK_tx_frames]++;
	l->mib[SK_LINK_tx_bytes] += SK_ETH_HLEN + len;
	l->cfg.send_frame(l->cfg.ctx, f, SK_ETH_HLEN + len);
}

/* RFC 826: one ARP message. A request goes to `eth_dst` (broadcast, or
 * the neighbour itself when probing a stale entry as Linux does). */
static void send_arp(struct sk_link *l, int op, const uint8_t eth_dst[SK_ETH_ALEN],
		     const uint8_t tha[SK_ETH_ALEN], uint32_t tpa)
{
	uint8_t a[ARP_LEN];
	put_be16(a, 1);            /* Ethernet */
	put_be16(a + 2, ETH_P_IPV4);
	a[4] = SK_ETH_ALEN;
	a[5] = 4;
	put_be16(a + 6, (uint16_t)op);
	memcpy(a + 8, l->cfg.mac, SK_ETH_ALEN);
	put_be32(a + 14, l->cfg.addr);
	memcpy(a + 18, tha, SK_ETH_ALEN);
	put_be32(a + 24, tpa);
	l->mib[op == ARP_REQUEST ? SK_LINK_arp_sent_requests : SK_LINK_arp_sent_replies]++;
	send_frame(l, eth_dst, ETH_P_ARP, a, sizeof(a));
}

static void send_request(struct sk_link *l, const struct neigh *n, bool unicast)
{
	static const uint8_t zero[SK_ETH_ALEN];
	send_arp(l, ARP_REQUEST, unicast ? n->mac : bcast_mac, zero, n->addr);
}

void sk_link_announce(struct sk_link *l)
{
	static const uint8_t zero[SK_ETH_ALEN];
	send_arp(l, ARP_REQUEST, bcast_mac, zero, l->cfg.addr);
}

/* ---- packets for the stack made here (ICMP errors, loopback) ---- */

static void pending_add(struct sk_link *l, const uint8_t *pkt, size_t len)
{
	if (l->pend_count >= PENDING_MAX)
		return; /* a burst of errors: the stack learns from the first ones */
	struct pending *p = malloc(sizeof(*p) + len);
	if (!p)
		return;
	p->next = NULL;
	p->len = len;
	memcpy(p->pkt, pkt, len);
	*l->pend_tail = p;
	l->pend_tail = &p->next;
	l->pend_count++;
}

/* What Linux's stack does when it drops a packet it could not route or
 * resolve: an ICMP destination unreachable to the sender, itself
 * (ipv4_link_failure, ip_route_output errors). The stack then fails a
 * connect with EHOSTUNREACH or ENETUNREACH (RFC 1122 §4.2.3.9). */
static void icmp_to_stack(struct sk_link *l, uint8_t code, const uint8_t *orig, size_t len)
{
	uint8_t pkt[IP4_HDR_LEN + 8 + 60 + 8];
	size_t n = icmp_emit_unreach(pkt + IP4_HDR_LEN, code, orig, len);
	struct ip4_hdr h = { .ttl = 64, .proto = IP_PROTO_ICMP, .src = l->cfg.addr,
			     .dst = l->cfg.addr };
	ip4_emit(pkt, &h, n);
	l->mib[SK_LINK_icmp_synthesized]++;
	pending_add(l, pkt, IP4_HDR_LEN + n);
}

/* ---- the neighbour table (Linux's NUD state machine, simplified: no
 * confirmations from TCP progress, so a busy entry is re-probed once per
 * reachable time) ---- */

static struct neigh *neigh_find(struct sk_link *l, uint32_t addr)
{
	for (int i = 0; i < SK_ARP_ENTRIES; i++)
		if (l->neigh[i].state != SK_NUD_NONE && l->neigh[i].addr == addr)
			return &l->neigh[i];
	return NULL;
}

/* A free entry, or the least recently used one that is not resolving. */
static struct neigh *neigh_alloc(struct sk_link *l, uint32_t addr, uint64_t now)
{
	struct neigh *victim = NULL;
	for (int i = 0; i < SK_ARP_ENTRIES; i++) {
		struct neigh *n = &l->neigh[i];
		if (n->state == SK_NUD_NONE) {
			victim = n;
			break;
		}
		if (n->state != SK_NUD_INCOMPLETE && (!victim || n->used_ns < victim->used_ns))
			victim = n;
	}
	if (!victim) {
		l->mib[SK_LINK_table_fulls]++;
		return NULL;
	}
	neigh_clear_queue(victim);
	memset(victim, 0, sizeof(*victim));
	victim->addr = addr;
	victim->used_ns = now;
	return victim;
}

static void neigh_set_state(struct neigh *n, enum sk_nud state, uint64_t now, uint64_t timer_ns)
{
	n->state = (uint8_t)state;
	n->entered_ns = now;
	n->probes = 0;
	n->timer_ns = timer_ns;
}

static uint64_t reachable_ns(struct sk_link *l)
{
	/* Linux: uniform in [base/2, 3*base/2) (neigh_rand_reach_time). */
	double f = 0.5 + rng_unit(l);
	return (uint64_t)(f * SK_ARP_REACHABLE_MS) * SK_NS_PER_MS;
}

static void neigh_flush_queue(struct sk_link *l, struct neigh *n)
{
	for (int i = 0; i < n->nq; i++) {
		send_frame(l, n->mac, ETH_P_IPV4, n->q[i], n->qlen[i]);
		free(n->q[i]);
	}
	n->nq = 0;
}

/* The neighbour proved to be at `mac`: a reply to us is a confirmation
 * (REACHABLE); a request only tells where it is (STALE), as in Linux's
 * arp_process. Waiting packets go out. */
static void neigh_learn(struct sk_link *l, struct neigh *n, const uint8_t *mac, bool confirmed,
			uint64_t now)
{
	bool changed = memcmp(n->mac, mac, SK_ETH_ALEN) != 0;
	memcpy(n->mac, mac, SK_ETH_ALEN);
	if (confirmed) {
		n->confirmed_ns = now;
		neigh_set_state(n, SK_NUD_REACHABLE, now, now + reachable_ns(l));
	} else if (changed || n->state == SK_NUD_INCOMPLETE || n->state == SK_NUD_FAILED) {
		neigh_set_state(n, SK_NUD_STALE, now, 0);
	}
	neigh_flush_queue(l, n);
}

static void neigh_fail(struct sk_link *l, struct neigh *n, uint64_t now)
{
	l->mib[SK_LINK_res_failed]++;
	for (int i = 0; i < n->nq; i++) {
		l->mib[SK_LINK_unresolved_discards]++;
		icmp_to_stack(l, ICMP_HOST_UNREACH, n->q[i], n->qlen[i]);
	}
	neigh_clear_queue(n);
	neigh_set_state(n, SK_NUD_FAILED, now, 0);
}

static void neigh_timer(struct sk_link *l, struct neigh *n, uint64_t now)
{
	uint64_t retrans = (uint64_t)SK_ARP_RETRANS_MS * SK_NS_PER_MS;
	n->timer_ns = 0;
	switch (n->state) {
	case SK_NUD_INCOMPLETE:
		if (n->probes >= SK_ARP_MCAST_SOLICIT) {
			neigh_fail(l, n, now);
			return;
		}
		send_request(l, n, false);
		n->probes++;
		n->timer_ns = now + retrans;
		return;
	case SK_NUD_REACHABLE:
		neigh_set_state(n, SK_NUD_STALE, now, 0);
		return;
	case SK_NUD_DELAY:
		if (n->confirmed_ns >= n->entered_ns) {
			neigh_set_state(n, SK_NUD_REACHABLE, now, n->confirmed_ns + reachable_ns(l));
			return;
		}
		neigh_set_state(n, SK_NUD_PROBE, now, 0);
		/* fall through - the first unicast probe goes now */
	case SK_NUD_PROBE:
		if (n->probes >= SK_ARP_UCAST_SOLICIT) {
			neigh_fail(l, n, now);
			return;
		}
		send_request(l, n, true);
		n->probes++;
		n->timer_ns = now + retrans;
		return;
	default:
		return;
	}
}

static void neigh_enqueue(struct sk_link *l, struct neigh *n, const uint8_t *pkt, size_t len)
{
	if (n->nq == SK_ARP_QUEUE) { /* Linux drops the oldest (__neigh_event_send) */
		l->mib[SK_LINK_unresolved_discards]++;
		free(n->q[0]);
		memmove(n->q, n->q + 1, sizeof(n->q[0]) * (SK_ARP_QUEUE - 1));
		memmove(n->qlen, n->qlen + 1, sizeof(n->qlen[0]) * (SK_ARP_QUEUE - 1));
		n->nq--;
	}
	uint8_t *copy = malloc(len);
	if (!copy) {
		l->mib[SK_LINK_unresolved_discards]++;
		return;
	}
	memcpy(copy, pkt, len);
	n->q[n->nq] = copy;
	n->qlen[n->nq] = (uint16_t)len;
	n->nq++;
}

/* ---- input ---- */

static void arp_input(struct sk_link *l, uint64_t now, const uint8_t *a, size_t len)
{
	if (len < ARP_LEN || get_be16(a) != 1 || get_be16(a + 2) != ETH_P_IPV4 ||
	    a[4] != SK_ETH_ALEN || a[5] != 4) {
		l->mib[SK_LINK_arp_bad]++;
		return;
	}
	uint16_t op = get_be16(a + 6);
	const uint8_t *sha = a + 8;
	uint32_t spa = get_be32(a + 14), tpa = get_be32(a + 24);
	if ((op != ARP_REQUEST && op != ARP_REPLY) || (sha[0] & 1)) {
		l->mib[SK_LINK_arp_bad]++;
		return;
	}
	l->mib[op == ARP_REQUEST ? SK_LINK_arp_rcv_requests : SK_LINK_arp_rcv_replies]++;
	bool for_us = tpa == l->cfg.addr;
	struct neigh *n = spa ? neigh_find(l, spa) : NULL; /* 0.0.0.0: a probe (RFC 5227) */
	if (!n && spa && for_us && op == ARP_REQUEST)
		n = neigh_alloc(l, spa, now); /* whoever asks for us will talk to us */
	if (n)
		neigh_learn(l, n, sha, op == ARP_REPLY && for_us, now);
	if (op == ARP_REQUEST && for_us)
		send_arp(l, ARP_REPLY, sha, sha, spa);
}

static bool ip_is_ours(const struct sk_link *l, const uint8_t *ip, size_t len)
{
	return len >= IP4_HDR_LEN && (ip[0] >> 4) == 4 && get_be32(ip + 16) == l->cfg.addr;
}

void sk_link_input(struct sk_link *l, uint64_t now_ns, const uint8_t *f, size_t len)
{
	if (len < SK_ETH_HLEN) {
		l->mib[SK_LINK_rx_runt]++;
		return;
	}
	if (inject_loss(l)) {
		l->mib[SK_LINK_rx_loss_injected]++;
		return;
	}
	l->mib[SK_LINK_rx_frames]++;
	l->mib[SK_LINK_rx_bytes] += len;
	bool group = f[0] & 1;
	if (!group && memcmp(f, l->cfg.mac, SK_ETH_ALEN) != 0) {
		l->mib[SK_LINK_rx_otherhost]++; /* Linux: PACKET_OTHERHOST, dropped */
		return;
	}
	uint16_t type = get_be16(f + 12);
	const uint8_t *p = f + SK_ETH_HLEN;
	size_t plen = len - SK_ETH_HLEN;
	if (type == ETH_P_ARP) {
		arp_input(l, now_ns, p, plen);
	} else if (type != ETH_P_IPV4) {
		l->mib[SK_LINK_rx_unknown_proto]++; /* IPv6, LLDP, ... */
	} else if (group || !ip_is_ours(l, p, plen)) {
		l->mib[SK_LINK_rx_ip_not_ours]++; /* we do not forward or join groups */
	} else {
		l->cfg.deliver(l->cfg.ctx, now_ns, p, plen);
	}
}

/* ---- output ---- */

void sk_link_output(struct sk_link *l, uint64_t now_ns, const uint8_t *pkt, size_t len)
{
	if (len < IP4_HDR_LEN)
		return;
	uint32_t dst = get_be32(pkt + 16);
	if (dst == l->cfg.addr) { /* to ourselves (a self-connect): loop back */
		pending_add(l, pkt, len);
		return;
	}
	uint32_t hop = dst;
	if ((dst ^ l->cfg.addr) & l->mask) {
		if (!l->cfg.gw) {
			l->mib[SK_LINK_no_route]++;
			icmp_to_stack(l, ICMP_NET_UNREACH, pkt, len);
			return;
		}
		hop = l->cfg.gw;
	}
	struct neigh *n = neigh_find(l, hop);
	if (n && n->state == SK_NUD_REACHABLE && n->timer_ns <= now_ns)
		neigh_timer(l, n, now_ns); /* its reachable time is over: STALE */
	if (!n || n->state == SK_NUD_FAILED) {
		n = n ? n : neigh_alloc(l, hop, now_ns);
		if (!n) {
			l->mib[SK_LINK_unresolved_discards]++;
			return;
		}
		neigh_set_state(n, SK_NUD_INCOMPLETE, now_ns, 0);
		neigh_timer(l, n, now_ns); /* the first broadcast request, now */
	}
	n->used_ns = now_ns;
	if (n->state == SK_NUD_INCOMPLETE) {
		neigh_enqueue(l, n, pkt, len);
		return;
	}
	if (n->state == SK_NUD_STALE) /* use it, and check it soon (RFC 4861 §7.3.3) */
		neigh_set_state(n, SK_NUD_DELAY, now_ns, now_ns + (uint64_t)SK_ARP_DELAY_MS * SK_NS_PER_MS);
	send_frame(l, n->mac, ETH_P_IPV4, pkt, len);
}

/* ---- time ---- */

void sk_link_advance(struct sk_link *l, uint64_t now_ns)
{
	for (int i = 0; i < SK_ARP_ENTRIES; i++) {
		struct neigh *n = &l->neigh[i];
		if (n->state != SK_NUD_NONE && n->timer_ns && n->timer_ns <= now_ns)
			neigh_timer(l, n, now_ns);
	}
	/* Delivering may make the stack send and the link queue more: take
	 * the list as it is now; later additions wait for the next call. */
	struct pending *p = l->pend_head;
	l->pend_head = NULL;
	l->pend_tail = &l->pend_head;
	l->pend_count = 0;
	while (p) {
		struct pending *next = p->next;
		l->cfg.deliver(l->cfg.ctx, now_ns, p->pkt, p->len);
		free(p);
		p = next;
	}
}

uint64_t sk_link_deadline(const struct sk_link *l)
{
	if (l->pend_head)
		return 0;
	uint64_t t = SK_NEVER;
	for (int i = 0; i < SK_ARP_ENTRIES; i++) {
		const struct neigh *n = &l->neigh[i];
		if (n->state != SK_NUD_NONE && n->timer_ns && n->timer_ns < t)
			t = n->timer_ns;
	}
	return t;
}

void sk_link_foreach_neigh(const struct sk_link *l,
			   void (*fn)(void *ctx, const struct sk_neigh_info *n), void *ctx)
{
	for (int i = 0; i < SK_ARP_ENTRIES; i++) {
		const struct neigh *n = &l->neigh[i];
		if (n->state == SK_NUD_NONE)
			continue;
		struct sk_neigh_info info = { .addr = n->addr, .state = (enum sk_nud)n->state,
					      .queued = n->nq, .probes = n->probes };
		memcpy(info.mac, n->mac, SK_ETH_ALEN);
		fn(ctx, &info);
	}
}

/* ---- the TAP device ---- */

struct sk_tap {
	int fd;
	char ifname[IFNAMSIZ];
	struct sk_link *link;
	struct sk_stack *st;
	struct sk_pcap *pcap;
	uint8_t rxbuf[SK_ETH_HLEN + 65536];
};

uint64_t sk_tap_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * SK_NS_PER_S + (uint64_t)ts.tv_nsec;
}

/* pcap records carry wall-clock time, so captures line up with tcpdump's. */
static void tap_record(struct sk_tap *t, const uint8_t *pkt, size_t len)
{
	if (!t->pcap)
		return;
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	sk_pcap_write(t->pcap, (uint64_t)ts.tv_sec * SK_NS_PER_S + (uint64_t)ts.tv_nsec, pkt, len);
}

static void tap_send_frame(void *ctx, const uint8_t *frame, size_t len)
{
	struct sk_tap *t = ctx;
	/* A TAP write hands the frame to the kernel's receive path; it fails
	 * (EIO) while the interface is down, which is a lost frame here. */
	if (write(t->fd, frame, len) != (ssize_t)len)
		t->link->mib[SK_LINK_tx_errors]++;
}

static void tap_deliver(void *ctx, uint64_t now_ns, const uint8_t *pkt, size_t len)
{
	struct sk_tap *t = ctx;
	tap_record(t, pkt, len);
	sk_input(t->st, now_ns, pkt, len);
}

static void tap_stack_output(void *ctx, const uint8_t *pkt, size_t len)
{
	struct sk_tap *t = ctx;
	tap_record(t, pkt, len);
	sk_link_output(t->link, t->st ? sk_now(t->st) : sk_tap_now(), pkt, len);
}

/* The reason, and the fix, for a failure to open /dev/net/tun or attach. */
static void tap_explain(char *err, size_t errlen, const char *name, const char *what, int e)
{
	char fix[256] = "";
	if (e == ENOENT || e == ENODEV || e == ENXIO)
		snprintf(fix, sizeof(fix), "; the tun driver is missing: load it with 'modprobe tun' "
			 "(or create the node: mkdir -p /dev/net && mknod /dev/net/tun c 10 200)");
	else if (e == EACCES || e == EPERM)
		snprintf(fix, sizeof(fix), "; run as root (or with CAP_NET_ADMIN), or let root create "
			 "the device for you first: ip tuntap add dev %s mode tap user $USER", name);
	else if (e == EBUSY)
		snprintf(fix, sizeof(fix), "; %s is in use by another process: stop it or pick "
			 "another name", name);
	else if (e == EINVAL)
		snprintf(fix, sizeof(fix), "; %s exists and is not a TAP device without packet "
			 "information: delete it or pick another name", name);
	if (errlen)
		snprintf(err, errlen, "%s: %s%s", what, strerror(e), fix);
}

static int tap_attach(const char *name, char *ifname_out, char *err, size_t errlen)
{
	int fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		tap_explain(err, errlen, name, "cannot open /dev/net/tun", errno);
		return -1;
	}
	struct ifreq ifr;
	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
	snprintf(ifr.ifr_name, IFNAMSIZ, "%s", name);
	if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
		int e = errno;
		close(fd);
		char what[64];
		snprintf(what, sizeof(what), "cannot attach to TAP interface %s", name);
		tap_explain(err, errlen, name, what, e);
		return -1;
	}
	snprintf(ifname_out, IFNAMSIZ, "%s", ifr.ifr_name);
	return fd;
}

static int tap_make_link(struct sk_tap *t, const struct sk_tap_config *cfg)
{
	struct sk_link_config lc = {
		.addr = cfg->stack.addr, .prefix_len = cfg->prefix_len, .gw = cfg->gw,
		.mtu = cfg->stack.mtu, .seed = cfg->stack.seed, .loss = cfg->loss,
		.send_frame = tap_send_frame, .deliver = tap_deliver, .ctx = t,
	};
	if (cfg->have_mac)
		memcpy(lc.mac, cfg->mac, SK_ETH_ALEN);
	else
		sk_link_mac_from_seed(cfg->stack.seed, lc.mac);
	t->link = sk_link_new(&lc);
	return t->link ? 0 : -1;
}

struct sk_tap *sk_tap_open(const struct sk_tap_config *cfg, char *err, size_t errlen)
{
	if (errlen)
		err[0] = '\0';
	if (!cfg->ifname || strlen(cfg->ifname) >= IFNAMSIZ) {
		snprintf(err, errlen, "the interface name must have 1 to %d characters", IFNAMSIZ - 1);
		return NULL;
	}
	struct sk_tap *t = calloc(1, sizeof(*t));
	if (!t) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	t->fd = tap_attach(cfg->ifname, t->ifname, err, errlen);
	if (t->fd < 0) {
		free(t);
		return NULL;
	}
	struct sk_config sc = cfg->stack;
	sc.output = tap_stack_output;
	sc.output_ctx = t;
	if (tap_make_link(t, cfg) < 0 || !(t->st = sk_stack_new(&sc, sk_tap_now()))) {
		snprintf(err, errlen, "cannot create the host (bad prefix, MTU, or out of memory)");
		sk_tap_close(t);
		return NULL;
	}
	sk_link_announce(t->link);
	return t;
}

void sk_tap_close(struct sk_tap *t)
{
	if (!t)
		return;
	sk_stack_free(t->st);
	sk_link_free(t->link);
	sk_pcap_close(t->pcap);
	if (t->fd >= 0)
		close(t->fd);
	free(t);
}

struct sk_stack *sk_tap_stack(struct sk_tap *t) { return t->st; }
struct sk_link *sk_tap_link(struct sk_tap *t) { return t->link; }
const char *sk_tap_ifname(const struct sk_tap *t) { return t->ifname; }
const uint8_t *sk_tap_mac(const struct sk_tap *t) { return t->link->cfg.mac; }

int sk_tap_pcap(struct sk_tap *t, const char *path)
{
	sk_pcap_close(t->pcap);
	t->pcap = NULL;
	if (!path)
		return 0;
	t->pcap = sk_pcap_open(path);
	return t->pcap ? 0 : -errno;
}

/* Reads up to a batch of frames, so the caller's sockets get their turn
 * between batches under a flood. */
static int tap_read_batch(struct sk_tap *t)
{
	for (int i = 0; i < 64; i++) {
		ssize_t n = read(t->fd, t->rxbuf, sizeof(t->rxbuf));
		if (n < 0)
			return errno == EAGAIN || errno == EINTR ? 0 : -errno;
		sk_link_input(t->link, sk_tap_now(), t->rxbuf, (size_t)n);
	}
	return 0;
}

int sk_tap_step(struct sk_tap *t, uint64_t until_ns, const sigset_t *sigmask)
{
	uint64_t deadline = sk_deadline(t->st);
	uint64_t ld = sk_link_deadline(t->link);
	if (ld < deadline)
		deadline = ld;
	if (until_ns < deadline)
		deadline = until_ns;
	uint64_t now = sk_tap_now();
	struct timespec ts = { 0, 0 }, *tsp = &ts;
	if (deadline == SK_NEVER) {
		tsp = NULL;
	} else if (deadline > now) {
		uint64_t d = deadline - now;
		ts.tv_sec = (time_t)(d / SK_NS_PER_S);
		ts.tv_nsec = (long)(d % SK_NS_PER_S);
	}
	struct pollfd p = { .fd = t->fd, .events = POLLIN };
	int r = ppoll(&p, 1, tsp, sigmask);
	int rc = 0;
	if (r < 0)
		rc = errno == EINTR ? -EINTR : -errno;
	else if (p.revents & (POLLERR | POLLHUP | POLLNVAL))
		rc = -EIO;
	else if (p.revents & POLLIN)
		rc = tap_read_batch(t);
	now = sk_tap_now();
	sk_advance(t->st, now);
	sk_link_advance(t->link, now);
	return rc;
}
