"""A root filesystem directory (`dir:PATH`): one pseudo-layer, read in place."""

from __future__ import annotations

import hashlib
from pathlib import Path

from hullscan.errors import SourceError
from hullscan.model.image import ImageDescription, LayerRef
from hullscan.source.interface import BlobOpener, ImageSource


class DirectorySource(ImageSource):
    """A directory holding an unpacked root filesystem."""

    def __init__(self, root: Path) -> None:
        if not root.is_dir():
            raise SourceError(f"{root} is not a directory")
        self.root = root.resolve()

    @property
    def pseudo_digest(self) -> str:
        """Return a stable identifier standing in for a layer digest."""
        return "dir:" + hashlib.sha256(str(self.root).encode()).hexdigest()[:16]

    def describe(self) -> ImageDescription:
        return ImageDescription(reference=f"dir:{self.root}", source_kind="dir")

    def layer_opener(self, layer: LayerRef) -> BlobOpener:
        raise SourceError(f"dir:{self.root} has no layer blobs (layer {layer.index} requested)")

    def rootfs(self) -> Path:
        return self.root
