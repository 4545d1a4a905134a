"""`execute_path`: low-confidence `vulnerable_code_not_in_execute_path` from what the entrypoint reaches.

* OS packages whose ELF files are all shared libraries, none of which the entrypoint's
  DT_NEEDED closure loads (see `reachability`); packages shipping programs are left alone
  (something may run them).
* npm packages installed only as devDependencies (`metadata["dev"]` from the lockfile).
* Python distributions none of whose modules the entry script's static import graph reaches
  (see `python_imports`), when the entry runs a script or module.

All LOW confidence: dlopen by computed names, plugins and subprocesses are invisible here; the
default policy does not let LOW statements suppress.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from hullscan.analyze.vex.context import TriageContext
from hullscan.analyze.vex.evidence.common import findings_of_type, package_location, statement
from hullscan.analyze.vex.evidence.python_imports import import_graph, stdlib_directories
from hullscan.analyze.vex.evidence.reachability import Reachability, reachable_objects
from hullscan.fileview.interface import FileView
from hullscan.model.files import FileKind
from hullscan.model.finding import Finding, FindingStatus
from hullscan.model.package import Package, PackageType
from hullscan.model.vex import Justification, StatementConfidence, StatementEvidence, VexStatement

_LIBRARY_TYPE = "ET_DYN"


def _not_in_path(finding: Finding, evidence: StatementEvidence, impact: str) -> VexStatement:
    return statement(
        finding,
        FindingStatus.NOT_AFFECTED,
        (evidence,),
        confidence=StatementConfidence.LOW,
        justification=Justification.VULNERABLE_CODE_NOT_IN_EXECUTE_PATH,
        impact=impact,
    )


def package_files(package: Package) -> list[str]:
    """The paths a package owns (dpkg lists, RECORD entries)."""
    return [
        str(i["path"]) for i in package.metadata.get("files", ()) if isinstance(i, Mapping) and i.get("path")
    ]


def _elf_files(view: FileView, package: Package) -> list[tuple[str, dict[str, Any]]]:
    """The ELF objects a package's paths lead to (real paths, links followed, each once)."""
    found: dict[str, dict[str, Any]] = {}
    for path in package_files(package):
        record = view.resolve(path)
        if record is None or record.kind is not FileKind.FILE or record.path in found:
            continue
        summary = view.analysis(record.path, "elf")
        if isinstance(summary, dict):
            found[record.path] = summary
    return list(found.items())


def _is_library(path: str, summary: Mapping[str, Any]) -> bool:
    return summary.get("type") == _LIBRARY_TYPE and not summary.get("interpreter") and ".so" in path


def unreached_libraries(view: FileView, package: Package, reach: Reachability) -> list[str] | None:
    """The package's shared libraries when it ships only libraries and none is reachable; else None."""
    elves = _elf_files(view, package)
    if not elves or not all(_is_library(path, summary) for path, summary in elves):
        return None
    if any(path in reach.reachable for path, _ in elves):
        return None
    return [path for path, _ in elves]


def _library_statements(context: TriageContext, reach: Reachability) -> Iterator[VexStatement]:
    assert context.view is not None  # noqa: S101 - checked by the caller
    cache: dict[str, list[str] | None] = {}
    for finding in findings_of_type(context.findings, PackageType.DEB):
        package = finding.package
        if package.id not in cache:
            cache[package.id] = unreached_libraries(context.view, package, reach)
        libraries = cache[package.id]
        if libraries:
            detail = (
                f"no ELF object loaded from the entrypoint {reach.entry} ({len(reach.reachable)} objects in "
                f"its DT_NEEDED closure) loads {', '.join(libraries[:5])}"
            )
            yield _not_in_path(
                finding,
                StatementEvidence("elf-reachability", detail, package_location(package)),
                "the package's shared libraries are not loaded by the image's entrypoint",
            )


def npm_dev_only(context: TriageContext) -> Iterator[VexStatement]:
    """Npm findings on packages the lockfile marks as devDependencies only."""
    for finding in findings_of_type(context.findings, PackageType.NPM):
        if finding.package.metadata.get("dev") is True:
            evidence = StatementEvidence(
                "npm-dev-only", "installed only as a devDependency (lockfile `dev: true`)",
                package_location(finding.package),
            )  # fmt: skip
            yield _not_in_path(finding, evidence, "a development-only dependency, not used at run time")


def _python_statements(context: TriageContext, reach: Reachability) -> Iterator[VexStatement]:
    assert context.view is not None  # noqa: S101 - checked by the caller
    findings = [f for f in findings_of_type(context.findings, PackageType.PYTHON) if package_files(f.package)]
    if not findings:
        return
    site_dirs = sorted({str(p.metadata["site_packages"]) for p in context.inventory.packages
                        if p.type is PackageType.PYTHON and p.metadata.get("site_packages")})  # fmt: skip
    graph = import_graph(
        context.view, reach.arguments, site_dirs, stdlib_directories(context.view, reach.entry)
    )
    if graph is None:
        return
    for finding in findings:
        modules = [p for p in package_files(finding.package) if p.endswith((".py", ".so"))]
        if modules and not any(
            context.view.resolve(p) and _real(context.view, p) in graph.reached for p in modules
        ):
            start = reach.script or " ".join(reach.arguments)
            detail = (
                f"none of its {len(modules)} module files is imported by the entry "
                f"({len(graph.reached)} files in the static import graph of {start})"
            )
            if graph.dynamic_sites:
                sites = ", ".join(graph.dynamic_sites[:3])
                detail += f"; imports by computed names not followed ({len(graph.dynamic_sites)}: {sites})"
            yield _not_in_path(
                finding,
                StatementEvidence("python-imports", detail, package_location(finding.package)),
                "the distribution is not imported by the image's entrypoint",
            )


def _real(view: FileView, path: str) -> str:
    record = view.resolve(path)
    return record.path if record is not None else path


def execute_path(context: TriageContext) -> Iterator[VexStatement]:
    """Producer: LOW-confidence not-in-execute-path statements (libraries, npm dev, Python imports)."""
    yield from npm_dev_only(context)
    if context.view is None:
        return
    reach = reachable_objects(context.view, context.inventory.image.config)
    if reach is None:
        return
    yield from _library_statements(context, reach)
    if reach.interpreter_kind == "python":
        yield from _python_statements(context, reach)


__all__ = ["execute_path", "npm_dev_only", "package_files", "unreached_libraries"]
