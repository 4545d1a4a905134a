"""Group component copies for `hullscan bundled`: "3 copies of openssl: Debian's 3.0.19, ..."."""

from __future__ import annotations

import posixpath
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from hullscan.catalog.bundled.link import Owners, is_bundled
from hullscan.model.package import Package, PackageType

_OS_NAMES = {PackageType.DEB: "Debian", PackageType.RPM: "the RPM distribution", PackageType.APK: "Alpine"}


@dataclass(frozen=True, slots=True)
class Copy:
    """One copy of a component: one host (package, or directory when unowned), one version."""

    version: str | None
    linkage: str
    host: str | None
    """Name of the package carrying the copy, or None when no package owns it."""
    host_type: str | None
    paths: tuple[str, ...]

    def describe(self) -> str:
        """Return e.g. `cryptography's static 3.0.7` or `unowned /opt/x/libz.so.1 1.2.13`."""
        version = self.version or "(version unknown)"
        linkage = "static " if self.linkage == "static" else ""
        if self.host is None:
            return f"unowned {linkage}{', '.join(self.paths)} {version}"
        owner = _OS_NAMES.get(PackageType(self.host_type)) if self.host_type else None
        label = f"{owner}'s ({self.host})" if owner else f"{self.host}'s"
        return f"{label} {linkage}{version}"


@dataclass(frozen=True, slots=True)
class ComponentCopies:
    """Every copy of one component in an image."""

    component: str
    copies: tuple[Copy, ...]

    @property
    def versions(self) -> tuple[str | None, ...]:
        """Return the distinct versions, in copy order."""
        return tuple(dict.fromkeys(c.version for c in self.copies))

    def describe(self) -> str:
        """Return one line, e.g. `3 copies of openssl: Debian's (libssl3) 3.0.19, ...`."""
        plural = "copy" if len(self.copies) == 1 else "copies"
        listed = ", ".join(c.describe() for c in self.copies)
        return f"{len(self.copies)} {plural} of {self.component}: {listed}"


_GroupKey = tuple[str, str | None, str, str | None, str | None]
"""(host id or directory, version, linkage, host name, host type)."""


def summarize_copies(packages: Sequence[Package]) -> list[ComponentCopies]:
    """Group bundled copies by component, then by (host, version, linkage); most copies first."""
    grouped: dict[str, dict[_GroupKey, list[str]]] = {}
    owners: list[Owners] = []  # built once, only if some copy has not been linked yet
    for package in filter(is_bundled, packages):
        path = str(package.metadata.get("host_path") or "")
        host = _host(package, packages, owners)
        key: _GroupKey = (
            str(host["id"]) if host else posixpath.dirname(path),
            package.metadata.get("version"),
            str(package.metadata.get("linkage")),
            str(host["name"]) if host else None,
            str(host["type"]) if host else None,
        )
        grouped.setdefault(str(package.metadata["component"]), {}).setdefault(key, []).append(path)
    out = []
    for component, copies in grouped.items():
        listed = tuple(
            Copy(version, linkage, name, host_type, tuple(sorted(paths)))
            for (_, version, linkage, name, host_type), paths in sorted(copies.items(), key=_order)
        )
        out.append(ComponentCopies(component, listed))
    return sorted(out, key=lambda c: (-len(c.copies), c.component))


def _host(package: Package, packages: Sequence[Package], owners: list[Owners]) -> Mapping[str, object] | None:
    """Return the host `with_hosts` recorded, or find it now for a copy not linked yet."""
    host = package.metadata.get("host")
    if isinstance(host, Mapping):
        return host
    if not owners:
        owners.append(Owners(packages))
    found = owners[0].host_of(str(package.metadata.get("host_path") or ""))
    if found is None:
        return None
    return {"id": found.id, "name": found.name, "type": found.type.value}


def _order(item: tuple[_GroupKey, list[str]]) -> tuple[str, str, str]:
    (host_key, version, _, name, _), _paths = item
    return (name or "~", version or "", host_key)
