"""The fast tar reader agrees with Python's tarfile and GNU tar on every format they write."""

from __future__ import annotations

import io
import subprocess
import tarfile
from pathlib import Path

import pytest

from hullscan.errors import LayerError
from hullscan.fileview.tarstream import TarStream

LONG = "deep/" + "d" * 120 + "/" + "f" * 110


def _members_by_tarfile(data: bytes) -> list[tuple[str, bytes, int, str, int]]:
    out = []
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:") as tar:
        for m in tar:
            size = m.size if m.isreg() else 0
            out.append((m.name, m.type if m.type != tarfile.AREGTYPE else b"0", size, m.linkname, m.mode))
    return out


def _members_by_us(data: bytes) -> list[tuple[str, bytes, int, str, int]]:
    out = []
    for m in TarStream(io.BytesIO(data)):
        size = m.size if m.type in (b"0", b"7") else 0
        out.append((m.name.rstrip("/"), m.type, size, m.linkname, m.mode))
    return out


def _python_tar(fmt: int) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=fmt) as tar:
        for name, payload in (("a.txt", b"hello"), (LONG, b"x" * 1000), ("ünïcode/ß.txt", b"u")):
            if fmt == tarfile.USTAR_FORMAT and (name == LONG or not name.isascii()):
                continue
            info = tarfile.TarInfo(name)
            info.size = len(payload)
            info.mode = 0o640
            tar.addfile(info, io.BytesIO(payload))
        link = tarfile.TarInfo("link")
        link.type = tarfile.SYMTYPE
        link.linkname = "a.txt" if fmt == tarfile.USTAR_FORMAT else "t" * 150
        tar.addfile(link)
        hard = tarfile.TarInfo("hard")
        hard.type = tarfile.LNKTYPE
        hard.linkname = "a.txt"
        tar.addfile(hard)
    return buf.getvalue()


@pytest.mark.parametrize("fmt", [tarfile.USTAR_FORMAT, tarfile.GNU_FORMAT, tarfile.PAX_FORMAT])
def test_python_written_formats(fmt: int) -> None:
    data = _python_tar(fmt)
    assert _members_by_us(data) == _members_by_tarfile(data)


@pytest.mark.parametrize("fmt", ["gnu", "posix", "ustar", "v7", "oldgnu"])
def test_gnu_tar_written_formats_of_a_real_directory(fmt: str, tmp_path: Path) -> None:
    source = Path("/usr/share/doc")  # real files, symlinks and long-ish names
    out = tmp_path / "t.tar"
    subprocess.run(
        ["tar", f"--format={fmt}", "-cf", str(out), "-C", str(source.parent), source.name],
        check=False,  # v7/ustar refuse some names: tar still writes the rest and exits 2
        capture_output=True,
    )
    data = out.read_bytes()
    expected = _members_by_tarfile(data)
    assert len(expected) > 100
    assert _members_by_us(data) == expected


def test_read_data_and_skipping() -> None:
    data = _python_tar(tarfile.PAX_FORMAT)
    stream = TarStream(io.BytesIO(data))
    contents = {}
    for member in stream:
        if member.name == "a.txt":
            contents[member.name] = stream.read_data()
        elif member.name == LONG:
            contents[member.name] = stream.read_data(10)  # partial read, rest skipped
    assert contents == {"a.txt": b"hello", LONG: b"x" * 10}


def test_truncated_and_garbage_streams_raise_layer_error() -> None:
    data = _python_tar(tarfile.GNU_FORMAT)
    with pytest.raises(LayerError):
        list(TarStream(io.BytesIO(data[:1100])))
    garbage = bytearray(data)
    garbage[0:10] = b"\xff" * 10  # breaks the first header's checksum (v7-style path)
    garbage[257:262] = b"xxxxx"
    with pytest.raises(LayerError):
        list(TarStream(io.BytesIO(bytes(garbage))))


class _Trickle(io.RawIOBase):
    """A stream that returns at most `step` bytes per read (as decompressors do)."""

    def __init__(self, data: bytes, step: int) -> None:
        self._data = io.BytesIO(data)
        self._step = step

    def read(self, size: int = -1) -> bytes:
        return self._data.read(self._step if size < 0 else min(size, self._step))


@pytest.mark.parametrize("step", [1000, 1 << 20, 3 << 20])
def test_members_bigger_than_the_buffer_with_and_without_a_prefix(step: int) -> None:
    big = bytes(range(256)) * (5 * 4096 + 3)  # about 5 MiB: several reader chunks
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for name, payload in (("big1", big), ("small", b"tail"), ("big2", big[::-1])):
            info = tarfile.TarInfo(name)
            info.size = len(payload)
            tar.addfile(info, io.BytesIO(payload))
    stream = TarStream(_Trickle(buf.getvalue(), step))
    read = {}
    for member in stream:
        if member.name == "big1":
            head = stream.read_data(64)
            read[member.name] = stream.read_data(prefix=head)
        else:
            read[member.name] = stream.read_data()
    assert read == {"big1": big, "small": b"tail", "big2": big[::-1]}
    truncated = TarStream(_Trickle(buf.getvalue()[: 512 + len(big) // 2], step))
    next(iter(truncated))
    with pytest.raises(LayerError, match="truncated"):
        truncated.read_data(prefix=b"x")
