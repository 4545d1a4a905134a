"""`hullscan unbundle -o containerfile`: the plan's steps as a Containerfile fragment.

The pip constraints and npm overrides as comments to copy next to it.
"""

from __future__ import annotations

import json

from hullscan.analyze.unbundle.model import UnbundlePlan


def encode(plan: UnbundlePlan) -> str:
    """Return a Containerfile fragment (RUN lines) applying the plan on top of the image."""
    lines = [
        f"# hullscan unbundle: take critical components from Debian {plan.release} packages",
        f"# expected advisory change: {plan.delta.net:+d}",
    ]
    if not plan.artifacts.steps:
        return "\n".join([*lines, "# nothing to replace"]) + "\n"
    lines += [f"RUN {step}" for step in plan.artifacts.steps]
    if plan.artifacts.constraints:
        lines += ["", "# constraints.txt (pip install -c constraints.txt):"]
        lines += [f"#   {line}" for line in plan.artifacts.constraints.splitlines()]
    if plan.artifacts.npm_overrides:
        block = json.dumps({"overrides": plan.artifacts.npm_overrides}, indent=2)
        lines += ["", "# package.json overrides:"] + [f"#   {line}" for line in block.splitlines()]
    return "\n".join(lines) + "\n"
