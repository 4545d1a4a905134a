"""Fixtures for the advisory-database tests: fixture paths, SQLite and PostgreSQL database URLs."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
from pgserver import running_postgres

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "osv-db"


@pytest.fixture(scope="session")
def fixtures() -> Path:
    return FIXTURES


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    with running_postgres() as url:
        yield url


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh, empty database location on each backend."""
    if request.param == "sqlite":
        return str(tmp_path / "cache" / "db.sqlite")
    server: str = request.getfixturevalue("postgres_server")
    return f"{server}?schema=t_{secrets.token_hex(4)}"
