"""The data model: frozen, slotted value objects with no I/O."""

from hullscan.model.files import Coordinates, FileKind, FileRecord
from hullscan.model.image import ImageConfig, ImageDescription, LayerRef, Platform
from hullscan.model.inventory import Distro, Inventory, Unknown
from hullscan.model.package import Package, PackageType, Relationship, RelationshipKind, package_id

__all__ = [
    "Coordinates",
    "Distro",
    "FileKind",
    "FileRecord",
    "ImageConfig",
    "ImageDescription",
    "Inventory",
    "LayerRef",
    "Package",
    "PackageType",
    "Platform",
    "Relationship",
    "RelationshipKind",
    "Unknown",
    "package_id",
]
