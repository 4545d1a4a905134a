"""Apply triage statements to a scan's findings: an effective status and the statements that decided it.

For each finding, the statements about its vulnerability (id or alias) whose product covers its
package are gathered; the policy accepts or refuses each; among the accepted ones the latest
timestamp wins (a warning names any disagreement). A finding is suppressed when the winning status
is `not_affected` or `fixed`; it keeps the statements that suppressed it, so nothing is hidden
silently (`--show-suppressed`, `--explain`).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

from hullscan.analyze.vex.policy import DEFAULT_POLICY, Policy
from hullscan.analyze.vex.products import applies_to
from hullscan.analyze.vex.timestamps import sort_key
from hullscan.model.finding import Finding, FindingStatus, ScanReport
from hullscan.model.vex import VexStatement

_SUPPRESSED_STATUSES = (FindingStatus.NOT_AFFECTED, FindingStatus.FIXED)


@dataclass(frozen=True, slots=True)
class Considered:
    """A statement that covers a finding, with the policy's verdict on it."""

    statement: VexStatement
    accepted: bool
    reason: str


@dataclass(frozen=True, slots=True)
class TriagedFinding:
    """A finding after triage: its effective status and the evidence chain behind it."""

    finding: Finding
    status: FindingStatus
    """The effective status (the scanner's own when no statement decided)."""
    decided_by: VexStatement | None
    considered: tuple[Considered, ...] = ()
    conflict: str | None = None

    @property
    def suppressed(self) -> bool:
        """True when an accepted statement says not_affected or fixed."""
        return self.decided_by is not None and self.status in _SUPPRESSED_STATUSES

    @property
    def effective(self) -> Finding:
        """The finding with its effective status."""
        return (
            self.finding if self.finding.status is self.status else replace(self.finding, status=self.status)
        )


@dataclass(frozen=True, slots=True)
class TriageSummary:
    """Signal versus noise: how many findings are what after triage."""

    total: int
    affected: int
    not_affected: dict[str, int]
    """Per reason (a justification, or `impact statement`)."""
    fixed: int
    under_investigation: int
    suppressed: int


@dataclass(frozen=True, slots=True)
class TriageResult:
    """A scan report after triage."""

    report: ScanReport
    findings: tuple[TriagedFinding, ...]
    warnings: tuple[str, ...] = ()
    image_repository: str | None = None
    policy: Policy = DEFAULT_POLICY

    def effective_report(self, *, show_suppressed: bool = False) -> ScanReport:
        """The report with effective statuses; suppressed findings left out unless asked for."""
        kept = [item.effective for item in self.findings if show_suppressed or not item.suppressed]
        hidden = sum(1 for item in self.findings if item.suppressed)
        notes = [f"{hidden} finding(s) suppressed by triage statements (--show-suppressed lists them)"]
        return replace(
            self.report,
            findings=tuple(kept),
            warnings=(
                *self.report.warnings,
                *self.warnings,
                *(notes if hidden and not show_suppressed else ()),
            ),
        )

    def summary(self) -> TriageSummary:
        """Count findings by effective status; not_affected by reason."""
        counts = Counter(item.status for item in self.findings)
        reasons: Counter[str] = Counter()
        for item in self.findings:
            if item.status is FindingStatus.NOT_AFFECTED:
                reasons[_reason(item)] += 1
        return TriageSummary(
            total=len(self.findings),
            affected=counts[FindingStatus.AFFECTED],
            not_affected=dict(sorted(reasons.items())),
            fixed=counts[FindingStatus.FIXED],
            under_investigation=counts[FindingStatus.UNDER_INVESTIGATION],
            suppressed=sum(1 for item in self.findings if item.suppressed),
        )

    def explain(self, vulnerability: str) -> list[TriagedFinding]:
        """The triaged findings for one vulnerability id or alias."""
        wanted = vulnerability.upper()
        return [
            item
            for item in self.findings
            if wanted in {item.finding.id.upper(), *(alias.upper() for alias in item.finding.aliases)}
        ]


def _reason(item: TriagedFinding) -> str:
    statement = item.decided_by
    if statement is None:
        return "scanner"
    if statement.justification is not None:
        return statement.justification.value
    return "impact statement"


def apply_statements(
    report: ScanReport,
    statements: Iterable[VexStatement],
    policy: Policy = DEFAULT_POLICY,
    image_repository: str | None = None,
) -> TriageResult:
    """Triage every finding of `report` with `statements` under `policy`."""
    by_vulnerability: dict[str, list[VexStatement]] = defaultdict(list)
    for statement in statements:
        by_vulnerability[statement.vulnerability.upper()].append(statement)
    warnings: list[str] = []
    triaged = tuple(
        _triage(finding, _candidates(finding, by_vulnerability), policy, image_repository, warnings)
        for finding in report.findings
    )
    return TriageResult(report, triaged, tuple(dict.fromkeys(warnings)), image_repository, policy)


def _candidates(finding: Finding, by_vulnerability: dict[str, list[VexStatement]]) -> list[VexStatement]:
    names = dict.fromkeys(name.upper() for name in (finding.id, *finding.aliases))
    found = [statement for name in names for statement in by_vulnerability.get(name, ())]
    return list({id(statement): statement for statement in found}.values())


def _triage(
    finding: Finding,
    candidates: Sequence[VexStatement],
    policy: Policy,
    repository: str | None,
    warnings: list[str],
) -> TriagedFinding:
    considered: list[Considered] = []
    for statement in candidates:
        applicability = applies_to(statement, finding.package, repository)
        if applicability.problem:
            warnings.append(f"statement {_label(statement)} not applied: {applicability.problem}")
        if applicability.applies:
            verdict = policy.judge(statement)
            considered.append(Considered(statement, verdict.accepted, verdict.reason))
    accepted = sorted(
        (item.statement for item in considered if item.accepted),
        key=lambda statement: (sort_key(statement.timestamp), statement.statement_id),
    )
    if not accepted:
        return TriagedFinding(finding, finding.status, None, tuple(considered))
    winner = accepted[-1]
    conflict = _conflict(finding, accepted, winner)
    if conflict:
        warnings.append(conflict)
    return TriagedFinding(finding, winner.status, winner, tuple(considered), conflict)


def _conflict(finding: Finding, accepted: Sequence[VexStatement], winner: VexStatement) -> str | None:
    others = [statement for statement in accepted if statement.status is not winner.status]
    if not others:
        return None
    losers = ", ".join(f"{_label(s)} says {s.status.value} ({s.timestamp or 'no time'})" for s in others)
    return (
        f"conflicting statements for {finding.id} in {finding.package.name} {finding.package.version}: "
        f"latest wins — {_label(winner)} says {winner.status.value} ({winner.timestamp}); {losers}"
    )


def _label(statement: VexStatement) -> str:
    where = statement.statement_id or statement.source
    return f"{where} by {statement.author}"
