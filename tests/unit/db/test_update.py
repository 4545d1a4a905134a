"""`update()` through the real download path against a local HTTP server (ETag, 304, Range, truncation)."""

from __future__ import annotations

import hashlib
import http.server
import threading
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from hullscan.match.db import DownloadError, status, update
from hullscan.match.db.download import check_url


@dataclass
class Served:
    files: dict[str, bytes] = field(default_factory=dict)
    truncate_at: int | None = None
    requests: list[tuple[str, dict[str, str], int]] = field(default_factory=list)


class Handler(http.server.BaseHTTPRequestHandler):
    served: Served

    def log_message(self, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        body = self.served.files.get(self.path)
        headers = dict(self.headers.items())
        if body is None:
            self._status(404, headers)
            self.send_response(404)
            self.end_headers()
            return
        etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
        if self.headers.get("If-None-Match") == etag:
            self._status(304, headers)
            self.send_response(304)
            self.send_header("ETag", etag)
            self.end_headers()
            return
        start = 0
        range_header = self.headers.get("Range")
        if range_header and self.headers.get("If-Range") == etag:
            start = int(range_header.removeprefix("bytes=").split("-")[0])
        code = 206 if start else 200
        self._status(code, headers)
        self.send_response(code)
        self.send_header("ETag", etag)
        self.send_header("Content-Length", str(len(body) - start))
        if start:
            self.send_header("Content-Range", f"bytes {start}-{len(body) - 1}/{len(body)}")
        self.end_headers()
        payload = body[start:]
        if self.served.truncate_at is not None:
            payload = payload[: self.served.truncate_at]
        self.wfile.write(payload)
        self.wfile.flush()
        self.close_connection = True

    def _status(self, code: int, headers: dict[str, str]) -> None:
        self.served.requests.append((self.path, headers, code))


@pytest.fixture
def server(fixtures: Path) -> Iterator[tuple[str, Served]]:
    served = Served(files={
        "/PyPI/all.zip": (fixtures / "pypi-subset.zip").read_bytes(),
        "/Go/all.zip": (fixtures / "go-subset.zip").read_bytes(),
    })
    handler = type("BoundHandler", (Handler,), {"served": served})
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}", served
    finally:
        httpd.shutdown()
        httpd.server_close()


def member_ids(path: Path) -> set[str]:
    with zipfile.ZipFile(path) as archive:
        return {name.removesuffix(".json") for name in archive.namelist()}


def test_update_downloads_imports_then_uses_etag(server: tuple[str, Served], fixtures: Path, tmp_path: Path) -> None:
    base, served = server
    db = tmp_path / "db.sqlite"
    first = update(db, ["PyPI", "Go"], base_url=base, cache_dir=tmp_path / "cache")
    expected = member_ids(fixtures / "pypi-subset.zip") | member_ids(fixtures / "go-subset.zip")
    assert first.imported is not None
    assert status(db).advisories == len(expected)
    assert [d.not_modified for d in first.downloads] == [False, False]
    assert (tmp_path / "cache" / "osv" / "PyPI" / "all.zip").read_bytes() == served.files["/PyPI/all.zip"]
    second = update(db, ["PyPI", "Go"], base_url=base, cache_dir=tmp_path / "cache")
    assert [d.not_modified for d in second.downloads] == [True, True]
    assert second.imported is None
    assert [code for _, _, code in served.requests[-2:]] == [304, 304]
    assert all("If-None-Match" in headers for _, headers, _ in served.requests[-2:])


def test_truncated_body_is_an_error_then_resumes(server: tuple[str, Served], fixtures: Path, tmp_path: Path) -> None:
    base, served = server
    db = tmp_path / "db.sqlite"
    update(db, ["Go"], base_url=base, cache_dir=tmp_path / "cache")
    before = status(db)
    served.truncate_at = 20_000
    with pytest.raises(DownloadError, match="cut short"):
        update(db, ["PyPI"], base_url=base, cache_dir=tmp_path / "cache")
    after = status(db)
    assert after.advisories == before.advisories
    assert dict(after.per_ecosystem) == dict(before.per_ecosystem)
    served.truncate_at = None
    resumed = update(db, ["PyPI"], base_url=base, cache_dir=tmp_path / "cache")
    download = resumed.downloads[0]
    assert download.resumed
    assert download.bytes_downloaded == len(served.files["/PyPI/all.zip"]) - 20_000
    assert served.requests[-1][1]["Range"] == "bytes=20000-"
    expected = member_ids(fixtures / "pypi-subset.zip") | member_ids(fixtures / "go-subset.zip")
    assert status(db).advisories == len(expected)


def test_size_cap_and_not_a_zip(server: tuple[str, Served], tmp_path: Path) -> None:
    base, served = server
    db = tmp_path / "db.sqlite"
    with pytest.raises(DownloadError, match="cap"):
        update(db, ["PyPI"], base_url=base, cache_dir=tmp_path / "cache", max_bytes=1000)
    served.files["/npm/all.zip"] = b"<html>not a zip</html>"
    with pytest.raises(DownloadError, match="valid zip"):
        update(db, ["npm"], base_url=base, cache_dir=tmp_path / "cache")
    assert not db.exists()
    with pytest.raises(DownloadError, match="HTTP 404"):
        update(db, ["Nope"], base_url=base, cache_dir=tmp_path / "cache")


def test_plain_http_only_to_loopback() -> None:
    with pytest.raises(DownloadError):
        check_url("http://example.com/PyPI/all.zip")
    with pytest.raises(DownloadError):
        check_url("ftp://127.0.0.1/x")
    check_url("http://127.0.0.1:8000/PyPI/all.zip")
    check_url("https://osv-vulnerabilities.storage.googleapis.com/PyPI/all.zip")
