"""Triage evidence producers on real images: Go symbols (inlining included), whiteouts, tracker triage,
changelog backports, and entrypoint reachability on the README's example image.

Ground truth comes from the real tools: `go tool nm` on the unstripped builds and the compiler's
`-gcflags=-m` log for inlining, `tar -t` for the whiteouts, `dpkg-parsechangelog` for changelogs,
`dpkg-query` for what is installed, and the image's own dynamic loader (`ld.so --list`, chrooted)
for which libraries the entrypoint loads.
"""

from __future__ import annotations

import dataclasses
import gzip
import json
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from hullscan import api
from hullscan.analyze.vex.context import TriageContext
from hullscan.analyze.vex.evidence import (
    batch,
    changelog_backport,
    component_not_present,
    distro_triage,
    go_symbols,
)
from hullscan.analyze.vex.evidence.execute_path import execute_path
from hullscan.analyze.vex.evidence.go_symbols import FunctionIndex, VulnerableSymbol
from hullscan.analyze.vex.evidence.go_symbols import verdict as go_verdict
from hullscan.analyze.vex.evidence.gopclntab import read_go_functions
from hullscan.analyze.vex.evidence.reachability import reachable_objects
from hullscan.build.example import build_example_image
from hullscan.catalog.registry import default_policy
from hullscan.config import ScanOptions, Scope
from hullscan.fileview.interface import FileView
from hullscan.match.db import AdvisoryDB, import_paths
from hullscan.match.matcher import match_inventory, match_packages
from hullscan.model.finding import Finding, FindingStatus, Severity
from hullscan.model.inventory import Inventory
from hullscan.model.package import Package, PackageType
from hullscan.model.vex import Justification, StatementConfidence, VexStatement
from images.cache import cache_root, file_lock
from images.python_image import PythonImage
from images.tools import ensure_tool
from images.vex_images import VexImage, newer_go_build, vex_image

pytestmark = [pytest.mark.slow, pytest.mark.network]

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "vex_evidence"
NORM = "golang.org/x/text/unicode/norm"


@pytest.fixture(scope="module")
def image() -> VexImage:
    return vex_image()


@pytest.fixture(scope="module")
def database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AdvisoryDB]:
    path = tmp_path_factory.mktemp("vex-db") / "db.sqlite"
    import_paths(path, [FIXTURES / "osv", FIXTURES / "tracker" / "CVE-list.excerpt.txt"])
    with AdvisoryDB.open(path) as opened:
        yield opened


def _view(reference: str, scope: Scope = Scope.SQUASHED) -> FileView:
    return api.open_view(reference, ScanOptions(scope=scope), default_policy())[1]


@pytest.fixture(scope="module")
def squashed(image: VexImage, database: AdvisoryDB) -> tuple[Inventory, FileView, tuple[Finding, ...]]:
    found = api.inventory(image.reference, ScanOptions())
    return found, _view(image.reference), match_inventory(found, database).findings


def _context(
    found: Inventory, view: FileView, findings: tuple[Finding, ...], db: AdvisoryDB
) -> TriageContext:
    return TriageContext(inventory=found, findings=findings, view=view, database=db)


LINKER_MARKERS = frozenset({"runtime.text", "runtime.etext"})
"""Text symbols marking the section's bounds: not functions, so not in the pclntab."""


def _nm_functions(binary: Path) -> set[str]:
    """Text symbols of an unstripped build, spelled as the pclntab spells them (`[2]T` -> `[...]T`)."""
    out = subprocess.run(["go", "tool", "nm", str(binary)], capture_output=True, text=True, check=True).stdout
    names = set()
    for line in out.splitlines():
        parts = line.split(None, 2)
        if len(parts) == 3 and parts[1] in ("T", "t") and parts[2] not in LINKER_MARKERS:
            names.add(_spelled(parts[2]))
    return names


def _spelled(name: str) -> str:
    """One spelling for nm and pclntab names: array sizes as `[...]` (Go < 1.20 pclntab), `·` as `.`
    (nm's display), no `.abi0` suffix."""
    return re.sub(r"\[\d+\]", "[...]", name.removesuffix(".abi0")).replace("\u00b7", ".")


# --- Go symbols ------------------------------------------------------------------------------------


def test_pclntab_of_stripped_builds_lists_what_nm_lists_unstripped(image: VexImage) -> None:
    view = _view(image.reference)
    for build in image.go.values():
        stripped = view.read(build.image_path)
        assert b".symtab" not in stripped  # really stripped
        found = read_go_functions(stripped)
        assert _nm_functions(build.unstripped) <= {_spelled(n) for n in found.functions}


def test_inlined_function_is_only_in_the_inline_tree(image: VexImage) -> None:
    build = image.go["inline"]
    log = build.inlining_log.read_text()
    assert "inlining call to norm.Form.FirstBoundaryInString" in log
    assert f"{NORM}.Form.FirstBoundaryInString" not in _nm_functions(build.unstripped)
    found = read_go_functions(_view(image.reference).read(build.image_path))
    assert f"{NORM}.Form.FirstBoundaryInString" in found.inlined


def _go_statements(
    squashed: tuple[Inventory, FileView, tuple[Finding, ...]], database: AdvisoryDB
) -> dict[str, VexStatement]:
    found, view, findings = squashed
    made = list(go_symbols(_context(found, view, findings, database)))
    by_binary: dict[str, VexStatement] = {}
    for statement in made:
        binary = statement.evidence[0].location or ""
        assert binary not in by_binary
        by_binary[binary] = statement
    return by_binary


def test_go_findings_exist_for_every_binary(
    image: VexImage, squashed: tuple[Inventory, FileView, tuple[Finding, ...]]
) -> None:
    _, _, findings = squashed
    text = [f for f in findings if f.package.name == "golang.org/x/text"]
    assert {f.package.locations[0].path for f in text} == {b.image_path for b in image.go.values()}
    assert all("GO-2026-5970" in f.advisory_ids for f in text)
    assert all(f.package.version == "v0.7.0" for f in text)


def test_called_inlined_and_absent_vulnerable_functions(
    image: VexImage, squashed: tuple[Inventory, FileView, tuple[Finding, ...]], database: AdvisoryDB
) -> None:
    statements = _go_statements(squashed, database)
    call, inline, none = (statements[image.go[n].image_path] for n in ("call", "inline", "none"))
    nm_call, nm_none = _nm_functions(image.go["call"].unstripped), _nm_functions(image.go["none"].unstripped)
    assert f"{NORM}.Form.IsNormalString" in nm_call
    assert not any(name.startswith(NORM + ".") for name in nm_none)

    assert call.status is FindingStatus.AFFECTED
    assert f"{NORM}.Form.IsNormalString (compiled)" in call.evidence[0].detail
    assert inline.status is FindingStatus.AFFECTED
    assert f"{NORM}.Form.FirstBoundaryInString (inlined only)" in inline.evidence[0].detail
    assert none.status is FindingStatus.NOT_AFFECTED
    assert none.justification is Justification.VULNERABLE_CODE_NOT_PRESENT
    assert none.confidence is StatementConfidence.HIGH


# --- whiteouts --------------------------------------------------------------------------------------


def test_package_removed_by_a_later_layer_is_component_not_present(
    image: VexImage, database: AdvisoryDB
) -> None:
    listing = subprocess.run(
        ["tar", "-tzf", str(image.layers[2].path)], capture_output=True, text=True, check=True
    ).stdout
    assert "usr/local/lib/python3.11/site-packages/.wh.urllib3" in listing
    everything = api.inventory(image.reference, ScanOptions(scope=Scope.ALL_LAYERS))
    removed = [p for p in everything.packages if p.name == "urllib3"]
    assert [p.visible for p in removed] == [False]
    assert not [p for p in api.inventory(image.reference, ScanOptions()).packages if p.name == "urllib3"]
    # Match the removed copy directly (the producer alone is under test here; the all-layers scan
    # below runs the whole pipeline).
    shown = dataclasses.replace(removed[0], visible=True)
    matched = match_packages([shown], everything.distro, database).findings
    assert {"PYSEC-2021-108", "PYSEC-2023-212"} <= {a for f in matched for a in f.advisory_ids}
    findings = tuple(dataclasses.replace(f, package=removed[0]) for f in matched)
    made = list(
        component_not_present(
            _context(everything, _view(image.reference, Scope.ALL_LAYERS), findings, database)
        )
    )
    assert len(made) == len(findings)
    assert {s.vulnerability for s in made} == {f.id for f in findings}
    assert all(s.justification is Justification.COMPONENT_NOT_PRESENT for s in made)
    assert all(image.layers[1].digest in s.evidence[0].detail for s in made)


def test_a_visible_copy_of_the_same_purl_blocks_the_statement(image: VexImage, database: AdvisoryDB) -> None:
    everything = api.inventory(image.reference, ScanOptions(scope=Scope.ALL_LAYERS))
    removed = next(p for p in everything.packages if p.name == "urllib3")
    again = dataclasses.replace(removed, visible=True, id="reinstalled")
    findings = (_finding("CVE-2021-33503", removed), _finding("CVE-2021-33503", again))
    assert list(component_not_present(_context(everything, _view(image.reference), findings, database))) == []


def _finding(vuln: str, package: Package) -> Finding:
    return Finding(id=vuln, package=package, status=FindingStatus.AFFECTED, severity=Severity.UNKNOWN)


# --- Debian tracker and changelogs --------------------------------------------------------------


def _dpkg_version(image: VexImage, name: str) -> str:
    admin = f"--admindir={image.os_root}/var/lib/dpkg"
    out = subprocess.run(
        ["dpkg-query", admin, "-W", "-f", "${Version}", name], capture_output=True, text=True, check=True
    )
    return out.stdout


def test_tracker_unimportant_cve_on_an_installed_package(
    image: VexImage, squashed: tuple[Inventory, FileView, tuple[Finding, ...]], database: AdvisoryDB
) -> None:
    found, view, _ = squashed
    ant = next(p for p in found.packages if p.type is PackageType.DEB and p.name == "ant")
    assert ant.version == _dpkg_version(image, "ant")
    assert re.search(
        r"- ant <unfixed> \(unimportant\)", (FIXTURES / "tracker" / "CVE-list.excerpt.txt").read_text()
    )
    made = list(distro_triage(_context(found, view, (_finding("CVE-2021-36373", ant),), database)))
    assert [s.status for s in made] == [FindingStatus.AFFECTED]
    assert made[0].product == ant.purl
    assert (made[0].impact_statement or "").startswith("distribution will not fix: unimportant (")


def _changelog_cves(image: VexImage, package: str, tmp: Path) -> dict[str, str]:
    plain = tmp / f"{package}.changelog"
    plain.write_bytes(
        gzip.decompress((image.os_root / f"usr/share/doc/{package}/changelog.Debian.gz").read_bytes())
    )
    out = subprocess.run(
        [ensure_tool("dpkg-parsechangelog", "dpkg-dev"), "-l", str(plain), "--all", "--format", "rfc822"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    cves: dict[str, str] = {}
    for stanza in out.strip().split("\n\n"):
        version = re.search(r"^Version: (.*)$", stanza, re.MULTILINE)
        assert version is not None
        for cve in re.findall(r"CVE-\d{4}-\d{4,}", stanza):
            cves.setdefault(cve, version.group(1))
    return cves


def test_changelog_backport_reads_uncaptured_changelogs(
    image: VexImage,
    squashed: tuple[Inventory, FileView, tuple[Finding, ...]],
    database: AdvisoryDB,
    tmp_path: Path,
) -> None:
    found, view, _ = squashed
    zlib = next(p for p in found.packages if p.type is PackageType.DEB and p.name == "zlib1g")
    expected = _changelog_cves(image, "zlib1g", tmp_path)
    assert expected
    absent = "CVE-2023-45853"
    assert absent not in expected
    findings = tuple(_finding(cve, zlib) for cve in [*expected, absent])
    made = {s.vulnerability: s for s in changelog_backport(_context(found, view, findings, database))}
    assert set(made) == set(expected)
    for cve, version in expected.items():
        statement = made[cve]
        assert statement.status is FindingStatus.FIXED
        assert statement.evidence[0].detail.startswith(f"{version}: ")
        assert statement.evidence[0].location is not None
        assert statement.evidence[0].location.startswith("/usr/share/doc/zlib1g/changelog.Debian.gz:")


# --- execute path on the README's example image --------------------------------------------------


@pytest.fixture(scope="module")
def example() -> Path:
    root = cache_root() / "example"
    with file_lock(cache_root() / ".example.lock"):
        return build_example_image(root / "oci", root / "downloads")


@pytest.fixture(scope="module")
def example_root(example: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The example image's layers extracted in order (it deletes nothing), for the image's own ld.so."""
    root = tmp_path_factory.mktemp("example-root")
    index = json.loads((example / "index.json").read_text())
    manifest = json.loads(
        (example / "blobs/sha256" / index["manifests"][0]["digest"].split(":")[1]).read_text()
    )
    for layer in manifest["layers"]:
        blob = example / "blobs/sha256" / layer["digest"].split(":")[1]
        subprocess.run(["tar", "-xzf", str(blob), "-C", str(root)], check=True)
    return root


def _in_root(root: Path, path: str, hops: int = 40) -> str:
    """The real path of `path` inside `root`, symlinks followed with `/` meaning the root (like chroot)."""
    parts = [p for p in path.split("/") if p]
    done: list[str] = []
    while parts and hops > 0:
        part = parts.pop(0)
        if part == "..":
            done = done[:-1]
            continue
        candidate = root.joinpath(*done, part)
        if candidate.is_symlink():
            hops -= 1
            target = str(candidate.readlink())
            parts = [p for p in target.split("/") if p] + parts
            if target.startswith("/"):
                done = []
            continue
        if part != ".":
            done.append(part)
    return "/" + "/".join(done)


def _loader_resolved(root: Path, objects: list[str]) -> set[str]:
    """Real paths of the libraries the image's dynamic loader maps for each object (`ld.so --list`)."""
    resolved: set[str] = set()
    for path in objects:
        out = subprocess.run(
            ["chroot", str(root), "/lib64/ld-linux-x86-64.so.2", "--list", path],
            capture_output=True, text=True, check=True,
        ).stdout  # fmt: skip
        for match in re.finditer(r"=> (\S+) \(", out):
            resolved.add(_in_root(root, match.group(1)))
    return resolved


def test_entrypoint_closure_matches_the_image_loader(example: Path, example_root: Path) -> None:
    reference = f"oci:{example}:latest"
    view = _view(reference)
    description = api.open_view(reference, ScanOptions())[0]
    reach = reachable_objects(view, description.config)
    assert reach is not None
    python = _in_root(example_root, "/usr/bin/python3")
    assert reach.entry == python
    modules = sorted(
        "/" + str(p.relative_to(example_root))
        for p in (example_root / "usr/lib/python3.11/lib-dynload").glob("*.so")
    )
    loaded = _loader_resolved(example_root, [python, *modules])
    assert any("libssl" in p for p in loaded)
    assert loaded <= reach.reachable
    assert set(modules) <= reach.reachable


def test_unreached_libraries_are_low_confidence_not_in_execute_path(
    example: Path, example_root: Path
) -> None:
    reference = f"oci:{example}:latest"
    found = api.inventory(reference, ScanOptions())
    view = _view(reference)
    debs = [p for p in found.packages if p.type is PackageType.DEB]
    findings = tuple(_finding("CVE-0000-0000", p) for p in debs)
    made = {s.product: s for s in execute_path(TriageContext(found, findings, view, None))}
    modules = sorted(
        "/" + str(p.relative_to(example_root))
        for p in (example_root / "usr/lib/python3.11/lib-dynload").glob("*.so")
    )
    loaded = _loader_resolved(example_root, ["/usr/bin/python3.11", *modules])
    for package in debs:
        owned = {f["path"] for f in package.metadata.get("files", ())}
        real = {_in_root(example_root, p) for p in owned}
        if real & loaded:
            assert package.purl not in made, package.name  # the loader maps one of its libraries
    libzstd = next(p for p in debs if p.name == "libzstd1")
    libssl = next(p for p in debs if p.name == "libssl3")
    assert not any("libzstd" in p for p in loaded)
    assert libssl.purl not in made
    statement = made[libzstd.purl]
    assert statement.status is FindingStatus.NOT_AFFECTED
    assert statement.justification is Justification.VULNERABLE_CODE_NOT_IN_EXECUTE_PATH
    assert statement.confidence is StatementConfidence.LOW
    assert "libzstd.so" in statement.evidence[0].detail


def test_only_the_inline_tree_keeps_a_symbol_from_a_false_not_affected(image: VexImage) -> None:
    """With the record's symbols narrowed to the inlined one, the inline tree alone decides."""
    record = json.loads((FIXTURES / "osv" / "GO-2026-5970.json").read_text())
    (item,) = record["affected"][0]["ecosystem_specific"]["imports"]
    assert "Form.FirstBoundaryInString" in item["symbols"]
    only = [VulnerableSymbol(item["path"], "Form.FirstBoundaryInString")]
    view = _view(image.reference)
    verdicts = {}
    for name in ("inline", "none", "call"):
        build = image.go[name]
        index = FunctionIndex(read_go_functions(view.read(build.image_path)))
        text = Package(
            "golang.org/x/text", "v0.7.0", PackageType.GO, "pkg:golang/golang.org/x/text@v0.7.0", "t", ()
        )
        made = go_verdict(_finding("GO-2026-5970", text), build.image_path, index, only)
        verdicts[name] = made.status if made is not None else None
    assert verdicts == {
        "inline": FindingStatus.AFFECTED,
        "none": FindingStatus.NOT_AFFECTED,
        "call": FindingStatus.NOT_AFFECTED,  # IsNormalString's build never reaches FirstBoundaryInString
    }
    assert f"{NORM}.Form.FirstBoundaryInString" not in _nm_functions(image.go["call"].unstripped)


def test_go_1_20_plus_layout_from_trixie_toolchain() -> None:
    """The same inlining program built by trixie's Go (1.20+ pclntab: new magic, `_func`, inline entries)."""
    build = newer_go_build()
    minor = int(build.go_version.split("go1.")[1].split(".")[0])
    assert minor >= 20
    assert "inlining call to norm.Form.FirstBoundaryInString" in build.inlining_log.read_text()
    found = read_go_functions(build.stripped.read_bytes())
    assert found.layout == "1.20"
    assert f"{NORM}.Form.FirstBoundaryInString" in found.inlined
    assert f"{NORM}.Form.FirstBoundaryInString" not in _nm_functions(build.unstripped)
    assert _nm_functions(build.unstripped) <= {_spelled(n) for n in found.functions}


# --- Python import graph on the python venv image ------------------------------------------------

IMPORT_REQUESTS = "import requests"


def _runtime_loaded(rootfs: Path, python: str, code: str) -> set[str]:
    """Files the image's own interpreter has loaded after running `code` (chrooted)."""
    probe = (
        code
        + "\nimport sys\nfor m in list(sys.modules.values()):\n    f = getattr(m, '__file__', None)\n    if f: print(f)\n"
    )
    env = {"PATH": "/usr/bin:/bin", "PYTHONDONTWRITEBYTECODE": "1", "LANG": "C.UTF-8"}
    out = subprocess.run(
        [shutil.which("chroot") or "/usr/sbin/chroot", str(rootfs), python, "-c", probe],
        capture_output=True,
        text=True,
        check=True,
        env=env,
    )
    return {_in_root(rootfs, line.strip()) for line in out.stdout.splitlines() if line.strip()}


def test_static_import_graph_covers_what_the_interpreter_loads(python_test_image: PythonImage) -> None:
    reference = python_test_image.reference
    found = api.inventory(reference, ScanOptions())
    view = _view(reference)
    python = f"{python_test_image.venv}/bin/python"
    site = str(python_test_image.site_packages.relative_to(python_test_image.rootfs))
    loaded = {
        p for p in _runtime_loaded(python_test_image.rootfs, python, IMPORT_REQUESTS) if f"/{site}/" in p
    }
    assert any("/urllib3/" in p for p in loaded)
    assert not any("jinja2" in p.lower() or "markupsafe" in p.lower() for p in loaded)

    description = dataclasses.replace(found.image.config, cmd=(python, "-c", IMPORT_REQUESTS))
    found = dataclasses.replace(found, image=dataclasses.replace(found.image, config=description))
    python_packages = [p for p in found.packages if p.type is PackageType.PYTHON]
    findings = tuple(_finding("CVE-0000-0000", p) for p in python_packages)
    made = {s.product: s for s in execute_path(TriageContext(found, findings, view, None))}
    for package in python_packages:
        files = {
            _in_root(python_test_image.rootfs, str(f["path"])) for f in package.metadata.get("files", ())
        }
        if files & loaded:
            assert package.purl not in made, package.name  # the interpreter really imported it
    flagged = {p.name.lower() for p in python_packages if p.purl in made}
    assert {"jinja2", "markupsafe"} <= flagged
    assert all(made[p.purl].confidence is StatementConfidence.LOW for p in python_packages if p.purl in made)


def test_changelogs_are_read_in_one_pass_per_layer(
    image: VexImage,
    squashed: tuple[Inventory, FileView, tuple[Finding, ...]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Uncaptured files come from one stream of their layer, however many are asked for."""
    _, view, _ = squashed
    paths = sorted(
        str(p).removeprefix(str(image.os_root))
        for p in image.os_root.glob("usr/share/doc/*/changelog.Debian.gz")
    )
    assert len(paths) > 5
    calls: list[int] = []
    original = batch._stream_layer

    def counting(opener: object, wanted: set[str], limits: object = None) -> dict[str, bytes]:
        calls.append(len(wanted))
        return original(opener, wanted)  # type: ignore[arg-type]

    monkeypatch.setattr(batch, "_stream_layer", counting)
    contents = batch.read_many(view, paths)
    assert set(contents) == set(paths)
    members = {record.path for p in paths if (record := view.resolve(p)) is not None}  # doc dirs may be links
    assert calls == [len(members)]  # all live in layer 1: one pass
    for path in paths:
        assert contents[path] == (image.os_root / path.lstrip("/")).read_bytes()


def test_all_layers_scan_reports_the_removed_package_as_component_not_present(
    image: VexImage, tmp_path: Path
) -> None:
    """The whole pipeline, as a user runs it: scan --scope all-layers, then triage."""
    db = tmp_path / "db.sqlite"
    import_paths(db, [FIXTURES / "osv"])
    options = ScanOptions(scope=Scope.ALL_LAYERS)
    report = api.scan(image.reference, options, db=str(db))
    removed = [f for f in report.findings if f.package.name == "urllib3"]
    assert removed, "the removed urllib3 must still be matched in the all-layers scope"
    assert all(not f.package.visible for f in removed)
    triaged = api.triage(report, image.reference, options, db=str(db), use_store=False)
    outcome = {t.finding.id: t for t in triaged.findings if t.finding.package.name == "urllib3"}
    assert outcome
    assert all(t.suppressed for t in outcome.values())
    assert all(
        t.decided_by is not None and t.decided_by.justification is Justification.COMPONENT_NOT_PRESENT
        for t in outcome.values()
    )
    squashed = api.scan(image.reference, ScanOptions(), db=str(db))
    assert not [f for f in squashed.findings if f.package.name == "urllib3"]

