#!/bin/sh
# The pcap files the lab writes open in tcpdump and tshark, and tcpdump's
# reading of them (-nn -tt) is exactly the packet lines of the timeline.
# usage: pcap_roundtrip.sh SYNACK        (exit 77: tcpdump or tshark missing)
bin=$1
for tool in tcpdump tshark; do
	command -v $tool >/dev/null 2>&1 || { echo "lab_pcap: $tool is not installed: skipped"; exit 77; }
done
dir=$(mktemp -d) || exit 1
trap 'rm -rf "$dir"' EXIT
status=0
for s in handshake closed-port syn-flood-cookies partition rst-acceptance half-close listener-close; do
	"$bin" lab run "$s" --pcap "$dir/$s.pcap" >"$dir/$s.txt" 2>&1
	[ $? -le 1 ] || { echo "lab_pcap: $s did not run" >&2; status=1; continue; }
	# a packet line: WHO, then tcpdump's own line (time, "IP", ...)
	sed -n 's/^[^ ][^ ]*  *\([0-9][0-9]*\.[0-9]\{6\} IP .*\)$/\1/p' "$dir/$s.txt" >"$dir/$s.timeline"
	tcpdump -nn -tt -r "$dir/$s.pcap" >"$dir/$s.tcpdump" 2>"$dir/$s.err" ||
		{ echo "lab_pcap: tcpdump cannot read $s's pcap:" >&2; cat "$dir/$s.err" >&2; status=1; continue; }
	if ! cmp -s "$dir/$s.timeline" "$dir/$s.tcpdump"; then
		echo "lab_pcap: $s: timeline and tcpdump differ (< timeline, > tcpdump):" >&2
		diff "$dir/$s.timeline" "$dir/$s.tcpdump" | head -20 >&2
		status=1
	fi
	n=$(wc -l <"$dir/$s.timeline")
	[ "$n" -gt 0 ] || { echo "lab_pcap: $s has no packets" >&2; status=1; }
	tshark -r "$dir/$s.pcap" -T fields -e frame.protocols >"$dir/$s.tshark" 2>"$dir/$s.terr" ||
		{ echo "lab_pcap: tshark cannot read $s's pcap:" >&2; cat "$dir/$s.terr" >&2; status=1; continue; }
	m=$(grep -c '^raw:ip:' "$dir/$s.tshark")
	[ "$m" = "$n" ] || { echo "lab_pcap: $s: tshark decodes $m of $n packets as raw:ip" >&2; status=1; }
	echo "lab_pcap: $s: $n packets, tcpdump and tshark agree"
done
exit $status
