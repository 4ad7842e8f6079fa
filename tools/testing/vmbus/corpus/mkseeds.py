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


for name, blob in seeds():
    with open(os.path.join(here, 'fuzz_ring', name), 'wb') as f:
        f.write(blob)
