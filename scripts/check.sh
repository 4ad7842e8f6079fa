#!/usr/bin/env bash
# check.sh: every test lane (Documentation/virt/hyperv/testing.rst), in order.
# A failing lane does not stop the others; the exit status is non-zero if
# any failed.  The two kernels built from source, the debug one and the
# in-tree one (VMBus built in), which only the last two lanes need, build
# one after the other in the background from the start at the lowest CPU
# and I/O priority, on the cycles the other lanes leave idle; the
# qemu-debug and intree_builtin lanes wait for theirs, and the second runs
# beside the first (run_lane below).
set -uo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"

lanes=(
	"build:check-build"
	"dkms_package:check-dkms"
	"userspace:check-userspace"
	"models:check-models"
	"qemu-dist:check-qemu-dist"
	"kexec:check-kexec"
	"qemu-612:check-qemu-612"
	"kexec-612:check-kexec-612"
	"qemu-612-rt:check-qemu-612-rt-smoke"
	"qemu-debug:check-qemu-debug"
	"intree_builtin:check-intree"
)
failed=() summary=()
declare -A target_of
for lane in "${lanes[@]}"; do
	target_of[${lane%%:*}]=${lane#*:}
done

make -s setup || { echo "check: setting up packages failed" >&2; exit 1; }

mkdir -p "$repo/build"
bg_start=$(date +%s)
# kernel_bg FLAVOUR: build/FLAVOUR-kernel-background.log and .rc.
kernel_bg() {
	local rc=0
	"scripts/build-$1-kernel.sh" >"$repo/build/$1-kernel-background.log" 2>&1 || rc=$?
	echo "$rc $(( $(date +%s) - bg_start ))" >"$repo/build/$1-kernel-background.rc"
}
rm -f "$repo"/build/{intree,debug}-kernel-background.rc
(
	renice -n 19 -p "$BASHPID" >/dev/null
	ionice -c 3 -p "$BASHPID"
	kernel_bg debug
	kernel_bg intree
) </dev/null &
bg_pid=$!
trap 'kill "$bg_pid" ${beside_pid:-} 2>/dev/null' EXIT
rm -f "$repo"/build/check-*.log "$repo"/build/check-*.log.rc

# Before the qemu-debug and intree_builtin lanes: the background build's
# outcome for FLAVOUR, and its log.
wait_kernel() {
	local rcf=$repo/build/$1-kernel-background.rc rc t
	while [ ! -f "$rcf" ] && kill -0 "$bg_pid" 2>/dev/null; do
		sleep 5
	done
	[ -f "$rcf" ] || { echo "check: the background build of the $1 kernel died" >&2; return 1; }
	read -r rc t <"$rcf"
	cat "$repo/build/$1-kernel-background.log"
	echo "check: $1 kernel built in the background, done $t s after the start" \
		"(wall clock, lanes running beside it), exit status $rc"
	return "$rc"
}

# run_lane NAME TARGET: one lane, after its kernel where it needs one
# that builds in the background.
run_lane() {
	case $1 in
	qemu-debug) wait_kernel debug || return 1 ;;
	intree_builtin) wait_kernel intree || return 1 ;;
	esac
	make -s "$2"
}

# The intree lane runs beside qemu-debug, the longest one: its kernel is
# built by then or soon after, and the two guests take a core each where
# the lane alone would leave one idle.  Its output comes in one piece
# after qemu-debug's.
beside_debug=intree_builtin
beside_log=$repo/build/check-$beside_debug.log
beside_pid=
for lane in "${lanes[@]}"; do
	name=${lane%%:*} target=${lane#*:}
	if [ "$name" = qemu-debug ]; then
		(
			t=$(date +%s) rc=0
			run_lane "$beside_debug" "${target_of[$beside_debug]}" || rc=$?
			echo "$rc $(( $(date +%s) - t ))" >"$beside_log.rc"
		) >"$beside_log" 2>&1 </dev/null &
		beside_pid=$!
	fi
	echo "=== lane $name ==="
	start=$(date +%s)
	if [ "$name" = "$beside_debug" ] && [ -n "$beside_pid" ]; then
		echo "check: $name ran beside qemu-debug; its output:"
		wait "$beside_pid"
		cat "$beside_log"
		rc=1 secs=0
		[ ! -f "$beside_log.rc" ] || read -r rc secs <"$beside_log.rc"
		if [ "$rc" -eq 0 ]; then res=pass; else res=FAIL; failed+=("$name"); fi
		summary+=("$(printf '%-12s %-4s %4ds (beside qemu-debug)' "$name" "$res" "$secs")")
		continue
	fi
	if run_lane "$name" "$target"; then res=pass; else res=FAIL; failed+=("$name"); fi
	summary+=("$(printf '%-12s %-4s %4ds' "$name" "$res" $(( $(date +%s) - start )))")
done
echo "=== summary ==="
printf '%s\n' "${summary[@]}"
if [ ${#failed[@]} -gt 0 ]; then
	echo "check: failed lanes: ${failed[*]}"
	exit 1
fi
echo "check: all lanes passed"
