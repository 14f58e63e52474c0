/* Bad input never crashes and loses nothing: thousands of mutated copies of
 * real segments (flipped bytes, truncations, lying lengths, with checksums
 * left wrong or repaired so the garbage reaches the TCP state machine) hit
 * a server with a listener and a live connection. Afterwards the
 * connection still carries data intact, every drop was counted, and the
 * hosts give back all their memory (ASan/UBSan watch every read). */
#include <stdlib.h>
#include <string.h>

#include "harness.h"

#define C_ADDR SK_IP(10, 0, 0, 1)
#define S_ADDR SK_IP(10, 0, 0, 2)
#define X_ADDR SK_IP(10, 0, 0, 9)

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;
static uint32_t rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (uint32_t)rng_state;
}

/* Re-computes the IP and TCP checksums of a (possibly mangled) packet so
 * the mutation gets past them, when its lengths still make sense. */
static void repair_checksums(uint8_t *p, size_t len)
{
	if (len < IP4_HDR_LEN)
		return;
	size_t ihl = (size_t)(p[0] & 0xf) * 4;
	if (ihl < IP4_HDR_LEN || ihl > len)
		return;
	p[10] = p[11] = 0;
	uint16_t c = csum_fold(csum_add(0, p, ihl));
	memcpy(p + 10, &c, 2);
	size_t total = get_be16(p + 2);
	if (total < ihl + TCP_HDR_LEN || total > len || p[9] != IP_PROTO_TCP)
		return;
	tcp_csum_set(p + ihl, total - ihl, get_be32(p + 12), get_be32(p + 16));
}

static void mutate(uint8_t *p, size_t *len)
{
	switch (rnd() % 6) {
	case 0: /* flip a few random bytes */
		for (int i = 0, n = 1 + rnd() % 4; i < n; i++)
			p[rnd() % *len] ^= (uint8_t)(1 + rnd() % 255);
		break;
	case 1: /* truncate */
		*len = rnd() % (*len + 1);
		break;
	case 2: /* a lying IP total length */
		put_be16(p + 2, (uint16_t)rnd());
		break;
	case 3: /* a lying TCP data offset */
		if (*len > 33)
			p[32] = (uint8_t)((rnd() % 16) << 4 | (p[32] & 0xf));
		break;
	case 4: /* random TCP flags, seq and ack */
		if (*len > 40) {
			p[33] = (uint8_t)rnd();
			put_be32(p + 24, get_be32(p + 24) + (rnd() % 200000) - 100000);
			put_be32(p + 28, get_be32(p + 28) + (rnd() % 200000) - 100000);
		}
		break;
	default: /* garbage options */
		if (*len > 40)
			for (size_t i = 40; i < *len && i < 60; i++)
				p[i] = (uint8_t)rnd();
		break;
	}
}

static void fuzz_established_and_listener(void **state)
{
	(void)state;
	struct h *h = h_new();
	int c = h_host(h, "client", C_ADDR, NULL);
	int s = h_host(h, "server", S_ADDR, NULL);
	int x = h_raw(h, "attacker", X_ADDR);
	int lfd = h_listen(h, s, 80, 128);
	int cfd = h_connect(h, c, S_ADDR, 80);
	h_run_for(h, MS(1));
	int afd = sk_accept(h_st(h, s), lfd, NULL, NULL);
	assert_true(afd >= 0);
	static uint8_t msg[3000];
	for (size_t i = 0; i < sizeof(msg); i++)
		msg[i] = (uint8_t)(i * 7);
	assert_int_equal(sk_send(h_st(h, c), cfd, msg, sizeof(msg), 0), sizeof(msg));
	h_run_for(h, MS(1));
	/* Seeds: every packet the two hosts have sent so far. */
	int nseeds = h->npkts;
	assert_true(nseeds >= 4);
	for (int round = 0; round < 20000; round++) {
		const struct h_pkt *seed = &h->pkts[rnd() % (uint32_t)nseeds];
		uint8_t pkt[2048];
		size_t len = seed->len;
		memcpy(pkt, seed->raw, len);
		mutate(pkt, &len);
		if (rnd() % 2)
			repair_checksums(pkt, len);
		if (len == 0)
			continue;
		/* it goes wherever its (possibly mangled) destination says */
		sk_sim_send(h->sim, x, pkt, len);
		if (round % 100 == 0)
			h_run_for(h, MS(1));
	}
	h_run_for(h, SEC(5));
	assert_true(sk_counter(h_st(h, s), SK_MIB_InCsumErrors) > 0);
	assert_true(sk_counter(h_st(h, s), SK_MIB_IpInHdrErrors) > 0);
	/* Whatever the garbage did to that connection (a forged in-window RST
	 * may legitimately kill it), the host still works: a new connection
	 * carries 3000 bytes intact. */
	int cfd2 = h_connect(h, c, S_ADDR, 80);
	h_run_for(h, MS(1));
	int afd2 = sk_accept(h_st(h, s), lfd, NULL, NULL);
	assert_true(afd2 >= 0);
	assert_int_equal(sk_send(h_st(h, c), cfd2, msg, sizeof(msg), 0), sizeof(msg));
	h_run_for(h, MS(300));
	static uint8_t got[4000];
	assert_int_equal(sk_recv(h_st(h, s), afd2, got, sizeof(got), 0), sizeof(msg));
	assert_memory_equal(got, msg, sizeof(msg));
	h_free(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(fuzz_established_and_listener),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
