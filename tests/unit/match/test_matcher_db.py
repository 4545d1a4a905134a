"""Matching against a database of real OSV records: distro isolation, withdrawal, aliases, caveats."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from cvss import CVSS3
from match_support import OSV_DIR, build_db, package, pep503, records
from packaging.version import Version

from hullscan.match.db import AdvisoryDB
from hullscan.match.matcher import filter_findings, match_packages, threshold_reached
from hullscan.model.finding import Caveat, Finding, FindingStatus, Severity
from hullscan.model.inventory import Distro
from hullscan.model.package import PackageType

DEBIAN_12 = Distro("debian", "12", "bookworm")


def dpkg_lt(a: str, b: str) -> bool:
    dpkg = shutil.which("dpkg")
    assert dpkg, "dpkg is needed as the oracle"
    return subprocess.run([dpkg, "--compare-versions", a, "lt", b], check=False).returncode == 0


def _in_range(v: Version, events: list[dict[str, str]]) -> bool:
    low: Version | None = None
    for event in events:
        kind, value = next(iter(event.items()))
        if kind == "introduced":
            low = Version("0") if value == "0" else Version(value)
        elif low is not None and kind in {"fixed", "last_affected"}:
            if low <= v < Version(value) or (kind == "last_affected" and v == Version(value)):
                return True
            low = None
    return low is not None and v >= low


def pypi_affected(version: str, entry: dict[str, Any]) -> bool:
    """Independent OSV evaluation for ECOSYSTEM ranges with `packaging` (introduced/fixed pairs)."""
    if version in entry.get("versions", []):
        return True
    v = Version(version)
    return any(_in_range(v, rng["events"]) for rng in entry.get("ranges", []) if rng["type"] == "ECOSYSTEM")


def ids_of(record: dict[str, Any]) -> set[str]:
    return {record["id"], *record.get("aliases", [])}


def finding_ids(findings: tuple[Finding, ...]) -> list[set[str]]:
    return [{f.id, *f.aliases, *f.advisory_ids} for f in findings]


def test_deb_matches_debian_12_records_by_source_only(fixture_db: AdvisoryDB) -> None:
    installed = "2.36-9"
    libc6 = package(
        "libc6", installed, PackageType.DEB, f"pkg:deb/debian/libc6@{installed}?distro=debian-12",
        source=("glibc", installed),
    )
    glibc12 = [r for r in records("Debian") if r["affected"][0]["package"] == {
        "ecosystem": "Debian:12", "name": "glibc", "purl": "pkg:deb/debian/glibc?arch=source"}]
    assert glibc12, "fixture must hold Debian:12 glibc records"
    expected = {
        r["aliases"][0]
        for r in glibc12
        if dpkg_lt(installed, r["affected"][0]["ranges"][0]["events"][-1]["fixed"])
    }
    traps = [r for r in records("AlmaLinux") + records("Debian") if "glibc" in json.dumps(r["affected"])]
    assert any(r["id"].startswith("ALSA") for r in traps)
    assert any(r["id"].startswith("x_HULLDEB13") for r in traps)
    result = match_packages([libc6], DEBIAN_12, fixture_db)
    assert {f.id for f in result.findings} == expected
    assert {e.ecosystem for f in result.findings for e in f.evidence} == {"Debian:12"}
    assert all(f.fix and dpkg_lt(installed, f.fix) for f in result.findings)


def test_withdrawn_records_are_never_matched(fixture_db: AdvisoryDB) -> None:
    jwt = package("jsonwebtoken", "8.5.1", PackageType.NPM, "pkg:npm/jsonwebtoken@8.5.1")
    jwt_records = [r for r in records("npm") if r["affected"][0]["package"]["name"] == "jsonwebtoken"]
    withdrawn = [r for r in jwt_records if r.get("withdrawn")]
    assert withdrawn
    assert all(pypi_affected("8.5.1", r["affected"][0]) for r in withdrawn)
    expected = {r["aliases"][0] for r in jwt_records if not r.get("withdrawn") and pypi_affected("8.5.1", r["affected"][0])}
    result = match_packages([jwt], None, fixture_db)
    assert {f.id for f in result.findings} == expected
    assert not {r["id"] for r in withdrawn} & {i for ids in finding_ids(result.findings) for i in ids}


def test_pypi_findings_follow_the_records(fixture_db: AdvisoryDB) -> None:
    urllib3 = package("urllib3", "1.26.4", PackageType.PYTHON, "pkg:pypi/urllib3@1.26.4")
    mine = [r for r in records("PyPI") if any(pep503(a["package"]["name"]) == "urllib3" for a in r["affected"])]
    expected = [r for r in mine if any(pypi_affected("1.26.4", a) for a in r["affected"])]
    result = match_packages([urllib3], None, fixture_db)
    assert len(result.findings) == len(expected)
    for record in expected:
        (finding,) = [f for f in result.findings if record["id"] in f.advisory_ids]
        cves = [a for a in record.get("aliases", []) if a.startswith("CVE-")]
        assert finding.id == (cves[0] if cves else record["id"])
        assert set(record.get("aliases", [])) <= {finding.id, *finding.aliases}
        fixed = [
            e["fixed"] for a in record["affected"] for rng in a["ranges"] if rng["type"] == "ECOSYSTEM"
            for e in rng["events"] if "fixed" in e
        ]
        assert finding.fix == min((f for f in fixed if Version(f) > Version("1.26.4")), key=Version)


def test_unparseable_version_gives_under_investigation_findings(fixture_db: AdvisoryDB) -> None:
    broken = package("urllib3", "1.26.4 patched", PackageType.PYTHON, "pkg:pypi/urllib3@1.26.4%20patched")
    mine = {r["id"] for r in records("PyPI") if any(pep503(a["package"]["name"]) == "urllib3" for a in r["affected"])}
    result = match_packages([broken], None, fixture_db)
    assert {i for f in result.findings for i in f.advisory_ids} == mine
    assert {f.status for f in result.findings} == {FindingStatus.UNDER_INVESTIGATION}
    assert all(Caveat.VERSION_UNPARSEABLE in f.caveats and f.fix is None for f in result.findings)


def test_cvss_severity_comes_from_the_record_vector(fixture_db: AdvisoryDB) -> None:
    lodash = package("lodash", "4.17.15", PackageType.NPM, "pkg:npm/lodash@4.17.15")
    result = match_packages([lodash], None, fixture_db)
    assert result.findings
    by_id = {r["id"]: r for r in records("npm")}
    for finding in result.findings:
        vectors = [s["score"] for i in finding.advisory_ids for s in by_id[i].get("severity", []) if s["type"] == "CVSS_V3"]
        assert vectors, finding.id
        score = max(float(CVSS3(v).base_score) for v in vectors)
        assert finding.score == score
        band = "critical" if score >= 9 else "high" if score >= 7 else "medium" if score >= 4 else "low"
        assert finding.severity.value == band


def test_debian_urgency_is_the_fallback_severity(fixture_db: AdvisoryDB) -> None:
    libc6 = package("libc6", "2.36-9", PackageType.DEB, "pkg:deb/debian/libc6@2.36-9", source=("glibc", "2.36-9"))
    by_id = {r["id"]: r for r in records("Debian")}
    result = match_packages([libc6], DEBIAN_12, fixture_db)
    assert result.findings
    for finding in result.findings:
        (record_id,) = finding.advisory_ids
        urgency = by_id[record_id]["database_specific"]["urgency"].split()[0]
        assert finding.severity.value == {"low": "low", "medium": "medium", "high": "high"}.get(urgency, finding.severity)
        assert finding.score is None


def test_aliases_merge_and_multi_cve_advisories_stay_apart(tmp_path: Path) -> None:
    extra = tmp_path / "extra"
    extra.mkdir()
    pysec = json.loads((OSV_DIR / "PyPI" / "PYSEC-2023-192.json").read_text())
    cve = next(a for a in pysec["aliases"] if a.startswith("CVE-"))
    twin = {**pysec, "id": "GHSA-test-twin-0001", "aliases": [cve]}
    (extra / "twin.json").write_text(json.dumps(twin))
    glibc = [r for r in records("Debian") if r["id"].startswith("x_HULLDEB12-") and r["id"].endswith("-glibc")][:2]
    bundle = {
        "id": "DSA-9999-1", "modified": "2024-01-01T00:00:00Z", "aliases": [g["aliases"][0] for g in glibc],
        "affected": [{"package": {"ecosystem": "Debian:12", "name": "glibc"},
                      "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "2.36-9+deb12u99"}]}]}],
    }
    (extra / "bundle.json").write_text(json.dumps(bundle))
    db_path = build_db(tmp_path, extra)
    urllib3 = package("urllib3", "1.26.4", PackageType.PYTHON, "pkg:pypi/urllib3@1.26.4")
    libc6 = package("libc6", "2.36-9", PackageType.DEB, "pkg:deb/debian/libc6@2.36-9", source=("glibc", "2.36-9"))
    with AdvisoryDB.open(db_path) as database:
        result = match_packages([urllib3, libc6], DEBIAN_12, database)
    (merged,) = [f for f in result.findings if f.id == cve]
    assert set(merged.advisory_ids) == {"PYSEC-2023-192", "GHSA-test-twin-0001"}
    for record in glibc:
        (finding,) = [f for f in result.findings if f.id == record["aliases"][0]]
        assert set(finding.advisory_ids) == {record["id"], "DSA-9999-1"}
        assert finding.fix == "2.36-9+deb12u99" or dpkg_lt("2.36-9+deb12u99", finding.fix or "")


def test_language_package_owned_by_an_os_package_is_left_to_the_os_matcher(fixture_db: AdvisoryDB) -> None:
    metadata_path = "/usr/lib/python3/dist-packages/urllib3-1.26.4.dist-info/METADATA"
    wheel = package("urllib3", "1.26.4", PackageType.PYTHON, "pkg:pypi/urllib3@1.26.4", path=metadata_path)
    deb = package(
        "python3-urllib3", "1.26.12-1", PackageType.DEB, "pkg:deb/debian/python3-urllib3@1.26.12-1",
        source=("python-urllib3", "1.26.12-1"), metadata={"files": [{"path": metadata_path}]},
    )
    result = match_packages([wheel, deb], DEBIAN_12, fixture_db)
    assert result.os_owned_skipped == 1
    assert not [f for f in result.findings if f.package.type is PackageType.PYTHON]


@pytest.mark.parametrize("version", ["go1.15.4", "go1.15.5", "go1.14.11", "go1.16"])
def test_go_stdlib_matches_toolchain_versions(fixture_db: AdvisoryDB, version: str) -> None:
    stdlib = package("stdlib", version, PackageType.GO, f"pkg:golang/stdlib@{version[2:]}")
    record = json.loads((OSV_DIR / "Go" / "GO-2021-0069.json").read_text())
    events = record["affected"][0]["ranges"][0]["events"]
    bounds = [(Version(events[i]["introduced"]), Version(events[i + 1]["fixed"])) for i in range(0, len(events), 2)]
    expected = any(low <= Version(version[2:]) < high for low, high in bounds)
    result = match_packages([stdlib], None, fixture_db)
    assert ("GO-2021-0069" in {i for f in result.findings for i in f.advisory_ids}) is expected


def test_filters_and_threshold(fixture_db: AdvisoryDB) -> None:
    minimist = package("minimist", "1.2.0", PackageType.NPM, "pkg:npm/minimist@1.2.0")
    broken = package("lodash", "four", PackageType.NPM, "pkg:npm/lodash@four")
    findings = match_packages([minimist, broken], None, fixture_db).findings
    fixed = filter_findings(findings, only_fixed=True)
    assert fixed
    assert all(f.fix for f in fixed)
    kept = filter_findings(findings, ignore_unfixed=True)
    assert {f.status for f in kept} >= {FindingStatus.UNDER_INVESTIGATION}
    worst = max((f.severity for f in findings), key=lambda s: s.rank)
    assert threshold_reached(findings, worst)
    low_only = tuple(f for f in findings if f.severity.rank <= Severity.MEDIUM.rank)
    assert threshold_reached(low_only, Severity.LOW)
    assert not threshold_reached(low_only, Severity.HIGH)
