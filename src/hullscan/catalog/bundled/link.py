"""Link bundled component copies to the packages that carry them and to the OS's own copy.

BUNDLED_IN: the python / npm / deb (or other) package whose owned files (`metadata["files"]`)
include the ELF path, or whose location directory contains it (`node_modules/sharp/...`), or —
for a wheel's `<name>.libs/` folder — the distribution of that name in the same site directory.
PROVIDES_SAME: the OS package built from the Debian source that provides the component.
"""

from __future__ import annotations

import dataclasses
import posixpath
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from hullscan.model.package import Package, PackageType, Relationship, RelationshipKind

_OS_TYPES = frozenset({PackageType.DEB, PackageType.RPM, PackageType.APK})
_NORMALIZE = re.compile(r"[-_.]+")


def is_bundled(package: Package) -> bool:
    """Return True for a component copy found by the `elf-bundled` cataloger."""
    return package.type is PackageType.BINARY and "component" in package.metadata


def _normalized(name: str) -> str:
    return _NORMALIZE.sub("-", name).lower()


Canonical = Callable[[str], str]
"""Maps a path as a package lists it to where the file really is (Debian's `/lib` → `/usr/lib`)."""


def _as_listed(path: str) -> str:
    return path


class Owners:
    """Indexes of which package owns which path."""

    def __init__(self, packages: Iterable[Package], canonical: Canonical = _as_listed) -> None:
        self.canonical = canonical
        self.by_file: dict[str, Package] = {}
        self.by_dir: dict[str, Package] = {}
        self.python_by_site: dict[tuple[str, str], Package] = {}
        for package in packages:
            if is_bundled(package):
                continue
            self._add(package)

    def _add(self, package: Package) -> None:
        location = package.locations[0].path if package.locations else None
        base = posixpath.dirname(location) if location else "/"
        for path in _owned_paths(package.metadata.get("files")):
            root = _root(package, base)
            absolute = path if path.startswith("/") else posixpath.normpath(posixpath.join(root, path))
            self.by_file.setdefault(self.canonical(absolute), package)
        if location is None:
            return
        if package.type is PackageType.PYTHON:
            site = posixpath.dirname(base) if base.endswith((".dist-info", ".egg-info")) else base
            self.python_by_site.setdefault((site, _normalized(package.name)), package)
        elif package.type not in _OS_TYPES:
            self.by_dir.setdefault(base, package)

    def host_of(self, path: str) -> Package | None:
        owner = self.by_file.get(path)
        if owner is not None:
            return owner
        directory = posixpath.dirname(path)
        while True:
            libs = posixpath.basename(directory)
            if libs.endswith(".libs"):
                wheel = self.python_by_site.get((posixpath.dirname(directory), _normalized(libs[:-5])))
                if wheel is not None:
                    return wheel
            if directory in self.by_dir:
                return self.by_dir[directory]
            if directory in ("/", ""):
                return None
            directory = posixpath.dirname(directory)


def _root(package: Package, base: str) -> str:
    """Return the directory relative owned paths start from (a dist-info's site directory)."""
    if package.type is PackageType.PYTHON and base.endswith((".dist-info", ".egg-info")):
        return posixpath.dirname(base)
    return base


def _owned_paths(files: Any) -> list[str]:
    if not isinstance(files, (list, tuple)):
        return []
    paths = []
    for entry in files:
        if isinstance(entry, str):
            paths.append(entry)
        elif isinstance(entry, Mapping) and isinstance(entry.get("path"), str):
            paths.append(entry["path"])
    return paths


def link_bundled(packages: Sequence[Package], canonical: Canonical = _as_listed) -> list[Relationship]:
    """Return BUNDLED_IN edges to host packages and PROVIDES_SAME edges to OS packages."""
    return _link(packages, Owners(packages, canonical))


def _link(packages: Sequence[Package], owners: Owners) -> list[Relationship]:
    by_source: dict[str, list[Package]] = {}
    for package in packages:
        if package.type in _OS_TYPES and package.source_name:
            by_source.setdefault(package.source_name, []).append(package)
    edges: list[Relationship] = []
    for copy in filter(is_bundled, packages):
        host_path = str(copy.metadata.get("host_path") or "")
        host = owners.host_of(host_path)
        if host is not None:
            edges.append(Relationship(copy.id, host.id, RelationshipKind.BUNDLED_IN, host_path))
        source = copy.metadata.get("debian_source")
        same = by_source.get(str(source), []) if source else []
        edges.extend(
            Relationship(copy.id, os_package.id, RelationshipKind.PROVIDES_SAME, str(source))
            for os_package in same
            if host is None or os_package.id != host.id
        )
    return list(dict.fromkeys(edges))


def with_hosts(packages: Sequence[Package], canonical: Canonical = _as_listed) -> list[Package]:
    """Return `packages` with each bundled copy's `metadata["host"]` filled (None if unowned)."""
    return _with_hosts(packages, Owners(packages, canonical))


def _with_hosts(packages: Sequence[Package], owners: Owners) -> list[Package]:
    out = []
    for package in packages:
        if not is_bundled(package):
            out.append(package)
            continue
        host = owners.host_of(str(package.metadata.get("host_path") or ""))
        described = None
        if host is not None:
            described = {"id": host.id, "name": host.name, "version": host.version, "type": host.type.value}
        out.append(dataclasses.replace(package, metadata={**package.metadata, "host": described}))
    return out


def link_hosts(
    packages: Sequence[Package], canonical: Canonical = _as_listed
) -> tuple[list[Package], list[Relationship]]:
    """Return (`with_hosts(packages)`, `link_bundled(...)`) computed over one ownership index."""
    owners = Owners(packages, canonical)
    return _with_hosts(packages, owners), _link(packages, owners)
