"""Which distribution package provides a component, and how its version compares with the bundled one.

PyPI names go through dh-python's fallback table (then `python3-<name>`), npm names through Debian's
`node-<name>` convention, native libraries through their soname in the Contents index (when loaded)
or the binary packages built from the component's Debian source.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from hullscan.analyze.unbundle.classify import normalized
from hullscan.analyze.unbundle.debian_index import DebianIndex, IndexEntry, upstream_version
from hullscan.analyze.unbundle.model import Candidate, Comparison
from hullscan.catalog.bundled.identify import library_name
from hullscan.match.versioning import InvalidVersionError, scheme_for_ecosystem
from hullscan.model.package import Package, PackageType

_NOT_RUNTIME = re.compile(r"-(dev|dbg|doc|bin|utils|tools|tests?|data|common)$|^lib(32|64|x32|n32)")
_SCHEME = {PackageType.PYTHON: "PyPI", PackageType.NPM: "npm"}
_NUMBERS = re.compile(r"\d+")


@dataclass(frozen=True, slots=True)
class Sources:
    """What mapping reads: the release's index, dh-python's table and (optionally) Contents sonames."""

    index: DebianIndex
    pypi: Mapping[str, str]
    sonames: Mapping[str, list[str]] | None = None


def candidate_for(package: Package, sources: Sources, debian_sources: list[str]) -> Candidate | None:
    """Return the distro package providing `package`, or None when the release has none."""
    found = _lookup(package, sources, debian_sources)
    if found is None:
        return None
    entry, how = found
    upstream = upstream_version(entry.version)
    comparison = compare(package, upstream)
    return Candidate(
        package=entry.package,
        version=entry.version,
        source=entry.source,
        suite=entry.suite,
        upstream_version=upstream,
        comparison=comparison,
        compatible=compatible(package.version, upstream, comparison),
        how=how,
        depends=(entry.depends,) if entry.depends else (),
    )


def _lookup(package: Package, sources: Sources, debian_sources: list[str]) -> tuple[IndexEntry, str] | None:
    index = sources.index
    if package.type is PackageType.PYTHON:
        name = normalized(package.name)
        mapped = sources.pypi.get(name)
        if mapped and index.get(mapped):
            return index.get(mapped), "dh-python cpython3_fallback"  # type: ignore[return-value]
        entry = index.get(f"python3-{name}")
        return (entry, "python3-<name> convention") if entry else None
    if package.type is PackageType.NPM:
        entry = index.get("node-" + package.name.lstrip("@").replace("/", "-").lower())
        return (entry, "node-<name> convention") if entry else None
    if package.type is PackageType.BINARY:
        return _native(package, sources, debian_sources)
    return None


def _native(package: Package, sources: Sources, debian_sources: list[str]) -> tuple[IndexEntry, str] | None:
    soname = package.metadata.get("soname")
    if soname and sources.sonames is not None:
        for name in sources.sonames.get(library_name(str(soname)), ()):
            entry = sources.index.get(name)
            if entry is not None and not _NOT_RUNTIME.search(name):
                return entry, f"soname {library_name(str(soname))} via Contents"
    for source in debian_sources:
        runtime = [
            n for n in sources.index.built_from(source) if n.startswith("lib") and not _NOT_RUNTIME.search(n)
        ]
        major = _soname_major(str(soname)) if soname else None
        preferred = [n for n in runtime if major and n.endswith(major)] or runtime
        if preferred:
            entry = sources.index.get(preferred[0])
            if entry is not None:
                return entry, f"library built from Debian source {source}"
    return None


def _soname_major(soname: str) -> str | None:
    found = re.search(r"\.so\.(\d+)", library_name(soname))
    return found.group(1) if found else None


def compare(package: Package, distro_upstream: str) -> Comparison:
    """Return how the distro's upstream version relates to the bundled version."""
    if not package.version or not distro_upstream:
        return Comparison.UNKNOWN
    scheme = scheme_for_ecosystem(_SCHEME.get(package.type, "Bitnami"))
    order: int | None
    try:
        order = scheme.compare(distro_upstream, package.version)
    except InvalidVersionError:
        order = _numeric_order(distro_upstream, package.version)
    if order is None:
        return Comparison.UNKNOWN
    return Comparison.NEWER if order > 0 else Comparison.OLDER if order < 0 else Comparison.SAME


def _numeric_order(a: str, b: str) -> int | None:
    left, right = _release(a), _release(b)
    if not left or not right:
        return None
    return (left > right) - (left < right)


def _release(version: str) -> tuple[int, ...]:
    return tuple(int(n) for n in _NUMBERS.findall(version.split("+", 1)[0])[:4])


def compatible(bundled: str, distro: str, comparison: Comparison) -> bool:
    """Semver-style API compatibility: same major (minor too for 0.x, or when the distro is older)."""
    left, right = _release(bundled), _release(distro)
    if comparison is Comparison.SAME:
        return True
    if len(left) < 1 or len(right) < 1 or left[0] != right[0]:
        return False
    if left[0] == 0 or comparison is Comparison.OLDER:
        return left[1:2] == right[1:2]
    return True
