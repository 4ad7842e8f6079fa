#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# bench-hvsock.sh [--mb MIB] [--connects K]: the hv_sock part of `make
# bench` (Documentation/virt/hyperv/testing.rst, `make bench`).  One QEMU
# boot of Debian's 6.1 kernel (TCG, -smp 4) runs hvsock_bench_test alone:
# the distribution's hv_sock against the simulated host's echo service,
# and AF_UNIX stream sockets, in the same guest and the same run.  Stream
# throughput: one connection, MIB MiB sent and read back concurrently
# (default 64; an AF_UNIX socketpair echoed by a child process as the
# baseline); connect latency: K connects (default 200), each on a fresh
# socket (an AF_UNIX listener in the same guest as the baseline).  Prints
# a table of both sides' figures and their ratio, and writes
# build/bench/hvsock.json; the guest's logs stay under
# build/bench/hvsock/qemu/.  The test checks every byte it reads back, so a
# run that moved wrong data fails rather than reporting a figure.  Needs
# `make modules-dist tests` first (the make target does both).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../../../../.." && pwd)
out=$repo/build/bench
dir=$out/hvsock
name=hvsock
mb=64
connects=200
usage="usage: bench-hvsock.sh [--mb MIB] [--connects K]"
# shellcheck source=bench-lib.sh
. "$here/bench-lib.sh"

while [ $# -gt 0 ]; do
	[ $# -ge 2 ] || die "$usage"
	case $1 in
	--mb) mb=$2 ;;
	--connects) connects=$2 ;;
	*) die "$usage" ;;
	esac
	shift 2
done
# Within the boot's 1200 s (bench-lib.sh) under TCG: a few MB/s each way,
# and an hv_sock connect with the host's end of it about 0.1 s.
require_range --mb "$mb" 1 256
require_range --connects "$connects" 1 2000

bench_prepare hvsock_bench_test
# The test's own limit: two transfers, the connects (each hv_sock one also
# waits for the host to end it), loads and unloads.
bench_boot hvsock_bench_test $((300 + 2 * mb + connects / 5)) "hv_utils hv_sock" \
	"vmbus_hvsock_bench_mb=$mb vmbus_hvsock_bench_connects=$connects"
metrics="mbps connect_us_median connect_us_p90 connect_us_mean"
require_positive "$metrics" hvsock unix

{
	printf 'hvsock bench: Debian %s, QEMU TCG -smp 4 on %s CPU(s), %s MiB each way, %s connects\n' \
		"$kver" "$(nproc)" "$mb" "$connects"
	printf '%-34s %12s %12s %12s\n' metric hv_sock AF_UNIX hv_sock/unix
	for m in $metrics; do
		h=$(field hvsock "$m") u=$(field unix "$m")
		case $m in
		mbps) label="stream echo (MB/s each way)" ;;
		connect_us_median) label="connect median (us)" ;;
		connect_us_p90) label="connect p90 (us)" ;;
		connect_us_mean) label="connect mean (us)" ;;
		esac
		awk -v n="$label" -v h="$h" -v u="$u" \
			'BEGIN { printf "%-34s %12.1f %12.1f %12.3f\n", n, h, u, h / u }'
	done
} | tee "$dir/table.txt"

{
	printf '{\n  "kernel": "%s",\n  "mb": %s,\n  "connects": %s,\n' "$kver" "$mb" "$connects"
	for s in hvsock unix; do
		printf '  "%s": {"mbps": %s, "connect_us_median": %s, "connect_us_p90": %s, "connect_us_mean": %s},\n' \
			"$s" "$(field $s mbps)" "$(field $s connect_us_median)" \
			"$(field $s connect_us_p90)" "$(field $s connect_us_mean)"
	done
	awk -v t="$(field hvsock mbps)" -v tu="$(field unix mbps)" \
		-v c="$(field hvsock connect_us_median)" -v cu="$(field unix connect_us_median)" \
		'BEGIN { printf "  \"ratio\": {\"mbps\": %.4f, \"connect_us_median\": %.4f}\n}\n", t / tu, c / cu }'
} >"$out/hvsock.json"
echo "bench-hvsock: $out/hvsock.json, logs in $dir/"
