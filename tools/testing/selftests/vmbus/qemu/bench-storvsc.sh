#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# bench-storvsc.sh [--mb MIB] [--ms MS]: the storvsc part of `make bench`
# (Documentation/virt/hyperv/testing.rst, `make bench`).  One QEMU boot of
# Debian's 6.1 kernel (TCG, -smp 4) runs storvsc_bench_test alone: the
# distribution's hv_storvsc on the simulated host's disk, and the kernel's
# brd RAM disk of the same size, in the same guest and the same run
# (defaults: 256 MiB disks, 5000 ms per read run).  Prints a table of
# both disks' figures and their ratio, and writes build/bench/storvsc.json;
# the guest's logs stay under build/bench/storvsc/qemu/.  The test checks
# every block it reads, so a run that moved wrong data fails rather than
# reporting a figure.  Needs `make modules-dist tests` first (the make
# target does both).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../../../../.." && pwd)
out=$repo/build/bench
dir=$out/storvsc
name=storvsc
mb=256
ms=5000
# shellcheck source=bench-lib.sh
. "$here/bench-lib.sh"

while [ $# -gt 0 ]; do
	[ $# -ge 2 ] || die "usage: bench-storvsc.sh [--mb MIB] [--ms MS]"
	case $1 in
	--mb) mb=$2 ;;
	--ms) ms=$2 ;;
	*) die "usage: bench-storvsc.sh [--mb MIB] [--ms MS]" ;;
	esac
	shift 2
done
# Both disks live in the guest's 1 GiB; the read runs are 4 per disk.
require_range --mb "$mb" 1 256
require_range --ms "$ms" 100 60000

bench_prepare storvsc_bench_test
# The test's own limit: 8 read runs, 2 fills, loads and unloads.
bench_boot storvsc_bench_test $((300 + 8 * ms / 1000 + 2 * mb)) \
	"hv_utils hv_storvsc sd_mod brd" "vmbus_storvsc_bench_mb=$mb vmbus_storvsc_bench_ms=$ms"
readers=$(field storvsc readers)
metrics="seq_write_1m_mbps seq_read_1m_mbps rand_read_4k_qd1_iops rand_read_4k_iops"
require_positive "$metrics" storvsc brd

{
	printf 'storvsc bench: Debian %s, QEMU TCG -smp 4 on %s CPU(s), %s MiB disks, %s ms read runs\n' \
		"$kver" "$(nproc)" "$mb" "$ms"
	printf '%-34s %12s %12s %12s\n' metric storvsc brd storvsc/brd
	for m in $metrics; do
		s=$(field storvsc "$m") b=$(field brd "$m")
		case $m in
		*_mbps) name="${m%_mbps} (MB/s)" ;;
		rand_read_4k_iops) name="rand_read_4k ($readers readers, IOPS)" ;;
		*) name="${m%_iops} (IOPS)" ;;
		esac
		awk -v n="$name" -v s="$s" -v b="$b" \
			'BEGIN { printf "%-34s %12.1f %12.1f %12.3f\n", n, s, b, (b > 0 ? s / b : 0) }'
	done
	s=$(field storvsc seq_read_1m_mbps) b=$(field brd seq_read_1m_mbps)
	awk -v s="$s" -v b="$b" 'BEGIN {
		printf "1 MiB sequential reads: storvsc at %.2f of brd (target: 0.50 or more, within 2x): %s\n",
			s / b, s / b >= 0.5 ? "met" : "NOT met" }'
} | tee "$dir/table.txt"

{
	printf '{\n  "kernel": "%s",\n  "disk_mb": %s,\n  "run_ms": %s,\n  "readers": %s,\n' \
		"$kver" "$mb" "$ms" "$readers"
	for d in storvsc brd; do
		printf '  "%s": {' "$d"
		sep=''
		for m in $metrics; do
			printf '%s"%s": %s' "$sep" "$m" "$(field $d "$m")"
			sep=', '
		done
		printf '},\n'
	done
	printf '  "ratio": {'
	sep=''
	for m in $metrics; do
		awk -v sep="$sep" -v m="$m" -v s="$(field storvsc "$m")" -v b="$(field brd "$m")" \
			'BEGIN { printf "%s\"%s\": %.4f", sep, m, s / b }'
		sep=', '
	done
	printf '}\n}\n'
} >"$out/storvsc.json"
echo "bench-storvsc: $out/storvsc.json, logs in $dir/"
