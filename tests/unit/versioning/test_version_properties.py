"""Hypothesis: ordering laws per scheme, round trips, and agreement with real oracles.

Oracles: the real ``dpkg --compare-versions``, ``rpm``'s own ``rpm.vercmp`` and `packaging`.
"""

from __future__ import annotations

import functools
import itertools
import subprocess

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from packaging.version import Version as PackagingVersion

from hullscan.match.versioning.dpkg import DPKG
from hullscan.match.versioning.interface import VersionScheme
from hullscan.match.versioning.pep440 import PEP440
from hullscan.match.versioning.rpm import RPM
from hullscan.match.versioning.semver import SEMVER

# --- strategies ------------------------------------------------------------------------------

digits = st.sampled_from("0123456789")
dpkg_upstream = st.builds(str.__add__, digits, st.text("0123456789abzAZ.+~", max_size=8))
dpkg_revision = st.text("0123456789abzAZ.+~", min_size=1, max_size=5)
dpkg_versions = st.builds(
    lambda epoch, upstream, revision: f"{epoch}{upstream}{'-' + revision if revision else ''}",
    st.sampled_from(["", "0:", "1:", "2:"]),
    dpkg_upstream,
    st.none() | dpkg_revision,
)

small = st.integers(0, 12)
pep440_versions = st.builds(
    lambda epoch, release, pre, post, dev, local: (
        f"{epoch}{'.'.join(map(str, release))}{pre}{post}{dev}{local}"
    ),
    st.sampled_from(["", "1!"]),
    st.lists(small, min_size=1, max_size=4),
    st.sampled_from(["", "a1", "b2", "rc1", "rc0", "a0"]),
    st.sampled_from(["", ".post1", ".post0"]),
    st.sampled_from(["", ".dev0", ".dev3"]),
    st.sampled_from(["", "+local", "+1.a", "+abc.5"]),
)

identifier = st.one_of(small.map(str), st.text("abcxyzABC-", min_size=1, max_size=4))
semver_versions = st.builds(
    lambda core, pre, build: f"{'.'.join(map(str, core))}{'-' + '.'.join(pre) if pre else ''}{build}",
    st.lists(small, min_size=3, max_size=3),
    st.lists(identifier, max_size=3),
    st.sampled_from(["", "+build.1", "+x"]),
)

rpm_part = st.text("0123456789abzAZ.~^_+", min_size=1, max_size=7)
rpm_versions = st.builds(
    lambda epoch, version, release: f"{epoch}{version}-{release}",
    st.sampled_from(["", "0:", "1:", "3:"]),
    rpm_part,
    rpm_part,
)

# --- laws --------------------------------------------------------------------------------------


def check_laws(scheme: VersionScheme, a: str, b: str, c: str) -> None:
    ab, ba, bc, ac = scheme.compare(a, b), scheme.compare(b, a), scheme.compare(b, c), scheme.compare(a, c)
    assert ab in (-1, 0, 1)
    assert ab == -ba, "antisymmetry"
    if ab <= 0 and bc <= 0:
        assert ac <= 0, "transitivity"
    if ab == 0 and bc == 0:
        assert ac == 0, "equality is transitive"
    va, vb = scheme.parse(a), scheme.parse(b)
    assert (va == vb) == (ab == 0)
    assert (va < vb) == (ab < 0)
    if ab == 0:
        assert hash(va) == hash(vb)
    ordered = sorted([a, b, c], key=scheme.parse)
    assert all(scheme.compare(x, y) <= 0 for x, y in itertools.pairwise(ordered))


@given(dpkg_versions, dpkg_versions, dpkg_versions)
def test_dpkg_order_laws(a: str, b: str, c: str) -> None:
    check_laws(DPKG, a, b, c)


@given(pep440_versions, pep440_versions, pep440_versions)
def test_pep440_order_laws(a: str, b: str, c: str) -> None:
    check_laws(PEP440, a, b, c)


@given(semver_versions, semver_versions, semver_versions)
def test_semver_order_laws(a: str, b: str, c: str) -> None:
    check_laws(SEMVER, a, b, c)


@given(rpm_versions, rpm_versions, rpm_versions)
def test_rpm_order_laws(a: str, b: str, c: str) -> None:
    check_laws(RPM, a, b, c)


# --- round trips -----------------------------------------------------------------------------


@given(dpkg_versions)
def test_dpkg_format_round_trip(text: str) -> None:
    version = DPKG.parse(text)
    again = DPKG.parse(version.format())
    assert again == version
    assert (again.epoch, again.upstream, again.revision) == (
        version.epoch,
        version.upstream,
        version.revision,
    )


@given(pep440_versions)
def test_pep440_format_is_packaging_normal_form(text: str) -> None:
    version = PEP440.parse(text)
    assert version.format() == str(PackagingVersion(text))
    assert PEP440.parse(version.format()) == version


@given(semver_versions)
def test_semver_format_round_trip(text: str) -> None:
    version = SEMVER.parse(text)
    assert version.format() == text
    assert SEMVER.parse("v" + text) == version


# --- oracles -----------------------------------------------------------------------------------


def dpkg_oracle(dpkg: str, a: str, b: str) -> int:
    for operator, result in (("lt", -1), ("eq", 0)):
        run = subprocess.run([dpkg, "--compare-versions", a, operator, b], check=False, capture_output=True)
        assert run.returncode in (0, 1), run.stderr
        if run.returncode == 0:
            return result
    return 1


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(dpkg_versions, dpkg_versions)
def test_dpkg_agrees_with_real_dpkg(dpkg_binary: str, a: str, b: str) -> None:
    assert DPKG.compare(a, b) == dpkg_oracle(dpkg_binary, a, b), (a, b)


@functools.cache
def _rpm_lua(rpm: str, a: str, b: str) -> int:
    expr = f"%{{lua: print(rpm.vercmp('{a}', '{b}'))}}"
    return int(subprocess.run([rpm, "--eval", expr], check=True, capture_output=True, text=True).stdout)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rpm_versions, rpm_versions)
def test_rpm_agrees_with_real_rpm(rpm_binary: str, a: str, b: str) -> None:
    assert RPM.compare(a, b) == _rpm_lua(rpm_binary, a, b), (a, b)


@given(pep440_versions, pep440_versions)
def test_pep440_agrees_with_packaging(a: str, b: str) -> None:
    pa, pb = PackagingVersion(a), PackagingVersion(b)
    assert PEP440.compare(a, b) == (pa > pb) - (pa < pb)
