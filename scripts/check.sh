#!/usr/bin/env bash
# check.sh: every test lane (Documentation/virt/hyperv/testing.rst), in order.
# A failing lane does not stop the others; the exit status is non-zero if
# any failed.  The debug kernel, which only the last lane needs, builds in
# the background from the start at the lowest CPU and I/O priority, on the
# cycles the other lanes leave idle; the qemu-debug lane waits for it.
set -uo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"

lanes=(
	"build:check-build"
	"userspace:check-userspace"
	"models:check-models"
	"qemu-dist:check-qemu-dist"
	"kexec:check-kexec"
	"qemu-612:check-qemu-612"
	"kexec-612:check-kexec-612"
	"qemu-612-rt:check-qemu-612-rt-smoke"
	"qemu-debug:check-qemu-debug"
)
failed=() summary=()

make -s setup || { echo "check: setting up packages failed" >&2; exit 1; }

bg_log=$repo/build/debug-kernel-background.log
mkdir -p "$repo/build"
bg_start=$(date +%s)
nice -n 19 ionice -c 3 scripts/build-debug-kernel.sh >"$bg_log" 2>&1 &
bg_pid=$!
trap 'kill "$bg_pid" 2>/dev/null' EXIT

# Before the qemu-debug lane: the background build's outcome, and its log.
wait_debug_kernel() {
	local rc=0
	wait "$bg_pid" || rc=$?
	bg_pid=
	cat "$bg_log"
	echo "check: debug kernel built in the background in $(( $(date +%s) - bg_start )) s" \
		"(wall clock, lanes running beside it), exit status $rc"
	return $rc
}

for lane in "${lanes[@]}"; do
	name=${lane%%:*} target=${lane#*:}
	echo "=== lane $name ==="
	start=$(date +%s)
	if [ "$name" = qemu-debug ] && ! wait_debug_kernel; then
		res=FAIL; failed+=("$name")
	elif make -s "$target"; then res=pass; else res=FAIL; failed+=("$name"); fi
	summary+=("$(printf '%-12s %-4s %4ds' "$name" "$res" $(( $(date +%s) - start )))")
done
echo "=== summary ==="
printf '%s\n' "${summary[@]}"
if [ ${#failed[@]} -gt 0 ]; then
	echo "check: failed lanes: ${failed[*]}"
	exit 1
fi
echo "check: all lanes passed"
