"""Read side for the matcher: `AdvisoryDB.open(...)`, batched lookups by (ecosystem, package names)."""

from __future__ import annotations

import json
import sqlite3
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from functools import lru_cache
from pathlib import Path
from types import TracebackType
from typing import Any, Self

from sqlalchemy import (
    ColumnElement,
    Connection,
    Engine,
    Row,
    Text,
    and_,
    create_engine,
    or_,
    select,
    text,
    type_coerce,
)
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.pool import NullPool

from hullscan.match.db import build, migrate, schema
from hullscan.match.db.download import Validators
from hullscan.match.db.ecosystems import debian_codename, normalize_package_name, parse_ecosystem
from hullscan.match.db.errors import DatabaseError, DatabaseNotFoundError
from hullscan.match.db.location import DbLocation, postgres_engine, resolve
from hullscan.match.db.normalize import parse_timestamp
from hullscan.match.db.records import (
    Advisory,
    AffectedRange,
    AffectedRecord,
    RangeEvent,
    Reference,
    Severity,
    TriageRecord,
)

_CHUNK = 500


class AdvisoryDB:
    """An open advisory database; a consistent snapshot for as long as it stays open."""

    def __init__(self, location: DbLocation, engine: Engine, connection: Connection) -> None:
        self.location = location
        self._engine = engine
        self._connection = connection

    @classmethod
    def open(cls, url_or_path: str | Path | None = None) -> AdvisoryDB:
        """Open the database (default `<cache_dir>/db.sqlite`), migrating it to the current schema first."""
        location = resolve(url_or_path)
        ensure_current_schema(location)
        engine = _reader_engine(location)
        try:
            connection = engine.connect()
            if location.is_sqlite:
                connection.exec_driver_sql("BEGIN")
        except SQLAlchemyError as error:
            engine.dispose()
            raise DatabaseError(f"cannot open the advisory database {location.display()}: {error}") from error
        return cls(location, engine, connection)

    @property
    def connection(self) -> Connection:
        """The open connection (read-only use), for status queries."""
        return self._connection

    def remembered_validators(self) -> dict[str, Validators]:
        """HTTP validators of earlier `update()` downloads, keyed by URL."""
        query = select(schema.meta.c.key, schema.meta.c.value).where(schema.meta.c.key.startswith("http:"))
        found: dict[str, Validators] = {}
        for key, value in self._connection.execute(query):
            try:
                validators = Validators.from_json(json.loads(value))
            except ValueError:
                continue
            if validators is not None:
                found[key.removeprefix("http:")] = validators
        return found

    def close(self) -> None:
        """Release the connection."""
        self._connection.close()
        self._engine.dispose()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    # ----- matcher queries -----------------------------------------------------------------------

    def advisories_for(self, ecosystem: str, names: Iterable[str]) -> dict[str, list[AffectedRecord]]:
        """Affected entries per package name (as passed in) for one ecosystem.

        `ecosystem` is `PyPI`, `npm`, `Go`, ... or `Debian:12` / `Alpine:v3.18`. With a release,
        entries for that release and entries without a release apply; without one, every release
        does. Names are normalized the ecosystem's way (PEP 503 for PyPI) before the lookup.
        Every name passed in is a key of the result (an empty list when nothing applies).
        """
        parsed = parse_ecosystem(ecosystem)
        wanted: dict[str, list[str]] = defaultdict(list)
        result: dict[str, list[AffectedRecord]] = {}
        for name in names:
            result[name] = []
            if parsed is not None:
                wanted[normalize_package_name(parsed.family, name)].append(name)
        if parsed is None or not wanted:
            return result
        normalized = list(wanted)
        for start in range(0, len(normalized), _CHUNK):
            chunk = normalized[start : start + _CHUNK]
            for record in self._affected_chunk(parsed.family, parsed.release, chunk):
                for original in wanted[record.normalized_name]:
                    result[original].append(record)
        return result

    def _affected_chunk(self, family: str, release: str, names: list[str]) -> list[AffectedRecord]:
        table, adv = schema.affected, schema.advisory
        raw_json = [type_coerce(table.c[name], Text).label(name) for name in _JSON_COLUMNS]
        plain = [column for column in table.columns if column.name not in _JSON_COLUMNS]
        condition = and_(table.c.family == family, table.c.normalized_name.in_(names))
        if release:
            condition = and_(condition, or_(table.c.release == release, table.c.release == ""))
        query = (
            select(*plain, *raw_json, adv.c.withdrawn)
            .join(adv, adv.c.id == table.c.advisory_id)
            .where(condition)
            .order_by(table.c.advisory_id, table.c.seq)
        )
        rows = self._connection.execute(query).all()
        if not rows:
            return []
        # The same rows' advisory ids as a subquery: one round trip instead of one per 500 ids.
        ids = select(table.c.advisory_id).join(adv, adv.c.id == table.c.advisory_id).where(condition)
        aliases = self._aliases_where(schema.alias.c.advisory_id.in_(ids))
        return [_fast_affected_record(row, aliases.get(row[0], ())) for row in rows]

    def _aliases_of(self, ids: set[str]) -> dict[str, tuple[str, ...]]:
        found: dict[str, tuple[str, ...]] = {}
        id_list = sorted(ids)
        for start in range(0, len(id_list), _CHUNK):
            chunk = id_list[start : start + _CHUNK]
            found.update(self._aliases_where(schema.alias.c.advisory_id.in_(chunk)))
        return found

    def _aliases_where(self, condition: ColumnElement[bool]) -> dict[str, tuple[str, ...]]:
        """Aliases (sorted) per advisory id, for the alias rows matching `condition`."""
        query = select(schema.alias.c.advisory_id, schema.alias.c.alias).where(condition)
        found: dict[str, list[str]] = defaultdict(list)
        for advisory_id, alias in self._connection.execute(query).all():
            found[advisory_id].append(alias)
        return {key: tuple(sorted(values)) for key, values in found.items()}

    def get(self, advisory_id: str) -> Advisory | None:
        """The whole advisory, or None when the id is unknown."""
        query = select(schema.advisory).where(schema.advisory.c.id == advisory_id)
        row = self._connection.execute(query).first()
        if row is None:
            return None
        aliases = self._aliases_of({advisory_id}).get(advisory_id, ())
        affected_rows = self._connection.execute(
            select(schema.affected, schema.advisory.c.withdrawn)
            .join(schema.advisory, schema.advisory.c.id == schema.affected.c.advisory_id)
            .where(schema.affected.c.advisory_id == advisory_id)
            .order_by(schema.affected.c.seq)
        ).all()
        references = self._connection.execute(
            select(schema.reference.c.type, schema.reference.c.url)
            .where(schema.reference.c.advisory_id == advisory_id)
            .order_by(schema.reference.c.seq)
        ).all()
        return Advisory(
            id=row.id,
            modified=parse_timestamp(row.modified),
            published=parse_timestamp(row.published),
            withdrawn=parse_timestamp(row.withdrawn),
            summary=row.summary,
            details=row.details,
            aliases=aliases,
            severities=tuple(
                Severity(item["type"], item["vector"], item["score"], item["rating"]) for item in row.severity
            ),
            max_score=row.max_score,
            references=tuple(Reference(kind, url) for kind, url in references),
            affected=tuple(_affected_record(item, aliases) for item in affected_rows),
            source=row.source,
            database_specific=row.database_specific,
        )

    def aliases(self, advisory_id: str) -> frozenset[str]:
        """Every id known to name the same vulnerability (both directions, transitively; self excluded)."""
        seen = {advisory_id}
        frontier = {advisory_id}
        table = schema.alias
        while frontier and len(seen) < 1000:
            chunk = sorted(frontier)[:_CHUNK]
            query = select(table.c.advisory_id, table.c.alias).where(
                or_(table.c.advisory_id.in_(chunk), table.c.alias.in_(chunk))
            )
            found = {value for pair in self._connection.execute(query) for value in pair}
            frontier = found - seen
            seen |= found
        return frozenset(seen - {advisory_id})

    def triage(self, cve: str, release: str, package: str) -> TriageRecord | None:
        """The Debian tracker's verdict for a CVE in a release (`bookworm` or `12`) for a source package."""
        table = schema.distro_triage
        row = self._connection.execute(
            select(table).where(
                table.c.cve == cve, table.c.release == debian_codename(release), table.c.package == package
            )
        ).first()
        return _triage_record(row) if row is not None else None

    def triage_for_package(self, release: str, package: str) -> list[TriageRecord]:
        """Every tracker verdict for one source package in one release."""
        table = schema.distro_triage
        rows = self._connection.execute(
            select(table)
            .where(table.c.release == debian_codename(release), table.c.package == package)
            .order_by(table.c.cve)
        ).all()
        return [_triage_record(row) for row in rows]


_JSON_COLUMNS = ("ranges", "versions", "ecosystem_specific", "database_specific")
_EMPTY_JSON: dict[str, Any] = {"[]": (), "{}": {}}


def _decode(value: Any) -> Any:
    """json.loads with a shortcut for the empty containers most rows hold (psycopg decodes JSONB itself)."""
    if not isinstance(value, str):
        return value
    if value in _EMPTY_JSON:
        return _EMPTY_JSON[value]
    return json.loads(value)


def _as_is(value: Any) -> Any:
    return value


def _fast_affected_record(row: Sequence[Any], aliases: tuple[str, ...]) -> AffectedRecord:
    """Build from a positional row: plain columns in table order, then the JSON texts, then `withdrawn`."""
    (advisory_id, _seq, ecosystem, family, release, name, normalized_name, purl,
     ranges, versions, ecosystem_specific, database_specific, withdrawn) = row
    return AffectedRecord(
        advisory_id,
        ecosystem,
        family,
        release,
        name,
        normalized_name,
        purl,
        _ranges_from_text(ranges) if isinstance(ranges, str) else _ranges_from(ranges),
        _versions_from_text(versions) if isinstance(versions, str) else tuple(versions),
        parse_timestamp(withdrawn) if withdrawn else None,
        aliases,
        _decode(ecosystem_specific),
        _decode(database_specific),
    )


#: Distinct `ranges` / `versions` texts remembered (a full database has ~20,000 distinct `ranges`).
DECODE_CACHE_SIZE = 1 << 16


@lru_cache(maxsize=DECODE_CACHE_SIZE)
def _ranges_from_text(value: str) -> tuple[AffectedRange, ...]:
    """Ranges of one JSON text; equal texts give the same (immutable) objects, so later work can memoize."""
    return _ranges_from(_decode(value))


def _ranges_from(value: Iterable[Mapping[str, Any]]) -> tuple[AffectedRange, ...]:
    return tuple(_affected_range(item) for item in value)


@lru_cache(maxsize=DECODE_CACHE_SIZE)
def _versions_from_text(value: str) -> tuple[str, ...]:
    return tuple(_decode(value))


def _affected_record(
    row: Row[Any], aliases: tuple[str, ...], decode: Callable[[Any], Any] = _as_is
) -> AffectedRecord:
    return AffectedRecord(
        advisory_id=row.advisory_id,
        ecosystem=row.ecosystem,
        family=row.family,
        release=row.release,
        name=row.name,
        normalized_name=row.normalized_name,
        purl=row.purl,
        ranges=tuple(_affected_range(item) for item in decode(row.ranges)),
        versions=tuple(decode(row.versions)),
        withdrawn=parse_timestamp(row.withdrawn),
        aliases=aliases,
        ecosystem_specific=decode(row.ecosystem_specific),
        database_specific=decode(row.database_specific),
    )


def _affected_range(item: Mapping[str, Any]) -> AffectedRange:
    return AffectedRange(
        type=item["type"],
        events=tuple(RangeEvent(kind, version) for kind, version in item["events"]),
        repo=item.get("repo"),
    )


def _triage_record(row: Row[Any]) -> TriageRecord:
    return TriageRecord(
        cve=row.cve,
        release=row.release,
        package=row.package,
        status=row.status,
        fixed_version=row.fixed_version,
        urgency=row.urgency,
        reason=row.reason,
        note=row.note,
        bug=row.bug,
    )


def _reader_engine(location: DbLocation) -> Engine:
    if location.sqlite_path is not None:
        uri = f"{location.sqlite_path.as_uri()}?mode=ro"

        def connect() -> sqlite3.Connection:
            return sqlite3.connect(uri, uri=True, isolation_level=None, check_same_thread=False)

        return create_engine("sqlite://", creator=connect, poolclass=NullPool)
    return postgres_engine(location)


def ensure_current_schema(location: DbLocation) -> None:
    """Fail when the database is missing; migrate it (atomically, by rebuild) when it is behind."""
    if location.sqlite_path is not None and not location.sqlite_path.is_file():
        raise DatabaseNotFoundError(f"no advisory database at {location.sqlite_path}")
    engine = _reader_engine(location)
    try:
        with engine.connect() as connection:
            if not location.is_sqlite and not _pg_schema_exists(connection, location.schema):
                raise DatabaseNotFoundError(f"no advisory database in {location.display()}")
            current = migrate.is_current(connection)
    except SQLAlchemyError as error:
        raise DatabaseError(f"cannot read the advisory database {location.display()}: {error}") from error
    finally:
        engine.dispose()
    if not current:
        with build.rebuilding(location):
            pass


def _pg_schema_exists(connection: Connection, schema_name: str) -> bool:
    row = connection.execute(
        text("SELECT 1 FROM information_schema.schemata WHERE schema_name = :name"), {"name": schema_name}
    ).first()
    return row is not None
