"""Java archives: real Debian jars (ground truth: unzip -p of their pom.properties) and fixtures."""

from __future__ import annotations

import io
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest

from hullscan.catalog.ecosystems.java import (
    JavaArchiveCataloger,
    name_version_from_filename,
    parse_properties,
)
from hullscan.catalog.interface import ParseContext, ParseError
from hullscan.catalog.runner import capture_policy, catalog_once
from hullscan.config import Limits
from hullscan.fileview.directory import DirectoryView
from hullscan.model.files import FileKind, FileRecord
from hullscan.model.package import Package, PackageType, RelationshipKind

FIXTURES = Path(__file__).parents[2] / "fixtures" / "pkgdb" / "java"
DEBIAN_JARS = Path("/usr/share/java")


def _ensure_debian_jar() -> Path:
    jar = DEBIAN_JARS / "commons-lang3.jar"
    if not jar.exists():
        subprocess.run(["apt-get", "update", "-qq"], check=True)
        subprocess.run(["apt-get", "install", "-y", "-qq", "libcommons-lang3-java"], check=True)
    if not shutil.which("unzip"):
        subprocess.run(["apt-get", "install", "-y", "-qq", "unzip"], check=True)
    assert jar.exists()
    return jar


def _record(path: str) -> FileRecord:
    return FileRecord(
        path=path, kind=FileKind.FILE, size=0, mode=0o644, layer_index=0, layer_digest="sha256:j"
    )


def _parse(path: str, content: bytes) -> list[Package]:
    ctx = ParseContext(view=None, distro=None)  # type: ignore[arg-type]
    return JavaArchiveCataloger().parse(ctx, _record(path), content).packages


def _unzip_poms(jar: Path) -> set[tuple[str, str, str]]:
    """Every pom.properties in the jar, read with unzip -p and split by hand."""
    names = subprocess.run(
        ["unzip", "-Z1", str(jar)], capture_output=True, text=True, check=True
    ).stdout.split()
    truth = set()
    for name in names:
        if not (name.startswith("META-INF/maven/") and name.endswith("/pom.properties")):
            continue
        text = subprocess.run(
            ["unzip", "-p", str(jar), name], capture_output=True, text=True, check=True
        ).stdout
        props = {}
        for line in text.splitlines():
            if line and not line.startswith("#"):
                key, _, value = line.partition("=")
                props[key.strip()] = value.strip()
        truth.add((props["groupId"], props["artifactId"], props["version"]))
    return truth


def _coords(packages: list[Package]) -> set[tuple[str, str, str]]:
    return {
        (p.metadata["group_id"], p.name, p.version)
        for p in packages
        if p.metadata["evidence"] == "pom.properties"
    }


def test_debian_jars_match_their_pom_properties() -> None:
    _ensure_debian_jar()
    catalogers = [JavaArchiveCataloger()]
    view = DirectoryView(DEBIAN_JARS, "sha256:" + "3" * 64, capture_policy(catalogers), Limits())
    output = catalog_once(view, catalogers, None)
    assert output.unknowns == []
    by_path: dict[str, list[Package]] = {}
    for package in output.packages:
        by_path.setdefault(package.locations[0].path, []).append(package)
    jars = sorted(p for p in DEBIAN_JARS.glob("*.jar") if not p.is_symlink())
    checked = 0
    for jar in jars:
        truth = _unzip_poms(jar)
        if truth:
            assert _coords(by_path[f"/{jar.name}"]) == truth, jar.name
            checked += 1
    assert checked >= 1
    assert not any(p.is_symlink() and f"/{p.name}" in by_path for p in DEBIAN_JARS.glob("*.jar"))
    lang3 = next(p for p in by_path["/commons-lang3.jar"] if p.name == "commons-lang3")
    group, artifact, version = next(iter(_unzip_poms(DEBIAN_JARS / "commons-lang3.jar")))
    assert lang3.purl == f"pkg:maven/{group}/{artifact}@{version}"
    assert lang3.type is PackageType.JAVA


def test_war_with_nested_jars(tmp_path: Path) -> None:
    real = _ensure_debian_jar()
    inner = io.BytesIO()
    with zipfile.ZipFile(inner, "w") as fat:
        fat.writestr("META-INF/MANIFEST.MF", "Manifest-Version: 1.0\n")
        fat.write(real, "BOOT-INF/lib/commons-lang3-x.jar")
    war = io.BytesIO()
    with zipfile.ZipFile(war, "w") as archive:
        archive.writestr("META-INF/MANIFEST.MF", "Manifest-Version: 1.0\nImplementation-Version: 7.1\n")
        archive.writestr("WEB-INF/lib/fat-2.0.jar", inner.getvalue())
        archive.writestr("WEB-INF/lib/broken-1.0.jar", b"PK\x03\x04 not really")
    ctx = ParseContext(view=None, distro=None)  # type: ignore[arg-type]
    result = JavaArchiveCataloger().parse(ctx, _record("/srv/shop.war"), war.getvalue())
    names = {(p.name, p.version, p.metadata["virtual_path"]) for p in result.packages}
    truth = _unzip_poms(real)
    assert ("shop", "7.1", "shop.war") in names
    assert ("fat", "2.0", "shop.war:WEB-INF/lib/fat-2.0.jar") in names
    nested = [p for p in result.packages if p.metadata["virtual_path"].endswith("commons-lang3-x.jar")]
    assert _coords(nested) == truth
    by_id = {p.id: p for p in result.packages}
    contains = {
        (by_id[r.source_id].name, by_id[r.target_id].name)
        for r in result.relationships
        if r.kind is RelationshipKind.CONTAINS
    }
    assert ("shop", "fat") in contains
    assert ("fat", next(iter(truth))[1]) in contains
    assert [u.reason.split(":")[1] for u in result.unknowns] == ["WEB-INF/lib/broken-1.0.jar"]


def _zip_dir(directory: Path) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for path in sorted(directory.rglob("*")):
            if path.is_file():
                archive.write(path, path.relative_to(directory).as_posix())
    return buffer.getvalue()


# Expected values as the shared data set's README lists them (read off the files).
@pytest.mark.parametrize(
    ("fixture", "expected"),
    [
        ("opensaml-core-3.4.6", {("org.opensaml", "opensaml-core", "3.4.6")}),
        (
            "api-all-2.0.0-sources",
            {
                ("org.apache.directory.api", "api-all", "2.0.0"),
                ("org.apache.directory.api", "api-asn1-api", "2.0.0"),
            },
        ),
        ("jackson-core-2.15.2", {("com.fasterxml.jackson.core", "jackson-core", "2.15.2")}),
        ("jenkins-plugin-gradle-2.11", {("org.jenkins-ci.plugins", "gradle", "2.11")}),
    ],
)
def test_fixture_jars(fixture: str, expected: set[tuple[str, str, str]]) -> None:
    packages = _parse(f"/app/{fixture}.jar", _zip_dir(FIXTURES / "jar-meta-inf" / fixture))
    assert {(p.metadata["group_id"], p.name, p.version) for p in packages} == expected


def test_manifest_only_version_wins_over_filename() -> None:
    packages = _parse(
        "/app/spring-instrumentation-4.3.0-1.0.jar",
        _zip_dir(FIXTURES / "jar-meta-inf" / "spring-instrumentation-4.3.0-1.0"),
    )
    assert [p.version for p in packages] == ["1.0"]  # Implementation-Version in the manifest


@pytest.mark.parametrize("name", ["small", "extra", "colon-delimited"])
def test_pom_properties_variants(name: str) -> None:
    props = parse_properties((FIXTURES / "pom-properties" / f"{name}.pom.properties").read_text())
    assert (props["groupId"], props["artifactId"], props["version"]) == (
        "org.anchore",
        "example-java-app-maven",
        "0.1.0",
    )


@pytest.mark.parametrize(
    ("filename", "expected"),
    [
        ("commons-lang3-3.12.0.jar", ("commons-lang3", "3.12.0")),
        ("guava-31.1-jre.jar", ("guava", "31.1-jre")),
        ("api-all-2.0.0-sources.jar", ("api-all", "2.0.0")),
        ("commons-lang3.jar", ("commons-lang3", None)),
        ("spring-core-5.3.1.RELEASE.war", ("spring-core", "5.3.1.RELEASE")),
    ],
)
def test_filename_split(filename: str, expected: tuple[str, str | None]) -> None:
    assert name_version_from_filename(filename) == expected


def test_filename_fallback_and_bad_archives() -> None:
    empty = io.BytesIO()
    with zipfile.ZipFile(empty, "w") as archive:
        archive.writestr("a.class", b"\xca\xfe\xba\xbe")
    packages = _parse("/lib/foo-bar-1.2.3.jar", empty.getvalue())
    assert [(p.name, p.version, p.purl) for p in packages] == [
        ("foo-bar", "1.2.3", "pkg:maven/foo-bar@1.2.3")
    ]
    assert _parse("/lib/foo-bar.jar", empty.getvalue()) == []
    for blob in (b"", b"not a zip", empty.getvalue()[:30]):
        with pytest.raises(ParseError):
            _parse("/lib/x.jar", blob)
