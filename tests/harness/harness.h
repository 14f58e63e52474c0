/* Test harness for behaviour tests: a simulation with named hosts, every
 * packet each host sends captured and parsed, every state change logged,
 * and memory counted per host so a test can prove nothing leaked.
 *
 * Tests read like a packet trace: run to a time, take the next packet,
 * check its time, sender, flags, seq, ack, window and options. */
#ifndef SYNACK_HARNESS_H
#define SYNACK_HARNESS_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <synack/sim.h>
#include <synack/synack.h>

#include "wire/wire.h"

#define H_MAX_EVENTS 4096
#define H_MAX_HOSTS 8

#define MS(x) ((uint64_t)(x) * SK_NS_PER_MS)
#define SEC(x) ((uint64_t)(x) * SK_NS_PER_S)

struct h_pkt {
	uint64_t t_ns;
	int from, to;
	int is_tcp;
	struct ip4_hdr ip;
	struct tcp_seg tcp;  /* tcp.data points into raw */
	uint8_t raw[1536];
	size_t len;
};

struct h_event {
	uint64_t t_ns;
	int host;
	struct sk_event ev;
};

struct h_mem {
	long long bytes;
	long long blocks;
};

struct h {
	struct sk_sim *sim;
	int nhosts;
	struct h_mem mem[H_MAX_HOSTS];
	struct h_pkt *pkts;
	int npkts, cap_pkts, next_pkt; /* pkts grows as packets come */
	struct h_event events[H_MAX_EVENTS];
	int nevents;
	int lost;              /* packets lost by the simulator */
	int no_capture;        /* set: sent packets are not kept (floods) */
};

/* A simulation with no hosts; seed fixed so runs repeat. */
struct h *h_new(void);
/* Adds a synack host at a.b.c.d with default knobs, then `knobs` applied
 * ("name=value" strings, NULL-terminated, may be NULL). Returns its number. */
int h_host(struct h *h, const char *name, uint32_t addr, const char *const *knobs);
/* Adds a raw host (a scripted peer). */
int h_raw(struct h *h, const char *name, uint32_t addr);
struct sk_stack *h_st(struct h *h, int host);
/* Frees everything; checks that every host's memory came back. */
void h_free(struct h *h);

void h_run_until(struct h *h, uint64_t t_ns);
void h_run_for(struct h *h, uint64_t d_ns);

/* The next captured packet (sent by any host), or fails the test. */
const struct h_pkt *h_next(struct h *h);
/* Asserts no further packet was captured. */
void h_no_more(struct h *h);
/* Number of captured packets not yet taken. */
int h_pending(const struct h *h);

/* Asserts the packet: time, sender, tcpdump-style flags ("S", "S.", ".",
 * "P.", "F.", "R", "R.", "FP." ...), seq, ack (ignored when the ACK flag is
 * off) and data length. */
void h_expect(const struct h_pkt *p, uint64_t t_ns, int from, const char *flags,
	      uint32_t seq, uint32_t ack, uint32_t len);
/* tcpdump's letters for a flags byte. */
const char *h_flags(uint8_t flags);

/* ---- sockets ---- */
/* A listening socket on `port`. */
int h_listen(struct h *h, int host, uint16_t port, int backlog);
/* socket + connect to addr:port; asserts -EINPROGRESS. */
int h_connect(struct h *h, int host, uint32_t addr, uint16_t port);
/* The socket's TCP state (TCP_INFO), or SK_TCP_CLOSE. */
int h_state(struct h *h, int host, int fd);
/* Sockets and connections the host still has (sk_foreach_socket). */
int h_nsockets(struct h *h, int host);
/* Last state the event log shows for (host, lport, rport) at or before now. */
int h_logged_state(const struct h *h, int host, uint16_t lport, uint16_t rport);
/* When host's connection (lport, rport) went old -> new; fails when the
 * log has no such change. */
uint64_t h_when(const struct h *h, int host, uint16_t lport, uint16_t rport, int old_state,
		int new_state);
/* Whether the log has host's transition old -> new for that port pair. */
int h_saw_transition(const struct h *h, int host, uint16_t lport, uint16_t rport,
		     int old_state, int new_state);

/* An IPv4 socket address (host byte order in, network order inside). */
struct sockaddr_in h_sin(uint32_t addr, uint16_t port);

/* Two synack hosts, client 10.0.0.1 and server 10.0.0.2, joined by a path
 * of `delay_ns` each way, with one connection to port `port` checked
 * segment by segment through its handshake (SYN at 0, SYN-ACK at one
 * delay, ACK at two), accepted, and the listener closed. */
struct h_pair {
	struct h *h;
	int c, s;          /* host numbers */
	int cfd, afd;      /* the client's socket, the accepted one */
	uint16_t cport;
	uint32_t c0, s0;   /* the first sequence number after each SYN */
};
void h_pair_open(struct h_pair *p, uint64_t delay_ns, uint16_t port, const char *const *cknobs,
		 const char *const *sknobs);

/* What `ss -tan` would list for a host (sk_foreach_socket), up to 64. */
struct h_listing {
	int n;
	struct sk_sockinfo e[64];
};
void h_list(struct h *h, int host, struct h_listing *l);
int h_count_state(const struct h_listing *l, int state);

/* ---- building packets for raw hosts ---- */
struct h_seg {
	uint32_t src, dst;
	uint16_t sport, dport;
	uint32_t seq, ack;
	uint8_t flags;
	uint16_t wnd;
	struct tcp_opts opts;
	const void *data;
	uint32_t len;
};
/* Sends a TCP segment from raw host `from`. */
void h_send(struct h *h, int from, const struct h_seg *s);
/* Takes the next packet delivered to raw host `host` (parsed), or fails. */
void h_take(struct h *h, int host, struct h_pkt *out);
/* Whether raw host `host` has a packet waiting. */
int h_has(struct h *h, int host);

#endif
