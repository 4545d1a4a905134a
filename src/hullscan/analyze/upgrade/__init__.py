"""Upgrade-path QA: is moving from image OLD to image NEW safe? Pure functions over inventories + views.

`compare_images(old, new)` builds the whole `UpgradeReport`; `wants_content(path)` names the
files (beyond the catalogers' own) whose contents the analysis reads, so a caller can capture
them while indexing layers: /etc (config diff, ld.so.conf) and `pyvenv.cfg` files.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from hullscan.analyze.upgrade.abi import abi_report
from hullscan.analyze.upgrade.configuration import configuration_report, etc_changes, layer_infos
from hullscan.analyze.upgrade.dependencies import (
    dpkg_problems,
    mark_pre_existing,
    npm_problems,
    python_problems,
)
from hullscan.analyze.upgrade.dpkg_status import DpkgEntry, read_dpkg_status
from hullscan.analyze.upgrade.model import (
    BaseChange,
    DependencyProblem,
    UpgradeReport,
    Verdict,
)
from hullscan.analyze.upgrade.packages import diff_packages
from hullscan.analyze.upgrade.python_abi import PythonLayout, python_layout
from hullscan.analyze.upgrade.verdict import decide
from hullscan.analyze.upgrade.vulnerabilities import vulnerability_delta
from hullscan.errors import HullscanError
from hullscan.fileview.interface import FileView
from hullscan.model.finding import Finding
from hullscan.model.inventory import Inventory

__all__ = ["ImageSide", "UpgradeError", "Verdict", "compare_images", "wants_content"]

_ETC = "/etc/"


class UpgradeError(HullscanError):
    """The two images cannot be compared."""

    hint = "Check both image references; `hullscan inspect IMAGE` shows whether each one opens."


def wants_content(path: str) -> bool:
    """Return True for files the upgrade analysis reads (captured while layers are indexed)."""
    return path.startswith(_ETC) or path.endswith("/pyvenv.cfg")


@dataclass(frozen=True, slots=True)
class ImageSide:
    """One image: its inventory and its (squashed) file view; findings when matching ran."""

    inventory: Inventory
    view: FileView
    findings: Sequence[Finding] | None = None


def _shared_prefix(old: Sequence[str], new: Sequence[str]) -> int:
    count = 0
    for left, right in zip(old, new, strict=False):
        if left != right:
            break
        count += 1
    return count


def _base(old: ImageSide, new: ImageSide) -> BaseChange:
    old_layers = layer_infos(old.inventory.image, old.view)
    new_layers = layer_infos(new.inventory.image, new.view)
    shared = _shared_prefix(
        [layer.diff_id or layer.digest for layer in old_layers],
        [layer.diff_id or layer.digest for layer in new_layers],
    )
    return BaseChange(old.inventory.distro, new.inventory.distro, shared, old_layers, new_layers)


def _replaces(entries: Sequence[DpkgEntry]) -> dict[str, frozenset[str]]:
    return {e.name: frozenset(r.name for r in e.replaces) for e in entries}


def _problems(side: ImageSide, entries: Sequence[DpkgEntry], layout: PythonLayout) -> list[DependencyProblem]:
    platform = side.inventory.image.platform
    architecture = platform.architecture if platform is not None else None
    packages = side.inventory.packages
    return [
        *dpkg_problems(entries),
        *python_problems(side.view, packages, layout.default, architecture),
        *npm_problems(packages),
    ]


def compare_images(old: ImageSide, new: ImageSide, vulnerability_note: str = "") -> UpgradeReport:
    """Return the upgrade report for moving from `old` to `new`."""
    old_entries, new_entries = read_dpkg_status(old.view), read_dpkg_status(new.view)
    changes, unchanged = diff_packages(old.inventory.packages, new.inventory.packages, _replaces(new_entries))
    base = _base(old, new)
    old_python, new_python = python_layout(old.view), python_layout(new.view)
    abi = abi_report(
        old.view,
        new.view,
        old.inventory.image.config.env,
        new.inventory.image.config.env,
        (old_python, new_python),
    )
    dependencies = tuple(
        mark_pre_existing(_problems(new, new_entries, new_python), _problems(old, old_entries, old_python))
    )
    vulnerabilities = vulnerability_delta(old.findings, new.findings, vulnerability_note)
    etc = etc_changes(old.view, new.view, old.inventory.packages, new.inventory.packages)
    config = configuration_report(
        old.inventory.image, new.inventory.image, etc, base.old_layers, base.new_layers
    )
    packages = tuple(changes)
    verdict, reasons = decide(packages, base, abi, dependencies, vulnerabilities, config)
    return UpgradeReport(
        old_reference=old.inventory.image.reference,
        new_reference=new.inventory.image.reference,
        verdict=verdict,
        reasons=reasons,
        packages=packages,
        unchanged_packages=unchanged,
        base=base,
        abi=abi,
        dependencies=dependencies,
        vulnerabilities=vulnerabilities,
        config=config,
        warnings=(*old.inventory.warnings, *new.inventory.warnings),
    )
