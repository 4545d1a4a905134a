"""Write records into an open (rebuilding) connection in batches, collecting counts and warnings."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime
from operator import itemgetter
from pathlib import Path
from typing import Any

from sqlalchemy import JSON, Connection, Table, delete, func, insert, literal, select, tuple_

from hullscan.gcpause import collector_paused
from hullscan.match.db import schema
from hullscan.match.db.errors import ImportSourceError
from hullscan.match.db.importers import debian_tracker, osv
from hullscan.match.db.normalize import (
    MalformedRecordError,
    NormalizedAdvisory,
    format_timestamp,
    normalize_record,
)
from hullscan.match.db.records import ImportIssue, ImportReport

ProgressCallback = Callable[[str, int], None]
"""Called as `progress(current_source, records_done)` when a file starts and every 500 records."""

BATCH_SIZE = 500
_PROGRESS_EVERY = 500


class Writer:
    """Accumulates rows and flushes them in batches; one Writer per import transaction."""

    def __init__(self, connection: Connection, *, keep_raw: bool = False,
                 progress: ProgressCallback | None = None) -> None:
        self._connection = connection
        self._keep_raw = keep_raw
        self._progress = progress
        self._pending: dict[str, NormalizedAdvisory] = {}
        self._warnings: list[ImportIssue] = []
        self._written_ids: set[str] = set()
        # On a database that starts without advisories, only ids this import wrote can have rows
        # to replace: the per-batch deletes are skipped for the others (same result, less work).
        self._fresh = not any(_has_rows(connection, table) for table in _REPLACED_TABLES)
        self._alias_owners: set[str] = set()
        self._affected = 0
        self._triage = 0
        self._skipped = 0
        self._done = 0
        self._started = time.monotonic()

    # ----- sources -------------------------------------------------------------------------------

    def import_path(self, path: Path, source: str | None = None) -> None:
        """Import a zip, a folder (recursively), a record file or a Debian tracker list."""
        label = source or str(path)
        if not path.exists():
            raise ImportSourceError(f"{path} does not exist")
        if path.is_dir():
            self._import_folder(path)
            return
        self.flush()
        before = (len(self._written_ids), self._affected, self._triage, len(self._warnings))
        if self._progress is not None:
            self._progress(label, self._done)
        # Parsed records are acyclic and freed by reference counting; the collector's passes over
        # them took about a tenth of an import and found nothing to reclaim.
        with collector_paused():
            self._import_file(path, label)
        self._record_source(label, _kind_of(path), before)

    def _import_folder(self, folder: Path) -> None:
        files = sorted(item for item in folder.rglob("*") if item.is_file() and not item.name.startswith("."))
        for item in files:
            kind = _kind_of(item)
            if kind == "other" or (kind == "tracker" and not _looks_like_tracker(item)):
                continue
            self.import_path(item)

    def _import_file(self, path: Path, label: str) -> None:
        kind = _kind_of(path)
        if kind == "zip":
            self._add_raw(osv.read_zip(path), label)
        elif kind == "record":
            self._add_raw(osv.read_file(path), label)
        elif kind == "tracker":
            self._import_tracker(path, label)
        else:
            raise ImportSourceError(f"{path}: not an OSV zip, an OSV .json/.yaml record or a tracker list")

    def _import_tracker(self, path: Path, label: str) -> None:
        try:
            text = path.read_text(encoding="utf-8", errors="replace")
        except OSError as error:
            raise ImportSourceError(f"cannot read {path}: {error}") from error
        lines = text.splitlines()
        fmt = debian_tracker.sniff_format(lines[:50])
        if fmt == "cve-list":
            parsed = debian_tracker.parse_cve_list(lines)
        elif fmt == "advisory-list":
            parsed = debian_tracker.parse_advisory_list(lines, path.parent.name + "/" + path.name)
        else:
            raise ImportSourceError(f"{path}: neither a tracker CVE/list nor a DSA/DLA list")
        for record_id, reason in parsed.warnings:
            self._warn(str(path), record_id, reason)
        self._write_triage(parsed.triage, parsed.aliases)
        for index, record in enumerate(parsed.records):
            self._add_record(osv.RawRecord(f"{path}#{index}", record), label)

    # ----- OSV records ---------------------------------------------------------------------------

    def _add_raw(self, raws: Iterator[osv.RawRecord], label: str) -> None:
        for raw in raws:
            self._add_record(raw, label)

    def _add_record(self, raw: osv.RawRecord, label: str) -> None:
        self._done += 1
        if self._progress is not None and self._done % _PROGRESS_EVERY == 0:
            self._progress(label, self._done)
        if raw.error is not None:
            self._skip(raw.location, None, raw.error)
            return
        try:
            normalized = normalize_record(raw.record, label, keep_raw=self._keep_raw)
        except MalformedRecordError as error:
            record_id = raw.record.get("id") if isinstance(raw.record, dict) else None
            self._skip(raw.location, record_id if isinstance(record_id, str) else None, str(error))
            return
        for reason in normalized.warnings:
            self._warn(raw.location, normalized.id, reason)
        self._pending[normalized.id] = normalized
        if len(self._pending) >= BATCH_SIZE:
            self.flush()

    def flush(self) -> None:
        """Write pending advisories, replacing any earlier version of the same ids."""
        if not self._pending:
            return
        batch = list(self._pending.values())
        self._pending = {}
        ids = [item.id for item in batch]
        connection = self._connection
        stale = ids if not self._fresh else [i for i in ids if self._may_have_rows(i)]
        if stale:
            for table in (*schema.ADVISORY_CHILD_TABLES,):
                connection.execute(delete(table).where(table.c.advisory_id.in_(stale)))
            connection.execute(delete(schema.advisory).where(schema.advisory.c.id.in_(stale)))
        _insert_many(connection, schema.advisory, [item.advisory for item in batch])
        _insert_many(connection, schema.alias, [row for item in batch for row in item.aliases])
        affected_rows = [row for item in batch for row in item.affected]
        _insert_many(connection, schema.affected, affected_rows)
        _insert_many(connection, schema.reference, [row for item in batch for row in item.references])
        self._affected += len(affected_rows)
        self._written_ids.update(ids)

    def _may_have_rows(self, advisory_id: str) -> bool:
        return advisory_id in self._written_ids or advisory_id in self._alias_owners

    # ----- triage --------------------------------------------------------------------------------

    def _write_triage(self, rows: list[dict[str, Any]], aliases: list[dict[str, Any]]) -> None:
        table = schema.distro_triage
        for start in range(0, len(rows), BATCH_SIZE):
            chunk = rows[start : start + BATCH_SIZE]
            keys: list[tuple[str, ...]] = [(row["cve"], row["release"], row["package"]) for row in chunk]
            self._connection.execute(
                delete(table).where(tuple_(table.c.cve, table.c.release, table.c.package).in_(keys))
            )
            _insert_many(self._connection, table, chunk)
        unique_aliases = list({(row["advisory_id"], row["alias"]): row for row in aliases}.values())
        self._alias_owners.update(row["advisory_id"] for row in unique_aliases)
        for start in range(0, len(unique_aliases), BATCH_SIZE):
            chunk = unique_aliases[start : start + BATCH_SIZE]
            keys = [(row["advisory_id"], row["alias"]) for row in chunk]
            alias_table = schema.alias
            self._connection.execute(
                delete(alias_table).where(tuple_(alias_table.c.advisory_id, alias_table.c.alias).in_(keys))
            )
            _insert_many(self._connection, alias_table, chunk)
        self._triage += len(rows)

    # ----- bookkeeping ---------------------------------------------------------------------------

    def _skip(self, location: str, record_id: str | None, reason: str) -> None:
        self._skipped += 1
        self._warn(location, record_id, f"skipped: {reason}")

    def _warn(self, location: str, record_id: str | None, reason: str) -> None:
        self._warnings.append(ImportIssue(location, record_id, reason))

    def _record_source(self, label: str, kind: str, before: tuple[int, int, int, int]) -> None:
        self.flush()
        advisories = len(self._written_ids) - before[0]
        row = {
            "source": label[:1000],
            "kind": kind,
            "imported_at": format_timestamp(datetime.now(UTC)),
            "advisories": advisories,
            "affected": self._affected - before[1],
            "triage": self._triage - before[2],
            "warnings": len(self._warnings) - before[3],
        }
        table = schema.import_source
        self._connection.execute(delete(table).where(table.c.source == row["source"]))
        self._connection.execute(insert(table), [row])

    def set_meta(self, key: str, value: Any) -> None:
        """Store one meta value (JSON-encoded) in this transaction."""
        self._connection.execute(delete(schema.meta).where(schema.meta.c.key == key))
        self._connection.execute(insert(schema.meta), [{"key": key, "value": json.dumps(value)}])

    def finish(self) -> ImportReport:
        """Flush, stamp `last_import` and return the report."""
        self.flush()
        self.set_meta("last_import", format_timestamp(datetime.now(UTC)))
        per_ecosystem = _per_ecosystem(self._connection, self._written_ids)
        return ImportReport(
            advisories=len(self._written_ids),
            affected=self._affected,
            triage=self._triage,
            skipped=self._skipped,
            warnings=tuple(self._warnings),
            seconds=time.monotonic() - self._started,
            per_ecosystem=per_ecosystem,
        )


_REPLACED_TABLES = (schema.advisory, *schema.ADVISORY_CHILD_TABLES)


def _has_rows(connection: Connection, table: Table) -> bool:
    return connection.execute(select(literal(1)).select_from(table).limit(1)).first() is not None



def _insert_many(connection: Connection, table: Table, rows: list[dict[str, Any]]) -> None:
    """Insert rows; on SQLite straight through the driver's executemany (several times faster)."""
    if not rows:
        return
    if connection.dialect.name != "sqlite":
        connection.execute(insert(table), rows)
        return
    names = [column.name for column in table.columns]
    json_positions = [index for index, column in enumerate(table.columns) if isinstance(column.type, JSON)]
    placeholders = ", ".join("?" for _ in names)
    quoted = ", ".join(f'"{name}"' for name in names)
    statement = f'INSERT INTO "{table.name}" ({quoted}) VALUES ({placeholders})'  # noqa: S608 - our schema
    getter = itemgetter(*names)
    data: list[tuple[Any, ...]] = []
    for row in rows:
        values = list(getter(row))
        for index in json_positions:
            values[index] = _json_text(values[index])
        data.append(tuple(values))
    connection.exec_driver_sql(statement, data)


_ENCODER = json.JSONEncoder(default=str, separators=(",", ":"))


def _json_text(value: Any) -> str:
    if not value:
        return "[]" if isinstance(value, list) else "{}"
    return _ENCODER.encode(value)


def _per_ecosystem(connection: Connection, ids: Iterable[str]) -> dict[str, int]:
    """Distinct imported advisories per ecosystem family."""
    id_list = list(ids)
    counts: dict[str, int] = {}
    table = schema.affected
    for start in range(0, len(id_list), BATCH_SIZE):
        chunk = id_list[start : start + BATCH_SIZE]
        query = (
            select(table.c.family, func.count(func.distinct(table.c.advisory_id)))
            .where(table.c.advisory_id.in_(chunk))
            .group_by(table.c.family)
        )
        for family, count in connection.execute(query):
            counts[family] = counts.get(family, 0) + count
    return counts


def _kind_of(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix == ".zip":
        return "zip"
    if suffix in osv.RECORD_SUFFIXES:
        return "record"
    if path.name == "list" or path.name.endswith((".list", ".txt")):
        return "tracker"
    return "other"


def _looks_like_tracker(path: Path) -> bool:
    """True when the file starts like a tracker CVE/list or DSA/DLA list."""
    try:
        with path.open(encoding="utf-8", errors="replace") as handle:
            head = [line for _, line in zip(range(50), handle, strict=False)]
    except OSError:
        return False
    return debian_tracker.sniff_format(head) is not None
