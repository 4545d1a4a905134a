"""The statement store: triage statements in the advisory database, kept as an append-only audit log.

Adding writes a new `vex_statement` row; revoking writes a `vex_revocation` row; nothing is updated
or deleted. Writes take the same lock as advisory imports (the `.lock` file beside a SQLite
database, the advisory lock on PostgreSQL), so an import that copies the database forward never
loses a statement written meanwhile.
"""

from __future__ import annotations

import contextlib
import fcntl
import secrets
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, insert, select, text
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from hullscan.analyze.vex.errors import StatementError, UnknownStatementError
from hullscan.analyze.vex.products import valid_product
from hullscan.analyze.vex.timestamps import now, parse_time
from hullscan.match.db import AdvisoryDB, DatabaseNotFoundError
from hullscan.match.db.build import rebuilding
from hullscan.match.db.errors import DatabaseError
from hullscan.match.db.location import DbLocation, postgres_engine, resolve, sqlite_engine
from hullscan.match.db.query import ensure_current_schema
from hullscan.match.db.vex_schema import vex_revocation, vex_statement
from hullscan.model.finding import FindingStatus
from hullscan.model.vex import Justification, StatementConfidence, StatementEvidence, VexStatement

DbRef = str | Path | None


@dataclass(frozen=True, slots=True)
class Revocation:
    """A statement withdrawn: by whom, when, why."""

    statement_id: str
    author: str
    recorded_at: str
    reason: str | None = None


@dataclass(frozen=True, slots=True)
class StoredStatement:
    """One row of the audit log: the statement, when it was recorded, and its revocation if any."""

    statement: VexStatement
    recorded_at: str
    revocation: Revocation | None = None

    @property
    def active(self) -> bool:
        """True until revoked."""
        return self.revocation is None


def new_statement_id() -> str:
    """A fresh statement id (`vex-` and 12 hex digits)."""
    return f"vex-{secrets.token_hex(6)}"


def validate(statement: VexStatement) -> None:
    """Raise StatementError when a statement could never be applied or exported faithfully."""
    if not statement.vulnerability.strip():
        raise StatementError("a statement needs a vulnerability id")
    if not valid_product(statement.product):
        raise StatementError(f"product {statement.product!r} is neither a purl nor image:REPO")
    if statement.subcomponent and not valid_product(statement.subcomponent):
        raise StatementError(f"subcomponent {statement.subcomponent!r} is not a purl")
    if statement.timestamp and parse_time(statement.timestamp) is None:
        raise StatementError(f"timestamp {statement.timestamp!r} is not RFC 3339")
    if statement.status is FindingStatus.NOT_AFFECTED:
        if statement.justification is None and not statement.impact_statement:
            raise StatementError("a not_affected statement needs a justification or an impact statement")
    elif statement.justification is not None:
        raise StatementError("a justification is only allowed with status not_affected")
    if statement.status is FindingStatus.AFFECTED and not statement.action_statement:
        raise StatementError("an affected statement needs an action statement (--action)")


def add_statements(db: DbRef, statements: Iterable[VexStatement]) -> tuple[VexStatement, ...]:
    """Record statements (ids and timestamps filled in when missing); return them as stored."""
    completed = tuple(_complete(statement) for statement in statements)
    for statement in completed:
        validate(statement)
    recorded_at = now()
    with _writing(resolve(db)) as connection:
        for statement in completed:
            try:
                connection.execute(insert(vex_statement).values(**_row(statement, recorded_at)))
            except IntegrityError as error:
                raise StatementError(f"statement id {statement.statement_id} already exists") from error
    return completed


def add_statement(db: DbRef, statement: VexStatement) -> VexStatement:
    """Record one statement; return it with its id and timestamp."""
    (stored,) = add_statements(db, [statement])
    return stored


def revoke(db: DbRef, statement_id: str, author: str, reason: str | None = None) -> Revocation:
    """Withdraw a statement (a new audit row); raise UnknownStatementError for an unknown or revoked id."""
    history = {item.statement.statement_id: item for item in statement_history(db)}
    found = history.get(statement_id)
    if found is None:
        raise UnknownStatementError(f"no statement with id {statement_id!r}")
    if found.revocation is not None:
        raise UnknownStatementError(
            f"statement {statement_id} was already revoked by {found.revocation.author} "
            f"at {found.revocation.recorded_at}"
        )
    revocation = Revocation(statement_id, author, now(), reason)
    with _writing(resolve(db)) as connection:
        connection.execute(
            insert(vex_revocation).values(
                revocation_id=new_statement_id().replace("vex-", "rev-"),
                statement_id=statement_id,
                author=author,
                reason=reason,
                recorded_at=revocation.recorded_at,
            )
        )
    return revocation


def statement_history(db: DbRef) -> list[StoredStatement]:
    """Every statement ever recorded, oldest first, with revocations; empty when there is no database."""
    try:
        database = AdvisoryDB.open(db)
    except DatabaseNotFoundError:
        return []
    with database:
        return history_in(database.connection)


def active_statements(db: DbRef) -> list[VexStatement]:
    """The statements that apply now (not revoked)."""
    return [item.statement for item in statement_history(db) if item.active]


def history_in(connection: Connection) -> list[StoredStatement]:
    """The audit log read through an open connection (e.g. `AdvisoryDB.connection`)."""
    try:
        revocations = {
            row.statement_id: Revocation(row.statement_id, row.author, row.recorded_at, row.reason)
            for row in connection.execute(select(vex_revocation).order_by(vex_revocation.c.recorded_at))
        }
        rows = connection.execute(
            select(vex_statement).order_by(vex_statement.c.recorded_at, vex_statement.c.statement_id)
        ).all()
    except SQLAlchemyError as error:
        raise DatabaseError(f"cannot read triage statements: {error}") from error
    return [
        StoredStatement(_statement(row), row.recorded_at, revocations.get(row.statement_id)) for row in rows
    ]


def active_in(connection: Connection) -> list[VexStatement]:
    """The statements not revoked, read through an open connection."""
    return [item.statement for item in history_in(connection) if item.active]


def _complete(statement: VexStatement) -> VexStatement:
    return replace(
        statement,
        statement_id=statement.statement_id or new_statement_id(),
        timestamp=statement.timestamp or now(),
    )


def _row(statement: VexStatement, recorded_at: str) -> dict[str, Any]:
    return {
        "statement_id": statement.statement_id,
        "vulnerability": statement.vulnerability,
        "product": statement.product,
        "subcomponent": statement.subcomponent,
        "status": statement.status.value,
        "justification": statement.justification.value if statement.justification else None,
        "impact_statement": statement.impact_statement,
        "action_statement": statement.action_statement,
        "version_range": statement.version_range,
        "author": statement.author,
        "timestamp": statement.timestamp,
        "confidence": statement.confidence.value,
        "source": statement.source,
        "evidence": [
            {"kind": item.kind, "detail": item.detail, "location": item.location}
            for item in statement.evidence
        ],
        "recorded_at": recorded_at,
    }


def _statement(row: Any) -> VexStatement:
    evidence = row.evidence
    if isinstance(evidence, str):
        import json  # noqa: PLC0415 - SQLite hands JSON back as text on some paths

        evidence = json.loads(evidence)
    return VexStatement(
        vulnerability=row.vulnerability,
        product=row.product,
        status=FindingStatus(row.status),
        justification=Justification(row.justification) if row.justification else None,
        impact_statement=row.impact_statement,
        action_statement=row.action_statement,
        author=row.author,
        timestamp=row.timestamp,
        confidence=StatementConfidence(row.confidence),
        evidence=tuple(
            StatementEvidence(item["kind"], item["detail"], item.get("location")) for item in evidence or ()
        ),
        subcomponent=row.subcomponent,
        version_range=row.version_range,
        statement_id=row.statement_id,
        source=row.source,
    )


@contextlib.contextmanager
def _writing(location: DbLocation) -> Iterator[Connection]:
    """One write transaction on the live database, serialized with advisory imports."""
    _ensure_database(location)
    if location.sqlite_path is not None:
        with _sqlite_writing(location.sqlite_path) as connection:
            yield connection
        return
    engine = postgres_engine(location)
    try:
        with engine.connect() as connection, connection.begin():
            connection.execute(
                text("SELECT pg_advisory_xact_lock(hashtext(:name))"), {"name": location.schema}
            )
            yield connection
    except SQLAlchemyError as error:
        raise DatabaseError(f"writing triage statements to {location.display()} failed: {error}") from error
    finally:
        engine.dispose()


@contextlib.contextmanager
def _sqlite_writing(path: Path) -> Iterator[Connection]:
    lock_path = path.with_name(path.name + ".lock")
    with lock_path.open("a") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        engine = sqlite_engine(path)
        try:
            with engine.connect() as connection, connection.begin():
                yield connection
        except SQLAlchemyError as error:
            raise DatabaseError(f"writing triage statements to {path} failed: {error}") from error
        finally:
            engine.dispose()
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def _ensure_database(location: DbLocation) -> None:
    """Create an empty database when there is none; migrate one that is behind."""
    try:
        ensure_current_schema(location)
    except DatabaseNotFoundError:
        with rebuilding(location):
            pass
