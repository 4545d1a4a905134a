"""Pytest plugin: session-scoped fixtures that hand out the cached real test images.

Enable with `pytest_plugins = ["tests.images.fixtures"]` (root conftest or a test module).
"""

from __future__ import annotations

import pytest

from .debian import DebianRootfs, DebianTestImage, debian_image, debian_rootfs
from .python_image import PythonImage, python_venv_image


@pytest.fixture(scope="session")
def debian_rootfs_dir() -> DebianRootfs:
    """A debootstrap bookworm minbase root (directory + layer blob)."""
    return debian_rootfs()


@pytest.fixture(scope="session")
def debian_test_image() -> DebianTestImage:
    """The three-layer Debian image as OCI, docker-archive (both forms) and squashed rootfs."""
    return debian_image()


@pytest.fixture(scope="session")
def python_test_image() -> PythonImage:
    """Debian 12 + python3 + a virtualenv of pinned old wheels (OCI layout + rootfs)."""
    return python_venv_image()
