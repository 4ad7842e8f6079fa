#!/usr/bin/env bash
# check.sh: every test lane (Documentation/virt/hyperv/testing.rst), in order.
# A failing lane does not stop the others; the exit status is non-zero if
# any failed.
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
	"qemu-debug:check-qemu-debug"
)
failed=() summary=()

make -s setup || { echo "check: setting up packages failed" >&2; exit 1; }
for lane in "${lanes[@]}"; do
	name=${lane%%:*} target=${lane#*:}
	echo "=== lane $name ==="
	start=$(date +%s)
	if make -s "$target"; then res=pass; else res=FAIL; failed+=("$name"); fi
	summary+=("$(printf '%-12s %-4s %4ds' "$name" "$res" $(( $(date +%s) - start )))")
done
echo "=== summary ==="
printf '%s\n' "${summary[@]}"
if [ ${#failed[@]} -gt 0 ]; then
	echo "check: failed lanes: ${failed[*]}"
	exit 1
fi
echo "check: all lanes passed"
