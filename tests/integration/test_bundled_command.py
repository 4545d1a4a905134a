"""`hullscan bundled` on a real Debian image: every copy's host agrees with dpkg's own file lists.

Debian 12 lists most libraries under /lib while the files live under /usr/lib (merged /usr): the
expected owner is computed here from the .list files with the rootfs's own symlinks resolved.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from hullscan.cli.app import app
from images.python_image import PythonImage

pytestmark = pytest.mark.slow


def _owners_from_dpkg_lists(rootfs: Path) -> dict[str, str]:
    owners: dict[str, str] = {}
    info = rootfs / "var" / "lib" / "dpkg" / "info"
    for listing in sorted(info.glob("*.list")):
        package = listing.name.removesuffix(".list").split(":")[0]
        for line in listing.read_text().splitlines():
            host = rootfs / line.lstrip("/")
            real = os.path.realpath(host)
            if real.startswith(str(rootfs)) and Path(real).is_file():
                owners.setdefault("/" + os.path.relpath(real, rootfs), package)
    return owners


def test_bundled_json_names_the_package_dpkg_says_owns_each_copy(
    python_test_image: PythonImage, tmp_path: Path
) -> None:
    result = CliRunner().invoke(
        app, ["bundled", python_test_image.reference, "-o", "json", "--cache-dir", str(tmp_path / "c")]
    )
    assert result.exit_code == 0, result.output
    doc = json.loads(result.output)
    copies = [(c["component"], copy) for c in doc["components"] for copy in c["copies"]]
    assert len(copies) >= 8
    owners = _owners_from_dpkg_lists(python_test_image.rootfs)
    for component, copy in copies:
        expected = owners.get(copy["path"])
        got = copy["host"]["name"] if copy["host"] else None
        assert got == expected, (component, copy["path"])
    assert {"openssl", "zlib", "sqlite"} <= {component for component, _ in copies}


def test_bundled_table_summarises_copies(python_test_image: PythonImage, tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["bundled", python_test_image.reference, "--cache-dir", str(tmp_path / "c")])
    assert result.exit_code == 0, result.output
    assert "copy of zlib: Debian's (zlib1g)" in result.output
