r"""`ElfAnalyzer`: read just enough of an ELF object to identify the native components inside it.

Chosen by magic (`\\x7fELF`), never by name. Reads headers, the dynamic section, notes, the
symbol tables (names only, plus the table's version symbols) and scans read-only data in
chunks for the version strings of `signatures.py`. Never raises: a broken file gives a summary
with an `error` field.

Speed: the layout (headers, section table, dynamic entries, notes) is parsed with `struct`
straight from the file's bytes (`_StructElf`), which accepts only files whose every structure
it touches is in bounds and plain. Anything else (truncated or hostile files, compressed
sections, Solaris syminfo, ...) is handed to pyelftools (`_ToolsElf`), which gives exactly the
summary, partial results and error text the analyzer always gave. Both feed one `_Reader`.
"""

from __future__ import annotations

import io
import mmap
import re
import struct
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any, BinaryIO, Protocol

from elftools.common.exceptions import ELFError, ELFParseError
from elftools.elf import enums

if TYPE_CHECKING:  # pyelftools' file and section classes load only for files the fast path refuses
    from elftools.elf.elffile import ELFFile
    from elftools.elf.sections import Section

from hullscan.catalog.bundled.signatures import (
    SIGNATURES,
    SymbolKind,
    VersionPattern,
    all_patterns,
    wanted_symbols,
)
from hullscan.catalog.elfstruct import elf_formats

ELF_MAGIC = b"\x7fELF"
MAX_ANALYZED_BYTES = 1024 * 1024 * 1024
MAX_SYMBOL_NAMES = 4000
MAX_SYMTAB_BYTES = 64 * 1024 * 1024
MAX_MATCHES_PER_PATTERN = 8
MAX_COMMENT_BYTES = 4096
CHUNK_BYTES = 1024 * 1024
CHUNK_OVERLAP = 256
MAX_CSTRING = 256
_STRING_TAGS = frozenset({"DT_NEEDED", "DT_SONAME", "DT_RPATH", "DT_RUNPATH"})
_HANDLED_TAGS = _STRING_TAGS | {"DT_SUNW_FILTER"}
"""Tags whose string pyelftools looks up (and so whose offset must be sane)."""
_RELATIVE_RELOCS = {"EM_X86_64": 8, "EM_AARCH64": 1027, "EM_386": 8}
_SHF_COMPRESSED = 0x800
_SEEKABLE_LIMIT = 2**63 - 1
_ERRORS = (ELFError, struct.error, ValueError, OSError, KeyError, IndexError, AttributeError)


class ElfAnalyzer:
    """Content analyzer `elf`: a JSON-able summary of an ELF object (see module docstring)."""

    name = "elf"
    version = "1"

    def wants(self, path: str, head: bytes, size: int) -> bool:
        """Return True for any file starting with the ELF magic."""
        del path
        return size >= 16 and head.startswith(ELF_MAGIC)

    def analyze(self, path: str, stream: BinaryIO, size: int) -> dict[str, Any]:
        """Return the summary; errors are recorded in it, never raised."""
        del path
        summary = analyze_fast(stream, size)
        return summary if summary is not None else analyze_with_pyelftools(stream, size)


def analyze_fast(stream: BinaryIO, size: int) -> dict[str, Any] | None:
    """Return the summary from direct `struct` parsing, or None when the file needs pyelftools."""
    summary: dict[str, Any] = {}
    try:
        with _file_bytes(stream) as data:
            _Reader(_StructElf(data), data, size, summary).run()
    except _Unusual:
        return None
    except ELFParseError as exc:  # the one error the fast path reproduces itself (see _StructElf)
        summary["error"] = f"{type(exc).__name__}: {exc}"
    except Exception:  # noqa: BLE001 - anything unforeseen: let the reference path decide
        return None
    return summary


def analyze_with_pyelftools(stream: BinaryIO, size: int) -> dict[str, Any]:
    """Return the summary read through pyelftools (the reference path for unusual files)."""
    from elftools.elf.elffile import ELFFile  # noqa: PLC0415 - rarely needed, costly to import

    summary: dict[str, Any] = {}
    try:
        with _file_bytes(stream) as data:
            stream.seek(0)
            _Reader(_ToolsElf(ELFFile(stream)), data, size, summary).run()
    except _ERRORS as exc:
        summary["error"] = f"{type(exc).__name__}: {exc}"
    except Exception as exc:  # noqa: BLE001 - pyelftools raises many types on hostile input
        summary["error"] = f"{type(exc).__name__}: {exc}"
    return summary


class _Unusual(Exception):  # noqa: N818 - a signal, not an error: "use pyelftools for this file"
    """The fast path met a structure it does not model exactly."""


@contextmanager
def _file_bytes(stream: BinaryIO) -> Iterator[bytes]:
    """Yield the whole file as bytes-like data without copying when possible."""
    if isinstance(stream, io.BytesIO):
        yield stream.getvalue()  # shares the buffer of a BytesIO made from bytes
        return
    try:
        mapped = mmap.mmap(stream.fileno(), 0, access=mmap.ACCESS_READ)
    except (OSError, ValueError, AttributeError, io.UnsupportedOperation):
        stream.seek(0)
        yield _read_all(stream)
        return
    try:
        yield mapped  # type: ignore[misc]  # mmap offers the bytes API used here
    finally:
        mapped.close()


def _read_all(stream: BinaryIO) -> bytes:
    position = stream.tell()
    stream.seek(0)
    data = stream.read()
    stream.seek(position)
    return data


@dataclass(frozen=True, slots=True)
class _Segment:
    vaddr: int
    offset: int
    filesz: int


@dataclass(frozen=True, slots=True)
class _SegmentHeader:
    type: str | int
    offset: int
    vaddr: int
    filesz: int
    flags: int


@dataclass(frozen=True, slots=True)
class _SectionHeader:
    index: int
    name: str
    type: str | int
    flags: int
    offset: int
    size: int
    link: int
    entsize: int
    handle: object = None
    """The pyelftools section object (fallback path only)."""


class _Layout(Protocol):
    """What `_Reader` needs to know about an ELF object's structure."""

    elfclass: int
    little_endian: bool
    machine: str | int
    elftype: str | int

    def segments(self) -> list[_SegmentHeader]: ...
    def num_sections(self) -> int: ...
    def sections(self) -> Iterator[_SectionHeader]: ...
    def section(self, index: int) -> _SectionHeader: ...
    def section_by_name(self, name: str) -> _SectionHeader | None: ...
    def dynamic_tags(self, section: _SectionHeader) -> Iterator[tuple[str | int, str]]: ...
    def notes(self, section: _SectionHeader) -> Iterator[tuple[str | int, object]]: ...


class _Reader:
    """One analysis: fills `summary` step by step so partial results survive an error."""

    def __init__(self, elf: _Layout, data: bytes, size: int, summary: dict[str, Any]) -> None:
        self.elf = elf
        self.data = data
        self.size = size
        self.summary = summary
        self.segments: list[_Segment] = []
        self.defined: dict[str, int] = {}
        """Table symbols defined in this object -> value (address)."""

    def run(self) -> None:
        self.summary.update(
            {
                "class": self.elf.elfclass,
                "little_endian": self.elf.little_endian,
                "machine": self.elf.machine,
                "type": self.elf.elftype,
            }
        )
        if self.size > MAX_ANALYZED_BYTES:
            self.summary["truncated"] = "over the analysis size cap; header only"
            return
        self.segments = [
            _Segment(seg.vaddr, seg.offset, seg.filesz)
            for seg in self.elf.segments()
            if seg.type == "PT_LOAD"
        ]
        self._program_headers()
        self._dynamic()
        self._notes_and_comment()
        self._symbols()
        self._version_symbols()
        self._scan_rodata()

    def _program_headers(self) -> None:
        for seg in self.elf.segments():
            if seg.type == "PT_INTERP":
                raw = self._read(seg.offset, min(seg.filesz, MAX_CSTRING))
                self.summary["interpreter"] = raw.split(b"\x00", 1)[0].decode("utf-8", "replace")

    def _dynamic(self) -> None:
        section = self.elf.section_by_name(".dynamic")
        if section is None or section.type != "SHT_DYNAMIC":
            return
        needed: list[str] = []
        for kind, text in self.elf.dynamic_tags(section):
            if kind == "DT_NEEDED":
                needed.append(text)
            elif kind == "DT_SONAME":
                self.summary["soname"] = text
            elif kind in ("DT_RPATH", "DT_RUNPATH"):
                self.summary[str(kind)[3:].lower()] = text.split(":")
        self.summary["needed"] = needed

    def _notes_and_comment(self) -> None:
        for section in self.elf.sections():
            if section.name == ".note.gnu.build-id" and section.type == "SHT_NOTE":
                for n_type, n_desc in self.elf.notes(section):
                    if n_type == "NT_GNU_BUILD_ID":
                        self.summary["build_id"] = n_desc
            elif section.name == ".comment" and section.type != "SHT_NOBITS":
                raw = self._read(section.offset, min(section.size, MAX_COMMENT_BYTES))
                parts = {p.decode("utf-8", "replace") for p in raw.split(b"\x00") if p.strip()}
                self.summary["comment"] = sorted(parts)

    def _symbols(self) -> None:
        wanted = wanted_symbols()
        dynsym = self.elf.section_by_name(".dynsym")
        exports: list[str] = []
        imports: list[str] = []
        if dynsym is not None:
            strings, raw = self._symbol_table(dynsym)
            name_at = _string_reader(strings)
            for st_name, st_info, shndx, value in _symbol_rows(self.elf, raw):
                if shndx == 0:
                    if st_info >> 4:  # binding other than local
                        imports.append(name_at(st_name))
                    continue
                name = name_at(st_name)
                if st_info >> 4:
                    exports.append(name)
                if name in wanted:
                    self.defined.setdefault(name, value)
        self.summary["exports_total"] = len(exports)
        self.summary["imports_total"] = len(imports)
        self.summary["exports"] = sorted(exports)[:MAX_SYMBOL_NAMES]
        self.summary["imports"] = sorted(imports)[:MAX_SYMBOL_NAMES]
        symtab = self.elf.section_by_name(".symtab")
        if symtab is not None and symtab.size <= MAX_SYMTAB_BYTES:
            strings, raw = self._symbol_table(symtab)
            for name, value in _defined_wanted(self.elf, strings, raw, wanted):
                self.defined.setdefault(name, value)
        self.summary["component_symbols"] = sorted(self.defined)

    def _symbol_table(self, section: _SectionHeader) -> tuple[bytes, bytes]:
        """Return (string table, raw entries) of a symbol table section."""
        strtab = self.elf.section(section.link)
        return self._read(strtab.offset, strtab.size), self._read(section.offset, section.size)

    def _version_symbols(self) -> None:
        values: dict[str, Any] = {}
        for sig in SIGNATURES:
            for symbol in sig.symbols:
                address = self.defined.get(symbol.name)
                if address is None or symbol.name in values:
                    continue
                value = self._symbol_value(symbol.kind, address)
                if value is not None:
                    values[symbol.name] = value
        self.summary["symbol_values"] = values

    def _symbol_value(self, kind: SymbolKind, address: int) -> str | int | None:
        match kind:
            case SymbolKind.CSTRING:
                return self._cstring_at(address)
            case SymbolKind.INT32:
                raw = self._read_vaddr(address, 4)
                return int.from_bytes(raw, self._byteorder()) if len(raw) == 4 else None
            case SymbolKind.PTR_CSTRING:
                target = self._pointer_at(address)
                return self._cstring_at(target) if target else None
            case SymbolKind.RETURN_INT:
                return self._returned_int(address)
            case SymbolKind.RETURN_CSTRING:
                target = self._returned_address(address)
                return self._cstring_at(target) if target is not None else None

    def _byteorder(self) -> Any:
        return "little" if self.elf.little_endian else "big"

    def _function_body(self, address: int) -> tuple[int, bytes]:
        """Return (offset of the first real instruction, code) after endbr64 / frame set-up."""
        if self.summary.get("machine") != "EM_X86_64":
            return 0, b""
        code = self._read_vaddr(address, 24)
        skip = 0
        for prologue in (b"\xf3\x0f\x1e\xfa", b"\x55\x48\x89\xe5"):  # endbr64; push rbp; mov rbp,rsp
            if code[skip:].startswith(prologue):
                skip += len(prologue)
        return skip, code[skip:]

    def _returned_int(self, address: int) -> int | None:
        _, code = self._function_body(address)
        if len(code) >= 6 and code[0] == 0xB8 and _returns(code[5:]):  # mov eax, imm32
            return int.from_bytes(code[1:5], "little")
        return None

    def _returned_address(self, address: int) -> int | None:
        skip, code = self._function_body(address)
        if len(code) >= 8 and code[:3] == b"\x48\x8d\x05" and _returns(code[7:]):  # lea rax,[rip+d]
            displacement = int.from_bytes(code[3:7], "little", signed=True)
            return address + skip + 7 + displacement
        return None

    def _pointer_at(self, address: int) -> int | None:
        width = 8 if self.elf.elfclass == 64 else 4
        raw = self._read_vaddr(address, width)
        if len(raw) != width:
            return None
        value = int.from_bytes(raw, self._byteorder())
        return value or self._relative_addend(address)

    def _relative_addend(self, address: int) -> int | None:
        relative = _RELATIVE_RELOCS.get(str(self.summary.get("machine")))
        section = self.elf.section_by_name(".rela.dyn")
        if relative is None or section is None or self.elf.elfclass != 64:
            return None
        layout = struct.Struct(("<" if self.elf.little_endian else ">") + "QQq")
        raw = self._read(section.offset, section.size)
        for r_offset, r_info, addend in layout.iter_unpack(raw[: len(raw) // 24 * 24]):
            if r_offset == address and r_info & 0xFFFFFFFF == relative:
                return int(addend)
        return None

    def _cstring_at(self, address: int) -> str | None:
        raw = self._read_vaddr(address, MAX_CSTRING)
        text, nul, _ = raw.partition(b"\x00")
        if not nul or not text:
            return None
        return text.decode("latin-1")

    def _read_vaddr(self, address: int, length: int) -> bytes:
        for seg in self.segments:
            if seg.vaddr <= address < seg.vaddr + seg.filesz:
                available = seg.vaddr + seg.filesz - address
                return self._read(seg.offset + address - seg.vaddr, min(length, available))
        return b""

    def _read(self, offset: int, length: int) -> bytes:
        if offset < 0 or length <= 0 or offset >= self.size:
            return b""
        return self.data[offset : offset + min(length, self.size - offset)]

    def _rodata_ranges(self) -> list[tuple[int, int]]:
        ranges = [
            (s.offset, s.size)
            for s in self.elf.sections()
            if _scanned_section(s.name) and s.type != "SHT_NOBITS"
        ]
        if ranges or self.elf.num_sections():
            return ranges
        # No section headers (stripped hard): scan read-only, non-executable loaded segments.
        return [
            (seg.offset, seg.filesz)
            for seg in self.elf.segments()
            if seg.type == "PT_LOAD" and not seg.flags & 0x3
        ]

    def _scan_rodata(self) -> None:
        scanner = _StringScanner()
        for offset, length in self._rodata_ranges():
            end = min(offset + length, self.size)
            position = offset
            while position < end:
                chunk = self._read(position, min(CHUNK_BYTES + CHUNK_OVERLAP, end - position))
                if not chunk:
                    break
                scanner.scan(chunk, position, final=position + len(chunk) >= end)
                position += CHUNK_BYTES
        self.summary["strings"] = scanner.results()


def _defined_wanted(
    elf: _Layout, strings: bytes, raw: bytes, wanted: frozenset[str]
) -> Iterator[tuple[str, int]]:
    """Yield (name, value) of defined symbols named in `wanted`, in table order.

    Decodes only names whose first bytes are those of a wanted name: a big `.symtab` has tens
    of thousands of entries and only a handful of them can matter.
    """
    prefixes = _wanted_prefixes(wanted)
    for st_name, _, shndx, value in _symbol_rows(elf, raw):
        if shndx and strings[st_name : st_name + _PREFIX] in prefixes:
            name = _cstring(strings, st_name)
            if name in wanted:
                yield name, value


def _symbol_rows(elf: _Layout, raw: bytes) -> Iterator[tuple[int, int, int, int]]:
    """Return (st_name, st_info, st_shndx, st_value) of every whole Elf32_Sym / Elf64_Sym in `raw`."""
    endian = "<" if elf.little_endian else ">"
    if elf.elfclass == 64:  # st_name I, st_info B, st_other B, st_shndx H, st_value Q, st_size Q
        return struct.iter_unpack(endian + "IBxHQ8x", raw[: len(raw) // 24 * 24])
    # st_name I, st_value I, st_size I, st_info B, st_other B, st_shndx H
    rows = struct.iter_unpack(endian + "II4xBxH", raw[: len(raw) // 16 * 16])
    return ((st_name, st_info, shndx, value) for st_name, value, st_info, shndx in rows)


_PREFIX = 8
"""Bytes of a symbol name compared before decoding it (every wanted name is at least this long)."""


@cache
def _wanted_prefixes(wanted: frozenset[str]) -> frozenset[bytes]:
    prefixes = frozenset(name.encode("utf-8")[:_PREFIX] for name in wanted)
    if any(len(p) < _PREFIX for p in prefixes):
        msg = f"wanted symbol names must be at least {_PREFIX} bytes long"
        raise ValueError(msg)
    return prefixes


class _StringScanner:
    """Runs every version pattern over chunks; matches are deduplicated by file offset."""

    def __init__(self) -> None:
        self.seen: set[tuple[str, int, int]] = set()
        self.found: list[dict[str, Any]] = []
        self.counts: dict[tuple[str, int], int] = {}

    def scan(self, chunk: bytes, base: int, *, final: bool) -> None:
        limit = len(chunk) if final else min(len(chunk), CHUNK_BYTES)
        for component, index, pattern in all_patterns():
            for start, match in _matches(pattern, chunk, limit):
                self._record(component, index, base + start, match)

    def _record(self, component: str, index: int, offset: int, match: re.Match[bytes]) -> None:
        key = (component, index, offset)
        count = self.counts.get((component, index), 0)
        if key in self.seen or count >= MAX_MATCHES_PER_PATTERN:
            return
        self.seen.add(key)
        self.counts[(component, index)] = count + 1
        self.found.append(
            {
                "component": component,
                "pattern": index,
                "match": match.group(0).rstrip(b"\x00").decode("latin-1"),
                "version": match.group(1).decode("ascii"),
            }
        )

    def results(self) -> list[dict[str, Any]]:
        return self.found


def _matches(pattern: VersionPattern, chunk: bytes, limit: int) -> Iterator[tuple[int, re.Match[bytes]]]:
    """Yield (start, match) for matches starting before `limit`, in order of start."""
    regex = pattern.regex
    if not pattern.needle:
        for match in regex.finditer(chunk):
            if match.start() >= limit:
                return
            yield match.start(), match
        return
    # Search for the needle without trailing spaces (frequent bytes make `find` crawl); the
    # regex, which starts with the whole needle, still decides at every candidate.
    probe = _probe(pattern.needle)
    start = chunk.find(probe)
    while start != -1 and start < limit:
        found = regex.match(chunk, start)
        if found is not None:
            yield start, found
        start = chunk.find(probe, start + 1)


@cache
def _probe(needle: bytes) -> bytes:
    return needle.rstrip(b" ") or needle


def _scanned_section(name: str) -> bool:
    """Return True for read-only data sections, and `.data` (krb5 keeps its brand in a char array)."""
    return name in (".rodata", ".data") or name.startswith(".rodata.")


def _returns(code: bytes) -> bool:
    """Return True if `code` starts with `ret`, `pop rbp; ret` or `rep ret`."""
    return code.startswith((b"\xc3", b"\x5d\xc3", b"\xf3\xc3"))


def _string_reader(table: bytes) -> Callable[[int], str]:
    """Return `offset -> _cstring(table, offset)`, faster for many lookups in one table."""
    padded = table + b"\x00"  # `find` then never fails below len(table) and slices as _cstring does
    find = padded.find

    def name_at(offset: int) -> str:
        return padded[offset : find(b"\x00", offset)].decode("utf-8", "replace")

    return name_at


def _cstring(table: bytes, offset: int) -> str:
    end = table.find(b"\x00", offset)
    return table[offset : end if end != -1 else len(table)].decode("utf-8", "replace")


# --- the fast layout: struct over the file's bytes -------------------------------------------


def _decoding(mapping: Any) -> dict[int, str]:
    """Return the value -> name table exactly as pyelftools' construct `Enum` builds it."""
    return {value: key for key, value in mapping.items() if key != "_default_"}


@dataclass(frozen=True, slots=True)
class _Names:
    """Value -> name tables for one (machine, OS ABI, file type), as pyelftools chooses them."""

    p_type: dict[int, str]
    sh_type: dict[int, str]
    d_tag: dict[int, str]
    n_type: dict[int, str]


_P_TYPES = {
    "EM_ARM": enums.ENUM_P_TYPE_ARM,
    "EM_AARCH64": enums.ENUM_P_TYPE_AARCH64,
    "EM_MIPS": enums.ENUM_P_TYPE_MIPS,
    "EM_RISCV": enums.ENUM_P_TYPE_RISCV,
}
_SH_TYPES = {
    "EM_ARM": enums.ENUM_SH_TYPE_ARM,
    "EM_AARCH64": enums.ENUM_SH_TYPE_AARCH64,
    "EM_X86_64": enums.ENUM_SH_TYPE_AMD64,
    "EM_MIPS": enums.ENUM_SH_TYPE_MIPS,
    "EM_RISCV": enums.ENUM_SH_TYPE_RISCV,
}


@cache
def _names(machine: str | int, osabi: str | int, elftype: str | int) -> _Names:
    d_tag = dict(enums.ENUM_D_TAG_COMMON)
    if machine in enums.ENUMMAP_EXTRA_D_TAG_MACHINE:
        d_tag.update(enums.ENUMMAP_EXTRA_D_TAG_MACHINE[str(machine)])
    elif osabi == "ELFOSABI_SOLARIS":
        d_tag.update(enums.ENUM_D_TAG_SOLARIS)
    notes = enums.ENUM_NOTE_N_TYPE if elftype != "ET_CORE" else enums.ENUM_CORE_NOTE_N_TYPE
    return _Names(
        p_type=_decoding(_P_TYPES.get(str(machine), enums.ENUM_P_TYPE_BASE)),
        sh_type=_decoding(_SH_TYPES.get(str(machine), enums.ENUM_SH_TYPE_BASE)),
        d_tag=_decoding(d_tag),
        n_type=_decoding(notes),
    )


@cache
def _header_names() -> tuple[dict[int, str], dict[int, str], dict[int, str]]:
    """Return the e_type, e_machine and EI_OSABI decoding tables."""
    return _decoding(enums.ENUM_E_TYPE), _decoding(enums.ENUM_E_MACHINE), _decoding(enums.ENUM_EI_OSABI)


_SYMBOL_TABLES = frozenset({"SHT_SYMTAB", "SHT_DYNSYM", "SHT_SUNW_LDYNSYM"})
_STRTAB = ("SHT_STRTAB",)
_SYMTABS = ("SHT_SYMTAB", "SHT_DYNSYM")
_LINK_TYPES: dict[str | int, tuple[str, ...]] = {
    **dict.fromkeys(_SYMBOL_TABLES, _STRTAB),
    "SHT_GNU_verneed": _STRTAB,
    "SHT_GNU_verdef": _STRTAB,
    "SHT_GNU_versym": _SYMTABS,
    "SHT_HASH": _SYMTABS,
    "SHT_GNU_HASH": _SYMTABS,
    "SHT_DYNAMIC": ("SHT_STRTAB", "SHT_NOBITS", "SHT_NULL"),
}
"""Section types whose pyelftools object requires its `sh_link` section to be of these types."""
_SPECIAL_NOTES = frozenset({"NT_GNU_ABI_TAG", "NT_GNU_PROPERTY_TYPE_0", "NT_PRPSINFO", "NT_FILE"})


class _StructElf:
    """The layout parsed with `struct`; raises `_Unusual` for anything it does not model exactly.

    "Exactly" means: for the files it accepts, every value equals what pyelftools reads, and
    pyelftools would not have raised anywhere the analysis looks. Checks mirror pyelftools'
    constructors (`ELFFile`, `_make_section` and the section classes).
    """

    def __init__(self, data: bytes) -> None:
        self.data = data
        self._header()
        self._segments = self._parse_segments()
        self._sections = self._parse_sections()
        self._by_name = {s.name: s.index for s in self._sections}
        for section in self._sections:
            self._check_constructible(section)

    def _header(self) -> None:
        data = self.data
        if len(data) < 16 or data[:4] != ELF_MAGIC or data[4] not in (1, 2) or data[5] not in (1, 2):
            raise _Unusual
        self.elfclass = 32 if data[4] == 1 else 64
        self.little_endian = data[5] == 1
        self.fmt = elf_formats(self.elfclass, self.little_endian)
        if len(data) < self.fmt.ehdr.size:
            raise _Unusual
        (e_type, e_machine, _, _, phoff, shoff, _, _, phentsize, phnum, shentsize, shnum, shstrndx) = (
            self.fmt.ehdr.unpack_from(data)
        )
        types, machines, osabis = _header_names()
        self.elftype: str | int = types.get(e_type, e_type)
        self.machine: str | int = machines.get(e_machine, e_machine)
        self.names = _names(self.machine, osabis.get(data[7], data[7]), self.elftype)
        self._e = (phoff, phentsize, phnum, shoff, shentsize, shnum, shstrndx)

    def _parse_segments(self) -> list[_SegmentHeader]:
        phoff, phentsize, phnum, *_ = self._e
        phdr = self.fmt.phdr
        if phnum >= 0xFFFF or (phnum and (phoff == 0 or phentsize < phdr.size)):
            raise _Unusual
        if phnum and phoff + (phnum - 1) * phentsize + phdr.size > len(self.data):
            raise _Unusual
        found = []
        for n in range(phnum):
            fields = phdr.unpack_from(self.data, phoff + n * phentsize)
            if self.elfclass == 64:
                p_type, flags, offset, vaddr, _, filesz, _, _ = fields
            else:
                p_type, offset, vaddr, _, filesz, _, flags, _ = fields
            found.append(_SegmentHeader(self.names.p_type.get(p_type, p_type), offset, vaddr, filesz, flags))
        return found

    def _parse_sections(self) -> list[_SectionHeader]:
        _, _, _, shoff, shentsize, shnum, shstrndx = self._e
        shdr = self.fmt.shdr
        if shoff == 0:
            return []
        if shnum == 0 or shentsize < shdr.size or shstrndx >= shnum:  # also SHN_XINDEX (0xffff)
            raise _Unusual
        if shoff + (shnum - 1) * shentsize + shdr.size > len(self.data):
            raise _Unusual
        raw = [shdr.unpack_from(self.data, shoff + n * shentsize) for n in range(shnum)]
        names_at = raw[shstrndx][4]
        if raw[shstrndx][2] & _SHF_COMPRESSED:
            raise _Unusual
        sh_types = self.names.sh_type
        return [
            _SectionHeader(
                index=n,
                name=self._string(names_at + sh_name),
                type=sh_types.get(sh_type, sh_type),
                flags=flags,
                offset=offset,
                size=size,
                link=link,
                entsize=entsize,
            )
            for n, (sh_name, sh_type, flags, _, offset, size, link, _, _, entsize) in enumerate(raw)
        ]

    def _string(self, position: int) -> str:
        """Return the C string at `position` as pyelftools' StringTableSection does."""
        if position > len(self.data):
            raise _Unusual  # pyelftools would seek there; leave such files to it
        end = self.data.find(b"\x00", position)
        if end == -1:
            return ""
        return self.data[position:end].decode("utf-8", errors="replace")

    def _linked(self, section: _SectionHeader, types: tuple[str, ...]) -> _SectionHeader:
        if section.link >= len(self._sections):
            raise _Unusual
        linked = self._sections[section.link]
        if linked.type not in types:
            raise _Unusual
        self._check_constructible(linked)
        return linked

    def _check_constructible(self, section: _SectionHeader) -> None:
        """Raise `_Unusual` unless pyelftools builds this section's object without error."""
        if section.flags & _SHF_COMPRESSED or section.type == "SHT_SUNW_syminfo":
            raise _Unusual
        links = _LINK_TYPES.get(section.type)
        if links:
            self._linked(section, links)
        if not self._contents_fit(section):
            raise _Unusual

    def _contents_fit(self, section: _SectionHeader) -> bool:
        """Return True if the checks pyelftools makes when building this section's object pass."""
        kind, entsize = section.type, section.entsize
        if kind in _SYMBOL_TABLES:
            return entsize != 0 and section.size % entsize == 0
        if kind in ("SHT_REL", "SHT_RELA"):
            return entsize == (self.fmt.rela if kind == "SHT_RELA" else self.fmt.rel)
        if kind == "SHT_RELR":
            return entsize == self.fmt.word
        if kind in ("SHT_ARM_ATTRIBUTES", "SHT_RISCV_ATTRIBUTES"):
            return section.offset < len(self.data) and self.data[section.offset] == ord("A")
        if kind in ("SHT_HASH", "SHT_GNU_HASH"):
            return self._hash_table_fits(section)
        return True

    def _hash_table_fits(self, section: _SectionHeader) -> bool:
        """Return True if the hash table pyelftools parses on construction lies inside the file."""
        start = section.offset
        if section.type == "SHT_HASH" and section.size == 0:
            return True
        if start + 16 > len(self.data):
            return False
        unpack = struct.Struct(("<" if self.little_endian else ">") + "IIII").unpack_from
        nbuckets, second, bloom_size, _ = unpack(self.data, start)
        end: int
        if section.type == "SHT_HASH":  # nbuckets, nchains, buckets[], chains[]
            end = start + 8 + 4 * (nbuckets + second)
        else:  # nbuckets, symoffset, bloom_size, bloom_shift, bloom[], buckets[]
            end = start + 16 + bloom_size * self.fmt.word + 4 * nbuckets
        return end <= len(self.data)

    # -- _Layout --

    def segments(self) -> list[_SegmentHeader]:
        return self._segments

    def num_sections(self) -> int:
        return len(self._sections)

    def sections(self) -> Iterator[_SectionHeader]:
        return iter(self._sections)

    def section(self, index: int) -> _SectionHeader:
        if index >= len(self._sections):
            raise _Unusual
        return self._sections[index]

    def section_by_name(self, name: str) -> _SectionHeader | None:
        index = self._by_name.get(name)
        return None if index is None else self._sections[index]

    def dynamic_tags(self, section: _SectionHeader) -> Iterator[tuple[str | int, str]]:
        """Yield (tag name, string for string tags) up to DT_NULL, as pyelftools' iter_tags."""
        strtab = self._sections[section.link]
        dyn, d_tags = self.fmt.dyn, self.names.d_tag
        position = section.offset
        if position > len(self.data):
            raise _Unusual
        while True:
            if position + dyn.size > len(self.data):
                raise ELFParseError(self._short_read(position, dyn.size // 2))
            d_tag, d_val = dyn.unpack_from(self.data, position)
            kind = d_tags.get(d_tag, d_tag)
            if strtab.type != "SHT_STRTAB":
                raise _Unusual  # pyelftools fails its string-table assertion here
            text = self._string(strtab.offset + d_val) if kind in _HANDLED_TAGS else ""
            yield kind, text
            if kind == "DT_NULL":
                return
            position += dyn.size

    def _short_read(self, position: int, field: int) -> str:
        """Return construct's message for an entry of two `field`-byte fields cut by the file's end."""
        left = max(0, len(self.data) - position)
        return f"expected {field}, found {left if left < field else left - field}"

    def notes(self, section: _SectionHeader) -> Iterator[tuple[str | int, object]]:
        """Yield (n_type name, n_desc) as pyelftools' iter_notes, for the notes it decodes simply."""
        offset, end = section.offset, section.offset + section.size
        nhdr = self.fmt.nhdr
        while offset + nhdr.size < end:
            if offset + nhdr.size > len(self.data):
                raise _Unusual
            namesz, descsz, n_type = nhdr.unpack_from(self.data, offset)
            kind = self.names.n_type.get(n_type, n_type)
            offset += nhdr.size
            name = None
            if namesz:
                disk = _roundup4(namesz)
                raw = self.data[offset : offset + disk]
                if b"\x00" not in raw:
                    raise _Unusual
                name = raw[: raw.index(b"\x00")].decode("latin-1")
                offset += disk
            if offset > len(self.data) or _parsed_note(kind, name):
                raise _Unusual
            desc = self.data[offset : offset + descsz]
            if kind == "NT_GNU_BUILD_ID":
                if name != "GNU":
                    raise _Unusual  # pyelftools keeps raw bytes here
                yield kind, bytes(desc).hex()
            else:
                yield kind, None
            offset += _roundup4(descsz)


def _parsed_note(kind: str | int, name: str | None) -> bool:
    """Return True for notes whose descriptor pyelftools parses as a structure."""
    return kind in ("NT_PRPSINFO", "NT_FILE") or (kind in _SPECIAL_NOTES and name == "GNU")


def _roundup4(value: int) -> int:
    """Return pyelftools' `roundup(value, 2)`."""
    return (value - 1 | 3) + 1


# --- the reference layout: pyelftools ----------------------------------------------------------


class _ToolsElf:
    """The layout read through pyelftools, call for call as the analyzer always did."""

    def __init__(self, elf: ELFFile) -> None:
        self.elf = elf
        self.elfclass: int = elf.elfclass
        self.little_endian: bool = elf.little_endian
        self.machine: str | int = elf.header["e_machine"]
        self.elftype: str | int = elf.header["e_type"]

    def segments(self) -> list[_SegmentHeader]:
        return [
            _SegmentHeader(seg["p_type"], seg["p_offset"], seg["p_vaddr"], seg["p_filesz"], seg["p_flags"])
            for seg in self.elf.iter_segments()
        ]

    def num_sections(self) -> int:
        return int(self.elf.num_sections())

    def sections(self) -> Iterator[_SectionHeader]:
        for index, section in enumerate(self.elf.iter_sections()):
            yield _wrap(index, section)

    def section(self, index: int) -> _SectionHeader:
        return _wrap(index, self.elf.get_section(index))

    def section_by_name(self, name: str) -> _SectionHeader | None:
        section = self.elf.get_section_by_name(name)
        return None if section is None else _wrap(-1, section)

    def dynamic_tags(self, section: _SectionHeader) -> Iterator[tuple[str | int, str]]:
        from elftools.elf.dynamic import DynamicSection  # noqa: PLC0415 - see analyze_with_pyelftools

        handle = section.handle
        assert isinstance(handle, DynamicSection)  # noqa: S101 - only SHT_DYNAMIC sections get here
        for tag in handle.iter_tags():
            kind = tag.entry.d_tag
            yield kind, getattr(tag, kind[3:].lower(), "") if kind in _STRING_TAGS else ""

    def notes(self, section: _SectionHeader) -> Iterator[tuple[str | int, object]]:
        from elftools.elf.sections import NoteSection  # noqa: PLC0415 - see analyze_with_pyelftools

        handle = section.handle
        assert isinstance(handle, NoteSection)  # noqa: S101 - only SHT_NOTE sections get here
        for note in handle.iter_notes():
            yield note["n_type"], note["n_desc"]


def _wrap(index: int, section: Section) -> _SectionHeader:
    return _SectionHeader(
        index=index,
        name=section.name,
        type=section["sh_type"],
        flags=section["sh_flags"],
        offset=section["sh_offset"],
        size=section["sh_size"],
        link=section["sh_link"],
        entsize=section["sh_entsize"],
        handle=section,
    )
