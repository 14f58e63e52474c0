/* The host's tables: connections by 4-tuple, listeners by port, bound
 * ports, and descriptors. Lookups are O(1): chained hashes keyed per stack
 * (so an attacker cannot aim at one chain) that double when they fill. */
#include "core.h"

#define TABLE_MIN 64

static uint32_t mix_hash(const struct sk_stack *st, uint64_t a, uint64_t b)
{
	/* A keyed multiply-xorshift mix: cheap, and the key keeps chains
	 * unpredictable from outside. */
	uint64_t h = (a ^ st->hash_key[0]) * 0x9e3779b97f4a7c15ull;
	h ^= (b ^ st->hash_key[1]) + (h >> 29);
	h *= 0xbf58476d1ce4e5b9ull;
	return (uint32_t)(h ^ (h >> 32));
}

static uint32_t tuple_hash(const struct sk_stack *st, uint32_t laddr, uint16_t lport,
			   uint32_t raddr, uint16_t rport)
{
	return mix_hash(st, (uint64_t)laddr << 32 | raddr, (uint64_t)lport << 16 | rport);
}

static void **table_new(struct sk_stack *st, uint32_t n)
{
	void **t = sk_alloc(st, n * sizeof(void *));
	if (t)
		memset(t, 0, n * sizeof(void *));
	return t;
}

int table_init(struct sk_stack *st)
{
	st->ehash = (struct hnode **)table_new(st, TABLE_MIN);
	st->lhash = (struct hnode **)table_new(st, TABLE_MIN);
	st->bhash = (struct port_bucket **)table_new(st, TABLE_MIN);
	st->ehash_mask = st->lhash_mask = st->bhash_mask = TABLE_MIN - 1;
	if (!st->ehash || !st->lhash || !st->bhash)
		return -ENOMEM;
	return 0;
}

void table_free(struct sk_stack *st)
{
	sk_free(st, st->ehash, (st->ehash_mask + 1) * sizeof(void *));
	sk_free(st, st->lhash, (st->lhash_mask + 1) * sizeof(void *));
	sk_free(st, st->bhash, (st->bhash_mask + 1) * sizeof(void *));
	sk_free(st, st->fds, (size_t)st->fd_cap * sizeof(void *));
	sk_free(st, st->fd_used, (size_t)st->fd_cap / 64 * sizeof(uint64_t));
	st->ehash = st->lhash = NULL;
	st->bhash = NULL;
	st->fds = NULL;
	st->fd_used = NULL;
}

/* ---- connections (and TIME-WAIT records) ---- */

struct hnode *ehash_lookup(struct sk_stack *st, uint32_t laddr, uint16_t lport,
			   uint32_t raddr, uint16_t rport)
{
	struct hnode *n = st->ehash[tuple_hash(st, laddr, lport, raddr, rport) & st->ehash_mask];
	for (; n; n = n->hnext)
		if (n->lport == lport && n->rport == rport && n->raddr == raddr && n->laddr == laddr)
			return n;
	return NULL;
}

struct sk_sock *ehash_lookup_sock(struct sk_stack *st, uint32_t laddr, uint16_t lport,
				  uint32_t raddr, uint16_t rport)
{
	struct hnode *n = ehash_lookup(st, laddr, lport, raddr, rport);
	return n && n->state != SK_TCP_TIME_WAIT ? (struct sk_sock *)n : NULL;
}

static void ehash_grow(struct sk_stack *st)
{
	uint32_t n = (st->ehash_mask + 1) * 2;
	struct hnode **t = (struct hnode **)table_new(st, n);
	if (!t)
		return; /* keep the old table: longer chains, still correct */
	for (uint32_t i = 0; i <= st->ehash_mask; i++) {
		struct hnode *e = st->ehash[i], *next;
		for (; e; e = next) {
			next = e->hnext;
			uint32_t h = tuple_hash(st, e->laddr, e->lport, e->raddr, e->rport) & (n - 1);
			e->hnext = t[h];
			t[h] = e;
		}
	}
	sk_free(st, st->ehash, (st->ehash_mask + 1) * sizeof(void *));
	st->ehash = t;
	st->ehash_mask = n - 1;
}

int ehash_insert(struct sk_stack *st, struct hnode *n)
{
	if (st->ehash_count > st->ehash_mask)
		ehash_grow(st);
	uint32_t h = tuple_hash(st, n->laddr, n->lport, n->raddr, n->rport) & st->ehash_mask;
	n->hnext = st->ehash[h];
	st->ehash[h] = n;
	st->ehash_count++;
	n->hashed = 1;
	return 0;
}

void ehash_remove(struct sk_stack *st, struct hnode *n)
{
	if (!n->hashed)
		return;
	struct hnode **pp = &st->ehash[tuple_hash(st, n->laddr, n->lport, n->raddr, n->rport) &
				       st->ehash_mask];
	while (*pp != n)
		pp = &(*pp)->hnext;
	*pp = n->hnext;
	n->hnext = NULL;
	st->ehash_count--;
	n->hashed = 0;
}

/* ---- listeners: few, so a fixed-size chained table ---- */

struct sk_sock *lhash_lookup(struct sk_stack *st, uint16_t port)
{
	struct hnode *n = st->lhash[port & st->lhash_mask];
	for (; n; n = n->hnext)
		if (n->lport == port)
			return (struct sk_sock *)n;
	return NULL;
}

int lhash_insert(struct sk_stack *st, struct sk_sock *s)
{
	uint32_t h = s->lport & st->lhash_mask;
	s->hnext = st->lhash[h];
	st->lhash[h] = &s->hn;
	st->lhash_count++;
	return 0;
}

void lhash_remove(struct sk_stack *st, struct sk_sock *s)
{
	struct hnode **pp = &st->lhash[s->lport & st->lhash_mask];
	while (*pp && *pp != &s->hn)
		pp = &(*pp)->hnext;
	if (*pp) {
		*pp = s->hnext;
		s->hnext = NULL;
		st->lhash_count--;
	}
}

/* ---- bound ports (Linux's bind buckets) ---- */

static struct port_bucket **bucket_slot(struct sk_stack *st, uint16_t port)
{
	struct port_bucket **pp = &st->bhash[mix_hash(st, port, 0) & st->bhash_mask];
	while (*pp && (*pp)->port != port)
		pp = &(*pp)->next;
	return pp;
}

static void bhash_grow(struct sk_stack *st)
{
	uint32_t n = (st->bhash_mask + 1) * 2;
	struct port_bucket **t = (struct port_bucket **)table_new(st, n);
	if (!t)
		return;
	for (uint32_t i = 0; i <= st->bhash_mask; i++) {
		struct port_bucket *b = st->bhash[i], *next;
		for (; b; b = next) {
			next = b->next;
			uint32_t h = mix_hash(st, b->port, 0) & (n - 1);
			b->next = t[h];
			t[h] = b;
		}
	}
	sk_free(st, st->bhash, (st->bhash_mask + 1) * sizeof(void *));
	st->bhash = t;
	st->bhash_mask = n - 1;
}

/* Whether `s` may bind `port` beside the sockets that hold it. Linux's
 * rule (inet_csk_bind_conflict): a conflict unless both sides set
 * SO_REUSEADDR and the holder is not listening. */
int port_check_bind(struct sk_stack *st, const struct sk_sock *s, uint16_t port)
{
	struct port_bucket *b = *bucket_slot(st, port);
	if (!b)
		return 0;
	/* TIME-WAIT never listens: it yields only to two SO_REUSEADDR sides */
	if (b->tw_count && (!(s->flags & SOCKF_REUSEADDR) || b->tw_noreuse))
		return -EADDRINUSE;
	for (struct sk_sock *o = b->owners; o; o = o->port_next) {
		if (o == s)
			continue;
		bool reuse = (s->flags & SOCKF_REUSEADDR) && (o->flags & SOCKF_REUSEADDR) &&
			     o->state != SK_TCP_LISTEN;
		if (!reuse)
			return -EADDRINUSE;
	}
	return 0;
}

/* The bucket of `port`, made if it has none. */
static struct port_bucket *bucket_get(struct sk_stack *st, uint16_t port)
{
	struct port_bucket **pp = bucket_slot(st, port), *b = *pp;
	if (b)
		return b;
	b = sk_alloc(st, sizeof(*b));
	if (!b)
		return NULL;
	memset(b, 0, sizeof(*b));
	b->port = port;
	*pp = b;
	if (++st->bhash_count > st->bhash_mask)
		bhash_grow(st);
	return b;
}

/* Frees the bucket of `port` once nothing holds the port. */
static void bucket_put(struct sk_stack *st, uint16_t port)
{
	struct port_bucket **pp = bucket_slot(st, port), *b = *pp;
	if (b && !b->owners && !b->tw_count) {
		*pp = b->next;
		sk_free(st, b, sizeof(*b));
		st->bhash_count--;
	}
}

void port_tw_hold(struct sk_stack *st, uint16_t port, uint8_t tw_flags)
{
	struct port_bucket *b = bucket_get(st, port);
	if (!b)
		return; /* out of memory: the port is merely less protected */
	b->tw_count++;
	b->tw_noreuse += !(tw_flags & TW_REUSEADDR);
	b->tw_user_bound += !!(tw_flags & TW_USER_BOUND);
}

void port_tw_release(struct sk_stack *st, uint16_t port, uint8_t tw_flags)
{
	struct port_bucket *b = *bucket_slot(st, port);
	if (!b || !b->tw_count)
		return;
	b->tw_count--;
	b->tw_noreuse -= !(tw_flags & TW_REUSEADDR);
	b->tw_user_bound -= !!(tw_flags & TW_USER_BOUND);
	bucket_put(st, port);
}

int port_bind(struct sk_stack *st, struct sk_sock *s, uint16_t port)
{
	struct port_bucket *b = bucket_get(st, port);
	if (!b)
		return -ENOBUFS;
	s->port_next = b->owners;
	if (b->owners)
		b->owners->port_pprev = &s->port_next;
	s->port_pprev = &b->owners;
	b->owners = s;
	s->lport = port;
	s->flags |= SOCKF_BOUND;
	return 0;
}

void port_unbind(struct sk_stack *st, struct sk_sock *s)
{
	if (!(s->flags & SOCKF_BOUND))
		return;
	*s->port_pprev = s->port_next;
	if (s->port_next)
		s->port_next->port_pprev = s->port_pprev;
	s->port_next = NULL;
	s->port_pprev = NULL;
	s->flags &= ~(SOCKF_BOUND | SOCKF_USER_BOUND);
	bucket_put(st, s->lport);
}

/* Whether a port's holders all came from connect() (no bind(), no
 * listener): only then may another connect share it (Linux skips ports
 * bound with bind() in __inet_hash_connect). */
static bool port_shareable(struct sk_stack *st, uint16_t port)
{
	struct port_bucket *b = *bucket_slot(st, port);
	if (!b)
		return true;
	if (b->tw_user_bound)
		return false;
	for (struct sk_sock *o = b->owners; o; o = o->port_next)
		if (o->flags & SOCKF_USER_BOUND)
			return false;
	return true;
}

/* Chooses an ephemeral port for a connect from ip_local_port_range, as
 * RFC 6056 §3.3.4 (algorithm 4, double-hash) and Linux do: a keyed hash of
 * the destination picks the start, a perturbation table entry moves it on
 * after each use; even ports are tried first (Linux leaves odd ones to
 * bind()). The 4-tuple must be unused. */
int port_connect(struct sk_stack *st, struct sk_sock *s)
{
	uint32_t low = (uint32_t)st->cfg.knobs.ip_local_port_range[0];
	uint32_t high = (uint32_t)st->cfg.knobs.ip_local_port_range[1] + 1; /* exclusive */
	uint32_t remaining = high - low;
	if (remaining > 1)
		remaining &= ~1u; /* Linux __inet_hash_connect */
	uint32_t key[3] = { s->laddr, s->raddr, s->rport };
	uint32_t h = (uint32_t)siphash24(st->isn_key, key, sizeof(key));
	uint32_t *perturb = &st->port_perturb[h & 255];
	uint32_t offset = (h + *perturb) % remaining;
	offset &= ~1u; /* first pass: ports of the low end's parity */
	for (int pass = 0; pass < 2; pass++, offset++) {
		uint32_t port = low + offset;
		for (uint32_t i = 0; i < remaining; i += 2, port += 2) {
			if (port >= high)
				port -= remaining;
			if (!port_shareable(st, (uint16_t)port))
				continue;
			struct hnode *n = ehash_lookup(st, s->laddr, (uint16_t)port, s->raddr, s->rport);
			s->lport = (uint16_t)port;
			if (n && !tcp_tw_take(st, s, n, false))
				continue;
			*perturb += i + 2;
			return port_bind(st, s, (uint16_t)port);
		}
		if (remaining == 1)
			break;
	}
	return -EADDRNOTAVAIL;
}

/* ---- descriptors: lowest free number first, like Linux ---- */

#define FD_FIRST 3

int fd_alloc(struct sk_stack *st, struct sk_sock *s)
{
	for (;;) {
		for (int w = st->fd_low_word; w < st->fd_cap / 64; w++) {
			if (st->fd_used[w] == ~0ull)
				continue;
			int fd = w * 64 + __builtin_ctzll(~st->fd_used[w]);
			st->fd_used[w] |= 1ull << (fd % 64);
			st->fd_low_word = w;
			st->fds[fd] = s;
			s->fd = fd;
			return fd;
		}
		int cap = st->fd_cap ? st->fd_cap * 2 : 64;
		struct sk_sock **fds = sk_alloc(st, (size_t)cap * sizeof(void *));
		uint64_t *used = sk_alloc(st, (size_t)cap / 64 * sizeof(uint64_t));
		if (!fds || !used) {
			sk_free(st, fds, (size_t)cap * sizeof(void *));
			sk_free(st, used, (size_t)cap / 64 * sizeof(uint64_t));
			return -EMFILE;
		}
		memset(fds, 0, (size_t)cap * sizeof(void *));
		memset(used, 0, (size_t)cap / 64 * sizeof(uint64_t));
		if (st->fd_cap) {
			memcpy(fds, st->fds, (size_t)st->fd_cap * sizeof(void *));
			memcpy(used, st->fd_used, (size_t)st->fd_cap / 64 * sizeof(uint64_t));
		} else {
			used[0] = (1ull << FD_FIRST) - 1; /* stdin, stdout, stderr */
		}
		sk_free(st, st->fds, (size_t)st->fd_cap * sizeof(void *));
		sk_free(st, st->fd_used, (size_t)st->fd_cap / 64 * sizeof(uint64_t));
		st->fds = fds;
		st->fd_used = used;
		st->fd_cap = cap;
	}
}

void fd_release(struct sk_stack *st, int fd)
{
	st->fds[fd] = NULL;
	st->fd_used[fd / 64] &= ~(1ull << (fd % 64));
	if (fd / 64 < st->fd_low_word)
		st->fd_low_word = fd / 64;
}

struct sk_sock *fd_get(struct sk_stack *st, int fd)
{
	if (fd < FD_FIRST || fd >= st->fd_cap)
		return NULL;
	return st->fds[fd];
}
