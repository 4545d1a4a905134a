"""End to end on a real debootstrapped Debian 12 image, read through every source kind.

The expected squashed tree comes from `tar -tf` of each layer with whiteouts applied lexically
(tests/images/squash.py), not from hullscan; the dpkg view from `dpkg-query --admindir`.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
from pathlib import Path

import pytest
from typer.testing import CliRunner

from hullscan import api
from hullscan.cli.app import app
from hullscan.config import ScanOptions, Scope
from images.debian import DELETED_DIRS, DELETED_FILES, DebianTestImage
from registry_server import RegistryServer, registry_server  # noqa: F401 - fixture

pytestmark = pytest.mark.slow


def _options(tmp_path: Path, scope: Scope = Scope.SQUASHED) -> ScanOptions:
    return ScanOptions(scope=scope, cache_dir=tmp_path / "cache")


def _paths(reference: str, tmp_path: Path) -> set[str]:
    return {r.path.lstrip("/") for r in api.files(reference, _options(tmp_path))}


@pytest.fixture(scope="module")
def references(debian_test_image: DebianTestImage, registry_server: RegistryServer) -> dict[str, str]:  # noqa: F811 - the imported fixture, by name
    refs = dict(debian_test_image.references)
    registry_server.push(f"oci:{debian_test_image.oci_dir}:latest", "debian-test:latest")
    refs["registry"] = registry_server.reference("debian-test:latest")
    return refs


@pytest.mark.parametrize(
    "kind", ["oci", "oci-zstd", "docker-archive-legacy", "docker-archive-oci", "dir", "registry"]
)
def test_every_source_gives_the_independently_computed_squashed_tree(
    kind: str, references: dict[str, str], debian_test_image: DebianTestImage, tmp_path: Path
) -> None:
    found = _paths(references[kind], tmp_path)
    expected = set(debian_test_image.expected.paths)
    if kind == "dir":  # the squashed rootfs on disk holds no device nodes or FIFOs
        expected -= set(debian_test_image.expected.special)
    assert found == expected, (sorted(found - expected)[:10], sorted(expected - found)[:10])
    for gone in (*DELETED_FILES, *DELETED_DIRS):
        assert gone not in found


def test_layer_attribution_and_deleted_files(references: dict[str, str], tmp_path: Path) -> None:
    opts = _options(tmp_path)
    deleted = {r.path.lstrip("/") for r in api.files(references["oci"], opts, deleted=True)}
    assert set(DELETED_FILES) <= deleted
    top = {r.path.lstrip("/") for r in api.files(references["oci"], opts, layer=2)}
    assert "app/bin/tool" in top
    _, view = api.open_view(references["oci"], opts)
    assert view.get("/app/bin/tool").layer_index == 2  # type: ignore[union-attr]
    assert view.get("/app/data/hello.txt").layer_index == 1  # type: ignore[union-attr]
    assert view.get("/usr/bin/dpkg").layer_index == 0  # type: ignore[union-attr]


def test_inspect_cli_shows_config_and_layers(references: dict[str, str], tmp_path: Path) -> None:
    manifest = subprocess.run(
        ["skopeo", "inspect", "--config", references["oci"]], check=True, capture_output=True, text=True
    )
    config = json.loads(manifest.stdout)
    result = CliRunner().invoke(
        app, ["inspect", references["oci"], "--json", "--cache-dir", str(tmp_path / "c")]
    )
    assert result.exit_code == 0, result.output
    doc = json.loads(result.output)
    assert doc["image"]["config"]["entrypoint"] == config["config"]["Entrypoint"]
    assert doc["image"]["config"]["env"] == config["config"]["Env"]
    assert [layer["layer"]["diff_id"] for layer in doc["layers"]] == config["rootfs"]["diff_ids"]
    raw = subprocess.run(["skopeo", "inspect", "--raw", references["oci"]], check=True, capture_output=True)
    assert doc["image"]["manifest_digest"] == "sha256:" + hashlib.sha256(raw.stdout).hexdigest()


def test_files_cli_lists_every_file_with_its_layer(references: dict[str, str], tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app, ["files", references["docker-archive-legacy"], "--cache-dir", str(tmp_path / "c")]
    )
    assert result.exit_code == 0, result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert any(line.endswith("/app/bin/tool") and " 2 " in line for line in lines)


def test_dpkg_inventory_matches_dpkg_query(
    references: dict[str, str], debian_test_image: DebianTestImage, tmp_path: Path
) -> None:
    admindir = debian_test_image.rootfs / "var" / "lib" / "dpkg"
    out = subprocess.run(
        [
            "dpkg-query",
            f"--admindir={admindir}",
            "-W",
            "-f",
            "${db:Status-Abbrev}|${Package}|${Version}|${source:Package}|${source:Version}\n",
        ],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    truth = {tuple(line.split("|")[1:]) for line in out.splitlines() if line.startswith("ii")}
    for kind in ("oci", "docker-archive-oci", "dir"):
        inventory = api.inventory(references[kind], _options(tmp_path))
        found = {
            (p.name, p.version, p.source_name or p.name, p.source_version or p.version)
            for p in inventory.packages
            if p.type.value == "deb"
        }
        assert found == truth, (kind, sorted(found ^ truth)[:10])
        assert inventory.distro is not None
        assert inventory.distro.purl_qualifier == "debian-12"
        base_digest = references and inventory.image.layers[0].digest if inventory.image.layers else None
        if base_digest:
            assert {p.layer_digest for p in inventory.packages if p.type.value == "deb"} == {base_digest}
