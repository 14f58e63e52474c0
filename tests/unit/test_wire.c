/* Wire layer: round trips, byte-exact layouts, every malformed input the
 * parsers reject, and truncated/random inputs (run under ASan to show that
 * no parser reads outside its buffer). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "wire/wire.h"

#define SRC 0x0a000001u /* 10.0.0.1 */
#define DST 0xc0a80102u /* 192.168.1.2 */

/* ---- helpers ---- */

static uint64_t rng_state;
static void rng_seed(uint64_t s) { rng_state = s ? s : 1; }
static uint32_t rng(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return (uint32_t)((rng_state * 0x2545F4914F6CDD1Dull) >> 32);
}

/* RFC 1071 reference, independent of csum.c: returns the host-order
 * checksum of the bytes (complemented). */
static uint16_t ref_csum(const uint8_t *p, size_t len, uint32_t start)
{
	uint64_t sum = start;
	size_t i;
	for (i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (i < len)
		sum += (uint32_t)(p[i] << 8);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* Reference TCP checksum: pseudo-header fields summed as host numbers. */
static uint16_t ref_tcp_csum(const uint8_t *seg, size_t len, uint32_t src, uint32_t dst)
{
	uint32_t ph = (src >> 16) + (src & 0xffff) + (dst >> 16) + (dst & 0xffff) + IP_PROTO_TCP +
		      (uint32_t)len;
	return ref_csum(seg, len, ph);
}

/* Recomputes an IPv4 header checksum in place with the reference. */
static void ip_fix_csum(uint8_t *p, size_t hl)
{
	p[10] = p[11] = 0;
	put_be16(p + 10, ref_csum(p, hl, 0));
}

static void icmp_fix_csum(uint8_t *p, size_t len)
{
	p[2] = p[3] = 0;
	put_be16(p + 2, ref_csum(p, len, 0));
}

/* A 20-byte IPv4 header + payload of `plen` bytes (pattern filled). */
static size_t make_ip(uint8_t *buf, uint8_t proto, size_t plen)
{
	struct ip4_hdr h = { .tos = 0x10, .id = 0x1234, .frag = IP4_DF, .ttl = 64,
			     .proto = proto, .src = SRC, .dst = DST };
	size_t n = ip4_emit(buf, &h, plen);
	for (size_t i = 0; i < plen; i++)
		buf[n + i] = (uint8_t)(i * 7 + 3);
	return n + plen;
}

/* A TCP segment with raw option bytes `opt` (olen a multiple of 4) and
 * `dlen` data bytes, checksummed. Returns its length. */
static size_t make_tcp_raw(uint8_t *buf, const uint8_t *opt, size_t olen, size_t dlen)
{
	memset(buf, 0, 20);
	put_be16(buf, 40000);
	put_be16(buf + 2, 80);
	put_be32(buf + 4, 1000);
	put_be32(buf + 8, 2000);
	buf[12] = (uint8_t)((20 + olen) / 4 << 4);
	buf[13] = TCP_ACK;
	put_be16(buf + 14, 65535);
	if (olen)
		memcpy(buf + 20, opt, olen);
	for (size_t i = 0; i < dlen; i++)
		buf[20 + olen + i] = (uint8_t)(0xa0 + i);
	tcp_csum_set(buf, 20 + olen + dlen, SRC, DST);
	return 20 + olen + dlen;
}

/* Heap copy whose last byte is the last byte of its allocation, so ASan
 * flags a read one byte past the end, even for n == 0 (ASan lets a
 * malloc(0) pointer be read, so a spare byte goes in front instead).
 * Free with free_exact. */
static uint8_t *dup_exact(const uint8_t *p, size_t n)
{
	uint8_t *q = malloc(n + 1);
	assert_non_null(q);
	if (n)
		memcpy(q + 1, p, n);
	return q + 1;
}
static void free_exact(uint8_t *p) { free(p - 1); }

/* Parses a segment built from raw option bytes, from an exact-size copy
 * (with no data, the options end at the end of the buffer). */
static enum wire_err parse_opts(const uint8_t *opt, size_t olen, size_t dlen, struct tcp_seg *s)
{
	static uint8_t buf[128];
	size_t n = make_tcp_raw(buf, opt, olen, dlen);
	uint8_t *p = dup_exact(buf, n);
	enum wire_err e = tcp_parse(p, n, SRC, DST, s);
	/* Keep s->data valid for the caller: point it back into buf. */
	if (e == WIRE_OK)
		s->data = buf + (s->data - p);
	free_exact(p);
	return e;
}

/* ---- names ---- */

static void test_err_names(void **state)
{
	(void)state;
	assert_string_equal(wire_err_name(WIRE_OK), "ok");
	assert_string_equal(wire_err_name(WIRE_BAD_CSUM), "bad-csum");
	for (int a = WIRE_OK; a <= WIRE_BAD_ICMP; a++) {
		assert_non_null(wire_err_name((enum wire_err)a));
		for (int b = a + 1; b <= WIRE_BAD_ICMP; b++)
			assert_string_not_equal(wire_err_name((enum wire_err)a),
						wire_err_name((enum wire_err)b));
	}
	assert_string_equal(wire_err_name((enum wire_err)99), "unknown");
}

/* ---- IPv4 ---- */

static void test_ip4_roundtrip(void **state)
{
	(void)state;
	uint8_t buf[100];
	struct ip4_hdr in = { .hdr_len = 99, .total_len = 7, .tos = 0xb8, .id = 0xbeef,
			      .frag = IP4_DF, .ttl = 1, .proto = IP_PROTO_TCP,
			      .src = 0x01020304, .dst = 0xfffffffe };
	assert_int_equal(ip4_emit(buf, &in, 33), 20);
	memset(buf + 20, 0x5a, 33);

	static const uint8_t want[20] = { 0x45, 0xb8, 0x00, 53, 0xbe, 0xef, 0x40, 0x00, 1, 6,
					  0, 0, 1, 2, 3, 4, 0xff, 0xff, 0xff, 0xfe };
	uint8_t w[20];
	memcpy(w, want, 20);
	ip_fix_csum(w, 20);
	assert_memory_equal(buf, w, 20);

	struct ip4_hdr h;
	assert_int_equal(ip4_parse(buf, 53, &h), WIRE_OK);
	assert_int_equal(h.hdr_len, 20);
	assert_int_equal(h.tos, 0xb8);
	assert_int_equal(h.total_len, 53);
	assert_int_equal(h.id, 0xbeef);
	assert_int_equal(h.frag, IP4_DF);
	assert_int_equal(h.ttl, 1);
	assert_int_equal(h.proto, IP_PROTO_TCP);
	assert_int_equal(h.src, 0x01020304);
	assert_int_equal(h.dst, 0xfffffffe);
	assert_int_equal(h.has_options, 0);

	/* Link padding after total_len is ignored. */
	assert_int_equal(ip4_parse(buf, sizeof buf, &h), WIRE_OK);
	assert_int_equal(h.total_len, 53);
}

static void test_ip4_options(void **state)
{
	(void)state;
	uint8_t buf[80];
	make_ip(buf, IP_PROTO_TCP, 8);
	/* Grow to IHL 15 with NOP options (RFC 791 §3.1 option type 1). */
	for (size_t hl = 24; hl <= 60; hl += 4) {
		uint8_t p[80];
		memcpy(p, buf, 20);
		memset(p + 20, 1, hl - 20);
		p[0] = (uint8_t)(0x40 | hl / 4);
		put_be16(p + 2, (uint16_t)(hl + 8));
		ip_fix_csum(p, hl);
		struct ip4_hdr h;
		assert_int_equal(ip4_parse(p, hl + 8, &h), WIRE_OK);
		assert_int_equal(h.hdr_len, hl);
		assert_int_equal(h.has_options, 1);
	}
}

static void test_ip4_truncated(void **state)
{
	(void)state;
	uint8_t buf[40];
	struct ip4_hdr h;
	make_ip(buf, IP_PROTO_TCP, 20);
	for (size_t n = 0; n < 20; n++)
		assert_int_equal(ip4_parse(buf, n, &h), WIRE_TRUNCATED);
	/* Header complete but the datagram cut short: total length > buffer. */
	for (size_t n = 20; n < 40; n++)
		assert_int_equal(ip4_parse(buf, n, &h), WIRE_BAD_TOTAL_LEN);
	assert_int_equal(ip4_parse(buf, 40, &h), WIRE_OK);
}

static void test_ip4_bad_version(void **state)
{
	(void)state;
	uint8_t buf[40];
	struct ip4_hdr h;
	make_ip(buf, IP_PROTO_TCP, 20);
	for (int v = 0; v < 16; v++) {
		if (v == 4)
			continue;
		buf[0] = (uint8_t)(v << 4 | 5);
		ip_fix_csum(buf, 20);
		assert_int_equal(ip4_parse(buf, 40, &h), WIRE_BAD_VERSION);
	}
}

static void test_ip4_bad_ihl(void **state)
{
	(void)state;
	uint8_t buf[64];
	struct ip4_hdr h;
	make_ip(buf, IP_PROTO_TCP, 20);
	for (int ihl = 0; ihl < 5; ihl++) {
		buf[0] = (uint8_t)(0x40 | ihl);
		ip_fix_csum(buf, 20);
		assert_int_equal(ip4_parse(buf, 40, &h), WIRE_BAD_IHL);
	}
	/* IHL past the buffer: 24..60-byte headers in a buffer one word short. */
	for (int ihl = 6; ihl <= 15; ihl++) {
		uint8_t *p = dup_exact(buf, (size_t)ihl * 4 - 4);
		p[0] = (uint8_t)(0x40 | ihl);
		put_be16(p + 2, (uint16_t)(ihl * 4 - 4));
		assert_int_equal(ip4_parse(p, (size_t)ihl * 4 - 4, &h), WIRE_BAD_IHL);
		assert_int_equal(ip4_parse(p, (size_t)ihl * 4 - 1 - 4, &h),
				 ihl * 4 - 5 < 20 ? WIRE_TRUNCATED : WIRE_BAD_IHL);
		free_exact(p);
	}
}

static void test_ip4_bad_total_len(void **state)
{
	(void)state;
	uint8_t buf[64];
	struct ip4_hdr h;
	make_ip(buf, IP_PROTO_TCP, 20);
	const uint16_t bad[] = { 0, 1, 19, 41, 1500, 0xffff };
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		put_be16(buf + 2, bad[i]);
		ip_fix_csum(buf, 20);
		assert_int_equal(ip4_parse(buf, 40, &h), WIRE_BAD_TOTAL_LEN);
	}
	/* Total length below a 24-byte IHL but above 20. */
	uint8_t p[40];
	make_ip(p, IP_PROTO_TCP, 20);
	p[0] = 0x46;
	put_be16(p + 2, 23);
	ip_fix_csum(p, 24);
	assert_int_equal(ip4_parse(p, 40, &h), WIRE_BAD_TOTAL_LEN);
	put_be16(p + 2, 24); /* header only, no payload: fine */
	ip_fix_csum(p, 24);
	assert_int_equal(ip4_parse(p, 40, &h), WIRE_OK);
	assert_int_equal(h.total_len, 24);
}

static void test_ip4_bad_csum(void **state)
{
	(void)state;
	uint8_t buf[40], p[40];
	struct ip4_hdr h;
	make_ip(buf, IP_PROTO_TCP, 20);
	/* One flipped bit anywhere in the header that earlier checks do not
	 * catch (not version/IHL, not total length) breaks the checksum. */
	for (size_t i = 1; i < 20; i++) {
		if (i == 2 || i == 3)
			continue;
		for (int bit = 0; bit < 8; bit++) {
			memcpy(p, buf, sizeof p);
			p[i] ^= (uint8_t)(1 << bit);
			assert_int_equal(ip4_parse(p, 40, &h), WIRE_BAD_CSUM);
		}
	}
	/* Payload bytes are not covered. */
	memcpy(p, buf, sizeof p);
	p[30] ^= 0xff;
	assert_int_equal(ip4_parse(p, 40, &h), WIRE_OK);
}

static void test_ip4_fragments(void **state)
{
	(void)state;
	uint8_t buf[40];
	struct ip4_hdr h;
	const struct {
		uint16_t frag;
		enum wire_err want;
	} c[] = {
		{ 0, WIRE_OK },           { IP4_DF, WIRE_OK },
		{ 0x2000, WIRE_FRAGMENT }, /* MF, offset 0: first fragment */
		{ 0x0001, WIRE_FRAGMENT }, /* last fragment */
		{ 0x1fff, WIRE_FRAGMENT }, { 0x2001, WIRE_FRAGMENT },
		{ 0x4001, WIRE_FRAGMENT }, /* DF with an offset: still a fragment */
		{ 0x6000, WIRE_FRAGMENT },
		{ 0x8000, WIRE_OK },      /* reserved bit is not a fragment marker */
	};
	for (size_t i = 0; i < sizeof c / sizeof c[0]; i++) {
		make_ip(buf, IP_PROTO_TCP, 20);
		put_be16(buf + 6, c[i].frag);
		ip_fix_csum(buf, 20);
		assert_int_equal(ip4_parse(buf, 40, &h), c[i].want);
		assert_int_equal(h.frag, c[i].frag);
		assert_int_equal(h.proto, IP_PROTO_TCP);
	}
	/* Each bit of the 13-bit offset on its own. */
	for (int bit = 0; bit < 13; bit++) {
		put_be16(buf + 6, (uint16_t)(1u << bit));
		ip_fix_csum(buf, 20);
		assert_int_equal(ip4_parse(buf, 40, &h), WIRE_FRAGMENT);
	}
	/* The checksum is checked before the fragment fields. */
	buf[11] ^= 1;
	assert_int_equal(ip4_parse(buf, 40, &h), WIRE_BAD_CSUM);
}

/* ---- TCP ---- */

static void fill_opts(struct tcp_opts *o, uint8_t has, uint8_t nsack)
{
	memset(o, 0, sizeof *o);
	o->has = has;
	o->mss = 1460;
	o->wscale = 9;
	o->tsval = 0x11223344;
	o->tsecr = 0xaabbccdd;
	o->nsack = nsack;
	for (int i = 0; i < TCP_MAX_SACK; i++) {
		o->sack[i].left = 0x10000000u * (uint32_t)(i + 1);
		o->sack[i].right = 0x10000000u * (uint32_t)(i + 1) + 0x5000;
	}
}

/* Independent of tcp_wire.c: the option bytes before SACK blocks. */
static size_t expect_base_len(uint8_t has)
{
	size_t n = 0;
	if (has & TCP_HAS_MSS)
		n += 4;
	if (has & (TCP_HAS_TS))
		n += 12;
	else if (has & TCP_HAS_SACK_PERM)
		n += 4;
	if (has & TCP_HAS_WSCALE)
		n += 4;
	return n;
}

/* Every combination of the five options, 1..4 SACK blocks, and data of
 * several lengths (odd ones too): emit, checksum, parse, compare. */
static void test_tcp_roundtrip_all_options(void **state)
{
	(void)state;
	static uint8_t buf[60 + 1500];
	for (unsigned has = 0; has < 32; has++) {
		for (uint8_t nsack = 1; nsack <= TCP_MAX_SACK; nsack++) {
			const size_t dlens[] = { 0, 1, 7, 1460 };
			for (size_t di = 0; di < 4; di++) {
				struct tcp_seg s = { .sport = 12345, .dport = 443, .seq = 0xfffffff0u,
						     .ack = 0x80000001u,
						     .flags = TCP_ACK | TCP_PSH | TCP_ECE,
						     .wnd = 29200, .urg = 7, .hdr_len = 200 };
				fill_opts(&s.opts, (uint8_t)has, nsack);
				size_t hl = tcp_emit(buf, &s);

				size_t base = expect_base_len((uint8_t)has);
				size_t room = (40 - base - 4) / 8;
				size_t want_sack = (has & TCP_HAS_SACK) ? (nsack < room ? nsack : room) : 0;
				size_t want_hl = 20 + base + (want_sack ? 4 + 8 * want_sack : 0);
				assert_int_equal(hl, want_hl);
				assert_int_equal(hl % 4, 0);
				assert_true(hl <= 60);
				assert_int_equal(tcp_opts_len(&s.opts), hl - 20);
				assert_int_equal(buf[12] >> 4, hl / 4);
				assert_int_equal(buf[16], 0);
				assert_int_equal(buf[17], 0);

				size_t dlen = dlens[di];
				for (size_t i = 0; i < dlen; i++)
					buf[hl + i] = (uint8_t)(i ^ 0x5c);
				tcp_csum_set(buf, hl + dlen, SRC, DST);
				/* With the checksum in place the reference sums to zero. */
				assert_int_equal(ref_tcp_csum(buf, hl + dlen, SRC, DST), 0);

				struct tcp_seg p;
				assert_int_equal(tcp_parse(buf, hl + dlen, SRC, DST, &p), WIRE_OK);
				assert_int_equal(p.sport, 12345);
				assert_int_equal(p.dport, 443);
				assert_int_equal(p.seq, 0xfffffff0u);
				assert_int_equal(p.ack, 0x80000001u);
				assert_int_equal(p.flags, TCP_ACK | TCP_PSH | TCP_ECE);
				assert_int_equal(p.wnd, 29200);
				assert_int_equal(p.urg, 7);
				assert_int_equal(p.hdr_len, hl);
				assert_ptr_equal(p.data, buf + hl);
				assert_int_equal(p.data_len, dlen);

				uint8_t want_has = (uint8_t)(has & ~(unsigned)TCP_HAS_SACK);
				if (want_sack)
					want_has |= TCP_HAS_SACK;
				assert_int_equal(p.opts.has, want_has);
				if (has & TCP_HAS_MSS)
					assert_int_equal(p.opts.mss, 1460);
				if (has & TCP_HAS_WSCALE)
					assert_int_equal(p.opts.wscale, 9);
				if (has & TCP_HAS_TS) {
					assert_int_equal(p.opts.tsval, 0x11223344);
					assert_int_equal(p.opts.tsecr, 0xaabbccdd);
				}
				assert_int_equal(p.opts.nsack, want_sack);
				for (size_t i = 0; i < want_sack; i++) {
					assert_int_equal(p.opts.sack[i].left, s.opts.sack[i].left);
					assert_int_equal(p.opts.sack[i].right, s.opts.sack[i].right);
				}
			}
		}
	}
}

/* The SYN Linux sends by default: mss 1460, sackOK, TS val 1 ecr 0, nop,
 * wscale 7. */
static void test_tcp_linux_syn_bytes(void **state)
{
	(void)state;
	uint8_t buf[60];
	struct tcp_seg s = { .sport = 0x9c40, .dport = 80, .seq = 0x01020304, .flags = TCP_SYN,
			     .wnd = 64240 };
	s.opts.has = TCP_HAS_MSS | TCP_HAS_SACK_PERM | TCP_HAS_TS | TCP_HAS_WSCALE;
	s.opts.mss = 1460;
	s.opts.tsval = 1;
	s.opts.tsecr = 0;
	s.opts.wscale = 7;
	memset(buf, 0xee, sizeof buf);
	assert_int_equal(tcp_opts_len(&s.opts), 20);
	assert_int_equal(tcp_emit(buf, &s), 40);
	static const uint8_t want[40] = {
		0x9c, 0x40, 0x00, 0x50, 0x01, 0x02, 0x03, 0x04, /* ports, seq */
		0x00, 0x00, 0x00, 0x00, 0xa0, 0x02, 0xfa, 0xf0, /* ack, doff 10, SYN, wnd */
		0x00, 0x00, 0x00, 0x00,                         /* csum 0, urg */
		0x02, 0x04, 0x05, 0xb4, 0x04, 0x02, 0x08, 0x0a, 0x00, 0x00,
		0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x01, 0x03, 0x03, 0x07,
	};
	assert_memory_equal(buf, want, 40);
	assert_int_equal(buf[40], 0xee); /* nothing written past the header */
}

static void expect_opt_bytes(uint8_t has, uint8_t nsack, const uint8_t *want, size_t n)
{
	uint8_t buf[60];
	struct tcp_seg s = { .flags = TCP_ACK };
	fill_opts(&s.opts, has, nsack);
	assert_int_equal(tcp_emit(buf, &s), 20 + n);
	assert_int_equal(tcp_opts_len(&s.opts), n);
	assert_memory_equal(buf + 20, want, n);
}

/* The other layouts of tcp_options_write, byte for byte. */
static void test_tcp_option_layouts(void **state)
{
	(void)state;
	static const uint8_t ts[] = { 1, 1, 8, 10, 0x11, 0x22, 0x33, 0x44, 0xaa, 0xbb, 0xcc, 0xdd };
	expect_opt_bytes(TCP_HAS_TS, 0, ts, sizeof ts);
	static const uint8_t sp[] = { 1, 1, 4, 2 };
	expect_opt_bytes(TCP_HAS_SACK_PERM, 0, sp, sizeof sp);
	static const uint8_t ws[] = { 1, 3, 3, 9 };
	expect_opt_bytes(TCP_HAS_WSCALE, 0, ws, sizeof ws);
	static const uint8_t mss[] = { 2, 4, 0x05, 0xb4 };
	expect_opt_bytes(TCP_HAS_MSS, 0, mss, sizeof mss);
	static const uint8_t mss_sp_ws[] = { 2, 4, 0x05, 0xb4, 1, 1, 4, 2, 1, 3, 3, 9 };
	expect_opt_bytes(TCP_HAS_MSS | TCP_HAS_SACK_PERM | TCP_HAS_WSCALE, 0, mss_sp_ws,
			 sizeof mss_sp_ws);
	static const uint8_t ts_sack[] = {
		1, 1, 8, 10, 0x11, 0x22, 0x33, 0x44, 0xaa, 0xbb, 0xcc, 0xdd,
		1, 1, 5, 18, 0x10, 0, 0, 0, 0x10, 0, 0x50, 0, 0x20, 0, 0, 0, 0x20, 0, 0x50, 0,
	};
	expect_opt_bytes(TCP_HAS_TS | TCP_HAS_SACK, 2, ts_sack, sizeof ts_sack);
	/* With timestamps only three blocks fit in 40 bytes. */
	assert_int_equal(tcp_opts_len(&(struct tcp_opts){ .has = TCP_HAS_TS | TCP_HAS_SACK, .nsack = 4 }),
			 12 + 4 + 24);
	/* Four without; SACK flagged with no blocks emits nothing. */
	assert_int_equal(tcp_opts_len(&(struct tcp_opts){ .has = TCP_HAS_SACK, .nsack = 4 }), 36);
	assert_int_equal(tcp_opts_len(&(struct tcp_opts){ .has = TCP_HAS_SACK, .nsack = 0 }), 0);
	assert_int_equal(tcp_opts_len(&(struct tcp_opts){ .has = TCP_HAS_SACK, .nsack = 200 }), 36);
	assert_int_equal(tcp_opts_len(&(struct tcp_opts){ .nsack = 3 }), 0);
}

static void test_tcp_csum_set(void **state)
{
	(void)state;
	static uint8_t buf[2000];
	rng_seed(11);
	for (size_t len = 20; len < 2000; len += 1 + rng() % 13) {
		for (size_t i = 0; i < len; i++)
			buf[i] = (uint8_t)rng();
		uint32_t src = rng(), dst = rng();
		tcp_csum_set(buf, len, src, dst);
		assert_int_equal(ref_tcp_csum(buf, len, src, dst), 0);
		buf[16] = buf[17] = 0;
		uint16_t want = ref_tcp_csum(buf, len, src, dst);
		tcp_csum_set(buf, len, src, dst);
		assert_int_equal(get_be16(buf + 16), want);
	}
}

static void test_tcp_truncated(void **state)
{
	(void)state;
	uint8_t buf[40];
	struct tcp_seg s;
	size_t n = make_tcp_raw(buf, (const uint8_t[]){ 2, 4, 5, 0xb4 }, 4, 16);
	for (size_t i = 0; i < 20; i++)
		assert_int_equal(tcp_parse(buf, i, SRC, DST, &s), WIRE_TRUNCATED);
	/* Cut inside the options: data offset now points past the segment. */
	for (size_t i = 20; i < 24; i++)
		assert_int_equal(tcp_parse(buf, i, SRC, DST, &s), WIRE_BAD_DOFF);
	/* Cut inside the data: the checksum no longer verifies. */
	for (size_t i = 24; i < n; i++)
		assert_int_equal(tcp_parse(buf, i, SRC, DST, &s), WIRE_BAD_CSUM);
	assert_int_equal(tcp_parse(buf, n, SRC, DST, &s), WIRE_OK);
}

static void test_tcp_bad_doff(void **state)
{
	(void)state;
	uint8_t buf[80];
	struct tcp_seg s;
	for (int doff = 0; doff < 5; doff++) {
		size_t n = make_tcp_raw(buf, NULL, 0, 10);
		buf[12] = (uint8_t)(doff << 4);
		tcp_csum_set(buf, n, SRC, DST);
		assert_int_equal(tcp_parse(buf, n, SRC, DST, &s), WIRE_BAD_DOFF);
	}
	/* Data offset past the segment, checksum otherwise good. */
	for (int doff = 6; doff <= 15; doff++) {
		size_t n = (size_t)doff * 4 - 4;
		make_tcp_raw(buf, (const uint8_t[40]){ 1, 1, 1, 1 }, n - 20, 0);
		buf[12] = (uint8_t)(doff << 4);
		tcp_csum_set(buf, n, SRC, DST);
		uint8_t *p = dup_exact(buf, n);
		assert_int_equal(tcp_parse(p, n, SRC, DST, &s), WIRE_BAD_DOFF);
		free_exact(p);
	}
	/* Reserved bits beside the data offset do not change it. */
	size_t n = make_tcp_raw(buf, NULL, 0, 0);
	buf[12] |= 0x0f;
	tcp_csum_set(buf, n, SRC, DST);
	assert_int_equal(tcp_parse(buf, n, SRC, DST, &s), WIRE_OK);
	assert_int_equal(s.hdr_len, 20);
}

static void test_tcp_bad_csum(void **state)
{
	(void)state;
	uint8_t buf[80], p[80];
	struct tcp_seg s;
	size_t n = make_tcp_raw(buf, (const uint8_t[]){ 1, 1, 1, 1 }, 4, 33);
	assert_int_equal(tcp_parse(buf, n, SRC, DST, &s), WIRE_OK);
	/* Any single flipped bit except in the data offset nibble. */
	for (size_t i = 0; i < n; i++) {
		for (int bit = 0; bit < 8; bit++) {
			if (i == 12 && bit >= 4)
				continue;
			memcpy(p, buf, n);
			p[i] ^= (uint8_t)(1 << bit);
			assert_int_equal(tcp_parse(p, n, SRC, DST, &s), WIRE_BAD_CSUM);
		}
	}
	/* Wrong addresses in the pseudo-header. */
	assert_int_equal(tcp_parse(buf, n, SRC + 1, DST, &s), WIRE_BAD_CSUM);
	assert_int_equal(tcp_parse(buf, n, SRC, DST ^ 0x80000000u, &s), WIRE_BAD_CSUM);
	assert_int_equal(tcp_parse(buf, n, DST, SRC, &s), WIRE_OK); /* swap sums the same */
}

/* A segment longer than the pseudo-header's 16-bit length cannot verify. */
static void test_tcp_too_long(void **state)
{
	(void)state;
	static uint8_t buf[65536 + 20];
	struct tcp_seg s;
	make_tcp_raw(buf, NULL, 0, 0);
	assert_int_equal(tcp_parse(buf, sizeof buf, SRC, DST, &s), WIRE_BAD_CSUM);
	/* 65535 exactly is fine. */
	tcp_csum_set(buf, 65535, SRC, DST);
	assert_int_equal(tcp_parse(buf, 65535, SRC, DST, &s), WIRE_OK);
	assert_int_equal(s.data_len, 65535 - 20);
}

static void test_tcp_bad_options(void **state)
{
	(void)state;
	struct tcp_seg s;
	const struct {
		uint8_t opt[40];
		size_t len;
	} bad[] = {
		/* length 0 and 1, for known and unknown kinds */
		{ { 2, 0, 0, 0 }, 4 },
		{ { 2, 1, 0, 0 }, 4 },
		{ { 30, 0, 1, 1 }, 4 },
		{ { 30, 1, 1, 1 }, 4 },
		{ { 1, 1, 99, 0 }, 4 },
		/* kind in the last byte with no room for its length */
		{ { 1, 1, 1, 2 }, 4 },
		{ { 1, 1, 1, 30 }, 4 },
		/* option running past the header */
		{ { 30, 5, 0, 0 }, 4 },
		{ { 1, 1, 8, 10, 0, 0, 0, 1 }, 8 },
		{ { 1, 1, 1, 1, 1, 2, 4, 5 }, 8 },
		{ { 30, 255, 0, 0 }, 4 },
		/* wrong-length MSS */
		{ { 2, 3, 5, 1 }, 4 },
		{ { 2, 2, 1, 1 }, 4 },
		{ { 2, 6, 5, 0xb4, 0, 0, 1, 1 }, 8 },
		/* wrong-length window scale */
		{ { 3, 2, 1, 1 }, 4 },
		{ { 3, 4, 7, 0 }, 4 },
		/* wrong-length SACK permitted */
		{ { 4, 3, 0, 1 }, 4 },
		{ { 4, 4, 0, 0 }, 4 },
		/* wrong-length timestamp */
		{ { 8, 8, 0, 0, 0, 1, 0, 0 }, 8 },
		{ { 8, 9, 0, 0, 0, 1, 0, 0, 0, 1, 1, 1 }, 12 },
		{ { 8, 12, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0 }, 12 },
		/* SACK: no blocks, or not a whole number of blocks */
		{ { 1, 1, 5, 2 }, 4 },
		{ { 5, 3, 0, 0 }, 4 },
		{ { 5, 9, 0, 0, 0, 1, 0, 0, 0, 2, 1, 1 }, 12 },
		{ { 5, 17, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 4, 0, 0 }, 20 },
		/* a bad option after good ones */
		{ { 2, 4, 5, 0xb4, 3, 4, 7, 0 }, 8 },
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		/* With and without data after the header: an option must end
		 * inside the header even when the segment goes on. */
		assert_int_equal(parse_opts(bad[i].opt, bad[i].len, 0, &s), WIRE_BAD_OPTION);
		assert_int_equal(parse_opts(bad[i].opt, bad[i].len, 16, &s), WIRE_BAD_OPTION);
	}
}

static void test_tcp_good_options(void **state)
{
	(void)state;
	struct tcp_seg s;

	/* Unknown kinds are skipped by their length, even when their body
	 * looks like other options. */
	static const uint8_t unk[] = { 30, 6, 2, 4, 0, 1, 2, 4, 0x05, 0xb4, 99, 2 };
	assert_int_equal(parse_opts(unk, sizeof unk, 5, &s), WIRE_OK);
	assert_int_equal(s.opts.has, TCP_HAS_MSS);
	assert_int_equal(s.opts.mss, 1460);
	assert_int_equal(s.data_len, 5);
	assert_int_equal(s.data[0], 0xa0);

	/* An unknown option filling the whole option space. */
	uint8_t big[40];
	memset(big, 0xcc, sizeof big);
	big[0] = 253;
	big[1] = 40;
	assert_int_equal(parse_opts(big, sizeof big, 0, &s), WIRE_OK);
	assert_int_equal(s.opts.has, 0);
	assert_int_equal(s.hdr_len, 60);

	/* EOL ends the list: what follows is not parsed. */
	static const uint8_t eol[] = { 3, 3, 5, 0, 2, 0, 0, 0 };
	assert_int_equal(parse_opts(eol, sizeof eol, 0, &s), WIRE_OK);
	assert_int_equal(s.opts.has, TCP_HAS_WSCALE);
	assert_int_equal(s.opts.wscale, 5);
	static const uint8_t eol0[] = { 0, 1, 30, 0 };
	assert_int_equal(parse_opts(eol0, sizeof eol0, 0, &s), WIRE_OK);
	assert_int_equal(s.opts.has, 0);

	/* NOP padding anywhere, options unaligned. */
	static const uint8_t nops[] = { 1, 2, 4, 0x02, 0x18, 1, 4, 2, 8, 10, 0, 0, 0, 9, 0, 0, 0, 8, 1, 1 };
	assert_int_equal(parse_opts(nops, sizeof nops, 0, &s), WIRE_OK);
	assert_int_equal(s.opts.has, TCP_HAS_MSS | TCP_HAS_SACK_PERM | TCP_HAS_TS);
	assert_int_equal(s.opts.mss, 536);
	assert_int_equal(s.opts.tsval, 9);
	assert_int_equal(s.opts.tsecr, 8);

	/* Four SACK blocks: 34 bytes, the most that fits. */
	uint8_t sack[36] = { 1, 1, 5, 34 };
	for (int i = 0; i < 8; i++)
		put_be32(sack + 4 + 4 * i, (uint32_t)(i + 1) * 1000);
	assert_int_equal(parse_opts(sack, sizeof sack, 0, &s), WIRE_OK);
	assert_int_equal(s.opts.has, TCP_HAS_SACK);
	assert_int_equal(s.opts.nsack, 4);
	assert_int_equal(s.opts.sack[0].left, 1000);
	assert_int_equal(s.opts.sack[3].right, 8000);

	/* Window scale is passed on as sent; clamping is the caller's job. */
	static const uint8_t ws[] = { 1, 3, 3, 200 };
	assert_int_equal(parse_opts(ws, sizeof ws, 0, &s), WIRE_OK);
	assert_int_equal(s.opts.wscale, 200);
}

/* ---- ICMP ---- */

static size_t make_echo(uint8_t *buf, uint8_t type, uint16_t id, uint16_t seq, size_t dlen)
{
	buf[0] = type;
	buf[1] = 0;
	put_be16(buf + 4, id);
	put_be16(buf + 6, seq);
	for (size_t i = 0; i < dlen; i++)
		buf[8 + i] = (uint8_t)(i + 0x30);
	icmp_fix_csum(buf, 8 + dlen);
	return 8 + dlen;
}

static void test_icmp_echo_roundtrip(void **state)
{
	(void)state;
	uint8_t req[120], rep[120];
	struct icmp_msg m, r;
	for (size_t dlen = 0; dlen <= 57; dlen++) {
		size_t n = make_echo(req, ICMP_ECHO, 0x4242, (uint16_t)(dlen + 1), dlen);
		assert_int_equal(icmp_parse(req, n, &m), WIRE_OK);
		assert_int_equal(m.type, ICMP_ECHO);
		assert_int_equal(m.code, 0);
		assert_int_equal(m.id, 0x4242);
		assert_int_equal(m.seq, dlen + 1);
		assert_ptr_equal(m.body, req + 8);
		assert_int_equal(m.body_len, dlen);
		assert_int_equal(m.has_quote, 0);

		assert_int_equal(icmp_emit_echo_reply(rep, &m), n);
		assert_int_equal(ref_csum(rep, n, 0), 0);
		assert_int_equal(icmp_parse(rep, n, &r), WIRE_OK);
		assert_int_equal(r.type, ICMP_ECHO_REPLY);
		assert_int_equal(r.id, 0x4242);
		assert_int_equal(r.seq, dlen + 1);
		assert_int_equal(r.body_len, dlen);
		assert_memory_equal(rep + 8, req + 8, dlen);

		/* In place, over the request. */
		assert_int_equal(icmp_emit_echo_reply(req, &m), n);
		assert_memory_equal(req, rep, n);
	}
}

/* A full IPv4+TCP packet to be quoted: options on both layers, data. */
static size_t make_ip_tcp(uint8_t *buf, int ip_opts)
{
	size_t hl = ip_opts ? 24 : 20;
	struct tcp_seg s = { .sport = 5555, .dport = 80, .seq = 0xdeadbeef, .ack = 1,
			     .flags = TCP_ACK, .wnd = 100 };
	fill_opts(&s.opts, TCP_HAS_TS, 0);
	size_t th = tcp_emit(buf + hl, &s);
	memset(buf + hl + th, 'x', 100);
	tcp_csum_set(buf + hl, th + 100, SRC, DST);
	make_ip(buf, IP_PROTO_TCP, 0);
	if (ip_opts) {
		buf[0] = 0x46;
		memset(buf + 20, 1, 4);
	}
	put_be16(buf + 2, (uint16_t)(hl + th + 100));
	ip_fix_csum(buf, hl);
	return hl + th + 100;
}

static void test_icmp_unreach_roundtrip(void **state)
{
	(void)state;
	uint8_t orig[300], buf[8 + 60 + 8];
	struct icmp_msg m;
	for (int ip_opts = 0; ip_opts <= 1; ip_opts++) {
		size_t n = make_ip_tcp(orig, ip_opts);
		size_t hl = ip_opts ? 24 : 20;
		struct ip4_hdr ih;
		assert_int_equal(ip4_parse(orig, n, &ih), WIRE_OK);

		size_t len = icmp_emit_unreach(buf, ICMP_PORT_UNREACH, orig, n);
		assert_int_equal(len, 8 + hl + 8);
		assert_int_equal(buf[0], ICMP_DEST_UNREACH);
		assert_int_equal(buf[1], ICMP_PORT_UNREACH);
		assert_int_equal(get_be32(buf + 4), 0);
		assert_memory_equal(buf + 8, orig, hl + 8);
		assert_int_equal(ref_csum(buf, len, 0), 0);

		assert_int_equal(icmp_parse(buf, len, &m), WIRE_OK);
		assert_int_equal(m.type, ICMP_DEST_UNREACH);
		assert_int_equal(m.code, ICMP_PORT_UNREACH);
		assert_int_equal(m.mtu, 0);
		assert_ptr_equal(m.body, buf + 8);
		assert_int_equal(m.body_len, hl + 8);
		assert_int_equal(m.has_quote, 1);
		assert_int_equal(m.q_src, SRC);
		assert_int_equal(m.q_dst, DST);
		assert_int_equal(m.q_proto, IP_PROTO_TCP);
		assert_int_equal(m.q_sport, 5555);
		assert_int_equal(m.q_dport, 80);
		assert_int_equal(m.q_seq, 0xdeadbeef);
	}
	/* A short original is quoted whole; too little TCP for a quote. */
	size_t n = make_ip_tcp(orig, 0);
	(void)n;
	size_t len = icmp_emit_unreach(buf, ICMP_HOST_UNREACH, orig, 24);
	assert_int_equal(len, 8 + 24);
	assert_int_equal(icmp_parse(buf, len, &m), WIRE_OK);
	assert_int_equal(m.has_quote, 0);
	assert_int_equal(m.q_proto, IP_PROTO_TCP);
	assert_int_equal(m.q_src, SRC);
	/* Quoting in place (orig is buf) works too. */
	memcpy(buf, orig, 40);
	len = icmp_emit_unreach(buf, ICMP_PROT_UNREACH, buf, 40);
	assert_int_equal(len, 36);
	assert_memory_equal(buf + 8, orig, 28);
	assert_int_equal(icmp_parse(buf, len, &m), WIRE_OK);
	assert_int_equal(m.q_seq, 0xdeadbeef);
}

static void test_icmp_frag_needed_and_time_exceeded(void **state)
{
	(void)state;
	uint8_t orig[300], buf[100];
	struct icmp_msg m;
	make_ip_tcp(orig, 0);

	memset(buf, 0, sizeof buf);
	buf[0] = ICMP_DEST_UNREACH;
	buf[1] = ICMP_FRAG_NEEDED;
	put_be16(buf + 6, 1400); /* RFC 1191 next-hop MTU */
	memcpy(buf + 8, orig, 28);
	icmp_fix_csum(buf, 36);
	assert_int_equal(icmp_parse(buf, 36, &m), WIRE_OK);
	assert_int_equal(m.mtu, 1400);
	assert_int_equal(m.has_quote, 1);
	assert_int_equal(m.q_sport, 5555);

	/* The MTU field is only read for code FRAG_NEEDED. */
	buf[1] = ICMP_HOST_UNREACH;
	icmp_fix_csum(buf, 36);
	assert_int_equal(icmp_parse(buf, 36, &m), WIRE_OK);
	assert_int_equal(m.mtu, 0);

	buf[0] = ICMP_TIME_EXCEEDED;
	buf[1] = 0;
	icmp_fix_csum(buf, 36);
	assert_int_equal(icmp_parse(buf, 36, &m), WIRE_OK);
	assert_int_equal(m.type, ICMP_TIME_EXCEEDED);
	assert_int_equal(m.has_quote, 1);
	assert_int_equal(m.q_dport, 80);
	assert_int_equal(m.q_seq, 0xdeadbeef);

	/* A longer quote (Linux sends up to 576 bytes) is fine. */
	memcpy(buf + 8, orig, 90);
	icmp_fix_csum(buf, 98);
	assert_int_equal(icmp_parse(buf, 98, &m), WIRE_OK);
	assert_int_equal(m.body_len, 90);
	assert_int_equal(m.has_quote, 1);

	/* Quoted header checksum is not checked. */
	memcpy(buf + 8, orig, 28);
	buf[8 + 10] ^= 0xff;
	icmp_fix_csum(buf, 36);
	assert_int_equal(icmp_parse(buf, 36, &m), WIRE_OK);
	assert_int_equal(m.has_quote, 1);
}

static void test_icmp_malformed(void **state)
{
	(void)state;
	uint8_t orig[300], buf[100], p[100];
	struct icmp_msg m;
	make_ip_tcp(orig, 0);

	size_t n = make_echo(buf, ICMP_ECHO, 1, 2, 10);
	for (size_t i = 0; i < 8; i++)
		assert_int_equal(icmp_parse(buf, i, &m), WIRE_TRUNCATED);
	for (size_t i = 0; i < n; i++) {
		memcpy(p, buf, n);
		p[i] ^= 0x40;
		assert_int_equal(icmp_parse(p, n, &m), WIRE_BAD_CSUM);
	}

	/* Errors whose quote is too short for an IPv4 header. */
	for (int type = ICMP_DEST_UNREACH; type <= ICMP_TIME_EXCEEDED; type += 8) {
		memset(buf, 0, sizeof buf);
		buf[0] = (uint8_t)type;
		memcpy(buf + 8, orig, 28);
		for (size_t len = 8; len < 28; len++) {
			icmp_fix_csum(buf, len);
			assert_int_equal(icmp_parse(buf, len, &m), WIRE_BAD_ICMP);
		}
		/* Quoted version not 4. */
		memcpy(p, buf, 36);
		p[8] = 0x65;
		icmp_fix_csum(p, 36);
		assert_int_equal(icmp_parse(p, 36, &m), WIRE_BAD_ICMP);
		/* Quoted IHL < 5. */
		for (int ihl = 0; ihl < 5; ihl++) {
			p[8] = (uint8_t)(0x40 | ihl);
			icmp_fix_csum(p, 36);
			assert_int_equal(icmp_parse(p, 36, &m), WIRE_BAD_ICMP);
		}
		/* Quoted IHL past the message. */
		p[8] = 0x48; /* 32 bytes of header, 28 quoted */
		icmp_fix_csum(p, 36);
		assert_int_equal(icmp_parse(p, 36, &m), WIRE_BAD_ICMP);
		p[8] = 0x47; /* 28 bytes: fits, but no TCP bytes left */
		icmp_fix_csum(p, 36);
		assert_int_equal(icmp_parse(p, 36, &m), WIRE_OK);
		assert_int_equal(m.has_quote, 0);
		/* 7 bytes of TCP is not enough for a quote. */
		icmp_fix_csum(buf, 35);
		assert_int_equal(icmp_parse(buf, 35, &m), WIRE_OK);
		assert_int_equal(m.has_quote, 0);
		/* A quoted UDP packet has no TCP quote. */
		memcpy(p, buf, 36);
		p[8 + 9] = 17;
		icmp_fix_csum(p, 36);
		assert_int_equal(icmp_parse(p, 36, &m), WIRE_OK);
		assert_int_equal(m.has_quote, 0);
		assert_int_equal(m.q_proto, 17);
		/* A quoted non-first fragment does not start with TCP ports. */
		memcpy(p, buf, 36);
		put_be16(p + 8 + 6, 0x0010);
		icmp_fix_csum(p, 36);
		assert_int_equal(icmp_parse(p, 36, &m), WIRE_OK);
		assert_int_equal(m.has_quote, 0);
		put_be16(p + 8 + 6, 0x2000); /* first fragment: ports are there */
		icmp_fix_csum(p, 36);
		assert_int_equal(icmp_parse(p, 36, &m), WIRE_OK);
		assert_int_equal(m.has_quote, 1);
	}

	/* Other types are passed through with their body. */
	memset(buf, 0, 20);
	buf[0] = 13; /* timestamp */
	icmp_fix_csum(buf, 20);
	assert_int_equal(icmp_parse(buf, 20, &m), WIRE_OK);
	assert_int_equal(m.type, 13);
	assert_int_equal(m.body_len, 12);
}

/* Emitters read only their input and write only what they return: an
 * exact-size original at every length, a canary after the output. */
static void test_emit_bounds(void **state)
{
	(void)state;
	static uint8_t pkt[400];
	size_t n = make_ip_tcp(pkt, 1);
	for (size_t len = 0; len <= n; len++) {
		uint8_t *orig = dup_exact(pkt, len);
		uint8_t *out = malloc(8 + 60 + 8);
		assert_non_null(out);
		memset(out, 0xee, 8 + 60 + 8);
		size_t q = len < 24 + 8 ? len : 24 + 8;
		size_t got = icmp_emit_unreach(out, ICMP_PORT_UNREACH, orig, len);
		assert_int_equal(got, 8 + q);
		assert_memory_equal(out + 8, pkt, q);
		for (size_t i = got; i < 8 + 60 + 8; i++)
			assert_int_equal(out[i], 0xee);
		assert_int_equal(ref_csum(out, got, 0), 0);
		free(out);
		free_exact(orig);
	}
	/* Echo reply from an exact-size request into an exact-size buffer. */
	for (size_t dlen = 0; dlen < 40; dlen++) {
		uint8_t req[64];
		size_t rn = make_echo(req, ICMP_ECHO, 7, 9, dlen);
		uint8_t *r = dup_exact(req, rn);
		struct icmp_msg m;
		assert_int_equal(icmp_parse(r, rn, &m), WIRE_OK);
		uint8_t *out = malloc(rn);
		assert_non_null(out);
		assert_int_equal(icmp_emit_echo_reply(out, &m), rn);
		free(out);
		free_exact(r);
	}
	/* tcp_emit writes exactly the header it reports. */
	for (unsigned has = 0; has < 32; has++) {
		uint8_t buf[64];
		memset(buf, 0xee, sizeof buf);
		struct tcp_seg s = { .flags = TCP_ACK };
		fill_opts(&s.opts, (uint8_t)has, 4);
		size_t hl = tcp_emit(buf, &s);
		for (size_t i = hl; i < sizeof buf; i++)
			assert_int_equal(buf[i], 0xee);
	}
}

/* ---- robustness: truncations and random bytes (for ASan) ---- */

static void parse_all(const uint8_t *p, size_t n)
{
	struct ip4_hdr h;
	struct tcp_seg s;
	struct icmp_msg m;
	enum wire_err e;

	e = ip4_parse(p, n, &h);
	if (e == WIRE_OK) {
		assert_true(h.hdr_len >= 20 && h.hdr_len <= h.total_len && h.total_len <= n);
		assert_int_equal(h.has_options, h.hdr_len > 20);
	}
	e = tcp_parse(p, n, SRC, DST, &s);
	if (e == WIRE_OK) {
		assert_true(s.hdr_len >= 20 && s.hdr_len <= 60 && s.hdr_len <= n);
		assert_ptr_equal(s.data + s.data_len, p + n);
		assert_true(s.opts.nsack <= TCP_MAX_SACK);
	}
	e = icmp_parse(p, n, &m);
	if (e == WIRE_OK) {
		assert_ptr_equal(m.body + m.body_len, p + n);
	}
}

static void test_every_truncation(void **state)
{
	(void)state;
	static uint8_t pkt[400];
	size_t n = make_ip_tcp(pkt, 1);
	const uint8_t *tcp = pkt + 24;
	size_t tlen = n - 24;
	uint8_t icmp[100];
	size_t ilen = icmp_emit_unreach(icmp, ICMP_PORT_UNREACH, pkt, n);
	uint8_t syn[60];
	struct tcp_seg s = { .flags = TCP_SYN };
	fill_opts(&s.opts, 0x1f, 4);
	size_t slen = tcp_emit(syn, &s);
	tcp_csum_set(syn, slen, SRC, DST);

	const struct {
		const uint8_t *p;
		size_t n;
	} c[] = { { pkt, n }, { tcp, tlen }, { icmp, ilen }, { syn, slen } };
	for (size_t k = 0; k < sizeof c / sizeof c[0]; k++) {
		for (size_t i = 0; i <= c[k].n; i++) {
			uint8_t *p = dup_exact(c[k].p, i);
			parse_all(p, i);
			free_exact(p);
		}
	}
	/* The untruncated ones parse. */
	struct ip4_hdr h;
	struct tcp_seg t;
	struct icmp_msg m;
	assert_int_equal(ip4_parse(pkt, n, &h), WIRE_OK);
	assert_int_equal(tcp_parse(tcp, tlen, SRC, DST, &t), WIRE_OK);
	assert_int_equal(tcp_parse(syn, slen, SRC, DST, &t), WIRE_OK);
	assert_int_equal(icmp_parse(icmp, ilen, &m), WIRE_OK);
}

/* Random bytes, and random bytes given valid-looking headers and correct
 * checksums so that the option walker and quote parser see them too. */
static void test_random_buffers(void **state)
{
	(void)state;
	int ok_tcp = 0, ok_ip = 0, ok_icmp = 0;
	rng_seed(0x5eed);
	for (int iter = 0; iter < 6000; iter++) {
		size_t n = rng() % (iter % 10 == 0 ? 1600 : 80);
		if (iter % 3 == 0 && rng() % 2)
			n &= ~(size_t)3;
		uint8_t *p = malloc(n + 1);
		assert_non_null(p);
		p++; /* as in dup_exact: the buffer ends where the allocation does */
		for (size_t i = 0; i < n; i++)
			p[i] = (uint8_t)rng();
		parse_all(p, n);

		struct ip4_hdr h;
		struct tcp_seg s;
		struct icmp_msg m;
		switch (iter % 3) {
		case 0: /* TCP: sane data offset, options random, checksum fixed */
			if (n >= 20) {
				size_t maxd = n / 4 < 15 ? n / 4 : 15;
				p[12] = (uint8_t)((5 + rng() % (maxd - 4)) << 4);
				/* Often header only, so options end at the buffer's end. */
				if (n % 4 == 0 && n <= 60 && rng() % 2)
					p[12] = (uint8_t)(n / 4 << 4);
				tcp_csum_set(p, n, SRC, DST);
				if (tcp_parse(p, n, SRC, DST, &s) == WIRE_OK)
					ok_tcp++;
			}
			break;
		case 1: /* IPv4: version 4, IHL within, total length within */
			if (n >= 20) {
				size_t maxi = n / 4 < 15 ? n / 4 : 15;
				size_t hl = 4 * (5 + rng() % (maxi - 4));
				p[0] = (uint8_t)(0x40 | hl / 4);
				put_be16(p + 2, (uint16_t)(hl + rng() % (n - hl + 1)));
				p[6] &= 0x9f; /* mostly not a fragment */
				p[7] = rng() % 4 ? 0 : p[7];
				p[6] = p[7] ? p[6] : p[6] & 0x80;
				ip_fix_csum(p, hl);
				if (ip4_parse(p, n, &h) == WIRE_OK)
					ok_ip++;
			}
			break;
		default: /* ICMP errors quoting random IPv4 */
			if (n >= 8) {
				p[0] = (uint8_t[]){ 0, 3, 8, 11 }[rng() % 4];
				if (n >= 28 && rng() % 2) {
					p[8] = (uint8_t)(0x40 | (5 + rng() % 3));
					p[8 + 9] = IP_PROTO_TCP;
					p[8 + 6] = p[8 + 7] = 0;
				}
				icmp_fix_csum(p, n);
				if (icmp_parse(p, n, &m) == WIRE_OK)
					ok_icmp++;
			}
			break;
		}
		parse_all(p, n);
		free_exact(p);
	}
	/* The fixed-up inputs reach the deep paths, not just early rejects. */
	assert_true(ok_tcp > 100);
	assert_true(ok_ip > 100);
	assert_true(ok_icmp > 100);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_err_names),
		cmocka_unit_test(test_ip4_roundtrip),
		cmocka_unit_test(test_ip4_options),
		cmocka_unit_test(test_ip4_truncated),
		cmocka_unit_test(test_ip4_bad_version),
		cmocka_unit_test(test_ip4_bad_ihl),
		cmocka_unit_test(test_ip4_bad_total_len),
		cmocka_unit_test(test_ip4_bad_csum),
		cmocka_unit_test(test_ip4_fragments),
		cmocka_unit_test(test_tcp_roundtrip_all_options),
		cmocka_unit_test(test_tcp_linux_syn_bytes),
		cmocka_unit_test(test_tcp_option_layouts),
		cmocka_unit_test(test_tcp_csum_set),
		cmocka_unit_test(test_tcp_truncated),
		cmocka_unit_test(test_tcp_bad_doff),
		cmocka_unit_test(test_tcp_bad_csum),
		cmocka_unit_test(test_tcp_too_long),
		cmocka_unit_test(test_tcp_bad_options),
		cmocka_unit_test(test_tcp_good_options),
		cmocka_unit_test(test_icmp_echo_roundtrip),
		cmocka_unit_test(test_icmp_unreach_roundtrip),
		cmocka_unit_test(test_icmp_frag_needed_and_time_exceeded),
		cmocka_unit_test(test_icmp_malformed),
		cmocka_unit_test(test_emit_bounds),
		cmocka_unit_test(test_every_truncation),
		cmocka_unit_test(test_random_buffers),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
