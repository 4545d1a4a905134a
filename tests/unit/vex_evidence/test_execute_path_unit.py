"""execute_path pieces that need no image: npm dev-only packages, Python argv, interpreter kinds."""

from __future__ import annotations

from hullscan.analyze.vex.evidence.execute_path import npm_dev_only
from hullscan.analyze.vex.evidence.python_imports import parse_python_args
from hullscan.analyze.vex.evidence.reachability import interpreter_kind
from hullscan.model.package import PackageType
from hullscan.model.vex import Justification, StatementConfidence

from .helpers import context, finding, package


def test_dev_only_npm_packages_are_low_confidence_not_in_execute_path() -> None:
    dev = package("mocha", "10.0.0", PackageType.NPM, metadata={"dev": True})
    runtime = package("lodash", "4.17.15", PackageType.NPM, metadata={"dev": False})
    unknown = package("minimist", "1.2.0", PackageType.NPM)
    findings = [finding("CVE-1", dev), finding("CVE-2", runtime), finding("CVE-3", unknown)]
    made = list(npm_dev_only(context(findings)))
    assert [s.product for s in made] == [dev.purl]
    assert made[0].confidence is StatementConfidence.LOW
    assert made[0].justification is Justification.VULNERABLE_CODE_NOT_IN_EXECUTE_PATH


def test_python_argv_and_interpreters() -> None:
    assert parse_python_args([]) is None
    assert parse_python_args(["-u"]) is None
    start = parse_python_args(["-u", "-W", "ignore", "/app/main.py", "--port", "1"])
    assert start is not None
    assert start.path == "/app/main.py"
    module = parse_python_args(["-m", "http.server"])
    assert module is not None
    assert module.module == "http.server"
    assert interpreter_kind("/usr/bin/python3.11") == "python"
    assert interpreter_kind("/bin/dash") == "shell"
    assert interpreter_kind("/usr/bin/node") == "node"
    assert interpreter_kind("/usr/local/bin/app") == "elf"
