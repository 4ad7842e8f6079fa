#!/usr/bin/env bash
# build-modules.sh NAME KDIR: build our modules against the kernel build tree
# KDIR with W=1 and warnings as errors, in a private copy of the sources
# (build/obj/NAME), and collect the .ko files in build/modules/NAME.
set -euo pipefail
name=$1 kdir=$2
repo=$(cd "$(dirname "$0")/.." && pwd)
obj=$repo/build/obj/$name out=$repo/build/modules/$name

[ -d "$kdir" ] || { echo "build-modules: no kernel build tree at $kdir" >&2; exit 1; }
mkdir -p "$obj" "$out"
rsync -a --delete --exclude '*.o' --exclude '*.ko' --exclude '.*.cmd' \
	--include '/Kbuild' --include '/drivers/***' --include '/include/***' \
	--include '/tools/' --include '/tools/testing/' --include '/tools/testing/vmbus/' \
	--include '/tools/testing/vmbus/drv/***' --include '/tools/testing/vmbus/echo/***' \
	--exclude '*' "$repo/" "$obj/"
log=$obj/build.log
if ! make -C "$kdir" M="$obj" W=1 KCFLAGS=-Werror ${KBUILD_EXTRA:-} \
	-j"$(nproc)" modules >"$log" 2>&1; then
	cat "$log" >&2
	echo "build-modules: $name build failed" >&2
	exit 1
fi
# Warnings from our files (W=1, or sparse with C=2) fail the build even where
# -Werror does not reach them.
if grep -E "^$obj/.*: (warning|error):" "$log" >&2; then
	echo "build-modules: $name: warnings in our files" >&2
	exit 1
fi
find "$obj" -name '*.ko' -exec cp {} "$out/" \;
cp "$obj/Module.symvers" "$out/"
echo "build-modules: $name: $(cd "$out" && ls *.ko | tr '\n' ' ')"
