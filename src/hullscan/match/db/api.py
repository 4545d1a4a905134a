"""Public operations the CLI calls: `import_paths`, `update`, `status`."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Connection, Table, func, select
from sqlalchemy.exc import SQLAlchemyError

from hullscan.config import default_cache_dir
from hullscan.match.db import build, download, migrate, schema
from hullscan.match.db.errors import DatabaseError, DownloadError
from hullscan.match.db.location import resolve
from hullscan.match.db.normalize import parse_timestamp
from hullscan.match.db.query import AdvisoryDB
from hullscan.match.db.records import DbStatus, EcosystemUpdate, ImportReport, SourceStatus, UpdateReport
from hullscan.match.db.writer import ProgressCallback, Writer

DEFAULT_STALE_DAYS = 7.0
DEFAULT_ECOSYSTEMS: tuple[str, ...] = (
    "Debian", "Alpine", "PyPI", "npm", "Go", "Maven", "crates.io", "RubyGems",
)


def import_paths(
    db_url: str | Path | None,
    paths: Iterable[str | Path],
    progress: ProgressCallback | None = None,
    *,
    keep_raw: bool = False,
) -> ImportReport:
    """Import OSV zips, folders, record files and Debian tracker lists, adding to what the DB holds.

    Everything goes into one transaction on a new copy of the database that replaces the old one
    only when all paths were read; bad records become warnings in the report.
    """
    location = resolve(db_url)
    sources = [Path(path) for path in paths]
    with build.rebuilding(location) as connection:
        writer = Writer(connection, keep_raw=keep_raw, progress=progress)
        for path in sources:
            writer.import_path(path)
        return writer.finish()


def update(
    db_url: str | Path | None,
    ecosystems: Sequence[str] = DEFAULT_ECOSYSTEMS,
    base_url: str = download.DEFAULT_BASE_URL,
    cache_dir: Path | None = None,
    *,
    max_bytes: int = download.DEFAULT_MAX_BYTES,
    timeout: float = 60.0,
    progress: ProgressCallback | None = None,
) -> UpdateReport:
    """Download `<base_url>/<Ecosystem>/all.zip` for each ecosystem (when changed) and import them.

    Downloads land in `<cache_dir>/osv/<Ecosystem>/all.zip`. A failed download raises
    `DownloadError` before anything is imported, so the database stays as it was.
    """
    location = resolve(db_url)
    cache = (cache_dir or default_cache_dir()) / "osv"
    remembered = _remembered_validators(db_url)
    results: list[download.FetchResult] = []
    for ecosystem in ecosystems:
        url = download.export_url(base_url, ecosystem)
        destination = cache / _safe_directory(ecosystem) / "all.zip"
        results.append(
            download.fetch(url, destination, remembered.get(url), max_bytes=max_bytes, timeout=timeout)
        )
    changed = [result for result in results if not result.not_modified]
    report: ImportReport | None = None
    if changed:
        with build.rebuilding(location) as connection:
            writer = Writer(connection, progress=progress)
            for result in changed:
                writer.import_path(result.path, source=result.url)
                writer.set_meta(f"http:{result.url}", result.validators.to_json())
            report = writer.finish()
    downloads = tuple(
        EcosystemUpdate(ecosystem, result.url, result.not_modified, result.bytes_downloaded, result.resumed)
        for ecosystem, result in zip(ecosystems, results, strict=True)
    )
    return UpdateReport(downloads=downloads, imported=report)


def _safe_directory(ecosystem: str) -> str:
    cleaned = "".join(char if char.isalnum() or char in ".-_" else "_" for char in ecosystem)
    if not cleaned.strip("._"):
        raise DownloadError(f"not an ecosystem name: {ecosystem!r}")
    return cleaned


def _remembered_validators(db_url: str | Path | None) -> dict[str, download.Validators]:
    """Validators from the `meta` table (none when there is no database yet)."""
    try:
        database = AdvisoryDB.open(db_url)
    except DatabaseError:
        return {}
    with database:
        return database.remembered_validators()


def status(db_url: str | Path | None, *, stale_after_days: float = DEFAULT_STALE_DAYS) -> DbStatus:
    """What the database holds, per source and ecosystem, and whether it is older than `stale_after_days`."""
    location = resolve(db_url)
    with AdvisoryDB.open(db_url) as database:
        connection = database.connection
        try:
            sources_table = schema.import_source
            source_rows = connection.execute(select(sources_table).order_by(sources_table.c.source))
            sources = tuple(
                SourceStatus(row.source, _aware(row.imported_at), row.advisories) for row in source_rows
            )
            family, advisory_id = schema.affected.c.family, schema.affected.c.advisory_id
            per_ecosystem: dict[str, int] = {
                row[0]: row[1]
                for row in connection.execute(
                    select(family, func.count(func.distinct(advisory_id))).group_by(family).order_by(family)
                )
            }
            advisories = _count(connection, schema.advisory)
            triage_rows = _count(connection, schema.distro_triage)
            last_text = connection.execute(
                select(schema.meta.c.value).where(schema.meta.c.key == "last_import")
            ).scalar_one_or_none()
            revision = migrate.current_revision(connection) or "none"
        except SQLAlchemyError as error:
            raise DatabaseError(f"cannot read the advisory database {location.display()}: {error}") from error
    last_import = parse_timestamp(json.loads(last_text)) if last_text else None
    age_days = (datetime.now(UTC) - last_import).total_seconds() / 86400 if last_import else None
    stale = age_days is None or age_days > stale_after_days
    warnings: tuple[str, ...] = ()
    if stale:
        age_text = "never imported" if age_days is None else f"last import {age_days:.1f} days ago"
        warnings = (f"the advisory database is stale ({age_text}); run `hullscan db update`",)
    return DbStatus(
        location=location.display(),
        schema_version=revision,
        sources=sources,
        advisories=advisories,
        per_ecosystem=per_ecosystem,
        triage_rows=triage_rows,
        last_import=last_import,
        age_days=age_days,
        stale=stale,
        stale_after_days=stale_after_days,
        warnings=warnings,
    )


def _count(connection: Connection, table: Table) -> int:
    return int(connection.execute(select(func.count()).select_from(table)).scalar_one())


def _aware(value: str) -> datetime:
    parsed = parse_timestamp(value)
    if parsed is None:
        raise DatabaseError(f"bad import time {value!r} in the database")
    return parsed
