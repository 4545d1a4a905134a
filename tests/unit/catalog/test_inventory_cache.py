"""A warm inventory comes from the whole-image cache and equals a fresh one, without catalogers."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
import threading
from pathlib import Path

from hullscan import api
from hullscan.build.oci import write_oci_layout
from hullscan.build.tarwriter import RegularFile, Symlink, write_layer
from hullscan.catalog import registry
from hullscan.catalog.inventory_cache import InventoryCache
from hullscan.catalog.registry import code_fingerprint, default_policy, fingerprint_of
from hullscan.config import ScanOptions, Scope
from hullscan.fileview.builder import build_view
from hullscan.fileview.policy import CapturePolicy, DeferredPolicy
from hullscan.source.detect import open_source

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


def test_a_warm_view_never_builds_the_deferred_policy(tmp_path: Path) -> None:
    reference = _image(tmp_path)
    options = ScanOptions(cache_dir=tmp_path / "cache")
    builds: list[str] = []

    def build() -> CapturePolicy:
        builds.append("built")
        return default_policy().resolve()

    fingerprint = default_policy().fingerprint
    _, cold = api.open_view(reference, options, DeferredPolicy(fingerprint, build))
    assert builds == ["built"]
    _, warm = api.open_view(reference, options, DeferredPolicy(fingerprint, build))
    assert builds == ["built"]  # every layer came from the cache by fingerprint alone
    assert [r.path for r in warm.files()] == [r.path for r in cold.files()]
    assert warm.read("/var/lib/dpkg/status") == STATUS  # captured content came from the cache too
    _, other = api.open_view(reference, options, DeferredPolicy(fingerprint + "-other", build))
    assert builds == ["built", "built"]  # another fingerprint is another cache entry
    assert [r.path for r in other.files()] == [r.path for r in cold.files()]


def test_the_code_fingerprint_follows_every_file_but_compiled_caches(tmp_path: Path) -> None:
    package = tmp_path / "pkg"
    (package / "sub" / "__pycache__").mkdir(parents=True)
    (package / "a.py").write_text("x = 1\n")
    (package / "sub" / "data.toml").write_text("k = 1\n")
    first = fingerprint_of(package)
    (package / "sub" / "__pycache__" / "a.cpython-311.pyc").write_bytes(b"\0")
    assert fingerprint_of(package) == first
    (package / "sub" / "data.toml").write_text("k = 22\n")
    changed = fingerprint_of(package)
    assert changed != first
    (package / "b.py").write_text("")
    assert fingerprint_of(package) not in {first, changed}
    assert code_fingerprint() == fingerprint_of(Path(registry.__file__).resolve().parent.parent)


WARM_INVENTORY = """
import sys
from pathlib import Path
from hullscan import api
from hullscan.config import ScanOptions
found = api.inventory(sys.argv[1], ScanOptions(cache_dir=Path(sys.argv[2])))
loaded = sorted(m for m in sys.modules if m.startswith("hullscan.catalog.ecosystems"))
print(len(found.packages), loaded)
"""


def test_a_warm_inventory_imports_no_cataloger(tmp_path: Path) -> None:
    reference = _image(tmp_path)
    cache = tmp_path / "cache"
    runs = [
        subprocess.run(
            [sys.executable, "-c", WARM_INVENTORY, reference, str(cache)],
            check=True,
            capture_output=True,
            text=True,
        ).stdout.split(" ", 1)
        for _ in range(2)
    ]
    (cold_count, cold_modules), (warm_count, warm_modules) = runs
    assert cold_count == warm_count == "2"
    assert "hullscan.catalog.ecosystems.dpkg" in cold_modules
    assert warm_modules.strip() == "[]"


def test_work_while_waiting_runs_beside_the_workers_and_is_joined(tmp_path: Path) -> None:
    reference = _image(tmp_path)
    ran: list[str] = []

    def note_thread() -> None:
        ran.append(threading.current_thread().name)

    options = ScanOptions(cache_dir=tmp_path / "cache", workers=2)
    with open_source(reference) as source:
        _, view = build_view(source, default_policy(), options, while_waiting=note_thread)
    assert ran == ["hullscan-while-waiting"]
    assert not any(t.name == "hullscan-while-waiting" for t in threading.enumerate())
    assert view.get("/var/lib/dpkg/status") is not None
    with open_source(reference) as source:  # every layer cached: no workers, nothing to wait for
        build_view(source, default_policy(), options, while_waiting=note_thread)
    assert ran == ["hullscan-while-waiting"]


def test_the_readers_import_email_and_packaging_on_first_use() -> None:
    code = (
        "import sys; from hullscan.catalog.registry import default_policy, warm_up; "
        "default_policy().resolve(); print(sorted({m.split('.')[0] for m in sys.modules} & {'email', 'packaging'})); "
        "warm_up(); print(sorted({m.split('.')[0] for m in sys.modules} & {'email', 'packaging'}))"
    )
    before, after = subprocess.run(
        [sys.executable, "-c", code], check=True, capture_output=True, text=True
    ).stdout.splitlines()
    assert (before, after) == ("[]", "['email', 'packaging']")


def test_an_image_rebuilt_over_the_same_layers_is_a_hit_with_its_own_description(tmp_path: Path) -> None:
    reference = _image(tmp_path)
    options = ScanOptions(cache_dir=tmp_path / "cache")
    first = api.inventory(reference, options)
    base, app = (tmp_path / "l0.tar.gz", tmp_path / "l1.tar.gz")
    relabelled = {"cmd": ["/bin/other"], "labels": {"org.opencontainers.image.version": "2"}}
    write_oci_layout(tmp_path / "oci2", [base, app], relabelled, tag="t")
    for layer in (tmp_path / "cache" / "layers").iterdir():
        layer.unlink()  # a hit must come from the inventory cache alone
    second = api.inventory(f"oci:{tmp_path / 'oci2'}:t", options)
    assert second.image.config_digest != first.image.config_digest
    assert second.image.config.cmd == ("/bin/other",)
    assert second.packages == first.packages
    assert len(list((tmp_path / "cache" / "inventories").glob("*.pickle"))) == 1
