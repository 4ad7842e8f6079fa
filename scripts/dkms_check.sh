#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# dkms_check.sh [ABI]: `make check-dkms`, the vmbus-dkms package against
# Debian's kernel ABI (default: kernel-abi.sh's 6.1 one), in a throwaway root
# (build/dkms/root), never the machine's own /lib/modules or /var/lib/dkms:
#
#   - make the .deb (scripts/dkms-deb.sh); it depends on dkms and holds the
#     sources under /usr/src/vmbus-VERSION;
#   - unpack it into the root, with the kernel's modules (MODDIR, Debian's
#     linux-image unpacked by fetch-dist-kernel.sh) under lib/modules/ABI
#     and its installed headers as lib/modules/ABI/build, next to a fake kernel
#     whose config says CONFIG_HYPERV=y and one without VMBus;
#   - run the package's own vmbus-dkms-kernels install --root: dkms builds
#     and installs for ABI, refuses the fake kernel with the message, skips
#     the one without VMBus;
#   - hv_vmbus.ko under updates/dkms with the package version, a srcversion,
#     vmbus_platform as a dependency and dkms's signature; depmod -b in the
#     root resolves hv_vmbus (and hv_storvsc's dependency on it) to ours;
#   - dkms build on the fake kernel itself exits 77 with the message;
#   - vmbus-dkms-kernels remove: depmod resolves to Debian's again.
# Documentation/virt/hyperv/dkms.rst, "The test".
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
abi=${1:-$("$repo/scripts/kernel-abi.sh")}
kdir=$(readlink -m "/lib/modules/$abi/build")
# The linux-image package unpacked, as the 6.1 lanes have it.
kernels=$repo/build/kernels/dist-$abi
[ -e "$kernels/.unpacked" ] || kernels=$("$repo/scripts/fetch-dist-kernel.sh" | tail -n 1)
moddir=$kernels/lib/modules/$abi
work=$repo/build/dkms
root=$work/root
log=$work/check.log
start=$(date +%s)

fail() { echo "check-dkms: FAIL: $*" >&2; echo "check-dkms: log in $log" >&2; exit 1; }
ok() { echo "check-dkms: ok: $*"; }

[ -f "$kdir/Module.symvers" ] || fail "no kernel build tree at /lib/modules/$abi/build (linux-headers-$abi)"
[ -f "$moddir/kernel/drivers/hv/hv_vmbus.ko" ] || fail "no Debian hv_vmbus.ko under $moddir"
if ! command -v dkms >/dev/null; then
	echo "check-dkms: installing dkms"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends dkms >/dev/null
fi

mkdir -p "$work"
: >"$log"
# The machine's own dkms tree must come out as it went in.
host_dkms=$(ls -A /var/lib/dkms 2>/dev/null || true)
deb=$("$repo/scripts/dkms-deb.sh" "$work" 2>>"$log" | tail -n 1)
[ -f "$deb" ] || fail "dkms-deb.sh made no .deb"
ver=$(dpkg-deb -f "$deb" Version)
dpkg-deb -f "$deb" Depends | grep -qw dkms || fail "the .deb does not depend on dkms"
ok "$(basename "$deb"), Depends: $(dpkg-deb -f "$deb" Depends)"

rm -rf "$root"
mkdir -p "$root/lib/modules"
dpkg-deb -x "$deb" "$root"
[ -f "$root/usr/src/vmbus-$ver/dkms.conf" ] || fail "no /usr/src/vmbus-$ver/dkms.conf in the .deb"
# Debian's modules, hard links, without the index files depmod makes (it
# writes new ones, it does not rewrite these, but a fresh start is surer).
cp -al "$moddir" "$root/lib/modules/$abi"
find "$root/lib/modules/$abi" -maxdepth 1 -name 'modules.*' ! -name modules.order \
	! -name modules.builtin ! -name modules.builtin.modinfo -delete
ln -s "$kdir" "$root/lib/modules/$abi/build"
depmod -b "$root" "$abi"
case $(modinfo -b "$root" -k "$abi" -n hv_vmbus) in
*/kernel/drivers/hv/hv_vmbus.ko) ;;
*) fail "before the install, hv_vmbus is not Debian's" ;;
esac

# The fake kernels: headers that are only a config and an include/.
fake_y=6.1.0-999-vmbusbuiltin fake_n=6.1.0-998-novmbus
for k in $fake_y $fake_n; do
	mkdir -p "$root/lib/modules/$k/build/include" "$root/lib/modules/$k/kernel"
	grep -v '^CONFIG_HYPERV=' "$kdir/.config" >"$root/lib/modules/$k/build/.config"
done
echo CONFIG_HYPERV=y >>"$root/lib/modules/$fake_y/build/.config"

t0=$(date +%s)
if ! "$root/usr/lib/vmbus-dkms/vmbus-dkms-kernels" install --root "$root" >"$work/install.log" 2>&1; then
	cat "$work/install.log" >>"$log"
	find "$root/var/lib/dkms" -name make.log -exec cat {} + >>"$log" 2>/dev/null || true
	cat "$root"/var/lib/dkms/vmbus/"$ver"/build/make.log >>"$log" 2>/dev/null || true
	fail "vmbus-dkms-kernels install"
fi
cat "$work/install.log" >>"$log"
ok "dkms build + install for $abi ($(($(date +%s) - t0)) s)"
grep -q "$fake_y: refused: CONFIG_HYPERV=y" "$work/install.log" ||
	fail "the CONFIG_HYPERV=y kernel was not refused with the message"
ok "$fake_y refused: $(grep -o "$fake_y: refused.*" "$work/install.log")"
grep -q "$fake_n: no VMBus" "$work/install.log" || fail "the kernel without VMBus was not skipped"
[ -z "$(find "$root/lib/modules/$fake_y" "$root/lib/modules/$fake_n" -name '*.ko')" ] ||
	fail "modules installed for a fake kernel"

upd=$root/lib/modules/$abi/updates/dkms
for m in vmbus_platform hv_vmbus vmbus_sim; do
	[ -f "$upd/$m.ko" ] || fail "no $m.ko under updates/dkms"
	v=$(modinfo -F version "$upd/$m.ko")
	[ "$v" = "$ver" ] || fail "$m.ko: version '$v', want '$ver'"
	[ -n "$(modinfo -F srcversion "$upd/$m.ko")" ] || fail "$m.ko: no srcversion"
	[ "$(modinfo -F vermagic "$upd/$m.ko" | cut -d' ' -f1)" = "$abi" ] ||
		fail "$m.ko: vermagic is not $abi"
done
ok "updates/dkms: $(cd "$upd" && ls | tr '\n' ' ')"
ok "hv_vmbus.ko version $(modinfo -F version "$upd/hv_vmbus.ko") srcversion $(modinfo -F srcversion "$upd/hv_vmbus.ko")"
[ "$(modinfo -F depends "$upd/hv_vmbus.ko")" = vmbus_platform ] ||
	fail "hv_vmbus.ko does not depend on vmbus_platform: not ours?"
signer=$(modinfo -F signer "$upd/hv_vmbus.ko")
[ "$signer" = "DKMS module signing key" ] || fail "hv_vmbus.ko: signer '$signer', want dkms's key"
[ -f "$root/var/lib/dkms/mok.pub" ] || fail "no MOK certificate made by dkms"
ok "signed by '$signer' (root's var/lib/dkms/mok.key)"

# depmod's search order (updates before the kernel's own tree).
res=$(modinfo -b "$root" -k "$abi" -n hv_vmbus)
[ "$res" = "$upd/hv_vmbus.ko" ] || fail "depmod resolves hv_vmbus to $res, not ours"
ok "depmod -b: hv_vmbus -> ${res#"$root"}"
deps=$(modprobe -d "$root" -S "$abi" --show-depends hv_storvsc)
echo "$deps" >>"$log"
echo "$deps" | grep -q "insmod $upd/hv_vmbus.ko" || fail "hv_storvsc does not pull our hv_vmbus"
echo "$deps" | grep -q "insmod $upd/vmbus_platform.ko" || fail "hv_storvsc does not pull vmbus_platform"
ok "modprobe --show-depends hv_storvsc: $(echo "$deps" | sed -n 's|.*/\([a-z_]*\)\.ko.*|\1|p' | tr '\n' ' ')"

# dkms itself, asked to build on the built-in kernel (its signing key in
# the root too: dkms makes one where none is).
set +e
mok_signing_key=$root/var/lib/dkms/mok.key mok_certificate=$root/var/lib/dkms/mok.pub \
dkms build -m vmbus -v "$ver" -k "$fake_y" --dkmstree "$root/var/lib/dkms" \
	--sourcetree "$root/usr/src" --installtree "$root/lib/modules" --no-depmod \
	--kernelsourcedir "$root/lib/modules/$fake_y/build" >"$work/builtin.log" 2>&1
rc=$?
set -e
cat "$work/builtin.log" >>"$log"
[ $rc = 77 ] || fail "dkms build on $fake_y: status $rc, want 77 (skipped)"
grep -q "kernel $fake_y has CONFIG_HYPERV=y (VMBus built in): refused" "$work/builtin.log" ||
	fail "dkms build on $fake_y: no refusal message"
ok "dkms build -k $fake_y: status 77, $(grep -m1 -o "kernel $fake_y has.*" "$work/builtin.log")"

# Removal: Debian's hv_vmbus again.
"$root/usr/lib/vmbus-dkms/vmbus-dkms-kernels" remove --root "$root" >>"$log" 2>&1 ||
	fail "vmbus-dkms-kernels remove"
[ ! -e "$upd/hv_vmbus.ko" ] || fail "hv_vmbus.ko still under updates/dkms after remove"
res=$(modinfo -b "$root" -k "$abi" -n hv_vmbus)
case $res in
*/kernel/drivers/hv/hv_vmbus.ko) ;;
*) fail "after remove, hv_vmbus resolves to $res" ;;
esac
ok "removed: hv_vmbus -> ${res#"$root"}"
[ "$(ls -A /var/lib/dkms 2>/dev/null || true)" = "$host_dkms" ] ||
	fail "/var/lib/dkms of this machine changed"
echo "check-dkms: PASS ($(($(date +%s) - start)) s)"
