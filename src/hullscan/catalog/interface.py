"""The cataloger contract: decide from the path alone, parse purely from bytes.

A cataloger never sees another cataloger's output; cross-package logic (ownership,
dependency edges across files) lives in `finish()` over its own packages or in `relate/`.
"""

from __future__ import annotations

import abc
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from hullscan.config import Scope
from hullscan.fileview.interface import FileView
from hullscan.model.files import Coordinates, FileRecord
from hullscan.model.inventory import Distro, Unknown
from hullscan.model.package import Package, Relationship


class ParseError(Exception):
    """Raised by `parse()` for a file it cannot read; the runner records an Unknown."""


@dataclass(frozen=True, slots=True)
class ParseContext:
    """What a parser may know besides the file itself."""

    view: FileView
    """Read-only access to sibling files (only paths this cataloger `wants()` are cached)."""
    distro: Distro | None
    scope: Scope = Scope.SQUASHED
    python_version: str | None = None
    """The image's Python (`3.11`), used to evaluate environment markers."""
    identity_only: bool = False
    """Set when the caller only asks which packages exist (the per-layer passes of a squashed
    scan, which find the layer that introduced each package). A parser may then skip what is
    costly and not identity (file lists, licences, dependency metadata), but must keep the type,
    name, version and first location exactly as a full parse gives them."""


@dataclass(slots=True)
class CatalogResult:
    """What one parse produced."""

    packages: list[Package] = field(default_factory=list)
    relationships: list[Relationship] = field(default_factory=list)
    unknowns: list[Unknown] = field(default_factory=list)

    def extend(self, other: CatalogResult) -> None:
        """Add another result's content to this one."""
        self.packages.extend(other.packages)
        self.relationships.extend(other.relationships)
        self.unknowns.extend(other.unknowns)


@dataclass(frozen=True, slots=True)
class PathHints:
    """A cheap necessary condition for `wants()`, checked for all catalogers at once.

    A path can only be wanted if its base name is in `basenames`, its lower-cased base name
    ends with one of `suffixes`, or it starts with one of `prefixes`. The runner asks `wants()`
    only for such paths; a test over real file trees checks every cataloger's hints.
    """

    basenames: frozenset[str] = frozenset()
    suffixes: tuple[str, ...] = ()
    prefixes: tuple[str, ...] = ()

    def may_want(self, path: str, basename: str, lower_basename: str) -> bool:
        """Return False when `wants(path)` is certainly False."""
        return (
            basename in self.basenames
            or (bool(self.suffixes) and lower_basename.endswith(self.suffixes))
            or (bool(self.prefixes) and path.startswith(self.prefixes))
        )


NOTHING = PathHints()
"""Hints of a cataloger that wants no file content (it reads content analyses instead)."""


class Cataloger(abc.ABC):
    """Finds packages of one ecosystem from one kind of evidence."""

    name: str = "abstract"
    """`<ecosystem>-<evidence>`, e.g. `dpkg-status`, `python-installed`."""
    version: str = "1"
    """Bump when `wants()` changes so per-layer caches are rebuilt."""
    path_hints: PathHints | None = None
    """Optional prefilter for `wants()` (None: ask `wants()` about every path)."""

    @abc.abstractmethod
    def wants(self, path: str) -> bool:
        """Return True if this file's content is needed. Decides from the path alone."""

    @abc.abstractmethod
    def parse(self, ctx: ParseContext, record: FileRecord, content: bytes) -> CatalogResult:
        """Parse one wanted file. Raise ParseError for unreadable input."""

    def from_analyses(self, ctx: ParseContext) -> CatalogResult:
        """Return packages found from content analyses (`ctx.view.analysis()`), once per view.

        For evidence identified by content rather than path (Go or Rust binaries): such a
        cataloger's `wants()` may return False for every path.
        """
        del ctx
        return CatalogResult()

    def finish(self, ctx: ParseContext, packages: Sequence[Package]) -> list[Relationship]:
        """Return edges between this cataloger's packages once all files are parsed."""
        del ctx, packages
        return []

    def unknown(self, record: FileRecord, reason: str) -> Unknown:
        """Return an Unknown for `record` attributed to this cataloger."""
        return Unknown(Coordinates(record.path, record.layer_digest), self.name, reason)


class AnalysisCataloger(Cataloger):
    """A cataloger fed by one content analyzer's results instead of file contents."""

    path_hints = NOTHING
    analyzer: str = ""
    """The content analyzer whose per-file results this cataloger reads."""

    def wants(self, path: str) -> bool:
        del path
        return False

    def parse(self, ctx: ParseContext, record: FileRecord, content: bytes) -> CatalogResult:
        del ctx, record, content
        return CatalogResult()

    def analysed_files(self, ctx: ParseContext) -> Iterator[tuple[FileRecord, Mapping[str, Any]]]:
        """Yield (record, result) for visible files the analyzer recorded a mapping for."""
        for record, result in ctx.view.analyses(self.analyzer):
            if isinstance(result, Mapping):
                yield record, result
