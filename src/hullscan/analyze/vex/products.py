"""Which packages a statement's product names: purl identity, image repositories, version ranges.

A product is a package purl (its version optional: without one, every version) or `image:REPO`
(every package of that image repository, or only `subcomponent` when one is given). Qualifiers the
statement gives must match the package's; qualifiers it omits (arch, distro) match anything.

A Debian or RPM purl naming a *source* package covers every binary package built from it, as
distributions publish their advisories and VEX: `pkg:deb/debian/openssl@3.0.11-1~deb12u2` covers
`libssl3` and `openssl` of that source version, and version ranges then compare source versions.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import PurePath

from packageurl import PackageURL

from hullscan.match.versioning import InvalidVersionError, UnknownEcosystemError, scheme_for_ecosystem
from hullscan.model.image import ImageDescription
from hullscan.model.package import Package
from hullscan.model.vex import VexStatement

IMAGE_PREFIX = "image:"
_COMPARATOR = re.compile(r"^\s*(>=|<=|==|!=|>|<|=)?\s*(\S+)\s*$")


@dataclass(frozen=True, slots=True)
class Applicability:
    """Whether a statement covers a package, and why not when it cannot tell."""

    applies: bool
    problem: str | None = None
    """Set when the statement could not be evaluated (bad purl, bad range): a warning to show."""


def parse_purl(text: str) -> PackageURL | None:
    """Parse a purl, or None when `text` is not one."""
    try:
        return PackageURL.from_string(text)
    except ValueError:
        return None


def is_image_product(product: str) -> bool:
    """True for `image:REPO` products."""
    return product.startswith(IMAGE_PREFIX)


def image_repository(description: ImageDescription | None, override: str | None = None) -> str | None:
    """The repository an image belongs to, as `image:REPO` statements name it.

    `override` wins; a registry reference gives `HOST/REPO`; a docker-archive its first repo tag
    without the tag; an OCI layout (`oci:DIR[:TAG]`, a repository whose tags are versions) its full
    image name when its index records one, else the layout directory's name; a root directory its name.
    """
    if override:
        return override.removeprefix(IMAGE_PREFIX)
    if description is None:
        return None
    if description.source_kind == "registry":
        from hullscan.source.registry import parse_registry_reference  # noqa: PLC0415 - registry code on demand

        return parse_registry_reference(description.reference).name
    full_names = [tag for tag in description.repo_tags if "/" in tag]
    if description.source_kind == "docker-archive" and description.repo_tags:
        full_names = [description.repo_tags[0]]
    if full_names:
        return _strip_tag(full_names[0])
    return _directory_name(description.reference)


def _directory_name(reference: str) -> str | None:
    """`oci:DIR[:TAG]` or `dir:ROOT` -> the directory's name."""
    kind, _, rest = reference.partition(":")
    if kind not in {"oci", "oci-dir", "dir"} or not rest:
        return None
    path = rest if kind == "dir" else _strip_selector(rest)
    return PurePath(path).name or None


def _strip_tag(reference: str) -> str:
    name = reference.split("@", 1)[0]
    slash = name.rfind("/")
    colon = name.rfind(":")
    return name[:colon] if colon > slash else name


def _strip_selector(rest: str) -> str:
    """`DIR[:TAG]` -> DIR (a colon after the last slash starts the tag)."""
    slash = rest.rfind("/")
    colon = rest.rfind(":")
    return rest[:colon] if colon > slash else rest


def same_package(wanted: str, actual: str | None) -> Applicability:
    """Tell whether purl `wanted` (version and qualifiers optional) names the package `actual`."""
    want = parse_purl(wanted)
    if want is None:
        return Applicability(applies=False, problem=f"product {wanted!r} is not a purl")
    have = parse_purl(actual) if actual else None
    if have is None:
        return Applicability(applies=False)
    if (want.type, (want.namespace or "").lower(), want.name.lower()) != (
        have.type,
        (have.namespace or "").lower(),
        have.name.lower(),
    ):
        return Applicability(applies=False)
    if want.version and want.version != have.version:
        return Applicability(applies=False)
    return Applicability(applies=_qualifiers_match(want, have))


def _qualifiers_match(want: PackageURL, have: PackageURL) -> bool:
    """Tell whether every qualifier `want` gives has the same value in `have`."""
    qualifiers = have.qualifiers if isinstance(have.qualifiers, dict) else {}
    wanted_qualifiers = want.qualifiers if isinstance(want.qualifiers, dict) else {}
    return all(qualifiers.get(key) == value for key, value in wanted_qualifiers.items())


def in_version_range(version_range: str, package: Package, version: str | None = None) -> Applicability:
    """Tell whether the version is inside `version_range` (`<2.0`, `>=1.2,<1.3`), in the ecosystem's order.

    `version` overrides the package's own (a source package's version).
    """
    version = version or package.version
    purl = parse_purl(package.purl) if package.purl else None
    ecosystem = f"pkg:{purl.type}" if purl else f"pkg:{package.type.value}"
    try:
        scheme = scheme_for_ecosystem(ecosystem)
    except UnknownEcosystemError:
        return Applicability(applies=False, problem=f"no version order known for {ecosystem}")
    for part in version_range.split(","):
        found = _COMPARATOR.match(part)
        if found is None:
            return Applicability(applies=False, problem=f"bad version range {version_range!r}")
        operator, bound = found.group(1) or "==", found.group(2)
        try:
            order = scheme.compare(version, bound)
        except InvalidVersionError as error:
            return Applicability(applies=False, problem=f"version range {version_range!r}: {error.message}")
        if not _holds(operator, order):
            return Applicability(applies=False)
    return Applicability(applies=True)


def _holds(operator: str, order: int) -> bool:
    return {
        ">=": order >= 0,
        "<=": order <= 0,
        ">": order > 0,
        "<": order < 0,
        "!=": order != 0,
    }.get(operator, order == 0)


def applies_to(statement: VexStatement, package: Package, repository: str | None) -> Applicability:
    """Tell whether `statement` covers `package` in an image of `repository` (None: not an image)."""
    if is_image_product(statement.product):
        if repository is None or statement.product.removeprefix(IMAGE_PREFIX) != repository:
            return Applicability(applies=False)
        if statement.subcomponent:
            found = same_package(statement.subcomponent, package.purl)
            if not found.applies:
                return found
    else:
        found = same_package(statement.product, package.purl)
        if not found.applies and found.problem is None and from_source(statement.product, package):
            return _source_version_in_range(statement, package)
        if not found.applies:
            return found
    if statement.version_range:
        return in_version_range(statement.version_range, package)
    return Applicability(applies=True)


_SOURCE_PACKAGE_TYPES = {"deb", "rpm"}


def from_source(wanted: str, package: Package) -> bool:
    """Tell whether purl `wanted` names the source package `package` was built from.

    Type, namespace and the qualifiers `wanted` gives must match the binary's purl; its version,
    when given, is the source version.
    """
    want, have = parse_purl(wanted), parse_purl(package.purl) if package.purl else None
    if want is None or have is None or want.type not in _SOURCE_PACKAGE_TYPES or not package.source_name:
        return False
    if (want.type, (want.namespace or "").lower(), want.name.lower()) != (
        have.type,
        (have.namespace or "").lower(),
        package.source_name.lower(),
    ):
        return False
    if want.version and want.version != (package.source_version or package.version):
        return False
    return _qualifiers_match(want, have)


def _source_version_in_range(statement: VexStatement, package: Package) -> Applicability:
    if not statement.version_range:
        return Applicability(applies=True)
    return in_version_range(statement.version_range, package, package.source_version or package.version)


def valid_product(product: str) -> bool:
    """True for `image:REPO` with a non-empty REPO, or a parseable purl."""
    if is_image_product(product):
        return bool(product.removeprefix(IMAGE_PREFIX).strip())
    return parse_purl(product) is not None
