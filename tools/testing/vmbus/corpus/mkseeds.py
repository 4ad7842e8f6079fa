#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
#
# mkseeds.py: writes the seed inputs of the userspace fuzzers into
# corpus/<fuzzer>/ next to this script.  The input layouts are described at
# the top of each fuzzer (ring/fuzz_ring.c).
import os
import struct

DATASIZE = 8192
here = os.path.dirname(os.path.abspath(__file__))


def packet(tid, payload, start):
    """A data packet as a host writes it at offset start: descriptor,
    payload, zero pad, trailer with start << 32."""
    total = (16 + len(payload) + 7) & ~7
    body = struct.pack('<HHHHQ', 6, 2, total >> 3, 0, tid) + payload
    body += b'\0' * (total - len(body))
    return body + struct.pack('<Q', start << 32)


def ring_hdr(in_w, in_r, pending=0, feat=1, out_w=0, out_r=0, mask=0,
             glen=0, bufsz=255, mode=0, tamper=0):
    return struct.pack('<IIIIIIIHBBI', in_w, in_r, pending, feat, out_w,
                       out_r, mask, glen, bufsz, mode, tamper)


def packets(sizes):
    data, off = b'', 0
    for i, n in enumerate(sizes):
        p = packet(i + 1, bytes((i + j) & 0xff for j in range(n)), off)
        data += p
        off += len(p)
    return data


def seeds():
    three = packets([8, 40, 100])
    yield 'empty', ring_hdr(0, 0)
    yield 'three', ring_hdr(len(three), 0) + three
    yield 'three-iter', ring_hdr(len(three), 0, pending=4096, mode=2) + three
    yield 'three-raw-small', ring_hdr(len(three), 0, bufsz=3, mode=1) + three
    yield 'tamper', ring_hdr(len(three), 0, mode=8, tamper=8) + three
    yield 'write', ring_hdr(0, 0, out_w=64, out_r=64, glen=100, mode=4)
    yield 'write-full', ring_hdr(0, 0, out_w=8000, out_r=8, glen=300, mode=4)
    # One packet that wraps around the end of the data area.
    start = DATASIZE - 40
    p = packet(9, bytes(range(64)), start)
    area = bytearray(DATASIZE)
    area[start:] = p[:40]
    area[:len(p) - 40] = p[40:]
    yield 'wrap', ring_hdr(len(p) - 40, start, mode=2) + bytes(area)


def synic(msgtype, body, size=None):
    """A SynIC message (fuzz_msg.c): header, then the channel message."""
    payload = struct.pack('<II', msgtype, 0) + body
    n = len(payload) if size is None else size
    return struct.pack('<IBBHQ', 1, n, 0, 0, 0) + payload


def offer(relid, monitorid=0, monitored=0, sub=0):
    body = bytes(range(32)) + b'\0' * 16 + struct.pack('<HH', 0, 0)
    body += b'\0' * 120 + struct.pack('<HH', sub, 0)
    return body + struct.pack('<IBBHI', relid, monitorid, monitored, 0, relid)


def msg_seeds():
    yield 'offer', synic(1, offer(5))
    yield 'offer-monitored', synic(1, offer(2047, 127, 1))
    yield 'offer-bad-relid', synic(1, offer(2048))
    yield 'offer-bad-monitor', synic(1, offer(9, 128, 1))
    yield 'offer-short', synic(1, offer(5), 195)
    yield 'rescind', synic(2, struct.pack('<I', 5))
    yield 'alloffers', synic(4, b'')
    yield 'version-old', synic(15, struct.pack('<BBH', 1, 0, 0))
    yield 'version', synic(15, struct.pack('<BBHI', 1, 0, 0, 4))
    yield 'open-result', synic(6, struct.pack('<III', 5, 1, 0))
    yield 'gpadl-created', synic(10, struct.pack('<III', 5, 9, 0))
    yield 'gpadl-torndown', synic(12, struct.pack('<I', 9))
    yield 'modify-response', synic(24, struct.pack('<II', 5, 0))
    yield 'tl-result', synic(23, bytes(32) + struct.pack('<i', -1))
    yield 'guest-type', synic(5, bytes(32))
    yield 'type-too-big', synic(25, b'')
    yield 'size-too-big', synic(4, b'', 241)


def negotiate(fw, srv, count_fw=None, count_srv=None, extra=0):
    """An ICMSGTYPE_NEGOTIATE packet: pipe header, IC header, the lists."""
    nfw = len(fw) if count_fw is None else count_fw
    nsrv = len(srv) if count_srv is None else count_srv
    body = struct.pack('<HHI', nfw, nsrv, 0)
    body += b''.join(struct.pack('<HH', a, b) for a, b in fw + srv)
    ic = struct.pack('<HHHHHHIBBH', 1, 0, 0, 3, 0, len(body), 0, 0, 0, 0)
    return struct.pack('<II', 0, len(ic) + len(body)) + ic + body + bytes(extra)


def icneg_seeds():
    yield 'heartbeat', bytes([0, 0]) + negotiate([(3, 0), (1, 0)],
                                                 [(3, 0), (1, 0)])
    yield 'kvp', bytes([0, 1]) + negotiate([(3, 0)], [(4, 0), (5, 0)])
    yield 'no-common', bytes([0, 2]) + negotiate([(3, 0)], [(9, 9)])
    yield 'one-short', bytes([0, 0]) + negotiate([(3, 0)], [])
    yield 'counts-lie', bytes([0, 0]) + negotiate([(3, 0)], [(3, 0)], 100, 100)
    yield 'counts-over', bytes([0, 0]) + negotiate([(3, 0)], [(3, 0)], 101, 0)
    yield 'truncated', (bytes([0, 0]) + negotiate([(3, 0)], [(3, 0)]))[:30]


for fuzzer, gen in (('fuzz_ring', seeds), ('fuzz_msg', msg_seeds),
                    ('fuzz_icneg', icneg_seeds)):
    os.makedirs(os.path.join(here, fuzzer), exist_ok=True)
    for name, blob in gen():
        with open(os.path.join(here, fuzzer, name), 'wb') as f:
            f.write(blob)
