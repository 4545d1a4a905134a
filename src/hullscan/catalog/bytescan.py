"""Cheap byte-marker checks over seekable streams, so heavy parsers run only where they can succeed."""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import BinaryIO

CHUNK = 8 * 1024 * 1024


def contains_any(stream: BinaryIO, needles: Sequence[bytes]) -> bool:
    """Return True if any needle occurs in the stream (read in chunks; position restored)."""
    if isinstance(stream, io.BytesIO):
        data = stream.getvalue()  # shares the buffer of a BytesIO made from bytes: no copy
        return any(needle in data for needle in needles)
    overlap = max(len(n) for n in needles) - 1
    start = stream.tell()
    try:
        stream.seek(0)
        tail = b""
        while chunk := stream.read(CHUNK):
            window = tail + chunk
            if any(needle in window for needle in needles):
                return True
            tail = window[-overlap:] if overlap else b""
        return False
    finally:
        stream.seek(start)
