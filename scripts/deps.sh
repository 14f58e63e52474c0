#!/bin/sh
# Installs what the build needs from Debian's packages when it is missing.
# Runs on every `make`; does nothing when everything is there.
set -e
missing=""
command -v cmake >/dev/null 2>&1 || missing="$missing cmake"
command -v cc >/dev/null 2>&1 || missing="$missing gcc"
[ -f /usr/include/cmocka.h ] || missing="$missing libcmocka-dev"
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
