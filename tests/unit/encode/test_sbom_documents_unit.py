"""CycloneDX/SPDX writing and reading on a hand-built inventory: schema-valid, round trip, clock, bad input."""

from __future__ import annotations

import base64
import hashlib
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cyclonedx.schema import SchemaVersion
from cyclonedx.validation.json import JsonStrictValidator
from cyclonedx.validation.xml import XmlValidator
from spdx_tools.spdx.parser.parse_anything import parse_file
from spdx_tools.spdx.validation.document_validator import validate_full_spdx_document

from hullscan.encode import registry
from hullscan.encode.registry import InventoryFormat
from hullscan.encode.sbom_fields import DocumentOptions
from hullscan.errors import SbomError
from hullscan.model import (
    Coordinates,
    Distro,
    ImageDescription,
    Inventory,
    LayerRef,
    Package,
    PackageType,
    Platform,
    Relationship,
    RelationshipKind,
)
from hullscan.model.image import ImageConfig
from hullscan.sbomread import read_sbom

FIXTURES = Path(__file__).parents[2] / "fixtures" / "sboms"
LAYER0 = "sha256:" + "a" * 64
LAYER1 = "sha256:" + "b" * 64
TARBALL = b"the npm tarball bytes"
SHA512 = hashlib.sha512(TARBALL).digest()
DOCUMENT_FORMATS = [f for f in InventoryFormat if f not in (InventoryFormat.TABLE, InventoryFormat.JSON)]
SUFFIX = {
    InventoryFormat.CYCLONEDX_JSON: ".cdx.json",
    InventoryFormat.CYCLONEDX_JSON_1_5: ".cdx.json",
    InventoryFormat.CYCLONEDX_XML: ".cdx.xml",
    InventoryFormat.CYCLONEDX_XML_1_5: ".cdx.xml",
    InventoryFormat.SPDX_JSON: ".spdx.json",
    InventoryFormat.SPDX_TAG_VALUE: ".spdx",
}


def _inventory() -> Inventory:
    openssl = Package(
        name="libssl3",
        version="3.0.11-1~deb12u2",
        type=PackageType.DEB,
        purl="pkg:deb/debian/libssl3@3.0.11-1~deb12u2?arch=amd64&distro=debian-12",
        found_by="dpkg-status",
        locations=(Coordinates("/var/lib/dpkg/status", LAYER0),),
        licenses=("Apache-2.0", "Artistic or GPL-1+"),
        source_name="openssl",
        source_version="3.0.11-1~deb12u2",
        metadata={"supplier": "Debian OpenSSL Team <pkg-openssl-devel@lists.alioth.debian.org>"},
        layer_digest=LAYER0,
    )
    libc = Package(
        name="libc6",
        version="2.36-9",
        type=PackageType.DEB,
        purl="pkg:deb/debian/libc6@2.36-9?arch=amd64&distro=debian-12",
        found_by="dpkg-status",
        locations=(Coordinates("/var/lib/dpkg/status", LAYER0),),
        licenses=("GPL-2.0-or-later OR LGPL-2.1-or-later",),
        layer_digest=LAYER0,
    )
    lodash = Package(
        name="lodash",
        version="4.17.15",
        type=PackageType.NPM,
        purl="pkg:npm/lodash@4.17.15",
        found_by="npm-installed",
        locations=(Coordinates("/app/node_modules/lodash/package.json", LAYER1),),
        licenses=("MIT",),
        metadata={
            "integrity": "sha512-" + base64.b64encode(SHA512).decode(),
            "supplier": "John-David Dalton",
        },
        layer_digest=LAYER1,
    )
    bundled = Package(
        name="zlib",
        version="1.2.13",
        type=PackageType.BINARY,
        purl="pkg:generic/zlib@1.2.13",
        found_by="elf-bundled",
        locations=(Coordinates("/app/node_modules/lodash/native.node", LAYER1),),
        metadata={"cpe": "cpe:2.3:a:zlib:zlib:1.2.13:*:*:*:*:*:*:*"},
        layer_digest=LAYER1,
    )
    nameless = Package(
        name="mystery",
        version="",
        type=PackageType.BINARY,
        purl="",
        found_by="elf-bundled",
        locations=(Coordinates("/opt/mystery.so", LAYER1),),
        layer_digest=LAYER1,
        visible=False,
    )
    packages = (openssl, libc, lodash, bundled, nameless)
    relationships = (
        Relationship(openssl.id, libc.id, RelationshipKind.DEPENDS_ON),
        Relationship(libc.id, openssl.id, RelationshipKind.DEPENDS_ON),
        Relationship(bundled.id, lodash.id, RelationshipKind.BUNDLED_IN),
        Relationship(openssl.id, libc.id, RelationshipKind.BUILT_USING),
        Relationship(bundled.id, libc.id, RelationshipKind.PROVIDES_SAME),
    )
    image = ImageDescription(
        reference="oci:/tmp/x:latest",
        source_kind="oci",
        manifest_digest="sha256:" + "c" * 64,
        config_digest="sha256:" + "d" * 64,
        platform=Platform("linux", "arm64", "v8"),
        config=ImageConfig(created="2023-05-06T07:08:09Z"),
        layers=(
            LayerRef(0, LAYER0, "application/vnd.oci.image.layer.v1.tar+gzip", 10, "sha256:" + "e" * 64),
            LayerRef(1, LAYER1, "application/vnd.oci.image.layer.v1.tar+gzip", 20, "sha256:" + "f" * 64),
        ),
        repo_tags=("example.org/team/app:1.0",),
    )
    return Inventory(
        image=image,
        packages=packages,
        relationships=relationships,
        distro=Distro("debian", "12", "bookworm", "Debian GNU/Linux 12 (bookworm)"),
        warnings=("a warning the scan recorded",),
    )


def _write(tmp_path: Path, output: InventoryFormat, options: DocumentOptions | None = None) -> Path:
    path = tmp_path / f"doc{SUFFIX[output]}"
    path.write_text(registry.encode(_inventory(), output, options or DocumentOptions(reproducible=True)))
    return path


@pytest.mark.parametrize("output", DOCUMENT_FORMATS, ids=str)
def test_documents_validate_against_the_official_schemas(tmp_path: Path, output: InventoryFormat) -> None:
    path = _write(tmp_path, output)
    text = path.read_text()
    version = SchemaVersion.V1_5 if output.value.endswith("@1.5") else SchemaVersion.V1_6
    if output in (InventoryFormat.CYCLONEDX_JSON, InventoryFormat.CYCLONEDX_JSON_1_5):
        assert json.loads(text)["specVersion"] == str(version.to_version())
        assert JsonStrictValidator(version).validate_str(text) is None
    elif output in (InventoryFormat.CYCLONEDX_XML, InventoryFormat.CYCLONEDX_XML_1_5):
        assert f"http://cyclonedx.org/schema/bom/{version.to_version()}" in text
        assert XmlValidator(version).validate_str(text) is None
    else:
        document = parse_file(str(path))
        assert validate_full_spdx_document(document) == []
        assert document.creation_info.spdx_version == "SPDX-2.3"


@pytest.mark.parametrize("output", DOCUMENT_FORMATS, ids=str)
def test_round_trip_keeps_packages_ids_layers_locations_and_edges(
    tmp_path: Path, output: InventoryFormat
) -> None:
    original = _inventory()
    back = read_sbom(_write(tmp_path, output))

    def identity(inv: Inventory) -> set[tuple[object, ...]]:
        return {
            (p.id, p.type, p.name, p.version, p.purl, p.layer_digest, p.locations, p.visible, p.found_by)
            for p in inv.packages
        }

    assert identity(back) == identity(original)
    assert {(r.source_id, r.target_id, r.kind) for r in back.relationships} == {
        (r.source_id, r.target_id, r.kind) for r in original.relationships
    }
    assert back.distro is not None
    assert (back.distro.id, back.distro.version_id, back.distro.codename) == ("debian", "12", "bookworm")
    assert back.image.manifest_digest == original.image.manifest_digest
    assert back.image.platform == original.image.platform
    assert [(layer.digest, layer.diff_id) for layer in back.image.layers] == [
        (layer.digest, layer.diff_id) for layer in original.image.layers
    ]
    assert "a warning the scan recorded" in back.warnings
    by_name = {p.name: p for p in back.packages}
    assert set(by_name["libssl3"].licenses) == {"Apache-2.0", "Artistic or GPL-1+"}
    assert by_name["libssl3"].source_name == "openssl"
    assert by_name["libssl3"].metadata["supplier"].startswith("Debian OpenSSL Team")
    assert by_name["mystery"].metadata["unmatchable_reason"]


def test_npm_integrity_becomes_the_package_sha512(tmp_path: Path) -> None:
    cdx = json.loads(_write(tmp_path, InventoryFormat.CYCLONEDX_JSON).read_text())
    lodash = next(c for c in cdx["components"] if c["name"] == "lodash")
    assert lodash["hashes"] == [{"alg": "SHA-512", "content": hashlib.sha512(TARBALL).hexdigest()}]
    debs = [c for c in cdx["components"] if c["name"] in {"libssl3", "libc6"}]
    assert all("hashes" not in c for c in debs)  # file digests of dpkg are not package hashes


def test_bundled_copy_nests_under_its_host(tmp_path: Path) -> None:
    cdx = json.loads(_write(tmp_path, InventoryFormat.CYCLONEDX_JSON).read_text())
    top = {c["name"] for c in cdx["components"]}
    lodash = next(c for c in cdx["components"] if c["name"] == "lodash")
    assert "zlib" not in top
    assert [c["name"] for c in lodash["components"]] == ["zlib"]
    assert cdx["metadata"]["component"]["type"] == "container"
    spdx = json.loads(_write(tmp_path, InventoryFormat.SPDX_JSON).read_text())
    names = {p["SPDXID"]: p["name"] for p in spdx["packages"]}
    contains = {
        (names.get(r["spdxElementId"]), names.get(r["relatedSpdxElement"]))
        for r in spdx["relationships"]
        if r["relationshipType"] == "CONTAINS"
    }
    assert ("lodash", "zlib") in contains


def test_reproducible_documents_are_byte_identical_and_dated(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    for output in DOCUMENT_FORMATS:
        first = registry.encode(_inventory(), output, DocumentOptions(reproducible=True))
        assert first == registry.encode(_inventory(), output, DocumentOptions(reproducible=True))
    cdx = json.loads(
        registry.encode(_inventory(), InventoryFormat.CYCLONEDX_JSON, DocumentOptions(reproducible=True))
    )
    assert datetime.fromisoformat(cdx["metadata"]["timestamp"]) == datetime(2023, 5, 6, 7, 8, 9, tzinfo=UTC)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    cdx = json.loads(
        registry.encode(_inventory(), InventoryFormat.CYCLONEDX_JSON, DocumentOptions(reproducible=True))
    )
    assert datetime.fromisoformat(cdx["metadata"]["timestamp"]) == datetime.fromtimestamp(1700000000, UTC)
    other = json.loads(registry.encode(_inventory(), InventoryFormat.CYCLONEDX_JSON, DocumentOptions()))
    assert other["serialNumber"] != cdx["serialNumber"]


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("truncated.cdx.json", "not valid JSON"),
        ("top-level-array.json", "not an object"),
        ("unsupported-version.cdx.json", "specVersion 2.0"),
        ("unsupported-version.spdx.json", "SPDX-1.2"),
        ("spdx3.jsonld.json", "SPDX 3"),
        ("other.json", "neither CycloneDX"),
        ("other.xml", "neither CycloneDX"),
        ("billion-laughs.cdx.xml", "safe XML"),
        ("broken.cdx.xml", "well-formed"),
        ("broken.spdx", "tag-value"),
    ],
)
def test_bad_documents_raise_sbom_errors(name: str, message: str) -> None:
    with pytest.raises(SbomError, match=message) as caught:
        read_sbom(FIXTURES / name)
    assert "hint:" in caught.value.diagnostics()


def test_oversized_and_deeply_nested_documents_are_refused(tmp_path: Path) -> None:
    huge = tmp_path / "huge.cdx.json"
    with huge.open("wb") as handle:
        handle.write(b'{"bomFormat": "CycloneDX", ')
        handle.truncate(200 * 1024 * 1024)  # sparse: costs no disk
    with pytest.raises(SbomError, match="200 MiB"):
        read_sbom(huge)
    deep = tmp_path / "deep.json"
    deep.write_text('{"bomFormat": "CycloneDX", "x": ' + "[" * 100_000 + "]" * 100_000 + "}")
    with pytest.raises(SbomError, match="nests too deeply"):
        read_sbom(deep)
    garbage = tmp_path / "garbage.bin"
    garbage.write_bytes(bytes(range(256)) * 4)
    with pytest.raises(SbomError, match="neither CycloneDX"):
        read_sbom(garbage)


def test_odd_graphs_degrade_to_warnings() -> None:
    inventory = read_sbom(FIXTURES / "odd-graph.cdx.json")
    by_name = {p.name: p for p in inventory.packages}
    assert set(by_name) == {"alpha", "alpha-copy", "beta", "gamma-without-purl", "delta", "epsilon"}
    assert by_name["gamma-without-purl"].metadata["unmatchable_reason"] == "no purl in the SBOM"
    assert "conan" in by_name["delta"].metadata["unmatchable_reason"]
    assert by_name["beta"].type is PackageType.NPM
    assert by_name["alpha"].type is PackageType.PYTHON
    text = "\n".join(inventory.warnings)
    assert "duplicate reference 'a'" in text
    assert "cycles" in text
    assert "to itself" in text
    assert "no name" in text
    edges = {(r.source_id, r.target_id) for r in inventory.relationships}
    assert edges == {(by_name["alpha"].id, by_name["beta"].id), (by_name["beta"].id, by_name["alpha"].id)}
    assert len({p.id for p in inventory.packages}) == len(inventory.packages)


def test_format_names_and_timestamps_are_checked() -> None:
    assert registry.parse_format("cyclonedx-json", "1.5") is InventoryFormat.CYCLONEDX_JSON_1_5
    assert registry.parse_format("CycloneDX-XML@1.6") is InventoryFormat.CYCLONEDX_XML
    with pytest.raises(SbomError, match="unknown output format"):
        registry.parse_format("cyclonedx-yaml")
    with pytest.raises(SbomError, match="spec version"):
        registry.parse_format("cyclonedx-json", "1.2")
    with pytest.raises(SbomError, match="ISO 8601"):
        registry.encode_with_options(_inventory(), InventoryFormat.SPDX_JSON, timestamp="yesterday")
    doc = registry.encode_with_options(
        _inventory(), InventoryFormat.SPDX_JSON, timestamp="2024-02-03T04:05:06Z"
    )
    assert json.loads(doc)["creationInfo"]["created"] == "2024-02-03T04:05:06Z"
