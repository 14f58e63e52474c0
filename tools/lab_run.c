/* Running a scenario: hosts and paths from its set-up lines, then one loop
 * on virtual time that stops at every instant something happens (a packet
 * arrives, a timer fires, a timed line is due, a sleeping call wakes), so
 * every call returns and every expectation is checked at its exact time.
 * Everything goes on one timeline: "WHO TIME WHAT", where a packet's WHAT
 * and TIME are exactly the line `tcpdump -nn -tt -r` prints for it. */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "lab_run.h"

void lab_emit(struct run *r, const char *who, const char *fmt, ...)
{
	if (!r->out)
		return;
	char t[32];
	lab_fmt_time(t, sizeof(t), sk_sim_now(r->sim));
	fprintf(r->out, "%-*s %s ", r->width, who, t);
	va_list ap;
	va_start(ap, fmt);
	vfprintf(r->out, fmt, ap);
	va_end(ap);
	fputc('\n', r->out);
}

void lab_emit_line(struct run *r, const char *who, const char *line)
{
	if (r->out)
		fprintf(r->out, "%-*s %s\n", r->width, who, line);
}

/* Counts an expectation; prints its line unless the caller printed it. */
void lab_verdict(struct run *r, int ok, int line, const char *what, const char *got)
{
	if (ok)
		r->held++;
	else
		r->failed++;
	if (what)
		lab_emit(r, "lab", "expect %s (line %d): %s%s%s%s", what, line, ok ? "held" : "FAILED",
			 got ? " (" : "", got ? got : "", got ? ")" : "");
}

void lab_story(struct run *r, const char *fmt, ...)
{
	char s[48];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(s, sizeof(s), fmt, ap);
	va_end(ap);
	size_t key = strcspn(s, "@"); /* one "recv EOF@..." is enough for the story */
	for (int i = 0; i < r->nstory; i++)
		if (!strncmp(r->story[i], s, key) && (r->story[i][key] == '@' || !r->story[i][key]))
			return;
	if (r->nstory < (int)(sizeof(r->story) / sizeof(r->story[0])))
		snprintf(r->story[r->nstory++], sizeof(r->story[0]), "%s", s);
}

uint64_t lab_rand(struct run *r)
{
	uint64_t z = (r->rng += 0x9e3779b97f4a7c15ull); /* splitmix64 */
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

struct sk_stack *lab_stack(struct run *r, int host) { return sk_sim_stack(r->sim, host); }

static const char *hname(struct run *r, int h) { return r->sc->hosts[h].name; }

/* ---- paths and faults ---- */

static void path_merge(struct sk_path *p, const struct lab_pathopt *po)
{
	const struct sk_path *n = &po->p;
	if (po->set & PO_DELAY) p->delay_ns = n->delay_ns;
	if (po->set & PO_JITTER) p->jitter_ns = n->jitter_ns;
	if (po->set & PO_LOSS) p->loss = n->loss;
	if (po->set & PO_DUP) p->dup = n->dup;
	if (po->set & PO_REORDER) {
		p->reorder = n->reorder;
		p->reorder_ns = n->reorder_ns;
	}
	if (po->set & PO_CORRUPT) p->corrupt = n->corrupt;
	if (po->set & PO_BW) p->bandwidth_bps = n->bandwidth_bps;
	if (po->set & PO_MTU) p->mtu = n->mtu;
	if (po->set & PO_DOWN) p->down = n->down;
	if (po->set & PO_UNREACH) {
		p->unreach_code_plus1 = n->unreach_code_plus1;
		p->router_addr = n->router_addr;
	}
}

static void path_apply(struct run *r, const struct lab_item *it)
{
	char d[256];
	for (int dir = 0; dir < (it->kind == IT_LINK ? 2 : 1); dir++) {
		int a = dir ? it->host2 : it->host, b = dir ? it->host : it->host2;
		struct sk_path p;
		sk_sim_get_path(r->sim, a, b, &p);
		path_merge(&p, &it->po);
		sk_sim_set_path(r->sim, a, b, &p);
	}
	lab_path_describe(d, sizeof(d), &it->po);
	lab_emit(r, "net", "%s %s %s %s:%s", it->kind == IT_LINK ? "link" : "path", hname(r, it->host),
		 it->kind == IT_LINK ? "<->" : ">", hname(r, it->host2), d);
	if (!it->setup && (it->po.set & (PO_DOWN | PO_LOSS)))
		lab_story(r, "link%s", d);
}

static void host_down(struct run *r, int h, const char *why)
{
	struct sk_stack *st = lab_stack(r, h);
	for (int c = 0; st && c < SK_MIB_COUNT; c++)
		r->h[h].mib[c] = sk_counter(st, (enum sk_counter)c);
	lab_threads_kill(r, h, why);
	r->h[h].nfds = 0;
	for (int v = 0; v < r->sc->hosts[h].nvars; v++)
		r->h[h].vars[v].fd = -1;
}

static void fault(struct run *r, const struct lab_item *it)
{
	char t[24];
	int h = it->host;
	lab_fmt_short(t, sizeof(t), sk_sim_now(r->sim));
	switch (it->kind) {
	case IT_CRASH:
		lab_emit(r, hname(r, h), "fault: %s crashes: its state vanishes, nothing is sent", hname(r, h));
		host_down(r, h, "the host crashed");
		sk_sim_crash(r->sim, h);
		r->h[h].crashed = 1;
		r->h[h].down_ns = sk_sim_now(r->sim);
		lab_story(r, "crash %s@%s", hname(r, h), t);
		break;
	case IT_REBOOT:
		lab_emit(r, hname(r, h), "fault: %s reboots with empty tables", hname(r, h));
		if (!r->h[h].crashed)
			host_down(r, h, "the host rebooted");
		if (sk_sim_reboot(r->sim, h))
			lab_emit(r, "lab", "out of memory: %s stays down", hname(r, h));
		r->h[h].crashed = sk_sim_stack(r->sim, h) == NULL && !r->sc->hosts[h].raw;
		r->h[h].boots++;
		r->h[h].boot_ns = sk_sim_now(r->sim);
		lab_story(r, "reboot %s@%s", hname(r, h), t);
		break;
	case IT_KILL:
		lab_emit(r, hname(r, h), "fault: the process on %s is killed", hname(r, h));
		lab_app_kill(r, h);
		lab_story(r, "kill %s@%s", hname(r, h), t);
		break;
	default: /* partition, heal */
		sk_sim_partition(r->sim, h, it->host2, it->kind == IT_PARTITION);
		lab_emit(r, "net", "fault: %s %s <-> %s", it->kind == IT_PARTITION ? "partition" : "heal",
			 hname(r, h), hname(r, it->host2));
		lab_story(r, "%s@%s", it->kind == IT_PARTITION ? "partition" : "heal", t);
		break;
	}
}

static void knob_set(struct run *r, const struct lab_item *it)
{
	for (int h = 0; h < r->sc->nhosts; h++) {
		if (r->sc->hosts[h].raw || (it->host >= 0 && it->host != h))
			continue;
		struct sk_stack *st = lab_stack(r, h);
		int rc = st ? sk_stack_knob_set(st, it->knob, it->value) : -EHOSTDOWN;
		lab_emit(r, hname(r, h), "set %s = %s%s%s", it->knob, it->value, rc ? ": " : "",
			 rc ? strerror(-rc) : "");
	}
}

static void ss_host(struct run *r, int h)
{
	struct sk_stack *st = lab_stack(r, h);
	char indent[40];
	snprintf(indent, sizeof(indent), "%*s", r->width + 3, "");
	lab_emit(r, hname(r, h), "ss -tan -o%s", st ? "" : ": the host is down");
	if (st && r->out)
		lab_print_ss(r->out, indent, st, sk_sim_now(r->sim));
}

static void ss_all(struct run *r, int host)
{
	for (int h = 0; h < r->sc->nhosts; h++)
		if (!r->sc->hosts[h].raw && (host < 0 || h == host))
			ss_host(r, h);
}

/* ---- expectations ---- */

static int compare(enum lab_op op, long long a, long long b)
{
	switch (op) {
	case OP_EQ: return a == b;
	case OP_NE: return a != b;
	case OP_LT: return a < b;
	case OP_LE: return a <= b;
	case OP_GT: return a > b;
	default: return a >= b;
	}
}

static const char *op_text(enum lab_op op)
{
	static const char *const t[] = { "=", "!=", "<", "<=", ">", ">=" };
	return t[op];
}

static const char *state_text(int s) { return s == LAB_STATE_GONE ? "gone" : sk_state_name(s); }

static void count_fn(void *ctx, const struct sk_sockinfo *i)
{
	int *c = ctx;
	if (i->state == c[0])
		c[1]++;
}

static uint64_t counter_of(struct run *r, int h, enum sk_counter c)
{
	struct sk_stack *st = lab_stack(r, h);
	return st ? sk_counter(st, c) : r->h[h].mib[c];
}

static void check(struct run *r, struct lab_expect *ex)
{
	char what[256], got[96];
	long long v = 0;
	int ok;
	const char *h = ex->host >= 0 ? hname(r, ex->host) : ex->host == LAB_ROUTER ? "router" : "*";
	if (ex->kind == EX_STATE) {
		int s = lab_var_state(r, ex->host, ex->var);
		ok = s == ex->state;
		snprintf(what, sizeof(what), "%s %s state %s", h, r->sc->hosts[ex->host].vars[ex->var],
			 state_text(ex->state));
		snprintf(got, sizeof(got), "it is %s", state_text(s));
		lab_verdict(r, ok, ex->line, what, ok ? NULL : got);
		return;
	}
	if (ex->kind == EX_COUNT) {
		int c[2] = { ex->state, 0 };
		if (lab_stack(r, ex->host))
			sk_foreach_socket(lab_stack(r, ex->host), count_fn, c);
		v = c[1];
		snprintf(what, sizeof(what), "%s count %s %s %ld", h, state_text(ex->state), op_text(ex->op), ex->n);
	} else if (ex->kind == EX_COUNTER) {
		v = (long long)counter_of(r, ex->host, ex->counter);
		snprintf(what, sizeof(what), "%s counter %s %s %ld", h, sk_counter_name(ex->counter),
			 op_text(ex->op), ex->n);
	} else {
		v = (long long)ex->seen;
		snprintf(what, sizeof(what), "packet %s > %s \"%s\" %s %ld", h,
			 ex->host2 >= 0 ? hname(r, ex->host2) : "*", ex->text, op_text(ex->op), ex->n);
	}
	ok = compare(ex->op, v, ex->n);
	snprintf(got, sizeof(got), "it is %lld", v);
	lab_verdict(r, ok, ex->line, what, ok ? NULL : got);
}

static struct lab_expect *expect_of(struct run *r, const struct lab_item *it)
{
	for (int i = 0; i < r->nex; i++)
		if (r->ex[i].line == it->line)
			return &r->ex[i];
	return NULL;
}

/* ---- the loop ---- */

static void do_agenda(struct run *r, const struct agenda *a)
{
	const struct lab_item *it = a->it;
	if (!it) {
		ss_all(r, -1); /* --ss */
		return;
	}
	switch (it->kind) {
	case IT_THREAD: lab_thread_start(r, it); break;
	case IT_LINK:
	case IT_PATH: path_apply(r, it); break;
	case IT_SET: knob_set(r, it); break;
	case IT_DROP: lab_drop_arm(r, it); break;
	case IT_FLOOD: lab_flood_start(r, it); break;
	case IT_INJECT: lab_inject(r, it); break;
	case IT_SS: ss_all(r, it->host); break;
	case IT_EXPECT: check(r, expect_of(r, it)); break;
	default: fault(r, it); break;
	}
}

static uint64_t next_time(struct run *r)
{
	uint64_t t = sk_sim_next_event(r->sim), u;
	if (r->agpos < r->nag && r->ag[r->agpos].at_ns < t)
		t = r->ag[r->agpos].at_ns;
	if ((u = lab_threads_next(r)) < t)
		t = u;
	if ((u = lab_floods_next(r)) < t)
		t = u;
	return t;
}

static void loop(struct run *r)
{
	for (;;) {
		uint64_t t = next_time(r);
		if (t > r->end_ns)
			break;
		sk_sim_run_until(r->sim, t);
		lab_drain_raw(r);
		lab_threads_step(r, t); /* blocked calls first: what arrived may wake them */
		while (r->agpos < r->nag && r->ag[r->agpos].at_ns <= t)
			do_agenda(r, &r->ag[r->agpos++]);
		lab_floods_step(r, t);
	}
	sk_sim_run_until(r->sim, r->end_ns);
	lab_drain_raw(r);
	lab_threads_step(r, r->end_ns);
}

static void summary(struct run *r)
{
	char t[32];
	lab_threads_end(r);
	for (int i = 0; i < r->nex; i++)
		if (r->ex[i].line && r->ex_end[i])
			check(r, &r->ex[i]);
	if (!r->out)
		return;
	lab_fmt_time(t, sizeof(t), sk_sim_now(r->sim));
	fprintf(r->out, "\n-- summary at %s --\n", t);
	for (int h = 0; h < r->sc->nhosts; h++) {
		struct sk_stack *st = lab_stack(r, h);
		uint64_t mib[SK_MIB_COUNT];
		if (r->sc->hosts[h].raw)
			continue;
		fprintf(r->out, "%-*s ", r->width, hname(r, h));
		if (st)
			lab_print_states(r->out, st);
		else
			fprintf(r->out, "down since %.6f\n", (double)r->h[h].down_ns / 1e9);
		for (int c = 0; c < SK_MIB_COUNT; c++)
			mib[c] = counter_of(r, h, (enum sk_counter)c);
		fprintf(r->out, "%-*s counters%s:\n", r->width, "",
			r->h[h].boots ? " since its last reboot" : st ? "" : " when it went down");
		char indent[40];
		snprintf(indent, sizeof(indent), "%*s", r->width + 3, "");
		lab_print_counters(r->out, indent, mib);
	}
	fprintf(r->out, "expectations: %d held, %d failed%s\n", r->held, r->failed,
		r->held + r->failed ? "" : " (the scenario checks nothing)");
	fprintf(r->out, "scenario %s: %s", r->sc->name, r->failed ? "FAILED" : "held");
	if (r->sc->pending)
		fprintf(r->out, r->failed ? " (pending: %s)" : " (its 'pending' line can go: %s)", r->sc->pending);
	fputc('\n', r->out);
}

static void story_line(struct run *r, struct lab_result *res)
{
	size_t k = (size_t)snprintf(res->story, sizeof(res->story), "%ld pkts", r->npkts);
	if (r->nrst)
		k += (size_t)snprintf(res->story + k, sizeof(res->story) - k, ", %ld RST", r->nrst);
	for (int i = 0; i < r->nstory && k < sizeof(res->story); i++)
		k += (size_t)snprintf(res->story + k, sizeof(res->story) - k, "%s%s", i ? "; " : ": ", r->story[i]);
}

int lab_run(const struct lab_scenario *sc, const struct lab_opts *o, struct lab_result *res)
{
	struct run r = { 0 };
	r.sc = sc;
	r.o = o;
	r.out = o->out;
	memset(res, 0, sizeof(*res));
	int rc = lab_setup(&r);
	if (!rc) {
		loop(&r);
		summary(&r);
		if (r.pcap && (r.pcap_err || (r.pcap_err = sk_pcap_close(r.pcap)))) {
			fprintf(stderr, "synack lab: writing %s failed: %s\n", o->pcap, strerror(-r.pcap_err));
			rc = 2;
		}
		r.pcap = NULL;
	}
	res->held = r.held;
	res->failed = r.failed;
	res->error = rc != 0;
	story_line(&r, res);
	lab_teardown(&r);
	return rc ? 2 : r.failed ? 1 : 0;
}
