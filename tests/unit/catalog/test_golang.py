"""Go build info reader: pre-1.18 pointer layout, module text edge cases, damaged input."""

from __future__ import annotations

import io
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from hullscan.catalog.ecosystems.golang import go_purl, packages_from_buildinfo
from hullscan.catalog.ecosystems.golang_buildinfo import (
    GoBuildInfoAnalyzer,
    GoBuildInfoError,
    parse_modinfo,
    read_buildinfo,
)
from hullscan.catalog.interface import ParseError
from hullscan.model.files import FileKind, FileRecord

SENTINEL_START = b"0w\xaf\x0c\x92t\x08\x02A\xe1\xc1\x07\xe6\xd6\x18\xe6"
SENTINEL_END = b"\xf92C1\x86\x18 r\x00\x82B\x10A\x16\xd8\xf2"

MODINFO = (
    b"path\texample.com/old/cmd/tool\n"
    b"mod\texample.com/old\tv0.4.0\th1:Zm9vYmFyYmF6cXV4Zm9vYmFyYmF6cXV4Zm9vYmE=\n"
    b"dep\tgolang.org/x/text\tv0.3.7\th1:olpwvP2KacW1ZWvsR7uQhoyTYvKAupfQrRGBFM352Gk=\n"
    b"dep\tgithub.com/a/b\tv1.0.0\n"
    b"=>\tgithub.com/c/b\tv1.1.0\th1:YWJjZGVmZ2hpamtsbW5vcHFyc3R1dnd4eXoxMjM0NTY=\n"
)


def _c_string(data: bytes) -> str:
    """Return a C string literal of `data` using octal escapes (never ambiguous)."""
    return '"' + "".join(f"\\{byte:03o}" for byte in data) + '"'


OLD_FORMAT_C = f"""
struct gostr {{ const char *p; long n; }};
static const char ver[] = "go1.16.15";
static const char mi[] = {_c_string(SENTINEL_START + MODINFO + SENTINEL_END)};
const struct gostr gver = {{ver, sizeof(ver) - 1}};
const struct gostr gmod = {{mi, sizeof(mi) - 1}};
struct bi {{ char magic[14]; unsigned char ptrsize; unsigned char flags;
            const struct gostr *v; const struct gostr *m; char pad[16]; }};
__attribute__((section(".go.buildinfo"), aligned(16), used))
struct bi buildinfo = {{"\\xff Go buildinf:", 8, 0, &gver, &gmod, {{0}}}};
int main(void) {{ return buildinfo.ptrsize == 8 ? 0 : 1; }}
"""


def _tool(name: str, package: str) -> str:
    found = shutil.which(name)
    if not found:
        subprocess.run(["apt-get", "update", "-qq"], check=True)
        subprocess.run(["apt-get", "install", "-y", "-qq", package], check=True)
        found = shutil.which(name)
    assert found
    return found


def _record(path: str = "/bin/tool") -> FileRecord:
    return FileRecord(
        path=path, kind=FileKind.FILE, size=1, mode=0o755, layer_index=0, layer_digest="sha256:x"
    )


def _read(path: Path) -> dict[str, object] | None:
    with path.open("rb") as handle:
        return read_buildinfo(handle, path.stat().st_size)


@pytest.fixture(scope="module")
def old_format_binary(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A non-PIE ELF whose `.go.buildinfo` uses the pre-Go-1.18 pointer layout, laid out by ld."""
    work = tmp_path_factory.mktemp("oldgo")
    source = work / "old.c"
    source.write_text(OLD_FORMAT_C)
    binary = work / "old"
    subprocess.run([_tool("gcc", "gcc"), "-no-pie", "-O0", "-o", str(binary), str(source)], check=True)
    return binary


def _go_version_m(binary: Path) -> list[list[str]]:
    go = _tool("go", "golang-go")
    out = subprocess.run(
        [go, "version", "-m", str(binary)], capture_output=True, text=True, check=True
    ).stdout
    first, *rest = out.splitlines()
    return [["version", first.split(": ", 1)[1]]] + [
        line.removeprefix("\t").split("\t") for line in rest if line.strip()
    ]


def test_pointer_format_matches_go_version_m(old_format_binary: Path) -> None:
    truth = _go_version_m(old_format_binary)
    info = _read(old_format_binary)
    assert info is not None
    assert info["format"] == "pointer"
    assert ["version", info["go_version"]] == truth[0]
    lines = {tuple(x) for x in truth[1:]}
    assert ("path", info["path"]) in lines
    main = info["main"]
    assert isinstance(main, dict)
    assert ("mod", main["path"], main["version"], main["sum"]) in lines
    deps = info["deps"]
    assert isinstance(deps, list)
    assert len(deps) == sum(1 for x in truth if x[0] == "dep")
    for dep in deps:
        assert ("dep", dep["path"], dep["version"], *([dep["sum"]] if dep["sum"] else [])) in lines
    replaced = next(d for d in deps if d["replace"])
    repl = replaced["replace"]
    assert ("=>", repl["path"], repl["version"], repl["sum"]) in lines


def test_pointer_format_packages_apply_replacement(old_format_binary: Path) -> None:
    info = _read(old_format_binary)
    assert info is not None
    result = packages_from_buildinfo(_record(), info)
    names = {(p.name, p.version) for p in result.packages}
    # `go version -m` shows github.com/a/b replaced by github.com/c/b v1.1.0: the code that ran.
    assert ("github.com/c/b", "v1.1.0") in names
    assert ("github.com/a/b", "v1.0.0") not in names
    assert ("stdlib", "go1.16.15") in names
    purls = {p.purl for p in result.packages}
    assert "pkg:golang/stdlib@1.16.15" in purls
    assert "pkg:golang/golang.org/x/text@v0.3.7" in purls


def test_strip_keeps_build_info(old_format_binary: Path, tmp_path: Path) -> None:
    stripped = tmp_path / "stripped"
    shutil.copy(old_format_binary, stripped)
    subprocess.run([_tool("strip", "binutils"), str(stripped)], check=True)
    assert _read(stripped) == _read(old_format_binary)


def test_non_go_elf_is_not_go() -> None:
    real = Path(os.path.realpath("/bin/true"))
    assert _read(real) is None
    analyzer = GoBuildInfoAnalyzer()
    head = real.read_bytes()[:64]
    assert analyzer.wants("/bin/true", head, real.stat().st_size)
    assert not analyzer.wants("/etc/passwd", b"root:x:0:0", 100)
    assert not analyzer.wants("/big", head, 600 * 1024 * 1024)


@pytest.mark.parametrize("cut", [0, 16, 64, 200, 1000, 4096, 10000])
def test_truncated_or_garbage_elf_never_crashes(old_format_binary: Path, cut: int) -> None:
    data = old_format_binary.read_bytes()
    analyzer = GoBuildInfoAnalyzer()
    for blob in (data[:cut], b"\x7fELF" + b"\xff" * cut, data[:cut] + b"\x00" * 50):
        result = analyzer.analyze("/x", io.BytesIO(blob), len(blob))
        assert result is None or isinstance(result, dict)


def test_dangling_pointer_is_reported_as_damage(old_format_binary: Path) -> None:
    data = bytearray(old_format_binary.read_bytes())
    index = data.find(b"\xff Go buildinf:")
    data[index + 16 : index + 24] = (0xDEADBEEF).to_bytes(8, "little")
    result = GoBuildInfoAnalyzer().analyze("/x", io.BytesIO(bytes(data)), len(data))
    assert isinstance(result, dict)
    assert "error" in result
    with pytest.raises(ParseError):
        packages_from_buildinfo(_record(), result)


def test_modinfo_quoted_settings_and_errors() -> None:
    text = 'build\t-ldflags="-X main.v=1 -s"\nbuild\t"we=ird"=x\nbuild\tCGO_ENABLED=0\n'
    parsed = parse_modinfo(text)
    assert parsed["settings"] == [["-ldflags", "-X main.v=1 -s"], ["we=ird", "x"], ["CGO_ENABLED", "0"]]
    for bad in ("dep\tonly", "=>\tx\ty\tz\n", "build\t=x", "build\tnoequals", "weird\tline", 'build\t"open'):
        with pytest.raises(GoBuildInfoError):
            parse_modinfo(bad)


def test_go_purl_and_devel() -> None:
    assert go_purl("github.com/foo/bar", "v1.2.3") == "pkg:golang/github.com/foo/bar@v1.2.3"
    assert go_purl("example.com/app", "(devel)") == "pkg:golang/example.com/app"
    info = {"go_version": "go1.21.3 X:boringcrypto", "path": "m", "main": {"path": "m", "version": "(devel)"}}
    result = packages_from_buildinfo(_record(), info)
    assert {(p.name, p.version) for p in result.packages} == {("m", "(devel)"), ("stdlib", "go1.21.3")}
    assert len(result.relationships) == 1
    with pytest.raises(ParseError):
        packages_from_buildinfo(_record(), {"main": {}})
