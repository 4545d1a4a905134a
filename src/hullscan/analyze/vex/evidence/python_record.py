"""`python_record`: the module or file an advisory names is not among the distribution's installed files.

Checked against the distribution's RECORD (the `files` the python cataloger lists). No PyPI
record in the advisory data this project was built with (PYSEC, GHSA) names modules or files:
the check runs for records that do, in either `ecosystem_specific` or `database_specific` of the
affected entry, in one of these shapes:

* `imports: [{"path": "pkg.module"}, ...]` (the shape Go records use),
* `modules: ["pkg.module", ...]`,
* `files: ["pkg/module.py", ...]` (paths relative to site-packages).

A record without such data never gives a statement; one named module present is enough for none.
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from hullscan.analyze.vex.context import TriageContext
from hullscan.analyze.vex.evidence.common import findings_of_type, package_location, statement
from hullscan.match.db import AdvisoryDB, AffectedRecord
from hullscan.model.finding import Finding, FindingStatus
from hullscan.model.package import Package, PackageType
from hullscan.model.vex import Justification, StatementConfidence, StatementEvidence, VexStatement

PYPI = "PyPI"
_EXTENSION_SUFFIXES = (".so", ".pyd")


@dataclass(frozen=True, slots=True)
class NamedCode:
    """What a record says is vulnerable: dotted modules and site-packages-relative files."""

    modules: tuple[str, ...]
    files: tuple[str, ...]


def _strings(value: Any) -> list[str]:
    return [str(item) for item in value if isinstance(item, str) and item] if isinstance(value, list) else []


def named_code(records: Iterable[AffectedRecord]) -> NamedCode | None:
    """The modules and files the records name; None when any record names none."""
    modules: list[str] = []
    files: list[str] = []
    any_record = False
    for record in records:
        any_record = True
        found = False
        for block in (record.ecosystem_specific, record.database_specific):
            imports = block.get("imports")
            paths = (
                [i.get("path") for i in imports if isinstance(i, Mapping)]
                if isinstance(imports, list)
                else []
            )
            named = [*_strings(paths), *_strings(block.get("modules"))]
            modules += named
            files += _strings(block.get("files"))
            found = found or bool(named) or bool(_strings(block.get("files")))
        if not found:
            return None
    if not any_record:
        return None
    return NamedCode(tuple(dict.fromkeys(modules)), tuple(dict.fromkeys(files)))


def installed_relative(package: Package) -> set[str]:
    """The distribution's RECORD paths, relative to its site-packages directory."""
    site = str(package.metadata.get("site_packages") or "")
    paths: set[str] = set()
    for item in package.metadata.get("files", ()):
        path = str(item.get("path", "")) if isinstance(item, Mapping) else ""
        if path:
            paths.add(
                posixpath.relpath(path, site) if site and path.startswith(site + "/") else path.lstrip("/")
            )
    return paths


def module_installed(module: str, installed: set[str]) -> bool:
    """True when a file of the dotted module (a .py, a package dir, an extension) is installed."""
    stem = module.replace(".", "/")
    if f"{stem}.py" in installed or f"{stem}/__init__.py" in installed:
        return True
    return any(
        p.startswith(stem + "/") or (p.startswith(stem + ".") and p.endswith(_EXTENSION_SUFFIXES))
        for p in installed
    )


def _records(database: AdvisoryDB, finding: Finding) -> list[AffectedRecord]:
    wanted = set(finding.advisory_ids)
    found = database.advisories_for(PYPI, [finding.package.name])[finding.package.name]
    return [r for r in found if r.advisory_id in wanted]


def verdict(finding: Finding, code: NamedCode) -> VexStatement | None:
    """`not_affected` when nothing the record names is installed; None otherwise."""
    installed = installed_relative(finding.package)
    if not installed:
        return None
    if any(module_installed(m, installed) for m in code.modules) or any(f in installed for f in code.files):
        return None
    named = ", ".join([*code.modules, *code.files])
    evidence = StatementEvidence(
        "python-record", f"not in the installed RECORD: {named}", package_location(finding.package)
    )
    return statement(
        finding,
        FindingStatus.NOT_AFFECTED,
        (evidence,),
        confidence=StatementConfidence.HIGH,
        justification=Justification.VULNERABLE_CODE_NOT_PRESENT,
        impact="the vulnerable module is not installed with this distribution",
    )


def python_record(context: TriageContext) -> Iterator[VexStatement]:
    """Producer: PyPI findings whose record names modules or files the distribution did not install."""
    if context.database is None:
        return
    for finding in findings_of_type(context.findings, PackageType.PYTHON):
        code = named_code(_records(context.database, finding))
        if code is not None and (made := verdict(finding, code)) is not None:
            yield made
