#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# dkms-deb.sh [OUTDIR]: build the vmbus-dkms .deb (dpkg-deb, from the work
# tree as it is) into OUTDIR (default build/dkms) and print its path (last
# line of stdout).  Documentation/virt/hyperv/dkms.rst says what it holds.
#
#   /usr/src/vmbus-VERSION/          dkms.conf, dkms/dkms-make.sh, drivers/hv/,
#                                    include/ (the module sources)
#   /usr/lib/vmbus-dkms/vmbus-dkms-kernels   build/install/remove, every kernel
#   /usr/share/initramfs-tools/hooks/vmbus-dkms
#   /etc/vmbus-dkms/initramfs.conf
#
# VERSION is 0.1+gitYYYYMMDD.HASH of HEAD (its commit date), with .dirty
# added when the work tree differs from it; DKMS_VERSION= overrides it.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-$repo/build/dkms}
die() { echo "dkms-deb: $*" >&2; exit 1; }
command -v dpkg-deb >/dev/null || die "no dpkg-deb"

if [ -z "${DKMS_VERSION:-}" ]; then
	DKMS_VERSION=0.1+git$(git -C "$repo" log -1 --date=format:%Y%m%d --format=%cd.%h)
	git -C "$repo" diff --quiet HEAD -- drivers include dkms 2>/dev/null ||
		DKMS_VERSION=$DKMS_VERSION.dirty
fi
ver=$DKMS_VERSION
stage=$out/stage
src=$stage/usr/src/vmbus-$ver
rm -rf "$stage"
mkdir -p "$src" "$stage/DEBIAN" "$stage/usr/lib/vmbus-dkms" \
	"$stage/usr/share/initramfs-tools/hooks" "$stage/etc/vmbus-dkms" \
	"$stage/usr/share/doc/vmbus-dkms"

# The sources: what drivers/hv/Kbuild builds and the headers it includes.
rsync -a --exclude '*.o' --exclude '*.ko' --exclude '.*' --exclude '*.mod*' \
	--exclude 'modules.order' --exclude 'Module.symvers' \
	"$repo/drivers" "$repo/include" "$src/"
mkdir -p "$src/dkms"
install -m 0755 "$repo/dkms/dkms-make.sh" "$src/dkms/"
sed "s/@VERSION@/$ver/g" "$repo/dkms/dkms.conf" >"$src/dkms.conf"
# MODULE_VERSION in each module, for modinfo and for dkms's version check
# (without one, dkms will not put hv_vmbus over the kernel's own).
for m in hv_vmbus:drivers/hv vmbus_platform:drivers/hv vmbus_sim:drivers/hv/sim; do
	name=${m%%:*} dir=$src/${m#*:}
	sed "s/@VERSION@/$ver/g" "$repo/dkms/version.c.in" >"$dir/dkms_version_$name.c"
	printf '\n# vmbus-dkms (scripts/dkms-deb.sh): the package version.\n%s-y += dkms_version_%s.o\n' \
		"$name" "$name" >>"$dir/Kbuild"
done

sed "s/@VERSION@/$ver/g" "$repo/dkms/vmbus-dkms-kernels" \
	>"$stage/usr/lib/vmbus-dkms/vmbus-dkms-kernels"
chmod 0755 "$stage/usr/lib/vmbus-dkms/vmbus-dkms-kernels"
install -m 0755 "$repo/dkms/initramfs-hook" "$stage/usr/share/initramfs-tools/hooks/vmbus-dkms"
install -m 0644 "$repo/dkms/initramfs.conf" "$stage/etc/vmbus-dkms/initramfs.conf"
install -m 0644 "$repo/Documentation/virt/hyperv/dkms.rst" "$stage/usr/share/doc/vmbus-dkms/"

for f in postinst prerm postrm; do
	install -m 0755 "$repo/dkms/debian/$f" "$stage/DEBIAN/$f"
done
install -m 0644 "$repo/dkms/debian/conffiles" "$stage/DEBIAN/conffiles"
size=$(du -sk --exclude=DEBIAN "$stage" | cut -f1)
sed -e "s/@VERSION@/$ver/g" -e "s/@SIZE@/$size/" "$repo/dkms/debian/control.in" \
	>"$stage/DEBIAN/control"
(cd "$stage" && find . -path ./DEBIAN -prune -o -type f -printf '%P\0' |
	LC_ALL=C sort -z | xargs -0 md5sum) >"$stage/DEBIAN/md5sums"

deb=$out/vmbus-dkms_${ver}_all.deb
rm -f "$out"/vmbus-dkms_*_all.deb
dpkg-deb --root-owner-group -Zxz --build "$stage" "$deb" >&2
rm -rf "$stage"
echo "dkms-deb: $(basename "$deb") ($(du -k "$deb" | cut -f1) KiB)" >&2
echo "$deb"
