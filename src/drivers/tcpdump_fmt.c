/* tcpdump's text format for one IPv4 packet; see synack/tcpdump.h.
 *
 * The rules are tcpdump 4.99's (print-ip.c, print-tcp.c, print-icmp.c,
 * util-print.c), checked against /usr/bin/tcpdump on crafted pcaps. Where
 * tcpdump has quirks (an option that claims more bytes than it prints,
 * SACK blocks made relative in the very segment that records the
 * conversation, " [|tcp]>" after a short option) they are copied on
 * purpose: the point of this file is equality, not taste.
 *
 * tcpdump stops at the first byte it may not read and appends
 * " [|proto]". It may read up to its "snapend": the captured bytes cut at
 * the IP total length. `struct pkt` keeps that limit; every read is
 * checked against it first, and a failed check prints the marker and
 * makes the printer return at once. */
#include "synack/tcpdump.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- the output line ---- */

struct line {
	char *buf;
	size_t cap;
	size_t len; /* of the whole line, even the part that did not fit */
};

static void put_mem(struct line *l, const char *s, size_t n)
{
	/* Keep the last byte of buf for the terminating NUL. */
	if (l->cap > 0 && l->len < l->cap - 1) {
		size_t room = l->cap - 1 - l->len;
		memcpy(l->buf + l->len, s, n < room ? n : room);
	}
	l->len += n;
}

static void put(struct line *l, const char *s)
{
	put_mem(l, s, strlen(s));
}

/* For short pieces only: every caller prints less than 256 bytes. */
__attribute__((format(printf, 2, 3))) static void putf(struct line *l, const char *fmt, ...)
{
	char tmp[256];
	va_list ap;

	va_start(ap, fmt);
	int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
	va_end(ap);
	if (n > 0)
		put_mem(l, tmp, (size_t)n < sizeof tmp ? (size_t)n : sizeof tmp - 1);
}

/* ---- the packet being read ---- */

/* TCP flag bits, with tcpdump's names. */
enum { TH_FIN = 0x01, TH_SYN = 0x02, TH_RST = 0x04, TH_PUSH = 0x08, TH_ACK = 0x10, TH_URG = 0x20 };

struct pkt {
	const uint8_t *p;
	size_t end;         /* bytes tcpdump may read (its snapend) */
	const char *proto;  /* the layer " [|proto]" names */
	struct line *out;
	struct sk_tcpdump *td; /* NULL: absolute sequence numbers */
};

static bool have(const struct pkt *k, size_t off, size_t n)
{
	return off <= k->end && n <= k->end - off;
}

static void trunc_mark(struct pkt *k)
{
	putf(k->out, " [|%s]", k->proto);
}

static uint16_t be16(const struct pkt *k, size_t off)
{
	return (uint16_t)(k->p[off] << 8 | k->p[off + 1]);
}

static uint32_t be32(const struct pkt *k, size_t off)
{
	return (uint32_t)k->p[off] << 24 | (uint32_t)k->p[off + 1] << 16 |
	       (uint32_t)k->p[off + 2] << 8 | k->p[off + 3];
}

static void ip_str(char s[16], uint32_t a)
{
	snprintf(s, 16, "%u.%u.%u.%u", a >> 24, (a >> 16) & 255, (a >> 8) & 255, a & 255);
}

/* ---- conversations: tcpdump's table of initial sequence numbers ----
 *
 * tcpdump keys a conversation by (addresses, ports) written in one
 * "collating order" so both directions find the same entry, and keeps
 * seq = the first sequence number of the side written first and ack = the
 * other side's first (its ack - 1 in the segment that created the entry).
 * Entries are made and used only for segments with ACK set. */

struct conv {
	uint32_t src, dst, ports; /* tcpdump's struct tha */
	uint32_t seq, ack;
	bool used;
};

struct sk_tcpdump {
	bool absolute;
	struct conv *tab; /* open addressing, linear probing */
	size_t cap;       /* a power of two, or 0 before the first entry */
	size_t count;
};

static size_t conv_hash(uint32_t src, uint32_t dst, uint32_t ports)
{
	uint32_t h = src * 0x9e3779b1u ^ dst * 0x85ebca77u ^ ports * 0xc2b2ae3du;

	/* murmur3's finaliser spreads the bits over the low ones we use */
	h ^= h >> 16;
	h *= 0x85ebca6bu;
	h ^= h >> 13;
	h *= 0xc2b2ae35u;
	h ^= h >> 16;
	return h;
}

static struct conv *conv_slot(struct conv *tab, size_t cap, uint32_t src, uint32_t dst,
			      uint32_t ports)
{
	size_t i = conv_hash(src, dst, ports) & (cap - 1);

	while (tab[i].used && !(tab[i].src == src && tab[i].dst == dst && tab[i].ports == ports))
		i = (i + 1) & (cap - 1);
	return &tab[i];
}

/* Makes room for one more entry; false when memory runs out. */
static bool conv_reserve(struct sk_tcpdump *td)
{
	if (td->cap != 0 && (td->count + 1) * 4 <= td->cap * 3)
		return true;
	size_t ncap = td->cap ? td->cap * 2 : 64;
	if (ncap < td->cap)
		return false;
	struct conv *ntab = calloc(ncap, sizeof *ntab);
	if (ntab == NULL)
		return false;
	for (size_t i = 0; i < td->cap; i++) {
		const struct conv *c = &td->tab[i];
		if (c->used)
			*conv_slot(ntab, ncap, c->src, c->dst, c->ports) = *c;
	}
	free(td->tab);
	td->tab = ntab;
	td->cap = ncap;
	return true;
}

/* What the TCP printer needs from the conversation. */
struct rel {
	bool rev;              /* this segment goes from the second side to the first */
	uint32_t thseq, thack; /* the entry's numbers, for SACK blocks */
};

/* tcpdump's tcp_print: find (or record) the conversation and turn *seq and
 * *ack into relative numbers, unless the entry is new or restarted by a
 * SYN, in which case they stay absolute. */
static void conv_relative(struct sk_tcpdump *td, uint32_t src, uint32_t dst, uint16_t sport,
			  uint16_t dport, uint8_t flags, uint32_t *seq, uint32_t *ack,
			  struct rel *r)
{
	/* The order: lower port first; for equal ports, lower address. */
	r->rev = sport > dport || (sport == dport && src > dst);
	uint32_t ksrc = r->rev ? dst : src, kdst = r->rev ? src : dst;
	uint32_t kports = r->rev ? (uint32_t)dport << 16 | sport : (uint32_t)sport << 16 | dport;

	struct conv *c = td->cap ? conv_slot(td->tab, td->cap, ksrc, kdst, kports) : NULL;
	if (c != NULL && c->used && !(flags & TH_SYN)) {
		*seq -= r->rev ? c->ack : c->seq;
		*ack -= r->rev ? c->seq : c->ack;
		r->thseq = c->seq;
		r->thack = c->ack;
		return;
	}

	struct conv fresh = { .src = ksrc, .dst = kdst, .ports = kports, .used = true };
	if (r->rev) {
		fresh.ack = *seq;
		fresh.seq = *ack - 1;
	} else {
		fresh.seq = *seq;
		fresh.ack = *ack - 1;
	}
	r->thseq = fresh.seq;
	r->thack = fresh.ack;
	if (c != NULL && c->used) {
		*c = fresh; /* a SYN restarts the conversation */
	} else if (conv_reserve(td)) {
		*conv_slot(td->tab, td->cap, ksrc, kdst, kports) = fresh;
		td->count++;
	}
	/* Out of memory: this line is still right (a new entry prints
	 * absolute numbers); the next ones of this conversation stay
	 * absolute too. */
}

/* ---- TCP options ---- */

enum opt_res {
	OPT_OK,
	OPT_BAD,         /* tcpdump's "goto bad" */
	OPT_TRUNC,       /* its ND_TCHECK "goto trunc": " [|tcp]", then ">" after the first option */
	OPT_TRUNC_EARLY, /* its GET_ longjmp: " [|tcp]" alone */
};

static const char *opt_name(uint8_t opt)
{
	switch (opt) {
	case 0: return "eol";
	case 1: return "nop";
	case 2: return "mss";
	case 3: return "wscale";
	case 4: return "sackOK";
	case 5: return "sack";
	case 6: return "echo";
	case 7: return "echoreply";
	case 8: return "TS";
	case 11: return "cc";
	case 12: return "ccnew";
	case 13: return ""; /* sic: tcpdump has no name for CC.ECHO */
	case 19: return "md5";
	case 20: return "scps";
	case 28: return "uto";
	case 29: return "tcp-ao";
	case 30: return "mptcp";
	case 34: return "tfo";
	case 254: return "exp";
	default: return NULL;
	}
}

/* tcpdump's LENCHECK: `n` bytes must be left in the option space and
 * captured. */
#define LENCHECK(n)                          \
	do {                                 \
		if ((n) > hl)                \
			return OPT_BAD;      \
		if (!have(k, cp, (n)))       \
			return OPT_TRUNC;    \
	} while (0)

static enum opt_res opt_hex(struct pkt *k, size_t cp, size_t hl, size_t from, size_t to)
{
	for (size_t i = from; i < to; i++) {
		LENCHECK(i + 1);
		putf(k->out, "%02x", k->p[cp + i]);
	}
	return OPT_OK;
}

/* TCP Fast Open cookie (RFC 7413), plain or inside the experimental option. */
static void opt_tfo(struct pkt *k, size_t cp, size_t n, bool exp)
{
	if (exp)
		put(k->out, "tfo");
	if (n == 0) {
		put(k->out, " cookiereq");
	} else if (n % 2 != 0 || n < 4 || n > 16) {
		put(k->out, " (invalid)");
	} else {
		put(k->out, " cookie ");
		for (size_t i = 0; i < n; i++)
			putf(k->out, "%02x", k->p[cp + i]);
	}
}

static enum opt_res opt_sack(struct pkt *k, size_t cp, size_t hl, size_t datalen,
			     const struct rel *r)
{
	if (datalen % 8 != 0) {
		put(k->out, " invalid sack");
		return OPT_OK;
	}
	putf(k->out, " %zu ", datalen / 8);
	for (size_t i = 0; i < datalen; i += 8) {
		LENCHECK(i + 8);
		/* The blocks are in the peer's sequence space. */
		uint32_t base = r->rev ? r->thseq : r->thack;
		putf(k->out, "{%u:%u}", be32(k, cp + i) - base, be32(k, cp + i + 4) - base);
	}
	return OPT_OK;
}

/* TCP-MD5 (RFC 2385): tcpdump (built with libcrypto) can't check the
 * digest without the secret given with -M, and says why. */
static enum opt_res opt_md5(struct pkt *k, size_t cp, size_t hl, size_t payload_end)
{
	LENCHECK(16);
	put(k->out, " ");
	if (payload_end > k->end)
		put(k->out, "snaplen too short, ");
	else
		put(k->out, "shared secret not supplied with -M, ");
	put(k->out, "can't check - ");
	for (size_t i = 0; i < 16; i++)
		putf(k->out, "%02x", k->p[cp + i]);
	return OPT_OK;
}

static enum opt_res opt_tcpao(struct pkt *k, size_t cp, size_t hl, size_t datalen)
{
	if (datalen < 2) {
		put(k->out, " (invalid)");
		return OPT_OK;
	}
	LENCHECK(1);
	putf(k->out, " keyid %u", k->p[cp]);
	LENCHECK(2);
	putf(k->out, " rnextkeyid %u", k->p[cp + 1]);
	if (datalen > 2) {
		put(k->out, " mac 0x");
		return opt_hex(k, cp, hl, 2, datalen);
	}
	return OPT_OK;
}

/* Prints the body of option `opt` (declared length `len`) whose data
 * starts at `cp` with `hl` option bytes left; sets *datalen to the bytes
 * tcpdump steps over, which need not be len - 2. */
static enum opt_res opt_body(struct pkt *k, uint8_t opt, size_t len, size_t cp, size_t hl,
			     const struct rel *r, size_t payload_end, size_t *datalen)
{
	size_t n;

	switch (opt) {
	case 0: case 1: case 4:
		*datalen = 0;
		return OPT_OK;
	case 2: /* mss */
		*datalen = 2;
		LENCHECK(*datalen);
		putf(k->out, " %u", be16(k, cp));
		return OPT_OK;
	case 3: /* wscale */
		*datalen = 1;
		LENCHECK(*datalen);
		putf(k->out, " %u", k->p[cp]);
		return OPT_OK;
	case 5:
		return opt_sack(k, cp, hl, *datalen = len - 2, r);
	case 6: case 7: case 11: case 12: case 13: /* echo, echoreply, cc* */
		*datalen = 4;
		LENCHECK(*datalen);
		putf(k->out, " %u", be32(k, cp));
		return OPT_OK;
	case 8: /* timestamps */
		*datalen = 8;
		LENCHECK(*datalen);
		putf(k->out, " val %u ecr %u", be32(k, cp), be32(k, cp + 4));
		return OPT_OK;
	case 19:
		*datalen = 16;
		return opt_md5(k, cp, hl, payload_end);
	case 20: /* scps */
		*datalen = 2;
		LENCHECK(*datalen);
		putf(k->out, " cap %02x id %u", k->p[cp], k->p[cp + 1]);
		return OPT_OK;
	case 28: { /* user timeout (RFC 5482): granularity bit, then minutes or seconds */
		*datalen = 2;
		LENCHECK(*datalen);
		unsigned v = be16(k, cp);
		putf(k->out, " 0x%x %u", v, (v & 1) ? (v >> 1) * 60 : v >> 1);
		return OPT_OK;
	}
	case 29:
		return opt_tcpao(k, cp, hl, *datalen = len - 2);
	case 30: /* mptcp: not decoded here (see tcpdump.h) */
		*datalen = len - 2;
		LENCHECK(*datalen);
		return OPT_OK;
	case 34:
		*datalen = len - 2;
		LENCHECK(*datalen);
		put(k->out, " ");
		opt_tfo(k, cp, len - 2, false);
		return OPT_OK;
	case 254: /* experimental (RFC 6994): a 16-bit magic, then data */
		n = *datalen = len - 2;
		LENCHECK(n);
		if (n < 2)
			return OPT_BAD;
		put(k->out, "-");
		if (be16(k, cp) == 0xf989)
			opt_tfo(k, cp + 2, n - 2, true);
		else
			putf(k->out, "%04x", be16(k, cp));
		return OPT_OK;
	default:
		n = *datalen = len - 2;
		if (n)
			put(k->out, " 0x");
		return opt_hex(k, cp, hl, 0, n);
	}
}

/* Prints ", options [...]" for the `hl` option bytes at `cp`. Returns
 * false when tcpdump would stop the line there (after "[bad opt]" or a
 * truncation mark). */
static bool tcp_options(struct pkt *k, size_t cp, size_t hl, const struct rel *r,
			size_t payload_end)
{
	char ch = '\0';
	enum opt_res res = OPT_OK;

	put(k->out, ", options [");
	while (hl > 0) {
		if (ch != '\0')
			put_mem(k->out, &ch, 1);
		if (!have(k, cp, 1)) {
			res = OPT_TRUNC_EARLY;
			break;
		}
		uint8_t opt = k->p[cp++];
		size_t len = 1;
		if (opt != 0 && opt != 1) {
			if (!have(k, cp, 1)) {
				res = OPT_TRUNC_EARLY;
				break;
			}
			len = k->p[cp++];
			if (len < 2 || len > hl) {
				res = OPT_BAD;
				break;
			}
			hl--;
		}
		hl--;

		const char *name = opt_name(opt);
		if (name != NULL)
			put(k->out, name);
		else
			putf(k->out, "unknown-%u", opt);
		size_t datalen = 0;
		res = opt_body(k, opt, len, cp, hl, r, payload_end, &datalen);
		if (res != OPT_OK)
			break;
		cp += datalen;
		hl -= datalen;
		/* tcpdump steps over what it printed, not over the declared
		 * length, and flags the difference. */
		if (datalen + (opt == 0 || opt == 1 ? 1 : 2) != len)
			putf(k->out, "[len %zu]", len);
		ch = ',';
		if (opt == 0)
			break;
	}

	switch (res) {
	case OPT_OK:
		put(k->out, "]");
		return true;
	case OPT_BAD:
		put(k->out, ch != '\0' ? "[bad opt]]" : "[bad opt]");
		return false;
	case OPT_TRUNC:
		trunc_mark(k);
		if (ch != '\0')
			put(k->out, ">");
		return false;
	case OPT_TRUNC_EARLY:
		trunc_mark(k);
		return false;
	}
	return false;
}

#undef LENCHECK

/* ---- TCP payload summaries (the ports tcpdump dissects) ---- */

static bool is_print(uint8_t c)
{
	return c >= 0x20 && c <= 0x7e;
}

/* util-print.c fetch_token: a printable token of at most 127 bytes ending
 * at a blank, then the blanks after it. Returns the index after them, or
 * 0 (no token, or not text). */
static size_t fetch_token(const struct pkt *k, size_t at, size_t idx, size_t len, char tok[129])
{
	size_t n = 0;

	for (; idx < len; idx++) {
		if (!have(k, at + idx, 1))
			return 0;
		uint8_t c = k->p[at + idx];
		if (c & 0x80)
			return 0;
		if (c == ' ' || c == '\t' || c == '\r' || c == '\n')
			break;
		if (!is_print(c) || n + 2 > 129)
			return 0;
		tok[n++] = (char)c;
	}
	if (n == 0)
		return 0;
	tok[n] = '\0';
	for (; idx < len; idx++) {
		if (!have(k, at + idx, 1))
			break;
		uint8_t c = k->p[at + idx];
		if (c == '\r' || c == '\n' || !is_print(c) || (c != ' ' && c != '\t'))
			break;
	}
	return idx;
}

/* util-print.c print_txt_line from index 0, with prefix ": ": the first
 * line if it is printable text ending in LF or CRLF; printable text with
 * no line end is printed and marked truncated. */
static void print_txt_line(struct pkt *k, size_t at, size_t len)
{
	size_t idx = 0;

	while (idx < len) {
		if (!have(k, at + idx, 1)) {
			trunc_mark(k);
			return;
		}
		uint8_t c = k->p[at + idx];
		if (c == '\n')
			break;
		if (c == '\r') {
			if (idx + 1 >= len)
				return;
			if (!have(k, at + idx + 1, 1)) {
				trunc_mark(k);
				return;
			}
			if (k->p[at + idx + 1] == '\n')
				break;
			return;
		}
		if (!is_print(c) && c != '\t')
			return;
		idx++;
	}
	put(k->out, ": ");
	put_mem(k->out, (const char *)k->p + at, idx);
	if (idx == len)
		trunc_mark(k);
}

static bool ascii_caseeq(const char *a, const char *b)
{
	for (; *a && *b; a++, b++) {
		char x = *a >= 'A' && *a <= 'Z' ? (char)(*a + 32) : *a;
		char y = *b >= 'A' && *b <= 'Z' ? (char)(*b + 32) : *b;
		if (x != y)
			return false;
	}
	return *a == *b;
}

/* util-print.c txtproto_print, not verbose. With `cmds`, only a request
 * (a known command) or a response (a 3-digit code as second token) is
 * shown; the protocol name is printed either way. */
static void txtproto(struct pkt *k, size_t at, size_t len, const char *const *cmds,
		     const char *caps)
{
	bool show = cmds == NULL;

	if (cmds != NULL) {
		char tok[129];
		size_t idx = fetch_token(k, at, 0, len, tok);
		if (idx != 0) {
			for (; *cmds != NULL; cmds++)
				if (ascii_caseeq(tok, *cmds))
					show = true;
			idx = fetch_token(k, at, idx, len, tok);
			if (idx != 0 && tok[0] >= '0' && tok[0] <= '9' && tok[1] >= '0' &&
			    tok[1] <= '9' && tok[2] >= '0' && tok[2] <= '9' && tok[3] == '\0')
				show = true;
		}
	}
	put(k->out, caps);
	if (show)
		print_txt_line(k, at, len);
}

static const char *const http_cmds[] = {
	"GET", "PUT", "COPY", "HEAD", "LOCK", "MOVE", "POLL", "POST", "BCOPY", "BMOVE",
	"MKCOL", "TRACE", "LABEL", "MERGE", "DELETE", "SEARCH", "UNLOCK", "REPORT",
	"UPDATE", "NOTIFY", "BDELETE", "CONNECT", "OPTIONS", "CHECKIN", "PROPFIND",
	"CHECKOUT", "CCM_POST", "SUBSCRIBE", "PROPPATCH", "BPROPFIND", "BPROPPATCH",
	"UNCHECKOUT", "MKACTIVITY", "MKWORKSPACE", "UNSUBSCRIBE", "RPC_CONNECT",
	"VERSION-CONTROL", "BASELINE-CONTROL", NULL,
};

static const char *const rtsp_cmds[] = {
	"DESCRIBE", "ANNOUNCE", "GET_PARAMETER", "OPTIONS", "PAUSE", "PLAY", "RECORD",
	"REDIRECT", "SETUP", "SET_PARAMETER", "TEARDOWN", NULL,
};

/* print-ssh.c: the version line "SSH-..." when it ends within the segment. */
static void ssh_version(struct pkt *k, size_t at, size_t len)
{
	static const char magic[4] = { 'S', 'S', 'H', '-' };
	size_t idx;

	for (idx = 0; idx < 4; idx++) {
		if (!have(k, at + idx, 1)) {
			trunc_mark(k);
			return;
		}
		if (k->p[at + idx] != magic[idx])
			return;
	}
	for (; idx < len; idx++) {
		if (!have(k, at + idx, 1)) {
			trunc_mark(k);
			return;
		}
		uint8_t c = k->p[at + idx];
		if (c == '\n')
			break;
		if (c == '\r') {
			if (idx + 1 >= len)
				return;
			if (!have(k, at + idx + 1, 1)) {
				trunc_mark(k);
				return;
			}
			if (k->p[at + idx + 1] == '\n')
				break;
			return;
		}
		if (!is_print(c))
			return;
	}
	if (idx == len)
		return;
	put(k->out, ": SSH: ");
	put_mem(k->out, (const char *)k->p + at, idx);
}

/* ---- telnet (print-telnet.c): option negotiation, e.g.
 * " [telnet WILL ECHO, DO SUPPRESS GO AHEAD]" ---- */

#define IAC 255
#define TN_END (-1)   /* not a command tcpdump shows: stop quietly */
#define TN_TRUNC (-2) /* ran past the capture: " [|telnet]" */

static const char *const tn_cmds[20] = { /* 236 (EOF) .. 255 (IAC) */
	"EOF", "SUSP", "ABORT", "EOR", "SE", "NOP", "DMARK", "BRK", "IP", "AO",
	"AYT", "EC", "EL", "GA", "SB", "WILL", "WONT", "DO", "DONT", "IAC",
};
static const char *const tn_opts[40] = {
	"BINARY", "ECHO", "RCP", "SUPPRESS GO AHEAD", "NAME", "STATUS",
	"TIMING MARK", "RCTE", "NAOL", "NAOP", "NAOCRD", "NAOHTS", "NAOHTD",
	"NAOFFD", "NAOVTS", "NAOVTD", "NAOLFD", "EXTEND ASCII", "LOGOUT",
	"BYTE MACRO", "DATA ENTRY TERMINAL", "SUPDUP", "SUPDUP OUTPUT",
	"SEND LOCATION", "TERMINAL TYPE", "END OF RECORD", "TACACS UID",
	"OUTPUT MARKING", "TTYLOC", "3270 REGIME", "X.3 PAD", "NAWS", "TSPEED",
	"LFLOW", "LINEMODE", "XDISPLOC", "OLD-ENVIRON", "AUTHENTICATION",
	"ENCRYPT", "NEW-ENVIRON",
};
/* Sub-negotiation qualifiers: generic, AUTHENTICATION (37), ENCRYPT (38). */
static const char *const tn_qual[] = { "IS", "SEND", "INFO" };
static const char *const tn_authcmd[] = { "IS", "SEND", "REPLY", "NAME" };
static const char *const tn_authtype[] = {
	"NULL", "KERBEROS_V4", "KERBEROS_V5", "SPX", "MINK", "SRP", "RSA", "SSL",
	NULL, NULL, "LOKI", "SSA", "KEA_SJ", "KEA_SJ_INTEG", "DSS", "NTLM",
};
static const char *const tn_enccmd[] = {
	"IS", "SUPPORT", "REPLY", "START", "END", "REQUEST-START", "REQUEST-END",
	"END_KEYID", "DEC_KEYID",
};
static const char *const tn_enctype[] = {
	"NULL", "DES_CFB64", "DES_OFB64", "DES3_CFB64", "DES3_OFB64", NULL,
	"CAST5_40_CFB64", "CAST5_40_OFB64", "CAST128_CFB64", "CAST128_OFB64",
};
#define N(a) (sizeof(a) / sizeof((a)[0]))

struct tn {
	struct pkt *k;
	size_t at;   /* next byte */
	size_t left; /* bytes of the segment from `at` on */
	bool print;  /* tcpdump parses each command twice, printing the second time */
};

static int tn_fetch(struct tn *t, unsigned *c)
{
	if (t->left < 1)
		return TN_END;
	if (!have(t->k, t->at, 1))
		return TN_TRUNC;
	*c = t->k->p[t->at++];
	t->left--;
	return 0;
}

#define TN_FETCH(t, c)                          \
	do {                                    \
		int e_ = tn_fetch((t), &(c));   \
		if (e_)                         \
			return e_;              \
	} while (0)

static void tn_name(struct tn *t, unsigned x, const char *const *tab, size_t n)
{
	if (!t->print)
		return;
	if (x < n && tab[x] != NULL)
		putf(t->k->out, " %s", tab[x]);
	else
		putf(t->k->out, " %#x", x);
}

/* The body of IAC SB <opt> ... IAC SE, `end` being the closing IAC. */
static int tn_subneg(struct tn *t, unsigned opt, size_t end)
{
	unsigned c;
	const char *const *t1 = tn_qual, *const *t2 = NULL;
	size_t n1 = N(tn_qual), n2 = 0;

	if (opt == 37) {
		t1 = tn_authcmd, n1 = N(tn_authcmd), t2 = tn_authtype, n2 = N(tn_authtype);
	} else if (opt == 38) {
		t1 = tn_enccmd, n1 = N(tn_enccmd), t2 = tn_enctype, n2 = N(tn_enctype);
	}
	if (end > t->at) {
		TN_FETCH(t, c);
		tn_name(t, c, t1, n1);
		if (t2 != NULL && end > t->at) {
			TN_FETCH(t, c);
			tn_name(t, c, t2, n2);
		}
	}
	while (end > t->at) {
		TN_FETCH(t, c);
		if (t->print)
			putf(t->k->out, " %#x", c);
	}
	if (t->print)
		put(t->k->out, " SE");
	t->at += 2; /* sic: tcpdump steps over IAC SE without counting it */
	return 0;
}

/* print-telnet.c telnet_parse: the command at t->at. Returns its length,
 * TN_END or TN_TRUNC. */
static int tn_parse(struct tn *t)
{
	size_t start = t->at;
	unsigned c, x;

	TN_FETCH(t, c);
	if (c != IAC)
		return TN_END;
	TN_FETCH(t, c);
	if (c == IAC) {
		if (t->print)
			put(t->k->out, "IAC IAC");
		return (int)(t->at - start);
	}
	if (c < 236)
		return TN_END;
	const char *cmd = tn_cmds[c - 236];
	if (c < 250) { /* a command with no option */
		if (t->print)
			put(t->k->out, cmd);
		return (int)(t->at - start);
	}
	TN_FETCH(t, x);
	if (t->print) {
		if (x < N(tn_opts))
			putf(t->k->out, "%s %s", cmd, tn_opts[x]);
		else
			putf(t->k->out, "%s %#x", cmd, x);
	}
	if (c == 250) { /* SB: find IAC SE within the segment */
		size_t p = t->at;
		while (t->left > p + 1 - t->at) {
			if (!have(t->k, p, 1))
				return TN_TRUNC;
			if (t->k->p[p] == IAC) {
				if (!have(t->k, p + 1, 1))
					return TN_TRUNC;
				if (t->k->p[p + 1] == 240)
					break;
			}
			p++;
		}
		if (!have(t->k, p, 1))
			return TN_TRUNC;
		if (t->k->p[p] != IAC)
			return TN_END;
		int e = tn_subneg(t, x, p);
		if (e)
			return e;
	}
	return (int)(t->at - start);
}

static void telnet_print(struct pkt *k, size_t at, uint32_t length)
{
	bool first = true;

	k->proto = "telnet";
	while (length > 0) {
		if (!have(k, at, 1)) {
			trunc_mark(k);
			return;
		}
		if (k->p[at] != IAC)
			break;
		struct tn t = { .k = k, .at = at, .left = length, .print = false };
		int l = tn_parse(&t);
		if (l == TN_TRUNC) {
			trunc_mark(k);
			return;
		}
		if (l < 0)
			break;
		put(k->out, first ? " [telnet " : ", ");
		t = (struct tn){ .k = k, .at = at, .left = length, .print = true };
		tn_parse(&t);
		first = false;
		at += (size_t)l;
		length -= (uint32_t)l; /* may wrap past the end, as in tcpdump */
	}
	if (!first)
		put(k->out, "]");
}

#undef TN_FETCH
#undef N

/* print-beep.c l_strnstart: note that "MSG" and "END" are compared over 4
 * bytes including their NUL, so they only match "MSG\0". */
static bool beep_is(const struct pkt *k, size_t at, size_t len, const char *s)
{
	return have(k, at, 4) && len >= 4 && strncmp(s, (const char *)k->p + at, 4) == 0;
}

static void beep_print(struct pkt *k, size_t at, size_t len)
{
	static const char *const kinds[] = { "MSG", "RPY ", "ERR ", "ANS ", "NUL ", "SEQ ", "END" };

	for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
		if (beep_is(k, at, len, kinds[i])) {
			putf(k->out, " BEEP %.3s", kinds[i]);
			return;
		}
	}
	put(k->out, " BEEP (payload or undecoded)");
}

/* What tcpdump adds after "length N" for the ports it knows, in its order
 * (a segment between port 22 and port 80 is SSH). Its SMB printers are
 * not built into Debian's tcpdump, so ports 139 and 445 add nothing. */
static void tcp_payload(struct pkt *k, size_t at, uint32_t len, uint16_t sport, uint16_t dport)
{
#define PORT(x) (sport == (x) || dport == (x))
	if (PORT(23)) {
		telnet_print(k, at, len);
	} else if (PORT(25)) {
		k->proto = "smtp";
		put(k->out, ": ");
		txtproto(k, at, len, NULL, "SMTP");
	} else if (PORT(43)) {
		k->proto = "whois";
		put(k->out, ": ");
		txtproto(k, at, len, NULL, "WHOIS");
	} else if (PORT(179)) {
		put(k->out, ": BGP"); /* the rest only with -v */
	} else if (PORT(1723) || PORT(6379)) {
		/* PPTP, Redis: not decoded */
	} else if (PORT(22)) {
		k->proto = "ssh";
		ssh_version(k, at, len);
	} else if (PORT(10288)) {
		beep_print(k, at, len);
	} else if (PORT(6633) || PORT(6653)) {
		/* OpenFlow: not decoded (tcpdump prints more lines) */
	} else if (PORT(21)) {
		k->proto = "ftp";
		put(k->out, ": ");
		txtproto(k, at, len, NULL, "FTP");
	} else if (PORT(80) || PORT(8080)) {
		k->proto = "http";
		put(k->out, ": ");
		txtproto(k, at, len, http_cmds, "HTTP");
	} else if (PORT(554) || PORT(8554)) {
		k->proto = "rtsp";
		put(k->out, ": ");
		txtproto(k, at, len, rtsp_cmds, "RTSP");
	} else if (PORT(53) || PORT(639)) {
		/* DNS, MSDP: not decoded */
	} else if (PORT(323)) {
		put(k->out, ", RPKI-RTR"); /* the rest only with -v */
	}
	/* LDP (646) and NFS (2049) follow in tcpdump: not decoded. */
#undef PORT
}

/* ---- TCP ---- */

static void tcp_flags(struct line *out, uint8_t flags)
{
	/* tcpdump's tcp_flag_values order; ACK is '.' */
	static const struct { uint8_t bit; char c; } tab[] = {
		{ TH_FIN, 'F' }, { TH_SYN, 'S' }, { TH_RST, 'R' }, { TH_PUSH, 'P' },
		{ TH_ACK, '.' }, { TH_URG, 'U' }, { 0x40, 'E' /* ECE */ }, { 0x80, 'W' /* CWR */ },
	};
	char s[9];
	size_t n = 0;

	for (size_t i = 0; i < sizeof tab / sizeof tab[0]; i++)
		if (flags & tab[i].bit)
			s[n++] = tab[i].c;
	s[n] = '\0';
	putf(out, "Flags [%s]", n ? s : "none");
}

/* print-tcp.c tcp_print for the segment at `off`; `length` is the IP
 * payload length the IP header claims. */
static void print_tcp(struct pkt *k, size_t off, uint32_t length, uint32_t src, uint32_t dst)
{
	char s[16], d[16];

	k->proto = "tcp";
	ip_str(s, src);
	ip_str(d, dst);
	if (!have(k, off, 4)) {
		putf(k->out, "%s > %s:", s, d);
		trunc_mark(k);
		return;
	}
	uint16_t sport = be16(k, off), dport = be16(k, off + 2);
	putf(k->out, "%s.%u > %s.%u: ", s, sport, d, dport);
	if (!have(k, off, 20)) {
		trunc_mark(k);
		return;
	}
	uint32_t hlen = (uint32_t)(k->p[off + 12] >> 4) * 4;
	if (hlen < 20) {
		putf(k->out, " tcp %u [bad hdr length %u - too short, < 20]", length - hlen, hlen);
		return;
	}
	uint32_t seq = be32(k, off + 4), ack = be32(k, off + 8);
	uint8_t flags = k->p[off + 13];
	tcp_flags(k->out, flags);

	/* tcpdump records the conversation before its length checks: even
	 * a segment it then calls bad starts one. */
	struct rel r = { 0 };
	if (k->td != NULL && !k->td->absolute && (flags & TH_ACK))
		conv_relative(k->td, src, dst, sport, dport, flags, &seq, &ack, &r);
	if (hlen > length) {
		putf(k->out, " [bad hdr length %u - too long, > %u]", hlen, length);
		return;
	}
	length -= hlen;
	/* A segment with no data and none of SYN, FIN, RST shows no seq. */
	if (length > 0)
		putf(k->out, ", seq %u:%u", seq, seq + length);
	else if (flags & (TH_SYN | TH_FIN | TH_RST))
		putf(k->out, ", seq %u", seq);
	if (flags & TH_ACK)
		putf(k->out, ", ack %u", ack);
	putf(k->out, ", win %u", be16(k, off + 14));
	if (flags & TH_URG)
		putf(k->out, ", urg %u", be16(k, off + 18));
	if (hlen > 20 && !tcp_options(k, off + 20, hlen - 20, &r, off + hlen + length))
		return;
	putf(k->out, ", length %u", length);
	if (length == 0)
		return;
	if (!have(k, off, hlen)) {
		putf(k->out, " [remaining caplen(%zu) < header length(%u)]",
		     k->end > off ? k->end - off : 0, hlen);
		trunc_mark(k);
		return;
	}
	tcp_payload(k, off + hlen, length, sport, dport);
}

/* ---- ICMP ---- */

/* tcpdump builds the ICMP summary in a char[MAXHOSTNAMELEN + 100] with
 * snprintf, so a long one (router advertisements) is cut at 163 bytes. */
struct sbuf {
	char s[64 + 100];
	size_t n;
};

__attribute__((format(printf, 2, 3))) static void sb_add(struct sbuf *b, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	int n = vsnprintf(b->s + b->n, sizeof b->s - b->n, fmt, ap);
	va_end(ap);
	if (n > 0)
		b->n = b->n + (size_t)n < sizeof b->s ? b->n + (size_t)n : sizeof b->s - 1;
}

static const char *const unreach_fmt[16] = {
	"net %s unreachable",
	"host %s unreachable",
	NULL, /* protocol: below */
	NULL, /* port: below */
	NULL, /* need to frag: below */
	"%s unreachable - source route failed",
	"net %s unreachable - unknown",
	"host %s unreachable - unknown",
	"%s unreachable - source host isolated",
	"net %s unreachable - admin prohibited",
	"host %s unreachable - admin prohibited",
	"net %s unreachable - tos prohibited",
	"host %s unreachable - tos prohibited",
	"host %s unreachable - admin prohibited filter",
	"host %s unreachable - host precedence violation",
	"host %s unreachable - precedence cutoff",
};

/* Destination unreachable; the quoted IP header starts at off + 8. */
static bool icmp_unreach(struct pkt *k, size_t off, uint8_t code, struct sbuf *b)
{
	char dst[16];

	if (code == 3) { /* port: quote the original transport's port */
		if (!have(k, off + 8 + 9, 1))
			return false;
		size_t th = off + 8 + (size_t)(k->p[off + 8] & 0x0f) * 4;
		if (!have(k, th + 2, 2) || !have(k, off + 24, 4))
			return false;
		uint16_t dport = be16(k, th + 2);
		uint8_t proto = k->p[off + 17];
		ip_str(dst, be32(k, off + 24));
		if (proto == 6)
			sb_add(b, "%s tcp port %u unreachable", dst, dport);
		else if (proto == 17)
			sb_add(b, "%s udp port %u unreachable", dst, dport);
		else
			sb_add(b, "%s protocol %u port %u unreachable", dst, proto, dport);
		return true;
	}
	if (!have(k, off + 24, 4))
		return false;
	ip_str(dst, be32(k, off + 24));
	if (code == 2) {
		if (!have(k, off + 17, 1))
			return false;
		sb_add(b, "%s protocol %u unreachable", dst, k->p[off + 17]);
	} else if (code == 4) {
		if (!have(k, off + 6, 2))
			return false;
		uint16_t mtu = be16(k, off + 6);
		if (mtu)
			sb_add(b, "%s unreachable - need to frag (mtu %u)", dst, mtu);
		else
			sb_add(b, "%s unreachable - need to frag", dst);
	} else if (code < 16) {
		sb_add(b, unreach_fmt[code], dst);
	} else {
		sb_add(b, "%s unreachable - #%u", dst, code);
	}
	return true;
}

static bool icmp_redirect(struct pkt *k, size_t off, uint8_t code, struct sbuf *b)
{
	static const char *const kind[4] = {
		"redirect %s to net %s", "redirect %s to host %s",
		"redirect-tos %s to net %s", "redirect-tos %s to host %s",
	};
	char dst[16], gw[16];

	if (!have(k, off + 24, 4))
		return false;
	ip_str(dst, be32(k, off + 24));
	if (!have(k, off + 4, 4))
		return false;
	ip_str(gw, be32(k, off + 4));
	if (code < 4) {
		sb_add(b, kind[code], dst, gw);
	} else {
		sb_add(b, "redirect-#%u %s to %s", code, dst, gw);
	}
	return true;
}

/* RFC 1256 router advertisement: lifetime, then {address preference}. */
static bool icmp_router_adv(struct pkt *k, size_t off, struct sbuf *b)
{
	sb_add(b, "router advertisement");
	if (!have(k, off + 4, 4))
		return false;
	unsigned life = be16(k, off + 6);
	if (life < 60)
		sb_add(b, " lifetime %u", life);
	else if (life < 3600)
		sb_add(b, " lifetime %u:%02u", life / 60, life % 60);
	else
		sb_add(b, " lifetime %u:%02u:%02u", life / 3600, (life % 3600) / 60, life % 60);
	unsigned num = k->p[off + 4], size = k->p[off + 5];
	sb_add(b, " %u:", num);
	if (size != 2) {
		sb_add(b, " [size %u]", size);
		return true;
	}
	for (size_t at = off + 8; num > 0; num--, at += 8) {
		char a[16];
		if (!have(k, at, 8))
			return false;
		ip_str(a, be32(k, at));
		sb_add(b, " {%s %u}", a, be32(k, at + 4));
	}
	return true;
}

/* Milliseconds since midnight UTC as HH:MM:SS.mmm (icmp_tstamp_print). */
static void tstamp_add(struct sbuf *b, const char *label, uint32_t ms)
{
	uint32_t sec = ms / 1000, min = sec / 60, hrs = min / 60;

	sb_add(b, "%s%02u:%02u:%02u.%03u", label, hrs, min - hrs * 60, sec - min * 60, ms % 1000);
}

/* The summary for the ICMP types that need more than a fixed name. */
static bool icmp_summary(struct pkt *k, size_t off, uint8_t type, uint8_t code, struct sbuf *b)
{
	switch (type) {
	case 0: case 8:
		if (!have(k, off + 4, 4))
			return false;
		sb_add(b, "echo %s, id %u, seq %u", type == 8 ? "request" : "reply",
		       be16(k, off + 4), be16(k, off + 6));
		return true;
	case 3:
		return icmp_unreach(k, off, code, b);
	case 5:
		return icmp_redirect(k, off, code, b);
	case 9:
		return icmp_router_adv(k, off, b);
	case 11:
		if (!have(k, off + 24, 4))
			return false;
		if (code == 0)
			sb_add(b, "time exceeded in-transit");
		else if (code == 1)
			sb_add(b, "ip reassembly time exceeded");
		else
			sb_add(b, "time exceeded-#%u", code);
		return true;
	case 12:
		if (code) {
			sb_add(b, "parameter problem - code %u", code);
			return true;
		}
		if (!have(k, off + 4, 1))
			return false;
		sb_add(b, "parameter problem - octet %u", k->p[off + 4]);
		return true;
	case 13:
		if (!have(k, off + 4, 4))
			return false;
		sb_add(b, "time stamp query id %u seq %u", be16(k, off + 4), be16(k, off + 6));
		return true;
	case 14:
		if (!have(k, off + 4, 16))
			return false;
		sb_add(b, "time stamp reply id %u seq %u: ", be16(k, off + 4), be16(k, off + 6));
		tstamp_add(b, "org ", be32(k, off + 8));
		tstamp_add(b, ", recv ", be32(k, off + 12));
		tstamp_add(b, ", xmit ", be32(k, off + 16));
		return true;
	case 18:
		if (!have(k, off + 8, 4))
			return false;
		sb_add(b, "address mask is 0x%08x", be32(k, off + 8));
		return true;
	case 4: sb_add(b, "source quench"); return true;
	case 10: sb_add(b, "router solicitation"); return true;
	case 15: sb_add(b, "information request"); return true;
	case 16: sb_add(b, "information reply"); return true;
	case 17: sb_add(b, "address mask request"); return true;
	default: sb_add(b, "type-#%u", type); return true;
	}
}

/* print-icmp.c icmp_print, not verbose: "ICMP <summary>, length <plen>". */
static void print_icmp(struct pkt *k, size_t off, uint32_t plen)
{
	struct sbuf b = { .n = 0 };

	k->proto = "icmp";
	b.s[0] = '\0';
	if (!have(k, off, 2) || !icmp_summary(k, off, k->p[off], k->p[off + 1], &b)) {
		trunc_mark(k);
		return;
	}
	putf(k->out, "ICMP %s, length %u", b.s, plen);
}

/* ---- IPv4 ---- */

/* The protocols other than TCP and ICMP. tcpdump decodes many of them
 * (see tcpdump.h); we give those its generic form. UDP, SCTP and DCCP
 * print the addresses themselves in tcpdump, so they get them here. */
static void print_other(struct pkt *k, uint8_t proto, uint32_t length, const char *s,
			const char *d)
{
	if (proto == 17 || proto == 132 || proto == 33)
		putf(k->out, "%s > %s:", s, d);
	if (proto == 77)
		putf(k->out, " nd %u", length);
	else if (proto == 59)
		put(k->out, "no next header");
	else if (proto == 58)
		put(k->out, "[ICMPv6 requires IPv6] (invalid)");
	else if (proto == 143)
		put(k->out, "[Ethernet requires IPv6] (invalid)");
	else
		putf(k->out, " ip-proto-%u %u", proto, length);
}

/* The checks print-ip.c ip_print makes before it looks at the protocol.
 * Returns the header length, or 0 when the line ends here. On success
 * *len is the payload length the header claims, and bytes past the IP
 * total length (link padding) are off limits from now on. */
static uint32_t ip_checks(struct pkt *k, size_t off, uint32_t length, uint32_t *len)
{
	k->proto = "ip";
	if (!have(k, off, 1)) {
		trunc_mark(k);
		return 0;
	}
	unsigned ver = k->p[off] >> 4;
	if (ver != 4) {
		if (ver == 6)
			put(k->out, "IP6, wrong link-layer encapsulation (invalid)");
		else
			putf(k->out, "IP%u (invalid)", ver);
		return 0;
	}
	put(k->out, "IP ");
	if (!have(k, off, 20)) {
		trunc_mark(k);
		return 0;
	}
	if (length < 20) {
		putf(k->out, "truncated-ip %u", length);
		return 0;
	}
	uint32_t hlen = (uint32_t)(k->p[off] & 0x0f) * 4;
	if (hlen < 20) {
		putf(k->out, "bad-hlen %u", hlen);
		return 0;
	}
	uint32_t total = be16(k, off + 2);
	if (length < total)
		putf(k->out, "truncated-ip - %u bytes missing! ", total - length);
	if (total < hlen) {
		putf(k->out, "bad-len %u", total);
		return 0;
	}
	if (k->end > off + total)
		k->end = off + total;
	*len = total - hlen;
	return hlen;
}

/* print-ip.c ip_print for the header at `off`, `length` bytes claimed by
 * the layer below. One turn per header: IP in IP (protocol 4) loops. */
static void print_ip(struct pkt *k, size_t off, uint32_t length)
{
	for (;;) {
		uint32_t len, hlen = ip_checks(k, off, length, &len);
		if (hlen == 0)
			return;

		uint16_t frag = be16(k, off + 6);
		uint8_t proto = k->p[off + 9];
		uint32_t src = be32(k, off + 12), dst = be32(k, off + 16);
		char s[16], d[16];
		ip_str(s, src);
		ip_str(d, dst);
		if (frag & 0x1fff) {
			/* A later fragment: no transport header to show. */
			putf(k->out, "%s > %s: ip-proto-%u", s, d, proto);
			return;
		}
		/* TCP, UDP, SCTP and DCCP print the addresses with their ports. */
		if (proto != 6 && proto != 17 && proto != 132 && proto != 33)
			putf(k->out, "%s > %s: ", s, d);
		if (!have(k, off, hlen)) {
			putf(k->out, " [remaining caplen(%zu) < header length(%u)]",
			     k->end > off ? k->end - off : 0, hlen);
			trunc_mark(k);
			return;
		}
		if (proto == 4) {
			off += hlen;
			length = len;
			continue;
		}
		if (proto == 6)
			print_tcp(k, off + hlen, len, src, dst);
		else if (proto == 1)
			print_icmp(k, off + hlen, len);
		else
			print_other(k, proto, len, s, d);
		return;
	}
}

/* ---- the public interface ---- */

/* libpcap refuses to hand over records longer than this (MAXIMUM_SNAPLEN). */
#define PCAP_MAX_LEN 262144u

static void print_packet(struct sk_tcpdump *td, struct line *out, uint64_t t_ns,
			 const uint8_t *pkt, size_t len)
{
	/* pretty_print_packet's sanity checks come before the time stamp. */
	if (len == 0) {
		put(out, "[Invalid header: caplen==0, len==0]");
		return;
	}
	if (len > PCAP_MAX_LEN) {
		putf(out, "[Invalid header: len(%zu) > %u]", len, PCAP_MAX_LEN);
		return;
	}
	/* A pcap record holds 32-bit seconds; tcpdump -tt refuses the
	 * upper half of that range. Its reader truncates nanoseconds to
	 * microseconds. */
	uint32_t sec = (uint32_t)(t_ns / 1000000000u);
	uint32_t usec = (uint32_t)(t_ns % 1000000000u / 1000u);
	if (sec & 0x80000000u)
		put(out, "[Error converting time] ");
	else
		putf(out, "%u.%06u ", sec, usec);

	struct pkt k = { .p = pkt, .end = len, .proto = "raw", .out = out, .td = td };
	/* The RAW link type: the version nibble picks the printer. */
	unsigned ver = pkt[0] >> 4;
	if (ver == 4)
		print_ip(&k, 0, (uint32_t)len);
	else if (ver == 6)
		put(out, "IP6 (not decoded)");
	else
		putf(out, "unknown ip %u", ver);
}

size_t sk_tcpdump_line(struct sk_tcpdump *td, char *out, size_t cap, uint64_t t_ns,
		       const uint8_t *pkt, size_t len)
{
	struct line l = { .buf = out, .cap = cap, .len = 0 };

	print_packet(td, &l, t_ns, pkt, len);
	if (cap > 0)
		out[l.len < cap ? l.len : cap - 1] = '\0';
	return l.len;
}

size_t sk_tcpdump_format(char *out, size_t cap, uint64_t t_ns, const uint8_t *pkt, size_t len)
{
	return sk_tcpdump_line(NULL, out, cap, t_ns, pkt, len);
}

struct sk_tcpdump *sk_tcpdump_new(void)
{
	return calloc(1, sizeof(struct sk_tcpdump));
}

void sk_tcpdump_set_absolute(struct sk_tcpdump *td, int on)
{
	td->absolute = on != 0;
}

void sk_tcpdump_free(struct sk_tcpdump *td)
{
	if (td != NULL) {
		free(td->tab);
		free(td);
	}
}
