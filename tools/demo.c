/* `synack demo`: a client and a server in the simulator exchanging data
 * and closing, printed step by step on one timeline: packets as tcpdump
 * prints them, state changes, and every application call with its
 * result. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <synack/sim.h>
#include <synack/synack.h>
#include <synack/tcpdump.h>

#include "commands.h"

#define C_ADDR SK_IP(10, 0, 0, 1)
#define S_ADDR SK_IP(10, 0, 0, 2)

struct demo {
	struct sk_sim *sim;
	struct sk_tcpdump *td;
	struct sk_stack *c, *s;
};

static void tap(void *ctx, uint64_t now_ns, int from, int to, enum sk_sim_what what,
		const uint8_t *pkt, size_t len)
{
	struct demo *d = ctx;
	(void)to;
	if (what != SK_SIM_SENT)
		return;
	char line[512];
	sk_tcpdump_line(d->td, line, sizeof(line), now_ns, pkt, len);
	printf("%-7s %s\n", sk_sim_name(d->sim, from), line);
}

static void observe(void *ctx, uint64_t now_ns, int host, const struct sk_event *ev)
{
	struct demo *d = ctx;
	if (ev->kind != SK_EV_STATE)
		return;
	printf("%-7s %llu.%06llu state %s -> %s (port %u)\n", sk_sim_name(d->sim, host),
	       (unsigned long long)(now_ns / SK_NS_PER_S),
	       (unsigned long long)(now_ns % SK_NS_PER_S / 1000), sk_state_name(ev->old_state),
	       sk_state_name(ev->new_state), ev->lport);
}

static void say(struct demo *d, const char *host, const char *call, long rc)
{
	uint64_t t = sk_sim_now(d->sim);
	printf("%-7s %llu.%06llu app %s = ", host, (unsigned long long)(t / SK_NS_PER_S),
	       (unsigned long long)(t % SK_NS_PER_S / 1000), call);
	if (rc < 0)
		printf("-1 %s\n", strerror((int)-rc));
	else
		printf("%ld\n", rc);
}

static void demo_run(struct demo *d)
{
	char buf[256];
	int lfd = sk_socket(d->s, AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(80) };
	say(d, "server", "bind(0.0.0.0:80)", sk_bind(d->s, lfd, (struct sockaddr *)&a, sizeof(a)));
	say(d, "server", "listen(backlog 128)", sk_listen(d->s, lfd, 128));
	int cfd = sk_socket(d->c, AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	a.sin_addr.s_addr = htonl(S_ADDR);
	say(d, "client", "connect(10.0.0.2:80)", sk_connect(d->c, cfd, (struct sockaddr *)&a, sizeof(a)));
	sk_sim_run_for(d->sim, 30 * SK_NS_PER_MS);
	int afd = sk_accept(d->s, lfd, NULL, NULL);
	say(d, "server", "accept()", afd);
	const char *req = "GET / HTTP/1.0\r\n\r\n";
	say(d, "client", "send(request)", sk_send(d->c, cfd, req, strlen(req), 0));
	sk_sim_run_for(d->sim, 15 * SK_NS_PER_MS);
	say(d, "server", "recv()", sk_recv(d->s, afd, buf, sizeof(buf), 0));
	const char *resp = "HTTP/1.0 200 OK\r\nContent-Length: 5\r\n\r\nhello";
	say(d, "server", "send(response)", sk_send(d->s, afd, resp, strlen(resp), 0));
	say(d, "server", "close()", sk_close(d->s, afd));
	sk_sim_run_for(d->sim, 15 * SK_NS_PER_MS);
	say(d, "client", "recv()", sk_recv(d->c, cfd, buf, sizeof(buf), 0));
	say(d, "client", "recv()", sk_recv(d->c, cfd, buf, sizeof(buf), 0));
	say(d, "client", "close()", sk_close(d->c, cfd));
	sk_sim_run_for(d->sim, 61 * SK_NS_PER_S);
	say(d, "server", "close(listener)", sk_close(d->s, lfd));
}

int cmd_demo(int argc, char **argv)
{
	(void)argv;
	if (argc != 1) {
		fprintf(stderr, "synack demo: takes no arguments\n");
		return 2;
	}
	struct demo d = { 0 };
	d.sim = sk_sim_new(1);
	d.td = sk_tcpdump_new();
	if (!d.sim || !d.td) {
		fprintf(stderr, "synack: out of memory\n");
		return 1;
	}
	struct sk_config cfg;
	sk_config_default(&cfg);
	cfg.addr = C_ADDR;
	int c = sk_sim_add_host(d.sim, "client", &cfg);
	cfg.addr = S_ADDR;
	int s = sk_sim_add_host(d.sim, "server", &cfg);
	struct sk_path path = { .delay_ns = 10 * SK_NS_PER_MS };
	sk_sim_set_link(d.sim, c, s, &path);
	d.c = sk_sim_stack(d.sim, c);
	d.s = sk_sim_stack(d.sim, s);
	sk_sim_set_tap(d.sim, tap, &d);
	sk_sim_set_observer(d.sim, observe, &d);
	printf("A client (10.0.0.1) fetches a page from a server (10.0.0.2) over a 10 ms link.\n"
	       "Packets are printed as `tcpdump -nn -tt` prints them; times are virtual seconds.\n\n");
	demo_run(&d);
	printf("\nclient counters: ActiveOpens %llu, OutSegs %llu, TW %llu\n",
	       (unsigned long long)sk_counter(d.c, SK_MIB_ActiveOpens),
	       (unsigned long long)sk_counter(d.c, SK_MIB_OutSegs),
	       (unsigned long long)sk_counter(d.c, SK_MIB_TW));
	printf("server counters: PassiveOpens %llu, OutSegs %llu\n",
	       (unsigned long long)sk_counter(d.s, SK_MIB_PassiveOpens),
	       (unsigned long long)sk_counter(d.s, SK_MIB_OutSegs));
	sk_tcpdump_free(d.td);
	sk_sim_free(d.sim);
	return 0;
}

