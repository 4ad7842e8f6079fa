#!/usr/bin/env bash
# lint.sh KDIR: sparse (C=2), the two-way call check of scripts/callgraph.sh,
# the citation check of scripts/check-citations.sh and checkpatch --strict on
# our kernel code.  Fails on any finding in our files.
set -euo pipefail
kdir=$1
repo=$(cd "$(dirname "$0")/.." && pwd)
cp_dir=$repo/build/checkpatch
status=0

kernel_files() {
	(cd "$repo" && git ls-files -co --exclude-standard -- 'drivers/*.[ch]' 'include/*.h' \
		'tools/testing/vmbus/drv/*.[ch]' 'tools/testing/vmbus/echo/*.[ch]')
}

# The sparse build is an ordinary module build with C=2; build-modules.sh
# fails on any warning or error in our files.
run_sparse() {
	KBUILD_EXTRA="C=2" "$repo/scripts/build-modules.sh" sparse "$kdir" >/dev/null ||
		{ echo "lint: sparse found problems in our files" >&2; return 1; }
	echo "lint: sparse clean"
}

fetch_checkpatch() {
	local f
	[ -x "$cp_dir/scripts/checkpatch.pl" ] && return 0
	mkdir -p "$cp_dir"
	tar -xJf /usr/src/linux-source-6.1.tar.xz -C "$cp_dir" --strip-components=1 \
		linux-source-6.1/scripts/checkpatch.pl \
		linux-source-6.1/scripts/spelling.txt \
		linux-source-6.1/scripts/const_structs.checkpatch
	for f in checkpatch.pl spelling.txt const_structs.checkpatch; do
		[ -e "$cp_dir/scripts/$f" ] || { echo "lint: $f missing from linux-source" >&2; return 1; }
	done
}

# The exports_*.c files hold nothing but EXPORT_SYMBOL lines under the
# target kernel's include list (see the comment at their top), so the rule
# that an export follows its function does not apply to them.
checkpatch() {
	(cd "$repo" && "$cp_dir/scripts/checkpatch.pl" --strict --no-tree \
		--terse --show-types --ignore FILE_PATH_CHANGES,SPDX_LICENSE_TAG "$@")
}

run_checkpatch() {
	local files exports
	fetch_checkpatch
	mapfile -t files < <(kernel_files | grep -v '/exports_[a-z]*\.c$')
	mapfile -t exports < <(kernel_files | grep '/exports_[a-z]*\.c$')
	if ! { checkpatch -f "${files[@]}" &&
	       checkpatch --ignore EXPORT_SYMBOL -f "${exports[@]}"; } \
		>"$cp_dir/report.txt" 2>&1; then
		cat "$cp_dir/report.txt" >&2
		echo "lint: checkpatch --strict found problems" >&2
		return 1
	fi
	echo "lint: checkpatch --strict clean ($(( ${#files[@]} + ${#exports[@]} )) files)"
	run_checkpatch_tools
}

# Userspace tools in kernel style (tools/vmbus/): without the kernel's headers
# they print with the C library's PRIu64 and a bare format attribute.
run_checkpatch_tools() {
	local files
	mapfile -t files < <(cd "$repo" && git ls-files -co --exclude-standard -- 'tools/vmbus/*.[ch]')
	[ "${#files[@]}" -gt 0 ] || return 0
	if ! checkpatch --ignore CAMELCASE,PREFER_DEFINED_ATTRIBUTE_MACRO -f "${files[@]}" \
		>"$cp_dir/report-tools.txt" 2>&1; then
		cat "$cp_dir/report-tools.txt" >&2
		echo "lint: checkpatch --strict found problems in tools/vmbus" >&2
		return 1
	fi
	echo "lint: checkpatch --strict clean (${#files[@]} files in tools/vmbus)"
}

# Two-way calls between hv_vmbus files, and between vmbus_sim files (the
# layering of Documentation/virt/hyperv/vmbus-sim.rst, "Source map"), from
# the objects the sparse build just made (scripts/callgraph.sh holds the
# allow-lists).
run_callgraph() {
	"$repo/scripts/callgraph.sh" --check "$repo/build/obj/sparse/drivers/hv" >/dev/null ||
		{ echo "lint: two-way calls between hv_vmbus files" >&2; return 1; }
	echo "lint: no two-way calls between hv_vmbus files outside the allow-list"
	"$repo/scripts/callgraph.sh" --check --sim "$repo/build/obj/sparse/drivers/hv/sim" >/dev/null ||
		{ echo "lint: two-way calls between vmbus_sim files" >&2; return 1; }
	echo "lint: no two-way calls between vmbus_sim files outside the allow-list"
}

run_sparse || status=1
# Every file a comment cites must be in the tree; the checker must also
# still catch a bad citation (a checker that passes everything hides the
# gap it is there for).
run_citations() {
	local probe
	probe=$(mktemp --suffix=.c)
	printf '/* See NOWHERE.md and %s 7. */\n' Issue >"$probe"
	if "$repo/scripts/check-citations.sh" "$probe" >/dev/null; then
		rm -f "$probe"
		echo "lint: check-citations.sh passed a file with bad citations" >&2
		return 1
	fi
	rm -f "$probe"
	"$repo/scripts/check-citations.sh" >&2 ||
		{ echo "lint: comments cite files that are not in the tree" >&2; return 1; }
	echo "lint: every cited file is in the tree"
}

run_callgraph || status=1
run_citations || status=1
run_checkpatch || status=1
exit $status
