"""contains_any finds markers in memory and across chunk boundaries of spooled files."""

from __future__ import annotations

import io
import tempfile

from hullscan.catalog import bytescan
from hullscan.catalog.bytescan import contains_any


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
