/* Internet checksum (RFC 1071).
 *
 * Byte-order contract: the running sum is kept in the host's native byte
 * order. RFC 1071 §2(B) shows that the one's-complement sum is independent
 * of byte order: summing 16-bit words as the host loads them gives the
 * byte-swapped sum on a little-endian host, and the swap undoes itself when
 * the folded value is stored back with memcpy. So csum_add never swaps,
 * csum_fold returns a value whose memory image is the wire checksum, and
 * csum_pseudo (whose inputs are host-order numbers) lays its fields out in
 * wire order before summing them like any other bytes. */
#include <string.h>

#include "wire/wire.h"

/* Sums 64-bit words with end-around carry. 2^64 ≡ 1 modulo 2^64-1, and
 * 2^16-1 divides 2^64-1, so the carries out of each 64-bit add can simply
 * be counted and added back at the end (RFC 1071 §2(C), "deferred carries";
 * §2(D) "parallel summation" on wider words). Two independent lanes keep
 * two adds in flight; memcpy makes unaligned loads defined, and compiles to
 * plain loads. */
uint32_t csum_add(uint32_t sum, const void *p, size_t len)
{
	const uint8_t *b = p;
	uint64_t a0 = 0, a1 = 0, c0 = 0, c1 = 0;
	size_t i = 0;

	for (; i + 16 <= len; i += 16) {
		uint64_t w0, w1;
		memcpy(&w0, b + i, 8);
		memcpy(&w1, b + i + 8, 8);
		a0 += w0;
		c0 += a0 < w0;
		a1 += w1;
		c1 += a1 < w1;
	}
	/* The tail (< 16 bytes) goes through a zeroed copy: this pads an odd
	 * last byte with zero (RFC 1071 §4.1) and never reads past the end. */
	if (i < len) {
		uint8_t t[16] = { 0 };
		uint64_t w0, w1;
		memcpy(t, b + i, len - i);
		memcpy(&w0, t, 8);
		memcpy(&w1, t + 8, 8);
		a0 += w0;
		c0 += a0 < w0;
		a1 += w1;
		c1 += a1 < w1;
	}
	/* Each term is below 2^33 and the carry counts below len/8, so this
	 * cannot wrap a 64-bit integer. */
	uint64_t r = (a0 & 0xffffffffu) + (a0 >> 32) + (a1 & 0xffffffffu) + (a1 >> 32) +
		     c0 + c1 + sum;
	r = (r & 0xffffffffu) + (r >> 32);
	r = (r & 0xffffffffu) + (r >> 32);
	return (uint32_t)r;
}

uint16_t csum_fold(uint32_t sum)
{
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* RFC 9293 §3.1: source address, destination address, zero, protocol and
 * TCP length, in wire order, summed like the segment itself. */
uint32_t csum_pseudo(uint32_t src, uint32_t dst, uint8_t proto, uint16_t len)
{
	uint8_t ph[12];

	put_be32(ph, src);
	put_be32(ph + 4, dst);
	ph[8] = 0;
	ph[9] = proto;
	put_be16(ph + 10, len);
	return csum_add(0, ph, sizeof ph);
}
