"""Files as the image holds them: path, kind, size, and the layer each came from."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class FileKind(StrEnum):
    """What a tar member (or directory entry) is."""

    FILE = "file"
    DIR = "dir"
    SYMLINK = "symlink"
    HARDLINK = "hardlink"
    CHAR_DEVICE = "char-device"
    BLOCK_DEVICE = "block-device"
    FIFO = "fifo"
    WHITEOUT = "whiteout"
    """A `.wh.NAME` marker: NAME is deleted by this layer."""
    OPAQUE = "opaque"
    """A `.wh..wh..opq` marker: the directory's lower-layer content is hidden."""


@dataclass(frozen=True, slots=True)
class Coordinates:
    """Where something was found: a path inside the image and the layer holding it."""

    path: str
    layer_digest: str | None = None

    def __str__(self) -> str:
        layer = self.layer_digest[:19] if self.layer_digest else "-"
        return f"{self.path} ({layer})"


@dataclass(frozen=True, slots=True)
class FileRecord:
    """One file in one layer.

    `path` is absolute and normalized (`/usr/lib/x`); for hard links `link_target` is the
    normalized path of the file it shares content with; for symlinks it is the raw target.
    `visible` is False in the all-layers view for files a later layer deletes or replaces.
    """

    path: str
    kind: FileKind
    size: int
    mode: int
    layer_index: int
    layer_digest: str
    link_target: str | None = None
    mtime: int = 0
    uid: int = 0
    gid: int = 0
    visible: bool = True

    @property
    def coordinates(self) -> Coordinates:
        """Return where this file is."""
        return Coordinates(self.path, self.layer_digest)

    @property
    def is_regular(self) -> bool:
        """Return True for regular files (not links, directories or special files)."""
        return self.kind is FileKind.FILE
