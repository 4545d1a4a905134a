"""dpkg relation checks on a crafted status file, against `apt-get check` reading the same file."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from hullscan.analyze.upgrade.dependencies import dpkg_problems
from hullscan.analyze.upgrade.dpkg_status import read_dpkg_status
from hullscan.analyze.upgrade.model import ProblemKind
from hullscan.config import Limits
from hullscan.fileview.directory import DirectoryView
from hullscan.fileview.policy import CapturePolicy

STATUS = """\
Package: app
Status: install ok installed
Architecture: amd64
Version: 1.0-1
Depends: libfoo1 (>= 2.0), libbar | libbaz, virtual-thing (>= 3)
Breaks: oldtool (<< 2)

Package: libfoo1
Status: install ok installed
Architecture: amd64
Version: 1.5-1

Package: libbaz
Status: install ok installed
Architecture: amd64
Version: 1.0-1
Provides: virtual-thing (= 3.1)

Package: oldtool
Status: install ok installed
Architecture: amd64
Version: 1.9-1

Package: gone
Status: deinstall ok config-files
Architecture: amd64
Version: 1.0-1
Depends: nothing-here
"""


def _apt_check(status: Path, tmp: Path) -> str:
    lists = tmp / "lists"
    (lists / "partial").mkdir(parents=True)
    cache = tmp / "cache"
    (cache / "archives" / "partial").mkdir(parents=True)
    result = subprocess.run(
        ["apt-get", "check", "-o", f"Dir::State::status={status}", "-o", f"Dir::State::Lists={lists}",
         "-o", f"Dir::Cache={cache}", "-o", "Dir::Etc::SourceList=/dev/null", "-o", "Dir::Etc::SourceParts=/dev/null"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    return result.stdout + result.stderr


def test_problems_match_apt_get_check(tmp_path: Path) -> None:
    root = tmp_path / "root"
    status = root / "var/lib/dpkg/status"
    status.parent.mkdir(parents=True)
    status.write_text(STATUS)
    problems = dpkg_problems(
        read_dpkg_status(DirectoryView(root, "dir:test", CapturePolicy(wants=lambda _path: True), Limits()))
    )
    report = _apt_check(status, tmp_path / "apt")
    apt_depends: set[tuple[str, str]] = set()
    current = ""
    for line in report.splitlines():
        found = re.match(r"^\s*(?:(\S+) : )?Depends: (\S+)", line)
        if found:
            current = found.group(1) or current
            apt_depends.add((current, found.group(2)))
    apt_breaks = set(re.findall(r"Breaks: (\S+)", report))
    assert ("app", "libfoo1") in apt_depends
    assert "oldtool" in apt_breaks
    depends = {
        (p.package, p.requirement.split()[0])
        for p in problems
        if p.kind in (ProblemKind.MISSING, ProblemKind.VERSION)
    }
    assert depends == apt_depends
    assert {p.requirement.split()[0] for p in problems if p.kind is ProblemKind.BREAKS} == apt_breaks
    assert all(p.package != "gone" for p in problems)
