"""The README's example image, built from real packages, checked with dpkg, skopeo, umoci and npm."""

from __future__ import annotations

import importlib.metadata
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from hullscan.build.example import (
    BASE_DEBS,
    EXTRA_DEBS,
    NPM_PACKAGES,
    SITE_PACKAGES,
    WHEELS,
    build_example_image,
)
from images.cache import cache_root, file_lock

pytestmark = [pytest.mark.slow, pytest.mark.network]


@pytest.fixture(scope="module")
def example() -> Path:
    root = cache_root() / "example"
    with file_lock(cache_root() / ".example.lock"):
        return build_example_image(root / "oci", root / "downloads")


@pytest.fixture(scope="module")
def unpacked(example: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    bundle = tmp_path_factory.mktemp("example") / "bundle"
    subprocess.run(
        ["umoci", "raw", "unpack", "--rootless", "--image", f"{example}:latest", str(bundle)],
        check=True,
        capture_output=True,
    )
    return bundle


def test_skopeo_reads_four_layers(example: Path) -> None:
    inspected = json.loads(
        subprocess.run(
            ["skopeo", "inspect", f"oci:{example}:latest"], capture_output=True, text=True, check=True
        ).stdout
    )
    assert len(inspected["Layers"]) == 4
    assert inspected["Labels"]["org.opencontainers.image.title"] == "hullscan-example"


def test_dpkg_lists_exactly_the_packages_put_in(unpacked: Path) -> None:
    admin = f"--admindir={unpacked}/var/lib/dpkg"
    listed = subprocess.run(
        ["dpkg-query", admin, "-W", "-f", "${Package} ${Status}\n"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()
    assert sorted(line.split()[0] for line in listed) == sorted((*BASE_DEBS, *EXTRA_DEBS))
    assert all(line.endswith("install ok installed") for line in listed)
    owned = subprocess.run(
        ["dpkg-query", admin, "-L", "libc6"], capture_output=True, text=True, check=True
    ).stdout.split()
    assert "/lib/x86_64-linux-gnu/libc.so.6" in owned or "/usr/lib/x86_64-linux-gnu/libc.so.6" in owned
    assert all(os.path.lexists(unpacked / p.lstrip("/")) for p in owned)


def test_md5sums_match_unpacked_files(unpacked: Path) -> None:
    md5sums = unpacked / "var/lib/dpkg/info/libssl3:amd64.md5sums"
    if not md5sums.exists():
        md5sums = next((unpacked / "var/lib/dpkg/info").glob("libssl3*.md5sums"))
    result = subprocess.run(
        ["md5sum", "-c", "--quiet", str(md5sums)], check=False, cwd=unpacked, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_os_release_is_debian_12(unpacked: Path) -> None:
    text = (unpacked / "etc/os-release").read_text() if (unpacked / "etc/os-release").is_file() else ""
    if not text:
        text = (unpacked / "usr/lib/os-release").read_text()
    assert 'VERSION_ID="12"' in text


def test_wheels_are_installed_as_pip_would(unpacked: Path) -> None:
    site = unpacked / SITE_PACKAGES
    found = {d.metadata["Name"].lower(): d for d in importlib.metadata.distributions(path=[str(site)])}
    for pin in WHEELS:
        name, version = pin.split("==")
        dist = found[name.lower()]
        assert dist.version == version
        assert dist.read_text("INSTALLER") == "pip\n"
        for record in dist.files or []:
            if record.hash is not None:
                assert (site / record).resolve().is_file(), record
    assert (unpacked / "usr/local/bin/chardetect").read_text().startswith("#!/usr/local/bin/python3")


def test_npm_sees_the_app_dependencies(unpacked: Path) -> None:
    if shutil.which("npm") is None:
        pytest.fail("npm is needed to check the example app")
    out = subprocess.run(
        ["npm", "ls", "--json", "--offline"],
        check=False,
        cwd=unpacked / "app",
        capture_output=True,
        text=True,
    )
    tree = json.loads(out.stdout)
    assert out.returncode == 0, out.stderr
    expected = dict(spec.rsplit("@", 1) for spec in NPM_PACKAGES)
    assert {name: dep["version"] for name, dep in tree["dependencies"].items()} == expected


def test_build_is_cached_and_reused(example: Path) -> None:
    before = (example / "index.json").stat().st_mtime_ns
    assert build_example_image(example, example.parent / "downloads") == example
    assert (example / "index.json").stat().st_mtime_ns == before
