"""Ecosystem names, name normalization, CVSS scores, tracker line parsing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from packaging.utils import canonicalize_name

from hullscan.match.db import debian_codename, normalize_package_name, parse_ecosystem
from hullscan.match.db.importers.debian_tracker import parse_cve_list, sniff_format
from hullscan.match.db.severity import score_severity


@pytest.mark.parametrize("name", ["Django", "zope.interface", "Foo__Bar", "ruamel.yaml.clib", "PyYAML", "a-_.b"])
def test_pypi_normalization_matches_packaging(name: str) -> None:
    assert normalize_package_name("PyPI", name) == canonicalize_name(name)


def test_other_ecosystems_keep_names() -> None:
    assert normalize_package_name("npm", "@Babel/Traverse") == "@Babel/Traverse"
    assert normalize_package_name("Go", "github.com/Foo/bar") == "github.com/Foo/bar"
    assert normalize_package_name("NuGet", "Newtonsoft.Json") == "newtonsoft.json"


def test_parse_ecosystem() -> None:
    parsed = parse_ecosystem("Debian:12")
    assert parsed is not None
    assert (parsed.family, parsed.release, parsed.text) == ("Debian", "12", "Debian:12")
    ubuntu = parse_ecosystem("Ubuntu:Pro:18.04:LTS")
    assert ubuntu is not None
    assert (ubuntu.family, ubuntu.release) == ("Ubuntu", "Pro:18.04:LTS")
    pypi = parse_ecosystem("pypi")
    assert pypi is not None
    assert pypi.family == "PyPI"
    assert parse_ecosystem("purl-type:swift") is None


def test_debian_codenames_agree_with_tracker_data(fixtures: Path) -> None:
    known = json.loads((fixtures / "distributions.json").read_text())
    for codename, info in known.items():
        assert debian_codename(info["major-version"]) == codename
        assert debian_codename(codename) == codename
    assert debian_codename("unstable") == "sid"
    assert debian_codename("12.4") == "bookworm"


# Scores from the FIRST specifications' own examples / calculators.
@pytest.mark.parametrize(
    ("kind", "vector", "score"),
    [
        ("CVSS_V3", "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", 9.8),
        ("CVSS_V3", "CVSS:3.0/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N", 6.1),
        ("CVSS_V2", "AV:N/AC:L/Au:N/C:C/I:C/A:C", 10.0),
        ("CVSS_V4", "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:H/SI:H/SA:H", 10.0),
    ],
)
def test_cvss_scores(kind: str, vector: str, score: float) -> None:
    assert score_severity(kind, vector).score == score


def test_bad_vector_is_reported_not_raised() -> None:
    scored = score_severity("CVSS_V3", "CVSS:3.1/AV:Q")
    assert scored.score is None
    assert scored.error is not None
    assert score_severity("Ubuntu", "medium").error is None


def test_tracker_line_variants() -> None:
    text = """CVE-2024-0001 (example)
\t- foo 1.2-3 (medium)
\t[bookworm] - foo <not-affected> (Vulnerable code not present)
\t[bullseye] - foo <postponed> (Revisit when fixed upstream)
\t[buster] - foo <end-of-life> (Not supported in buster LTS)
\t[trixie] - foo <ignored> (Minor issue; bug #123)
\t{DSA-9999-1}
CVE-2024-0002
\tRESERVED
"""
    assert sniff_format(text.splitlines()) == "cve-list"
    parsed = parse_cve_list(text.splitlines())
    rows = {(row["release"], row["package"]): row for row in parsed.triage}
    assert rows[("bookworm", "foo")]["status"] == "not-affected"
    assert rows[("bookworm", "foo")]["reason"] == "Vulnerable code not present"
    assert rows[("bookworm", "foo")]["urgency"] == "medium"
    assert rows[("bullseye", "foo")]["status"] == "postponed"
    assert rows[("buster", "foo")]["status"] == "end-of-life"
    assert (rows[("trixie", "foo")]["reason"], rows[("trixie", "foo")]["bug"]) == ("Minor issue", "123")
    assert rows[("", "")]["status"] == "reserved"
    assert parsed.aliases == [{"advisory_id": "CVE-2024-0001", "alias": "DSA-9999-1"}]
