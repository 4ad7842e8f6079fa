# shellcheck shell=bash
# SPDX-License-Identifier: GPL-2.0
#
# bench-lib.sh: what bench-storvsc.sh and bench-netvsc.sh share; sourced,
# after they set $here (this directory), $repo, $dir (their output
# directory) and $name (storvsc or netvsc).
# shellcheck disable=SC2154 # those four come from the sourcing script

die() { echo "bench-$name: $*" >&2; exit 1; }

# bench_prepare PROG: $dir/tests holds build/tests/PROG alone, with the
# kselftest settings; the dist modules must be built.
bench_prepare() {
	local prog=$repo/build/tests/$1
	[ -x "$prog" ] || die "no $prog (make tests)"
	[ -f "$repo/build/modules/dist/vmbus_sim.ko" ] || die "no modules (make modules-dist)"
	rm -rf "$dir"
	mkdir -p "$dir/tests"
	cp "$prog" "$dir/tests/"
	cp "$repo/tools/testing/selftests/vmbus/settings" "$dir/tests/"
}

# bench_boot PROG TEST_TIMEOUT_S EXTRA_MODULES PARAMS: one boot of Debian's
# 6.1 kernel running PROG, which must pass; sets $tap and $kver.
bench_boot() {
	local rc=0
	VMBUS_TEST_TIMEOUT=$2 VMBUS_QEMU_OUT=$dir/qemu VMBUS_QEMU_POST=0 \
		"$here/run.sh" --kernel dist --mode check --modules "$repo/build/modules/dist" \
		--tests "$dir/tests" --extra-modules "$3" --params "$4" \
		--timeout 1200 >"$dir/run.log" 2>&1 || rc=$?
	tap=$dir/qemu/tap.txt
	if [ "$rc" != 0 ] || ! grep -qx "ok 1 $1" "$tap" 2>/dev/null; then
		tail -n 20 "$dir/run.log" >&2
		die "the run failed (exit status $rc): $dir/run.log, $tap"
	fi
	# shellcheck disable=SC2034 # the sourcing script's
	kver=$(sed -n 's/^run.sh: booting the dist kernel \([^,]*\),.*/\1/p' "$dir/run.log" |
		head -n 1)
}

# `# # BENCH <what> name=value ...` in $tap: the value of $2 on $1's line.
field() {
	sed -n "s/^.*# BENCH $1 .*[ ]$2=\([0-9.]*\).*$/\1/p" "$tap" | head -n 1
}

# require_range OPTION VALUE MIN MAX: VALUE is a whole number from MIN to MAX.
require_range() {
	case $2 in ''|*[!0-9]*) die "$1 takes a number" ;; esac
	[ "$2" -ge "$3" ] && [ "$2" -le "$4" ] || die "$1 $2: $3 to $4"
}

# require_positive METRICS WHAT...: every metric of every WHAT is there
# and above 0.
require_positive() {
	local m w v metrics=$1
	shift
	for m in $metrics; do
		for w in "$@"; do
			v=$(field "$w" "$m")
			[ -n "$v" ] || die "no $m for $w in $tap"
			awk -v v="$v" 'BEGIN { exit !(v > 0) }' || die "$m for $w is $v in $tap"
		done
	done
}
