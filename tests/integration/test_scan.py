"""`hullscan scan` on a real Debian 12 + Python venv image, checked against dpkg and `packaging`.

Expected findings are derived here from the fixture records and the package managers' own view
of the image: `dpkg-query` on the image's dpkg database with `dpkg --compare-versions` for Debian,
`importlib.metadata` on the venv (plus pip's `vendor.txt`) with `packaging` for PyPI.
"""

from __future__ import annotations

import importlib.metadata
import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from packaging.version import InvalidVersion, Version
from typer.testing import CliRunner

from hullscan import api
from hullscan.analyze.vex import apply_statements
from hullscan.cli.app import app
from hullscan.config import ScanOptions
from hullscan.match.db import import_paths
from hullscan.model.finding import FindingStatus, ScanReport
from hullscan.model.package import PackageType
from hullscan.model.vex import Justification, VexStatement
from images.python_image import PythonImage

pytest_plugins = ["images.fixtures"]
pytestmark = pytest.mark.slow

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "match"
VENV = "/opt/venv"


def _records(directory: str) -> list[dict[str, Any]]:
    return [json.loads(p.read_text()) for p in sorted((FIXTURES / "osv" / directory).glob("*.json"))]


def _pep503(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _dpkg_lt(a: str, b: str) -> bool:
    dpkg = shutil.which("dpkg")
    assert dpkg
    return subprocess.run([dpkg, "--compare-versions", a, "lt", b], check=False).returncode == 0


def _pypi_affected(version: str, entry: dict[str, Any]) -> bool:
    if version in entry.get("versions", []):
        return True
    v = Version(version)
    for rng in entry.get("ranges", []):
        if rng["type"] != "ECOSYSTEM":
            continue
        low: Version | None = None
        for event in rng["events"]:
            kind, value = next(iter(event.items()))
            if kind == "introduced":
                low = Version("0") if value == "0" else Version(value)
            elif low is not None and kind in {"fixed", "last_affected"}:
                if low <= v < Version(value) or (kind == "last_affected" and v == Version(value)):
                    return True
                low = None
        if low is not None and v >= low:
            return True
    return False


@pytest.fixture(scope="module")
def db_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("scan-db") / "advisories.sqlite"
    import_paths(path, [FIXTURES / "osv"])
    return path


@pytest.fixture(scope="module")
def layer_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One layer cache for the module, so each CLI run does not catalog the image again."""
    return tmp_path_factory.mktemp("scan-cache")


@pytest.fixture(scope="module")
def report(python_test_image: PythonImage, db_path: Path, layer_cache: Path) -> ScanReport:
    return api.scan(python_test_image.reference, ScanOptions(cache_dir=layer_cache), db=str(db_path))


def test_debian_findings_are_exactly_what_dpkg_says(python_test_image: PythonImage, report: ScanReport) -> None:
    admindir = python_test_image.rootfs / "var" / "lib" / "dpkg"
    listing = subprocess.run(
        ["dpkg-query", f"--admindir={admindir}", "-W", "-f", "${Package}\t${source:Package}\t${source:Version}\n"],
        check=True, capture_output=True, text=True,
    ).stdout
    installed = [line.split("\t") for line in listing.splitlines() if line]
    by_source: dict[str, list[dict[str, Any]]] = {}
    for record in _records("Debian"):
        (affected,) = record["affected"]
        if affected["package"]["ecosystem"] == "Debian:12":
            by_source.setdefault(affected["package"]["name"], []).append(record)
    expected = {
        (binary, record["aliases"][0])
        for binary, source, version in installed
        for record in by_source.get(source, [])
        if _dpkg_lt(version, record["affected"][0]["ranges"][0]["events"][-1]["fixed"])
    }
    assert expected, "the fixture records should hit this image"
    found = {(f.package.name, f.id) for f in report.findings if f.package.type is PackageType.DEB}
    assert found == expected


def test_debian_packages_are_never_matched_against_other_ecosystems(report: ScanReport) -> None:
    debs = [f for f in report.findings if f.package.type is PackageType.DEB]
    assert debs
    assert {e.ecosystem for f in debs for e in f.evidence} == {"Debian:12"}
    assert all(e.advisory_id.startswith("x_HULLDEB12-") for f in debs for e in f.evidence)


def test_a_statement_on_a_debian_source_package_covers_its_binaries(report: ScanReport) -> None:
    binary = next(
        f for f in report.findings
        if f.package.type is PackageType.DEB and f.package.source_name not in (None, f.package.name)
    )  # fmt: skip
    source, source_version = binary.package.source_name, binary.package.source_version
    statement = VexStatement(
        binary.id,
        f"pkg:deb/debian/{source}@{source_version}",
        FindingStatus.NOT_AFFECTED,
        justification=Justification.VULNERABLE_CODE_NOT_PRESENT,
        source="human",
        timestamp="2026-11-30T00:00:00Z",
    )
    triaged = apply_statements(report, [statement]).findings
    covered = {(t.finding.id, t.finding.package.name) for t in triaged if t.suppressed}
    built_from_source = {
        (f.id, f.package.name) for f in report.findings if f.id == binary.id and f.package.source_name == source
    }
    assert (binary.id, binary.package.name) in covered
    assert covered == built_from_source  # every binary of that source, nothing else


def _venv_distributions(site_packages: Path) -> set[tuple[str, str]]:
    found = {(_pep503(d.metadata["Name"]), d.version) for d in importlib.metadata.distributions(path=[str(site_packages)])}
    vendor = site_packages / "pip" / "_vendor" / "vendor.txt"
    for line in vendor.read_text().splitlines():
        name, _, version = line.split("#")[0].strip().partition("==")
        if version:
            found.add((_pep503(name), version))
    return found


def test_pypi_findings_are_exactly_what_packaging_says(python_test_image: PythonImage, report: ScanReport) -> None:
    installed = _venv_distributions(python_test_image.site_packages)
    expected: set[tuple[str, str, str]] = set()
    for record in _records("PyPI"):
        for affected in record["affected"]:
            for name, version in installed:
                try:
                    hit = _pep503(affected["package"]["name"]) == name and _pypi_affected(version, affected)
                except InvalidVersion:
                    continue
                if hit:
                    expected.add((name, version, record["id"]))
    assert expected
    found = {
        (_pep503(f.package.name), f.package.version, advisory)
        for f in report.findings
        if f.package.type is PackageType.PYTHON and f.package.locations[0].path.startswith(VENV)
        for advisory in f.advisory_ids
    }
    assert found == expected
    python = [f for f in report.findings if f.package.type is PackageType.PYTHON]
    assert all(f.package.locations[0].path.startswith(VENV) for f in python), "OS-owned wheels must not be matched"


@pytest.fixture(autouse=True)
def _shared_layer_cache(layer_cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HULLSCAN_CACHE_DIR", str(layer_cache))


def _cli(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.stdout


def test_sarif_output_validates_against_the_schema(python_test_image: PythonImage, db_path: Path, tmp_path: Path) -> None:
    out = tmp_path / "scan.sarif"
    code, _ = _cli("scan", python_test_image.reference, "--db", str(db_path), "-o", "sarif", "--file", str(out))
    assert code == 0
    log = json.loads(out.read_text())
    schema = json.loads((FIXTURES / "sarif-schema-2.1.0.json").read_text())
    jsonschema.Draft4Validator(schema).validate(log)
    (run,) = log["runs"]
    assert run["results"]
    assert {r["ruleId"] for r in run["results"]} == {rule["id"] for rule in run["tool"]["driver"]["rules"]}


@pytest.fixture(scope="module")
def sbom_file(python_test_image: PythonImage, layer_cache: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`hullscan sbom -o json` of the image: scanning it skips reading the layers again."""
    sbom = tmp_path_factory.mktemp("sbom") / "inventory.json"
    result = CliRunner().invoke(
        app, ["sbom", python_test_image.reference, "-o", "json", "--file", str(sbom), "--cache-dir", str(layer_cache)]
    )
    assert result.exit_code == 0, result.output
    return sbom


def test_fail_on_and_errors_set_the_exit_code(sbom_file: Path, db_path: Path, tmp_path: Path) -> None:
    code, text = _cli("scan", str(sbom_file), "--db", str(db_path), "-o", "json")
    assert code == 0
    doc = json.loads(text)
    levels = ["low", "medium", "high", "critical"]
    present = {f["severity"] for f in doc["findings"] if f["status"] in {"affected", "under_investigation"}}
    worst = max((levels.index(s) for s in present if s in levels), default=-1)
    assert worst >= 0
    assert _cli("scan", str(sbom_file), "--db", str(db_path), "--fail-on", levels[worst])[0] == 1
    if worst < len(levels) - 1:
        assert _cli("scan", str(sbom_file), "--db", str(db_path), "--fail-on", levels[worst + 1])[0] == 0
    assert _cli("scan", str(sbom_file), "--db", str(tmp_path / "missing.sqlite"))[0] == 2
    broken = tmp_path / "broken.json"
    broken.write_text('{"schema": "something-else"}')
    assert _cli("scan", str(broken), "--db", str(db_path))[0] == 2
    assert _cli("scan", str(tmp_path / "no-such-image"), "--db", str(db_path))[0] == 2


def test_scanning_the_sbom_gives_the_same_findings(sbom_file: Path, db_path: Path, report: ScanReport) -> None:
    code, text = _cli("scan", str(sbom_file), "--db", str(db_path), "-o", "json")
    assert code == 0
    from_sbom = {(f["package"]["id"], f["id"]) for f in json.loads(text)["findings"]}
    assert from_sbom == {(f.package.id, f.id) for f in report.findings}


def test_only_fixed_hides_findings_without_a_fix(sbom_file: Path, db_path: Path) -> None:
    _, text = _cli("scan", str(sbom_file), "--db", str(db_path), "-o", "json", "--only-fixed")
    findings = json.loads(text)["findings"]
    assert findings
    assert all(f["fix"] for f in findings)
