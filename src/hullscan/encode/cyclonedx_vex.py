"""CycloneDX 1.6 VEX: `vulnerabilities[].analysis` over the affected components, via cyclonedx-python-lib.

Package products become library components (bom-ref = purl); image products become container
components with the package nested inside. The exact OpenVEX justification, author and time ride
along as `hullscan:vex:*` properties, since CycloneDX's justification vocabulary differs.
"""

from __future__ import annotations

from collections.abc import Sequence

from cyclonedx.model import Property
from cyclonedx.model.bom import Bom
from cyclonedx.model.component import Component, ComponentType
from cyclonedx.model.impact_analysis import ImpactAnalysisJustification, ImpactAnalysisState
from cyclonedx.model.vulnerability import BomTarget, Vulnerability, VulnerabilityAnalysis
from cyclonedx.output.json import JsonV1Dot6
from packageurl import PackageURL

from hullscan.analyze.vex.mapping import (
    CDX_JUSTIFICATION_OF,
    CDX_STATE_OF,
    HULLSCAN_PROPERTY,
    statement_purls,
)
from hullscan.encode.vex_common import as_datetime, latest_per_target
from hullscan.model.finding import FindingStatus
from hullscan.model.vex import VexStatement


def encode(statements: Sequence[VexStatement], *, author: str, timestamp: str) -> str:
    """CycloneDX 1.6 JSON text holding one vulnerability entry per statement."""
    bom = Bom()
    moment = as_datetime(timestamp)
    if moment is not None:
        bom.metadata.timestamp = moment
    components = _Components(bom)
    for statement in latest_per_target(statements):
        ref = components.ref_for(statement)
        bom.vulnerabilities.add(_vulnerability(statement, ref, author))
    return str(JsonV1Dot6(bom).output_as_string(indent=2)) + "\n"


class _Components:
    """Adds each product's components once and hands out their bom-refs."""

    def __init__(self, bom: Bom) -> None:
        self._bom = bom
        self._images: dict[str, Component] = {}
        self._refs: set[str] = set()

    def ref_for(self, statement: VexStatement) -> str:
        product, subcomponent = statement_purls(statement)
        if subcomponent is None:
            return self._add(product, None)
        image = self._images.get(product)
        if image is None:
            image = _component(product, product, ComponentType.CONTAINER)
            self._bom.components.add(image)
            self._images[product] = image
            self._refs.add(product)
        return self._add(f"{product}#{subcomponent}", subcomponent, image)

    def _add(self, ref: str, purl: str | None, parent: Component | None = None) -> str:
        if ref not in self._refs:
            kind = ComponentType.CONTAINER if ref.startswith("pkg:oci/") else ComponentType.LIBRARY
            component = _component(ref, purl or ref, kind)
            (parent.components if parent else self._bom.components).add(component)
            self._refs.add(ref)
        return ref


def _component(ref: str, purl_text: str, kind: ComponentType) -> Component:
    purl = PackageURL.from_string(purl_text)
    return Component(name=purl.name, version=purl.version, type=kind, purl=purl, bom_ref=ref)


def _vulnerability(statement: VexStatement, ref: str, author: str) -> Vulnerability:
    justification = None
    if statement.status is FindingStatus.NOT_AFFECTED and statement.justification is not None:
        justification = ImpactAnalysisJustification(CDX_JUSTIFICATION_OF[statement.justification])
    detail = statement.impact_statement if statement.status is FindingStatus.NOT_AFFECTED else None
    properties = [
        Property(name=f"{HULLSCAN_PROPERTY}author", value=statement.author or author),
        Property(name=f"{HULLSCAN_PROPERTY}timestamp", value=statement.timestamp),
        Property(name=f"{HULLSCAN_PROPERTY}source", value=statement.source),
    ]
    if statement.justification is not None:
        properties.append(
            Property(name=f"{HULLSCAN_PROPERTY}justification", value=statement.justification.value)
        )
    if statement.statement_id:
        properties.append(Property(name=f"{HULLSCAN_PROPERTY}statement", value=statement.statement_id))
    return Vulnerability(
        id=statement.vulnerability,
        recommendation=statement.action_statement,
        analysis=VulnerabilityAnalysis(
            state=ImpactAnalysisState(CDX_STATE_OF[statement.status]),
            justification=justification,
            detail=detail,
            last_updated=as_datetime(statement.timestamp),
        ),
        affects=[BomTarget(ref=ref)],
        properties=properties,
    )
