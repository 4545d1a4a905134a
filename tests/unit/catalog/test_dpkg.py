"""dpkg-status cataloger: every dpkg fixture and this machine's own dpkg database vs dpkg-query."""

from __future__ import annotations

import io
import random
import re
import shutil
import subprocess
import tarfile
from collections import Counter
from pathlib import Path

import pytest
from packageurl import PackageURL

from hullscan.catalog.ecosystems.dpkg import DpkgStatusCataloger
from hullscan.catalog.runner import CatalogOutput, catalog_once, catalog_view
from hullscan.config import Limits, Scope
from hullscan.fileview.directory import DirectoryView
from hullscan.fileview.layer import LayerIndex, index_layer_stream
from hullscan.fileview.layered import LayeredView
from hullscan.fileview.policy import CapturePolicy
from hullscan.model.inventory import Distro
from hullscan.model.package import Package, RelationshipKind

FIXTURES = Path(__file__).parents[2] / "fixtures" / "pkgdb" / "dpkg"
HOST_ADMIN = Path("/var/lib/dpkg")
DEBIAN_12 = Distro("debian", "12", "bookworm")
QUERY_FORMAT = "${Package}\\t${Version}\\t${source:Package}\\t${source:Version}\\t${db:Status-Abbrev}\\n"
INSTALLED_ABBREVS = frozenset(("ii ", "hi "))
DPKG_REJECTS = frozenset(("syft-multiple",))
"""Fixtures dpkg-query refuses to read (an empty Package field)."""

Row = tuple[str, str, str, str]


def dpkg_query(admindir: Path, fmt: str = QUERY_FORMAT, *names: str) -> subprocess.CompletedProcess[str]:
    if shutil.which("dpkg-query") is None:
        subprocess.run(["apt-get", "install", "-y", "dpkg"], check=True, capture_output=True)
    return subprocess.run(
        ["dpkg-query", f"--admindir={admindir}", "-W", "-f", fmt, *names],
        capture_output=True,
        text=True,
        check=False,
    )


def dpkg_truth(admindir: Path) -> tuple[Counter[Row], Counter[str]]:
    """Return (installed rows, names in any other state) as dpkg-query reports them."""
    result = dpkg_query(admindir)
    assert result.returncode == 0, result.stderr
    installed: Counter[Row] = Counter()
    others: Counter[str] = Counter()
    for line in result.stdout.splitlines():
        name, version, source, source_version, abbrev = line.split("\t")
        if abbrev in INSTALLED_ABBREVS:
            installed[(name, version, source, source_version)] += 1
        else:
            others[name] += 1
    return installed, others


def rows(packages: list[Package]) -> Counter[Row]:
    return Counter((p.name, p.version, p.source_name or "", p.source_version or "") for p in packages)


def catalog_dir(root: Path, distro: Distro | None = DEBIAN_12) -> CatalogOutput:
    cataloger = DpkgStatusCataloger()
    view = DirectoryView(root, "sha256:test", CapturePolicy(wants=cataloger.wants), Limits())
    return catalog_once(view, [cataloger], distro)


def status_fixtures() -> list[str]:
    return sorted(p.name for p in FIXTURES.iterdir() if (p / "var/lib/dpkg/status").is_file())


@pytest.mark.parametrize("fixture", [f for f in status_fixtures() if f not in DPKG_REJECTS])
def test_fixture_matches_dpkg_query(fixture: str) -> None:
    root = FIXTURES / fixture
    installed, others = dpkg_truth(root / "var/lib/dpkg")
    out = catalog_dir(root)
    assert rows(out.packages) == installed
    unknown_text = "\n".join(u.reason for u in out.unknowns)
    for name in others:
        assert f"{name} " in unknown_text
        assert "not installed" in unknown_text
    assert len(out.unknowns) >= sum(others.values())


def test_all_status_fixtures_are_covered() -> None:
    assert len(status_fixtures()) >= 10
    for fixture in DPKG_REJECTS:
        assert dpkg_query(FIXTURES / fixture / "var/lib/dpkg").returncode != 0


def test_stanzas_dpkg_rejects_become_unknowns() -> None:
    # syft-multiple: an empty `Package:` stanza, `no-version` without Version, then tzdata and util-linux.
    out = catalog_dir(FIXTURES / "syft-multiple")
    assert sorted(p.name for p in out.packages) == ["tzdata", "util-linux"]
    reasons = sorted(u.reason for u in out.unknowns)
    assert len(reasons) == 2
    assert any("no Package" in r for r in reasons)
    assert any("no-version" in r and "no Version" in r for r in reasons)
    tzdata = next(p for p in out.packages if p.name == "tzdata")
    assert tzdata.source_name == "tzdata-dev"
    assert tzdata.metadata["provides"] == ["tzdata-buster"]
    assert tzdata.metadata["supplier"] == "GNU Libc Maintainers <debian-glibc@lists.debian.org>"


def test_non_installed_states_are_unknowns_not_packages() -> None:
    out = catalog_dir(FIXTURES / "scalibr-statusfield")
    assert [p.name for p in out.packages] == ["wantinstall_installed"]
    by_name = {u.reason.split()[0]: u.reason for u in out.unknowns}
    assert "config-files" in by_name["wantdeinstall_configfiles"]
    assert "half-installed" in by_name["wantinstall_halfinstalled"]
    assert "Status: missing" in by_name["wantnostatus"]


def test_distroless_status_d_matches_dpkg_query(tmp_path: Path) -> None:
    source = FIXTURES / "distroless-status.d/var/lib/dpkg/status.d"
    stanzas = [
        p.read_text().rstrip("\n") + "\nStatus: install ok installed\n"
        for p in sorted(source.iterdir())
        if not p.name.endswith(".md5sums")
    ]
    admin = tmp_path / "admin"
    (admin / "info").mkdir(parents=True)
    (admin / "status").write_text("\n".join(stanzas))
    (admin / "available").write_text("")
    installed, _ = dpkg_truth(admin)
    out = catalog_dir(FIXTURES / "distroless-status.d")
    assert rows(out.packages) == installed
    (package,) = out.packages
    expected = {}
    for line in (source / "libsqlite3-0.md5sums").read_text().splitlines():
        digest, path = line.split(maxsplit=1)
        expected["/" + path] = f"md5:{digest}"
    assert {f["path"]: f["digest"] for f in package.metadata["files"]} == expected
    assert [c.path for c in package.locations] == [
        "/var/lib/dpkg/status.d/libsqlite3-0",
        "/var/lib/dpkg/status.d/libsqlite3-0.md5sums",
    ]
    assert package.purl.startswith("pkg:deb/debian/libsqlite3-0@3.34.1-3?arch=arm64")
    assert "upstream=sqlite3" in package.purl


def test_md5sums_from_info_dir() -> None:
    out = catalog_dir(FIXTURES / "md5sums")
    (package,) = out.packages
    lines = (FIXTURES / "md5sums/var/lib/dpkg/info/tar.md5sums").read_text().splitlines()
    expected = {"/" + ln.split(maxsplit=1)[1]: "md5:" + ln.split(maxsplit=1)[0] for ln in lines}
    assert {f["path"]: f["digest"] for f in package.metadata["files"]} == expected


def test_depends_edges_cover_installed_dependencies() -> None:
    root = FIXTURES / "syft-coreutils-relationships"
    out = catalog_dir(root)
    check_depends_edges(root / "var/lib/dpkg", out)
    coreutils = next(p for p in out.packages if p.name == "coreutils")
    targets = {r.target_id for r in out.relationships if r.source_id == coreutils.id}
    assert len(targets) >= 4


def check_depends_edges(admindir: Path, out: CatalogOutput) -> None:
    """Every single-alternative Depends/Pre-Depends naming an installed package has an edge,
    and every edge points at a package named (or provided) in the source's relations."""
    result = dpkg_query(
        admindir, "${Package}\\t${Depends}, ${Pre-Depends}\\t${Provides}\\t${db:Status-Abbrev}\\n"
    )
    relations: dict[str, str] = {}
    provides: dict[str, set[str]] = {}
    for line in result.stdout.splitlines():
        name, deps, provided, abbrev = line.split("\t")
        if abbrev in INSTALLED_ABBREVS:
            relations[name] = deps
            provides[name] = {re.split(r"[\s(]", p.strip())[0] for p in provided.split(",") if p.strip()}
    by_id = {p.id: p for p in out.packages}
    edges = {
        (by_id[r.source_id].name, by_id[r.target_id].name)
        for r in out.relationships
        if r.kind is RelationshipKind.DEPENDS_ON
    }
    for source, target in edges:
        names = {target} | provides[target]
        assert any(
            re.search(rf"(^|[\s,|]){re.escape(n)}(:\w+)?($|[\s,(|])", relations[source]) for n in names
        )
    for source, deps in relations.items():
        for clause in deps.split(","):
            if "|" in clause or not clause.strip():
                continue
            dep = re.split(r"[\s(:]", clause.strip())[0]
            if dep in relations and dep != source:
                assert (source, dep) in edges, (source, dep)


def host_dpkg_layer() -> LayeredView:
    """Index a tar (written here) holding this machine's dpkg status and info files."""
    cataloger = DpkgStatusCataloger()
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        tar.add(HOST_ADMIN / "status", arcname="var/lib/dpkg/status")
        for path in sorted((HOST_ADMIN / "info").iterdir()):
            if path.suffix in (".list", ".md5sums", ".conffiles"):
                tar.add(path, arcname=f"var/lib/dpkg/info/{path.name}")
        for copyright_file in sorted(Path("/usr/share/doc").glob("*/copyright")):
            if copyright_file.is_file():
                tar.add(copyright_file, arcname=str(copyright_file).lstrip("/"))
    buffer.seek(0)
    policy = CapturePolicy(wants=cataloger.wants)
    index = index_layer_stream(buffer, digest="sha256:" + "ab" * 32, index=0, policy=policy, limits=Limits())
    return LayeredView([index])


@pytest.fixture(scope="module")
def host_output() -> CatalogOutput:
    return catalog_once(host_dpkg_layer(), [DpkgStatusCataloger()], DEBIAN_12)


def test_host_database_recall_and_precision(host_output: CatalogOutput) -> None:
    installed, others = dpkg_truth(HOST_ADMIN)
    assert sum(installed.values()) > 50
    found = rows(host_output.packages)
    assert found == installed  # recall = precision = 100% on name, version, source, source version
    assert len(host_output.unknowns) == sum(others.values())


def test_host_purls_carry_arch_and_distro(host_output: CatalogOutput) -> None:
    result = dpkg_query(HOST_ADMIN, "${Package}\\t${Version}\\t${Architecture}\\n")
    arch_of = {tuple(ln.split("\t")[:2]): ln.split("\t")[2] for ln in result.stdout.splitlines()}
    for package in host_output.packages:
        purl = PackageURL.from_string(package.purl)
        assert (purl.type, purl.namespace, purl.name, purl.version) == (
            "deb",
            "debian",
            package.name,
            package.version,
        )
        assert purl.qualifiers["arch"] == arch_of[(package.name, package.version)]
        assert purl.qualifiers["distro"] == "debian-12"
        assert ("upstream" in purl.qualifiers) == (
            package.source_name != package.name or package.source_version != package.version
        )


def test_host_file_ownership_matches_dpkg_l(host_output: CatalogOutput) -> None:
    result = dpkg_query(HOST_ADMIN, "${binary:Package}\\t${Package}\\t${Version}\\t${db:Status-Abbrev}\\n")
    qualified = {}
    for line in result.stdout.splitlines():
        binary, name, version, abbrev = line.split("\t")
        if abbrev in INSTALLED_ABBREVS:
            qualified[(name, version)] = binary
    sample = random.Random(12).sample(  # noqa: S311 - a reproducible sample, not crypto
        sorted(host_output.packages, key=lambda p: p.id), 25
    )
    for package in sample:
        listing = subprocess.run(
            ["dpkg-query", f"--admindir={HOST_ADMIN}", "-L", qualified[(package.name, package.version)]],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        expected = [ln for ln in listing.splitlines() if ln.startswith("/")]
        assert [f["path"] for f in package.metadata["files"]] == expected, package.name


def test_host_depends_edges(host_output: CatalogOutput) -> None:
    check_depends_edges(HOST_ADMIN, host_output)


def test_host_built_using_kept_as_pairs(host_output: CatalogOutput) -> None:
    result = dpkg_query(HOST_ADMIN, "${Package}\\t${Version}\\t${Built-Using}\\n")
    by_key = {(p.name, p.version): p for p in host_output.packages}
    checked = 0
    for line in result.stdout.splitlines():
        name, version, built_using = line.split("\t")
        if (name, version) not in by_key:
            continue
        expected = [
            (m.group(1), m.group(2)) for m in re.finditer(r"([^\s,(]+)\s*\(=\s*([^)\s]+)\)", built_using)
        ]
        got = [(i["name"], i["version"]) for i in by_key[(name, version)].metadata["built_using"]]
        assert got == expected
        checked += bool(expected)
    by_id = {p.id: p for p in host_output.packages}
    for edge in host_output.relationships:
        if edge.kind is RelationshipKind.BUILT_USING:
            source, target = by_id[edge.source_id], by_id[edge.target_id]
            assert target.source_name in {i["name"] for i in source.metadata["built_using"]}


def test_host_dep5_copyright_licences(host_output: CatalogOutput) -> None:
    checked = 0
    for package in host_output.packages:
        path = Path("/usr/share/doc") / package.name / "copyright"
        text = path.read_text(errors="replace") if path.is_file() else ""
        first = text.splitlines()[0] if text else ""
        if first.startswith("Format:") and ("copyright-format" in first or "dep5" in first):
            declared = {m.strip() for m in re.findall(r"^License:[ \t]*(.+)$", text, flags=re.MULTILINE)}
            assert package.licenses, package.name
            assert set(package.licenses) <= declared, package.name
            checked += 1
        else:
            assert package.licenses == (), package.name
    assert checked >= 10


def test_empty_status_file(tmp_path: Path) -> None:
    (tmp_path / "var/lib/dpkg").mkdir(parents=True)
    (tmp_path / "var/lib/dpkg/status").write_bytes(b"")
    out = catalog_dir(tmp_path)
    assert out.packages == []
    assert out.unknowns == []


def test_garbage_bytes_become_one_unknown(tmp_path: Path) -> None:
    (tmp_path / "var/lib/dpkg").mkdir(parents=True)
    (tmp_path / "var/lib/dpkg/status").write_bytes(bytes(range(256)) * 16 + b"\x00")
    out = catalog_dir(tmp_path)
    assert out.packages == []
    (unknown,) = out.unknowns
    assert unknown.coordinates.path == "/var/lib/dpkg/status"
    assert "not a dpkg status file" in unknown.reason


def test_corrupt_stanza_keeps_the_rest(tmp_path: Path) -> None:
    text = (FIXTURES / "ubuntu-bionic-91pkgs/var/lib/dpkg/status").read_text()
    stanzas = text.split("\n\n")
    victim = stanzas[5].splitlines()
    victim.insert(3, "this line has no colon at all")
    stanzas[5] = "\n".join(victim)
    (tmp_path / "var/lib/dpkg").mkdir(parents=True)
    (tmp_path / "var/lib/dpkg/status").write_text("\n\n".join(stanzas))
    installed, _ = dpkg_truth(FIXTURES / "ubuntu-bionic-91pkgs/var/lib/dpkg")
    out = catalog_dir(tmp_path)
    victim_name = victim[0].removeprefix("Package: ")
    assert len(out.packages) == sum(installed.values()) - 1
    assert victim_name not in {p.name for p in out.packages}
    (unknown,) = [u for u in out.unknowns if victim_name in u.reason]
    assert unknown.reason.startswith("stanza at line")
    assert "not a 'Field: value' line" in unknown.reason


def test_invalid_utf8_description_still_cataloged(tmp_path: Path) -> None:
    (tmp_path / "var/lib/dpkg").mkdir(parents=True)
    stanza = b"Package: caf\nStatus: install ok installed\nVersion: 1.0-1\nDescription: caf\xe9 \xff\n"
    (tmp_path / "var/lib/dpkg/status").write_bytes(stanza)
    out = catalog_dir(tmp_path, distro=None)
    (package,) = out.packages
    assert package.purl == "pkg:deb/debian/caf@1.0-1"


def test_wants_decides_from_paths() -> None:
    cataloger = DpkgStatusCataloger()
    wanted = [
        "/var/lib/dpkg/status",
        "/var/lib/dpkg/status.d/libc6",
        "/var/lib/dpkg/status.d/libc6.md5sums",
        "/var/lib/dpkg/info/libc6:amd64.list",
        "/var/lib/dpkg/info/tar.md5sums",
        "/var/lib/dpkg/info/dpkg.conffiles",
        "/usr/share/doc/libc6/copyright",
    ]
    unwanted = [
        "/var/lib/dpkg/status-old",
        "/var/lib/dpkg/available",
        "/var/lib/dpkg/info/libc6:amd64.postinst",
        "/usr/share/doc/libc6/changelog.gz",
        "/usr/share/doc/libc6/examples/copyright",
        "/usr/lib/opkg/status",
    ]
    assert all(cataloger.wants(p) for p in wanted)
    assert not any(cataloger.wants(p) for p in unwanted)


def status_layer(stanzas: list[str], index: int) -> LayerIndex:
    buffer = io.BytesIO()
    data = ("\n\n".join(stanzas) + "\n").encode()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        info = tarfile.TarInfo("var/lib/dpkg/status")
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    buffer.seek(0)
    policy = CapturePolicy(wants=DpkgStatusCataloger().wants)
    return index_layer_stream(
        buffer, digest=f"sha256:{index:064x}", index=index, policy=policy, limits=Limits()
    )


def test_layers_attribute_packages_and_removals() -> None:
    text = (FIXTURES / "ubuntu-bionic-91pkgs/var/lib/dpkg/status").read_text()
    first, second, third = [s for s in text.split("\n\n") if "install ok installed" in s][:3]
    name = {s: s.splitlines()[0].removeprefix("Package: ") for s in (first, second, third)}
    layers = [status_layer([first, second], 0), status_layer([second, third], 1)]
    layer0, layer1 = f"sha256:{0:064x}", f"sha256:{1:064x}"

    squashed = catalog_view(LayeredView(layers), [DpkgStatusCataloger()], DEBIAN_12, Scope.SQUASHED)
    assert {(p.name, p.layer_digest, p.visible) for p in squashed.packages} == {
        (name[second], layer0, True),
        (name[third], layer1, True),
    }

    view = LayeredView(layers, Scope.ALL_LAYERS)
    everything = catalog_view(view, [DpkgStatusCataloger()], DEBIAN_12, Scope.ALL_LAYERS)
    seen = {(p.name, p.layer_digest, p.visible) for p in everything.packages}
    assert (name[first], layer0, False) in seen
    assert (name[first], layer0, True) not in seen  # only the replaced status file lists it
    assert {(name[second], layer0, True), (name[third], layer1, True)} <= seen
