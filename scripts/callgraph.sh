#!/usr/bin/env bash
# callgraph.sh [--check] [--sim] [OBJDIR]: the file-by-file call graph of
# drivers/hv/*.c, from the symbol tables of a module build's objects
# (default build/obj/dist/drivers/hv, made by `make modules-dist`).  With
# --sim, that of drivers/hv/sim/*.c instead (default
# build/obj/dist/drivers/hv/sim).
#
# Objects: those of hv_vmbus.ko and vmbus_platform.ko (with --sim: of
# vmbus_sim.ko), as their .mod files list them.  An edge A -> B means A.o references (nm: undefined) a global
# symbol that B.o defines; functions and data count alike.  Prints every
# edge with the symbols behind it, then every pair of files that reference
# each other both ways.
#
# With --check, exits 1 if a two-way pair lies within one module (hv_vmbus
# or vmbus_platform; with --sim: vmbus_sim) and is not on the allow-list
# below.  A pair may be listed only when one
# direction is a documented callback (a function pointer or ops table,
# documented where it is registered); give the reason in one line.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)

# Allowed two-way pairs: "<file> <file> <reason>".
allow=(
)

# The same for the simulator's files (the layering of vmbus-sim.rst,
# "Source map").
allow_sim=(
)

check=0 sim=0
while [ $# -gt 0 ]; do
	case $1 in
	--check) check=1 ;;
	--sim) sim=1 ;;
	*) break ;;
	esac
	shift
done
if [ $sim = 1 ]; then
	objdir=${1:-$repo/build/obj/dist/drivers/hv/sim}
	mods=(vmbus_sim)
	allow=("${allow_sim[@]}")
else
	objdir=${1:-$repo/build/obj/dist/drivers/hv}
	mods=(hv_vmbus vmbus_platform)
fi

for m in "${mods[@]}"; do
	[ -f "$objdir/$m.mod" ] ||
		{ echo "callgraph: no $objdir/$m.mod; run make modules-dist" >&2; exit 2; }
done

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# One line per object: "module file".
for m in "${mods[@]}"; do
	while read -r o; do
		[ -n "$o" ] && echo "$m $(basename "$o" .o).c"
	done <"$objdir/$m.mod"
done >"$tmp/objs"

# "def file sym" and "use file sym" lines.
while read -r m f; do
	o=$objdir/${f%.c}.o
	nm --defined-only -g "$o" | awk -v f="$f" 'NF == 3 { print "def", f, $3 }'
	nm -u "$o" | awk -v f="$f" '{ print "use", f, $NF }'
done <"$tmp/objs" >"$tmp/syms"

# Edges "A B sym sym ...", sorted.
awk '$1 == "def" { def[$3] = $2 }
     $1 == "use" { use[++n] = $2 " " $3 }
     END {
	for (i = 1; i <= n; i++) {
		split(use[i], u, " ")
		if (!(u[2] in def) || def[u[2]] == u[1])
			continue
		e = u[1] " " def[u[2]]
		syms[e] = syms[e] " " u[2]
	}
	for (e in syms)
		print e syms[e]
     }' "$tmp/syms" | sort >"$tmp/edges"

echo "# call graph of ${objdir#"$repo"/} (edge A -> B: A.o uses globals defined in B.o)"
while read -r a b rest; do
	printf '%-18s -> %-18s %s\n' "$a" "$b" "$rest"
done <"$tmp/edges"

# Two-way pairs, each once.
awk 'NR == FNR { e[$1 " " $2] = 1; next }
     ($2 " " $1) in e && $1 < $2 { print $1, $2 }' \
	"$tmp/edges" "$tmp/edges" >"$tmp/pairs"

echo "# two-way pairs"
status=0
while read -r a b; do
	ma=$(awk -v f="$a" '$2 == f { print $1 }' "$tmp/objs")
	mb=$(awk -v f="$b" '$2 == f { print $1 }' "$tmp/objs")
	reason=
	for entry in ${allow[@]+"${allow[@]}"}; do
		read -r x y why <<<"$entry"
		if { [ "$x" = "$a" ] && [ "$y" = "$b" ]; } ||
		   { [ "$x" = "$b" ] && [ "$y" = "$a" ]; }; then
			reason=$why
		fi
	done
	if [ -n "$reason" ]; then
		echo "$a <-> $b (allowed: $reason)"
	elif [ "$ma" = "$mb" ]; then
		echo "$a <-> $b (NOT ALLOWED)"
		status=1
	else
		echo "$a <-> $b"
	fi
done <"$tmp/pairs"
[ -s "$tmp/pairs" ] || echo "(none)"

if [ $check = 1 ] && [ $status != 0 ]; then
	echo "callgraph: two-way calls between the files of one module; break them or" \
	     "allow a documented callback in scripts/callgraph.sh" >&2
	exit 1
fi
exit 0
