"""What automated evidence producers see, and the hook through which they hand back statements.

A producer is any callable `Producer(context) -> Iterable[VexStatement]`. The triage pass calls
every registered producer once per scan with a `TriageContext`; their statements (author `hullscan`,
with a confidence and evidence) are applied together with stored and document statements.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from hullscan.fileview.interface import FileView
from hullscan.match.db import AdvisoryDB
from hullscan.model.finding import Finding
from hullscan.model.inventory import Inventory
from hullscan.model.vex import VexStatement


@dataclass(frozen=True, slots=True)
class TriageContext:
    """One scan as producers see it: the inventory, its findings, the image's files and the DB."""

    inventory: Inventory
    findings: tuple[Finding, ...]
    view: FileView | None
    """The image's file view (squashed); None when the scan read an SBOM instead of an image."""
    database: AdvisoryDB | None
    """The open advisory database (Debian tracker triage, advisories); None when unavailable."""
    image_repository: str | None = None
    """The repository `image:REPO` statements name, when known."""


Producer = Callable[[TriageContext], Iterable[VexStatement]]
"""An automated evidence producer."""


def registered_producers() -> list[Producer]:
    """The evidence producers of `hullscan.analyze.vex.evidence` (its `default_producers()`).

    A failure to import them is an error, never an empty list: a scan without its producers would
    silently lose every automated statement.
    """
    from hullscan.analyze.vex.evidence import default_producers  # noqa: PLC0415 - evidence imports this module

    return list(default_producers())
