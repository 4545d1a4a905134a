"""Types shared by the rpm database readers."""

from __future__ import annotations

from dataclasses import dataclass


class RpmDbError(ValueError):
    """The database file as a whole cannot be read (wrong format, corrupt metadata)."""


@dataclass(frozen=True, slots=True)
class StoredHeader:
    """One package record of an rpm database: its header blob, or why it could not be read."""

    key: str
    """Where the record sits, for messages (`hnum 12`, `page 7 item 3`, `slot 2`)."""
    blob: bytes | None = None
    problem: str | None = None
