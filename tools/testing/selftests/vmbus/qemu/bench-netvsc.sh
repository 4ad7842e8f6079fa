#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# bench-netvsc.sh [--seconds S]: the netvsc part of `make bench`
# (Documentation/virt/hyperv/testing.rst, `make bench`).  One QEMU boot of
# Debian's 6.1 kernel (TCG, -smp 4) runs netvsc_bench_test alone: Debian's
# iperf3 between two network namespaces, over two NICs of the simulated
# host's switch driven by the distribution's hv_netvsc, and over a veth
# pair between the same namespaces, in the same guest and the same run
# (default: 5 s per run).  Prints a table of both links' figures and their
# ratio, with the notifications per 1000 packets on the NICs, and writes
# build/bench/netvsc.json; the guest's logs stay under
# build/bench/netvsc/qemu/.  Needs `make modules-dist tests` first (the
# make target does both).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../../../../.." && pwd)
out=$repo/build/bench
dir=$out/netvsc
name=netvsc
secs=5
# shellcheck source=bench-lib.sh
. "$here/bench-lib.sh"

while [ $# -gt 0 ]; do
	[ $# -ge 2 ] || die "usage: bench-netvsc.sh [--seconds S]"
	case $1 in
	--seconds) secs=$2 ;;
	*) die "usage: bench-netvsc.sh [--seconds S]" ;;
	esac
	shift 2
done
require_range --seconds "$secs" 1 60

bench_prepare netvsc_bench_test
# Four iperf3 runs, set-up and teardown.
bench_boot netvsc_bench_test $((300 + 4 * secs)) "hv_utils hv_netvsc veth" \
	"vmbus_netvsc_bench_s=$secs"
metrics="tcp_mbps udp_pps"
require_positive "$metrics" netvsc veth
sig=$(field netvsc tx_signals_per_1k)
irq=$(field netvsc rx_interrupts_per_1k)
[ -n "$sig" ] && [ -n "$irq" ] || die "no notification counts in $tap"

{
	printf 'netvsc bench: Debian %s, QEMU TCG -smp 4 on %s CPU(s), iperf3 A -> B, %s s runs\n' \
		"$kver" "$(nproc)" "$secs"
	printf '%-34s %12s %12s %12s\n' metric netvsc veth netvsc/veth
	for m in $metrics; do
		n=$(field netvsc "$m") v=$(field veth "$m")
		case $m in
		tcp_mbps) name="TCP stream (Mb/s)" ;;
		udp_pps) name="UDP 64 B (datagrams/s received)" ;;
		esac
		awk -v name="$name" -v n="$n" -v v="$v" \
			'BEGIN { printf "%-34s %12.1f %12.1f %12.3f\n", name, n, v, n / v }'
	done
	printf 'netvsc notifications per 1000 packets: A signals the host %s, the host interrupts B %s\n' \
		"$sig" "$irq"
} | tee "$dir/table.txt"

{
	printf '{\n  "kernel": "%s",\n  "run_s": %s,\n' "$kver" "$secs"
	for l in netvsc veth; do
		printf '  "%s": {"tcp_mbps": %s, "udp_pps": %s' "$l" "$(field $l tcp_mbps)" \
			"$(field $l udp_pps)"
		[ $l = netvsc ] && printf ', "tx_signals_per_1k": %s, "rx_interrupts_per_1k": %s' \
			"$sig" "$irq"
		printf '},\n'
	done
	awk -v t="$(field netvsc tcp_mbps)" -v tv="$(field veth tcp_mbps)" \
		-v u="$(field netvsc udp_pps)" -v uv="$(field veth udp_pps)" \
		'BEGIN { printf "  \"ratio\": {\"tcp_mbps\": %.4f, \"udp_pps\": %.4f}\n}\n", t / tv, u / uv }'
} >"$out/netvsc.json"
echo "bench-netvsc: $out/netvsc.json, logs in $dir/"
