"""OSV range evaluation on real records: versions at, just below and just above every event.

Expectations come from the record itself through a deliberately different model than the code
under test: the events are paired in record order into intervals ``[introduced, fixed)`` /
``[introduced, last_affected]`` / ``[introduced, inf)`` and a version is affected when it lies in
any interval of any entry for the package, or is listed in ``versions``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
from packaging.version import Version as PackagingVersion
from versioning_support import FIXTURES

from hullscan.match.versioning import (
    InvalidRangeError,
    evaluate,
    fixed_versions,
    is_affected,
    record_affects,
    scheme_for_ecosystem,
)
from hullscan.match.versioning.interface import VersionScheme

RECORDS = sorted((FIXTURES / "osv-records").glob("*/*.json"))


def load(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8"))


# --- neighbours: versions just below / just above a bound, per ecosystem ------------------------


def below(ecosystem: str, version: str) -> str | None:
    if ecosystem.startswith("Debian"):
        return version + "~"  # dpkg: "~" sorts before the end of the string
    if ecosystem == "PyPI":
        parsed = PackagingVersion(version)
        return None if parsed.dev is not None else f"{version}.dev0"
    core, dash, pre = version.partition("-")  # SemVer (npm, Go)
    if not dash:
        return f"{version}-0"
    identifiers = pre.split(".")
    if len(identifiers) > 1:
        return f"{core}-{'.'.join(identifiers[:-1])}"
    return None if pre.isdigit() else f"{core}-0"


def above(ecosystem: str, version: str) -> str | None:
    if ecosystem.startswith("Debian"):
        return version + "+0"
    if ecosystem == "PyPI":
        parsed = PackagingVersion(version)
        return f"{version}.post0" if parsed.post is None and parsed.dev is None and not parsed.local else None
    core, dash, _ = version.partition("-")
    if dash:
        return f"{version}.0"  # a longer pre-release sorts after its prefix
    numbers = core.split(".")
    return ".".join([*numbers[:-1], str(int(numbers[-1]) + 1)])


# --- the independent model -------------------------------------------------------------------


def intervals(entry: Mapping[str, Any]) -> Iterator[tuple[str, str | None, bool]]:
    """(introduced, upper, upper_inclusive) in record order; upper None means open-ended."""
    for range_ in entry.get("ranges", []):
        if range_["type"] == "GIT":
            continue
        start: str | None = None
        for event in range_["events"]:
            if "introduced" in event:
                if start is not None:
                    yield start, None, False
                start = event["introduced"]
            elif start is not None and ("fixed" in event or "last_affected" in event):
                upper = event.get("fixed", event.get("last_affected"))
                yield start, upper, "last_affected" in event
                start = None
        if start is not None:
            yield start, None, False


def model_affected(version: str, entries: list[Mapping[str, Any]], scheme: VersionScheme) -> bool:
    for entry in entries:
        if version in entry.get("versions", []):
            return True
        for start, upper, inclusive in intervals(entry):
            if start != "0" and scheme.compare(version, start) < 0:
                continue
            if upper is None:
                return True
            relation = scheme.compare(version, upper)
            if relation < 0 or (inclusive and relation == 0):
                return True
    return False


EXTREMES = {
    "Debian": ["0.0.1-1", "99:1.0-1"],
    "PyPI": ["0.0.1", "999.0"],
    "npm": ["0.0.1", "999.0.0"],
    "Go": ["0.0.1", "999.0.0"],
}


def probes(ecosystem: str, entries: list[Mapping[str, Any]]) -> set[str]:
    points: set[str] = set(EXTREMES[ecosystem.split(":", maxsplit=1)[0]])
    for entry in entries:
        points.update(entry.get("versions", []))
        for range_ in entry.get("ranges", []):
            if range_["type"] == "GIT":
                continue
            for event in range_["events"]:
                value = next(iter(event.values()))
                if value == "0":
                    continue
                points.update(p for p in (value, below(ecosystem, value), above(ecosystem, value)) if p)
    return points


def package_groups() -> list[tuple[str, str, str]]:
    groups = set()
    for path in RECORDS:
        for entry in load(path)["affected"]:
            package = entry["package"]
            if package["ecosystem"] in {"npm", "PyPI", "Go"} or package["ecosystem"].startswith("Debian"):
                groups.add((path.name, package["ecosystem"], package["name"]))
    return sorted(groups)


@pytest.mark.parametrize(("record", "ecosystem", "name"), package_groups())
def test_versions_around_every_event(record: str, ecosystem: str, name: str) -> None:
    data = load(next(p for p in RECORDS if p.name == record))
    entries = [
        e for e in data["affected"] if e["package"] == {**e["package"], "ecosystem": ecosystem, "name": name}
    ]
    scheme = scheme_for_ecosystem(ecosystem, strict=True)
    checked = 0
    for version in sorted(probes(ecosystem, entries)):
        want = model_affected(version, entries, scheme)
        got = any(is_affected(version, entry, scheme) for entry in entries)
        assert got == want, f"{record} {name} {version}: expected affected={want}"
        if not data.get("withdrawn"):
            assert record_affects(version, data, ecosystem=ecosystem, name=name) == want
        checked += 1
    assert checked >= 2


def test_neighbours_really_are_neighbours() -> None:
    for ecosystem, version in [
        ("Debian:12", "1:2.3-1~deb12u1"),
        ("PyPI", "2.5"),
        ("npm", "5.0.0-alpha.1"),
        ("Go", "1.14.12"),
    ]:
        scheme = scheme_for_ecosystem(ecosystem)
        low, high = below(ecosystem, version), above(ecosystem, version)
        assert low
        assert high
        assert scheme.compare(low, version) < 0 < scheme.compare(high, version)


# --- specific quirks of the real records -------------------------------------------------------


def record(name: str) -> dict[str, Any]:
    return load(next(p for p in RECORDS if p.stem == name))


def test_last_affected_is_inclusive() -> None:
    (entry,) = record("GHSA-2p57-rm9w-gvfp")["affected"]
    bound = next(e["last_affected"] for r in entry["ranges"] for e in r["events"] if "last_affected" in e)
    npm = scheme_for_ecosystem("npm")
    assert is_affected(bound, entry, npm)
    assert not is_affected(above("npm", bound) or "", entry, npm)


def test_withdrawn_record_affects_nothing() -> None:
    data = record("GHSA-27h2-hvpr-p74q")
    assert data["withdrawn"]
    (entry,) = data["affected"]
    assert is_affected("0.0.1", entry, scheme_for_ecosystem("npm"))  # the entry alone still matches
    assert not record_affects("0.0.1", data, ecosystem="npm", name="jsonwebtoken")


def test_open_ended_range_has_no_fix() -> None:
    data = record("GHSA-67hx-6x53-jw92")
    entry = next(e for e in data["affected"] if e["package"]["name"] == "babel-traverse")
    assert fixed_versions(entry) == []
    assert is_affected("999.0.0", entry, scheme_for_ecosystem("npm"))


def test_git_ranges_are_skipped_with_a_note() -> None:
    (entry,) = record("PYSEC-2014-10")["affected"]
    verdict = evaluate("2.3.2", entry, scheme_for_ecosystem("PyPI"))
    assert not verdict.affected
    assert any("GIT" in note for note in verdict.notes)
    git_fixes = {
        e["fixed"] for r in entry["ranges"] if r["type"] == "GIT" for e in r["events"] if "fixed" in e
    }
    assert git_fixes.isdisjoint(fixed_versions(entry))


def test_fixed_versions_sorted_by_scheme() -> None:
    (entry,) = record("GO-2021-0069")["affected"]
    go = scheme_for_ecosystem("Go")
    fixes = fixed_versions(entry, go)
    assert sorted(fixes, key=go.parse) == fixes
    assert set(fixes) == {e["fixed"] for r in entry["ranges"] for e in r["events"] if "fixed" in e}


def test_limit_events_bound_the_range() -> None:
    entry = {"ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"limit": "2.0.0"}]}]}
    npm = scheme_for_ecosystem("npm")
    assert is_affected("1.9.9", entry, npm)
    assert not is_affected("2.0.0", entry, npm)
    entry["ranges"][0]["events"].append({"limit": "*"})
    assert is_affected("9.0.0", entry, npm)


def test_unsorted_events_and_semver_type() -> None:
    entry = {"ranges": [{"type": "SEMVER", "events": [{"fixed": "1.5.0"}, {"introduced": "1.0.0"}]}]}
    scheme = scheme_for_ecosystem("Go")
    assert is_affected("v1.2.0", entry, scheme)
    assert not is_affected("v0.9.0", entry, scheme)
    assert not is_affected("1.5.0", entry, scheme)


def test_malformed_event_gives_range_error() -> None:
    npm = scheme_for_ecosystem("npm")
    bad_value = {
        "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "not a version"}]}]
    }
    with pytest.raises(InvalidRangeError) as caught:
        is_affected("1.0.0", bad_value, npm)
    assert "fixed" in caught.value.diagnostics()
    two_keys = {"ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0", "fixed": "1.0.0"}]}]}
    with pytest.raises(InvalidRangeError):
        is_affected("1.0.0", two_keys, npm)
