#!/usr/bin/env bash
# intree_lane.sh: the intree lane.  Debian's 6.1 (or, --kver 6.12, 6.12)
# source tree with our VMBus core built in (CONFIG_HYPERV=y) and the
# simulated host one of its modules (scripts/build-kernel.sh intree
# [6.12]) boots in QEMU and runs the kselftests the kernel's way:
#   1. tools/testing/selftests/vmbus/ and tools/vmbus/ go into the tree;
#   2. make -C <tree>/tools/testing/selftests TARGETS=vmbus install
#      writes run_kselftest.sh, the kernel's runner, our programs and
#      kselftest-list.txt; with --tests, VMBUS_TESTS on make's command
#      line limits all of it to those programs;
#   3. run.sh --kernel intree (intree-6.12) boots it; the guest's init runs
#      run_kselftest.sh, and the run is judged as every lane's.
# Usage: intree_lane.sh --modules DIR [--kver 6.1|6.12] [--tests "name_test ..."]
#                       [--extra-modules "..."] [--params "..."]
# --modules: the test drivers built against the tree (make modules-intree,
# make modules-intree-612).  --kver: the source series, 6.1 by default;
# 6.12 takes build/intree-6.12-kernel/ and writes build/intree-6.12-kselftest/
# and build/qemu/intree-6.12/.
# Documentation/virt/hyperv/testing.rst, "Built into the kernel".
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../../../../.." && pwd)
MODULES='' TESTS='' EXTRA='' PARAMS='' KVER=6.1

die() { echo "intree_lane: $*" >&2; exit 1; }
say() { echo "intree_lane: $*"; }

while [ $# -gt 0 ]; do
	[ $# -ge 2 ] || die "$1 needs a value"
	case $1 in
	--modules) MODULES=$2 ;;
	--tests) TESTS=$2 ;;
	--extra-modules) EXTRA=$2 ;;
	--params) PARAMS=$2 ;;
	--kver) KVER=$2 ;;
	*) die "unknown option $1" ;;
	esac
	shift 2
done
[ -n "$MODULES" ] || die "--modules DIR is required"
# The names scripts/build-kernel.sh and run.sh give each series' kernel.
case $KVER in
6.1) NAME=intree ;;
6.12) NAME=intree-6.12 ;;
*) die "--kver $KVER: 6.1 or 6.12" ;;
esac
DK=$REPO/build/$NAME-kernel
SRC=$DK/src
KST=$REPO/build/$NAME-kselftest
[ -f "$SRC/arch/x86/boot/bzImage" ] || die "no kernel in $SRC (scripts/build-intree-kernel.sh $KVER)"
grep -qx 'CONFIG_HYPERV=y' "$SRC/.config" || die "$SRC/.config: CONFIG_HYPERV is not built in"

say "placing the selftests and vmbusctl in $SRC/tools"
rsync -a --delete --exclude /out "$REPO/tools/testing/selftests/vmbus/" \
	"$SRC/tools/testing/selftests/vmbus/"
rsync -a --delete "$REPO/tools/vmbus/" "$SRC/tools/vmbus/"

say "make -C tools/testing/selftests TARGETS=vmbus install INSTALL_PATH=$KST"
rm -rf "$KST"
log=$KST.log
only=()
[ -z "$TESTS" ] || only=("VMBUS_TESTS=$TESTS")
if ! make -C "$SRC/tools/testing/selftests" TARGETS=vmbus INSTALL_PATH="$KST" \
	"${only[@]}" -j"$(nproc)" install >"$log" 2>&1; then
	tail -n 40 "$log" >&2
	die "the kselftest install failed (log: $log)"
fi
if [ ! -x "$KST/run_kselftest.sh" ] || [ ! -f "$KST/kselftest-list.txt" ]; then
	die "$KST: no run_kselftest.sh or kselftest-list.txt after the install"
fi

for t in $TESTS; do
	grep -qx "vmbus:$t" "$KST/kselftest-list.txt" ||
		die "--tests: $t is not in $KST/kselftest-list.txt"
done
say "$(wc -l <"$KST/kselftest-list.txt") programs in kselftest-list.txt"

# The post checks compare what every test left; this lane runs some.
out=$REPO/build/qemu/$NAME
VMBUS_QEMU_POST=0 VMBUS_QEMU_OUT=$out \
	"$HERE/run.sh" --kernel "$NAME" --mode check --modules "$MODULES" \
	--tests "$KST" --extra-modules "$EXTRA" --params "$PARAMS"

# The VMBus drivers built into the kernel (intree-kernel.config) registered
# at boot, before any host: the end step lists the bus's drivers.
for drv in $(sed -n 's|^kernel/drivers/.*/\([a-z_-]*\)\.ko$|\1|p' \
		"$(dirname "$(find "$DK/modroot/lib/modules" \
			-maxdepth 2 -name modules.builtin | head -n 1)")/modules.builtin" |
		grep -E '^(hyperv[_-]keyboard|hid[_-]hyperv|hv_storvsc|hv_netvsc|hv_utils|hv_balloon)$'); do
	drv=${drv//-/_}
	grep -qx "$drv" "$out/console.log" ||
		die "the built-in driver $drv is not in /sys/bus/vmbus/drivers (console: $out/console.log)"
	say "built-in driver $drv registered on the bus"
done
