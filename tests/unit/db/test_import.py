"""Imports of real OSV subsets and Debian tracker lists, on SQLite and PostgreSQL; counts checked against the files."""

from __future__ import annotations

import json
import re
import zipfile
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest
from packaging.utils import canonicalize_name

from hullscan.errors import DatabaseError
from hullscan.match.db import (
    AdvisoryDB,
    DatabaseNotFoundError,
    ImportSourceError,
    import_paths,
    status,
)

ZIPS = ["pypi-subset.zip", "go-subset.zip", "npm-ghsa-node-app.zip", "debian-derived-subset.zip"]


def zip_records(path: Path) -> dict[str, dict[str, Any]]:
    """Records of a zip, read independently of the importer."""
    with zipfile.ZipFile(path) as archive:
        return {
            record["id"]: record
            for record in (json.loads(archive.read(name)) for name in archive.namelist())
        }


def families(records: dict[str, dict[str, Any]]) -> dict[str, set[str]]:
    found: dict[str, set[str]] = defaultdict(set)
    for advisory_id, record in records.items():
        for entry in record.get("affected", []):
            ecosystem = entry.get("package", {}).get("ecosystem", "GIT")
            if ecosystem.startswith("purl-type:"):  # not an OSV ecosystem (GHSA-qppj-fm5r-hxr3)
                continue
            found[ecosystem.split(":", 1)[0]].add(advisory_id)
    return found


@pytest.mark.parametrize("zip_name", ZIPS)
def test_zip_import_counts_match_zip_contents(db_url: str, fixtures: Path, zip_name: str) -> None:
    records = zip_records(fixtures / zip_name)
    report = import_paths(db_url, [fixtures / zip_name])
    assert report.advisories == len(records)
    assert report.skipped == 0
    current = status(db_url)
    assert current.advisories == len(records)
    assert {key: len(value) for key, value in families(records).items()} == dict(current.per_ecosystem)
    assert not current.stale


def test_imports_add_up_and_reimport_is_idempotent(db_url: str, fixtures: Path) -> None:
    pypi, go = zip_records(fixtures / "pypi-subset.zip"), zip_records(fixtures / "go-subset.zip")
    import_paths(db_url, [fixtures / "pypi-subset.zip"])
    import_paths(db_url, [fixtures / "go-subset.zip"])
    assert status(db_url).advisories == len(set(pypi) | set(go))
    import_paths(db_url, [fixtures / "go-subset.zip"])
    after = status(db_url)
    assert after.advisories == len(set(pypi) | set(go))
    assert len(after.sources) == 2


def test_affected_entries_keep_ranges_versions_and_go_symbols(db_url: str, fixtures: Path) -> None:
    records = zip_records(fixtures / "go-subset.zip") | zip_records(fixtures / "pypi-subset.zip")
    import_paths(db_url, [fixtures / "go-subset.zip", fixtures / "pypi-subset.zip"])
    with AdvisoryDB.open(db_url) as database:
        for advisory_id, record in records.items():
            stored = database.get(advisory_id)
            assert stored is not None
            expected = [entry for entry in record["affected"] if "purl-type" not in entry["package"]["ecosystem"]]
            assert len(stored.affected) == len(expected)
            for got, want in zip(stored.affected, expected, strict=True):
                assert got.name == want["package"]["name"]
                wanted_events = [
                    [(kind, version) for event in item["events"] for kind, version in event.items()]
                    for item in want.get("ranges", [])
                ]
                assert [[(e.kind, e.version) for e in item.events] for item in got.ranges] == wanted_events
                assert list(got.versions) == want.get("versions", [])
                assert dict(got.ecosystem_specific) == want.get("ecosystem_specific", {})


def test_aliases_are_merged_both_ways(db_url: str, fixtures: Path) -> None:
    records = zip_records(fixtures / "pypi-subset.zip")
    import_paths(db_url, [fixtures / "pypi-subset.zip"])
    with AdvisoryDB.open(db_url) as database:
        checked = 0
        for advisory_id, record in records.items():
            for alias in record.get("aliases") or []:
                assert alias in database.aliases(advisory_id)
                assert advisory_id in database.aliases(alias)
                checked += 1
        assert checked > 20


def test_withdrawn_records_are_kept_and_flagged(db_url: str, fixtures: Path) -> None:
    records = zip_records(fixtures / "pypi-subset.zip")
    withdrawn = {key for key, record in records.items() if record.get("withdrawn")}
    assert withdrawn
    import_paths(db_url, [fixtures / "pypi-subset.zip"])
    with AdvisoryDB.open(db_url) as database:
        for advisory_id in withdrawn:
            stored = database.get(advisory_id)
            assert stored is not None
            assert stored.withdrawn is not None
            name = records[advisory_id]["affected"][0]["package"]["name"]
            hits = database.advisories_for("PyPI", [name])[name]
            assert any(hit.advisory_id == advisory_id and hit.withdrawn is not None for hit in hits)


def test_pypi_names_are_matched_pep503(db_url: str, fixtures: Path) -> None:
    records = zip_records(fixtures / "pypi-subset.zip")
    import_paths(db_url, [fixtures / "pypi-subset.zip"])
    expected: dict[str, set[str]] = defaultdict(set)
    for advisory_id, record in records.items():
        for entry in record["affected"]:
            if entry["package"]["ecosystem"] == "PyPI":
                expected[canonicalize_name(entry["package"]["name"])].add(advisory_id)
    spellings = {name: name.upper().replace("-", "_") for name in expected}
    with AdvisoryDB.open(db_url) as database:
        found = database.advisories_for("PyPI", [*spellings.values(), "no-such-package-here"])
    assert found["no-such-package-here"] == []
    for name, spelled in spellings.items():
        assert {hit.advisory_id for hit in found[spelled]} == expected[name]


def test_debian_release_scoping(db_url: str, fixtures: Path) -> None:
    records = zip_records(fixtures / "debian-derived-subset.zip")
    import_paths(db_url, [fixtures / "debian-derived-subset.zip"])
    per_release: dict[tuple[str, str], set[str]] = defaultdict(set)
    for advisory_id, record in records.items():
        package = record["affected"][0]["package"]
        per_release[(package["ecosystem"], package["name"])].add(advisory_id)
    with AdvisoryDB.open(db_url) as database:
        for (ecosystem, name), ids in per_release.items():
            hits = database.advisories_for(ecosystem, [name])[name]
            assert {hit.advisory_id for hit in hits} == ids
            assert all(hit.release == ecosystem.split(":")[1] for hit in hits)
        everything = database.advisories_for("Debian", ["openssl"])["openssl"]
    assert {hit.advisory_id for hit in everything} == (
        per_release[("Debian:12", "openssl")] | per_release[("Debian:13", "openssl")]
    )


def test_malformed_records_are_counted_not_fatal(db_url: str, fixtures: Path) -> None:
    import_paths(db_url, [fixtures / "npm-all.zip"])
    report = import_paths(db_url, [fixtures / "malformed"])
    skipped_files = {"missing-id.json", "missing-modified.json", "bad-range-event.json",
                     "bad-range-type.json", "not-json.json"}
    assert report.skipped == len(skipped_files)
    skipped_sources = {Path(w.source).name for w in report.warnings if w.reason.startswith("skipped")}
    assert skipped_sources == skipped_files
    kept_with_warning = {Path(w.source).name for w in report.warnings if not w.reason.startswith("skipped")}
    assert kept_with_warning == {"unknown-ecosystem.json", "bad-cvss.json"}
    assert report.advisories == 2
    with AdvisoryDB.open(db_url) as database:
        no_eco = database.get("PYSEC-2009-3-noeco")
        bad_cvss = database.get("PYSEC-2009-3-badcvss")
    assert no_eco is not None
    assert no_eco.affected == ()
    assert bad_cvss is not None
    assert bad_cvss.max_score is None
    assert status(db_url).advisories == len(zip_records(fixtures / "npm-all.zip")) + 2


def test_yaml_record_equals_json_record(db_url: str, fixtures: Path) -> None:
    record = zip_records(fixtures / "pypi-subset.zip")["PYSEC-2009-3"]
    import_paths(db_url, [fixtures / "yaml"])
    with AdvisoryDB.open(db_url) as database:
        stored = database.get("PYSEC-2009-3")
    assert stored is not None
    assert stored.details == record["details"]
    assert [hit.name for hit in stored.affected] == [entry["package"]["name"] for entry in record["affected"]]


def test_cve_list_triage(db_url: str, fixtures: Path) -> None:
    report = import_paths(db_url, [fixtures / "CVE-list.excerpt.txt"])
    placeholders = re.findall(r"^CVE-\d{4}-XXXX", (fixtures / "CVE-list.excerpt.txt").read_text(), re.MULTILINE)
    assert sum("placeholder" in w.reason for w in report.warnings) == len(placeholders)
    with AdvisoryDB.open(db_url) as database:
        bullseye = database.triage("CVE-2021-36367", "bullseye", "putty")
        buster = database.triage("CVE-2021-36367", "10", "putty")
        sid = database.triage("CVE-2021-36367", "sid", "putty")
        ant = database.triage("CVE-2021-36373", "sid", "ant")
        xen = database.triage("CVE-2021-36383", "", "")
        missing = database.triage("CVE-2021-36367", "bookworm", "putty")
    assert bullseye is not None
    assert (bullseye.status, bullseye.reason, bullseye.urgency) == ("no-dsa", "Minor issue", "low")
    assert buster is not None
    assert buster.status == "no-dsa"
    assert sid is not None
    assert (sid.status, sid.fixed_version, sid.urgency, sid.bug) == ("fixed", "0.75-3", "low", "990901")
    assert ant is not None
    assert (ant.status, ant.urgency) == ("unfixed", "unimportant")
    assert ant.note is not None
    assert "no security impact" in ant.note
    assert xen is not None
    assert (xen.status, xen.reason) == ("not-for-us", "Xen Orchestra")
    assert missing is None


def test_dsa_and_dla_lists_become_advisories_with_cve_aliases(db_url: str, fixtures: Path) -> None:
    import_paths(db_url, [fixtures / "dsa" / "list", fixtures / "dla" / "list"])
    header = re.compile(r"^\[[^\]]+\] ((?:DSA|DLA)-[\d-]+)")
    with AdvisoryDB.open(db_url) as database:
        for list_path in (fixtures / "dsa" / "list", fixtures / "dla" / "list"):
            current: str | None = None
            cves: dict[str, set[str]] = defaultdict(set)
            fixes: dict[str, set[tuple[str, str, str]]] = defaultdict(set)
            for line in list_path.read_text().splitlines():
                if match := header.match(line):
                    current = match.group(1)
                    cves[current] = set()
                elif current and line.strip().startswith("{"):
                    cves[current] |= set(line.strip()[1:-1].split())
                elif current and (fix := re.match(r"^\s+\[(\w+)\] - (\S+) ([^<\s]\S*)$", line)):
                    fixes[current].add(fix.groups())
            assert status(db_url).advisories >= len(cves)
            for advisory_id, expected in cves.items():
                stored = database.get(advisory_id)
                assert stored is not None, advisory_id
                assert set(stored.aliases) == expected
                got = {(hit.release, hit.name, hit.ranges[0].events[-1].version) for hit in stored.affected}
                assert {(release, name, version) for release, name, version in got} == {
                    (database_release(release), name, version) for release, name, version in fixes[advisory_id]
                }


def database_release(codename: str) -> str:
    """Release numbers by codename, from the tracker's distributions.json and Debian's numbering."""
    known = json.loads((Path(__file__).resolve().parents[2] / "fixtures/osv-db/distributions.json").read_text())
    numbers = {name: value["major-version"] for name, value in known.items()}
    numbers |= {"bullseye": "11", "bookworm": "12", "jessie": "8", "wheezy": "7", "squeeze": "6"}
    return numbers[codename]


def test_open_missing_database_gives_hint(tmp_path: Path) -> None:
    with pytest.raises(DatabaseNotFoundError) as caught:
        AdvisoryDB.open(tmp_path / "nothing.sqlite")
    assert "hullscan db" in caught.value.diagnostics()


def test_failed_import_leaves_previous_database(db_url: str, fixtures: Path) -> None:
    import_paths(db_url, [fixtures / "pypi-subset.zip"])
    before = status(db_url)
    with pytest.raises(ImportSourceError):
        import_paths(db_url, [fixtures / "go-subset.zip", fixtures / "does-not-exist.zip"])
    after = status(db_url)
    assert after.advisories == before.advisories
    assert dict(after.per_ecosystem) == dict(before.per_ecosystem)


def test_garbage_zip_is_a_clear_error(db_url: str, tmp_path: Path) -> None:
    bogus = tmp_path / "all.zip"
    bogus.write_bytes(b"this is not a zip")
    with pytest.raises(DatabaseError, match="not a readable zip"):
        import_paths(db_url, [bogus])


def test_status_stale_threshold(db_url: str, fixtures: Path) -> None:
    import_paths(db_url, [fixtures / "npm-all.zip"])
    assert not status(db_url).stale
    stale = status(db_url, stale_after_days=0.0)
    assert stale.stale
    assert stale.warnings
