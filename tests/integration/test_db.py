"""Advisory DB end to end: real OSV exports (shared data when present, repo fixtures otherwise) and lookup speed."""

from __future__ import annotations

import json
import time
import zipfile
from pathlib import Path

import pytest

from hullscan.match.db import AdvisoryDB, import_paths, status

SHARED = Path("/work/shared/data")
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "osv-db"


def _sources() -> list[Path]:
    shared = [
        SHARED / "osv/PyPI/all.zip",
        SHARED / "osv/Go/all.zip",
        SHARED / "osv/npm/ghsa-node-app.zip",
        SHARED / "osv-debian-derived/Debian/all.zip",
    ]
    if all(path.is_file() for path in shared):
        return shared
    return [FIXTURES / name for name in
            ("pypi-subset.zip", "go-subset.zip", "npm-ghsa-node-app.zip", "debian-derived-subset.zip")]


def _independent_ids(paths: list[Path]) -> tuple[set[str], dict[tuple[str, str], set[str]]]:
    ids: set[str] = set()
    by_package: dict[tuple[str, str], set[str]] = {}
    for path in paths:
        with zipfile.ZipFile(path) as archive:
            for name in archive.namelist():
                record = json.loads(archive.read(name))
                ids.add(record["id"])
                for entry in record.get("affected", []):
                    package = entry.get("package")
                    if package and not package["ecosystem"].startswith("purl-type"):
                        key = (package["ecosystem"], package["name"])
                        by_package.setdefault(key, set()).add(record["id"])
    return ids, by_package


@pytest.fixture(scope="module")
def imported(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[Path]]:
    db = tmp_path_factory.mktemp("db") / "db.sqlite"
    sources = _sources()
    report = import_paths(db, sources)
    assert report.skipped == 0
    return db, sources


def test_counts_match_the_exports(imported: tuple[Path, list[Path]]) -> None:
    db, sources = imported
    ids, _ = _independent_ids(sources)
    assert status(db).advisories == len(ids)


def test_every_package_finds_its_advisories(imported: tuple[Path, list[Path]]) -> None:
    db, sources = imported
    _, by_package = _independent_ids(sources)
    with AdvisoryDB.open(db) as database:
        for (ecosystem, name), expected in list(by_package.items())[:3000]:
            if ecosystem in {"PyPI", "Go", "npm", "Debian:12", "Debian:13"}:
                found = database.advisories_for(ecosystem, [name])[name]
                assert expected <= {hit.advisory_id for hit in found}, (ecosystem, name)


def test_two_thousand_names_warm_under_a_second(imported: tuple[Path, list[Path]]) -> None:
    db, sources = imported
    _, by_package = _independent_ids(sources)
    names = sorted({name for ecosystem, name in by_package if ecosystem == "PyPI"})
    names = (names + [f"not-vulnerable-{index}" for index in range(2000)])[:2000]
    with AdvisoryDB.open(db) as database:
        database.advisories_for("PyPI", names)
        started = time.perf_counter()
        found = database.advisories_for("PyPI", names)
        elapsed = time.perf_counter() - started
    assert len(found) == 2000
    assert any(found.values())
    assert elapsed <= 1.0
