"""Helpers for the versioning tests: fixture paths and system tools used as oracles."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"


def ensure_tool(binary: str, apt_package: str) -> str:
    """Return the path of `binary`, installing `apt_package` with apt-get when it is missing."""
    found = shutil.which(binary)
    if found:
        return found
    install = ["apt-get", "install", "-y", "--no-install-recommends", apt_package]
    if subprocess.run(install, check=False, capture_output=True).returncode != 0:
        subprocess.run(["apt-get", "update"], check=True, capture_output=True)
        subprocess.run(install, check=True, capture_output=True)
    found = shutil.which(binary)
    assert found, f"{binary} still missing after installing {apt_package}"
    return found
