"""Content-defined chunking: FastCDC with a gear hash and normalized chunking (two masks).

The cut rule, for a chunk starting at `start` and a candidate last byte at `i` (length
`n = i - start + 1`), with `h(i)` the 32-bit gear hash of the bytes up to `i`
(`h = (h << 1) + GEAR[byte] mod 2**32`, which only depends on the last 32 bytes):

- `n == max_size`                                     → cut;
- `min_size <= n < normal_size` and `h(i) & mask_s == 0` → cut (harder: fewer small chunks);
- `normal_size <= n` and `h(i) & mask_l == 0`             → cut (easier: fewer big chunks);
- the end of the data ends the last chunk.

Because the hash depends only on a 32-byte window, it is computed for a whole buffer at once with
numpy (five shift-and-add passes); cut points are then found by binary search among candidates.
Without numpy the same rule runs byte by byte (slow, same cuts).
"""

from __future__ import annotations

import hashlib
import importlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

try:
    np: Any = importlib.import_module("numpy")
except ImportError:  # pragma: no cover - exercised only where numpy is missing
    np = None

HASH_BITS = 32
MASK = (1 << HASH_BITS) - 1
WINDOW = HASH_BITS
"""Bytes the gear hash depends on (a 32-bit hash shifted once per byte)."""


def _gear_table() -> tuple[int, ...]:
    """Return 256 pseudo-random 32-bit values, fixed forever (derived from SHA-256)."""
    return tuple(
        int.from_bytes(hashlib.sha256(b"hullscan-gear-%d" % value).digest()[:4], "little")
        for value in range(256)
    )


GEAR: tuple[int, ...] = _gear_table()


def _top_bits(count: int) -> int:
    """Return a mask of the `count` highest bits (they depend on all window bytes)."""
    return ((1 << count) - 1) << (HASH_BITS - count)


@dataclass(frozen=True, slots=True)
class ChunkParams:
    """Chunk size bounds and masks; defaults give chunks of about 64 KiB on average."""

    min_size: int = 16 * 1024
    normal_size: int = 64 * 1024
    max_size: int = 256 * 1024
    normalization: int = 2
    """FastCDC's normalization level: mask_s has bits(avg)+level bits, mask_l bits(avg)-level."""

    def __post_init__(self) -> None:
        if not WINDOW <= self.min_size <= self.normal_size <= self.max_size:
            msg = f"chunk sizes must satisfy {WINDOW} <= min <= normal <= max, got {self}"
            raise ValueError(msg)

    @property
    def mask_s(self) -> int:
        """Return the mask used before `normal_size` (more bits: cuts are rarer)."""
        return _top_bits(self.normal_size.bit_length() - 1 + self.normalization)

    @property
    def mask_l(self) -> int:
        """Return the mask used from `normal_size` on (fewer bits: cuts are likelier)."""
        return _top_bits(max(1, self.normal_size.bit_length() - 1 - self.normalization))


DEFAULT_PARAMS = ChunkParams()


def gear_hashes(data: bytes, context: bytes = b"") -> Any:
    """Return the gear hash after each byte of `data` as a numpy uint32 array.

    `context` is the (up to 31) bytes before `data` in the same stream; the hash of a stream
    starts at zero, so missing context counts as nothing.
    """
    if np is None:  # pragma: no cover
        msg = "numpy is needed for vectorized gear hashes"
        raise RuntimeError(msg)
    context = context[-(WINDOW - 1) :] if context else b""
    buffer = np.frombuffer(context + data, dtype=np.uint8)
    hashes = _GEAR_ARRAY[buffer]
    width = 1
    while width < WINDOW:
        shifted = hashes[:-width] << np.uint32(width)
        hashes[width:] += shifted
        width *= 2
    return hashes[len(context) :]


_GEAR_ARRAY: Any = np.array(GEAR, dtype=np.uint32) if np is not None else None


class Chunker:
    """Split a byte stream fed in pieces into content-defined chunks.

    `feed()` returns the chunks that are complete; `finish()` returns the rest. Memory holds at
    most one pending chunk (< `max_size`) plus the piece being fed.
    """

    def __init__(self, params: ChunkParams = DEFAULT_PARAMS) -> None:
        self.params = params
        self._pending = b""
        self._context = b""
        """Up to 31 bytes before `_pending` in the stream (the gear hash window)."""

    def feed(self, data: bytes) -> list[bytes]:
        """Add `data`; return the chunks it completed."""
        if not data:
            return []
        buffer = self._pending + data if self._pending else data
        if len(buffer) < self.params.min_size + 1:
            self._pending = buffer
            return []
        return self._split(buffer, final=False)

    def finish(self) -> list[bytes]:
        """Return the remaining chunks at the end of the stream and reset."""
        buffer = self._pending
        if len(buffer) <= self.params.min_size:
            chunks = [buffer] if buffer else []
        else:
            chunks = self._split(buffer, final=True)
        self._pending, self._context = b"", b""
        return chunks

    def _split(self, buffer: bytes, *, final: bool) -> list[bytes]:
        cuts = find_cuts(buffer, self._context, self.params, final=final)
        chunks = []
        start = 0
        for end in cuts:
            chunks.append(buffer[start:end])
            start = end
        self._pending = buffer[start:]
        if start:
            self._context = buffer[max(0, start - WINDOW + 1) : start]
        return chunks


def find_cuts(buffer: bytes, context: bytes, params: ChunkParams, *, final: bool) -> list[int]:
    """Return the chunk end offsets in `buffer` (exclusive); the last one is len(buffer) if final.

    A chunk whose cut depends on bytes not yet in `buffer` is left out unless `final`.
    """
    if np is None:  # pragma: no cover
        return _find_cuts_scalar(buffer, context, params, final=final)
    hashes = gear_hashes(buffer, context)
    small = np.flatnonzero((hashes & np.uint32(params.mask_s)) == 0)
    large = np.flatnonzero((hashes & np.uint32(params.mask_l)) == 0)
    cuts: list[int] = []
    start, size = 0, len(buffer)
    while start < size:
        end = _next_cut(small, large, start, size, params)
        if end is None:
            if final:
                cuts.append(size)
            break
        cuts.append(end)
        start = end
    return cuts


def _first_in(candidates: Any, low: int, high: int) -> int | None:
    """Return the first candidate position in [low, high), or None."""
    index = int(np.searchsorted(candidates, low))
    if index < len(candidates) and int(candidates[index]) < high:
        return int(candidates[index])
    return None


def _next_cut(small: Any, large: Any, start: int, size: int, params: ChunkParams) -> int | None:
    """Return where the chunk starting at `start` ends, or None if `buffer` is too short to say."""
    low = start + params.min_size - 1
    middle = start + params.normal_size - 1
    high = start + params.max_size - 1
    position = _first_in(small, low, min(middle, size))
    if position is None and middle < size:
        position = _first_in(large, middle, min(high, size))
    if position is None and high < size:
        position = high
    return None if position is None else position + 1


def _find_cuts_scalar(buffer: bytes, context: bytes, params: ChunkParams, *, final: bool) -> list[int]:
    """The cut rule byte by byte (the fallback without numpy)."""
    value = 0
    for byte in context[-(WINDOW - 1) :]:
        value = ((value << 1) + GEAR[byte]) & MASK
    cuts: list[int] = []
    start = 0
    for index, byte in enumerate(buffer):
        value = ((value << 1) + GEAR[byte]) & MASK
        length = index - start + 1
        if length < params.min_size:
            continue
        mask = params.mask_s if length < params.normal_size else params.mask_l
        if length == params.max_size or value & mask == 0:
            cuts.append(index + 1)
            start = index + 1
    if final and start < len(buffer):
        cuts.append(len(buffer))
    return cuts


def chunk_bytes(data: bytes, params: ChunkParams = DEFAULT_PARAMS) -> Iterator[bytes]:
    """Yield the chunks of one complete byte string."""
    chunker = Chunker(params)
    yield from chunker.feed(data)
    yield from chunker.finish()
