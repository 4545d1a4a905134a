"""Every line of osv-scalibr's version-ordering fixtures, against the scheme the registry picks."""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest
from versioning_support import FIXTURES

from hullscan.match.versioning import scheme_for_ecosystem

VERSION_FIXTURES = FIXTURES / "version-fixtures"
EXPECTED = {"<": -1, "=": 0, ">": 1}

# Which OSV ecosystem each fixture file is for (from the fixtures' README).
FILES_BY_ECOSYSTEM = [
    ("npm", "semver-versions.txt"),
    ("crates.io", "semver-versions.txt"),
    ("Go", "semver-versions.txt"),
    ("Hex", "semver-versions.txt"),
    ("RubyGems", "rubygems-versions.txt"),
    ("RubyGems", "rubygems-versions-generated.txt"),
    ("NuGet", "nuget-versions.txt"),
    ("Packagist", "packagist-versions.txt"),
    ("Packagist", "packagist-versions-generated.txt"),
    ("Maven", "maven-versions.txt"),
    ("Maven", "maven-versions-generated.txt"),
    ("PyPI", "pypi-versions.txt"),
    ("PyPI", "pypi-versions-generated.txt"),
    ("Debian:12", "debian-versions.txt"),
    ("Debian:12", "debian-versions-generated.txt"),
    ("Ubuntu:22.04:LTS", "debian-versions.txt"),
    ("CRAN", "cran-versions.txt"),
    ("CRAN", "cran-versions-generated.txt"),
    ("Alpine:v3.18", "alpine-versions.txt"),
    ("Alpine:v3.18", "alpine-versions-generated.txt"),
    ("Red Hat", "redhat-versions.txt"),
    ("AlmaLinux:9", "redhat-versions.txt"),
    ("Hackage", "hackage-versions.txt"),
    ("Pub", "pub-versions.txt"),
]


@dataclass(frozen=True)
class Line:
    number: int
    a: str
    op: str
    b: str


def read_fixture(name: str) -> list[Line]:
    lines = []
    text = (VERSION_FIXTURES / name).read_text(encoding="utf-8")
    for number, raw in enumerate(text.splitlines(), start=1):
        if not raw or raw.startswith(("# ", "// ")):
            continue
        a, op, b = raw.split(" ")  # exactly three fields, by the README's rule
        lines.append(Line(number, a, op, b))
    return lines


def readme_counts() -> dict[str, int]:
    readme = (VERSION_FIXTURES / "README.md").read_text(encoding="utf-8")
    return {m[1]: int(m[2]) for m in re.finditer(r"^\| `([\w.-]+\.txt)` \| (\d+) \|", readme, re.MULTILINE)}


def test_every_fixture_file_is_covered() -> None:
    on_disk = {p.name for p in VERSION_FIXTURES.glob("*.txt")}
    assert on_disk == {name for _, name in FILES_BY_ECOSYSTEM}


@pytest.mark.parametrize("name", sorted(readme_counts()))
def test_fixture_line_counts_match_readme(name: str) -> None:
    assert len(read_fixture(name)) == readme_counts()[name]


@pytest.mark.parametrize(
    ("ecosystem", "name"), FILES_BY_ECOSYSTEM, ids=[f"{e}-{n}" for e, n in FILES_BY_ECOSYSTEM]
)
def test_fixture_ordering(ecosystem: str, name: str) -> None:
    scheme = scheme_for_ecosystem(ecosystem, strict=True)
    failures = []
    lines = read_fixture(name)
    for line in lines:
        want = EXPECTED[line.op]
        forward, backward = scheme.compare(line.a, line.b), scheme.compare(line.b, line.a)
        va, vb = scheme.parse(line.a), scheme.parse(line.b)
        operators = ((va < vb) == (want < 0), (va == vb) == (want == 0), (va > vb) == (want > 0))
        if forward != want or backward != -want or not all(operators):
            failures.append(f"{name}:{line.number}: {line.a} {line.op} {line.b} -> {forward}/{backward}")
        if want == 0:
            assert hash(va) == hash(vb), f"{line.a} = {line.b} but hashes differ"
    assert not failures, f"{len(failures)}/{len(lines)} lines fail:\n" + "\n".join(failures[:50])
    assert lines
