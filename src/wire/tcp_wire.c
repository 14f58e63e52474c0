/* TCP header parsing and emission (RFC 9293 §3.1, §3.2; options from
 * RFC 7323 and RFC 2018). */
#include <string.h>

#include "wire/wire.h"

#define TCP_MAX_OPT_LEN 40 /* data offset is 4 bits: 60-byte header */

/* Option lengths, kind and length bytes included. */
#define TCPOLEN_MSS 4       /* RFC 9293 §3.2 */
#define TCPOLEN_WSCALE 3    /* RFC 7323 §2.2 */
#define TCPOLEN_SACK_PERM 2 /* RFC 2018 §2 */
#define TCPOLEN_TIMESTAMP 10 /* RFC 7323 §3.2 */
#define TCPOLEN_SACK_BLOCK 8 /* RFC 2018 §3: each block is two sequence numbers */

/* Checks that a known option has the length its RFC fixes and records it.
 * A wrong length is an error rather than something to skip: RFC 9293
 * §3.2 says a TCP must be prepared for options of any kind, but a known
 * kind with the wrong size is a malformed segment. */
static enum wire_err opt_record(uint8_t kind, const uint8_t *p, uint8_t olen, struct tcp_opts *o)
{
	switch (kind) {
	case TCPOPT_MSS:
		if (olen != TCPOLEN_MSS)
			return WIRE_BAD_OPTION;
		o->has |= TCP_HAS_MSS;
		o->mss = get_be16(p + 2);
		break;
	case TCPOPT_WSCALE:
		if (olen != TCPOLEN_WSCALE)
			return WIRE_BAD_OPTION;
		o->has |= TCP_HAS_WSCALE;
		o->wscale = p[2];
		break;
	case TCPOPT_SACK_PERM:
		if (olen != TCPOLEN_SACK_PERM)
			return WIRE_BAD_OPTION;
		o->has |= TCP_HAS_SACK_PERM;
		break;
	case TCPOPT_TIMESTAMP:
		if (olen != TCPOLEN_TIMESTAMP)
			return WIRE_BAD_OPTION;
		o->has |= TCP_HAS_TS;
		o->tsval = get_be32(p + 2);
		o->tsecr = get_be32(p + 6);
		break;
	case TCPOPT_SACK: {
		/* RFC 2018 §3: 2 + 8n bytes; 40 bytes of options hold at most 4. */
		size_t n = (size_t)(olen - 2) / TCPOLEN_SACK_BLOCK;
		if ((olen - 2) % TCPOLEN_SACK_BLOCK != 0 || n < 1 || n > TCP_MAX_SACK)
			return WIRE_BAD_OPTION;
		o->has |= TCP_HAS_SACK;
		o->nsack = (uint8_t)n;
		for (size_t i = 0; i < n; i++) {
			o->sack[i].left = get_be32(p + 2 + 8 * i);
			o->sack[i].right = get_be32(p + 6 + 8 * i);
		}
		break;
	}
	default:
		break; /* unknown kinds are skipped by their length */
	}
	return WIRE_OK;
}

/* Walks the option list in [opt, opt + len) (RFC 9293 §3.2): EOL ends it,
 * NOP is one byte, every other kind has a length byte that counts kind and
 * length and must keep the option inside the header. */
static enum wire_err opts_parse(const uint8_t *opt, size_t len, struct tcp_opts *o)
{
	size_t i = 0;

	while (i < len) {
		uint8_t kind = opt[i];
		if (kind == TCPOPT_EOL)
			break;
		if (kind == TCPOPT_NOP) {
			i++;
			continue;
		}
		if (i + 1 >= len)
			return WIRE_BAD_OPTION; /* no room for the length byte */
		uint8_t olen = opt[i + 1];
		/* A length of 0 or 1 cannot cover its own kind and length
		 * bytes; RFC 9293 §3.2 asks that illegal lengths be handled
		 * without crashing, and we reject the segment. */
		if (olen < 2 || olen > len - i)
			return WIRE_BAD_OPTION;
		enum wire_err e = opt_record(kind, opt + i, olen, o);
		if (e != WIRE_OK)
			return e;
		i += olen;
	}
	return WIRE_OK;
}

enum wire_err tcp_parse(const uint8_t *seg, size_t len, uint32_t src, uint32_t dst,
			struct tcp_seg *s)
{
	if (len < TCP_HDR_LEN)
		return WIRE_TRUNCATED;
	size_t hl = (size_t)(seg[12] >> 4) * 4;
	if (hl < TCP_HDR_LEN || hl > len)
		return WIRE_BAD_DOFF;
	/* The pseudo-header's TCP length is 16 bits (RFC 9293 §3.1), so a
	 * longer segment can have no valid checksum. */
	if (len > UINT16_MAX)
		return WIRE_BAD_CSUM;
	uint32_t sum = csum_pseudo(src, dst, IP_PROTO_TCP, (uint16_t)len);
	if (csum_fold(csum_add(sum, seg, len)) != 0)
		return WIRE_BAD_CSUM;

	memset(s, 0, sizeof *s);
	s->sport = get_be16(seg);
	s->dport = get_be16(seg + 2);
	s->seq = get_be32(seg + 4);
	s->ack = get_be32(seg + 8);
	s->flags = seg[13];
	s->wnd = get_be16(seg + 14);
	s->urg = get_be16(seg + 18);
	s->hdr_len = (uint8_t)hl;
	s->data = seg + hl;
	s->data_len = (uint32_t)(len - hl);
	return opts_parse(seg + TCP_HDR_LEN, hl - TCP_HDR_LEN, &s->opts);
}

/* Bytes of everything but SACK blocks, laid out as Linux does. */
static size_t opts_base_len(const struct tcp_opts *o)
{
	size_t n = 0;

	if (o->has & TCP_HAS_MSS)
		n += 4;
	if (o->has & TCP_HAS_TS)
		n += 12; /* SACK_PERM, if any, rides in the TS option's NOPs */
	else if (o->has & TCP_HAS_SACK_PERM)
		n += 4;
	if (o->has & TCP_HAS_WSCALE)
		n += 4;
	return n;
}

/* SACK blocks that fit after the other options: like Linux, send as many
 * as the 40 option bytes leave room for (3 with timestamps). */
static size_t sack_blocks(const struct tcp_opts *o, size_t base)
{
	if (!(o->has & TCP_HAS_SACK) || o->nsack == 0)
		return 0;
	size_t n = o->nsack < TCP_MAX_SACK ? o->nsack : TCP_MAX_SACK;
	size_t room = (TCP_MAX_OPT_LEN - base - 4) / TCPOLEN_SACK_BLOCK;
	return n < room ? n : room;
}

size_t tcp_opts_len(const struct tcp_opts *o)
{
	size_t base = opts_base_len(o);
	size_t n = sack_blocks(o, base);

	return base + (n ? 4 + n * TCPOLEN_SACK_BLOCK : 0);
}

/* Writes the options in tcp_options_write()'s order, padding with NOPs so
 * that every 4-byte field sits on a 4-byte boundary. Returns the length. */
static size_t opts_emit(uint8_t *p, const struct tcp_opts *o)
{
	uint8_t *q = p;
	size_t nsack = sack_blocks(o, opts_base_len(o));

	if (o->has & TCP_HAS_MSS) {
		q[0] = TCPOPT_MSS;
		q[1] = TCPOLEN_MSS;
		put_be16(q + 2, o->mss);
		q += 4;
	}
	if (o->has & TCP_HAS_TS) {
		if (o->has & TCP_HAS_SACK_PERM) {
			q[0] = TCPOPT_SACK_PERM;
			q[1] = TCPOLEN_SACK_PERM;
		} else {
			q[0] = TCPOPT_NOP;
			q[1] = TCPOPT_NOP;
		}
		q[2] = TCPOPT_TIMESTAMP;
		q[3] = TCPOLEN_TIMESTAMP;
		put_be32(q + 4, o->tsval);
		put_be32(q + 8, o->tsecr);
		q += 12;
	} else if (o->has & TCP_HAS_SACK_PERM) {
		q[0] = TCPOPT_NOP;
		q[1] = TCPOPT_NOP;
		q[2] = TCPOPT_SACK_PERM;
		q[3] = TCPOLEN_SACK_PERM;
		q += 4;
	}
	if (o->has & TCP_HAS_WSCALE) {
		q[0] = TCPOPT_NOP;
		q[1] = TCPOPT_WSCALE;
		q[2] = TCPOLEN_WSCALE;
		q[3] = o->wscale;
		q += 4;
	}
	if (nsack) {
		q[0] = TCPOPT_NOP;
		q[1] = TCPOPT_NOP;
		q[2] = TCPOPT_SACK;
		q[3] = (uint8_t)(2 + nsack * TCPOLEN_SACK_BLOCK);
		q += 4;
		for (size_t i = 0; i < nsack; i++, q += 8) {
			put_be32(q, o->sack[i].left);
			put_be32(q + 4, o->sack[i].right);
		}
	}
	return (size_t)(q - p);
}

size_t tcp_emit(uint8_t *buf, const struct tcp_seg *s)
{
	size_t hl = TCP_HDR_LEN + opts_emit(buf + TCP_HDR_LEN, &s->opts);

	put_be16(buf, s->sport);
	put_be16(buf + 2, s->dport);
	put_be32(buf + 4, s->seq);
	put_be32(buf + 8, s->ack);
	buf[12] = (uint8_t)(hl / 4 << 4); /* data offset; reserved bits zero */
	buf[13] = s->flags;
	put_be16(buf + 14, s->wnd);
	memset(buf + 16, 0, 2); /* checksum: tcp_csum_set fills it */
	put_be16(buf + 18, s->urg);
	return hl;
}

/* RFC 9293 §3.1: the checksum covers the pseudo-header, the header (with
 * the checksum field taken as zero) and the data. */
void tcp_csum_set(uint8_t *seg, size_t len, uint32_t src, uint32_t dst)
{
	uint16_t csum;

	memset(seg + 16, 0, 2);
	csum = csum_fold(csum_add(csum_pseudo(src, dst, IP_PROTO_TCP, (uint16_t)len), seg, len));
	memcpy(seg + 16, &csum, 2);
}
