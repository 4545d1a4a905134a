"""Statements that describe a triaged scan: one per finding, for the VEX outputs of `hullscan scan`.

A finding decided by a statement is written with that statement's status, reason and author; any
other finding is written as the scanner sees it (`affected` with what to do). Products are the
packages' purls, so the documents apply to the same packages wherever they are found again.
"""

from __future__ import annotations

from hullscan.analyze.vex.apply import TriagedFinding, TriageResult
from hullscan.model.finding import Finding, FindingStatus
from hullscan.model.vex import StatementEvidence, VexStatement

SCANNER_AUTHOR = "hullscan"


def statements_for_scan(result: TriageResult, timestamp: str) -> list[VexStatement]:
    """One statement per (vulnerability, package purl) of the triaged findings, in report order."""
    found: dict[tuple[str, str], VexStatement] = {}
    for item in result.findings:
        purl = item.finding.package.purl
        if not purl:
            continue
        found.setdefault((item.finding.id, purl), _statement(item, purl, timestamp))
    return list(found.values())


def _statement(item: TriagedFinding, purl: str, timestamp: str) -> VexStatement:
    decided = item.decided_by
    finding = item.finding
    if decided is not None:
        return VexStatement(
            vulnerability=finding.id,
            product=purl,
            status=decided.status,
            justification=decided.justification,
            impact_statement=decided.impact_statement,
            action_statement=decided.action_statement or _action(finding, decided.status),
            author=decided.author,
            timestamp=decided.timestamp or timestamp,
            confidence=decided.confidence,
            evidence=decided.evidence,
            statement_id=decided.statement_id,
            source=decided.source,
        )
    status = item.status
    return VexStatement(
        vulnerability=finding.id,
        product=purl,
        status=status,
        impact_statement=_scanner_impact(finding) if status is FindingStatus.NOT_AFFECTED else None,
        action_statement=_action(finding, status),
        author=SCANNER_AUTHOR,
        timestamp=timestamp,
        evidence=tuple(
            StatementEvidence(
                "advisory", f"{e.advisory_id} matched {e.package_name} {e.version} ({e.matcher})"
            )
            for e in finding.evidence
        ),
        source=SCANNER_AUTHOR,
    )


def _action(finding: Finding, status: FindingStatus) -> str | None:
    if status is not FindingStatus.AFFECTED:
        return None
    if finding.fix:
        return f"Upgrade {finding.package.name} to {finding.fix} or later."
    return f"No fixed version of {finding.package.name} is known yet; track {finding.id}."


def _scanner_impact(finding: Finding) -> str:
    notes = [note for item in finding.evidence for note in item.notes]
    return (
        "; ".join(notes)
        or f"the advisory data marks {finding.package.name} {finding.package.version} not affected"
    )
