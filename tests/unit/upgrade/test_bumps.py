"""Version change classification, with the ordering cross-checked by `dpkg --compare-versions`."""

from __future__ import annotations

import subprocess

import pytest

from hullscan.analyze.upgrade.bumps import classify, order
from hullscan.analyze.upgrade.model import Bump

CASES = (
    ("deb", "3.0.11-1~deb12u2", "3.0.11-1~deb12u3", Bump.REVISION),
    ("deb", "2.36-9+deb12u4", "2.41-12", Bump.MINOR),
    ("deb", "1:3.0.9-1", "1:4.0.2-2", Bump.MAJOR),
    ("deb", "1:2.3-1", "2:2.3-1", Bump.EPOCH),
    ("deb", "5.3.28+dfsg2-1", "5.3.28+dfsg2-9", Bump.REVISION),
    ("deb", "8.2-1.3", "8.2.1-1", Bump.PATCH),
    ("python", "2.2.1", "2.2.3", Bump.PATCH),
    ("python", "1.26.4", "2.0", Bump.MAJOR),
    ("python", "3.1", "3.1.4", Bump.PATCH),
    ("python", "1!1.0", "2!1.0", Bump.EPOCH),
    ("npm", "4.17.21", "4.18.0", Bump.MINOR),
    ("apk", "1.36.1-r15", "1.36.1-r19", Bump.REVISION),
)


@pytest.mark.parametrize(("ecosystem", "old", "new", "bump"), CASES)
def test_classify(ecosystem: str, old: str, new: str, bump: Bump) -> None:
    assert classify(ecosystem, old, new) is bump


@pytest.mark.parametrize(("old", "new"), [(c[1], c[2]) for c in CASES if c[0] == "deb"])
def test_deb_order_agrees_with_dpkg(old: str, new: str) -> None:
    older = subprocess.run(["dpkg", "--compare-versions", old, "lt", new], check=False).returncode == 0
    assert (order("deb", old, new) == -1) is older
