#!/bin/sh
# Every behaviour of the catalog's H, L, C, R and A sections has at least
# one built-in scenario (`synack lab list` shows their IDs).
# usage: catalog.sh SYNACK
bin=$1
ids=$("$bin" lab list | tail -n +2 | tr ' ' '\n' | grep -E '^[HLCRA][0-9]+$' | sort -u)
missing=""
for want in H1 H2 H3 H4 H5 H6 H7 H8 H9 H10 H11 H12 L1 L2 L3 L4 L5 L6 \
	C1 C2 C3 C4 C5 C6 C7 C8 C9 C10 C11 C12 C13 R1 R2 R3 R4 \
	A1 A2 A3 A4 A5 A6 A7 A8 A9; do
	echo "$ids" | grep -qx "$want" || missing="$missing $want"
done
[ -z "$missing" ] || { echo "catalog: no scenario shows:$missing" >&2; exit 1; }
echo "catalog: every H, L, C, R and A behaviour has a scenario"
