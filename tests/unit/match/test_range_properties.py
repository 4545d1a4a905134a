"""Property tests: the matcher's verdict on random (version, range) pairs agrees with the real tools.

Debian: `dpkg --compare-versions` decides `introduced <= v < fixed`. PyPI: `packaging.version`.
Records are the matcher's own input type (`AffectedRecord`), judged by `matcher.judge`.
"""

from __future__ import annotations

import shutil
import subprocess

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from packaging.version import Version

from hullscan.match.db import AffectedRange, AffectedRecord, RangeEvent
from hullscan.match.matcher import judge
from hullscan.match.versioning import scheme_for_ecosystem

_ALNUM = "abcdefghijklmnopqrstuvwxyz0123456789"


def _dpkg_cmp(a: str, op: str, b: str) -> bool:
    dpkg = shutil.which("dpkg")
    assert dpkg
    return subprocess.run([dpkg, "--compare-versions", a, op, b], check=False).returncode == 0


@st.composite
def debian_versions(draw: st.DrawFn) -> str:
    epoch = draw(st.sampled_from(["", "", "", "1:", "2:"]))
    numbers = draw(st.lists(st.integers(0, 30), min_size=1, max_size=3))
    upstream = ".".join(map(str, numbers))
    upstream += draw(st.sampled_from(["", "", "~rc1", "~beta", "+dfsg", "a", "+really1.0"]))
    revision = draw(st.sampled_from(["", "-1", "-2", "-1+deb12u1", "-1+deb12u2", "-1~deb12u1", "-3ubuntu0.1", "-1+b1"]))
    return f"{epoch}{upstream}{revision}"


def _record(ecosystem: str, events: list[tuple[str, str]]) -> AffectedRecord:
    family, _, release = ecosystem.partition(":")
    return AffectedRecord(
        advisory_id="TEST-1",
        ecosystem=ecosystem,
        family=family,
        release=release,
        name="pkg",
        normalized_name="pkg",
        purl=None,
        ranges=(AffectedRange("ECOSYSTEM", tuple(RangeEvent(kind, value) for kind, value in events)),),
        versions=(),
        withdrawn=None,
        aliases=(),
    )


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(version=debian_versions(), introduced=debian_versions(), fixed=debian_versions(), from_zero=st.booleans())
@example(version="0", introduced="0", fixed="0~rc1", from_zero=False)  # found by a fresh-clone CI run
def test_debian_ranges_agree_with_dpkg(version: str, introduced: str, fixed: str, from_zero: bool) -> None:
    from_zero = from_zero or introduced == "0"  # OSV's `introduced: "0"` is "since the beginning"
    start = "0" if from_zero else introduced
    record = _record("Debian:12", [("introduced", start), ("fixed", fixed)])
    above_start = from_zero or _dpkg_cmp(version, "ge", introduced)
    expected = above_start and _dpkg_cmp(version, "lt", fixed)
    if not from_zero and _dpkg_cmp(introduced, "eq", fixed):
        expected = False  # introduced and fixed at once: nothing in between
    elif not from_zero and _dpkg_cmp(introduced, "gt", fixed):
        # An inverted range: OSV sorts events, so `fixed` comes first and `introduced` reopens.
        expected = _dpkg_cmp(version, "ge", introduced)
    assert judge(record, version, scheme_for_ecosystem("Debian:12")) is expected


@st.composite
def pep440_versions(draw: st.DrawFn) -> str:
    release = ".".join(map(str, draw(st.lists(st.integers(0, 20), min_size=1, max_size=4))))
    epoch = draw(st.sampled_from(["", "", "", "1!"]))
    pre = draw(st.sampled_from(["", "", "a1", "b2", "rc1"]))
    post = draw(st.sampled_from(["", "", ".post1"]))
    dev = draw(st.sampled_from(["", "", ".dev3"]))
    return f"{epoch}{release}{pre}{post}{dev}"


@settings(max_examples=300, deadline=None)
@given(version=pep440_versions(), introduced=pep440_versions(), fixed=pep440_versions(), last=st.booleans())
def test_pypi_ranges_agree_with_packaging(version: str, introduced: str, fixed: str, last: bool) -> None:
    kind = "last_affected" if last else "fixed"
    record = _record("PyPI", [("introduced", introduced), (kind, fixed)])
    v, high = Version(version), Version(fixed)
    below_end = v <= high if last else v < high
    if introduced == "0":  # OSV's "from the beginning", below every version (even 0a1)
        expected = below_end
    elif (low := Version(introduced)) <= high:
        expected = low <= v and below_end
    else:  # inverted: OSV sorts the events, the range reopens at `introduced`
        expected = v >= low
    assert judge(record, version, scheme_for_ecosystem("PyPI")) is expected


def test_introduced_zero_means_from_the_beginning_even_for_debian() -> None:
    """OSV reserves `introduced: "0"`; a Debian version that sorts below `0` is still inside."""
    record = _record("Debian:12", [("introduced", "0"), ("fixed", "0~rc1")])
    scheme = scheme_for_ecosystem("Debian:12")
    assert judge(record, "0~beta", scheme) is True
    assert judge(record, "0", scheme) is False
