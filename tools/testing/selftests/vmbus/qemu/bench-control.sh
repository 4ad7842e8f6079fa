#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# bench-control.sh [--rounds N] [--offers N] [--chans N]: the control-plane
# part of `make bench` (Documentation/virt/hyperv/testing.rst, `make
# bench`).  One QEMU boot of Debian's 6.1 kernel (TCG, -smp 4) runs
# control_bench_test alone: offers and rescinds of 64 and of --offers
# devices (default 2047), opens and closes of 16 and of --chans channels
# (default 256), hibernation cycles with the bus empty and with those
# channels open, --rounds rounds (default 5), each measured case beside its
# baseline in the same round.  Prints a table of medians [min-max] and the
# per-round ratios, and writes build/bench/control.json; the guest's logs
# stay under build/bench/control/qemu/.  Needs `make modules-dist tests`
# first (the make target does both).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../../../../.." && pwd)
out=$repo/build/bench
dir=$out/control
name=control
rounds=5
offers=2047
chans=256
# shellcheck source=bench-lib.sh
. "$here/bench-lib.sh"

usage="usage: bench-control.sh [--rounds N] [--offers N] [--chans N]"
while [ $# -gt 0 ]; do
	[ $# -ge 2 ] || die "$usage"
	case $1 in
	--rounds) rounds=$2 ;;
	--offers) offers=$2 ;;
	--chans) chans=$2 ;;
	*) die "$usage" ;;
	esac
	shift 2
done
# The test's own ranges (control_bench_test.c).
require_range --rounds "$rounds" 1 50
require_range --offers "$offers" 64 2047
require_range --chans "$chans" 16 2047

bench_prepare control_bench_test
bench_boot control_bench_test $((300 + rounds * (offers / 10 + chans / 2))) hv_utils \
	"vmbus_control_bench_rounds=$rounds vmbus_control_bench_offers=$offers vmbus_control_bench_chans=$chans"
whats="offer rescind open close hibernate"
require_positive "base value ratio" $whats

# row WHAT UNIT LABEL: one table line.
row() {
	awk -v l="$3" -v u="$2" \
		-v bn="$(field "$1" base_n)" -v b="$(field "$1" base)" \
		-v bl="$(field "$1" base_min)" -v bh="$(field "$1" base_max)" \
		-v n="$(field "$1" n)" -v v="$(field "$1" value)" \
		-v vl="$(field "$1" value_min)" -v vh="$(field "$1" value_max)" \
		-v r="$(field "$1" ratio)" -v rl="$(field "$1" ratio_min)" \
		-v rh="$(field "$1" ratio_max)" 'BEGIN {
		printf "%-28s %5s %5d %9.1f [%.1f-%.1f] %5d %9.1f [%.1f-%.1f] %7.2fx [%.2f-%.2f]\n",
			l, u, bn, b, bl, bh, n, v, vl, vh, r, rl, rh }'
}

{
	printf 'control plane: Debian %s, QEMU TCG -smp 4 on %s CPU(s), %s rounds; median [min-max] of the rounds, ratio taken per round\n' \
		"$kver" "$(nproc)" "$rounds"
	printf '%-28s %5s %5s %25s %5s %25s %20s\n' what unit n baseline n measured ratio
	row offer us "offer, per device"
	row rescind us "rescind, per device"
	row open us "open (bind), per channel"
	row close us "close (unbind), per channel"
	row hibernate ms "hibernation cycle"
	r=$(field offer ratio)
	awk -v r="$r" -v n="$offers" 'BEGIN {
		printf "per-offer time at %d devices: %.2fx that at 64 (target: 1.5x or less): %s\n",
			n, r, r <= 1.5 ? "met" : "NOT met" }'
} | tee "$dir/table.txt"

{
	printf '{\n  "kernel": "%s",\n  "rounds": %s,\n' "$kver" "$rounds"
	sep=''
	for w in $whats; do
		unit=us
		[ "$w" != hibernate ] || unit=ms
		printf '%s  "%s": {"unit": "%s"' "$sep" "$w" "$unit"
		for m in base_n base base_min base_max n value value_min value_max \
			 ratio ratio_min ratio_max; do
			printf ', "%s": %s' "$m" "$(field "$w" "$m")"
		done
		printf '}'
		sep=$',\n'
	done
	printf '\n}\n'
} >"$out/control.json"
echo "bench-control: $out/control.json, logs in $dir/"
