"""TEST-ONLY reference copy of `hullscan.catalog.bundled.elf` as it was before the struct-parsing rewrite.

Kept verbatim (pyelftools-based, commit 57b4b49) so `test_elf_speed_equivalence.py` can prove the
fast analyzer finds exactly what the original found. Not imported by hullscan itself; do not delete.
"""

from __future__ import annotations

import re
import struct
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, BinaryIO

from elftools.common.exceptions import ELFError
from elftools.elf.dynamic import DynamicSection
from elftools.elf.elffile import ELFFile
from elftools.elf.sections import NoteSection, Section

from hullscan.catalog.bundled.signatures import (
    SIGNATURES,
    SymbolKind,
    VersionPattern,
    all_patterns,
    wanted_symbols,
)

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
_RELATIVE_RELOCS = {"EM_X86_64": 8, "EM_AARCH64": 1027, "EM_386": 8}


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
        summary: dict[str, Any] = {}
        try:
            _Reader(stream, size, summary).run()
        except (ELFError, struct.error, ValueError, OSError, KeyError, IndexError, AttributeError) as exc:
            summary["error"] = f"{type(exc).__name__}: {exc}"
        except Exception as exc:  # noqa: BLE001 - pyelftools raises many types on hostile input
            summary["error"] = f"{type(exc).__name__}: {exc}"
        return summary


@dataclass(frozen=True, slots=True)
class _Segment:
    vaddr: int
    offset: int
    filesz: int


class _Reader:
    """One analysis: fills `summary` step by step so partial results survive an error."""

    def __init__(self, stream: BinaryIO, size: int, summary: dict[str, Any]) -> None:
        self.stream = stream
        self.size = size
        self.summary = summary
        self.elf: ELFFile = ELFFile(stream)
        self.segments: list[_Segment] = []
        self.defined: dict[str, int] = {}
        """Table symbols defined in this object -> value (address)."""

    def run(self) -> None:
        header = self.elf.header
        self.summary.update(
            {
                "class": self.elf.elfclass,
                "little_endian": self.elf.little_endian,
                "machine": header["e_machine"],
                "type": header["e_type"],
            }
        )
        if self.size > MAX_ANALYZED_BYTES:
            self.summary["truncated"] = "over the analysis size cap; header only"
            return
        self.segments = self._load_segments()
        self._program_headers()
        self._dynamic()
        self._notes_and_comment()
        self._symbols()
        self._version_symbols()
        self._scan_rodata()

    def _load_segments(self) -> list[_Segment]:
        return [
            _Segment(seg["p_vaddr"], seg["p_offset"], seg["p_filesz"])
            for seg in self.elf.iter_segments()
            if seg["p_type"] == "PT_LOAD"
        ]

    def _program_headers(self) -> None:
        for seg in self.elf.iter_segments():
            if seg["p_type"] == "PT_INTERP":
                raw = self._read(seg["p_offset"], min(seg["p_filesz"], MAX_CSTRING))
                self.summary["interpreter"] = raw.split(b"\x00", 1)[0].decode("utf-8", "replace")

    def _dynamic(self) -> None:
        section = self.elf.get_section_by_name(".dynamic")
        if not isinstance(section, DynamicSection):
            return
        needed: list[str] = []
        for tag in section.iter_tags():
            kind = tag.entry.d_tag
            text: str = getattr(tag, kind[3:].lower(), "") if kind in _STRING_TAGS else ""
            if kind == "DT_NEEDED":
                needed.append(text)
            elif kind == "DT_SONAME":
                self.summary["soname"] = text
            elif kind in ("DT_RPATH", "DT_RUNPATH"):
                self.summary[kind[3:].lower()] = text.split(":")
        self.summary["needed"] = needed

    def _notes_and_comment(self) -> None:
        for section in self.elf.iter_sections():
            if section.name == ".note.gnu.build-id" and isinstance(section, NoteSection):
                for note in section.iter_notes():
                    if note["n_type"] == "NT_GNU_BUILD_ID":
                        self.summary["build_id"] = note["n_desc"]
            elif section.name == ".comment" and section["sh_type"] != "SHT_NOBITS":
                raw = self._read(section["sh_offset"], min(section["sh_size"], MAX_COMMENT_BYTES))
                parts = {p.decode("utf-8", "replace") for p in raw.split(b"\x00") if p.strip()}
                self.summary["comment"] = sorted(parts)

    def _symbols(self) -> None:
        wanted = wanted_symbols()
        dynsym = self.elf.get_section_by_name(".dynsym")
        exports: list[str] = []
        imports: list[str] = []
        if dynsym is not None:
            for name, value, shndx, bind in self._iter_symbols(dynsym):
                if shndx == 0:
                    if bind != 0:
                        imports.append(name)
                    continue
                if bind != 0:
                    exports.append(name)
                if name in wanted:
                    self.defined.setdefault(name, value)
        self.summary["exports_total"] = len(exports)
        self.summary["imports_total"] = len(imports)
        self.summary["exports"] = sorted(exports)[:MAX_SYMBOL_NAMES]
        self.summary["imports"] = sorted(imports)[:MAX_SYMBOL_NAMES]
        symtab = self.elf.get_section_by_name(".symtab")
        if symtab is not None and symtab["sh_size"] <= MAX_SYMTAB_BYTES:
            for name, value, shndx, _ in self._iter_symbols(symtab):
                if shndx != 0 and name in wanted:
                    self.defined.setdefault(name, value)
        self.summary["component_symbols"] = sorted(self.defined)

    def _iter_symbols(self, section: Section) -> Iterator[tuple[str, int, int, int]]:
        """Yield (name, value, section index, binding) fast, straight from the raw table."""
        strtab = self.elf.get_section(section["sh_link"])
        strings = self._read(strtab["sh_offset"], strtab["sh_size"])
        raw = self._read(section["sh_offset"], section["sh_size"])
        endian = "<" if self.elf.little_endian else ">"
        if self.elf.elfclass == 64:
            layout, width = struct.Struct(endian + "IBBHQQ"), 24
            for st_name, st_info, _, shndx, value, _ in layout.iter_unpack(raw[: len(raw) // width * width]):
                yield _cstring(strings, st_name), value, shndx, st_info >> 4
        else:
            layout, width = struct.Struct(endian + "IIIBBH"), 16
            for st_name, value, _, st_info, _, shndx in layout.iter_unpack(raw[: len(raw) // width * width]):
                yield _cstring(strings, st_name), value, shndx, st_info >> 4

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
        section = self.elf.get_section_by_name(".rela.dyn")
        if relative is None or section is None or self.elf.elfclass != 64:
            return None
        layout = struct.Struct(("<" if self.elf.little_endian else ">") + "QQq")
        raw = self._read(section["sh_offset"], section["sh_size"])
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
        self.stream.seek(offset)
        return self.stream.read(min(length, self.size - offset))

    def _rodata_ranges(self) -> list[tuple[int, int]]:
        ranges = [
            (s["sh_offset"], s["sh_size"])
            for s in self.elf.iter_sections()
            if _scanned_section(s.name) and s["sh_type"] != "SHT_NOBITS"
        ]
        if ranges or self.elf.num_sections():
            return ranges
        # No section headers (stripped hard): scan read-only, non-executable loaded segments.
        return [
            (seg["p_offset"], seg["p_filesz"])
            for seg in self.elf.iter_segments()
            if seg["p_type"] == "PT_LOAD" and not seg["p_flags"] & 0x3
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


class _StringScanner:
    """Runs every version pattern over chunks; matches are deduplicated by file offset."""

    def __init__(self) -> None:
        self.seen: set[tuple[str, int, int]] = set()
        self.found: list[dict[str, Any]] = []
        self.counts: dict[tuple[str, int], int] = {}

    def scan(self, chunk: bytes, base: int, *, final: bool) -> None:
        limit = len(chunk) if final else min(len(chunk), CHUNK_BYTES)
        for component, index, pattern in all_patterns():
            for start, match in _matches(pattern, chunk):
                if start >= limit:
                    continue
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


def _matches(pattern: VersionPattern, chunk: bytes) -> Iterator[tuple[int, re.Match[bytes]]]:
    regex = pattern.regex
    if not pattern.needle:
        for match in regex.finditer(chunk):
            yield match.start(), match
        return
    start = chunk.find(pattern.needle)
    while start != -1:
        found = regex.match(chunk, start)
        if found is not None:
            yield start, found
        start = chunk.find(pattern.needle, start + 1)


def _scanned_section(name: str) -> bool:
    """Return True for read-only data sections, and `.data` (krb5 keeps its brand in a char array)."""
    return name in (".rodata", ".data") or name.startswith(".rodata.")


def _returns(code: bytes) -> bool:
    """Return True if `code` starts with `ret`, `pop rbp; ret` or `rep ret`."""
    return code.startswith((b"\xc3", b"\x5d\xc3", b"\xf3\xc3"))


def _cstring(table: bytes, offset: int) -> str:
    end = table.find(b"\x00", offset)
    return table[offset : end if end != -1 else len(table)].decode("utf-8", "replace")
