"""Reading layer blobs safely: digest verification, compression sniffing, size caps."""

from __future__ import annotations

import hashlib
import io
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


def open_layer_stream(
    raw: BinaryIO, digest: str | None, max_bytes: int, what: str
) -> tuple[LayerStream, DigestVerifyingReader]:
    """Return (decompressed capped stream, verifier) for a layer blob.

    Call `verifier.drain()` after consuming the stream so the digest is always checked.
    """
    verifier = DigestVerifyingReader(raw, digest, what)
    return LayerStream(decompressed(verifier, what), max_bytes, what), verifier
