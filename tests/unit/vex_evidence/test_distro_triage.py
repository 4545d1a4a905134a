"""distro_triage over the real tracker excerpt imported into a real advisory DB."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from hullscan.analyze.vex.evidence.distro_triage import distro_triage, justification_for
from hullscan.match.db import AdvisoryDB, import_paths
from hullscan.model.finding import FindingStatus
from hullscan.model.inventory import Distro
from hullscan.model.vex import Justification

from .helpers import FIXTURES, context, finding, package

EXCERPT = FIXTURES / "tracker" / "CVE-list.excerpt.txt"
DSA_LIST = Path(__file__).resolve().parents[2] / "fixtures" / "osv-db" / "dsa" / "list"


@pytest.fixture(scope="module")
def database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AdvisoryDB]:
    path = tmp_path_factory.mktemp("db") / "db.sqlite"
    import_paths(path, [EXCERPT])
    with AdvisoryDB.open(path) as opened:
        yield opened


def _line(cve: str, package_name: str, release: str | None) -> str:
    """The excerpt's own line for a package in a release (read independently of the importer)."""
    text = EXCERPT.read_text()
    block = text[text.index(cve) :].split("\nCVE-", 1)[0]
    prefix = rf"\[{release}\] " if release else r"(?<!\] )"
    match = re.search(prefix + rf"- {package_name} (.*)", block)
    assert match is not None
    return match.group(1)


def _notes(cve: str) -> list[str]:
    text = EXCERPT.read_text()
    block = text[text.index(cve) :].split("\nCVE-", 1)[0]
    return [line.strip().removeprefix("NOTE:").strip() for line in block.splitlines() if "NOTE:" in line]


def test_no_dsa_in_bullseye_explains_but_does_not_suppress(database: AdvisoryDB) -> None:
    line = _line("CVE-2021-36367", "putty", "bullseye")
    assert line.startswith("<no-dsa>")
    reason = line.split("(", 1)[1].rstrip(")")
    putty = package("putty", "0.74-1+deb11u1")
    made = list(
        distro_triage(
            context([finding("CVE-2021-36367", putty)], distro=Distro("debian", "11"), database=database)
        )
    )
    assert len(made) == 1
    assert made[0].status is FindingStatus.AFFECTED
    assert made[0].impact_statement == f"distribution will not fix: {reason}"
    assert made[0].evidence[0].kind == "debian-tracker"
    assert made[0].evidence[0].location == "https://security-tracker.debian.org/tracker/CVE-2021-36367"


def test_unimportant_on_the_unstable_line_holds_for_bookworm(database: AdvisoryDB) -> None:
    assert "(unimportant)" in _line("CVE-2021-36373", "ant", None)
    ant = package("ant", "1.10.13-1")
    made = list(
        distro_triage(
            context([finding("CVE-2021-36373", ant)], distro=Distro("debian", "12"), database=database)
        )
    )
    assert [s.status for s in made] == [FindingStatus.AFFECTED]  # explained, never suppressed
    note = _notes("CVE-2021-36373")[0]
    assert made[0].impact_statement == f"distribution will not fix: unimportant ({note})"
    assert "no security impact" in made[0].evidence[0].detail  # every NOTE travels along


def test_fixed_sid_line_says_nothing_about_other_releases(database: AdvisoryDB) -> None:
    putty = package("putty", "0.78-2")
    found = finding("CVE-2021-36367", putty)
    assert list(distro_triage(context([found], distro=Distro("debian", "12"), database=database))) == []


def test_alias_cve_is_looked_up_and_other_distros_are_ignored(database: AdvisoryDB) -> None:
    ant = package("ant", "1.10.13-1")
    aliased = finding("DEBIAN-CVE-2021-36373", ant, aliases=("CVE-2021-36373",))
    assert len(list(distro_triage(context([aliased], distro=Distro("debian", "12"), database=database)))) == 1
    assert list(distro_triage(context([aliased], distro=Distro("ubuntu", "22.04"), database=database))) == []
    assert list(distro_triage(context([aliased], distro=Distro("debian", "12"), database=None))) == []


def test_every_not_affected_reason_of_the_real_dsa_list_maps_to_a_justification() -> None:
    reasons = re.findall(r"<not-affected> \((.*)\)", DSA_LIST.read_text()) or ["Vulnerable code not present"]
    for reason in reasons:
        assert isinstance(justification_for(reason), Justification)
    assert justification_for("Vulnerable code not present") is Justification.VULNERABLE_CODE_NOT_PRESENT


def test_a_fixed_line_rated_unimportant_claims_no_will_not_fix(tmp_path: Path) -> None:
    """`- putty 0.75-3 (low; ...)` style lines with a version are fixes: nothing to explain."""
    listing = tmp_path / "list"
    block = EXCERPT.read_text().split("CVE-2021-36367", 1)[1]
    listing.write_text("CVE-2021-36367" + block.replace("(low; bug #990901)", "(unimportant)"))
    path = tmp_path / "db.sqlite"
    import_paths(path, [listing])
    with AdvisoryDB.open(path) as opened:
        putty = package("putty", "0.74-1")
        found = [finding("CVE-2021-36367", putty)]
        unstable = Distro("debian", None, "sid")
        assert opened.triage("CVE-2021-36367", "sid", "putty") is not None
        assert list(distro_triage(context(found, distro=unstable, database=opened))) == []
