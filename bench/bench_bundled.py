"""Time the ELF analyzer over the unpacked real wheels (run tests/integration/test_bundled.py once first).

Usage: .venv/bin/python bench/bench_bundled.py [ROOT] — ROOT defaults to $HULLSCAN_TEST_CACHE/bundled/unpacked.
"""

from __future__ import annotations

import io
import os
import statistics
import sys
import time
from pathlib import Path

from hullscan.catalog.bundled.elf import ElfAnalyzer


def _elf_files(root: Path) -> list[Path]:
    found = []
    for path in sorted(root.rglob("*")):
        if path.is_file() and not path.is_symlink():
            with path.open("rb") as handle:
                if handle.read(4) == b"\x7fELF":
                    found.append(path)
    return found


def main() -> None:
    cache = Path(os.environ.get("HULLSCAN_TEST_CACHE", Path.home() / ".cache" / "hullscan-tests"))
    root = Path(sys.argv[1]) if len(sys.argv) > 1 else cache / "bundled" / "unpacked"
    files = _elf_files(root)
    if not files:
        sys.exit(f"no ELF files under {root}; run tests/integration/test_bundled.py first")
    analyzer = ElfAnalyzer()
    timings: list[float] = []
    total_bytes = 0
    for path in files:
        data = path.read_bytes()  # the layer indexer hands analyzers an in-memory stream too
        best = float("inf")
        for _ in range(3):
            start = time.perf_counter()
            analyzer.analyze(str(path), io.BytesIO(data), len(data))
            best = min(best, time.perf_counter() - start)
        timings.append(best)
        total_bytes += len(data)
    seconds = sum(timings)
    print(f"{len(files)} ELF files, {total_bytes / 1e6:.1f} MB")
    print(f"median {statistics.median(timings) * 1000:.1f} ms/file, max {max(timings) * 1000:.1f} ms")
    print(f"total {seconds:.2f} s, {total_bytes / 1e6 / seconds:.0f} MB/s")


if __name__ == "__main__":
    main()
