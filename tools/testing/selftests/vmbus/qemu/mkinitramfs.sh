#!/usr/bin/env bash
# Build the gzip'd newc initramfs for a vmbus test boot.
# Usage: mkinitramfs.sh --kver VER --modtree DIR --modules DIR --tests DIR
#                       [--extra-modules "name ..."] [--kexec IMAGE] --out FILE
#   --modtree: the kernel's unpacked lib/modules/VER (with modules.dep)
#   --modules: our .ko files (searched recursively), installed under
#              lib/modules/VER/updates/vmbus/ so they win over in-tree ones
#   --tests:   test programs (the files at its top), copied to /vmbus-tests/
#              with run_tests.sh
#   --extra-modules: in-tree modules to add, with their modules.dep deps;
#              NAME:optional is left out where the kernel lacks it
#   --kexec:   the kexec lanes (kexec-lanes.sh): kexec-tools' kexec with its
#              shared libraries, and under /boot/ the kernel IMAGE as vmlinuz
#              and, as initrd.img, this same archive without /boot/: what
#              the guest loads with `kexec -p` or `kexec -l`
# Also: /sbin/poweroff, /sbin/reboot, /sbin/halt (qemu/vmbus-power), the
# hyperv-daemons package's hv_kvp_daemon with its shared libraries, its
# scripts, /var/lib/hyperv and the name-service files getaddrinfo() reads,
# e2fsprogs' mke2fs and e2fsck with util-linux's fsck and lsblk, iperf3,
# and sg3-utils' sg_inq.
# The staging tree is FILE's directory/initramfs/.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
BUSYBOX=/bin/busybox
KMOD=/usr/bin/kmod
KMOD_LINKS=(modprobe insmod rmmod lsmod depmod modinfo)
KVP_DAEMON=/usr/sbin/hv_kvp_daemon
KVP_SCRIPTS=/usr/libexec/hypervkvpd

KVER='' MODTREE='' MODULES='' TESTS='' EXTRA='' OUT='' KEXEC_IMAGE=''
KEXEC=/usr/sbin/kexec

die() { echo "mkinitramfs: $*" >&2; exit 1; }

usage() {
	sed -n '2,18s/^# \{0,1\}//p' "$0" >&2
	exit 2
}

parse_args() {
	while [ $# -gt 0 ]; do
		[ $# -ge 2 ] || usage
		case $1 in
		--kver) KVER=$2 ;;
		--modtree) MODTREE=$2 ;;
		--modules) MODULES=$2 ;;
		--tests) TESTS=$2 ;;
		--extra-modules) EXTRA=$2 ;;
		--out) OUT=$2 ;;
		--kexec) KEXEC_IMAGE=$2 ;;
		*) usage ;;
		esac
		shift 2
	done
	local v
	for v in KVER MODTREE MODULES TESTS OUT; do
		[ -n "${!v}" ] || usage
	done
	[ -f "$MODTREE/modules.dep" ] || die "$MODTREE/modules.dep missing"
	[ -d "$MODULES" ] || die "module directory $MODULES missing"
	[ -d "$TESTS" ] || die "test directory $TESTS missing"
	[ -z "$KEXEC_IMAGE" ] || [ -f "$KEXEC_IMAGE" ] || die "--kexec $KEXEC_IMAGE: no such file"
}

# Module name as kmod compares them: basename, no .ko[.xz|.zst|.gz], - is _.
modname() {
	local b=${1##*/}
	b=${b%.ko*}
	echo "${b//-/_}"
}

install_busybox() {
	local root=$1
	[ -x "$BUSYBOX" ] || die "$BUSYBOX missing (install busybox-static)"
	if ldd "$BUSYBOX" >/dev/null 2>&1; then
		die "$BUSYBOX is dynamically linked; install busybox-static"
	fi
	mkdir -p "$root/bin"
	cp "$BUSYBOX" "$root/bin/busybox"
}

# The host's kmod, with the shared libraries ldd names; Debian's modules
# may be compressed and busybox's modprobe cannot read them.
install_kmod() {
	local root=$1 lib l
	[ -x "$KMOD" ] || die "$KMOD missing (install kmod)"
	mkdir -p "$root/sbin"
	cp "$KMOD" "$root/bin/kmod"
	for l in "${KMOD_LINKS[@]}"; do
		ln -sf /bin/kmod "$root/sbin/$l"
	done
	for lib in $(ldd "$KMOD" | grep -o '/[^ ]*'); do
		mkdir -p "$root$(dirname "$lib")"
		cp -L "$lib" "$root$lib"
	done
}

# Copies FILE and the shared libraries ldd names for it to the same paths.
install_with_libs() {
	local root=$1 file=$2 lib
	mkdir -p "$root$(dirname "$file")"
	cp "$file" "$root$file"
	for lib in $(ldd "$file" | grep -o '/[^ ]*'); do
		mkdir -p "$root$(dirname "$lib")"
		cp -L "$lib" "$root$lib"
	done
}

# /sbin/poweroff, /sbin/reboot and /sbin/halt: what orderly_poweroff() and
# orderly_reboot() run (see vmbus-power); busybox --install in /init leaves
# existing names alone.
install_power() {
	local root=$1 l
	mkdir -p "$root/sbin"
	install -m 0755 "$HERE/vmbus-power" "$root/sbin/vmbus-power"
	for l in poweroff reboot halt; do
		ln -sf vmbus-power "$root/sbin/$l"
	done
}

# hv_kvp_daemon from Debian's hyperv-daemons (scripts/setup-packages.sh):
# it creates its pools under /var/lib/hyperv (mkdir of the last part only),
# runs hv_get_dns_info / hv_get_dhcp_info from $KVP_SCRIPTS for IP data, and
# resolves its host name with getaddrinfo(AI_CANONNAME) for the FQDN: only
# /etc/hosts is consulted, which a test extends with the name it sets.
install_kvp_daemon() {
	local root=$1 lib f
	[ -x "$KVP_DAEMON" ] || die "$KVP_DAEMON missing (install hyperv-daemons)"
	install_with_libs "$root" "$KVP_DAEMON"
	# Loaded through NSS at run time, so ldd does not name it.
	lib=$(dirname "$(ldd "$KVP_DAEMON" | grep -o '/[^ ]*libc\.so[^ ]*')")
	[ -f "$lib/libnss_files.so.2" ] && cp -L "$lib/libnss_files.so.2" "$root$lib/"
	mkdir -p "$root$KVP_SCRIPTS" "$root/var/lib/hyperv" "$root/etc"
	for f in "$KVP_SCRIPTS"/*; do
		[ -f "$f" ] && install -m 0755 "$f" "$root$KVP_SCRIPTS/"
	done
	echo "hosts: files" >"$root/etc/nsswitch.conf"
	printf '127.0.0.1\tlocalhost\n127.0.1.1\tvmbus-guest\n' >"$root/etc/hosts"
}

# e2fsprogs (scripts/setup-packages.sh) for the file system tests: mke2fs
# as mkfs.ext4, e2fsck as fsck.ext4, and util-linux's fsck, which runs
# fsck.<type> from PATH; mke2fs.conf for the ext4 defaults.
install_e2fsprogs() {
	local root=$1 f
	for f in /usr/sbin/mke2fs /usr/sbin/e2fsck /usr/sbin/fsck; do
		[ -x "$f" ] || die "$f missing (install e2fsprogs and util-linux)"
		install_with_libs "$root" "$f"
	done
	ln -sf mke2fs "$root/usr/sbin/mkfs.ext4"
	ln -sf e2fsck "$root/usr/sbin/fsck.ext4"
	mkdir -p "$root/etc"
	[ -f /etc/mke2fs.conf ] && cp /etc/mke2fs.conf "$root/etc/"
	# fsck reads the mount tables; an empty fstab is enough.
	: >"$root/etc/fstab"
}

# iperf3 (scripts/setup-packages.sh) for netvsc_bench_test: TCP and UDP
# between two network namespaces, over the simulated NICs and over veth.
install_iperf3() {
	[ -x /usr/bin/iperf3 ] || die "/usr/bin/iperf3 missing (install iperf3)"
	install_with_libs "$1" /usr/bin/iperf3
}

# sg3-utils' sg_inq and util-linux's lsblk (scripts/setup-packages.sh) for
# storvsc_io_test: what the standard tools say of the simulated disk.
install_disk_tools() {
	local f
	for f in /usr/bin/sg_inq /usr/bin/lsblk; do
		[ -x "$f" ] || die "$f missing (install sg3-utils and util-linux)"
		install_with_libs "$1" "$f"
	done
}

# Our modules go to updates/vmbus/; prints their names, one a line.
install_our_modules() {
	local root=$1 dst=$1/lib/modules/$KVER/updates/vmbus ko seen=" "
	mkdir -p "$dst"
	while IFS= read -r ko; do
		case $seen in *" ${ko##*/} "*) die "two modules named ${ko##*/} under $MODULES" ;; esac
		seen+="${ko##*/} "
		cp "$ko" "$dst/"
		modname "$ko"
	done < <(find "$MODULES" -name '*.ko' -type f | sort)
}

# First line of FILE whose first field is the module NAME (modules.dep:
# "path: dep dep ...", modules.builtin: "path").
find_module() {
	awk -v n="$1" '{
		b = $1; sub(/:$/, "", b); sub(/.*\//, "", b); sub(/\.ko.*$/, "", b)
		gsub(/-/, "_", b)
		if (b == n) { print; found = 1; exit }
	} END { exit !found }' "$2"
}

dep_line() { find_module "$1" "$MODTREE/modules.dep"; }

is_builtin() {
	[ -f "$MODTREE/modules.builtin" ] && find_module "$1" "$MODTREE/modules.builtin" >/dev/null
}

# Copy each --extra-modules entry and its dependencies (modules.dep is
# already transitive); skip the ones that ours replace.
install_extra_modules() {
	local root=$1 ours=$2 name line path optional
	for name in $EXTRA; do
		optional=false
		[[ $name == *:optional ]] && optional=true name=${name%:optional}
		name=$(modname "$name")
		if ! line=$(dep_line "$name"); then
			is_builtin "$name" && { echo "mkinitramfs: $name is built in" >&2; continue; }
			$optional && { echo "mkinitramfs: $name: not in this kernel" >&2; continue; }
			die "extra module $name not found in $MODTREE/modules.dep"
		fi
		for path in ${line/:/}; do
			grep -qx "$(modname "$path")" <<<"$ours" && continue
			mkdir -p "$root/lib/modules/$KVER/$(dirname "$path")"
			cp "$MODTREE/$path" "$root/lib/modules/$KVER/$path"
		done
	done
}

run_depmod() {
	local root=$1 f
	for f in modules.builtin modules.builtin.modinfo modules.order; do
		[ -f "$MODTREE/$f" ] && cp "$MODTREE/$f" "$root/lib/modules/$KVER/"
	done
	# Our own config, so the host's /etc/depmod.d cannot change the order.
	mkdir -p "$root/etc/depmod.d"
	echo "search updates built-in" >"$root/etc/depmod.d/vmbus.conf"
	depmod -b "$root" -C "$root/etc/depmod.d" "$KVER" ||
		die "depmod -b $root $KVER failed"
}

# The files at the top of --tests: the programs (the build keeps the
# kselftest framework it extracted in a subdirectory, not needed here).
# A --tests folder with run_kselftest.sh is what the kernel's `make -C
# tools/testing/selftests TARGETS=vmbus install` wrote (the intree lane):
# copied whole, init runs its run_kselftest.sh, and the kernel's runner
# needs GNU timeout (busybox's has no --foreground).
install_tests() {
	local root=$1
	mkdir -p "$root/vmbus-tests"
	if [ -f "$TESTS/run_kselftest.sh" ]; then
		cp -a "$TESTS/." "$root/vmbus-tests/"
		install_with_libs "$root" "$(command -v timeout)"
		[ "$(command -v timeout)" = /usr/bin/timeout ] ||
			ln -sf "$(command -v timeout)" "$root/usr/bin/timeout"
		install_vmbusctl "$root" "$TESTS/vmbus"
		return
	fi
	find "$TESTS" -mindepth 1 -maxdepth 1 -type f -exec cp -a {} "$root/vmbus-tests/" \;
	install -m 0755 "$HERE/run_tests.sh" "$root/vmbus-tests/run_tests.sh"
	install_vmbusctl "$root" "$TESTS"
}

# vmbusctl (tools/vmbus/vmbusctl/, built into --tests with the programs) on
# the PATH, its scenarios where `make run` and the tests look for them.  A
# --tests folder of a few programs (the kexec lanes, the benches, the
# hibernation disk) may have none: the guests that run it are the test
# lanes and `make run`, which get build/tests/ whole.
install_vmbusctl() {
	local root=$1 dir=$2 f
	[ -x "$dir/vmbusctl" ] || return 0
	install -D -m 0755 "$dir/vmbusctl" "$root/usr/sbin/vmbusctl"
	mkdir -p "$root/usr/share/vmbusctl"
	for f in "$dir"/*.vmbus; do
		# No scenario at all leaves the pattern itself in $f.
		[ -f "$f" ] || continue
		install -m 0644 "$f" "$root/usr/share/vmbusctl/"
	done
}

pack() {
	local root=$1
	install -m 0755 "$HERE/init" "$root/init"
	mkdir -p "$root/dev"
	# Optional: init takes the console itself if this node is missing.
	if [ "$(id -u)" = 0 ] && [ ! -e "$root/dev/console" ]; then
		mknod -m 600 "$root/dev/console" c 5 1
	fi
	(cd "$root" && find . -print0 | LC_ALL=C sort -z |
		cpio --null -o -H newc -R 0:0 --quiet) | gzip -1 >"$OUT.tmp" ||
		die "packing $root into $OUT failed"
	mv "$OUT.tmp" "$OUT"
}

main() {
	local root ours
	parse_args "$@"
	root=$(dirname "$OUT")/initramfs
	rm -rf "$root"
	mkdir -p "$root"
	install_busybox "$root"
	install_kmod "$root"
	install_power "$root"
	install_kvp_daemon "$root"
	install_e2fsprogs "$root"
	install_iperf3 "$root"
	install_disk_tools "$root"
	ours=$(install_our_modules "$root")
	[ -n "$ours" ] || echo "mkinitramfs: warning: no .ko files under $MODULES" >&2
	install_extra_modules "$root" "$ours"
	run_depmod "$root"
	install_tests "$root"
	if [ -n "$KEXEC_IMAGE" ]; then
		[ -x "$KEXEC" ] || die "$KEXEC missing (install kexec-tools)"
		install_with_libs "$root" "$KEXEC"
		# The next kernel's archive: everything so far.
		pack "$root"
		mkdir -p "$root/boot"
		mv "$OUT" "$root/boot/initrd.img"
		cp "$KEXEC_IMAGE" "$root/boot/vmlinuz"
	fi
	pack "$root"
}

main "$@"
