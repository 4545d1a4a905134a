"""The triage policy: which statements may suppress a finding (a TOML file, or the default).

```toml
[suppress]
statuses = ["not_affected", "fixed"]        # statuses that hide a finding
justifications = ["component_not_present", "vulnerable_code_not_present",
                  "vulnerable_code_not_in_execute_path",
                  "vulnerable_code_cannot_be_controlled_by_adversary",
                  "inline_mitigations_already_exist"]
allow_impact_only = true                     # not_affected with an impact statement and no justification
min_confidence = "high"                      # automated statements below this never suppress
human = true                                 # statements by people and documents suppress at any confidence
```
The default suppresses only HIGH-confidence automated evidence and human statements.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from hullscan.analyze.vex.errors import PolicyError
from hullscan.model.finding import FindingStatus
from hullscan.model.vex import Justification, StatementConfidence, VexStatement

AUTOMATED_SOURCE = "hullscan"
"""`VexStatement.source` of statements made by the evidence producers."""

_CONFIDENCE_RANK = {StatementConfidence.LOW: 0, StatementConfidence.MEDIUM: 1, StatementConfidence.HIGH: 2}
_SUPPRESSING = (FindingStatus.NOT_AFFECTED, FindingStatus.FIXED)
_KNOWN_KEYS = {"statuses", "justifications", "allow_impact_only", "min_confidence", "human"}


@dataclass(frozen=True, slots=True)
class Verdict:
    """Whether the policy lets a statement decide a finding's status, and why not."""

    accepted: bool
    reason: str


@dataclass(frozen=True, slots=True)
class Policy:
    """Which statements may suppress (see the module docstring for the file format)."""

    statuses: frozenset[FindingStatus] = frozenset(_SUPPRESSING)
    justifications: frozenset[Justification] = field(default_factory=lambda: frozenset(Justification))
    allow_impact_only: bool = True
    min_confidence: StatementConfidence = StatementConfidence.HIGH
    human: bool = True
    source: str = "default policy"

    def judge(self, statement: VexStatement) -> Verdict:
        """Accept statements that do not suppress; accept suppressing ones only as the policy allows."""
        if statement.status not in _SUPPRESSING:
            return Verdict(accepted=True, reason=f"{statement.status.value} never suppresses")
        if statement.status not in self.statuses:
            return Verdict(accepted=False, reason=f"{self.source} does not suppress {statement.status.value}")
        if statement.status is FindingStatus.NOT_AFFECTED:
            refused = self._justification_refused(statement)
            if refused:
                return Verdict(accepted=False, reason=refused)
        return self._judge_author(statement)

    def _judge_author(self, statement: VexStatement) -> Verdict:
        if is_automated(statement):
            if _CONFIDENCE_RANK[statement.confidence] < _CONFIDENCE_RANK[self.min_confidence]:
                return Verdict(
                    accepted=False,
                    reason=f"{statement.confidence.value}-confidence evidence; {self.source} needs "
                    f"{self.min_confidence.value}",
                )
            return Verdict(accepted=True, reason=f"{statement.confidence.value}-confidence evidence")
        if not self.human:
            return Verdict(accepted=False, reason=f"{self.source} does not let human statements suppress")
        return Verdict(accepted=True, reason="human statement")

    def _justification_refused(self, statement: VexStatement) -> str | None:
        if statement.justification is None:
            return None if self.allow_impact_only else f"{self.source} needs a justification"
        if statement.justification not in self.justifications:
            return f"{self.source} does not suppress justification {statement.justification.value}"
        return None


DEFAULT_POLICY = Policy()


def is_automated(statement: VexStatement) -> bool:
    """True for statements made by hullscan's evidence producers."""
    return statement.source == AUTOMATED_SOURCE


def load_policy(path: Path | None) -> Policy:
    """Read a TOML policy; the default policy when `path` is None."""
    if path is None:
        return DEFAULT_POLICY
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise PolicyError(f"cannot read the policy file {path}: {error.strerror}") from error
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise PolicyError(f"the policy file {path} is not valid TOML: {error}") from error
    return policy_from_dict(data, str(path))


def policy_from_dict(data: dict[str, Any], source: str) -> Policy:
    """Build a policy from parsed TOML; unknown keys and values are errors, not silent defaults."""
    section = data.get("suppress", {})
    if not isinstance(section, dict) or set(data) - {"suppress"}:
        raise PolicyError(f"{source}: expected only a [suppress] table")
    unknown = set(section) - _KNOWN_KEYS
    if unknown:
        raise PolicyError(f"{source}: unknown key(s) in [suppress]: {', '.join(sorted(unknown))}")
    default = DEFAULT_POLICY
    try:
        return Policy(
            statuses=_enum_set(section, "statuses", FindingStatus, default.statuses),
            justifications=_enum_set(section, "justifications", Justification, default.justifications),
            allow_impact_only=_boolean(section, "allow_impact_only", default=default.allow_impact_only),
            min_confidence=StatementConfidence(section.get("min_confidence", default.min_confidence.value)),
            human=_boolean(section, "human", default=default.human),
            source=f"policy {source}",
        )
    except ValueError as error:
        raise PolicyError(f"{source}: {error}") from error


_E = TypeVar("_E", FindingStatus, Justification)


def _enum_set(section: dict[str, Any], key: str, kind: type[_E], default: frozenset[_E]) -> frozenset[_E]:
    values = section.get(key)
    if values is None:
        return default
    if not isinstance(values, list):
        raise PolicyError(f"{key} must be a list")
    return frozenset(kind(value) for value in values)


def _boolean(section: dict[str, Any], key: str, *, default: bool) -> bool:
    value = section.get(key, default)
    if not isinstance(value, bool):
        raise PolicyError(f"{key} must be true or false")
    return value
