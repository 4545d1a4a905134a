"""A warm inventory comes from the whole-image cache and equals a fresh one."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from hullscan import api
from hullscan.build.oci import write_oci_layout
from hullscan.build.tarwriter import RegularFile, Symlink, write_layer
from hullscan.catalog.inventory_cache import InventoryCache
from hullscan.config import ScanOptions, Scope

OS_RELEASE = b'ID=debian\nVERSION_ID="12"\nVERSION_CODENAME=bookworm\n'
STATUS = (
    b"Package: zlib1g\nStatus: install ok installed\nArchitecture: amd64\n"
    b"Source: zlib\nVersion: 1:1.2.13.dfsg-1\n\n"
)
METADATA = b"Metadata-Version: 2.1\nName: requests\nVersion: 2.25.1\nRequires-Dist: idna (<3,>=2.5)\n"


def _image(tmp_path: Path) -> str:
    base = write_layer(
        tmp_path / "l0.tar.gz",
        [
            RegularFile(path="/etc/os-release", data=OS_RELEASE),
            RegularFile(path="/var/lib/dpkg/status", data=STATUS),
        ],
    )
    app = write_layer(
        tmp_path / "l1.tar.gz",
        [
            RegularFile(
                path="/usr/lib/python3/dist-packages/requests-2.25.1.dist-info/METADATA", data=METADATA
            )
        ],
    )
    write_oci_layout(tmp_path / "oci", [base, app], tag="t")
    return f"oci:{tmp_path / 'oci'}:t"


def test_second_inventory_is_read_from_the_cache_and_is_identical(tmp_path: Path) -> None:
    reference = _image(tmp_path)
    options = ScanOptions(cache_dir=tmp_path / "cache")
    fresh = api.inventory(reference, options)
    assert {p.name for p in fresh.packages} == {"zlib1g", "requests"}
    stored = list((tmp_path / "cache" / "inventories").glob("*.pickle"))
    assert len(stored) == 1
    for layer in (tmp_path / "cache" / "layers").iterdir():
        layer.unlink()  # a cache hit must not need the per-layer indexes at all
    warm = api.inventory(reference, options)
    assert warm == fresh
    uncached = api.inventory(reference, dataclasses.replace(options, use_cache=False, workers=2))
    assert uncached.packages == fresh.packages
    assert uncached.relationships == fresh.relationships
    leftovers = list((tmp_path / "cache" / "spool").iterdir())
    assert leftovers == []  # the workers' hand-off directory is removed after the run


def test_scope_and_corrupt_files_miss(tmp_path: Path) -> None:
    reference = _image(tmp_path)
    options = ScanOptions(cache_dir=tmp_path / "cache")
    api.inventory(reference, options)
    api.inventory(reference, dataclasses.replace(options, scope=Scope.ALL_LAYERS))
    stored = sorted((tmp_path / "cache" / "inventories").glob("*.pickle"))
    assert len(stored) == 2
    for path in stored:
        path.write_bytes(b"not a pickle")
    again = api.inventory(reference, options)
    assert {p.name for p in again.packages} == {"zlib1g", "requests"}
    description = again.image
    assert InventoryCache(tmp_path / "cache").load("0" * 64, description) is None


def test_a_symlinked_metadata_file_is_not_a_second_package(tmp_path: Path) -> None:
    base = write_layer(
        tmp_path / "l0.tar.gz",
        [
            RegularFile(path="/etc/os-release", data=OS_RELEASE),
            RegularFile(path="/opt/a/requests-2.25.1.dist-info/METADATA", data=METADATA),
            Symlink(
                path="/opt/b/requests-2.25.1.dist-info/METADATA",
                target="/opt/a/requests-2.25.1.dist-info/METADATA",
            ),
            RegularFile(path="/srv/real-status", data=STATUS),
            Symlink(path="/var/lib/dpkg/status", target="/srv/real-status"),
        ],
    )
    write_oci_layout(tmp_path / "oci", [base], tag="t")
    found = api.inventory(f"oci:{tmp_path / 'oci'}:t", ScanOptions(cache_dir=tmp_path / "cache"))
    names = sorted(p.name for p in found.packages)
    assert names == ["requests", "zlib1g"]  # the dist-info once; the status file read through its link
