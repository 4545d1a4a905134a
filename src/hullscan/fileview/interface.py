"""What catalogers see of an image: paths, records, contents — read-only, inside the root."""

from __future__ import annotations

import abc
from collections.abc import Iterator
from typing import Any

from hullscan.model.files import FileRecord


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

    @abc.abstractmethod
    def analysis(self, path: str, analyzer: str) -> Any:
        """Return what a content analyzer recorded for `path` in its layer, or None."""

    @property
    @abc.abstractmethod
    def warnings(self) -> tuple[str, ...]:
        """Return problems met while building the view (skipped members, clamped paths...)."""
