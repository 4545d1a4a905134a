"""Session fixtures for the versioning tests: real dpkg and rpm binaries used as oracles."""

from __future__ import annotations

import pytest
from versioning_support import ensure_tool


@pytest.fixture(scope="session")
def dpkg_binary() -> str:
    return ensure_tool("dpkg", "dpkg")


@pytest.fixture(scope="session")
def rpm_binary() -> str:
    return ensure_tool("rpm", "rpm")
