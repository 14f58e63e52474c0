/* The parser's internals, shared by lab_parse*.c: the tokens of the
 * current line and the helpers that read them. Each helper that fails has
 * already written "FILE:LINE: expected ..." into p->err and returns -1. */
#ifndef SYNACK_TOOLS_LAB_PARSE_H
#define SYNACK_TOOLS_LAB_PARSE_H

#include "lab.h"

#define MAX_TOKS 256

struct tok {
	char *s;
	int quoted;
};

struct p {
	struct lab_scenario *sc;
	const char *file;
	int line;
	char *err;
	size_t errcap;
	struct tok t[MAX_TOKS];
	int n, i;  /* tokens on the line; the next one to read */
	char *buf; /* the current line's token storage */
};

int lp_fail(struct p *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int lp_expected(struct p *p, const char *what);

int lp_at_end(const struct p *p); /* no more tokens, or a ';' */
const char *lp_word(struct p *p);  /* the next unquoted token, or NULL */
int lp_is_word(const struct p *p, const char *w);
int lp_accept_word(struct p *p, const char *w);
int lp_need_word(struct p *p, const char *w);
int lp_need_end(struct p *p);
char *lp_xstrdup(struct p *p, const char *s);
int lp_quoted(struct p *p, const char *what, char **out);

int lp_time_arg(struct p *p, uint64_t *ns);
int lp_long_arg(struct p *p, const char *what, long lo, long hi, long *v);
int lp_prob_arg(struct p *p, double *v);
int lp_ip_parse(const char *s, uint32_t *ip);
int lp_host_find(const struct lab_scenario *sc, const char *name);
int lp_addr_of(struct p *p, const char *s, uint32_t *ip);
int lp_endpoint_arg(struct p *p, uint32_t *ip, uint16_t *port);
int lp_host_arg(struct p *p, int allow_any, int *h);
int lp_stack_host_arg(struct p *p, int *h);
int lp_raw_host_arg(struct p *p, int *h);
int lp_errno_parse(const char *s);
int lp_op_arg(struct p *p, enum lab_op *op);
int lp_var_index(struct p *p, int host, const char *name, int assign);
int lp_var_use(struct p *p, int host, int *var);
int lp_knob_value(struct p *p, char **knob, char **value);
struct lab_item *lp_item_new(struct p *p, enum lab_item_kind kind, uint64_t at_ns);

/* lab_parse_call.c: `at TIME [repeat N every T] HOST: CALL; CALL ...` */
int lp_thread_stmt(struct p *p, uint64_t at_ns, int host, int repeat, uint64_t every_ns);
int lp_var_assigned(const struct lab_scenario *sc, int host, int var);
/* lab_parse_net.c: faults, paths, drop rules, floods, injected segments,
 * ss, expectations; at_ns is UINT64_MAX for a set-up line */
int lp_timed_stmt(struct p *p, uint64_t at_ns);
int lp_expect_stmt(struct p *p, uint64_t at_ns);

#endif
