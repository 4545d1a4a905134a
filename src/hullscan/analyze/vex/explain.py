"""Plain-text views of a triage: the signal-versus-noise summary and one finding's evidence chain."""

from __future__ import annotations

from hullscan.analyze.vex.apply import TriagedFinding, TriageResult


def summary_lines(result: TriageResult) -> list[str]:
    """`signal vs noise: N findings — A affected, …` and one line per not_affected reason."""
    summary = result.summary()
    not_affected = sum(summary.not_affected.values())
    counts = (
        f"{summary.affected} affected, {not_affected} not affected, {summary.fixed} fixed, "
        f"{summary.under_investigation} under investigation; {summary.suppressed} suppressed"
    )
    lines = [f"signal vs noise: {summary.total} finding(s) — {counts}"]
    lines += [f"  not affected, {reason}: {count}" for reason, count in summary.not_affected.items()]
    return lines


def explain_lines(result: TriageResult, vulnerability: str) -> list[str]:
    """The evidence chain of every finding for one vulnerability (id or alias)."""
    items = result.explain(vulnerability)
    if not items:
        return [f"{vulnerability}: no finding with this id or alias in this scan"]
    lines: list[str] = []
    for item in items:
        lines += _one(item, result)
    return lines


def _one(item: TriagedFinding, result: TriageResult) -> list[str]:
    finding = item.finding
    package = finding.package
    lines = [
        f"{finding.id} in {package.name} {package.version} ({package.purl or package.type.value})",
        f"  scanner: {finding.status.value}, severity {finding.severity.value}, fix {finding.fix or 'none'}",
    ]
    lines += [
        f"    advisory {e.advisory_id}: {e.ecosystem} {e.package_name} {e.version} via {e.matcher}"
        f" {e.matched_by}"
        for e in finding.evidence
    ]
    if not item.considered:
        lines.append("  no triage statement covers this finding")
    for considered in item.considered:
        statement = considered.statement
        verdict = "accepted" if considered.accepted else "not applied"
        reason = (
            statement.justification.value if statement.justification else (statement.impact_statement or "-")
        )
        lines.append(
            f"  statement {statement.statement_id or '(document)'} by {statement.author}"
            f" at {statement.timestamp} [{statement.source}, {statement.confidence.value}]:"
            f" {statement.status.value} ({reason}) — {verdict}: {considered.reason}"
        )
        if statement.impact_statement and statement.justification:
            lines.append(f"    impact: {statement.impact_statement}")
        if statement.action_statement:
            lines.append(f"    action: {statement.action_statement}")
        lines += [
            f"    evidence {e.kind}: {e.detail}" + (f" @ {e.location}" if e.location else "")
            for e in statement.evidence
        ]
    outcome = "suppressed" if item.suppressed else "shown"
    lines.append(f"  effective: {item.status.value} ({outcome}; {result.policy.source})")
    if item.conflict:
        lines.append(f"  conflict: {item.conflict}")
    return lines
