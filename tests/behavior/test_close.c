/* Closing a connection: BEHAVIOR.md C1, C2, C3, C4, C11, C12.
 *
 * Every test runs a client (10.0.0.1) and a server (10.0.0.2) joined by a
 * path with 10 ms of delay each way, so each segment's virtual time says
 * which event caused it. Times, flags, sequence and acknowledgment numbers
 * are exact.
 *
 * Linux reference (checked on this machine's kernel, 6.18, with python3
 * sockets on loopback in a private network namespace and tcpdump, and with
 * a scripted peer on a TUN device where exact control was needed):
 *
 * - The ACK of a FIN that arrives in ESTABLISHED is a delayed ACK: tcp_fin()
 *   schedules it and enters ping-pong mode, so it goes out after the
 *   delayed-ACK time (40 ms here: ato = TCP_ATO_MIN once data has been
 *   received) unless the application closes first, in which case the FIN
 *   carries it. Loopback trace, server closing 300 ms after EOF:
 *     0.5012 client [F.]   0.5421 server [.] (41 ms)   0.8056 server [F.]
 *   and closing at once after EOF (three segments, no separate ACK):
 *     0.5012 client [F.]   0.5058 server [F.]   0.5058 client [.]
 * - A FIN received in FIN_WAIT1 (simultaneous close) is ACKed at once and
 *   the state becomes CLOSING; the ACK of our FIN then gives TIME_WAIT
 *   (TUN peer: ACK 0.1 ms after the FIN, `ss` showed CLOSING, then
 *   TIME-WAIT).
 * - close() with unread data: [R.] seq = SND.NXT, ack = RCV.NXT; counters
 *   TcpExtTCPAbortOnClose 1, TcpOutRsts 1, TcpEstabResets on both ends.
 *   The peer's recv returns the data it still holds, then ECONNRESET,
 *   then 0; send gives EPIPE (twice).
 * - SO_LINGER {1, 0}: the same [R.], counted in TcpExtTCPAbortOnData.
 * - shutdown(SHUT_RD) on an ESTABLISHED socket sends nothing and does not
 *   discard input: data arriving later is ACKed, queued and returned by
 *   recv (which returns 0 once the queue is empty); poll reports
 *   POLLIN|POLLOUT|POLLRDHUP; send still works. (BEHAVIOR.md's "discards
 *   further input" is not what Linux does.) Only when the socket has also
 *   sent its FIN (FIN_WAIT1/2 after SHUT_RDWR or close) does new data get a
 *   reset: tcp_rcv_state_process returns 1 and tcp_v4_send_reset answers
 *   the segment: [R] seq = its ACK field, no ACK flag, window 0, counter
 *   TcpExtTCPAbortOnData; the socket's recv gives ECONNRESET. The peer,
 *   in CLOSE_WAIT, reads 0 (its FIN came first) and send gives EPIPE.
 * - FIN_WAIT_2 reached through shutdown() (descriptor still open) has no
 *   timer: it lasts until the peer's FIN.
 */
#include "harness.h"

#include <string.h>

#define C_ADDR SK_IP(10, 0, 0, 1)
#define S_ADDR SK_IP(10, 0, 0, 2)
#define PORT 80
#define DELAY MS(10)


/* The simulation of the running test: freed by the teardown when a test
 * fails half-way, so a failure leaks nothing under the sanitizers. */
static struct h *g_h;

static int teardown(void **state)
{
	(void)state;
	if (g_h)
		h_free(g_h);
	g_h = NULL;
	return 0;
}

/* Ends a test: frees everything and checks every host's memory came back. */
static void finish(struct h *h)
{
	g_h = NULL;
	h_free(h);
}

#define CST(p) h_st((p)->h, (p)->c)
#define SST(p) h_st((p)->h, (p)->s)

/* Client and server connected over a 10 ms path: SYN at 0, SYN-ACK at
 * 10 ms, ACK at 20 ms; the server has accepted by 30 ms and its listener
 * is closed (L6: an accepted connection is not affected). */
static void open_pair(struct h_pair *p, const char *const *knobs)
{
	h_pair_open(p, DELAY, PORT, knobs, knobs);
	g_h = p->h;
}

/* The time of a logged state change old -> new of the client's or the
 * server's end of the connection; fails when there was none. */
static uint64_t when(const struct h_pair *p, int host, int old_state, int new_state)
{
	uint16_t lport = host == p->c ? p->cport : PORT;
	uint16_t rport = host == p->c ? PORT : p->cport;
	for (int i = 0; i < p->h->nevents; i++) {
		const struct h_event *e = &p->h->events[i];
		if (e->host == host && e->ev.kind == SK_EV_STATE && e->ev.lport == lport &&
		    e->ev.rport == rport && e->ev.old_state == old_state &&
		    e->ev.new_state == new_state)
			return e->t_ns;
	}
	fail_msg("host %d never went %s -> %s", host, sk_state_name(old_state),
		 sk_state_name(new_state));
	return 0;
}

static void assert_when(const struct h_pair *p, int host, int old_state, int new_state,
			uint64_t t_ns)
{
	uint64_t t = when(p, host, old_state, new_state);
	if (t != t_ns)
		fail_msg("host %d %s -> %s at %llu ns, want %llu ns", host, sk_state_name(old_state),
			 sk_state_name(new_state), (unsigned long long)t, (unsigned long long)t_ns);
}

static uint64_t ctr(struct h_pair *p, int host, enum sk_counter c)
{
	return sk_counter(h_st(p->h, host), c);
}

/* The client sends `msg` at `t` and the server reads it when it arrives
 * (t + 10 ms), ACKing at once: the first data starts quick-ACK mode.
 * Afterwards the server has received data, so its delayed-ACK timeout is
 * Linux's TCP_ATO_MIN, 40 ms. */
static void client_says(struct h_pair *p, uint64_t t, const char *msg, uint32_t *cseq)
{
	struct h *h = p->h;
	uint32_t n = (uint32_t)strlen(msg);
	char buf[64];
	h_run_until(h, t);
	assert_int_equal(sk_send(CST(p), p->cfd, msg, n, 0), n);
	h_run_until(h, t + DELAY);
	h_expect(h_next(h), t, p->c, "P.", *cseq, p->s0, n);
	h_expect(h_next(h), t + DELAY, p->s, ".", p->s0, *cseq + n, 0);
	assert_int_equal(sk_recv(SST(p), p->afd, buf, sizeof(buf), 0), n);
	assert_memory_equal(buf, msg, n);
	*cseq += n;
}

/* C1: four-way close. The client writes 3000 bytes and closes at once; the
 * server reads everything, then 0; its ACK of the FIN is delayed 40 ms and
 * its own FIN comes when it closes, 390 ms later. The FIN takes one
 * sequence number; TIME_WAIT lasts exactly 60 s. */
static void c1_four_way_close(void **state)
{
	(void)state;
	struct h_pair P, *p = &P;
	open_pair(p, NULL);
	struct h *h = p->h;
	uint8_t out[3000], in[1000];
	for (int i = 0; i < 3000; i++)
		out[i] = (uint8_t)(i * 7 + 3);
	uint32_t c0 = p->c0, s0 = p->s0;

	h_run_until(h, MS(100));
	assert_int_equal(sk_send(CST(p), p->cfd, out, sizeof(out), 0), 3000);
	assert_int_equal(sk_close(CST(p), p->cfd), 0);
	h_run_until(h, MS(105));
	assert_int_equal(sk_recv(SST(p), p->afd, in, sizeof(in), 0), -EAGAIN);

	h_run_until(h, MS(110));
	/* two 2-segment TSO packets' worth: Linux's PSH on each (GRO) */
	h_expect(h_next(h), MS(100), p->c, ".", c0, s0, 1448);
	h_expect(h_next(h), MS(100), p->c, "P.", c0 + 1448, s0, 1448);
	h_expect(h_next(h), MS(100), p->c, "P.", c0 + 2896, s0, 104);
	h_expect(h_next(h), MS(100), p->c, "F.", c0 + 3000, s0, 0); /* the FIN is byte 3000 */
	/* quick-ACK mode: every data segment is ACKed at once */
	h_expect(h_next(h), MS(110), p->s, ".", s0, c0 + 1448, 0);
	h_expect(h_next(h), MS(110), p->s, ".", s0, c0 + 2896, 0);
	h_expect(h_next(h), MS(110), p->s, ".", s0, c0 + 3000, 0);
	h_no_more(h); /* the FIN's ACK waits (delayed ACK, Linux tcp_fin) */
	assert_int_equal(h_state(h, p->s, p->afd), SK_TCP_CLOSE_WAIT);

	/* EOF only after all the data before the FIN */
	for (int i = 0; i < 3; i++) {
		assert_int_equal(sk_recv(SST(p), p->afd, in, sizeof(in), 0), 1000);
		assert_memory_equal(in, out + i * 1000, 1000);
	}
	assert_int_equal(sk_recv(SST(p), p->afd, in, sizeof(in), 0), 0);
	assert_int_equal(sk_recv(SST(p), p->afd, in, sizeof(in), 0), 0);

	h_run_until(h, MS(500));
	h_expect(h_next(h), MS(150), p->s, ".", s0, c0 + 3001, 0); /* FIN + 1 */
	h_no_more(h);
	assert_int_equal(h_logged_state(h, p->c, p->cport, PORT), SK_TCP_FIN_WAIT2);

	assert_int_equal(sk_close(SST(p), p->afd), 0);
	h_run_until(h, MS(520));
	h_expect(h_next(h), MS(500), p->s, "F.", s0, c0 + 3001, 0);
	h_expect(h_next(h), MS(510), p->c, ".", c0 + 3001, s0 + 1, 0);
	h_no_more(h);

	assert_when(p, p->c, SK_TCP_ESTABLISHED, SK_TCP_FIN_WAIT1, MS(100));
	assert_when(p, p->c, SK_TCP_FIN_WAIT1, SK_TCP_FIN_WAIT2, MS(160));
	assert_when(p, p->c, SK_TCP_FIN_WAIT2, SK_TCP_TIME_WAIT, MS(510));
	assert_when(p, p->s, SK_TCP_ESTABLISHED, SK_TCP_CLOSE_WAIT, MS(110));
	assert_when(p, p->s, SK_TCP_CLOSE_WAIT, SK_TCP_LAST_ACK, MS(500));
	assert_when(p, p->s, SK_TCP_LAST_ACK, SK_TCP_CLOSE, MS(520));
	assert_int_equal(h_nsockets(h, p->s), 0);

	/* TIME_WAIT: exactly 60 s from 510 ms, silently */
	h_run_until(h, MS(510) + SEC(60) - 1);
	assert_int_equal(h_nsockets(h, p->c), 1);
	assert_int_equal(h_logged_state(h, p->c, p->cport, PORT), SK_TCP_TIME_WAIT);
	assert_int_equal(ctr(p, p->c, SK_MIB_TW), 0);
	h_run_until(h, MS(510) + SEC(60));
	assert_int_equal(h_nsockets(h, p->c), 0);
	assert_when(p, p->c, SK_TCP_TIME_WAIT, SK_TCP_CLOSE, MS(510) + SEC(60));
	assert_int_equal(ctr(p, p->c, SK_MIB_TW), 1);
	h_run_for(h, SEC(10));
	h_no_more(h);
	finish(h);
}

/* C1: the passive side that does not close within the delayed-ACK time
 * ACKs the FIN on its own 40 ms after it came, and the active side then
 * waits in FIN_WAIT_2; the sequence space holds one number for each FIN.
 * Here the client only says a word first, so nothing but the FIN arrives. */
static void c1_fin_acked_after_delack(void **state)
{
	(void)state;
	struct h_pair P, *p = &P;
	open_pair(p, NULL);
	struct h *h = p->h;
	uint32_t cseq = p->c0;
	client_says(p, MS(100), "hello", &cseq);

	h_run_until(h, MS(200));
	assert_int_equal(sk_close(CST(p), p->cfd), 0);
	h_run_until(h, MS(249));
	h_expect(h_next(h), MS(200), p->c, "F.", cseq, p->s0, 0);
	h_no_more(h);
	h_run_until(h, MS(250));
	h_expect(h_next(h), MS(250), p->s, ".", p->s0, cseq + 1, 0);
	h_run_until(h, MS(260));
	assert_when(p, p->c, SK_TCP_FIN_WAIT1, SK_TCP_FIN_WAIT2, MS(260));
	assert_int_equal(h_state(h, p->s, p->afd), SK_TCP_CLOSE_WAIT);
	char b[8];
	assert_int_equal(sk_recv(SST(p), p->afd, b, sizeof(b), 0), 0);

	h_run_until(h, MS(400));
	assert_int_equal(sk_close(SST(p), p->afd), 0);
	h_run_until(h, MS(420));
	h_expect(h_next(h), MS(400), p->s, "F.", p->s0, cseq + 1, 0);
	h_expect(h_next(h), MS(410), p->c, ".", cseq + 1, p->s0 + 1, 0);
	h_no_more(h);
	assert_when(p, p->s, SK_TCP_LAST_ACK, SK_TCP_CLOSE, MS(420));
	h_run_until(h, MS(410) + SEC(60));
	assert_when(p, p->c, SK_TCP_TIME_WAIT, SK_TCP_CLOSE, MS(410) + SEC(60));
	assert_int_equal(h_nsockets(h, p->c), 0);
	assert_int_equal(h_nsockets(h, p->s), 0);
	h_no_more(h);
	finish(h);
}

/* C3: three-way close. The server reads EOF and closes in the same instant
 * the FIN arrives: its FIN carries the ACK of the client's FIN, and no
 * separate ACK is sent (Linux: the FIN's ACK was only scheduled). */
static void c3_three_way_close_at_once(void **state)
{
	(void)state;
	struct h_pair P, *p = &P;
	open_pair(p, NULL);
	struct h *h = p->h;
	uint32_t cseq = p->c0;
	client_says(p, MS(100), "hello", &cseq);

	h_run_until(h, MS(200));
	assert_int_equal(sk_close(CST(p), p->cfd), 0);
	h_run_until(h, MS(210));
	char b[8];
	assert_int_equal(sk_recv(SST(p), p->afd, b, sizeof(b), 0), 0);
	assert_int_equal(sk_close(SST(p), p->afd), 0);
	h_run_until(h, MS(300));
	h_expect(h_next(h), MS(200), p->c, "F.", cseq, p->s0, 0);
	h_expect(h_next(h), MS(210), p->s, "F.", p->s0, cseq + 1, 0);
	h_expect(h_next(h), MS(220), p->c, ".", cseq + 1, p->s0 + 1, 0);
	h_no_more(h);

	assert_when(p, p->s, SK_TCP_ESTABLISHED, SK_TCP_CLOSE_WAIT, MS(210));
	assert_when(p, p->s, SK_TCP_CLOSE_WAIT, SK_TCP_LAST_ACK, MS(210));
	assert_when(p, p->s, SK_TCP_LAST_ACK, SK_TCP_CLOSE, MS(230));
	/* one segment acknowledges the FIN and carries the peer's: both steps */
	assert_when(p, p->c, SK_TCP_FIN_WAIT1, SK_TCP_FIN_WAIT2, MS(220));
	assert_when(p, p->c, SK_TCP_FIN_WAIT2, SK_TCP_TIME_WAIT, MS(220));
	h_run_until(h, MS(220) + SEC(60));
	assert_int_equal(h_nsockets(h, p->c), 0);
	assert_int_equal(h_nsockets(h, p->s), 0);
	h_no_more(h);
	finish(h);
}

/* C3: the server closes 30 ms after the FIN came, within the 40 ms
 * delayed-ACK time: still three segments, the ACK rides on its FIN. */
static void c3_three_way_close_within_delack(void **state)
{
	(void)state;
	struct h_pair P, *p = &P;
	open_pair(p, NULL);
	struct h *h = p->h;
	uint32_t cseq = p->c0;
	client_says(p, MS(100), "hello", &cseq);

	h_run_until(h, MS(200));
	assert_int_equal(sk_close(CST(p), p->cfd), 0);
	h_run_until(h, MS(240));
	h_expect(h_next(h), MS(200), p->c, "F.", cseq, p->s0, 0);
	h_no_more(h);
	assert_int_equal(h_state(h, p->s, p->afd), SK_TCP_CLOSE_WAIT);
	assert_int_equal(sk_close(SST(p), p->afd), 0);
	h_run_until(h, MS(400));
	h_expect(h_next(h), MS(240), p->s, "F.", p->s0, cseq + 1, 0);
	h_expect(h_next(h), MS(250), p->c, ".", cseq + 1, p->s0 + 1, 0);
	h_no_more(h);
	assert_when(p, p->c, SK_TCP_FIN_WAIT2, SK_TCP_TIME_WAIT, MS(250));
	assert_when(p, p->s, SK_TCP_LAST_ACK, SK_TCP_CLOSE, MS(260));
	h_run_until(h, MS(250) + SEC(60));
	assert_int_equal(h_nsockets(h, p->c), 0);
	finish(h);
}

/* C4: simultaneous close. Both close at 200 ms; the FINs cross; each side
 * ACKs the other's FIN at once from FIN_WAIT_1 and enters CLOSING, then
 * TIME_WAIT when its own FIN is ACKed; both leave TIME_WAIT 60 s later. */
static void c4_simultaneous_close(void **state)
{
	(void)state;
	struct h_pair P, *p = &P;
	open_pair(p, NULL);
	struct h *h = p->h;
	uint32_t c0 = p->c0, s0 = p->s0;

	h_run_until(h, MS(200));
	assert_int_equal(sk_close(CST(p), p->cfd), 0);
	assert_int_equal(sk_close(SST(p), p->afd), 0);
	h_run_until(h, MS(300));
	h_expect(h_next(h), MS(200), p->c, "F.", c0, s0, 0);
	h_expect(h_next(h), MS(200), p->s, "F.", s0, c0, 0);
	/* the client's FIN was sent first, so it is delivered first */
	h_expect(h_next(h), MS(210), p->s, ".", s0 + 1, c0 + 1, 0);
	h_expect(h_next(h), MS(210), p->c, ".", c0 + 1, s0 + 1, 0);
	h_no_more(h);

	for (int host = 0; host < 2; host++) {
		int x = host ? p->s : p->c;
		assert_when(p, x, SK_TCP_ESTABLISHED, SK_TCP_FIN_WAIT1, MS(200));
		assert_when(p, x, SK_TCP_FIN_WAIT1, SK_TCP_CLOSING, MS(210));
		assert_when(p, x, SK_TCP_CLOSING, SK_TCP_TIME_WAIT, MS(220));
		assert_false(h_saw_transition(h, x, x == p->c ? p->cport : PORT,
					      x == p->c ? PORT : p->cport, SK_TCP_FIN_WAIT1,
					      SK_TCP_FIN_WAIT2));
	}
	h_run_until(h, MS(220) + SEC(60) - 1);
	assert_int_equal(h_nsockets(h, p->c), 1);
	assert_int_equal(h_nsockets(h, p->s), 1);
	h_run_until(h, MS(220) + SEC(60));
	assert_when(p, p->c, SK_TCP_TIME_WAIT, SK_TCP_CLOSE, MS(220) + SEC(60));
	assert_when(p, p->s, SK_TCP_TIME_WAIT, SK_TCP_CLOSE, MS(220) + SEC(60));
	assert_int_equal(h_nsockets(h, p->c), 0);
	assert_int_equal(h_nsockets(h, p->s), 0);
	assert_int_equal(ctr(p, p->c, SK_MIB_TW), 1);
	assert_int_equal(ctr(p, p->s, SK_MIB_TW), 1);
	h_no_more(h);
	finish(h);
}

/* C2: half-close with shutdown(SHUT_WR). The client sends a request and
 * its FIN; writing again is EPIPE. The server reads the request and EOF,
 * then still answers with 5000 bytes, which the half-closed client ACKs
 * and reads; the server's FIN ends it, and the client's socket, still
 * open, then reports CLOSE while its TIME_WAIT lasts 60 s. */
static void c2_shutdown_wr_half_close(void **state)
{
	(void)state;
	struct h_pair P, *p = &P;
	open_pair(p, NULL);
	struct h *h = p->h;
	uint32_t c0 = p->c0, s0 = p->s0;
	uint8_t resp[5000], in[6000];
	for (int i = 0; i < 5000; i++)
		resp[i] = (uint8_t)(i ^ (i >> 8));

	h_run_until(h, MS(100));
	assert_int_equal(sk_send(CST(p), p->cfd, "req", 3, 0), 3);
	assert_int_equal(sk_shutdown(CST(p), p->cfd, SHUT_WR), 0);
	assert_int_equal(sk_send(CST(p), p->cfd, "more", 4, 0), -EPIPE);
	assert_int_equal(h_state(h, p->c, p->cfd), SK_TCP_FIN_WAIT1);
	h_run_until(h, MS(110));
	h_expect(h_next(h), MS(100), p->c, "P.", c0, s0, 3);
	h_expect(h_next(h), MS(100), p->c, "F.", c0 + 3, s0, 0);
	h_expect(h_next(h), MS(110), p->s, ".", s0, c0 + 3, 0);
	h_no_more(h);
	assert_int_equal(sk_recv(SST(p), p->afd, in, sizeof(in), 0), 3);
	assert_memory_equal(in, "req", 3);
	assert_int_equal(sk_recv(SST(p), p->afd, in, sizeof(in), 0), 0);
	assert_int_equal(h_state(h, p->s, p->afd), SK_TCP_CLOSE_WAIT);

	h_run_until(h, MS(200));
	h_expect(h_next(h), MS(150), p->s, ".", s0, c0 + 4, 0); /* delayed ACK of the FIN */
	h_no_more(h);
	assert_int_equal(h_state(h, p->c, p->cfd), SK_TCP_FIN_WAIT2);
	assert_int_equal(sk_send(SST(p), p->afd, resp, sizeof(resp), 0), 5000);
	h_run_until(h, MS(210));
	h_expect(h_next(h), MS(200), p->s, ".", s0, c0 + 4, 1448);
	h_expect(h_next(h), MS(200), p->s, "P.", s0 + 1448, c0 + 4, 1448);
	h_expect(h_next(h), MS(200), p->s, ".", s0 + 2896, c0 + 4, 1448);
	h_expect(h_next(h), MS(200), p->s, "P.", s0 + 4344, c0 + 4, 656);
	/* the client's first data: quick ACKs */
	h_expect(h_next(h), MS(210), p->c, ".", c0 + 4, s0 + 1448, 0);
	h_expect(h_next(h), MS(210), p->c, ".", c0 + 4, s0 + 2896, 0);
	h_expect(h_next(h), MS(210), p->c, ".", c0 + 4, s0 + 4344, 0);
	h_expect(h_next(h), MS(210), p->c, ".", c0 + 4, s0 + 5000, 0);
	h_no_more(h);
	assert_int_equal(sk_recv(CST(p), p->cfd, in, sizeof(in), 0), 5000);
	assert_memory_equal(in, resp, 5000);
	assert_int_equal(sk_recv(CST(p), p->cfd, in, sizeof(in), 0), -EAGAIN);
	assert_int_equal(h_state(h, p->c, p->cfd), SK_TCP_FIN_WAIT2);

	h_run_until(h, MS(300));
	assert_int_equal(sk_close(SST(p), p->afd), 0);
	h_run_until(h, MS(320));
	h_expect(h_next(h), MS(300), p->s, "F.", s0 + 5000, c0 + 4, 0);
	h_expect(h_next(h), MS(310), p->c, ".", c0 + 4, s0 + 5001, 0);
	h_no_more(h);
	assert_int_equal(sk_recv(CST(p), p->cfd, in, sizeof(in), 0), 0);
	assert_int_equal(h_state(h, p->c, p->cfd), SK_TCP_CLOSE);
	assert_when(p, p->c, SK_TCP_ESTABLISHED, SK_TCP_FIN_WAIT1, MS(100));
	assert_when(p, p->c, SK_TCP_FIN_WAIT1, SK_TCP_FIN_WAIT2, MS(160));
	assert_when(p, p->c, SK_TCP_FIN_WAIT2, SK_TCP_TIME_WAIT, MS(310));
	assert_when(p, p->s, SK_TCP_LAST_ACK, SK_TCP_CLOSE, MS(320));

	/* closing the descriptor now sends nothing; the TIME_WAIT entry stays */
	assert_int_equal(sk_close(CST(p), p->cfd), 0);
	assert_int_equal(h_nsockets(h, p->c), 1);
	assert_int_equal(h_logged_state(h, p->c, p->cport, PORT), SK_TCP_TIME_WAIT);
	h_run_until(h, MS(310) + SEC(60));
	assert_when(p, p->c, SK_TCP_TIME_WAIT, SK_TCP_CLOSE, MS(310) + SEC(60));
	assert_int_equal(h_nsockets(h, p->c), 0);
	h_no_more(h);
	finish(h);
}

/* C2 (and C7's "forever if it only called shutdown()"): FIN_WAIT_2 after
 * shutdown(SHUT_WR) has no timer; an hour later, far past tcp_fin_timeout,
 * the socket still waits and nothing has been sent. */
static void c2_shutdown_fin_wait2_has_no_timeout(void **state)
{
	(void)state;
	struct h_pair P, *p = &P;
	open_pair(p, NULL);
	struct h *h = p->h;
	uint32_t cseq = p->c0;
	client_says(p, MS(100), "hi", &cseq);

	h_run_until(h, MS(200));
	assert_int_equal(sk_shutdown(CST(p), p->cfd, SHUT_WR), 0);
	h_run_until(h, MS(260));
	h_expect(h_next(h), MS(200), p->c, "F.", cseq, p->s0, 0);
	h_expect(h_next(h), MS(250), p->s, ".", p->s0, cseq + 1, 0);
	h_no_more(h);
	assert_int_equal(h_state(h, p->c, p->cfd), SK_TCP_FIN_WAIT2);

	h_run_until(h, SEC(3600));
	h_no_more(h);
	assert_int_equal(h_state(h, p->c, p->cfd), SK_TCP_FIN_WAIT2);
	assert_int_equal(h_state(h, p->s, p->afd), SK_TCP_CLOSE_WAIT);

	assert_int_equal(sk_close(SST(p), p->afd), 0);
	h_run_until(h, SEC(3600) + MS(20));
	h_expect(h_next(h), SEC(3600), p->s, "F.", p->s0, cseq + 1, 0);
	h_expect(h_next(h), SEC(3600) + MS(10), p->c, ".", cseq + 1, p->s0 + 1, 0);
	h_no_more(h);
	assert_when(p, p->c, SK_TCP_FIN_WAIT2, SK_TCP_TIME_WAIT, SEC(3600) + MS(10));
	assert_int_equal(sk_close(CST(p), p->cfd), 0);
	h_run_until(h, SEC(3660) + MS(10));
	assert_int_equal(h_nsockets(h, p->c), 0);
	assert_int_equal(h_nsockets(h, p->s), 0);
	finish(h);
}

/* C2: shutdown(SHUT_RD) on an ESTABLISHED socket, as Linux does it: no
 * segment; poll says readable with RDHUP; recv returns 0 on an empty
 * queue, yet data that arrives later is ACKed, queued and read; sending
 * still works. */
static void c2_shutdown_rd_keeps_receiving(void **state)
{
	(void)state;
	struct h_pair P, *p = &P;
	open_pair(p, NULL);
	struct h *h = p->h;
	uint32_t c0 = p->c0, s0 = p->s0;
	char b[16];

	h_run_until(h, MS(100));
	assert_int_equal(sk_shutdown(SST(p), p->afd, SHUT_RD), 0);
	assert_int_equal(sk_poll(SST(p), p->afd, POLLIN | POLLOUT | SK_POLLRDHUP),
			 POLLIN | POLLOUT | SK_POLLRDHUP);
	assert_int_equal(sk_recv(SST(p), p->afd, b, sizeof(b), 0), 0);
	assert_int_equal(h_state(h, p->s, p->afd), SK_TCP_ESTABLISHED);

	h_run_until(h, MS(150));
	h_no_more(h);
	assert_int_equal(sk_send(CST(p), p->cfd, "after", 5, 0), 5);
	h_run_until(h, MS(160));
	h_expect(h_next(h), MS(150), p->c, "P.", c0, s0, 5);
	h_expect(h_next(h), MS(160), p->s, ".", s0, c0 + 5, 0);
	assert_int_equal(sk_recv(SST(p), p->afd, b, sizeof(b), 0), 5);
	assert_memory_equal(b, "after", 5);
	assert_int_equal(sk_recv(SST(p), p->afd, b, sizeof(b), 0), 0);

	h_run_until(h, MS(200));
	assert_int_equal(sk_send(CST(p), p->cfd, "more", 4, 0), 4);
	h_run_until(h, MS(210));
	h_expect(h_next(h), MS(200), p->c, "P.", c0 + 5, s0, 4);
	h_expect(h_next(h), MS(210), p->s, ".", s0, c0 + 9, 0);
	assert_int_equal(sk_recv(SST(p), p->afd, b, sizeof(b), 0), 4);
	assert_memory_equal(b, "more", 4);

	assert_int_equal(sk_send(SST(p), p->afd, "x", 1, 0), 1);
	h_run_until(h, MS(220));
	h_expect(h_next(h), MS(210), p->s, "P.", s0, c0 + 9, 1);
	h_expect(h_next(h), MS(220), p->c, ".", c0 + 9, s0 + 1, 0);
	h_no_more(h);
	assert_int_equal(sk_recv(CST(p), p->cfd, b, sizeof(b), 0), 1);
	assert_int_equal(h_state(h, p->s, p->afd), SK_TCP_ESTABLISHED);
	assert_int_equal(ctr(p, p->s, SK_MIB_OutRsts), 0);
	finish(h);
}

/* C2: after shutdown(SHUT_RDWR) the FIN is out and the socket reads no
 * more; new data from the peer in FIN_WAIT_2 is answered with a reset made
 * from that segment ([R], seq = its ACK field), counted in TCPAbortOnData;
 * the socket's recv reports ECONNRESET, then 0. The peer (CLOSE_WAIT)
 * reads 0 and its send fails with EPIPE. */
static void c2_shutdown_rdwr_then_data_resets(void **state)
{
	(void)state;
	struct h_pair P, *p = &P;
	open_pair(p, NULL);
	struct h *h = p->h;
	uint32_t cseq = p->c0, s0 = p->s0;
	char b[16];
	client_says(p, MS(100), "hi", &cseq);

	h_run_until(h, MS(200));
	assert_int_equal(sk_shutdown(CST(p), p->cfd, SHUT_RDWR), 0);
	assert_int_equal(sk_poll(CST(p), p->cfd, POLLIN | POLLOUT | SK_POLLRDHUP),
			 POLLIN | POLLOUT | POLLHUP | SK_POLLRDHUP);
	h_run_until(h, MS(260));
	h_expect(h_next(h), MS(200), p->c, "F.", cseq, s0, 0);
	h_expect(h_next(h), MS(250), p->s, ".", s0, cseq + 1, 0);
	h_no_more(h);
	assert_int_equal(h_state(h, p->c, p->cfd), SK_TCP_FIN_WAIT2);

	h_run_until(h, MS(300));
	assert_int_equal(sk_send(SST(p), p->afd, "late", 4, 0), 4);
	h_run_until(h, MS(320));
	h_expect(h_next(h), MS(300), p->s, "P.", s0, cseq + 1, 4);
	const struct h_pkt *rst = h_next(h);
	h_expect(rst, MS(310), p->c, "R", cseq + 1, 0, 0);
	assert_int_equal(rst->tcp.wnd, 0);
	h_no_more(h);
	assert_int_equal(ctr(p, p->c, SK_MIB_TCPAbortOnData), 1);
	assert_int_equal(ctr(p, p->c, SK_MIB_OutRsts), 1);
	assert_when(p, p->c, SK_TCP_FIN_WAIT2, SK_TCP_CLOSE, MS(310));
	assert_int_equal(h_state(h, p->c, p->cfd), SK_TCP_CLOSE);
	assert_int_equal(sk_recv(CST(p), p->cfd, b, sizeof(b), 0), -ECONNRESET);
	assert_int_equal(sk_recv(CST(p), p->cfd, b, sizeof(b), 0), 0);

	assert_when(p, p->s, SK_TCP_CLOSE_WAIT, SK_TCP_CLOSE, MS(320));
	assert_int_equal(sk_recv(SST(p), p->afd, b, sizeof(b), 0), 0);
	assert_int_equal(sk_send(SST(p), p->afd, "x", 1, 0), -EPIPE);
	assert_int_equal(sk_close(CST(p), p->cfd), 0);
	assert_int_equal(sk_close(SST(p), p->afd), 0);
	h_run_for(h, SEC(1));
	h_no_more(h);
	assert_int_equal(h_nsockets(h, p->c), 0);
	assert_int_equal(h_nsockets(h, p->s), 0);
	finish(h);
}

/* C11: close() with unread received data sends a reset (seq = SND.NXT,
 * ack = RCV.NXT) instead of a FIN and the connection goes straight to
 * CLOSED (TCPAbortOnClose). The peer still reads the data it holds, then
 * ECONNRESET, then 0; its writes fail with EPIPE and send nothing. */
static void c11_close_with_unread_data_resets(void **state)
{
	(void)state;
	struct h_pair P, *p = &P;
	open_pair(p, NULL);
	struct h *h = p->h;
	uint32_t c0 = p->c0, s0 = p->s0;
	char b[16];

	h_run_until(h, MS(100));
	assert_int_equal(sk_send(CST(p), p->cfd, "hello", 5, 0), 5);
	h_run_until(h, MS(150));
	assert_int_equal(sk_send(SST(p), p->afd, "abc", 3, 0), 3);
	h_run_until(h, MS(300));
	h_expect(h_next(h), MS(100), p->c, "P.", c0, s0, 5);
	h_expect(h_next(h), MS(110), p->s, ".", s0, c0 + 5, 0);
	h_expect(h_next(h), MS(150), p->s, "P.", s0, c0 + 5, 3);
	h_expect(h_next(h), MS(160), p->c, ".", c0 + 5, s0 + 3, 0);
	h_no_more(h);

	/* the server never read "hello" */
	assert_int_equal(sk_close(SST(p), p->afd), 0);
	assert_int_equal(h_nsockets(h, p->s), 0);
	h_run_until(h, MS(310));
	h_expect(h_next(h), MS(300), p->s, "R.", s0 + 3, c0 + 5, 0);
	h_no_more(h);
	assert_when(p, p->s, SK_TCP_ESTABLISHED, SK_TCP_CLOSE, MS(300));
	assert_false(h_saw_transition(h, p->s, PORT, p->cport, SK_TCP_ESTABLISHED,
				      SK_TCP_FIN_WAIT1));
	assert_int_equal(ctr(p, p->s, SK_MIB_TCPAbortOnClose), 1);
	assert_int_equal(ctr(p, p->s, SK_MIB_TCPAbortOnData), 0);
	assert_int_equal(ctr(p, p->s, SK_MIB_OutRsts), 1);
	assert_int_equal(ctr(p, p->s, SK_MIB_EstabResets), 1);

	assert_when(p, p->c, SK_TCP_ESTABLISHED, SK_TCP_CLOSE, MS(310));
	assert_int_equal(ctr(p, p->c, SK_MIB_EstabResets), 1);
	assert_int_equal(h_state(h, p->c, p->cfd), SK_TCP_CLOSE);
	assert_int_equal(sk_recv(CST(p), p->cfd, b, sizeof(b), 0), 3);
	assert_memory_equal(b, "abc", 3);
	assert_int_equal(sk_recv(CST(p), p->cfd, b, sizeof(b), 0), -ECONNRESET);
	assert_int_equal(sk_recv(CST(p), p->cfd, b, sizeof(b), 0), 0);
	assert_int_equal(sk_send(CST(p), p->cfd, "x", 1, 0), -EPIPE);
	assert_int_equal(sk_send(CST(p), p->cfd, "x", 1, 0), -EPIPE);
	assert_int_equal(sk_close(CST(p), p->cfd), 0);
	h_run_for(h, SEC(1));
	h_no_more(h);
	assert_int_equal(h_nsockets(h, p->c), 0);
	finish(h);
}

/* C11: the same in CLOSE_WAIT: the client wrote and closed; the server
 * closes without reading. Its reset acknowledges the FIN too (ack =
 * RCV.NXT), and the client's orphaned FIN_WAIT_2 ends at once. */
static void c11_close_wait_unread_data_resets(void **state)
{
	(void)state;
	struct h_pair P, *p = &P;
	open_pair(p, NULL);
	struct h *h = p->h;
	uint32_t c0 = p->c0, s0 = p->s0;

	h_run_until(h, MS(100));
	assert_int_equal(sk_send(CST(p), p->cfd, "hello", 5, 0), 5);
	assert_int_equal(sk_close(CST(p), p->cfd), 0);
	h_run_until(h, MS(300));
	h_expect(h_next(h), MS(100), p->c, "P.", c0, s0, 5);
	h_expect(h_next(h), MS(100), p->c, "F.", c0 + 5, s0, 0);
	h_expect(h_next(h), MS(110), p->s, ".", s0, c0 + 5, 0);
	h_expect(h_next(h), MS(150), p->s, ".", s0, c0 + 6, 0);
	h_no_more(h);
	assert_int_equal(h_state(h, p->s, p->afd), SK_TCP_CLOSE_WAIT);
	assert_int_equal(h_logged_state(h, p->c, p->cport, PORT), SK_TCP_FIN_WAIT2);

	assert_int_equal(sk_close(SST(p), p->afd), 0);
	h_run_until(h, MS(310));
	h_expect(h_next(h), MS(300), p->s, "R.", s0, c0 + 6, 0);
	h_no_more(h);
	assert_when(p, p->s, SK_TCP_CLOSE_WAIT, SK_TCP_CLOSE, MS(300));
	assert_false(h_saw_transition(h, p->s, PORT, p->cport, SK_TCP_CLOSE_WAIT,
				      SK_TCP_LAST_ACK));
	assert_int_equal(ctr(p, p->s, SK_MIB_TCPAbortOnClose), 1);
	assert_when(p, p->c, SK_TCP_FIN_WAIT2, SK_TCP_CLOSE, MS(310));
	assert_int_equal(h_nsockets(h, p->s), 0);
	assert_int_equal(h_nsockets(h, p->c), 0);
	h_run_for(h, SEC(100));
	h_no_more(h);
	finish(h);
}

/* C12: SO_LINGER {1, 0}: close() resets instead of sending a FIN, even
 * with nothing unread (Linux counts it in TCPAbortOnData); no TIME_WAIT.
 * The peer gets ECONNRESET, then 0, and EPIPE on send. */
static void c12_linger_zero_resets(void **state)
{
	(void)state;
	struct h_pair P, *p = &P;
	open_pair(p, NULL);
	struct h *h = p->h;
	uint32_t cseq = p->c0, s0 = p->s0;
	char b[16];
	client_says(p, MS(100), "hello", &cseq);

	struct linger lg = { 1, 0 };
	assert_int_equal(sk_setsockopt(CST(p), p->cfd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)), 0);
	struct linger got = { 0, 99 };
	socklen_t glen = sizeof(got);
	assert_int_equal(sk_getsockopt(CST(p), p->cfd, SOL_SOCKET, SO_LINGER, &got, &glen), 0);
	assert_int_equal(got.l_onoff, 1);
	assert_int_equal(got.l_linger, 0);

	h_run_until(h, MS(200));
	assert_int_equal(sk_close(CST(p), p->cfd), 0);
	assert_int_equal(h_nsockets(h, p->c), 0);
	h_run_until(h, MS(210));
	h_expect(h_next(h), MS(200), p->c, "R.", cseq, s0, 0);
	h_no_more(h);
	assert_when(p, p->c, SK_TCP_ESTABLISHED, SK_TCP_CLOSE, MS(200));
	assert_int_equal(ctr(p, p->c, SK_MIB_TCPAbortOnData), 1);
	assert_int_equal(ctr(p, p->c, SK_MIB_TCPAbortOnClose), 0);
	assert_int_equal(ctr(p, p->c, SK_MIB_OutRsts), 1);

	assert_when(p, p->s, SK_TCP_ESTABLISHED, SK_TCP_CLOSE, MS(210));
	assert_int_equal(sk_recv(SST(p), p->afd, b, sizeof(b), 0), -ECONNRESET);
	assert_int_equal(sk_recv(SST(p), p->afd, b, sizeof(b), 0), 0);
	assert_int_equal(sk_send(SST(p), p->afd, "x", 1, 0), -EPIPE);
	assert_int_equal(sk_close(SST(p), p->afd), 0);
	h_run_for(h, SEC(100));
	h_no_more(h);
	assert_int_equal(h_nsockets(h, p->s), 0);
	finish(h);
}

/* C12 with C11: SO_LINGER {1, 0} and unread data: still one reset, but
 * Linux checks unread data first, so TCPAbortOnClose counts it. */
static void c12_linger_zero_with_unread_counts_abort_on_close(void **state)
{
	(void)state;
	struct h_pair P, *p = &P;
	open_pair(p, NULL);
	struct h *h = p->h;
	uint32_t c0 = p->c0, s0 = p->s0;

	struct linger lg = { 1, 0 };
	assert_int_equal(sk_setsockopt(SST(p), p->afd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)), 0);
	h_run_until(h, MS(100));
	assert_int_equal(sk_send(CST(p), p->cfd, "hello", 5, 0), 5);
	h_run_until(h, MS(200));
	h_expect(h_next(h), MS(100), p->c, "P.", c0, s0, 5);
	h_expect(h_next(h), MS(110), p->s, ".", s0, c0 + 5, 0);
	assert_int_equal(sk_close(SST(p), p->afd), 0);
	h_run_until(h, MS(210));
	h_expect(h_next(h), MS(200), p->s, "R.", s0, c0 + 5, 0);
	h_no_more(h);
	assert_int_equal(ctr(p, p->s, SK_MIB_TCPAbortOnClose), 1);
	assert_int_equal(ctr(p, p->s, SK_MIB_TCPAbortOnData), 0);
	assert_int_equal(sk_close(CST(p), p->cfd), 0);
	finish(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(c1_four_way_close, teardown),
		cmocka_unit_test_teardown(c1_fin_acked_after_delack, teardown),
		cmocka_unit_test_teardown(c2_shutdown_wr_half_close, teardown),
		cmocka_unit_test_teardown(c2_shutdown_fin_wait2_has_no_timeout, teardown),
		cmocka_unit_test_teardown(c2_shutdown_rd_keeps_receiving, teardown),
		cmocka_unit_test_teardown(c2_shutdown_rdwr_then_data_resets, teardown),
		cmocka_unit_test_teardown(c3_three_way_close_at_once, teardown),
		cmocka_unit_test_teardown(c3_three_way_close_within_delack, teardown),
		cmocka_unit_test_teardown(c4_simultaneous_close, teardown),
		cmocka_unit_test_teardown(c11_close_with_unread_data_resets, teardown),
		cmocka_unit_test_teardown(c11_close_wait_unread_data_resets, teardown),
		cmocka_unit_test_teardown(c12_linger_zero_resets, teardown),
		cmocka_unit_test_teardown(c12_linger_zero_with_unread_counts_abort_on_close, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
