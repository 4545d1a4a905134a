"""Where the database lives: a SQLite file (default `<cache_dir>/db.sqlite`) or a PostgreSQL schema."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import URL, Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.pool import NullPool

from hullscan.config import default_cache_dir
from hullscan.match.db.errors import DatabaseLocationError

DEFAULT_FILE_NAME = "db.sqlite"
DEFAULT_PG_SCHEMA = "hullscan"
_SCHEMA_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,40}$")


@dataclass(frozen=True, slots=True)
class DbLocation:
    """A resolved database location."""

    url: URL
    sqlite_path: Path | None
    """Set for SQLite; None for PostgreSQL."""
    schema: str
    """PostgreSQL schema holding the tables (unused for SQLite)."""

    @property
    def is_sqlite(self) -> bool:
        """True for a SQLite file."""
        return self.sqlite_path is not None

    def display(self) -> str:
        """A printable location with any password hidden."""
        if self.sqlite_path is not None:
            return str(self.sqlite_path)
        return self.url.render_as_string(hide_password=True) + f" (schema {self.schema})"


def resolve(db_url: str | Path | None) -> DbLocation:
    """Turn a path, a `sqlite:///` URL, a `postgresql+psycopg://` URL or None (default) into a location.

    A PostgreSQL URL may carry `?schema=NAME` (default `hullscan`).
    """
    if db_url is None:
        return _sqlite(default_cache_dir() / DEFAULT_FILE_NAME)
    if isinstance(db_url, Path) or "://" not in db_url:
        return _sqlite(Path(db_url))
    try:
        url = make_url(db_url)
    except ArgumentError as error:
        raise DatabaseLocationError(f"not a database URL: {db_url!r}") from error
    backend = url.get_backend_name()
    if backend == "sqlite":
        if not url.database or url.database == ":memory:":
            raise DatabaseLocationError("an in-memory SQLite database cannot hold advisories between runs")
        return _sqlite(Path(url.database))
    if backend == "postgresql":
        return _postgresql(url)
    raise DatabaseLocationError(f"unsupported database backend {backend!r} in {db_url!r}")


def _sqlite(path: Path) -> DbLocation:
    absolute = path.expanduser().absolute()
    return DbLocation(URL.create("sqlite", database=str(absolute)), absolute, DEFAULT_PG_SCHEMA)


def _postgresql(url: URL) -> DbLocation:
    schema = str(url.query.get("schema", DEFAULT_PG_SCHEMA))
    if not _SCHEMA_NAME.match(schema):
        raise DatabaseLocationError(f"invalid PostgreSQL schema name {schema!r} (use [a-z_][a-z0-9_]*)")
    cleaned = url.difference_update_query(["schema"]).set(drivername="postgresql+psycopg")
    return DbLocation(cleaned, None, schema)


def sqlite_engine(path: Path, *, build: bool = False) -> Engine:
    """An engine on one SQLite file with real transactions (BEGIN emitted by us, DDL included).

    `build=True` switches off the journal and syncing: used only on a private temporary file that is
    thrown away on failure and fsynced before it is renamed into place.
    """
    engine = create_engine(URL.create("sqlite", database=str(path)), poolclass=NullPool)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        if build:
            cursor.execute("PRAGMA journal_mode=OFF")
            cursor.execute("PRAGMA synchronous=OFF")
            cursor.execute("PRAGMA cache_size=-65536")
        cursor.execute("PRAGMA foreign_keys=OFF")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN")

    return engine


def _json_dumps(value: Any) -> str:
    return json.dumps(value, default=str)


def postgres_engine(location: DbLocation, search_path: str | None = None) -> Engine:
    """An engine on the PostgreSQL server whose connections look up tables in `search_path`."""
    path = search_path or location.schema
    return create_engine(
        location.url,
        poolclass=NullPool,
        connect_args={"options": f"-csearch_path={path}"},
        json_serializer=_json_dumps,
    )
