"""The triage pass of `hullscan scan`: gather statements (store, documents, producers) and apply them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from hullscan.analyze.vex.apply import TriageResult, apply_statements
from hullscan.analyze.vex.context import Producer, TriageContext
from hullscan.analyze.vex.documents import read_document
from hullscan.analyze.vex.policy import AUTOMATED_SOURCE, Policy
from hullscan.analyze.vex.store import active_in
from hullscan.fileview.interface import FileView
from hullscan.match.db import AdvisoryDB
from hullscan.model.finding import ScanReport
from hullscan.model.vex import VexStatement


@dataclass(frozen=True, slots=True)
class TriageInputs:
    """Where statements come from for one scan."""

    documents: Sequence[Path] = ()
    producers: Sequence[Producer] = ()
    use_store: bool = True


def gather(
    report: ScanReport,
    inputs: TriageInputs,
    database: AdvisoryDB | None,
    view: FileView | None,
    repository: str | None,
) -> tuple[list[VexStatement], list[str]]:
    """Every statement that may apply to this scan, and warnings about the ones that cannot."""
    statements: list[VexStatement] = []
    warnings: list[str] = []
    if inputs.use_store and database is not None:
        statements += active_in(database.connection)
    for path in inputs.documents:
        document = read_document(path)
        statements += document.statements
        warnings += document.warnings
    context = TriageContext(report.inventory, report.findings, view, database, repository)
    for producer in inputs.producers:
        statements += [_automated(statement) for statement in producer(context)]
    return statements, warnings


def _automated(statement: VexStatement) -> VexStatement:
    """Producers' statements are automated evidence whatever they set."""
    return statement if statement.source == AUTOMATED_SOURCE else replace(statement, source=AUTOMATED_SOURCE)


def triage(
    report: ScanReport,
    inputs: TriageInputs,
    policy: Policy,
    *,
    database: AdvisoryDB | None = None,
    view: FileView | None = None,
    repository: str | None = None,
) -> TriageResult:
    """Gather and apply statements; document and applicability warnings end up in the result."""
    statements, warnings = gather(report, inputs, database, view, repository)
    result = apply_statements(report, statements, policy, repository)
    return replace(result, warnings=tuple(dict.fromkeys([*warnings, *result.warnings])))
