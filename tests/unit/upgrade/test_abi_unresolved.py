"""Unresolved DT_NEEDED entries of an executable, checked by starting it in a chroot of each root.

Two tiny roots hold the host's `/bin/ls` and the libraries `ldd` names; NEW keeps `libselinux.so.1`
only in a directory the loader never searches. Whether the program starts is the dynamic loader's
own answer, not hullscan's.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from hullscan.analyze.upgrade.abi import abi_report
from hullscan.analyze.upgrade.model import AbiReport, Severity
from hullscan.catalog.bundled.elf import ElfAnalyzer
from hullscan.config import Limits
from hullscan.fileview.directory import DirectoryView
from hullscan.fileview.policy import CapturePolicy

PROGRAM = "/bin/ls"
MOVED = "libselinux.so.1"
STASH = "opt/stash"


def _ldd(program: str) -> dict[str, str]:
    """Return soname -> host path of every library `ldd` lists for the host program."""
    output = subprocess.run(["ldd", program], capture_output=True, text=True, check=True).stdout
    found: dict[str, str] = {}
    for line in output.splitlines():
        parts = line.split()
        if "=>" in parts and parts[2].startswith("/"):
            found[parts[0]] = parts[2]
        elif parts and parts[0].startswith("/"):
            found[parts[0]] = parts[0]
    return found


def _root(target: Path, *, stash_moved: bool) -> Path:
    libraries = _ldd(PROGRAM)
    if MOVED not in libraries:
        pytest.fail(f"the host's {PROGRAM} should need {MOVED} (ldd: {sorted(libraries)})")
    for soname, host_path in libraries.items():
        if soname.startswith("/"):
            place = target / soname.lstrip("/")
        elif soname == MOVED and stash_moved:
            place = target / STASH / soname
        else:
            place = target / "lib/x86_64-linux-gnu" / soname
        place.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(Path(host_path).resolve(), place)
    program = target / PROGRAM.lstrip("/")
    program.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy2(PROGRAM, program)
    return target


def _starts(root: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["chroot", str(root), PROGRAM, "/"], capture_output=True, text=True, check=False)


def _view(root: Path) -> DirectoryView:
    policy = CapturePolicy(wants=lambda _path: False, analyzers=(ElfAnalyzer(),))
    return DirectoryView(root, f"dir:{root.name}", policy, Limits())


@pytest.fixture(scope="module")
def roots(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    base = tmp_path_factory.mktemp("abi")
    return _root(base / "old", stash_moved=False), _root(base / "new", stash_moved=True)


@pytest.fixture(scope="module")
def report(roots: tuple[Path, Path]) -> AbiReport:
    old, new = roots
    return abi_report(_view(old), _view(new), (), ())


def test_the_loader_fails_only_in_new(roots: tuple[Path, Path], report: AbiReport) -> None:
    old, new = roots
    assert _starts(old).returncode == 0
    failed = _starts(new)
    assert failed.returncode != 0
    assert MOVED in failed.stderr
    assert {(u.consumer, u.soname) for u in report.unresolved} == {(PROGRAM, MOVED)}


def test_a_copy_off_the_search_path_does_not_save_an_executable(report: AbiReport) -> None:
    (item,) = report.unresolved
    assert item.found_elsewhere == (f"/{STASH}/{MOVED}",)
    assert item.severity is Severity.BREAKING
