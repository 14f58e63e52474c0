/* Before time starts: the hosts with their knobs (the scenario's, then
 * --set), the set-up paths and drop rules, the agenda of timed lines in
 * time order, the end of the run and the pcap file. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lab_run.h"

static int sets_check(const struct lab_scenario *sc, const struct lab_opts *o)
{
	for (int i = 0; i < o->nsets; i++) {
		const struct lab_set *s = &o->sets[i];
		int h = -1;
		for (int k = 0; s->host && k < sc->nhosts; k++)
			if (!strcmp(sc->hosts[k].name, s->host))
				h = k;
		if (s->host && (h < 0 || sc->hosts[h].raw)) {
			fprintf(stderr, "synack lab: --set %s.%s: %s has no host '%s' with a stack; "
				"use --set KNOB=VALUE for every host\n", s->host, s->knob, sc->name, s->host);
			return -1;
		}
		struct sk_knobs k;
		sk_knobs_default(&k);
		int err = sk_knob_set(&k, s->knob, s->value);
		if (err) {
			fprintf(stderr, "synack lab: --set %s=%s: %s\n", s->knob, s->value,
				err == -ENOENT ? "unknown knob (knobs are Linux sysctl names such as tcp_syn_retries)"
					       : "bad value for this knob");
			return -1;
		}
	}
	return 0;
}

static int hosts_add(struct run *r)
{
	const struct lab_scenario *sc = r->sc;
	for (int i = 0; i < sc->nhosts; i++) {
		const struct lab_host *h = &sc->hosts[i];
		int id;
		if (h->raw) {
			id = sk_sim_add_raw(r->sim, h->name, h->addr);
		} else {
			struct sk_config cfg;
			sk_config_default(&cfg);
			cfg.addr = h->addr;
			for (int k = 0; k < h->nknobs; k++)
				sk_knob_set(&cfg.knobs, h->knobs[k].name, h->knobs[k].value);
			for (int k = 0; k < r->o->nsets; k++)
				if (!r->o->sets[k].host || !strcmp(r->o->sets[k].host, h->name))
					sk_knob_set(&cfg.knobs, r->o->sets[k].knob, r->o->sets[k].value);
			id = sk_sim_add_host(r->sim, h->name, &cfg);
		}
		if (id != i) {
			fprintf(stderr, "synack lab: cannot add host %s: %s\n", h->name, strerror(id < 0 ? -id : EINVAL));
			return -1;
		}
		r->h[i].vars = calloc((size_t)h->nvars + 1, sizeof(struct var));
		if (!r->h[i].vars) {
			fprintf(stderr, "synack lab: out of memory\n");
			return -1;
		}
		for (int v = 0; v < h->nvars; v++)
			r->h[i].vars[v].fd = -1;
	}
	return 0;
}

static int agenda_cmp(const void *a, const void *b)
{
	const struct agenda *x = a, *y = b;
	if (x->at_ns != y->at_ns)
		return x->at_ns < y->at_ns ? -1 : 1;
	return (x->idx > y->idx) - (x->idx < y->idx);
}

/* When an application line's last start and its sleeps are over. */
static uint64_t item_last(const struct lab_item *it)
{
	uint64_t t = it->at_ns + (uint64_t)(it->repeat - 1) * it->every_ns;
	for (int k = 0; k < it->ncalls; k++)
		if (it->calls[k].kind == CALL_SLEEP)
			t += it->calls[k].ns;
	return t;
}

static int agenda_build(struct run *r)
{
	const struct lab_scenario *sc = r->sc;
	int n = r->o->nss;
	uint64_t last = 0;
	for (int i = 0; i < sc->nitems; i++)
		if (sc->items[i].at_ns != UINT64_MAX)
			n += sc->items[i].repeat;
	r->ag = calloc((size_t)n + 1, sizeof(*r->ag));
	if (!r->ag) {
		fprintf(stderr, "synack lab: out of memory\n");
		return -1;
	}
	for (int i = 0; i < sc->nitems; i++) {
		const struct lab_item *it = &sc->items[i];
		if (it->at_ns == UINT64_MAX)
			continue;
		if (it->setup) { /* links, paths, drop rules: at 0, before everything else */
			r->ag[r->nag++] = (struct agenda){ it, 0, i - sc->nitems };
			continue;
		}
		for (int k = 0; k < it->repeat; k++)
			r->ag[r->nag++] = (struct agenda){ it, it->at_ns + (uint64_t)k * it->every_ns, r->nag };
		if (item_last(it) > last)
			last = item_last(it);
		if (sc->has_end && it->at_ns > sc->end_ns) {
			fprintf(stderr, "%s:%d: this line is due after the scenario's end; expected a time up to 'end'\n",
				sc->file, it->line);
			return -1;
		}
	}
	r->end_ns = sc->has_end ? sc->end_ns : last + SK_NS_PER_S;
	for (int i = 0; i < r->o->nss; i++) {
		if (r->o->ss_at[i] > r->end_ns) {
			char t[32];
			lab_fmt_time(t, sizeof(t), r->end_ns);
			fprintf(stderr, "synack lab: --ss: %s ends at %s; choose a time up to then\n", sc->name, t);
			return -1;
		}
		r->ag[r->nag++] = (struct agenda){ NULL, r->o->ss_at[i], 1 << 30 };
	}
	qsort(r->ag, (size_t)r->nag, sizeof(*r->ag), agenda_cmp);
	return 0;
}

static int expects_collect(struct run *r)
{
	const struct lab_scenario *sc = r->sc;
	r->ex = calloc((size_t)sc->nitems + 1, sizeof(*r->ex));
	r->ex_end = calloc((size_t)sc->nitems + 1, 1);
	if (!r->ex || !r->ex_end)
		return -1;
	for (int i = 0; i < sc->nitems; i++)
		if (sc->items[i].kind == IT_EXPECT) {
			r->ex_end[r->nex] = sc->items[i].at_ns == UINT64_MAX;
			r->ex[r->nex] = sc->items[i].ex;
			r->ex[r->nex++].seen = 0;
		}
	return 0;
}

static void header(struct run *r)
{
	const struct lab_scenario *sc = r->sc;
	char t[32];
	if (!r->out)
		return;
	lab_fmt_time(t, sizeof(t), r->end_ns);
	fprintf(r->out, "scenario %s: %s\ncatalog:", sc->name, sc->desc);
	for (int i = 0; i < sc->nids; i++)
		fprintf(r->out, " %s", sc->ids[i]);
	fprintf(r->out, "\nhosts:");
	for (int i = 0; i < sc->nhosts; i++)
		fprintf(r->out, "%s %s %u.%u.%u.%u%s", i ? "," : "", sc->hosts[i].name, sc->hosts[i].addr >> 24,
			sc->hosts[i].addr >> 16 & 255, sc->hosts[i].addr >> 8 & 255, sc->hosts[i].addr & 255,
			sc->hosts[i].raw ? " (raw)" : "");
	fprintf(r->out, "; seed %llu; the run ends at %s\n", (unsigned long long)(r->o->has_seed ? r->o->seed : sc->seed), t);
	if (sc->pending)
		fprintf(r->out, "pending: %s\n", sc->pending);
	fputc('\n', r->out);
}

int lab_setup(struct run *r)
{
	const struct lab_scenario *sc = r->sc;
	uint64_t seed = r->o->has_seed ? r->o->seed : sc->seed;
	r->rng = seed ^ 0x6c6162ull; /* floods and injected ISNs: from the seed, apart from the sim's */
	r->width = 6; /* "router" */
	for (int i = 0; i < sc->nhosts; i++)
		if ((int)strlen(sc->hosts[i].name) > r->width)
			r->width = (int)strlen(sc->hosts[i].name);
	if (sets_check(sc, r->o))
		return -1;
	r->sim = sk_sim_new(seed);
	r->td = sk_tcpdump_new();
	if (!r->sim || !r->td || expects_collect(r)) {
		fprintf(stderr, "synack lab: out of memory\n");
		return -1;
	}
	if (hosts_add(r) || agenda_build(r))
		return -1; /* they said why */
	if (r->o->pcap && !(r->pcap = sk_pcap_open(r->o->pcap))) {
		fprintf(stderr, "synack lab: --pcap %s: %s\n", r->o->pcap, strerror(errno));
		return -1;
	}
	lab_net_attach(r);
	header(r);
	return 0;
}

void lab_teardown(struct run *r)
{
	sk_pcap_close(r->pcap);
	sk_sim_free(r->sim);
	sk_tcpdump_free(r->td);
	for (int i = 0; i < LAB_MAX_HOSTS; i++) {
		free(r->h[i].vars);
		free(r->h[i].fds);
	}
	free(r->th);
	free(r->ag);
	free(r->drops);
	free(r->floods);
	free(r->ex);
	free(r->ex_end);
	free(r->convs);
}
