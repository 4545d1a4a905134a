"""Atomic rebuilds: every import writes a new SQLite file or PostgreSQL schema and swaps it in.

SQLite: the current file is copied (backup API) to `db.sqlite.tmp-<pid>-<token>` in the same
directory, migrated and filled in one transaction, fsynced, then `os.replace`d over `db.sqlite`.
PostgreSQL: one server transaction creates `<schema>_new_<token>`, copies the current tables into
it, imports, and renames the schemas; an aborted client leaves the server to roll everything back.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import secrets
import sqlite3
from collections.abc import Iterator
from pathlib import Path

from sqlalchemy import Connection, text
from sqlalchemy.exc import SQLAlchemyError

from hullscan.match.db import migrate
from hullscan.match.db.errors import DatabaseError
from hullscan.match.db.location import DbLocation, postgres_engine, sqlite_engine
from hullscan.match.db.schema import ALL_TABLES
from hullscan.match.db.vex_schema import VEX_TABLES

_TMP_MARKER = ".tmp-"


@contextlib.contextmanager
def rebuilding(location: DbLocation) -> Iterator[Connection]:
    """Yield a connection inside one transaction on a fresh copy of the database; swap it in on success.

    On any exception (or a kill of the process) the previous database stays as it was.
    """
    if location.sqlite_path is not None:
        with _rebuilding_sqlite(location.sqlite_path) as connection:
            yield connection
    else:
        with _rebuilding_postgres(location) as connection:
            yield connection


@contextlib.contextmanager
def _rebuilding_sqlite(path: Path) -> Iterator[Connection]:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise DatabaseError(f"cannot create the database directory {path.parent}: {error}") from error
    with _exclusive_lock(path.with_name(path.name + ".lock")):
        _remove_abandoned_temporaries(path)
        temporary = path.with_name(f"{path.name}{_TMP_MARKER}{os.getpid()}-{secrets.token_hex(4)}")
        try:
            if path.exists():
                _copy_sqlite(path, temporary)
            engine = sqlite_engine(temporary, build=True)
            try:
                with engine.connect() as connection, connection.begin():
                    migrate.upgrade(connection)
                    yield connection
            finally:
                engine.dispose()
            _fsync_file(temporary)
            os.replace(temporary, path)
            _fsync_directory(path.parent)
        except sqlite3.Error as error:
            raise DatabaseError(f"writing the advisory database {path} failed: {error}") from error
        except SQLAlchemyError as error:
            raise DatabaseError(f"writing the advisory database {path} failed: {error}") from error
        finally:
            temporary.unlink(missing_ok=True)


def _copy_sqlite(source: Path, destination: Path) -> None:
    """Copy a live SQLite database consistently (backup API), read-only on the source."""
    src = sqlite3.connect(f"{source.as_uri()}?mode=ro", uri=True)
    try:
        src.execute("SELECT count(*) FROM sqlite_master").fetchone()
        dst = sqlite3.connect(destination)
        try:
            src.backup(dst)
        finally:
            dst.close()
    except sqlite3.DatabaseError as error:
        raise DatabaseError(
            f"the existing database {source} is not a readable SQLite file: {error}",
            hint=f"Move {source} away (or delete it) and import again.",
        ) from error
    finally:
        src.close()


def _remove_abandoned_temporaries(path: Path) -> None:
    """Delete temporary files left by killed imports (their process no longer exists)."""
    for candidate in path.parent.glob(f"{path.name}{_TMP_MARKER}*"):
        pid_text = candidate.name[len(path.name) + len(_TMP_MARKER) :].split("-", 1)[0]
        if pid_text.isdigit() and not _process_alive(int(pid_text)):
            candidate.unlink(missing_ok=True)


def _process_alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@contextlib.contextmanager
def _exclusive_lock(lock_path: Path) -> Iterator[None]:
    """Serialize imports into one database file (readers are never blocked)."""
    with lock_path.open("a") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def _fsync_file(path: Path) -> None:
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def _fsync_directory(path: Path) -> None:
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


@contextlib.contextmanager
def _rebuilding_postgres(location: DbLocation) -> Iterator[Connection]:
    live = location.schema
    staging = f"{live}_new_{secrets.token_hex(4)}"
    retired = f"{live}_old_{secrets.token_hex(4)}"
    engine = postgres_engine(location, search_path=staging)
    try:
        with engine.connect() as connection, connection.begin():
            connection.execute(text("SELECT pg_advisory_xact_lock(hashtext(:name))"), {"name": live})
            live_exists = _schema_exists(connection, live)
            if live_exists:
                connection.execute(text(f'SET LOCAL search_path TO "{live}"'))
                migrate.upgrade(connection)
            connection.execute(text(f'CREATE SCHEMA "{staging}"'))
            connection.execute(text(f'SET LOCAL search_path TO "{staging}"'))
            migrate.upgrade(connection)
            if live_exists:
                _copy_schema(connection, live, staging)
            yield connection
            if live_exists:
                connection.execute(text(f'ALTER SCHEMA "{live}" RENAME TO "{retired}"'))
            connection.execute(text(f'ALTER SCHEMA "{staging}" RENAME TO "{live}"'))
            if live_exists:
                connection.execute(text(f'DROP SCHEMA "{retired}" CASCADE'))
    except SQLAlchemyError as error:
        raise DatabaseError(f"writing the advisory database {location.display()} failed: {error}") from error
    finally:
        engine.dispose()


def _schema_exists(connection: Connection, schema: str) -> bool:
    found = connection.execute(
        text("SELECT 1 FROM information_schema.schemata WHERE schema_name = :name"), {"name": schema}
    ).first()
    return found is not None


def _copy_schema(connection: Connection, source: str, destination: str) -> None:
    for table in (*ALL_TABLES, *VEX_TABLES):  # triage statements are carried forward too
        columns = ", ".join(f'"{column.name}"' for column in table.columns)
        connection.execute(
            text(
                f'INSERT INTO "{destination}"."{table.name}" ({columns}) '  # noqa: S608 - names come from our schema
                f'SELECT {columns} FROM "{source}"."{table.name}"'
            )
        )
