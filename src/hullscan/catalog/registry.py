"""The catalogers hullscan runs, as one sorted literal list (add yours in alphabetical order)."""

from __future__ import annotations

from hullscan.catalog.bundled.cataloger import BundledComponentCataloger
from hullscan.catalog.bundled.elf import ElfAnalyzer
from hullscan.catalog.ecosystems.apk import ApkDbCataloger
from hullscan.catalog.ecosystems.dpkg import DpkgStatusCataloger
from hullscan.catalog.ecosystems.golang import GoBinaryCataloger
from hullscan.catalog.ecosystems.golang_buildinfo import GoBuildInfoAnalyzer
from hullscan.catalog.ecosystems.java import JavaArchiveCataloger
from hullscan.catalog.ecosystems.npm import (
    NpmInstalledCataloger,
    NpmLockCataloger,
    PnpmLockCataloger,
    YarnLockCataloger,
)
from hullscan.catalog.ecosystems.php import ComposerInstalledCataloger, ComposerLockCataloger
from hullscan.catalog.ecosystems.python import PythonInstalledCataloger
from hullscan.catalog.ecosystems.rpm import RpmDbCataloger
from hullscan.catalog.ecosystems.ruby import GemLockfileCataloger, GemSpecificationCataloger
from hullscan.catalog.ecosystems.rust import RustAuditableAnalyzer, RustAuditableCataloger
from hullscan.catalog.interface import Cataloger
from hullscan.fileview.layer import ContentAnalyzer


def default_catalogers() -> list[Cataloger]:
    """Return a fresh instance of every cataloger, sorted by name."""
    catalogers: list[Cataloger] = [
        # one line per cataloger, e.g. DpkgStatusCataloger(),
        ApkDbCataloger(),
        BundledComponentCataloger(),
        DpkgStatusCataloger(),
        GemLockfileCataloger(),
        GemSpecificationCataloger(),
        GoBinaryCataloger(),
        JavaArchiveCataloger(),
        NpmInstalledCataloger(),
        NpmLockCataloger(),
        PnpmLockCataloger(),
        ComposerInstalledCataloger(),
        ComposerLockCataloger(),
        PythonInstalledCataloger(),
        RpmDbCataloger(),
        RustAuditableCataloger(),
        YarnLockCataloger(),
    ]
    return sorted(catalogers, key=lambda c: c.name)


def default_analyzers() -> list[ContentAnalyzer]:
    """Return the content analyzers (ELF readers and friends) run while layers stream."""
    analyzers: list[ContentAnalyzer] = [
        # one line per analyzer
        ElfAnalyzer(),
        GoBuildInfoAnalyzer(),
        RustAuditableAnalyzer(),
    ]
    return analyzers
