"""Run the Alembic migrations programmatically on an open connection."""

from __future__ import annotations

from functools import cache

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util.exc import CommandError
from sqlalchemy import Connection

from hullscan.match.db.errors import DatabaseSchemaError

_SCRIPT_LOCATION = "hullscan.match.db:migrations"


def _config(connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", _SCRIPT_LOCATION)
    if connection is not None:
        config.attributes["connection"] = connection
    return config


@cache
def head_revision() -> str:
    """The newest schema revision this hullscan knows."""
    head = ScriptDirectory.from_config(_config()).get_current_head()
    if head is None:
        raise DatabaseSchemaError("no migration scripts found in the hullscan package")
    return head


def current_revision(connection: Connection) -> str | None:
    """The revision the database on `connection` is at (None for an empty database)."""
    return MigrationContext.configure(connection).get_current_revision()


def is_current(connection: Connection) -> bool:
    """True when the schema on `connection` is exactly at head."""
    return current_revision(connection) == head_revision()


def upgrade(connection: Connection) -> None:
    """Bring the schema on `connection` to head inside the connection's current transaction."""
    revision = current_revision(connection)
    if revision == head_revision():
        return
    known = {script.revision for script in ScriptDirectory.from_config(_config()).walk_revisions()}
    if revision is not None and revision not in known:
        raise DatabaseSchemaError(
            f"the database schema is at revision {revision}, which this hullscan does not know"
        )
    try:
        command.upgrade(_config(connection), "head")
    except CommandError as error:
        raise DatabaseSchemaError(f"migrating the advisory database failed: {error}") from error
