"""The npm range evaluator against node-semver itself (the copy bundled with npm)."""

from __future__ import annotations

import itertools
import json
import shutil
import subprocess
from pathlib import Path

import pytest

from hullscan.analyze.upgrade.npm_range import RangeError, satisfies

RANGES = (
    "^1.2.3", "~1.2.3", "1.x", "1.2.x", "*", "", ">=1.2.7 <1.3.0", "1.2.7 || >=1.2.9 <2.0.0",
    "1.2.3 - 2.3.4", "1.2 - 2.3.4", "1.2.3 - 2.3", "1.2.3 - 2", "^0.2.3", "^0.0.3", "^1.2.x", "^0.0.x",
    "^0.0", "^1.x", "^0.x", "~1.2", "~1", "~0.2.3", ">1.2", ">1", "<1.2", "<=1.2", ">=1.2", "=1.2",
    "^1.2.3-beta.2", "~1.2.3-beta.2", ">1.2.3-alpha.3", "1.2.3-rc.1", "2", ">= 1.0.0", "<2.0.0",
    "~> 1.2.3", "^2.0.0 || ^3.0.0",
)  # fmt: skip
VERSIONS = (
    "0.0.3", "0.0.4", "0.2.3", "0.2.9", "0.3.0", "1.0.0", "1.2.2", "1.2.3", "1.2.3-beta.4", "1.2.3-rc.1",
    "1.2.4-beta.1", "1.2.7", "1.2.8", "1.2.9", "1.3.0", "1.3.0-rc.1", "2.0.0", "2.0.0-0", "2.3.4", "2.3.5",
    "2.4.0", "3.0.0", "3.1.0-alpha.3",
)  # fmt: skip
SEMVER = Path("/usr/lib/node_modules/npm/node_modules/semver")


def _node_semver() -> Path:
    node = shutil.which("node")
    if node is None or not SEMVER.is_dir():
        subprocess.run(["apt-get", "install", "-y", "-q", "nodejs", "npm"], check=True, capture_output=True)
    return SEMVER


@pytest.fixture(scope="module")
def oracle() -> dict[str, bool]:
    semver = _node_semver()
    pairs = list(itertools.product(VERSIONS, RANGES))
    script = (
        f"const s=require({json.dumps(str(semver))});"
        "const pairs=JSON.parse(require('fs').readFileSync(0,'utf8'));"
        "console.log(JSON.stringify(pairs.map(([v,r])=>s.satisfies(v,r))));"
    )
    result = subprocess.run(
        ["node", "-e", script], input=json.dumps(pairs), capture_output=True, text=True, check=True
    )
    answers = json.loads(result.stdout)
    return {f"{v}|{r}": bool(a) for (v, r), a in zip(pairs, answers, strict=True)}


@pytest.mark.parametrize("range_text", RANGES)
def test_matches_node_semver(range_text: str, oracle: dict[str, bool]) -> None:
    got = {v: satisfies(v, range_text) for v in VERSIONS}
    want = {v: oracle[f"{v}|{range_text}"] for v in VERSIONS}
    assert got == want


def test_bad_version_raises() -> None:
    with pytest.raises(RangeError):
        satisfies("not-a-version", "^1.0.0")
