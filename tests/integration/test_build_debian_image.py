"""The real Debian test image: the four forms agree with each other and with skopeo/umoci/tar."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from images.debian import (
    DELETED_DIRS,
    DELETED_FILES,
    HARDLINKS,
    OPAQUE_DIR,
    SYMLINKS,
    TOOL_V2,
    DebianTestImage,
)
from images.squash import is_special, walk_paths

pytest_plugins = ["images.fixtures"]
pytestmark = [pytest.mark.slow, pytest.mark.network]


def _skopeo(*args: str) -> dict[str, object]:
    return json.loads(subprocess.run(["skopeo", *args], capture_output=True, text=True, check=True).stdout)  # type: ignore[no-any-return]


def test_every_reference_has_the_same_diff_ids(debian_test_image: DebianTestImage) -> None:
    expected = [layer.diff_id for layer in debian_test_image.layers]
    for kind, ref in debian_test_image.references.items():
        if kind == "dir":
            continue
        config = _skopeo("inspect", "--config", ref)
        assert config["rootfs"]["diff_ids"][:2] == expected[:2], kind  # type: ignore[index]
        assert len(config["rootfs"]["diff_ids"]) == 3  # type: ignore[index,arg-type]


def test_squashed_rootfs_matches_tar_listings(debian_test_image: DebianTestImage) -> None:
    expected = debian_test_image.expected
    assert walk_paths(debian_test_image.rootfs) == expected.paths - expected.special
    assert "dev/null" in expected.special
    assert "usr/bin/dpkg" in expected.paths


def test_squashed_rootfs_matches_umoci(debian_test_image: DebianTestImage, tmp_path: Path) -> None:
    bundle = tmp_path / "bundle"
    subprocess.run(
        [
            "umoci",
            "raw",
            "unpack",
            "--rootless",
            "--image",
            f"{debian_test_image.oci_dir}:latest",
            str(bundle),
        ],
        check=True,
        capture_output=True,
    )
    # umoci (rootless) turns devices into empty files; otherwise the trees are the same.
    assert walk_paths(bundle) == debian_test_image.expected.paths


def test_links_whiteouts_and_opaque_dir_are_applied(debian_test_image: DebianTestImage) -> None:
    root = debian_test_image.rootfs
    for path, target in SYMLINKS.items():
        assert (root / path).readlink() == Path(target)
    for path, target in HARDLINKS.items():
        assert (root / path).stat().st_ino == (root / target).stat().st_ino
    for path in (*DELETED_FILES, *DELETED_DIRS):
        assert not (root / path).exists()
        assert path not in debian_test_image.expected.paths
    assert sorted(p.name for p in (root / OPAQUE_DIR).iterdir()) == ["new.txt"]
    assert (root / "app/bin/tool").read_bytes() == TOOL_V2
    assert (root / "app/bin/setuid-tool").stat().st_mode & 0o4000
    assert not any(is_special(p) for p in (root / "dev").iterdir())


def test_dpkg_database_of_the_image_is_real(debian_test_image: DebianTestImage) -> None:
    listed = subprocess.run(
        ["dpkg-query", f"--admindir={debian_test_image.rootfs}/var/lib/dpkg", "-W", "-f", "${Package}\n"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert {"base-files", "libc6", "dpkg", "apt"} <= set(listed)
    os_release = (debian_test_image.rootfs / "etc/os-release").read_text()
    assert 'VERSION_ID="12"' in os_release
