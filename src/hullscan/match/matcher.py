"""Join an inventory with the advisory database: look-ups per matcher, range checks, merged findings.

`match_inventory(inventory, database)` asks each matcher family (`matchers/`) which records to
look up for each package, batches the look-ups per ecosystem, evaluates every affected entry with
the ecosystem's version scheme and merges the hits of one package that name the same
vulnerability (shared ids or aliases) into one `Finding` with a canonical id, severity, fixed
versions and the fix that applies.
"""

from __future__ import annotations

import posixpath
from collections import defaultdict
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from operator import itemgetter
from typing import Any, cast

from hullscan.gcpause import collector_paused
from hullscan.match.db import AdvisoryDB, AffectedRecord
from hullscan.match.db.records import AffectedRange
from hullscan.match.matchers import default_matchers
from hullscan.match.matchers.advisory_details import AdvisoryFacts, advisory_facts
from hullscan.match.matchers.interface import Matcher, MatchQuery
from hullscan.match.versioning import (
    InvalidRangeError,
    InvalidVersionError,
    Version,
    VersionScheme,
)
from hullscan.match.versioning.ranges import compiled_entry, osv_mapping
from hullscan.model.finding import Caveat, Confidence, Evidence, Finding, FindingStatus, Severity
from hullscan.model.inventory import Distro, Inventory
from hullscan.model.package import Package, PackageType, Relationship, RelationshipKind

_OS_TYPES = frozenset({PackageType.DEB, PackageType.RPM, PackageType.APK})
_NEVER_MATCHED_FAMILIES = frozenset({"GIT", "OSS-Fuzz"})
_URGENCY = {
    "unimportant": Severity.NEGLIGIBLE,
    "negligible": Severity.NEGLIGIBLE,
    "low": Severity.LOW,
    "medium": Severity.MEDIUM,
    "moderate": Severity.MEDIUM,
    "high": Severity.HIGH,
    "important": Severity.HIGH,
    "critical": Severity.CRITICAL,
    "emergency": Severity.CRITICAL,
}
_ID_PREFERENCE = ("CVE-", "GHSA-")


@dataclass(frozen=True, slots=True)
class MatchResult:
    """Findings of one matching run and what could not be matched."""

    findings: tuple[Finding, ...]
    packages_considered: int
    packages_looked_up: int
    os_owned_skipped: int = 0
    """Language packages and binary copies installed by an OS package (its findings cover them)."""
    warnings: tuple[str, ...] = field(default=())


@dataclass(frozen=True, slots=True)
class _Hit:
    package: Package
    query: MatchQuery
    record: AffectedRecord
    matched_by: str
    fixed: tuple[str, ...]
    fix: str | None
    caveat: Caveat | None = None
    notes: tuple[str, ...] = ()
    ids: tuple[str, ...] = field(init=False)
    """The record's id and aliases."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "ids", (self.record.advisory_id, *self.record.aliases))


def match_inventory(
    inventory: Inventory, database: AdvisoryDB, matchers: Sequence[Matcher] | None = None
) -> MatchResult:
    """Match every package of an inventory.

    A squashed inventory holds only what the container sees; an all-layers inventory also holds
    packages a later layer removed (`visible=False`). Those are matched too, so that triage can
    say `not_affected / component_not_present` with the whiteout as evidence instead of hiding them.
    """
    return match_packages(
        inventory.packages,
        inventory.distro,
        database,
        relationships=inventory.relationships,
        matchers=matchers,
    )


def match_packages(
    packages: Iterable[Package],
    distro: Distro | None,
    database: AdvisoryDB,
    *,
    relationships: Iterable[Relationship] = (),
    matchers: Sequence[Matcher] | None = None,
) -> MatchResult:
    """Match packages against the database; one finding per (package, vulnerability)."""
    # Matching allocates tens of thousands of small acyclic objects while the parse and compile
    # caches hold many long-lived ones: collector passes cost a third of a 2,000-package match.
    with collector_paused():
        return _match(packages, distro, database, relationships, matchers)



def _match(
    packages: Iterable[Package],
    distro: Distro | None,
    database: AdvisoryDB,
    relationships: Iterable[Relationship],
    matchers: Sequence[Matcher] | None,
) -> MatchResult:
    families = tuple(matchers) if matchers is not None else default_matchers()
    considered = list(packages)
    owned = os_owned_ids(considered, relationships)
    planned: list[tuple[Package, MatchQuery]] = []
    warnings: list[str] = []
    unversioned_binaries = 0
    for package in considered:
        if package.id in owned:
            continue
        if package.type is PackageType.BINARY and not package.version:
            unversioned_binaries += 1
            continue
        planned.extend((package, query) for family in families for query in family.queries(package, distro))
    if unversioned_binaries:
        warnings.append(
            f"{unversioned_binaries} identified binary component(s) without a version were not matched"
        )
    warnings.extend(_unmatched_os_warning(considered, planned, distro))
    hits = _look_up(planned, database)
    findings = _merge(hits, database)
    return MatchResult(
        findings=tuple(sorted(findings, key=_finding_order)),
        packages_considered=len(considered),
        packages_looked_up=len({package.id for package, _ in planned}),
        os_owned_skipped=len(owned),
        warnings=tuple(warnings),
    )


def _finding_order(finding: Finding) -> tuple[Any, ...]:
    package = finding.package
    return (-finding.severity.rank, package.name, package.version, package.id, finding.id)


def _unmatched_os_warning(
    packages: Sequence[Package], planned: Sequence[tuple[Package, MatchQuery]], distro: Distro | None
) -> list[str]:
    looked_up = {package.id for package, _ in planned}
    missing = [p for p in packages if p.type in _OS_TYPES and p.id not in looked_up]
    if not missing:
        return []
    where = distro.pretty_name or distro.purl_qualifier if distro else "an unknown distribution"
    return [
        f"{len(missing)} OS package(s) of {where} were not matched: no advisory source for this distribution"
    ]


# ----- ownership ---------------------------------------------------------------------------------


def os_owned_ids(packages: Sequence[Package], relationships: Iterable[Relationship] = ()) -> set[str]:
    """Ids of language packages and binary copies that an OS package installed.

    An OS package owns a package when its files list holds the package's metadata file (or, for
    an identified binary, the ELF file), or through a CONTAINS / BUNDLED_IN edge. Such a copy
    carries the distribution's patches: matching it against upstream ranges would report fixes
    the distribution already backported; the OS package's own findings cover it.
    """
    os_ids = {package.id for package in packages if package.type in _OS_TYPES}
    owned_paths: set[str] = set()
    for package in packages:
        if package.type in _OS_TYPES:
            owned_paths.update(_file_paths(package.metadata.get("files")))
    owned = {
        rel.target_id
        for rel in relationships
        if rel.kind is RelationshipKind.CONTAINS and rel.source_id in os_ids
    }
    owned.update(
        rel.source_id
        for rel in relationships
        if rel.kind is RelationshipKind.BUNDLED_IN and rel.target_id in os_ids
    )
    for package in packages:
        if package.type in _OS_TYPES:
            continue
        paths = [location.path for location in package.locations]
        if package.type is PackageType.BINARY:
            paths = [str(package.metadata.get("host_path") or ""), *paths]
        if package.metadata.get("os_owned_path") is True or any(
            posixpath.normpath(path) in owned_paths for path in paths if path
        ):
            owned.add(package.id)
    return owned


def _file_paths(files: Any) -> list[str]:
    if not isinstance(files, list | tuple):
        return []
    paths: list[str] = []
    for entry in files:
        path = entry.get("path") if isinstance(entry, Mapping) else entry
        if isinstance(path, str) and path:
            paths.append(posixpath.normpath(path if path.startswith("/") else "/" + path))
    return paths


# ----- look-ups and range evaluation -------------------------------------------------------------


def _look_up(planned: Sequence[tuple[Package, MatchQuery]], database: AdvisoryDB) -> list[_Hit]:
    names_by_ecosystem: dict[str, set[str]] = defaultdict(set)
    for _, query in planned:
        names_by_ecosystem[query.ecosystem].add(query.name)
    records = {
        ecosystem: database.advisories_for(ecosystem, sorted(names))
        for ecosystem, names in names_by_ecosystem.items()
    }
    hits: list[_Hit] = []
    seen: set[tuple[str, str, str, str]] = set()
    for package, query in planned:
        candidates = records[query.ecosystem].get(query.name)
        if not candidates:
            continue
        installed = _installed(query)
        for record in candidates:
            key = (package.id, query.ecosystem, query.name, record.advisory_id)
            if key in seen or not _applies(record, query):
                continue
            hit = _evaluate(package, query, record, installed)
            if hit is not None:
                seen.add(key)
                hits.append(hit)
    return hits


def _installed(query: MatchQuery) -> Version | InvalidVersionError:
    """The installed version parsed once per look-up, or why it does not parse."""
    try:
        return query.scheme.parse(query.version)
    except InvalidVersionError as error:
        return error


def _applies(record: AffectedRecord, query: MatchQuery) -> bool:
    if record.withdrawn is not None or record.family in _NEVER_MATCHED_FAMILIES:
        return False
    return query.accepts_release(record.release)


def osv_entry(record: AffectedRecord) -> dict[str, Any]:
    """Return the OSV `affected[]` mapping form of a database record (what `versioning.evaluate` takes)."""
    return osv_mapping(record.versions, record.ranges)


def _evaluate(
    package: Package, query: MatchQuery, record: AffectedRecord, installed: Version | InvalidVersionError
) -> _Hit | None:
    if isinstance(installed, InvalidVersionError):
        return _uncertain(package, query, record, Caveat.VERSION_UNPARSEABLE, installed.reason)
    try:
        verdict = compiled_entry(record.versions, record.ranges, query.scheme).evaluate(query.version)
    except (InvalidVersionError, InvalidRangeError) as error:
        return _uncertain(package, query, record, Caveat.RANGE_UNPARSEABLE, str(error))
    if not verdict.affected:
        return None
    fixes = _fixes(record.ranges, query.scheme)
    fix = next((text for parsed, text in fixes.parsed if parsed > installed), None)
    return _Hit(package, query, record, verdict.matched_by, fixes.texts, fix, notes=verdict.notes)


@dataclass(frozen=True, slots=True)
class _Fixes:
    """Versions named by `fixed` events of non-GIT ranges, ascending in a scheme (unparseable last)."""

    texts: tuple[str, ...]
    parsed: tuple[tuple[Version, str], ...]
    """The ones the scheme parses, ascending, with their text."""


@lru_cache(maxsize=1 << 16)
def _fixes_cached(ranges: tuple[AffectedRange, ...], scheme: Hashable) -> _Fixes:
    named = {
        event.version
        for item in ranges
        if item.type != "GIT"
        for event in item.events
        if event.kind == "fixed"
    }
    valid, invalid = _split_parsed(named, cast("VersionScheme", scheme))
    return _Fixes((*(text for _, text in valid), *invalid), tuple(valid))


def _fixes(ranges: tuple[AffectedRange, ...], scheme: VersionScheme) -> _Fixes:
    return _fixes_cached(ranges, cast("Hashable", scheme))


def _fixed(record: AffectedRecord, scheme: VersionScheme) -> tuple[str, ...]:
    """Versions named by `fixed` events of non-GIT ranges, ascending in `scheme` (unparseable last)."""
    return _fixes(record.ranges, scheme).texts


def _uncertain(
    package: Package, query: MatchQuery, record: AffectedRecord, caveat: Caveat, reason: str
) -> _Hit | None:
    """A record we cannot judge: kept as `under_investigation` unless it has nothing to judge by."""
    if not record.versions and all(item.type == "GIT" for item in record.ranges):
        return None
    return _Hit(package, query, record, "", _fixed(record, query.scheme), None, caveat, (reason,))


# ----- merging hits into findings ----------------------------------------------------------------


class _Groups:
    """Union-find over advisory ids and aliases."""

    def __init__(self) -> None:
        self.parent: dict[str, str] = {}

    def find(self, item: str) -> str:
        self.parent.setdefault(item, item)
        root = item
        while self.parent[root] != root:
            root = self.parent[root]
        while self.parent[item] != root:
            self.parent[item], item = root, self.parent[item]
        return root

    def union(self, first: str, *others: str) -> None:
        root = self.find(first)
        for other in others:
            other_root = self.find(other)
            if other_root != root:
                self.parent[other_root] = root


def _group_hits(hits: Sequence[_Hit]) -> list[tuple[set[str], list[_Hit]]]:
    """Group one package's hits by vulnerability: (ids naming it, hits).

    Records naming one CVE (or none) join everything they alias; a record naming several CVEs
    (a DSA covering many) is attached to each CVE's group instead of fusing them.
    """
    groups = _Groups()
    bundles: list[tuple[_Hit, list[str]]] = []
    singles: list[_Hit] = []
    for hit in hits:
        cves = sorted({i for i in hit.ids if i.startswith("CVE-")})
        if len(cves) > 1:
            bundles.append((hit, cves))
            for cve in cves:
                groups.find(cve)
        else:
            groups.union(*hit.ids)
            singles.append(hit)
    members: dict[str, tuple[set[str], list[_Hit]]] = {}
    for hit in singles:
        ids, grouped = members.setdefault(groups.find(hit.record.advisory_id), (set(), []))
        ids.update(hit.ids)
        grouped.append(hit)
    for hit, cves in bundles:
        for cve in cves:
            ids, grouped = members.setdefault(groups.find(cve), (set(), []))
            ids.update((cve, hit.record.advisory_id))
            grouped.append(hit)
    return list(members.values())


def _merge(hits: Sequence[_Hit], database: AdvisoryDB) -> list[Finding]:
    by_package: dict[str, list[_Hit]] = defaultdict(list)
    for hit in hits:
        by_package[hit.package.id].append(hit)
    facts = advisory_facts(database, {hit.record.advisory_id for hit in hits})
    findings: list[Finding] = []
    for package_hits in by_package.values():
        findings.extend(_finding(ids, group, facts) for ids, group in _group_hits(package_hits))
    return findings


def canonical_id(ids: Iterable[str]) -> str:
    """Pick the id a vulnerability is shown under: a CVE, else a GHSA, else the smallest id."""
    unique = set(ids)
    for prefix in _ID_PREFERENCE:
        preferred = [item for item in unique if item.startswith(prefix)]
        if preferred:
            return min(preferred)
    if not unique:
        raise IndexError("canonical_id needs at least one id")  # as the sorted()[0] it replaced
    return min(unique)


def _finding(all_ids: set[str], group: Sequence[_Hit], facts: Mapping[str, AdvisoryFacts]) -> Finding:
    package = group[0].package
    scheme = group[0].query.scheme
    record_ids = list(dict.fromkeys(hit.record.advisory_id for hit in group))
    vulnerability = canonical_id(all_ids)
    certain = [hit for hit in group if hit.caveat is None]
    caveats = list(dict.fromkeys(hit.caveat for hit in group if hit.caveat is not None))
    confidence = (
        Confidence.LOW if any(h.query.confidence is Confidence.LOW for h in group) else Confidence.HIGH
    )
    if confidence is Confidence.LOW:
        caveats.append(Caveat.IDENTIFIED_BINARY)
    severity, score, source = choose_severity(record_ids, facts)
    return Finding(
        id=vulnerability,
        package=package,
        status=FindingStatus.AFFECTED if certain else FindingStatus.UNDER_INVESTIGATION,
        severity=severity,
        score=score,
        severity_source=source,
        aliases=tuple(sorted(all_ids - {vulnerability})),
        fixed_versions=_merged_fixed(group, scheme),
        fix=_applicable_fix([hit.fix for hit in certain], scheme),
        summary=_summary(record_ids, facts),
        layer_digest=package.layer_digest
        or (package.locations[0].layer_digest if package.locations else None),
        confidence=confidence,
        caveats=tuple(caveats),
        evidence=tuple(_evidence(hit) for hit in group),
    )


def _merged_fixed(group: Sequence[_Hit], scheme: VersionScheme) -> tuple[str, ...]:
    """Every fixed version the group names, ascending (one hit's are already in that order)."""
    if len(group) == 1:
        return group[0].fixed
    return _sorted_versions({version for hit in group for version in hit.fixed}, scheme)


def _evidence(hit: _Hit) -> Evidence:
    return Evidence(
        advisory_id=hit.record.advisory_id,
        ecosystem=hit.record.ecosystem,
        package_name=hit.query.name,
        version=hit.query.version,
        matcher=hit.query.matcher,
        matched_by=hit.matched_by,
        fixed_versions=hit.fixed,
        notes=hit.notes,
    )


def _sorted_versions(versions: set[str], scheme: VersionScheme) -> tuple[str, ...]:
    """Ascending in `scheme` (equal versions by text); versions it cannot parse go last, by text."""
    valid, invalid = _split_parsed(versions, scheme)
    return (*(text for _, text in valid), *invalid)


def _split_parsed(versions: Iterable[str], scheme: VersionScheme) -> tuple[list[tuple[Any, str]], list[str]]:
    """(parsed, text) pairs ascending in `scheme` (ties by text), and the unparseable texts sorted."""
    valid: list[tuple[Any, str]] = []
    invalid: list[str] = []
    for text in sorted(versions):
        try:
            valid.append((scheme.parse(text), text))
        except InvalidVersionError:
            invalid.append(text)
    valid.sort(key=itemgetter(0))
    return valid, invalid


def _applicable_fix(fixes: Sequence[str | None], scheme: VersionScheme) -> str | None:
    """The version that resolves every merged record: the highest of their first fixes."""
    known = {fix for fix in fixes if fix is not None}
    if len(known) <= 1:
        return next(iter(known), None)
    return _sorted_versions(known, scheme)[-1]


def _summary(record_ids: Sequence[str], facts: Mapping[str, AdvisoryFacts]) -> str:
    return next((facts[i].summary for i in record_ids if i in facts and facts[i].summary), "")


def choose_severity(
    record_ids: Sequence[str], facts: Mapping[str, AdvisoryFacts]
) -> tuple[Severity, float | None, str]:
    """Return (severity, score, source): the highest CVSS score, else a rating, else an urgency."""
    scored = [(facts[i].max_score, i) for i in record_ids if i in facts and facts[i].max_score is not None]
    if scored:
        score, advisory = max(scored, key=lambda pair: (pair[0] or 0.0, pair[1]))
        assert score is not None  # noqa: S101 - filtered above; narrows the type for mypy
        return Severity.from_score(score), score, f"cvss:{advisory}"
    for advisory in record_ids:
        rated = _rated(facts.get(advisory))
        if rated is not None:
            return rated[0], None, f"{rated[1]}:{advisory}"
    return Severity.UNKNOWN, None, ""


def _rated(facts: AdvisoryFacts | None) -> tuple[Severity, str] | None:
    if facts is None:
        return None
    for entry in facts.severities:
        level = _URGENCY.get((entry.rating or entry.vector).strip().lower())
        if level is not None:
            return level, f"rating:{entry.type}"
    specific = facts.database_specific
    for key in ("severity", "urgency"):
        value = specific.get(key)
        if isinstance(value, str) and value.split():
            level = _URGENCY.get(value.split()[0].lower())
            if level is not None:
                return level, key
    return None


# ----- what the user asked to see ----------------------------------------------------------------


def filter_findings(
    findings: Iterable[Finding], *, only_fixed: bool = False, ignore_unfixed: bool = False
) -> tuple[Finding, ...]:
    """Apply `--only-fixed` (keep findings with a fix) and `--ignore-unfixed` (drop affected, no fix).

    `--ignore-unfixed` keeps `under_investigation` findings: their fix is unknown, not absent.
    """
    kept: list[Finding] = []
    for finding in findings:
        if only_fixed and finding.fix is None:
            continue
        if ignore_unfixed and finding.status is FindingStatus.AFFECTED and finding.fix is None:
            continue
        kept.append(finding)
    return tuple(kept)


def threshold_reached(findings: Iterable[Finding], threshold: Severity) -> bool:
    """True when an affected (or not yet judged) finding is at least as severe as `threshold`."""
    gating = {FindingStatus.AFFECTED, FindingStatus.UNDER_INVESTIGATION}
    return any(f.status in gating and f.severity.rank >= threshold.rank for f in findings)


def judge(record: AffectedRecord, version: str, scheme: VersionScheme) -> bool | None:
    """Whether one database record affects `version`: True, False, or None when it cannot be told.

    The same evaluation the matcher runs (withdrawal and release checks aside).
    """
    try:
        return compiled_entry(record.versions, record.ranges, scheme).evaluate(version).affected
    except (InvalidVersionError, InvalidRangeError):
        return None
