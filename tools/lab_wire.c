/* Raw TCP segments for the lab's raw hosts (floods, injected segments) and
 * a reader for the segments on the timeline. Kept apart from the core's
 * wire layer on purpose: the lab crafts what the core would refuse to
 * build (spoofed sources, old duplicates), with the public API only. */
#include <string.h>

#include "lab.h"

static void put16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)(v >> 8); p[1] = (uint8_t)v; }
static void put32(uint8_t *p, uint32_t v) { put16(p, (uint16_t)(v >> 16)); put16(p + 2, (uint16_t)v); }
static uint16_t get16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }
static uint32_t get32(const uint8_t *p) { return (uint32_t)get16(p) << 16 | get16(p + 2); }

/* RFC 1071: one's complement sum, folded. */
static uint32_t sum16(uint32_t sum, const uint8_t *p, size_t len)
{
	for (size_t i = 0; i + 1 < len; i += 2)
		sum += get16(p + i);
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	return sum;
}

static uint16_t fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

size_t lab_seg_build(uint8_t *out, size_t cap, const struct lab_seg *s)
{
	size_t optlen = s->mss ? 4 : 0;
	size_t tcplen = 20 + optlen + s->len;
	size_t total = 20 + tcplen;
	if (cap < total || total > 65535)
		return 0;
	memset(out, 0, 20 + 20 + optlen);
	uint8_t *ip = out, *th = out + 20;
	ip[0] = 0x45;
	put16(ip + 2, (uint16_t)total);
	put16(ip + 6, 0x4000); /* DF, as Linux sends TCP */
	ip[8] = 64;
	ip[9] = 6;
	put32(ip + 12, s->src);
	put32(ip + 16, s->dst);
	put16(ip + 10, fold(sum16(0, ip, 20)));
	put16(th, s->sport);
	put16(th + 2, s->dport);
	put32(th + 4, s->seq);
	put32(th + 8, s->ack);
	th[12] = (uint8_t)((20 + optlen) / 4 << 4);
	th[13] = s->flags;
	put16(th + 14, s->win);
	if (s->mss) {
		th[20] = 2;
		th[21] = 4;
		put16(th + 22, (uint16_t)s->mss);
	}
	if (s->len)
		memcpy(th + 20 + optlen, s->data, s->len);
	uint8_t pseudo[12];
	memcpy(pseudo, ip + 12, 8);
	pseudo[8] = 0;
	pseudo[9] = 6;
	put16(pseudo + 10, (uint16_t)tcplen);
	put16(th + 16, fold(sum16(sum16(0, pseudo, 12), th, tcplen)));
	return total;
}

int lab_seg_parse(const uint8_t *pkt, size_t len, struct lab_seg *s)
{
	if (len < 20 || (pkt[0] >> 4) != 4 || pkt[9] != 6)
		return 0;
	size_t ihl = (size_t)(pkt[0] & 15) * 4;
	size_t total = get16(pkt + 2);
	if (ihl < 20 || total > len || total < ihl + 20)
		return 0;
	const uint8_t *th = pkt + ihl;
	size_t doff = (size_t)(th[12] >> 4) * 4;
	if (doff < 20 || ihl + doff > total)
		return 0;
	memset(s, 0, sizeof(*s));
	s->src = get32(pkt + 12);
	s->dst = get32(pkt + 16);
	s->sport = get16(th);
	s->dport = get16(th + 2);
	s->seq = get32(th + 4);
	s->ack = get32(th + 8);
	s->flags = th[13];
	s->win = get16(th + 14);
	s->data = th + doff;
	s->len = total - ihl - doff;
	return 1;
}

int lab_flags_parse(const char *s)
{
	/* tcpdump's letters: S F R P U E W, '.' for ACK */
	static const char letters[] = "SFRPU.";
	static const int bits[] = { LAB_SYN, LAB_FIN, LAB_RST, LAB_PSH, LAB_URG, LAB_ACK };
	int f = 0;
	if (!*s)
		return -1;
	for (; *s; s++) {
		const char *c = strchr(letters, *s);
		if (!c)
			return -1;
		f |= bits[c - letters];
	}
	return f;
}
