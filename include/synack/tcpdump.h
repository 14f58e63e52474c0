/* Packet lines in tcpdump's own text format.
 *
 * For an IPv4 packet (no link header) the line is byte for byte what
 * `tcpdump -nn -tt -r FILE` (tcpdump 4.99) prints for it, without the final
 * newline, FILE being a pcap with link type RAW (sk_pcap_open writes
 * those):
 *
 *   1.000000 IP 10.0.0.1.40000 > 10.0.0.2.80: Flags [S], seq 1234, win 64240,
 *   options [mss 1460,sackOK,TS val 100 ecr 0,nop,wscale 7], length 0
 *
 * (one line; wrapped here). Like tcpdump, a formatter shows TCP sequence
 * and acknowledgment numbers relative to the first ones it saw for each
 * conversation, which takes state: make one formatter per trace and give it
 * the packets in the order tcpdump would read them. The state grows by one
 * small entry per conversation and is never trimmed, as in tcpdump.
 *
 * Covered exactly (and checked against tcpdump on every build where it is
 * installed, see tests/unit/test_tcpdump_fmt.c): IPv4, including
 * truncated, bad-length, optioned and fragmented packets and IP in IP;
 * TCP with every option tcpdump decodes except MPTCP; the summaries
 * tcpdump adds after "length N" for HTTP (80, 8080), RTSP, FTP, SMTP,
 * WHOIS, SSH, telnet, BGP, BEEP and RPKI-RTR ports; ICMP. Not decoded (the
 * line stops where tcpdump would go on): TCP payloads to or from PPTP
 * 1723, Redis 6379, OpenFlow 6633/6653, DNS 53, MSDP 639, LDP 646 and NFS
 * 2049; the MPTCP option; UDP and the other protocols tcpdump dissects
 * (printed as "ip-proto-N LEN"); IPv6. A line never holds a newline.
 */
#ifndef SYNACK_TCPDUMP_H
#define SYNACK_TCPDUMP_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct sk_tcpdump;

/* A formatter with no conversations seen yet, printing relative sequence
 * numbers. Returns NULL when memory runs out. */
struct sk_tcpdump *sk_tcpdump_new(void);
/* Frees the formatter; NULL is fine. */
void sk_tcpdump_free(struct sk_tcpdump *td);
/* With `on` non-zero, print absolute sequence numbers (tcpdump -S). */
void sk_tcpdump_set_absolute(struct sk_tcpdump *td, int on);

/* Writes the line for the IPv4 packet `pkt` of `len` bytes captured at
 * `t_ns` (nanoseconds since the epoch of the trace; printed as seconds and
 * microseconds, truncated as libpcap truncates) into `out`, always
 * NUL-terminated when `cap` > 0, cut short when `cap` is too small.
 * Returns the length of the whole line, as snprintf does. If memory for a
 * new conversation runs out, the line is still right; later lines of that
 * conversation then show absolute numbers. */
size_t sk_tcpdump_line(struct sk_tcpdump *td, char *out, size_t cap, uint64_t t_ns,
		       const uint8_t *pkt, size_t len);

/* The same without state: absolute sequence numbers, as `tcpdump -S -nn -tt`
 * prints them. */
size_t sk_tcpdump_format(char *out, size_t cap, uint64_t t_ns, const uint8_t *pkt, size_t len);

#ifdef __cplusplus
}
#endif
#endif
