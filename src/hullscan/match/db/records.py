"""Frozen value objects returned by the advisory database (queries, imports, status)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass(frozen=True, slots=True)
class RangeEvent:
    """One OSV range event: kind is introduced, fixed, last_affected or limit."""

    kind: str
    version: str


@dataclass(frozen=True, slots=True)
class AffectedRange:
    """An OSV range, its events kept in the record's order, versions unparsed."""

    type: str
    events: tuple[RangeEvent, ...]
    repo: str | None = None


@dataclass(frozen=True, slots=True)
class Severity:
    """A severity entry with the score computed from its vector (None when not computable)."""

    type: str
    vector: str
    base_score: float | None
    rating: str | None


@dataclass(frozen=True, slots=True)
class Reference:
    """A link from an advisory."""

    type: str
    url: str


@dataclass(frozen=True, slots=True)
class AffectedRecord:
    """One `affected` entry of an advisory, as the matcher needs it."""

    advisory_id: str
    ecosystem: str
    """Ecosystem string as written in the record, e.g. `Debian:12`."""
    family: str
    """Canonical ecosystem name without suffix, e.g. `Debian`."""
    release: str
    """The suffix after the first colon (`12`, `v3.18`), or empty."""
    name: str
    normalized_name: str
    purl: str | None
    ranges: tuple[AffectedRange, ...]
    versions: tuple[str, ...]
    withdrawn: datetime | None
    aliases: tuple[str, ...]
    ecosystem_specific: Mapping[str, Any] = field(default_factory=dict, hash=False, compare=False)
    database_specific: Mapping[str, Any] = field(default_factory=dict, hash=False, compare=False)


@dataclass(frozen=True, slots=True)
class Advisory:
    """A whole advisory as stored."""

    id: str
    modified: datetime | None
    published: datetime | None
    withdrawn: datetime | None
    summary: str
    details: str
    aliases: tuple[str, ...]
    severities: tuple[Severity, ...]
    max_score: float | None
    references: tuple[Reference, ...]
    affected: tuple[AffectedRecord, ...]
    source: str
    database_specific: Mapping[str, Any] = field(default_factory=dict, hash=False, compare=False)


@dataclass(frozen=True, slots=True)
class TriageRecord:
    """Debian security tracker verdict for one CVE in one release of one source package."""

    cve: str
    release: str
    """Codename (`bookworm`, `trixie`, `sid`)."""
    package: str
    status: str
    """fixed, unfixed, not-affected, no-dsa, ignored, postponed, end-of-life, undetermined, not-for-us ..."""
    fixed_version: str | None
    urgency: str | None
    reason: str | None
    """Text in parentheses on the release line (no-dsa / not-affected reason)."""
    note: str | None
    """The CVE's NOTE: lines, joined by newlines."""
    bug: str | None


@dataclass(frozen=True, slots=True)
class ImportIssue:
    """A record or line that was skipped or partly kept during an import."""

    source: str
    """File (and member) where it happened."""
    record_id: str | None
    reason: str


@dataclass(frozen=True, slots=True)
class ImportReport:
    """What one `import_paths` call did."""

    advisories: int
    affected: int
    triage: int
    skipped: int
    warnings: tuple[ImportIssue, ...]
    seconds: float
    per_ecosystem: Mapping[str, int] = field(default_factory=dict, hash=False)

    @property
    def warning_count(self) -> int:
        """Number of warnings (skipped records plus kept-with-damage records)."""
        return len(self.warnings)


@dataclass(frozen=True, slots=True)
class EcosystemUpdate:
    """Outcome of one ecosystem's download in `update()`."""

    ecosystem: str
    url: str
    not_modified: bool
    bytes_downloaded: int
    resumed: bool


@dataclass(frozen=True, slots=True)
class UpdateReport:
    """What one `update` call did: downloads, then the import of what changed."""

    downloads: tuple[EcosystemUpdate, ...]
    imported: ImportReport | None


@dataclass(frozen=True, slots=True)
class SourceStatus:
    """One import source as remembered in `meta`."""

    source: str
    imported_at: datetime
    advisories: int


@dataclass(frozen=True, slots=True)
class DbStatus:
    """What `status()` tells: what is in the database and how old it is."""

    location: str
    schema_version: str
    sources: tuple[SourceStatus, ...]
    advisories: int
    per_ecosystem: Mapping[str, int]
    triage_rows: int
    last_import: datetime | None
    age_days: float | None
    stale: bool
    stale_after_days: float
    warnings: tuple[str, ...] = ()
