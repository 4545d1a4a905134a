r"""Read the build information a Go toolchain embeds in ELF binaries, without running them.

Go binaries carry a 32-byte header starting with the magic `\xff Go buildinf:` (in the
`.go.buildinfo` section, or at the start of the data segment), followed by the toolchain
version and the module information text (`path`, `mod`, `dep`, `=>`, `build` lines). Go 1.18+
stores both strings inline as varint-prefixed bytes; older toolchains store pointers to Go
string headers, which are resolved through the program headers here.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, BinaryIO

from elftools.common.exceptions import ELFError

from hullscan.catalog.bytescan import contains_any, elf_section_names
from hullscan.errors import HullscanError

if TYPE_CHECKING:
    from elftools.elf.elffile import ELFFile

ELF_MAGIC = b"\x7fELF"
BUILDINFO_MAGIC = b"\xff Go buildinf:"
BUILDINFO_SECTION = ".go.buildinfo"
HEADER_SIZE = 32
ALIGN = 16
SEARCH_BYTES = 64 * 1024
"""How far from the data start the header is searched (what the Go toolchain does)."""
SCAN_CHUNK = 1024 * 1024
MAX_STRING_BYTES = 20 * 1024 * 1024
"""Longest version or modinfo string accepted (the Go toolchain's own limit)."""
MAX_ANALYZED_BYTES = 512 * 1024 * 1024
FLAG_BIG_ENDIAN = 0x1
FLAG_INLINE = 0x2
PT_LOAD = "PT_LOAD"
PF_X = 0x1
PF_W = 0x2
SENTINEL_BYTES = 16


class GoBuildInfoError(HullscanError):
    """A Go binary's build information is present but damaged."""

    hint = "The binary may be truncated or altered; `go version -m FILE` shows what Go can read."


class UnreadableElfError(GoBuildInfoError):
    """The ELF headers themselves cannot be read (so nothing says the file is Go)."""


@dataclass(frozen=True, slots=True)
class _Segment:
    vaddr: int
    offset: int
    filesz: int
    flags: int


class _Image:
    """Random access to an ELF file by virtual address."""

    def __init__(self, stream: BinaryIO, size: int) -> None:
        self.stream = stream
        self.size = size
        from elftools.elf.elffile import ELFFile  # noqa: PLC0415 - loads only once a Go binary is found

        try:
            elf = ELFFile(stream)
            self.segments = [
                _Segment(s["p_vaddr"], s["p_offset"], s["p_filesz"], s["p_flags"])
                for s in elf.iter_segments()
                if s["p_type"] == PT_LOAD
            ]
            self.section_names, self.buildinfo_addr = _sections(elf)
        except (ELFError, ValueError, OSError, KeyError, AttributeError) as exc:
            raise UnreadableElfError(f"unreadable ELF headers: {exc}") from exc

    def read_at(self, offset: int, length: int) -> bytes:
        if offset < 0 or length < 0 or offset >= self.size:
            return b""
        self.stream.seek(offset)
        return self.stream.read(min(length, self.size - offset))

    def read_addr(self, addr: int, length: int) -> bytes:
        """Return up to `length` bytes mapped at virtual address `addr` (b"" if unmapped)."""
        for seg in self.segments:
            if seg.vaddr <= addr < seg.vaddr + seg.filesz:
                available = seg.vaddr + seg.filesz - addr
                return self.read_at(seg.offset + addr - seg.vaddr, min(length, available))
        return b""

    def data_start(self) -> int | None:
        """Return where the Go toolchain starts looking: the section, else the data segment."""
        if self.buildinfo_addr is not None:
            return self.buildinfo_addr
        for seg in self.segments:
            if seg.flags & (PF_X | PF_W) == PF_W:
                return seg.vaddr
        return None


def _sections(elf: ELFFile) -> tuple[frozenset[str], int | None]:
    names: set[str] = set()
    addr: int | None = None
    for section in elf.iter_sections():
        names.add(section.name)
        if section.name == BUILDINFO_SECTION:
            addr = section["sh_addr"]
    return frozenset(names), addr


def _find_aligned(data: bytes) -> int | None:
    """Return the first 16-byte aligned offset of a full header in `data`."""
    start = 0
    while True:
        index = data.find(BUILDINFO_MAGIC, start)
        if index < 0 or len(data) - index < HEADER_SIZE:
            return None
        if index % ALIGN == 0:
            return index
        start = (index + ALIGN - 1) & ~(ALIGN - 1)


def _scan_segments(image: _Image) -> tuple[int, bytes] | None:
    """Search every loaded segment (bounded reads) for the header; return (vaddr, header+rest)."""
    for seg in image.segments:
        position = 0
        while position < seg.filesz:
            chunk = image.read_at(seg.offset + position, min(SCAN_CHUNK + HEADER_SIZE, seg.filesz - position))
            found = _find_aligned(chunk)
            if found is not None:
                addr = seg.vaddr + position + found
                return addr, image.read_addr(addr, SEARCH_BYTES)
            position += SCAN_CHUNK
    return None


def _locate(image: _Image) -> bytes | None:
    """Return the bytes from the build info header on, or None if this is no Go binary."""
    start = image.data_start()
    if start is not None:
        window = image.read_addr(start, SEARCH_BYTES)
        found = _find_aligned(window)
        if found is not None:
            return window[found:]
    if image.section_names and not ({BUILDINFO_SECTION, ".note.go.buildid"} & image.section_names):
        return None
    scanned = _scan_segments(image)
    return scanned[1] if scanned else None


def _uvarint(data: bytes, pos: int) -> tuple[int, int]:
    """Decode an unsigned LEB128 varint; return (value, next position). Raises on overflow."""
    value = 0
    shift = 0
    while pos < len(data) and shift < 64:
        byte = data[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        if byte < 0x80:
            return value, pos
        shift += 7
    raise GoBuildInfoError("bad varint in the inline build info")


def _inline_strings(header: bytes) -> tuple[bytes, bytes]:
    pos = HEADER_SIZE
    out: list[bytes] = []
    for _ in range(2):
        length, pos = _uvarint(header, pos)
        if length > MAX_STRING_BYTES or pos + length > len(header):
            raise GoBuildInfoError(f"inline build info string of {length} bytes runs past the data")
        out.append(header[pos : pos + length])
        pos += length
    return out[0], out[1]


def _pointer_strings(image: _Image, header: bytes) -> tuple[bytes, bytes]:
    ptr_size = header[14]
    if ptr_size not in (4, 8):
        raise GoBuildInfoError(f"unsupported pointer size {ptr_size}")
    order: Any = "big" if header[15] & FLAG_BIG_ENDIAN else "little"

    def read_ptr(raw: bytes) -> int:
        if len(raw) < ptr_size:
            raise GoBuildInfoError("truncated pointer in the build info")
        return int.from_bytes(raw[:ptr_size], order)

    def read_string(addr: int) -> bytes:
        string_header = image.read_addr(addr, 2 * ptr_size)
        data_addr = read_ptr(string_header)
        length = read_ptr(string_header[ptr_size:])
        if length > MAX_STRING_BYTES:
            raise GoBuildInfoError(f"build info string of {length} bytes is implausible")
        data = image.read_addr(data_addr, length)
        if len(data) != length:
            raise GoBuildInfoError("build info string points outside the file")
        return data

    version = read_string(read_ptr(header[16:]))
    modinfo = read_string(read_ptr(header[16 + ptr_size :]))
    return version, modinfo


def _strip_sentinels(modinfo: bytes) -> bytes:
    """Drop the 16-byte markers around the module text (empty text if they are missing)."""
    if len(modinfo) >= 2 * SENTINEL_BYTES + 1 and modinfo[-SENTINEL_BYTES - 1] == ord("\n"):
        return modinfo[SENTINEL_BYTES:-SENTINEL_BYTES]
    return b""


def _module(fields: list[str], what: str, line: str) -> dict[str, str]:
    if len(fields) not in (2, 3) or not fields[0]:
        raise GoBuildInfoError(f"malformed {what} line in the module info: {line!r}")
    return {"path": fields[0], "version": fields[1], "sum": fields[2] if len(fields) == 3 else ""}


def _unquote(text: str) -> str:
    if len(text) >= 2 and text[0] == text[-1] == "`":
        return text[1:-1]
    if len(text) >= 2 and text[0] == text[-1] == '"':
        try:
            value = json.loads(text)
        except ValueError as exc:
            raise GoBuildInfoError(f"badly quoted build setting {text!r}") from exc
        return str(value)
    return text


def _quoted_prefix(text: str) -> str:
    """Return the leading Go-quoted string of `text` (`"..."` or a backquoted one)."""
    quote = text[0]
    index = 1
    while index < len(text):
        if quote == '"' and text[index] == "\\":
            index += 2
            continue
        if text[index] == quote:
            return text[: index + 1]
        index += 1
    raise GoBuildInfoError(f"unterminated quoted build setting {text!r}")


def _setting(text: str) -> tuple[str, str]:
    if not text or text[0] == "=":
        raise GoBuildInfoError(f"malformed build setting {text!r}")
    if text[0] in '"`':
        raw_key = _quoted_prefix(text)
        key, rest = _unquote(raw_key), text[len(raw_key) :]
        if not rest.startswith("="):
            raise GoBuildInfoError(f"malformed build setting {text!r}")
        return key, _unquote(rest[1:])
    key, sep, value = text.partition("=")
    if not sep:
        raise GoBuildInfoError(f"build setting without '=': {text!r}")
    return key, _unquote(value)


def _lines(text: str) -> Iterator[tuple[str, list[str], str]]:
    for line in text.split("\n"):
        if not line:
            continue
        word, _, rest = line.partition("\t")
        yield word, rest.split("\t"), line


def parse_modinfo(text: str) -> dict[str, Any]:
    """Parse the module info text (what `go version -m` prints below the version line)."""
    out: dict[str, Any] = {"path": None, "main": None, "deps": [], "settings": []}
    last: dict[str, Any] | None = None
    for word, fields, line in _lines(text):
        if word == "path":
            out["path"] = "\t".join(fields)
        elif word == "mod":
            last = out["main"] = _module(fields, "mod", line) | {"replace": None}
        elif word == "dep":
            last = _module(fields, "dep", line) | {"replace": None}
            out["deps"].append(last)
        elif word == "=>":
            if last is None or len(fields) != 3:
                raise GoBuildInfoError(f"replacement without a module, or malformed: {line!r}")
            last["replace"] = {"path": fields[0], "version": fields[1], "sum": fields[2]}
            last = None
        elif word == "build":
            out["settings"].append(list(_setting("\t".join(fields))))
        else:
            raise GoBuildInfoError(f"unexpected line in the module info: {line!r}")
    return out


def read_buildinfo(stream: BinaryIO, size: int) -> dict[str, Any] | None:
    """Return the build info of the ELF in `stream` as a JSON-able dict, None if not Go.

    Raises GoBuildInfoError when the header is there but what it points to is unreadable.
    """
    image = _Image(stream, size)
    header = _locate(image)
    if header is None:
        return None
    flags = header[15]
    if flags & FLAG_INLINE:
        version_raw, modinfo_raw = _inline_strings(header)
        layout = "inline"
    else:
        version_raw, modinfo_raw = _pointer_strings(image, header)
        layout = "pointer"
    version = version_raw.decode("utf-8", "replace")
    if not version.startswith("go") and "devel" not in version:
        raise GoBuildInfoError(f"build info names no Go version ({version[:40]!r})")
    info = parse_modinfo(_strip_sentinels(modinfo_raw).decode("utf-8", "replace"))
    return {"format": layout, "go_version": version} | info


_MARKERS = (b"\xff Go buildinf:", b".go.buildinfo")
_GOT_SECTIONS = frozenset((b".got", b".got.plt", b".plt.got"))
"""The global offset table's sections: every dynamic ELF has them, and their names hold `go`."""


class GoBuildInfoAnalyzer:
    """Content analyzer `go-buildinfo`: build info of every Go ELF binary, per layer."""

    name = "go-buildinfo"
    version = "1"

    def wants(self, path: str, head: bytes, size: int) -> bool:
        """Analyze ELF files up to 512 MiB."""
        del path
        return head.startswith(ELF_MAGIC) and size <= MAX_ANALYZED_BYTES

    def analyze(self, path: str, stream: BinaryIO, size: int) -> Any:
        """Return the build info dict, `{"error": reason}` if damaged, None if not Go."""
        del path
        names = elf_section_names(stream)
        if names is not None and not any(b"go" in name for name in names - _GOT_SECTIONS):
            return None  # a section table without any Go section (.go.buildinfo, .gopclntab, ...)
        if (names is None or b".go.buildinfo" not in names) and not contains_any(stream, _MARKERS):
            return None  # neither the build info magic nor its section name: not Go
        try:
            return read_buildinfo(stream, size)
        except UnreadableElfError:
            return None
        except GoBuildInfoError as exc:
            return {"error": exc.message}
        except (ELFError, OSError, ValueError, IndexError) as exc:
            return {"error": f"unreadable Go build info: {exc}"}
