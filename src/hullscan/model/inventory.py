"""What a catalog run produces: packages, edges, unknowns and the distribution."""

from __future__ import annotations

from dataclasses import dataclass, field

from hullscan.model.files import Coordinates
from hullscan.model.image import ImageDescription
from hullscan.model.ownership import FileOwnershipSummary
from hullscan.model.package import Package, Relationship


@dataclass(frozen=True, slots=True)
class Distro:
    """The Linux distribution of an image, from os-release."""

    id: str
    version_id: str | None = None
    codename: str | None = None
    pretty_name: str | None = None
    id_like: tuple[str, ...] = ()

    @property
    def purl_qualifier(self) -> str:
        """Return the purl `distro` qualifier, e.g. `debian-12`."""
        return f"{self.id}-{self.version_id}" if self.version_id else self.id


@dataclass(frozen=True, slots=True)
class Unknown:
    """Something a cataloger could not read: where, who, and why."""

    coordinates: Coordinates
    cataloger: str
    reason: str


@dataclass(frozen=True, slots=True)
class Inventory:
    """Everything found in one image (or SBOM)."""

    image: ImageDescription
    packages: tuple[Package, ...] = ()
    relationships: tuple[Relationship, ...] = ()
    unknowns: tuple[Unknown, ...] = ()
    distro: Distro | None = None
    warnings: tuple[str, ...] = field(default=())
    files: FileOwnershipSummary | None = None
    """Who owns the visible regular files (None when not computed, e.g. an SBOM read back)."""
