#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""bench_summary.py OUT_DIR: the one table at the end of `make bench`.

Reads the JSON files the parts of `make bench` wrote into OUT_DIR
(dispatch.json and ring.json from tools/testing/vmbus/ring/bench/bench.sh,
control.json, storvsc.json, netvsc.json and hvsock.json from the
bench-*.sh scripts of tools/testing/selftests/vmbus/qemu/) and prints every
figure beside its baseline from the same run, their ratio and, where the
project set one (Documentation/virt/hyperv/testing.rst, "make bench"), the
target and whether this run met it.  A file older than OUT_DIR/.bench-start
(written when `make bench` starts) is from an earlier run: it is named and
left out.  Exits 1 if a part's file is missing or stale, so that a summary
never mixes runs.
"""
import json
import os
import sys

out = sys.argv[1]
start = os.path.getmtime(os.path.join(out, '.bench-start'))
rows = []
problems = []


def load(name):
    path = os.path.join(out, name + '.json')
    if not os.path.exists(path):
        problems.append('%s: missing' % path)
        return None
    if os.path.getmtime(path) < start:
        problems.append('%s: from an earlier run, left out' % path)
        return None
    with open(path) as f:
        return json.load(f)


def row(area, figure, ours, base, ratio, target=None, met=None):
    verdict = '' if met is None else ('met' if met else 'NOT met')
    rows.append((area, figure, ours, base, '-' if ratio is None else '%.2fx' % ratio,
                 target or '', verdict))


d = load('dispatch')
if d:
    by = {(r['impl'], r['live'], r['k']): r['median'] for r in d['runs']}
    for live in sorted({r['live'] for r in d['runs']}):
        for k in sorted({r['k'] for r in d['runs']}):
            ours, lin, floor = (by[(i, live, k)] for i in ('ours', 'linux', 'floor'))
            fig = 'ns/interrupt, %d live, k=%d' % (live, k)
            row('dispatch', fig + ', vs Linux', '%.1f' % ours, '%.1f linux' % lin,
                ours / lin, '<= 1.00x', ours <= lin)
            row('dispatch', fig + ', vs floor', '%.1f' % ours, '%.1f floor' % floor,
                ours / floor, '<= 1.30x', ours <= 1.3 * floor)
            # No target: the floor with the map lookup and sched_lock.
            locked = by[('locked', live, k)]
            row('dispatch', fig + ', vs floor + lock', '%.1f' % ours,
                '%.1f +lock' % locked, ours / locked)

r = load('ring')
if r:
    med = r['mpps_median']
    for s in sorted(med['ours'], key=int):
        n = int(s)
        vl = r['ratio_to_linux']['ours'][s]
        want = 1.2 if n in (64, 4096, 16384) else None
        row('ring', 'Mpps, %d B, vs Linux' % n, '%.3f' % med['ours'][s],
            '%.3f linux' % med['linux'][s], vl,
            want and '>= %.2fx' % want, want and vl >= want)
        vp = r['ratio_to_plain'][s]
        want = 0.9 if n >= 4096 else (0.5 if n == 64 else None)
        row('ring', 'Mpps, %d B, vs plain SPSC' % n, '%.3f' % med['ours'][s],
            '%.3f plain' % med['plain'][s], vp,
            want and '>= %.2fx' % want, want and vp >= want)
        # No target: how near ours is to what the contract leaves any ring.
        row('ring', 'Mpps, %d B, vs plain + contract' % n, '%.3f' % med['ours'][s],
            '%.3f contract' % med['contract'][s], r['ratio_to_contract'][s])
    for s in sorted(r['irq']['ours'], key=int):
        o, lin = r['irq']['ours'][s], r['irq']['linux'][s]
        nl = o['notify_per_1000'] / lin['notify_per_1000'] if lin['notify_per_1000'] else 0
        row('ring', 'notifications/1000, %s B' % s, '%.1f' % o['notify_per_1000'],
            '%.1f linux' % lin['notify_per_1000'], nl, '<= 10 ours',
            o['notify_per_1000'] <= 10)
        ct = r['irq']['contract'][s]['notify_per_1000']
        row('ring', 'notifications/1000, %s B, vs contract' % s,
            '%.1f' % o['notify_per_1000'], '%.1f contract' % ct,
            o['notify_per_1000'] / ct if ct else None)
    row('ring', 'packets out of sequence', '%d' % r['out_of_sequence'],
        '%d checked' % r['packets_checked'], None, '0', r['out_of_sequence'] == 0)

c = load('control')
if c:
    names = {'offer': 'us per offer', 'rescind': 'us per rescind',
             'open': 'us per channel open', 'close': 'us per channel close',
             'hibernate': 'ms per hibernation cycle'}
    for w, label in names.items():
        x = c[w]
        base = '%.1f at %d' % (x['base'], x['base_n']) if w != 'hibernate' else \
            '%.1f empty' % x['base']
        target = met = None
        if w == 'offer':
            target, met = '<= 1.50x', x['ratio'] <= 1.5
        row('control', '%s, %d' % (label, x['n']), '%.1f' % x['value'], base,
            x['ratio'], target, met)

s = load('storvsc')
if s:
    for m, label in (('seq_write_1m_mbps', 'MB/s 1 MiB writes'),
                     ('seq_read_1m_mbps', 'MB/s 1 MiB reads'),
                     ('rand_read_4k_qd1_iops', 'IOPS 4 KiB reads, QD1'),
                     ('rand_read_4k_iops', 'IOPS 4 KiB reads')):
        target = met = None
        if m == 'seq_read_1m_mbps':
            target, met = '>= 0.50x', s['ratio'][m] >= 0.5
        row('storvsc', label + ' vs brd', '%.1f' % s['storvsc'][m],
            '%.1f brd' % s['brd'][m], s['ratio'][m], target, met)

n = load('netvsc')
if n:
    for m, label in (('tcp_mbps', 'Mb/s TCP'), ('udp_pps', 'datagrams/s UDP 64 B')):
        row('netvsc', label + ' vs veth', '%.1f' % n['netvsc'][m],
            '%.1f veth' % n['veth'][m], n['ratio'][m])

h = load('hvsock')
if h:
    for m, label in (('mbps', 'MB/s stream echo'), ('connect_us_median', 'us connect')):
        row('hvsock', label + ' vs AF_UNIX', '%.1f' % h['hvsock'][m],
            '%.1f unix' % h['unix'][m], h['ratio'][m])

print('make bench: every figure of this run beside its baseline from the same run; '
      'ratio: ours / baseline (medians; ring and control: median of the per-round ratios)')
cols = ('area', 'figure', 'ours', 'baseline', 'ratio', 'target', '')
width = [max(len(str(x[i])) for x in rows + [cols]) for i in range(len(cols))]
for line in [cols] + rows:
    print('  '.join(str(v).ljust(width[i]) if i < 2 else str(v).rjust(width[i])
                    for i, v in enumerate(line)).rstrip())
met = sum(1 for x in rows if x[6] == 'met')
unmet = [x for x in rows if x[6] == 'NOT met']
print('targets: %d met, %d not met' % (met, len(unmet)))
for p in problems:
    print('bench summary: %s' % p, file=sys.stderr)
sys.exit(1 if problems else 0)
