"""The FastCDC chunker against an independent byte-by-byte implementation of the documented rule."""

from __future__ import annotations

import hashlib
import random

import pytest

from hullscan.analyze.dedup.chunker import Chunker, ChunkParams, chunk_bytes

SMALL = ChunkParams(min_size=256, normal_size=1024, max_size=4096)


def _reference_gear() -> list[int]:
    """The gear table as the module docstring specifies it, derived here independently."""
    return [
        int.from_bytes(hashlib.sha256(f"hullscan-gear-{v}".encode()).digest()[:4], "little")
        for v in range(256)
    ]


def _reference_chunks(data: bytes, params: ChunkParams) -> list[int]:
    """Chunk lengths by the spec: 32-bit gear hash, top-bit masks, min/normal/max bounds."""
    gear = _reference_gear()
    bits = params.normal_size.bit_length() - 1
    small_mask = ((1 << (bits + params.normalization)) - 1) << (32 - bits - params.normalization)
    large_mask = ((1 << (bits - params.normalization)) - 1) << (32 - bits + params.normalization)
    lengths, value, length = [], 0, 0
    for byte in data:
        value = ((value << 1) + gear[byte]) & 0xFFFFFFFF
        length += 1
        if length < params.min_size:
            continue
        mask = small_mask if length < params.normal_size else large_mask
        if length == params.max_size or value & mask == 0:
            lengths.append(length)
            length = 0
    if length:
        lengths.append(length)
    return lengths


def _data(size: int, seed: int) -> bytes:
    rng = random.Random(seed)  # noqa: S311 - reproducible test data, not secrets
    return bytes(rng.getrandbits(8) for _ in range(size))


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_cuts_match_an_independent_implementation(seed: int) -> None:
    data = _data(200_000, seed)
    got = [len(chunk) for chunk in chunk_bytes(data, SMALL)]
    assert got == _reference_chunks(data, SMALL)


def test_default_parameters_match_the_reference_on_a_megabyte() -> None:
    data = _data(1_200_000, 7)
    params = ChunkParams()
    got = [len(chunk) for chunk in chunk_bytes(data, params)]
    assert got == _reference_chunks(data, params)
    assert all(params.min_size <= n <= params.max_size for n in got[:-1])


@pytest.mark.parametrize("piece", [1, 97, 4096, 65_537])
def test_feeding_in_pieces_gives_the_same_chunks(piece: int) -> None:
    data = _data(60_000 if piece == 1 else 300_000, 11)
    chunker = Chunker(SMALL)
    chunks: list[bytes] = []
    for start in range(0, len(data), piece):
        chunks += chunker.feed(data[start : start + piece])
    chunks += chunker.finish()
    assert b"".join(chunks) == data
    assert [len(c) for c in chunks] == _reference_chunks(data, SMALL)


def test_cuts_are_content_defined_an_insert_only_changes_nearby_chunks() -> None:
    data = _data(400_000, 5)
    edited = data[:100_000] + b"inserted bytes" + data[100_000:]
    before = {hashlib.sha256(c).digest() for c in chunk_bytes(data, SMALL)}
    after = [hashlib.sha256(c).digest() for c in chunk_bytes(edited, SMALL)]
    shared = sum(1 for digest in after if digest in before)
    assert shared >= len(after) - 3


def test_low_entropy_data_is_cut_at_max_size() -> None:
    data = bytes(20_000)
    assert [len(c) for c in chunk_bytes(data, SMALL)] == _reference_chunks(data, SMALL)
    assert max(len(c) for c in chunk_bytes(data, SMALL)) <= SMALL.max_size


def test_bad_parameters_are_rejected() -> None:
    with pytest.raises(ValueError, match="chunk sizes"):
        ChunkParams(min_size=10, normal_size=5, max_size=20)


def test_empty_and_tiny_inputs() -> None:
    assert list(chunk_bytes(b"", SMALL)) == []
    assert list(chunk_bytes(b"abc", SMALL)) == [b"abc"]
