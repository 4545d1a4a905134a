"""`scan` and `db`: match an image against the advisory database, and keep that database."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from hullscan import api
from hullscan.cli.common import (
    EXIT_THRESHOLD,
    DbOpt,
    LayerProgress,
    OutFileOpt,
    VexFormat,
    console_for,
    emit,
    err,
    fail,
    image_options,
    out,
    vex_text,
)
from hullscan.config import ScanOptions
from hullscan.errors import HullscanError
from hullscan.model.finding import ScanReport


class ScanFormat(StrEnum):
    """Output formats of `hullscan scan`."""

    TABLE = "table"
    JSON = "json"
    SARIF = "sarif"
    OPENVEX = "openvex"
    CYCLONEDX_VEX = "cyclonedx-vex"
    CSAF = "csaf"


class FailOn(StrEnum):
    """Severity thresholds for `--fail-on`."""

    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"


TargetArg = Annotated[
    str, typer.Argument(help="An image reference (as for `sbom`) or a `hullscan sbom -o json` file")
]
ScanFormatOpt = Annotated[ScanFormat, typer.Option("--output", "-o", help="Output format")]
FailOnOpt = Annotated[
    FailOn | None, typer.Option("--fail-on", help="Exit 1 when a finding is at least this severe")
]
OnlyFixedOpt = Annotated[
    bool, typer.Option("--only-fixed", help="Show only findings that a newer version fixes")
]
IgnoreUnfixedOpt = Annotated[
    bool, typer.Option("--ignore-unfixed", help="Hide affected findings with no fix yet")
]
VexFilesOpt = Annotated[
    list[Path] | None,
    typer.Option("--vex", help="OpenVEX, CycloneDX or CSAF VEX document to apply (repeatable)"),
]
PolicyOpt = Annotated[
    Path | None, typer.Option("--policy", help="TOML triage policy: which statements suppress")
]
ShowSuppressedOpt = Annotated[
    bool, typer.Option("--show-suppressed", help="List findings that statements suppress")
]
ExplainOpt = Annotated[
    str | None, typer.Option("--explain", help="Print the evidence chain of one vulnerability")
]
ImageRepoOpt = Annotated[
    str | None,
    typer.Option("--image-repo", help="Repository `image:REPO` statements name (default: from the image)"),
]
NoEvidenceOpt = Annotated[
    bool, typer.Option("--no-evidence", help="Do not run the automated evidence producers")
]


@image_options()
def scan(
    target: TargetArg,
    output: ScanFormatOpt = ScanFormat.TABLE,
    file: OutFileOpt = None,
    fail_on: FailOnOpt = None,
    only_fixed: OnlyFixedOpt = False,
    ignore_unfixed: IgnoreUnfixedOpt = False,
    db: DbOpt = None,
    vex: VexFilesOpt = None,
    policy: PolicyOpt = None,
    show_suppressed: ShowSuppressedOpt = False,
    explain: ExplainOpt = None,
    image_repo: ImageRepoOpt = None,
    no_evidence: NoEvidenceOpt = False,
    *,
    options: ScanOptions,
) -> None:
    """Match an image's packages against the advisory database (exit 1 on --fail-on, 2 on errors)."""
    from hullscan.match.matcher import threshold_reached  # noqa: PLC0415
    from hullscan.model.finding import Severity  # noqa: PLC0415

    try:
        with LayerProgress() as progress:
            report = api.scan(
                target,
                options,
                db=db,
                only_fixed=only_fixed,
                ignore_unfixed=ignore_unfixed,
                progress=progress,
            )
        triaged = api.triage(
            report,
            target,
            options,
            db=db,
            vex_documents=vex or (),
            policy_file=policy,
            producers=() if no_evidence else None,
            image_repository=image_repo,
        )
    except HullscanError as error:
        fail(error)
    _write_scan(triaged.effective_report(show_suppressed=show_suppressed), output, file, triaged)
    _print_triage(triaged, output, explain)
    shown = triaged.effective_report().findings
    if fail_on is not None and threshold_reached(shown, Severity(fail_on.value)):
        raise typer.Exit(EXIT_THRESHOLD)


def _write_scan(report: ScanReport, output: ScanFormat, file: Path | None, triaged: Any = None) -> None:
    from hullscan.encode import sarif, scan_json, scan_table  # noqa: PLC0415

    if output is ScanFormat.TABLE:
        with console_for(file) as console:
            scan_table.print_scan(console, report)
        return
    if output in _VEX_FORMATS:
        text = _scan_vex(triaged, output)
    else:
        text = scan_json.encode(report) if output is ScanFormat.JSON else sarif.encode(report)
    emit(text, file)


_VEX_FORMATS = (ScanFormat.OPENVEX, ScanFormat.CYCLONEDX_VEX, ScanFormat.CSAF)


def _scan_vex(triaged: Any, output: ScanFormat) -> str:
    from hullscan.analyze.vex import statements_for_scan  # noqa: PLC0415
    from hullscan.analyze.vex.timestamps import now  # noqa: PLC0415

    fmt = {ScanFormat.OPENVEX: VexFormat.OPENVEX, ScanFormat.CYCLONEDX_VEX: VexFormat.CYCLONEDX}.get(
        output, VexFormat.CSAF
    )
    for warning in triaged.effective_report().warnings:
        err.print(f"warning: {warning}", markup=False, highlight=False)
    return vex_text(statements_for_scan(triaged, now()), fmt, "hullscan")


def _print_triage(triaged: Any, output: ScanFormat, explain: str | None) -> None:
    """The signal-vs-noise summary (table output) and `--explain` (stdout for tables, else stderr)."""
    from hullscan.analyze.vex.explain import explain_lines, summary_lines  # noqa: PLC0415

    console = out if output is ScanFormat.TABLE else err
    lines = summary_lines(triaged) if output is ScanFormat.TABLE else []
    if explain:
        lines += explain_lines(triaged, explain)
    for line in lines:
        console.print(line, markup=False, highlight=False)


db_app = typer.Typer(
    name="db", help="Import, update and inspect the advisory database.", no_args_is_help=True
)
PathsArg = Annotated[
    list[Path], typer.Argument(help="OSV zips, folders or record files; Debian tracker DSA/DLA lists")
]
EcosystemOpt = Annotated[
    list[str] | None, typer.Option("--ecosystem", help="Ecosystem to download (repeatable)")
]
BaseUrlOpt = Annotated[
    str | None, typer.Option("--base-url", help="Where <Ecosystem>/all.zip files are served")
]


@db_app.command("import")
def db_import(paths: PathsArg, db: DbOpt = None) -> None:
    """Add records to the database (one transaction; the old database stays until it succeeds)."""
    from hullscan.match.db import import_paths  # noqa: PLC0415

    try:
        report = import_paths(db, paths)
    except HullscanError as error:
        fail(error)
    out.print(
        f"imported {report.advisories} advisories ({report.affected} affected entries, "
        f"{report.triage} triage rows) in {report.seconds:.1f} s; "
        f"{report.skipped} skipped, {report.warning_count} warning(s)"
    )
    for warning in report.warnings[:20]:
        line = f"warning: {warning.source}: {warning.record_id or '-'}: {warning.reason}"
        err.print(line, markup=False, highlight=False)


@db_app.command("update")
def db_update(
    db: DbOpt = None,
    ecosystem: EcosystemOpt = None,
    base_url: BaseUrlOpt = None,
) -> None:
    """Download the OSV exports that changed and import them."""
    from hullscan.match import db as advisory_db  # noqa: PLC0415

    try:
        ecosystems = tuple(ecosystem) if ecosystem else advisory_db.DEFAULT_ECOSYSTEMS
        report = advisory_db.update(db, ecosystems, base_url or advisory_db.DEFAULT_BASE_URL)
    except HullscanError as error:
        fail(error)
    for item in report.downloads:
        state = "not modified" if item.not_modified else f"{item.bytes_downloaded} bytes"
        out.print(f"{item.ecosystem}: {state}")
    if report.imported is not None:
        out.print(f"imported {report.imported.advisories} advisories in {report.imported.seconds:.1f} s")


@db_app.command("status")
def db_status(db: DbOpt = None) -> None:
    """Show what the database holds and how old it is."""
    from hullscan.match.db import status  # noqa: PLC0415

    try:
        result = status(db)
    except HullscanError as error:
        fail(error)
    out.print(f"database: {result.location} (schema {result.schema_version})")
    out.print(f"advisories: {result.advisories}; triage rows: {result.triage_rows}")
    for family, count in result.per_ecosystem.items():
        out.print(f"  {family}: {count}")
    age = "never" if result.age_days is None else f"{result.age_days:.1f} days ago"
    out.print(f"last import: {age}")
    for warning in result.warnings:
        err.print(f"warning: {warning}", markup=False, highlight=False)
