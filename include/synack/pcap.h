/* A pcap file writer for the packets a trace sees.
 *
 * Files are classic pcap (not pcapng) with nanosecond time stamps (magic
 * 0xa1b23c4d) and link type RAW (LINKTYPE_RAW, 101): each record is one
 * IPv4 packet with no link header. tcpdump 4.99 prints such records as
 * "IP ..." (and shows microseconds, truncating); tshark and Wireshark
 * open them as "Raw IP". */
#ifndef SYNACK_PCAP_H
#define SYNACK_PCAP_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define SK_PCAP_LINKTYPE_RAW 101
/* Records longer than this keep only their first SK_PCAP_SNAPLEN bytes
 * (libpcap's own limit, MAXIMUM_SNAPLEN). */
#define SK_PCAP_SNAPLEN 262144u

struct sk_pcap;

/* Creates (or truncates) the file at `path` and writes the file header.
 * Returns NULL with errno set on failure. */
struct sk_pcap *sk_pcap_open(const char *path);

/* Appends one packet seen at `t_ns` (nanoseconds; the file holds 32-bit
 * seconds, so t_ns must be below 2^32 s). Returns 0, -EOVERFLOW for a time
 * the format cannot hold, or -errno when writing fails. Output is
 * buffered: a reader sees it after sk_pcap_flush or sk_pcap_close. */
int sk_pcap_write(struct sk_pcap *p, uint64_t t_ns, const void *pkt, size_t len);

/* Pushes buffered records to the file. Returns 0 or -errno. */
int sk_pcap_flush(struct sk_pcap *p);

/* Flushes and closes the file, freeing `p` either way; NULL is fine.
 * Returns 0, or -errno when something failed since sk_pcap_open. */
int sk_pcap_close(struct sk_pcap *p);

#ifdef __cplusplus
}
#endif
#endif
