#!/bin/sh
# The scenario language's errors name the file, the line and what was
# expected there (exit 2); a scenario whose expectations do not hold
# fails (exit 1) and says which.
# usage: language.sh SYNACK
bin=$1
dir=$(mktemp -d) || exit 1
trap 'rm -rf "$dir"' EXIT
status=0
head='scenario t "test" H1
host client 10.0.0.1
host server 10.0.0.2'

# error FILE-BODY EXPECTED-MESSAGE: the run fails with exit 2 and says it
error() {
	printf '%s\n' "$1" >"$dir/t.scn"
	"$bin" lab run "$dir/t.scn" >"$dir/out" 2>"$dir/err"
	rc=$?
	if [ $rc != 2 ] || ! grep -qF "$2" "$dir/err"; then
		echo "language: expected exit 2 and '$2', got exit $rc:" >&2
		cat "$dir/err" >&2
		status=1
	fi
}

error "$head
at 1x client: c = socket" "t.scn:4: expected a time (0, 250us, 10ms, 1.5s, 2min, 1h), got '1x'"
error "$head
at 0 client: conect c server:80" "t.scn:4: expected a call (socket, bind"
error "$head
at 0 client: c = sockt" "t.scn:4: expected socket or accept after 'NAME =', got 'sockt'"
error "$head
at 0 client: c = socket; connect c nowhere:80" "t.scn:4: expected ADDRESS:PORT"
error "$head
at 0 client: close d" "t.scn:4: 'd' is not assigned on client"
error "$head
host other 10.0.0.2" "t.scn:4: address 10.0.0.2 is already server's"
error "$head
host other 10.0.0.3 tcp_syn_retrys=5" "t.scn:4: unknown knob 'tcp_syn_retrys'"
error "$head
set client tcp_syn_retries many" "t.scn:4: bad value 'many' for knob tcp_syn_retries"
error "$head
link client server delay 10ms loss 200%" "t.scn:4: expected a probability"
error "$head
expect client counter NoSuchCounter = 1" "t.scn:4: expected a counter's nstat name"
error "$head
expect client c state DANCING" "t.scn:4: expected a TCP state"
error "$head
crash client" "t.scn:4: 'crash' happens at a time: write 'at TIME crash ...'"
error "$head
at 0 client: c = socket; connect c server:80 -> EWHATEVER" "t.scn:4: expected a number, an errno name"
error "$head
drop client > server Flags" "t.scn:4: expected the text a packet's tcpdump line contains, in quotes"
error "$head
at 0 inject client 10.0.0.1:1 > server:80 S" "t.scn:4: expected a raw host (declared with 'raw'), got 'client'"
error "host a 10.0.0.1" "t.scn:1: expected 'scenario NAME \"description\" IDS...' first, got 'host'"
error "$head
at 0 client: c = socket \"oops" "t.scn:4: expected a closing '\"' before the end of the line"
error "$head
end 1s
at 2s client: c = socket" "t.scn:5: this line is due after the scenario's end"

# Expectations can fail: a closed port does not give ESTAB, the SYN is
# not answered by a SYN-ACK, and the counter is not 5.
cat >"$dir/f.scn" <<'SCN'
scenario f "expectations that cannot hold" H12
host client 10.0.0.1
host server 10.0.0.2
link client server delay 10ms
at 0 client: c = socket; connect c server:80 -> 0
at 50ms expect client c state ESTAB
expect packet server > client "Flags [S.]" = 1
expect server counter OutRsts = 5
SCN
"$bin" lab run "$dir/f.scn" >"$dir/out" 2>&1
rc=$?
n=$(grep -c 'FAILED' "$dir/out")
if [ $rc != 1 ] || [ "$n" -lt 5 ] || ! grep -q '^expectations: 0 held, 4 failed$' "$dir/out"; then
	echo "language: a scenario whose expectations fail must exit 1 and name each (exit $rc):" >&2
	cat "$dir/out" >&2
	status=1
fi
[ $status = 0 ] && echo "language: every error named its file, line and what was expected"
exit $status
