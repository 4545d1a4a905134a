"""Security history of a component from the advisory database: how many advisories, how recent, fixes.

Looked up across every version and release: the language ecosystem under the package's own name,
and for native components the upstream (`Bitnami`) name plus the Debian source packages that
ship the same code (every Debian release), so a component's track record counts wherever it is
recorded.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select

from hullscan.match.db import AdvisoryDB, AffectedRecord
from hullscan.match.db import schema as db_schema
from hullscan.match.matchers.bundled import UPSTREAM_ECOSYSTEM
from hullscan.model.package import Package, PackageType

_LANGUAGE_ECOSYSTEMS = {PackageType.PYTHON: "PyPI", PackageType.NPM: "npm", PackageType.GEM: "RubyGems"}


@dataclass(frozen=True, slots=True)
class History:
    """Distinct vulnerabilities recorded for a component, the newest publication and upstream fixes."""

    vulnerabilities: int
    newest: datetime | None
    upstream_fixes: tuple[str, ...]
    """Fixed versions in the component's own (upstream-versioned) ecosystem."""


def lookups(package: Package, debian_sources: Sequence[str]) -> list[tuple[str, str, bool]]:
    """Return (ecosystem, name, upstream-versioned) look-ups for a package's history."""
    found: list[tuple[str, str, bool]] = []
    own = _LANGUAGE_ECOSYSTEMS.get(package.type)
    if own is not None:
        found.append((own, package.name, True))
    if package.type is PackageType.BINARY:
        found.append((UPSTREAM_ECOSYSTEM, str(package.metadata.get("component") or package.name), True))
    found.extend(("Debian", source, False) for source in debian_sources)
    return found


def history(database: AdvisoryDB, package: Package, debian_sources: Sequence[str]) -> History:
    """Return the component's security history (every version, every release)."""
    records: list[AffectedRecord] = []
    fixes: list[str] = []
    for ecosystem, name, upstream in lookups(package, debian_sources):
        found = database.advisories_for(ecosystem, [name])[name]
        records.extend(r for r in found if r.withdrawn is None)
        if upstream:
            fixes.extend(_fixed_versions(found))
    vulnerabilities = _distinct_vulnerabilities(records)
    return History(len(vulnerabilities), _newest(database, {r.advisory_id for r in records}), tuple(fixes))


def _fixed_versions(records: Iterable[AffectedRecord]) -> list[str]:
    return [e.version for r in records for rng in r.ranges for e in rng.events if e.kind == "fixed"]


def _distinct_vulnerabilities(records: Iterable[AffectedRecord]) -> set[str]:
    """Count a CVE once however many records (PyPI, Debian, upstream) name it."""
    keys: set[str] = set()
    for record in records:
        cves = sorted(a for a in (record.advisory_id, *record.aliases) if a.startswith("CVE-"))
        keys.add(cves[0] if cves else record.advisory_id)
    return keys


def _newest(database: AdvisoryDB, ids: set[str]) -> datetime | None:
    if not ids:
        return None
    table = db_schema.advisory
    rows = database.connection.execute(select(table.c.published).where(table.c.id.in_(sorted(ids))))
    dates = [_parse(value) for (value,) in rows if value]
    known = [d for d in dates if d is not None]
    return max(known) if known else None


def _parse(value: str) -> datetime | None:
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
