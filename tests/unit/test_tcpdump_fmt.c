/* The tcpdump formatter and the pcap writer (BEHAVIOR.md O2).
 *
 * Two kinds of checks: exact expected lines (they hold with or without
 * tcpdump installed), and the real thing: the same packets, plus a
 * seeded batch of mangled ones, written with sk_pcap_* and read back by
 * `tcpdump -nn -tt -r`, whose every line must equal ours. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "synack/pcap.h"
#include "synack/synack.h"
#include "synack/tcpdump.h"

#define TCPDUMP "/usr/bin/tcpdump"

/* ---- packet building, independent of the wire layer ---- */

#define F_FIN 0x01
#define F_SYN 0x02
#define F_RST 0x04
#define F_PSH 0x08
#define F_ACK 0x10
#define F_URG 0x20

struct pkt {
	uint64_t t_ns;
	uint8_t b[1600];
	size_t len;
};

static void be16_put(uint8_t *p, uint32_t v) { p[0] = (uint8_t)(v >> 8); p[1] = (uint8_t)v; }
static void be32_put(uint8_t *p, uint32_t v) { be16_put(p, v >> 16); be16_put(p + 2, v); }

static uint32_t sum16(const uint8_t *p, size_t n, uint32_t sum)
{
	for (size_t i = 0; i < n; i += 2)
		sum += (uint32_t)p[i] << 8 | (i + 1 < n ? p[i + 1] : 0);
	return sum;
}

static uint16_t fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* A 20-byte IPv4 header for `payload` bytes, checksum included. */
static void ip_hdr(uint8_t *b, uint32_t src, uint32_t dst, uint8_t proto, size_t payload)
{
	memset(b, 0, 20);
	b[0] = 0x45;
	be16_put(b + 2, (uint32_t)(20 + payload));
	be16_put(b + 6, 0x4000); /* DF */
	b[8] = 64;
	b[9] = proto;
	be32_put(b + 12, src);
	be32_put(b + 16, dst);
	be16_put(b + 10, fold(sum16(b, 20, 0)));
}

struct seg {
	uint32_t src, dst;
	uint16_t sport, dport;
	uint32_t seq, ack;
	uint8_t flags;
	uint16_t win;
	const char *opts; /* raw option bytes, a multiple of 4 */
	size_t optlen;
	const char *data;
	size_t dlen;
};

static void mk_tcp(struct pkt *p, uint64_t t_ns, const struct seg *s)
{
	uint8_t *t = p->b + 20;
	size_t hl = 20 + s->optlen, tl = hl + s->dlen;

	p->t_ns = t_ns;
	memset(t, 0, 20);
	be16_put(t, s->sport);
	be16_put(t + 2, s->dport);
	be32_put(t + 4, s->seq);
	be32_put(t + 8, s->ack);
	t[12] = (uint8_t)(hl / 4 << 4);
	t[13] = s->flags;
	be16_put(t + 14, s->win);
	if (s->optlen)
		memcpy(t + 20, s->opts, s->optlen);
	if (s->dlen)
		memcpy(t + hl, s->data, s->dlen);
	uint8_t ph[12];
	be32_put(ph, s->src);
	be32_put(ph + 4, s->dst);
	ph[8] = 0;
	ph[9] = 6;
	be16_put(ph + 10, (uint32_t)tl);
	be16_put(t + 16, fold(sum16(t, tl, sum16(ph, 12, 0))));
	ip_hdr(p->b, s->src, s->dst, 6, tl);
	p->len = 20 + tl;
}

static void mk_icmp(struct pkt *p, uint64_t t_ns, uint32_t src, uint32_t dst, uint8_t type,
		    uint8_t code, uint32_t rest, const uint8_t *body, size_t blen)
{
	uint8_t *m = p->b + 20;

	p->t_ns = t_ns;
	m[0] = type;
	m[1] = code;
	be16_put(m + 2, 0);
	be32_put(m + 4, rest);
	if (blen)
		memcpy(m + 8, body, blen);
	be16_put(m + 2, fold(sum16(m, 8 + blen, 0)));
	ip_hdr(p->b, src, dst, 1, 8 + blen);
	p->len = 28 + blen;
}

#define A1 SK_IP(10, 0, 0, 1)
#define A2 SK_IP(10, 0, 0, 2)
#define A3 SK_IP(10, 0, 0, 3)
#define A4 SK_IP(10, 0, 0, 4)
#define A9 SK_IP(10, 0, 0, 9)

/* Linux's SYN options: MSS, SACK-permitted + timestamps, NOP + window scale. */
#define SYN_OPTS(tsval, tsecr) \
	"\x02\x04\x05\xb4\x04\x02\x08\x0a" tsval tsecr "\x01\x03\x03\x07"
#define TS_OPTS(tsval, tsecr) "\x01\x01\x08\x0a" tsval tsecr
#define OPT(s) s, sizeof(s) - 1
#define NOOPT NULL, 0
#define NODATA NULL, 0

/* ---- the trace: one connection's life and its neighbours ---- */

struct expect {
	struct pkt p;
	const char *line;  /* relative numbers (tcpdump's default) */
	const char *sline; /* with -S, when it differs */
};

#define MAX_TRACE 96
static struct expect trace[MAX_TRACE];
static size_t ntrace;

static struct pkt *next_pkt(const char *line, const char *sline)
{
	assert_true(ntrace < MAX_TRACE);
	trace[ntrace].line = line;
	trace[ntrace].sline = sline;
	return &trace[ntrace++].p;
}

#define SEC(s) ((uint64_t)(s) * SK_NS_PER_S)

static void tcp_at(uint64_t t, const struct seg *s, const char *line, const char *sline)
{
	mk_tcp(next_pkt(line, sline), t, s);
}

/* The handshake, an HTTP exchange, a SACK and the four-way close of
 * 10.0.0.1:40000 -> 10.0.0.2:80. */
static void trace_http(void)
{
	static const char resp[100] = { 0, 1, 2 };
	uint64_t t = SEC(1);

	tcp_at(t, &(struct seg){ A1, A2, 40000, 80, 1234, 0, F_SYN, 64240,
				  OPT(SYN_OPTS("\0\0\0\x64", "\0\0\0\0")), NULL, 0 },
	       "1.000000 IP 10.0.0.1.40000 > 10.0.0.2.80: Flags [S], seq 1234, win 64240, "
	       "options [mss 1460,sackOK,TS val 100 ecr 0,nop,wscale 7], length 0", NULL);
	tcp_at(t + 1000, &(struct seg){ A2, A1, 80, 40000, 5000, 1235, F_SYN | F_ACK, 65160,
					OPT(SYN_OPTS("\0\0\0\xc8", "\0\0\0\x64")), NULL, 0 },
	       "1.000001 IP 10.0.0.2.80 > 10.0.0.1.40000: Flags [S.], seq 5000, ack 1235, win 65160, "
	       "options [mss 1460,sackOK,TS val 200 ecr 100,nop,wscale 7], length 0", NULL);
	tcp_at(t + 2999, &(struct seg){ A1, A2, 40000, 80, 1235, 5001, F_ACK, 502,
					OPT(TS_OPTS("\0\0\0\x65", "\0\0\0\xc8")), NULL, 0 },
	       "1.000002 IP 10.0.0.1.40000 > 10.0.0.2.80: Flags [.], ack 1, win 502, "
	       "options [nop,nop,TS val 101 ecr 200], length 0",
	       "1.000002 IP 10.0.0.1.40000 > 10.0.0.2.80: Flags [.], ack 5001, win 502, "
	       "options [nop,nop,TS val 101 ecr 200], length 0");
	tcp_at(t + 3000, &(struct seg){ A1, A2, 40000, 80, 1235, 5001, F_PSH | F_ACK, 502,
					OPT(TS_OPTS("\0\0\0\x65", "\0\0\0\xc8")),
					OPT("GET / HTTP/1.1\r\nHost: b\r\n\r\n") },
	       "1.000003 IP 10.0.0.1.40000 > 10.0.0.2.80: Flags [P.], seq 1:28, ack 1, win 502, "
	       "options [nop,nop,TS val 101 ecr 200], length 27: HTTP: GET / HTTP/1.1",
	       "1.000003 IP 10.0.0.1.40000 > 10.0.0.2.80: Flags [P.], seq 1235:1262, ack 5001, "
	       "win 502, options [nop,nop,TS val 101 ecr 200], length 27: HTTP: GET / HTTP/1.1");
	tcp_at(t + 4000, &(struct seg){ A2, A1, 80, 40000, 5001, 1262, F_PSH | F_ACK, 509,
					NULL, 0, resp, sizeof resp },
	       "1.000004 IP 10.0.0.2.80 > 10.0.0.1.40000: Flags [P.], seq 1:101, ack 28, win 509, "
	       "length 100: HTTP",
	       "1.000004 IP 10.0.0.2.80 > 10.0.0.1.40000: Flags [P.], seq 5001:5101, ack 1262, "
	       "win 509, length 100: HTTP");
	/* A SACK block is printed relative to the peer's first number. */
	tcp_at(t + 5000, &(struct seg){ A1, A2, 40000, 80, 1262, 5101, F_ACK, 502,
					OPT("\x01\x01\x05\x0a\0\0\x14\x51\0\0\x14\xb5"), NULL, 0 },
	       "1.000005 IP 10.0.0.1.40000 > 10.0.0.2.80: Flags [.], ack 101, win 502, "
	       "options [nop,nop,sack 1 {201:301}], length 0",
	       "1.000005 IP 10.0.0.1.40000 > 10.0.0.2.80: Flags [.], ack 5101, win 502, "
	       "options [nop,nop,sack 1 {5201:5301}], length 0");
	tcp_at(t + 6000, &(struct seg){ A2, A1, 80, 40000, 5101, 1262, F_FIN | F_ACK, 509, NOOPT, NODATA },
	       "1.000006 IP 10.0.0.2.80 > 10.0.0.1.40000: Flags [F.], seq 101, ack 28, win 509, "
	       "length 0",
	       "1.000006 IP 10.0.0.2.80 > 10.0.0.1.40000: Flags [F.], seq 5101, ack 1262, win 509, "
	       "length 0");
	tcp_at(t + 7000, &(struct seg){ A1, A2, 40000, 80, 1262, 5102, F_FIN | F_ACK, 502, NOOPT, NODATA },
	       "1.000007 IP 10.0.0.1.40000 > 10.0.0.2.80: Flags [F.], seq 28, ack 102, win 502, "
	       "length 0",
	       "1.000007 IP 10.0.0.1.40000 > 10.0.0.2.80: Flags [F.], seq 1262, ack 5102, win 502, "
	       "length 0");
	tcp_at(t + 8000, &(struct seg){ A2, A1, 80, 40000, 5102, 1263, F_ACK, 509, NOOPT, NODATA },
	       "1.000008 IP 10.0.0.2.80 > 10.0.0.1.40000: Flags [.], ack 29, win 509, length 0",
	       "1.000008 IP 10.0.0.2.80 > 10.0.0.1.40000: Flags [.], ack 1263, win 509, length 0");
}

/* Resets, a conversation joined mid-stream, a self-connect, odd flags. */
static void trace_tcp_misc(void)
{
	uint64_t t = SEC(2) + 123456789; /* microseconds are truncated, not rounded */

	/* H12: SYN to a closed port, answered by RST-ACK (ack = ISN + 1). */
	tcp_at(t, &(struct seg){ A1, A2, 40001, 81, 777, 0, F_SYN, 64240, NOOPT, NODATA },
	       "2.123456 IP 10.0.0.1.40001 > 10.0.0.2.81: Flags [S], seq 777, win 64240, length 0",
	       NULL);
	tcp_at(t, &(struct seg){ A2, A1, 81, 40001, 0, 778, F_RST | F_ACK, 0, NOOPT, NODATA },
	       "2.123456 IP 10.0.0.2.81 > 10.0.0.1.40001: Flags [R.], seq 0, ack 778, win 0, length 0",
	       NULL);
	/* A RST without ACK keeps no state and shows its number as is. */
	tcp_at(t, &(struct seg){ A1, A2, 40000, 80, 1263, 0, F_RST, 0, NOOPT, NODATA },
	       "2.123456 IP 10.0.0.1.40000 > 10.0.0.2.80: Flags [R], seq 1263, win 0, length 0", NULL);
	/* Mid-stream: the first segment seen sets the base. */
	tcp_at(t, &(struct seg){ A3, A4, 6000, 5000, 100000, 200000, F_PSH | F_ACK, 1000,
				  NULL, 0, OPT("0123456789") },
	       "2.123456 IP 10.0.0.3.6000 > 10.0.0.4.5000: Flags [P.], seq 100000:100010, "
	       "ack 200000, win 1000, length 10", NULL);
	tcp_at(t, &(struct seg){ A3, A4, 6000, 5000, 100010, 200000, F_PSH | F_ACK, 1000,
				  NULL, 0, OPT("0123456789") },
	       "2.123456 IP 10.0.0.3.6000 > 10.0.0.4.5000: Flags [P.], seq 10:20, ack 1, "
	       "win 1000, length 10",
	       "2.123456 IP 10.0.0.3.6000 > 10.0.0.4.5000: Flags [P.], seq 100010:100020, "
	       "ack 200000, win 1000, length 10");
	tcp_at(t, &(struct seg){ A4, A3, 5000, 6000, 200000, 100020, F_ACK, 2000, NOOPT, NODATA },
	       "2.123456 IP 10.0.0.4.5000 > 10.0.0.3.6000: Flags [.], ack 20, win 2000, length 0",
	       "2.123456 IP 10.0.0.4.5000 > 10.0.0.3.6000: Flags [.], ack 100020, win 2000, length 0");
	/* H10 self-connect: both directions are the same conversation. */
	tcp_at(t, &(struct seg){ A1, A1, 5555, 5555, 42, 0, F_SYN, 100, NOOPT, NODATA },
	       "2.123456 IP 10.0.0.1.5555 > 10.0.0.1.5555: Flags [S], seq 42, win 100, length 0", NULL);
	tcp_at(t, &(struct seg){ A1, A1, 5555, 5555, 42, 43, F_SYN | F_ACK, 100, NOOPT, NODATA },
	       "2.123456 IP 10.0.0.1.5555 > 10.0.0.1.5555: Flags [S.], seq 42, ack 43, win 100, "
	       "length 0", NULL);
	tcp_at(t, &(struct seg){ A1, A1, 5555, 5555, 43, 43, F_ACK, 100, NOOPT, NODATA },
	       "2.123456 IP 10.0.0.1.5555 > 10.0.0.1.5555: Flags [.], ack 1, win 100, length 0",
	       "2.123456 IP 10.0.0.1.5555 > 10.0.0.1.5555: Flags [.], ack 43, win 100, length 0");
	tcp_at(t, &(struct seg){ A1, A2, 40002, 22, 9, 9, 0xff, 7, NULL, 0, OPT("SSH-2.0-x\r\n") },
	       "2.123456 IP 10.0.0.1.40002 > 10.0.0.2.22: Flags [FSRP.UEW], seq 9:20, ack 9, win 7, "
	       "urg 0, length 11: SSH: SSH-2.0-x", NULL);
	tcp_at(t, &(struct seg){ A1, A2, 40003, 8080, 9, 9, 0, 7, NOOPT, NODATA },
	       "2.123456 IP 10.0.0.1.40003 > 10.0.0.2.8080: Flags [none], win 7, length 0", NULL);
}

static void trace_icmp(void)
{
	uint8_t quote[28], echo[56];
	struct pkt q;

	/* The packet an ICMP error quotes: its IP header and 8 bytes. */
	mk_tcp(&q, 0, &(struct seg){ A1, A2, 40000, 80, 1, 0, F_SYN, 64240, NOOPT, NODATA });
	memcpy(quote, q.b, sizeof quote);
	for (size_t i = 0; i < sizeof echo; i++)
		echo[i] = (uint8_t)i;

	mk_icmp(next_pkt("3.000000 IP 10.0.0.9 > 10.0.0.1: ICMP 10.0.0.2 tcp port 80 unreachable, "
			 "length 36", NULL),
		SEC(3), A9, A1, 3, 3, 0, quote, sizeof quote);
	mk_icmp(next_pkt("3.000000 IP 10.0.0.9 > 10.0.0.1: ICMP host 10.0.0.2 unreachable, "
			 "length 36", NULL),
		SEC(3), A9, A1, 3, 1, 0, quote, sizeof quote);
	mk_icmp(next_pkt("3.000000 IP 10.0.0.9 > 10.0.0.1: ICMP 10.0.0.2 unreachable - need to "
			 "frag (mtu 1400), length 36", NULL),
		SEC(3), A9, A1, 3, 4, 1400, quote, sizeof quote);
	mk_icmp(next_pkt("3.000000 IP 10.0.0.2 > 10.0.0.1: ICMP echo request, id 1, seq 7, "
			 "length 64", NULL),
		SEC(3), A2, A1, 8, 0, 0x00010007, echo, sizeof echo);
	mk_icmp(next_pkt("3.000000 IP 10.0.0.1 > 10.0.0.2: ICMP echo reply, id 1, seq 7, "
			 "length 64", NULL),
		SEC(3), A1, A2, 0, 0, 0x00010007, echo, sizeof echo);
	mk_icmp(next_pkt("3.000000 IP 10.0.0.9 > 10.0.0.1: ICMP time exceeded in-transit, "
			 "length 36", NULL),
		SEC(3), A9, A1, 11, 0, 0, quote, sizeof quote);
}

/* Damaged packets: tcpdump shows what it can and marks the rest. */
static void trace_broken(void)
{
	struct pkt *p;

	/* Captured short of its IP total length, in the middle of the options. */
	p = next_pkt("4.000000 IP truncated-ip - 14 bytes missing! 10.0.0.1.40000 > 10.0.0.2.80: "
		     "Flags [S], seq 1234, win 64240, options [mss 1460,sackOK, [|tcp]", NULL);
	mk_tcp(p, SEC(4), &(struct seg){ A1, A2, 40000, 80, 1234, 0, F_SYN, 64240,
					  OPT(SYN_OPTS("\0\0\0\x64", "\0\0\0\0")), NULL, 0 });
	p->len -= 14;
	/* A data offset past the segment. */
	p = next_pkt("4.000000 IP 10.0.0.1.40000 > 10.0.0.2.80: Flags [S] [bad hdr length 60 - "
		     "too long, > 20]", NULL);
	mk_tcp(p, SEC(4), &(struct seg){ A1, A2, 40000, 80, 1234, 0, F_SYN, 64240, NOOPT, NODATA });
	p->b[32] = 0xf0;
	/* An option claiming more room than is left. */
	p = next_pkt("4.000000 IP 10.0.0.1.40000 > 10.0.0.2.80: Flags [S], seq 1, win 9, "
		     "options [nop,[bad opt]]", NULL);
	mk_tcp(p, SEC(4), &(struct seg){ A1, A2, 40000, 80, 1, 0, F_SYN, 9,
					  OPT("\x01\x02\x09\x00"), NODATA });
	/* An IPv4 header cut short. */
	p = next_pkt("4.000000 IP  [|ip]", NULL);
	mk_tcp(p, SEC(4), &(struct seg){ A1, A2, 40000, 80, 1, 0, F_SYN, 9, NOOPT, NODATA });
	p->len = 12;
}

/* What tcpdump adds after "length N" for the ports it knows. */
static void trace_payloads(void)
{
	static const struct {
		uint16_t port;
		const char *data;
		size_t dlen;
		const char *line;
	} cases[] = {
		{ 80, OPT("HTTP/1.1 404 Not Found\r\n"),
		  "5.000000 IP 10.0.0.1.41000 > 10.0.0.2.80: Flags [P.], seq "
		  "1:25, ack 1, win 512, length 24: HTTP: HTTP/1.1 404 Not "
		  "Found" },
		{ 80, OPT("GET /no-line-end"),
		  "5.000000 IP 10.0.0.1.41001 > 10.0.0.2.80: Flags [P.], seq "
		  "1:17, ack 1, win 512, length 16: HTTP: GET /no-line-end "
		  "[|http]" },
		{ 8080, OPT("BREW /pot HTTP/1.1\r\n"),
		  "5.000000 IP 10.0.0.1.41002 > 10.0.0.2.8080: Flags [P.], seq "
		  "1:21, ack 1, win 512, length 20: HTTP" },
		{ 21, OPT("220 ready\r\n"),
		  "5.000000 IP 10.0.0.1.41003 > 10.0.0.2.21: Flags [P.], seq "
		  "1:12, ack 1, win 512, length 11: FTP: 220 ready" },
		{ 25, OPT("EHLO x\n"),
		  "5.000000 IP 10.0.0.1.41004 > 10.0.0.2.25: Flags [P.], seq "
		  "1:8, ack 1, win 512, length 7: SMTP: EHLO x" },
		{ 43, OPT("example.com\r\n"),
		  "5.000000 IP 10.0.0.1.41005 > 10.0.0.2.43: Flags [P.], seq "
		  "1:14, ack 1, win 512, length 13: WHOIS: example.com" },
		{ 554, OPT("RTSP/1.0 200 OK\r\n"),
		  "5.000000 IP 10.0.0.1.41006 > 10.0.0.2.554: Flags [P.], seq "
		  "1:18, ack 1, win 512, length 17: RTSP: RTSP/1.0 200 OK" },
		{ 22, OPT("SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n"),
		  "5.000000 IP 10.0.0.1.41007 > 10.0.0.2.22: Flags [P.], seq "
		  "1:33, ack 1, win 512, length 32: SSH: SSH-2.0-OpenSSH_9.2p1 "
		  "Debian-2" },
		{ 22, OPT("\0\0\x01\x0c\x0a\x14"),
		  "5.000000 IP 10.0.0.1.41008 > 10.0.0.2.22: Flags [P.], seq "
		  "1:7, ack 1, win 512, length 6" },
		{ 23, OPT("\xff\xfb\x01\xff\xfd\x03\xff\xfa\x18\x01\xff\xf0\xff\xf6"),
		  "5.000000 IP 10.0.0.1.41009 > 10.0.0.2.23: Flags [P.], seq "
		  "1:15, ack 1, win 512, length 14 [telnet WILL ECHO, DO "
		  "SUPPRESS GO AHEAD, SB TERMINAL TYPE SEND SE, AYT]" },
		{ 23, OPT("login: "),
		  "5.000000 IP 10.0.0.1.41010 > 10.0.0.2.23: Flags [P.], seq "
		  "1:8, ack 1, win 512, length 7" },
		{ 179, OPT("\xff\xff"),
		  "5.000000 IP 10.0.0.1.41011 > 10.0.0.2.179: Flags [P.], seq "
		  "1:3, ack 1, win 512, length 2: BGP" },
		{ 323, OPT("x"),
		  "5.000000 IP 10.0.0.1.41012 > 10.0.0.2.323: Flags [P.], seq "
		  "1:2, ack 1, win 512, length 1, RPKI-RTR" },
		{ 10288, OPT("RPY 0 0 . 0 5\r\n"),
		  "5.000000 IP 10.0.0.1.41013 > 10.0.0.2.10288: Flags [P.], "
		  "seq 1:16, ack 1, win 512, length 15 BEEP RPY" },
		{ 445, OPT("\0\0\0\x10"),
		  "5.000000 IP 10.0.0.1.41014 > 10.0.0.2.445: Flags [P.], seq "
		  "1:5, ack 1, win 512, length 4" },
	};

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
		tcp_at(SEC(5) + i, &(struct seg){ A1, A2, (uint16_t)(41000 + i), cases[i].port, 1, 1,
					     F_PSH | F_ACK, 512, NOOPT, cases[i].data, cases[i].dlen },
		       cases[i].line, NULL);
}

/* Every TCP option tcpdump decodes, and damaged ones. */
static void trace_options(void)
{
	static const struct {
		const char *opts;
		size_t len;
		const char *line;
	} cases[] = {
		{ OPT("\x13\x12" "0123456789abcdef\x01\x01"), /* TCP-MD5 */
		  "6.000000 IP 10.0.0.1.42000 > 10.0.0.2.443: Flags [S], seq "
		  "7, win 1024, options [md5 shared secret not supplied with "
		  "-M, can't check - "
		  "30313233343536373839616263646566,nop,nop], length 0" },
		{ OPT("\x1c\x04\x80\x05"), /* user timeout */
		  "6.000000 IP 10.0.0.1.42000 > 10.0.0.2.443: Flags [S], seq "
		  "7, win 1024, options [uto 0x8005 983160], length 0" },
		{ OPT("\x22\x02\x01\x01"), /* fast open request */
		  "6.000000 IP 10.0.0.1.42000 > 10.0.0.2.443: Flags [S], seq "
		  "7, win 1024, options [tfo  cookiereq,nop,nop], length 0" },
		{ OPT("\x22\x0a" "abcdefgh\x01\x01"), /* fast open cookie */
		  "6.000000 IP 10.0.0.1.42000 > 10.0.0.2.443: Flags [S], seq "
		  "7, win 1024, options [tfo  cookie "
		  "6162636465666768,nop,nop], length 0" },
		{ OPT("\xfe\x04\xf9\x89"), /* experimental TFO */
		  "6.000000 IP 10.0.0.1.42000 > 10.0.0.2.443: Flags [S], seq "
		  "7, win 1024, options [exp-tfo cookiereq], length 0" },
		{ OPT("\xfe\x06\x12\x34\0\0\x01\x01"),
		  "6.000000 IP 10.0.0.1.42000 > 10.0.0.2.443: Flags [S], seq "
		  "7, win 1024, options [exp-1234,nop,nop], length 0" },
		{ OPT("\x1d\x06\x01\x02\xaa\xbb\x01\x01"), /* TCP-AO */
		  "6.000000 IP 10.0.0.1.42000 > 10.0.0.2.443: Flags [S], seq "
		  "7, win 1024, options [tcp-ao keyid 1 rnextkeyid 2 mac "
		  "0xaabb,nop,nop], length 0" },
		{ OPT("\x14\x04\x0f\x02"), /* SCPS */
		  "6.000000 IP 10.0.0.1.42000 > 10.0.0.2.443: Flags [S], seq "
		  "7, win 1024, options [scps cap 0f id 2], length 0" },
		{ OPT("\x06\x06\0\0\0\x07\x0d\x06\0\0\0\x08"), /* echo, CC.ECHO */
		  "6.000000 IP 10.0.0.1.42000 > 10.0.0.2.443: Flags [S], seq "
		  "7, win 1024, options [echo 7, 8], length 0" },
		{ OPT("\x63\x04\xde\xad\x63\x02\x01\x01"), /* unknown */
		  "6.000000 IP 10.0.0.1.42000 > 10.0.0.2.443: Flags [S], seq "
		  "7, win 1024, options [unknown-99 "
		  "0xdead,unknown-99,nop,nop], length 0" },
		{ OPT("\x02\x06\x05\xb4\0\0\x01\x01"), /* MSS claiming 6 */
		  "6.000000 IP 10.0.0.1.42000 > 10.0.0.2.443: Flags [S], seq "
		  "7, win 1024, options [mss 1460[len 6],eol], length 0" },
		{ OPT("\x05\x07\0\0\0\0\0\x01\x01\x01\x01\x01"), /* SACK, bad size */
		  "6.000000 IP 10.0.0.1.42000 > 10.0.0.2.443: Flags [S], seq "
		  "7, win 1024, options [sack invalid "
		  "sack,nop,nop,nop,nop,nop], length 0" },
		{ OPT("\x01\x00\x02\x04"), /* EOL ends the list */
		  "6.000000 IP 10.0.0.1.42000 > 10.0.0.2.443: Flags [S], seq "
		  "7, win 1024, options [nop,eol], length 0" },
		{ OPT("\x08\x01\x01\x01"), /* length 1 */
		  "6.000000 IP 10.0.0.1.42000 > 10.0.0.2.443: Flags [S], seq "
		  "7, win 1024, options [[bad opt]" },
	};

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
		tcp_at(SEC(6) + i, &(struct seg){ A1, A2, 42000, 443, 7, 0, F_SYN, 1024,
					     cases[i].opts, cases[i].len, NODATA },
		       cases[i].line, NULL);
}

/* The other ICMP messages tcpdump names. */
static void trace_icmp_more(void)
{
	static const uint8_t radv[16] = { 10, 0, 0, 1, 0, 0, 0, 5, 10, 0, 0, 2, 0, 0, 0, 9 };
	static const uint8_t stamps[12] = { 0, 0, 0, 1, 0x03, 0x2a, 0x59, 0x81,
					    0x05, 0x26, 0x5c, 0x00 };
	static const uint8_t mask[4] = { 0xff, 0xff, 0xff, 0 };
	uint8_t quote[28];
	struct pkt q;

	mk_tcp(&q, 0, &(struct seg){ A1, A2, 40000, 80, 1, 0, F_SYN, 64240, NOOPT, NODATA });
	memcpy(quote, q.b, sizeof quote);

	mk_icmp(next_pkt("7.000000 IP 10.0.0.9 > 10.0.0.1: ICMP redirect 10.0.0.2 to host "
			 "10.0.0.3, length 36", NULL),
		SEC(7), A9, A1, 5, 1, A3, quote, sizeof quote);
	mk_icmp(next_pkt("7.000000 IP 10.0.0.9 > 10.0.0.1: ICMP parameter problem - octet 20, "
			 "length 36", NULL),
		SEC(7), A9, A1, 12, 0, 0x14000000, quote, sizeof quote);
	mk_icmp(next_pkt("7.000000 IP 10.0.0.9 > 10.0.0.1: ICMP host 10.0.0.2 unreachable - "
			 "admin prohibited filter, length 36", NULL),
		SEC(7), A9, A1, 3, 13, 0, quote, sizeof quote);
	mk_icmp(next_pkt("7.000000 IP 10.0.0.9 > 10.0.0.1: ICMP 10.0.0.2 protocol 6 unreachable, "
			 "length 36", NULL),
		SEC(7), A9, A1, 3, 2, 0, quote, sizeof quote);
	mk_icmp(next_pkt("7.000000 IP 10.0.0.9 > 10.0.0.1: ICMP ip reassembly time exceeded, "
			 "length 36", NULL),
		SEC(7), A9, A1, 11, 1, 0, quote, sizeof quote);
	mk_icmp(next_pkt("7.000000 IP 10.0.0.9 > 10.0.0.1: ICMP router advertisement lifetime "
			 "30:00 2: {10.0.0.1 5} {10.0.0.2 9}, length 24", NULL),
		SEC(7), A9, A1, 9, 0, 0x02020708, radv, sizeof radv);
	/* Milliseconds since midnight; tcpdump does not wrap at 24 h. */
	mk_icmp(next_pkt("7.000000 IP 10.0.0.2 > 10.0.0.1: ICMP time stamp reply id 5 seq 6: org "
			 "00:00:00.001, recv 14:45:07.073, xmit 24:00:00.000, length 20", NULL),
		SEC(7), A2, A1, 14, 0, 0x00050006, stamps, sizeof stamps);
	mk_icmp(next_pkt("7.000000 IP 10.0.0.2 > 10.0.0.1: ICMP address mask is 0xffffff00, "
			 "length 12", NULL),
		SEC(7), A2, A1, 18, 0, 0, mask, sizeof mask);
	mk_icmp(next_pkt("7.000000 IP 10.0.0.2 > 10.0.0.1: ICMP source quench, length 36", NULL),
		SEC(7), A2, A1, 4, 0, 0, quote, sizeof quote);
	mk_icmp(next_pkt("7.000000 IP 10.0.0.2 > 10.0.0.1: ICMP type-#42, length 8", NULL),
		SEC(7), A2, A1, 42, 0, 0, NULL, 0);
}

/* IP headers tcpdump comments on. */
static void trace_ip(void)
{
	const struct seg ack = { A1, A2, 1, 2, 3, 4, F_ACK, 5, NOOPT, OPT("data") };
	struct pkt *p, inner;

	/* A fragment after the first: no ports to show. */
	p = next_pkt("8.000000 IP 10.0.0.1 > 10.0.0.2: ip-proto-6", NULL);
	mk_tcp(p, SEC(8), &ack);
	be16_put(p->b + 6, 0x0010);
	/* Link padding after the IP total length is ignored. */
	p = next_pkt("8.000000 IP 10.0.0.1.1 > 10.0.0.2.2: Flags [P.], seq 3:7, ack 4, win 5, "
		     "length 4", NULL);
	mk_tcp(p, SEC(8), &ack);
	p->b[33] |= F_PSH;
	memset(p->b + p->len, 0, 6);
	p->len += 6;
	/* IP in IP. */
	mk_tcp(&inner, 0, &(struct seg){ A3, A4, 1, 2, 3, 0, F_SYN, 5, NOOPT, NODATA });
	p = next_pkt("8.000000 IP 10.0.0.1 > 10.0.0.2: IP 10.0.0.3.1 > 10.0.0.4.2: Flags [S], "
		     "seq 3, win 5, length 0", NULL);
	p->t_ns = SEC(8);
	memcpy(p->b + 20, inner.b, inner.len);
	ip_hdr(p->b, A1, A2, 4, inner.len);
	p->len = 20 + inner.len;
	/* An unknown transport. */
	p = next_pkt("8.000000 IP 10.0.0.1 > 10.0.0.2:  ip-proto-200 10", NULL);
	p->t_ns = SEC(8);
	ip_hdr(p->b, A1, A2, 200, 10);
	memset(p->b + 20, 0, 10);
	p->len = 30;
	/* A header length under 20; a total length under the header's. */
	p = next_pkt("8.000000 IP bad-hlen 16", NULL);
	mk_tcp(p, SEC(8), &ack);
	p->b[0] = 0x44;
	p = next_pkt("8.000000 IP bad-len 12", NULL);
	mk_tcp(p, SEC(8), &ack);
	be16_put(p->b + 2, 12);
}

static void build_trace(void)
{
	ntrace = 0;
	trace_http();
	trace_tcp_misc();
	trace_icmp();
	trace_broken();
	trace_payloads();
	trace_options();
	trace_icmp_more();
	trace_ip();
}

/* ---- exact lines ---- */

/* The formatter of the running test, freed by the teardown even when an
 * assertion fails halfway. */
static struct sk_tcpdump *td;

static int free_td(void **state)
{
	(void)state;
	sk_tcpdump_free(td);
	td = NULL;
	return 0;
}

static void test_trace_relative(void **state)
{
	(void)state;
	char line[512];

	td = sk_tcpdump_new();
	assert_non_null(td);

	build_trace();
	for (size_t i = 0; i < ntrace; i++) {
		const struct pkt *p = &trace[i].p;
		size_t n = sk_tcpdump_line(td, line, sizeof line, p->t_ns, p->b, p->len);
		assert_string_equal(line, trace[i].line);
		assert_int_equal(n, strlen(trace[i].line));
	}
}

static void test_trace_absolute(void **state)
{
	(void)state;
	char line[512];

	td = sk_tcpdump_new();
	assert_non_null(td);
	sk_tcpdump_set_absolute(td, 1);

	build_trace();
	for (size_t i = 0; i < ntrace; i++) {
		const struct pkt *p = &trace[i].p;
		const char *want = trace[i].sline ? trace[i].sline : trace[i].line;
		sk_tcpdump_format(line, sizeof line, p->t_ns, p->b, p->len);
		assert_string_equal(line, want);
		sk_tcpdump_line(td, line, sizeof line, p->t_ns, p->b, p->len);
		assert_string_equal(line, want);
	}
}

/* snprintf's contract: the full length back, a cut but terminated line. */
static void test_small_buffer(void **state)
{
	(void)state;
	char full[512], small[16];

	build_trace();
	const struct pkt *p = &trace[0].p;
	size_t n = sk_tcpdump_format(full, sizeof full, p->t_ns, p->b, p->len);
	memset(small, 'x', sizeof small);
	assert_int_equal(sk_tcpdump_format(small, sizeof small, p->t_ns, p->b, p->len), n);
	assert_int_equal(strlen(small), sizeof small - 1);
	assert_memory_equal(small, full, sizeof small - 1);
	assert_int_equal(sk_tcpdump_format(NULL, 0, p->t_ns, p->b, p->len), n);
}

static void test_time_and_empty(void **state)
{
	(void)state;
	char line[256];
	struct pkt p;

	mk_tcp(&p, 0, &(struct seg){ A1, A2, 1, 2, 3, 0, F_SYN, 4, NOOPT, NODATA });
	sk_tcpdump_format(line, sizeof line, 0x7fffffffull * SK_NS_PER_S + 999999999, p.b, p.len);
	assert_string_equal(line, "2147483647.999999 IP 10.0.0.1.1 > 10.0.0.2.2: Flags [S], seq 3, "
				  "win 4, length 0");
	/* tcpdump -tt refuses seconds with the top bit set. */
	sk_tcpdump_format(line, sizeof line, 0x80000000ull * SK_NS_PER_S, p.b, p.len);
	assert_string_equal(line, "[Error converting time] IP 10.0.0.1.1 > 10.0.0.2.2: Flags [S], "
				  "seq 3, win 4, length 0");
	sk_tcpdump_format(line, sizeof line, 0, p.b, 0);
	assert_string_equal(line, "[Invalid header: caplen==0, len==0]");
}

/* Many conversations: the table grows and keeps every base. */
static void test_many_conversations(void **state)
{
	(void)state;
	char line[256], want[256];
	struct pkt p;

	td = sk_tcpdump_new();
	assert_non_null(td);

	for (int round = 0; round < 2; round++) {
		for (uint32_t i = 0; i < 5000; i++) {
			uint32_t seq = i * 7919u + 1, ack = i * 104729u + 1;
			mk_tcp(&p, 0, &(struct seg){ A1, A2, (uint16_t)(1024 + i), 80,
						     seq + (uint32_t)round * 10, ack, F_ACK, 1, NOOPT, NODATA });
			sk_tcpdump_line(td, line, sizeof line, 0, p.b, p.len);
			if (round == 0)
				snprintf(want, sizeof want, "0.000000 IP 10.0.0.1.%u > 10.0.0.2.80: "
					 "Flags [.], ack %u, win 1, length 0", 1024 + i, ack);
			else
				snprintf(want, sizeof want, "0.000000 IP 10.0.0.1.%u > 10.0.0.2.80: "
					 "Flags [.], ack 1, win 1, length 0", 1024 + i);
			assert_string_equal(line, want);
		}
	}
	sk_tcpdump_free(NULL);
}

/* ---- pcap files ---- */

static uint32_t le32(const uint8_t *p)
{
	return p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static char tmpdir[64];

static int make_tmpdir(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof tmpdir, "/tmp/synack-tcpdump-XXXXXX");
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int remove_tmpdir(void **state)
{
	(void)state;
	char path[128];
	snprintf(path, sizeof path, "%s/trace.pcap", tmpdir);
	unlink(path);
	return rmdir(tmpdir);
}

static void test_pcap_layout(void **state)
{
	(void)state;
	char path[128];
	uint8_t buf[256];
	const uint8_t pkt[3] = { 0x45, 1, 2 };

	snprintf(path, sizeof path, "%s/trace.pcap", tmpdir);
	struct sk_pcap *pc = sk_pcap_open(path);
	assert_non_null(pc);
	assert_int_equal(sk_pcap_write(pc, 5 * SK_NS_PER_S + 123456789, pkt, sizeof pkt), 0);
	assert_int_equal(sk_pcap_write(pc, (1ull << 32) * SK_NS_PER_S, pkt, sizeof pkt), -EOVERFLOW);
	assert_int_equal(sk_pcap_close(pc), 0);

	FILE *f = fopen(path, "rb");
	assert_non_null(f);
	size_t n = fread(buf, 1, sizeof buf, f);
	fclose(f);
	assert_int_equal(n, 24 + 16 + 3);
	assert_int_equal(le32(buf), 0xa1b23c4d); /* nanosecond time stamps */
	assert_int_equal(buf[4] | buf[5] << 8, 2);
	assert_int_equal(buf[6] | buf[7] << 8, 4);
	assert_int_equal(le32(buf + 16), SK_PCAP_SNAPLEN);
	assert_int_equal(le32(buf + 20), SK_PCAP_LINKTYPE_RAW);
	assert_int_equal(le32(buf + 24), 5);
	assert_int_equal(le32(buf + 28), 123456789);
	assert_int_equal(le32(buf + 32), 3);
	assert_int_equal(le32(buf + 36), 3);
	assert_memory_equal(buf + 40, pkt, 3);

	assert_null(sk_pcap_open("/nonexistent-dir/x.pcap"));
	assert_int_equal(sk_pcap_close(NULL), 0);
}

/* ---- against the real tcpdump ---- */

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;
static uint32_t rng(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return (uint32_t)((rng_state * 0x2545F4914F6CDD1Dull) >> 32);
}

/* A damaged copy of a trace packet: a short capture, a lying total
 * length, random header, option or ICMP bytes. Ports and protocols stay,
 * so every line stays within what the formatter decodes; option kind 30
 * (MPTCP, not decoded) is avoided. */
static void mangle(struct pkt *p)
{
	uint8_t *b = p->b;
	size_t hl = (size_t)(b[0] & 15) * 4;
	/* Bytes of IP in IP or of an unknown protocol could turn into a
	 * protocol the formatter does not decode: change only lengths. */
	unsigned kinds = b[9] == 6 || b[9] == 1 ? 6 : 2;

	switch (rng() % kinds) {
	case 0:
		p->len = 1 + rng() % p->len;
		break;
	case 1:
		be16_put(b + 2, rng() % (p->len + 40));
		break;
	case 2: /* flags, data offset, urgent pointer, sequence numbers */
		if (b[9] == 6) {
			size_t at = hl + 4 + rng() % 16;
			b[at] = (uint8_t)rng();
			break;
		}
		/* fall through */
	default: {
		/* Anywhere past the ports: TCP options and data, ICMP. */
		size_t lo = hl + (b[9] == 6 ? 4 : 0);
		size_t at = hl + (b[9] == 6 ? 20 : 0) + rng() % 40;
		int n = 1 + (int)(rng() % 6);
		if (p->len <= lo)
			break;
		if (at >= p->len)
			at = lo + rng() % (p->len - lo);
		for (; n > 0 && at < p->len; n--, at++) {
			b[at] = (uint8_t)rng();
			if (b[at] == 30)
				b[at] = 31;
		}
		break;
	}
	}
}

static void write_pcap(const char *path, const struct pkt *pkts, size_t n)
{
	struct sk_pcap *pc = sk_pcap_open(path);
	assert_non_null(pc);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(sk_pcap_write(pc, pkts[i].t_ns, pkts[i].b, pkts[i].len), 0);
	assert_int_equal(sk_pcap_close(pc), 0);
}

/* Runs tcpdump on `path` and compares every line with ours. */
static void compare_with_tcpdump(const char *path, const struct pkt *pkts, size_t n, int absolute)
{
	char cmd[256], mine[2048];
	char *line = NULL;
	size_t cap = 0, i = 0;

	sk_tcpdump_free(td);
	td = sk_tcpdump_new();
	assert_non_null(td);
	sk_tcpdump_set_absolute(td, absolute);
	snprintf(cmd, sizeof cmd, TCPDUMP " -nn -tt %s -r '%s' 2>/dev/null", absolute ? "-S" : "",
		 path);
	FILE *f = popen(cmd, "r");
	assert_non_null(f);
	ssize_t got;
	while ((got = getline(&line, &cap, f)) > 0) {
		if (line[got - 1] == '\n')
			line[got - 1] = '\0';
		assert_true(i < n);
		sk_tcpdump_line(td, mine, sizeof mine, pkts[i].t_ns, pkts[i].b, pkts[i].len);
		if (strcmp(line, mine) != 0)
			fail_msg("packet %zu:\ntcpdump: %s\nsynack:  %s", i, line, mine);
		i++;
	}
	free(line);
	assert_int_equal(pclose(f), 0);
	assert_int_equal(i, n);
}

#define N_MANGLED 3000

static void test_against_tcpdump(void **state)
{
	(void)state;
	static struct pkt pkts[MAX_TRACE + N_MANGLED];
	char path[128];

	if (access(TCPDUMP, X_OK) != 0) {
		print_message("skipped: " TCPDUMP " is not installed (apt-get install tcpdump)\n");
		skip();
	}
	build_trace();
	for (size_t i = 0; i < ntrace; i++)
		pkts[i] = trace[i].p;
	for (size_t i = 0; i < N_MANGLED; i++) {
		pkts[ntrace + i] = trace[rng() % ntrace].p;
		mangle(&pkts[ntrace + i]);
		pkts[ntrace + i].t_ns = SEC(10) + i * 1001;
	}

	snprintf(path, sizeof path, "%s/trace.pcap", tmpdir);
	write_pcap(path, pkts, ntrace + N_MANGLED);
	compare_with_tcpdump(path, pkts, ntrace + N_MANGLED, 0);
	compare_with_tcpdump(path, pkts, ntrace + N_MANGLED, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_trace_relative, free_td),
		cmocka_unit_test_teardown(test_trace_absolute, free_td),
		cmocka_unit_test(test_small_buffer),
		cmocka_unit_test(test_time_and_empty),
		cmocka_unit_test_teardown(test_many_conversations, free_td),
		cmocka_unit_test(test_pcap_layout),
		cmocka_unit_test_teardown(test_against_tcpdump, free_td),
	};
	return cmocka_run_group_tests(tests, make_tmpdir, remove_tmpdir);
}
