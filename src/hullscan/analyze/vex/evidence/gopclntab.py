r"""Read the names of the functions linked into a Go binary from its pclntab, inlined ones included.

Stripped Go binaries keep the runtime's own symbol table (`runtime.pclntab`, section `.gopclntab`,
else found by its magic): every compiled function's name, and for each function the inline tree
(FUNCDATA_InlTree) naming the functions whose bodies were inlined into it. A function that only
survives inlined has no entry of its own, so both lists are read.

Layouts handled (magic -> toolchains): `0xfffffffa` Go 1.16-1.17, `0xfffffff0` Go 1.18-1.19,
`0xfffffff1` Go 1.20 and later. Funcdata are absolute addresses before 1.18 and offsets from
`go:func.*` (the `gofunc` field of `runtime.firstmoduledata`) from 1.18 on. An inline tree's
length is not recorded; it is bounded by the next funcdata object and by the largest index the
function's PCDATA_InlTreeIndex table uses, and every entry is checked (parent index, name offset).
"""

from __future__ import annotations

import bisect
import io
import struct
from collections.abc import Iterator
from dataclasses import dataclass, field

from elftools.common.exceptions import ELFError
from elftools.elf.elffile import ELFFile

from hullscan.analyze.vex.evidence.common import EvidenceError

MAGIC_116 = 0xFFFFFFFA
MAGIC_118 = 0xFFFFFFF0
MAGIC_120 = 0xFFFFFFF1
MAGIC_12 = 0xFFFFFFFB
FUNCDATA_INLTREE = 3
PCDATA_INLTREEINDEX = 2
NIL_OFFSET = 0xFFFFFFFF
MAX_INLINE_ENTRIES = 100_000
MAX_NAME_BYTES = 4096
_RELATIVE_RELOCS = {"EM_X86_64": 8, "EM_AARCH64": 1027, "EM_386": 8, "EM_PPC64": 22, "EM_S390": 12}
_VERSIONS = {MAGIC_116: "1.16", MAGIC_118: "1.18", MAGIC_120: "1.20"}
_GOFUNC_WORD = {MAGIC_118: 38, MAGIC_120: 40}
"""Index of `gofunc` among the pointer-sized words of `runtime.moduledata` (1.20 added covctrs)."""
_TEXT_WORD = 22


class GoSymbolsError(EvidenceError):
    """A binary's pclntab cannot be read (not Go, too old, or damaged)."""

    hint = "Only Go 1.16 and later binaries are read; `go tool nm` on the binary shows what Go sees."


@dataclass(frozen=True, slots=True)
class GoFunctions:
    """What a Go binary links: compiled functions and functions present only inlined."""

    layout: str
    """`1.16`, `1.18` or `1.20`: the pclntab layout (first toolchain that wrote it)."""
    functions: frozenset[str]
    inlined: frozenset[str]
    warnings: tuple[str, ...] = field(default=())
    unread: int = 0
    """Function names or inline trees that could not be read in full: absence proves nothing then."""

    @property
    def complete(self) -> bool:
        """True when every function name and every inline tree was read in full."""
        return self.unread == 0

    @property
    def all_names(self) -> frozenset[str]:
        """Every function name present, compiled or inlined."""
        return self.functions | self.inlined


@dataclass(frozen=True, slots=True)
class _Segment:
    vaddr: int
    offset: int
    filesz: int
    writable: bool


class _Binary:
    """The ELF file as bytes, addressable by virtual address."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        try:
            self.elf = ELFFile(io.BytesIO(data))
            self.segments = [
                _Segment(s["p_vaddr"], s["p_offset"], s["p_filesz"], bool(s["p_flags"] & 0x2))
                for s in self.elf.iter_segments()
                if s["p_type"] == "PT_LOAD"
            ]
            self.sections = {s.name: s for s in self.elf.iter_sections() if s.name}
        except (ELFError, ValueError, KeyError, struct.error) as exc:
            msg = f"not a readable ELF file: {exc}"
            raise GoSymbolsError(msg) from exc
        except Exception as exc:  # pyelftools raises many types on hostile input
            msg = f"not a readable ELF file: {type(exc).__name__}: {exc}"
            raise GoSymbolsError(msg) from exc
        self.endian = "<" if self.elf.little_endian else ">"
        self._relocs: dict[int, int] | None = None

    def offset_of(self, vaddr: int) -> int | None:
        for seg in self.segments:
            if seg.vaddr <= vaddr < seg.vaddr + seg.filesz:
                return seg.offset + vaddr - seg.vaddr
        return None

    def vaddr_of(self, offset: int) -> int | None:
        for seg in self.segments:
            if seg.offset <= offset < seg.offset + seg.filesz:
                return seg.vaddr + offset - seg.offset
        return None

    def word(self, offset: int, size: int) -> int:
        fmt = self.endian + ("Q" if size == 8 else "I")
        value: int = struct.unpack_from(fmt, self.data, offset)[0]
        if value == 0:
            value = self.relocated(offset) or 0
        return value

    def relocated(self, offset: int) -> int | None:
        """The addend of a relative relocation at this file offset (PIE binaries store 0)."""
        vaddr = self.vaddr_of(offset)
        return self.relocations().get(vaddr) if vaddr is not None else None

    def relocations(self) -> dict[int, int]:
        """Relative relocations as {virtual address: addend}, read once."""
        if self._relocs is None:
            self._relocs = self._relative_relocations()
        return self._relocs

    def _relative_relocations(self) -> dict[int, int]:
        kind = _RELATIVE_RELOCS.get(str(self.elf.header["e_machine"]))
        section = self.sections.get(".rela.dyn")
        if kind is None or section is None or self.elf.elfclass != 64:
            return {}
        start, size = section["sh_offset"], section["sh_size"]
        layout = struct.Struct(self.endian + "QQq")
        raw = self.data[start : start + size - size % 24]
        return {off: addend for off, info, addend in layout.iter_unpack(raw) if info & 0xFFFFFFFF == kind}


@dataclass(slots=True)
class _Header:
    magic: int
    quantum: int
    ptr: int
    nfunc: int
    text_start: int
    funcnametab: int
    pctab: int
    functab: int
    """File offsets of the tables."""


def _find_pclntab(binary: _Binary) -> int:
    section = binary.sections.get(".gopclntab") or binary.sections.get(".data.rel.ro.gopclntab")
    if section is not None and section["sh_type"] != "SHT_NOBITS":
        return int(section["sh_offset"])
    for magic in (MAGIC_120, MAGIC_118, MAGIC_116):
        needle = struct.pack(binary.endian + "I", magic) + b"\x00\x00"
        start = binary.data.find(needle)
        while start != -1:
            quantum, ptr = binary.data[start + 6], binary.data[start + 7]
            if quantum in (1, 2, 4) and ptr in (4, 8) and binary.vaddr_of(start) is not None:
                return start
            start = binary.data.find(needle, start + 1)
    if binary.data.find(struct.pack(binary.endian + "I", MAGIC_12) + b"\x00\x00") != -1:
        msg = "the pclntab is of Go 1.15 or older (not supported)"
        raise GoSymbolsError(msg)
    msg = "no Go pclntab found (not a Go binary, or its runtime tables were removed)"
    raise GoSymbolsError(msg)


def _header(binary: _Binary, base: int) -> _Header:
    magic = struct.unpack_from(binary.endian + "I", binary.data, base)[0]
    if magic not in _VERSIONS:
        msg = f"unknown pclntab magic {magic:#x}"
        raise GoSymbolsError(msg)
    quantum, ptr = binary.data[base + 6], binary.data[base + 7]
    if ptr not in (4, 8) or quantum not in (1, 2, 4):
        msg = f"implausible pclntab header (quantum {quantum}, pointer size {ptr})"
        raise GoSymbolsError(msg)
    words = [binary.word(base + 8 + i * ptr, ptr) for i in range(8)]
    if magic == MAGIC_116:
        nfunc, _, funcname, _, _, pctab, functab = words[:7]
        text_start = 0
    else:
        nfunc, _, text_start, funcname, _, _, pctab, functab = words
    return _Header(magic, quantum, ptr, nfunc, text_start, base + funcname, base + pctab, base + functab)


@dataclass(slots=True)
class _Func:
    name_off: int
    pcdata: list[int]
    funcdata: list[int]
    """Raw funcdata values: absolute addresses (1.16) or gofunc offsets (1.18+); NIL when absent."""


class _Reader:
    def __init__(self, data: bytes) -> None:
        self.binary = _Binary(data)
        self.base = _find_pclntab(self.binary)
        self.header = _header(self.binary, self.base)
        if not 0 < self.header.nfunc < len(data):
            msg = f"implausible function count {self.header.nfunc}"
            raise GoSymbolsError(msg)
        self.warnings: list[str] = []

    def u32(self, offset: int) -> int:
        value: int = struct.unpack_from(self.binary.endian + "I", self.binary.data, offset)[0]
        return value

    def name_at(self, name_off: int) -> str | None:
        start = self.header.funcnametab + name_off
        if name_off < 0 or start >= len(self.binary.data):
            return None
        end = self.binary.data.find(b"\x00", start, start + MAX_NAME_BYTES)
        if end <= start:
            return None
        return self.binary.data[start:end].decode("utf-8", "replace")

    def functions(self) -> Iterator[_Func]:
        h = self.header
        pair = 8 if h.magic != MAGIC_116 else 2 * h.ptr
        for index in range(h.nfunc):
            entry = h.functab + index * pair
            funcoff = self.u32(entry + 4) if h.magic != MAGIC_116 else self.binary.word(entry + h.ptr, h.ptr)
            yield self._func(h.functab + funcoff)

    def _func(self, offset: int) -> _Func:
        # npcdata follows entry, nameOff, args, deferreturn, pcsp, pcfile and pcln.
        h = self.header
        data = self.binary.data
        if h.magic == MAGIC_116:
            name_off = struct.unpack_from(self.binary.endian + "i", data, offset + h.ptr)[0]
            fixed = h.ptr + 36
        else:
            name_off = struct.unpack_from(self.binary.endian + "i", data, offset + 4)[0]
            fixed = 44 if h.magic == MAGIC_120 else 40
        npcdata = self.u32(offset + (h.ptr + 24 if h.magic == MAGIC_116 else 28))
        nfuncdata = data[offset + fixed - 1]
        pcdata_at = offset + fixed
        pcdata = [self.u32(pcdata_at + 4 * i) for i in range(npcdata)]
        funcdata_at = pcdata_at + 4 * npcdata
        if h.magic == MAGIC_116:
            vaddr = self.binary.vaddr_of(funcdata_at) or 0
            funcdata_at += (-vaddr) % h.ptr
            funcdata = [
                self.binary.word(funcdata_at + h.ptr * i, h.ptr) or NIL_OFFSET for i in range(nfuncdata)
            ]
        else:
            funcdata = [self.u32(funcdata_at + 4 * i) for i in range(nfuncdata)]
        return _Func(name_off, pcdata, funcdata)


def _varint(data: bytes, offset: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        byte = data[offset]
        offset += 1
        value |= (byte & 0x7F) << shift
        if byte < 0x80:
            return value, offset
        shift += 7
        if shift > 63:
            msg = "varint too long in a pc-value table"
            raise GoSymbolsError(msg)


def max_pcvalue(data: bytes, offset: int, limit: int = 1_000_000) -> int:
    """The largest value a pc-value table (zig-zag value deltas, pc deltas) takes; -1 if none."""
    value, best, first = -1, -1, True
    for _ in range(limit):
        delta, offset = _varint(data, offset)
        if delta == 0 and not first:
            break
        first = False
        value += -((delta + 1) >> 1) if delta & 1 else delta >> 1
        best = max(best, value)
        _, offset = _varint(data, offset)
    return best


class _InlineReader:
    """Reads inline trees, bounded by the next funcdata object and checked entry by entry."""

    def __init__(self, reader: _Reader, funcs: list[_Func]) -> None:
        self.reader = reader
        self.gofunc = self._gofunc() if reader.header.magic != MAGIC_116 else 0
        starts = {self._address(value) for f in funcs for value in f.funcdata if value != NIL_OFFSET}
        self.starts = sorted(a for a in starts if a is not None)
        self.entry_size = 16 if reader.header.magic == MAGIC_120 else 20
        self.unread = 0
        """Inline trees that could not be located or ended before the entries the function uses."""

    def _address(self, value: int) -> int | None:
        return value if self.reader.header.magic == MAGIC_116 else self.gofunc + value

    def _gofunc(self) -> int:
        """`moduledata.gofunc`: find `runtime.firstmoduledata` by its pointers to the pclntab."""
        binary, header, ptr = self.reader.binary, self.reader.header, self.reader.header.ptr
        pcheader = binary.vaddr_of(self.reader.base)
        funcnametab = binary.vaddr_of(header.funcnametab)
        for offset in self._candidates(pcheader):
            if binary.word(offset + ptr, ptr) != funcnametab:
                continue
            if binary.word(offset + _TEXT_WORD * ptr, ptr) != header.text_start:
                continue
            gofunc = binary.word(offset + _GOFUNC_WORD[header.magic] * ptr, ptr)
            if binary.offset_of(gofunc) is not None:
                return gofunc
        msg = "runtime.firstmoduledata not found: cannot locate the inline trees"
        raise GoSymbolsError(msg)

    def _candidates(self, pcheader: int | None) -> Iterator[int]:
        binary, ptr = self.reader.binary, self.reader.header.ptr
        if pcheader is None:
            return
        needle = pcheader.to_bytes(ptr, "little" if binary.endian == "<" else "big")
        for seg in binary.segments:
            if not seg.writable:
                continue
            start = binary.data.find(needle, seg.offset, seg.offset + seg.filesz)
            while start != -1:
                if start % ptr == seg.offset % ptr:
                    yield start
                start = binary.data.find(needle, start + 1, seg.offset + seg.filesz)
        for offset, value in self._relocated_candidates(pcheader):
            del value
            yield offset

    def _relocated_candidates(self, pcheader: int) -> Iterator[tuple[int, int]]:
        binary = self.reader.binary
        for vaddr, addend in binary.relocations().items():
            if addend == pcheader and (offset := binary.offset_of(vaddr)) is not None:
                yield offset, addend

    def names(self, func: _Func) -> set[str]:
        if len(func.funcdata) <= FUNCDATA_INLTREE or func.funcdata[FUNCDATA_INLTREE] == NIL_OFFSET:
            return set()
        address = self._address(func.funcdata[FUNCDATA_INLTREE])
        offset = self.reader.binary.offset_of(address) if address is not None else None
        if address is None or offset is None:
            self.unread += 1
            return set()
        count = self._bound(address)
        used = self._used_entries(func)
        found, read = self._entries(offset, max(count, used))
        if read < used:
            self.unread += 1
        return found

    def _bound(self, address: int) -> int:
        position = bisect.bisect_right(self.starts, address)
        end = self.starts[position] if position < len(self.starts) else address + self.entry_size * 64
        return min((end - address) // self.entry_size, MAX_INLINE_ENTRIES)

    def _used_entries(self, func: _Func) -> int:
        if len(func.pcdata) <= PCDATA_INLTREEINDEX or func.pcdata[PCDATA_INLTREEINDEX] == 0:
            return 0
        start = self.reader.header.pctab + func.pcdata[PCDATA_INLTREEINDEX]
        try:
            return max_pcvalue(self.reader.binary.data, start) + 1
        except IndexError:
            self.unread += 1
            return 0

    def _entries(self, offset: int, count: int) -> tuple[set[str], int]:
        """The names of up to `count` entries, and how many entries were read before one failed."""
        found: set[str] = set()
        data, endian = self.reader.binary.data, self.reader.binary.endian
        for index in range(count):
            at = offset + index * self.entry_size
            if at + self.entry_size > len(data):
                return found, index
            if self.entry_size == 16:
                name_off = struct.unpack_from(endian + "i", data, at + 4)[0]
                parent_ok = True
            else:
                parent, name_off = (
                    struct.unpack_from(endian + "h", data, at)[0],
                    struct.unpack_from(endian + "i", data, at + 12)[0],
                )
                parent_ok = -1 <= parent < index
            name = self.reader.name_at(name_off) if parent_ok else None
            if name is None or not _plausible(name) or not self._starts_name(name_off):
                return found, index
            found.add(name)
        return found, count

    def _starts_name(self, name_off: int) -> bool:
        return name_off == 0 or self.reader.binary.data[self.reader.header.funcnametab + name_off - 1] == 0


def _plausible(name: str) -> bool:
    return bool(name) and name.isprintable()


def read_go_functions(data: bytes) -> GoFunctions:
    """Read every function name of a Go binary, and the names only present inlined.

    Raises GoSymbolsError when the binary has no readable Go 1.16+ pclntab.
    """
    try:
        reader = _Reader(data)
        funcs = list(reader.functions())
        names = {n for f in funcs if (n := reader.name_at(f.name_off)) is not None}
        inline = _InlineReader(reader, funcs)
        inlined: set[str] = set()
        for func in funcs:
            inlined |= inline.names(func)
    except (struct.error, IndexError) as exc:
        msg = f"damaged pclntab: {exc}"
        raise GoSymbolsError(msg) from exc
    unnamed = len(funcs) - sum(1 for f in funcs if reader.name_at(f.name_off) is not None)
    warnings = list(reader.warnings)
    if unnamed:
        warnings.append(f"{unnamed} function name(s) could not be read")
    if inline.unread:
        warnings.append(f"{inline.unread} inline tree(s) could not be read in full")
    return GoFunctions(
        layout=_VERSIONS[reader.header.magic],
        functions=frozenset(names),
        inlined=frozenset(inlined - names),
        warnings=tuple(warnings),
        unread=unnamed + inline.unread,
    )
