"""The statement store: append-only history, revocation, validation, and survival across advisory imports."""

from __future__ import annotations

import secrets
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from hullscan.analyze.vex import (
    StatementError,
    UnknownStatementError,
    active_statements,
    add_statement,
    revoke,
    statement_history,
)
from hullscan.match.db import import_paths
from hullscan.model.finding import FindingStatus
from hullscan.model.vex import Justification, VexStatement
from unit.db.pgserver import running_postgres

OSV = Path(__file__).resolve().parents[2] / "fixtures" / "match" / "osv"


@pytest.fixture(scope="module")
def postgres_server() -> Iterator[str]:
    with running_postgres() as url:
        yield url


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return str(tmp_path / "db.sqlite")
    server: str = request.getfixturevalue("postgres_server")
    return f"{server}?schema=v_{secrets.token_hex(4)}"


def _statement(**extra: object) -> VexStatement:
    fields: dict[str, object] = {
        "justification": Justification.VULNERABLE_CODE_NOT_IN_EXECUTE_PATH, "author": "alice", "source": "human",
        "subcomponent": "pkg:pypi/idna", "vulnerability": "CVE-2024-3651", "product": "image:example",
        "status": FindingStatus.NOT_AFFECTED,
    }
    fields.update(extra)
    return VexStatement(**fields)  # type: ignore[arg-type]


def test_statements_survive_advisory_imports_and_revocation_is_a_new_row(db_url: str) -> None:
    stored = add_statement(db_url, _statement())  # creates the database
    assert stored.statement_id.startswith("vex-")
    assert stored.timestamp.endswith("Z")
    import_paths(db_url, [OSV / "PyPI"])  # atomic rebuild: a new file / schema swapped in
    import_paths(db_url, [OSV / "npm"])
    assert active_statements(db_url) == [stored]
    revocation = revoke(db_url, stored.statement_id, "bob", "idna is called on user input after all")
    import_paths(db_url, [OSV / "Go"])
    assert active_statements(db_url) == []
    (row,) = statement_history(db_url)
    assert row.statement == stored  # kept unchanged in the audit log
    assert row.revocation == revocation
    assert row.revocation.reason == "idna is called on user input after all"
    with pytest.raises(UnknownStatementError, match="already revoked"):
        revoke(db_url, stored.statement_id, "carol")


def test_sqlite_rows_are_appended_never_updated(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite"
    first = add_statement(path, _statement())
    second = add_statement(path, _statement(justification=Justification.COMPONENT_NOT_PRESENT))
    revoke(path, first.statement_id, "bob")
    with sqlite3.connect(path) as connection:
        statements = connection.execute("SELECT statement_id, justification FROM vex_statement ORDER BY recorded_at").fetchall()
        revocations = connection.execute("SELECT statement_id, author FROM vex_revocation").fetchall()
    assert statements == [(first.statement_id, "vulnerable_code_not_in_execute_path"), (second.statement_id, "component_not_present")]
    assert revocations == [(first.statement_id, "bob")]
    assert [s.statement_id for s in active_statements(path)] == [second.statement_id]


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"product": "not a product"}, "neither a purl nor image:REPO"),
        ({"justification": None}, "needs a justification or an impact statement"),
        ({"timestamp": "next tuesday"}, "not RFC 3339"),
        ({"status": FindingStatus.AFFECTED}, "only allowed with status not_affected"),
        ({"subcomponent": "idna"}, "is not a purl"),
    ],
)
def test_bad_statements_are_refused(tmp_path: Path, extra: dict[str, object], message: str) -> None:
    with pytest.raises(StatementError, match=message):
        add_statement(tmp_path / "db.sqlite", _statement(**extra))
    assert statement_history(tmp_path / "db.sqlite") == []


def test_unknown_ids_cannot_be_revoked(tmp_path: Path) -> None:
    add_statement(tmp_path / "db.sqlite", _statement())
    with pytest.raises(UnknownStatementError, match="no statement with id"):
        revoke(tmp_path / "db.sqlite", "vex-000000000000", "bob")
