"""classify_findings over small inventories: dependents' ranges, vendoring pins, OS packages, tracker rows.

Ranges are real ones (requests 2.25.1's METADATA lines, npm ranges) and are judged by the tools
that own them (`packaging`, node-semver); tracker rows come from the real tracker excerpt.
"""

from __future__ import annotations

import json
import re
import subprocess
from collections import Counter
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest
from packaging.specifiers import SpecifierSet

from hullscan.analyze.compare.facts import finding_counts
from hullscan.analyze.patchability import ReleaseIndex, classify_findings, not_consulted
from hullscan.analyze.unbundle.debian_index import DebianIndex, IndexEntry
from hullscan.match.db import AdvisoryDB, import_paths
from hullscan.model.files import Coordinates
from hullscan.model.finding import Evidence, Finding, FindingStatus, PatchClass, Severity
from hullscan.model.image import ImageDescription
from hullscan.model.inventory import Distro, Inventory
from hullscan.model.package import Package, PackageType, Relationship, RelationshipKind

from .test_patch_bumps import _node_semver

TRACKER = Path(__file__).resolve().parents[2] / "fixtures" / "osv-db" / "CVE-list.excerpt.txt"
SITE = "/usr/local/lib/python3.11/site-packages"
REQUESTS_2_25_1 = [  # requests-2.25.1.dist-info/METADATA, Requires-Dist lines as published
    "chardet (<5,>=3.0.2)",
    "idna (<3,>=2.5)",
    "urllib3 (<1.27,>=1.21.1)",
    "certifi (>=2017.4.17)",
    "pyOpenSSL (>=0.14) ; extra == 'security'",
    "cryptography (>=1.3.4) ; extra == 'security'",
    "PySocks (!=1.5.7,>=1.5.6) ; extra == 'socks'",
]


def _python(name: str, version: str, **metadata: object) -> Package:
    path = f"{SITE}/{name}-{version}.dist-info/METADATA"
    return Package(name, version, PackageType.PYTHON, f"pkg:pypi/{name.lower()}@{version}", "python-installed",
                   (_coordinates(path),), metadata={"site_packages": SITE, **metadata})


def _npm(name: str, version: str, **metadata: object) -> Package:
    path = f"/app/node_modules/{name}/package.json"
    return Package(name, version, PackageType.NPM, f"pkg:npm/{name}@{version}", "npm-installed",
                   (_coordinates(path),), metadata=metadata)


def _deb(name: str, version: str, source: str | None = None) -> Package:
    return Package(name, version, PackageType.DEB, f"pkg:deb/debian/{name}@{version}", "dpkg-status",
                   (_coordinates("/var/lib/dpkg/status"),), source_name=source, source_version=version)


def _coordinates(path: str) -> Coordinates:
    return Coordinates(path, "sha256:" + "0" * 64)


def _finding(package: Package, fix: str | None, vulnerability: str = "CVE-2099-0001", ecosystem: str = "PyPI") -> Finding:
    evidence = Evidence(vulnerability, ecosystem, package.source_name or package.name, package.version, "m", "range:0")
    return Finding(vulnerability, package, FindingStatus.AFFECTED, Severity.HIGH, fix=fix, evidence=(evidence,))


def _inventory(packages: Sequence[Package], edges: Sequence[tuple[Package, Package, RelationshipKind]] = (),
               distro: Distro | None = None) -> Inventory:
    relationships = tuple(Relationship(a.id, b.id, kind) for a, b, kind in edges)
    return Inventory(ImageDescription("test", "directory"), tuple(packages), relationships, distro=distro)


# ----- Python ------------------------------------------------------------------------------------


def _requests_world() -> tuple[Inventory, dict[str, Package]]:
    requests = _python("requests", "2.25.1", requires_dist=REQUESTS_2_25_1)
    deps = {name: _python(name, version) for name, version in
            (("urllib3", "1.26.4"), ("idna", "2.10"), ("certifi", "2020.12.5"), ("PySocks", "1.5.6"))}
    edges = [(requests, dep, RelationshipKind.DEPENDS_ON) for dep in deps.values()]
    return _inventory([requests, *deps.values()], edges), {"requests": requests, **deps}


@pytest.mark.parametrize(("name", "fix"), [("urllib3", "1.26.18"), ("urllib3", "2.0.7"), ("idna", "3.7"), ("idna", "2.99")])
def test_python_fix_is_judged_by_the_dependents_specifier(name: str, fix: str) -> None:
    inventory, packages = _requests_world()
    (finding,) = classify_findings([_finding(packages[name], fix)], inventory)
    line = next(text for text in REQUESTS_2_25_1 if text.lower().startswith(name.lower()))
    specifier = SpecifierSet(line.split("(")[1].split(")")[0])
    allowed = specifier.contains(fix)
    assert finding.patch_class is (PatchClass.DEV_COMPATIBLE if allowed else PatchClass.DEV_BREAKING)
    assert f"requests 2.25.1 requires {name}{specifier}" in finding.patch_reason


def test_an_extras_requirement_does_not_constrain() -> None:
    inventory, packages = _requests_world()
    excluded = "1.5.7"  # PySocks!=1.5.7 applies only with requests[socks]
    assert not SpecifierSet("!=1.5.7,>=1.5.6").contains(excluded)
    (finding,) = classify_findings([_finding(packages["PySocks"], excluded)], inventory)
    assert finding.patch_class is PatchClass.DEV_COMPATIBLE
    assert "no dependent in the image declares a range for PySocks" in finding.patch_reason


def test_vendored_copy_is_pinned_by_its_host() -> None:
    pip = _python("pip", "23.0.1")
    copy = Package("urllib3", "1.26.14", PackageType.PYTHON, "pkg:pypi/urllib3@1.26.14", "python-installed",
                   (_coordinates(f"{SITE}/pip/_vendor/vendor.txt"),), metadata={"kind": "vendored", "vendored_in": "pip"})
    inventory = _inventory([pip, copy], [(copy, pip, RelationshipKind.VENDORED_IN)])
    (finding,) = classify_findings([_finding(copy, "1.26.18")], inventory)
    assert finding.patch_class is PatchClass.DEV_BREAKING
    assert "pip 23.0.1 vendors urllib3==1.26.14" in finding.patch_reason


def test_no_fix_and_unjudged_findings() -> None:
    inventory, packages = _requests_world()
    unknown = Finding("CVE-2099-0002", packages["idna"], FindingStatus.UNDER_INVESTIGATION, Severity.LOW)
    none, undecided = classify_findings([_finding(packages["idna"], None), unknown], inventory)
    assert none.patch_class is PatchClass.NO_FIX
    assert undecided.patch_class is PatchClass.NO_FIX
    assert "could not be decided" in undecided.patch_reason


# ----- npm ---------------------------------------------------------------------------------------

NPM_RANGES = {"lodash": "^4.17.0", "minimist": "~1.2.0", "node-fetch": "^2.6.0", "semver": ">=5.0.0 <5.7.2 || 6.x"}
NPM_CASES = [("lodash", "4.17.15", "4.17.21"), ("minimist", "1.2.0", "1.2.6"), ("minimist", "1.2.0", "1.3.0"),
             ("node-fetch", "2.6.0", "3.1.1"), ("semver", "5.6.0", "5.7.2"), ("semver", "5.6.0", "6.3.1")]


def _node_verdicts(cases: list[tuple[str, str, str]]) -> list[tuple[bool, bool]]:
    """(range allows the fix, same major) per (installed, fix, range), from node-semver."""
    script = (
        f"const s=require({json.dumps(str(_node_semver()))});"
        "const cases=JSON.parse(require('fs').readFileSync(0,'utf8'));"
        "console.log(JSON.stringify(cases.map(([i,f,r])=>[s.satisfies(f,r),s.major(i)===s.major(f)])));"
    )
    result = subprocess.run(["node", "-e", script], input=json.dumps(cases), capture_output=True, text=True, check=True)
    return [(bool(allowed), bool(same)) for allowed, same in json.loads(result.stdout)]


def test_npm_fix_is_judged_by_node_semver() -> None:
    app = _npm("web", "1.0.0", dependencies=NPM_RANGES)
    targets = {name: _npm(name, version) for name, version, _ in NPM_CASES}
    edges = [(app, target, RelationshipKind.DEPENDS_ON) for target in targets.values()]
    inventory = _inventory([app, *targets.values()], edges)
    findings = [_finding(targets[name], fix, ecosystem="npm") for name, _, fix in NPM_CASES]
    oracle = _node_verdicts([(version, fix, NPM_RANGES[name]) for name, version, fix in NPM_CASES])
    assert {allowed for allowed, _ in oracle} == {True, False}
    assert (True, False) in oracle, "a range may allow a new major: still breaking"
    for finding, (allowed, same_major) in zip(classify_findings(findings, inventory), oracle, strict=True):
        compatible = allowed and same_major
        assert finding.patch_class is (PatchClass.DEV_COMPATIBLE if compatible else PatchClass.DEV_BREAKING)
        constraint = f"web 1.0.0 requires {finding.package.name}@{NPM_RANGES[finding.package.name]}"
        if compatible:
            assert f"allowed by {constraint}" in finding.patch_reason
        assert (f"outside {constraint}" in finding.patch_reason) == (not allowed)


def test_npm_major_bump_without_dependents_is_breaking() -> None:
    fetch = _npm("node-fetch", "2.6.0")
    (finding,) = classify_findings([_finding(fetch, "3.1.1", ecosystem="npm")], _inventory([fetch]))
    assert finding.patch_class is PatchClass.DEV_BREAKING
    assert "major version bump (2 -> 3)" in finding.patch_reason


# ----- OS packages -------------------------------------------------------------------------------

BOOKWORM = Distro("debian", "12", "bookworm")


def _index(*entries: tuple[str, str, str, str]) -> ReleaseIndex:
    rows = [IndexEntry(name, version, source, version, "", (), suite) for name, version, source, suite in entries]
    return ReleaseIndex(DebianIndex(rows, ["test"]), "bookworm, bookworm-updates, bookworm-security", "bookworm")


def test_os_fix_published_in_the_index_is_ops() -> None:
    libssl = _deb("libssl3", "3.0.20-1~deb12u2", "openssl")
    index = _index(("libssl3", "3.0.11-1~deb12u2", "openssl", "bookworm"),
                   ("libssl3", "3.0.22-1~deb12u2", "openssl", "bookworm-security"))
    (finding,) = classify_findings([_finding(libssl, "3.0.22-1~deb12u1", ecosystem="Debian:12")],
                                   _inventory([libssl], distro=BOOKWORM), index=index)
    assert finding.patch_class is PatchClass.OPS
    assert "bookworm-security publishes libssl3 3.0.22-1~deb12u2" in finding.patch_reason


def test_os_fix_not_yet_published_is_no_fix() -> None:
    libssl = _deb("libssl3", "3.0.20-1~deb12u2", "openssl")
    index = _index(("libssl3", "3.0.20-1~deb12u2", "openssl", "bookworm-security"))
    (finding,) = classify_findings([_finding(libssl, "3.0.22-1~deb12u1", ecosystem="Debian:12")],
                                   _inventory([libssl], distro=BOOKWORM), index=index)
    assert finding.patch_class is PatchClass.NO_FIX
    assert "not yet published" in finding.patch_reason


def test_os_fix_without_an_index_says_so() -> None:
    libssl = _deb("libssl3", "3.0.20-1~deb12u2", "openssl")
    (finding,) = classify_findings([_finding(libssl, "3.0.22-1~deb12u1", ecosystem="Debian:12")],
                                   _inventory([libssl], distro=BOOKWORM), index=not_consulted("offline"))
    assert finding.patch_class is PatchClass.OPS
    assert "index not consulted (offline)" in finding.patch_reason


def test_language_package_installed_by_the_os_is_ops() -> None:
    owned = _python("six", "1.16.0", os_owner="pkg:deb/debian/python3-six@1.16.0-4")
    (finding,) = classify_findings([_finding(owned, "1.17.0")], _inventory([owned]))
    assert finding.patch_class is PatchClass.OPS
    assert "python3-six" in finding.patch_reason


@pytest.fixture(scope="module")
def tracker_db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AdvisoryDB]:
    path = tmp_path_factory.mktemp("tracker") / "db.sqlite"
    import_paths(path, [TRACKER])
    with AdvisoryDB.open(path) as database:
        yield database


def test_os_no_fix_adds_what_the_tracker_says(tracker_db: AdvisoryDB) -> None:
    text = TRACKER.read_text()
    block = text[text.index("CVE-2021-36367") :].split("\nCVE-", 1)[0]
    found = re.search(r"\[bullseye\] - putty <([a-z-]+)> \(([^)]*)\)", block)
    assert found is not None
    status, reason = found.groups()
    putty = _deb("putty", "0.74-2", "putty")
    (finding,) = classify_findings([_finding(putty, None, "CVE-2021-36367", "Debian:11")],
                                   _inventory([putty], distro=Distro("debian", "11", "bullseye")),
                                   triage=tracker_db)
    assert finding.patch_class is PatchClass.NO_FIX
    assert f"Debian tracker (bullseye): CVE-2021-36367 {status} ({reason})" in finding.patch_reason


# ----- identified binaries and counts ------------------------------------------------------------


def test_identified_binary_with_a_fix_stays_unclassified() -> None:
    zlib = Package("zlib", "1.2.11", PackageType.BINARY, "pkg:generic/zlib@1.2.11", "elf-bundled",
                   (_coordinates("/opt/venv/lib/python3.11/site-packages/Pillow.libs/libz.so.1"),),
                   metadata={"host": {"name": "Pillow", "version": "9.3.0"}})
    fixed, unfixed = classify_findings([_finding(zlib, "1.2.12"), _finding(zlib, None, "CVE-2099-0002")], _inventory([zlib]))
    assert fixed.patch_class is None
    assert "Pillow 9.3.0" in fixed.patch_reason
    assert unfixed.patch_class is PatchClass.NO_FIX


def test_compare_counts_every_class() -> None:
    inventory, packages = _requests_world()
    findings = classify_findings([_finding(packages["urllib3"], "1.26.18"), _finding(packages["idna"], "3.7"),
                                  _finding(packages["idna"], None, "CVE-2099-0003")], inventory)
    counts = finding_counts(findings)
    expected = Counter(f.patch_class.value for f in findings if f.patch_class)
    assert counts.patch_class_status == "computed"
    assert dict(counts.by_patch_class) == {c.value: expected.get(c.value, 0) for c in PatchClass}
    assert finding_counts([_finding(packages["idna"], "3.7")]).patch_class_status == "not computed"
