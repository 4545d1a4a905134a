"""Triage statements (VEX): a status for a vulnerability in a product, with the reason and evidence.

Statements come from automated evidence (author `hullscan`) or from people (`hullscan vex add`,
imported documents). They are applied to findings by the triage pass; nothing is suppressed
silently — a suppressed finding keeps the statement that suppressed it.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from hullscan.model.finding import FindingStatus


class Justification(StrEnum):
    """OpenVEX / CISA justifications for `not_affected`."""

    COMPONENT_NOT_PRESENT = "component_not_present"
    VULNERABLE_CODE_NOT_PRESENT = "vulnerable_code_not_present"
    VULNERABLE_CODE_NOT_IN_EXECUTE_PATH = "vulnerable_code_not_in_execute_path"
    VULNERABLE_CODE_CANNOT_BE_CONTROLLED_BY_ADVERSARY = "vulnerable_code_cannot_be_controlled_by_adversary"
    INLINE_MITIGATIONS_ALREADY_EXIST = "inline_mitigations_already_exist"


class StatementConfidence(StrEnum):
    """How strong the evidence behind a statement is; the policy decides what suppresses."""

    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"


@dataclass(frozen=True, slots=True)
class StatementEvidence:
    """One fact backing a statement: what was checked, where, and what was seen."""

    kind: str
    """e.g. `debian-tracker`, `security-support`, `changelog`, `whiteout`, `go-symbols`,
    `python-record`, `elf-reachability`, `npm-dev-only`, `human`."""
    detail: str
    location: str | None = None
    """A path in the image (with layer), a URL, or a document name."""


@dataclass(frozen=True, slots=True)
class VexStatement:
    """A status for one vulnerability in one product (a package purl, optionally an image repo)."""

    vulnerability: str
    """Canonical id (CVE preferred); aliases match too."""
    product: str
    """A package purl (version optional: without it the statement covers every version) or
    `image:REPOSITORY` for statements about every package of an image repository."""
    status: FindingStatus
    justification: Justification | None = None
    impact_statement: str | None = None
    action_statement: str | None = None
    author: str = "hullscan"
    timestamp: str = ""
    """RFC 3339, UTC."""
    confidence: StatementConfidence = StatementConfidence.HIGH
    evidence: tuple[StatementEvidence, ...] = ()
    subcomponent: str | None = None
    """The package purl inside an image product, when `product` is an image."""
    version_range: str | None = None
    """Optional OSV-style range (`<2.0.0`, `>=1.2,<1.3`) the statement is limited to."""
    statement_id: str = ""
    source: str = "hullscan"
    """Where it came from: `hullscan` (automated), `human`, or an imported document's name."""
