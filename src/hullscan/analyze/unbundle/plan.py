"""The plan: per component replace (which distro package and version) or keep (why).

Also the advisory delta it should bring (the matcher run on what leaves and on synthesized distro
packages that come in) and the artifacts to apply it: shell steps (Containerfile RUN lines), pip
constraints, npm overrides.
"""

from __future__ import annotations

import posixpath
import re
import shlex
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

from hullscan.analyze.unbundle.debian_index import DebianIndex, IndexEntry
from hullscan.analyze.unbundle.model import (
    Action,
    AdvisoryDelta,
    Artifacts,
    Candidate,
    Comparison,
    ComponentScore,
    Decision,
)
from hullscan.catalog.ecosystems.dpkg import deb_purl
from hullscan.match.db import AdvisoryDB
from hullscan.match.matcher import match_packages
from hullscan.model.finding import Finding
from hullscan.model.inventory import Distro, Inventory
from hullscan.model.package import Package, PackageType

CandidateLookup = Callable[[Package], Candidate | None]
_SITE = re.compile(r"^(?P<root>.+)/lib/python3\.\d+/site-packages$")
_RELATION = re.compile(r"^\s*([a-z0-9][a-z0-9+.-]*)")


@dataclass(frozen=True, slots=True)
class Target:
    """The distribution the plan is for, and how its apt sources are reached."""

    distro: Distro
    suites: tuple[str, ...]
    main_mirror: str
    security_mirror: str


def decide(scores: Sequence[ComponentScore], lookup: CandidateLookup, release_label: str) -> list[Decision]:
    """Return one decision per scored component; bundled copies follow the package carrying them."""
    critical_hosts = {_host_id(s.package) for s in scores if s.critical and _host_id(s.package)}
    language: dict[str, Decision] = {}
    for item in scores:
        if item.package.type is not PackageType.BINARY:
            forced = item.package.id in critical_hosts
            language[item.package.id] = _decide_language(item, lookup, release_label, forced=forced)
    decisions = []
    for item in scores:
        if item.package.type is not PackageType.BINARY:
            decisions.append(language[item.package.id])
        else:
            decisions.append(_decide_copy(item, language.get(_host_id(item.package) or ""), lookup))
    return decisions


def _host_id(package: Package) -> str | None:
    host = package.metadata.get("host")
    return str(host["id"]) if isinstance(host, Mapping) and host.get("id") else None


def _decide_language(
    item: ComponentScore, lookup: CandidateLookup, release: str, *, forced: bool
) -> Decision:
    if not item.critical and not forced:
        return Decision(item, Action.KEEP, f"not critical (score {item.score:g})")
    candidate = lookup(item.package)
    if candidate is None:
        return Decision(item, Action.KEEP, f"not packaged in {release}")
    label = f"{candidate.package} {candidate.version}"
    if not candidate.compatible:
        why = "too old" if candidate.comparison is Comparison.OLDER else "API-incompatible"
        return Decision(item, Action.KEEP, f"{release}'s {label} is {why}", candidate)
    carried = " (carries a critical bundled copy)" if forced and not item.critical else ""
    note = f"{candidate.comparison.value} version: {label}{carried}"
    return Decision(item, Action.REPLACE, note, candidate)


def _decide_copy(item: ComponentScore, host: Decision | None, lookup: CandidateLookup) -> Decision:
    candidate = lookup(item.package)
    distro = f"; distro copy {candidate.package} {candidate.version}" if candidate else ""
    if host is None:
        path = item.package.metadata.get("host_path")
        return Decision(item, Action.KEEP, f"unowned copy at {path}: no package to swap{distro}", candidate)
    name = host.score.package.name
    if host.action is Action.REPLACE:
        return Decision(
            item, Action.FOLLOWS_HOST, f"leaves with {name}{distro}", candidate, host.score.package.id
        )
    return Decision(item, Action.KEEP, f"stays with {name}: {host.reason}", candidate, host.score.package.id)


# ----- advisory delta ----------------------------------------------------------------------------


def advisory_delta(
    inventory: Inventory,
    decisions: Sequence[Decision],
    index: DebianIndex,
    target: Target,
    database: AdvisoryDB,
) -> AdvisoryDelta:
    """Match what the plan removes and the distro packages it brings (with missing dependencies)."""
    leaving = [d.score.package for d in decisions if d.action in (Action.REPLACE, Action.FOLLOWS_HOST)]
    removed = match_packages(leaving, inventory.distro or target.distro, database).findings
    wanted = [d.candidate.package for d in decisions if d.action is Action.REPLACE and d.candidate]
    entries = closure(wanted, index, _installed_names(inventory))
    incoming = [_synthesized(entry, target.distro) for entry in entries]
    added = match_packages(incoming, target.distro, database).findings
    return AdvisoryDelta(removed=_unique(removed), added=_unique(added), new_packages=tuple(incoming))


def _unique(findings: Iterable[Finding]) -> tuple[Finding, ...]:
    return tuple(findings)


def _installed_names(inventory: Inventory) -> set[str]:
    names: set[str] = set()
    for package in inventory.packages:
        if package.type is PackageType.DEB and package.visible:
            names.add(package.name)
            names.update(str(p) for p in package.metadata.get("provides") or ())
    return names


def closure(names: Sequence[str], index: DebianIndex, installed: set[str]) -> list[IndexEntry]:
    """Return the index entries apt would add: `names` and their missing dependencies (first alternatives)."""
    seen: dict[str, IndexEntry] = {}
    queue = list(names)
    while queue:
        name = queue.pop(0)
        if name in seen or (name in installed and name not in names):
            continue
        entry = index.get(name)
        if entry is None:
            continue
        seen[name] = entry
        queue.extend(_dependencies(entry, index, installed))
    return list(seen.values())


def _dependencies(entry: IndexEntry, index: DebianIndex, installed: set[str]) -> list[str]:
    out = []
    for group in entry.depends.split(","):
        options = [m.group(1) for alt in group.split("|") if (m := _RELATION.match(alt.split(":")[0]))]
        if not options or any(o in installed for o in options):
            continue
        for option in options:
            real = option if index.get(option) else next(iter(index.providers(option)), None)
            if real is not None:
                out.append(real)
                break
    return out


def _synthesized(entry: IndexEntry, distro: Distro) -> Package:
    purl = deb_purl(
        "debian",
        entry.package,
        entry.version,
        None,
        distro.purl_qualifier,
        entry.source,
        entry.source_version,
    )
    return Package(
        name=entry.package,
        version=entry.version,
        type=PackageType.DEB,
        purl=purl,
        found_by="unbundle-plan",
        locations=(),
        source_name=entry.source,
        source_version=entry.source_version,
        metadata={"suite": entry.suite},
    )


# ----- artifacts ---------------------------------------------------------------------------------


def artifacts(decisions: Sequence[Decision], target: Target, is_venv: Callable[[str], bool]) -> Artifacts:
    """Return the shell steps, the pip constraints file and the npm overrides block."""
    replaced = [d for d in decisions if d.action is Action.REPLACE and d.candidate]
    if not replaced:
        return Artifacts(steps=(), constraints="")
    steps = [*_apt_steps(replaced, target)]
    constraints = _constraints(decisions)
    by_site: dict[str, list[Decision]] = {}
    for decision in decisions:
        if decision.score.package.type is PackageType.PYTHON:
            site = str(decision.score.package.metadata.get("site_packages") or "")
            by_site.setdefault(site, []).append(decision)
    for site, group in sorted(by_site.items()):
        steps += _python_steps(site, group, is_venv, constraints)
    overrides = {
        d.score.package.name: f"file:/usr/share/nodejs/{d.score.package.name}"
        for d in replaced
        if d.score.package.type is PackageType.NPM
    }
    return Artifacts(steps=tuple(steps), constraints=constraints, npm_overrides=overrides)


def _apt_steps(replaced: Sequence[Decision], target: Target) -> list[str]:
    lines = []
    for suite in target.suites[1:]:
        mirror = target.security_mirror if suite.endswith("-security") else target.main_mirror
        lines.append(f"deb {mirror} {suite} main")
    pins = sorted({f"{d.candidate.package}={d.candidate.version}" for d in replaced if d.candidate})
    steps = []
    if lines:
        text = "\\n".join(lines)
        steps.append(f"printf '{text}\\n' > /etc/apt/sources.list.d/hullscan-unbundle.list")
    steps.append(
        "apt-get update -q && apt-get install -y -q --no-install-recommends "
        + " ".join(shlex.quote(p) for p in pins)
        + " && rm -rf /var/lib/apt/lists/*"
    )
    return steps


def _constraints(decisions: Sequence[Decision]) -> str:
    lines = []
    for decision in decisions:
        package = decision.score.package
        if package.type is not PackageType.PYTHON:
            continue
        if decision.action is Action.REPLACE and decision.candidate:
            lines.append(
                f"{package.name}=={decision.candidate.upstream_version}  # {decision.candidate.package}"
            )
        else:
            lines.append(f"{package.name}=={package.version}")
    return "\n".join(sorted(lines, key=str.lower)) + "\n" if lines else ""


def _python_steps(
    site: str, group: Sequence[Decision], is_venv: Callable[[str], bool], constraints: str
) -> list[str]:
    gone = sorted(d.score.package.name for d in group if d.action is Action.REPLACE)
    if not gone:
        return []
    rest = sorted(
        f"{d.score.package.name}=={d.score.package.version}" for d in group if d.action is not Action.REPLACE
    )
    match = _SITE.match(site)
    root = match.group("root") if match else None
    steps = []
    if root and is_venv(posixpath.join(root, "pyvenv.cfg")):
        python = f"{root}/bin/python"
        steps.append(f"python3 -m venv --system-site-packages --upgrade {shlex.quote(root)}")
        pip = f"{python} -m pip"
    else:
        pip = "python3 -m pip --break-system-packages"
    steps.append(f"{pip} uninstall -y -q " + " ".join(shlex.quote(n) for n in gone))
    if rest:
        pinned = "\\n".join(line.split("  #", 1)[0] for line in constraints.splitlines())
        steps.append(f"printf '{pinned}\\n' > /tmp/hullscan-constraints.txt")
        steps.append(
            f"{pip} install -q --no-deps -c /tmp/hullscan-constraints.txt "
            + " ".join(shlex.quote(r) for r in rest)
            + " && rm -f /tmp/hullscan-constraints.txt"
        )
    return steps
