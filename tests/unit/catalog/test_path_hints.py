"""Every cataloger's path hints are a true necessary condition of its wants(), on real trees.

The runner skips `wants()` for paths outside the hints, so a hint that is too narrow would make a
cataloger silently blind. This walks real file trees (this machine's /usr, /var/lib, the test
fixtures) plus tricky synthetic paths and checks `wants(p)` implies `may_want(p)`.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from hullscan.catalog.registry import default_catalogers
from hullscan.catalog.runner import WantedPaths

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
TRICKY = [
    "/var/lib/dpkg/status",
    "/var/lib/dpkg/status.d/libssl3",
    "/var/lib/dpkg/status.d/libssl3.md5sums",
    "/var/lib/dpkg/info/libc6:amd64.list",
    "/usr/share/doc/libc6/copyright",
    "/lib/apk/db/installed",
    "/var/lib/rpm/Packages",
    "/usr/lib/sysimage/rpm/rpmdb.sqlite",
    "/app/node_modules/@scope/pkg/package.json",
    "/app/node_modules/a/node_modules/b/package.json",
    "/app/node_modules/.package-lock.json",
    "/app/package-lock.json",
    "/app/yarn.lock",
    "/app/pnpm-lock.yaml",
    "/usr/share/nodejs/acorn/package.json",
    "/usr/lib/python3/dist-packages/PyYAML-6.0.dist-info/METADATA",
    "/usr/lib/python3/dist-packages/PyYAML-6.0.dist-info/RECORD",
    "/usr/lib/python3/dist-packages/foo.egg-info",
    "/usr/lib/python3/dist-packages/foo.egg-info/PKG-INFO",
    "/usr/local/lib/python3.11/site-packages/pip/_vendor/vendor.txt",
    "/usr/share/python-wheels/pip-23.0.1-py3-none-any.whl",
    "/opt/app/lib/commons-lang3.JAR",
    "/srv/app.war",
    "/var/lib/gems/3.1.0/specifications/rake-13.0.6.gemspec",
    "/app/Gemfile.lock",
    "/app/vendor/composer/installed.json",
    "/app/composer.lock",
]


def _real_paths() -> Iterator[str]:
    roots = [Path("/usr/lib"), Path("/usr/share/java"), Path("/var/lib"), FIXTURES]
    for root in roots:
        for directory, dirs, files in os.walk(root):
            dirs.sort()
            for name in (*dirs, *files):
                full = str(Path(directory, name))
                yield full if not full.startswith(str(FIXTURES)) else full[len(str(FIXTURES)) :]


@pytest.fixture(scope="module")
def corpus() -> list[str]:
    paths = [*TRICKY, *_real_paths()]
    assert len(paths) > 20_000
    return paths


@pytest.mark.parametrize("cataloger", default_catalogers(), ids=lambda c: c.name)
def test_hints_never_hide_a_wanted_path(cataloger: object, corpus: list[str]) -> None:
    hints = cataloger.path_hints  # type: ignore[attr-defined]
    assert hints is not None, "every default cataloger declares its path hints"
    wanted = [p for p in corpus if cataloger.wants(p)]  # type: ignore[attr-defined]
    hidden = [p for p in wanted if not hints.may_want(p, p.rsplit("/", 1)[-1], p.rsplit("/", 1)[-1].lower())]
    assert hidden == []


def test_prefilter_answers_exactly_like_asking_every_cataloger(corpus: list[str]) -> None:
    catalogers = default_catalogers()
    fast = WantedPaths(catalogers)
    for path in corpus:
        slow = [c.name for c in catalogers if c.wants(path)]
        assert sorted(c.name for c in fast.catalogers_for(path)) == sorted(slow), path


def test_tricky_paths_are_wanted_by_someone() -> None:
    fast = WantedPaths(default_catalogers())
    assert all(fast.catalogers_for(p) for p in TRICKY)
