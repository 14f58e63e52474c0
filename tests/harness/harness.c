#include "harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void *count_alloc(void *ctx, size_t size)
{
	struct h_mem *m = ctx;
	void *p = malloc(size);
	if (p) {
		m->bytes += (long long)size;
		m->blocks++;
	}
	return p;
}

static void count_free(void *ctx, void *p, size_t size)
{
	struct h_mem *m = ctx;
	m->bytes -= (long long)size;
	m->blocks--;
	free(p);
}

static void parse_pkt(struct h_pkt *p)
{
	p->is_tcp = 0;
	if (ip4_parse(p->raw, p->len, &p->ip) != WIRE_OK || p->ip.proto != IP_PROTO_TCP)
		return;
	if (tcp_parse(p->raw + p->ip.hdr_len, p->ip.total_len - p->ip.hdr_len, p->ip.src,
		      p->ip.dst, &p->tcp) == WIRE_OK)
		p->is_tcp = 1;
}

static void tap(void *ctx, uint64_t now_ns, int from, int to, enum sk_sim_what what,
		const uint8_t *pkt, size_t len)
{
	struct h *h = ctx;
	if (what == SK_SIM_LOST)
		h->lost++;
	if (what != SK_SIM_SENT || h->no_capture)
		return;
	if (h->npkts == h->cap_pkts) {
		h->cap_pkts = h->cap_pkts ? h->cap_pkts * 2 : 1024;
		h->pkts = realloc(h->pkts, (size_t)h->cap_pkts * sizeof(*h->pkts));
		assert_non_null(h->pkts);
	}
	struct h_pkt *p = &h->pkts[h->npkts++];
	p->t_ns = now_ns;
	p->from = from;
	p->to = to;
	p->len = len < sizeof(p->raw) ? len : sizeof(p->raw);
	memcpy(p->raw, pkt, p->len);
	parse_pkt(p);
}

static void observe(void *ctx, uint64_t now_ns, int host, const struct sk_event *ev)
{
	struct h *h = ctx;
	if (h->nevents < H_MAX_EVENTS)
		h->events[h->nevents++] = (struct h_event){ now_ns, host, *ev };
}

struct h *h_new(void)
{
	struct h *h = calloc(1, sizeof(*h));
	assert_non_null(h);
	h->sim = sk_sim_new(42);
	assert_non_null(h->sim);
	sk_sim_set_tap(h->sim, tap, h);
	sk_sim_set_observer(h->sim, observe, h);
	return h;
}

int h_host(struct h *h, const char *name, uint32_t addr, const char *const *knobs)
{
	assert_true(h->nhosts < H_MAX_HOSTS);
	struct sk_config cfg;
	sk_config_default(&cfg);
	cfg.addr = addr;
	cfg.alloc = count_alloc;
	cfg.free = count_free;
	cfg.alloc_ctx = &h->mem[h->nhosts];
	for (int i = 0; knobs && knobs[i]; i++) {
		char buf[128];
		snprintf(buf, sizeof(buf), "%s", knobs[i]);
		char *eq = strchr(buf, '=');
		assert_non_null(eq);
		*eq = 0;
		assert_int_equal(sk_knob_set(&cfg.knobs, buf, eq + 1), 0);
	}
	int n = sk_sim_add_host(h->sim, name, &cfg);
	assert_int_equal(n, h->nhosts);
	h->nhosts++;
	return n;
}

int h_raw(struct h *h, const char *name, uint32_t addr)
{
	assert_true(h->nhosts < H_MAX_HOSTS);
	int n = sk_sim_add_raw(h->sim, name, addr);
	assert_int_equal(n, h->nhosts);
	h->nhosts++;
	return n;
}

struct sk_stack *h_st(struct h *h, int host)
{
	struct sk_stack *st = sk_sim_stack(h->sim, host);
	assert_non_null(st);
	return st;
}

void h_free(struct h *h)
{
	sk_sim_free(h->sim);
	for (int i = 0; i < h->nhosts; i++) {
		/* every allocation a host made has been given back */
		assert_int_equal(h->mem[i].bytes, 0);
		assert_int_equal(h->mem[i].blocks, 0);
	}
	free(h->pkts);
	free(h);
}

void h_run_until(struct h *h, uint64_t t_ns) { sk_sim_run_until(h->sim, t_ns); }
void h_run_for(struct h *h, uint64_t d_ns) { sk_sim_run_for(h->sim, d_ns); }

int h_pending(const struct h *h) { return h->npkts - h->next_pkt; }

const struct h_pkt *h_next(struct h *h)
{
	if (h->next_pkt >= h->npkts)
		fail_msg("expected another packet at t=%llu ns, none was sent",
			 (unsigned long long)sk_sim_now(h->sim));
	return &h->pkts[h->next_pkt++];
}

void h_no_more(struct h *h)
{
	if (h->next_pkt < h->npkts) {
		const struct h_pkt *p = &h->pkts[h->next_pkt];
		fail_msg("unexpected packet at %llu ns from host %d: [%s] seq %u ack %u len %u",
			 (unsigned long long)p->t_ns, p->from, h_flags(p->tcp.flags), p->tcp.seq,
			 p->tcp.ack, p->tcp.data_len);
	}
}

const char *h_flags(uint8_t f)
{
	/* tcpdump's order: F S R P U E W, then '.' for ACK */
	static char buf[16];
	char *p = buf;
	if (f & TCP_FIN) *p++ = 'F';
	if (f & TCP_SYN) *p++ = 'S';
	if (f & TCP_RST) *p++ = 'R';
	if (f & TCP_PSH) *p++ = 'P';
	if (f & TCP_URG) *p++ = 'U';
	if (f & TCP_ECE) *p++ = 'E';
	if (f & TCP_CWR) *p++ = 'W';
	if (f & TCP_ACK) *p++ = '.';
	*p = 0;
	return buf;
}

void h_expect(const struct h_pkt *p, uint64_t t_ns, int from, const char *flags, uint32_t seq,
	      uint32_t ack, uint32_t len)
{
	assert_true(p->is_tcp);
	if (p->t_ns != t_ns || p->from != from || strcmp(h_flags(p->tcp.flags), flags) != 0 ||
	    p->tcp.seq != seq || ((p->tcp.flags & TCP_ACK) && p->tcp.ack != ack) ||
	    p->tcp.data_len != len)
		fail_msg("packet mismatch:\n  got  t=%llu from=%d [%s] seq %u ack %u len %u\n"
			 "  want t=%llu from=%d [%s] seq %u ack %u len %u",
			 (unsigned long long)p->t_ns, p->from, h_flags(p->tcp.flags), p->tcp.seq,
			 p->tcp.ack, p->tcp.data_len, (unsigned long long)t_ns, from, flags, seq, ack,
			 len);
}

struct sockaddr_in h_sin(uint32_t addr, uint16_t port)
{
	struct sockaddr_in a;
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_port = htons(port);
	a.sin_addr.s_addr = htonl(addr);
	return a;
}

void h_pair_open(struct h_pair *p, uint64_t delay_ns, uint16_t port, const char *const *cknobs,
		 const char *const *sknobs)
{
	struct h *h = p->h = h_new();
	p->c = h_host(h, "client", SK_IP(10, 0, 0, 1), cknobs);
	p->s = h_host(h, "server", SK_IP(10, 0, 0, 2), sknobs);
	struct sk_path path = { .delay_ns = delay_ns };
	assert_int_equal(sk_sim_set_link(h->sim, p->c, p->s, &path), 0);
	int lfd = h_listen(h, p->s, port, 16);
	p->cfd = h_connect(h, p->c, SK_IP(10, 0, 0, 2), port);
	h_run_until(h, 3 * delay_ns);
	const struct h_pkt *syn = h_next(h);
	h_expect(syn, 0, p->c, "S", syn->tcp.seq, 0, 0);
	const struct h_pkt *synack = h_next(h);
	h_expect(synack, delay_ns, p->s, "S.", synack->tcp.seq, syn->tcp.seq + 1, 0);
	p->c0 = syn->tcp.seq + 1;
	p->s0 = synack->tcp.seq + 1;
	h_expect(h_next(h), 2 * delay_ns, p->c, ".", p->c0, p->s0, 0);
	h_no_more(h);
	p->afd = sk_accept(h_st(h, p->s), lfd, NULL, NULL);
	assert_true(p->afd >= 0);
	assert_int_equal(sk_close(h_st(h, p->s), lfd), 0);
	struct sockaddr_in a;
	socklen_t alen = sizeof(a);
	assert_int_equal(sk_getsockname(h_st(h, p->c), p->cfd, (struct sockaddr *)&a, &alen), 0);
	p->cport = ntohs(a.sin_port);
	assert_int_equal(h_state(h, p->c, p->cfd), SK_TCP_ESTABLISHED);
	assert_int_equal(h_state(h, p->s, p->afd), SK_TCP_ESTABLISHED);
}

static void collect(void *ctx, const struct sk_sockinfo *i)
{
	struct h_listing *l = ctx;
	assert_true(l->n < 64);
	l->e[l->n++] = *i;
}

void h_list(struct h *h, int host, struct h_listing *l)
{
	l->n = 0;
	sk_foreach_socket(h_st(h, host), collect, l);
}

int h_count_state(const struct h_listing *l, int state)
{
	int k = 0;
	for (int i = 0; i < l->n; i++)
		k += l->e[i].state == state;
	return k;
}

int h_listen(struct h *h, int host, uint16_t port, int backlog)
{
	struct sk_stack *st = h_st(h, host);
	int fd = sk_socket(st, AF_INET, SOCK_STREAM, 0);
	assert_true(fd >= 0);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port) };
	assert_int_equal(sk_bind(st, fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(sk_listen(st, fd, backlog), 0);
	return fd;
}

int h_connect(struct h *h, int host, uint32_t addr, uint16_t port)
{
	struct sk_stack *st = h_st(h, host);
	int fd = sk_socket(st, AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	assert_true(fd >= 0);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port),
				 .sin_addr.s_addr = htonl(addr) };
	assert_int_equal(sk_connect(st, fd, (struct sockaddr *)&a, sizeof(a)), -EINPROGRESS);
	return fd;
}

int h_state(struct h *h, int host, int fd)
{
	struct tcp_info ti;
	socklen_t len = sizeof(ti);
	assert_int_equal(sk_getsockopt(h_st(h, host), fd, IPPROTO_TCP, TCP_INFO, &ti, &len), 0);
	return ti.tcpi_state;
}

static void count_cb(void *ctx, const struct sk_sockinfo *info)
{
	(void)info;
	(*(int *)ctx)++;
}

int h_nsockets(struct h *h, int host)
{
	int n = 0;
	sk_foreach_socket(h_st(h, host), count_cb, &n);
	return n;
}

int h_logged_state(const struct h *h, int host, uint16_t lport, uint16_t rport)
{
	int state = SK_TCP_CLOSE;
	for (int i = 0; i < h->nevents; i++) {
		const struct h_event *e = &h->events[i];
		if (e->host == host && e->ev.kind == SK_EV_STATE && e->ev.lport == lport &&
		    e->ev.rport == rport)
			state = e->ev.new_state;
	}
	return state;
}

/* The first logged change old -> new of that connection, or NULL. */
static const struct h_event *find_transition(const struct h *h, int host, uint16_t lport,
					     uint16_t rport, int old_state, int new_state)
{
	for (int i = 0; i < h->nevents; i++) {
		const struct h_event *e = &h->events[i];
		if (e->host == host && e->ev.kind == SK_EV_STATE && e->ev.lport == lport &&
		    e->ev.rport == rport && e->ev.old_state == old_state && e->ev.new_state == new_state)
			return e;
	}
	return NULL;
}

int h_saw_transition(const struct h *h, int host, uint16_t lport, uint16_t rport, int old_state,
		     int new_state)
{
	return find_transition(h, host, lport, rport, old_state, new_state) != NULL;
}

uint64_t h_when(const struct h *h, int host, uint16_t lport, uint16_t rport, int old_state,
		int new_state)
{
	const struct h_event *e = find_transition(h, host, lport, rport, old_state, new_state);
	if (!e)
		fail_msg("host %d port %u-%u never went %s -> %s", host, lport, rport,
			 sk_state_name(old_state), sk_state_name(new_state));
	return e ? e->t_ns : 0;
}

void h_send(struct h *h, int from, const struct h_seg *s)
{
	uint8_t buf[2048];
	struct tcp_seg seg = { .sport = s->sport, .dport = s->dport, .seq = s->seq, .ack = s->ack,
			       .flags = s->flags, .wnd = s->wnd, .opts = s->opts };
	size_t hl = tcp_emit(buf + IP4_HDR_LEN, &seg);
	assert_true(hl + s->len + IP4_HDR_LEN <= sizeof(buf));
	if (s->len)
		memcpy(buf + IP4_HDR_LEN + hl, s->data, s->len);
	tcp_csum_set(buf + IP4_HDR_LEN, hl + s->len, s->src, s->dst);
	struct ip4_hdr ip = { .ttl = 64, .proto = IP_PROTO_TCP, .frag = IP4_DF, .src = s->src,
			      .dst = s->dst };
	ip4_emit(buf, &ip, hl + s->len);
	assert_int_equal(sk_sim_send(h->sim, from, buf, IP4_HDR_LEN + hl + s->len), 0);
}

void h_take(struct h *h, int host, struct h_pkt *p)
{
	memset(p, 0, sizeof(*p));
	p->len = sk_sim_take(h->sim, host, p->raw, sizeof(p->raw), &p->t_ns);
	if (!p->len)
		fail_msg("raw host %d expected a packet, none arrived", host);
	p->to = host;
	parse_pkt(p);
}

int h_has(struct h *h, int host) { return sk_sim_pending(h->sim, host) > 0; }
