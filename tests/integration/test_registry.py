"""RegistrySource against a real Distribution registry (docker-registry) and a misbehaving fake.

Ground truth comes from skopeo (`skopeo inspect`, raw manifests and configs) and from the
files we put into each layer; the fake server only exists for failures a real registry
will not produce on demand (500s, dropped connections, corrupted blobs, Bearer tokens).
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import json
import logging
import pickle
import secrets
import sys
import threading
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from hullscan.build.oci import (
    ImageSpec,
    PlatformImage,
    write_multi_platform_layout,
    write_oci_layout,
)
from hullscan.build.tarwriter import (
    Compression,
    Directory,
    Entry,
    RegularFile,
    Symlink,
    write_layer,
)
from hullscan.config import Limits, RegistryOptions
from hullscan.errors import (
    AuthenticationError,
    DigestMismatchError,
    HullscanError,
    LayerError,
    ManifestError,
    PlatformError,
    RegistryError,
)
from hullscan.fileview.layer import index_layer_blob
from hullscan.fileview.policy import CapturePolicy
from hullscan.model.image import Platform
from hullscan.source.auth import parse_www_authenticate, preferred_challenge
from hullscan.source.interface import BlobOpener
from hullscan.source.registry import (
    DOCKER_MANIFEST,
    DOCKER_MANIFEST_LIST,
    OCI_INDEX,
    OCI_MANIFEST,
    BlobTransferError,
    RegistrySource,
    Transport,
    send,
)

_TESTS_DIR = str(Path(__file__).resolve().parents[1])
if _TESTS_DIR not in sys.path:  # registry_server.py lives in tests/, shared with other suites
    sys.path.insert(0, _TESTS_DIR)

from registry_server import (  # noqa: E402 - importable only after the path above
    RegistryServer,
    auth_registry_server,  # noqa: F401 - pytest fixture
    ensure_tools,
    free_port,
    registry_server,  # noqa: F401 - pytest fixture
    token_registry_server,  # noqa: F401 - pytest fixture
)

pytestmark = pytest.mark.slow

FAKE_PASSWORD = secrets.token_urlsafe(8)
WRONG_PASSWORD = "not-" + FAKE_PASSWORD
NO_CAPTURE = CapturePolicy(wants=lambda _path: False)

LAYER_ENTRIES: tuple[tuple[Entry, ...], ...] = (
    (
        Directory(path="etc"),
        RegularFile(path="etc/os-release", data=b'ID=hullscan-test\nVERSION_ID="1"\n'),
        Directory(path="usr/bin"),
        RegularFile(path="usr/bin/app", data=b"#!/bin/sh\necho app\n", mode=0o755),
    ),
    (
        RegularFile(path="srv/data/config.json", data=b'{"answer": 42}\n'),
        Symlink(path="srv/current", target="data"),
    ),
    (RegularFile(path="opt/zstd/readme.txt", data=b"zstd layer\n" * 50),),
)
COMPRESSIONS = (Compression.GZIP, Compression.NONE, Compression.ZSTD)
SPEC = ImageSpec(
    entrypoint=("/usr/bin/app",),
    cmd=("--serve", "8080"),
    env=("PATH=/usr/bin:/bin", "APP_MODE=test"),
    user="1000:1000",
    workdir="/srv",
    labels={"org.opencontainers.image.title": "hullscan registry test", "tier": "gold"},
    history=("ADD base", "ADD data", "ADD zstd"),
)


def _paths(entries: tuple[Entry, ...]) -> set[str]:
    """Absolute paths a layer must contain: one per entry written into its tar."""
    return {"/" + entry.path.strip("/") for entry in entries}


def _build_layers(workdir: Path, variant: str) -> list[Path]:
    blobs = []
    for position, (entries, compression) in enumerate(zip(LAYER_ENTRIES, COMPRESSIONS, strict=True)):
        extra = (RegularFile(path=f"etc/variant-{variant}", data=variant.encode()),)
        chosen = entries + extra if position == 0 else entries
        blobs.append(write_layer(workdir / f"{variant}-layer{position}", chosen, compression).path)
    return blobs


@dataclass(frozen=True)
class PushedImages:
    """What the session pushed to the anonymous registry."""

    server: RegistryServer
    layout: Path


@pytest.fixture(scope="session")
def pushed(
    registry_server: RegistryServer,  # noqa: F811 - the imported fixture, requested by name
    tmp_path_factory: pytest.TempPathFactory,
) -> PushedImages:
    ensure_tools("skopeo")
    work = tmp_path_factory.mktemp("registry-images")
    layout = work / "layout"
    single_layers = _build_layers(work, "single")
    write_oci_layout(layout, single_layers, SPEC, tag="single", platform=Platform("linux", "amd64"))
    # Docker schema 2 has no zstd layers: that image gets the first two layers only.
    docker_spec = dataclasses.replace(SPEC, history=SPEC.history[:2])
    write_oci_layout(
        layout, single_layers[:2], docker_spec, tag="docker", platform=Platform("linux", "amd64")
    )
    images = [
        PlatformImage(Platform("linux", "amd64"), _build_layers(work, "amd64")[:2], docker_spec),
        PlatformImage(Platform("linux", "arm64", "v8"), _build_layers(work, "arm64")[:2], docker_spec),
    ]
    write_multi_platform_layout(layout, images, tag="multi")
    server = registry_server
    server.push(f"oci:{layout}:single", "app/single:1.0")
    server.push(f"oci:{layout}:docker", "app/single:v2s2", "--format", "v2s2")
    server.push(f"oci:{layout}:multi", "app/multi:latest", "--all")
    # skopeo cannot copy nested indexes: push the inner index, then PUT an outer one over it.
    server.push(f"oci:{layout}:multi", "app/nested:inner", "--all")
    inner = server.inspect("app/nested:inner", "--raw")
    outer = {
        "schemaVersion": 2,
        "mediaType": OCI_INDEX,
        "manifests": [{"mediaType": OCI_INDEX, "digest": _sha256(inner), "size": len(inner)}],
    }
    server.put_manifest("app/nested", "latest", json.dumps(outer).encode(), OCI_INDEX)
    return PushedImages(server, layout)


def _entry_for(index: dict[str, Any], arch: str) -> Any:
    """Return the one entry of a raw index whose platform architecture is `arch`."""
    (entry,) = (m for m in index["manifests"] if m["platform"]["architecture"] == arch)
    return entry


def _skopeo_json(server: RegistryServer, ref: str, *extra: str) -> Any:
    return json.loads(server.inspect(ref, *extra))


def _sha256(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


# --------------------------------------------------------------------------- anonymous pulls


@pytest.mark.parametrize(("tag", "media_type"), [("1.0", OCI_MANIFEST), ("v2s2", DOCKER_MANIFEST)])
def test_pull_matches_skopeo(pushed: PushedImages, tag: str, media_type: str) -> None:
    server = pushed.server
    raw_manifest = server.inspect(f"app/single:{tag}", "--raw")
    skopeo = _skopeo_json(server, f"app/single:{tag}")
    skopeo_config = _skopeo_json(server, f"app/single:{tag}", "--config")

    image = RegistrySource(server.reference(f"app/single:{tag}")).describe()

    assert image.media_type == media_type == json.loads(raw_manifest)["mediaType"]
    assert image.manifest_digest == _sha256(raw_manifest) == skopeo["Digest"]
    assert image.config_digest == json.loads(raw_manifest)["config"]["digest"]
    assert [layer.digest for layer in image.layers] == skopeo["Layers"]
    assert [layer.media_type for layer in image.layers] == [
        layer["mediaType"] for layer in json.loads(raw_manifest)["layers"]
    ]
    assert [layer.diff_id for layer in image.layers] == skopeo_config["rootfs"]["diff_ids"]
    runtime = skopeo_config["config"]
    assert list(image.config.entrypoint) == runtime["Entrypoint"]
    assert list(image.config.cmd) == runtime["Cmd"]
    assert list(image.config.env) == runtime["Env"]
    assert image.config.user == runtime["User"]
    assert image.config.working_dir == runtime["WorkingDir"]
    assert dict(image.config.labels) == runtime["Labels"]
    assert [h.created_by for h in image.config.history] == [h["created_by"] for h in skopeo_config["history"]]
    assert image.platform == Platform(skopeo["Os"], skopeo["Architecture"])
    assert image.source_kind == "registry"
    assert image.repo_tags == (f"{server.address}/app/single:{tag}",)


def test_every_layer_indexes_with_the_files_it_was_built_from(pushed: PushedImages) -> None:
    source = RegistrySource(pushed.server.reference("app/single:1.0"))
    image = source.describe()
    assert len(image.layers) == len(LAYER_ENTRIES)
    for layer, entries in zip(image.layers, LAYER_ENTRIES, strict=True):
        opener = _pickle_round_trip(source.layer_opener(layer))
        index = index_layer_blob(
            opener, digest=layer.digest, index=layer.index, policy=NO_CAPTURE, limits=Limits()
        )
        expected = _paths(entries) | ({"/etc/variant-single"} if layer.index == 0 else set())
        assert {record.path for record in index.records} == expected
        assert index.blob_bytes == layer.size


def test_pull_by_digest(pushed: PushedImages) -> None:
    digest = _sha256(pushed.server.inspect("app/single:1.0", "--raw"))
    image = RegistrySource(pushed.server.reference(f"app/single@{digest}")).describe()
    assert image.manifest_digest == digest
    assert image.repo_tags == ()


@pytest.mark.parametrize(
    "ref", ["app/single:no-such-tag", "app/no-such-repo:1.0", "app/single@sha256:" + "0" * 64]
)
def test_missing_manifest_is_a_manifest_error(pushed: PushedImages, ref: str) -> None:
    with pytest.raises(ManifestError, match="not found") as caught:
        RegistrySource(pushed.server.reference(ref)).describe()
    assert "MANIFEST_UNKNOWN" in caught.value.message or "NAME_UNKNOWN" in caught.value.message


@pytest.mark.parametrize(("repo", "truth"), [("app/multi", "app/multi"), ("app/nested", "app/nested:inner")])
@pytest.mark.parametrize("arch", ["amd64", "arm64"])
def test_platform_selection(pushed: PushedImages, repo: str, truth: str, arch: str) -> None:
    server = pushed.server
    skopeo = _skopeo_json(server, truth, "--override-os", "linux", "--override-arch", arch)
    image = RegistrySource(server.reference(f"{repo}:latest"), platform=Platform("linux", arch)).describe()
    assert image.manifest_digest == _entry_for(json.loads(server.inspect(truth, "--raw")), arch)["digest"]
    assert [layer.digest for layer in image.layers] == skopeo["Layers"]
    assert image.platform is not None
    assert image.platform.architecture == arch == skopeo["Architecture"]
    top = json.loads(server.inspect(f"{repo}:latest", "--raw"))
    assert top["mediaType"] == OCI_INDEX


def test_unknown_platform_lists_the_available_ones(pushed: PushedImages) -> None:
    index = json.loads(pushed.server.inspect("app/multi:latest", "--raw"))
    offered = {
        "/".join(
            filter(
                None,
                (m["platform"]["os"], m["platform"]["architecture"], m["platform"].get("variant")),
            )
        )
        for m in index["manifests"]
    }
    source = RegistrySource(pushed.server.reference("app/multi:latest"), platform=Platform("linux", "s390x"))
    with pytest.raises(PlatformError) as caught:
        source.describe()
    assert offered == {"linux/amd64", "linux/arm64/v8"}
    assert all(name in caught.value.message for name in offered)


def test_docker_manifest_list(pushed: PushedImages) -> None:
    server = pushed.server
    server.push(f"oci:{pushed.layout}:multi", "app/multi:v2s2", "--all", "--format", "v2s2")
    top = json.loads(server.inspect("app/multi:v2s2", "--raw"))
    skopeo = _skopeo_json(server, "app/multi:v2s2", "--override-os", "linux", "--override-arch", "arm64")
    image = RegistrySource(server.reference("app/multi:v2s2"), platform=Platform("linux", "arm64")).describe()
    assert top["mediaType"] == DOCKER_MANIFEST_LIST
    assert image.media_type == DOCKER_MANIFEST == _entry_for(top, "arm64")["mediaType"]
    assert image.manifest_digest == _entry_for(top, "arm64")["digest"]
    assert [layer.digest for layer in image.layers] == skopeo["Layers"]


# --------------------------------------------------------------------------- authentication


@pytest.fixture(scope="session")
def pushed_auth(
    auth_registry_server: RegistryServer,  # noqa: F811 - the imported fixture, requested by name
    tmp_path_factory: pytest.TempPathFactory,
) -> RegistryServer:
    work = tmp_path_factory.mktemp("registry-auth-images")
    write_oci_layout(work / "layout", _build_layers(work, "auth"), SPEC, tag="auth")
    auth_registry_server.push(f"oci:{work / 'layout'}:auth", "private/app:1")
    return auth_registry_server


def _docker_config(path: Path, server: RegistryServer, **extra: Any) -> Path:
    token = base64.b64encode(f"{server.username}:{server.password}".encode()).decode()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"auths": {server.address: {"auth": token}}, **extra}))
    return path


def _pickle_round_trip(opener: BlobOpener) -> BlobOpener:
    """Openers cross process boundaries: prove this one survives pickling."""
    restored = pickle.loads(pickle.dumps(opener))  # noqa: S301 - our own bytes, just made
    assert isinstance(restored, BlobOpener)
    return restored


def _read_first_layer(source: RegistrySource) -> int:
    layer = source.describe().layers[0]
    opener = _pickle_round_trip(source.layer_opener(layer))
    index = index_layer_blob(opener, digest=layer.digest, index=0, policy=NO_CAPTURE, limits=Limits())
    return len(index.records)


def test_auth_required_without_credentials(pushed_auth: RegistryServer, tmp_path: Path) -> None:
    options = RegistryOptions(docker_config=tmp_path / "absent.json")
    with pytest.raises(AuthenticationError) as caught:
        RegistrySource(pushed_auth.reference("private/app:1"), options).describe()
    assert "Log in" in caught.value.diagnostics()


def test_auth_with_wrong_password(pushed_auth: RegistryServer) -> None:
    options = RegistryOptions(username=pushed_auth.username, password=WRONG_PASSWORD)
    with pytest.raises(AuthenticationError, match="rejected"):
        RegistrySource(pushed_auth.reference("private/app:1"), options).describe()


def test_auth_with_options_reads_layers(pushed_auth: RegistryServer) -> None:
    options = RegistryOptions(username=pushed_auth.username, password=pushed_auth.password)
    source = RegistrySource(pushed_auth.reference("private/app:1"), options)
    skopeo = _skopeo_json(pushed_auth, "private/app:1")
    assert [layer.digest for layer in source.describe().layers] == skopeo["Layers"]
    assert _read_first_layer(source) == len(_paths(LAYER_ENTRIES[0])) + 1


def test_auth_with_docker_config_option(pushed_auth: RegistryServer, tmp_path: Path) -> None:
    config = _docker_config(tmp_path / "config.json", pushed_auth)
    source = RegistrySource(pushed_auth.reference("private/app:1"), RegistryOptions(docker_config=config))
    assert source.describe().manifest_digest == _skopeo_json(pushed_auth, "private/app:1")["Digest"]


def test_auth_with_docker_config_in_home(
    pushed_auth: RegistryServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.delenv("DOCKER_CONFIG", raising=False)
    _docker_config(
        tmp_path / ".docker" / "config.json", pushed_auth, credHelpers={pushed_auth.address: "pass"}
    )
    with caplog.at_level(logging.WARNING, logger="hullscan.source.auth"):
        source = RegistrySource(pushed_auth.reference("private/app:1"))
        assert _read_first_layer(source) > 0
    assert "credHelpers" in caplog.text


def test_creds_store_only_warns_and_fails_cleanly(
    pushed_auth: RegistryServer, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    config = tmp_path / "config.json"
    config.write_text(json.dumps({"credsStore": "desktop"}))
    with (
        caplog.at_level(logging.WARNING, logger="hullscan.source.auth"),
        pytest.raises(AuthenticationError),
    ):
        RegistrySource(
            pushed_auth.reference("private/app:1"), RegistryOptions(docker_config=config)
        ).describe()
    assert "credsStore" in caplog.text


def test_real_basic_challenge_parses(pushed_auth: RegistryServer) -> None:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with pytest.raises(urllib.error.HTTPError) as caught:
        opener.open(f"http://{pushed_auth.address}/v2/", timeout=5)
    challenge = preferred_challenge(parse_www_authenticate(caught.value.headers["WWW-Authenticate"]))
    assert challenge is not None
    assert challenge.scheme == "basic"
    assert challenge.param("realm") == "hullscan-test"  # the realm in the registry's config


@pytest.fixture(scope="session")
def pushed_token(
    token_registry_server: RegistryServer,  # noqa: F811 - the imported fixture, requested by name
    tmp_path_factory: pytest.TempPathFactory,
) -> RegistryServer:
    work = tmp_path_factory.mktemp("registry-token-images")
    write_oci_layout(work / "layout", _build_layers(work, "token"), SPEC, tag="token")
    token_registry_server.push(f"oci:{work / 'layout'}:token", "team/tokened:1")
    return token_registry_server


def test_real_bearer_token_flow(pushed_token: RegistryServer, tmp_path: Path) -> None:
    """The real registry verifies the JWT our client fetched with the Bearer challenge."""
    ref = pushed_token.reference("team/tokened:1")
    anonymous = RegistryOptions(docker_config=tmp_path / "absent.json")
    with pytest.raises(AuthenticationError, match="token service"):
        RegistrySource(ref, anonymous).describe()
    wrong = RegistryOptions(username=pushed_token.username, password=WRONG_PASSWORD)
    with pytest.raises(AuthenticationError, match="token service"):
        RegistrySource(ref, wrong).describe()
    options = RegistryOptions(username=pushed_token.username, password=pushed_token.password)
    source = RegistrySource(ref, options)
    skopeo = _skopeo_json(pushed_token, "team/tokened:1")
    assert source.describe().manifest_digest == skopeo["Digest"]
    assert [layer.digest for layer in source.describe().layers] == skopeo["Layers"]
    assert _read_first_layer(source) == len(_paths(LAYER_ENTRIES[0])) + 1


# --------------------------------------------------------------------------- a misbehaving server


Route = Callable[[BaseHTTPRequestHandler], None]


@dataclass
class FakeRegistry:
    """A tiny HTTP server on 127.0.0.1 whose answers the test decides, path by path."""

    routes: dict[str, Route] = field(default_factory=dict)
    seen: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    port: int = 0

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def add_image(
        self,
        repo: str,
        tag: str,
        layer: bytes,
        config: bytes | None = None,
        *,
        serve_config: Route | None = None,
        serve_layer: Route | None = None,
    ) -> tuple[str, str]:
        """Serve a one-layer image; `serve_*` replace the honest answer for that blob."""
        config_bytes = (
            config
            if config is not None
            else json.dumps(
                {
                    "architecture": "amd64",
                    "os": "linux",
                    "config": {"Env": ["A=1"]},
                    "rootfs": {"type": "layers", "diff_ids": ["sha256:" + "1" * 64]},
                }
            ).encode()
        )
        config_digest = _sha256(config_bytes)
        layer_digest = _sha256(layer)
        manifest = json.dumps(
            {
                "schemaVersion": 2,
                "mediaType": OCI_MANIFEST,
                "config": {
                    "mediaType": "application/vnd.oci.image.config.v1+json",
                    "digest": config_digest,
                    "size": len(config_bytes),
                },
                "layers": [
                    {
                        "mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
                        "digest": layer_digest,
                        "size": len(layer),
                    }
                ],
            }
        ).encode()
        self.routes[f"/v2/{repo}/manifests/{tag}"] = body(manifest, OCI_MANIFEST)
        self.routes[f"/v2/{repo}/blobs/{config_digest}"] = serve_config or body(config_bytes)
        self.routes[f"/v2/{repo}/blobs/{layer_digest}"] = serve_layer or body(layer)
        return layer_digest, _sha256(manifest)


def body(
    data: bytes, content_type: str = "application/octet-stream", status: int = 200, **headers: str
) -> Route:
    def route(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(status)
        handler.send_header("Content-Type", content_type)
        handler.send_header("Content-Length", str(len(data)))
        for name, value in headers.items():
            handler.send_header(name.replace("_", "-"), value)
        handler.end_headers()
        handler.wfile.write(data)

    return route


def truncated(data: bytes) -> Route:
    """Announce the full length, send half, then drop the connection."""

    def route(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(200)
        handler.send_header("Content-Length", str(len(data)))
        handler.end_headers()
        handler.wfile.write(data[: len(data) // 2])
        handler.wfile.flush()
        handler.close_connection = True

    return route


def reset(handler: BaseHTTPRequestHandler) -> None:
    """Close the socket without answering."""
    handler.close_connection = True


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _FakeServer

    def do_GET(self) -> None:
        fake = self.server.fake
        path = urllib.parse.urlsplit(self.path).path
        fake.seen.append((self.path, dict(self.headers.items())))
        route = fake.routes.get(path)
        if route is None:
            error = json.dumps({"errors": [{"code": "NOT_FOUND", "message": path}]}).encode()
            route = body(error, "application/json", 404)
        route(self)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - BaseHTTPRequestHandler's name
        pass


class _FakeServer(ThreadingHTTPServer):
    daemon_threads = True
    fake: FakeRegistry


@pytest.fixture
def fake_registry() -> Iterator[FakeRegistry]:
    fake = FakeRegistry()
    fake.routes["/v2/"] = body(b"{}", "application/json")
    server = _FakeServer(("127.0.0.1", 0), _Handler)
    server.fake = fake
    fake.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture
def layer_blob(tmp_path: Path) -> bytes:
    entries = (RegularFile(path=f"data/file{n}", data=bytes([n]) * 4096) for n in range(64))
    return write_layer(tmp_path / "layer.tar.gz", entries, Compression.GZIP).path.read_bytes()


def _index_all(source: RegistrySource) -> None:
    for layer in source.describe().layers:
        index_layer_blob(
            source.layer_opener(layer),
            digest=layer.digest,
            index=layer.index,
            policy=NO_CAPTURE,
            limits=Limits(),
        )


def test_server_error_is_a_registry_error(fake_registry: FakeRegistry) -> None:
    fake_registry.routes["/v2/broken/manifests/latest"] = body(
        b'{"errors":[{"code":"UNKNOWN","message":"boom"}]}', status=500
    )
    with pytest.raises(RegistryError, match="HTTP 500") as caught:
        RegistrySource(f"registry://{fake_registry.address}/broken").describe()
    assert not isinstance(caught.value, (AuthenticationError, ManifestError))
    assert "server-side" in caught.value.diagnostics()


def test_unavailable_is_retried(fake_registry: FakeRegistry, layer_blob: bytes) -> None:
    _, digest = fake_registry.add_image("flaky", "latest", layer_blob)
    honest = fake_registry.routes["/v2/flaky/manifests/latest"]
    calls: list[int] = []

    def flaky(handler: BaseHTTPRequestHandler) -> None:
        calls.append(1)
        (honest if len(calls) > 1 else body(b"busy", status=503))(handler)

    fake_registry.routes["/v2/flaky/manifests/latest"] = flaky
    assert RegistrySource(f"registry://{fake_registry.address}/flaky").describe().manifest_digest == digest
    assert len(calls) == 2


def test_connection_reset_is_a_registry_error(fake_registry: FakeRegistry) -> None:
    fake_registry.routes["/v2/reset/manifests/latest"] = reset
    with pytest.raises(RegistryError, match="connection"):
        RegistrySource(f"registry://{fake_registry.address}/reset").describe()


def test_truncated_layer_download_is_an_error(fake_registry: FakeRegistry, layer_blob: bytes) -> None:
    fake_registry.add_image("cut", "latest", layer_blob, serve_layer=truncated(layer_blob))
    with pytest.raises(
        BlobTransferError, match=f"ended after {len(layer_blob) // 2} of {len(layer_blob)}"
    ) as caught:
        _index_all(RegistrySource(f"registry://{fake_registry.address}/cut"))
    assert isinstance(caught.value, LayerError)


def test_layer_with_wrong_content_fails_digest_check(fake_registry: FakeRegistry, layer_blob: bytes) -> None:
    # Same length, still valid gzip (only the header's mtime differs), different digest.
    altered = layer_blob[:4] + b"\x01\x02\x03\x04" + layer_blob[8:]
    assert altered != layer_blob
    fake_registry.add_image("tampered", "latest", layer_blob, serve_layer=body(altered))
    with pytest.raises(DigestMismatchError):
        _index_all(RegistrySource(f"registry://{fake_registry.address}/tampered"))


def test_config_with_wrong_content_fails_digest_check(fake_registry: FakeRegistry, layer_blob: bytes) -> None:
    fake_registry.add_image(
        "badconfig",
        "latest",
        layer_blob,
        config=b'{"os":"linux"}',
        serve_config=body(b'{"os":"linuY"}'),
    )
    with pytest.raises(DigestMismatchError, match="config"):
        RegistrySource(f"registry://{fake_registry.address}/badconfig").describe()


def test_manifest_by_digest_is_verified(fake_registry: FakeRegistry, layer_blob: bytes) -> None:
    _, digest = fake_registry.add_image("pinned", "latest", layer_blob)
    wrong = "sha256:" + "ab" * 32
    fake_registry.routes[f"/v2/pinned/manifests/{wrong}"] = fake_registry.routes[
        "/v2/pinned/manifests/latest"
    ]
    with pytest.raises(DigestMismatchError):
        RegistrySource(f"registry://{fake_registry.address}/pinned@{wrong}").describe()
    fake_registry.routes[f"/v2/pinned/manifests/{digest}"] = fake_registry.routes[
        "/v2/pinned/manifests/latest"
    ]
    assert (
        RegistrySource(f"registry://{fake_registry.address}/pinned@{digest}").describe().manifest_digest
        == digest
    )


def test_oversized_manifest_is_refused(fake_registry: FakeRegistry) -> None:
    fake_registry.routes["/v2/huge/manifests/latest"] = body(b" " * (5 * 1024 * 1024), OCI_MANIFEST)
    with pytest.raises(ManifestError, match="larger than"):
        RegistrySource(f"registry://{fake_registry.address}/huge").describe()


def test_bearer_token_flow(fake_registry: FakeRegistry, layer_blob: bytes) -> None:
    token_requests: list[tuple[str, str | None]] = []
    good_basic = "Basic " + base64.b64encode(f"alice:{FAKE_PASSWORD}".encode()).decode()
    realm = f"http://{fake_registry.address}/token"

    def token(handler: BaseHTTPRequestHandler) -> None:
        token_requests.append((handler.path, handler.headers.get("Authorization")))
        if handler.headers.get("Authorization") != good_basic:
            body(b'{"details":"bad creds"}', "application/json", 401)(handler)
            return
        body(json.dumps({"token": "tok-123", "expires_in": 300}).encode(), "application/json")(handler)

    def guarded(inner: Route) -> Route:
        def route(handler: BaseHTTPRequestHandler) -> None:
            if handler.headers.get("Authorization") == "Bearer tok-123":
                inner(handler)
                return
            challenge = f'Bearer realm="{realm}",service="fake-registry",scope="repository:team/app:pull"'
            body(
                b'{"errors":[{"code":"UNAUTHORIZED"}]}',
                "application/json",
                401,
                WWW_Authenticate=challenge,
            )(handler)

        return route

    fake_registry.add_image("team/app", "latest", layer_blob)
    fake_registry.routes = {path: guarded(route) for path, route in fake_registry.routes.items()}
    fake_registry.routes["/token"] = token

    with pytest.raises(AuthenticationError, match="token service"):
        RegistrySource(
            f"registry://{fake_registry.address}/team/app",
            RegistryOptions(docker_config=Path("/nonexistent")),
        ).describe()
    options = RegistryOptions(username="alice", password=FAKE_PASSWORD)
    source = RegistrySource(f"registry://{fake_registry.address}/team/app", options)
    _index_all(source)
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(token_requests[-1][0]).query)
    assert query == {"service": ["fake-registry"], "scope": ["repository:team/app:pull"]}
    assert token_requests[-1][1] == good_basic


def test_redirect_to_another_host_drops_credentials(fake_registry: FakeRegistry, layer_blob: bytes) -> None:
    layer_digest, _ = fake_registry.add_image("redir", "latest", layer_blob)
    fake_registry.routes["/cdn/layer"] = body(layer_blob)
    # Same server, another host name: a different origin as far as the client can tell.
    cdn = f"http://localhost:{fake_registry.port}/cdn/layer"
    fake_registry.routes[f"/v2/redir/blobs/{layer_digest}"] = body(b"", status=307, Location=cdn)
    options = RegistryOptions(username="bob", password=FAKE_PASSWORD)
    fake_registry.routes["/v2/"] = _basic_only("bob", FAKE_PASSWORD, body(b"{}"))
    _index_all(RegistrySource(f"registry://{fake_registry.address}/redir", options))
    headers_by_path = dict(fake_registry.seen)
    assert "Authorization" in headers_by_path[f"/v2/redir/blobs/{layer_digest}"]
    assert "Authorization" not in headers_by_path["/cdn/layer"]


def _basic_only(user: str, password: str, inner: Route) -> Route:
    expected = "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()

    def route(handler: BaseHTTPRequestHandler) -> None:
        if handler.headers.get("Authorization") == expected:
            inner(handler)
        else:
            body(b"", status=401, WWW_Authenticate='Basic realm="fake"')(handler)

    return route


def test_nothing_listening_is_a_registry_error() -> None:
    port = free_port()  # bound and released: nothing listens there now
    source = RegistrySource(f"registry://127.0.0.1:{port}/app", RegistryOptions(timeout_seconds=5))
    with pytest.raises(RegistryError, match=r"neither HTTPS .* nor plain HTTP") as caught:
        source.describe()
    assert "Connection refused" in caught.value.message


def test_plain_http_refused_for_remote_hosts() -> None:
    transport = Transport("https://registry.example.invalid", allow_http=False, timeout=1)
    with pytest.raises(RegistryError, match="plain-HTTP"):
        send("http://registry.example.invalid/v2/", {}, transport)


def test_errors_are_hullscan_errors_with_hints(fake_registry: FakeRegistry) -> None:
    with pytest.raises(HullscanError) as caught:
        RegistrySource(f"registry://{fake_registry.address}/nothing/here:1").describe()
    assert "hint:" in caught.value.diagnostics()
