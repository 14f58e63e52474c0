/* The simulator, driven through raw hosts only (no TCP stack), so these
 * tests hold whatever state the core is in: raw hosts send crafted IPv4
 * packets with sk_sim_send, and the tests read arrivals with sk_sim_take
 * and every packet event through the tap. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <synack/sim.h>

#define ADDR_A SK_IP(10, 0, 0, 1)
#define ADDR_B SK_IP(10, 0, 0, 2)
#define ADDR_C SK_IP(10, 0, 0, 3)
#define ADDR_ROUTER SK_IP(10, 0, 0, 254)
#define MS SK_NS_PER_MS
#define US 1000ull

/* ---- packets ---- */

static void wr16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)(v >> 8); p[1] = (uint8_t)v; }
static void wr32(uint8_t *p, uint32_t v) { wr16(p, (uint16_t)(v >> 16)); wr16(p + 2, (uint16_t)v); }
static uint16_t rd16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }
static uint32_t rd32(const uint8_t *p) { return (uint32_t)rd16(p) << 16 | rd16(p + 2); }

/* The Internet checksum; over data that includes its checksum field it
 * gives 0 when the checksum is right. */
static uint16_t csum(const uint8_t *p, size_t len)
{
	uint32_t sum = 0;
	for (size_t i = 0; i + 1 < len; i += 2)
		sum += rd16(p + i);
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* A `len`-byte IPv4 packet (valid header) whose payload starts with `tag`
 * and goes on with a pattern. */
static size_t mkpkt(uint8_t *buf, uint32_t src, uint32_t dst, uint8_t proto, size_t len,
		    uint32_t tag)
{
	memset(buf, 0, len);
	for (size_t i = 20; i < len; i++)
		buf[i] = (uint8_t)(i * 7 + tag);
	buf[0] = 0x45;
	wr16(buf + 2, (uint16_t)len);
	buf[8] = 64;
	buf[9] = proto;
	wr32(buf + 12, src);
	wr32(buf + 16, dst);
	wr16(buf + 10, csum(buf, 20));
	if (len >= 24)
		wr32(buf + 20, tag);
	return len;
}

static uint32_t tag_of(const uint8_t *pkt) { return rd32(pkt + 20); }

/* ---- fixture: three raw hosts and a tap that logs every event ---- */

struct rec {
	uint64_t t_ns;
	int from, to;
	enum sk_sim_what what;
	size_t len;
	uint64_t hash;
};

struct fx {
	struct sk_sim *sim;
	int a, b, c;
	struct rec *log;
	size_t n, cap;
	size_t count[SK_SIM_CORRUPTED + 1];
	uint8_t last[2048]; /* the bytes of the last event */
	size_t last_len;
};

static uint64_t fnv1a(const uint8_t *p, size_t len)
{
	uint64_t h = 0xcbf29ce484222325ull;
	for (size_t i = 0; i < len; i++)
		h = (h ^ p[i]) * 0x100000001b3ull;
	return h;
}

static void tap_fn(void *ctx, uint64_t now_ns, int from, int to, enum sk_sim_what what,
		   const uint8_t *pkt, size_t len)
{
	struct fx *f = ctx;
	if (f->n == f->cap) {
		f->cap = f->cap ? f->cap * 2 : 1024;
		f->log = realloc(f->log, f->cap * sizeof *f->log);
		assert_non_null(f->log);
	}
	f->log[f->n++] = (struct rec){ now_ns, from, to, what, len, fnv1a(pkt, len) };
	f->count[what]++;
	f->last_len = len < sizeof f->last ? len : sizeof f->last;
	memcpy(f->last, pkt, f->last_len);
}

static struct fx *fx_new(uint64_t seed)
{
	struct fx *f = calloc(1, sizeof *f);
	assert_non_null(f);
	f->sim = sk_sim_new(seed);
	assert_non_null(f->sim);
	f->a = sk_sim_add_raw(f->sim, "a", ADDR_A);
	f->b = sk_sim_add_raw(f->sim, "b", ADDR_B);
	f->c = sk_sim_add_raw(f->sim, "c", ADDR_C);
	assert_int_equal(f->a, 0);
	assert_int_equal(f->b, 1);
	assert_int_equal(f->c, 2);
	sk_sim_set_tap(f->sim, tap_fn, f);
	return f;
}

static void fx_free(struct fx *f)
{
	sk_sim_free(f->sim);
	free(f->log);
	free(f);
}

static int setup(void **state)
{
	*state = fx_new(1);
	return 0;
}

static int teardown(void **state)
{
	fx_free(*state);
	return 0;
}

/* Sends a `len`-byte packet tagged `tag` from host `from` to `dst`. */
static void send_tag(struct fx *f, int from, uint32_t dst, size_t len, uint32_t tag)
{
	uint8_t pkt[2048];
	mkpkt(pkt, sk_sim_addr(f->sim, from), dst, 6, len, tag);
	assert_int_equal(sk_sim_send(f->sim, from, pkt, len), 0);
}

/* The tag of the next packet waiting at `host` (and its arrival time), or
 * -1 when there is none. */
static long take_tag(struct fx *f, int host, uint64_t *at_ns)
{
	uint8_t pkt[2048];
	size_t len = sk_sim_take(f->sim, host, pkt, sizeof pkt, at_ns);
	if (len == 0)
		return -1;
	assert_true(len >= 24);
	return (long)tag_of(pkt);
}

static size_t drain(struct fx *f, int host)
{
	size_t n = 0;
	while (take_tag(f, host, NULL) >= 0)
		n++;
	return n;
}

static void set_path(struct fx *f, int a, int b, const struct sk_path *p)
{
	assert_int_equal(sk_sim_set_path(f->sim, a, b, p), 0);
}

/* ---- hosts and API edges ---- */

static void test_hosts(void **state)
{
	struct fx *f = *state;
	assert_string_equal(sk_sim_name(f->sim, f->b), "b");
	assert_int_equal(sk_sim_addr(f->sim, f->c), ADDR_C);
	assert_null(sk_sim_stack(f->sim, f->a));
	assert_null(sk_sim_name(f->sim, 3));
	assert_null(sk_sim_name(f->sim, -1));
	assert_int_equal(sk_sim_addr(f->sim, 7), 0);
	assert_int_equal(sk_sim_add_raw(f->sim, "dup", ADDR_B), -EEXIST);
	assert_int_equal(sk_sim_add_raw(f->sim, "zero", 0), -EINVAL);
	assert_int_equal(sk_sim_add_host(f->sim, "nocfg", NULL), -EINVAL);
	struct sk_config cfg;
	memset(&cfg, 0, sizeof cfg);
	cfg.addr = SK_IP(10, 0, 0, 9);
	cfg.mtu = 67; /* below IPv4's minimum: refused before any stack exists */
	assert_int_equal(sk_sim_add_host(f->sim, "tiny", &cfg), -EINVAL);
	cfg.addr = ADDR_A;
	cfg.mtu = 1500;
	assert_int_equal(sk_sim_add_host(f->sim, "taken", &cfg), -EEXIST);
	int d = sk_sim_add_raw(f->sim, NULL, SK_IP(10, 0, 0, 4));
	assert_int_equal(d, 3);
	assert_string_equal(sk_sim_name(f->sim, d), "host3");
	/* Many hosts: the path matrix grows and keeps the paths set before. */
	struct sk_path p = { .delay_ns = 7 * MS };
	set_path(f, f->a, f->b, &p);
	for (uint32_t i = 0; i < 20; i++)
		assert_true(sk_sim_add_raw(f->sim, NULL, SK_IP(10, 1, 0, i + 1)) >= 0);
	struct sk_path got;
	assert_int_equal(sk_sim_get_path(f->sim, f->a, f->b, &got), 0);
	assert_int_equal(got.delay_ns, 7 * MS);
	assert_int_equal(sk_sim_get_path(f->sim, f->b, f->a, &got), 0);
	assert_int_equal(got.delay_ns, 0);
}

static void test_path_api(void **state)
{
	struct fx *f = *state;
	struct sk_path p = { .loss = 1.5 };
	assert_int_equal(sk_sim_set_path(f->sim, f->a, f->b, &p), -EINVAL);
	p.loss = NAN;
	assert_int_equal(sk_sim_set_path(f->sim, f->a, f->b, &p), -EINVAL);
	p.loss = 0;
	p.dup = -0.1;
	assert_int_equal(sk_sim_set_path(f->sim, f->a, f->b, &p), -EINVAL);
	p.dup = 0;
	p.mtu = 19;
	assert_int_equal(sk_sim_set_path(f->sim, f->a, f->b, &p), -EINVAL);
	p.mtu = 0;
	p.unreach_code_plus1 = 17;
	assert_int_equal(sk_sim_set_path(f->sim, f->a, f->b, &p), -EINVAL);
	p.unreach_code_plus1 = 0;
	assert_int_equal(sk_sim_set_path(f->sim, f->a, 3, &p), -EINVAL);
	assert_int_equal(sk_sim_set_path(f->sim, -1, f->a, &p), -EINVAL);
	assert_int_equal(sk_sim_set_path(f->sim, f->a, f->b, NULL), -EINVAL);
	assert_int_equal(sk_sim_partition(f->sim, f->a, 9, 1), -EINVAL);

	p = (struct sk_path){ .delay_ns = 3, .loss = 0.25, .mtu = 576, .router_addr = 9 };
	assert_int_equal(sk_sim_set_link(f->sim, f->a, f->c, &p), 0);
	struct sk_path got;
	assert_int_equal(sk_sim_get_path(f->sim, f->c, f->a, &got), 0);
	assert_int_equal(got.delay_ns, 3);
	assert_true(got.loss == 0.25);
	assert_int_equal(got.mtu, 576);
	assert_int_equal(got.router_addr, 9);
	assert_int_equal(sk_sim_get_path(f->sim, f->a, f->b, &got), 0);
	assert_int_equal(got.mtu, 0);
	assert_int_equal(sk_sim_get_path(f->sim, f->a, 5, &got), -EINVAL);
}

static void test_send_errors(void **state)
{
	struct fx *f = *state;
	uint8_t pkt[64];
	mkpkt(pkt, ADDR_A, ADDR_B, 6, sizeof pkt, 1);
	assert_int_equal(sk_sim_send(f->sim, 3, pkt, sizeof pkt), -EINVAL);
	assert_int_equal(sk_sim_send(f->sim, -1, pkt, sizeof pkt), -EINVAL);
	assert_int_equal(sk_sim_send(f->sim, f->a, pkt, 0), -EINVAL);
	assert_int_equal(sk_sim_send(f->sim, f->a, NULL, 20), -EINVAL);
	assert_int_equal(sk_sim_send(f->sim, f->a, pkt, 65536), -EINVAL);
	assert_int_equal(f->n, 0);
	assert_int_equal(sk_sim_take(f->sim, f->b, pkt, sizeof pkt, NULL), 0);
	assert_int_equal(sk_sim_take(f->sim, 9, pkt, sizeof pkt, NULL), 0);
}

/* ---- timing ---- */

static void test_default_path_is_instant(void **state)
{
	struct fx *f = *state;
	assert_int_equal(sk_sim_next_event(f->sim), SK_NEVER);
	sk_sim_run_until(f->sim, 2 * MS);
	send_tag(f, f->a, ADDR_B, 40, 7);
	assert_int_equal(sk_sim_next_event(f->sim), 2 * MS);
	assert_int_equal(take_tag(f, f->b, NULL), -1); /* not until the sim runs */
	sk_sim_run_until(f->sim, 2 * MS);
	uint64_t at;
	assert_int_equal(take_tag(f, f->b, &at), 7);
	assert_int_equal(at, 2 * MS);
	assert_int_equal(f->n, 2);
	assert_int_equal(f->log[0].what, SK_SIM_SENT);
	assert_int_equal(f->log[0].from, f->a);
	assert_int_equal(f->log[0].to, f->b);
	assert_int_equal(f->log[1].what, SK_SIM_DELIVERED);
	assert_int_equal(f->log[1].t_ns, 2 * MS);
	assert_int_equal(sk_sim_next_event(f->sim), SK_NEVER);
}

static void test_delay_exact(void **state)
{
	struct fx *f = *state;
	struct sk_path p = { .delay_ns = 5 * MS };
	set_path(f, f->a, f->b, &p); /* one direction only */
	send_tag(f, f->a, ADDR_B, 40, 1);
	sk_sim_run_for(f->sim, 1 * MS);
	assert_int_equal(sk_sim_now(f->sim), 1 * MS);
	send_tag(f, f->a, ADDR_B, 40, 2);
	send_tag(f, f->b, ADDR_A, 40, 3);
	assert_int_equal(sk_sim_next_event(f->sim), 1 * MS);
	sk_sim_run_until(f->sim, 5 * MS - 1);
	uint64_t at;
	assert_int_equal(take_tag(f, f->a, &at), 3);
	assert_int_equal(at, 1 * MS);
	assert_int_equal(take_tag(f, f->b, NULL), -1);
	assert_int_equal(sk_sim_next_event(f->sim), 5 * MS);
	sk_sim_run_until(f->sim, 20 * MS);
	assert_int_equal(take_tag(f, f->b, &at), 1);
	assert_int_equal(at, 5 * MS);
	assert_int_equal(take_tag(f, f->b, &at), 2);
	assert_int_equal(at, 6 * MS);
	assert_int_equal(sk_sim_now(f->sim), 20 * MS);
	/* Time never goes back. */
	sk_sim_run_until(f->sim, 10 * MS);
	assert_int_equal(sk_sim_now(f->sim), 20 * MS);
}

static void test_same_instant_keeps_order(void **state)
{
	struct fx *f = *state;
	for (uint32_t i = 0; i < 500; i++)
		send_tag(f, f->a, ADDR_B, 24, i);
	sk_sim_run_for(f->sim, 0);
	for (long i = 0; i < 500; i++)
		assert_int_equal(take_tag(f, f->b, NULL), i);
	assert_int_equal(take_tag(f, f->b, NULL), -1);
}

/* Sends `n` packets from a to b, one every gap_ns, then checks they arrive
 * in order within [sent + delay, sent + delay + jitter]. Returns the
 * smallest and largest extra delay and their sum. */
static void jitter_run(struct fx *f, int n, uint64_t gap_ns, uint64_t delay_ns,
		       uint64_t jitter_ns, uint64_t extra_ns[3])
{
	uint64_t start_ns = sk_sim_now(f->sim);
	for (int i = 0; i < n; i++) {
		send_tag(f, f->a, ADDR_B, 40, (uint32_t)i);
		sk_sim_run_for(f->sim, gap_ns);
	}
	sk_sim_run_for(f->sim, delay_ns + jitter_ns);
	uint64_t prev_ns = 0;
	extra_ns[0] = UINT64_MAX;
	extra_ns[1] = extra_ns[2] = 0;
	for (long i = 0; i < n; i++) {
		uint64_t at;
		assert_int_equal(take_tag(f, f->b, &at), i); /* jitter never reorders */
		uint64_t sent_ns = start_ns + (uint64_t)i * gap_ns;
		assert_true(at >= sent_ns + delay_ns);
		assert_true(at <= sent_ns + delay_ns + jitter_ns);
		assert_true(at >= prev_ns);
		prev_ns = at;
		uint64_t extra = at - sent_ns - delay_ns;
		extra_ns[0] = extra < extra_ns[0] ? extra : extra_ns[0];
		extra_ns[1] = extra > extra_ns[1] ? extra : extra_ns[1];
		extra_ns[2] += extra;
	}
}

static void test_jitter_bounds(void **state)
{
	struct fx *f = *state;
	const uint64_t delay_ns = 10 * MS, jitter_ns = 4 * MS;
	struct sk_path p = { .delay_ns = delay_ns, .jitter_ns = jitter_ns };
	set_path(f, f->a, f->b, &p);
	/* Packets further apart than the jitter: the extra delay is uniform. */
	uint64_t extra_ns[3];
	jitter_run(f, 2000, 5 * MS, delay_ns, jitter_ns, extra_ns);
	assert_true(extra_ns[0] < 100 * US);
	assert_true(extra_ns[1] > 3900 * US);
	uint64_t mean_ns = extra_ns[2] / 2000;
	assert_true(mean_ns > 1900 * US && mean_ns < 2100 * US); /* sd of the mean: 26 us */
	/* Packets closer than the jitter queue behind each other: still in
	 * order and within the bounds. */
	jitter_run(f, 2000, 100 * US, delay_ns, jitter_ns, extra_ns);
}

static void test_bandwidth_serialises(void **state)
{
	struct fx *f = *state;
	/* 125 bytes at 1 Mbit/s take exactly 1 ms to serialise. */
	struct sk_path p = { .delay_ns = 2 * MS, .bandwidth_bps = 1000000 };
	set_path(f, f->a, f->b, &p);
	for (uint32_t i = 0; i < 3; i++)
		send_tag(f, f->a, ADDR_B, 125, i);
	send_tag(f, f->b, ADDR_A, 125, 9); /* the other direction is not limited */
	sk_sim_run_until(f->sim, 100 * MS);
	uint64_t at;
	assert_int_equal(take_tag(f, f->a, &at), 9);
	assert_int_equal(at, 0);
	for (long i = 0; i < 3; i++) {
		assert_int_equal(take_tag(f, f->b, &at), i);
		assert_int_equal(at, (uint64_t)(i + 3) * MS);
	}
	/* An idle link starts afresh; a packet sent while it is busy queues. */
	send_tag(f, f->a, ADDR_B, 250, 3);
	sk_sim_run_for(f->sim, 1 * MS);
	send_tag(f, f->a, ADDR_B, 125, 4);
	sk_sim_run_until(f->sim, 200 * MS);
	assert_int_equal(take_tag(f, f->b, &at), 3);
	assert_int_equal(at, 104 * MS);
	assert_int_equal(take_tag(f, f->b, &at), 4);
	assert_int_equal(at, 105 * MS);
	/* Serialisation rounds up: 800 bits at 3 Mbit/s are 266666.67 ns. */
	p = (struct sk_path){ .bandwidth_bps = 3000000 };
	set_path(f, f->a, f->c, &p);
	send_tag(f, f->a, ADDR_C, 100, 5);
	sk_sim_run_for(f->sim, 1 * MS);
	assert_int_equal(take_tag(f, f->c, &at), 5);
	assert_int_equal(at, 200 * MS + 266667);
}

static void test_reorder(void **state)
{
	struct fx *f = *state;
	struct sk_path p = { .delay_ns = 1 * MS, .reorder = 1.0, .reorder_ns = 5 * MS };
	set_path(f, f->a, f->b, &p);
	send_tag(f, f->a, ADDR_B, 40, 1);
	p.reorder = 0;
	set_path(f, f->a, f->b, &p);
	send_tag(f, f->a, ADDR_B, 40, 2);
	sk_sim_run_for(f->sim, 10 * MS);
	uint64_t at;
	assert_int_equal(take_tag(f, f->b, &at), 2);
	assert_int_equal(at, 1 * MS);
	assert_int_equal(take_tag(f, f->b, &at), 1);
	assert_int_equal(at, 6 * MS);

	/* With a probability: some packets are passed, none is lost, and a
	 * held-back one arrives exactly reorder_ns late. */
	p = (struct sk_path){ .delay_ns = 1 * MS, .reorder = 0.2, .reorder_ns = 3500 * US };
	set_path(f, f->a, f->c, &p);
	uint64_t start_ns = sk_sim_now(f->sim);
	for (uint32_t i = 0; i < 1000; i++) {
		send_tag(f, f->a, ADDR_C, 40, i);
		sk_sim_run_for(f->sim, 1 * MS);
	}
	sk_sim_run_for(f->sim, 10 * MS);
	int seen[1000] = { 0 };
	long prev = -1, inversions = 0;
	for (int i = 0; i < 1000; i++) {
		long tag = take_tag(f, f->c, &at);
		assert_true(tag >= 0 && tag < 1000);
		seen[tag]++;
		inversions += tag < prev;
		prev = tag;
		uint64_t late_ns = at - (start_ns + (uint64_t)tag * MS) - 1 * MS;
		assert_true(late_ns == 0 || late_ns == 3500 * US);
	}
	assert_int_equal(take_tag(f, f->c, NULL), -1);
	for (int i = 0; i < 1000; i++)
		assert_int_equal(seen[i], 1);
	assert_true(inversions > 50 && inversions < 400);
}

/* ---- faults ---- */

static void test_loss_rate(void **state)
{
	struct fx *f = *state;
	struct sk_path p = { .loss = 0.1 };
	set_path(f, f->a, f->b, &p);
	for (uint32_t i = 0; i < 10000; i++)
		send_tag(f, f->a, ADDR_B, 40, i);
	sk_sim_run_for(f->sim, 0);
	size_t got = drain(f, f->b);
	/* 9000 expected, standard deviation 30. */
	assert_true(got >= 8800 && got <= 9200);
	assert_int_equal(f->count[SK_SIM_LOST], 10000 - got);
	assert_int_equal(f->count[SK_SIM_DELIVERED], got);
	assert_int_equal(f->count[SK_SIM_SENT], 10000);
}

static void test_duplicate(void **state)
{
	struct fx *f = *state;
	struct sk_path p = { .delay_ns = 1 * MS, .dup = 1.0 };
	set_path(f, f->a, f->b, &p);
	for (uint32_t i = 0; i < 10; i++)
		send_tag(f, f->a, ADDR_B, 40, i);
	assert_int_equal(f->count[SK_SIM_DUPLICATED], 10);
	sk_sim_run_for(f->sim, 2 * MS);
	for (long i = 0; i < 10; i++) {
		uint8_t one[64], two[64];
		uint64_t at1, at2;
		assert_int_equal(sk_sim_take(f->sim, f->b, one, sizeof one, &at1), 40);
		assert_int_equal(sk_sim_take(f->sim, f->b, two, sizeof two, &at2), 40);
		assert_int_equal(tag_of(one), i);
		assert_memory_equal(one, two, 40);
		assert_int_equal(at1, 1 * MS);
		assert_int_equal(at2, 1 * MS);
	}
	assert_int_equal(f->count[SK_SIM_DELIVERED], 20);

	p.dup = 0.5;
	set_path(f, f->a, f->c, &p);
	for (uint32_t i = 0; i < 2000; i++)
		send_tag(f, f->a, ADDR_C, 40, i);
	sk_sim_run_for(f->sim, 2 * MS);
	size_t got = drain(f, f->c);
	assert_true(got >= 2850 && got <= 3150); /* 3000 expected, sd 22 */
}

static int bits_differing(const uint8_t *x, const uint8_t *y, size_t len)
{
	int n = 0;
	for (size_t i = 0; i < len; i++)
		n += __builtin_popcount((unsigned)(x[i] ^ y[i]));
	return n;
}

static void test_corrupt_flips_one_bit(void **state)
{
	struct fx *f = *state;
	struct sk_path p = { .corrupt = 1.0 };
	set_path(f, f->a, f->b, &p);
	for (uint32_t i = 0; i < 200; i++) {
		uint8_t sent[100], got[100];
		mkpkt(sent, ADDR_A, ADDR_B, 6, sizeof sent, i);
		assert_int_equal(sk_sim_send(f->sim, f->a, sent, sizeof sent), 0);
		assert_int_equal(f->log[f->n - 1].what, SK_SIM_CORRUPTED);
		assert_int_equal(bits_differing(sent, f->last, sizeof sent), 1);
		sk_sim_run_for(f->sim, 0);
		assert_int_equal(sk_sim_take(f->sim, f->b, got, sizeof got, NULL), sizeof got);
		assert_int_equal(bits_differing(sent, got, sizeof sent), 1);
		assert_int_equal(f->log[f->n - 1].hash, fnv1a(got, sizeof got));
	}
	assert_int_equal(f->count[SK_SIM_CORRUPTED], 200);
	/* The header checksum catches a flip in the header. */
	uint8_t sent[20], got[20];
	mkpkt(sent, ADDR_A, ADDR_B, 6, sizeof sent, 0);
	assert_int_equal(sk_sim_send(f->sim, f->a, sent, sizeof sent), 0);
	sk_sim_run_for(f->sim, 0);
	assert_int_equal(sk_sim_take(f->sim, f->b, got, sizeof got, NULL), 20);
	assert_int_not_equal(csum(got, 20), 0);
}

static void test_mtu(void **state)
{
	struct fx *f = *state;
	struct sk_path p = { .mtu = 100 };
	set_path(f, f->a, f->b, &p);
	send_tag(f, f->a, ADDR_B, 100, 1);
	send_tag(f, f->a, ADDR_B, 101, 2);
	send_tag(f, f->b, ADDR_A, 1000, 3); /* the other direction has no limit */
	sk_sim_run_for(f->sim, 0);
	assert_int_equal(take_tag(f, f->b, NULL), 1);
	assert_int_equal(take_tag(f, f->b, NULL), -1);
	assert_int_equal(take_tag(f, f->a, NULL), 3);
	assert_int_equal(f->count[SK_SIM_LOST], 1);
	assert_int_equal(f->log[2].what, SK_SIM_LOST);
	assert_int_equal(f->log[2].len, 101);
}

static void test_partition_and_heal(void **state)
{
	struct fx *f = *state;
	struct sk_path p = { .delay_ns = 1 * MS };
	assert_int_equal(sk_sim_set_link(f->sim, f->a, f->b, &p), 0);
	assert_int_equal(sk_sim_partition(f->sim, f->a, f->b, 1), 0);
	send_tag(f, f->a, ADDR_B, 40, 1);
	send_tag(f, f->b, ADDR_A, 40, 2);
	send_tag(f, f->a, ADDR_C, 40, 3);
	sk_sim_run_for(f->sim, 5 * MS);
	assert_int_equal(take_tag(f, f->b, NULL), -1);
	assert_int_equal(take_tag(f, f->a, NULL), -1);
	assert_int_equal(take_tag(f, f->c, NULL), 3);
	assert_int_equal(f->count[SK_SIM_LOST], 2);
	struct sk_path got;
	assert_int_equal(sk_sim_get_path(f->sim, f->b, f->a, &got), 0);
	assert_int_equal(got.down, 1);
	assert_int_equal(got.delay_ns, 1 * MS);

	assert_int_equal(sk_sim_partition(f->sim, f->b, f->a, 0), 0);
	send_tag(f, f->a, ADDR_B, 40, 4);
	send_tag(f, f->b, ADDR_A, 40, 5);
	sk_sim_run_for(f->sim, 5 * MS);
	uint64_t at;
	assert_int_equal(take_tag(f, f->b, &at), 4);
	assert_int_equal(at, 6 * MS);
	assert_int_equal(take_tag(f, f->a, &at), 5);
	assert_int_equal(at, 6 * MS);
}

/* Checks that `msg` is the router's destination unreachable with `code`
 * for `orig` (of orig_len bytes), sent to `dst`. */
static void check_unreach(const uint8_t *msg, size_t len, uint32_t dst, uint8_t code,
			  const uint8_t *orig, size_t orig_len)
{
	size_t quote_len = orig_len < 28 ? orig_len : 28;
	assert_int_equal(len, 20 + 8 + quote_len);
	assert_int_equal(msg[0], 0x45);
	assert_int_equal(rd16(msg + 2), len);
	assert_int_equal(msg[9], 1);
	assert_true(msg[8] > 0);
	assert_int_equal(rd16(msg + 6) & 0x3fff, 0);
	assert_int_equal(rd32(msg + 12), ADDR_ROUTER);
	assert_int_equal(rd32(msg + 16), dst);
	assert_int_equal(csum(msg, 20), 0);
	assert_int_equal(msg[20], 3);
	assert_int_equal(msg[21], code);
	assert_int_equal(csum(msg + 20, len - 20), 0);
	assert_memory_equal(msg + 28, orig, quote_len);
}

static void test_icmp_unreachable(void **state)
{
	struct fx *f = *state;
	struct sk_path p = { .delay_ns = 3 * MS, .down = 1, .unreach_code_plus1 = 1 + 1,
			     .router_addr = ADDR_ROUTER };
	assert_int_equal(sk_sim_set_link(f->sim, f->a, f->b, &p), 0);
	uint8_t orig[60], msg[200];
	mkpkt(orig, ADDR_A, ADDR_B, 6, sizeof orig, 0x1234);
	assert_int_equal(sk_sim_send(f->sim, f->a, orig, sizeof orig), 0);
	/* The tap sees the loss, then the router's message (from -1). */
	assert_int_equal(f->log[1].what, SK_SIM_LOST);
	assert_int_equal(f->log[2].what, SK_SIM_SENT);
	assert_int_equal(f->log[2].from, -1);
	assert_int_equal(f->log[2].to, f->a);
	sk_sim_run_for(f->sim, 10 * MS);
	assert_int_equal(take_tag(f, f->b, NULL), -1);
	uint64_t at;
	size_t len = sk_sim_take(f->sim, f->a, msg, sizeof msg, &at);
	assert_int_equal(at, 3 * MS);
	check_unreach(msg, len, ADDR_A, 1, orig, sizeof orig);
	assert_int_equal(sk_sim_take(f->sim, f->a, msg, sizeof msg, NULL), 0);

	/* The error goes to the packet's source, not to the host that sent it;
	 * a packet shorter than header + 8 is quoted whole; partition() keeps
	 * the router's settings. */
	assert_int_equal(sk_sim_partition(f->sim, f->a, f->b, 0), 0);
	assert_int_equal(sk_sim_partition(f->sim, f->a, f->b, 1), 0);
	mkpkt(orig, ADDR_C, ADDR_B, 6, 25, 7);
	assert_int_equal(sk_sim_send(f->sim, f->a, orig, 25), 0);
	sk_sim_run_for(f->sim, 10 * MS);
	assert_int_equal(sk_sim_take(f->sim, f->a, msg, sizeof msg, NULL), 0);
	len = sk_sim_take(f->sim, f->c, msg, sizeof msg, NULL);
	check_unreach(msg, len, ADDR_C, 1, orig, 25);
}

static void test_icmp_frag_needed_and_no_error_about_errors(void **state)
{
	struct fx *f = *state;
	struct sk_path p = { .down = 1, .unreach_code_plus1 = 4 + 1, .mtu = 1400,
			     .router_addr = ADDR_ROUTER };
	set_path(f, f->a, f->b, &p);
	uint8_t orig[40], msg[200];
	mkpkt(orig, ADDR_A, ADDR_B, 6, sizeof orig, 1);
	assert_int_equal(sk_sim_send(f->sim, f->a, orig, sizeof orig), 0);
	sk_sim_run_for(f->sim, 0);
	size_t len = sk_sim_take(f->sim, f->a, msg, sizeof msg, NULL);
	check_unreach(msg, len, ADDR_A, 4, orig, sizeof orig);
	assert_int_equal(rd16(msg + 26), 1400); /* RFC 1191 next-hop MTU */

	/* No error about an ICMP error, a later fragment, or a packet from a
	 * multicast source; an echo request does get one. */
	mkpkt(orig, ADDR_A, ADDR_B, 1, sizeof orig, 0);
	orig[20] = 3;
	assert_int_equal(sk_sim_send(f->sim, f->a, orig, sizeof orig), 0);
	mkpkt(orig, ADDR_A, ADDR_B, 6, sizeof orig, 0);
	wr16(orig + 6, 185);
	assert_int_equal(sk_sim_send(f->sim, f->a, orig, sizeof orig), 0);
	mkpkt(orig, SK_IP(224, 0, 0, 1), ADDR_B, 6, sizeof orig, 0);
	assert_int_equal(sk_sim_send(f->sim, f->a, orig, sizeof orig), 0);
	sk_sim_run_for(f->sim, 0);
	assert_int_equal(sk_sim_take(f->sim, f->a, msg, sizeof msg, NULL), 0);
	mkpkt(orig, ADDR_A, ADDR_B, 1, sizeof orig, 0);
	orig[20] = 8;
	assert_int_equal(sk_sim_send(f->sim, f->a, orig, sizeof orig), 0);
	sk_sim_run_for(f->sim, 0);
	assert_int_equal(sk_sim_take(f->sim, f->a, msg, sizeof msg, NULL), 20 + 8 + 28);
}

static void test_unknown_and_malformed_lost(void **state)
{
	struct fx *f = *state;
	send_tag(f, f->a, SK_IP(10, 9, 9, 9), 40, 1);
	assert_int_equal(f->n, 2);
	assert_int_equal(f->log[0].what, SK_SIM_SENT);
	assert_int_equal(f->log[0].to, -1);
	assert_int_equal(f->log[1].what, SK_SIM_LOST);
	assert_int_equal(f->log[1].to, -1);
	uint8_t pkt[20];
	mkpkt(pkt, ADDR_A, ADDR_B, 6, sizeof pkt, 0);
	assert_int_equal(sk_sim_send(f->sim, f->a, pkt, 19), 0);
	assert_int_equal(f->log[3].what, SK_SIM_LOST);
	assert_int_equal(f->log[3].len, 19);
	sk_sim_run_for(f->sim, 1 * MS);
	assert_int_equal(f->count[SK_SIM_DELIVERED], 0);
	assert_int_equal(take_tag(f, f->b, NULL), -1);
	/* A host may send to itself (its own path, instant by default). */
	send_tag(f, f->a, ADDR_A, 40, 2);
	sk_sim_run_for(f->sim, 0);
	assert_int_equal(take_tag(f, f->a, NULL), 2);
}

/* ---- crash and reboot ---- */

static void test_crash_and_reboot_raw(void **state)
{
	struct fx *f = *state;
	struct sk_path p = { .delay_ns = 10 * MS };
	set_path(f, f->a, f->b, &p);
	send_tag(f, f->c, ADDR_B, 40, 1);
	sk_sim_run_for(f->sim, 0);
	send_tag(f, f->a, ADDR_B, 40, 2); /* in flight across the crash: arrives at 10 ms */
	send_tag(f, f->c, ADDR_B, 40, 3); /* arrives while b is down */
	assert_int_equal(sk_sim_crash(f->sim, f->b), 0);
	assert_int_equal(sk_sim_crash(f->sim, 7), -EINVAL);
	uint8_t pkt[40];
	mkpkt(pkt, ADDR_B, ADDR_A, 6, sizeof pkt, 0);
	assert_int_equal(sk_sim_send(f->sim, f->b, pkt, sizeof pkt), -EHOSTDOWN);
	sk_sim_run_for(f->sim, 5 * MS);
	assert_int_equal(take_tag(f, f->b, NULL), -1); /* the queue went with the crash */
	assert_int_equal(f->count[SK_SIM_LOST], 1);
	assert_int_equal(f->log[f->n - 1].what, SK_SIM_LOST);
	assert_int_equal(f->log[f->n - 1].t_ns, 0);
	assert_int_equal(f->log[f->n - 1].to, f->b);
	assert_int_equal(sk_sim_reboot(f->sim, f->b), 0);
	assert_int_equal(sk_sim_reboot(f->sim, -1), -EINVAL);
	sk_sim_run_for(f->sim, 10 * MS);
	uint64_t at;
	assert_int_equal(take_tag(f, f->b, &at), 2);
	assert_int_equal(at, 10 * MS);
	assert_int_equal(sk_sim_send(f->sim, f->b, pkt, sizeof pkt), 0);
	/* Rebooting a live host crashes it first. */
	send_tag(f, f->c, ADDR_B, 40, 4);
	sk_sim_run_for(f->sim, 0);
	assert_int_equal(sk_sim_reboot(f->sim, f->b), 0);
	assert_int_equal(take_tag(f, f->b, NULL), -1);
}

static void test_take_truncates(void **state)
{
	struct fx *f = *state;
	send_tag(f, f->a, ADDR_B, 200, 42);
	send_tag(f, f->a, ADDR_B, 30, 43);
	sk_sim_run_for(f->sim, 0);
	uint8_t buf[64];
	memset(buf, 0xee, sizeof buf);
	assert_int_equal(sk_sim_take(f->sim, f->b, buf, 50, NULL), 200);
	assert_int_equal(tag_of(buf), 42);
	assert_int_equal(buf[49], (uint8_t)(49 * 7 + 42));
	assert_int_equal(buf[50], 0xee);
	assert_int_equal(sk_sim_take(f->sim, f->b, NULL, 0, NULL), 30);
	assert_int_equal(sk_sim_take(f->sim, f->b, buf, sizeof buf, NULL), 0);
}

/* ---- reproducibility and scale ---- */

/* Every fault on both directions, packets both ways at irregular times. */
static struct fx *run_scenario(uint64_t seed)
{
	struct fx *f = fx_new(seed);
	struct sk_path p = { .delay_ns = 2 * MS, .jitter_ns = 1 * MS, .loss = 0.1, .dup = 0.1,
			     .reorder = 0.1, .reorder_ns = 3 * MS, .corrupt = 0.1,
			     .bandwidth_bps = 10000000 };
	assert_int_equal(sk_sim_set_link(f->sim, f->a, f->b, &p), 0);
	for (uint32_t i = 0; i < 3000; i++) {
		send_tag(f, i % 3 ? f->a : f->b, i % 3 ? ADDR_B : ADDR_A, 40 + i % 700, i);
		sk_sim_run_for(f->sim, (i * 7919) % 500 * US);
	}
	sk_sim_run_for(f->sim, 1000 * MS);
	return f;
}

static int same_log(const struct fx *x, const struct fx *y)
{
	if (x->n != y->n)
		return 0;
	for (size_t i = 0; i < x->n; i++) {
		const struct rec *r = &x->log[i], *s = &y->log[i];
		if (r->t_ns != s->t_ns || r->from != s->from || r->to != s->to ||
		    r->what != s->what || r->len != s->len || r->hash != s->hash)
			return 0;
	}
	return 1;
}

static void test_reproducible(void **state)
{
	(void)state;
	struct fx *x = run_scenario(7), *y = run_scenario(7), *z = run_scenario(8);
	assert_true(x->n > 6000);
	for (int w = SK_SIM_SENT; w <= SK_SIM_CORRUPTED; w++)
		assert_true(x->count[w] > 0);
	assert_true(same_log(x, y));
	assert_false(same_log(x, z));
	fx_free(x);
	fx_free(y);
	fx_free(z);
}

static void test_flood(void **state)
{
	struct fx *f = *state;
	struct sk_path p = { .delay_ns = 1 * MS };
	set_path(f, f->a, f->b, &p);
	/* Twice, so the second round runs on pooled buffers and events. */
	for (int round = 0; round < 2; round++) {
		sk_sim_set_tap(f->sim, NULL, NULL);
		for (uint32_t i = 0; i < 100000; i++)
			send_tag(f, f->a, ADDR_B, 40 + i % 3 * 500, i);
		assert_int_equal(sk_sim_next_event(f->sim), sk_sim_now(f->sim) + 1 * MS);
		sk_sim_run_for(f->sim, 2 * MS);
		for (long i = 0; i < 100000; i++)
			assert_int_equal(take_tag(f, f->b, NULL), i);
		assert_int_equal(take_tag(f, f->b, NULL), -1);
	}
	assert_int_equal(f->n, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_hosts, setup, teardown),
		cmocka_unit_test_setup_teardown(test_path_api, setup, teardown),
		cmocka_unit_test_setup_teardown(test_send_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_default_path_is_instant, setup, teardown),
		cmocka_unit_test_setup_teardown(test_delay_exact, setup, teardown),
		cmocka_unit_test_setup_teardown(test_same_instant_keeps_order, setup, teardown),
		cmocka_unit_test_setup_teardown(test_jitter_bounds, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bandwidth_serialises, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reorder, setup, teardown),
		cmocka_unit_test_setup_teardown(test_loss_rate, setup, teardown),
		cmocka_unit_test_setup_teardown(test_duplicate, setup, teardown),
		cmocka_unit_test_setup_teardown(test_corrupt_flips_one_bit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mtu, setup, teardown),
		cmocka_unit_test_setup_teardown(test_partition_and_heal, setup, teardown),
		cmocka_unit_test_setup_teardown(test_icmp_unreachable, setup, teardown),
		cmocka_unit_test_setup_teardown(test_icmp_frag_needed_and_no_error_about_errors,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_unknown_and_malformed_lost, setup, teardown),
		cmocka_unit_test_setup_teardown(test_crash_and_reboot_raw, setup, teardown),
		cmocka_unit_test_setup_teardown(test_take_truncates, setup, teardown),
		cmocka_unit_test(test_reproducible),
		cmocka_unit_test_setup_teardown(test_flood, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
