/* The network side of a run: every packet sent goes on the timeline (as
 * tcpdump prints it) and into the pcap file; losses say why; state
 * changes and input drops come from the observer. Drop rules, floods and
 * injected segments are here too. */
#include <stdlib.h>
#include <string.h>

#include "lab_run.h"

static const char *who_name(struct run *r, int host)
{
	return host >= 0 ? sk_sim_name(r->sim, host) : "router";
}

/* The packet line, up to its window or length: enough to name a packet
 * on a `lost` line without repeating all of it. */
static void short_line(char *out, size_t cap, const char *line)
{
	const char *s = strchr(line, ' ');
	s = s ? s + 1 : line;
	size_t n = strlen(s);
	const char *cut = strstr(s, ", win ");
	if (!cut)
		cut = strstr(s, ", length ");
	if (cut)
		n = (size_t)(cut - s);
	snprintf(out, cap, "%.*s", (int)n, s);
}

static void conv_note(struct run *r, const uint8_t *pkt, size_t len)
{
	struct lab_seg s;
	if (!lab_seg_parse(pkt, len, &s))
		return;
	struct conv *c = NULL;
	for (int i = 0; i < r->nconvs && !c; i++)
		if (r->convs[i].src == s.src && r->convs[i].dst == s.dst &&
		    r->convs[i].sport == s.sport && r->convs[i].dport == s.dport)
			c = &r->convs[i];
	if (!c) {
		struct conv *v = realloc(r->convs, (size_t)(r->nconvs + 1) * sizeof(*v));
		if (!v)
			return;
		r->convs = v;
		c = &v[r->nconvs++];
		*c = (struct conv){ s.src, s.dst, s.sport, s.dport, 0, 0, 0 };
	}
	c->end_seq = s.seq + (uint32_t)s.len + !!(s.flags & LAB_SYN) + !!(s.flags & LAB_FIN);
	if (s.flags & LAB_ACK) {
		c->ack = s.ack;
		c->has_ack = 1;
	}
}

/* The first drop rule that takes this packet loses it (sk_sim_drop);
 * the LOST event that follows names the rule. */
static void drop_check(struct run *r, int from, int to, const char *line)
{
	if (to < 0)
		return;
	for (int i = 0; i < r->ndrops; i++) {
		struct drop_rule *d = &r->drops[i];
		if (!d->left || d->it->host != from || d->it->host2 != to || !strstr(line, d->it->text))
			continue;
		d->left--;
		sk_sim_drop(r->sim);
		r->drop_on = 1;
		r->drop_line = d->it->line;
		return;
	}
}

static void packet_sent(struct run *r, uint64_t now, int from, int to, const uint8_t *pkt, size_t len)
{
	char line[1024];
	sk_tcpdump_line(r->td, line, sizeof(line), now, pkt, len);
	lab_emit_line(r, who_name(r, from), line); /* exactly tcpdump's line, its time included */
	if (r->pcap && !r->pcap_err)
		r->pcap_err = sk_pcap_write(r->pcap, now, pkt, len);
	r->npkts++;
	struct lab_seg s;
	if (lab_seg_parse(pkt, len, &s) && (s.flags & LAB_RST))
		r->nrst++;
	if (r->sc->uses_inject)
		conv_note(r, pkt, len);
	for (int i = 0; i < r->nex; i++) {
		struct lab_expect *ex = &r->ex[i];
		int sender = ex->host == -1 || ex->host == from || (ex->host == LAB_ROUTER && from < 0);
		if (ex->kind == EX_PACKET && sender &&
		    (ex->host2 < 0 || ex->host2 == to) && now >= ex->t1 && now <= ex->t2 &&
		    strstr(line, ex->text))
			ex->seen++;
	}
	r->last_len = len < sizeof(r->last_pkt) ? len : 0;
	memcpy(r->last_pkt, pkt, r->last_len);
	snprintf(r->last_line, sizeof(r->last_line), "%s", line);
	if (from >= 0)
		drop_check(r, from, to, line);
}

static void lost_reason(struct run *r, int from, int to, size_t len, const uint8_t *pkt, char *why, size_t cap)
{
	struct sk_path p = { 0 };
	if (to >= 0 && from >= 0)
		sk_sim_get_path(r->sim, from, to, &p);
	if (r->drop_on) {
		snprintf(why, cap, "dropped by the rule on line %d", r->drop_line);
		r->drop_on = 0;
	} else if (to < 0) {
		uint32_t a = len >= 20 ? (uint32_t)pkt[16] << 24 | pkt[17] << 16 | pkt[18] << 8 | pkt[19] : 0;
		snprintf(why, cap, "no host has address %u.%u.%u.%u", a >> 24, a >> 16 & 255, a >> 8 & 255, a & 255);
	} else if (r->h[to].crashed) {
		snprintf(why, cap, "%s is down", sk_sim_name(r->sim, to));
	} else if (p.down) {
		snprintf(why, cap, "link %s > %s is down", who_name(r, from), sk_sim_name(r->sim, to));
	} else if (p.mtu && len > p.mtu) {
		snprintf(why, cap, "larger than the path's MTU %u", p.mtu);
	} else {
		snprintf(why, cap, "lost on the path (loss %g%%)", p.loss * 100);
	}
}

static void tap(void *ctx, uint64_t now, int from, int to, enum sk_sim_what what,
		const uint8_t *pkt, size_t len)
{
	struct run *r = ctx;
	char line[1024], brief[512], why[96];
	if (what == SK_SIM_SENT) {
		packet_sent(r, now, from, to, pkt, len);
		return;
	}
	if (what == SK_SIM_DELIVERED)
		return;
	if (r->last_len == len && !memcmp(r->last_pkt, pkt, len))
		snprintf(line, sizeof(line), "%s", r->last_line);
	else
		sk_tcpdump_line(r->td, line, sizeof(line), now, pkt, len);
	short_line(brief, sizeof(brief), line);
	if (what == SK_SIM_LOST) {
		lost_reason(r, from, to, len, pkt, why, sizeof(why));
		lab_emit(r, "net", "lost (%s): %s", why, brief);
	} else {
		lab_emit(r, "net", "%s: %s", what == SK_SIM_DUPLICATED ? "duplicated" : "corrupted (one bit flipped)", brief);
	}
}

static void observe(void *ctx, uint64_t now, int host, const struct sk_event *ev)
{
	struct run *r = ctx;
	char l[32], p[32], fd[16] = "";
	(void)now;
	if (ev->kind == SK_EV_STATE) {
		lab_fmt_addr(l, sizeof(l), ev->laddr, ev->lport, 0);
		lab_fmt_addr(p, sizeof(p), ev->raddr, ev->rport, 1);
		if (ev->fd >= 0)
			snprintf(fd, sizeof(fd), " fd %d", ev->fd);
		lab_emit(r, sk_sim_name(r->sim, host), "state %s -> %s %s > %s%s", sk_state_name(ev->old_state),
			 sk_state_name(ev->new_state), l, p, fd);
	} else if (ev->kind == SK_EV_DROP) {
		lab_fmt_addr(p, sizeof(p), ev->raddr, ev->rport, 0);
		lab_emit(r, sk_sim_name(r->sim, host), "input dropped (%s): from %s to port %u",
			 sk_counter_name(ev->counter), p, ev->lport);
	}
}

void lab_net_attach(struct run *r)
{
	sk_sim_set_tap(r->sim, tap, r);
	sk_sim_set_observer(r->sim, observe, r);
}

void lab_drop_arm(struct run *r, const struct lab_item *it)
{
	struct drop_rule *d = realloc(r->drops, (size_t)(r->ndrops + 1) * sizeof(*d));
	if (!d) {
		lab_emit(r, "lab", "out of memory: the drop rule of line %d is not armed", it->line);
		return;
	}
	r->drops = d;
	d[r->ndrops++] = (struct drop_rule){ it, it->count };
	lab_emit(r, "net", "drop rule: the next %ld packet%s %s > %s with \"%s\"", it->count,
		 it->count == 1 ? "" : "s", sk_sim_name(r->sim, it->host), sk_sim_name(r->sim, it->host2),
		 it->text);
}

void lab_flood_start(struct run *r, const struct lab_item *it)
{
	struct flood *f = realloc(r->floods, (size_t)(r->nfloods + 1) * sizeof(*f));
	if (!f)
		return;
	r->floods = f;
	f[r->nfloods++] = (struct flood){ it, 0, sk_sim_now(r->sim) };
	char dst[32];
	lab_fmt_addr(dst, sizeof(dst), it->dst_addr, it->dst_port, 0);
	lab_emit(r, sk_sim_name(r->sim, it->host), "fault: SYN flood of %ld to %s at %llu/s from spoofed sources",
		 it->count, dst, (unsigned long long)it->rate);
	lab_story(r, "flood %ld SYNs", it->count);
}

static void flood_one(struct run *r, struct flood *f)
{
	const struct lab_item *it = f->it;
	uint64_t x = lab_rand(r);
	struct lab_seg s = {
		.src = it->src_addr + (uint32_t)f->sent, .dst = it->dst_addr,
		.sport = (uint16_t)(1024 + x % 64000), .dport = it->dst_port,
		.seq = (uint32_t)(x >> 32), .flags = LAB_SYN, .win = 64240, .mss = 1460,
	};
	uint8_t pkt[80];
	size_t len = lab_seg_build(pkt, sizeof(pkt), &s);
	sk_sim_send(r->sim, it->host, pkt, len); /* a crashed flooder sends nothing */
	f->sent++;
	f->next_ns += SK_NS_PER_S / it->rate;
}

void lab_floods_step(struct run *r, uint64_t now_ns)
{
	for (int i = 0; i < r->nfloods; i++)
		while (r->floods[i].sent < r->floods[i].it->count && r->floods[i].next_ns <= now_ns)
			flood_one(r, &r->floods[i]);
}

uint64_t lab_floods_next(const struct run *r)
{
	uint64_t t = UINT64_MAX;
	for (int i = 0; i < r->nfloods; i++)
		if (r->floods[i].sent < r->floods[i].it->count && r->floods[i].next_ns < t)
			t = r->floods[i].next_ns;
	return t;
}

/* rcv.nxt / snd.nxt of the destination, from its last segment to the
 * source; returns -1 when it has sent none. */
static int seq_value(struct run *r, const struct lab_item *it, const struct lab_seq *q, uint32_t *v)
{
	if (q->base == SEQ_ABS) {
		*v = (uint32_t)q->off;
		return 0;
	}
	for (int i = 0; i < r->nconvs; i++) {
		const struct conv *c = &r->convs[i];
		if (c->src != it->dst_addr || c->sport != it->dst_port || c->dst != it->src_addr ||
		    c->dport != it->src_port)
			continue;
		if (q->base == SEQ_RCV_NXT && !c->has_ack)
			return -1;
		*v = (q->base == SEQ_RCV_NXT ? c->ack : c->end_seq) + (uint32_t)q->off;
		return 0;
	}
	return -1;
}

void lab_inject(struct run *r, const struct lab_item *it)
{
	struct lab_seg s = {
		.src = it->src_addr, .dst = it->dst_addr, .sport = it->src_port, .dport = it->dst_port,
		.flags = it->tcp_flags, .win = it->win, .mss = (it->tcp_flags & LAB_SYN) ? 1460 : 0,
		.data = (const uint8_t *)it->data, .len = it->data ? strlen(it->data) : 0,
	};
	s.seq = (uint32_t)lab_rand(r);
	int bad = (it->seq.given && seq_value(r, it, &it->seq, &s.seq)) ||
		  (it->ack.given && seq_value(r, it, &it->ack, &s.ack));
	if (bad) {
		char a[32], b[32];
		lab_fmt_addr(a, sizeof(a), it->dst_addr, it->dst_port, 0);
		lab_fmt_addr(b, sizeof(b), it->src_addr, it->src_port, 0);
		lab_emit(r, "lab", "inject on line %d: %s has sent nothing to %s yet, so rcv.nxt/snd.nxt "
			 "are unknown", it->line, a, b);
		lab_verdict(r, 0, it->line, "inject", "no segment to take rcv.nxt/snd.nxt from");
		return;
	}
	uint8_t pkt[1600];
	size_t len = lab_seg_build(pkt, sizeof(pkt), &s);
	if (!len) {
		lab_verdict(r, 0, it->line, "inject", "the payload is too long for one packet");
		return;
	}
	lab_emit(r, sk_sim_name(r->sim, it->host), "inject a crafted segment (line %d)", it->line);
	if (sk_sim_send(r->sim, it->host, pkt, len) == -EHOSTDOWN)
		lab_emit(r, "lab", "inject on line %d: %s is down; nothing sent", it->line,
			 sk_sim_name(r->sim, it->host));
}

/* Packets reaching raw hosts are on the timeline already (when sent);
 * take them so the queues do not grow through a long run. */
void lab_drain_raw(struct run *r)
{
	for (int i = 0; i < r->sc->nhosts; i++)
		if (r->sc->hosts[i].raw)
			while (sk_sim_take(r->sim, i, NULL, 0, NULL))
				;
}

void lab_path_describe(char *out, size_t cap, const struct lab_pathopt *po)
{
	const struct sk_path *p = &po->p;
	size_t k = 0;
	out[0] = 0;
#define ADD(...) (k += (size_t)snprintf(out + k, k < cap ? cap - k : 0, __VA_ARGS__))
	if (po->set & PO_DELAY)
		ADD(" delay %gms", (double)p->delay_ns / 1e6);
	if (po->set & PO_JITTER)
		ADD(" jitter %gms", (double)p->jitter_ns / 1e6);
	if (po->set & PO_LOSS)
		ADD(" loss %g%%", p->loss * 100);
	if (po->set & PO_DUP)
		ADD(" dup %g%%", p->dup * 100);
	if (po->set & PO_REORDER)
		ADD(" reorder %g%% %gms", p->reorder * 100, (double)p->reorder_ns / 1e6);
	if (po->set & PO_CORRUPT)
		ADD(" corrupt %g%%", p->corrupt * 100);
	if (po->set & PO_BW)
		ADD(" bandwidth %llubit", (unsigned long long)p->bandwidth_bps);
	if (po->set & PO_MTU)
		ADD(" mtu %u", p->mtu);
	if (po->set & PO_DOWN)
		ADD(" %s", p->down ? "down" : "up");
	if (po->set & PO_UNREACH)
		ADD(" unreachable code %d via %u.%u.%u.%u", p->unreach_code_plus1 - 1, p->router_addr >> 24,
		    p->router_addr >> 16 & 255, p->router_addr >> 8 & 255, p->router_addr & 255);
#undef ADD
	if (k >= cap && cap)
		out[cap - 1] = 0;
}
