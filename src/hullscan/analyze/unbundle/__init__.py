"""Hybrid unbundling: which bundled dependencies are critical, and a plan to take them from the distro.

`plan_unbundle(inventory, ...)` scores every language package and bundled native component
(`score.py`), maps the critical ones to the release's packages (`mapping.py`, `debian_index.py`),
decides replace/keep, predicts the advisory delta with the matcher and writes the artifacts
(`plan.py`). Pure over the inventory, the ELF summaries, the advisory DB and real package indexes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from hullscan.analyze.unbundle.classify import ClassTable, load_table
from hullscan.analyze.unbundle.debian_index import (
    host_mirrors,
    load_index,
    pypi_mapping,
    release_suites,
    soname_index,
)
from hullscan.analyze.unbundle.errors import UnsupportedDistroError
from hullscan.analyze.unbundle.history import History, history
from hullscan.analyze.unbundle.mapping import Sources, candidate_for
from hullscan.analyze.unbundle.model import Action, Candidate, ComponentScore, UnbundlePlan
from hullscan.analyze.unbundle.plan import Target, advisory_delta, artifacts, decide
from hullscan.analyze.unbundle.score import DEFAULT_THRESHOLD, ElfLookup, score_all
from hullscan.match.db import AdvisoryDB
from hullscan.model.inventory import Distro, Inventory
from hullscan.model.package import Package

__all__ = ["DEFAULT_THRESHOLD", "Action", "UnbundleOptions", "UnbundlePlan", "parse_distro", "plan_unbundle"]


@dataclass(frozen=True, slots=True)
class UnbundleOptions:
    """How to plan: target distro, threshold, cache, whether to read the Contents index."""

    distro: str = "debian:12"
    threshold: float = DEFAULT_THRESHOLD
    cache_dir: Path | None = None
    contents: bool = True
    table: Path | None = None
    arch: str = "amd64"


def parse_distro(text: str) -> tuple[str, str]:
    """Return (family, release) from `debian:12` / `debian:bookworm`; raise for other families."""
    family, _, release = text.strip().lower().partition(":")
    if family != "debian" or not release:
        raise UnsupportedDistroError(f"cannot plan for {text!r}")
    return family, release


def plan_unbundle(
    inventory: Inventory,
    elf: ElfLookup,
    database: AdvisoryDB,
    options: UnbundleOptions,
    cache_dir: Path,
    is_venv: Callable[[str], bool],
) -> UnbundlePlan:
    """Score, map, decide, predict and write the plan for one image."""
    _, release = parse_distro(options.distro)
    version, codename, suites = release_suites(release)
    table = load_table(options.table)
    index = load_index(cache_dir, release, options.arch)
    sonames = soname_index(cache_dir, release, options.arch) if options.contents else None
    sources = Sources(index, pypi_mapping(cache_dir), sonames)
    lookup = _Lookup(sources, table)
    histories = _Histories(database, table)
    scores = score_all(inventory, table, elf, histories, lookup.upstream, options.threshold)
    label = f"Debian {version}"
    decisions = decide(scores, lookup, label)
    main, security = host_mirrors()
    target = Target(Distro("debian", version, codename), suites, main, security)
    delta = advisory_delta(inventory, decisions, index, target, database)
    return UnbundlePlan(
        image=inventory.image.reference,
        distro="debian",
        release=version,
        threshold=options.threshold,
        decisions=tuple(decisions),
        delta=delta,
        artifacts=artifacts(decisions, target, is_venv),
        index_sources=index.sources,
    )


class _Lookup:
    def __init__(self, sources: Sources, table: ClassTable) -> None:
        self.sources, self.table = sources, table
        self.memo: dict[str, Candidate | None] = {}

    def __call__(self, package: Package) -> Candidate | None:
        if package.id not in self.memo:
            self.memo[package.id] = candidate_for(package, self.sources, self.table.debian_sources(package))
        return self.memo[package.id]

    def upstream(self, package: Package) -> str | None:
        found = self(package)
        return found.upstream_version if found else None


class _Histories:
    def __init__(self, database: AdvisoryDB, table: ClassTable) -> None:
        self.database, self.table = database, table
        self.memo: dict[str, History] = {}

    def __call__(self, package: Package) -> History:
        if package.id not in self.memo:
            self.memo[package.id] = history(self.database, package, self.table.debian_sources(package))
        return self.memo[package.id]


def critical(scores: list[ComponentScore]) -> list[ComponentScore]:
    """Return the critical scores."""
    return [s for s in scores if s.critical]
