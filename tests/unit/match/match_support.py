"""Helpers for the matcher tests: fixture records, a database built from them, packages to match."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from hullscan.match.db import import_paths
from hullscan.model.files import Coordinates
from hullscan.model.package import Package, PackageType

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "match"
OSV_DIR = FIXTURES / "osv"


def build_db(directory: Path, *extra: Path) -> Path:
    """Import the fixture records (and `extra` paths) into a new SQLite file; return its path."""
    path = directory / "advisories.sqlite"
    import_paths(path, [OSV_DIR, *extra])
    return path


def records(ecosystem_dir: str) -> list[dict[str, Any]]:
    """Every fixture record of one directory (`Debian`, `PyPI`, ...), parsed."""
    return [json.loads(path.read_text()) for path in sorted((OSV_DIR / ecosystem_dir).glob("*.json"))]


def pep503(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def package(
    name: str,
    version: str,
    ptype: PackageType,
    purl: str,
    *,
    source: tuple[str, str] | None = None,
    path: str = "/x",
    metadata: dict[str, Any] | None = None,
) -> Package:
    """A package as a cataloger would report it."""
    return Package(
        name=name,
        version=version,
        type=ptype,
        purl=purl,
        found_by="test",
        locations=(Coordinates(path, "sha256:" + "ab" * 32),),
        source_name=source[0] if source else None,
        source_version=source[1] if source else None,
        metadata=metadata or {},
    )
