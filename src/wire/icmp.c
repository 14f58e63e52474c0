/* ICMP for IPv4 (RFC 792): echo, and the two error types that matter to
 * TCP (destination unreachable, time exceeded). */
#include <string.h>

#include "wire/wire.h"

#define ICMP_HDR_LEN 8 /* type, code, checksum, 4 type-specific bytes */
#define ICMP_QUOTE_DATA 8 /* RFC 792: header + first 64 bits of data */

/* Reads the IPv4 header quoted in an error message. RFC 792 quotes "the
 * internet header plus the first 64 bits of the original data datagram";
 * the quote may have been altered in flight (RFC 1812 §4.3.2.3 lets
 * routers change it), so its checksum is not checked, but everything we
 * read from it must lie inside the message. */
static enum wire_err quote_parse(const uint8_t *q, size_t len, struct icmp_msg *m)
{
	if (len < IP4_HDR_LEN || q[0] >> 4 != 4)
		return WIRE_BAD_ICMP;
	size_t hl = (size_t)(q[0] & 0x0f) * 4;
	if (hl < IP4_HDR_LEN || hl > len)
		return WIRE_BAD_ICMP;

	m->q_proto = q[9];
	m->q_src = get_be32(q + 12);
	m->q_dst = get_be32(q + 16);
	/* Ports and sequence number are the first 8 bytes of the TCP header
	 * (RFC 9293 §3.1). A quote of a non-first fragment (RFC 791 offset
	 * != 0) does not start with a TCP header, so it carries no ports. */
	if (m->q_proto == IP_PROTO_TCP && len - hl >= ICMP_QUOTE_DATA &&
	    (get_be16(q + 6) & 0x1fff) == 0) {
		m->has_quote = 1;
		m->q_sport = get_be16(q + hl);
		m->q_dport = get_be16(q + hl + 2);
		m->q_seq = get_be32(q + hl + 4);
	}
	return WIRE_OK;
}

/* Other types are accepted with type, code and body filled in; the caller
 * decides whether to ignore them. */
enum wire_err icmp_parse(const uint8_t *msg, size_t len, struct icmp_msg *m)
{
	if (len < ICMP_HDR_LEN)
		return WIRE_TRUNCATED;
	/* RFC 792: the checksum covers the whole ICMP message. */
	if (csum_fold(csum_add(0, msg, len)) != 0)
		return WIRE_BAD_CSUM;

	memset(m, 0, sizeof *m);
	m->type = msg[0];
	m->code = msg[1];
	m->body = msg + ICMP_HDR_LEN;
	m->body_len = len - ICMP_HDR_LEN;
	switch (m->type) {
	case ICMP_ECHO:
	case ICMP_ECHO_REPLY:
		m->id = get_be16(msg + 4);
		m->seq = get_be16(msg + 6);
		return WIRE_OK;
	case ICMP_DEST_UNREACH:
		/* RFC 1191 §4: next-hop MTU in the low 16 bits of the
		 * second word for "fragmentation needed and DF set". */
		if (m->code == ICMP_FRAG_NEEDED)
			m->mtu = get_be16(msg + 6);
		return quote_parse(m->body, m->body_len, m);
	case ICMP_TIME_EXCEEDED:
		return quote_parse(m->body, m->body_len, m);
	default:
		return WIRE_OK;
	}
}

static size_t icmp_finish(uint8_t *buf, size_t len)
{
	uint16_t csum;

	memset(buf + 2, 0, 2);
	csum = csum_fold(csum_add(0, buf, len));
	memcpy(buf + 2, &csum, 2);
	return len;
}

/* RFC 792 echo: the reply carries the request's identifier, sequence
 * number and data unchanged. memmove lets buf be the request itself. */
size_t icmp_emit_echo_reply(uint8_t *buf, const struct icmp_msg *req)
{
	memmove(buf + ICMP_HDR_LEN, req->body, req->body_len);
	buf[0] = ICMP_ECHO_REPLY;
	buf[1] = 0;
	put_be16(buf + 4, req->id);
	put_be16(buf + 6, req->seq);
	return icmp_finish(buf, ICMP_HDR_LEN + req->body_len);
}

size_t icmp_emit_unreach(uint8_t *buf, uint8_t code, const uint8_t *orig, size_t orig_len)
{
	/* Quote the original header (its IHL, at least 20 bytes) and 8 bytes
	 * of its data, or less if the packet is shorter. */
	size_t hl = orig_len ? (size_t)(orig[0] & 0x0f) * 4 : 0;
	if (hl < IP4_HDR_LEN)
		hl = IP4_HDR_LEN;
	size_t q = hl + ICMP_QUOTE_DATA;
	if (q > orig_len)
		q = orig_len;

	/* Quote first: orig may overlap buf. */
	memmove(buf + ICMP_HDR_LEN, orig, q);
	buf[0] = ICMP_DEST_UNREACH;
	buf[1] = code;
	memset(buf + 4, 0, 4); /* unused (RFC 792); no next-hop MTU given */
	return icmp_finish(buf, ICMP_HDR_LEN + q);
}
