"""rpm-db cataloger: fixture databases (SQLite, BerkeleyDB, NDB) and databases built here, vs rpm -qa.

Ground truth comes from Debian's `rpm` 4.18 (`rpm -qa --dbpath`, sqlite and bdb_ro backends) run on
copies of the databases in a temp dir, and from the fixtures' generated `rpm-qa.tsv` listings (the
only truth for NDB, which Debian's rpm cannot read). BerkeleyDB files with many overflow pages are
made with `db5.3_load` from real header blobs and checked to be readable by rpm itself.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import sqlite3
import struct
import subprocess
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from packageurl import PackageURL

from hullscan.catalog.ecosystems.rpm import RpmDbCataloger
from hullscan.catalog.ecosystems.rpmdb import Header, HeaderError, RpmDbError, Tag, read_headers
from hullscan.catalog.runner import CatalogOutput, catalog_once
from hullscan.config import Limits
from hullscan.fileview.directory import DirectoryView
from hullscan.fileview.policy import CapturePolicy
from hullscan.model.inventory import Distro
from hullscan.model.package import Package, RelationshipKind

FIXTURES = Path(__file__).parents[2] / "fixtures" / "pkgdb" / "rpm"
MARINER = Distro("mariner", "2.0")
QF = "%{NAME}\\t%{EPOCH}\\t%{VERSION}\\t%{RELEASE}\\t%{ARCH}\\t%{SOURCERPM}\\n"
Row = tuple[str, str, str, str, str, str]

SPEC = """
Name: hs-alpha
Epoch: 2
Version: 1.0
Release: 3.hs
Summary: hullscan test package
License: MIT AND Apache-2.0
Vendor: Hullscan Test
BuildArch: noarch
Requires: hs-beta-libs
Requires: /bin/sh
Requires: hs-virtual-dep
Provides: hs-virtual = 1.0

%description
alpha

%package -n hs-beta-libs
Summary: libs
License: GPL-2.0-or-later
Provides: hs-virtual-dep
%description -n hs-beta-libs
beta

%install
mkdir -p %{buildroot}/usr/share/hs-alpha %{buildroot}/usr/lib/hs-beta
echo hi > %{buildroot}/usr/share/hs-alpha/readme.txt
for i in $(seq 1 300); do echo $i > %{buildroot}/usr/lib/hs-beta/file-with-a-long-name-$i.txt; done
ln -s readme.txt %{buildroot}/usr/share/hs-alpha/link

%files
%dir /usr/share/hs-alpha
/usr/share/hs-alpha/readme.txt
/usr/share/hs-alpha/link

%files -n hs-beta-libs
/usr/lib/hs-beta
"""


def ensure_tool(tool: str, package: str) -> None:
    if shutil.which(tool) is None:
        install = ["apt-get", "install", "-y", package]
        if subprocess.run(install, capture_output=True, check=False).returncode != 0:
            subprocess.run(["apt-get", "update"], capture_output=True, check=True)
            subprocess.run(install, capture_output=True, check=True)


def rpm(dbpath: Path, *args: str, backend: str = "sqlite") -> str:
    ensure_tool("rpm", "rpm")
    command = ["rpm", "--dbpath", str(dbpath), "--define", f"_db_backend {backend}", *args]
    return subprocess.run(command, capture_output=True, text=True, check=True).stdout


def rpm_rows(dbpath: Path, backend: str) -> list[Row]:
    out = rpm(dbpath, "-qa", "--qf", QF, backend=backend)
    return sorted(tuple(line.split("\t")) for line in out.splitlines())  # type: ignore[misc]


def tsv_rows(fixture: Path) -> list[Row]:
    lines = (fixture / "rpm-qa.tsv").read_text().splitlines()
    return sorted(tuple(ln.split("\t")) for ln in lines if ln and not ln.startswith("#"))  # type: ignore[misc]


def package_rows(packages: list[Package]) -> list[Row]:
    rows = []
    for p in packages:
        epoch = p.metadata.get("epoch")
        version = p.version.split(":", 1)[-1].rsplit("-", 1)[0]
        rows.append(
            (
                p.name,
                "(none)" if epoch is None else str(epoch),
                version,
                p.metadata["release"],
                p.metadata.get("architecture", "(none)"),
                p.metadata.get("source_rpm", "(none)"),
            )
        )
    return sorted(rows)


def catalog_dir(root: Path, distro: Distro | None = MARINER) -> CatalogOutput:
    cataloger = RpmDbCataloger()
    view = DirectoryView(root, "sha256:test", CapturePolicy(wants=cataloger.wants), Limits())
    return catalog_once(view, [cataloger], distro)


def db_file(fixture: Path) -> Path:
    (found,) = [p for p in fixture.rglob("*") if p.name in ("Packages", "Packages.db", "rpmdb.sqlite")]
    return found


FIXTURE_NAMES = sorted(p.name for p in FIXTURES.iterdir() if (p / "rpm-qa.tsv").is_file())


@pytest.mark.parametrize("fixture", FIXTURE_NAMES)
def test_fixture_matches_listing(fixture: str) -> None:
    out = catalog_dir(FIXTURES / fixture)
    assert out.unknowns == []
    assert package_rows(out.packages) == tsv_rows(FIXTURES / fixture)


@pytest.mark.parametrize("fixture", [f for f in FIXTURE_NAMES if not f.startswith("ndb")])
def test_fixture_matches_live_rpm(fixture: str, tmp_path: Path) -> None:
    source = db_file(FIXTURES / fixture)
    dbpath = tmp_path / "db"
    dbpath.mkdir()
    shutil.copyfile(source, dbpath / source.name)
    backend = "sqlite" if source.name == "rpmdb.sqlite" else "bdb_ro"
    out = catalog_dir(FIXTURES / fixture)
    assert package_rows(out.packages) == rpm_rows(dbpath, backend)


def test_mariner_files_licences_and_purls(tmp_path: Path) -> None:
    source = FIXTURES / "sqlite-cbl-mariner-2.0/var/lib/rpm/rpmdb.sqlite"
    shutil.copyfile(source, tmp_path / "rpmdb.sqlite")
    out = catalog_dir(FIXTURES / "sqlite-cbl-mariner-2.0")
    listing = rpm(tmp_path, "-qa", "--qf", "%{NAME}\\t%{LICENSE}\\t%{VENDOR}\\t[%{FILENAMES},]\\n")
    expected = {}
    for line in listing.splitlines():
        name, licence, vendor, files = line.split("\t")
        expected[name] = (licence, vendor, [f for f in files.split(",") if f])
    for package in out.packages:
        licence, vendor, files = expected[package.name]
        assert package.licenses == (licence,)
        assert package.metadata["vendor"] == vendor
        assert [f["path"] for f in package.metadata["files"]] == files
        purl = PackageURL.from_string(package.purl)
        assert (purl.type, purl.namespace, purl.name) == ("rpm", "mariner", package.name)
        assert purl.qualifiers["distro"] == "mariner-2.0"
        assert purl.qualifiers["upstream"] == package.metadata["source_rpm"]


def test_mariner_requires_edges_point_at_providers(tmp_path: Path) -> None:
    source = FIXTURES / "sqlite-cbl-mariner-2.0/var/lib/rpm/rpmdb.sqlite"
    shutil.copyfile(source, tmp_path / "rpmdb.sqlite")
    out = catalog_dir(FIXTURES / "sqlite-cbl-mariner-2.0")
    requires = rpm(tmp_path, "-qa", "--qf", "%{NAME}\\t[%{REQUIRENAME},]\\n")
    for line in requires.splitlines():
        name, names = line.split("\t")
        package = next(p for p in out.packages if p.name == name)
        assert package.metadata["requires"] == list(dict.fromkeys(n for n in names.split(",") if n))
    by_id = {p.id: p for p in out.packages}
    edges = [r for r in out.relationships if r.kind is RelationshipKind.DEPENDS_ON]
    assert len(edges) > 100
    for edge in edges[::10]:
        assert edge.note is not None
        providers = rpm(tmp_path, "-q", "--qf", "%{NAME}\\n", "--whatprovides", edge.note).split()
        assert by_id[edge.target_id].name in providers


def cache_root() -> Path:
    default = Path.home() / ".cache" / "hullscan-tests"
    return Path(os.environ.get("HULLSCAN_TEST_CACHE", default))


@pytest.fixture(scope="module")
def built_db() -> Path:
    """A root with /var/lib/rpm/rpmdb.sqlite holding two packages built by rpmbuild (cached)."""
    ensure_tool("rpmbuild", "rpm")
    key = hashlib.sha256(SPEC.encode()).hexdigest()[:12]
    root = cache_root() / f"rpm-built-{key}"
    if (root / "var/lib/rpm/rpmdb.sqlite").is_file():
        return root
    work = cache_root() / f"rpm-build-{key}-{os.getpid()}"
    shutil.rmtree(work, ignore_errors=True)
    (work / "top").mkdir(parents=True)
    (work / "test.spec").write_text(SPEC)
    subprocess.run(
        ["rpmbuild", "--define", f"_topdir {work / 'top'}", "-bb", str(work / "test.spec")],
        capture_output=True,
        check=True,
    )
    staged = work / "root"
    dbpath = staged / "var/lib/rpm"
    dbpath.mkdir(parents=True)
    rpm(dbpath, "--initdb")
    built = sorted(str(p) for p in (work / "top/RPMS").rglob("*.rpm"))
    rpm(dbpath, "-i", "--justdb", "--nodeps", "--noscripts", "--notriggers", *built)
    rpm(dbpath, "--rebuilddb")  # checkpoint the WAL into the main file, as a finished transaction does
    for leftover in dbpath.iterdir():
        if leftover.name != "rpmdb.sqlite":
            leftover.unlink()
    with contextlib.suppress(OSError):  # a concurrent run won the race; its result is identical
        staged.rename(root)
    shutil.rmtree(work, ignore_errors=True)
    return root


def test_built_database_matches_rpm(built_db: Path, tmp_path: Path) -> None:
    shutil.copyfile(built_db / "var/lib/rpm/rpmdb.sqlite", tmp_path / "rpmdb.sqlite")
    out = catalog_dir(built_db, distro=Distro("fedora", "40"))
    assert package_rows(out.packages) == rpm_rows(tmp_path, "sqlite")
    by_name = {p.name: p for p in out.packages}
    for name, package in by_name.items():
        files = rpm(tmp_path, "-ql", name).split()
        assert [f["path"] for f in package.metadata["files"]] == files
        digests = rpm(tmp_path, "-q", "--qf", "[%{FILEDIGESTS},]", name).split(",")
        assert [(f["digest"] or "").split(":")[-1] for f in package.metadata["files"]] == digests[:-1]
        licence = rpm(tmp_path, "-q", "--qf", "%{LICENSE}", name)
        assert package.licenses == (licence,)
    alpha = by_name["hs-alpha"]
    assert alpha.version == "2:1.0-3.hs"
    assert alpha.source_name == "hs-alpha"
    assert alpha.source_version == "2:1.0-3.hs"
    assert alpha.metadata["supplier"] == "Hullscan Test"
    purl = PackageURL.from_string(alpha.purl)
    assert purl.namespace == "fedora"
    assert purl.version == "1.0-3.hs"
    assert purl.qualifiers == {
        "arch": "noarch",
        "epoch": "2",
        "distro": "fedora-40",
        "upstream": "hs-alpha-1.0-3.hs.src.rpm",
    }
    edges = {(r.source_id, r.target_id, r.note) for r in out.relationships}
    beta = by_name["hs-beta-libs"]
    assert (alpha.id, beta.id, "hs-beta-libs") in edges
    assert all(note != "/bin/sh" for *_, note in edges)  # nothing installed here provides /bin/sh


def sqlite_blobs(path: Path) -> list[tuple[int, bytes]]:
    connection = sqlite3.connect(f"file:{path}?immutable=1", uri=True)  # never writes -wal/-shm
    try:
        return [(h, bytes(b)) for h, b in connection.execute("SELECT hnum, blob FROM Packages ORDER BY hnum")]
    finally:
        connection.close()


def write_bdb(blobs: list[tuple[int, bytes]], target: Path, page_size: int) -> None:
    """Write a BerkeleyDB hash `Packages` with db_load (instance number → header blob)."""
    ensure_tool("db5.3_load", "db5.3-util")
    lines = ["VERSION=3", "format=bytevalue", "type=hash", f"db_pagesize={page_size}", "HEADER=END"]
    lines.append(" " + (0).to_bytes(4, "little").hex())
    lines.append(" " + (len(blobs) + 1).to_bytes(4, "little").hex())
    for number, blob in blobs:
        lines.extend((" " + number.to_bytes(4, "little").hex(), " " + blob.hex()))
    lines.append("DATA=END")
    dump = target.with_suffix(".dump")
    dump.write_text("\n".join(lines) + "\n")
    subprocess.run(["db5.3_load", "-f", str(dump), str(target)], check=True, capture_output=True)
    dump.unlink()


@pytest.mark.parametrize("page_size", [512, 4096])
def test_bdb_written_by_db_load_matches_rpm(page_size: int, tmp_path: Path, built_db: Path) -> None:
    blobs = sqlite_blobs(FIXTURES / "sqlite-cbl-mariner-2.0/var/lib/rpm/rpmdb.sqlite")
    blobs += [(1000 + n, b) for n, b in sqlite_blobs(built_db / "var/lib/rpm/rpmdb.sqlite")]
    root = tmp_path / "root"
    dbpath = root / "var/lib/rpm"
    dbpath.mkdir(parents=True)
    write_bdb(blobs, dbpath / "Packages", page_size)
    out = catalog_dir(root)
    assert out.unknowns == []
    truth = rpm_rows(dbpath, "bdb_ro")
    assert len(truth) == len(blobs)
    assert package_rows(out.packages) == truth


def test_truncated_header_blob_is_unknown(tmp_path: Path) -> None:
    dbpath = tmp_path / "var/lib/rpm"
    dbpath.mkdir(parents=True)
    shutil.copyfile(FIXTURES / "sqlite-cbl-mariner-2.0/var/lib/rpm/rpmdb.sqlite", dbpath / "rpmdb.sqlite")
    connection = sqlite3.connect(dbpath / "rpmdb.sqlite")
    with connection:
        (victim,) = connection.execute("SELECT hnum FROM Packages ORDER BY hnum LIMIT 1 OFFSET 7").fetchone()
        connection.execute("UPDATE Packages SET blob = substr(blob, 1, 200) WHERE hnum = ?", (victim,))
        connection.execute("UPDATE Packages SET blob = X'00000001' WHERE hnum = ?", (victim + 1,))
    connection.close()  # checkpoints the WAL into the main file
    out = catalog_dir(tmp_path)
    assert len(out.packages) == len(tsv_rows(FIXTURES / "sqlite-cbl-mariner-2.0")) - 2
    reasons = sorted(u.reason for u in out.unknowns)
    assert len(reasons) == 2
    assert any(r.startswith(f"hnum {victim}: truncated header") for r in reasons)
    assert any(r.startswith(f"hnum {victim + 1}: header blob of 4 bytes") for r in reasons)


def copy_truncated(source: Path, root: Path, relative: str, keep: int) -> None:
    target = root / relative
    target.parent.mkdir(parents=True)
    target.write_bytes(source.read_bytes()[:keep])


def test_truncated_sqlite_is_unknown(tmp_path: Path) -> None:
    source = FIXTURES / "sqlite-cbl-mariner-2.0/var/lib/rpm/rpmdb.sqlite"
    copy_truncated(source, tmp_path, "var/lib/rpm/rpmdb.sqlite", source.stat().st_size // 3)
    out = catalog_dir(tmp_path)
    assert out.packages == []
    (unknown,) = out.unknowns
    assert "unreadable rpmdb.sqlite" in unknown.reason


def test_truncated_bdb_keeps_complete_records(tmp_path: Path, built_db: Path) -> None:
    blobs = sqlite_blobs(FIXTURES / "sqlite-cbl-mariner-2.0/var/lib/rpm/rpmdb.sqlite")
    full = tmp_path / "full"
    full.mkdir()
    write_bdb(blobs, full / "Packages", 4096)
    size = (full / "Packages").stat().st_size
    copy_truncated(full / "Packages", tmp_path / "root", "var/lib/rpm/Packages", size // 2 + 100)
    out = catalog_dir(tmp_path / "root")
    assert 0 < len(out.packages) < len(blobs)
    assert set(package_rows(out.packages)) <= set(tsv_rows(FIXTURES / "sqlite-cbl-mariner-2.0"))
    assert any("truncated BerkeleyDB file" in u.reason for u in out.unknowns)


def test_truncated_ndb_is_unknown(tmp_path: Path) -> None:
    source = FIXTURES / "ndb-sle15-bci/usr/lib/sysimage/rpm/Packages.db"
    copy_truncated(source, tmp_path, "usr/lib/sysimage/rpm/Packages.db", 2000)
    out = catalog_dir(tmp_path)
    assert out.packages == []
    (unknown,) = out.unknowns
    assert "truncated NDB file" in unknown.reason


@pytest.mark.parametrize("content", [b"", b"\x00" * 64, bytes(range(256)) * 40])
@pytest.mark.parametrize("name", ["Packages", "Packages.db", "rpmdb.sqlite"])
def test_garbage_is_one_unknown(content: bytes, name: str, tmp_path: Path) -> None:
    copy_truncated_path = tmp_path / "var/lib/rpm" / name
    copy_truncated_path.parent.mkdir(parents=True)
    copy_truncated_path.write_bytes(content)
    out = catalog_dir(tmp_path)
    assert out.packages == []
    (unknown,) = out.unknowns
    assert "not an rpm database" in unknown.reason


def test_newest_format_wins_in_one_directory(tmp_path: Path) -> None:
    dbpath = tmp_path / "var/lib/rpm"
    dbpath.mkdir(parents=True)
    shutil.copyfile(FIXTURES / "sqlite-cbl-mariner-2.0/var/lib/rpm/rpmdb.sqlite", dbpath / "rpmdb.sqlite")
    shutil.copyfile(FIXTURES / "bdb-dive/var/lib/rpm/Packages", dbpath / "Packages")
    out = catalog_dir(tmp_path)
    assert package_rows(out.packages) == tsv_rows(FIXTURES / "sqlite-cbl-mariner-2.0")


def test_wants() -> None:
    cataloger = RpmDbCataloger()
    for path in (
        "/var/lib/rpm/Packages",
        "/var/lib/rpm/rpmdb.sqlite",
        "/usr/lib/sysimage/rpm/Packages.db",
        "/usr/lib/sysimage/rpm/rpmdb.sqlite",
    ):
        assert cataloger.wants(path)
    for path in ("/var/lib/rpm/Name", "/var/lib/rpm/rpmdb.sqlite-wal", "/var/lib/rpm/Index.db", "/Packages"):
        assert not cataloger.wants(path)


DIVE_DB = (FIXTURES / "bdb-dive/var/lib/rpm/Packages").read_bytes()
NDB_DB = (FIXTURES / "ndb-sle15-bci/usr/lib/sysimage/rpm/Packages.db").read_bytes()[:65536]


def read_everything(content: bytes) -> int:
    """Decode every header of a database the way the cataloger does; return how many decoded."""
    decoded = 0
    try:
        for stored in read_headers(content):
            if stored.blob is None:
                continue
            try:
                header = Header(stored.blob)
                for tag in Tag:
                    if tag in (Tag.EPOCH, Tag.SIZE, Tag.DIRINDEXES, Tag.LONGSIZE, Tag.FILEDIGESTALGO):
                        header.integers(tag)
                    else:
                        header.strings(tag)
                decoded += 1
            except HeaderError:
                pass
    except RpmDbError:
        pass
    return decoded


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_corrupted_databases_never_crash(data: st.DataObject) -> None:
    original = data.draw(st.sampled_from([DIVE_DB, NDB_DB]))
    content = bytearray(original)
    for _ in range(data.draw(st.integers(1, 8))):
        position = data.draw(st.integers(0, len(content) - 1))
        content[position] = data.draw(st.integers(0, 255))
    cut = data.draw(st.integers(0, len(content)))
    read_everything(bytes(content[:cut]))


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=512))
def test_random_header_blobs_raise_only_header_error(blob: bytes) -> None:
    assert read_everything(b"") == 0
    try:
        header = Header(blob)
        header.strings(Tag.NAME)
        header.integers(Tag.EPOCH)
    except HeaderError:
        pass


@pytest.mark.parametrize(("tag_type", "count"), [(4, 0xFFFFFFFF), (8, 0xFFFFFFFF), (6, 1), (4, 3)])
def test_header_entries_pointing_past_the_store_raise_header_error(tag_type: int, count: int) -> None:
    blob = struct.pack(">II", 1, 8) + struct.pack(">iIiI", 1000, tag_type, 0, count) + b"\x01" * 8
    header = Header(blob)
    read = header.integers if tag_type == 4 else header.strings
    with pytest.raises(HeaderError):
        read(1000)
