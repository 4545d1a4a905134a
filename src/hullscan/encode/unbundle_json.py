"""`hullscan unbundle -o json`: the plan as one JSON document.

Scores with their factors, decisions, the advisory delta and the artifacts.
"""

from __future__ import annotations

import json
from typing import Any

from hullscan.analyze.unbundle.model import Decision, UnbundlePlan
from hullscan.model.finding import Finding


def to_dict(plan: UnbundlePlan) -> dict[str, Any]:
    """Return the plan as JSON-able data."""
    delta = plan.delta
    return {
        "image": plan.image,
        "distro": f"{plan.distro}:{plan.release}",
        "threshold": plan.threshold,
        "components": [_decision(d) for d in plan.decisions],
        "advisories": {
            "removed": [_finding(f) for f in delta.removed],
            "added": [_finding(f) for f in delta.added],
            "net": delta.net,
            "new_packages": [
                {
                    "name": p.name,
                    "version": p.version,
                    "source": p.source_name,
                    "suite": p.metadata.get("suite"),
                }
                for p in delta.new_packages
            ],
        },
        "artifacts": {
            "steps": list(plan.artifacts.steps),
            "constraints": plan.artifacts.constraints,
            "npm_overrides": plan.artifacts.npm_overrides,
        },
        "index_sources": list(plan.index_sources),
        "warnings": list(plan.warnings),
    }


def encode(plan: UnbundlePlan) -> str:
    """Return the plan as indented JSON text."""
    return json.dumps(to_dict(plan), indent=2, sort_keys=False) + "\n"


def _decision(decision: Decision) -> dict[str, Any]:
    score, package, candidate = decision.score, decision.score.package, decision.candidate
    return {
        "id": package.id,
        "name": package.name,
        "version": package.version,
        "type": package.type.value,
        "path": package.locations[0].path if package.locations else None,
        "score": score.score,
        "critical": score.critical,
        "classes": list(score.classes),
        "factors": [{"name": f.name, "points": f.points, "detail": f.detail} for f in score.factors],
        "reason": score.reason,
        "action": decision.action.value,
        "why": decision.reason,
        "host_id": decision.host_id,
        "candidate": None
        if candidate is None
        else {
            "package": candidate.package,
            "version": candidate.version,
            "source": candidate.source,
            "suite": candidate.suite,
            "upstream_version": candidate.upstream_version,
            "comparison": candidate.comparison.value,
            "compatible": candidate.compatible,
            "how": candidate.how,
        },
    }


def _finding(finding: Finding) -> dict[str, Any]:
    return {
        "id": finding.id,
        "package": finding.package.name,
        "version": finding.package.version,
        "type": finding.package.type.value,
        "severity": finding.severity.value,
    }
