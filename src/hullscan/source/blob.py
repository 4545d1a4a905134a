"""Reading layer blobs safely: digest verification, compression sniffing, size caps."""

from __future__ import annotations

import hashlib
import io
import queue
import threading
from typing import Any, BinaryIO, Protocol

from hullscan.errors import DigestMismatchError, HullscanError, LayerError, LimitExceededError

GZIP_MAGIC = b"\x1f\x8b"
ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"
CHUNK = 1024 * 1024


class DigestVerifyingReader(io.RawIOBase):
    """Wrap a stream, hash every byte read and check the digest once EOF is reached."""

    def __init__(self, raw: BinaryIO, expected_digest: str | None, name: str = "blob") -> None:
        super().__init__()
        self._raw = raw
        self._name = name
        self._expected: str | None = None
        self._hash: hashlib._Hash | None = None
        if expected_digest:
            algo, _, hexdigest = expected_digest.partition(":")
            if algo not in ("sha256", "sha512") or not hexdigest:
                raise DigestMismatchError(f"{name}: unsupported digest {expected_digest!r}")
            self._expected = hexdigest.lower()
            self._hash = hashlib.new(algo)
        self._checked = False
        self.bytes_read = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        data = self._raw.read(len(buffer))
        if not data:
            self._verify()
            return 0
        n = len(data)
        buffer[:n] = data
        self.bytes_read += n
        if self._hash is not None:
            self._hash.update(data)
        return n

    def drain(self) -> None:
        """Read to the end so the digest is checked even if the consumer stopped early."""
        while self.read(CHUNK):
            pass
        self._verify()

    def _verify(self) -> None:
        if self._checked or self._hash is None:
            return
        self._checked = True
        actual = self._hash.hexdigest()
        if actual != self._expected:
            msg = (
                f"{self._name}: content digest {self._hash.name}:{actual[:16]}… does not match "
                f"the expected {self._hash.name}:{(self._expected or '')[:16]}…"
            )
            raise DigestMismatchError(msg)

    def close(self) -> None:
        self._raw.close()
        super().close()


class _ByteSource(Protocol):
    """What the readers below need from the stream they wrap."""

    def read(self, size: int = ..., /) -> bytes: ...

    def close(self) -> object: ...


class LayerStream:
    """The decompressed content of a layer blob, capped, with decompressor failures as LayerError.

    A thin `read()` over the decompressor: no extra buffer layer and no extra copy (the tar
    reader asks for megabyte chunks, so buffering here would only copy every byte again).
    """

    def __init__(self, source: _ByteSource, cap: int, what: str) -> None:
        self._source = source
        self._cap = cap
        self._what = what
        self.count = 0

    def read(self, size: int = -1) -> bytes:
        """Return up to `size` decompressed bytes (all the rest when `size` is negative)."""
        if size < 0:
            return b"".join(iter(lambda: self.read(CHUNK), b""))
        try:
            data = self._source.read(size)
        except HullscanError:
            raise
        except (EOFError, OSError, ValueError) as exc:
            msg = f"{self._what}: corrupt or truncated compressed data: {exc}"
            raise LayerError(msg) from exc
        except Exception as exc:  # zstandard.ZstdError and friends
            if type(exc).__name__ == "ZstdError":
                msg = f"{self._what}: corrupt or truncated zstd data: {exc}"
                raise LayerError(msg) from exc
            raise
        self.count += len(data)
        if self.count > self._cap:
            msg = f"{self._what} expands beyond the cap of {self._cap} bytes (decompression bomb?)"
            raise LimitExceededError(msg)
        return data

    def close(self) -> None:
        """Close the decompressor and the blob under it."""
        self._source.close()

    def __enter__(self) -> LayerStream:  # noqa: PYI034 - final class
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def sniff_compression(head: bytes) -> str:
    """Return `gzip`, `zstd` or `none` from a blob's first bytes."""
    if head.startswith(GZIP_MAGIC):
        return "gzip"
    if head.startswith(ZSTD_MAGIC):
        return "zstd"
    return "none"


class _ZstdFrames(io.RawIOBase):
    """Decompress every zstd frame of a stream; a stream that ends inside a frame is an error.

    (zstandard's own stream reader returns a clean EOF for a truncated frame.)
    """

    def __init__(self, raw: _ByteSource, decompressor: Any, what: str) -> None:
        super().__init__()
        self._raw = raw
        self._decompressor = decompressor
        self._frame = decompressor.decompressobj()
        self._pending = b""
        self._what = what
        self._started = False

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        while not self._pending:
            compressed = self._raw.read(CHUNK)
            if not compressed:
                if self._started and not self._frame.eof:
                    raise LayerError(f"{self._what}: zstd stream ends inside a frame (truncated)")
                return 0
            self._feed(compressed)
        count = min(len(buffer), len(self._pending))
        buffer[:count] = self._pending[:count]
        self._pending = self._pending[count:]
        return count

    def _feed(self, compressed: bytes) -> None:
        produced = []
        while compressed:
            if self._frame.eof:  # the previous frame is complete: the next one starts here
                self._frame = self._decompressor.decompressobj()
            self._started = True
            produced.append(self._frame.decompress(compressed))
            compressed = self._frame.unused_data if self._frame.eof else b""
        self._pending = b"".join(produced)


def decompressed(raw: io.RawIOBase | io.BufferedReader, what: str) -> BinaryIO:
    """Return a stream of the decompressed content, detecting gzip/zstd by magic bytes."""
    buffered = raw if isinstance(raw, io.BufferedReader) else io.BufferedReader(raw, CHUNK)
    head = buffered.peek(4)[:4]
    kind = sniff_compression(head)
    stream: _ByteSource
    if kind == "gzip":
        from isal import igzip  # noqa: PLC0415 - import cost only when needed

        # isal ships py.typed but leaves IGzipFile.__init__ unannotated.
        stream = igzip.IGzipFile(fileobj=buffered, mode="rb")  # type: ignore[no-untyped-call]
    elif kind == "zstd":
        import zstandard  # noqa: PLC0415 - import cost only when needed

        stream = _ZstdFrames(buffered, zstandard.ZstdDecompressor(), what)
    else:
        return buffered
    return stream  # type: ignore[return-value]


class ReadAhead:
    """Runs a decompressor (and the digest check under it) in a thread, a few blocks ahead.

    isal, zstandard and hashlib release the GIL on large buffers, so decompression overlaps with
    the tar parsing and content analysis of the reader instead of adding to them. Errors raised
    in the thread are raised again by `read`, in order. Memory: at most `depth + 1` blocks.
    """

    def __init__(self, source: _ByteSource, block: int = CHUNK, depth: int = 4) -> None:
        self._source = source
        self._block = block
        self._queue: queue.Queue[bytes | BaseException] = queue.Queue(depth)
        self._stop = threading.Event()
        self._pending = b""
        self._finished = False
        self._thread = threading.Thread(target=self._produce, name="hullscan-read-ahead", daemon=True)
        self._thread.start()

    def _produce(self) -> None:
        try:
            while not self._stop.is_set():
                data = self._source.read(self._block)
                self._queue.put(data)
                if not data:
                    return
        except BaseException as exc:  # noqa: BLE001 - handed over to the reader and raised there
            self._queue.put(exc)

    def read(self, size: int = -1) -> bytes:
        """Return up to `size` bytes (the rest of the stream when `size` is negative)."""
        if size < 0:
            return b"".join(iter(lambda: self.read(self._block), b""))
        if not self._pending:
            if self._finished:
                return b""
            item = self._queue.get()
            if isinstance(item, BaseException):
                self._finished = True
                raise item
            if not item:
                self._finished = True
                return b""
            if len(item) <= size:  # the usual case: the reader asks for whole blocks, no copy
                return item
            self._pending = item
        data, self._pending = self._pending[:size], self._pending[size:]
        return data

    def close(self) -> None:
        """Stop the thread (unblocking it if the queue is full), then close the source."""
        self._stop.set()
        while self._thread.is_alive():
            try:
                self._queue.get(timeout=0.05)
            except queue.Empty:
                continue
        self._source.close()


def open_layer_stream(
    raw: BinaryIO, digest: str | None, max_bytes: int, what: str
) -> tuple[LayerStream, DigestVerifyingReader]:
    """Return (decompressed capped stream, verifier) for a layer blob.

    Decompression runs ahead in a thread (see ReadAhead). Call `verifier.drain()` after consuming
    the stream to its end so the digest is always checked; the thread has then finished.
    """
    verifier = DigestVerifyingReader(raw, digest, what)
    return LayerStream(ReadAhead(decompressed(verifier, what)), max_bytes, what), verifier
