"""Suite-wide fixtures: every test writes its caches under a private temporary directory."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest

pytest_plugins = ["images.fixtures"]


@pytest.fixture(autouse=True)
def _private_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point HULLSCAN_CACHE_DIR at a per-test directory so no test touches the user's cache."""
    cache = tmp_path_factory.mktemp("hullscan-cache")
    monkeypatch.setenv("HULLSCAN_CACHE_DIR", str(cache))
    return cache


_SESSION_CACHE: list[str] = []


def pytest_configure(config: pytest.Config) -> None:
    """Keep image build steps from writing .pyc files that would make layers differ, and give
    module- and session-scoped fixtures (built before `_private_cache`) a private cache too:
    never the user's, where `scripts/demo.sh` leaves an advisory database."""
    del config
    os.environ.setdefault("PYTHONDONTWRITEBYTECODE", "1")
    _SESSION_CACHE.append(tempfile.mkdtemp(prefix="hullscan-session-cache-"))
    os.environ["HULLSCAN_CACHE_DIR"] = _SESSION_CACHE[-1]


def pytest_unconfigure(config: pytest.Config) -> None:
    """Remove the session's private cache."""
    del config
    for directory in _SESSION_CACHE:
        shutil.rmtree(directory, ignore_errors=True)
