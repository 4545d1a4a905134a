"""What `hullscan compare` reports for each image, and what the images share."""

from __future__ import annotations

from dataclasses import dataclass

from hullscan.analyze.dedup.model import DedupReport

NOT_COMPUTED = "not computed"
UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True)
class LayerFacts:
    """One layer: position, identity, sizes and the command that made it."""

    index: int
    diff_id: str
    blob_bytes: int
    """Compressed size as stored in the registry / layout."""
    file_bytes: int
    """Regular-file bytes in the layer (uncompressed)."""
    files: int
    created_by: str = ""


@dataclass(frozen=True, slots=True)
class OwnershipRow:
    """Files and bytes of one owner class."""

    owner: str
    """`os`, `language`, `bundled` (native components inside language packages), `unowned`."""
    files: int
    bytes: int


@dataclass(frozen=True, slots=True)
class BundledCopy:
    """A native component found inside a language package."""

    component: str
    version: str
    host: str
    path: str
    bytes: int


@dataclass(frozen=True, slots=True)
class Behind:
    """A package older than the newest fixed version the advisory DB knows."""

    package: str
    ecosystem: str
    installed: str
    newest_known: str
    newer_versions: int
    """How many distinct fixed versions newer than the installed one the DB names."""


@dataclass(frozen=True, slots=True)
class Freshness:
    """How far versions are behind the newest versions the advisory DB knows."""

    status: str
    """`computed`, or `unknown` (no DB) with the reason in `note`."""
    packages_checked: int = 0
    packages_with_data: int = 0
    packages_behind: int = 0
    behind: tuple[Behind, ...] = ()
    note: str = ""


@dataclass(frozen=True, slots=True)
class FindingCounts:
    """Findings by severity and by patch class (when the matching stage provides classes)."""

    status: str
    """`computed`, or `not computed` with the reason in `note`."""
    by_severity: tuple[tuple[str, int], ...] = ()
    by_patch_class: tuple[tuple[str, int], ...] = ()
    patch_class_status: str = NOT_COMPUTED
    total: int = 0
    note: str = ""


@dataclass(frozen=True, slots=True)
class ImageFacts:
    """Everything `compare` shows for one image."""

    reference: str
    name: str
    """A short label for tables and charts."""
    total_bytes: int
    """Regular-file bytes visible in the squashed image."""
    total_files: int
    blob_bytes: int
    """Sum of compressed layer sizes (what a pull downloads without sharing)."""
    layers: tuple[LayerFacts, ...]
    ownership: tuple[OwnershipRow, ...]
    ownership_status: str
    packages: tuple[tuple[str, int], ...]
    """Package counts per ecosystem (package type), visible packages only."""
    bundled: tuple[BundledCopy, ...]
    freshness: Freshness
    findings: FindingCounts
    distro: str = ""

    def owned(self, owner: str) -> OwnershipRow:
        """Return the row of one owner class (zeros when absent)."""
        return next((row for row in self.ownership if row.owner == owner), OwnershipRow(owner, 0, 0))


@dataclass(frozen=True, slots=True)
class SharedLayer:
    """A layer (same diff_id) present in more than one image."""

    diff_id: str
    file_bytes: int
    blob_bytes: int
    positions: tuple[tuple[str, int], ...]
    """(image name, layer index) for every image holding it."""

    @property
    def is_base(self) -> bool:
        """Return True when every image holding it has it at the same leading position."""
        return all(index == 0 for _, index in self.positions)


@dataclass(frozen=True, slots=True)
class Comparison:
    """The side-by-side comparison, with the optional dedup analysis."""

    images: tuple[ImageFacts, ...]
    shared_layers: tuple[SharedLayer, ...]
    dedup: DedupReport | None = None
    warnings: tuple[str, ...] = ()
