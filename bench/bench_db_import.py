"""Benchmark: import every OSV export in /work/shared/data (records/s, DB size) and time `advisories_for`."""

from __future__ import annotations

import sqlite3
import sys
import tempfile
import time
from pathlib import Path

from hullscan.match.db import AdvisoryDB, import_paths

SHARED = Path("/work/shared/data")


def main() -> int:
    zips = sorted((SHARED / "osv").glob("*/*.zip")) + sorted((SHARED / "osv-debian-derived").glob("*/*.zip"))
    if not zips:
        print("bench_db_import: /work/shared/data is absent; skipped")
        return 0
    with tempfile.TemporaryDirectory() as scratch:
        db = Path(scratch) / "db.sqlite"
        report = import_paths(db, zips)
        rate = report.advisories / report.seconds
        print(f"imported {report.advisories} advisories ({report.affected} affected rows) from {len(zips)} zips "
              f"in {report.seconds:.1f} s: {rate:,.0f} records/s (target >= 5,000); "
              f"{report.warning_count} warnings; DB {db.stat().st_size / 2**20:.1f} MiB")
        with sqlite3.connect(db) as connection:
            rows = connection.execute(
                "SELECT family, normalized_name FROM affected GROUP BY family, normalized_name"
            ).fetchall()
        for ecosystem in ("PyPI", "Go", "Debian:12"):
            family = ecosystem.split(":")[0]
            names = [name for fam, name in rows if fam == family]
            names = (names + [f"absent-{index}" for index in range(2000)])[:2000]
            with AdvisoryDB.open(db) as database:
                started = time.perf_counter()
                database.advisories_for(ecosystem, names)
                cold = time.perf_counter() - started
                started = time.perf_counter()
                found = database.advisories_for(ecosystem, names)
                warm = time.perf_counter() - started
            hits = sum(len(value) for value in found.values())
            print(f"advisories_for({ecosystem!r}, 2000 names): first {cold * 1000:.0f} ms, "
                  f"warm {warm * 1000:.0f} ms, {hits} affected entries (target <= 1 s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
