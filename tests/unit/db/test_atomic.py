"""An import killed with SIGKILL mid-way leaves the previous database intact and usable."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy import create_engine, text

from hullscan.match.db import AdvisoryDB, import_paths, status

CHILD = """
import sys, time
from pathlib import Path
from hullscan.match.db import import_paths

marker = Path(sys.argv[2])

def progress(source, done):
    if source.endswith("go-subset.zip"):
        partial = marker.with_suffix(".partial")
        partial.write_text(str(done))
        partial.replace(marker)  # never seen existing but empty by the waiting test
        time.sleep(120)

import_paths(sys.argv[1], [Path(p) for p in sys.argv[3:]], progress=progress)
"""


def _import_and_kill(db_url: str, fixtures: Path, tmp_path: Path) -> None:
    marker = tmp_path / "reached-go"
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, db_url, str(marker),
         str(fixtures / "debian-derived-subset.zip"), str(fixtures / "go-subset.zip")],
    )
    deadline = time.monotonic() + 60
    while not marker.exists() and time.monotonic() < deadline and child.poll() is None:
        time.sleep(0.05)
    assert marker.exists(), "the child never got into the middle of its import"
    assert int(marker.read_text()) > 0  # the Debian records are already written into the new copy
    os.kill(child.pid, signal.SIGKILL)
    child.wait(timeout=30)
    assert child.returncode == -signal.SIGKILL


def test_sigkill_mid_import_leaves_old_database(db_url: str, fixtures: Path, tmp_path: Path) -> None:
    import_paths(db_url, [fixtures / "pypi-subset.zip"])
    before = status(db_url)
    _import_and_kill(db_url, fixtures, tmp_path)
    after = status(db_url)
    assert after.advisories == before.advisories
    assert dict(after.per_ecosystem) == dict(before.per_ecosystem)
    assert "Debian" not in after.per_ecosystem
    with AdvisoryDB.open(db_url) as database:
        assert database.advisories_for("PyPI", ["django"])["django"]
    if "://" not in db_url:
        connection = sqlite3.connect(db_url)
        assert connection.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        connection.close()
        leftovers = list(Path(db_url).parent.glob("db.sqlite.tmp-*"))
        assert leftovers  # the killed import's private copy, never visible as db.sqlite
    else:
        engine = create_engine(db_url.split("?", maxsplit=1)[0])
        with engine.connect() as connection:
            schemas = {row[0] for row in connection.execute(text("SELECT schema_name FROM information_schema.schemata"))}
        engine.dispose()
        schema = db_url.split("schema=")[1]
        assert not {name for name in schemas if name.startswith(f"{schema}_new_")}
    # The next import works and cleans up after the killed one.
    import_paths(db_url, [fixtures / "go-subset.zip"])
    assert status(db_url).advisories > before.advisories
    if "://" not in db_url:
        assert not list(Path(db_url).parent.glob("db.sqlite.tmp-*"))
