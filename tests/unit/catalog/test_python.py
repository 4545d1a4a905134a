"""python-installed over real dist-info/egg-info fixtures, checked against importlib.metadata."""

from __future__ import annotations

import csv
import ensurepip
import importlib.metadata as im
import io
import os
import posixpath
import re
import shutil
import zipfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from packaging.requirements import Requirement

from hullscan.catalog.ecosystems import python_metadata
from hullscan.catalog.ecosystems.python import PythonInstalledCataloger
from hullscan.catalog.ecosystems.python_metadata import normalize_name
from hullscan.catalog.runner import CatalogOutput, catalog_once
from hullscan.config import Limits
from hullscan.fileview.directory import DirectoryView
from hullscan.fileview.policy import CapturePolicy
from hullscan.model.package import Package, RelationshipKind

FIXTURES = Path(__file__).parents[2] / "fixtures" / "pkgdb" / "python"
SITE_TREES = ["dist-info-pygments", "egg-info-requests", "dist-info-malformed-record"]
SAMPLES = FIXTURES / "metadata-samples"


def run(root: Path, limits: Limits | None = None) -> CatalogOutput:
    cataloger = PythonInstalledCataloger()
    view = DirectoryView(root, "sha256:test", CapturePolicy(wants=cataloger.wants), limits or Limits())
    return catalog_once(view, [cataloger], distro=None)


def only(out: CatalogOutput) -> Package:
    assert len(out.packages) == 1, out.packages
    return out.packages[0]


def image_path(root: Path, host: Path) -> str:
    """Return where `host` (a path below `root`, possibly with `..`) sits in the image; `/..` is `/`."""
    return posixpath.normpath("/" + os.path.relpath(host, root))


def canonical_requirements(lines: list[str] | None) -> set[str]:
    return {str(Requirement(line)) for line in lines or ()}


@pytest.mark.parametrize("tree", SITE_TREES)
def test_site_packages_fixture_matches_importlib(tree: str) -> None:
    root = FIXTURES / tree
    (dist,) = im.distributions(path=[str(root / "site-packages")])
    package = only(run(root))
    assert package.name == dist.metadata["Name"]
    assert package.version == dist.version
    assert package.purl == f"pkg:pypi/{normalize_name(dist.metadata['Name'])}@{dist.version}"
    assert canonical_requirements(package.metadata["requires_dist"]) == canonical_requirements(dist.requires)
    top_level = dist.read_text("top_level.txt")
    if top_level is not None:
        assert package.metadata["top_level"] == top_level.split()


@pytest.mark.parametrize("tree", ["dist-info-pygments", "egg-info-requests"])
def test_record_ownership_matches_importlib_files(tree: str) -> None:
    root = FIXTURES / tree
    (dist,) = im.distributions(path=[str(root / "site-packages")])
    package = only(run(root))
    expected = {}
    for item in dist.files or ():
        located = image_path(root, Path(dist.locate_file(item)))
        expected[located] = (
            item.hash.mode if item.hash else None,
            item.hash.value if item.hash else None,
            item.size,
        )
    got = {
        f["path"]: (f.get("digest", {}).get("algorithm"), f.get("digest", {}).get("value"), f.get("size"))
        for f in package.metadata["files"]
    }
    assert got == expected
    assert package.locations[1].path.endswith("/RECORD")


def test_malformed_record_skips_garbage_with_an_unknown() -> None:
    root = FIXTURES / "dist-info-malformed-record"
    (dist,) = im.distributions(path=[str(root / "site-packages")])
    out = run(root)
    package = only(out)
    owned = {f["path"] for f in package.metadata["files"]}
    everything = {image_path(root, Path(dist.locate_file(f))) for f in dist.files or ()}
    hashed = {image_path(root, Path(dist.locate_file(f))) for f in dist.files or () if f.hash}
    assert hashed <= owned <= everything
    assert not any(re.search(r"(<{7}|={7}|>{7})|ustar", path) for path in owned)
    record = next(u for u in out.unknowns if u.coordinates.path.endswith("/RECORD"))
    markers = [line for line in dist.read_text("RECORD").splitlines() if re.match(r"(<{7}|={7}|>{7})", line)]
    assert int(record.reason.split()[0]) >= len(markers) == 3


def test_direct_url_installer_and_supplier_come_from_the_files() -> None:
    root = FIXTURES / "dist-info-pygments"
    (dist,) = im.distributions(path=[str(root / "site-packages")])
    package = only(run(root))
    assert package.metadata["direct_url"]["url"] in dist.read_text("direct_url.json")
    assert dist.metadata["Author"] in package.metadata["supplier"]
    classifier = next(c for c in dist.metadata.get_all("Classifier") if c.startswith("License ::"))
    assert classifier.rsplit("::", 1)[1].strip() in package.licenses


def _install_sample(tmp_path: Path, sample: Path) -> Path:
    site = tmp_path / "usr/lib/python3.11/site-packages"
    stem = sample.name.removesuffix(".METADATA").removesuffix(".PKG-INFO")
    if sample.name.endswith(".METADATA"):
        target = site / f"{stem}.dist-info" / "METADATA"
    elif sample.name.endswith(".PKG-INFO"):
        target = site / stem / "PKG-INFO"
    else:
        target = site / sample.name
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(sample, target)
    return site


@pytest.mark.parametrize("sample", sorted(SAMPLES.iterdir()), ids=lambda p: p.name)
def test_metadata_samples_match_importlib(tmp_path: Path, sample: Path) -> None:
    site = _install_sample(tmp_path, sample)
    (dist,) = im.distributions(path=[str(site)])
    package = only(run(tmp_path))
    assert (package.name, package.version) == (dist.metadata["Name"], dist.version)
    assert canonical_requirements(package.metadata["requires_dist"]) == canonical_requirements(dist.requires)
    for classifier in dist.metadata.get_all("Classifier") or ():
        parts = [p.strip() for p in classifier.split("::")]
        if parts[0] == "License" and len(parts) > 2:
            assert parts[-1] in package.licenses
    # every requirement in these files is extra-only or PyPy-only, except the unconditional ones
    unconditional = {normalize_name(Requirement(r).name) for r in dist.requires or () if ";" not in r}
    assert set(package.metadata["dependencies"]) == unconditional


def test_markers_follow_the_python_in_the_path(tmp_path: Path) -> None:
    body = (
        "Metadata-Version: 2.1\nName: demo\nVersion: 1.0\n"
        'Requires-Dist: old-only; python_version < "3.8"\n'
        'Requires-Dist: new-only; python_version >= "3.8"\n'
        "Requires-Dist: extra-only; extra == 'x'\n"
    )
    for version in ("3.7", "3.11"):
        meta = tmp_path / f"usr/lib/python{version}/site-packages/demo-1.0.dist-info/METADATA"
        meta.parent.mkdir(parents=True)
        meta.write_text(body)
    by_path = {p.locations[0].path: p.metadata["dependencies"] for p in run(tmp_path).packages}
    assert by_path["/usr/lib/python3.7/site-packages/demo-1.0.dist-info/METADATA"] == ["old-only"]
    assert by_path["/usr/lib/python3.11/site-packages/demo-1.0.dist-info/METADATA"] == ["new-only"]


def test_dependency_edges_prefer_the_same_site_packages(tmp_path: Path) -> None:
    def dist(site: str, name: str, requires: str = "") -> None:
        meta = tmp_path / site.lstrip("/") / f"{name}-1.0.dist-info" / "METADATA"
        meta.parent.mkdir(parents=True)
        extra = f"Requires-Dist: {requires}\n" if requires else ""
        meta.write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\n{extra}")

    dist("/a/lib/python3.11/site-packages", "app", "Lib_Dep>=0")
    dist("/a/lib/python3.11/site-packages", "lib-dep")
    dist("/b/lib/python3.11/site-packages", "lib-dep")
    out = run(tmp_path)
    ids = {p.id: p for p in out.packages}
    (edge,) = [r for r in out.relationships if r.kind is RelationshipKind.DEPENDS_ON]
    assert ids[edge.source_id].name == "app"
    assert ids[edge.target_id].locations[0].path.startswith("/a/")


def test_bad_metadata_is_an_unknown(tmp_path: Path) -> None:
    meta = tmp_path / "site-packages/broken-1.0.dist-info/METADATA"
    meta.parent.mkdir(parents=True)
    meta.write_bytes(b"\xff\xfe garbage without headers\x00\x01")
    out = run(tmp_path)
    assert out.packages == []
    assert [u.coordinates.path for u in out.unknowns] == ["/site-packages/broken-1.0.dist-info/METADATA"]


def test_oversized_record_is_noted_and_the_package_kept(tmp_path: Path) -> None:
    shutil.copytree(FIXTURES / "dist-info-pygments", tmp_path / "root")
    record = next((tmp_path / "root").rglob("RECORD"))
    metadata = record.with_name("METADATA")
    lines = [f"pygments/m{i}.py,,\n" for i in range(200)]
    record.write_text(record.read_text() + "".join(lines))
    assert record.stat().st_size > metadata.stat().st_size
    out = run(tmp_path / "root", Limits(max_capture_bytes=metadata.stat().st_size))
    package = only(out)
    assert package.metadata["files"] == []
    assert any(u.coordinates.path.endswith("/RECORD") and "cap" in u.reason for u in out.unknowns)


def _bundled_pip_wheel() -> Path:
    return next((Path(ensurepip.__file__).parent / "_bundled").glob("pip-*.whl"))


def test_wheel_file_identity_from_its_metadata(tmp_path: Path) -> None:
    wheel = _bundled_pip_wheel()
    target = tmp_path / "usr/share/python-wheels" / wheel.name
    target.parent.mkdir(parents=True)
    shutil.copyfile(wheel, target)
    with zipfile.ZipFile(wheel) as archive:
        info_dir = next(n.split("/")[0] for n in archive.namelist() if n.endswith(".dist-info/METADATA"))
    truth = im.PathDistribution(zipfile.Path(wheel, at=f"{info_dir}/"))  # type: ignore[arg-type]
    package = only(run(tmp_path))
    assert (package.name, package.version) == (truth.metadata["Name"], truth.version)
    assert package.metadata["kind"] == "wheel-file"


def test_corrupt_wheel_falls_back_to_its_file_name(tmp_path: Path) -> None:
    wheel = _bundled_pip_wheel()
    target = tmp_path / "wheels" / wheel.name
    target.parent.mkdir(parents=True)
    target.write_bytes(wheel.read_bytes()[:1000])
    out = run(tmp_path)
    package = only(out)
    name, version = wheel.name.split("-")[:2]
    assert (package.name, package.version) == (name, version)
    assert len(out.unknowns) == 1


def test_vendor_txt_becomes_vendored_packages_linked_to_host(tmp_path: Path) -> None:
    site = tmp_path / "usr/lib/python3.11/site-packages"
    with zipfile.ZipFile(_bundled_pip_wheel()) as archive:
        names = [n for n in archive.namelist() if n.endswith(("_vendor/vendor.txt", ".dist-info/METADATA"))]
        names += [n for n in archive.namelist() if n.endswith(".dist-info/RECORD")]
        archive.extractall(site, members=names)
        vendor_lines = archive.read("pip/_vendor/vendor.txt").decode().splitlines()
    pins = {tuple(line.split("#")[0].strip().split("==")) for line in vendor_lines if "==" in line}
    out = run(tmp_path)
    host = next(p for p in out.packages if p.metadata["kind"] == "installed")
    vendored = [p for p in out.packages if p.metadata["kind"] == "vendored"]
    assert {(p.name, p.version) for p in vendored} == pins
    assert all(p.metadata["vendored_in"] == "pip" for p in vendored)
    edges = {(r.source_id, r.target_id) for r in out.relationships if r.kind is RelationshipKind.VENDORED_IN}
    assert edges == {(p.id, host.id) for p in vendored}


def test_wants_decides_from_path() -> None:
    cataloger = PythonInstalledCataloger()
    assert cataloger.wants("/usr/lib/python3/dist-packages/six-1.16.0.dist-info/METADATA")
    assert cataloger.wants("/usr/lib/python3/dist-packages/six-1.16.0.dist-info/RECORD")
    assert cataloger.wants("/x/site-packages/foo.egg-info/PKG-INFO")
    assert cataloger.wants("/x/site-packages/distlib-0.3.1-py3.9.egg-info")
    assert cataloger.wants("/x/site-packages/pip/_vendor/vendor.txt")
    assert not cataloger.wants("/x/site-packages/six.py")
    assert not cataloger.wants("/x/site-packages/foo/METADATA")
    assert not cataloger.wants("/x/vendor.txt")


def test_zip_bytes_helper_is_real_zip() -> None:
    # guards the corrupt-wheel test: the truncated copy must really be unreadable
    with pytest.raises(zipfile.BadZipFile):
        zipfile.ZipFile(io.BytesIO(_bundled_pip_wheel().read_bytes()[:1000]))


def _record_row_by_csv(line: str) -> object:
    """The straightforward definition: csv decides every row (the fast path must agree)."""
    if any(ord(ch) < 32 and ch != "\t" for ch in line):
        return None
    try:
        rows = list(csv.reader(io.StringIO(line)))
    except csv.Error:
        return None
    if len(rows) != 1 or len(rows[0]) != 3:
        return None
    path, hash_field, size_field = rows[0]
    if not path or (hash_field and not python_metadata._HASH.match(hash_field)):
        return None
    if size_field and not size_field.isdigit():
        return None
    algorithm, _, digest = hash_field.partition("=")
    return python_metadata.RecordEntry(
        path=path, algorithm=algorithm or None, digest=digest or None, size=int(size_field) if size_field else None
    )


_RECORD_ALPHABET = st.sampled_from([*'ab/._-=,"\t 0123456789\x00\x1f', "sha256", "é"])


@settings(max_examples=400, deadline=None)
@given(st.lists(_RECORD_ALPHABET, max_size=40).map("".join))
def test_fast_record_rows_agree_with_csv(line: str) -> None:
    assert python_metadata._record_row(line) == _record_row_by_csv(line)
