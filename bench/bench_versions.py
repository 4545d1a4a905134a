"""Benchmark version comparison: hullscan's dpkg / PEP 440 schemes against python-debian / packaging.

Prints nanoseconds per comparison (median of several runs) and the speed ratio. Run:
    .venv/bin/python bench/bench_versions.py
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from debian.debian_support import Version as DebianVersion
from debian.debian_support import version_compare as debian_version_compare
from packaging.version import Version as PackagingVersion

from hullscan.match.versioning.dpkg import DPKG, compare_dpkg, dpkg_key
from hullscan.match.versioning.pep440 import PEP440

FIXTURES = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "version-fixtures"
RUNS = 7


def pairs(name: str) -> list[tuple[str, str]]:
    out = []
    for line in (FIXTURES / name).read_text(encoding="utf-8").splitlines():
        if line and not line.startswith(("# ", "// ")):
            a, _, b = line.split(" ")
            out.append((a, b))
    return out


def ns_per_call(work: Callable[[], object], calls: int) -> float:
    """Median over RUNS of the time of `work()` divided by `calls`."""
    samples = []
    for _ in range(RUNS):
        start = time.perf_counter_ns()
        work()
        samples.append((time.perf_counter_ns() - start) / calls)
    return statistics.median(samples)


def row(label: str, ns: float, baseline: float | None = None) -> None:
    ratio = f"{baseline / ns:8.1f}x faster" if baseline else ""
    print(f"  {label:<52} {ns:10.0f} ns/compare {ratio}")


def bench_dpkg(data: Sequence[tuple[str, str]]) -> None:
    n = len(data)
    print(f"dpkg ({n} pairs from debian-versions-generated.txt)")
    base_str = ns_per_call(lambda: [debian_version_compare(a, b) for a, b in data], n)
    row("python-debian version_compare(str, str)", base_str)
    parsed_deb = [(DebianVersion(a), DebianVersion(b)) for a, b in data]
    base_obj = ns_per_call(lambda: [a < b for a, b in parsed_deb], n)
    row("python-debian Version < Version (pre-parsed)", base_obj)

    def cold() -> None:
        dpkg_key.cache_clear()
        for a, b in data:
            compare_dpkg(a, b)

    row("hullscan compare_dpkg(str, str), cold cache", ns_per_call(cold, n), base_str)
    compare_dpkg(*data[0])
    for a, b in data:
        compare_dpkg(a, b)
    warm = ns_per_call(lambda: [compare_dpkg(a, b) for a, b in data], n)
    row("hullscan compare_dpkg(str, str), warm cache", warm, base_str)
    parsed = [(DPKG.parse(a), DPKG.parse(b)) for a, b in data]
    row(
        "hullscan DpkgVersion < DpkgVersion (pre-parsed)",
        ns_per_call(lambda: [a < b for a, b in parsed], n),
        base_obj,
    )


def valid_pep440(a: str, b: str) -> bool:
    try:
        PackagingVersion(a)
        PackagingVersion(b)
    except ValueError:
        return False
    return True


def bench_pep440(all_pairs: Sequence[tuple[str, str]]) -> None:
    data = [(a, b) for a, b in all_pairs if valid_pep440(a, b)]
    n = len(data)
    print(f"PEP 440 ({n} pairs from pypi-versions-generated.txt)")
    base_str = ns_per_call(lambda: [PackagingVersion(a) < PackagingVersion(b) for a, b in data], n)
    row("packaging Version(a) < Version(b) (parse each time)", base_str)
    parsed_pkg = [(PackagingVersion(a), PackagingVersion(b)) for a, b in data]
    base_obj = ns_per_call(lambda: [a < b for a, b in parsed_pkg], n)
    row("packaging Version < Version (pre-parsed)", base_obj)
    for a, b in data:
        PEP440.compare(a, b)
    row(
        "hullscan PEP440.compare(str, str), warm cache",
        ns_per_call(lambda: [PEP440.compare(a, b) for a, b in data], n),
        base_str,
    )
    parsed = [(PEP440.parse(a), PEP440.parse(b)) for a, b in data]
    row(
        "hullscan Pep440Version < Pep440Version (pre-parsed)",
        ns_per_call(lambda: [a < b for a, b in parsed], n),
        base_obj,
    )


def main() -> None:
    bench_dpkg(pairs("debian-versions-generated.txt"))
    bench_pep440(pairs("pypi-versions-generated.txt"))


if __name__ == "__main__":
    main()
