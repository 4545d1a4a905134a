"""Value objects of `hullscan unbundle`: scores with their factors, distro candidates, decisions, plans."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from hullscan.model.finding import Finding
from hullscan.model.package import Package


@dataclass(frozen=True, slots=True)
class Factor:
    """One contribution to a criticality score: name, points and why."""

    name: str
    points: float
    detail: str


@dataclass(frozen=True, slots=True)
class ComponentScore:
    """How critical one language package or bundled native component is."""

    package: Package
    score: float
    factors: tuple[Factor, ...]
    classes: tuple[str, ...]
    critical: bool

    @property
    def reason(self) -> str:
        """Return a one-line reason built from the largest factors."""
        top = sorted((f for f in self.factors if f.points > 0), key=lambda f: -f.points)[:3]
        return "; ".join(f.detail for f in top) or "no class, history or exposure"


class Comparison(StrEnum):
    """How the distro's version relates to the bundled one."""

    OLDER = "older"
    SAME = "same"
    NEWER = "newer"
    UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True)
class Candidate:
    """A distribution binary package that provides a component."""

    package: str
    version: str
    source: str
    suite: str
    upstream_version: str
    comparison: Comparison
    compatible: bool
    how: str
    """How the mapping was found (`dh-python fallback`, `node-* name`, `soname via Contents`, ...)."""
    depends: tuple[str, ...] = ()


class Action(StrEnum):
    """What the plan does with a component."""

    REPLACE = "replace"
    KEEP = "keep"
    FOLLOWS_HOST = "follows-host"
    """A bundled copy that goes (or stays) with the language package carrying it."""


@dataclass(frozen=True, slots=True)
class Decision:
    """The plan for one component."""

    score: ComponentScore
    action: Action
    reason: str
    candidate: Candidate | None = None
    host_id: str | None = None


@dataclass(frozen=True, slots=True)
class AdvisoryDelta:
    """Findings the plan removes (on what leaves) and adds (on the distro packages that come in)."""

    removed: tuple[Finding, ...]
    added: tuple[Finding, ...]
    new_packages: tuple[Package, ...]
    """Synthesized distro packages: the candidates plus dependencies the image lacks."""

    @property
    def net(self) -> int:
        """Return added minus removed (negative: the plan lowers the count)."""
        return len({f.id for f in self.added}) - len({f.id for f in self.removed})


@dataclass(frozen=True, slots=True)
class Artifacts:
    """What a user applies: shell steps (Containerfile RUN lines), pip constraints, npm overrides."""

    steps: tuple[str, ...]
    constraints: str
    npm_overrides: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class UnbundlePlan:
    """Everything `hullscan unbundle` reports."""

    image: str
    distro: str
    release: str
    threshold: float
    decisions: tuple[Decision, ...]
    delta: AdvisoryDelta
    artifacts: Artifacts
    index_sources: tuple[str, ...]
    warnings: tuple[str, ...] = ()

    def by_action(self, action: Action) -> tuple[Decision, ...]:
        """Return the decisions with `action`."""
        return tuple(d for d in self.decisions if d.action is action)
