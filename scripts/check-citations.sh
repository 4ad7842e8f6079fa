#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# check-citations.sh [FILE ...]: every file a comment cites must be in the
# tree.  A reader of a kernel tree or a tarball has only what is in it, so a
# comment (or a document) that sends them to a file elsewhere is a dead end.
#
# Looks at the comments of C, Promela and litmus files (/* */ and //), of
# shell scripts, Makefiles and Kbuild files (#), and at the whole text of
# .rst and .md files.  In that text it fails on:
#   - a name with a file extension (foo.c, dir/bar.rst) that is neither a
#     path in the tree, nor the name of a file in the tree, nor listed in
#     KERNEL_FILES / KERNEL_PREFIXES below (the kernel's own files, which
#     the reader has in any kernel tree);
#   - a citation of a tracker's numbered ticket: trackers are not in the
#     tree either.
# Default FILE list: our tracked and untracked, not ignored, files.
# Exit 0 when clean, 1 with one line per finding otherwise.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"

# Paths in the kernel's source tree (or a distribution package) that
# comments cite on purpose: the headers we include, the drivers that call
# our API, the kernel's documentation and tools.
KERNEL_PREFIXES=(
	linux/ asm/ include/linux/ include/uapi/ include/asm-generic/ include/hyperv/ arch/
	kernel/ mm/ net/ drivers/scsi/ drivers/net/ drivers/pci/ drivers/uio/
	drivers/hid/ drivers/input/ drivers/gpu/ drivers/virtio/ drivers/hv/hv_
	Documentation/ABI/ Documentation/process/ tools/hv/ tools/memory-model/
	tools/testing/selftests/kselftest tools/testing/selftests/lib.mk
	tools/testing/selftests/Makefile scripts/checkpatch.pl scripts/Makefile
	/usr/ /lib/ /sys/ /proc/ /dev/ /etc/ /boot/ /sbin/ /bin/
	/vmbus-tests/ /tmp/
)
# Bare names of such files.
KERNEL_FILES=(
	hyperv.h mshyperv.h hyperv-tlfs.h hvgdk.h hvgdk_mini.h hvhdk.h
	kselftest.h kselftest_harness.h lib.mk runner.sh prefix.pl
	checkpatch.pl spelling.txt const_structs.checkpatch Module.symvers
	modules.dep modules.order storvsc_drv.c netvsc.c rndis_filter.c
	hyperv_net.h hyperv_transport.c pci-hyperv.c uio_hv_generic.c
	sysfs-bus-vmbus linux-kernel.cfg linux-kernel.bell linux-kernel.cat
	lsvmbus vmlinux.lds System.map bzImage run_kselftest.sh hv_trace.h
)
# Extensions that make a token a file name.
EXT='c|h|rst|md|sh|pml|litmus|mk|py|pl'

in_list() {
	local x=$1; shift
	local e
	for e in "$@"; do [ "$x" = "$e" ] && return 0; done
	return 1
}

kernel_path() {
	local p
	for p in "${KERNEL_PREFIXES[@]}"; do
		case $1 in "$p"*) return 0 ;; esac
	done
	return 1
}

# comment_text FILE: "LINE<TAB>text" for the comment text of FILE.
comment_text() {
	case $1 in
	*.rst|*.md|*/README|README*) awk '{ printf "%d\t%s\n", NR, $0 }' "$1" ;;
	*.c|*.h|*.pml|*.litmus)
		awk '{
			line = $0; out = ""
			while (line != "") {
				if (inc) {
					e = index(line, "*/")
					if (e) { out = out " " substr(line, 1, e - 1); line = substr(line, e + 2); inc = 0 }
					else { out = out " " line; line = "" }
				} else {
					s = index(line, "/*"); d = index(line, "//")
					if (d && (!s || d < s)) { out = out " " substr(line, d + 2); line = "" }
					else if (s) { line = substr(line, s + 2); inc = 1 }
					else line = ""
				}
			}
			if (out != "") printf "%d\t%s\n", NR, out
		}' "$1" ;;
	*.sh|*Makefile|*Kbuild|*.mk|*.config|*/settings|*/config|*/run|*init)
		awk '{ i = index($0, "#"); if (i) printf "%d\t%s\n", NR, substr($0, i + 1) }' "$1" ;;
	esac
}

# tokens FILE...: "FILE:LINE<TAB>TOKEN" for each file name a comment cites,
# and "FILE:LINE<TAB>#ISSUE <text>" for each issue citation.
tokens() {
	local f
	for f in "$@"; do
		[ -f "$f" ] || continue
		comment_text "$f" | awk -v f="$f" -F '\t' '{
			t = $2
			if (match(t, /[Ii]ssue[[:space:]]+#?[0-9]+/))
				printf "%s:%s\t#ISSUE %s\n", f, $1, substr(t, RSTART, RLENGTH)
			while (match(t, /[A-Za-z0-9_.\/-]*[A-Za-z0-9_]\.('"$EXT"')([^A-Za-z0-9_]|$)/)) {
				tok = substr(t, RSTART, RLENGTH)
				sub(/[^A-Za-z0-9_]$/, "", tok)
				printf "%s:%s\t%s\n", f, $1, tok
				t = substr(t, RSTART + RLENGTH)
			}
		}'
	done
}

main() {
	local files f where tok base treetext status=0
	if [ $# -gt 0 ]; then files=("$@"); else
		mapfile -t files < <(git ls-files -co --exclude-standard -- drivers include \
			tools scripts Documentation README.md Makefile Kbuild |
			grep -v '^scripts/check-citations.sh$')
	fi
	mapfile -t tree < <(git ls-files -co --exclude-standard)
	declare -A have_base
	treetext=$(printf '%s\n' "${tree[@]}")
	for f in "${tree[@]}"; do have_base[${f##*/}]=1; done
	while IFS=$'\t' read -r where tok; do
		if [[ $tok == '#ISSUE '* ]]; then
			echo "$where: cites an issue number: ${tok#\#ISSUE }"
			status=1
			continue
		fi
		tok=${tok#./}
		base=${tok##*/}
		kernel_path "$tok" && continue
		in_list "$base" "${KERNEL_FILES[@]}" && continue
		if [[ $tok == */* ]]; then
			# A path from the top of the tree, or the tail of one.
			tok=${tok#.../}
			grep -qE "(^|/)${tok//./\\.}\$" <<<"$treetext" && continue
		else
			[ -n "${have_base[$tok]:-}" ] && continue
		fi
		echo "$where: cites $tok, which is not in the tree"
		status=1
	done < <(tokens "${files[@]}")
	return $status
}

main "$@"
