"""`distro_triage`: the Debian security tracker's verdict for a CVE in the image's release.

Only `not-affected` (with the tracker's reason mapped to a justification) becomes `not_affected`.
`unimportant`, `no-dsa`, `ignored`, `postponed` and `end-of-life` become `affected` statements
saying the distribution will not fix it and why: they explain, they do not suppress (an
`unimportant` issue is still present; Debian only judges it minor). A release without its
own line falls back to the unstable (`sid`) line only for verdicts that hold for every release
(`not-affected`, `unimportant`), as the tracker itself does.
"""

from __future__ import annotations

from collections.abc import Iterator

from hullscan.analyze.vex.context import TriageContext
from hullscan.analyze.vex.evidence.common import cve_ids, findings_of_type, statement
from hullscan.match.db import TriageRecord
from hullscan.model.finding import Finding, FindingStatus
from hullscan.model.package import PackageType
from hullscan.model.vex import Justification, StatementConfidence, StatementEvidence, VexStatement

TRACKER_URL = "https://security-tracker.debian.org/tracker/"
WONT_FIX = frozenset({"no-dsa", "ignored", "postponed", "end-of-life"})
UNIMPORTANT = "unimportant"
_REASON_JUSTIFICATIONS: tuple[tuple[tuple[str, ...], Justification], ...] = (
    (
        (
            "vulnerable code not present",
            "code not present",
            "not built",
            "not compiled",
            "not enabled",
            "introduced later",
            "introduced in",
            "feature not",
            "only affects",
            "does not include",
            "not shipped",
            "removed",
            "not included",
            "windows",
            "macos",
            "code not",
        ),
        Justification.VULNERABLE_CODE_NOT_PRESENT,
    ),
    (
        ("not exposed", "not reachable", "not used", "unused", "never called"),
        Justification.VULNERABLE_CODE_NOT_IN_EXECUTE_PATH,
    ),
    (("hardening", "mitigat", "fortify", "stack protector"), Justification.INLINE_MITIGATIONS_ALREADY_EXIST),
)


def justification_for(reason: str | None) -> Justification:
    """Map the tracker's free-text not-affected reason onto a VEX justification.

    >>> justification_for("Vulnerable code not present").value
    'vulnerable_code_not_present'
    >>> justification_for("shell_escape disabled").value
    'vulnerable_code_not_present'
    """
    text = (reason or "").lower()
    for needles, justification in _REASON_JUSTIFICATIONS:
        if any(needle in text for needle in needles):
            return justification
    return Justification.VULNERABLE_CODE_NOT_PRESENT


def debian_release(context: TriageContext) -> str | None:
    """The image's Debian release number (`12`), or None for other distributions."""
    distro = context.inventory.distro
    if distro is None or distro.id != "debian":
        return None
    return distro.version_id or distro.codename


def lookup(context: TriageContext, finding: Finding, release: str) -> TriageRecord | None:
    """The tracker row for the finding's CVE and source package in `release` (sid fallback)."""
    database = context.database
    if database is None:
        return None
    source = finding.package.source_name or finding.package.name
    for cve in cve_ids(finding):
        row = database.triage(cve, release, source)
        if row is not None:
            return row
        unstable = database.triage(cve, "sid", source)
        if unstable is not None and _holds_everywhere(unstable):
            return unstable
    return None


def _holds_everywhere(row: TriageRecord) -> bool:
    return row.status == "not-affected" or (row.status == "unfixed" and row.urgency == UNIMPORTANT)


def _evidence(row: TriageRecord) -> StatementEvidence:
    parts = [f"{row.release} {row.package}: <{row.status}>"]
    if row.urgency:
        parts.append(f"urgency {row.urgency}")
    if row.reason:
        parts.append(f"({row.reason})")
    if row.note:
        parts.append("NOTE: " + row.note.replace("\n", " | "))
    return StatementEvidence("debian-tracker", " ".join(parts), TRACKER_URL + row.cve)


def verdict(finding: Finding, row: TriageRecord) -> VexStatement | None:
    """The statement one tracker row supports for a finding, or None when it says nothing useful."""
    evidence = (_evidence(row),)
    if row.status == "not-affected":
        return statement(
            finding, FindingStatus.NOT_AFFECTED, evidence, confidence=StatementConfidence.HIGH,
            justification=justification_for(row.reason),
            impact=f"Debian security tracker: not affected ({row.reason or 'no reason given'})",
        )  # fmt: skip
    if row.urgency == UNIMPORTANT and row.status != "fixed":
        note = row.reason or (row.note.splitlines()[0] if row.note else "minor issue")
        return statement(
            finding, FindingStatus.AFFECTED, evidence, confidence=StatementConfidence.HIGH,
            impact=f"distribution will not fix: unimportant ({note})",
            action="Debian rates this issue unimportant (no security update planned); assess it yourself.",
        )  # fmt: skip
    if row.status in WONT_FIX:
        note = row.reason or (row.note.splitlines()[0] if row.note else row.status)
        return statement(
            finding, FindingStatus.AFFECTED, evidence, confidence=StatementConfidence.HIGH,
            impact=f"distribution will not fix: {note}",
            action="Accept the risk or mitigate; Debian does not plan a security update for this release.",
        )  # fmt: skip
    return None


def distro_triage(context: TriageContext) -> Iterator[VexStatement]:
    """Producer: tracker verdicts for the Debian findings of the image's release."""
    release = debian_release(context)
    if release is None or context.database is None:
        return
    for finding in findings_of_type(context.findings, PackageType.DEB):
        row = lookup(context, finding, release)
        if row is not None and (made := verdict(finding, row)) is not None:
            yield made
