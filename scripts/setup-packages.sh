#!/usr/bin/env bash
# Install the Debian packages that building and testing need.  Idempotent:
# packages already present are not touched, and apt-get update runs at most
# once per day.
set -euo pipefail

PKGS=(build-essential bc bison flex libelf-dev libssl-dev dwarves rsync cpio
      kmod xz-utils zstd busybox-static qemu-system-x86 sparse spin
      linux-source-6.1 linux-source-6.12 python3 perl gawk hyperv-daemons e2fsprogs util-linux
      clang libclang-rt-14-dev gnuplot-nox kexec-tools iperf3 sg3-utils dkms)

SUDO=
[ "$(id -u)" = 0 ] || SUDO=sudo
export DEBIAN_FRONTEND=noninteractive

stamp=/var/lib/apt/periodic/vmbus-update-stamp
fresh_lists() {
	[ -e "$stamp" ] && [ -n "$(find "$stamp" -mmin -1440 2>/dev/null)" ]
}
if ! fresh_lists; then
	$SUDO apt-get update -qq
	$SUDO mkdir -p "$(dirname "$stamp")" && $SUDO touch "$stamp"
fi

# The newest 6.1 ABI whose headers and image are both in the registry.
abi=$("$(dirname "$0")/kernel-abi.sh")
PKGS+=("linux-headers-$abi")

missing=()
for p in "${PKGS[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' ||
		missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
	echo "setup: installing ${missing[*]}"
	$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
