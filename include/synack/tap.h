/* synack on a real network: a Linux TAP device (Ethernet frames) in front
 * of one stack.
 *
 * Two layers, usable apart:
 *
 * - `struct sk_link`: Ethernet framing and ARP for one IPv4 host, with no
 *   I/O and no clock (time comes in, frames go out through a callback), so
 *   it can be tested without a device. It answers ARP requests for its
 *   address, resolves next hops (the destination on the subnet, else the
 *   gateway) with Linux's neighbour states and timers, queues a few packets
 *   per unresolved neighbour, and, when resolution fails or no route
 *   exists, drops them and hands the stack an ICMP "unreachable" as
 *   Linux's own stack does, so a connect() fails with EHOSTUNREACH or
 *   ENETUNREACH.
 *
 * - `struct sk_tap`: a TAP device (IFF_TAP | IFF_NO_PI) opened on
 *   /dev/net/tun, a link and a stack wired together, and one step of an
 *   event loop that sleeps in ppoll() until a frame arrives, the stack or
 *   the link has a deadline, the caller's own deadline comes, or a signal
 *   arrives. No busy polling, no fixed tick. Time is CLOCK_MONOTONIC in
 *   nanoseconds, the stack's time too.
 *
 * Linux only. Not thread-safe: one thread drives a tap and its stack.
 */
#ifndef SYNACK_TAP_H
#define SYNACK_TAP_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "synack.h"

#ifdef __cplusplus
extern "C" {
#endif

#define SK_ETH_ALEN 6
#define SK_ETH_HLEN 14

/* Neighbour-table figures: Linux's defaults (net.ipv4.neigh.default.*). */
#define SK_ARP_ENTRIES 64          /* cache size (a bounded table) */
#define SK_ARP_QUEUE 3             /* packets queued per unresolved neighbour */
#define SK_ARP_RETRANS_MS 1000     /* retrans_time_ms */
#define SK_ARP_MCAST_SOLICIT 3     /* broadcast requests before giving up */
#define SK_ARP_UCAST_SOLICIT 3     /* unicast probes of a stale entry */
#define SK_ARP_REACHABLE_MS 30000  /* base_reachable_time_ms (randomised x0.5..1.5) */
#define SK_ARP_DELAY_MS 5000       /* delay_first_probe_time */

/* What the link counts. Names follow Linux where it has one
 * (/proc/net/stat/arp_cache, ip -s link). */
#define SK_LINK_COUNTERS(X) \
	X(rx_frames) X(rx_bytes) X(tx_frames) X(tx_bytes) \
	X(rx_otherhost) X(rx_runt) X(rx_unknown_proto) X(rx_ip_not_ours) \
	X(rx_loss_injected) X(tx_loss_injected) X(tx_errors) \
	X(arp_rcv_requests) X(arp_rcv_replies) X(arp_bad) \
	X(arp_sent_requests) X(arp_sent_replies) \
	X(res_failed) X(unresolved_discards) X(table_fulls) X(no_route) \
	X(icmp_synthesized)

enum sk_link_counter {
#define SK_LINK_COUNTER_ENUM(n) SK_LINK_##n,
	SK_LINK_COUNTERS(SK_LINK_COUNTER_ENUM)
#undef SK_LINK_COUNTER_ENUM
	SK_LINK_COUNT
};
const char *sk_link_counter_name(enum sk_link_counter c);

/* Linux's neighbour states (NUD_*), as `ip neigh` prints them. */
enum sk_nud {
	SK_NUD_NONE,
	SK_NUD_INCOMPLETE,
	SK_NUD_REACHABLE,
	SK_NUD_STALE,
	SK_NUD_DELAY,
	SK_NUD_PROBE,
	SK_NUD_FAILED,
};
/* "INCOMPLETE", "REACHABLE", ... */
const char *sk_nud_name(enum sk_nud s);

struct sk_link_config {
	uint8_t mac[SK_ETH_ALEN];
	uint32_t addr;        /* host byte order */
	int prefix_len;       /* 0..32 */
	uint32_t gw;          /* next hop for other subnets; 0: none */
	uint16_t mtu;         /* IPv4 MTU; frames are up to mtu + 14 bytes */
	uint64_t seed;        /* randomises reachable times and injected loss */
	double loss;          /* fault injection: probability of dropping each
			       * frame in and each frame out; 0 for none */
	/* Emits one Ethernet frame. `frame` is valid only during the call. */
	void (*send_frame)(void *ctx, const uint8_t *frame, size_t len);
	/* Hands one IPv4 packet for this host to the stack. Called from
	 * sk_link_input and sk_link_advance, never from sk_link_output. */
	void (*deliver)(void *ctx, uint64_t now_ns, const uint8_t *pkt, size_t len);
	void *ctx;
};

/* The MAC address a seed gives: locally administered, unicast, the same
 * for the same seed. */
void sk_link_mac_from_seed(uint64_t seed, uint8_t mac[SK_ETH_ALEN]);

struct sk_link;

/* Creates a link (copies the config). Returns NULL when memory runs out or
 * the config is unusable (no callbacks, prefix out of range, MTU < 68). */
struct sk_link *sk_link_new(const struct sk_link_config *cfg);
/* Frees the link and the packets still queued, silently. NULL is fine. */
void sk_link_free(struct sk_link *l);

/* One received Ethernet frame: ARP is answered and learned, IPv4 for this
 * host goes to `deliver`; everything else is dropped and counted. */
void sk_link_input(struct sk_link *l, uint64_t now_ns, const uint8_t *frame, size_t len);
/* One IPv4 packet from the stack: sent at once to a resolved next hop,
 * queued while resolving, or dropped (counted) with an ICMP error for the
 * stack delivered at the next sk_link_advance. Safe to call from inside
 * the stack's output callback: it never calls `deliver`. */
void sk_link_output(struct sk_link *l, uint64_t now_ns, const uint8_t *pkt, size_t len);
/* Runs the neighbour timers due by `now_ns` and delivers pending ICMP
 * errors. */
void sk_link_advance(struct sk_link *l, uint64_t now_ns);
/* Announces our address with a gratuitous ARP request (RFC 5227 §3), as
 * Linux does when an address comes up, so neighbours that cached another
 * MAC for it (a previous run with another seed) update at once. */
void sk_link_announce(struct sk_link *l);
/* When sk_link_advance next has work, or SK_NEVER. */
uint64_t sk_link_deadline(const struct sk_link *l);

uint64_t sk_link_counter(const struct sk_link *l, enum sk_link_counter c);

/* One neighbour, for a listing like `ip neigh`. */
struct sk_neigh_info {
	uint32_t addr;
	uint8_t mac[SK_ETH_ALEN];  /* zero while INCOMPLETE */
	enum sk_nud state;
	int queued;                /* packets waiting for resolution */
	int probes;                /* requests sent in this state */
};
void sk_link_foreach_neigh(const struct sk_link *l,
			   void (*fn)(void *ctx, const struct sk_neigh_info *n), void *ctx);

/* ---- the TAP device and its event loop ---- */

struct sk_tap_config {
	const char *ifname;        /* the TAP interface (created if absent) */
	struct sk_config stack;    /* the host; output and output_ctx are set
				    * by sk_tap_open */
	int prefix_len;
	uint32_t gw;               /* 0: none */
	uint8_t mac[SK_ETH_ALEN];
	int have_mac;              /* 0: derive the MAC from stack.seed */
	double loss;               /* see sk_link_config.loss */
};

struct sk_tap;

/* Opens (or creates) the TAP interface, sets it non-blocking, and creates
 * the link and the stack. On failure returns NULL and writes into `err`
 * (always NUL-terminated when errlen > 0) what went wrong and what to do
 * about it: run as root, load the tun module, pick another name. */
struct sk_tap *sk_tap_open(const struct sk_tap_config *cfg, char *err, size_t errlen);
/* Closes the device and frees the stack (silently: no FIN or RST goes
 * out; close the sockets and run the loop first for a graceful end). */
void sk_tap_close(struct sk_tap *t);

struct sk_stack *sk_tap_stack(struct sk_tap *t);
struct sk_link *sk_tap_link(struct sk_tap *t);
/* The interface name the kernel gave (when cfg.ifname had a pattern). */
const char *sk_tap_ifname(const struct sk_tap *t);
const uint8_t *sk_tap_mac(const struct sk_tap *t);

/* CLOCK_MONOTONIC in nanoseconds: the time the tap gives its stack. */
uint64_t sk_tap_now(void);

/* One step of the event loop: sleeps until a frame arrives, the stack's
 * or the link's deadline, `until_ns` (SK_NEVER: none; 0: do not sleep),
 * or a signal not blocked in `sigmask` (NULL: the current mask); then
 * feeds every waiting frame (a bounded batch) to the link and the stack
 * and runs their due timers. Returns 0, -EINTR when a signal woke it, or
 * another -errno when the device failed (it is then unusable). */
int sk_tap_step(struct sk_tap *t, uint64_t until_ns, const sigset_t *sigmask);

/* Writes a pcap file (see pcap.h) of every IPv4 packet the stack sends and
 * receives from now on; NULL stops. Returns 0 or -errno. */
int sk_tap_pcap(struct sk_tap *t, const char *path);

#ifdef __cplusplus
}
#endif
#endif
