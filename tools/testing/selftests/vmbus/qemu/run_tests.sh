#!/bin/sh
# In-guest test runner (busybox sh).  Runs every executable in this
# directory whose name ends in `_test`, in sorted order, each under a
# timeout, and prints one top-level TAP 13 stream:
#   TAP version 13 / 1..N / `# `-prefixed program output /
#   `# time: name S s` / ok K name | not ok K name | ok K name # SKIP (exit 4)
# Usage: run_tests.sh [-t SECONDS]   (per-program timeout, default 300,
# or $VMBUS_TEST_TIMEOUT).  Exit status: 0 if nothing failed.
set -u

KSFT_SKIP=4
dir=$(cd "$(dirname "$0")" && pwd)
timeout_s=${VMBUS_TEST_TIMEOUT:-300}
rcfile=/tmp/run_tests.rc.$$
tofile=/tmp/run_tests.timeout.$$

usage() { echo "usage: $0 [-t SECONDS]" >&2; exit 2; }

parse_args() {
	while [ $# -gt 0 ]; do
		case $1 in
		-t) [ $# -ge 2 ] || usage; timeout_s=$2; shift 2 ;;
		*) usage ;;
		esac
	done
	case $timeout_s in
	''|*[!0-9]*) echo "run_tests.sh: bad timeout '$timeout_s'" >&2; exit 2 ;;
	esac
}

list_tests() {
	for f in "$dir"/*_test; do
		[ -f "$f" ] && [ -x "$f" ] && echo "$f"
	done
}

# Where each process of group $1 waits: its state and kernel stack, into
# the kernel log, so that the console shows what a timed-out test hung on.
show_group() {
	sg_pgid=$1
	for sg_p in /proc/[0-9]*; do
		sg_stat=$(cat "$sg_p/stat" 2>/dev/null) || continue
		# After "pid (comm) ": state, ppid, process group.
		# shellcheck disable=SC2086 # split into fields on purpose
		set -- ${sg_stat##*) }
		[ "$3" = "$sg_pgid" ] || continue
		{
			echo "run_tests.sh: timeout: pid ${sg_p#/proc/}" \
				"$(cat "$sg_p/comm") state $1"
			sed 's/^/run_tests.sh:   /' "$sg_p/stack" 2>/dev/null
		} >/dev/kmsg
	done
}

# Kill the test's process group after timeout_s seconds (TERM, then KILL
# 10 s later) and leave a mark in $tofile; first log where it waited.
watchdog() {
	sleep "$timeout_s"
	: >"$tofile"
	show_group "$1"
	kill -TERM -"$1" 2>/dev/null
	sleep 10
	kill -KILL -"$1" 2>/dev/null
}

# Run one program in its own session, so that on a timeout its children
# die with it (one of them holding the output pipe would stall the run).
# Writes the program's exit status, or 124 if the watchdog fired, to
# $rcfile.
run_group() {
	setsid "$1" </dev/null 2>&1 &
	pid=$!
	watchdog "$pid" >/dev/null 2>&1 &
	dog=$!
	wait "$pid"
	rc=$?
	kill "$dog" 2>/dev/null
	# Leftover children of the test must not hold the pipe open.
	kill -KILL -"$pid" 2>/dev/null
	[ -e "$tofile" ] && rc=124
	echo "$rc" >"$rcfile"
}

# Run one program; its output goes to stdout as TAP comments.  Returns the
# program's exit status, or 124 when the timeout fired.
run_one() {
	rm -f "$tofile"
	# (The shell's own job messages, e.g. "Terminated", are not TAP.)
	run_group "$1" 2>/dev/null | sed 's/^/# /'
	rc=$(cat "$rcfile")
	rm -f "$rcfile" "$tofile"
	return "$rc"
}

report() {
	k=$1 name=$2 rc=$3
	case $rc in
	0) echo "ok $k $name" ;;
	"$KSFT_SKIP") echo "ok $k $name # SKIP" ;;
	124) echo "# timeout: $name did not finish in $timeout_s s"
	     echo "not ok $k $name # TIMEOUT $timeout_s seconds" ;;
	*) echo "# $name exited with status $rc"
	   echo "not ok $k $name" ;;
	esac
}

main() {
	parse_args "$@"
	tests=$(list_tests)
	n=$(echo "$tests" | grep -c . || true)
	echo "TAP version 13"
	echo "1..$n"
	k=0 failed=0
	for t in $tests; do
		k=$((k + 1))
		rc=0
		t0=$(date +%s)
		run_one "$t" || rc=$?
		# Wall time in the guest, for the lane's budget (testing.rst).
		echo "# time: $(basename "$t") $(($(date +%s) - t0)) s"
		report "$k" "$(basename "$t")" "$rc"
		case $rc in 0|"$KSFT_SKIP") ;; *) failed=$((failed + 1)) ;; esac
	done
	[ "$failed" -eq 0 ]
}

main "$@"
