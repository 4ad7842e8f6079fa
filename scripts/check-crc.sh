#!/usr/bin/env bash
# check-crc.sh NAME KSYMVERS MODTREE [--allow-missing]: every symbol that
# the target kernel's own VMBus driver modules import from hv_vmbus must
# have, in our build (build/modules/NAME/Module.symvers), the CRC that the
# target kernel's Module.symvers (KSYMVERS) gives it.  MODTREE is the
# kernel's lib/modules/<version> directory holding those drivers.  With
# --allow-missing a driver the kernel does not build is reported, not failed
# (the debug kernel's minimal config lacks some of them).
set -euo pipefail
name=$1 ksymvers=$2 modtree=$3 allow_missing=${4:-}
repo=$(cd "$(dirname "$0")/.." && pwd)
ours=$repo/build/modules/$name/Module.symvers
drivers="hv_utils hv_balloon hv_sock uio_hv_generic hv_netvsc hv_storvsc
	 hid_hyperv hyperv_keyboard hyperv_drm pci_hyperv"

[ -f "$ours" ] || { echo "check-crc: $ours missing: build the modules first" >&2; exit 1; }
[ -f "$ksymvers" ] || { echo "check-crc: $ksymvers missing" >&2; exit 1; }

crc_of() { awk -v s="$2" '$2 == s { print $1; exit }' "$1"; }

# Symbols hv_vmbus exports in the target kernel.
mapfile -t exported < <(awk '$3 ~ /drivers\/hv\/hv_vmbus$/ { print $2 }' "$ksymvers")
[ ${#exported[@]} -gt 0 ] || { echo "check-crc: no hv_vmbus exports in $ksymvers" >&2; exit 1; }

find_module() {
	local m=$1
	find "$modtree/kernel" \( -name "$m.ko*" -o -name "${m//_/-}.ko*" \) | head -n 1
}

fail=0 checked=0
for m in $drivers; do
	ko=$(find_module "$m")
	if [ -z "$ko" ]; then
		printf 'check-crc: %s: %-16s not built for this kernel\n' "$name" "$m"
		[ "$allow_missing" = --allow-missing ] || fail=1
		continue
	fi
	bad=() n=0
	while read -r crc sym; do
		printf '%s\n' "${exported[@]}" | grep -qxF "$sym" || continue
		n=$((n + 1))
		mine=$(crc_of "$ours" "$sym")
		[ "$mine" = "$(printf '0x%08x' "$crc")" ] || bad+=("$sym(want $(printf '0x%08x' "$crc"), have ${mine:-none})")
	done < <(/sbin/modprobe --dump-modversions "$ko")
	checked=$((checked + n))
	if [ ${#bad[@]} -eq 0 ]; then
		printf 'check-crc: %s: %-16s %2d symbols match\n' "$name" "$m" "$n"
	else
		printf 'check-crc: %s: %-16s MISMATCH %s\n' "$name" "$m" "${bad[*]}"
		fail=1
	fi
done
[ $fail -eq 0 ] || exit 1
echo "check-crc: $name: all $checked imports match"
