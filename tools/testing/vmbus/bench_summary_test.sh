#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# bench_summary_test.sh: bench_summary.py on made-up JSON files of every
# part of `make bench` (TAP): each verdict follows its target, and a
# missing or stale file fails the summary instead of being shown.  Run by
# `make check-userspace`.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
# shellcheck source=tools/testing/vmbus/tap.sh
. "$here/tap.sh"

# has TEXT: the last summary has a line matching the extended regex TEXT.
has() { grep -Eq "$1" "$dir/out"; }

touch -d '1 minute ago' "$dir/.bench-start"
cat >"$dir/dispatch.json" <<'EOF'
{"runs": [
 {"impl": "linux", "live": 64, "k": 1, "median": 20.0},
 {"impl": "ours", "live": 64, "k": 1, "median": 10.0},
 {"impl": "floor", "live": 64, "k": 1, "median": 9.0},
 {"impl": "locked", "live": 64, "k": 1, "median": 8.0}]}
EOF
cat >"$dir/ring.json" <<'EOF'
{"mpps_median": {"linux": {"64": 2.0, "4096": 1.0}, "ours": {"64": 2.2, "4096": 1.3},
                 "plain": {"64": 4.0, "4096": 1.3}, "contract": {"64": 2.0, "4096": 1.3}},
 "ratio_to_linux": {"ours": {"64": 1.1, "4096": 1.3}},
 "ratio_to_plain": {"64": 0.55, "4096": 1.0},
 "ratio_to_contract": {"64": 1.1, "4096": 1.0},
 "irq": {"linux": {"64": {"notify_per_1000": 4.0}, "4096": {"notify_per_1000": 0.0}},
         "ours": {"64": {"notify_per_1000": 2.0}, "4096": {"notify_per_1000": 30.0}},
         "contract": {"64": {"notify_per_1000": 4.0}, "4096": {"notify_per_1000": 0.0}}},
 "packets_checked": 1000, "out_of_sequence": 0}
EOF
cat >"$dir/control.json" <<'EOF'
{"offer": {"base_n": 64, "base": 100.0, "n": 2047, "value": 160.0, "ratio": 1.6},
 "rescind": {"base_n": 64, "base": 100.0, "n": 2047, "value": 90.0, "ratio": 0.9},
 "open": {"base_n": 16, "base": 10.0, "n": 256, "value": 10.0, "ratio": 1.0},
 "close": {"base_n": 16, "base": 10.0, "n": 256, "value": 10.0, "ratio": 1.0},
 "hibernate": {"base_n": 0, "base": 800.0, "n": 256, "value": 1600.0, "ratio": 2.0}}
EOF
cat >"$dir/storvsc.json" <<'EOF'
{"storvsc": {"seq_write_1m_mbps": 1, "seq_read_1m_mbps": 60, "rand_read_4k_qd1_iops": 1,
             "rand_read_4k_iops": 1},
 "brd": {"seq_write_1m_mbps": 2, "seq_read_1m_mbps": 100, "rand_read_4k_qd1_iops": 2,
         "rand_read_4k_iops": 2},
 "ratio": {"seq_write_1m_mbps": 0.5, "seq_read_1m_mbps": 0.6, "rand_read_4k_qd1_iops": 0.5,
           "rand_read_4k_iops": 0.5}}
EOF
cat >"$dir/netvsc.json" <<'EOF'
{"netvsc": {"tcp_mbps": 10, "udp_pps": 10}, "veth": {"tcp_mbps": 20, "udp_pps": 20},
 "ratio": {"tcp_mbps": 0.5, "udp_pps": 0.5}}
EOF
cat >"$dir/hvsock.json" <<'EOF'
{"hvsock": {"mbps": 10, "connect_us_median": 100}, "unix": {"mbps": 20, "connect_us_median": 10},
 "ratio": {"mbps": 0.5, "connect_us_median": 10.0}}
EOF

echo "TAP version 13"
echo "1..10"
"$here/bench_summary.py" "$dir" >"$dir/out" 2>"$dir/err"
ok $? "every part present and from this run: exit status 0"
has '^dispatch +ns/interrupt, 64 live, k=1, vs Linux +10\.0 +20\.0 linux +0\.50x +<= 1\.00x +met$'
ok $? "dispatch: ours at half Linux's time meets its target"
has '^dispatch +ns/interrupt, 64 live, k=1, vs floor +10\.0 +9\.0 floor +1\.11x +<= 1\.30x +met$' &&
	has '^dispatch +ns/interrupt, 64 live, k=1, vs floor \+ lock +10\.0 +8\.0 \+lock +1\.25x$'
ok $? "dispatch: ours within 1.3x of the floor meets its target; floor + lock has none"
has '^ring +Mpps, 64 B, vs Linux .* 1\.10x +>= 1\.20x +NOT met$' &&
	has '^ring +Mpps, 4096 B, vs plain SPSC .* 1\.00x +>= 0\.90x +met$'
ok $? "ring: throughput verdicts follow the per-size targets"
has '^ring +notifications/1000, 4096 B +30\.0 .* NOT met$' &&
	has '^ring +notifications/1000, 64 B +2\.0 .* met$'
ok $? "ring: more than 10 notifications per 1,000 packets is not met"
has '^ring +Mpps, 64 B, vs plain \+ contract +2\.200 +2\.000 contract +1\.10x$' &&
	has '^ring +notifications/1000, 64 B, vs contract +2\.0 +4\.0 contract +0\.50x$' &&
	has '^ring +notifications/1000, 4096 B, vs contract +30\.0 +0\.0 contract +-$'
ok $? "ring: the contract ring's rows carry no target"
has '^control +us per offer, 2047 +160\.0 +100\.0 at 64 +1\.60x +<= 1\.50x +NOT met$'
ok $? "control: per-offer time at 2047 above 1.5x that at 64 is not met"
has '^storvsc +MB/s 1 MiB reads vs brd .* 0\.60x +>= 0\.50x +met$' &&
	has '^netvsc +Mb/s TCP vs veth' && has '^hvsock +us connect vs AF_UNIX .* 10\.00x$'
ok $? "storvsc, netvsc and hvsock rows with their ratios"

touch -d '2 minutes ago' "$dir/netvsc.json"
"$here/bench_summary.py" "$dir" >"$dir/out" 2>"$dir/err"
rc=$?
[ "$rc" = 1 ] && grep -q 'netvsc.json: from an earlier run, left out' "$dir/err" &&
	! has '^netvsc '
ok $? "a file older than .bench-start is named, left out, and fails the summary"

rm "$dir/hvsock.json"
"$here/bench_summary.py" "$dir" >"$dir/out" 2>"$dir/err"
rc=$?
[ "$rc" = 1 ] && grep -q 'hvsock.json: missing' "$dir/err"
ok $? "a missing file fails the summary"
exit "$tap_status"
