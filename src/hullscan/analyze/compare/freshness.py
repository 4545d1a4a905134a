"""Freshness: how far installed versions are behind the newest fixed versions the advisory DB knows.

The DB only knows versions that advisories name (fixed events, `versions` lists), so "newest
known" is a lower bound of the newest release: a package no advisory mentions has no data.
Look-ups reuse the matchers' queries (Debian source packages, PyPI names, ...).
"""

from __future__ import annotations

from collections.abc import Sequence

from hullscan.analyze.compare.model import UNKNOWN, Behind, Freshness
from hullscan.match.db import AdvisoryDB, AffectedRecord
from hullscan.match.matchers import default_matchers
from hullscan.match.matchers.interface import MatchQuery
from hullscan.match.versioning import InvalidVersionError
from hullscan.model.inventory import Inventory
from hullscan.model.package import Package

TOP_BEHIND = 15


def unknown(note: str) -> Freshness:
    """Return the freshness of an image that could not be checked, with why."""
    return Freshness(status=UNKNOWN, note=note)


def _known_versions(records: Sequence[AffectedRecord], query: MatchQuery) -> set[str]:
    versions: set[str] = set()
    for record in records:
        if record.withdrawn is not None or not query.accepts_release(record.release):
            continue
        for affected_range in record.ranges:
            versions.update(e.version for e in affected_range.events if e.kind == "fixed")
    return versions


def _newer(query: MatchQuery, versions: set[str]) -> list[str]:
    """Return the versions newer than the installed one, newest first (unparseable ones dropped)."""
    try:
        installed = query.scheme.parse(query.version)
    except InvalidVersionError:
        return []
    parsed = []
    for text in versions:
        try:
            version = query.scheme.parse(text)
        except InvalidVersionError:
            continue
        if version > installed:
            parsed.append(version)
    return [v.text for v in sorted(parsed, reverse=True)]


def _queries(inventory: Inventory) -> list[tuple[Package, MatchQuery]]:
    families = default_matchers()
    planned: list[tuple[Package, MatchQuery]] = []
    for package in inventory.packages:
        if not package.visible or not package.version:
            continue
        queries = [q for family in families for q in family.queries(package, inventory.distro)]
        if queries:
            planned.append((package, queries[0]))
    return planned


def freshness(inventory: Inventory, database: AdvisoryDB) -> Freshness:
    """Compare every package's version with the newest fixed version the DB names for it."""
    planned = _queries(inventory)
    by_ecosystem: dict[str, set[str]] = {}
    for _, query in planned:
        by_ecosystem.setdefault(query.ecosystem, set()).add(query.name)
    records = {
        (ecosystem, name): found
        for ecosystem, names in by_ecosystem.items()
        for name, found in database.advisories_for(ecosystem, sorted(names)).items()
    }
    behind: list[Behind] = []
    with_data: set[str] = set()
    for package, query in planned:
        versions = _known_versions(records.get((query.ecosystem, query.name), []), query)
        if not versions:
            continue
        with_data.add(package.id)
        newer = _newer(query, versions)
        if newer:
            behind.append(Behind(package.name, query.ecosystem, query.version, newer[0], len(newer)))
    behind.sort(key=lambda b: (-b.newer_versions, b.package))
    return Freshness(
        status="computed",
        packages_checked=len(planned),
        packages_with_data=len(with_data),
        packages_behind=len(behind),
        behind=tuple(behind[:TOP_BEHIND]),
        note="newest known = newest fixed version named by an advisory in the DB",
    )
