#!/usr/bin/env bash
# Post-run check (qemu/run.sh): the kernel's own tools/hv/lsvmbus, run on
# the host against the guest's vmbus sysfs as sysfs_snapshot_test copied it,
# prints exactly the listing the host's device table implies, plain and -vv.
#
# Usage: lsvmbus.sh ARTIFACTS_DIR   (needs ARTIFACTS_DIR/sysfs-snapshot.tar.gz)
#
# lsvmbus comes from Debian's linux-source-6.1 tarball, extracted once into
# build/lsvmbus/.  The only change made to it: its sysfs root
# '/sys/bus/vmbus/devices' becomes the snapshot's (one sed, checked to touch
# one line).  The expected listing is built from the snapshot's `expected`
# (the simulator's `devices` table: relid class instance sub_index state)
# and `expected_cpu` (relid cpu, from channels/<relid>/cpu), never from the
# files lsvmbus reads.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../../../../../.." && pwd)
TARBALL=/usr/src/linux-source-6.1.tar.xz
MEMBER=linux-source-6.1/tools/hv/lsvmbus
CACHE=$REPO/build/lsvmbus
ARTIFACT=sysfs-snapshot.tar.gz
SYSFS_ROOT=/sys/bus/vmbus/devices
# The simulator's test class: lsvmbus knows no name for it.
TEST_CLASS=14d57429-963f-4abd-9c40-c2eae445a6cd

die() { echo "lsvmbus.sh: $*" >&2; exit 1; }
say() { echo "lsvmbus.sh: $*"; }

python() {
	local py
	py=$(command -v /usr/bin/python3 || command -v python3) ||
		die "python3 missing (scripts/setup-packages.sh installs it)"
	"$py" "$@"
}

# The unmodified tool, extracted once (xz has to read the whole tarball).
fetch_lsvmbus() {
	[ -s "$CACHE/lsvmbus" ] && return
	[ -f "$TARBALL" ] || die "$TARBALL missing (scripts/setup-packages.sh installs linux-source-6.1)"
	mkdir -p "$CACHE"
	tar -xJf "$TARBALL" -O "$MEMBER" >"$CACHE/lsvmbus.tmp" ||
		die "cannot extract $MEMBER from $TARBALL"
	mv "$CACHE/lsvmbus.tmp" "$CACHE/lsvmbus"
}

# $1: snapshot root; writes $2, lsvmbus reading the snapshot instead of /sys.
patch_root() {
	local root=$1 out=$2 changed
	grep -qF "'$SYSFS_ROOT'" "$CACHE/lsvmbus" || die "no '$SYSFS_ROOT' in $CACHE/lsvmbus"
	sed "s|'$SYSFS_ROOT'|'$root$SYSFS_ROOT'|" "$CACHE/lsvmbus" >"$out"
	changed=$(diff "$CACHE/lsvmbus" "$out" | grep -c '^>' || true)
	[ "$changed" -eq 1 ] || die "the sysfs root appears on $changed lines of lsvmbus, expected 1"
}

# The listing lsvmbus should print for the table in $1/expected (-vv when $2
# is 2), sorted by the primary's relid; each line is made with its primary's
# relid in front, for a stable sort, then cut.
expected_listing() {
	local snap=$1 verbose=$2
	awk -v verbose="$verbose" -v sysfs="$snap$SYSFS_ROOT" -v test_class="$TEST_CLASS" '
		function fail(msg) { print "expected_listing: " msg > "/dev/stderr"; bad = 1; exit 1 }
		FILENAME ~ /expected_cpu$/ { cpu[$1] = $2; next }
		NF != 5 { fail("bad line in expected: " $0) }
		$5 != "offered" { next }
		!($1 in cpu) { fail("no cpu for relid " $1 " in expected_cpu") }
		# lsvmbus names only well-known classes; ours is `Unknown`.
		$2 != test_class { fail("class " $2 ": no name table here for it") }
		{ chans[$3] = chans[$3] " " $1 }
		$4 == 0 { primary[$3] = $1; class[$3] = $2 }
		END {
			if (bad) exit 1
			for (d in primary) {
				k = split(substr(chans[d], 2), r, " ")
				# Rel_ID lines sorted by relid, as lsvmbus sorts them.
				for (i = 1; i <= k; i++)
					for (j = i + 1; j <= k; j++)
						if (r[j] + 0 < r[i] + 0) { t = r[i]; r[i] = r[j]; r[j] = t }
				p = primary[d]
				if (verbose == 0) {
					printf "%d\tVMBUS ID %2s: Unknown\n", p, p
					continue
				}
				printf "%d\tVMBUS ID %2s: Class_ID = {%s} - Unknown\n", p, p, class[d]
				printf "%d\t\tDevice_ID = {%s}\n", p, d
				printf "%d\t\tSysfs path: %s/%s\n", p, sysfs, d
				for (i = 1; i <= k; i++)
					printf "%d\t\tRel_ID=%s, target_cpu=%s\n", p, r[i], cpu[r[i]]
				printf "%d\t\n", p
			}
		}' "$snap/expected_cpu" "$snap/expected" >"$snap.listing" || return 1
	sort -s -n -k1,1 "$snap.listing" | cut -f2-
}

# $1 listing, $2 label: the three facts the issue names, spelled out, so a
# failure says which device is wrong even where the diff is long.
check_facts() {
	local snap=$1 out=$2 label=$3 relid class inst sub state cpu n=0 bad=0
	while read -r relid class inst sub state; do
		[ "$state" = offered ] || continue
		cpu=$(awk -v r="$relid" '$1 == r { print $2 }' "$snap/expected_cpu")
		grep -qxF "$(printf '\tRel_ID=%s, target_cpu=%s' "$relid" "$cpu")" "$out" || {
			say "$label: no 'Rel_ID=$relid, target_cpu=$cpu' line"; bad=1; }
		[ "$sub" = 0 ] || continue
		n=$((n + 1))
		grep -qF "$(printf 'VMBUS ID %2s: Class_ID = {%s}' "$relid" "$class")" "$out" || {
			say "$label: no 'VMBUS ID $relid: Class_ID = {$class}' line"; bad=1; }
		grep -qxF "$(printf '\tDevice_ID = {%s}' "$inst")" "$out" || {
			say "$label: no 'Device_ID = {$inst}' line"; bad=1; }
	done <"$snap/expected"
	[ "$bad" -eq 0 ] && say "$label: all $n devices and their channels listed"
	return "$bad"
}

# Runs lsvmbus with $3 (may be empty) and diffs against the expected listing.
compare() {
	local tool=$1 snap=$2 args=$3 name=$4 verbose=$5 work=$6 rc=0
	# shellcheck disable=SC2086 # $args is zero or one word
	python "$tool" $args >"$work/$name.out" 2>"$work/$name.err" || {
		say "lsvmbus${args:+ $args} failed:"; cat "$work/$name.err"; return 1; }
	expected_listing "$snap" "$verbose" >"$work/$name.expected" || return 1
	if ! diff -u "$work/$name.expected" "$work/$name.out" >"$work/$name.diff"; then
		say "lsvmbus${args:+ $args}: output differs from the expected listing (- expected, + got):"
		cat "$work/$name.diff"
		rc=1
	else
		say "lsvmbus${args:+ $args}: $(grep -c '^VMBUS ID' "$work/$name.out") devices, as expected"
	fi
	return "$rc"
}

main() {
	local artifacts=${1:-} work snap tool rc=0
	[ -n "$artifacts" ] || die "usage: $0 ARTIFACTS_DIR"
	[ -f "$artifacts/$ARTIFACT" ] ||
		die "no $ARTIFACT in $artifacts: sysfs_snapshot_test did not print it"
	work=$artifacts/lsvmbus
	snap=$work/snapshot
	rm -rf "$work"
	mkdir -p "$snap"
	tar -xzf "$artifacts/$ARTIFACT" -C "$snap" || die "cannot unpack $ARTIFACT"
	for f in expected expected_cpu; do
		[ -s "$snap/$f" ] || die "$ARTIFACT has no $f"
	done
	[ -d "$snap$SYSFS_ROOT" ] || die "$ARTIFACT has no ${SYSFS_ROOT#/}"
	fetch_lsvmbus
	tool=$work/lsvmbus
	patch_root "$snap" "$tool"
	compare "$tool" "$snap" "" plain 0 "$work" || rc=1
	compare "$tool" "$snap" "-vv" vv 2 "$work" || rc=1
	check_facts "$snap" "$work/vv.out" "lsvmbus -vv" || rc=1
	return "$rc"
}

main "$@"
