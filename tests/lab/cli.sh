#!/bin/sh
# `synack lab`: list, show, tour, and mistakes on the command line that
# say what was wrong and how to fix it (exit 2).
# usage: cli.sh SYNACK
bin=$1
status=0
dir=$(mktemp -d) || exit 1
trap 'rm -rf "$dir"' EXIT
check() { # check EXPECTED-EXIT EXPECTED-TEXT ARGS...
	want=$1 text=$2
	shift 2
	"$bin" "$@" >"$dir/out" 2>&1
	rc=$?
	if [ $rc != "$want" ] || ! grep -qF -- "$text" "$dir/out"; then
		echo "cli: synack $*: expected exit $want and '$text', got exit $rc:" >&2
		head -20 "$dir/out" >&2
		status=1
	fi
}
check 0 "closed-port" lab list
check 0 "scenario closed-port" lab show closed-port
check 2 "no built-in scenario by that name" lab show nosuch
check 2 "no built-in scenario or readable file named 'nosuch'" lab run nosuch
check 2 "unknown option '--pcpa'" lab run closed-port --pcpa x
check 2 "--pcap needs a value" lab run closed-port --pcap
check 2 "--set takes KNOB=VALUE" lab run closed-port --set tcp_syn_retries
check 2 "unknown knob" lab run closed-port --set tcp_syn_retrys=5
check 2 "has no host 'nohost'" lab run closed-port --set nohost.tcp_syn_retries=5
check 2 "--ss takes a time" lab run closed-port --ss soon
check 2 "choose a time up to then" lab run closed-port --ss 1h
check 2 "--seed takes a whole number" lab run closed-port --seed x
check 2 "which scenario?" lab run
check 2 "unknown subcommand" lab frobnicate
check 0 "synack lab run NAME|FILE" lab help
# --set changes the run: with 5 SYN retries the connect fails at 63 s
check 1 "connect(3, 10.0.0.2:80) = -1 ETIMEDOUT (Connection timed out) <63.000000>" lab run syn-lost-classic --set tcp_syn_retries=5
check 0 "timer:(timewait," lab run four-way-close --ss 1s
# the same seed gives the same run, another seed another one
"$bin" lab run handshake --seed 7 >"$dir/a" 2>&1
"$bin" lab run handshake --seed 7 >"$dir/b" 2>&1
"$bin" lab run handshake --seed 8 >"$dir/c" 2>&1
cmp -s "$dir/a" "$dir/b" || { echo "cli: two runs with seed 7 differ" >&2; status=1; }
cmp -s "$dir/a" "$dir/c" && { echo "cli: seeds 7 and 8 gave the same run" >&2; status=1; }
# the tour: one row per built-in scenario
"$bin" lab tour >"$dir/tour" 2>&1
rc=$?
rows=$(grep -cE ' (held|FAILED|failed \(pending\))$' "$dir/tour")
count=$("$bin" lab list | tail -n +2 | wc -l)
if [ "$rows" != "$count" ] || [ $rc -gt 1 ]; then
	echo "cli: the tour has $rows rows for $count scenarios (exit $rc)" >&2
	cat "$dir/tour" >&2
	status=1
fi
[ $status = 0 ] && echo "cli: all good"
exit $status
