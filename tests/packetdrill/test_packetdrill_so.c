/* The packetdrill adapter tested without packetdrill: libsynack-packetdrill.so
 * is loaded with dlopen, as packetdrill loads it, and driven through the
 * interface's hooks alone: handshakes both ways, data both ways, closes,
 * a blocking call on a second thread, --so_flags, virtual time, epoll,
 * and the calls synack does not serve. Packets are built and checked
 * byte by byte here. */
#include <arpa/inet.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <netinet/tcp.h>
#include <linux/sockios.h>
#include <cmocka.h>

#include "synack/packetdrill.h"

#define LOCAL "192.168.0.2"
#define REMOTE "192.0.2.1"

/* ---- loading ---- */

static struct packetdrill_interface ifc;
static void *ud;

static packetdrill_interface_init_t load(void)
{
#ifdef SYNACK_PD_SANITIZE
	int mode = RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE; /* the sanitizers refuse RTLD_DEEPBIND */
#else
	int mode = RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE | RTLD_DEEPBIND; /* as packetdrill */
#endif
	void *h = dlopen(SYNACK_PD_SO, mode);
	if (!h)
		fail_msg("dlopen: %s", dlerror());
	packetdrill_interface_init_t init = (packetdrill_interface_init_t)dlsym(h, "packetdrill_interface_init");
	assert_non_null(init);
	return init;
}

static void start(const char *flags)
{
	memset(&ifc, 0, sizeof(ifc));
	load()(flags, &ifc);
	ud = ifc.userdata;
	assert_non_null(ud);
}

static void stop(void)
{
	ifc.free(ud);
	ud = NULL;
}

static long long now_us(void)
{
	struct timeval tv;
	assert_int_equal(ifc.gettimeofday(ud, &tv, NULL), 0);
	return (long long)tv.tv_sec * 1000000 + tv.tv_usec;
}

/* ---- packets ---- */

struct pkt {
	uint8_t b[65536];
	size_t len;
	long long t_us;
};

static uint16_t csum(const void *p, size_t n, uint32_t sum)
{
	const uint8_t *b = p;
	for (size_t i = 0; i + 1 < n; i += 2)
		sum += (uint32_t)b[i] << 8 | b[i + 1];
	if (n & 1)
		sum += (uint32_t)b[n - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static void put16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)(v >> 8), p[1] = (uint8_t)v; }
static void put32(uint8_t *p, uint32_t v) { put16(p, (uint16_t)(v >> 16)), put16(p + 2, (uint16_t)v); }
static uint16_t get16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }
static uint32_t get32(const uint8_t *p) { return (uint32_t)get16(p) << 16 | get16(p + 2); }

enum { F_FIN = 1, F_SYN = 2, F_RST = 4, F_PSH = 8, F_ACK = 16 };

/* Injects a segment from REMOTE:rport to LOCAL:8080 (or to `lport`). */
static void inject(uint16_t rport, uint16_t lport, uint8_t flags, uint32_t seq, uint32_t ack,
		   uint16_t win, const uint8_t *opts, size_t olen, size_t dlen)
{
	uint8_t b[2048] = { 0 };
	size_t thl = 20 + olen, total = 20 + thl + dlen;
	b[0] = 0x45;
	put16(b + 2, (uint16_t)total);
	b[8] = 64;
	b[9] = 6;
	inet_pton(AF_INET, REMOTE, b + 12);
	inet_pton(AF_INET, LOCAL, b + 16);
	put16(b + 10, csum(b, 20, 0));
	uint8_t *t = b + 20;
	put16(t, rport);
	put16(t + 2, lport);
	put32(t + 4, seq);
	put32(t + 8, ack);
	t[12] = (uint8_t)(thl / 4) << 4;
	t[13] = flags;
	put16(t + 14, win);
	if (olen)
		memcpy(t + 20, opts, olen);
	for (size_t i = 0; i < dlen; i++)
		t[thl + i] = (uint8_t)('a' + i % 26);
	uint8_t ph[12];
	memcpy(ph, b + 12, 8);
	ph[8] = 0, ph[9] = 6;
	put16(ph + 10, (uint16_t)(thl + dlen));
	uint32_t sum = 0;
	for (int i = 0; i < 12; i += 2)
		sum += (uint32_t)ph[i] << 8 | ph[i + 1];
	put16(t + 16, csum(t, thl + dlen, sum));
	assert_int_equal(ifc.netdev_send(ud, b, total), 0);
}

static void take(struct pkt *p)
{
	p->len = sizeof(p->b);
	assert_int_equal(ifc.netdev_receive(ud, p->b, &p->len, &p->t_us), 0);
	assert_true(p->len >= 40);
	assert_int_equal(p->b[0], 0x45);
	assert_int_equal(csum(p->b, 20, 0), 0); /* the IPv4 header checksum holds */
}

static const uint8_t *tcp(const struct pkt *p) { return p->b + 20; }
static uint8_t flags_of(const struct pkt *p) { return tcp(p)[13]; }
static uint32_t seq_of(const struct pkt *p) { return get32(tcp(p) + 4); }
static uint32_t ack_of(const struct pkt *p) { return get32(tcp(p) + 8); }
static size_t thl_of(const struct pkt *p) { return (size_t)(tcp(p)[12] >> 4) * 4; }
static size_t dlen_of(const struct pkt *p) { return get16(p->b + 2) - 20 - thl_of(p); }

static void expect(const struct pkt *p, uint8_t flags, uint32_t seq, uint32_t ack, size_t dlen)
{
	assert_int_equal(flags_of(p), flags);
	assert_int_equal(seq_of(p), seq);
	if (flags & F_ACK)
		assert_int_equal(ack_of(p), ack);
	assert_int_equal(dlen_of(p), dlen);
}

static void nothing_more(void)
{
	struct pkt p;
	p.len = sizeof(p.b);
	assert_int_equal(ifc.netdev_receive(ud, p.b, &p.len, &p.t_us), 0);
	assert_int_equal(p.len, 0); /* packetdrill's fast-fail signal */
}

static void addr(struct sockaddr_in *a, const char *ip, uint16_t port)
{
	memset(a, 0, sizeof(*a));
	a->sin_family = AF_INET;
	a->sin_port = htons(port);
	inet_pton(AF_INET, ip, &a->sin_addr);
}

/* A listener on LOCAL:8080 and a connection accepted on it, through a
 * handshake checked byte by byte. Returns the accepted descriptor; the
 * peer's ISN is 0 and ours is *isn. */
static int accepted(uint32_t *isn)
{
	int lfd = ifc.socket(ud, AF_INET, SOCK_STREAM, IPPROTO_TCP);
	assert_true(lfd >= 0);
	struct sockaddr_in a;
	addr(&a, LOCAL, 8080);
	assert_int_equal(ifc.bind(ud, lfd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(ifc.listen(ud, lfd, 1), 0);
	const uint8_t syn_opts[] = { 2, 4, 0x03, 0xe8, 1, 3, 3, 7 }; /* mss 1000, nop, wscale 7 */
	inject(40000, 8080, F_SYN, 0, 0, 32792, syn_opts, sizeof(syn_opts), 0);
	struct pkt p;
	take(&p);
	expect(&p, F_SYN | F_ACK, seq_of(&p), 1, 0);
	/* Linux's SYN-ACK to such a SYN: <mss 1460,nop,wscale 8>, window 65535 */
	const uint8_t want[] = { 2, 4, 0x05, 0xb4, 1, 3, 3, 8 };
	assert_int_equal(thl_of(&p), 28);
	assert_memory_equal(tcp(&p) + 20, want, sizeof(want));
	assert_int_equal(get16(tcp(&p) + 14), 65535);
	*isn = seq_of(&p);
	inject(40000, 8080, F_ACK, 1, *isn + 1, 257, NULL, 0, 0);
	int fd = ifc.accept(ud, lfd, NULL, NULL);
	assert_true(fd >= 0);
	assert_int_equal(ifc.close(ud, lfd), 0);
	return fd;
}

/* ---- tests ---- */

/* Every hook is set, and the struct has packetdrill's 33 members. */
static void test_every_hook_set(void **state)
{
	(void)state;
	assert_int_equal(sizeof(struct packetdrill_interface), 33 * sizeof(void *));
	start("local_ip=" LOCAL);
#define HOOK(h) assert_non_null((void *)(uintptr_t)ifc.h)
	HOOK(free), HOOK(socket), HOOK(bind), HOOK(listen), HOOK(accept), HOOK(connect);
	HOOK(read), HOOK(readv), HOOK(recv), HOOK(recvfrom), HOOK(recvmsg);
	HOOK(write), HOOK(writev), HOOK(send), HOOK(sendto), HOOK(sendmsg);
	HOOK(fcntl), HOOK(ioctl), HOOK(close), HOOK(shutdown), HOOK(getsockopt), HOOK(setsockopt);
	HOOK(poll), HOOK(netdev_send), HOOK(netdev_receive), HOOK(usleep), HOOK(gettimeofday);
	HOOK(epoll_create), HOOK(epoll_ctl), HOOK(epoll_wait), HOOK(pipe), HOOK(splice);
#undef HOOK
	stop();
}

/* Passive open, data both ways, the application closes first. */
static void test_passive_data_close(void **state)
{
	(void)state;
	start("local_ip=" LOCAL);
	uint32_t isn;
	int fd = accepted(&isn);
	struct pkt p;
	assert_int_equal(ifc.write(ud, fd, "hello, packetdrill", 18), 18);
	take(&p);
	expect(&p, F_ACK | F_PSH, isn + 1, 1, 18);
	assert_memory_equal(tcp(&p) + thl_of(&p), "hello, packetdrill", 18);
	inject(40000, 8080, F_ACK | F_PSH, 1, isn + 19, 257, NULL, 0, 100);
	take(&p); /* the first data is ACKed at once (quick-ACK mode) */
	expect(&p, F_ACK, isn + 19, 101, 0);
	char buf[200];
	assert_int_equal(ifc.read(ud, fd, buf, sizeof(buf)), 100);
	assert_memory_equal(buf, "abcdefghij", 10);
	assert_int_equal(ifc.close(ud, fd), 0);
	take(&p);
	expect(&p, F_ACK | F_FIN, isn + 19, 101, 0);
	long long fin_at = p.t_us;
	inject(40000, 8080, F_ACK | F_FIN, 101, isn + 20, 257, NULL, 0, 0);
	take(&p);
	expect(&p, F_ACK, isn + 20, 102, 0);
	assert_true(p.t_us - fin_at < 1000);
	/* a late segment meets TIME-WAIT: the ACK is repeated */
	inject(40000, 8080, F_ACK | F_FIN, 101, isn + 20, 257, NULL, 0, 0);
	take(&p);
	expect(&p, F_ACK, isn + 20, 102, 0);
	stop();
}

struct connect_call {
	int fd;
	int rc, err;
	long long end_us;
};

/* As packetdrill's syscall thread: make the call, then read the clock. */
static void *blocking_connect(void *arg)
{
	struct connect_call *c = arg;
	struct sockaddr_in a;
	addr(&a, REMOTE, 8080);
	c->rc = ifc.connect(ud, c->fd, (struct sockaddr *)&a, sizeof(a));
	c->err = errno;
	c->end_us = now_us();
	return NULL;
}

/* Active open with a blocking connect on a second thread, which really
 * sleeps until the SYN-ACK comes; the peer closes first. */
static void test_blocking_connect_remote_close(void **state)
{
	(void)state;
	start("local_ip=" LOCAL);
	struct connect_call c = { .fd = ifc.socket(ud, AF_INET, SOCK_STREAM, IPPROTO_TCP) };
	assert_true(c.fd >= 0);
	pthread_t th;
	assert_int_equal(pthread_create(&th, NULL, blocking_connect, &c), 0);
	struct pkt p;
	do { /* wait (in real time) for the thread to send the SYN */
		p.len = sizeof(p.b);
		assert_int_equal(ifc.netdev_receive(ud, p.b, &p.len, &p.t_us), 0);
	} while (p.len == 0 || flags_of(&p) != F_SYN);
	uint32_t isn = seq_of(&p);
	uint16_t lport = get16(tcp(&p));
	/* <mss 1460,sackOK,TS val ecr 0,nop,wscale 8>, Linux's SYN */
	assert_int_equal(thl_of(&p), 40);
	assert_memory_equal(tcp(&p) + 20, "\x02\x04\x05\xb4\x04\x02\x08\x0a", 8);
	assert_memory_equal(tcp(&p) + 36, "\x01\x03\x03\x08", 4);
	assert_int_equal(ifc.usleep(ud, 100000), 0);
	long long synack_at = now_us();
	const uint8_t opts[] = { 2, 4, 0x05, 0xb4, 1, 3, 3, 2 };
	inject(8080, lport, F_SYN | F_ACK, 5000, isn + 1, 5792, opts, sizeof(opts), 0);
	assert_int_equal(ifc.usleep(ud, 100000), 0); /* holds until connect has returned */
	assert_int_equal(pthread_join(th, NULL), 0);
	assert_int_equal(c.rc, 0);
	assert_true(c.end_us >= synack_at && c.end_us - synack_at < 1000);
	take(&p);
	expect(&p, F_ACK, isn + 1, 5001, 0);
	inject(8080, lport, F_ACK | F_FIN, 5001, isn + 1, 5792, NULL, 0, 0);
	char b[10];
	assert_int_equal(ifc.read(ud, c.fd, b, sizeof(b)), 0);
	take(&p); /* the FIN's ACK waits a tick for our FIN to ride on */
	expect(&p, F_ACK, isn + 1, 5002, 0);
	assert_int_equal(ifc.close(ud, c.fd), 0);
	take(&p);
	expect(&p, F_ACK | F_FIN, isn + 1, 5002, 0);
	inject(8080, lport, F_ACK, 5002, isn + 2, 5792, NULL, 0, 0);
	nothing_more();
	stop();
}

/* Virtual time: the SYN's retransmissions come at 1 and 3 s (the classic
 * doubling, with Linux 6.x's linear timeouts off) without waiting for
 * them, then connect fails after tcp_syn_retries. */
static void test_virtual_time_syn_retries(void **state)
{
	(void)state;
	start("local_ip=" LOCAL ",tcp_syn_retries=2,tcp_syn_linear_timeouts=0");
	int fd = ifc.socket(ud, AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	struct sockaddr_in a;
	addr(&a, REMOTE, 8080);
	assert_int_equal(ifc.connect(ud, fd, (struct sockaddr *)&a, sizeof(a)), -1);
	assert_int_equal(errno, EINPROGRESS);
	struct pkt p;
	take(&p);
	long long t0 = p.t_us;
	take(&p);
	assert_int_equal(p.t_us - t0, 1000000);
	take(&p);
	assert_int_equal(p.t_us - t0, 3000000);
	nothing_more(); /* the third timeout gives up silently */
	int err;
	socklen_t len = sizeof(err);
	assert_int_equal(ifc.getsockopt(ud, fd, SOL_SOCKET, SO_ERROR, &err, &len), 0);
	assert_int_equal(err, ETIMEDOUT);
	assert_true(now_us() - t0 >= 7000000);
	assert_int_equal(ifc.close(ud, fd), 0);
	stop();
}

/* --so_flags set knobs by their Linux names and the address. */
static void test_so_flags(void **state)
{
	(void)state;
	start("local_ip=10.1.2.3,tcp_timestamps=0,tcp_sack=0,tcp_rmem=4096:65536:65536");
	int fd = ifc.socket(ud, AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	struct sockaddr_in a;
	addr(&a, REMOTE, 8080);
	assert_int_equal(ifc.connect(ud, fd, (struct sockaddr *)&a, sizeof(a)), -1);
	struct pkt p;
	take(&p);
	assert_memory_equal(p.b + 12, "\x0a\x01\x02\x03", 4);
	/* no TS, no SACK: <mss 1460,nop,wscale 2>: Linux scales for the
	 * larger of tcp_rmem[2] and rmem_max (212992) */
	assert_int_equal(thl_of(&p), 28);
	assert_memory_equal(tcp(&p) + 20, "\x02\x04\x05\xb4\x01\x03\x03\x02", 8);
	stop();
}

/* An unknown key is an error on stderr and the run ends with status 1. */
static void test_so_flags_unknown_key(void **state)
{
	(void)state;
	packetdrill_interface_init_t init = load();
	const char *bad[] = { "local_ip=" LOCAL ",tcp_no_such_knob=1", "tcp_syn_retries=many",
			      "local_ip=300.1.1.1", "noequals" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		fflush(NULL);
		pid_t pid = fork();
		assert_true(pid >= 0);
		if (pid == 0) {
			freopen("/dev/null", "w", stderr);
			struct packetdrill_interface x;
			init(bad[i], &x);
			_exit(0);
		}
		int status;
		assert_int_equal(waitpid(pid, &status, 0), pid);
		assert_true(WIFEXITED(status));
		assert_int_equal(WEXITSTATUS(status), 1);
	}
}

/* A call synack cannot serve fails with a Linux errno, never crashes. */
static void test_unserved_calls(void **state)
{
	(void)state;
	start(NULL);
	int pfd[2];
	assert_int_equal(ifc.pipe(ud, pfd), -1);
	assert_int_equal(errno, ENOSYS);
	assert_int_equal(ifc.splice(ud, 0, NULL, 1, NULL, 10, 0), -1);
	assert_int_equal(errno, ENOSYS);
	assert_int_equal(ifc.socket(ud, AF_INET6, SOCK_STREAM, 0), -1);
	assert_int_equal(errno, EAFNOSUPPORT);
	assert_int_equal(ifc.socket(ud, AF_INET, SOCK_DGRAM, 0), -1);
	assert_int_equal(errno, ESOCKTNOSUPPORT);
	int fd = ifc.socket(ud, AF_INET, SOCK_STREAM, 0), v = 0;
	assert_int_equal(ifc.ioctl(ud, fd, SIOCGIFFLAGS, &v), -1);
	assert_int_equal(errno, ENOTTY);
	assert_int_equal(ifc.read(ud, 9999, &v, 1), -1);
	assert_int_equal(errno, EBADF);
	assert_int_equal(ifc.fcntl(ud, fd, F_GETFL), O_RDWR);
	assert_int_equal(ifc.fcntl(ud, fd, F_SETFL, O_RDWR | O_NONBLOCK), 0);
	assert_int_equal(ifc.fcntl(ud, fd, F_GETFL), O_RDWR | O_NONBLOCK);
	assert_int_equal(ifc.close(ud, fd), 0);
	assert_int_equal(ifc.close(ud, fd), -1);
	assert_int_equal(errno, EBADF);
	stop();
}

/* sendmsg's gather list leaves as one segment; SIOCINQ counts; readv
 * scatters; epoll in edge-triggered mode reports only new data. */
static void test_msg_ioctl_epoll(void **state)
{
	(void)state;
	start("local_ip=" LOCAL);
	uint32_t isn;
	int fd = accepted(&isn);
	int one = 1;
	assert_int_equal(ifc.setsockopt(ud, fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)), 0);
	struct iovec v[4] = { { NULL, 0 }, { "0123456789", 10 }, { NULL, 0 }, { "abcde", 5 } };
	struct msghdr m = { .msg_iov = v, .msg_iovlen = 4 };
	assert_int_equal(ifc.sendmsg(ud, fd, &m, 0), 15);
	struct pkt p;
	take(&p);
	expect(&p, F_ACK | F_PSH, isn + 1, 1, 15);
	assert_memory_equal(tcp(&p) + 20, "0123456789abcde", 15);
	int ep = ifc.epoll_create(ud, 1);
	assert_true(ep >= 0);
	struct epoll_event ev = { .events = EPOLLIN | EPOLLOUT | EPOLLET, .data.fd = fd }, out[2];
	assert_int_equal(ifc.epoll_ctl(ud, ep, EPOLL_CTL_ADD, fd, &ev), 0);
	assert_int_equal(ifc.epoll_wait(ud, ep, out, 2, 0), 1);
	assert_int_equal(out[0].events, EPOLLOUT);
	assert_int_equal(ifc.epoll_wait(ud, ep, out, 2, 0), 0);
	inject(40000, 8080, F_ACK | F_PSH, 1, isn + 16, 257, NULL, 0, 30);
	take(&p);
	expect(&p, F_ACK, isn + 16, 31, 0);
	int inq = -1;
	assert_int_equal(ifc.ioctl(ud, fd, SIOCINQ, &inq), 0);
	assert_int_equal(inq, 30);
	assert_int_equal(ifc.epoll_wait(ud, ep, out, 2, 0), 1);
	assert_int_equal(out[0].events, EPOLLIN | EPOLLOUT);
	assert_int_equal(ifc.epoll_wait(ud, ep, out, 2, 0), 0);
	char a[4], b[40];
	struct iovec rv[2] = { { a, sizeof(a) }, { b, sizeof(b) } };
	assert_int_equal(ifc.readv(ud, fd, rv, 2), 30);
	assert_memory_equal(a, "abcd", 4);
	assert_memory_equal(b, "efgh", 4);
	assert_int_equal(ifc.epoll_wait(ud, ep, out, 2, 0), 0);
	struct pollfd pf = { .fd = fd, .events = POLLIN };
	long long t0 = now_us();
	assert_int_equal(ifc.poll(ud, &pf, 1, 50), 0); /* times out, in virtual time */
	assert_true(now_us() - t0 >= 50000);
	assert_int_equal(ifc.close(ud, ep), 0);
	assert_int_equal(ifc.close(ud, fd), 0);
	stop();
}

int main(void)
{
	signal(SIGPIPE, SIG_IGN); /* as packetdrill */
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_hook_set),
		cmocka_unit_test(test_passive_data_close),
		cmocka_unit_test(test_blocking_connect_remote_close),
		cmocka_unit_test(test_virtual_time_syn_retries),
		cmocka_unit_test(test_so_flags),
		cmocka_unit_test(test_so_flags_unknown_key),
		cmocka_unit_test(test_unserved_calls),
		cmocka_unit_test(test_msg_ioctl_epoll),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
