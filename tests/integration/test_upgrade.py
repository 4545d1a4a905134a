"""`hullscan upgrade` on real image pairs; expectations come from the images (chroot ldd, pip, dpkg-query).

Pairs are built by `tests/images/upgrade_pairs.py` and cached (cold: about 3 minutes in total).
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest
from packaging.utils import canonicalize_name
from packaging.version import Version
from typer.testing import CliRunner

from hullscan import api
from hullscan.analyze.upgrade.model import Bump, ChangeKind, ProblemKind, UpgradeReport, Verdict
from hullscan.cli.app import app
from hullscan.config import ScanOptions
from images.chroot import chroot_run
from images.tools import ensure_tool
from images.upgrade_pairs import (
    VENV,
    UpgradePair,
    patch_pair,
    rebase_pair,
    requires_pair,
    whiteout_pair,
)

_LDD_NOT_FOUND = re.compile(r"^\s*(\S+) => not found", re.MULTILINE)


def _report(pair: UpgradePair, cache: Path) -> UpgradeReport:
    return api.upgrade(pair.old.reference, pair.new.reference, ScanOptions(cache_dir=cache))  # type: ignore[no-any-return]


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("hullscan-cache")


def _python_info(root: Path) -> dict[str, object]:
    code = (
        "import sys, json, importlib.machinery as m; "
        "print(json.dumps({'version': '%d.%d' % sys.version_info[:2], 'path': sys.path, "
        "'suffixes': m.EXTENSION_SUFFIXES}))"
    )
    return json.loads(chroot_run(root, [f"{VENV}/bin/python", "-c", code]).stdout)  # type: ignore[no-any-return]


def _site_dirs(root: Path) -> set[str]:
    return {
        "/" + p.parent.relative_to(root).as_posix()
        for p in (root / VENV.lstrip("/")).glob("lib/python*/site-packages/*.dist-info")
    }


def _installed(root: Path) -> dict[str, tuple[str, str]]:
    admin = root / "var/lib/dpkg"
    result = subprocess.run(
        ["dpkg-query", f"--admindir={admin}", "-W", "-f", "${Package}\t${Version}\t${Replaces}\n"],
        check=True, capture_output=True, text=True,
    )  # fmt: skip
    rows = (line.split("\t") for line in result.stdout.splitlines())
    return {name: (version, replaces) for name, version, replaces in rows}


class TestRebaseBookwormToTrixie:
    @pytest.fixture(scope="class")
    @classmethod
    def pair(cls) -> UpgradePair:
        return rebase_pair()

    @pytest.fixture(scope="class")
    @classmethod
    def report(cls, pair: UpgradePair, cache: Path) -> UpgradeReport:
        return _report(pair, cache)

    def test_verdict_is_breaking(self, report: UpgradeReport) -> None:
        assert report.verdict is Verdict.BREAKING

    def test_interpreter_change_matches_the_images(self, pair: UpgradePair, report: UpgradeReport) -> None:
        old, new = _python_info(pair.old.rootfs), _python_info(pair.new.rootfs)
        interpreters = report.abi.interpreters
        assert interpreters is not None
        assert interpreters.old_default == old["version"]
        assert interpreters.new_default == new["version"]
        assert interpreters.changed
        assert old["version"] != new["version"]

    def test_stranded_site_packages_are_those_the_new_python_does_not_read(
        self, pair: UpgradePair, report: UpgradeReport
    ) -> None:
        new_info, old_info = _python_info(pair.new.rootfs), _python_info(pair.old.rootfs)
        venv_sites = _site_dirs(pair.new.rootfs)
        expected = {d for d in venv_sites if d not in new_info["path"]}  # type: ignore[operator]
        assert expected, "the rebased venv should hold a site-packages the new Python skips"
        assert all(d in old_info["path"] for d in expected)  # type: ignore[operator]
        assert {s.path for s in report.abi.stranded_site_packages} == expected

    def test_stranded_extension_modules(self, pair: UpgradePair, report: UpgradeReport) -> None:
        info = _python_info(pair.new.rootfs)
        suffixes = tuple(str(s) for s in info["suffixes"])  # type: ignore[attr-defined]
        root = pair.new.rootfs
        expected = {
            "/" + p.relative_to(root).as_posix()
            for p in (root / VENV.lstrip("/")).rglob("*.cpython-*.so")
            if not p.name.endswith(suffixes) or str(p.parent) not in info["path"]  # type: ignore[operator]
        }
        assert expected
        assert {s.path for s in report.abi.stranded_extensions} == expected
        assert all(s.abi == "cpython-311" for s in report.abi.stranded_extensions)

    def test_t64_renames_are_renames_not_removals(self, pair: UpgradePair, report: UpgradeReport) -> None:
        old, new = _installed(pair.old.rootfs), _installed(pair.new.rootfs)
        expected = {
            (name.removesuffix("t64"), name)
            for name, (_, replaces) in new.items()
            if name.endswith("t64") and name.removesuffix("t64") in old and name.removesuffix("t64") not in new
            and name.removesuffix("t64") in replaces
        }  # fmt: skip
        assert expected, "trixie's minbase has t64 libraries (libssl3t64 ...)"
        renamed = {(c.name, c.new_name) for c in report.packages if c.kind is ChangeKind.RENAMED}
        removed = {c.name for c in report.packages if c.kind is ChangeKind.REMOVED and c.ecosystem == "deb"}
        assert expected <= renamed
        assert not {old_name for old_name, _ in expected} & removed

    def test_removed_and_added_deb_packages_match_dpkg_query(
        self, pair: UpgradePair, report: UpgradeReport
    ) -> None:
        old, new = _installed(pair.old.rootfs), _installed(pair.new.rootfs)
        renamed = {c.name for c in report.packages if c.kind is ChangeKind.RENAMED}
        renamed_to = {c.new_name for c in report.packages if c.kind is ChangeKind.RENAMED}
        removed = {c.name for c in report.packages if c.kind is ChangeKind.REMOVED and c.ecosystem == "deb"}
        added = {c.name for c in report.packages if c.kind is ChangeKind.ADDED and c.ecosystem == "deb"}
        assert removed | renamed == old.keys() - new.keys()
        assert added | renamed_to == new.keys() - old.keys()

    def test_base_change(self, report: UpgradeReport) -> None:
        assert report.base.old_distro is not None
        assert report.base.old_distro.version_id == "12"
        assert report.base.new_distro is not None
        assert report.base.new_distro.version_id == "13"
        assert report.base.base_replaced


class TestPatchUpdates:
    @pytest.fixture(scope="class")
    @classmethod
    def pair(cls) -> UpgradePair:
        return patch_pair()

    def test_safe_with_patch_bumps_pip_confirms(self, pair: UpgradePair, cache: Path) -> None:
        report = _report(pair, cache)

        def pip_list(root: Path) -> dict[str, str]:
            listed = chroot_run(root, [f"{VENV}/bin/python", "-m", "pip", "list", "--format=json"]).stdout
            return {canonicalize_name(p["name"]): p["version"] for p in json.loads(listed)}

        old, new = pip_list(pair.old.rootfs), pip_list(pair.new.rootfs)
        expected = {name for name in old.keys() & new.keys() if old[name] != new[name]}
        assert expected
        for name in expected:
            before, after = Version(old[name]).release, Version(new[name]).release
            assert before[:2] == after[:2]
            assert before < after
        changes = {canonicalize_name(c.name): c for c in report.packages}
        assert set(changes) == expected
        assert all(c.kind is ChangeKind.UPGRADED and c.bump is Bump.PATCH for c in changes.values())
        chroot_run(pair.new.rootfs, [f"{VENV}/bin/python", "-m", "pip", "check"])
        assert report.verdict is Verdict.SAFE, report.reasons
        assert report.base.shared_layers == 2


class TestRemovedLibrary:
    @pytest.fixture(scope="class")
    @classmethod
    def pair(cls) -> UpgradePair:
        return whiteout_pair()

    def _ldd_expectation(self, root: Path) -> set[tuple[str, str]]:
        readelf = ensure_tool("readelf", "binutils")
        elves = sorted(
            "/" + p.relative_to(root).as_posix()
            for p in root.rglob("*")
            if p.is_file() and not p.is_symlink() and not str(p.relative_to(root)).startswith(("proc", "usr/lib/debug"))
            and p.open("rb").read(4) == b"\x7fELF"
        )  # fmt: skip
        script = 'while read -r f; do echo "==> $f"; ldd "$f" 2>&1; done'
        listing = subprocess.run(
            ["chroot", str(root), "/bin/sh", "-c", script],
            input="\n".join(elves) + "\n", capture_output=True, text=True, check=False,
        ).stdout  # fmt: skip
        expected: set[tuple[str, str]] = set()
        for block in listing.split("==> ")[1:]:
            path, _, output = block.partition("\n")
            missing = set(_LDD_NOT_FOUND.findall(output))
            if not missing:
                continue
            dynamic = subprocess.run(
                [readelf, "-d", str(root / path.lstrip("/"))], check=False, capture_output=True, text=True
            ).stdout
            direct = set(re.findall(r"\(NEEDED\)\s+Shared library: \[([^]]+)\]", dynamic))
            expected |= {(path, soname) for soname in missing & direct}
        return expected

    def test_breaking_naming_binary_and_soname(self, pair: UpgradePair, cache: Path) -> None:
        report = _report(pair, cache)
        expected = self._ldd_expectation(pair.new.rootfs)
        assert ("/usr/bin/python3.11", "libz.so.1") in expected
        assert {(u.consumer, u.soname) for u in report.abi.unresolved} == expected
        assert not self._ldd_expectation(pair.old.rootfs)
        assert report.verdict is Verdict.BREAKING
        assert any("python3.11" in r.message and "libz.so.1" in r.message for r in report.reasons)


class TestUnsatisfiedRequiresDist:
    @pytest.fixture(scope="class")
    @classmethod
    def pair(cls) -> UpgradePair:
        return requires_pair()

    def test_flags_what_pip_check_reports(self, pair: UpgradePair, cache: Path) -> None:
        report = _report(pair, cache)
        result = subprocess.run(
            ["chroot", str(pair.new.rootfs), f"{VENV}/bin/python", "-m", "pip", "check"],
            capture_output=True, text=True, check=False,
        )  # fmt: skip
        assert result.returncode == 1
        missing = set(
            re.findall(r"^(\S+) \S+ requires (\S+), which is not installed", result.stdout, re.MULTILINE)
        )
        conflicts = set(
            re.findall(r"^(\S+) \S+ has requirement (\S+), but you have", result.stdout, re.MULTILINE)
        )
        assert missing
        assert conflicts
        problems = [p for p in report.dependencies if p.ecosystem == "python" and not p.pre_existing]
        got_missing = {
            (p.package, re.split(r"[<>=!~;\[ ]", p.requirement)[0])
            for p in problems
            if p.kind is ProblemKind.MISSING
        }
        got_conflicts = {(p.package, p.requirement) for p in problems if p.kind is ProblemKind.VERSION}
        assert got_missing == missing
        assert got_conflicts == conflicts
        assert report.verdict is Verdict.BREAKING
        chroot_run(pair.old.rootfs, [f"{VENV}/bin/python", "-m", "pip", "check"])


def test_cli_formats_and_fail_on(cache: Path, tmp_path: Path) -> None:
    pair = patch_pair()
    runner = CliRunner()
    base = ["upgrade", pair.old.reference, pair.new.reference, "--cache-dir", str(cache)]
    json_run = runner.invoke(app, [*base, "-o", "json"])
    assert json_run.exit_code == 0, json_run.output
    assert json.loads(json_run.stdout)["verdict"] == "safe"
    html_file = tmp_path / "report.html"
    assert (
        runner.invoke(app, [*base, "-o", "html", "--file", str(html_file), "--fail-on", "review"]).exit_code
        == 0
    )
    page = html_file.read_text()
    assert page.startswith("<!DOCTYPE html>")
    assert "src=" not in page
    assert "href=" not in page
    broken = requires_pair()
    failing = runner.invoke(
        app,
        [
            "upgrade",
            broken.old.reference,
            broken.new.reference,
            "--cache-dir",
            str(cache),
            "-o",
            "markdown",
            "--fail-on",
            "breaking",
        ],
    )
    assert failing.exit_code == 1
    assert "certifi" in failing.stdout
    missing = runner.invoke(
        app, ["upgrade", str(tmp_path / "nope"), pair.new.reference, "--cache-dir", str(cache)]
    )
    assert missing.exit_code == 2
