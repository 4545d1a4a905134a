"""Compressed layer streams: multi-frame zstd, and truncation detected even without a digest."""

from __future__ import annotations

import gzip
import io
import os

import pytest
import zstandard

from hullscan.errors import LayerError
from hullscan.source.blob import open_layer_stream

DATA = os.urandom(2_000_000) + b"x" * 2_000_000


def _read(blob: bytes) -> bytes:
    stream, _ = open_layer_stream(io.BytesIO(blob), None, 1 << 30, "layer")  # type: ignore[arg-type]
    with stream:
        return stream.read()


def _zstd_two_frames() -> bytes:
    half = len(DATA) // 2
    return zstandard.ZstdCompressor().compress(DATA[:half]) + zstandard.ZstdCompressor().compress(DATA[half:])


def test_every_zstd_frame_is_read() -> None:
    assert _read(_zstd_two_frames()) == DATA


@pytest.mark.parametrize("compress", [_zstd_two_frames, lambda: gzip.compress(DATA)], ids=["zstd", "gzip"])
@pytest.mark.parametrize("keep", [0.3, 0.5, 0.99])
def test_truncated_streams_raise_without_a_digest(compress: object, keep: float) -> None:
    blob = compress()  # type: ignore[operator]
    with pytest.raises(LayerError):
        _read(blob[: int(len(blob) * keep)])
