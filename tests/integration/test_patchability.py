"""Patch classes on the real Debian 12 + Python venv image, checked against pip metadata and apt.

Expected classes are derived here, independently of the classifier:
- language packages: the dependents' `Requires-Dist` read with `importlib.metadata` from the
  image's site-packages (markers evaluated with `packaging`, no extras), pip's own `vendor.txt`
  pins for its vendored copies, and the first release segment of the versions;
- Debian packages: `apt-cache madison` over the host's bookworm lists (the same lists the
  release index reads) and `dpkg --compare-versions` against the fix the advisory names.
"""

from __future__ import annotations

import importlib.metadata
import json
import re
import shutil
import subprocess
from collections import Counter
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version
from typer.testing import CliRunner

from hullscan import api
from hullscan.analyze.patchability import release_index
from hullscan.cli.app import app
from hullscan.config import ScanOptions
from hullscan.match.db import import_paths
from hullscan.model.finding import Finding, PatchClass, ScanReport
from hullscan.model.package import PackageType
from images.python_image import PythonImage

pytest_plugins = ["images.fixtures"]
pytestmark = pytest.mark.slow

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "match" / "osv"
VENV_SITE = "/opt/venv/lib/python3.11/site-packages"


@pytest.fixture(scope="module")
def db_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("patch-db") / "advisories.sqlite"
    import_paths(path, [FIXTURES])
    return path


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("patch-cache")


@pytest.fixture(scope="module")
def report(python_test_image: PythonImage, db_path: Path, cache_dir: Path) -> ScanReport:
    return api.scan(python_test_image.reference, ScanOptions(cache_dir=cache_dir), db=str(db_path))


# ----- language packages: pip's metadata ------------------------------------------------------


def _runtime_requirements(site_packages: Path) -> dict[str, list[tuple[str, Requirement]]]:
    """canonical name -> [(dependent 'name version', requirement)] from every dist's Requires-Dist."""
    found: dict[str, list[tuple[str, Requirement]]] = {}
    for dist in importlib.metadata.distributions(path=[str(site_packages)]):
        for text in dist.requires or []:
            requirement = Requirement(text)
            if requirement.marker is not None and not requirement.marker.evaluate({"extra": "", "python_version": "3.11"}):
                continue
            dependent = f"{dist.metadata['Name']} {dist.version}"
            found.setdefault(canonicalize_name(requirement.name), []).append((dependent, requirement))
    return found


def _vendor_pins(site_packages: Path) -> dict[str, str]:
    pins: dict[str, str] = {}
    for line in (site_packages / "pip" / "_vendor" / "vendor.txt").read_text().splitlines():
        name, _, version = line.split("#")[0].strip().partition("==")
        if version:
            pins[canonicalize_name(name)] = version
    return pins


def _venv_findings(report: ScanReport) -> list[Finding]:
    return [
        f for f in report.findings
        if f.package.type is PackageType.PYTHON and f.package.locations[0].path.startswith(VENV_SITE)
    ]


def _is_vendored(finding: Finding) -> bool:
    return "/_vendor/" in finding.package.locations[0].path


def test_urllib3_fix_fits_requests_declared_range(python_test_image: PythonImage, report: ScanReport) -> None:
    (dependent, requirement), = _runtime_requirements(python_test_image.site_packages)["urllib3"]
    urllib3 = [f for f in _venv_findings(report) if f.package.name == "urllib3" and not _is_vendored(f)]
    assert {f.fix for f in urllib3} >= {"1.26.17", "1.26.18"}
    for finding in urllib3:
        assert finding.fix is not None
        assert requirement.specifier.contains(finding.fix)
        assert finding.patch_class is PatchClass.DEV_COMPATIBLE, finding.patch_reason
        assert f"{dependent} requires urllib3{requirement.specifier}" in finding.patch_reason


def test_idna_fix_breaks_requests_declared_range(python_test_image: PythonImage, report: ScanReport) -> None:
    (dependent, requirement), = _runtime_requirements(python_test_image.site_packages)["idna"]
    (idna,) = [f for f in _venv_findings(report) if f.package.name == "idna" and not _is_vendored(f)]
    assert idna.fix is not None
    assert not requirement.specifier.contains(idna.fix)
    assert idna.patch_class is PatchClass.DEV_BREAKING
    assert f"{dependent} requires idna{requirement.specifier}" in idna.patch_reason


def _expected_language_class(finding: Finding, site_packages: Path) -> PatchClass:
    if finding.fix is None:
        return PatchClass.NO_FIX
    name = canonicalize_name(finding.package.name)
    if _is_vendored(finding):
        pinned = _vendor_pins(site_packages)[name]
        return PatchClass.DEV_BREAKING if pinned != finding.fix else PatchClass.DEV_COMPATIBLE
    ranges = [req.specifier for _, req in _runtime_requirements(site_packages).get(name, [])]
    old, new = Version(finding.package.version), Version(finding.fix)
    calendar = old.release[0] >= 1990 and new.release[0] >= 1990
    major = old.epoch != new.epoch or (old.release[0] != new.release[0] and not calendar)
    if major or not all(spec.contains(new, prereleases=True) for spec in ranges):
        return PatchClass.DEV_BREAKING
    return PatchClass.DEV_COMPATIBLE


def test_every_venv_finding_has_the_class_pip_metadata_implies(
    python_test_image: PythonImage, report: ScanReport
) -> None:
    findings = _venv_findings(report)
    assert findings
    got = {(f.package.name, f.package.version, f.id): f.patch_class for f in findings}
    expected = {
        (f.package.name, f.package.version, f.id): _expected_language_class(f, python_test_image.site_packages)
        for f in findings
    }
    assert got == expected
    assert {PatchClass.DEV_COMPATIBLE, PatchClass.DEV_BREAKING} <= set(got.values())


def test_vendored_copies_name_the_pin_of_their_host(python_test_image: PythonImage, report: ScanReport) -> None:
    pins = _vendor_pins(python_test_image.site_packages)
    pip = next(d for d in importlib.metadata.distributions(path=[str(python_test_image.site_packages)]) if d.metadata["Name"] == "pip")
    vendored = [f for f in _venv_findings(report) if _is_vendored(f)]
    assert vendored
    for finding in vendored:
        pin = pins[canonicalize_name(finding.package.name)]
        assert f"pip {pip.version} vendors {finding.package.name}=={pin}" in finding.patch_reason


# ----- Debian packages: apt's view of the release -------------------------------------------


def _madison(packages: set[str]) -> dict[str, list[str]]:
    apt_cache = shutil.which("apt-cache")
    assert apt_cache, "apt-cache is part of every Debian host"
    out = subprocess.run([apt_cache, "madison", *sorted(packages)], capture_output=True, text=True, check=False).stdout
    versions: dict[str, list[str]] = {}
    for line in out.splitlines():
        name, version, origin = (part.strip() for part in line.split("|"))
        if "Packages" in origin and "bookworm" in origin:
            versions.setdefault(name, []).append(version)
    return versions


def _dpkg_ge(a: str, b: str) -> bool:
    return subprocess.run(["dpkg", "--compare-versions", a, "ge", b], check=False).returncode == 0


def _newest(versions: list[str]) -> str:
    newest = versions[0]
    for version in versions[1:]:
        if _dpkg_ge(version, newest):
            newest = version
    return newest


def _record_fixes(source: str, cve: str) -> set[str]:
    """The fixed versions the fixture records name for a source package and CVE (Debian:12 only)."""
    fixes: set[str] = set()
    for path in (FIXTURES / "Debian").glob("*.json"):
        record = json.loads(path.read_text())
        if cve not in (record["id"], *record.get("aliases", ())):
            continue
        for affected in record["affected"]:
            if (affected["package"]["ecosystem"], affected["package"]["name"]) == ("Debian:12", source):
                fixes |= {e["fixed"] for r in affected["ranges"] for e in r["events"] if "fixed" in e}
    return fixes


def test_debian_findings_are_ops_when_apt_publishes_the_fix(report: ScanReport, cache_dir: Path) -> None:
    debs = [f for f in report.findings if f.package.type is PackageType.DEB]
    assert debs, "the derived Debian records should hit the debootstrap image"
    index = release_index(report.inventory.distro, cache_dir)
    if index.index is None:  # no bookworm lists on this host: the reason must say so
        assert all("index not consulted" in f.patch_reason for f in debs if f.fix)
        assert all(f.patch_class is PatchClass.OPS for f in debs if f.fix)
        return
    published = _madison({f.package.name for f in debs})
    for finding in debs:
        source = finding.package.source_name or finding.package.name
        assert finding.fix in _record_fixes(source, finding.id), "the fix comes from the release's record"
        newest = _newest(published[finding.package.name])
        if _dpkg_ge(newest, finding.fix):
            assert finding.patch_class is PatchClass.OPS, finding.patch_reason
            assert f"publishes {finding.package.name} {newest}" in finding.patch_reason
        else:
            assert finding.patch_class is PatchClass.NO_FIX, finding.patch_reason
            assert newest in finding.patch_reason
    assert any(f.patch_class is PatchClass.OPS for f in debs)


# ----- what the user sees -------------------------------------------------------------------


def _cli(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.stdout


def test_json_carries_class_and_reason_per_finding(
    python_test_image: PythonImage, db_path: Path, cache_dir: Path, report: ScanReport, tmp_path: Path
) -> None:
    out = tmp_path / "scan.json"
    code, _ = _cli("scan", python_test_image.reference, "--db", str(db_path), "--cache-dir", str(cache_dir), "-o", "json", "--file", str(out))
    assert code == 0
    document = json.loads(out.read_text())
    by_key = {(f.package.id, f.id): f for f in report.findings}
    assert len(document["findings"]) == len(by_key)
    for item in document["findings"]:
        finding = by_key[(item["package"]["id"], item["id"])]
        assert item["patchClass"] == (finding.patch_class.value if finding.patch_class else None)
        assert item["patchReason"] == finding.patch_reason
        assert item["patchReason"]
    counted = Counter(item["patchClass"] for item in document["findings"])
    assert document["summary"]["byPatchClass"] == {c.value: counted.get(c.value, 0) for c in PatchClass}


def test_table_prints_totals_per_class(python_test_image: PythonImage, db_path: Path, cache_dir: Path, report: ScanReport) -> None:
    code, output = _cli("scan", python_test_image.reference, "--db", str(db_path), "--cache-dir", str(cache_dir))
    assert code == 0
    line = next(line for line in output.splitlines() if line.startswith("by patch class:"))
    printed = {name: int(count) for count, name in re.findall(r"(\d+) ([a-z-]+)", line)}
    counted = Counter(f.patch_class.value for f in report.findings if f.patch_class)
    assert printed == {c.value: counted.get(c.value, 0) for c in PatchClass}


def test_sarif_results_carry_the_class(python_test_image: PythonImage, db_path: Path, cache_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "scan.sarif"
    code, _ = _cli("scan", python_test_image.reference, "--db", str(db_path), "--cache-dir", str(cache_dir), "-o", "sarif", "--file", str(out))
    assert code == 0
    results = json.loads(out.read_text())["runs"][0]["results"]
    assert results
    assert {r["properties"]["patchClass"] for r in results} <= {c.value for c in PatchClass}
    assert all(r["properties"]["patchReason"] for r in results)
