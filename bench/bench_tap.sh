#!/bin/sh
# Throughput of synack over a TAP device (MTU 1500) with the Linux kernel
# as the peer, in both directions, and HTTP requests per second with 100
# concurrent keep-alive clients. Runs the interop script's benchmark mode
# in a network namespace of its own (root and /dev/net/tun needed).
#
#   bench/bench_tap.sh [SIZE]      SIZE like 64M (default) or 1G
set -e
here=$(cd "$(dirname "$0")/.." && pwd)
size=${1:-64M}
bin=${SYNACK:-$here/build/synack}
[ -x "$bin" ] || { echo "build first: make (or set SYNACK=path/to/synack)" >&2; exit 1; }
exec python3 "$here/tests/interop/interop.py" --synack "$bin" --bench --size "$size"
