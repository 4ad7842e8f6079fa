#!/usr/bin/env bash
# fetch-dist-kernel.sh [--headers] [SERIES [FLAVOUR]]: unpack Debian's
# linux-image-$ABI (ABI from kernel-abi.sh SERIES FLAVOUR; default 6.1 amd64)
# without installing it, and print the directory it lies in (last line of
# stdout):
#   build/kernels/dist-$ABI/{boot/vmlinuz-$ABI,lib/modules/$ABI/}
# With --headers, also unpack linux-headers-$ABI, its -common package and
# linux-kbuild into the same tree, so that out-of-tree modules build against
#   build/kernels/dist-$ABI/usr/src/linux-headers-$ABI
# (the 6.1 lanes use the installed headers instead, scripts/setup-packages.sh).
# Idempotent: a tree that is already unpacked is reused.
set -euo pipefail

SCRIPTS=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$SCRIPTS/.." && pwd)

die() { echo "fetch-dist-kernel: $*" >&2; exit 1; }

unpacked() {
	local dir=$1 abi=$2
	[ -f "$dir/boot/vmlinuz-$abi" ] && [ -f "$dir/lib/modules/$abi/modules.dep" ] &&
		[ -e "$dir/.unpacked" ]
}

# " (N MB)": the package's size in apt's lists, or nothing.
deb_size() {
	apt-cache show --no-all-versions "$1" 2>/dev/null |
		awk '/^Size:/ { printf " (%d MB)", $2 / 1048576; exit }'
}

download_deb() {
	local pkg=$1 debs=$2 deb
	deb=$(find "$debs" -maxdepth 1 -name "${pkg}_*.deb" | sort | tail -n 1)
	if [ -z "$deb" ]; then
		echo "fetch-dist-kernel: downloading $pkg$(deb_size "$pkg") into $debs" \
			"(once: later runs reuse it)..." >&2
		# The sandbox user _apt may not be able to write here; we are
		# only fetching a file, so download as ourselves.
		(cd "$debs" && apt-get download -q -o APT::Sandbox::User="$(id -un)" "$pkg" >&2) ||
			die "apt-get download $pkg failed (run scripts/setup-packages.sh? network?)"
		deb=$(find "$debs" -maxdepth 1 -name "${pkg}_*.deb" | sort | tail -n 1)
	fi
	[ -n "$deb" ] || die "no ${pkg}_*.deb in $debs after download"
	echo "$deb"
}

unpack_deb() {
	local deb=$1 dir=$2 abi=$3
	rm -rf "$dir" "$dir.tmp"
	mkdir -p "$dir.tmp"
	dpkg -x "$deb" "$dir.tmp" || die "dpkg -x $deb failed"
	# The package ships no modules.dep (its postinst runs depmod).
	depmod -b "$dir.tmp" "$abi" || die "depmod -b $dir.tmp $abi failed"
	touch "$dir.tmp/.unpacked"
	mv "$dir.tmp" "$dir"
}

# The packages that make a module build tree for $abi: the flavour's headers
# point at a -common (-common-rt) package and at linux-kbuild by relative
# links, except the top Makefile, which includes the common one by its
# absolute /usr/src path; that include is made relative (make -C runs there).
unpack_headers() {
	local abi=$1 dir=$2 debs=$3 ver common pkg deb
	[ -e "$dir/.headers" ] && return 0
	ver=${abi%+deb12-*}+deb12
	common=linux-headers-$ver-common
	case $abi in *-rt-amd64) common=$common-rt ;; esac
	for pkg in "linux-headers-$abi" "$common" "linux-kbuild-$ver"; do
		deb=$(download_deb "$pkg" "$debs")
		echo "fetch-dist-kernel: unpacking $(basename "$deb")" >&2
		dpkg -x "$deb" "$dir" || die "dpkg -x $deb failed"
	done
	sed -i "s|^include .*/usr/src/|include ../|" \
		"$dir/usr/src/linux-headers-$abi/Makefile"
	[ -f "$dir/usr/src/linux-headers-$abi/Module.symvers" ] ||
		die "linux-headers-$abi gave no Module.symvers"
	touch "$dir/.headers"
}

main() {
	local abi dir debs deb headers=
	if [ "${1:-}" = --headers ]; then headers=1; shift; fi
	abi=$("$SCRIPTS/kernel-abi.sh" "$@") || die "kernel-abi.sh failed"
	dir=$REPO/build/kernels/dist-$abi
	debs=$REPO/build/kernels/debs
	if ! unpacked "$dir" "$abi"; then
		mkdir -p "$debs"
		deb=$(download_deb "linux-image-$abi" "$debs")
		echo "fetch-dist-kernel: unpacking $(basename "$deb")" >&2
		unpack_deb "$deb" "$dir" "$abi"
		unpacked "$dir" "$abi" || die "$deb did not give boot/vmlinuz-$abi and lib/modules/$abi/modules.dep"
	fi
	[ -z "$headers" ] || unpack_headers "$abi" "$dir" "$debs"
	echo "$dir"
}

main "$@"
