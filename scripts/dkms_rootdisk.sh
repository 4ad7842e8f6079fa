#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# dkms_rootdisk.sh [ABI]: `make check-dkms-rootdisk`, the vmbus-dkms package
# on a Debian root file system that boots from a VMBus disk.
#
#   1. debootstrap a bookworm root (once; build/dkms-rootdisk/base, needs the
#      Debian mirror) with dkms, initramfs-tools and a compiler;
#   2. a copy of it gets Debian's kernel ABI and its headers (the .debs the
#      other lanes downloaded), /etc/vmbus-dkms/initramfs.conf asking for
#      vmbus_sim and the disk drivers, the test's init-premount script
#      (tools/testing/selftests/vmbus/qemu/dkms-rootdisk/), then the
#      vmbus-dkms .deb with dpkg in a chroot: its postinst builds the
#      modules with dkms and remakes the initramfs with them;
#   3. the root becomes an ext4 image, QEMU's virtio disk;
#   4. QEMU boots the root's vmlinuz and initrd: the initramfs loads
#      vmbus_sim and our hv_vmbus, the premount script makes the virtio disk
#      the store of a simulated SCSI controller's LUN, Debian's hv_storvsc
#      finds it as /dev/sda, and the root is mounted from it (root=/dev/sda);
#      init= is a script that says what the root is and which hv_vmbus runs,
#      starts Debian's hv_kvp_daemon (hyperv-daemons, installed in the root)
#      for the host's KVP query, writes a mark on the root and powers off
#      (QEMU exits);
#   5. the console must show root /dev/sda behind hv_storvsc with the
#      package's hv_vmbus, the daemon's answer to the host (the guest's
#      host name) and pass the lanes' log scan (qemu/logscan.sh), and the
#      image must hold the mark;
#   6. dpkg --purge in the root: the modules gone, hv_vmbus the kernel's
#      again, the initramfs remade without ours.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
abi=${1:-$("$repo/scripts/kernel-abi.sh")}
work=$repo/build/dkms-rootdisk
base=$work/base rootfs=$work/rootfs img=$work/root.img
here=$repo/tools/testing/selftests/vmbus/qemu/dkms-rootdisk
start=$(date +%s)
say() { echo "check-dkms-rootdisk: $*"; }
fail() { echo "check-dkms-rootdisk: FAIL: $*" >&2; exit 1; }
stamp() { say "$* ($(($(date +%s) - start)) s)"; }

if ! command -v debootstrap >/dev/null; then
	say "installing debootstrap"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends debootstrap >/dev/null
fi
for t in debootstrap mkfs.ext4 debugfs qemu-system-x86_64 dpkg-deb; do
	command -v $t >/dev/null || fail "$t missing (scripts/setup-packages.sh)"
done
mkdir -p "$work/cache"

# 1. The base root, once.
if [ ! -e "$base/.done" ]; then
	say "debootstrap bookworm into $base (once)..."
	rm -rf "$base"
	debootstrap --variant=minbase --cache-dir="$work/cache" \
		--include=dkms,initramfs-tools,kmod,udev,gcc,gcc-12,make,libc6-dev,dpkg-dev,patch,busybox,e2fsprogs,linux-base,openssl,libelf1,zstd,xz-utils \
		bookworm "$base" http://deb.debian.org/debian >"$work/debootstrap.log" 2>&1 ||
		fail "debootstrap (log: $work/debootstrap.log)"
	touch "$base/.done"
	stamp "base root made"
fi

# 2. The kernel, its headers and the package, in a copy.
debs=()
for p in "linux-image-$abi" "linux-headers-$abi" "linux-headers-${abi%-amd64}-common" \
	linux-kbuild-6.1 linux-compiler-gcc-12-x86 hyperv-daemons; do
	f=$(find "$repo/build/kernels/debs" /var/cache/apt/archives -maxdepth 1 \
		-name "${p}_*.deb" 2>/dev/null | sort | tail -n 1)
	if [ -z "$f" ]; then
		(cd "$work/cache" && apt-get download -q -o APT::Sandbox::User="$(id -un)" "$p" >&2) ||
			fail "apt-get download $p"
		f=$(find "$work/cache" -maxdepth 1 -name "${p}_*.deb" | sort | tail -n 1)
	fi
	debs+=("$f")
done
deb=$("$repo/scripts/dkms-deb.sh" "$work" 2>/dev/null | tail -n 1)
ver=$(dpkg-deb -f "$deb" Version)

cleanup() {
	mountpoint -q "$rootfs/proc" && umount "$rootfs/proc"
	mountpoint -q "$rootfs/sys" && umount "$rootfs/sys"
	return 0
}
trap cleanup EXIT
cleanup
rm -rf "$rootfs"
cp -a "$base" "$rootfs"
mkdir -p "$rootfs/tmp/debs" "$rootfs/etc/vmbus-dkms" \
	"$rootfs/etc/initramfs-tools/scripts/init-premount"
cp "${debs[@]}" "$deb" "$rootfs/tmp/debs/"
cat >"$rootfs/etc/vmbus-dkms/initramfs.conf" <<EOC
# The root-disk test (scripts/dkms_rootdisk.sh): the simulated host too.
VMBUS_EARLY_LOAD=yes
VMBUS_SIM=yes
VMBUS_MODULES="virtio_pci virtio_blk sd_mod hv_storvsc ext4"
EOC
install -m 0755 "$here/vmbus-sim-rootdisk" "$rootfs/etc/initramfs-tools/scripts/init-premount/"
install -m 0755 "$here/rootdisk-init" "$rootfs/sbin/vmbus-rootdisk-init"
echo "/dev/sda / ext4 defaults 0 1" >"$rootfs/etc/fstab"
# Only the modules asked for (the hooks' and ours): a small initramfs, made
# quickly.
sed -i 's/^MODULES=.*/MODULES=list/' "$rootfs/etc/initramfs-tools/initramfs.conf"
echo vmbus-rootdisk >"$rootfs/etc/hostname"
mount -t proc proc "$rootfs/proc"
mount -t sysfs sysfs "$rootfs/sys"
in_root() { chroot "$rootfs" env DEBIAN_FRONTEND=noninteractive PATH=/usr/sbin:/usr/bin:/sbin:/bin "$@"; }
in_root sh -c 'dpkg -i /tmp/debs/linux-*.deb /tmp/debs/hyperv-daemons_*.deb' >"$work/kernel.log" 2>&1 ||
	fail "installing the kernel and hyperv-daemons in the root (log: $work/kernel.log)"
stamp "kernel $abi, its headers and hyperv-daemons installed in the root"
in_root dpkg --force-confold -i "/tmp/debs/$(basename "$deb")" >"$work/package.log" 2>&1 ||
	fail "installing $(basename "$deb") in the root (log: $work/package.log)"
grep '^vmbus-dkms:' "$work/package.log" | sed 's/^/  /'
stamp "vmbus-dkms $ver installed in the root (dkms build, initramfs)"
[ -f "$rootfs/lib/modules/$abi/updates/dkms/hv_vmbus.ko" ] || fail "no hv_vmbus.ko in the root's updates/dkms"
initrd=$rootfs/boot/initrd.img-$abi
in_root lsinitramfs "/boot/initrd.img-$abi" >"$work/initrd.list" 2>&1 || fail "lsinitramfs"
cleanup
rm -rf "$rootfs/tmp/debs"
for m in updates/dkms/hv_vmbus.ko updates/dkms/vmbus_platform.ko updates/dkms/vmbus_sim.ko hv_storvsc.ko; do
	grep -q "$m" "$work/initrd.list" || fail "$m not in the initramfs"
done
say "initramfs: $(grep -E 'updates/dkms/|hv_storvsc' "$work/initrd.list" | sed 's|.*/||' | tr '\n' ' ')"

# 3. The image.
rm -f "$img"
truncate -s 2G "$img"
mkfs.ext4 -q -F -L vmbusroot -d "$rootfs" "$img" || fail "mkfs.ext4 -d"
stamp "root image made"

# 4. The boot.
timeout 600 qemu-system-x86_64 -accel tcg,thread=multi -cpu max -smp 2 -m 1G \
	-kernel "$rootfs/boot/vmlinuz-$abi" -initrd "$initrd" -nic none \
	-drive "file=$img,if=virtio,format=raw" -nographic -no-reboot \
	-append "console=ttyS0 root=/dev/sda rw rootwait init=/sbin/vmbus-rootdisk-init vmbus_sim_backing=/dev/vda panic=-1" \
	</dev/null >"$work/console.log" 2>&1 || true
stamp "QEMU done (console: $work/console.log)"

# 5. What it showed.
grep '^vmbus-rootdisk:' "$work/console.log" | tr -d '\r' | sed 's/^/  /'
grep -q '^vmbus-rootdisk: root: /dev/sda' "$work/console.log" || fail "the root is not /dev/sda"
grep -q '^vmbus-rootdisk: root disk.s driver: hv_storvsc' "$work/console.log" ||
	fail "the root disk is not behind hv_storvsc"
grep -q "^vmbus-rootdisk: hv_vmbus version: $ver" "$work/console.log" ||
	fail "hv_vmbus is not the package's ($ver)"
# hv_kvp_daemon answered the host's query for the guest's name (KVP, the
# auto pool's index 0), and still ran when the init stopped it.
grep -q '^vmbus-rootdisk: kvp: host.s query: enum 2 status=0x00000000 key=FullyQualifiedDomainName value=vmbus-rootdisk' \
	"$work/console.log" || fail "hv_kvp_daemon did not answer the host's KVP query"
grep -q '^vmbus-rootdisk: kvp: hv_kvp_daemon still running' "$work/console.log" ||
	fail "hv_kvp_daemon ended before the power off"
# The power off: sd's cache flush of the root disk answered before the
# host let the connection go (hv_vmbus's UNLOAD comes after the devices
# shut down), so no stall between the flush and the end.
t_flush=$(tr -d '\r' <"$work/console.log" |
	sed -n 's/^\[ *\([0-9.]*\)\].*\[sda\] Synchronizing SCSI cache.*/\1/p' | head -n 1)
t_down=$(tr -d '\r' <"$work/console.log" | sed -n 's/^\[ *\([0-9.]*\)\] reboot: Power down.*/\1/p')
[ -n "$t_down" ] || fail "no 'reboot: Power down': the power off did not complete"
[ -n "$t_flush" ] || fail "no '[sda] Synchronizing SCSI cache' before the power off"
awk -v a="$t_flush" -v b="$t_down" 'BEGIN { exit !(b - a < 10) }' ||
	fail "the power off took $t_flush -> $t_down s from the root disk's cache flush"
stamp "powered off: cache flush at $t_flush s, 'Power down' at $t_down s"
debugfs -R 'cat /vmbus-rootdisk.ok' "$img" 2>/dev/null | grep -q "^hv_vmbus=$ver" ||
	fail "no mark on the image: the root's writes did not reach the virtio disk"
"$repo/tools/testing/selftests/vmbus/qemu/logscan.sh" "$work/console.log" ||
	fail "the kernel log has problems (above)"

# 6. Removal: dpkg --purge in the root takes the modules out and remakes
# the initramfs without them.
mount -t proc proc "$rootfs/proc"
in_root dpkg --purge vmbus-dkms >"$work/purge.log" 2>&1 ||
	fail "dpkg --purge vmbus-dkms in the root (log: $work/purge.log)"
[ ! -e "$rootfs/lib/modules/$abi/updates/dkms/hv_vmbus.ko" ] || fail "hv_vmbus.ko left after the purge"
res=$(in_root modinfo -k "$abi" -n hv_vmbus)
[ "$res" = "/lib/modules/$abi/kernel/drivers/hv/hv_vmbus.ko" ] ||
	fail "after the purge hv_vmbus resolves to $res"
in_root lsinitramfs "/boot/initrd.img-$abi" >"$work/initrd-purged.list" 2>&1 || fail "lsinitramfs"
! grep -q 'updates/dkms' "$work/initrd-purged.list" || fail "our modules still in the initramfs after the purge"
[ ! -e "$rootfs/etc/vmbus-dkms" ] || fail "/etc/vmbus-dkms left after the purge"
cleanup
stamp "purged: hv_vmbus -> $res, initramfs without updates/dkms"
say "PASS ($(($(date +%s) - start)) s)"
