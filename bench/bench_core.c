/* bench_core: figures for two synack hosts in one process over a
 * zero-delay simulated link. Prints, does not judge:
 *   - bulk throughput (Gbit/s of payload, MSS 1460 on the wire, checksums
 *     computed and verified on every segment),
 *   - connections per second (connect, 1-byte request, 1-byte response,
 *     close; TIME_WAIT honoured: virtual time advances so the client's
 *     TIME_WAIT entries expire after 60 s as they should),
 *   - bytes per idle established connection and per TIME_WAIT entry.
 * Wall-clock time is read only here, to turn work into rates.
 *
 * usage: bench_core [bulk_MiB [connections [idle_connections]]] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <synack/sim.h>
#include <synack/synack.h>

#define C_ADDR SK_IP(10, 0, 0, 1)
#define S_ADDR SK_IP(10, 0, 0, 2)
#define PORT 80

struct mem {
	long long bytes;
};

static void *count_alloc(void *ctx, size_t n)
{
	((struct mem *)ctx)->bytes += (long long)n;
	return malloc(n);
}

static void count_free(void *ctx, void *p, size_t n)
{
	((struct mem *)ctx)->bytes -= (long long)n;
	free(p);
}

static double wall_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

struct pair {
	struct sk_sim *sim;
	struct sk_stack *c, *s;
	struct mem cmem, smem;
	int lfd;
};

static void pair_init(struct pair *p)
{
	memset(p, 0, sizeof(*p));
	p->sim = sk_sim_new(1);
	struct sk_config cfg;
	sk_config_default(&cfg);
	cfg.alloc = count_alloc;
	cfg.free = count_free;
	cfg.addr = C_ADDR;
	cfg.alloc_ctx = &p->cmem;
	sk_sim_add_host(p->sim, "client", &cfg);
	cfg.addr = S_ADDR;
	cfg.alloc_ctx = &p->smem;
	sk_sim_add_host(p->sim, "server", &cfg);
	p->c = sk_sim_stack(p->sim, 0);
	p->s = sk_sim_stack(p->sim, 1);
	p->lfd = sk_socket(p->s, AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(PORT) };
	sk_bind(p->s, p->lfd, (struct sockaddr *)&a, sizeof(a));
	sk_listen(p->s, p->lfd, 4096);
}

static void settle(struct pair *p) { sk_sim_run_until(p->sim, sk_sim_now(p->sim)); }

static int connect_one(struct pair *p, int *cfd, int *afd)
{
	*cfd = sk_socket(p->c, AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(PORT),
				 .sin_addr.s_addr = htonl(S_ADDR) };
	int rc = sk_connect(p->c, *cfd, (struct sockaddr *)&a, sizeof(a));
	if (rc != -EINPROGRESS) {
		fprintf(stderr, "connect: %s\n", strerror(-rc));
		return -1;
	}
	settle(p);
	*afd = sk_accept(p->s, p->lfd, NULL, NULL);
	return *afd >= 0 ? 0 : -1;
}

static void bench_bulk(long mib)
{
	struct pair p;
	pair_init(&p);
	int cfd, afd;
	if (connect_one(&p, &cfd, &afd) < 0)
		exit(1);
	static char buf[256 * 1024];
	memset(buf, 'x', sizeof(buf));
	long long total = (long long)mib << 20, sent = 0, rcvd = 0;
	double t0 = wall_s();
	while (rcvd < total) {
		while (sent < total) {
			long n = sk_send(p.c, cfd, buf, sizeof(buf), 0);
			if (n <= 0)
				break;
			sent += n;
		}
		settle(&p);
		long n;
		while ((n = sk_recv(p.s, afd, buf, sizeof(buf), 0)) > 0)
			rcvd += n;
		settle(&p);
		if (sk_sim_next_event(p.sim) != SK_NEVER && n == -EAGAIN && sent == rcvd)
			sk_sim_run_until(p.sim, sk_sim_next_event(p.sim));
	}
	double dt = wall_s() - t0;
	printf("bulk:        %lld MiB in %.3f s = %.2f Gbit/s payload (one core, MSS %d, checksums on)\n",
	       total >> 20, dt, (double)total * 8 / dt / 1e9, 1448);
	printf("             segments out: client %llu, server %llu; retransmitted %llu\n",
	       (unsigned long long)sk_counter(p.c, SK_MIB_OutSegs),
	       (unsigned long long)sk_counter(p.s, SK_MIB_OutSegs),
	       (unsigned long long)sk_counter(p.c, SK_MIB_RetransSegs));
	sk_sim_free(p.sim);
}

static void bench_cps(long n)
{
	struct pair p;
	pair_init(&p);
	double t0 = wall_s();
	char b;
	for (long i = 0; i < n; i++) {
		int cfd, afd;
		if (connect_one(&p, &cfd, &afd) < 0) {
			fprintf(stderr, "connection %ld failed\n", i);
			exit(1);
		}
		sk_send(p.c, cfd, "q", 1, 0);
		settle(&p);
		sk_recv(p.s, afd, &b, 1, 0);
		sk_send(p.s, afd, "r", 1, 0);
		settle(&p);
		sk_recv(p.c, cfd, &b, 1, 0);
		sk_close(p.c, cfd);
		settle(&p);
		sk_close(p.s, afd);
		/* 5 ms of virtual time per connection: 60 s of TIME_WAIT then
		 * holds at most 12,000 client ports, within the 14,116 even
		 * ports that connect() tries first (RFC 6056 as Linux does it),
		 * so connects neither run out nor scan the whole range. */
		sk_sim_run_for(p.sim, 5 * SK_NS_PER_MS);
	}
	double dt = wall_s() - t0;
	printf("connections: %ld in %.3f s = %.0f per second (TIME_WAIT 60 s honoured; %llu TIME_WAIT ended)\n",
	       n, dt, (double)n / dt, (unsigned long long)sk_counter(p.c, SK_MIB_TW));
	sk_sim_free(p.sim);
}

static void bench_idle(long n)
{
	struct pair p;
	pair_init(&p);
	settle(&p);
	long long c0 = p.cmem.bytes, s0 = p.smem.bytes;
	int *cfds = malloc(sizeof(int) * (size_t)n), *afds = malloc(sizeof(int) * (size_t)n);
	for (long i = 0; i < n; i++)
		if (connect_one(&p, &cfds[i], &afds[i]) < 0)
			exit(1);
	sk_sim_run_for(p.sim, SK_NS_PER_S); /* delayed ACKs done: truly idle */
	printf("idle:        %ld established connections: client %.0f B each, server %.0f B each "
	       "(tables and descriptors included)\n",
	       n, (double)(p.cmem.bytes - c0) / (double)n, (double)(p.smem.bytes - s0) / (double)n);
	/* the server closes first, as an HTTP/1.0 server does: the TIME_WAIT
	 * records are on the server, all on one port */
	for (long i = 0; i < n; i++)
		sk_close(p.s, afds[i]);
	settle(&p);
	for (long i = 0; i < n; i++)
		sk_close(p.c, cfds[i]);
	sk_sim_run_for(p.sim, SK_NS_PER_S);
	printf("time-wait:   %ld TIME_WAIT entries on the server: %.0f B each (record %zu B, plus its "
	       "slot in the connection table)\n",
	       n, (double)(p.smem.bytes - s0) / (double)n, (size_t)64);
	free(cfds);
	free(afds);
	sk_sim_free(p.sim);
}

/* Per-segment cost with `n` connections open: one 1-byte request and
 * 1-byte response on a random open connection per round, so lookups and
 * timers see the whole table. Listens on n / 10000 + 1 ports so the
 * client's ephemeral ports suffice. */
static void bench_scale(long n, long rounds)
{
	struct pair p;
	pair_init(&p);
	int nports = (int)(n / 10000) + 1; /* under 14,116 even ports each */
	for (int i = 1; i < nports; i++) {
		int fd = sk_socket(p.s, AF_INET, SOCK_STREAM, 0);
		struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)(PORT + i)) };
		sk_bind(p.s, fd, (struct sockaddr *)&a, sizeof(a));
		sk_listen(p.s, fd, 4096);
	}
	int *cfds = malloc(sizeof(int) * (size_t)n), *afds = malloc(sizeof(int) * (size_t)n);
	for (long i = 0; i < n; i++) {
		cfds[i] = sk_socket(p.c, AF_INET, SOCK_STREAM, 0);
		int port_i = (int)(i % nports);
		struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)(PORT + port_i)),
					 .sin_addr.s_addr = htonl(S_ADDR) };
		sk_connect(p.c, cfds[i], (struct sockaddr *)&a, sizeof(a));
		settle(&p);
		afds[i] = sk_accept(p.s, p.lfd + port_i, NULL, NULL);
		if (afds[i] < 0) {
			fprintf(stderr, "scale: connection %ld failed\n", i);
			exit(1);
		}
	}
	sk_sim_run_for(p.sim, SK_NS_PER_S);
	double ns[2];
	for (int hot = 0; hot < 2; hot++) {
		uint64_t x = 88172645463325252ull;
		char b;
		double t0 = wall_s();
		for (long r = 0; r < rounds; r++) {
			x ^= x << 13, x ^= x >> 7, x ^= x << 17;
			long i = hot ? 0 : (long)(x % (uint64_t)n);
			sk_send(p.c, cfds[i], "q", 1, 0);
			settle(&p);
			sk_recv(p.s, afds[i], &b, 1, 0);
			sk_send(p.s, afds[i], "r", 1, 0);
			settle(&p);
			sk_recv(p.c, cfds[i], &b, 1, 0);
		}
		ns[hot] = (wall_s() - t0) / (double)rounds * 1e9;
	}
	printf("scale:       %8ld open connections: %5.0f ns per request/response round "
	       "(4 segments) on a random connection, %5.0f ns on one hot connection\n",
	       n, ns[0], ns[1]);
	free(cfds);
	free(afds);
	sk_sim_free(p.sim);
}

int main(int argc, char **argv)
{
	long mib = argc > 1 ? atol(argv[1]) : 1024;
	long conns = argc > 2 ? atol(argv[2]) : 200000;
	long idle = argc > 3 ? atol(argv[3]) : 20000;
	long scale_max = argc > 4 ? atol(argv[4]) : 100000;
	bench_bulk(mib);
	bench_cps(conns);
	bench_idle(idle);
	for (long n = 1000; n <= scale_max; n *= 10)
		bench_scale(n, 200000);
	return 0;
}
