"""Read many files of an image with one pass per layer (uncaptured files cost a layer re-stream).

`FileView.read()` fetches an uncaptured file by streaming its layer again; asking for fifty
changelogs that way streams the base layer fifty times. `read_many` groups the wanted files by
the layer holding them and streams each layer once. Views that are not layered (a root
directory) are read file by file, which is cheap for them.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from hullscan.config import Limits
from hullscan.errors import HullscanError
from hullscan.fileview.interface import FileView
from hullscan.fileview.layered import LayeredView
from hullscan.fileview.tarstream import TarStream
from hullscan.model.files import FileKind, FileRecord
from hullscan.pathnames import normalize_member_name
from hullscan.source.blob import open_layer_stream
from hullscan.source.interface import BlobOpener

MAX_FILE_BYTES = 64 * 1024 * 1024
_REGULAR = frozenset({b"0", b"7", b"\x00"})


def read_many(view: FileView, paths: Iterable[str], max_bytes: int = MAX_FILE_BYTES) -> dict[str, bytes]:
    """Contents of the regular files among `paths` (links followed); missing ones are left out."""
    records: dict[str, FileRecord] = {}
    for path in dict.fromkeys(paths):
        record = view.resolve(path)
        if record is not None and record.kind is FileKind.FILE and record.size <= max_bytes:
            records[path] = record
    found: dict[str, bytes] = {}
    pending: dict[int, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for path, record in records.items():
        captured = _captured(view, record)
        if captured is not None:
            found[path] = captured
        else:
            pending[record.layer_index][record.path].append(path)
    openers: list[BlobOpener] | None = (
        getattr(view, "_openers", None) if isinstance(view, LayeredView) else None
    )
    for layer_index, wanted in pending.items():
        contents = _stream_layer(openers[layer_index], set(wanted)) if openers else {}
        for member_path, asked in wanted.items():
            data = contents.get(member_path) if openers else _read_one(view, member_path)
            if data is not None:
                found.update(dict.fromkeys(asked, data))
    return found


def _captured(view: FileView, record: FileRecord) -> bytes | None:
    if isinstance(view, LayeredView):
        return view.layers[record.layer_index].contents.get(record.path)
    return _read_one(view, record.path)


def _read_one(view: FileView, path: str) -> bytes | None:
    try:
        return view.read(path)
    except (OSError, HullscanError):
        return None


def _stream_layer(opener: BlobOpener, wanted: set[str], limits: Limits | None = None) -> dict[str, bytes]:
    """One pass over a layer blob, keeping the members in `wanted`."""
    limits = limits or Limits()
    found: dict[str, bytes] = {}
    try:
        raw = opener.open()
        stream, _ = open_layer_stream(raw, None, limits.max_layer_bytes, "layer")
        with stream:
            tar = TarStream(stream)
            for member in tar:
                path, _ = normalize_member_name(member.name)
                if path in wanted and member.type in _REGULAR and member.size <= MAX_FILE_BYTES:
                    found[path] = tar.read_data()
                    if len(found) == len(wanted):
                        break
    except (OSError, HullscanError):
        return found
    return found
