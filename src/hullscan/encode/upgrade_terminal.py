"""`hullscan upgrade -o table`: a rich terminal report (verdict first, then one table per section)."""

from __future__ import annotations

from collections.abc import Sequence

from rich.console import Console
from rich.table import Table

from hullscan.analyze.upgrade.model import ChangeKind, UpgradeReport

_COLOURS = {"safe": "green", "review": "yellow", "breaking": "red", "info": "cyan"}
MAX_ROWS = 60


def _table(title: str, *headers: str) -> Table:
    table = Table(title=title, title_justify="left", show_lines=False)
    for header in headers:
        table.add_column(header, overflow="fold")
    return table


def _print_rows(console: Console, table: Table, rows: Sequence[Sequence[str]]) -> None:
    for row in rows[:MAX_ROWS]:
        table.add_row(*row)
    if rows:
        console.print(table)
    if len(rows) > MAX_ROWS:
        console.print(f"  … {len(rows) - MAX_ROWS} more (use -o json for everything)")


def _packages(console: Console, report: UpgradeReport) -> None:
    rows = [
        (
            c.ecosystem,
            c.kind.value,
            c.name if c.kind is not ChangeKind.RENAMED else f"{c.name} → {c.new_name}",
            c.old_version or "",
            c.new_version or "",
            c.bump.value if c.bump else "",
            c.reason,
        )
        for c in report.packages
    ]
    console.print(
        f"[bold]Packages[/bold]: {len(report.packages)} changed, {report.unchanged_packages} unchanged"
    )
    _print_rows(console, _table("", "ecosystem", "change", "package", "old", "new", "bump", "note"), rows)


def _abi(console: Console, report: UpgradeReport) -> None:
    abi = report.abi
    if abi.interpreters is not None and abi.interpreters.changed:
        i = abi.interpreters
        console.print(
            f"[bold]Python[/bold]: {', '.join(i.old_versions) or 'none'} → "
            f"{', '.join(i.new_versions) or 'none'}"
        )
    _print_rows(
        console,
        _table("Unresolved libraries", "consumer", "needs", "was"),
        [(u.consumer, u.soname, u.old_provider or "") for u in abi.unresolved],
    )
    _print_rows(
        console,
        _table("Missing symbols", "consumer", "symbols"),
        [(m.consumer, ", ".join(m.symbols)) for m in abi.missing_symbols],
    )
    _print_rows(
        console,
        _table("Stranded site-packages", "path", "built for", "NEW reads with"),
        [(s.path, s.built_for, ", ".join(s.readers) or "none") for s in abi.stranded_site_packages],
    )
    _print_rows(
        console,
        _table("Stranded extension modules", "path", "ABI", "NEW loads with"),
        [(s.path, s.abi, ", ".join(s.readers) or "none") for s in abi.stranded_extensions],
    )


def print_report(console: Console, report: UpgradeReport) -> None:
    """Print the report."""
    colour = _COLOURS[report.verdict.value]
    console.print(
        f"[bold {colour}]{report.verdict.value.upper()}[/bold {colour}]  "
        f"{report.old_reference} → {report.new_reference}"
    )
    for reason in report.reasons[:MAX_ROWS]:
        console.print(
            f"  [{_COLOURS[reason.severity.value]}]{reason.severity.value:>8}[/] "
            f"{reason.section}: {reason.message}",
            highlight=False,
        )
    base = report.base
    old_distro = base.old_distro.pretty_name if base.old_distro else "unknown"
    new_distro = base.new_distro.pretty_name if base.new_distro else "unknown"
    console.print(
        f"[bold]Base[/bold]: {old_distro} → {new_distro}; "
        f"{base.shared_layers} layer(s) shared of {len(base.old_layers)} → {len(base.new_layers)}"
    )
    _packages(console, report)
    _abi(console, report)
    _print_rows(
        console,
        _table("Dependency problems", "ecosystem", "problem", "pre-existing"),
        [(p.ecosystem, p.describe(), "yes" if p.pre_existing else "") for p in report.dependencies],
    )
    delta = report.vulnerabilities
    if delta.status.value == "computed":
        console.print(
            f"[bold]Vulnerabilities[/bold]: fixed {len(delta.fixed)}, "
            f"introduced {len(delta.introduced)}, remaining {len(delta.remaining)}"
        )
    else:
        console.print(f"[bold]Vulnerabilities[/bold]: {delta.note}")
    config = report.config
    _print_rows(
        console,
        _table("Image config", "field", "old", "new"),
        [(c.field, c.old, c.new) for c in config.image_config],
    )
    console.print(
        f"[bold]/etc[/bold]: {len(config.etc)} file(s) changed; "
        f"squashed size {config.old_size} → {config.new_size} bytes"
    )
