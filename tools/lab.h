/* The lab: scenarios written in a small line-oriented language (docs/lab.md),
 * parsed into the structures below (lab_parse.c), run in the simulator on
 * one printed timeline (lab_run.c, lab_print.c, lab_wire.c) and driven by
 * `synack lab` (lab_cmd.c). Built-in scenarios are the files under
 * scenarios/, embedded into the binary at build time (lab_builtin[]). */
#ifndef SYNACK_TOOLS_LAB_H
#define SYNACK_TOOLS_LAB_H

#include <stdint.h>
#include <stdio.h>

#include <synack/sim.h>
#include <synack/synack.h>

#define LAB_MAX_HOSTS 16
#define LAB_MAX_IDS 16
#define LAB_MAX_REPEAT 100000 /* a repeat that large is a typo, not a scenario */

/* ---- the parsed scenario ---- */

enum lab_op { OP_EQ, OP_NE, OP_LT, OP_LE, OP_GT, OP_GE };

/* Which fields of a path a `link`/`path` line sets; the others keep their
 * value (zero at set-up). */
enum {
	PO_DELAY = 1 << 0, PO_JITTER = 1 << 1, PO_LOSS = 1 << 2, PO_DUP = 1 << 3,
	PO_REORDER = 1 << 4, PO_CORRUPT = 1 << 5, PO_BW = 1 << 6, PO_MTU = 1 << 7,
	PO_DOWN = 1 << 8, PO_UNREACH = 1 << 9,
};
struct lab_pathopt {
	unsigned set; /* PO_* */
	struct sk_path p;
};

enum lab_call_kind {
	CALL_SOCKET, CALL_BIND, CALL_LISTEN, CALL_ACCEPT, CALL_CONNECT, CALL_SEND,
	CALL_RECV, CALL_SHUTDOWN, CALL_CLOSE, CALL_SETSOCKOPT, CALL_GETSOCKOPT,
	CALL_POLL, CALL_SLEEP,
};

/* What `-> RESULT` after a call expects. */
enum lab_want { WANT_NONE, WANT_VALUE, WANT_OK, WANT_ERROR, WANT_BLOCKED };

struct lab_call {
	enum lab_call_kind kind;
	int line;
	int var;          /* the descriptor variable it acts on, or -1 */
	int out_var;      /* `VAR = call`: the variable it assigns, or -1 */
	uint32_t addr;    /* bind/connect, host byte order */
	uint16_t port;
	long n;           /* backlog, bytes, recv size, shutdown how, option value */
	long n2;          /* SO_LINGER seconds */
	char *data;       /* send: the bytes given as text, or NULL for n bytes */
	int level, opt;   /* setsockopt/getsockopt */
	const char *opt_name;
	uint64_t ns;      /* sleep */
	int nonblock;     /* socket nonblock */
	enum lab_want want;
	long want_value;  /* a count, 0, -errno, or poll bits */
};

enum lab_expect_kind { EX_STATE, EX_COUNT, EX_COUNTER, EX_PACKET };

#define LAB_ROUTER (-2)   /* a packet expectation's sender: the router of a downed path */
#define LAB_STATE_GONE 0 /* `expect HOST VAR state gone`: no socket any more */

struct lab_expect {
	enum lab_expect_kind kind;
	int line;
	int host, var;     /* -1: any host (packets), LAB_ROUTER */
	int host2;         /* packet: the receiving host, -1 any */
	int state;         /* sk_tcp_state or LAB_STATE_GONE */
	enum sk_counter counter;
	enum lab_op op;
	long n;
	char *text;        /* packet: a substring of its tcpdump line */
	uint64_t t1, t2;   /* packet: the window it must fall in */
	uint64_t seen;     /* run time: matching packets so far */
};

enum lab_item_kind {
	IT_THREAD, IT_CRASH, IT_REBOOT, IT_KILL, IT_PARTITION, IT_HEAL, IT_LINK,
	IT_PATH, IT_SET, IT_DROP, IT_FLOOD, IT_INJECT, IT_SS, IT_EXPECT,
};

/* A sequence number in an injected segment: a constant, or what the
 * receiving host last showed on the wire (its RCV.NXT is the ack it last
 * sent, its SND.NXT the end of the last segment it sent), plus an offset. */
enum lab_seq_base { SEQ_ABS, SEQ_RCV_NXT, SEQ_SND_NXT };
struct lab_seq {
	enum lab_seq_base base;
	int64_t off;
	int given;
};

struct lab_item {
	enum lab_item_kind kind;
	int line;
	uint64_t at_ns;      /* UINT64_MAX: an expectation checked at the end */
	int setup;           /* a line without `at`: applied before time starts */
	int repeat;          /* thread: times to start it (1) */
	uint64_t every_ns;   /* thread: between starts */
	int host, host2;     /* hosts concerned (-1 none) */
	struct lab_call *calls; /* thread */
	int ncalls;
	struct lab_pathopt po;  /* link, path */
	char *knob, *value;     /* set */
	char *text;             /* drop: the text a packet line must contain */
	long count;             /* drop, flood */
	uint64_t rate;          /* flood: SYNs a second */
	uint32_t src_addr, dst_addr; /* flood (src: first spoofed source), inject */
	uint16_t src_port, dst_port;
	uint8_t tcp_flags;      /* inject */
	struct lab_seq seq, ack;
	uint16_t win;
	char *data;             /* inject payload */
	struct lab_expect ex;   /* expect */
};

struct lab_knob {
	char *name, *value;
};

struct lab_host {
	char *name;
	uint32_t addr;
	int raw;
	struct lab_knob *knobs;
	int nknobs;
	char **vars;   /* descriptor variables used on this host */
	int nvars;
};

struct lab_scenario {
	char *file;          /* as errors name it */
	char *name, *desc;
	char *ids[LAB_MAX_IDS];
	int nids;
	char *pending;       /* why it is expected to fail for now, or NULL */
	uint64_t seed;
	uint64_t end_ns;
	int has_end;
	struct lab_host hosts[LAB_MAX_HOSTS];
	int nhosts;
	struct lab_item *items; /* in file order; set-up lines have at_ns 0 */
	int nitems;
	int uses_inject;
};

/* Parses `text` (the contents of `file`). On error writes "FILE:LINE: what
 * was expected" into err and returns NULL. */
struct lab_scenario *lab_parse(const char *file, const char *text, char *err, size_t errcap);
void lab_scenario_free(struct lab_scenario *sc);

/* Parsing helpers shared with the command line. */
int lab_parse_time(const char *s, uint64_t *ns);
int lab_state_parse(const char *s);
const char *lab_errno_name(int e);

/* ---- running ---- */

struct lab_set {
	char *host;   /* NULL: every stack host */
	char *knob, *value;
};

struct lab_opts {
	FILE *out;           /* the timeline; NULL prints nothing */
	const char *pcap;    /* NULL: no pcap file */
	struct lab_set *sets;
	int nsets;
	uint64_t seed;
	int has_seed;
	uint64_t *ss_at;     /* --ss times */
	int nss;
};

struct lab_result {
	int held, failed;
	int error;           /* the run could not start (bad --set, pcap file) */
	char story[160];     /* what happened, in one line, for the tour */
};

/* Runs the scenario; fills `res`. Returns 0 when every expectation held, 1
 * when one failed, 2 when the run could not start (message on stderr). */
int lab_run(const struct lab_scenario *sc, const struct lab_opts *o, struct lab_result *res);

/* ---- raw segments (lab_wire.c) ---- */

struct lab_seg {
	uint32_t src, dst;
	uint16_t sport, dport;
	uint32_t seq, ack;
	uint8_t flags;
	uint16_t win;
	const uint8_t *data;
	size_t len;
	int mss;             /* non-zero: an MSS option (SYNs) */
};
#define LAB_FIN 0x01
#define LAB_SYN 0x02
#define LAB_RST 0x04
#define LAB_PSH 0x08
#define LAB_ACK 0x10
#define LAB_URG 0x20

/* Builds an IPv4+TCP packet into out (cap >= 60 + len); returns its length. */
size_t lab_seg_build(uint8_t *out, size_t cap, const struct lab_seg *s);
/* Parses the TCP segment in an IPv4 packet; returns 0 when it is not one. */
int lab_seg_parse(const uint8_t *pkt, size_t len, struct lab_seg *s);
/* "S.", "R", "." -> flag bits; returns -1 for a letter tcpdump does not use. */
int lab_flags_parse(const char *s);

/* ---- printing (lab_print.c) ---- */

/* "12.345678", as tcpdump -tt prints a time (microseconds, truncated). */
void lab_fmt_time(char *out, size_t cap, uint64_t ns);
/* "0.02s", "64s": a short time for the one-line story. */
void lab_fmt_short(char *out, size_t cap, uint64_t ns);
/* "10.0.0.1:80", "0.0.0.0:*" */
void lab_fmt_addr(char *out, size_t cap, uint32_t addr, uint16_t port, int star);
/* An `ss -tan -o` listing of one host, each line after `indent`. */
void lab_print_ss(FILE *f, const char *indent, const struct sk_stack *st, uint64_t now_ns);
/* The `ss -s` style per-state counts of one host, on one line. */
void lab_print_states(FILE *f, const struct sk_stack *st);
/* Counters that are not zero, "Name value" pairs. */
void lab_print_counters(FILE *f, const char *indent, const uint64_t *mib);
/* ss's timer text (print_ms_timer in iproute2's ss.c). */
void lab_fmt_ss_timer(char *out, size_t cap, uint64_t ms);

/* ---- built-in scenarios (generated from scenarios/NAME.scn at build time) ---- */

struct lab_builtin {
	const char *name;   /* the file name without .scn */
	const char *text;
	unsigned long len;
};
extern const struct lab_builtin lab_builtin[];
extern const unsigned long lab_nbuiltin;

#endif
