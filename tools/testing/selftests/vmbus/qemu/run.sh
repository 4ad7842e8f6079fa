#!/usr/bin/env bash
# Boot a kernel in QEMU (TCG, -smp 4) with our modules and kselftests in an
# initramfs, and judge the run.
#
# Usage: run.sh --kernel dist|dist-6.12|dist-6.12-rt|debug|intree|intree-6.12
#               --mode check|run
#               --modules DIR --tests DIR
#               [--timeout SECONDS] [--extra-modules "name ..."]
#               [--params "name=value ..."]
#   dist:  Debian's 6.1 linux-image-$ABI (scripts/fetch-dist-kernel.sh)
#   dist-6.12, dist-6.12-rt: Debian's newest 6.12 amd64 (rt-amd64, PREEMPT_RT)
#          image, likewise; --modules built against its headers
#   debug: build/debug-kernel/ (scripts/build-debug-kernel.sh, run it first)
#   intree: build/intree-kernel/ (scripts/build-intree-kernel.sh): our
#          hv_vmbus built in, vmbus_sim and the tree's Hyper-V drivers its
#          modules (name vmbus_sim in --extra-modules); --modules holds the
#          test drivers built against it
#   intree-6.12: the same from Debian's linux-source-6.12,
#          build/intree-6.12-kernel/ (scripts/build-intree-kernel.sh 6.12)
#   check: run the tests; exit 0 only if every test passed or skipped, the
#          TAP is complete, the kernel log scan is clean and QEMU did not
#          time out.  Per-test timeout: $VMBUS_TEST_TIMEOUT (default: the
#          kselftest ../settings timeout=, 300 s; twice that on the debug
#          kernel); the whole boot: --timeout (default 1500 s, 3600 s on the
#          debug kernel).
#   run:   a demo for a human; console shown live; exit with QEMU's status.
# --params: words appended to the guest's kernel command line, where the
# tests read their counts (vm_param_u64(): vmbus_echo_count=N and the like);
# without it every test runs its full, soak-sized default.
# Every boot ends with the host asking the distribution's hv_utils for a
# shutdown or a restart (the end step of qemu/init): the run passes only if
# the guest ended itself that way, which the runner tells from a panic, a
# timeout or any other stop by the kernel's last line (`reboot: Power down`
# or `reboot: Restarting system`), init's `===VMBUS-END <action>===` and the
# hv_utils and /sbin/<action> lines in the kernel log.  check: the tests
# run in a first boot that ends in a host-requested restart (-no-reboot makes
# QEMU exit); a second boot, the rebooted guest, ends in a host-requested
# shutdown.  run: one boot, the demo, then the host-requested shutdown.
# Every boot has a virtio disk of 16 MiB, zeroed at each run
# (vdisk.img beside the logs; raw): storvsc_backing_test makes it the
# store of a simulated SCSI disk where the kernel has virtio_blk.
# Output under build/qemu/<kernel>/: console.log, tap.txt, dmesg.txt (first
# boot), console-rebooted.log, dmesg-rebooted.txt (second boot), and
# artifacts/: every block a test printed between `===ARTIFACT <name> BEGIN===`
# and `===ARTIFACT <name> END===` (base64; the lines may carry `# ` TAP
# prefixes), decoded into artifacts/<name>.  In check mode every executable
# qemu/post/*.sh then runs with the artifacts directory as its argument; a
# failing one fails the run.  VMBUS_QEMU_POST=0 skips them, for a --tests
# directory with only some of the tests (qemu/bench-storvsc.sh); they need
# what the whole set prints.  VMBUS_QEMU_OUT: another output directory.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../../../../.." && pwd)

KERNEL='' MODE='' MODULES='' TESTS='' TIMEOUT='' EXTRA='' PARAMS='' KERNEL_ARGS='' ARTIFACTS=''
TEST_TIMEOUT=${VMBUS_TEST_TIMEOUT:-}
IMAGE='' MODTREE='' KVER='' MEM=1G
OUT='' CONSOLE=''

die() { echo "run.sh: $*" >&2; exit 1; }
say() { echo "run.sh: $*"; }

usage() {
	sed -n '5,9s/^# \{0,1\}//p' "$0" >&2
	exit 2
}

# timeout=N of the kselftest `settings` file next to the tests (what the
# kernel's kselftest runner uses per program).
settings_timeout() {
	local t
	t=$(sed -n 's/^timeout=\([0-9]\+\)$/\1/p' "$HERE/../settings")
	[ -n "$t" ] || die "no timeout=N in $HERE/../settings"
	echo "$t"
}

parse_args() {
	while [ $# -gt 0 ]; do
		[ $# -ge 2 ] || usage
		case $1 in
		--kernel) KERNEL=$2 ;;
		--mode) MODE=$2 ;;
		--modules) MODULES=$2 ;;
		--tests) TESTS=$2 ;;
		--timeout) TIMEOUT=$2 ;;
		--extra-modules) EXTRA=$2 ;;
		--params) PARAMS=$2 ;;
		*) usage ;;
		esac
		shift 2
	done
	case $KERNEL in dist|dist-6.12|dist-6.12-rt|debug|intree|intree-6.12) ;; *) usage ;; esac
	case $MODE in check|run) ;; *) usage ;; esac
	if [ -z "$MODULES" ] || [ -z "$TESTS" ]; then usage; fi
	[ -d "$MODULES" ] || die "--modules $MODULES: no such directory"
	[ -d "$TESTS" ] || die "--tests $TESTS: no such directory"
	MODULES=$(realpath "$MODULES")
	TESTS=$(realpath "$TESTS")
	# KASAN, lockdep and kmemleak under TCG: several times slower.
	if [ -z "$TIMEOUT" ]; then
		if [ "$KERNEL" = debug ]; then TIMEOUT=3600; else TIMEOUT=1500; fi
	fi
	if [ -z "$TEST_TIMEOUT" ]; then
		TEST_TIMEOUT=$(settings_timeout)
		# The debug kernel: twice the kselftest `settings` timeout.
		[ "$KERNEL" = debug ] && TEST_TIMEOUT=$((TEST_TIMEOUT * 2))
	fi
	[[ $TIMEOUT =~ ^[1-9][0-9]*$ ]] || die "--timeout $TIMEOUT: not a number of seconds"
	local p
	for p in $PARAMS; do
		[[ $p =~ ^vmbus_[a-z0-9_]+=[0-9]+$ ]] ||
			die "--params: '$p' is not vmbus_<name>=<number>"
	done
	[[ $TEST_TIMEOUT =~ ^[1-9][0-9]*$ ]] || die "VMBUS_TEST_TIMEOUT=$TEST_TIMEOUT: not a number"
}

# resolve_dist [SERIES [FLAVOUR]]: arguments of scripts/fetch-dist-kernel.sh.
resolve_dist() {
	local dir
	dir=$("$REPO/scripts/fetch-dist-kernel.sh" "$@" | tail -n 1) ||
		die "scripts/fetch-dist-kernel.sh failed"
	local trees=("$dir"/lib/modules/*/)
	if [ ${#trees[@]} -ne 1 ] || [ ! -d "${trees[0]}" ]; then
		die "expected exactly one kernel under $dir/lib/modules"
	fi
	KVER=$(basename "${trees[0]}")
	IMAGE=$dir/boot/vmlinuz-$KVER
	MODTREE=$dir/lib/modules/$KVER
}

# resolve_built NAME BUILDER: a kernel scripts/build-kernel.sh built under
# build/NAME-kernel, by the command BUILDER.
resolve_built() {
	local dk=$REPO/build/$1-kernel
	IMAGE=$dk/src/arch/x86/boot/bzImage
	if [ ! -f "$IMAGE" ] || [ ! -f "$dk/src/include/config/kernel.release" ]; then
		die "no $1 kernel in $dk; run $2 first"
	fi
	KVER=$(cat "$dk/src/include/config/kernel.release")
	MODTREE=$dk/modroot/lib/modules/$KVER
}

resolve_intree() {
	resolve_built intree scripts/build-intree-kernel.sh
}

resolve_debug() {
	resolve_built debug scripts/build-debug-kernel.sh
	# KASAN's shadow and kmemleak's metadata need room.
	MEM=2G
	# 4-level paging.  With LA57 (QEMU's -cpu max has it) this kernel's
	# identify_cpu() clears the boot CPU's capability words and fills
	# them again; an interrupt in that window makes KASAN take the 5-level
	# direct map for wild addresses ("BUG: KASAN: wild-memory-access in
	# do_raw_spin_lock" from handle_edge_irq, before any module loads).
	KERNEL_ARGS=no5lvl
}

resolve_kernel() {
	case $KERNEL in
	dist-6.12) resolve_dist 6.12 ;;
	dist-6.12-rt) resolve_dist 6.12 rt-amd64 ;;
	intree-6.12) resolve_built intree-6.12 "scripts/build-intree-kernel.sh 6.12" ;;
	*) "resolve_$KERNEL" ;;
	esac
	[ -f "$IMAGE" ] || die "kernel image $IMAGE missing"
	[ -f "$MODTREE/modules.dep" ] || die "module tree $MODTREE has no modules.dep"
}

make_initramfs() {
	# A new run, a zeroed virtio disk (qemu_args() makes it).
	rm -f "$OUT/vdisk.img"
	say "building the initramfs for $KVER (busybox, our modules and tests, $(wc -w <<<"$EXTRA")" \
		"of Debian's modules)..."
	"$HERE/mkinitramfs.sh" --kver "$KVER" --modtree "$MODTREE" --modules "$MODULES" \
		--tests "$TESTS" --extra-modules "$EXTRA" --out "$OUT/initramfs.cpio.gz" ||
		die "building the initramfs failed"
}

# qemu_args BOOT_MODE END_ACTION
qemu_args() {
	local append="console=ttyS0 panic=-1 panic_on_warn=0 loglevel=7 log_buf_len=8M"
	# Kept across the boots of a run (kexec-lanes.sh boots from its own $OUT).
	[ -f "$OUT/vdisk.img" ] || truncate -s 16M "$OUT/vdisk.img" ||
		die "cannot make $OUT/vdisk.img"
	append+=" vmbus_mode=$1 vmbus_end=$2 vmbus_test_timeout=$TEST_TIMEOUT"
	[ -z "$KERNEL_ARGS" ] || append+=" $KERNEL_ARGS"
	[ -z "$PARAMS" ] || append+=" $PARAMS"
	# shellcheck disable=SC2054 # the commas belong to -accel's value
	QEMU=(qemu-system-x86_64 -accel tcg,thread=multi -cpu max -smp 4 -m "$MEM"
	      -kernel "$IMAGE" -initrd "$OUT/initramfs.cpio.gz" -nic none
	      -drive "file=$OUT/vdisk.img,if=virtio,format=raw"
	      -nographic -no-reboot
	      -append "$append")
}

# boot BOOT_MODE END_ACTION CONSOLE TIMEOUT; sets QEMU_RC (124: the
# timeout fired).
boot() {
	local t0=$SECONDS console=$3 limit=$4
	qemu_args "$1" "$2"
	say "booting the $KERNEL kernel $KVER, vmbus_mode=$1, ending in a host-requested $2" \
		"(timeout $limit s), console: $console"
	QEMU_RC=0
	if [ "$MODE" = run ]; then
		set +e
		timeout --foreground -k 10 "$limit" "${QEMU[@]}" 2>&1 | tee "$console"
		QEMU_RC=${PIPESTATUS[0]}
		set -e
	else
		timeout -k 10 "$limit" "${QEMU[@]}" </dev/null >"$console" 2>&1 || QEMU_RC=$?
	fi
	say "QEMU exited with status $QEMU_RC after $((SECONDS - t0)) s"
	# The serial console ends lines with CRLF.
	sed -i 's/\r$//' "$console"
}

# Did the kernel panic in CONSOLE before any module of ours was loaded,
# so before any test ran?  Under TCG with several vCPU threads the 6.12
# kernels now and then take an Oops in boot while patching their own text
# (a stale breakpoint or a half-written jump: seen in run_timer_softirq
# before init, and in sched_clock_cpu+0x9 in an interrupt 5.7 s into a
# second boot, with the taint list "[D]=DIE" alone).  Our modules are out of
# tree, so the kernel logs "loading out-of-tree module taints kernel" for
# the first of them; a panic before that line is not ours.
early_panic() {
	awk '/loading out-of-tree module taints kernel/ { ours = 1 }
	     /Kernel panic/ { early = !ours; exit }
	     END { exit !early }' "$1"
}

# Did the first Oops in CONSOLE come from a breakpoint of the kernel's own
# text patching that was gone again when the Oops was printed?  The kernel
# patches a jump label or static call by writing int3 over its first byte,
# then the rest, then the first byte, and waits for every CPU between
# steps; its int3 handler takes a trap on a byte it is patching.  Under
# TCG with several vCPU threads a vCPU may still run the old translation of
# that code, with the int3, after the patching ended: the trap is then no
# longer the handler's, and the kernel dies with "Oops: int3" although the
# byte before the RIP in the dump's Code line is not int3 (0xcc) any more.
# Seen on Debian's 6.12 kernel in kthread_worker_fn+0xac just after a
# hibernation cycle brought the CPUs back.  Only an Oops in the kernel's
# own text counts (no "[module]" on the RIP line).
stale_int3() {
	awk '/Oops: int3/ && !seen { seen = 1; next }
	     seen && /RIP: / && !rip {
		rip = 1
		if (substr($0, index($0, "RIP: ")) ~ /\[/)
			exit
	     }
	     seen && /Code: / {
		for (i = 1; i <= NF; i++)
			if ($i ~ /^</) { stale = (i > 2 && $(i - 1) != "cc"); break }
		exit
	     }
	     END { exit !stale }' "$1"
}

# boot_once_more BOOT_MODE END_ACTION CONSOLE TIMEOUT: boot, and boot once
# more if the first try panicked before a module of ours loaded or died of
# a stale text-patching breakpoint (stale_int3()); the failed console is
# kept as CONSOLE.early-panic and the retry is said on the output.
boot_once_more() {
	local why

	boot "$@"
	if early_panic "$3"; then
		why="the kernel panicked before any module of ours was loaded"
	elif grep -q 'Kernel panic' "$3" && stale_int3 "$3"; then
		why="the kernel died of a breakpoint its own text patching had already removed"
	else
		return 0
	fi
	mv "$3" "$3.early-panic"
	say "RETRY: $why:" \
		"$(grep -m1 -E 'Oops|BUG|RIP:' "$3.early-panic" || echo '?');" \
		"booting once more, console kept as $3.early-panic"
	boot "$@"
}

# check_end CONSOLE DMESG ACTION LABEL: did the boot end in the orderly
# ACTION (poweroff or reboot) the host asked hv_utils for?  Appends to
# PROBLEMS otherwise, naming what happened instead.
check_end() {
	local console=$1 dmesg=$2 action=$3 label=$4 kline hvline why=()
	if [ "$action" = poweroff ]; then
		kline='reboot: Power down'
		hvline='Shutdown request received - graceful shutdown initiated'
	else
		kline='reboot: Restarting system'
		hvline='Restart request received - graceful restart initiated'
	fi
	if [ "$QEMU_RC" -eq 124 ] || [ "$QEMU_RC" -eq 137 ]; then
		why+=("QEMU timed out")
	elif grep -q 'Kernel panic' "$console"; then
		why+=("the kernel panicked")
	fi
	if grep -q 'vmbus init: END FAILED' "$console"; then
		grep -m1 'vmbus init: END FAILED' "$console" | sed 's/^/    | /'
		why+=("init's end step failed")
	fi
	grep -q "^===VMBUS-END $action===\$" "$console" ||
		why+=("no ===VMBUS-END $action=== from init")
	grep -qF "$kline" "$console" || why+=("the kernel never printed '$kline'")
	grep -qF "hv_utils: $hvline" "$dmesg" || why+=("no 'hv_utils: $hvline' in the kernel log")
	grep -qF "vmbus-power: /sbin/$action called" "$dmesg" ||
		why+=("/sbin/$action never ran")
	if [ ${#why[@]} -eq 0 ]; then
		say "$label: orderly $action at the host's request (hv_utils ->" \
			"/sbin/$action -> init -> '$kline')"
		return 0
	fi
	local w
	for w in "${why[@]}"; do PROBLEMS+=("$label: not an orderly $action: $w"); done
	say "$label: the last lines of its console:"
	tail -n 8 "$console" | sed 's/^/    | /'
}

# Lines of CONSOLE between ===DMESG-BEGIN=== and ===DMESG-END===, or all of it.
dmesg_of() {
	if grep -qF "===DMESG-END===" "$1"; then
		awk 'index($0, "===DMESG-END===") { exit } f { print }
		     index($0, "===DMESG-BEGIN===") { f = 1 }' "$1" >"$2"
	else
		say "no dmesg markers in $1; scanning the whole console log"
		cp "$1" "$2"
	fi
}

# The second boot of a check run: the guest the host's restart request
# rebooted, ending in a host-requested shutdown.
rebooted_boot() {
	local console=$OUT/console-rebooted.log dmesg=$OUT/dmesg-rebooted.txt
	boot_once_more rebooted poweroff "$console" 300
	[ "$QEMU_RC" -eq 0 ] || [ "$QEMU_RC" -eq 124 ] || [ "$QEMU_RC" -eq 137 ] ||
		PROBLEMS+=("second boot: QEMU exited with status $QEMU_RC")
	dmesg_of "$console" "$dmesg"
	"$HERE/logscan.sh" "$dmesg" ||
		PROBLEMS+=("second boot: the kernel log scan found problems")
	check_end "$console" "$dmesg" poweroff "second boot"
}

# Lines of the console between two marker lines.
section() {
	awk -v b="$1" -v e="$2" 'index($0, e) { exit } f { print } index($0, b) { f = 1 }' "$CONSOLE"
}

has_marker() { grep -qF "$1" "$CONSOLE"; }

extract_logs() {
	if has_marker "===TAP-END==="; then
		section "===TAP-BEGIN===" "===TAP-END===" >"$OUT/tap.txt"
	else
		# Partial: the live copy from the start of the TAP stream.
		sed -n '/^TAP version 13$/,$p' "$CONSOLE" >"$OUT/tap.txt"
	fi
	dmesg_of "$CONSOLE" "$OUT/dmesg.txt"
}

# Prints the name of every complete artifact block in FILE and writes its
# base64 body to DIR/<name>.b64; the first complete block of a name wins
# (the console has the TAP twice).  Names: [A-Za-z0-9_.-], not starting
# with a dot.  An unfinished block is reported on stderr as `incomplete NAME`.
artifact_blocks() {
	awk -v dir="$2" '
		function strip(l) { while (substr(l, 1, 2) == "# ") l = substr(l, 3); return l }
		{ line = strip($0) }
		line ~ /^===ARTIFACT [A-Za-z0-9_][A-Za-z0-9_.-]* BEGIN===$/ {
			name = line; sub(/^===ARTIFACT /, "", name); sub(/ BEGIN===$/, "", name)
			if (cur != "") print "incomplete " cur > "/dev/stderr"
			cur = (name in done) ? "" : name
			if (cur != "") { file = dir "/" cur ".b64"; printf "" > file }
			next
		}
		cur != "" && line == "===ARTIFACT " cur " END===" {
			close(file); done[cur] = 1; print cur; cur = ""; next
		}
		cur != "" { print line > file }
		END { if (cur != "") print "incomplete " cur > "/dev/stderr" }' "$1"
}

# Decodes every artifact of the TAP into $ARTIFACTS; problems go to PROBLEMS.
extract_artifacts() {
	local name bad
	rm -rf "$ARTIFACTS"
	mkdir -p "$ARTIFACTS"
	for bad in $(artifact_blocks "$OUT/tap.txt" "$ARTIFACTS" 2>&1 >/dev/null |
		     sed -n 's/^incomplete //p'); do
		PROBLEMS+=("artifact $bad: no END marker (the test stopped while printing it)")
	done
	for name in $(artifact_blocks "$OUT/tap.txt" "$ARTIFACTS" 2>/dev/null); do
		if base64 -d "$ARTIFACTS/$name.b64" >"$ARTIFACTS/$name" 2>/dev/null; then
			say "artifact $name: $(stat -c %s "$ARTIFACTS/$name") bytes in $ARTIFACTS"
		else
			PROBLEMS+=("artifact $name: not valid base64")
		fi
		rm -f "$ARTIFACTS/$name.b64"
	done
}

# Every executable qemu/post/*.sh, with the artifacts directory; its output
# is shown, and a non-zero exit fails the run.
post_checks() {
	local hook name rc log
	if [ "${VMBUS_QEMU_POST:-1}" = 0 ]; then
		say "post checks skipped (VMBUS_QEMU_POST=0)"
		return
	fi
	for hook in "$HERE"/post/*.sh; do
		if [ ! -f "$hook" ] || [ ! -x "$hook" ]; then continue; fi
		name=$(basename "$hook")
		log=$OUT/post-${name%.sh}.log
		rc=0
		"$hook" "$ARTIFACTS" >"$log" 2>&1 || rc=$?
		sed "s/^/    $name | /" "$log"
		if [ "$rc" -eq 0 ]; then
			say "post check $name: PASS"
		else
			say "post check $name: FAIL (exit status $rc)"
			PROBLEMS+=("post check $name failed (log: $log)")
		fi
	done
}

count() { grep -cE "$1" "$OUT/tap.txt" || true; }

# Sets PASSED FAILED SKIPPED and appends to PROBLEMS.
check_tap() {
	local tap=$OUT/tap.txt plan oks
	has_marker "===TAP-END===" || PROBLEMS+=("no complete TAP output (markers missing)")
	plan=$(sed -n 's/^1\.\.\([0-9]\+\)$/\1/p;T;q' "$tap")
	oks=$(count '^ok [0-9]+')
	SKIPPED=$(count '^ok [0-9]+ .*# [Ss][Kk][Ii][Pp]')
	PASSED=$((oks - SKIPPED))
	FAILED=$(count '^not ok [0-9]+')
	grep -E '^not ok [0-9]+' "$tap" || true
	if [ -z "$plan" ]; then
		PROBLEMS+=("no TAP plan (1..N)")
	elif [ "$plan" -eq 0 ]; then
		PROBLEMS+=("the TAP plan is 1..0: no test programs ran")
	elif [ $((oks + FAILED)) -ne "$plan" ]; then
		PROBLEMS+=("TAP plan says $plan tests, $((oks + FAILED)) reported")
	fi
	[ "$FAILED" -eq 0 ] || PROBLEMS+=("$FAILED test(s) failed")
	slowest
}

# The five programs that took longest, from run_tests.sh's "# time:" lines
# (guest wall clock): where the lane's time went.
slowest() {
	local top
	top=$(sed -n 's/^# time: \([^ ]*\) \([0-9]*\) s$/\2 \1/p' "$OUT/tap.txt" |
		sort -rn | head -n 5 | awk '{ printf "%s%s %d s", (NR > 1 ? ", " : ""), $2, $1 }')
	[ -z "$top" ] || say "slowest: $top"
}

verdict() {
	local p
	PROBLEMS=()
	if [ "$QEMU_RC" -eq 124 ] || [ "$QEMU_RC" -eq 137 ]; then
		PROBLEMS+=("QEMU timed out after $TIMEOUT s")
		say "QEMU timed out; the last lines of the console:"
		tail -n 15 "$CONSOLE" | sed 's/^/    | /'
	fi
	[ "$QEMU_RC" -eq 0 ] || [ "$QEMU_RC" -eq 124 ] || [ "$QEMU_RC" -eq 137 ] ||
		PROBLEMS+=("QEMU exited with status $QEMU_RC")
	grep -m1 'Kernel panic' "$CONSOLE" && PROBLEMS+=("the kernel panicked")
	extract_logs
	check_tap
	"$HERE/logscan.sh" "$OUT/dmesg.txt" || PROBLEMS+=("the kernel log scan found problems")
	extract_artifacts
	post_checks
	check_end "$CONSOLE" "$OUT/dmesg.txt" reboot "first boot"
	rebooted_boot
	echo "# $KERNEL: $PASSED passed, $FAILED failed, $SKIPPED skipped"
	echo "$PASSED passed, $FAILED failed"
	if [ ${#PROBLEMS[@]} -eq 0 ]; then
		say "PASS ($OUT)"
		return 0
	fi
	for p in "${PROBLEMS[@]}"; do say "FAIL: $p"; done
	say "logs: $CONSOLE $OUT/tap.txt $OUT/dmesg.txt"
	return 1
}

# make run: QEMU's status, or 1 if the demo stopped at a failed step
# (qemu/init says so, and still goes on to the end step) or the guest did
# not end in the orderly shutdown the host asked for.
run_verdict() {
	PROBLEMS=()
	[ "$QEMU_RC" -eq 0 ] && check_end "$CONSOLE" "$CONSOLE" poweroff "make run"
	if grep -q "vmbus init: the demo stopped early" "$CONSOLE"; then
		PROBLEMS+=("make run: the demo stopped at a failed step (see above in $CONSOLE)")
	fi
	[ "$QEMU_RC" -eq 0 ] || exit "$QEMU_RC"
	[ ${#PROBLEMS[@]} -eq 0 ] || { printf 'run.sh: %s\n' "${PROBLEMS[@]}"; exit 1; }
	exit 0
}

main() {
	parse_args "$@"
	command -v qemu-system-x86_64 >/dev/null ||
		die "qemu-system-x86_64 missing (run scripts/setup-packages.sh)"
	resolve_kernel
	# VMBUS_QEMU_OUT: another directory, for runs side by side.
	OUT=${VMBUS_QEMU_OUT:-$REPO/build/qemu/$KERNEL}
	CONSOLE=$OUT/console.log
	ARTIFACTS=$OUT/artifacts
	mkdir -p "$OUT"
	rm -rf "$CONSOLE" "$CONSOLE.early-panic" "$OUT/console-rebooted.log.early-panic" \
		"$OUT/tap.txt" "$OUT/dmesg.txt" "$ARTIFACTS" "$OUT"/post-*.log \
		"$OUT/console-rebooted.log" "$OUT/dmesg-rebooted.txt"
	make_initramfs
	if [ "$MODE" = run ]; then
		boot run poweroff "$CONSOLE" "$TIMEOUT"
		run_verdict
	fi
	boot_once_more check reboot "$CONSOLE" "$TIMEOUT"
	verdict
}

# kexec-lanes.sh sources this file for its functions.
if [ "${BASH_SOURCE[0]}" = "$0" ]; then
	main "$@"
fi
