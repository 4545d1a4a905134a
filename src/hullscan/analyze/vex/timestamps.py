"""RFC 3339 timestamps for statements: now, parse leniently, and compare."""

from __future__ import annotations

from datetime import UTC, datetime

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def now() -> str:
    """The current time, UTC, with microseconds (`2026-12-01T10:00:00.123456Z`)."""
    return format_time(datetime.now(UTC))


def format_time(moment: datetime) -> str:
    """RFC 3339 in UTC with a `Z` suffix; seconds only when there is no fraction."""
    moment = moment.astimezone(UTC)
    spec = "microseconds" if moment.microsecond else "seconds"
    return moment.isoformat(timespec=spec).replace("+00:00", "Z")


def parse_time(text: str | None) -> datetime | None:
    """Parse RFC 3339 / ISO 8601 (`Z` or offset; a date alone is midnight UTC); None when invalid."""
    if not text or not isinstance(text, str):
        return None
    cleaned = text.strip().replace("z", "Z")
    if cleaned.endswith("Z"):
        cleaned = cleaned[:-1] + "+00:00"
    try:
        parsed = datetime.fromisoformat(cleaned)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        if "T" in cleaned:
            return None
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def sort_key(text: str) -> datetime:
    """A key ordering statements by time; unparseable times sort first (oldest)."""
    return parse_time(text) or _EPOCH
