#!/usr/bin/env bash
# Unpack Debian's linux-image-$ABI (ABI from kernel-abi.sh) without installing
# it, and print the directory it lies in (last line of stdout):
#   build/kernels/dist-$ABI/{boot/vmlinuz-$ABI,lib/modules/$ABI/}
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

download_deb() {
	local pkg=$1 debs=$2 deb
	deb=$(find "$debs" -maxdepth 1 -name "${pkg}_*.deb" | sort | tail -n 1)
	if [ -z "$deb" ]; then
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

main() {
	local abi dir debs deb
	abi=$("$SCRIPTS/kernel-abi.sh") || die "kernel-abi.sh failed"
	dir=$REPO/build/kernels/dist-$abi
	debs=$REPO/build/kernels/debs
	if ! unpacked "$dir" "$abi"; then
		mkdir -p "$debs"
		deb=$(download_deb "linux-image-$abi" "$debs")
		echo "fetch-dist-kernel: unpacking $(basename "$deb")" >&2
		unpack_deb "$deb" "$dir" "$abi"
		unpacked "$dir" "$abi" || die "$deb did not give boot/vmlinuz-$abi and lib/modules/$abi/modules.dep"
	fi
	echo "$dir"
}

main "$@"
