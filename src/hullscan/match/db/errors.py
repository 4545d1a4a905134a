"""Errors of the advisory database seam; all derive from `hullscan.errors.DatabaseError`."""

from __future__ import annotations

from hullscan.errors import DatabaseError

__all__ = [
    "DatabaseError",
    "DatabaseLocationError",
    "DatabaseNotFoundError",
    "DatabaseSchemaError",
    "DownloadError",
    "ImportSourceError",
]


class DatabaseNotFoundError(DatabaseError):
    """No advisory database exists at the given location."""

    hint = "Run `hullscan db update` or `hullscan db import PATH` first."


class DatabaseLocationError(DatabaseError):
    """The database URL or path is not something we can open."""

    hint = "Give a file path, a sqlite:///PATH URL or a postgresql+psycopg://USER@HOST:PORT/DB URL."


class DatabaseSchemaError(DatabaseError):
    """The database schema is newer than this hullscan, or migrations failed."""

    hint = "Upgrade hullscan, or delete the database file and import again."


class ImportSourceError(DatabaseError):
    """An import source (zip, folder, file) cannot be read at all."""

    hint = "Give an OSV all.zip, a folder of OSV .json/.yaml files, one record, or a Debian tracker list."


class DownloadError(DatabaseError):
    """An advisory export could not be downloaded or failed its content checks."""

    hint = "Check the network and --base-url; the previous database was left unchanged."
