/* Raw TCP segments for the lab's raw hosts (floods, injected segments:
 * spoofed sources, old duplicates) and a reader for the segments on the
 * timeline, both through the wire layer (src/wire), which builds any
 * segment it is given. */
#include <string.h>

#include "lab.h"
#include "wire/wire.h"

size_t lab_seg_build(uint8_t *out, size_t cap, const struct lab_seg *s)
{
	struct tcp_seg seg = { .sport = s->sport, .dport = s->dport, .seq = s->seq, .ack = s->ack,
			       .flags = s->flags, .wnd = s->win };
	if (s->mss) {
		seg.opts.has = TCP_HAS_MSS;
		seg.opts.mss = (uint16_t)s->mss;
	}
	size_t hl = TCP_HDR_LEN + tcp_opts_len(&seg.opts);
	size_t total = IP4_HDR_LEN + hl + s->len;
	if (cap < total || total > 65535)
		return 0;
	tcp_emit(out + IP4_HDR_LEN, &seg);
	if (s->len)
		memcpy(out + IP4_HDR_LEN + hl, s->data, s->len);
	tcp_csum_set(out + IP4_HDR_LEN, hl + s->len, s->src, s->dst);
	struct ip4_hdr ip = { .ttl = 64, .proto = IP_PROTO_TCP, .frag = IP4_DF, /* as Linux sends TCP */
			      .src = s->src, .dst = s->dst };
	ip4_emit(out, &ip, hl + s->len);
	return total;
}

int lab_seg_parse(const uint8_t *pkt, size_t len, struct lab_seg *s)
{
	struct ip4_hdr ip;
	struct tcp_seg seg;
	if (ip4_parse(pkt, len, &ip) != WIRE_OK || ip.proto != IP_PROTO_TCP ||
	    tcp_parse(pkt + ip.hdr_len, ip.total_len - ip.hdr_len, ip.src, ip.dst, &seg) != WIRE_OK)
		return 0;
	*s = (struct lab_seg){ .src = ip.src, .dst = ip.dst, .sport = seg.sport, .dport = seg.dport,
			       .seq = seg.seq, .ack = seg.ack, .flags = seg.flags, .win = seg.wnd,
			       .data = seg.data, .len = seg.data_len };
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
