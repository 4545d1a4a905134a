"""Dependency consistency of one image: `pip check`, `npm ls` and dpkg relation semantics.

- Python: per environment (a venv's site-packages; or all system site directories of one
  Python version), every Requires-Dist whose marker holds for that Python (extra = "") must be
  installed in the environment and its version must be in the specifier (pre-releases allowed),
  exactly like `pip check`.
- npm: every `dependencies` entry of an installed package must resolve (Node's walk up the
  `node_modules` chain) to a package whose version satisfies the range; optional and peer
  dependencies are checked only when present. Non-registry specs (git, file:, tags) are skipped.
- dpkg: Depends / Pre-Depends (alternatives, versioned Provides), Breaks and Conflicts.
"""

from __future__ import annotations

import platform as host_platform
import posixpath
import re
from collections.abc import Iterable, Sequence

from packaging.markers import InvalidMarker, UndefinedComparison, UndefinedEnvironmentName
from packaging.requirements import InvalidRequirement, Requirement
from packaging.version import InvalidVersion

from hullscan.analyze.upgrade.dpkg_status import DpkgEntry, Relation
from hullscan.analyze.upgrade.model import DependencyProblem, ProblemKind
from hullscan.analyze.upgrade.npm_range import RangeError, satisfies
from hullscan.catalog.ecosystems.npm_lockfiles import node_resolve
from hullscan.catalog.ecosystems.python_metadata import normalize_name
from hullscan.fileview.interface import FileView
from hullscan.match.versioning import InvalidVersionError, scheme_for_ecosystem
from hullscan.model.package import Package, PackageType

_VENV_SITE = re.compile(r"^(?P<prefix>.*)/lib(?:64)?/python(?P<version>\d+\.\d+)t?/(?:site|dist)-packages$")
_VERSION_IN_PATH = re.compile(r"/python(\d+\.\d+)t?/")
_GOARCH_TO_MACHINE = {"amd64": "x86_64", "arm64": "aarch64", "386": "i686", "arm": "armv7l"}
_NON_REGISTRY = ("git", "http:", "https:", "file:", "link:", "workspace:", "github:", "portal:", "patch:")
_DPKG = scheme_for_ecosystem("deb")


# Python ------------------------------------------------------------------------------------


def _environment_key(view: FileView, site: str, default_python: str | None) -> tuple[str, str | None]:
    """Return (environment id, Python X.Y) for a site directory."""
    found = _VENV_SITE.match(site)
    if found is not None and view.get(f"{found.group('prefix')}/pyvenv.cfg") is not None:
        return f"venv:{found.group('prefix')}", found.group("version")
    version_match = _VERSION_IN_PATH.search(site + "/")
    version = version_match.group(1) if version_match else default_python
    return f"system:{version}", version


def _marker_environment(version: str | None, machine: str) -> dict[str, str]:
    python = version or "3"
    return {
        "python_version": python,
        "python_full_version": f"{python}.0",
        "implementation_name": "cpython",
        "platform_python_implementation": "CPython",
        "implementation_version": f"{python}.0",
        "sys_platform": "linux",
        "platform_system": "Linux",
        "os_name": "posix",
        "platform_machine": machine,
        "platform_release": "",
        "platform_version": "",
        "extra": "",
    }


def _requirement_problem(
    package: Package, text: str, installed: dict[str, Package], environment: dict[str, str]
) -> DependencyProblem | None:
    try:
        requirement = Requirement(text)
        if requirement.marker is not None and not requirement.marker.evaluate(environment):
            return None
    except (InvalidRequirement, InvalidMarker, UndefinedComparison, UndefinedEnvironmentName):
        return None
    site = str(package.metadata.get("site_packages", ""))
    target = installed.get(normalize_name(requirement.name))
    text = str(requirement)
    if target is None:
        return DependencyProblem(
            "python", package.name, package.version, text, ProblemKind.MISSING, location=site
        )
    try:
        ok = requirement.specifier.contains(target.version, prereleases=True)
    except InvalidVersion:
        ok = True
    if ok:
        return None
    found = f"{target.name} {target.version}"
    return DependencyProblem("python", package.name, package.version, text, ProblemKind.VERSION, found, site)


def python_problems(
    view: FileView, packages: Sequence[Package], default_python: str | None, architecture: str | None
) -> list[DependencyProblem]:
    """Return `pip check` problems per Python environment of the image."""
    machine = _GOARCH_TO_MACHINE.get(architecture or "", architecture or host_platform.machine())
    environments: dict[str, tuple[str | None, list[Package]]] = {}
    for package in packages:
        if (
            package.type is not PackageType.PYTHON
            or package.metadata.get("kind") != "installed"
            or not package.visible
        ):
            continue
        site = str(package.metadata.get("site_packages", ""))
        key, version = _environment_key(view, site, default_python)
        environments.setdefault(key, (version, []))[1].append(package)
    problems: list[DependencyProblem] = []
    for key in sorted(environments):
        version, members = environments[key]
        installed: dict[str, Package] = {}
        for member in sorted(members, key=lambda p: p.locations[0].path if p.locations else ""):
            installed.setdefault(normalize_name(member.name), member)
        environment = _marker_environment(version, machine)
        for member in installed.values():
            for text in member.metadata.get("requires_dist", ()):
                problem = _requirement_problem(member, str(text), installed, environment)
                if problem is not None:
                    problems.append(problem)
    return problems


# npm ---------------------------------------------------------------------------------------


def _npm_spec(spec: str) -> tuple[str | None, str] | None:
    """Return (aliased name or None, range) for a registry spec; None for git/file/tag specs."""
    text = spec.strip()
    if text.startswith("npm:"):
        name, _, rest = text[4:].rpartition("@")
        return (name or rest, rest if name else "*")
    if text.startswith(_NON_REGISTRY) or "/" in text:
        return None
    return None, text


def _npm_problem(
    package: Package, dependency: str, spec: str, field: str, by_dir: dict[str, Package]
) -> DependencyProblem | None:
    parsed = _npm_spec(spec)
    if parsed is None:
        return None
    alias, range_text = parsed
    package_dir = str(package.metadata.get("path", ""))
    found_dir = node_resolve(package_dir, dependency, by_dir.__contains__)
    requirement = f"{dependency}@{spec}"
    if found_dir is None:
        if field != "dependencies":
            return None
        return DependencyProblem(
            "npm", package.name, package.version, requirement, ProblemKind.MISSING, location=package_dir
        )
    target = by_dir[found_dir]
    try:
        ok = satisfies(target.version, range_text) and (alias is None or target.name == alias)
    except RangeError:
        return None
    if ok:
        return None
    found = f"{target.name} {target.version}"
    return DependencyProblem(
        "npm", package.name, package.version, requirement, ProblemKind.VERSION, found, package_dir
    )


def npm_problems(packages: Sequence[Package]) -> list[DependencyProblem]:
    """Return `npm ls`-style missing and invalid dependencies of installed node_modules trees."""
    installed = [
        p
        for p in packages
        if p.type is PackageType.NPM
        and p.metadata.get("kind") == "installed"
        and not p.metadata.get("os_owned_path")
    ]
    by_dir = {str(p.metadata.get("path")): p for p in installed}
    problems: list[DependencyProblem] = []
    for package in sorted(installed, key=lambda p: str(p.metadata.get("path"))):
        for field in ("dependencies", "optionalDependencies", "peerDependencies"):
            specs = package.metadata.get(field) or {}
            for dependency in sorted(specs):
                problem = _npm_problem(package, dependency, str(specs[dependency]), field, by_dir)
                if problem is not None:
                    problems.append(problem)
    return problems


# dpkg --------------------------------------------------------------------------------------


def _version_ok(installed: str | None, relation: Relation) -> bool:
    if relation.op is None or relation.version is None:
        return True
    if installed is None:
        return False
    try:
        result = _DPKG.compare(installed, relation.version)
    except InvalidVersionError:
        return True
    return {"<<": result < 0, "<=": result <= 0, "=": result == 0, ">=": result >= 0, ">>": result > 0}[
        relation.op
    ]


class _Installed:
    """Installed packages and virtual packages by name."""

    def __init__(self, entries: Iterable[DpkgEntry]) -> None:
        self.real: dict[str, list[DpkgEntry]] = {}
        self.virtual: dict[str, list[tuple[DpkgEntry, str | None]]] = {}
        for entry in entries:
            self.real.setdefault(entry.name, []).append(entry)
            for provided in entry.provides:
                self.virtual.setdefault(provided.name, []).append((entry, provided.version))

    def satisfiers(self, relation: Relation) -> list[DpkgEntry]:
        found = [e for e in self.real.get(relation.name, []) if _version_ok(e.version, relation)]
        for entry, version in self.virtual.get(relation.name, []):
            if relation.op is None or (version is not None and _version_ok(version, relation)):
                found.append(entry)
        return found

    def any_named(self, name: str) -> str | None:
        real = self.real.get(name)
        if real:
            return f"{real[0].name} {real[0].version}"
        virtual = self.virtual.get(name)
        return f"{virtual[0][0].name} {virtual[0][0].version}" if virtual else None


def _depends_problems(entry: DpkgEntry, installed: _Installed) -> list[DependencyProblem]:
    problems: list[DependencyProblem] = []
    for group in (*entry.pre_depends, *entry.depends):
        if any(installed.satisfiers(relation) for relation in group):
            continue
        text = " | ".join(r.text for r in group)
        found = next((f for f in (installed.any_named(r.name) for r in group) if f), None)
        kind = ProblemKind.VERSION if found else ProblemKind.MISSING
        problems.append(DependencyProblem("deb", entry.name, entry.version, text, kind, found))
    return problems


def _negative_problems(entry: DpkgEntry, installed: _Installed) -> list[DependencyProblem]:
    problems: list[DependencyProblem] = []
    for kind, relations in ((ProblemKind.BREAKS, entry.breaks), (ProblemKind.CONFLICTS, entry.conflicts)):
        for relation in relations:
            for hit in installed.satisfiers(relation):
                if hit.name == entry.name:
                    continue
                found = f"{hit.name} {hit.version}"
                problems.append(
                    DependencyProblem("deb", entry.name, entry.version, relation.text, kind, found)
                )
    return problems


def dpkg_problems(entries: Sequence[DpkgEntry]) -> list[DependencyProblem]:
    """Return unmet Depends/Pre-Depends and active Breaks/Conflicts among installed packages."""
    installed = _Installed(entries)
    problems: list[DependencyProblem] = []
    for entry in sorted(entries, key=lambda e: (e.name, e.architecture)):
        problems.extend(_depends_problems(entry, installed))
        problems.extend(_negative_problems(entry, installed))
    return list(dict.fromkeys(problems))


def mark_pre_existing(
    new: Sequence[DependencyProblem], old: Sequence[DependencyProblem]
) -> list[DependencyProblem]:
    """Return NEW's problems, flagging those OLD had too (same package, requirement and kind)."""
    before = {(p.ecosystem, p.package, p.requirement, p.kind, p.location) for p in old}
    marked: list[DependencyProblem] = []
    for problem in new:
        key = (problem.ecosystem, problem.package, problem.requirement, problem.kind, problem.location)
        if key in before:
            problem = DependencyProblem(  # noqa: PLW2901 - rebuilt with the flag
                problem.ecosystem, problem.package, problem.version, problem.requirement,
                problem.kind, problem.found, problem.location, pre_existing=True,
            )  # fmt: skip
        marked.append(problem)
    return marked


def site_dir_of(package: Package) -> str:
    """Return a Python package's site directory (for display)."""
    return posixpath.dirname(package.locations[0].path) if package.locations else ""
