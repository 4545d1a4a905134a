"""Packages and the relationships between them."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from enum import StrEnum
from types import MappingProxyType
from typing import Any

from hullscan.model.files import Coordinates


class PackageType(StrEnum):
    """The ecosystem a package belongs to (the purl type where one exists)."""

    DEB = "deb"
    RPM = "rpm"
    APK = "apk"
    PYTHON = "python"
    NPM = "npm"
    GEM = "gem"
    COMPOSER = "composer"
    JAVA = "java-archive"
    GO = "go-module"
    RUST = "rust-crate"
    BINARY = "binary"
    """A native component identified inside a file (bundled library, static copy)."""


class RelationshipKind(StrEnum):
    """How two packages (or a package and a file) are related."""

    DEPENDS_ON = "depends-on"
    """Source package needs the target at run time (Depends, Requires-Dist, dependencies)."""
    CONTAINS = "contains"
    """Source package owns the target (a language package installed by an OS package)."""
    BUNDLED_IN = "bundled-in"
    """Source component is a copy bundled inside the target package or binary."""
    VENDORED_IN = "vendored-in"
    """Source package is a vendored copy inside the target (pip/_vendor)."""
    BUILT_USING = "built-using"
    """Source package was built with the target's code statically included (Built-Using)."""
    PROVIDES_SAME = "provides-same"
    """Source bundled component and target OS package provide the same upstream component."""


def package_id(ptype: str, name: str, version: str, path: str | None) -> str:
    """Return a stable id hashed from the identifying fields of a package."""
    key = "\x00".join((ptype, name, version, path or ""))
    return hashlib.sha256(key.encode("utf-8", "surrogateescape")).hexdigest()[:16]


@dataclass(frozen=True, slots=True)
class Package:
    """A package found in an image.

    `source_name`/`source_version` are the OS source package (Debian advisories are keyed by
    source, `libssl3` belongs to `openssl`); `metadata` holds ecosystem-specific fields as
    plain JSON-able values.
    """

    name: str
    version: str
    type: PackageType
    purl: str
    found_by: str
    locations: tuple[Coordinates, ...]
    licenses: tuple[str, ...] = ()
    source_name: str | None = None
    source_version: str | None = None
    metadata: Mapping[str, Any] = field(default_factory=dict)
    layer_digest: str | None = None
    """The layer that introduced the package (first layer where it appears)."""
    visible: bool = True
    """False in the all-layers view when a later layer removed the package."""
    id: str = ""

    def __post_init__(self) -> None:
        if not self.id:
            first = self.locations[0].path if self.locations else None
            object.__setattr__(self, "id", package_id(self.type, self.name, self.version, first))
        if not isinstance(self.metadata, MappingProxyType):
            object.__setattr__(self, "metadata", MappingProxyType(dict(self.metadata)))

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickle with plain-dict metadata (a mappingproxy cannot be pickled)."""
        values = {f.name: getattr(self, f.name) for f in fields(self)}
        values["metadata"] = dict(self.metadata)
        return (_rebuild_package, (values,))


def _rebuild_package(values: dict[str, Any]) -> Package:
    return Package(**values)


@dataclass(frozen=True, slots=True)
class Relationship:
    """A directed edge between two package ids."""

    source_id: str
    target_id: str
    kind: RelationshipKind
    note: str | None = None
