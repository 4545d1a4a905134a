"""Fixtures of the matcher tests: one advisory database built from the fixture records per session."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from match_support import build_db

from hullscan.match.db import AdvisoryDB


@pytest.fixture(scope="session")
def fixture_db_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_db(tmp_path_factory.mktemp("match-db"))


@pytest.fixture
def fixture_db(fixture_db_path: Path) -> Iterator[AdvisoryDB]:
    with AdvisoryDB.open(fixture_db_path) as database:
        yield database
