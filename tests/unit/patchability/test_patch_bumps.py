"""Major bumps checked against the ecosystems' own tools: `packaging` (`~=M.0`) and node-semver (`^`)."""

from __future__ import annotations

import itertools
import json
import shutil
import subprocess
from pathlib import Path

import pytest
from packaging.specifiers import SpecifierSet
from packaging.version import Version

from hullscan.analyze.patchability.bumps import UncomparableVersionsError, major_bump
from hullscan.model.package import PackageType

PEP440 = ("1.26.4", "1.26.18", "2.0.7", "2.10", "3.7", "1!1.0", "1!2.1", "0.9", "0.10.1", "44.0.0", "65.5.1", "2.0rc1")
SEMVER_VERSIONS = ("0.2.3", "0.2.9", "0.3.0", "1.2.0", "1.2.6", "2.6.0", "2.6.1", "3.1.1", "4.17.15", "4.17.21", "5.0.0")
CALENDAR = (("2020.12.5", "2023.7.22"), ("2022.12.7", "2023.7.22"), ("2023.3", "2024.1"))
SEMVER = Path("/usr/lib/node_modules/npm/node_modules/semver")


def _ascending_pairs(versions: tuple[str, ...]) -> list[tuple[str, str]]:
    return [(a, b) for a, b in itertools.permutations(versions, 2) if Version(a) < Version(b)]


@pytest.mark.parametrize(("installed", "fix"), _ascending_pairs(PEP440))
def test_pep440_major_is_what_compatible_release_of_the_major_excludes(installed: str, fix: str) -> None:
    old = Version(installed)
    same_major = SpecifierSet(f"~={old.epoch}!{old.release[0]}.0", prereleases=True)
    assert (major_bump(PackageType.PYTHON, installed, fix) is None) == same_major.contains(fix)


@pytest.mark.parametrize(("installed", "fix"), CALENDAR)
def test_calendar_versions_are_not_major_bumps(installed: str, fix: str) -> None:
    assert Version(fix).release[0] != Version(installed).release[0]
    assert major_bump(PackageType.PYTHON, installed, fix) is None


def _node_semver() -> Path:
    if shutil.which("node") is None or not SEMVER.is_dir():
        subprocess.run(["apt-get", "install", "-y", "-q", "nodejs", "npm"], check=True, capture_output=True)
    return SEMVER


def test_semver_major_is_what_a_caret_range_excludes() -> None:
    """Not a major bump <=> node-semver says `^installed` allows the fix (0.y.z: the minor counts)."""
    pairs = list(itertools.permutations(SEMVER_VERSIONS, 2))
    script = (
        f"const s=require({json.dumps(str(_node_semver()))});"
        "const pairs=JSON.parse(require('fs').readFileSync(0,'utf8'));"
        "console.log(JSON.stringify(pairs.filter(([a,b])=>s.gt(b,a)).map(([a,b])=>[a,b,s.satisfies(b,'^'+a)])));"
    )
    result = subprocess.run(["node", "-e", script], input=json.dumps(pairs), capture_output=True, text=True, check=True)
    oracle = json.loads(result.stdout)
    assert oracle
    for ecosystem in (PackageType.NPM, PackageType.GO, PackageType.RUST):
        got = [[a, b, major_bump(ecosystem, a, b) is None] for a, b, _ in oracle]
        assert got == oracle


def test_unparseable_versions_are_reported() -> None:
    with pytest.raises(UncomparableVersionsError):
        major_bump(PackageType.PYTHON, "not a version", "1.0")
    with pytest.raises(UncomparableVersionsError):
        major_bump(PackageType.NPM, "1.0.0", "latest")
