#!/usr/bin/env python3
"""Writes a large redline store for benchmarking `redline report`.

    scripts/make-report-store.py STORE SOURCES DAYS [PARAGRAPHS]

STORE must be a store made by `redline init`. Every source gets one version
per night for DAYS nights (ending 2025-12-31), each an edit of 2 % of its
PARAGRAPHS (default 50: one paragraph a night) -- the shape of a store that
tracks SOURCES publications nightly and sees small edits. The history is
written with `git fast-import` (one commit per source per night, in the
layout redline writes), so building a store of tens of thousands of versions
takes seconds rather than a batch run per night.
"""

import datetime
import random
import subprocess
import sys

WORDS = (
    "treaty alliance security policy regional strategic deterrence council "
    "minister agreement nuclear defense cooperation report analysis budget "
    "framework election economy region statement review summit program"
).split()


def paragraph(rng, n_words=45):
    words = [rng.choice(WORDS) for _ in range(n_words)]
    return " ".join(words).capitalize() + "."


def document_md(source, body):
    front = (
        "---\n"
        f'title: "Benchmark publication {source}"\n'
        'series: "Policy Paper"\n'
        "published: 2025-01-15\n"
        'authors: ["A. Author"]\n'
        'topics: ["Benchmarks"]\n'
        "---\n\n"
    )
    parts = []
    for i, text in enumerate(body):
        if i % 10 == 0:
            parts.append(f"## Section {i // 10 + 1}")
        parts.append(text)
    return front + "\n\n".join(parts) + "\n"


def data(out, text):
    raw = text.encode("utf-8")
    out.write(b"data %d\n" % len(raw))
    out.write(raw)
    out.write(b"\n")


def main():
    if len(sys.argv) < 4:
        sys.exit(__doc__)
    store, n_sources, n_days = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    n_paragraphs = int(sys.argv[4]) if len(sys.argv) > 4 else 50
    edits = max(1, round(n_paragraphs * 0.02))
    rng = random.Random(4287)
    head = subprocess.run(
        ["git", "-C", store, "rev-parse", "HEAD"], capture_output=True, text=True, check=True
    ).stdout.strip()
    sources = [f"bench-{i:03d}" for i in range(n_sources)]
    bodies = {s: [paragraph(rng) for _ in range(n_paragraphs)] for s in sources}
    end = datetime.datetime(2025, 12, 31, 3, 0, tzinfo=datetime.timezone.utc)
    start = end - datetime.timedelta(days=n_days - 1)

    proc = subprocess.Popen(
        ["git", "-C", store, "fast-import", "--quiet", "--force"], stdin=subprocess.PIPE
    )
    out = proc.stdin
    parent = head
    mark = 0
    for day in range(n_days):
        night = start + datetime.timedelta(days=day)
        for k, s in enumerate(sources):
            body = bodies[s]
            first = day == 0
            if not first:
                for _ in range(edits):
                    i = rng.randrange(len(body))
                    words = body[i].rstrip(".").split(" ")
                    words[rng.randrange(len(words))] = rng.choice(WORDS)
                    body[i] = " ".join(words) + "."
            when = night + datetime.timedelta(seconds=k)
            stamp = int(when.timestamp())
            summary = "first version" if first else f"{edits} paragraph edited"
            message = (
                f"{s}: {summary}\n\nRedline-Source: {s}\n"
                f"Redline-Captured-At: {when.isoformat()}\nRedline-Stats: {{}}\n"
            )
            mark += 1
            out.write(b"commit refs/heads/master\n")
            out.write(b"mark :%d\n" % mark)
            out.write(b"committer redline <redline@localhost> %d +0000\n" % stamp)
            data(out, message)
            out.write(
                (f"from {parent}\n" if isinstance(parent, str) else f"from :{parent}\n").encode()
            )
            doc = document_md(s, body)
            for path, text in (
                (f"{s}/document.md", doc),
                (f"{s}/related.md", ""),
                (f"{s}/capture.json", '{"source": "bench", "captured_at": "%s"}\n' % when.isoformat()),
                # Reports never read the raw capture: keep it small.
                (f"{s}/raw.txt", f"capture of {s} at {when.isoformat()}\n"),
            ):
                out.write(f"M 100644 inline {path}\n".encode())
                data(out, text)
            out.write(b"\n")
            parent = mark
    out.close()
    if proc.wait() != 0:
        sys.exit("git fast-import failed")
    subprocess.run(["git", "-C", store, "reset", "--quiet", "--hard"], check=True)


if __name__ == "__main__":
    main()
