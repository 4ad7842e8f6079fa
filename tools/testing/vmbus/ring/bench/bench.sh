#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# bench.sh [--build] [PACKETS_64B]: make bench (--build: only build them,
# as make check does).  First the dispatch loop: builds
# bench_dispatch.c with our drivers/hv/vmbus_event.c and the target
# kernel's vmbus_chan_sched() (extracted from its vmbus_drv.c into
# build/bench/linux/, never committed) and two floors, runs them (median,
# min and max of 7 runs), prints a table with ratios to the kernel's loop
# and writes build/bench/dispatch.json.  Then the ring: builds
# bench_ring.c four times (our drivers/hv/ring_buffer.c; the target
# kernel's own ring_buffer.c, extracted from the linux-source package into
# build/bench/linux/ and never committed; a plain SPSC ring; the plain ring
# with the barriers the signalling contract needs), runs each at
# 64 B to 16 KiB payloads in 5 rounds of one run each (two pinned
# threads; a busy-polling consumer, then an interrupt-driven one that
# counts notifications), prints tables of Mpps, ratios and notifications
# per 1,000 packets, and writes build/bench/ring.json and a plot of
# throughput against payload size, build/bench/ring.png (gnuplot).  Last,
# ring_spsc.c built without sanitizers streams SPSC_PACKETS (100 million)
# packets of 1 to 1000 bytes through our ring and checks every one.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
ring=$(dirname "$here")
repo=$(cd "$ring/../../../.." && pwd)
out=$repo/build/bench
src=/usr/src/linux-source-6.1.tar.xz
build_only=0
if [ "${1:-}" = --build ]; then build_only=1; shift; fi
packets=${1:-2000000}
spsc_packets=${SPSC_PACKETS:-100000000}

mkdir -p "$out/linux"
# Only ring_buffer.c (its private header is bench/linux-shim/hyperv_vmbus.h)
# and vmbus_drv.c, of which only vmbus_chan_sched() is kept.
tar -xJf "$src" -C "$out/linux" --strip-components=3 \
	linux-source-6.1/drivers/hv/ring_buffer.c \
	linux-source-6.1/drivers/hv/vmbus_drv.c
[ -e "$out/linux/ring_buffer.c" ] || { echo "bench: no ring_buffer.c in $src" >&2; exit 1; }

# vmbus_event.c does READ_ONCE() of a packed member of a host message: the
# kernel's build does not warn of its address, and x86 loads it whole
# unaligned, so neither warning applies to the shim's atomic load (which
# libatomic does; only the crash path's message check uses it).
cflags=(-std=gnu11 -O2 -g -Wall -Werror -Wno-address-of-packed-member
	-Wno-atomic-alignment -I"$ring/shim" -I"$ring")

# The dispatch loop.
awk '/^static void vmbus_chan_sched\(/,/^}/' "$out/linux/vmbus_drv.c" \
	>"$out/linux/vmbus_chan_sched.c"
rm -f "$out/linux/vmbus_drv.c"
[ -s "$out/linux/vmbus_chan_sched.c" ] ||
	{ echo "bench: no vmbus_chan_sched() in $src" >&2; exit 1; }
clang "${cflags[@]}" -I"$repo/include" -I"$repo/drivers/hv" -I"$out/linux" \
	"$here/bench_dispatch.c" "$here/bench_linux_sched.c" -o "$out/bench_dispatch" -latomic
# The rings.
ours=(-I"$repo/include" -I"$repo/drivers/hv" "$repo/drivers/hv/ring_buffer.c")
clang "${cflags[@]}" -DBENCH_OURS "${ours[@]}" "$here/bench_ring.c" \
	"$ring/shim.c" -o "$out/bench_ours" -lpthread
clang "${cflags[@]}" -DBENCH_PLAIN "${ours[@]}" "$here/bench_ring.c" \
	"$ring/shim.c" -o "$out/bench_plain" -lpthread
clang "${cflags[@]}" -DBENCH_CONTRACT "${ours[@]}" "$here/bench_ring.c" \
	"$ring/shim.c" -o "$out/bench_contract" -lpthread
clang "${cflags[@]}" -I"$here/linux-shim" -DBENCH_LINUX "$here/bench_ring.c" \
	"$out/linux/ring_buffer.c" "$ring/shim.c" -o "$out/bench_linux" -lpthread
# The lossless check at full speed: make check runs it under TSan, shorter.
clang "${cflags[@]}" "${ours[@]}" "$ring/ring_spsc.c" "$ring/shim.c" \
	-o "$out/ring_spsc" -lpthread
# --build: the lanes of make check only build them, and run the dispatch
# loop's functional check of the scan mark.
if [ "$build_only" = 1 ]; then
	"$out/bench_dispatch" check
	echo "bench: built in $out"
	exit 0
fi

"$out/bench_dispatch" 7 >"$out/dispatch.jsonl"
python3 - "$out/dispatch.jsonl" "$out/dispatch.json" <<'PY'
import json
import sys

rows = [json.loads(line) for line in open(sys.argv[1])]
by = {(r['impl'], r['live'], r['k']): r for r in rows}
print('dispatch: ns per interrupt, median [min-max] of 7 runs '
      '(ratio of medians to the kernel\'s vmbus_chan_sched())')
print('%5s %3s %22s %30s %30s %30s' % ('live', 'k', 'linux', 'ours', 'floor', 'floor + lock'))
for live in sorted({r['live'] for r in rows}):
    for k in sorted({r['k'] for r in rows}):
        base = by[('linux', live, k)]
        cells = []
        for i in ('ours', 'floor', 'locked'):
            r = by[(i, live, k)]
            r['ratio_to_linux'] = r['median'] / base['median']
            cells.append('%8.1f [%7.1f-%7.1f] %5.2fx' % (
                r['median'], r['min'], r['max'], r['ratio_to_linux']))
        base['ratio_to_linux'] = 1.0
        print('%5d %3d %8.1f [%5.1f-%6.1f] %s %s %s' % (
            live, k, base['median'], base['min'], base['max'], *cells))
json.dump({'unit': 'ns per interrupt (thread CPU time)', 'runs': rows},
          open(sys.argv[2], 'w'), indent=1)
print('bench: wrote %s' % sys.argv[2])
PY

# The ring: ROUNDS rounds, each one run of every ring in turn, so that a
# change in the machine's speed during the bench hits all four alike;
# every ratio is taken within a round.  Then the interrupt-driven consumer
# (all but the plain ring, which has no notifications).
rounds=5
: >"$out/ring.jsonl"
for mode in poll irq; do
	impls="linux ours plain contract"
	[ "$mode" = poll ] || impls="linux ours contract"
	for _ in $(seq "$rounds"); do
		for impl in $impls; do
			"$out/bench_$impl" "$impl" "$packets" "$mode" 1 >>"$out/ring.jsonl"
		done
	done
done

python3 - "$out/ring.jsonl" "$out/ring.json" "$rounds" <<'PY'
import json
import statistics
import sys

rows = [json.loads(line) for line in open(sys.argv[1])]
rounds = int(sys.argv[3])
runs = {}
for r in rows:
    runs.setdefault((r['impl'], r['mode'], r['size']), []).append(r)
sizes = sorted({r['size'] for r in rows})


def mpps(impl, mode, size):
    return [r['median'] for r in runs[(impl, mode, size)]]


def ratios(a, b, mode, size):
    return [x / y for x, y in zip(mpps(a, mode, size), mpps(b, mode, size))]


def cell(v):
    return '%5.2fx [%4.2f-%4.2f]' % (statistics.median(v), min(v), max(v))


impls = ('linux', 'ours', 'plain', 'contract')
out = {'rounds': rounds, 'runs': rows, 'ratio_to_linux': {}, 'ratio_to_plain': {},
       'ratio_to_contract': {}, 'irq': {},
       'mpps_median': {i: {str(s): statistics.median(mpps(i, 'poll', s)) for s in sizes}
                       for i in impls}}
print('ring: Mpps, median of %d rounds; ratios: median [min-max] of the rounds\''
      ' ratios (one run of each ring per round); contract: the plain ring plus'
      ' the signalling contract\'s barriers' % rounds)
print('%8s %7s %7s %7s %8s %20s %20s %20s %20s' % (
    'payload', 'linux', 'ours', 'plain', 'contract', 'ours/linux', 'plain/linux',
    'ours/plain', 'ours/contract'))
for s in sizes:
    ol, pl, op, oc = (ratios('ours', 'linux', 'poll', s), ratios('plain', 'linux', 'poll', s),
                      ratios('ours', 'plain', 'poll', s),
                      ratios('ours', 'contract', 'poll', s))
    out['ratio_to_linux'].setdefault('ours', {})[str(s)] = statistics.median(ol)
    out['ratio_to_linux'].setdefault('plain', {})[str(s)] = statistics.median(pl)
    out['ratio_to_plain'][str(s)] = statistics.median(op)
    out['ratio_to_contract'][str(s)] = statistics.median(oc)
    print('%7dB %7.3f %7.3f %7.3f %8.3f %20s %20s %20s %20s' % (
        s, *(out['mpps_median'][i][str(s)] for i in impls),
        cell(ol), cell(pl), cell(op), cell(oc)))
print('ring, interrupt-driven consumer (masked while it drains, sleeps on an '
      'empty ring until notified): Mpps and the producer\'s notifications per '
      '1,000 packets, median of %d rounds' % rounds)
print('%8s %10s %12s %10s %12s %13s %12s' % (
    'payload', 'linux Mpps', 'notify/1000', 'ours Mpps', 'notify/1000',
    'contract Mpps', 'notify/1000'))
for s in sizes:
    cells = []
    for i in ('linux', 'ours', 'contract'):
        v = mpps(i, 'irq', s)
        n = [r['notify_median'] for r in runs[(i, 'irq', s)]]
        out['irq'].setdefault(i, {})[str(s)] = {
            'mpps': statistics.median(v), 'notify_per_1000': statistics.median(n),
            'notify_min': min(n), 'notify_max': max(n)}
        cells += ['%10.3f' % statistics.median(v),
                  '%5.1f [%.0f-%.0f]' % (statistics.median(n), min(n), max(n))]
    print('%7dB %s %12s %s %12s    %10s %12s' % (s, *cells))
checked = sum(r['packets'] * len(r['mpps']) for r in rows)
bad = sum(r['out_of_sequence'] for r in rows)
out['packets_checked'] = checked
out['out_of_sequence'] = bad
print('ring: %d packets, each checked for its sequence number: %d out of sequence'
      % (checked, bad))
json.dump(out, open(sys.argv[2], 'w'), indent=1)
print('bench: wrote %s' % sys.argv[2])
if bad:
    sys.exit(1)
PY

# The plot: one line per ring, payload bytes per second (medians) against
# the payload size; the data file has one row per size.
python3 - "$out/ring.json" "$out/ring.dat" <<'PY'
import json
import sys

med = json.load(open(sys.argv[1]))['mpps_median']
with open(sys.argv[2], 'w') as f:
    f.write('# payload linux ours plain contract (MB/s of payload, median)\n')
    for s in sorted(med['ours'], key=int):
        f.write('%s %s\n' % (s, ' '.join('%.1f' % (med[i][s] * int(s))
                                         for i in ('linux', 'ours', 'plain', 'contract'))))
PY
gnuplot <<GP
set terminal png size 900,560 noenhanced
set output '$out/ring.png'
set title 'VMBus ring throughput, one producer and one consumer thread'
set xlabel 'payload bytes per packet'
set ylabel 'payload MB/s (median of 5 rounds)'
set logscale x 2
set yrange [0:*]
set key top left
set grid
plot '$out/ring.dat' using 1:2 with linespoints title 'Linux 6.1 ring_buffer.c', \\
     '' using 1:3 with linespoints title 'ours', \\
     '' using 1:4 with linespoints title 'plain SPSC ring', \\
     '' using 1:5 with linespoints title 'plain ring + signalling contract'
GP
echo "bench: wrote $out/ring.png"

# Nothing lost over many packets: the two-thread test, no sanitizer.
echo "ring: $spsc_packets packets of 1 to 1000 bytes through our ring (ring_spsc)"
"$out/ring_spsc" "$spsc_packets" | grep -v '^ok 1 '
