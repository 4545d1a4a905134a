"""The struct-parsing ELF analyzer finds exactly what the original pyelftools analyzer found.

Ground truth is the pre-rewrite module, kept verbatim as `_elf_reference.py`. The corpus is real:
a sample of this machine's /usr/lib/x86_64-linux-gnu libraries, the wheels' libraries cached by
tests/integration/test_bundled.py (when present), Debian's zlib1g for i386, armhf and s390x
(32-bit, ARM attributes, big-endian; fetched once into the test cache) and arch-test's tiny
binaries for twenty architectures. Damaged copies of real files (seeded) must give the same
summary too, error text included.
"""

from __future__ import annotations

import importlib.util
import io
import json
import os
import random
import shutil
import struct
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from hullscan.catalog.bundled import elf

LIBDIR = Path("/usr/lib/x86_64-linux-gnu")
SAMPLE = 150
DEBIAN_ZLIB = "http://deb.debian.org/debian/pool/main/z/zlib/zlib1g_1.2.13.dfsg-1_{arch}.deb"
FOREIGN_ARCHES = ("i386", "armhf", "s390x")


def _reference() -> ModuleType:
    path = Path(__file__).with_name("_elf_reference.py")
    spec = importlib.util.spec_from_file_location("_elf_reference", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


REFERENCE = _reference()


def _cache() -> Path:
    return Path(os.environ.get("HULLSCAN_TEST_CACHE", Path.home() / ".cache" / "hullscan-tests"))


def _is_elf(path: Path) -> bool:
    if path.is_symlink() or not path.is_file():
        return False
    with path.open("rb") as handle:
        return handle.read(4) == elf.ELF_MAGIC


def _system_sample() -> list[Path]:
    found = sorted(p for p in LIBDIR.glob("*.so*") if _is_elf(p))
    step = max(1, len(found) // SAMPLE)
    return found[::step][:SAMPLE]


def _wheel_libraries() -> list[Path]:
    root = _cache() / "bundled" / "unpacked"
    return sorted(p for p in root.rglob("*.so*") if _is_elf(p)) if root.is_dir() else []


def _foreign_zlibs() -> list[Path]:
    """Return Debian's libz.so for other architectures, downloaded and unpacked once."""
    target = _cache() / "elf-equivalence" / "zlib"
    found: list[Path] = []
    for arch in FOREIGN_ARCHES:
        unpacked = target / arch
        if not unpacked.is_dir():
            deb = target / f"zlib1g_{arch}.deb"
            deb.parent.mkdir(parents=True, exist_ok=True)
            with urllib.request.urlopen(DEBIAN_ZLIB.format(arch=arch), timeout=60) as response:
                deb.write_bytes(response.read())
            staging = target / f".{arch}.tmp"
            shutil.rmtree(staging, ignore_errors=True)
            subprocess.run(["dpkg-deb", "-x", str(deb), str(staging)], check=True)
            staging.rename(unpacked)
        found += sorted(p for p in unpacked.rglob("*.so*") if _is_elf(p))
    return found


def _arch_test_binaries() -> list[Path]:
    root = Path("/usr/lib/arch-test")
    if not root.is_dir():
        subprocess.run(["apt-get", "install", "-y", "-q", "arch-test"], check=True, capture_output=True)
    return sorted(p for p in root.iterdir() if _is_elf(p))


def _corpus() -> list[Path]:
    return _system_sample() + _wheel_libraries() + _foreign_zlibs() + _arch_test_binaries()


def _json(summary: Any) -> str:
    return json.dumps(summary, sort_keys=True, default=repr)


def _old(data: bytes, size: int | None = None) -> dict[str, Any]:
    result: dict[str, Any] = REFERENCE.ElfAnalyzer().analyze(
        "/f", io.BytesIO(data), len(data) if size is None else size
    )
    return result


def _new(data: bytes, size: int | None = None) -> dict[str, Any]:
    return elf.ElfAnalyzer().analyze("/f", io.BytesIO(data), len(data) if size is None else size)


@pytest.fixture(scope="module")
def corpus() -> list[Path]:
    files = _corpus()
    assert len(files) >= 100, "the real corpus is too small to prove anything"
    return files


def test_corpus_covers_classes_byte_orders_and_machines(corpus: list[Path]) -> None:
    kinds = set()
    for path in corpus:
        head = path.read_bytes()[:20]
        kinds.add((head[4], head[5]))
    assert kinds >= {(1, 1), (1, 2), (2, 1), (2, 2)}  # Elf32/Elf64 x little/big endian


def test_real_files_give_identical_summaries_through_the_fast_path(corpus: list[Path]) -> None:
    differing, slow = [], []
    for path in corpus:
        data = path.read_bytes()
        if _json(_new(data)) != _json(_old(data)):
            differing.append(str(path))
        if elf.analyze_fast(io.BytesIO(data), len(data)) is None:
            slow.append(str(path))
    assert differing == []
    assert slow == [], "well-formed files must not need pyelftools"


def test_spooled_file_stream_gives_the_same_summary(corpus: list[Path]) -> None:
    """Large files reach the analyzer as a temporary file, read through mmap."""
    path = max(corpus[:40], key=lambda p: p.stat().st_size)
    data = path.read_bytes()
    with tempfile.TemporaryFile() as spool:
        spool.write(data)
        spool.seek(0)
        assert _json(elf.ElfAnalyzer().analyze(str(path), spool, len(data))) == _json(_old(data))  # type: ignore[arg-type]


def _damaged(base: bytes, rng: random.Random) -> bytes:
    """Return a truncated copy or one with a few header / table fields overwritten."""
    if rng.random() < 0.25:
        return base[: rng.randrange(len(base))]
    data = bytearray(base)
    shoff = struct.unpack_from("<Q", base, 0x28)[0]
    regions = [(0, 64), (64, 64 + 56 * 8), (shoff, len(base)), (0, len(base))]
    for _ in range(rng.randrange(1, 4)):
        start, end = rng.choice(regions)
        position = rng.randrange(start, min(end, len(data)))
        value = rng.choice(
            [0, 1, 0xFFFF, 0xFFFF_FFFF, len(data), len(data) + 8, 2**63, 2**64 - 1, rng.randrange(len(data))]
        )
        width = rng.choice([1, 2, 4, 8])
        if position + width <= len(data):
            data[position : position + width] = (value % 2 ** (8 * width)).to_bytes(width, "little")
    return bytes(data)


@pytest.mark.parametrize("library", ["libz.so.1", "libffi.so.8", "libexpat.so.1"])
def test_damaged_files_give_the_reference_summary_and_error(library: str) -> None:
    base = (LIBDIR / library).resolve().read_bytes()
    rng = random.Random(library)  # noqa: S311 - a reproducible damage pattern, not a secret
    mismatches, errors = [], 0
    for case in range(250):
        data = _damaged(base, rng)
        old = _old(data)
        errors += "error" in old
        if _json(_new(data)) != _json(old):
            mismatches.append(case)
    assert mismatches == []
    assert errors > 50, "the damage must actually break files"


def _without_dt_null(base: bytes) -> bytes:
    """Return a copy whose .dynamic section moved to the end of the file and never ends.

    Its entries are all DT_DEBUG up to the file's end, which cuts the last one short.
    """
    reference = REFERENCE.ELFFile(io.BytesIO(base))
    index = next(i for i, s in enumerate(reference.iter_sections()) if s.name == ".dynamic")
    data = bytearray(base)
    struct.pack_into("<Q", data, reference["e_shoff"] + index * reference["e_shentsize"] + 24, len(data))
    return bytes(data) + struct.pack("<qQ", 21, 0) * 8000 + b"\x15" * 11


def test_endless_dynamic_section_is_bounded_and_matches_the_reference() -> None:
    data = _without_dt_null((LIBDIR / "libz.so.1").resolve().read_bytes())
    started = time.perf_counter()
    new = _new(data)
    elapsed = time.perf_counter() - started
    assert new["error"].startswith("ELFParseError: expected 8")
    assert _json(new) == _json(_old(data))
    assert elapsed < 1.0


@pytest.mark.parametrize(
    ("offset", "fmt", "value", "broken"),
    [
        (0x38, "<H", 0xFFFE, True),  # e_phnum far beyond the file
        (0x3C, "<H", 0xFFFE, True),  # e_shnum far beyond the file
        (0x28, "<Q", 2**64 - 1, True),  # e_shoff past any file
        (0x3A, "<H", 1, True),  # e_shentsize too small
        (0x3E, "<H", 0xFFFF, False),  # e_shstrndx = SHN_XINDEX: the index is section 0's sh_link
    ],
)
def test_huge_counts_and_bogus_offsets_match_the_reference(
    offset: int, fmt: str, value: int, *, broken: bool
) -> None:
    data = bytearray((LIBDIR / "libz.so.1").resolve().read_bytes())
    struct.pack_into(fmt, data, offset, value)
    started = time.perf_counter()
    new = _new(bytes(data))
    assert time.perf_counter() - started < 1.0
    assert ("error" in new) is broken
    assert _json(new) == _json(_old(bytes(data)))


def test_over_the_size_cap_matches_the_reference() -> None:
    data = (LIBDIR / "libz.so.1").resolve().read_bytes()
    assert _json(_new(data, size=2 * 1024**3)) == _json(_old(data, size=2 * 1024**3))
