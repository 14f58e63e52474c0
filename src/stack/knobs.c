/* Knobs, state names and counter names: the tables that make synack speak
 * Linux's vocabulary (sysctl names and ranges, `ss` state names, nstat
 * counter names). Pure data and parsing; no state. */
#include "synack/synack.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

void sk_knobs_default(struct sk_knobs *k)
{
	*k = (struct sk_knobs){
		.tcp_syn_retries = 6,
		.tcp_syn_linear_timeouts = 4,
		.tcp_synack_retries = 5,
		.tcp_retries1 = 3,
		.tcp_retries2 = 15,
		.tcp_orphan_retries = 0,
		.tcp_fin_timeout = 60,
		.tcp_keepalive_time = 7200,
		.tcp_keepalive_intvl = 75,
		.tcp_keepalive_probes = 9,
		.somaxconn = 4096,
		.tcp_max_syn_backlog = 1024,
		.tcp_syncookies = 1,
		.tcp_abort_on_overflow = 0,
		.tcp_tw_reuse = 2,
		.tcp_timestamps = 1,
		.tcp_sack = 1,
		.tcp_reordering = 3,
		.tcp_window_scaling = 1,
		.tcp_rmem = { 4096, 131072, 6291456 },
		.tcp_wmem = { 4096, 16384, 4194304 },
		.ip_local_port_range = { 32768, 60999 },
		.tcp_rto_min_ms = 200,
		.tcp_rto_max_ms = 120000,
		.tcp_rto_initial_ms = 1000,
		.tcp_delack_min_ms = 40,
		.tcp_delack_max_ms = 200,
		.tcp_challenge_ack_limit = INT_MAX,
		.tcp_invalid_ratelimit = 500,
		.tcp_min_tso_segs = 2,
		.tcp_notsent_lowat = INT_MAX,
		.tcp_ecn = 2,
	};
}

void sk_config_default(struct sk_config *cfg)
{
	/* A compound literal zeroes every pointer and the address. */
	*cfg = (struct sk_config){ .mtu = 1500 };
	sk_knobs_default(&cfg->knobs);
}

/* Linux's proc_dointvec_jiffies refuses values above INT_MAX / HZ; with
 * HZ = 1000 that keeps every second-valued knob convertible to int ms. */
#define SECS_MAX (INT_MAX / 1000)
/* Linux keeps these as u8 (proc_dou8vec_minmax): 0..255 unless narrowed. */
#define U8_MAX 255

enum knob_check {
	CHECK_NONE,
	CHECK_ASCENDING, /* each value <= the next: port range, rmem, wmem */
};

struct knob_desc {
	const char *name;
	const char *ns; /* the sysctl directory, for "net.ipv4.tcp_..." */
	size_t offset;
	int count;
	int min, max;   /* for every value */
	enum knob_check check;
};

#define KNOB(n, ns, cnt, lo, hi, chk) \
	{ #n, ns, offsetof(struct sk_knobs, n), cnt, lo, hi, chk }
#define IPV4 "net.ipv4."

/* Ranges are Linux 6.x's (net/ipv4/sysctl_net_ipv4.c) unless noted. */
static const struct knob_desc knob_table[] = {
	KNOB(tcp_syn_retries, IPV4, 1, 1, 127, CHECK_NONE), /* MAX_TCP_SYNCNT */
	KNOB(tcp_syn_linear_timeouts, IPV4, 1, 0, U8_MAX, CHECK_NONE),
	KNOB(tcp_synack_retries, IPV4, 1, 0, U8_MAX, CHECK_NONE),
	KNOB(tcp_retries1, IPV4, 1, 0, U8_MAX, CHECK_NONE),
	KNOB(tcp_retries2, IPV4, 1, 0, U8_MAX, CHECK_NONE),
	KNOB(tcp_orphan_retries, IPV4, 1, 0, U8_MAX, CHECK_NONE),
	KNOB(tcp_fin_timeout, IPV4, 1, 0, SECS_MAX, CHECK_NONE),
	/* Linux takes 0 here too, but a zero idle or interval would make
	 * keepalive fire endlessly at one instant; TCP_KEEPIDLE and
	 * TCP_KEEPINTVL refuse 0 as well. */
	KNOB(tcp_keepalive_time, IPV4, 1, 1, SECS_MAX, CHECK_NONE),
	KNOB(tcp_keepalive_intvl, IPV4, 1, 1, SECS_MAX, CHECK_NONE),
	KNOB(tcp_keepalive_probes, IPV4, 1, 0, U8_MAX, CHECK_NONE),
	KNOB(somaxconn, "net.core.", 1, 0, INT_MAX, CHECK_NONE),
	/* Linux: any int; a negative backlog means nothing. */
	KNOB(tcp_max_syn_backlog, IPV4, 1, 0, INT_MAX, CHECK_NONE),
	KNOB(tcp_syncookies, IPV4, 1, 0, U8_MAX, CHECK_NONE),
	KNOB(tcp_abort_on_overflow, IPV4, 1, 0, U8_MAX, CHECK_NONE),
	KNOB(tcp_tw_reuse, IPV4, 1, 0, 2, CHECK_NONE),
	KNOB(tcp_timestamps, IPV4, 1, 0, U8_MAX, CHECK_NONE),
	KNOB(tcp_sack, IPV4, 1, 0, U8_MAX, CHECK_NONE),
	KNOB(tcp_reordering, IPV4, 1, 1, 300, CHECK_NONE),
	KNOB(tcp_window_scaling, IPV4, 1, 0, U8_MAX, CHECK_NONE),
	/* Linux checks only >= 1; min <= default <= max is ours, because
	 * the buffer code relies on it. */
	KNOB(tcp_rmem, IPV4, 3, 1, INT_MAX, CHECK_ASCENDING),
	KNOB(tcp_wmem, IPV4, 3, 1, INT_MAX, CHECK_ASCENDING),
	/* The low end may not reach into the privileged ports
	 * (ip_unprivileged_port_start, 1024 by default). */
	KNOB(ip_local_port_range, IPV4, 2, 1024, 65535, CHECK_ASCENDING),
	/* Not sysctls in Linux (route attributes and constants) except
	 * tcp_rto_max_ms (6.15+: 1000..120000). */
	KNOB(tcp_rto_min_ms, IPV4, 1, 1, 120000, CHECK_NONE),
	KNOB(tcp_rto_max_ms, IPV4, 1, 1000, 120000, CHECK_NONE),
	KNOB(tcp_rto_initial_ms, IPV4, 1, 1, 120000, CHECK_NONE),
	/* RFC 1122 §4.2.3.2: an ACK may be delayed at most 0.5 s. */
	KNOB(tcp_delack_min_ms, IPV4, 1, 1, 500, CHECK_NONE),
	KNOB(tcp_delack_max_ms, IPV4, 1, 1, 500, CHECK_NONE),
	KNOB(tcp_challenge_ack_limit, IPV4, 1, 0, INT_MAX, CHECK_NONE),
	KNOB(tcp_invalid_ratelimit, IPV4, 1, 0, SECS_MAX, CHECK_NONE),
	KNOB(tcp_min_tso_segs, IPV4, 1, 1, U8_MAX, CHECK_NONE),
	/* Linux's is a u32 with UINT_MAX for "no limit"; INT_MAX is as good
	 * here, no send buffer comes near it */
	KNOB(tcp_notsent_lowat, IPV4, 1, 0, INT_MAX, CHECK_NONE),
	KNOB(tcp_ecn, IPV4, 1, 0, 2, CHECK_NONE),
};

#define KNOB_MAX_VALUES 3

/* Finds a knob by its bare name or its full sysctl name
 * ("net.ipv4.tcp_syn_retries", "net.core.somaxconn"). */
static const struct knob_desc *knob_find(const char *name)
{
	for (size_t i = 0; i < sizeof knob_table / sizeof knob_table[0]; i++) {
		const struct knob_desc *d = &knob_table[i];
		size_t nslen = strlen(d->ns);

		if (strcmp(name, d->name) == 0)
			return d;
		if (strncmp(name, d->ns, nslen) == 0 && strcmp(name + nslen, d->name) == 0)
			return d;
	}
	return NULL;
}

/* isspace() in the C locale, which is what the kernel skips. */
static int is_blank(char c)
{
	return c == ' ' || (c >= '\t' && c <= '\r');
}

/* Parses exactly `count` decimal integers separated by blanks, as one
 * writes them to /proc/sys (leading and trailing blanks, a final newline
 * are fine). Returns 0 or -EINVAL. */
static int parse_ints(const char *s, int count, long *out)
{
	int n = 0;

	for (;;) {
		while (is_blank(*s))
			s++;
		if (*s == '\0')
			break;
		/* strtol would also take "+5" and leading blanks it skips
		 * itself; the kernel takes an optional '-' and digits only. */
		if (!(*s >= '0' && *s <= '9') && !(s[0] == '-' && s[1] >= '0' && s[1] <= '9'))
			return -EINVAL;
		if (n == count)
			return -EINVAL; /* too many values */
		char *end;
		errno = 0;
		long v = strtol(s, &end, 10);
		if (errno == ERANGE || (*end != '\0' && !is_blank(*end)))
			return -EINVAL;
		out[n++] = v;
		s = end;
	}
	return n == count ? 0 : -EINVAL;
}

int sk_knob_set(struct sk_knobs *k, const char *name, const char *value)
{
	if (k == NULL || name == NULL)
		return -EINVAL;
	const struct knob_desc *d = knob_find(name);
	if (d == NULL)
		return -ENOENT;
	if (value == NULL)
		return -EINVAL;

	long v[KNOB_MAX_VALUES];
	int err = parse_ints(value, d->count, v);
	if (err)
		return err;
	for (int i = 0; i < d->count; i++) {
		if (v[i] < d->min || v[i] > d->max)
			return -EINVAL;
		if (d->check == CHECK_ASCENDING && i > 0 && v[i - 1] > v[i])
			return -EINVAL;
	}

	/* Only now, with every value checked, touch the struct. */
	int *dst = (int *)((char *)k + d->offset);
	for (int i = 0; i < d->count; i++)
		dst[i] = (int)v[i];
	return 0;
}

const char *sk_state_name(int state)
{
	/* The names `ss -tan` prints (iproute2 misc/ss.c sstate_name);
	 * CLOSE is "UNCONN" there. */
	static const char *const names[] = {
		[SK_TCP_ESTABLISHED] = "ESTAB",
		[SK_TCP_SYN_SENT] = "SYN-SENT",
		[SK_TCP_SYN_RECV] = "SYN-RECV",
		[SK_TCP_FIN_WAIT1] = "FIN-WAIT-1",
		[SK_TCP_FIN_WAIT2] = "FIN-WAIT-2",
		[SK_TCP_TIME_WAIT] = "TIME-WAIT",
		[SK_TCP_CLOSE] = "UNCONN",
		[SK_TCP_CLOSE_WAIT] = "CLOSE-WAIT",
		[SK_TCP_LAST_ACK] = "LAST-ACK",
		[SK_TCP_LISTEN] = "LISTEN",
		[SK_TCP_CLOSING] = "CLOSING",
	};

	if (state <= 0 || (size_t)state >= sizeof names / sizeof names[0])
		return "UNKNOWN";
	return names[state];
}

const char *sk_counter_name(enum sk_counter c)
{
	static const char *const names[] = {
#define SK_COUNTER_NAME(n) #n,
		SK_COUNTERS(SK_COUNTER_NAME)
#undef SK_COUNTER_NAME
	};

	if ((unsigned)c >= SK_MIB_COUNT)
		return "UNKNOWN";
	return names[c];
}
