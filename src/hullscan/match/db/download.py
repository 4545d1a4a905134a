"""Download OSV exports: conditional requests (ETag / If-Modified-Since), resume (Range), size cap, checks."""

from __future__ import annotations

import http.client
import ipaddress
import json
import os
import urllib.error
import urllib.parse
import urllib.request
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from hullscan.match.db.errors import DownloadError

DEFAULT_BASE_URL = "https://osv-vulnerabilities.storage.googleapis.com"
DEFAULT_MAX_BYTES = 2 * 1024 * 1024 * 1024
_CHUNK = 1024 * 1024
_CHECK_MEMBERS = 20


@dataclass(frozen=True, slots=True)
class Validators:
    """HTTP cache validators remembered for one URL."""

    etag: str | None = None
    last_modified: str | None = None

    def to_json(self) -> dict[str, str | None]:
        """A JSON-able form for the `meta` table."""
        return {"etag": self.etag, "last_modified": self.last_modified}

    @classmethod
    def from_json(cls, value: object) -> Validators | None:
        """Inverse of `to_json`; None for anything unexpected."""
        if not isinstance(value, dict):
            return None
        etag, modified = value.get("etag"), value.get("last_modified")
        return cls(etag if isinstance(etag, str) else None, modified if isinstance(modified, str) else None)


@dataclass(frozen=True, slots=True)
class FetchResult:
    """Outcome of one conditional download."""

    url: str
    path: Path
    not_modified: bool
    bytes_downloaded: int
    resumed: bool
    validators: Validators


def export_url(base_url: str, ecosystem: str) -> str:
    """`<base>/<Ecosystem>/all.zip`, with the ecosystem name URL-quoted."""
    return f"{base_url.rstrip('/')}/{urllib.parse.quote(ecosystem, safe='')}/all.zip"


def check_url(url: str) -> None:
    """Allow HTTPS anywhere, plain HTTP only to loopback addresses."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme == "https":
        return
    if parts.scheme == "http" and _is_loopback(parts.hostname or ""):
        return
    raise DownloadError(f"refusing to download {url}: only https:// (or http:// to localhost) is allowed")


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def fetch(
    url: str,
    destination: Path,
    validators: Validators | None,
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    timeout: float = 60.0,
) -> FetchResult:
    """Fetch `url` into `destination` unless unchanged; resume an earlier partial download if possible.

    The body goes to `<destination>.part` and replaces `destination` only after it passed the
    content checks (a zip whose members are JSON records with an `id`).
    """
    check_url(url)
    destination.parent.mkdir(parents=True, exist_ok=True)
    partial = destination.with_name(destination.name + ".part")
    partial_meta = destination.with_name(destination.name + ".part.json")
    request = urllib.request.Request(url, headers={"User-Agent": "hullscan"})  # noqa: S310 - scheme checked
    if validators is not None and destination.is_file():
        if validators.etag:
            request.add_header("If-None-Match", validators.etag)
        if validators.last_modified:
            request.add_header("If-Modified-Since", validators.last_modified)
    offset, partial_validators = _resumable(partial, partial_meta)
    if offset:
        request.add_header("Range", f"bytes={offset}-")
        request.add_header("If-Range", partial_validators.etag or partial_validators.last_modified or "")
    try:
        response = urllib.request.urlopen(request, timeout=timeout)  # noqa: S310 - scheme checked
    except urllib.error.HTTPError as error:
        if error.code == 304 and validators is not None and destination.is_file():
            return FetchResult(url, destination, not_modified=True, bytes_downloaded=0, resumed=False,
                               validators=validators)
        if error.code == 416:
            _discard(partial, partial_meta)
        raise DownloadError(f"downloading {url} failed: HTTP {error.code} {error.reason}") from error
    except (urllib.error.URLError, OSError, http.client.HTTPException) as error:
        raise DownloadError(f"downloading {url} failed: {error}") from error
    with response:
        received, resumed, new_validators = _receive(url, response, partial, partial_meta, offset, max_bytes)
    check_export(partial, url)
    os.replace(partial, destination)
    partial_meta.unlink(missing_ok=True)
    return FetchResult(url, destination, not_modified=False, bytes_downloaded=received, resumed=resumed,
                       validators=new_validators)


def _resumable(partial: Path, partial_meta: Path) -> tuple[int, Validators]:
    """Bytes already on disk from an interrupted download with known validators (else 0)."""
    if not partial.is_file() or not partial_meta.is_file():
        return 0, Validators()
    try:
        remembered = Validators.from_json(json.loads(partial_meta.read_text()))
    except (OSError, ValueError):
        remembered = None
    if remembered is None or not (remembered.etag or remembered.last_modified):
        return 0, Validators()
    return partial.stat().st_size, remembered


def _receive(
    url: str,
    response: http.client.HTTPResponse,
    partial: Path,
    partial_meta: Path,
    offset: int,
    max_bytes: int,
) -> tuple[int, bool, Validators]:
    validators = Validators(response.headers.get("ETag"), response.headers.get("Last-Modified"))
    resumed = response.status == 206 and offset > 0
    if resumed:
        start, total = _content_range(response.headers.get("Content-Range"))
        if start != offset:
            _discard(partial, partial_meta)
            raise DownloadError(f"downloading {url}: the server resumed at byte {start}, not {offset}")
        expected: int | None = total
    else:
        offset = 0
        length = response.headers.get("Content-Length")
        expected = int(length) if length and length.isdigit() else None
    if expected is not None and expected > max_bytes:
        raise DownloadError(f"{url} is {expected} bytes, more than the cap of {max_bytes}")
    partial_meta.write_text(json.dumps(validators.to_json()))
    with partial.open("ab" if resumed else "wb") as sink:
        received = _copy_body(url, response, sink, offset, max_bytes)
    size = offset + received
    if expected is not None and size != expected:
        raise DownloadError(
            f"downloading {url} was cut short: {size} of {expected} bytes arrived",
            hint="Run the update again: it resumes where it stopped. The database was left unchanged.",
        )
    return received, resumed, validators


def _copy_body(url: str, response: http.client.HTTPResponse, sink: IO[bytes], offset: int, cap: int) -> int:
    received = 0
    while True:
        try:
            chunk = response.read(_CHUNK)
        except http.client.IncompleteRead as error:
            sink.write(error.partial)
            received += len(error.partial)
            break
        except (OSError, http.client.HTTPException) as error:
            message = f"downloading {url} failed after {offset + received} bytes: {error}"
            raise DownloadError(message) from error
        if not chunk:
            break
        received += len(chunk)
        if offset + received > cap:
            raise DownloadError(f"{url} is larger than the cap of {cap} bytes; download stopped")
        sink.write(chunk)
    sink.flush()
    os.fsync(sink.fileno())
    return received


def _content_range(value: str | None) -> tuple[int, int | None]:
    """Parse `bytes START-END/TOTAL`."""
    if not value or not value.startswith("bytes "):
        raise DownloadError(f"the server sent a partial response without a usable Content-Range: {value!r}")
    span, _, total = value.removeprefix("bytes ").partition("/")
    start = span.split("-", 1)[0]
    if not start.isdigit():
        raise DownloadError(f"unusable Content-Range {value!r}")
    return int(start), int(total) if total.isdigit() else None


def _discard(partial: Path, partial_meta: Path) -> None:
    partial.unlink(missing_ok=True)
    partial_meta.unlink(missing_ok=True)


def check_export(path: Path, url: str) -> None:
    """Check a downloaded export: a valid zip (CRCs), whose first members are JSON objects with an `id`."""
    try:
        with zipfile.ZipFile(path) as archive:
            bad = archive.testzip()
            if bad is not None:
                path.unlink(missing_ok=True)
                raise DownloadError(f"{url}: member {bad} of the downloaded zip is corrupt")
            members = [info for info in archive.infolist() if info.filename.endswith(".json")]
            for info in members[:_CHECK_MEMBERS]:
                record = json.loads(archive.read(info))
                if not isinstance(record, dict) or not isinstance(record.get("id"), str):
                    path.unlink(missing_ok=True)
                    raise DownloadError(f"{url}: member {info.filename} is not an OSV record (no `id`)")
    except (zipfile.BadZipFile, OSError, EOFError) as error:
        path.unlink(missing_ok=True)
        raise DownloadError(f"{url} did not deliver a valid zip file: {error}") from error
    except ValueError as error:
        path.unlink(missing_ok=True)
        raise DownloadError(f"{url}: a member of the zip is not JSON: {error}") from error
