#!/usr/bin/env python3
"""Cost of rewriting work-tree files three ways on this machine's disk.

A batch rewrites each changed source's files (400 files for 100 sources).
This times, for 100 folders of 4 files of 20 KB in a temporary folder
under DIR (default: the system's temporary folder):

- replace: write a temporary file, rename it over the old one (frees the
  old file's blocks);
- truncate: open the old file truncated, write (frees and allocates blocks);
- in place: open the old file without truncating, write the same size
  (neither frees nor allocates).

On a file system that discards freed blocks (ext4 mounted with `discard`),
the first two cost far more than the third; BENCHMARKS.md has the figures.

usage: scripts/bench-file-replace.py [DIR] [ROUNDS]
"""
import os
import sys
import tempfile
import time

base = sys.argv[1] if len(sys.argv) > 1 else None
rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 3
with tempfile.TemporaryDirectory(dir=base) as d:
    data = [os.urandom(20000) for _ in range(4)]
    paths = []
    for i in range(100):
        os.makedirs(f"{d}/s{i}")
        for j in range(4):
            p = f"{d}/s{i}/f{j}"
            with open(p, "wb") as f:
                f.write(data[j])
            paths.append((p, j))

    def replace(gen):
        for p, j in paths:
            tmp = p + ".tmp"
            with open(tmp, "wb") as f:
                f.write(data[(j + gen) % 4])
            os.rename(tmp, p)

    def truncate(gen):
        for p, j in paths:
            with open(p, "wb") as f:
                f.write(data[(j + gen) % 4])

    def in_place(gen):
        for p, j in paths:
            fd = os.open(p, os.O_WRONLY)
            os.write(fd, data[(j + gen) % 4])
            os.close(fd)

    print(f"{len(paths)} files of 20 KB in {d}")
    for gen in range(rounds):
        times = []
        for way in (replace, truncate, in_place):
            t = time.perf_counter()
            way(gen)
            times.append((time.perf_counter() - t) * 1000)
        print("replace %.1f ms   truncate %.1f ms   in place %.1f ms" % tuple(times))
