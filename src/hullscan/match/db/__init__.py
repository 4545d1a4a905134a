"""Advisory database: OSV records and Debian tracker triage in SQLite/PostgreSQL, imported atomically.

Public API (what the CLI and the matcher call):

* `AdvisoryDB.open(url_or_path)` -> `advisories_for(ecosystem, names)`, `get(id)`, `aliases(id)`,
  `triage(cve, release, package)`;
* `import_paths(db_url, paths, progress=None)`, `update(db_url, ecosystems, base_url, cache_dir)`,
  `status(db_url)`;
* `normalize_package_name(family, name)` and `parse_ecosystem(text)` so callers spell names alike.
"""

from hullscan.match.db.api import DEFAULT_ECOSYSTEMS, DEFAULT_STALE_DAYS, import_paths, status, update
from hullscan.match.db.download import DEFAULT_BASE_URL
from hullscan.match.db.ecosystems import debian_codename, normalize_package_name, parse_ecosystem
from hullscan.match.db.errors import (
    DatabaseLocationError,
    DatabaseNotFoundError,
    DatabaseSchemaError,
    DownloadError,
    ImportSourceError,
)
from hullscan.match.db.query import AdvisoryDB
from hullscan.match.db.records import (
    Advisory,
    AffectedRange,
    AffectedRecord,
    DbStatus,
    EcosystemUpdate,
    ImportIssue,
    ImportReport,
    RangeEvent,
    Reference,
    Severity,
    SourceStatus,
    TriageRecord,
    UpdateReport,
)

__all__ = [
    "DEFAULT_BASE_URL",
    "DEFAULT_ECOSYSTEMS",
    "DEFAULT_STALE_DAYS",
    "Advisory",
    "AdvisoryDB",
    "AffectedRange",
    "AffectedRecord",
    "DatabaseLocationError",
    "DatabaseNotFoundError",
    "DatabaseSchemaError",
    "DbStatus",
    "DownloadError",
    "EcosystemUpdate",
    "ImportIssue",
    "ImportReport",
    "ImportSourceError",
    "RangeEvent",
    "Reference",
    "Severity",
    "SourceStatus",
    "TriageRecord",
    "UpdateReport",
    "debian_codename",
    "import_paths",
    "normalize_package_name",
    "parse_ecosystem",
    "status",
    "update",
]
