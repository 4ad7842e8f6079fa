#!/usr/bin/env bash
# A real hibernation to disk on Debian's kernel, in two QEMU boots over one
# swap disk: the first writes the image (vmbus_sim, hv_vmbus, the echo
# driver and Debian's hv_utils loaded, traffic running) and powers off; the
# second restores it, and the restored system checks the bus, the echo
# traffic and the heartbeat.  Not part of `make check` (it needs a disk and
# two boots); run it after `make modules-dist`:
#
#   tools/testing/selftests/vmbus/qemu/hibernate-disk.sh
#
# Output under build/qemu/hibernate-disk/: console-save.log,
# console-restore.log.  Exit 0 only if the restored system printed
# `VMBUS-HIBDISK: PASS`.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../../../../.." && pwd)
OUT=$REPO/build/qemu/hibernate-disk
MODULES=$REPO/build/modules/dist
TIMEOUT=600

die() { echo "hibernate-disk: $*" >&2; exit 1; }
say() { echo "hibernate-disk: $*"; }

resolve_dist() {
	local dir trees
	dir=$("$REPO/scripts/fetch-dist-kernel.sh" | tail -n 1) ||
		die "scripts/fetch-dist-kernel.sh failed"
	trees=("$dir"/lib/modules/*/)
	[ ${#trees[@]} -eq 1 ] || die "expected one kernel under $dir/lib/modules"
	KVER=$(basename "${trees[0]}")
	IMAGE=$dir/boot/vmlinuz-$KVER
	MODTREE=$dir/lib/modules/$KVER
}

# The test initramfs with this boot's /init appended as a second archive
# (the kernel unpacks both; the later /init wins).
make_initramfs() {
	local empty=$OUT/no-tests stage=$OUT/init-stage
	mkdir -p "$empty" "$stage"
	"$HERE/mkinitramfs.sh" --kver "$KVER" --modtree "$MODTREE" --modules "$MODULES" \
		--tests "$empty" --extra-modules "hv_utils virtio_pci virtio_blk" \
		--out "$OUT/initramfs.cpio.gz" >/dev/null || die "mkinitramfs.sh failed"
	install -m 0755 "$HERE/hibdisk-init" "$stage/init"
	(cd "$stage" && echo init | cpio -o -H newc -R 0:0 --quiet) | gzip -1 \
		>>"$OUT/initramfs.cpio.gz"
}

boot() {
	local which=$1 console=$OUT/console-$1.log rc=0
	say "boot '$which' (timeout $TIMEOUT s), console: $console"
	timeout -k 10 "$TIMEOUT" qemu-system-x86_64 -accel tcg,thread=multi -cpu max \
		-smp 4 -m 1G -kernel "$IMAGE" -initrd "$OUT/initramfs.cpio.gz" \
		-drive "file=$OUT/swap.img,if=virtio,format=raw" -nic none \
		-nographic -no-reboot \
		-append "console=ttyS0 panic=-1 loglevel=4 vmbus_hibdisk=$which" \
		</dev/null >"$console" 2>&1 || rc=$?
	[ "$rc" = 0 ] || die "boot '$which': QEMU exited with status $rc"
	grep -a 'VMBUS-HIBDISK' "$console" | sed 's/^/    /' || true
}

main() {
	command -v qemu-system-x86_64 >/dev/null || die "qemu-system-x86_64 missing (make setup)"
	[ -f "$MODULES/hv_vmbus.ko" ] || die "$MODULES has no hv_vmbus.ko: make modules-dist first"
	resolve_dist
	rm -rf "$OUT"
	mkdir -p "$OUT"
	make_initramfs
	truncate -s 1G "$OUT/swap.img"
	boot save
	grep -aq 'VMBUS-HIBDISK: .*writing the image' "$OUT/console-save.log" ||
		die "the first boot did not get to the hibernation"
	grep -aq 'reboot: Power down' "$OUT/console-save.log" ||
		die "the first boot did not power off after writing the image"
	boot restore
	if grep -aq 'VMBUS-HIBDISK: PASS' "$OUT/console-restore.log"; then
		say "PASS: the image was restored and the bus, echo traffic and heartbeat work"
		exit 0
	fi
	die "FAIL (see $OUT/console-restore.log)"
}

main "$@"
