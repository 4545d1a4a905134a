"""Turn one parsed OSV record into table rows, or explain why it must be skipped."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from hullscan.match.db.ecosystems import normalize_package_name, parse_ecosystem
from hullscan.match.db.severity import score_severity

MAX_DETAILS_CHARS = 32_000
_EVENT_KINDS = ("introduced", "fixed", "last_affected", "limit")
_RANGE_TYPES = frozenset({"SEMVER", "ECOSYSTEM", "GIT"})

Row = dict[str, Any]


class MalformedRecordError(ValueError):
    """A record breaks the OSV schema in a way that makes it unusable; it is skipped."""


@dataclass(slots=True)
class NormalizedAdvisory:
    """Rows for one advisory plus the warnings about parts that were dropped."""

    id: str
    advisory: Row
    aliases: list[Row]
    affected: list[Row]
    references: list[Row]
    warnings: list[str] = field(default_factory=list)


def normalize_record(record: Any, source: str, *, keep_raw: bool = False) -> NormalizedAdvisory:
    """Validate and flatten one OSV record (a JSON/YAML mapping).

    Raises MalformedRecordError when the record cannot be used at all (no id, no modified,
    malformed ranges). Parts that can be dropped safely (an affected entry of an unknown
    ecosystem, a severity vector that does not parse) become warnings on the result.
    """
    if not isinstance(record, dict):
        raise MalformedRecordError("the record is not a JSON object")
    advisory_id = _required_text(record, "id")
    modified = _timestamp(record, "modified", required=True)
    warnings: list[str] = []
    severities, max_score = _severities(record.get("severity"), warnings)
    affected_rows = _affected_rows(advisory_id, record.get("affected"), warnings)
    advisory_row: Row = {
        "id": advisory_id,
        "source": source,
        "schema_version": _optional_text(record, "schema_version"),
        "modified": modified,
        "published": _timestamp(record, "published"),
        "withdrawn": _timestamp(record, "withdrawn"),
        "summary": _optional_text(record, "summary") or "",
        "details": (_optional_text(record, "details") or "")[:MAX_DETAILS_CHARS],
        "severity": severities,
        "max_score": max_score,
        "database_specific": _mapping(record.get("database_specific"), "database_specific"),
        "raw": json.dumps(record, default=str) if keep_raw else None,
    }
    aliases = [{"advisory_id": advisory_id, "alias": alias} for alias in _aliases(record, advisory_id)]
    return NormalizedAdvisory(
        id=advisory_id,
        advisory=advisory_row,
        aliases=aliases,
        affected=affected_rows,
        references=_references(advisory_id, record.get("references")),
        warnings=warnings,
    )


def _required_text(record: dict[str, Any], key: str) -> str:
    value = record.get(key)
    if not isinstance(value, str) or not value.strip():
        raise MalformedRecordError(f"missing or empty `{key}`")
    return value.strip()


def _optional_text(record: dict[str, Any], key: str) -> str | None:
    value = record.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise MalformedRecordError(f"`{key}` is not a string")
    return value


def _timestamp(record: dict[str, Any], key: str, *, required: bool = False) -> str | None:
    """Return an RFC 3339 UTC timestamp string, or None when absent and optional."""
    value = record.get(key)
    if value is None or value == "":
        if required:
            raise MalformedRecordError(f"missing `{key}`")
        return None
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, date):
        moment = datetime(value.year, value.month, value.day, tzinfo=UTC)
    elif isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value.strip())
        except ValueError as error:
            raise MalformedRecordError(f"`{key}` is not an RFC 3339 timestamp: {value!r}") from error
    else:
        raise MalformedRecordError(f"`{key}` is not a timestamp")
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return format_timestamp(moment)


def format_timestamp(moment: datetime) -> str:
    """Format an aware datetime the way the database stores it (UTC, `Z`)."""
    # isoformat() zero-pads the year to four digits and drops the fraction when it is zero.
    return moment.astimezone(UTC).replace(microsecond=0, tzinfo=None).isoformat() + "Z"


def parse_timestamp(value: str | None) -> datetime | None:
    """Inverse of `format_timestamp`."""
    if not value:
        return None
    return datetime.fromisoformat(value)


def _mapping(value: Any, key: str) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise MalformedRecordError(f"`{key}` is not an object")
    return value


def _string_list(value: Any, key: str) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise MalformedRecordError(f"`{key}` is not a list of strings")
    return value


def _aliases(record: dict[str, Any], advisory_id: str) -> list[str]:
    seen: dict[str, None] = {}
    for alias in _string_list(record.get("aliases"), "aliases"):
        cleaned = alias.strip()
        if cleaned and cleaned != advisory_id:
            seen[cleaned] = None
    return list(seen)


def _severities(value: Any, warnings: list[str]) -> tuple[list[Row], float | None]:
    if value is None:
        return [], None
    if not isinstance(value, list):
        raise MalformedRecordError("`severity` is not a list")
    rows: list[Row] = []
    for entry in value:
        if not isinstance(entry, dict) or not isinstance(entry.get("type"), str):
            warnings.append("a severity entry without a type was dropped")
            continue
        vector = entry.get("score")
        if not isinstance(vector, str):
            warnings.append(f"severity {entry['type']} has no score string; dropped")
            continue
        scored = score_severity(entry["type"], vector)
        if scored.error is not None:
            warnings.append(scored.error)
        rows.append({"type": entry["type"], "vector": vector, "score": scored.score, "rating": scored.rating})
    scores = [row["score"] for row in rows if row["score"] is not None]
    return rows, max(scores) if scores else None


def _references(advisory_id: str, value: Any) -> list[Row]:
    if not isinstance(value, list):
        return []
    rows: list[Row] = []
    for entry in value:
        if isinstance(entry, dict) and isinstance(entry.get("url"), str):
            kind = entry.get("type") if isinstance(entry.get("type"), str) else "WEB"
            rows.append({"advisory_id": advisory_id, "seq": len(rows), "type": kind, "url": entry["url"]})
    return rows


def _affected_rows(advisory_id: str, value: Any, warnings: list[str]) -> list[Row]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise MalformedRecordError("`affected` is not a list")
    rows: list[Row] = []
    for entry in value:
        if not isinstance(entry, dict):
            raise MalformedRecordError("an `affected` entry is not an object")
        row = _affected_row(advisory_id, len(rows), entry, warnings)
        if row is not None:
            rows.append(row)
    return rows


def _affected_row(advisory_id: str, seq: int, entry: dict[str, Any], warnings: list[str]) -> Row | None:
    ranges = _ranges(entry.get("ranges"))
    versions = _string_list(entry.get("versions"), "affected.versions")
    package = entry.get("package")
    if package is None:
        repo: str | None = next((item["repo"] for item in ranges if item.get("repo")), None)
        if repo is None:
            warnings.append("an affected entry with neither package nor GIT repo was dropped")
            return None
        ecosystem_text, name, purl = "GIT", repo, None
    elif isinstance(package, dict):
        given_ecosystem, given_name = package.get("ecosystem"), package.get("name")
        if not isinstance(given_ecosystem, str) or not isinstance(given_name, str) or not given_name.strip():
            raise MalformedRecordError("an affected package lacks `ecosystem` or `name`")
        ecosystem_text, name = given_ecosystem, given_name
        purl = package.get("purl") if isinstance(package.get("purl"), str) else None
    else:
        raise MalformedRecordError("`affected.package` is not an object")
    ecosystem = parse_ecosystem(ecosystem_text)
    if ecosystem is None:
        warnings.append(f"affected entry for {name!r} has unknown ecosystem {ecosystem_text!r}; dropped")
        return None
    return {
        "advisory_id": advisory_id,
        "seq": seq,
        "ecosystem": ecosystem_text,
        "family": ecosystem.family,
        "release": ecosystem.release,
        "name": name,
        "normalized_name": normalize_package_name(ecosystem.family, name),
        "purl": purl,
        "ranges": ranges,
        "versions": versions,
        "ecosystem_specific": _mapping(entry.get("ecosystem_specific"), "ecosystem_specific"),
        "database_specific": _mapping(entry.get("database_specific"), "database_specific"),
    }


def _ranges(value: Any) -> list[Row]:
    """Validate ranges; keep type, repo and events (as `[kind, version]` pairs, in order)."""
    if value is None:
        return []
    if not isinstance(value, list):
        raise MalformedRecordError("`ranges` is not a list")
    result: list[Row] = []
    for item in value:
        if not isinstance(item, dict) or item.get("type") not in _RANGE_TYPES:
            raise MalformedRecordError(f"range with missing or unknown type: {_brief(item)}")
        repo = item.get("repo")
        if item["type"] == "GIT" and not isinstance(repo, str):
            raise MalformedRecordError("a GIT range has no `repo`")
        events = item.get("events")
        if not isinstance(events, list) or not events:
            raise MalformedRecordError(f"range without events: {_brief(item)}")
        pairs = [_event(event) for event in events]
        if not any(kind == "introduced" for kind, _ in pairs):
            raise MalformedRecordError(f"range without an `introduced` event: {_brief(item)}")
        kept_repo = repo if isinstance(repo, str) else None
        result.append({"type": item["type"], "repo": kept_repo, "events": pairs})
    return result


def _event(event: Any) -> list[str]:
    if not isinstance(event, dict) or len(event) != 1:
        raise MalformedRecordError(f"range event must have exactly one key: {_brief(event)}")
    ((kind, version),) = event.items()
    if kind not in _EVENT_KINDS or not isinstance(version, str) or not version.strip():
        raise MalformedRecordError(f"bad range event {_brief(event)}")
    return [kind, version.strip()]


def _brief(value: Any) -> str:
    text = json.dumps(value, default=str)
    return text if len(text) <= 120 else text[:117] + "..."
