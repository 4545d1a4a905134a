"""`vex add|list|revoke|import|export`: triage statements with reasons, kept in the database."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from hullscan.cli.common import DbOpt, OutFileOpt, VexFormat, emit, err, fail, out, vex_text
from hullscan.errors import HullscanError

_PRODUCT_HELP = "A package purl (version optional; a deb/rpm source covers its binaries) or image:REPO"

vex_app = typer.Typer(
    name="vex", help="Triage statements with reasons, kept in the database.", no_args_is_help=True
)


class VexStatus(StrEnum):
    """Statuses of `vex add`."""

    NOT_AFFECTED = "not_affected"
    AFFECTED = "affected"
    FIXED = "fixed"
    UNDER_INVESTIGATION = "under_investigation"


class VexJustification(StrEnum):
    """Justifications of `vex add --status not_affected`."""

    COMPONENT_NOT_PRESENT = "component_not_present"
    VULNERABLE_CODE_NOT_PRESENT = "vulnerable_code_not_present"
    VULNERABLE_CODE_NOT_IN_EXECUTE_PATH = "vulnerable_code_not_in_execute_path"
    VULNERABLE_CODE_CANNOT_BE_CONTROLLED_BY_ADVERSARY = "vulnerable_code_cannot_be_controlled_by_adversary"
    INLINE_MITIGATIONS_ALREADY_EXIST = "inline_mitigations_already_exist"


def _default_author() -> str:
    import getpass  # noqa: PLC0415

    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


AuthorOpt = Annotated[
    str | None, typer.Option("--author", help="Who makes the statement (default: the login name)")
]


@vex_app.command("add")
def vex_add(
    vulnerability: Annotated[str, typer.Argument(help="Vulnerability id (CVE, GHSA, OSV id)")],
    product: Annotated[
        str, typer.Option("--product", help=_PRODUCT_HELP)
    ],
    status: Annotated[VexStatus, typer.Option("--status", help="The vulnerability's status in the product")],
    justification: Annotated[
        VexJustification | None, typer.Option("--justification", help="Why not_affected")
    ] = None,
    impact: Annotated[str | None, typer.Option("--impact", help="Why not_affected, in words")] = None,
    action: Annotated[str | None, typer.Option("--action", help="What to do (required for affected)")] = None,
    subcomponent: Annotated[
        str | None,
        typer.Option("--subcomponent", help="With image:REPO: the package purl (version optional)"),
    ] = None,
    version_range: Annotated[
        str | None, typer.Option("--version-range", help="Only these package versions, e.g. '<3.0.12'")
    ] = None,
    author: AuthorOpt = None,
    db: DbOpt = None,
) -> None:
    """Record a triage statement (kept with author and time; applies to later builds too)."""
    from hullscan.analyze.vex import StatementError, add_statement  # noqa: PLC0415
    from hullscan.model.finding import FindingStatus  # noqa: PLC0415
    from hullscan.model.vex import Justification, StatementEvidence, VexStatement  # noqa: PLC0415

    who = author or _default_author()
    statement = VexStatement(
        vulnerability=vulnerability,
        product=product,
        status=FindingStatus(status.value),
        justification=Justification(justification.value) if justification else None,
        impact_statement=impact,
        action_statement=action,
        author=who,
        evidence=(StatementEvidence("human", impact or action or status.value, None),),
        subcomponent=subcomponent,
        version_range=version_range,
        source="human",
    )
    try:
        if statement.status is FindingStatus.AFFECTED and not action:
            raise StatementError("an affected statement needs --action (what to do about it)")
        stored = add_statement(db, statement)
    except HullscanError as error:
        fail(error)
    out.print(
        f"{stored.statement_id}: {vulnerability} {status.value} for {product}", markup=False, highlight=False
    )


@vex_app.command("list")
def vex_list(
    product: Annotated[
        str | None, typer.Option("--product", help="Only statements about this product")
    ] = None,
    history: Annotated[bool, typer.Option("--history", help="Include revoked statements")] = False,
    db: DbOpt = None,
) -> None:
    """List triage statements (active ones; --history for the whole audit log)."""
    from rich.table import Table  # noqa: PLC0415

    from hullscan.analyze.vex import statement_history  # noqa: PLC0415

    try:
        rows = statement_history(db)
    except HullscanError as error:
        fail(error)
    table = Table(header_style="bold")
    for column in ("ID", "Vulnerability", "Product", "Status", "Reason", "Author", "Time", "Revoked"):
        table.add_column(column, overflow="fold")
    for row in rows:
        item = row.statement
        if (not history and not row.active) or (product and product not in (item.product, item.subcomponent)):
            continue
        target = item.product + (f" / {item.subcomponent}" if item.subcomponent else "")
        reason = (
            item.justification.value
            if item.justification
            else (item.impact_statement or item.action_statement or "")
        )
        revoked = f"{row.revocation.recorded_at} by {row.revocation.author}" if row.revocation else ""
        table.add_row(
            item.statement_id,
            item.vulnerability,
            target,
            item.status.value,
            reason,
            item.author,
            item.timestamp,
            revoked,
        )
    out.print(table)


@vex_app.command("revoke")
def vex_revoke(
    statement_id: Annotated[str, typer.Argument(help="The statement's ID (see `vex list`)")],
    reason: Annotated[str | None, typer.Option("--reason", help="Why it no longer holds")] = None,
    author: AuthorOpt = None,
    db: DbOpt = None,
) -> None:
    """Withdraw a statement (recorded as a new audit entry; the statement stays in the history)."""
    from hullscan.analyze.vex import revoke  # noqa: PLC0415

    try:
        revocation = revoke(db, statement_id, author or _default_author(), reason)
    except HullscanError as error:
        fail(error)
    out.print(f"revoked {statement_id} at {revocation.recorded_at}", markup=False, highlight=False)


@vex_app.command("import")
def vex_import(
    document: Annotated[Path, typer.Argument(help="OpenVEX 0.2.0, CycloneDX VEX or CSAF 2.0 VEX JSON")],
    db: DbOpt = None,
) -> None:
    """Store the statements of a VEX document (upstream projects, vendors); bad ones are reported."""
    from hullscan.analyze.vex import add_statements, read_document  # noqa: PLC0415

    try:
        parsed = read_document(document)
        stored = add_statements(db, parsed.statements)
    except HullscanError as error:
        fail(error)
    for warning in parsed.warnings:
        err.print(f"warning: {warning}", markup=False, highlight=False)
    out.print(
        f"imported {len(stored)} statement(s) from {parsed.name} ({parsed.format}); "
        f"{len(parsed.warnings)} warning(s)",
        markup=False,
        highlight=False,
    )


@vex_app.command("export")
def vex_export(
    output: Annotated[VexFormat, typer.Option("--output", "-o", help="Document format")] = VexFormat.OPENVEX,
    file: OutFileOpt = None,
    author: AuthorOpt = None,
    db: DbOpt = None,
) -> None:
    """Write the active statements as one VEX document."""
    from hullscan.analyze.vex import active_statements  # noqa: PLC0415

    try:
        text = vex_text(active_statements(db), output, author or _default_author())
    except HullscanError as error:
        fail(error)
    emit(text, file)
