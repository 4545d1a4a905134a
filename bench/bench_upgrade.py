"""Benchmark: warm `hullscan upgrade` of two large images (bookworm app vs the trixie rebase), target ≤ 3 s.

Run: `.venv/bin/python bench/bench_upgrade.py [--runs N]`. The first call fills a private layer cache
(cold); the figure printed is the best warm run, layers read from that cache.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from hullscan import api
from hullscan.config import ScanOptions
from images.upgrade_pairs import rebase_pair

TARGET_SECONDS = 3.0


def main() -> int:
    """Time cold then warm upgrades; exit 1 when the warm figure misses the target."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    pair = rebase_pair()
    with tempfile.TemporaryDirectory(prefix="hullscan-bench-") as cache:
        options = ScanOptions(cache_dir=Path(cache))
        start = time.perf_counter()
        report = api.upgrade(pair.old.reference, pair.new.reference, options)
        cold = time.perf_counter() - start
        warm = []
        for _ in range(args.runs):
            start = time.perf_counter()
            api.upgrade(pair.old.reference, pair.new.reference, options)
            warm.append(time.perf_counter() - start)
    files = sum(layer.visible_bytes for layer in report.base.new_layers)
    print(f"images: {pair.old.reference} → {pair.new.reference}")
    print(
        f"NEW: {report.abi.elf_objects} ELF objects, {files / 1e6:.0f} MB visible; verdict {report.verdict.value}"
    )
    print(f"cold {cold:.2f} s; warm best {min(warm):.2f} s (target ≤ {TARGET_SECONDS:.1f} s)")
    return 0 if min(warm) <= TARGET_SECONDS else 1


if __name__ == "__main__":
    raise SystemExit(main())
