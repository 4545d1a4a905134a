"""Triage on the real example image: a human statement made for version 1 holds for version 2.

Version 2 is version 1 plus one layer (written with `hullscan.build`), both tags of one OCI
layout, i.e. one repository. The advisory DB is built from the real fixture records; that the
finding exists at all is checked against the record with `packaging` (not with hullscan's matcher).
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from packaging.version import Version
from typer.testing import CliRunner

from hullscan.build.example import EXAMPLE_SPEC, build_example_image
from hullscan.build.oci import HistoryItem, write_oci_layout
from hullscan.build.tarwriter import RegularFile, write_layer
from hullscan.cli.app import app
from hullscan.match.db import import_paths
from images.cache import cache_root, file_lock

pytestmark = [pytest.mark.slow, pytest.mark.network]

OSV = Path(__file__).resolve().parents[1] / "fixtures" / "match" / "osv"
VEX_FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "vex"
CVE = "CVE-2024-3651"  # idna 2.10 in the example image (PYSEC-2024-60)


@pytest.fixture(scope="module")
def repository(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One OCI layout `example` with tag 1 (the example image) and tag 2 (one more layer)."""
    root = cache_root() / "example"
    with file_lock(cache_root() / ".example.lock"):
        v1 = build_example_image(root / "oci", root / "downloads")
    index = json.loads((v1 / "index.json").read_text())
    manifest_digest = index["manifests"][0]["digest"]
    manifest = json.loads((v1 / "blobs" / "sha256" / manifest_digest.split(":")[1]).read_text())
    blobs = [v1 / "blobs" / "sha256" / layer["digest"].split(":")[1] for layer in manifest["layers"]]
    work = tmp_path_factory.mktemp("vex-images")
    layout = work / "example"
    write_oci_layout(layout, blobs, EXAMPLE_SPEC, tag="1")
    extra = write_layer(work / "layer-v2.tar.gz", [RegularFile(path="app/VERSION", data=b"2\n")])
    spec_v2 = replace(EXAMPLE_SPEC, history=(*EXAMPLE_SPEC.history, HistoryItem("echo 2 > /app/VERSION")))
    write_oci_layout(layout, [*blobs, extra], spec_v2, tag="2")
    return layout


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "advisories.sqlite"
    import_paths(path, [OSV / "PyPI", OSV / "npm"])
    return path


def _cli(*args: str) -> str:
    result = CliRunner().invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def _scan(layout: Path, tag: str, db: Path, *extra: str) -> dict[str, Any]:
    text = _cli("scan", f"oci:{layout}:{tag}", "--db", str(db), "-o", "json", "--no-evidence", *extra)
    return json.loads(text[text.index("{"):])


def _status(scan: dict[str, Any], vulnerability: str, package: str) -> str | None:
    found = [f["status"] for f in scan["findings"] if f["id"] == vulnerability and f["package"]["name"] == package]
    return found[0] if found else None


def test_the_record_really_affects_idna_2_10() -> None:
    record = json.loads((OSV / "PyPI" / "PYSEC-2024-60.json").read_text())
    assert CVE in record["aliases"]
    (affected,) = [a for a in record["affected"] if a["package"]["name"] == "idna"]
    (ecosystem_range,) = [r for r in affected["ranges"] if r["type"] == "ECOSYSTEM"]
    fixed = next(e["fixed"] for e in ecosystem_range["events"] if "fixed" in e)
    assert Version("2.10") < Version(fixed)


def test_statement_on_version_1_suppresses_version_2_until_revoked(repository: Path, db: Path) -> None:
    before = _scan(repository, "2", db)
    assert _status(before, CVE, "idna") == "affected"
    added = _cli(
        "vex", "add", CVE, "--product", "image:example", "--subcomponent", "pkg:pypi/idna",
        "--status", "not_affected", "--justification", "vulnerable_code_not_in_execute_path",
        "--author", "alice", "--db", str(db),
    )
    statement_id = added.split(":")[0].strip()
    assert _status(_scan(repository, "1", db), CVE, "idna") is None  # the build it was made for
    assert _status(_scan(repository, "2", db), CVE, "idna") is None  # the next build
    shown = _scan(repository, "2", db, "--show-suppressed")
    assert _status(shown, CVE, "idna") == "not_affected"
    import_paths(db, [OSV / "Go"])  # an advisory import rebuilds the database file
    assert _status(_scan(repository, "2", db), CVE, "idna") is None
    explained = _cli("scan", f"oci:{repository}:2", "--db", str(db), "--no-evidence", "--explain", CVE)
    assert f"statement {statement_id} by alice" in explained
    assert "suppressed" in explained
    assert "signal vs noise" in explained
    _cli("vex", "revoke", statement_id, "--author", "bob", "--db", str(db))
    assert _status(_scan(repository, "2", db), CVE, "idna") == "affected"
    history = _cli("vex", "list", "--history", "--db", str(db))
    assert statement_id in history
    assert "bob" in history


@pytest.mark.parametrize("fmt", ["openvex", "cyclonedx-vex", "csaf"])
def test_scan_output_read_back_gives_the_same_statuses(repository: Path, db: Path, tmp_path: Path, fmt: str) -> None:
    handwritten = str(VEX_FIXTURES / "openvex-handwritten.json")
    first = _scan(repository, "2", db, "--vex", handwritten, "--show-suppressed")
    assert _status(first, CVE, "idna") == "not_affected"
    assert _status(first, "CVE-2021-44906", "minimist") == "under_investigation"  # image:example product
    out = tmp_path / f"scan.{fmt}.json"
    _cli("scan", f"oci:{repository}:2", "--db", str(db), "--no-evidence", "--vex", handwritten, "-o", fmt,
         "--file", str(out))
    again = _scan(repository, "2", db, "--vex", str(out), "--show-suppressed")
    statuses = {(f["id"], f["package"]["purl"]): f["status"] for f in first["findings"]}
    assert {(f["id"], f["package"]["purl"]): f["status"] for f in again["findings"]} == statuses
    assert len(statuses) > 5


def test_vex_import_and_export(repository: Path, db: Path, tmp_path: Path) -> None:
    imported = _cli("vex", "import", str(VEX_FIXTURES / "csaf-vex-handwritten.json"), "--db", str(db))
    assert "imported 3 statement(s)" in imported
    assert _status(_scan(repository, "2", db), CVE, "idna") is None
    exported = tmp_path / "store.json"
    _cli("vex", "export", "-o", "openvex", "--file", str(exported), "--db", str(db))
    document = json.loads(exported.read_text())
    assert {s["vulnerability"]["name"] for s in document["statements"]} == {CVE, "CVE-2022-0235", "CVE-2023-37920"}
    bad = CliRunner().invoke(app, ["scan", f"oci:{repository}:2", "--db", str(db), "--vex",
                                   str(VEX_FIXTURES / "not-json.json")])
    assert bad.exit_code == 2
    assert "not valid JSON" in bad.output
