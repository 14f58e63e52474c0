/* Wire layer: parse bytes into validated structs, emit headers from structs.
 * No state, no time, no allocation. Addresses, ports and numbers in the
 * structs are in host byte order. Every parse function reads only inside
 * [buf, buf + len) and returns WIRE_OK or the reason the input is bad. */
#ifndef SYNACK_WIRE_H
#define SYNACK_WIRE_H

#include <stddef.h>
#include <stdint.h>

enum wire_err {
	WIRE_OK = 0,
	WIRE_TRUNCATED,      /* shorter than the fixed header */
	WIRE_BAD_VERSION,    /* IP version is not 4 */
	WIRE_BAD_IHL,        /* IHL < 5 or header past the buffer */
	WIRE_BAD_TOTAL_LEN,  /* total length < IHL or > buffer */
	WIRE_BAD_CSUM,       /* checksum does not verify */
	WIRE_FRAGMENT,       /* MF set or fragment offset non-zero */
	WIRE_BAD_DOFF,       /* TCP data offset < 5 or past the segment */
	WIRE_BAD_OPTION,     /* option length 0/1 or past the header */
	WIRE_BAD_ICMP,       /* ICMP message too short for its type */
};

/* Name of an error, e.g. "bad-csum". */
const char *wire_err_name(enum wire_err e);

/* ---- Internet checksum (RFC 1071) ---- */

/* Adds `len` bytes at `p` to a running 32-bit one's-complement sum. An odd
 * length is padded with a zero byte; call it with even lengths except for
 * the last piece. */
uint32_t csum_add(uint32_t sum, const void *p, size_t len);
/* Folds a running sum into the 16-bit checksum field value (complemented),
 * in network byte order ready to store with memcpy. */
uint16_t csum_fold(uint32_t sum);
/* The TCP/UDP pseudo-header sum for src, dst (host order), protocol and
 * the transport length. */
uint32_t csum_pseudo(uint32_t src, uint32_t dst, uint8_t proto, uint16_t len);

/* ---- IPv4 (RFC 791) ---- */

#define IP4_HDR_LEN 20
#define IP_PROTO_ICMP 1
#define IP_PROTO_TCP 6
#define IP4_DF 0x4000

struct ip4_hdr {
	uint8_t hdr_len;     /* bytes: 20..60 */
	uint8_t tos;
	uint16_t total_len;
	uint16_t id;
	uint16_t frag;       /* flags and fragment offset, as on the wire */
	uint8_t ttl;
	uint8_t proto;
	uint32_t src, dst;
	int has_options;     /* IHL > 5: options are skipped (and counted by the caller) */
};

/* Parses and validates an IPv4 header, including its checksum. On WIRE_OK
 * the payload is [pkt + hdr_len, pkt + total_len); trailing bytes past
 * total_len (link padding) are ignored. Fragments give WIRE_FRAGMENT. */
enum wire_err ip4_parse(const uint8_t *pkt, size_t len, struct ip4_hdr *h);
/* Writes a 20-byte header (no options) with total_len = 20 + payload_len
 * and its checksum; h->hdr_len and h->total_len are ignored. Returns 20. */
size_t ip4_emit(uint8_t *buf, const struct ip4_hdr *h, size_t payload_len);

/* ---- TCP (RFC 9293) ---- */

#define TCP_HDR_LEN 20
#define TCP_FIN 0x01
#define TCP_SYN 0x02
#define TCP_RST 0x04
#define TCP_PSH 0x08
#define TCP_ACK 0x10
#define TCP_URG 0x20
#define TCP_ECE 0x40
#define TCP_CWR 0x80

#define TCPOPT_EOL 0
#define TCPOPT_NOP 1
#define TCPOPT_MSS 2
#define TCPOPT_WSCALE 3
#define TCPOPT_SACK_PERM 4
#define TCPOPT_SACK 5
#define TCPOPT_TIMESTAMP 8

/* Which options a segment carries. */
#define TCP_HAS_MSS 0x01
#define TCP_HAS_WSCALE 0x02
#define TCP_HAS_SACK_PERM 0x04
#define TCP_HAS_TS 0x08
#define TCP_HAS_SACK 0x10

#define TCP_MAX_SACK 4

struct tcp_sack_block {
	uint32_t left, right;
};

struct tcp_opts {
	uint8_t has;         /* TCP_HAS_* bits */
	uint16_t mss;
	uint8_t wscale;      /* as sent; the receiver clamps it to 14 */
	uint32_t tsval, tsecr;
	uint8_t nsack;
	struct tcp_sack_block sack[TCP_MAX_SACK];
};

struct tcp_seg {
	uint16_t sport, dport;
	uint32_t seq, ack;
	uint8_t flags;       /* TCP_FIN ... TCP_CWR */
	uint16_t wnd;        /* as on the wire, not scaled */
	uint16_t urg;
	uint8_t hdr_len;     /* bytes: 20..60 */
	struct tcp_opts opts;
	const uint8_t *data; /* points into the parsed buffer */
	uint32_t data_len;
};

/* Parses a TCP segment of `len` bytes (header + data) that came from `src`
 * to `dst` (host order), verifying the checksum over the pseudo-header.
 * Unknown options are skipped by their length; a malformed option list
 * gives WIRE_BAD_OPTION. A MSS/WS/TS option with the wrong length is
 * WIRE_BAD_OPTION too. */
enum wire_err tcp_parse(const uint8_t *seg, size_t len, uint32_t src, uint32_t dst,
			struct tcp_seg *s);

/* Length of the option block `tcp_opts_emit` writes for `o`, a multiple of 4. */
size_t tcp_opts_len(const struct tcp_opts *o);
/* Writes the TCP header for `s` with options in the order Linux sends them
 * (tcp_options_write): MSS; then SACK_PERM+TS together when both (no NOPs),
 * else NOP,NOP,TS or NOP,NOP,SACK_PERM; then NOP,WSCALE; then NOP,NOP,SACK
 * blocks. s->hdr_len, s->data and s->data_len are ignored. The checksum
 * field is written as zero; the caller computes it over the pseudo-header,
 * header and data (tcp_csum_set). Returns the header length. */
size_t tcp_emit(uint8_t *buf, const struct tcp_seg *s);
/* Computes and stores the checksum of the TCP segment at `seg` (`len`
 * bytes of header + data, contiguous) sent from src to dst. */
void tcp_csum_set(uint8_t *seg, size_t len, uint32_t src, uint32_t dst);

/* ---- ICMP (RFC 792) ---- */

#define ICMP_ECHO_REPLY 0
#define ICMP_DEST_UNREACH 3
#define ICMP_ECHO 8
#define ICMP_TIME_EXCEEDED 11

#define ICMP_NET_UNREACH 0
#define ICMP_HOST_UNREACH 1
#define ICMP_PROT_UNREACH 2
#define ICMP_PORT_UNREACH 3
#define ICMP_FRAG_NEEDED 4

struct icmp_msg {
	uint8_t type, code;
	uint16_t id, seq;          /* echo and echo reply */
	uint16_t mtu;              /* dest unreach, code FRAG_NEEDED */
	const uint8_t *body;       /* echo: the data; errors: the quoted IP packet */
	size_t body_len;
	/* For errors quoting an IPv4+TCP packet (>= 8 bytes of TCP): */
	int has_quote;
	uint32_t q_src, q_dst;
	uint8_t q_proto;
	uint16_t q_sport, q_dport;
	uint32_t q_seq;
};

/* Parses an ICMP message (checksum verified). For DEST_UNREACH and
 * TIME_EXCEEDED the quoted IPv4 header is parsed leniently (its checksum is
 * not checked; it must fit) and, for TCP, the ports and sequence number. */
enum wire_err icmp_parse(const uint8_t *msg, size_t len, struct icmp_msg *m);
/* Writes an echo reply answering `req` into buf (room for 8 + body_len).
 * Returns its length. */
size_t icmp_emit_echo_reply(uint8_t *buf, const struct icmp_msg *req);
/* Writes a destination-unreachable message quoting the start of `orig`
 * (the offending IPv4 packet): its header and 8 bytes, as RFC 792 asks
 * (Linux quotes up to 576 bytes in all; we quote header + 8). Returns the
 * length; buf needs room for 8 + 60 + 8 bytes. */
size_t icmp_emit_unreach(uint8_t *buf, uint8_t code, const uint8_t *orig, size_t orig_len);

/* ---- big-endian helpers ---- */
static inline uint16_t get_be16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }
static inline uint32_t get_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}
static inline void put_be16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)(v >> 8); p[1] = (uint8_t)v; }
static inline void put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24); p[1] = (uint8_t)(v >> 16); p[2] = (uint8_t)(v >> 8); p[3] = (uint8_t)v;
}

#endif
