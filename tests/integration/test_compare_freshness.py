"""`compare` with a real advisory DB: freshness and findings per image, checked from the records.

The example image and the Debian python image share no layer; the DB holds the real OSV records in
examples/advisories. "Behind" is derived here from each record's fixed events with `packaging`.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from packaging.utils import canonicalize_name
from packaging.version import Version

from hullscan import api
from hullscan.build.example import build_example_image
from hullscan.config import ScanOptions
from hullscan.match.db import import_paths
from images.cache import cache_root, file_lock
from images.python_image import PythonImage

pytestmark = pytest.mark.slow
ADVISORIES = Path(__file__).resolve().parents[2] / "examples" / "advisories"


def _fixed_versions(name: str) -> set[Version]:
    found = set()
    for path in (ADVISORIES / "PyPI").glob("*.json"):
        record = json.loads(path.read_text())
        if record.get("withdrawn"):
            continue
        for affected in record.get("affected", []):
            package = affected.get("package", {})
            if package.get("ecosystem") != "PyPI" or canonicalize_name(package.get("name", "")) != name:
                continue
            for ranged in (r for r in affected.get("ranges", []) if r.get("type") == "ECOSYSTEM"):
                found |= {Version(e["fixed"]) for e in ranged.get("events", []) if "fixed" in e}
    return found


def test_freshness_and_findings_match_the_records(python_test_image: PythonImage, tmp_path: Path) -> None:
    with file_lock(cache_root() / ".example.lock"):
        example = build_example_image(cache_root() / "example" / "oci", cache_root() / "example" / "downloads")
    db = tmp_path / "db.sqlite"
    import_paths(db, [ADVISORIES])
    options = ScanOptions(cache_dir=tmp_path / "cache")
    comparison = api.compare([f"oci:{example}:latest", python_test_image.reference], options, db=str(db))
    facts = comparison.images[0]
    assert facts.freshness.status == "computed"
    inventory = api.inventory(f"oci:{example}:latest", options)
    expected = {}
    for package in inventory.packages:
        if package.type.value != "python":
            continue
        newer = {v for v in _fixed_versions(canonicalize_name(package.name)) if v > Version(package.version)}
        if newer:
            expected[package.name] = (str(max(newer)), len(newer))
    got = {b.package: (b.newest_known, b.newer_versions) for b in facts.freshness.behind if b.ecosystem == "PyPI"}
    assert expected
    assert got == expected
    report = api.scan(f"oci:{example}:latest", options, db=str(db))
    assert facts.findings.total == len(report.findings) > 0
