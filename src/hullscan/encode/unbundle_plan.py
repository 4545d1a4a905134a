"""`hullscan unbundle -o plan`: components by criticality with a one-line reason, then the plan."""

from __future__ import annotations

from hullscan.analyze.unbundle.model import Action, Decision, UnbundlePlan

_MARK = {Action.REPLACE: "replace", Action.KEEP: "keep", Action.FOLLOWS_HOST: "goes"}


def encode(plan: UnbundlePlan) -> str:
    """Return the plan as plain text."""
    lines = [
        f"Unbundling plan for {plan.image} -> Debian {plan.release} (critical from score {plan.threshold:g})",
        "",
        f"{'score':>5}  {'component':<34} {'action':<8} reason",
    ]
    lines += [_row(d) for d in plan.decisions]
    delta = plan.delta
    lines += [
        "",
        (
            f"Advisories: {len({f.id for f in delta.removed})} removed, {len({f.id for f in delta.added})} "
            f"added by {len(delta.new_packages)} distro package(s); net {delta.net:+d}"
        ),
    ]
    if plan.artifacts.steps:
        lines += ["", "Steps:"] + [f"  {step}" for step in plan.artifacts.steps]
    lines += ["", "Package indexes: " + ", ".join(plan.index_sources)]
    lines += [f"warning: {w}" for w in plan.warnings]
    return "\n".join(lines) + "\n"


def _row(decision: Decision) -> str:
    package = decision.score.package
    kind = "native" if package.type.value == "binary" else package.type.value
    name = f"{package.name} {package.version or '?'} ({kind})"
    critical = "*" if decision.score.critical else " "
    why = decision.reason
    if decision.score.reason not in why:
        why = f"{why} — {decision.score.reason}"
    return f"{decision.score.score:>5.1f}{critical} {name:<34} {_MARK[decision.action]:<8} {why}"
