"""python_record over a real installed distribution's RECORD (read with importlib.metadata)."""

from __future__ import annotations

import importlib.metadata

from hullscan.analyze.vex.evidence.python_record import (
    installed_relative,
    module_installed,
    named_code,
    verdict,
)
from hullscan.match.db import AffectedRecord
from hullscan.model.finding import FindingStatus
from hullscan.model.package import PackageType
from hullscan.model.vex import Justification

from .helpers import finding, package


def _packaging() -> tuple[str, list[str]]:
    dist = importlib.metadata.distribution("packaging")
    site = str(dist.locate_file(""))
    return site, [str(dist.locate_file(f)) for f in dist.files or ()]


def _pkg() -> object:
    site, files = _packaging()
    return package(
        "packaging", importlib.metadata.version("packaging"), PackageType.PYTHON,
        metadata={"site_packages": site, "files": [{"path": f} for f in files]},
    )  # fmt: skip


def _record(**specific: object) -> AffectedRecord:
    return AffectedRecord(
        "PYSEC-TEST", "PyPI", "PyPI", "", "packaging", "packaging", None, (), (), None, (),
        ecosystem_specific=specific,
    )  # fmt: skip


def test_modules_from_the_real_record_are_found() -> None:
    pkg = _pkg()
    installed = installed_relative(pkg)  # type: ignore[arg-type]
    assert "packaging/version.py" in installed
    assert module_installed("packaging.version", installed)
    assert module_installed("packaging", installed)
    assert not module_installed("packaging.not_there", installed)
    assert not module_installed("packagingx", installed)


def test_absent_module_gives_not_affected_and_present_gives_nothing() -> None:
    pkg = _pkg()
    absent = named_code([_record(imports=[{"path": "packaging.not_there"}])])
    assert absent is not None
    made = verdict(finding("CVE-0000-0001", pkg), absent)  # type: ignore[arg-type]
    assert made is not None
    assert made.status is FindingStatus.NOT_AFFECTED
    assert made.justification is Justification.VULNERABLE_CODE_NOT_PRESENT
    present = named_code([_record(modules=["packaging.version"], files=["packaging/nope.py"])])
    assert present is not None
    assert verdict(finding("CVE-0000-0001", pkg), present) is None  # type: ignore[arg-type]


def test_records_without_module_data_never_qualify() -> None:
    assert named_code([_record()]) is None
    assert named_code([]) is None
    assert named_code([_record(modules=["a"]), _record()]) is None
