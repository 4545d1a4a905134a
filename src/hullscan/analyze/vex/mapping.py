"""Spelling statements in VEX formats: image products, version ranges, CycloneDX vocabularies.

Image products are `pkg:oci` purls, version ranges a purl `vers` qualifier, and the CycloneDX
states and justifications map to OpenVEX's (status, justification).
"""

from __future__ import annotations

from packageurl import PackageURL

from hullscan.analyze.vex.products import IMAGE_PREFIX, is_image_product, parse_purl
from hullscan.model.finding import FindingStatus
from hullscan.model.vex import Justification, VexStatement

VERS_QUALIFIER = "vers"

CDX_STATE_OF: dict[FindingStatus, str] = {
    FindingStatus.NOT_AFFECTED: "not_affected",
    FindingStatus.AFFECTED: "exploitable",
    FindingStatus.FIXED: "resolved",
    FindingStatus.UNDER_INVESTIGATION: "in_triage",
}
STATUS_OF_CDX_STATE: dict[str, FindingStatus] = {
    "not_affected": FindingStatus.NOT_AFFECTED,
    "false_positive": FindingStatus.NOT_AFFECTED,
    "exploitable": FindingStatus.AFFECTED,
    "resolved": FindingStatus.FIXED,
    "resolved_with_pedigree": FindingStatus.FIXED,
    "in_triage": FindingStatus.UNDER_INVESTIGATION,
}
CDX_JUSTIFICATION_OF: dict[Justification, str] = {
    Justification.COMPONENT_NOT_PRESENT: "code_not_present",
    Justification.VULNERABLE_CODE_NOT_PRESENT: "code_not_present",
    Justification.VULNERABLE_CODE_NOT_IN_EXECUTE_PATH: "code_not_reachable",
    Justification.VULNERABLE_CODE_CANNOT_BE_CONTROLLED_BY_ADVERSARY: "requires_environment",
    Justification.INLINE_MITIGATIONS_ALREADY_EXIST: "protected_by_mitigating_control",
}
"""OpenVEX -> CycloneDX (lossy; hullscan also writes the exact value as a property)."""
JUSTIFICATION_OF_CDX: dict[str, Justification] = {
    "code_not_present": Justification.VULNERABLE_CODE_NOT_PRESENT,
    "code_not_reachable": Justification.VULNERABLE_CODE_NOT_IN_EXECUTE_PATH,
    "requires_configuration": Justification.VULNERABLE_CODE_CANNOT_BE_CONTROLLED_BY_ADVERSARY,
    "requires_dependency": Justification.VULNERABLE_CODE_CANNOT_BE_CONTROLLED_BY_ADVERSARY,
    "requires_environment": Justification.VULNERABLE_CODE_CANNOT_BE_CONTROLLED_BY_ADVERSARY,
    "protected_by_compiler": Justification.INLINE_MITIGATIONS_ALREADY_EXIST,
    "protected_at_runtime": Justification.INLINE_MITIGATIONS_ALREADY_EXIST,
    "protected_at_perimeter": Justification.INLINE_MITIGATIONS_ALREADY_EXIST,
    "protected_by_mitigating_control": Justification.INLINE_MITIGATIONS_ALREADY_EXIST,
}
HULLSCAN_PROPERTY = "hullscan:vex:"
"""Prefix of the CycloneDX properties that carry what the CycloneDX vocabulary cannot."""


def image_purl(product: str) -> str:
    """`image:REPO` -> `pkg:oci/NAME?repository_url=REPO` (NAME: the last path part, lower case)."""
    repository = product.removeprefix(IMAGE_PREFIX)
    name = repository.rstrip("/").rsplit("/", 1)[-1].lower() or "image"
    return str(PackageURL(type="oci", name=name, qualifiers={"repository_url": repository}).to_string())


def product_from_purl(text: str) -> tuple[str, str | None] | None:
    """A purl from a document -> (product, version_range), `pkg:oci` as `image:REPO`; None if no purl."""
    purl = parse_purl(text)
    if purl is None:
        return None
    qualifiers = dict(purl.qualifiers) if isinstance(purl.qualifiers, dict) else {}
    if purl.type == "oci":
        return IMAGE_PREFIX + (qualifiers.get("repository_url") or purl.name), None
    vers = qualifiers.pop(VERS_QUALIFIER, None)
    cleaned = PackageURL(
        type=purl.type,
        namespace=purl.namespace,
        name=purl.name,
        version=purl.version,
        qualifiers=qualifiers or None,
        subpath=purl.subpath,
    ).to_string()
    return str(cleaned), range_from_vers(vers) if vers else None


def range_from_vers(vers: str) -> str:
    """`vers:deb/>=1.2|<1.3` -> `>=1.2,<1.3`."""
    constraints = vers.split("/", 1)[1] if "/" in vers else vers
    return ",".join(part.strip() for part in constraints.split("|") if part.strip())


def statement_purls(statement: VexStatement) -> tuple[str, str | None]:
    """(product purl, subcomponent purl) for writing a statement; ranges go into a `vers` qualifier."""
    if is_image_product(statement.product):
        sub = statement.subcomponent
        return image_purl(statement.product), _with_range(sub, statement.version_range) if sub else None
    return _with_range(statement.product, statement.version_range), None


def _with_range(purl_text: str, version_range: str | None) -> str:
    if not version_range:
        return purl_text
    purl = parse_purl(purl_text)
    if purl is None:
        return purl_text
    qualifiers = dict(purl.qualifiers) if isinstance(purl.qualifiers, dict) else {}
    constraints = "|".join(part.strip() for part in version_range.split(","))
    qualifiers[VERS_QUALIFIER] = f"vers:{purl.type}/{constraints}"
    return str(
        PackageURL(
            type=purl.type,
            namespace=purl.namespace,
            name=purl.name,
            version=purl.version,
            qualifiers=qualifiers,
            subpath=purl.subpath,
        ).to_string()
    )
