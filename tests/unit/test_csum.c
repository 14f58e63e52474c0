/* Internet checksum: csum_add/csum_fold/csum_pseudo against a plain
 * RFC 1071 byte-pair reference, over every length, alignment and split. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "wire/wire.h"

/* Deterministic generator (xorshift64*), so failures reproduce. */
static uint64_t rng_state;
static void rng_seed(uint64_t s) { rng_state = s ? s : 1; }
static uint32_t rng(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return (uint32_t)((rng_state * 0x2545F4914F6CDD1Dull) >> 32);
}

/* RFC 1071 §4.1, written as plainly as possible: big-endian byte pairs,
 * odd byte padded with zero, carries folded, complemented. The result is
 * the checksum as a host-order number (what put_be16 writes). */
static uint16_t ref_sum(const uint8_t *p, size_t len, uint32_t start)
{
	uint64_t sum = start;
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (i < len)
		sum += (uint32_t)(p[i] << 8);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}
static uint16_t ref_csum(const uint8_t *p, size_t len) { return (uint16_t)~ref_sum(p, len, 0); }

/* The contract: the memory image of csum_fold's result is the wire bytes. */
static void assert_wire_csum(uint16_t got, uint16_t want_host)
{
	uint8_t g[2], w[2];
	memcpy(g, &got, 2);
	put_be16(w, want_host);
	assert_memory_equal(g, w, 2);
}

static void fill_random(uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)rng();
}

/* The example in RFC 1071 §3: bytes 00 01 f2 03 f4 f5 f6 f7 sum to ddf2. */
static void test_rfc1071_example(void **state)
{
	(void)state;
	static const uint8_t b[8] = { 0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7 };
	assert_int_equal(ref_sum(b, 8, 0), 0xddf2);
	assert_wire_csum(csum_fold(csum_add(0, b, 8)), 0x220d);
}

static void test_empty_and_fold_edges(void **state)
{
	(void)state;
	uint8_t b = 0xab;
	assert_int_equal(csum_add(0, &b, 0), 0);
	assert_int_equal(csum_add(1234, &b, 0) % 0xffff, 1234);
	assert_int_equal(csum_fold(0), 0xffff);
	assert_int_equal(csum_fold(0xffff), 0);
	assert_int_equal(csum_fold(0xffffffffu), 0);
	assert_int_equal(csum_fold(0x0001fffeu), 0);
	/* One odd byte is padded with zero: it is the high byte of a word. */
	assert_wire_csum(csum_fold(csum_add(0, &b, 1)), (uint16_t)~0xab00);
}

/* Every length 0..2000 at every offset 0..15 from a 16-aligned base. */
static void test_every_length_and_alignment(void **state)
{
	(void)state;
	static _Alignas(16) uint8_t buf[2000 + 16];
	rng_seed(1);
	for (size_t len = 0; len <= 2000; len++) {
		for (size_t off = 0; off < 16; off++) {
			uint8_t *p = buf + off;
			fill_random(p, len);
			assert_wire_csum(csum_fold(csum_add(0, p, len)), ref_csum(p, len));
		}
	}
}

/* Exact-size heap copies so ASan catches any read past the end. */
static void test_no_overread(void **state)
{
	(void)state;
	rng_seed(2);
	for (size_t len = 1; len <= 300; len++) {
		uint8_t *p = malloc(len);
		assert_non_null(p);
		fill_random(p, len);
		assert_wire_csum(csum_fold(csum_add(0, p, len)), ref_csum(p, len));
		free(p);
	}
}

/* All-ones data maximises carries; zero data must give 0xffff. */
static void test_carry_stress(void **state)
{
	(void)state;
	static uint8_t buf[1 << 20];
	memset(buf, 0xff, sizeof buf);
	const size_t lens[] = { 1, 2, 15, 16, 17, 4095, 65535, 65536, 65537, sizeof buf - 1, sizeof buf };
	for (size_t i = 0; i < sizeof lens / sizeof lens[0]; i++)
		assert_wire_csum(csum_fold(csum_add(0, buf, lens[i])), ref_csum(buf, lens[i]));
	memset(buf, 0, 4096);
	assert_int_equal(csum_fold(csum_add(0, buf, 4096)), 0xffff);
}

/* Summing in even-length pieces, and starting from any running sum,
 * equals summing at once (what the TCP pseudo-header path relies on). */
static void test_chained_pieces(void **state)
{
	(void)state;
	static uint8_t buf[4000];
	rng_seed(3);
	for (int iter = 0; iter < 2000; iter++) {
		size_t len = rng() % sizeof buf;
		fill_random(buf, len);
		uint32_t start = rng();
		uint32_t sum = start;
		size_t pos = 0;
		while (pos < len) {
			size_t n = (rng() % 200) & ~(size_t)1;
			if (n == 0 || pos + n > len)
				n = len - pos;
			sum = csum_add(sum, buf + pos, n);
			pos += n;
		}
		assert_int_equal(csum_fold(sum), csum_fold(csum_add(start, buf, len)));
		/* And against the reference with the same start value, folded to
		 * the 16-bit one's-complement domain first. */
		uint32_t s16 = start;
		s16 = (s16 & 0xffff) + (s16 >> 16);
		s16 = (s16 & 0xffff) + (s16 >> 16);
		/* The running sum is native-order: on a little-endian host a
		 * native start value is the byte swap of the reference's. */
		uint8_t sb[2];
		uint16_t s16n = (uint16_t)s16;
		memcpy(sb, &s16n, 2);
		uint16_t ref = (uint16_t)~ref_sum(buf, len, get_be16(sb));
		assert_wire_csum(csum_fold(sum), ref);
	}
}

/* The pseudo-header (RFC 9293 §3.1) summed from host-order numbers equals
 * summing its 12 wire bytes; and a segment with its checksum stored
 * verifies to zero. */
static void test_pseudo(void **state)
{
	(void)state;
	uint8_t ph[12 + 64];
	rng_seed(4);
	for (int iter = 0; iter < 1000; iter++) {
		uint32_t src = rng(), dst = rng();
		uint8_t proto = (uint8_t)rng();
		size_t dlen = 4 + rng() % 60;
		put_be32(ph, src);
		put_be32(ph + 4, dst);
		ph[8] = 0;
		ph[9] = proto;
		put_be16(ph + 10, (uint16_t)dlen);
		fill_random(ph + 12, dlen);
		ph[12 + 2] = ph[12 + 3] = 0; /* checksum field in the data */

		uint32_t sum = csum_add(csum_pseudo(src, dst, proto, (uint16_t)dlen), ph + 12, dlen);
		uint16_t c = csum_fold(sum);
		assert_wire_csum(c, ref_csum(ph, 12 + dlen));

		memcpy(ph + 12 + 2, &c, 2);
		sum = csum_add(csum_pseudo(src, dst, proto, (uint16_t)dlen), ph + 12, dlen);
		assert_int_equal(csum_fold(sum), 0);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rfc1071_example),
		cmocka_unit_test(test_empty_and_fold_edges),
		cmocka_unit_test(test_every_length_and_alignment),
		cmocka_unit_test(test_no_overread),
		cmocka_unit_test(test_carry_stress),
		cmocka_unit_test(test_chained_pieces),
		cmocka_unit_test(test_pseudo),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
