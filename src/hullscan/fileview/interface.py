"""What catalogers see of an image: paths, records, contents — read-only, inside the root."""

from __future__ import annotations

import abc
from collections.abc import Iterable, Iterator
from typing import Any

from hullscan.model.files import FileKind, FileRecord


class FileView(abc.ABC):
    """A read-only view of an image's files."""

    @abc.abstractmethod
    def files(self) -> Iterator[FileRecord]:
        """Yield every file in the view, sorted by path (then layer)."""

    @abc.abstractmethod
    def get(self, path: str) -> FileRecord | None:
        """Return the visible record at exactly `path` (no link following), or None."""

    @abc.abstractmethod
    def resolve(self, path: str) -> FileRecord | None:
        """Follow symlinks (inside the root only) and hard links; None if missing or looping."""

    @abc.abstractmethod
    def read(self, path: str) -> bytes:
        """Return the content of a regular file (links followed). Raises FileNotFoundError."""

    def read_record(self, record: FileRecord) -> bytes:
        """Return the content of this exact record (a specific layer's copy of a file)."""
        return self.read(record.path)

    def all_paths(self) -> Iterable[str]:
        """Return every distinct path any layer holds (visible or not)."""
        return {record.path for record in self.files()}

    def layer_records(self, index: int) -> Iterable[FileRecord]:
        """Return the records layer `index` itself holds (single-layer views: every file)."""
        del index
        return self.files()

    def at_layer(self, index: int) -> FileView:
        """Return the squashed view as of layer `index` (single-layer views return self)."""
        del index
        return self

    @property
    def layer_count(self) -> int:
        """Return how many layers the view is built from."""
        return 1

    def layer_digest(self, index: int) -> str | None:
        """Return the digest of layer `index`, if the view has layers."""
        del index
        return None

    @abc.abstractmethod
    def analysis(self, path: str, analyzer: str) -> Any:
        """Return what a content analyzer recorded for `path` in its layer, or None."""

    def analyses(self, analyzer: str) -> Iterator[tuple[FileRecord, Any]]:
        """Yield (record, result) for every visible regular file the analyzer recorded."""
        for record in self.files():
            if record.visible and record.kind is FileKind.FILE:
                result = self.analysis(record.path, analyzer)
                if result is not None:
                    yield record, result

    @property
    @abc.abstractmethod
    def warnings(self) -> tuple[str, ...]:
        """Return problems met while building the view (skipped members, clamped paths...)."""
