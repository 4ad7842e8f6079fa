#!/usr/bin/env bash
# kernel-abi.sh [SERIES [FLAVOUR]]: print the newest Debian kernel ABI of
# SERIES (6.1, the default, or 6.12) and FLAVOUR (amd64, the default,
# cloud-amd64 or rt-amd64) for which both linux-headers-<abi> and
# linux-image-<abi> are offered by the registry, e.g. 6.1.0-42-amd64 or
# 6.12.57+deb12-amd64.
set -euo pipefail
series=${1:-6.1} flavour=${2:-amd64}
case $series in
6.1)	prefix=6.1.0- suffix=-$flavour ;;
6.12)	prefix=6.12. suffix=+deb12-$flavour ;;
*)	echo "kernel-abi: unknown series $series (6.1 or 6.12)" >&2; exit 1 ;;
esac
re_prefix=${prefix//./\\.} re_suffix=${suffix//./\\.}
best=
for n in $(apt-cache pkgnames "linux-headers-$prefix" |
	   sed -n "s/^linux-headers-$re_prefix\([0-9]\+\)$re_suffix\$/\1/p" | sort -n); do
	apt-cache show "linux-image-$prefix$n$suffix" >/dev/null 2>&1 && best=$n
done
[ -n "$best" ] || { echo "kernel-abi: no $series $flavour headers+image pair in the registry" >&2; exit 1; }
echo "$prefix$best$suffix"
