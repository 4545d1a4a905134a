"""The compiled range fast path gives the pre-change evaluation's verdicts, notes and errors.

Ground truth is `_ranges_reference.py`: a frozen copy of the evaluation before the speed work.
Every affected entry of the real records in `tests/fixtures/osv-db/*.zip` (and the edited
malformed copies), `tests/fixtures/osv-records` and `tests/fixtures/match/osv` is evaluated for
versions at, around and between every event (and a sample of its `versions` list) by the
reference, by `evaluate`, by one `CompiledEntry` reused for every version, and -- through a
database built from the zips -- by `compiled_entry` on the `AffectedRecord`s the matcher gets.
"""

from __future__ import annotations

import json
import re
import zipfile
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import _ranges_reference as reference
import pytest

from hullscan.errors import HullscanError
from hullscan.match.db import AdvisoryDB, import_paths
from hullscan.match.db.records import AffectedRecord
from hullscan.match.versioning import VersionScheme, evaluate, scheme_for_ecosystem
from hullscan.match.versioning.ranges import compile_entry, compiled_entry, osv_mapping

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
ZIPS = sorted((FIXTURES / "osv-db").glob("*.zip"))
LOOSE = sorted(
    [
        *(FIXTURES / "osv-records").glob("*/*.json"),
        *(FIXTURES / "osv-db" / "malformed").glob("*.json"),
        *(FIXTURES / "match" / "osv").glob("*/*.json"),
    ]
)
_LAST_NUMBER = re.compile(r"(\d+)(?!.*\d)")


def real_records() -> Iterator[tuple[str, dict[str, Any]]]:
    for archive in ZIPS:
        with zipfile.ZipFile(archive) as opened:
            for member in sorted(opened.namelist()):
                yield f"{archive.name}:{member}", json.loads(opened.read(member))
    for path in LOOSE:
        try:
            yield path.name, json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError:
            continue  # the deliberately truncated file


def entries() -> list[tuple[str, str, Mapping[str, Any]]]:
    found = []
    for label, record in real_records():
        for index, entry in enumerate(record.get("affected") or ()):
            package = entry.get("package") or {}
            found.append((f"{label}#{index}", str(package.get("ecosystem") or "GIT"), entry))
    return found


def neighbours(value: str) -> set[str]:
    """The value, versions just around it in the common schemes, and the next/previous number."""
    near = {value, value + "~", value + "-0", value + ".0", value + "+0", value + ".post0", value + "a0"}
    near.add(value + ".dev0")
    match = _LAST_NUMBER.search(value)
    if match:
        number = int(match.group(1))
        start, end = match.span(1)
        near.add(f"{value[:start]}{number + 1}{value[end:]}")
        if number:
            near.add(f"{value[:start]}{number - 1}{value[end:]}")
    return near


def probes(entry: Mapping[str, Any]) -> list[str]:
    points = {"0", "0.0.0", "0.0.1", "1.0", "999.0.0", "99:1.0-1", "v1.2.3", "", "1.0 beta"}
    ranges = entry.get("ranges")
    for range_ in ranges if isinstance(ranges, list) else ():
        for event in range_.get("events") or () if isinstance(range_, Mapping) else ():
            for value in event.values() if isinstance(event, Mapping) else ():
                if isinstance(value, str) and value.strip():
                    points |= neighbours(value)
    listed = [item for item in entry.get("versions") or () if isinstance(item, str)]
    for item in listed[:: max(1, len(listed) // 12)]:
        points |= neighbours(item)
    return sorted(points)


def outcome(call: Any, *args: Any) -> tuple[Any, ...]:
    """What `call(*args)` did: its verdict, or the error's kind, message and cause."""
    try:
        verdict = call(*args)
    except HullscanError as error:  # InvalidVersionError, either module's InvalidRangeError
        cause = error.__cause__
        return ("error", type(error).__name__, str(error), type(cause).__name__, str(cause))
    except Exception as error:  # noqa: BLE001 - the compiled path raises what the reference raises
        return ("crash", type(error).__name__, str(error))
    return ("verdict", verdict.affected, verdict.matched_by, verdict.notes)


def scheme_of(ecosystem: str) -> VersionScheme:
    return scheme_for_ecosystem(ecosystem)


ENTRIES = entries()


def test_the_corpus_is_the_real_records() -> None:
    assert len(ZIPS) >= 4
    assert len({label.split("#")[0] for label, _, _ in ENTRIES}) >= 300
    kinds = {
        next(iter(event))
        for _, _, entry in ENTRIES
        for range_ in entry.get("ranges") or ()
        for event in range_.get("events") or ()
    }
    assert {"introduced", "fixed", "last_affected"} <= kinds


@pytest.mark.parametrize("chunk", range(8))
def test_compiled_verdicts_equal_the_reference(chunk: int) -> None:
    checked = affected = errors = 0
    for label, ecosystem, entry in ENTRIES[chunk::8]:
        scheme = scheme_of(ecosystem)
        compiled = compile_entry(entry, scheme)
        for version in probes(entry):
            want = outcome(reference.evaluate, version, entry, scheme)
            assert outcome(compiled.evaluate, version) == want, (label, version)
            assert outcome(evaluate, version, entry, scheme) == want, (label, version)
            checked += 1
            affected += want[:2] == ("verdict", True)
            errors += want[0] == "error"
    assert checked > 1000
    assert affected > 50
    assert errors > 50


# ----- the same through the database: what the matcher actually evaluates -----------------------


@pytest.fixture(scope="module")
def fixture_records(tmp_path_factory: pytest.TempPathFactory) -> list[AffectedRecord]:
    path = tmp_path_factory.mktemp("equivalence") / "db.sqlite"
    import_paths(path, ZIPS)
    with AdvisoryDB.open(path) as database:
        rows = database.connection.exec_driver_sql(
            "SELECT DISTINCT ecosystem, name FROM affected ORDER BY ecosystem, name"
        ).all()
        names: dict[str, list[str]] = {}
        for ecosystem, name in rows:
            names.setdefault(ecosystem, []).append(name)
        found: dict[tuple[str, int], AffectedRecord] = {}
        for ecosystem, wanted in names.items():
            for listed in database.advisories_for(ecosystem, wanted).values():
                found.update({(record.advisory_id, id(record)): record for record in listed})
    return list(found.values())


def test_matcher_path_equals_the_reference(fixture_records: list[AffectedRecord]) -> None:
    assert len({record.advisory_id for record in fixture_records}) >= 300
    checked = 0
    for record in fixture_records:
        scheme = scheme_of(record.ecosystem)
        entry = osv_mapping(record.versions, record.ranges)
        compiled = compiled_entry(record.versions, record.ranges, scheme)
        assert compiled is compiled_entry(record.versions, record.ranges, scheme)  # memoized
        for version in probes(entry):
            want = outcome(reference.evaluate, version, entry, scheme)
            assert outcome(compiled.evaluate, version) == want, (record.advisory_id, version)
            checked += 1
    assert checked > 5000


# ----- edge cases the real records rarely show, built from one real entry -----------------------


def _real_entry(ecosystem_prefix: str) -> Mapping[str, Any]:
    return next(
        entry
        for _, ecosystem, entry in ENTRIES
        if ecosystem.startswith(ecosystem_prefix)
        and any(r.get("type") == "ECOSYSTEM" for r in entry.get("ranges") or ())
    )


def _variants(entry: Mapping[str, Any]) -> Iterator[dict[str, Any]]:
    ranges = [r for r in entry["ranges"] if r.get("type") == "ECOSYSTEM"]
    events = list(ranges[0]["events"])
    values = [next(iter(event.values())) for event in events]
    top = values[-1]
    yield {"ranges": [{"type": "ECOSYSTEM", "events": list(reversed(events))}]}
    yield {"ranges": [{"type": "ECOSYSTEM", "events": [*events, {"limit": top}]}]}
    yield {"ranges": [{"type": "ECOSYSTEM", "events": [*events, {"limit": "not a version"}]}]}
    yield {"ranges": [{"type": "ECOSYSTEM", "events": [*events, {"limit": "*"}, {"limit": "bad one"}]}]}
    yield {"ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "not a version"}]}]}
    yield {"ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"limit": top}, {"fixed": "x y"}]}]}
    yield {"ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": top, "fixed": top}]}]}
    yield {"ranges": [{"type": "ECOSYSTEM", "events": ["introduced"]}]}
    yield {"ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": top}, {"last_affected": top}]}]}
    yield {"ranges": [{"type": "ECOSYSTEM", "events": [{"last_affected": top}, {"introduced": top}]}]}
    yield {"ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": top}, {"fixed": top}]}]}
    yield {"ranges": [{"type": "SEMVER", "events": events}, {"type": "ECOSYSTEM", "events": events}]}
    yield {"ranges": [{"type": "CALVER", "events": events}, "not a range", {"type": "GIT", "events": events}]}
    yield {"versions": [*values, 7, "bad version !"], "ranges": []}
    yield {"versions": "1.0", "ranges": [{"type": "ECOSYSTEM", "events": events}]}
    yield {"versions": [values[0]], "ranges": 5}


@pytest.mark.parametrize("ecosystem", ["Debian:12", "PyPI", "npm", "Go", "Maven", "Bitnami"])
def test_edge_cases_equal_the_reference(ecosystem: str) -> None:
    family = ecosystem.split(":", maxsplit=1)[0]
    base = _real_entry("npm" if family in {"Maven", "Bitnami"} else family)
    scheme = scheme_of(ecosystem)
    kinds: set[tuple[Any, ...]] = set()
    for variant in _variants(base):
        compiled = compile_entry(variant, scheme)
        for version in probes(base) + probes(variant):
            want = outcome(reference.evaluate, version, variant, scheme)
            assert outcome(compiled.evaluate, version) == want, (variant, version)
            kinds.add(want[:2])
    assert {("verdict", True), ("verdict", False), ("error", "InvalidRangeError")} <= kinds
