"""Automated triage evidence: producers that turn facts about an image into VEX statements.

Each producer is `Producer(TriageContext) -> Iterable[VexStatement]` (see
`hullscan.analyze.vex.context`); `default_producers()` is what the triage pass registers:

* `distro_triage` — the Debian security tracker's verdict (not-affected, unimportant, no-dsa ...);
* `support_status` — Debian's security-support lists (support ended / limited);
* `changelog_backport` — the installed package's changelog names the CVE as fixed;
* `component_not_present` — a later layer removed the package;
* `go_symbols` — the vulnerable Go functions are (not) linked, inlined ones included;
* `python_record` — the vulnerable module named by a record is not installed;
* `execute_path` — low-confidence reachability: shared libraries nothing loads, npm dev-only
  packages, Python distributions nothing imports.
"""

from __future__ import annotations

from pathlib import Path

from hullscan.analyze.vex.context import Producer
from hullscan.analyze.vex.evidence.changelog import changelog_backport
from hullscan.analyze.vex.evidence.distro_triage import distro_triage
from hullscan.analyze.vex.evidence.execute_path import execute_path
from hullscan.analyze.vex.evidence.go_symbols import go_symbols
from hullscan.analyze.vex.evidence.python_record import python_record
from hullscan.analyze.vex.evidence.support_status import support_status_producer
from hullscan.analyze.vex.evidence.whiteout import component_not_present


def default_producers(security_support_dir: Path | None = None) -> list[Producer]:
    """Every evidence producer, in a fixed order."""
    return [
        distro_triage,
        support_status_producer(security_support_dir),
        changelog_backport,
        component_not_present,
        go_symbols,
        python_record,
        execute_path,
    ]


__all__ = [
    "changelog_backport",
    "component_not_present",
    "default_producers",
    "distro_triage",
    "execute_path",
    "go_symbols",
    "python_record",
    "support_status_producer",
]
