#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# run.sh: verify the Promela models of this directory with spin (the
# "models" lane of Documentation/virt/hyperv/testing.rst).
#
#   run.sh [MODEL ...]         model files; default: every *.pml here
#
# For each model:
#   safety    spin -a, pan built with -DSAFETY -DNOCLAIM, exhaustive search:
#             assertion violations and invalid end states (deadlocks);
#   liveness  only if the model has an ltl formula: pan -a -f (acceptance
#             cycles under weak fairness), also exhaustive;
#   mutants   a model may name, in a line "/* run.sh: mutants A B */", macros
#             that each break one step of the protocol it models (drop a
#             barrier, a re-check, a grace period).  Each is built with
#             spin -DA and must make spin report a violation: this shows
#             that the properties can fail and that they do fail for the
#             bug the step prevents.
#
# A model passes if its safety and liveness runs report no error and every
# mutant is caught.  One line per model, then "N passed, N failed"; exit
# status 1 if any failed.  Needs spin and gcc (scripts/setup-packages.sh
# installs them); installs nothing.
#
# Build products (pan.*, pan, trails) go to $MODELS_BUILD, by default
# build/models/ of the repository; a failing run's trail and replay stay
# there.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../../../.." && pwd)
out=${MODELS_BUILD:-$repo/build/models}

# Depth bound (an exhaustive search must never hit it) and hash table size.
PAN_DEPTH=1000000
PAN_HASH=22
# pan of a model is built with -O1 (compiling is most of the time); pan of
# a mutant, which stops at the first violation, with -O0.
PAN_OPT=-O1

for tool in spin gcc; do
	if ! command -v "$tool" >/dev/null; then
		echo "models: $tool not found (scripts/setup-packages.sh installs it)" >&2
		exit 1
	fi
done

if [ $# -eq 0 ]; then
	set -- "$here"/*.pml
fi

passed=0 failed=0

# pan's "errors: N"; "incomplete" if it found none but could not search
# every state (a search stopped at an error says "not completed" too).
pan_result() {
	local log=$1 errors

	errors=$(sed -n 's/.*errors: \([0-9]*\).*/\1/p' "$log" | head -n1)
	if [ -z "$errors" ]; then
		echo incomplete
	elif [ "$errors" = 0 ] &&
	     grep -qiE 'max search depth too small|out of memory|not completed' "$log"; then
		echo incomplete
	else
		echo "$errors"
	fi
}

states() {
	sed -n 's/^ *\([0-9.e+]*\) states, stored.*/\1/p' "$1" | head -n1
}

# What pan found: the first violation line.
violation() {
	grep -m1 -E '^pan:[0-9]+:|^pan: ' "$1" | sed 's/^pan:[0-9]*: *//'
}

# build DIR NAME KIND [SPIN-FLAGS...]: spin -a and gcc in DIR; KIND is
# "safety" or "liveness".  Compiler noise about pan's generated code goes
# to DIR/gcc.log.
build() {
	local dir=$1 name=$2 kind=$3 cflags
	shift 3

	if [ "$kind" = safety ]; then
		cflags=(-DSAFETY -DNOCLAIM)
	else
		cflags=(-DNFAIR=3)
	fi
	(cd "$dir" && spin "$@" -a "$name.pml" >spin.log 2>&1 &&
	 gcc "$PAN_OPT" -w "${cflags[@]}" -o "pan-$kind" pan.c >gcc.log 2>&1)
}

# check DIR NAME KIND [-A] [SPIN-FLAGS...]: build and run one search; the
# log is DIR/KIND.log.  Prints errors (a number) or "incomplete" / "build".
check() {
	local dir=$1 name=$2 kind=$3 log
	local -a noassert=()
	shift 3

	if [ "${1:-}" = -A ]; then
		noassert=(-A)
		shift
	fi
	log=$dir/$kind.log
	if ! build "$dir" "$name" "$kind" "$@"; then
		cat "$dir/spin.log" "$dir/gcc.log" >"$log" 2>/dev/null
		echo build
		return
	fi
	if [ "$kind" = safety ]; then
		(cd "$dir" && "./pan-$kind" -m$PAN_DEPTH -w$PAN_HASH \
			"${noassert[@]}" >"$log" 2>&1)
	else
		(cd "$dir" && "./pan-$kind" -a -f -m$PAN_DEPTH -w$PAN_HASH \
			"${noassert[@]}" >"$log" 2>&1)
	fi
	if [ -f "$dir/$name.pml.trail" ]; then
		mv "$dir/$name.pml.trail" "$dir/$kind.trail"
	fi
	pan_result "$log"
}

# A failed search: what pan found, and the end of the replayed trail.
explain() {
	local dir=$1 name=$2 kind=$3
	local -a noclaim=()

	[ "$kind" = safety ] && noclaim=(-noclaim)
	grep -E '^pan:|errors:' "$dir/$kind.log" | sed "s/^/  | $kind: /"
	if [ -f "$dir/$kind.trail" ]; then
		(cd "$dir" && spin -t -k "$kind.trail" "${noclaim[@]}" -p -g -l \
			"$name.pml" >"$kind.replay" 2>&1)
		echo "  | last steps of the trail; all of it in $dir/$kind.replay:"
		grep -E '^ *[0-9]+:[[:space:]]+proc|assertion violated|ACCEPT|CYCLE' \
			"$dir/$kind.replay" | tail -n 25 | sed 's/^/  | /'
	fi
}

for model in "$@"; do
	name=$(basename "$model" .pml)
	dir=$out/$name
	start=$(date +%s%N)
	ok=1
	summary=

	rm -rf "$dir"
	mkdir -p "$dir"
	cp "$model" "$dir/$name.pml"

	res=$(check "$dir" "$name" safety)
	if [ "$res" = 0 ]; then
		summary="safety $(states "$dir/safety.log") states"
	else
		ok=0
		summary="safety FAILED ($res)"
		explain "$dir" "$name" safety
	fi

	if grep -qE '^[[:space:]]*ltl[[:space:]]' "$model"; then
		res=$(check "$dir" "$name" liveness)
		if [ "$res" = 0 ]; then
			summary+=", liveness $(states "$dir/liveness.log") states"
		else
			ok=0
			summary+=", liveness FAILED ($res)"
			explain "$dir" "$name" liveness
		fi
	fi

	mutants=$(sed -n 's|^/\* run.sh: mutants \(.*\) \*/$|\1|p' "$model")
	caught=0 total=0
	PAN_OPT=-O0
	for m in $mutants; do
		total=$((total + 1))
		mdir=$dir/mutant-$m
		mkdir -p "$mdir"
		cp "$model" "$mdir/$name.pml"
		found=
		res=$(check "$mdir" "$name" safety -D"$m")
		if [ "$res" != build ] && [ "$res" != incomplete ] && [ "$res" -gt 0 ]; then
			found="$(violation "$mdir/safety.log")"
			found+=" [safety, $(states "$mdir/safety.log") states]"
		elif grep -qE '^[[:space:]]*ltl[[:space:]]' "$model"; then
			# Assertions off: does the liveness property alone see it?
			res=$(check "$mdir" "$name" liveness -A -D"$m")
			if [ "$res" != build ] && [ "$res" != incomplete ] && [ "$res" -gt 0 ]; then
				found="$(violation "$mdir/liveness.log") [liveness]"
			fi
		fi
		if [ -n "$found" ]; then
			caught=$((caught + 1))
			echo "  $name -D$m: violation found, as it must be: $found"
		else
			ok=0
			echo "  $name -D$m: NOT caught ($res): the model cannot see this bug"
		fi
	done
	PAN_OPT=-O1
	[ "$total" -gt 0 ] && summary+=", mutants caught $caught/$total"

	ms=$((($(date +%s%N) - start) / 1000000))
	secs=$((ms / 1000)).$((ms % 1000 / 100))
	if [ "$ok" = 1 ]; then
		passed=$((passed + 1))
		printf 'PASS %-14s %s (%s s)\n' "$name" "$summary" "$secs"
	else
		failed=$((failed + 1))
		printf 'FAIL %-14s %s (%s s); logs in %s\n' "$name" "$summary" "$secs" "$dir"
	fi
done

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
