"""Matching speed: a 2,000-package inventory against the full imported advisory DB (warm).

Package names are real names from the DB (Debian 12 source packages, PyPI, npm, Go, crates.io,
Maven), versions plausible: each package takes the lowest fixed version any of its records names,
so most look-ups evaluate several ranges. Skips (exit 0) when /work/shared/data is absent.
Reports wall time and CPU time (`time.process_time`) per run: on a shared, loaded machine the
CPU time is the steadier figure. Run it with `nice` when others use the machine.
Usage: .venv/bin/python bench/bench_match.py [--db PATH] [--packages N] [--runs N]
"""

from __future__ import annotations

import argparse
import os
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

from hullscan.match.db import AdvisoryDB, import_paths
from hullscan.match.matcher import match_packages
from hullscan.model.files import Coordinates
from hullscan.model.inventory import Distro
from hullscan.model.package import Package, PackageType

DATA = Path("/work/shared/data")
TARGET_SECONDS = 1.0
_SHARE = {"Debian": 0.5, "PyPI": 0.2, "npm": 0.05, "Go": 0.15, "crates.io": 0.05, "Maven": 0.05}
_TYPES = {
    "Debian": (PackageType.DEB, "pkg:deb/debian/{n}@{v}?distro=debian-12"),
    "PyPI": (PackageType.PYTHON, "pkg:pypi/{n}@{v}"),
    "npm": (PackageType.NPM, "pkg:npm/{n}@{v}"),
    "Go": (PackageType.GO, "pkg:golang/{n}@{v}"),
    "crates.io": (PackageType.RUST, "pkg:cargo/{n}@{v}"),
    "Maven": (PackageType.JAVA, "pkg:maven/{g}/{a}@{v}"),
}


def _sources() -> list[Path]:
    zips = sorted((DATA / "osv").glob("*/all.zip"))
    return [*zips, DATA / "osv" / "npm" / "ghsa-node-app.zip", DATA / "osv-debian-derived" / "Debian" / "all.zip"]


def _candidates(db_file: Path, family: str) -> list[tuple[str, str]]:
    """(name, a fixed version) pairs of one ecosystem, read straight from the DB file."""
    release = "12" if family == "Debian" else ""
    with sqlite3.connect(db_file) as connection:
        rows = connection.execute(
            "SELECT name, ranges FROM affected WHERE family = ? AND release = ?", (family, release)
        ).fetchall()
    found: dict[str, str] = {}
    for name, ranges in rows:
        marker = '["fixed","'
        start = ranges.find(marker)
        if start >= 0:
            found.setdefault(name, ranges[start + len(marker) : ranges.index('"', start + len(marker))])
    return sorted(found.items())


def _package(family: str, name: str, version: str) -> Package:
    ptype, template = _TYPES[family]
    group, _, artifact = name.partition(":")
    purl = template.format(n=name, v=version, g=group, a=artifact)
    extra = {"source_name": name, "source_version": version} if family == "Debian" else {}
    return Package(name=name, version=version, type=ptype, purl=purl, found_by="bench",
                   locations=(Coordinates(f"/bench/{family}/{name}"),), **extra)


def inventory(db_file: Path, count: int) -> list[Package]:
    rng = random.Random(20261130)
    packages: list[Package] = []
    leftovers: list[tuple[str, str, str]] = []
    for family, share in _SHARE.items():
        pool = _candidates(db_file, family)
        rng.shuffle(pool)
        take = min(len(pool), round(count * share))
        packages.extend(_package(family, name, version) for name, version in pool[:take])
        leftovers.extend((family, name, version) for name, version in pool[take:])
    rng.shuffle(leftovers)
    packages.extend(_package(*item) for item in leftovers[: max(0, count - len(packages))])
    return packages[:count]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", type=Path, help="an already imported DB (default: import into a temp dir)")
    parser.add_argument("--packages", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=4, help="matching runs; the first is the cold one")
    args = parser.parse_args()
    if not DATA.is_dir():
        print(f"skipped: {DATA} is absent")
        return 0
    with tempfile.TemporaryDirectory() as scratch:
        db_file = args.db or Path(scratch) / "db.sqlite"
        if args.db is None:
            started = time.perf_counter()
            report = import_paths(db_file, _sources())
            print(f"import: {report.advisories} advisories in {time.perf_counter() - started:.1f} s")
        packages = inventory(db_file, args.packages)
        with AdvisoryDB.open(db_file) as database:
            walls: list[float] = []
            cpus: list[float] = []
            for _ in range(max(2, args.runs)):
                started, started_cpu = time.perf_counter(), time.process_time()
                result = match_packages(packages, Distro("debian", "12"), database)
                walls.append(time.perf_counter() - started)
                cpus.append(time.process_time() - started_cpu)
    warm = len(walls) - 1
    print(f"packages: {len(packages)}  findings: {len(result.findings)}")
    print(f"cold: {walls[0]:.3f} s wall, {cpus[0]:.3f} s CPU")
    print(f"warm (best of {warm}): {min(walls[1:]):.3f} s wall, {min(cpus[1:]):.3f} s CPU "
          f"(median {statistics.median(walls[1:]):.3f} s wall, {statistics.median(cpus[1:]):.3f} s CPU)"
          f"  target <= {TARGET_SECONDS:.1f} s")
    print(f"load average while running: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    return 0


if __name__ == "__main__":
    sys.exit(main())
