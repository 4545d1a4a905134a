"""The layer tar writer, checked against GNU tar, gzip and zstd as ground truth."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import tracemalloc
from pathlib import Path

import pytest

from hullscan.build.tarwriter import (
    Compression,
    Device,
    Directory,
    Fifo,
    Hardlink,
    LayerBuildError,
    OpaqueDir,
    RawMember,
    RegularFile,
    Symlink,
    Whiteout,
    describe_blob,
    layer_from_directory,
    write_layer,
)

ENTRIES = [
    Directory(path="etc"),
    RegularFile(path="etc/hello", data=b"hello\n"),
    RegularFile(path="usr/bin/tool", data=b"#!/bin/sh\n", mode=0o4755, uid=1000, gid=1000),
    Hardlink(path="a/link-before-target", target="etc/hello"),
    Symlink(path="etc/abs", target="/etc/hello"),
    Symlink(path="etc/up", target="../../../../etc/shadow"),
    Whiteout(path="var/gone"),
    OpaqueDir(path="opt/app"),
    Device(path="dev/null", kind="char", major=1, minor=3),
    Device(path="dev/sda", kind="block", major=8, minor=0),
    Fifo(path="run/pipe"),
]


def _tar_verbose(path: Path) -> list[str]:
    out = subprocess.run(["tar", "-tvf", str(path)], capture_output=True, text=True, check=True).stdout
    return out.splitlines()


def _decompressed_sha256(path: Path, compression: Compression) -> str:
    tool = {"gzip": ["gzip", "-dc"], "zstd": ["zstd", "-dcq"], "none": ["cat"]}[compression.value]
    data = subprocess.run([*tool, str(path)], capture_output=True, check=True).stdout
    return "sha256:" + hashlib.sha256(data).hexdigest()


@pytest.mark.parametrize("compression", list(Compression))
def test_digests_match_real_tools(tmp_path: Path, compression: Compression) -> None:
    if compression is Compression.ZSTD and shutil.which("zstd") is None:
        subprocess.run(["apt-get", "install", "-y", "-q", "zstd"], check=True, capture_output=True)
    blob = write_layer(tmp_path / "layer", ENTRIES, compression)
    raw = blob.path.read_bytes()
    assert blob.digest == "sha256:" + hashlib.sha256(raw).hexdigest()
    assert blob.size == len(raw)
    assert blob.diff_id == _decompressed_sha256(blob.path, compression)
    assert describe_blob(blob.path) == blob
    assert Compression.sniff(raw[:4]) is compression


def test_entries_as_gnu_tar_sees_them(tmp_path: Path) -> None:
    lines = _tar_verbose(write_layer(tmp_path / "l.tar.gz", ENTRIES).path)
    by_name = {line.split()[5]: line for line in lines}
    assert by_name["etc/hello"].startswith("-rw-r--r--")
    assert by_name["usr/bin/tool"].startswith("-rwsr-xr-x 1000/1000")
    assert by_name["etc/"].startswith("d")
    assert by_name["etc/abs"].startswith("l")
    assert by_name["etc/abs"].endswith("-> /etc/hello")
    assert by_name["etc/up"].endswith("-> ../../../../etc/shadow")
    assert by_name["a/link-before-target"].endswith("link to etc/hello")
    assert by_name["dev/null"].startswith("c")
    assert "1,3" in by_name["dev/null"]
    assert by_name["dev/sda"].startswith("b")
    assert "8,0" in by_name["dev/sda"]
    assert by_name["run/pipe"].startswith("p")
    assert "var/.wh.gone" in by_name
    assert "opt/app/.wh..wh..opq" in by_name
    names = [line.split()[5] for line in lines]
    assert names.index("etc/hello") < names.index("a/link-before-target")


def test_hard_link_extracts_as_same_inode(tmp_path: Path) -> None:
    blob = write_layer(
        tmp_path / "l.tar", [e for e in ENTRIES if not isinstance(e, Device)], Compression.NONE
    )
    out = tmp_path / "x"
    out.mkdir()
    subprocess.run(["tar", "-xf", str(blob.path), "-C", str(out)], check=True)
    assert (out / "etc/hello").stat().st_ino == (out / "a/link-before-target").stat().st_ino


def test_output_is_deterministic_and_sorted(tmp_path: Path) -> None:
    first = write_layer(tmp_path / "a", ENTRIES)
    second = write_layer(tmp_path / "b", list(reversed(ENTRIES)))
    assert first.digest == second.digest
    assert first.path.read_bytes() == second.path.read_bytes()
    assert all(" 1970-01-01 00:00 " in line for line in _tar_verbose(first.path))


def test_raw_members_are_written_verbatim(tmp_path: Path) -> None:
    entries = [
        RawMember(name="/etc/abs-name", data=b"x"),
        RawMember(name="../../escape", data=b"y"),
        RawMember(name="dup", data=b"1"),
        RawMember(name="dup", data=b"2"),
    ]
    listing = subprocess.run(
        ["tar", "-tf", str(write_layer(tmp_path / "bad.tar", entries, Compression.NONE).path)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()
    assert sorted(listing) == sorted(["/etc/abs-name", "../../escape", "dup", "dup"])


@pytest.mark.parametrize(
    "entries",
    [
        [RegularFile(path="../x", data=b"")],
        [RegularFile(path="/", data=b"")],
        [RegularFile(path="a", data=b""), Directory(path="a/")],
        [RegularFile(path="nothing")],
        [RegularFile(path="both", data=b"", source=Path("/etc/hostname"))],
    ],
)
def test_bad_descriptions_raise_a_clear_error(tmp_path: Path, entries: list[RegularFile | Directory]) -> None:
    with pytest.raises(LayerBuildError) as raised:
        write_layer(tmp_path / "l", entries)
    assert raised.value.hint
    assert not [p for p in tmp_path.iterdir() if p.name != "l"]  # no temporary file left behind
    assert not (tmp_path / "l").exists()


def test_layer_from_directory_keeps_links_modes_and_does_not_follow(tmp_path: Path) -> None:
    root = tmp_path / "root"
    (root / "bin").mkdir(parents=True)
    (root / "bin" / "prog").write_bytes(b"prog")
    (root / "bin" / "prog").chmod(0o4711)
    os.link(root / "bin" / "prog", root / "bin" / "prog-hardlink")
    (root / "outside").symlink_to("/etc")
    (root / "dir-link").symlink_to("bin")
    os.mkfifo(root / "fifo")
    blob = layer_from_directory(root, tmp_path / "l.tar.gz")
    lines = {line.split()[5]: line for line in _tar_verbose(blob.path)}
    assert lines["bin/prog"].startswith("-rws--x--x")
    assert lines["bin/prog-hardlink"].endswith("link to bin/prog")
    assert lines["outside"].endswith("-> /etc")
    assert lines["dir-link"].endswith("-> bin")
    assert lines["fifo"].startswith("p")
    assert not any(name.startswith(("outside/", "dir-link/")) for name in lines)
    assert set(lines) == {"bin/", "bin/prog", "bin/prog-hardlink", "outside", "dir-link", "fifo"}


def test_layer_from_directory_records_devices_without_creating_them(tmp_path: Path) -> None:
    source = Path("/dev/null")
    root = tmp_path / "root"
    root.mkdir()
    blob = layer_from_directory(
        source.parent, tmp_path / "dev.tar", Compression.NONE, exclude=lambda p: p != "null"
    )
    lines = _tar_verbose(blob.path)
    assert len(lines) == 1
    assert lines[0].startswith("c")
    assert "1,3" in lines[0]
    assert not any(root.iterdir())


def test_large_files_are_streamed_not_buffered(tmp_path: Path) -> None:
    big = tmp_path / "big.bin"
    with big.open("wb") as handle:
        for _ in range(48):
            handle.write(os.urandom(1024 * 1024))
    tracemalloc.start()
    try:
        blob = write_layer(
            tmp_path / "l.tar.zst", [RegularFile(path="big.bin", source=big)], Compression.ZSTD
        )
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 16 * 1024 * 1024
    assert blob.uncompressed_size > 48 * 1024 * 1024
    assert blob.diff_id == _decompressed_sha256(blob.path, Compression.ZSTD)
