/* The simulator: a driver that runs several synack hosts in one thread on
 * virtual time, wired by paths with delay, jitter, loss, duplication,
 * reordering, corruption, bandwidth and MTU. Everything random comes from
 * one seed, so a run is bit-for-bit reproducible. Time jumps from event to
 * event; nothing waits on a real clock.
 *
 * Hosts are numbered from 0 in the order they are added. Every host can
 * reach every other host; the path from a to b has its own parameters
 * (default: no delay, no faults). A packet goes to the host that owns its
 * destination address; with no such host (or a crashed one) it is lost.
 *
 * A raw host has no stack: the packets sent to it are kept for the caller
 * to take (sk_sim_take), and the caller sends packets from it
 * (sk_sim_send). Tests use raw hosts to play a scripted peer.
 *
 * Order: events run in time order; packets due at the same instant in the
 * order they were scheduled (so a path never reorders packets sent at one
 * instant), and a stack timer due at the same instant as a packet runs
 * before the packet is delivered. Randomness is drawn per packet in a fixed
 * order (loss, duplication, jitter, reorder, corruption) and only for the
 * knobs that are non-zero, so a faultless path draws nothing.
 *
 * A stack whose sk_deadline stays <= now after sk_advance(now) a million
 * times, or ten million events at one instant (packets bouncing on
 * zero-delay paths), abort the program with a message: both would spin
 * for ever. */
#ifndef SYNACK_SIM_H
#define SYNACK_SIM_H

#include "synack.h"

#ifdef __cplusplus
extern "C" {
#endif

struct sk_sim;

/* A path is a FIFO queue: a packet arrives at
 *   max(departure + delay_ns + jitter, arrival of the previous packet),
 * where departure is now, or with a bandwidth the end of its serialisation
 * behind the packets still being sent: max(now, busy_until) + len * 8e9 /
 * bandwidth_bps ns, rounded up. Jitter therefore never reorders (unlike
 * Linux netem's); `reorder` does, explicitly. Checks come in this order:
 * MTU, down, loss (a lost packet takes no bandwidth), then duplication,
 * jitter, reorder, corruption. All zero: instant and lossless. */
struct sk_path {
	uint64_t delay_ns;      /* one-way propagation delay */
	uint64_t jitter_ns;     /* extra delay, uniform in [0, jitter_ns] */
	double loss;            /* probability a packet is lost */
	double dup;             /* probability a packet is delivered twice (the
				 * copy arrives right after the original) */
	double reorder;         /* probability a packet is held back reorder_ns
				 * past its place; later packets may pass it */
	uint64_t reorder_ns;
	double corrupt;         /* probability one bit of a copy flips (each
				 * copy drawn on its own) */
	uint64_t bandwidth_bps; /* 0: unlimited; else serialisation delay, FIFO */
	uint16_t mtu;           /* 0: unlimited, else >= 20; larger packets are lost */
	int down;               /* partition: every packet is lost */
	/* With down set: 0, or ICMP code + 1 (code 0..15) for a router at
	 * `router_addr` that answers each lost packet with destination
	 * unreachable of that code, quoting its IP header + 8 bytes (code 4
	 * carries `mtu` as the next-hop MTU). The error goes to the lost
	 * packet's source address, arrives delay_ns after it was sent and meets
	 * no faults. As RFC 1812 asks, there is none about an ICMP error, a
	 * non-initial fragment or a packet from 0.0.0.0 or a multicast source. */
	int unreach_code_plus1;
	uint32_t router_addr;
};

/* Why a packet event happened, for the tap. `from` is -1 for a packet the
 * router of a downed path made (ICMP); `to` is -1 when no host owns the
 * destination address (or the packet is shorter than an IP header). */
enum sk_sim_what {
	SK_SIM_SENT,       /* a host emitted it */
	SK_SIM_DELIVERED,  /* it reached its destination host */
	SK_SIM_LOST,       /* loss, partition, no such host, MTU, malformed (all
			    * when sent), crashed host (when it arrives) */
	SK_SIM_DUPLICATED, /* a second copy was made (delivered later too) */
	SK_SIM_CORRUPTED,  /* a bit was flipped (delivered later); shows the copy */
};

typedef void (*sk_sim_tap_fn)(void *ctx, uint64_t now_ns, int from, int to,
			      enum sk_sim_what what, const uint8_t *pkt, size_t len);

/* A new, empty simulation at time 0. NULL when memory runs out. */
struct sk_sim *sk_sim_new(uint64_t seed);
/* Frees the simulation, its hosts (silently) and the packets in flight. */
void sk_sim_free(struct sk_sim *sim);

/* Adds a host running a synack stack made from `cfg` (copied; its output is
 * replaced by the simulator's; a zero seed is replaced by one derived from
 * the simulation's seed and the host number; its own observe, if any, is
 * still called). Returns the host number, or -ENOMEM (also past 256
 * hosts) / -EEXIST (address already used) / -EINVAL (no config, address
 * 0, MTU < 68). */
int sk_sim_add_host(struct sk_sim *sim, const char *name, const struct sk_config *cfg);
/* Adds a raw host (no stack) owning `addr`. Same returns. */
int sk_sim_add_raw(struct sk_sim *sim, const char *name, uint32_t addr);

const char *sk_sim_name(const struct sk_sim *sim, int host);
uint32_t sk_sim_addr(const struct sk_sim *sim, int host);
/* The host's stack; NULL for a raw host or a crashed one. */
struct sk_stack *sk_sim_stack(struct sk_sim *sim, int host);

/* Sets the path a -> b (one direction), or both directions. Returns 0, or
 * -EINVAL for a bad host, a probability outside [0, 1], an MTU under 20 or
 * an ICMP code over 15. Packets already
 * on the path keep their arrival times and order. */
int sk_sim_set_path(struct sk_sim *sim, int a, int b, const struct sk_path *p);
int sk_sim_set_link(struct sk_sim *sim, int a, int b, const struct sk_path *p);
/* Reads the path a -> b. */
int sk_sim_get_path(const struct sk_sim *sim, int a, int b, struct sk_path *p);
/* Partitions or heals a <-> b (sets `down` on both directions). */
int sk_sim_partition(struct sk_sim *sim, int a, int b, int down);

/* The host loses all state silently: its stack is freed, nothing is sent;
 * packets reaching it are lost until sk_sim_reboot. */
int sk_sim_crash(struct sk_sim *sim, int host);
/* A crashed host comes back with empty tables (a fresh stack from the same
 * config, with a new seed, as after a reboot). A live host is crashed
 * first. Returns 0, -EINVAL, or -ENOMEM (the host stays crashed). */
int sk_sim_reboot(struct sk_sim *sim, int host);

uint64_t sk_sim_now(const struct sk_sim *sim);
/* Runs every event (deliveries, stack timers) up to and including `t_ns`,
 * in time order, then leaves every stack at time t_ns. A time before now
 * means now: time never goes back. */
void sk_sim_run_until(struct sk_sim *sim, uint64_t t_ns);
/* Runs for `d_ns` from now. */
void sk_sim_run_for(struct sk_sim *sim, uint64_t d_ns);
/* The time of the next event, or SK_NEVER. */
uint64_t sk_sim_next_event(const struct sk_sim *sim);

/* Sends a packet from host `from` now, over its paths (as if its stack had
 * emitted it). Used for raw hosts and for injecting crafted packets; the
 * source address in the packet need not be the host's. Returns 0 (also
 * when the network loses it), -EINVAL (bad host, no packet, length 0 or
 * over 65535), -EHOSTDOWN (crashed host) or -ENOMEM. */
int sk_sim_send(struct sk_sim *sim, int from, const void *pkt, size_t len);
/* Takes the oldest packet delivered to raw host `host`: copies up to `cap`
 * bytes into buf, stores its arrival time (at_ns may be NULL), returns its
 * whole length; 0 when none is waiting. A crash empties the queue. */
size_t sk_sim_take(struct sk_sim *sim, int host, void *buf, size_t cap, uint64_t *at_ns);
/* How many packets wait for sk_sim_take at raw host `host`. */
int sk_sim_pending(const struct sk_sim *sim, int host);

/* Observes every packet event. One tap; NULL removes it.
 * The tap and the observer run inside the simulation: they may call
 * sk_sim_send, sk_sim_take, the path setters and the getters, but
 * sk_sim_add_*, crash, reboot, run and free abort the program there (they
 * would free or move memory in use). */
void sk_sim_set_tap(struct sk_sim *sim, sk_sim_tap_fn fn, void *ctx);
/* Called from the tap during SK_SIM_SENT: that packet is lost (the tap
 * then sees it LOST). Drivers use it to drop chosen packets. */
void sk_sim_drop(struct sk_sim *sim);
/* Observes every host's stack events (states, drops), with the host number
 * in `host`. */
typedef void (*sk_sim_observe_fn)(void *ctx, uint64_t now_ns, int host, const struct sk_event *ev);
void sk_sim_set_observer(struct sk_sim *sim, sk_sim_observe_fn fn, void *ctx);

#ifdef __cplusplus
}
#endif
#endif
