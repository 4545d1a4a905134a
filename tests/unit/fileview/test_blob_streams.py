"""Compressed layer streams: multi-frame zstd, truncation detected without a digest, read-ahead thread."""

from __future__ import annotations

import gzip
import io
import os
import threading

import pytest
import zstandard

from hullscan.errors import LayerError
from hullscan.source.blob import ReadAhead, open_layer_stream

DATA = os.urandom(2_000_000) + b"x" * 2_000_000


def _read(blob: bytes) -> bytes:
    stream, _ = open_layer_stream(io.BytesIO(blob), None, 1 << 30, "layer")
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


class _Source:
    """A byte source that fails after `fail_after` bytes, and records being closed."""

    def __init__(self, data: bytes, fail_after: int | None = None) -> None:
        self.data = io.BytesIO(data)
        self.fail_after = fail_after
        self.closed = False

    def read(self, size: int = -1) -> bytes:
        if self.fail_after is not None and self.data.tell() >= self.fail_after:
            raise EOFError("compressed file ended before the end-of-stream marker")
        return self.data.read(size)

    def close(self) -> None:
        self.closed = True


@pytest.mark.parametrize("size", [1, 4096, 1 << 20, 3 << 20])
def test_read_ahead_returns_every_byte_in_order(size: int) -> None:
    ahead = ReadAhead(_Source(DATA), block=1 << 20, depth=2)
    parts = list(iter(lambda: ahead.read(size), b"")) if size >= 4096 else [ahead.read(size), ahead.read(-1)]
    assert b"".join(parts) == DATA
    assert ahead.read(10) == b""
    ahead.close()


def test_read_ahead_raises_the_producer_error_after_the_good_bytes() -> None:
    ahead = ReadAhead(_Source(DATA, fail_after=1 << 20), block=1 << 19, depth=2)
    assert ahead.read(1 << 19) + ahead.read(1 << 19) == DATA[: 1 << 20]
    with pytest.raises(EOFError, match="end-of-stream"):
        ahead.read(1 << 19)
    ahead.close()


def test_closing_early_stops_the_thread_and_closes_the_source() -> None:
    source = _Source(DATA * 4)
    ahead = ReadAhead(source, block=4096, depth=2)
    assert ahead.read(10) == DATA[:10]
    ahead.close()  # the producer is blocked on a full queue: close must unblock it
    assert source.closed
    assert not any(t.name == "hullscan-read-ahead" and t.is_alive() for t in threading.enumerate())


def test_a_layer_error_still_reaches_the_reader_through_the_thread() -> None:
    blob = gzip.compress(DATA)
    stream, _ = open_layer_stream(io.BytesIO(blob[:-100]), None, 1 << 30, "layer")
    with stream, pytest.raises(LayerError, match="corrupt or truncated"):
        stream.read()
