#!/usr/bin/env bash
# Scan a guest kernel log for the problems PATTERNS below lists (warnings,
# oopses, lockdep, KASAN, kmemleak ...), less the IGNORE lines.  Prints every
# hit with a few lines of context; exits 1 if there was any hit, 0 if none.
# Usage: logscan.sh LOGFILE
set -euo pipefail

# Fixed strings, matched case-sensitively anywhere in a line.
PATTERNS=(
	'WARNING:'
	'BUG:'
	'Oops'
	'Call Trace'
	'KASAN'
	'possible circular locking'
	'inconsistent lock state'
	# lockdep's wait-type check: a sleeping lock under a spinning one (with
	# CONFIG_PROVE_RAW_LOCK_NESTING also a spinlock_t under a raw one).
	'Invalid wait context'
	'suspicious RCU usage'
	'rcu_sched self-detected stall'
	'soft lockup'
	'hung_task'
	'kmemleak'
	'general protection fault'
	'Hibernate inconsistent memory map'
)

# Lines that contain a pattern but report no problem (extended regexes).
# Keep each one narrow and say why it is harmless.
IGNORE=(
	# Debug kernel boot banner of the leak detector itself.
	'kmemleak: Kernel memory leak detector initialized'
	'kmemleak: Automatic memory scanning thread started'
)

CONTEXT_BEFORE=3
CONTEXT_AFTER=8
MAX_SHOWN=40

die() { echo "logscan: $*" >&2; exit 2; }

# Print "N<TAB>pattern" for every hit line N.
find_hits() {
	local log=$1 pat ign
	pat=$(printf '%s\n' "${PATTERNS[@]}")
	ign=$(printf '%s\n' "${IGNORE[@]}")
	awk -v pats="$pat" -v igns="$ign" '
		BEGIN { np = split(pats, P, "\n"); ni = split(igns, I, "\n") }
		{
			for (i = 1; i <= ni; i++) if (I[i] != "" && $0 ~ I[i]) next
			for (p = 1; p <= np; p++)
				if (index($0, P[p])) { print NR "\t" P[p]; next }
		}' "$log"
}

show_hit() {
	local log=$1 n=$2 pat=$3 from
	from=$((n > CONTEXT_BEFORE ? n - CONTEXT_BEFORE : 1))
	echo "logscan: $log:$n: '$pat'"
	sed -n "${from},$((n + CONTEXT_AFTER))p" "$log" | sed 's/^/    | /'
}

main() {
	local log=${1:-} hits n pat shown=0 last=0
	[ -n "$log" ] || die "usage: $0 LOGFILE"
	[ -f "$log" ] || die "$log missing"
	hits=$(find_hits "$log")
	[ -n "$hits" ] || return 0
	while IFS=$'\t' read -r n pat; do
		# A hit inside the context just shown is part of the same report.
		if [ "$n" -gt "$last" ] && [ "$shown" -lt "$MAX_SHOWN" ]; then
			show_hit "$log" "$n" "$pat"
			last=$((n + CONTEXT_AFTER))
			shown=$((shown + 1))
		fi
	done <<<"$hits"
	echo "logscan: $(wc -l <<<"$hits") line(s) of $log match a problem pattern"
	return 1
}

main "$@"
