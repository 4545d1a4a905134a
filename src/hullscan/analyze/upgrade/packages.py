"""Package changes between two inventories: added, removed, up/downgraded and renamed, per ecosystem.

Packages are paired by (ecosystem, normalized name, place): the architecture for OS packages,
the site-packages directory for Python, the install path for npm. Leftovers are then paired by
name alone (a package that moved, e.g. `/usr/local/lib/python3.11` → `3.13`), and remaining
removed/added OS packages are paired as renames when NEW's package Provides or Replaces the old
name, or when both come from the same source package and the names share a stem (Debian's t64
transition `libssl3` → `libssl3t64`, soname bumps `libicu72` → `libicu76`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence

from hullscan.analyze.upgrade.bumps import classify, order
from hullscan.analyze.upgrade.model import Bump, ChangeKind, PackageChange
from hullscan.catalog.ecosystems.python_metadata import normalize_name
from hullscan.model.package import Package, PackageType

PackageKey = tuple[str, str, str]
_TRAILING_VERSION = re.compile(r"[0-9.\-]*(?:t64|v5|c2)?$")


def _name(package: Package) -> str:
    return normalize_name(package.name) if package.type is PackageType.PYTHON else package.name


def _place(package: Package) -> str:
    metadata = package.metadata
    if package.type in (PackageType.DEB, PackageType.RPM, PackageType.APK):
        return str(metadata.get("architecture") or metadata.get("arch") or "")
    if package.type is PackageType.PYTHON:
        kind = str(metadata.get("kind") or "")
        where = str(metadata.get("vendor_dir") or metadata.get("site_packages") or "")
        return f"{where} ({kind})" if kind and kind != "installed" else where
    if package.type is PackageType.NPM:
        return str(metadata.get("path") or "")
    return package.locations[0].path if package.locations else ""


def _key(package: Package) -> PackageKey:
    return (package.type.value, _name(package), _place(package))


def _relevant(packages: Iterable[Package]) -> dict[PackageKey, Package]:
    chosen: dict[PackageKey, Package] = {}
    for package in sorted(packages, key=lambda p: (p.type.value, p.name, p.version, p.id)):
        if package.visible and package.type is not PackageType.BINARY:
            chosen.setdefault(_key(package), package)
    return chosen


def _version_change(old: Package, new: Package) -> PackageChange | None:
    if old.version == new.version:
        return None
    ecosystem = old.type.value
    direction = order(ecosystem, old.version, new.version)
    if direction is None:
        kind = ChangeKind.CHANGED
    elif direction == 0:
        return None
    else:
        kind = ChangeKind.UPGRADED if direction < 0 else ChangeKind.DOWNGRADED
    bump = classify(ecosystem, old.version, new.version) if direction is not None else Bump.UNKNOWN
    return PackageChange(ecosystem, kind, old.name, old.version, new.version, bump=bump, location=_place(new))


def _stem(name: str) -> str:
    """Return the name without its trailing version / ABI suffix (`libssl3t64` → `libssl`)."""
    return _TRAILING_VERSION.sub("", name) or name


def _rename_reason(old: Package, new: Package, replaces: Mapping[str, frozenset[str]]) -> str | None:
    if new.name == f"{old.name}t64":
        return "t64 transition"
    if old.name in replaces.get(new.name, frozenset()):
        return "Replaces old name"
    if old.name in new.metadata.get("provides", ()):
        return "Provides old name"
    same_source = bool(old.source_name) and old.source_name == new.source_name
    if same_source and _stem(old.name) == _stem(new.name):
        return "same source, new binary name"
    return None


def _pair_renames(
    removed: list[Package], added: list[Package], replaces: Mapping[str, frozenset[str]]
) -> tuple[list[PackageChange], list[Package], list[Package]]:
    changes: list[PackageChange] = []
    taken: set[str] = set()
    left: list[Package] = []
    for old in removed:
        match: tuple[Package, str] | None = None
        for new in added:
            if new.id in taken or new.type is not old.type:
                continue
            reason = _rename_reason(old, new, replaces)
            if reason is not None:
                match = (new, reason)
                break
        if match is None:
            left.append(old)
            continue
        new, reason = match
        taken.add(new.id)
        direction = order(old.type.value, old.version, new.version)
        bump = classify(old.type.value, old.version, new.version) if old.version != new.version else None
        changes.append(
            PackageChange(
                old.type.value,
                ChangeKind.RENAMED,
                old.name,
                old.version,
                new.version,
                new_name=new.name,
                bump=bump if direction is not None else Bump.UNKNOWN,
                reason=reason,
                location=_place(new),
            )
        )
    return changes, left, [p for p in added if p.id not in taken]


def diff_packages(
    old: Sequence[Package],
    new: Sequence[Package],
    replaces: Mapping[str, frozenset[str]] | None = None,
) -> tuple[list[PackageChange], int]:
    """Return the package changes (sorted by ecosystem, kind, name) and how many stayed the same.

    `replaces` maps a NEW dpkg package to the names its Replaces field lists.
    """
    before, after = _relevant(old), _relevant(new)
    changes: list[PackageChange] = []
    unchanged = 0
    for key in before.keys() & after.keys():
        change = _version_change(before[key], after[key])
        if change is None:
            unchanged += 1
        else:
            changes.append(change)
    removed = [before[k] for k in sorted(before.keys() - after.keys())]
    added = [after[k] for k in sorted(after.keys() - before.keys())]
    moved, removed, added = _pair_by_name(removed, added)
    for old_package, new_package in moved:
        change = _version_change(old_package, new_package)
        if change is None:
            unchanged += 1
        else:
            changes.append(change)
    renames, removed, added = _pair_renames(removed, added, replaces or {})
    changes.extend(renames)
    changes.extend(
        PackageChange(p.type.value, ChangeKind.REMOVED, p.name, old_version=p.version, location=_place(p))
        for p in removed
    )
    changes.extend(
        PackageChange(p.type.value, ChangeKind.ADDED, p.name, new_version=p.version, location=_place(p))
        for p in added
    )
    changes.sort(key=lambda c: (c.ecosystem, c.kind.value, c.name, c.location))
    return changes, unchanged


def _pair_by_name(
    removed: list[Package], added: list[Package]
) -> tuple[list[tuple[Package, Package]], list[Package], list[Package]]:
    """Pair leftovers that are the only copy of their name on each side (a package that moved)."""

    def by_name(packages: list[Package]) -> dict[tuple[str, str], list[Package]]:
        grouped: dict[tuple[str, str], list[Package]] = {}
        for package in packages:
            grouped.setdefault((package.type.value, _name(package)), []).append(package)
        return grouped

    old_names, new_names = by_name(removed), by_name(added)
    pairs: list[tuple[Package, Package]] = []
    for name, olds in old_names.items():
        news = new_names.get(name, [])
        if len(olds) == 1 and len(news) == 1:
            pairs.append((olds[0], news[0]))
    paired = {p.id for pair in pairs for p in pair}
    return pairs, [p for p in removed if p.id not in paired], [p for p in added if p.id not in paired]
