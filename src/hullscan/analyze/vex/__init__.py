"""Triage with reasons (VEX): store, import, apply and export statements about findings.

Public API:

* statements in the database: `add_statement(db, statement)`, `add_statements`, `revoke(db, id, author)`,
  `active_statements(db)`, `statement_history(db)`;
* documents: `read_document(path) -> VexDocument` (OpenVEX 0.2.0, CycloneDX, CSAF 2.0 VEX);
* applying: `triage(report, TriageInputs(...), policy, database=, view=, repository=) -> TriageResult`,
  or `apply_statements(report, statements, policy, repository)`; `load_policy(path)`;
* automated evidence: `Producer = Callable[[TriageContext], Iterable[VexStatement]]`,
  `registered_producers()` (from `hullscan.analyze.vex.evidence.default_producers()`);
* outputs: `statements_for_scan(result, timestamp)` for the encoders `openvex`, `cyclonedx_vex`, `csaf`.
"""

from hullscan.analyze.vex.apply import (
    Considered,
    TriagedFinding,
    TriageResult,
    TriageSummary,
    apply_statements,
)
from hullscan.analyze.vex.context import Producer, TriageContext, registered_producers
from hullscan.analyze.vex.documents import VexDocument, parse_document, read_document
from hullscan.analyze.vex.errors import (
    DocumentError,
    PolicyError,
    StatementError,
    UnknownStatementError,
    VexError,
)
from hullscan.analyze.vex.export import statements_for_scan
from hullscan.analyze.vex.policy import DEFAULT_POLICY, Policy, load_policy
from hullscan.analyze.vex.products import image_repository
from hullscan.analyze.vex.store import (
    Revocation,
    StoredStatement,
    active_statements,
    add_statement,
    add_statements,
    revoke,
    statement_history,
)
from hullscan.analyze.vex.triage import TriageInputs, triage

__all__ = [
    "DEFAULT_POLICY",
    "Considered",
    "DocumentError",
    "Policy",
    "PolicyError",
    "Producer",
    "Revocation",
    "StatementError",
    "StoredStatement",
    "TriageContext",
    "TriageInputs",
    "TriageResult",
    "TriageSummary",
    "TriagedFinding",
    "UnknownStatementError",
    "VexDocument",
    "VexError",
    "active_statements",
    "add_statement",
    "add_statements",
    "apply_statements",
    "image_repository",
    "load_policy",
    "parse_document",
    "read_document",
    "registered_producers",
    "revoke",
    "statement_history",
    "statements_for_scan",
    "triage",
]
