"""support_status over the real debian-security-support lists (GPL-2.0-only test data)."""

from __future__ import annotations

from pathlib import Path

import pytest

from hullscan.analyze.vex.evidence.common import EvidenceError
from hullscan.analyze.vex.evidence.support_status import (
    IMAGE_DIR,
    load_directory,
    support_statements,
    support_status_producer,
)
from hullscan.config import Limits
from hullscan.fileview.directory import DirectoryView
from hullscan.fileview.policy import CapturePolicy
from hullscan.model.finding import FindingStatus
from hullscan.model.inventory import Distro

from .helpers import FIXTURES, context, finding, package

LISTS = FIXTURES / "debian-security-support"
BOOKWORM = LISTS / "12+2026.06.30"


def _data_lines(path: Path) -> list[list[str]]:
    return [
        line.split() for line in path.read_text().splitlines() if line.strip() and not line.startswith("#")
    ]


def test_every_data_line_becomes_one_entry() -> None:
    entries = load_directory(LISTS)
    for path in sorted(LISTS.rglob("security-support*")):
        from_file = [
            e for e in entries if e.origin.rsplit(":", 1)[0].endswith(f"{path.parent.name}/{path.name}")
        ]
        expected = [
            f
            for f in _data_lines(path)
            if "security-support.deb" not in path.name or f[1] in ("limited", "non-supported")
        ]
        assert [e.pattern for e in from_file] == [f[0] for f in expected], path


def test_limited_in_bookworm_explains_an_unfixed_finding() -> None:
    limited = {f[0]: " ".join(f[1:]) for f in _data_lines(BOOKWORM / "security-support-limited")}
    binutils = package("binutils", "2.40-2")
    made = list(
        support_statements(
            context([finding("CVE-2025-0001", binutils)], distro=Distro("debian", "12")),
            load_directory(BOOKWORM),
        )
    )
    assert [s.status for s in made] == [FindingStatus.AFFECTED]
    assert made[0].impact_statement is not None
    assert made[0].impact_statement.startswith(
        "distribution will not fix: security support is limited in Debian 12"
    )
    assert limited["binutils"] in made[0].impact_statement


def test_ended_support_names_the_date_and_regex_names_match() -> None:
    ended = {f[0]: f for f in _data_lines(BOOKWORM / "security-support-ended.deb12")}
    webkit = package("libwpewebkit-1.1-0", "2.38.6-1", source="wpewebkit")
    horde = package("php-horde-imp", "6.2.27-3", source="php-horde-imp")
    findings = [finding("CVE-2025-0002", webkit), finding("CVE-2025-0003", horde)]
    made = list(
        support_statements(context(findings, distro=Distro("debian", "12")), load_directory(BOOKWORM))
    )
    assert len(made) == 2
    assert f"on {ended['wpewebkit'][2]}" in (made[0].impact_statement or "")
    assert "php-horde.*" in made[1].evidence[0].detail


def test_findings_with_a_fix_or_other_releases_get_nothing() -> None:
    binutils = package("binutils", "2.40-2")
    entries = load_directory(BOOKWORM)
    fixed = finding("CVE-2025-0001", binutils, fix="2.40-2+deb12u1")
    assert list(support_statements(context([fixed], distro=Distro("debian", "12")), entries)) == []
    assert (
        list(
            support_statements(context([finding("CVE-1", binutils)], distro=Distro("debian", "11")), entries)
        )
        == []
    )


def test_missing_directory_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(EvidenceError, match="no debian-security-support data"):
        load_directory(tmp_path / "nope")


def test_lists_installed_in_the_image_win(tmp_path: Path) -> None:
    """An image with debian-security-support installed carries its own lists: they are used."""
    installed = tmp_path / IMAGE_DIR.lstrip("/")
    installed.mkdir(parents=True)
    for name in ("security-support-ended.deb12", "security-support-limited"):
        (installed / name).write_bytes((BOOKWORM / name).read_bytes())
    view = DirectoryView(tmp_path, "dir", CapturePolicy(wants=lambda _p: False, fingerprint="none"), Limits())
    binutils = package("binutils", "2.40-2")
    found = [finding("CVE-2025-0001", binutils)]
    produce = support_status_producer(tmp_path / "no-such-dir")  # never read: the image has lists
    made = list(produce(context(found, distro=Distro("debian", "12"), view=view)))
    assert len(made) == 1
    assert made[0].evidence[0].location is not None
    assert made[0].evidence[0].location.startswith(f"image:{IMAGE_DIR}/security-support-limited:")
    with pytest.raises(EvidenceError):
        list(support_status_producer(tmp_path / "no-such-dir")(context(found, distro=Distro("debian", "12"))))
