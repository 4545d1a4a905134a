"""Suite-wide fixtures: every test writes its caches under a private temporary directory."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

pytest_plugins = ["images.fixtures"]


@pytest.fixture(autouse=True)
def _private_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point HULLSCAN_CACHE_DIR at a per-test directory so no test touches the user's cache."""
    cache = tmp_path_factory.mktemp("hullscan-cache")
    monkeypatch.setenv("HULLSCAN_CACHE_DIR", str(cache))
    return cache


def pytest_configure(config: pytest.Config) -> None:
    """Keep image build steps from writing .pyc files that would make layers differ."""
    del config
    os.environ.setdefault("PYTHONDONTWRITEBYTECODE", "1")
