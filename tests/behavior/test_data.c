/* Data transfer: BEHAVIOR.md D1 (byte stream: order, loss, duplication,
 * corruption, out-of-order buffering) and D2 (cumulative and delayed ACKs).
 *
 * Most tests play the sender from a raw host (10.0.0.1:40000) so that every
 * segment is crafted and timed exactly, against a synack server socket
 * (10.0.0.2:80), over a path with 10 ms of delay each way. The raw sender
 * offers MSS 100 and nothing else (no timestamps, SACK or window scaling):
 * its 100-byte segments are then full-sized and, being under 128 bytes,
 * never make Linux grow its receive window (tcp_grow_window), whose
 * side effect (quick |= 1, an immediate ACK) would otherwise hide the
 * delayed-ACK rules early in a connection.
 *
 * Linux reference, measured on this machine (kernel 6.18, HZ 250) with a
 * scripted peer on a TUN device in a private network namespace, the same
 * segments as these tests:
 * - Quick-ACK: the first data starts quick-ACK mode with
 *   min(rcv_wnd / (2 * rcv_mss), 16) = 16 ACKs: segments 1..16 were ACKed
 *   within 0.2 ms, the 17th after 42 ms (40 ms + jiffy rounding).
 * - A delayed ACK covers everything received meanwhile: two small
 *   segments 10 ms apart got one ACK, 40 ms after the first.
 * - If the pending delayed ACK is due within ato/4 when another segment
 *   arrives, the ACK goes at once (tcp_send_delayed_ack): second segment
 *   20 ms after the first: one ACK at +40 ms; 35 ms after: ACK at +35 ms.
 * - With the application reading, every second full-sized segment is
 *   ACKed at once and an odd one after 40 ms: groups of 3, 4, 2, 5 and 1
 *   segments 2 ms apart gave ACKs after segments 2 | 2, 4 | 2 | 2, 4 and
 *   the rest 40 ms later. TcpExtDelayedACKs counted only the delayed ACKs
 *   that the timer sent (5 in that run), not the ones scheduled and then
 *   overtaken by an immediate ACK.
 * - Filling a hole sends an ACK at once (RFC 5681 §4.2; Linux sets
 *   ICSK_ACK_NOW when the out-of-order queue empties), even for 20 bytes.
 * - Without SACK, an out-of-order segment gets a duplicate ACK at once.
 * - Data arriving after an idle time longer than the RTO restarts
 *   quick-ACK mode (tcp_event_data_recv): three small segments after 1 s
 *   of silence were each ACKed at once.
 * - A fully old duplicate is ACKed at once and restarts quick-ACK mode
 *   (tcp_enter_quickack_mode): the next three segments were ACKed at once.
 * - A segment shorter than the MSS, or a full one with PSH, that the
 *   application reads at once is ACKed at once (tcp_cleanup_rbuf,
 *   ICSK_ACK_PUSHED); a full segment without PSH is not (40 ms).
 * - Data sent by the application before the delayed ACK is due carries
 *   the ACK; no separate ACK follows.
 * - The delayed-ACK timeout doubles each time the timer fires (ato),
 *   bounded by max(SRTT, 40 ms): with a 100 ms RTT the lone segments after
 *   the quick-ACK phase were ACKed after 42, 83, 105, 107, 108 ms, that is
 *   40, 80, 100, 100 ms.
 * - Out of order: TcpExtTCPOFOQueue counts every segment put to (or
 *   merged into) the out-of-order queue, a repeated one included: 3 for
 *   seg2, seg3, seg2 again.
 */
#include "harness.h"

#include <stdlib.h>
#include <string.h>

#define R_ADDR SK_IP(10, 0, 0, 1)
#define S_ADDR SK_IP(10, 0, 0, 2)
#define R_PORT 40000
#define S_PORT 80
#define ISS 1000u   /* the raw sender's ISN: data byte i has seq ISS + 1 + i */
#define FULL 100u   /* the raw sender's MSS */

static uint8_t pat(uint32_t i) { return (uint8_t)(i * 131u + (i >> 9) + 7u); }

struct rp {
	struct h *h;
	int r, s;          /* raw sender, synack server */
	int afd;
	uint64_t d;        /* one-way delay */
	uint32_t s0;       /* the server's first sequence number after its SYN */
	uint32_t off;      /* next data offset the sender will send */
};

#define SST(p) h_st((p)->h, (p)->s)

/* The simulation (and buffers) of the running test: freed by the teardown
 * when a test fails half-way, so a failure leaks nothing under the
 * sanitizers. */
static struct h *g_h;
static uint8_t *g_out, *g_in;

static int teardown(void **state)
{
	(void)state;
	if (g_h)
		h_free(g_h);
	g_h = NULL;
	free(g_out);
	free(g_in);
	g_out = g_in = NULL;
	return 0;
}

/* Ends a test: frees everything and checks every host's memory came back. */
static void finish(struct h *h)
{
	g_h = NULL;
	h_free(h);
}

/* The next packet the server sent (the raw sender's own are skipped). */
static const struct h_pkt *next_s(struct rp *p)
{
	for (;;) {
		const struct h_pkt *k = h_next(p->h);
		if (k->from == p->s)
			return k;
	}
}

/* Asserts that the server has sent nothing since the last packet checked. */
static void none_s(struct rp *p)
{
	while (h_pending(p->h)) {
		const struct h_pkt *k = &p->h->pkts[p->h->next_pkt];
		if (k->from == p->s)
			h_no_more(p->h); /* fails, describing the packet */
		p->h->next_pkt++;
	}
}

/* A pure ACK from the server at `t` acknowledging `off` data bytes. */
static void ack_at(struct rp *p, uint64_t t, uint32_t off)
{
	h_expect(next_s(p), t, p->s, ".", p->s0, ISS + 1 + off, 0);
}

/* The raw sender sends data bytes [off, off + len) at time `t`. */
static void seg_at(struct rp *p, uint64_t t, uint32_t off, uint32_t len, uint8_t flags)
{
	uint8_t buf[2000];
	assert_true(len <= sizeof(buf));
	for (uint32_t i = 0; i < len; i++)
		buf[i] = pat(off + i);
	h_run_until(p->h, t);
	assert_int_equal(sk_sim_now(p->h->sim), t); /* not late */
	struct h_seg s = { .src = R_ADDR, .dst = S_ADDR, .sport = R_PORT, .dport = S_PORT,
			   .seq = ISS + 1 + off, .ack = p->s0, .flags = flags, .wnd = 65535,
			   .data = buf, .len = len };
	h_send(p->h, p->r, &s);
	if (off + len > p->off)
		p->off = off + len;
}

/* Reads what the server socket holds; checks it is bytes [*rd, ...). */
static uint32_t read_all(struct rp *p, uint32_t *rd)
{
	uint8_t buf[4096];
	long n = sk_recv(SST(p), p->afd, buf, sizeof(buf), 0);
	if (n == -EAGAIN)
		return 0;
	assert_true(n > 0);
	for (long i = 0; i < n; i++)
		if (buf[i] != pat(*rd + (uint32_t)i))
			fail_msg("byte %u is wrong", *rd + (uint32_t)i);
	*rd += (uint32_t)n;
	return (uint32_t)n;
}

/* The raw sender opens a connection (SYN with MSS 100 at 0), the server
 * answers at d, the sender ACKs at 2d, the server accepts at 3d. */
static void open_raw(struct rp *p, uint64_t delay)
{
	memset(p, 0, sizeof(*p));
	struct h *h = p->h = g_h = h_new();
	p->r = h_raw(h, "sender", R_ADDR);
	p->s = h_host(h, "server", S_ADDR, NULL);
	p->d = delay;
	struct sk_path path = { .delay_ns = delay };
	assert_int_equal(sk_sim_set_link(h->sim, p->r, p->s, &path), 0);
	int lfd = h_listen(h, p->s, S_PORT, 16);
	struct h_seg syn = { .src = R_ADDR, .dst = S_ADDR, .sport = R_PORT, .dport = S_PORT,
			     .seq = ISS, .flags = TCP_SYN, .wnd = 65535,
			     .opts = { .has = TCP_HAS_MSS, .mss = FULL } };
	h_send(h, p->r, &syn);
	h_run_until(h, 2 * delay);
	const struct h_pkt *sa = next_s(p);
	h_expect(sa, delay, p->s, "S.", sa->tcp.seq, ISS + 1, 0);
	p->s0 = sa->tcp.seq + 1;
	struct h_pkt got;
	h_take(h, p->r, &got); /* the SYN-ACK as delivered to the sender */
	struct h_seg ack = { .src = R_ADDR, .dst = S_ADDR, .sport = R_PORT, .dport = S_PORT,
			     .seq = ISS + 1, .ack = p->s0, .flags = TCP_ACK, .wnd = 65535 };
	h_send(h, p->r, &ack);
	h_run_until(h, 3 * delay);
	p->afd = sk_accept(SST(p), lfd, NULL, NULL);
	assert_true(p->afd >= 0);
	assert_int_equal(sk_close(SST(p), lfd), 0);
	none_s(p);
}

/* The quick-ACK phase: 16 small segments (10 bytes, PSH), `gap` apart from
 * t0, each ACKed the moment it arrives. With `reading` the application
 * reads each one as it arrives. */
static void quick_phase(struct rp *p, uint64_t t0, uint64_t gap, int reading, uint32_t *rd)
{
	for (int k = 0; k < 16; k++) {
		uint64_t t = t0 + (uint64_t)k * gap;
		seg_at(p, t, p->off, 10, TCP_PSH | TCP_ACK);
		h_run_until(p->h, t + p->d);
		ack_at(p, t + p->d, p->off);
		if (reading)
			assert_int_equal(read_all(p, rd), 10);
	}
	none_s(p);
}

static uint64_t ctr(struct rp *p, enum sk_counter c) { return sk_counter(SST(p), c); }

/* D2: quick-ACK for the first 16 segments, then a lone small segment is
 * ACKed 40 ms after it arrived; TCPDelayedACKs counts it when it goes. */
static void d2_quick_ack_then_delayed_ack_40ms(void **state)
{
	(void)state;
	struct rp P, *p = &P;
	open_raw(p, MS(10));
	uint32_t rd = 0;
	quick_phase(p, MS(100), MS(100), 0, &rd);

	seg_at(p, MS(1700), p->off, 10, TCP_PSH | TCP_ACK);
	h_run_until(p->h, MS(1749));
	none_s(p);
	uint64_t delacks_before = ctr(p, SK_MIB_TCPDelayedACKs);
	h_run_until(p->h, MS(1750));
	ack_at(p, MS(1750), 170);
	h_run_until(p->h, MS(2500));
	none_s(p);
	assert_int_equal(read_all(p, &rd), 170);
	assert_int_equal(delacks_before, 0);
	assert_int_equal(ctr(p, SK_MIB_TCPDelayedACKs), 1);
	finish(p->h);
}

/* D2: one delayed ACK covers everything that arrived meanwhile
 * (cumulative): two small segments 10 ms apart, one ACK 40 ms after the
 * first. A segment that arrives when the pending ACK is due within ato/4
 * (10 ms) sends it at once. */
static void d2_delayed_ack_is_cumulative(void **state)
{
	(void)state;
	struct rp P, *p = &P;
	open_raw(p, MS(10));
	uint32_t rd = 0;
	quick_phase(p, MS(100), MS(100), 0, &rd);

	seg_at(p, MS(1700), 160, 10, TCP_PSH | TCP_ACK);
	seg_at(p, MS(1710), 170, 10, TCP_PSH | TCP_ACK);
	h_run_until(p->h, MS(1800));
	ack_at(p, MS(1750), 180);
	none_s(p);

	/* 20 ms apart: still one ACK at +40 ms */
	seg_at(p, MS(1800), 180, 10, TCP_PSH | TCP_ACK);
	seg_at(p, MS(1820), 190, 10, TCP_PSH | TCP_ACK);
	h_run_until(p->h, MS(1900));
	ack_at(p, MS(1850), 200);
	none_s(p);

	/* 35 ms apart: the ACK due 5 ms later goes with the second segment */
	seg_at(p, MS(1900), 200, 10, TCP_PSH | TCP_ACK);
	seg_at(p, MS(1935), 210, 10, TCP_PSH | TCP_ACK);
	h_run_until(p->h, MS(2100));
	ack_at(p, MS(1945), 220);
	none_s(p);
	assert_int_equal(read_all(p, &rd), 220);
	finish(p->h);
}

/* D2: with the application reading, every second full-sized segment is
 * ACKed at once and an odd last one 40 ms after it came. Groups of 3, 4,
 * 2, 5 and 1 segments, 2 ms apart. TCPDelayedACKs counts only the ACKs the
 * timer sent (3 here), as Linux does. */
static void d2_ack_every_second_full_segment(void **state)
{
	(void)state;
	struct rp P, *p = &P;
	open_raw(p, MS(10));
	uint32_t rd = 0;
	quick_phase(p, MS(100), MS(100), 1, &rd);

	/* groups 150 ms apart: data never pauses longer than the RTO (220 ms),
	 * which would restart quick-ACK mode */
	static const int groups[] = { 3, 4, 2, 5, 1 };
	uint64_t t0 = MS(1700);
	for (size_t g = 0; g < sizeof(groups) / sizeof(groups[0]); g++, t0 += MS(150)) {
		int n = groups[g];
		uint32_t base = p->off;
		for (int i = 0; i < n; i++) /* all sent before the first arrives */
			seg_at(p, t0 + (uint64_t)i * MS(2), base + (uint32_t)i * FULL, FULL, TCP_ACK);
		for (int i = 0; i < n; i++) {
			uint64_t t = t0 + (uint64_t)i * MS(2);
			h_run_until(p->h, t + p->d);
			assert_int_equal(read_all(p, &rd), FULL);
			if (i % 2 == 1)
				ack_at(p, t + p->d, base + (uint32_t)(i + 1) * FULL);
			none_s(p);
		}
		if (n % 2 == 1) {
			uint64_t last = t0 + (uint64_t)(n - 1) * MS(2) + p->d;
			h_run_until(p->h, last + MS(39));
			none_s(p);
			h_run_until(p->h, last + MS(40));
			ack_at(p, last + MS(40), base + (uint32_t)n * FULL);
		}
		h_run_until(p->h, t0 + MS(149));
		none_s(p);
	}
	assert_int_equal(rd, 160 + 15 * FULL);
	assert_int_equal(ctr(p, SK_MIB_TCPDelayedACKs), 3);
	finish(p->h);
}

/* D2 (RFC 5681 §4.2): the segment that fills a hole is ACKed at once even
 * when it is small and quick-ACK mode is over; the out-of-order one before
 * it got an immediate duplicate ACK. */
static void d2_hole_filled_is_acked_at_once(void **state)
{
	(void)state;
	struct rp P, *p = &P;
	open_raw(p, MS(10));
	uint32_t rd = 0;
	quick_phase(p, MS(100), MS(100), 0, &rd);

	seg_at(p, MS(1700), 170, 10, TCP_PSH | TCP_ACK); /* [160, 170) is missing */
	h_run_until(p->h, MS(1710));
	ack_at(p, MS(1710), 160);
	seg_at(p, MS(1720), 160, 10, TCP_PSH | TCP_ACK);
	h_run_until(p->h, MS(1900));
	ack_at(p, MS(1730), 180);
	none_s(p);
	assert_int_equal(read_all(p, &rd), 180);
	finish(p->h);
}

/* D2: after an idle time longer than the RTO (220 ms here), data restarts
 * quick-ACK mode: the next segments are ACKed at once again. */
static void d2_quick_ack_again_after_idle(void **state)
{
	(void)state;
	struct rp P, *p = &P;
	open_raw(p, MS(10));
	uint32_t rd = 0;
	quick_phase(p, MS(100), MS(100), 0, &rd);
	seg_at(p, MS(1700), p->off, 10, TCP_PSH | TCP_ACK);
	h_run_until(p->h, MS(1800));
	ack_at(p, MS(1750), 170); /* quick-ACK mode is over */

	for (int k = 0; k < 3; k++) {
		uint64_t t = MS(3000) + (uint64_t)k * MS(100);
		seg_at(p, t, p->off, 10, TCP_PSH | TCP_ACK);
		h_run_until(p->h, t + MS(10));
		ack_at(p, t + MS(10), p->off);
	}
	h_run_until(p->h, MS(3500));
	none_s(p);
	finish(p->h);
}

/* D1/D2: a fully old duplicate is ACKed at once and puts the receiver
 * back in quick-ACK mode (Linux tcp_enter_quickack_mode), as a lost ACK
 * is the likely cause; nothing is delivered twice. */
static void d2_old_duplicate_restarts_quick_ack(void **state)
{
	(void)state;
	struct rp P, *p = &P;
	open_raw(p, MS(10));
	uint32_t rd = 0;
	quick_phase(p, MS(100), MS(100), 0, &rd);
	seg_at(p, MS(1700), 160, 10, TCP_PSH | TCP_ACK);
	h_run_until(p->h, MS(1800));
	ack_at(p, MS(1750), 170);

	seg_at(p, MS(1800), 160, 10, TCP_PSH | TCP_ACK); /* again */
	h_run_until(p->h, MS(1810));
	ack_at(p, MS(1810), 170);
	for (int k = 0; k < 3; k++) {
		uint64_t t = MS(1900) + (uint64_t)k * MS(100);
		seg_at(p, t, p->off, 10, TCP_PSH | TCP_ACK);
		h_run_until(p->h, t + MS(10));
		ack_at(p, t + MS(10), p->off);
	}
	h_run_until(p->h, MS(2500));
	none_s(p);
	assert_int_equal(read_all(p, &rd), 200);
	assert_int_equal(read_all(p, &rd), 0);
	finish(p->h);
}

/* D2: when the application reads at once a segment that was short, or
 * full with PSH, the ACK goes at once (nothing more will come soon); a
 * full segment without PSH still waits 40 ms. */
static void d2_read_of_pushed_data_acks_at_once(void **state)
{
	(void)state;
	struct rp P, *p = &P;
	open_raw(p, MS(10));
	uint32_t rd = 0;
	quick_phase(p, MS(100), MS(100), 1, &rd);

	seg_at(p, MS(1700), 160, 10, TCP_PSH | TCP_ACK);
	h_run_until(p->h, MS(1710));
	none_s(p);
	assert_int_equal(read_all(p, &rd), 10);
	h_run_until(p->h, MS(1800));
	ack_at(p, MS(1710), 170);
	none_s(p);

	seg_at(p, MS(1800), 170, FULL, TCP_ACK);
	h_run_until(p->h, MS(1810));
	assert_int_equal(read_all(p, &rd), FULL);
	h_run_until(p->h, MS(1900));
	ack_at(p, MS(1850), 270);
	none_s(p);

	seg_at(p, MS(1900), 270, FULL, TCP_PSH | TCP_ACK);
	h_run_until(p->h, MS(1910));
	assert_int_equal(read_all(p, &rd), FULL);
	h_run_until(p->h, MS(2000));
	ack_at(p, MS(1910), 370);
	none_s(p);
	finish(p->h);
}

/* D2: the delayed ACK rides on data the application sends before it is
 * due: the reply carries the acknowledgment, no pure ACK follows. */
static void d2_delayed_ack_rides_on_reply(void **state)
{
	(void)state;
	struct rp P, *p = &P;
	open_raw(p, MS(10));
	uint32_t rd = 0;
	quick_phase(p, MS(100), MS(100), 1, &rd);

	seg_at(p, MS(1700), 160, FULL, TCP_ACK);
	h_run_until(p->h, MS(1710));
	assert_int_equal(read_all(p, &rd), FULL);
	h_run_until(p->h, MS(1720));
	none_s(p);
	assert_int_equal(sk_send(SST(p), p->afd, "resp", 4, 0), 4);
	h_run_until(p->h, MS(1730));
	h_expect(next_s(p), MS(1720), p->s, "P.", p->s0, ISS + 1 + 260, 4);
	struct h_seg ack = { .src = R_ADDR, .dst = S_ADDR, .sport = R_PORT, .dport = S_PORT,
			     .seq = ISS + 1 + 260, .ack = p->s0 + 4, .flags = TCP_ACK,
			     .wnd = 65535 };
	h_send(p->h, p->r, &ack);
	h_run_until(p->h, MS(2000));
	none_s(p);
	finish(p->h);
}

/* D2: Linux's delayed-ACK timeout (ato) doubles each time the timer has to
 * fire, bounded by max(SRTT, 40 ms): with 50 ms each way (SRTT 100 ms) the
 * lone segments after the quick-ACK phase are ACKed 40, 80, 100 and
 * 100 ms after they arrive. */
static void d2_delayed_ack_timeout_grows_to_srtt(void **state)
{
	(void)state;
	struct rp P, *p = &P;
	open_raw(p, MS(50));
	uint32_t rd = 0;
	quick_phase(p, MS(300), MS(250), 0, &rd);

	static const uint64_t wait_ms[] = { 40, 80, 100, 100 };
	for (int k = 0; k < 4; k++) {
		uint64_t t = MS(4300) + (uint64_t)k * MS(250);
		seg_at(p, t, p->off, 10, TCP_PSH | TCP_ACK);
		h_run_until(p->h, t + MS(50) + MS(wait_ms[k]) - 1);
		none_s(p);
		h_run_until(p->h, t + MS(50) + MS(wait_ms[k]));
		ack_at(p, t + MS(50) + MS(wait_ms[k]), p->off);
	}
	finish(p->h);
}

/* D1: out-of-order segments are held (not readable) and ACKed at once
 * with the old ACK number; a repeat is dropped; when the gap fills,
 * everything is delivered in order and ACKed cumulatively; an old
 * duplicate is ACKed and not delivered again; an overlapping segment
 * gives only its new bytes. */
static void d1_out_of_order_buffered_duplicates_dropped(void **state)
{
	(void)state;
	struct rp P, *p = &P;
	open_raw(p, MS(10));
	uint32_t rd = 0;

	seg_at(p, MS(100), 100, FULL, TCP_ACK); /* seg2 first */
	h_run_until(p->h, MS(110));
	ack_at(p, MS(110), 0);
	assert_int_equal(read_all(p, &rd), 0);
	seg_at(p, MS(200), 200, FULL, TCP_ACK); /* seg3 */
	h_run_until(p->h, MS(210));
	ack_at(p, MS(210), 0);
	seg_at(p, MS(300), 100, FULL, TCP_ACK); /* seg2 again */
	h_run_until(p->h, MS(310));
	ack_at(p, MS(310), 0);
	assert_int_equal(read_all(p, &rd), 0);

	seg_at(p, MS(400), 0, FULL, TCP_ACK); /* seg1 fills the gap */
	h_run_until(p->h, MS(410));
	ack_at(p, MS(410), 300);
	assert_int_equal(read_all(p, &rd), 300);

	seg_at(p, MS(500), 0, FULL, TCP_ACK); /* seg1 again: old */
	h_run_until(p->h, MS(510));
	ack_at(p, MS(510), 300);
	assert_int_equal(read_all(p, &rd), 0);

	seg_at(p, MS(600), 250, FULL, TCP_PSH | TCP_ACK); /* [250, 350): 50 new */
	h_run_until(p->h, MS(610));
	ack_at(p, MS(610), 350);
	assert_int_equal(read_all(p, &rd), 50);
	assert_int_equal(rd, 350);
	h_run_until(p->h, MS(1000));
	none_s(p);
	assert_int_equal(ctr(p, SK_MIB_TCPOFOQueue), 3);
	finish(p->h);
}

/* ---- D1 over a hostile path, synack to synack ---- */

struct faults {
	uint64_t sent, lost, dup, corrupt;
};

static void fault_tap(void *ctx, uint64_t now_ns, int from, int to, enum sk_sim_what what,
		      const uint8_t *pkt, size_t len)
{
	(void)now_ns, (void)from, (void)to, (void)pkt, (void)len;
	struct faults *f = ctx;
	switch (what) {
	case SK_SIM_SENT: f->sent++; break;
	case SK_SIM_LOST: f->lost++; break;
	case SK_SIM_DUPLICATED: f->dup++; break;
	case SK_SIM_CORRUPTED: f->corrupt++; break;
	default: break;
	}
}

/* D1: 1 MiB crosses a path that loses 5 %, duplicates 5 %, reorders 5 %
 * (held back 15 ms) and corrupts 2 % of the packets, both ways (seeded:
 * the run is the same every time). Every byte arrives once, in order,
 * intact, followed by EOF; out-of-order segments were queued and the
 * corrupted ones dropped as checksum errors. */
static void d1_megabyte_over_lossy_path(void **state)
{
	(void)state;
	struct h *h = g_h = h_new();
	int c = h_host(h, "client", SK_IP(10, 0, 0, 1), NULL);
	int s = h_host(h, "server", S_ADDR, NULL);
	struct sk_path clean = { .delay_ns = MS(10) };
	assert_int_equal(sk_sim_set_link(h->sim, c, s, &clean), 0);
	int lfd = h_listen(h, s, S_PORT, 16);
	int cfd = h_connect(h, c, S_ADDR, S_PORT);
	h_run_until(h, MS(30));
	int afd = sk_accept(h_st(h, s), lfd, NULL, NULL);
	assert_true(afd >= 0);

	struct faults f = { 0 };
	sk_sim_set_tap(h->sim, fault_tap, &f); /* too many packets for the capture */
	struct sk_path bad = { .delay_ns = MS(10), .loss = 0.05, .dup = 0.05, .reorder = 0.05,
			       .reorder_ns = MS(15), .corrupt = 0.02 };
	assert_int_equal(sk_sim_set_link(h->sim, c, s, &bad), 0);

	enum { N = 1 << 20 };
	uint8_t *out = g_out = malloc(N), *in = g_in = malloc(N + 1);
	assert_non_null(out);
	assert_non_null(in);
	for (uint32_t i = 0; i < N; i++)
		out[i] = pat(i * 3u + (i >> 16));
	uint32_t sent = 0, got = 0;
	int eof = 0;
	while (!eof && sk_sim_now(h->sim) < SEC(3600)) {
		if (sent < N) {
			long n = sk_send(h_st(h, c), cfd, out + sent, N - sent, 0);
			if (n > 0)
				sent += (uint32_t)n;
			else
				assert_int_equal(n, -EAGAIN);
			if (sent == N)
				assert_int_equal(sk_shutdown(h_st(h, c), cfd, SHUT_WR), 0);
		}
		h_run_for(h, MS(10));
		for (;;) {
			long n = sk_recv(h_st(h, s), afd, in + got, N + 1 - got, 0);
			if (n == -EAGAIN)
				break;
			assert_true(n >= 0);
			if (n == 0) {
				eof = 1;
				break;
			}
			got += (uint32_t)n;
		}
	}
	assert_true(eof);
	assert_int_equal(got, N);
	assert_memory_equal(in, out, N);
	free(out);
	free(in);
	g_out = g_in = NULL;

	struct sk_stack *ss = h_st(h, s), *cs = h_st(h, c);
	assert_true(f.lost > 0);
	assert_true(f.dup > 0);
	assert_true(f.corrupt > 0);
	assert_true(sk_counter(ss, SK_MIB_TCPOFOQueue) > 0);
	assert_true(sk_counter(ss, SK_MIB_InCsumErrors) > 0);
	assert_true(sk_counter(cs, SK_MIB_RetransSegs) > 0);

	/* finish cleanly on a healed path */
	assert_int_equal(sk_sim_set_link(h->sim, c, s, &clean), 0);
	assert_int_equal(sk_close(ss, afd), 0);
	assert_int_equal(sk_close(ss, lfd), 0);
	h_run_for(h, SEC(5));
	assert_int_equal(sk_close(cs, cfd), 0);
	h_run_for(h, SEC(200));
	assert_int_equal(h_nsockets(h, c), 0);
	assert_int_equal(h_nsockets(h, s), 0);
	finish(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(d1_out_of_order_buffered_duplicates_dropped, teardown),
		cmocka_unit_test_teardown(d1_megabyte_over_lossy_path, teardown),
		cmocka_unit_test_teardown(d2_quick_ack_then_delayed_ack_40ms, teardown),
		cmocka_unit_test_teardown(d2_delayed_ack_is_cumulative, teardown),
		cmocka_unit_test_teardown(d2_ack_every_second_full_segment, teardown),
		cmocka_unit_test_teardown(d2_hole_filled_is_acked_at_once, teardown),
		cmocka_unit_test_teardown(d2_quick_ack_again_after_idle, teardown),
		cmocka_unit_test_teardown(d2_old_duplicate_restarts_quick_ack, teardown),
		cmocka_unit_test_teardown(d2_read_of_pushed_data_acks_at_once, teardown),
		cmocka_unit_test_teardown(d2_delayed_ack_rides_on_reply, teardown),
		cmocka_unit_test_teardown(d2_delayed_ack_timeout_grows_to_srtt, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
