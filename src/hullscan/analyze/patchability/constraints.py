"""Declared version ranges on installed language packages: who requires what, and does a version fit.

A constraint comes from a dependency edge of the inventory (`DEPENDS_ON`) and the range the
dependent declares for its target: a Python `Requires-Dist` line that applies at run time without
extras (evaluated with `packaging`), or an npm `dependencies` / `optionalDependencies` /
`peerDependencies` range (evaluated with node-semver semantics).

>>> from hullscan.model.package import Package, PackageType
>>> requests = Package("requests", "2.25.1", PackageType.PYTHON, "pkg:pypi/requests@2.25.1", "t", (),
...                    metadata={"requires_dist": ["idna (<3,>=2.5)"]})
>>> idna = Package("idna", "2.10", PackageType.PYTHON, "pkg:pypi/idna@2.10", "t", ())
>>> (constraint,) = declared_constraints(requests, idna)
>>> constraint.describe(), constraint.allows("2.99"), constraint.allows("3.7")
('requests 2.25.1 requires idna<3,>=2.5', True, False)
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from packaging.requirements import InvalidRequirement, Requirement
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from hullscan.analyze.upgrade.npm_range import RangeError, satisfies
from hullscan.catalog.ecosystems.python_metadata import python_version_from_path, runtime_dependencies
from hullscan.model.inventory import Inventory
from hullscan.model.package import Package, PackageType, RelationshipKind

NPM_DEPENDENCY_FIELDS = ("dependencies", "optionalDependencies", "peerDependencies")


@dataclass(frozen=True, slots=True)
class Constraint:
    """One range a dependent package declares for one of its dependencies."""

    dependent: str
    """`name version` of the package that declares the range."""
    target: str
    ecosystem: PackageType
    spec: str
    """The range as evaluated: `<3,>=2.5` (PEP 440 specifiers) or `^4.17.0` (npm)."""
    verb: str = "requires"
    """`requires` for a declared dependency, `vendors` for a copy pinned inside its host."""

    def describe(self) -> str:
        """Return `requests 2.25.1 requires idna<3,>=2.5` / `pip 23.0.1 vendors urllib3==1.26.14`."""
        joiner = "@" if self.ecosystem is PackageType.NPM else ""
        return f"{self.dependent} {self.verb} {self.target}{joiner}{self.spec}"

    def allows(self, version: str) -> bool | None:
        """Return whether `version` is inside the range; None when either cannot be evaluated."""
        if self.ecosystem is PackageType.NPM:
            try:
                return satisfies(version, self.spec)
            except RangeError:
                return None
        try:
            return SpecifierSet(self.spec).contains(Version(version), prereleases=True)
        except (InvalidSpecifier, InvalidVersion):
            return None


def constraints_by_target(inventory: Inventory) -> dict[str, list[Constraint]]:
    """Return package id -> the ranges its dependents in the image declare for it."""
    by_id = {package.id: package for package in inventory.packages}
    found: dict[str, list[Constraint]] = defaultdict(list)
    for relationship in inventory.relationships:
        if relationship.kind is RelationshipKind.DEPENDS_ON:
            dependent = by_id.get(relationship.source_id)
            target = by_id.get(relationship.target_id)
            constraints = declared_constraints(dependent, target) if dependent and target else []
        elif relationship.kind is RelationshipKind.VENDORED_IN:
            host = by_id.get(relationship.target_id)
            target = by_id.get(relationship.source_id)
            constraints = [vendoring_pin(host, target)] if host and target else []
        else:
            continue
        for constraint in constraints:
            if target is not None and constraint not in found[target.id]:
                found[target.id].append(constraint)
    return dict(found)


def vendoring_pin(host: Package, copy: Package) -> Constraint:
    """The exact pin a host package holds on a copy it vendors (`pip` vendoring `urllib3`).

    Only a release of the host that vendors a fixed copy resolves the copy's findings.
    """
    if copy.type is PackageType.NPM:
        return Constraint(_label(host), copy.name, PackageType.NPM, copy.version, "vendors")
    return Constraint(_label(host), copy.name, PackageType.PYTHON, f"=={copy.version}", "vendors")


def declared_constraints(dependent: Package, target: Package) -> list[Constraint]:
    """Return the ranges `dependent` declares for `target` (empty when it names no range)."""
    if dependent.type is not target.type:
        return []
    if dependent.type is PackageType.PYTHON:
        return _python_constraints(dependent, target)
    if dependent.type is PackageType.NPM:
        return _npm_constraints(dependent, target)
    return []


def _python_constraints(dependent: Package, target: Package) -> list[Constraint]:
    wanted = canonicalize_name(target.name)
    python_version = _python_version(dependent)
    constraints: list[Constraint] = []
    for text in _strings(dependent.metadata.get("requires_dist")):
        try:
            requirement = Requirement(text)
        except InvalidRequirement:
            continue
        if canonicalize_name(requirement.name) != wanted or requirement.url or not requirement.specifier:
            continue
        if not runtime_dependencies([text], python_version):
            continue  # an extra's or another platform's requirement
        spec = str(requirement.specifier)
        constraints.append(Constraint(_label(dependent), target.name, PackageType.PYTHON, spec))
    return constraints


def _python_version(package: Package) -> str | None:
    for location in package.locations:
        version = python_version_from_path(location.path)
        if version:
            return version
    return None


def _npm_constraints(dependent: Package, target: Package) -> list[Constraint]:
    constraints: list[Constraint] = []
    for field_name in NPM_DEPENDENCY_FIELDS:
        ranges = dependent.metadata.get(field_name)
        if not isinstance(ranges, Mapping):
            continue
        spec = ranges.get(target.name)
        if isinstance(spec, str) and spec.strip() not in ("", "*", "latest"):
            constraint = Constraint(_label(dependent), target.name, PackageType.NPM, spec.strip())
            if constraint not in constraints:
                constraints.append(constraint)
    return constraints


def _label(package: Package) -> str:
    return f"{package.name} {package.version}"


def _strings(value: object) -> Iterable[str]:
    if isinstance(value, list | tuple):
        return [item for item in value if isinstance(item, str)]
    return []
