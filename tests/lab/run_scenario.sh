#!/bin/sh
# Runs one built-in scenario from the synack binary and checks its
# verdict: exit 0 (every expectation held), or exit 1 when the file has a
# `pending` line (a behaviour the core lacks). Also checks that the
# binary embeds the file as it is now and that the names match.
# usage: run_scenario.sh SYNACK FILE.scn
bin=$1 file=$2
name=$(basename "$file" .scn)
out=$(mktemp) || exit 1
trap 'rm -f "$out"' EXIT
fail() { echo "lab_$name: $*" >&2; sed -n '/FAILED/p' "$out" >&2; exit 1; }

"$bin" lab show "$name" | cmp -s - "$file" ||
	fail "the binary embeds an old copy of $file (rebuild)"
grep -q "^scenario $name " "$file" || fail "$file must declare 'scenario $name ...'"
"$bin" lab run "$name" >"$out" 2>&1
rc=$?
grep -q '^expectations: [0-9]* held, [0-9]* failed$' "$out" || { cat "$out" >&2; fail "no verdict (exit $rc)"; }
grep -q '^expectations: 0 held, 0 failed' "$out" && fail "it checks nothing: add expectations"
if grep -q '^pending ' "$file"; then
	[ "$rc" = 1 ] && { echo "lab_$name: fails as its pending line says"; exit 0; }
	[ "$rc" = 0 ] && fail "now holds: remove its 'pending' line"
	fail "exit $rc (expected 1 while pending)"
fi
[ "$rc" = 0 ] || fail "exit $rc: expectations failed"
echo "lab_$name: held"
