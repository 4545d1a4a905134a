"""The catalogers hullscan runs, as one sorted literal list (add yours in alphabetical order).

Cataloger modules are imported only when the catalogers are built: a warm scan finds everything
in the caches by `default_policy().fingerprint` and never needs them.
"""

from __future__ import annotations

import functools
import hashlib
import importlib
import os
from pathlib import Path
from typing import TYPE_CHECKING

from hullscan import __version__
from hullscan.fileview.policy import CapturePolicy, DeferredPolicy

if TYPE_CHECKING:
    from hullscan.catalog.interface import Cataloger
    from hullscan.fileview.policy import ContentAnalyzer

# The imports below sit inside the functions on purpose (PLC0415): see the module docstring.


def default_catalogers() -> list[Cataloger]:
    """Return a fresh instance of every cataloger, sorted by name."""
    from hullscan.catalog.bundled.cataloger import BundledComponentCataloger  # noqa: PLC0415
    from hullscan.catalog.ecosystems.apk import ApkDbCataloger  # noqa: PLC0415
    from hullscan.catalog.ecosystems.dpkg import DpkgStatusCataloger  # noqa: PLC0415
    from hullscan.catalog.ecosystems.golang import GoBinaryCataloger  # noqa: PLC0415
    from hullscan.catalog.ecosystems.java import JavaArchiveCataloger  # noqa: PLC0415
    from hullscan.catalog.ecosystems.npm import (  # noqa: PLC0415
        NpmInstalledCataloger,
        NpmLockCataloger,
        PnpmLockCataloger,
        YarnLockCataloger,
    )
    from hullscan.catalog.ecosystems.php import (  # noqa: PLC0415
        ComposerInstalledCataloger,
        ComposerLockCataloger,
    )
    from hullscan.catalog.ecosystems.python import PythonInstalledCataloger  # noqa: PLC0415
    from hullscan.catalog.ecosystems.rpm import RpmDbCataloger  # noqa: PLC0415
    from hullscan.catalog.ecosystems.ruby import (  # noqa: PLC0415
        GemLockfileCataloger,
        GemSpecificationCataloger,
    )
    from hullscan.catalog.ecosystems.rust import RustAuditableCataloger  # noqa: PLC0415

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
    from hullscan.catalog.bundled.elf import ElfAnalyzer  # noqa: PLC0415
    from hullscan.catalog.ecosystems.golang_buildinfo import GoBuildInfoAnalyzer  # noqa: PLC0415
    from hullscan.catalog.ecosystems.rust import RustAuditableAnalyzer  # noqa: PLC0415

    analyzers: list[ContentAnalyzer] = [
        # one line per analyzer
        ElfAnalyzer(),
        GoBuildInfoAnalyzer(),
        RustAuditableAnalyzer(),
    ]
    return analyzers


def warm_up() -> None:
    """Import what the parsers load on first use; run while layers are indexed by other processes."""
    from hullscan.catalog.ecosystems.python_metadata import PARSE_MODULES  # noqa: PLC0415

    for name in PARSE_MODULES:
        importlib.import_module(name)


def default_policy() -> DeferredPolicy:
    """Return the capture policy of the default catalogers and analyzers, built on demand.

    Its fingerprint is hullscan's code fingerprint: any change to the code that decides what a
    layer yields (a new version, or an edited module in a development checkout) misses the caches.
    """
    return DeferredPolicy(f"code-{code_fingerprint()}", _build_default_policy)


def _build_default_policy() -> CapturePolicy:
    from hullscan.catalog.runner import capture_policy  # noqa: PLC0415

    return capture_policy(default_catalogers(), default_analyzers())


@functools.cache
def code_fingerprint() -> str:
    """Return a short hash of hullscan's version and of every file's name, size and mtime in the package.

    Stat-ing the package's modules takes a few milliseconds; importing every cataloger to ask
    for its version would take a hundred times longer.
    """
    return fingerprint_of(Path(__file__).resolve().parent.parent)


def fingerprint_of(package: Path) -> str:
    """Return the fingerprint of one package directory (see `code_fingerprint`)."""
    root = str(package)
    entries: list[str] = []
    pending = [root]
    while pending:
        with os.scandir(pending.pop()) as directory:
            for entry in directory:
                if entry.is_dir(follow_symlinks=False):
                    if entry.name != "__pycache__":
                        pending.append(entry.path)
                    continue
                stat = entry.stat(follow_symlinks=False)
                entries.append(f"{entry.path[len(root) + 1 :]}\0{stat.st_size}\0{stat.st_mtime_ns}")
    entries.sort()
    return hashlib.sha256("\n".join([__version__, *entries]).encode()).hexdigest()[:16]
