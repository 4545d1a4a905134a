"""The verdict: safe / review / breaking, with one reason per finding that raised it."""

from __future__ import annotations

from collections import Counter

from hullscan.analyze.upgrade.model import (
    AbiReport,
    BaseChange,
    Bump,
    ChangeKind,
    ConfigReport,
    DependencyProblem,
    PackageChange,
    ProblemKind,
    Reason,
    Severity,
    Verdict,
    VulnerabilityDelta,
)

_REVIEW_BUMPS = frozenset({Bump.MAJOR, Bump.EPOCH, Bump.UNKNOWN})
_CONFIG_REVIEW_FIELDS = ("entrypoint", "cmd", "user", "workdir", "exposed_ports", "volumes", "env.")


def _package_reasons(changes: tuple[PackageChange, ...]) -> list[Reason]:
    reasons: list[Reason] = []
    counts = Counter((c.ecosystem, c.kind) for c in changes)
    for (ecosystem, kind), count in sorted(counts.items()):
        if kind in (ChangeKind.REMOVED, ChangeKind.DOWNGRADED, ChangeKind.CHANGED):
            reasons.append(
                Reason(Severity.REVIEW, "packages", f"{count} {ecosystem} package(s) {kind.value}")
            )
    majors = [c for c in changes if c.kind is ChangeKind.UPGRADED and c.bump in _REVIEW_BUMPS]
    for change in majors[:20]:
        text = f"{change.ecosystem} {change.name} {change.old_version} → {change.new_version} ({change.bump})"
        reasons.append(Reason(Severity.REVIEW, "packages", text))
    if len(majors) > 20:
        reasons.append(
            Reason(Severity.REVIEW, "packages", f"... and {len(majors) - 20} more major/epoch upgrades")
        )
    return reasons


def _base_reasons(base: BaseChange) -> list[Reason]:
    reasons: list[Reason] = []
    if base.distro_changed:

        def name(distro: object) -> str:
            return getattr(distro, "pretty_name", None) or str(getattr(distro, "purl_qualifier", "none"))

        text = f"distribution changed: {name(base.old_distro)} → {name(base.new_distro)}"
        reasons.append(Reason(Severity.REVIEW, "base", text))
    if base.base_replaced:
        reasons.append(Reason(Severity.REVIEW, "base", "base layer replaced (no layer shared)"))
    return reasons


def _names_or_none(names: tuple[str, ...]) -> str:
    return ", ".join(names) or "none"


def _abi_reasons(abi: AbiReport) -> list[Reason]:
    reasons = [
        Reason(item.severity, "abi", f"{item.consumer} needs {item.soname}, which NEW does not resolve")
        for item in abi.unresolved
    ]
    reasons += [
        Reason(
            Severity.BREAKING,
            "abi",
            f"{item.consumer}: undefined symbol(s) no longer exported: {', '.join(item.symbols[:5])}",
        )
        for item in abi.missing_symbols
    ]
    interpreters = abi.interpreters
    if interpreters is not None and interpreters.changed:
        before = ", ".join(interpreters.old_versions) or "none"
        after = ", ".join(interpreters.new_versions) or "none"
        severity = (
            Severity.BREAKING if abi.stranded_extensions or abi.stranded_site_packages else Severity.REVIEW
        )
        reasons.append(Reason(severity, "abi", f"Python interpreter changed: {before} → {after}"))
    reasons += [
        Reason(
            Severity.BREAKING,
            "abi",
            f"site-packages {item.path} (Python {item.built_for}) is not read by NEW's Python "
            f"{_names_or_none(item.readers)}",
        )
        for item in abi.stranded_site_packages
    ]
    reasons += [
        Reason(
            Severity.BREAKING,
            "abi",
            f"extension module {item.path} ({item.abi}) cannot load in Python {_names_or_none(item.readers)}",
        )
        for item in abi.stranded_extensions
    ]
    return reasons


def _dependency_reasons(problems: tuple[DependencyProblem, ...]) -> list[Reason]:
    return [
        Reason(
            Severity.BREAKING if p.kind is not ProblemKind.VERSION else Severity.REVIEW,
            "dependencies",
            p.describe(),
        )
        for p in problems
        if not p.pre_existing
    ]


def _vulnerability_reasons(delta: VulnerabilityDelta) -> list[Reason]:
    if not delta.introduced:
        return []
    return [
        Reason(Severity.REVIEW, "vulnerabilities", f"{len(delta.introduced)} vulnerabilit(y/ies) introduced")
    ]


def _config_reasons(config: ConfigReport) -> list[Reason]:
    return [
        Reason(Severity.REVIEW, "configuration", f"{change.field}: {change.old} → {change.new}")
        for change in config.image_config
        if change.field.startswith(_CONFIG_REVIEW_FIELDS)
    ]


def decide(
    packages: tuple[PackageChange, ...],
    base: BaseChange,
    abi: AbiReport,
    dependencies: tuple[DependencyProblem, ...],
    vulnerabilities: VulnerabilityDelta,
    config: ConfigReport,
) -> tuple[Verdict, tuple[Reason, ...]]:
    """Return the verdict and its reasons, most severe first."""
    reasons = [
        *_abi_reasons(abi),
        *_dependency_reasons(dependencies),
        *_base_reasons(base),
        *_package_reasons(packages),
        *_vulnerability_reasons(vulnerabilities),
        *_config_reasons(config),
    ]
    reasons.sort(key=lambda r: -r.severity.rank)
    worst = max((r.severity.rank for r in reasons), default=0)
    verdict = (Verdict.SAFE, Verdict.REVIEW, Verdict.BREAKING)[worst]
    return verdict, tuple(reasons)
