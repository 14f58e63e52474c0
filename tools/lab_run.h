/* The runner's internals, shared by lab_run.c (the loop, faults,
 * expectations, the summary), lab_app.c (application threads) and
 * lab_net.c (the tap, the observer, drop rules, floods, injected
 * segments). */
#ifndef SYNACK_TOOLS_LAB_RUN_H
#define SYNACK_TOOLS_LAB_RUN_H

#include <synack/pcap.h>
#include <synack/tcpdump.h>

#include "lab.h"

/* An application line being run: a thread of the host's process. */
struct thread {
	const struct lab_item *it;
	int pc;              /* the call it is at */
	uint64_t wake_ns;    /* sleeping until then */
	int sleeping;
	int blocked;         /* the call at pc was made and waits */
	uint64_t started_ns; /* when the blocked call was made */
	long progress;       /* send: bytes taken so far */
	int done;
	const char *killed; /* why the thread stopped before its end */
};

/* What the lab knows of a descriptor variable. */
struct var {
	int fd;              /* -1: none yet */
	uint32_t laddr, raddr;
	uint16_t lport, rport;
};

struct host_rt {
	struct var *vars;
	int *fds;            /* the application's open descriptors */
	int nfds, capfds;
	uint64_t mib[SK_MIB_COUNT]; /* counters as the crash left them */
	int crashed, boots;
	uint64_t down_ns, boot_ns;
};

struct drop_rule {
	const struct lab_item *it;
	long left;
};

struct flood {
	const struct lab_item *it;
	long sent;
	uint64_t next_ns;
};

struct agenda {
	const struct lab_item *it;
	uint64_t at_ns;
	int idx;             /* file order, to keep it among equal times */
};

/* The last segment seen each way on a 4-tuple, for `rcv.nxt`/`snd.nxt`. */
struct conv {
	uint32_t src, dst;
	uint16_t sport, dport;
	uint32_t end_seq, ack;
	int has_ack;
};

struct run {
	const struct lab_scenario *sc;
	const struct lab_opts *o;
	FILE *out;
	struct sk_sim *sim;
	struct sk_tcpdump *td;
	struct sk_pcap *pcap;
	int pcap_err;
	int width;           /* of the "who" column */
	uint64_t end_ns;
	uint64_t rng;
	struct host_rt h[LAB_MAX_HOSTS];
	struct thread *th;
	int nth, capth;
	struct agenda *ag;
	int nag, agpos;
	struct drop_rule *drops;
	int ndrops;
	struct flood *floods;
	int nfloods;
	struct lab_expect *ex; /* every expectation, with its own match count */
	unsigned char *ex_end; /* ex[i] is checked at the end */
	int nex;
	struct conv *convs;
	int nconvs;
	/* a drop rule in force for the packet being sent */
	int drop_on, drop_line; /* a drop rule lost the packet being sent */
	/* the last packet sent, to name it again when it is lost */
	uint8_t last_pkt[128];
	size_t last_len;
	char last_line[1024];
	long npkts, nrst;
	int held, failed;
	char story[8][48];
	int nstory;
};

/* lab_setup.c: hosts, paths, the agenda, the pcap file; -1 with a
 * message on stderr when the run cannot start */
int lab_setup(struct run *r);
void lab_teardown(struct run *r);

/* lab_run.c */
void lab_emit(struct run *r, const char *who, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void lab_emit_line(struct run *r, const char *who, const char *line);
void lab_verdict(struct run *r, int ok, int line, const char *what, const char *got);
void lab_story(struct run *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
uint64_t lab_rand(struct run *r);
struct sk_stack *lab_stack(struct run *r, int host);

/* lab_app.c */
int lab_thread_start(struct run *r, const struct lab_item *it);
void lab_threads_step(struct run *r, uint64_t now_ns);
uint64_t lab_threads_next(const struct run *r);
void lab_threads_kill(struct run *r, int host, const char *why);
void lab_app_kill(struct run *r, int host);
void lab_threads_end(struct run *r);
int lab_var_state(struct run *r, int host, int var);

/* lab_net.c */
void lab_net_attach(struct run *r);
void lab_drop_arm(struct run *r, const struct lab_item *it);
void lab_flood_start(struct run *r, const struct lab_item *it);
void lab_floods_step(struct run *r, uint64_t now_ns);
uint64_t lab_floods_next(const struct run *r);
void lab_inject(struct run *r, const struct lab_item *it);
void lab_drain_raw(struct run *r);
void lab_path_describe(char *out, size_t cap, const struct lab_pathopt *po);

#endif
