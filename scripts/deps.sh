#!/bin/sh
# Installs what the build needs from Debian's packages when it is missing.
# Runs on every `make`; does nothing when everything is there.
set -e
missing=""
command -v cmake >/dev/null 2>&1 || missing="$missing cmake"
command -v cc >/dev/null 2>&1 || missing="$missing gcc"
[ -f /usr/include/cmocka.h ] || missing="$missing libcmocka-dev"
# tests: the tcpdump comparison, and interop against Linux over a TAP device
command -v tcpdump >/dev/null 2>&1 || missing="$missing tcpdump"
command -v tshark >/dev/null 2>&1 || missing="$missing tshark"
command -v ip >/dev/null 2>&1 || missing="$missing iproute2"
command -v curl >/dev/null 2>&1 || missing="$missing curl"
command -v ping >/dev/null 2>&1 || missing="$missing iputils-ping"
command -v ab >/dev/null 2>&1 || missing="$missing apache2-utils"
command -v wrk >/dev/null 2>&1 || missing="$missing wrk"
command -v python3 >/dev/null 2>&1 || missing="$missing python3"
[ -z "$missing" ] && exit 0
if [ "$(id -u)" != 0 ]; then
	echo "synack needs these Debian packages:$missing" >&2
	echo "install them with: sudo apt-get install$missing" >&2
	exit 1
fi
echo "installing:$missing" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >&2
# shellcheck disable=SC2086
apt-get install -y -qq $missing >&2
