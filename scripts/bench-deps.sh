#!/usr/bin/env bash
# Install what `make bench-e2e` drives its servers with (Debian): wrk.  Does
# nothing when it is there; only root installs.
set -euo pipefail
command -v wrk >/dev/null 2>&1 && exit 0
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    echo "bench-deps: please install wrk (Debian's package wrk)" >&2
    exit 0
fi
echo "bench-deps: installing wrk" >&2
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null
