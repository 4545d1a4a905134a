"""What `hullscan dedup` reports: stored bytes at four levels of sharing, and the top duplicates."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Level:
    """Bytes a store keeps when it shares at one level (layers, files, chunks)."""

    name: str
    """`layers` (what registries already share), `files` (content digest), `chunks` (FastCDC)."""
    stored_bytes: int
    logical_bytes: int
    units: int
    """Distinct layers / files / chunks kept."""

    @property
    def saved_bytes(self) -> int:
        """Return the bytes not stored compared to keeping every image whole."""
        return self.logical_bytes - self.stored_bytes

    @property
    def saved_percent(self) -> float:
        """Return `saved_bytes` as a percentage of the logical bytes (0 when there are none)."""
        return 100.0 * self.saved_bytes / self.logical_bytes if self.logical_bytes else 0.0


@dataclass(frozen=True, slots=True)
class Location:
    """One copy of a file: which image, which layer, which path."""

    image: str
    layer: int
    path: str


@dataclass(frozen=True, slots=True)
class DuplicateFile:
    """A file content present more than once."""

    digest: str
    size: int
    copies: int
    example: Location
    label: str = ""
    """The component the content is (`openssl 3.0.7`, bundled or the OS's own), or empty."""

    @property
    def saved_bytes(self) -> int:
        """Return what keeping one copy saves."""
        return (self.copies - 1) * self.size


@dataclass(frozen=True, slots=True)
class DuplicateComponent:
    """Identical copies (same content digest) of one bundled native component."""

    component: str
    version: str
    digest: str
    size: int
    locations: tuple[Location, ...]
    """Every copy, counted once per image that holds it."""

    @property
    def copies(self) -> int:
        """Return how many copies exist."""
        return len(self.locations)

    @property
    def saved_bytes(self) -> int:
        """Return what keeping one copy saves."""
        return (self.copies - 1) * self.size


@dataclass(frozen=True, slots=True)
class ImageBytes:
    """Per image: what it holds as layers store it."""

    reference: str
    layers: int
    file_bytes: int
    files: int


@dataclass(frozen=True, slots=True)
class DedupReport:
    """Sharing across images and layers, at each level, with the biggest duplicates."""

    images: tuple[ImageBytes, ...]
    logical_bytes: int
    """Regular-file bytes of every layer of every image, each image counted whole."""
    logical_files: int
    levels: tuple[Level, ...]
    bundled_duplicate_bytes: int
    """Bytes a store saves on identical copies of bundled native components (a file holding several
    components counted once; libraries an OS package owns are not bundled copies)."""
    components: tuple[DuplicateComponent, ...]
    top_files: tuple[DuplicateFile, ...]
    chunk_params: tuple[int, int, int]
    """(min, normal, max) chunk sizes."""
    streamed_bytes: int
    """Bytes actually read: shared layers are read once."""
    warnings: tuple[str, ...] = ()

    def level(self, name: str) -> Level:
        """Return the level named `name`."""
        return next(level for level in self.levels if level.name == name)
