/* The scenario language (docs/lab.md): one statement a line, tokens
 * separated by blanks, "quoted text" as one token, `#` to the end of the
 * line a comment, `;` between the calls of one application line. Every
 * error names the file, the line and what was expected there. */
#include <ctype.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "lab_parse.h"

/* ---- errors ---- */

int lp_fail(struct p *p, const char *fmt, ...)
{
	int k = snprintf(p->err, p->errcap, "%s:%d: ", p->file, p->line);
	va_list ap;
	va_start(ap, fmt);
	if (k >= 0 && (size_t)k < p->errcap)
		vsnprintf(p->err + k, p->errcap - (size_t)k, fmt, ap);
	va_end(ap);
	return -1;
}

/* "expected WHAT, got 'TOKEN'" or "... at the end of the line". */
int lp_expected(struct p *p, const char *what)
{
	if (p->i < p->n)
		return lp_fail(p, "expected %s, got '%s'", what, p->t[p->i].s);
	return lp_fail(p, "expected %s at the end of the line", what);
}

/* ---- tokens ---- */

static int tokenize(struct p *p, const char *line, size_t len)
{
	free(p->buf);
	p->buf = malloc(2 * len + 2);
	if (!p->buf)
		return lp_fail(p, "out of memory");
	char *w = p->buf;
	p->n = p->i = 0;
	size_t k = 0;
	while (k < len) {
		if (isspace((unsigned char)line[k])) {
			k++;
			continue;
		}
		if (line[k] == '#')
			break;
		if (p->n == MAX_TOKS)
			return lp_fail(p, "more than %d words on one line", MAX_TOKS);
		struct tok *t = &p->t[p->n++];
		t->s = w;
		t->quoted = line[k] == '"';
		if (line[k] == ';') {
			*w++ = line[k++];
		} else if (t->quoted) {
			for (k++; k < len && line[k] != '"'; k++) {
				char c = line[k];
				if (c == '\\' && k + 1 < len) {
					c = line[++k];
					c = c == 'n' ? '\n' : c == 'r' ? '\r' : c == 't' ? '\t' : c;
				}
				*w++ = c;
			}
			if (k >= len)
				return lp_fail(p, "expected a closing '\"' before the end of the line");
			k++;
		} else {
			while (k < len && !isspace((unsigned char)line[k]) && line[k] != ';' && line[k] != '#')
				*w++ = line[k++];
		}
		*w++ = 0;
	}
	return 0;
}

int lp_at_end(const struct p *p)
{
	return p->i >= p->n || (!p->t[p->i].quoted && !strcmp(p->t[p->i].s, ";"));
}

/* The next word (not quoted text), or NULL. */
const char *lp_word(struct p *p)
{
	if (lp_at_end(p) || p->t[p->i].quoted)
		return NULL;
	return p->t[p->i++].s;
}

int lp_is_word(const struct p *p, const char *w)
{
	return !lp_at_end(p) && !p->t[p->i].quoted && !strcmp(p->t[p->i].s, w);
}

int lp_accept_word(struct p *p, const char *w)
{
	if (!lp_is_word(p, w))
		return 0;
	p->i++;
	return 1;
}

int lp_need_word(struct p *p, const char *w)
{
	if (lp_accept_word(p, w))
		return 0;
	char what[64];
	snprintf(what, sizeof(what), "'%s'", w);
	return lp_expected(p, what);
}

int lp_need_end(struct p *p)
{
	if (p->i >= p->n)
		return 0;
	return lp_expected(p, "the end of the line");
}

char *lp_xstrdup(struct p *p, const char *s)
{
	char *c = strdup(s);
	if (!c)
		lp_fail(p, "out of memory");
	return c;
}

int lp_quoted(struct p *p, const char *what, char **out)
{
	if (lp_at_end(p) || !p->t[p->i].quoted)
		return lp_expected(p, what);
	*out = lp_xstrdup(p, p->t[p->i++].s);
	return *out ? 0 : -1;
}

/* ---- values ---- */

int lab_parse_time(const char *s, uint64_t *ns)
{
	static const struct { const char *u; long double ns; } units[] = {
		{ "ns", 1 }, { "us", 1e3L }, { "ms", 1e6L }, { "s", 1e9L }, { "sec", 1e9L },
		{ "min", 60e9L }, { "h", 3600e9L },
	};
	char *end;
	if (!isdigit((unsigned char)s[0]))
		return -1;
	long double v = strtold(s, &end);
	if (!strcmp(s, "0")) {
		*ns = 0;
		return 0;
	}
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++)
		if (!strcmp(end, units[i].u)) {
			long double x = v * units[i].ns;
			if (!(x >= 0) || x > 1e19L)
				return -1;
			*ns = (uint64_t)(x + 0.5L); /* rounded: 0.1s is 100000000 ns */
			return 0;
		}
	return -1;
}

int lp_time_arg(struct p *p, uint64_t *ns)
{
	if (lp_at_end(p) || p->t[p->i].quoted || lab_parse_time(p->t[p->i].s, ns))
		return lp_expected(p, "a time (0, 250us, 10ms, 1.5s, 2min, 1h)");
	p->i++;
	return 0;
}

int lp_long_arg(struct p *p, const char *what, long lo, long hi, long *v)
{
	const char *w = lp_at_end(p) || p->t[p->i].quoted ? NULL : p->t[p->i].s;
	char *end;
	long x = w ? strtol(w, &end, 10) : 0;
	if (!w || !*w || *end || x < lo || x > hi) {
		char buf[96];
		snprintf(buf, sizeof(buf), "%s (a whole number from %ld to %ld)", what, lo, hi);
		return lp_expected(p, buf);
	}
	p->i++;
	*v = x;
	return 0;
}

/* "10%" or a fraction "0.1". */
int lp_prob_arg(struct p *p, double *v)
{
	const char *w = lp_word(p);
	char *end;
	double x = w ? strtod(w, &end) : -1;
	if (w && *end == '%' && !end[1])
		x /= 100;
	else if (!w || *end)
		x = -1;
	if (!(x >= 0 && x <= 1)) {
		if (w)
			p->i--;
		return lp_expected(p, "a probability (10%, 0.5%, or a fraction from 0 to 1)");
	}
	*v = x;
	return 0;
}

int lp_ip_parse(const char *s, uint32_t *ip)
{
	unsigned a, b, c, d;
	char tail;
	if (sscanf(s, "%u.%u.%u.%u%c", &a, &b, &c, &d, &tail) != 4 || a > 255 || b > 255 ||
	    c > 255 || d > 255)
		return -1;
	*ip = SK_IP(a, b, c, d);
	return 0;
}

int lp_host_find(const struct lab_scenario *sc, const char *name)
{
	for (int i = 0; i < sc->nhosts; i++)
		if (!strcmp(sc->hosts[i].name, name))
			return i;
	return -1;
}

/* A host name or an IPv4 address; `*` or nothing is 0.0.0.0. */
int lp_addr_of(struct p *p, const char *s, uint32_t *ip)
{
	if (!*s || !strcmp(s, "*")) {
		*ip = 0;
		return 0;
	}
	int h = lp_host_find(p->sc, s);
	if (h >= 0) {
		*ip = p->sc->hosts[h].addr;
		return 0;
	}
	return lp_ip_parse(s, ip);
}

/* ADDR:PORT where ADDR is a host name, an address, `*` or nothing. */
int lp_endpoint_arg(struct p *p, uint32_t *ip, uint16_t *port)
{
	const char *w = lp_word(p);
	const char *colon = w ? strrchr(w, ':') : NULL;
	char addr[64];
	char *end;
	long v = colon ? strtol(colon + 1, &end, 10) : -1;
	if (colon && (size_t)(colon - w) < sizeof(addr)) {
		memcpy(addr, w, (size_t)(colon - w));
		addr[colon - w] = 0;
	}
	if (!colon || (size_t)(colon - w) >= sizeof(addr) || !colon[1] || *end || v < 0 ||
	    v > 65535 || lp_addr_of(p, addr, ip)) {
		if (w)
			p->i--;
		return lp_expected(p, "ADDRESS:PORT (10.0.0.2:80, server:80 or *:80)");
	}
	*port = (uint16_t)v;
	return 0;
}

int lp_host_arg(struct p *p, int allow_any, int *h)
{
	const char *w = lp_word(p);
	if (w && allow_any && !strcmp(w, "*")) {
		*h = -1;
		return 0;
	}
	*h = w ? lp_host_find(p->sc, w) : -1;
	if (*h < 0) {
		if (w)
			p->i--;
		return lp_expected(p, allow_any ? "a host declared with 'host' or 'raw', or '*'"
					     : "a host declared with 'host' or 'raw'");
	}
	return 0;
}

int lp_stack_host_arg(struct p *p, int *h)
{
	if (lp_host_arg(p, 0, h))
		return -1;
	if (p->sc->hosts[*h].raw) {
		p->i--;
		return lp_expected(p, "a host with a stack (declared with 'host', not 'raw')");
	}
	return 0;
}

int lp_raw_host_arg(struct p *p, int *h)
{
	if (lp_host_arg(p, 0, h))
		return -1;
	if (!p->sc->hosts[*h].raw) {
		p->i--;
		return lp_expected(p, "a raw host (declared with 'raw')");
	}
	return 0;
}

const char *lab_errno_name(int e)
{
	const char *n = e > 0 ? strerrorname_np(e) : NULL;
	return n ? n : "E?";
}

int lp_errno_parse(const char *s)
{
	for (int e = 1; e < 200; e++) {
		const char *n = strerrorname_np(e);
		if (n && !strcmp(n, s))
			return e;
	}
	return 0;
}

int lab_state_parse(const char *s)
{
	/* ss's names and Linux's: ESTAB, ESTABLISHED, SYN-SENT, SYN_SENT,
	 * FIN-WAIT-1, FIN_WAIT1, UNCONN, CLOSE, CLOSED, ... */
	char n[32];
	size_t k = 0;
	for (; *s && k + 1 < sizeof(n); s++)
		if (*s != '-' && *s != '_')
			n[k++] = (char)toupper((unsigned char)*s);
	n[k] = 0;
	if (!strcmp(n, "GONE"))
		return LAB_STATE_GONE;
	if (!strcmp(n, "ESTABLISHED"))
		return SK_TCP_ESTABLISHED;
	if (!strcmp(n, "CLOSE") || !strcmp(n, "CLOSED"))
		return SK_TCP_CLOSE;
	for (int st = SK_TCP_ESTABLISHED; st <= SK_TCP_CLOSING; st++) {
		char m[32];
		size_t j = 0;
		for (const char *q = sk_state_name(st); *q && j + 1 < sizeof(m); q++)
			if (*q != '-')
				m[j++] = *q;
		m[j] = 0;
		if (!strcmp(n, m))
			return st;
	}
	return -1;
}

int lp_op_arg(struct p *p, enum lab_op *op)
{
	static const struct { const char *s; enum lab_op op; } ops[] = {
		{ "=", OP_EQ }, { "==", OP_EQ }, { "!=", OP_NE }, { "<", OP_LT },
		{ "<=", OP_LE }, { ">", OP_GT }, { ">=", OP_GE },
	};
	for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
		if (lp_accept_word(p, ops[i].s)) {
			*op = ops[i].op;
			return 1;
		}
	*op = OP_EQ;
	return 0;
}

/* ---- variables ---- */

static const char *const reserved[] = { "count", "counter", "state", "nonblock", "packet", NULL };

int lp_var_index(struct p *p, int host, const char *name, int assign)
{
	struct lab_host *h = &p->sc->hosts[host];
	for (int i = 0; i < h->nvars; i++)
		if (!strcmp(h->vars[i], name))
			return i;
	if (!assign)
		return -1;
	int ok = isalpha((unsigned char)name[0]) || name[0] == '_';
	for (const char *c = name; *c; c++)
		ok &= isalnum((unsigned char)*c) || *c == '_';
	for (int i = 0; reserved[i]; i++)
		ok &= strcmp(name, reserved[i]) != 0;
	if (!ok)
		return lp_fail(p, "'%s' cannot name a descriptor: use letters, digits and _ (not count, "
			       "counter, state, nonblock or packet)", name);
	char **v = realloc(h->vars, (size_t)(h->nvars + 1) * sizeof(*v));
	if (!v)
		return lp_fail(p, "out of memory");
	h->vars = v;
	if (!(v[h->nvars] = lp_xstrdup(p, name)))
		return -1;
	return h->nvars++;
}

/* A descriptor variable that some line of this host assigns: checked
 * when the whole file has been read (lab_parse's last step), since lines
 * run by time, not in file order. */
int lp_var_use(struct p *p, int host, int *var)
{
	const char *w = lp_word(p);
	if (!w)
		return lp_expected(p, "a descriptor variable (assigned with 'NAME = socket' or 'NAME = accept L')");
	*var = lp_var_index(p, host, w, 1);
	return *var < 0 ? -1 : 0;
}


/* ---- statements ---- */

struct lab_item *lp_item_new(struct p *p, enum lab_item_kind kind, uint64_t at_ns)
{
	struct lab_scenario *sc = p->sc;
	struct lab_item *it = realloc(sc->items, (size_t)(sc->nitems + 1) * sizeof(*it));
	if (!it) {
		lp_fail(p, "out of memory");
		return NULL;
	}
	sc->items = it;
	it = &sc->items[sc->nitems++];
	memset(it, 0, sizeof(*it));
	it->kind = kind;
	it->line = p->line;
	it->at_ns = at_ns;
	it->repeat = 1;
	it->host = it->host2 = -1;
	return it;
}

static int scenario_stmt(struct p *p)
{
	struct lab_scenario *sc = p->sc;
	if (sc->name)
		return lp_fail(p, "a second 'scenario' line: a file holds one scenario");
	const char *name = lp_word(p);
	if (!name)
		return lp_expected(p, "the scenario's name");
	if (!(sc->name = lp_xstrdup(p, name)) || lp_quoted(p, "a one-line description in quotes", &sc->desc))
		return -1;
	while (!lp_at_end(p)) {
		const char *id = lp_word(p);
		size_t k = 0;
		while (id && isupper((unsigned char)id[k]))
			k++;
		int ok = id && k > 0 && id[k] && strspn(id + k, "0123456789") == strlen(id + k);
		if (!ok) {
			if (id)
				p->i--;
			return lp_expected(p, "a catalog ID such as H12 or C4");
		}
		if (sc->nids == LAB_MAX_IDS)
			return lp_fail(p, "more than %d catalog IDs", LAB_MAX_IDS);
		if (!(sc->ids[sc->nids++] = lp_xstrdup(p, id)))
			return -1;
	}
	return 0;
}

static int knob_check(struct p *p, const char *name, const char *value)
{
	struct sk_knobs k;
	sk_knobs_default(&k);
	int err = sk_knob_set(&k, name, value);
	if (err == -ENOENT)
		return lp_fail(p, "unknown knob '%s': knobs are Linux sysctl names such as "
			       "tcp_syn_retries (see docs/api.md)", name);
	if (err)
		return lp_fail(p, "bad value '%s' for knob %s", value, name);
	return 0;
}

static int host_knob_add(struct p *p, struct lab_host *h, const char *name, const char *value)
{
	if (knob_check(p, name, value))
		return -1;
	struct lab_knob *k = realloc(h->knobs, (size_t)(h->nknobs + 1) * sizeof(*k));
	if (!k)
		return lp_fail(p, "out of memory");
	h->knobs = k;
	k[h->nknobs].name = lp_xstrdup(p, name);
	k[h->nknobs].value = lp_xstrdup(p, value);
	h->nknobs++;
	return k[h->nknobs - 1].name && k[h->nknobs - 1].value ? 0 : -1;
}

static int host_stmt(struct p *p, int raw)
{
	struct lab_scenario *sc = p->sc;
	const char *name = lp_word(p);
	static const char *const taken[] = { "net", "lab", "router", "packet", "any", NULL };
	int ok = name && isalpha((unsigned char)name[0]) && strlen(name) <= 15;
	for (const char *c = name; ok && *c; c++)
		ok = isalnum((unsigned char)*c) || *c == '-' || *c == '_';
	for (int i = 0; ok && taken[i]; i++)
		ok = strcmp(name, taken[i]) != 0;
	if (!ok) {
		if (name)
			p->i--;
		return lp_expected(p, "a host name (a letter, then letters, digits, - or _; at most 15; "
				   "not net, lab, router, packet or any)");
	}
	if (lp_host_find(sc, name) >= 0)
		return lp_fail(p, "host '%s' is declared twice", name);
	if (sc->nhosts == LAB_MAX_HOSTS)
		return lp_fail(p, "more than %d hosts", LAB_MAX_HOSTS);
	struct lab_host *h = &sc->hosts[sc->nhosts];
	const char *a = lp_word(p);
	if (!a || lp_ip_parse(a, &h->addr) || h->addr == 0) {
		if (a)
			p->i--;
		return lp_expected(p, "the host's IPv4 address (like 10.0.0.1)");
	}
	for (int i = 0; i < sc->nhosts; i++)
		if (sc->hosts[i].addr == h->addr)
			return lp_fail(p, "address %s is already %s's", a, sc->hosts[i].name);
	if (!(h->name = lp_xstrdup(p, name)))
		return -1;
	h->raw = raw;
	sc->nhosts++;
	while (!raw && !lp_at_end(p)) {
		const char *kv = lp_word(p);
		const char *eq = kv ? strchr(kv, '=') : NULL;
		if (!eq || eq == kv) {
			if (kv)
				p->i--;
			return lp_expected(p, "KNOB=VALUE (like tcp_syn_retries=5)");
		}
		char knob[64];
		snprintf(knob, sizeof(knob), "%.*s", (int)(eq - kv), kv);
		if (host_knob_add(p, h, knob, eq + 1))
			return -1;
	}
	return lp_need_end(p);
}

/* KNOB VALUE...: the value is the rest of the line (or one quoted token),
 * so `ip_local_port_range 40000 40007` needs no quotes. */
int lp_knob_value(struct p *p, char **knob, char **value)
{
	const char *k = lp_word(p);
	if (!k)
		return lp_expected(p, "a knob name (like tcp_syn_retries)");
	char v[256] = "";
	while (!lp_at_end(p)) {
		size_t len = strlen(v);
		snprintf(v + len, sizeof(v) - len, "%s%s", len ? " " : "", p->t[p->i++].s);
	}
	if (!*v)
		return lp_expected(p, "the knob's value");
	if (knob_check(p, k, v))
		return -1;
	*knob = lp_xstrdup(p, k);
	*value = lp_xstrdup(p, v);
	return *knob && *value ? 0 : -1;
}

static int set_stmt(struct p *p, uint64_t at_ns, int timed)
{
	int h;
	if (lp_host_arg(p, 1, &h))
		return -1;
	if (h >= 0 && p->sc->hosts[h].raw) {
		p->i--;
		return lp_expected(p, "a host with a stack (a raw host has no knobs)");
	}
	char *knob, *value;
	if (lp_knob_value(p, &knob, &value))
		return -1;
	if (!timed) { /* set-up: the knob is part of the host's configuration */
		int rc = 0;
		for (int i = 0; i < p->sc->nhosts && !rc; i++)
			if ((h < 0 && !p->sc->hosts[i].raw) || i == h)
				rc = host_knob_add(p, &p->sc->hosts[i], knob, value);
		free(knob);
		free(value);
		return rc;
	}
	struct lab_item *it = lp_item_new(p, IT_SET, at_ns);
	if (!it) {
		free(knob);
		free(value);
		return -1;
	}
	it->host = h;
	it->knob = knob;
	it->value = value;
	return 0;
}


/* `at TIME [repeat N every TIME] WHAT` */
static int at_stmt(struct p *p)
{
	uint64_t at;
	if (lp_time_arg(p, &at))
		return -1;
	int repeat = 1;
	uint64_t every = 0;
	if (lp_accept_word(p, "repeat")) {
		long n;
		if (lp_long_arg(p, "a repeat count", 1, LAB_MAX_REPEAT, &n) || lp_need_word(p, "every") ||
		    lp_time_arg(p, &every))
			return -1;
		repeat = (int)n;
	}
	const char *w = lp_at_end(p) || p->t[p->i].quoted ? NULL : p->t[p->i].s;
	size_t len = w ? strlen(w) : 0;
	if (w && len > 1 && w[len - 1] == ':') {
		char name[32];
		snprintf(name, sizeof(name), "%.*s", (int)(len - 1), w);
		int h = lp_host_find(p->sc, name);
		if (h < 0 || p->sc->hosts[h].raw)
			return lp_expected(p, "HOST: with a host that has a stack");
		p->i++;
		return lp_thread_stmt(p, at, h, repeat, every);
	}
	if (repeat == 1 && lp_accept_word(p, "set"))
		return set_stmt(p, at, 1);
	if (repeat != 1)
		return lp_fail(p, "'repeat' applies to application lines (at TIME repeat N every T HOST: ...)");
	return lp_timed_stmt(p, at);
}

static int statement(struct p *p)
{
	const char *w = lp_word(p);
	if (!w)
		return lp_expected(p, "a statement (scenario, host, raw, link, path, set, drop, seed, "
				   "end, pending, at, expect)");
	if (strcmp(w, "scenario") && !p->sc->name)
		return lp_fail(p, "expected 'scenario NAME \"description\" IDS...' first, got '%s'", w);
	if (!strcmp(w, "scenario"))
		return scenario_stmt(p);
	if (!strcmp(w, "host") || !strcmp(w, "raw"))
		return host_stmt(p, w[0] == 'r');
	if (!strcmp(w, "seed")) {
		long v;
		if (lp_long_arg(p, "a seed", 0, 0x7fffffffL, &v))
			return -1;
		p->sc->seed = (uint64_t)v;
		return lp_need_end(p);
	}
	if (!strcmp(w, "end")) {
		if (lp_time_arg(p, &p->sc->end_ns))
			return -1;
		p->sc->has_end = 1;
		return lp_need_end(p);
	}
	if (!strcmp(w, "pending"))
		return lp_quoted(p, "why the scenario fails for now, in quotes", &p->sc->pending) ? -1 : lp_need_end(p);
	if (!strcmp(w, "set"))
		return set_stmt(p, 0, 0);
	if (!strcmp(w, "at"))
		return at_stmt(p);
	p->i--;
	static const char *const later[] = { "link", "path", "drop", "expect", "crash", "reboot", "kill",
					     "partition", "heal", "flood", "inject", "ss", NULL };
	for (int i = 0; later[i]; i++)
		if (!strcmp(w, later[i]))
			return lp_timed_stmt(p, UINT64_MAX); /* set-up, or says it needs `at` */
	return lp_expected(p, "a statement (scenario, host, raw, link, path, set, drop, seed, end, "
			   "pending, at, expect)");
}

/* Every descriptor variable used is assigned by some line of its host. */
static int vars_check(struct p *p)
{
	for (int i = 0; i < p->sc->nitems; i++) {
		const struct lab_item *it = &p->sc->items[i];
		const struct lab_call *c = it->calls;
		for (int k = 0; it->kind == IT_THREAD && k < it->ncalls; k++)
			if (c[k].var >= 0 && !lp_var_assigned(p->sc, it->host, c[k].var)) {
				p->line = c[k].line;
				return lp_fail(p, "'%s' is not assigned on %s: expected 'NAME = socket' or "
					       "'NAME = accept L' on some line of that host",
					    p->sc->hosts[it->host].vars[c[k].var], p->sc->hosts[it->host].name);
			}
		if (it->kind == IT_EXPECT && it->ex.var >= 0 && !lp_var_assigned(p->sc, it->ex.host, it->ex.var)) {
			p->line = it->line;
			return lp_fail(p, "'%s' is not assigned on %s", p->sc->hosts[it->ex.host].vars[it->ex.var],
				    p->sc->hosts[it->ex.host].name);
		}
	}
	return 0;
}

struct lab_scenario *lab_parse(const char *file, const char *text, char *err, size_t errcap)
{
	struct p p = { .file = file, .err = err, .errcap = errcap };
	p.sc = calloc(1, sizeof(*p.sc));
	if (!p.sc || !(p.sc->file = strdup(file))) {
		snprintf(err, errcap, "%s: out of memory", file);
		free(p.sc);
		return NULL;
	}
	p.sc->seed = 1;
	int rc = 0;
	for (const char *s = text; *s && !rc;) {
		const char *nl = strchr(s, '\n');
		size_t len = nl ? (size_t)(nl - s) : strlen(s);
		p.line++;
		rc = tokenize(&p, s, len);
		if (!rc && p.n)
			rc = statement(&p);
		s += len + (nl != NULL);
	}
	free(p.buf);
	if (!rc && !p.sc->name) {
		p.line = p.line ? p.line : 1;
		rc = lp_fail(&p, "expected 'scenario NAME \"description\" IDS...': the file has none");
	}
	if (!rc)
		rc = vars_check(&p);
	if (rc) {
		lab_scenario_free(p.sc);
		return NULL;
	}
	return p.sc;
}

void lab_scenario_free(struct lab_scenario *sc)
{
	if (!sc)
		return;
	for (int i = 0; i < sc->nitems; i++) {
		struct lab_item *it = &sc->items[i];
		for (int k = 0; k < it->ncalls; k++)
			free(it->calls[k].data);
		free(it->calls);
		free(it->knob);
		free(it->value);
		free(it->text);
		free(it->data);
		free(it->ex.text);
	}
	free(sc->items);
	for (int i = 0; i < sc->nhosts; i++) {
		struct lab_host *h = &sc->hosts[i];
		for (int k = 0; k < h->nknobs; k++) {
			free(h->knobs[k].name);
			free(h->knobs[k].value);
		}
		free(h->knobs);
		for (int k = 0; k < h->nvars; k++)
			free(h->vars[k]);
		free(h->vars);
		free(h->name);
	}
	for (int i = 0; i < sc->nids; i++)
		free(sc->ids[i]);
	free(sc->file);
	free(sc->name);
	free(sc->desc);
	free(sc->pending);
	free(sc);
}
