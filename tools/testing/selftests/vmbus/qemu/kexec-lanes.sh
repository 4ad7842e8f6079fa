#!/usr/bin/env bash
# The kexec lanes: kdump and kexec with channels busy, on Debian's 6.1 or
# 6.12 kernel or the debug kernel (Documentation/virt/hyperv/testing.rst,
# "The kexec lanes").
#
# Usage: kexec-lanes.sh --lane crash_kdump|kexec_reboot --modules DIR
#                       --tests DIR [--runs N] [--kernel dist|dist-6.12|debug]
#   crash_kdump:  crashkernel= reserved, kdump's capture kernel loaded with
#                 Debian's kexec-tools (`kexec -p`), echo traffic on every
#                 CPU, then `echo c > /proc/sysrq-trigger` on CPU 2, 0, 3,
#                 1, 2, ... (run 1, 2, ...; CPU 0 connects): the crashing
#                 kernel must log the UNLOAD answered, the capture kernel
#                 boot, connect to a strict host and read /proc/vmcore.
#   kexec_reboot: the same with `kexec -l` and `kexec -e` (the reboot
#                 notifier's UNLOAD) into a fresh kernel, from CPU 0, 2, 3,
#                 1, 0, ...
#   --tests: the directory with kexec_lane (the selftests' build).
#   --kernel: Debian's 6.1 kernel (dist, the default), 6.12, or the debug
#             kernel (KASAN and lockdep; -m 2G and a larger crashkernel=);
#             --modules must be built for it.
# Both kernels' simulators share the host record (vmbus_sim.host_record=,
# in a page reserved with memmap=), so the second kernel's host knows
# whether the first one's connection was unloaded (vmbus-sim.rst, "The host
# record").  Each run: one QEMU boot of -smp 4, -m 1G (2G on debug),
# output under build/qemu/<lane>/run-N/ (<lane>-6.12 on 6.12, <lane>-debug
# on the debug kernel): console.log, first.log
# and next.log (the console before and after the second kernel's banner),
# tap.txt and dmesg.txt of the second kernel.  Exit 0 only if every run
# passed.
set -euo pipefail

LANES_HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=tools/testing/selftests/vmbus/qemu/run.sh
. "$LANES_HERE/run.sh"

# Reserved with memmap=4K$ADDR in both kernels; below where QEMU puts the
# initramfs and above the kernel, which KASLR keeps off memmap= ranges.
RECORD=0x7000000
KDUMP_CPUS=(2 0 3 1)
KEXEC_CPUS=(0 2 3 1)
LANE='' RUNS=1 BASE='' LANE_KERNEL=dist

lanes_usage() {
	sed -n '5,6s/^# \{0,1\}//p' "$0" >&2
	exit 2
}

lanes_args() {
	while [ $# -gt 0 ]; do
		[ $# -ge 2 ] || lanes_usage
		case $1 in
		--lane) LANE=$2 ;;
		--modules) MODULES=$2 ;;
		--tests) TESTS=$2 ;;
		--runs) RUNS=$2 ;;
		--kernel) LANE_KERNEL=$2 ;;
		*) lanes_usage ;;
		esac
		shift 2
	done
	case $LANE in crash_kdump|kexec_reboot) ;; *) lanes_usage ;; esac
	case $LANE_KERNEL in
	dist|dist-6.12|debug) ;;
	*) die "--kernel $LANE_KERNEL: dist, dist-6.12 or debug" ;;
	esac
	[[ $RUNS =~ ^[1-9][0-9]*$ ]] || die "--runs $RUNS: not a positive number"
	if [ -z "$MODULES" ] || [ ! -d "$MODULES" ]; then die "--modules '$MODULES': no such directory"; fi
	if [ -z "$TESTS" ] || [ ! -x "$TESTS/kexec_lane" ]; then die "--tests: no kexec_lane in '$TESTS'"; fi
	MODULES=$(realpath "$MODULES")
	KERNEL=$LANE_KERNEL MODE=check TIMEOUT=600 TEST_TIMEOUT=300
	EXTRA="hv_utils"
}

# The archive: our modules, hv_utils for the end step, kexec_lane alone as
# the tests, kexec and the kernel with the archive itself under /boot/.
lanes_initramfs() {
	local tests=$BASE/tests
	rm -rf "$tests"
	mkdir -p "$tests"
	cp "$TESTS/kexec_lane" "$tests/"
	"$HERE/mkinitramfs.sh" --kver "$KVER" --modtree "$MODTREE" --modules "$MODULES" \
		--tests "$tests" --extra-modules "$EXTRA" --kexec "$IMAGE" \
		--out "$BASE/initramfs.cpio.gz" >/dev/null || die "building the initramfs failed"
	# qemu_args() boots $OUT/initramfs.cpio.gz.
	OUT=$BASE
}

# lanes_expect FILE TEXT WHAT: TEXT (fixed string) must be in FILE.
lanes_expect() {
	grep -qF -- "$2" "$1" || PROBLEMS+=("$3: no '$2' in $(basename "$1")")
}

# lanes_judge DIR CPU: the verdict on one run's console.
lanes_judge() {
	local dir=$1 cpu=$2 first=$1/first.log next=$1/next.log upto=$1/first-upto.log
	local trigger
	awk '/Linux version / { n++ } n <= 1' "$CONSOLE" >"$first"
	awk '/Linux version / { n++ } n >= 2' "$CONSOLE" >"$next"
	if [ "$LANE" = crash_kdump ]; then
		trigger='sysrq: Trigger a crash'
		lanes_expect "$first" "crash: panic or crash on cpu$cpu: UNLOAD to the host" "crashing kernel"
		lanes_expect "$first" "Kernel panic - not syncing: sysrq triggered crash" "crashing kernel"
	else
		trigger="vmbus init: kexec -e on cpu$cpu"
		lanes_expect "$first" "crash: kexec or reboot on cpu" "first kernel"
		lanes_expect "$first" "kexec_core: Starting new kernel" "first kernel"
	fi
	lanes_expect "$first" "# armed: echo traffic on every channel" "first kernel"
	lanes_expect "$first" "$trigger" "first kernel"
	lanes_expect "$first" "crash: UNLOAD_RESPONSE in the slot of cpu" "first kernel"
	lanes_expect "$first" "crash: SynIC disabled on" "first kernel"
	if grep -E 'crash: (no UNLOAD_RESPONSE|posting UNLOAD failed)' "$first"; then
		PROBLEMS+=("first kernel: the UNLOAD was not answered")
	fi
	# Up to the trigger: the crash's own trace comes after it.
	awk -v t="$trigger" 'index($0, t) { exit } { print }' "$first" >"$upto"
	"$HERE/logscan.sh" "$upto" || PROBLEMS+=("first kernel: the log scan before the $trigger line found problems")
	if [ ! -s "$next" ]; then
		PROBLEMS+=("no second kernel booted")
		return
	fi
	CONSOLE=$next
	extract_logs
	check_tap
	"$HERE/logscan.sh" "$OUT/dmesg.txt" || PROBLEMS+=("second kernel: the log scan found problems")
	check_end "$next" "$OUT/dmesg.txt" poweroff "second kernel"
}

# lanes_next_early_panic DIR: the second kernel of DIR/console.log
# panicked before a module of ours loaded in it (run.sh, early_panic()).
lanes_next_early_panic() {
	awk '/Linux version / { n++ } n >= 2' "$1/console.log" | early_panic /dev/stdin
}

lanes_main() {
	local i cpu failed=0 mode dir t0
	lanes_args "$@"
	resolve_kernel
	local name=$LANE
	[ "$KERNEL" = dist ] || name+=-${KERNEL#dist-}
	# The capture kernel's reservation: KASAN's shadow and kmemleak's pool
	# need room in it too.
	local crashkernel=384M
	[ "$KERNEL" = debug ] && crashkernel=768M
	BASE=${VMBUS_QEMU_OUT:-$REPO/build/qemu/$name}
	mkdir -p "$BASE"
	rm -rf "$BASE"/run-*
	lanes_initramfs
	local args="memmap=4K\$$RECORD vmbus_sim.host_record=$RECORD"
	[ "$LANE" = crash_kdump ] && args+=" crashkernel=$crashkernel crash_kexec_post_notifiers"
	local cpus=("${KDUMP_CPUS[@]}")
	[ "$LANE" = kexec_reboot ] && cpus=("${KEXEC_CPUS[@]}")
	for ((i = 1; i <= RUNS; i++)); do
		cpu=${cpus[$(((i - 1) % ${#cpus[@]}))]}
		dir=$BASE/run-$i
		mkdir -p "$dir"
		OUT=$BASE
		KERNEL_ARGS="$args vmbus_crash_cpu=$cpu"
		PROBLEMS=() PASSED=0 FAILED=0 SKIPPED=0
		t0=$SECONDS
		# A kernel that panics in its own boot, before a module of ours
		# loads, is booted once more (run.sh, early_panic()).
		boot_once_more "$LANE" poweroff "$dir/console.log" "$TIMEOUT"
		# The second kernel boots afresh too: if it panics before a
		# module of ours loads in it, the whole run goes once more.
		if lanes_next_early_panic "$dir"; then
			mv "$dir/console.log" "$dir/console.log.early-panic-next"
			say "RETRY: the second kernel panicked before any module of ours was loaded:" \
				"$(awk '/Linux version / { n++ } n >= 2' "$dir/console.log.early-panic-next" |
					grep -m1 -E 'Oops|BUG|RIP:' || echo '?');" \
				"the run goes once more, console kept as console.log.early-panic-next"
			boot_once_more "$LANE" poweroff "$dir/console.log" "$TIMEOUT"
		fi
		OUT=$dir CONSOLE=$dir/console.log
		if [ "$QEMU_RC" -ne 0 ]; then PROBLEMS+=("QEMU exited with status $QEMU_RC"); fi
		lanes_judge "$dir" "$cpu"
		if [ ${#PROBLEMS[@]} -eq 0 ]; then
			say "$LANE run $i (cpu$cpu): PASS, $PASSED subtests, $((SECONDS - t0)) s"
		else
			failed=$((failed + 1))
			for mode in "${PROBLEMS[@]}"; do say "$LANE run $i (cpu$cpu): FAIL: $mode"; done
			say "$LANE run $i: logs in $dir"
		fi
	done
	echo "# $name: $((RUNS - failed)) of $RUNS runs passed"
	[ "$failed" -eq 0 ]
}

lanes_main "$@"
