/* The TAP driver's link layer (Ethernet + ARP, struct sk_link) without a
 * device: frames in, frames out, on explicit times. And the host tool's
 * SHA-256 against FIPS 180-4's examples. Runs everywhere, as any user. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include <synack/tap.h>

#include "sha256.h"
#include "wire/wire.h"

#define MS(x) ((uint64_t)(x) * SK_NS_PER_MS)
#define US SK_IP(10, 77, 0, 2)
#define PEER SK_IP(10, 77, 0, 1)

static const uint8_t our_mac[6] = { 0x02, 1, 2, 3, 4, 5 };
static const uint8_t peer_mac[6] = { 0x02, 9, 9, 9, 9, 9 };
static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

struct rec {
	uint8_t frames[16][1600];
	size_t flen[16];
	int nframes;
	uint8_t pkts[16][1600];
	int npkts;
};

static void rec_frame(void *ctx, const uint8_t *f, size_t len)
{
	struct rec *r = ctx;
	assert_true(r->nframes < 16 && len <= 1600);
	memcpy(r->frames[r->nframes], f, len);
	r->flen[r->nframes++] = len;
}

static void rec_deliver(void *ctx, uint64_t now, const uint8_t *p, size_t len)
{
	struct rec *r = ctx;
	(void)now;
	assert_true(r->npkts < 16 && len <= 1600);
	memcpy(r->pkts[r->npkts++], p, len);
}

static struct sk_link *new_link(struct rec *r, uint32_t gw)
{
	memset(r, 0, sizeof(*r));
	struct sk_link_config c = { .addr = US, .prefix_len = 24, .gw = gw, .mtu = 1500, .seed = 1,
				    .send_frame = rec_frame, .deliver = rec_deliver, .ctx = r };
	memcpy(c.mac, our_mac, 6);
	struct sk_link *l = sk_link_new(&c);
	assert_non_null(l);
	return l;
}

/* A minimal IPv4 packet to `dst` (a TCP-looking payload of 8 bytes). */
static size_t ip_pkt(uint8_t *b, uint32_t src, uint32_t dst)
{
	struct ip4_hdr h = { .ttl = 64, .proto = IP_PROTO_TCP, .src = src, .dst = dst };
	memset(b + 20, 0x11, 8);
	return ip4_emit(b, &h, 8) + 8;
}

static size_t arp_frame(uint8_t *f, int op, const uint8_t *eth_dst, const uint8_t *sha,
			uint32_t spa, uint32_t tpa)
{
	memcpy(f, eth_dst, 6);
	memcpy(f + 6, sha, 6);
	put_be16(f + 12, 0x0806);
	uint8_t *a = f + 14;
	put_be16(a, 1);
	put_be16(a + 2, 0x0800);
	a[4] = 6;
	a[5] = 4;
	put_be16(a + 6, (uint16_t)op);
	memcpy(a + 8, sha, 6);
	put_be32(a + 14, spa);
	memset(a + 18, 0, 6);
	put_be32(a + 24, tpa);
	return 42;
}

static void assert_arp(const uint8_t *f, int op, const uint8_t *eth_dst, uint32_t tpa)
{
	assert_memory_equal(f, eth_dst, 6);
	assert_memory_equal(f + 6, our_mac, 6);
	assert_int_equal(get_be16(f + 12), 0x0806);
	assert_int_equal(get_be16(f + 20), op);
	assert_int_equal(get_be32(f + 28), US);
	assert_int_equal(get_be32(f + 38), tpa);
}

static void test_resolve_then_send(void **state)
{
	(void)state;
	struct rec r;
	struct sk_link *l = new_link(&r, 0);
	uint8_t p[64], f[64];
	size_t n = ip_pkt(p, US, PEER);
	sk_link_output(l, MS(0), p, n);
	sk_link_output(l, MS(1), p, n);
	assert_int_equal(r.nframes, 1); /* one broadcast request; both packets wait */
	assert_arp(r.frames[0], 1, bcast, PEER);
	assert_int_equal(sk_link_deadline(l), MS(1000));
	sk_link_input(l, MS(5), f, arp_frame(f, 2, our_mac, peer_mac, PEER, US));
	assert_int_equal(r.nframes, 3); /* the queue is flushed, in order */
	for (int i = 1; i < 3; i++) {
		assert_memory_equal(r.frames[i], peer_mac, 6);
		assert_int_equal(get_be16(r.frames[i] + 12), 0x0800);
		assert_memory_equal(r.frames[i] + 14, p, n);
	}
	sk_link_output(l, MS(6), p, n);
	assert_int_equal(r.nframes, 4); /* REACHABLE: straight out */
	sk_link_free(l);
}

/* Linux: 3 broadcast requests a second apart, then the packets are
 * dropped and the sender gets ICMP host unreachable (~3 s). */
static void test_resolution_fails(void **state)
{
	(void)state;
	struct rec r;
	struct sk_link *l = new_link(&r, 0);
	uint8_t p[64];
	size_t n = ip_pkt(p, US, PEER);
	for (int i = 0; i < 5; i++)
		sk_link_output(l, MS(i), p, n);
	assert_int_equal(sk_link_counter(l, SK_LINK_unresolved_discards), 2); /* queue of 3 */
	for (uint64_t t = 1000; t <= 3000; t += 1000)
		sk_link_advance(l, MS(t));
	assert_int_equal(r.nframes, 3);
	assert_int_equal(sk_link_counter(l, SK_LINK_res_failed), 1);
	assert_int_equal(sk_link_counter(l, SK_LINK_unresolved_discards), 5);
	assert_int_equal(r.npkts, 3); /* one ICMP error per dropped packet */
	struct ip4_hdr ip;
	assert_int_equal(ip4_parse(r.pkts[0], 20 + 8 + 28, &ip), WIRE_OK);
	struct icmp_msg m;
	assert_int_equal(icmp_parse(r.pkts[0] + 20, ip.total_len - 20u, &m), WIRE_OK);
	assert_int_equal(m.type, ICMP_DEST_UNREACH);
	assert_int_equal(m.code, ICMP_HOST_UNREACH);
	assert_int_equal(m.q_dst, PEER);
	sk_link_free(l);
}

static void test_answers_requests_and_filters(void **state)
{
	(void)state;
	struct rec r;
	struct sk_link *l = new_link(&r, 0);
	uint8_t f[1600];
	sk_link_input(l, MS(0), f, arp_frame(f, 1, bcast, peer_mac, PEER, US));
	assert_int_equal(r.nframes, 1);
	assert_arp(r.frames[0], 2, peer_mac, PEER);
	/* not for us: another IP, another MAC, IPv6 */
	sk_link_input(l, MS(1), f, arp_frame(f, 1, bcast, peer_mac, PEER, SK_IP(10, 77, 0, 3)));
	assert_int_equal(r.nframes, 1);
	memcpy(f, our_mac, 6);
	memcpy(f + 6, peer_mac, 6);
	put_be16(f + 12, 0x0800);
	size_t n = ip_pkt(f + 14, PEER, SK_IP(10, 77, 0, 3));
	sk_link_input(l, MS(2), f, 14 + n);
	f[0] = 0x02;
	f[5] = 0x77;
	ip_pkt(f + 14, PEER, US);
	sk_link_input(l, MS(2), f, 14 + n);
	put_be16(f + 12, 0x86dd);
	sk_link_input(l, MS(2), f, 14 + n);
	assert_int_equal(r.npkts, 0);
	assert_int_equal(sk_link_counter(l, SK_LINK_rx_ip_not_ours), 1);
	assert_int_equal(sk_link_counter(l, SK_LINK_rx_otherhost), 2);
	/* for us: delivered, Ethernet padding and all */
	memcpy(f, our_mac, 6);
	put_be16(f + 12, 0x0800);
	sk_link_input(l, MS(3), f, 14 + n + 10);
	assert_int_equal(r.npkts, 1);
	/* the request taught us the peer: STALE, used at once, then DELAY */
	uint8_t p[64];
	n = ip_pkt(p, US, PEER);
	sk_link_output(l, MS(4), p, n);
	assert_int_equal(r.nframes, 2);
	assert_memory_equal(r.frames[1], peer_mac, 6);
	sk_link_free(l);
}

/* A stale entry is used, then probed by unicast after 5 s (DELAY), and
 * dropped after 3 unanswered probes. */
static void test_stale_probe(void **state)
{
	(void)state;
	struct rec r;
	struct sk_link *l = new_link(&r, 0);
	uint8_t f[64], p[64];
	sk_link_input(l, MS(0), f, arp_frame(f, 1, bcast, peer_mac, PEER, US));
	size_t n = ip_pkt(p, US, PEER);
	sk_link_output(l, MS(10), p, n);
	assert_int_equal(sk_link_deadline(l), MS(5010));
	sk_link_advance(l, MS(5010));
	assert_int_equal(r.nframes, 3);
	assert_arp(r.frames[2], 1, peer_mac, PEER); /* unicast probe */
	sk_link_advance(l, MS(6010));
	sk_link_advance(l, MS(7010));
	sk_link_advance(l, MS(8010));
	assert_int_equal(r.nframes, 5);
	assert_int_equal(sk_link_counter(l, SK_LINK_res_failed), 1);
	sk_link_output(l, MS(9000), p, n); /* FAILED: resolve again, broadcast */
	assert_arp(r.frames[5], 1, bcast, PEER);
	sk_link_free(l);
}

static void test_routes(void **state)
{
	(void)state;
	struct rec r;
	struct sk_link *l = new_link(&r, 0);
	uint8_t p[64];
	size_t n = ip_pkt(p, US, SK_IP(192, 0, 2, 1));
	sk_link_output(l, MS(0), p, n);
	assert_int_equal(r.nframes, 0);
	assert_int_equal(sk_link_deadline(l), 0);
	sk_link_advance(l, MS(0));
	assert_int_equal(r.npkts, 1); /* ICMP net unreachable, delivered outside the output call */
	assert_int_equal(r.pkts[0][20], ICMP_DEST_UNREACH);
	assert_int_equal(r.pkts[0][21], ICMP_NET_UNREACH);
	n = ip_pkt(p, US, US); /* to ourselves: looped back */
	sk_link_output(l, MS(1), p, n);
	sk_link_advance(l, MS(1));
	assert_int_equal(r.npkts, 2);
	assert_memory_equal(r.pkts[1], p, n);
	sk_link_free(l);
	l = new_link(&r, PEER); /* with a gateway: ARP for the gateway */
	n = ip_pkt(p, US, SK_IP(192, 0, 2, 1));
	sk_link_output(l, MS(0), p, n);
	assert_arp(r.frames[0], 1, bcast, PEER);
	sk_link_free(l);
}

static void test_mac_from_seed(void **state)
{
	(void)state;
	uint8_t a[6], b[6], c[6];
	sk_link_mac_from_seed(42, a);
	sk_link_mac_from_seed(42, b);
	sk_link_mac_from_seed(43, c);
	assert_memory_equal(a, b, 6);
	assert_memory_not_equal(a, c, 6);
	assert_int_equal(a[0] & 3, 2); /* unicast, locally administered */
}

static void check_sha(const char *msg, size_t len, const char *want)
{
	struct sha256 c;
	uint8_t d[SHA256_LEN];
	char hex[65];
	sha256_init(&c);
	for (size_t i = 0; i < len; i += 7) /* in odd pieces, to cross blocks */
		sha256_update(&c, msg + i, len - i < 7 ? len - i : 7);
	sha256_final(&c, d);
	sha256_hex(d, hex);
	assert_string_equal(hex, want);
}

static void test_sha256(void **state)
{
	(void)state;
	check_sha("", 0, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	check_sha("abc", 3, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	const char *two = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
	check_sha(two, strlen(two), "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
	char *m = malloc(1000000);
	assert_non_null(m);
	memset(m, 'a', 1000000);
	check_sha(m, 1000000, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
	free(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_resolve_then_send),
		cmocka_unit_test(test_resolution_fails),
		cmocka_unit_test(test_answers_requests_and_filters),
		cmocka_unit_test(test_stale_probe),
		cmocka_unit_test(test_routes),
		cmocka_unit_test(test_mac_from_seed),
		cmocka_unit_test(test_sha256),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
