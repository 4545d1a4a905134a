"""Dedup throughput over the three patchability images (debs / wheels / scratch): MB/s and peak memory.

Usage: .venv/bin/python bench/bench_dedup.py — builds the images first if they are not cached
(`tests/images/patchability_images.py`). Prints the throughput of the whole pass (decompression,
hashing, chunking), of the chunker alone, and the peak traced Python memory.
"""

from __future__ import annotations

import os
import resource
import sys
import time
import tracemalloc
from pathlib import Path

from hullscan.analyze.dedup.chunker import Chunker
from hullscan.analyze.dedup.engine import ImageInput, dedup_images
from hullscan.source.detect import open_source

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from images.patchability_images import patchability_images

MB = 1e6


def _chunker_alone(size: int = 64 * 1024 * 1024) -> float:
    data = os.urandom(size)
    chunker = Chunker()
    started = time.perf_counter()
    for start in range(0, size, 1024 * 1024):
        chunker.feed(data[start : start + 1024 * 1024])
    chunker.finish()
    return size / MB / (time.perf_counter() - started)


def main() -> None:
    built = patchability_images()
    images = [ImageInput(image.reference, open_source(image.reference)) for image in built.all]
    tracemalloc.start()
    started = time.perf_counter()
    report = dedup_images(images)
    elapsed = time.perf_counter() - started
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    for image in images:
        image.source.close()
    print(f"images: {', '.join(image.name for image in built.all)}")
    print(
        f"streamed {report.streamed_bytes / MB:.1f} MB of files in {elapsed:.1f} s: "
        f"{report.streamed_bytes / MB / elapsed:.1f} MB/s (decompress + SHA-256 + FastCDC + BLAKE2b)"
    )
    print(f"distinct files {report.level('files').units}, distinct chunks {report.level('chunks').units}")
    for level in report.levels:
        print(
            f"  {level.name:7s} keeps {level.stored_bytes / MB:8.1f} MB of {level.logical_bytes / MB:.1f} MB "
            f"(saves {level.saved_percent:.1f}%)"
        )
    print(
        f"peak traced Python memory: {peak / MB:.1f} MB; max RSS: "
        f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.1f} MB"
    )
    print(f"chunker alone (random data): {_chunker_alone():.1f} MB/s")


if __name__ == "__main__":
    main()
