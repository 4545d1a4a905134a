"""`component_not_present`: the package was removed by a later layer (seen only in the all-layers scan).

A package cataloged from a layer whose files a later layer deleted (`Package.visible` False) is
not in the running image: its findings get `not_affected / component_not_present`, high
confidence, with the layer that added it as evidence.
"""

from __future__ import annotations

from collections.abc import Iterator

from hullscan.analyze.vex.context import TriageContext
from hullscan.analyze.vex.evidence.common import package_location, statement
from hullscan.model.finding import FindingStatus
from hullscan.model.vex import Justification, StatementConfidence, StatementEvidence, VexStatement


def component_not_present(context: TriageContext) -> Iterator[VexStatement]:
    """Producer: findings on packages a later layer removed.

    Statements name a purl, which a copy of the same package installed again later shares: no
    statement is made while any visible package has that purl.
    """
    present = {p.purl for p in context.inventory.packages if p.visible}
    present |= {f.package.purl for f in context.findings if f.package.visible}
    for finding in context.findings:
        package = finding.package
        if package.visible or package.purl in present:
            continue
        layer = package.layer_digest or (package.locations[0].layer_digest if package.locations else None)
        detail = (
            f"{package.name} {package.version} added by layer {layer or 'unknown'}, deleted by a later layer"
        )
        evidence = StatementEvidence("whiteout", detail, package_location(package))
        yield statement(
            finding, FindingStatus.NOT_AFFECTED, (evidence,), confidence=StatementConfidence.HIGH,
            justification=Justification.COMPONENT_NOT_PRESENT,
            impact="the package is not in the final image: a later layer deleted it",
        )  # fmt: skip
