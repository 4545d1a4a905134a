"""contains_any finds markers across chunk boundaries; ELF section names match pyelftools'."""

from __future__ import annotations

import io
import tempfile
from pathlib import Path

from elftools.elf.elffile import ELFFile

from hullscan.catalog import bytescan
from hullscan.catalog.bytescan import contains_any, elf_section_names


def test_in_memory_and_chunk_boundaries(monkeypatch: object) -> None:
    data = b"x" * 100 + b"\xff Go buildinf:" + b"y" * 100
    assert contains_any(io.BytesIO(data), [b"\xff Go buildinf:"])
    assert not contains_any(io.BytesIO(data), [b".dep-v0"])
    monkeypatch.setattr(bytescan, "CHUNK", 16)  # type: ignore[attr-defined]
    for cut in range(90, 120):
        with tempfile.TemporaryFile() as spool:
            spool.write(b"a" * cut + b".dep-v0" + b"b" * 50)
            spool.seek(5)
            assert contains_any(spool, [b".dep-v0"])  # type: ignore[arg-type]
            assert spool.tell() == 5
            assert not contains_any(spool, [b".go.buildinfo"])  # type: ignore[arg-type]


def _host_elf_files(limit: int) -> list[Path]:
    found = []
    for directory in ("/usr/bin", "/usr/lib/x86_64-linux-gnu", "/usr/lib/aarch64-linux-gnu", "/usr/lib/go/bin"):
        for path in sorted(Path(directory).glob("*")) if Path(directory).is_dir() else ():
            if path.is_file() and not path.is_symlink() and path.read_bytes()[:4] == b"\x7fELF":
                found.append(path)
            if len(found) >= limit:
                return found
    return found


def test_section_names_equal_pyelftools_on_real_binaries() -> None:
    binaries = _host_elf_files(300)
    assert len(binaries) >= 50  # a Debian machine has hundreds
    for path in binaries:
        with path.open("rb") as handle:
            handle.seek(7)
            names = elf_section_names(handle)
            assert handle.tell() == 7  # position restored
            expected = frozenset(section.name.encode() for section in ELFFile(handle).iter_sections())
        assert names == expected, path


def test_section_names_of_damaged_or_foreign_files_are_unknown() -> None:
    real = _host_elf_files(1)[0].read_bytes()
    shoff = int.from_bytes(real[40:48], "little")
    cases = {
        "empty": b"",
        "not elf": b"MZ" + b"\0" * 200,
        "truncated header": real[:40],
        "table cut off": real[: shoff + 10],
        "table beyond the end": real[:40] + (len(real) + 4096).to_bytes(8, "little") + real[48:],
        "no sections": real[:60] + b"\0\0" + real[62:],
        "name index past the table": real[:62] + b"\xff\x7f" + real[64:],
    }
    for label, data in cases.items():
        assert elf_section_names(io.BytesIO(data)) is None, label
