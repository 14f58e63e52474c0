/* What the lab prints besides the timeline's own lines: times, addresses,
 * `ss -tan -o` listings, `ss -s` style state counts and nstat counters. */
#include <stdlib.h>
#include <string.h>

#include "lab.h"

void lab_fmt_time(char *out, size_t cap, uint64_t ns)
{
	snprintf(out, cap, "%llu.%06llu", (unsigned long long)(ns / SK_NS_PER_S),
		 (unsigned long long)(ns % SK_NS_PER_S / 1000));
}

void lab_fmt_short(char *out, size_t cap, uint64_t ns)
{
	unsigned long long ms = (unsigned long long)(ns / SK_NS_PER_MS);
	if (ms % 1000 == 0)
		snprintf(out, cap, "%llus", ms / 1000);
	else if (ms % 100 == 0)
		snprintf(out, cap, "%llu.%01llus", ms / 1000, ms % 1000 / 100);
	else if (ms % 10 == 0)
		snprintf(out, cap, "%llu.%02llus", ms / 1000, ms % 1000 / 10);
	else
		snprintf(out, cap, "%llu.%03llus", ms / 1000, ms % 1000);
}

void lab_fmt_addr(char *out, size_t cap, uint32_t addr, uint16_t port, int star)
{
	if (star && !port)
		snprintf(out, cap, "%u.%u.%u.%u:*", addr >> 24, addr >> 16 & 255, addr >> 8 & 255, addr & 255);
	else
		snprintf(out, cap, "%u.%u.%u.%u:%u", addr >> 24, addr >> 16 & 255, addr >> 8 & 255,
			 addr & 255, port);
}

/* iproute2 ss.c print_ms_timer: "1min", "59sec", "1.500ms" (sic), "200ms". */
void lab_fmt_ss_timer(char *out, size_t cap, uint64_t timeout_ms)
{
	unsigned long long secs = timeout_ms / 1000, minutes = secs / 60, msecs = timeout_ms % 1000;
	size_t k = 0;
	secs %= 60;
	out[0] = 0;
	if (minutes) {
		msecs = 0;
		k += (size_t)snprintf(out, cap, "%llumin", minutes);
		if (minutes > 9)
			secs = 0;
	}
	if (secs && k < cap) {
		if (secs > 9)
			msecs = 0;
		k += (size_t)snprintf(out + k, cap - k, "%llu%s", secs, msecs ? "." : "sec");
	}
	if (msecs && k < cap)
		snprintf(out + k, cap - k, "%03llums", msecs);
}

struct rows {
	struct sk_sockinfo *v;
	size_t n, cap;
	int oom;
};

static void collect(void *ctx, const struct sk_sockinfo *i)
{
	struct rows *r = ctx;
	if (r->n == r->cap) {
		size_t cap = r->cap ? 2 * r->cap : 32;
		struct sk_sockinfo *v = realloc(r->v, cap * sizeof(*v));
		if (!v) {
			r->oom = 1;
			return;
		}
		r->v = v;
		r->cap = cap;
	}
	r->v[r->n++] = *i;
}

/* Descriptors first by number, then connections by local port and peer:
 * a stable order to read (the stack's own is its hash order). */
static int row_cmp(const void *a, const void *b)
{
	const struct sk_sockinfo *x = a, *y = b;
	if ((x->fd < 0) != (y->fd < 0))
		return x->fd < 0 ? 1 : -1;
	if (x->fd != y->fd)
		return x->fd < y->fd ? -1 : 1;
	if (x->lport != y->lport)
		return x->lport < y->lport ? -1 : 1;
	if (x->raddr != y->raddr)
		return x->raddr < y->raddr ? -1 : 1;
	return x->rport < y->rport ? -1 : x->rport > y->rport;
}

static void ss_row(FILE *f, const char *indent, const struct sk_sockinfo *i, uint64_t now_ns)
{
	char local[32], peer[32], timer[64] = "", ms[32];
	lab_fmt_addr(local, sizeof(local), i->laddr, i->lport, 1);
	lab_fmt_addr(peer, sizeof(peer), i->raddr, i->rport, 1);
	if (i->timer) {
		uint64_t left = i->timer_at_ns > now_ns ? (i->timer_at_ns - now_ns) / SK_NS_PER_MS : 0;
		lab_fmt_ss_timer(ms, sizeof(ms), left);
		snprintf(timer, sizeof(timer), " timer:(%s,%s,%d)", i->timer, ms, i->timer_count);
	}
	char fd[24] = "";
	if (i->fd >= 0)
		snprintf(fd, sizeof(fd), " fd=%d", i->fd);
	fprintf(f, "%s%-10s %-6u %-6u %21s %-21s%s%s\n", indent, sk_state_name(i->state), i->recv_q,
		i->send_q, local, peer, fd, timer);
}

void lab_print_ss(FILE *f, const char *indent, const struct sk_stack *st, uint64_t now_ns)
{
	struct rows r = { 0 };
	sk_foreach_socket(st, collect, &r);
	qsort(r.v, r.n, sizeof(*r.v), row_cmp);
	fprintf(f, "%s%-10s %-6s %-6s %21s %-21s %s\n", indent, "State", "Recv-Q", "Send-Q",
		"Local Address:Port", "Peer Address:Port", "Process");
	for (size_t k = 0; k < r.n; k++)
		ss_row(f, indent, &r.v[k], now_ns);
	if (r.oom)
		fprintf(f, "%s(out of memory: the listing is incomplete)\n", indent);
	free(r.v);
}

/* n[0] counts orphans; n[state] each state. */
static void count_state(void *ctx, const struct sk_sockinfo *i)
{
	int *n = ctx;
	if (i->state > 0 && i->state <= SK_TCP_CLOSING)
		n[i->state]++;
	n[0] += i->orphan;
}

void lab_print_states(FILE *f, const struct sk_stack *st)
{
	int n[SK_TCP_CLOSING + 1] = { 0 }, total = 0;
	sk_foreach_socket(st, count_state, n);
	for (int s = 1; s <= SK_TCP_CLOSING; s++)
		total += n[s];
	fprintf(f, "TCP: %d (estab %d, closed %d, orphaned %d, timewait %d)", total,
		n[SK_TCP_ESTABLISHED], n[SK_TCP_CLOSE], n[0], n[SK_TCP_TIME_WAIT]);
	const char *sep = "  ";
	for (int s = 1; s <= SK_TCP_CLOSING; s++)
		if (n[s]) {
			fprintf(f, "%s%s %d", sep, sk_state_name(s), n[s]);
			sep = ", ";
		}
	fputc('\n', f);
}

void lab_print_counters(FILE *f, const char *indent, const uint64_t *mib)
{
	int col = 0, any = 0;
	for (int c = 0; c < SK_MIB_COUNT; c++) {
		if (!mib[c])
			continue;
		char item[64];
		int len = snprintf(item, sizeof(item), "%s %llu", sk_counter_name((enum sk_counter)c),
				   (unsigned long long)mib[c]);
		if (col && col + len + 2 > 88) {
			fputc('\n', f);
			col = 0;
		}
		col += fprintf(f, "%s%s", col ? "  " : indent, item);
		any = 1;
	}
	if (!any)
		fprintf(f, "%s(none moved)", indent);
	fputc('\n', f);
}
