"""Unit checks of the unbundle pieces against real tools and real files.

Ground truth: apt-get's own resolver (`apt-get -s install`) for the dependency closure, dpkg for
version order, `packaging` for PEP 440 order, and the machine's real apt lists as the index.
"""

from __future__ import annotations

import shutil
import subprocess
import tomllib
from pathlib import Path

import pytest
from packaging.version import Version

from hullscan.analyze.unbundle.classify import load_table, parse_table
from hullscan.analyze.unbundle.debian_index import APT_LISTS, load_index, upstream_version
from hullscan.analyze.unbundle.errors import ClassTableError, UnsupportedDistroError
from hullscan.analyze.unbundle.mapping import compare, compatible
from hullscan.analyze.unbundle.model import Comparison
from hullscan.analyze.unbundle.plan import closure
from hullscan.model.package import Package, PackageType


@pytest.fixture(scope="module")
def bookworm_lists() -> None:
    """The machine's own Debian 12 apt lists (run `apt-get update` once when they are missing)."""
    assert shutil.which("apt-get"), "these tests run on the Debian 12 machine image"
    if not sorted(APT_LISTS.glob("*_dists_bookworm_main_binary-amd64_Packages*")):
        subprocess.run(["apt-get", "update", "-q"], check=True, capture_output=True)


def _python(name: str, version: str) -> Package:
    return Package(name, version, PackageType.PYTHON, f"pkg:pypi/{name}@{version}", "test", ())


def test_bundled_table_loads_and_every_class_is_weighted() -> None:
    text = (Path(__file__).parents[3] / "src/hullscan/analyze/unbundle/classes.toml").read_text()
    raw = tomllib.loads(text)["class"]
    table = load_table()
    assert {c.name for c in table.classes} == set(raw)
    for row in table.classes:
        assert 0 <= row.weight <= 1
        assert row.weight == raw[row.name]["weight"]


@pytest.mark.parametrize(
    "bad",
    [
        {},
        {"class": {"x": {"weight": 2}}},
        {"class": {"x": {"weight": "high"}}},
        {"class": {"x": {"weight": 1, "pypi": "a"}}},
    ],
)
def test_malformed_tables_raise_a_clear_error(bad: dict[str, object]) -> None:
    with pytest.raises(ClassTableError) as caught:
        parse_table(bad)
    assert caught.value.hint


def test_keywords_class_an_unlisted_package_from_its_summary() -> None:
    table = parse_table({"class": {"xml": {"weight": 0.5, "keywords": ["xml"]}}})
    listed = Package(
        "mystery",
        "1",
        PackageType.PYTHON,
        "pkg:pypi/mystery@1",
        "t",
        (),
        metadata={"summary": "An XML toolkit"},
    )
    unlisted = Package(
        "other", "1", PackageType.PYTHON, "pkg:pypi/other@1", "t", (), metadata={"summary": "XMLish"}
    )
    assert [c.name for c in table.classes_of(listed)] == ["xml"]
    assert table.classes_of(unlisted) == []


@pytest.mark.parametrize(
    ("bundled", "distro"),
    [("6.0.1", "6.0"), ("38.0.4", "38.0.4"), ("2.25.1", "2.28.1"), ("1.26.18", "2.0.7"), ("3.4", "3.3")],
)
def test_version_comparison_agrees_with_packaging(bundled: str, distro: str) -> None:
    order = (Version(distro) > Version(bundled)) - (Version(distro) < Version(bundled))
    expected = {1: Comparison.NEWER, 0: Comparison.SAME, -1: Comparison.OLDER}[order]
    assert compare(_python("x", bundled), distro) is expected
    same_major = Version(distro).major == Version(bundled).major
    if expected is Comparison.NEWER:
        assert compatible(bundled, distro, expected) is same_major


def test_unknown_release_is_refused() -> None:
    with pytest.raises(UnsupportedDistroError):
        load_index(Path("/nonexistent"), "hamm")


def _dpkg_lt(a: str, b: str) -> bool:
    return subprocess.run(["dpkg", "--compare-versions", a, "lt", b], check=False).returncode == 0


@pytest.mark.usefixtures("bookworm_lists")
def test_index_keeps_the_newest_version_across_suites_like_apt(tmp_path: Path) -> None:
    index = load_index(tmp_path, "12")
    names = ["python3-lxml", "libxml2", "libssl3", "python3-urllib3"]
    for name in names:
        entry = index.get(name)
        assert entry is not None
        madison = subprocess.run(
            ["apt-cache", "madison", name], capture_output=True, text=True, check=True
        ).stdout
        versions = {line.split("|")[1].strip() for line in madison.splitlines() if "Packages" in line}
        assert entry.version in versions
        assert not any(_dpkg_lt(entry.version, v) for v in versions)
        assert entry.version.split(":")[-1].startswith(upstream_version(entry.version))


@pytest.mark.usefixtures("bookworm_lists")
def test_dependency_closure_matches_apt_simulation(tmp_path: Path) -> None:
    wanted = ["python3-lxml", "python3-yaml", "python3-cryptography"]
    installed = subprocess.run(
        ["dpkg-query", "-W", "-f", "${Package} ${Provides} ${db:Status-Abbrev}\\n"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    names = set()
    for line in installed.splitlines():
        if line.rstrip().endswith("ii"):
            names.update(part.split("(")[0].strip(" ,") for part in line.split()[:-1])
    simulated = subprocess.run(
        ["apt-get", "-s", "-o", "Debug::NoLocking=1", "install", "--no-install-recommends", *wanted],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    apt_adds = {line.split()[1] for line in simulated.splitlines() if line.startswith("Inst ")}
    ours = {entry.package for entry in closure(wanted, load_index(tmp_path, "12"), names)}
    assert set(wanted) - names <= ours
    assert ours - set(wanted) == apt_adds - set(wanted) - {n for n in apt_adds if n in names}
