"""ELF analyzer on damaged input, library-name handling, host linking and the copy summary."""

from __future__ import annotations

import io
import os
import struct
from pathlib import Path

import pytest

from hullscan.catalog.bundled.elf import ElfAnalyzer
from hullscan.catalog.bundled.identify import decode, identify, library_stem
from hullscan.catalog.bundled.link import link_bundled, with_hosts
from hullscan.catalog.bundled.signatures import Decoding
from hullscan.catalog.bundled.summary import summarize_copies
from hullscan.model.files import Coordinates
from hullscan.model.package import Package, PackageType, RelationshipKind

REAL_ELF = Path(os.path.realpath("/usr/lib/x86_64-linux-gnu/libz.so.1"))


@pytest.fixture(scope="module")
def real_bytes() -> bytes:
    if not REAL_ELF.exists():
        pytest.fail("zlib1g is essential on Debian; /usr/lib/x86_64-linux-gnu/libz.so.1 must exist")
    return REAL_ELF.read_bytes()


def _analyze(data: bytes, size: int | None = None) -> dict:
    return ElfAnalyzer().analyze("/x/libz.so.1", io.BytesIO(data), len(data) if size is None else size)


def test_real_library_summary_is_json_and_names_zlib(real_bytes: bytes) -> None:
    summary = _analyze(real_bytes)
    assert "error" not in summary
    assert summary["soname"] == "libz.so.1"
    assert "zlibVersion" in summary["exports"]
    assert [c.component for c in identify(str(REAL_ELF), summary)] == ["zlib"]


@pytest.mark.parametrize("keep", [16, 64, 200, 4096])
def test_truncated_elf_gives_error_not_exception(real_bytes: bytes, keep: int) -> None:
    summary = _analyze(real_bytes[:keep])
    assert "error" in summary
    assert identify("/x/libz.so.1", summary) == []


def test_bogus_section_header_offset_gives_error(real_bytes: bytes) -> None:
    damaged = bytearray(real_bytes)
    struct.pack_into("<Q", damaged, 0x28, 0x7FFF_FFFF_FFFF)  # e_shoff far beyond the file
    assert "error" in _analyze(bytes(damaged))


def test_non_elf_named_like_a_library_is_not_wanted() -> None:
    analyzer = ElfAnalyzer()
    assert not analyzer.wants("/usr/lib/libssl.so.3", b"INPUT(libssl.so.3)\n", 19)
    summary = analyzer.analyze("/usr/lib/libssl.so.3", io.BytesIO(b"INPUT(libssl.so.3)\n"), 19)
    assert "error" in summary


def test_over_the_size_cap_only_the_header_is_recorded(real_bytes: bytes) -> None:
    summary = _analyze(real_bytes, size=2 * 1024**3)
    assert summary["machine"] == "EM_X86_64"
    assert "truncated" in summary
    assert "exports" not in summary


@pytest.mark.parametrize(
    ("name", "stem"),
    [
        ("libssl-3a880ada.so.1.1", "libssl"),
        ("libz-eb09ad1d.so.1.2.11", "libz"),
        ("libopenblas64_p-r0-15028c96.3.21.so", "libopenblas64_p-r0.3.21"),
        ("liblber-2-f65b1f9f.4.so.2.11.7", "liblber-2.4"),
        ("libvips-cpp.so.42", "libvips-cpp"),
        ("sharp-linux-x64.node", None),
    ],
)
def test_library_stem_undoes_auditwheel_names(name: str, stem: str | None) -> None:
    assert library_stem(name) == stem


@pytest.mark.parametrize(
    ("raw", "decoding", "version"),
    [
        (0x010204, Decoding.HEX_MMR, "1.2.4"),  # libwebp 1.2.4
        (10504, Decoding.DEC_MMR, "1.5.4"),  # ZSTD_VERSION_NUMBER of zstd 1.5.4
        (50040012, Decoding.LZMA, "5.4.1"),  # LZMA_VERSION of xz 5.4.1 (stable)
        (0x1000009, Decoding.BROTLI, "1.0.9"),
        (2140, Decoding.LCMS, "2.14"),
        (2131, Decoding.LCMS, "2.13.1"),
        (150018, Decoding.POSTGRES, "15.18"),
        (90624, Decoding.POSTGRES, "9.6.24"),
        ("expat_2.5.0", Decoding.TEXT, "2.5.0"),
        ("no digits", Decoding.TEXT, None),
    ],
)
def test_decoding_follows_upstream_version_macros(
    raw: str | int, decoding: Decoding, version: str | None
) -> None:
    assert decode(raw, decoding) == version


def test_soname_alone_gives_unknown_version_not_the_soname_number() -> None:
    summary = {"soname": "libz.so.1", "component_symbols": [], "strings": [], "symbol_values": {}}
    [copy] = identify("/opt/app/libz.so.1.2.11", summary)
    assert (copy.component, copy.version, copy.linkage) == ("zlib", None, "shared")


def test_weak_banner_outside_the_component_is_ignored() -> None:
    """A consumer embedding OPENSSL_VERSION_TEXT is not a copy of OpenSSL."""
    summary = {
        "soname": "libapp.so",
        "component_symbols": [],
        "symbol_values": {},
        "strings": [
            {"component": "openssl", "pattern": 0, "match": "OpenSSL 3.0.7 1 Nov 2022", "version": "3.0.7"}
        ],
    }
    assert identify("/opt/libapp.so", summary) == []


def test_conflicting_evidence_gives_unknown_version() -> None:
    summary = {
        "soname": "libz.so.1",
        "component_symbols": ["zlibVersion"],
        "symbol_values": {"zlibVersion": "1.2.13"},
        "strings": [
            {"component": "zlib", "pattern": 0, "match": " deflate 1.2.11 Copyright", "version": "1.2.11"}
        ],
    }
    [copy] = identify("/lib/libz.so.1", summary)
    assert copy.version is None


def _pkg(name: str, ptype: PackageType, path: str, **extra: object) -> Package:
    metadata = extra.pop("metadata", {})
    return Package(
        name, "1", ptype, f"pkg:{ptype}/{name}", "test", (Coordinates(path),), metadata=metadata, **extra
    )  # type: ignore[arg-type]


def _copy(component: str, version: str | None, path: str, linkage: str, source: str) -> Package:
    metadata = {
        "component": component,
        "version": version,
        "linkage": linkage,
        "host_path": path,
        "debian_source": source,
        "evidence": [],
    }
    return Package(
        component,
        version or "",
        PackageType.BINARY,
        f"pkg:generic/{component}",
        "elf-bundled",
        (Coordinates(path),),
        metadata=metadata,
    )


def test_link_to_wheel_npm_and_os_package() -> None:
    site = "/usr/lib/python3/dist-packages"
    wheel = _pkg(
        "psycopg2-binary",
        PackageType.PYTHON,
        f"{site}/psycopg2_binary-2.9.5.dist-info/METADATA",
        metadata={"files": [{"path": "psycopg2_binary.libs/libssl-3a880ada.so.1.1"}]},
    )
    crypto = _pkg(
        "cryptography",
        PackageType.PYTHON,
        f"{site}/cryptography-38.0.4.dist-info/METADATA",
        metadata={"files": ["cryptography/hazmat/bindings/_openssl.abi3.so"]},
    )
    sharp = _pkg(
        "@img/sharp-libvips-linux-x64",
        PackageType.NPM,
        "/app/node_modules/@img/sharp-libvips-linux-x64/package.json",
    )
    deb = _pkg(
        "libssl3",
        PackageType.DEB,
        "/var/lib/dpkg/status",
        source_name="openssl",
        metadata={"files": ["/usr/lib/x86_64-linux-gnu/libssl.so.3"]},
    )
    copies = [
        _copy(
            "openssl", "1.1.1r", f"{site}/psycopg2_binary.libs/libssl-3a880ada.so.1.1", "shared", "openssl"
        ),
        _copy(
            "openssl", "3.0.7", f"{site}/cryptography/hazmat/bindings/_openssl.abi3.so", "static", "openssl"
        ),
        _copy("openssl", "3.0.19", "/usr/lib/x86_64-linux-gnu/libssl.so.3", "shared", "openssl"),
        _copy(
            "libvips",
            "8.15.0",
            "/app/node_modules/@img/sharp-libvips-linux-x64/lib/libvips-cpp.so.42",
            "shared",
            "vips",
        ),
        _copy("zlib", None, "/opt/unowned/libz.so.1", "shared", "zlib"),
    ]
    packages = [wheel, crypto, sharp, deb, *copies]
    edges = {(e.source_id, e.target_id, e.kind) for e in link_bundled(packages)}
    bundled = RelationshipKind.BUNDLED_IN
    assert (copies[0].id, wheel.id, bundled) in edges
    assert (copies[1].id, crypto.id, bundled) in edges
    assert (copies[2].id, deb.id, bundled) in edges
    assert (copies[3].id, sharp.id, bundled) in edges
    assert (copies[0].id, deb.id, RelationshipKind.PROVIDES_SAME) in edges
    assert (copies[2].id, deb.id, RelationshipKind.PROVIDES_SAME) not in edges
    hosts = {p.id: p.metadata["host"] for p in with_hosts(packages) if p.type is PackageType.BINARY}
    assert hosts[copies[4].id] is None
    assert hosts[copies[1].id]["name"] == "cryptography"

    [openssl, *_] = summarize_copies(packages)
    assert openssl.component == "openssl"
    assert len(openssl.copies) == 3
    line = openssl.describe()
    assert line.startswith("3 copies of openssl:")
    assert "cryptography's static 3.0.7" in line
    assert "psycopg2-binary's 1.1.1r" in line
    assert "Debian's (libssl3) 3.0.19" in line


def test_wheel_libs_folder_without_record_entry_is_linked_by_name() -> None:
    site = "/venv/lib/python3.11/site-packages"
    wheel = _pkg("Pillow", PackageType.PYTHON, f"{site}/Pillow-9.3.0.dist-info/METADATA")
    copy = _copy(
        "libpng", "1.6.38", f"{site}/Pillow.libs/libpng16-a57c74e2.so.16.38.0", "shared", "libpng1.6"
    )
    [edge] = link_bundled([wheel, copy])
    assert (edge.target_id, edge.kind) == (wheel.id, RelationshipKind.BUNDLED_IN)
