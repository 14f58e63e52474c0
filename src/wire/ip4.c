/* IPv4 header parsing and emission (RFC 791 §3.1). */
#include <string.h>

#include "wire/wire.h"

/* Checks run in the order that lets each one trust the previous: the fixed
 * header must be there before we read IHL, IHL before the total length,
 * and the header checksum before we believe the fragment fields. The struct
 * is filled even for WIRE_FRAGMENT so the caller can count the drop by
 * protocol. */
enum wire_err ip4_parse(const uint8_t *pkt, size_t len, struct ip4_hdr *h)
{
	if (len < IP4_HDR_LEN)
		return WIRE_TRUNCATED;
	if (pkt[0] >> 4 != 4)
		return WIRE_BAD_VERSION;

	/* IHL counts 32-bit words; 5 is the minimum (RFC 791 §3.1). */
	size_t hl = (size_t)(pkt[0] & 0x0f) * 4;
	if (hl < IP4_HDR_LEN || hl > len)
		return WIRE_BAD_IHL;

	/* Total length covers header and data; bytes past it are link-layer
	 * padding (e.g. Ethernet's 60-byte minimum) and are ignored. */
	uint16_t total = get_be16(pkt + 2);
	if (total < hl || total > len)
		return WIRE_BAD_TOTAL_LEN;

	/* The checksum covers the header only, options included. Summing a
	 * header that holds a correct checksum gives 0xffff, whose complement
	 * is zero (RFC 1071 §1). */
	if (csum_fold(csum_add(0, pkt, hl)) != 0)
		return WIRE_BAD_CSUM;

	memset(h, 0, sizeof *h);
	h->hdr_len = (uint8_t)hl;
	h->tos = pkt[1];
	h->total_len = total;
	h->id = get_be16(pkt + 4);
	h->frag = get_be16(pkt + 6);
	h->ttl = pkt[8];
	h->proto = pkt[9];
	h->src = get_be32(pkt + 12);
	h->dst = get_be32(pkt + 16);
	h->has_options = hl > IP4_HDR_LEN;

	/* We do not reassemble: MF (0x2000) or a non-zero 13-bit offset
	 * means this is only part of a datagram. */
	if (h->frag & 0x3fff)
		return WIRE_FRAGMENT;
	return WIRE_OK;
}

size_t ip4_emit(uint8_t *buf, const struct ip4_hdr *h, size_t payload_len)
{
	uint16_t csum;

	buf[0] = 0x45; /* version 4, IHL 5: we never send IP options */
	buf[1] = h->tos;
	put_be16(buf + 2, (uint16_t)(IP4_HDR_LEN + payload_len));
	put_be16(buf + 4, h->id);
	put_be16(buf + 6, h->frag);
	buf[8] = h->ttl;
	buf[9] = h->proto;
	memset(buf + 10, 0, 2); /* checksum field is zero while summing */
	put_be32(buf + 12, h->src);
	put_be32(buf + 16, h->dst);
	csum = csum_fold(csum_add(0, buf, IP4_HDR_LEN));
	memcpy(buf + 10, &csum, 2);
	return IP4_HDR_LEN;
}
