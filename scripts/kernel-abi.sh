#!/usr/bin/env bash
# Print the newest Debian 6.1 kernel ABI (e.g. 6.1.0-42-amd64) for which both
# linux-headers-<abi> and linux-image-<abi> are offered by the registry.
set -euo pipefail
best=
for n in $(apt-cache pkgnames linux-headers-6.1.0- |
	   sed -n 's/^linux-headers-6\.1\.0-\([0-9]\+\)-amd64$/\1/p' | sort -n); do
	apt-cache show "linux-image-6.1.0-$n-amd64" >/dev/null 2>&1 && best=$n
done
[ -n "$best" ] || { echo "kernel-abi: no 6.1 headers+image pair in the registry" >&2; exit 1; }
echo "6.1.0-$best-amd64"
