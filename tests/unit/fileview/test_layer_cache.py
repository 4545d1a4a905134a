"""The per-layer cache round-trips an index; a torn, empty or foreign file is a miss and is removed."""

from __future__ import annotations

from pathlib import Path

import pytest

from hullscan.fileview.cache import LayerCache
from hullscan.fileview.layer import LayerIndex
from hullscan.model.files import FileKind, FileRecord

DIGEST = "sha256:" + "ab" * 32


def _index() -> LayerIndex:
    records = [
        FileRecord(f"/usr/lib/f{i}", FileKind.FILE, i, 0o644, 1, DIGEST, None, 1700000000, 0, 0)
        for i in range(2000)
    ]
    records.append(FileRecord("/usr/lib/link", FileKind.SYMLINK, 0, 0o777, 1, DIGEST, "f1", 0, 0, 0))
    return LayerIndex(
        digest=DIGEST,
        index=1,
        records=records,
        contents={"/var/lib/dpkg/status": b"Package: zlib1g\n"},
        analyses={"/usr/lib/f1": {"elf": {"soname": "libz.so.1"}}},
        warnings=["a warning"],
        blob_bytes=1234,
    )


def test_round_trip(tmp_path: Path) -> None:
    cache = LayerCache(tmp_path)
    cache.store(_index(), "policy")
    loaded = cache.load(DIGEST, 1, "policy")
    assert loaded == _index()
    assert cache.load(DIGEST, 1, "other-policy") is None
    assert list(cache.root.glob(".tmp-*")) == []


@pytest.mark.parametrize("keep", [0.0, 0.3, 0.9])
def test_a_torn_file_is_a_miss_and_is_removed(tmp_path: Path, keep: float) -> None:
    cache = LayerCache(tmp_path)
    cache.store(_index(), "policy")
    path = cache.path_for(DIGEST, "policy")
    data = path.read_bytes()
    path.write_bytes(data[: int(len(data) * keep)])
    assert cache.load(DIGEST, 1, "policy") is None
    assert not path.exists()
    cache.store(_index(), "policy")  # rebuilt on the next scan
    assert cache.load(DIGEST, 1, "policy") == _index()


def test_a_file_naming_another_layer_is_a_miss(tmp_path: Path) -> None:
    cache = LayerCache(tmp_path)
    cache.store(_index(), "policy")
    other = "sha256:" + "cd" * 32
    cache.path_for(DIGEST, "policy").rename(cache.path_for(other, "policy"))
    assert cache.load(other, 1, "policy") is None
