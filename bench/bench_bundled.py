"""Time the ELF analyzer, old (pyelftools, tests/unit/bundled/_elf_reference.py) against new (struct).

Usage: .venv/bin/python bench/bench_bundled.py [ROOT...] [--quiet] — ROOTs default to
$HULLSCAN_TEST_CACHE/bundled/unpacked (run tests/integration/test_bundled.py once first); try
/usr/lib/jvm too. Prints ms per file for both and MB/s (file bytes analysed per second), best of 3.
"""

from __future__ import annotations

import importlib.util
import io
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

from hullscan.catalog.bundled.elf import ElfAnalyzer, analyze_fast

REPEATS = 3


def _reference() -> ModuleType:
    path = Path(__file__).parents[1] / "tests" / "unit" / "bundled" / "_elf_reference.py"
    spec = importlib.util.spec_from_file_location("_elf_reference", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def _elf_files(root: Path) -> list[Path]:
    found = []
    for path in sorted(root.rglob("*")):
        if path.is_file() and not path.is_symlink():
            with path.open("rb") as handle:
                if handle.read(4) == b"\x7fELF":
                    found.append(path)
    return found


def _best(analyze: Callable[[str, Any, int], Any], path: Path, data: bytes) -> float:
    best = float("inf")
    for _ in range(REPEATS):
        start = time.perf_counter()
        analyze(str(path), io.BytesIO(data), len(data))  # the layer indexer hands analyzers BytesIO too
        best = min(best, time.perf_counter() - start)
    return best


def main() -> None:
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    quiet = "--quiet" in sys.argv
    cache = Path(os.environ.get("HULLSCAN_TEST_CACHE", Path.home() / ".cache" / "hullscan-tests"))
    roots = [Path(a) for a in args] or [cache / "bundled" / "unpacked"]
    files = [f for root in roots for f in _elf_files(root)]
    if not files:
        sys.exit(f"no ELF files under {roots}; run tests/integration/test_bundled.py first")
    old, new = _reference().ElfAnalyzer(), ElfAnalyzer()
    old_total = new_total = 0.0
    total_bytes = fallbacks = 0
    if not quiet:
        print(f"{'old ms':>9} {'new ms':>9} {'x':>6} {'MB':>7}  file")
    for path in files:
        data = path.read_bytes()
        old_s, new_s = _best(old.analyze, path, data), _best(new.analyze, path, data)
        fallbacks += analyze_fast(io.BytesIO(data), len(data)) is None
        old_total, new_total, total_bytes = old_total + old_s, new_total + new_s, total_bytes + len(data)
        if not quiet:
            print(
                f"{old_s * 1e3:9.2f} {new_s * 1e3:9.2f} {old_s / new_s:6.1f} {len(data) / 1e6:7.2f}  {path}"
            )
    megabytes = total_bytes / 1e6
    print(f"{len(files)} ELF files, {megabytes:.1f} MB, {fallbacks} through the pyelftools path")
    print(
        f"old: {old_total / len(files) * 1e3:.2f} ms/file, {megabytes / old_total:.0f} MB/s, total {old_total:.2f} s"
    )
    print(
        f"new: {new_total / len(files) * 1e3:.2f} ms/file, {megabytes / new_total:.0f} MB/s, total {new_total:.2f} s"
    )
    print(f"speed-up {old_total / new_total:.1f}x")


if __name__ == "__main__":
    main()
