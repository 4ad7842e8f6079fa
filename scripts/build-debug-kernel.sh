#!/usr/bin/env bash
# Build the vmbus debug kernel (KASAN, lockdep with raw lock nesting,
# PROVE_RCU, DEBUG_OBJECTS, kmemleak) from Debian's linux-source-6.1 under build/debug-kernel/:
#   src/                 in-tree build (out-of-tree modules: make -C src M=...)
#   src/arch/x86/boot/bzImage
#   modroot/lib/modules/<release>/   (modules_install, stripped)
#   build.log            full log of the last configure + build
#   stamp                hash of (config fragment, source package version)
# Cached: nothing is done when the stamp matches and bzImage exists.
# Prints the kernel release as the last line of stdout.
set -euo pipefail

SCRIPTS=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$SCRIPTS/.." && pwd)
TARBALL=/usr/src/linux-source-6.1.tar.xz
SRCPKG=linux-source-6.1
FRAG=$SCRIPTS/debug-kernel.config
DK=$REPO/build/debug-kernel
SRC=$DK/src
LOG=$DK/build.log
MODROOT=$DK/modroot

die() { echo "build-debug-kernel: $*" >&2; exit 1; }
say() { echo "build-debug-kernel: $*"; }

fail_with_log() {
	echo "build-debug-kernel: $1; last lines of $LOG:" >&2
	tail -n 40 "$LOG" >&2
	exit 1
}

src_version() {
	dpkg-query -W -f='${Version}' "$SRCPKG" 2>/dev/null ||
		die "$SRCPKG is not installed (run scripts/setup-packages.sh)"
}

wanted_stamp() {
	{ echo "$SRCPKG $(src_version)"; cat "$FRAG"; } | sha256sum | cut -d' ' -f1
}

kmake() { make -C "$SRC" -j"$(nproc)" "$@"; }

release() { make -s -C "$SRC" kernelrelease; }

up_to_date() {
	[ -f "$DK/stamp" ] && [ "$(cat "$DK/stamp")" = "$1" ] &&
		[ -f "$SRC/arch/x86/boot/bzImage" ] && [ -d "$MODROOT/lib/modules" ]
}

# Unpack the source once per source package version.
extract_source() {
	local ver=$1
	if [ -f "$SRC/.extracted" ] && [ "$(cat "$SRC/.extracted")" = "$ver" ]; then
		return
	fi
	[ -f "$TARBALL" ] || die "$TARBALL missing (run scripts/setup-packages.sh)"
	say "extracting $(basename "$TARBALL") ($ver)"
	rm -rf "$SRC" "$DK/linux-source-6.1"
	tar -xf "$TARBALL" -C "$DK" || die "tar -xf $TARBALL failed"
	mv "$DK/linux-source-6.1" "$SRC"
	echo "$ver" >"$SRC/.extracted"
}

# Lines of the fragment as `NAME=value` or `NAME=n` (for "is not set").
fragment_wants() {
	sed -n -e 's/^\(CONFIG_[A-Za-z0-9_]*=.*\)$/\1/p' \
	       -e 's/^# \(CONFIG_[A-Za-z0-9_]*\) is not set$/\1=n/p' "$FRAG"
}

verify_config() {
	local want name val missing=()
	while IFS= read -r want; do
		name=${want%%=*}
		val=${want#*=}
		if [ "$val" = n ]; then
			grep -q "^$name=" "$SRC/.config" && missing+=("$name (wanted off, is $(grep "^$name=" "$SRC/.config"))")
		else
			grep -qxF "$want" "$SRC/.config" ||
				missing+=("$want (got: $(grep -E "^(# )?${name}[= ]" "$SRC/.config" || echo absent))")
		fi
	done < <(fragment_wants)
	if [ ${#missing[@]} -gt 0 ]; then
		echo "build-debug-kernel: after olddefconfig these options do not have the value" \
		     "$(basename "$FRAG") asks for (missing dependency, or selected by another):" >&2
		printf '  %s\n' "${missing[@]}" >&2
		exit 1
	fi
}

configure() {
	say "configuring (tinyconfig + $(basename "$FRAG"))"
	kmake tinyconfig >>"$LOG" 2>&1 || fail_with_log "make tinyconfig failed"
	(cd "$SRC" && scripts/kconfig/merge_config.sh -m .config "$FRAG") >>"$LOG" 2>&1 ||
		fail_with_log "merge_config.sh failed"
	kmake olddefconfig >>"$LOG" 2>&1 || fail_with_log "make olddefconfig failed"
	verify_config
}

build() {
	local t0=$SECONDS
	say "building bzImage and modules with -j$(nproc) (log: $LOG)"
	kmake bzImage modules >>"$LOG" 2>&1 || fail_with_log "kernel build failed"
	rm -rf "$MODROOT"
	kmake modules_install INSTALL_MOD_PATH="$MODROOT" INSTALL_MOD_STRIP=1 >>"$LOG" 2>&1 ||
		fail_with_log "modules_install failed"
	say "built in $((SECONDS - t0)) s"
}

# One build at a time: a second caller waits, then finds the tree built.
take_lock() {
	exec 9>"$DK/.lock"
	if ! flock -n 9; then
		say "another build holds $DK/.lock; waiting"
		flock 9
	fi
}

main() {
	local stamp
	[ -f "$FRAG" ] || die "config fragment $FRAG missing"
	mkdir -p "$DK"
	take_lock
	stamp=$(wanted_stamp)
	if up_to_date "$stamp"; then
		say "up to date ($SRC/arch/x86/boot/bzImage)"
		release
		return
	fi
	rm -f "$DK/stamp"
	: >"$LOG"
	extract_source "$(src_version)"
	configure
	build
	echo "$stamp" >"$DK/stamp"
	release
}

main "$@"
