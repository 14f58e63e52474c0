/* Byte rings for the send and receive buffers. A ring holds memory only
 * while it holds bytes (an idle connection costs nothing here), grows by
 * doubling up to the buffer limit, and gives its memory back when emptied.
 * Emptied buffers go to a small per-stack cache by size, so a busy
 * connection that drains its buffer on every segment does not call the
 * allocator per packet. */
#include "core.h"

static unsigned size_class(uint32_t cap)
{
	unsigned k = 0;
	while ((RING_MIN << k) < cap)
		k++;
	return k;
}

static uint8_t *buf_get(struct sk_stack *st, uint32_t cap)
{
	unsigned k = size_class(cap);
	if (k < RING_CLASSES && st->ring_cache[k]) {
		struct ring_free *f = st->ring_cache[k];
		st->ring_cache[k] = f->next;
		st->ring_cached[k]--;
		return (uint8_t *)f;
	}
	return sk_alloc(st, cap);
}

static void buf_put(struct sk_stack *st, uint8_t *buf, uint32_t cap)
{
	unsigned k = size_class(cap);
	if (k < RING_CLASSES && st->ring_cached[k] < RING_CACHE_MAX) {
		struct ring_free *f = (struct ring_free *)(void *)buf;
		f->next = st->ring_cache[k];
		st->ring_cache[k] = f;
		st->ring_cached[k]++;
		return;
	}
	sk_free(st, buf, cap);
}

void ring_cache_free(struct sk_stack *st)
{
	for (unsigned k = 0; k < RING_CLASSES; k++)
		while (st->ring_cache[k]) {
			struct ring_free *f = st->ring_cache[k];
			st->ring_cache[k] = f->next;
			sk_free(st, f, RING_MIN << k);
		}
}

static uint32_t pow2_at_least(uint32_t n)
{
	uint32_t c = RING_MIN;
	while (c < n)
		c <<= 1;
	return c;
}

static int ring_grow(struct sk_stack *st, struct ring *r, uint32_t need)
{
	uint32_t cap = pow2_at_least(need);
	uint8_t *buf = buf_get(st, cap);
	if (!buf)
		return -ENOBUFS;
	if (r->len)
		ring_peek(r, 0, buf, r->len);
	if (r->buf)
		buf_put(st, r->buf, r->cap);
	r->buf = buf;
	r->cap = cap;
	r->head = 0;
	return 0;
}

/* Appends up to n bytes, no more than `limit` held in all. Returns how
 * many were taken (0 when full), or -ENOBUFS when memory runs out. */
int ring_write(struct sk_stack *st, struct ring *r, const void *p, uint32_t n, uint32_t limit)
{
	uint32_t room = ring_room(r, limit);
	if (n > room)
		n = room;
	if (n == 0)
		return 0;
	if (r->len + n > r->cap && ring_grow(st, r, r->len + n) < 0)
		return -ENOBUFS;
	uint32_t tail = (r->head + r->len) & (r->cap - 1);
	uint32_t first = r->cap - tail < n ? r->cap - tail : n;
	memcpy(r->buf + tail, p, first);
	memcpy(r->buf, (const uint8_t *)p + first, n - first);
	r->len += n;
	return (int)n;
}

/* Copies n bytes starting `off` bytes into the ring; the caller keeps
 * off + n <= len. */
void ring_peek(const struct ring *r, uint32_t off, void *p, uint32_t n)
{
	if (n == 0)
		return;
	uint32_t at = (r->head + off) & (r->cap - 1);
	uint32_t first = r->cap - at < n ? r->cap - at : n;
	memcpy(p, r->buf + at, first);
	memcpy((uint8_t *)p + first, r->buf, n - first);
}

/* Removes n bytes from the front; frees the memory once empty. */
void ring_drop(struct sk_stack *st, struct ring *r, uint32_t n)
{
	if (n >= r->len) {
		ring_free(st, r);
		return;
	}
	r->head = (r->head + n) & (r->cap - 1);
	r->len -= n;
}

void ring_free(struct sk_stack *st, struct ring *r)
{
	if (r->buf)
		buf_put(st, r->buf, r->cap);
	r->buf = NULL;
	r->cap = r->head = r->len = 0;
}
