/* Knobs (Linux sysctl names, defaults and ranges), the config defaults,
 * `ss` state names and nstat counter names. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "synack/synack.h"

/* ---- defaults ---- */

static void test_defaults_are_linux(void **state)
{
	(void)state;
	struct sk_knobs k;

	memset(&k, 0xa5, sizeof k);
	sk_knobs_default(&k);
	assert_int_equal(k.tcp_syn_retries, 6);
	assert_int_equal(k.tcp_synack_retries, 5);
	assert_int_equal(k.tcp_retries1, 3);
	assert_int_equal(k.tcp_retries2, 15);
	assert_int_equal(k.tcp_orphan_retries, 0);
	assert_int_equal(k.tcp_fin_timeout, 60);
	assert_int_equal(k.tcp_keepalive_time, 7200);
	assert_int_equal(k.tcp_keepalive_intvl, 75);
	assert_int_equal(k.tcp_keepalive_probes, 9);
	assert_int_equal(k.somaxconn, 4096);
	assert_int_equal(k.tcp_max_syn_backlog, 1024);
	assert_int_equal(k.tcp_syncookies, 1);
	assert_int_equal(k.tcp_abort_on_overflow, 0);
	assert_int_equal(k.tcp_tw_reuse, 2);
	assert_int_equal(k.tcp_timestamps, 1);
	assert_int_equal(k.tcp_sack, 1);
	assert_int_equal(k.tcp_window_scaling, 1);
	assert_int_equal(k.tcp_rmem[0], 4096);
	assert_int_equal(k.tcp_rmem[1], 131072);
	assert_int_equal(k.tcp_rmem[2], 6291456);
	assert_int_equal(k.tcp_wmem[0], 4096);
	assert_int_equal(k.tcp_wmem[1], 16384);
	assert_int_equal(k.tcp_wmem[2], 4194304);
	assert_int_equal(k.ip_local_port_range[0], 32768);
	assert_int_equal(k.ip_local_port_range[1], 60999);
	assert_int_equal(k.tcp_rto_min_ms, 200);
	assert_int_equal(k.tcp_rto_max_ms, 120000);
	assert_int_equal(k.tcp_rto_initial_ms, 1000);
	assert_int_equal(k.tcp_delack_min_ms, 40);
	assert_int_equal(k.tcp_delack_max_ms, 200);
	assert_int_equal(k.tcp_challenge_ack_limit, INT_MAX);
	assert_int_equal(k.tcp_syn_linear_timeouts, 4);
	assert_int_equal(k.tcp_min_tso_segs, 2);
	assert_int_equal(k.tcp_invalid_ratelimit, 500);
}

static void test_config_default(void **state)
{
	(void)state;
	struct sk_config cfg;
	struct sk_knobs k;

	memset(&cfg, 0xa5, sizeof cfg);
	sk_config_default(&cfg);
	sk_knobs_default(&k);
	assert_int_equal(cfg.addr, 0);
	assert_int_equal(cfg.mtu, 1500);
	assert_int_equal(cfg.seed, 0);
	assert_memory_equal(&cfg.knobs, &k, sizeof k);
	assert_null(cfg.output);
	assert_null(cfg.output_ctx);
	assert_null(cfg.observe);
	assert_null(cfg.observe_ctx);
	assert_null(cfg.alloc);
	assert_null(cfg.free);
	assert_null(cfg.alloc_ctx);
}

/* ---- setting by name ---- */

static void test_set_single(void **state)
{
	(void)state;
	struct sk_knobs k, want;

	sk_knobs_default(&k);
	want = k;
	assert_int_equal(sk_knob_set(&k, "tcp_syn_retries", "5"), 0);
	want.tcp_syn_retries = 5;
	assert_memory_equal(&k, &want, sizeof k);

	/* What `echo 30 > /proc/sys/...` and `sysctl -w` send. */
	assert_int_equal(sk_knob_set(&k, "tcp_fin_timeout", "30\n"), 0);
	assert_int_equal(sk_knob_set(&k, "tcp_retries2", "\v8\f\r\n"), 0);
	assert_int_equal(sk_knob_set(&k, "net.ipv4.tcp_keepalive_time", " \t600 "), 0);
	assert_int_equal(sk_knob_set(&k, "net.core.somaxconn", "128"), 0);
	assert_int_equal(sk_knob_set(&k, "tcp_abort_on_overflow", "1"), 0);
	want.tcp_fin_timeout = 30;
	want.tcp_retries2 = 8;
	want.tcp_keepalive_time = 600;
	want.somaxconn = 128;
	want.tcp_abort_on_overflow = 1;
	assert_memory_equal(&k, &want, sizeof k);
}

static void test_set_vectors(void **state)
{
	(void)state;
	struct sk_knobs k;

	sk_knobs_default(&k);
	assert_int_equal(sk_knob_set(&k, "ip_local_port_range", "40000 40009"), 0);
	assert_int_equal(k.ip_local_port_range[0], 40000);
	assert_int_equal(k.ip_local_port_range[1], 40009);
	/* sysctl prints vectors tab-separated; any blanks will do. */
	assert_int_equal(sk_knob_set(&k, "tcp_rmem", "4096\t87380\t6291456\n"), 0);
	assert_int_equal(k.tcp_rmem[0], 4096);
	assert_int_equal(k.tcp_rmem[1], 87380);
	assert_int_equal(k.tcp_rmem[2], 6291456);
	assert_int_equal(sk_knob_set(&k, "net.ipv4.tcp_wmem", "  1   1  1 "), 0);
	assert_int_equal(k.tcp_wmem[0], 1);
	assert_int_equal(k.tcp_wmem[1], 1);
	assert_int_equal(k.tcp_wmem[2], 1);
	/* A range of one port is fine. */
	assert_int_equal(sk_knob_set(&k, "ip_local_port_range", "50000 50000"), 0);
	assert_int_equal(k.ip_local_port_range[0], 50000);
	assert_int_equal(k.ip_local_port_range[1], 50000);
}

/* Every knob with its accepted range: the ends are taken, one past them is
 * refused and changes nothing. */
struct range {
	const char *name;
	long lo, hi;
	size_t off;
};

#define R(n, lo, hi) { #n, lo, hi, offsetof(struct sk_knobs, n) }

static const struct range ranges[] = {
	R(tcp_syn_retries, 1, 127),
	R(tcp_synack_retries, 0, 255),
	R(tcp_retries1, 0, 255),
	R(tcp_retries2, 0, 255),
	R(tcp_orphan_retries, 0, 255),
	R(tcp_fin_timeout, 0, INT_MAX / 1000),
	R(tcp_keepalive_time, 1, INT_MAX / 1000),
	R(tcp_keepalive_intvl, 1, INT_MAX / 1000),
	R(tcp_keepalive_probes, 0, 255),
	R(somaxconn, 0, INT_MAX),
	R(tcp_max_syn_backlog, 0, INT_MAX),
	R(tcp_syncookies, 0, 255),
	R(tcp_abort_on_overflow, 0, 255),
	R(tcp_tw_reuse, 0, 2),
	R(tcp_timestamps, 0, 255),
	R(tcp_sack, 0, 255),
	R(tcp_window_scaling, 0, 255),
	R(tcp_rto_min_ms, 1, 120000),
	R(tcp_rto_max_ms, 1000, 120000),
	R(tcp_rto_initial_ms, 1, 120000),
	R(tcp_delack_min_ms, 1, 500),
	R(tcp_delack_max_ms, 1, 500),
	R(tcp_challenge_ack_limit, 0, INT_MAX),
	R(tcp_invalid_ratelimit, 0, INT_MAX / 1000),
	R(tcp_syn_linear_timeouts, 0, 255),
	R(tcp_min_tso_segs, 1, 255),
};

static void expect_refused(struct sk_knobs *k, const char *name, const char *value, int err)
{
	struct sk_knobs before = *k;

	assert_int_equal(sk_knob_set(k, name, value), err);
	assert_memory_equal(k, &before, sizeof before);
}

static void test_ranges(void **state)
{
	(void)state;
	struct sk_knobs k;
	char v[32];

	sk_knobs_default(&k);
	for (size_t i = 0; i < sizeof ranges / sizeof ranges[0]; i++) {
		const struct range *r = &ranges[i];
		const int *field = (const int *)((const char *)&k + r->off);

		snprintf(v, sizeof v, "%ld", r->lo);
		assert_int_equal(sk_knob_set(&k, r->name, v), 0);
		assert_int_equal(*field, r->lo);
		snprintf(v, sizeof v, "%ld", r->hi);
		assert_int_equal(sk_knob_set(&k, r->name, v), 0);
		assert_int_equal(*field, r->hi);
		snprintf(v, sizeof v, "%ld", r->lo - 1);
		expect_refused(&k, r->name, v, -EINVAL);
		snprintf(v, sizeof v, "%ld", r->hi + 1);
		expect_refused(&k, r->name, v, -EINVAL);
	}
}

static void test_vector_errors(void **state)
{
	(void)state;
	struct sk_knobs k;

	sk_knobs_default(&k);
	/* Wrong count. */
	expect_refused(&k, "ip_local_port_range", "40000", -EINVAL);
	expect_refused(&k, "ip_local_port_range", "40000 40001 40002", -EINVAL);
	expect_refused(&k, "tcp_rmem", "4096 8192", -EINVAL);
	expect_refused(&k, "tcp_wmem", "1 2 3 4", -EINVAL);
	/* Order: low <= high, min <= default <= max. */
	expect_refused(&k, "ip_local_port_range", "40001 40000", -EINVAL);
	expect_refused(&k, "tcp_rmem", "4096 4095 8192", -EINVAL);
	expect_refused(&k, "tcp_wmem", "4096 8192 8191", -EINVAL);
	/* Ranges: no privileged ephemeral ports (Linux's ip_unprivileged_port_start). */
	expect_refused(&k, "ip_local_port_range", "1023 60999", -EINVAL);
	expect_refused(&k, "ip_local_port_range", "32768 65536", -EINVAL);
	expect_refused(&k, "tcp_rmem", "0 131072 6291456", -EINVAL);
	expect_refused(&k, "tcp_wmem", "4096 16384 2147483648", -EINVAL);
	/* One bad value spoils the write. */
	expect_refused(&k, "tcp_rmem", "4096 x 6291456", -EINVAL);
}

static void test_bad_values(void **state)
{
	(void)state;
	static const char *const bad[] = {
		"", " ", "\n", "abc", "5x", "5 6", "-", "+5", "0x10", "5.0", "1e3",
		"99999999999999999999", "-99999999999999999999", "2147483648", "5;", "5,6",
	};
	struct sk_knobs k;

	sk_knobs_default(&k);
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		expect_refused(&k, "tcp_syn_retries", bad[i], -EINVAL);
	expect_refused(&k, "tcp_syn_retries", NULL, -EINVAL);
	expect_refused(&k, "tcp_tw_reuse", "-1", -EINVAL);
	expect_refused(&k, NULL, "5", -EINVAL);
}

static void test_unknown_names(void **state)
{
	(void)state;
	static const char *const unknown[] = {
		"", "tcp_syn_retrie", "tcp_syn_retriess", "TCP_SYN_RETRIES",
		"net.ipv4.", "net.core.tcp_syn_retries", "net.ipv4.somaxconn",
		"net/ipv4/tcp_syn_retries", "tcp_mem", "tcp_congestion_control",
	};
	struct sk_knobs k;

	sk_knobs_default(&k);
	for (size_t i = 0; i < sizeof unknown / sizeof unknown[0]; i++)
		expect_refused(&k, unknown[i], "5", -ENOENT);
	/* The name is checked before the value. */
	expect_refused(&k, "no_such_knob", "garbage", -ENOENT);
}

/* ---- names ---- */

static void test_state_names(void **state)
{
	(void)state;
	assert_string_equal(sk_state_name(SK_TCP_ESTABLISHED), "ESTAB");
	assert_string_equal(sk_state_name(SK_TCP_SYN_SENT), "SYN-SENT");
	assert_string_equal(sk_state_name(SK_TCP_SYN_RECV), "SYN-RECV");
	assert_string_equal(sk_state_name(SK_TCP_FIN_WAIT1), "FIN-WAIT-1");
	assert_string_equal(sk_state_name(SK_TCP_FIN_WAIT2), "FIN-WAIT-2");
	assert_string_equal(sk_state_name(SK_TCP_TIME_WAIT), "TIME-WAIT");
	assert_string_equal(sk_state_name(SK_TCP_CLOSE), "UNCONN");
	assert_string_equal(sk_state_name(SK_TCP_CLOSE_WAIT), "CLOSE-WAIT");
	assert_string_equal(sk_state_name(SK_TCP_LAST_ACK), "LAST-ACK");
	assert_string_equal(sk_state_name(SK_TCP_LISTEN), "LISTEN");
	assert_string_equal(sk_state_name(SK_TCP_CLOSING), "CLOSING");
	assert_string_equal(sk_state_name(0), "UNKNOWN");
	assert_string_equal(sk_state_name(SK_TCP_CLOSING + 1), "UNKNOWN");
	assert_string_equal(sk_state_name(-1), "UNKNOWN");
	assert_string_equal(sk_state_name(INT_MAX), "UNKNOWN");
}

static void test_counter_names(void **state)
{
	(void)state;
	static const char *const want[] = {
#define SK_COUNTER_WANT(n) #n,
		SK_COUNTERS(SK_COUNTER_WANT)
#undef SK_COUNTER_WANT
	};

	assert_int_equal(sizeof want / sizeof want[0], SK_MIB_COUNT);
	for (int c = 0; c < SK_MIB_COUNT; c++)
		assert_string_equal(sk_counter_name((enum sk_counter)c), want[c]);
	assert_string_equal(sk_counter_name(SK_MIB_ActiveOpens), "ActiveOpens");
	assert_string_equal(sk_counter_name(SK_MIB_ListenOverflows), "ListenOverflows");
	assert_string_equal(sk_counter_name(SK_MIB_TW), "TW");
	assert_string_equal(sk_counter_name(SK_MIB_COUNT), "UNKNOWN");
	assert_string_equal(sk_counter_name((enum sk_counter)-1), "UNKNOWN");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults_are_linux),
		cmocka_unit_test(test_config_default),
		cmocka_unit_test(test_set_single),
		cmocka_unit_test(test_set_vectors),
		cmocka_unit_test(test_ranges),
		cmocka_unit_test(test_vector_errors),
		cmocka_unit_test(test_bad_values),
		cmocka_unit_test(test_unknown_names),
		cmocka_unit_test(test_state_names),
		cmocka_unit_test(test_counter_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
