"""Criticality: a 0-100 score per language package and bundled native component, factors shown.

Factors (points): class from the table (weight x 30); untrusted input (15 for a parsing class,
+10 when the ELF's exported/imported symbols name the class's parser functions); security history
(advisory count, up to 20, +5 when the newest is under two years old); exposure (copies in the
image, reverse dependents from DEPENDS_ON edges); staleness (upstream fixes newer than the installed
version, and a newer distro version).
"""

from __future__ import annotations

import functools
import math
import posixpath
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from hullscan.analyze.unbundle.classify import ClassTable, ComponentClass, normalized
from hullscan.analyze.unbundle.history import History
from hullscan.analyze.unbundle.model import ComponentScore, Factor
from hullscan.catalog.bundled.link import is_bundled
from hullscan.match.versioning import InvalidVersionError, VersionScheme, scheme_for_ecosystem
from hullscan.model.inventory import Inventory
from hullscan.model.package import Package, PackageType, RelationshipKind

DEFAULT_THRESHOLD = 40.0
ElfLookup = Callable[[str], Mapping[str, Any] | None]
HistoryLookup = Callable[[Package], History | None]
_OS_TYPES = frozenset({PackageType.DEB, PackageType.RPM, PackageType.APK})
_RECENT = timedelta(days=730)
_SCHEMES = {PackageType.PYTHON: "PyPI", PackageType.NPM: "npm", PackageType.BINARY: "Bitnami"}


def components(inventory: Inventory) -> list[Package]:
    """Return the language packages and bundled copies not installed by the OS package manager.

    Left out: OS packages, copies an OS package carries, unowned copies in a system library
    directory that an installed OS package provides too (the OS's own file), language packages
    vendored inside another one (pip's `_vendor`) and those an OS package installed.
    """
    os_copies = {r.source_id for r in inventory.relationships if r.kind is RelationshipKind.PROVIDES_SAME}
    out = []
    for package in inventory.packages:
        if not package.visible or package.type in _OS_TYPES:
            continue
        if package.type is PackageType.BINARY:
            host = package.metadata.get("host")
            if not is_bundled(package) or (isinstance(host, Mapping) and host.get("type") in _OS_TYPES):
                continue
            if host is None and package.id in os_copies and _in_system_libdir(package):
                continue
        elif (
            package.metadata.get("os_owned_path")
            or package.metadata.get("kind") == "vendored"
            or _installed_by_os(inventory, package)
        ):
            continue
        out.append(package)
    return out


def _in_system_libdir(package: Package) -> bool:
    directory = posixpath.dirname(str(package.metadata.get("host_path") or ""))
    return directory.removeprefix("/usr") in {"/lib", "/lib64"} or (
        directory.removeprefix("/usr").startswith("/lib/")
        and directory.count("/") <= 4
        and directory.endswith("-linux-gnu")
    )


def _installed_by_os(inventory: Inventory, package: Package) -> bool:
    return any(
        r.kind is RelationshipKind.CONTAINS and r.target_id == package.id for r in inventory.relationships
    )


def score_all(
    inventory: Inventory,
    table: ClassTable,
    elf: ElfLookup,
    history: HistoryLookup,
    newest_distro: Callable[[Package], str | None],
    threshold: float = DEFAULT_THRESHOLD,
) -> list[ComponentScore]:
    """Score every component; highest first."""
    listed = components(inventory)
    exposure = _Exposure(inventory)
    scored = []
    for package in listed:
        classes = table.classes_of(package)
        factors = (
            _class_factor(classes),
            _untrusted_factor(package, classes, elf),
            *_history_factors(history(package)),
            exposure.factor(package),
            _staleness_factor(package, history(package), newest_distro(package)),
        )
        total = min(100.0, round(sum(f.points for f in factors), 1))
        names = tuple(c.name for c in classes)
        scored.append(ComponentScore(package, total, factors, names, total >= threshold))
    return sorted(scored, key=lambda s: (-s.score, s.package.name, s.package.id))


def _class_factor(classes: Sequence[ComponentClass]) -> Factor:
    if not classes:
        return Factor("class", 0.0, "no system-library class")
    best = max(classes, key=lambda c: c.weight)
    return Factor("class", round(best.weight * 30, 1), f"{best.label} ({best.name})")


def _untrusted_factor(package: Package, classes: Sequence[ComponentClass], elf: ElfLookup) -> Factor:
    parsing = [c for c in classes if c.untrusted_input]
    if not parsing:
        return Factor("untrusted-input", 0.0, "class does not parse outside input")
    wanted = frozenset().union(*(c.parser_symbols for c in parsing))
    seen = sorted(_symbols(package, elf) & wanted)
    if seen:
        return Factor("untrusted-input", 25.0, f"parses untrusted input ({', '.join(seen[:3])})")
    return Factor("untrusted-input", 15.0, f"parses untrusted input ({parsing[0].label})")


def _symbols(package: Package, elf: ElfLookup) -> set[str]:
    found: set[str] = set()
    for path in _elf_paths(package):
        summary = elf(path)
        if summary:
            found.update(summary.get("exports") or ())
            found.update(summary.get("imports") or ())
            found.update(summary.get("component_symbols") or ())
    return found


def _elf_paths(package: Package) -> list[str]:
    if package.type is PackageType.BINARY:
        return [str(package.metadata.get("host_path") or "")]
    site = str(package.metadata.get("site_packages") or package.metadata.get("path") or "")
    paths = []
    for entry in package.metadata.get("files") or ():
        path = entry.get("path") if isinstance(entry, Mapping) else entry
        if isinstance(path, str) and (path.endswith(".so") or ".so." in path):
            paths.append(path if path.startswith("/") else posixpath.normpath(posixpath.join(site, path)))
    return paths


def _history_factors(found: History | None) -> tuple[Factor, Factor]:
    if found is None or not found.vulnerabilities:
        return Factor("history", 0.0, "no advisories recorded"), Factor("recency", 0.0, "")
    count = min(20.0, round(6 * math.log2(1 + found.vulnerabilities), 1))
    history = Factor("history", count, f"{found.vulnerabilities} advisories on record")
    if found.newest is not None and datetime.now(UTC) - found.newest < _RECENT:
        return history, Factor("recency", 5.0, f"latest advisory {found.newest:%Y-%m}")
    newest = f"latest advisory {found.newest:%Y-%m}" if found.newest else "no publication dates"
    return history, Factor("recency", 0.0, newest)


class _Exposure:
    def __init__(self, inventory: Inventory) -> None:
        self.copies = Counter(_identity(p) for p in components(inventory))
        self.dependents: Counter[str] = Counter(
            r.target_id for r in inventory.relationships if r.kind is RelationshipKind.DEPENDS_ON
        )

    def factor(self, package: Package) -> Factor:
        copies = self.copies[_identity(package)]
        host = package.metadata.get("host")
        target = str(host.get("id")) if isinstance(host, Mapping) and host.get("id") else package.id
        dependents = self.dependents[target] + (1 if target != package.id else 0)
        points = min(6.0, 3.0 * (copies - 1)) + min(10.0, 2.0 * dependents)
        return Factor(
            "exposure", points, f"{copies} cop{'y' if copies == 1 else 'ies'}, {dependents} dependents"
        )


def _identity(package: Package) -> tuple[str, str]:
    if package.type is PackageType.BINARY:
        return "binary", str(package.metadata.get("component") or package.name)
    return package.type.value, normalized(package.name)


def _staleness_factor(package: Package, found: History | None, distro: str | None) -> Factor:
    scheme = scheme_for_ecosystem(_SCHEMES.get(package.type, "Bitnami"))
    fixes = _newer(scheme, package.version, found.upstream_fixes if found else ())
    points = min(10.0, 2.0 * len(fixes))
    details = [f"{len(fixes)} fixed releases newer ({fixes[-1]} newest)"] if fixes else []
    if distro and _newer(scheme, package.version, (distro,)):
        points += 2.0
        details.append(f"distro has {distro}")
    return Factor("staleness", points, "; ".join(details) or "no newer fixed or distro version known")


def _newer(scheme: VersionScheme, current: str, versions: Iterable[str]) -> list[str]:
    if not current:
        return []
    newer = []
    for version in set(versions):
        try:
            if scheme.compare(version, current) > 0:
                newer.append(version)
        except InvalidVersionError:
            continue
    return sorted(newer, key=_sort_key(scheme))


def _sort_key(scheme: VersionScheme) -> Callable[[str], Any]:
    return functools.cmp_to_key(scheme.compare)
