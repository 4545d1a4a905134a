"""The terminal view of a scan: one table section per package, then counts by severity and patch class."""

from __future__ import annotations

from collections.abc import Sequence

from rich.console import Console
from rich.table import Table
from rich.text import Text

from hullscan.encode.scan_json import patch_class_counts, severity_counts
from hullscan.model.finding import Finding, FindingStatus, ScanReport, Severity

SEVERITY_STYLE: dict[Severity, str] = {
    Severity.CRITICAL: "bold red",
    Severity.HIGH: "red",
    Severity.MEDIUM: "yellow",
    Severity.LOW: "green",
    Severity.NEGLIGIBLE: "dim",
    Severity.UNKNOWN: "dim",
}


def _short_layer(digest: str | None) -> str:
    return digest.removeprefix("sha256:")[:12] if digest else "-"


def grouped(findings: Sequence[Finding]) -> list[list[Finding]]:
    """Findings grouped by package, worst package first, each group worst finding first."""
    groups: dict[str, list[Finding]] = {}
    for finding in findings:
        groups.setdefault(finding.package.id, []).append(finding)
    for items in groups.values():
        items.sort(key=lambda f: (-f.severity.rank, f.id))
    return sorted(
        groups.values(),
        key=lambda items: (
            -items[0].severity.rank,
            -len(items),
            items[0].package.name,
            items[0].package.version,
        ),
    )


def _status(finding: Finding) -> str:
    text = finding.status.value.replace("_", " ")
    if finding.status is FindingStatus.AFFECTED and finding.fix is None:
        return "affected, no fix"
    return text


def findings_table(findings: Sequence[Finding]) -> Table:
    """Return the findings table (package cells shown once per group)."""
    table = Table(show_lines=False, header_style="bold")
    columns = ("Package", "Version", "Type", "Vulnerability", "Severity", "Status", "Fix", "Patch", "Layer")
    for column in columns:
        table.add_column(column, overflow="fold")
    for items in grouped(findings):
        for index, finding in enumerate(items):
            package = finding.package
            first = index == 0
            vulnerability = finding.id + ("" if not finding.caveats else " *")
            table.add_row(
                package.name if first else "",
                package.version if first else "",
                package.type.value if first else "",
                vulnerability,
                Text(finding.severity.value, style=SEVERITY_STYLE[finding.severity]),
                _status(finding),
                finding.fix or "-",
                finding.patch_class.value if finding.patch_class else "-",
                _short_layer(finding.layer_digest) if first else "",
                end_section=index == len(items) - 1,
            )
    return table


def summary_line(findings: Sequence[Finding]) -> Text:
    """Return `N findings in M packages: 1 critical, 2 high, ...`."""
    counts = severity_counts(tuple(findings))
    packages = len({finding.package.id for finding in findings})
    text = Text(f"{len(findings)} finding(s) in {packages} package(s): ")
    parts = [(level, count) for level, count in counts.items() if count]
    for index, (level, count) in enumerate(parts):
        text.append(f"{count} {level}", style=SEVERITY_STYLE[Severity(level)])
        if index < len(parts) - 1:
            text.append(", ")
    if not parts:
        text.append("none")
    return text


def patch_class_line(findings: Sequence[Finding]) -> Text | None:
    """Return `by patch class: 3 ops, 1 dev-compatible, ...` (None when no finding was classified)."""
    counts = patch_class_counts(tuple(findings))
    if counts is None:
        return None
    return Text(f"by patch class: {', '.join(f'{count} {name}' for name, count in counts.items())}")


def print_scan(console: Console, report: ScanReport) -> None:
    """Print the table, the severity and patch class summaries, caveat legend and warnings."""
    if report.findings:
        console.print(findings_table(report.findings))
    console.print(summary_line(report.findings))
    classes = patch_class_line(report.findings)
    if classes is not None:
        console.print(classes)
    if any(finding.caveats for finding in report.findings):
        console.print(
            "* caveats apply (low confidence or unparseable version); see -o json for details", style="dim"
        )
    for warning in report.warnings:
        console.print(f"warning: {warning}", style="yellow", markup=False, highlight=False)
