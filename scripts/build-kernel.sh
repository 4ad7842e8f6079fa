#!/usr/bin/env bash
# build-kernel.sh debug|intree [SERIES]: build one of the project's kernels
# from Debian's linux-source-SERIES (6.1, the default, or 6.12 for intree)
# under build/<flavour>-kernel/ (6.1) or build/<flavour>-SERIES-kernel/:
#   debug   KASAN, lockdep with raw lock nesting, PROVE_RCU, DEBUG_OBJECTS,
#           kmemleak; the kernel's own VMBus drivers as modules, which ours
#           replace at load time (out-of-tree modules: make -C src M=...).
#           6.1 only.
#   intree  this project's VMBus core built into the kernel (CONFIG_HYPERV=y)
#           and the simulated host as a module of the tree: drivers/hv/ goes
#           to drivers/hv/vmbus/, include/linux/hyperv/ beside the kernel's
#           headers, drivers/hv/Kconfig over the tree's, and the tree's own
#           hv_utils, hv_balloon and hv_common stay (place_sources() below).
#           6.1 or 6.12: the same placement; kernel-base-<series>.config
#           holds what the fragments set differently in the two sources.
# Output, for both:
#   src/                          the tree; src/arch/x86/boot/bzImage
#   modroot/lib/modules/<release>/   (modules_install, stripped)
#   build.log                     full log of the last configure + build
#   stamp                         hash of the config fragments and source
#                                 package version (and, intree, our sources)
# Cached: nothing is done when the stamp matches and bzImage exists.
# Prints the kernel release as the last line of stdout.
set -euo pipefail

SCRIPTS=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$SCRIPTS/.." && pwd)
FLAVOUR=${1:-} SERIES=${2:-6.1}
case $FLAVOUR/$SERIES in
debug/6.1|intree/6.1|intree/6.12) ;;
*) echo "usage: $0 debug|intree [6.1|6.12] (6.12: intree only)" >&2; exit 2 ;;
esac
SRCPKG=linux-source-$SERIES
TARBALL=/usr/src/$SRCPKG.tar.xz
FRAGS=("$SCRIPTS/kernel-base.config" "$SCRIPTS/kernel-base-$SERIES.config"
       "$SCRIPTS/$FLAVOUR-kernel.config")
# The 6.1 kernels keep their names; another series carries its own.
NAME=$FLAVOUR
[ "$SERIES" = 6.1 ] || NAME=$FLAVOUR-$SERIES
DK=$REPO/build/$NAME-kernel
SRC=$DK/src
LOG=$DK/build.log
MODROOT=$DK/modroot
TAG="build-kernel $NAME"

die() { echo "$TAG: $*" >&2; exit 1; }
say() { echo "$TAG: $*"; }

fail_with_log() {
	echo "$TAG: $1; last lines of $LOG:" >&2
	tail -n 40 "$LOG" >&2
	exit 1
}

src_version() {
	dpkg-query -W -f='${Version}' "$SRCPKG" 2>/dev/null ||
		die "$SRCPKG is not installed (run scripts/setup-packages.sh)"
}

# What the in-tree build takes from this repository.
our_sources() {
	(cd "$REPO" && find drivers/hv include/linux/hyperv -type f \
		\( -name '*.[ch]' -o -name Kbuild -o -name Kconfig \) | sort |
		xargs sha256sum)
}

wanted_stamp() {
	{
		echo "$SRCPKG $(src_version)"
		cat "${FRAGS[@]}"
		[ "$FLAVOUR" = debug ] || our_sources
	} | sha256sum | cut -d' ' -f1
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
	rm -rf "$SRC" "${DK:?}/$SRCPKG"
	tar -xf "$TARBALL" -C "$DK" || die "tar -xf $TARBALL failed"
	mv "$DK/$SRCPKG" "$SRC"
	echo "$ver" >"$SRC/.extracted"
}

# The `config X` names a Kconfig file defines.
kconfig_symbols() { sed -n 's/^[[:space:]]*\(menu\)\{0,1\}config[[:space:]]\+\([A-Z0-9_]*\).*/\2/p' "$1" | sort -u; }

# intree: our VMBus core in place of the kernel's.  The tree's original
# drivers/hv/Kconfig and Makefile are kept as *.orig (first run) to check
# that our Kconfig defines every option the tree's did.
place_sources() {
	local hv=$SRC/drivers/hv f missing
	[ -f "$hv/Kconfig.orig" ] || cp "$hv/Kconfig" "$hv/Kconfig.orig"
	[ -f "$hv/Makefile.orig" ] || cp "$hv/Makefile" "$hv/Makefile.orig"
	missing=$(comm -23 <(kconfig_symbols "$hv/Kconfig.orig") \
			   <(kconfig_symbols "$REPO/drivers/hv/Kconfig"))
	[ -z "$missing" ] || die "drivers/hv/Kconfig lacks options the tree's has: $missing"
	# The kernel's VMBus core (the sources of its hv_vmbus objects): gone,
	# so that nothing can link against it by mistake.  Its private
	# headers stay: uio_hv_generic and hv_utils include them (hv_trace.h
	# through hyperv_vmbus.h) for declarations and inline helpers.
	for f in vmbus_drv.c hv.c connection.c channel.c channel_mgmt.c ring_buffer.c \
		 hv_trace.c hv_debugfs.c; do
		rm -f "$hv/$f"
	done
	mkdir -p "$hv/vmbus" "$SRC/include/linux/hyperv"
	rsync -a --delete --exclude Kconfig "$REPO/drivers/hv/" "$hv/vmbus/"
	rsync -a --delete "$REPO/include/linux/hyperv/" "$SRC/include/linux/hyperv/"
	cp "$REPO/drivers/hv/Kconfig" "$hv/Kconfig"
	# The tree's own drivers on top of ours: the objects the tree's
	# Makefile names for them, where their sources exist in this release.
	{
		echo "# SPDX-License-Identifier: GPL-2.0"
		echo "# Written by scripts/build-kernel.sh intree; the tree's own is Makefile.orig."
		echo "obj-\$(CONFIG_HYPERV)		+= vmbus/"
		echo "obj-\$(CONFIG_HYPERV_UTILS)	+= hv_utils.o"
		echo "obj-\$(CONFIG_HYPERV_BALLOON)	+= hv_balloon.o"
		echo "CFLAGS_hv_balloon.o = -I\$(src)"
		printf 'hv_utils-y :='
		for f in hv_util hv_kvp hv_snapshot hv_fcopy hv_utils_transport; do
			[ ! -f "$hv/$f.c" ] || printf ' %s.o' "$f"
		done
		echo
		echo "obj-\$(subst m,y,\$(CONFIG_HYPERV)) += hv_common.o"
	} >"$hv/Makefile"
}

# Lines of the fragments as `NAME=value` or `NAME=n` (for "is not set"),
# the last fragment's value where two set a name.
fragment_wants() {
	sed -n -e 's/^\(CONFIG_[A-Za-z0-9_]*=.*\)$/\1/p' \
	       -e 's/^# \(CONFIG_[A-Za-z0-9_]*\) is not set$/\1=n/p' "${FRAGS[@]}" |
		awk -F= '{ v[$1] = $0; if (!($1 in o)) { o[$1] = n++; k[n - 1] = $1 } }
			 END { for (i = 0; i < n; i++) print v[k[i]] }'
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
		echo "$TAG: after olddefconfig these options do not have the value" \
		     "the fragments ask for (missing dependency, or selected by another):" >&2
		printf '  %s\n' "${missing[@]}" >&2
		exit 1
	fi
}

configure() {
	say "configuring (tinyconfig + ${FRAGS[*]##*/})"
	kmake tinyconfig >>"$LOG" 2>&1 || fail_with_log "make tinyconfig failed"
	(cd "$SRC" && scripts/kconfig/merge_config.sh -m .config "${FRAGS[@]}") >>"$LOG" 2>&1 ||
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
	local stamp f
	for f in "${FRAGS[@]}"; do
		[ -f "$f" ] || die "config fragment $f missing"
	done
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
	[ "$FLAVOUR" = debug ] || place_sources
	configure
	build
	echo "$stamp" >"$DK/stamp"
	release
}

main "$@"
