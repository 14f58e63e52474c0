/* Expectations: what must be true at a time (`at TIME expect ...`) or at
 * the end (`expect ...`):
 *   expect HOST VAR state STATE
 *   expect HOST count STATE [OP] N
 *   expect HOST counter NAME [OP] N
 *   expect packet A > B "TEXT" [[OP] N] [between T1 T2]
 * where A and B may be `*` (any host) and A may be `router`. */
#include <string.h>

#include "lab_parse.h"

static int state_arg(struct p *p, int *state)
{
	const char *w = lp_word(p);
	*state = w ? lab_state_parse(w) : -1;
	if (*state < 0) {
		if (w)
			p->i--;
		return lp_expected(p, "a TCP state as ss names it (ESTAB, SYN-SENT, SYN-RECV, FIN-WAIT-1, "
				      "FIN-WAIT-2, TIME-WAIT, CLOSE-WAIT, LAST-ACK, CLOSING, LISTEN, "
				      "UNCONN) or gone");
	}
	return 0;
}

static int counter_arg(struct p *p, enum sk_counter *c)
{
	const char *w = lp_word(p);
	for (int i = 0; w && i < SK_MIB_COUNT; i++)
		if (!strcmp(w, sk_counter_name((enum sk_counter)i))) {
			*c = (enum sk_counter)i;
			return 0;
		}
	if (w)
		p->i--;
	return lp_expected(p, "a counter's nstat name (ActiveOpens, OutRsts, ListenOverflows, ...)");
}

static int count_arg(struct p *p, struct lab_expect *ex)
{
	lp_op_arg(p, &ex->op);
	return lp_long_arg(p, "a count", 0, 0x7fffffffL, &ex->n);
}

static int packet_expect(struct p *p, struct lab_expect *ex)
{
	/* `router`: the ICMP errors of a downed path's router */
	if (lp_accept_word(p, "router"))
		ex->host = LAB_ROUTER;
	else if (lp_host_arg(p, 1, &ex->host))
		return -1;
	if (lp_need_word(p, ">") || lp_host_arg(p, 1, &ex->host2) ||
	    lp_quoted(p, "the text its tcpdump line contains, in quotes (like \"Flags [R.]\")", &ex->text))
		return -1;
	ex->op = OP_GE;
	ex->n = 1;
	ex->t2 = UINT64_MAX;
	if (!lp_at_end(p) && !lp_is_word(p, "between") && count_arg(p, ex))
		return -1;
	if (lp_accept_word(p, "between")) {
		if (lp_time_arg(p, &ex->t1) || lp_time_arg(p, &ex->t2))
			return -1;
		if (ex->t2 < ex->t1)
			return lp_fail(p, "the window 'between T1 T2' ends before it starts");
	}
	return 0;
}

int lp_expect_stmt(struct p *p, uint64_t at_ns)
{
	int idx = p->sc->nitems;
	if (!lp_item_new(p, IT_EXPECT, at_ns))
		return -1;
	struct lab_expect *ex = &p->sc->items[idx].ex;
	ex->line = p->line;
	ex->var = -1;
	ex->host2 = -1;
	int rc;
	if (lp_accept_word(p, "packet")) {
		ex->kind = EX_PACKET;
		rc = packet_expect(p, ex);
	} else if (lp_stack_host_arg(p, &ex->host)) {
		return lp_expected(p, "'packet' or a host with a stack after 'expect'");
	} else if (lp_accept_word(p, "count")) {
		ex->kind = EX_COUNT;
		rc = state_arg(p, &ex->state) || count_arg(p, ex);
	} else if (lp_accept_word(p, "counter")) {
		ex->kind = EX_COUNTER;
		rc = counter_arg(p, &ex->counter) || count_arg(p, ex);
	} else {
		ex->kind = EX_STATE;
		rc = lp_var_use(p, ex->host, &ex->var) || lp_need_word(p, "state") ||
		     state_arg(p, &ex->state);
	}
	return rc ? -1 : lp_need_end(p);
}
