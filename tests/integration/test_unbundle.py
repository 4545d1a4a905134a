"""End to end: plan the unbundling of a real Debian 12 + Python app image, APPLY the plan in a chroot of a
copy of its root filesystem, pack the result as a new image, rescan, and check it against real tools.

Ground truth: the app's own output inside the chroot (module paths, libxml2 version, a SHA-256 that
hashlib recomputes), dpkg-query in the chroot for the installed versions, and the advisory DB imported
from real records (tests/fixtures/unbundle, see its README).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path

import pytest

from hullscan import api
from hullscan.analyze.unbundle import Action, UnbundleOptions, UnbundlePlan
from hullscan.analyze.unbundle.debian_index import upstream_version
from hullscan.analyze.unbundle.score import components
from hullscan.config import ScanOptions
from hullscan.match.db import import_paths
from hullscan.model.finding import ScanReport
from hullscan.model.package import PackageType
from images.cache import cache_root
from images.chroot import chroot_run
from images.unbundle_images import APP_PATH, AppImage, app_image, applied_image

pytestmark = pytest.mark.slow
ADVISORIES = Path(__file__).parents[1] / "fixtures" / "unbundle" / "advisories.zip"
REPLACED_MODULES = ("lxml", "yaml", "requests", "cryptography")


@pytest.fixture(scope="module")
def database(tmp_path_factory: pytest.TempPathFactory) -> str:
    path = tmp_path_factory.mktemp("unbundle-db") / "db.sqlite"
    import_paths(path, [ADVISORIES])
    return str(path)


@pytest.fixture(scope="module")
def options() -> ScanOptions:
    return replace(ScanOptions(), cache_dir=cache_root() / "hullscan-cache")


@pytest.fixture(scope="module")
def before() -> AppImage:
    return app_image()


@pytest.fixture(scope="module")
def plan(before: AppImage, options: ScanOptions, database: str) -> UnbundlePlan:
    chosen = UnbundleOptions(distro="debian:12", cache_dir=cache_root() / "unbundle-index")
    return api.unbundle(before.reference, options, chosen, db=database)  # type: ignore[no-any-return]


@pytest.fixture(scope="module")
def after(before: AppImage, plan: UnbundlePlan) -> AppImage:
    return applied_image(before, plan.artifacts.steps)


def _run_app(image: AppImage) -> dict[str, object]:
    result = chroot_run(image.rootfs, ["/opt/venv/bin/python", APP_PATH])
    return json.loads(result.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def _dpkg_versions(image: AppImage, names: list[str]) -> dict[str, str]:
    result = chroot_run(image.rootfs, ["dpkg-query", "-W", "-f", "${Package} ${Version}\\n", *names])
    return dict(line.split(" ", 1) for line in result.stdout.splitlines() if line)


def _ids(report: ScanReport, names: set[tuple[str, str]]) -> set[str]:
    """Finding ids on the named packages; copies vendored inside pip are not the app's and stay."""
    return {
        f.id
        for f in report.findings
        if (f.package.type.value, f.package.name.lower()) in names
        and f.package.metadata.get("kind") != "vendored"
    }


def test_plan_replaces_the_critical_wheels_with_debian_packages(before: AppImage, plan: UnbundlePlan) -> None:
    ran = _run_app(before)
    modules = ran["modules"]
    assert isinstance(modules, Mapping)
    assert all(str(modules[m]).startswith("/opt/venv/") for m in REPLACED_MODULES)
    replaced = {d.score.package.name.lower(): d for d in plan.by_action(Action.REPLACE)}
    for name, deb in (
        ("lxml", "python3-lxml"),
        ("pyyaml", "python3-yaml"),
        ("cryptography", "python3-cryptography"),
    ):
        assert replaced[name].candidate is not None
        assert replaced[name].candidate.package == deb
    copies = {(d.score.package.name, d.host_id) for d in plan.by_action(Action.FOLLOWS_HOST)}
    hosts = {d.score.package.id: d.score.package.name for d in plan.by_action(Action.REPLACE)}
    carried = {(name, hosts.get(host or "")) for name, host in copies}
    assert {("libxml2", "lxml"), ("openssl", "cryptography"), ("libyaml", "PyYAML")} <= carried
    critical_copies = [d for d in plan.by_action(Action.FOLLOWS_HOST) if d.score.critical]
    assert {"libxml2", "openssl"} <= {d.score.package.name for d in critical_copies}
    for decision in plan.decisions:
        factors = {f.name for f in decision.score.factors}
        assert {"class", "untrusted-input", "history", "exposure", "staleness"} <= factors
        assert decision.score.score == pytest.approx(
            min(100, sum(f.points for f in decision.score.factors)), abs=0.1
        )


def test_applied_plan_removes_copies_keeps_the_app_working_and_drops_advisories(
    before: AppImage, after: AppImage, plan: UnbundlePlan, options: ScanOptions, database: str
) -> None:
    ran = _run_app(after)
    assert ran["xml"] == "hello"
    assert ran["yaml"] == {"k": [1, 2]}
    assert ran["sha256"] == hashlib.sha256(b"hullscan").hexdigest()
    modules = ran["modules"]
    assert isinstance(modules, Mapping)
    assert all(str(modules[m]).startswith("/usr/lib/python3/dist-packages/") for m in REPLACED_MODULES)

    planned = {
        d.candidate.package: d.candidate.version for d in plan.by_action(Action.REPLACE) if d.candidate
    }
    assert _dpkg_versions(after, sorted(planned)) == planned
    libxml2 = _dpkg_versions(after, ["libxml2"])["libxml2"]
    assert ran["libxml2"] == upstream_version(libxml2)

    rescanned = api.inventory(after.reference, options)
    gone = {(d.score.package.name, d.reason) for d in plan.by_action(Action.FOLLOWS_HOST)}
    left = components(rescanned)
    left_copies = {p.name for p in left if p.type is PackageType.BINARY}
    assert not left_copies & {name for name, _ in gone}
    left_python = {p.name.lower() for p in left if p.type is PackageType.PYTHON}
    assert not left_python & {d.score.package.name.lower() for d in plan.by_action(Action.REPLACE)}

    leaving = {
        (d.score.package.type.value, d.score.package.name.lower())
        for d in plan.decisions
        if d.action in (Action.REPLACE, Action.FOLLOWS_HOST)
    }
    incoming = {("deb", p.name.lower()) for p in plan.delta.new_packages}
    scan_before = api.scan(before.reference, options, db=database)
    scan_after = api.scan(after.reference, options, db=database)
    before_ids = _ids(scan_before, leaving)
    after_ids = _ids(scan_after, leaving | incoming)
    predicted_removed = {f.id for f in plan.delta.removed}
    predicted_added = {f.id for f in plan.delta.added}
    print(
        f"\ncritical-component advisories: before {len(before_ids)}, after {len(after_ids)}; "
        f"plan predicted -{len(predicted_removed)} +{len(predicted_added)} (net {plan.delta.net:+d}); "
        f"image findings total: before {len(scan_before.findings)}, after {len(scan_after.findings)}"
    )
    assert before_ids == predicted_removed
    assert after_ids == predicted_added
    assert len(after_ids) - len(before_ids) == plan.delta.net < 0
