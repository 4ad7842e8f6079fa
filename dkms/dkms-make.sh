#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# dkms-make.sh KDIR KVER: the MAKE command of dkms.conf, run by dkms in its
# copy of /usr/src/vmbus-<version>.  Builds vmbus_platform, hv_vmbus and
# vmbus_sim against the kernel build tree KDIR, after refusing a kernel whose
# VMBus is built in (dkms.conf already skips those; this covers --force and
# builds by hand).
set -e
kdir=$1 kver=$2
here=$(pwd)
conf=$kdir/.config
[ -f "$conf" ] || conf=$kdir/include/config/auto.conf
if grep -qsx 'CONFIG_HYPERV=y' "$conf" "/boot/config-$kver"; then
	echo "vmbus-dkms: kernel $kver has CONFIG_HYPERV=y (VMBus built in):" \
		"refused, hv_vmbus can only replace a modular VMBus" >&2
	exit 1
fi
shift 2
# dkms appends CC=/LD= for clang-built kernels; pass them on.
exec make -C "$kdir" M="$here/drivers/hv" KERNELRELEASE="$kver" -j"$(nproc)" "$@" modules
