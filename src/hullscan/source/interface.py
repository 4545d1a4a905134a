"""The contract every image source fulfils: describe the image, open its layer blobs."""

from __future__ import annotations

import abc
from pathlib import Path
from typing import BinaryIO, Self

from hullscan.model.image import ImageDescription, LayerRef


class BlobOpener(abc.ABC):
    """Opens one blob as a raw (possibly compressed) byte stream.

    Openers must be picklable: layers are indexed in worker processes.
    """

    @abc.abstractmethod
    def open(self) -> BinaryIO:
        """Return a fresh stream positioned at the blob's first byte."""


class ImageSource(abc.ABC):
    """Where an image's bytes come from. Knows nothing about packages."""

    @abc.abstractmethod
    def describe(self) -> ImageDescription:
        """Return the image's identity, config and layers."""

    @abc.abstractmethod
    def layer_opener(self, layer: LayerRef) -> BlobOpener:
        """Return a picklable opener for a layer blob (digest is verified by the reader)."""

    def rootfs(self) -> Path | None:
        """Return the root directory for sources that are a plain filesystem, else None."""
        return None

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release resources (temporary files, connections)."""

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
