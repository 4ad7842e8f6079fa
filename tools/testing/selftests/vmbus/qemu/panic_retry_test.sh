#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# panic_retry_test.sh: which guest panics run.sh boots once more (TAP).
# early_panic(): a panic before the first module of ours loaded;
# stale_int3(): an "Oops: int3" in the kernel's own text whose breakpoint
# byte is gone from the dump's Code line (the kernel's text patching under
# TCG); anything else fails the lane.  The consoles are made up, in the
# kernel's format.  Run by `make check-userspace`.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tools/testing/selftests/vmbus/qemu/run.sh
. "$here/run.sh"
set +e
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
# shellcheck source=tools/testing/vmbus/tap.sh
. "$here/../../../vmbus/tap.sh"

# oops FILE RIP CODE: a console in which a module of ours loaded, then an
# int3 Oops at RIP with the Code bytes CODE, then the panic.
oops() {
	cat >"$1" <<OOPS
[    3.100000] hv_vmbus: loading out-of-tree module taints kernel.
[  101.507657] Oops: int3: 0000 [#1] PREEMPT SMP NOPTI
[  101.508291] CPU: 2 UID: 0 PID: 20 Comm: kworker Tainted: G           OE      6.12.0 #1
[  101.510919] RIP: 0010:$2
[  101.512087] Code: 48 8b 45 10 48 89 ef e8 45 02 bf 00 $3 e8 3e 02 bf 00 44 89 f0
[  101.512737] Call Trace:
[  101.515875] Kernel panic - not syncing: Fatal exception in interrupt
OOPS
}

# expect WANT FUNC FILE TEXT: FUNC FILE says yes (WANT 0) or no (WANT 1).
expect() {
	local want=$1 got=0

	"$2" "$3" || got=1
	[ "$got" = "$want" ]
	ok $? "$4"
}

oops "$dir/stale" "kthread_worker_fn+0xac/0x220" "66 <90>"
expect 0 stale_int3 "$dir/stale" \
	"int3 in the kernel's text, the byte before RIP no longer 0xcc: stale"
oops "$dir/live" "kthread_worker_fn+0xac/0x220" "cc <90>"
expect 1 stale_int3 "$dir/live" "int3 byte still in the text: not stale, the lane fails"
oops "$dir/module" "vmbus_isr+0x2c/0x90 [hv_vmbus]" "66 <90>"
expect 1 stale_int3 "$dir/module" "int3 in a module: not stale"
sed 's/Oops: int3: 0000/BUG: kernel NULL pointer dereference, address: 0000000000000100\n[  101.507700] Oops: 0000/' \
	"$dir/stale" >"$dir/null"
expect 1 stale_int3 "$dir/null" "another Oops with the same Code line: not stale"
expect 1 early_panic "$dir/stale" "a panic after a module of ours loaded is not early"
sed '1d' "$dir/stale" >"$dir/early"
expect 0 early_panic "$dir/early" "the same panic before any module of ours loaded is early"

echo "1..$n"
exit "$tap_status"
