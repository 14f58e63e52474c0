/* The network and fault lines: link, path, drop, partition, heal, crash,
 * reboot, kill, flood, inject, ss. With `at TIME` they happen then;
 * link, path and drop also stand alone as set-up. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "lab_parse.h"

static int unreach_arg(struct p *p, struct sk_path *pa)
{
	static const struct { const char *name; int code; } codes[] = {
		{ "net", 0 }, { "host", 1 }, { "proto", 2 }, { "port", 3 }, { "frag", 4 }, { "admin", 13 },
	};
	long code = -1;
	for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++)
		if (lp_accept_word(p, codes[i].name))
			code = codes[i].code;
	if (code < 0 && lp_long_arg(p, "an ICMP code (net, host, proto, port, frag, admin or 0-15)",
				    0, 15, &code))
		return -1;
	const char *a = NULL;
	if (lp_need_word(p, "via"))
		return -1;
	if (!(a = lp_word(p)) || lp_addr_of(p, a, &pa->router_addr) || !pa->router_addr) {
		if (a)
			p->i--;
		return lp_expected(p, "the router's address after 'via' (like 10.0.0.254)");
	}
	pa->unreach_code_plus1 = (int)code + 1;
	return 0;
}

/* "10Mbit", "512kbit", "1Gbit", "9600bit" */
static int bandwidth_arg(struct p *p, uint64_t *bps)
{
	static const struct { const char *u; uint64_t mul; } units[] = {
		{ "bit", 1 }, { "kbit", 1000 }, { "Mbit", 1000000 }, { "Gbit", 1000000000 },
	};
	const char *w = lp_word(p);
	char *end;
	double v = w ? strtod(w, &end) : 0;
	for (size_t i = 0; w && v > 0 && i < sizeof(units) / sizeof(units[0]); i++)
		if (!strcmp(end, units[i].u)) {
			*bps = (uint64_t)(v * (double)units[i].mul);
			if (*bps)
				return 0;
		}
	if (w)
		p->i--;
	return lp_expected(p, "a bandwidth (9600bit, 512kbit, 10Mbit, 1Gbit)");
}

static int pathopt_one(struct p *p, struct lab_pathopt *o, const char *w)
{
	struct sk_path *pa = &o->p;
	long mtu;
	static const struct { const char *name; unsigned bit; } bits[] = {
		{ "delay", PO_DELAY }, { "jitter", PO_JITTER }, { "loss", PO_LOSS }, { "dup", PO_DUP },
		{ "reorder", PO_REORDER }, { "corrupt", PO_CORRUPT }, { "bandwidth", PO_BW },
		{ "mtu", PO_MTU }, { "down", PO_DOWN }, { "up", PO_DOWN }, { "unreachable", PO_UNREACH },
	};
	for (size_t i = 0; i < sizeof(bits) / sizeof(bits[0]); i++)
		if (!strcmp(w, bits[i].name))
			o->set |= bits[i].bit;
	if (!strcmp(w, "delay"))
		return lp_time_arg(p, &pa->delay_ns);
	if (!strcmp(w, "jitter"))
		return lp_time_arg(p, &pa->jitter_ns);
	if (!strcmp(w, "loss"))
		return lp_prob_arg(p, &pa->loss);
	if (!strcmp(w, "dup"))
		return lp_prob_arg(p, &pa->dup);
	if (!strcmp(w, "reorder"))
		return lp_prob_arg(p, &pa->reorder) || lp_time_arg(p, &pa->reorder_ns) ? -1 : 0;
	if (!strcmp(w, "corrupt"))
		return lp_prob_arg(p, &pa->corrupt);
	if (!strcmp(w, "bandwidth"))
		return bandwidth_arg(p, &pa->bandwidth_bps);
	if (!strcmp(w, "mtu")) {
		if (lp_long_arg(p, "an MTU", 20, 65535, &mtu))
			return -1;
		pa->mtu = (uint16_t)mtu;
		return 0;
	}
	if (!strcmp(w, "down") || !strcmp(w, "up")) {
		pa->down = w[0] == 'd';
		return 0;
	}
	if (!strcmp(w, "unreachable"))
		return unreach_arg(p, pa);
	p->i--;
	return lp_expected(p, "a path option (delay, jitter, loss, dup, reorder, corrupt, bandwidth, "
			      "mtu, down, up, unreachable)");
}

/* `link A B OPTIONS` (both directions) or `path A > B OPTIONS`. */
static int link_stmt(struct p *p, struct lab_item *it, int one_way)
{
	if (lp_host_arg(p, 0, &it->host) || (one_way && lp_need_word(p, ">")) ||
	    lp_host_arg(p, 0, &it->host2))
		return -1;
	if (it->host == it->host2 && !one_way)
		return lp_fail(p, "a link joins two different hosts (use 'path A > A' for a host's path to itself)");
	while (!lp_at_end(p)) {
		const char *w = lp_word(p);
		if (!w)
			return lp_expected(p, "a path option");
		if (pathopt_one(p, &it->po, w))
			return -1;
	}
	if (!it->setup && !it->po.set)
		return lp_expected(p, "a path option to change (delay, loss, down, ...)");
	return 0;
}

/* `drop A > B "TEXT" [N]`: lose the next N packets from A to B whose
 * tcpdump line contains TEXT. */
static int drop_stmt(struct p *p, struct lab_item *it)
{
	if (lp_host_arg(p, 0, &it->host) || lp_need_word(p, ">") || lp_host_arg(p, 0, &it->host2) ||
	    lp_quoted(p, "the text a packet's tcpdump line contains, in quotes (like \"Flags [S.]\")",
		      &it->text))
		return -1;
	it->count = 1;
	if (!lp_at_end(p) && lp_long_arg(p, "how many packets to drop", 1, 1000000, &it->count))
		return -1;
	return 0;
}

/* `flood RAW HOST:PORT count N rate N/s [from ADDR]` */
static int flood_stmt(struct p *p, struct lab_item *it)
{
	if (lp_raw_host_arg(p, &it->host) || lp_endpoint_arg(p, &it->dst_addr, &it->dst_port) ||
	    lp_need_word(p, "count") || lp_long_arg(p, "a SYN count", 1, 1000000, &it->count) ||
	    lp_need_word(p, "rate"))
		return -1;
	const char *w = lp_word(p);
	char *end;
	long r = w ? strtol(w, &end, 10) : 0;
	if (!w || r < 1 || r > 1000000000L || strcmp(end, "/s")) {
		if (w)
			p->i--;
		return lp_expected(p, "a rate such as 1000/s");
	}
	it->rate = (uint64_t)r;
	it->src_addr = SK_IP(198, 51, 100, 1); /* TEST-NET-2: nobody answers there */
	if (lp_accept_word(p, "from")) {
		const char *a = lp_word(p);
		if (!a || lp_ip_parse(a, &it->src_addr)) {
			if (a)
				p->i--;
			return lp_expected(p, "the first spoofed source address (like 198.51.100.1)");
		}
	}
	if (!it->dst_addr)
		return lp_fail(p, "a flood needs a target address, not *");
	return 0;
}

/* rcv.nxt+N, snd.nxt-N, or a number */
static int seq_arg(struct p *p, struct lab_seq *s)
{
	const char *w = lp_word(p);
	char *end;
	s->given = 1;
	s->base = SEQ_ABS;
	if (w && !strncmp(w, "rcv.nxt", 7))
		s->base = SEQ_RCV_NXT;
	else if (w && !strncmp(w, "snd.nxt", 7))
		s->base = SEQ_SND_NXT;
	const char *num = s->base == SEQ_ABS ? w : w + 7;
	long long v = num && *num ? strtoll(num, &end, 10) : 0;
	int ok = w && (!*num ? s->base != SEQ_ABS : !*end) &&
		 (s->base != SEQ_ABS ? !*num || *num == '+' || *num == '-' : v >= 0 && v <= 0xffffffffLL);
	if (!ok) {
		if (w)
			p->i--;
		return lp_expected(p, "a sequence number, rcv.nxt[+N|-N] or snd.nxt[+N|-N]");
	}
	s->off = v;
	return 0;
}

/* `inject RAW SRC:PORT > DST:PORT FLAGS [seq X] [ack X] [win N] [data "TEXT"]` */
static int inject_stmt(struct p *p, struct lab_item *it)
{
	if (lp_raw_host_arg(p, &it->host) || lp_endpoint_arg(p, &it->src_addr, &it->src_port) ||
	    lp_need_word(p, ">") || lp_endpoint_arg(p, &it->dst_addr, &it->dst_port))
		return -1;
	const char *f = lp_word(p);
	int flags = f ? lab_flags_parse(f) : -1;
	if (flags < 0) {
		if (f)
			p->i--;
		return lp_expected(p, "TCP flags as tcpdump shows them (S, S., ., P., F., R, R.)");
	}
	it->tcp_flags = (uint8_t)flags;
	it->win = 64240;
	p->sc->uses_inject = 1;
	while (!lp_at_end(p)) {
		long win;
		if (lp_accept_word(p, "seq")) {
			if (seq_arg(p, &it->seq))
				return -1;
		} else if (lp_accept_word(p, "ack")) {
			if (seq_arg(p, &it->ack))
				return -1;
		} else if (lp_accept_word(p, "win")) {
			if (lp_long_arg(p, "a window", 0, 65535, &win))
				return -1;
			it->win = (uint16_t)win;
		} else if (lp_accept_word(p, "data")) {
			if (lp_quoted(p, "the payload in quotes", &it->data))
				return -1;
		} else {
			return lp_expected(p, "seq, ack, win, data or the end of the line");
		}
	}
	return 0;
}

static int fault_stmt(struct p *p, struct lab_item *it, const char *w)
{
	if (!strcmp(w, "partition") || !strcmp(w, "heal")) {
		it->kind = w[0] == 'p' ? IT_PARTITION : IT_HEAL;
		if (lp_host_arg(p, 0, &it->host) || lp_host_arg(p, 0, &it->host2))
			return -1;
		return it->host == it->host2 ? lp_fail(p, "a partition is between two different hosts") : 0;
	}
	it->kind = !strcmp(w, "crash") ? IT_CRASH : !strcmp(w, "reboot") ? IT_REBOOT : IT_KILL;
	return it->kind == IT_KILL ? lp_stack_host_arg(p, &it->host) : lp_host_arg(p, 0, &it->host);
}

int lp_timed_stmt(struct p *p, uint64_t at_ns)
{
	int setup = at_ns == UINT64_MAX;
	const char *w = lp_word(p);
	static const char *const timed_only[] = { "crash", "reboot", "kill", "partition", "heal",
						  "flood", "inject", "ss", NULL };
	if (!w)
		return lp_expected(p, "HOST:, crash, reboot, kill, partition, heal, link, path, set, "
				      "drop, flood, inject, ss or expect");
	if (!strcmp(w, "expect"))
		return lp_expect_stmt(p, at_ns);
	for (int i = 0; setup && timed_only[i]; i++)
		if (!strcmp(w, timed_only[i]))
			return lp_fail(p, "'%s' happens at a time: write 'at TIME %s ...'", w, w);
	int idx = p->sc->nitems;
	if (!lp_item_new(p, IT_SS, setup ? 0 : at_ns))
		return -1;
	struct lab_item *it = &p->sc->items[idx];
	it->setup = setup;
	int rc;
	if (!strcmp(w, "link") || !strcmp(w, "path")) {
		it->kind = w[0] == 'l' ? IT_LINK : IT_PATH;
		rc = link_stmt(p, it, w[0] == 'p');
	} else if (!strcmp(w, "drop")) {
		it->kind = IT_DROP;
		rc = drop_stmt(p, it);
	} else if (!strcmp(w, "flood")) {
		it->kind = IT_FLOOD;
		rc = flood_stmt(p, it);
	} else if (!strcmp(w, "inject")) {
		it->kind = IT_INJECT;
		rc = inject_stmt(p, it);
	} else if (!strcmp(w, "ss")) {
		rc = lp_at_end(p) ? 0 : lp_stack_host_arg(p, &it->host);
	} else if (!strcmp(w, "crash") || !strcmp(w, "reboot") || !strcmp(w, "kill") ||
		   !strcmp(w, "partition") || !strcmp(w, "heal")) {
		rc = fault_stmt(p, it, w);
	} else {
		p->i--;
		return lp_expected(p, "HOST:, crash, reboot, kill, partition, heal, link, path, set, "
				      "drop, flood, inject, ss or expect");
	}
	return rc ? rc : lp_need_end(p);
}
