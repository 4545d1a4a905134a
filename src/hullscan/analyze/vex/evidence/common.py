"""Shared helpers of the evidence producers: building statements, choosing ids, reading files."""

from __future__ import annotations

import zlib
from collections.abc import Iterable, Iterator

from hullscan.errors import HullscanError
from hullscan.fileview.interface import FileView
from hullscan.model.finding import Finding, FindingStatus
from hullscan.model.package import Package, PackageType
from hullscan.model.vex import Justification, StatementConfidence, StatementEvidence, VexStatement

AUTHOR = "hullscan"
MAX_DECOMPRESSED_BYTES = 32 * 1024 * 1024


class EvidenceError(HullscanError):
    """An evidence producer was given unusable input (a data file, a path)."""

    hint = "Check the path given for the evidence data; see `hullscan scan --help`."


def cve_ids(finding: Finding) -> tuple[str, ...]:
    """Every CVE id naming the finding's vulnerability (its id first when it is one)."""
    ids = (finding.id, *finding.aliases)
    return tuple(dict.fromkeys(i for i in ids if i.upper().startswith("CVE-")))


def statement(
    finding: Finding,
    status: FindingStatus,
    evidence: Iterable[StatementEvidence],
    *,
    confidence: StatementConfidence,
    justification: Justification | None = None,
    impact: str | None = None,
    action: str | None = None,
) -> VexStatement:
    """A `hullscan` statement about exactly this finding's package (purl with its version)."""
    return VexStatement(
        vulnerability=finding.id,
        product=finding.package.purl,
        status=status,
        justification=justification,
        impact_statement=impact,
        action_statement=action,
        author=AUTHOR,
        confidence=confidence,
        evidence=tuple(evidence),
        source=AUTHOR,
    )


def findings_of_type(findings: Iterable[Finding], *types: PackageType) -> Iterator[Finding]:
    """The findings whose package is of one of `types`."""
    wanted = frozenset(types)
    return (f for f in findings if f.package.type in wanted)


def package_location(package: Package) -> str | None:
    """`PATH (layer)` of the package's first location, for evidence."""
    return str(package.locations[0]) if package.locations else None


def read_file(view: FileView | None, path: str) -> bytes | None:
    """A file's content through the view (lazily fetched if uncaptured); None when missing/unreadable."""
    if view is None or view.resolve(path) is None:
        return None
    try:
        return view.read(path)
    except (OSError, HullscanError):
        return None


def gunzip(data: bytes, limit: int = MAX_DECOMPRESSED_BYTES) -> bytes | None:
    """Decompress gzip data, at most `limit` bytes; None when it is not gzip or is damaged."""
    try:
        decompressor = zlib.decompressobj(16 + zlib.MAX_WBITS)
        out = decompressor.decompress(data, limit)
    except zlib.error:
        return None
    return out if out or not data else None


__all__ = [
    "AUTHOR",
    "EvidenceError",
    "cve_ids",
    "findings_of_type",
    "gunzip",
    "package_location",
    "read_file",
    "statement",
]
